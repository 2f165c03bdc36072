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
use vereda_domain::text::{TextEncoding, fold_for_search};

use crate::records::{Utf8Reader, sample_encoding};

/// How many non-empty rows are searched for the header: official DANE spreadsheets put a
/// handful of title and note rows above it, never dozens.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// How much one import may hold, so a hostile or mistaken file stops with a clear error
/// instead of filling the memory. Settings: an office with larger files raises them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Cells of one sheet: those its `<dimension>` declares, and the positions its rows hold.
    pub max_cells: u64,
    /// Bytes of cell text one import holds.
    pub max_text_bytes: u64,
    /// Bytes of one CSV line (and of one record, quoted line breaks included).
    pub max_line_bytes: u64,
}

impl Default for ReadLimits {
    /// 10 million cells (a spreadsheet reader holds some 60 bytes per cell besides its
    /// text, so about 600 MB at most); 256 MiB of text; 1 MiB per line (a household's line is
    /// a few hundred bytes, and the big household CSV files stream, see `records`).
    fn default() -> Self {
        Self {
            max_cells: 10_000_000,
            max_text_bytes: 256 << 20,
            max_line_bytes: 1 << 20,
        }
    }
}

/// What is wrong with a CSV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvProblem {
    NotUtf8,
    UnclosedQuote,
    /// Longer than [`ReadLimits::max_line_bytes`].
    LineTooLong {
        limit: u64,
    },
    /// What the CSV reader said (technical; it has no other words).
    Other(String),
}

/// A file that cannot be read as a table. [`TableError::message`] says it as a typed message
/// (`table-error-*`) with the file, and the line when there is one.
#[derive(Debug)]
pub enum TableError {
    Io {
        file: String,
        source: io::Error,
    },
    Csv {
        file: String,
        line: usize,
        problem: CsvProblem,
    },
    /// The spreadsheet reader failed; `detail` is its own (technical) text.
    Spreadsheet {
        file: String,
        detail: String,
    },
    /// The archive expands to more than `limit` bytes.
    ArchiveTooLarge {
        file: String,
        limit: u64,
    },
    /// A sheet declares or holds more than `limit` cells.
    TooManyCells {
        file: String,
        cells: u64,
        limit: u64,
    },
    /// The cells' text reaches more than `limit` bytes, at `line`.
    TooMuchText {
        file: String,
        line: usize,
        limit: u64,
    },
    UnsupportedFormat {
        file: String,
    },
    MissingColumn {
        file: String,
        column: String,
        aliases: Vec<String>,
    },
    NoHeader {
        file: String,
    },
}

/// Whole mebibytes, for limits people set in those.
fn mebibytes(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

impl TableError {
    /// The error as a typed message: `table-error-*` with `file`, and `line`, `column`,
    /// `limit` or `detail` as it applies.
    pub fn message(&self) -> Message {
        let at = |code: &'static str, file: &str| Message::new(code).with("file", file);
        match self {
            TableError::Io { file, source } => match source.kind() {
                io::ErrorKind::NotFound => at("table-error-not_found", file),
                io::ErrorKind::PermissionDenied => at("table-error-forbidden", file),
                _ => at("table-error-io", file).with("detail", source.to_string()),
            },
            TableError::Csv { file, line, problem } => match problem {
                CsvProblem::NotUtf8 => at("table-error-not_utf8", file).with("line", *line),
                CsvProblem::UnclosedQuote => at("table-error-unclosed_quote", file).with("line", *line),
                CsvProblem::LineTooLong { limit } => at("table-error-line_too_long", file)
                    .with("line", *line)
                    .with("limit", limit.div_ceil(1024)),
                CsvProblem::Other(detail) => at("table-error-csv", file)
                    .with("line", *line)
                    .with("detail", detail),
            },
            TableError::Spreadsheet { file, detail } => {
                at("table-error-spreadsheet", file).with("detail", detail)
            }
            TableError::ArchiveTooLarge { file, limit } => {
                at("table-error-archive_too_large", file).with("limit", mebibytes(*limit))
            }
            TableError::TooManyCells { file, cells, limit } => at("table-error-too_many_cells", file)
                .with("cells", *cells)
                .with("limit", *limit),
            TableError::TooMuchText { file, line, limit } => at("table-error-too_much_text", file)
                .with("line", *line)
                .with("limit", mebibytes(*limit)),
            TableError::UnsupportedFormat { file } => {
                at("table-error-unsupported_format", file).with("accepted", ACCEPTED_KINDS)
            }
            TableError::MissingColumn {
                file,
                column,
                aliases,
            } => at("table-error-missing_column", file)
                .with("column", column)
                .with("accepted", aliases.join(", ")),
            TableError::NoHeader { file } => {
                at("table-error-no_header", file).with("rows", HEADER_SEARCH_ROWS)
            }
        }
    }
}

impl fmt::Display for TableError {
    /// The message's code and arguments, for logs; people read [`TableError::message`] in
    /// their language.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for TableError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TableError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

const ACCEPTED_KINDS: &str = ".csv, .xlsx, .xls, .ods";

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
    /// The sheet and cell of a workbook, when the error is about one cell of it.
    pub place: Option<Box<CellPlace>>,
}

/// A cell of a workbook as a spreadsheet names it: the sheet, and the cell in A1 form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellPlace {
    /// The workbook's file name.
    pub workbook: String,
    pub sheet: String,
    /// `C2`: the column's letters and the row's number.
    pub cell: String,
}

/// The A1 name of the cell at `row` (1-based, as a spreadsheet numbers rows) and `column`
/// (0-based): `a1(2, 2)` is `C2`.
pub fn a1(row: usize, column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{row}", String::from_utf8_lossy(&letters))
}

impl RowError {
    /// The whole error as one message: file, line (or sheet and cell), column, value and
    /// what is wrong.
    pub fn located(&self) -> Message {
        let problem = vereda_domain::message::Arg::List(vec![(*self.message).clone()]);
        if let Some(place) = &self.place {
            return Message::new("row-error-at_cell")
                .with("file", &place.workbook)
                .with("sheet", &place.sheet)
                .with("cell", &place.cell)
                .with("column", &self.column)
                .with("value", &self.value)
                .with("problem", problem);
        }
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
        match &self.place {
            Some(place) => write!(
                f,
                "{}, sheet {}, cell {}, column {}, value {:?}: {}",
                place.workbook, place.sheet, place.cell, self.column, self.value, self.message
            ),
            None => write!(
                f,
                "{}, line {}, column {}, value {:?}: {}",
                self.file, self.line, self.column, self.value, self.message
            ),
        }
    }
}

/// More than this many errors means the wrong file or layout; listing them all helps no one.
pub const MAX_REPORTED_ROW_ERRORS: usize = 100;

/// Why a file imported all or nothing was refused: the table could not be read, or some rows
/// are bad. The one error of the product's row-checked imports (IPM, bank statements,
/// interventions).
#[derive(Debug)]
pub enum RowsFileError {
    Table(TableError),
    /// The first [`MAX_REPORTED_ROW_ERRORS`] errors, how many there were in all, and the
    /// catalogue code of the summary that opens the list (`row-error-*_summary`, by count).
    Rows {
        summary: &'static str,
        errors: Vec<RowError>,
        error_count: usize,
    },
}

impl From<TableError> for RowsFileError {
    fn from(error: TableError) -> Self {
        RowsFileError::Table(error)
    }
}

impl RowsFileError {
    /// What is wrong, as typed messages: for bad rows the summary, each row naming file, line
    /// (or sheet and cell), column and value, then how many more were not listed.
    pub fn messages(&self) -> Vec<Message> {
        match self {
            RowsFileError::Rows {
                summary,
                errors,
                error_count,
            } => {
                let mut messages = vec![Message::new(summary).with("count", *error_count)];
                messages.extend(errors.iter().map(RowError::located));
                let unlisted = error_count.saturating_sub(errors.len());
                if unlisted > 0 {
                    messages.push(Message::new("row-error-more").with("count", unlisted));
                }
                messages
            }
            RowsFileError::Table(table) => vec![table.message()],
        }
    }
}

impl fmt::Display for RowsFileError {
    /// The messages' codes and arguments, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, message) in self.messages().iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            message.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for RowsFileError {}

/// The bad rows of a file as they are found: the first [`MAX_REPORTED_ROW_ERRORS`] kept, all
/// counted.
#[derive(Debug, Default)]
pub struct BadRows {
    errors: Vec<RowError>,
    count: usize,
}

impl BadRows {
    pub fn add(&mut self, row_errors: Vec<RowError>) {
        self.count += row_errors.len();
        let room = MAX_REPORTED_ROW_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(row_errors.into_iter().take(room));
    }

    /// `value` when no row was bad, else the error whose list opens with `summary`.
    pub fn or<T>(self, summary: &'static str, value: T) -> Result<T, RowsFileError> {
        if self.count == 0 {
            return Ok(value);
        }
        Err(RowsFileError::Rows {
            summary,
            errors: self.errors,
            error_count: self.count,
        })
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
    /// The text's encoding, for a CSV file.
    encoding: Option<TextEncoding>,
}

impl Table {
    /// The encoding a CSV file was read in (`None` for a spreadsheet).
    pub fn encoding(&self) -> Option<TextEncoding> {
        self.encoding
    }

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
            place: None,
        }
    }

    /// The cell as a number, accepting `12.5`, the Colombian `12,5` and grouped thousands
    /// (see [`read_data_number`]).
    pub fn decimal(&self, row: &Row, column: usize) -> Result<Decimal, RowError> {
        read_data_number(row.cell(column)).map_err(|p| self.row_error(row, column, p.message()))
    }
}

/// Reads a CSV, XLSX, XLS or ODS file (by extension, in any case); the header is the first
/// non-empty row, and spreadsheets are read from their first sheet. Within the default
/// [`ReadLimits`].
pub fn read_table(path: &Path) -> Result<Table, TableError> {
    read_table_within(path, &ReadLimits::default())
}

/// Like [`read_table`], within `limits`.
pub fn read_table_within(path: &Path, limits: &ReadLimits) -> Result<Table, TableError> {
    read(path, SheetChoice::First, &|_| true, limits)
}

/// Like [`read_table`], but the header is the first row, among the first
/// [`HEADER_SEARCH_ROWS`] non-empty ones, for which `is_header` holds; the rows above it
/// (titles, notes) are dropped. In a workbook the first sheet that has such a row is used,
/// because official annexes often open with an index sheet.
pub fn read_table_with_header(
    path: &Path,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Table, TableError> {
    read_table_with_header_within(path, is_header, &ReadLimits::default())
}

/// Like [`read_table_with_header`], within `limits`.
pub fn read_table_with_header_within(
    path: &Path,
    is_header: impl Fn(&[String]) -> bool,
    limits: &ReadLimits,
) -> Result<Table, TableError> {
    read(path, SheetChoice::FirstWithHeader, &is_header, limits)
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

/// The name a file is given in messages: its name without the directories.
pub fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn read(
    path: &Path,
    sheets: SheetChoice,
    is_header: IsHeader<'_>,
    limits: &ReadLimits,
) -> Result<Table, TableError> {
    let file_name = display_name(path);
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
        check_archive(&mut file, &file_name)?;
    }
    let reading = Reading { is_header, limits };
    let source = || BufReader::new(file);
    match format {
        Format::Csv => read_csv_file(file_name, source(), reading),
        Format::Xlsx => read_xlsx(file_name, source(), sheets, reading),
        Format::Xls => read_workbook::<Xls<_>>(file_name, source(), sheets, reading),
        Format::Ods => read_workbook::<Ods<_>>(file_name, source(), sheets, reading),
    }
}

/// How a table is read: which row is its header, and within which limits.
#[derive(Clone, Copy)]
struct Reading<'a> {
    is_header: IsHeader<'a>,
    limits: &'a ReadLimits,
}

/// Collects rows until the header, then the data rows after it, counting the cells and the
/// text held against the limits.
struct TableBuilder<'a> {
    file: String,
    reading: Reading<'a>,
    rows_before_header: usize,
    header: Option<(usize, Vec<String>)>,
    rows: Vec<Row>,
    cells: u64,
    text_bytes: u64,
}

impl<'a> TableBuilder<'a> {
    fn new(file: String, reading: Reading<'a>) -> Self {
        Self {
            file,
            reading,
            rows_before_header: 0,
            header: None,
            rows: Vec::new(),
            cells: 0,
            text_bytes: 0,
        }
    }

    /// Fails as soon as the header search gives up, so a large file without the expected
    /// header is not read to the end, and as soon as a limit is passed.
    fn push(&mut self, line: usize, cells: Vec<String>) -> Result<(), TableError> {
        if cells.iter().all(String::is_empty) {
            return Ok(());
        }
        let limits = self.reading.limits;
        self.cells += cells.len() as u64;
        if self.cells > limits.max_cells {
            return Err(TableError::TooManyCells {
                file: self.file.clone(),
                cells: self.cells,
                limit: limits.max_cells,
            });
        }
        self.text_bytes += cells.iter().map(|c| c.len() as u64).sum::<u64>();
        if self.text_bytes > limits.max_text_bytes {
            return Err(TableError::TooMuchText {
                file: self.file.clone(),
                line,
                limit: limits.max_text_bytes,
            });
        }
        if self.header.is_some() {
            self.rows.push(Row { line, cells });
        } else if (self.reading.is_header)(&cells) {
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
            encoding: None,
        })
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file in its encoding (see [`sample_encoding`]), read as UTF-8.
fn read_csv_file(
    file_name: String,
    mut file: BufReader<File>,
    reading: Reading<'_>,
) -> Result<Table, TableError> {
    let (sample, _, encoding) = sample_encoding(&mut file).map_err(|source| TableError::Io {
        file: file_name.clone(),
        source,
    })?;
    let text = Utf8Reader::new(Cursor::new(sample).chain(file), encoding);
    let mut table = read_csv(file_name, BufReader::new(text), reading)?;
    table.encoding = Some(encoding);
    Ok(table)
}

fn read_csv(file_name: String, mut source: impl BufRead, reading: Reading<'_>) -> Result<Table, TableError> {
    let max_line = reading.limits.max_line_bytes;
    let io_error = |source| TableError::Io {
        file: file_name.clone(),
        source,
    };
    let too_long = |line| TableError::Csv {
        file: file_name.clone(),
        line,
        problem: CsvProblem::LineTooLong { limit: max_line },
    };
    // The delimiter is chosen from the first non-blank line, so those lines are read ahead
    // and handed back to the CSV reader unchanged; each at most a line long.
    let mut lines_ahead = Vec::new();
    let mut line_number = 0;
    let first_line = loop {
        let start = lines_ahead.len();
        line_number += 1;
        let read = (&mut source)
            .take(max_line.saturating_add(1))
            .read_until(b'\n', &mut lines_ahead)
            .map_err(io_error)?;
        let line = &lines_ahead[start..];
        if read as u64 > max_line && line.last() != Some(&b'\n') {
            return Err(too_long(line_number));
        }
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
            lines: 1,
            since_break: 0,
            max_line,
        });

    let mut lines = LineCounter { breaks, line: 1 };
    let mut builder = TableBuilder::new(file_name.clone(), reading);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let start = record.position().map_or(0, csv::Position::byte);
                let line = lines.record_line(start);
                // A record of many short lines (quoted line breaks) is held whole too.
                if record.as_slice().len() as u64 > max_line {
                    return Err(too_long(line));
                }
                let cells = record.iter().map(|c| c.trim().to_owned()).collect();
                builder.push(line, cells)?;
            }
            Err(error) => {
                let start = error.position().map_or(0, csv::Position::byte);
                return Err(csv_error(&file_name, lines.record_line(start), error, max_line));
            }
        }
    }
    builder.finish()
}

/// Offsets of the `\r` and `\n` bytes read so far and not yet counted.
type LineBreaks = Rc<RefCell<VecDeque<(u64, u8)>>>;

/// Passes the bytes on to the CSV reader while noting where the line breaks are: the reader
/// reports a record as starting before the blank lines it skipped, so its line number would be
/// off, and we promise the physical line. A line longer than the limit stops the reading
/// here, before the CSV reader holds it.
struct BreakRecorder<R> {
    inner: R,
    offset: u64,
    breaks: LineBreaks,
    /// The physical line being read, and its bytes so far.
    lines: usize,
    since_break: u64,
    max_line: u64,
}

/// The error a [`BreakRecorder`] stops with, carried through the CSV reader's I/O error.
#[derive(Debug)]
struct LineTooLong {
    line: usize,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} too long", self.line)
    }
}

impl std::error::Error for LineTooLong {}

impl<R: Read> Read for BreakRecorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        for (index, &byte) in buf[..read].iter().enumerate() {
            if byte == b'\n' || byte == b'\r' {
                breaks.push_back((self.offset + index as u64, byte));
            }
            if byte == b'\n' {
                self.lines += 1;
                self.since_break = 0;
            } else {
                self.since_break += 1;
                if self.since_break > self.max_line {
                    return Err(io::Error::other(LineTooLong { line: self.lines }));
                }
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

fn csv_error(file_name: &str, line: usize, error: csv::Error, max_line: u64) -> TableError {
    let problem = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => CsvProblem::NotUtf8,
        csv::ErrorKind::Io(io_error) => {
            if let Some(too_long) = io_error.get_ref().and_then(|e| e.downcast_ref::<LineTooLong>()) {
                return TableError::Csv {
                    file: file_name.to_owned(),
                    line: too_long.line,
                    problem: CsvProblem::LineTooLong { limit: max_line },
                };
            }
            CsvProblem::Other(String::new())
        }
        _ => CsvProblem::Other(error.to_string()),
    };
    match error.into_kind() {
        csv::ErrorKind::Io(source) => TableError::Io {
            file: file_name.to_owned(),
            source,
        },
        _ => TableError::Csv {
            file: file_name.to_owned(),
            line,
            problem,
        },
    }
}

/// The most a spreadsheet (XLSX, ODS: a zip archive) may expand to when unzipped. A registry
/// larger than this comes as CSV, which is read as a stream.
pub const SPREADSHEET_MAX_UNZIPPED_BYTES: u64 = 300 * 1024 * 1024;

/// Measures a spreadsheet's archive before anything reads it: the sizes its entries declare
/// and the bytes they actually expand to, so that a "zip bomb" is refused with a clear error
/// instead of filling the memory. Leaves the file at its start. A file that is not an archive
/// is left for the spreadsheet reader to refuse. `file_name` names it in the error.
pub fn check_archive(file: &mut File, file_name: &str) -> Result<(), TableError> {
    use std::io::{Read, Seek, SeekFrom};
    let limit = SPREADSHEET_MAX_UNZIPPED_BYTES;
    let too_large = || TableError::ArchiveTooLarge {
        file: file_name.to_owned(),
        limit,
    };
    let unreadable = |detail: String| TableError::Spreadsheet {
        file: file_name.to_owned(),
        detail,
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
            let entry = archive.by_index(i).map_err(|e| unreadable(e.to_string()))?;
            let read = std::io::copy(&mut entry.take(limit - expanded + 1), &mut std::io::sink())
                .map_err(|e| unreadable(e.to_string()))?;
            expanded += read;
            if expanded > limit {
                return Err(too_large());
            }
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|source| TableError::Io {
        file: file_name.to_owned(),
        source,
    })?;
    Ok(())
}

/// The label of a sheet in messages: the file, and the sheet's name unless it is the first.
fn sheet_label(file_name: &str, index: usize, name: &str) -> String {
    if index == 0 {
        file_name.to_owned()
    } else {
        format!("{file_name} [{name}]")
    }
}

/// Reads an XLSX sheet by sheet with [`xlsx_sheet_rows`].
fn read_xlsx(
    file_name: String,
    source: BufReader<File>,
    sheets: SheetChoice,
    reading: Reading<'_>,
) -> Result<Table, TableError> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(source).map_err(|e: calamine::XlsxError| {
            TableError::Spreadsheet {
                file: file_name.clone(),
                detail: e.to_string(),
            }
        })?;
    let mut names = workbook.sheet_names();
    if sheets == SheetChoice::First {
        names.truncate(1);
    }
    for (index, name) in names.iter().enumerate() {
        let label = sheet_label(&file_name, index, name);
        let rows = match xlsx_sheet_rows(&mut workbook, name, &label, reading.limits, cell_text) {
            Ok(rows) => rows,
            // A chart sheet has no cells.
            Err(XlsxSheetError::NotAWorksheet) => continue,
            Err(XlsxSheetError::Table(error)) => return Err(error),
        };
        let mut builder = TableBuilder::new(label, reading);
        let pushed = rows
            .into_iter()
            .try_for_each(|(line, cells)| builder.push(line, cells));
        match pushed.and_then(|()| builder.finish()) {
            Err(TableError::NoHeader { .. }) => continue,
            result => return result,
        }
    }
    Err(TableError::NoHeader { file: file_name })
}

/// Why [`xlsx_sheet_rows`] gave no rows.
#[derive(Debug)]
pub enum XlsxSheetError {
    /// The sheet is missing, or is a chart sheet.
    NotAWorksheet,
    Table(TableError),
}

/// The rows of an XLSX sheet that have a cell with text, with their line numbers (the sheet's
/// row numbers) and their cells from the sheet's leftmost used column, as `text_of` gives
/// them ([`cell_text`] for a table).
///
/// The sheet is read as a stream of cells, never as calamine's dense range: the cells its
/// `<dimension>` declares are checked before any cell is read, and the cells and text read
/// are counted as they come, so a sheet with one cell at XFD1048576 or with millions of cells
/// is refused (`label` names it), not allocated.
pub fn xlsx_sheet_rows<RS: Read + io::Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
    label: &str,
    limits: &ReadLimits,
    text_of: fn(&Data) -> String,
) -> Result<Vec<(usize, Vec<String>)>, XlsxSheetError> {
    xlsx_sheet_cells(workbook, name, label, limits, text_of).map(|(_, rows)| rows)
}

/// Rows of a sheet: each with its row number and its cells as text.
pub type SheetRows = Vec<(usize, Vec<String>)>;

/// Like [`xlsx_sheet_rows`], with the sheet's column (0-based) of the rows' first cells, so
/// a cell can be named in A1 form ([`a1`]).
pub fn xlsx_sheet_cells<RS: Read + io::Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
    label: &str,
    limits: &ReadLimits,
    text_of: fn(&Data) -> String,
) -> Result<(u32, SheetRows), XlsxSheetError> {
    let unreadable = |e: calamine::XlsxError| {
        XlsxSheetError::Table(TableError::Spreadsheet {
            file: label.to_owned(),
            detail: e.to_string(),
        })
    };
    let too_many = |cells: u64| {
        XlsxSheetError::Table(TableError::TooManyCells {
            file: label.to_owned(),
            cells,
            limit: limits.max_cells,
        })
    };
    let mut cells = match workbook.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        Err(calamine::XlsxError::NotAWorksheet(_) | calamine::XlsxError::WorksheetNotFound(_)) => {
            return Err(XlsxSheetError::NotAWorksheet);
        }
        Err(e) => return Err(unreadable(e)),
    };
    let declared = cells.dimensions().len();
    if declared > limits.max_cells {
        return Err(too_many(declared));
    }
    // The non-empty cells by position, counted and measured as they come.
    let mut found: Vec<(u32, u32, String)> = Vec::new();
    let mut text_bytes = 0u64;
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (row, column) = cell.get_position();
        let text = text_of(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if found.len() as u64 >= limits.max_cells {
            return Err(too_many(found.len() as u64 + 1));
        }
        text_bytes += text.len() as u64;
        if text_bytes > limits.max_text_bytes {
            return Err(XlsxSheetError::Table(TableError::TooMuchText {
                file: label.to_owned(),
                line: row as usize + 1,
                limit: limits.max_text_bytes,
            }));
        }
        found.push((row, column, text));
    }
    drop(cells);
    // Sheets nearly always list cells in order; sorting costs little then.
    found.sort_by_key(|&(row, column, _)| (row, column));
    // Columns count from the leftmost cell and every row is as wide as the widest, as in a
    // range: that rectangle of the rows with text is what is held.
    let first_column = found.iter().map(|&(_, column, _)| column).min().unwrap_or(0);
    let width = found
        .iter()
        .map(|&(_, column, _)| (column - first_column) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut distinct_rows = 0u64;
    let mut last_row = None;
    for &(row, _, _) in &found {
        if last_row != Some(row) {
            distinct_rows += 1;
            last_row = Some(row);
        }
    }
    let held = distinct_rows.saturating_mul(width as u64);
    if held > limits.max_cells {
        return Err(too_many(held));
    }
    let mut rows: Vec<(usize, Vec<String>)> = Vec::with_capacity(distinct_rows as usize);
    for (row, column, text) in found {
        let line = row as usize + 1;
        if rows.last().is_none_or(|(last, _)| *last != line) {
            rows.push((line, vec![String::new(); width]));
        }
        if let Some((_, cells_of_row)) = rows.last_mut() {
            cells_of_row[(column - first_column) as usize] = text;
        }
    }
    Ok((first_column, rows))
}

fn read_workbook<R>(
    file_name: String,
    source: BufReader<File>,
    sheets: SheetChoice,
    reading: Reading<'_>,
) -> Result<Table, TableError>
where
    R: Reader<BufReader<File>>,
    R::Error: fmt::Display,
{
    let limits = reading.limits;
    let spreadsheet_error = |detail: String| TableError::Spreadsheet {
        file: file_name.clone(),
        detail,
    };
    let mut workbook: R =
        calamine::open_workbook_from_rs(source).map_err(|e: R::Error| spreadsheet_error(e.to_string()))?;
    let mut names = workbook.sheet_names();
    if sheets == SheetChoice::First {
        names.truncate(1);
    }
    for (index, name) in names.iter().enumerate() {
        let label = sheet_label(&file_name, index, name);
        let range = workbook
            .worksheet_range(name)
            .map_err(|e| spreadsheet_error(format!("{name}: {e}")))?;
        // XLS holds at most 65,536 × 256 cells and ODS passed the archive's measure; their
        // readers give a whole range, checked before its rows are copied.
        let (height, width) = range.get_size();
        let cells = (height as u64).saturating_mul(width as u64);
        if cells > limits.max_cells {
            return Err(TableError::TooManyCells {
                file: label,
                cells,
                limit: limits.max_cells,
            });
        }
        let mut builder = TableBuilder::new(label, reading);
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
pub fn cell_text(cell: &Data) -> String {
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
