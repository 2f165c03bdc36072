//! The results framework in full (issue: monitoring and the public portal): results between
//! objectives and indicators, value chains, public documents, the review of measurements
//! (who approved or returned them, and why), and each indicator's latest approved value kept
//! on the indicator so cards and roll-ups read one row instead of every measurement.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000006_monitoring"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("project_results"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("position")))
                .col(string(col("kind")))
                .col(text(col("title")))
                .col(integer_null(col("objective_position")))
                .foreign_key(&mut owned_by("project_results", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_value_chains"))
                .col(integer(col("project_id")))
                .col(string(col("name")))
                .primary_key(Index::create().col(col("project_id")).col(col("name")))
                .foreign_key(&mut owned_by("project_value_chains", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_documents"))
                .col(id())
                .col(integer(col("project_id")))
                .col(string(col("title")))
                .col(string(col("file_name")))
                .col(string(col("content_type")))
                .col(big_integer(col("size_bytes")))
                .col(string_len(col("sha256"), 64))
                // Evidence of a measurement is kept but not published.
                .col(boolean(col("public")))
                .col(integer_null(col("uploaded_by")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("project_documents", "project_id", "projects"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        // SQLite takes one change per ALTER TABLE.
        let added: [(&str, ColumnDef); 15] = [
            ("projects", instant("updated_at").null().to_owned()),
            ("indicators", integer_null(col("result_position"))),
            ("indicators", string_null(col("rollup_key"))),
            ("indicators", iso_date("baseline_date").null().to_owned()),
            ("indicators", exact_decimal_null(backend, "current_value")),
            ("indicators", exact_decimal_null(backend, "current_women")),
            ("indicators", exact_decimal_null(backend, "current_men")),
            ("indicators", iso_date("last_update").null().to_owned()),
            ("indicators", integer(col("lock_version")).default(0).to_owned()),
            (
                "indicator_measurements",
                integer_null(col("evidence_document_id")),
            ),
            ("indicator_measurements", integer_null(col("submitted_by_user"))),
            ("indicator_measurements", integer_null(col("reviewed_by"))),
            ("indicator_measurements", instant("reviewed_at").null().to_owned()),
            ("indicator_measurements", text_null(col("review_comment"))),
            ("indicator_measurements", integer_null(col("project_id"))),
        ];
        for (table, mut column) in added {
            manager
                .alter_table(
                    Table::alter()
                        .table(col(table))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let indexes = [
            index("project_results", &["project_id", "position"], true),
            index("project_documents", &["project_id"], false),
            index("indicators", &["rollup_key"], false),
            index("indicator_measurements", &["status", "project_id"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        // Measurements stored before this migration: their project, and the latest approved
        // value of every indicator.
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE indicator_measurements SET project_id = \
             (SELECT i.project_id FROM indicators i WHERE i.id = indicator_measurements.indicator_id)",
        )
        .await?;
        for (target, column) in [
            ("current_value", "value"),
            ("current_women", "value_women"),
            ("current_men", "value_men"),
            ("last_update", "measured_on"),
        ] {
            db.execute_unprepared(&format!(
                "UPDATE indicators SET {target} = (SELECT m.{column} FROM indicator_measurements m \
                 WHERE m.indicator_id = indicators.id AND m.status = 'approved' \
                 ORDER BY m.measured_on DESC, m.id DESC LIMIT 1)"
            ))
            .await?;
        }
        db.execute_unprepared("UPDATE projects SET updated_at = created_at")
            .await?;
        Ok(())
    }
}
