//! A line of an imported bank statement: fecha, descripción, referencia, débito, crédito, saldo.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::types::{DbDate, Dec};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "bank_statement_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub statement_id: i32,
    pub project_id: i32,
    pub line_number: i32,
    pub posted_on: DbDate,
    pub description: String,
    pub reference: String,
    pub debit: Dec,
    pub credit: Dec,
    pub balance: Option<Dec>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
