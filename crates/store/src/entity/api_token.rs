//! An API token of an account, kept only as its secret's SHA-256 (never serialized, so never in
//! the audit log).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub label: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: DbTimestamp,
    /// The actor who issued it, as the audit log writes actors.
    pub created_by: String,
    pub last_used_at: Option<DbTimestamp>,
    pub revoked_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
