//! The work before a formulation (Art. 15-17): the characterization of the households and
//! parcels (Art. 15), the participatory diagnosis (Art. 16) and the minutes of the
//! participatory sessions (Art. 17), each feeding one formulation.
//!
//! Reading: every record needs its text; the minutes of a session (Art. 17: "deberán constar
//! en actas") need the date (not in the future), the place, at least one attendee and the
//! signed minutes as a file.

use jiff::civil::Date;

use crate::message::Message;
use crate::text_enum::text_enum;

text_enum! {
    /// A record of the preparation of a formulation.
    pub enum PreparationKind ("preparation kind") {
        /// Art. 15: socio-economic and technical information of the households.
        Characterization = "characterization",
        /// Art. 17: the minutes of a participatory session.
        SessionMinutes = "session_minutes",
        /// Art. 16: the participatory diagnosis.
        Diagnosis = "diagnosis",
    }
}

impl PreparationKind {
    pub fn article(self) -> &'static str {
        match self {
            PreparationKind::Characterization => "Art. 15",
            PreparationKind::Diagnosis => "Art. 16",
            PreparationKind::SessionMinutes => "Art. 17",
        }
    }
}

/// What is wrong with a field of a preparation record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreparationProblem {
    Required,
    FutureDate,
    NoAttendees,
}

impl PreparationProblem {
    pub fn message(self) -> Message {
        Message::new(match self {
            PreparationProblem::Required => "preparation-error-required",
            PreparationProblem::FutureDate => "preparation-error-future",
            PreparationProblem::NoAttendees => "preparation-error-attendees",
        })
    }
}

/// A record as typed, to check.
#[derive(Debug, Clone, Copy)]
pub struct PreparationDraft<'a> {
    pub kind: PreparationKind,
    pub held_on: Option<Date>,
    pub place: &'a str,
    pub attendees: Option<i64>,
    pub text: &'a str,
    pub has_file: bool,
}

/// The problems of a record, each with its form field (`held_on`, `place`, `attendees`,
/// `text`, `minutes`); empty when it can be stored.
pub fn check_preparation(
    draft: &PreparationDraft<'_>,
    today: Date,
) -> Vec<(&'static str, PreparationProblem)> {
    let mut problems = Vec::new();
    if draft.text.trim().is_empty() {
        problems.push(("text", PreparationProblem::Required));
    }
    if let Some(date) = draft.held_on
        && date > today
    {
        problems.push(("held_on", PreparationProblem::FutureDate));
    }
    if draft.kind == PreparationKind::SessionMinutes {
        if draft.held_on.is_none() {
            problems.push(("held_on", PreparationProblem::Required));
        }
        if draft.place.trim().is_empty() {
            problems.push(("place", PreparationProblem::Required));
        }
        match draft.attendees {
            None => problems.push(("attendees", PreparationProblem::Required)),
            Some(n) if n < 1 => problems.push(("attendees", PreparationProblem::NoAttendees)),
            Some(_) => {}
        }
        if !draft.has_file {
            problems.push(("minutes", PreparationProblem::Required));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = jiff::civil::date(2026, 3, 10);

    fn minutes() -> PreparationDraft<'static> {
        PreparationDraft {
            kind: PreparationKind::SessionMinutes,
            held_on: Some(jiff::civil::date(2026, 3, 2)),
            place: "Escuela de la vereda",
            attendees: Some(18),
            text: "Se acordó la línea de cacao",
            has_file: true,
        }
    }

    #[test]
    fn minutes_need_date_place_attendees_and_the_signed_file() {
        assert!(check_preparation(&minutes(), TODAY).is_empty());
        let bare = PreparationDraft {
            held_on: None,
            place: " ",
            attendees: Some(0),
            has_file: false,
            ..minutes()
        };
        assert_eq!(
            check_preparation(&bare, TODAY),
            vec![
                ("held_on", PreparationProblem::Required),
                ("place", PreparationProblem::Required),
                ("attendees", PreparationProblem::NoAttendees),
                ("minutes", PreparationProblem::Required),
            ]
        );
        let future = PreparationDraft {
            held_on: Some(jiff::civil::date(2026, 3, 11)),
            ..minutes()
        };
        assert_eq!(
            check_preparation(&future, TODAY),
            vec![("held_on", PreparationProblem::FutureDate)]
        );
    }

    #[test]
    fn a_diagnosis_needs_only_its_text() {
        let diagnosis = PreparationDraft {
            kind: PreparationKind::Diagnosis,
            held_on: None,
            place: "",
            attendees: None,
            text: "Necesidad: riego",
            has_file: false,
        };
        assert!(check_preparation(&diagnosis, TODAY).is_empty());
        let empty = PreparationDraft {
            text: "",
            ..diagnosis
        };
        assert_eq!(
            check_preparation(&empty, TODAY),
            vec![("text", PreparationProblem::Required)]
        );
        assert_eq!(PreparationKind::Characterization.article(), "Art. 15");
    }
}
