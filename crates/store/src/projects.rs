//! Projects with their results framework, and the project card that the public portal and
//! donors read (the EU Trust Fund card is the model: code, titles, period, description,
//! peace-agreement contribution, objectives, investment by source and currency, featured
//! indicators, partners, coverage).

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde::{Deserialize, Serialize};
use vereda_domain::audit::Actor;
use vereda_domain::money::{Currency, Money, totals_by_currency};
use vereda_domain::monitoring::{
    ExecutionStatus, IndicatorUnit, MeasurementStatus, PartnerRole, advance_percent,
};
use vereda_domain::territory::DaneCode;

use crate::entity::{
    indicator, indicator_measurement, project, project_funding, project_municipality, project_objective,
    project_partner,
};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Store, StoreError, StoreResult, audit, corrupt, duplicate_or};

#[derive(Debug, Clone, Deserialize)]
pub struct NewFunding {
    pub source: String,
    pub currency: Currency,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewPartner {
    pub name: String,
    pub role: PartnerRole,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewMeasurement {
    pub measured_on: jiff::civil::Date,
    pub value: Decimal,
    #[serde(default)]
    pub value_women: Option<Decimal>,
    #[serde(default)]
    pub value_men: Option<Decimal>,
    #[serde(default)]
    pub source: Option<String>,
    pub status: MeasurementStatus,
    #[serde(default)]
    pub submitted_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewIndicator {
    pub number: i32,
    pub name: String,
    pub unit: IndicatorUnit,
    #[serde(default)]
    pub baseline: Decimal,
    pub goal: Decimal,
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    #[serde(default)]
    pub by_sex: bool,
    pub status: ExecutionStatus,
    #[serde(default = "yes")]
    pub featured: bool,
    #[serde(default)]
    pub measurements: Vec<NewMeasurement>,
}

fn yes() -> bool {
    true
}

/// A whole project, as a form, an import or the demo gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewProject {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    #[serde(default)]
    pub tagline: String,
    pub period_start: jiff::civil::Date,
    pub period_end: jiff::civil::Date,
    pub description: String,
    #[serde(default)]
    pub peace_contribution: String,
    pub general_objective: String,
    pub status: ExecutionStatus,
    #[serde(default)]
    pub specific_objectives: Vec<String>,
    #[serde(default)]
    pub funding: Vec<NewFunding>,
    #[serde(default)]
    pub partners: Vec<NewPartner>,
    #[serde(default)]
    pub municipalities: Vec<DaneCode>,
    #[serde(default)]
    pub indicators: Vec<NewIndicator>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingLine {
    pub source: String,
    pub currency: Currency,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub name: String,
    pub role: PartnerRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorProgress {
    pub number: i32,
    pub name: String,
    pub unit: IndicatorUnit,
    pub baseline: Decimal,
    pub goal: Decimal,
    pub by_sex: bool,
    pub status: ExecutionStatus,
    /// The latest approved measurement; the baseline when there is none.
    pub current_value: Decimal,
    pub current_women: Option<Decimal>,
    pub current_men: Option<Decimal>,
    pub last_update: Option<jiff::civil::Date>,
    /// floor(100 × current / goal).
    pub advance_percent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectCard {
    pub code: String,
    pub title: String,
    pub subtitle: String,
    pub tagline: String,
    pub period_start: jiff::civil::Date,
    pub period_end: jiff::civil::Date,
    pub description: String,
    pub peace_contribution: String,
    pub general_objective: String,
    pub specific_objectives: Vec<String>,
    pub status: ExecutionStatus,
    pub funding: Vec<FundingLine>,
    /// Totals by currency: EUR and COP are never added together.
    pub totals: BTreeMap<Currency, Decimal>,
    pub indicators: Vec<IndicatorProgress>,
    pub partners: Vec<Partner>,
    pub municipalities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectSummary {
    pub code: String,
    pub title: String,
    pub period_start: jiff::civil::Date,
    pub period_end: jiff::civil::Date,
    pub status: ExecutionStatus,
    pub totals: BTreeMap<Currency, Decimal>,
    pub indicators: usize,
}

impl Store {
    /// Stores a project and its whole results framework in one transaction.
    pub async fn create_project(&self, actor: &Actor, new: NewProject) -> StoreResult<ProjectCard> {
        if new.period_end < new.period_start {
            return Err(StoreError::Invalid(format!(
                "project {}: the period ends ({}) before it starts ({})",
                new.code, new.period_end, new.period_start
            )));
        }
        let txn = self.db.begin().await?;
        let row = project::ActiveModel {
            code: Set(new.code.trim().to_owned()),
            title: Set(new.title.trim().to_owned()),
            subtitle: Set(new.subtitle.trim().to_owned()),
            tagline: Set(new.tagline.trim().to_owned()),
            period_start: Set(DbDate(new.period_start)),
            period_end: Set(DbDate(new.period_end)),
            description: Set(new.description.trim().to_owned()),
            peace_contribution: Set(new.peace_contribution.trim().to_owned()),
            general_objective: Set(new.general_objective.trim().to_owned()),
            status: Set(new.status.to_string()),
            program_id: Set(None),
            created_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row)
            .await
            .map_err(duplicate_or("project", || new.code.clone()))?;
        for (position, text) in new.specific_objectives.iter().enumerate() {
            let row = project_objective::ActiveModel {
                project_id: Set(stored.id),
                position: Set(position as i32 + 1),
                text: Set(text.trim().to_owned()),
                ..Default::default()
            };
            audit::insert(&txn, actor, row).await?;
        }
        for (position, line) in new.funding.iter().enumerate() {
            if line.amount < Decimal::ZERO {
                return Err(StoreError::Invalid(format!(
                    "funding {:?} has a negative amount {}",
                    line.source, line.amount
                )));
            }
            let row = project_funding::ActiveModel {
                project_id: Set(stored.id),
                position: Set(position as i32 + 1),
                source: Set(line.source.trim().to_owned()),
                currency: Set(line.currency.to_string()),
                amount: Set(Dec(line.amount)),
                ..Default::default()
            };
            audit::insert(&txn, actor, row).await?;
        }
        for (position, partner) in new.partners.iter().enumerate() {
            let row = project_partner::ActiveModel {
                project_id: Set(stored.id),
                position: Set(position as i32 + 1),
                name: Set(partner.name.trim().to_owned()),
                role: Set(partner.role.to_string()),
                ..Default::default()
            };
            audit::insert(&txn, actor, row).await?;
        }
        let mut covered = new.municipalities.clone();
        covered.sort();
        covered.dedup();
        for code in covered {
            let row = project_municipality::ActiveModel {
                project_id: Set(stored.id),
                dane_code: Set(code.to_string()),
            };
            audit::insert(&txn, actor, row).await?;
        }
        for item in &new.indicators {
            if item.goal <= Decimal::ZERO {
                return Err(StoreError::Invalid(format!(
                    "indicator {}: the goal must be positive, not {}",
                    item.number, item.goal
                )));
            }
            let row = indicator::ActiveModel {
                project_id: Set(stored.id),
                number: Set(item.number),
                name: Set(item.name.trim().to_owned()),
                unit: Set(item.unit.to_string()),
                baseline: Set(Dec(item.baseline)),
                goal: Set(Dec(item.goal)),
                higher_is_better: Set(item.higher_is_better),
                by_sex: Set(item.by_sex),
                status: Set(item.status.to_string()),
                featured: Set(item.featured),
                ..Default::default()
            };
            let stored_indicator = audit::insert(&txn, actor, row)
                .await
                .map_err(duplicate_or("indicator", || {
                    format!("{} of project {}", item.number, new.code)
                }))?;
            for measurement in &item.measurements {
                let row = indicator_measurement::ActiveModel {
                    indicator_id: Set(stored_indicator.id),
                    measured_on: Set(DbDate(measurement.measured_on)),
                    value: Set(Dec(measurement.value)),
                    value_women: Set(measurement.value_women.map(Dec)),
                    value_men: Set(measurement.value_men.map(Dec)),
                    source: Set(measurement.source.clone()),
                    status: Set(measurement.status.to_string()),
                    submitted_by: Set(measurement.submitted_by.clone()),
                    created_at: Set(DbTimestamp::now()),
                    ..Default::default()
                };
                audit::insert(&txn, actor, row).await?;
            }
        }
        txn.commit().await?;
        self.project_card(&new.code)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "project",
                id: new.code,
            })
    }

    pub async fn projects(&self) -> StoreResult<Vec<ProjectSummary>> {
        let rows = project::Entity::find()
            .order_by_asc(project::Column::Code)
            .all(&self.db)
            .await?;
        let mut funding: HashMap<i32, Vec<Money>> = HashMap::new();
        for line in project_funding::Entity::find().all(&self.db).await? {
            let currency = line
                .currency
                .parse()
                .map_err(|e| corrupt("funding line", line.id, e))?;
            funding
                .entry(line.project_id)
                .or_default()
                .push(Money::new(line.amount.0, currency));
        }
        let mut indicator_counts: HashMap<i32, usize> = HashMap::new();
        for item in indicator::Entity::find().all(&self.db).await? {
            *indicator_counts.entry(item.project_id).or_default() += 1;
        }
        rows.into_iter()
            .map(|p| {
                Ok(ProjectSummary {
                    status: p.status.parse().map_err(|e| corrupt("project", p.id, e))?,
                    totals: totals_by_currency(funding.remove(&p.id).unwrap_or_default()),
                    indicators: indicator_counts.get(&p.id).copied().unwrap_or(0),
                    code: p.code,
                    title: p.title,
                    period_start: p.period_start.0,
                    period_end: p.period_end.0,
                })
            })
            .collect()
    }

    /// Everything the project card shows.
    pub async fn project_card(&self, code: &str) -> StoreResult<Option<ProjectCard>> {
        let Some(p) = project::Entity::find()
            .filter(project::Column::Code.eq(code))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let specific_objectives = project_objective::Entity::find()
            .filter(project_objective::Column::ProjectId.eq(p.id))
            .order_by_asc(project_objective::Column::Position)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| o.text)
            .collect();
        let funding = project_funding::Entity::find()
            .filter(project_funding::Column::ProjectId.eq(p.id))
            .order_by_asc(project_funding::Column::Position)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| {
                Ok(FundingLine {
                    currency: f.currency.parse().map_err(|e| corrupt("funding line", f.id, e))?,
                    source: f.source,
                    amount: f.amount.0,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let totals = totals_by_currency(funding.iter().map(|f| Money::new(f.amount, f.currency)));
        let partners = project_partner::Entity::find()
            .filter(project_partner::Column::ProjectId.eq(p.id))
            .order_by_asc(project_partner::Column::Position)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| {
                Ok(Partner {
                    role: r.role.parse().map_err(|e| corrupt("partner", r.id, e))?,
                    name: r.name,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let municipalities = project_municipality::Entity::find()
            .filter(project_municipality::Column::ProjectId.eq(p.id))
            .order_by_asc(project_municipality::Column::DaneCode)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.dane_code)
            .collect();
        let indicator_rows = indicator::Entity::find()
            .filter(indicator::Column::ProjectId.eq(p.id))
            .order_by_asc(indicator::Column::Number)
            .all(&self.db)
            .await?;
        let indicator_ids: Vec<i32> = indicator_rows.iter().map(|i| i.id).collect();
        let mut latest: HashMap<i32, indicator_measurement::Model> = HashMap::new();
        for m in indicator_measurement::Entity::find()
            .filter(indicator_measurement::Column::IndicatorId.is_in(indicator_ids))
            .filter(indicator_measurement::Column::Status.eq(MeasurementStatus::Approved.as_str()))
            .order_by_asc(indicator_measurement::Column::MeasuredOn)
            .order_by_asc(indicator_measurement::Column::Id)
            .all(&self.db)
            .await?
        {
            latest.insert(m.indicator_id, m);
        }
        let indicators = indicator_rows
            .into_iter()
            .map(|i| {
                let measurement = latest.remove(&i.id);
                let current_value = measurement.as_ref().map(|m| m.value.0).unwrap_or(i.baseline.0);
                Ok(IndicatorProgress {
                    unit: i.unit.parse().map_err(|e| corrupt("indicator", i.id, e))?,
                    status: i.status.parse().map_err(|e| corrupt("indicator", i.id, e))?,
                    advance_percent: advance_percent(current_value, i.goal.0),
                    current_women: measurement.as_ref().and_then(|m| m.value_women.map(|d| d.0)),
                    current_men: measurement.as_ref().and_then(|m| m.value_men.map(|d| d.0)),
                    last_update: measurement.as_ref().map(|m| m.measured_on.0),
                    current_value,
                    number: i.number,
                    name: i.name,
                    baseline: i.baseline.0,
                    goal: i.goal.0,
                    by_sex: i.by_sex,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(ProjectCard {
            status: p.status.parse().map_err(|e| corrupt("project", p.id, e))?,
            code: p.code,
            title: p.title,
            subtitle: p.subtitle,
            tagline: p.tagline,
            period_start: p.period_start.0,
            period_end: p.period_end.0,
            description: p.description,
            peace_contribution: p.peace_contribution,
            general_objective: p.general_objective,
            specific_objectives,
            funding,
            totals,
            indicators,
            partners,
            municipalities,
        }))
    }
}
