//! A household's verification over the JSON API (Art. 11-14, 45, 46): its state, receiving a
//! document, the decision, its parcels with their title study and field visit (Art. 12-13).
//! Each step calls the function its page calls; a step that changes something needs the
//! session's token in `X-CSRF-Token`. A household of another office's department is not found.

use std::collections::{BTreeMap, HashMap};

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
use vereda_domain::number::format_number;
use vereda_domain::parcel::SiteCondition;
use vereda_store::verification::HouseholdVerification;

use super::calls::HouseholdItem;
use super::procedure::csrf_of;
use super::procedure::{Amount, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::read_form;
use crate::error::{AppError, ErrorCode, Problem, not_found};
use crate::pages::parcels::ParcelRefusal;
use crate::pages::verification::{HOUSEHOLD_DOCUMENT_LIMIT_BYTES, ParcelPost};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/households/{id}", get(household))
        .route(
            "/api/v1/households/{id}/documents",
            post(document).layer(DefaultBodyLimit::max(HOUSEHOLD_DOCUMENT_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/api/v1/households/{id}/decision", post(decide))
        .route("/api/v1/households/{id}/parcels", post(parcel))
        .route(
            "/api/v1/households/{id}/parcels/{parcel}/title-study",
            put(title_study),
        )
        .route(
            "/api/v1/households/{id}/parcels/{parcel}/field-visit",
            put(field_visit),
        )
}

#[derive(Serialize, ToSchema)]
pub struct DocumentRecord {
    pub id: i32,
    /// identity, sisben, title_record, ruv or ethnic.
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub received_at: jiff::Timestamp,
    /// The day the household brought it.
    #[schema(value_type = String, format = Date)]
    pub received_on: jiff::civil::Date,
}

#[derive(Serialize, ToSchema)]
pub struct ParcelStandingRecord {
    pub parcel_id: i32,
    pub name: String,
    pub suitable: bool,
    /// The codes of what keeps it from being suitable (`parcel-issue-*`), with their articles.
    pub issues: Vec<String>,
}

/// Where a household stands in the verification.
#[derive(Serialize, ToSchema)]
pub struct HouseholdState {
    /// Personal data masked unless the role sees it whole (`ViewFullDocuments`).
    pub household: HouseholdItem,
    /// pending, eligible, not_eligible or withdrawn.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub notice_date: Option<jiff::civil::Date>,
    /// The documents' deadline (Art. 14); null before the call's notice.
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<jiff::civil::Date>,
    /// The checklist derived from its facts.
    pub required: Vec<String>,
    pub missing: Vec<String>,
    pub documents: Vec<DocumentRecord>,
    pub reasons: Option<String>,
    /// The screening's reason codes.
    pub reason_codes: Vec<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<jiff::Timestamp>,
    /// Tacit withdrawal is due (Art. 45) and waits for an officer to confirm it.
    pub withdrawal_due: bool,
    /// Send it back with the decision: a changed household is refused (409).
    pub lock_version: i32,
    pub parcels: Vec<ParcelStandingRecord>,
}

fn state_of(visitor: &Visitor, v: HouseholdVerification) -> HouseholdState {
    let mut household = v.household;
    if !visitor.can(Permission::ViewFullDocuments) {
        crate::pages::staff::mask_household(&mut household);
    }
    let names =
        |kinds: &[vereda_domain::verification::DocumentKind]| kinds.iter().map(ToString::to_string).collect();
    HouseholdState {
        household: household.into(),
        status: v.status.to_string(),
        notice_date: v.notice.as_ref().map(|n| n.notice_date),
        deadline: v.notice.as_ref().map(|n| n.deadline),
        required: names(&v.required),
        missing: names(&v.missing),
        documents: v
            .documents
            .into_iter()
            .map(|d| DocumentRecord {
                id: d.id,
                kind: d.kind.to_string(),
                file_name: d.file_name,
                content_type: d.content_type,
                size_bytes: d.size_bytes,
                sha256: d.sha256,
                received_at: d.received_at,
                received_on: d.received_on,
            })
            .collect(),
        reasons: v.reasons,
        reason_codes: v.reason_codes,
        decided_at: v.decided_at,
        withdrawal_due: v.withdrawal_due,
        lock_version: v.lock_version,
        parcels: v
            .parcels
            .into_iter()
            .map(|p| ParcelStandingRecord {
                suitable: p.standing.is_suitable(),
                issues: (p.standing.issues().iter())
                    .map(|i| i.message().code().to_owned())
                    .collect(),
                parcel_id: p.parcel_id,
                name: p.name,
            })
            .collect(),
    }
}

async fn current(state: &AppState, visitor: &Visitor, id: i32) -> Result<HouseholdState, AppError> {
    let v = state
        .store
        .household_verification(id, state.config.today())
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("household", &id.to_string())))?;
    Ok(state_of(visitor, v))
}

/// A household's verification: checklist, documents, decision and parcels, personal data
/// masked as the page masks it.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "stages",
    params(("id" = i32, Path, description = "Household id")),
    responses((status = 200, body = HouseholdState),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such household, or another office's", body = Problem, content_type = "application/problem+json")))]
pub async fn household(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<HouseholdState>, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    Ok(Json(current(&state, &visitor, id).await?))
}

/// Receives a document of the household while its verification is open (Art. 14): a
/// multipart body with `kind` (identity, sisben, title_record, ruv or ethnic), the file as
/// `document` (PDF, PNG or JPEG, at most 20 MiB) and `received_on`, the day the household
/// brought it (YYYY-MM-DD, between the notice and today; today when absent).
#[utoipa::path(post, path = "/api/v1/households/{id}/documents", tag = "stages",
    params(("id" = i32, Path, description = "Household id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "`kind`, the file as `document`, and `received_on` (optional, today by default)"),
    responses((status = 201, body = HouseholdState),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No notice yet (`verification-error-no_notice`), or decided (`verification-error-decided`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown kind (`verification-error-kind`), no file (`verification-error-no_file`), a file of another type, a day received that is not a date (`verification-error-received_not_a_date`), after today (`verification-error-received_after_today`) or before the notice (`verification-error-received_before_notice`)", body = Problem, content_type = "application/problem+json")))]
pub async fn document(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<HouseholdState>), AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let (fields, file, file_problem) =
        read_form(&mut multipart, "document", HOUSEHOLD_DOCUMENT_LIMIT_BYTES).await?;
    crate::pages::verification::receive_document(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        &fields,
        file,
        file_problem,
    )
    .await??;
    Ok((StatusCode::CREATED, Json(current(&state, &visitor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "eligible", "reasons": "", "lock_version": 3}))]
pub struct DecisionRequest {
    /// eligible, not_eligible or withdrawn.
    pub status: String,
    /// Required for not_eligible and withdrawn.
    #[serde(default)]
    pub reasons: String,
    /// The household's `lock_version` as read.
    pub lock_version: i32,
}

/// Decides the household's verification (Art. 14, 45, 46): eligible with every document and
/// suitable parcels, not eligible with reasons, or the tacit withdrawal once due. The letter
/// goes out after it.
#[utoipa::path(post, path = "/api/v1/households/{id}/decision", tag = "stages",
    params(("id" = i32, Path, description = "Household id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses((status = 200, body = HouseholdState),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No notice, changed meanwhile (`verification-error-changed_meanwhile`), decided, withdrawal not due", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status (`verification-error-status`), documents missing, reasons required, parcels not suitable, a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<HouseholdState>, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: DecisionRequest = read_json(&body)?;
    crate::pages::verification::decide_household(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        &input.status,
        &input.reasons,
        input.lock_version,
    )
    .await??;
    Ok(Json(current(&state, &visitor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "La Esperanza", "vereda": "El Diviso", "land_title_record": "440-12345", "area_ha": "3.5", "land_tenure": "owner"}))]
pub struct ParcelRequest {
    pub name: String,
    #[serde(default)]
    pub vereda: String,
    /// The folio de matrícula.
    #[serde(default)]
    pub land_title_record: String,
    /// Hectares, positive: a decimal string or a JSON number.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub area_ha: Option<Amount>,
    /// owner, tenant, comodato, occupant or none.
    pub land_tenure: String,
}

#[derive(Serialize, ToSchema)]
pub struct ParcelCreated {
    pub id: i32,
    pub household_id: i32,
    pub name: String,
}

/// Registers a parcel the household declares (Art. 12) while its verification is open.
#[utoipa::path(post, path = "/api/v1/households/{id}/parcels", tag = "stages",
    params(("id" = i32, Path, description = "Household id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ParcelRequest, content_type = "application/json"),
    responses((status = 201, body = ParcelCreated),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided (`verification-error-decided`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields with problems (`form-error-fields`), an amount that is not one, a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn parcel(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: ParcelRequest = read_json(&body)?;
    let area_ha = (input.area_ha.as_ref())
        .map(|a| a.read("area_ha"))
        .transpose()?
        .map(format_number)
        .unwrap_or_default();
    let post = ParcelPost {
        csrf_token: csrf_of(&headers).to_owned(),
        name: input.name,
        vereda: input.vereda,
        land_title_record: input.land_title_record,
        area_ha,
        land_tenure: input.land_tenure,
    };
    let created = crate::pages::verification::declare_parcel(&state, &visitor, id, post).await??;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/personal/hogares/{id}/predios/{}", created.id),
        )],
        Json(ParcelCreated {
            id: created.id,
            household_id: id,
            name: created.name,
        }),
    )
        .into_response())
}

/// The parcel's study or visit refused: its fields together, or the step.
fn refused(refusal: ParcelRefusal) -> AppError {
    match refusal {
        ParcelRefusal::Fields(errors) => AppError::fields(&errors),
        ParcelRefusal::Step(refusal) => refusal.into(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title_record": "440-12345", "owner_name": "María Pérez", "owner_document": "1122334455",
    "limitations": "", "limits_use": false, "result": "favourable", "reasons": "", "lock_version": 0}))]
pub struct TitleStudyRequest {
    pub title_record: String,
    pub owner_name: String,
    #[serde(default)]
    pub owner_document: String,
    #[serde(default)]
    pub limitations: String,
    /// Whether a limitation limits the use the project needs.
    pub limits_use: bool,
    /// favourable or not_favourable.
    pub result: String,
    /// Required when not favourable.
    #[serde(default)]
    pub reasons: String,
    /// The study's `title_lock_version` as read (0 before any study).
    pub lock_version: i32,
}

#[derive(Serialize, ToSchema)]
pub struct ParcelRecorded {
    pub household_id: i32,
    pub parcel_id: i32,
    /// Send it back with the next title study; null before any.
    pub title_lock_version: Option<i32>,
    /// Send it back with the next field visit; null before any (send 0).
    pub visit_lock_version: Option<i32>,
    /// The parcel's standing after it: every parcel of the household.
    pub household: HouseholdState,
}

async fn recorded(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    parcel: i32,
) -> Result<ParcelRecorded, AppError> {
    let p = state
        .store
        .parcel_verification(id, parcel)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("parcel", &parcel.to_string())))?;
    Ok(ParcelRecorded {
        household_id: id,
        parcel_id: parcel,
        title_lock_version: p.title.map(|t| t.lock_version),
        visit_lock_version: p.visit.map(|v| v.lock_version),
        household: current(state, visitor, id).await?,
    })
}

/// Records the title study of a parcel (Art. 12).
#[utoipa::path(put, path = "/api/v1/households/{id}/parcels/{parcel}/title-study", tag = "stages",
    params(("id" = i32, Path, description = "Household id"), ("parcel" = i32, Path, description = "Parcel id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = TitleStudyRequest, content_type = "application/json"),
    responses((status = 200, body = ParcelRecorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided (`parcel-error-decided`) or changed meanwhile (`parcel-error-stale`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields with problems (`form-error-fields`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn title_study(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, parcel)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Json<ParcelRecorded>, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: TitleStudyRequest = read_json(&body)?;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let form: HashMap<String, String> = [
        ("csrf_token", csrf_of(&headers).to_owned()),
        ("title_record", input.title_record),
        ("owner_name", input.owner_name),
        ("owner_document", input.owner_document),
        ("limitations", input.limitations),
        ("limits_use", yes_no(input.limits_use).to_owned()),
        ("result", input.result),
        ("reasons", input.reasons),
        ("lock_version", input.lock_version.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    crate::pages::parcels::record_title(&state, &visitor, id, parcel, &form)
        .await?
        .map_err(refused)?;
    recorded(&state, &visitor, id, parcel).await.map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionRequest {
    pub met: bool,
    #[serde(default)]
    pub notes: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"visit_date": "2013-08-20", "latitude": "1.6144", "longitude": "-75.6062",
    "conditions": {"access": {"met": true, "notes": ""}}, "lock_version": 1}))]
pub struct FieldVisitRequest {
    #[schema(value_type = String, format = Date)]
    pub visit_date: String,
    /// −5 to 14: a decimal string or a JSON number.
    #[schema(value_type = String)]
    pub latitude: Amount,
    /// −82 to −66.
    #[schema(value_type = String)]
    pub longitude: Amount,
    /// Each of the five conditions of Art. 13 by its name; one left out is a problem.
    pub conditions: BTreeMap<String, ConditionRequest>,
    /// The visit's `visit_lock_version` as read (0 before any visit).
    pub lock_version: i32,
}

/// Records the field visit of a parcel (Art. 13): the date, the coordinates and the five
/// conditions of the site.
#[utoipa::path(put, path = "/api/v1/households/{id}/parcels/{parcel}/field-visit", tag = "stages",
    params(("id" = i32, Path, description = "Household id"), ("parcel" = i32, Path, description = "Parcel id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = FieldVisitRequest, content_type = "application/json"),
    responses((status = 200, body = ParcelRecorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided (`parcel-error-decided`) or changed meanwhile (`parcel-error-stale`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields with problems (`form-error-fields`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn field_visit(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, parcel)): Path<(i32, i32)>,
    body: Bytes,
) -> Result<Json<ParcelRecorded>, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: FieldVisitRequest = read_json(&body)?;
    let mut form: HashMap<String, String> = HashMap::new();
    form.insert("csrf_token".into(), csrf_of(&headers).to_owned());
    form.insert("visit_date".into(), input.visit_date);
    form.insert("latitude".into(), format_number(input.latitude.read("latitude")?));
    form.insert(
        "longitude".into(),
        format_number(input.longitude.read("longitude")?),
    );
    form.insert("lock_version".into(), input.lock_version.to_string());
    for condition in SiteCondition::ALL {
        if let Some(given) = input.conditions.get(&condition.to_string()) {
            let met = if given.met { "yes" } else { "no" };
            form.insert(format!("{condition}_met"), met.to_owned());
            form.insert(format!("{condition}_notes"), given.notes.clone());
        }
    }
    crate::pages::parcels::record_visit(&state, &visitor, id, parcel, &mut form)
        .await?
        .map_err(refused)?;
    recorded(&state, &visitor, id, parcel).await.map(Json)
}
