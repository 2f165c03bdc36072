//! The legal life of the program's acts under Ley 1437 de 2011 (CPACA): signature and
//! verification, notification, the recurso de reposición and firmness.
//!
//! - An act (the award resolution, the committee's minutes, the decision of an appeal) is
//!   signed with the SHA-256 of its exact PDF and carries a verification code
//!   ([`verification_code`]): ten characters of Crockford's base32, no I, L, O or U.
//! - The award is notified to each family (Art. 56 electronically where they authorised it,
//!   Art. 67 personally, Art. 69 by notice when the personal notification could not be made
//!   within 5 business days of the citation; a notice counts at the end of the day after its
//!   delivery).
//! - The recurso de reposición may be filed within the 10 business days after the last
//!   notification (Art. 74, 76). An appeal after that is received and recorded as late; it
//!   does not suspend the act.
//! - The act is firm (Art. 87) the day after the window closes when no timely appeal was
//!   filed, or the day after the last timely appeal is decided; an act revoked on appeal is
//!   never firm.
//!
//! Pure: the calendar is handed in and "today" is the caller's.

use jiff::civil::Date;

use crate::calendar::{CalendarError, HolidayCalendar};
use crate::text_enum::text_enum;

/// The provision of notification.
pub const NOTIFICATION_ARTICLE: &str = "Ley 1437 de 2011, art. 56, 67-69";
/// The provision of the appeal's term.
pub const APPEAL_ARTICLE: &str = "Ley 1437 de 2011, art. 74, 76";
/// The provision of firmness.
pub const FIRMNESS_ARTICLE: &str = "Ley 1437 de 2011, art. 87";
/// Business days to file the recurso de reposición after the notification (Art. 76).
pub const APPEAL_DAYS: u32 = 10;
/// Business days after the citation before notifying by notice (Art. 68-69).
pub const NOTICE_AFTER_DAYS: u32 = 5;
/// Characters of a verification code.
pub const CODE_LENGTH: usize = 10;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

text_enum! {
    /// What kind of act is signed.
    pub enum ActKind ("act kind") {
        /// The award resolution (Art. 27 of the regulation).
        Award = "award",
        /// The committee's minutes (Art. 23 of the regulation).
        Minutes = "minutes",
        /// The resolution deciding a recurso de reposición against an award.
        AppealDecision = "appeal_decision",
        /// The resolution deciding a recurso de reposición against a not-eligible
        /// verification decision.
        VerificationAppealDecision = "verification_appeal_decision",
    }
}

text_enum! {
    /// How a family was notified (Ley 1437 de 2011).
    pub enum NotificationKind ("notification kind") {
        /// Art. 56: by electronic means, where the family authorised it.
        Electronic = "electronic",
        /// Art. 67: in person.
        Personal = "personal",
        /// Art. 69: by notice, when the personal notification failed within 5 business days.
        Notice = "notice",
    }
}

text_enum! {
    /// What the decision of an appeal resolves (Art. 80).
    pub enum AppealOutcome ("appeal outcome") {
        Confirms = "confirms",
        Modifies = "modifies",
        Revokes = "revokes",
    }
}

text_enum! {
    /// An act's standing, as the verification page shows it.
    pub enum ActStatus ("act status") {
        /// Issued: notification or its appeal window still running (vigente).
        InForce = "in_force",
        /// A timely appeal waits for its decision (recurrido).
        Appealed = "appealed",
        /// Modified on appeal, and not yet firm (modificado).
        Modified = "modified",
        /// Revoked on appeal (revocado): never firm.
        Revoked = "revoked",
        /// Firm (en firme, Art. 87).
        Firm = "firm",
    }
}

impl ActKind {
    /// Its words in the catalogues.
    pub fn message_id(self) -> String {
        format!("act_kind-{}", self.as_str())
    }
}

impl ActStatus {
    /// Its words in the catalogues.
    pub fn message_id(self) -> String {
        format!("act_status-{}", self.as_str())
    }
}

impl NotificationKind {
    /// Its words in the catalogues.
    pub fn message_id(self) -> String {
        format!("notification_kind-{}", self.as_str())
    }
}

impl AppealOutcome {
    /// Its words in the catalogues.
    pub fn message_id(self) -> String {
        format!("appeal_outcome-{}", self.as_str())
    }
}

/// A verification code from random bytes (at least 7: 50 bits are used).
pub fn verification_code(random: &[u8]) -> String {
    let mut bits: u64 = 0;
    for byte in random.iter().take(7) {
        bits = (bits << 8) | u64::from(*byte);
    }
    (0..CODE_LENGTH)
        .map(|i| {
            let shift = 5 * (CODE_LENGTH - 1 - i);
            char::from(CROCKFORD[((bits >> shift) & 31) as usize])
        })
        .collect()
}

/// A code as typed, normalised as Crockford reads it (case, `I`/`L` as 1, `O` as 0, hyphens
/// and spaces dropped); `None` when it cannot be a code.
pub fn normalise_code(typed: &str) -> Option<String> {
    let mut code = String::with_capacity(CODE_LENGTH);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        };
        if !CROCKFORD.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        code.push(c);
    }
    (code.len() == CODE_LENGTH).then_some(code)
}

/// The date a notification takes effect: the day itself, or for a notice the day after its
/// delivery (Art. 69).
pub fn effective_notification(kind: NotificationKind, on: Date) -> Date {
    match kind {
        NotificationKind::Notice => on.tomorrow().unwrap_or(on),
        _ => on,
    }
}

/// The first day a notice may be delivered after a citation sent on `cited_on` (Art. 69).
pub fn notice_from(cited_on: Date, calendar: &HolidayCalendar) -> Result<Date, CalendarError> {
    calendar.add_business_days(cited_on, NOTICE_AFTER_DAYS)
}

/// The last day to file the recurso de reposición after the last notification.
pub fn appeal_deadline(last_notification: Date, calendar: &HolidayCalendar) -> Result<Date, CalendarError> {
    calendar.add_business_days(last_notification, APPEAL_DAYS)
}

/// One appeal as firmness reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppealFacts {
    pub filed_on: Date,
    pub late: bool,
    pub outcome: Option<AppealOutcome>,
    pub decided_on: Option<Date>,
}

/// An act's window and firmness, from its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firmness {
    /// The last day to appeal; `None` until every family is notified.
    pub appeal_deadline: Option<Date>,
    /// The day the act is (or will be) firm; `None` while it cannot be known (not notified, an
    /// appeal undecided) or never (revoked).
    pub firm_on: Option<Date>,
    pub revoked: bool,
    pub modified: bool,
    /// A timely appeal not decided yet.
    pub appealed: bool,
}

impl Firmness {
    /// From the last notification (`None` while a family is not notified) and the appeals.
    pub fn of(
        last_notification: Option<Date>,
        appeals: &[AppealFacts],
        calendar: &HolidayCalendar,
    ) -> Result<Firmness, CalendarError> {
        let appeal_deadline = match last_notification {
            Some(on) => Some(appeal_deadline(on, calendar)?),
            None => None,
        };
        let timely: Vec<&AppealFacts> = appeals.iter().filter(|a| !a.late).collect();
        let revoked = timely.iter().any(|a| a.outcome == Some(AppealOutcome::Revokes));
        let modified = timely.iter().any(|a| a.outcome == Some(AppealOutcome::Modifies));
        let appealed = timely.iter().any(|a| a.outcome.is_none());
        let firm_on = match appeal_deadline {
            _ if revoked || appealed => None,
            None => None,
            Some(deadline) => {
                let last_decision = timely.iter().filter_map(|a| a.decided_on).max();
                match last_decision {
                    // Art. 87.2: the day after the decision on the appeals.
                    Some(decided) => decided.tomorrow().ok(),
                    // Art. 87.3: the day after the term to appeal runs out.
                    None => deadline.tomorrow().ok(),
                }
            }
        };
        Ok(Firmness {
            appeal_deadline,
            firm_on,
            revoked,
            modified,
            appealed,
        })
    }

    /// Firm on `today`.
    pub fn is_firm(&self, today: Date) -> bool {
        self.firm_on.is_some_and(|on| on <= today)
    }

    /// The act's standing on `today`.
    pub fn status(&self, today: Date) -> ActStatus {
        if self.revoked {
            ActStatus::Revoked
        } else if self.is_firm(today) {
            ActStatus::Firm
        } else if self.appealed {
            ActStatus::Appealed
        } else if self.modified {
            ActStatus::Modified
        } else {
            ActStatus::InForce
        }
    }
}

/// Whether an appeal filed on `filed_on` is late against the window.
pub fn is_late(filed_on: Date, appeal_deadline: Option<Date>) -> bool {
    appeal_deadline.is_some_and(|deadline| filed_on > deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::shipped;
    use jiff::civil::date;

    #[test]
    fn codes_are_ten_crockford_characters_and_read_back() {
        let code = verification_code(&[0xff, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert_eq!(code.len(), CODE_LENGTH);
        assert!(code.chars().all(|c| CROCKFORD.contains(&(c as u8))));
        assert_eq!(
            normalise_code(&code.to_lowercase()).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(normalise_code("0O1IL-abcde").as_deref(), Some("00111ABCDE"));
        assert_eq!(normalise_code("short"), None);
        assert_eq!(normalise_code("UUUUUUUUUU"), None);
    }

    #[test]
    fn the_window_runs_over_a_weekend_a_holiday_and_ley_2578s_holiday() {
        // Notified Friday 26 June 2026: the weekend, Monday 29 June (San Pedro y San Pablo),
        // 30 June to 10 July, the weekend, Monday 13 July (Ley 2578 de 2026): the tenth
        // business day is Tuesday 14 July.
        let firmness = Firmness::of(Some(date(2026, 6, 26)), &[], shipped()).expect("calendar");
        assert_eq!(firmness.appeal_deadline, Some(date(2026, 7, 14)));
        assert_eq!(firmness.firm_on, Some(date(2026, 7, 15)));
        assert_eq!(firmness.status(date(2026, 7, 14)), ActStatus::InForce);
        assert_eq!(firmness.status(date(2026, 7, 15)), ActStatus::Firm);
    }

    #[test]
    fn a_timely_appeal_holds_firmness_until_decided_a_late_one_does_not() {
        let notified = Some(date(2026, 6, 26));
        let pending = AppealFacts {
            filed_on: date(2026, 7, 2),
            late: false,
            outcome: None,
            decided_on: None,
        };
        let firmness = Firmness::of(notified, &[pending], shipped()).expect("calendar");
        assert_eq!(
            (firmness.firm_on, firmness.status(date(2026, 8, 1))),
            (None, ActStatus::Appealed)
        );
        let decided = AppealFacts {
            outcome: Some(AppealOutcome::Modifies),
            decided_on: Some(date(2026, 7, 20)),
            ..pending
        };
        let firmness = Firmness::of(notified, &[decided], shipped()).expect("calendar");
        assert_eq!(firmness.firm_on, Some(date(2026, 7, 21)));
        assert_eq!(firmness.status(date(2026, 7, 20)), ActStatus::Modified);
        let late = AppealFacts {
            filed_on: date(2026, 7, 20),
            late: true,
            outcome: None,
            decided_on: None,
        };
        let firmness = Firmness::of(notified, &[late], shipped()).expect("calendar");
        assert_eq!(firmness.firm_on, Some(date(2026, 7, 15)));
        let revoked = AppealFacts {
            outcome: Some(AppealOutcome::Revokes),
            decided_on: Some(date(2026, 7, 20)),
            ..pending
        };
        let firmness = Firmness::of(notified, &[revoked], shipped()).expect("calendar");
        assert_eq!(
            (firmness.firm_on, firmness.status(date(2027, 1, 1))),
            (None, ActStatus::Revoked)
        );
        assert!(is_late(date(2026, 7, 15), Some(date(2026, 7, 14))));
        assert!(!is_late(date(2026, 7, 14), Some(date(2026, 7, 14))));
    }

    #[test]
    fn a_notice_counts_the_day_after_its_delivery() {
        assert_eq!(
            effective_notification(NotificationKind::Notice, date(2026, 7, 3)),
            date(2026, 7, 4)
        );
        assert_eq!(
            effective_notification(NotificationKind::Personal, date(2026, 7, 3)),
            date(2026, 7, 3)
        );
        // Cited Friday 3 July 2026: 6, 7, 8, 9, 10 July.
        assert_eq!(
            notice_from(date(2026, 7, 3), shipped()).expect("calendar"),
            date(2026, 7, 10)
        );
    }
}
