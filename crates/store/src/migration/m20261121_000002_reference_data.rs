//! Loads the reference data shipped in `data/`: DIVIPOLA departments and municipal units, the
//! PDET subregions, the DANE 2018 municipal IPM where the shipped table has it, and the SMMLV.

use sea_orm::{ActiveValue::Set, EntityTrait};
use sea_orm_migration::prelude::*;
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::{money, territory};

use crate::entity::{department, minimum_wage, municipal_poverty, municipality, pdet_subregion};
use crate::types::Dec;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000002_reference_data"
    }
}

/// Where the shipped IPM comes from; an import names its own file instead.
pub const SHIPPED_POVERTY_SOURCE: &str =
    "DANE, Censo Nacional de Población y Vivienda 2018 (data/ipm_2018_municipal_partial.csv)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let catalog = territory::catalog();
        let actor = Actor::system("migration");

        department::Entity::insert_many(catalog.departments.iter().map(|d| department::ActiveModel {
            code: Set(d.code.to_string()),
            name: Set(d.name.clone()),
        }))
        .exec(db)
        .await?;

        pdet_subregion::Entity::insert_many(catalog.pdet_subregions.iter().enumerate().map(|(i, name)| {
            pdet_subregion::ActiveModel {
                id: Set(i as i32 + 1),
                name: Set(name.clone()),
            }
        }))
        .exec(db)
        .await?;

        let subregion_id = |name: &Option<String>| {
            name.as_ref()
                .and_then(|n| catalog.pdet_subregions.iter().position(|s| s == n))
                .map(|i| i as i32 + 1)
        };
        municipality::Entity::insert_many(catalog.municipalities.iter().map(|m| municipality::ActiveModel {
            dane_code: Set(m.code.to_string()),
            name: Set(m.name.clone()),
            department_code: Set(m.department_code.to_string()),
            kind: Set(m.kind.to_string()),
            pdet_subregion_id: Set(subregion_id(&m.pdet_subregion)),
        }))
        .exec(db)
        .await?;

        municipal_poverty::Entity::insert_many(catalog.poverty_2018.iter().map(|(code, ipm)| {
            municipal_poverty::ActiveModel {
                dane_code: Set(code.to_string()),
                total: Set(Dec(ipm.total)),
                urban: Set(ipm.urban.map(Dec)),
                rural: Set(ipm.rural.map(Dec)),
                reference_year: Set(2018),
                source: Set(SHIPPED_POVERTY_SOURCE.to_owned()),
            }
        }))
        .exec(db)
        .await?;

        minimum_wage::Entity::insert_many(money::minimum_wages().iter().map(|w| minimum_wage::ActiveModel {
            year: Set(w.year),
            amount_cop: Set(Dec(w.amount_cop)),
            decree: Set(w.decree.clone()),
        }))
        .exec(db)
        .await?;

        // Postgres sequences do not see explicit ids.
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('pdet_subregions', 'id'), (SELECT MAX(id) FROM pdet_subregions))",
            )
            .await?;
        }

        let loads = [
            (
                "departments",
                "data/divipola_departamentos.csv",
                catalog.departments.len(),
            ),
            (
                "pdet_subregions",
                "data/pdet_municipios.csv",
                catalog.pdet_subregions.len(),
            ),
            (
                "municipalities",
                "data/divipola_municipios.csv",
                catalog.municipalities.len(),
            ),
            (
                "municipal_poverty",
                "data/ipm_2018_municipal_partial.csv",
                catalog.poverty_2018.len(),
            ),
            (
                "minimum_wages",
                "data/smmlv_2010_2026.csv",
                money::minimum_wages().len(),
            ),
        ];
        for (entity, source, rows) in loads {
            let summary = serde_json::json!({ "source": source, "rows": rows });
            // The entry as the log's columns were then (migration 15 hashes it later).
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new("audit_log"))
                .columns(
                    [
                        "at",
                        "actor",
                        "actor_user_id",
                        "entity",
                        "entity_id",
                        "action",
                        "before",
                        "after",
                    ]
                    .map(Alias::new),
                )
                .values([
                    crate::types::DbTimestamp::now().into(),
                    actor.label().into(),
                    actor.user_id().into(),
                    entity.into(),
                    "*".into(),
                    AuditAction::Create.to_string().into(),
                    Option::<String>::None.into(),
                    Some(summary.to_string()).into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            db.execute(&insert).await?;
        }
        Ok(())
    }
}
