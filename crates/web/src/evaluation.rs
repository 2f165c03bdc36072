//! The financial evaluation of a project formulation (docs/formulation.md), shared by the API
//! (`POST /api/v1/evaluations`) and the staff page (`/staff/evaluations`): reading a project
//! file, choosing the rule set as `vereda evaluate` does, validating and evaluating.
//!
//! Evaluating a document stores nothing and reads nothing stored.

use serde::Serialize;
use utoipa::ToSchema;
use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{CofinancingSplit, Evaluation, Evaluator, Formulation, Problem, split};
use vereda_domain::rules::{RuleBook, RuleSet, YearChoice};

use crate::error::AppError;

/// The largest project file accepted (a formulation is a few kilobytes).
pub const EVALUATION_UPLOAD_LIMIT_BYTES: usize = 1024 * 1024;

/// A worked example compiled into the binary.
pub struct Example {
    pub id: &'static str,
    pub file_name: &'static str,
    pub text: &'static str,
}

/// The worked examples of `examples/`.
pub const EXAMPLES: [Example; 2] = [
    Example {
        id: "cacao-tumaco",
        file_name: "cacao-tumaco.toml",
        text: include_str!("../../../examples/cacao-tumaco.toml"),
    },
    Example {
        id: "lecheria-san-vicente",
        file_name: "lecheria-san-vicente.toml",
        text: include_str!("../../../examples/lecheria-san-vicente.toml"),
    },
];

pub fn example(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}

/// The format of a project file: one schema, two syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// By the file name's extension.
    pub fn of(file_name: &str) -> Option<Format> {
        let extension = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Parses a formulation; the error names the line and column at fault.
    pub fn parse(self, text: &str) -> Result<Formulation, String> {
        match self {
            Format::Toml => toml::from_str(text).map_err(|error| match error.span() {
                Some(span) => {
                    let (line, column) = line_and_column(text, span.start);
                    format!("line {line}, column {column}: {}", error.message().trim_end())
                }
                None => error.message().trim_end().to_owned(),
            }),
            Format::Json => serde_json::from_str(text).map_err(|error| {
                let full = error.to_string();
                let suffix = format!(" at line {} column {}", error.line(), error.column());
                let message = full.strip_suffix(&suffix).unwrap_or(&full);
                let hint = if message.contains("expected a Decimal") {
                    " (in JSON, amounts and rates are strings, such as \"2000000\" or \"0.5\")"
                } else {
                    ""
                };
                format!(
                    "line {}, column {}: {message}{hint}",
                    error.line(),
                    error.column()
                )
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

/// How the rule set was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// Named with `rules=ID`.
    Chosen,
    /// In force on January 1 of the budget year.
    InForceOnJanuary1,
    /// None was in force on January 1: the first to come into force during the budget year.
    FirstInForceDuringYear,
}

/// The rule set an evaluation used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleSetUsed {
    pub id: String,
    pub title: String,
    /// When it is in force.
    pub period: String,
    /// SHA-256 of the rule-set file.
    pub content_hash: String,
    pub selection: Selection,
    /// Why it applies, in words.
    pub explanation: String,
}

/// A rule set with its financial table.
pub struct Selected<'b> {
    pub set: &'b RuleSet,
    pub financial: &'b FinancialRules,
    pub used: RuleSetUsed,
}

fn listing(book: &RuleBook) -> String {
    book.all()
        .iter()
        .map(|s| format!("{} ({})", s.id, s.period()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule set `chosen` by id or, by default, the one in force on January 1 of the budget
/// year; when none is in force that day, the first to come into force during the year (as
/// `vereda evaluate` does).
pub fn select<'b>(
    book: &'b RuleBook,
    chosen: Option<&str>,
    budget_year: i16,
) -> Result<Selected<'b>, String> {
    let (set, selection, explanation) = match chosen {
        Some(id) => {
            let set = book
                .get(id)
                .ok_or_else(|| format!("unknown rule set {id:?}; the rule sets are: {}", listing(book)))?;
            (set, Selection::Chosen, "chosen by id".to_owned())
        }
        None => match book.for_budget_year(budget_year) {
            Some((set, YearChoice::InForceOnJanuary1)) => (
                set,
                Selection::InForceOnJanuary1,
                format!("in force on January 1 of the budget year {budget_year}"),
            ),
            Some((set, YearChoice::FirstInForceDuringYear)) => (
                set,
                Selection::FirstInForceDuringYear,
                format!(
                    "none is in force on January 1; the first in force during the budget year {budget_year} (from {})",
                    set.effective_from
                ),
            ),
            None => {
                return Err(format!(
                    "no rule set is in force during the budget year {budget_year}; name one with rules=ID. The rule sets are: {}",
                    listing(book)
                ));
            }
        },
    };
    let financial = set
        .financial
        .as_ref()
        .ok_or_else(|| format!("rule set {} has no [financial] table", set.id))?;
    Ok(Selected {
        set,
        financial,
        used: RuleSetUsed {
            id: set.id.clone(),
            title: set.title.clone(),
            period: set.period(),
            content_hash: set.content_hash.clone(),
            selection,
            explanation,
        },
    })
}

/// What became of a formulation.
pub enum Outcome {
    /// It has problems (each with its path and article): not evaluated.
    Invalid {
        rule_set: RuleSetUsed,
        problems: Vec<Problem>,
    },
    Evaluated(Box<Evaluated>),
}

/// A formulation evaluated under one rule set.
pub struct Evaluated {
    pub formulation: Formulation,
    pub rule_set: RuleSetUsed,
    pub rules: FinancialRules,
    pub evaluation: Evaluation,
    pub cofinancing: Result<CofinancingSplit, String>,
}

/// Why a formulation could not be looked at at all.
#[derive(Debug)]
pub enum Refusal {
    /// No rule set applies, or the one named does not exist.
    RuleSet(String),
    /// The flow cannot be built (an engine error, not a verdict).
    Unevaluable(String),
    /// The shipped rule book does not load.
    Internal(AppError),
}

/// Validates and evaluates `formulation` under the rule set `chosen` (or the default).
pub fn run(formulation: Formulation, chosen: Option<&str>) -> Result<Outcome, Refusal> {
    let book = crate::screening::rule_book()
        .map_err(|e| Refusal::Internal(AppError::internal(&std::io::Error::other(e))))?;
    let selected = select(book, chosen, formulation.frame.budget_year).map_err(Refusal::RuleSet)?;
    let problems = formulation.validate(selected.financial);
    if !problems.is_empty() {
        return Ok(Outcome::Invalid {
            rule_set: selected.used,
            problems,
        });
    }
    let evaluation = Evaluator::new(selected.financial)
        .evaluate(&formulation)
        .map_err(|e| Refusal::Unevaluable(format!("the formulation cannot be evaluated: {e}")))?;
    let cofinancing = split(&formulation, selected.financial).map_err(|e| e.to_string());
    Ok(Outcome::Evaluated(Box::new(Evaluated {
        formulation,
        rules: selected.financial.clone(),
        rule_set: selected.used,
        evaluation,
        cofinancing,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_parse() {
        for example in &EXAMPLES {
            let format = Format::of(example.file_name).expect("format");
            format.parse(example.text).expect("formulation");
        }
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of("a.TOML"), Some(Format::Toml));
        assert_eq!(Format::of("a.json"), Some(Format::Json));
        assert_eq!(Format::of("a.csv"), None);
        assert_eq!(Format::of("toml"), None);
    }
}
