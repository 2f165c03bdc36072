//! A project's language and its funders as a donor reads them (issue 18, parts 8 and 11): the
//! language of the project's own texts (a donor's card may be in English), and each funding
//! line's organisation with its role (`donor`, `institute`, `counterpart`), never a heading.
//!
//! Lines written before this migration with a heading for a source are renamed to the
//! organisation the heading stood for.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000026_project_language_and_funders"
    }
}

/// The headings taken for funders before, and the organisation and role each stood for
/// (literals: a migration never changes, whatever the code's names become).
const HEADINGS: &[(&str, &str, &str)] = &[
    (
        "Aporte del instituto",
        "Instituto Colombiano de Desarrollo Rural (Incoder)",
        "institute",
    ),
    (
        "Incoder",
        "Instituto Colombiano de Desarrollo Rural (Incoder)",
        "institute",
    ),
    (
        "Contrapartida de las familias",
        "Familias beneficiarias",
        "counterpart",
    ),
    (
        "EU support",
        "Unión Europea (Fondo Europeo para la Paz en Colombia)",
        "donor",
    ),
    ("Investment amount", "Gobierno de Colombia", "counterpart"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(col("projects"))
                    .add_column(string_len(col("language"), 2).default("es").to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(col("project_funding"))
                    .add_column(string(col("role")).default("counterpart").to_owned())
                    .to_owned(),
            )
            .await?;
        for (heading, organisation, role) in HEADINGS {
            manager
                .exec_stmt(
                    Query::update()
                        .table(col("project_funding"))
                        .value(col("source"), *organisation)
                        .value(col("role"), *role)
                        .and_where(Expr::col(col("source")).eq(*heading))
                        .to_owned(),
                )
                .await?;
        }
        // The EU Trust Fund's card is written in English.
        manager
            .exec_stmt(
                Query::update()
                    .table(col("projects"))
                    .value(col("language"), "en")
                    .and_where(Expr::col(col("code")).eq("T06.60,61,62"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
