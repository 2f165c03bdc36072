//! The legal life of the acts (Ley 1437 de 2011, CPACA; migrations 20, 24 and 30).
//!
//! **Signatures.** [`Store::sign_act`] signs an act (the award resolution, the committee's
//! minutes, the decision of an appeal) in one transaction: it draws a verification code,
//! hands the act's facts and the code to the caller's typesetter, and keeps the account, the
//! instant, the SHA-256 of the PDF's exact bytes and the bytes themselves (`acts.pdf`). A
//! typesetter that fails leaves nothing signed. [`Store::public_act`] and
//! [`Store::public_act_by_hash`] answer the public verification page: kind, number, date,
//! signer's name and role, hash, status and firmness date; never a family's data.
//!
//! **Notification, appeals, firmness.** An award is notified to each of its families
//! ([`Store::record_notification`]), a household's not-eligible decision to the household
//! ([`Store::record_verification_notification`]); the appeal window (10 business days, Art.
//! 76) runs from the (last) notification with the process's calendar. One appeal mechanism
//! serves both acts ([`Contested`]): an appeal ([`Store::file_appeal`]) after the window is
//! received and recorded as late; the territorial director decides each appeal by a new act
//! ([`Store::decide_appeal`], numbered `RR-` or `RRV-{year}-{nnnn}` without gaps); revoking a
//! not-eligible decision reopens the household's verification. Firmness
//! (Art. 87) is not stored: [`Store::award_life`] reads it from the records with the caller's
//! "today" (`vereda_domain::acts::Firmness`), and `disburse` asks it inside its transaction.

use jiff::civil::Date;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::accounts::Permission;
use vereda_domain::acts::{self, ActKind, ActStatus, AppealFacts, AppealOutcome, Firmness, NotificationKind};
use vereda_domain::audit::Actor;
use vereda_domain::calendar;

use crate::entity::{
    act, appeal, award, award_notification, committee_session, household, household_verification, project,
    project_beneficiary, user, verification_notification,
};
use crate::scope::{Target, check_may};
use crate::types::{DbDate, DbTimestamp};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt};

/// The longest name, in characters.
pub const NAME_MAX: usize = 200;
/// The longest appeal or reasons, in characters.
pub const TEXT_MAX: usize = 20_000;

/// What the typesetter of an act is handed: the act's facts and its verification code, to
/// print on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActSigning {
    pub kind: ActKind,
    pub subject_id: i32,
    pub number: String,
    pub issued_on: Date,
    pub code: String,
    pub signer_name: String,
    pub signer_role: String,
    pub signed_at: jiff::Timestamp,
}

/// A signed act, without its PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedAct {
    pub id: i32,
    pub kind: ActKind,
    pub subject_id: i32,
    pub number: String,
    pub issued_on: Date,
    pub code: String,
    pub signer_name: String,
    /// The signer's role code at the signature (its words are the catalogue's `role-*`).
    pub signer_role: String,
    pub signed_at: jiff::Timestamp,
    pub sha256: String,
    pub pdf_size: i64,
}

/// What the public verification page shows of an act: no e-mail, no family's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicAct {
    #[serde(flatten)]
    pub act: SignedAct,
    pub status: ActStatus,
    /// The day it is (or will be) firm, when known.
    pub firm_on: Option<Date>,
    /// The last day to appeal, when every family is notified.
    pub appeal_deadline: Option<Date>,
}

/// A notification to record.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub beneficiary_id: i32,
    pub kind: NotificationKind,
    pub recipient_name: String,
    pub notified_on: Date,
    /// For a notice: when the citation to notify in person was sent (at least 5 business days
    /// before).
    pub cited_on: Option<Date>,
    /// For an electronic notification: the family authorised it (Art. 56).
    pub authorised: bool,
}

/// A family of the award and its notification, when recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyNotification {
    pub beneficiary_id: i32,
    pub external_id: String,
    pub kind: Option<NotificationKind>,
    pub recipient_name: Option<String>,
    pub notified_on: Option<Date>,
    pub cited_on: Option<Date>,
    pub effective_on: Option<Date>,
}

/// An appeal to file.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub appellant_name: String,
    pub text: String,
    pub filed_on: Date,
    /// A file kept by the web under its SHA-256: name and hash.
    pub document: Option<(String, String)>,
}

/// The act an appeal contests (stored as `appeals.subject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "subject", rename_all = "snake_case")]
pub enum Contested {
    /// An award resolution (Art. 27 of the regulation).
    Award { award_id: i32 },
    /// A household's not-eligible verification decision (Art. 11, 45-46).
    NotEligible { household_id: i32 },
}

/// `appeals.subject` of an appeal against an award.
pub(crate) const AWARD_SUBJECT: &str = "award";
/// `appeals.subject` of an appeal against a not-eligible decision.
pub(crate) const NOT_ELIGIBLE_SUBJECT: &str = "not_eligible";

impl Contested {
    /// `award` or `not_eligible`, as stored.
    pub fn subject(self) -> &'static str {
        match self {
            Contested::Award { .. } => AWARD_SUBJECT,
            Contested::NotEligible { .. } => NOT_ELIGIBLE_SUBJECT,
        }
    }

    /// The kind of the act that decides an appeal against it.
    pub fn decision_kind(self) -> ActKind {
        match self {
            Contested::Award { .. } => ActKind::AppealDecision,
            Contested::NotEligible { .. } => ActKind::VerificationAppealDecision,
        }
    }

    /// The number of the decision of an appeal against it: `RR-2026-0001` for an award's,
    /// `RRV-2026-0001` for a not-eligible decision's, each its own sequence per year.
    pub fn decision_number(self, year: i32, sequence: i32) -> String {
        let prefix = match self {
            Contested::Award { .. } => "RR",
            Contested::NotEligible { .. } => "RRV",
        };
        format!("{prefix}-{year}-{sequence:04}")
    }
}

/// An appeal as the staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appeal {
    pub id: i32,
    #[serde(flatten)]
    pub contested: Contested,
    pub appellant_name: String,
    pub text: String,
    pub document_name: Option<String>,
    pub document_sha256: Option<String>,
    pub filed_on: Date,
    pub late: bool,
    pub outcome: Option<AppealOutcome>,
    pub decision_reasons: Option<String>,
    pub decided_on: Option<Date>,
    pub decided_by: Option<i32>,
    pub decision_number: Option<String>,
}

/// The decision of an appeal.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub outcome: AppealOutcome,
    pub reasons: String,
    pub decided_on: Date,
}

/// An award's legal life on a day: its notifications, appeals and firmness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardLife {
    pub award_id: i32,
    pub formulation_id: i32,
    pub number: String,
    pub awarded_on: Date,
    pub families: Vec<FamilyNotification>,
    pub appeals: Vec<Appeal>,
    pub last_notification: Option<Date>,
    pub appeal_deadline: Option<Date>,
    pub firm_on: Option<Date>,
    pub status: ActStatus,
}

/// The notification of a not-eligible verification decision to its household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdNotification {
    pub kind: NotificationKind,
    pub recipient_name: String,
    pub notified_on: Date,
    pub cited_on: Option<Date>,
    pub effective_on: Date,
}

/// A household's not-eligible verification decision on a day: its notification, the appeals
/// against it and its firmness (the same rules as an award's, Art. 67-69, 74, 76, 87).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationLife {
    pub household_id: i32,
    pub external_id: String,
    /// The day of the decision, in Colombia.
    pub decided_on: Date,
    pub notification: Option<HouseholdNotification>,
    pub appeals: Vec<Appeal>,
    pub appeal_deadline: Option<Date>,
    pub firm_on: Option<Date>,
    pub status: ActStatus,
}

impl Store {
    /// Signs an act: `typeset` receives its facts and verification code and answers the PDF's
    /// bytes; their SHA-256, the bytes, the account and the instant are kept in the same
    /// transaction. The act must exist (the award, the final minutes, the decided appeal)
    /// and not be signed already; a typesetter's refusal (its message) leaves nothing signed.
    pub async fn sign_act<F>(
        &self,
        actor: &Actor,
        kind: ActKind,
        subject_id: i32,
        typeset: F,
    ) -> StoreResult<SignedAct>
    where
        F: FnOnce(&ActSigning) -> Result<Vec<u8>, Message>,
    {
        let Some(user_id) = actor.user_id() else {
            return Err(StoreError::Forbidden(Message::new(
                "procedure-error-account_signs",
            )));
        };
        let txn = self.write_transaction().await?;
        let (number, issued_on) = match kind {
            ActKind::Award => {
                let row = award::Entity::find_by_id(subject_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| not_found("award", subject_id))?;
                check_may(
                    &txn,
                    actor,
                    Permission::AwardCofinancing,
                    Target::Formulation(row.formulation_id),
                )
                .await?;
                (row.number, row.awarded_on.0)
            }
            ActKind::AppealDecision | ActKind::VerificationAppealDecision => {
                let row = appeal::Entity::find_by_id(subject_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| not_found("appeal", subject_id))?;
                let contested = contested_of(&row)?;
                if contested.decision_kind() != kind {
                    return Err(not_found("appeal", subject_id));
                }
                check_may(
                    &txn,
                    actor,
                    Permission::AwardCofinancing,
                    target_of(&txn, contested).await?,
                )
                .await?;
                match (row.decision_number, row.decided_on) {
                    (Some(number), Some(on)) => (number, on.0),
                    _ => {
                        return Err(StoreError::Conflict(
                            Message::new("acts-error-undecided").with("appeal", subject_id),
                        ));
                    }
                }
            }
            ActKind::Minutes => {
                let minutes = crate::procedure::minutes_in(&txn, subject_id).await?;
                if !minutes.is_final() {
                    return Err(StoreError::Conflict(
                        Message::new("procedure-error-minutes_not_drawn_up").with("session", subject_id),
                    ));
                }
                if !minutes.attendees.iter().any(|a| a.user_id == user_id) {
                    return Err(StoreError::Forbidden(
                        Message::new("procedure-error-not_attending_sign").with("session", subject_id),
                    ));
                }
                let session = committee_session::Entity::find_by_id(subject_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| not_found("committee_session", subject_id))?;
                (subject_id.to_string(), session.held_on.0)
            }
        };
        if act::Entity::find()
            .filter(act::Column::Kind.eq(kind.as_str()))
            .filter(act::Column::SubjectId.eq(subject_id))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(
                Message::new("acts-error-already_signed").with("number", number),
            ));
        }
        let signer = user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found("account", user_id))?;
        let signed_at = DbTimestamp::now();
        let signing = ActSigning {
            kind,
            subject_id,
            number: number.clone(),
            issued_on,
            code: new_code(),
            signer_name: signer.display_name.clone(),
            signer_role: signer.role.clone(),
            signed_at: signed_at.0,
        };
        let pdf = typeset(&signing).map_err(StoreError::Invalid)?;
        let sha256 = crate::formulations::hex_sha256(&pdf);
        let saved = audit::insert(
            &txn,
            actor,
            act::ActiveModel {
                kind: Set(kind.as_str().to_owned()),
                subject_id: Set(subject_id),
                number: Set(number),
                issued_on: Set(DbDate(issued_on)),
                code: Set(signing.code.clone()),
                signed_by: Set(Some(user_id)),
                signer_name: Set(signing.signer_name.clone()),
                signer_role: Set(signing.signer_role.clone()),
                signed_at: Set(signed_at),
                sha256: Set(sha256),
                pdf_size: Set(i64::try_from(pdf.len()).unwrap_or(i64::MAX)),
                pdf: Set(pdf),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        signed(saved)
    }

    /// The signature of an act, if signed.
    pub async fn signed_act(&self, kind: ActKind, subject_id: i32) -> StoreResult<Option<SignedAct>> {
        act::Entity::find()
            .filter(act::Column::Kind.eq(kind.as_str()))
            .filter(act::Column::SubjectId.eq(subject_id))
            .one(&self.db)
            .await?
            .map(signed)
            .transpose()
    }

    /// The exact PDF that was signed.
    pub async fn signed_pdf(&self, kind: ActKind, subject_id: i32) -> StoreResult<Option<Vec<u8>>> {
        Ok(act::Entity::find()
            .filter(act::Column::Kind.eq(kind.as_str()))
            .filter(act::Column::SubjectId.eq(subject_id))
            .one(&self.db)
            .await?
            .map(|row| row.pdf))
    }

    /// The act with this verification code (as typed: normalised), with its status on `today`.
    pub async fn public_act(&self, code: &str, today: Date) -> StoreResult<Option<PublicAct>> {
        let Some(code) = acts::normalise_code(code) else {
            return Ok(None);
        };
        let row = act::Entity::find()
            .filter(act::Column::Code.eq(code))
            .one(&self.db)
            .await?;
        self.public_of(row, today).await
    }

    /// The act whose PDF has this SHA-256, with its status on `today`.
    pub async fn public_act_by_hash(&self, sha256: &str, today: Date) -> StoreResult<Option<PublicAct>> {
        let row = act::Entity::find()
            .filter(act::Column::Sha256.eq(sha256.to_ascii_lowercase()))
            .order_by_asc(act::Column::Id)
            .one(&self.db)
            .await?;
        self.public_of(row, today).await
    }

    async fn public_of(&self, row: Option<act::Model>, today: Date) -> StoreResult<Option<PublicAct>> {
        let Some(row) = row else {
            return Ok(None);
        };
        let act = signed(row)?;
        let (status, firm_on, appeal_deadline) = match act.kind {
            ActKind::Award => {
                let firmness = firmness_in(&self.db, act.subject_id).await?;
                (firmness.status(today), firmness.firm_on, firmness.appeal_deadline)
            }
            // The decision of a reposición ends the administrative way: firm from the day after
            // it (Art. 87.2).
            ActKind::AppealDecision | ActKind::VerificationAppealDecision => {
                let firm_on = act.issued_on.tomorrow().ok();
                let status = if firm_on.is_some_and(|on| on <= today) {
                    ActStatus::Firm
                } else {
                    ActStatus::InForce
                };
                (status, firm_on, None)
            }
            ActKind::Minutes => (ActStatus::InForce, None, None),
        };
        Ok(Some(PublicAct {
            act,
            status,
            firm_on,
            appeal_deadline,
        }))
    }

    /// An award's notifications, appeals and firmness on `today`.
    pub async fn award_life(&self, formulation_id: i32, today: Date) -> StoreResult<Option<AwardLife>> {
        let Some(row) = award::Entity::find()
            .filter(award::Column::FormulationId.eq(formulation_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let families = families_of(&self.db, &row).await?;
        let appeals = appeals_of(&self.db, Contested::Award { award_id: row.id }, None).await?;
        let firmness = firmness_of(last_notification(&families), &appeals)?;
        Ok(Some(AwardLife {
            award_id: row.id,
            formulation_id,
            number: row.number,
            awarded_on: row.awarded_on.0,
            last_notification: last_notification(&families),
            families,
            appeals,
            appeal_deadline: firmness.appeal_deadline,
            firm_on: firmness.firm_on,
            status: firmness.status(today),
        }))
    }

    /// Records the notification of an award to one of its families (Art. 56, 67-69): once per
    /// family; electronic only where authorised; a notice only 5 business days after the
    /// citation. Not before the award.
    pub async fn record_notification(
        &self,
        actor: &Actor,
        award_id: i32,
        new: NewNotification,
    ) -> StoreResult<FamilyNotification> {
        let txn = self.write_transaction().await?;
        let row = award_row(&txn, award_id).await?;
        check_may(
            &txn,
            actor,
            Permission::NotifyActs,
            Target::Formulation(row.formulation_id),
        )
        .await?;
        let families = families_of(&txn, &row).await?;
        let family = families
            .iter()
            .find(|f| f.beneficiary_id == new.beneficiary_id)
            .ok_or_else(|| not_found("beneficiary", new.beneficiary_id))?;
        let already = || {
            StoreError::Conflict(
                Message::new("acts-error-already_notified").with("family", &family.external_id),
            )
        };
        if family.kind.is_some() {
            return Err(already());
        }
        let checked = checked_notification(&new, row.awarded_on.0)?;
        audit::insert(
            &txn,
            actor,
            award_notification::ActiveModel {
                award_id: Set(award_id),
                beneficiary_id: Set(new.beneficiary_id),
                kind: Set(new.kind.as_str().to_owned()),
                recipient_name: Set(checked.recipient_name.clone()),
                notified_on: Set(DbDate(new.notified_on)),
                cited_on: Set(checked.cited_on.map(DbDate)),
                effective_on: Set(DbDate(checked.effective_on)),
                recorded_by: Set(actor.user_id().unwrap_or_default()),
                recorded_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await
        .map_err(crate::on_duplicate(already))?;
        txn.commit().await?;
        Ok(FamilyNotification {
            beneficiary_id: new.beneficiary_id,
            external_id: family.external_id.clone(),
            kind: Some(checked.kind),
            recipient_name: Some(checked.recipient_name),
            notified_on: Some(checked.notified_on),
            cited_on: checked.cited_on,
            effective_on: Some(checked.effective_on),
        })
    }

    /// Receives a recurso de reposición (Art. 74, 76) against an award or a household's
    /// not-eligible decision, within the office's reach, not before the act. One filed after
    /// the window (or before the act is notified: never late then) is received and recorded as
    /// late, never refused.
    pub async fn file_appeal(
        &self,
        actor: &Actor,
        contested: Contested,
        new: NewAppeal,
    ) -> StoreResult<Appeal> {
        let name = bounded(&new.appellant_name, NAME_MAX, "acts-field-appellant_name")?;
        let text = bounded(&new.text, TEXT_MAX, "acts-field-appeal_text")?;
        let txn = self.write_transaction().await?;
        check_may(
            &txn,
            actor,
            Permission::NotifyActs,
            target_of(&txn, contested).await?,
        )
        .await?;
        let act = contested_act(&txn, contested).await?;
        if new.filed_on < act.issued_on {
            return Err(StoreError::Invalid(
                Message::new("acts-error-appeal_before_act")
                    .with("date", act.issued_on)
                    .with("field", "filed_on"),
            ));
        }
        let deadline = match act.notified {
            Some(on) => Some(
                acts::appeal_deadline(on, calendar::current())
                    .map_err(|e| StoreError::Invalid(e.message()))?,
            ),
            None => None,
        };
        let late = acts::is_late(new.filed_on, deadline);
        let (document_name, document_sha256) = new.document.map_or((None, None), |(n, h)| (Some(n), Some(h)));
        let (award_id, household_id) = match contested {
            Contested::Award { award_id } => (Some(award_id), None),
            Contested::NotEligible { household_id } => (None, Some(household_id)),
        };
        let saved = audit::insert(
            &txn,
            actor,
            appeal::ActiveModel {
                subject: Set(contested.subject().to_owned()),
                award_id: Set(award_id),
                household_id: Set(household_id),
                contested_at: Set(act.contested_at),
                appellant_name: Set(name),
                appeal_text: Set(text),
                document_name: Set(document_name),
                document_sha256: Set(document_sha256),
                filed_on: Set(DbDate(new.filed_on)),
                filed_at: Set(DbTimestamp::now()),
                late: Set(late),
                recorded_by: Set(actor.user_id().unwrap_or_default()),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        if late {
            tracing::info!(
                appeal = saved.id,
                subject = contested.subject(),
                "appeal received late"
            );
        }
        appeal_of(saved)
    }

    /// Decides an appeal by a new act (Art. 80): confirms, modifies or revokes the act it
    /// contests, with its reasons, numbered per kind of act (`RR-` or `RRV-{year}-{nnnn}`, the
    /// year's next, no gaps). The territorial director who may award decides (Art. 74.1: before
    /// whom issued the act), within the office's reach. Once. Revoking a not-eligible decision
    /// reopens the household's verification in the same transaction (invariant 16).
    pub async fn decide_appeal(
        &self,
        actor: &Actor,
        appeal_id: i32,
        new: NewDecision,
    ) -> StoreResult<Appeal> {
        let reasons = bounded(&new.reasons, TEXT_MAX, "acts-field-decision_reasons")?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_decide(actor, appeal_id, &new, &reasons).await {
                Err(StoreError::Database(e)) if crate::procedure::retryable(&e) && attempt < 8 => {
                    tokio::task::yield_now().await;
                }
                other => return other,
            }
        }
    }

    async fn try_decide(
        &self,
        actor: &Actor,
        appeal_id: i32,
        new: &NewDecision,
        reasons: &str,
    ) -> StoreResult<Appeal> {
        let txn = self.write_transaction().await?;
        let before = appeal::Entity::find_by_id(appeal_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found("appeal", appeal_id))?;
        let contested = contested_of(&before)?;
        check_may(
            &txn,
            actor,
            Permission::AwardCofinancing,
            target_of(&txn, contested).await?,
        )
        .await?;
        if before.outcome.is_some() {
            return Err(StoreError::Conflict(
                Message::new("acts-error-already_decided")
                    .with("number", before.decision_number.unwrap_or_default()),
            ));
        }
        if new.decided_on < before.filed_on.0 {
            return Err(StoreError::Invalid(
                Message::new("acts-error-decided_before_filed")
                    .with("date", before.filed_on.0)
                    .with("field", "decided_on"),
            ));
        }
        let year = i32::from(new.decided_on.year());
        crate::procedure::lock_number_series(&txn, &format!("appeal {} {year}", contested.subject())).await?;
        let last = appeal::Entity::find()
            .filter(appeal::Column::Subject.eq(contested.subject()))
            .filter(appeal::Column::DecisionYear.eq(year))
            .order_by_desc(appeal::Column::DecisionSequence)
            .one(&txn)
            .await?
            .and_then(|a| a.decision_sequence)
            .unwrap_or(0);
        let sequence = last + 1;
        let mut active: appeal::ActiveModel = before.clone().into();
        active.outcome = Set(Some(new.outcome.as_str().to_owned()));
        active.decision_reasons = Set(Some(reasons.to_owned()));
        active.decided_on = Set(Some(DbDate(new.decided_on)));
        active.decided_by = Set(actor.user_id());
        active.decision_year = Set(Some(year));
        active.decision_sequence = Set(Some(sequence));
        active.decision_number = Set(Some(contested.decision_number(year, sequence)));
        let saved = audit::update(&txn, actor, &before, active).await?;
        if let (Contested::NotEligible { household_id }, AppealOutcome::Revokes) = (contested, new.outcome) {
            reopen_verification(&txn, actor, household_id, before.contested_at).await?;
        }
        txn.commit().await?;
        appeal_of(saved)
    }

    /// The appeals against an act, in filing order (a household's: against its current
    /// not-eligible decision).
    pub async fn appeals(&self, contested: Contested) -> StoreResult<Vec<Appeal>> {
        let contested_at = match contested {
            Contested::Award { .. } => None,
            Contested::NotEligible { household_id } => {
                let Some(refusal) = refusal_of(&self.db, household_id).await? else {
                    return Ok(Vec::new());
                };
                Some(refusal.decided_at)
            }
        };
        appeals_of(&self.db, contested, contested_at).await
    }

    /// An appeal, by its id.
    pub async fn appeal(&self, appeal_id: i32) -> StoreResult<Option<Appeal>> {
        appeal::Entity::find_by_id(appeal_id)
            .one(&self.db)
            .await?
            .map(appeal_of)
            .transpose()
    }
}

/// The not-eligible verification decisions' legal life: the same steps as an award's, for one
/// household (Ley 1437 de 2011, art. 67-69, 74, 76, 87).
impl Store {
    /// A household's not-eligible decision with its notification, appeals and firmness on
    /// `today`; `None` when its verification is not a decided "not eligible".
    pub async fn verification_life(
        &self,
        household_id: i32,
        today: Date,
    ) -> StoreResult<Option<VerificationLife>> {
        let Some(refusal) = refusal_of(&self.db, household_id).await? else {
            return Ok(None);
        };
        let notification = household_notification(&self.db, household_id, refusal.decided_at).await?;
        let appeals = appeals_of(
            &self.db,
            Contested::NotEligible { household_id },
            Some(refusal.decided_at),
        )
        .await?;
        let firmness = firmness_of(notification.as_ref().map(|n| n.effective_on), &appeals)?;
        Ok(Some(VerificationLife {
            household_id,
            external_id: refusal.external_id,
            decided_on: refusal.decided_on,
            notification,
            appeals,
            appeal_deadline: firmness.appeal_deadline,
            firm_on: firmness.firm_on,
            status: firmness.status(today),
        }))
    }

    /// Records the notification of a household's not-eligible decision (Art. 56, 67-69): only
    /// of a decided "not eligible", once per decision, not before it, with the same checks as
    /// an award's notification. `new.beneficiary_id` is not read.
    pub async fn record_verification_notification(
        &self,
        actor: &Actor,
        household_id: i32,
        new: NewNotification,
    ) -> StoreResult<HouseholdNotification> {
        let txn = self.write_transaction().await?;
        check_may(
            &txn,
            actor,
            Permission::NotifyActs,
            Target::Household(household_id),
        )
        .await?;
        let refusal = refusal_of(&txn, household_id).await?.ok_or_else(not_refused)?;
        let already = || {
            StoreError::Conflict(
                Message::new("acts-error-already_notified").with("family", &refusal.external_id),
            )
        };
        if household_notification(&txn, household_id, refusal.decided_at)
            .await?
            .is_some()
        {
            return Err(already());
        }
        let checked = checked_notification(&new, refusal.decided_on)?;
        audit::insert(
            &txn,
            actor,
            verification_notification::ActiveModel {
                household_id: Set(household_id),
                decision_at: Set(Some(refusal.decided_at)),
                kind: Set(new.kind.as_str().to_owned()),
                recipient_name: Set(checked.recipient_name.clone()),
                notified_on: Set(DbDate(new.notified_on)),
                cited_on: Set(checked.cited_on.map(DbDate)),
                effective_on: Set(DbDate(checked.effective_on)),
                recorded_by: Set(actor.user_id().unwrap_or_default()),
                recorded_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await
        .map_err(crate::on_duplicate(already))?;
        txn.commit().await?;
        Ok(HouseholdNotification {
            kind: checked.kind,
            recipient_name: checked.recipient_name,
            notified_on: checked.notified_on,
            cited_on: checked.cited_on,
            effective_on: checked.effective_on,
        })
    }
}

fn not_refused() -> StoreError {
    StoreError::Conflict(
        Message::new("acts-error-not_refused").with("article", "Ley 1437 de 2011, art. 67, 74"),
    )
}

/// A household's current not-eligible decision.
struct Refusal {
    external_id: String,
    /// The day of the decision, in Colombia.
    decided_on: Date,
    decided_at: DbTimestamp,
}

/// A household's current verification decision when it is "not eligible".
async fn refusal_of<C: ConnectionTrait>(conn: &C, household_id: i32) -> StoreResult<Option<Refusal>> {
    let Some(verification) = household_verification::Entity::find()
        .filter(household_verification::Column::HouseholdId.eq(household_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let refused =
        verification.status == vereda_domain::verification::VerificationStatus::NotEligible.as_str();
    let (true, Some(decided_at)) = (refused, verification.decided_at) else {
        return Ok(None);
    };
    let row = household::Entity::find_by_id(household_id)
        .one(conn)
        .await?
        .ok_or_else(|| not_found("household", household_id))?;
    Ok(Some(Refusal {
        external_id: row.external_id,
        decided_on: calendar::date_in_colombia(decided_at.0),
        decided_at,
    }))
}

/// A revoked not-eligible decision no longer stands: the household's verification is pending
/// again, for the office to decide anew (Ley 1437 de 2011, art. 80). Only the decision the
/// appeal contested is reopened, never a later one.
async fn reopen_verification(
    conn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    household_id: i32,
    contested_at: Option<DbTimestamp>,
) -> StoreResult<()> {
    let Some(before) = household_verification::Entity::find()
        .filter(household_verification::Column::HouseholdId.eq(household_id))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let current = before.status == vereda_domain::verification::VerificationStatus::NotEligible.as_str()
        && before.decided_at.is_some()
        && before.decided_at == contested_at;
    if !current {
        return Ok(());
    }
    let mut active: household_verification::ActiveModel = before.clone().into();
    active.status = Set(vereda_domain::verification::VerificationStatus::Pending
        .as_str()
        .to_owned());
    active.reasons = Set(None);
    active.reason_codes = Set(String::new());
    active.decided_by = Set(None);
    active.decided_at = Set(None);
    active.lock_version = Set(before.lock_version + 1);
    audit::update(conn, actor, &before, active).await?;
    crate::verification::keep_household_status(
        conn,
        household_id,
        vereda_domain::verification::VerificationStatus::Pending,
    )
    .await?;
    Ok(())
}

/// The notification of a household's decision `decision_at`, when recorded.
async fn household_notification<C: ConnectionTrait>(
    conn: &C,
    household_id: i32,
    decision_at: DbTimestamp,
) -> StoreResult<Option<HouseholdNotification>> {
    verification_notification::Entity::find()
        .filter(verification_notification::Column::HouseholdId.eq(household_id))
        .filter(verification_notification::Column::DecisionAt.eq(decision_at))
        .one(conn)
        .await?
        .map(|n| {
            Ok(HouseholdNotification {
                kind: n
                    .kind
                    .parse::<NotificationKind>()
                    .map_err(|e| corrupt("verification_notification", n.id, e))?,
                recipient_name: n.recipient_name,
                notified_on: n.notified_on.0,
                cited_on: n.cited_on.map(|d| d.0),
                effective_on: n.effective_on.0,
            })
        })
        .transpose()
}

/// What the filing of an appeal needs of the act it contests.
struct ContestedAct {
    /// The act's date.
    issued_on: Date,
    /// The day its notification took effect (an award's: its last family's), from which the
    /// window runs; `None` until notified.
    notified: Option<Date>,
    /// The instant of a not-eligible decision.
    contested_at: Option<DbTimestamp>,
}

/// Whose reach the act is in: an award's formulation, or the household.
async fn target_of<C: ConnectionTrait>(conn: &C, contested: Contested) -> StoreResult<Target> {
    Ok(match contested {
        Contested::Award { award_id } => Target::Formulation(award_row(conn, award_id).await?.formulation_id),
        Contested::NotEligible { household_id } => Target::Household(household_id),
    })
}

async fn contested_act<C: ConnectionTrait>(conn: &C, contested: Contested) -> StoreResult<ContestedAct> {
    match contested {
        Contested::Award { award_id } => {
            let row = award_row(conn, award_id).await?;
            let families = families_of(conn, &row).await?;
            Ok(ContestedAct {
                issued_on: row.awarded_on.0,
                notified: last_notification(&families),
                contested_at: None,
            })
        }
        Contested::NotEligible { household_id } => {
            let refusal = refusal_of(conn, household_id).await?.ok_or_else(not_refused)?;
            let notified = household_notification(conn, household_id, refusal.decided_at)
                .await?
                .map(|n| n.effective_on);
            Ok(ContestedAct {
                issued_on: refusal.decided_on,
                notified,
                contested_at: Some(refusal.decided_at),
            })
        }
    }
}

/// A notification that meets every rule, ready to keep.
struct CheckedNotification {
    kind: NotificationKind,
    recipient_name: String,
    notified_on: Date,
    cited_on: Option<Date>,
    effective_on: Date,
}

/// What every notification must meet (Art. 56, 67-69), whatever act it notifies: a recipient;
/// not before the act; electronic only where the person authorised it; a notice only 5
/// business days after the citation (whose day is kept for a notice only).
fn checked_notification(new: &NewNotification, act_date: Date) -> StoreResult<CheckedNotification> {
    let recipient_name = bounded(&new.recipient_name, NAME_MAX, "acts-field-recipient_name")?;
    if new.notified_on < act_date {
        return Err(StoreError::Invalid(
            Message::new("acts-error-notified_before_act")
                .with("date", act_date)
                .with("field", "notified_on"),
        ));
    }
    let cited_on = match new.kind {
        NotificationKind::Electronic if !new.authorised => {
            return Err(StoreError::Invalid(
                Message::new("acts-error-electronic_not_authorised")
                    .with("article", "Ley 1437 de 2011, art. 56")
                    .with("field", "authorised"),
            ));
        }
        NotificationKind::Notice => {
            let Some(cited) = new.cited_on else {
                return Err(StoreError::Invalid(
                    Message::new("acts-error-notice_citation")
                        .with("article", "Ley 1437 de 2011, art. 68-69")
                        .with("field", "cited_on"),
                ));
            };
            let from = acts::notice_from(cited, calendar::current())
                .map_err(|e| StoreError::Invalid(e.message()))?;
            if new.notified_on < from {
                return Err(StoreError::Invalid(
                    Message::new("acts-error-notice_early")
                        .with("date", from)
                        .with("article", "Ley 1437 de 2011, art. 68-69")
                        .with("field", "notified_on"),
                ));
            }
            Some(cited)
        }
        _ => None,
    };
    Ok(CheckedNotification {
        kind: new.kind,
        recipient_name,
        notified_on: new.notified_on,
        cited_on,
        effective_on: acts::effective_notification(new.kind, new.notified_on),
    })
}

/// Whether the award of a formulation is firm on `on`, inside a transaction; the refusal of a
/// payment otherwise (CPACA Art. 87), saying from when it will be firm when known.
pub(crate) async fn check_firm<C: ConnectionTrait>(conn: &C, award_id: i32, on: Date) -> StoreResult<()> {
    let firmness = firmness_in(conn, award_id).await?;
    if firmness.is_firm(on) {
        return Ok(());
    }
    let message = if firmness.revoked {
        Message::new("acts-error-revoked").with("article", acts::FIRMNESS_ARTICLE)
    } else if let Some(firm_on) = firmness.firm_on {
        Message::new("acts-error-not_firm_until")
            .with("date", firm_on)
            .with("article", acts::FIRMNESS_ARTICLE)
    } else if firmness.appealed {
        Message::new("acts-error-not_firm_appealed").with("article", acts::FIRMNESS_ARTICLE)
    } else {
        Message::new("acts-error-not_firm_unnotified").with("article", acts::FIRMNESS_ARTICLE)
    };
    Err(StoreError::Conflict(message))
}

async fn firmness_in<C: ConnectionTrait>(conn: &C, award_id: i32) -> StoreResult<Firmness> {
    let row = award_row(conn, award_id).await?;
    let families = families_of(conn, &row).await?;
    let appeals = appeals_of(conn, Contested::Award { award_id }, None).await?;
    firmness_of(last_notification(&families), &appeals)
}

/// An act's firmness from the day its notification took effect and its appeals (Art. 87).
fn firmness_of(notified: Option<Date>, appeals: &[Appeal]) -> StoreResult<Firmness> {
    let facts: Vec<AppealFacts> = appeals
        .iter()
        .map(|a| AppealFacts {
            filed_on: a.filed_on,
            late: a.late,
            outcome: a.outcome,
            decided_on: a.decided_on,
        })
        .collect();
    Firmness::of(notified, &facts, calendar::current()).map_err(|e| StoreError::Invalid(e.message()))
}

/// The last effective notification, once every family is notified.
fn last_notification(families: &[FamilyNotification]) -> Option<Date> {
    if families.is_empty() || families.iter().any(|f| f.effective_on.is_none()) {
        return None;
    }
    families.iter().filter_map(|f| f.effective_on).max()
}

async fn award_row<C: ConnectionTrait>(conn: &C, award_id: i32) -> StoreResult<award::Model> {
    award::Entity::find_by_id(award_id)
        .one(conn)
        .await?
        .ok_or_else(|| not_found("award", award_id))
}

/// The award's families (the project's beneficiaries) with their notifications.
async fn families_of<C: ConnectionTrait>(
    conn: &C,
    award: &award::Model,
) -> StoreResult<Vec<FamilyNotification>> {
    let Some(project) = project::Entity::find()
        .filter(project::Column::AwardId.eq(award.id))
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let beneficiaries = project_beneficiary::Entity::find()
        .filter(project_beneficiary::Column::ProjectId.eq(project.id))
        .order_by_asc(project_beneficiary::Column::Id)
        .all(conn)
        .await?;
    let notifications = award_notification::Entity::find()
        .filter(award_notification::Column::AwardId.eq(award.id))
        .all(conn)
        .await?;
    beneficiaries
        .into_iter()
        .map(|b| -> StoreResult<FamilyNotification> {
            let found = notifications.iter().find(|n| n.beneficiary_id == b.id);
            let kind = found
                .map(|n| {
                    n.kind
                        .parse::<NotificationKind>()
                        .map_err(|e| corrupt("award_notification", n.id, e))
                })
                .transpose()?;
            Ok(FamilyNotification {
                beneficiary_id: b.id,
                external_id: b.external_id,
                kind,
                recipient_name: found.map(|n| n.recipient_name.clone()),
                notified_on: found.map(|n| n.notified_on.0),
                cited_on: found.and_then(|n| n.cited_on.map(|d| d.0)),
                effective_on: found.map(|n| n.effective_on.0),
            })
        })
        .collect()
}

/// The appeals against an act, in filing order; a household's against its decision of
/// `contested_at` only.
async fn appeals_of<C: ConnectionTrait>(
    conn: &C,
    contested: Contested,
    contested_at: Option<DbTimestamp>,
) -> StoreResult<Vec<Appeal>> {
    let query = match contested {
        Contested::Award { award_id } => appeal::Entity::find().filter(appeal::Column::AwardId.eq(award_id)),
        Contested::NotEligible { household_id } => appeal::Entity::find()
            .filter(appeal::Column::HouseholdId.eq(household_id))
            .filter(appeal::Column::ContestedAt.eq(contested_at)),
    };
    query
        .filter(appeal::Column::Subject.eq(contested.subject()))
        .order_by_asc(appeal::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(appeal_of)
        .collect()
}

/// The act a stored appeal contests.
fn contested_of(row: &appeal::Model) -> StoreResult<Contested> {
    match (row.subject.as_str(), row.award_id, row.household_id) {
        (AWARD_SUBJECT, Some(award_id), _) => Ok(Contested::Award { award_id }),
        (NOT_ELIGIBLE_SUBJECT, _, Some(household_id)) => Ok(Contested::NotEligible { household_id }),
        (subject, ..) => Err(corrupt("appeal", row.id, format!("subject {subject}"))),
    }
}

fn appeal_of(row: appeal::Model) -> StoreResult<Appeal> {
    let contested = contested_of(&row)?;
    let outcome = row
        .outcome
        .as_deref()
        .map(|o| {
            o.parse::<AppealOutcome>()
                .map_err(|e| corrupt("appeal", row.id, e))
        })
        .transpose()?;
    Ok(Appeal {
        id: row.id,
        contested,
        appellant_name: row.appellant_name,
        text: row.appeal_text,
        document_name: row.document_name,
        document_sha256: row.document_sha256,
        filed_on: row.filed_on.0,
        late: row.late,
        outcome,
        decision_reasons: row.decision_reasons,
        decided_on: row.decided_on.map(|d| d.0),
        decided_by: row.decided_by,
        decision_number: row.decision_number,
    })
}

fn signed(row: act::Model) -> StoreResult<SignedAct> {
    Ok(SignedAct {
        kind: row.kind.parse().map_err(|e| corrupt("act", row.id, e))?,
        id: row.id,
        subject_id: row.subject_id,
        number: row.number,
        issued_on: row.issued_on.0,
        code: row.code,
        signer_name: row.signer_name,
        signer_role: row.signer_role,
        signed_at: row.signed_at.0,
        sha256: row.sha256,
        pdf_size: row.pdf_size,
    })
}

fn not_found(entity: &'static str, id: i32) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// A required text, trimmed, at most `max` characters.
fn bounded(text: &str, max: usize, field: &'static str) -> StoreResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(
            Message::new("procedure-error-required").with_term("field", field),
        ));
    }
    if text.chars().count() > max {
        return Err(StoreError::Invalid(
            Message::new("acts-error-too_long")
                .with_term("field", field)
                .with("max", max),
        ));
    }
    Ok(text.to_owned())
}

/// A verification code from the system's random source.
fn new_code() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut buffer = [0u8; 7];
    OsRng.fill_bytes(&mut buffer);
    acts::verification_code(&buffer)
}
