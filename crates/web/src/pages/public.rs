//! Pages that need no account: home, municipalities, the glossary, language switch, login and
//! logout.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::glossary::Term;
use vereda_store::audit::AuthEvent;
use vereda_store::projects::ProjectSummary;
use vereda_store::territory::{DepartmentRow, MunicipalityQuery, MunicipalityRow, PdetSubregionRow};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, safe_next};
use crate::i18n::Message;
use crate::i18n::{LANG_COOKIE, Lang};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/municipios", get(municipalities))
        .route("/glosario", get(glossary))
        .route("/idioma/{code}", get(switch_language))
        .route("/ingreso", get(login_form).post(login))
        .route("/salida", post(logout))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    municipalities: usize,
    pdet_municipalities: usize,
    subregions: usize,
    projects: Vec<ProjectSummary>,
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    let all = state.store.municipalities(&MunicipalityQuery::default()).await?;
    render(&HomePage {
        municipalities: all.len(),
        pdet_municipalities: all.iter().filter(|m| m.pdet_subregion.is_some()).count(),
        subregions: state.store.pdet_subregions().await?.len(),
        projects: state
            .store
            .projects(&vereda_store::projects::ProjectFilter::default())
            .await?,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Template)]
#[template(path = "glossary.html")]
struct GlossaryPage {
    chrome: Chrome,
    terms: Vec<GlossaryEntry>,
}

/// One term of the glossary, in the visitor's language.
struct GlossaryEntry {
    key: &'static str,
    term: &'static str,
    definition: &'static str,
    basis: &'static str,
}

/// The program's glossary: each term with its one name, its definition and its legal basis.
async fn glossary(visitor: Visitor) -> Result<Response, AppError> {
    let chrome = Chrome::new(&visitor).await?;
    let lang = chrome.lang;
    let terms = Term::ALL
        .iter()
        .map(|term| GlossaryEntry {
            key: term.as_str(),
            term: lang.t(&term.key("term")),
            definition: lang.t(&term.key("definition")),
            basis: lang.t(&term.key("basis")),
        })
        .collect();
    render(&GlossaryPage { chrome, terms })
}

/// The municipality filters, as the form and the API take them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityFilter {
    /// DANE department code (2 digits), e.g. `18`.
    pub departamento: Option<String>,
    /// PDET subregion id (see `/api/v1/pdet-subregions`).
    pub subregion: Option<String>,
    /// Part of the municipality's or department's name, or of its DANE code.
    pub q: Option<String>,
    /// `true` (or `on`) to list only PDET municipalities.
    pub pdet: Option<String>,
}

impl MunicipalityFilter {
    pub fn to_query(&self) -> Result<MunicipalityQuery, AppError> {
        let department_code = match self
            .departamento
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(code) => Some(
                vereda_domain::territory::DepartmentCode::parse(code)
                    .map_err(|e| AppError::said(ErrorCode::InvalidInput, e.message()))?
                    .to_string(),
            ),
            None => None,
        };
        let pdet_subregion_id = match self.subregion.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => Some(id.parse::<i32>().map_err(|_| {
                AppError::said(
                    ErrorCode::InvalidInput,
                    Message::new("territory-error-subregion").with("value", id),
                )
            })?),
            None => None,
        };
        Ok(MunicipalityQuery {
            department_code,
            pdet_subregion_id,
            pdet_only: match self.pdet.as_deref().map(str::trim) {
                None | Some("" | "false" | "off" | "0") => false,
                Some("true" | "on" | "1") => true,
                Some(other) => {
                    return Err(AppError::said(
                        ErrorCode::InvalidInput,
                        Message::new("error-bad_parameter")
                            .with("name", "pdet")
                            .with("value", other)
                            .with("expected", "true, false"),
                    ));
                }
            },
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
        })
    }
}

#[derive(Template)]
#[template(path = "municipalities.html")]
struct MunicipalitiesPage {
    chrome: Chrome,
    departments: Vec<DepartmentRow>,
    subregions: Vec<PdetSubregionRow>,
    rows: Vec<MunicipalityRow>,
    department: String,
    subregion: String,
    text: String,
    pdet_only: bool,
}

async fn municipalities(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(filter): Query<MunicipalityFilter>,
) -> Result<Response, AppError> {
    let query = filter.to_query()?;
    render(&MunicipalitiesPage {
        departments: state.store.departments().await?,
        subregions: state.store.pdet_subregions().await?,
        rows: state.store.municipalities(&query).await?,
        department: query.department_code.clone().unwrap_or_default(),
        subregion: query
            .pdet_subregion_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        text: query.text.clone().unwrap_or_default(),
        pdet_only: query.pdet_only,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn switch_language(
    Path(code): Path<String>,
    Query(query): Query<NextQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::parse(&code).ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    let mut response = Redirect::to(&safe_next(query.next.as_deref())).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::internal(&e))?,
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    email: String,
    failure: Option<String>,
}

async fn login_form(visitor: Visitor, Query(query): Query<NextQuery>) -> Result<Response, AppError> {
    if visitor.account.is_some() {
        return Ok(Redirect::to(&safe_next(query.next.as_deref())).into_response());
    }
    render(&LoginPage {
        csrf: visitor.csrf_token().await?,
        next: safe_next(query.next.as_deref()),
        email: String::new(),
        failure: None,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    crate::auth::ClientAddress(address): crate::auth::ClientAddress,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    visitor.check_csrf(&form.csrf_token).await?;
    let now = jiff::Timestamp::now();
    let address = address.as_deref();
    // Throttled before the password is checked: a guess during the wait is not even tried.
    if let Some(seconds) = state.store.login_wait(&form.email, address, now).await? {
        tracing::info!(email = %form.email.trim(), seconds, "login refused: too many failures");
        record_auth_event(&state, AuditAction::LoginThrottled, None, &form.email, address).await?;
        let page = LoginPage {
            csrf: visitor.csrf_token().await?,
            next: safe_next(form.next.as_deref()),
            email: form.email.trim().to_owned(),
            failure: Some(
                visitor
                    .lang
                    .say(&vereda_domain::message::Message::new("login-wait").with("seconds", seconds)),
            ),
            chrome: Chrome::new(&visitor).await?,
        };
        return Ok(super::account::retry_after(
            (StatusCode::TOO_MANY_REQUESTS, render(&page)?).into_response(),
            seconds,
        ));
    }
    match state.store.authenticate(&form.email, &form.password).await? {
        // The password was right; the login ends with the second factor's code.
        Ok(account) if account.second_factor => {
            visitor.await_second_factor(&account).await?;
            let next = safe_next(form.next.as_deref());
            Ok(Redirect::to(&format!(
                "{}?next={}",
                super::account::LOGIN_CODE_PATH,
                crate::error::urlencode(&next)
            ))
            .into_response())
        }
        Ok(account) => {
            state.store.record_login_success(&form.email, address).await?;
            record_auth_event(
                &state,
                AuditAction::LoginSucceeded,
                Some(&account),
                &account.email,
                address,
            )
            .await?;
            visitor.log_in(&account).await?;
            tracing::info!(account = %account.email, "logged in");
            Ok(Redirect::to(&safe_next(form.next.as_deref())).into_response())
        }
        Err(failure) => {
            tracing::info!(email = %form.email.trim(), %failure, "login refused");
            state
                .store
                .record_login_failure(&form.email, address, now)
                .await?;
            record_auth_event(&state, AuditAction::LoginFailed, None, &form.email, address).await?;
            let key = match failure {
                vereda_store::accounts::LoginError::WrongCredentials => "login-wrong",
                vereda_store::accounts::LoginError::Disabled => "login-disabled",
            };
            let page = LoginPage {
                csrf: visitor.csrf_token().await?,
                next: safe_next(form.next.as_deref()),
                email: form.email.trim().to_owned(),
                failure: Some(visitor.lang.t(key).to_owned()),
                chrome: Chrome::new(&visitor).await?,
            };
            Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response())
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf_token: String,
}

async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    crate::auth::ClientAddress(address): crate::auth::ClientAddress,
    Form(form): Form<LogoutForm>,
) -> Result<Response, AppError> {
    visitor.check_csrf(&form.csrf_token).await?;
    if let Some(account) = &visitor.account {
        record_auth_event(
            &state,
            AuditAction::Logout,
            Some(account),
            &account.email,
            address.as_deref(),
        )
        .await?;
    }
    visitor.log_out().await?;
    Ok(Redirect::to("/").into_response())
}

/// Records a login, a refused or throttled login or a logout in the audit log: the e-mail as
/// typed (never the password) and the client's address; the account acts when it is known.
pub(super) async fn record_auth_event(
    state: &AppState,
    action: AuditAction,
    account: Option<&vereda_store::accounts::Account>,
    email: &str,
    address: Option<&str>,
) -> Result<(), AppError> {
    let actor = account.map_or_else(|| Actor::system("web"), vereda_store::accounts::Account::actor);
    let event = AuthEvent {
        action,
        account_id: account.map(|a| a.id),
        email,
        address,
    };
    state.store.record_auth_event(&actor, &event).await?;
    Ok(())
}
