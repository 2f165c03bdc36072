//! The JSON API, version 1, and its OpenAPI 3.1 document (generated from this code).
//! Public reference data and projects need no account; staff data checks the role.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use vereda_domain::accounts::Permission;
use vereda_store::audit::AuditQuery;

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem};
use crate::pages::MunicipalityFilter;

pub mod account;
pub mod accounts;
pub mod acts;
pub mod calls;
pub mod evaluation;
pub mod files;
pub mod followup;
pub mod formulations;
pub mod households;
pub mod inbox;
pub mod ledger;
pub mod monitoring;
pub mod open_data;
pub mod page;
pub mod petitions;
pub mod procedure;
pub mod targeting;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/api/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/api/v1/municipalities", get(municipalities))
        .route("/api/v1/departments", get(departments))
        .route("/api/v1/pdet-subregions", get(pdet_subregions))
        .route("/api/v1/projects", get(projects))
        .route("/api/v1/projects/{code}", get(project))
        .route("/api/v1/open-data/projects.json", get(open_data::projects_json))
        .route("/api/v1/open-data/projects.csv", get(open_data::projects_csv))
        .route(
            "/api/v1/open-data/indicators.json",
            get(open_data::indicators_json),
        )
        .route("/api/v1/open-data/indicators.csv", get(open_data::indicators_csv))
        .route(
            "/api/v1/open-data/measurements.json",
            get(open_data::measurements_json),
        )
        .route(
            "/api/v1/open-data/measurements.csv",
            get(open_data::measurements_csv),
        )
        .route(
            "/api/v1/open-data/iati-activities.xml",
            get(open_data::iati_activities),
        )
        .route(
            "/api/v1/open-data/projects.es.csv",
            get(open_data::projects_es_csv),
        )
        .route(
            "/api/v1/open-data/indicators.es.csv",
            get(open_data::indicators_es_csv),
        )
        .route(
            "/api/v1/open-data/measurements.es.csv",
            get(open_data::measurements_es_csv),
        )
        .route("/api/v1/open-data/projects.xlsx", get(open_data::projects_xlsx))
        .route(
            "/api/v1/open-data/indicators.xlsx",
            get(open_data::indicators_xlsx),
        )
        .route(
            "/api/v1/open-data/measurements.xlsx",
            get(open_data::measurements_xlsx),
        )
        .route("/api/v1/open-data/dictionary.csv", get(open_data::dictionary_csv))
        .route("/api/v1/calls", get(calls))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/screenings/{id}", get(screening))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/evaluations",
            axum::routing::post(evaluation::evaluate).layer(axum::extract::DefaultBodyLimit::max(
                crate::evaluation::EVALUATION_UPLOAD_LIMIT_BYTES,
            )),
        )
        .merge(account::routes())
        .merge(accounts::routes())
        .merge(files::routes())
        .merge(procedure::routes())
        .merge(monitoring::routes())
        .merge(ledger::routes())
        .merge(followup::routes())
        .merge(inbox::routes())
        .merge(calls::routes())
        .merge(households::routes())
        .merge(formulations::routes())
        .merge(targeting::routes())
        .merge(petitions::routes())
        .merge(acts::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(title = "vereda API", version = "1", description = "Territorial rural development co-financing: reference data, projects, calls and the audit log.\n\nAuthentication: staff calls take either the session cookie (a call that changes something then also sends the session's X-CSRF-Token, see /api/v1/me) or an API token issued by an administrator, sent as `Authorization: Bearer <token>` (security scheme `bearer`): the call acts as the token's account, with its role and office reach, and needs no CSRF token. An unknown or revoked token, or one of a disabled account, is 401 `error-bad_token`. Tokens work on /api/v1 only, never on the pages.\n\nLists (`/api/v1/projects`, `/api/v1/calls`, `/api/v1/audit`, `/api/v1/measurements`, `/api/v1/indicator-proposals`) come a page at a time: `?limit=N` (1 to 500, 50 by default) and `?after=CURSOR` answer `{\"items\": [...], \"next\": CURSOR or null}` and a `Link: <...>; rel=\"next\"` header while there is more. The cursor is opaque; a bad limit or cursor is 422 `error-bad_parameter`."),
    modifiers(&BearerScheme),
    paths(health, ready, municipalities, departments, pdet_subregions, projects, project, calls, screening, audit, me, account::change_password, evaluation::evaluate,
        open_data::projects_json, open_data::projects_csv, open_data::indicators_json, open_data::indicators_csv,
        open_data::measurements_json, open_data::measurements_csv, open_data::iati_activities,
        open_data::projects_es_csv, open_data::indicators_es_csv, open_data::measurements_es_csv,
        open_data::projects_xlsx, open_data::indicators_xlsx, open_data::measurements_xlsx,
        open_data::dictionary_csv,
        procedure::procedure, procedure::endorse, procedure::object, procedure::award, procedure::evidence, procedure::disburse,
        procedure::convene, procedure::session, procedure::schedule, procedure::concept, procedure::decide, procedure::close, procedure::sign,
        monitoring::submit_measurement, monitoring::review_measurement, monitoring::propose, monitoring::review_proposal,
        monitoring::pending_measurements, monitoring::pending_proposals,
        ledger::plan, ledger::request_change, ledger::review_change, ledger::ledger, ledger::reconciliation,
        ledger::record_movement, ledger::import_statement,
        followup::visits, followup::record_visit, followup::add_photo, followup::progress, followup::alerts,
        followup::closure, followup::close, followup::closure_pdf, followup::accompaniment,
        followup::schedule_activity, followup::deliver_activity,
        inbox::inbox,
        calls::call, calls::create, calls::offer_notice, calls::verification_decisions, calls::verification_decision_job, calls::households, calls::screen, calls::results,
        households::household, households::document, households::decide, households::parcel, households::title_study, households::field_visit,
        formulations::list, formulations::formulation, formulations::create, formulations::update, formulations::submission,
        targeting::targeting, targeting::create, targeting::document, targeting::import, targeting::interventions,
        targeting::preparation, targeting::add_preparation, targeting::photo,
        accounts::list, accounts::one, accounts::create, accounts::change, accounts::office,
        files::resolution, files::formulation_template, files::minutes, files::results_csv, files::results_xlsx, files::targeting_document,
        files::household_document, files::parcel_photo, files::preparation_minutes,
        petitions::file, petitions::report, petitions::list, petitions::petition, petitions::assign, petitions::answer, petitions::extend,
        acts::act, acts::verify, acts::life, acts::notify, acts::appeal, acts::decide, acts::appeal_document,
        acts::verification_life_of, acts::verification_notify, acts::verification_appeal,
        acts::verification_appeal_document, acts::verification_decide),
    components(schemas(Problem, ErrorCode, crate::form_errors::FieldProblem)),
    tags((name = "reference", description = "DIVIPOLA, PDET and IPM"), (name = "projects", description = "Projects and their results"), (name = "open data", description = "Projects, indicators and approved measurements as CSV, JSON and IATI 2.03 XML; no personal data"), (name = "staff", description = "Needs a staff session or an API token (Authorization: Bearer)"), (name = "procedure", description = "The procedure after formulation (Art. 23-27, 31-33), with the same checks as the pages. Needs a staff session; a call that changes something also needs the session's token in the X-CSRF-Token header (see /api/v1/me)"), (name = "accounts", description = "The administrator's accounts: list, create, role, standing and territorial office, audited; nobody changes their own"), (name = "files", description = "The acts and files the pages download (resolution, minutes, targeting documents, screening results, received documents, photos), with the same permission and office reach"), (name = "monitoring", description = "Measurements and changes of an indicator's baseline, goal or unit: one account submits, another approves (four eyes). Needs a staff session and, to change something, the X-CSRF-Token header"), (name = "petitions", description = "Citizens' petitions (PQRSD, Ley 1755 de 2015): filing and the monthly report need no account; the rest needs a role that answers petitions, within its office's department"), (name = "acts", description = "The legal life of the acts (Ley 1437 de 2011): an act by its verification code and the check of an uploaded PDF need no account and show no personal data; an award's notifications, appeals (recurso de reposición) and firmness need a staff session and, to change something, the X-CSRF-Token header"), (name = "ledger", description = "After the payment (Art. 29 par., 34): the investment plan frozen at the award and its changes (requested by the office, approved by the territorial director, another account), the controlled account's movements checked against the plan, bank statements and their reconciliation. Needs a staff session and, to change something, the X-CSRF-Token header"), (name = "followup", description = "Follow-up after the payment (Art. 31, 34-36): supervision visits with findings per plan line, photos with coordinates and commitments; progress (physical, financial, management) and alerts per project and for the office; the act of closure (the territorial director), after which nothing of the project changes. Needs a staff session and, to change something, the X-CSRF-Token header"))
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme: API tokens (see `crate::auth`).
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token issued by an administrator (/personal/administracion/cuentas/{id}/credenciales or `vereda token create`); /api/v1 only",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(Health {
            status: "ok",
            database: state.store.backend_name(),
        })
        .into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: state.store.backend_name(),
                }),
            )
                .into_response()
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `unavailable` (the database does not answer) or `migrations_pending` (the
    /// schema is older than this server).
    pub status: &'static str,
    pub database: &'static str,
}

/// Readiness: the database answers and its schema is current (a server whose migrations have
/// not run yet takes no traffic). `/healthz` stays liveness.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn ready(State(state): State<AppState>) -> Response {
    let database = state.store.backend_name();
    let status = match state.store.ready().await {
        Ok(true) => {
            return Json(Readiness {
                status: "ready",
                database,
            })
            .into_response();
        }
        Ok(false) => "migrations_pending",
        Err(error) => {
            tracing::error!(%error, "readiness check: database unreachable");
            "unavailable"
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(Readiness { status, database }),
    )
        .into_response()
}

#[derive(Serialize, ToSchema)]
pub struct Poverty {
    /// % of persons in multidimensional poverty.
    #[schema(value_type = String, example = "60.6")]
    pub total: Decimal,
    #[schema(value_type = Option<String>)]
    pub urban: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub rural: Option<Decimal>,
    pub reference_year: i16,
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct Municipality {
    /// DANE DIVIPOLA code.
    #[schema(example = "18753")]
    pub dane_code: String,
    pub name: String,
    /// municipality, island or non_municipalized_area.
    pub kind: String,
    pub department_code: String,
    pub department: String,
    pub pdet_subregion: Option<String>,
    pub ipm: Option<Poverty>,
}

/// Municipal units (DIVIPOLA), filtered like the municipalities page.
#[utoipa::path(get, path = "/api/v1/municipalities", tag = "reference", params(MunicipalityFilter),
    responses((status = 200, body = Vec<Municipality>), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn municipalities(
    State(state): State<AppState>,
    Query(filter): Query<MunicipalityFilter>,
) -> Result<Json<Vec<Municipality>>, AppError> {
    let rows = state.store.municipalities(&filter.to_query()?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|m| Municipality {
                ipm: m.ipm.map(|p| Poverty {
                    total: p.total,
                    urban: p.urban,
                    rural: p.rural,
                    reference_year: p.reference_year,
                    source: p.source,
                }),
                dane_code: m.dane_code,
                name: m.name,
                kind: m.kind,
                department_code: m.department_code,
                department: m.department,
                pdet_subregion: m.pdet_subregion,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Department {
    pub code: String,
    pub name: String,
}

/// The 33 departments.
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference", responses((status = 200, body = Vec<Department>)))]
async fn departments(State(state): State<AppState>) -> Result<Json<Vec<Department>>, AppError> {
    let rows = state.store.departments().await?;
    Ok(Json(
        rows.into_iter()
            .map(|d| Department {
                code: d.code,
                name: d.name,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct PdetSubregion {
    pub id: i32,
    pub name: String,
}

/// The 16 PDET subregions.
#[utoipa::path(get, path = "/api/v1/pdet-subregions", tag = "reference", responses((status = 200, body = Vec<PdetSubregion>)))]
async fn pdet_subregions(State(state): State<AppState>) -> Result<Json<Vec<PdetSubregion>>, AppError> {
    let rows = state.store.pdet_subregions().await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| PdetSubregion {
                id: s.id,
                name: s.name,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectSummary {
    pub code: String,
    pub title: String,
    #[schema(value_type = String, format = Date)]
    pub period_start: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub period_end: jiff::civil::Date,
    /// planned, awarded, in_execution, ended or closed, read from the records.
    pub status: String,
    /// Totals by currency code; currencies are never added together.
    #[schema(value_type = BTreeMap<String, String>)]
    pub totals: BTreeMap<String, Decimal>,
    pub indicators: usize,
}

fn totals_by_code(totals: &BTreeMap<vereda_domain::money::Currency, Decimal>) -> BTreeMap<String, Decimal> {
    totals
        .iter()
        .map(|(currency, amount)| (currency.to_string(), *amount))
        .collect()
}

/// Which page of a list: `limit` items (1 to 500, 50 by default) after the cursor `after`
/// (the `next` of the page before).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page: 1 to 500; 50 by default.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// The `next` of the previous page; absent for the first page.
    pub after: Option<String>,
}

/// Every project, by code, a page at a time.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(PageParams),
    responses((status = 200, body = page::Page<ProjectSummary>, headers(("Link" = String, description = "`<…?after=…>; rel=\"next\"` when there is a next page"))),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn projects(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
    uri: Uri,
) -> Result<Response, AppError> {
    let request = page::read::<String>(params.limit.as_deref(), params.after.as_deref())?;
    let rows = state
        .store
        .project_page(request.after.as_deref(), request.limit + 1)
        .await?;
    let page = page::Page::of(
        rows,
        request.limit,
        |p| p.code.clone(),
        |p| ProjectSummary {
            totals: totals_by_code(&p.totals),
            status: p.status.to_string(),
            code: p.code,
            title: p.title,
            period_start: p.period_start,
            period_end: p.period_end,
            indicators: p.indicators,
        },
    );
    Ok(page::respond(page, &uri))
}

#[derive(Serialize, ToSchema)]
pub struct FundingLine {
    /// The organisation that puts the money in.
    pub source: String,
    /// Its role: `donor`, `institute` or `counterpart`.
    pub role: String,
    /// COP, EUR or USD.
    pub currency: String,
    #[schema(value_type = String)]
    pub amount: Decimal,
}

#[derive(Serialize, ToSchema)]
pub struct Indicator {
    pub number: i32,
    pub name: String,
    /// number, km, ha, %, COP or EUR.
    pub unit: String,
    #[schema(value_type = String)]
    pub baseline: Decimal,
    #[schema(value_type = String)]
    pub goal: Decimal,
    #[schema(value_type = String)]
    pub current_value: Decimal,
    #[schema(value_type = Option<String>)]
    pub current_women: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub current_men: Option<Decimal>,
    pub by_sex: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub last_update: Option<jiff::civil::Date>,
    /// floor(100 × current / goal).
    pub advance_percent: Option<u32>,
    /// planned, in_execution, achieved or closed.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Partner {
    pub name: String,
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct AwardReference {
    pub number: String,
    #[schema(value_type = String, format = Date)]
    pub awarded_on: jiff::civil::Date,
    /// The institute's contribution the award committed (COP).
    #[schema(value_type = String)]
    pub committed: Decimal,
    /// The single disbursement (Art. 33), when paid.
    #[schema(value_type = Option<String>)]
    pub disbursed: Option<Decimal>,
    #[schema(value_type = Option<String>, format = Date)]
    pub disbursed_on: Option<jiff::civil::Date>,
    /// What the controlled account's payments executed (Art. 34).
    #[schema(value_type = String)]
    pub executed: Decimal,
    /// The date of the latest payment.
    #[schema(value_type = Option<String>, format = Date)]
    pub executed_until: Option<jiff::civil::Date>,
    /// Physical progress in percent from the supervision visits (Art. 34).
    #[schema(value_type = Option<String>)]
    pub physical_progress: Option<Decimal>,
    /// The date of the act of closure, once closed.
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<jiff::civil::Date>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectCard {
    pub code: String,
    pub title: String,
    pub subtitle: String,
    pub tagline: String,
    #[schema(value_type = String, format = Date)]
    pub period_start: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub period_end: jiff::civil::Date,
    /// planned, awarded, in_execution, ended or closed, read from the records.
    pub status: String,
    /// The resolution that opened the project (Art. 27), when an award did.
    pub award: Option<AwardReference>,
    pub description: String,
    pub peace_contribution: String,
    pub general_objective: String,
    pub specific_objectives: Vec<String>,
    pub funding: Vec<FundingLine>,
    #[schema(value_type = BTreeMap<String, String>)]
    pub totals: BTreeMap<String, Decimal>,
    pub indicators: Vec<Indicator>,
    pub partners: Vec<Partner>,
    /// DANE codes of the municipalities covered.
    pub municipalities: Vec<String>,
}

/// A project card: everything the public card shows.
#[utoipa::path(get, path = "/api/v1/projects/{code}", tag = "projects", params(("code" = String, Path, description = "Project code, e.g. T06.60,61,62")),
    responses((status = 200, body = ProjectCard), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn project(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ProjectCard>, AppError> {
    let card = state
        .store
        .project_card(&code)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, crate::error::not_found("project", &code)))?;
    Ok(Json(ProjectCard {
        totals: totals_by_code(&card.totals),
        status: card.status.to_string(),
        award: card.award.map(|a| AwardReference {
            committed: a.flow.committed,
            disbursed: a.flow.disbursed,
            disbursed_on: a.flow.disbursed_on,
            executed: a.flow.executed,
            executed_until: a.flow.expenditures.last().map(|(on, _)| *on),
            physical_progress: a.flow.physical,
            closed_on: a.flow.closed_on,
            number: a.number,
            awarded_on: a.awarded_on,
        }),
        funding: card
            .funding
            .into_iter()
            .map(|f| FundingLine {
                role: f.role.to_string(),
                source: f.source,
                currency: f.currency.to_string(),
                amount: f.amount,
            })
            .collect(),
        indicators: card
            .indicators
            .into_iter()
            .map(|i| Indicator {
                unit: i.unit.to_string(),
                status: i.status.to_string(),
                number: i.number,
                name: i.name,
                baseline: i.baseline,
                goal: i.goal,
                current_value: i.current_value,
                current_women: i.current_women,
                current_men: i.current_men,
                by_sex: i.by_sex,
                last_update: i.last_update,
                advance_percent: i.advance_percent,
            })
            .collect(),
        partners: card
            .partners
            .into_iter()
            .map(|p| Partner {
                name: p.name,
                role: p.role.to_string(),
            })
            .collect(),
        code: card.code,
        title: card.title,
        subtitle: card.subtitle,
        tagline: card.tagline,
        period_start: card.period_start,
        period_end: card.period_end,
        description: card.description,
        peace_contribution: card.peace_contribution,
        general_objective: card.general_objective,
        specific_objectives: card.specific_objectives,
        municipalities: card.municipalities,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Call {
    pub id: i32,
    pub program: String,
    pub code: String,
    pub name: String,
    pub budget_year: i16,
    #[schema(value_type = String)]
    pub budget_cop: Decimal,
    #[schema(value_type = String)]
    pub smmlv_cop: Decimal,
    pub rule_set_id: String,
    /// general or arel.
    pub line: String,
    pub status: String,
    pub territorial_offices: Vec<String>,
    pub households: u64,
}

/// The program's calls (vigencias), by id, a page at a time.
#[utoipa::path(get, path = "/api/v1/calls", tag = "staff", params(PageParams),
    responses((status = 200, body = page::Page<Call>, headers(("Link" = String, description = "`<…?after=…>; rel=\"next\"` when there is a next page"))),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn calls(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<PageParams>,
    uri: Uri,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewCalls)?;
    let request = page::read::<i32>(params.limit.as_deref(), params.after.as_deref())?;
    let reach = visitor.reach(&state.store).await?;
    let rows = state
        .store
        .call_page(&reach, request.after, request.limit + 1)
        .await?;
    let page = page::Page::of(
        rows,
        request.limit,
        |c| c.id,
        |c| Call {
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
        },
    );
    Ok(page::respond(page, &uri))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Table name, e.g. `users`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Only entries older than this id.
    pub before_id: Option<i64>,
    /// Entries per page: 1 to 500; 50 by default.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// The `next` of the previous page (older entries); absent for the newest.
    pub after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    /// create, update or delete; for accounts also login_succeeded, login_failed, login_throttled, logout, password_changed; subject_access for a data subject's request.
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// The audit log, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/audit", tag = "staff", params(AuditFilter),
    responses((status = 200, body = page::Page<AuditEntry>, headers(("Link" = String, description = "`<…?after=…>; rel=\"next\"` when there is a next page"))),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn audit(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(filter): Query<AuditFilter>,
    uri: Uri,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewAuditLog)?;
    let request = page::read::<i64>(filter.limit.as_deref(), filter.after.as_deref())?;
    // Newest first: the next page holds the entries older than the last one shown.
    let before_id = match (filter.before_id, request.after) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let query = AuditQuery {
        entity: filter.entity,
        entity_id: filter.entity_id,
        before_id,
        limit: request.limit + 1,
    };
    let rows = state.store.audit_entries(&query).await?;
    let sees = visitor.can(Permission::ViewFullDocuments);
    let page = page::Page::of(
        rows,
        request.limit,
        |e| e.id,
        |e| {
            let e = e.masked(sees);
            AuditEntry {
                action: e.action.to_string(),
                id: e.id,
                at: e.at,
                actor: e.actor,
                entity: e.entity,
                entity_id: e.entity_id,
                before: e.before,
                after: e.after,
            }
        },
    );
    Ok(page::respond(page, &uri))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// The session's anti-forgery token: send it as `X-CSRF-Token` with every call that
    /// changes something. Null for a call authenticated by an API token (no CSRF token needed).
    #[schema(required = true)]
    pub csrf_token: Option<String>,
}

/// The account of the current session or API token.
#[utoipa::path(get, path = "/api/v1/me", tag = "staff", responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(visitor: Visitor) -> Result<Json<Me>, AppError> {
    let account = visitor.require(Permission::ViewStaffArea)?;
    Ok(Json(Me {
        id: account.id,
        email: account.email.clone(),
        display_name: account.display_name.clone(),
        role: account.role.to_string(),
        csrf_token: visitor.session_csrf_token().await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ScreeningProgress {
    /// Bytes of the household file read so far.
    pub bytes_read: u64,
    pub total_bytes: u64,
    /// Households screened so far.
    pub rows: u64,
    /// Results stored so far.
    pub stored: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ScreeningGroup {
    pub households: u64,
    pub eligible: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ScreeningCounts {
    /// Households per reason code that fired.
    pub by_reason: BTreeMap<String, u64>,
    /// By DANE municipality code.
    pub by_municipality: BTreeMap<String, ScreeningGroup>,
    /// By Sisbén level: `1`, `2`, `3`, or `none` when the score falls in no level.
    pub by_sisben_level: BTreeMap<String, ScreeningGroup>,
}

/// A file given to a screening.
#[derive(Serialize, ToSchema)]
pub struct ScreeningFile {
    /// `households` or the registry's name.
    pub kind: String,
    pub file_name: String,
    /// The text's encoding for a CSV file: `utf-8`, or `windows-1252` (Excel's "CSV
    /// (delimitado por comas)" in Spanish); null for a spreadsheet.
    pub encoding: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ScreeningStatus {
    pub id: i32,
    pub call_id: i32,
    /// The files given, and the encoding each was read in.
    pub files: Vec<ScreeningFile>,
    /// queued, running, succeeded or failed.
    pub status: String,
    pub rule_set_id: String,
    /// SHA-256 of the rule-set file the households were screened with.
    pub rule_set_hash: String,
    #[schema(value_type = String, format = Date)]
    pub as_of: jiff::civil::Date,
    pub progress: ScreeningProgress,
    pub households_total: u64,
    pub eligible_total: u64,
    /// Rows of the files with errors (rejected, or skipped with keep_going).
    pub error_count: u64,
    /// Why the screening failed, when not for rows with errors, in the caller's language.
    pub failure: Option<String>,
    /// The stable code of `failure` (see docs/errors.md).
    pub failure_code: Option<String>,
    /// The results' counts, once the screening has succeeded.
    pub counts: Option<ScreeningCounts>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<jiff::Timestamp>,
}

/// A batch screening: its status, progress while it runs, and counts when it is done.
#[utoipa::path(get, path = "/api/v1/screenings/{id}", tag = "staff", params(("id" = i32, Path, description = "Screening run id")),
    responses((status = 200, body = ScreeningStatus), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn screening(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Json<ScreeningStatus>, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let run = state.store.screening_run(id).await?.ok_or_else(|| {
        AppError::said(
            ErrorCode::NotFound,
            crate::error::not_found("screening run", &id.to_string()),
        )
    })?;
    let progress = crate::screening::progress_of(&state, &run);
    let counts = if run.status == vereda_store::screening::RunStatus::Succeeded {
        let counts = state.store.screening_counts(run.id).await?;
        let group = |g: &vereda_store::screening::GroupCount| ScreeningGroup {
            households: g.households,
            eligible: g.eligible,
        };
        Some(ScreeningCounts {
            by_municipality: counts
                .by_municipality
                .iter()
                .map(|(code, g)| (code.clone(), group(g)))
                .collect(),
            by_sisben_level: counts
                .by_sisben_level
                .iter()
                .map(|(level, g)| {
                    (
                        level.map_or_else(|| "none".to_owned(), |l| l.to_string()),
                        group(g),
                    )
                })
                .collect(),
            by_reason: counts.by_reason,
        })
    } else {
        None
    };
    let files = run
        .inputs
        .iter()
        .map(|i| ScreeningFile {
            kind: i.kind.clone(),
            file_name: i.file_name.clone(),
            encoding: i.encoding.clone(),
        })
        .collect();
    Ok(Json(ScreeningStatus {
        id: run.id,
        call_id: run.call_id,
        files,
        status: run.status.to_string(),
        progress: ScreeningProgress {
            bytes_read: progress.bytes_read,
            total_bytes: progress.total_bytes,
            rows: progress.rows,
            stored: progress.stored,
        },
        rule_set_id: run.rule_set_id,
        rule_set_hash: run.rule_set_hash,
        as_of: run.as_of,
        households_total: run.households_total,
        eligible_total: run.eligible_total,
        error_count: run.error_count,
        failure_code: run.failure.as_ref().map(|m| m.code().to_owned()),
        failure: run.failure.as_ref().map(|m| visitor.lang.say(m)),
        counts,
        created_at: run.created_at,
        finished_at: run.finished_at,
    }))
}
