//! The legal life of the acts (Ley 1437 de 2011, CPACA; migration 20).
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
//! ([`Store::record_notification`]); the appeal window (10 business days, Art. 76) runs from
//! the last notification with the process's calendar; an appeal ([`Store::file_appeal`]) after
//! the window is received and recorded as late; the territorial director decides each appeal
//! by a new act ([`Store::decide_appeal`], numbered `RR-{year}-{nnnn}` without gaps). Firmness
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
    project_beneficiary, user, verification_appeal, verification_notification,
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

/// An appeal as the staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appeal {
    pub id: i32,
    pub award_id: i32,
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

/// An appeal against a not-eligible verification decision, as the staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationAppeal {
    pub id: i32,
    pub household_id: i32,
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

/// A household's not-eligible verification decision on a day: its notification, the appeals
/// against it and its firmness (the same rules as an award's, Art. 67-69, 74, 76, 87).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationLife {
    pub household_id: i32,
    pub external_id: String,
    /// The day of the decision, in Colombia.
    pub decided_on: Date,
    pub notification: Option<HouseholdNotification>,
    pub appeals: Vec<VerificationAppeal>,
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
            ActKind::AppealDecision => {
                let row = appeal::Entity::find_by_id(subject_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| not_found("appeal", subject_id))?;
                let award = award_row(&txn, row.award_id).await?;
                check_may(
                    &txn,
                    actor,
                    Permission::AwardCofinancing,
                    Target::Formulation(award.formulation_id),
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
            ActKind::VerificationAppealDecision => {
                let row = verification_appeal::Entity::find_by_id(subject_id)
                    .one(&txn)
                    .await?
                    .ok_or_else(|| not_found("verification appeal", subject_id))?;
                check_may(
                    &txn,
                    actor,
                    Permission::AwardCofinancing,
                    Target::Household(row.household_id),
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
        let appeals = appeals_of(&self.db, row.id).await?;
        let firmness = firmness_of(&families, &appeals)?;
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
        let recipient = bounded(&new.recipient_name, NAME_MAX, "acts-field-recipient_name")?;
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
        if family.kind.is_some() {
            return Err(StoreError::Conflict(
                Message::new("acts-error-already_notified").with("family", &family.external_id),
            ));
        }
        if new.notified_on < row.awarded_on.0 {
            return Err(StoreError::Invalid(
                Message::new("acts-error-notified_before_act")
                    .with("date", row.awarded_on.0)
                    .with("field", "notified_on"),
            ));
        }
        let cited_on = check_notification(new.kind, new.authorised, new.cited_on, new.notified_on)?;
        let effective = acts::effective_notification(new.kind, new.notified_on);
        audit::insert(
            &txn,
            actor,
            award_notification::ActiveModel {
                award_id: Set(award_id),
                beneficiary_id: Set(new.beneficiary_id),
                kind: Set(new.kind.as_str().to_owned()),
                recipient_name: Set(recipient.clone()),
                notified_on: Set(DbDate(new.notified_on)),
                cited_on: Set(cited_on),
                effective_on: Set(DbDate(effective)),
                recorded_by: Set(actor.user_id().unwrap_or_default()),
                recorded_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await
        .map_err(crate::on_duplicate(|| {
            StoreError::Conflict(
                Message::new("acts-error-already_notified").with("family", &family.external_id),
            )
        }))?;
        txn.commit().await?;
        Ok(FamilyNotification {
            beneficiary_id: new.beneficiary_id,
            external_id: family.external_id.clone(),
            kind: Some(new.kind),
            recipient_name: Some(recipient),
            notified_on: Some(new.notified_on),
            cited_on: new.cited_on.filter(|_| new.kind == NotificationKind::Notice),
            effective_on: Some(effective),
        })
    }

    /// Receives a recurso de reposición against an award (Art. 74, 76). One filed after the
    /// window (or before every family is notified: never late then) is received and recorded
    /// as late, never refused.
    pub async fn file_appeal(&self, actor: &Actor, award_id: i32, new: NewAppeal) -> StoreResult<Appeal> {
        let name = bounded(&new.appellant_name, NAME_MAX, "acts-field-appellant_name")?;
        let text = bounded(&new.text, TEXT_MAX, "acts-field-appeal_text")?;
        let txn = self.write_transaction().await?;
        let row = award_row(&txn, award_id).await?;
        check_may(
            &txn,
            actor,
            Permission::NotifyActs,
            Target::Formulation(row.formulation_id),
        )
        .await?;
        if new.filed_on < row.awarded_on.0 {
            return Err(StoreError::Invalid(
                Message::new("acts-error-appeal_before_act")
                    .with("date", row.awarded_on.0)
                    .with("field", "filed_on"),
            ));
        }
        let families = families_of(&txn, &row).await?;
        let deadline = match last_notification(&families) {
            Some(on) => Some(
                acts::appeal_deadline(on, calendar::current())
                    .map_err(|e| StoreError::Invalid(e.message()))?,
            ),
            None => None,
        };
        let late = acts::is_late(new.filed_on, deadline);
        let (document_name, document_sha256) = match new.document {
            Some((name, sha)) => (Some(name), Some(sha)),
            None => (None, None),
        };
        let saved = audit::insert(
            &txn,
            actor,
            appeal::ActiveModel {
                award_id: Set(award_id),
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
            tracing::info!(award = award_id, appeal = saved.id, "appeal received late");
        }
        appeal_of(saved)
    }

    /// Decides an appeal by a new act (Art. 80): confirms, modifies or revokes the award, with
    /// its reasons, numbered `RR-{year}-{nnnn}` (the year's next, no gaps). The territorial
    /// director who may award decides (Art. 74.1: before whom issued the act). Once.
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
        let row = award_row(&txn, before.award_id).await?;
        check_may(
            &txn,
            actor,
            Permission::AwardCofinancing,
            Target::Formulation(row.formulation_id),
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
        let last = appeal::Entity::find()
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
        active.decision_number = Set(Some(decision_number(year, sequence)));
        let saved = audit::update(&txn, actor, &before, active).await?;
        txn.commit().await?;
        appeal_of(saved)
    }

    /// The appeals against an award, in filing order.
    pub async fn appeals(&self, award_id: i32) -> StoreResult<Vec<Appeal>> {
        appeals_of(&self.db, award_id).await
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
        let Some((external_id, decided_on)) = refusal_of(&self.db, household_id).await? else {
            return Ok(None);
        };
        let notification = household_notification(&self.db, household_id).await?;
        let appeals = verification_appeals_of(&self.db, household_id).await?;
        let firmness = verification_firmness(notification.as_ref(), &appeals)?;
        Ok(Some(VerificationLife {
            household_id,
            external_id,
            decided_on,
            notification,
            appeals,
            appeal_deadline: firmness.appeal_deadline,
            firm_on: firmness.firm_on,
            status: firmness.status(today),
        }))
    }

    /// Records the notification of a household's not-eligible decision (Art. 56, 67-69): only
    /// of a decided "not eligible", once, not before the decision, with the same checks as an
    /// award's notification. `new.beneficiary_id` is not read.
    pub async fn record_verification_notification(
        &self,
        actor: &Actor,
        household_id: i32,
        new: NewNotification,
    ) -> StoreResult<HouseholdNotification> {
        let recipient = bounded(&new.recipient_name, NAME_MAX, "acts-field-recipient_name")?;
        let txn = self.write_transaction().await?;
        check_may(
            &txn,
            actor,
            Permission::NotifyActs,
            Target::Household(household_id),
        )
        .await?;
        let (external_id, decided_on) = refusal_of(&txn, household_id).await?.ok_or_else(not_refused)?;
        if household_notification(&txn, household_id).await?.is_some() {
            return Err(StoreError::Conflict(
                Message::new("acts-error-already_notified").with("family", &external_id),
            ));
        }
        if new.notified_on < decided_on {
            return Err(StoreError::Invalid(
                Message::new("acts-error-notified_before_act")
                    .with("date", decided_on)
                    .with("field", "notified_on"),
            ));
        }
        let cited_on = check_notification(new.kind, new.authorised, new.cited_on, new.notified_on)?;
        let effective = acts::effective_notification(new.kind, new.notified_on);
        audit::insert(
            &txn,
            actor,
            verification_notification::ActiveModel {
                household_id: Set(household_id),
                kind: Set(new.kind.as_str().to_owned()),
                recipient_name: Set(recipient.clone()),
                notified_on: Set(DbDate(new.notified_on)),
                cited_on: Set(cited_on),
                effective_on: Set(DbDate(effective)),
                recorded_by: Set(actor.user_id().unwrap_or_default()),
                recorded_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await
        .map_err(crate::on_duplicate(|| {
            StoreError::Conflict(Message::new("acts-error-already_notified").with("family", &external_id))
        }))?;
        txn.commit().await?;
        Ok(HouseholdNotification {
            kind: new.kind,
            recipient_name: recipient,
            notified_on: new.notified_on,
            cited_on: cited_on.map(|d| d.0),
            effective_on: effective,
        })
    }

    /// Receives a recurso de reposición against a household's not-eligible decision (Art.
    /// 74, 76): only of a decided "not eligible", not before it; after the window (or before
    /// the notification: never late then) it is received and recorded as late.
    pub async fn file_verification_appeal(
        &self,
        actor: &Actor,
        household_id: i32,
        new: NewAppeal,
    ) -> StoreResult<VerificationAppeal> {
        let name = bounded(&new.appellant_name, NAME_MAX, "acts-field-appellant_name")?;
        let text = bounded(&new.text, TEXT_MAX, "acts-field-appeal_text")?;
        let txn = self.write_transaction().await?;
        check_may(
            &txn,
            actor,
            Permission::NotifyActs,
            Target::Household(household_id),
        )
        .await?;
        let (_, decided_on) = refusal_of(&txn, household_id).await?.ok_or_else(not_refused)?;
        if new.filed_on < decided_on {
            return Err(StoreError::Invalid(
                Message::new("acts-error-appeal_before_act")
                    .with("date", decided_on)
                    .with("field", "filed_on"),
            ));
        }
        let deadline = match household_notification(&txn, household_id).await? {
            Some(notified) => Some(
                acts::appeal_deadline(notified.effective_on, calendar::current())
                    .map_err(|e| StoreError::Invalid(e.message()))?,
            ),
            None => None,
        };
        let late = acts::is_late(new.filed_on, deadline);
        let (document_name, document_sha256) = new.document.map_or((None, None), |(n, h)| (Some(n), Some(h)));
        let saved = audit::insert(
            &txn,
            actor,
            verification_appeal::ActiveModel {
                household_id: Set(household_id),
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
        verification_appeal_of(saved)
    }

    /// Decides an appeal against a not-eligible decision by a new act (Art. 80): confirms,
    /// modifies or revokes it, with its reasons, numbered `RRV-{year}-{nnnn}` (the year's
    /// next, no gaps). The territorial director decides, within the office's reach. Once.
    pub async fn decide_verification_appeal(
        &self,
        actor: &Actor,
        appeal_id: i32,
        new: NewDecision,
    ) -> StoreResult<VerificationAppeal> {
        let reasons = bounded(&new.reasons, TEXT_MAX, "acts-field-decision_reasons")?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .try_decide_verification(actor, appeal_id, &new, &reasons)
                .await
            {
                Err(StoreError::Database(e)) if crate::procedure::retryable(&e) && attempt < 8 => {
                    tokio::task::yield_now().await;
                }
                other => return other,
            }
        }
    }

    async fn try_decide_verification(
        &self,
        actor: &Actor,
        appeal_id: i32,
        new: &NewDecision,
        reasons: &str,
    ) -> StoreResult<VerificationAppeal> {
        let txn = self.write_transaction().await?;
        let before = verification_appeal::Entity::find_by_id(appeal_id)
            .one(&txn)
            .await?
            .ok_or_else(|| not_found("verification appeal", appeal_id))?;
        check_may(
            &txn,
            actor,
            Permission::AwardCofinancing,
            Target::Household(before.household_id),
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
        let last = verification_appeal::Entity::find()
            .filter(verification_appeal::Column::DecisionYear.eq(year))
            .order_by_desc(verification_appeal::Column::DecisionSequence)
            .one(&txn)
            .await?
            .and_then(|a| a.decision_sequence)
            .unwrap_or(0);
        let sequence = last + 1;
        let mut active: verification_appeal::ActiveModel = before.clone().into();
        active.outcome = Set(Some(new.outcome.as_str().to_owned()));
        active.decision_reasons = Set(Some(reasons.to_owned()));
        active.decided_on = Set(Some(DbDate(new.decided_on)));
        active.decided_by = Set(actor.user_id());
        active.decision_year = Set(Some(year));
        active.decision_sequence = Set(Some(sequence));
        active.decision_number = Set(Some(verification_decision_number(year, sequence)));
        let saved = audit::update(&txn, actor, &before, active).await?;
        txn.commit().await?;
        verification_appeal_of(saved)
    }

    /// An appeal against a not-eligible decision, by its id.
    pub async fn verification_appeal(&self, appeal_id: i32) -> StoreResult<Option<VerificationAppeal>> {
        verification_appeal::Entity::find_by_id(appeal_id)
            .one(&self.db)
            .await?
            .map(verification_appeal_of)
            .transpose()
    }
}

/// The number of the decision of an appeal against a verification: `RRV-2026-0001`.
pub fn verification_decision_number(year: i32, sequence: i32) -> String {
    format!("RRV-{year}-{sequence:04}")
}

fn not_refused() -> StoreError {
    StoreError::Conflict(
        Message::new("acts-error-not_refused").with("article", "Ley 1437 de 2011, art. 67, 74"),
    )
}

/// A household's external id and the day (in Colombia) its verification was decided "not
/// eligible", when it was.
async fn refusal_of<C: ConnectionTrait>(conn: &C, household_id: i32) -> StoreResult<Option<(String, Date)>> {
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
    Ok(Some((row.external_id, calendar::date_in_colombia(decided_at.0))))
}

async fn household_notification<C: ConnectionTrait>(
    conn: &C,
    household_id: i32,
) -> StoreResult<Option<HouseholdNotification>> {
    verification_notification::Entity::find()
        .filter(verification_notification::Column::HouseholdId.eq(household_id))
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

async fn verification_appeals_of<C: ConnectionTrait>(
    conn: &C,
    household_id: i32,
) -> StoreResult<Vec<VerificationAppeal>> {
    verification_appeal::Entity::find()
        .filter(verification_appeal::Column::HouseholdId.eq(household_id))
        .order_by_asc(verification_appeal::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(verification_appeal_of)
        .collect()
}

fn verification_firmness(
    notification: Option<&HouseholdNotification>,
    appeals: &[VerificationAppeal],
) -> StoreResult<Firmness> {
    let facts: Vec<AppealFacts> = appeals
        .iter()
        .map(|a| AppealFacts {
            filed_on: a.filed_on,
            late: a.late,
            outcome: a.outcome,
            decided_on: a.decided_on,
        })
        .collect();
    Firmness::of(notification.map(|n| n.effective_on), &facts, calendar::current())
        .map_err(|e| StoreError::Invalid(e.message()))
}

fn verification_appeal_of(row: verification_appeal::Model) -> StoreResult<VerificationAppeal> {
    let outcome = row
        .outcome
        .as_deref()
        .map(|o| {
            o.parse::<AppealOutcome>()
                .map_err(|e| corrupt("verification_appeal", row.id, e))
        })
        .transpose()?;
    Ok(VerificationAppeal {
        id: row.id,
        household_id: row.household_id,
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

/// What every notification must meet (Art. 56, 68-69): electronic only where the person
/// authorised it, a notice only 5 business days after the citation. Answers the citation's
/// day to keep (a notice's only).
fn check_notification(
    kind: NotificationKind,
    authorised: bool,
    cited_on: Option<Date>,
    notified_on: Date,
) -> StoreResult<Option<DbDate>> {
    match kind {
        NotificationKind::Electronic if !authorised => Err(StoreError::Invalid(
            Message::new("acts-error-electronic_not_authorised").with("article", "Ley 1437 de 2011, art. 56"),
        )),
        NotificationKind::Notice => {
            let Some(cited) = cited_on else {
                return Err(StoreError::Invalid(
                    Message::new("acts-error-notice_citation")
                        .with("article", "Ley 1437 de 2011, art. 68-69")
                        .with("field", "cited_on"),
                ));
            };
            let from = acts::notice_from(cited, calendar::current())
                .map_err(|e| StoreError::Invalid(e.message()))?;
            if notified_on < from {
                return Err(StoreError::Invalid(
                    Message::new("acts-error-notice_early")
                        .with("date", from)
                        .with("article", "Ley 1437 de 2011, art. 68-69")
                        .with("field", "notified_on"),
                ));
            }
            Ok(Some(DbDate(cited)))
        }
        _ => Ok(None),
    }
}

/// The number of an appeal's decision: `RR-2026-0001`.
pub fn decision_number(year: i32, sequence: i32) -> String {
    format!("RR-{year}-{sequence:04}")
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
    let appeals = appeals_of(conn, award_id).await?;
    firmness_of(&families, &appeals)
}

fn firmness_of(families: &[FamilyNotification], appeals: &[Appeal]) -> StoreResult<Firmness> {
    let facts: Vec<AppealFacts> = appeals
        .iter()
        .map(|a| AppealFacts {
            filed_on: a.filed_on,
            late: a.late,
            outcome: a.outcome,
            decided_on: a.decided_on,
        })
        .collect();
    Firmness::of(last_notification(families), &facts, calendar::current())
        .map_err(|e| StoreError::Invalid(e.message()))
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

async fn appeals_of<C: ConnectionTrait>(conn: &C, award_id: i32) -> StoreResult<Vec<Appeal>> {
    appeal::Entity::find()
        .filter(appeal::Column::AwardId.eq(award_id))
        .order_by_asc(appeal::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(appeal_of)
        .collect()
}

fn appeal_of(row: appeal::Model) -> StoreResult<Appeal> {
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
        award_id: row.award_id,
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
