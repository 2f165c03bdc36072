//! The staff area: dashboard, calls, households and the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::audit::AuditAction;
use vereda_store::audit::AuditEntry;
use vereda_store::households::HouseholdSummary;
use vereda_store::programs::Call;

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;
use crate::lists::{DownloadFormat, ExportSource, FilterView, ListParams, ListView};
use vereda_store::lists::{AuditList, HouseholdList};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal", get(dashboard))
        .route("/personal/convocatorias", get(calls))
        .route("/personal/convocatorias/{id}/hogares", get(households))
        .route(
            "/personal/convocatorias/{id}/hogares.csv",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    households_download(state, visitor, id, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/convocatorias/{id}/hogares.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    households_download(state, visitor, id, params, DownloadFormat::Xlsx)
                },
            ),
        )
        .route("/personal/auditoria", get(audit))
        .route(
            "/personal/auditoria.csv",
            get(
                |state: State<AppState>,
                 visitor: Visitor,
                 params: Query<ListParams>,
                 legacy: Query<LegacyAudit>| {
                    audit_download(state, visitor, params, legacy, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/auditoria.xlsx",
            get(
                |state: State<AppState>,
                 visitor: Visitor,
                 params: Query<ListParams>,
                 legacy: Query<LegacyAudit>| {
                    audit_download(state, visitor, params, legacy, DownloadFormat::Xlsx)
                },
            ),
        )
}

#[derive(Template)]
#[template(path = "staff.html")]
struct DashboardPage {
    chrome: Chrome,
    role: String,
    calls: Vec<Call>,
    /// The account's work inbox, most pressing first (issue 18 part 1).
    items: Vec<crate::inbox::ItemView>,
    counts: Vec<(&'static str, String, usize)>,
    overdue: usize,
    soon: u32,
}

/// The home of every staff account: its work inbox, then the links to every area.
async fn dashboard(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    let account = visitor.require(Permission::ViewStaffArea)?;
    let soon = crate::inbox::soon(&state.config);
    let inbox = state
        .store
        .inbox(&account.actor(), state.config.today(), soon)
        .await?;
    render(&DashboardPage {
        items: crate::inbox::views(visitor.lang, &inbox),
        counts: crate::inbox::counts(visitor.lang, &inbox),
        overdue: inbox.overdue,
        soon,
        role: visitor.lang.t(&format!("role-{}", account.role)).to_owned(),
        calls: state
            .store
            .calls_within(&visitor.reach(&state.store).await?)
            .await?,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    chrome: Chrome,
    calls: Vec<Call>,
    can_manage: bool,
}

async fn calls(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ViewCalls)?;
    render(&CallsPage {
        calls: state
            .store
            .calls_within(&visitor.reach(&state.store).await?)
            .await?,
        can_manage: visitor.can(Permission::ManageCalls),
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    chrome: Chrome,
    call: Call,
    households: Vec<HouseholdSummary>,
    list: ListView,
}

/// The sorts of the households page and their catalogue keys.
pub(crate) const HOUSEHOLD_SORTS: [(&str, &str); 4] = [
    ("registro", "list-sort-registro"),
    ("nombre", "list-sort-nombre"),
    ("hogar", "list-sort-hogar"),
    ("municipio", "list-sort-municipio"),
];

async fn households(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let call = call_to_list(&state, &visitor, id).await?;
    let list = household_list(&state, &visitor, id, &params).await?;
    let found = state.store.household_list(&list).await?;
    let households = masked_for(&visitor, found.rows);
    let path = format!("/personal/convocatorias/{id}/hogares");
    let filters = vec![municipality_filter(&state, &visitor, id, &params).await?];
    render(&HouseholdsPage {
        list: ListView::new(
            visitor.lang,
            &path,
            &path,
            &params,
            &HOUSEHOLD_SORTS,
            filters,
            found.total,
        ),
        households,
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A call a list of it is read from: `ViewHouseholds`, and 404 for an unknown call.
pub(crate) async fn call_to_list(state: &AppState, visitor: &Visitor, id: i32) -> Result<Call, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    state
        .store
        .call(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// The households of call `id` the parameters ask for, within the reader's reach: the
/// households page, the verification page and the API read alike.
pub(crate) async fn household_list(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<HouseholdList, AppError> {
    let codes: Vec<&str> = HOUSEHOLD_SORTS.iter().map(|(code, _)| *code).collect();
    Ok(HouseholdList {
        municipality: ListParams::given(&params.municipio),
        status: ListParams::given(&params.estado).and_then(|s| s.parse().ok()),
        paging: params.paging(&codes),
        ..HouseholdList::of_call(id, visitor.reach(&state.store).await?)
    })
}

/// The municipalities of a call's households within the reader's reach, as a filter.
pub(crate) async fn municipality_filter(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<FilterView, AppError> {
    let reach = visitor.reach(&state.store).await?;
    let codes = state.store.call_municipalities(id, &reach).await?;
    Ok(FilterView::new(
        "municipio",
        visitor.lang.t("list-filter-municipio"),
        &params.municipio,
        codes
            .into_iter()
            .map(|code| {
                let name = crate::evaluation::municipality_name(&code);
                let label = if name.is_empty() { code.clone() } else { name };
                (code, label)
            })
            .collect(),
    ))
}

/// Households as the reader may see them: masked unless the role sees whole documents.
pub(crate) fn masked_for(visitor: &Visitor, mut households: Vec<HouseholdSummary>) -> Vec<HouseholdSummary> {
    if !visitor.can(Permission::ViewFullDocuments) {
        for household in &mut households {
            mask_household(household);
        }
    }
    households
}

/// The columns of a households download, in the reader's language.
fn household_headers(lang: Lang) -> Vec<String> {
    [
        "households-id",
        "households-head",
        "households-document",
        "municipalities-code",
        "households-sisben",
        "households-displaced",
        "households-ethnic",
        "households-members",
        "households-parcels",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

/// A call's households for a download: the page's filter, search and sort, a chunk at a time
/// by keyset.
struct HouseholdExport {
    state: AppState,
    list: HouseholdList,
    sees_whole: bool,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for HouseholdExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let mut rows = self.state.store.household_rows(&self.list).await?;
        if let Some(last) = rows.last() {
            self.list.paging.after = Some(last.id);
        }
        let lang = self.lang;
        if !self.sees_whole {
            rows.iter_mut().for_each(mask_household);
        }
        Ok(rows
            .into_iter()
            .map(|h| {
                vec![
                    h.external_id,
                    h.head_name,
                    format!("{} {}", h.head_document_type, h.head_document),
                    h.municipality_code,
                    h.sisben_score.map(|s| lang.amount(&s)).unwrap_or_default(),
                    lang.t(if h.displaced { "common-yes" } else { "common-no" })
                        .to_owned(),
                    h.ethnic_group,
                    h.members.to_string(),
                    h.parcels.to_string(),
                ]
            })
            .collect())
    }
}

/// A list's parameters for a download: its filter, search and sort, from the first row, a
/// chunk at a time (each chunk after the last row of the one before).
pub(crate) fn for_download(mut list: HouseholdList) -> HouseholdList {
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    list.paging.after = None;
    list
}

/// A call's households as a file in `format`, with the page's filter, search and sort.
async fn households_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    call_to_list(&state, &visitor, id).await?;
    let list = for_download(household_list(&state, &visitor, id, &params).await?);
    let source = HouseholdExport {
        state,
        list,
        sees_whole: visitor.can(Permission::ViewFullDocuments),
        lang: visitor.lang,
    };
    crate::lists::download(
        format,
        household_headers(visitor.lang),
        source,
        &format!("call-{id}-households"),
    )
    .await
}

/// A page of a call's households for the API: the page's parameters, and a keyset cursor
/// (`after`, a household id) in registration order. Personal data masked as on the page.
pub(crate) async fn households_of_call_after(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
    after: Option<i32>,
    limit: u64,
) -> Result<(Call, Vec<HouseholdSummary>), AppError> {
    let call = call_to_list(state, visitor, id).await?;
    let mut list = household_list(state, visitor, id, params).await?;
    if after.is_some() {
        list.paging.sort = String::new();
        list.paging.descending = false;
        list.paging.after = after;
    }
    list.paging.per_page = limit;
    let households = state.store.household_rows(&list).await?;
    Ok((call, masked_for(visitor, households)))
}

/// A household as a role without `ViewFullDocuments` reads it (Ley 1581 de 2012): the document
/// keeps its last characters, the score and the contact are hidden.
pub(crate) fn mask_household(household: &mut HouseholdSummary) {
    use vereda_domain::privacy::PersonalField;
    household.head_document = vereda_domain::household::mask_document(&household.head_document);
    household.sisben_score = None;
    household.email = household.email.as_deref().map(|e| PersonalField::Email.mask(e));
    household.correspondence_address =
        (household.correspondence_address.as_deref()).map(|a| PersonalField::Address.mask(a));
}

/// What the audit log's page and downloads read before: `entity` (old links keep it).
#[derive(Deserialize)]
struct LegacyAudit {
    entity: Option<String>,
}

/// One entry as the page shows it.
struct AuditLine {
    entry: AuditEntry,
    action: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditLine>,
    list: ListView,
}

/// The sorts of the audit log and their catalogue keys.
const AUDIT_SORTS: [(&str, &str); 3] = [
    ("fecha", "list-sort-fecha"),
    ("autor", "list-audit-sort-autor"),
    ("entidad", "list-audit-sort-entidad"),
];

/// The entries the parameters ask for: action, account, table, the period's days (Colombian
/// dates, the last one included), search and sort.
fn audit_list(params: &ListParams, legacy: &LegacyAudit) -> AuditList {
    let codes: Vec<&str> = AUDIT_SORTS.iter().map(|(code, _)| *code).collect();
    let entity =
        ListParams::given(&params.entidad).or_else(|| legacy.entity.as_deref().and_then(ListParams::given));
    let (from, until) = params.period();
    AuditList {
        action: ListParams::given(&params.accion),
        actor_user_id: params.autor.trim().parse().ok(),
        entity,
        from,
        until,
        paging: params.paging(&codes),
        after: None,
    }
}

/// An action's words (the code itself when the catalogue has none).
fn action_label(lang: Lang, action: AuditAction) -> String {
    lang.t(&format!("list-audit-action-{action}")).to_owned()
}

async fn audit(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
    Query(legacy): Query<LegacyAudit>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewAuditLog)?;
    let lang = visitor.lang;
    let list = audit_list(&params, &legacy);
    let found = state.store.audit_list(&list).await?;
    let sees = visitor.can(Permission::ViewFullDocuments);
    let entries = found
        .rows
        .into_iter()
        .map(|e| AuditLine {
            action: action_label(lang, e.action),
            entry: e.masked(sees),
        })
        .collect();
    let actions = AuditAction::ALL
        .iter()
        .map(|a| (a.as_str().to_owned(), action_label(lang, *a)))
        .collect();
    let accounts = state
        .store
        .accounts()
        .await?
        .into_iter()
        .map(|a| (a.id.to_string(), a.email))
        .collect();
    let entities = state
        .store
        .audit_entities()
        .await?
        .into_iter()
        .map(|e| (e.clone(), e))
        .collect();
    let entity = list.entity.clone().unwrap_or_default();
    let filters = vec![
        FilterView::new(
            "accion",
            lang.t("list-audit-filter-accion"),
            &params.accion,
            actions,
        ),
        FilterView::new(
            "autor",
            lang.t("list-audit-filter-autor"),
            &params.autor,
            accounts,
        ),
        FilterView::new("entidad", lang.t("audit-entity"), &entity, entities),
    ];
    let path = "/personal/auditoria";
    render(&AuditPage {
        list: ListView::new(lang, path, path, &params, &AUDIT_SORTS, filters, found.total)
            .searching(lang.t("list-audit-search"))
            .with_period(lang, &params),
        entries,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// The audit log for a download: the page's filter, search and sort, a chunk at a time by
/// keyset, masked as the page masks it.
struct AuditExport {
    state: AppState,
    list: AuditList,
    sees_whole: bool,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for AuditExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self.state.store.audit_rows(&self.list).await?;
        if let Some(last) = rows.last() {
            self.list.after = Some(last.id);
        }
        let lang = self.lang;
        let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|e| {
                let e = e.masked(self.sees_whole);
                vec![
                    e.id.to_string(),
                    e.at.to_string(),
                    e.actor,
                    e.entity,
                    e.entity_id,
                    e.action.as_str().to_owned(),
                    action_label(lang, e.action),
                    json(e.before),
                    json(e.after),
                ]
            })
            .collect())
    }
}

/// The columns of the audit log's download, in the reader's language.
fn audit_headers(lang: Lang) -> Vec<String> {
    [
        "list-audit-column-id",
        "audit-when",
        "audit-who",
        "audit-entity",
        "list-audit-column-entity_id",
        "list-audit-column-code",
        "audit-action",
        "audit-before",
        "audit-after",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

/// The audit log as a file in `format`, with the page's filter, search and sort.
async fn audit_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
    Query(legacy): Query<LegacyAudit>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewAuditLog)?;
    let mut list = audit_list(&params, &legacy);
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    let source = AuditExport {
        state,
        list,
        sees_whole: visitor.can(Permission::ViewFullDocuments),
        lang: visitor.lang,
    };
    crate::lists::download(format, audit_headers(visitor.lang), source, "audit-log").await
}
