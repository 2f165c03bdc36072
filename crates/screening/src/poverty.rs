//! Reading a municipal IPM (índice de pobreza multidimensional) file for import: the shipped
//! `dane_code,ipm_total,ipm_urban,ipm_rural` CSV, a Spanish semicolon export, or DANE's own
//! annex spreadsheet with its title rows.
//!
//! The import is all or nothing, so every bad row is reported at once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

use rust_decimal::Decimal;
use vereda_domain::message::Message;
use vereda_domain::territory::{DaneCode, PovertyIndex};

use crate::table::{
    BadRows, ReadLimits, Row, RowError, RowsFileError, Table, TableError, find_column,
    read_table_with_header_within, read_table_within,
};

pub const CODE_ALIASES: &[&str] = &[
    "dane_code",
    "codigo_municipio",
    "código municipio",
    "cod_mpio",
    "mpio_ccnct",
    "codigo dane",
    "divipola",
];
pub const DEPARTMENT_ALIASES: &[&str] = &[
    "codigo departamento",
    "código departamento",
    "cod_dpto",
    "dpto_ccdgo",
];
pub const TOTAL_ALIASES: &[&str] = &["ipm_total", "total", "ipm"];
pub const URBAN_ALIASES: &[&str] = &["ipm_urban", "cabeceras", "cabecera", "urbano"];
pub const RURAL_ALIASES: &[&str] = &[
    "ipm_rural",
    "centros poblados y rural disperso",
    "rural",
    "centros poblados y rural disperso (rural)",
];

pub use crate::table::MAX_REPORTED_ROW_ERRORS;

/// How DANE marks a value it does not publish (besides an empty cell).
const MISSING_MARKERS: &[&str] = &["-", "–", "—", "nd", "n.d.", "n/d"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PovertyFile {
    /// In file order.
    pub records: Vec<(DaneCode, PovertyIndex)>,
}

/// Why an IPM file was refused.
pub type PovertyFileError = RowsFileError;

/// Reads and checks a municipal IPM file (CSV, XLSX, XLS or ODS). Nothing is returned unless
/// every row is valid.
pub fn read_poverty_file(path: &Path) -> Result<PovertyFile, PovertyFileError> {
    read_poverty_file_within(path, &ReadLimits::default())
}

/// Like [`read_poverty_file`], within `limits`.
pub fn read_poverty_file_within(path: &Path, limits: &ReadLimits) -> Result<PovertyFile, PovertyFileError> {
    let table = read_poverty_table(path, limits)?;
    let columns = Columns::locate(&table)?;

    let mut bad_rows = BadRows::default();
    let mut first_lines = FirstLines::default();
    let mut records = Vec::new();

    for row in table.rows() {
        // DANE closes its tables with "Total nacional", department totals and source notes in
        // the code column. A code cell without a single digit cannot name a municipality, so
        // the row is skipped; one with digits is a code, possibly mistyped, and must be
        // reported rather than silently dropped.
        if !row.cell(columns.code).bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let mut row_errors = Vec::new();
        let code = columns
            .dane_code(&table, row)
            .map_err(|e| row_errors.push(e))
            .ok();
        if let Some(code) = code {
            row_errors.extend(first_lines.repeated(&table, row, columns.code, code));
        }
        let total = required_percentage(&table, row, columns.total).map_err(|e| row_errors.push(e));
        let urban = optional_percentage(&table, row, columns.urban).map_err(|e| row_errors.push(e));
        let rural = optional_percentage(&table, row, columns.rural).map_err(|e| row_errors.push(e));
        if let (Some(code), Ok(total), Ok(urban), Ok(rural)) = (code, total, urban, rural) {
            match PovertyIndex::new(total, urban, rural) {
                Ok(index) if row_errors.is_empty() => records.push((code, index)),
                Ok(_) => {}
                Err(message) => {
                    let column = columns.first_out_of_range([
                        (Some(columns.total), Some(total)),
                        (columns.urban, urban),
                        (columns.rural, rural),
                    ]);
                    row_errors.push(table.row_error(row, column, message));
                }
            }
        }
        bad_rows.add(row_errors);
    }

    bad_rows.or("row-error-ipm_summary", PovertyFile { records })
}

/// The line each municipality of a file was first seen on: a file names each once.
#[derive(Debug, Default)]
pub(crate) struct FirstLines(HashMap<DaneCode, usize>);

impl FirstLines {
    /// The error of a row that names `code` again (`row-error-municipality_twice`, both
    /// lines), or none the first time.
    pub(crate) fn repeated(
        &mut self,
        table: &Table,
        row: &Row,
        column: usize,
        code: DaneCode,
    ) -> Option<RowError> {
        match self.0.entry(code) {
            Entry::Occupied(first) => Some(
                table.row_error(
                    row,
                    column,
                    Message::new("row-error-municipality_twice")
                        .with("code", code.as_str())
                        .with("name", code.municipality().name.as_str())
                        .with("first", *first.get())
                        .with("line", row.line()),
                ),
            ),
            Entry::Vacant(slot) => {
                slot.insert(row.line());
                None
            }
        }
    }
}

/// The header is the first row naming both a code and a total column. When there is none, the
/// file is read again to say which column is missing rather than just "no header".
fn read_poverty_table(path: &Path, limits: &ReadLimits) -> Result<Table, TableError> {
    let has = |cells: &[String], aliases: &[&str]| find_column(cells, aliases).is_some();
    match read_table_with_header_within(
        path,
        |cells| has(cells, CODE_ALIASES) && has(cells, TOTAL_ALIASES),
        limits,
    ) {
        Err(TableError::NoHeader { .. }) => {}
        result => return result,
    }
    match read_table_with_header_within(
        path,
        |cells| has(cells, CODE_ALIASES) || has(cells, TOTAL_ALIASES),
        limits,
    ) {
        Err(TableError::NoHeader { .. }) => read_table_within(path, limits),
        result => result,
    }
}

struct Columns {
    code: usize,
    department: Option<usize>,
    total: usize,
    urban: Option<usize>,
    rural: Option<usize>,
}

impl Columns {
    fn locate(table: &Table) -> Result<Self, TableError> {
        Ok(Self {
            code: table.require_column("dane_code", CODE_ALIASES)?,
            department: table.column(DEPARTMENT_ALIASES),
            total: table.require_column("ipm_total", TOTAL_ALIASES)?,
            urban: table.column(URBAN_ALIASES),
            rural: table.column(RURAL_ALIASES),
        })
    }

    /// Some DANE files split the code into department (2 digits) and municipality (3 digits)
    /// columns, and spreadsheets drop their leading zeros.
    fn dane_code(&self, table: &Table, row: &Row) -> Result<DaneCode, RowError> {
        let code_text = row.cell(self.code);
        let is_digits = |text: &str, max: usize| {
            !text.is_empty() && text.len() <= max && text.bytes().all(|b| b.is_ascii_digit())
        };
        let combined;
        let text = match self.department {
            Some(department) if is_digits(code_text, 3) => {
                let department_text = row.cell(department);
                if !is_digits(department_text, 2) {
                    return Err(table.row_error(row, department, Message::new("row-error-department_code")));
                }
                combined = format!("{department_text:0>2}{code_text:0>3}");
                combined.as_str()
            }
            _ => code_text,
        };
        DaneCode::parse(text).map_err(|e| table.row_error(row, self.code, e.message()))
    }

    /// The column to blame for [`PovertyIndex::new`]'s error, checked in its order.
    fn first_out_of_range(&self, values: [(Option<usize>, Option<Decimal>); 3]) -> usize {
        values
            .into_iter()
            .find_map(|(column, value)| {
                value
                    .filter(|v| !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(v))
                    .and(column)
            })
            .unwrap_or(self.total)
    }
}

fn is_missing(text: &str) -> bool {
    text.is_empty() || MISSING_MARKERS.contains(&text.to_lowercase().as_str())
}

fn required_percentage(table: &Table, row: &Row, column: usize) -> Result<Decimal, RowError> {
    if is_missing(row.cell(column)) {
        return Err(table.row_error(row, column, Message::new("row-error-ipm_total_required")));
    }
    table.decimal(row, column)
}

fn optional_percentage(table: &Table, row: &Row, column: Option<usize>) -> Result<Option<Decimal>, RowError> {
    match column {
        Some(column) if !is_missing(row.cell(column)) => table.decimal(row, column).map(Some),
        _ => Ok(None),
    }
}
