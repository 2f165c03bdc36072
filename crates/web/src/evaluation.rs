//! The financial evaluation of a project formulation (docs/formulation.md), shared by the API
//! (`POST /api/v1/evaluations`) and the staff page (`/personal/evaluaciones`): reading a project
//! file, choosing the rule set as `vereda evaluate` does, validating and evaluating.
//!
//! Evaluating a document stores nothing and reads nothing stored.

use serde::Serialize;
use utoipa::ToSchema;
use vereda_documents::evaluation_pdf::EvaluationReport;
use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{CofinancingSplit, Evaluation, Evaluator, Formulation, Problem, split};
use vereda_domain::rules::{RuleBook, RuleChoice, RuleSet, YearChoice};

use crate::error::AppError;
use crate::i18n::{Lang, Message};

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
pub use vereda_documents::formulation_file::ProjectFormat as Format;

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

/// The rule set `chosen` by id or, by default, the one of the budget year
/// (`RuleBook::choose`, as `vereda evaluate` does), told in `lang`.
pub fn select<'b>(
    book: &'b RuleBook,
    chosen: Option<&str>,
    budget_year: i16,
    lang: Lang,
) -> Result<Selected<'b>, Message> {
    let choice = book.choose(chosen, budget_year).map_err(|e| e.message())?;
    let selection = match choice.how {
        RuleChoice::Chosen => Selection::Chosen,
        RuleChoice::ByYear(YearChoice::InForceOnJanuary1) => Selection::InForceOnJanuary1,
        RuleChoice::ByYear(YearChoice::FirstInForceDuringYear) => Selection::FirstInForceDuringYear,
    };
    let set = choice.set;
    Ok(Selected {
        set,
        financial: choice.financial,
        used: RuleSetUsed {
            id: set.id.clone(),
            title: lang.pick(&set.title, set.title_en.as_deref()).to_owned(),
            period: set.period(),
            content_hash: set.content_hash.clone(),
            selection,
            explanation: lang.say(&choice.explanation()),
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
    RuleSet(Message),
    /// The flow cannot be built (an engine error, not a verdict).
    Unevaluable(Message),
    /// The shipped rule book does not load.
    Internal(AppError),
}

/// Validates and evaluates `formulation` under the rule set `chosen` (or the default); what
/// is told in words is in `lang`.
pub fn run(formulation: Formulation, chosen: Option<&str>, lang: Lang) -> Result<Outcome, Refusal> {
    let book = crate::rule_book::rule_book()
        .map_err(|e| Refusal::Internal(AppError::internal(&std::io::Error::other(e))))?;
    let selected = select(book, chosen, formulation.frame.budget_year, lang).map_err(Refusal::RuleSet)?;
    let problems = formulation.validate(selected.financial);
    if !problems.is_empty() {
        return Ok(Outcome::Invalid {
            rule_set: selected.used,
            problems,
        });
    }
    let evaluation = Evaluator::new(selected.financial)
        .evaluate(&formulation)
        .map_err(|e| {
            Refusal::Unevaluable(
                Message::new("evaluation-error-unevaluable").with("detail", lang.say(&e.message())),
            )
        })?;
    let cofinancing = split(&formulation, selected.financial).map_err(|e| lang.say(&e.message()));
    Ok(Outcome::Evaluated(Box::new(Evaluated {
        formulation,
        rules: selected.financial.clone(),
        rule_set: selected.used,
        evaluation,
        cofinancing,
    })))
}

/// The municipality's name and department, or empty when the code is unknown.
pub fn municipality_name(code: &str) -> String {
    use vereda_domain::territory::{DaneCode, catalog};
    match DaneCode::parse(code) {
        Ok(dane) => {
            let municipality = dane.municipality();
            match catalog().department(municipality.department_code) {
                Some(department) => format!("{} ({})", municipality.name, department.name),
                None => municipality.name.to_string(),
            }
        }
        Err(_) => String::new(),
    }
}

/// A file-name stem from the project code: letters, digits and dashes only.
pub fn file_stem(evaluated: &Evaluated) -> String {
    let code: String = evaluated
        .formulation
        .frame
        .code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("evaluacion-{}", if code.is_empty() { "proyecto" } else { &code })
}

/// What the PDF report and the workbook show; `name` is the municipality's name.
fn report<'a>(evaluated: &'a Evaluated, name: &'a str) -> EvaluationReport<'a> {
    EvaluationReport {
        formulation: &evaluated.formulation,
        evaluation: &evaluated.evaluation,
        rules: &evaluated.rules,
        cofinancing: evaluated.cofinancing.as_ref().map_err(String::as_str),
        rule_set_id: &evaluated.rule_set.id,
        rule_set_hash: &evaluated.rule_set.content_hash,
        rule_set_period: &evaluated.rule_set.period,
        municipality_name: name,
    }
}

/// The evaluation as a PDF report (`vereda_documents::evaluation_pdf`, as `vereda evaluate --pdf`).
pub fn pdf(
    evaluated: &Evaluated,
    config: &crate::WebConfig,
) -> Result<Vec<u8>, vereda_documents::typeset::TemplateError> {
    let name = municipality_name(&evaluated.formulation.frame.municipality);
    vereda_documents::evaluation_pdf::render(&report(evaluated, &name), &config.templates, config.today())
        .map(|typeset| typeset.pdf)
}

/// The evaluation as a workbook (`vereda_documents::evaluation_xlsx`, as `vereda evaluate --xlsx`).
pub fn workbook(evaluated: &Evaluated) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let name = municipality_name(&evaluated.formulation.frame.municipality);
    vereda_documents::evaluation_xlsx::workbook(&report(evaluated, &name))
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
}
