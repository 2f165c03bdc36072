//! The program's procedure after formulation (Art. 23-27, 31-33): the families' endorsement,
//! committee sessions with their agenda, concepts, objections and signed minutes, the award
//! and the single disbursement.
//!
//! A project's [`ProcedureState`] is not stored: it is read from the records (the formulation's
//! status, the endorsement and agenda item of its latest version, the award, the payment), so
//! it cannot drift from them. Every step reads it in its transaction, asks
//! [`vereda_domain::procedure::transition`] with the role of the account taking the step, and
//! writes through `audit`. A refusal changes nothing and is logged with `tracing::info!`:
//! a role that may not is `Forbidden`, a state that does not allow it is `Conflict`, a missing
//! requirement is `Invalid`.

use std::collections::HashMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use vereda_domain::accounts::{Permission, Reach, Role};
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::finance::formulation::Formulation;
use vereda_domain::procedure::{ProcedureAction, ProcedureState, RefusalKind, transition};
use vereda_domain::verification::{AwardFacts, LetterFacts, LetterKind};

use crate::custody::{self, Scrutiny};
use crate::entity::{
    agenda_item, award, call, committee_attendee, committee_session, disbursement, endorsement, formulation,
    formulation_version, household, objection, person, user,
};
use crate::formulations::{FormulationStatus, FormulationSummary};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::verification::{LetterRecord, letter_from};
use crate::{
    Arg, Message, Store, StoreError, StoreResult, audit, corrupt, is_unique_violation, on_duplicate,
};

/// What the families endorsed (Art. 25).
#[derive(Debug, Clone)]
pub struct NewEndorsement {
    pub endorsed_on: Date,
    pub families_endorsing: i32,
    /// The minutes or notes of the endorsement meeting.
    pub minutes: String,
}

/// A recorded endorsement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endorsement {
    pub id: i32,
    pub formulation_id: i32,
    pub version_number: i32,
    pub endorsed_on: Date,
    pub families_endorsing: i32,
    /// The households of the endorsed version.
    pub households: i32,
    pub minutes: String,
    pub recorded_at: jiff::Timestamp,
}

/// A committee session to convene.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub held_on: Date,
    pub place: String,
    /// Accounts attending: committee members or others invited.
    pub attendees: Vec<i32>,
}

/// The committee's concept on one agenda item (Art. 24.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Concept {
    /// With the viability report.
    Positive,
    /// With recommendations: the formulation goes back to its formulator.
    Negative,
}

impl Concept {
    pub fn as_str(self) -> &'static str {
        match self {
            Concept::Positive => "positive",
            Concept::Negative => "negative",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "positive" => Some(Concept::Positive),
            "negative" => Some(Concept::Negative),
            _ => None,
        }
    }
}

/// What an objection is against (Art. 24.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionTarget {
    Project,
    Family,
    Parcel,
}

impl ObjectionTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionTarget::Project => "project",
            ObjectionTarget::Family => "family",
            ObjectionTarget::Parcel => "parcel",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "project" => Some(ObjectionTarget::Project),
            "family" => Some(ObjectionTarget::Family),
            "parcel" => Some(ObjectionTarget::Parcel),
            _ => None,
        }
    }
}

/// An objection to file.
#[derive(Debug, Clone)]
pub struct NewObjection {
    pub target: ObjectionTarget,
    /// Which family or parcel (a document, a parcel's name), or the project code.
    pub target_ref: String,
    /// Who objects.
    pub filed_by: String,
    pub text: String,
}

/// One attendee of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attendee {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    pub signed_at: Option<jiff::Timestamp>,
}

/// One project on a session's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaEntry {
    pub id: i32,
    pub formulation_id: i32,
    pub code: String,
    pub title: String,
    pub version_number: i32,
    pub concept: Option<Concept>,
    pub concept_text: Option<String>,
    pub evaluation_summary: Option<serde_json::Value>,
    pub decided_at: Option<jiff::Timestamp>,
    pub lock_version: i32,
}

/// An objection as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub id: i32,
    pub formulation_id: i32,
    pub target: ObjectionTarget,
    pub target_ref: String,
    pub filed_by: String,
    pub text: String,
    pub filed_at: jiff::Timestamp,
    pub session_id: Option<i32>,
    /// `Some(true)` upheld, `Some(false)` rejected.
    pub upheld: Option<bool>,
    pub reasons: Option<String>,
    pub decided_at: Option<jiff::Timestamp>,
}

/// A session with everything that happened in it: the content of its minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Minutes {
    pub session_id: i32,
    pub held_on: Date,
    pub place: String,
    pub closed_at: Option<jiff::Timestamp>,
    pub lock_version: i32,
    pub attendees: Vec<Attendee>,
    pub agenda: Vec<AgendaEntry>,
    pub objections: Vec<Objection>,
}

impl Minutes {
    /// Final once drawn up and signed by every attendee (Art. 23).
    pub fn is_final(&self) -> bool {
        self.closed_at.is_some()
            && !self.attendees.is_empty()
            && self.attendees.iter().all(|a| a.signed_at.is_some())
    }

    /// The attendees who have not signed yet.
    pub fn missing_signatures(&self) -> Vec<&Attendee> {
        self.attendees.iter().filter(|a| a.signed_at.is_none()).collect()
    }
}

/// The award to issue (Art. 27). The store derives the amounts from the co-financing split of
/// the approved version (`vereda_domain::finance::AwardAmounts`): the director chooses only the
/// institute's contribution, at most the evaluated maximum, and says why when it is lower.
#[derive(Debug, Clone)]
pub struct NewAward {
    /// The territorial office's code in resolution numbers (e.g. `CAQ`).
    pub office_code: String,
    pub awarded_on: Date,
    pub motivation: String,
    /// `None` awards the evaluated maximum.
    pub institute_contribution: Option<Decimal>,
    /// Required when the contribution is below the maximum; the resolution states it.
    pub lowering_motivation: String,
    /// Obligations the director adds to the standard ones (the guarantee policy, the
    /// joint-signature account and the counterpart), which are always listed.
    pub obligations: String,
}

/// What an award would be, before it is made ([`Store::award_preview`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardPreview {
    pub code: String,
    pub title: String,
    /// The families of the approved version.
    pub families: i32,
    /// The award letters it would write: the families found in the register.
    pub letters: usize,
    pub institute_contribution: Decimal,
    pub maximum: Decimal,
}

/// An issued resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Award {
    pub id: i32,
    pub formulation_id: i32,
    pub session_id: i32,
    pub number: String,
    pub office_code: String,
    pub year: i32,
    pub sequence: i32,
    pub awarded_on: Date,
    pub motivation: String,
    pub families: i32,
    pub institute_contribution: Decimal,
    pub counterpart: Decimal,
    pub guarantee: Decimal,
    /// Only the obligations the director added; see [`Award::standard_obligations`].
    pub obligations: String,
    pub evaluated_maximum: Option<Decimal>,
    pub lowering_motivation: Option<String>,
    pub signed_by: Option<i32>,
    pub signed_at: jiff::Timestamp,
}

impl Award {
    /// The obligations every award states (Art. 29 par., 31, 32.1), from its amounts.
    pub fn standard_obligations(&self) -> Message {
        Message::new("procedure-standard_obligations")
            .with("guarantee", self.guarantee)
            .with("counterpart", self.counterpart)
    }
}

/// One of the four requirements of Art. 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// 32.1: the joint-signature account.
    JointAccount,
    /// 32.2: positive concept with the viability report.
    PositiveConcept,
    /// 32.3: the award resolution.
    Resolution,
    /// 32.4: the compliance policy approved.
    ApprovedPolicy,
}

impl Requirement {
    pub const ALL: [Requirement; 4] = [
        Requirement::JointAccount,
        Requirement::PositiveConcept,
        Requirement::Resolution,
        Requirement::ApprovedPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::JointAccount => "joint_account",
            Requirement::PositiveConcept => "positive_concept",
            Requirement::Resolution => "resolution",
            Requirement::ApprovedPolicy => "approved_policy",
        }
    }
}

/// The disbursement checklist: each requirement with its evidence when met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub formulation_id: i32,
    pub items: Vec<(Requirement, Option<String>)>,
    pub lock_version: i32,
    pub amount: Option<Decimal>,
    pub paid_on: Option<Date>,
}

impl Checklist {
    pub fn missing(&self) -> Vec<Requirement> {
        self.items
            .iter()
            .filter(|(_, evidence)| evidence.is_none())
            .map(|(r, _)| *r)
            .collect()
    }
}

/// One event in a project's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    pub at: jiff::Timestamp,
    /// version, endorsement, agenda, concept, objection, objection_decided, signature, award,
    /// disbursement, audit.
    pub kind: &'static str,
    /// What happened, as a typed message.
    pub message: Message,
    /// Who took the step: the account's e-mail (or the audit log's `system:PROCESS`); `None`
    /// where the record does not say. Never a household's data.
    pub actor: Option<String>,
}

/// One field that differs between two versions of a formulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// JSON path, e.g. `frame.households[2].name`.
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn refuse(what: &str, error: StoreError) -> StoreError {
    tracing::info!(step = what, reason = %error, "procedure step refused");
    error
}

/// The ids of the formulations within `reach`, as a subquery.
pub(crate) fn formulations_within(reach: &Reach) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(formulation::Column::Id)
        .from(formulation::Entity)
        .cond_where(crate::scope::municipality_within(
            formulation::Column::MunicipalityCode,
            reach,
        ))
        .to_owned()
}

/// Asks the domain whether `role` may take `action` from `state`.
fn check(state: ProcedureState, action: ProcedureAction, role: Role) -> StoreResult<ProcedureState> {
    transition(state, action, role).map_err(|refusal| {
        let message = refusal.message();
        let error = match refusal.kind {
            RefusalKind::Role => StoreError::Forbidden(message),
            RefusalKind::State => StoreError::Conflict(message),
        };
        refuse(action.as_str(), error)
    })
}

async fn role_of(db: &impl ConnectionTrait, actor: &Actor) -> StoreResult<Role> {
    let Some(id) = actor.user_id() else {
        return Err(StoreError::Forbidden(Message::new("procedure-error-staff_only")));
    };
    let row = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            StoreError::Forbidden(Message::new("procedure-error-account_inactive").with("account", id))
        })?;
    row.role.parse().map_err(|e| corrupt("user", id, e))
}

async fn formulation_row(db: &impl ConnectionTrait, id: i32) -> StoreResult<formulation::Model> {
    formulation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "formulation",
            id: id.to_string(),
        })
}

async fn latest_version(
    db: &impl ConnectionTrait,
    formulation_id: i32,
) -> StoreResult<formulation_version::Model> {
    formulation_version::Entity::find()
        .filter(formulation_version::Column::FormulationId.eq(formulation_id))
        .order_by_desc(formulation_version::Column::Number)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("formulation", formulation_id, "it has no version"))
}

/// The committee's positive concept of a formulation and the version it was given to: the
/// approved version, the one an award takes its amounts and families from.
async fn approved_version<C: ConnectionTrait>(
    conn: &C,
    formulation_id: i32,
) -> StoreResult<(agenda_item::Model, formulation_version::Model)> {
    let positive = agenda_item::Entity::find()
        .filter(agenda_item::Column::FormulationId.eq(formulation_id))
        .filter(agenda_item::Column::Concept.eq(Concept::Positive.as_str()))
        .order_by_desc(agenda_item::Column::Id)
        .one(conn)
        .await?
        .ok_or_else(|| {
            corrupt(
                "formulation",
                formulation_id,
                "approved without a positive concept",
            )
        })?;
    let version = formulation_version::Entity::find()
        .filter(formulation_version::Column::FormulationId.eq(formulation_id))
        .filter(formulation_version::Column::Number.eq(positive.version_number))
        .one(conn)
        .await?
        .ok_or_else(|| corrupt("agenda item", positive.id, "its version does not exist"))?;
    Ok((positive, version))
}

/// The households that receive the award letter: those of the version found in the register.
async fn award_addressees<C: ConnectionTrait>(
    conn: &C,
    row: &formulation::Model,
    content: &Formulation,
) -> StoreResult<Vec<household::Model>> {
    let ids: Vec<String> = content
        .frame
        .households
        .iter()
        .map(|h| h.id.trim().to_owned())
        .collect();
    let mut query = household::Entity::find()
        .filter(household::Column::ExternalId.is_in(ids))
        .filter(household::Column::CallId.is_not_null());
    if let Some(call_id) = row.call_id {
        query = query.filter(household::Column::CallId.eq(call_id));
    }
    Ok(query.order_by_asc(household::Column::Id).all(conn).await?)
}

/// The award letter (Art. 27, 46) to every household of the awarded version found in the
/// register: by `frame.households[].id` = external id, in the formulation's call when it has
/// one. Households not registered in a call get no letter (a letter belongs to a call).
async fn write_award_letters(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    row: &formulation::Model,
    content: &Formulation,
    saved: &award::Model,
) -> StoreResult<Vec<LetterRecord>> {
    let households = award_addressees(txn, row, content).await?;
    let heads: HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::HouseholdId.is_in(households.iter().map(|h| h.id)))
        .filter(person::Column::IsHead.eq(true))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.household_id, p))
        .collect();
    let mut calls: HashMap<i32, call::Model> = HashMap::new();
    let mut letters = Vec::new();
    for household in households {
        let Some(call_id) = household.call_id else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = calls.entry(call_id) {
            let found = call::Entity::find_by_id(call_id)
                .one(txn)
                .await?
                .ok_or_else(|| corrupt("household", household.id, "its call is missing"))?;
            slot.insert(found);
        }
        let Some(the_call) = calls.get(&call_id) else {
            continue;
        };
        let head_name = heads
            .get(&household.id)
            .map(|p| format!("{} {}", p.first_name, p.last_name))
            .unwrap_or_default();
        let facts = LetterFacts {
            head_name: head_name.clone(),
            household_ref: household.external_id.clone(),
            call_name: the_call.name.clone(),
            call_code: the_call.code.clone(),
            deadline: None,
            required: Vec::new(),
            outcome: None,
            reasons: String::new(),
            screening_codes: Vec::new(),
            missing: Vec::new(),
            date: saved.awarded_on.0,
            award: Some(AwardFacts {
                project_code: row.code.clone(),
                project_title: row.title.clone(),
                resolution: saved.number.clone(),
                institute_contribution: saved.institute_contribution.0,
            }),
            petition: None,
            staff: None,
        };
        let to = crate::verification::Addressee {
            call_id: Some(call_id),
            household_id: Some(household.id),
            petition_id: None,
            recipient: head_name,
            email: household.email.clone(),
        };
        let stored = audit::insert(
            txn,
            actor,
            crate::verification::letter_row(LetterKind::Award, to, &facts)?,
        )
        .await?;
        letters.push(letter_from(stored)?);
    }
    Ok(letters)
}

fn households_of(version: &formulation_version::Model, content: &Formulation) -> StoreResult<i32> {
    i32::try_from(content.frame.households.len()).map_err(|e| corrupt("formulation version", version.id, e))
}

/// The state of a formulation, read from its records.
async fn state_of(db: &impl ConnectionTrait, row: &formulation::Model) -> StoreResult<ProcedureState> {
    let states = procedure_states_of(db, std::slice::from_ref(row)).await?;
    states
        .get(&row.id)
        .copied()
        .ok_or_else(|| StoreError::Fault(format!("formulation {}: no procedure state", row.id)))
}

/// Where each of `rows` stands in the procedure, read from the records of its steps: the
/// formulation's status, then its award and payment (approved), or its latest version's
/// endorsement and pending agenda item (submitted). Five statements whatever the number of
/// rows, so a list shows the same state as the project's own page at the cost of one.
pub(crate) async fn procedure_states_of(
    db: &impl ConnectionTrait,
    rows: &[formulation::Model],
) -> StoreResult<HashMap<i32, ProcedureState>> {
    let mut statuses = Vec::with_capacity(rows.len());
    for row in rows {
        let status: FormulationStatus = row
            .status
            .parse()
            .map_err(|e| corrupt("formulation", row.id, e))?;
        statuses.push((row.id, status));
    }
    let ids_in = |wanted: FormulationStatus| -> Vec<i32> {
        statuses
            .iter()
            .filter(|(_, status)| *status == wanted)
            .map(|(id, _)| *id)
            .collect()
    };
    let approved = ids_in(FormulationStatus::Approved);
    let submitted = ids_in(FormulationStatus::Submitted);
    let mut paid = std::collections::HashSet::new();
    let mut awarded = std::collections::HashSet::new();
    for chunk in approved.chunks(crate::IN_LIST_LIMIT) {
        paid.extend(
            disbursement::Entity::find()
                .select_only()
                .column(disbursement::Column::FormulationId)
                .filter(disbursement::Column::FormulationId.is_in(chunk.iter().copied()))
                .filter(disbursement::Column::PaidOn.is_not_null())
                .into_tuple::<i32>()
                .all(db)
                .await?,
        );
        awarded.extend(
            award::Entity::find()
                .select_only()
                .column(award::Column::FormulationId)
                .filter(award::Column::FormulationId.is_in(chunk.iter().copied()))
                .into_tuple::<i32>()
                .all(db)
                .await?,
        );
    }
    let mut pending = std::collections::HashSet::new();
    let mut endorsed = std::collections::HashSet::new();
    for chunk in submitted.chunks(crate::IN_LIST_LIMIT) {
        let latest = crate::formulations::latest_version_numbers(db, chunk).await?;
        let is_latest = |(id, version): &(i32, i32)| latest.get(id) == Some(version);
        pending.extend(
            agenda_item::Entity::find()
                .select_only()
                .columns([
                    agenda_item::Column::FormulationId,
                    agenda_item::Column::VersionNumber,
                ])
                .filter(agenda_item::Column::FormulationId.is_in(chunk.iter().copied()))
                .filter(agenda_item::Column::Concept.is_null())
                .into_tuple::<(i32, i32)>()
                .all(db)
                .await?
                .into_iter()
                .filter(is_latest)
                .map(|(id, _)| id),
        );
        endorsed.extend(
            endorsement::Entity::find()
                .select_only()
                .columns([
                    endorsement::Column::FormulationId,
                    endorsement::Column::VersionNumber,
                ])
                .filter(endorsement::Column::FormulationId.is_in(chunk.iter().copied()))
                .into_tuple::<(i32, i32)>()
                .all(db)
                .await?
                .into_iter()
                .filter(is_latest)
                .map(|(id, _)| id),
        );
    }
    Ok(statuses
        .into_iter()
        .map(|(id, status)| {
            let state = match status {
                FormulationStatus::Draft => ProcedureState::Draft,
                FormulationStatus::Returned => ProcedureState::Returned,
                FormulationStatus::Approved if paid.contains(&id) => ProcedureState::Disbursed,
                FormulationStatus::Approved if awarded.contains(&id) => ProcedureState::Awarded,
                FormulationStatus::Approved => ProcedureState::Viable,
                FormulationStatus::Submitted if pending.contains(&id) => ProcedureState::OnAgenda,
                FormulationStatus::Submitted if endorsed.contains(&id) => ProcedureState::Endorsed,
                FormulationStatus::Submitted => ProcedureState::Submitted,
            };
            (id, state)
        })
        .collect())
}

/// Sets a formulation's status (approved after a positive concept, returned after a negative
/// one or an upheld objection: the formulator's next save is then a new version).
async fn set_status(
    db: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    row: &formulation::Model,
    to: FormulationStatus,
    reason: Option<&str>,
) -> StoreResult<()> {
    let mut active = row.clone().into_active_model();
    active.status = Set(to.to_string());
    if let Some(reason) = reason {
        active.return_reason = Set(Some(reason.to_owned()));
    }
    active.updated_at = Set(DbTimestamp::now());
    audit::update(db, actor, row, active).await?;
    Ok(())
}

async fn session_row(db: &impl ConnectionTrait, id: i32) -> StoreResult<committee_session::Model> {
    committee_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "committee session",
            id: id.to_string(),
        })
}

/// Bumps a session's `lock_version` if it is still the one read, or answers `Conflict`.
async fn bump_session(
    db: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    session: &committee_session::Model,
    lock_version: i32,
    closed_at: Option<DbTimestamp>,
) -> StoreResult<()> {
    let mut update = committee_session::Entity::update_many()
        .col_expr(
            committee_session::Column::LockVersion,
            Expr::value(lock_version + 1),
        )
        .filter(committee_session::Column::Id.eq(session.id))
        .filter(committee_session::Column::LockVersion.eq(lock_version));
    if let Some(at) = closed_at {
        update = update.col_expr(committee_session::Column::ClosedAt, Expr::value(at));
    }
    audit::conditional_update(db, actor, update, session, session.id, || {
        refuse(
            "session",
            StoreError::Conflict(Message::new("procedure-error-session_changed").with("session", session.id)),
        )
    })
    .await?;
    Ok(())
}

/// The committee decides through the members attending the session (Art. 23).
async fn attending(db: &impl ConnectionTrait, actor: &Actor, session_id: i32, what: &str) -> StoreResult<()> {
    let present = match actor.user_id() {
        Some(user_id) => committee_attendee::Entity::find()
            .filter(committee_attendee::Column::SessionId.eq(session_id))
            .filter(committee_attendee::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    if present {
        Ok(())
    } else {
        Err(refuse(
            what,
            StoreError::Forbidden(Message::new("procedure-error-not_attending").with("session", session_id)),
        ))
    }
}

fn open(session: &committee_session::Model) -> StoreResult<()> {
    if session.closed_at.is_some() {
        return Err(refuse(
            "session",
            StoreError::Conflict(Message::new("procedure-error-session_closed").with("session", session.id)),
        ));
    }
    Ok(())
}

fn endorsement_of(row: endorsement::Model) -> Endorsement {
    Endorsement {
        id: row.id,
        formulation_id: row.formulation_id,
        version_number: row.version_number,
        endorsed_on: row.endorsed_on.0,
        families_endorsing: row.families_endorsing,
        households: row.households,
        minutes: row.minutes,
        recorded_at: row.recorded_at.0,
    }
}

fn objection_of(row: objection::Model) -> StoreResult<Objection> {
    Ok(Objection {
        target: ObjectionTarget::parse(&row.target)
            .ok_or_else(|| corrupt("objection", row.id, "unknown target"))?,
        upheld: row.decision.as_deref().map(|d| d == "upheld"),
        id: row.id,
        formulation_id: row.formulation_id,
        target_ref: row.target_ref,
        filed_by: row.filed_by,
        text: row.text,
        filed_at: row.filed_at.0,
        session_id: row.session_id,
        reasons: row.reasons,
        decided_at: row.decided_at.map(|t| t.0),
    })
}

fn award_of(row: award::Model) -> Award {
    Award {
        id: row.id,
        formulation_id: row.formulation_id,
        session_id: row.session_id,
        number: row.number,
        office_code: row.office_code,
        year: row.year,
        sequence: row.sequence,
        awarded_on: row.awarded_on.0,
        motivation: row.motivation,
        families: row.families,
        institute_contribution: row.institute_contribution.0,
        counterpart: row.counterpart.0,
        guarantee: row.guarantee.0,
        obligations: row.obligations,
        evaluated_maximum: row.evaluated_maximum.map(|d| d.0),
        lowering_motivation: row.lowering_motivation,
        signed_by: row.signed_by,
        signed_at: row.signed_at.0,
    }
}

fn concept_changed(code: &str) -> Message {
    Message::new("procedure-error-concept_changed").with("code", code)
}

fn checklist_changed() -> Message {
    Message::new("procedure-error-checklist_changed")
}

/// `text`, trimmed, or a refusal naming the field that is missing (a catalogue identifier).
fn required(text: &str, field: &'static str) -> StoreResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(
            Message::new("procedure-error-required").with_term("field", field),
        ));
    }
    Ok(text.to_owned())
}

/// Whether an award's transaction lost a race for its number: another award took it (a unique
/// violation), or SQLite refused to upgrade a read snapshot that another writer made stale.
pub(crate) fn retryable(error: &sea_orm::DbErr) -> bool {
    if is_unique_violation(error) {
        return true;
    }
    let text = error.to_string();
    text.contains("database is locked")
        || text.contains("(code: 517)")
        || text.contains("could not serialize")
}

/// Serialises a series of numbers (an office-year's resolutions, a year's appeal decisions)
/// on PostgreSQL: the transaction about to read the series' last number holds it until it
/// ends, so concurrent acts on several servers take their turn instead of colliding on the
/// next number and retrying. SQLite has one writer at a time already.
pub(crate) async fn lock_number_series(
    db: &impl ConnectionTrait,
    series: &str,
) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [series.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A resolution number: `DT-CAQ-2013-001`.
pub fn award_number(office_code: &str, year: i32, sequence: i32) -> String {
    format!("DT-{office_code}-{year}-{sequence:03}")
}

impl Store {
    /// The territorial office of an account, if it has one (a director signs awards with
    /// its office's numbering).
    pub async fn account_office(&self, user_id: i32) -> StoreResult<Option<i32>> {
        Ok(user::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .and_then(|u| u.territorial_office_id))
    }

    /// Assigns an account to a territorial office.
    pub async fn assign_territorial_office(
        &self,
        actor: &Actor,
        user_id: i32,
        office_id: Option<i32>,
    ) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        let before = user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "account",
                id: user_id.to_string(),
            })?;
        user::Entity::update_many()
            .col_expr(user::Column::TerritorialOfficeId, Expr::value(office_id))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        // Only the changed field: the account's row holds its password hash.
        audit::append(
            &txn,
            actor,
            "users",
            &user_id.to_string(),
            AuditAction::Update,
            Some(serde_json::json!({ "territorial_office_id": before.territorial_office_id })),
            Some(serde_json::json!({ "territorial_office_id": office_id })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Where a formulation stands in the procedure.
    pub async fn procedure_state(&self, formulation_id: i32) -> StoreResult<ProcedureState> {
        let row = formulation_row(&self.db, formulation_id).await?;
        state_of(&self.db, &row).await
    }

    /// Records the families' endorsement of the latest version (Art. 25). A majority of the
    /// version's households must endorse it (the default reading of "avalados por las
    /// familias beneficiarias").
    pub async fn record_endorsement(
        &self,
        actor: &Actor,
        formulation_id: i32,
        new: NewEndorsement,
    ) -> StoreResult<Endorsement> {
        let minutes = required(&new.minutes, "procedure-field-endorsement_minutes")?;
        let txn = self.write_transaction().await?;
        crate::scope::check_formulation_editor(&txn, actor, Permission::RecordEndorsement, formulation_id)
            .await?;
        let role = role_of(&txn, actor).await?;
        let row = formulation_row(&txn, formulation_id).await?;
        let state = state_of(&txn, &row).await?;
        check(state, ProcedureAction::Endorse, role)?;
        let version = latest_version(&txn, formulation_id).await?;
        let content = custody::content_of(&version)?;
        custody::check_households(&txn, row.call_id, &row.code, &content, Scrutiny::Presented)
            .await
            .map_err(|e| refuse("endorse", e))?;
        custody::check_parcels(&txn, &row, &content)
            .await
            .map_err(|e| refuse("endorse", e))?;
        let households = households_of(&version, &content)?;
        if new.families_endorsing < 1 || new.families_endorsing > households {
            return Err(refuse(
                "endorse",
                StoreError::Invalid(
                    Message::new("procedure-error-endorsing_above_households")
                        .with("endorsing", new.families_endorsing)
                        .with("version", version.number)
                        .with("households", households),
                ),
            ));
        }
        if new.families_endorsing * 2 <= households {
            return Err(refuse(
                "endorse",
                StoreError::Invalid(
                    Message::new("procedure-error-no_majority")
                        .with("endorsing", new.families_endorsing)
                        .with("households", households),
                ),
            ));
        }
        let saved = audit::insert(
            &txn,
            actor,
            endorsement::ActiveModel {
                formulation_id: Set(formulation_id),
                version_number: Set(version.number),
                endorsed_on: Set(DbDate(new.endorsed_on)),
                families_endorsing: Set(new.families_endorsing),
                households: Set(households),
                minutes: Set(minutes),
                recorded_by: Set(actor.user_id()),
                recorded_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await
        .map_err(on_duplicate(|| {
            StoreError::Conflict(
                Message::new("procedure-error-already_endorsed").with("version", version.number),
            )
        }))?;
        txn.commit().await?;
        Ok(endorsement_of(saved))
    }

    /// The endorsements of a formulation, oldest first.
    pub async fn endorsements(&self, formulation_id: i32) -> StoreResult<Vec<Endorsement>> {
        Ok(endorsement::Entity::find()
            .filter(endorsement::Column::FormulationId.eq(formulation_id))
            .order_by_asc(endorsement::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(endorsement_of)
            .collect())
    }

    /// Convenes a committee session with its attendees.
    pub async fn create_session(&self, actor: &Actor, new: NewSession) -> StoreResult<Minutes> {
        let txn = self.write_transaction().await?;
        let role = role_of(&txn, actor).await?;
        crate::scope::refuse_unpermitted(Some(role), Permission::ManageCommittee)
            .map_err(|e| refuse("create_session", e))?;
        let place = required(&new.place, "procedure-field-place")?;
        if new.attendees.is_empty() {
            return Err(StoreError::Invalid(Message::new("procedure-error-no_attendees")));
        }
        let session = audit::insert(
            &txn,
            actor,
            committee_session::ActiveModel {
                held_on: Set(DbDate(new.held_on)),
                place: Set(place),
                closed_at: Set(None),
                lock_version: Set(0),
                created_by: Set(actor.user_id()),
                created_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await?;
        let mut attendees = new.attendees.clone();
        attendees.sort_unstable();
        attendees.dedup();
        let active: std::collections::HashSet<i32> = user::Entity::find()
            .filter(user::Column::Id.is_in(attendees.iter().copied()))
            .filter(user::Column::Active.eq(true))
            .all(&txn)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect();
        for user_id in attendees {
            let account_id = active.get(&user_id).copied().ok_or_else(|| {
                StoreError::Invalid(
                    Message::new("procedure-error-attendee_inactive").with("account", user_id),
                )
            })?;
            audit::insert(
                &txn,
                actor,
                committee_attendee::ActiveModel {
                    session_id: Set(session.id),
                    user_id: Set(account_id),
                    signed_at: Set(None),
                    ..Default::default()
                },
            )
            .await?;
        }
        txn.commit().await?;
        self.minutes(session.id).await
    }

    /// Committee sessions, latest first.
    pub async fn sessions(&self) -> StoreResult<Vec<committee_session::Model>> {
        Ok(committee_session::Entity::find()
            .order_by_desc(committee_session::Column::HeldOn)
            .order_by_desc(committee_session::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Puts the latest version of an endorsed formulation on an open session's agenda.
    pub async fn add_to_agenda(
        &self,
        actor: &Actor,
        session_id: i32,
        formulation_id: i32,
        lock_version: i32,
    ) -> StoreResult<AgendaEntry> {
        let txn = self.write_transaction().await?;
        let role = role_of(&txn, actor).await?;
        let session = session_row(&txn, session_id).await?;
        open(&session)?;
        let row = formulation_row(&txn, formulation_id).await?;
        let state = state_of(&txn, &row).await?;
        check(state, ProcedureAction::Schedule, role)?;
        let version = latest_version(&txn, formulation_id).await?;
        bump_session(&txn, actor, &session, lock_version, None).await?;
        let item = audit::insert(
            &txn,
            actor,
            agenda_item::ActiveModel {
                session_id: Set(session_id),
                formulation_id: Set(formulation_id),
                version_number: Set(version.number),
                lock_version: Set(0),
                ..Default::default()
            },
        )
        .await
        .map_err(on_duplicate(|| {
            StoreError::Conflict(
                Message::new("procedure-error-already_on_agenda")
                    .with("code", &row.code)
                    .with("session", session_id),
            )
        }))?;
        txn.commit().await?;
        Ok(AgendaEntry {
            id: item.id,
            formulation_id,
            code: row.code,
            title: row.title,
            version_number: item.version_number,
            concept: None,
            concept_text: None,
            evaluation_summary: None,
            decided_at: None,
            lock_version: item.lock_version,
        })
    }

    /// The committee's concept on an agenda item (Art. 24.4): positive with the viability
    /// report (the version's evaluation summary is kept with it), or negative with
    /// recommendations, which returns the formulation to its formulator.
    pub async fn issue_concept(
        &self,
        actor: &Actor,
        agenda_item_id: i32,
        concept: Concept,
        text: &str,
        lock_version: i32,
    ) -> StoreResult<AgendaEntry> {
        let text = required(
            text,
            match concept {
                Concept::Positive => "procedure-field-viability_report",
                Concept::Negative => "procedure-field-recommendations",
            },
        )?;
        let txn = self.write_transaction().await?;
        let role = role_of(&txn, actor).await?;
        let item = agenda_item::Entity::find_by_id(agenda_item_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "agenda item",
                id: agenda_item_id.to_string(),
            })?;
        let session = session_row(&txn, item.session_id).await?;
        open(&session)?;
        let row = formulation_row(&txn, item.formulation_id).await?;
        let action = match concept {
            Concept::Positive => ProcedureAction::ConceptPositive,
            Concept::Negative => ProcedureAction::ConceptNegative,
        };
        let state = state_of(&txn, &row).await?;
        check(state, action, role)?;
        attending(&txn, actor, session.id, "concept").await?;
        if item.concept.is_some() || item.lock_version != lock_version {
            return Err(refuse(
                "concept",
                StoreError::Conflict(concept_changed(&row.code)),
            ));
        }
        custody::check_no_pending_objection(&txn, &row)
            .await
            .map_err(|e| refuse("concept", e))?;
        let version = formulation_version::Entity::find()
            .filter(formulation_version::Column::FormulationId.eq(item.formulation_id))
            .filter(formulation_version::Column::Number.eq(item.version_number))
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("agenda item", item.id, "its version does not exist"))?;
        if concept == Concept::Positive {
            let evaluated = custody::evaluate_version(&version).map_err(|e| refuse("concept", e))?;
            custody::check_viable(&version, &evaluated).map_err(|e| refuse("concept", e))?;
            custody::check_households(
                &txn,
                row.call_id,
                &row.code,
                &evaluated.content,
                Scrutiny::Presented,
            )
            .await
            .map_err(|e| refuse("concept", e))?;
        }
        let summary = serde_json::json!({
            "version": version.number,
            "content_sha256": version.content_sha256,
            "viable": version.viable,
            "irr": version.irr,
            "rule_set_id": version.rule_set_id,
            "rule_set_hash": version.rule_set_hash,
        });
        let now = DbTimestamp::now();
        let update = agenda_item::Entity::update_many()
            .col_expr(agenda_item::Column::Concept, Expr::value(concept.as_str()))
            .col_expr(agenda_item::Column::ConceptText, Expr::value(text.clone()))
            .col_expr(
                agenda_item::Column::EvaluationSummary,
                Expr::value(summary.to_string()),
            )
            .col_expr(agenda_item::Column::DecidedBy, Expr::value(actor.user_id()))
            .col_expr(agenda_item::Column::DecidedAt, Expr::value(now))
            .col_expr(agenda_item::Column::LockVersion, Expr::value(lock_version + 1))
            .filter(agenda_item::Column::Id.eq(item.id))
            .filter(agenda_item::Column::LockVersion.eq(lock_version))
            .filter(agenda_item::Column::Concept.is_null());
        let after = audit::conditional_update(&txn, actor, update, &item, item.id, || {
            refuse("concept", StoreError::Conflict(concept_changed(&row.code)))
        })
        .await?;
        match concept {
            Concept::Positive => set_status(&txn, actor, &row, FormulationStatus::Approved, None).await?,
            Concept::Negative => {
                set_status(&txn, actor, &row, FormulationStatus::Returned, Some(&text)).await?
            }
        }
        txn.commit().await?;
        Ok(AgendaEntry {
            id: after.id,
            formulation_id: row.id,
            code: row.code,
            title: row.title,
            version_number: after.version_number,
            concept: Some(concept),
            concept_text: after.concept_text,
            evaluation_summary: Some(summary),
            decided_at: after.decided_at.map(|t| t.0),
            lock_version: after.lock_version,
        })
    }

    /// Files an objection against a project, one of its families or parcels (Art. 24.6).
    pub async fn file_objection(
        &self,
        actor: &Actor,
        formulation_id: i32,
        new: NewObjection,
    ) -> StoreResult<Objection> {
        let filed_by = required(&new.filed_by, "procedure-field-objection_filed_by")?;
        let text = required(&new.text, "procedure-field-objection_text")?;
        let target_ref = required(&new.target_ref, "procedure-field-objection_target")?;
        let txn = self.write_transaction().await?;
        let role = role_of(&txn, actor).await?;
        crate::scope::refuse_unpermitted(Some(role), Permission::ManageCommittee)
            .map_err(|e| refuse("file_objection", e))?;
        formulation_row(&txn, formulation_id).await?;
        let saved = audit::insert(
            &txn,
            actor,
            objection::ActiveModel {
                formulation_id: Set(formulation_id),
                target: Set(new.target.as_str().to_owned()),
                target_ref: Set(target_ref),
                filed_by: Set(filed_by),
                text: Set(text),
                recorded_by: Set(actor.user_id()),
                filed_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await?;
        txn.commit().await?;
        objection_of(saved)
    }

    /// Decides an objection in an open session. An upheld one returns the project to its
    /// formulator (Art. 24.6) unless it was already awarded.
    pub async fn decide_objection(
        &self,
        actor: &Actor,
        objection_id: i32,
        session_id: i32,
        upheld: bool,
        reasons: &str,
    ) -> StoreResult<Objection> {
        let reasons = required(reasons, "procedure-field-decision_reasons")?;
        let txn = self.write_transaction().await?;
        let role = role_of(&txn, actor).await?;
        let session = session_row(&txn, session_id).await?;
        open(&session)?;
        let before = objection::Entity::find_by_id(objection_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "objection",
                id: objection_id.to_string(),
            })?;
        if before.decision.is_some() {
            return Err(refuse(
                "decide_objection",
                StoreError::Conflict(
                    Message::new("procedure-error-objection_decided").with("objection", objection_id),
                ),
            ));
        }
        let row = formulation_row(&txn, before.formulation_id).await?;
        let state = state_of(&txn, &row).await?;
        if upheld {
            check(state, ProcedureAction::UpholdObjection, role)?;
        } else {
            crate::scope::refuse_unpermitted(Some(role), Permission::IssueConcept)
                .map_err(|e| refuse("decide_objection", e))?;
        }
        attending(&txn, actor, session_id, "decide_objection").await?;
        let mut active = before.clone().into_active_model();
        active.session_id = Set(Some(session_id));
        active.decision = Set(Some(if upheld { "upheld" } else { "rejected" }.to_owned()));
        active.reasons = Set(Some(reasons.clone()));
        active.decided_by = Set(actor.user_id());
        active.decided_at = Set(Some(DbTimestamp::now()));
        let after = audit::update(&txn, actor, &before, active).await?;
        if upheld {
            set_status(
                &txn,
                actor,
                &row,
                FormulationStatus::Returned,
                Some(&format!("Oposición procedente (Art. 24.6): {reasons}")),
            )
            .await?;
        }
        txn.commit().await?;
        objection_of(after)
    }

    /// The objections against a formulation, oldest first.
    pub async fn objections(&self, formulation_id: i32) -> StoreResult<Vec<Objection>> {
        objection::Entity::find()
            .filter(objection::Column::FormulationId.eq(formulation_id))
            .order_by_asc(objection::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(objection_of)
            .collect()
    }

    /// The objections not yet decided, by project code and then as filed, each with its
    /// project's code: two
    /// statements however many there are.
    pub async fn pending_objections(&self, reach: &Reach) -> StoreResult<Vec<(String, Objection)>> {
        let rows = objection::Entity::find()
            .filter(objection::Column::Decision.is_null())
            .filter(objection::Column::FormulationId.in_subquery(formulations_within(reach)))
            .order_by_asc(objection::Column::Id)
            .all(&self.db)
            .await?;
        let codes: HashMap<i32, String> = formulation::Entity::find()
            .filter(formulation::Column::Id.is_in(rows.iter().map(|o| o.formulation_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| (f.id, f.code))
            .collect();
        let mut pending = rows
            .into_iter()
            .map(|row| {
                let code = codes.get(&row.formulation_id).cloned().unwrap_or_default();
                Ok((code, objection_of(row)?))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // By project, then as filed: a stable sort keeps the id order within a code.
        pending.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(pending)
    }

    /// The formulations that may go on an agenda (`ProcedureState::Endorsed`), by code. The
    /// state is read as [`Store::procedure_state`] reads it, for all of them at once: four
    /// statements however many there are.
    pub async fn agenda_candidates(&self, reach: &Reach) -> StoreResult<Vec<FormulationSummary>> {
        let submitted = formulation::Entity::find()
            .filter(formulation::Column::Status.eq(FormulationStatus::Submitted.as_str()))
            .filter(crate::scope::municipality_within(
                formulation::Column::MunicipalityCode,
                reach,
            ))
            .order_by_asc(formulation::Column::Code)
            .all(&self.db)
            .await?;
        if submitted.is_empty() {
            return Ok(Vec::new());
        }
        let ids = || submitted.iter().map(|f| f.id);
        let latest: HashMap<i32, i32> = formulation_version::Entity::find()
            .select_only()
            .column(formulation_version::Column::FormulationId)
            .column_as(formulation_version::Column::Number.max(), "number")
            .filter(formulation_version::Column::FormulationId.is_in(ids()))
            .group_by(formulation_version::Column::FormulationId)
            .into_tuple::<(i32, i32)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let pending: std::collections::HashSet<(i32, i32)> = agenda_item::Entity::find()
            .select_only()
            .columns([
                agenda_item::Column::FormulationId,
                agenda_item::Column::VersionNumber,
            ])
            .filter(agenda_item::Column::FormulationId.is_in(ids()))
            .filter(agenda_item::Column::Concept.is_null())
            .into_tuple::<(i32, i32)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let endorsed: std::collections::HashSet<(i32, i32)> = endorsement::Entity::find()
            .select_only()
            .columns([
                endorsement::Column::FormulationId,
                endorsement::Column::VersionNumber,
            ])
            .filter(endorsement::Column::FormulationId.is_in(ids()))
            .into_tuple::<(i32, i32)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let mut candidates = Vec::new();
        for row in submitted {
            let version = *latest
                .get(&row.id)
                .ok_or_else(|| corrupt("formulation", row.id, "it has no version"))?;
            let key = (row.id, version);
            // The same order of checks as `state_of`: pending on an agenda, else endorsed.
            if !pending.contains(&key) && endorsed.contains(&key) {
                candidates.push(crate::formulations::summary(row)?);
            }
        }
        Ok(candidates)
    }

    /// Draws up the minutes: the session closes, and its attendees may sign. Every project on
    /// the agenda needs its concept first.
    pub async fn close_session(
        &self,
        actor: &Actor,
        session_id: i32,
        lock_version: i32,
    ) -> StoreResult<Minutes> {
        let txn = self.write_transaction().await?;
        let role = role_of(&txn, actor).await?;
        crate::scope::refuse_unpermitted(Some(role), Permission::ManageCommittee)
            .map_err(|e| refuse("close_session", e))?;
        let session = session_row(&txn, session_id).await?;
        open(&session)?;
        let undecided = crate::count_rows(
            agenda_item::Entity::find()
                .filter(agenda_item::Column::SessionId.eq(session_id))
                .filter(agenda_item::Column::Concept.is_null()),
            &txn,
        )
        .await?;
        if undecided > 0 {
            return Err(refuse(
                "close_session",
                StoreError::Invalid(
                    Message::new("procedure-error-undecided_items").with("undecided", undecided),
                ),
            ));
        }
        bump_session(&txn, actor, &session, lock_version, Some(DbTimestamp::now())).await?;
        txn.commit().await?;
        self.minutes(session_id).await
    }

    /// The logged-in attendee signs the minutes of a closed session (Art. 23).
    pub async fn sign_minutes(&self, actor: &Actor, session_id: i32) -> StoreResult<Minutes> {
        let user_id = actor
            .user_id()
            .ok_or_else(|| StoreError::Forbidden(Message::new("procedure-error-account_signs")))?;
        let txn = self.write_transaction().await?;
        let session = session_row(&txn, session_id).await?;
        if session.closed_at.is_none() {
            return Err(refuse(
                "sign_minutes",
                StoreError::Conflict(Message::new("procedure-error-sign_after_close")),
            ));
        }
        let before = committee_attendee::Entity::find()
            .filter(committee_attendee::Column::SessionId.eq(session_id))
            .filter(committee_attendee::Column::UserId.eq(user_id))
            .one(&txn)
            .await?
            .ok_or_else(|| {
                refuse(
                    "sign_minutes",
                    StoreError::Forbidden(
                        Message::new("procedure-error-not_attending_sign").with("session", session_id),
                    ),
                )
            })?;
        if before.signed_at.is_some() {
            return Err(refuse(
                "sign_minutes",
                StoreError::Conflict(Message::new("procedure-error-already_signed")),
            ));
        }
        let mut active = before.clone().into_active_model();
        active.signed_at = Set(Some(DbTimestamp::now()));
        audit::update(&txn, actor, &before, active).await?;
        txn.commit().await?;
        self.minutes(session_id).await
    }

    /// A session with its attendance, agenda, concepts and objections decided.
    pub async fn minutes(&self, session_id: i32) -> StoreResult<Minutes> {
        minutes_in(&self.db, session_id).await
    }

    /// A session's minutes as a reader with `reach` sees them on a page: the agenda items and
    /// objections of the projects within the reach (a territorial office sees its own).
    pub async fn minutes_within(&self, session_id: i32, reach: &Reach) -> StoreResult<Minutes> {
        let mut minutes = minutes_in(&self.db, session_id).await?;
        if *reach != Reach::National {
            let ids: std::collections::HashSet<i32> = formulation::Entity::find()
                .select_only()
                .column(formulation::Column::Id)
                .filter(formulation::Column::Id.in_subquery(formulations_within(reach)))
                .filter(
                    formulation::Column::Id.is_in(
                        minutes
                            .agenda
                            .iter()
                            .map(|item| item.formulation_id)
                            .chain(minutes.objections.iter().map(|o| o.formulation_id)),
                    ),
                )
                .into_tuple::<i32>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
            minutes.agenda.retain(|item| ids.contains(&item.formulation_id));
            minutes.objections.retain(|o| ids.contains(&o.formulation_id));
        }
        Ok(minutes)
    }

    /// What an award of a viable formulation would be, read for the director to confirm it
    /// (issue 18 part 4): the approved version's families, the institute's contribution (as
    /// typed, else the evaluated maximum) and how many award letters it would write. Reading
    /// only: `award` checks everything again in its own transaction.
    pub async fn award_preview(
        &self,
        actor: &Actor,
        formulation_id: i32,
        institute_contribution: Option<Decimal>,
    ) -> StoreResult<AwardPreview> {
        crate::scope::check_reach(
            &self.db,
            actor,
            Permission::AwardCofinancing,
            crate::scope::Target::Formulation(formulation_id),
        )
        .await?;
        let role = role_of(&self.db, actor).await?;
        let row = formulation_row(&self.db, formulation_id).await?;
        check(state_of(&self.db, &row).await?, ProcedureAction::Award, role)?;
        let (_, version) = approved_version(&self.db, formulation_id).await?;
        let evaluated = custody::evaluate_version(&version)?;
        let amounts = custody::award_amounts(&evaluated, institute_contribution)?;
        Ok(AwardPreview {
            code: row.code.clone(),
            title: row.title.clone(),
            families: households_of(&version, &evaluated.content)?,
            letters: award_addressees(&self.db, &row, &evaluated.content).await?.len(),
            institute_contribution: amounts.institute_contribution,
            maximum: amounts.maximum,
        })
    }

    /// Issues the resolution awarding a viable project's co-financing (Art. 27), signed by the
    /// territorial director taking the step. The positive concept's minutes must be final. The
    /// number is the office-year's next one: a retry takes the next free number if another
    /// award took it meanwhile, so numbers are unique and without gaps. The award letters to the
    /// households of the awarded version are written in the same transaction and come back
    /// pending, for delivery.
    pub async fn award(
        &self,
        actor: &Actor,
        formulation_id: i32,
        new: NewAward,
    ) -> StoreResult<(Award, Vec<LetterRecord>)> {
        let office = new.office_code.trim().to_uppercase();
        if office.is_empty() || office.len() > 8 || !office.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(StoreError::Invalid(
                Message::new("procedure-error-office_code").with("office", office),
            ));
        }
        let motivation = required(&new.motivation, "procedure-field-motivation")?;
        if new.institute_contribution.is_some_and(|c| c <= Decimal::ZERO) {
            return Err(StoreError::Invalid(Message::new(
                "procedure-error-amounts_positive",
            )));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .try_award(actor, formulation_id, &new, &office, &motivation)
                .await
            {
                Err(StoreError::Database(e)) if retryable(&e) && attempt < 8 => {
                    tokio::task::yield_now().await;
                    continue;
                }
                other => return other,
            }
        }
    }

    async fn try_award(
        &self,
        actor: &Actor,
        formulation_id: i32,
        new: &NewAward,
        office: &str,
        motivation: &str,
    ) -> StoreResult<(Award, Vec<LetterRecord>)> {
        let txn = self.write_transaction().await?;
        crate::scope::check_reach(
            &txn,
            actor,
            Permission::AwardCofinancing,
            crate::scope::Target::Formulation(formulation_id),
        )
        .await?;
        let role = role_of(&txn, actor).await?;
        let row = formulation_row(&txn, formulation_id).await?;
        if let Some(call_id) = row.call_id
            && txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres
        {
            // Lock the call before anything is read, so concurrent awards take turns (Art. 30).
            custody::lock_call(&txn, call_id).await?;
        }
        let state = state_of(&txn, &row).await?;
        check(state, ProcedureAction::Award, role)?;
        let (positive, version) = approved_version(&txn, formulation_id).await?;
        let minutes = minutes_in(&txn, positive.session_id).await?;
        if !minutes.is_final() {
            let missing: Vec<String> = minutes
                .missing_signatures()
                .iter()
                .map(|a| a.email.clone())
                .collect();
            return Err(refuse(
                "award",
                StoreError::Conflict(if missing.is_empty() {
                    Message::new("procedure-error-minutes_not_drawn_up").with("session", positive.session_id)
                } else {
                    Message::new("procedure-error-minutes_unsigned")
                        .with("session", positive.session_id)
                        .with("missing", missing.join(", "))
                }),
            ));
        }
        let evaluated = custody::evaluate_version(&version).map_err(|e| refuse("award", e))?;
        let families = households_of(&version, &evaluated.content)?;
        custody::check_viable(&version, &evaluated).map_err(|e| refuse("award", e))?;
        custody::check_households(
            &txn,
            row.call_id,
            &row.code,
            &evaluated.content,
            Scrutiny::Presented,
        )
        .await
        .map_err(|e| refuse("award", e))?;
        let amounts =
            custody::award_amounts(&evaluated, new.institute_contribution).map_err(|e| refuse("award", e))?;
        let lowering_motivation = if amounts.lowered {
            Some(
                required(&new.lowering_motivation, "procedure-field-lowering_motivation").map_err(|_| {
                    refuse(
                        "award",
                        StoreError::Invalid(
                            Message::new("custody-error-lowering_motivation")
                                .with("amount", amounts.institute_contribution)
                                .with("maximum", amounts.maximum),
                        ),
                    )
                })?,
            )
        } else {
            None
        };
        if let Some(call_id) = row.call_id {
            custody::check_call_budget(&txn, call_id, amounts.institute_contribution)
                .await
                .map_err(|e| refuse("award", e))?;
        }
        let year = i32::from(new.awarded_on.year());
        lock_number_series(&txn, &format!("award {office} {year}")).await?;
        let last = award::Entity::find()
            .filter(award::Column::OfficeCode.eq(office))
            .filter(award::Column::Year.eq(year))
            .order_by_desc(award::Column::Sequence)
            .one(&txn)
            .await?
            .map_or(0, |a| a.sequence);
        let sequence = last + 1;
        // The standard obligations follow from the amounts: only the director's are kept.
        let obligations = new.obligations.trim().to_owned();
        let saved = audit::insert(
            &txn,
            actor,
            award::ActiveModel {
                formulation_id: Set(formulation_id),
                session_id: Set(positive.session_id),
                office_code: Set(office.to_owned()),
                year: Set(year),
                sequence: Set(sequence),
                number: Set(award_number(office, year, sequence)),
                awarded_on: Set(DbDate(new.awarded_on)),
                motivation: Set(motivation.to_owned()),
                families: Set(families),
                institute_contribution: Set(Dec(amounts.institute_contribution)),
                counterpart: Set(Dec(amounts.counterpart)),
                guarantee: Set(Dec(amounts.guarantee.amount)),
                obligations: Set(obligations),
                evaluated_maximum: Set(Some(Dec(amounts.maximum))),
                lowering_motivation: Set(lowering_motivation),
                signed_by: Set(actor.user_id()),
                signed_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await?;
        let opened = crate::projects::open_project_of_award(&txn, actor, &row, &evaluated, &saved).await?;
        crate::ledger::plan_at_award(&txn, actor, opened.id, &evaluated).await?;
        let letters = write_award_letters(&txn, actor, &row, &evaluated.content, &saved).await?;
        txn.commit().await?;
        Ok((award_of(saved), letters))
    }

    /// A formulation's award, if any.
    pub async fn award_of(&self, formulation_id: i32) -> StoreResult<Option<Award>> {
        Ok(award::Entity::find()
            .filter(award::Column::FormulationId.eq(formulation_id))
            .one(&self.db)
            .await?
            .map(award_of))
    }

    /// An award, by its id.
    pub async fn award_by_id(&self, award_id: i32) -> StoreResult<Option<Award>> {
        Ok(award::Entity::find_by_id(award_id)
            .one(&self.db)
            .await?
            .map(award_of))
    }

    /// The awards of a call's formulations, by resolution number: what Art. 46 publishes.
    pub async fn call_awards(
        &self,
        call_id: i32,
    ) -> StoreResult<Vec<(crate::formulations::FormulationSummary, Award)>> {
        let formulations = self
            .formulations(&crate::formulations::FormulationQuery {
                call_id: Some(call_id),
                ..Default::default()
            })
            .await?;
        let ids: Vec<i32> = formulations.iter().map(|f| f.id).collect();
        let mut awards: Vec<Award> = award::Entity::find()
            .filter(award::Column::FormulationId.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(award_of)
            .collect();
        awards.sort_by(|a, b| a.number.cmp(&b.number));
        Ok(awards
            .into_iter()
            .filter_map(|award| {
                let formulation = formulations
                    .iter()
                    .find(|f| f.id == award.formulation_id)?
                    .clone();
                Some((formulation, award))
            })
            .collect())
    }

    /// Records the evidence of the joint account (Art. 32.1) and of the approved policy
    /// (Art. 32.4, by the territorial director or the office's coordinator). `None` keeps what
    /// was recorded.
    pub async fn record_disbursement_evidence(
        &self,
        actor: &Actor,
        formulation_id: i32,
        joint_account: Option<&str>,
        approved_policy: Option<&str>,
        lock_version: i32,
    ) -> StoreResult<Checklist> {
        let txn = self.write_transaction().await?;
        crate::scope::check_reach(
            &txn,
            actor,
            Permission::RecordDisbursement,
            crate::scope::Target::Formulation(formulation_id),
        )
        .await?;
        let role = role_of(&txn, actor).await?;
        crate::scope::refuse_unpermitted(Some(role), Permission::RecordDisbursement)
            .map_err(|e| refuse("disbursement_evidence", e))?;
        formulation_row(&txn, formulation_id).await?;
        let clean = |text: Option<&str>| text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        let existing = disbursement::Entity::find()
            .filter(disbursement::Column::FormulationId.eq(formulation_id))
            .one(&txn)
            .await?;
        match existing {
            None => {
                if lock_version != 0 {
                    return Err(StoreError::Conflict(checklist_changed()));
                }
                let policy = clean(approved_policy);
                audit::insert(
                    &txn,
                    actor,
                    disbursement::ActiveModel {
                        formulation_id: Set(formulation_id),
                        joint_account_evidence: Set(clean(joint_account)),
                        policy_approved_by: Set(policy.as_ref().and(actor.user_id())),
                        policy_evidence: Set(policy),
                        lock_version: Set(1),
                        updated_at: Set(DbTimestamp::now()),
                        ..Default::default()
                    },
                )
                .await
                .map_err(on_duplicate(|| StoreError::Conflict(checklist_changed())))?;
            }
            Some(before) => {
                if before.paid_on.is_some() {
                    return Err(refuse(
                        "disbursement_evidence",
                        StoreError::Conflict(Message::new("procedure-error-already_disbursed")),
                    ));
                }
                if before.lock_version != lock_version {
                    return Err(refuse(
                        "disbursement_evidence",
                        StoreError::Conflict(checklist_changed()),
                    ));
                }
                let mut active = before.clone().into_active_model();
                if let Some(text) = clean(joint_account) {
                    active.joint_account_evidence = Set(Some(text));
                }
                if let Some(text) = clean(approved_policy) {
                    active.policy_evidence = Set(Some(text));
                    active.policy_approved_by = Set(actor.user_id());
                }
                active.lock_version = Set(lock_version + 1);
                active.updated_at = Set(DbTimestamp::now());
                let update = disbursement::Entity::update_many()
                    .set(active)
                    .filter(disbursement::Column::Id.eq(before.id))
                    .filter(disbursement::Column::LockVersion.eq(lock_version));
                audit::conditional_update(&txn, actor, update, &before, before.id, || {
                    StoreError::Conflict(checklist_changed())
                })
                .await?;
            }
        }
        let checklist = checklist_in(&txn, formulation_id).await?;
        txn.commit().await?;
        Ok(checklist)
    }

    /// The four requirements of Art. 32, with their evidence.
    pub async fn disbursement_checklist(&self, formulation_id: i32) -> StoreResult<Checklist> {
        formulation_row(&self.db, formulation_id).await?;
        checklist_in(&self.db, formulation_id).await
    }

    /// Records the single disbursement of 100 % of the institute's contribution (Art. 33),
    /// when the four requirements are met and the award is firm on the payment's date (CPACA
    /// Art. 87); says which are missing, or from when the award will be firm, otherwise.
    pub async fn disburse(
        &self,
        actor: &Actor,
        formulation_id: i32,
        paid_on: Date,
    ) -> StoreResult<Checklist> {
        let txn = self.write_transaction().await?;
        crate::scope::check_reach(
            &txn,
            actor,
            Permission::RecordDisbursement,
            crate::scope::Target::Formulation(formulation_id),
        )
        .await?;
        let role = role_of(&txn, actor).await?;
        let row = formulation_row(&txn, formulation_id).await?;
        let state = state_of(&txn, &row).await?;
        check(state, ProcedureAction::Disburse, role)?;
        custody::check_not_the_evidence_recorder(&txn, actor, formulation_id)
            .await
            .map_err(|e| refuse("disburse", e))?;
        let checklist = checklist_in(&txn, formulation_id).await?;
        let missing = checklist.missing();
        if !missing.is_empty() {
            return Err(refuse(
                "disburse",
                StoreError::Invalid(
                    Message::new("procedure-error-requirements_missing").with(
                        "requirements",
                        Arg::Terms(
                            missing
                                .iter()
                                .map(|r| format!("procedure-req_{}", r.as_str()))
                                .collect(),
                        ),
                    ),
                ),
            ));
        }
        let award = award::Entity::find()
            .filter(award::Column::FormulationId.eq(formulation_id))
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("formulation", formulation_id, "awarded without an award"))?;
        // The award is executed only once firm (CPACA Art. 87, 89).
        crate::acts::check_firm(&txn, award.id, paid_on)
            .await
            .map_err(|e| refuse("disburse", e))?;
        let before = disbursement::Entity::find()
            .filter(disbursement::Column::FormulationId.eq(formulation_id))
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("formulation", formulation_id, "checklist without a row"))?;
        let update = disbursement::Entity::update_many()
            .col_expr(
                disbursement::Column::Amount,
                Expr::value(award.institute_contribution),
            )
            .col_expr(disbursement::Column::PaidOn, Expr::value(DbDate(paid_on)))
            .col_expr(disbursement::Column::PaidBy, Expr::value(actor.user_id()))
            .col_expr(
                disbursement::Column::LockVersion,
                Expr::value(before.lock_version + 1),
            )
            .col_expr(disbursement::Column::UpdatedAt, Expr::value(DbTimestamp::now()))
            .filter(disbursement::Column::Id.eq(before.id))
            .filter(disbursement::Column::PaidOn.is_null());
        audit::conditional_update(&txn, actor, update, &before, before.id, || {
            refuse(
                "disburse",
                StoreError::Conflict(Message::new("procedure-error-single_payment")),
            )
        })
        .await?;
        // The payment puts the project in execution: its summary changes with it.
        if let Some(opened) = crate::entity::project::Entity::find()
            .filter(crate::entity::project::Column::AwardId.eq(award.id))
            .one(&txn)
            .await?
        {
            crate::portfolio::refresh_summary(&txn, opened.id).await?;
        }
        let checklist = checklist_in(&txn, formulation_id).await?;
        txn.commit().await?;
        Ok(checklist)
    }

    /// The fields that differ between two versions of a formulation, by JSON path.
    pub async fn version_diff(
        &self,
        formulation_id: i32,
        from: i32,
        to: i32,
    ) -> StoreResult<Vec<FieldChange>> {
        let content = |number: i32| async move {
            let row = formulation_version::Entity::find()
                .filter(formulation_version::Column::FormulationId.eq(formulation_id))
                .filter(formulation_version::Column::Number.eq(number))
                .one(&self.db)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    entity: "formulation version",
                    id: format!("{formulation_id} {number}"),
                })?;
            serde_json::from_str::<serde_json::Value>(&row.content)
                .map_err(|e| corrupt("formulation version", row.id, e))
        };
        let before = content(from).await?;
        let after = content(to).await?;
        let mut changes = Vec::new();
        diff_json("", Some(&before), Some(&after), &mut changes);
        Ok(changes)
    }

    /// A project's history from the procedure's records and the audit log, oldest first.
    pub async fn timeline(&self, formulation_id: i32) -> StoreResult<Vec<TimelineEvent>> {
        let row = formulation_row(&self.db, formulation_id).await?;
        let mut events = Vec::new();
        // Staff accounts are few: one query names every actor.
        let emails: HashMap<i32, String> = user::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let by = |id: Option<i32>| id.and_then(|id| emails.get(&id).cloned());
        for v in formulation_version::Entity::find()
            .filter(formulation_version::Column::FormulationId.eq(formulation_id))
            .all(&self.db)
            .await?
        {
            events.push(TimelineEvent {
                at: v.created_at.0,
                kind: "version",
                message: Message::new("procedure-timeline-version")
                    .with("number", v.number)
                    .with("hash", &v.content_sha256[..12.min(v.content_sha256.len())]),
                actor: by(v.created_by),
            });
        }
        let endorsers: HashMap<i32, Option<i32>> = endorsement::Entity::find()
            .filter(endorsement::Column::FormulationId.eq(formulation_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.recorded_by))
            .collect();
        for e in self.endorsements(formulation_id).await? {
            events.push(TimelineEvent {
                actor: by(endorsers.get(&e.id).copied().flatten()),
                at: e.recorded_at,
                kind: "endorsement",
                message: Message::new("procedure-timeline-endorsement")
                    .with("families", e.families_endorsing)
                    .with("households", e.households)
                    .with("version", e.version_number)
                    .with("date", e.endorsed_on),
            });
        }
        let items = agenda_item::Entity::find()
            .filter(agenda_item::Column::FormulationId.eq(formulation_id))
            .order_by_asc(agenda_item::Column::Id)
            .all(&self.db)
            .await?;
        let mut sessions = Vec::new();
        for item in &items {
            let minutes = self.minutes(item.session_id).await?;
            // The row keeps no time or author of its scheduling; its audit entry does.
            if let Some(entry) = self
                .audit_entries(&crate::audit::AuditQuery {
                    entity: Some("agenda_items".into()),
                    entity_id: Some(item.id.to_string()),
                    before_id: None,
                    limit: 50,
                })
                .await?
                .into_iter()
                .find(|e| e.action == AuditAction::Create)
            {
                events.push(TimelineEvent {
                    at: entry.at,
                    kind: "agenda",
                    message: Message::new("procedure-timeline-agenda")
                        .with("version", item.version_number)
                        .with("session", item.session_id),
                    actor: Some(entry.actor),
                });
            }
            if let Some(at) = item.decided_at {
                events.push(TimelineEvent {
                    at: at.0,
                    kind: "concept",
                    message: Message::new("procedure-timeline-concept")
                        .with_term(
                            "concept",
                            match item.concept.as_deref() {
                                Some("positive") => "procedure-concept_positive",
                                Some("negative") => "procedure-concept_negative",
                                _ => "procedure-concept_pending",
                            },
                        )
                        .with("version", item.version_number)
                        .with("session", item.session_id)
                        .with("text", item.concept_text.as_deref().unwrap_or_default()),
                    actor: by(item.decided_by),
                });
            }
            for a in &minutes.attendees {
                if let Some(at) = a.signed_at
                    && !sessions.contains(&(item.session_id, a.user_id))
                {
                    sessions.push((item.session_id, a.user_id));
                    events.push(TimelineEvent {
                        at,
                        kind: "signature",
                        message: Message::new("procedure-timeline-signature")
                            .with("email", &a.email)
                            .with("session", item.session_id),
                        actor: Some(a.email.clone()),
                    });
                }
            }
        }
        let objection_actors: HashMap<i32, (Option<i32>, Option<i32>)> = objection::Entity::find()
            .filter(objection::Column::FormulationId.eq(formulation_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, (o.recorded_by, o.decided_by)))
            .collect();
        for o in self.objections(formulation_id).await? {
            let (filed, decided) = objection_actors.get(&o.id).copied().unwrap_or_default();
            events.push(TimelineEvent {
                actor: by(filed),
                at: o.filed_at,
                kind: "objection",
                message: Message::new("procedure-timeline-objection")
                    .with("by", &o.filed_by)
                    .with_term("target", format!("procedure-target_{}", o.target.as_str()))
                    .with("reference", &o.target_ref),
            });
            if let (Some(at), Some(upheld)) = (o.decided_at, o.upheld) {
                events.push(TimelineEvent {
                    at,
                    kind: "objection_decided",
                    message: Message::new("procedure-timeline-objection_decided")
                        .with_term(
                            "outcome",
                            if upheld {
                                "procedure-upheld"
                            } else {
                                "procedure-rejected"
                            },
                        )
                        .with("reasons", o.reasons.unwrap_or_default()),
                    actor: by(decided),
                });
            }
        }
        if let Some(a) = self.award_of(formulation_id).await? {
            events.push(TimelineEvent {
                at: a.signed_at,
                kind: "award",
                message: Message::new("procedure-timeline-award")
                    .with("number", &a.number)
                    .with("date", a.awarded_on),
                actor: by(a.signed_by),
            });
        }
        let checklist = self.disbursement_checklist(formulation_id).await?;
        if let (Some(paid_on), Some(amount)) = (checklist.paid_on, checklist.amount) {
            let payer = disbursement::Entity::find()
                .filter(disbursement::Column::FormulationId.eq(formulation_id))
                .one(&self.db)
                .await?
                .and_then(|d| d.paid_by);
            let at = paid_on
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            events.push(TimelineEvent {
                at,
                kind: "disbursement",
                message: Message::new("procedure-timeline-disbursement")
                    .with("amount", amount)
                    .with("date", paid_on),
                actor: by(payer),
            });
        }
        for entry in self
            .audit_entries(&crate::audit::AuditQuery {
                entity: Some("formulations".into()),
                entity_id: Some(row.id.to_string()),
                before_id: None,
                limit: 200,
            })
            .await?
        {
            let status = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .and_then(|v| v.get("status"))
                    .and_then(|s| s.as_str())
                    .map(str::to_owned)
            };
            let (before, after) = (status(&entry.before), status(&entry.after));
            if before != after {
                events.push(TimelineEvent {
                    at: entry.at,
                    kind: "audit",
                    message: Message::new("procedure-timeline-status")
                        .with("actor", &entry.actor)
                        .with_term("before", status_term(before.as_deref()))
                        .with_term("after", status_term(after.as_deref())),
                    actor: Some(entry.actor.clone()),
                });
            }
        }
        events.sort_by_key(|e| e.at);
        Ok(events)
    }
}

/// The words of a formulation's status in an audit entry; `—` when there is none.
fn status_term(status: Option<&str>) -> String {
    match status {
        Some(status) => format!("formulation-status_{status}"),
        None => "procedure-timeline-no_status".to_owned(),
    }
}

/// A session with its attendance, agenda, concepts and objections decided.
pub(crate) async fn minutes_in(db: &impl ConnectionTrait, session_id: i32) -> StoreResult<Minutes> {
    let session = session_row(db, session_id).await?;
    let attendees = committee_attendee::Entity::find()
        .filter(committee_attendee::Column::SessionId.eq(session_id))
        .order_by_asc(committee_attendee::Column::Id)
        .all(db)
        .await?;
    // The attendees' accounts and the agenda's formulations, each in one query.
    let accounts: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(attendees.iter().map(|a| a.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut people = Vec::with_capacity(attendees.len());
    for a in attendees {
        let account = accounts
            .get(&a.user_id)
            .ok_or_else(|| corrupt("committee attendee", a.id, "no such account"))?;
        people.push(Attendee {
            user_id: a.user_id,
            name: account.display_name.clone(),
            email: account.email.clone(),
            role: account.role.clone(),
            signed_at: a.signed_at.map(|t| t.0),
        });
    }
    let items = agenda_item::Entity::find()
        .filter(agenda_item::Column::SessionId.eq(session_id))
        .order_by_asc(agenda_item::Column::Id)
        .all(db)
        .await?;
    let projects: HashMap<i32, formulation::Model> = formulation::Entity::find()
        .filter(formulation::Column::Id.is_in(items.iter().map(|i| i.formulation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut agenda = Vec::with_capacity(items.len());
    for item in items {
        let row = projects
            .get(&item.formulation_id)
            .ok_or_else(|| StoreError::NotFound {
                entity: "formulation",
                id: item.formulation_id.to_string(),
            })?;
        agenda.push(AgendaEntry {
            concept: item.concept.as_deref().and_then(Concept::parse),
            evaluation_summary: item
                .evaluation_summary
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt("agenda item", item.id, e))?,
            id: item.id,
            formulation_id: item.formulation_id,
            code: row.code.clone(),
            title: row.title.clone(),
            version_number: item.version_number,
            concept_text: item.concept_text,
            decided_at: item.decided_at.map(|t| t.0),
            lock_version: item.lock_version,
        });
    }
    let objections = objection::Entity::find()
        .filter(objection::Column::SessionId.eq(session_id))
        .order_by_asc(objection::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(objection_of)
        .collect::<StoreResult<_>>()?;
    Ok(Minutes {
        session_id,
        held_on: session.held_on.0,
        place: session.place,
        closed_at: session.closed_at.map(|t| t.0),
        lock_version: session.lock_version,
        attendees: people,
        agenda,
        objections,
    })
}

async fn checklist_in(db: &impl ConnectionTrait, formulation_id: i32) -> StoreResult<Checklist> {
    let row = disbursement::Entity::find()
        .filter(disbursement::Column::FormulationId.eq(formulation_id))
        .one(db)
        .await?;
    let concept = agenda_item::Entity::find()
        .filter(agenda_item::Column::FormulationId.eq(formulation_id))
        .filter(agenda_item::Column::Concept.eq(Concept::Positive.as_str()))
        .order_by_desc(agenda_item::Column::Id)
        .one(db)
        .await?
        .map(|item| {
            format!(
                "concepto positivo e informe de viabilidad, sesión {}",
                item.session_id
            )
        });
    let resolution = award::Entity::find()
        .filter(award::Column::FormulationId.eq(formulation_id))
        .one(db)
        .await?
        .map(|a| format!("resolución {}", a.number));
    let (joint, policy, lock_version, amount, paid_on) = match row {
        Some(r) => (
            r.joint_account_evidence,
            r.policy_evidence,
            r.lock_version,
            r.amount.map(|a| a.0),
            r.paid_on.map(|d| d.0),
        ),
        None => (None, None, 0, None, None),
    };
    Ok(Checklist {
        formulation_id,
        items: vec![
            (Requirement::JointAccount, joint),
            (Requirement::PositiveConcept, concept),
            (Requirement::Resolution, resolution),
            (Requirement::ApprovedPolicy, policy),
        ],
        lock_version,
        amount,
        paid_on,
    })
}

fn leaf(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Walks two JSON values side by side, recording each leaf that differs.
fn diff_json(
    path: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    out: &mut Vec<FieldChange>,
) {
    use serde_json::Value;
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_json(&child, a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff_json(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            path: path.to_owned(),
            before: a.map(leaf),
            after: b.map(leaf),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn award_numbers_have_three_digits_at_least() {
        assert_eq!(award_number("CAQ", 2013, 1), "DT-CAQ-2013-001");
        assert_eq!(award_number("CAQ", 2013, 1234), "DT-CAQ-2013-1234");
    }

    #[test]
    fn the_diff_names_each_changed_leaf() {
        let a = serde_json::json!({"frame": {"title": "A", "households": [{"n": 1}]}, "x": 1});
        let b = serde_json::json!({"frame": {"title": "B", "households": [{"n": 1}, {"n": 2}]}, "x": 1});
        let mut out = Vec::new();
        diff_json("", Some(&a), Some(&b), &mut out);
        assert_eq!(
            out,
            vec![
                FieldChange {
                    path: "frame.households[1]".into(),
                    before: None,
                    after: Some("{\"n\":2}".into()),
                },
                FieldChange {
                    path: "frame.title".into(),
                    before: Some("A".into()),
                    after: Some("B".into()),
                },
            ]
        );
    }
}
