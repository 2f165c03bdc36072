//! A one-time password-reset link issued by an administrator, kept only as its token's SHA-256.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "password_resets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: DbTimestamp,
    pub expires_at: DbTimestamp,
    pub used_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
