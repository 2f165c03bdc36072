use std::path::PathBuf;

use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use tempfile::TempDir;
use vereda_domain::message::Arg;
use vereda_domain::text::TextEncoding;
use vereda_screening::table::{TableError, read_table, read_table_with_header};

enum Cell {
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
    Blank,
}

fn write_file(dir: &TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write fixture");
    path
}

fn write_xlsx(dir: &TempDir, name: &str, sheets: &[(&str, &[&[Cell]])]) -> PathBuf {
    let path = dir.path().join(name);
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for (sheet_name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*sheet_name).expect("sheet name");
        for (row, cells) in rows.iter().enumerate() {
            let row = u32::try_from(row).expect("few rows");
            for (column, cell) in cells.iter().enumerate() {
                let column = u16::try_from(column).expect("few columns");
                match cell {
                    Cell::Text(text) => sheet.write_string(row, column, *text).map(|_| ()),
                    Cell::Number(number) => sheet.write_number(row, column, *number).map(|_| ()),
                    Cell::Date(y, m, d) => {
                        let date = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
                        sheet
                            .write_datetime_with_format(row, column, &date, &date_format)
                            .map(|_| ())
                    }
                    Cell::Blank => Ok(()),
                }
                .expect("write cell");
            }
        }
    }
    workbook.save(&path).expect("save workbook");
    path
}

fn lines_and_cells(table: &vereda_screening::table::Table) -> Vec<(usize, Vec<&str>)> {
    table
        .rows()
        .iter()
        .map(|row| {
            let cells = row.cells().iter().map(String::as_str).collect();
            (row.line(), cells)
        })
        .collect()
}

#[test]
fn csv_rows_keep_their_physical_line_and_skip_blank_rows() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "hogares.csv",
        b"name,notes\nAna,\"two\nlines\"\n\n , \nLuis, sin notas \n",
    );
    let table = read_table(&path).expect("reads");
    assert_eq!(table.file(), "hogares.csv");
    assert_eq!(table.header_line(), 1);
    assert_eq!(table.headers(), ["name", "notes"]);
    assert_eq!(
        lines_and_cells(&table),
        vec![(2, vec!["Ana", "two\nlines"]), (6, vec!["Luis", "sin notas"]),]
    );
}

#[test]
fn semicolon_csv_with_bom_is_detected() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.CSV",
        "\u{feff}Código Municipio;Total\n05001;12,8\n".as_bytes(),
    );
    let table = read_table(&path).expect("reads");
    assert_eq!(table.headers(), ["Código Municipio", "Total"]);
    assert_eq!(table.column(&["codigo_municipio"]), Some(0));
    assert_eq!(table.column(&["CODIGO-MUNICIPIO"]), Some(0));
    assert_eq!(lines_and_cells(&table), vec![(2, vec!["05001", "12,8"])]);
    let row = &table.rows()[0];
    assert_eq!(table.decimal(row, 1), Ok(Decimal::new(128, 1)));
}

#[test]
fn xlsx_numbers_print_as_typed_and_dates_as_iso_days() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_xlsx(
        &dir,
        "datos.XLSX",
        &[(
            "Hoja1",
            &[
                &[Cell::Text("code"), Cell::Text("ipm"), Cell::Text("fecha")],
                &[Cell::Number(5001.0), Cell::Number(33.1), Cell::Date(2024, 3, 5)],
                &[Cell::Blank, Cell::Blank, Cell::Blank],
                &[Cell::Number(86001.0), Cell::Number(0.1), Cell::Text(" x ")],
            ],
        )],
    );
    let table = read_table(&path).expect("reads");
    assert_eq!(
        lines_and_cells(&table),
        vec![
            (2, vec!["5001", "33.1", "2024-03-05"]),
            (4, vec!["86001", "0.1", "x"]),
        ]
    );
    let value = table.decimal(&table.rows()[0], 1).expect("a number");
    assert_eq!(value, Decimal::new(331, 1));
    assert_eq!(value.to_string(), "33.1");
}

#[test]
fn the_header_is_found_below_title_rows() {
    let dir = TempDir::new().expect("temp dir");
    let is_header = |cells: &[String]| cells.iter().any(|c| c == "Total");
    let csv = write_file(
        &dir,
        "anexo.csv",
        b"Pobreza multidimensional;;\nCenso 2018;;\n\nMunicipio;Total;\nMocoa;24,8;\n",
    );
    let table = read_table_with_header(&csv, is_header).expect("reads");
    assert_eq!(table.header_line(), 4);
    assert_eq!(lines_and_cells(&table), vec![(5, vec!["Mocoa", "24,8", ""])]);

    let xlsx = write_xlsx(
        &dir,
        "anexo.xlsx",
        &[(
            "IPM",
            &[
                &[Cell::Text("Pobreza multidimensional")],
                &[Cell::Blank],
                &[Cell::Text("Municipio"), Cell::Text("Total")],
                &[Cell::Text("Mocoa"), Cell::Number(24.8)],
            ],
        )],
    );
    let table = read_table_with_header(&xlsx, is_header).expect("reads");
    assert_eq!(table.header_line(), 3);
    assert_eq!(lines_and_cells(&table), vec![(4, vec!["Mocoa", "24.8"])]);
}

#[test]
fn the_header_search_skips_an_index_sheet_and_says_which_sheet() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_xlsx(
        &dir,
        "anexo.xlsx",
        &[
            ("Indice", &[&[Cell::Text("Contenido")]]),
            (
                "IPM",
                &[
                    &[Cell::Text("Municipio"), Cell::Text("Total")],
                    &[Cell::Text("Mocoa"), Cell::Number(24.8)],
                ],
            ),
        ],
    );
    let table = read_table_with_header(&path, |cells| cells.iter().any(|c| c == "Total")).expect("reads");
    assert_eq!(table.file(), "anexo.xlsx [IPM]");
    assert_eq!(lines_and_cells(&table), vec![(2, vec!["Mocoa", "24.8"])]);

    // Without a header search only the first sheet is read.
    let first = read_table(&path).expect("reads");
    assert_eq!(first.headers(), ["Contenido"]);
}

#[test]
fn no_header_in_the_first_30_rows_is_an_error() {
    let dir = TempDir::new().expect("temp dir");
    let mut contents = "nota\n".repeat(30);
    contents.push_str("Total\n1\n");
    let path = write_file(&dir, "notas.csv", contents.as_bytes());
    let error = read_table_with_header(&path, |cells| cells.iter().any(|c| c == "Total"))
        .expect_err("header too far down");
    assert!(matches!(error, TableError::NoHeader { .. }), "{error:?}");
    let message = error.message();
    assert_eq!(message.code(), "table-error-no_header");
    assert_eq!(message.arg("file"), Some(&Arg::Text("notas.csv".into())));
    assert_eq!(message.arg("rows"), Some(&Arg::Count(30)));
}

#[test]
fn a_missing_column_names_the_accepted_headers() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(&dir, "ipm.csv", b"dane_code\n05001\n");
    let table = read_table(&path).expect("reads");
    let error = table
        .require_column("ipm_total", &["ipm_total", "total", "ipm"])
        .expect_err("no total");
    let message = error.message();
    assert_eq!(message.code(), "table-error-missing_column");
    assert_eq!(message.arg("file"), Some(&Arg::Text("ipm.csv".into())));
    assert_eq!(message.arg("column"), Some(&Arg::Text("ipm_total".into())));
    assert_eq!(
        message.arg("accepted"),
        Some(&Arg::Text("ipm_total, total, ipm".into()))
    );
}

#[test]
fn row_errors_name_file_line_column_and_value() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "ipm.csv",
        b"dane_code,ipm_total\n05001,1\n05002,2\n\n05004,3\n05021,4\n86001,\"12,x\"\n",
    );
    let table = read_table(&path).expect("reads");
    assert_eq!(table.rows().len(), 5);
    let error = table.decimal(&table.rows()[4], 1).expect_err("not a number");
    assert_eq!(error.line, 7);
    assert_eq!(
        (
            error.file.as_str(),
            error.column.as_str(),
            error.value.as_str(),
            error.message.code()
        ),
        ("ipm.csv", "ipm_total", "12,x", "number-not_a_number")
    );
}

#[test]
fn an_unknown_extension_names_the_file_and_the_accepted_kinds() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(&dir, "ipm.txt", b"dane_code,ipm_total\n");
    let error = read_table(&path).expect_err("txt is not accepted");
    assert!(matches!(error, TableError::UnsupportedFormat { .. }));
    assert_eq!(error.message().code(), "table-error-unsupported_format");
    assert_eq!(error.message().arg("file"), Some(&Arg::Text("ipm.txt".into())));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = TempDir::new().expect("temp dir");
    let error = read_table(&dir.path().join("nada.xlsx")).expect_err("no file");
    assert!(matches!(error, TableError::Io { .. }), "{error:?}");
    assert_eq!(error.message().code(), "table-error-not_found");
    assert_eq!(error.message().arg("file"), Some(&Arg::Text("nada.xlsx".into())));
}

#[test]
fn a_windows_1252_csv_reads_like_its_utf8_twin() {
    let dir = TempDir::new().expect("temp dir");
    let text = "departamento;municipio;área ha;valor\nNariño;Peñol;1.234,5;€ 12,75\n\"Caquetá; sur\";Cartagena del Chairá;0,5;3\n";
    let utf8 = write_file(&dir, "excel-utf8.csv", format!("\u{feff}{text}").as_bytes());
    let (latin, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    let latin = write_file(&dir, "excel.csv", &latin);
    let twin = read_table(&utf8).expect("UTF-8 read");
    let table = read_table(&latin).expect("Windows-1252 read");
    assert_eq!(table.headers(), twin.headers());
    assert_eq!(table.rows(), twin.rows());
    assert_eq!(table.rows()[0].cells(), ["Nariño", "Peñol", "1.234,5", "€ 12,75"]);
    assert_eq!(
        table.decimal(&table.rows()[0], 2).expect("decimal comma"),
        Decimal::new(12345, 1)
    );
    assert_eq!(table.encoding(), Some(TextEncoding::Windows1252));
    assert_eq!(twin.encoding(), Some(TextEncoding::Utf8));
}

#[test]
fn text_that_is_not_utf8_after_a_utf8_start_points_at_its_line() {
    let dir = TempDir::new().expect("temp dir");
    // A megabyte and more of plain text, then "Nariño" in Windows-1252: the file was told
    // to be UTF-8 from its start, so the stray byte is an error at its line.
    let mut body = b"municipio,total\n".to_vec();
    for _ in 0..70_000 {
        body.extend_from_slice(b"Bogota,1234567890\n");
    }
    body.extend_from_slice(b"Nari\xF1o,2\n");
    let path = write_file(&dir, "viejo.csv", &body);
    let error = read_table(&path).expect_err("not UTF-8");
    let message = error.message();
    assert_eq!(message.code(), "table-error-not_utf8");
    assert_eq!(message.arg("file"), Some(&Arg::Text("viejo.csv".into())));
    assert_eq!(message.arg("line"), Some(&Arg::Count(70_002)));
}

#[test]
fn a_corrupt_spreadsheet_is_a_spreadsheet_error() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(&dir, "roto.xlsx", b"this is not a zip file");
    let error = read_table(&path).expect_err("corrupt");
    assert!(matches!(error, TableError::Spreadsheet { .. }), "{error:?}");
    assert_eq!(error.message().code(), "table-error-spreadsheet");
    assert_eq!(error.message().arg("file"), Some(&Arg::Text("roto.xlsx".into())));
}

#[test]
fn windows_line_endings_and_blank_lines_keep_physical_line_numbers() {
    let dir = TempDir::new().expect("temp dir");
    let path = write_file(
        &dir,
        "hogares.csv",
        b"\r\nname;notes\r\n\r\nAna;\"two\r\nlines\"\r\n\r\n\r\nLuis;x\r\n",
    );
    let table = read_table(&path).expect("reads");
    assert_eq!(table.header_line(), 2);
    assert_eq!(
        lines_and_cells(&table),
        vec![(4, vec!["Ana", "two\r\nlines"]), (8, vec!["Luis", "x"])]
    );
}
