//! The verification of a household's parcels (Art. 12-13): the title study, the field visit
//! with its photos, and each parcel's standing (`vereda_domain::parcel::parcel_standing`),
//! which `decide_verification` reads before a household is found eligible.
//!
//! The title study and the visit are one row per parcel each, with `lock_version`: a form
//! carries back the version it read (0: none yet), and a stale form is a `Conflict`. Once the
//! household's verification is decided, its parcels change no more (`Conflict`).

use std::collections::HashMap;
use vereda_domain::accounts::Permission;

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use vereda_domain::audit::Actor;
use vereda_domain::parcel::{
    MemberRef, SiteCondition, Standing, TitleFacts, check_coordinates, owner_is_member, parcel_standing,
};

use vereda_domain::verification::VerificationStatus;

use crate::entity::{
    household, household_verification, parcel, parcel_photo, parcel_title_study, parcel_visit, person,
};
use crate::households::{NewParcel, insert_parcel};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Arg, Message, Store, StoreError, StoreResult, audit, corrupt, on_duplicate};

/// A parcel of a household, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParcelRecord {
    pub id: i32,
    pub household_id: i32,
    pub municipality_code: String,
    pub name: String,
    pub vereda: Option<String>,
    pub land_title_record: Option<String>,
    pub area_ha: Option<Decimal>,
    pub land_tenure: String,
}

/// The title study of a parcel (Art. 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TitleStudy {
    pub id: i32,
    pub title_record: String,
    pub owner_name: String,
    pub owner_document: String,
    /// Computed when the study is recorded, from the household's members.
    pub owner_is_member: bool,
    pub limitations: String,
    pub limits_use: bool,
    pub favourable: bool,
    pub reasons: String,
    pub studied_by: Option<i32>,
    pub studied_at: jiff::Timestamp,
    pub lock_version: i32,
}

/// A title study to record; `lock_version` is the version the officer read (0: none).
#[derive(Debug, Clone)]
pub struct NewTitleStudy {
    pub title_record: String,
    pub owner_name: String,
    pub owner_document: String,
    pub limitations: String,
    pub limits_use: bool,
    pub favourable: bool,
    pub reasons: String,
    pub lock_version: i32,
}

/// One condition of Art. 13 as the visit found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionCheck {
    pub condition: SiteCondition,
    pub met: bool,
    pub notes: String,
}

/// The field visit of a parcel (Art. 13 par.).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldVisit {
    pub id: i32,
    pub visit_date: Date,
    pub latitude: Decimal,
    pub longitude: Decimal,
    pub conditions: Vec<ConditionCheck>,
    pub visited_by: Option<i32>,
    pub recorded_at: jiff::Timestamp,
    pub lock_version: i32,
}

/// A field visit to record; `lock_version` is the version the officer read (0: none).
#[derive(Debug, Clone)]
pub struct NewFieldVisit {
    pub visit_date: Date,
    pub latitude: Decimal,
    pub longitude: Decimal,
    pub conditions: Vec<ConditionCheck>,
    pub lock_version: i32,
}

/// A photo of the visit, kept under its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParcelPhoto {
    pub id: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: jiff::Timestamp,
}

/// A photo to record: the file is already kept.
#[derive(Debug, Clone)]
pub struct NewParcelPhoto {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A parcel with its study, its visit, its photos and its standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelVerification {
    pub parcel: ParcelRecord,
    pub title: Option<TitleStudy>,
    pub visit: Option<FieldVisit>,
    pub photos: Vec<ParcelPhoto>,
    pub standing: Standing,
}

/// Where one parcel of a household stands, as the household's verification reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParcelStanding {
    pub parcel_id: i32,
    pub name: String,
    pub standing: Standing,
}

/// Why a household cannot be found eligible for its parcels (Art. 12-13): `None` when it has
/// parcels and every one is suitable.
pub fn parcels_refusal(parcels: &[ParcelStanding]) -> Option<Message> {
    if parcels.is_empty() {
        return Some(Message::new("verification-error-no_parcel"));
    }
    let failing: Vec<Message> = parcels
        .iter()
        .filter(|p| !p.standing.is_suitable())
        .map(|p| {
            Message::new("verification-parcel_issues")
                .with("parcel", &p.name)
                .with(
                    "issues",
                    Arg::List(p.standing.issues().iter().map(|i| i.message()).collect()),
                )
        })
        .collect();
    if failing.is_empty() {
        return None;
    }
    Some(Message::new("verification-error-parcel_not_suitable").with("parcels", Arg::List(failing)))
}

fn parcel_from(row: parcel::Model) -> ParcelRecord {
    ParcelRecord {
        id: row.id,
        household_id: row.household_id,
        municipality_code: row.municipality_code,
        name: row.name,
        vereda: row.vereda,
        land_title_record: row.land_title_record,
        area_ha: row.area_ha.map(|d| d.0),
        land_tenure: row.land_tenure,
    }
}

fn title_from(row: parcel_title_study::Model) -> TitleStudy {
    TitleStudy {
        id: row.id,
        title_record: row.title_record,
        owner_name: row.owner_name,
        owner_document: row.owner_document,
        owner_is_member: row.owner_is_member,
        limitations: row.limitations,
        limits_use: row.limits_use,
        favourable: row.result == "favourable",
        reasons: row.reasons,
        studied_by: row.studied_by,
        studied_at: row.studied_at.0,
        lock_version: row.lock_version,
    }
}

fn visit_from(row: parcel_visit::Model) -> StoreResult<FieldVisit> {
    let conditions: Vec<ConditionCheck> =
        serde_json::from_str(&row.conditions).map_err(|e| corrupt("parcel visit", row.id, e))?;
    Ok(FieldVisit {
        id: row.id,
        visit_date: row.visit_date.0,
        latitude: row.latitude.0,
        longitude: row.longitude.0,
        conditions,
        visited_by: row.visited_by,
        recorded_at: row.recorded_at.0,
        lock_version: row.lock_version,
    })
}

fn photo_from(row: parcel_photo::Model) -> ParcelPhoto {
    ParcelPhoto {
        id: row.id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        uploaded_at: row.uploaded_at.0,
    }
}

/// The standing of a parcel from what is recorded.
pub fn standing_of(title: Option<&TitleStudy>, visit: Option<&FieldVisit>) -> Standing {
    let facts = title.map(|t| TitleFacts {
        favourable: t.favourable,
        owner_is_member: t.owner_is_member,
        limits_use: t.limits_use,
    });
    let met: Option<Vec<(SiteCondition, bool)>> =
        visit.map(|v| v.conditions.iter().map(|c| (c.condition, c.met)).collect());
    parcel_standing(facts, met.as_deref())
}

fn stale() -> StoreError {
    StoreError::Conflict(Message::new("parcel-error-stale"))
}

/// A household's parcel, for a change: refused (`Conflict`) once the household's
/// verification is decided, since the decision rests on it.
async fn open_parcel_row(
    db: &impl ConnectionTrait,
    household_id: i32,
    parcel_id: i32,
) -> StoreResult<parcel::Model> {
    let row = parcel_row(db, household_id, parcel_id).await?;
    if verification_decided(db, household_id).await? {
        return Err(StoreError::Conflict(Message::new("parcel-error-decided")));
    }
    Ok(row)
}

async fn verification_decided(db: &impl ConnectionTrait, household_id: i32) -> StoreResult<bool> {
    Ok(household_verification::Entity::find()
        .filter(household_verification::Column::HouseholdId.eq(household_id))
        .one(db)
        .await?
        .is_some_and(|v| v.status != VerificationStatus::Pending.as_str()))
}

async fn parcel_row(
    db: &impl ConnectionTrait,
    household_id: i32,
    parcel_id: i32,
) -> StoreResult<parcel::Model> {
    parcel::Entity::find_by_id(parcel_id)
        .filter(parcel::Column::HouseholdId.eq(household_id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "parcel",
            id: parcel_id.to_string(),
        })
}

/// The parcels of some households with their study, visit, photos and standing, in `db` (a
/// step's transaction reads them there).
pub(crate) async fn parcels_in(
    db: &impl ConnectionTrait,
    household_ids: &[i32],
) -> StoreResult<Vec<ParcelVerification>> {
    let mut parcels = crate::find_in(
        db,
        parcel::Entity::find(),
        parcel::Column::HouseholdId,
        household_ids.iter().copied(),
    )
    .await?;
    parcels.sort_by_key(|p| p.id);
    let ids: Vec<i32> = parcels.iter().map(|p| p.id).collect();
    let mut titles: HashMap<i32, TitleStudy> = HashMap::new();
    let mut visits: HashMap<i32, FieldVisit> = HashMap::new();
    let mut photos: HashMap<i32, Vec<ParcelPhoto>> = HashMap::new();
    for row in crate::find_in(
        db,
        parcel_title_study::Entity::find(),
        parcel_title_study::Column::ParcelId,
        ids.iter().copied(),
    )
    .await?
    {
        titles.insert(row.parcel_id, title_from(row));
    }
    for row in crate::find_in(
        db,
        parcel_visit::Entity::find(),
        parcel_visit::Column::ParcelId,
        ids.iter().copied(),
    )
    .await?
    {
        visits.insert(row.parcel_id, visit_from(row)?);
    }
    // A parcel's photos are read in one statement, so they keep their order.
    for row in crate::find_in(
        db,
        parcel_photo::Entity::find().order_by_asc(parcel_photo::Column::Id),
        parcel_photo::Column::ParcelId,
        ids.iter().copied(),
    )
    .await?
    {
        photos.entry(row.parcel_id).or_default().push(photo_from(row));
    }
    Ok(parcels
        .into_iter()
        .map(|row| {
            let title = titles.remove(&row.id);
            let visit = visits.remove(&row.id);
            let standing = standing_of(title.as_ref(), visit.as_ref());
            ParcelVerification {
                photos: photos.remove(&row.id).unwrap_or_default(),
                parcel: parcel_from(row),
                title,
                visit,
                standing,
            }
        })
        .collect())
}

impl Store {
    /// Registers a parcel the household declares during its verification (Art. 12), such as
    /// one of a household that came from a screened registry, which lists no parcels.
    /// Refused once the verification is decided.
    pub async fn add_parcel(
        &self,
        actor: &Actor,
        household_id: i32,
        new: NewParcel,
    ) -> StoreResult<ParcelRecord> {
        if new.name.trim().is_empty() {
            return Err(StoreError::Invalid(Message::new("parcel-error-name_required")));
        }
        if new.area_ha.is_some_and(|area| area <= Decimal::ZERO) {
            return Err(StoreError::Invalid(Message::new("parcel-error-area")));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::VerifyHouseholds,
            crate::scope::Target::Household(household_id),
        )
        .await?;
        household::Entity::find_by_id(household_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "household",
                id: household_id.to_string(),
            })?;
        if verification_decided(&txn, household_id).await? {
            return Err(StoreError::Conflict(Message::new("parcel-error-decided")));
        }
        let stored = insert_parcel(&txn, actor, household_id, &new).await?;
        txn.commit().await?;
        Ok(parcel_from(stored))
    }

    /// The parcels of some households with their study, visit, photos and standing, by id.
    pub async fn parcels_of(&self, household_ids: &[i32]) -> StoreResult<Vec<ParcelVerification>> {
        parcels_in(&self.db, household_ids).await
    }

    /// One parcel of a household; `None` if the household has no such parcel.
    pub async fn parcel_verification(
        &self,
        household_id: i32,
        parcel_id: i32,
    ) -> StoreResult<Option<ParcelVerification>> {
        Ok(self
            .parcels_of(&[household_id])
            .await?
            .into_iter()
            .find(|p| p.parcel.id == parcel_id))
    }

    /// Records (or replaces) the title study of a parcel. The owner is compared with the
    /// household's members (normalised document, else folded name). A study not favourable
    /// needs its reasons.
    pub async fn record_title_study(
        &self,
        actor: &Actor,
        household_id: i32,
        parcel_id: i32,
        new: NewTitleStudy,
    ) -> StoreResult<TitleStudy> {
        let clean = |s: &str| s.trim().to_owned();
        if new.title_record.trim().is_empty() || new.owner_name.trim().is_empty() {
            return Err(StoreError::Invalid(Message::new("parcel-error-study_required")));
        }
        if !new.favourable && new.reasons.trim().is_empty() {
            return Err(StoreError::Invalid(Message::new("parcel-error-reasons")));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::VerifyHouseholds,
            crate::scope::Target::Household(household_id),
        )
        .await?;
        open_parcel_row(&txn, household_id, parcel_id).await?;
        let members = person::Entity::find()
            .filter(person::Column::HouseholdId.eq(household_id))
            .all(&txn)
            .await?;
        let refs: Vec<MemberRef<'_>> = members
            .iter()
            .map(|m| MemberRef {
                document: &m.document,
                first_name: &m.first_name,
                last_name: &m.last_name,
            })
            .collect();
        let matches = owner_is_member(&new.owner_document, &new.owner_name, &refs);
        let result = if new.favourable {
            "favourable"
        } else {
            "not_favourable"
        };
        let existing = parcel_title_study::Entity::find()
            .filter(parcel_title_study::Column::ParcelId.eq(parcel_id))
            .one(&txn)
            .await?;
        let stored = match existing {
            None => {
                if new.lock_version != 0 {
                    return Err(stale());
                }
                let row = parcel_title_study::ActiveModel {
                    parcel_id: Set(parcel_id),
                    title_record: Set(clean(&new.title_record)),
                    owner_name: Set(clean(&new.owner_name)),
                    owner_document: Set(clean(&new.owner_document)),
                    owner_is_member: Set(matches),
                    limitations: Set(clean(&new.limitations)),
                    limits_use: Set(new.limits_use),
                    result: Set(result.to_owned()),
                    reasons: Set(clean(&new.reasons)),
                    studied_by: Set(actor.user_id()),
                    studied_at: Set(DbTimestamp::now()),
                    lock_version: Set(1),
                    ..Default::default()
                };
                audit::insert(&txn, actor, row)
                    .await
                    .map_err(on_duplicate(stale))?
            }
            Some(before) => {
                use parcel_title_study::Column as C;
                let update = parcel_title_study::Entity::update_many()
                    .col_expr(C::TitleRecord, Expr::value(clean(&new.title_record)))
                    .col_expr(C::OwnerName, Expr::value(clean(&new.owner_name)))
                    .col_expr(C::OwnerDocument, Expr::value(clean(&new.owner_document)))
                    .col_expr(C::OwnerIsMember, Expr::value(matches))
                    .col_expr(C::Limitations, Expr::value(clean(&new.limitations)))
                    .col_expr(C::LimitsUse, Expr::value(new.limits_use))
                    .col_expr(C::Result, Expr::value(result))
                    .col_expr(C::Reasons, Expr::value(clean(&new.reasons)))
                    .col_expr(C::StudiedBy, Expr::value(actor.user_id()))
                    .col_expr(C::StudiedAt, Expr::value(DbTimestamp::now()))
                    .col_expr(C::LockVersion, Expr::value(new.lock_version + 1))
                    .filter(C::Id.eq(before.id))
                    .filter(C::LockVersion.eq(new.lock_version));
                audit::conditional_update(&txn, actor, update, &before, before.id, stale).await?
            }
        };
        txn.commit().await?;
        Ok(title_from(stored))
    }

    /// Records (or replaces) the field visit of a parcel: the five conditions of Art. 13,
    /// each once, and coordinates within Colombia.
    pub async fn record_field_visit(
        &self,
        actor: &Actor,
        household_id: i32,
        parcel_id: i32,
        new: NewFieldVisit,
    ) -> StoreResult<FieldVisit> {
        let problems = check_coordinates(new.latitude, new.longitude);
        if let Some(problem) = problems.first() {
            return Err(StoreError::Invalid(problem.message()));
        }
        for condition in SiteCondition::ALL {
            if new
                .conditions
                .iter()
                .filter(|c| c.condition == *condition)
                .count()
                != 1
            {
                return Err(StoreError::Invalid(
                    Message::new("parcel-error-condition_once")
                        .with("article", condition.article())
                        .with_term("condition", format!("parcel-condition-{condition}")),
                ));
            }
        }
        let mut conditions = new.conditions.clone();
        conditions.sort_by_key(|c| c.condition);
        for c in &mut conditions {
            c.notes = c.notes.trim().to_owned();
        }
        let json = serde_json::to_string(&conditions).map_err(|e| StoreError::Fault(e.to_string()))?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::VerifyHouseholds,
            crate::scope::Target::Household(household_id),
        )
        .await?;
        open_parcel_row(&txn, household_id, parcel_id).await?;
        let existing = parcel_visit::Entity::find()
            .filter(parcel_visit::Column::ParcelId.eq(parcel_id))
            .one(&txn)
            .await?;
        let stored = match existing {
            None => {
                if new.lock_version != 0 {
                    return Err(stale());
                }
                let row = parcel_visit::ActiveModel {
                    parcel_id: Set(parcel_id),
                    visit_date: Set(DbDate(new.visit_date)),
                    latitude: Set(Dec(new.latitude)),
                    longitude: Set(Dec(new.longitude)),
                    conditions: Set(json),
                    visited_by: Set(actor.user_id()),
                    recorded_at: Set(DbTimestamp::now()),
                    lock_version: Set(1),
                    ..Default::default()
                };
                audit::insert(&txn, actor, row)
                    .await
                    .map_err(on_duplicate(stale))?
            }
            Some(before) => {
                use parcel_visit::Column as C;
                let update = parcel_visit::Entity::update_many()
                    .col_expr(C::VisitDate, Expr::value(DbDate(new.visit_date)))
                    .col_expr(C::Latitude, Expr::value(Dec(new.latitude)))
                    .col_expr(C::Longitude, Expr::value(Dec(new.longitude)))
                    .col_expr(C::Conditions, Expr::value(json))
                    .col_expr(C::VisitedBy, Expr::value(actor.user_id()))
                    .col_expr(C::RecordedAt, Expr::value(DbTimestamp::now()))
                    .col_expr(C::LockVersion, Expr::value(new.lock_version + 1))
                    .filter(C::Id.eq(before.id))
                    .filter(C::LockVersion.eq(new.lock_version));
                audit::conditional_update(&txn, actor, update, &before, before.id, stale).await?
            }
        };
        txn.commit().await?;
        visit_from(stored)
    }

    /// Records a photo of a parcel's visit.
    pub async fn add_parcel_photo(
        &self,
        actor: &Actor,
        household_id: i32,
        parcel_id: i32,
        new: NewParcelPhoto,
    ) -> StoreResult<ParcelPhoto> {
        if !matches!(new.content_type.as_str(), "image/jpeg" | "image/png") {
            return Err(StoreError::Invalid(Message::new("parcel-error-photo_kind")));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::VerifyHouseholds,
            crate::scope::Target::Household(household_id),
        )
        .await?;
        open_parcel_row(&txn, household_id, parcel_id).await?;
        let row = parcel_photo::ActiveModel {
            parcel_id: Set(parcel_id),
            file_name: Set(new.file_name),
            content_type: Set(new.content_type),
            size_bytes: Set(new.size_bytes),
            sha256: Set(new.sha256),
            uploaded_by: Set(actor.user_id()),
            uploaded_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        Ok(photo_from(stored))
    }

    /// A photo of a parcel of a household, by its id.
    pub async fn parcel_photo(
        &self,
        household_id: i32,
        parcel_id: i32,
        id: i32,
    ) -> StoreResult<Option<ParcelPhoto>> {
        parcel_row(&self.db, household_id, parcel_id).await?;
        Ok(parcel_photo::Entity::find_by_id(id)
            .filter(parcel_photo::Column::ParcelId.eq(parcel_id))
            .one(&self.db)
            .await?
            .map(photo_from))
    }
}
