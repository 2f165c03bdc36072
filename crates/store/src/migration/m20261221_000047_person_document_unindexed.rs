//! Persons are no longer indexed by `(document_type, document_key)` (issue 15: a million
//! households stored in a minute). No query reads persons by document type: the one look-up
//! by document, a data subject's request (`Store::subject_record`), asks for the document in
//! any type, which that index cannot serve on either backend, and reads the audit log by the
//! same document with `LIKE` besides. Its entries went to random places, one a household a
//! screening stores, about a fifth of what SQLite's storing of the schema takes
//! (`bench/RESULTS.md`).

use sea_orm_migration::prelude::*;

use super::columns::dropped_index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261221_000047_person_document_unindexed"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(dropped_index("persons", &["document_type", "document_key"]))
            .await
    }
}
