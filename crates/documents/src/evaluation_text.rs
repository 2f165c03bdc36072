//! The words and figures of a financial evaluation, in Spanish, shared by the PDF report and
//! the workbook: amounts, percentages, IRR, the labels of the domain's codes and the columns
//! of the cash-flow table.

use rust_decimal::Decimal;
use vereda_domain::finance::cofinancing::Limit;
use vereda_domain::finance::evaluation::Check;
use vereda_domain::finance::formulation::ExpenseCategory;
use vereda_domain::finance::rules::{FamilyLabourTreatment, SensitivityVariable};
use vereda_domain::finance::{CashFlowYear, DecidingRate, Evaluation, Funder, Irr, SwitchingValue, Value};
use vereda_domain::money::format_amount;

pub(crate) fn pesos(amount: Decimal) -> String {
    let text = format_amount(amount.round_dp(0));
    if amount.round_dp(0) < Decimal::ZERO && !text.starts_with('-') {
        format!("-{text}")
    } else {
        text
    }
}

pub(crate) fn percent(rate: f64) -> String {
    format!("{:.2} %", rate * 100.0).replace('.', ",")
}

pub(crate) fn decimal_percent(fraction: Decimal) -> String {
    format!(
        "{} %",
        format_amount((fraction * Decimal::ONE_HUNDRED).round_dp(2))
    )
}

pub(crate) fn signed_percent(fraction: Decimal) -> String {
    let sign = if fraction > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}", decimal_percent(fraction))
}

pub(crate) fn ratio(value: Option<Decimal>) -> String {
    value.map_or_else(|| "indefinida".to_owned(), |r| format_amount(r.round_dp(4)))
}

pub(crate) fn irr_text(irr: &Irr) -> String {
    match irr {
        Irr::None => "no existe".to_owned(),
        Irr::Unique(rate) => percent(*rate),
        Irr::Several(rates) => {
            let list: Vec<String> = rates.iter().map(|r| percent(*r)).collect();
            format!("varias ({})", list.join("; "))
        }
    }
}

/// Which rate decided the IRR check (Art. 19.6): the unique IRR, or with several IRRs the
/// modified IRR at the discount rate, naming every root.
pub(crate) fn deciding_rate_text(e: &Evaluation) -> String {
    match e.deciding_rate() {
        DecidingRate::Irr(rate) => format!("decide la TIR única, {}", percent(rate)),
        DecidingRate::Mirr(rate) => format!(
            "{}: decide la TIR modificada, {} (tasa de descuento {} como tasa de financiación y de reinversión)",
            irr_text(&e.irr),
            percent(rate),
            decimal_percent(e.discount_rate)
        ),
        DecidingRate::None => format!("{}: ninguna tasa cumple", irr_text(&e.irr)),
    }
}

pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::Rate(rate) => percent(*rate),
        Value::NoIrr => "sin TIR".to_owned(),
        Value::SeveralIrr(rates) => irr_text(&Irr::Several(rates.clone())),
        Value::Mirr { rate, roots } => format!(
            "TIR modificada {} ({})",
            percent(*rate),
            irr_text(&Irr::Several(roots.clone()))
        ),
        Value::Ratio(r) => format_amount(r.round_dp(4)),
        Value::Undefined => "indefinido".to_owned(),
        Value::Smmlv(s) => format!("{} SMMLV", format_amount(s.round_dp(2))),
        Value::Years(years) => format!("{years} años"),
        Value::Count(count) => count.to_string(),
        Value::Amount(amount) => format!("COP {}", pesos(*amount)),
        Value::Present(true) => "presente".to_owned(),
        Value::Present(false) => "ausente".to_owned(),
        Value::NotApplicable => "no aplica".to_owned(),
    }
}

pub(crate) fn switching_text(value: SwitchingValue, search_max: Decimal) -> String {
    match value {
        SwitchingValue::Found(change) => percent(change),
        SwitchingValue::AlreadyBelow => "no existe: la TIR base ya está por debajo del mínimo".to_owned(),
        SwitchingValue::NotInRange => format!(
            "no existe hasta {}: la TIR se mantiene en el mínimo o por encima",
            decimal_percent(search_max)
        ),
    }
}

/// The words of a domain's code in the report's language (Spanish), from the catalogue the
/// web speaks too: `evaluation-<kind>_<code>`.
fn words(kind: &str, code: &str) -> String {
    vereda_messages::Lang::Es
        .t(&format!("evaluation-{kind}_{code}"))
        .to_owned()
}

pub(crate) fn check_label(check: Check) -> String {
    words("check", check.as_str())
}

pub(crate) fn limit_label(limit: Limit) -> String {
    words("limit", limit.as_str())
}

pub(crate) fn category_label(category: ExpenseCategory) -> String {
    words("category", category.as_str())
}

pub(crate) fn variable_label(variable: SensitivityVariable) -> String {
    words("variable", variable.as_str())
}

pub(crate) fn family_labour_label(treatment: FamilyLabourTreatment) -> String {
    words("family_labour", treatment.as_str())
}

/// A sensitivity case in words: its variable and its change, "Precio -10 %".
pub(crate) fn case_label(variable: SensitivityVariable, change: Decimal) -> String {
    format!("{} {}", variable_label(variable), signed_percent(change))
}

pub(crate) fn funder_name(funder: &Funder) -> String {
    match funder {
        Funder::Institute => "Instituto".to_owned(),
        Funder::Counterpart => "Contrapartida".to_owned(),
        Funder::Other(name) => name.clone(),
    }
}

/// A column of the cash-flow table: short Spanish header (the PDF's narrow columns), full
/// Spanish header (the workbook), value of a year.
pub(crate) type FlowColumn = (&'static str, &'static str, fn(&CashFlowYear) -> Decimal);

/// The cash-flow columns of both the PDF report and the workbook (`evaluation_xlsx`).
pub(crate) const FLOW_COLUMNS: [FlowColumn; 12] = [
    ("Ingresos", "Ingresos", |y| y.income),
    ("Operación", "Costos de operación", |y| y.operating_costs),
    ("Por producto", "Costos por producto", |y| y.output_costs),
    ("M.O. contratada", "Mano de obra contratada", |y| y.hired_labour),
    ("M.O. familiar", "Mano de obra familiar (valorada)", |y| {
        y.family_labour
    }),
    ("M.O. fam. cargada", "Mano de obra familiar cargada", |y| {
        y.family_labour_charged
    }),
    ("Reposiciones", "Reposiciones", |y| y.replacements),
    ("Inversión", "Inversión", |y| y.investment),
    ("Acompañamiento", "Acompañamiento integral", |y| {
        y.technical_assistance
    }),
    ("Acomp. neutralizado", "Acompañamiento neutralizado", |y| {
        y.technical_assistance_neutralised
    }),
    ("Valor residual", "Valor residual", |y| y.residual_value),
    ("Flujo neto", "Flujo neto", |y| y.net_flow),
];

pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
