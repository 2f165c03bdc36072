//! Citizens' petitions (PQRSD, Ley 1755 de 2015): `petitions`, numbered per year without gaps
//! (`PQRSD-2026-000123`), with the petitioner's contact (personal data, Ley 1581 de 2012), the
//! legal deadline, the assignment, the answer and the one extension (Art. 14 par.).
//!
//! An answer goes out as a letter, so `letters` may now belong to a petition instead of a
//! call's household: `call_id` and `household_id` become nullable and `petition_id` is added.
//! PostgreSQL alters the columns; SQLite cannot, so the table is rebuilt with its rows, ids
//! and indexes (nothing references `letters`).

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000019_petitions"
    }
}

/// The columns `letters` keeps across the rebuild.
const LETTER_COLUMNS: &str = "id, call_id, household_id, kind, recipient, subject, body, channel, status, location, error, created_at, email";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("petitions"))
                    .col(id())
                    .col(integer(col("year")))
                    .col(integer(col("sequence")))
                    .col(string(col("number")))
                    .col(string(col("kind")))
                    .col(string(col("petitioner_name")))
                    .col(string_null(col("petitioner_document")))
                    .col(string_null(col("email")))
                    .col(text_null(col("postal_address")))
                    .col(string(col("subject")))
                    .col(text(col("petition_text")))
                    .col(string_null(col("attachment_name")))
                    .col(string_null(col("attachment_sha256")))
                    .col(big_integer_null(col("attachment_size")))
                    .col(string_null(col("municipality_code")))
                    .col(instant("filed_at"))
                    .col(iso_date("filed_on"))
                    .col(iso_date("deadline"))
                    .col(integer_null(col("assigned_to")))
                    .col(text_null(col("answer_text")))
                    .col(instant("answered_at").null().to_owned())
                    .col(iso_date("answered_on").null().to_owned())
                    .col(integer_null(col("answered_by")))
                    .col(integer_null(col("letter_id")))
                    .col(iso_date("extended_deadline").null().to_owned())
                    .col(text_null(col("extension_motivation")))
                    .col(instant("extended_at").null().to_owned())
                    .foreign_key(&mut fk("petitions", "assigned_to", "users", "id"))
                    .to_owned(),
            )
            .await?;
        for statement in [
            index("petitions", &["year", "sequence"], true),
            index("petitions", &["number"], true),
            index("petitions", &["municipality_code"], false),
            index("petitions", &["filed_on"], false),
        ] {
            manager.create_index(statement).await?;
        }

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE letters ALTER COLUMN call_id DROP NOT NULL, \
                     ALTER COLUMN household_id DROP NOT NULL, \
                     ADD COLUMN petition_id INTEGER NULL REFERENCES petitions (id) ON DELETE CASCADE",
                )
                .await?;
                manager
                    .create_index(index("letters", &["petition_id"], false))
                    .await?;
            }
            _ => {
                // One batch, so every statement runs on the same connection in order: a
                // pooled connection still reading an older snapshot would see the old table.
                let rebuilt = Table::create()
                    .table(col("letters_rebuilt"))
                    .col(id())
                    .col(integer_null(col("call_id")))
                    .col(integer_null(col("household_id")))
                    .col(string(col("kind")))
                    .col(string(col("recipient")))
                    .col(string(col("subject")))
                    .col(text(col("body")))
                    .col(string(col("channel")))
                    .col(string(col("status")))
                    .col(string_null(col("location")))
                    .col(text_null(col("error")))
                    .col(instant("created_at"))
                    .col(string_null(col("email")))
                    .col(integer_null(col("petition_id")))
                    .foreign_key(&mut owned_by("letters", "call_id", "calls"))
                    .foreign_key(&mut owned_by("letters", "household_id", "households"))
                    .foreign_key(&mut owned_by("letters", "petition_id", "petitions"))
                    .to_owned()
                    .to_string(SqliteQueryBuilder);
                let indexes = [
                    index("letters", &["call_id", "id"], false),
                    index("letters", &["household_id"], false),
                    index("letters", &["petition_id"], false),
                ]
                .map(|statement| statement.to_string(SqliteQueryBuilder));
                db.execute_unprepared(&format!(
                    "{rebuilt};\n\
                     INSERT INTO letters_rebuilt ({LETTER_COLUMNS}) SELECT {LETTER_COLUMNS} FROM letters;\n\
                     DROP TABLE letters;\n\
                     ALTER TABLE letters_rebuilt RENAME TO letters;\n\
                     {};",
                    indexes.join(";\n")
                ))
                .await?;
            }
        }
        Ok(())
    }
}
