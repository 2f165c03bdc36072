use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use rust_xlsxwriter::Workbook;
use tempfile::TempDir;
use vereda_domain::message::Arg;
use vereda_domain::territory::{DaneCode, PovertyIndex};
use vereda_screening::poverty::{PovertyFileError, read_poverty_file};
use vereda_screening::table::TableError;

enum Cell {
    Text(&'static str),
    Number(f64),
    Blank,
}
use Cell::{Blank, Number, Text};

fn write_file(dir: &TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write fixture");
    path
}

fn write_xlsx(dir: &TempDir, name: &str, rows: &[&[Cell]]) -> PathBuf {
    let path = dir.path().join(name);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, cells) in rows.iter().enumerate() {
        let row = u32::try_from(row).expect("few rows");
        for (column, cell) in cells.iter().enumerate() {
            let column = u16::try_from(column).expect("few columns");
            match cell {
                Text(text) => sheet.write_string(row, column, *text).map(|_| ()),
                Number(number) => sheet.write_number(row, column, *number).map(|_| ()),
                Blank => Ok(()),
            }
            .expect("write cell");
        }
    }
    workbook.save(&path).expect("save workbook");
    path
}

fn code(text: &str) -> DaneCode {
    DaneCode::parse(text).expect("a DIVIPOLA code")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn index(total: &str, urban: Option<&str>, rural: Option<&str>) -> PovertyIndex {
    PovertyIndex::new(dec(total), urban.map(dec), rural.map(dec)).expect("a valid index")
}

/// Each row error as (file, line, column, value, message code), failing the test on any
/// other outcome.
fn row_errors(path: &Path) -> Vec<(String, usize, String, String, String)> {
    match read_poverty_file(path) {
        Err(PovertyFileError::Rows {
            errors, error_count, ..
        }) => {
            assert_eq!(errors.len(), error_count.min(100));
            (errors.iter())
                .map(|e| {
                    (
                        e.file.clone(),
                        e.line,
                        e.column.clone(),
                        e.value.clone(),
                        e.message.code().to_owned(),
                    )
                })
                .collect()
        }
        other => panic!("expected row errors, got {other:?}"),
    }
}

fn row(
    file: &str,
    line: usize,
    column: &str,
    value: &str,
    code: &str,
) -> (String, usize, String, String, String) {
    (file.into(), line, column.into(), value.into(), code.into())
}

#[test]
fn a_row_error_keeps_the_values_its_message_names() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total\n05001,12.8\n86001,24.8\n5001,13\n",
    );
    let Err(PovertyFileError::Rows { errors, .. }) = read_poverty_file(&path) else {
        panic!("expected row errors");
    };
    let message = &errors[0].message;
    assert_eq!(message.arg("code"), Some(&Arg::Text("05001".into())));
    assert_eq!(message.arg("first"), Some(&Arg::Count(2)));
    assert_eq!(message.arg("line"), Some(&Arg::Count(4)));
    let located = errors[0].located();
    assert_eq!(located.code(), "row-error-at");
    assert_eq!(
        located.arg("problem"),
        Some(&Arg::List(vec![(**message).clone()]))
    );
}

#[test]
fn reads_the_shipped_ipm_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ipm_2018_municipal_partial.csv");
    let file = read_poverty_file(&path).expect("the shipped file is valid");
    assert_eq!(file.records.len(), 76);
    let mocoa = file
        .records
        .iter()
        .find(|(c, _)| *c == code("86001"))
        .map(|(_, index)| *index);
    assert_eq!(mocoa, Some(index("24.8", Some("20.2"), Some("37.3"))));
    assert_eq!(file.records[0].0, code("05001"));
}

#[test]
fn reads_the_shipped_format() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total,ipm_urban,ipm_rural\n05001,12.8,12.6,22.9\n\n91263,77.5,,77.5\n5002,40.6,24.1,51.4\n",
    );
    let file = read_poverty_file(&path).expect("valid");
    assert_eq!(
        file.records,
        vec![
            (code("05001"), index("12.8", Some("12.6"), Some("22.9"))),
            (code("91263"), index("77.5", None, Some("77.5"))),
            // A 4-digit code gets its leading zero back.
            (code("05002"), index("40.6", Some("24.1"), Some("51.4"))),
        ]
    );
}

#[test]
fn reads_a_spanish_semicolon_csv_with_comma_decimals_and_bom() {
    let dir = TempDir::new().expect("temp dir");
    let contents = "\u{feff}Código Municipio;Municipio;IPM;Cabecera;Centros poblados y rural disperso\r\n\
        86001;Mocoa;24,8;20,2;37,3\r\n\
        18001;Florencia;27,5;ND;-\r\n";
    let path = write_file(&dir, "ipm_2018.csv", contents.as_bytes());
    let file = read_poverty_file(&path).expect("valid");
    assert_eq!(
        file.records,
        vec![
            (code("86001"), index("24.8", Some("20.2"), Some("37.3"))),
            (code("18001"), index("27.5", None, None)),
        ]
    );
}

#[test]
fn reads_a_dane_annex_with_title_rows_and_split_codes() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_xlsx(
        &dir,
        "anexo-censal-pobreza-municipal-2018.xlsx",
        &[
            &[Text(
                "Medida de pobreza multidimensional municipal de fuente censal",
            )],
            &[Text("Censo Nacional de Población y Vivienda 2018")],
            &[Blank, Blank, Blank, Blank, Text("Incidencia (%)")],
            &[
                Text("Código Departamento"),
                Text("Departamento"),
                Text("Código Municipio"),
                Text("Municipio"),
                Text("Total"),
                Text("Cabeceras"),
                Text("Centros poblados y rural disperso"),
            ],
            &[
                Number(5.0),
                Text("Antioquia"),
                Number(1.0),
                Text("Medellín"),
                Number(12.8),
                Number(12.6),
                Number(22.9),
            ],
            &[
                Number(91.0),
                Text("Amazonas"),
                Number(263.0),
                Text("El Encanto"),
                Number(77.5),
                Text("-"),
                Number(77.5),
            ],
            &[
                Number(18.0),
                Text("Caquetá"),
                Number(18001.0),
                Text("Florencia"),
                Number(33.1),
                Number(28.4),
                Number(60.0),
            ],
            &[
                Blank,
                Blank,
                Text("Total nacional"),
                Blank,
                Number(19.6),
                Number(12.3),
                Number(41.3),
            ],
            &[Text("Fuente: DANE, CNPV 2018")],
        ],
    );
    let file = read_poverty_file(&path).expect("valid");
    assert_eq!(
        file.records,
        vec![
            (code("05001"), index("12.8", Some("12.6"), Some("22.9"))),
            (code("91263"), index("77.5", None, Some("77.5"))),
            (code("18001"), index("33.1", Some("28.4"), Some("60"))),
        ]
    );
    // A number typed as 33.1 is exactly 33.1, not the nearest float.
    assert_eq!(file.records[2].1.total.to_string(), "33.1");
}

#[test]
fn a_missing_total_column_names_the_accepted_headers() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_urban,ipm_rural\n05001,12.6,22.9\n",
    );
    let error = read_poverty_file(&path).expect_err("no total column");
    assert!(
        matches!(error, PovertyFileError::Table(TableError::MissingColumn { .. })),
        "{error:?}"
    );
    let [message] = error.messages().try_into().expect("one message");
    assert_eq!(message.code(), "table-error-missing_column");
    assert_eq!(message.arg("column"), Some(&Arg::Text("ipm_total".into())));
    assert_eq!(
        message.arg("accepted"),
        Some(&Arg::Text("ipm_total, total, ipm".into()))
    );
}

#[test]
fn a_missing_code_column_below_title_rows_is_named() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"IPM 2018;;\nMunicipio;Total;Rural\nMocoa;24,8;37,3\n",
    );
    let error = read_poverty_file(&path).expect_err("no code column");
    let [message] = error.messages().try_into().expect("one message");
    assert_eq!(message.code(), "table-error-missing_column");
    assert_eq!(message.arg("file"), Some(&Arg::Text("ipm.csv".into())));
    assert_eq!(message.arg("column"), Some(&Arg::Text("dane_code".into())));
    assert!(
        matches!(message.arg("accepted"), Some(Arg::Text(a)) if a.starts_with("dane_code, codigo_municipio,")),
        "{message}"
    );
}

#[test]
fn an_unknown_code_names_its_line_and_column() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total,ipm_urban,ipm_rural\n05001,12.8,12.6,22.9\n\n99999,10,,\n",
    );
    assert_eq!(
        row_errors(&path),
        [row(
            "ipm.csv",
            4,
            "dane_code",
            "99999",
            "territory-error-unknown_municipality"
        )]
    );
}

#[test]
fn an_unparseable_number_is_reported() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        "dane_code;ipm_total\n05001;12,8\n86001;12,x\n".as_bytes(),
    );
    assert_eq!(
        row_errors(&path),
        [row("ipm.csv", 3, "ipm_total", "12,x", "number-not_a_number")]
    );
}

#[test]
fn a_percentage_above_100_is_reported_on_its_column() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total,ipm_urban,ipm_rural\n05001,12.8,101,22.9\n",
    );
    assert_eq!(
        row_errors(&path),
        [row("ipm.csv", 2, "ipm_urban", "101", "row-error-percentage")]
    );
}

#[test]
fn a_municipality_twice_names_both_lines() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total\n05001,12.8\n86001,24.8\n5001,13\n",
    );
    assert_eq!(
        row_errors(&path),
        [row(
            "ipm.csv",
            4,
            "dane_code",
            "5001",
            "row-error-municipality_twice"
        )]
    );
}

#[test]
fn every_bad_row_is_reported_and_nothing_is_imported() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total,ipm_rural\n05001,12.8,22.9\n99999,1,1\n86001,,x\n18O01,5,5\nTotal nacional,19.6,41.3\n",
    );
    assert_eq!(
        row_errors(&path),
        [
            row(
                "ipm.csv",
                3,
                "dane_code",
                "99999",
                "territory-error-unknown_municipality"
            ),
            row("ipm.csv", 4, "ipm_total", "", "row-error-ipm_total_required"),
            row("ipm.csv", 4, "ipm_rural", "x", "number-not_a_number"),
            row(
                "ipm.csv",
                5,
                "dane_code",
                "18O01",
                "territory-error-malformed_municipality"
            ),
        ]
    );
}

#[test]
fn at_most_100_errors_are_listed_but_all_are_counted() {
    let dir = TempDir::new().expect("temp dir");
    let mut contents = String::from("dane_code,ipm_total\n");
    for _ in 0..150 {
        contents.push_str("05001,x\n");
    }
    let path = write_file(&dir, "ipm.csv", contents.as_bytes());
    let error = read_poverty_file(&path).expect_err("row errors");
    let PovertyFileError::Rows {
        errors, error_count, ..
    } = &error
    else {
        panic!("expected row errors");
    };
    // 150 unparseable totals and 149 duplicates.
    assert_eq!(*error_count, 299);
    assert_eq!(errors.len(), 100);
    let messages = error.messages();
    assert_eq!(messages.len(), 102);
    assert_eq!(messages[0].code(), "row-error-ipm_summary");
    assert_eq!(messages[0].arg("count"), Some(&Arg::Count(299)));
    assert_eq!(messages[1].code(), "row-error-at");
    assert_eq!(messages[1].arg("line"), Some(&Arg::Count(2)));
    assert_eq!(messages[101].code(), "row-error-more");
    assert_eq!(messages[101].arg("count"), Some(&Arg::Count(199)));
}

#[test]
fn a_bad_department_code_in_a_split_file_is_reported() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(&dir, "ipm.csv", b"cod_dpto,cod_mpio,ipm\n5,1,12.8\n,263,77.5\n");
    assert_eq!(
        row_errors(&path),
        [row("ipm.csv", 3, "cod_dpto", "", "row-error-department_code")]
    );
}

#[test]
fn an_unknown_extension_is_refused() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(&dir, "ipm.txt", b"dane_code,ipm_total\n05001,12.8\n");
    let error = read_poverty_file(&path).expect_err("txt");
    assert!(
        matches!(
            error,
            PovertyFileError::Table(TableError::UnsupportedFormat { .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.messages()[0].code(), "table-error-unsupported_format");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = TempDir::new().expect("temp dir");
    let error = read_poverty_file(&dir.path().join("ipm.csv")).expect_err("no file");
    assert!(
        matches!(error, PovertyFileError::Table(TableError::Io { .. })),
        "{error:?}"
    );
    assert_eq!(error.messages()[0].code(), "table-error-not_found");
    assert_eq!(
        error.messages()[0].arg("file"),
        Some(&Arg::Text("ipm.csv".into()))
    );
}
