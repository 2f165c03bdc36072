//! The first model: territory, programs and calls, households, parcels, accounts, sessions,
//! the audit log, and projects with their results framework.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        let tables = [
            // Territory (DIVIPOLA, PDET, IPM) and the minimum wage: reference data.
            Table::create()
                .table(col("departments"))
                .col(string_len(col("code"), 2).primary_key())
                .col(string(col("name")))
                .to_owned(),
            Table::create()
                .table(col("pdet_subregions"))
                .col(id())
                .col(string_uniq(col("name")))
                .to_owned(),
            Table::create()
                .table(col("municipalities"))
                .col(string_len(col("dane_code"), 5).primary_key())
                .col(string(col("name")))
                .col(string_len(col("department_code"), 2))
                .col(string(col("kind")))
                .col(integer_null(col("pdet_subregion_id")))
                .foreign_key(&mut fk(
                    "municipalities",
                    "department_code",
                    "departments",
                    "code",
                ))
                .foreign_key(&mut fk(
                    "municipalities",
                    "pdet_subregion_id",
                    "pdet_subregions",
                    "id",
                ))
                .to_owned(),
            Table::create()
                .table(col("municipal_poverty"))
                .col(string_len(col("dane_code"), 5).primary_key())
                .col(exact_decimal(db, "total"))
                .col(exact_decimal_null(db, "urban"))
                .col(exact_decimal_null(db, "rural"))
                .col(small_integer(col("reference_year")))
                .col(string(col("source")))
                .foreign_key(&mut fk(
                    "municipal_poverty",
                    "dane_code",
                    "municipalities",
                    "dane_code",
                ))
                .to_owned(),
            Table::create()
                .table(col("minimum_wages"))
                .col(small_integer(col("year")).primary_key())
                .col(exact_decimal(db, "amount_cop"))
                .col(string(col("decree")))
                .to_owned(),
            // Organisation: territorial offices, the program and its calls.
            Table::create()
                .table(col("territorial_offices"))
                .col(id())
                .col(string_uniq(col("name")))
                .col(string_len(col("department_code"), 2))
                .foreign_key(&mut fk(
                    "territorial_offices",
                    "department_code",
                    "departments",
                    "code",
                ))
                .to_owned(),
            Table::create()
                .table(col("programs"))
                .col(id())
                .col(string_uniq(col("code")))
                .col(string(col("name")))
                .col(text(col("description")))
                .col(instant("created_at"))
                .to_owned(),
            Table::create()
                .table(col("calls"))
                .col(id())
                .col(integer(col("program_id")))
                .col(string_uniq(col("code")))
                .col(string(col("name")))
                .col(small_integer(col("budget_year")))
                .col(exact_decimal(db, "budget_cop"))
                .col(exact_decimal(db, "smmlv_cop"))
                .col(string(col("rule_set_id")))
                .col(string(col("line")))
                .col(string(col("status")))
                .col(instant("created_at"))
                .foreign_key(&mut fk("calls", "program_id", "programs", "id"))
                .to_owned(),
            Table::create()
                .table(col("call_offices"))
                .col(integer(col("call_id")))
                .col(integer(col("territorial_office_id")))
                .primary_key(
                    Index::create()
                        .col(col("call_id"))
                        .col(col("territorial_office_id")),
                )
                .foreign_key(&mut owned_by("call_offices", "call_id", "calls"))
                .foreign_key(&mut fk(
                    "call_offices",
                    "territorial_office_id",
                    "territorial_offices",
                    "id",
                ))
                .to_owned(),
            // Households, their members and parcels.
            Table::create()
                .table(col("households"))
                .col(id())
                .col(integer_null(col("call_id")))
                .col(string(col("external_id")))
                .col(string_len(col("municipality_code"), 5))
                .col(string_len_null(col("sisben_area"), 1))
                .col(exact_decimal_null(db, "sisben_score"))
                .col(boolean(col("displaced")))
                .col(string(col("ethnic_group")))
                .col(boolean(col("ethnic_community_registered")))
                .col(string(col("program_line")))
                .col(instant("created_at"))
                .foreign_key(&mut fk("households", "call_id", "calls", "id"))
                .foreign_key(&mut fk(
                    "households",
                    "municipality_code",
                    "municipalities",
                    "dane_code",
                ))
                .to_owned(),
            Table::create()
                .table(col("persons"))
                .col(id())
                .col(integer(col("household_id")))
                .col(string_len(col("document_type"), 3))
                .col(string(col("document")))
                .col(string(col("document_key")))
                .col(string(col("first_name")))
                .col(string(col("last_name")))
                .col(string_len(col("sex"), 1))
                .col(iso_date("birth_date").null())
                .col(boolean(col("is_head")))
                .foreign_key(&mut owned_by("persons", "household_id", "households"))
                .to_owned(),
            Table::create()
                .table(col("parcels"))
                .col(id())
                .col(integer(col("household_id")))
                .col(string_len(col("municipality_code"), 5))
                .col(string(col("name")))
                .col(string_null(col("vereda")))
                .col(string_null(col("land_title_record")))
                .col(exact_decimal_null(db, "area_ha"))
                .col(string(col("land_tenure")))
                .col(exact_decimal_null(db, "latitude"))
                .col(exact_decimal_null(db, "longitude"))
                .foreign_key(&mut owned_by("parcels", "household_id", "households"))
                .foreign_key(&mut fk(
                    "parcels",
                    "municipality_code",
                    "municipalities",
                    "dane_code",
                ))
                .to_owned(),
            // Accounts, sessions and the audit log.
            Table::create()
                .table(col("users"))
                .col(id())
                .col(string_uniq(col("email")))
                .col(string(col("display_name")))
                .col(string(col("role")))
                .col(string(col("password_hash")))
                .col(boolean(col("active")))
                .col(integer_null(col("territorial_office_id")))
                .col(instant("created_at"))
                .foreign_key(&mut fk(
                    "users",
                    "territorial_office_id",
                    "territorial_offices",
                    "id",
                ))
                .to_owned(),
            Table::create()
                .table(col("sessions"))
                .col(string(col("id")).primary_key())
                .col(text(col("data")))
                .col(instant("expires_at"))
                .to_owned(),
            Table::create()
                .table(col("audit_log"))
                .col(big_pk_auto(col("id")))
                .col(instant("at"))
                .col(string(col("actor")))
                .col(integer_null(col("actor_user_id")))
                .col(string(col("entity")))
                .col(string(col("entity_id")))
                .col(string(col("action")))
                .col(text_null(col("before")))
                .col(text_null(col("after")))
                .to_owned(),
            // Projects and their results framework.
            Table::create()
                .table(col("projects"))
                .col(id())
                .col(string_uniq(col("code")))
                .col(text(col("title")))
                .col(text(col("subtitle")))
                .col(text(col("tagline")))
                .col(iso_date("period_start"))
                .col(iso_date("period_end"))
                .col(text(col("description")))
                .col(text(col("peace_contribution")))
                .col(text(col("general_objective")))
                .col(string(col("status")))
                .col(integer_null(col("program_id")))
                .col(instant("created_at"))
                .foreign_key(&mut fk("projects", "program_id", "programs", "id"))
                .to_owned(),
            Table::create()
                .table(col("project_objectives"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("position")))
                .col(text(col("text")))
                .foreign_key(&mut owned_by("project_objectives", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_funding"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("position")))
                .col(string(col("source")))
                .col(string_len(col("currency"), 3))
                .col(exact_decimal(db, "amount"))
                .foreign_key(&mut owned_by("project_funding", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_partners"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("position")))
                .col(string(col("name")))
                .col(string(col("role")))
                .foreign_key(&mut owned_by("project_partners", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("project_municipalities"))
                .col(integer(col("project_id")))
                .col(string_len(col("dane_code"), 5))
                .primary_key(Index::create().col(col("project_id")).col(col("dane_code")))
                .foreign_key(&mut owned_by("project_municipalities", "project_id", "projects"))
                .foreign_key(&mut fk(
                    "project_municipalities",
                    "dane_code",
                    "municipalities",
                    "dane_code",
                ))
                .to_owned(),
            Table::create()
                .table(col("indicators"))
                .col(id())
                .col(integer(col("project_id")))
                .col(integer(col("number")))
                .col(text(col("name")))
                .col(string(col("unit")))
                .col(exact_decimal(db, "baseline"))
                .col(exact_decimal(db, "goal"))
                .col(boolean(col("higher_is_better")))
                .col(boolean(col("by_sex")))
                .col(string(col("status")))
                .col(boolean(col("featured")))
                .foreign_key(&mut owned_by("indicators", "project_id", "projects"))
                .to_owned(),
            Table::create()
                .table(col("indicator_measurements"))
                .col(id())
                .col(integer(col("indicator_id")))
                .col(iso_date("measured_on"))
                .col(exact_decimal(db, "value"))
                .col(exact_decimal_null(db, "value_women"))
                .col(exact_decimal_null(db, "value_men"))
                .col(text_null(col("source")))
                .col(string(col("status")))
                .col(string_null(col("submitted_by")))
                .col(instant("created_at"))
                .foreign_key(&mut owned_by(
                    "indicator_measurements",
                    "indicator_id",
                    "indicators",
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("municipalities", &["department_code"], false),
            index("municipalities", &["pdet_subregion_id"], false),
            index("households", &["call_id", "external_id"], true),
            index("persons", &["document_type", "document_key"], false),
            index("persons", &["household_id"], false),
            index("parcels", &["household_id"], false),
            index("sessions", &["expires_at"], false),
            index("audit_log", &["entity", "entity_id"], false),
            index("project_objectives", &["project_id"], false),
            index("project_funding", &["project_id"], false),
            index("project_partners", &["project_id"], false),
            index("indicators", &["project_id", "number"], true),
            index("indicator_measurements", &["indicator_id", "measured_on"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }
}
