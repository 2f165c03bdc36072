//! A one-time recovery code of an account's second factor, kept only as its SHA-256.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    #[serde(skip)]
    pub code_hash: String,
    pub used_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
