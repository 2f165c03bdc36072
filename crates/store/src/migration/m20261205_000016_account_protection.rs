//! Accounts that can be protected: the instant before which an account's sessions no longer
//! count (a password change, a reset, a deactivation end them), the second factor's secret and
//! last used step, its one-time recovery codes (hashed), and one-time password-reset links
//! (only the token's hash is kept).
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::columns::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000016_account_protection"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            instant("sessions_valid_after").null().to_owned(),
            text_null(col("totp_secret")),
            big_integer_null(col("totp_last_step")),
        ];
        for column in columns {
            manager
                .alter_table(Table::alter().table(col("users")).add_column(column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(col("recovery_codes"))
                    .col(id())
                    .col(integer(col("user_id")))
                    .col(string(col("code_hash")))
                    .col(instant("used_at").null().to_owned())
                    .foreign_key(&mut owned_by("recovery_codes", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("recovery_codes", &["user_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(col("password_resets"))
                    .col(id())
                    .col(integer(col("user_id")))
                    .col(string(col("token_hash")))
                    .col(instant("created_at"))
                    .col(instant("expires_at"))
                    .col(instant("used_at").null().to_owned())
                    .foreign_key(&mut owned_by("password_resets", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("password_resets", &["token_hash"], true))
            .await
    }
}
