//! Reading the institute's interventions by municipality (Art. 6.3), the third criterion of a
//! call's targeting: a table in CSV (UTF-8 or Windows-1252, comma or semicolon), XLSX, XLS or
//! ODS with a DANE code column and a count column, either order. All or nothing: every bad row
//! is reported, naming file, line (or sheet and cell), column and value.

use std::path::Path;

use vereda_domain::message::Message;
use vereda_domain::territory::DaneCode;
use vereda_domain::text::TextEncoding;

use crate::poverty::{CODE_ALIASES, FirstLines};
use crate::table::{BadRows, ReadLimits, RowsFileError, find_column, read_table_with_header_within};

pub const COUNT_ALIASES: &[&str] = &["interventions", "intervenciones", "numero de intervenciones"];

/// The interventions of a file, in file order, and the encoding of a CSV file (`None` for a
/// spreadsheet), which the import's confirmation names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterventionsFile {
    pub records: Vec<(DaneCode, u32)>,
    pub encoding: Option<TextEncoding>,
}

/// Reads and checks an interventions file: a municipality's code of the catalogue, a whole
/// count of zero or more, and each municipality once.
pub fn read_interventions_within(
    path: &Path,
    limits: &ReadLimits,
) -> Result<InterventionsFile, RowsFileError> {
    let has = |cells: &[String], aliases: &[&str]| find_column(cells, aliases).is_some();
    let table = read_table_with_header_within(
        path,
        |cells| has(cells, CODE_ALIASES) && has(cells, COUNT_ALIASES),
        limits,
    )?;
    let code_at = table.require_column("dane_code", CODE_ALIASES)?;
    let count_at = table.require_column("interventions", COUNT_ALIASES)?;
    let mut bad_rows = BadRows::default();
    let mut first_lines = FirstLines::default();
    let mut records = Vec::new();
    for row in table.rows() {
        let mut row_errors = Vec::new();
        let code = DaneCode::parse(row.cell(code_at))
            .map_err(|e| row_errors.push(table.row_error(row, code_at, e.message())))
            .ok();
        let count = row
            .cell(count_at)
            .parse::<u32>()
            .map_err(|_| row_errors.push(table.row_error(row, count_at, Message::new("row-error-not_whole"))))
            .ok();
        if let Some(code) = code {
            row_errors.extend(first_lines.repeated(&table, row, code_at, code));
        }
        if let (Some(code), Some(count), true) = (code, count, row_errors.is_empty()) {
            records.push((code, count));
        }
        bad_rows.add(row_errors);
    }
    let encoding = table.encoding();
    bad_rows.or(
        "row-error-interventions_summary",
        InterventionsFile { records, encoding },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableError;

    fn read(bytes: &[u8]) -> Result<InterventionsFile, RowsFileError> {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("intervenciones.csv");
        std::fs::write(&path, bytes).expect("write");
        read_interventions_within(&path, &ReadLimits::default())
    }

    fn code(text: &str) -> DaneCode {
        DaneCode::parse(text).expect("a code of the catalogue")
    }

    #[test]
    fn reads_interventions_in_either_order_and_encoding() {
        let good = read("\u{feff}dane_code;interventions\n18001;3\n\n18029;0\n".as_bytes()).expect("valid");
        assert_eq!(good.records, [(code("18001"), 3), (code("18029"), 0)]);
        assert_eq!(good.encoding, Some(TextEncoding::Utf8));
        // "Código DANE" and "Intervenciones" as Excel in Spanish saves them, in Windows-1252.
        let excel = read(b"Intervenciones;C\xf3digo DANE\n2;18001\n").expect("valid");
        assert_eq!(excel.records, [(code("18001"), 2)]);
        assert_eq!(excel.encoding, Some(TextEncoding::Windows1252));
    }

    #[test]
    fn every_bad_row_is_named_by_line_column_and_value_and_nothing_is_read() {
        let error =
            read(b"interventions,dane_code\n2,99999\nmany,18001\n1,18001\n4,18001\n").expect_err("bad rows");
        let messages = error.messages();
        assert_eq!(messages[0].code(), "row-error-interventions_summary");
        let RowsFileError::Rows {
            errors, error_count, ..
        } = &error
        else {
            panic!("row errors expected");
        };
        // Line 3's count is bad but its municipality is named: lines 4 and 5 repeat it.
        assert_eq!(*error_count, 4);
        let seen: Vec<(usize, &str, &str, &str)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_str(), e.value.as_str(), e.message.code()))
            .collect();
        assert_eq!(
            seen,
            [
                (2, "dane_code", "99999", "territory-error-unknown_municipality"),
                (3, "interventions", "many", "row-error-not_whole"),
                (4, "dane_code", "18001", "row-error-municipality_twice"),
                (5, "dane_code", "18001", "row-error-municipality_twice"),
            ]
        );
        let no_header = read(b"code,count\n18001,1\n").expect_err("no header");
        assert!(
            matches!(no_header, RowsFileError::Table(TableError::NoHeader { .. })),
            "{no_header:?}"
        );
    }
}
