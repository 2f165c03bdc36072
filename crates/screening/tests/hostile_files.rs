//! Hostile files: an archive that expands far beyond what it weighs (a "zip bomb") is refused
//! by measuring it, before any reader loads it into memory; a sheet that declares or holds
//! more cells than the limit, a CSV line of 10 MB and more text than an import may hold are
//! refused with a located error, and memory stays bounded.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use jiff::civil::date;
use vereda_domain::eligibility::{CallLimits, Screener};
use vereda_domain::message::{Arg, Message};
use vereda_domain::rules::RuleBook;
use vereda_screening::records::CsvSource;
use vereda_screening::screening::{self, RegistryFile, ScreeningError, ScreeningJob};
use vereda_screening::synthetic::{REGISTRY_KINDS, SyntheticOptions, write_synthetic_registry};
use vereda_screening::table::{
    CsvProblem, ReadLimits, SPREADSHEET_MAX_UNZIPPED_BYTES, TableError, check_archive, read_table,
    read_table_within,
};

/// An XLSX-named archive whose one sheet is `expanded` bytes of the same character.
fn bomb(dir: &Path, expanded: u64) -> PathBuf {
    let path = dir.join("registro.xlsx");
    let file = std::fs::File::create(&path).expect("file");
    let mut archive = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    archive
        .start_file("xl/worksheets/sheet1.xml", options)
        .expect("entry");
    let chunk = vec![b'A'; 1 << 20];
    let mut left = expanded;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        archive.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    archive.finish().expect("archive");
    path
}

/// The error of a read expected to fail, without printing a table of megabytes otherwise.
fn refused(read: Result<vereda_screening::table::Table, TableError>) -> TableError {
    match read {
        Ok(table) => panic!("read {} rows", table.rows().len()),
        Err(error) => error,
    }
}

fn text(value: &str) -> Option<Arg> {
    Some(Arg::Text(value.to_owned()))
}

fn count(value: i64) -> Option<Arg> {
    Some(Arg::Count(value))
}

/// The peak memory of this process so far, in MiB (Linux; `None` elsewhere). Each test runs
/// in its own process under nextest, so the peak is the test's.
fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[test]
fn a_spreadsheet_that_expands_beyond_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    let path = bomb(dir.path(), SPREADSHEET_MAX_UNZIPPED_BYTES + (64 << 20));
    let weight = std::fs::metadata(&path).expect("metadata").len();
    assert!(weight < 2 << 20, "a bomb weighs little: {weight}");
    let error = refused(read_table(&path));
    assert!(
        matches!(&error, TableError::ArchiveTooLarge { file, .. } if file == "registro.xlsx"),
        "{error:?}"
    );
    let message = error.message();
    assert_eq!(message.code(), "table-error-archive_too_large");
    assert_eq!(message.arg("file"), text("registro.xlsx").as_ref());
    assert_eq!(message.arg("limit"), count(300).as_ref());
}

#[test]
fn an_archive_within_the_limit_goes_on_to_the_reader() {
    let dir = tempfile::tempdir().expect("dir");
    let path = bomb(dir.path(), 1 << 20);
    let mut file = std::fs::File::open(&path).expect("open");
    assert!(check_archive(&mut file, "registro.xlsx").is_ok());
    // Not a real workbook: the reader, not the measure, refuses it.
    let error = refused(read_table(&path));
    assert!(matches!(error, TableError::Spreadsheet { .. }), "{error:?}");
    assert_eq!(error.message().code(), "table-error-spreadsheet");
}

/// A real workbook written by rust_xlsxwriter, with its first sheet's XML replaced by `sheet`.
fn workbook_with_sheet(dir: &Path, name: &str, sheet: &str) -> PathBuf {
    let template = dir.join("plantilla.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.add_worksheet().write_string(0, 0, "id").expect("cell");
    workbook.save(&template).expect("save");
    let mut source = zip::ZipArchive::new(std::fs::File::open(&template).expect("open")).expect("zip");
    let path = dir.join(name);
    let mut target = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for index in 0..source.len() {
        let mut entry = source.by_index(index).expect("entry");
        let entry_name = entry.name().expect("entry name").to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        if entry_name == "xl/worksheets/sheet1.xml" {
            bytes = sheet.as_bytes().to_vec();
        }
        target.start_file(entry_name, options).expect("start");
        target.write_all(&bytes).expect("write");
    }
    target.finish().expect("finish");
    path
}

fn sheet_xml(dimension: &str, rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
    )
}

fn inline(cell: &str, value: &str) -> String {
    format!(r#"<c r="{cell}" t="inlineStr"><is><t>{value}</t></is></c>"#)
}

#[test]
fn a_sheet_declaring_more_cells_than_the_limit_is_refused_before_its_cells_are_read() {
    let dir = tempfile::tempdir().expect("dir");
    let rows = format!(r#"<row r="1">{}</row>"#, inline("A1", "id"));
    // The whole grid: 17 thousand million cells.
    let path = workbook_with_sheet(dir.path(), "grande.xlsx", &sheet_xml("A1:XFD1048576", &rows));
    let error = refused(read_table(&path));
    let message = error.message();
    assert_eq!(message.code(), "table-error-too_many_cells", "{error:?}");
    assert_eq!(message.arg("file"), text("grande.xlsx").as_ref());
    assert_eq!(message.arg("cells"), count(16_384 * 1_048_576).as_ref());
    assert_eq!(message.arg("limit"), count(10_000_000).as_ref());
}

#[test]
fn a_sheet_holding_more_cells_than_the_limit_is_refused_whatever_it_declares() {
    let dir = tempfile::tempdir().expect("dir");
    // A few dozen kilobytes of XML whose rows reach the last column: 700 rows of 16,384
    // cells are 11.5 million cells, more than the default limit, though it declares 4.
    let rows: String = (1..=700)
        .map(|r| {
            format!(
                r#"<row r="{r}">{}{}</row>"#,
                inline(&format!("A{r}"), "x"),
                inline(&format!("XFD{r}"), "y")
            )
        })
        .collect();
    let path = workbook_with_sheet(dir.path(), "ancha.xlsx", &sheet_xml("A1:B2", &rows));
    let weight = std::fs::metadata(&path).expect("metadata").len();
    assert!(weight < 64 << 10, "{weight}");
    let error = refused(read_table(&path));
    assert_eq!(error.message().code(), "table-error-too_many_cells", "{error:?}");
    assert_eq!(error.message().arg("file"), text("ancha.xlsx").as_ref());
    assert_eq!(error.message().arg("limit"), count(10_000_000).as_ref());
    if let Some(peak) = peak_memory_mib() {
        // Refused at the limit: at most the limit's cells were held.
        assert!(peak < 1024, "peak memory {peak} MiB");
    }

    // Within a limit of 100 cells, one such row is already too many.
    let limits = ReadLimits {
        max_cells: 100,
        ..ReadLimits::default()
    };
    let error = refused(read_table_within(&path, &limits));
    assert!(
        matches!(error, TableError::TooManyCells { limit: 100, .. }),
        "{error:?}"
    );
}

#[test]
fn a_workbook_within_the_limits_reads_as_before() {
    let dir = tempfile::tempdir().expect("dir");
    let rows = format!(
        r#"<row r="2">{}{}</row><row r="3">{}{}</row>"#,
        inline("B2", "id"),
        inline("C2", "nombre"),
        inline("B3", "7"),
        inline("C3", "Ana")
    );
    let path = workbook_with_sheet(dir.path(), "hogares.xlsx", &sheet_xml("B2:C3", &rows));
    let table = read_table(&path).expect("reads");
    assert_eq!(table.header_line(), 2);
    assert_eq!(table.headers(), ["id", "nombre"]);
    assert_eq!(table.rows().len(), 1);
    assert_eq!(table.rows()[0].line(), 3);
    assert_eq!(table.rows()[0].cells(), ["7", "Ana"]);
}

const TEN_MB: usize = 10 << 20;

/// A household CSV whose third line is 10 MB: one cell, or many.
fn csv_with_long_line(dir: &Path, name: &str, many_cells: bool) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    file.write_all(b"household_id,document\n1,100\n").expect("write");
    if many_cells {
        let cells = TEN_MB / 2;
        file.write_all(b"2").expect("write");
        for _ in 0..cells {
            file.write_all(b",x").expect("write");
        }
    } else {
        file.write_all(b"2,").expect("write");
        file.write_all(&vec![b'9'; TEN_MB]).expect("write");
    }
    file.write_all(b"\n3,300\n").expect("write");
    file.flush().expect("flush");
    path
}

fn assert_line_too_long(error: &TableError, file: &str, line: usize) {
    assert!(
        matches!(
            error,
            TableError::Csv { file: f, line: l, problem: CsvProblem::LineTooLong { limit } }
                if f == file && *l == line && *limit == 1 << 20
        ),
        "{error:?}"
    );
    let message: Message = error.message();
    assert_eq!(message.code(), "table-error-line_too_long");
    assert_eq!(message.arg("file"), text(file).as_ref());
    assert_eq!(message.arg("line"), count(line as i64).as_ref());
    // In KiB: 1 MiB.
    assert_eq!(message.arg("limit"), count(1024).as_ref());
}

#[test]
fn a_csv_line_of_10_mb_is_a_located_error_with_memory_bounded() {
    let dir = tempfile::tempdir().expect("dir");
    for (name, many_cells) in [("una_celda.csv", false), ("muchas_celdas.csv", true)] {
        let path = csv_with_long_line(dir.path(), name, many_cells);
        let error = refused(read_table(&path));
        assert_line_too_long(&error, name, 3);
    }
    if let Some(peak) = peak_memory_mib() {
        // The reader stops at 1 MiB of the line; the file itself is never held.
        assert!(peak < 200, "peak memory {peak} MiB");
    }
}

#[test]
fn a_csv_line_of_10_mb_reads_within_raised_limits() {
    let dir = tempfile::tempdir().expect("dir");
    let path = csv_with_long_line(dir.path(), "una_celda.csv", false);
    let limits = ReadLimits {
        max_line_bytes: 16 << 20,
        ..ReadLimits::default()
    };
    let table = read_table_within(&path, &limits).expect("reads");
    assert_eq!(table.rows().len(), 3);
    assert_eq!(table.rows()[1].line(), 3);
    assert_eq!(table.rows()[1].cell(1).len(), TEN_MB);
    assert_eq!(table.rows()[2].line(), 4);
}

#[test]
fn a_first_line_of_10_mb_is_refused_before_the_header_is_found() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("sin_fin.csv");
    std::fs::write(&path, vec![b'a'; TEN_MB]).expect("write");
    let error = refused(read_table(&path));
    assert_line_too_long(&error, "sin_fin.csv", 1);
}

#[test]
fn a_record_of_many_short_lines_counts_as_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("comillas.csv");
    let mut contents = b"id,nota\n1,\"".to_vec();
    for _ in 0..60_000 {
        contents.extend_from_slice(b"una linea de la nota\n");
    }
    contents.extend_from_slice(b"\"\n");
    std::fs::write(&path, contents).expect("write");
    let error = refused(read_table(&path));
    assert_line_too_long(&error, "comillas.csv", 2);
}

#[test]
fn more_text_than_an_import_may_hold_is_refused_at_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ipm.csv");
    let mut contents = String::from("dane_code,ipm_total\n");
    for _ in 0..100 {
        contents.push_str("05001,12.5\n");
    }
    std::fs::write(&path, contents).expect("write");
    let limits = ReadLimits {
        max_text_bytes: 500,
        ..ReadLimits::default()
    };
    let error = refused(read_table_within(&path, &limits));
    // 18 bytes of header cells, then 9 a row: the 54th data row, on line 55, passes 500.
    assert!(
        matches!(
            &error,
            TableError::TooMuchText {
                line: 55,
                limit: 500,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.message();
    assert_eq!(message.code(), "table-error-too_much_text");
    assert_eq!(message.arg("line"), count(55).as_ref());
    assert_eq!(message.arg("limit"), count(1).as_ref());
}

#[test]
fn the_screening_reader_refuses_a_household_line_of_10_mb() {
    let dir = tempfile::tempdir().expect("dir");
    for (name, many_cells) in [("hogares.csv", false), ("hogares_celdas.csv", true)] {
        let path = csv_with_long_line(dir.path(), name, many_cells);
        let mut source = CsvSource::open(&path, name, 1 << 20).expect("open");
        let error = loop {
            match source.next_chunk() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("read to the end"),
                Err(error) => break error,
            }
        };
        assert_line_too_long(&error, name, 3);
    }
    if let Some(peak) = peak_memory_mib() {
        // A chunk of 4 MiB and what it waits for, never the whole line.
        assert!(peak < 200, "peak memory {peak} MiB");
    }
}

#[test]
fn the_screening_stops_at_a_household_line_of_10_mb() {
    let dir = tempfile::tempdir().expect("dir");
    let written = write_synthetic_registry(
        &SyntheticOptions {
            households: 20,
            seed: 7,
        },
        dir.path(),
    )
    .expect("synthetic registry");
    // Line 3 of the households becomes a household whose name is 10 MB long.
    let households = &written.files[0];
    let text = std::fs::read_to_string(households).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2].push_str(&"9".repeat(TEN_MB));
    std::fs::write(households, lines.join("\n") + "\n").expect("write");

    let book = RuleBook::shipped().expect("rule sets");
    let screener = Screener::new(
        book.in_force_on(date(2013, 6, 1)).expect("in force"),
        date(2013, 6, 1),
        CallLimits::default(),
    );
    let registries = REGISTRY_KINDS
        .iter()
        .zip(&written.files[1..])
        .map(|(name, path)| RegistryFile {
            name: (*name).to_owned(),
            path: path.clone(),
        })
        .collect();
    let job = ScreeningJob {
        households: households.clone(),
        registries,
        screener: &screener,
        keep_going: true,
        explain: None,
        keep_facts: false,
        read_limits: ReadLimits::default(),
    };
    let error = screening::screen(&job, &|_| {}).err().expect("refused");
    let ScreeningError::Table(table) = &error else {
        panic!("{error:?}");
    };
    assert_line_too_long(table, "households.csv", 3);
    assert_eq!(error.message().code(), "table-error-line_too_long");
}
