//! The legal life of the acts (Ley 1437 de 2011): signatures, notifications and appeals.
//!
//! `acts` holds each signed act (the award resolution, the committee's minutes, the decision
//! of an appeal): its kind and record (`subject_id`, unique together), number, date, the
//! signing account, its name and role at the signature, the instant, the SHA-256 of the exact
//! PDF and the PDF itself (`pdf`, so the act downloaded later is byte-identical), and its
//! verification code (unique). `award_notifications` holds one notification per family of an
//! award (`beneficiary_id`, unique per award): kind, date, the citation's date for a notice,
//! effective date. `appeals` holds each recurso de reposición against an award: who filed it
//! (personal data), its text and optional file, the filing date, whether it was late, and
//! its decision with its own number (`RR-{year}-{nnnn}`, unique).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000020_acts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(col("acts"))
                .col(id())
                .col(string(col("kind")))
                .col(integer(col("subject_id")))
                .col(string(col("number")))
                .col(iso_date("issued_on"))
                .col(string_len(col("code"), 16))
                .col(integer_null(col("signed_by")))
                .col(string(col("signer_name")))
                .col(string(col("signer_role")))
                .col(instant("signed_at"))
                .col(string_len(col("sha256"), 64))
                .col(big_integer(col("pdf_size")))
                .col(blob(col("pdf")))
                .foreign_key(&mut fk("acts", "signed_by", "users", "id"))
                .to_owned(),
            Table::create()
                .table(col("award_notifications"))
                .col(id())
                .col(integer(col("award_id")))
                .col(integer(col("beneficiary_id")))
                .col(string(col("kind")))
                .col(string(col("recipient_name")))
                .col(iso_date("notified_on"))
                .col(iso_date("cited_on").null().to_owned())
                .col(iso_date("effective_on"))
                .col(integer(col("recorded_by")))
                .col(instant("recorded_at"))
                .foreign_key(&mut owned_by("award_notifications", "award_id", "awards"))
                .foreign_key(&mut fk(
                    "award_notifications",
                    "beneficiary_id",
                    "project_beneficiaries",
                    "id",
                ))
                .to_owned(),
            Table::create()
                .table(col("appeals"))
                .col(id())
                .col(integer(col("award_id")))
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
                .foreign_key(&mut owned_by("appeals", "award_id", "awards"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(index("acts", &["kind", "subject_id"], true))
            .await?;
        manager.create_index(index("acts", &["code"], true)).await?;
        manager.create_index(index("acts", &["sha256"], false)).await?;
        manager
            .create_index(index(
                "award_notifications",
                &["award_id", "beneficiary_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index("appeals", &["award_id"], false))
            .await?;
        manager
            .create_index(index("appeals", &["decision_year", "decision_sequence"], true))
            .await
    }
}
