//! A session of the evaluation committee (Art. 23).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "committee_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub held_on: DbDate,
    pub place: String,
    /// When the minutes were drawn up; the session is closed from then on.
    pub closed_at: Option<DbTimestamp>,
    pub lock_version: i32,
    pub created_by: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
