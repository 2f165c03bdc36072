//! The notification of a not-eligible verification decision to its household (Ley 1437 de
//! 2011, Art. 56, 67-69).
//! The recipient's name is personal data.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, DbTimestamp};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "verification_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub household_id: i32,
    /// The instant of the not-eligible decision notified (`household_verifications.decided_at`).
    pub decision_at: Option<DbTimestamp>,
    /// `vereda_domain::acts::NotificationKind`.
    pub kind: String,
    /// Who received it: the head of the family or its representative.
    pub recipient_name: String,
    /// The day of the notification, or of the notice's delivery.
    pub notified_on: DbDate,
    /// For a notice: the day the citation to notify in person was sent.
    pub cited_on: Option<DbDate>,
    /// The day it takes effect (a notice: the day after its delivery).
    pub effective_on: DbDate,
    pub recorded_by: i32,
    pub recorded_at: DbTimestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
