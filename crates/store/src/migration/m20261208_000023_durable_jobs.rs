//! Durable jobs (issue 15): one `jobs` table used as a queue by every long piece of work
//! (screenings first), claimed by a server under a lease it renews while it works, with the
//! work's checkpoint, so another server takes over only a job whose lease expired; letters
//! claimed by one server before they are sent, with the message id they went out with; and
//! the audit log's lookup by entity; a run's counts stored when it finishes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000023_durable_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("jobs"))
                    .col(id())
                    .col(string(col("kind")))
                    .col(string(col("job_key")))
                    // queued, running, succeeded, failed
                    .col(string(col("status")))
                    // What the job needs, as JSON written by its kind; never prose.
                    .col(text(col("payload")))
                    .col(string_null(col("owner")))
                    .col(instant("lease_until").null().to_owned())
                    .col(integer(col("attempts")).default(0).to_owned())
                    // How far the job's work is durably done (for a screening: results stored).
                    .col(big_integer(col("checkpoint")).default(0).to_owned())
                    .col(instant("created_at"))
                    .col(instant("started_at").null().to_owned())
                    .col(instant("finished_at").null().to_owned())
                    .to_owned(),
            )
            .await?;
        for statement in [
            index("jobs", &["kind", "job_key"], true),
            index("jobs", &["status", "id"], false),
        ] {
            manager.create_index(statement).await?;
        }
        let columns = [
            ("letters", string_null(col("claimed_by"))),
            ("letters", instant("claimed_until").null().to_owned()),
            ("letters", string_null(col("message_id"))),
            // A finished run's counts by reason, municipality and Sisbén level, computed once.
            ("screening_runs", text_null(col("counts"))),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(col(table)).add_column(column).to_owned())
                .await?;
        }
        for statement in [
            index("letters", &["status", "id"], false),
            index("audit_log", &["entity", "id"], false),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
