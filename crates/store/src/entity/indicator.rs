//! An indicator of a project's results framework.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    pub number: i32,
    pub name: String,
    pub unit: String,
    pub baseline: Dec,
    pub goal: Dec,
    pub higher_is_better: bool,
    pub by_sex: bool,
    pub status: String,
    pub featured: bool,
    pub result_position: Option<i32>,
    pub rollup_key: Option<String>,
    pub baseline_date: Option<DbDate>,
    /// The latest approved measurement, kept here when one is approved.
    pub current_value: Option<Dec>,
    pub current_women: Option<Dec>,
    pub current_men: Option<Dec>,
    pub last_update: Option<DbDate>,
    /// Bumped by every edit, so two officers editing at once cannot overwrite each other.
    pub lock_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
