//! A citizen's petition (PQRSD, Ley 1755 de 2015), its answer and its one extension. The
//! petitioner's name, document, e-mail, postal address and text are personal data (Ley 1581
//! de 2012): masked by `vereda_domain::privacy`, never on a public page.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "petitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub year: i32,
    /// The year's sequence, from 1, without gaps.
    pub sequence: i32,
    /// The filing number (radicado), `PQRSD-2026-000123`.
    pub number: String,
    /// `vereda_domain::petition::PetitionKind`.
    pub kind: String,
    pub petitioner_name: String,
    pub petitioner_document: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub subject: String,
    pub petition_text: String,
    pub attachment_name: Option<String>,
    /// The attachment kept under the uploads' `documents/<SHA-256>`.
    pub attachment_sha256: Option<String>,
    pub attachment_size: Option<i64>,
    /// DIVIPOLA municipality: the office of its department answers; none, the national staff.
    pub municipality_code: Option<String>,
    pub filed_at: DbTimestamp,
    /// The filing date in Colombia, from which the term counts.
    pub filed_on: DbDate,
    /// The legal deadline (Art. 14).
    pub deadline: DbDate,
    pub assigned_to: Option<i32>,
    pub answer_text: Option<String>,
    pub answered_at: Option<DbTimestamp>,
    pub answered_on: Option<DbDate>,
    pub answered_by: Option<i32>,
    /// The letter that took the answer to the petitioner.
    pub letter_id: Option<i32>,
    /// The new deadline of the one extension (Art. 14 par.).
    pub extended_deadline: Option<DbDate>,
    pub extension_motivation: Option<String>,
    pub extended_at: Option<DbTimestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
