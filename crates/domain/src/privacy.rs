//! Privacy by role (Ley 1581 de 2012): the one masking policy. A household's personal data
//! (identity documents, birth dates, Sisbén scores, e-mail and postal addresses, the letters
//! written to it and the rows of the files it came in) are shown whole only to accounts with
//! `Permission::ViewFullDocuments`; everyone else sees the last three characters of a
//! document and nothing of the rest. Pages, the API and the audit log all ask here.

use crate::accounts::{Permission, Role};
use crate::household::mask_document;

/// What stands for a value that is not shown.
pub const HIDDEN: &str = "•••";

/// A kind of personal value, and how it is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalField {
    /// An identity document: the last three characters stay.
    Document,
    BirthDate,
    SisbenScore,
    Email,
    Address,
    /// Free text written about or to a household (a letter's body, a value of an input file's
    /// row, as a row error quotes it).
    Text,
}

impl PersonalField {
    /// The personal field a stored column or JSON key holds, by its name.
    pub fn of_key(key: &str) -> Option<PersonalField> {
        Some(match key {
            "document"
            | "head_document"
            | "owner_document"
            | "document_key"
            | "document_number"
            | "petitioner_document"
            | "representative_document" => PersonalField::Document,
            "birth_date" => PersonalField::BirthDate,
            "sisben_score" => PersonalField::SisbenScore,
            "email" => PersonalField::Email,
            "correspondence_address" | "address" | "postal_address" => PersonalField::Address,
            "body"
            | "petitioner_name"
            | "petition_text"
            | "answer_text"
            | "representative_name"
            | "recipient_name"
            | "appellant_name"
            | "appeal_text"
            // A household's search key holds its head's name and document.
            | "search_key" => PersonalField::Text,
            _ => return None,
        })
    }

    /// The value as a viewer without the permission sees it.
    pub fn mask(self, value: &str) -> String {
        match self {
            PersonalField::Document => mask_document(value),
            _ => HIDDEN.to_owned(),
        }
    }
}

/// Whether a role sees personal data whole.
pub fn sees_personal_data(role: Role) -> bool {
    role.can(Permission::ViewFullDocuments)
}

/// A value as `role` may see it.
pub fn shown(role: Role, field: PersonalField, value: &str) -> String {
    if sees_personal_data(role) {
        value.to_owned()
    } else {
        field.mask(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_roles_that_verify_households_see_personal_data() {
        for role in Role::ALL.iter().copied() {
            let document = shown(role, PersonalField::Document, "1.117.234.561");
            let score = shown(role, PersonalField::SisbenScore, "14.52");
            if sees_personal_data(role) {
                assert_eq!((document.as_str(), score.as_str()), ("1.117.234.561", "14.52"));
            } else {
                assert_eq!(document, "•••••••561", "{role}");
                assert_eq!(score, HIDDEN);
            }
        }
        assert_eq!(
            PersonalField::of_key("owner_document"),
            Some(PersonalField::Document)
        );
        assert_eq!(PersonalField::of_key("external_id"), None);
    }
}
