//! Staff lists at any size (issue 15 part 3, issue 18 part 2): a call's households, their
//! verification and their letters, each read one page at a time with the reader's reach, the
//! filters, the search and the sort in the query. What a page shows beside its rows (a
//! household's head, its documents, its verification) is read with the page's own query as a
//! subquery: no list of ids is sent to the database, except a page's own keys (read first by
//! the index of its sort, then its rows by them: `page_keys`) and where a page's own rows name a
//! few other records (a call's documents their households, the committee's items their
//! sessions and formulations), read by those ids, at most a page's.
//!
//! Search is accent- and case-insensitive: the words typed are folded by
//! `vereda_domain::text::fold_for_search` and each must appear in `households.search_key`
//! (folded alike when the household is written). A list's order is always (its sort column,
//! id), both the same way: pages are read with LIMIT/OFFSET (the offset bounded by
//! [`MAX_OFFSET`]) or by keyset (`after`: the rows after a row in that order, as downloads
//! walk a list in the order of its page). The rest of a page is read with the page's rows as
//! a keyset range (from its first row to its last), not with its OFFSET again.

use std::collections::HashMap;

use jiff::civil::Date;
use sea_orm::sea_query::{Alias, BinOper, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use vereda_domain::accounts::Reach;
use vereda_domain::verification::VerificationStatus;

use crate::audit::{AuditEntry, entry_from_row};
use crate::entity::{
    agenda_item, audit_entry, committee_session, formulation, household, household_document,
    household_verification, indicator, indicator_measurement, letter, parcel, person, project,
};
use crate::formulations::{FormulationLine, formulation_lines};
use crate::households::{HouseholdSummary, summaries};
use crate::verification::{HouseholdVerification, LetterRecord, assemble, document_from, letter_from};
use crate::{Store, StoreResult};

/// Rows a page shows unless asked otherwise.
pub const PAGE_SIZE: u64 = 50;
/// The most rows one read returns (a page, or a chunk of a download).
pub const MAX_PAGE_SIZE: u64 = 1000;
/// The deepest offset a sorted page reaches: deeper pages show the last one allowed.
pub const MAX_OFFSET: u64 = 2_000_000;

/// Which page of a list, searched and sorted how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    /// The words typed, as typed (folded here).
    pub search: String,
    /// A sort code the list knows (see each list's `SORTS`); empty or unknown: its default.
    pub sort: String,
    pub descending: bool,
    /// 1-based; 0 is 1.
    pub page: u64,
    /// 0 is [`PAGE_SIZE`]; at most [`MAX_PAGE_SIZE`].
    pub per_page: u64,
    /// Keyset paging: only the rows after the row of this id, in the list's order (its sort
    /// and direction, then the id); the offset is then 0.
    pub after: Option<i32>,
}

impl Paging {
    pub fn limit(&self) -> u64 {
        match self.per_page {
            0 => PAGE_SIZE,
            n => std::cmp::min(n, MAX_PAGE_SIZE),
        }
    }

    /// The rows before the page: none when walking by keyset (`after`).
    pub fn offset(&self) -> u64 {
        if self.after.is_some() {
            return 0;
        }
        std::cmp::min(
            self.page.saturating_sub(1).saturating_mul(self.limit()),
            MAX_OFFSET,
        )
    }

    fn order(&self) -> Order {
        order_of(self.descending)
    }
}

/// A page of a list and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
}

/// The words of `search`, folded, each a `LIKE` on `column`.
pub(crate) fn search_condition(column: impl ColumnTrait, search: &str) -> Condition {
    vereda_domain::text::fold_for_search(search)
        .split_whitespace()
        .fold(Condition::all(), |all, word| {
            let pattern = format!("%{}%", crate::like_escaped(word));
            all.add(column.like(LikeExpr::new(pattern).escape('\\')))
        })
}

/// `column` lowered with the Spanish accents taken off, in SQL (SQLite's `LOWER` knows ASCII
/// only): what [`search_condition`] compares with when a table keeps no folded key.
pub(crate) fn folded(column: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    const ACCENTS: [(&str, &str); 14] = [
        ("á", "a"),
        ("é", "e"),
        ("í", "i"),
        ("ó", "o"),
        ("ú", "u"),
        ("ü", "u"),
        ("ñ", "n"),
        ("Á", "a"),
        ("É", "e"),
        ("Í", "i"),
        ("Ó", "o"),
        ("Ú", "u"),
        ("Ü", "u"),
        ("Ñ", "n"),
    ];
    let plain = ACCENTS.iter().fold(Expr::col(column), |text, (from, to)| {
        Func::cust("REPLACE").arg(text).arg(*from).arg(*to).into()
    });
    Func::lower(plain).into()
}

/// Where a row stands against the row `anchor` in a list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// Strictly after it (the next chunk of a download).
    After,
    /// It or after it (a page's first row).
    From,
    /// It or before it (a page's last row).
    UpTo,
}

/// The rows on `side` of the row `anchor` in the order (`sort`, `id`), both `descending` or
/// not: a keyset, compared as a row value with the anchor's own values read in a subquery, so
/// the index on (…, sort column, id) serves it and no value travels but the anchor's id.
pub(crate) fn keyset<C: ColumnTrait>(
    sort: Option<C>,
    id: C,
    descending: bool,
    anchor: i64,
    side: Side,
) -> Condition {
    let operator = side.operator(descending);
    let table = id.entity_name();
    let expression = match sort {
        None => Expr::col((table, id)).binary(operator, Expr::val(anchor)),
        Some(sort) => {
            let alias = Alias::new("anchor");
            let anchor_row = Query::select()
                .column((alias.clone(), sort))
                .column((alias.clone(), id))
                .from_as(table.clone(), alias.clone())
                .and_where(Expr::col((alias, id)).eq(anchor))
                .to_owned();
            Expr::tuple([Expr::col((table.clone(), sort)), Expr::col((table, id))])
                .binary(operator, Expr::SubQuery(None, Box::new(anchor_row.into())))
        }
    };
    Condition::all().add(expression)
}

impl Side {
    /// How a row on this side compares with the anchor in an order `descending` or not.
    fn operator(self, descending: bool) -> BinOper {
        match (self, descending) {
            (Side::After, false) => BinOper::GreaterThan,
            (Side::After, true) => BinOper::SmallerThan,
            (Side::From, false) | (Side::UpTo, true) => BinOper::GreaterThanOrEqual,
            (Side::From, true) | (Side::UpTo, false) => BinOper::SmallerThanOrEqual,
        }
    }
}

/// The rows on `side` of the row whose sort value is `key` and id `id` in the order (`sort`,
/// `id`): a keyset compared with values the caller holds (a list whose sort column lies in
/// another table, so no anchor subquery on the list's own table can read it).
pub(crate) fn keyset_at(
    sort: Expr,
    id: Expr,
    descending: bool,
    (key, anchor): (&str, i32),
    side: Side,
) -> Condition {
    Condition::all().add(Expr::tuple([sort, id]).binary(
        side.operator(descending),
        Expr::tuple([Expr::val(key.to_owned()), Expr::val(anchor)]),
    ))
}

fn order_of(descending: bool) -> Order {
    if descending { Order::Desc } else { Order::Asc }
}

/// Which households of a call: the reader's reach, a municipality, a verification status, and
/// the paging.
#[derive(Debug, Clone)]
pub struct HouseholdList {
    pub call_id: i32,
    pub reach: Reach,
    /// A DANE municipality code.
    pub municipality: Option<String>,
    /// The verification status: a household with no decision row is pending.
    pub status: Option<VerificationStatus>,
    pub paging: Paging,
}

/// The sorts of a call's households: registration order, head's name (the search key starts
/// with it), the household's own id, the municipality.
pub const HOUSEHOLD_SORTS: [&str; 4] = ["registro", "nombre", "hogar", "municipio"];

impl HouseholdList {
    pub fn of_call(call_id: i32, reach: Reach) -> HouseholdList {
        HouseholdList {
            call_id,
            reach,
            municipality: None,
            status: None,
            paging: Paging::default(),
        }
    }

    fn condition(&self) -> Condition {
        use household::Column as H;
        let mut condition = Condition::all()
            .add(H::CallId.eq(self.call_id))
            .add(crate::scope::municipality_within(
                H::MunicipalityCode,
                &self.reach,
            ))
            .add(search_condition(H::SearchKey, &self.paging.search));
        if let Some(code) = self.municipality.as_deref().filter(|c| !c.is_empty()) {
            condition = condition.add(H::MunicipalityCode.eq(code));
        }
        if let Some(status) = self.status {
            // Kept on the household with its decision (migration 44): a household with no
            // decision row is pending, the column's default.
            condition = condition.add(H::VerificationStatus.eq(status.as_str()));
        }
        if let Some(after) = self.paging.after {
            condition = condition.add(self.keyset(after, Side::After));
        }
        condition
    }

    fn keyset(&self, anchor: i32, side: Side) -> Condition {
        keyset(
            self.sort_column(),
            household::Column::Id,
            self.paging.descending,
            i64::from(anchor),
            side,
        )
    }

    fn sort_column(&self) -> Option<household::Column> {
        use household::Column as H;
        match self.paging.sort.as_str() {
            "nombre" => Some(H::SearchKey),
            "hogar" => Some(H::ExternalId),
            "municipio" => Some(H::MunicipalityCode),
            _ => None,
        }
    }

    /// The ids of a page's households, `first` and `last` its first and last rows: the
    /// subquery everything else of the page is read with, a keyset range in the list's order
    /// (no OFFSET to walk again).
    fn page_ids(&self, (first, last): (i32, i32)) -> SelectStatement {
        Query::select()
            .column(household::Column::Id)
            .from(household::Entity)
            .cond_where(self.condition())
            .cond_where(self.keyset(first, Side::From))
            .cond_where(self.keyset(last, Side::UpTo))
            .to_owned()
    }
}

/// The keys of a page's rows (its statement selects one column), at most a page's
/// ([`MAX_PAGE_SIZE`]): a page deep into a large list is found by the index of its sort, and
/// its rows are then read by these keys, so its OFFSET skips index entries rather than whole
/// rows read and dropped.
pub(crate) async fn page_keys<T: sea_orm::TryGetable>(
    db: &impl ConnectionTrait,
    page: &SelectStatement,
) -> StoreResult<Vec<T>> {
    let rows = db.query_all_raw(db.get_database_backend().build(page)).await?;
    rows.iter()
        .map(|row| row.try_get_by_index::<T>(0).map_err(Into::into))
        .collect()
}

/// The ids of a page's first and last rows; `None` for an empty page.
fn ends(ids: &[i32]) -> Option<(i32, i32)> {
    Some((*ids.first()?, *ids.last()?))
}

/// Which letters of a call: the reader's reach (the household's), their kind, their delivery
/// status, and the paging (the search finds the household's head, document or id).
#[derive(Debug, Clone)]
pub struct LetterList {
    pub call_id: i32,
    pub reach: Reach,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub paging: Paging,
}

/// The sorts of a call's letters: newest first by default, kind, delivery status, recipient.
pub const LETTER_SORTS: [&str; 4] = ["fecha", "tipo", "estado", "destinatario"];

impl LetterList {
    pub fn of_call(call_id: i32, reach: Reach) -> LetterList {
        LetterList {
            call_id,
            reach,
            kind: None,
            status: None,
            paging: Paging::default(),
        }
    }

    fn condition(&self) -> Condition {
        use letter::Column as L;
        let mut condition = Condition::all()
            .add(L::CallId.eq(self.call_id))
            .add(L::HouseholdId.is_not_null());
        // Nationally every household is within: no subquery to read them all.
        if self.reach != Reach::National {
            condition =
                condition.add(L::HouseholdId.in_subquery(crate::scope::households_within(&self.reach)));
        }
        if !self.paging.search.trim().is_empty() {
            let found = Query::select()
                .column(household::Column::Id)
                .from(household::Entity)
                .and_where(household::Column::CallId.eq(self.call_id))
                .cond_where(search_condition(
                    household::Column::SearchKey,
                    &self.paging.search,
                ))
                .to_owned();
            condition = condition.add(L::HouseholdId.in_subquery(found));
        }
        if let Some(kind) = self.kind.as_deref().filter(|k| !k.is_empty()) {
            condition = condition.add(L::Kind.eq(kind));
        }
        if let Some(status) = self.status.as_deref().filter(|s| !s.is_empty()) {
            condition = condition.add(L::Status.eq(status));
        }
        if let Some(after) = self.paging.after {
            condition = condition.add(keyset(
                self.sort_column(),
                L::Id,
                self.descending(),
                i64::from(after),
                Side::After,
            ));
        }
        condition
    }

    fn sort_column(&self) -> Option<letter::Column> {
        use letter::Column as L;
        match self.paging.sort.as_str() {
            "tipo" => Some(L::Kind),
            "estado" => Some(L::Status),
            "destinatario" => Some(L::Recipient),
            _ => None,
        }
    }

    /// Newest first by default, a column from A to Z; "descending" turns either around.
    fn descending(&self) -> bool {
        self.sort_column().is_none() != self.paging.descending
    }
}

/// Which formulations: the reader's reach (their municipality's department), their stored
/// status, their municipality, and the paging (the search finds the title and the code).
#[derive(Debug, Clone, Default)]
pub struct FormulationList {
    pub reach: Reach,
    /// A stored status (draft, submitted, returned, approved).
    pub status: Option<String>,
    /// A DANE municipality code.
    pub municipality: Option<String>,
    pub paging: Paging,
}

/// The sorts of the formulations: by code (the default), title, municipality, last change.
pub const FORMULATION_SORTS: [&str; 4] = ["codigo", "titulo", "municipio", "actualizacion"];

impl FormulationList {
    fn condition(&self) -> Condition {
        use formulation::Column as F;
        let mut condition = Condition::all()
            .add(crate::scope::municipality_within(
                F::MunicipalityCode,
                &self.reach,
            ))
            .add(search_condition(F::SearchKey, &self.paging.search));
        if let Some(status) = self.status.as_deref().filter(|s| !s.is_empty()) {
            condition = condition.add(F::Status.eq(status));
        }
        if let Some(code) = self.municipality.as_deref().filter(|c| !c.is_empty()) {
            condition = condition.add(F::MunicipalityCode.eq(code));
        }
        if let Some(after) = self.paging.after {
            condition = condition.add(keyset(
                Some(self.sort_column()),
                F::Id,
                self.paging.descending,
                i64::from(after),
                Side::After,
            ));
        }
        condition
    }

    fn sort_column(&self) -> formulation::Column {
        use formulation::Column as F;
        match self.paging.sort.as_str() {
            "titulo" => F::SearchKey,
            "municipio" => F::MunicipalityCode,
            "actualizacion" => F::UpdatedAt,
            _ => F::Code,
        }
    }
}

/// Which entries of the audit log: an action, an account, an entity (a table), a period, and
/// the paging (the search finds the author, the entity and its id). No reach: the log is read
/// whole by the roles that may read it.
#[derive(Debug, Clone, Default)]
pub struct AuditList {
    /// An action's code (`AuditAction`).
    pub action: Option<String>,
    /// The account that acted.
    pub actor_user_id: Option<i32>,
    /// A table's name.
    pub entity: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<jiff::Timestamp>,
    /// Entries before this instant.
    pub until: Option<jiff::Timestamp>,
    pub paging: Paging,
    /// Keyset paging (downloads): the entries after this one in the list's order. Entries'
    /// ids are 64-bit, so not [`Paging::after`].
    pub after: Option<i64>,
}

/// The sorts of the audit log: time (newest first by default), author, entity.
pub const AUDIT_SORTS: [&str; 3] = ["fecha", "autor", "entidad"];

impl AuditList {
    fn condition(&self) -> Condition {
        use audit_entry::Column as A;
        let mut condition = Condition::all();
        // The author folded as the words are (an account's name may carry accents); the
        // table and the row's id are ASCII, lowered only (SQLite's LIKE ignores ASCII case,
        // PostgreSQL's does not). The log is append-only, so it keeps no folded key.
        for word in vereda_domain::text::fold_for_search(&self.paging.search).split_whitespace() {
            let pattern = format!("%{}%", crate::like_escaped(word));
            let like = |text: Expr| text.like(LikeExpr::new(pattern.clone()).escape('\\'));
            let lowered = |column: A| {
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col((
                    audit_entry::Entity,
                    column,
                ))))
            };
            condition = condition.add(
                Condition::any()
                    .add(like(folded((audit_entry::Entity, A::Actor))))
                    .add(like(lowered(A::Entity)))
                    .add(like(lowered(A::EntityId))),
            );
        }
        if let Some(action) = self.action.as_deref().filter(|a| !a.is_empty()) {
            condition = condition.add(A::Action.eq(action));
        }
        if let Some(id) = self.actor_user_id {
            condition = condition.add(A::ActorUserId.eq(id));
        }
        if let Some(entity) = self.entity.as_deref().filter(|e| !e.is_empty()) {
            condition = condition.add(A::Entity.eq(entity));
        }
        if let Some(from) = self.from {
            condition = condition.add(A::At.gte(from.as_microsecond()));
        }
        if let Some(until) = self.until {
            condition = condition.add(A::At.lt(until.as_microsecond()));
        }
        if let Some(after) = self.after {
            condition = condition.add(keyset(
                self.sort_column(),
                A::Id,
                self.descending(),
                after,
                Side::After,
            ));
        }
        condition
    }

    fn sort_column(&self) -> Option<audit_entry::Column> {
        use audit_entry::Column as A;
        match self.paging.sort.as_str() {
            "autor" => Some(A::Actor),
            "entidad" => Some(A::Entity),
            _ => None,
        }
    }

    /// Newest first by default (the id is the order of writing), a column from A to Z;
    /// "descending" turns either around.
    fn descending(&self) -> bool {
        self.sort_column().is_none() != self.paging.descending
    }
}

/// Which measurements of indicators: the reader's reach (the project's municipalities), their
/// review status, a project, an indicator's unit, and the paging (the search finds the
/// project's code and the indicator's name, accents and case aside).
#[derive(Debug, Clone, Default)]
pub struct MeasurementList {
    pub reach: Reach,
    /// A stored status (`submitted`: the review queue).
    pub status: Option<String>,
    pub project_code: Option<String>,
    /// An indicator unit's code.
    pub unit: Option<String>,
    pub paging: Paging,
}

/// The sorts of the measurements: the day measured (newest first, the default), the day
/// submitted (newest first).
pub const MEASUREMENT_SORTS: [&str; 2] = ["fecha", "envio"];

impl MeasurementList {
    fn condition(&self) -> Condition {
        use indicator_measurement::Column as M;
        let mut projects = Query::select();
        projects
            .column(project::Column::Id)
            .from(project::Entity)
            .cond_where(crate::scope::projects_within(&self.reach));
        if let Some(code) = self.project_code.as_deref().filter(|c| !c.is_empty()) {
            projects.and_where(project::Column::Code.eq(code));
        }
        let mut indicators = Query::select();
        indicators
            .column(indicator::Column::Id)
            .from(indicator::Entity)
            .and_where(indicator::Column::ProjectId.in_subquery(projects.to_owned()));
        if let Some(unit) = self.unit.as_deref().filter(|u| !u.is_empty()) {
            indicators.and_where(indicator::Column::Unit.eq(unit));
        }
        for word in vereda_domain::text::fold_for_search(&self.paging.search).split_whitespace() {
            let pattern = || LikeExpr::new(format!("%{}%", crate::like_escaped(word))).escape('\\');
            let coded = Query::select()
                .column(project::Column::Id)
                .from(project::Entity)
                .and_where(
                    Expr::expr(Func::lower(Expr::col((project::Entity, project::Column::Code))))
                        .like(pattern()),
                )
                .to_owned();
            indicators.cond_where(
                Condition::any()
                    .add(folded((indicator::Entity, indicator::Column::Name)).like(pattern()))
                    .add(indicator::Column::ProjectId.in_subquery(coded)),
            );
        }
        let mut condition = Condition::all().add(M::IndicatorId.in_subquery(indicators.to_owned()));
        if let Some(status) = self.status.as_deref().filter(|s| !s.is_empty()) {
            condition = condition.add(M::Status.eq(status));
        }
        if let Some(after) = self.paging.after {
            condition = condition.add(keyset(
                Some(self.sort_column()),
                M::Id,
                self.descending(),
                i64::from(after),
                Side::After,
            ));
        }
        condition
    }

    fn sort_column(&self) -> indicator_measurement::Column {
        match self.paging.sort.as_str() {
            "envio" => indicator_measurement::Column::CreatedAt,
            _ => indicator_measurement::Column::MeasuredOn,
        }
    }

    /// Newest first; "descending" turns it around (oldest first).
    fn descending(&self) -> bool {
        !self.paging.descending
    }
}

impl Store {
    /// A page of the measurements (see [`MeasurementList`]) and how many match.
    pub async fn measurement_list(
        &self,
        list: &MeasurementList,
    ) -> StoreResult<Page<crate::projects::MeasurementRow>> {
        let total = crate::count_rows(
            indicator_measurement::Entity::find().filter(list.condition()),
            &self.db,
        )
        .await?;
        Ok(Page {
            rows: self.measurement_rows(list).await?,
            total,
        })
    }

    /// The measurements of a page of [`MeasurementList`], without counting them all
    /// (downloads).
    pub async fn measurement_rows(
        &self,
        list: &MeasurementList,
    ) -> StoreResult<Vec<crate::projects::MeasurementRow>> {
        let order = order_of(list.descending());
        let offset = list.paging.offset();
        let rows = indicator_measurement::Entity::find()
            .filter(list.condition())
            .order_by(list.sort_column(), order.clone())
            .order_by(indicator_measurement::Column::Id, order)
            .limit(list.paging.limit())
            .offset(offset)
            .all(&self.db)
            .await?;
        crate::projects::measurement_lines(&self.db, rows).await
    }

    /// The codes of the projects within `reach` that have indicators: the measurements'
    /// project filter.
    pub async fn measured_projects(&self, reach: &Reach) -> StoreResult<Vec<String>> {
        Ok(project::Entity::find()
            .select_only()
            .column(project::Column::Code)
            .filter(crate::scope::projects_within(reach))
            .order_by_asc(project::Column::Code)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// A page of the audit log (see [`AuditList`]) and how many entries match.
    pub async fn audit_list(&self, list: &AuditList) -> StoreResult<Page<AuditEntry>> {
        let total = crate::count_rows(audit_entry::Entity::find().filter(list.condition()), &self.db).await?;
        Ok(Page {
            rows: self.audit_rows(list).await?,
            total,
        })
    }

    /// The entries of a page of [`AuditList`], without counting them all (downloads).
    pub async fn audit_rows(&self, list: &AuditList) -> StoreResult<Vec<AuditEntry>> {
        let order = order_of(list.descending());
        let mut select = audit_entry::Entity::find().filter(list.condition());
        if let Some(column) = list.sort_column() {
            select = select.order_by(column, order.clone());
        }
        let offset = if list.after.is_some() {
            0
        } else {
            list.paging.offset()
        };
        select
            .order_by(audit_entry::Column::Id, order)
            .limit(list.paging.limit())
            .offset(offset)
            .all(&self.db)
            .await?
            .into_iter()
            .map(entry_from_row)
            .collect()
    }

    /// The tables the audit log names, by name: the log's entity filter.
    pub async fn audit_entities(&self) -> StoreResult<Vec<String>> {
        Ok(audit_entry::Entity::find()
            .select_only()
            .column(audit_entry::Column::Entity)
            .distinct()
            .order_by_asc(audit_entry::Column::Entity)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// The municipalities of a call's households within `reach`, by code: a list's filter.
    ///
    /// Read by walking the `(call_id, municipality_code)` index from one municipality to the
    /// next (at most the country's 1,122 look-ups); a `DISTINCT` reads every household of the
    /// call (about 100 ms at a million on PostgreSQL, on every page of the list).
    pub async fn call_municipalities(&self, call_id: i32, reach: &Reach) -> StoreResult<Vec<String>> {
        let call = match self.backend() {
            sea_orm::DatabaseBackend::Postgres => "$1",
            _ => "?1",
        };
        let sql = format!(
            "WITH RECURSIVE present (code) AS ( \
               SELECT (SELECT municipality_code FROM households WHERE call_id = {call} \
                       ORDER BY municipality_code LIMIT 1) \
               UNION ALL \
               SELECT (SELECT h.municipality_code FROM households h \
                       WHERE h.call_id = {call} AND h.municipality_code > present.code \
                       ORDER BY h.municipality_code LIMIT 1) \
               FROM present WHERE present.code IS NOT NULL) \
             SELECT code FROM present WHERE code IS NOT NULL ORDER BY code"
        );
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                self.backend(),
                sql,
                [call_id.into()],
            ))
            .await?;
        let mut codes = Vec::with_capacity(rows.len());
        for row in rows {
            let code: String = row.try_get("", "code")?;
            if reach.covers(&code) {
                codes.push(code);
            }
        }
        Ok(codes)
    }

    /// A page of a call's households (see [`HouseholdList`]) and how many match.
    pub async fn household_list(&self, list: &HouseholdList) -> StoreResult<Page<HouseholdSummary>> {
        let total = self.household_count(list).await?;
        Ok(Page {
            rows: self.household_rows(list).await?,
            total,
        })
    }

    /// How many households the list's filter and search match: the call's own count when
    /// nothing narrows them (nationally, unfiltered); one status of the call's, from its
    /// decisions' `(call_id, status)` index (a household with no decision row is pending); else
    /// counted.
    pub async fn household_count(&self, list: &HouseholdList) -> StoreResult<u64> {
        use household_verification::Column as V;
        let narrowed_but_by_status = list.reach != Reach::National
            || list.municipality.as_deref().is_some_and(|m| !m.is_empty())
            || !list.paging.search.trim().is_empty();
        if narrowed_but_by_status {
            return crate::count_rows(household::Entity::find().filter(list.condition()), &self.db).await;
        }
        let decided = |status: Condition| {
            crate::count_rows(
                household_verification::Entity::find()
                    .filter(V::CallId.eq(list.call_id))
                    .filter(status),
                &self.db,
            )
        };
        match list.status {
            None => self.call_households(list.call_id).await,
            Some(VerificationStatus::Pending) => {
                let decided =
                    decided(Condition::all().add(V::Status.ne(VerificationStatus::Pending.to_string())))
                        .await?;
                Ok(self.call_households(list.call_id).await?.saturating_sub(decided))
            }
            Some(status) => decided(Condition::all().add(V::Status.eq(status.to_string()))).await,
        }
    }

    /// How many households the call holds, as kept with it.
    async fn call_households(&self, call_id: i32) -> StoreResult<u64> {
        let kept: Option<i64> = crate::entity::call::Entity::find_by_id(call_id)
            .select_only()
            .column(crate::entity::call::Column::Households)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(kept.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// The ids of every household the list's filter and search match (not its page), in
    /// registration order, at most `limit` of them: a selection by filter.
    pub async fn household_ids(&self, list: &HouseholdList, limit: u64) -> StoreResult<Vec<i32>> {
        household_ids_in(&self.db, list, limit).await
    }

    /// The households of a page of [`HouseholdList`], without counting them all (downloads).
    pub async fn household_rows(&self, list: &HouseholdList) -> StoreResult<Vec<HouseholdSummary>> {
        // The page's ids first, then its rows by id (see `page_keys`).
        let mut page = Query::select();
        page.column(household::Column::Id)
            .from(household::Entity)
            .cond_where(list.condition());
        let mut select = household::Entity::find();
        if let Some(column) = list.sort_column() {
            page.order_by(column, list.paging.order());
            select = select.order_by(column, list.paging.order());
        }
        page.order_by(household::Column::Id, list.paging.order())
            .limit(list.paging.limit())
            .offset(list.paging.offset());
        let ids: Vec<i32> = page_keys(&self.db, &page).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = select
            .filter(household::Column::Id.is_in(ids))
            .order_by(household::Column::Id, list.paging.order())
            .all(&self.db)
            .await?;
        let ids: Vec<i32> = rows.iter().map(|h| h.id).collect();
        let Some(bounds) = ends(&ids) else {
            return Ok(Vec::new());
        };
        let mut members: HashMap<i32, Vec<person::Model>> = HashMap::new();
        for member in person::Entity::find()
            .filter(person::Column::HouseholdId.in_subquery(list.page_ids(bounds)))
            .order_by_asc(person::Column::Id)
            .all(&self.db)
            .await?
        {
            members.entry(member.household_id).or_default().push(member);
        }
        let counted: Vec<(i32, i64)> = parcel::Entity::find()
            .select_only()
            .column(parcel::Column::HouseholdId)
            .column_as(Expr::col(parcel::Column::Id).count(), "n")
            .filter(parcel::Column::HouseholdId.in_subquery(list.page_ids(bounds)))
            .group_by(parcel::Column::HouseholdId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let parcels: HashMap<i32, usize> = counted
            .into_iter()
            .map(|(id, n)| (id, usize::try_from(n).unwrap_or(0)))
            .collect();
        Ok(summaries(rows, members, &parcels))
    }

    /// A page of a call's households where each stands on `today` (their documents and
    /// decision; the parcels are left to the household's own page), and how many match.
    pub async fn verification_list(
        &self,
        list: &HouseholdList,
        today: Date,
    ) -> StoreResult<Page<HouseholdVerification>> {
        let households = self.household_list(list).await?;
        Ok(Page {
            rows: self.verification_rows(list, households.rows, today).await?,
            total: households.total,
        })
    }

    /// [`Store::verification_list`] without counting (downloads).
    pub async fn verification_chunk(
        &self,
        list: &HouseholdList,
        today: Date,
    ) -> StoreResult<Vec<HouseholdVerification>> {
        let households = self.household_rows(list).await?;
        self.verification_rows(list, households, today).await
    }

    async fn verification_rows(
        &self,
        list: &HouseholdList,
        households: Vec<HouseholdSummary>,
        today: Date,
    ) -> StoreResult<Vec<HouseholdVerification>> {
        let ids: Vec<i32> = households.iter().map(|h| h.id).collect();
        let Some(bounds) = ends(&ids) else {
            return Ok(Vec::new());
        };
        let notice = self.offer_notice(list.call_id).await?;
        let mut documents = HashMap::new();
        for row in household_document::Entity::find()
            .filter(household_document::Column::HouseholdId.in_subquery(list.page_ids(bounds)))
            .order_by_asc(household_document::Column::Id)
            .all(&self.db)
            .await?
        {
            documents
                .entry(row.household_id)
                .or_insert_with(Vec::new)
                .push(document_from(row)?);
        }
        let verifications = household_verification::Entity::find()
            .filter(household_verification::Column::HouseholdId.in_subquery(list.page_ids(bounds)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|v| (v.household_id, v))
            .collect();
        assemble(
            households,
            documents,
            verifications,
            HashMap::new(),
            notice.as_ref(),
            today,
        )
    }

    /// A page of a call's letters (see [`LetterList`]), newest first unless sorted, and how
    /// many match.
    pub async fn letter_list(&self, list: &LetterList) -> StoreResult<Page<LetterRecord>> {
        let total = crate::count_rows(letter::Entity::find().filter(list.condition()), &self.db).await?;
        Ok(Page {
            rows: self.letter_rows(list).await?,
            total,
        })
    }

    /// How many offer letters (Art. 11.1) a call's households have been written: the progress
    /// of a large call's notice, whose letters a job writes.
    pub async fn offer_letters_written(&self, call_id: i32) -> StoreResult<u64> {
        crate::count_rows(
            letter::Entity::find()
                .filter(letter::Column::CallId.eq(call_id))
                .filter(letter::Column::Kind.eq(vereda_domain::verification::LetterKind::Offer.to_string())),
            &self.db,
        )
        .await
    }

    /// The letters of a page of [`LetterList`], without counting them all (downloads).
    pub async fn letter_rows(&self, list: &LetterList) -> StoreResult<Vec<LetterRecord>> {
        let order = order_of(list.descending());
        let mut select = letter::Entity::find().filter(list.condition());
        if let Some(column) = list.sort_column() {
            select = select.order_by(column, order.clone());
        }
        let offset = list.paging.offset();
        select
            .order_by(letter::Column::Id, order)
            .limit(list.paging.limit())
            .offset(offset)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }

    /// The municipalities of the formulations within `reach`, by code: a list's filter.
    pub async fn formulation_municipalities(&self, reach: &Reach) -> StoreResult<Vec<String>> {
        use formulation::Column as F;
        Ok(formulation::Entity::find()
            .select_only()
            .column(F::MunicipalityCode)
            .distinct()
            .filter(crate::scope::municipality_within(F::MunicipalityCode, reach))
            .order_by_asc(F::MunicipalityCode)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// A page of the formulations (see [`FormulationList`]), each with its latest version and
    /// procedure state (read for the page only), and how many match.
    pub async fn formulation_list(&self, list: &FormulationList) -> StoreResult<Page<FormulationLine>> {
        let total = crate::count_rows(formulation::Entity::find().filter(list.condition()), &self.db).await?;
        Ok(Page {
            rows: self.formulation_rows(list).await?,
            total,
        })
    }

    /// The formulations of a page of [`FormulationList`], without counting them all (downloads).
    pub async fn formulation_rows(&self, list: &FormulationList) -> StoreResult<Vec<FormulationLine>> {
        let order = list.paging.order();
        let offset = list.paging.offset();
        let rows = formulation::Entity::find()
            .filter(list.condition())
            .order_by(list.sort_column(), order.clone())
            .order_by(formulation::Column::Id, order)
            .limit(list.paging.limit())
            .offset(offset)
            .all(&self.db)
            .await?;
        formulation_lines(&self.db, rows).await
    }
}

// ---- The office roll-up of the projects in follow-up ----------------------------------------

/// Which of the reader's projects in follow-up the office roll-up (`/personal/alertas`) lists.
/// Their figures are the stored summaries' and facts' (a few queries, never one long
/// transaction); their alerts depend on today, so the filter, search, sort and page are
/// applied to that read, and the roll-up by office and call and the count of projects with
/// alerts are of all of them, whatever the page.
#[derive(Debug, Clone, Default)]
pub struct FollowupList {
    /// `alerta` (with an alert), `sin_alerta` (open, without) or `cerrado`; else all.
    pub state: Option<String>,
    pub paging: Paging,
}

/// The sorts of the office roll-up: the project's code, its physical, financial and
/// management progress, its number of alerts.
pub const FOLLOWUP_SORTS: [&str; 5] = ["codigo", "fisico", "financiero", "gestion", "alertas"];
/// The states the office roll-up filters by.
pub const FOLLOWUP_STATES: [&str; 3] = ["alerta", "sin_alerta", "cerrado"];

/// A page of the office roll-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupPage {
    pub page: Page<crate::followup::Progress>,
    /// Every project of the reader's reach rolled up by office and call.
    pub rollups: Vec<crate::followup::Rollup>,
    /// How many of them have an alert.
    pub alerting: usize,
}

impl FollowupList {
    fn admits(&self, p: &crate::followup::Progress, words: &[String]) -> bool {
        let state = match self.state.as_deref() {
            Some("alerta") => !p.alerts.is_empty(),
            Some("sin_alerta") => p.alerts.is_empty() && !p.closed,
            Some("cerrado") => p.closed,
            _ => true,
        };
        let text = vereda_domain::text::fold_for_search(&format!(
            "{} {} {}",
            p.code,
            p.office.as_deref().unwrap_or_default(),
            p.call.as_deref().unwrap_or_default()
        ));
        state && words.iter().all(|w| text.contains(w.as_str()))
    }
}

impl Store {
    /// A page of the reader's projects in follow-up (see [`FollowupList`]), with the roll-up
    /// of all of them.
    pub async fn followup_list(
        &self,
        actor: &vereda_domain::audit::Actor,
        today: Date,
        list: &FollowupList,
    ) -> StoreResult<FollowupPage> {
        use std::cmp::Ordering;
        let all = self.office_progress(actor, today).await?;
        let rollups = crate::followup::rollup(&all);
        let alerting = all.iter().filter(|p| !p.alerts.is_empty()).count();
        let words: Vec<String> = vereda_domain::text::fold_for_search(&list.paging.search)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let mut rows: Vec<crate::followup::Progress> =
            all.into_iter().filter(|p| list.admits(p, &words)).collect();
        let key = |a: &crate::followup::Progress, b: &crate::followup::Progress| -> Ordering {
            match list.paging.sort.as_str() {
                "fisico" => a.physical.cmp(&b.physical),
                "financiero" => a.financial.cmp(&b.financial),
                "gestion" => a.management.cmp(&b.management),
                "alertas" => a.alerts.len().cmp(&b.alerts.len()),
                _ => Ordering::Equal,
            }
            .then_with(|| a.code.cmp(&b.code))
        };
        rows.sort_by(|a, b| {
            let order = key(a, b);
            if list.paging.descending {
                order.reverse()
            } else {
                order
            }
        });
        let total = rows.len() as u64;
        let offset = usize::try_from(list.paging.offset()).unwrap_or(usize::MAX);
        let limit = usize::try_from(list.paging.limit()).unwrap_or(usize::MAX);
        let rows = rows.into_iter().skip(offset).take(limit).collect();
        Ok(FollowupPage {
            page: Page { rows, total },
            rollups,
            alerting,
        })
    }
}

/// The ids of [`Store::household_ids`], read on `conn` (a job's transaction).
pub(crate) async fn household_ids_in<C: sea_orm::ConnectionTrait>(
    conn: &C,
    list: &HouseholdList,
    limit: u64,
) -> StoreResult<Vec<i32>> {
    Ok(household::Entity::find()
        .select_only()
        .column(household::Column::Id)
        .filter(list.condition())
        .order_by_asc(household::Column::Id)
        .limit(limit)
        .into_tuple::<i32>()
        .all(conn)
        .await?)
}

// ---- A call's documents ---------------------------------------------------------------------

/// Which documents the households of a call brought (Art. 11): the reader's reach (the
/// household's), a kind, a municipality, a period of reception, and the paging (the search
/// finds the household's head, document or id, as the households list does).
#[derive(Debug, Clone)]
pub struct DocumentList {
    pub call_id: i32,
    pub reach: Reach,
    /// A `DocumentKind` code.
    pub kind: Option<String>,
    /// A DANE municipality code.
    pub municipality: Option<String>,
    /// Received on or after this day.
    pub from: Option<Date>,
    /// Received on or before this day.
    pub until: Option<Date>,
    pub paging: Paging,
}

/// The sorts of a call's documents: the day received (newest first, the default), the kind,
/// the household (registration order).
pub const DOCUMENT_SORTS: [&str; 3] = ["fecha", "tipo", "hogar"];

/// A document of a call's household as its list shows it, with where the household stands on
/// its Art. 14 term (read with the verification's own rules, `verification::assemble`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDocument {
    pub id: i32,
    pub household_id: i32,
    /// The household's id in the registry.
    pub external_id: String,
    pub head_name: String,
    pub municipality_code: String,
    pub kind: vereda_domain::verification::DocumentKind,
    pub file_name: String,
    /// The day the household brought it.
    pub received_on: Date,
    /// The e-mail of the account that recorded it.
    pub received_by: Option<String>,
    /// The household's verification status.
    pub status: VerificationStatus,
    /// The documents the household still owes.
    pub missing: Vec<vereda_domain::verification::DocumentKind>,
    /// Tacit withdrawal is due (Art. 45): the term is over with documents missing.
    pub withdrawal_due: bool,
}

impl DocumentList {
    pub fn of_call(call_id: i32, reach: Reach) -> DocumentList {
        DocumentList {
            call_id,
            reach,
            kind: None,
            municipality: None,
            from: None,
            until: None,
            paging: Paging::default(),
        }
    }

    fn condition(&self) -> Condition {
        use household_document::Column as D;
        // The household's municipality is kept with the document (migration 45): the reach and
        // a municipality are the document's own; only a search reads the call's households.
        let mut condition =
            Condition::all()
                .add(D::CallId.eq(self.call_id))
                .add(crate::scope::municipality_within(
                    D::MunicipalityCode,
                    &self.reach,
                ));
        if let Some(code) = self.municipality.as_deref().filter(|c| !c.is_empty()) {
            condition = condition.add(D::MunicipalityCode.eq(code));
        }
        if !self.paging.search.trim().is_empty() {
            use household::Column as H;
            let households = Query::select()
                .column(H::Id)
                .from(household::Entity)
                .and_where(H::CallId.eq(self.call_id))
                .cond_where(search_condition(H::SearchKey, &self.paging.search))
                .to_owned();
            condition = condition.add(D::HouseholdId.in_subquery(households));
        }
        if let Some(kind) = self.kind.as_deref().filter(|k| !k.is_empty()) {
            condition = condition.add(D::Kind.eq(kind));
        }
        if let Some(from) = self.from {
            condition = condition.add(D::ReceivedOn.gte(from.to_string()));
        }
        if let Some(until) = self.until {
            condition = condition.add(D::ReceivedOn.lte(until.to_string()));
        }
        if let Some(after) = self.paging.after {
            condition = condition.add(self.keyset(after, Side::After));
        }
        condition
    }

    fn keyset(&self, anchor: i32, side: Side) -> Condition {
        keyset(
            Some(self.sort_column()),
            household_document::Column::Id,
            self.descending(),
            i64::from(anchor),
            side,
        )
    }

    fn sort_column(&self) -> household_document::Column {
        use household_document::Column as D;
        match self.paging.sort.as_str() {
            "tipo" => D::Kind,
            "hogar" => D::HouseholdId,
            _ => D::ReceivedOn,
        }
    }

    /// Newest first by the day received, a column from A to Z; "descending" turns either
    /// around.
    fn descending(&self) -> bool {
        matches!(self.paging.sort.as_str(), "tipo" | "hogar") == self.paging.descending
    }
}

impl Store {
    /// A page of a call's documents (see [`DocumentList`]) with where their households stand
    /// on `today`, and how many match.
    pub async fn document_list(&self, list: &DocumentList, today: Date) -> StoreResult<Page<CallDocument>> {
        let total = crate::count_rows(
            household_document::Entity::find().filter(list.condition()),
            &self.db,
        )
        .await?;
        // Nothing to read past the last match: a filter no document meets would otherwise walk
        // the whole call in the sort's order looking for a page (PostgreSQL's plan when it
        // takes the filters for independent).
        let rows = if list.paging.offset() < total {
            self.document_rows(list, today).await?
        } else {
            Vec::new()
        };
        Ok(Page { rows, total })
    }

    /// The documents of a page of [`DocumentList`], without counting them all (downloads).
    pub async fn document_rows(&self, list: &DocumentList, today: Date) -> StoreResult<Vec<CallDocument>> {
        use crate::entity::user;
        let order = order_of(list.descending());
        // The page's ids first, by the index of its sort, then its rows by those ids (see
        // `page_keys`): a deep page skips index entries, not whole rows.
        let mut page = Query::select();
        page.column(household_document::Column::Id)
            .from(household_document::Entity)
            .cond_where(list.condition())
            .order_by(list.sort_column(), order.clone())
            .order_by(household_document::Column::Id, order.clone())
            .limit(list.paging.limit())
            .offset(list.paging.offset());
        let ids = page_keys::<i32>(&self.db, &page).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = household_document::Entity::find()
            .filter(household_document::Column::Id.is_in(ids))
            .order_by(list.sort_column(), order.clone())
            .order_by(household_document::Column::Id, order)
            .all(&self.db)
            .await?;
        // The page's households by id: at most a page's rows (`MAX_PAGE_SIZE`, within
        // `IN_LIST_LIMIT`). Not the page as a subquery: its keyset range may span much of the
        // call when a filter or search is sparse, and the planner then reads every document.
        let mut page_households: Vec<i32> = rows.iter().map(|d| d.household_id).collect();
        page_households.sort_unstable();
        page_households.dedup();
        let households = household::Entity::find()
            .filter(household::Column::Id.is_in(page_households.iter().copied()))
            .all(&self.db)
            .await?;
        let mut heads: HashMap<i32, Vec<person::Model>> = HashMap::new();
        for head in person::Entity::find()
            .filter(person::Column::HouseholdId.is_in(page_households.iter().copied()))
            .filter(person::Column::IsHead.eq(true))
            .order_by_asc(person::Column::Id)
            .all(&self.db)
            .await?
        {
            heads.entry(head.household_id).or_default().push(head);
        }
        // Every document of those households, not only the page's: what they still owe.
        let mut documents = HashMap::new();
        for row in household_document::Entity::find()
            .filter(household_document::Column::HouseholdId.is_in(page_households.iter().copied()))
            .order_by_asc(household_document::Column::Id)
            .all(&self.db)
            .await?
        {
            documents
                .entry(row.household_id)
                .or_insert_with(Vec::new)
                .push(document_from(row)?);
        }
        let verifications = household_verification::Entity::find()
            .filter(household_verification::Column::HouseholdId.is_in(page_households.iter().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|v| (v.household_id, v))
            .collect();
        let recorders: HashMap<i32, String> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Email)
            .filter(user::Column::Id.is_in(rows.iter().filter_map(|d| d.received_by)))
            .into_tuple::<(i32, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let notice = self.offer_notice(list.call_id).await?;
        let standings: HashMap<i32, HouseholdVerification> = assemble(
            summaries(households, heads, &HashMap::new()),
            documents,
            verifications,
            HashMap::new(),
            notice.as_ref(),
            today,
        )?
        .into_iter()
        .map(|v| (v.household.id, v))
        .collect();
        rows.into_iter()
            .map(|row| {
                let document = document_from(row.clone())?;
                let standing = standings.get(&row.household_id);
                Ok(CallDocument {
                    id: row.id,
                    household_id: row.household_id,
                    external_id: standing
                        .map(|s| s.household.external_id.clone())
                        .unwrap_or_default(),
                    head_name: standing
                        .map(|s| s.household.head_name.clone())
                        .unwrap_or_default(),
                    municipality_code: standing
                        .map(|s| s.household.municipality_code.clone())
                        .unwrap_or_default(),
                    kind: document.kind,
                    file_name: document.file_name,
                    received_on: document.received_on,
                    received_by: row.received_by.and_then(|id| recorders.get(&id).cloned()),
                    status: standing.map_or(VerificationStatus::Pending, |s| s.status),
                    missing: standing.map(|s| s.missing.clone()).unwrap_or_default(),
                    withdrawal_due: standing.is_some_and(|s| s.withdrawal_due),
                })
            })
            .collect()
    }
}

// ---- The committee's items ------------------------------------------------------------------

/// Which projects were put before the committee (`agenda_items`, Art. 23-24): the reader's
/// reach (the formulation's municipality), the concept, whether the session is open or closed,
/// a department or a municipality, a period of session dates, and the paging (the search finds
/// the project's code and title, accents and case aside, through `formulations.search_key`).
#[derive(Debug, Clone, Default)]
pub struct CommitteeItemList {
    pub reach: Reach,
    /// `pending` (no concept yet), `positive` or `negative`.
    pub concept: Option<String>,
    /// `open` or `closed`: the session's minutes drawn up or not.
    pub session_state: Option<String>,
    /// A DANE department code (two digits).
    pub department: Option<String>,
    /// A DANE municipality code.
    pub municipality: Option<String>,
    /// Sessions held on or after this day.
    pub from: Option<Date>,
    /// Sessions held on or before this day.
    pub until: Option<Date>,
    pub paging: Paging,
    /// Keyset paging (downloads): the items after the item with this sort value
    /// ([`CommitteeItem::sort_key`]) and id, in the list's order.
    pub after: Option<(String, i32)>,
}

/// The sorts of the committee's items: the session's date (newest first, the default), the
/// project's code, the concept.
pub const COMMITTEE_ITEM_SORTS: [&str; 3] = ["fecha", "proyecto", "concepto"];
/// The concepts the committee's items filter by (`pending`: none yet).
pub const COMMITTEE_CONCEPTS: [&str; 3] = ["pending", "positive", "negative"];
/// The states of a session the committee's items filter by.
pub const SESSION_STATES: [&str; 2] = ["open", "closed"];

/// A project put before the committee, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeItem {
    pub id: i32,
    pub session_id: i32,
    pub held_on: Date,
    pub place: String,
    /// The session's minutes are drawn up.
    pub closed: bool,
    pub formulation_id: i32,
    pub code: String,
    pub title: String,
    pub municipality_code: String,
    /// The version judged.
    pub version_number: i32,
    pub concept: Option<crate::procedure::Concept>,
    /// The project's objections not decided yet.
    pub pending_objections: u64,
}

impl CommitteeItem {
    /// The item's value in the list's sort `sort` (what [`CommitteeItemList::after`] holds).
    pub fn sort_key(&self, sort: &str) -> String {
        match sort {
            "proyecto" => self.code.clone(),
            "concepto" => self.concept.map_or("pending", |c| c.as_str()).to_owned(),
            _ => self.held_on.to_string(),
        }
    }
}

impl CommitteeItemList {
    fn select(&self) -> sea_orm::Select<agenda_item::Entity> {
        use sea_orm::JoinType;
        agenda_item::Entity::find()
            .join(
                JoinType::InnerJoin,
                agenda_item::Entity::belongs_to(committee_session::Entity)
                    .from(agenda_item::Column::SessionId)
                    .to(committee_session::Column::Id)
                    .into(),
            )
            .join(
                JoinType::InnerJoin,
                agenda_item::Entity::belongs_to(formulation::Entity)
                    .from(agenda_item::Column::FormulationId)
                    .to(formulation::Column::Id)
                    .into(),
            )
            .filter(self.condition())
    }

    fn condition(&self) -> Condition {
        use agenda_item::Column as A;
        use committee_session::Column as S;
        use formulation::Column as F;
        let mut condition = Condition::all()
            .add(crate::scope::municipality_within(
                F::MunicipalityCode,
                &self.reach,
            ))
            .add(search_condition(F::SearchKey, &self.paging.search));
        match self.concept.as_deref() {
            Some("pending") => condition = condition.add(A::Concept.is_null()),
            Some(concept) if !concept.is_empty() => condition = condition.add(A::Concept.eq(concept)),
            _ => {}
        }
        match self.session_state.as_deref() {
            Some("open") => condition = condition.add(S::ClosedAt.is_null()),
            Some("closed") => condition = condition.add(S::ClosedAt.is_not_null()),
            _ => {}
        }
        if let Some(department) = self.department.as_deref().filter(|d| !d.is_empty()) {
            condition = condition.add(F::MunicipalityCode.starts_with(department));
        }
        if let Some(code) = self.municipality.as_deref().filter(|c| !c.is_empty()) {
            condition = condition.add(F::MunicipalityCode.eq(code));
        }
        if let Some(from) = self.from {
            condition = condition.add(S::HeldOn.gte(from.to_string()));
        }
        if let Some(until) = self.until {
            condition = condition.add(S::HeldOn.lte(until.to_string()));
        }
        if let Some((key, id)) = &self.after {
            condition = condition.add(self.keyset((key, *id), Side::After));
        }
        condition
    }

    fn keyset(&self, anchor: (&str, i32), side: Side) -> Condition {
        keyset_at(
            self.sort_expression(),
            Expr::col((agenda_item::Entity, agenda_item::Column::Id)),
            self.descending(),
            anchor,
            side,
        )
    }

    /// What the list is sorted by; an item without a concept sorts as `pending`, so NULL
    /// orders alike on both backends.
    fn sort_expression(&self) -> Expr {
        match self.paging.sort.as_str() {
            "proyecto" => Expr::col((formulation::Entity, formulation::Column::Code)),
            "concepto" => Func::coalesce([
                Expr::col((agenda_item::Entity, agenda_item::Column::Concept)),
                Expr::val("pending"),
            ])
            .into(),
            _ => Expr::col((committee_session::Entity, committee_session::Column::HeldOn)),
        }
    }

    /// The latest sessions first, a column from A to Z; "descending" turns either around.
    fn descending(&self) -> bool {
        matches!(self.paging.sort.as_str(), "proyecto" | "concepto") == self.paging.descending
    }
}

impl Store {
    /// A page of the committee's items (see [`CommitteeItemList`]) and how many match.
    pub async fn committee_item_list(&self, list: &CommitteeItemList) -> StoreResult<Page<CommitteeItem>> {
        let total = crate::count_rows(list.select(), &self.db).await?;
        Ok(Page {
            rows: self.committee_item_rows(list).await?,
            total,
        })
    }

    /// The items of a page of [`CommitteeItemList`], without counting them all (downloads).
    /// The page's sessions, formulations and pending objections are read for its rows alone.
    pub async fn committee_item_rows(&self, list: &CommitteeItemList) -> StoreResult<Vec<CommitteeItem>> {
        use crate::entity::objection;
        let order = order_of(list.descending());
        let offset = if list.after.is_some() {
            0
        } else {
            list.paging.offset()
        };
        let rows = list
            .select()
            .order_by(list.sort_expression(), order.clone())
            .order_by(agenda_item::Column::Id, order)
            .limit(list.paging.limit())
            .offset(offset)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sessions: HashMap<i32, committee_session::Model> = committee_session::Entity::find()
            .filter(committee_session::Column::Id.is_in(rows.iter().map(|r| r.session_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let formulations: HashMap<i32, formulation::Model> = formulation::Entity::find()
            .filter(formulation::Column::Id.is_in(rows.iter().map(|r| r.formulation_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
        let pending: HashMap<i32, i64> = objection::Entity::find()
            .select_only()
            .column(objection::Column::FormulationId)
            .column_as(Expr::col(objection::Column::Id).count(), "n")
            .filter(objection::Column::FormulationId.is_in(rows.iter().map(|r| r.formulation_id)))
            .filter(objection::Column::Decision.is_null())
            .group_by(objection::Column::FormulationId)
            .into_tuple::<(i32, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|row| {
                let session = sessions
                    .get(&row.session_id)
                    .ok_or_else(|| crate::corrupt("agenda item", row.id, "no session"))?;
                let formulation = formulations
                    .get(&row.formulation_id)
                    .ok_or_else(|| crate::corrupt("agenda item", row.id, "no formulation"))?;
                let concept = match row.concept.as_deref() {
                    None => None,
                    Some(text) => Some(
                        crate::procedure::Concept::parse(text)
                            .ok_or_else(|| crate::corrupt("agenda item", row.id, text))?,
                    ),
                };
                Ok(CommitteeItem {
                    id: row.id,
                    session_id: row.session_id,
                    held_on: session.held_on.0,
                    place: session.place.clone(),
                    closed: session.closed_at.is_some(),
                    formulation_id: row.formulation_id,
                    code: formulation.code.clone(),
                    title: formulation.title.clone(),
                    municipality_code: formulation.municipality_code.clone(),
                    version_number: row.version_number,
                    concept,
                    pending_objections: pending
                        .get(&row.formulation_id)
                        .map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
                })
            })
            .collect()
    }

    /// The municipalities of the formulations put before the committee within `reach`, by
    /// code: the committee's items' filters (municipality, and department by its first two
    /// digits).
    pub async fn committee_municipalities(&self, reach: &Reach) -> StoreResult<Vec<String>> {
        use formulation::Column as F;
        let on_agenda = Query::select()
            .column(agenda_item::Column::FormulationId)
            .from(agenda_item::Entity)
            .to_owned();
        Ok(formulation::Entity::find()
            .select_only()
            .column(F::MunicipalityCode)
            .distinct()
            .filter(F::Id.in_subquery(on_agenda))
            .filter(crate::scope::municipality_within(F::MunicipalityCode, reach))
            .order_by_asc(F::MunicipalityCode)
            .into_tuple()
            .all(&self.db)
            .await?)
    }
}

// ---- The committee's sessions ---------------------------------------------------------------

/// Which sessions of the committee: open or closed, a period of days, and the paging (the
/// search finds the place, accents and case aside, folded in SQL as the sessions keep no
/// search key). No reach: every staff account reads the sessions, as before; their items are
/// read within reach ([`CommitteeItemList`]).
#[derive(Debug, Clone, Default)]
pub struct SessionList {
    /// `open` or `closed` ([`SESSION_STATES`]).
    pub state: Option<String>,
    /// Held on or after this day.
    pub from: Option<Date>,
    /// Held on or before this day.
    pub until: Option<Date>,
    pub paging: Paging,
}

/// The sorts of the sessions: the day held, latest first.
pub const SESSION_SORTS: [&str; 1] = ["fecha"];

impl SessionList {
    fn condition(&self) -> Condition {
        use committee_session::Column as S;
        let mut condition = Condition::all();
        for word in vereda_domain::text::fold_for_search(&self.paging.search).split_whitespace() {
            let pattern = LikeExpr::new(format!("%{}%", crate::like_escaped(word))).escape('\\');
            condition = condition.add(folded((committee_session::Entity, S::Place)).like(pattern));
        }
        match self.state.as_deref() {
            Some("open") => condition = condition.add(S::ClosedAt.is_null()),
            Some("closed") => condition = condition.add(S::ClosedAt.is_not_null()),
            _ => {}
        }
        if let Some(from) = self.from {
            condition = condition.add(S::HeldOn.gte(from.to_string()));
        }
        if let Some(until) = self.until {
            condition = condition.add(S::HeldOn.lte(until.to_string()));
        }
        condition
    }
}

impl Store {
    /// A page of the committee's sessions (see [`SessionList`]), the latest first unless
    /// turned around, and how many match.
    pub async fn session_list(&self, list: &SessionList) -> StoreResult<Page<committee_session::Model>> {
        let total = crate::count_rows(
            committee_session::Entity::find().filter(list.condition()),
            &self.db,
        )
        .await?;
        let order = order_of(!list.paging.descending);
        let rows = committee_session::Entity::find()
            .filter(list.condition())
            .order_by(committee_session::Column::HeldOn, order.clone())
            .order_by(committee_session::Column::Id, order)
            .limit(list.paging.limit())
            .offset(list.paging.offset())
            .all(&self.db)
            .await?;
        Ok(Page { rows, total })
    }
}
