//! The procedure over the JSON API (Art. 23-27, 31-33): every staff step the pages take, through
//! the same functions (`crate::procedure_actions`), so the checks of role, office, state and
//! the regulation's gates are identical; refusals are RFC 9457 problems.
//!
//! A state-changing call authenticates with the session cookie and must carry the session's
//! anti-forgery token in the `X-CSRF-Token` header (`GET /api/v1/me` gives it): a cross-site
//! form can send the cookie but cannot set a header. Bodies are JSON; amounts are decimal
//! strings (`"50000000"`) or JSON numbers, read from their text and never through `f64`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_store::accounts::Account;
use vereda_store::procedure::{
    AgendaEntry, Attendee, Award, Checklist, Endorsement, Minutes, NewEndorsement, NewObjection, NewSession,
    Objection, TimelineEvent,
};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem};
use crate::i18n::{Lang, Message};
use crate::procedure_actions::{self as actions, AwardTerms, ConceptChoice, Decision, TargetChoice};

/// The header that carries the session's anti-forgery token.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/formulations/{id}/procedure", get(procedure))
        .route("/api/v1/formulations/{id}/endorsement", post(endorse))
        .route("/api/v1/formulations/{id}/objections", post(object))
        .route("/api/v1/formulations/{id}/award", post(award))
        .route("/api/v1/formulations/{id}/disbursement/evidence", put(evidence))
        .route("/api/v1/formulations/{id}/disbursement", post(disburse))
        .route("/api/v1/committee-sessions", post(convene))
        .route("/api/v1/committee-sessions/{id}", get(session))
        .route("/api/v1/committee-sessions/{id}/agenda", post(schedule))
        .route("/api/v1/committee-sessions/{id}/concepts/{item}", post(concept))
        .route(
            "/api/v1/committee-sessions/{id}/objections/{objection}",
            post(decide),
        )
        .route("/api/v1/committee-sessions/{id}/minutes", post(close))
        .route("/api/v1/committee-sessions/{id}/signatures", post(sign))
}

/// The staff account of a state-changing call: the session's account, and the session's token
/// in `X-CSRF-Token` (checked as the pages check their forms' field).
pub(crate) async fn staff(visitor: &Visitor, headers: &HeaderMap) -> Result<Account, AppError> {
    actions::authorize(visitor, csrf_of(headers)).await
}

/// The session's token as the `X-CSRF-Token` header carries it; empty when absent.
pub(crate) fn csrf_of(headers: &HeaderMap) -> &str {
    headers
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// The body as JSON, after the caller is known: a stranger learns nothing from its errors.
pub(crate) fn read_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|error| {
        let problem = vereda_documents::formulation_file::ParseProblem::of_json(&error);
        bad_json(error.line(), error.column(), &problem)
    })
}

/// A body that is not the JSON expected (`api-error-bad_json`), with the place and the problem.
pub(crate) fn bad_json(
    line: usize,
    column: usize,
    problem: &vereda_documents::formulation_file::ParseProblem,
) -> AppError {
    AppError::said(
        ErrorCode::InvalidInput,
        Message::new("api-error-bad_json")
            .with("line", line)
            .with("column", column)
            .with(
                "problem",
                vereda_domain::message::Arg::List(vec![problem.message()]),
            ),
    )
}

/// An amount as sent: a decimal string or a JSON number, kept as its text so that no digit is
/// lost to a binary float.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Amount(Box<RawValue>);

impl Amount {
    pub(crate) fn read(&self, field: &'static str) -> Result<Decimal, AppError> {
        let raw = self.0.get().trim();
        let text = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw).ok()
        } else {
            Some(raw.to_owned())
        };
        let value = text.and_then(|text| {
            let text = text.trim();
            if text.contains(['e', 'E']) {
                Decimal::from_scientific(text).ok()
            } else {
                Decimal::from_str_exact(text).ok()
            }
        });
        value.ok_or_else(|| {
            AppError::said(
                ErrorCode::InvalidInput,
                Message::new("api-error-amount")
                    .with("field", field)
                    .with("value", raw),
            )
        })
    }
}

// ---- What comes back -----------------------------------------------------------------------

/// The families' endorsement of a version (Art. 25).
#[derive(Serialize, ToSchema)]
pub struct EndorsementRecord {
    pub id: i32,
    pub formulation_id: i32,
    pub version_number: i32,
    #[schema(value_type = String, format = Date)]
    pub endorsed_on: jiff::civil::Date,
    pub families_endorsing: i32,
    /// The households of the endorsed version.
    pub households: i32,
    pub minutes: String,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: jiff::Timestamp,
}

impl From<Endorsement> for EndorsementRecord {
    fn from(e: Endorsement) -> Self {
        Self {
            id: e.id,
            formulation_id: e.formulation_id,
            version_number: e.version_number,
            endorsed_on: e.endorsed_on,
            families_endorsing: e.families_endorsing,
            households: e.households,
            minutes: e.minutes,
            recorded_at: e.recorded_at,
        }
    }
}

/// An objection (Art. 24.6) and, once decided, the decision.
#[derive(Serialize, ToSchema)]
pub struct ObjectionRecord {
    pub id: i32,
    pub formulation_id: i32,
    /// project, family or parcel.
    pub target: String,
    pub target_ref: String,
    pub filed_by: String,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub filed_at: jiff::Timestamp,
    /// The session that decided it.
    pub session_id: Option<i32>,
    /// true upheld, false rejected, null pending.
    pub upheld: Option<bool>,
    pub reasons: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<jiff::Timestamp>,
}

impl From<Objection> for ObjectionRecord {
    fn from(o: Objection) -> Self {
        Self {
            id: o.id,
            formulation_id: o.formulation_id,
            target: o.target.as_str().to_owned(),
            target_ref: o.target_ref,
            filed_by: o.filed_by,
            text: o.text,
            filed_at: o.filed_at,
            session_id: o.session_id,
            upheld: o.upheld,
            reasons: o.reasons,
            decided_at: o.decided_at,
        }
    }
}

/// A project on a session's agenda, with the committee's concept once issued.
#[derive(Serialize, ToSchema)]
pub struct AgendaItem {
    pub id: i32,
    pub formulation_id: i32,
    pub code: String,
    pub title: String,
    pub version_number: i32,
    /// positive, negative or null.
    pub concept: Option<String>,
    pub concept_text: Option<String>,
    /// The evaluation of the version the concept was issued on.
    #[schema(value_type = Option<Object>)]
    pub evaluation_summary: Option<serde_json::Value>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<jiff::Timestamp>,
    /// Send it back with the concept: a concept on a changed item is refused (409).
    pub lock_version: i32,
}

impl From<AgendaEntry> for AgendaItem {
    fn from(a: AgendaEntry) -> Self {
        Self {
            id: a.id,
            formulation_id: a.formulation_id,
            code: a.code,
            title: a.title,
            version_number: a.version_number,
            concept: a.concept.map(|c| c.as_str().to_owned()),
            concept_text: a.concept_text,
            evaluation_summary: a.evaluation_summary,
            decided_at: a.decided_at,
            lock_version: a.lock_version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionAttendee {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub signed_at: Option<jiff::Timestamp>,
}

impl From<Attendee> for SessionAttendee {
    fn from(a: Attendee) -> Self {
        Self {
            user_id: a.user_id,
            name: a.name,
            email: a.email,
            role: a.role,
            signed_at: a.signed_at,
        }
    }
}

/// A committee session: its minutes (Art. 23).
#[derive(Serialize, ToSchema)]
pub struct SessionMinutes {
    pub session_id: i32,
    #[schema(value_type = String, format = Date)]
    pub held_on: jiff::civil::Date,
    pub place: String,
    /// When the minutes were drawn up; null while the session is open.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<jiff::Timestamp>,
    /// Send it back to add to the agenda or to close: a changed session is refused (409).
    pub lock_version: i32,
    /// Drawn up and signed by every attendee.
    pub is_final: bool,
    pub attendees: Vec<SessionAttendee>,
    pub agenda: Vec<AgendaItem>,
    pub objections: Vec<ObjectionRecord>,
}

impl From<Minutes> for SessionMinutes {
    fn from(m: Minutes) -> Self {
        Self {
            is_final: m.is_final(),
            session_id: m.session_id,
            held_on: m.held_on,
            place: m.place,
            closed_at: m.closed_at,
            lock_version: m.lock_version,
            attendees: m.attendees.into_iter().map(Into::into).collect(),
            agenda: m.agenda.into_iter().map(Into::into).collect(),
            objections: m.objections.into_iter().map(Into::into).collect(),
        }
    }
}

/// The award resolution (Art. 27).
#[derive(Serialize, ToSchema)]
pub struct AwardResolution {
    pub id: i32,
    pub formulation_id: i32,
    /// The session whose positive concept it rests on.
    pub session_id: i32,
    /// e.g. `DT-NAR-2013-001`.
    pub number: String,
    pub office_code: String,
    #[schema(value_type = String, format = Date)]
    pub awarded_on: jiff::civil::Date,
    pub motivation: String,
    pub families: i32,
    #[schema(value_type = String, example = "50000000")]
    pub institute_contribution: Decimal,
    #[schema(value_type = String)]
    pub counterpart: Decimal,
    /// The compliance policy (Art. 31).
    #[schema(value_type = String)]
    pub guarantee: Decimal,
    /// The obligations the director added. The standard ones (the guarantee policy, the
    /// joint-signature account, the counterpart: Art. 29 par., 31, 32.1) follow from the
    /// amounts and are not repeated here.
    pub obligations: String,
    /// What the approved version's evaluation allowed (Art. 7, 29); null for awards issued
    /// before it was recorded.
    #[schema(value_type = Option<String>)]
    pub evaluated_maximum: Option<Decimal>,
    /// Why the contribution is below the maximum, when it is.
    pub lowering_motivation: Option<String>,
    pub signed_by: Option<i32>,
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: jiff::Timestamp,
}

impl From<Award> for AwardResolution {
    fn from(a: Award) -> Self {
        Self {
            id: a.id,
            formulation_id: a.formulation_id,
            session_id: a.session_id,
            number: a.number,
            office_code: a.office_code,
            awarded_on: a.awarded_on,
            motivation: a.motivation,
            families: a.families,
            institute_contribution: a.institute_contribution,
            counterpart: a.counterpart,
            guarantee: a.guarantee,
            obligations: a.obligations,
            evaluated_maximum: a.evaluated_maximum,
            lowering_motivation: a.lowering_motivation,
            signed_by: a.signed_by,
            signed_at: a.signed_at,
        }
    }
}

/// One requirement of Art. 32 and its evidence, null while missing.
#[derive(Serialize, ToSchema)]
pub struct RequirementEvidence {
    /// joint_account, positive_concept, resolution or approved_policy.
    pub requirement: String,
    pub evidence: Option<String>,
}

/// The disbursement's requirements (Art. 32) and the payment once made (Art. 33).
#[derive(Serialize, ToSchema)]
pub struct DisbursementChecklist {
    pub formulation_id: i32,
    pub requirements: Vec<RequirementEvidence>,
    /// Send it back with the evidence: a changed checklist is refused (409).
    pub lock_version: i32,
    /// The amount paid: the institute's whole contribution.
    #[schema(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    #[schema(value_type = Option<String>, format = Date)]
    pub paid_on: Option<jiff::civil::Date>,
}

impl From<Checklist> for DisbursementChecklist {
    fn from(c: Checklist) -> Self {
        Self {
            formulation_id: c.formulation_id,
            requirements: c
                .items
                .into_iter()
                .map(|(requirement, evidence)| RequirementEvidence {
                    requirement: requirement.as_str().to_owned(),
                    evidence,
                })
                .collect(),
            lock_version: c.lock_version,
            amount: c.amount,
            paid_on: c.paid_on,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    /// version, endorsement, agenda, concept, objection, objection_decided, signature, award,
    /// disbursement or audit.
    pub kind: String,
    /// The code of what happened in the message catalogue (docs/errors.md lists the codes).
    pub code: String,
    /// What happened, in the language of the request.
    pub text: String,
}

impl TimelineEntry {
    fn new(lang: Lang, t: TimelineEvent) -> Self {
        Self {
            at: t.at,
            kind: t.kind.to_owned(),
            code: t.message.code().to_owned(),
            text: lang.say(&t.message),
        }
    }
}

/// Where a project stands in the procedure, with its records and history.
#[derive(Serialize, ToSchema)]
pub struct ProcedureOverview {
    pub formulation_id: i32,
    pub code: String,
    pub title: String,
    /// draft, submitted, endorsed, on_agenda, viable, returned, awarded or disbursed.
    pub state: String,
    pub latest_version: i32,
    pub endorsements: Vec<EndorsementRecord>,
    pub objections: Vec<ObjectionRecord>,
    pub award: Option<AwardResolution>,
    pub disbursement: DisbursementChecklist,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
}

// ---- What is sent --------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"endorsed_on": "2013-09-20", "families_endorsing": 15, "minutes": "Asamblea en la vereda"}))]
pub struct EndorsementRequest {
    #[schema(value_type = String, format = Date)]
    pub endorsed_on: jiff::civil::Date,
    /// More than half of the latest version's households (Art. 25).
    pub families_endorsing: i32,
    /// The minutes or notes of the endorsement meeting.
    pub minutes: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": "family", "target_ref": "1122334455", "filed_by": "Junta de Acción Comunal", "text": "La familia no vive en la vereda"}))]
pub struct ObjectionRequest {
    pub target: TargetChoice,
    /// Which family or parcel (a document, a parcel's name), or the project code.
    pub target_ref: String,
    /// Who objects.
    pub filed_by: String,
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held_on": "2013-10-01", "place": "Florencia", "attendees": [4, 9]}))]
pub struct SessionRequest {
    #[schema(value_type = String, format = Date)]
    pub held_on: jiff::civil::Date,
    pub place: String,
    /// Account ids of those attending.
    pub attendees: Vec<i32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"formulation_id": 1, "lock_version": 0}))]
pub struct AgendaRequest {
    /// An endorsed formulation: its latest version goes on the agenda.
    pub formulation_id: i32,
    /// The session's `lock_version` as read.
    pub lock_version: i32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"concept": "positive", "text": "Viable: TIR 21 %", "lock_version": 0}))]
pub struct ConceptRequest {
    pub concept: ConceptChoice,
    /// The viability report (positive) or the recommendations (negative).
    pub text: String,
    /// The agenda item's `lock_version` as read.
    pub lock_version: i32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "rejected", "reasons": "La familia vive en la vereda desde 2009"}))]
pub struct DecisionRequest {
    pub decision: Decision,
    pub reasons: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lock_version": 1}))]
pub struct CloseRequest {
    /// The session's `lock_version` as read.
    pub lock_version: i32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"awarded_on": "2013-10-15", "motivation": "Concepto positivo del comité", "obligations": ""}))]
pub struct AwardRequest {
    #[schema(value_type = String, format = Date)]
    pub awarded_on: jiff::civil::Date,
    pub motivation: String,
    /// A decimal string or a JSON number, at most the approved version's evaluated maximum;
    /// absent, the maximum. The counterpart and the policy (Art. 31) are derived from it.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "50000000")]
    pub institute_contribution: Option<Amount>,
    /// Required when the contribution is below the maximum: the resolution states it.
    #[serde(default)]
    pub lowering_motivation: String,
    /// Obligations besides the policy, which is always listed.
    #[serde(default)]
    pub obligations: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lock_version": 0, "joint_account": "Cuenta 123 Banco Agrario", "approved_policy": "Póliza 77"}))]
pub struct EvidenceRequest {
    /// The checklist's `lock_version` as read (0 before any evidence).
    pub lock_version: i32,
    /// The joint-signature account (Art. 32.1); absent or blank keeps what was recorded.
    #[serde(default)]
    pub joint_account: Option<String>,
    /// The approved compliance policy (Art. 32.4); absent or blank keeps what was recorded.
    #[serde(default)]
    pub approved_policy: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"paid_on": "2013-11-05"}))]
pub struct DisbursementRequest {
    #[schema(value_type = String, format = Date)]
    pub paid_on: jiff::civil::Date,
}

// ---- The endpoints -------------------------------------------------------------------------

/// A project's procedure: its state, endorsements, objections, award, the disbursement's
/// requirements and its timeline.
#[utoipa::path(get, path = "/api/v1/formulations/{id}/procedure", tag = "procedure",
    params(("id" = i32, Path, description = "Formulation id")),
    responses((status = 200, body = ProcedureOverview),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn procedure(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<ProcedureOverview>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let o = actions::overview(&state, id).await?;
    Ok(Json(ProcedureOverview {
        formulation_id: o.record.formulation.id,
        code: o.record.formulation.code,
        title: o.record.formulation.title,
        state: o.state.to_string(),
        latest_version: o.latest,
        endorsements: o.endorsements.into_iter().map(Into::into).collect(),
        objections: o.objections.into_iter().map(Into::into).collect(),
        award: o.award.map(Into::into),
        disbursement: o.checklist.into(),
        timeline: (o.timeline.into_iter())
            .map(|t| TimelineEntry::new(visitor.lang, t))
            .collect(),
    }))
}

/// Records the families' endorsement of the latest version (Art. 25): a majority of its
/// households. The territorial office's step.
#[utoipa::path(post, path = "/api/v1/formulations/{id}/endorsement", tag = "procedure",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = EndorsementRequest, content_type = "application/json"),
    responses((status = 201, body = EndorsementRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not (`procedure-refused-role`), or no CSRF token (`csrf_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted (`procedure-refused-state`), or already endorsed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No majority (`procedure-error-no_majority`), more families than households, a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn endorse(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<(StatusCode, Json<EndorsementRecord>), AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: EndorsementRequest = read_json(&body)?;
    let new = NewEndorsement {
        endorsed_on: input.endorsed_on,
        families_endorsing: input.families_endorsing,
        minutes: input.minutes,
    };
    let saved = actions::endorse(&state, &account, id, new).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Files an objection against the project, one of its families or parcels (Art. 24.6).
#[utoipa::path(post, path = "/api/v1/formulations/{id}/objections", tag = "procedure",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ObjectionRequest, content_type = "application/json"),
    responses((status = 201, body = ObjectionRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not file objections (`scope-error-not_permitted`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing (`procedure-error-required`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn object(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<(StatusCode, Json<ObjectionRecord>), AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: ObjectionRequest = read_json(&body)?;
    let new = NewObjection {
        target: input.target.target(),
        target_ref: input.target_ref,
        filed_by: input.filed_by,
        text: input.text,
    };
    let saved = actions::object(&state, &account, id, new).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Issues the award resolution of a viable project (Art. 27), signed by the territorial
/// director of the project's department; the minutes of its positive concept must be signed by
/// every attendee. The award letters go out after it.
#[utoipa::path(post, path = "/api/v1/formulations/{id}/award", tag = "procedure",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = AwardRequest, content_type = "application/json"),
    responses((status = 201, body = AwardResolution),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a territorial director (`procedure-refused-role`), another department's project (`scope-error-outside_office`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not viable (`procedure-refused-state`), minutes unsigned (`procedure-error-minutes_unsigned`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An amount that is not one (`api-error-amount`), the director without an office (`procedure-error-director_no_office`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn award(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<(StatusCode, Json<AwardResolution>), AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: AwardRequest = read_json(&body)?;
    let terms = AwardTerms {
        awarded_on: input.awarded_on,
        motivation: input.motivation,
        institute_contribution: input
            .institute_contribution
            .as_ref()
            .map(|amount| amount.read("institute_contribution"))
            .transpose()?,
        lowering_motivation: input.lowering_motivation,
        obligations: input.obligations,
    };
    let saved = actions::award(&state, &account, id, terms).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Records the evidence of the joint account (Art. 32.1) and of the approved policy (Art. 32.4).
#[utoipa::path(put, path = "/api/v1/formulations/{id}/disbursement/evidence", tag = "procedure",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = EvidenceRequest, content_type = "application/json"),
    responses((status = 200, body = DisbursementChecklist),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not check the requirements (`scope-error-not_permitted`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The checklist changed (`procedure-error-checklist_changed`) or the payment is made (`procedure-error-already_disbursed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn evidence(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<DisbursementChecklist>, AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: EvidenceRequest = read_json(&body)?;
    let checklist = actions::record_evidence(
        &state,
        &account,
        id,
        input.joint_account.as_deref(),
        input.approved_policy.as_deref(),
        input.lock_version,
    )
    .await?;
    Ok(Json(checklist.into()))
}

/// Records the single disbursement of the institute's whole contribution (Art. 33), once the
/// four requirements of Art. 32 are met.
#[utoipa::path(post, path = "/api/v1/formulations/{id}/disbursement", tag = "procedure",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = DisbursementRequest, content_type = "application/json"),
    responses((status = 200, body = DisbursementChecklist),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not (`procedure-refused-role`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not awarded, or already paid (`procedure-refused-state`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Requirements missing (`procedure-error-requirements_missing`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn disburse(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<DisbursementChecklist>, AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: DisbursementRequest = read_json(&body)?;
    let checklist = actions::disburse(&state, &account, id, input.paid_on).await?;
    Ok(Json(checklist.into()))
}

/// Convenes a committee session with its attendees (Art. 23).
#[utoipa::path(post, path = "/api/v1/committee-sessions", tag = "procedure",
    params(("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = SessionRequest, content_type = "application/json"),
    responses((status = 201, body = SessionMinutes),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not convene the committee (`scope-error-not_permitted`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No attendees (`procedure-error-no_attendees`), an inactive attendee, a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn convene(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<SessionMinutes>), AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: SessionRequest = read_json(&body)?;
    let new = NewSession {
        held_on: input.held_on,
        place: input.place,
        attendees: input.attendees,
    };
    let minutes = actions::convene(&state, &account, new).await?;
    Ok((StatusCode::CREATED, Json(minutes.into())))
}

/// A committee session: attendance and signatures, agenda and concepts, objections decided.
#[utoipa::path(get, path = "/api/v1/committee-sessions/{id}", tag = "procedure",
    params(("id" = i32, Path, description = "Session id")),
    responses((status = 200, body = SessionMinutes),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn session(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<SessionMinutes>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let reach = visitor.reach(&state.store).await?;
    Ok(Json(state.store.minutes_within(id, &reach).await?.into()))
}

/// Puts an endorsed project's latest version on an open session's agenda.
#[utoipa::path(post, path = "/api/v1/committee-sessions/{id}/agenda", tag = "procedure",
    params(("id" = i32, Path, description = "Session id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = AgendaRequest, content_type = "application/json"),
    responses((status = 201, body = AgendaItem),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not (`procedure-refused-role`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not endorsed (`procedure-refused-state`), the session changed (`procedure-error-session_changed`) or is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn schedule(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<(StatusCode, Json<AgendaItem>), AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: AgendaRequest = read_json(&body)?;
    let item = actions::schedule(&state, &account, id, input.formulation_id, input.lock_version).await?;
    Ok((StatusCode::CREATED, Json(item.into())))
}

/// The committee's concept on an item of the session's agenda (Art. 24.4): positive with the
/// viability report, or negative with recommendations (the formulation goes back).
#[utoipa::path(post, path = "/api/v1/committee-sessions/{id}/concepts/{item}", tag = "procedure",
    params(("id" = i32, Path, description = "Session id"), ("item" = i32, Path, description = "Agenda item id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ConceptRequest, content_type = "application/json"),
    responses((status = 200, body = AgendaItem),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not (`procedure-refused-role`), not attending (`procedure-error-not_attending`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item on this session's agenda", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The concept changed or was issued (`procedure-error-concept_changed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn concept(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, item)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Json<AgendaItem>, AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: ConceptRequest = read_json(&body)?;
    let entry = actions::issue_concept(
        &state,
        &account,
        id,
        item,
        input.concept,
        &input.text,
        input.lock_version,
    )
    .await?;
    Ok(Json(entry.into()))
}

/// Decides an objection in an open session (Art. 24.6): upheld returns the project to its
/// formulator.
#[utoipa::path(post, path = "/api/v1/committee-sessions/{id}/objections/{objection}", tag = "procedure",
    params(("id" = i32, Path, description = "Session id"), ("objection" = i32, Path, description = "Objection id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses((status = 200, body = ObjectionRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not decide objections (`scope-error-not_permitted`), not attending, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided (`procedure-error-objection_decided`), or the session is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, objection)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Json<ObjectionRecord>, AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: DecisionRequest = read_json(&body)?;
    let decided =
        actions::decide_objection(&state, &account, id, objection, input.decision, &input.reasons).await?;
    Ok(Json(decided.into()))
}

/// Draws up the minutes: the session closes and its attendees may sign (Art. 23).
#[utoipa::path(post, path = "/api/v1/committee-sessions/{id}/minutes", tag = "procedure",
    params(("id" = i32, Path, description = "Session id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = CloseRequest, content_type = "application/json"),
    responses((status = 200, body = SessionMinutes),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role does not draw up minutes (`scope-error-not_permitted`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Closed already (`procedure-error-session_closed`), or changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Items without concept (`procedure-error-undecided_items`)", body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<SessionMinutes>, AppError> {
    let account = staff(&visitor, &headers).await?;
    let input: CloseRequest = read_json(&body)?;
    let minutes = actions::close(&state, &account, id, input.lock_version).await?;
    Ok(Json(minutes.into()))
}

/// The logged-in attendee signs the closed session's minutes (Art. 23). No body.
#[utoipa::path(post, path = "/api/v1/committee-sessions/{id}/signatures", tag = "procedure",
    params(("id" = i32, Path, description = "Session id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    responses((status = 200, body = SessionMinutes),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not attending (`procedure-error-not_attending_sign`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Still open (`procedure-error-sign_after_close`), or signed already (`procedure-error-already_signed`)", body = Problem, content_type = "application/problem+json")))]
pub async fn sign(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
) -> Result<Json<SessionMinutes>, AppError> {
    let account = staff(&visitor, &headers).await?;
    let minutes = actions::sign(&state, &account, id).await?;
    Ok(Json(minutes.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(json: &str) -> Option<Decimal> {
        let amount: Amount = serde_json::from_str(json).ok()?;
        amount.read("x").ok()
    }

    #[test]
    fn amounts_are_read_from_their_text() {
        assert_eq!(amount(r#""50000000""#), Some(Decimal::from(50_000_000)));
        assert_eq!(amount("50000000"), Some(Decimal::from(50_000_000)));
        // A binary float would turn this into …0.1000000000000000055…
        assert_eq!(amount("0.1"), Decimal::from_str_exact("0.1").ok());
        assert_eq!(
            amount("12345678901234567.89"),
            Decimal::from_str_exact("12345678901234567.89").ok()
        );
        assert_eq!(amount("5e7"), Some(Decimal::from(50_000_000)));
        assert_eq!(amount(r#""50.000.000""#), None);
        assert_eq!(amount("null"), None);
        assert_eq!(amount("true"), None);
    }
}
