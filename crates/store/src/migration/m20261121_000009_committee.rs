//! The program's procedure after formulation (issue: program procedure): the families'
//! endorsement (Art. 25), committee sessions with attendance, agenda, concepts and signed
//! minutes (Art. 23-24), objections (Art. 24.6), awards numbered per office and year (Art. 27,
//! 31) and the single disbursement with its four requirements (Art. 32-33).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000009_committee"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let tables = [
            Table::create()
                .table(col("endorsements"))
                .col(id())
                .col(integer(col("formulation_id")))
                // The version the families endorsed: a new version needs a new endorsement.
                .col(integer(col("version_number")))
                .col(iso_date("endorsed_on"))
                .col(integer(col("families_endorsing")))
                .col(integer(col("households")))
                .col(text(col("minutes")))
                .col(integer_null(col("recorded_by")))
                .col(instant("recorded_at"))
                .foreign_key(&mut fk("endorsements", "formulation_id", "formulations", "id"))
                .to_owned(),
            Table::create()
                .table(col("committee_sessions"))
                .col(id())
                .col(iso_date("held_on"))
                .col(string(col("place")))
                // Set when the minutes are drawn up: the session changes no more, and its
                // attendees sign.
                .col(instant("closed_at").null().to_owned())
                .col(integer(col("lock_version")).default(0).to_owned())
                .col(integer_null(col("created_by")))
                .col(instant("created_at"))
                .to_owned(),
            Table::create()
                .table(col("committee_attendees"))
                .col(id())
                .col(integer(col("session_id")))
                .col(integer(col("user_id")))
                .col(instant("signed_at").null().to_owned())
                .foreign_key(&mut owned_by(
                    "committee_attendees",
                    "session_id",
                    "committee_sessions",
                ))
                .foreign_key(&mut fk("committee_attendees", "user_id", "users", "id"))
                .to_owned(),
            Table::create()
                .table(col("agenda_items"))
                .col(id())
                .col(integer(col("session_id")))
                .col(integer(col("formulation_id")))
                .col(integer(col("version_number")))
                // positive or negative, once decided.
                .col(string_null(col("concept")))
                // The viability report (positive) or the recommendations (negative).
                .col(text_null(col("concept_text")))
                // JSON: the evaluation summary of the version judged.
                .col(text_null(col("evaluation_summary")))
                .col(integer_null(col("decided_by")))
                .col(instant("decided_at").null().to_owned())
                .col(integer(col("lock_version")).default(0).to_owned())
                .foreign_key(&mut owned_by("agenda_items", "session_id", "committee_sessions"))
                .foreign_key(&mut fk("agenda_items", "formulation_id", "formulations", "id"))
                .to_owned(),
            Table::create()
                .table(col("objections"))
                .col(id())
                .col(integer(col("formulation_id")))
                // project, family or parcel.
                .col(string(col("target")))
                .col(string(col("target_ref")))
                .col(string(col("filed_by")))
                .col(text(col("text")))
                .col(integer_null(col("recorded_by")))
                .col(instant("filed_at"))
                .col(integer_null(col("session_id")))
                // upheld or rejected, once decided.
                .col(string_null(col("decision")))
                .col(text_null(col("reasons")))
                .col(integer_null(col("decided_by")))
                .col(instant("decided_at").null().to_owned())
                .foreign_key(&mut fk("objections", "formulation_id", "formulations", "id"))
                .foreign_key(&mut fk("objections", "session_id", "committee_sessions", "id"))
                .to_owned(),
            Table::create()
                .table(col("awards"))
                .col(id())
                .col(integer(col("formulation_id")))
                .col(integer(col("session_id")))
                .col(string(col("office_code")))
                .col(integer(col("year")))
                .col(integer(col("sequence")))
                .col(string(col("number")))
                .col(iso_date("awarded_on"))
                .col(text(col("motivation")))
                .col(integer(col("families")))
                .col(exact_decimal(backend, "institute_contribution"))
                .col(exact_decimal(backend, "counterpart"))
                .col(exact_decimal(backend, "guarantee"))
                .col(text(col("obligations")))
                .col(integer_null(col("signed_by")))
                .col(instant("signed_at"))
                .foreign_key(&mut fk("awards", "formulation_id", "formulations", "id"))
                .foreign_key(&mut fk("awards", "session_id", "committee_sessions", "id"))
                .to_owned(),
            Table::create()
                .table(col("disbursements"))
                .col(id())
                .col(integer(col("formulation_id")))
                // Art. 32.1 and 32.4; 32.2 and 32.3 are the concept and the award.
                .col(text_null(col("joint_account_evidence")))
                .col(text_null(col("policy_evidence")))
                .col(integer_null(col("policy_approved_by")))
                .col(exact_decimal_null(backend, "amount"))
                .col(iso_date("paid_on").null().to_owned())
                .col(integer_null(col("paid_by")))
                .col(integer(col("lock_version")).default(0).to_owned())
                .col(instant("updated_at"))
                .foreign_key(&mut fk("disbursements", "formulation_id", "formulations", "id"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("endorsements", &["formulation_id", "version_number"], true),
            index("committee_attendees", &["session_id", "user_id"], true),
            index("agenda_items", &["session_id", "formulation_id"], true),
            index("agenda_items", &["formulation_id"], false),
            index("objections", &["formulation_id"], false),
            index("awards", &["formulation_id"], true),
            index("awards", &["office_code", "year", "sequence"], true),
            index("awards", &["number"], true),
            index("disbursements", &["formulation_id"], true),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
