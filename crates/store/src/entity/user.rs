//! A staff account.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Never serialized: the audit log's copy of a created account leaves it out.
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub active: bool,
    pub territorial_office_id: Option<i32>,
    pub created_at: DbTimestamp,
    /// Sessions logged in before this instant no longer count (password change, reset,
    /// deactivation).
    pub sessions_valid_after: Option<DbTimestamp>,
    /// The second factor's secret (base32), once enrolled. Never in the audit log.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted: a code is not accepted twice.
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
