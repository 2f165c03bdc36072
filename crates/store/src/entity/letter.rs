//! A letter to a household (Art. 46) or the answer to a petition (Ley 1755 de 2015), and how
//! it was delivered.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::DbTimestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "letters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The call and household of a letter to a household; none for a petition's answer.
    pub call_id: Option<i32>,
    pub household_id: Option<i32>,
    /// `vereda_domain::verification::LetterKind`.
    pub kind: String,
    /// The head of household's name, or the petitioner's.
    pub recipient: String,
    /// The e-mail address an SMTP letter went to.
    pub email: Option<String>,
    /// The text as sent (kept with the delivery); empty until then for a letter written from
    /// its `facts`.
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
    /// The petition a letter answers.
    pub petition_id: Option<i32>,
    /// The server sending it, until `claimed_until`: no other server sends it meanwhile.
    /// Delivery bookkeeping, not part of the letter: left out of the audit log.
    #[serde(skip)]
    pub claimed_by: Option<String>,
    #[serde(skip)]
    pub claimed_until: Option<DbTimestamp>,
    /// The Message-ID it is sent with, fixed at its first claim, so a resend after a server
    /// stopped mid-send is recognisably the same message.
    #[serde(skip)]
    pub message_id: Option<String>,
    /// `vereda_domain::verification::LetterFacts` as JSON: what the letter says, in codes and
    /// values. None for the letters written before the facts were kept.
    pub facts: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
