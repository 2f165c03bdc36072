//! The documents received from a call's households (Art. 11, issue 18 part 2):
//! `/personal/convocatorias/{id}/documentos`, on the list machinery (paged, searched, filtered
//! by kind, municipality and the day received, sorted, `documentos.csv|xlsx` with the current
//! filter), each with where its household stands on the Art. 14 term as the verification reads
//! it (`vereda_store::lists::CallDocument`). Reading needs `ViewHouseholds`, within reach.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use vereda_domain::verification::DocumentKind;
use vereda_store::lists::{CallDocument, DocumentList};
use vereda_store::programs::Call;

use super::staff::{call_to_list, municipality_filter};
use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::lists::{DownloadFormat, ExportSource, FilterView, ListParams, ListView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/convocatorias/{id}/documentos", get(documents))
        .route(
            "/personal/convocatorias/{id}/documentos.csv",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    documents_download(state, visitor, id, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/convocatorias/{id}/documentos.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    documents_download(state, visitor, id, params, DownloadFormat::Xlsx)
                },
            ),
        )
}

/// The sorts of a call's documents and their catalogue keys.
const DOCUMENT_SORTS: [(&str, &str); 3] = [
    ("fecha", "list-documents-sort-fecha"),
    ("tipo", "list-documents-sort-tipo"),
    ("hogar", "list-sort-registro"),
];

/// One document as the page and the downloads show it, in the reader's words.
struct DocumentLine {
    id: i32,
    household_id: i32,
    external_id: String,
    head_name: String,
    municipality_code: String,
    kind_code: String,
    kind: String,
    file_name: String,
    /// The day received, as the language writes it.
    received_on: String,
    /// `YYYY-MM-DD`, the same day.
    received_day: String,
    received_by: String,
    status_code: String,
    status: String,
    missing: String,
    withdrawal_due: bool,
}

fn document_line(lang: Lang, d: CallDocument) -> DocumentLine {
    let day = d.received_on;
    DocumentLine {
        id: d.id,
        household_id: d.household_id,
        external_id: d.external_id,
        head_name: d.head_name,
        municipality_code: d.municipality_code,
        kind_code: d.kind.to_string(),
        kind: lang.t(&format!("verification-doc-{}", d.kind)).to_owned(),
        file_name: d.file_name,
        received_on: lang.date(day),
        received_day: day.to_string(),
        received_by: d.received_by.unwrap_or_default(),
        status_code: d.status.to_string(),
        status: lang.t(&format!("verification-status-{}", d.status)).to_owned(),
        missing: d
            .missing
            .iter()
            .map(|k| lang.t(&format!("verification-doc-{k}")).to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        withdrawal_due: d.withdrawal_due,
    }
}

/// The Art. 14 term of the call, once its offer is notified: its last day and the business
/// days left on today (negative once passed), as the inbox counts them.
struct Term {
    deadline: String,
    deadline_day: String,
    days: i64,
    days_text: String,
}

#[derive(Template)]
#[template(path = "call_documents.html")]
struct DocumentsPage {
    chrome: Chrome,
    call: Call,
    term: Option<Term>,
    documents: Vec<DocumentLine>,
    list: ListView,
}

/// The documents of call `id` the parameters ask for, within the reader's reach.
async fn document_list(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<DocumentList, AppError> {
    let codes: Vec<&str> = DOCUMENT_SORTS.iter().map(|(code, _)| *code).collect();
    Ok(DocumentList {
        kind: ListParams::given(&params.tipo),
        municipality: ListParams::given(&params.municipio),
        from: ListParams::day(&params.desde),
        until: ListParams::day(&params.hasta),
        paging: params.paging(&codes),
        ..DocumentList::of_call(id, visitor.reach(&state.store).await?)
    })
}

/// The kinds of documents as a list's filter.
fn kind_filter(lang: Lang, current: &str) -> FilterView {
    FilterView::new(
        "tipo",
        lang.t("list-documents-filter-tipo"),
        current,
        DocumentKind::ALL
            .iter()
            .map(|k| (k.to_string(), lang.t(&format!("verification-doc-{k}")).to_owned()))
            .collect(),
    )
}

async fn documents(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let call = call_to_list(&state, &visitor, id).await?;
    let lang = visitor.lang;
    let today = state.config.today();
    let list = document_list(&state, &visitor, id, &params).await?;
    let found = state.store.document_list(&list, today).await?;
    let term = state.store.offer_notice(id).await?.map(|notice| {
        let deadline =
            vereda_domain::inbox::Deadline::on(notice.deadline, today, vereda_domain::calendar::current());
        let days = deadline.business_days_left;
        let (key, count) = if days < 0 {
            ("inbox-days_late", -days)
        } else {
            ("inbox-days_left", days)
        };
        Term {
            deadline: lang.date(notice.deadline),
            deadline_day: notice.deadline.to_string(),
            days,
            days_text: lang.t_with(key, &[("days", crate::i18n::Arg::Count(count))]),
        }
    });
    let path = format!("/personal/convocatorias/{id}/documentos");
    let filters = vec![
        kind_filter(lang, &params.tipo),
        municipality_filter(&state, &visitor, id, &params).await?,
    ];
    render(&DocumentsPage {
        list: ListView::new(lang, &path, &path, &params, &DOCUMENT_SORTS, filters, found.total)
            .with_period(lang, &params),
        documents: found.rows.into_iter().map(|d| document_line(lang, d)).collect(),
        term,
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A call's documents for a download: the page's filter, search and sort, a chunk at a time
/// by keyset.
struct DocumentExport {
    state: AppState,
    list: DocumentList,
    today: jiff::civil::Date,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for DocumentExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self.state.store.document_rows(&self.list, self.today).await?;
        if let Some(last) = rows.last() {
            self.list.paging.after = Some(last.id);
        }
        let lang = self.lang;
        Ok(rows
            .into_iter()
            .map(|d| {
                let line = document_line(lang, d);
                vec![
                    line.id.to_string(),
                    line.external_id,
                    line.head_name,
                    line.municipality_code,
                    line.kind,
                    line.file_name,
                    line.received_day,
                    line.received_by,
                    line.status,
                    lang.t(if line.withdrawal_due {
                        "common-yes"
                    } else {
                        "common-no"
                    })
                    .to_owned(),
                    line.missing,
                ]
            })
            .collect())
    }
}

/// The columns of a call's documents download, in the reader's language.
fn document_headers(lang: Lang) -> Vec<String> {
    [
        "list-documents-column-id",
        "verification-household",
        "households-head",
        "municipalities-code",
        "verification-kind",
        "verification-file",
        "list-documents-sort-fecha",
        "list-documents-column-received_by",
        "verification-status_title",
        "verification-withdrawal_due",
        "verification-missing",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

/// A call's documents as a file in `format`, with the page's filter, search and sort.
async fn documents_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    call_to_list(&state, &visitor, id).await?;
    let mut list = document_list(&state, &visitor, id, &params).await?;
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    list.paging.after = None;
    let source = DocumentExport {
        today: state.config.today(),
        state,
        list,
        lang: visitor.lang,
    };
    crate::lists::download(
        format,
        document_headers(visitor.lang),
        source,
        &format!("call-{id}-documents"),
    )
    .await
}
