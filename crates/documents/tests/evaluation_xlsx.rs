//! The evaluation workbook of the cocoa worked example, read back with calamine.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use vereda_documents::evaluation_pdf::EvaluationReport;
use vereda_documents::evaluation_xlsx::workbook;
use vereda_documents::formulation_file::ProjectFormat;
use vereda_domain::finance::{Evaluator, split};
use vereda_domain::rules::RuleBook;

const COCOA: &str = include_str!("../../../examples/cacao-tumaco.toml");

fn row_labelled<'a>(range: &'a calamine::Range<Data>, label: &str) -> &'a [Data] {
    range
        .rows()
        .find(|row| row.first() == Some(&Data::String(label.into())))
        .unwrap_or_else(|| panic!("a row labelled {label:?}"))
}

#[test]
fn the_cocoa_workbook_reads_back() {
    let formulation = ProjectFormat::Toml.parse(COCOA).expect("the example parses");
    let book = RuleBook::shipped().expect("the shipped rule sets");
    let (set, _) = book
        .for_budget_year(formulation.frame.budget_year)
        .expect("a rule set for the budget year");
    let rules = set.financial.as_ref().expect("financial rules");
    let evaluation = Evaluator::new(rules)
        .evaluate(&formulation)
        .expect("the example evaluates");
    let cofinancing = split(&formulation, rules).map_err(|e| e.to_string());
    let period = set.period();
    let bytes = workbook(&EvaluationReport {
        formulation: &formulation,
        evaluation: &evaluation,
        rules,
        cofinancing: cofinancing.as_ref().map_err(String::as_str),
        rule_set_id: &set.id,
        rule_set_hash: &set.content_hash,
        rule_set_period: &period,
        municipality_name: "Tumaco (Nariño)",
    })
    .expect("the workbook");

    let mut read = Xlsx::new(Cursor::new(bytes)).expect("the workbook opens");
    assert_eq!(
        read.sheet_names(),
        ["Resumen", "Flujo de caja", "Cofinanciación", "Sensibilidad"]
    );

    let summary = read.worksheet_range("Resumen").expect("Resumen");
    assert_eq!(
        row_labelled(&summary, "Veredicto")[1],
        Data::String("NO VIABLE".into())
    );
    assert_eq!(
        row_labelled(&summary, "Municipio")[1],
        Data::String(format!("{} Tumaco (Nariño)", formulation.frame.municipality))
    );
    let rule_set = row_labelled(&summary, "Reglas")[1].to_string();
    assert!(rule_set.contains(&set.content_hash), "{rule_set}");

    let flow = read.worksheet_range("Flujo de caja").expect("Flujo de caja");
    assert_eq!(flow.get_value((0, 0)), Some(&Data::String("Año".into())));
    assert_eq!(
        flow.get_value((0, 5)),
        Some(&Data::String("Mano de obra familiar (valorada)".into()))
    );
    assert_eq!(flow.get_value((0, 12)), Some(&Data::String("Flujo neto".into())));
    // Row 1 is year 0, the investment; row 2 is year 1.
    assert_eq!(flow.get_value((1, 12)), Some(&Data::Float(-281_250_000.0)));
    assert_eq!(flow.get_value((2, 0)), Some(&Data::Float(1.0)));
    // 165 M income - 30 M operating - 19.8 M by product - 105 M family labour charged.
    assert_eq!(flow.get_value((2, 12)), Some(&Data::Float(10_200_000.0)));

    let cofinancing = read.worksheet_range("Cofinanciación").expect("Cofinanciación");
    assert_eq!(
        row_labelled(&cofinancing, "Aporte del instituto")[1],
        Data::Float(248_300_000.0)
    );
    assert!(
        cofinancing
            .rows()
            .any(|row| row.get(1) == Some(&Data::String("Instituto".into()))),
        "the institute's column is named in Spanish"
    );

    let sensitivity = read.worksheet_range("Sensibilidad").expect("Sensibilidad");
    assert_eq!(sensitivity.get_value((1, 0)), Some(&Data::String("base".into())));
    assert_eq!(
        sensitivity.get_value((2, 0)),
        Some(&Data::String("price -10%".into()))
    );
}

#[test]
fn with_several_irrs_the_workbook_shows_every_root_and_the_modified_irr_that_decided() {
    use vereda_domain::finance::{DecidingRate, Irr};
    let mut formulation = ProjectFormat::Toml.parse(COCOA).expect("the example parses");
    // A replanting in the last year turns its net flow negative: two sign changes.
    if let Some(last) = formulation.production[0].years.last_mut() {
        last.replacements += rust_decimal::Decimal::from(230_000_000);
    }
    let book = RuleBook::shipped().expect("the shipped rule sets");
    let (set, _) = book
        .for_budget_year(formulation.frame.budget_year)
        .expect("a rule set for the budget year");
    let rules = set.financial.as_ref().expect("financial rules");
    let evaluation = Evaluator::new(rules)
        .evaluate(&formulation)
        .expect("the example evaluates");
    assert!(matches!(evaluation.irr, Irr::Several(_)), "{:?}", evaluation.irr);
    let DecidingRate::Mirr(mirr) = evaluation.deciding_rate() else {
        panic!("the MIRR decides: {:?}", evaluation.deciding_rate())
    };
    let cofinancing = split(&formulation, rules).map_err(|e| e.to_string());
    let period = set.period();
    let report = EvaluationReport {
        formulation: &formulation,
        evaluation: &evaluation,
        rules,
        cofinancing: cofinancing.as_ref().map_err(String::as_str),
        rule_set_id: &set.id,
        rule_set_hash: &set.content_hash,
        rule_set_period: &period,
        municipality_name: "Tumaco (Nariño)",
    };
    let bytes = workbook(&report).expect("the workbook");
    let mut read = Xlsx::new(Cursor::new(bytes)).expect("the workbook opens");
    let summary = read.worksheet_range("Resumen").expect("Resumen");
    let row = row_labelled(&summary, "TIR modificada (TIRM)");
    assert_eq!(row[1], Data::Float(mirr));
    let note = row[2].to_string();
    assert!(note.contains("decide la TIR modificada"), "{note}");
    for root in evaluation.irr.rates() {
        let shown = format!("{:.2} %", root * 100.0).replace('.', ",");
        assert!(note.contains(&shown), "{note} lacks {shown}");
    }
    let templates = vereda_documents::typeset::Templates::shipped();
    let pdf = vereda_documents::evaluation_pdf::render(&report, &templates, jiff::civil::date(2026, 12, 5))
        .expect("typeset");
    assert!(pdf.pdf.starts_with(b"%PDF-"));
}
