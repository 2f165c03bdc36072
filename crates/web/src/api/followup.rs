//! Follow-up after the payment over the JSON API (Art. 31, 34-36): the surveillance team's
//! visits with their findings, commitments and photos; a project's progress and alerts, and
//! those of every project the office reaches; the act of closure and its PDF. The same store
//! calls as the pages (`crate::pages::followup`); territorial accounts reach only their
//! office's projects (`crate::reach`).
//!
//! A state-changing call needs the session's token in `X-CSRF-Token` (none with an API token).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::followup::{ClosureReason, CommitmentDraft, Finding, VisitDraft};
use vereda_store::followup::{
    Accompaniment, Closure, NewClosure, NewVisit, NewVisitPhoto, Progress, VisitPhoto, Visits,
};

use super::ledger::Recorded;
use super::procedure::{Amount, csrf_of, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, Problem};
use crate::i18n::Message;
use crate::pages::followup::{PHOTO_LIMIT_BYTES, read_coordinate, read_delivery};
use crate::today::today_in_colombia;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/projects/{code}/visits", get(visits).post(record_visit))
        .route(
            "/api/v1/projects/{code}/visits/{id}/photos",
            post(add_photo).layer(DefaultBodyLimit::max(PHOTO_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/api/v1/projects/{code}/progress", get(progress))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/projects/{code}/closure", get(closure).post(close))
        .route("/api/v1/projects/{code}/closure.pdf", get(closure_pdf))
        .route(
            "/api/v1/projects/{code}/accompaniment",
            get(accompaniment).post(schedule_activity),
        )
        .route(
            "/api/v1/projects/{code}/accompaniment/{id}/delivery",
            post(deliver_activity).layer(DefaultBodyLimit::max(PHOTO_LIMIT_BYTES + 64 * 1024)),
        )
}

async fn acting(visitor: &Visitor, headers: &HeaderMap) -> Result<vereda_domain::audit::Actor, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(csrf_of(headers)).await?;
    Ok(actor)
}

/// A project's visits, oldest first (team, findings per plan line, observations, rating,
/// photos with coordinates) and the commitments they left, open or closed by a later visit.
#[derive(Serialize, ToSchema)]
pub struct VisitsAnswer {
    #[schema(value_type = Object)]
    pub visits: Visits,
}

/// The visits of a project and their commitments.
#[utoipa::path(get, path = "/api/v1/projects/{code}/visits", tag = "followup",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = VisitsAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn visits(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<VisitsAnswer>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(VisitsAnswer {
        visits: state.store.visits(&code).await?,
    }))
}

/// A supervision visit of the surveillance team (Art. 34-35).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"visited_on": "2014-03-01", "team": ["Ingeniera agrónoma"], "findings": [{"line": 5, "delivery": "partial", "planned_quantity": "10", "delivered_quantity": "4", "note": "Kits en bodega"}], "environmental": "", "legal": "", "rating": 3, "commitments": [{"description": "Entregar los kits", "due_on": "2014-04-01"}], "closes": []}))]
pub struct VisitRequest {
    #[schema(value_type = String, format = Date)]
    pub visited_on: jiff::civil::Date,
    pub team: Vec<String>,
    /// Per plan line: `line`, `delivery` (delivered, partial, not_delivered), optional
    /// `planned_quantity` and `delivered_quantity`, `note`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub environmental: String,
    #[serde(default)]
    pub legal: String,
    /// 1 to 5.
    pub rating: u8,
    /// `description` and `due_on`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub commitments: Vec<CommitmentDraft>,
    /// Open commitments of earlier visits this visit finds done.
    #[serde(default)]
    pub closes: Vec<i32>,
}

/// Records a visit; it may close open commitments of earlier visits.
#[utoipa::path(post, path = "/api/v1/projects/{code}/visits", tag = "followup",
    params(("code" = String, Path, description = "Project code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = VisitRequest, content_type = "application/json"),
    responses((status = 201, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the office may not (`scope-error-…`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The project is closed (`closure-error-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Before the payment or in the future, no team, a bad rating, a line not in the plan, a commitment not open (`followup-error-…`)", body = Problem, content_type = "application/problem+json")))]
pub async fn record_visit(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Recorded>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let input: VisitRequest = read_json(&body)?;
    let new = NewVisit {
        draft: VisitDraft {
            visited_on: input.visited_on,
            team: input.team,
            findings: input.findings,
            environmental: input.environmental,
            legal: input.legal,
            rating: input.rating,
            commitments: input.commitments,
        },
        closes: input.closes,
    };
    let id = state
        .store
        .record_visit(&actor, &code, &new, today_in_colombia())
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { id })))
}

/// A photo of a visit (JPEG or PNG as `photo`) with where it was taken (`latitude`,
/// `longitude`, decimal degrees).
#[utoipa::path(post, path = "/api/v1/projects/{code}/visits/{id}/photos", tag = "followup",
    params(("code" = String, Path, description = "Project code"), ("id" = i32, Path, description = "Visit id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "`photo`, `latitude`, `longitude`"),
    responses((status = 201, description = "The photo as kept", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The project is closed (`closure-error-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No photo, not an image, coordinates not on Earth", body = Problem, content_type = "application/problem+json")))]
pub async fn add_photo(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((code, id)): Path<(String, i32)>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<VisitPhoto>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let (fields, file, problem) = read_form(&mut multipart, "photo", PHOTO_LIMIT_BYTES).await?;
    if let Some(problem) = problem {
        return Err(AppError::said(ErrorCode::InvalidInput, problem));
    }
    let file = file.ok_or_else(|| {
        AppError::said(
            ErrorCode::InvalidInput,
            Message::new("followup-error-photo_required"),
        )
    })?;
    let latitude = read_coordinate(field(&fields, "latitude"), "latitude")
        .map_err(|m| AppError::said(ErrorCode::InvalidInput, m))?;
    let longitude = read_coordinate(field(&fields, "longitude"), "longitude")
        .map_err(|m| AppError::said(ErrorCode::InvalidInput, m))?;
    let kept = keep_file(&state, file)?;
    let photo = state
        .store
        .add_visit_photo(
            &actor,
            &code,
            id,
            NewVisitPhoto {
                file_name: kept.file_name,
                content_type: kept.content_type,
                size_bytes: kept.size_bytes,
                sha256: kept.sha256,
                latitude,
                longitude,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(photo)))
}

/// A project's progress and alerts.
#[derive(Serialize, ToSchema)]
pub struct ProgressAnswer {
    /// `physical`, `financial` and `management` in percent, `closed`, and `alerts`, each with
    /// its `kind` (no_movement, line_over_plan, money_ahead_of_work, commitment_overdue,
    /// policy_expiring) and its typed `message` (code and arguments, the article among them).
    #[schema(value_type = Object)]
    pub progress: Progress,
}

/// A project's physical, financial and management progress and its alerts today.
#[utoipa::path(get, path = "/api/v1/projects/{code}/progress", tag = "followup",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = ProgressAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A project the program did not award (`ledger-error-no_plan`)", body = Problem, content_type = "application/problem+json")))]
pub async fn progress(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<ProgressAnswer>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(ProgressAnswer {
        progress: state.store.progress(&code, today_in_colombia()).await?,
    }))
}

/// The progress and alerts of every awarded project the account reaches.
#[derive(Serialize, ToSchema)]
pub struct AlertsAnswer {
    /// By office and call: `projects`, the mean `physical`, `financial` and `management`
    /// progress, and the `alerts` added up.
    #[schema(value_type = Vec<Object>)]
    pub rollups: Vec<vereda_store::followup::Rollup>,
    /// Each project with its progress and its alerts, read from the stored figures (its
    /// `monthly` progress is on `/api/v1/projects/{code}/progress`).
    #[schema(value_type = Vec<Object>)]
    pub projects: Vec<Progress>,
}

/// The office's projects in follow-up with their progress and alerts (all, for a national
/// account).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "followup",
    responses((status = 200, body = AlertsAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn alerts(State(state): State<AppState>, visitor: Visitor) -> Result<Json<AlertsAnswer>, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    let projects = state.store.office_progress(&actor, today_in_colombia()).await?;
    Ok(Json(AlertsAnswer {
        rollups: vereda_store::followup::rollup(&projects),
        projects,
    }))
}

/// The act of closure of a project.
#[derive(Serialize, ToSchema)]
pub struct ClosureAnswer {
    #[schema(value_type = Object)]
    pub closure: Closure,
}

/// A project's act of closure, once closed.
#[utoipa::path(get, path = "/api/v1/projects/{code}/closure", tag = "followup",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = ClosureAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or not closed", body = Problem, content_type = "application/problem+json")))]
pub async fn closure(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<ClosureAnswer>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let closure = state
        .store
        .closure(&code)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(Json(ClosureAnswer { closure }))
}

/// The act of closure to sign (the territorial director).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"closed_on": "2015-12-31", "reason": "period_ended", "refund_value": "10000000", "refund_on": "2015-12-30", "refund_reference": "CONS-991", "observations": "", "representative_name": "Nombre del jefe de hogar", "representative_document": "documento"}))]
pub struct ClosureRequest {
    #[schema(value_type = String, format = Date)]
    pub closed_on: jiff::civil::Date,
    /// plan_executed or period_ended.
    pub reason: String,
    #[schema(value_type = String)]
    pub refund_value: Amount,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub refund_on: Option<jiff::civil::Date>,
    #[serde(default)]
    pub refund_reference: String,
    #[serde(default)]
    pub observations: String,
    pub representative_name: String,
    pub representative_document: String,
}

/// Closes a project with its act: after it nothing of the project changes (Art. 34).
#[utoipa::path(post, path = "/api/v1/projects/{code}/closure", tag = "followup",
    params(("code" = String, Path, description = "Project code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ClosureRequest, content_type = "application/json"),
    responses((status = 201, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the territorial director of the office, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already closed (`closure-error-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The reason does not hold, the refund is not the balance or lacks its evidence, a representative not of the families (`closure-error-…`)", body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Recorded>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let input: ClosureRequest = read_json(&body)?;
    let reason: ClosureReason =
        input
            .reason
            .parse()
            .map_err(|e: vereda_domain::text_enum::UnknownValue| {
                AppError::said(ErrorCode::InvalidInput, e.message())
            })?;
    let new = NewClosure {
        closed_on: input.closed_on,
        reason,
        refund_value: input.refund_value.read("refund_value")?,
        refund_on: input.refund_on,
        refund_reference: input.refund_reference,
        observations: input.observations,
        representative_name: input.representative_name,
        representative_document: input.representative_document,
    };
    let id = state
        .store
        .close_project(&actor, &code, &new, today_in_colombia())
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { id })))
}

/// The act of closure as PDF.
#[utoipa::path(get, path = "/api/v1/projects/{code}/closure.pdf", tag = "followup",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, description = "The act", content_type = "application/pdf"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn closure_pdf(
    state: State<AppState>,
    visitor: Visitor,
    code: Path<String>,
) -> Result<Response, AppError> {
    crate::pages::followup::closure_pdf(state, visitor, code).await
}

/// The accompaniment plan: the approved formulation's description and training topics, and
/// the activities scheduled from them with their delivery.
#[derive(Serialize, ToSchema)]
pub struct AccompanimentAnswer {
    #[schema(value_type = Object)]
    pub accompaniment: Accompaniment,
}

/// A project's accompaniment plan (Art. 36, 18.5).
#[utoipa::path(get, path = "/api/v1/projects/{code}/accompaniment", tag = "followup",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = AccompanimentAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A project the program did not award (`ledger-error-no_plan`)", body = Problem, content_type = "application/problem+json")))]
pub async fn accompaniment(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<AccompanimentAnswer>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(AccompanimentAnswer {
        accompaniment: state.store.accompaniment(&code).await?,
    }))
}

/// An activity to schedule on one of the formulation's training topics.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"topic": "Manejo del cultivo", "scheduled_on": "2014-02-01"}))]
pub struct ActivityRequest {
    pub topic: String,
    #[schema(value_type = String, format = Date)]
    pub scheduled_on: jiff::civil::Date,
}

/// Schedules an activity of the accompaniment plan.
#[utoipa::path(post, path = "/api/v1/projects/{code}/accompaniment", tag = "followup",
    params(("code" = String, Path, description = "Project code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ActivityRequest, content_type = "application/json"),
    responses((status = 201, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The project is closed (`closure-error-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a topic of the formulation, before the payment (`followup-error-…`)", body = Problem, content_type = "application/problem+json")))]
pub async fn schedule_activity(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Recorded>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let input: ActivityRequest = read_json(&body)?;
    let id = state
        .store
        .schedule_activity(&actor, &code, &input.topic, input.scheduled_on)
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { id })))
}

/// Records the delivery of an activity: `delivered_on`, `families`, `women`, `men` (one
/// attendee per family) and the evidence as the file `evidence`.
#[utoipa::path(post, path = "/api/v1/projects/{code}/accompaniment/{id}/delivery", tag = "followup",
    params(("code" = String, Path, description = "Project code"), ("id" = i32, Path, description = "Activity id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "`delivered_on`, `families`, `women`, `men`, `evidence`"),
    responses((status = 200, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already delivered, or the project is closed", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The attendance does not add up, no evidence, a date before the payment or in the future", body = Problem, content_type = "application/problem+json")))]
pub async fn deliver_activity(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((code, id)): Path<(String, i32)>,
    mut multipart: Multipart,
) -> Result<Json<Recorded>, AppError> {
    let actor = acting(&visitor, &headers).await?;
    let (fields, file, problem) = read_form(&mut multipart, "evidence", PHOTO_LIMIT_BYTES).await?;
    if let Some(problem) = problem {
        return Err(AppError::said(ErrorCode::InvalidInput, problem));
    }
    let kept = file.map(|f| keep_file(&state, f)).transpose()?;
    let new = read_delivery(&fields, kept).map_err(|m| AppError::said(ErrorCode::InvalidInput, m))?;
    state
        .store
        .deliver_activity(&actor, &code, id, &new, today_in_colombia())
        .await?;
    Ok(Json(Recorded { id }))
}
