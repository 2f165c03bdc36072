//! One version of a formulation: the whole `Formulation` as JSON and its evaluation summary
//! when it was saved.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "formulation_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub formulation_id: i32,
    /// 1, 2, … within the formulation.
    pub number: i32,
    /// JSON: `vereda_domain::finance::formulation::Formulation`.
    pub content: String,
    /// SHA-256 of `content`, lowercase hex.
    pub content_sha256: String,
    pub note: Option<String>,
    /// The verdict at save time; none when it could not be evaluated.
    pub viable: Option<bool>,
    /// The internal rate of return at save time, as text.
    pub irr: Option<String>,
    pub rule_set_id: String,
    pub rule_set_hash: Option<String>,
    /// Who saved the content as it stands, and when (a draft is replaced in place).
    pub created_by: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
