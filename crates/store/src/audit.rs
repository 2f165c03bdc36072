//! The append-only audit log: who changed which entity, when, with its values before and
//! after. Repositories write through the helpers here, inside the same transaction as the
//! change, so a change and its entry are committed together or not at all.
//!
//! Nothing in the application updates or deletes an entry, and the database refuses to (see
//! migration `m20261121_000003_append_only_audit`).

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityName,
    EntityTrait, IntoActiveModel, Iterable, ModelTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter,
    QueryOrder, QuerySelect, UpdateMany,
};
use serde::Serialize;
use vereda_domain::audit::{Actor, AuditAction};

use crate::entity::audit_entry;
use crate::types::DbTimestamp;
use crate::{Store, StoreError, StoreResult};

/// Appends one entry.
pub(crate) async fn append(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity: &str,
    entity_id: &str,
    action: AuditAction,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), DbErr> {
    audit_entry::ActiveModel {
        at: Set(DbTimestamp::now()),
        actor: Set(actor.label()),
        actor_user_id: Set(actor.user_id()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id.to_owned()),
        action: Set(action.to_string()),
        before: Set(before.map(|v| v.to_string())),
        after: Set(after.map(|v| v.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub(crate) fn snapshot(model: &impl Serialize) -> Result<serde_json::Value, DbErr> {
    serde_json::to_value(model).map_err(|e| DbErr::Custom(format!("cannot record audit values: {e}")))
}

/// Records an update made by a statement `update` cannot watch (a conditional `update_many`,
/// for optimistic locking): the row as read before and as read after.
pub(crate) async fn record_update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    table: &str,
    id: i32,
    before: &impl Serialize,
    after: &impl Serialize,
) -> Result<(), DbErr> {
    append(
        db,
        actor,
        table,
        &id.to_string(),
        AuditAction::Update,
        Some(snapshot(before)?),
        Some(snapshot(after)?),
    )
    .await
}

/// Runs an update made conditional on what was read (an `update_many` filtered on the row's
/// id and its lock version or state, for optimistic locking) and records it: `refused` when
/// the row no longer matched, else the row as it now is, recorded with the row as read.
pub(crate) async fn conditional_update<E, C>(
    db: &C,
    actor: &Actor,
    statement: UpdateMany<E>,
    before: &E::Model,
    id: i32,
    refused: impl FnOnce() -> StoreError,
) -> StoreResult<E::Model>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Serialize,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    if statement.exec(db).await?.rows_affected != 1 {
        return Err(refused());
    }
    let table = table_of::<E::Model>();
    let after = E::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| crate::corrupt(&table, id, "vanished after its update"))?;
    record_update(db, actor, &table, id, before, &after).await?;
    Ok(after)
}

/// One change to record with [`append_many`].
pub(crate) struct Change {
    pub entity: &'static str,
    pub entity_id: String,
    pub action: AuditAction,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// How many entries one statement appends.
const ENTRIES_PER_STATEMENT: usize = 500;

/// Appends many entries with a few multi-row statements, for batch changes (a screening
/// stores tens of thousands of rows in one transaction).
pub(crate) async fn append_many(
    db: &impl ConnectionTrait,
    actor: &Actor,
    changes: Vec<Change>,
) -> Result<(), DbErr> {
    let at = DbTimestamp::now();
    let label = actor.label();
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let rows: Vec<audit_entry::ActiveModel> = changes
            .by_ref()
            .take(ENTRIES_PER_STATEMENT)
            .map(|change| audit_entry::ActiveModel {
                at: Set(at),
                actor: Set(label.clone()),
                actor_user_id: Set(actor.user_id()),
                entity: Set(change.entity.to_owned()),
                entity_id: Set(change.entity_id),
                action: Set(change.action.to_string()),
                before: Set(change.before.map(|v| v.to_string())),
                after: Set(change.after.map(|v| v.to_string())),
                ..Default::default()
            })
            .collect();
        audit_entry::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The primary key of a row as text (`1`, `18001`, or `3/12` for a composite key).
fn key_of<M: ModelTrait>(model: &M) -> String {
    <M::Entity as EntityTrait>::PrimaryKey::iter()
        .map(|key| match model.get(key.into_column()) {
            sea_orm::Value::String(Some(s)) => s.to_string(),
            sea_orm::Value::Int(Some(n)) => n.to_string(),
            sea_orm::Value::BigInt(Some(n)) => n.to_string(),
            sea_orm::Value::SmallInt(Some(n)) => n.to_string(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn table_of<M: ModelTrait>() -> String {
    <M::Entity as Default>::default().table_name().to_owned()
}

/// Inserts a row and records it.
pub(crate) async fn insert<A, C>(
    db: &C,
    actor: &Actor,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + Serialize,
{
    let model = row.insert(db).await?;
    append(
        db,
        actor,
        &table_of::<<A::Entity as EntityTrait>::Model>(),
        &key_of(&model),
        AuditAction::Create,
        None,
        Some(snapshot(&model)?),
    )
    .await?;
    Ok(model)
}

/// Updates a row read as `before` and records both versions.
pub(crate) async fn update<A, C>(
    db: &C,
    actor: &Actor,
    before: &<A::Entity as EntityTrait>::Model,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + Serialize + PartialEq,
{
    let after = row.update(db).await?;
    if &after != before {
        append(
            db,
            actor,
            &table_of::<<A::Entity as EntityTrait>::Model>(),
            &key_of(&after),
            AuditAction::Update,
            Some(snapshot(before)?),
            Some(snapshot(&after)?),
        )
        .await?;
    }
    Ok(after)
}

/// One entry as the application shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: jiff::Timestamp,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub action: AuditAction,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditEntry {
    /// A text field of the row as the change left it (`None` when absent or not text).
    pub fn after_text(&self, field: &str) -> Option<&str> {
        self.after.as_ref()?.get(field)?.as_str()
    }
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Only entries older than this id (for paging back in time).
    pub before_id: Option<i64>,
    pub limit: u64,
}

impl Store {
    /// The newest entries first.
    pub async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        let mut select = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id);
        if let Some(entity) = &query.entity {
            select = select.filter(audit_entry::Column::Entity.eq(entity.as_str()));
        }
        if let Some(entity_id) = &query.entity_id {
            select = select.filter(audit_entry::Column::EntityId.eq(entity_id.as_str()));
        }
        if let Some(before_id) = query.before_id {
            select = select.filter(audit_entry::Column::Id.lt(before_id));
        }
        let limit = if query.limit == 0 {
            100
        } else {
            query.limit.min(1000)
        };
        let rows = select.limit(limit).all(&self.db).await?;
        rows.into_iter().map(entry_from_row).collect()
    }
}

fn entry_from_row(row: audit_entry::Model) -> StoreResult<AuditEntry> {
    let parse = |text: Option<String>| -> StoreResult<Option<serde_json::Value>> {
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("audit entry {}: {e}", row.id)))
        })
        .transpose()
    };
    Ok(AuditEntry {
        id: row.id,
        at: row.at.0,
        actor: row.actor.clone(),
        entity: row.entity.clone(),
        entity_id: row.entity_id.clone(),
        action: row
            .action
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("audit entry {}: {e}", row.id)))?,
        before: parse(row.before.clone())?,
        after: parse(row.after.clone())?,
    })
}
