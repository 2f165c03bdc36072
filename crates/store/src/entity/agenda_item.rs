//! A formulation's version on a session's agenda, with the committee's concept (Art. 24.4).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "agenda_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub formulation_id: i32,
    pub version_number: i32,
    /// positive or negative, once decided.
    pub concept: Option<String>,
    /// The viability report or the recommendations.
    pub concept_text: Option<String>,
    /// JSON: the evaluation summary of the version judged.
    pub evaluation_summary: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DbTimestamp>,
    pub lock_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
