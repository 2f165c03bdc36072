//! The administrator's accounts over the JSON API: list, create, change role or standing, and
//! the territorial office an account works for. The same store functions as the
//! administrator's page, with the same checks (nobody changes their own account; every change
//! audited); a change needs the session's token in `X-CSRF-Token` or an API token.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_store::accounts::{Account, NewAccount};

use super::procedure::{read_json, staff};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem, not_found};
use crate::i18n::Message;
use crate::pages::admin::role_of;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", get(list).post(create))
        .route("/api/v1/accounts/{id}", get(one).patch(change))
        .route("/api/v1/accounts/{id}/office", put(office))
}

/// An account as the administrator sees it (never its password or second factor).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "email": "ana@agencia.gov.co", "display_name": "Ana Pérez",
    "role": "territorial_officer", "active": true, "territorial_office_id": 1}))]
pub struct AccountView {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    /// One of the eight roles (`admin`, `program_officer`, `territorial_director`,
    /// `territorial_officer`, `formulator`, `committee_member`, `oversight`, `auditor`).
    pub role: String,
    pub active: bool,
    pub territorial_office_id: Option<i32>,
}

impl From<Account> for AccountView {
    fn from(account: Account) -> Self {
        AccountView {
            id: account.id,
            email: account.email,
            display_name: account.display_name,
            role: account.role.as_str().to_owned(),
            active: account.active,
            territorial_office_id: account.territorial_office_id,
        }
    }
}

fn administrator(visitor: &Visitor) -> Result<(), AppError> {
    visitor.require(Permission::ManageUsers).map(|_| ())
}

async fn account_or_404(state: &AppState, id: i32) -> Result<Account, AppError> {
    state
        .store
        .account(id)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("account", &id.to_string())))
}

/// Every account, by e-mail.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    responses((status = 200, body = [AccountView]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Json<Vec<AccountView>>, AppError> {
    administrator(&visitor)?;
    let accounts = state.store.accounts().await?;
    Ok(Json(accounts.into_iter().map(AccountView::from).collect()))
}

/// One account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i32, Path, description = "The account")),
    responses((status = 200, body = AccountView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn one(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<AccountView>, AppError> {
    administrator(&visitor)?;
    Ok(Json(account_or_404(&state, id).await?.into()))
}

/// A new account: e-mail, name, role and first password (the creation rules apply).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ana@agencia.gov.co", "display_name": "Ana Pérez",
    "role": "territorial_officer", "password": "una-clave-larga-y-propia"}))]
pub struct NewAccountInput {
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub role: String,
    pub password: String,
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts",
    params(("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`); not needed with an API token")),
    request_body(content = NewAccountInput, content_type = "application/json"),
    responses((status = 201, body = AccountView, headers(("Location" = String, description = "/api/v1/accounts/{id}"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail has an account (`error-duplicate_email`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad e-mail (`account-error-email`), a weak password (`account-error-password_short`), an unknown role (`error-unknown_value`)", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let admin = staff(&visitor, &headers).await?;
    administrator(&visitor)?;
    let input: NewAccountInput = read_json(&body)?;
    let role = role_of(&input.role).map_err(|message| AppError::said(ErrorCode::InvalidInput, message))?;
    let new = NewAccount {
        email: input.email,
        display_name: input.display_name,
        role,
        password: input.password,
    };
    let account = state.store.create_account(&admin.actor(), new).await?;
    let location = format!("/api/v1/accounts/{}", account.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(AccountView::from(account)),
    )
        .into_response())
}

/// What to change of an account: its role, its standing, or both.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"role": "territorial_director", "active": true}))]
pub struct AccountChange {
    pub role: Option<String>,
    /// False deactivates the account: its sessions and API tokens stop at once.
    pub active: Option<bool>,
}

/// Changes an account's role or standing; nobody changes their own.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i32, Path, description = "The account"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token; not needed with an API token")),
    request_body(content = AccountChange, content_type = "application/json"),
    responses((status = 200, body = AccountView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator, or the caller's own account (`accounts-error-own_account`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown role (`error-unknown_value`)", body = Problem, content_type = "application/problem+json")))]
pub async fn change(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AccountView>, AppError> {
    let admin = staff(&visitor, &headers).await?;
    administrator(&visitor)?;
    let input: AccountChange = read_json(&body)?;
    let account = account_or_404(&state, id).await?;
    let role = input
        .role
        .as_deref()
        .map(role_of)
        .transpose()
        .map_err(|message| AppError::said(ErrorCode::InvalidInput, message))?;
    if let Some(role) = role.filter(|role| *role != account.role) {
        state.store.set_account_role(&admin.actor(), id, role).await?;
    }
    if let Some(active) = input.active.filter(|active| *active != account.active) {
        state.store.set_account_active(&admin.actor(), id, active).await?;
    }
    Ok(Json(account_or_404(&state, id).await?.into()))
}

/// The territorial office an account works for; null for none.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"territorial_office_id": 1}))]
pub struct OfficeChange {
    pub territorial_office_id: Option<i32>,
}

/// Sets the territorial office of an account (a director awards in its name, Art. 27; an
/// office's accounts reach its department).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/office", tag = "accounts",
    params(("id" = i32, Path, description = "The account"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token; not needed with an API token")),
    request_body(content = OfficeChange, content_type = "application/json"),
    responses((status = 200, body = AccountView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such office (`users-unknown_office_id`)", body = Problem, content_type = "application/problem+json")))]
pub async fn office(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AccountView>, AppError> {
    let admin = staff(&visitor, &headers).await?;
    administrator(&visitor)?;
    let input: OfficeChange = read_json(&body)?;
    account_or_404(&state, id).await?;
    if let Some(office) = input.territorial_office_id {
        let offices = state.store.territorial_offices().await?;
        if !offices.iter().any(|o| o.id == office) {
            return Err(AppError::said(
                ErrorCode::InvalidInput,
                Message::new("users-unknown_office_id").with("value", office),
            ));
        }
    }
    state
        .store
        .assign_territorial_office(&admin.actor(), id, input.territorial_office_id)
        .await?;
    Ok(Json(account_or_404(&state, id).await?.into()))
}
