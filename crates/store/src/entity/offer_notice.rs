//! The notice of the institutional offer of a call (Art. 11), which starts the term of
//! Art. 14 for the documents.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "offer_notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    pub notice_date: DbDate,
    /// The 20th business day after the notice.
    pub deadline: DbDate,
    pub text: String,
    pub recorded_by: Option<i32>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
