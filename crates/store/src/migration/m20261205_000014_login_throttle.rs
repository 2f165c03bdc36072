//! Failed logins in a row per account and per client address, in the database so that every
//! server behind a load balancer applies the same waits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000014_login_throttle"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("login_throttle"))
                    .col(string(col("key")).primary_key())
                    .col(integer(col("failures")))
                    .col(instant("wait_until").null().to_owned())
                    .col(instant("updated_at"))
                    .to_owned(),
            )
            .await
    }
}
