//! `vereda evaluate` as a user runs it, on the worked examples of `examples/`.
//!
//! The figures asserted were worked apart from the engine: the rows of each cash flow by hand
//! from the example files, then NPV with exact fractions, the IRR as the root of the flow's
//! polynomial (numpy), B/C as PV(benefits) / PV(costs), and the family income as
//! (income - operating - output - hired labour - technical assistance borne) / families / 12.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use vereda_messages::{Arg, Lang, Message};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn example(name: &str) -> String {
    examples().join(name).display().to_string()
}

fn vereda(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("vereda runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn evaluation(file: &str) -> Value {
    let output = vereda(&["evaluate", file, "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

/// A decimal the engine writes as a string.
fn number(value: &Value) -> f64 {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a decimal string, got {value}"))
        .parse()
        .expect("a decimal")
}

fn close(seen: f64, expected: f64, tolerance: f64) -> bool {
    (seen - expected).abs() <= tolerance
}

fn failed_checks(document: &Value) -> Vec<String> {
    document["evaluation"]["verdict"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter(|r| r["passed"] == Value::Bool(false))
        .map(|r| r["check"].as_str().expect("check").to_owned())
        .collect()
}

#[test]
fn the_cocoa_example_clears_irr_and_benefit_cost_but_not_the_income_floor() {
    let d = evaluation(&example("cacao-tumaco.toml"));
    let e = &d["evaluation"];
    assert_eq!(e["verdict"]["viable"], Value::Bool(false));
    assert_eq!(failed_checks(&d), ["family_income"]);

    // Net flow by hand: year 0 = 329.250.000 - 48.000.000 of technical assistance (neutral)
    // = -281.250.000; year 10 = 270.600.000 - 39.000.000 - 22.170.000 - 22.500.000
    // - 106.500.000 - 9.600.000 + 130.000.000 = 200.830.000.
    let years = e["cash_flow"]["years"].as_array().expect("years");
    assert_eq!(years.len(), 11);
    assert_eq!(number(&years[0]["net_flow"]), -281_250_000.0);
    assert_eq!(number(&years[10]["net_flow"]), 200_830_000.0);
    assert_eq!(
        number(&years[1]["technical_assistance_neutralised"]),
        24_000_000.0
    );
    assert_eq!(number(&years[3]["technical_assistance_neutralised"]), 0.0);

    let irr = e["irr"]["unique"].as_f64().expect("one IRR");
    assert!(close(irr, 0.119_819_086_783_071, 1e-9), "{irr}");
    assert!(close(number(&e["npv"]), 127_023_237.94, 0.01), "{}", e["npv"]);
    let bc = number(&e["benefit_cost"]);
    assert!(close(bc, 1.074_556_12, 1e-6), "{bc}");

    // (270.600.000 - 39.000.000 - 22.170.000 - 22.500.000 - 12.000.000) / 20 / 12 = 728.875,
    // in year 5, the first in which both activities are in full production.
    let income = &e["family_income"];
    assert_eq!(income["year"], 5);
    assert_eq!(number(&income["per_family"]), 728_875.0);
    assert!(close(number(&income["in_smmlv"]), 728_875.0 / 589_500.0, 1e-6));

    // Co-financing: 14 × 20 SMMLV + 6 × 24 SMMLV = 249.948.000 > 248.300.000 requested.
    let c = &d["cofinancing"];
    assert_eq!(number(&c["project_value"]), 329_250_000.0);
    assert_eq!(number(&c["institute_maximum"]), 249_948_000.0);
    assert_eq!(number(&c["contribution"]), 248_300_000.0);
    assert_eq!(c["binding_limit"], "requested");
    assert_eq!(number(&c["counterpart"]), 80_950_000.0);
    assert_eq!(number(&c["guarantee"]["amount"]), 24_830_000.0);
    assert_eq!(c["guarantee"]["months"], 24);

    // With the discount rate equal to the minimum IRR, the cost rise that brings the IRR to
    // the minimum is the one that brings NPV to zero: B/C - 1.
    let rise = e["sensitivity"]["cost_rise"]["found"]
        .as_f64()
        .expect("a switching value");
    assert!(close(rise, bc - 1.0, 1e-6), "{rise}");

    let report = vereda(&["evaluate", &example("cacao-tumaco.toml")]);
    assert!(report.status.success(), "{}", text(&report.stderr));
    let report = text(&report.stdout);
    let es = Lang::Es;
    let failed_income = format!(
        "{}  {}",
        es.t("evaluation-not_met"),
        es.t("evaluation-check_family_income")
    );
    for expected in [
        not_viable(es),
        failed_income,
        "1,24 SMMLV".to_owned(),
        "> 2 SMMLV".to_owned(),
        "11,98 %".to_owned(),
        "COP 127.023.238".to_owned(),
        es.say(
            &Message::new("cli-evaluate-cof-contribution")
                .with("amount", "248.300.000")
                .with_term("binding", "evaluation-limit_requested"),
        ),
        es.say(
            &Message::new("cli-evaluate-cof-guarantee")
                .with("amount", "24.830.000")
                .with("months", 24)
                .with("article", "Art. 31"),
        ),
        "Alcaldía de Tumaco".to_owned(),
        es.say(&Message::new("cli-evaluate-price_drop").with("value", "7,22 %")),
    ] {
        assert!(report.contains(&expected), "missing {expected:?} in\n{report}");
    }

    // The same report in English with --lang en.
    let report = vereda(&["evaluate", &example("cacao-tumaco.toml"), "--lang", "en"]);
    let report = text(&report.stdout);
    for expected in [
        not_viable(Lang::En),
        "11.98 %".to_owned(),
        "COP 127,023,238".to_owned(),
    ] {
        assert!(report.contains(&expected), "missing {expected:?} in\n{report}");
    }
}

/// The cocoa example's verdict, in `lang`.
fn not_viable(lang: Lang) -> String {
    lang.say(
        &Message::new("cli-evaluate-not_viable")
            .with("failed", 1)
            .with("count", 9),
    )
}

#[test]
fn the_dairy_example_is_viable_and_its_request_is_cut_to_the_maximum() {
    let d = evaluation(&example("lecheria-san-vicente.toml"));
    let e = &d["evaluation"];
    assert_eq!(e["verdict"]["viable"], Value::Bool(true), "{}", e["verdict"]);
    assert!(failed_checks(&d).is_empty());
    let irr = e["irr"]["unique"].as_f64().expect("one IRR");
    assert!(close(irr, 0.217_261_844_755_961, 1e-9), "{irr}");
    assert!(close(number(&e["npv"]), 754_168_641.37, 0.01), "{}", e["npv"]);
    assert!(close(number(&e["benefit_cost"]), 1.369_383_04, 1e-6));
    // (370.050.000 - 52.000.000 - 22.395.000 - 10.500.000 - 10.000.000) / 15 / 12.
    assert_eq!(e["family_income"]["year"], 4);
    assert!(close(
        number(&e["family_income"]["per_family"]),
        1_528_638.89,
        0.005
    ));
    assert!(close(number(&e["family_income"]["in_smmlv"]), 2.593_111, 1e-6));

    // 8 × 11.790.000 + 4 × 11.790.000 + 3 × 14.148.000 = 183.924.000 < 184.950.000 requested.
    let c = &d["cofinancing"];
    assert_eq!(number(&c["institute_maximum"]), 183_924_000.0);
    assert_eq!(number(&c["requested"]), 184_950_000.0);
    assert_eq!(number(&c["contribution"]), 183_924_000.0);
    assert_eq!(c["binding_limit"], "institute_maximum");
    assert_eq!(number(&c["counterpart_additional"]), 1_026_000.0);
    assert_eq!(number(&c["counterpart"]), 655_700_000.0 - 183_924_000.0);
    assert_eq!(number(&c["guarantee"]["amount"]), 18_392_400.0);
    let funders: Vec<&Value> = c["by_funder"]
        .as_array()
        .expect("funders")
        .iter()
        .map(|s| &s["funder"])
        .collect();
    assert_eq!(funders.len(), 3);
    assert_eq!(funders[2]["other"], "Comité de Ganaderos del Caquetá");
}

#[test]
fn the_toml_and_json_cocoa_files_give_the_same_evaluation() {
    let from_toml = vereda(&["evaluate", &example("cacao-tumaco.toml"), "--json"]);
    let from_json = vereda(&["evaluate", &example("cacao-tumaco.json"), "--json"]);
    assert!(from_toml.status.success() && from_json.status.success());
    assert!(!from_toml.stdout.is_empty());
    assert_eq!(text(&from_toml.stdout), text(&from_json.stdout));
}

#[test]
fn the_rule_set_defaults_to_the_budget_year_or_is_chosen() {
    let d = evaluation(&example("cacao-tumaco.json"));
    assert_eq!(d["rule_set"]["id"], "incoder-308-2013");
    let selection = d["rule_set"]["selection"].as_str().expect("selection");
    // Acuerdo 308 came into force on 17 April 2013: the first in force during the year.
    let during = vereda_messages::Lang::Es.say(
        &vereda_messages::Message::new("rules-chosen-during_year")
            .with("year", 2013)
            .with("from", jiff::civil::date(2013, 4, 17)),
    );
    assert_eq!(selection, during);

    let chosen = vereda(&[
        "evaluate",
        &example("cacao-tumaco.json"),
        "--json",
        "--rules",
        "incoder-308-2013",
    ]);
    assert!(chosen.status.success(), "{}", text(&chosen.stderr));
    let chosen: Value = serde_json::from_slice(&chosen.stdout).expect("JSON");
    assert_eq!(
        chosen["rule_set"]["selection"],
        vereda_messages::Lang::Es.t("rules-chosen-by_id")
    );
    assert_eq!(chosen["evaluation"], d["evaluation"]);

    let unknown = vereda(&[
        "evaluate",
        &example("cacao-tumaco.json"),
        "--rules",
        "acuerdo-999",
    ]);
    assert!(!unknown.status.success());
    let stderr = text(&unknown.stderr);
    assert!(stderr.contains("acuerdo-999"), "{stderr}");
    assert!(stderr.contains("incoder-308-2013"), "{stderr}");
}

#[test]
fn a_land_line_is_rejected_with_its_path_and_article() {
    let dir = tempfile::tempdir().expect("dir");
    let source = std::fs::read_to_string(examples().join("cacao-tumaco.toml")).expect("example");
    let with_land = source.replacen(
        "budget = [\n",
        "budget = [\n  { category = \"land\", funder = \"counterpart\", description = \"Compra de 2 ha\", quantity = 2, unit = \"ha\", unit_price = 4_000_000, year = 0 },\n",
        1,
    );
    assert_ne!(with_land, source);
    let path = dir.path().join("con-tierra.toml");
    std::fs::write(&path, with_land).expect("write");
    let output = vereda(&["evaluate", &path.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no report for an invalid formulation");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("con-tierra.toml"), "{stderr}");
    // The field and the article; the words are the catalogue's (Spanish by default).
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("budget[0].category: "))
        .expect("the problem names its field");
    assert!(line.ends_with("(Art. 18.4)"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn a_malformed_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let source = std::fs::read_to_string(examples().join("cacao-tumaco.toml")).expect("example");
    let line = source
        .lines()
        .position(|l| l.starts_with("horizon_years"))
        .expect("horizon line")
        + 1;
    let path = dir.path().join("roto.toml");
    std::fs::write(
        &path,
        source.replace("horizon_years = 10", "horizon_years = diez"),
    )
    .expect("write");
    let output = vereda(&["evaluate", &path.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("roto.toml, línea {line}, columna")),
        "{stderr}"
    );

    // JSON: a number where an amount (a string) is expected, with the hint.
    let json = std::fs::read_to_string(examples().join("cacao-tumaco.json")).expect("example");
    let line = json
        .lines()
        .position(|l| l.contains("\"unit_price\": \"1700\""))
        .expect("unit price line")
        + 1;
    let path = dir.path().join("numeros.json");
    std::fs::write(
        &path,
        json.replacen("\"unit_price\": \"1700\"", "\"unit_price\": 1700", 1),
    )
    .expect("write");
    let output = vereda(&["evaluate", &path.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("numeros.json, línea {line}, columna")),
        "{stderr}"
    );
    assert!(stderr.contains("se escriben como texto"), "{stderr}");
}

fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(path).expect("CSV");
    let header = reader.headers().expect("header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [
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
            "error"
        ]
    );
    reader.records().map(|r| r.expect("record")).collect()
}

#[test]
fn a_batch_over_the_examples_writes_one_row_per_file_and_goes_past_a_broken_one() {
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("proyectos");
    std::fs::create_dir(&input).expect("dir");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(examples()).expect("examples") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if name.ends_with(".toml") || name.ends_with(".json") {
            std::fs::copy(&path, input.join(&name)).expect("copy");
            names.push(name);
        }
    }
    assert!(names.len() >= 3, "{names:?}");
    std::fs::write(input.join("b-roto.toml"), "[frame\ncode = 1\n").expect("write");
    std::fs::write(input.join("notas.txt"), "not a project").expect("write");
    let out = dir.path().join("resultados.csv");
    let output = vereda(&[
        "evaluate",
        "--batch",
        &input.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = read_csv(&out);
    assert_eq!(rows.len(), names.len() + 1, "one row per project file");
    let sources: Vec<String> = rows.iter().map(|r| r[0].to_owned()).collect();
    let mut sorted = sources.clone();
    sorted.sort();
    assert_eq!(sources, sorted, "rows in file-name order");

    let broken = rows
        .iter()
        .find(|r| r[0].ends_with("b-roto.toml"))
        .expect("broken row");
    assert!(broken[10].contains("b-roto.toml, línea 1"), "{broken:?}");
    assert_eq!(&broken[2], "");
    for row in rows.iter().filter(|r| r[0].contains("cacao-tumaco")) {
        assert_eq!(&row[1], "NAR-TUM-2013-001");
        assert_eq!(&row[2], "false");
        assert_eq!(&row[3], "0.119819");
        assert_eq!(&row[4], "127023237.94");
        assert_eq!(&row[7], "248300000");
        assert_eq!(&row[8], "80950000");
        assert_eq!(&row[9], "family_income");
        assert_eq!(&row[10], "");
    }
    let dairy = rows
        .iter()
        .find(|r| r[0].ends_with("lecheria-san-vicente.toml"))
        .expect("dairy row");
    assert_eq!(&dairy[2], "true");
    assert_eq!(&dairy[3], "0.217262");
    assert_eq!(&dairy[7], "183924000");
    assert_eq!(&dairy[8], "471776000");
    assert_eq!(&dairy[9], "");
    assert_eq!(rows.iter().filter(|r| !r[10].is_empty()).count(), 1);
}

#[test]
fn a_jsonl_batch_evaluates_every_line_and_reports_bad_lines_by_number() {
    let dir = tempfile::tempdir().expect("dir");
    let cocoa: Value = serde_json::from_str(
        &std::fs::read_to_string(examples().join("cacao-tumaco.json")).expect("example"),
    )
    .expect("JSON");
    let mut other = cocoa.clone();
    other["frame"]["code"] = Value::from("NAR-TUM-2013-002");
    other["frame"]["title"] = Value::from("");
    let lines = [
        serde_json::to_string(&cocoa).expect("line"),
        "{\"frame\": ".to_owned(),
        String::new(),
        serde_json::to_string(&other).expect("line"),
    ];
    let input = dir.path().join("proyectos.jsonl");
    std::fs::write(&input, lines.join("\n")).expect("write");
    let out = dir.path().join("resultados.csv");
    let output = vereda(&[
        "evaluate",
        "--batch",
        &input.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 3, "blank lines are skipped");
    assert!(rows[0][0].ends_with("proyectos.jsonl:1"));
    assert_eq!(&rows[0][2], "false");
    assert!(
        rows[1][10].contains("proyectos.jsonl:2, línea 2"),
        "{:?}",
        rows[1]
    );
    assert!(rows[2][0].ends_with("proyectos.jsonl:4"));
    assert_eq!(&rows[2][1], "NAR-TUM-2013-002");
    assert!(
        rows[2][10].contains("frame.title: ") && rows[2][10].ends_with("(Art. 19.1)"),
        "{:?}",
        rows[2]
    );
}

#[test]
fn the_pdf_report_is_written() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cacao.pdf");
    let output = vereda(&[
        "evaluate",
        &example("cacao-tumaco.toml"),
        "--pdf",
        &path.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&not_viable(Lang::Es)));
    let bytes = std::fs::read(&path).expect("the PDF");
    assert!(bytes.starts_with(b"%PDF-"));
    let end = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(16)..]).into_owned();
    assert!(end.trim_end().ends_with("%%EOF"), "{end}");
    // Typeset with its fonts embedded (the words themselves are tested on the laid-out pages in
    // the documents crate).
    assert!(bytes.len() > 10_000, "{} bytes", bytes.len());
}

#[test]
fn the_workbook_has_the_four_sheets() {
    use calamine::{Data, Reader, Xlsx, open_workbook};

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cacao.xlsx");
    let output = vereda(&[
        "evaluate",
        &example("cacao-tumaco.toml"),
        "--xlsx",
        &path.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&not_viable(Lang::Es)));
    let mut workbook: Xlsx<_> = open_workbook(&path).expect("the workbook opens");
    assert_eq!(
        workbook.sheet_names(),
        ["Resumen", "Flujo de caja", "Cofinanciación", "Sensibilidad"]
    );
    let summary = workbook.worksheet_range("Resumen").expect("Resumen");
    let verdict = summary
        .rows()
        .find(|row| row.first() == Some(&Data::String("Veredicto".into())))
        .expect("verdict row");
    assert_eq!(verdict[1], Data::String("NO VIABLE".into()));
    let flow = workbook.worksheet_range("Flujo de caja").expect("Flujo de caja");
    assert_eq!(flow.get_value((0, 12)), Some(&Data::String("Flujo neto".into())));
    assert_eq!(flow.get_value((1, 12)), Some(&Data::Float(-281_250_000.0)));
    assert_eq!(flow.get_value((11, 0)), Some(&Data::Float(10.0)));
    let split = workbook
        .worksheet_range("Cofinanciación")
        .expect("Cofinanciación");
    assert!(split.rows().any(
        |row| row.first() == Some(&Data::String("Aporte del instituto".into()))
            && row.get(1) == Some(&Data::Float(248_300_000.0))
    ));
    let sensitivity = workbook.worksheet_range("Sensibilidad").expect("Sensibilidad");
    assert_eq!(
        sensitivity.get_value((2, 0)),
        Some(&Data::String("Precio -10 %".into()))
    );
}

#[test]
fn the_cocoa_example_round_trips_through_the_xlsx_template() {
    use vereda_documents::formulation_xlsx::{read_formulation, write_template_filled};
    use vereda_domain::finance::Formulation;

    let source = std::fs::read_to_string(example("cacao-tumaco.toml")).expect("the example");
    let formulation: Formulation = toml::from_str(&source).expect("the example parses");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("cacao-plantilla.xlsx");
    write_template_filled(&path, &formulation).expect("template written");
    assert_eq!(read_formulation(&path).expect("read back"), formulation);

    let from_toml = vereda(&["evaluate", &example("cacao-tumaco.toml"), "--json"]);
    let from_xlsx = vereda(&["evaluate", &path.display().to_string(), "--json"]);
    assert!(from_xlsx.status.success(), "{}", text(&from_xlsx.stderr));
    assert!(!from_xlsx.stdout.is_empty());
    assert_eq!(text(&from_xlsx.stdout), text(&from_toml.stdout));
}

#[test]
fn the_cli_writes_the_template_and_reports_its_empty_cells_by_sheet_and_row() {
    use calamine::{Reader, Xlsx, open_workbook};

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("plantilla.xlsx");
    let written = vereda(&["evaluate", "--template", &path.display().to_string()]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    let workbook: Xlsx<_> = open_workbook(&path).expect("the template opens");
    let names = workbook.sheet_names();
    for sheet in [
        "Proyecto",
        "Familias",
        "Presupuesto",
        "Producción",
        "Asistencia técnica",
        "Instrucciones",
    ] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }

    let evaluated = vereda(&["evaluate", &path.display().to_string()]);
    assert_eq!(evaluated.status.code(), Some(1));
    let stderr = text(&evaluated.stderr);
    // The empty code is named as the spreadsheet shows it: sheet Proyecto, cell C2.
    let required = vereda_messages::Lang::Es.t_with(
        "row-error-at_cell",
        &[
            ("file", Arg::Text("plantilla.xlsx".into())),
            ("sheet", Arg::Text("Proyecto".into())),
            ("cell", Arg::Text("C2".into())),
            ("column", Arg::Text("Valor".into())),
            ("value", Arg::Text(String::new())),
            (
                "problem",
                Arg::List(vec![vereda_domain::message::Message::new("row-error-required")]),
            ),
        ],
    );
    assert!(stderr.contains(&required), "{stderr}");
    assert!(evaluated.stdout.is_empty());
}

#[test]
fn a_file_that_cannot_be_read_is_said_by_its_kind_not_in_the_systems_words() {
    let output = vereda(&["evaluate", "no-existe.toml"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(Lang::Es.t("io-problem-not_found")), "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
}
