//! Open data: projects, indicators and approved measurements as CSV and JSON, and every
//! activity as IATI 2.03 XML. Nothing personal is in them: no submitter, no reviewer, no
//! evidence file.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vereda_documents::iati::{Publisher, activities_xml};
use vereda_domain::monitoring::{IndicatorProgress, PublishedMeasurement};
use vereda_store::projects::{ProjectFilter, ProjectSummary};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::open_tables::{self, Cell, Dataset, Flavour, Table};
use crate::public_cache::serve_public;

/// The IATI organisation identifier of the publisher when none is configured
/// (`WebConfig::iati_publisher`): a placeholder in the form of a Colombian NIT.
pub const IATI_PUBLISHER_REFERENCE: &str = "CO-NIT-8999990001";

/// Who publishes the IATI activities: the configured identifier, the program's name, a
/// government body (`OrganisationType` 10), and the site whose cards the activities link.
pub fn iati_publisher(config: &crate::WebConfig) -> Publisher<'_> {
    Publisher {
        reference: config
            .iati_publisher
            .as_deref()
            .unwrap_or(IATI_PUBLISHER_REFERENCE),
        name: "Programa de cofinanciación de proyectos de desarrollo rural con enfoque territorial",
        org_type: "10",
        language: "es",
        site: config.public_url(),
    }
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const JSON: &str = "application/json";
const XML: &str = "application/xml; charset=utf-8";

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectScope {
    /// Only this project's rows (its code, e.g. `T06.60,61,62`).
    pub project: Option<String>,
}

impl ProjectScope {
    fn admits(&self, code: &str) -> bool {
        self.project.as_deref().is_none_or(|wanted| wanted == code)
    }
}

/// A project as the open data list it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenProject {
    pub code: String,
    pub title: String,
    /// planned, in_execution, achieved or closed.
    pub status: String,
    #[schema(value_type = String, format = Date)]
    pub period_start: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub period_end: jiff::civil::Date,
    /// Total in pesos, if the project has funding in COP.
    #[schema(value_type = Option<String>)]
    pub total_cop: Option<Decimal>,
    /// Total in euros, if the project has funding in EUR.
    #[schema(value_type = Option<String>)]
    pub total_eur: Option<Decimal>,
    /// Total in dollars, if the project has funding in USD.
    #[schema(value_type = Option<String>)]
    pub total_usd: Option<Decimal>,
    /// DANE department codes.
    pub departments: Vec<String>,
    pub pdet_subregions: Vec<String>,
    pub value_chains: Vec<String>,
    pub funders: Vec<String>,
    pub municipalities: usize,
    pub indicators: usize,
    /// The institute's contribution the award committed, in pesos, once awarded.
    #[schema(value_type = Option<String>)]
    pub awarded_cop: Option<Decimal>,
    #[schema(value_type = Option<String>, format = Date)]
    pub awarded_on: Option<jiff::civil::Date>,
    /// The single disbursement, in pesos, once paid.
    #[schema(value_type = Option<String>)]
    pub disbursed_cop: Option<Decimal>,
    #[schema(value_type = Option<String>, format = Date)]
    pub disbursed_on: Option<jiff::civil::Date>,
    /// What the controlled account's payments executed, in pesos (the ledger), once awarded.
    #[schema(value_type = Option<String>)]
    pub executed_cop: Option<Decimal>,
    /// Physical progress in percent from the supervision visits, once a plan is kept.
    #[schema(value_type = Option<String>)]
    pub physical_progress: Option<Decimal>,
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<jiff::civil::Date>,
}

impl From<ProjectSummary> for OpenProject {
    /// The project's stored summary, with the money its award's card shows.
    fn from(p: ProjectSummary) -> Self {
        let award = p.award.as_ref();
        let flow = award.map(|a| &a.flow);
        let total = |code: &str| {
            p.totals
                .iter()
                .find(|(currency, _)| currency.as_str() == code)
                .map(|(_, amount)| *amount)
        };
        OpenProject {
            total_cop: total("COP"),
            total_eur: total("EUR"),
            total_usd: total("USD"),
            status: p.status.to_string(),
            code: p.code,
            title: p.title,
            period_start: p.period_start,
            period_end: p.period_end,
            departments: p.departments,
            pdet_subregions: p.pdet_subregions,
            value_chains: p.value_chains,
            funders: p.funders,
            municipalities: p.municipalities,
            indicators: p.indicators,
            awarded_cop: flow.map(|f| f.committed),
            awarded_on: award.map(|a| a.awarded_on),
            disbursed_cop: flow.and_then(|f| f.disbursed),
            disbursed_on: flow.and_then(|f| f.disbursed_on),
            executed_cop: flow.map(|f| f.executed),
            // As the summary stores it from the plan and the visits.
            physical_progress: award.and(p.progress.as_ref()).map(|g| g.physical),
            closed_on: flow.and_then(|f| f.closed_on),
        }
    }
}

/// An indicator with its latest approved value.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenIndicator {
    pub project_code: String,
    pub number: i32,
    pub name: String,
    /// number, km, ha, %, COP or EUR.
    pub unit: String,
    #[schema(value_type = String)]
    pub baseline: Decimal,
    #[schema(value_type = String)]
    pub goal: Decimal,
    pub higher_is_better: bool,
    pub by_sex: bool,
    #[schema(value_type = String)]
    pub current_value: Decimal,
    #[schema(value_type = Option<String>)]
    pub current_women: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub current_men: Option<Decimal>,
    #[schema(value_type = Option<String>, format = Date)]
    pub last_update: Option<jiff::civil::Date>,
    /// floor(100 × current / goal).
    pub advance_percent: Option<u32>,
    /// planned, in_execution, achieved or closed.
    pub status: String,
    /// Indicators with the same key add up across projects.
    pub rollup_key: Option<String>,
}

fn indicators_of(indicators: Vec<(String, IndicatorProgress)>) -> Vec<OpenIndicator> {
    indicators
        .into_iter()
        .map(|(project_code, i)| OpenIndicator {
            project_code,
            unit: i.unit.to_string(),
            status: i.status.to_string(),
            number: i.number,
            name: i.name,
            baseline: i.baseline,
            goal: i.goal,
            higher_is_better: i.higher_is_better,
            by_sex: i.by_sex,
            current_value: i.current_value,
            current_women: i.current_women,
            current_men: i.current_men,
            last_update: i.last_update,
            advance_percent: i.advance_percent,
            rollup_key: i.rollup_key,
        })
        .collect()
}

/// The indicators of the projects in `scope`, from the indicators' own rows.
async fn open_indicators(state: &AppState, scope: &ProjectScope) -> Result<Vec<OpenIndicator>, AppError> {
    Ok(indicators_of(
        state.store.published_indicators(scope.project.as_deref()).await?,
    ))
}

/// An approved measurement.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenMeasurement {
    pub project_code: String,
    pub indicator_number: i32,
    #[schema(value_type = String, format = Date)]
    pub measured_on: jiff::civil::Date,
    #[schema(value_type = String)]
    pub value: Decimal,
    #[schema(value_type = Option<String>)]
    pub value_women: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub value_men: Option<Decimal>,
    pub source: Option<String>,
}

impl From<PublishedMeasurement> for OpenMeasurement {
    fn from(m: PublishedMeasurement) -> Self {
        OpenMeasurement {
            project_code: m.project_code,
            indicator_number: m.indicator_number,
            measured_on: m.measured_on,
            value: m.value,
            value_women: m.value_women,
            value_men: m.value_men,
            source: m.source,
        }
    }
}

/// The projects in `scope` from their stored summaries, each with its award's money: no card
/// is built, so the tables cost one read of the summaries.
async fn open_projects(state: &AppState, scope: &ProjectScope) -> Result<Vec<OpenProject>, AppError> {
    Ok(state
        .store
        .projects(&ProjectFilter::default())
        .await?
        .into_iter()
        .filter(|p| scope.admits(&p.code))
        .map(OpenProject::from)
        .collect())
}

async fn open_measurements(
    state: &AppState,
    scope: &ProjectScope,
) -> Result<Vec<PublishedMeasurement>, AppError> {
    Ok(state
        .store
        .published_measurements(scope.project.as_deref())
        .await?)
}

fn json_bytes(value: &impl Serialize) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(value).map_err(|e| AppError::internal(&e))
}

macro_rules! open_data_endpoint {
    ($name:ident, $path:literal, $content:ident = $media:literal, $body:ty, $description:literal, |$state:ident, $scope:ident| $make:expr) => {
        #[doc = $description]
        #[utoipa::path(get, path = $path, tag = "open data", params(ProjectScope),
                                    responses((status = 200, description = $description, body = $body, content_type = $media)))]
        pub async fn $name(
            State($state): State<AppState>,
            visitor: Visitor,
            headers: HeaderMap,
            Query($scope): Query<ProjectScope>,
        ) -> Result<Response, AppError> {
            serve_public(&$state, &visitor, &headers, $content, false, async || $make).await
        }
    };
}

open_data_endpoint!(
    projects_json,
    "/api/v1/open-data/projects.json",
    JSON = "application/json",
    Vec<OpenProject>,
    "Every project with its totals by currency, territories, value chains and funders.",
    |state, scope| json_bytes(&open_projects(&state, &scope).await?)
);

open_data_endpoint!(
    projects_csv,
    "/api/v1/open-data/projects.csv",
    CSV = "text/csv",
    String,
    "The projects as CSV (UTF-8 with BOM); lists are joined with `; `.",
    |state, scope| project_table(&state, &scope).await?.csv(Flavour::Plain)
);

open_data_endpoint!(
    indicators_json,
    "/api/v1/open-data/indicators.json",
    JSON = "application/json",
    Vec<OpenIndicator>,
    "Every indicator with its baseline, goal, latest approved value and advance.",
    |state, scope| json_bytes(&open_indicators(&state, &scope).await?)
);

open_data_endpoint!(
    indicators_csv,
    "/api/v1/open-data/indicators.csv",
    CSV = "text/csv",
    String,
    "The indicators as CSV (UTF-8 with BOM).",
    |state, scope| indicator_table(&state, &scope).await?.csv(Flavour::Plain)
);

open_data_endpoint!(
    measurements_json,
    "/api/v1/open-data/measurements.json",
    JSON = "application/json",
    Vec<OpenMeasurement>,
    "Every approved measurement, by project, indicator and date.",
    |state, scope| {
        let rows: Vec<OpenMeasurement> = open_measurements(&state, &scope)
            .await?
            .into_iter()
            .map(OpenMeasurement::from)
            .collect();
        json_bytes(&rows)
    }
);

open_data_endpoint!(
    measurements_csv,
    "/api/v1/open-data/measurements.csv",
    CSV = "text/csv",
    String,
    "The approved measurements as CSV (UTF-8 with BOM).",
    |state, scope| measurement_table(&state, &scope).await?.csv(Flavour::Plain)
);

open_data_endpoint!(
    projects_es_csv,
    "/api/v1/open-data/projects.es.csv",
    CSV = "text/csv",
    String,
    "The projects as CSV for a spreadsheet in Spanish: `;`-separated, decimal commas, statuses in Spanish words (UTF-8 with BOM).",
    |state, scope| project_table(&state, &scope).await?.csv(Flavour::Spanish)
);

open_data_endpoint!(
    indicators_es_csv,
    "/api/v1/open-data/indicators.es.csv",
    CSV = "text/csv",
    String,
    "The indicators as CSV for a spreadsheet in Spanish: `;`-separated, decimal commas, statuses and units in Spanish words (UTF-8 with BOM).",
    |state, scope| indicator_table(&state, &scope).await?.csv(Flavour::Spanish)
);

open_data_endpoint!(
    measurements_es_csv,
    "/api/v1/open-data/measurements.es.csv",
    CSV = "text/csv",
    String,
    "The approved measurements as CSV for a spreadsheet in Spanish: `;`-separated, decimal commas (UTF-8 with BOM).",
    |state, scope| measurement_table(&state, &scope).await?.csv(Flavour::Spanish)
);

open_data_endpoint!(
    projects_xlsx,
    "/api/v1/open-data/projects.xlsx",
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    String,
    "The projects as a workbook: numbers, dates, statuses in Spanish words, and the columns' dictionary on a second sheet.",
    |state, scope| project_table(&state, &scope).await?.xlsx()
);

open_data_endpoint!(
    indicators_xlsx,
    "/api/v1/open-data/indicators.xlsx",
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    String,
    "The indicators as a workbook, with the columns' dictionary on a second sheet.",
    |state, scope| indicator_table(&state, &scope).await?.xlsx()
);

open_data_endpoint!(
    measurements_xlsx,
    "/api/v1/open-data/measurements.xlsx",
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    String,
    "The approved measurements as a workbook, with the columns' dictionary on a second sheet.",
    |state, scope| measurement_table(&state, &scope).await?.xlsx()
);

open_data_endpoint!(
    dictionary_csv,
    "/api/v1/open-data/dictionary.csv",
    CSV = "text/csv",
    String,
    "The data dictionary: every column of every dataset with its meaning, unit and type, in Spanish (UTF-8 with BOM).",
    |_state, _scope| open_tables::dictionary_csv(vereda_messages::Lang::Es)
);

async fn project_table(state: &AppState, scope: &ProjectScope) -> Result<Table, AppError> {
    let rows = open_projects(state, scope)
        .await?
        .into_iter()
        .map(|p| {
            vec![
                Cell::Text(p.code),
                Cell::Text(p.title),
                Cell::Code(p.status),
                Cell::Date(Some(p.period_start)),
                Cell::Date(Some(p.period_end)),
                Cell::Decimal(p.total_cop),
                Cell::Decimal(p.total_eur),
                Cell::Decimal(p.total_usd),
                Cell::List(p.departments),
                Cell::List(p.pdet_subregions),
                Cell::List(p.value_chains),
                Cell::List(p.funders),
                Cell::Integer(Some(p.municipalities as i64)),
                Cell::Integer(Some(p.indicators as i64)),
                Cell::Decimal(p.awarded_cop),
                Cell::Date(p.awarded_on),
                Cell::Decimal(p.disbursed_cop),
                Cell::Date(p.disbursed_on),
                Cell::Decimal(p.executed_cop),
                Cell::Decimal(p.physical_progress),
                Cell::Date(p.closed_on),
            ]
        })
        .collect();
    Ok(Table {
        dataset: Dataset::Projects,
        rows,
    })
}

async fn indicator_table(state: &AppState, scope: &ProjectScope) -> Result<Table, AppError> {
    let rows = open_indicators(state, scope)
        .await?
        .into_iter()
        .map(|i| {
            vec![
                Cell::Text(i.project_code),
                Cell::Integer(Some(i64::from(i.number))),
                Cell::Text(i.name),
                Cell::Code(i.unit),
                Cell::Decimal(Some(i.baseline)),
                Cell::Decimal(Some(i.goal)),
                Cell::Boolean(i.higher_is_better),
                Cell::Boolean(i.by_sex),
                Cell::Decimal(Some(i.current_value)),
                Cell::Decimal(i.current_women),
                Cell::Decimal(i.current_men),
                Cell::Date(i.last_update),
                Cell::Integer(i.advance_percent.map(i64::from)),
                Cell::Code(i.status),
                Cell::Text(i.rollup_key.unwrap_or_default()),
            ]
        })
        .collect();
    Ok(Table {
        dataset: Dataset::Indicators,
        rows,
    })
}

async fn measurement_table(state: &AppState, scope: &ProjectScope) -> Result<Table, AppError> {
    let rows = open_measurements(state, scope)
        .await?
        .into_iter()
        .map(|m| {
            vec![
                Cell::Text(m.project_code),
                Cell::Integer(Some(i64::from(m.indicator_number))),
                Cell::Date(Some(m.measured_on)),
                Cell::Decimal(Some(m.value)),
                Cell::Decimal(m.value_women),
                Cell::Decimal(m.value_men),
                Cell::Text(m.source.unwrap_or_default()),
            ]
        })
        .collect();
    Ok(Table {
        dataset: Dataset::Measurements,
        rows,
    })
}

/// The projects as IATI 2.03 activities: participating organisations with their roles, sectors,
/// yearly budgets, results, indicators, baselines, periods, targets and actuals with sex
/// dimensions, and a link to each card. An unknown `project` is 404.
#[utoipa::path(get, path = "/api/v1/open-data/iati-activities.xml", tag = "open data", params(ProjectScope),
    responses(
        (status = 200, description = "The activities as IATI 2.03 XML.", body = String, content_type = "application/xml"),
        (status = 404, description = "No project has this code.", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn iati_activities(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(scope): Query<ProjectScope>,
) -> Result<Response, AppError> {
    serve_public(&state, &visitor, &headers, XML, false, async || {
        let cards = match scope.project.as_deref() {
            Some(code) => state.store.project_card(code).await?.into_iter().collect(),
            None => state.store.project_cards().await?,
        };
        // A file with no activity would fail the schema and hide a mistyped code.
        if scope.project.is_some() && cards.is_empty() {
            return Err(AppError::new(crate::error::ErrorCode::NotFound));
        }
        let measurements = open_measurements(&state, &scope).await?;
        let publisher = iati_publisher(&state.config);
        Ok(activities_xml(&publisher, &cards, &measurements, jiff::Timestamp::now()).into_bytes())
    })
    .await
}
