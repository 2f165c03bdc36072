//! API tokens: credentials an administrator issues to another system for an account. Only the
//! SHA-256 of the secret is kept; revoking sets `revoked_at` (a token is never deleted, so the
//! audit log's entries about it keep their row).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000018_api_tokens"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(col("api_tokens"))
                    .col(id())
                    .col(integer(col("user_id")))
                    .col(string(col("label")))
                    .col(string(col("token_hash")))
                    .col(instant("created_at"))
                    .col(string(col("created_by")))
                    .col(instant("last_used_at").null().to_owned())
                    .col(instant("revoked_at").null().to_owned())
                    .foreign_key(&mut owned_by("api_tokens", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("api_tokens", &["user_id"], false))
            .await?;
        manager
            .create_index(index("api_tokens", &["token_hash"], true))
            .await
    }
}
