//! The financial evaluation of a project formulation (docs/formulation.md), shared by the API
//! (`POST /api/v1/evaluations`) and the staff page (`/staff/evaluations`): reading a project
//! file, choosing the rule set as `vereda evaluate` does, validating and evaluating.
//!
//! Evaluating a document stores nothing and reads nothing stored.

use serde::Serialize;
use utoipa::ToSchema;
use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{CofinancingSplit, Evaluation, Evaluator, Formulation, Problem, split};
use vereda_domain::rules::{RuleBook, RuleSet, YearChoice};

use crate::error::AppError;

/// The largest project file accepted (a formulation is a few kilobytes).
pub const EVALUATION_UPLOAD_LIMIT_BYTES: usize = 1024 * 1024;

/// A worked example compiled into the binary.
pub struct Example {
    pub id: &'static str,
    pub file_name: &'static str,
    pub text: &'static str,
}

/// The worked examples of `examples/`.
pub const EXAMPLES: [Example; 2] = [
    Example {
        id: "cacao-tumaco",
        file_name: "cacao-tumaco.toml",
        text: include_str!("../../../examples/cacao-tumaco.toml"),
    },
    Example {
        id: "lecheria-san-vicente",
        file_name: "lecheria-san-vicente.toml",
        text: include_str!("../../../examples/lecheria-san-vicente.toml"),
    },
];

pub fn example(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}

/// The format of a project file: one schema, two syntaxes.
pub use vereda_screen::formulation_file::ProjectFormat as Format;

/// How the rule set was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// Named with `rules=ID`.
    Chosen,
    /// In force on January 1 of the budget year.
    InForceOnJanuary1,
    /// None was in force on January 1: the first to come into force during the budget year.
    FirstInForceDuringYear,
}

/// The rule set an evaluation used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleSetUsed {
    pub id: String,
    pub title: String,
    /// When it is in force.
    pub period: String,
    /// SHA-256 of the rule-set file.
    pub content_hash: String,
    pub selection: Selection,
    /// Why it applies, in words.
    pub explanation: String,
}

/// A rule set with its financial table.
pub struct Selected<'b> {
    pub set: &'b RuleSet,
    pub financial: &'b FinancialRules,
    pub used: RuleSetUsed,
}

fn listing(book: &RuleBook) -> String {
    book.all()
        .iter()
        .map(|s| format!("{} ({})", s.id, s.period()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule set `chosen` by id or, by default, the one in force on January 1 of the budget
/// year; when none is in force that day, the first to come into force during the year (as
/// `vereda evaluate` does).
pub fn select<'b>(
    book: &'b RuleBook,
    chosen: Option<&str>,
    budget_year: i16,
) -> Result<Selected<'b>, String> {
    let (set, selection, explanation) = match chosen {
        Some(id) => {
            let set = book
                .get(id)
                .ok_or_else(|| format!("unknown rule set {id:?}; the rule sets are: {}", listing(book)))?;
            (set, Selection::Chosen, "chosen by id".to_owned())
        }
        None => match book.for_budget_year(budget_year) {
            Some((set, YearChoice::InForceOnJanuary1)) => (
                set,
                Selection::InForceOnJanuary1,
                format!("in force on January 1 of the budget year {budget_year}"),
            ),
            Some((set, YearChoice::FirstInForceDuringYear)) => (
                set,
                Selection::FirstInForceDuringYear,
                format!(
                    "none is in force on January 1; the first in force during the budget year {budget_year} (from {})",
                    set.effective_from
                ),
            ),
            None => {
                return Err(format!(
                    "no rule set is in force during the budget year {budget_year}; name one with rules=ID. The rule sets are: {}",
                    listing(book)
                ));
            }
        },
    };
    let financial = set
        .financial
        .as_ref()
        .ok_or_else(|| format!("rule set {} has no [financial] table", set.id))?;
    Ok(Selected {
        set,
        financial,
        used: RuleSetUsed {
            id: set.id.clone(),
            title: set.title.clone(),
            period: set.period(),
            content_hash: set.content_hash.clone(),
            selection,
            explanation,
        },
    })
}

/// What became of a formulation.
pub enum Outcome {
    /// It has problems (each with its path and article): not evaluated.
    Invalid {
        rule_set: RuleSetUsed,
        problems: Vec<Problem>,
    },
    Evaluated(Box<Evaluated>),
}

/// A formulation evaluated under one rule set.
pub struct Evaluated {
    pub formulation: Formulation,
    pub rule_set: RuleSetUsed,
    pub rules: FinancialRules,
    pub evaluation: Evaluation,
    pub cofinancing: Result<CofinancingSplit, String>,
}

/// Why a formulation could not be looked at at all.
#[derive(Debug)]
pub enum Refusal {
    /// No rule set applies, or the one named does not exist.
    RuleSet(String),
    /// The flow cannot be built (an engine error, not a verdict).
    Unevaluable(String),
    /// The shipped rule book does not load.
    Internal(AppError),
}

/// Validates and evaluates `formulation` under the rule set `chosen` (or the default).
pub fn run(formulation: Formulation, chosen: Option<&str>) -> Result<Outcome, Refusal> {
    let book = crate::screening::rule_book()
        .map_err(|e| Refusal::Internal(AppError::internal(&std::io::Error::other(e))))?;
    let selected = select(book, chosen, formulation.frame.budget_year).map_err(Refusal::RuleSet)?;
    let problems = formulation.validate(selected.financial);
    if !problems.is_empty() {
        return Ok(Outcome::Invalid {
            rule_set: selected.used,
            problems,
        });
    }
    let evaluation = Evaluator::new(selected.financial)
        .evaluate(&formulation)
        .map_err(|e| Refusal::Unevaluable(format!("the formulation cannot be evaluated: {e}")))?;
    let cofinancing = split(&formulation, selected.financial).map_err(|e| e.to_string());
    Ok(Outcome::Evaluated(Box::new(Evaluated {
        formulation,
        rules: selected.financial.clone(),
        rule_set: selected.used,
        evaluation,
        cofinancing,
    })))
}

/// The municipality's name and department, or empty when the code is unknown.
pub fn municipality_name(code: &str) -> String {
    use vereda_domain::territory::{DaneCode, catalog};
    match DaneCode::parse(code) {
        Ok(dane) => {
            let municipality = dane.municipality();
            match catalog().department(municipality.department_code) {
                Some(department) => format!("{} ({})", municipality.name, department.name),
                None => municipality.name.to_string(),
            }
        }
        Err(_) => String::new(),
    }
}

/// A file-name stem from the project code: letters, digits and dashes only.
pub fn file_stem(evaluated: &Evaluated) -> String {
    let code: String = evaluated
        .formulation
        .frame
        .code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("evaluacion-{}", if code.is_empty() { "proyecto" } else { &code })
}

/// The evaluation as a PDF report (`vereda_screen::evaluation_pdf`, as `vereda evaluate --pdf`).
pub fn pdf(evaluated: &Evaluated) -> Vec<u8> {
    let name = municipality_name(&evaluated.formulation.frame.municipality);
    vereda_screen::evaluation_pdf::render(&vereda_screen::evaluation_pdf::EvaluationReport {
        formulation: &evaluated.formulation,
        evaluation: &evaluated.evaluation,
        rules: &evaluated.rules,
        cofinancing: evaluated.cofinancing.as_ref().map_err(String::as_str),
        rule_set_id: &evaluated.rule_set.id,
        rule_set_hash: &evaluated.rule_set.content_hash,
        rule_set_period: &evaluated.rule_set.period,
        municipality_name: &name,
    })
}

fn number(value: rust_decimal::Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value.to_f64().unwrap_or(f64::NAN)
}

fn irr_cell(irr: &vereda_domain::finance::Irr) -> Option<f64> {
    match irr {
        vereda_domain::finance::Irr::Unique(rate) => Some(*rate),
        _ => None,
    }
}

/// A compact workbook of the evaluation (Resumen, Flujo de caja, Cofinanciación, Sensibilidad);
/// written here rather than shared with the CLI, whose fuller workbook lives in its binary.
pub fn workbook(evaluated: &Evaluated) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let amount = Format::new().set_num_format("#,##0");
    let rate = Format::new().set_num_format("0.00%");
    let e = &evaluated.evaluation;
    let frame = &evaluated.formulation.frame;
    let used = &evaluated.rule_set;

    let sheet = workbook.add_worksheet();
    sheet.set_name("Resumen")?;
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 48)?;
    let facts: [(&str, String); 9] = [
        ("Código", frame.code.clone()),
        ("Título", frame.title.clone()),
        (
            "Municipio",
            format!(
                "{} {}",
                frame.municipality,
                municipality_name(&frame.municipality)
            ),
        ),
        ("Tipología", frame.typology.to_string()),
        ("Año presupuestal", frame.budget_year.to_string()),
        ("Horizonte (años)", frame.horizon_years.to_string()),
        ("Familias", frame.households.len().to_string()),
        ("Conjunto de reglas", format!("{} ({})", used.id, used.period)),
        ("SHA-256 de las reglas", used.content_hash.clone()),
    ];
    let mut row = 0u32;
    for (label, value) in facts {
        sheet.write_with_format(row, 0, label, &bold)?;
        sheet.write(row, 1, value)?;
        row += 1;
    }
    sheet.write_with_format(row, 0, "Concepto", &bold)?;
    sheet.write(row, 1, if e.verdict.viable { "VIABLE" } else { "NO VIABLE" })?;
    row += 1;
    sheet.write_with_format(row, 0, "TIR", &bold)?;
    match irr_cell(&e.irr) {
        Some(irr) => sheet.write_with_format(row, 1, irr, &rate)?,
        None => sheet.write(row, 1, "sin TIR única")?,
    };
    row += 1;
    sheet.write_with_format(row, 0, "VPN (COP)", &bold)?;
    sheet.write_with_format(row, 1, number(e.npv), &amount)?;
    row += 1;
    sheet.write_with_format(row, 0, "Relación beneficio/costo", &bold)?;
    match e.benefit_cost {
        Some(ratio) => sheet.write(row, 1, number(ratio))?,
        None => sheet.write(row, 1, "indefinida")?,
    };
    row += 1;
    sheet.write_with_format(row, 0, "Ingreso por familia (SMMLV)", &bold)?;
    sheet.write(row, 1, number(e.family_income.in_smmlv))?;
    row += 2;
    for (col, header) in ["Criterio", "Artículo", "Cumple", "Observado", "Umbral"]
        .iter()
        .enumerate()
    {
        sheet.write_with_format(row, col as u16, *header, &bold)?;
    }
    for reason in &e.verdict.reasons {
        row += 1;
        sheet.write(row, 0, reason.check.as_str())?;
        sheet.write(row, 1, reason.article.as_str())?;
        sheet.write(row, 2, if reason.passed { "sí" } else { "no" })?;
        sheet.write(row, 3, reason.seen.to_string())?;
        if let Some(bound) = &reason.threshold {
            sheet.write(row, 4, format!("{} {}", bound.comparison.symbol(), bound.value))?;
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("Flujo de caja")?;
    let headers = [
        "Año",
        "Ingresos",
        "Operación",
        "Por producto",
        "M.O. contratada",
        "M.O. familiar",
        "M.O. familiar cargada",
        "Reposiciones",
        "Inversión",
        "Acompañamiento",
        "Acompañamiento neutralizado",
        "Valor residual",
        "Flujo neto",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_with_format(0, col as u16, *header, &bold)?;
        sheet.set_column_width(col as u16, 16)?;
    }
    for (i, y) in e.cash_flow.years.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write(row, 0, y.year)?;
        let values = [
            y.income,
            y.operating_costs,
            y.output_costs,
            y.hired_labour,
            y.family_labour,
            y.family_labour_charged,
            y.replacements,
            y.investment,
            y.technical_assistance,
            y.technical_assistance_neutralised,
            y.residual_value,
            y.net_flow,
        ];
        for (col, value) in values.into_iter().enumerate() {
            sheet.write_with_format(row, col as u16 + 1, number(value), &amount)?;
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("Cofinanciación")?;
    match &evaluated.cofinancing {
        Ok(split) => {
            let categories: Vec<_> = split.by_category.keys().copied().collect();
            sheet.write_with_format(0, 0, "Financiador", &bold)?;
            sheet.set_column_width(0, 22)?;
            for (i, category) in categories.iter().enumerate() {
                sheet.write_with_format(0, i as u16 + 1, category.as_str(), &bold)?;
                sheet.set_column_width(i as u16 + 1, 18)?;
            }
            let total_col = categories.len() as u16 + 1;
            sheet.write_with_format(0, total_col, "Total", &bold)?;
            for (r, share) in split.by_funder.iter().enumerate() {
                let row = r as u32 + 1;
                let funder = match &share.funder {
                    vereda_domain::finance::Funder::Institute => "Instituto".to_owned(),
                    vereda_domain::finance::Funder::Counterpart => "Contrapartida".to_owned(),
                    vereda_domain::finance::Funder::Other(name) => name.clone(),
                };
                sheet.write(row, 0, funder)?;
                for (i, category) in categories.iter().enumerate() {
                    let value = share.by_category.get(category).copied().unwrap_or_default();
                    sheet.write_with_format(row, i as u16 + 1, number(value), &amount)?;
                }
                sheet.write_with_format(row, total_col, number(share.total), &amount)?;
            }
            let row = split.by_funder.len() as u32 + 2;
            sheet.write_with_format(row, 0, "Valor del proyecto", &bold)?;
            sheet.write_with_format(row, 1, number(split.project_value), &amount)?;
            sheet.write_with_format(row + 1, 0, "Aporte del instituto", &bold)?;
            sheet.write_with_format(row + 1, 1, number(split.contribution), &amount)?;
            sheet.write_with_format(row + 2, 0, "Contrapartida", &bold)?;
            sheet.write_with_format(row + 2, 1, number(split.counterpart), &amount)?;
        }
        Err(message) => {
            sheet.write(0, 0, message.as_str())?;
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("Sensibilidad")?;
    for (col, header) in ["Caso", "Variable", "Cambio", "TIR", "VPN (COP)", "B/C"]
        .iter()
        .enumerate()
    {
        sheet.write_with_format(0, col as u16, *header, &bold)?;
        sheet.set_column_width(col as u16, 18)?;
    }
    for (i, case) in e.sensitivity.cases.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write(row, 0, case.name.as_str())?;
        sheet.write(row, 1, case.variable.as_str())?;
        sheet.write_with_format(row, 2, number(case.change), &rate)?;
        match irr_cell(&case.irr) {
            Some(irr) => sheet.write_with_format(row, 3, irr, &rate)?,
            None => sheet.write(row, 3, "sin TIR única")?,
        };
        sheet.write_with_format(row, 4, number(case.npv), &amount)?;
        if let Some(ratio) = case.benefit_cost {
            sheet.write(row, 5, number(ratio))?;
        }
    }
    let row = e.sensitivity.cases.len() as u32 + 2;
    let switching = |value: vereda_domain::finance::SwitchingValue| match value {
        vereda_domain::finance::SwitchingValue::Found(change) => format!("{:.2} %", change * 100.0),
        vereda_domain::finance::SwitchingValue::AlreadyBelow => {
            "la TIR base ya no alcanza el mínimo".to_owned()
        }
        vereda_domain::finance::SwitchingValue::NotInRange => "fuera del rango de búsqueda".to_owned(),
    };
    sheet.write_with_format(row, 0, "Valor de cambio: caída del precio", &bold)?;
    sheet.write(row, 2, switching(e.sensitivity.price_drop))?;
    sheet.write_with_format(row + 1, 0, "Valor de cambio: aumento de costos", &bold)?;
    sheet.write(row + 1, 2, switching(e.sensitivity.cost_rise))?;

    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_parse() {
        for example in &EXAMPLES {
            let format = Format::of(example.file_name).expect("format");
            format.parse(example.text).expect("formulation");
        }
    }
}
