//! Problems of a form by field, in the visitor's language, and the reading of a number typed
//! in a form by the one number reader, its problem noted beside the field.

use rust_decimal::Decimal;
use vereda_domain::number::{NumberProblem, format_number, read_number};

use crate::i18n::{Lang, Message};

/// The problem of one field of what was sent.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field's name in the form (and its catalogue label key).
    pub field: String,
    /// The field's label, in the visitor's language.
    pub label: String,
    /// What is wrong with it, in the visitor's language.
    pub detail: String,
    /// The stable code of the problem (a key of the catalogue).
    pub code: String,
}

/// The problems of `field` among `problems`, in the order found.
pub fn details_of<'a>(problems: &'a [FieldProblem], field: &str) -> Vec<&'a str> {
    problems
        .iter()
        .filter(|p| p.field == field)
        .map(|p| p.detail.as_str())
        .collect()
}

/// The code of the first problem of `field` among `problems`; empty when it has none.
pub fn code_of<'a>(problems: &'a [FieldProblem], field: &str) -> &'a str {
    problems
        .iter()
        .find(|p| p.field == field)
        .map_or("", |p| p.code.as_str())
}

/// Problems by form field, in the visitor's language, each with the code of its message.
#[derive(Debug, Default)]
pub struct FieldErrors {
    /// In the order found.
    problems: Vec<FieldProblem>,
}

impl FieldErrors {
    /// A problem of `field`, said in `lang`; its code goes with it to the API and to the
    /// field's `data-problem` attribute.
    pub fn add(&mut self, lang: Lang, field: &str, message: Message) {
        self.problems.push(FieldProblem {
            field: field.to_owned(),
            label: label(lang, field),
            detail: lang.say(&message),
            code: message.code().to_owned(),
        });
    }

    /// A problem of the number typed in `field`, with its code; shown beside the field, so
    /// without its label.
    pub fn add_number(&mut self, lang: Lang, field: &str, problem: &NumberProblem) {
        self.add(lang, field, problem.message());
    }

    pub fn of(&self, field: &str) -> Vec<&str> {
        details_of(&self.problems, field)
    }

    /// The code of the first problem of `field`; empty when it has none.
    pub fn code_of(&self, field: &str) -> &str {
        code_of(&self.problems, field)
    }

    /// Every problem as (field, message), in the order found.
    pub fn all(&self) -> Vec<(&str, &str)> {
        self.problems
            .iter()
            .map(|p| (p.field.as_str(), p.detail.as_str()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Every problem on its own: field, label, problem and its code, in the language each
    /// was added in.
    pub fn problems(&self) -> Vec<FieldProblem> {
        self.problems.clone()
    }

    /// Every problem as one message (`form-error-fields`): each field's label and problem, for
    /// a reply that has no form to show them beside.
    pub fn said(&self) -> Message {
        let problems = self
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.label, p.detail))
            .collect::<Vec<_>>()
            .join(" · ");
        Message::new("form-error-fields").with("problems", problems)
    }
}

/// The number typed in `field`, read by the one reader; empty is `None`. A problem is noted
/// beside the field; a number read is written back in `text` as it was understood, for the
/// form shown again.
pub fn read_number_field(
    lang: Lang,
    field: &str,
    text: &mut String,
    errors: &mut FieldErrors,
) -> Option<Decimal> {
    match read_number(text) {
        Ok(value) => {
            *text = format_number(value);
            Some(value)
        }
        Err(NumberProblem::Empty) => None,
        Err(problem) => {
            errors.add_number(lang, field, &problem);
            None
        }
    }
}

/// A field's label: its catalogue text when the field's name is a key of the catalogue (the
/// pages' forms), else the name itself (an API body's key, such as `dane_code`).
fn label(lang: Lang, field: &str) -> String {
    if lang.has(field) {
        lang.t(field).to_owned()
    } else {
        field.to_owned()
    }
}
