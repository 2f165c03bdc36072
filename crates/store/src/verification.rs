//! The verification of the households of a call (Art. 11-14, 45, 46): the notice of the
//! institutional offer and its deadline, the documents each household brought, the outcome
//! (eligible, not eligible, tacit withdrawal) with optimistic locking, the letters, and the
//! household's timeline.
//!
//! "Today" is always the caller's: tacit withdrawal is flagged when a page is read after the
//! deadline with documents missing, and only an officer's motivated decision confirms it.

use std::collections::HashMap;
use vereda_domain::accounts::Permission;

use jiff::civil::Date;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::household::EthnicGroup;
use vereda_domain::verification::{
    DecisionError, DocumentKind, LetterFacts, LetterKind, LetterText, VerificationStatus, check_decision,
    check_receipt_day, document_deadline, missing_documents, required_documents, withdrawal_due,
};

use crate::audit::{AuditEntry, AuditQuery};
use crate::entity::{
    household, household_document, household_verification, letter, offer_notice, screening_result,
};
use crate::households::HouseholdSummary;
use crate::parcels::{ParcelStanding, parcels_refusal};
use crate::types::{DbDate, DbTimestamp};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt, duplicate_or};

/// The notice of the institutional offer of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferNotice {
    pub id: i32,
    pub call_id: i32,
    pub notice_date: Date,
    pub deadline: Date,
    pub text: String,
    pub created_at: jiff::Timestamp,
}

/// A document received from a household, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedDocument {
    pub id: i32,
    pub kind: DocumentKind,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub received_by: Option<i32>,
    /// When it was recorded.
    pub received_at: jiff::Timestamp,
    /// The day the household brought it.
    pub received_on: Date,
}

/// A document to record: the file is already kept under its SHA-256.
#[derive(Debug, Clone)]
pub struct NewHouseholdDocument {
    pub kind: DocumentKind,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// The day the household brought it: between the notice and today
    /// (`verification::check_receipt_day`).
    pub received_on: Date,
}

/// Where a household stands: its checklist, its documents and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdVerification {
    pub household: HouseholdSummary,
    pub notice: Option<OfferNotice>,
    pub required: Vec<DocumentKind>,
    pub documents: Vec<ReceivedDocument>,
    pub missing: Vec<DocumentKind>,
    pub status: VerificationStatus,
    pub reasons: Option<String>,
    pub reason_codes: Vec<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<jiff::Timestamp>,
    /// The version a decision form must carry back.
    pub lock_version: i32,
    /// Tacit withdrawal is due (Art. 45) and waits for an officer to confirm it.
    pub withdrawal_due: bool,
    /// The standing of each of its parcels (Art. 12-13): all must be suitable for eligible.
    #[serde(skip)]
    pub parcels: Vec<ParcelStanding>,
}

impl HouseholdVerification {
    pub fn deadline(&self) -> Option<Date> {
        self.notice.as_ref().map(|n| n.deadline)
    }
}

/// An officer's decision on a household.
#[derive(Debug, Clone)]
pub struct Decision {
    pub status: VerificationStatus,
    pub reasons: String,
    /// The version the officer read.
    pub lock_version: i32,
}

/// The most households one decision in bulk takes ([`Store::decide_verifications`]).
pub const BULK_DECISION_LIMIT: usize = 5000;

/// How one household of a decision in bulk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    pub household_id: i32,
    /// Its id in the registry; empty when it is not one of the call's within reach.
    pub external_id: String,
    /// The letter written with its decision, or the refusal in the catalogue's words.
    pub result: Result<LetterRecord, Message>,
}

/// A letter to a household, and its delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterRecord {
    pub id: i32,
    /// The call and household of a letter to a household; none for a petition's answer.
    pub call_id: Option<i32>,
    pub household_id: Option<i32>,
    /// The petition a letter answers.
    pub petition_id: Option<i32>,
    pub kind: LetterKind,
    pub recipient: String,
    /// The head's e-mail address when the letter was written: SMTP when configured.
    pub email: Option<String>,
    /// What the letter says, in codes and values; none for the letters written before the
    /// facts were kept (their text is in `sent`).
    pub facts: Option<LetterFacts>,
    /// The text as sent; none until then for a letter written from its facts.
    pub sent: Option<LetterText>,
    pub channel: String,
    pub status: String,
    pub location: Option<String>,
    pub error: Option<String>,
    pub created_at: jiff::Timestamp,
}

/// How a letter's delivery ended.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub channel: String,
    pub sent: bool,
    pub location: Option<String>,
    /// What the mail server or the file system said when something failed (their words,
    /// not ours: the page frames them from the catalogue).
    pub error: Option<String>,
    /// The text the letter went out with, kept with the delivery.
    pub text: LetterText,
}

/// One event of a household's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    pub at: jiff::Timestamp,
    /// `created`, `screened`, `notice`, `document`, `verification`, `withdrawal`, `letter`,
    /// `parcel_studied`, `parcel_visited`, `changed`.
    pub kind: &'static str,
    /// What happened, as a typed message.
    pub detail: Message,
    pub actor: String,
}

fn notice_from(row: offer_notice::Model) -> OfferNotice {
    OfferNotice {
        id: row.id,
        call_id: row.call_id,
        notice_date: row.notice_date.0,
        deadline: row.deadline.0,
        text: row.text,
        created_at: row.created_at.0,
    }
}

pub(crate) fn document_from(row: household_document::Model) -> StoreResult<ReceivedDocument> {
    Ok(ReceivedDocument {
        kind: row
            .kind
            .parse()
            .map_err(|e| corrupt("household document", row.id, e))?,
        id: row.id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        received_by: row.received_by,
        received_at: row.received_at.0,
        received_on: row.received_on.0,
    })
}

pub(crate) fn letter_from(row: letter::Model) -> StoreResult<LetterRecord> {
    Ok(LetterRecord {
        kind: row.kind.parse().map_err(|e| corrupt("letter", row.id, e))?,
        id: row.id,
        call_id: row.call_id,
        household_id: row.household_id,
        petition_id: row.petition_id,
        recipient: row.recipient,
        email: row.email,
        facts: row
            .facts
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| corrupt("letter", row.id, e))?,
        sent: (!row.body.is_empty()).then_some(LetterText {
            subject: row.subject,
            body: row.body,
        }),
        channel: row.channel,
        status: row.status,
        location: row.location,
        error: row.error,
        created_at: row.created_at.0,
    })
}

fn split_codes(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn refusal(error: DecisionError) -> StoreError {
    match error {
        DecisionError::AlreadyDecided(_) | DecisionError::WithdrawalNotDue(_) => {
            StoreError::Conflict(error.message())
        }
        DecisionError::MissingDocuments(_) | DecisionError::ReasonsRequired => {
            StoreError::Invalid(error.message())
        }
    }
}

fn not_found_household(id: i32) -> StoreError {
    StoreError::NotFound {
        entity: "household",
        id: id.to_string(),
    }
}

/// Whom a letter goes to.
pub(crate) struct Addressee {
    pub call_id: Option<i32>,
    pub household_id: Option<i32>,
    pub petition_id: Option<i32>,
    pub recipient: String,
    pub email: Option<String>,
}

impl Addressee {
    pub(crate) fn household(household: &HouseholdSummary, call_id: i32) -> Addressee {
        Addressee {
            call_id: Some(call_id),
            household_id: Some(household.id),
            petition_id: None,
            recipient: household.head_name.clone(),
            email: household.email.clone(),
        }
    }
}

/// The letter to insert, in the transaction of the change that produces it: its facts, in
/// codes and values. Its text is written out from the catalogue when it is shown or sent, and
/// kept as sent with its delivery ([`Store::record_delivery`]).
pub(crate) fn letter_row(
    kind: LetterKind,
    to: Addressee,
    facts: &LetterFacts,
) -> StoreResult<letter::ActiveModel> {
    let facts = serde_json::to_string(facts).map_err(|e| StoreError::Fault(format!("letter facts: {e}")))?;
    Ok(letter::ActiveModel {
        call_id: Set(to.call_id),
        household_id: Set(to.household_id),
        petition_id: Set(to.petition_id),
        kind: Set(kind.to_string()),
        recipient: Set(to.recipient),
        email: Set(to.email),
        subject: Set(String::new()),
        body: Set(String::new()),
        facts: Set(Some(facts)),
        channel: Set(String::new()),
        status: Set("pending".to_owned()),
        location: Set(None),
        error: Set(None),
        created_at: Set(DbTimestamp::now()),
        ..Default::default()
    })
}

impl Store {
    /// The notice of a call's offer, if recorded.
    pub async fn offer_notice(&self, call_id: i32) -> StoreResult<Option<OfferNotice>> {
        Ok(offer_notice::Entity::find()
            .filter(offer_notice::Column::CallId.eq(call_id))
            .one(&self.db)
            .await?
            .map(notice_from))
    }

    /// Records the notice of the institutional offer of a call (one per call), opens the
    /// verification of each of its households and writes one offer letter to each, all in one
    /// transaction. The letters come back pending, for delivery.
    pub async fn record_offer_notice(
        &self,
        actor: &Actor,
        call_id: i32,
        notice_date: Date,
        text: &str,
    ) -> StoreResult<(OfferNotice, Vec<LetterRecord>)> {
        let call = self.call(call_id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
        let households = self.households(Some(call_id)).await?;
        let txn = self.write_transaction().await?;
        let stored = insert_offer_notice(&txn, actor, call_id, notice_date, text).await?;
        let letters = write_offer_letters(&txn, actor, &call, &stored, &households).await?;
        txn.commit().await?;
        Ok((notice_from(stored), letters))
    }

    /// Records the notice of a call too large for one request (the same checks as
    /// [`Store::record_offer_notice`]) and queues the job that writes its letters
    /// (`JobKind::OfferLetters`, keyed by the call): chunk after chunk, each with the job's
    /// checkpoint (the last household written to) in its transaction, so each household gets
    /// its letter once whatever the servers and crashes.
    pub async fn record_offer_notice_by_job(
        &self,
        actor: &Actor,
        call_id: i32,
        notice_date: Date,
        text: &str,
    ) -> StoreResult<(OfferNotice, crate::jobs::Job)> {
        self.call(call_id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
        let txn = self.write_transaction().await?;
        let stored = insert_offer_notice(&txn, actor, call_id, notice_date, text).await?;
        txn.commit().await?;
        let key = call_id.to_string();
        let job = self
            .enqueue_job(crate::jobs::JobKind::OfferLetters, &key, &key)
            .await?;
        Ok((notice_from(stored), job))
    }

    /// Writes the offer letters of the next `chunk` households of call `call_id` after the
    /// job's checkpoint (its last household id), and advances it in the same transaction.
    /// Returns the letters and the new checkpoint (none written: nothing is left); `Ok(None)`
    /// when the lease is no longer `lease`'s holder's.
    pub async fn write_offer_letters_chunk(
        &self,
        lease: &crate::screening::JobLease,
        call_id: i32,
        checkpoint: u64,
        chunk: u64,
    ) -> StoreResult<Option<(Vec<LetterRecord>, u64)>> {
        let call = self.call(call_id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
        let notice = offer_notice::Entity::find()
            .filter(offer_notice::Column::CallId.eq(call_id))
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::Conflict(Message::new("verification-error-no_notice")))?;
        let actor = match notice.recorded_by {
            Some(id) => match crate::entity::user::Entity::find_by_id(id).one(&self.db).await? {
                Some(account) => Actor::User {
                    id,
                    email: account.email,
                },
                None => Actor::system("offer-letters"),
            },
            None => Actor::system("offer-letters"),
        };
        let list = crate::lists::HouseholdList {
            paging: crate::lists::Paging {
                per_page: chunk,
                after: Some(i32::try_from(checkpoint).unwrap_or(i32::MAX)),
                ..Default::default()
            },
            ..crate::lists::HouseholdList::of_call(call_id, vereda_domain::accounts::Reach::National)
        };
        let households = self.household_rows(&list).await?;
        let Some(last) = households.last().map(|h| u64::try_from(h.id).unwrap_or(0)) else {
            return Ok(Some((Vec::new(), checkpoint)));
        };
        let txn = self.write_transaction().await?;
        let letters = write_offer_letters(&txn, &actor, &call, &notice, &households).await?;
        if !crate::jobs::advance_checkpoint(&txn, lease.job_id, &lease.owner, last).await? {
            return Ok(None);
        }
        txn.commit().await?;
        Ok(Some((letters, last)))
    }

    /// Where a household stands on `today`; `None` if it does not exist.
    pub async fn household_verification(
        &self,
        household_id: i32,
        today: Date,
    ) -> StoreResult<Option<HouseholdVerification>> {
        let Some(household) = self.household(household_id).await? else {
            return Ok(None);
        };
        let notice = match household.call_id {
            Some(call_id) => self.offer_notice(call_id).await?,
            None => None,
        };
        Ok(self.verifications_of(vec![household], notice, today).await?.pop())
    }

    /// Every household of a call within `reach`, where it stands on `today`, in registration
    /// order.
    pub async fn call_verifications(
        &self,
        call_id: i32,
        today: Date,
        reach: &vereda_domain::accounts::Reach,
    ) -> StoreResult<Vec<HouseholdVerification>> {
        let households = self.households_within(Some(call_id), reach).await?;
        let notice = self.offer_notice(call_id).await?;
        self.verifications_of(households, notice, today).await
    }

    async fn verifications_of(
        &self,
        households: Vec<HouseholdSummary>,
        notice: Option<OfferNotice>,
        today: Date,
    ) -> StoreResult<Vec<HouseholdVerification>> {
        let ids: Vec<i32> = households.iter().map(|h| h.id).collect();
        let mut documents: HashMap<i32, Vec<ReceivedDocument>> = HashMap::new();
        for row in crate::find_in(
            &self.db,
            household_document::Entity::find().order_by_asc(household_document::Column::Id),
            household_document::Column::HouseholdId,
            ids.iter().copied(),
        )
        .await?
        {
            documents
                .entry(row.household_id)
                .or_default()
                .push(document_from(row)?);
        }
        let verifications: HashMap<i32, household_verification::Model> = crate::find_in(
            &self.db,
            household_verification::Entity::find(),
            household_verification::Column::HouseholdId,
            ids.iter().copied(),
        )
        .await?
        .into_iter()
        .map(|v| (v.household_id, v))
        .collect();
        let mut parcels: HashMap<i32, Vec<ParcelStanding>> = HashMap::new();
        for p in self.parcels_of(&ids).await? {
            parcels
                .entry(p.parcel.household_id)
                .or_default()
                .push(ParcelStanding {
                    parcel_id: p.parcel.id,
                    name: p.parcel.name,
                    standing: p.standing,
                });
        }
        assemble(
            households,
            documents,
            verifications,
            parcels,
            notice.as_ref(),
            today,
        )
    }
}

/// Where each household stands, from its documents, its verification row and its parcels
/// (read by the caller, keyed by household).
pub(crate) fn assemble(
    households: Vec<HouseholdSummary>,
    mut documents: HashMap<i32, Vec<ReceivedDocument>>,
    mut verifications: HashMap<i32, household_verification::Model>,
    mut parcels: HashMap<i32, Vec<ParcelStanding>>,
    notice: Option<&OfferNotice>,
    today: Date,
) -> StoreResult<Vec<HouseholdVerification>> {
    let mut out = Vec::with_capacity(households.len());
    for household in households {
        let required = required_of(&household)?;
        let documents = documents.remove(&household.id).unwrap_or_default();
        let received: Vec<DocumentKind> = documents.iter().map(|d| d.kind).collect();
        let missing = missing_documents(&required, &received);
        let row = verifications.remove(&household.id);
        let status = match &row {
            Some(row) => row
                .status
                .parse()
                .map_err(|e| corrupt("household verification", row.id, e))?,
            None => VerificationStatus::Pending,
        };
        let due = notice
            .as_ref()
            .is_some_and(|n| withdrawal_due(status, n.deadline, today, &missing));
        out.push(HouseholdVerification {
            notice: notice.cloned(),
            required,
            documents,
            missing,
            status,
            reasons: row.as_ref().and_then(|r| r.reasons.clone()),
            reason_codes: row
                .as_ref()
                .map(|r| split_codes(&r.reason_codes))
                .unwrap_or_default(),
            decided_by: row.as_ref().and_then(|r| r.decided_by),
            decided_at: row.as_ref().and_then(|r| r.decided_at.map(|t| t.0)),
            lock_version: row.as_ref().map_or(0, |r| r.lock_version),
            withdrawal_due: due,
            parcels: parcels.remove(&household.id).unwrap_or_default(),
            household,
        });
    }
    Ok(out)
}

impl Store {
    /// Records a document a household brought on the day given. Refused before the offer is
    /// notified, once the verification is decided (a confirmed withdrawal included), and for a
    /// day after today or before the notice; allowed after the deadline until an officer
    /// confirms the withdrawal.
    pub async fn receive_household_document(
        &self,
        actor: &Actor,
        household_id: i32,
        new: NewHouseholdDocument,
        today: Date,
    ) -> StoreResult<ReceivedDocument> {
        // First, so that a record out of reach tells nothing of its state.
        crate::scope::check_may(
            &self.db,
            actor,
            Permission::VerifyHouseholds,
            crate::scope::Target::Household(household_id),
        )
        .await?;
        let state = self
            .household_verification(household_id, today)
            .await?
            .ok_or_else(|| not_found_household(household_id))?;
        let Some(notice) = &state.notice else {
            return Err(StoreError::Conflict(Message::new("verification-error-no_notice")));
        };
        if state.status != VerificationStatus::Pending {
            return Err(StoreError::Conflict(
                DecisionError::AlreadyDecided(state.status).message(),
            ));
        }
        check_receipt_day(new.received_on, notice.notice_date, today)
            .map_err(|refused| StoreError::Invalid(refused.message()))?;
        let mut row = household_document::ActiveModel {
            household_id: Set(household_id),
            kind: Set(new.kind.to_string()),
            file_name: Set(new.file_name),
            content_type: Set(new.content_type),
            size_bytes: Set(new.size_bytes),
            sha256: Set(new.sha256),
            received_by: Set(actor.user_id()),
            received_at: Set(DbTimestamp::now()),
            received_on: Set(DbDate(new.received_on)),
            call_id: Set(state.household.call_id),
            ..Default::default()
        };
        let txn = self.write_transaction().await?;
        // A decision taken since the state was read closes the receipt: read again under the
        // household's lock, which a decision takes first too. The household's municipality as
        // it stands under the lock: a screening moving the household meanwhile moves this
        // document too once it commits (`move_documents`).
        let municipality = lock_household(&txn, household_id)
            .await?
            .ok_or_else(|| not_found_household(household_id))?;
        let decided = household_verification::Entity::find()
            .filter(household_verification::Column::HouseholdId.eq(household_id))
            .one(&txn)
            .await?
            .map(|v| {
                v.status
                    .parse::<VerificationStatus>()
                    .map_err(|e| corrupt("household verification", v.id, e))
            })
            .transpose()?
            .filter(|status| *status != VerificationStatus::Pending);
        if let Some(status) = decided {
            return Err(StoreError::Conflict(
                DecisionError::AlreadyDecided(status).message(),
            ));
        }
        row.municipality_code = Set(municipality);
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        document_from(stored)
    }

    /// A document of a household, by its id.
    pub async fn household_document(
        &self,
        household_id: i32,
        id: i32,
    ) -> StoreResult<Option<ReceivedDocument>> {
        household_document::Entity::find_by_id(id)
            .filter(household_document::Column::HouseholdId.eq(household_id))
            .one(&self.db)
            .await?
            .map(document_from)
            .transpose()
    }

    /// Decides a household's verification: the rules of the domain, then an update that only
    /// matches the version the officer read (`Conflict` otherwise), and the letter of the
    /// decision, in one transaction. The letter comes back pending, for delivery.
    pub async fn decide_verification(
        &self,
        actor: &Actor,
        household_id: i32,
        decision: Decision,
        today: Date,
    ) -> StoreResult<(HouseholdVerification, LetterRecord)> {
        // First, so that a record out of reach tells nothing of its state.
        crate::scope::check_may(
            &self.db,
            actor,
            Permission::VerifyHouseholds,
            crate::scope::Target::Household(household_id),
        )
        .await?;
        let state = self
            .household_verification(household_id, today)
            .await?
            .ok_or_else(|| not_found_household(household_id))?;
        let (Some(notice), Some(call_id)) = (state.notice.clone(), state.household.call_id) else {
            return Err(StoreError::Conflict(Message::new("verification-error-no_notice")));
        };
        if decision.lock_version != state.lock_version {
            return Err(changed_meanwhile());
        }
        check_decision(
            state.status,
            decision.status,
            &decision.reasons,
            &state.missing,
            notice.deadline,
            today,
        )
        .map_err(refusal)?;
        if decision.status == VerificationStatus::Eligible
            && let Some(said) = parcels_refusal(&state.parcels)
        {
            tracing::info!(household = household_id, reason = %said, "eligible refused for the parcels");
            return Err(StoreError::Invalid(said));
        }
        let call = self.call(call_id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
        let codes = screening_result::Entity::find()
            .filter(screening_result::Column::HouseholdId.eq(household_id))
            .one(&self.db)
            .await?
            .map(|r| r.reasons)
            .unwrap_or_default();
        let reasons = Some(decision.reasons.trim().to_owned()).filter(|r| !r.is_empty());
        let txn = self.write_transaction().await?;
        lock_household(&txn, household_id).await?;
        let before = household_verification::Entity::find()
            .filter(household_verification::Column::HouseholdId.eq(household_id))
            .one(&txn)
            .await?;
        let before = match before {
            Some(row) => row,
            // Households registered after the notice get their row on their first decision.
            None => audit::insert(&txn, actor, pending_verification(household_id, call_id))
                .await
                .map_err(|_| changed_meanwhile())?,
        };
        let update = household_verification::Entity::update_many()
            .col_expr(
                household_verification::Column::Status,
                Expr::value(decision.status.to_string()),
            )
            .col_expr(
                household_verification::Column::Reasons,
                Expr::value(reasons.clone()),
            )
            .col_expr(
                household_verification::Column::ReasonCodes,
                Expr::value(codes.clone()),
            )
            .col_expr(
                household_verification::Column::DecidedBy,
                Expr::value(actor.user_id()),
            )
            .col_expr(
                household_verification::Column::DecidedAt,
                Expr::value(DbTimestamp::now()),
            )
            .col_expr(
                household_verification::Column::LockVersion,
                Expr::value(decision.lock_version + 1),
            )
            .filter(household_verification::Column::Id.eq(before.id))
            .filter(household_verification::Column::LockVersion.eq(decision.lock_version))
            .filter(household_verification::Column::Status.eq(VerificationStatus::Pending.as_str()));
        audit::conditional_update(&txn, actor, update, &before, before.id, changed_meanwhile).await?;
        keep_household_status(&txn, household_id, decision.status).await?;
        let kind = if decision.status == VerificationStatus::Withdrawn {
            LetterKind::Withdrawal
        } else {
            LetterKind::VerificationResult
        };
        let facts = LetterFacts {
            head_name: state.household.head_name.clone(),
            household_ref: state.household.external_id.clone(),
            call_name: call.name.clone(),
            call_code: call.code.clone(),
            deadline: Some(notice.deadline),
            required: state.required.clone(),
            outcome: Some(decision.status),
            reasons: reasons.clone().unwrap_or_default(),
            screening_codes: if decision.status == VerificationStatus::NotEligible {
                split_codes(&codes)
            } else {
                Vec::new()
            },
            missing: if decision.status == VerificationStatus::Withdrawn {
                state.missing.clone()
            } else {
                Vec::new()
            },
            date: today,
            award: None,
            petition: None,
            staff: None,
        };
        let row = letter_row(kind, Addressee::household(&state.household, call_id), &facts)?;
        let letter = letter_from(audit::insert(&txn, actor, row).await?)?;
        txn.commit().await?;
        let state = self
            .household_verification(household_id, today)
            .await?
            .ok_or_else(|| not_found_household(household_id))?;
        Ok((state, letter))
    }

    /// Decides many households of call `call_id` alike (issue 18 part 3: one status, one
    /// motivation), each through [`Store::decide_verification`] in its own transaction, so that
    /// one refusal undoes nothing of the others. The officer decided on a selection, not on
    /// each household's page: each version is the one read at that moment. A household of
    /// another call, unknown, or out of reach is refused on its own. At most
    /// [`BULK_DECISION_LIMIT`] households; more is refused whole, naming the bound.
    pub async fn decide_verifications(
        &self,
        actor: &Actor,
        call_id: i32,
        household_ids: &[i32],
        status: VerificationStatus,
        reasons: &str,
        today: Date,
    ) -> StoreResult<Vec<BulkOutcome>> {
        if household_ids.len() > BULK_DECISION_LIMIT {
            return Err(StoreError::Invalid(
                Message::new("verification-error-bulk_too_many").with("limit", BULK_DECISION_LIMIT),
            ));
        }
        let mut outcomes = Vec::with_capacity(household_ids.len());
        for &household_id in household_ids {
            outcomes.push(
                self.decide_one_of(actor, call_id, household_id, status, reasons, today)
                    .await?,
            );
        }
        Ok(outcomes)
    }

    async fn decide_one_of(
        &self,
        actor: &Actor,
        call_id: i32,
        household_id: i32,
        status: VerificationStatus,
        reasons: &str,
        today: Date,
    ) -> StoreResult<BulkOutcome> {
        let refused = |message: Message| BulkOutcome {
            household_id,
            external_id: String::new(),
            result: Err(message),
        };
        let current = match self.household_verification(household_id, today).await? {
            Some(current) if current.household.call_id == Some(call_id) => current,
            _ => return Ok(refused(Message::new("verification-error-bulk_not_in_call"))),
        };
        let decision = Decision {
            status,
            reasons: reasons.to_owned(),
            lock_version: current.lock_version,
        };
        let result = match self
            .decide_verification(actor, household_id, decision, today)
            .await
        {
            Ok((_, letter)) => Ok(letter),
            // Out of reach: not even its registry id is told.
            Err(StoreError::Forbidden(message)) => return Ok(refused(message)),
            Err(StoreError::Invalid(message) | StoreError::Conflict(message)) => Err(message),
            Err(other) => return Err(other),
        };
        Ok(BulkOutcome {
            household_id,
            external_id: current.household.external_id,
            result,
        })
    }

    /// Records how a letter was delivered: the consequence of the step that wrote it, so it
    /// needs no reach of its own.
    pub async fn record_delivery(
        &self,
        actor: &Actor,
        letter_id: i32,
        delivery: Delivery,
    ) -> StoreResult<LetterRecord> {
        let before = letter::Entity::find_by_id(letter_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "letter",
                id: letter_id.to_string(),
            })?;
        let row = letter::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(letter_id),
            channel: Set(delivery.channel),
            status: Set(if delivery.sent { "sent" } else { "failed" }.to_owned()),
            location: Set(delivery.location),
            error: Set(delivery.error),
            subject: Set(delivery.text.subject),
            body: Set(delivery.text.body),
            ..Default::default()
        };
        let txn = self.write_transaction().await?;
        let after = audit::update(&txn, actor, &before, row).await?;
        txn.commit().await?;
        letter_from(after)
    }

    /// The letters of a call, newest first.
    pub async fn call_letters(&self, call_id: i32) -> StoreResult<Vec<LetterRecord>> {
        self.call_letters_within(call_id, &vereda_domain::accounts::Reach::National)
            .await
    }

    /// The letters of a call to the households within `reach`, newest first.
    pub async fn call_letters_within(
        &self,
        call_id: i32,
        reach: &vereda_domain::accounts::Reach,
    ) -> StoreResult<Vec<LetterRecord>> {
        letter::Entity::find()
            .filter(letter::Column::CallId.eq(call_id))
            .filter(letter::Column::HouseholdId.in_subquery(crate::scope::households_within(reach)))
            .order_by_desc(letter::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    /// Letters written but not yet delivered and claimed by no live server (one stopped while
    /// sending them), oldest first, at most `limit`.
    pub async fn pending_letters(&self, limit: u64) -> StoreResult<Vec<LetterRecord>> {
        use sea_orm::QuerySelect;
        letter::Entity::find()
            .filter(letter::Column::Status.eq("pending"))
            .filter(
                sea_orm::Condition::any()
                    .add(letter::Column::ClaimedUntil.is_null())
                    .add(letter::Column::ClaimedUntil.lt(DbTimestamp::now())),
            )
            .order_by_asc(letter::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    /// Claims for `owner`, until `lease` from now, those of the letters `ids` that are still
    /// pending and not claimed by another live server, so each letter is sent by one server
    /// only. Returns each claimed letter's id and the Message-ID to send it with (fixed at
    /// its first claim).
    pub async fn claim_letters(
        &self,
        ids: &[i32],
        owner: &str,
        lease: jiff::SignedDuration,
    ) -> StoreResult<Vec<(i32, String)>> {
        use sea_orm::QuerySelect;
        use sea_orm::sea_query::{LockBehavior, LockType};
        let mut claimed = Vec::with_capacity(ids.len());
        for ids in ids.chunks(crate::screening::ROWS_PER_STATEMENT) {
            let txn = self.write_transaction().await?;
            let now = DbTimestamp::now();
            let mut free = letter::Entity::find()
                .select_only()
                .column(letter::Column::Id)
                .column(letter::Column::MessageId)
                .filter(letter::Column::Id.is_in(ids.iter().copied()))
                .filter(letter::Column::Status.eq("pending"))
                .filter(
                    sea_orm::Condition::any()
                        .add(letter::Column::ClaimedUntil.is_null())
                        .add(letter::Column::ClaimedUntil.lt(now)),
                );
            if self.backend() == sea_orm::DatabaseBackend::Postgres {
                QuerySelect::query(&mut free).lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
            }
            let free: Vec<(i32, Option<String>)> = free.into_tuple().all(&txn).await?;
            let until = DbTimestamp(now.0.saturating_add(lease).unwrap_or(now.0));
            for (id, message_id) in free {
                let message_id =
                    message_id.unwrap_or_else(|| format!("<letter.{id}.{}@vereda>", now.0.as_microsecond()));
                letter::Entity::update_many()
                    .col_expr(letter::Column::ClaimedBy, Expr::value(owner))
                    .col_expr(letter::Column::ClaimedUntil, Expr::value(until))
                    .col_expr(letter::Column::MessageId, Expr::value(message_id.as_str()))
                    .filter(letter::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
                claimed.push((id, message_id));
            }
            txn.commit().await?;
        }
        Ok(claimed)
    }

    /// The letters to a household, oldest first.
    pub async fn household_letters(&self, household_id: i32) -> StoreResult<Vec<LetterRecord>> {
        letter::Entity::find()
            .filter(letter::Column::HouseholdId.eq(household_id))
            .order_by_asc(letter::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    /// Everything that happened to a household, oldest first: from the audit log (its
    /// creation and changes, its documents, its verification, its letters, the notice of its
    /// call) and its screening.
    pub async fn household_timeline(&self, household_id: i32) -> StoreResult<Vec<TimelineEvent>> {
        let household = self
            .household(household_id)
            .await?
            .ok_or_else(|| not_found_household(household_id))?;
        let mut events = Vec::new();
        let entries = |entity: &'static str, id: i32| AuditQuery {
            entity: Some(entity.to_owned()),
            entity_id: Some(id.to_string()),
            before_id: None,
            limit: 1000,
        };
        for entry in self.audit_entries(&entries("households", household_id)).await? {
            let kind = if entry.action == AuditAction::Create {
                "created"
            } else {
                "changed"
            };
            events.push(event(
                &entry,
                kind,
                Message::new("verification-timeline-household").with("id", &household.external_id),
            ));
        }
        if let Some(result) = screening_result::Entity::find()
            .filter(screening_result::Column::HouseholdId.eq(household_id))
            .one(&self.db)
            .await?
        {
            events.push((
                0,
                TimelineEvent {
                    at: result.screened_at.0,
                    kind: "screened",
                    detail: if result.eligible {
                        Message::new("verification-timeline-eligible")
                    } else {
                        Message::new("verification-timeline-not_eligible").with("reasons", &result.reasons)
                    },
                    actor: format!("screening:{}", result.run_id),
                },
            ));
        }
        if let Some(call_id) = household.call_id
            && let Some(notice) = self.offer_notice(call_id).await?
        {
            for entry in self.audit_entries(&entries("offer_notices", notice.id)).await? {
                events.push(event(
                    &entry,
                    "notice",
                    Message::new("verification-timeline-notice")
                        .with("date", notice.notice_date)
                        .with("deadline", notice.deadline),
                ));
            }
        }
        for document in household_document::Entity::find()
            .filter(household_document::Column::HouseholdId.eq(household_id))
            .all(&self.db)
            .await?
        {
            for entry in self
                .audit_entries(&entries("household_documents", document.id))
                .await?
            {
                events.push(event(
                    &entry,
                    "document",
                    Message::new("verification-timeline-document")
                        .with_term("document", format!("verification-doc-{}", document.kind))
                        .with("file", &document.file_name)
                        .with("day", document.received_on.0),
                ));
            }
        }
        if let Some(row) = household_verification::Entity::find()
            .filter(household_verification::Column::HouseholdId.eq(household_id))
            .one(&self.db)
            .await?
        {
            for entry in self
                .audit_entries(&entries("household_verifications", row.id))
                .await?
            {
                let status = entry.after_text("status").unwrap_or_default().to_owned();
                let reasons = entry.after_text("reasons").unwrap_or_default().to_owned();
                let kind = if status == VerificationStatus::Withdrawn.as_str() {
                    "withdrawal"
                } else {
                    "verification"
                };
                events.push(event(
                    &entry,
                    kind,
                    Message::new("verification-timeline-decision")
                        .with_term("status", format!("verification-status-{status}"))
                        .with("reasons", reasons),
                ));
            }
        }
        for p in self.parcels_of(&[household_id]).await? {
            if let Some(title) = &p.title {
                for entry in self
                    .audit_entries(&entries("parcel_title_studies", title.id))
                    .await?
                {
                    let result = entry.after_text("result").unwrap_or_default().to_owned();
                    events.push(event(
                        &entry,
                        "parcel_studied",
                        Message::new("verification-timeline-parcel_studied")
                            .with("parcel", &p.parcel.name)
                            .with_term("result", format!("parcel-{result}")),
                    ));
                }
            }
            if let Some(visit) = &p.visit {
                for entry in self.audit_entries(&entries("parcel_visits", visit.id)).await? {
                    let date = entry.after_text("visit_date").unwrap_or_default().to_owned();
                    events.push(event(
                        &entry,
                        "parcel_visited",
                        Message::new("verification-timeline-parcel_visited")
                            .with("parcel", &p.parcel.name)
                            .with("date", date),
                    ));
                }
            }
        }
        for letter in self.household_letters(household_id).await? {
            for entry in self.audit_entries(&entries("letters", letter.id)).await? {
                let status = entry.after_text("status").unwrap_or_default().to_owned();
                events.push(event(
                    &entry,
                    "letter",
                    Message::new("verification-timeline-letter")
                        .with_term("letter", format!("verification-letter-{}", letter.kind))
                        .with_term("status", format!("verification-delivery-{status}")),
                ));
            }
        }
        events.sort_by(|a, b| a.1.at.cmp(&b.1.at).then(a.0.cmp(&b.0)));
        Ok(events.into_iter().map(|(_, e)| e).collect())
    }
}

/// A timeline event from an audit entry, keyed by the entry's id for a stable order.
fn event(entry: &AuditEntry, kind: &'static str, detail: Message) -> (i64, TimelineEvent) {
    (
        entry.id,
        TimelineEvent {
            at: entry.at,
            kind,
            detail,
            actor: entry.actor.clone(),
        },
    )
}

/// The notice of a call's offer (Art. 11) checked and stored in `txn`: a text, the deadline of
/// the documents, `VerifyHouseholds` on the call, one notice per call.
async fn insert_offer_notice(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    call_id: i32,
    notice_date: Date,
    text: &str,
) -> StoreResult<offer_notice::Model> {
    if text.trim().is_empty() {
        return Err(StoreError::Invalid(Message::new(
            "verification-error-notice_text",
        )));
    }
    let deadline = document_deadline(notice_date).map_err(|e| StoreError::Invalid(e.message()))?;
    crate::scope::check_may(
        txn,
        actor,
        Permission::VerifyHouseholds,
        crate::scope::Target::Call(call_id),
    )
    .await?;
    audit::insert(
        txn,
        actor,
        offer_notice::ActiveModel {
            call_id: Set(call_id),
            notice_date: Set(DbDate(notice_date)),
            deadline: Set(DbDate(deadline)),
            text: Set(text.trim().to_owned()),
            recorded_by: Set(actor.user_id()),
            created_at: Set(DbTimestamp::now()),
            ..Default::default()
        },
    )
    .await
    .map_err(
        |error| match duplicate_or("offer notice of call", || call_id.to_string())(error) {
            StoreError::Duplicate { .. } => {
                StoreError::Conflict(Message::new("verification-error-notice_exists"))
            }
            other => other,
        },
    )
}

/// Takes the household's row lock until `txn` ends (PostgreSQL; on SQLite a write transaction
/// already excludes every other writer) and gives the household's municipality as it stands
/// under it (`None`: no such household). A document's receipt and a verification decision take
/// it before they read the verification, so whichever comes second sees the first, even for a
/// household with no verification row yet to lock.
async fn lock_household(
    txn: &sea_orm::DatabaseTransaction,
    household_id: i32,
) -> Result<Option<String>, DbErr> {
    use sea_orm::QuerySelect;
    household::Entity::find_by_id(household_id)
        .select_only()
        .column(household::Column::MunicipalityCode)
        .lock_exclusive()
        .into_tuple::<String>()
        .one(txn)
        .await
}

/// The offer's letter to each of `households` (and its pending verification, where it has
/// none yet), written in `txn`.
async fn write_offer_letters(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    call: &crate::programs::Call,
    notice: &offer_notice::Model,
    households: &[HouseholdSummary],
) -> StoreResult<Vec<LetterRecord>> {
    let existing: std::collections::HashSet<i32> = crate::find_in(
        txn,
        household_verification::Entity::find(),
        household_verification::Column::HouseholdId,
        households.iter().map(|h| h.id),
    )
    .await?
    .into_iter()
    .map(|v| v.household_id)
    .collect();
    let mut letters = Vec::with_capacity(households.len());
    for household in households {
        if !existing.contains(&household.id) {
            audit::insert(txn, actor, pending_verification(household.id, call.id)).await?;
        }
        let facts = LetterFacts {
            head_name: household.head_name.clone(),
            household_ref: household.external_id.clone(),
            call_name: call.name.clone(),
            call_code: call.code.clone(),
            deadline: Some(notice.deadline.0),
            required: required_of(household)?,
            outcome: None,
            reasons: String::new(),
            screening_codes: Vec::new(),
            missing: Vec::new(),
            date: notice.notice_date.0,
            award: None,
            petition: None,
            staff: None,
        };
        let row = letter_row(
            LetterKind::Offer,
            Addressee::household(household, call.id),
            &facts,
        )?;
        letters.push(letter_from(audit::insert(txn, actor, row).await?)?);
    }
    Ok(letters)
}

fn changed_meanwhile() -> StoreError {
    StoreError::Conflict(Message::new("verification-error-changed_meanwhile"))
}

/// Writes a household's verification status on the household (migration 44), in the
/// transaction that writes it on its decision row: what the lists' status filter tests.
pub(crate) async fn keep_household_status(
    txn: &sea_orm::DatabaseTransaction,
    household_id: i32,
    status: VerificationStatus,
) -> StoreResult<()> {
    household::Entity::update_many()
        .col_expr(
            household::Column::VerificationStatus,
            Expr::value(status.as_str()),
        )
        .filter(household::Column::Id.eq(household_id))
        .exec(txn)
        .await?;
    Ok(())
}

fn pending_verification(household_id: i32, call_id: i32) -> household_verification::ActiveModel {
    household_verification::ActiveModel {
        household_id: Set(household_id),
        call_id: Set(Some(call_id)),
        status: Set(VerificationStatus::Pending.to_string()),
        reasons: Set(None),
        reason_codes: Set(String::new()),
        decided_by: Set(None),
        decided_at: Set(None),
        lock_version: Set(0),
        ..Default::default()
    }
}

fn required_of(household: &HouseholdSummary) -> StoreResult<Vec<DocumentKind>> {
    let ethnic: EthnicGroup = household
        .ethnic_group
        .parse()
        .map_err(|e| corrupt("household", household.id, e))?;
    Ok(required_documents(household.displaced, ethnic))
}
