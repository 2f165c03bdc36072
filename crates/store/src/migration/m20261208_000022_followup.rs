//! Follow-up after the payment (Art. 31, 34-36): the surveillance team's visits with their
//! photos and commitments, the accompaniment plan's activities, and the project's closure.
//!
//! `supervision_visits` keep the team and the findings per plan line as JSON (the domain's
//! `Finding`); `visit_photos` a photo kept under its SHA-256 with where it was taken;
//! `visit_commitments` what a visit left to do, with its due date, closed by a later visit
//! (`closed_by_visit`). `accompaniment_activities` are scheduled from the formulation's
//! training topics (Art. 18.5) and delivered with attendance by sex and evidence.
//! `project_closures` hold the act of closure, one per project (unique), with its figures.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000022_followup"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("supervision_visits"))
                .col(id())
                .col(integer(col("project_id")))
                .col(iso_date("visited_on"))
                .col(text(col("team")))
                .col(text(col("findings")))
                .col(text(col("environmental")))
                .col(text(col("legal")))
                .col(integer(col("rating")))
                .col(integer(col("recorded_by")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("supervision_visits", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("visit_photos"))
                .col(id())
                .col(integer(col("visit_id")))
                .col(integer(col("project_id")))
                .col(string(col("file_name")))
                .col(string(col("content_type")))
                .col(big_integer(col("size_bytes")))
                .col(string_len(col("sha256"), 64))
                .col(exact_decimal(backend, "latitude"))
                .col(exact_decimal(backend, "longitude"))
                .col(integer_null(col("uploaded_by")))
                .col(instant("uploaded_at"))
                .foreign_key(&mut owned_by("visit_photos", "visit_id", "supervision_visits"))
                .to_owned(),
            Table::create()
                .table(col("visit_commitments"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("visit_id")))
                .col(text(col("description")))
                .col(iso_date("due_on"))
                .col(integer_null(col("closed_by_visit")))
                .col(iso_date("closed_on").null().to_owned())
                .foreign_key(&mut owned_by(
                    "visit_commitments",
                    "visit_id",
                    "supervision_visits",
                ))
                .to_owned(),
            Table::create()
                .table(col("accompaniment_activities"))
                .col(id())
                .col(integer(col("project_id")))
                .col(text(col("topic")))
                .col(iso_date("scheduled_on"))
                .col(iso_date("delivered_on").null().to_owned())
                .col(integer_null(col("families")))
                .col(integer_null(col("women")))
                .col(integer_null(col("men")))
                .col(string_null(col("evidence_sha256")))
                .col(string_null(col("evidence_name")))
                .col(integer(col("recorded_by")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by(
                    "accompaniment_activities",
                    "project_id",
                    "projects",
                ))
                .to_owned(),
            Table::create()
                .table(col("project_closures"))
                .col(id())
                .col(integer(col("project_id")))
                .col(iso_date("closed_on"))
                .col(string(col("reason")))
                .col(exact_decimal(backend, "disbursed"))
                .col(exact_decimal(backend, "executed"))
                .col(exact_decimal(backend, "balance"))
                .col(exact_decimal(backend, "refund_value"))
                .col(iso_date("refund_on").null().to_owned())
                .col(string(col("refund_reference")))
                .col(exact_decimal(backend, "physical"))
                .col(exact_decimal(backend, "financial"))
                .col(exact_decimal(backend, "management"))
                .col(text(col("lines")))
                .col(text(col("observations")))
                .col(integer(col("signed_by")))
                .col(string(col("representative_name")))
                .col(string(col("representative_document")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("project_closures", "project_id", "projects"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(index("supervision_visits", &["project_id", "visited_on"], false))
            .await?;
        manager
            .create_index(index("visit_photos", &["visit_id"], false))
            .await?;
        manager
            .create_index(index("visit_commitments", &["project_id"], false))
            .await?;
        manager
            .create_index(index("accompaniment_activities", &["project_id"], false))
            .await?;
        manager
            .create_index(index("project_closures", &["project_id"], true))
            .await
    }
}
