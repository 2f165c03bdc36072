//! A signed act: the award resolution, the committee's minutes or an appeal's decision, with
//! the SHA-256 of its exact PDF, the PDF itself (never serialized, so never in the audit log)
//! and its verification code.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "acts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `vereda_domain::acts::ActKind`.
    pub kind: String,
    /// The award's, the session's or the appeal's id.
    pub subject_id: i32,
    pub number: String,
    pub issued_on: DbDate,
    pub code: String,
    pub signed_by: Option<i32>,
    pub signer_name: String,
    /// The signer's role code at the signature.
    pub signer_role: String,
    pub signed_at: DbTimestamp,
    pub sha256: String,
    pub pdf_size: i64,
    #[serde(skip)]
    pub pdf: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
