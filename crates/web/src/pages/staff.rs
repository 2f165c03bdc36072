//! The staff area: dashboard, calls, households and the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_store::audit::{AuditEntry, AuditQuery};
use vereda_store::households::HouseholdSummary;
use vereda_store::programs::Call;

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal", get(dashboard))
        .route("/personal/convocatorias", get(calls))
        .route("/personal/convocatorias/{id}/hogares", get(households))
        .route("/personal/auditoria", get(audit))
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
}

async fn households(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let (call, households) = households_of_call(&state, &visitor, id).await?;
    render(&HouseholdsPage {
        households,
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A call's households within the reader's reach, their personal data masked unless the role
/// sees it whole (`ViewFullDocuments`): the page and the API list the same.
pub(crate) async fn households_of_call(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
) -> Result<(Call, Vec<HouseholdSummary>), AppError> {
    households_of_call_after(state, visitor, id, None, None).await
}

/// A page of a call's households by id (the API's list): those after `after`, at most `limit`.
pub(crate) async fn households_of_call_after(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    after: Option<i32>,
    limit: Option<u64>,
) -> Result<(Call, Vec<HouseholdSummary>), AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let call = state
        .store
        .call(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let reach = visitor.reach(&state.store).await?;
    let mut households = state
        .store
        .households_page(Some(call.id), &reach, after, limit)
        .await?;
    if !visitor.can(Permission::ViewFullDocuments) {
        for household in &mut households {
            mask_household(household);
        }
    }
    Ok((call, households))
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

#[derive(Deserialize)]
struct AuditFilter {
    entity: Option<String>,
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditEntry>,
    entity: String,
    older: Option<i64>,
}

const AUDIT_PAGE_SIZE: u64 = 50;

async fn audit(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewAuditLog)?;
    let entity = filter.entity.filter(|e| !e.trim().is_empty());
    let entries = state
        .store
        .audit_entries(&AuditQuery {
            entity: entity.clone(),
            entity_id: None,
            before_id: filter.before,
            limit: AUDIT_PAGE_SIZE,
        })
        .await?;
    let sees = visitor.can(Permission::ViewFullDocuments);
    let entries: Vec<AuditEntry> = entries.into_iter().map(|e| e.masked(sees)).collect();
    let older = (entries.len() as u64 == AUDIT_PAGE_SIZE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    render(&AuditPage {
        entries,
        entity: entity.unwrap_or_default(),
        older,
        chrome: Chrome::new(&visitor).await?,
    })
}
