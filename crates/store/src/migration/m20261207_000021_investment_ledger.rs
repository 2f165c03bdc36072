//! After the payment (Art. 29 par., 34): the investment plan and the controlled account's
//! ledger, with its bank statements.
//!
//! `investment_plans` keeps every approved version of a project's plan (the awarded budget as
//! version 1, then each approved change as n + 1), with its lines as JSON and their SHA-256.
//! `plan_changes` hold a requested move of money between lines until the territorial director
//! approves or returns it with a motivation. `ledger_movements` are the account's movements,
//! signed by an officer's account and by the families' representative (personal data);
//! `duplicate_of` flags one confirmed as not a repetition of an earlier one. A bank statement
//! (`bank_statements`) is imported whole with its lines (`bank_statement_lines`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000021_investment_ledger"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("investment_plans"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("version")))
                .col(text(col("lines")))
                .col(exact_decimal(backend, "total"))
                .col(string_len(col("sha256"), 64))
                // award, derived (a project awarded before the plan was kept) or change.
                .col(string(col("origin")))
                .col(integer_null(col("change_id")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("investment_plans", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("plan_changes"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("base_version")))
                .col(text(col("amounts")))
                .col(text(col("motivation")))
                .col(string(col("status")))
                .col(integer(col("requested_by")))
                .col(instant("requested_at"))
                .col(integer_null(col("reviewed_by")))
                .col(instant("reviewed_at").null().to_owned())
                .col(text_null(col("review_motivation")))
                .foreign_key(&mut owned_by("plan_changes", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("ledger_movements"))
                .col(id())
                .col(integer(col("project_id")))
                .col(iso_date("moved_on"))
                .col(exact_decimal(backend, "value"))
                .col(string(col("kind")))
                .col(integer_null(col("plan_line")))
                .col(string_null(col("source")))
                .col(string(col("supplier_name")))
                .col(string_null(col("supplier_nit")))
                .col(string(col("reference")))
                .col(string_null(col("document_sha256")))
                .col(string_null(col("document_name")))
                .col(integer(col("officer_id")))
                .col(string(col("representative_name")))
                .col(string(col("representative_document")))
                .col(integer_null(col("duplicate_of")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("ledger_movements", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("bank_statements"))
                .col(id())
                .col(integer(col("project_id")))
                .col(string(col("file_name")))
                .col(string_len(col("file_sha256"), 64))
                .col(integer(col("lines")))
                .col(integer(col("imported_by")))
                .col(instant("imported_at"))
                .foreign_key(&mut owned_by("bank_statements", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("bank_statement_lines"))
                .col(id())
                .col(integer(col("statement_id")))
                .col(integer(col("project_id")))
                .col(integer(col("line_number")))
                .col(iso_date("posted_on"))
                .col(text(col("description")))
                .col(string(col("reference")))
                .col(exact_decimal(backend, "debit"))
                .col(exact_decimal(backend, "credit"))
                .col(exact_decimal_null(backend, "balance"))
                .foreign_key(&mut owned_by(
                    "bank_statement_lines",
                    "statement_id",
                    "bank_statements",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(index("investment_plans", &["project_id", "version"], true))
            .await?;
        manager
            .create_index(index("plan_changes", &["project_id"], false))
            .await?;
        manager
            .create_index(index("ledger_movements", &["project_id", "moved_on"], false))
            .await?;
        manager
            .create_index(index("bank_statements", &["project_id"], false))
            .await?;
        manager
            .create_index(index("bank_statement_lines", &["project_id"], false))
            .await
    }
}
