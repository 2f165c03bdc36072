//! A data subject's rights (Ley 1581 de 2012, Art. 8): an administrator answers "what do you
//! hold about document X" with every record that names it, and records a rectification of a
//! household's contact fields. Both are audited.

use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use vereda_domain::accounts::Permission;
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::household::{mask_document, normalize_document};

use crate::audit::{self, AuditEntry, snapshot};
use crate::entity::{
    audit_entry, household, household_document, household_verification, letter, parcel, person,
    screening_result,
};
use crate::households::{nonempty, plausible_email};
use crate::{Message, Store, StoreError, StoreResult};

/// Everything held about one household a person belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectHousehold {
    pub household: serde_json::Value,
    pub persons: Vec<serde_json::Value>,
    pub parcels: Vec<serde_json::Value>,
    pub verification: Vec<serde_json::Value>,
    pub documents: Vec<serde_json::Value>,
    pub letters: Vec<serde_json::Value>,
    pub screening_results: Vec<serde_json::Value>,
}

/// The answer to a data subject's request: the households whose members carry the document,
/// with all their records, and the audit entries about them or quoting the document.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectRecord {
    pub document: String,
    pub households: Vec<SubjectHousehold>,
    pub audit_entries: Vec<AuditEntry>,
}

/// Audit entries returned at most.
const AUDIT_LIMIT: u64 = 1000;

impl Store {
    /// Everything held about identity document `document` (compared normalised, as the
    /// screening matches documents). The request itself is audited (`subject_access`).
    pub async fn subject_record(&self, actor: &Actor, document: &str) -> StoreResult<SubjectRecord> {
        let key = normalize_document(document);
        if key.is_empty() {
            return Err(StoreError::Invalid(Message::new("subject-error-document")));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        let members = person::Entity::find()
            .filter(person::Column::DocumentKey.eq(key.as_str()))
            .all(&txn)
            .await?;
        let mut household_ids: Vec<i32> = members.iter().map(|p| p.household_id).collect();
        household_ids.sort_unstable();
        household_ids.dedup();
        let mut households = Vec::new();
        let mut named = Condition::any();
        for id in &household_ids {
            let Some(row) = household::Entity::find_by_id(*id).one(&txn).await? else {
                continue;
            };
            let persons = person::Entity::find()
                .filter(person::Column::HouseholdId.eq(*id))
                .order_by_asc(person::Column::Id)
                .all(&txn)
                .await?;
            let parcels = parcel::Entity::find()
                .filter(parcel::Column::HouseholdId.eq(*id))
                .all(&txn)
                .await?;
            let verification = household_verification::Entity::find()
                .filter(household_verification::Column::HouseholdId.eq(*id))
                .all(&txn)
                .await?;
            let documents = household_document::Entity::find()
                .filter(household_document::Column::HouseholdId.eq(*id))
                .all(&txn)
                .await?;
            let letters = letter::Entity::find()
                .filter(letter::Column::HouseholdId.eq(*id))
                .all(&txn)
                .await?;
            let results = screening_result::Entity::find()
                .filter(screening_result::Column::HouseholdId.eq(*id))
                .all(&txn)
                .await?;
            let mut name = |entity: &str, ids: Vec<String>| {
                if !ids.is_empty() {
                    named = std::mem::replace(&mut named, Condition::any()).add(
                        Condition::all()
                            .add(audit_entry::Column::Entity.eq(entity))
                            .add(audit_entry::Column::EntityId.is_in(ids)),
                    );
                }
            };
            name("households", vec![id.to_string()]);
            name("persons", persons.iter().map(|r| r.id.to_string()).collect());
            name("parcels", parcels.iter().map(|r| r.id.to_string()).collect());
            name(
                "household_verifications",
                verification.iter().map(|r| r.id.to_string()).collect(),
            );
            name(
                "household_documents",
                documents.iter().map(|r| r.id.to_string()).collect(),
            );
            name("letters", letters.iter().map(|r| r.id.to_string()).collect());
            name(
                "screening_results",
                results.iter().map(|r| r.id.to_string()).collect(),
            );
            households.push(SubjectHousehold {
                household: snapshot(&row)?,
                persons: persons.iter().map(snapshot).collect::<Result<_, _>>()?,
                parcels: parcels.iter().map(snapshot).collect::<Result<_, _>>()?,
                verification: verification.iter().map(snapshot).collect::<Result<_, _>>()?,
                documents: documents.iter().map(snapshot).collect::<Result<_, _>>()?,
                letters: letters.iter().map(snapshot).collect::<Result<_, _>>()?,
                screening_results: results.iter().map(snapshot).collect::<Result<_, _>>()?,
            });
        }
        // Entries quoting the document as typed or as stored, whatever they are about.
        let trimmed = document.trim();
        for text in [trimmed, key.as_str()] {
            if text.len() >= 4 {
                let pattern = format!("%{}%", text.replace(['%', '_'], ""));
                named = named
                    .add(audit_entry::Column::After.like(pattern.as_str()))
                    .add(audit_entry::Column::Before.like(pattern.as_str()));
            }
        }
        let rows = audit_entry::Entity::find()
            .filter(named)
            .order_by_desc(audit_entry::Column::Id)
            .limit(AUDIT_LIMIT)
            .all(&txn)
            .await?;
        let audit_entries = rows
            .into_iter()
            .map(audit::entry_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        audit::append(
            &txn,
            actor,
            "data_subjects",
            &mask_document(&key),
            AuditAction::SubjectAccess,
            None,
            Some(serde_json::json!({ "document": key, "households": household_ids })),
        )
        .await?;
        txn.commit().await?;
        Ok(SubjectRecord {
            document: key,
            households,
            audit_entries,
        })
    }

    /// Records the rectification a data subject asked for: the household's e-mail and postal
    /// address for correspondence (blank clears), audited with both versions.
    pub async fn rectify_household_contact(
        &self,
        actor: &Actor,
        household_id: i32,
        email: Option<&str>,
        address: Option<&str>,
    ) -> StoreResult<()> {
        let email = nonempty(email);
        if let Some(value) = &email
            && !plausible_email(value)
        {
            return Err(StoreError::Invalid(
                Message::new("household-error-email")
                    .with("value", value)
                    .with("household", household_id.to_string()),
            ));
        }
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageUsers).await?;
        let before = household::Entity::find_by_id(household_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "household",
                id: household_id.to_string(),
            })?;
        let mut row: household::ActiveModel = before.clone().into();
        row.email = Set(email);
        row.correspondence_address = Set(nonempty(address));
        audit::update(&txn, actor, &before, row).await?;
        txn.commit().await?;
        Ok(())
    }
}
