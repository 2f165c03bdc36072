//! A household (núcleo familiar) registered in a call.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "households")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub call_id: Option<i32>,
    pub external_id: String,
    pub municipality_code: String,
    pub sisben_area: Option<String>,
    pub sisben_score: Option<Dec>,
    pub displaced: bool,
    pub ethnic_group: String,
    pub ethnic_community_registered: bool,
    pub program_line: String,
    /// The head of household's e-mail address, for letters by SMTP (Art. 46).
    pub email: Option<String>,
    /// The head of household's postal address for correspondence.
    pub correspondence_address: Option<String>,
    pub created_at: DbTimestamp,
    /// What staff lists search: `vereda_domain::text::household_search_key` of the head's
    /// name and document and the external id, rewritten with the household.
    pub search_key: String,
    /// `vereda_domain::verification::VerificationStatus` as its decision row holds it
    /// (migration 44), kept by the store with the decision: what a list's status filter tests.
    pub verification_status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
