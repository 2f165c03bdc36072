//! `vereda evaluate`: the financial evaluation of project files (docs/formulation.md).
//!
//! One project: `vereda evaluate FILE [--json] [--xlsx OUT] [--pdf OUT] [--rules ID|FILE]` reads a
//! formulation (TOML or JSON, one schema, or a filled XLSX template), validates it and prints
//! the report or one JSON document. `vereda evaluate --template OUT.xlsx` writes the empty
//! template (`vereda_documents::formulation_xlsx`). Many: `vereda evaluate --batch DIR|FILE.jsonl
//! --out results.csv` evaluates every file of a directory or every line of a JSONL file in
//! parallel, one CSV row each; a project that does not parse or validate gets its message in the
//! `error` column and the batch goes on.
//!
//! The engine is `vereda_domain::finance`; this module reads files, picks the rule set and
//! presents the results.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;
use vereda_messages::{Lang, Message};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use vereda_documents::evaluation_pdf::{self, EvaluationReport};
use vereda_documents::evaluation_xlsx;
use vereda_documents::formulation_file::ProjectFormat;
use vereda_documents::formulation_xlsx::{self, FormulationImportError};
use vereda_domain::finance::rules::{FamilyLabourTreatment, FinancialRules};
use vereda_domain::finance::{
    CashFlowYear, CofinancingSplit, Evaluation, Evaluator, Formulation, Funder, Irr, Problem, SwitchingValue,
    split,
};
use vereda_domain::money::format_amount;
use vereda_domain::rules::{RuleBook, RuleSet};
use vereda_domain::territory::{DaneCode, catalog};
use vereda_screening::screening::write_atomically;

use crate::rule_sets::rule_book;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The project file: .toml or .json, one schema, or a filled .xlsx template (see
    /// docs/formulation.md).
    #[arg(required_unless_present_any = ["batch", "template"], conflicts_with_all = ["batch", "template"])]
    file: Option<PathBuf>,
    /// Write the empty XLSX formulation template (Proyecto, Familias, Presupuesto,
    /// Producción, Asistencia técnica, Instrucciones...) and stop; fill it in and evaluate it
    /// with `vereda evaluate FILE.xlsx`.
    #[arg(long, value_name = "OUT.xlsx", conflicts_with_all = ["batch", "json", "xlsx", "pdf", "rules"])]
    template: Option<PathBuf>,
    /// Print the whole evaluation as one JSON document instead of the report.
    #[arg(long)]
    json: bool,
    /// Also write the evaluation as a workbook: Resumen, Flujo de caja, Cofinanciación,
    /// Sensibilidad.
    #[arg(long, value_name = "OUT.xlsx")]
    xlsx: Option<PathBuf>,
    /// Also write the evaluation as a PDF report (A4): verdict with reasons and articles,
    /// indicators, cash flow, co-financing and sensitivity.
    #[arg(long, value_name = "OUT.pdf")]
    pdf: Option<PathBuf>,
    /// The rule set: a shipped id (see `vereda rules list`) or a rule-set file (.toml).
    /// Default: the one in force on January 1 of the project's budget year (or, when none is,
    /// the first to come into force during that year).
    #[arg(long, value_name = "ID|FILE")]
    rules: Option<String>,
    /// Evaluate every .toml and .json file of a directory (sorted by name), or every line of a
    /// .jsonl file, in parallel.
    #[arg(long, value_name = "DIR|FILE.jsonl", requires = "out", conflicts_with_all = ["json", "xlsx", "pdf"])]
    batch: Option<PathBuf>,
    /// Where --batch writes one CSV row per project.
    #[arg(long, value_name = "RESULTS.csv", requires = "batch")]
    out: Option<PathBuf>,
}

pub fn evaluate(args: EvaluateArgs) -> Result<()> {
    if let Some(out) = &args.template {
        formulation_xlsx::write_template(out).map_err(|e| anyhow!("{e}"))?;
        eprintln!("wrote the formulation template {}", out.display());
        return Ok(());
    }
    let (book, chosen) = rule_book(args.rules.as_deref())?;
    if let Some(input) = &args.batch {
        let out = args
            .out
            .as_deref()
            .ok_or_else(|| anyhow!("--batch needs --out RESULTS.csv"))?;
        return batch(&book, chosen.as_deref(), input, out);
    }
    let Some(file) = args.file else {
        bail!(
            "give a project file (.toml, .json or .xlsx), --template OUT.xlsx, or --batch DIR|FILE.jsonl --out RESULTS.csv"
        );
    };
    let name = file.display().to_string();
    let formulation = read_project(&file, &name)?;
    let selected = select(&book, chosen.as_deref(), formulation.frame.budget_year)
        .map_err(|message| anyhow!("{name}: {message}"))?;
    let problems = formulation.validate(selected.financial);
    if !problems.is_empty() {
        bail!("{}", problem_report(&name, &problems));
    }
    let outcome = Outcome::new(formulation, &selected, &Evaluator::new(selected.financial))
        .map_err(|message| anyhow!("{name}: {message}"))?;
    if args.json {
        let document = serde_json::to_string_pretty(&outcome.document())?;
        println!("{document}");
    } else {
        print!("{}", text_report(&outcome)?);
    }
    let place = outcome.place_name();
    let report = outcome.report(&place);
    if let Some(path) = &args.xlsx {
        let bytes =
            evaluation_xlsx::workbook(&report).map_err(|e| anyhow!("cannot build the workbook: {e}"))?;
        write_atomically(path, |out| out.write_all(&bytes))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.pdf {
        let bytes = evaluation_pdf::render(&report);
        write_atomically(path, |out| out.write_all(&bytes))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rule sets

/// The rule set a project is evaluated under, and why it was chosen.
struct Selected<'b> {
    set: &'b RuleSet,
    financial: &'b FinancialRules,
    how: String,
}

/// The rule set `chosen` with `--rules` or, by default, the one of the budget year: the one
/// choice of `RuleBook::choose`, told in the command line's language.
fn select<'b>(book: &'b RuleBook, chosen: Option<&str>, budget_year: i16) -> Result<Selected<'b>, String> {
    let lang = crate::lang::lang();
    let choice = book
        .choose(chosen, budget_year)
        .map_err(|e| lang.say(&e.message()))?;
    Ok(Selected {
        set: choice.set,
        financial: choice.financial,
        how: lang.say(&choice.explanation()),
    })
}

// ---------------------------------------------------------------------------------------------
// Reading project files

/// The syntax of a project file by its extension, or an error saying which files are read.
fn format_of(path: &Path) -> Result<ProjectFormat, String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    ProjectFormat::of(name).ok_or_else(|| {
        "unsupported file type; a project file is .toml, .json or a filled .xlsx template".to_owned()
    })
}

/// Parses a project file; errors name `name` and the line and column at fault. `line_offset`
/// is added to the line (for a line of a JSONL file, the line before it).
fn parse_project(
    format: ProjectFormat,
    name: &str,
    text: &str,
    line_offset: usize,
) -> Result<Formulation, String> {
    format.parse(text).map_err(|error| match error.line {
        Some(_) => format!("{name}, {}", error.shifted(line_offset)),
        None => format!("{name}: {error}"),
    })
}

/// A project file: TOML or JSON, or a filled XLSX template (by extension).
fn read_project(file: &Path, name: &str) -> Result<Formulation> {
    let is_xlsx = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        return formulation_xlsx::read_formulation(file).map_err(|error| match error {
            FormulationImportError::Cells(errors) => {
                let lang = crate::lang::lang();
                let summary = lang.t_with(
                    "row-error-template_summary",
                    &[("count", vereda_messages::Arg::from(errors.len()))],
                );
                let mut lines = vec![format!("{name}: {summary}")];
                lines.extend(errors.iter().map(|e| format!("  {}", lang.say(&e.located()))));
                anyhow!("{}", lines.join("\n"))
            }
            other => anyhow!("{other}"),
        });
    }
    let kind = format_of(file).map_err(|message| anyhow!("{name}: {message}"))?;
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {name}"))?;
    parse_project(kind, name, &text, 0).map_err(|message| anyhow!(message))
}

/// The problems of a formulation, from the catalogue (in Spanish, the command line's language).
fn problem_report(name: &str, problems: &[Problem]) -> String {
    let lang = crate::lang::lang();
    let mut out = format!(
        "{name}: {}",
        lang.say(&Message::new("evaluation-problem_count").with("count", problems.len()))
    );
    for problem in problems {
        out.push_str("\n  ");
        out.push_str(&problem_line(lang, problem));
    }
    out
}

/// One problem: the field's path, what is wrong and the article.
fn problem_line(lang: Lang, problem: &Problem) -> String {
    let said = lang.say(&problem.message);
    if problem.article.is_empty() {
        format!("{}: {said}", problem.path)
    } else {
        format!("{}: {said} ({})", problem.path, problem.article)
    }
}

// ---------------------------------------------------------------------------------------------
// One evaluated project

/// A formulation, its evaluation and its co-financing split under one rule set.
struct Outcome {
    formulation: Formulation,
    rules: FinancialRules,
    rule_set: RuleSetSummary,
    evaluation: Evaluation,
    cofinancing: Result<CofinancingSplit, String>,
}

impl Outcome {
    fn new(
        formulation: Formulation,
        selected: &Selected<'_>,
        evaluator: &Evaluator<'_>,
    ) -> Result<Self, String> {
        let evaluation = evaluator
            .evaluate(&formulation)
            .map_err(|e| format!("cannot be evaluated: {e}"))?;
        let cofinancing = split(&formulation, selected.financial).map_err(|e| e.to_string());
        Ok(Self {
            rule_set: RuleSetSummary::new(selected),
            rules: selected.financial.clone(),
            formulation,
            evaluation,
            cofinancing,
        })
    }

    /// The municipality's name (and department), or empty when the code is unknown.
    fn place_name(&self) -> String {
        Place::of(&self.formulation.frame.municipality).map_or_else(String::new, |p| match p.department {
            Some(department) => format!("{} ({department})", p.municipality),
            None => p.municipality,
        })
    }

    /// What the PDF report and the workbook show (`vereda_documents`, shared with the web page).
    fn report<'a>(&'a self, place: &'a str) -> EvaluationReport<'a> {
        EvaluationReport {
            formulation: &self.formulation,
            evaluation: &self.evaluation,
            rules: &self.rules,
            cofinancing: self.cofinancing.as_ref().map_err(String::as_str),
            rule_set_id: &self.rule_set.id,
            rule_set_hash: &self.rule_set.content_hash,
            rule_set_period: &self.rule_set.period,
            municipality_name: place,
        }
    }

    fn document(&self) -> Document<'_> {
        let frame = &self.formulation.frame;
        let place = Place::of(&frame.municipality);
        Document {
            project: ProjectSummary {
                code: &frame.code,
                title: &frame.title,
                municipality: &frame.municipality,
                municipality_name: place.as_ref().map(|p| p.municipality.clone()),
                department: place.as_ref().and_then(|p| p.department.clone()),
                typology: frame.typology,
                budget_year: frame.budget_year,
                horizon_years: frame.horizon_years,
                families: frame.households.len(),
            },
            rule_set: &self.rule_set,
            evaluation: &self.evaluation,
            cofinancing: self.cofinancing.as_ref().ok(),
            cofinancing_error: self.cofinancing.as_ref().err().map(String::as_str),
        }
    }
}

/// The JSON document of `--json`: nothing in it depends on the file's name or format.
#[derive(Serialize)]
struct Document<'a> {
    project: ProjectSummary<'a>,
    rule_set: &'a RuleSetSummary,
    evaluation: &'a Evaluation,
    cofinancing: Option<&'a CofinancingSplit>,
    cofinancing_error: Option<&'a str>,
}

#[derive(Serialize)]
struct ProjectSummary<'a> {
    code: &'a str,
    title: &'a str,
    municipality: &'a str,
    municipality_name: Option<String>,
    department: Option<String>,
    typology: u8,
    budget_year: i16,
    horizon_years: u16,
    families: usize,
}

#[derive(Serialize)]
struct RuleSetSummary {
    id: String,
    title: String,
    period: String,
    content_hash: String,
    source: String,
    /// Why this rule set applies.
    selection: String,
}

impl RuleSetSummary {
    fn new(selected: &Selected<'_>) -> Self {
        let set = selected.set;
        Self {
            id: set.id.clone(),
            title: set.title.clone(),
            period: set.period(),
            content_hash: set.content_hash.clone(),
            source: set.source.clone(),
            selection: selected.how.clone(),
        }
    }
}

struct Place {
    municipality: String,
    department: Option<String>,
}

impl Place {
    fn of(code: &str) -> Option<Self> {
        let code = DaneCode::parse(code).ok()?;
        let municipality = code.municipality();
        Some(Self {
            municipality: municipality.name.clone(),
            department: catalog()
                .department(municipality.department_code)
                .map(|d| d.name.clone()),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Presentation helpers

fn pesos(amount: Decimal) -> String {
    format_amount(amount.round_dp(0))
}

fn percent(rate: f64) -> String {
    format!("{:.2} %", rate * 100.0)
}

fn decimal_percent(fraction: Decimal) -> String {
    format!("{} %", (fraction * Decimal::ONE_HUNDRED).round_dp(2).normalize())
}

fn signed_percent(fraction: Decimal) -> String {
    let sign = if fraction > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}", decimal_percent(fraction))
}

fn irr_text(irr: &Irr) -> String {
    match irr {
        Irr::None => "none: the flow has no internal rate of return".to_owned(),
        Irr::Unique(rate) => percent(*rate),
        Irr::Several(rates) => {
            let list: Vec<String> = rates.iter().map(|r| percent(*r)).collect();
            format!("several ({}): the modified IRR decides", list.join(", "))
        }
    }
}

fn ratio_text(ratio: Option<Decimal>) -> String {
    ratio.map_or_else(
        || "undefined".to_owned(),
        |r| r.round_dp(4).normalize().to_string(),
    )
}

fn switching_text(value: SwitchingValue, search_max: Decimal) -> String {
    match value {
        SwitchingValue::Found(change) => percent(change),
        SwitchingValue::AlreadyBelow => "none: the base IRR already misses the minimum".to_owned(),
        SwitchingValue::NotInRange => format!(
            "none up to {}: the IRR stays at the minimum or above",
            decimal_percent(search_max)
        ),
    }
}

fn funder_name(funder: &Funder) -> String {
    match funder {
        Funder::Institute => "Institute".to_owned(),
        Funder::Counterpart => "Counterpart".to_owned(),
        Funder::Other(name) => name.clone(),
    }
}

/// A column of the terminal's cash-flow table: English header, value of a year. (The PDF and
/// the workbook have their Spanish columns in `vereda_documents::evaluation_pdf`.)
type FlowColumn = (&'static str, fn(&CashFlowYear) -> Decimal);

/// The columns of the cash-flow table, in order.
const FLOW_COLUMNS: [FlowColumn; 12] = [
    ("income", |y| y.income),
    ("operating", |y| y.operating_costs),
    ("output", |y| y.output_costs),
    ("hired lab.", |y| y.hired_labour),
    ("family lab.", |y| y.family_labour),
    ("fam. charged", |y| y.family_labour_charged),
    ("replacements", |y| y.replacements),
    ("investment", |y| y.investment),
    ("tech. assist.", |y| y.technical_assistance),
    ("TA neutral", |y| y.technical_assistance_neutralised),
    ("residual", |y| y.residual_value),
    ("net flow", |y| y.net_flow),
];

/// A plain-text table; `align` has one letter per column, `l` (left) or `r` (right); columns
/// beyond it are right-aligned.
fn table(out: &mut String, align: &str, header: &[String], rows: &[Vec<String>]) -> fmt::Result {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let align = align.as_bytes();
    let line = |out: &mut String, cells: &[String]| -> fmt::Result {
        out.push(' ');
        for (i, cell) in cells.iter().enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            if align.get(i) == Some(&b'l') {
                write!(out, " {cell:<width$} ")?;
            } else {
                write!(out, " {cell:>width$} ")?;
            }
        }
        // No trailing spaces.
        let end = out.trim_end_matches(' ').len();
        out.truncate(end);
        out.push('\n');
        Ok(())
    };
    line(out, header)?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rule)?;
    for row in rows {
        line(out, row)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The text report

fn text_report(outcome: &Outcome) -> Result<String, fmt::Error> {
    let mut out = String::new();
    let f = &outcome.formulation;
    let frame = &f.frame;
    let e = &outcome.evaluation;
    let rules = &outcome.rules;
    let income = &e.family_income;

    writeln!(out, "{} — {}", frame.code, frame.title)?;
    let place = Place::of(&frame.municipality).map_or_else(String::new, |p| match p.department {
        Some(department) => format!(" {} ({department})", p.municipality),
        None => format!(" {}", p.municipality),
    });
    writeln!(
        out,
        "Municipality {}{place} · typology {} (Art. 22) · budget year {} (SMMLV COP {}) · horizon {} years · {} families",
        frame.municipality,
        frame.typology,
        frame.budget_year,
        pesos(income.minimum_wage),
        frame.horizon_years,
        frame.households.len()
    )?;
    let r = &outcome.rule_set;
    writeln!(
        out,
        "Rule set {} (sha256 {}), in force {}: {}",
        r.id,
        r.content_hash.get(..12).unwrap_or(&r.content_hash),
        r.period,
        r.selection
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "Cash flow, COP at constant prices of the budget year; year 0 is the investment ({})",
        rules.min_horizon_years.article
    )?;
    let charged = rules.family_labour.treatment == FamilyLabourTreatment::OpportunityCost;
    let columns: Vec<usize> = (0..FLOW_COLUMNS.len())
        .filter(|&i| match FLOW_COLUMNS[i].0 {
            // One family-labour column: the charged one when it is charged, else the valued one.
            "family lab." => !charged,
            "fam. charged" => charged,
            _ => true,
        })
        .collect();
    let mut header = vec!["year".to_owned()];
    header.extend(columns.iter().map(|&i| FLOW_COLUMNS[i].0.to_owned()));
    let rows: Vec<Vec<String>> = e
        .cash_flow
        .years
        .iter()
        .map(|y| {
            let mut row = vec![y.year.to_string()];
            row.extend(columns.iter().map(|&i| pesos((FLOW_COLUMNS[i].1)(y))));
            row
        })
        .collect();
    table(&mut out, "l", &header, &rows)?;
    writeln!(
        out,
        "  Family labour is valued at the day wage and {} ({}). Technical assistance is added back \
         in its neutral years ({}: years {}).",
        if charged {
            "charged as an opportunity cost"
        } else {
            "left out of the net flow"
        },
        rules.family_labour.article,
        rules.technical_assistance.article,
        rules
            .technical_assistance
            .neutral_span()
            .map_or_else(|| "none".to_owned(), |(first, last)| format!("{first}-{last}"))
    )?;

    writeln!(out)?;
    writeln!(out, "Indicators ({})", rules.min_irr.article)?;
    let rate = decimal_percent(e.discount_rate);
    writeln!(out, "  {:<22}{}", "IRR (TIR)", irr_text(&e.irr))?;
    if let Some(mirr) = e.mirr {
        writeln!(
            out,
            "  {:<22}{} (finance and reinvestment at {rate}): decides the IRR check",
            "MIRR (TIRM)",
            percent(mirr)
        )?;
    }
    writeln!(
        out,
        "  {:<22}COP {}",
        format!("NPV (VPN) at {rate}"),
        pesos(e.npv)
    )?;
    writeln!(
        out,
        "  {:<22}{} = PV benefits COP {} / PV costs COP {}",
        format!("B/C at {rate}"),
        ratio_text(e.benefit_cost),
        pesos(e.present_value_benefits),
        pesos(e.present_value_costs)
    )?;
    writeln!(
        out,
        "  {:<22}COP {} per {} = {} SMMLV (year {}: net operating income COP {} / {} families)",
        "Income per family",
        pesos(income.per_family),
        income.period,
        income.in_smmlv.round_dp(4).normalize(),
        income.year,
        pesos(income.project_income),
        income.families
    )?;

    writeln!(out)?;
    let failed = e.verdict.failures().count();
    if e.verdict.viable {
        writeln!(
            out,
            "Verdict: VIABLE (all {} checks met)",
            e.verdict.reasons.len()
        )?;
    } else {
        writeln!(
            out,
            "Verdict: NOT VIABLE ({failed} of {} checks not met)",
            e.verdict.reasons.len()
        )?;
    }
    let reason_rows: Vec<Vec<String>> = e
        .verdict
        .reasons
        .iter()
        .map(|reason| {
            vec![
                if reason.passed { "met" } else { "NOT MET" }.to_owned(),
                reason.check.to_string(),
                reason.article.clone(),
                reason.seen.to_string(),
                reason.threshold.as_ref().map_or_else(
                    || "present".to_owned(),
                    |b| format!("{} {}", b.comparison.symbol(), b.value),
                ),
            ]
        })
        .collect();
    table(
        &mut out,
        "lllll",
        &[
            "".into(),
            "check".into(),
            "article".into(),
            "seen".into(),
            "required".into(),
        ],
        &reason_rows,
    )?;

    writeln!(out)?;
    match &outcome.cofinancing {
        Ok(split) => cofinancing_report(&mut out, split)?,
        Err(message) => writeln!(out, "Co-financing: cannot be split: {message}")?,
    }

    writeln!(out)?;
    writeln!(
        out,
        "Sensitivity ({}; NPV and B/C at {rate})",
        rules.sensitivity.article
    )?;
    let mut case_rows = vec![vec![
        "base".to_owned(),
        String::new(),
        irr_text_short(&e.irr),
        pesos(e.npv),
        ratio_text(e.benefit_cost),
    ]];
    case_rows.extend(e.sensitivity.cases.iter().map(|case| {
        vec![
            case.name.clone(),
            format!("{} {}", case.variable, signed_percent(case.change)),
            irr_text_short(&case.irr),
            pesos(case.npv),
            ratio_text(case.benefit_cost),
        ]
    }));
    table(
        &mut out,
        "ll",
        &[
            "case".into(),
            "change".into(),
            "IRR".into(),
            "NPV".into(),
            "B/C".into(),
        ],
        &case_rows,
    )?;
    let minimum = percent(rules.min_irr.value.to_f64().unwrap_or(f64::NAN));
    writeln!(
        out,
        "  Switching values (the change that brings the IRR down to {minimum}):"
    )?;
    writeln!(
        out,
        "    price drop  {}",
        switching_text(e.sensitivity.price_drop, rules.sensitivity.price_drop_search_max)
    )?;
    writeln!(
        out,
        "    cost rise   {}",
        switching_text(e.sensitivity.cost_rise, rules.sensitivity.cost_rise_search_max)
    )?;
    Ok(out)
}

fn irr_text_short(irr: &Irr) -> String {
    match irr {
        Irr::None => "none".to_owned(),
        Irr::Unique(rate) => percent(*rate),
        Irr::Several(rates) => {
            let list: Vec<String> = rates.iter().map(|r| percent(*r)).collect();
            format!("several: {}", list.join(", "))
        }
    }
}

fn cofinancing_report(out: &mut String, split: &CofinancingSplit) -> fmt::Result {
    writeln!(
        out,
        "Co-financing ({}; eligible expenses Art. 20, non-eligible Art. 21)",
        split.institute_maximum_article
    )?;
    writeln!(
        out,
        "  Project value V               COP {}",
        pesos(split.project_value)
    )?;
    writeln!(
        out,
        "  Institute maximum             COP {} = Σ min(p·V/F, c·S), S = COP {}",
        pesos(split.institute_maximum),
        pesos(split.minimum_wage)
    )?;
    let families: usize = split.family_groups.iter().map(|g| g.families).sum();
    for group in &split.family_groups {
        writeln!(
            out,
            "    {:>3} famil{} at {} %, cap {} SMMLV: min(COP {}, COP {}) each = COP {}",
            group.families,
            if group.families == 1 { "y " } else { "ies" },
            group.max_pct.normalize(),
            group.cap_smmlv.normalize(),
            pesos(group.by_percentage),
            pesos(group.by_cap),
            pesos(group.limit)
        )?;
    }
    writeln!(out, "    ({families} families in all)")?;
    writeln!(
        out,
        "  Requested of the institute    COP {}",
        pesos(split.requested)
    )?;
    writeln!(
        out,
        "  Eligible total (Art. 20)      COP {}",
        pesos(split.eligible_total)
    )?;
    writeln!(
        out,
        "  Non-eligible total (Art. 21)  COP {}",
        pesos(split.non_eligible_total)
    )?;
    writeln!(
        out,
        "  Institute contribution        COP {} = min(requested, maximum, eligible total); binding: {}",
        pesos(split.contribution),
        split.binding_limit
    )?;
    writeln!(
        out,
        "  Counterpart (contrapartida)   COP {} = V - contribution: COP {} in the lines of the families and other funders{}",
        pesos(split.counterpart),
        pesos(split.counterpart_declared),
        if split.counterpart_additional.is_zero() {
            String::new()
        } else {
            format!(
                " + COP {} asked of the institute beyond what it can pay",
                pesos(split.counterpart_additional)
            )
        }
    )?;
    if !split.ineligible_lines_moved.is_empty() {
        let lines: Vec<String> = split
            .ineligible_lines_moved
            .iter()
            .map(|i| format!("budget[{i}]"))
            .collect();
        writeln!(
            out,
            "  Non-eligible lines asked of the institute, passed to the counterpart: {}",
            lines.join(", ")
        )?;
    }
    writeln!(
        out,
        "  Guarantee (Art. 31 policy)    COP {} for {} months ({})",
        pesos(split.guarantee.amount),
        split.guarantee.months,
        split.guarantee.article
    )?;
    writeln!(out, "  By funder and category:")?;
    let mut header = vec!["category".to_owned()];
    header.extend(split.by_funder.iter().map(|s| funder_name(&s.funder)));
    header.push("total".to_owned());
    let mut rows: Vec<Vec<String>> = split
        .by_category
        .iter()
        .map(|(category, total)| {
            let mut row = vec![category.to_string()];
            row.extend(split.by_funder.iter().map(|share| {
                share
                    .by_category
                    .get(category)
                    .map_or_else(|| "-".to_owned(), |a| pesos(*a))
            }));
            row.push(pesos(*total));
            row
        })
        .collect();
    let mut totals = vec!["total".to_owned()];
    totals.extend(split.by_funder.iter().map(|s| pesos(s.total)));
    totals.push(pesos(split.project_value));
    rows.push(totals);
    table(out, "l", &header, &rows)
}

// ---------------------------------------------------------------------------------------------
// Batch

/// One project to evaluate: where it comes from and its text (or why it could not be read).
struct Item<'t> {
    source: String,
    kind: ProjectFormat,
    line_offset: usize,
    text: Result<&'t str, String>,
}

/// One row of the results CSV.
#[derive(Default)]
struct Row {
    source: String,
    code: String,
    viable: String,
    irr: String,
    npv: String,
    benefit_cost: String,
    income_smmlv: String,
    contribution: String,
    counterpart: String,
    failed_checks: String,
    error: String,
}

const RESULTS_HEADER: [&str; 11] = [
    "source",
    "code",
    "viable",
    "irr",
    "npv",
    "benefit_cost",
    "income_per_family_smmlv",
    "institute_contribution",
    "counterpart",
    "failed_checks",
    "error",
];

/// Projects evaluated per chunk: bounds the memory of a large JSONL file.
const CHUNK: usize = 4096;

/// The prepared evaluators, by budget year (or one for every year under --rules).
struct Evaluators<'b> {
    book: &'b RuleBook,
    chosen: Option<&'b str>,
    by_year: HashMap<i16, Result<(Selected<'b>, Evaluator<'b>), String>>,
}

impl<'b> Evaluators<'b> {
    fn prepare(&mut self, year: i16) {
        let (book, chosen) = (self.book, self.chosen);
        self.by_year.entry(year).or_insert_with(|| {
            select(book, chosen, year).map(|selected| {
                let evaluator = Evaluator::new(selected.financial);
                (selected, evaluator)
            })
        });
    }

    fn get(&self, year: i16) -> Result<&(Selected<'b>, Evaluator<'b>), String> {
        match self.by_year.get(&year) {
            Some(Ok(prepared)) => Ok(prepared),
            Some(Err(message)) => Err(message.clone()),
            None => Err(format!("no rule set prepared for {year}")),
        }
    }
}

fn batch(book: &RuleBook, chosen: Option<&str>, input: &Path, out: &Path) -> Result<()> {
    let started = Instant::now();
    let mut evaluators = Evaluators {
        book,
        chosen,
        by_year: HashMap::new(),
    };
    let mut counts = Counts::default();
    if input.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(input)
            .with_context(|| format!("cannot read the directory {}", input.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && format_of(path).is_ok())
            .collect();
        files.sort();
        write_atomically(out, |writer| {
            let mut csv = start_csv(writer)?;
            for chunk in files.chunks(CHUNK) {
                let texts: Vec<Result<String, String>> = chunk
                    .par_iter()
                    .map(|path| {
                        std::fs::read_to_string(path).map_err(|e| format!("cannot read the file: {e}"))
                    })
                    .collect();
                let items: Vec<Item> = chunk
                    .iter()
                    .zip(&texts)
                    .map(|(path, text)| Item {
                        source: path.display().to_string(),
                        kind: format_of(path).unwrap_or(ProjectFormat::Json),
                        line_offset: 0,
                        text: text.as_deref().map_err(|e| format!("{}: {e}", path.display())),
                    })
                    .collect();
                evaluate_chunk(items, &mut evaluators, &mut csv, &mut counts)?;
            }
            csv.flush()
        })
        .with_context(|| format!("cannot write {}", out.display()))?;
    } else if input
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
    {
        let file = File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
        let name = input.display().to_string();
        write_atomically(out, |writer| {
            let mut csv = start_csv(writer)?;
            let mut reader = BufReader::with_capacity(1 << 20, file);
            // One buffer for the lines of a chunk, reused: (start, end, line index) of each.
            let mut buffer: Vec<u8> = Vec::new();
            let mut lines: Vec<(usize, usize, usize)> = Vec::with_capacity(CHUNK);
            let mut index = 0usize;
            loop {
                buffer.clear();
                lines.clear();
                while lines.len() < CHUNK {
                    let start = buffer.len();
                    if reader.read_until(b'\n', &mut buffer)? == 0 {
                        break;
                    }
                    let line = &buffer[start..];
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        let terminator = line
                            .iter()
                            .rev()
                            .take_while(|b| matches!(b, b'\n' | b'\r'))
                            .count();
                        lines.push((start, buffer.len() - terminator, index));
                    }
                    index += 1;
                }
                if lines.is_empty() {
                    break;
                }
                let items: Vec<Item> = lines
                    .iter()
                    .map(|&(start, end, index)| {
                        let source = format!("{name}:{}", index + 1);
                        let text = std::str::from_utf8(&buffer[start..end])
                            .map_err(|e| format!("{source}: the line is not UTF-8: {e}"));
                        Item {
                            source,
                            kind: ProjectFormat::Json,
                            line_offset: index,
                            text,
                        }
                    })
                    .collect();
                evaluate_chunk(items, &mut evaluators, &mut csv, &mut counts)?;
            }
            csv.flush()
        })
        .with_context(|| format!("cannot write {}", out.display()))?;
    } else {
        bail!(
            "--batch {}: give a directory of .toml/.json files or a .jsonl file",
            input.display()
        );
    }
    let mut sets: Vec<String> = evaluators
        .by_year
        .values()
        .filter_map(|prepared| prepared.as_ref().ok())
        .map(|(selected, _)| {
            format!(
                "{} (sha256 {})",
                selected.set.id,
                selected
                    .set
                    .content_hash
                    .get(..12)
                    .unwrap_or(&selected.set.content_hash)
            )
        })
        .collect();
    sets.sort();
    sets.dedup();
    eprintln!(
        "{} projects evaluated from {} with {}: {} viable, {} not viable, {} with errors; {:.2} s; results in {}",
        counts.projects,
        input.display(),
        if sets.is_empty() {
            "no rule set".to_owned()
        } else {
            sets.join(", ")
        },
        counts.viable,
        counts.projects - counts.viable - counts.errors,
        counts.errors,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

#[derive(Default)]
struct Counts {
    projects: usize,
    viable: usize,
    errors: usize,
}

fn start_csv<W: io::Write>(writer: W) -> io::Result<csv::Writer<W>> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(RESULTS_HEADER).map_err(io::Error::other)?;
    Ok(csv)
}

/// Parses a chunk in parallel, prepares the rule sets of its budget years, evaluates it in
/// parallel and writes its rows in input order.
fn evaluate_chunk<W: io::Write>(
    items: Vec<Item>,
    evaluators: &mut Evaluators<'_>,
    csv: &mut csv::Writer<W>,
    counts: &mut Counts,
) -> io::Result<()> {
    let parsed: Vec<(String, Result<Formulation, String>)> = items
        .into_par_iter()
        .map(|item| {
            let formulation = item
                .text
                .and_then(|text| parse_project(item.kind, &item.source, text, item.line_offset));
            (item.source, formulation)
        })
        .collect();
    for (_, formulation) in &parsed {
        if let Ok(formulation) = formulation {
            evaluators.prepare(formulation.frame.budget_year);
        }
    }
    let evaluators = &*evaluators;
    let rows: Vec<Row> = parsed
        .into_par_iter()
        .map(|(source, formulation)| batch_row(source, formulation, evaluators))
        .collect();
    for mut row in rows {
        if row.error.contains('\n') {
            // One line per cell: a message listing the rule sets spans several.
            row.error = row.error.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        }
        counts.projects += 1;
        if !row.error.is_empty() {
            counts.errors += 1;
        } else if row.viable == "true" {
            counts.viable += 1;
        }
        let cells = [
            &row.source,
            &row.code,
            &row.viable,
            &row.irr,
            &row.npv,
            &row.benefit_cost,
            &row.income_smmlv,
            &row.contribution,
            &row.counterpart,
            &row.failed_checks,
            &row.error,
        ];
        csv.write_record(cells.map(|cell| vereda_domain::text::spreadsheet_safe(cell).into_owned()))
            .map_err(io::Error::other)?;
    }
    Ok(())
}

fn batch_row(source: String, formulation: Result<Formulation, String>, evaluators: &Evaluators<'_>) -> Row {
    let mut row = Row {
        source,
        ..Row::default()
    };
    let formulation = match formulation {
        Ok(formulation) => formulation,
        Err(message) => {
            row.error = message;
            return row;
        }
    };
    row.code = formulation.frame.code.clone();
    let (selected, evaluator) = match evaluators.get(formulation.frame.budget_year) {
        Ok(prepared) => prepared,
        Err(message) => {
            row.error = message;
            return row;
        }
    };
    let problems = formulation.validate(selected.financial);
    if !problems.is_empty() {
        let listed: Vec<String> = problems
            .iter()
            .map(|p| problem_line(crate::lang::lang(), p))
            .collect();
        row.error = format!(
            "{} {}",
            crate::lang::lang().say(&Message::new("evaluation-problem_count").with("count", problems.len())),
            listed.join("; ")
        );
        return row;
    }
    let evaluation = match evaluator.evaluate(&formulation) {
        Ok(evaluation) => evaluation,
        Err(error) => {
            row.error = format!("cannot be evaluated: {error}");
            return row;
        }
    };
    row.viable = evaluation.verdict.viable.to_string();
    row.irr = match &evaluation.irr {
        Irr::None => String::new(),
        Irr::Unique(rate) => format!("{rate:.6}"),
        Irr::Several(_) => "several".to_owned(),
    };
    row.npv = evaluation.npv.normalize().to_string();
    row.benefit_cost = evaluation
        .benefit_cost
        .map(|bc| bc.round_dp(6).normalize().to_string())
        .unwrap_or_default();
    row.income_smmlv = evaluation
        .family_income
        .in_smmlv
        .round_dp(6)
        .normalize()
        .to_string();
    let failed: Vec<&str> = evaluation.verdict.failures().map(|r| r.check.as_str()).collect();
    row.failed_checks = failed.join(";");
    match split(&formulation, selected.financial) {
        Ok(split) => {
            row.contribution = split.contribution.normalize().to_string();
            row.counterpart = split.counterpart.normalize().to_string();
        }
        Err(error) => row.error = format!("co-financing: {error}"),
    }
    row
}
