//! Targeting, preparation and parcel photos over the JSON API (Art. 5-8, 13, 15-17, 30): a
//! call's candidate municipalities, its numbered targeting documents and the institute's
//! interventions; a formulation's preparation records; a parcel's visit photos. Each step
//! calls the function its page calls; a step that changes something needs the session's token
//! in `X-CSRF-Token`. What lies in another office's department is not found.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::text::TextEncoding;
use vereda_store::targeting::TargetingDocument;

use super::procedure::csrf_of;
use super::procedure::read_json;
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::read_form;
use crate::error::{AppError, ErrorCode, Problem};
use crate::form_errors::FieldErrors;
use crate::i18n::Message;
use crate::pages::parcels::{PARCEL_PHOTO_LIMIT_BYTES, ParcelRefusal, add_photo};
use crate::pages::preparation::{MINUTES_LIMIT_BYTES, add_record};
use crate::pages::targeting::{
    TargetingForm, call_or_404, candidates, create_document, import_file, set_count,
};

/// The largest interventions file.
const INTERVENTIONS_LIMIT_BYTES: usize = 2 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calls/{id}/targeting", get(targeting))
        .route("/api/v1/calls/{id}/targeting/documents", post(create))
        .route("/api/v1/calls/{id}/targeting/documents/{number}", get(document))
        .route(
            "/api/v1/calls/{id}/targeting/interventions",
            post(import).layer(DefaultBodyLimit::max(INTERVENTIONS_LIMIT_BYTES)),
        )
        .route(
            "/api/v1/calls/{id}/targeting/interventions/{dane_code}",
            put(interventions),
        )
        .route(
            "/api/v1/formulations/{id}/preparation",
            get(preparation)
                .post(add_preparation)
                .layer(DefaultBodyLimit::max(MINUTES_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/households/{id}/parcels/{parcel}/photos",
            post(photo).layer(DefaultBodyLimit::max(PARCEL_PHOTO_LIMIT_BYTES + 64 * 1024)),
        )
}

/// Problems that have no form beside them, as one problem (`form-error-fields`).
fn problems(visitor: &Visitor, field: &str, messages: &[Message]) -> AppError {
    let mut errors = FieldErrors::default();
    for message in messages {
        errors.add(visitor.lang, field, message.clone());
    }
    AppError::fields(&errors)
}

#[derive(Serialize, ToSchema)]
pub struct CandidateItem {
    /// DANE code.
    pub dane_code: String,
    /// The municipal IPM in percent, a decimal string.
    pub ipm: String,
    /// Eligible families of the call's latest screening.
    pub families: u64,
    pub interventions: u64,
}

#[derive(Serialize, ToSchema)]
pub struct MunicipalityWithoutIpm {
    pub dane_code: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct InterventionItem {
    pub dane_code: String,
    pub count: u32,
    /// csv or manual.
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentItem {
    pub number: i32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

/// What the call's targeting starts from.
#[derive(Serialize, ToSchema)]
pub struct TargetingState {
    pub call_id: i32,
    /// The screening the families come from; null before one.
    pub screening_run_id: Option<i32>,
    /// The municipalities that may be prioritized (Art. 6).
    pub candidates: Vec<CandidateItem>,
    /// The municipalities left out for want of an IPM.
    pub without_ipm: Vec<MunicipalityWithoutIpm>,
    pub interventions: Vec<InterventionItem>,
    /// The targeting documents generated, oldest first.
    pub documents: Vec<DocumentItem>,
}

async fn targeting_state(state: &AppState, id: i32) -> Result<TargetingState, AppError> {
    let call = call_or_404(state, id).await?;
    let found = candidates(state, call.id).await?;
    Ok(TargetingState {
        call_id: call.id,
        screening_run_id: found.screening_run_id,
        candidates: found
            .inputs
            .into_iter()
            .map(|c| CandidateItem {
                dane_code: c.dane_code.to_string(),
                ipm: c.ipm.to_string(),
                families: c.families,
                interventions: c.interventions,
            })
            .collect(),
        without_ipm: found
            .without_ipm
            .into_iter()
            .map(|m| MunicipalityWithoutIpm {
                dane_code: m.dane_code,
                name: m.name,
            })
            .collect(),
        interventions: (state.store.interventions(call.id).await?)
            .into_iter()
            .map(|r| InterventionItem {
                dane_code: r.dane_code,
                count: r.count,
                source: r.source,
            })
            .collect(),
        documents: (state.store.targeting_documents(call.id).await?)
            .into_iter()
            .map(|d| DocumentItem {
                number: d.number,
                created_at: d.created_at,
            })
            .collect(),
    })
}

/// The call's targeting candidates (Art. 6): the municipalities of its offices' departments
/// with their IPM, families and interventions; the interventions recorded; the documents.
#[utoipa::path(get, path = "/api/v1/calls/{id}/targeting", tag = "stages",
    params(("id" = i32, Path, description = "Call id")),
    responses((status = 200, body = TargetingState),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn targeting(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<TargetingState>, AppError> {
    visitor.require(Permission::ViewCalls)?;
    Ok(Json(targeting_state(&state, id).await?))
}

/// The weights and the coverage's figures; each left out takes the page's default (equal
/// weights, the call's co-financing per family, 20 families a project).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weight_poverty": "2", "weight_families": "1", "weight_interventions": "1", "families_per_project": "20"}))]
pub struct TargetingRequest {
    /// Decimal strings, zero or more; not all zero.
    pub weight_poverty: Option<String>,
    pub weight_families: Option<String>,
    pub weight_interventions: Option<String>,
    /// Pesos, positive.
    pub cofinancing_per_family: Option<String>,
    /// A whole number from 1.
    pub families_per_project: Option<String>,
}

/// A targeting document: the weights, the inputs, the ranking and the coverage, as stored.
#[derive(Serialize, ToSchema)]
pub struct TargetingDocumentBody {
    pub call_id: i32,
    pub number: i32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    /// poverty, families, interventions: decimal strings.
    #[schema(value_type = Object)]
    pub weights: serde_json::Value,
    /// The ranked municipalities, first first: rank, candidate, normalised values, index.
    #[schema(value_type = Vec<Object>)]
    pub ranking: Vec<serde_json::Value>,
    #[schema(value_type = Object)]
    pub coverage_input: serde_json::Value,
    /// families, projects, remainder_cop, families_outside_projects.
    #[schema(value_type = Object)]
    pub coverage: serde_json::Value,
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(value).map_err(|e| AppError::internal(&e))
}

fn document_body(document: &TargetingDocument) -> Result<TargetingDocumentBody, AppError> {
    Ok(TargetingDocumentBody {
        call_id: document.call_id,
        number: document.number,
        created_at: document.created_at,
        weights: to_json(&document.weights)?,
        ranking: (document.ranking.iter()).map(to_json).collect::<Result<_, _>>()?,
        coverage_input: to_json(&document.coverage_input)?,
        coverage: to_json(&document.coverage)?,
    })
}

/// Generates a numbered targeting document from the weights (Art. 8, 30): stored and audited.
#[utoipa::path(post, path = "/api/v1/calls/{id}/targeting/documents", tag = "stages",
    params(("id" = i32, Path, description = "Call id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = TargetingRequest, content_type = "application/json"),
    responses((status = 201, body = TargetingDocumentBody, headers(("Location" = String, description = "/api/v1/calls/{id}/targeting/documents/{number}"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that manages calls (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields with problems (`form-error-fields`), a bad body (`api-error-bad_json`)", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: TargetingRequest = read_json(&body)?;
    let call = call_or_404(&state, id).await?;
    let defaults = TargetingForm::defaults(&call);
    let mut form = TargetingForm {
        weight_poverty: input.weight_poverty.unwrap_or(defaults.weight_poverty),
        weight_families: input.weight_families.unwrap_or(defaults.weight_families),
        weight_interventions: input
            .weight_interventions
            .unwrap_or(defaults.weight_interventions),
        cofinancing_per_family: input
            .cofinancing_per_family
            .unwrap_or(defaults.cofinancing_per_family),
        families_per_project: input
            .families_per_project
            .unwrap_or(defaults.families_per_project),
        csrf_token: String::new(),
    };
    let document = create_document(&state, &visitor, csrf_of(&headers), id, &mut form)
        .await?
        .map_err(|errors| AppError::fields(&errors))?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/calls/{id}/targeting/documents/{}", document.number),
        )],
        Json(document_body(&document)?),
    )
        .into_response())
}

/// One targeting document of the call, by its number.
#[utoipa::path(get, path = "/api/v1/calls/{id}/targeting/documents/{number}", tag = "stages",
    params(("id" = i32, Path, description = "Call id"), ("number" = i32, Path, description = "The document's number in the call")),
    responses((status = 200, body = TargetingDocumentBody),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, number)): Path<(i32, i32)>,
) -> Result<Json<TargetingDocumentBody>, AppError> {
    visitor.require(Permission::ViewCalls)?;
    let call = call_or_404(&state, id).await?;
    let document = state
        .store
        .targeting_document(call.id, number)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(Json(document_body(&document)?))
}

#[derive(Serialize, ToSchema)]
pub struct InterventionsImported {
    /// The rows of the file.
    pub imported: usize,
    /// The encoding a CSV file was read in: `utf-8`, or `windows-1252` (Excel's "CSV
    /// (delimitado por comas)" in Spanish); none for a workbook.
    #[schema(example = "windows-1252")]
    pub encoding: Option<&'static str>,
    pub targeting: TargetingState,
}

/// Imports the institute's interventions (Art. 6.3) from a file sent as `file` in a
/// multipart body: CSV (UTF-8 or Windows-1252, comma or semicolon), XLSX, XLS or ODS, with the
/// columns `dane_code` and `interventions` and one municipality a row. A bad row stores
/// nothing; each is named by line (or cell), column and value.
#[utoipa::path(post, path = "/api/v1/calls/{id}/targeting/interventions", tag = "stages",
    params(("id" = i32, Path, description = "Call id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "The CSV as `file`"),
    responses((status = 200, body = InterventionsImported),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that manages calls (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file's problems, each with its line and column (`form-error-fields`)", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    mut multipart: Multipart,
) -> Result<Json<InterventionsImported>, AppError> {
    visitor.require(Permission::ManageCalls)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        if field.name() == Some("file") {
            name = field.file_name().unwrap_or_default().to_owned();
            bytes = field
                .bytes()
                .await
                .map_err(crate::error::upload_refused)?
                .to_vec();
        }
    }
    let (imported, encoding) = import_file(&state, &visitor, csrf_of(&headers), id, &name, bytes)
        .await?
        .map_err(|messages: Vec<Message>| problems(&visitor, "file", &messages))?;
    Ok(Json(InterventionsImported {
        imported,
        encoding: encoding.map(TextEncoding::code),
        targeting: targeting_state(&state, id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"count": 3}))]
pub struct InterventionsRequest {
    /// The institute's interventions in the municipality, zero or more.
    pub count: u32,
}

/// Sets one municipality's interventions in the call by hand (Art. 6.3).
#[utoipa::path(put, path = "/api/v1/calls/{id}/targeting/interventions/{dane_code}", tag = "stages",
    params(("id" = i32, Path, description = "Call id"), ("dane_code" = String, Path, description = "The municipality's DANE code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = InterventionsRequest, content_type = "application/json"),
    responses((status = 200, body = TargetingState),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that manages calls (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a municipality's code (`form-error-fields`), a bad body (`api-error-bad_json`)", body = Problem, content_type = "application/problem+json")))]
pub async fn interventions(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, dane_code)): Path<(i32, String)>,
    body: Bytes,
) -> Result<Json<TargetingState>, AppError> {
    visitor.require(Permission::ManageCalls)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: InterventionsRequest = read_json(&body)?;
    set_count(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        &dane_code,
        &input.count.to_string(),
    )
    .await?
    .map_err(|errors| AppError::fields(&errors))?;
    Ok(Json(targeting_state(&state, id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct PreparationItem {
    pub id: i32,
    pub formulation_id: i32,
    /// characterization, diagnosis or session (as `preparation-kind-*`).
    pub kind: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub held_on: Option<jiff::civil::Date>,
    pub place: Option<String>,
    pub attendees: Option<i32>,
    pub text: String,
    /// The signed minutes' name, when kept.
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: jiff::Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct PreparationList {
    pub formulation_id: i32,
    /// Oldest first.
    pub items: Vec<PreparationItem>,
}

async fn preparation_list(state: &AppState, id: i32) -> Result<PreparationList, AppError> {
    // The formulation first: one of another office's department is not found.
    crate::pages::formulation::record_or_404(state, id).await?;
    Ok(PreparationList {
        formulation_id: id,
        items: (state.store.preparations(id).await?)
            .into_iter()
            .map(|r| PreparationItem {
                id: r.id,
                formulation_id: r.formulation_id,
                kind: r.kind.to_string(),
                held_on: r.held_on,
                place: r.place,
                attendees: r.attendees,
                text: r.text,
                file_name: r.file.as_ref().map(|f| f.file_name.clone()),
                file_sha256: r.file.map(|f| f.sha256),
                recorded_at: r.recorded_at,
            })
            .collect(),
    })
}

/// The formulation's preparation records (Art. 15-17): characterization, participatory
/// diagnosis, the participatory sessions' minutes.
#[utoipa::path(get, path = "/api/v1/formulations/{id}/preparation", tag = "stages",
    params(("id" = i32, Path, description = "Formulation id")),
    responses((status = 200, body = PreparationList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such formulation, or another office's", body = Problem, content_type = "application/problem+json")))]
pub async fn preparation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<PreparationList>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(preparation_list(&state, id).await?))
}

/// Adds a preparation record as the page does: a multipart body with `kind`,
/// `formulation_id` (this one or another of the call's), `held_on` (YYYY-MM-DD), `place`,
/// `attendees`, `text` and the signed minutes as `minutes` (PDF, PNG or JPEG, at most 20 MiB).
#[utoipa::path(post, path = "/api/v1/formulations/{id}/preparation", tag = "stages",
    params(("id" = i32, Path, description = "Formulation id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "The record's fields and the minutes as `minutes`"),
    responses((status = 201, body = PreparationList, headers(("Location" = String, description = "/api/v1/formulations/{id}/preparation of the formulation it feeds"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that manages calls (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields with problems (`form-error-fields`)", body = Problem, content_type = "application/problem+json")))]
pub async fn add_preparation(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let (form, file, file_problem) = read_form(&mut multipart, "minutes", MINUTES_LIMIT_BYTES).await?;
    let target = add_record(&state, &visitor, csrf_of(&headers), id, &form, file, file_problem)
        .await?
        .map_err(|errors| AppError::fields(&errors))?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/formulations/{target}/preparation"),
        )],
        Json(preparation_list(&state, target).await?),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct PhotoKept {
    pub household_id: i32,
    pub parcel_id: i32,
}

/// Keeps a photo of the parcel's field visit (Art. 13): a multipart body with the photo as
/// `photo` (PNG or JPEG).
#[utoipa::path(post, path = "/api/v1/households/{id}/parcels/{parcel}/photos", tag = "stages",
    params(("id" = i32, Path, description = "Household id"), ("parcel" = i32, Path, description = "Parcel id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "The photo as `photo`"),
    responses((status = 201, body = PhotoKept),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such parcel of the household, or another office's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided (`parcel-error-decided`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No photo, or not PNG or JPEG (`form-error-fields`)", body = Problem, content_type = "application/problem+json")))]
pub async fn photo(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, parcel)): Path<(i32, i32)>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<PhotoKept>), AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let (_, file, file_problem) = read_form(&mut multipart, "photo", PARCEL_PHOTO_LIMIT_BYTES).await?;
    add_photo(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        parcel,
        file,
        file_problem,
    )
    .await?
    .map_err(|refusal| match refusal {
        ParcelRefusal::Fields(errors) => AppError::fields(&errors),
        ParcelRefusal::Step(refusal) => refusal.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(PhotoKept {
            household_id: id,
            parcel_id: parcel,
        }),
    ))
}
