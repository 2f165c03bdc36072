//! The XLSX formulation template: written, filled, read back with line-level errors.

use std::path::Path;
use std::str::FromStr;
use vereda_domain::message::Arg;

use calamine::{Reader, Xlsx, open_workbook};
use rust_decimal::Decimal;
use rust_xlsxwriter::Workbook;
use vereda_documents::formulation_xlsx::{
    FormulationImportError, read_formulation, read_formulation_within, write_template, write_template_filled,
};
use vereda_domain::finance::fields::{FIELDS, FieldKind, FieldSpec, FieldValue};
use vereda_domain::finance::formulation::{
    Activity, ActivityYear, BudgetLine, ExpenseCategory, Formulation, Frame, Funder, ParticipatingHousehold,
    Responsibility, ScheduledActivity, TechnicalAssistanceCost,
};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

fn sample() -> Formulation {
    let mut frame = Frame {
        code: "PUT-MOC-2013-007".into(),
        title: "Piscicultura de cachama".into(),
        municipality: "86001".into(),
        typology: 2,
        budget_year: 2013,
        horizon_years: 5,
        components: Default::default(),
        accompaniment: Default::default(),
        employment: Default::default(),
        households: vec![
            ParticipatingHousehold {
                id: "MOC-1".into(),
                max_pct: d("90"),
                cap_smmlv: d("20"),
                ..Default::default()
            },
            ParticipatingHousehold {
                id: "MOC-2".into(),
                max_pct: d("87.5"),
                cap_smmlv: d("24"),
                // An AREL family on a lent parcel: its Chapter IX facts read back too.
                program_line: vereda_domain::program::ProgramLine::Arel,
                land_tenure: Some(vereda_domain::household::LandTenure::Comodato),
                land_restrictions: false,
                land_contract_years: Some(6),
            },
        ],
    };
    frame.components.general.project_type = "Piscícola".into();
    frame.components.general.productive_indicators = vec!["kg por m2".into(), "mortalidad < 10 %".into()];
    frame.components.technical.operating_structure = vec![Responsibility {
        activity: "Siembra de alevinos".into(),
        responsible: "Comité técnico".into(),
    }];
    frame.components.commercial.sales_plan.buyers = "Plaza de Mocoa".into();
    frame.components.food_security.required = true;
    frame.components.schedule.activities = vec![ScheduledActivity {
        name: "Construcción de estanques".into(),
        start_month: 1,
        end_month: 4,
    }];
    frame.accompaniment.description = "Visitas mensuales".into();
    frame.accompaniment.training_topics = vec!["Calidad del agua".into()];
    frame.employment.small_producers = false;
    frame.employment.description = "Jornales de cosecha".into();
    frame.employment.direct_jobs = 3;
    Formulation {
        frame,
        budget: vec![
            BudgetLine {
                category: ExpenseCategory::WorksInParcel,
                funder: Funder::Institute,
                description: "Estanques en tierra".into(),
                quantity: d("600"),
                unit: "m2".into(),
                unit_price: d("12500.25"),
                year: Some(0),
                month: None,
            },
            BudgetLine {
                category: ExpenseCategory::TechnicalAssistance,
                funder: Funder::Other("Alcaldía de Mocoa".into()),
                description: "Técnico".into(),
                quantity: d("12"),
                unit: String::new(),
                unit_price: d("1800000"),
                year: None,
                month: Some(1),
            },
        ],
        production: vec![Activity {
            name: "cachama".into(),
            unit: "m2 de estanque".into(),
            product_unit: "kg".into(),
            day_wage: d("25000"),
            full_production_year: 2,
            residual_value: d("0"),
            years: vec![
                ActivityYear {
                    year: 1,
                    units: d("600"),
                    yield_per_unit: d("3.5"),
                    price: d("7000"),
                    operating_costs: d("4000000"),
                    output_cost_per_unit: d("0"),
                    hired_labour_days: d("0"),
                    family_labour_days: d("120"),
                    replacements: d("0"),
                },
                ActivityYear {
                    year: 2,
                    units: d("600"),
                    yield_per_unit: d("0.1234567890123456789"),
                    price: d("7000"),
                    operating_costs: d("4000000"),
                    output_cost_per_unit: d("150"),
                    hired_labour_days: d("10"),
                    family_labour_days: d("120"),
                    replacements: d("500000"),
                },
            ],
        }],
        technical_assistance: vec![TechnicalAssistanceCost {
            year: 2,
            cost: d("3000000"),
            payer: "UMATA".into(),
        }],
    }
}

/// A workbook past the import's limits stops the whole import with a located error (the sheet
/// that passed them), read as a stream of cells rather than loaded.
#[test]
fn a_workbook_past_the_limits_is_refused_naming_its_sheet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plantilla.xlsx");
    write_template(&path).expect("template written");
    let limits = vereda_screening::table::ReadLimits {
        max_cells: 10,
        ..Default::default()
    };
    let Err(FormulationImportError::Table(error)) = read_formulation_within(&path, &limits) else {
        panic!("the limit is passed");
    };
    let message = error.message();
    assert_eq!(message.code(), "table-error-too_many_cells", "{error:?}");
    assert_eq!(
        message.arg("file"),
        Some(&vereda_domain::message::Arg::Text(
            "plantilla.xlsx [Proyecto]".into()
        ))
    );
    assert_eq!(
        message.arg("limit"),
        Some(&vereda_domain::message::Arg::Count(10))
    );
    // Within the default limits the same file reads (as an empty template).
    assert!(matches!(
        read_formulation(&path),
        Err(FormulationImportError::Cells(_))
    ));
}

#[test]
fn the_template_has_one_sheet_per_part_and_reads_back_as_empty_with_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plantilla.xlsx");
    write_template(&path).expect("template written");
    let workbook: Xlsx<_> = open_workbook(&path).expect("a workbook");
    let names = workbook.sheet_names();
    for sheet in [
        "Proyecto",
        "Familias",
        "Presupuesto",
        "Producción",
        "Producción anual",
        "Asistencia técnica",
        "Instrucciones",
    ] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }
    let Err(FormulationImportError::Cells(errors)) = read_formulation(&path) else {
        panic!("an empty template is not a formulation");
    };
    assert!(
        errors
            .iter()
            .any(|e| e.file == "plantilla.xlsx [Proyecto]" && e.message.code() == "row-error-required"),
        "{errors:#?}"
    );
}

#[test]
fn a_filled_template_reads_back_as_the_same_formulation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("proyecto.xlsx");
    let formulation = sample();
    write_template_filled(&path, &formulation).expect("written");
    let read = read_formulation(&path).expect("read back");
    assert_eq!(read, formulation);
}

fn write_bad_workbook(path: &Path) {
    let mut workbook = Workbook::new();
    let project = workbook.add_worksheet();
    project.set_name("Proyecto").expect("name");
    let rows = [
        ("Clave", "Valor"),
        ("frame.code", "X-1"),
        ("frame.title", "Proyecto con errores"),
        ("frame.municipality", "52835"),
        ("frame.typology", "4"),
        ("frame.budget_year", "2013"),
        ("frame.horizon_years", "diez"),
    ];
    for (row, (key, value)) in (0u32..).zip(rows) {
        project.write_string(row, 0, key).expect("cell");
        project.write_string(row, 1, value).expect("cell");
    }
    let budget = workbook.add_worksheet();
    budget.set_name("Presupuesto").expect("name");
    let header = [
        "Rubro",
        "Financiador",
        "Descripción",
        "Cantidad",
        "Unidad",
        "Precio unitario",
        "Año",
    ];
    for (column, text) in (0u16..).zip(header) {
        budget.write_string(0, column, text).expect("cell");
    }
    let lines = [
        [
            "materials_and_supplies",
            "institute",
            "Plántulas",
            "100",
            "u",
            "1700",
            "0",
        ],
        [
            "Bienes y equipos",
            "contrapartida",
            "Kits",
            "20",
            "kit",
            "650000",
            "0",
        ],
        ["taxes", "other: Alcaldía", "GMF", "1", "", "1000000", "0"],
        ["semillas", "institute", "Semillas", "mil", "kg", "1500", "0"],
    ];
    for (row, line) in (1u32..).zip(lines) {
        for (column, text) in (0u16..).zip(line) {
            budget.write_string(row, column, text).expect("cell");
        }
    }
    workbook.save(path).expect("saved");
}

#[test]
fn a_bad_category_and_a_text_in_a_number_cell_are_reported_with_sheet_row_column_and_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plantilla.xlsx");
    write_bad_workbook(&path);
    let Err(FormulationImportError::Cells(errors)) = read_formulation(&path) else {
        panic!("the workbook has errors");
    };
    let find = |column: &str| {
        errors
            .iter()
            .find(|e| e.column == column)
            .unwrap_or_else(|| panic!("an error in {column}: {errors:#?}"))
    };
    let category = find("Rubro");
    assert_eq!(category.file, "plantilla.xlsx [Presupuesto]");
    assert_eq!(category.line, 5);
    assert_eq!(category.value, "semillas");
    assert_eq!(category.message.code(), "row-error-category");
    assert!(
        matches!(category.message.arg("expected"), Some(vereda_domain::message::Arg::Text(names)) if names.contains("materials_and_supplies")),
        "{}",
        category.message
    );
    let quantity = find("Cantidad");
    assert_eq!(
        (
            quantity.file.as_str(),
            quantity.line,
            quantity.value.as_str(),
            quantity.message.code()
        ),
        ("plantilla.xlsx [Presupuesto]", 5, "mil", "number-not_a_number")
    );
    let horizon = find("Valor");
    assert_eq!(
        (horizon.file.as_str(), horizon.line, horizon.value.as_str()),
        ("plantilla.xlsx [Proyecto]", 7, "diez")
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
    // Each names its sheet and cell as the spreadsheet shows them.
    let place = |error: &vereda_screening::table::RowError| {
        let located = error.located();
        assert_eq!(located.code(), "row-error-at_cell");
        assert_eq!(located.arg("file"), Some(&Arg::Text("plantilla.xlsx".into())));
        match (located.arg("sheet"), located.arg("cell")) {
            (Some(Arg::Text(sheet)), Some(Arg::Text(cell))) => (sheet.clone(), cell.clone()),
            other => panic!("no sheet and cell: {other:?}"),
        }
    };
    assert_eq!(place(category), ("Presupuesto".to_owned(), "A5".to_owned()));
    assert_eq!(place(quantity), ("Presupuesto".to_owned(), "D5".to_owned()));
    assert_eq!(place(horizon), ("Proyecto".to_owned(), "B7".to_owned()));
    let message = FormulationImportError::Cells(errors.clone()).to_string();
    assert!(
        message.contains("plantilla.xlsx, sheet Presupuesto, cell A5, column Rubro, value \"semillas\""),
        "{message}"
    );
}

#[test]
fn cells_are_named_in_a1_form() {
    use vereda_screening::table::a1;
    assert_eq!(a1(2, 2), "C2");
    assert_eq!(a1(1, 0), "A1");
    assert_eq!(a1(10, 25), "Z10");
    assert_eq!(a1(3, 26), "AA3");
    assert_eq!(a1(4, 701), "ZZ4");
    assert_eq!(a1(5, 702), "AAA5");
}

/// A value of the field's kind that differs for every field.
fn registry_value(spec: &FieldSpec, n: usize) -> FieldValue {
    match spec.kind {
        FieldKind::Line | FieldKind::Text => FieldValue::Text(format!("Texto {n}: «{}»", spec.path)),
        FieldKind::Lines => FieldValue::Lines(vec![format!("Uno {n}"), format!("Dos {n}")]),
        FieldKind::Whole => FieldValue::Whole(i64::try_from(n).expect("small") + 1),
        // Not the default of either flag.
        FieldKind::Flag => FieldValue::Flag(spec.path.ends_with("food_security.required")),
    }
}

/// The registry is the template's list: every field has its row in the empty template, and a
/// formulation with every field set reads back the same.
#[test]
fn every_field_of_the_registry_is_a_row_of_the_template_and_reads_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("plantilla.xlsx");
    write_template(&empty).expect("template");
    let mut workbook: Xlsx<_> = open_workbook(&empty).expect("a workbook");
    let range = workbook.worksheet_range("Proyecto").expect("Proyecto");
    let keys: Vec<String> = range.rows().skip(1).map(|r| r[1].to_string()).collect();
    let paths: Vec<String> = FIELDS.iter().map(|f| f.path.to_owned()).collect();
    assert_eq!(keys, paths);

    let mut formulation = sample();
    for (n, spec) in FIELDS.iter().enumerate() {
        formulation
            .set_field(spec.path, registry_value(spec, n))
            .expect(spec.path);
    }
    let path = dir.path().join("todo.xlsx");
    write_template_filled(&path, &formulation).expect("written");
    let read = read_formulation(&path).expect("read back");
    for spec in FIELDS {
        assert_eq!(
            read.field(spec.path),
            formulation.field(spec.path),
            "{}",
            spec.path
        );
    }
    assert_eq!(read, formulation);
}

/// A workbook written by the template before the field registry (kept in `tests/data`, with
/// every field filled) still reads as the formulation it was written from.
#[test]
fn a_workbook_of_the_first_template_still_reads() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let expected: Formulation = serde_json::from_str(
        &std::fs::read_to_string(data.join("formulation-template-2026.json")).expect("json"),
    )
    .expect("a formulation");
    let read = read_formulation(&data.join("formulation-template-2026.xlsx")).expect("read");
    assert_eq!(read, expected);
}
