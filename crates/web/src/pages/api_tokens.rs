//! An account's API tokens (administration, `ManageUsers`): the list, issuing one (its secret
//! is on the answer page once, never again) and revoking one.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_store::StoreError;
use vereda_store::accounts::Account;
use vereda_store::api_tokens::ApiToken;

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, not_found};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/administracion/cuentas/{id}/credenciales",
            get(list).post(create),
        )
        .route(
            "/personal/administracion/cuentas/{id}/credenciales/{token}/revocacion",
            post(revoke),
        )
}

#[derive(Template)]
#[template(path = "api_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    account: Account,
    tokens: Vec<ApiToken>,
    /// The secret of the token just issued: shown on this answer only.
    secret: Option<String>,
    failure: Option<(String, String)>,
    label: String,
}

impl TokensPage {
    fn when(&self, at: Option<jiff::Timestamp>) -> String {
        at.map_or_else(|| "—".to_owned(), |at| self.chrome.moment(&at))
    }
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    secret: Option<String>,
    failure: Option<&vereda_store::Message>,
    label: String,
) -> Result<TokensPage, AppError> {
    let account = state
        .store
        .account(id)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("account", &id.to_string())))?;
    Ok(TokensPage {
        tokens: state.store.api_tokens(id).await?,
        failure: failure.map(|m| (m.code().to_owned(), visitor.lang.say(m))),
        chrome: Chrome::new(visitor).await?,
        account,
        secret,
        label,
    })
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageUsers)?;
    render(&page(&state, &visitor, id, None, None, String::new()).await?)
}

#[derive(Deserialize)]
struct NewTokenForm {
    label: String,
    csrf_token: String,
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ManageUsers)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    match state.store.create_api_token(&admin, id, &form.label).await {
        Ok(issued) => {
            tracing::info!(token = issued.token.id, account = id, "API token issued");
            render(&page(&state, &visitor, id, Some(issued.secret), None, String::new()).await?)
        }
        Err(StoreError::Invalid(message)) => {
            let shown = page(&state, &visitor, id, None, Some(&message), form.label).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&shown)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf_token: String,
}

async fn revoke(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, token)): Path<(i32, i32)>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ManageUsers)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    // A token of another account is not found here.
    let of_account = state.store.api_token(token).await?.filter(|t| t.user_id == id);
    if of_account.is_none() {
        return Err(AppError::said(
            ErrorCode::NotFound,
            not_found("api_token", &token.to_string()),
        ));
    }
    match state.store.revoke_api_token(&admin, token).await {
        Ok(_) => {
            tracing::info!(token, account = id, "API token revoked");
            Ok(Redirect::to(&format!("/personal/administracion/cuentas/{id}/credenciales")).into_response())
        }
        Err(StoreError::Conflict(message)) => {
            let shown = page(&state, &visitor, id, None, Some(&message), String::new()).await?;
            Ok((StatusCode::CONFLICT, render(&shown)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
