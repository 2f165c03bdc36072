//! The preparation of a formulation (Art. 15-17): its characterization, participatory
//! diagnosis and the minutes of the participatory sessions (with the signed minutes as a PDF,
//! PNG or JPEG). Reading needs `ViewStaffArea`; adding `ManageCalls` (the formulation's
//! editors) and a CSRF token. Field problems come back beside their fields (422), nothing
//! stored.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use vereda_domain::accounts::Permission;
use vereda_domain::preparation::{PreparationDraft, PreparationKind, check_preparation};
use vereda_store::formulations::{FormulationQuery, FormulationSummary};
use vereda_store::preparation::{KeptDocument, NewPreparation, Preparation};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{ReceivedFile, field, keep_file, read_form};
use crate::error::{AppError, ErrorCode};
use crate::form_errors::FieldErrors;
use crate::i18n::{Lang, Message};

/// The largest signed minutes.
pub const MINUTES_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/formulaciones/{id}/preparacion",
            get(list_page)
                .post(add)
                .layer(DefaultBodyLimit::max(MINUTES_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/personal/formulaciones/{id}/preparacion/{record}/acta",
            get(minutes_file),
        )
}

fn kind_label(lang: Lang, kind: PreparationKind) -> String {
    format!(
        "{} ({})",
        lang.t(&format!("preparation-kind-{kind}")),
        kind.article()
    )
}

struct RecordLine {
    id: i32,
    kind: String,
    held_on: String,
    place: String,
    attendees: String,
    text: String,
    file_name: Option<String>,
}

#[derive(Template)]
#[template(path = "preparation.html")]
struct PreparationPage {
    chrome: Chrome,
    formulation: FormulationSummary,
    records: Vec<RecordLine>,
    kinds: Vec<(String, String)>,
    /// The formulations of the same call a record may feed.
    targets: Vec<FormulationSummary>,
    can_add: bool,
    form: Vec<(String, String)>,
    errors: FieldErrors,
}

impl PreparationPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn value(&self, name: &str) -> &str {
        field(&self.form, name)
    }

    fn target_selected(&self, id: &i32) -> bool {
        let chosen = self.value("formulation_id");
        if chosen.is_empty() {
            *id == self.formulation.id
        } else {
            chosen == id.to_string()
        }
    }
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    form: Vec<(String, String)>,
    errors: FieldErrors,
) -> Result<PreparationPage, AppError> {
    let lang = visitor.lang;
    let formulation = state
        .store
        .formulation(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?
        .formulation;
    let targets = match formulation.call_id {
        Some(call_id) => {
            let query = FormulationQuery {
                call_id: Some(call_id),
                status: None,
                reach: visitor.reach(&state.store).await?,
                after_code: None,
            };
            state.store.formulations(&query).await?
        }
        None => vec![formulation.clone()],
    };
    let records = state
        .store
        .preparations(id)
        .await?
        .into_iter()
        .map(|r: Preparation| RecordLine {
            id: r.id,
            kind: kind_label(lang, r.kind),
            held_on: r.held_on.map(|d| lang.date(d)).unwrap_or_default(),
            place: r.place.unwrap_or_default(),
            attendees: r.attendees.map(|n| n.to_string()).unwrap_or_default(),
            text: r.text,
            file_name: r.file.map(|f| f.file_name),
        })
        .collect();
    Ok(PreparationPage {
        kinds: PreparationKind::ALL
            .iter()
            .map(|k| (k.to_string(), kind_label(lang, *k)))
            .collect(),
        can_add: visitor.can(Permission::ManageCalls),
        chrome: Chrome::new(visitor).await?,
        formulation,
        records,
        targets,
        form,
        errors,
    })
}

async fn list_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    render(&page(&state, &visitor, id, Vec::new(), FieldErrors::default()).await?)
}

async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    let (fields, file, file_problem) = read_form(&mut multipart, "minutes", MINUTES_LIMIT_BYTES).await?;
    let csrf = field(&fields, "csrf_token").to_owned();
    match add_record(&state, &visitor, &csrf, id, &fields, file, file_problem).await? {
        Ok(target) => {
            Ok(Redirect::to(&format!("/personal/formulaciones/{target}/preparacion")).into_response())
        }
        Err(errors) => {
            let page = page(&state, &visitor, id, fields, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// Adds a preparation record (Art. 15-17) from the form's fields by name (`kind`,
/// `formulation_id`: one of the call's formulations, `held_on`, `place`, `attendees`, `text`)
/// and the signed minutes, for the page and the API: `ManageCalls` and the session's token.
/// Gives the formulation it feeds, or the problems by field (nothing stored).
pub(crate) async fn add_record(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    fields: &[(String, String)],
    file: Option<ReceivedFile>,
    file_problem: Option<Message>,
) -> Result<Result<i32, FieldErrors>, AppError> {
    let actor = visitor.require(Permission::ManageCalls)?.actor();
    visitor.check_csrf(csrf).await?;
    let lang = visitor.lang;
    let today = state.config.today();
    let mut errors = FieldErrors::default();
    let kind = field(fields, "kind").parse::<PreparationKind>().ok();
    if kind.is_none() {
        errors.add(lang, "kind", Message::new("preparation-error-kind"));
    }
    // The record feeds one of the call's formulations (this one when it has no call).
    let current = page(state, visitor, id, Vec::new(), FieldErrors::default()).await?;
    let target = field(fields, "formulation_id")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|t| current.targets.iter().any(|f| f.id == *t));
    if target.is_none() {
        errors.add(
            lang,
            "formulation_id",
            Message::new("preparation-error-formulation"),
        );
    }
    let held_text = field(fields, "held_on").trim();
    let held_on = if held_text.is_empty() {
        None
    } else {
        match held_text.parse::<jiff::civil::Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                errors.add(lang, "held_on", Message::new("preparation-error-date"));
                None
            }
        }
    };
    let attendees_text = field(fields, "attendees").trim();
    let attendees = if attendees_text.is_empty() {
        None
    } else {
        match attendees_text.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(lang, "attendees", Message::new("preparation-error-attendees"));
                None
            }
        }
    };
    let file = match (file, file_problem) {
        (_, Some(problem)) => {
            errors.add(lang, "minutes", problem.clone());
            None
        }
        (Some(file), None)
            if !matches!(file.content_type, "application/pdf" | "image/png" | "image/jpeg") =>
        {
            errors.add(
                lang,
                "minutes",
                Message::new("preparation-error-file_type").with("file", &file.file_name),
            );
            None
        }
        (file, None) => file,
    };
    if let Some(kind) = kind {
        let draft = PreparationDraft {
            kind,
            held_on,
            place: field(fields, "place"),
            attendees: attendees.map(i64::from),
            text: field(fields, "text"),
            has_file: file.is_some(),
        };
        for (name, problem) in check_preparation(&draft, today) {
            if errors.of(name).is_empty() {
                errors.add(lang, name, problem.message().clone());
            }
        }
    }
    let (Some(kind), Some(target), true) = (kind, target, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let kept = match file {
        Some(file) => {
            let kept = keep_file(state, file)?;
            Some(KeptDocument {
                file_name: kept.file_name,
                content_type: kept.content_type,
                size_bytes: kept.size_bytes,
                sha256: kept.sha256,
            })
        }
        None => None,
    };
    let new = NewPreparation {
        formulation_id: target,
        kind,
        held_on,
        place: field(fields, "place").to_owned(),
        attendees,
        text: field(fields, "text").to_owned(),
        file: kept,
    };
    state.store.add_preparation(&actor, new, today).await?;
    Ok(Ok(target))
}

pub(crate) async fn minutes_file(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, record)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let file = state
        .store
        .preparation(id, record)
        .await?
        .and_then(|r| r.file)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let bytes = tokio::fs::read(state.uploads.document_path(&file.sha256))
        .await
        .map_err(|e| AppError::internal(&e))?;
    let mut response = axum::body::Body::from(bytes).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&file.content_type) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, value);
    }
    Ok(response)
}
