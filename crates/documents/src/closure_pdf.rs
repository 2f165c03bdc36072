//! A project's act of closure (acta de cierre, Art. 34) as PDF: the final reconciliation of
//! the controlled account, what was delivered and what was not by plan line, the balance
//! refunded to the institute, the final progress, and the signatures of the territorial
//! director and the families' representative. The web application gathers the values into
//! [`ClosureData`]; the wording is the template's (`cierre.typ`).

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;
use vereda_domain::money::format_amount;

use crate::minutes_pdf::{Amount, DateParts, json};
use crate::typeset::{Template, TemplateError, Templates, Typeset};

/// A plan line as the act lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosedLineData {
    pub number: u32,
    pub description: String,
    pub planned: String,
    pub executed: String,
    /// In Spanish words: entregado, entregado en parte, no entregado, sin visita.
    pub delivery: String,
}

/// The act of closure, as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosureData {
    pub office: String,
    pub code: String,
    pub title: String,
    pub date: DateParts,
    /// In Spanish words.
    pub reason: String,
    pub disbursed: Amount,
    pub executed: Amount,
    pub balance: Amount,
    pub refund: Amount,
    pub refund_date: Option<DateParts>,
    pub refund_reference: String,
    pub physical: String,
    pub financial: String,
    pub management: String,
    pub lines: Vec<ClosedLineData>,
    pub observations: String,
    pub director: String,
    pub representative: String,
}

/// An amount in figures for the act's table.
pub fn figures(amount: Decimal) -> String {
    format!("${}", format_amount(amount))
}

/// The act as PDF.
pub fn closure(data: &ClosureData, templates: &Templates, today: Date) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::Closure, &json(data), today)
}

/// The act's text as laid out (golden tests).
pub fn closure_text(data: &ClosureData, templates: &Templates, today: Date) -> Result<String, TemplateError> {
    templates.text(Template::Closure, &json(data), today)
}

/// A sample act: to check a templates directory at start, and for the golden test.
pub fn sample_closure() -> ClosureData {
    ClosureData {
        office: "Dirección Territorial Caquetá".into(),
        code: "DEMO-CAQ-2013-001".into(),
        title: "Cacao fino de aroma en San José del Fragua".into(),
        date: jiff::civil::date(2015, 12, 31).into(),
        reason: "plazo del proyecto vencido".into(),
        disbursed: Amount::of(Decimal::from(120_000_000)),
        executed: Amount::of(Decimal::from(110_000_000)),
        balance: Amount::of(Decimal::from(10_000_000)),
        refund: Amount::of(Decimal::from(10_000_000)),
        refund_date: Some(jiff::civil::date(2015, 12, 30).into()),
        refund_reference: "CONS-991".into(),
        physical: "92,5".into(),
        financial: "91,7".into(),
        management: "100".into(),
        lines: vec![
            ClosedLineData {
                number: 1,
                description: "Plántulas de cacao".into(),
                planned: figures(Decimal::from(102_000_000)),
                executed: figures(Decimal::from(100_000_000)),
                delivery: "entregado".into(),
            },
            ClosedLineData {
                number: 5,
                description: "Kits de herramientas".into(),
                planned: figures(Decimal::from(13_000_000)),
                executed: figures(Decimal::from(10_000_000)),
                delivery: "entregado en parte".into(),
            },
        ],
        observations: "Seis kits no se entregaron; su valor se reintegra.".into(),
        director: "Luz Dary Muñoz".into(),
        representative: "Wẽ'sx Yule Campo".into(),
    }
}
