//! Staff lists at any size (issue 15 part 3, issue 18 part 2): a call's households, their
//! verification and their letters, each read one page at a time with the reader's reach, the
//! filters, the search and the sort in the query. What a page shows beside its rows (a
//! household's head, its documents, its verification) is read with the page's own query as a
//! subquery: no list of ids is ever sent to the database.
//!
//! Search is accent- and case-insensitive: the words typed are folded by
//! `vereda_domain::text::fold_for_search` and each must appear in `households.search_key`
//! (folded alike when the household is written). Sorting by a column pages with LIMIT/OFFSET,
//! the offset bounded by [`MAX_OFFSET`]; the registration order also pages by keyset
//! (`after`), as downloads do.

use std::collections::HashMap;

use jiff::civil::Date;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Order, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use vereda_domain::accounts::Reach;
use vereda_domain::verification::VerificationStatus;

use crate::entity::{household, household_document, household_verification, letter, parcel, person};
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
    /// Keyset paging in the registration order: only the rows after this id.
    pub after: Option<i32>,
}

impl Paging {
    pub fn limit(&self) -> u64 {
        match self.per_page {
            0 => PAGE_SIZE,
            n => std::cmp::min(n, MAX_PAGE_SIZE),
        }
    }

    pub fn offset(&self) -> u64 {
        std::cmp::min(
            self.page.saturating_sub(1).saturating_mul(self.limit()),
            MAX_OFFSET,
        )
    }

    fn order(&self) -> Order {
        if self.descending { Order::Desc } else { Order::Asc }
    }
}

/// A page of a list and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
}

/// The words of `search`, folded, each a `LIKE` on `column`.
fn search_condition(column: impl ColumnTrait, search: &str) -> Condition {
    vereda_domain::text::fold_for_search(search)
        .split_whitespace()
        .fold(Condition::all(), |all, word| {
            let pattern = format!("%{}%", crate::like_escaped(word));
            all.add(column.like(LikeExpr::new(pattern).escape('\\')))
        })
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
            // The status is stored with the decision; no row is pending. Derived here, in SQL.
            let with = |decided: bool| {
                let mut rows = Query::select();
                rows.column(household_verification::Column::HouseholdId)
                    .from(household_verification::Entity);
                if decided {
                    rows.and_where(household_verification::Column::Status.ne("pending"));
                } else {
                    rows.and_where(household_verification::Column::Status.eq(status.to_string()));
                }
                rows.to_owned()
            };
            condition = condition.add(match status {
                VerificationStatus::Pending => H::Id.not_in_subquery(with(true)),
                _ => H::Id.in_subquery(with(false)),
            });
        }
        if let Some(after) = self.paging.after {
            condition = condition.add(H::Id.gt(after));
        }
        condition
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

    /// The page's households' ids, in the page's order: the subquery everything else of the
    /// page is read with. `bounds` are the least and greatest id of the page as read: implied
    /// by the page, they let the database read the page's range of ids, not the whole call.
    fn page_ids(&self, bounds: (i32, i32)) -> SelectStatement {
        let mut select = Query::select();
        select
            .column(household::Column::Id)
            .from(household::Entity)
            .cond_where(self.condition())
            .and_where(household::Column::Id.between(bounds.0, bounds.1));
        if let Some(column) = self.sort_column() {
            select.order_by(column, self.paging.order());
        }
        select
            .order_by(household::Column::Id, self.paging.order())
            .limit(self.paging.limit())
            .offset(self.offset());
        select.to_owned()
    }

    fn offset(&self) -> u64 {
        if self.paging.after.is_some() {
            0
        } else {
            self.paging.offset()
        }
    }
}

/// The least and greatest of a page's ids; `None` for an empty page.
fn id_bounds(ids: impl Iterator<Item = i32>) -> Option<(i32, i32)> {
    ids.fold(None, |bounds, id| match bounds {
        None => Some((id, id)),
        Some((low, high)) => Some((std::cmp::min(low, id), std::cmp::max(high, id))),
    })
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
            // Downloads walk the letters newest first: "after" is further back.
            condition = condition.add(L::Id.lt(after));
        }
        condition
    }
}

impl Store {
    /// The municipalities of a call's households within `reach`, by code: a list's filter.
    pub async fn call_municipalities(&self, call_id: i32, reach: &Reach) -> StoreResult<Vec<String>> {
        use household::Column as H;
        Ok(household::Entity::find()
            .select_only()
            .column(H::MunicipalityCode)
            .distinct()
            .filter(H::CallId.eq(call_id))
            .filter(crate::scope::municipality_within(H::MunicipalityCode, reach))
            .order_by_asc(H::MunicipalityCode)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// A page of a call's households (see [`HouseholdList`]) and how many match.
    pub async fn household_list(&self, list: &HouseholdList) -> StoreResult<Page<HouseholdSummary>> {
        let total = household::Entity::find()
            .filter(list.condition())
            .count(&self.db)
            .await?;
        Ok(Page {
            rows: self.household_rows(list).await?,
            total,
        })
    }

    /// The ids of every household the list's filter and search match (not its page), in
    /// registration order, at most `limit` of them: a selection by filter.
    pub async fn household_ids(&self, list: &HouseholdList, limit: u64) -> StoreResult<Vec<i32>> {
        Ok(household::Entity::find()
            .select_only()
            .column(household::Column::Id)
            .filter(list.condition())
            .order_by_asc(household::Column::Id)
            .limit(limit)
            .into_tuple::<i32>()
            .all(&self.db)
            .await?)
    }

    /// The households of a page of [`HouseholdList`], without counting them all (downloads).
    pub async fn household_rows(&self, list: &HouseholdList) -> StoreResult<Vec<HouseholdSummary>> {
        let mut select = household::Entity::find().filter(list.condition());
        if let Some(column) = list.sort_column() {
            select = select.order_by(column, list.paging.order());
        }
        let rows = select
            .order_by(household::Column::Id, list.paging.order())
            .limit(list.paging.limit())
            .offset(list.offset())
            .all(&self.db)
            .await?;
        let Some(bounds) = id_bounds(rows.iter().map(|h| h.id)) else {
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
        let Some(bounds) = id_bounds(households.iter().map(|h| h.id)) else {
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
        let total = letter::Entity::find()
            .filter(list.condition())
            .count(&self.db)
            .await?;
        Ok(Page {
            rows: self.letter_rows(list).await?,
            total,
        })
    }

    /// The letters of a page of [`LetterList`], without counting them all (downloads).
    pub async fn letter_rows(&self, list: &LetterList) -> StoreResult<Vec<LetterRecord>> {
        use letter::Column as L;
        let column = match list.paging.sort.as_str() {
            "tipo" => Some(L::Kind),
            "estado" => Some(L::Status),
            "destinatario" => Some(L::Recipient),
            _ => None,
        };
        let mut select = letter::Entity::find().filter(list.condition());
        // Newest first by default; "descending" turns the chosen order around.
        let order = match (column.is_some(), list.paging.descending) {
            (true, false) | (false, true) => Order::Asc,
            _ => Order::Desc,
        };
        if let Some(column) = column {
            select = select.order_by(column, order.clone());
        }
        let offset = if list.paging.after.is_some() {
            0
        } else {
            list.paging.offset()
        };
        select
            .order_by(L::Id, if column.is_some() { Order::Desc } else { order })
            .limit(list.paging.limit())
            .offset(offset)
            .all(&self.db)
            .await?
            .into_iter()
            .map(letter_from)
            .collect()
    }
}
