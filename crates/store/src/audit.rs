//! The append-only audit log: who changed which entity, when, with its values before and
//! after. Repositories write through the helpers here, inside the same transaction as the
//! change, so a change and its entry are committed together or not at all.
//!
//! Nothing in the application updates or deletes an entry, and the database refuses to (see
//! migration `m20261121_000003_append_only_audit`). Every entry also carries the hash of the
//! entry before it and its own (migration 15), so an entry changed, removed or inserted by
//! someone who can get past the triggers (the database's owner) is found by
//! [`Store::verify_audit_chain`]. Every write takes a transaction: the chain's head is read
//! and extended inside it.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, DbErr, EntityName, EntityTrait, IntoActiveModel, Iterable, ModelTrait,
    PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Statement, UpdateMany,
};
use serde::Serialize;
use vereda_domain::audit::{Actor, AuditAction};

use crate::entity::audit_entry;
use crate::types::DbTimestamp;
use crate::{Message, Store, StoreError, StoreResult};

/// Appends one entry.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    actor: &Actor,
    entity: &str,
    entity_id: &str,
    action: AuditAction,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), DbErr> {
    append_entries(
        txn,
        actor,
        vec![Pending {
            entity: entity.to_owned(),
            entity_id: entity_id.to_owned(),
            action,
            before: before.map(|v| v.to_string()),
            after: after.map(|v| v.to_string()),
        }],
    )
    .await
}

pub(crate) fn snapshot(model: &impl Serialize) -> Result<serde_json::Value, DbErr> {
    serde_json::to_value(model).map_err(|e| DbErr::Custom(format!("cannot record audit values: {e}")))
}

/// Records an update made by a statement `update` cannot watch (a conditional `update_many`,
/// for optimistic locking): the row as read before and as read after.
pub(crate) async fn record_update(
    db: &DatabaseTransaction,
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
pub(crate) async fn conditional_update<E>(
    db: &DatabaseTransaction,
    actor: &Actor,
    statement: UpdateMany<E>,
    before: &E::Model,
    id: i32,
    refused: impl FnOnce() -> StoreError,
) -> StoreResult<E::Model>
where
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

/// One audited bulk update, for a screening's batches: each row comes with the row stored
/// before it. Rows that differ from before are updated in one statement on `update_columns`;
/// unchanged rows are left alone. Every update that `audit_update(before, after)` finds
/// material becomes a [`Change`] of `table` in `changes`, appended by the caller with the
/// batch's other changes. Returns how many rows were updated.
pub(crate) async fn update_changed<E>(
    txn: &DatabaseTransaction,
    table: &'static str,
    rows: Vec<(E::Model, E::Model)>,
    update_columns: &[E::Column],
    audit_update: impl Fn(&E::Model, &E::Model) -> bool,
    changes: &mut Vec<Change>,
) -> Result<u64, DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Serialize + PartialEq + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let id_column = E::PrimaryKey::iter()
        .next()
        .map(|key| key.into_column())
        .ok_or_else(|| DbErr::Custom(format!("{table} has no primary key")))?;
    let mut updates = Vec::new();
    for (before, after) in rows {
        if before == after {
            continue;
        }
        if audit_update(&before, &after) {
            let id = match after.get(id_column) {
                sea_orm::Value::Int(Some(id)) => id,
                other => {
                    return Err(DbErr::Custom(format!(
                        "{table} has a primary key {other:?} that is not an id"
                    )));
                }
            };
            changes.push(Change {
                entity: table,
                entity_id: id.to_string(),
                action: AuditAction::Update,
                before: Some(snapshot(&before)?),
                after: Some(snapshot(&after)?),
            });
        }
        updates.push(after.into_active_model());
    }
    let updated = updates.len() as u64;
    if !updates.is_empty() {
        E::insert_many(updates)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(id_column)
                    .update_columns(update_columns.iter().copied())
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(updated)
}

/// How many entries one statement appends.
const ENTRIES_PER_STATEMENT: usize = 500;

/// Appends many entries with a few multi-row statements, for batch changes (a screening
/// stores tens of thousands of rows in one transaction).
pub(crate) async fn append_many(
    txn: &DatabaseTransaction,
    actor: &Actor,
    changes: Vec<Change>,
) -> Result<(), DbErr> {
    let pending = changes
        .into_iter()
        .map(|change| Pending {
            entity: change.entity.to_owned(),
            entity_id: change.entity_id,
            action: change.action,
            before: change.before.map(|v| v.to_string()),
            after: change.after.map(|v| v.to_string()),
        })
        .collect();
    append_entries(txn, actor, pending).await
}

/// An entry about to be appended, its values already as the text stored.
struct Pending {
    entity: String,
    entity_id: String,
    action: AuditAction,
    before: Option<String>,
    after: Option<String>,
}

/// The one path that writes to `audit_log`. It takes the chain's head inside the writing
/// transaction (on PostgreSQL under a transaction-scoped advisory lock; on SQLite the
/// transaction already holds the database's write lock once it has written), links each new
/// entry to the one before it and stores both hashes. Two writers therefore never link to the
/// same entry, and the unique index on `prev_hash` (migration 15) refuses a fork if one ever
/// tried.
async fn append_entries(
    txn: &DatabaseTransaction,
    actor: &Actor,
    entries: Vec<Pending>,
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut previous = lock_chain_head(txn).await?;
    let at = DbTimestamp::now();
    let label = actor.label();
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let mut rows = Vec::with_capacity(ENTRIES_PER_STATEMENT);
        for entry in entries.by_ref().take(ENTRIES_PER_STATEMENT) {
            let action = entry.action.to_string();
            let hash = entry_hash(&ChainFields {
                at: at.0.as_microsecond(),
                actor: &label,
                actor_user_id: actor.user_id(),
                entity: &entry.entity,
                entity_id: &entry.entity_id,
                action: &action,
                before: entry.before.as_deref(),
                after: entry.after.as_deref(),
                prev_hash: &previous,
            });
            rows.push(audit_entry::ActiveModel {
                at: Set(at),
                actor: Set(label.clone()),
                actor_user_id: Set(actor.user_id()),
                entity: Set(entry.entity),
                entity_id: Set(entry.entity_id),
                action: Set(action),
                before: Set(entry.before),
                after: Set(entry.after),
                prev_hash: Set(std::mem::replace(&mut previous, hash.clone())),
                hash: Set(hash),
                ..Default::default()
            });
        }
        audit_entry::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The key of the advisory lock that serialises appends on PostgreSQL ("vereda audit").
const CHAIN_LOCK_KEY: i64 = 0x7665_7265_6461_0001;

/// The hash of the newest entry (the genesis hash for an empty log), read under the chain's
/// lock, which the transaction holds until it ends.
async fn lock_chain_head(txn: &DatabaseTransaction) -> Result<String, DbErr> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY})"),
        ))
        .await?;
    }
    Ok(chain_head(txn)
        .await?
        .map_or_else(|| GENESIS_HASH.to_owned(), |head| head.hash))
}

async fn chain_head(db: &impl ConnectionTrait) -> Result<Option<ChainHead>, DbErr> {
    Ok(audit_entry::Entity::find()
        .select_only()
        .column(audit_entry::Column::Id)
        .column(audit_entry::Column::Hash)
        .order_by_desc(audit_entry::Column::Id)
        .into_tuple::<(i64, String)>()
        .one(db)
        .await?
        .map(|(id, hash)| ChainHead { id, hash }))
}

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry's hash covers: every stored field but the id, and the hash before it.
pub struct ChainFields<'a> {
    /// The instant, microseconds since the epoch (as stored).
    pub at: i64,
    pub actor: &'a str,
    pub actor_user_id: Option<i32>,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    /// The JSON text as stored.
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub prev_hash: &'a str,
}

/// SHA-256 (lowercase hex) of the canonical encoding of an entry: a JSON array of a version
/// tag and the fields in a fixed order, each as stored (`null` for absent values), so the same
/// entry hashes alike on both backends and in any later version of the program.
pub fn entry_hash(fields: &ChainFields<'_>) -> String {
    let canonical = serde_json::json!([
        "vereda-audit-1",
        fields.at,
        fields.actor,
        fields.actor_user_id,
        fields.entity,
        fields.entity_id,
        fields.action,
        fields.before,
        fields.after,
        fields.prev_hash,
    ]);
    crate::formulations::hex_sha256(canonical.to_string().as_bytes())
}

fn stored_hash(row: &audit_entry::Model) -> String {
    entry_hash(&ChainFields {
        at: row.at.0.as_microsecond(),
        actor: &row.actor,
        actor_user_id: row.actor_user_id,
        entity: &row.entity,
        entity_id: &row.entity_id,
        action: &row.action,
        before: row.before.as_deref(),
        after: row.after.as_deref(),
        prev_hash: &row.prev_hash,
    })
}

/// The newest entry of the chain: its id and hash. Written to the application log once a day
/// and by `vereda audit verify`, so a chain rebuilt later no longer ends where it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    pub id: i64,
    pub hash: String,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The entry's fields (or its hashes) are not the ones it was written with.
    Changed { id: i64 },
    /// The entry was not written by the application: the entry after it links over it to the
    /// one before (or it is the last and links to nothing before it).
    Inserted { id: i64 },
    /// The entry does not link to the one before it: entries between them were removed (or the
    /// one before was rewritten with its hash computed again).
    Unlinked { id: i64, previous_id: Option<i64> },
}

impl ChainBreak {
    /// What is wrong, as a typed message.
    pub fn message(&self) -> Message {
        match self {
            ChainBreak::Changed { id } => Message::new("audit-chain-changed").with("id", id.to_string()),
            ChainBreak::Inserted { id } => Message::new("audit-chain-inserted").with("id", id.to_string()),
            ChainBreak::Unlinked { id, previous_id } => match previous_id {
                Some(previous) => Message::new("audit-chain-removed")
                    .with("id", id.to_string())
                    .with("previous", previous.to_string()),
                None => Message::new("audit-chain-removed_first").with("id", id.to_string()),
            },
        }
    }

    /// The entry named.
    pub fn id(&self) -> i64 {
        match self {
            ChainBreak::Changed { id } | ChainBreak::Inserted { id } | ChainBreak::Unlinked { id, .. } => *id,
        }
    }
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Entries read (up to and including the first break).
    pub entries: u64,
    pub head: Option<ChainHead>,
    pub first_break: Option<ChainBreak>,
}

impl ChainReport {
    pub fn message(&self) -> Message {
        match (&self.first_break, &self.head) {
            (Some(found), _) => found.message(),
            (None, Some(head)) => Message::new("audit-chain-intact")
                .with("count", self.entries)
                .with("id", head.id.to_string())
                .with("hash", head.hash.as_str()),
            (None, None) => Message::new("audit-chain-empty"),
        }
    }
}

/// Entries read at a time while walking the chain.
const VERIFY_PAGE: u64 = 1000;

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
pub(crate) async fn insert<A>(
    db: &DatabaseTransaction,
    actor: &Actor,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
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
pub(crate) async fn update<A>(
    db: &DatabaseTransaction,
    actor: &Actor,
    before: &<A::Entity as EntityTrait>::Model,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
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

/// An authentication event, as [`Store::record_auth_event`] records it: the entity is
/// `users`, the entity id the account's id when there is one, else the e-mail as typed; the
/// values after are the e-mail as typed and the client's address.
#[derive(Debug, Clone)]
pub struct AuthEvent<'a> {
    /// One of the authentication actions (`AuditAction::is_authentication`).
    pub action: AuditAction,
    /// The account concerned, when the e-mail names one.
    pub account_id: Option<i32>,
    /// The e-mail as typed (trimmed), or the account's.
    pub email: &'a str,
    /// The client's address, when known.
    pub address: Option<&'a str>,
}

/// Appends an authentication event inside a transaction that also changes something (a
/// password change, a reset link used...).
pub(crate) async fn append_auth_event(
    txn: &DatabaseTransaction,
    actor: &Actor,
    event: &AuthEvent<'_>,
) -> Result<(), DbErr> {
    let entity_id = event
        .account_id
        .map_or_else(|| event.email.trim().to_owned(), |id| id.to_string());
    let mut after = serde_json::Map::new();
    after.insert("email".into(), event.email.trim().into());
    if let Some(address) = event.address {
        after.insert("address".into(), address.into());
    }
    append(
        txn,
        actor,
        "users",
        &entity_id,
        event.action,
        None,
        Some(serde_json::Value::Object(after)),
    )
    .await
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

impl AuditEntry {
    /// The entry as an account without `ViewFullDocuments` sees it: a household's personal
    /// values masked by `vereda_domain::privacy` wherever they sit in the values before and
    /// after. Entries about accounts (`users`) hold staff data and stay whole, but a password's
    /// hash (older entries of created accounts) is never shown to anyone.
    pub fn masked(mut self, sees_personal_data: bool) -> AuditEntry {
        for values in [&mut self.before, &mut self.after].into_iter().flatten() {
            if let serde_json::Value::Object(map) = values {
                map.remove("password_hash");
            }
            if !sees_personal_data && self.entity != "users" {
                mask_personal_json(values);
            }
        }
        self
    }
}

/// Masks a household's personal values in JSON by their keys (`PersonalField::of_key`),
/// including JSON kept as text inside it (a screening result's facts) and the values quoted by
/// row errors (`errors`, `row_errors`: each error's `value`).
pub fn mask_personal_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    use vereda_domain::privacy::{HIDDEN, PersonalField};
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if let Some(field) = PersonalField::of_key(key) {
                    match item {
                        Value::Null => {}
                        Value::String(text) => *text = field.mask(text),
                        Value::Number(n) => *item = Value::String(field.mask(&n.to_string())),
                        other => *other = Value::String(HIDDEN.to_owned()),
                    }
                } else if key == "errors" || key == "row_errors" {
                    mask_row_errors(item);
                } else {
                    mask_personal_json(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_personal_json),
        Value::String(text) if text.starts_with(['{', '[']) => {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                mask_personal_json(&mut inner);
                *text = inner.to_string();
            }
        }
        _ => {}
    }
}

/// Row errors quote the input's cells: the value goes, and so does any quotation of it in the
/// error's text.
fn mask_row_errors(errors: &mut serde_json::Value) {
    use serde_json::Value;
    use vereda_domain::privacy::HIDDEN;
    match errors {
        Value::String(text) if text.starts_with('[') => {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                mask_row_errors(&mut inner);
                *text = inner.to_string();
            }
        }
        Value::Array(items) => {
            for item in items {
                if let Value::Object(error) = item {
                    let quoted = error.get("value").and_then(Value::as_str).map(str::to_owned);
                    if let Some(quoted) = quoted.filter(|q| !q.is_empty()) {
                        for text in error.values_mut() {
                            replace_everywhere(text, &quoted, HIDDEN);
                        }
                    }
                    mask_personal_json(item);
                }
            }
        }
        other => mask_personal_json(other),
    }
}

/// Replaces `quoted` in every string of a JSON value, nested ones included (a row error's
/// typed message keeps the cell in its arguments).
fn replace_everywhere(value: &mut serde_json::Value, quoted: &str, hidden: &str) {
    use serde_json::Value;
    match value {
        Value::String(text) => *text = text.replace(quoted, hidden),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_everywhere(item, quoted, hidden)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_everywhere(item, quoted, hidden)),
        _ => {}
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
    /// The newest entry of the chain (none while the log is empty).
    pub async fn audit_chain_head(&self) -> StoreResult<Option<ChainHead>> {
        Ok(chain_head(&self.db).await?)
    }

    /// Walks the whole chain from the first entry and stops at the first one that does not
    /// hold: changed, inserted, or linked past entries that were removed. Reads only, so the
    /// application's role (INSERT and SELECT on `audit_log`) may run it.
    pub async fn verify_audit_chain(&self) -> StoreResult<ChainReport> {
        let mut expected = GENESIS_HASH.to_owned();
        let mut previous_id: Option<i64> = None;
        // The hash the previous entry linked to.
        let mut earlier = String::new();
        let mut entries = 0u64;
        let mut page = self.chain_page(None).await?;
        while !page.is_empty() {
            let next_page = match page.last() {
                Some(last) => self.chain_page(Some(last.id)).await?,
                None => Vec::new(),
            };
            for (index, row) in page.iter().enumerate() {
                entries += 1;
                let next = page.get(index + 1).or_else(|| next_page.first());
                let hash_holds = stored_hash(row) == row.hash;
                let linked = row.prev_hash == expected;
                if !(hash_holds && linked) {
                    // An entry the next one links over was put in between.
                    let skipped_over = next.is_none_or(|next| next.prev_hash == expected);
                    let found = if !linked && skipped_over {
                        ChainBreak::Inserted { id: row.id }
                    } else if let (true, Some(inserted)) =
                        (hash_holds && row.prev_hash == earlier, previous_id)
                    {
                        // The previous entry was put in between, hashed like a real one.
                        ChainBreak::Inserted { id: inserted }
                    } else if hash_holds {
                        ChainBreak::Unlinked {
                            id: row.id,
                            previous_id,
                        }
                    } else {
                        ChainBreak::Changed { id: row.id }
                    };
                    return Ok(ChainReport {
                        entries,
                        head: chain_head(&self.db).await?,
                        first_break: Some(found),
                    });
                }
                earlier = std::mem::replace(&mut expected, row.hash.clone());
                previous_id = Some(row.id);
            }
            page = next_page;
        }
        Ok(ChainReport {
            entries,
            head: previous_id.map(|id| ChainHead { id, hash: expected }),
            first_break: None,
        })
    }

    /// The hash an entry carries now (none when there is no entry with that id).
    pub async fn audit_entry_hash(&self, id: i64) -> StoreResult<Option<String>> {
        Ok(audit_entry::Entity::find_by_id(id)
            .select_only()
            .column(audit_entry::Column::Hash)
            .into_tuple::<String>()
            .one(&self.db)
            .await?)
    }

    async fn chain_page(&self, after_id: Option<i64>) -> StoreResult<Vec<audit_entry::Model>> {
        let mut select = audit_entry::Entity::find().order_by_asc(audit_entry::Column::Id);
        if let Some(id) = after_id {
            select = select.filter(audit_entry::Column::Id.gt(id));
        }
        Ok(select.limit(VERIFY_PAGE).all(&self.db).await?)
    }

    /// Records an authentication event (a login, a refused or throttled login, a logout, a
    /// password changed...) in the audit log, in its own transaction. Never the password.
    pub async fn record_auth_event(&self, actor: &Actor, event: &AuthEvent<'_>) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        append_auth_event(&txn, actor, event).await?;
        txn.commit().await?;
        Ok(())
    }

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

pub(crate) fn entry_from_row(row: audit_entry::Model) -> StoreResult<AuditEntry> {
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
