//! The verification of the parcels (issue "program procedure", part 4): the title study of
//! each parcel (Art. 12), the field visit against the five minimum conditions of Art. 13, and
//! the visit's photos; and the preparation of the formulations (part 5): characterization
//! (Art. 15), participatory diagnosis (Art. 16) and the minutes of the sessions (Art. 17).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000010_parcels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("parcel_title_studies"))
                .col(id())
                .col(integer(col("parcel_id")))
                // The folio de matrícula inmobiliaria checked.
                .col(string(col("title_record")))
                .col(string(col("owner_name")))
                .col(string(col("owner_document")))
                .col(boolean(col("owner_is_member")))
                .col(text(col("limitations")))
                .col(boolean(col("limits_use")))
                // `favourable` or `not_favourable`.
                .col(string(col("result")))
                .col(text(col("reasons")))
                .col(integer_null(col("studied_by")))
                .col(instant("studied_at"))
                .col(integer(col("lock_version")).default(0).to_owned())
                .foreign_key(&mut owned_by("parcel_title_studies", "parcel_id", "parcels"))
                .to_owned(),
            Table::create()
                .table(col("parcel_visits"))
                .col(id())
                .col(integer(col("parcel_id")))
                .col(iso_date("visit_date"))
                .col(exact_decimal(backend, "latitude"))
                .col(exact_decimal(backend, "longitude"))
                // JSON: one `{condition, met, notes}` per condition of Art. 13.
                .col(text(col("conditions")))
                .col(integer_null(col("visited_by")))
                .col(instant("recorded_at"))
                .col(integer(col("lock_version")).default(0).to_owned())
                .foreign_key(&mut owned_by("parcel_visits", "parcel_id", "parcels"))
                .to_owned(),
            Table::create()
                .table(col("parcel_photos"))
                .col(id())
                .col(integer(col("parcel_id")))
                .col(string(col("file_name")))
                .col(string(col("content_type")))
                .col(big_integer(col("size_bytes")))
                .col(string_len(col("sha256"), 64))
                .col(integer_null(col("uploaded_by")))
                .col(instant("uploaded_at"))
                .foreign_key(&mut owned_by("parcel_photos", "parcel_id", "parcels"))
                .to_owned(),
            Table::create()
                .table(col("formulation_preparations"))
                .col(id())
                .col(integer(col("formulation_id")))
                // `characterization`, `session_minutes` or `diagnosis`.
                .col(string(col("kind")))
                .col(iso_date("held_on").null().to_owned())
                .col(string_null(col("place")))
                .col(integer_null(col("attendees")))
                .col(text(col("body")))
                // The signed minutes, kept under their SHA-256.
                .col(string_null(col("file_name")))
                .col(string_null(col("content_type")))
                .col(big_integer_null(col("size_bytes")))
                .col(string_len_null(col("sha256"), 64))
                .col(integer_null(col("recorded_by")))
                .col(instant("recorded_at"))
                .foreign_key(&mut fk(
                    "formulation_preparations",
                    "formulation_id",
                    "formulations",
                    "id",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("parcel_title_studies", &["parcel_id"], true),
            index("parcel_visits", &["parcel_id"], true),
            index("parcel_photos", &["parcel_id"], false),
            index("formulation_preparations", &["formulation_id", "kind"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
