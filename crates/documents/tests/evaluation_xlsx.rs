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

/// The cocoa example evaluated with the shipped rules, and its workbook.
fn cocoa_workbook() -> (vereda_domain::finance::Evaluation, String, Vec<u8>) {
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
    (evaluation, formulation.frame.code.clone(), bytes)
}

fn float(value: rust_decimal::Decimal) -> Data {
    use rust_decimal::prelude::ToPrimitive;
    Data::Float(value.to_f64().expect("a float"))
}

#[test]
fn the_workbook_recomputes_with_live_formulas_holding_the_engines_figures() {
    use rust_decimal::Decimal;
    let (e, _, bytes) = cocoa_workbook();
    let mut read = Xlsx::new(Cursor::new(bytes)).expect("the workbook opens");
    let flow = read.worksheet_range("Flujo de caja").expect("Flujo de caja");
    let formulas = read.worksheet_formula("Flujo de caja").expect("formulas");
    let years = e.cash_flow.years.len();
    let last = years + 1;
    // Formulas sit where the figures are; calamine gives them without the `=`.
    let formula_at = |label: &str| {
        let row = flow
            .rows()
            .position(|row| row.first() == Some(&Data::String(label.into())))
            .unwrap_or_else(|| panic!("a row labelled {label:?}"));
        formulas.get_value((row as u32, 1)).cloned().unwrap_or_default()
    };
    // The rate sits below the totals, in B; the present values under it.
    let rate = last + 3;
    assert_eq!(formula_at("VPN"), format!("NPV($B${rate},M3:M{last})+M2"));
    assert_eq!(
        formula_at("VP beneficios"),
        format!("NPV($B${rate},N3:N{last})+N2")
    );
    assert_eq!(formula_at("VP costos"), format!("NPV($B${rate},O3:O{last})+O2"));
    assert_eq!(formula_at("TIR"), format!("IRR(M2:M{last})"));
    assert_eq!(
        formula_at("Relación beneficio/costo"),
        format!("B{}/B{}", rate + 1, rate + 2)
    );
    assert_eq!(formula_at("Total"), format!("SUM(B2:B{last})"));
    assert_eq!(formulas.get_value((1, 13)).map(String::as_str), Some("B2+L2"));
    assert_eq!(formulas.get_value((1, 14)).map(String::as_str), Some("N2-M2"));

    // The cached results are the engine's figures.
    assert_eq!(row_labelled(&flow, "VPN")[1], float(e.npv));
    assert_eq!(
        row_labelled(&flow, "VP beneficios")[1],
        float(e.present_value_benefits)
    );
    assert_eq!(row_labelled(&flow, "VP costos")[1], float(e.present_value_costs));
    assert_eq!(
        row_labelled(&flow, "Relación beneficio/costo")[1],
        float(e.benefit_cost.expect("a B/C"))
    );
    assert_eq!(
        row_labelled(&flow, "TIR")[1],
        Data::Float(e.irr.unique().expect("one IRR"))
    );
    assert_eq!(
        row_labelled(&flow, "Tasa de descuento")[1],
        float(e.discount_rate)
    );
    let net_total: Decimal = e.cash_flow.years.iter().map(|y| y.net_flow).sum();
    assert_eq!(row_labelled(&flow, "Total")[12], float(net_total));
    // What the formulas compute is what the engine computed: the benefits and costs columns
    // discounted as NPV(rate, years 1..) + year 0 give the engine's present values.
    let column = |j: usize| -> Vec<Decimal> {
        (1..=years)
            .map(|i| match flow.get_value((i as u32, j as u32)) {
                Some(Data::Float(v)) => Decimal::try_from(*v).expect("a decimal"),
                other => panic!("a number at row {i}: {other:?}"),
            })
            .collect()
    };
    let pv = |flows: &[Decimal]| vereda_domain::finance::npv(e.discount_rate, flows).round_dp(2);
    assert_eq!(pv(&column(13)), e.present_value_benefits);
    assert_eq!(pv(&column(14)), e.present_value_costs);
    assert_eq!(pv(&column(12)), e.npv);

    // The summary's indicators point at the flow sheet.
    let summary_formulas = read.worksheet_formula("Resumen").expect("formulas");
    let summary = read.worksheet_range("Resumen").expect("Resumen");
    assert!(
        summary_formulas
            .used_cells()
            .any(|(_, _, f)| f == &format!("'Flujo de caja'!B{}", last + 6)),
        "VPN links to the flow"
    );
    assert_eq!(row_labelled(&summary, "VPN")[1], float(e.npv));
}

#[test]
fn every_sheet_prints_one_page_wide_with_titles_and_the_project_code() {
    let (_, code, bytes) = cocoa_workbook();
    let read = Xlsx::new(Cursor::new(bytes.clone())).expect("the workbook opens");
    let titles: Vec<&(String, String)> = read
        .defined_names()
        .iter()
        .filter(|(name, _)| name == "_xlnm.Print_Titles")
        .collect();
    for sheet in ["Resumen", "Flujo de caja", "Sensibilidad"] {
        assert!(
            titles
                .iter()
                .any(|(_, range)| range.starts_with(&format!("'{sheet}'!$1:"))
                    || range.starts_with(&format!("{sheet}!$1:"))),
            "{sheet} repeats its header rows: {titles:?}"
        );
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    for index in 1..=4 {
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut archive
                .by_name(&format!("xl/worksheets/sheet{index}.xml"))
                .expect("the sheet"),
            &mut xml,
        )
        .expect("text");
        assert!(
            xml.contains("<pageSetUpPr fitToPage=\"1\"/>"),
            "sheet {index}: fit to page"
        );
        assert!(
            xml.contains("fitToHeight=\"0\""),
            "sheet {index}: one page wide, any length"
        );
        assert!(
            xml.contains(&format!("<oddHeader>&amp;L{code}")),
            "sheet {index}: the code"
        );
        if index == 2 {
            assert!(xml.contains("orientation=\"landscape\""), "the flow is wide");
        }
    }
}

#[test]
fn no_cell_shows_a_raw_code() {
    use vereda_domain::finance::Limit;
    use vereda_domain::finance::evaluation::Check;
    use vereda_domain::finance::formulation::ExpenseCategory;
    use vereda_domain::finance::rules::{FamilyLabourTreatment, SensitivityVariable};
    let codes: Vec<&str> = (Check::ALL.iter().map(|c| c.as_str()))
        .chain(Limit::ALL.iter().map(|c| c.as_str()))
        .chain(ExpenseCategory::ALL.iter().map(|c| c.as_str()))
        .chain(SensitivityVariable::ALL.iter().map(|c| c.as_str()))
        .chain(FamilyLabourTreatment::ALL.iter().map(|c| c.as_str()))
        .collect();
    let (_, _, bytes) = cocoa_workbook();
    let mut read = Xlsx::new(Cursor::new(bytes)).expect("the workbook opens");
    let mut seen = 0;
    for sheet in read.sheet_names() {
        let range = read.worksheet_range(&sheet).expect("a sheet");
        for (row, column, cell) in range.used_cells() {
            let Data::String(text) = cell else { continue };
            seen += 1;
            let raw = text
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .find(|word| codes.contains(word));
            assert!(
                raw.is_none(),
                "{sheet} ({row}, {column}) shows the code {raw:?}: {text:?}"
            );
        }
    }
    assert!(seen > 50, "the workbook's words were read");
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
    assert_eq!(
        sensitivity.get_value((1, 0)),
        Some(&Data::String("Caso base".into()))
    );
    assert_eq!(
        sensitivity.get_value((2, 0)),
        Some(&Data::String("Precio -10 %".into()))
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

#[test]
fn each_sensitivity_case_recomputes_from_the_flow_with_its_factors_in_cells() {
    use rust_decimal::Decimal;
    let (e, _, bytes) = cocoa_workbook();
    let mut read = Xlsx::new(Cursor::new(bytes)).expect("the workbook opens");
    let flow = read.worksheet_range("Flujo de caja").expect("Flujo de caja");
    let sheet = read.worksheet_range("Sensibilidad").expect("Sensibilidad");
    let formulas = read.worksheet_formula("Sensibilidad").expect("formulas");
    let years = e.cash_flow.years.len();
    let last = years + 1;
    let rate_row = last + 3;
    let decimal = |cell: Option<&Data>| match cell {
        Some(Data::Float(v)) => Decimal::try_from(*v).expect("a decimal"),
        other => panic!("a number: {other:?}"),
    };
    let formula_at = |row: u32, column: u32| formulas.get_value((row, column)).cloned().unwrap_or_default();
    // Columns: A case, B variable, C change, D IRR, E NPV, F B/C, G-I factors, J.. the flow.
    assert_eq!(
        sheet.get_value((0, 9)),
        Some(&Data::String("Flujo neto año 0".into()))
    );
    // The base case: factors 1, and its flow is the flow sheet's net flow.
    assert_eq!(
        formula_at(1, 9),
        "G2*H2*'Flujo de caja'!B2-H2*I2*'Flujo de caja'!D2-I2*('Flujo de caja'!O2-'Flujo de caja'!D2)+'Flujo de caja'!L2"
    );
    let last_cell = vereda_screening::table::a1(2, (9 + years - 1) as u32);
    assert_eq!(formula_at(1, 3), format!("IRR(J2:{last_cell})"));
    assert_eq!(
        formula_at(1, 4),
        format!("NPV('Flujo de caja'!$B${rate_row},K2:{last_cell})+J2")
    );
    assert!(
        formula_at(1, 5).starts_with("(G2*H2*(NPV('Flujo de caja'!$B$"),
        "{}",
        formula_at(1, 5)
    );
    for (i, case) in e.sensitivity.cases.iter().enumerate() {
        let row = i as u32 + 2;
        // The varied factor follows the change's cell.
        let varied = match case.variable {
            vereda_domain::finance::rules::SensitivityVariable::Price => 6,
            vereda_domain::finance::rules::SensitivityVariable::Yield => 7,
            vereda_domain::finance::rules::SensitivityVariable::Costs => 8,
        };
        assert_eq!(formula_at(row, varied), format!("1+C{}", row + 1));
        let factor = |column: u32| decimal(sheet.get_value((row, column)));
        assert_eq!(factor(varied), Decimal::ONE + case.change);
        // The arithmetic of the formulas over the flow sheet's figures gives the engine's NPV.
        let (price, volume, cost) = (factor(6), factor(7), factor(8));
        let figure = |column: u32, y: usize| decimal(flow.get_value((y as u32 + 1, column)));
        let flows: Vec<Decimal> = (0..years)
            .map(|y| {
                let output = figure(3, y);
                price * volume * figure(1, y) - volume * cost * output - cost * (figure(14, y) - output)
                    + figure(11, y)
            })
            .collect();
        for (y, value) in flows.iter().enumerate() {
            assert_eq!(
                decimal(sheet.get_value((row, 9 + y as u32))),
                *value,
                "case {i}, year {y}"
            );
        }
        let npv = vereda_domain::finance::npv(e.discount_rate, &flows).round_dp(2);
        assert_eq!(npv, case.npv, "case {i}");
        assert_eq!(decimal(sheet.get_value((row, 4))), case.npv);
        match case.irr.unique() {
            Some(irr) => assert_eq!(sheet.get_value((row, 3)), Some(&Data::Float(irr))),
            None => assert!(matches!(sheet.get_value((row, 3)), Some(Data::String(_)))),
        }
    }
}
