//! The staff's inbox and its letters (issue 18 part 1, issue 17 part 5).
//!
//! `project_followup_facts`: one row per awarded project with a plan, beside its stored
//! summary and refreshed with it in the transaction of every step that changes it: the
//! payment's date, the last movement's, whether closed, the plan lines executed over their
//! amount and the open commitments (JSON). With the summary's progress they are what the
//! project's alerts are raised from, so the alerts of every project are read in one query
//! instead of being recomputed per request. Filled for existing projects at the first start
//! (`Store::migrate`).
//!
//! `followup_alert_letters`: each follow-up alert written to its office, once: unique on the
//! project, the alert's kind and its key (the line, the commitment, the date it counts from).
//!
//! `inbox_digests`: the daily digest of an account, once a day: unique on the account and the
//! day, with the letter it was written as.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000028_inbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(col("project_followup_facts"))
                .col(integer(col("project_id")).primary_key().to_owned())
                .col(string_len_null(col("paid_on"), 10))
                .col(string_len_null(col("last_movement"), 10))
                .col(boolean(col("closed")))
                .col(text(col("over_plan")))
                .col(text(col("open_commitments")))
                .foreign_key(&mut owned_by("project_followup_facts", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("followup_alert_letters"))
                .col(id())
                .col(integer(col("project_id")))
                .col(string(col("alert_kind")))
                .col(string(col("alert_key")))
                .col(iso_date("first_seen"))
                .col(integer(col("letters")))
                .foreign_key(&mut owned_by("followup_alert_letters", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("inbox_digests"))
                .col(id())
                .col(integer(col("user_id")))
                .col(iso_date("day"))
                .col(integer(col("items")))
                .col(integer_null(col("letter_id")))
                .col(instant("created_at"))
                .foreign_key(&mut fk("inbox_digests", "user_id", "users", "id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for statement in [
            index(
                "followup_alert_letters",
                &["project_id", "alert_kind", "alert_key"],
                true,
            ),
            index("inbox_digests", &["user_id", "day"], true),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
