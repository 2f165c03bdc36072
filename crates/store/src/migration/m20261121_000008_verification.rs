//! The verification of the households of a call (issue "program procedure", parts 3 and 10):
//! the notice of the institutional offer with its deadline (Art. 11, 14), the documents each
//! household brought (Art. 11), the outcome of the verification with tacit withdrawal
//! (Art. 45), and the letters sent to the households (Art. 46).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000008_verification"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(col("offer_notices"))
                .col(id())
                .col(integer(col("call_id")))
                .col(iso_date("notice_date"))
                .col(iso_date("deadline"))
                .col(text(col("text")))
                .col(integer_null(col("recorded_by")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("offer_notices", "call_id", "calls"))
                .to_owned(),
            Table::create()
                .table(col("household_documents"))
                .col(id())
                .col(integer(col("household_id")))
                .col(string(col("kind")))
                .col(string(col("file_name")))
                .col(string(col("content_type")))
                .col(big_integer(col("size_bytes")))
                .col(string_len(col("sha256"), 64))
                .col(integer_null(col("received_by")))
                .col(instant("received_at"))
                .foreign_key(&mut owned_by("household_documents", "household_id", "households"))
                .to_owned(),
            Table::create()
                .table(col("household_verifications"))
                .col(id())
                .col(integer(col("household_id")))
                .col(string(col("status")))
                .col(text_null(col("reasons")))
                .col(string(col("reason_codes")))
                .col(integer_null(col("decided_by")))
                .col(instant("decided_at").null().to_owned())
                .col(integer(col("lock_version")))
                .foreign_key(&mut owned_by(
                    "household_verifications",
                    "household_id",
                    "households",
                ))
                .to_owned(),
            Table::create()
                .table(col("letters"))
                .col(id())
                .col(integer(col("call_id")))
                .col(integer(col("household_id")))
                .col(string(col("kind")))
                .col(string(col("recipient")))
                .col(string(col("subject")))
                .col(text(col("body")))
                .col(string(col("channel")))
                .col(string(col("status")))
                .col(string_null(col("location")))
                .col(text_null(col("error")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by("letters", "call_id", "calls"))
                .foreign_key(&mut owned_by("letters", "household_id", "households"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("offer_notices", &["call_id"], true),
            index("household_documents", &["household_id", "kind"], false),
            index("household_verifications", &["household_id"], true),
            index("letters", &["call_id", "id"], false),
            index("letters", &["household_id"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
