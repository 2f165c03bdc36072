//! Citizens' petitions (PQRSD: peticiones, quejas, reclamos, sugerencias, denuncias), Ley 1755
//! de 2015.
//!
//! Art. 14 sets the terms in business days from the day after filing: 15 for any petition,
//! 10 for requests of documents or information, 30 for consultations. Its paragraph lets the
//! authority, when it cannot answer in time, tell the petitioner before the term ends, with
//! the reasons and a new date that may not exceed twice the initial term: one extension.
//! Ley 1712 de 2014 asks that compliance be published (the web's monthly report).
//!
//! Pure: the calendar is handed in ([`crate::calendar::HolidayCalendar`]) and "today" is the
//! caller's.

use jiff::civil::Date;

use crate::calendar::{CalendarError, HolidayCalendar};
use crate::message::Message;
use crate::text_enum::text_enum;

/// The article of the terms.
pub const TERMS_ARTICLE: &str = "Ley 1755 de 2015, art. 14";
/// The article of the extension.
pub const EXTENSION_ARTICLE: &str = "Ley 1755 de 2015, art. 14 par.";

text_enum! {
    /// What a petition asks (Ley 1755 de 2015, art. 13-14).
    pub enum PetitionKind ("petition kind") {
        /// A petition of general interest or particular interest.
        General = "general",
        /// A complaint about the conduct of staff (queja).
        Complaint = "complaint",
        /// A claim about a service or a decision (reclamo).
        Claim = "claim",
        Suggestion = "suggestion",
        /// A report of irregular conduct (denuncia).
        Report = "report",
        /// A request of documents or information: 10 days.
        Documents = "documents",
        /// A consultation on matters in the authority's charge: 30 days.
        Consultation = "consultation",
    }
}

impl PetitionKind {
    /// The term to answer, in business days (Art. 14).
    pub fn term_business_days(self) -> u32 {
        match self {
            PetitionKind::Documents => 10,
            PetitionKind::Consultation => 30,
            _ => 15,
        }
    }

    /// The provision of its term.
    pub fn article(self) -> &'static str {
        match self {
            PetitionKind::Documents => "Ley 1755 de 2015, art. 14.1",
            PetitionKind::Consultation => "Ley 1755 de 2015, art. 14.2",
            _ => TERMS_ARTICLE,
        }
    }

    /// The catalogue identifier of its name.
    pub fn message_id(self) -> String {
        format!("petition_kind-{self}")
    }
}

/// The legal deadline of a petition filed on `filed_on` (its date in Colombia): the term's
/// last business day, counted from the day after filing.
pub fn deadline(
    filed_on: Date,
    kind: PetitionKind,
    calendar: &HolidayCalendar,
) -> Result<Date, CalendarError> {
    calendar.add_business_days(filed_on, kind.term_business_days())
}

/// The latest date an extension may set: twice the initial term from filing (Art. 14 par.).
pub fn latest_extension(
    filed_on: Date,
    kind: PetitionKind,
    calendar: &HolidayCalendar,
) -> Result<Date, CalendarError> {
    calendar.add_business_days(filed_on, 2 * kind.term_business_days())
}

/// Business days left on `today` until `deadline`: the business days after today up to and
/// including the deadline; 0 on the deadline itself; negative once it has passed (the
/// business days after the deadline up to and including today).
pub fn business_days_left(today: Date, deadline: Date, calendar: &HolidayCalendar) -> i64 {
    let count = |from: Date, to: Date| -> i64 {
        let mut n = 0i64;
        let mut day = from;
        while day < to {
            let Ok(next) = day.tomorrow() else { break };
            day = next;
            if calendar.is_business_day(day) {
                n += 1;
            }
        }
        n
    };
    if today <= deadline {
        count(today, deadline)
    } else {
        -count(deadline, today)
    }
}

text_enum! {
    /// Where a petition stands, read from its record.
    pub enum PetitionState ("petition state") {
        /// Filed, nobody assigned yet.
        Received = "received",
        Assigned = "assigned",
        /// Its term was extended and it is not answered yet.
        Extended = "extended",
        /// Answered by the deadline in force.
        Answered = "answered",
        /// Answered after the deadline in force.
        AnsweredLate = "answered_late",
    }
}

impl PetitionState {
    /// The state of a petition from its facts: answered (on which date), extended, assigned.
    pub fn of(assigned: bool, extended: bool, answered_on: Option<Date>, deadline_in_force: Date) -> Self {
        match answered_on {
            Some(date) if date <= deadline_in_force => PetitionState::Answered,
            Some(_) => PetitionState::AnsweredLate,
            None if extended => PetitionState::Extended,
            None if assigned => PetitionState::Assigned,
            None => PetitionState::Received,
        }
    }

    /// The catalogue identifier of its name.
    pub fn message_id(self) -> String {
        format!("petition_state-{self}")
    }
}

/// Why an extension is refused (Art. 14 par.).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionRefusal {
    /// The term was already extended once.
    AlreadyExtended,
    /// The petition is answered.
    Answered,
    /// The term has ended: the petitioner is told before it does.
    AfterDeadline { deadline: Date },
    /// The motivation is blank.
    NoMotivation,
    /// The new date is not after the deadline in force.
    NotLater { deadline: Date },
    /// The new date is beyond twice the initial term.
    TooLong { latest: Date },
    /// The new date cannot be counted in the calendar.
    Calendar(CalendarError),
}

impl ExtensionRefusal {
    pub fn message(&self) -> Message {
        let with_article = |m: Message| m.with("article", EXTENSION_ARTICLE);
        match self {
            ExtensionRefusal::AlreadyExtended => with_article(Message::new("petition-error-extended_twice")),
            ExtensionRefusal::Answered => with_article(Message::new("petition-error-answered")),
            ExtensionRefusal::AfterDeadline { deadline } => {
                with_article(Message::new("petition-error-extension_late").with("deadline", *deadline))
            }
            ExtensionRefusal::NoMotivation => {
                with_article(Message::new("petition-error-extension_motivation"))
            }
            ExtensionRefusal::NotLater { deadline } => {
                with_article(Message::new("petition-error-extension_not_later").with("deadline", *deadline))
            }
            ExtensionRefusal::TooLong { latest } => {
                with_article(Message::new("petition-error-extension_too_long").with("latest", *latest))
            }
            ExtensionRefusal::Calendar(error) => error.message(),
        }
    }
}

/// The facts an extension is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRequest<'a> {
    pub kind: PetitionKind,
    pub filed_on: Date,
    /// The legal deadline (never extended before, or the extension is refused).
    pub deadline: Date,
    pub already_extended: bool,
    pub answered: bool,
    /// The day the extension is given (in Colombia).
    pub today: Date,
    pub new_deadline: Date,
    pub motivation: &'a str,
}

/// Checks an extension of the term (Art. 14 par.): once, not after an answer, given on or
/// before the deadline, motivated, to a later date not beyond twice the initial term.
pub fn check_extension(
    request: &ExtensionRequest<'_>,
    calendar: &HolidayCalendar,
) -> Result<(), ExtensionRefusal> {
    if request.answered {
        return Err(ExtensionRefusal::Answered);
    }
    if request.already_extended {
        return Err(ExtensionRefusal::AlreadyExtended);
    }
    if request.today > request.deadline {
        return Err(ExtensionRefusal::AfterDeadline {
            deadline: request.deadline,
        });
    }
    if request.motivation.trim().is_empty() {
        return Err(ExtensionRefusal::NoMotivation);
    }
    if request.new_deadline <= request.deadline {
        return Err(ExtensionRefusal::NotLater {
            deadline: request.deadline,
        });
    }
    let latest =
        latest_extension(request.filed_on, request.kind, calendar).map_err(ExtensionRefusal::Calendar)?;
    if request.new_deadline > latest {
        return Err(ExtensionRefusal::TooLong { latest });
    }
    Ok(())
}

/// A filing number (radicado): `PQRSD-2026-000123`, numbered per year without gaps.
pub fn filing_number(year: i16, sequence: i32) -> String {
    format!("PQRSD-{year}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::shipped;
    use jiff::civil::date;

    #[test]
    fn terms_by_kind() {
        assert_eq!(PetitionKind::General.term_business_days(), 15);
        assert_eq!(PetitionKind::Complaint.term_business_days(), 15);
        assert_eq!(PetitionKind::Report.term_business_days(), 15);
        assert_eq!(PetitionKind::Documents.term_business_days(), 10);
        assert_eq!(PetitionKind::Consultation.term_business_days(), 30);
        assert_eq!(PetitionKind::ALL.len(), 7);
        assert_eq!("queja".parse::<PetitionKind>().ok(), None);
        assert_eq!("complaint".parse::<PetitionKind>(), Ok(PetitionKind::Complaint));
    }

    #[test]
    fn a_deadline_skips_the_weekend() {
        // Friday 6 March 2026: the term starts Monday 9 March; 9-13, 16-20, (23 March, San
        // José), 24-27 and 30 March: 15 business days.
        assert_eq!(
            deadline(date(2026, 3, 6), PetitionKind::General, shipped()),
            Ok(date(2026, 3, 30))
        );
        // Filed on a Saturday: counted as from the Monday after.
        assert_eq!(
            deadline(date(2026, 3, 7), PetitionKind::Documents, shipped()),
            Ok(date(2026, 3, 20))
        );
    }

    #[test]
    fn a_deadline_across_holy_week() {
        // Wednesday 25 March 2026; 26, 27, 30, 31 March, 1 April, (2, 3 April), 6-10 April,
        // 13-17 April: 15 business days end on 17 April.
        assert_eq!(
            deadline(date(2026, 3, 25), PetitionKind::Complaint, shipped()),
            Ok(date(2026, 4, 17))
        );
    }

    #[test]
    fn a_deadline_across_the_new_holiday_of_ley_2578() {
        // Tuesday 30 June 2026; 1-3, 6-10 July, (13 July, Ley 2578 de 2026), 14-17 July:
        // 10 business days end on 15 July, a day later than under Ley 51 de 1983 alone.
        assert_eq!(
            deadline(date(2026, 6, 30), PetitionKind::Documents, shipped()),
            Ok(date(2026, 7, 15))
        );
    }

    #[test]
    fn days_left_count_business_days_and_go_negative() {
        let calendar = shipped();
        let due = date(2026, 7, 15);
        assert_eq!(business_days_left(due, due, calendar), 0);
        // From Friday 10 July: 14, 15 (13 is a holiday).
        assert_eq!(business_days_left(date(2026, 7, 10), due, calendar), 2);
        assert_eq!(business_days_left(date(2026, 7, 16), due, calendar), -1);
        // Saturday 18 July is no business day: still one behind.
        assert_eq!(business_days_left(date(2026, 7, 18), due, calendar), -2);
    }

    fn request(new_deadline: Date) -> ExtensionRequest<'static> {
        ExtensionRequest {
            kind: PetitionKind::General,
            filed_on: date(2026, 3, 6),
            deadline: date(2026, 3, 30),
            already_extended: false,
            answered: false,
            today: date(2026, 3, 27),
            new_deadline,
            motivation: "Se consultan tres oficinas.",
        }
    }

    #[test]
    fn the_extension_rule() {
        let calendar = shipped();
        // Twice the term: 30 business days from 6 March 2026 is 22 April.
        assert_eq!(
            latest_extension(date(2026, 3, 6), PetitionKind::General, calendar),
            Ok(date(2026, 4, 22))
        );
        assert_eq!(check_extension(&request(date(2026, 4, 22)), calendar), Ok(()));
        assert_eq!(
            check_extension(&request(date(2026, 4, 23)), calendar),
            Err(ExtensionRefusal::TooLong {
                latest: date(2026, 4, 22)
            })
        );
        assert_eq!(
            check_extension(&request(date(2026, 3, 30)), calendar),
            Err(ExtensionRefusal::NotLater {
                deadline: date(2026, 3, 30)
            })
        );
        let twice = ExtensionRequest {
            already_extended: true,
            ..request(date(2026, 4, 10))
        };
        assert_eq!(
            check_extension(&twice, calendar),
            Err(ExtensionRefusal::AlreadyExtended)
        );
        let late = ExtensionRequest {
            today: date(2026, 3, 31),
            ..request(date(2026, 4, 10))
        };
        assert_eq!(
            check_extension(&late, calendar),
            Err(ExtensionRefusal::AfterDeadline {
                deadline: date(2026, 3, 30)
            })
        );
        // On the deadline itself it is still in time.
        let on_the_day = ExtensionRequest {
            today: date(2026, 3, 30),
            ..request(date(2026, 4, 10))
        };
        assert_eq!(check_extension(&on_the_day, calendar), Ok(()));
        let unmotivated = ExtensionRequest {
            motivation: "  ",
            ..request(date(2026, 4, 10))
        };
        assert_eq!(
            check_extension(&unmotivated, calendar),
            Err(ExtensionRefusal::NoMotivation)
        );
        let answered = ExtensionRequest {
            answered: true,
            ..request(date(2026, 4, 10))
        };
        assert_eq!(
            check_extension(&answered, calendar),
            Err(ExtensionRefusal::Answered)
        );
        let message = ExtensionRefusal::TooLong {
            latest: date(2026, 4, 22),
        }
        .message();
        assert_eq!(message.code(), "petition-error-extension_too_long");
        assert_eq!(
            message.arg("article"),
            Some(&crate::message::Arg::Text(EXTENSION_ARTICLE.to_owned()))
        );
    }

    #[test]
    fn states() {
        let due = date(2026, 3, 30);
        assert_eq!(
            PetitionState::of(false, false, None, due),
            PetitionState::Received
        );
        assert_eq!(PetitionState::of(true, false, None, due), PetitionState::Assigned);
        assert_eq!(PetitionState::of(true, true, None, due), PetitionState::Extended);
        assert_eq!(
            PetitionState::of(true, false, Some(due), due),
            PetitionState::Answered
        );
        assert_eq!(
            PetitionState::of(true, false, Some(date(2026, 3, 31)), due),
            PetitionState::AnsweredLate
        );
    }

    #[test]
    fn filing_numbers() {
        assert_eq!(filing_number(2026, 123), "PQRSD-2026-000123");
    }
}
