//! A tabular reader for the files people upload: CSV (comma or semicolon, as Colombian Excel
//! exports use `;`) and spreadsheets (XLSX, XLS, ODS).
//!
//! Every cell comes out as trimmed text and every row keeps its line number in the source
//! file, so the parsers built on top can point at the exact line, column and value at fault.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use calamine::{Data, ExcelDateTime, Ods, Reader, Xls, Xlsx};
use rust_decimal::Decimal;
use vereda_domain::message::Message;
use vereda_domain::number::read_data_number;
use vereda_domain::text::fold_for_search;

/// How many non-empty rows are searched for the header: official DANE spreadsheets put a
/// handful of title and note rows above it, never dozens.
pub const HEADER_SEARCH_ROWS: usize = 30;

const ACCEPTED_KINDS: &str = ".csv, .xlsx, .xls or .ods";

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: cannot read the file: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}, line {line}: {message}")]
    Csv {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: cannot read the spreadsheet: {message}")]
    Spreadsheet { file: String, message: String },
    #[error("{file}: unsupported file type; use a {ACCEPTED_KINDS} file")]
    UnsupportedFormat { file: String },
    #[error(
        "{file}: missing column {column} (accepted headers: {})",
        aliases.join(", ")
    )]
    MissingColumn {
        file: String,
        column: String,
        aliases: Vec<String>,
    },
    #[error("{file}: no header row found in the first {HEADER_SEARCH_ROWS} non-empty rows")]
    NoHeader { file: String },
}

/// A problem with one cell, found by a parser built on a [`Table`]: where it is, what the
/// cell holds, and what is wrong as a typed message (code and arguments) that presenters
/// put in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RowError {
    pub file: String,
    /// 1-based line in the source file (the sheet row number for spreadsheets).
    pub line: usize,
    /// The column's header as written in the file, so the person can find it.
    pub column: String,
    pub value: String,
    /// Boxed: errors travel in `Result`s, which stay small.
    pub message: Box<Message>,
}

impl RowError {
    /// The whole error as one message: file, line, column, value and what is wrong.
    pub fn located(&self) -> Message {
        Message::new("row-error-at")
            .with("file", &self.file)
            .with("line", self.line)
            .with("column", &self.column)
            .with("value", &self.value)
            .with(
                "problem",
                vereda_domain::message::Arg::List(vec![(*self.message).clone()]),
            )
    }
}

impl fmt::Display for RowError {
    /// For logs: the place, the value and the message's code and arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}, column {}, value {:?}: {}",
            self.file, self.line, self.column, self.value, self.message
        )
    }
}

/// One data row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    line: usize,
    cells: Vec<String>,
}

impl Row {
    /// 1-based line in the source file (the sheet row number for spreadsheets).
    pub fn line(&self) -> usize {
        self.line
    }

    pub fn cells(&self) -> &[String] {
        &self.cells
    }

    /// The trimmed cell, or `""` when the row is shorter than the header.
    pub fn cell(&self, column: usize) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }
}

/// A file read as a header and data rows of trimmed text. Blank rows are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    file: String,
    header_line: usize,
    headers: Vec<String>,
    rows: Vec<Row>,
}

impl Table {
    /// The file name used in messages (with the sheet when it is not the workbook's first).
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn header_line(&self) -> usize {
        self.header_line
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The first column whose header matches one of `aliases` (see [`find_column`]).
    pub fn column(&self, aliases: &[&str]) -> Option<usize> {
        find_column(&self.headers, aliases)
    }

    /// Like [`Table::column`], but a missing column is an error naming `canonical` and the
    /// accepted headers.
    pub fn require_column(&self, canonical: &str, aliases: &[&str]) -> Result<usize, TableError> {
        self.column(aliases).ok_or_else(|| TableError::MissingColumn {
            file: self.file.clone(),
            column: canonical.to_owned(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        })
    }

    /// The header of `column` as written in the file, or its position when it has none.
    pub fn column_name(&self, column: usize) -> String {
        match self.headers.get(column) {
            Some(header) if !header.is_empty() => header.clone(),
            _ => format!("#{}", column + 1),
        }
    }

    /// An error about the cell of `row` in `column`.
    pub fn row_error(&self, row: &Row, column: usize, message: Message) -> RowError {
        RowError {
            file: self.file.clone(),
            line: row.line,
            column: self.column_name(column),
            value: row.cell(column).to_owned(),
            message: Box::new(message),
        }
    }

    /// The cell as a number, accepting `12.5`, the Colombian `12,5` and grouped thousands
    /// (see [`read_data_number`]).
    pub fn decimal(&self, row: &Row, column: usize) -> Result<Decimal, RowError> {
        read_data_number(row.cell(column)).map_err(|p| self.row_error(row, column, p.message()))
    }
}

/// Reads a CSV, XLSX, XLS or ODS file (by extension, in any case); the header is the first
/// non-empty row, and spreadsheets are read from their first sheet.
pub fn read_table(path: &Path) -> Result<Table, TableError> {
    read(path, SheetChoice::First, &|_| true)
}

/// Like [`read_table`], but the header is the first row, among the first
/// [`HEADER_SEARCH_ROWS`] non-empty ones, for which `is_header` holds; the rows above it
/// (titles, notes) are dropped. In a workbook the first sheet that has such a row is used,
/// because official annexes often open with an index sheet.
pub fn read_table_with_header(
    path: &Path,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, TableError> {
    read(path, SheetChoice::FirstWithHeader, &is_header)
}

/// Compares headers the way people write them: without accents or case, and with spaces,
/// underscores, hyphens and dots alike, so `Código Municipio` and `CODIGO_MUNICIPIO` are the
/// same column.
pub fn normalize_header(text: &str) -> String {
    let folded = fold_for_search(text);
    let mut normalized = String::with_capacity(folded.len());
    let mut separator_pending = false;
    for c in folded.chars() {
        if c.is_whitespace() || matches!(c, '_' | '-' | '.') {
            separator_pending = !normalized.is_empty();
        } else {
            if separator_pending {
                normalized.push(' ');
                separator_pending = false;
            }
            normalized.push(c);
        }
    }
    normalized
}

/// The first header matching an alias; aliases earlier in the list win, so the most specific
/// name can be listed first.
pub fn find_column(headers: &[String], aliases: &[&str]) -> Option<usize> {
    let headers: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    aliases.iter().find_map(|alias| {
        let alias = normalize_header(alias);
        headers.iter().position(|h| *h == alias)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SheetChoice {
    First,
    FirstWithHeader,
}

type IsHeader<'a> = &'a dyn Fn(&[String]) -> bool;

fn read(path: &Path, sheets: SheetChoice, is_header: IsHeader<'_>) -> Result<Table, TableError> {
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .and_then(|e| match e.as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            _ => None,
        })
        .ok_or_else(|| TableError::UnsupportedFormat {
            file: file_name.clone(),
        })?;
    let mut file = File::open(path).map_err(|source| TableError::Io {
        file: file_name.clone(),
        source,
    })?;
    if matches!(format, Format::Xlsx | Format::Ods) {
        check_archive(&mut file).map_err(|message| TableError::Spreadsheet {
            file: file_name.clone(),
            message,
        })?;
    }
    let source = BufReader::new(file);
    match format {
        Format::Csv => read_csv(file_name, source, is_header),
        Format::Xlsx => read_workbook::<Xlsx<_>>(file_name, source, sheets, is_header),
        Format::Xls => read_workbook::<Xls<_>>(file_name, source, sheets, is_header),
        Format::Ods => read_workbook::<Ods<_>>(file_name, source, sheets, is_header),
    }
}

/// Collects rows until the header, then the data rows after it.
struct TableBuilder<'a> {
    file: String,
    is_header: IsHeader<'a>,
    rows_before_header: usize,
    header: Option<(usize, Vec<String>)>,
    rows: Vec<Row>,
}

impl<'a> TableBuilder<'a> {
    fn new(file: String, is_header: IsHeader<'a>) -> Self {
        Self {
            file,
            is_header,
            rows_before_header: 0,
            header: None,
            rows: Vec::new(),
        }
    }

    /// Fails as soon as the header search gives up, so a large file without the expected
    /// header is not read to the end.
    fn push(&mut self, line: usize, cells: Vec<String>) -> Result<(), TableError> {
        if cells.iter().all(String::is_empty) {
            return Ok(());
        }
        if self.header.is_some() {
            self.rows.push(Row { line, cells });
        } else if (self.is_header)(&cells) {
            self.header = Some((line, cells));
        } else {
            self.rows_before_header += 1;
            if self.rows_before_header >= HEADER_SEARCH_ROWS {
                return Err(self.no_header());
            }
        }
        Ok(())
    }

    fn no_header(&self) -> TableError {
        TableError::NoHeader {
            file: self.file.clone(),
        }
    }

    fn finish(self) -> Result<Table, TableError> {
        let Some((header_line, headers)) = self.header else {
            return Err(self.no_header());
        };
        Ok(Table {
            file: self.file,
            header_line,
            headers,
            rows: self.rows,
        })
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn read_csv(
    file_name: String,
    mut source: BufReader<File>,
    is_header: IsHeader<'_>,
) -> Result<Table, TableError> {
    let io_error = |source| TableError::Io {
        file: file_name.clone(),
        source,
    };
    // The delimiter is chosen from the first non-blank line, so those lines are read ahead
    // and handed back to the CSV reader unchanged.
    let mut lines_ahead = Vec::new();
    let first_line = loop {
        let start = lines_ahead.len();
        let read = source.read_until(b'\n', &mut lines_ahead).map_err(io_error)?;
        let line = &lines_ahead[start..];
        let line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
        if read == 0 || !line.iter().all(u8::is_ascii_whitespace) {
            break line.to_vec();
        }
    };
    let breaks = LineBreaks::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(&first_line))
        .from_reader(BreakRecorder {
            inner: Cursor::new(lines_ahead).chain(source),
            offset: 0,
            breaks: breaks.clone(),
        });

    let mut lines = LineCounter { breaks, line: 1 };
    let mut builder = TableBuilder::new(file_name.clone(), is_header);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let start = record.position().map_or(0, csv::Position::byte);
                let line = lines.record_line(start);
                let cells = record.iter().map(|c| c.trim().to_owned()).collect();
                builder.push(line, cells)?;
            }
            Err(error) => {
                let start = error.position().map_or(0, csv::Position::byte);
                return Err(csv_error(&file_name, lines.record_line(start), error));
            }
        }
    }
    builder.finish()
}

/// Offsets of the `\r` and `\n` bytes read so far and not yet counted.
type LineBreaks = Rc<RefCell<VecDeque<(u64, u8)>>>;

/// Passes the bytes on to the CSV reader while noting where the line breaks are: the reader
/// reports a record as starting before the blank lines it skipped, so its line number would be
/// off, and we promise the physical line.
struct BreakRecorder<R> {
    inner: R,
    offset: u64,
    breaks: LineBreaks,
}

impl<R: Read> Read for BreakRecorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        for (index, &byte) in buf[..read].iter().enumerate() {
            if byte == b'\n' || byte == b'\r' {
                breaks.push_back((self.offset + index as u64, byte));
            }
        }
        self.offset += read as u64;
        Ok(read)
    }
}

/// Turns the byte offsets the CSV reader reports into physical line numbers, forgetting the
/// breaks it has passed so memory stays flat on large files.
struct LineCounter {
    breaks: LineBreaks,
    /// The line at the last offset asked about.
    line: usize,
}

impl LineCounter {
    fn record_line(&mut self, reported_start: u64) -> usize {
        let mut breaks = self.breaks.borrow_mut();
        let mut count = |byte: u8| {
            if byte == b'\n' {
                self.line += 1;
            }
        };
        while let Some(&(offset, byte)) = breaks.front()
            && offset < reported_start
        {
            count(byte);
            breaks.pop_front();
        }
        // Blank lines right at the reported start were skipped; the record begins after them.
        let mut cursor = reported_start;
        while let Some(&(offset, byte)) = breaks.front()
            && offset == cursor
        {
            count(byte);
            breaks.pop_front();
            cursor += 1;
        }
        self.line
    }
}

/// `;` when the line has more semicolons than commas outside quotes: a semicolon export's
/// title rows still end in `;;;`, while a comma file rarely has a semicolon at all.
fn detect_delimiter(line: &[u8]) -> u8 {
    let mut in_quotes = false;
    let (mut semicolons, mut commas) = (0usize, 0usize);
    for &byte in line {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b';' if !in_quotes => semicolons += 1,
            b',' if !in_quotes => commas += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

fn csv_error(file_name: &str, line: usize, error: csv::Error) -> TableError {
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the text is not UTF-8; save the file as \"CSV UTF-8\"".to_owned(),
        _ => error.to_string(),
    };
    match error.into_kind() {
        csv::ErrorKind::Io(source) => TableError::Io {
            file: file_name.to_owned(),
            source,
        },
        _ => TableError::Csv {
            file: file_name.to_owned(),
            line,
            message,
        },
    }
}

/// The most a spreadsheet (XLSX, ODS: a zip archive) may expand to when unzipped. A registry
/// larger than this comes as CSV, which is read as a stream.
pub const SPREADSHEET_MAX_UNZIPPED_BYTES: u64 = 300 * 1024 * 1024;

/// Measures a spreadsheet's archive before anything reads it: the sizes its entries declare
/// and the bytes they actually expand to, so that a "zip bomb" is refused with a clear error
/// instead of filling the memory. Leaves the file at its start. A file that is not an archive
/// is left for the spreadsheet reader to refuse.
pub fn check_archive(file: &mut File) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let limit = SPREADSHEET_MAX_UNZIPPED_BYTES;
    let too_large = || {
        format!(
            "the spreadsheet expands to more than {} MB when unzipped; send it as CSV",
            limit / (1024 * 1024)
        )
    };
    if let Ok(mut archive) = zip::ZipArchive::new(&mut *file) {
        let declared: u64 = (0..archive.len())
            .filter_map(|i| archive.by_index_raw(i).ok().map(|e| e.size()))
            .fold(0u64, u64::saturating_add);
        if declared > limit {
            return Err(too_large());
        }
        let mut expanded = 0u64;
        for i in 0..archive.len() {
            let entry = archive.by_index(i).map_err(|e| e.to_string())?;
            let read = std::io::copy(&mut entry.take(limit - expanded + 1), &mut std::io::sink())
                .map_err(|e| e.to_string())?;
            expanded += read;
            if expanded > limit {
                return Err(too_large());
            }
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    Ok(())
}

fn read_workbook<R>(
    file_name: String,
    source: BufReader<File>,
    sheets: SheetChoice,
    is_header: IsHeader<'_>,
) -> Result<Table, TableError>
where
    R: Reader<BufReader<File>>,
    R::Error: fmt::Display,
{
    let spreadsheet_error = |message: String| TableError::Spreadsheet {
        file: file_name.clone(),
        message,
    };
    let mut workbook: R =
        calamine::open_workbook_from_rs(source).map_err(|e: R::Error| spreadsheet_error(e.to_string()))?;
    let mut names = workbook.sheet_names();
    if sheets == SheetChoice::First {
        names.truncate(1);
    }
    for (index, name) in names.iter().enumerate() {
        let range = workbook
            .worksheet_range(name)
            .map_err(|e| spreadsheet_error(format!("sheet {name}: {e}")))?;
        let label = if index == 0 {
            file_name.clone()
        } else {
            format!("{file_name}, sheet {name}")
        };
        let mut builder = TableBuilder::new(label, is_header);
        // Row numbers as the spreadsheet shows them, whatever rows the range starts after.
        let first_row = range.start().map_or(0, |(row, _)| row as usize);
        let pushed = range.rows().enumerate().try_for_each(|(offset, cells)| {
            builder.push(first_row + offset + 1, cells.iter().map(cell_text).collect())
        });
        match pushed.and_then(|()| builder.finish()) {
            Err(TableError::NoHeader { .. }) => continue,
            result => return result,
        }
    }
    Err(TableError::NoHeader { file: file_name })
}

/// A spreadsheet cell as the person sees it: whole numbers without `.0` (a DANE code stored
/// as the number 5001 stays `5001`) and dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.trim().to_owned(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => float_text(*number),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(datetime) => datetime_text(datetime),
        Data::DateTimeIso(text) => text.strip_suffix("T00:00:00").unwrap_or(text).to_owned(),
        Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

/// Rust prints the shortest text that reads back as the same float, which is what the person
/// typed (`33.1`, not `33.100000000000001`), and never uses an exponent.
fn float_text(number: f64) -> String {
    if number == 0.0 {
        // Avoids "-0".
        "0".to_owned()
    } else {
        number.to_string()
    }
}

fn datetime_text(datetime: &ExcelDateTime) -> String {
    if datetime.is_duration() {
        let seconds = (datetime.as_f64() * 86_400.0).round() as i64;
        return format!(
            "{}:{:02}:{:02}",
            seconds / 3600,
            seconds % 3600 / 60,
            seconds % 60
        );
    }
    let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
    if datetime.as_f64() < 1.0 {
        // A time of day without a date.
        format!("{hour:02}:{minute:02}:{second:02}")
    } else if (hour, minute, second) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn headers_match_whatever_the_separator_case_or_accents() {
        let headers: Vec<String> = ["Departamento", "Código  Municipio", "Total"]
            .map(String::from)
            .to_vec();
        for alias in [
            "codigo_municipio",
            "CODIGO-MUNICIPIO",
            "código municipio",
            "codigo.municipio",
        ] {
            assert_eq!(find_column(&headers, &[alias]), Some(1), "{alias}");
        }
        assert_eq!(find_column(&headers, &["municipio"]), None);
        assert_eq!(normalize_header(" Cód. Mpio. "), "cod mpio");
        assert_eq!(
            normalize_header("Centros poblados y\nrural disperso"),
            "centros poblados y rural disperso"
        );
    }

    #[test]
    fn earlier_aliases_win() {
        let headers: Vec<String> = ["total", "ipm_total"].map(String::from).to_vec();
        assert_eq!(find_column(&headers, &["ipm_total", "total"]), Some(1));
    }

    #[test]
    fn decimals_take_a_dot_or_a_colombian_comma() {
        let read = |text: &str| read_data_number(text).ok();
        assert_eq!(read("12.5"), Some(Decimal::new(125, 1)));
        assert_eq!(read("12,5"), Some(Decimal::new(125, 1)));
        assert_eq!(read(" -3 "), Some(Decimal::from(-3)));
        assert_eq!(read("0,25"), Some(Decimal::new(25, 2)));
        // A lone mark is a decimal mark in a file, whatever follows it.
        assert_eq!(read("0.452"), Some(Decimal::new(452, 3)));
        assert_eq!(read("0,4523"), Some(Decimal::new(4523, 4)));
        assert_eq!(read("1.234"), Some(Decimal::new(1234, 3)));
        // Grouped thousands are no guess when both marks are there.
        assert_eq!(read("1.234,5"), Some(Decimal::new(12345, 1)));
        assert_eq!(read("1,234.5"), Some(Decimal::new(12345, 1)));
        for bad in ["", "12,x", "1,2,3", "1e5", "12.5%", "-", "."] {
            assert_eq!(read(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn spreadsheet_floats_come_back_as_typed() {
        assert_eq!(float_text(5001.0), "5001");
        assert_eq!(float_text(33.1), "33.1");
        assert_eq!(float_text(-0.0), "0");
        assert_eq!(float_text(0.000001), "0.000001");
        let parsed = read_data_number(&float_text(33.1)).ok();
        assert_eq!(parsed.map(|d| d.to_string()), Some("33.1".to_owned()));
        assert_eq!(parsed, Some(Decimal::new(331, 1)));
    }

    #[test]
    fn spreadsheet_dates_print_as_iso_days() {
        let date = ExcelDateTime::new(45943.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(date)), "2025-10-13");
        let with_time = ExcelDateTime::new(45943.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(with_time)), "2025-10-13 12:00:00");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-03-05T00:00:00".into())),
            "2024-03-05"
        );
        assert_eq!(cell_text(&Data::Int(5001)), "5001");
        assert_eq!(cell_text(&Data::String("  Mocoa ".into())), "Mocoa");
    }

    #[test]
    fn the_delimiter_follows_the_header_line() {
        assert_eq!(detect_delimiter(b"dane_code,ipm_total\n"), b',');
        assert_eq!(detect_delimiter(b"Codigo;Total;Cabeceras\n"), b';');
        assert_eq!(detect_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(detect_delimiter(b"IPM, 2018;;;;\n"), b';');
    }
}
