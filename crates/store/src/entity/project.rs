//! A project with a results framework: the program's own or a donor's.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    /// The language of its own texts (`monitoring::ContentLanguage`: `es`, `en`).
    pub language: String,
    pub title: String,
    pub subtitle: String,
    pub tagline: String,
    pub period_start: DbDate,
    pub period_end: DbDate,
    pub description: String,
    pub peace_contribution: String,
    pub general_objective: String,
    pub status: String,
    pub program_id: Option<i32>,
    pub created_at: DbTimestamp,
    pub updated_at: Option<DbTimestamp>,
    /// The award that opened it, if one did.
    pub award_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
