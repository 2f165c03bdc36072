//! A small layout library for PDF documents with pdf-writer: pages of positioned text,
//! lines and table rows in the standard Helvetica fonts (WinAnsiEncoding), and the assembly
//! of laid-out pages into one document. The evaluation report, the minutes, the resolution and
//! the targeting document are drawn with it.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

const PAGE_WIDTH: f32 = 842.0;
const PAGE_HEIGHT: f32 = 595.0;
const MARGIN: f32 = 40.0;
pub(crate) const REGULAR: Name<'static> = Name(b"F1");
pub(crate) const BOLD: Name<'static> = Name(b"F2");

/// Text in WinAnsiEncoding (Windows-1252): Latin-1 letters map to themselves; a few
/// typographic marks have their own codes; anything else becomes `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{20}'..='\u{7e}' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => out.push(u32::from(c) as u8),
            '€' => out.push(0x80),
            '…' => out.push(0x85),
            '‘' => out.push(0x91),
            '’' => out.push(0x92),
            '“' => out.push(0x93),
            '”' => out.push(0x94),
            '•' => out.push(0x95),
            '–' => out.push(0x96),
            '—' => out.push(0x97),
            '≥' => out.extend_from_slice(b">="),
            '≤' => out.extend_from_slice(b"<="),
            '≠' => out.extend_from_slice(b"!="),
            '\t' | '\n' | '\r' => out.push(b' '),
            _ => out.push(b'?'),
        }
    }
    out
}

/// Helvetica advance widths (1/1000 em) of the printable ASCII characters 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// The width of WinAnsi text in points (bold text is taken ~5 % wider).
pub(crate) fn text_width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            _ => 580,
        })
        .sum();
    let factor = if bold { 1.05 } else { 1.0 };
    units as f32 * size / 1000.0 * factor
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Pages laid out top to bottom (the targeting document uses it too).
pub(crate) struct Layout {
    pages: Vec<Vec<u8>>,
    content: Content,
    y: f32,
}

impl Layout {
    pub(crate) fn new() -> Self {
        Self {
            pages: Vec::new(),
            content: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn new_page(&mut self) {
        let content = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(content.finish().to_vec());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Starts a new page unless `height` points are left.
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(if bold { BOLD } else { REGULAR }, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    /// A line of text, wrapped at the page width.
    pub(crate) fn line(&mut self, size: f32, bold: bool, text: &str) {
        let available = PAGE_WIDTH - 2.0 * MARGIN;
        let mut current = String::new();
        let mut lines = Vec::new();
        for word in text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && text_width(&win_ansi(&candidate), size, bold) > available {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            } else {
                current = candidate;
            }
        }
        lines.push(current);
        for line in lines {
            self.need(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            self.text_at(MARGIN, y, size, bold, &line);
        }
    }

    pub(crate) fn heading(&mut self, text: &str) {
        self.need(60.0);
        self.y -= 8.0;
        self.line(12.0, true, text);
        self.y -= 2.0;
    }

    pub(crate) fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// A table: a bold header row, then the rows; the font shrinks (down to 6 pt) to fit the
    /// page width; the header repeats on every page.
    pub(crate) fn table(&mut self, align: &[Align], header: &[String], rows: &[Vec<String>]) {
        let available = PAGE_WIDTH - 2.0 * MARGIN;
        let padding = 8.0;
        let mut widths: Vec<f32> = header
            .iter()
            .map(|h| text_width(&win_ansi(h), 1.0, true))
            .collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                let width = text_width(&win_ansi(cell), 1.0, false);
                if let Some(w) = widths.get_mut(i) {
                    *w = w.max(width);
                }
            }
        }
        let units: f32 = widths.iter().sum();
        let pads = padding * widths.len() as f32;
        let size = ((available - pads) / units.max(1.0)).clamp(6.0, 9.0);
        let columns: Vec<f32> = widths.iter().map(|w| w * size + padding).collect();
        let leading = size * 1.45;
        let draw_row = |layout: &mut Layout, cells: &[String], bold: bool| {
            layout.y -= leading;
            let y = layout.y;
            let mut x = MARGIN;
            for (i, (cell, width)) in cells.iter().zip(&columns).enumerate() {
                let right = align.get(i).copied().unwrap_or(Align::Right) == Align::Right;
                let cell_x = if right {
                    x + width - padding / 2.0 - text_width(&win_ansi(cell), size, bold)
                } else {
                    x + padding / 2.0
                };
                layout.text_at(cell_x, y, size, bold, cell);
                x += width;
            }
        };
        let rule = |layout: &mut Layout| {
            let y = layout.y - size * 0.4;
            let right = MARGIN + columns.iter().sum::<f32>();
            layout
                .content
                .set_line_width(0.4)
                .move_to(MARGIN, y)
                .line_to(right.min(PAGE_WIDTH - MARGIN), y)
                .stroke();
        };
        self.need(leading * 3.0);
        draw_row(self, header, true);
        rule(self);
        for row in rows {
            if self.y - leading < MARGIN {
                self.new_page();
                draw_row(self, header, true);
                rule(self);
            }
            draw_row(self, row, false);
        }
        self.y -= 4.0;
    }

    pub(crate) fn finish(mut self) -> Vec<Vec<u8>> {
        self.new_page();
        self.pages
    }
}

/// A4 landscape, in points (width, height).
pub(crate) const A4_LANDSCAPE: (f32, f32) = (PAGE_WIDTH, PAGE_HEIGHT);

/// A PDF of laid-out pages (content streams) of one size (width, height in points) with the
/// two Helvetica fonts.
pub(crate) fn assemble(title: &str, pages: &[Vec<u8>], (width, height): (f32, f32)) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(first + 2 * i as i32)).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr("vereda"));
    for (page, content) in page_ids.iter().zip(pages) {
        let content_id = Ref::new(page.get() + 1);
        let mut writer = pdf.page(*page);
        writer
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, width, height))
            .contents(content_id);
        writer.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        drop(writer);
        pdf.stream(content_id, content);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        let mut layout = Layout::new();
        layout.text_at(10.0, 10.0, 9.0, false, text);
        String::from_utf8_lossy(&layout.content.finish()).into_owned()
    }

    #[test]
    fn parentheses_and_backslashes_are_escaped() {
        let content = shown(r"precio) \ (caída");
        // Non-ASCII text goes as a hex string: no delimiter can leak.
        assert!(content.contains("<"), "{content}");
        let content = shown(r"a) b \ c (d");
        assert!(content.contains(r"(a\) b \\ c \(d)"), "{content}");
    }

    #[test]
    fn spanish_letters_are_win_ansi() {
        assert_eq!(win_ansi("Año ñ á é"), b"A\xf1o \xf1 \xe1 \xe9");
        assert_eq!(win_ansi("a — b ≥ c"), b"a \x97 b >= c");
        let content = shown("Año");
        assert!(
            content.contains("<41F16F>") || content.contains("<41f16f>"),
            "{content}"
        );
    }

    #[test]
    fn widths_grow_with_text() {
        assert!(text_width(b"WWW", 10.0, false) > text_width(b"iii", 10.0, false));
    }
}
