//! Departments, municipalities, PDET subregions and the municipal IPM as stored.

use std::collections::HashMap;
use vereda_domain::accounts::Permission;

use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};
use serde::Serialize;
use vereda_domain::audit::Actor;
use vereda_domain::territory::{DaneCode, PovertyIndex};
use vereda_domain::text::fold_for_search;

use crate::entity::{department, municipal_poverty, municipality, pdet_subregion};
use crate::types::Dec;
use crate::{Store, StoreResult, audit};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepartmentRow {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdetSubregionRow {
    pub id: i32,
    pub name: String,
}

/// The IPM of a municipality as stored, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PovertyRow {
    pub total: rust_decimal::Decimal,
    pub urban: Option<rust_decimal::Decimal>,
    pub rural: Option<rust_decimal::Decimal>,
    pub reference_year: i16,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalityRow {
    pub dane_code: String,
    pub name: String,
    pub kind: String,
    pub department_code: String,
    pub department: String,
    pub pdet_subregion: Option<String>,
    pub ipm: Option<PovertyRow>,
}

/// Which municipalities to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct MunicipalityQuery {
    pub department_code: Option<String>,
    pub pdet_subregion_id: Option<i32>,
    /// Only the 170 PDET municipalities.
    pub pdet_only: bool,
    /// Part of the name, of the department's name or of the code; accents and case do not matter.
    pub text: Option<String>,
}

/// What an IPM import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PovertyImportSummary {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl Store {
    pub async fn departments(&self) -> StoreResult<Vec<DepartmentRow>> {
        Ok(department::Entity::find()
            .order_by_asc(department::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| DepartmentRow {
                code: d.code,
                name: d.name,
            })
            .collect())
    }

    pub async fn pdet_subregions(&self) -> StoreResult<Vec<PdetSubregionRow>> {
        Ok(pdet_subregion::Entity::find()
            .order_by_asc(pdet_subregion::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| PdetSubregionRow {
                id: s.id,
                name: s.name,
            })
            .collect())
    }

    /// Municipalities matching `query`, ordered by department and name.
    ///
    /// DIVIPOLA has 1,122 units, so the filter runs in memory, where accent-insensitive
    /// matching is the same on both backends.
    pub async fn municipalities(&self, query: &MunicipalityQuery) -> StoreResult<Vec<MunicipalityRow>> {
        let departments: HashMap<String, String> = department::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
        let subregions: HashMap<i32, String> = pdet_subregion::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let mut poverty: HashMap<String, municipal_poverty::Model> = municipal_poverty::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.dane_code.clone(), p))
            .collect();
        let wanted_text = query
            .text
            .as_deref()
            .map(fold_for_search)
            .filter(|t| !t.is_empty());

        let mut rows: Vec<MunicipalityRow> = municipality::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|m| {
                query
                    .department_code
                    .as_ref()
                    .is_none_or(|d| &m.department_code == d)
            })
            .filter(|m| {
                query
                    .pdet_subregion_id
                    .is_none_or(|s| m.pdet_subregion_id == Some(s))
            })
            .filter(|m| !query.pdet_only || m.pdet_subregion_id.is_some())
            .map(|m| MunicipalityRow {
                department: departments.get(&m.department_code).cloned().unwrap_or_default(),
                pdet_subregion: m.pdet_subregion_id.and_then(|id| subregions.get(&id).cloned()),
                ipm: poverty.remove(&m.dane_code).map(|p| PovertyRow {
                    total: p.total.0,
                    urban: p.urban.map(|d| d.0),
                    rural: p.rural.map(|d| d.0),
                    reference_year: p.reference_year,
                    source: p.source,
                }),
                dane_code: m.dane_code,
                name: m.name,
                kind: m.kind,
                department_code: m.department_code,
            })
            .filter(|row| {
                wanted_text.as_ref().is_none_or(|text| {
                    fold_for_search(&row.name).contains(text.as_str())
                        || fold_for_search(&row.department).contains(text.as_str())
                        || row.dane_code.starts_with(text.as_str())
                })
            })
            .collect();
        rows.sort_by(|a, b| (&a.department, &a.name).cmp(&(&b.department, &b.name)));
        Ok(rows)
    }

    pub async fn municipality(&self, code: DaneCode) -> StoreResult<Option<MunicipalityRow>> {
        let query = MunicipalityQuery {
            text: Some(code.to_string()),
            ..Default::default()
        };
        Ok(self
            .municipalities(&query)
            .await?
            .into_iter()
            .find(|m| m.dane_code == code.as_str()))
    }

    /// Stores the IPM of the given municipalities in one transaction, replacing what was
    /// there and recording each change. Municipalities not named keep their values.
    pub async fn import_poverty(
        &self,
        actor: &Actor,
        records: &[(DaneCode, PovertyIndex)],
        reference_year: i16,
        source: &str,
    ) -> StoreResult<PovertyImportSummary> {
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ImportReferenceData).await?;
        let mut existing: HashMap<String, municipal_poverty::Model> = municipal_poverty::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| (p.dane_code.clone(), p))
            .collect();
        let mut summary = PovertyImportSummary::default();
        for (code, index) in records {
            let row = municipal_poverty::ActiveModel {
                dane_code: Set(code.to_string()),
                total: Set(Dec(index.total)),
                urban: Set(index.urban.map(Dec)),
                rural: Set(index.rural.map(Dec)),
                reference_year: Set(reference_year),
                source: Set(source.to_owned()),
            };
            match existing.remove(code.as_str()) {
                None => {
                    audit::insert(&txn, actor, row).await?;
                    summary.inserted += 1;
                }
                Some(before) => {
                    let same = before.total == Dec(index.total)
                        && before.urban == index.urban.map(Dec)
                        && before.rural == index.rural.map(Dec)
                        && before.reference_year == reference_year
                        && before.source == source;
                    if same {
                        summary.unchanged += 1;
                    } else {
                        audit::update(&txn, actor, &before, row).await?;
                        summary.updated += 1;
                    }
                }
            }
        }
        txn.commit().await?;
        Ok(summary)
    }

    /// The SMMLV of a year as stored.
    pub async fn minimum_wage(&self, year: i16) -> StoreResult<Option<rust_decimal::Decimal>> {
        Ok(crate::entity::minimum_wage::Entity::find_by_id(year)
            .one(&self.db)
            .await?
            .map(|w| w.amount_cop.0))
    }
}
