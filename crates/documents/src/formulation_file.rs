//! Project files: one schema ([`Formulation`]), written as TOML or as JSON.

use std::fmt;

use vereda_domain::finance::Formulation;

/// The syntax of a project file, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectFormat {
    Toml,
    Json,
}

/// A project file that does not parse, with the place at fault when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectParseError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl ProjectParseError {
    /// The same error counted from `lines` lines further down (a line of a JSONL file).
    pub fn shifted(mut self, lines: usize) -> Self {
        self.line = self.line.map(|line| line + lines);
        self
    }
}

impl fmt::Display for ProjectParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProjectParseError {}

impl ProjectFormat {
    /// By the file name's extension, in any case.
    pub fn of(file_name: &str) -> Option<Self> {
        let extension = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn parse(self, text: &str) -> Result<Formulation, ProjectParseError> {
        match self {
            Self::Toml => toml::from_str(text).map_err(|error| {
                let place = error.span().map(|span| line_and_column(text, span.start));
                ProjectParseError {
                    line: place.map(|(line, _)| line),
                    column: place.map(|(_, column)| column),
                    message: error.message().trim_end().to_owned(),
                }
            }),
            Self::Json => serde_json::from_str(text).map_err(|error| {
                let full = error.to_string();
                let suffix = format!(" at line {} column {}", error.line(), error.column());
                let message = full.strip_suffix(&suffix).unwrap_or(&full);
                // The workspace reads decimals from strings only, so a JSON number is refused.
                let hint = if message.contains("expected a Decimal") {
                    " (in JSON, amounts and rates are strings, such as \"2000000\" or \"0.5\")"
                } else {
                    ""
                };
                ProjectParseError {
                    line: Some(error.line()),
                    column: Some(error.column()),
                    message: format!("{message}{hint}"),
                }
            }),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(ProjectFormat::of("a.TOML"), Some(ProjectFormat::Toml));
        assert_eq!(ProjectFormat::of("a.json"), Some(ProjectFormat::Json));
        assert_eq!(ProjectFormat::of("a.csv"), None);
        assert_eq!(ProjectFormat::of("toml"), None);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let error = ProjectFormat::Toml
            .parse("[frame]\ncode = \n")
            .expect_err("broken");
        assert_eq!(error.line, Some(2));
        let error = ProjectFormat::Json
            .parse("{\n  \"frame\": 3\n}")
            .expect_err("broken");
        assert_eq!((error.line, error.column.is_some()), (Some(2), true));
        assert_eq!(error.clone().shifted(10).line, Some(12));
        assert!(error.to_string().starts_with("line 2, column "));
    }
}
