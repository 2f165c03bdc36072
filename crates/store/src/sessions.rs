//! Browser sessions, kept in the database so that they survive a restart and are shared by
//! every server process. The web layer decides what a session holds; here it is opaque text.
//! Sessions are not audited: they are not records of the program.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::session;
use crate::types::DbTimestamp;
use crate::{Store, StoreResult};

impl Store {
    /// Stores a session, replacing what it held.
    pub async fn save_session(&self, id: &str, data: &str, expires_at: jiff::Timestamp) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        session::Entity::insert(session::ActiveModel {
            id: Set(id.to_owned()),
            data: Set(data.to_owned()),
            expires_at: Set(DbTimestamp(expires_at)),
        })
        .on_conflict(
            OnConflict::column(session::Column::Id)
                .update_columns([session::Column::Data, session::Column::ExpiresAt])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether a session id is taken, expired or not.
    pub async fn session_exists(&self, id: &str) -> StoreResult<bool> {
        Ok(session::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .is_some())
    }

    /// A session's data, unless it has expired.
    pub async fn load_session(&self, id: &str) -> StoreResult<Option<String>> {
        let now = DbTimestamp::now();
        Ok(session::Entity::find_by_id(id.to_owned())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?
            .map(|row| row.data))
    }

    pub async fn delete_session(&self, id: &str) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        session::Entity::delete_by_id(id.to_owned()).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> StoreResult<u64> {
        let txn = self.write_transaction().await?;
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(DbTimestamp::now()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(result.rows_affected)
    }
}
