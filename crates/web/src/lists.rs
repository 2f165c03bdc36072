//! One machinery for the staff lists that grow with a call (issue 18 part 2): the query string
//! read once ([`ListParams`]: `q`, `orden`, `pagina`, `por_pagina` and the list's filters), the
//! controls every list shows (`list_controls.html`: search box, filters, sort links, pager and
//! downloads, built as a [`ListView`]), and the downloads of a list with its current filter,
//! CSV (UTF-8 with BOM) streamed chunk by chunk from the database and XLSX written a row at a
//! time to a temporary file (rust_xlsxwriter's constant-memory mode): never the whole list in
//! memory.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde::Deserialize;
use vereda_store::lists::Paging;

use crate::error::{AppError, urlencode};
use crate::i18n::Lang;

/// Rows a page shows at most (a download reads in chunks of [`EXPORT_CHUNK`]).
pub const MAX_PER_PAGE: u64 = 200;
/// Rows read from the database per chunk of a download.
pub const EXPORT_CHUNK: u64 = 1000;

/// A list's query string. Every field is text, read leniently: a page number that is not one
/// is the first page, an unknown sort is the list's default.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words to find, without regard to accents and case (the head's name, document, the
    /// household's id).
    #[serde(default)]
    pub q: String,
    /// A sort code of the list; `-` before it sorts descending.
    #[serde(default)]
    pub orden: String,
    /// The page, from 1.
    #[serde(default)]
    pub pagina: String,
    /// Rows per page (at most 200).
    #[serde(default)]
    pub por_pagina: String,
    /// A DANE municipality code.
    #[serde(default)]
    pub municipio: String,
    /// A status code of the list (verification or delivery status).
    #[serde(default)]
    pub estado: String,
    /// A letter kind.
    #[serde(default)]
    pub tipo: String,
    /// An audit action's code (the audit log's filter; not the API's).
    #[serde(default)]
    #[param(ignore)]
    pub accion: String,
    /// An account's id (the audit log's filter).
    #[serde(default)]
    #[param(ignore)]
    pub autor: String,
    /// A table's name (the audit log's filter).
    #[serde(default)]
    #[param(ignore)]
    pub entidad: String,
    /// A reason code (a screening's results).
    #[serde(default)]
    #[param(ignore)]
    pub motivo: String,
    /// A Sisbén level, or `none` (a screening's results).
    #[serde(default)]
    #[param(ignore)]
    pub nivel: String,
    /// A project's code (the measurements' filter).
    #[serde(default)]
    #[param(ignore)]
    pub proyecto: String,
    /// An indicator unit's code (the measurements' filter).
    #[serde(default)]
    #[param(ignore)]
    pub unidad: String,
    /// The first day of a period, `YYYY-MM-DD` (Colombian dates).
    #[serde(default)]
    #[param(ignore)]
    pub desde: String,
    /// The last day of a period, `YYYY-MM-DD`.
    #[serde(default)]
    #[param(ignore)]
    pub hasta: String,
    /// A committee concept: `pending`, `positive`, `negative` (the committee's items).
    #[serde(default)]
    #[param(ignore)]
    pub concepto: String,
    /// A session's state: `open` or `closed` (the committee's items and sessions).
    #[serde(default)]
    #[param(ignore)]
    pub sesion: String,
    /// A DANE department code (the committee's items).
    #[serde(default)]
    #[param(ignore)]
    pub departamento: String,
}

impl ListParams {
    /// The store's paging: the sort kept only if the list knows it.
    pub fn paging(&self, sorts: &[&str]) -> Paging {
        let (code, descending) = self.sort(sorts);
        Paging {
            search: self.q.trim().to_owned(),
            sort: code,
            descending,
            page: self.page(),
            per_page: self.per_page(),
            after: None,
        }
    }

    pub fn page(&self) -> u64 {
        self.pagina.trim().parse::<u64>().unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u64 {
        match self.por_pagina.trim().parse::<u64>() {
            Ok(n) if n > 0 => n.min(MAX_PER_PAGE),
            _ => vereda_store::lists::PAGE_SIZE,
        }
    }

    fn sort(&self, sorts: &[&str]) -> (String, bool) {
        let text = self.orden.trim();
        let (code, descending) = match text.strip_prefix('-') {
            Some(code) => (code, true),
            None => (text, false),
        };
        if sorts.contains(&code) {
            (code.to_owned(), descending)
        } else {
            (String::new(), descending && code.is_empty())
        }
    }

    /// A day of a period's filter (`desde`, `hasta`); `None` when empty or not a date.
    pub fn day(value: &str) -> Option<jiff::civil::Date> {
        value.trim().parse().ok()
    }

    /// The period of `desde` and `hasta` as instants: from the midnight that starts the first
    /// day in Colombia (UTC−5, no daylight saving) to the one that ends the last (excluded).
    pub fn period(&self) -> (Option<jiff::Timestamp>, Option<jiff::Timestamp>) {
        fn day_starts(day: jiff::civil::Date) -> Option<jiff::Timestamp> {
            jiff::tz::Offset::constant(-5)
                .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
                .ok()
        }
        (
            ListParams::day(&self.desde).and_then(day_starts),
            ListParams::day(&self.hasta)
                .and_then(|d| d.tomorrow().ok())
                .and_then(day_starts),
        )
    }

    /// A filter's value, trimmed; `None` when empty.
    pub fn given(value: &str) -> Option<String> {
        Some(value.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The query string of these parameters with `changes` applied (an empty value drops
    /// the key), without the page when a change does not name it.
    pub fn query(&self, changes: &[(&str, &str)]) -> String {
        let page = self.page().to_string();
        let per_page = self.per_page().to_string();
        let mut pairs: Vec<(&str, &str)> = vec![
            ("q", self.q.trim()),
            ("municipio", self.municipio.trim()),
            ("estado", self.estado.trim()),
            ("tipo", self.tipo.trim()),
            ("accion", self.accion.trim()),
            ("autor", self.autor.trim()),
            ("entidad", self.entidad.trim()),
            ("motivo", self.motivo.trim()),
            ("nivel", self.nivel.trim()),
            ("proyecto", self.proyecto.trim()),
            ("unidad", self.unidad.trim()),
            ("desde", self.desde.trim()),
            ("hasta", self.hasta.trim()),
            ("concepto", self.concepto.trim()),
            ("sesion", self.sesion.trim()),
            ("departamento", self.departamento.trim()),
            ("orden", self.orden.trim()),
            (
                "por_pagina",
                if self.per_page() == vereda_store::lists::PAGE_SIZE {
                    ""
                } else {
                    &per_page
                },
            ),
            ("pagina", if changes.is_empty() { &page } else { "" }),
        ];
        for (key, value) in changes {
            match pairs.iter_mut().find(|(k, _)| k == key) {
                Some(pair) => pair.1 = value,
                None => pairs.push((key, value)),
            }
        }
        let text: Vec<String> = pairs
            .into_iter()
            .filter(|(key, value)| !(value.is_empty() || (*key == "pagina" && *value == "1")))
            .map(|(key, value)| format!("{key}={}", urlencode(value)))
            .collect();
        if text.is_empty() {
            String::new()
        } else {
            format!("?{}", text.join("&"))
        }
    }
}

/// One choice of a filter's select.
pub struct FilterOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A filter of a list: a select named by its query key.
pub struct FilterView {
    pub name: &'static str,
    pub label: String,
    pub options: Vec<FilterOption>,
}

impl FilterView {
    pub fn new(name: &'static str, label: &str, current: &str, options: Vec<(String, String)>) -> FilterView {
        FilterView {
            name,
            label: label.to_owned(),
            options: options
                .into_iter()
                .map(|(value, label)| FilterOption {
                    selected: value == current.trim(),
                    value,
                    label,
                })
                .collect(),
        }
    }
}

/// A date input of a list's filters (a period's first or last day).
pub struct DateInput {
    pub name: &'static str,
    pub label: String,
    pub value: String,
}

/// A column the list sorts by: its link sorts ascending, or descending when it is the sort.
pub struct SortLink {
    pub label: String,
    pub href: String,
    pub current: bool,
    pub descending: bool,
}

/// What `list_controls.html` shows.
pub struct ListView {
    /// The list's address (the form's action, the links' base).
    pub path: String,
    /// The search box's label: what the list's search finds.
    pub search_label: String,
    pub q: String,
    pub orden: String,
    pub por_pagina: String,
    pub filters: Vec<FilterView>,
    /// Date inputs after the filters (none for most lists).
    pub dates: Vec<DateInput>,
    pub sorts: Vec<SortLink>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    pub csv_href: String,
    pub xlsx_href: String,
    /// Whether the list offers its downloads.
    pub downloads: bool,
}

impl ListView {
    /// `sorts` pairs each sort code of the list with its catalogue key; `downloads` is the
    /// address of the download without its extension.
    pub fn new(
        lang: Lang,
        path: &str,
        downloads: &str,
        params: &ListParams,
        sorts: &[(&str, &str)],
        filters: Vec<FilterView>,
        total: u64,
    ) -> ListView {
        let per_page = params.per_page();
        let pages = total.div_ceil(per_page).max(1);
        let page = params.page().min(pages);
        let codes: Vec<&str> = sorts.iter().map(|(code, _)| *code).collect();
        let paging = params.paging(&codes);
        let sorts = sorts
            .iter()
            .map(|(code, key)| {
                let current = paging.sort == *code;
                let next = if current && !paging.descending {
                    format!("-{code}")
                } else {
                    (*code).to_owned()
                };
                SortLink {
                    label: lang.t(key).to_owned(),
                    href: format!("{path}{}", params.query(&[("orden", &next)])),
                    current,
                    descending: current && paging.descending,
                }
            })
            .collect();
        let at = |n: u64| format!("{path}{}", params.query(&[("pagina", &n.to_string())]));
        let filtered = params.query(&[("pagina", "")]);
        ListView {
            path: path.to_owned(),
            search_label: lang.t("list-search").to_owned(),
            q: params.q.trim().to_owned(),
            orden: params.orden.trim().to_owned(),
            por_pagina: if per_page == vereda_store::lists::PAGE_SIZE {
                String::new()
            } else {
                per_page.to_string()
            },
            filters,
            dates: Vec::new(),
            sorts,
            total,
            previous_href: (page > 1).then(|| at(page - 1)),
            next_href: (page < pages).then(|| at(page + 1)),
            page,
            pages,
            csv_href: format!("{downloads}.csv{filtered}"),
            xlsx_href: format!("{downloads}.xlsx{filtered}"),
            downloads: true,
        }
    }
}

impl ListView {
    /// The list with its own search box label (the default names a household's fields).
    pub fn searching(mut self, label: &str) -> ListView {
        label.clone_into(&mut self.search_label);
        self
    }

    /// The list without downloads (a page whose rows are figures read for the page).
    pub fn without_downloads(mut self) -> ListView {
        self.downloads = false;
        self
    }

    /// The list with a period's date inputs (`desde`, `hasta`) among its filters.
    pub fn with_period(mut self, lang: Lang, params: &ListParams) -> ListView {
        self.dates = vec![
            DateInput {
                name: "desde",
                label: lang.t("list-filter-desde").to_owned(),
                value: params.desde.trim().to_owned(),
            },
            DateInput {
                name: "hasta",
                label: lang.t("list-filter-hasta").to_owned(),
                value: params.hasta.trim().to_owned(),
            },
        ];
        self
    }
}

// ---- Downloads ----------------------------------------------------------------------------

/// Where a download's rows come from: chunk after chunk, until an empty one.
#[async_trait::async_trait]
pub trait ExportSource: Send + 'static {
    /// A row as the file's writer takes it: a list's cells, already in the reader's words and
    /// masked as the page masks them, or a typed record a file of its own writes.
    type Row: Send + 'static;
    async fn next_chunk(&mut self) -> Result<Vec<Self::Row>, AppError>;
}

/// A response body fed by a channel: each message a piece of the file.
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|piece| piece.map(|r| r.map(http_body::Frame::data)))
    }
}

fn csv_line(cells: &[String]) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(
            cells
                .iter()
                .map(|c| vereda_domain::text::spreadsheet_safe(c).into_owned()),
        )
        .map_err(|e| AppError::internal(&e))?;
    writer.into_inner().map_err(|e| AppError::internal(&e))
}

fn csv_lines(rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    rows.iter().try_fold(Vec::new(), |mut out, row| {
        out.extend(csv_line(row)?);
        Ok(out)
    })
}

/// The two files a list downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadFormat {
    Csv,
    Xlsx,
}

/// A list's download in `format`, named `{stem}.csv` or `{stem}.xlsx`.
pub async fn download(
    format: DownloadFormat,
    headers: Vec<String>,
    source: impl ExportSource<Row = Vec<String>>,
    stem: &str,
) -> Result<Response, AppError> {
    match format {
        DownloadFormat::Csv => csv_download(headers, source, &format!("{stem}.csv")),
        DownloadFormat::Xlsx => xlsx_download(headers, source, &format!("{stem}.xlsx")).await,
    }
}

/// The list as CSV, UTF-8 with a BOM (so a spreadsheet reads the accents), streamed.
pub fn csv_download(
    headers: Vec<String>,
    source: impl ExportSource<Row = Vec<String>>,
    file_name: &str,
) -> Result<Response, AppError> {
    let mut first = b"\xEF\xBB\xBF".to_vec();
    first.extend(csv_line(&headers)?);
    Ok(streamed(
        "text/csv; charset=utf-8",
        file_name,
        first,
        source,
        csv_lines,
    ))
}

/// Writes a chunk of rows as a piece of a text file.
pub type Encoder<R> = fn(&[R]) -> Result<Vec<u8>, AppError>;

/// A text file streamed as its rows are read: `first` (a header), then each chunk as `encode`
/// writes it, read from the database while the previous one travels; memory holds two chunks
/// whatever the file's length. A chunk that cannot be read ends the body with an error, so a
/// client never takes a cut file for a whole one.
pub fn streamed<S: ExportSource>(
    content_type: &'static str,
    file_name: &str,
    first: Vec<u8>,
    mut source: S,
    encode: Encoder<S::Row>,
) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        if sender.send(Ok(Bytes::from(first))).await.is_err() {
            return;
        }
        loop {
            let piece = match source.next_chunk().await {
                Ok(rows) if rows.is_empty() => return,
                Ok(rows) => encode(&rows),
                Err(e) => Err(e),
            };
            let piece = piece.map(Bytes::from).map_err(|e| {
                tracing::error!(error = ?e, "a download failed");
                std::io::Error::other("the rows could not be read")
            });
            let failed = piece.is_err();
            if sender.send(piece).await.is_err() || failed {
                return;
            }
        }
    });
    crate::downloads::attachment(content_type, file_name, Body::new(ChannelBody(receiver)))
}

/// How a workbook's one sheet is named, how wide its columns are and how a row is written.
pub struct SheetLayout<R> {
    pub name: Option<&'static str>,
    pub widths: &'static [(u16, f64)],
    pub write_row: fn(&mut rust_xlsxwriter::Worksheet, u32, &R) -> Result<(), rust_xlsxwriter::XlsxError>,
}

fn write_texts(
    sheet: &mut rust_xlsxwriter::Worksheet,
    line: u32,
    cells: &Vec<String>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (column, cell) in (0u16..).zip(cells) {
        sheet.write_string(line, column, cell)?;
    }
    Ok(())
}

/// The list as XLSX, its cells as text.
pub async fn xlsx_download(
    headers: Vec<String>,
    source: impl ExportSource<Row = Vec<String>>,
    file_name: &str,
) -> Result<Response, AppError> {
    let layout = SheetLayout {
        name: None,
        widths: &[],
        write_row: write_texts,
    };
    workbook_download(headers, source, layout, file_name).await
}

/// Rows as an XLSX workbook of one sheet, written a row at a time in constant memory to a
/// temporary file, then streamed from it.
pub async fn workbook_download<S: ExportSource>(
    headers: Vec<String>,
    mut source: S,
    layout: SheetLayout<S::Row>,
    file_name: &str,
) -> Result<Response, AppError> {
    let file = tempfile::NamedTempFile::new().map_err(|e| AppError::internal(&e))?;
    let path = file.path().to_owned();
    let handle = tokio::runtime::Handle::current();
    let written = tokio::task::spawn_blocking(move || -> Result<(), AppError> {
        let internal = |e: rust_xlsxwriter::XlsxError| AppError::internal(&e);
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(internal)?;
        if let Some(name) = layout.name {
            sheet.set_name(name).map_err(internal)?;
        }
        for (column, width) in layout.widths {
            sheet.set_column_width(*column, *width).map_err(internal)?;
        }
        for (column, title) in (0u16..).zip(&headers) {
            sheet
                .write_string_with_format(0, column, title, &bold)
                .map_err(internal)?;
        }
        let mut line = 1u32;
        loop {
            let rows = handle.block_on(source.next_chunk())?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                (layout.write_row)(sheet, line, row).map_err(internal)?;
                line += 1;
            }
        }
        workbook.save(&path).map_err(internal)
    })
    .await
    .map_err(|e| AppError::internal(&e))?;
    written?;
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        // The temporary file lives until it has been read out.
        let file = file;
        let Ok(mut reader) = tokio::fs::File::open(file.path()).await else {
            let _ = sender
                .send(Err(std::io::Error::other("the workbook is gone")))
                .await;
            return;
        };
        loop {
            let mut buffer = vec![0u8; 64 * 1024];
            match reader.read(&mut buffer).await {
                Ok(0) => return,
                Ok(n) => {
                    buffer.truncate(n);
                    if sender.send(Ok(Bytes::from(buffer))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    Ok(crate::downloads::attachment(
        crate::downloads::XLSX,
        file_name,
        Body::new(ChannelBody(receiver)),
    ))
}
