//! The legal life of the acts over the JSON API (Ley 1437 de 2011), calling what the pages
//! call (`pages/acts.rs`). Public, no account: an act by its verification code, and the
//! check of an uploaded PDF (at most 20 MiB) against the signed ones; no personal data. Staff:
//! an award's notifications, appeals and firmness; recording a notification, receiving an
//! appeal (JSON, or multipart with its file, which staff who see whole documents download)
//! and deciding it (signed as its own act); the same for a household's not-eligible
//! verification decision. A step that changes something needs the session's token in
//! `X-CSRF-Token` (or a Bearer token).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use vereda_store::acts::{Appeal, AwardLife, PublicAct, SignedAct, VerificationLife};

use super::procedure::{csrf_of, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{field, read_form};
use crate::error::{AppError, ErrorCode, Problem};
use crate::i18n::Message;
use crate::pages::acts::{
    AppealInput, DecisionInput, HouseholdNotificationInput, Life, LifeOf, NotificationInput,
    VERIFY_LIMIT_BYTES, act_of_pdf, appeal_of, award_life, decide_appeal, file_appeal, read_pdf,
    record_notification, signed_acts, verification_life,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/acts/{code}", get(act))
        .route(
            "/api/v1/acts/verify",
            post(verify).layer(DefaultBodyLimit::max(VERIFY_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/api/v1/formulations/{id}/notifications", get(life).post(notify))
        .route(
            "/api/v1/formulations/{id}/appeals",
            post(appeal).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/api/v1/formulations/{id}/appeals/{appeal}/decision",
            post(decide),
        )
        .route(
            "/api/v1/formulations/{id}/appeals/{appeal}/document",
            get(appeal_document),
        )
        .route(
            "/api/v1/households/{id}/verification/notifications",
            get(verification_life_of).post(verification_notify),
        )
        .route(
            "/api/v1/households/{id}/verification/appeals",
            post(verification_appeal).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/api/v1/households/{id}/verification/appeals/{appeal}/decision",
            post(verification_decide),
        )
        .route(
            "/api/v1/households/{id}/verification/appeals/{appeal}/document",
            get(verification_appeal_document),
        )
}

/// A signed act as anyone may see it: no e-mail, no family's data.
#[derive(Serialize, ToSchema)]
pub struct ActRecord {
    /// award, minutes or appeal_decision.
    pub kind: String,
    pub number: String,
    #[schema(value_type = String, format = Date)]
    pub issued_on: jiff::civil::Date,
    pub code: String,
    pub signer_name: String,
    /// The signer's role at the signature (`role-*` in the catalogues).
    pub signer_role: String,
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: jiff::Timestamp,
    /// SHA-256 of the signed PDF's exact bytes.
    pub sha256: String,
    /// in_force, appealed, modified, revoked or firm.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub firm_on: Option<jiff::civil::Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub appeal_deadline: Option<jiff::civil::Date>,
}

fn act_record(act: PublicAct) -> ActRecord {
    ActRecord {
        kind: act.act.kind.to_string(),
        number: act.act.number,
        issued_on: act.act.issued_on,
        code: act.act.code,
        signer_name: act.act.signer_name,
        signer_role: act.act.signer_role,
        signed_at: act.act.signed_at,
        sha256: act.act.sha256,
        status: act.status.to_string(),
        firm_on: act.firm_on,
        appeal_deadline: act.appeal_deadline,
    }
}

/// The act with this verification code (no account).
#[utoipa::path(get, path = "/api/v1/acts/{code}", tag = "acts",
    params(("code" = String, Path, description = "The verification code printed on the act")),
    responses((status = 200, body = ActRecord),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn act(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ActRecord>, AppError> {
    state
        .store
        .public_act(&code, state.config.today())
        .await?
        .map(|act| Json(act_record(act)))
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// Whether an uploaded PDF is exactly a signed act.
#[derive(Serialize, ToSchema)]
pub struct VerifyRecord {
    /// The act is one of the program's, byte for byte.
    pub matches: bool,
    /// SHA-256 of the uploaded file.
    pub sha256: String,
    pub act: Option<ActRecord>,
}

/// Checks an uploaded PDF (multipart field `file`, at most 20 MiB) against the signed acts (no
/// account): `matches` false means it is not one of the program's.
#[utoipa::path(post, path = "/api/v1/acts/verify", tag = "acts",
    request_body(content_type = "multipart/form-data", description = "The PDF as `file`"),
    responses((status = 200, body = VerifyRecord),
        (status = 413, description = "Over 20 MiB (`acts-error-pdf_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file (`acts-error-pdf_missing`)", body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<Json<VerifyRecord>, AppError> {
    let (_, bytes) = read_pdf(&mut multipart).await?;
    let bytes = bytes
        .ok_or_else(|| AppError::said(ErrorCode::InvalidInput, Message::new("acts-error-pdf_missing")))?;
    let (sha256, act) = act_of_pdf(&state, &bytes).await?;
    Ok(Json(VerifyRecord {
        matches: act.is_some(),
        sha256,
        act: act.map(act_record),
    }))
}

/// An award's notifications, appeals, firmness and signed acts (staff).
#[derive(Serialize, ToSchema)]
pub struct LifeRecord {
    #[schema(value_type = Object)]
    pub life: AwardLife,
    #[schema(value_type = Vec<Object>)]
    pub acts: Vec<SignedAct>,
}

async fn award_record(state: &AppState, visitor: &Visitor, id: i32) -> Result<LifeRecord, AppError> {
    let life = award_life(state, visitor, id).await?;
    let acts = signed_acts(state, &Life::from(life.clone())).await?;
    Ok(LifeRecord { life, acts })
}

/// The award's legal life: each family's notification, the appeal window, the appeals, the
/// firmness date (computed with today's date) and the signed acts.
#[utoipa::path(get, path = "/api/v1/formulations/{id}/notifications", tag = "acts",
    params(("id" = i32, Path, description = "Formulation id")),
    responses((status = 200, body = LifeRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn life(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<LifeRecord>, AppError> {
    Ok(Json(award_record(&state, &visitor, id).await?))
}

/// Records the notification of the award to one family (Art. 56, 67-69).
#[utoipa::path(post, path = "/api/v1/formulations/{id}/notifications", tag = "acts",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = NotificationInput, content_type = "application/json"),
    responses((status = 200, body = LifeRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already notified (`acts-error-already_notified`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Electronic without authorisation, a notice too early (`acts-error-*`)", body = Problem, content_type = "application/problem+json")))]
pub async fn notify(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<LifeRecord>, AppError> {
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: NotificationInput = read_json(&body)?;
    record_notification(&state, &visitor, LifeOf::Award(id), &input).await?;
    Ok(Json(award_record(&state, &visitor, id).await?))
}

/// An appeal as recorded (against an award or a not-eligible decision), with its signed
/// decision once decided.
#[derive(Serialize, ToSchema)]
pub struct AppealRecord {
    #[schema(value_type = Object)]
    pub appeal: Appeal,
    #[schema(value_type = Option<Object>)]
    pub act: Option<SignedAct>,
}

/// The appeal as JSON, or like the page as `multipart/form-data` with its fields
/// (`appellant_name`, `text`, `filed_on`) and its file in the part `document`.
async fn appeal_request(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    request: Request,
) -> Result<(AppealInput, Option<crate::documents::ReceivedFile>), AppError> {
    let multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::said(
                    ErrorCode::PayloadTooLarge,
                    Message::new("upload-error-too_large")
                        .with("megabytes", crate::UPLOAD_LIMIT_BYTES / (1024 * 1024)),
                )
            } else {
                AppError::said(ErrorCode::InvalidInput, Message::new("upload-error-unreadable"))
            }
        })?;
        return Ok((read_json(&body)?, None));
    }
    let mut parts = Multipart::from_request(request, state).await.map_err(|e| {
        tracing::info!(%e, "a multipart appeal could not be read");
        AppError::said(ErrorCode::InvalidInput, Message::new("upload-error-unreadable"))
    })?;
    let (fields, file, problem) = read_form(&mut parts, "document", crate::UPLOAD_LIMIT_BYTES).await?;
    if let Some(problem) = problem {
        let mut errors = crate::form_errors::FieldErrors::default();
        errors.add(visitor.lang, "document", problem);
        return Err(AppError::fields(&errors));
    }
    let input = AppealInput {
        appellant_name: field(&fields, "appellant_name").to_owned(),
        text: field(&fields, "text").to_owned(),
        filed_on: field(&fields, "filed_on").to_owned(),
    };
    Ok((input, file))
}

/// Receives an appeal against `of`'s act, over the API.
async fn receive_appeal(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    of: LifeOf,
    request: Request,
) -> Result<Json<AppealRecord>, AppError> {
    visitor.check_csrf(csrf_of(headers)).await?;
    let (input, file) = appeal_request(state, visitor, headers, request).await?;
    let appeal = file_appeal(state, visitor, of, &input, file).await?;
    Ok(Json(AppealRecord { appeal, act: None }))
}

/// Receives a recurso de reposición (Art. 74, 76): one after the window is recorded as late,
/// not refused. JSON, or `multipart/form-data` with the appeal's file in the part `document`
/// (kept under its SHA-256, named in the audited appeal).
#[utoipa::path(post, path = "/api/v1/formulations/{id}/appeals", tag = "acts",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content(
        (AppealInput = "application/json"),
        (AppealInput = "multipart/form-data", example = json!({"appellant_name": "…", "text": "…", "filed_on": "2026-07-14", "document": "(file)"}))
    )),
    responses((status = 200, body = AppealRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over the upload limit (`upload-error-too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn appeal(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    request: Request,
) -> Result<Json<AppealRecord>, AppError> {
    receive_appeal(&state, &visitor, &headers, LifeOf::Award(id), request).await
}

/// The file of an appeal of `of`'s act, as received: for the roles that see whole documents
/// (the appellant's document is personal data).
async fn appeal_file(
    state: &AppState,
    visitor: &Visitor,
    of: LifeOf,
    appeal_id: i32,
) -> Result<axum::response::Response, AppError> {
    let account = visitor.require(vereda_domain::accounts::Permission::ViewFullDocuments)?;
    let appeal = appeal_of(state, visitor, of, appeal_id).await?;
    let (Some(name), Some(sha256)) = (&appeal.document_name, &appeal.document_sha256) else {
        return Err(AppError::new(ErrorCode::NotFound));
    };
    tracing::info!(
        account = account.id,
        appeal = appeal_id,
        "an appeal's file was downloaded"
    );
    crate::documents::kept_file_response(state, sha256, name, None).await
}

/// The file an appeal was filed with, as received (staff of the office; the appellant's
/// document is personal data: only the roles that see whole documents).
#[utoipa::path(get, path = "/api/v1/formulations/{id}/appeals/{appeal}/document", tag = "acts",
    params(("id" = i32, Path, description = "Formulation id"), ("appeal" = i32, Path, description = "Appeal id")),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal, or filed without a file", body = Problem, content_type = "application/problem+json")))]
pub async fn appeal_document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, appeal_id)): Path<(i32, i32)>,
) -> Result<axum::response::Response, AppError> {
    appeal_file(&state, &visitor, LifeOf::Award(id), appeal_id).await
}

/// Decides an appeal of `of`'s act over the API.
async fn decision(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    of: LifeOf,
    appeal_id: i32,
    body: &Bytes,
) -> Result<Json<AppealRecord>, AppError> {
    visitor.check_csrf(csrf_of(headers)).await?;
    let input: DecisionInput = read_json(body)?;
    let (appeal, act) = decide_appeal(state, visitor, of, appeal_id, &input).await?;
    Ok(Json(AppealRecord { appeal, act }))
}

/// Decides an appeal (confirms, modifies or revokes) by a new act, signed with its PDF and
/// verification code.
#[utoipa::path(post, path = "/api/v1/formulations/{id}/appeals/{appeal}/decision", tag = "acts",
    params(("id" = i32, Path, description = "Formulation id"), ("appeal" = i32, Path, description = "Appeal id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = DecisionInput, content_type = "application/json"),
    responses((status = 200, body = AppealRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided (`acts-error-already_decided`)", body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, appeal_id)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Json<AppealRecord>, AppError> {
    decision(&state, &visitor, &headers, LifeOf::Award(id), appeal_id, &body).await
}

/// A household's not-eligible decision's notification, appeals, firmness and signed acts.
#[derive(Serialize, ToSchema)]
pub struct VerificationLifeRecord {
    #[schema(value_type = Object)]
    pub life: VerificationLife,
    #[schema(value_type = Vec<Object>)]
    pub acts: Vec<SignedAct>,
}

async fn verification_record(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
) -> Result<VerificationLifeRecord, AppError> {
    let life = verification_life(state, visitor, id).await?;
    let acts = signed_acts(state, &Life::from(life.clone())).await?;
    Ok(VerificationLifeRecord { life, acts })
}

/// The legal life of a household's not-eligible verification decision: its notification, the
/// appeal window, the appeals, the firmness date (computed with today's date) and the signed
/// decisions (Ley 1437 de 2011, art. 67-69, 74, 76, 87).
#[utoipa::path(get, path = "/api/v1/households/{id}/verification/notifications", tag = "acts",
    params(("id" = i32, Path, description = "Household id")),
    responses((status = 200, body = VerificationLifeRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such household, or its verification is not a decided \"not eligible\"", body = Problem, content_type = "application/problem+json")))]
pub async fn verification_life_of(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<VerificationLifeRecord>, AppError> {
    Ok(Json(verification_record(&state, &visitor, id).await?))
}

/// Records the notification of a household's not-eligible decision (Art. 56, 67-69).
#[utoipa::path(post, path = "/api/v1/households/{id}/verification/notifications", tag = "acts",
    params(("id" = i32, Path, description = "Household id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = HouseholdNotificationInput, content_type = "application/json"),
    responses((status = 200, body = VerificationLifeRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a decided \"not eligible\" (`acts-error-not_refused`), or already notified (`acts-error-already_notified`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Before the decision, electronic without authorisation, a notice too early (`acts-error-*`)", body = Problem, content_type = "application/problem+json")))]
pub async fn verification_notify(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<VerificationLifeRecord>, AppError> {
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: HouseholdNotificationInput = read_json(&body)?;
    record_notification(&state, &visitor, LifeOf::Household(id), &input.into()).await?;
    Ok(Json(verification_record(&state, &visitor, id).await?))
}

/// Receives a recurso de reposición against a household's not-eligible decision (Art. 74,
/// 76): one after the window is recorded as late, not refused. JSON, or `multipart/form-data`
/// with its file in the part `document`.
#[utoipa::path(post, path = "/api/v1/households/{id}/verification/appeals", tag = "acts",
    params(("id" = i32, Path, description = "Household id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content(
        (AppealInput = "application/json"),
        (AppealInput = "multipart/form-data", example = json!({"appellant_name": "…", "text": "…", "filed_on": "2026-07-14", "document": "(file)"}))
    )),
    responses((status = 200, body = AppealRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a decided \"not eligible\" (`acts-error-not_refused`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn verification_appeal(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    request: Request,
) -> Result<Json<AppealRecord>, AppError> {
    receive_appeal(&state, &visitor, &headers, LifeOf::Household(id), request).await
}

/// The file an appeal against a household's not-eligible decision was filed with (only the
/// roles that see whole documents).
#[utoipa::path(get, path = "/api/v1/households/{id}/verification/appeals/{appeal}/document", tag = "acts",
    params(("id" = i32, Path, description = "Household id"), ("appeal" = i32, Path, description = "Appeal id")),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appeal, or filed without a file", body = Problem, content_type = "application/problem+json")))]
pub async fn verification_appeal_document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, appeal_id)): Path<(i32, i32)>,
) -> Result<axum::response::Response, AppError> {
    appeal_file(&state, &visitor, LifeOf::Household(id), appeal_id).await
}

/// Decides an appeal against a household's not-eligible decision (confirms, modifies or
/// revokes) by a new act `RRV-{year}-{nnnn}`, signed with its PDF and verification code. A
/// revocation reopens the household's verification.
#[utoipa::path(post, path = "/api/v1/households/{id}/verification/appeals/{appeal}/decision", tag = "acts",
    params(("id" = i32, Path, description = "Household id"), ("appeal" = i32, Path, description = "Appeal id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = DecisionInput, content_type = "application/json"),
    responses((status = 200, body = AppealRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided (`acts-error-already_decided`)", body = Problem, content_type = "application/problem+json")))]
pub async fn verification_decide(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, appeal_id)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Json<AppealRecord>, AppError> {
    decision(
        &state,
        &visitor,
        &headers,
        LifeOf::Household(id),
        appeal_id,
        &body,
    )
    .await
}
