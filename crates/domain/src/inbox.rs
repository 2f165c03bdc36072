//! The staff's work inbox (issue 18 part 1): what is pending, for whom, by when.
//!
//! Each item is of a typed [`ItemKind`] that names the permission it needs (the inbox of an
//! account holds only what its role may do, within its reach) and the provision that sets
//! its deadline, if any. The deadline is a date; what the inbox shows of it is the business
//! days left ([`crate::petition::business_days_left`], the process's holiday calendar), and
//! [`Urgency`] orders the items: overdue first, then the nearest deadline, then the oldest.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::accounts::Permission;
use crate::calendar::HolidayCalendar;
use crate::text_enum::text_enum;

text_enum! {
    /// What an item of the inbox asks the account to do.
    pub enum ItemKind ("inbox item kind") {
        /// An award resolution recorded and not signed (Art. 27).
        AwardToSign = "award_to_sign",
        /// The committee's minutes, closed, awaiting the account's signature (Art. 23).
        MinutesToSign = "minutes_to_sign",
        /// A recurso de reposición against an award, not decided (Ley 1437 de 2011, art. 86).
        AppealToDecide = "appeal_to_decide",
        /// A recurso de reposición against a verification decision, not decided.
        VerificationAppealToDecide = "verification_appeal_to_decide",
        /// A call's households still pending verification, with the 20 business days of
        /// their documents (Art. 14).
        DocumentsDue = "documents_due",
        /// A measurement submitted and not reviewed (Art. 34-36).
        MeasurementToReview = "measurement_to_review",
        /// An objection to a formulation not decided by the committee (Art. 24.6).
        ObjectionToDecide = "objection_to_decide",
        /// An award not paid yet: its evidence and the payment (Art. 32-33).
        DisbursementPending = "disbursement_pending",
        /// A citizen's petition not answered (Ley 1755 de 2015, art. 14).
        PetitionToAnswer = "petition_to_answer",
        /// A follow-up alert of a project (Art. 29 par., 31, 34).
        FollowupAlert = "followup_alert",
    }
}

impl ItemKind {
    /// The permission an account needs to see (and do) an item of this kind.
    pub fn permission(self) -> Permission {
        match self {
            ItemKind::AwardToSign | ItemKind::AppealToDecide | ItemKind::VerificationAppealToDecide => {
                Permission::AwardCofinancing
            }
            ItemKind::MinutesToSign | ItemKind::ObjectionToDecide => Permission::IssueConcept,
            ItemKind::DocumentsDue => Permission::VerifyHouseholds,
            ItemKind::MeasurementToReview => Permission::ReviewMeasurements,
            ItemKind::DisbursementPending => Permission::RecordDisbursement,
            ItemKind::PetitionToAnswer => Permission::AnswerPetitions,
            ItemKind::FollowupAlert => Permission::RecordLedger,
        }
    }

    /// The provision behind the item (and its deadline, when it has one).
    pub fn article(self) -> &'static str {
        match self {
            ItemKind::AwardToSign => "Art. 27",
            ItemKind::MinutesToSign => "Art. 23",
            ItemKind::AppealToDecide | ItemKind::VerificationAppealToDecide => APPEAL_DECISION_ARTICLE,
            ItemKind::DocumentsDue => "Art. 14",
            ItemKind::MeasurementToReview => "Art. 34-36",
            ItemKind::ObjectionToDecide => "Art. 24.6",
            ItemKind::DisbursementPending => "Art. 32-33",
            ItemKind::PetitionToAnswer => "Ley 1755 de 2015, art. 14",
            ItemKind::FollowupAlert => "Art. 34",
        }
    }

    /// The catalogue's words for what to do (`inbox-kind-…`).
    pub fn message_id(self) -> String {
        format!("inbox-kind-{}", self.as_str())
    }
}

/// The months the administration has to decide a recurso de reposición before silence
/// counts as a refusal (Ley 1437 de 2011, art. 86).
pub const APPEAL_DECISION_MONTHS: i64 = 2;
pub const APPEAL_DECISION_ARTICLE: &str = "Ley 1437 de 2011, art. 86";

/// The date by which an appeal filed on `filed_on` is to be decided (Ley 1437 de 2011,
/// art. 86: two months from its filing).
pub fn appeal_decision_deadline(filed_on: Date) -> Date {
    filed_on
        .checked_add(APPEAL_DECISION_MONTHS.months())
        .unwrap_or(filed_on)
}

/// The business days within which the daily digest names an item, unless configured.
pub const DIGEST_BUSINESS_DAYS: u32 = 3;

/// How pressing an item is, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Its deadline has passed.
    Overdue,
    /// Its deadline is within the digest's business days (today included).
    DueSoon,
    /// A deadline further away.
    Later,
    /// No legal deadline.
    NoDeadline,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Overdue => "overdue",
            Urgency::DueSoon => "due_soon",
            Urgency::Later => "later",
            Urgency::NoDeadline => "no_deadline",
        }
    }
}

/// An item's deadline as the inbox shows it on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Deadline {
    pub due_on: Date,
    /// Business days left: 0 on the day itself, negative once passed.
    pub business_days_left: i64,
}

impl Deadline {
    /// The deadline `due_on` seen on `today` with `calendar`.
    pub fn on(due_on: Date, today: Date, calendar: &HolidayCalendar) -> Deadline {
        Deadline {
            due_on,
            business_days_left: crate::petition::business_days_left(today, due_on, calendar),
        }
    }

    pub fn is_overdue(&self, today: Date) -> bool {
        self.due_on < today
    }
}

/// How pressing an item with `deadline` is on `today`, `soon` business days being "due soon".
pub fn urgency(deadline: Option<&Deadline>, today: Date, soon: u32) -> Urgency {
    match deadline {
        None => Urgency::NoDeadline,
        Some(d) if d.is_overdue(today) => Urgency::Overdue,
        Some(d) if d.business_days_left <= i64::from(soon) => Urgency::DueSoon,
        Some(_) => Urgency::Later,
    }
}

/// The order of the inbox: by urgency, then the nearest deadline, then the oldest item
/// (`since`), then the kind. A key to sort by.
pub fn order_key(
    urgency: Urgency,
    deadline: Option<&Deadline>,
    since: Date,
    kind: ItemKind,
) -> (Urgency, Option<Date>, Date, ItemKind) {
    (urgency, deadline.map(|d| d.due_on), since, kind)
}

/// Whether the daily digest names an item: overdue, or due within `soon` business days.
pub fn in_digest(urgency: Urgency) -> bool {
    matches!(urgency, Urgency::Overdue | Urgency::DueSoon)
}

/// An item as the daily digest names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigestLine {
    pub kind: ItemKind,
    /// What the item is about: a project's code, a petition's number, a call's code.
    pub label: String,
    pub due_on: Option<Date>,
    pub business_days_left: Option<i64>,
}

/// A follow-up alert as its letter to the office names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertLetter {
    pub project_code: String,
    pub alert: crate::followup::Alert,
}

/// What a letter to a staff account says: the digest's items (most pressing first) and the
/// business days it looks ahead, or one follow-up alert.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StaffLetterFacts {
    #[serde(default)]
    pub items: Vec<DigestLine>,
    #[serde(default)]
    pub within_days: u32,
    #[serde(default)]
    pub alert: Option<AlertLetter>,
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::accounts::Role;
    use crate::calendar::shipped;

    #[test]
    fn deadlines_count_business_days_and_order_by_urgency() {
        let calendar = shipped();
        // Friday 10 July 2026 (Monday 13 July is a holiday in the shipped calendar).
        let today = date(2026, 7, 10);
        let passed = Deadline::on(date(2026, 7, 8), today, calendar);
        assert!(passed.is_overdue(today));
        assert_eq!(passed.business_days_left, -2);
        let near = Deadline::on(date(2026, 7, 15), today, calendar);
        assert_eq!(near.business_days_left, 2, "14 and 15 July; 13 July is a holiday");
        let far = Deadline::on(date(2026, 8, 31), today, calendar);
        assert_eq!(urgency(Some(&passed), today, 3), Urgency::Overdue);
        assert_eq!(urgency(Some(&near), today, 3), Urgency::DueSoon);
        assert_eq!(urgency(Some(&near), today, 1), Urgency::Later);
        assert_eq!(urgency(Some(&far), today, 3), Urgency::Later);
        assert_eq!(urgency(None, today, 3), Urgency::NoDeadline);
        let on_the_day = Deadline::on(today, today, calendar);
        assert_eq!(on_the_day.business_days_left, 0);
        assert_eq!(urgency(Some(&on_the_day), today, 0), Urgency::DueSoon);
        assert!(in_digest(Urgency::Overdue) && in_digest(Urgency::DueSoon));
        assert!(!in_digest(Urgency::Later) && !in_digest(Urgency::NoDeadline));

        let mut items = [
            (ItemKind::MeasurementToReview, None, date(2026, 6, 1)),
            (ItemKind::PetitionToAnswer, Some(far), date(2026, 7, 1)),
            (ItemKind::DocumentsDue, Some(near), date(2026, 7, 2)),
            (ItemKind::AppealToDecide, Some(passed), date(2026, 5, 8)),
        ];
        items.sort_by_key(|(kind, deadline, since)| {
            order_key(
                urgency(deadline.as_ref(), today, 3),
                deadline.as_ref(),
                *since,
                *kind,
            )
        });
        let kinds: Vec<ItemKind> = items.iter().map(|i| i.0).collect();
        assert_eq!(
            kinds,
            [
                ItemKind::AppealToDecide,
                ItemKind::DocumentsDue,
                ItemKind::PetitionToAnswer,
                ItemKind::MeasurementToReview
            ]
        );
    }

    #[test]
    fn an_appeal_is_decided_within_two_months_of_its_filing() {
        assert_eq!(appeal_decision_deadline(date(2026, 3, 2)), date(2026, 5, 2));
        assert_eq!(appeal_decision_deadline(date(2026, 12, 31)), date(2027, 2, 28));
        assert_eq!(ItemKind::AppealToDecide.article(), "Ley 1437 de 2011, art. 86");
    }

    #[test]
    fn each_kind_goes_to_the_roles_that_may_do_it() {
        assert!(Role::TerritorialDirector.can(ItemKind::AwardToSign.permission()));
        assert!(!Role::TerritorialOfficer.can(ItemKind::AwardToSign.permission()));
        assert!(Role::CommitteeMember.can(ItemKind::ObjectionToDecide.permission()));
        assert!(!Role::Formulator.can(ItemKind::PetitionToAnswer.permission()));
        assert!(Role::TerritorialOfficer.can(ItemKind::FollowupAlert.permission()));
        assert!(Role::TerritorialOfficer.can(ItemKind::DocumentsDue.permission()));
        for kind in ItemKind::ALL {
            assert!(kind.message_id().starts_with("inbox-kind-"));
            assert!(!kind.article().is_empty());
        }
    }
}
