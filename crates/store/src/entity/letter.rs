//! A letter to a household (Art. 46), and how it was delivered.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "letters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: i32,
    pub household_id: i32,
    /// `vereda_domain::verification::LetterKind`.
    pub kind: String,
    /// The head of household's name.
    pub recipient: String,
    /// The e-mail address an SMTP letter went to.
    pub email: Option<String>,
    pub subject: String,
    pub body: String,
    /// `smtp` or `outbox`.
    pub channel: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// The outbox file, or the SMTP message id.
    pub location: Option<String>,
    pub error: Option<String>,
    pub created_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
