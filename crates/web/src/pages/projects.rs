//! The public portal of projects: the portfolio with its filters and roll-ups, each project's
//! card (the EU Trust Fund card is the model), an indicator's approved history, public
//! documents and the open-data page. No account is needed; no personal data is shown.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_documents::map::{Frame, MapSpec, SEQUENTIAL, Shade, municipality_map};
use vereda_domain::awarded_project::ProjectStatus;
use vereda_domain::monitoring::{IndicatorProgress, ProjectCard, PublishedMeasurement, ResultArea};
use vereda_domain::territory::{DaneCode, DepartmentCode, catalog};
use vereda_store::portfolio::PortfolioFacets;
use vereda_store::projects::{
    MeasurementQuery, MeasurementRow, ProjectFilter, ProjectSummary, Rollup, SEVERAL_DEPARTMENTS,
};

use super::Chrome;
use crate::AppState;
use crate::auth::Visitor;
use crate::charts::{Bar, horizontal_bars};
use crate::error::{AppError, ErrorCode, urlencode};
use crate::i18n::Lang;
use crate::public_cache::{HTML, serve_public};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/proyectos", get(portfolio))
        .route("/proyectos/{code}", get(project_card))
        .route("/proyectos/{code}/indicadores/{number}", get(indicator_history))
        .route("/documentos/{id}", get(download_document))
        .route("/datos", get(open_data))
}

async fn cached(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    render_page: impl AsyncFnOnce() -> Result<String, AppError>,
) -> Result<Response, AppError> {
    serve_public(state, visitor, headers, HTML, true, async || {
        Ok(render_page().await?.into_bytes())
    })
    .await
}

/// The portfolio's filters, as the form sends them, and the page (`pagina`, from 1).
#[derive(Debug, Default, Deserialize)]
pub struct PortfolioQuery {
    q: Option<String>,
    departamento: Option<String>,
    subregion: Option<String>,
    cadena: Option<String>,
    estado: Option<String>,
    financiador: Option<String>,
    pagina: Option<u64>,
}

/// Projects per page of the portfolio: a page stays well under 100 KB of HTML.
const PORTFOLIO_PAGE_SIZE: u64 = 40;

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl PortfolioQuery {
    fn filter(&self) -> Result<ProjectFilter, AppError> {
        Ok(ProjectFilter {
            text: given(&self.q),
            department: given(&self.departamento)
                .map(|code| {
                    DepartmentCode::parse(&code)
                        .map_err(|e| AppError::said(ErrorCode::InvalidInput, e.message()))
                })
                .transpose()?,
            pdet_subregion: given(&self.subregion),
            value_chain: given(&self.cadena),
            status: given(&self.estado)
                .map(|s| {
                    s.parse::<ProjectStatus>()
                        .map_err(|e| AppError::said(ErrorCode::InvalidInput, e.message()))
                })
                .transpose()?,
            funder: given(&self.financiador),
            // The public portfolio: every project.
            reach: vereda_domain::accounts::Reach::National,
        })
    }
}

/// The values each filter offers, taken from every project.
struct Facets {
    departments: Vec<(String, String)>,
    subregions: Vec<String>,
    value_chains: Vec<String>,
    funders: Vec<String>,
    statuses: &'static [ProjectStatus],
}

impl Facets {
    fn of(stored: PortfolioFacets) -> Facets {
        Facets {
            departments: stored
                .departments
                .into_iter()
                .map(|code| {
                    let name = department_name(&code);
                    (code, name)
                })
                .collect(),
            subregions: stored.pdet_subregions,
            value_chains: stored.value_chains,
            funders: stored.funders,
            statuses: ProjectStatus::ALL,
        }
    }
}

pub fn department_name(code: &str) -> String {
    DepartmentCode::parse(code)
        .ok()
        .and_then(|code| catalog().department(code))
        .map_or_else(|| code.to_owned(), |d| d.name.clone())
}

pub fn municipality_label(code: &str) -> String {
    match DaneCode::parse(code) {
        Ok(code) => {
            let municipality = code.municipality();
            format!(
                "{} ({})",
                municipality.name,
                department_name(municipality.department_code.as_str())
            )
        }
        Err(_) => code.to_owned(),
    }
}

/// A roll-up as the page shows it.
struct RollupView {
    key: String,
    name: String,
    unit: String,
    current: Decimal,
    goal: Decimal,
    advance: Option<u32>,
    projects: usize,
    chart: String,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct PortfolioPage {
    chrome: Chrome,
    projects: Vec<ProjectSummary>,
    total: usize,
    matching: usize,
    page: u64,
    pages: u64,
    previous_href: Option<String>,
    next_href: Option<String>,
    first_href: Option<String>,
    last_href: Option<String>,
    facets: Facets,
    query: PortfolioQuery,
    rollups: Vec<RollupView>,
    status_chart: String,
    map: String,
    filtered: bool,
}

impl PortfolioQuery {
    /// The address of page `page` with the same filters.
    fn page_href(&self, page: u64) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("departamento", &self.departamento),
            ("subregion", &self.subregion),
            ("cadena", &self.cadena),
            ("estado", &self.estado),
            ("financiador", &self.financiador),
        ] {
            if let Some(value) = given(value) {
                pairs.push(format!("{name}={}", urlencode(&value)));
            }
        }
        if page > 1 {
            pairs.push(format!("pagina={page}"));
        }
        if pairs.is_empty() {
            "/proyectos".to_owned()
        } else {
            format!("/proyectos?{}", pairs.join("&"))
        }
    }
}

impl PortfolioPage {
    fn selected(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }
}

fn territory_name(lang: Lang, code: &str) -> String {
    if code == SEVERAL_DEPARTMENTS {
        lang.t("portfolio-several_departments").to_owned()
    } else {
        department_name(code)
    }
}

fn rollup_view(lang: Lang, rollup: Rollup) -> RollupView {
    let unit = unit_label(lang, rollup.unit.as_str());
    let name_key = format!("rollup-{}", rollup.key);
    let name = match lang.t(&name_key) {
        same if same == name_key => rollup.key.replace('_', " "),
        text => text.to_owned(),
    };
    let bars: Vec<Bar> = rollup
        .by_territory
        .iter()
        .map(|(territory, value)| Bar {
            label: territory_name(lang, territory),
            value: *value,
            shown: format!("{} {unit}", lang.amount(value)),
        })
        .collect();
    RollupView {
        chart: horizontal_bars(&format!("rollup-{}", rollup.key), &name, &bars),
        key: rollup.key,
        name,
        unit,
        current: rollup.current,
        goal: rollup.goal,
        advance: rollup.advance_percent,
        projects: rollup.projects,
    }
}

pub fn unit_label(lang: Lang, unit: &str) -> String {
    match unit {
        "number" => String::new(),
        "km" | "ha" | "%" | "COP" | "EUR" => unit.to_owned(),
        other => lang.t(other).to_owned(),
    }
}

async fn portfolio(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<PortfolioQuery>,
) -> Result<Response, AppError> {
    let filter = query.filter()?;
    let page = query.pagina.unwrap_or(1).max(1);
    cached(&state, &visitor, &headers, async || {
        let facets = state.store.portfolio_facets().await?;
        let found = state
            .store
            .portfolio_page(&filter, (page - 1) * PORTFOLIO_PAGE_SIZE, PORTFOLIO_PAGE_SIZE)
            .await?;
        let lang = visitor.lang;
        let rollups = state
            .store
            .rollups(&filter)
            .await?
            .into_iter()
            .map(|r| rollup_view(lang, r))
            .collect();
        let status_bars: Vec<Bar> = found
            .by_status
            .iter()
            .map(|(status, count)| Bar {
                label: lang.t(&status.message_id()).to_owned(),
                value: Decimal::from(*count),
                shown: count.to_string(),
            })
            .collect();
        let status_chart = horizontal_bars("projects-by-status", lang.t("portfolio-by_status"), &status_bars);
        let map = portfolio_map(lang, &found.municipalities)?;
        let pages = (found.matching as u64).div_ceil(PORTFOLIO_PAGE_SIZE).max(1);
        let page = PortfolioPage {
            total: facets.projects,
            filtered: found.matching != facets.projects,
            facets: Facets::of(facets),
            matching: found.matching,
            page,
            pages,
            previous_href: (page > 1).then(|| query.page_href(page - 1)),
            next_href: (page < pages).then(|| query.page_href(page + 1)),
            first_href: (page > 2).then(|| query.page_href(1)),
            last_href: (page + 1 < pages).then(|| query.page_href(pages)),
            projects: found.projects,
            rollups,
            status_chart,
            map,
            chrome: Chrome::new(&visitor).await?,
            query,
        };
        Ok(page.render()?)
    })
    .await
}

/// The municipalities of the listed projects, shaded by how many projects work there.
fn portfolio_map(lang: Lang, counts: &[(String, usize)]) -> Result<String, AppError> {
    let shades: Vec<Shade> = counts
        .iter()
        .map(|(code, count)| Shade {
            label: format!("{}: {count}", municipality_label(code)),
            class: (*count).clamp(1, 3) - 1,
            code: code.clone(),
        })
        .collect();
    let legend = [
        (lang.t("portfolio-map_one"), SEQUENTIAL[2]),
        (lang.t("portfolio-map_two"), SEQUENTIAL[3]),
        (lang.t("portfolio-map_more"), SEQUENTIAL[4]),
    ];
    let spec = MapSpec {
        title: lang.t("portfolio-map_title"),
        description: lang.t("portfolio-map_description"),
        legend: &legend,
        frame: Frame::Country,
        width: 600,
    };
    municipality_map(&shades, &spec)
        .map(|map| map.svg)
        .map_err(|e| AppError::internal(&e))
}

/// An indicator as the card shows it.
pub struct IndicatorView {
    pub progress: IndicatorProgress,
    pub unit: String,
    /// The bar's width: the advance, at most 100.
    pub bar: u32,
}

impl IndicatorView {
    fn of(lang: Lang, progress: IndicatorProgress) -> IndicatorView {
        IndicatorView {
            unit: unit_label(lang, progress.unit.as_str()),
            bar: progress.advance_percent.unwrap_or(0).min(100),
            progress,
        }
    }
}

pub fn no_such_indicator(code: &str, number: i32) -> AppError {
    AppError::said(
        ErrorCode::NotFound,
        crate::error::not_found("indicator", &format!("{code} {number}")),
    )
}

pub struct ResultView {
    pub result: ResultArea,
    pub indicators: Vec<i32>,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    chrome: Chrome,
    card: ProjectCard,
    code_path: String,
    indicators: Vec<IndicatorView>,
    results: Vec<ResultView>,
    advocates: Vec<String>,
    local_partners: Vec<String>,
    funders: Vec<String>,
    municipalities: Vec<String>,
    map: String,
    missing_shapes: Vec<String>,
}

pub fn not_found_project(code: &str) -> AppError {
    AppError::said(ErrorCode::NotFound, crate::error::not_found("project", code))
}

async fn project_card(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    cached(&state, &visitor, &headers, async || {
        let card = state
            .store
            .project_card(&code)
            .await?
            .ok_or_else(|| not_found_project(&code))?;
        let lang = visitor.lang;
        let indicators = card
            .indicators
            .iter()
            .filter(|i| i.featured)
            .map(|i| IndicatorView::of(lang, i.clone()))
            .collect();
        let results = card
            .results
            .iter()
            .map(|r| ResultView {
                indicators: card
                    .indicators
                    .iter()
                    .filter(|i| i.result == Some(r.position))
                    .map(|i| i.number)
                    .collect(),
                result: r.clone(),
            })
            .collect();
        let names_with = |role: vereda_domain::monitoring::PartnerRole| -> Vec<String> {
            card.partners
                .iter()
                .filter(|p| p.role == role)
                .map(|p| p.name.clone())
                .collect()
        };
        let shades: Vec<Shade> = card
            .municipalities
            .iter()
            .map(|code| Shade {
                code: code.clone(),
                class: 0,
                label: municipality_label(code),
            })
            .collect();
        let legend = [(lang.t("project-map_legend"), SEQUENTIAL[3])];
        let title = format!("{} {}", lang.t("project-coverage"), card.code);
        let map = municipality_map(
            &shades,
            &MapSpec {
                title: &title,
                description: lang.t("project-map_description"),
                legend: &legend,
                frame: Frame::Departments,
                width: 600,
            },
        )
        .map_err(|e| AppError::internal(&e))?;
        let page = ProjectPage {
            code_path: urlencode(&card.code),
            advocates: names_with(vereda_domain::monitoring::PartnerRole::AdvocatePartner),
            local_partners: names_with(vereda_domain::monitoring::PartnerRole::LocalPartner),
            funders: names_with(vereda_domain::monitoring::PartnerRole::Funder),
            municipalities: card
                .municipalities
                .iter()
                .map(|c| municipality_label(c))
                .collect(),
            map: map.svg,
            missing_shapes: map.missing.iter().map(|c| municipality_label(c)).collect(),
            indicators,
            results,
            chrome: Chrome::new(&visitor).await?,
            card,
        };
        Ok(page.render()?)
    })
    .await
}

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage {
    chrome: Chrome,
    card_title: String,
    code: String,
    code_path: String,
    indicator: IndicatorView,
    measurements: Vec<PublishedMeasurement>,
}

async fn indicator_history(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((code, number)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    cached(&state, &visitor, &headers, async || {
        let card = state
            .store
            .project_card(&code)
            .await?
            .ok_or_else(|| not_found_project(&code))?;
        let progress = card
            .indicators
            .iter()
            .find(|i| i.number == number)
            .cloned()
            .ok_or_else(|| no_such_indicator(&code, number))?;
        let rows = state
            .store
            .measurements(&MeasurementQuery {
                status: Some(vereda_domain::monitoring::MeasurementStatus::Approved),
                project_code: Some(code.clone()),
                indicator_number: Some(number),
                ..MeasurementQuery::default()
            })
            .await?;
        let measurements = rows.into_iter().map(MeasurementRow::published).collect();
        let lang = visitor.lang;
        let page = IndicatorPage {
            indicator: IndicatorView::of(lang, progress),
            card_title: card.title,
            code_path: urlencode(&code),
            code,
            measurements,
            chrome: Chrome::new(&visitor).await?,
        };
        Ok(page.render()?)
    })
    .await
}

/// A project's document: public ones for everybody, evidence only for staff.
async fn download_document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let not_found = || {
        AppError::said(
            ErrorCode::NotFound,
            crate::error::not_found("document", &id.to_string()),
        )
    };
    let stored = state.store.project_document(id).await?.ok_or_else(not_found)?;
    if !stored.public && !visitor.can(vereda_domain::accounts::Permission::ReviewMeasurements) {
        return Err(not_found());
    }
    let path = state.uploads.document_path(&stored.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|e| AppError::internal(&e))?;
    Ok(crate::downloads::attachment(
        &stored.document.content_type,
        &stored.document.file_name,
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    chrome: Chrome,
    datasets: Vec<(&'static str, &'static str)>,
    dictionary: Vec<[String; 5]>,
    updated_on: Option<String>,
}

async fn open_data(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    cached(&state, &visitor, &headers, async || {
        use crate::open_tables::{Dataset, dictionary_rows};
        let lang = visitor.lang;
        let updated_on = state
            .store
            .portfolio_updated_at()
            .await?
            .map(|at| lang.date(vereda_domain::calendar::date_in_colombia(at)));
        Ok(OpenDataPage {
            datasets: Dataset::ALL
                .iter()
                .map(|d| {
                    let label = match d {
                        Dataset::Projects => "open_data-projects",
                        Dataset::Indicators => "open_data-indicators",
                        Dataset::Measurements => "open_data-measurements",
                    };
                    (d.name(), label)
                })
                .collect(),
            dictionary: dictionary_rows(lang, &Dataset::ALL),
            updated_on,
            chrome: Chrome::new(&visitor).await?,
        }
        .render()?)
    })
    .await
}
