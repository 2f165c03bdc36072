//! The financial evaluation page of the staff area: upload a project file (or pick a worked
//! example) and see the verdict with its reasons, the indicators, the cash flow, the
//! co-financing split and the sensitivity analysis. Nothing is stored.

use std::fmt::Write as _;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::finance::{
    CashFlowYear, CofinancingSplit, DecidingRate, Evaluation, Funder, Irr, Problem, SwitchingValue, Value,
};
use vereda_domain::message::Arg;
use vereda_domain::territory::{DaneCode, catalog};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::evaluation::{
    EVALUATION_UPLOAD_LIMIT_BYTES, EXAMPLES, Evaluated, Format, Outcome, Refusal, RuleSetUsed, example, run,
};
use crate::i18n::{Lang, Message};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/evaluaciones",
            get(form)
                .post(submit)
                .layer(DefaultBodyLimit::max(EVALUATION_UPLOAD_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/personal/evaluaciones/exportar",
            post(export).layer(DefaultBodyLimit::max(4 * EVALUATION_UPLOAD_LIMIT_BYTES)),
        )
}

pub struct ExampleOption {
    pub id: &'static str,
    pub file_name: &'static str,
    pub selected: bool,
}

pub struct RuleOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

pub struct ReasonRow {
    pub check: String,
    pub code: &'static str,
    pub article: String,
    pub passed: bool,
    pub seen: String,
    pub threshold: String,
}

pub struct FlowRow {
    pub year: u16,
    pub cells: Vec<String>,
}

pub struct FunderRow {
    pub funder: String,
    pub cells: Vec<String>,
    pub total: String,
}

pub struct CofinancingView {
    pub categories: Vec<String>,
    pub rows: Vec<FunderRow>,
    pub totals: Vec<String>,
    pub project_value: String,
    pub institute_maximum: String,
    pub institute_maximum_article: String,
    pub requested: String,
    pub contribution: String,
    pub binding_limit: String,
    pub counterpart: String,
    pub guarantee_amount: String,
    pub guarantee_months: u16,
    pub guarantee_article: String,
}

pub struct CaseRow {
    pub name: String,
    pub variable: String,
    pub change: String,
    pub irr: String,
    pub npv: String,
    pub benefit_cost: String,
}

/// Everything the result part of the page shows, formatted for the visitor's language.
pub struct ResultView {
    pub code: String,
    pub title: String,
    pub place: String,
    pub typology: u8,
    pub budget_year: i16,
    pub horizon_years: u16,
    pub families: usize,
    pub viable: bool,
    pub reasons: Vec<ReasonRow>,
    pub irr: String,
    /// With several IRRs: the modified IRR (Art. 19.6 reading); empty otherwise.
    pub mirr: String,
    /// Which rate decided the IRR check, and why.
    pub irr_decided_by: String,
    pub min_irr: String,
    pub discount_rate: String,
    pub npv: String,
    pub benefit_cost: String,
    pub income_smmlv: String,
    pub income_pesos: String,
    pub income_year: u16,
    pub minimum_wage: String,
    pub flow_headers: Vec<String>,
    pub flow_rows: Vec<FlowRow>,
    pub cofinancing: Option<CofinancingView>,
    pub cofinancing_error: Option<String>,
    pub sensitivity_article: String,
    pub cases: Vec<CaseRow>,
    pub price_drop: String,
    pub cost_rise: String,
    pub chart_svg: String,
    pub chart_text: String,
    pub sensitivity_svg: String,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct EvaluationPage {
    chrome: Chrome,
    examples: Vec<ExampleOption>,
    rule_sets: Vec<RuleOption>,
    limit_kib: usize,
    source: String,
    errors: Vec<String>,
    rule_set: Option<RuleSetUsed>,
    problems: Vec<Problem>,
    result: Option<ResultView>,
    /// What the download buttons re-post: the file name, its text and the rule set chosen.
    export_name: String,
    export_text: String,
    export_rules: String,
}

impl EvaluationPage {
    async fn new(visitor: &Visitor, example_id: &str, rules: &str) -> Result<Self, AppError> {
        let rule_sets = crate::rule_book::rule_book()
            .map(|book| {
                book.all()
                    .iter()
                    .filter(|s| s.financial.is_some())
                    .map(|s| RuleOption {
                        id: s.id.clone(),
                        label: format!("{} ({})", s.id, s.period()),
                        selected: s.id == rules,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            examples: EXAMPLES
                .iter()
                .map(|e| ExampleOption {
                    id: e.id,
                    file_name: e.file_name,
                    selected: e.id == example_id,
                })
                .collect(),
            rule_sets,
            limit_kib: EVALUATION_UPLOAD_LIMIT_BYTES / 1024,
            source: String::new(),
            errors: Vec::new(),
            rule_set: None,
            problems: Vec::new(),
            result: None,
            export_name: String::new(),
            export_text: String::new(),
            export_rules: String::new(),
            chrome: Chrome::new(visitor).await?,
        })
    }
}

async fn form(visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    render(&EvaluationPage::new(&visitor, "", "").await?)
}

async fn submit(visitor: Visitor, mut multipart: Multipart) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let lang = visitor.lang;
    let mut csrf = String::new();
    let mut example_id = String::new();
    let mut rules = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let text = field.text().await.map_err(crate::error::upload_refused)?;
            match name.as_str() {
                "csrf_token" => csrf = text,
                "example" => example_id = text.trim().to_owned(),
                "rules" => rules = text.trim().to_owned(),
                _ => {}
            }
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let (bytes, over_limit) = read_upload(&mut field).await?;
        too_large |= over_limit;
        if !file_name.is_empty() || !bytes.is_empty() {
            file = Some((file_name, bytes));
        }
    }
    visitor.check_csrf(&csrf).await?;

    let mut page = EvaluationPage::new(&visitor, &example_id, &rules).await?;
    // An uploaded file wins over the example.
    let source: Result<(String, Format, String), String> =
        match (file, example(&example_id)) {
            _ if too_large => Err(format!(
                "{} ({} KiB)",
                lang.t("evaluation-error_too_large"),
                EVALUATION_UPLOAD_LIMIT_BYTES / 1024
            )),
            (Some((name, bytes)), _) => {
                let file_name = name.rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
                match Format::of(&file_name) {
                    None => Err(lang
                        .say(&Message::new("evaluation-error-file_type").with("file", file_name.as_str()))),
                    Some(format) => Ok((
                        file_name,
                        format,
                        vereda_domain::text::decode_text(&bytes).0.into_owned(),
                    )),
                }
            }
            (None, Some(example)) => Ok((
                example.file_name.to_owned(),
                Format::Toml,
                example.text.to_owned(),
            )),
            (None, None) => Err(lang.t("evaluation-error_no_file").to_owned()),
        };
    let (name, format, text) = match source {
        Ok(source) => source,
        Err(error) => {
            page.errors.push(error);
            return rejected(&page);
        }
    };
    page.source = name.clone();
    let formulation = match format.parse(&text) {
        Ok(formulation) => {
            page.export_name = name.clone();
            page.export_text = text;
            page.export_rules = rules.clone();
            formulation
        }
        Err(error) => {
            page.errors.push(lang.say(&error.message(&name)));
            return rejected(&page);
        }
    };
    let chosen = Some(rules.as_str()).filter(|r| !r.is_empty());
    show(page, &name, lang, run(formulation, chosen, lang))
}

/// A project file field, up to [`EVALUATION_UPLOAD_LIMIT_BYTES`]; `true` when it was larger
/// (the rest is dropped, so the page can say so).
pub(super) async fn read_upload(
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<(Vec<u8>, bool), AppError> {
    let mut bytes = Vec::new();
    let mut too_large = false;
    while let Some(chunk) = field.chunk().await.map_err(crate::error::upload_refused)? {
        if bytes.len() + chunk.len() > EVALUATION_UPLOAD_LIMIT_BYTES {
            too_large = true;
        } else {
            bytes.extend_from_slice(&chunk);
        }
    }
    Ok((bytes, too_large))
}

/// The page for an evaluation's outcome: the result, the problems, or why it was refused.
fn show(
    mut page: EvaluationPage,
    name: &str,
    lang: Lang,
    outcome: Result<Outcome, Refusal>,
) -> Result<Response, AppError> {
    match outcome {
        Err(Refusal::Internal(error)) => Err(error),
        Err(Refusal::RuleSet(message) | Refusal::Unevaluable(message)) => {
            page.errors.push(format!("{name}: {}", lang.say(&message)));
            rejected(&page)
        }
        Ok(Outcome::Invalid { rule_set, problems }) => {
            page.rule_set = Some(rule_set);
            page.problems = problems;
            rejected(&page)
        }
        Ok(Outcome::Evaluated(evaluated)) => {
            page.rule_set = Some(evaluated.rule_set.clone());
            page.result = Some(result_view(lang, &evaluated));
            render(&page)
        }
    }
}

/// The evaluation page for a stored formulation (`/personal/formulaciones/{id}/evaluacion`): the
/// same page as an upload, with the formulation as JSON behind its download buttons.
pub(super) async fn evaluate_stored(
    visitor: &Visitor,
    formulation: vereda_domain::finance::Formulation,
) -> Result<Response, AppError> {
    let mut page = EvaluationPage::new(visitor, "", "").await?;
    let name = format!("{}.json", formulation.frame.code);
    page.source = name.clone();
    page.export_name = name.clone();
    page.export_text = serde_json::to_string_pretty(&formulation).map_err(|e| AppError::internal(&e))?;
    show(page, &name, visitor.lang, run(formulation, None, visitor.lang))
}

#[derive(Deserialize)]
struct ExportQuery {
    format: String,
}

#[derive(Deserialize)]
struct ExportForm {
    csrf_token: String,
    name: String,
    text: String,
    #[serde(default)]
    rules: String,
}

/// The evaluation shown on the page again, as a workbook or a PDF report to download.
async fn export(
    axum::extract::State(state): axum::extract::State<AppState>,
    visitor: Visitor,
    Query(query): Query<ExportQuery>,
    Form(input): Form<ExportForm>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    visitor.check_csrf(&input.csrf_token).await?;
    let lang = visitor.lang;
    let format = Format::of(&input.name).ok_or_else(|| {
        AppError::said(
            crate::error::ErrorCode::InvalidInput,
            Message::new("evaluation-error-file_type").with("file", input.name.as_str()),
        )
    })?;
    let formulation = format
        .parse(&input.text)
        .map_err(|error| AppError::said(crate::error::ErrorCode::InvalidInput, error.message(&input.name)))?;
    let chosen = Some(input.rules.trim()).filter(|r| !r.is_empty());
    let evaluated = match run(formulation, chosen, lang) {
        Err(Refusal::Internal(error)) => return Err(error),
        Err(Refusal::RuleSet(message) | Refusal::Unevaluable(message)) => {
            return Err(AppError::said(crate::error::ErrorCode::InvalidInput, message));
        }
        Ok(Outcome::Invalid { problems, .. }) => {
            let list = problems
                .iter()
                .map(|p| {
                    Message::new("evaluation-problem-at")
                        .with("path", p.path.as_str())
                        .with("problem", Arg::List(vec![p.message.clone()]))
                })
                .collect();
            return Err(AppError::said(
                crate::error::ErrorCode::InvalidInput,
                Message::new("evaluation-error-problems").with("problems", Arg::List(list)),
            ));
        }
        Ok(Outcome::Evaluated(evaluated)) => evaluated,
    };
    let stem = crate::evaluation::file_stem(&evaluated);
    match query.format.as_str() {
        "pdf" => Ok(download(
            "application/pdf",
            format!("{stem}.pdf"),
            crate::evaluation::pdf(&evaluated, &state.config).map_err(|e| AppError::internal(&e))?,
        )),
        "xlsx" => {
            let bytes = crate::evaluation::workbook(&evaluated).map_err(|e| AppError::internal(&e))?;
            Ok(download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!("{stem}.xlsx"),
                bytes,
            ))
        }
        other => Err(AppError::said(
            crate::error::ErrorCode::InvalidInput,
            Message::new("error-bad_parameter")
                .with("name", "format")
                .with("value", other)
                .with("expected", "xlsx, pdf"),
        )),
    }
}

fn download(content_type: &'static str, file_name: String, bytes: Vec<u8>) -> Response {
    crate::downloads::attachment(content_type, &file_name, bytes)
}

fn rejected(page: &EvaluationPage) -> Result<Response, AppError> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Formatting: the evaluation's figures in the reader's language, shared with the CLI's report.

pub fn pesos(lang: Lang, amount: Decimal) -> String {
    lang.amount(&amount.round_dp(0))
}

pub fn percent(lang: Lang, rate: f64) -> String {
    match Decimal::from_f64(rate * 100.0) {
        Some(value) => format!("{} %", lang.amount(&value.round_dp(2))),
        None => format!("{:.2} %", rate * 100.0),
    }
}

pub fn decimal_percent(lang: Lang, fraction: Decimal) -> String {
    format!(
        "{} %",
        lang.amount(&(fraction * Decimal::ONE_HUNDRED).round_dp(2))
    )
}

pub fn signed_percent(lang: Lang, fraction: Decimal) -> String {
    let sign = if fraction > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}", decimal_percent(lang, fraction))
}

pub fn ratio(lang: Lang, ratio: Option<Decimal>) -> String {
    ratio.map_or_else(
        || lang.t("evaluation-undefined").to_owned(),
        |r| lang.amount(&r.round_dp(4)),
    )
}

pub fn irr_text(lang: Lang, irr: &Irr) -> String {
    match irr {
        Irr::None => lang.t("evaluation-no_irr").to_owned(),
        Irr::Unique(rate) => percent(lang, *rate),
        Irr::Several(rates) => {
            let list: Vec<String> = rates.iter().map(|r| percent(lang, *r)).collect();
            format!("{} ({})", lang.t("evaluation-several_irr"), list.join("; "))
        }
    }
}

/// Which rate decided the IRR check (Art. 19.6): the only IRR, or the MIRR of a flow with
/// several, at the discount rate as finance and reinvestment rate.
fn decided_by(lang: Lang, e: &Evaluation) -> String {
    match e.deciding_rate() {
        DecidingRate::Irr(_) => lang.t("readings-decided_by_irr").to_owned(),
        DecidingRate::Mirr(rate) => lang.t_with(
            "readings-decided_by_mirr",
            &[
                ("mirr", Arg::Text(percent(lang, rate))),
                ("rate", Arg::Text(decimal_percent(lang, e.discount_rate))),
            ],
        ),
        DecidingRate::None => lang.t("readings-decided_by_none").to_owned(),
    }
}

pub fn value_text(lang: Lang, value: &Value) -> String {
    match value {
        Value::Rate(rate) => percent(lang, *rate),
        Value::NoIrr => lang.t("evaluation-no_irr").to_owned(),
        Value::SeveralIrr(rates) => irr_text(lang, &Irr::Several(rates.clone())),
        Value::Mirr { rate, roots } => lang.t_with(
            "readings-mirr_seen",
            &[
                ("mirr", Arg::Text(percent(lang, *rate))),
                ("roots", Arg::Text(irr_text(lang, &Irr::Several(roots.clone())))),
            ],
        ),
        Value::Ratio(r) => lang.amount(&r.round_dp(4)),
        Value::Undefined => lang.t("evaluation-undefined").to_owned(),
        Value::Smmlv(s) => format!("{} SMMLV", lang.amount(&s.round_dp(2))),
        Value::Years(years) => format!("{years} {}", lang.t("evaluation-years")),
        Value::Count(count) => count.to_string(),
        Value::Amount(amount) => format!("COP {}", pesos(lang, *amount)),
        Value::Present(true) => lang.t("evaluation-present").to_owned(),
        Value::Present(false) => lang.t("evaluation-missing").to_owned(),
        Value::NotApplicable => lang.t("evaluation-not_applicable").to_owned(),
    }
}

pub fn switching_text(lang: Lang, value: SwitchingValue, search_max: Decimal) -> String {
    match value {
        SwitchingValue::Found(change) => percent(lang, change),
        SwitchingValue::AlreadyBelow => lang.t("evaluation-switching_already_below").to_owned(),
        SwitchingValue::NotInRange => format!(
            "{} {}",
            lang.t("evaluation-switching_not_in_range"),
            decimal_percent(lang, search_max)
        ),
    }
}

pub fn funder_name(lang: Lang, funder: &Funder) -> String {
    match funder {
        Funder::Institute => lang.t("evaluation-funder_institute").to_owned(),
        Funder::Counterpart => lang.t("evaluation-funder_counterpart").to_owned(),
        Funder::Other(name) => name.clone(),
    }
}

/// The columns of the cash-flow table: locale key and value of a year.
pub type FlowColumn = (&'static str, fn(&CashFlowYear) -> Decimal);

pub const FLOW_COLUMNS: [FlowColumn; 12] = [
    ("evaluation-flow_income", |y| y.income),
    ("evaluation-flow_operating", |y| y.operating_costs),
    ("evaluation-flow_output", |y| y.output_costs),
    ("evaluation-flow_hired", |y| y.hired_labour),
    ("evaluation-flow_family", |y| y.family_labour),
    ("evaluation-flow_family_charged", |y| y.family_labour_charged),
    ("evaluation-flow_replacements", |y| y.replacements),
    ("evaluation-flow_investment", |y| y.investment),
    ("evaluation-flow_technical_assistance", |y| y.technical_assistance),
    ("evaluation-flow_neutralised", |y| {
        y.technical_assistance_neutralised
    }),
    ("evaluation-flow_residual", |y| y.residual_value),
    ("evaluation-flow_net", |y| y.net_flow),
];

fn place(code: &str) -> String {
    match DaneCode::parse(code) {
        Ok(dane) => {
            let municipality = dane.municipality();
            match catalog().department(municipality.department_code) {
                Some(department) => format!("{} ({}) · {code}", municipality.name, department.name),
                None => format!("{} · {code}", municipality.name),
            }
        }
        Err(_) => code.to_owned(),
    }
}

fn cofinancing_view(lang: Lang, split: &CofinancingSplit) -> CofinancingView {
    let categories: Vec<_> = split.by_category.keys().copied().collect();
    let rows = split
        .by_funder
        .iter()
        .map(|share| FunderRow {
            funder: funder_name(lang, &share.funder),
            cells: categories
                .iter()
                .map(|c| pesos(lang, share.by_category.get(c).copied().unwrap_or_default()))
                .collect(),
            total: pesos(lang, share.total),
        })
        .collect();
    CofinancingView {
        categories: categories
            .iter()
            .map(|c| lang.t(&format!("evaluation.category_{}", c.as_str())).to_owned())
            .collect(),
        totals: categories
            .iter()
            .map(|c| pesos(lang, split.by_category.get(c).copied().unwrap_or_default()))
            .collect(),
        rows,
        project_value: pesos(lang, split.project_value),
        institute_maximum: pesos(lang, split.institute_maximum),
        institute_maximum_article: split.institute_maximum_article.clone(),
        requested: pesos(lang, split.requested),
        contribution: pesos(lang, split.contribution),
        binding_limit: lang
            .t(&format!("evaluation.limit_{}", split.binding_limit.as_str()))
            .to_owned(),
        counterpart: pesos(lang, split.counterpart),
        guarantee_amount: pesos(lang, split.guarantee.amount),
        guarantee_months: split.guarantee.months,
        guarantee_article: split.guarantee.article.clone(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Bars of the net flow by year, with a title and a description; the cash-flow table holds the
/// same figures.
fn net_flow_chart(lang: Lang, years: &[CashFlowYear]) -> (String, String) {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 260.0;
    const TOP: f64 = 20.0;
    const BOTTOM: f64 = 30.0;
    const LEFT: f64 = 10.0;
    let values: Vec<f64> = years.iter().map(|y| y.net_flow.to_f64().unwrap_or(0.0)).collect();
    let max = values.iter().fold(0.0_f64, |m, v| m.max(*v));
    let min = values.iter().fold(0.0_f64, |m, v| m.min(*v));
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let plot = HEIGHT - TOP - BOTTOM;
    let zero = TOP + plot * max / span;
    let slot = (WIDTH - 2.0 * LEFT) / values.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);

    let text = years
        .iter()
        .map(|y| {
            format!(
                "{} {}: COP {}",
                lang.t("evaluation-year"),
                y.year,
                pesos(lang, y.net_flow)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let title = escape(lang.t("evaluation-chart_title"));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="net-flow-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="chart-title chart-desc"><title id="chart-title">{title}</title><desc id="chart-desc">{}</desc>"#,
        escape(&text)
    );
    for (i, (value, year)) in values.iter().zip(years).enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let height = (value.abs() / span * plot).max(0.5);
        let y = if *value >= 0.0 { zero - height } else { zero };
        let class = if *value >= 0.0 { "#2e7d32" } else { "#c62828" };
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{height:.1}" fill="{class}"><title>{} {}: COP {}</title></rect>"#,
            escape(lang.t("evaluation-year")),
            year.year,
            escape(&pesos(lang, year.net_flow))
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
            x + bar / 2.0,
            HEIGHT - 10.0,
            year.year
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{zero:.1}" y2="{zero:.1}" stroke="#333" stroke-width="1"/></svg>"##,
        WIDTH - LEFT
    );
    (svg, text)
}

/// Horizontal bars of the IRR of the base case and of every sensitivity case (the NPV when
/// the base case has no single IRR), with a vertical line at the minimum IRR (or at zero NPV)
/// and the switching values beside it; the sensitivity table holds the same figures.
fn sensitivity_chart(lang: Lang, evaluated: &Evaluated) -> String {
    const WIDTH: f64 = 720.0;
    const ROW: f64 = 26.0;
    const TOP: f64 = 44.0;
    const LABEL: f64 = 190.0;
    const PLOT: f64 = 380.0;
    let e = &evaluated.evaluation;
    let rules = &evaluated.rules;
    let by_irr = matches!(e.irr, Irr::Unique(_));
    let base_name = lang.t("evaluation-base_case").to_owned();
    let mut rows: Vec<(String, Option<f64>, String)> = Vec::new();
    let value_of = |irr: &Irr, npv: Decimal| -> (Option<f64>, String) {
        if by_irr {
            match irr {
                Irr::Unique(rate) => (Some(*rate * 100.0), percent(lang, *rate)),
                other => (None, irr_text(lang, other)),
            }
        } else {
            (npv.to_f64(), format!("COP {}", pesos(lang, npv)))
        }
    };
    let (value, text) = value_of(&e.irr, e.npv);
    rows.push((base_name, value, text));
    for case in &e.sensitivity.cases {
        let (value, text) = value_of(&case.irr, case.npv);
        rows.push((
            format!("{} ({})", case.name, signed_percent(lang, case.change)),
            value,
            text,
        ));
    }
    let reference = if by_irr {
        (rules.min_irr.value * Decimal::ONE_HUNDRED)
            .to_f64()
            .unwrap_or(0.0)
    } else {
        0.0
    };
    let values = rows.iter().filter_map(|r| r.1);
    let max = values.clone().fold(reference.max(0.0), f64::max);
    let min = values.fold(reference.min(0.0), f64::min);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let x_of = |v: f64| LABEL + (v - min) / span * PLOT;
    let zero = x_of(0.0);
    let line_x = x_of(reference);
    let height = TOP + ROW * rows.len() as f64 + 10.0;
    let line_label = if by_irr {
        format!(
            "{} {}",
            lang.t("evaluation-chart_min_irr"),
            decimal_percent(lang, rules.min_irr.value)
        )
    } else {
        lang.t("evaluation-chart_npv_zero").to_owned()
    };
    let switching = format!(
        "{}: {} {} · {} {}",
        lang.t("evaluation-chart_switching"),
        lang.t("evaluation-chart_price"),
        switching_text(
            lang,
            e.sensitivity.price_drop,
            rules.sensitivity.price_drop_search_max
        ),
        lang.t("evaluation-chart_costs"),
        switching_text(
            lang,
            e.sensitivity.cost_rise,
            rules.sensitivity.cost_rise_search_max
        ),
    );
    let title = if by_irr {
        lang.t("evaluation-chart_sensitivity_irr")
    } else {
        lang.t("evaluation-chart_sensitivity_npv")
    };
    let description = rows
        .iter()
        .map(|(name, _, text)| format!("{name}: {text}"))
        .chain([line_label.clone(), switching.clone()])
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="sensitivity-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-label="{}" aria-describedby="sensitivity-chart-desc"><title>{}</title><desc id="sensitivity-chart-desc">{}</desc>"#,
        escape(title),
        escape(title),
        escape(&description)
    );
    let anchor = if line_x > LABEL + PLOT / 2.0 {
        "end"
    } else {
        "start"
    };
    let text_x = if anchor == "end" {
        line_x - 4.0
    } else {
        line_x + 4.0
    };
    let _ = write!(
        svg,
        r#"<text x="{text_x:.1}" y="14" font-size="11" text-anchor="{anchor}" font-weight="bold">{}</text><text x="{text_x:.1}" y="30" font-size="10" text-anchor="{anchor}">{}</text>"#,
        escape(&line_label),
        escape(&switching)
    );
    for (i, (name, value, text)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            LABEL - 6.0,
            y + ROW * 0.6,
            escape(name)
        );
        if let Some(v) = value {
            let x = x_of(*v);
            let (start, width) = if x >= zero {
                (zero, x - zero)
            } else {
                (x, zero - x)
            };
            let fill = if by_irr && *v < reference || !by_irr && *v < 0.0 {
                "#c62828"
            } else {
                "#2e7d32"
            };
            let _ = write!(
                svg,
                r#"<rect x="{start:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}: {}</title></rect>"#,
                y + 4.0,
                width.max(0.5),
                ROW - 8.0,
                escape(name),
                escape(text)
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
            LABEL + PLOT + 10.0,
            y + ROW * 0.6,
            escape(text)
        );
    }
    let bottom = TOP + ROW * rows.len() as f64;
    let _ = write!(
        svg,
        r##"<line x1="{zero:.1}" x2="{zero:.1}" y1="{TOP}" y2="{bottom:.1}" stroke="#333" stroke-width="1"/><line id="sensitivity-minimum" x1="{line_x:.1}" x2="{line_x:.1}" y1="36" y2="{bottom:.1}" stroke="#1565c0" stroke-width="2" stroke-dasharray="4 3"/></svg>"##
    );
    svg
}

fn result_view(lang: Lang, evaluated: &Evaluated) -> ResultView {
    let frame = &evaluated.formulation.frame;
    let e = &evaluated.evaluation;
    let rules = &evaluated.rules;
    let income = &e.family_income;
    let (chart_svg, chart_text) = net_flow_chart(lang, &e.cash_flow.years);
    ResultView {
        code: frame.code.clone(),
        title: frame.title.clone(),
        place: place(&frame.municipality),
        typology: frame.typology,
        budget_year: frame.budget_year,
        horizon_years: frame.horizon_years,
        families: frame.households.len(),
        viable: e.verdict.viable,
        reasons: e
            .verdict
            .reasons
            .iter()
            .map(|r| ReasonRow {
                check: lang
                    .t(&format!("evaluation.check_{}", r.check.as_str()))
                    .to_owned(),
                code: r.check.as_str(),
                article: r.article.clone(),
                passed: r.passed,
                seen: value_text(lang, &r.seen),
                threshold: r.threshold.as_ref().map_or_else(String::new, |b| {
                    format!("{} {}", b.comparison.symbol(), value_text(lang, &b.value))
                }),
            })
            .collect(),
        irr: irr_text(lang, &e.irr),
        mirr: e.mirr.map_or_else(String::new, |rate| percent(lang, rate)),
        irr_decided_by: decided_by(lang, e),
        min_irr: format!(
            "{} {}",
            rules.min_irr.comparison.symbol(),
            decimal_percent(lang, rules.min_irr.value)
        ),
        discount_rate: decimal_percent(lang, e.discount_rate),
        npv: pesos(lang, e.npv),
        benefit_cost: ratio(lang, e.benefit_cost),
        income_smmlv: lang.amount(&income.in_smmlv.round_dp(2)),
        income_pesos: pesos(lang, income.per_family),
        income_year: income.year,
        minimum_wage: pesos(lang, income.minimum_wage),
        flow_headers: FLOW_COLUMNS
            .iter()
            .map(|(key, _)| lang.t(key).to_owned())
            .collect(),
        flow_rows: e
            .cash_flow
            .years
            .iter()
            .map(|y| FlowRow {
                year: y.year,
                cells: FLOW_COLUMNS
                    .iter()
                    .map(|(_, value)| pesos(lang, value(y)))
                    .collect(),
            })
            .collect(),
        cofinancing: evaluated
            .cofinancing
            .as_ref()
            .ok()
            .map(|s| cofinancing_view(lang, s)),
        cofinancing_error: evaluated.cofinancing.as_ref().err().cloned(),
        sensitivity_article: rules.sensitivity.article.clone(),
        cases: e
            .sensitivity
            .cases
            .iter()
            .map(|c| CaseRow {
                name: c.name.clone(),
                variable: lang
                    .t(&format!("evaluation.variable_{}", c.variable.as_str()))
                    .to_owned(),
                change: signed_percent(lang, c.change),
                irr: irr_text(lang, &c.irr),
                npv: pesos(lang, c.npv),
                benefit_cost: ratio(lang, c.benefit_cost),
            })
            .collect(),
        price_drop: switching_text(
            lang,
            e.sensitivity.price_drop,
            rules.sensitivity.price_drop_search_max,
        ),
        cost_rise: switching_text(
            lang,
            e.sensitivity.cost_rise,
            rules.sensitivity.cost_rise_search_max,
        ),
        chart_svg,
        chart_text,
        sensitivity_svg: sensitivity_chart(lang, evaluated),
    }
}
