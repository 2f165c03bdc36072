//! Project files: one schema ([`Formulation`]), written as TOML or as JSON.

use vereda_domain::finance::Formulation;
use vereda_domain::message::{Arg, Message};

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
    pub problem: ParseProblem,
}

/// What the parser found wrong, read from its report so that it can be said in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseProblem {
    /// A required key is absent.
    MissingField(String),
    /// A key the format does not have.
    UnknownField(String),
    /// A key given twice.
    DuplicateField(String),
    /// A value outside a closed list.
    UnknownValue { value: String, expected: String },
    /// An amount or rate written as a number where the format wants text.
    AmountNotText,
    /// A value of the wrong kind (text for a list, a number for a table...).
    WrongKind,
    /// The text ends before the file is complete.
    Truncated,
    /// The text is not TOML or JSON at that place.
    Syntax,
}

impl ParseProblem {
    /// Reads serde's and the parsers' wording, whose shapes are stable, into a problem.
    fn of(report: &str) -> Self {
        let quoted = |rest: &str| rest.split('`').next().unwrap_or_default().to_owned();
        if report.contains("expected a Decimal") {
            Self::AmountNotText
        } else if let Some(rest) = report.strip_prefix("missing field `") {
            Self::MissingField(quoted(rest))
        } else if let Some(rest) = report.strip_prefix("unknown field `") {
            Self::UnknownField(quoted(rest))
        } else if let Some(rest) = report
            .strip_prefix("duplicate field")
            .or_else(|| report.strip_prefix("duplicate key"))
        {
            Self::DuplicateField(quoted(rest.trim_start_matches([' ', '`'])))
        } else if let Some(rest) = report.strip_prefix("unknown variant `") {
            let expected = rest
                .split_once("expected ")
                .map(|(_, list)| list.trim_start_matches("one of ").replace('`', ""))
                .unwrap_or_default();
            Self::UnknownValue {
                value: quoted(rest),
                expected,
            }
        } else if report.starts_with("invalid type") || report.starts_with("invalid length") {
            Self::WrongKind
        } else if report.starts_with("EOF") || report.contains("end of input") {
            Self::Truncated
        } else {
            Self::Syntax
        }
    }

    /// What serde_json reported.
    pub fn of_json(error: &serde_json::Error) -> Self {
        match error.classify() {
            serde_json::error::Category::Eof => Self::Truncated,
            serde_json::error::Category::Data => Self::of(&error.to_string()),
            _ => Self::Syntax,
        }
    }

    /// `parse-problem-*`, with the key or value at fault.
    pub fn message(&self) -> Message {
        match self {
            Self::MissingField(key) => Message::new("parse-problem-missing_field").with("key", key.as_str()),
            Self::UnknownField(key) => Message::new("parse-problem-unknown_field").with("key", key.as_str()),
            Self::DuplicateField(key) => {
                Message::new("parse-problem-duplicate_field").with("key", key.as_str())
            }
            Self::UnknownValue { value, expected } => Message::new("parse-problem-unknown_value")
                .with("value", value.as_str())
                .with("expected", expected.as_str()),
            Self::AmountNotText => Message::new("parse-problem-amount_not_text"),
            Self::WrongKind => Message::new("parse-problem-wrong_kind"),
            Self::Truncated => Message::new("parse-problem-truncated"),
            Self::Syntax => Message::new("parse-problem-syntax"),
        }
    }
}

impl ProjectParseError {
    /// The same error counted from `lines` lines further down (a line of a JSONL file).
    pub fn shifted(mut self, lines: usize) -> Self {
        self.line = self.line.map(|line| line + lines);
        self
    }

    /// The place and the problem without the file (`parse-problem-at`, or the problem alone),
    /// for a message that names the file itself.
    pub fn place(&self) -> Message {
        match (self.line, self.column) {
            (Some(line), Some(column)) => Message::new("parse-problem-at")
                .with("line", line)
                .with("column", column)
                .with("problem", Arg::List(vec![self.problem.message()])),
            _ => self.problem.message(),
        }
    }

    /// The whole error, naming the file and the place: `project_file-error-at` (line and
    /// column), `project_file-error-at_line` or `project_file-error` when the parser gave none.
    pub fn message(&self, file: &str) -> Message {
        let problem = Arg::List(vec![self.problem.message()]);
        let message = match (self.line, self.column) {
            (Some(line), Some(column)) => Message::new("project_file-error-at")
                .with("line", line)
                .with("column", column),
            (Some(line), None) => Message::new("project_file-error-at_line").with("line", line),
            _ => Message::new("project_file-error"),
        };
        message.with("file", file).with("problem", problem)
    }
}

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
            Self::Toml => toml::from_str(text).map_err(|error| toml_error(text, &error)),
            Self::Json => serde_json::from_str(text).map_err(|error| ProjectParseError {
                line: Some(error.line()),
                column: Some(error.column()),
                problem: ParseProblem::of_json(&error),
            }),
        }
    }
}

/// A TOML file's error, placed and said as a problem (any TOML file the product reads: a
/// project, the settings).
pub fn toml_error(text: &str, error: &toml::de::Error) -> ProjectParseError {
    let place = error.span().map(|span| line_and_column(text, span.start));
    let problem = match ParseProblem::of(error.message().trim_end()) {
        // The TOML parser names the repeated key only by its place.
        ParseProblem::DuplicateField(key) if key.is_empty() => ParseProblem::DuplicateField(
            error
                .span()
                .and_then(|span| text.get(span))
                .unwrap_or_default()
                .trim()
                .to_owned(),
        ),
        problem => problem,
    };
    ProjectParseError {
        line: place.map(|(line, _)| line),
        column: place.map(|(_, column)| column),
        problem,
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
        assert_eq!(error.message("a.json").code(), "project_file-error-at");
    }

    #[test]
    fn the_parsers_reports_become_problems_said_in_any_language() {
        let problem = |format: ProjectFormat, text: &str| format.parse(text).expect_err("broken").problem;
        assert_eq!(
            problem(ProjectFormat::Json, r#"{"frame": {"code": "A"}}"#),
            ParseProblem::MissingField("title".into())
        );
        assert_eq!(
            problem(ProjectFormat::Toml, "[frame]\ncode = \"A\"\ncode = \"B\"\n"),
            ParseProblem::DuplicateField("code".into())
        );
        assert_eq!(
            problem(ProjectFormat::Json, "{\"frame\": "),
            ParseProblem::Truncated
        );
        assert_eq!(
            problem(ProjectFormat::Json, "{\"frame\" 3}"),
            ParseProblem::Syntax
        );
        assert_eq!(
            problem(ProjectFormat::Toml, "[frame]\ncode = \n"),
            ParseProblem::Syntax
        );
        assert_eq!(
            ParseProblem::of("missing field `code`"),
            ParseProblem::MissingField("code".into())
        );
        assert_eq!(
            ParseProblem::of("unknown field `cod`, expected one of `code`, `name`"),
            ParseProblem::UnknownField("cod".into())
        );
        assert_eq!(
            ParseProblem::of("unknown variant `cows`, expected one of `ha`, `head`"),
            ParseProblem::UnknownValue {
                value: "cows".into(),
                expected: "ha, head".into()
            }
        );
        assert_eq!(
            ParseProblem::of("invalid type: integer `3`, expected a Decimal"),
            ParseProblem::AmountNotText
        );
        assert_eq!(
            ParseProblem::of("invalid type: integer `3`, expected struct Frame"),
            ParseProblem::WrongKind
        );
    }
}
