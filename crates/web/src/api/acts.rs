//! The legal life of the acts over the JSON API (Ley 1437 de 2011), calling what the pages
//! call (`pages/acts.rs`). Public, no account: an act by its verification code, and the
//! check of an uploaded PDF (at most 20 MiB) against the signed ones; no personal data. Staff:
//! an award's notifications, appeals and firmness; recording a notification, receiving an
//! appeal and deciding it (signed as its own act). A step that changes something needs the
//! session's token in `X-CSRF-Token` (or a Bearer token).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use vereda_store::acts::{Appeal, AwardLife, PublicAct, SignedAct};

use super::procedure::{csrf_of, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem};
use crate::i18n::Message;
use crate::pages::acts::{
    AppealInput, DecisionInput, NotificationInput, VERIFY_LIMIT_BYTES, act_of_pdf, award_life, decide_appeal,
    file_appeal, read_pdf, record_notification, signed_acts,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/acts/{code}", get(act))
        .route(
            "/api/v1/acts/verify",
            post(verify).layer(DefaultBodyLimit::max(VERIFY_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/api/v1/formulations/{id}/notifications", get(life).post(notify))
        .route("/api/v1/formulations/{id}/appeals", post(appeal))
        .route(
            "/api/v1/formulations/{id}/appeals/{appeal}/decision",
            post(decide),
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

async fn life_record(state: &AppState, life: AwardLife) -> Result<LifeRecord, AppError> {
    let acts = signed_acts(state, &life).await?;
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
    let life = award_life(&state, &visitor, id).await?;
    Ok(Json(life_record(&state, life).await?))
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
    let life = record_notification(&state, &visitor, id, &input).await?;
    Ok(Json(life_record(&state, life).await?))
}

/// An appeal as recorded.
#[derive(Serialize, ToSchema)]
pub struct AppealRecord {
    #[schema(value_type = Object)]
    pub appeal: Appeal,
    #[schema(value_type = Option<Object>)]
    pub act: Option<SignedAct>,
}

/// Receives a recurso de reposición (Art. 74, 76): one after the window is recorded as late,
/// not refused.
#[utoipa::path(post, path = "/api/v1/formulations/{id}/appeals", tag = "acts",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = AppealInput, content_type = "application/json"),
    responses((status = 200, body = AppealRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn appeal(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<AppealRecord>, AppError> {
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: AppealInput = read_json(&body)?;
    let appeal = file_appeal(&state, &visitor, id, &input, None).await?;
    Ok(Json(AppealRecord { appeal, act: None }))
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
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: DecisionInput = read_json(&body)?;
    let (appeal, act) = decide_appeal(&state, &visitor, id, appeal_id, &input).await?;
    Ok(Json(AppealRecord { appeal, act }))
}
