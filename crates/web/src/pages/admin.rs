//! Administration: accounts and the municipal IPM import.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use vereda_domain::accounts::{Permission, Role};
use vereda_store::StoreError;
use vereda_store::accounts::{Account, NewAccount};
use vereda_store::territory::{MunicipalityQuery, PovertyImportSummary};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/administracion/cuentas", get(users).post(create_user))
        .route(
            "/personal/administracion/cuentas/{id}/oficina",
            axum::routing::post(assign_office),
        )
        .route(
            "/personal/administracion/cuentas/{id}/estado",
            axum::routing::post(change_account),
        )
        .route("/personal/administracion/ipm", get(ipm_form).post(import_ipm))
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    accounts: Vec<Account>,
    offices: Vec<vereda_store::programs::TerritorialOffice>,
    roles: &'static [Role],
    failure: Option<String>,
    email: String,
    display_name: String,
    role: String,
}

async fn users_page(
    state: &AppState,
    visitor: &Visitor,
    failure: Option<String>,
    form: Option<&NewUserForm>,
) -> Result<UsersPage, AppError> {
    Ok(UsersPage {
        accounts: state.store.accounts().await?,
        offices: state.store.territorial_offices().await?,
        roles: Role::ALL,
        failure,
        email: form.map(|f| f.email.clone()).unwrap_or_default(),
        display_name: form.map(|f| f.display_name.clone()).unwrap_or_default(),
        role: form.map(|f| f.role.clone()).unwrap_or_default(),
        chrome: Chrome::new(visitor).await?,
    })
}

async fn users(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ManageUsers)?;
    render(&users_page(&state, &visitor, None, None).await?)
}

#[derive(Deserialize)]
struct NewUserForm {
    email: String,
    display_name: String,
    role: String,
    password: String,
    csrf_token: String,
}

async fn create_user(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ManageUsers)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    let role = match role_of(&form.role) {
        Ok(role) => role,
        Err(message) => {
            let failure = Some(visitor.lang.say(&message));
            let page = users_page(&state, &visitor, failure, Some(&form)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let new = NewAccount {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        role,
        password: form.password.clone(),
    };
    match state.store.create_account(&admin, new).await {
        Ok(_) => Ok(Redirect::to("/personal/administracion/cuentas").into_response()),
        Err(error @ (StoreError::DuplicateEmail(_) | StoreError::Invalid(_))) => {
            let status = if matches!(error, StoreError::DuplicateEmail(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let failure = AppError::from(error)
                .message
                .map(|message| visitor.lang.say(&message));
            let page = users_page(&state, &visitor, failure, Some(&form)).await?;
            Ok((status, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "ipm.html")]
struct IpmPage {
    chrome: Chrome,
    csrf: String,
    with_ipm: usize,
    total: usize,
    errors: Vec<String>,
    summary: Option<PovertyImportSummary>,
}

async fn ipm_page(
    state: &AppState,
    visitor: &Visitor,
    errors: Vec<String>,
    summary: Option<PovertyImportSummary>,
) -> Result<IpmPage, AppError> {
    let all = state.store.municipalities(&MunicipalityQuery::default()).await?;
    Ok(IpmPage {
        csrf: visitor.csrf_token().await?,
        with_ipm: all.iter().filter(|m| m.ipm.is_some()).count(),
        total: all.len(),
        errors,
        summary,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn ipm_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ImportReferenceData)?;
    render(&ipm_page(&state, &visitor, Vec::new(), None).await?)
}

/// Reads the upload into a temporary file (the readers work on files, as the command line
/// does), parses it whole, and stores it in one transaction only if every row is good.
async fn import_ipm(
    State(state): State<AppState>,
    visitor: Visitor,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ImportReferenceData)?.actor();
    let mut csrf = String::new();
    let mut upload: Option<(String, Vec<u8>)> = None;
    let mut year: i16 = 2018;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.map_err(crate::error::upload_refused)?,
            Some("reference_year") => {
                let text = field.text().await.map_err(crate::error::upload_refused)?;
                year = text.trim().parse().map_err(|_| {
                    AppError::said(
                        crate::error::ErrorCode::InvalidInput,
                        crate::i18n::Message::new("ipm-error-not_a_year").with("value", text.trim()),
                    )
                })?;
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("ipm.csv").to_owned();
                let bytes = field.bytes().await.map_err(crate::error::upload_refused)?;
                upload = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    visitor.check_csrf(&csrf).await?;
    let Some((name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        let page = ipm_page(
            &state,
            &visitor,
            vec![visitor.lang.t("ipm-no_file").to_owned()],
            None,
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let lang = visitor.lang;
    let limits = state.config.read_limits;
    let parsed = tokio::task::spawn_blocking(move || parse_upload(lang, &name, &bytes, &limits))
        .await
        .map_err(|e| AppError::internal(&e))?;
    match parsed {
        Ok((records, source)) => {
            let summary = state
                .store
                .import_poverty(&admin, &records, year, &source)
                .await?;
            tracing::info!(?summary, %source, "municipal IPM imported");
            render(&ipm_page(&state, &visitor, Vec::new(), Some(summary)).await?)
        }
        Err(errors) => {
            let page = ipm_page(&state, &visitor, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

type PovertyRecords = Vec<(
    vereda_domain::territory::DaneCode,
    vereda_domain::territory::PovertyIndex,
)>;

fn parse_upload(
    lang: crate::i18n::Lang,
    name: &str,
    bytes: &[u8],
    limits: &vereda_screening::table::ReadLimits,
) -> Result<(PovertyRecords, String), Vec<String>> {
    let (read, file_name) = crate::uploads::read_upload(name, "ipm.csv", bytes, |path| {
        vereda_screening::poverty::read_poverty_file_within(path, limits)
    })
    .map_err(|e| {
        tracing::error!(error = %e, "an upload could not be written to a temporary file");
        vec![lang.t("error-internal").to_owned()]
    })?;
    read.map(|file| {
        (
            file.records,
            format!("{file_name} ({})", crate::today::today_in_colombia()),
        )
    })
    .map_err(|e| crate::screening::poverty_file_errors(lang, &e))
}

/// The role named in a form, or why it names none (`error-unknown_value`, with the roles).
pub(crate) fn role_of(text: &str) -> Result<Role, crate::i18n::Message> {
    text.trim().parse().map_err(|_| {
        let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        crate::i18n::Message::new("error-unknown_value")
            .with("value", text.trim())
            .with("expected", roles.join(", "))
    })
}

#[derive(Deserialize)]
struct AccountForm {
    role: String,
    /// `on` when the box is ticked; absent otherwise.
    #[serde(default)]
    active: Option<String>,
    csrf_token: String,
}

/// The administrator changes an account's role or deactivates or reactivates it; a
/// deactivated account is logged out at its next request.
async fn change_account(
    State(state): State<AppState>,
    visitor: Visitor,
    axum::extract::Path(id): axum::extract::Path<i32>,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ManageUsers)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    let account = state
        .store
        .account(id)
        .await?
        .ok_or_else(|| AppError::new(crate::error::ErrorCode::NotFound))?;
    let role = role_of(&form.role)
        .map_err(|message| AppError::said(crate::error::ErrorCode::InvalidInput, message))?;
    let active = form.active.is_some();
    if role != account.role {
        state.store.set_account_role(&admin, id, role).await?;
    }
    if active != account.active {
        state.store.set_account_active(&admin, id, active).await?;
    }
    Ok(Redirect::to("/personal/administracion/cuentas").into_response())
}

#[derive(Deserialize)]
struct OfficeForm {
    /// Empty for none.
    office: String,
    csrf_token: String,
}

/// Sets the territorial office an account works for (a director awards in its name).
async fn assign_office(
    State(state): State<AppState>,
    visitor: Visitor,
    axum::extract::Path(id): axum::extract::Path<i32>,
    Form(form): Form<OfficeForm>,
) -> Result<Response, AppError> {
    let admin = visitor.require(Permission::ManageUsers)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    let office = match form.office.trim() {
        "" => None,
        text => {
            let offices = state.store.territorial_offices().await?;
            let wanted = text
                .parse::<i32>()
                .ok()
                .filter(|id| offices.iter().any(|o| o.id == *id));
            match wanted {
                Some(id) => Some(id),
                None => {
                    let message = visitor
                        .lang
                        .say(&crate::i18n::Message::new("users-unknown_office_id").with("value", text));
                    let page = users_page(&state, &visitor, Some(message), None).await?;
                    return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
                }
            }
        }
    };
    state.store.assign_territorial_office(&admin, id, office).await?;
    Ok(Redirect::to("/personal/administracion/cuentas").into_response())
}
