//! Formulations over the JSON API (Art. 18-22): the list within the reader's reach, one
//! formulation with its latest version, saving a draft from the formulation's JSON (the
//! project file the product reads, `vereda_documents::formulation_file`), and its submission
//! to the committee. Each step calls the function its page calls; a step that changes
//! something needs the session's token in `X-CSRF-Token`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::finance::Formulation;
use vereda_store::StoreError;
use vereda_store::formulations::{FormulationQuery, FormulationRecord, SaveOutcome};

use super::PageParams;
use super::page;
use super::procedure::csrf_of;
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem, StepRefusal};
use crate::evaluation::{EVALUATION_UPLOAD_LIMIT_BYTES, Format};
use crate::i18n::Message;
use crate::pages::formulation::{EDIT, content, create_draft, editable, record_or_404, save, submit_latest};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/formulations",
            get(list)
                .post(create)
                .layer(DefaultBodyLimit::max(EVALUATION_UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/api/v1/formulations/{id}",
            get(formulation)
                .put(update)
                .layer(DefaultBodyLimit::max(EVALUATION_UPLOAD_LIMIT_BYTES)),
        )
        .route("/api/v1/formulations/{id}/submission", post(submission))
}

/// What a save may add to the formulation's JSON, as the page's first step does.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SaveQuery {
    /// The call whose screened and verified families it formulates for (Art. 9-14): needed
    /// before its submission.
    pub call_id: Option<i32>,
    /// A note kept with the version.
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FormulationItem {
    pub id: i32,
    pub code: String,
    pub title: String,
    /// DANE code.
    pub municipality_code: String,
    pub call_id: Option<i32>,
    /// draft, submitted, returned or approved.
    pub status: String,
    /// The latest version's number.
    pub version: i32,
    /// The latest version's verdict; null when it could not be evaluated.
    pub viable: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct FormulationList {
    pub items: Vec<FormulationItem>,
    /// The `after` of the next page (a project code); null on the last.
    pub next: Option<String>,
}

/// The formulations within the reader's reach, by code.
#[utoipa::path(get, path = "/api/v1/formulations", tag = "stages", params(PageParams),
    responses((status = 200, body = FormulationList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(paging): Query<PageParams>,
) -> Result<Json<FormulationList>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let request = page::read::<String>(paging.limit.as_deref(), paging.after.as_deref())?;
    let query = FormulationQuery {
        reach: visitor.reach(&state.store).await?,
        after_code: request.after,
        ..FormulationQuery::default()
    };
    let found = state.store.formulation_page(&query, 1, request.limit + 1).await?;
    let page::Page { items: lines, next } =
        page::Page::of(found.lines, request.limit, |l| l.formulation.code.clone(), |l| l);
    Ok(Json(FormulationList {
        items: lines
            .into_iter()
            .map(|line| FormulationItem {
                id: line.formulation.id,
                code: line.formulation.code,
                title: line.formulation.title,
                municipality_code: line.formulation.municipality_code,
                call_id: line.formulation.call_id,
                status: line.formulation.status.as_str().to_owned(),
                version: line.version,
                viable: line.viable,
            })
            .collect(),
        next,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct VersionItem {
    pub number: i32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    pub note: Option<String>,
    pub content_sha256: String,
    pub viable: Option<bool>,
    /// The internal rate of return when unique, as a decimal fraction.
    pub irr: Option<String>,
    pub rule_set_id: String,
}

/// A formulation: its record, its versions and the latest version's content.
#[derive(Serialize, ToSchema)]
pub struct FormulationDetail {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub municipality_code: String,
    pub call_id: Option<i32>,
    /// draft, submitted, returned or approved.
    pub status: String,
    /// Why the committee returned it, when it did.
    pub return_reason: Option<String>,
    /// Oldest first.
    pub versions: Vec<VersionItem>,
    /// The latest version as the formulation's JSON (the project file's format): send it back,
    /// changed, to save a draft.
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
}

async fn detail(state: &AppState, record: FormulationRecord) -> Result<FormulationDetail, AppError> {
    let latest = record.versions.last().map_or(0, |v| v.number);
    let shown = content(state, record.formulation.id, latest).await?;
    let content = serde_json::to_value(&shown).map_err(|e| AppError::internal(&e))?;
    let f = record.formulation;
    Ok(FormulationDetail {
        id: f.id,
        code: f.code,
        title: f.title,
        municipality_code: f.municipality_code,
        call_id: f.call_id,
        status: f.status.as_str().to_owned(),
        return_reason: f.return_reason,
        versions: record
            .versions
            .into_iter()
            .map(|v| VersionItem {
                number: v.number,
                created_at: v.created_at,
                note: v.note,
                content_sha256: v.content_sha256,
                viable: v.viable,
                irr: v.irr,
                rule_set_id: v.rule_set_id,
            })
            .collect(),
        content,
    })
}

/// One formulation with its versions and the latest version's content.
#[utoipa::path(get, path = "/api/v1/formulations/{id}", tag = "stages",
    params(("id" = i32, Path, description = "Formulation id")),
    responses((status = 200, body = FormulationDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such formulation, or another office's", body = Problem, content_type = "application/problem+json")))]
pub async fn formulation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<FormulationDetail>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let record = record_or_404(&state, id).await?;
    Ok(Json(detail(&state, record).await?))
}

/// The body read as the product reads a JSON project file.
pub(super) fn read_formulation(body: &Bytes) -> Result<Formulation, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::said(ErrorCode::InvalidInput, Message::new("api-error-not_utf8")))?;
    Format::Json.parse(text).map_err(|error| {
        super::procedure::bad_json(error.line.unwrap_or(1), error.column.unwrap_or(1), &error.problem)
    })
}

/// A new formulation from its JSON (the project file's format); its code must be new.
#[utoipa::path(post, path = "/api/v1/formulations", tag = "stages",
    params(SaveQuery, ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = Object, content_type = "application/json", description = "The formulation as a JSON project file: amounts and rates as decimal strings"),
    responses((status = 201, body = FormulationDetail, headers(("Location" = String, description = "/api/v1/formulations/{id}"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that formulates (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken (`formulation-error_code_taken`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a formulation (`api-error-bad_json`), no code (`formulation-error_no_code`)", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(save): Query<SaveQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = visitor.require(EDIT)?.clone();
    visitor.check_csrf(csrf_of(&headers)).await?;
    let formulation = read_formulation(&body)?;
    let id = create_draft(&state, &account, visitor.lang, &formulation, save.call_id).await??;
    let record = record_or_404(&state, id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/formulations/{id}"))],
        Json(detail(&state, record).await?),
    )
        .into_response())
}

/// Saves the formulation's JSON as its draft: the draft's latest version is replaced, or a
/// new version follows a return; the same content saves nothing. Its code must stay the
/// formulation's.
#[utoipa::path(put, path = "/api/v1/formulations/{id}", tag = "stages",
    params(("id" = i32, Path, description = "Formulation id"), SaveQuery,
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = Object, content_type = "application/json", description = "The formulation as a JSON project file"),
    responses((status = 200, body = FormulationDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that formulates (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Submitted or approved (`formulation-error_frozen`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a formulation (`api-error-bad_json`), another code (`api-error-formulation_code`)", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    Query(save_query): Query<SaveQuery>,
    body: Bytes,
) -> Result<Json<FormulationDetail>, AppError> {
    let account = visitor.require(EDIT)?.clone();
    visitor.check_csrf(csrf_of(&headers)).await?;
    let formulation = read_formulation(&body)?;
    let record = record_or_404(&state, id).await?;
    editable(&record)?;
    let code = formulation.frame.code.trim();
    if code != record.formulation.code {
        return Err(StepRefusal::new(
            ErrorCode::InvalidInput,
            Message::new("api-error-formulation_code")
                .with("code", code)
                .with("expected", record.formulation.code.as_str()),
        )
        .into());
    }
    let note = save_query.note.filter(|n| !n.trim().is_empty());
    match save(&state, &account, &formulation, note, save_query.call_id).await {
        Ok((_, _, SaveOutcome::Created)) => {
            return Err(AppError::internal(&std::io::Error::other(
                "a save of an existing code created a formulation",
            )));
        }
        Ok(_) => {}
        Err(StoreError::Invalid(message)) => return Err(AppError::said(ErrorCode::InvalidInput, message)),
        Err(error) => return Err(error.into()),
    }
    let record = record_or_404(&state, id).await?;
    Ok(Json(detail(&state, record).await?))
}

/// Submits the draft's latest version to the committee (Art. 22): it must be evaluated without
/// problems. No body.
#[utoipa::path(post, path = "/api/v1/formulations/{id}/submission", tag = "stages",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    responses((status = 200, body = FormulationDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that formulates (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft (`formulation-error_not_draft`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Problems, or not evaluable (`formulation-error_not_ready`)", body = Problem, content_type = "application/problem+json")))]
pub async fn submission(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
) -> Result<Json<FormulationDetail>, AppError> {
    submit_latest(&state, &visitor, csrf_of(&headers), id)
        .await?
        .map_err(|(refusal, _)| AppError::from(refusal))?;
    let record = record_or_404(&state, id).await?;
    Ok(Json(detail(&state, record).await?))
}
