//! The verification of a household's parcel (Art. 12-13): the title study and the field visit
//! with its photos, and the parcel's standing. Reading needs `ViewHouseholds`; changes
//! `VerifyHouseholds` and a CSRF token. Field problems come back beside their fields (422)
//! and nothing is stored; a stale form (its `lock_version`) gets 409.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use vereda_domain::accounts::Permission;
use vereda_domain::number::format_number;
use vereda_domain::parcel::{CoordinateError, ParcelIssue, SiteCondition, check_coordinates};
use vereda_domain::verification::VerificationStatus;
use vereda_store::StoreError;
use vereda_store::households::HouseholdSummary;
use vereda_store::parcels::{
    ConditionCheck, NewFieldVisit, NewParcelPhoto, NewTitleStudy, ParcelVerification,
};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{ReceivedFile, field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, StepRefusal};
use crate::form_errors::{FieldErrors, read_number_field};
use crate::i18n::{Lang, Message};

/// The largest photo of a visit.
pub const PARCEL_PHOTO_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/hogares/{id}/predios/{parcel}", get(parcel_page))
        .route(
            "/personal/hogares/{id}/predios/{parcel}/titulos",
            post(save_title),
        )
        .route("/personal/hogares/{id}/predios/{parcel}/visita", post(save_visit))
        .route(
            "/personal/hogares/{id}/predios/{parcel}/fotos",
            post(upload_photo).layer(DefaultBodyLimit::max(PARCEL_PHOTO_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/personal/hogares/{id}/predios/{parcel}/fotos/{photo}",
            get(photo),
        )
}

/// A parcel issue in the visitor's language, with its article.
pub fn issue_text(lang: Lang, issue: ParcelIssue) -> String {
    lang.say(&issue.message())
}

fn condition_name(lang: Lang, condition: SiteCondition) -> &'static str {
    lang.t(&format!("parcel-condition-{condition}"))
}

struct ConditionLine {
    key: String,
    article: &'static str,
    name: &'static str,
    met: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "parcel.html")]
struct ParcelPage {
    chrome: Chrome,
    household: HouseholdSummary,
    p: ParcelVerification,
    issues: Vec<String>,
    can_verify: bool,
    title: HashMap<String, String>,
    visit: HashMap<String, String>,
    conditions: Vec<ConditionLine>,
    errors: FieldErrors,
    failure: Option<String>,
}

impl ParcelPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn problem_of(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    fn title_value(&self, field: &str) -> &str {
        self.title.get(field).map(String::as_str).unwrap_or_default()
    }

    fn visit_value(&self, field: &str) -> &str {
        self.visit.get(field).map(String::as_str).unwrap_or_default()
    }
}

/// The forms as stored (or empty), for a page read without a post.
fn stored_forms(p: &ParcelVerification) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut title = HashMap::new();
    let mut visit = HashMap::new();
    match &p.title {
        Some(t) => {
            title.insert("title_record".into(), t.title_record.clone());
            title.insert("owner_name".into(), t.owner_name.clone());
            title.insert("owner_document".into(), t.owner_document.clone());
            title.insert("limitations".into(), t.limitations.clone());
            title.insert(
                "limits_use".into(),
                if t.limits_use { "yes" } else { "no" }.into(),
            );
            title.insert(
                "result".into(),
                if t.favourable {
                    "favourable"
                } else {
                    "not_favourable"
                }
                .into(),
            );
            title.insert("reasons".into(), t.reasons.clone());
            title.insert("lock_version".into(), t.lock_version.to_string());
        }
        None => {
            title.insert(
                "title_record".into(),
                p.parcel.land_title_record.clone().unwrap_or_default(),
            );
            title.insert("lock_version".into(), "0".into());
        }
    }
    match &p.visit {
        Some(v) => {
            visit.insert("visit_date".into(), v.visit_date.to_string());
            visit.insert("latitude".into(), format_number(v.latitude));
            visit.insert("longitude".into(), format_number(v.longitude));
            for c in &v.conditions {
                visit.insert(
                    format!("{}_met", c.condition),
                    if c.met { "yes" } else { "no" }.into(),
                );
                visit.insert(format!("{}_notes", c.condition), c.notes.clone());
            }
            visit.insert("lock_version".into(), v.lock_version.to_string());
        }
        None => {
            visit.insert("lock_version".into(), "0".into());
        }
    }
    (title, visit)
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    parcel: i32,
    posted_title: Option<HashMap<String, String>>,
    posted_visit: Option<HashMap<String, String>>,
    errors: FieldErrors,
    failure: Option<String>,
) -> Result<ParcelPage, AppError> {
    let lang = visitor.lang;
    let household = state
        .store
        .household(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let p = state
        .store
        .parcel_verification(id, parcel)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let (stored_title, stored_visit) = stored_forms(&p);
    let title = posted_title.unwrap_or(stored_title);
    let visit = posted_visit.unwrap_or(stored_visit);
    let conditions = SiteCondition::ALL
        .iter()
        .map(|c| ConditionLine {
            key: c.to_string(),
            article: c.article(),
            name: condition_name(lang, *c),
            met: visit.get(&format!("{c}_met")).cloned().unwrap_or_default(),
            notes: visit.get(&format!("{c}_notes")).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(ParcelPage {
        issues: p.standing.issues().iter().map(|i| issue_text(lang, *i)).collect(),
        can_verify: visitor.can(Permission::VerifyHouseholds),
        chrome: Chrome::new(visitor).await?,
        household,
        p,
        title,
        visit,
        conditions,
        errors,
        failure,
    })
}

async fn parcel_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, parcel)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    render(
        &page(
            &state,
            &visitor,
            id,
            parcel,
            None,
            None,
            FieldErrors::default(),
            None,
        )
        .await?,
    )
}

fn value<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}

fn lock_of(form: &HashMap<String, String>) -> Option<i32> {
    value(form, "lock_version").trim().parse().ok()
}

/// Why a parcel's study or visit was not recorded: its fields, or the step itself.
pub(crate) enum ParcelRefusal {
    Fields(FieldErrors),
    Step(StepRefusal),
}

async fn save_title(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, parcel)): Path<(i32, i32)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let outcome = record_title(&state, &visitor, id, parcel, &form).await?;
    finish(&state, &visitor, id, parcel, outcome, Some(form), None).await
}

/// Records the title study of a parcel (Art. 12), for the page and the API: `VerifyHouseholds`,
/// the session's token (`csrf_token`), and the form's fields by name (`title_record`,
/// `owner_name`, `owner_document`, `limitations`, `limits_use` yes/no, `result`
/// favourable/not_favourable, `reasons`, `lock_version`).
pub(crate) async fn record_title(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    parcel: i32,
    form: &HashMap<String, String>,
) -> Result<Result<(), ParcelRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(value(form, "csrf_token")).await?;
    let lang = visitor.lang;
    let mut errors = FieldErrors::default();
    for name in ["title_record", "owner_name"] {
        if value(form, name).trim().is_empty() {
            errors.add(lang, name, Message::new("parcel-error-required"));
        }
    }
    let limits_use = match value(form, "limits_use") {
        "yes" => true,
        "no" => false,
        _ => {
            errors.add(lang, "limits_use", Message::new("parcel-error-choose"));
            false
        }
    };
    let favourable = match value(form, "result") {
        "favourable" => true,
        "not_favourable" => false,
        _ => {
            errors.add(lang, "result", Message::new("parcel-error-choose"));
            true
        }
    };
    if !favourable && value(form, "reasons").trim().is_empty() {
        errors.add(lang, "reasons", Message::new("parcel-error-reasons"));
    }
    let lock_version = lock_of(form).unwrap_or(-1);
    if !errors.is_empty() {
        return Ok(Err(ParcelRefusal::Fields(errors)));
    }
    let new = NewTitleStudy {
        title_record: value(form, "title_record").to_owned(),
        owner_name: value(form, "owner_name").to_owned(),
        owner_document: value(form, "owner_document").to_owned(),
        limitations: value(form, "limitations").to_owned(),
        limits_use,
        favourable,
        reasons: value(form, "reasons").to_owned(),
        lock_version,
    };
    let outcome = state.store.record_title_study(&actor, id, parcel, new).await;
    settle(state, id, outcome.map(|_| ())).await
}

async fn save_visit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, parcel)): Path<(i32, i32)>,
    Form(mut form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let outcome = record_visit(&state, &visitor, id, parcel, &mut form).await?;
    finish(&state, &visitor, id, parcel, outcome, None, Some(form)).await
}

/// Records the field visit of a parcel (Art. 13), for the page and the API: `VerifyHouseholds`,
/// the session's token (`csrf_token`), and the form's fields by name (`visit_date`, `latitude`,
/// `longitude`, `<condition>_met` yes/no and `<condition>_notes` for each of the five
/// conditions, `lock_version`). Numbers read are written back as understood.
pub(crate) async fn record_visit(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    parcel: i32,
    form: &mut HashMap<String, String>,
) -> Result<Result<(), ParcelRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(value(form, "csrf_token")).await?;
    let lang = visitor.lang;
    let mut errors = FieldErrors::default();
    let visit_date = match value(form, "visit_date").trim().parse::<jiff::civil::Date>() {
        Ok(date) if date <= state.config.today() => Some(date),
        _ => {
            errors.add(lang, "visit_date", Message::new("parcel-error-date"));
            None
        }
    };
    let mut coordinate = |field: &str, errors: &mut FieldErrors| {
        read_number_field(lang, field, form.entry(field.to_owned()).or_default(), errors)
    };
    let latitude = coordinate("latitude", &mut errors);
    let longitude = coordinate("longitude", &mut errors);
    for (name, read) in [("latitude", latitude), ("longitude", longitude)] {
        if read.is_none() && errors.of(name).is_empty() {
            errors.add(lang, name, Message::new("parcel-error-required"));
        }
    }
    if let (Some(lat), Some(long)) = (latitude, longitude) {
        for problem in check_coordinates(lat, long) {
            match problem {
                CoordinateError::Latitude => {
                    errors.add(lang, "latitude", Message::new("parcel-error-latitude"))
                }
                CoordinateError::Longitude => {
                    errors.add(lang, "longitude", Message::new("parcel-error-longitude"))
                }
            }
        }
    }
    let mut conditions = Vec::new();
    for condition in SiteCondition::ALL {
        let name = format!("{condition}_met");
        let met = match value(form, &name) {
            "yes" => true,
            "no" => false,
            _ => {
                errors.add(lang, &name, Message::new("parcel-error-choose"));
                continue;
            }
        };
        conditions.push(ConditionCheck {
            condition: *condition,
            met,
            notes: value(form, &format!("{condition}_notes")).to_owned(),
        });
    }
    let (Some(visit_date), Some(latitude), Some(longitude), true) =
        (visit_date, latitude, longitude, errors.is_empty())
    else {
        return Ok(Err(ParcelRefusal::Fields(errors)));
    };
    let new = NewFieldVisit {
        visit_date,
        latitude,
        longitude,
        conditions,
        lock_version: lock_of(form).unwrap_or(-1),
    };
    let outcome = state.store.record_field_visit(&actor, id, parcel, new).await;
    settle(state, id, outcome.map(|_| ())).await
}

/// The store's answer as the step's: a conflict is a decided household or a stale form.
async fn settle(
    state: &AppState,
    id: i32,
    outcome: Result<(), StoreError>,
) -> Result<Result<(), ParcelRefusal>, AppError> {
    match outcome {
        Ok(()) => Ok(Ok(())),
        Err(StoreError::Conflict(_)) => {
            let decided = state
                .store
                .household_verification(id, state.config.today())
                .await?
                .is_some_and(|v| v.status != VerificationStatus::Pending);
            let key = if decided {
                "parcel-error-decided"
            } else {
                "parcel-error-stale"
            };
            Ok(Err(ParcelRefusal::Step(StepRefusal::conflict(key))))
        }
        Err(StoreError::Invalid(said)) => Ok(Err(ParcelRefusal::Step(StepRefusal::new(
            ErrorCode::InvalidInput,
            said,
        )))),
        Err(other) => Err(other.into()),
    }
}

/// Redirects to the page after a change, or shows the refusal on it.
async fn finish(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    parcel: i32,
    outcome: Result<(), ParcelRefusal>,
    title: Option<HashMap<String, String>>,
    visit: Option<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (status, errors, message) = match outcome {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/personal/hogares/{id}/predios/{parcel}")).into_response());
        }
        Err(ParcelRefusal::Fields(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Err(ParcelRefusal::Step(refusal)) => {
            let message = visitor.lang.say(&refusal.message);
            tracing::info!(household = id, parcel, reason = %message, "parcel verification refused");
            (refusal.code.status(), FieldErrors::default(), Some(message))
        }
    };
    let page = page(state, visitor, id, parcel, title, visit, errors, message).await?;
    Ok((status, render(&page)?).into_response())
}

async fn upload_photo(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, parcel)): Path<(i32, i32)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    let (fields, file, file_problem) = read_form(&mut multipart, "photo", PARCEL_PHOTO_LIMIT_BYTES).await?;
    let csrf = field(&fields, "csrf_token").to_owned();
    let outcome = add_photo(&state, &visitor, &csrf, id, parcel, file, file_problem).await?;
    finish(&state, &visitor, id, parcel, outcome, None, None).await
}

/// Keeps a photo of the parcel's field visit (PNG or JPEG), for the page and the API:
/// `VerifyHouseholds` and the session's token; a parcel not the household's is not found.
pub(crate) async fn add_photo(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    parcel: i32,
    file: Option<ReceivedFile>,
    file_problem: Option<Message>,
) -> Result<Result<(), ParcelRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(csrf).await?;
    let lang = visitor.lang;
    let mut errors = FieldErrors::default();
    let file = match (file, file_problem) {
        (_, Some(problem)) => {
            errors.add(lang, "photo", problem.clone());
            None
        }
        (None, None) => {
            errors.add(lang, "photo", Message::new("parcel-error-no_file"));
            None
        }
        (Some(file), None) if !matches!(file.content_type, "image/jpeg" | "image/png") => {
            errors.add(
                lang,
                "photo",
                Message::new("parcel-error-photo_type").with("file", &file.file_name),
            );
            None
        }
        (Some(file), None) => Some(file),
    };
    // The parcel must be the household's before anything is kept.
    state
        .store
        .parcel_verification(id, parcel)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let Some(file) = file else {
        return Ok(Err(ParcelRefusal::Fields(errors)));
    };
    let kept = keep_file(state, file)?;
    let new = NewParcelPhoto {
        file_name: kept.file_name,
        content_type: kept.content_type,
        size_bytes: kept.size_bytes,
        sha256: kept.sha256,
    };
    let outcome = state.store.add_parcel_photo(&actor, id, parcel, new).await;
    settle(state, id, outcome.map(|_| ())).await
}

pub(crate) async fn photo(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, parcel, photo)): Path<(i32, i32, i32)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let photo = state
        .store
        .parcel_photo(id, parcel, photo)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let path = state.uploads.document_path(&photo.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|e| AppError::internal(&e))?;
    let mut response = axum::body::Body::from(bytes).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&photo.content_type) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, value);
    }
    Ok(response)
}
