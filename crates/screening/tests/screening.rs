//! Batch screening end to end: the golden cases, spreadsheets, Spanish headers and bad input.

use std::path::{Path, PathBuf};

use jiff::civil::date;
use vereda_domain::eligibility::{CallLimits, Screener};
use vereda_domain::message::Arg;
use vereda_domain::rules::{RuleBook, RuleSet};
use vereda_domain::text::TextEncoding;
use vereda_screening::screening::{self, RegistryFile, ScreeningError, ScreeningJob, ScreeningRun};

const REGISTRIES: [&str; 5] = [
    "ruv",
    "prior_beneficiaries",
    "public_servants",
    "sanctions",
    "wanted",
];
const HOUSEHOLD_COLUMNS: usize = 26;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn registries() -> Vec<RegistryFile> {
    REGISTRIES
        .iter()
        .map(|name| RegistryFile {
            name: (*name).to_owned(),
            path: golden(&format!("{name}.csv")),
        })
        .collect()
}

fn shipped() -> RuleSet {
    RuleBook::shipped()
        .expect("shipped rules")
        .get("incoder-308-2013")
        .expect("rule set")
        .clone()
}

/// The golden cases: household columns, then the expected result columns and why.
fn cases() -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(golden("cases.csv")).expect("cases.csv");
    let mut rows = vec![
        reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect(),
    ];
    rows.extend(
        reader
            .records()
            .map(|r| r.expect("record").iter().map(str::to_owned).collect()),
    );
    rows
}

fn write_csv(path: &Path, rows: &[Vec<String>]) {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .expect("create");
    for row in rows {
        writer.write_record(row).expect("write");
    }
    writer.flush().expect("flush");
}

fn run(
    households: &Path,
    rules: &RuleSet,
    keep_going: bool,
) -> Result<(ScreeningRun, String), ScreeningError> {
    let screener = Screener::new(rules, date(2013, 6, 1), CallLimits::default());
    let job = ScreeningJob {
        households: households.to_owned(),
        registries: registries(),
        screener: &screener,
        keep_going,
        explain: None,
        keep_facts: false,
        read_limits: Default::default(),
    };
    let run = screening::screen(&job, &|_| {})?;
    let out = households.with_file_name("results.csv");
    screening::write_results_csv(&run, &screener, &out).expect("write results");
    let text = std::fs::read_to_string(&out).expect("read results");
    Ok((run, text))
}

fn household_rows(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r[..HOUSEHOLD_COLUMNS].to_vec()).collect()
}

fn check_against_golden(results: &str) {
    let cases = cases();
    let lines: Vec<&str> = results.lines().collect();
    assert_eq!(lines[0], screening::RESULTS_HEADER);
    assert_eq!(lines.len(), cases.len(), "one result per case, in input order");
    for (case, line) in cases[1..].iter().zip(&lines[1..]) {
        let expected = format!(
            "{},{}",
            case[0],
            case[HOUSEHOLD_COLUMNS..HOUSEHOLD_COLUMNS + 5].join(",")
        );
        assert_eq!(
            *line,
            expected,
            "case {}: {}",
            case[0],
            case[HOUSEHOLD_COLUMNS + 5]
        );
    }
}

#[test]
fn a_household_outside_the_territory_is_not_eligible() {
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    let rows = household_rows(&cases());
    write_csv(&households, &rows);
    let rules = shipped();
    // The demo call's departments: Caquetá, Nariño, Putumayo. G54 lives in Medellín.
    let territory = vereda_domain::territory::CallTerritory::parse("18,52,86").expect("territory");
    let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default()).within(territory);
    let job = ScreeningJob {
        households: households.clone(),
        registries: registries(),
        screener: &screener,
        keep_going: false,
        explain: Some("G54".to_owned()),
        keep_facts: false,
        read_limits: Default::default(),
    };
    let run = screening::screen(&job, &|_| {}).expect("screened");
    let out = dir.path().join("results.csv");
    screening::write_results_csv(&run, &screener, &out).expect("write results");
    let results = std::fs::read_to_string(&out).expect("read results");
    let g54 = results
        .lines()
        .find(|l| l.starts_with("G54,"))
        .expect("G54's result");
    assert_eq!(g54, "G54,false,1,,,ART5_TERRITORY");
    let outside: Vec<&str> = results.lines().filter(|l| l.contains("ART5_TERRITORY")).collect();
    assert_eq!(outside, [g54], "every other case lives in the call's departments");
    let explanation = run.explanation.as_ref().expect("G54 explained");
    assert!(
        explanation
            .rules
            .iter()
            .any(|r| r.code == "ART5_TERRITORY" && r.fired && r.article == "Art. 5")
    );
}

#[test]
fn the_golden_cases_screen_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    write_csv(&households, &household_rows(&cases()));
    let (run, results) = run(&households, &shipped(), false).expect("screened");
    assert_eq!(run.error_count, 0);
    check_against_golden(&results);
}

#[test]
fn a_spreadsheet_with_spanish_headers_screens_the_same() {
    let spanish = [
        "ID Hogar",
        "Tipo Documento",
        "Documento",
        "Nombres",
        "Apellidos",
        "Sexo",
        "Fecha Nacimiento",
        "Jefe Hogar",
        "Código Municipio",
        "Área Sisbén",
        "Puntaje Sisbén",
        "Desplazado",
        "Grupo Étnico",
        "Comunidad Registrada",
        "Tenencia",
        "Limitaciones Dominio",
        "Actividad Productiva",
        "Restricción Ambiental",
        "Actividad Ilícita",
        "Información Inexacta",
        "Línea",
        "Fin Contrato",
        "Grupo AREL",
        "Documento Idóneo",
        "Año Convocatoria",
        "Puntaje Convocatoria",
    ];
    let rows = household_rows(&cases());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hogares.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in spanish.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).expect("header");
    }
    for (index, row) in rows[1..].iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet
                .write_string(index as u32 + 1, column as u16, value)
                .expect("cell");
        }
    }
    workbook.save(&path).expect("save");
    let (_, results) = run(&path, &shipped(), false).expect("screened");
    check_against_golden(&results);
}

#[test]
fn semicolons_and_a_byte_order_mark_are_read_like_excel_writes_them() {
    let rows = household_rows(&cases());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("households.csv");
    let mut text = String::from("\u{feff}");
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains(';') {
                    format!("\"{c}\"")
                } else {
                    c.clone()
                }
            })
            .collect();
        text.push_str(&cells.join(";"));
        text.push_str("\r\n");
    }
    std::fs::write(&path, text).expect("write");
    let (_, results) = run(&path, &shipped(), false).expect("screened");
    check_against_golden(&results);
}

/// The golden households as Excel in Spanish saves them: `;`, decimal commas, and the
/// accented names ("Nariño", "Peñol") in `encode`'s encoding.
fn as_spanish_excel(encode: impl Fn(&str) -> Vec<u8>) -> Vec<u8> {
    let mut rows = household_rows(&cases());
    for row in rows.iter_mut().skip(1) {
        row[3] = format!("{} Nariño", row[3]);
        row[4] = format!("{} Peñol", row[4]);
        row[10] = row[10].replace('.', ",");
    }
    let mut text = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains(';') || c.contains(',') {
                    format!("\"{c}\"")
                } else {
                    c.clone()
                }
            })
            .collect();
        text.push_str(&cells.join(";"));
        text.push_str("\r\n");
    }
    encode(&text)
}

#[test]
fn a_windows_1252_file_screens_like_its_utf8_twin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let utf8 = dir.path().join("utf8").join("households.csv");
    let latin = dir.path().join("latin").join("households.csv");
    for path in [&utf8, &latin] {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    }
    std::fs::write(&utf8, as_spanish_excel(|t| t.as_bytes().to_vec())).expect("write");
    let latin_bytes = as_spanish_excel(|t| encoding_rs::WINDOWS_1252.encode(t).0.into_owned());
    assert!(std::str::from_utf8(&latin_bytes).is_err(), "not UTF-8");
    std::fs::write(&latin, latin_bytes).expect("write");
    let (twin_run, twin) = run(&utf8, &shipped(), false).expect("UTF-8 screened");
    let (latin_run, results) = run(&latin, &shipped(), false).expect("Windows-1252 screened");
    assert_eq!(results, twin);
    check_against_golden(&results);
    assert_eq!(latin_run.encoding, Some(TextEncoding::Windows1252));
    assert_eq!(twin_run.encoding, Some(TextEncoding::Utf8));
    assert_eq!(
        vereda_screening::records::file_encoding(&latin).expect("read"),
        TextEncoding::Windows1252
    );
}

fn with_bad_rows() -> (tempfile::TempDir, PathBuf) {
    let mut rows = household_rows(&cases());
    rows.truncate(6);
    rows[2][5] = "female".to_owned(); // sex, line 3
    rows[3][10] = "quince".to_owned(); // sisben_score, line 4
    rows[4][8] = "99999".to_owned(); // municipality_code, line 5
    rows[5][6] = "1970-13-01".to_owned(); // birth_date, line 6
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("households.csv");
    write_csv(&path, &rows);
    (dir, path)
}

#[test]
fn bad_rows_stop_the_screening_and_name_file_line_column_and_value() {
    let (dir, path) = with_bad_rows();
    let Err(ScreeningError::Rows { errors, error_count }) = run(&path, &shipped(), false) else {
        panic!("bad rows must stop a strict screening");
    };
    assert_eq!(error_count, 4);
    let described: Vec<(&str, usize, &str, &str, &str)> = (errors.iter())
        .map(|e| {
            (
                e.file.as_str(),
                e.line,
                e.column.as_str(),
                e.value.as_str(),
                e.message.code(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("households.csv", 3, "sex", "female", "error-unknown_value"),
            (
                "households.csv",
                4,
                "sisben_score",
                "quince",
                "number-not_a_number"
            ),
            (
                "households.csv",
                5,
                "municipality_code",
                "99999",
                "territory-error-unknown_municipality"
            ),
            ("households.csv", 6, "birth_date", "1970-13-01", "row-error-date"),
        ]
    );
    assert!(!dir.path().join("results.csv").exists(), "no results file at all");
}

#[test]
fn keep_going_screens_the_good_rows_and_lists_the_bad() {
    let (dir, path) = with_bad_rows();
    let (run, results) = run(&path, &shipped(), true).expect("screened");
    assert_eq!(run.error_count, 4);
    assert_eq!(results.lines().count(), 2, "header and the one good row");
    assert!(results.lines().nth(1).is_some_and(|l| l.starts_with("G01,true")));
    let errors = dir.path().join("errors.csv");
    screening::write_errors_csv(&run.errors, &errors, &|m| format!("said {}", m.code()))
        .expect("errors file");
    let text = std::fs::read_to_string(errors).expect("read");
    assert!(
        text.starts_with(
            "file,line,column,value,code,message\nhouseholds.csv,3,sex,female,error-unknown_value,said error-unknown_value\n"
        ),
        "{text}"
    );
}

#[test]
fn a_wrong_number_of_fields_a_missing_column_and_a_repeated_id_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rows = household_rows(&cases());
    rows.truncate(4);
    rows[2].pop();
    rows[3][0] = "G01".to_owned();
    let path = dir.path().join("households.csv");
    write_csv(&path, &rows);
    let Err(ScreeningError::Rows { errors, .. }) = run(&path, &shipped(), false) else {
        panic!("must fail");
    };
    assert!(
        errors.iter().any(|e| e.line == 3
            && e.message.code() == "row-error-field_count"
            && e.message.arg("expected") == Some(&Arg::Count(26))),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.line == 4
            && e.message.code() == "row-error-id_repeated"
            && e.message.arg("first") == Some(&Arg::Count(2))),
        "{errors:?}"
    );

    let without_tenure: Vec<Vec<String>> = household_rows(&cases())
        .into_iter()
        .map(|mut r| {
            r.remove(14);
            r
        })
        .collect();
    write_csv(&path, &without_tenure);
    let error = run(&path, &shipped(), false).err().expect("missing column");
    assert_eq!(error.message().code(), "table-error-missing_column", "{error}");
    assert_eq!(
        error.message().arg("column"),
        Some(&vereda_domain::message::Arg::Text("land_tenure".into()))
    );
}

#[test]
fn a_registry_without_a_document_column_or_not_given_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    write_csv(&households, &household_rows(&cases()));
    let broken = dir.path().join("ruv.csv");
    std::fs::write(&broken, "document_type,number\nCC,1\n").expect("write");
    let rules = shipped();
    let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
    let mut files = registries();
    files[0].path = broken;
    let job = ScreeningJob {
        households: households.clone(),
        registries: files,
        screener: &screener,
        keep_going: false,
        explain: None,
        keep_facts: false,
        read_limits: Default::default(),
    };
    let error = screening::screen(&job, &|_| {})
        .err()
        .expect("no document column");
    assert_eq!(error.message().code(), "table-error-missing_column", "{error}");
    assert_eq!(
        error.message().arg("file"),
        Some(&vereda_domain::message::Arg::Text("ruv.csv".into()))
    );
    assert_eq!(
        error.message().arg("column"),
        Some(&vereda_domain::message::Arg::Text("document".into()))
    );

    let job = ScreeningJob {
        registries: registries()[1..].to_vec(),
        ..job
    };
    let error = screening::screen(&job, &|_| {}).err().expect("ruv not given");
    assert_eq!(
        error.message().code(),
        "screening-error-missing_registry",
        "{error}"
    );
    assert_eq!(
        error.message().arg("name"),
        Some(&vereda_domain::message::Arg::Text("ruv".into()))
    );
}

/// Documents with letters (passports, permits) are matched as text: the same one on two
/// rows marks both, once normalized, and another one does not.
#[test]
fn a_repeated_passport_marks_both_rows() {
    let cases = cases();
    let template = cases.iter().find(|c| c[0] == "G35").expect("case G35");
    let row = |id: &str, document: &str| {
        let mut row = template[..HOUSEHOLD_COLUMNS].to_vec();
        row[0] = id.to_owned();
        row[1] = "PEP".to_owned();
        row[2] = document.to_owned();
        row
    };
    let mut rows = vec![cases[0][..HOUSEHOLD_COLUMNS].to_vec()];
    rows.extend([row("P1", "AB123"), row("P2", "AB-124"), row("P3", "AB 123")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    write_csv(&households, &rows);
    let (run, results) = run(&households, &shipped(), false).expect("screened");
    let repeated: Vec<bool> = run.rows.iter().map(|r| r.checks.duplicate_document).collect();
    assert_eq!(repeated, [true, false, true], "{results}");
}

/// Where a repeated head matters inside another condition, the outcome of a duplicate
/// cannot be derived from the outcome of a unique row and each row is screened both ways;
/// the results are the same.
#[test]
fn duplicates_screened_twice_give_the_same_results_as_derived_ones() {
    let text = include_str!("../../../rules/incoder-308-2013.toml").replace(
        "fires_when = { duplicate_document = true }",
        "fires_when = { any = [{ duplicate_document = true }] }",
    );
    let rules = RuleSet::parse("nested-duplicates.toml", &text).expect("valid");
    let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
    assert!(!screener.derives_every_duplicate());
    assert!(Screener::new(&shipped(), date(2013, 6, 1), CallLimits::default()).derives_every_duplicate());
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    write_csv(&households, &household_rows(&cases()));
    let (run, results) = run(&households, &rules, false).expect("screened");
    assert!(run.rows.iter().any(|row| row.checks.duplicate_document));
    check_against_golden(&results);
}

#[test]
fn another_rule_set_decides_by_its_own_figures_and_records_its_hash() {
    let text = include_str!("../../../rules/incoder-308-2013.toml")
        .replacen(r#"id = "incoder-308-2013""#, r#"id = "test-stricter""#, 1)
        .replacen("area_3 = [35, 50]", "area_3 = [35, 45]", 1)
        .replacen("smmlv = 24", "smmlv = 30", 1);
    let other = RuleSet::parse("test-stricter.toml", &text).expect("valid");
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    write_csv(&households, &household_rows(&cases()));
    let (_, results) = run(&households, &other, false).expect("screened");
    let line = |id: &str| {
        results
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .expect("row")
            .to_owned()
    };
    assert_eq!(
        line("G08"),
        "G08,false,,,,ART9A_SISBEN",
        "50 is now outside rural level 3"
    );
    assert_eq!(line("G22"), "G22,true,1,90,30,", "the displaced cap is now 30");
    assert_ne!(other.content_hash, shipped().content_hash);
}

#[test]
fn explain_tells_every_rule_for_one_household() {
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    write_csv(&households, &household_rows(&cases()));
    let rules = shipped();
    let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
    let job = ScreeningJob {
        households,
        registries: registries(),
        screener: &screener,
        keep_going: false,
        explain: Some("G35".to_owned()),
        keep_facts: true,
        read_limits: Default::default(),
    };
    let run = screening::screen(&job, &|_| {}).expect("screened");
    assert_eq!(run.facts.len(), run.rows.len());
    assert_eq!(run.facts[35].document, "003.000.001");
    assert!(run.rows[34].checks.duplicate_document && run.rows[35].checks.duplicate_document);
    let explanation = run.explanation.expect("explained");
    assert_eq!(explanation.reasons, ["DUPLICATE_DOCUMENT"]);
    assert_eq!(explanation.rules.len(), 15);
    assert!(explanation.rules.iter().any(|r| r.code == "DUPLICATE_DOCUMENT"
        && r.fired
        && r.seen.iter().any(|m| m.code() == "eligibility-seen_duplicate")));

    let job = ScreeningJob {
        explain: Some("NOPE".to_owned()),
        ..job
    };
    assert!(matches!(
        screening::screen(&job, &|_| {}),
        Err(ScreeningError::ExplainNotFound(_))
    ));
}

#[test]
fn an_arel_group_4_row_needs_the_year_of_its_call() {
    // Art. 38 par. 4 orders group 4 by the call's year: a row without it, or with a year that
    // was no such call, is bad input naming the column.
    let dir = tempfile::tempdir().expect("temp dir");
    let rows = household_rows(&cases());
    let year_at = rows[0]
        .iter()
        .position(|c| c == "arel_call_year")
        .expect("the column");
    let group_4 = rows
        .iter()
        .position(|r| r.contains(&"calls_2008_2011".to_owned()))
        .expect("a group 4 case");
    for bad in ["", "2012"] {
        let mut broken = vec![rows[0].clone(), rows[group_4].clone()];
        broken[1][year_at] = bad.to_owned();
        let path = dir.path().join("households.csv");
        write_csv(&path, &broken);
        let Err(ScreeningError::Rows { errors, .. }) = run(&path, &shipped(), false) else {
            panic!("must fail for {bad:?}");
        };
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].column, "arel_call_year");
        assert_eq!(errors[0].value, bad);
    }
}

#[test]
fn an_arel_household_without_its_group_or_document_is_refused_citing_art_38() {
    let rows = household_rows(&cases());
    let group_at = rows[0]
        .iter()
        .position(|c| c == "arel_population_group")
        .expect("the column");
    let expected: Vec<(String, String)> = cases()[1..]
        .iter()
        .filter(|case| case[group_at] == "none" && case[20] == "arel")
        .map(|case| (case[0].clone(), case[HOUSEHOLD_COLUMNS + 4].clone()))
        .collect();
    assert!(!expected.is_empty());
    for (id, reasons) in expected {
        assert!(
            reasons.split(';').any(|r| r == "ART38_POPULATION"),
            "{id}: {reasons}"
        );
    }
    // The rule cites Art. 38 in the shipped rule set.
    let book = vereda_domain::rules::RuleBook::shipped().expect("rule sets");
    let set = book.get("incoder-308-2013").expect("the shipped set");
    let rule = set
        .lines
        .iter()
        .flat_map(|l| l.rules.iter())
        .find(|r| r.code == "ART38_POPULATION")
        .expect("the rule");
    assert_eq!(rule.article, "Art. 38");
}

#[test]
fn eligible_arel_group_4_households_are_attended_by_call_year_then_score() {
    // Art. 38 par. 4, on the golden cases plus three more of group 4.
    let dir = tempfile::tempdir().expect("temp dir");
    let households = dir.path().join("households.csv");
    let mut rows = household_rows(&cases());
    let column = |name: &str| rows[0].iter().position(|c| c == name).expect("a column");
    let (id_at, document_at, year_at, score_at) = (
        column("household_id"),
        column("document"),
        column("arel_call_year"),
        column("arel_call_score"),
    );
    let group_4 = rows
        .iter()
        .find(|r| r.contains(&"calls_2008_2011".to_owned()))
        .expect("a group 4 case")
        .clone();
    for (id, document, year, score) in [
        ("X1", "2100001", "2011", "99"),
        ("X2", "2100002", "2008", "60,5"),
        ("X3", "2100003", "2008", "75"),
    ] {
        let mut row = group_4.clone();
        row[id_at] = id.to_owned();
        row[document_at] = document.to_owned();
        row[year_at] = year.to_owned();
        row[score_at] = score.to_owned();
        rows.push(row);
    }
    write_csv(&households, &rows);
    let rules = shipped();
    let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
    let job = ScreeningJob {
        households,
        registries: registries(),
        screener: &screener,
        keep_going: false,
        explain: None,
        keep_facts: true,
        read_limits: Default::default(),
    };
    let run = screening::screen(&job, &|_| {}).expect("screened");
    // The golden group-4 case is of 2009.
    assert_eq!(
        run.arel_group_4_order(),
        ["X3", "X2", group_4[id_at].as_str(), "X1"]
    );
}

#[test]
fn a_nul_byte_is_a_located_error_not_text() {
    let mut rows = household_rows(&cases());
    rows.truncate(3);
    rows[2][3] = "Ana\0María".to_owned(); // first_name, line 3
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("households.csv");
    write_csv(&path, &rows);
    let Err(ScreeningError::Rows { errors, error_count }) = run(&path, &shipped(), false) else {
        panic!("a NUL byte must stop a strict screening");
    };
    assert_eq!(error_count, 1);
    assert_eq!((errors[0].line, errors[0].column.as_str()), (3, "first_name"));
    assert_eq!(errors[0].value, "Ana\\0María");
}
