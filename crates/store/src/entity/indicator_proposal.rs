//! A proposed change of a published indicator's baseline, goal or unit; it counts once
//! another account approves it.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_proposals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub indicator_id: i32,
    pub project_id: i32,
    pub baseline: Dec,
    pub goal: Dec,
    pub unit: String,
    pub reason: String,
    pub status: String,
    pub lock_version_seen: i32,
    pub submitted_by: i32,
    pub submitted_at: DbTimestamp,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DbTimestamp>,
    pub review_comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
