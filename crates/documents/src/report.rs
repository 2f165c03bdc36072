//! Reports laid out by the program (the financial evaluation, the targeting document) as blocks
//! of lines, headings, gaps and tables, handed as data to a template (`report` in
//! `templates/base.typ`) that typesets them.

use serde::Serialize;

/// How a column's cells align; columns beyond the list align right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Align {
    Left,
    Right,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Block {
    Line {
        size: f32,
        bold: bool,
        text: String,
    },
    Heading {
        text: String,
    },
    Gap {
        points: f32,
    },
    Table {
        align: Vec<Align>,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A report: its title and its blocks, in order.
#[derive(Debug, Serialize)]
pub(crate) struct Layout {
    title: String,
    blocks: Vec<Block>,
}

impl Layout {
    pub(crate) fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// A line of text (wrapped by the template when long).
    pub(crate) fn line(&mut self, size: f32, bold: bool, text: &str) {
        self.blocks.push(Block::Line {
            size,
            bold,
            text: text.to_owned(),
        });
    }

    pub(crate) fn heading(&mut self, text: &str) {
        self.blocks.push(Block::Heading {
            text: text.to_owned(),
        });
    }

    pub(crate) fn gap(&mut self, points: f32) {
        self.blocks.push(Block::Gap { points });
    }

    /// A table; rows shorter than the header are filled with empty cells.
    pub(crate) fn table(&mut self, align: &[Align], header: &[String], rows: &[Vec<String>]) {
        let width = header.len();
        let rows = rows
            .iter()
            .map(|row| {
                let mut row: Vec<String> = row.iter().take(width).cloned().collect();
                row.resize(width, String::new());
                row
            })
            .collect();
        self.blocks.push(Block::Table {
            align: align.to_vec(),
            header: header.to_vec(),
            rows,
        });
    }

    /// The report as the template's data.
    pub(crate) fn data(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}
