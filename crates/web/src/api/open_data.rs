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
use vereda_domain::monitoring::{ProjectCard, PublishedMeasurement};
use vereda_store::projects::{ProjectFilter, ProjectSummary};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
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
}

impl From<ProjectSummary> for OpenProject {
    fn from(p: ProjectSummary) -> Self {
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

fn indicators_of(cards: Vec<ProjectCard>) -> Vec<OpenIndicator> {
    cards
        .into_iter()
        .flat_map(|card| {
            let code = card.code;
            card.indicators.into_iter().map(move |i| OpenIndicator {
                project_code: code.clone(),
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
        })
        .collect()
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

async fn open_cards(state: &AppState, scope: &ProjectScope) -> Result<Vec<ProjectCard>, AppError> {
    Ok(state
        .store
        .project_cards()
        .await?
        .into_iter()
        .filter(|c| scope.admits(&c.code))
        .collect())
}

async fn open_measurements(
    state: &AppState,
    scope: &ProjectScope,
) -> Result<Vec<PublishedMeasurement>, AppError> {
    Ok(state
        .store
        .published_measurements()
        .await?
        .into_iter()
        .filter(|m| scope.admits(&m.project_code))
        .collect())
}

fn json_bytes(value: &impl Serialize) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(value).map_err(|e| AppError::internal(&e))
}

fn join(values: &[String]) -> String {
    values.join("; ")
}

fn text(value: Option<Decimal>) -> String {
    value.map(|v| v.normalize().to_string()).unwrap_or_default()
}

/// Writes rows as CSV with a header, in UTF-8 with a BOM so spreadsheets read the accents, and
/// every cell safe to open in a spreadsheet (`spreadsheet_safe`).
fn csv_bytes(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(header).map_err(|e| AppError::internal(&e))?;
    for row in rows {
        writer
            .write_record(
                row.iter()
                    .map(|cell| vereda_domain::text::spreadsheet_safe(cell).into_owned()),
            )
            .map_err(|e| AppError::internal(&e))?;
    }
    writer.into_inner().map_err(|e| AppError::internal(e.error()))
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
    |state, scope| {
        let rows = open_projects(&state, &scope).await?.into_iter().map(|p| {
            vec![
                p.code,
                p.title,
                p.status,
                p.period_start.to_string(),
                p.period_end.to_string(),
                text(p.total_cop),
                text(p.total_eur),
                text(p.total_usd),
                join(&p.departments),
                join(&p.pdet_subregions),
                join(&p.value_chains),
                join(&p.funders),
                p.municipalities.to_string(),
                p.indicators.to_string(),
            ]
        });
        csv_bytes(
            &[
                "code",
                "title",
                "status",
                "period_start",
                "period_end",
                "total_cop",
                "total_eur",
                "total_usd",
                "departments",
                "pdet_subregions",
                "value_chains",
                "funders",
                "municipalities",
                "indicators",
            ],
            rows,
        )
    }
);

open_data_endpoint!(
    indicators_json,
    "/api/v1/open-data/indicators.json",
    JSON = "application/json",
    Vec<OpenIndicator>,
    "Every indicator with its baseline, goal, latest approved value and advance.",
    |state, scope| json_bytes(&indicators_of(open_cards(&state, &scope).await?))
);

open_data_endpoint!(
    indicators_csv,
    "/api/v1/open-data/indicators.csv",
    CSV = "text/csv",
    String,
    "The indicators as CSV (UTF-8 with BOM).",
    |state, scope| {
        let rows = indicators_of(open_cards(&state, &scope).await?)
            .into_iter()
            .map(|i| {
                vec![
                    i.project_code,
                    i.number.to_string(),
                    i.name,
                    i.unit,
                    text(Some(i.baseline)),
                    text(Some(i.goal)),
                    i.higher_is_better.to_string(),
                    i.by_sex.to_string(),
                    text(Some(i.current_value)),
                    text(i.current_women),
                    text(i.current_men),
                    i.last_update.map(|d| d.to_string()).unwrap_or_default(),
                    i.advance_percent.map(|a| a.to_string()).unwrap_or_default(),
                    i.status,
                    i.rollup_key.unwrap_or_default(),
                ]
            });
        csv_bytes(
            &[
                "project_code",
                "number",
                "name",
                "unit",
                "baseline",
                "goal",
                "higher_is_better",
                "by_sex",
                "current_value",
                "current_women",
                "current_men",
                "last_update",
                "advance_percent",
                "status",
                "rollup_key",
            ],
            rows,
        )
    }
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
    |state, scope| {
        let rows = open_measurements(&state, &scope).await?.into_iter().map(|m| {
            vec![
                m.project_code,
                m.indicator_number.to_string(),
                m.measured_on.to_string(),
                text(Some(m.value)),
                text(m.value_women),
                text(m.value_men),
                m.source.unwrap_or_default(),
            ]
        });
        csv_bytes(
            &[
                "project_code",
                "indicator_number",
                "measured_on",
                "value",
                "value_women",
                "value_men",
                "source",
            ],
            rows,
        )
    }
);

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
        let cards = open_cards(&state, &scope).await?;
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
