//! The title study of a parcel (Art. 12), with optimistic locking.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "parcel_title_studies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub parcel_id: i32,
    pub title_record: String,
    pub owner_name: String,
    pub owner_document: String,
    pub owner_is_member: bool,
    pub limitations: String,
    pub limits_use: bool,
    /// `favourable` or `not_favourable`.
    pub result: String,
    pub reasons: String,
    pub studied_by: Option<i32>,
    pub studied_at: DbTimestamp,
    pub lock_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
