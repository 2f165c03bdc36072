//! After the payment over the JSON API (Art. 29 par., 34): a project's investment plan and its
//! changes, the controlled account's movements, bank statements and reconciliation, with the
//! same store calls as the pages (`crate::pages::ledger`). Staff only; territorial accounts
//! reach only the projects of their office (`crate::reach`).
//!
//! A state-changing call needs the session's token in `X-CSRF-Token` (none with an API token).

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::ledger::{MovementDraft, MovementKind, Reconciliation, Source};
use vereda_domain::privacy::{PersonalField, sees_personal_data};
use vereda_store::ledger::{Ledger, Movement, NewMovement, PlanChange, PlanVersion};

use super::procedure::{Amount, csrf_of, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, Problem};
use crate::i18n::Message;
use crate::pages::ledger::{LEDGER_FILE_LIMIT_BYTES, read_statement_upload, sha256_hex};
use crate::today::today_in_colombia;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/projects/{code}/plan", get(plan))
        .route("/api/v1/projects/{code}/plan/changes", post(request_change))
        .route(
            "/api/v1/projects/{code}/plan/changes/{id}/review",
            post(review_change),
        )
        .route("/api/v1/projects/{code}/ledger", get(ledger))
        .route(
            "/api/v1/projects/{code}/ledger/movements",
            post(record_movement).layer(DefaultBodyLimit::max(LEDGER_FILE_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/projects/{code}/ledger/statements",
            post(import_statement).layer(DefaultBodyLimit::max(LEDGER_FILE_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/projects/{code}/ledger/reconciliation",
            get(reconciliation),
        )
}

/// The account of a state-changing call, with the CSRF header checked. The store checks the
/// permission and the office.
async fn acting(visitor: &Visitor, headers: &HeaderMap) -> Result<vereda_domain::audit::Actor, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(csrf_of(headers)).await?;
    Ok(actor)
}

/// Every version of the plan, oldest first, and the requested changes, newest first.
#[derive(Serialize, ToSchema)]
pub struct PlanAnswer {
    /// Each version: `version`, `plan.lines` (number, category, funder, description, year,
    /// month, amount, eligible), `total`, `sha256`, `origin` (award, derived, change) and
    /// `stored` (false for a plan derived for reading, not yet kept).
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<PlanVersion>,
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<PlanChange>,
}

/// A project's investment plan: its versions and requested changes.
#[utoipa::path(get, path = "/api/v1/projects/{code}/plan", tag = "ledger",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = PlanAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A project the program did not award has no plan (`ledger-error-no_plan`)", body = Problem, content_type = "application/problem+json")))]
pub async fn plan(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<PlanAnswer>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(PlanAnswer {
        versions: state.store.investment_plans(&code).await?,
        changes: state.store.plan_changes(&code).await?,
    }))
}

/// A change of the plan in force: new amounts by line number, the total unchanged.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"base_version": 1, "amounts": {"1": "101000000", "5": "14000000"}, "motivation": "Cotizaciones de los kits"}))]
pub struct PlanChangeRequest {
    pub base_version: i32,
    #[schema(value_type = BTreeMap<String, String>)]
    pub amounts: BTreeMap<u32, Amount>,
    pub motivation: String,
}

/// What was filed or decided.
#[derive(Serialize, ToSchema)]
pub struct Recorded {
    pub id: i32,
}

/// Requests a change of the plan; it counts once the territorial director approves it.
#[utoipa::path(post, path = "/api/v1/projects/{code}/plan/changes", tag = "ledger",
    params(("code" = String, Path, description = "Project code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = PlanChangeRequest, content_type = "application/json"),
    responses((status = 201, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the office may not (`scope-error-…`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The plan changed since `base_version` (`ledger-error-plan_changed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The total changes, a line below what it executed, no motivation (`ledger-error-…`)", body = Problem, content_type = "application/problem+json")))]
pub async fn request_change(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Recorded>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let input: PlanChangeRequest = read_json(&body)?;
    let mut amounts = BTreeMap::new();
    for (line, amount) in &input.amounts {
        amounts.insert(*line, amount.read("amounts")?);
    }
    let id = state
        .store
        .request_plan_change(&actor, &code, input.base_version, amounts, &input.motivation)
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { id })))
}

/// The territorial director's decision on a requested change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanReviewRequest {
    /// approve or return.
    pub decision: String,
    pub motivation: String,
}

/// Approves (the plan's next version) or returns a requested change; its requester may not.
#[utoipa::path(post, path = "/api/v1/projects/{code}/plan/changes/{id}/review", tag = "ledger",
    params(("code" = String, Path, description = "Project code"), ("id" = i32, Path, description = "Change id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = PlanReviewRequest, content_type = "application/json"),
    responses((status = 200, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the territorial director, its own requester (`ledger-error-own_change`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the plan changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No motivation, an unknown decision", body = Problem, content_type = "application/problem+json")))]
pub async fn review_change(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((code, id)): Path<(String, i32)>,
    body: Bytes,
) -> Result<Json<Recorded>, AppError> {
    let actor = acting(&visitor, &headers).await?;
    let input: PlanReviewRequest = read_json(&body)?;
    let approve = match input.decision.as_str() {
        "approve" => true,
        "return" => false,
        other => {
            return Err(AppError::said(
                ErrorCode::InvalidInput,
                Message::new("api-error-decision").with("value", other),
            ));
        }
    };
    state
        .store
        .review_plan_change(&actor, &code, id, approve, &input.motivation)
        .await?;
    Ok(Json(Recorded { id }))
}

/// A project's controlled account: plan in force, payment, movements (the families'
/// representative masked for roles that do not see personal data), figures, statements and
/// reconciliation.
#[derive(Serialize, ToSchema)]
pub struct LedgerAnswer {
    #[schema(value_type = Object)]
    pub ledger: Ledger,
}

fn masked(visitor: &Visitor, mut ledger: Ledger) -> Ledger {
    let sees = visitor
        .account
        .as_ref()
        .is_some_and(|a| sees_personal_data(a.role));
    if !sees {
        for m in &mut ledger.movements {
            mask_movement(m);
        }
    }
    ledger
}

fn mask_movement(m: &mut Movement) {
    m.representative_name = PersonalField::Text.mask(&m.representative_name);
    m.representative_document = PersonalField::Document.mask(&m.representative_document);
}

/// The controlled account of a project.
#[utoipa::path(get, path = "/api/v1/projects/{code}/ledger", tag = "ledger",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = LedgerAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A project the program did not award has no plan (`ledger-error-no_plan`)", body = Problem, content_type = "application/problem+json")))]
pub async fn ledger(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<LedgerAnswer>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let ledger = state.store.ledger(&code).await?;
    Ok(Json(LedgerAnswer {
        ledger: masked(&visitor, ledger),
    }))
}

/// The reconciliation of the imported statements against the ledger.
#[utoipa::path(get, path = "/api/v1/projects/{code}/ledger/reconciliation", tag = "ledger",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, description = "`matched` (ledger id, statement line id), `ledger_only`, `statement_only`, `ledger_balance`, `statement_balance`, `difference`", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn reconciliation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Json<Reconciliation>, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(state.store.ledger(&code).await?.reconciliation))
}

/// A movement of the controlled account (its receipt goes with it as multipart, see below).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2013-11-20", "value": "6500000", "kind": "payment", "line": 5, "supplier_name": "Agroinsumos del Pacífico S.A.S.", "supplier_nit": "890903938-8", "reference": "FV-7", "representative_name": "Nombre del jefe de hogar", "representative_document": "documento del jefe de hogar"}))]
pub struct MovementRequest {
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    #[schema(value_type = String)]
    pub value: Amount,
    /// payment, disbursement, counterpart, interest or refund.
    pub kind: String,
    /// The plan line of a payment.
    #[serde(default)]
    pub line: Option<u32>,
    /// institute or counterpart: whose money a payment spends (the line's funder when absent).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub supplier_name: String,
    #[serde(default)]
    pub supplier_nit: String,
    #[serde(default)]
    pub reference: String,
    pub representative_name: String,
    pub representative_document: String,
    /// Stores a movement with the date, value and reference of an earlier one, flagged.
    #[serde(default)]
    pub confirm_duplicate: bool,
}

/// Records a movement, checked against the plan in force (Art. 21, 29 par., 33). As JSON, or
/// like the page as `multipart/form-data` with the movement's JSON in the part `movement` and
/// its invoice or receipt (PDF, PNG or JPEG) in the part `receipt`, kept under its SHA-256.
#[utoipa::path(post, path = "/api/v1/projects/{code}/ledger/movements", tag = "ledger",
    params(("code" = String, Path, description = "Project code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content(
        (MovementRequest = "application/json"),
        (MovementRequest = "multipart/form-data", example = json!({"movement": "{…the JSON…}", "receipt": "(file)"}))
    )),
    responses((status = 201, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the office may not (`scope-error-…`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same date, value and reference as an earlier movement (`ledger-error-duplicate`): confirm it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Over the plan, not eligible, before the payment or in the future, a bad NIT, a representative not of the families (`ledger-error-…`)", body = Problem, content_type = "application/problem+json")))]
pub async fn record_movement(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<Recorded>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (body, receipt) = if multipart {
        let mut parts = Multipart::from_request(request, &state).await.map_err(|e| {
            tracing::info!(%e, "a multipart movement could not be read");
            AppError::said(ErrorCode::InvalidInput, Message::new("upload-error-unreadable"))
        })?;
        let (fields, receipt, problem) = read_form(&mut parts, "receipt", LEDGER_FILE_LIMIT_BYTES).await?;
        if let Some(problem) = problem {
            let mut errors = crate::form_errors::FieldErrors::default();
            errors.add(visitor.lang, "receipt", problem);
            return Err(AppError::fields(&errors));
        }
        (Bytes::from(field(&fields, "movement").to_owned()), receipt)
    } else {
        let body = Bytes::from_request(request, &state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::said(
                    ErrorCode::PayloadTooLarge,
                    Message::new("upload-error-too_large")
                        .with("megabytes", LEDGER_FILE_LIMIT_BYTES / (1024 * 1024)),
                )
            } else {
                AppError::said(ErrorCode::InvalidInput, Message::new("upload-error-unreadable"))
            }
        })?;
        (body, None)
    };
    let input: MovementRequest = read_json(&body)?;
    let unknown =
        |e: vereda_domain::text_enum::UnknownValue| AppError::said(ErrorCode::InvalidInput, e.message());
    let kind: MovementKind = input.kind.parse().map_err(unknown)?;
    let source: Option<Source> = input
        .source
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(unknown)?;
    let new = NewMovement {
        draft: MovementDraft {
            date: input.date,
            value: input.value.read("value")?,
            kind,
            line: input.line,
            source,
            supplier_name: input.supplier_name,
            supplier_nit: input.supplier_nit,
            reference: input.reference,
        },
        representative_name: input.representative_name,
        representative_document: input.representative_document,
        document_sha256: None,
        document_name: None,
        confirm_duplicate: input.confirm_duplicate,
    };
    let kept = receipt.map(|file| keep_file(&state, file)).transpose()?;
    let new = NewMovement {
        document_sha256: kept.as_ref().map(|k| k.sha256.clone()),
        document_name: kept.map(|k| k.file_name),
        ..new
    };
    let id = state
        .store
        .record_movement(&actor, &code, &new, today_in_colombia())
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { id })))
}

/// Imports a bank statement (CSV or XLSX with fecha, descripción, referencia, débito, crédito,
/// saldo) whole: a bad row names file, line, column and value, and nothing is imported.
#[utoipa::path(post, path = "/api/v1/projects/{code}/ledger/statements", tag = "ledger",
    params(("code" = String, Path, description = "Project code"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "The statement as `statement`"),
    responses((status = 201, body = Recorded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or the office may not, or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same file was already imported (`ledger-error-statement_imported`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file's bad rows, each with file, line, column and value (`form-error-fields`)", body = Problem, content_type = "application/problem+json")))]
pub async fn import_statement(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Recorded>), AppError> {
    let actor = acting(&visitor, &headers).await?;
    let lang = visitor.lang;
    let (_, file, file_problem) = read_form(&mut multipart, "statement", LEDGER_FILE_LIMIT_BYTES).await?;
    let refused = |messages: &[Message]| {
        let mut errors = crate::form_errors::FieldErrors::default();
        for message in messages {
            errors.add(lang, "statement", message.clone());
        }
        AppError::fields(&errors)
    };
    if let Some(problem) = file_problem {
        return Err(refused(&[problem]));
    }
    let file = file
        .ok_or_else(|| refused(&[Message::new("ledger-error-statement_empty").with("file", "statement")]))?;
    let rows = read_statement_upload(&file.file_name, &file.bytes, &state.config.read_limits)?
        .map_err(|messages| refused(&messages))?
        .lines;
    let id = state
        .store
        .import_statement(&actor, &code, &file.file_name, &sha256_hex(&file.bytes), &rows)
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { id })))
}
