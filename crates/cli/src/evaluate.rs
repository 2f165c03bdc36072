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
use serde::Serialize;
use vereda_documents::evaluation_pdf::{self, EvaluationReport};
use vereda_documents::evaluation_xlsx;
use vereda_documents::formulation_file::ProjectFormat;
use vereda_documents::formulation_xlsx::{self, FormulationImportError};
use vereda_documents::typeset::Templates;
use vereda_domain::finance::rules::{FamilyLabourTreatment, FinancialRules};
use vereda_domain::finance::{CofinancingSplit, Evaluation, Evaluator, Formulation, Irr, Problem, split};
use vereda_domain::rules::{RuleBook, RuleSet};
use vereda_domain::territory::{DaneCode, catalog};
use vereda_screening::screening::write_atomically;
use vereda_screening::table::ReadLimits;

use crate::lang::cannot_write;
use crate::lang::said;
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

pub fn evaluate(args: EvaluateArgs, read_limits: &ReadLimits, templates: &Templates) -> Result<()> {
    let lang = crate::lang::lang();
    let wrote = |path: &Path| {
        eprintln!(
            "{}",
            lang.say(&Message::new("cli-wrote").with("file", path.display().to_string()))
        );
    };
    if let Some(out) = &args.template {
        formulation_xlsx::write_template(out).map_err(|e| cannot_write(out, &e))?;
        wrote(out);
        return Ok(());
    }
    let (book, chosen) = rule_book(args.rules.as_deref())?;
    if let Some(input) = &args.batch {
        let out = args
            .out
            .as_deref()
            .ok_or_else(|| said(Message::new("cli-error-batch_needs_out")))?;
        return batch(&book, chosen.as_deref(), input, out);
    }
    let Some(file) = args.file else {
        return Err(said(Message::new("cli-error-evaluate_nothing")));
    };
    let name = file.display().to_string();
    let formulation = read_project(&file, &name, read_limits)?;
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
        print!("{}", text_report(crate::lang::lang(), &outcome)?);
    }
    let place = outcome.place_name();
    let report = outcome.report(&place);
    if let Some(path) = &args.xlsx {
        let bytes = evaluation_xlsx::workbook(&report).map_err(|e| cannot_write(path, &e))?;
        write_atomically(path, |out| out.write_all(&bytes)).map_err(|e| cannot_write(path, &e))?;
        wrote(path);
    }
    if let Some(path) = &args.pdf {
        let today = vereda_store::projects::today_in_colombia();
        let typeset =
            evaluation_pdf::render(&report, templates, today).map_err(|e| cannot_write(path, &e))?;
        if let Some(problem) = &typeset.replaced {
            eprintln!(
                "{}",
                lang.say(&Message::new("cli-template_replaced").with("problem", problem.to_string()))
            );
        }
        let bytes = typeset.pdf;
        write_atomically(path, |out| out.write_all(&bytes)).map_err(|e| cannot_write(path, &e))?;
        wrote(path);
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
    ProjectFormat::of(name).ok_or_else(|| crate::lang::lang().t("cli-error-project_file_type").to_owned())
}

/// Parses a project file; errors name `name` and the line and column at fault. `line_offset`
/// is added to the line (for a line of a JSONL file, the line before it).
fn parse_project(
    format: ProjectFormat,
    name: &str,
    text: &str,
    line_offset: usize,
) -> Result<Formulation, String> {
    format
        .parse(text)
        .map_err(|error| crate::lang::lang().say(&error.shifted(line_offset).message(name)))
}

/// A project file: TOML or JSON, or a filled XLSX template (by extension).
fn read_project(file: &Path, name: &str, read_limits: &ReadLimits) -> Result<Formulation> {
    let is_xlsx = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        return formulation_xlsx::read_formulation_within(file, read_limits).map_err(|error| match error {
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
            FormulationImportError::Table(error) => said(error.message()),
        });
    }
    let kind = format_of(file).map_err(|message| anyhow!("{name}: {message}"))?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        said(
            Message::new("cli-error-read")
                .with("file", name)
                .with("detail", crate::lang::io_problem(&e)),
        )
    })?;
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
        let evaluation = evaluator.evaluate(&formulation).map_err(|e| {
            crate::lang::lang().say(
                &Message::new("cli-evaluate-cannot_evaluate")
                    .with("detail", crate::lang::lang().say(&e.message())),
            )
        })?;
        let cofinancing =
            split(&formulation, selected.financial).map_err(|e| crate::lang::lang().say(&e.message()));
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
    /// When it is in force, in the language of the run (the report's words).
    #[serde(skip)]
    period_text: String,
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
            period_text: crate::screening::period(crate::lang::lang(), set),
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
// Presentation helpers: the web page's, so the terminal and the page word figures alike.

use vereda_web::pages::evaluation::{
    FLOW_COLUMNS, decimal_percent, funder_name, irr_text, percent, pesos, ratio, signed_percent,
    switching_text, value_text,
};

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

/// The evaluation as text in `lang`, every word from the catalogue (`cli-evaluate-*` and the
/// web page's `evaluation-*`).
fn text_report(lang: Lang, outcome: &Outcome) -> Result<String, fmt::Error> {
    let mut out = String::new();
    let f = &outcome.formulation;
    let frame = &f.frame;
    let e = &outcome.evaluation;
    let rules = &outcome.rules;
    let income = &e.family_income;
    let say = |message: Message| lang.say(&message);

    writeln!(out, "{} — {}", frame.code, frame.title)?;
    let place = Place::of(&frame.municipality).map_or_else(String::new, |p| match p.department {
        Some(department) => format!(" {} ({department})", p.municipality),
        None => format!(" {}", p.municipality),
    });
    writeln!(
        out,
        "{}",
        say(Message::new("cli-evaluate-place")
            .with("code", frame.municipality.as_str())
            .with("place", place)
            .with("typology", frame.typology.to_string())
            .with("year", frame.budget_year.to_string())
            .with("smmlv", pesos(lang, income.minimum_wage))
            .with("horizon", frame.horizon_years)
            .with("families", frame.households.len()))
    )?;
    let r = &outcome.rule_set;
    writeln!(
        out,
        "{}",
        say(Message::new("cli-evaluate-rule_set")
            .with("id", r.id.as_str())
            .with("hash", r.content_hash.get(..12).unwrap_or(&r.content_hash))
            .with("period", r.period_text.as_str())
            .with("selection", r.selection.as_str()))
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "{}",
        say(Message::new("cli-evaluate-cash_flow").with("article", &rules.min_horizon_years.article))
    )?;
    let charged = rules.family_labour.treatment == FamilyLabourTreatment::OpportunityCost;
    let columns: Vec<usize> = (0..FLOW_COLUMNS.len())
        .filter(|&i| match FLOW_COLUMNS[i].0 {
            // One family-labour column: the charged one when it is charged, else the valued one.
            "evaluation-flow_family" => !charged,
            "evaluation-flow_family_charged" => charged,
            _ => true,
        })
        .collect();
    let mut header = vec![lang.t("evaluation-year").to_owned()];
    header.extend(columns.iter().map(|&i| lang.t(FLOW_COLUMNS[i].0).to_owned()));
    let rows: Vec<Vec<String>> = e
        .cash_flow
        .years
        .iter()
        .map(|y| {
            let mut row = vec![y.year.to_string()];
            row.extend(columns.iter().map(|&i| pesos(lang, (FLOW_COLUMNS[i].1)(y))));
            row
        })
        .collect();
    table(&mut out, "l", &header, &rows)?;
    writeln!(
        out,
        "  {}",
        say(Message::new(if charged {
            "cli-evaluate-labour_charged"
        } else {
            "cli-evaluate-labour_left_out"
        })
        .with("article", &rules.family_labour.article)
        .with("ta_article", &rules.technical_assistance.article)
        .with(
            "years",
            rules.technical_assistance.neutral_span().map_or_else(
                || lang.t("evaluation-not_applicable").to_owned(),
                |(first, last)| format!("{first}-{last}")
            )
        ))
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "{}",
        say(Message::new("cli-evaluate-indicators").with("article", &rules.min_irr.article))
    )?;
    let rate = decimal_percent(lang, e.discount_rate);
    let label = |text: String| format!("{text:<26}");
    writeln!(
        out,
        "  {}{}",
        label(lang.t("evaluation-irr").to_owned()),
        irr_text(lang, &e.irr)
    )?;
    if let Some(mirr) = e.mirr {
        writeln!(
            out,
            "  {}{}",
            label(lang.t("cli-evaluate-mirr_label").to_owned()),
            say(Message::new("cli-evaluate-mirr")
                .with("mirr", percent(lang, mirr))
                .with("rate", rate.as_str()))
        )?;
    }
    writeln!(
        out,
        "  {}COP {}",
        label(say(
            Message::new("cli-evaluate-npv_at").with("rate", rate.as_str())
        )),
        pesos(lang, e.npv)
    )?;
    writeln!(
        out,
        "  {}{}",
        label(say(Message::new("cli-evaluate-bc_at").with("rate", rate.as_str()))),
        say(Message::new("cli-evaluate-bc")
            .with("ratio", ratio(lang, e.benefit_cost))
            .with("benefits", pesos(lang, e.present_value_benefits))
            .with("costs", pesos(lang, e.present_value_costs)))
    )?;
    writeln!(
        out,
        "  {}{}",
        label(lang.t("cli-evaluate-income_label").to_owned()),
        say(Message::new("cli-evaluate-income")
            .with("amount", pesos(lang, income.per_family))
            .with_term(
                "period",
                format!("cli-evaluate-period-{}", income.period.as_str())
            )
            .with("smmlv", lang.amount(&income.in_smmlv.round_dp(4)))
            .with("year", income.year.to_string())
            .with("income", pesos(lang, income.project_income))
            .with("families", income.families))
    )?;

    writeln!(out)?;
    let failed = e.verdict.failures().count();
    let checks = e.verdict.reasons.len();
    if e.verdict.viable {
        writeln!(
            out,
            "{}",
            say(Message::new("cli-evaluate-viable").with("count", checks))
        )?;
    } else {
        writeln!(
            out,
            "{}",
            say(Message::new("cli-evaluate-not_viable")
                .with("failed", failed)
                .with("count", checks))
        )?;
    }
    let reason_rows: Vec<Vec<String>> = e
        .verdict
        .reasons
        .iter()
        .map(|reason| {
            vec![
                lang.t(if reason.passed {
                    "evaluation-met"
                } else {
                    "evaluation-not_met"
                })
                .to_owned(),
                lang.t(&format!("evaluation-check_{}", reason.check.as_str()))
                    .to_owned(),
                reason.article.clone(),
                value_text(lang, &reason.seen),
                reason.threshold.as_ref().map_or_else(
                    || lang.t("evaluation-present").to_owned(),
                    |b| format!("{} {}", b.comparison.symbol(), value_text(lang, &b.value)),
                ),
            ]
        })
        .collect();
    table(
        &mut out,
        "lllll",
        &[
            lang.t("evaluation-outcome").to_owned(),
            lang.t("evaluation-check").to_owned(),
            lang.t("evaluation-article").to_owned(),
            lang.t("evaluation-seen").to_owned(),
            lang.t("evaluation-threshold").to_owned(),
        ],
        &reason_rows,
    )?;

    writeln!(out)?;
    match &outcome.cofinancing {
        Ok(split) => cofinancing_report(lang, &mut out, split)?,
        Err(detail) => writeln!(
            out,
            "{}",
            say(Message::new("cli-evaluate-cofinancing_error").with("detail", detail.as_str()))
        )?,
    }

    writeln!(out)?;
    writeln!(
        out,
        "{}",
        say(Message::new("cli-evaluate-sensitivity")
            .with("article", &rules.sensitivity.article)
            .with("rate", rate.as_str()))
    )?;
    let mut case_rows = vec![vec![
        lang.t("evaluation-base_case").to_owned(),
        String::new(),
        irr_text(lang, &e.irr),
        pesos(lang, e.npv),
        ratio(lang, e.benefit_cost),
    ]];
    case_rows.extend(e.sensitivity.cases.iter().map(|case| {
        // The case's own name is a code of the engine: the variable and its change name it.
        vec![
            lang.t(&format!("evaluation-variable_{}", case.variable.as_str()))
                .to_owned(),
            signed_percent(lang, case.change),
            irr_text(lang, &case.irr),
            pesos(lang, case.npv),
            ratio(lang, case.benefit_cost),
        ]
    }));
    table(
        &mut out,
        "ll",
        &[
            lang.t("evaluation-case").to_owned(),
            lang.t("evaluation-change").to_owned(),
            lang.t("evaluation-irr").to_owned(),
            lang.t("evaluation-npv").to_owned(),
            lang.t("cli-evaluate-bc_short").to_owned(),
        ],
        &case_rows,
    )?;
    let minimum = decimal_percent(lang, rules.min_irr.value);
    writeln!(
        out,
        "  {}",
        say(Message::new("cli-evaluate-switching").with("minimum", minimum))
    )?;
    writeln!(
        out,
        "    {}",
        say(Message::new("cli-evaluate-price_drop").with(
            "value",
            switching_text(
                lang,
                e.sensitivity.price_drop,
                rules.sensitivity.price_drop_search_max
            )
        ))
    )?;
    writeln!(
        out,
        "    {}",
        say(Message::new("cli-evaluate-cost_rise").with(
            "value",
            switching_text(
                lang,
                e.sensitivity.cost_rise,
                rules.sensitivity.cost_rise_search_max
            )
        ))
    )?;
    Ok(out)
}

fn cofinancing_report(lang: Lang, out: &mut String, split: &CofinancingSplit) -> fmt::Result {
    let say = |message: Message| lang.say(&message);
    let amount =
        |code: &'static str, value: Decimal| say(Message::new(code).with("amount", pesos(lang, value)));
    writeln!(
        out,
        "{}",
        say(Message::new("cli-evaluate-cofinancing").with("article", &split.institute_maximum_article))
    )?;
    writeln!(out, "  {}", amount("cli-evaluate-cof-value", split.project_value))?;
    writeln!(
        out,
        "  {}",
        say(Message::new("cli-evaluate-cof-maximum")
            .with("amount", pesos(lang, split.institute_maximum))
            .with("smmlv", pesos(lang, split.minimum_wage)))
    )?;
    let families: usize = split.family_groups.iter().map(|g| g.families).sum();
    for group in &split.family_groups {
        writeln!(
            out,
            "    {}",
            say(Message::new("cli-evaluate-cof-group")
                .with("families", group.families)
                .with("pct", lang.amount(&group.max_pct.normalize()))
                .with("cap", lang.amount(&group.cap_smmlv.normalize()))
                .with("by_pct", pesos(lang, group.by_percentage))
                .with("by_cap", pesos(lang, group.by_cap))
                .with("limit", pesos(lang, group.limit)))
        )?;
    }
    writeln!(
        out,
        "    {}",
        say(Message::new("cli-evaluate-cof-families").with("families", families))
    )?;
    writeln!(out, "  {}", amount("cli-evaluate-cof-requested", split.requested))?;
    writeln!(
        out,
        "  {}",
        amount("cli-evaluate-cof-eligible", split.eligible_total)
    )?;
    writeln!(
        out,
        "  {}",
        amount("cli-evaluate-cof-non_eligible", split.non_eligible_total)
    )?;
    writeln!(
        out,
        "  {}",
        say(Message::new("cli-evaluate-cof-contribution")
            .with("amount", pesos(lang, split.contribution))
            .with_term(
                "binding",
                format!("evaluation-limit_{}", split.binding_limit.as_str())
            ))
    )?;
    let mut counterpart = say(Message::new("cli-evaluate-cof-counterpart")
        .with("amount", pesos(lang, split.counterpart))
        .with("declared", pesos(lang, split.counterpart_declared)));
    if !split.counterpart_additional.is_zero() {
        counterpart.push_str(&amount(
            "cli-evaluate-cof-counterpart_additional",
            split.counterpart_additional,
        ));
    }
    writeln!(out, "  {counterpart}")?;
    if !split.ineligible_lines_moved.is_empty() {
        let lines: Vec<String> = split
            .ineligible_lines_moved
            .iter()
            .map(|i| format!("budget[{i}]"))
            .collect();
        writeln!(
            out,
            "  {}",
            say(Message::new("cli-evaluate-cof-moved").with("lines", lines.join(", ")))
        )?;
    }
    writeln!(
        out,
        "  {}",
        say(Message::new("cli-evaluate-cof-guarantee")
            .with("amount", pesos(lang, split.guarantee.amount))
            .with("months", split.guarantee.months)
            .with("article", &split.guarantee.article))
    )?;
    writeln!(out, "  {}", lang.t("cli-evaluate-cof-by_funder"))?;
    let mut header = vec![lang.t("cli-evaluate-category").to_owned()];
    header.extend(split.by_funder.iter().map(|s| funder_name(lang, &s.funder)));
    header.push(lang.t("evaluation-total").to_owned());
    let mut rows: Vec<Vec<String>> = split
        .by_category
        .iter()
        .map(|(category, total)| {
            let mut row = vec![
                lang.t(&format!("evaluation-category_{}", category.as_str()))
                    .to_owned(),
            ];
            row.extend(split.by_funder.iter().map(|share| {
                share
                    .by_category
                    .get(category)
                    .map_or_else(|| "-".to_owned(), |a| pesos(lang, *a))
            }));
            row.push(pesos(lang, *total));
            row
        })
        .collect();
    let mut totals = vec![lang.t("evaluation-total").to_owned()];
    totals.extend(split.by_funder.iter().map(|s| pesos(lang, s.total)));
    totals.push(pesos(lang, split.project_value));
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
        return Err(said(
            Message::new("cli-error-batch_input").with("input", input.display().to_string()),
        ));
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
    let lang = crate::lang::lang();
    eprintln!(
        "{}",
        lang.say(
            &Message::new("cli-evaluate-batch_summary")
                .with("projects", counts.projects)
                .with("input", input.display().to_string())
                .with(
                    "rule_sets",
                    if sets.is_empty() {
                        "-".to_owned()
                    } else {
                        sets.join(", ")
                    }
                )
                .with("viable", counts.viable)
                .with("not_viable", counts.projects - counts.viable - counts.errors)
                .with("errors", counts.errors)
                .with("seconds", format!("{:.2}", started.elapsed().as_secs_f64()))
                .with("out", out.display().to_string())
        )
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
