//! A staff account attending a committee session, and when it signed the minutes.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "committee_attendees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub user_id: i32,
    pub signed_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
