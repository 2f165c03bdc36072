//! The award keeps only the obligations its director adds. The standard ones (the guarantee
//! policy, the joint-signature account, the counterpart: Art. 29 par., 31, 32.1) follow from
//! the stored amounts and are worded when shown, in the reader's language. Awards issued
//! before kept them as a Spanish paragraph ahead of the director's text, on its first line:
//! that line is removed here, so every award's column means the same.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000017_award_obligations"
    }
}

/// How the standard paragraph began; the director's text never did.
const STANDARD_START: &str = "Constituir a favor del instituto una póliza de cumplimiento";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let newline = match manager.get_database_backend() {
            DatabaseBackend::Postgres => "strpos(obligations, chr(10))",
            _ => "instr(obligations, char(10))",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE awards SET obligations = CASE WHEN {newline} > 0 \
                 THEN substr(obligations, {newline} + 1) ELSE '' END \
                 WHERE obligations LIKE '{STANDARD_START}%'"
            ))
            .await?;
        Ok(())
    }
}
