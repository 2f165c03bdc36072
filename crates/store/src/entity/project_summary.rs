//! A project's stored summary: what the portfolio and the follow-up roll-up read, refreshed in
//! the transaction of every step that changes the project (`portfolio::refresh_summary`).

use sea_orm::entity::prelude::*;

use crate::types::{DbDate, DbTimestamp, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i32,
    pub code: String,
    pub title: String,
    /// The code, title and value chains folded for accents and case: what the search matches.
    pub search: String,
    /// The language of its title (`vereda_domain::monitoring::ContentLanguage`).
    pub language: String,
    pub period_start: DbDate,
    pub period_end: DbDate,
    /// The status the records give before the period's end; past it, a project not closed
    /// reads "ended" (`awarded_project::project_status`), compared with today when read.
    pub recorded_status: String,
    /// Totals by currency, as JSON (`{"COP": "1500000"}`).
    pub totals: String,
    pub indicators: i32,
    pub municipalities: i32,
    /// The department code, or `several`.
    pub territory: String,
    pub advance_percent: Option<i32>,
    pub physical: Option<Dec>,
    pub financial: Option<Dec>,
    pub management: Option<Dec>,
    pub office_code: Option<String>,
    pub call_code: Option<String>,
    pub refreshed_at: DbTimestamp,
    /// Once awarded (migration 40): the award's date and committed contribution, the single
    /// payment, what the controlled account executed, and the date of closure.
    pub awarded_on: Option<DbDate>,
    pub committed: Option<Dec>,
    pub disbursed: Option<Dec>,
    pub disbursed_on: Option<DbDate>,
    pub executed: Option<Dec>,
    pub closed_on: Option<DbDate>,
    /// The values of its filters (the facets but the municipalities) as sorted lists, by kind,
    /// as JSON: what a row shows, read without the facet rows.
    pub facet_lists: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
