//! Follow-up of results over the JSON API (Art. 34-36, issue 13 invariant 8): measurements and
//! proposed changes of an indicator's baseline, goal or unit are submitted by one account and
//! approved or returned by another, with the same store calls as the pages.
//!
//! A state-changing call needs the session's token in `X-CSRF-Token`, as the procedure's API
//! (none with an API token). The review queues come a page at a time (`super::page`).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::monitoring::{IndicatorUnit, MeasurementDraft, MeasurementStatus};
use vereda_store::projects::{
    IndicatorProposal, IndicatorProposalDraft, MeasurementQuery, MeasurementRow, MeasurementSubmission,
    ProposalQuery, Review,
};

use super::page;
use super::procedure::{Amount, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem};
use crate::i18n::Message;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/projects/{code}/indicators/{number}/measurements",
            post(submit_measurement),
        )
        .route(
            "/api/v1/projects/{code}/indicators/{number}/proposals",
            post(propose),
        )
        .route("/api/v1/measurements", get(pending_measurements))
        .route("/api/v1/measurements/{id}/review", post(review_measurement))
        .route("/api/v1/indicator-proposals", get(pending_proposals))
        .route("/api/v1/indicator-proposals/{id}/review", post(review_proposal))
}

/// The account of a state-changing call with `permission`, and the CSRF header checked.
async fn allowed(
    visitor: &Visitor,
    headers: &HeaderMap,
    permission: Permission,
) -> Result<vereda_domain::audit::Actor, AppError> {
    let actor = visitor.require(permission)?.actor();
    visitor.check_csrf(super::procedure::csrf_of(headers)).await?;
    Ok(actor)
}

fn optional(amount: Option<&Amount>, field: &'static str) -> Result<Option<Decimal>, AppError> {
    amount.map(|a| a.read(field)).transpose()
}

/// A measurement to submit.
#[derive(Deserialize, ToSchema)]
pub struct MeasurementRequest {
    #[schema(value_type = String, format = Date)]
    pub measured_on: jiff::civil::Date,
    #[schema(value_type = String, example = "47")]
    pub value: Amount,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub value_women: Option<Amount>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub value_men: Option<Amount>,
    #[serde(default)]
    pub source: Option<String>,
}

/// A decision on a submitted measurement or proposal.
#[derive(Deserialize, ToSchema)]
pub struct ReviewRequest {
    /// approve or return.
    pub decision: String,
    /// Required to return.
    #[serde(default)]
    pub comment: String,
}

/// A change of an indicator's baseline, goal or unit, against the `lock_version` read.
#[derive(Deserialize, ToSchema)]
pub struct ProposalRequest {
    #[schema(value_type = String)]
    pub baseline: Amount,
    #[schema(value_type = String)]
    pub goal: Amount,
    /// number, km, ha, %, COP or EUR.
    pub unit: String,
    pub reason: String,
    pub lock_version: i32,
}

/// What was filed or decided.
#[derive(Serialize, ToSchema)]
pub struct Filed {
    pub id: i32,
    /// submitted, approved or returned.
    pub status: String,
}

/// A submitted measurement awaiting review (staff only: it names the submitting account).
#[derive(Serialize, ToSchema)]
pub struct PendingMeasurement {
    pub id: i32,
    pub project_code: String,
    pub indicator_number: i32,
    #[schema(value_type = String, format = Date)]
    pub measured_on: jiff::civil::Date,
    #[schema(value_type = String)]
    pub value: Decimal,
    pub submitted_by_account: Option<i32>,
}

impl From<MeasurementRow> for PendingMeasurement {
    fn from(m: MeasurementRow) -> Self {
        Self {
            id: m.id,
            project_code: m.project_code,
            indicator_number: m.indicator_number,
            measured_on: m.measured_on,
            value: m.value,
            submitted_by_account: m.submitted_by_user,
        }
    }
}

/// A proposal awaiting review, with the figures now and as proposed.
#[derive(Serialize, ToSchema)]
pub struct PendingProposal {
    pub id: i32,
    pub project_code: String,
    pub indicator_number: i32,
    #[schema(value_type = String)]
    pub current_baseline: Decimal,
    #[schema(value_type = String)]
    pub current_goal: Decimal,
    pub current_unit: String,
    #[schema(value_type = String)]
    pub baseline: Decimal,
    #[schema(value_type = String)]
    pub goal: Decimal,
    pub unit: String,
    pub reason: String,
    pub submitted_by_account: i32,
}

impl From<IndicatorProposal> for PendingProposal {
    fn from(p: IndicatorProposal) -> Self {
        Self {
            id: p.id,
            project_code: p.project_code,
            indicator_number: p.indicator_number,
            current_baseline: p.current_baseline,
            current_goal: p.current_goal,
            current_unit: p.current_unit.to_string(),
            baseline: p.baseline,
            goal: p.goal,
            unit: p.unit.to_string(),
            reason: p.reason,
            submitted_by_account: p.submitted_by,
        }
    }
}

fn decision(input: ReviewRequest) -> Result<(Review, MeasurementStatus), AppError> {
    match input.decision.as_str() {
        "approve" => Ok((Review::Approve, MeasurementStatus::Approved)),
        "return" => Ok((
            Review::Return {
                comment: input.comment,
            },
            MeasurementStatus::Returned,
        )),
        other => Err(AppError::said(
            ErrorCode::InvalidInput,
            Message::new("api-error-decision").with("value", other),
        )),
    }
}

/// Submits a measurement of an indicator; it counts once another account approves it.
#[utoipa::path(post, path = "/api/v1/projects/{code}/indicators/{number}/measurements", tag = "monitoring",
    params(("code" = String, Path, description = "Project code"), ("number" = i32, Path, description = "Indicator number"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = MeasurementRequest, content_type = "application/json"),
    responses((status = 201, body = Filed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A negative value, a future date, sexes above the total (`monitoring-error-…`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn submit_measurement(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((code, number)): Path<(String, i32)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Filed>), AppError> {
    let actor = allowed(&visitor, &headers, Permission::RecordMeasurements).await?;
    let input: MeasurementRequest = read_json(&body)?;
    let submission = MeasurementSubmission {
        draft: MeasurementDraft {
            measured_on: input.measured_on,
            value: input.value.read("value")?,
            value_women: optional(input.value_women.as_ref(), "value_women")?,
            value_men: optional(input.value_men.as_ref(), "value_men")?,
        },
        source: input.source.filter(|s| !s.trim().is_empty()),
        evidence: None,
    };
    let id = state
        .store
        .submit_measurement(
            &actor,
            &code,
            number,
            submission,
            vereda_store::projects::today_in_colombia(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            id,
            status: MeasurementStatus::Submitted.to_string(),
        }),
    ))
}

/// Approves or returns a submitted measurement; its submitter may not (four eyes).
#[utoipa::path(post, path = "/api/v1/measurements/{id}/review", tag = "monitoring",
    params(("id" = i32, Path, description = "Measurement id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ReviewRequest, content_type = "application/json"),
    responses((status = 200, body = Filed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Its own submitter (`monitoring-error-own_measurement`), the role may not, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reviewed (`monitoring-error-already_reviewed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Returned without a comment, an unknown decision, a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn review_measurement(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<Filed>, AppError> {
    let actor = allowed(&visitor, &headers, Permission::ReviewMeasurements).await?;
    let (review, status) = decision(read_json(&body)?)?;
    let code = state.store.review_measurement(&actor, id, review).await?;
    state.public_pages.forget_project(&code);
    Ok(Json(Filed {
        id,
        status: status.to_string(),
    }))
}

/// Proposes a new baseline, goal or unit for an indicator; the published figures change once
/// another account approves it.
#[utoipa::path(post, path = "/api/v1/projects/{code}/indicators/{number}/proposals", tag = "monitoring",
    params(("code" = String, Path, description = "Project code"), ("number" = i32, Path, description = "Indicator number"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ProposalRequest, content_type = "application/json"),
    responses((status = 201, body = Filed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The indicator changed since `lock_version` (`monitoring-error-changed_meanwhile`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A goal not positive, no reason, nothing changed (`monitoring-error-…`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn propose(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((code, number)): Path<(String, i32)>,
    body: Bytes,
) -> Result<(StatusCode, Json<Filed>), AppError> {
    let actor = allowed(&visitor, &headers, Permission::ManageProjects).await?;
    let input: ProposalRequest = read_json(&body)?;
    let unit: IndicatorUnit = input
        .unit
        .parse()
        .map_err(|e: vereda_domain::text_enum::UnknownValue| {
            AppError::said(ErrorCode::InvalidInput, e.message())
        })?;
    let draft = IndicatorProposalDraft {
        baseline: input.baseline.read("baseline")?,
        goal: input.goal.read("goal")?,
        unit,
        reason: input.reason,
        lock_version: input.lock_version,
    };
    let id = state
        .store
        .propose_indicator_change(&actor, &code, number, draft)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            id,
            status: MeasurementStatus::Submitted.to_string(),
        }),
    ))
}

/// Approves or returns a proposal; its submitter may not (four eyes).
#[utoipa::path(post, path = "/api/v1/indicator-proposals/{id}/review", tag = "monitoring",
    params(("id" = i32, Path, description = "Proposal id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ReviewRequest, content_type = "application/json"),
    responses((status = 200, body = Filed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Its own submitter (`monitoring-error-own_proposal`), the role may not, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reviewed, or the indicator changed since it was proposed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Returned without a comment, an unknown decision, a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn review_proposal(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<Filed>, AppError> {
    let actor = allowed(&visitor, &headers, Permission::ReviewMeasurements).await?;
    let (review, status) = decision(read_json(&body)?)?;
    let code = state.store.review_indicator_proposal(&actor, id, review).await?;
    state.public_pages.forget_project(&code);
    Ok(Json(Filed {
        id,
        status: status.to_string(),
    }))
}

/// Measurements awaiting review, by id, a page at a time.
#[utoipa::path(get, path = "/api/v1/measurements", tag = "monitoring", params(super::PageParams),
    responses((status = 200, body = super::page::Page<PendingMeasurement>, headers(("Link" = String, description = "`<…?after=…>; rel=\"next\"` when there is a next page"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn pending_measurements(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<super::PageParams>,
    uri: Uri,
) -> Result<Response, AppError> {
    visitor.require(Permission::ReviewMeasurements)?;
    let request = page::read::<i32>(params.limit.as_deref(), params.after.as_deref())?;
    let rows = state
        .store
        .measurements(&MeasurementQuery {
            status: Some(MeasurementStatus::Submitted),
            reach: visitor.reach(&state.store).await?,
            page: Some((request.after, request.limit + 1)),
            ..MeasurementQuery::default()
        })
        .await?;
    let page = page::Page::of(rows, request.limit, |m| m.id, PendingMeasurement::from);
    Ok(page::respond(page, &uri))
}

/// Proposals awaiting review, by id, a page at a time.
#[utoipa::path(get, path = "/api/v1/indicator-proposals", tag = "monitoring", params(super::PageParams),
    responses((status = 200, body = super::page::Page<PendingProposal>, headers(("Link" = String, description = "`<…?after=…>; rel=\"next\"` when there is a next page"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn pending_proposals(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<super::PageParams>,
    uri: Uri,
) -> Result<Response, AppError> {
    visitor.require(Permission::ReviewMeasurements)?;
    let request = page::read::<i32>(params.limit.as_deref(), params.after.as_deref())?;
    let rows = state
        .store
        .indicator_proposals(&ProposalQuery {
            status: Some(MeasurementStatus::Submitted),
            reach: visitor.reach(&state.store).await?,
            page: Some((request.after, request.limit + 1)),
            ..ProposalQuery::default()
        })
        .await?;
    let page = page::Page::of(rows, request.limit, |p| p.id, PendingProposal::from);
    Ok(page::respond(page, &uri))
}
