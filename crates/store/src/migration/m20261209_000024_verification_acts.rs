//! The legal life of a not-eligible verification decision (Ley 1437 de 2011, Art. 67-69, 74,
//! 76): its notification to the household and the recursos de reposición against it.
//!
//! `verification_notifications` holds one notification per household (unique): kind, date,
//! the citation's date for a notice, effective date. `verification_appeals` holds each appeal
//! against the decision: who filed it (personal data), its text and optional file, the filing
//! date, whether it was late, and its decision with its own number (`RRV-{year}-{nnnn}`,
//! unique), signed as an act of kind `verification_appeal_decision`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000024_verification_acts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(col("verification_notifications"))
                .col(id())
                .col(integer(col("household_id")))
                .col(string(col("kind")))
                .col(string(col("recipient_name")))
                .col(iso_date("notified_on"))
                .col(iso_date("cited_on").null().to_owned())
                .col(iso_date("effective_on"))
                .col(integer(col("recorded_by")))
                .col(instant("recorded_at"))
                .foreign_key(&mut owned_by(
                    "verification_notifications",
                    "household_id",
                    "households",
                ))
                .to_owned(),
            Table::create()
                .table(col("verification_appeals"))
                .col(id())
                .col(integer(col("household_id")))
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
                .foreign_key(&mut owned_by(
                    "verification_appeals",
                    "household_id",
                    "households",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(index("verification_notifications", &["household_id"], true))
            .await?;
        manager
            .create_index(index("verification_appeals", &["household_id"], false))
            .await?;
        manager
            .create_index(index(
                "verification_appeals",
                &["decision_year", "decision_sequence"],
                true,
            ))
            .await
    }
}
