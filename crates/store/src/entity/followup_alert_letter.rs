//! A follow-up alert already written to its office: one row per project, kind and key.

use sea_orm::entity::prelude::*;

use crate::types::DbDate;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "followup_alert_letters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub project_id: i32,
    /// `vereda_domain::followup::AlertKind`.
    pub alert_kind: String,
    /// What tells one alert of the kind from another: the line, the commitment, the date.
    pub alert_key: String,
    pub first_seen: DbDate,
    /// How many letters it was written as (one per account of the office).
    pub letters: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
