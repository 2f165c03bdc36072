//! The caller's own account over the API: changing its password, as the page does.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::procedure::read_json;
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, Problem};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/me/password", post(change_password))
}

/// The current password and the new one.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    /// When the password changed: every other session of the account ended then.
    pub changed_at: String,
}

/// Changes the caller's own password. Every other session of the account ends; this one stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "staff",
    params(("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = PasswordChange, content_type = "application/json"),
    responses((status = 200, body = PasswordChanged),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "No CSRF token (`csrf_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong, or the new one is too weak (`accounts-error-*`)", body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<PasswordChanged>), AppError> {
    let account = super::procedure::staff(&visitor, &headers).await?;
    let input: PasswordChange = read_json(&body)?;
    let at = state
        .store
        .change_own_password(&account, &input.current, &input.new)
        .await?;
    visitor.renew_login(at).await?;
    tracing::info!(account = %account.email, "password changed");
    Ok((
        StatusCode::OK,
        Json(PasswordChanged {
            changed_at: at.to_string(),
        }),
    ))
}
