//! Problems of a form by field, in the visitor's language, and the reading of a number typed
//! in a form by the one number reader, its problem noted beside the field.

use rust_decimal::Decimal;
use vereda_domain::number::{NumberProblem, format_number, read_number};

use crate::i18n::Lang;

/// The problem of one field of what was sent.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field's name in the form (and its catalogue label key).
    pub field: String,
    /// The field's label, in the visitor's language.
    pub label: String,
    /// What is wrong with it, in the visitor's language.
    pub detail: String,
    /// The stable code of the problem, when it has one (a number's problems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Problems by form field, in the visitor's language.
#[derive(Debug, Default)]
pub struct FieldErrors {
    messages: Vec<(String, String)>,
    /// The code of the number problem of a field, for its `data-problem` attribute.
    codes: Vec<(String, &'static str)>,
}

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: String) {
        self.messages.push((field.to_owned(), message));
    }

    /// A problem of the number typed in `field`, with its code; shown beside the field, so
    /// without its label.
    pub fn add_number(&mut self, lang: Lang, field: &str, problem: &NumberProblem) {
        self.add(field, crate::i18n::number_problem(lang, problem, ""));
        self.codes.push((field.to_owned(), problem.code()));
    }

    pub fn of(&self, field: &str) -> Vec<&str> {
        self.messages
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    /// The code of the number problem of `field`; empty when it has none.
    pub fn code_of(&self, field: &str) -> &'static str {
        self.codes
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, code)| code)
    }

    /// Every problem as (field, message), in the order found.
    pub fn all(&self) -> &[(String, String)] {
        &self.messages
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Every problem on its own: field, label and problem in `lang`, and the code of a
    /// number's problem.
    pub fn problems(&self, lang: Lang) -> Vec<FieldProblem> {
        self.messages
            .iter()
            .map(|(field, problem)| FieldProblem {
                field: field.clone(),
                label: label(lang, field),
                detail: problem.clone(),
                code: Some(self.code_of(field))
                    .filter(|code| !code.is_empty())
                    .map(str::to_owned),
            })
            .collect()
    }

    /// Every problem as one message (`form-error-fields`): each field's label and problem, for
    /// a reply that has no form to show them beside.
    pub fn said(&self, lang: Lang) -> crate::i18n::Message {
        let problems = self
            .messages
            .iter()
            .map(|(field, problem)| format!("{}: {problem}", label(lang, field)))
            .collect::<Vec<_>>()
            .join(" · ");
        crate::i18n::Message::new("form-error-fields").with("problems", problems)
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
