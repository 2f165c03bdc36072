//! The award opens the monitored project (issue 13, part 2), and four eyes on published
//! figures (invariant 8).
//!
//! `projects.award_id` links a project to the resolution that opened it (unique: one project
//! per award; no foreign key, since SQLite cannot add one to an existing table).
//! `project_beneficiaries` are the awarded version's families (never public).
//! `indicator_proposals` hold a change of an indicator's baseline, goal or unit until another
//! account approves it; the submitter is an account, never a name.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000013_award_opens_project"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .alter_table(
                Table::alter()
                    .table(col("projects"))
                    .add_column(integer_null(col("award_id")))
                    .to_owned(),
            )
            .await?;
        let tables = [
            Table::create()
                .table(col("project_beneficiaries"))
                .col(id())
                .col(integer(col("project_id")))
                // The household in the register, when the family is registered in a call.
                .col(integer_null(col("household_id")))
                // `frame.households[].id` of the awarded version.
                .col(string(col("external_id")))
                .foreign_key(&mut owned_by("project_beneficiaries", "project_id", "projects"))
                .foreign_key(&mut fk(
                    "project_beneficiaries",
                    "household_id",
                    "households",
                    "id",
                ))
                .to_owned(),
            Table::create()
                .table(col("indicator_proposals"))
                .col(id())
                .col(integer(col("indicator_id")))
                .col(integer(col("project_id")))
                .col(exact_decimal(backend, "baseline"))
                .col(exact_decimal(backend, "goal"))
                .col(string(col("unit")))
                .col(text(col("reason")))
                // submitted, approved or returned.
                .col(string(col("status")))
                // The indicator's lock_version the proposal was made against.
                .col(integer(col("lock_version_seen")))
                .col(integer(col("submitted_by")))
                .col(instant("submitted_at"))
                .col(integer_null(col("reviewed_by")))
                .col(instant("reviewed_at").null().to_owned())
                .col(text_null(col("review_comment")))
                .foreign_key(&mut owned_by("indicator_proposals", "indicator_id", "indicators"))
                .foreign_key(&mut owned_by("indicator_proposals", "project_id", "projects"))
                .foreign_key(&mut fk("indicator_proposals", "submitted_by", "users", "id"))
                .foreign_key(&mut fk("indicator_proposals", "reviewed_by", "users", "id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("projects", &["award_id"], true),
            index("project_beneficiaries", &["project_id", "external_id"], true),
            index("indicator_proposals", &["status"], false),
            index("indicator_proposals", &["indicator_id"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
