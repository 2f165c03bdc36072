//! An account's own protection: changing its password, enrolling its second factor (TOTP, with
//! a QR code and recovery codes), the second step of a login, and the one-time password-reset
//! links an administrator issues.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_store::StoreError;
use vereda_store::accounts::SecondFactorCheck;

use super::{Chrome, render};
use crate::AppState;
use crate::auth::{ClientAddress, Visitor};
use crate::error::{AppError, ErrorCode, safe_next};
use crate::i18n::Message;

/// The page where an account enrolls its second factor.
pub use crate::auth::SECOND_FACTOR_PATH;
/// The second step of a login, for accounts with a second factor.
pub const LOGIN_CODE_PATH: &str = "/ingreso/codigo";
/// The name authenticator applications show for the account.
const ISSUER: &str = "vereda";
/// The session key of a second factor's secret shown but not yet confirmed.
const ENROLLING_KEY: &str = "second_factor_secret";

pub fn routes() -> Router<AppState> {
    Router::new()
        // Literal paths, as every route: the address tests read them from the sources.
        .route(
            "/personal/cuenta/contrasena",
            get(password_form).post(change_password),
        )
        .route(
            "/personal/cuenta/segundo-factor",
            get(second_factor_form).post(enroll),
        )
        .route("/ingreso/codigo", get(code_form).post(check_code))
        .route("/restablecer/{token}", get(reset_form).post(reset))
        .route(
            "/personal/administracion/cuentas/{id}/restablecimiento",
            post(issue_reset),
        )
}

// ---- Own password ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage {
    chrome: Chrome,
    failure: Option<String>,
    changed: bool,
    second_factor: bool,
}

async fn password_page(
    visitor: &Visitor,
    failure: Option<String>,
    changed: bool,
) -> Result<PasswordPage, AppError> {
    Ok(PasswordPage {
        second_factor: visitor.account.as_ref().is_some_and(|a| a.second_factor),
        chrome: Chrome::new(visitor).await?,
        failure,
        changed,
    })
}

async fn password_form(visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    render(&password_page(&visitor, None, false).await?)
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
    csrf_token: String,
}

/// The account changes its own password: its other sessions end, this one stays.
async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let account = visitor.require(Permission::ViewStaffArea)?.clone();
    visitor.check_csrf(&form.csrf_token).await?;
    if form.new != form.repeat {
        let failure = visitor.lang.t("accounts-error-passwords_differ").to_owned();
        let page = password_page(&visitor, Some(failure), false).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    match state
        .store
        .change_own_password(&account, &form.current, &form.new)
        .await
    {
        Ok(at) => {
            visitor.renew_login(at).await?;
            tracing::info!(account = %account.email, "password changed");
            render(&password_page(&visitor, None, true).await?)
        }
        Err(StoreError::Invalid(message)) => {
            let page = password_page(&visitor, Some(visitor.lang.say(&message)), false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

// ---- Second factor -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    enrolled: bool,
    required: bool,
    unused_codes: u64,
    /// The QR code of the `otpauth://` address, as SVG.
    qr: String,
    /// The secret in base32, for typing it instead of scanning.
    secret: String,
    next: String,
    failure: Option<String>,
    /// Shown once, right after enrollment.
    recovery_codes: Vec<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn second_factor_page(
    state: &AppState,
    visitor: &Visitor,
    next: &str,
    failure: Option<String>,
    recovery_codes: Vec<String>,
) -> Result<SecondFactorPage, AppError> {
    let account = visitor.logged_in()?;
    let enrolled = account.second_factor || !recovery_codes.is_empty();
    let (qr, secret) = if enrolled {
        (String::new(), String::new())
    } else {
        let secret = match visitor.session.get::<String>(ENROLLING_KEY).await? {
            Some(secret) => secret,
            None => {
                let mut bytes = [0u8; vereda_domain::totp::SECRET_BYTES];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
                let secret = vereda_domain::totp::base32_encode(&bytes);
                visitor.session.insert(ENROLLING_KEY, &secret).await?;
                secret
            }
        };
        let key = vereda_domain::totp::base32_decode(&secret).unwrap_or_default();
        let uri = vereda_domain::totp::provisioning_uri(ISSUER, &account.email, &key);
        (qr_svg(&uri)?, secret)
    };
    Ok(SecondFactorPage {
        enrolled,
        required: account.role.requires_second_factor(),
        unused_codes: state.store.unused_recovery_codes(account.id).await?,
        qr,
        secret,
        next: safe_next(Some(next)),
        failure,
        recovery_codes,
        chrome: Chrome::new(visitor).await?,
    })
}

/// A QR code as an SVG element (no XML declaration: it goes inside the page).
fn qr_svg(text: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| AppError::internal(&e))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .build();
    Ok(svg.find("<svg").map(|at| svg[at..].to_owned()).unwrap_or(svg))
}

async fn second_factor_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = query.next.unwrap_or_else(|| "/personal".to_owned());
    render(&second_factor_page(&state, &visitor, &next, None, Vec::new()).await?)
}

#[derive(Deserialize)]
struct EnrollForm {
    code: String,
    next: Option<String>,
    csrf_token: String,
}

/// Confirms the enrollment with a code of the application: the recovery codes are shown once.
async fn enroll(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<EnrollForm>,
) -> Result<Response, AppError> {
    let account = visitor.logged_in()?.clone();
    visitor.check_csrf(&form.csrf_token).await?;
    let next = form.next.clone().unwrap_or_else(|| "/personal".to_owned());
    let Some(secret) = visitor.session.get::<String>(ENROLLING_KEY).await? else {
        return Ok(Redirect::to(SECOND_FACTOR_PATH).into_response());
    };
    match state
        .store
        .enroll_second_factor(&account, &secret, &form.code, jiff::Timestamp::now())
        .await
    {
        Ok(codes) => {
            visitor.session.remove::<String>(ENROLLING_KEY).await?;
            tracing::info!(account = %account.email, "second factor enrolled");
            // The requirement is met from the next request on.
            let visitor = Visitor {
                must_enroll: false,
                ..visitor
            };
            render(&second_factor_page(&state, &visitor, &next, None, codes).await?)
        }
        Err(StoreError::Invalid(message) | StoreError::Conflict(message)) => {
            let failure = visitor.lang.say(&message);
            let page = second_factor_page(&state, &visitor, &next, Some(failure), Vec::new()).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

// ---- The second step of a login --------------------------------------------------------------

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    chrome: Chrome,
    csrf: String,
    next: String,
    failure: Option<String>,
}

async fn code_page(
    visitor: &Visitor,
    next: Option<&str>,
    failure: Option<String>,
) -> Result<CodePage, AppError> {
    Ok(CodePage {
        csrf: visitor.csrf_token().await?,
        next: safe_next(next),
        failure,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn code_form(visitor: Visitor, Query(query): Query<NextQuery>) -> Result<Response, AppError> {
    if visitor.pending_second_factor().await?.is_none() {
        return Ok(Redirect::to("/ingreso").into_response());
    }
    render(&code_page(&visitor, query.next.as_deref(), None).await?)
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
    next: Option<String>,
    csrf_token: String,
}

/// The code of the authenticator application, or a recovery code. A wrong code counts
/// towards the login throttle like a wrong password.
async fn check_code(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    visitor.check_csrf(&form.csrf_token).await?;
    let Some(id) = visitor.pending_second_factor().await? else {
        return Ok(Redirect::to("/ingreso").into_response());
    };
    let Some(account) = state.store.account(id).await?.filter(|a| a.active) else {
        visitor.log_out().await?;
        return Ok(Redirect::to("/ingreso").into_response());
    };
    let now = jiff::Timestamp::now();
    let address = address.as_deref();
    if let Some(seconds) = state.store.login_wait(&account.email, address, now).await? {
        let failure = visitor
            .lang
            .say(&Message::new("login-wait").with("seconds", seconds));
        let page = code_page(&visitor, form.next.as_deref(), Some(failure)).await?;
        return Ok(retry_after(
            (StatusCode::TOO_MANY_REQUESTS, render(&page)?).into_response(),
            seconds,
        ));
    }
    match state.store.check_second_factor(&account, &form.code, now).await? {
        SecondFactorCheck::Accepted | SecondFactorCheck::RecoveryCodeUsed => {
            state.store.record_login_success(&account.email, address).await?;
            super::public::record_auth_event(
                &state,
                vereda_domain::audit::AuditAction::LoginSucceeded,
                Some(&account),
                &account.email,
                address,
            )
            .await?;
            visitor.log_in(&account).await?;
            tracing::info!(account = %account.email, "logged in with the second factor");
            Ok(Redirect::to(&safe_next(form.next.as_deref())).into_response())
        }
        SecondFactorCheck::Wrong => {
            tracing::info!(account = %account.email, "second factor refused");
            state
                .store
                .record_login_failure(&account.email, address, now)
                .await?;
            let failure = visitor.lang.t("second_factor-wrong").to_owned();
            let page = code_page(&visitor, form.next.as_deref(), Some(failure)).await?;
            Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response())
        }
    }
}

/// A refusal that says when to try again (`Retry-After`, in seconds).
pub(crate) fn retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

// ---- Password-reset links ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "reset_link.html")]
struct ResetLinkPage {
    chrome: Chrome,
    email: String,
    link: String,
    hours: u64,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

/// The administrator issues a one-time link for an account to set a new password; the page
/// shows it once (only its hash is kept).
async fn issue_reset(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ManageUsers)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    let account = state
        .store
        .account(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let lifetime = state.config.reset_link_lifetime();
    let token = state
        .store
        .issue_password_reset(
            &admin,
            id,
            jiff::SignedDuration::try_from(lifetime).map_err(|e| AppError::internal(&e))?,
        )
        .await?;
    let origin = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| {
            let scheme = if state.config.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        })
        .unwrap_or_default();
    render(&ResetLinkPage {
        email: account.email,
        link: format!("{origin}{}", reset_path(&token)),
        hours: lifetime.as_secs() / 3600,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// The path of a reset link.
pub fn reset_path(token: &str) -> String {
    format!("/restablecer/{token}")
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    csrf: String,
    token: String,
    email: String,
    failure: Option<String>,
}

async fn reset_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(account) = state
        .store
        .password_reset_account(&token, jiff::Timestamp::now())
        .await?
    else {
        return Err(AppError::said(
            ErrorCode::NotFound,
            Message::new("accounts-error-reset_link"),
        ));
    };
    render(&ResetPage {
        csrf: visitor.csrf_token().await?,
        email: account.email,
        failure: None,
        token,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Deserialize)]
struct ResetForm {
    new: String,
    repeat: String,
    csrf_token: String,
}

/// Sets the new password through the link, once; every session of the account ends.
async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    visitor.check_csrf(&form.csrf_token).await?;
    let now = jiff::Timestamp::now();
    let Some(account) = state.store.password_reset_account(&token, now).await? else {
        return Err(AppError::said(
            ErrorCode::NotFound,
            Message::new("accounts-error-reset_link"),
        ));
    };
    let result = if form.new == form.repeat {
        state.store.use_password_reset(&token, &form.new, now).await
    } else {
        Err(StoreError::Invalid(Message::new(
            "accounts-error-passwords_differ",
        )))
    };
    match result {
        Ok(account) => {
            tracing::info!(account = %account.email, "password set through a reset link");
            Ok(Redirect::to("/ingreso").into_response())
        }
        Err(StoreError::Invalid(message)) => {
            let page = ResetPage {
                csrf: visitor.csrf_token().await?,
                email: account.email,
                failure: Some(visitor.lang.say(&message)),
                token,
                chrome: Chrome::new(&visitor).await?,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
