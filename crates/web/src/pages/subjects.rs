//! A data subject's rights (Ley 1581 de 2012): the administrator looks up everything held about
//! a document, downloads it as JSON, and records a rectification of a household's contact
//! fields. The document travels in POST bodies only, never in an address. All audited by the
//! store (`subject_access`, and the household's update).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_store::StoreError;
use vereda_store::subjects::SubjectRecord;

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/administracion/titulares", get(form).post(look_up))
        .route("/personal/administracion/titulares/rectificacion", post(rectify))
}

#[derive(Template)]
#[template(path = "subjects.html")]
struct SubjectsPage {
    chrome: Chrome,
    document: String,
    record: Option<SubjectRecord>,
    rectified: bool,
    /// A rectification refused: what was typed, kept, with its problem beside its field.
    refused: Option<RefusedRectification>,
}

struct RefusedRectification {
    household: i32,
    email: String,
    address: String,
    /// The problem, in the visitor's language, and its code.
    problem: String,
    problem_code: String,
}

/// What the page shows of a household: its id, head and contact.
impl SubjectsPage {
    fn text(value: &serde_json::Value, key: &str) -> String {
        value
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn household_id(value: &serde_json::Value) -> i64 {
        value
            .get("id")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or_default()
    }

    /// The refusal of the rectification of `household`, if it is the one refused.
    fn refusal_of(&self, household: &serde_json::Value) -> Option<&RefusedRectification> {
        self.refused
            .as_ref()
            .filter(|r| i64::from(r.household) == Self::household_id(household))
    }

    /// The e-mail the form shows: what was typed when refused, else what is held.
    fn email_of(&self, household: &serde_json::Value) -> String {
        self.refusal_of(household)
            .map_or_else(|| Self::text(household, "email"), |r| r.email.clone())
    }

    fn address_of(&self, household: &serde_json::Value) -> String {
        self.refusal_of(household).map_or_else(
            || Self::text(household, "correspondence_address"),
            |r| r.address.clone(),
        )
    }
}

#[derive(Deserialize)]
struct Done {
    hecho: Option<String>,
}

async fn form(
    visitor: Visitor,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageUsers)?;
    render(&SubjectsPage {
        document: String::new(),
        record: None,
        rectified: done.hecho.is_some(),
        refused: None,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Deserialize)]
struct LookUp {
    csrf_token: String,
    documento: String,
    /// `json` downloads the answer.
    formato: Option<String>,
}

async fn look_up(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<LookUp>,
) -> Result<Response, AppError> {
    let account = visitor.require(Permission::ManageUsers)?;
    visitor.check_csrf(&form.csrf_token).await?;
    let record = state
        .store
        .subject_record(&account.actor(), &form.documento)
        .await?;
    if form.formato.as_deref() == Some("json") {
        let body = serde_json::to_vec_pretty(&record).map_err(|e| AppError::internal(&e))?;
        return Ok(crate::downloads::attachment(
            "application/json",
            "titular.json",
            body,
        ));
    }
    render(&SubjectsPage {
        document: form.documento.trim().to_owned(),
        record: Some(record),
        rectified: false,
        refused: None,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Deserialize)]
struct Rectification {
    csrf_token: String,
    household: i32,
    /// The document looked up, so a refused rectification shows its page again.
    documento: Option<String>,
    email: Option<String>,
    address: Option<String>,
}

async fn rectify(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<Rectification>,
) -> Result<Response, AppError> {
    let account = visitor.require(Permission::ManageUsers)?;
    visitor.check_csrf(&form.csrf_token).await?;
    let done = state
        .store
        .rectify_household_contact(
            &account.actor(),
            form.household,
            form.email.as_deref(),
            form.address.as_deref(),
        )
        .await;
    match done {
        Ok(()) => Ok(Redirect::to("/personal/administracion/titulares?hecho=1").into_response()),
        Err(StoreError::Invalid(said)) => {
            // The page again with the record looked up and what was typed, the problem beside
            // the e-mail (the one field the store checks).
            let document = form.documento.unwrap_or_default();
            let record = if document.trim().is_empty() {
                None
            } else {
                Some(state.store.subject_record(&account.actor(), &document).await?)
            };
            let page = SubjectsPage {
                document: document.trim().to_owned(),
                record,
                rectified: false,
                refused: Some(RefusedRectification {
                    household: form.household,
                    email: form.email.unwrap_or_default(),
                    address: form.address.unwrap_or_default(),
                    problem: visitor.lang.say(&said),
                    problem_code: said.code().to_owned(),
                }),
                chrome: Chrome::new(&visitor).await?,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
