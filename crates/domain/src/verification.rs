//! The verification of the households of a call (Art. 11-14, 45, 46): the documents each
//! household owes after the notice of the institutional offer, the term to bring them, the
//! outcome of the verification, tacit withdrawal, and the letters sent to the household.
//!
//! Reading of the checklist (Art. 9 and 11): the identity document of the head of household
//! (the qualities of Art. 9 are the head's; other members' documents are not required), the
//! Sisbén certificate, the title record (folio de matrícula inmobiliaria) of the parcel of the
//! project, the RUV certificate (Registro Único de Víctimas) when the household is displaced,
//! and the certificate of the ethnic community when the household belongs to an ethnic group.

use jiff::civil::Date;

use crate::calendar::{CalendarError, add_business_days};
use crate::household::EthnicGroup;
use crate::message::{Arg, Message};
use crate::text_enum::text_enum;

/// The term to bring the documents, in business days after the notice (Art. 14).
pub const DOCUMENT_TERM_BUSINESS_DAYS: u32 = 20;

text_enum! {
    /// A document of the checklist.
    pub enum DocumentKind ("document kind") {
        /// Identity document of the head of household.
        Identity = "identity",
        /// Certificate of the Sisbén score.
        Sisben = "sisben",
        /// Folio de matrícula inmobiliaria of the parcel of the project.
        TitleRecord = "title_record",
        /// Registro Único de Víctimas: displaced households.
        Ruv = "ruv",
        /// Certificate of the ethnic community (cabildo, consejo comunitario...).
        EthnicCertificate = "ethnic_certificate",
    }
}

text_enum! {
    /// Where a household stands in the verification.
    pub enum VerificationStatus ("verification status") {
        Pending = "pending",
        Eligible = "eligible",
        NotEligible = "not_eligible",
        /// Tacit withdrawal (Art. 45), confirmed by an officer.
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// The written communications to a household (Art. 46).
    pub enum LetterKind ("letter kind") {
        Offer = "offer",
        VerificationResult = "verification_result",
        Withdrawal = "withdrawal",
        /// The award (Art. 27).
        Award = "award",
        /// The answer to a citizen's petition (Ley 1755 de 2015): `PetitionAnswerFacts`.
        PetitionAnswer = "petition_answer",
        /// A staff account's daily digest of its inbox: `StaffLetterFacts::items`.
        InboxDigest = "inbox_digest",
        /// A follow-up alert to the office's staff (Art. 34): `StaffLetterFacts::alert`.
        FollowupAlert = "followup_alert",
    }
}

/// The documents a household owes, from its facts.
pub fn required_documents(displaced: bool, ethnic_group: EthnicGroup) -> Vec<DocumentKind> {
    let mut kinds = vec![
        DocumentKind::Identity,
        DocumentKind::Sisben,
        DocumentKind::TitleRecord,
    ];
    if displaced {
        kinds.push(DocumentKind::Ruv);
    }
    if ethnic_group != EthnicGroup::None {
        kinds.push(DocumentKind::EthnicCertificate);
    }
    kinds
}

/// The required documents not among `received`, in checklist order.
pub fn missing_documents(required: &[DocumentKind], received: &[DocumentKind]) -> Vec<DocumentKind> {
    required
        .iter()
        .copied()
        .filter(|kind| !received.contains(kind))
        .collect()
}

/// The last day to bring the documents: the 20th business day after the notice.
pub fn document_deadline(notice: Date) -> Result<Date, CalendarError> {
    add_business_days(notice, DOCUMENT_TERM_BUSINESS_DAYS)
}

/// Whether tacit withdrawal is due (Art. 45): the term is over, documents are missing and
/// nothing has been decided yet. It is only a flag: an officer confirms it with a motivated
/// record.
pub fn withdrawal_due(
    status: VerificationStatus,
    deadline: Date,
    today: Date,
    missing: &[DocumentKind],
) -> bool {
    status == VerificationStatus::Pending && today > deadline && !missing.is_empty()
}

/// Why the day a document was received cannot be the one given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptDayError {
    /// A day that has not come yet.
    #[error("the day received {0} is after today {1}")]
    AfterToday(Date, Date),
    /// Before the notice of the offer, when nothing could be brought yet (Art. 11, 14).
    #[error("the day received {0} is before the notice of the offer {1}")]
    BeforeNotice(Date, Date),
}

impl ReceiptDayError {
    /// The refusal as a message of the catalogue, naming the day given.
    pub fn message(&self) -> Message {
        match self {
            ReceiptDayError::AfterToday(day, today) => {
                Message::new("verification-error-received_after_today")
                    .with("value", *day)
                    .with("today", *today)
            }
            ReceiptDayError::BeforeNotice(day, notice) => {
                Message::new("verification-error-received_before_notice")
                    .with("value", *day)
                    .with("notice", *notice)
            }
        }
    }
}

/// Checks the day a household brought a document, as the officer records it (often days
/// later, from paper): not after today, not before the notice of the offer. A day after the
/// deadline is kept as it is: it is the officer who confirms a withdrawal (Art. 45).
pub fn check_receipt_day(day: Date, notice: Date, today: Date) -> Result<(), ReceiptDayError> {
    if day > today {
        Err(ReceiptDayError::AfterToday(day, today))
    } else if day < notice {
        Err(ReceiptDayError::BeforeNotice(day, notice))
    } else {
        Ok(())
    }
}

/// A change of a household's verification that the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("the household cannot be found eligible while documents are missing: {}", names(.0))]
    MissingDocuments(Vec<DocumentKind>),
    #[error("a decision of not eligible or of withdrawal needs its reasons in writing")]
    ReasonsRequired,
    #[error("tacit withdrawal applies only after the deadline {0} with documents missing")]
    WithdrawalNotDue(Date),
    #[error("the household's verification is already decided ({0})")]
    AlreadyDecided(VerificationStatus),
}

impl DecisionError {
    /// The refusal as a message of the catalogue.
    pub fn message(&self) -> Message {
        match self {
            DecisionError::MissingDocuments(kinds) => Message::new("verification-error-missing").with(
                "documents",
                Arg::Terms(kinds.iter().map(|k| format!("verification-doc-{k}")).collect()),
            ),
            DecisionError::ReasonsRequired => Message::new("verification-error-reasons"),
            DecisionError::WithdrawalNotDue(deadline) => {
                Message::new("verification-error-withdrawal_not_due").with("deadline", *deadline)
            }
            DecisionError::AlreadyDecided(status) => Message::new("verification-error-decided")
                .with_term("status", format!("verification-status-{status}")),
        }
    }
}

/// The article of Acuerdo 308 de 2013 a refusal of a household's decision rests on, by the
/// refusal's code (the domain's and the store's gates): empty when it rests on none (the
/// record changed meanwhile, or it is out of the actor's reach).
pub fn refusal_article(code: &str) -> &'static str {
    match code {
        "verification-error-no_notice" => "Art. 11",
        "verification-error-no_parcel" | "verification-error-parcel_not_suitable" => "Art. 12-13",
        "verification-error-missing"
        | "verification-error-decided"
        | "verification-error-received_before_notice" => "Art. 14",
        "verification-error-withdrawal_not_due" => "Art. 45",
        "verification-error-reasons" => "Art. 46",
        _ => "",
    }
}

fn names(kinds: &[DocumentKind]) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

/// Checks a decision against the household's state: `to` is the new status.
pub fn check_decision(
    from: VerificationStatus,
    to: VerificationStatus,
    reasons: &str,
    missing: &[DocumentKind],
    deadline: Date,
    today: Date,
) -> Result<(), DecisionError> {
    if from != VerificationStatus::Pending {
        return Err(DecisionError::AlreadyDecided(from));
    }
    match to {
        VerificationStatus::Pending => Err(DecisionError::AlreadyDecided(from)),
        VerificationStatus::Eligible if !missing.is_empty() => {
            Err(DecisionError::MissingDocuments(missing.to_vec()))
        }
        VerificationStatus::Eligible => Ok(()),
        VerificationStatus::NotEligible if reasons.trim().is_empty() => Err(DecisionError::ReasonsRequired),
        VerificationStatus::NotEligible => Ok(()),
        VerificationStatus::Withdrawn => {
            if !withdrawal_due(from, deadline, today, missing) {
                Err(DecisionError::WithdrawalNotDue(deadline))
            } else if reasons.trim().is_empty() {
                Err(DecisionError::ReasonsRequired)
            } else {
                Ok(())
            }
        }
    }
}

/// What a letter says, as facts and codes. Its words are the message catalogue's
/// (`letter-…`), written out when the letter is shown or sent; the text as sent is kept with
/// the delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LetterFacts {
    pub head_name: String,
    pub household_ref: String,
    pub call_name: String,
    pub call_code: String,
    pub deadline: Option<Date>,
    pub required: Vec<DocumentKind>,
    pub outcome: Option<VerificationStatus>,
    /// The officer's motivation, as typed.
    pub reasons: String,
    /// The screening's reason codes behind a not-eligible decision.
    #[serde(default)]
    pub screening_codes: Vec<String>,
    /// The documents not delivered, for a tacit withdrawal.
    #[serde(default)]
    pub missing: Vec<DocumentKind>,
    pub date: Date,
    /// What an award letter names (Art. 27); `None` for the other letters.
    pub award: Option<AwardFacts>,
    /// What a petition's answer names (Ley 1755 de 2015); `None` for the other letters.
    #[serde(default)]
    pub petition: Option<PetitionAnswerFacts>,
    /// What a letter to a staff account names (the digest, an alert); `None` for the others.
    #[serde(default)]
    pub staff: Option<crate::inbox::StaffLetterFacts>,
}

impl LetterFacts {
    /// A letter to a person outside any call (a petitioner, a staff account): their name and
    /// the letter's date, nothing of a household; the caller adds what its kind names.
    pub fn to_person(name: &str, date: Date) -> Self {
        LetterFacts {
            head_name: name.to_owned(),
            household_ref: String::new(),
            call_name: String::new(),
            call_code: String::new(),
            deadline: None,
            required: Vec::new(),
            outcome: None,
            reasons: String::new(),
            screening_codes: Vec::new(),
            missing: Vec::new(),
            date,
            award: None,
            petition: None,
            staff: None,
        }
    }
}

/// A letter written out: its subject and its plain-text body (the catalogue's words, see
/// `vereda_messages::letters`), as it is shown or went out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LetterText {
    pub subject: String,
    pub body: String,
}

/// The resolution an award letter communicates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AwardFacts {
    pub project_code: String,
    pub project_title: String,
    /// The resolution's number, e.g. `DT-CAQ-2013-001`.
    pub resolution: String,
    /// The institute's contribution in pesos.
    pub institute_contribution: rust_decimal::Decimal,
}

/// The petition an answer letter answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PetitionAnswerFacts {
    /// The filing number, e.g. `PQRSD-2026-000123`.
    pub number: String,
    pub kind: crate::petition::PetitionKind,
    /// The petition's subject, as the petitioner wrote it.
    pub subject: String,
    pub filed_on: Date,
    /// The answer, as the officer wrote it.
    pub answer: String,
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_checklist_follows_the_households_facts() {
        use DocumentKind::*;
        assert_eq!(
            required_documents(false, EthnicGroup::None),
            vec![Identity, Sisben, TitleRecord]
        );
        assert_eq!(
            required_documents(true, EthnicGroup::Afro),
            vec![Identity, Sisben, TitleRecord, Ruv, EthnicCertificate]
        );
        assert_eq!(
            missing_documents(&required_documents(true, EthnicGroup::None), &[Sisben, Identity]),
            vec![TitleRecord, Ruv]
        );
    }

    #[test]
    fn the_deadline_is_the_twentieth_business_day_after_the_notice() {
        // 2026-03-02 is a Monday; Holy Thursday and Good Friday are April 2 and 3;
        // March 23 is San José (March 19, moved to Monday): 20 business days end on March 31.
        let deadline = document_deadline(date(2026, 3, 2)).expect("deadline");
        assert_eq!(deadline, date(2026, 3, 31));
    }

    #[test]
    fn a_document_is_received_between_the_notice_and_today() {
        let notice = date(2026, 3, 2);
        let today = date(2026, 3, 20);
        assert!(check_receipt_day(notice, notice, today).is_ok());
        assert!(check_receipt_day(today, notice, today).is_ok());
        assert_eq!(
            check_receipt_day(date(2026, 3, 21), notice, today),
            Err(ReceiptDayError::AfterToday(date(2026, 3, 21), today))
        );
        assert_eq!(
            check_receipt_day(date(2026, 3, 1), notice, today),
            Err(ReceiptDayError::BeforeNotice(date(2026, 3, 1), notice))
        );
        // After the deadline it is still a day: the officer decides the withdrawal.
        assert!(check_receipt_day(today, notice, date(2026, 5, 1)).is_ok());
        assert_eq!(
            check_receipt_day(date(2026, 2, 1), notice, today)
                .map_err(|refused| refusal_article(refused.message().code())),
            Err("Art. 14")
        );
    }

    #[test]
    fn decisions_follow_the_rules() {
        use VerificationStatus::*;
        let deadline = date(2026, 4, 1);
        let missing = [DocumentKind::Ruv];
        assert_eq!(
            check_decision(Pending, Eligible, "", &missing, deadline, date(2026, 3, 10)),
            Err(DecisionError::MissingDocuments(vec![DocumentKind::Ruv]))
        );
        assert!(check_decision(Pending, Eligible, "", &[], deadline, date(2026, 3, 10)).is_ok());
        assert_eq!(
            check_decision(Pending, NotEligible, " ", &[], deadline, date(2026, 3, 10)),
            Err(DecisionError::ReasonsRequired)
        );
        assert_eq!(
            check_decision(Pending, Withdrawn, "no trajo", &missing, deadline, deadline),
            Err(DecisionError::WithdrawalNotDue(deadline))
        );
        assert_eq!(
            check_decision(Pending, Withdrawn, "", &missing, deadline, date(2026, 4, 2)),
            Err(DecisionError::ReasonsRequired)
        );
        assert!(
            check_decision(
                Pending,
                Withdrawn,
                "no trajo",
                &missing,
                deadline,
                date(2026, 4, 2)
            )
            .is_ok()
        );
        assert_eq!(
            check_decision(Eligible, NotEligible, "x", &[], deadline, date(2026, 3, 10)),
            Err(DecisionError::AlreadyDecided(Eligible))
        );
        assert!(withdrawal_due(Pending, deadline, date(2026, 4, 2), &missing));
        assert!(!withdrawal_due(Pending, deadline, date(2026, 4, 2), &[]));
        assert!(!withdrawal_due(Withdrawn, deadline, date(2026, 4, 2), &missing));
    }
}
