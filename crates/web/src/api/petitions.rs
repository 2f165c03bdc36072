//! Citizens' petitions over the JSON API (PQRSD, Ley 1755 de 2015): the public filing and
//! report (no account), and for the staff who answer petitions (`AnswerPetitions`, within the
//! office's reach) the list, one petition, assigning, answering and the one extension. Each
//! step calls the function its page calls. A staff step that changes something needs the
//! session's token in `X-CSRF-Token` (or a Bearer token). The public filing needs none: it
//! has no session whose authority a forged request could borrow; it is limited per client
//! address like the form.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_store::petitions::{MonthReport, Petition};

use super::procedure::{csrf_of, read_json};
use crate::AppState;
use crate::auth::{ClientAddress, Visitor};
use crate::error::{AppError, Problem};
use crate::pages::petitions::{PetitionInput, answer_petition, assign_petition, extend_petition, reachable};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/petitions",
            get(list)
                .post(file)
                .layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT_BYTES)),
        )
        .route("/api/v1/petitions/report", get(report))
        .route("/api/v1/petitions/{id}", get(petition))
        .route("/api/v1/petitions/{id}/assignment", post(assign))
        .route("/api/v1/petitions/{id}/answer", post(answer))
        .route("/api/v1/petitions/{id}/extension", post(extend))
}

/// The receipt of a filing: no personal data.
#[derive(Serialize, ToSchema)]
pub struct ReceiptRecord {
    pub id: i32,
    /// The filing number (radicado), `PQRSD-2026-000123`.
    pub number: String,
    /// general, complaint, claim, suggestion, report, documents or consultation.
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    pub filed_on: jiff::civil::Date,
    /// The legal deadline (Ley 1755 de 2015, art. 14).
    #[schema(value_type = String, format = Date)]
    pub deadline: jiff::civil::Date,
    pub term_business_days: u32,
    pub article: String,
}

/// A petition as the staff who answer it read it (its personal data whole: these roles see it).
#[derive(Serialize, ToSchema)]
pub struct PetitionRecord {
    pub id: i32,
    pub number: String,
    pub kind: String,
    /// received, assigned, extended, answered or answered_late.
    pub state: String,
    pub petitioner_name: String,
    pub petitioner_document: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub subject: String,
    pub text: String,
    pub municipality_code: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub filed_on: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub deadline: jiff::civil::Date,
    #[schema(value_type = Option<String>, format = Date)]
    pub extended_deadline: Option<jiff::civil::Date>,
    pub extension_motivation: Option<String>,
    /// Business days left today until the deadline in force; negative when overdue.
    pub days_left: i64,
    pub assigned_to: Option<i32>,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub answered_on: Option<jiff::civil::Date>,
    pub letter_id: Option<i32>,
}

fn record(state: &AppState, p: Petition) -> PetitionRecord {
    PetitionRecord {
        days_left: p.days_left(state.config.today()),
        id: p.id,
        number: p.number,
        kind: p.kind.to_string(),
        state: p.state.to_string(),
        petitioner_name: p.petitioner_name,
        petitioner_document: p.petitioner_document,
        email: p.email,
        postal_address: p.postal_address,
        subject: p.subject,
        text: p.text,
        municipality_code: p.municipality_code,
        filed_on: p.filed_on,
        deadline: p.deadline,
        extended_deadline: p.extended_deadline,
        extension_motivation: p.extension_motivation,
        assigned_to: p.assigned_to,
        answer: p.answer_text,
        answered_on: p.answered_on,
        letter_id: p.letter_id,
    }
}

/// Files a petition (no account): a multipart body with `kind`, `petitioner_name`,
/// `petitioner_document`, `email`, `postal_address` (one of the two), `municipality` (DANE
/// code, optional), `subject`, `text` and optionally the file as `attachment`.
#[utoipa::path(post, path = "/api/v1/petitions", tag = "petitions",
    request_body(content_type = "multipart/form-data", description = "The petition's fields and an optional `attachment`"),
    responses((status = 201, body = ReceiptRecord),
        (status = 413, description = "The attachment is over the limit (`petition-error-attachment_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field missing or too long (`petition-error-required`, `petition-error-too_long`), no contact (`petition-error-contact`), an unknown kind or municipality", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many filings from this address (`petition-error-too_many`)", body = Problem, content_type = "application/problem+json")))]
pub async fn file(
    State(state): State<AppState>,
    _visitor: Visitor,
    ClientAddress(address): ClientAddress,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<ReceiptRecord>), AppError> {
    let (fields, attachment) = crate::pages::petitions::read_petition_form(&state, &mut multipart).await?;
    let text = |name: &str| crate::documents::field(&fields, name).to_owned();
    let input = PetitionInput {
        kind: text("kind"),
        petitioner_name: text("petitioner_name"),
        petitioner_document: text("petitioner_document"),
        email: text("email"),
        postal_address: text("postal_address"),
        municipality: text("municipality"),
        subject: text("subject"),
        text: text("text"),
    };
    let petition =
        crate::pages::petitions::file_petition(&state, address.as_deref(), &input, attachment).await??;
    let receipt = petition.receipt();
    Ok((
        StatusCode::CREATED,
        Json(ReceiptRecord {
            id: receipt.id,
            number: receipt.number,
            kind: receipt.kind.to_string(),
            filed_on: receipt.filed_on,
            deadline: receipt.deadline,
            term_business_days: receipt.term_business_days,
            article: receipt.article.to_owned(),
        }),
    ))
}

/// The monthly report (Ley 1712 de 2014): received, answered on time, answered late, pending.
#[utoipa::path(get, path = "/api/v1/petitions/report", tag = "petitions",
    responses((status = 200, body = [MonthReportRecord])))]
pub async fn report(State(state): State<AppState>) -> Result<Json<Vec<MonthReportRecord>>, AppError> {
    Ok(Json(
        state
            .store
            .petition_report()
            .await?
            .into_iter()
            .map(MonthReportRecord::from)
            .collect(),
    ))
}

/// One month of the report: counts only.
#[derive(Serialize, ToSchema)]
pub struct MonthReportRecord {
    /// `YYYY-MM`, the month of filing.
    pub month: String,
    pub received: i64,
    pub answered_on_time: i64,
    pub answered_late: i64,
    pub pending: i64,
}

impl From<MonthReport> for MonthReportRecord {
    fn from(m: MonthReport) -> Self {
        MonthReportRecord {
            month: m.month,
            received: m.received,
            answered_on_time: m.answered_on_time,
            answered_late: m.answered_late,
            pending: m.pending,
        }
    }
}

/// The petitions within the caller's reach, the open ones first by deadline.
#[utoipa::path(get, path = "/api/v1/petitions", tag = "petitions",
    responses((status = 200, body = [PetitionRecord]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Json<Vec<PetitionRecord>>, AppError> {
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    let list = state.store.petitions_for(&actor, false).await?;
    Ok(Json(list.into_iter().map(|p| record(&state, p)).collect()))
}

/// One petition; one outside the caller's reach is not found.
#[utoipa::path(get, path = "/api/v1/petitions/{id}", tag = "petitions",
    params(("id" = i32, Path, description = "Petition id")),
    responses((status = 200, body = PetitionRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn petition(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<PetitionRecord>, AppError> {
    Ok(Json(record(&state, reachable(&state, &visitor, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    /// The account that answers: active, of a role that answers petitions.
    pub assignee: i32,
}

/// Assigns the petition to an account.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/assignment", tag = "petitions",
    params(("id" = i32, Path, description = "Petition id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = AssignmentRequest, content_type = "application/json"),
    responses((status = 200, body = PetitionRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered (`petition-error-answered`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an account that answers petitions (`petition-error-assignee`)", body = Problem, content_type = "application/problem+json")))]
pub async fn assign(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<PetitionRecord>, AppError> {
    visitor.require(Permission::AnswerPetitions)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: AssignmentRequest = read_json(&body)?;
    let petition = assign_petition(&state, &visitor, csrf_of(&headers), id, input.assignee).await??;
    Ok(Json(record(&state, petition)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub answer: String,
}

/// Answers the petition; the letter goes to the petitioner (SMTP or the outbox).
#[utoipa::path(post, path = "/api/v1/petitions/{id}/answer", tag = "petitions",
    params(("id" = i32, Path, description = "Petition id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = AnswerRequest, content_type = "application/json"),
    responses((status = 200, body = PetitionRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already (`petition-error-answered`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No answer (`petition-error-required`)", body = Problem, content_type = "application/problem+json")))]
pub async fn answer(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<PetitionRecord>, AppError> {
    visitor.require(Permission::AnswerPetitions)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: AnswerRequest = read_json(&body)?;
    let petition = answer_petition(&state, &visitor, csrf_of(&headers), id, &input.answer).await??;
    Ok(Json(record(&state, petition)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequestBody {
    /// The new deadline, YYYY-MM-DD: after the current one, at most twice the initial term.
    pub new_deadline: String,
    pub motivation: String,
}

/// Extends the term once, before it ends (Ley 1755 de 2015, art. 14 par.).
#[utoipa::path(post, path = "/api/v1/petitions/{id}/extension", tag = "petitions",
    params(("id" = i32, Path, description = "Petition id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = ExtensionRequestBody, content_type = "application/json"),
    responses((status = 200, body = PetitionRecord),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Extended already (`petition-error-extended_twice`), answered, or the term ended (`petition-error-extension_late`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No motivation, a date not later or beyond twice the term (`petition-error-extension_too_long`), not a date", body = Problem, content_type = "application/problem+json")))]
pub async fn extend(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Json<PetitionRecord>, AppError> {
    visitor.require(Permission::AnswerPetitions)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: ExtensionRequestBody = read_json(&body)?;
    let petition = extend_petition(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        &input.new_deadline,
        &input.motivation,
    )
    .await??;
    Ok(Json(record(&state, petition)))
}
