//! The call's stages over the JSON API (Art. 5-14): one call, creating a call, the offer's
//! notice, the call's households, a batch screening's submission and its results. Each step
//! calls the function its page calls, so the checks of role, office and state are the same;
//! a step that changes something needs the session's token in `X-CSRF-Token`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::number::format_number;
use vereda_store::households::HouseholdSummary;
use vereda_store::verification::OfferNotice;

use super::Call;
use super::PageParams;
use super::page;
use super::procedure::{Amount, csrf_of, read_json};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem, not_found};
use crate::i18n::Message;
use crate::pages::calls::CallForm;
use crate::pages::screening::Submitted;
use crate::screening::SCREENING_UPLOAD_LIMIT_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calls", post(create))
        .route("/api/v1/calls/{id}", get(call))
        .route("/api/v1/calls/{id}/offer-notice", post(offer_notice))
        .route(
            "/api/v1/calls/{id}/verification/decisions",
            post(verification_decisions),
        )
        .route(
            "/api/v1/calls/{id}/verification/decisions/{bulk}",
            get(verification_decision_job),
        )
        .route("/api/v1/calls/{id}/households", get(households))
        .route(
            "/api/v1/calls/{id}/screenings",
            post(screen).layer(DefaultBodyLimit::max(SCREENING_UPLOAD_LIMIT_BYTES)),
        )
        .route("/api/v1/screenings/{id}/results", get(results))
}

pub(crate) fn call_of(c: vereda_store::programs::Call) -> Call {
    Call {
        line: c.line.to_string(),
        status: c.status.to_string(),
        id: c.id,
        program: c.program,
        code: c.code,
        name: c.name,
        budget_year: c.budget_year,
        budget_cop: c.budget_cop,
        smmlv_cop: c.smmlv_cop,
        rule_set_id: c.rule_set_id,
        territorial_offices: c.territorial_offices,
        households: c.households,
    }
}

/// One call (vigencia).
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "stages",
    params(("id" = i32, Path, description = "Call id")),
    responses((status = 200, body = Call),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such call, or another office's", body = Problem, content_type = "application/problem+json")))]
pub async fn call(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<Call>, AppError> {
    visitor.require(Permission::ViewCalls)?;
    let found = state
        .store
        .call(id)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("call", &id.to_string())))?;
    Ok(Json(call_of(found)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"program_id": 1, "code": "2026-GEN", "name": "Convocatoria 2026", "budget_year": 2026,
    "budget_cop": "12000000000", "rule_set": "acuerdo-2012", "territorial_office_ids": [1], "line": "general"}))]
pub struct CallRequest {
    pub program_id: i32,
    /// At most 40 characters, unused by another call.
    pub code: String,
    pub name: String,
    /// 2000 to 2100.
    pub budget_year: i32,
    /// A decimal string or a JSON number, positive.
    #[schema(value_type = String, example = "12000000000")]
    pub budget_cop: Amount,
    /// A shipped rule set's id.
    pub rule_set: String,
    /// The year's SMMLV; absent, the shipped one for the budget year.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub smmlv_cop: Option<Amount>,
    #[serde(default)]
    pub territorial_office_ids: Vec<i32>,
    /// general or arel.
    pub line: String,
    /// AREL only (Art. 43): the maximum co-financing percentage, over 0 and at most 100.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub arel_max_pct: Option<Amount>,
    /// AREL only: the cap in SMMLV.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub arel_cap_smmlv: Option<Amount>,
}

/// An amount as the form's field holds it, for the form's own reader.
fn typed(amount: Option<&Amount>, field: &'static str) -> Result<String, AppError> {
    Ok(amount
        .map(|a| a.read(field))
        .transpose()?
        .map(|value: Decimal| format_number(value))
        .unwrap_or_default())
}

/// Creates a call, with the page's checks (`ManageCalls`); the problems of its fields come
/// back together (`form-error-fields`).
#[utoipa::path(post, path = "/api/v1/calls", tag = "stages",
    params(("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = CallRequest, content_type = "application/json"),
    responses((status = 201, body = Call),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that manages calls (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields with problems (`form-error-fields`), an amount that is not one (`api-error-amount`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: CallRequest = read_json(&body)?;
    let form = CallForm {
        program: input.program_id.to_string(),
        code: input.code.trim().to_owned(),
        name: input.name.trim().to_owned(),
        budget_year: input.budget_year.to_string(),
        budget_cop: typed(Some(&input.budget_cop), "budget_cop")?,
        rule_set: input.rule_set.trim().to_owned(),
        smmlv_cop: typed(input.smmlv_cop.as_ref(), "smmlv_cop")?,
        offices: (input.territorial_office_ids.iter())
            .map(ToString::to_string)
            .collect(),
        line: input.line.trim().to_owned(),
        arel_max_pct: typed(input.arel_max_pct.as_ref(), "arel_max_pct")?,
        arel_cap_smmlv: typed(input.arel_cap_smmlv.as_ref(), "arel_cap_smmlv")?,
    };
    match crate::pages::calls::create(&state, &visitor, csrf_of(&headers), form).await? {
        Ok(created) => {
            let location = format!("/api/v1/calls/{}", created.id);
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(call_of(created)),
            )
                .into_response())
        }
        Err((_, errors)) => Err(AppError::fields(&errors)),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notice_date": "2013-08-01", "text": "El instituto ofrece a los hogares preseleccionados..."}))]
pub struct NoticeRequest {
    #[schema(value_type = String, format = Date)]
    pub notice_date: String,
    pub text: String,
}

/// The notice of the institutional offer (Art. 11) and the deadline for the documents.
#[derive(Serialize, ToSchema)]
pub struct NoticeRecord {
    pub id: i32,
    pub call_id: i32,
    #[schema(value_type = String, format = Date)]
    pub notice_date: jiff::civil::Date,
    /// The 20th business day after the notice (Art. 14).
    #[schema(value_type = String, format = Date)]
    pub deadline: jiff::civil::Date,
    pub text: String,
}

impl From<OfferNotice> for NoticeRecord {
    fn from(n: OfferNotice) -> Self {
        Self {
            id: n.id,
            call_id: n.call_id,
            notice_date: n.notice_date,
            deadline: n.deadline,
            text: n.text,
        }
    }
}

/// Records the notice of the institutional offer of a call (Art. 11); the offer letters go out
/// after it (for a call of more than 5,000 households, written by a job: the call's page counts
/// them). Once per call.
#[utoipa::path(post, path = "/api/v1/calls/{id}/offer-notice", tag = "stages",
    params(("id" = i32, Path, description = "Call id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = NoticeRequest, content_type = "application/json"),
    responses((status = 201, body = NoticeRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Given already (`verification-error-notice_exists`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a date (`verification-error-not_a_date`), no text (`verification-error-notice_text`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn offer_notice(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<(StatusCode, Json<NoticeRecord>), AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: NoticeRequest = read_json(&body)?;
    let notice = crate::pages::verification::record_offer_notice(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        &input.notice_date,
        &input.text,
    )
    .await??;
    Ok((StatusCode::CREATED, Json(notice.into())))
}

/// The households of a call a decision in bulk takes by filter: the list's search and filters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// Words to find (the head's name, document, the household's id).
    #[serde(default)]
    pub q: String,
    /// A DANE municipality code.
    #[serde(default)]
    pub municipio: String,
    /// A verification status: pending, eligible, not_eligible or withdrawn.
    #[serde(default)]
    pub estado: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"household_ids": [12, 15], "status": "not_eligible", "reasons": "No reside en el municipio focalizado."}))]
pub struct BulkDecisionRequest {
    /// The households chosen; or, instead, `filter`.
    #[serde(default)]
    pub household_ids: Option<Vec<i32>>,
    /// Every household of the call (within reach) that the filter matches.
    #[serde(default)]
    pub filter: Option<BulkFilter>,
    /// eligible, not_eligible or withdrawn.
    pub status: String,
    /// One motivation for all; required for not_eligible and withdrawn.
    #[serde(default)]
    pub reasons: String,
}

/// How one household of a decision in bulk ended.
#[derive(Serialize, ToSchema)]
pub struct BulkDecisionOutcome {
    pub household_id: i32,
    /// Empty when the household is not one of the call's within reach.
    pub external_id: String,
    pub decided: bool,
    /// The letter written with the decision.
    pub letter_id: Option<i32>,
    /// The refusal's code (see the errors' catalogue), when refused.
    pub code: Option<String>,
    /// The refusal in the request's language.
    pub detail: Option<String>,
    /// The article the refusal rests on, when it names one.
    pub article: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkDecisionReport {
    pub status: String,
    pub decided: usize,
    pub refused: usize,
    /// One per household, in the order decided.
    pub outcomes: Vec<BulkDecisionOutcome>,
}

/// A household of a decision in bulk run as a job that was refused.
#[derive(Serialize, ToSchema)]
pub struct BulkJobRefusal {
    pub household_id: i32,
    pub external_id: String,
    /// The refusal's code (see the errors' catalogue).
    pub code: String,
    /// The refusal in the request's language.
    pub detail: String,
    /// The article the refusal rests on, when it names one.
    pub article: Option<String>,
}

/// A decision in bulk decided by a job, and how far it got.
#[derive(Serialize, ToSchema)]
pub struct BulkDecisionJob {
    pub id: i32,
    pub call_id: i32,
    pub status: String,
    /// How many households the filter matched when it was asked.
    pub matching: u64,
    pub planned: u64,
    pub decided: u64,
    pub refused: u64,
    pub finished: bool,
    /// Where to follow it.
    pub location: String,
    /// The first refusals (at most 200), in household order.
    pub refusals: Vec<BulkJobRefusal>,
}

impl BulkDecisionJob {
    fn of(decision: vereda_store::bulk_decisions::BulkDecision, lang: crate::i18n::Lang) -> Self {
        use vereda_domain::verification::refusal_article;
        Self {
            location: format!(
                "/api/v1/calls/{}/verification/decisions/{}",
                decision.call_id, decision.id
            ),
            id: decision.id,
            call_id: decision.call_id,
            status: decision.status.to_string(),
            matching: decision.matching,
            planned: decision.planned,
            decided: decision.decided,
            refused: decision.refused,
            finished: decision.finished_at.is_some(),
            refusals: (decision.refusals.into_iter())
                .map(|r| BulkJobRefusal {
                    household_id: r.household_id,
                    external_id: r.external_id,
                    code: r.problem.code().to_owned(),
                    detail: lang.say(&r.problem),
                    article: Some(refusal_article(r.problem.code()).to_owned()).filter(|a| !a.is_empty()),
                })
                .collect(),
        }
    }
}

/// A decision in bulk decided by a job: how many households it matched, planned, decided and
/// refused, whether it finished, and its first refusals.
#[utoipa::path(get, path = "/api/v1/calls/{id}/verification/decisions/{bulk}", tag = "stages",
    params(("id" = i32, Path, description = "Call id"), ("bulk" = i32, Path, description = "The decision in bulk's id")),
    responses((status = 200, body = BulkDecisionJob),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn verification_decision_job(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, bulk)): Path<(i32, i32)>,
) -> Result<Json<BulkDecisionJob>, AppError> {
    let decision = crate::pages::verification::bulk_job_of(&state, &visitor, id, bulk).await?;
    Ok(Json(BulkDecisionJob::of(decision, visitor.lang)))
}

/// Decides many households of a call alike (one status, one motivation): chosen by id (at
/// most 5,000), or every one the filter matches within reach. Each is decided on its own by
/// the same rules as `POST /api/v1/households/{id}/decision` (its version as read now, its own
/// transaction and letter), so one refusal undoes nothing of the others: the answer says, per
/// household, decided or refused with its code and article. A filter matching more than 5,000
/// is decided by a job: the answer is 202 with the job's progress and where to follow it.
/// Calling it is the confirmation.
#[utoipa::path(post, path = "/api/v1/calls/{id}/verification/decisions", tag = "stages",
    params(("id" = i32, Path, description = "Call id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content = BulkDecisionRequest, content_type = "application/json"),
    responses((status = 200, body = BulkDecisionReport),
        (status = 202, description = "Decided by a job", body = BulkDecisionJob),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that verifies households (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status (`verification-error-status`), reasons required (`verification-error-reasons`), no household (`verification-error-bulk_none`), ids and a filter (`verification-error-bulk_both`), over the bound (`verification-error-bulk_too_many`), a bad body", body = Problem, content_type = "application/problem+json")))]
pub async fn verification_decisions(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    use crate::pages::verification::{Selection, decide_in_bulk, plan_bulk_decision, request_bulk_job};
    use vereda_domain::verification::refusal_article;
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let input: BulkDecisionRequest = read_json(&body)?;
    let selection = match (input.household_ids, input.filter) {
        (Some(_), Some(_)) => {
            return Err(AppError::said(
                ErrorCode::InvalidInput,
                Message::new("verification-error-bulk_both"),
            ));
        }
        (Some(ids), None) => Selection::Chosen(ids),
        (None, Some(filter)) => Selection::Filter(Box::new(crate::lists::ListParams {
            q: filter.q,
            municipio: filter.municipio,
            estado: filter.estado,
            ..Default::default()
        })),
        (None, None) => Selection::Chosen(Vec::new()),
    };
    let plan = plan_bulk_decision(
        &state,
        &visitor,
        csrf_of(&headers),
        id,
        &selection,
        &input.status,
        &input.reasons,
    )
    .await??;
    if let (Some(_), Selection::Filter(params)) = (plan.by_job, &selection) {
        let decision = request_bulk_job(&state, &visitor, id, &plan, params, &input.reasons).await?;
        let job = BulkDecisionJob::of(decision, visitor.lang);
        let location = job.location.clone();
        return Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(job)).into_response());
    }
    let outcomes = decide_in_bulk(&state, &visitor, id, &plan, &input.reasons).await?;
    let lang = visitor.lang;
    let outcomes: Vec<BulkDecisionOutcome> = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(letter) => BulkDecisionOutcome {
                household_id: o.household_id,
                external_id: o.external_id,
                decided: true,
                letter_id: Some(letter.id),
                code: None,
                detail: None,
                article: None,
            },
            Err(message) => BulkDecisionOutcome {
                household_id: o.household_id,
                external_id: o.external_id,
                decided: false,
                letter_id: None,
                article: Some(refusal_article(message.code()).to_owned()).filter(|a| !a.is_empty()),
                code: Some(message.code().to_owned()),
                detail: Some(lang.say(&message)),
            },
        })
        .collect();
    let decided = outcomes.iter().filter(|o| o.decided).count();
    Ok(Json(BulkDecisionReport {
        status: plan.status.to_string(),
        refused: outcomes.len() - decided,
        decided,
        outcomes,
    })
    .into_response())
}

/// A household as staff read it: personal data masked unless the role sees it whole.
#[derive(Serialize, ToSchema)]
pub struct HouseholdItem {
    pub id: i32,
    pub call_id: Option<i32>,
    pub external_id: String,
    /// DANE code.
    pub municipality_code: String,
    pub head_name: String,
    pub head_document_type: String,
    /// Whole for roles with `ViewFullDocuments`; else its last three characters (`•••123`).
    pub head_document: String,
    pub members: usize,
    pub parcels: usize,
    /// Null for roles without `ViewFullDocuments`.
    #[schema(value_type = Option<String>)]
    pub sisben_score: Option<Decimal>,
    pub displaced: bool,
    pub ethnic_group: String,
    pub email: Option<String>,
    pub correspondence_address: Option<String>,
}

impl From<HouseholdSummary> for HouseholdItem {
    fn from(h: HouseholdSummary) -> Self {
        Self {
            id: h.id,
            call_id: h.call_id,
            external_id: h.external_id,
            municipality_code: h.municipality_code,
            head_name: h.head_name,
            head_document_type: h.head_document_type,
            head_document: h.head_document,
            members: h.members,
            parcels: h.parcels,
            sisben_score: h.sisben_score,
            displaced: h.displaced,
            ethnic_group: h.ethnic_group,
            email: h.email,
            correspondence_address: h.correspondence_address,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdList {
    pub items: Vec<HouseholdItem>,
    /// The `after` of the next page (a household id); null on the last.
    pub next: Option<String>,
}

/// A call's households within the reader's reach, as the page lists them: the page's search
/// (`q`, accents and case aside), filters (`municipio`, `estado`) and sort (`orden`); with
/// `after` in registration order, else by `pagina`.
#[utoipa::path(get, path = "/api/v1/calls/{id}/households", tag = "stages",
    params(("id" = i32, Path, description = "Call id"), PageParams, crate::lists::ListParams),
    responses((status = 200, body = HouseholdList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad limit or cursor (`error-bad_parameter`)", body = Problem, content_type = "application/problem+json")))]
pub async fn households(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(paging): Query<PageParams>,
    Query(params): Query<crate::lists::ListParams>,
) -> Result<Json<HouseholdList>, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let request = page::read::<i32>(paging.limit.as_deref(), paging.after.as_deref())?;
    let (_, found) = crate::pages::staff::households_of_call_after(
        &state,
        &visitor,
        id,
        &params,
        request.after,
        request.limit + 1,
    )
    .await?;
    let page = page::Page::of(found, request.limit, |h| h.id, Into::into);
    // The cursor walks the registration order; a sorted list pages with `pagina`.
    let sorted = request.after.is_none() && !params.orden.trim().is_empty();
    Ok(Json(HouseholdList {
        items: page.items,
        next: if sorted { None } else { page.next },
    }))
}

/// A screening's submission accepted: the run to follow.
#[derive(Serialize, ToSchema)]
pub struct ScreeningAccepted {
    pub run_id: i32,
    /// queued, running, succeeded or failed.
    pub status: String,
    /// The run of the same files, rules and date, already there: nothing new runs.
    pub reused: bool,
}

/// Submits a batch screening of the call (Art. 7-10), as the page's form: a multipart body
/// with the household file (`households`: CSV, TXT, XLSX, XLS or ODS), each registry as
/// `registry_<name>`, and the fields `as_of` (date), `rule_set`, `keep_going`,
/// `reuse_registries`, `arel_max_pct`, `arel_cap_smmlv`. The job runs in the background:
/// follow it at the `Location`.
#[utoipa::path(post, path = "/api/v1/calls/{id}/screenings", tag = "stages",
    params(("id" = i32, Path, description = "Call id"),
        ("X-CSRF-Token" = String, Header, description = "The session's anti-forgery token (`GET /api/v1/me`)")),
    request_body(content_type = "multipart/form-data", description = "The household file, the registries and the form's fields"),
    responses((status = 202, body = ScreeningAccepted, headers(("Location" = String, description = "/api/v1/screenings/{run_id}"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a role that runs screenings (`forbidden`), or no CSRF token", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The form's problems (`api-error-screening`)", body = Problem, content_type = "application/problem+json")))]
pub async fn screen(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    visitor.require(Permission::RunScreening)?;
    visitor.check_csrf(csrf_of(&headers)).await?;
    let submitted =
        crate::pages::screening::submit_files(&state, &visitor, Some(csrf_of(&headers)), id, multipart)
            .await?;
    let (run, reused) = match submitted {
        Submitted::Queued(run) => (run, false),
        Submitted::Reused(run) => (run, true),
        Submitted::Refused { errors, .. } => {
            return Err(AppError::said(
                ErrorCode::InvalidInput,
                Message::new("api-error-screening").with("problems", errors.join(" · ")),
            ));
        }
    };
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/screenings/{}", run.id))],
        Json(ScreeningAccepted {
            run_id: run.id,
            status: run.status.to_string(),
            reused,
        }),
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultFilter {
    /// Only households for which this reason code fired.
    pub reason: Option<String>,
    /// Only this DANE municipality.
    pub municipality: Option<String>,
    /// A Sisbén level (`1`, `2`, `3`), or `none`.
    pub level: Option<String>,
    /// Items per page: 1 to 500; 50 by default.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// The `next` of the previous page; absent for the first.
    pub after: Option<String>,
}

/// One household's outcome in a run.
#[derive(Serialize, ToSchema)]
pub struct ScreeningResult {
    pub household_id: i32,
    pub external_id: String,
    /// Its place in the input, the list's order.
    pub position: i32,
    /// The line of the household file.
    pub line: i32,
    pub eligible: bool,
    pub sisben_level: Option<u8>,
    #[schema(value_type = Option<String>)]
    pub cofinancing_max_pct: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub cap_smmlv: Option<Decimal>,
    /// The reason codes that fired.
    pub reasons: Vec<String>,
    pub municipality_code: String,
    /// Always masked: the last three characters.
    pub head_document_masked: String,
}

#[derive(Serialize, ToSchema)]
pub struct ScreeningResults {
    pub run_id: i32,
    /// The results that match the filters, on every page.
    pub total: u64,
    pub items: Vec<ScreeningResult>,
    /// The `after` of the next page (a position); null on the last.
    pub next: Option<String>,
}

/// A finished run's results within the reader's reach, in input order, filtered like the
/// page's filters.
#[utoipa::path(get, path = "/api/v1/screenings/{id}/results", tag = "stages",
    params(("id" = i32, Path, description = "Screening run id"), ResultFilter),
    responses((status = 200, body = ScreeningResults),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run has not succeeded (`screening-no_results`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad limit or cursor (`error-bad_parameter`)", body = Problem, content_type = "application/problem+json")))]
pub async fn results(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(filter): Query<ResultFilter>,
) -> Result<Json<ScreeningResults>, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let request = page::read::<i32>(filter.limit.as_deref(), filter.after.as_deref())?;
    let run =
        state.store.screening_run(id).await?.ok_or_else(|| {
            AppError::said(ErrorCode::NotFound, not_found("screening run", &id.to_string()))
        })?;
    if run.status != vereda_store::screening::RunStatus::Succeeded {
        return Err(AppError::said(
            ErrorCode::Conflict,
            Message::new("screening-no_results"),
        ));
    }
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let query = vereda_store::screening::ResultQuery {
        after_position: request.after,
        limit: request.limit + 1,
        ..crate::pages::screening::result_query(
            &state,
            &visitor,
            run.id,
            &text(&filter.reason),
            &text(&filter.municipality),
            &text(&filter.level),
        )
        .await?
    };
    let found = state.store.screening_results(&query).await?;
    let page::Page { items: rows, next } = page::Page::of(found.rows, request.limit, |r| r.position, |r| r);
    Ok(Json(ScreeningResults {
        run_id: run.id,
        total: found.total,
        items: rows
            .into_iter()
            .map(|r| ScreeningResult {
                household_id: r.household_id,
                external_id: r.external_id,
                position: r.position,
                line: r.line,
                eligible: r.eligible,
                sisben_level: r.sisben_level,
                cofinancing_max_pct: r.cofinancing_max_pct,
                cap_smmlv: r.cap_smmlv,
                reasons: r.reasons,
                municipality_code: r.municipality_code,
                head_document_masked: r.head_document_masked,
            })
            .collect(),
        next,
    }))
}
