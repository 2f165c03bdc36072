//! Households, their members and parcels.

use std::collections::HashMap;
use vereda_domain::accounts::{Permission, Reach};

use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use vereda_domain::audit::Actor;
use vereda_domain::household::{DocumentType, EthnicGroup, LandTenure, Sex, SisbenArea, normalize_document};
use vereda_domain::program::ProgramLine;
use vereda_domain::territory::DaneCode;

use crate::entity::{household, parcel, person};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, audit, duplicate_or};

#[derive(Debug, Clone, Deserialize)]
pub struct NewPerson {
    pub document_type: DocumentType,
    pub document: String,
    pub first_name: String,
    pub last_name: String,
    pub sex: Sex,
    #[serde(default)]
    pub birth_date: Option<jiff::civil::Date>,
    pub is_head: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewParcel {
    pub municipality: DaneCode,
    pub name: String,
    #[serde(default)]
    pub vereda: Option<String>,
    /// Folio de matrícula inmobiliaria.
    #[serde(default)]
    pub land_title_record: Option<String>,
    #[serde(default)]
    pub area_ha: Option<Decimal>,
    pub land_tenure: LandTenure,
    #[serde(default)]
    pub latitude: Option<Decimal>,
    #[serde(default)]
    pub longitude: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewHousehold {
    #[serde(default)]
    pub call_id: Option<i32>,
    /// The caller's own id for the household.
    pub external_id: String,
    pub municipality: DaneCode,
    #[serde(default)]
    pub sisben_area: Option<SisbenArea>,
    #[serde(default)]
    pub sisben_score: Option<Decimal>,
    pub displaced: bool,
    pub ethnic_group: EthnicGroup,
    pub ethnic_community_registered: bool,
    pub program_line: ProgramLine,
    pub members: Vec<NewPerson>,
    #[serde(default)]
    pub parcels: Vec<NewParcel>,
    /// The head's e-mail address: letters go by SMTP when it is configured (Art. 46).
    #[serde(default)]
    pub email: Option<String>,
    /// The head's postal address for correspondence.
    #[serde(default)]
    pub correspondence_address: Option<String>,
}

/// A household as staff lists see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdSummary {
    pub id: i32,
    pub call_id: Option<i32>,
    pub external_id: String,
    pub municipality_code: String,
    pub head_name: String,
    pub head_document_type: String,
    pub head_document: String,
    pub members: usize,
    pub parcels: usize,
    pub sisben_score: Option<Decimal>,
    pub displaced: bool,
    pub ethnic_group: String,
    /// The head's contact: staff only, never on public pages.
    pub email: Option<String>,
    pub correspondence_address: Option<String>,
}

/// Trimmed text, `None` when blank.
pub(crate) fn nonempty(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// One `@` with text on both sides, a dot in the domain, no spaces or angle brackets.
pub(crate) fn plausible_email(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !address.contains(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        }
        None => false,
    }
}

/// Stores one parcel of a household, audited.
pub(crate) async fn insert_parcel(
    db: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    household_id: i32,
    land: &NewParcel,
) -> StoreResult<parcel::Model> {
    let blank_to_none = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let row = parcel::ActiveModel {
        household_id: Set(household_id),
        municipality_code: Set(land.municipality.to_string()),
        name: Set(land.name.trim().to_owned()),
        vereda: Set(blank_to_none(&land.vereda)),
        land_title_record: Set(blank_to_none(&land.land_title_record)),
        area_ha: Set(land.area_ha.map(Dec)),
        land_tenure: Set(land.land_tenure.to_string()),
        latitude: Set(land.latitude.map(Dec)),
        longitude: Set(land.longitude.map(Dec)),
        ..Default::default()
    };
    Ok(audit::insert(db, actor, row).await?)
}

impl Store {
    /// Stores a household with its members and parcels, all or nothing.
    pub async fn create_household(&self, actor: &Actor, new: NewHousehold) -> StoreResult<HouseholdSummary> {
        let heads = new.members.iter().filter(|m| m.is_head).count();
        if heads != 1 {
            return Err(StoreError::Invalid(
                Message::new("household-error-heads")
                    .with("household", &new.external_id)
                    .with("heads", heads),
            ));
        }
        if let Some(score) = new.sisben_score
            && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&score)
        {
            return Err(StoreError::Invalid(
                Message::new("household-error-sisben_score").with("score", score),
            ));
        }
        let email = nonempty(new.email.as_deref());
        if let Some(address) = &email
            && !plausible_email(address)
        {
            return Err(StoreError::Invalid(
                Message::new("household-error-email")
                    .with("value", address)
                    .with("household", &new.external_id),
            ));
        }
        let search_key = match new.members.iter().find(|m| m.is_head) {
            Some(head) => vereda_domain::text::household_search_key(
                &format!("{} {}", head.first_name, head.last_name),
                &head.document,
                &new.external_id,
            ),
            None => vereda_domain::text::household_search_key("", "", &new.external_id),
        };
        let txn = self.write_transaction().await?;
        crate::scope::check_may_place(
            &txn,
            actor,
            Permission::RunScreening,
            &new.municipality.to_string(),
        )
        .await?;
        let row = household::ActiveModel {
            call_id: Set(new.call_id),
            external_id: Set(new.external_id.trim().to_owned()),
            municipality_code: Set(new.municipality.to_string()),
            sisben_area: Set(new.sisben_area.map(|a| a.to_string())),
            sisben_score: Set(new.sisben_score.map(Dec)),
            displaced: Set(new.displaced),
            ethnic_group: Set(new.ethnic_group.to_string()),
            ethnic_community_registered: Set(new.ethnic_community_registered),
            program_line: Set(new.program_line.to_string()),
            email: Set(email),
            correspondence_address: Set(nonempty(new.correspondence_address.as_deref())),
            created_at: Set(DbTimestamp::now()),
            search_key: Set(search_key),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row)
            .await
            .map_err(duplicate_or("household", || new.external_id.clone()))?;
        for member in &new.members {
            let row = person::ActiveModel {
                household_id: Set(stored.id),
                document_type: Set(member.document_type.to_string()),
                document: Set(member.document.trim().to_owned()),
                document_key: Set(normalize_document(&member.document)),
                first_name: Set(member.first_name.trim().to_owned()),
                last_name: Set(member.last_name.trim().to_owned()),
                sex: Set(member.sex.to_string()),
                birth_date: Set(member.birth_date.map(DbDate)),
                is_head: Set(member.is_head),
                ..Default::default()
            };
            audit::insert(&txn, actor, row).await?;
        }
        for land in &new.parcels {
            insert_parcel(&txn, actor, stored.id, land).await?;
        }
        if let Some(call_id) = stored.call_id {
            crate::programs::count_households(&txn, call_id, 1).await?;
        }
        txn.commit().await?;
        self.summarize(vec![stored])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a stored household has no summary".to_owned()))
    }

    /// The households of a call (or those in no call), in the order they were registered.
    pub async fn households(&self, call_id: Option<i32>) -> StoreResult<Vec<HouseholdSummary>> {
        self.households_within(call_id, &Reach::National).await
    }

    /// The households of a call (or those in no call) within an account's reach, in the
    /// order they were registered.
    pub async fn households_within(
        &self,
        call_id: Option<i32>,
        reach: &Reach,
    ) -> StoreResult<Vec<HouseholdSummary>> {
        self.households_page(call_id, reach, None, None).await
    }

    /// A page of [`Store::households_within`] by id: those after `after`, at most `limit`
    /// (keyset paging in the query).
    pub async fn households_page(
        &self,
        call_id: Option<i32>,
        reach: &Reach,
        after: Option<i32>,
        limit: Option<u64>,
    ) -> StoreResult<Vec<HouseholdSummary>> {
        let filter = match call_id {
            Some(id) => household::Column::CallId.eq(id),
            None => household::Column::CallId.is_null(),
        };
        let mut select = household::Entity::find()
            .filter(filter)
            .filter(crate::scope::municipality_within(
                household::Column::MunicipalityCode,
                reach,
            ))
            .order_by_asc(household::Column::Id);
        if let Some(after) = after {
            select = select.filter(household::Column::Id.gt(after));
        }
        let rows = select.limit(limit).all(&self.db).await?;
        self.summarize(rows).await
    }

    /// One household, by its id.
    pub async fn household(&self, id: i32) -> StoreResult<Option<HouseholdSummary>> {
        let rows = household::Entity::find_by_id(id).all(&self.db).await?;
        Ok(self.summarize(rows).await?.pop())
    }

    /// Summaries of the given households, with their heads and counts, in the same order.
    async fn summarize(&self, rows: Vec<household::Model>) -> StoreResult<Vec<HouseholdSummary>> {
        let ids: Vec<i32> = rows.iter().map(|h| h.id).collect();
        let mut members: HashMap<i32, Vec<person::Model>> = HashMap::new();
        for member in crate::find_in(
            &self.db,
            person::Entity::find(),
            person::Column::HouseholdId,
            ids.iter().copied(),
        )
        .await?
        {
            members.entry(member.household_id).or_default().push(member);
        }
        let mut parcels: HashMap<i32, usize> = HashMap::new();
        for land in crate::find_in(
            &self.db,
            parcel::Entity::find(),
            parcel::Column::HouseholdId,
            ids.iter().copied(),
        )
        .await?
        {
            *parcels.entry(land.household_id).or_default() += 1;
        }
        Ok(summaries(rows, members, &parcels))
    }
}

/// The summaries of `rows`, in their order, from their members and parcel counts keyed by
/// household.
pub(crate) fn summaries(
    rows: Vec<household::Model>,
    mut members: HashMap<i32, Vec<person::Model>>,
    parcels: &HashMap<i32, usize>,
) -> Vec<HouseholdSummary> {
    rows.into_iter()
        .map(|h| {
            let people = members.remove(&h.id).unwrap_or_default();
            let head = people.iter().find(|p| p.is_head);
            HouseholdSummary {
                id: h.id,
                call_id: h.call_id,
                head_name: head
                    .map(|p| format!("{} {}", p.first_name, p.last_name))
                    .unwrap_or_default(),
                head_document_type: head.map(|p| p.document_type.clone()).unwrap_or_default(),
                head_document: head.map(|p| p.document.clone()).unwrap_or_default(),
                members: people.len(),
                parcels: parcels.get(&h.id).copied().unwrap_or(0),
                external_id: h.external_id,
                municipality_code: h.municipality_code,
                sisben_score: h.sisben_score.map(|d| d.0),
                displaced: h.displaced,
                ethnic_group: h.ethnic_group,
                email: h.email,
                correspondence_address: h.correspondence_address,
            }
        })
        .collect()
}
