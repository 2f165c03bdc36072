//! One table for every recurso de reposición (Ley 1437 de 2011, Art. 74-80), whatever act it
//! contests: an award (`subject = 'award'`, `award_id`) or a household's not-eligible
//! verification decision (`subject = 'not_eligible'`, `household_id`, and `contested_at`, the
//! instant of the decision contested, so that a household decided again after a revocation has
//! an act of its own). Decisions are numbered per subject (`RR-` and `RRV-{year}-{nnnn}`),
//! unique on (subject, decision_year, decision_sequence).
//!
//! The award appeals keep their ids. The not-eligible appeals of migration 24 get new ids;
//! `merged_appeal_ids` keeps old and new for the auditor (the audit entries written before
//! name `verification_appeals` and the old id), and the signed decisions (`acts`, kind
//! `verification_appeal_decision`) follow them.
//!
//! A household's notification names the decision it notifies too (`decision_at`), unique per
//! household and decision.
//!
//! Every statement runs in one transaction on one connection: on SQLite a pooled connection
//! that did not see the old table dropped would refuse the rename.

use sea_orm::{ConnectionTrait, DatabaseBackend, TransactionTrait};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000030_one_appeal_table"
    }
}

const COMMON: &str = "appellant_name, appeal_text, document_name, document_sha256, filed_on, filed_at, \
     late, recorded_by, outcome, decision_reasons, decided_on, decided_by, decision_year, \
     decision_sequence, decision_number";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection().begin().await?;
        db.execute(
            &Table::create()
                .table(col("appeals_merged"))
                .col(id())
                .col(string(col("subject")))
                .col(integer_null(col("award_id")))
                .col(integer_null(col("household_id")))
                .col(instant("contested_at").null().to_owned())
                .col(string(col("appellant_name")))
                .col(text(col("appeal_text")))
                .col(string_null(col("document_name")))
                .col(string_null(col("document_sha256")))
                .col(iso_date("filed_on"))
                .col(instant("filed_at"))
                .col(boolean(col("late")))
                .col(integer(col("recorded_by")))
                .col(string_null(col("outcome")))
                .col(text_null(col("decision_reasons")))
                .col(iso_date("decided_on").null().to_owned())
                .col(integer_null(col("decided_by")))
                .col(integer_null(col("decision_year")))
                .col(integer_null(col("decision_sequence")))
                .col(string_null(col("decision_number")))
                .foreign_key(&mut owned_by("appeals_merged", "award_id", "awards"))
                .foreign_key(&mut owned_by("appeals_merged", "household_id", "households"))
                .to_owned(),
        )
        .await?;
        db.execute(
            &Table::create()
                .table(col("merged_appeal_ids"))
                .col(id())
                .col(string(col("old_table")))
                .col(integer(col("old_id")))
                .col(integer(col("new_id")))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO appeals_merged (id, subject, award_id, household_id, contested_at, {COMMON}) \
             SELECT id, 'award', award_id, NULL, NULL, {COMMON} FROM appeals"
        ))
        .await?;
        db.execute_unprepared(
            "INSERT INTO merged_appeal_ids (old_table, old_id, new_id) \
             SELECT 'verification_appeals', id, id + (SELECT COALESCE(MAX(id), 0) FROM appeals) \
             FROM verification_appeals",
        )
        .await?;
        let common_of_v = COMMON
            .split(", ")
            .map(|c| format!("v.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        db.execute_unprepared(&format!(
            "INSERT INTO appeals_merged (id, subject, award_id, household_id, contested_at, {COMMON}) \
             SELECT m.new_id, 'not_eligible', NULL, v.household_id, hv.decided_at, {common_of_v} \
             FROM verification_appeals v \
             JOIN merged_appeal_ids m ON m.old_table = 'verification_appeals' AND m.old_id = v.id \
             LEFT JOIN household_verifications hv ON hv.household_id = v.household_id"
        ))
        .await?;
        db.execute_unprepared(
            "UPDATE acts SET subject_id = (SELECT m.new_id FROM merged_appeal_ids m \
               WHERE m.old_table = 'verification_appeals' AND m.old_id = acts.subject_id) \
             WHERE kind = 'verification_appeal_decision'",
        )
        .await?;
        db.execute(&Table::drop().table(col("verification_appeals")).to_owned())
            .await?;
        db.execute(&Table::drop().table(col("appeals")).to_owned())
            .await?;
        db.execute(
            &Table::rename()
                .table(col("appeals_merged"), col("appeals"))
                .to_owned(),
        )
        .await?;
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('appeals', 'id'), \
                 (SELECT COALESCE(MAX(id), 0) + 1 FROM appeals), false)",
            )
            .await?;
        }
        for statement in [
            index("appeals", &["award_id"], false),
            index("appeals", &["household_id"], false),
            index(
                "appeals",
                &["subject", "decision_year", "decision_sequence"],
                true,
            ),
        ] {
            db.execute(&statement).await?;
        }

        db.execute(
            &Table::alter()
                .table(col("verification_notifications"))
                .add_column(instant("decision_at").null().to_owned())
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "UPDATE verification_notifications SET decision_at = (SELECT hv.decided_at \
               FROM household_verifications hv \
               WHERE hv.household_id = verification_notifications.household_id)",
        )
        .await?;
        db.execute(&dropped_index("verification_notifications", &["household_id"]))
            .await?;
        db.execute(&index(
            "verification_notifications",
            &["household_id", "decision_at"],
            true,
        ))
        .await?;
        db.commit().await
    }
}
