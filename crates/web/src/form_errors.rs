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

/// Problems by form field, in the visitor's language, each with the code of its message.
#[derive(Debug, Default)]
pub struct FieldErrors {
    /// (field, problem in the visitor's language, the problem's code), in the order found.
    problems: Vec<(String, String, String)>,
}

impl FieldErrors {
    /// A problem of `field`, said in `lang`; its code goes with it to the API and to the
    /// field's `data-problem` attribute.
    pub fn add(&mut self, lang: Lang, field: &str, message: Message) {
        self.problems
            .push((field.to_owned(), lang.say(&message), message.code().to_owned()));
    }

    /// A problem of the number typed in `field`, with its code; shown beside the field, so
    /// without its label.
    pub fn add_number(&mut self, lang: Lang, field: &str, problem: &NumberProblem) {
        self.add(lang, field, problem.message());
    }

    pub fn of(&self, field: &str) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|(f, _, _)| f == field)
            .map(|(_, m, _)| m.as_str())
            .collect()
    }

    /// The code of the first problem of `field`; empty when it has none.
    pub fn code_of(&self, field: &str) -> &str {
        self.problems
            .iter()
            .find(|(f, _, _)| f == field)
            .map_or("", |(_, _, code)| code.as_str())
    }

    /// Every problem as (field, message), in the order found.
    pub fn all(&self) -> Vec<(&str, &str)> {
        self.problems
            .iter()
            .map(|(field, message, _)| (field.as_str(), message.as_str()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// Every problem on its own: field, label, problem in `lang` and its code.
    pub fn problems(&self, lang: Lang) -> Vec<FieldProblem> {
        self.problems
            .iter()
            .map(|(field, problem, code)| FieldProblem {
                field: field.clone(),
                label: label(lang, field),
                detail: problem.clone(),
                code: code.clone(),
            })
            .collect()
    }

    /// Every problem as one message (`form-error-fields`): each field's label and problem, for
    /// a reply that has no form to show them beside.
    pub fn said(&self, lang: Lang) -> Message {
        let problems = self
            .problems
            .iter()
            .map(|(field, problem, _)| format!("{}: {problem}", label(lang, field)))
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
