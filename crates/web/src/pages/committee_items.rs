//! The projects put before the committee (Art. 23-24, issue 18 part 2):
//! `/personal/comite/proyectos`, every agenda item with its session, project, municipality,
//! concept and pending objections, on the list machinery (paged, searched over the project's
//! code and title, filtered by concept, session state, department, municipality and the
//! session's day, sorted, `proyectos.csv|xlsx` with the current filter). Reading needs
//! `ViewStaffArea`, as the sessions do; the items are those within the reader's reach.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use vereda_domain::accounts::Permission;
use vereda_store::lists::{COMMITTEE_CONCEPTS, CommitteeItem, CommitteeItemList, SESSION_STATES};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::lists::{DownloadFormat, ExportSource, FilterView, ListParams, ListView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/comite/proyectos", get(items))
        .route(
            "/personal/comite/proyectos.csv",
            get(
                |state: State<AppState>, visitor: Visitor, params: Query<ListParams>| {
                    items_download(state, visitor, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/comite/proyectos.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, params: Query<ListParams>| {
                    items_download(state, visitor, params, DownloadFormat::Xlsx)
                },
            ),
        )
}

/// The sorts of the committee's items and their catalogue keys.
const ITEM_SORTS: [(&str, &str); 3] = [
    ("fecha", "list-committee-sort-fecha"),
    ("proyecto", "list-committee-sort-proyecto"),
    ("concepto", "list-committee-sort-concepto"),
];

/// A concept's catalogue key (`pending`: none yet).
fn concept_key(concept: &str) -> &'static str {
    match concept {
        "positive" => "procedure-concept_positive",
        "negative" => "procedure-concept_negative",
        _ => "procedure-concept_pending",
    }
}

/// A session state's catalogue key.
fn session_key(state: &str) -> &'static str {
    match state {
        "closed" => "list-committee-session-closed",
        _ => "list-committee-session-open",
    }
}

/// One item as the page and the downloads show it, in the reader's words.
struct ItemLine {
    id: i32,
    session_id: i32,
    held_on: String,
    held_day: String,
    place: String,
    session_code: &'static str,
    session: String,
    formulation_id: i32,
    code: String,
    title: String,
    municipality_code: String,
    municipality: String,
    version_number: i32,
    concept_code: &'static str,
    concept: String,
    pending_objections: u64,
}

fn item_line(lang: Lang, item: CommitteeItem) -> ItemLine {
    let concept_code = item.concept.map_or("pending", |c| c.as_str());
    let session_code = if item.closed { "closed" } else { "open" };
    ItemLine {
        id: item.id,
        session_id: item.session_id,
        held_on: lang.date(item.held_on),
        held_day: item.held_on.to_string(),
        place: item.place,
        session_code,
        session: lang.t(session_key(session_code)).to_owned(),
        formulation_id: item.formulation_id,
        code: item.code,
        title: item.title,
        municipality: crate::evaluation::municipality_name(&item.municipality_code),
        municipality_code: item.municipality_code,
        version_number: item.version_number,
        concept_code,
        concept: lang.t(concept_key(concept_code)).to_owned(),
        pending_objections: item.pending_objections,
    }
}

#[derive(Template)]
#[template(path = "committee_items.html")]
struct ItemsPage {
    chrome: Chrome,
    items: Vec<ItemLine>,
    list: ListView,
}

/// The items the parameters ask for, within the reader's reach.
async fn item_list(
    state: &AppState,
    visitor: &Visitor,
    params: &ListParams,
) -> Result<CommitteeItemList, AppError> {
    let codes: Vec<&str> = ITEM_SORTS.iter().map(|(code, _)| *code).collect();
    Ok(CommitteeItemList {
        reach: visitor.reach(&state.store).await?,
        concept: ListParams::given(&params.concepto),
        session_state: ListParams::given(&params.sesion),
        department: ListParams::given(&params.departamento),
        municipality: ListParams::given(&params.municipio),
        from: ListParams::day(&params.desde),
        until: ListParams::day(&params.hasta),
        paging: params.paging(&codes),
        after: None,
    })
}

async fn items(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let lang = visitor.lang;
    let list = item_list(&state, &visitor, &params).await?;
    let found = state.store.committee_item_list(&list).await?;
    let municipalities = state.store.committee_municipalities(&list.reach).await?;
    let mut departments: Vec<String> = municipalities
        .iter()
        .filter_map(|code| code.get(..2).map(str::to_owned))
        .collect();
    departments.dedup();
    let filters = vec![
        FilterView::new(
            "concepto",
            lang.t("list-committee-filter-concepto"),
            &params.concepto,
            COMMITTEE_CONCEPTS
                .iter()
                .map(|c| ((*c).to_owned(), lang.t(concept_key(c)).to_owned()))
                .collect(),
        ),
        FilterView::new(
            "sesion",
            lang.t("list-committee-filter-sesion"),
            &params.sesion,
            SESSION_STATES
                .iter()
                .map(|s| ((*s).to_owned(), lang.t(session_key(s)).to_owned()))
                .collect(),
        ),
        FilterView::new(
            "departamento",
            lang.t("list-committee-filter-departamento"),
            &params.departamento,
            departments
                .into_iter()
                .map(|code| {
                    let name = super::projects::department_name(&code);
                    (code, name)
                })
                .collect(),
        ),
        FilterView::new(
            "municipio",
            lang.t("list-filter-municipio"),
            &params.municipio,
            municipalities
                .into_iter()
                .map(|code| {
                    let name = crate::evaluation::municipality_name(&code);
                    let label = if name.is_empty() { code.clone() } else { name };
                    (code, label)
                })
                .collect(),
        ),
    ];
    let path = "/personal/comite/proyectos";
    render(&ItemsPage {
        list: ListView::new(lang, path, path, &params, &ITEM_SORTS, filters, found.total)
            .searching(lang.t("list-search-formulations"))
            .with_period(lang, &params),
        items: found.rows.into_iter().map(|i| item_line(lang, i)).collect(),
        chrome: Chrome::new(&visitor).await?,
    })
}

/// The committee's items for a download: the page's filter, search and sort, a chunk at a
/// time by keyset (the last item's sort value and id).
struct ItemExport {
    state: AppState,
    list: CommitteeItemList,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for ItemExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self.state.store.committee_item_rows(&self.list).await?;
        if let Some(last) = rows.last() {
            self.list.after = Some((last.sort_key(&self.list.paging.sort), last.id));
        }
        let lang = self.lang;
        Ok(rows
            .into_iter()
            .map(|i| {
                let line = item_line(lang, i);
                vec![
                    line.id.to_string(),
                    line.session_id.to_string(),
                    line.held_day,
                    line.place,
                    line.session,
                    line.code,
                    line.title,
                    line.municipality_code,
                    line.municipality,
                    line.version_number.to_string(),
                    line.concept,
                    line.pending_objections.to_string(),
                ]
            })
            .collect())
    }
}

/// The columns of the committee's items download, in the reader's language.
fn item_headers(lang: Lang) -> Vec<String> {
    [
        "list-committee-column-id",
        "list-committee-column-session",
        "list-committee-sort-fecha",
        "committee-place",
        "list-committee-filter-sesion",
        "list-sort-codigo",
        "list-sort-titulo",
        "municipalities-code",
        "list-filter-municipio",
        "list-committee-column-version",
        "list-committee-sort-concepto",
        "list-committee-column-objections",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

/// The committee's items as a file in `format`, with the page's filter, search and sort.
async fn items_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let mut list = item_list(&state, &visitor, &params).await?;
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    let source = ItemExport {
        state,
        list,
        lang: visitor.lang,
    };
    crate::lists::download(format, item_headers(visitor.lang), source, "committee-items").await
}
