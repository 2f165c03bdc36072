//! Reading a bank statement of a project's controlled account (Art. 29 par.) for import: the
//! columns a Colombian bank's export uses (fecha, descripción, referencia, débito, crédito,
//! saldo), in CSV, XLSX, XLS or ODS, with title rows above the header allowed.
//!
//! The import is all or nothing: every bad row is reported, naming file, line, column and
//! value, and nothing is returned if one is bad.

use std::path::Path;

use jiff::civil::Date;
use rust_decimal::Decimal;
use vereda_domain::message::Message;
use vereda_domain::text::TextEncoding;

use crate::table::{
    BadRows, ReadLimits, Row, RowError, RowsFileError, Table, find_column, read_table_with_header_within,
};

pub const DATE_ALIASES: &[&str] = &["fecha", "fecha movimiento", "fecha transaccion", "date"];
pub const DESCRIPTION_ALIASES: &[&str] = &["descripcion", "concepto", "detalle", "description"];
pub const REFERENCE_ALIASES: &[&str] = &["referencia", "ref", "documento", "numero documento", "reference"];
pub const DEBIT_ALIASES: &[&str] = &["debito", "debitos", "cargo", "retiro", "debit"];
pub const CREDIT_ALIASES: &[&str] = &["credito", "creditos", "abono", "consignacion", "credit"];
pub const BALANCE_ALIASES: &[&str] = &["saldo", "saldo final", "balance"];

/// One movement of the statement, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    pub line: usize,
    pub date: Date,
    pub description: String,
    pub reference: String,
    pub debit: Decimal,
    pub credit: Decimal,
    pub balance: Option<Decimal>,
}

/// A statement read whole: its movements, and the encoding of a CSV file (`None` for a
/// spreadsheet), which the import's confirmation names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFile {
    pub rows: Vec<StatementRow>,
    pub encoding: Option<TextEncoding>,
}

/// Why a statement was refused.
pub type StatementFileError = RowsFileError;

/// A statement's date: `AAAA-MM-DD` or the Colombian `DD/MM/AAAA` (also with `-` or `.`).
pub fn read_statement_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if let Ok(date) = text.parse::<Date>() {
        return Some(date);
    }
    // A spreadsheet's date cell reads as `2013-11-06 00:00:00` or `2013-11-06T00:00:00`.
    if let Some(day) = text.get(..10)
        && let Ok(date) = day.parse::<Date>()
    {
        return Some(date);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [day, month, year] if year.len() == 4 => {
            jiff::civil::Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
        }
        _ => None,
    }
}

/// Reads and checks a statement: every row needs a date and exactly one of a debit and a
/// credit, positive; the balance is optional.
pub fn read_statement_within(path: &Path, limits: &ReadLimits) -> Result<StatementFile, StatementFileError> {
    let has = |cells: &[String], aliases: &[&str]| find_column(cells, aliases).is_some();
    let table = read_table_with_header_within(
        path,
        |cells| has(cells, DATE_ALIASES) && (has(cells, DEBIT_ALIASES) || has(cells, CREDIT_ALIASES)),
        limits,
    )?;
    let date = table.require_column("fecha", DATE_ALIASES)?;
    let debit = table.require_column("débito", DEBIT_ALIASES)?;
    let credit = table.require_column("crédito", CREDIT_ALIASES)?;
    let description = table.column(DESCRIPTION_ALIASES);
    let reference = table.column(REFERENCE_ALIASES);
    let balance = table.column(BALANCE_ALIASES);

    let mut bad_rows = BadRows::default();
    let mut rows = Vec::new();
    for row in table.rows() {
        let mut row_errors = Vec::new();
        let day = read_statement_date(row.cell(date));
        if day.is_none() {
            row_errors.push(table.row_error(row, date, Message::new("row-error-statement_date")));
        }
        let debit_value = amount(&table, row, debit).map_err(|e| row_errors.push(e)).ok();
        let credit_value = amount(&table, row, credit).map_err(|e| row_errors.push(e)).ok();
        let balance_value = match balance {
            Some(column) if !row.cell(column).is_empty() => {
                table.decimal(row, column).map_err(|e| row_errors.push(e)).ok()
            }
            _ => None,
        };
        if let (Some(d), Some(c)) = (debit_value, credit_value)
            && (d > Decimal::ZERO) == (c > Decimal::ZERO)
        {
            row_errors.push(table.row_error(row, debit, Message::new("row-error-debit_credit")));
        }
        match (day, debit_value, credit_value) {
            (Some(day), Some(d), Some(c)) if row_errors.is_empty() => rows.push(StatementRow {
                line: row.line(),
                date: day,
                description: description.map(|c| row.cell(c).to_owned()).unwrap_or_default(),
                reference: reference.map(|c| row.cell(c).to_owned()).unwrap_or_default(),
                debit: d,
                credit: c,
                balance: balance_value,
            }),
            _ => {}
        }
        bad_rows.add(row_errors);
    }
    let encoding = table.encoding();
    bad_rows.or("row-error-statement_summary", StatementFile { rows, encoding })
}

/// A debit or credit cell: empty is 0; a negative amount is refused.
fn amount(table: &Table, row: &Row, column: usize) -> Result<Decimal, RowError> {
    if row.cell(column).is_empty() {
        return Ok(Decimal::ZERO);
    }
    let value = table.decimal(row, column)?;
    if value < Decimal::ZERO {
        return Err(table.row_error(row, column, Message::new("row-error-debit_credit")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<StatementRow>, StatementFileError> {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("extracto.csv");
        std::fs::write(&path, text).expect("write");
        read_statement_within(&path, &ReadLimits::default()).map(|file| file.rows)
    }

    #[test]
    fn a_statement_saved_by_excel_in_spanish_is_read_and_its_encoding_named() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("extracto.csv");
        // "Débito", "Crédito" and "Consignación" in Windows-1252, as Excel in Spanish saves.
        let bytes = b"Fecha;Descripci\xf3n;D\xe9bito;Cr\xe9dito\n06/11/2013;Consignaci\xf3n;;120.000,00\n";
        std::fs::write(&path, bytes).expect("write");
        let file = read_statement_within(&path, &ReadLimits::default()).expect("read");
        assert_eq!(file.encoding, Some(TextEncoding::Windows1252));
        assert_eq!(file.rows[0].description, "Consignación");
        assert_eq!(file.rows[0].credit, Decimal::new(120_000, 0));
        std::fs::write(&path, "Fecha;Débito;Crédito\n2013-11-06;5;\n").expect("write");
        let file = read_statement_within(&path, &ReadLimits::default()).expect("read");
        assert_eq!(file.encoding, Some(TextEncoding::Utf8));
    }

    #[test]
    fn a_banks_export_reads_with_its_title_rows() {
        let rows = read(
            "Banco Agrario de Colombia;;;;;\nCuenta 123-45;;;;;\nFecha;Descripción;Referencia;Débito;Crédito;Saldo\n\
             06/11/2013;Abono desembolso;;;120.000.000,00;120.000.000,00\n\
             2013-11-21;Pago proveedor;FV-7;6.500.000;;113.500.000\n",
        )
        .expect("read");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 4);
        assert_eq!(rows[0].date, jiff::civil::date(2013, 11, 6));
        assert_eq!(rows[0].credit, Decimal::new(120_000_000, 0));
        assert_eq!(
            (rows[1].reference.as_str(), rows[1].debit),
            ("FV-7", Decimal::new(6_500_000, 0))
        );
        assert_eq!(rows[1].balance, Some(Decimal::new(113_500_000, 0)));
    }

    #[test]
    fn a_bad_row_names_file_line_column_and_value_and_nothing_is_read() {
        let error = read("fecha,descripcion,referencia,debito,credito,saldo\n2013-11-06,a,,,100,100\n31/02/2013,b,,5,,95\n2013-11-08,c,,5,5,90\n")
            .expect_err("bad rows");
        let StatementFileError::Rows {
            errors, error_count, ..
        } = error
        else {
            panic!("rows expected")
        };
        assert_eq!(error_count, 2);
        assert_eq!(
            (
                errors[0].file.as_str(),
                errors[0].line,
                errors[0].column.as_str(),
                errors[0].value.as_str()
            ),
            ("extracto.csv", 3, "fecha", "31/02/2013")
        );
        assert_eq!(errors[0].message.code(), "row-error-statement_date");
        assert_eq!((errors[1].line, errors[1].column.as_str()), (4, "debito"));
        assert_eq!(errors[1].message.code(), "row-error-debit_credit");
    }
}
