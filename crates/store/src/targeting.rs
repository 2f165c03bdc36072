//! The targeting of a call's municipalities (Art. 5, 6, 8, 30): the institute's interventions
//! per municipality, the facts each candidate municipality brings, and the numbered technical
//! documents (Art. 8) generated from them.

use std::collections::{BTreeSet, HashMap};
use vereda_domain::accounts::Permission;

use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use vereda_domain::audit::Actor;
use vereda_domain::targeting::{Candidate, Coverage, CoverageInput, Ranked, Weights};
use vereda_domain::territory::DaneCode;

use crate::entity::{call, institute_intervention, targeting_document};
use crate::screening::RunStatus;
use crate::territory::MunicipalityQuery;
use crate::types::{DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt, on_duplicate};

/// Where an interventions count comes from.
pub const SOURCE_CSV: &str = "csv";
pub const SOURCE_MANUAL: &str = "manual";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterventionRow {
    pub dane_code: String,
    pub count: u32,
    pub source: String,
}

/// What an interventions import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterventionImportSummary {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A municipality of the call's departments with the facts the prioritization needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateFacts {
    pub dane_code: String,
    pub name: String,
    pub department: String,
    /// None when no IPM is stored for it: it cannot be ranked.
    pub ipm: Option<Decimal>,
    pub ipm_source: Option<String>,
    /// Eligible households of the call's latest successful screening.
    pub families: u64,
    pub interventions: u32,
}

/// The candidates of a call, and which screening run gave the families.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallCandidates {
    pub screening_run_id: Option<i32>,
    pub municipalities: Vec<CandidateFacts>,
}

#[derive(Debug, Clone)]
pub struct NewTargetingDocument {
    pub call_id: i32,
    pub weights: Weights,
    pub inputs: Vec<Candidate>,
    pub ranking: Vec<Ranked>,
    pub coverage_input: CoverageInput,
    pub coverage: Coverage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetingDocument {
    pub id: i32,
    pub call_id: i32,
    pub number: i32,
    pub weights: Weights,
    pub inputs: Vec<Candidate>,
    pub ranking: Vec<Ranked>,
    pub coverage_input: CoverageInput,
    pub coverage: Coverage,
    pub created_by: Option<i32>,
    pub created_at: jiff::Timestamp,
}

fn json_error(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Fault(format!("cannot write {what} as JSON: {e}"))
}

fn count_of(value: u32) -> StoreResult<i32> {
    i32::try_from(value)
        .map_err(|_| StoreError::Invalid(Message::new("targeting-error-too_large").with("value", value)))
}

impl Store {
    async fn call_exists(&self, call_id: i32) -> StoreResult<()> {
        call::Entity::find_by_id(call_id)
            .one(&self.db)
            .await?
            .map(|_| ())
            .ok_or_else(|| StoreError::NotFound {
                entity: "call",
                id: call_id.to_string(),
            })
    }

    /// The institute's interventions counted for a call, by DANE code.
    pub async fn interventions(&self, call_id: i32) -> StoreResult<Vec<InterventionRow>> {
        Ok(institute_intervention::Entity::find()
            .filter(institute_intervention::Column::CallId.eq(call_id))
            .order_by_asc(institute_intervention::Column::DaneCode)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| InterventionRow {
                dane_code: row.dane_code,
                count: u32::try_from(row.count).unwrap_or(0),
                source: row.source,
            })
            .collect())
    }

    /// Sets the interventions of the given municipalities for a call in one transaction (all
    /// or nothing), recording each change. Municipalities not named keep their counts.
    pub async fn import_interventions(
        &self,
        actor: &Actor,
        call_id: i32,
        records: &[(DaneCode, u32)],
        source: &str,
    ) -> StoreResult<InterventionImportSummary> {
        self.call_exists(call_id).await?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ManageCalls,
            crate::scope::Target::Call(call_id),
        )
        .await?;
        let mut existing: HashMap<String, institute_intervention::Model> =
            institute_intervention::Entity::find()
                .filter(institute_intervention::Column::CallId.eq(call_id))
                .all(&txn)
                .await?
                .into_iter()
                .map(|row| (row.dane_code.clone(), row))
                .collect();
        let mut summary = InterventionImportSummary::default();
        for (code, count) in records {
            let count = count_of(*count)?;
            match existing.remove(code.as_str()) {
                None => {
                    let row = institute_intervention::ActiveModel {
                        call_id: Set(call_id),
                        dane_code: Set(code.to_string()),
                        count: Set(count),
                        source: Set(source.to_owned()),
                        updated_at: Set(DbTimestamp::now()),
                        ..Default::default()
                    };
                    audit::insert(&txn, actor, row).await?;
                    summary.inserted += 1;
                }
                Some(before) if before.count == count && before.source == source => summary.unchanged += 1,
                Some(before) => {
                    let row = institute_intervention::ActiveModel {
                        id: Set(before.id),
                        count: Set(count),
                        source: Set(source.to_owned()),
                        updated_at: Set(DbTimestamp::now()),
                        ..Default::default()
                    };
                    audit::update(&txn, actor, &before, row).await?;
                    summary.updated += 1;
                }
            }
        }
        txn.commit().await?;
        Ok(summary)
    }

    /// Sets one municipality's interventions by hand.
    pub async fn set_interventions(
        &self,
        actor: &Actor,
        call_id: i32,
        code: DaneCode,
        count: u32,
    ) -> StoreResult<InterventionImportSummary> {
        self.import_interventions(actor, call_id, &[(code, count)], SOURCE_MANUAL)
            .await
    }

    /// The municipalities of the departments of the call's territorial offices, with their
    /// IPM as stored, the eligible households of the call's latest successful screening and
    /// the institute's interventions (0 when none are recorded).
    pub async fn targeting_candidates(&self, call_id: i32) -> StoreResult<CallCandidates> {
        let call = self.call(call_id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
        let offices = self.territorial_offices().await?;
        let departments: BTreeSet<String> = offices
            .into_iter()
            .filter(|o| call.territorial_office_ids.contains(&o.id))
            .map(|o| o.department_code)
            .collect();
        let run = self
            .screening_runs(call_id)
            .await?
            .into_iter()
            .find(|run| run.status == RunStatus::Succeeded);
        let families: HashMap<String, u64> = match &run {
            Some(run) => self
                .screening_counts(run.id)
                .await?
                .by_municipality
                .into_iter()
                .map(|(code, group)| (code, group.eligible))
                .collect(),
            None => HashMap::new(),
        };
        let interventions: HashMap<String, u32> = self
            .interventions(call_id)
            .await?
            .into_iter()
            .map(|row| (row.dane_code, row.count))
            .collect();
        let mut municipalities = Vec::new();
        for department in departments {
            let query = MunicipalityQuery {
                department_code: Some(department),
                ..Default::default()
            };
            for row in self.municipalities(&query).await? {
                municipalities.push(CandidateFacts {
                    families: families.get(&row.dane_code).copied().unwrap_or(0),
                    interventions: interventions.get(&row.dane_code).copied().unwrap_or(0),
                    ipm: row.ipm.as_ref().map(|p| p.total),
                    ipm_source: row.ipm.map(|p| format!("{} {}", p.source, p.reference_year)),
                    dane_code: row.dane_code,
                    name: row.name,
                    department: row.department,
                });
            }
        }
        Ok(CallCandidates {
            screening_run_id: run.map(|r| r.id),
            municipalities,
        })
    }

    /// Stores a new version of the call's targeting document, numbered after the last one.
    pub async fn create_targeting_document(
        &self,
        actor: &Actor,
        new: NewTargetingDocument,
    ) -> StoreResult<TargetingDocument> {
        self.call_exists(new.call_id).await?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ManageCalls,
            crate::scope::Target::Call(new.call_id),
        )
        .await?;
        let last = targeting_document::Entity::find()
            .filter(targeting_document::Column::CallId.eq(new.call_id))
            .order_by_desc(targeting_document::Column::Number)
            .one(&txn)
            .await?
            .map_or(0, |d| d.number);
        let row = targeting_document::ActiveModel {
            call_id: Set(new.call_id),
            number: Set(last + 1),
            weights: Set(serde_json::to_string(&new.weights).map_err(json_error("the weights"))?),
            inputs: Set(serde_json::to_string(&new.inputs).map_err(json_error("the inputs"))?),
            ranking: Set(serde_json::to_string(&new.ranking).map_err(json_error("the ranking"))?),
            budget_cop: Set(Dec(new.coverage_input.budget_cop)),
            cofinancing_per_family_cop: Set(Dec(new.coverage_input.cofinancing_per_family_cop)),
            families_per_project: Set(i32::try_from(new.coverage_input.families_per_project).map_err(
                |_| {
                    StoreError::Invalid(
                        Message::new("targeting-error-too_large")
                            .with("value", new.coverage_input.families_per_project),
                    )
                },
            )?),
            families: Set(i64::try_from(new.coverage.families).unwrap_or(i64::MAX)),
            projects: Set(i64::try_from(new.coverage.projects).unwrap_or(i64::MAX)),
            remainder_cop: Set(Dec(new.coverage.remainder_cop)),
            created_by: Set(actor.user_id()),
            created_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let model = audit::insert(&txn, actor, row).await.map_err(on_duplicate(|| {
            StoreError::Conflict(
                Message::new("targeting-error-concurrent")
                    .with("number", last + 1)
                    .with("call", new.call_id),
            )
        }))?;
        txn.commit().await?;
        document_from_row(model)
    }

    /// A call's targeting documents, newest first.
    pub async fn targeting_documents(&self, call_id: i32) -> StoreResult<Vec<TargetingDocument>> {
        targeting_document::Entity::find()
            .filter(targeting_document::Column::CallId.eq(call_id))
            .order_by_desc(targeting_document::Column::Number)
            .all(&self.db)
            .await?
            .into_iter()
            .map(document_from_row)
            .collect()
    }

    pub async fn targeting_document(
        &self,
        call_id: i32,
        number: i32,
    ) -> StoreResult<Option<TargetingDocument>> {
        targeting_document::Entity::find()
            .filter(targeting_document::Column::CallId.eq(call_id))
            .filter(targeting_document::Column::Number.eq(number))
            .one(&self.db)
            .await?
            .map(document_from_row)
            .transpose()
    }
}

fn document_from_row(row: targeting_document::Model) -> StoreResult<TargetingDocument> {
    let id = row.id;
    let bad = |e: serde_json::Error| corrupt("targeting document", id, e);
    let families_per_project =
        u32::try_from(row.families_per_project).map_err(|e| corrupt("targeting document", id, e))?;
    Ok(TargetingDocument {
        id,
        call_id: row.call_id,
        number: row.number,
        weights: serde_json::from_str(&row.weights).map_err(bad)?,
        inputs: serde_json::from_str(&row.inputs).map_err(bad)?,
        ranking: serde_json::from_str(&row.ranking).map_err(bad)?,
        coverage_input: CoverageInput {
            budget_cop: row.budget_cop.0,
            cofinancing_per_family_cop: row.cofinancing_per_family_cop.0,
            families_per_project,
        },
        coverage: Coverage {
            families: u64::try_from(row.families).unwrap_or(0),
            projects: u64::try_from(row.projects).unwrap_or(0),
            remainder_cop: row.remainder_cop.0,
            families_outside_projects: u64::try_from(row.families).unwrap_or(0)
                % u64::from(families_per_project.max(1)),
        },
        created_by: row.created_by,
        created_at: row.created_at.0,
    })
}
