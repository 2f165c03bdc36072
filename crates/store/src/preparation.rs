//! The preparation of a formulation (Art. 15-17): characterization, participatory diagnosis
//! and the minutes of the participatory sessions, each linked to the formulation it feeds.
//! Records are added, audited, never edited.

use jiff::civil::Date;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::accounts::Permission;
use vereda_domain::audit::Actor;
use vereda_domain::preparation::{PreparationDraft, PreparationKind, check_preparation};

use crate::entity::{formulation, formulation_preparation};
use crate::types::{DbDate, DbTimestamp};
use crate::{Arg, Message, Store, StoreError, StoreResult, audit, corrupt};

/// A file kept under its SHA-256 (the signed minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptDocument {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A record of the preparation of a formulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preparation {
    pub id: i32,
    pub formulation_id: i32,
    pub kind: PreparationKind,
    pub held_on: Option<Date>,
    pub place: Option<String>,
    pub attendees: Option<i32>,
    pub text: String,
    pub file: Option<KeptDocument>,
    pub recorded_by: Option<i32>,
    pub recorded_at: jiff::Timestamp,
}

/// A record to add.
#[derive(Debug, Clone)]
pub struct NewPreparation {
    pub formulation_id: i32,
    pub kind: PreparationKind,
    pub held_on: Option<Date>,
    pub place: String,
    pub attendees: Option<i32>,
    pub text: String,
    pub file: Option<KeptDocument>,
}

fn preparation_from(row: formulation_preparation::Model) -> StoreResult<Preparation> {
    let file = match (row.file_name, row.content_type, row.size_bytes, row.sha256) {
        (Some(file_name), Some(content_type), Some(size_bytes), Some(sha256)) => Some(KeptDocument {
            file_name,
            content_type,
            size_bytes,
            sha256,
        }),
        _ => None,
    };
    Ok(Preparation {
        kind: row
            .kind
            .parse()
            .map_err(|e| corrupt("formulation preparation", row.id, e))?,
        id: row.id,
        formulation_id: row.formulation_id,
        held_on: row.held_on.map(|d| d.0),
        place: row.place,
        attendees: row.attendees,
        text: row.body,
        file,
        recorded_by: row.recorded_by,
        recorded_at: row.recorded_at.0,
    })
}

impl Store {
    /// Adds a record to a formulation after the domain's checks (`Invalid` naming the field).
    pub async fn add_preparation(
        &self,
        actor: &Actor,
        new: NewPreparation,
        today: Date,
    ) -> StoreResult<Preparation> {
        let draft = PreparationDraft {
            kind: new.kind,
            held_on: new.held_on,
            place: &new.place,
            attendees: new.attendees.map(i64::from),
            text: &new.text,
            has_file: new.file.is_some(),
        };
        if let Some((field, problem)) = check_preparation(&draft, today).first() {
            return Err(StoreError::Invalid(
                Message::new("preparation-error-field")
                    .with("article", new.kind.article())
                    .with("field", *field)
                    .with("problem", Arg::List(vec![problem.message()])),
            ));
        }
        let txn = self.write_transaction().await?;
        formulation::Entity::find_by_id(new.formulation_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "formulation",
                id: new.formulation_id.to_string(),
            })?;
        crate::scope::check_formulation_editor(&txn, actor, Permission::Formulate, new.formulation_id)
            .await?;
        let place = Some(new.place.trim().to_owned()).filter(|p| !p.is_empty());
        let file = new.file;
        let row = formulation_preparation::ActiveModel {
            formulation_id: Set(new.formulation_id),
            kind: Set(new.kind.to_string()),
            held_on: Set(new.held_on.map(DbDate)),
            place: Set(place),
            attendees: Set(new.attendees),
            body: Set(new.text.trim().to_owned()),
            file_name: Set(file.as_ref().map(|f| f.file_name.clone())),
            content_type: Set(file.as_ref().map(|f| f.content_type.clone())),
            size_bytes: Set(file.as_ref().map(|f| f.size_bytes)),
            sha256: Set(file.as_ref().map(|f| f.sha256.clone())),
            recorded_by: Set(actor.user_id()),
            recorded_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        preparation_from(stored)
    }

    /// The records of a formulation, oldest first.
    pub async fn preparations(&self, formulation_id: i32) -> StoreResult<Vec<Preparation>> {
        formulation_preparation::Entity::find()
            .filter(formulation_preparation::Column::FormulationId.eq(formulation_id))
            .order_by_asc(formulation_preparation::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(preparation_from)
            .collect()
    }

    /// One record of a formulation.
    pub async fn preparation(&self, formulation_id: i32, id: i32) -> StoreResult<Option<Preparation>> {
        formulation_preparation::Entity::find_by_id(id)
            .filter(formulation_preparation::Column::FormulationId.eq(formulation_id))
            .one(&self.db)
            .await?
            .map(preparation_from)
            .transpose()
    }
}
