//! Projects with their results framework, and the project card that the public portal and
//! donors read (the EU Trust Fund card is the model: code, titles, period, description,
//! peace-agreement contribution, objectives, investment by source and currency, featured
//! indicators, partners, coverage, resources).
//!
//! Measurements are submitted, then approved or returned by another officer; only approved
//! ones count. Approving one keeps the indicator's latest approved value on the indicator row
//! (in the same short transaction), so a card or a roll-up reads indicators, not measurements.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use vereda_domain::accounts::Permission;

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use vereda_domain::audit::Actor;
use vereda_domain::awarded_project::{
    self, AwardFigures, AwardReference, HeadsBySex, MoneyFlow, ProjectStatus, StatusFacts, project_status,
};
use vereda_domain::household::Sex;
use vereda_domain::money::{Currency, Money, totals_by_currency};
use vereda_domain::monitoring::{
    ContentLanguage, ExecutionStatus, FundingLine, FundingRole, IndicatorProgress, IndicatorUnit,
    MeasurementDraft, MeasurementStatus, Partner, PartnerRole, ProjectCard, ProjectDocument,
    PublishedMeasurement, ResultArea, ResultKind, advance_percent, validate_targets,
};
use vereda_domain::territory::{DaneCode, DepartmentCode};

use crate::entity::{
    award, disbursement, formulation, household, indicator, indicator_measurement, indicator_proposal,
    person, project, project_beneficiary, project_document, project_funding, project_municipality,
    project_objective, project_partner, project_result, project_value_chain, user,
};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt, duplicate_or};

#[derive(Debug, Clone, Deserialize)]
pub struct NewFunding {
    /// The organisation's name, never a heading ("Investment amount").
    pub source: String,
    pub role: FundingRole,
    pub currency: Currency,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewPartner {
    pub name: String,
    pub role: PartnerRole,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewResult {
    pub kind: ResultKind,
    pub title: String,
    /// The specific objective it serves (1-based).
    #[serde(default)]
    pub objective: Option<i32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewMeasurement {
    pub measured_on: Date,
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
    #[serde(default)]
    pub baseline_date: Option<Date>,
    pub goal: Decimal,
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    #[serde(default)]
    pub by_sex: bool,
    pub status: ExecutionStatus,
    #[serde(default = "yes")]
    pub featured: bool,
    /// The result (its position, 1-based) the indicator measures.
    #[serde(default)]
    pub result: Option<i32>,
    #[serde(default)]
    pub rollup_key: Option<String>,
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
    /// The language of its own texts; Spanish unless given.
    #[serde(default)]
    pub language: ContentLanguage,
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    #[serde(default)]
    pub tagline: String,
    pub period_start: Date,
    pub period_end: Date,
    pub description: String,
    #[serde(default)]
    pub peace_contribution: String,
    pub general_objective: String,
    pub status: ExecutionStatus,
    #[serde(default)]
    pub specific_objectives: Vec<String>,
    #[serde(default)]
    pub results: Vec<NewResult>,
    #[serde(default)]
    pub value_chains: Vec<String>,
    #[serde(default)]
    pub funding: Vec<NewFunding>,
    #[serde(default)]
    pub partners: Vec<NewPartner>,
    #[serde(default)]
    pub municipalities: Vec<DaneCode>,
    #[serde(default)]
    pub indicators: Vec<NewIndicator>,
}

/// A project in the portfolio list, with what the list filters on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectSummary {
    pub code: String,
    /// The language of its title.
    pub language: ContentLanguage,
    pub title: String,
    pub period_start: Date,
    pub period_end: Date,
    /// Read from the records (`awarded_project::project_status`).
    pub status: ProjectStatus,
    pub totals: BTreeMap<Currency, Decimal>,
    pub indicators: usize,
    pub value_chains: Vec<String>,
    /// Department codes, from the municipalities covered.
    pub departments: Vec<String>,
    pub pdet_subregions: Vec<String>,
    /// The funding sources and the partners whose role is funder.
    pub funders: Vec<String>,
    pub municipalities: usize,
    /// The plain mean of its indicators' advance, in whole percent.
    pub advance_percent: Option<u32>,
    /// Its physical, financial and management progress, once awarded with a plan.
    pub progress: Option<ProgressFigures>,
    /// Once awarded: the award's date and its money's figures (no payments by day, no
    /// physical progress: `progress` has it).
    pub award: Option<AwardedMoney>,
}

/// What an awarded project's summary keeps of its award: what the open data's tables give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardedMoney {
    pub awarded_on: Date,
    pub flow: MoneyFlow,
}

/// A project's physical, financial and management progress in percent (issue 17 part 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProgressFigures {
    pub physical: Decimal,
    pub financial: Decimal,
    pub management: Decimal,
}

/// What the portfolio is filtered by; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Only the projects with a municipality in the reader's reach (staff lists).
    pub reach: vereda_domain::accounts::Reach,
    /// Part of the code, the title (in its language) or a value chain (in Spanish, so "cacao"
    /// finds an English card on cocoa), regardless of case and accents.
    pub text: Option<String>,
    pub department: Option<DepartmentCode>,
    pub pdet_subregion: Option<String>,
    pub value_chain: Option<String>,
    pub status: Option<ProjectStatus>,
    pub funder: Option<String>,
}

/// Indicators that share a roll-up key, added up across projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub key: String,
    pub unit: IndicatorUnit,
    pub current: Decimal,
    pub goal: Decimal,
    pub advance_percent: Option<u32>,
    pub projects: usize,
    /// Department code (or [`SEVERAL_DEPARTMENTS`]) and the current value there.
    pub by_territory: Vec<(String, Decimal)>,
}

/// The territory of a project whose municipalities lie in more than one department: its
/// values are not split, since measurements are not reported by municipality.
pub const SEVERAL_DEPARTMENTS: &str = "several";

/// A file to keep for a project; the bytes are kept by the caller under `sha256`.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub public: bool,
}

/// A stored file and the project it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDocument {
    pub project_code: String,
    pub public: bool,
    pub sha256: String,
    pub document: ProjectDocument,
}

/// A measurement as an officer submits it.
#[derive(Debug, Clone)]
pub struct MeasurementSubmission {
    pub draft: MeasurementDraft,
    pub source: Option<String>,
    pub evidence: Option<NewDocument>,
}

/// An officer's decision on a submitted measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Approve,
    Return { comment: String },
}

impl Review {
    /// The status a review gives, and the comment a return must carry.
    fn outcome(self) -> StoreResult<(MeasurementStatus, Option<String>)> {
        match self {
            Review::Approve => Ok((MeasurementStatus::Approved, None)),
            Review::Return { comment } => {
                let comment = comment.trim().to_owned();
                if comment.is_empty() {
                    return Err(StoreError::Invalid(Message::new(
                        "monitoring-error-comment_required",
                    )));
                }
                Ok((MeasurementStatus::Returned, Some(comment)))
            }
        }
    }
}

/// A measurement with its indicator and project, for the review queue and the exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasurementRow {
    pub id: i32,
    pub project_code: String,
    pub indicator_number: i32,
    pub indicator_name: String,
    pub unit: IndicatorUnit,
    pub by_sex: bool,
    pub measured_on: Date,
    pub value: Decimal,
    pub value_women: Option<Decimal>,
    pub value_men: Option<Decimal>,
    pub source: Option<String>,
    pub status: MeasurementStatus,
    /// Staff only: never in a public page or export.
    pub submitted_by: Option<String>,
    pub submitted_by_user: Option<i32>,
    pub submitted_at: jiff::Timestamp,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<jiff::Timestamp>,
    pub review_comment: Option<String>,
    pub evidence: Option<ProjectDocument>,
}

impl MeasurementRow {
    /// What of it may be published: no submitter, no reviewer, no evidence.
    pub fn published(self) -> PublishedMeasurement {
        PublishedMeasurement {
            project_code: self.project_code,
            indicator_number: self.indicator_number,
            measured_on: self.measured_on,
            value: self.value,
            value_women: self.value_women,
            value_men: self.value_men,
            source: self.source,
        }
    }
}

/// Which measurements to list.
#[derive(Debug, Clone, Default)]
pub struct MeasurementQuery {
    /// Only the measurements of projects in the reader's reach.
    pub reach: vereda_domain::accounts::Reach,
    pub status: Option<MeasurementStatus>,
    pub project_code: Option<String>,
    pub indicator_number: Option<i32>,
    /// A page by id instead of the whole list by date: the rows after this id (none: from
    /// the first), at most this many, oldest id first.
    pub page: Option<(Option<i32>, u64)>,
}

/// An edit of an indicator's status, made against the version the officer saw. Its baseline,
/// goal and unit change only through an approved proposal (`propose_indicator_change`).
#[derive(Debug, Clone)]
pub struct IndicatorEdit {
    pub status: ExecutionStatus,
    pub lock_version: i32,
}

/// An indicator as the staff edit form needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorForEdit {
    pub project_code: String,
    pub progress: IndicatorProgress,
    pub lock_version: i32,
}

/// The first problem of a check that failed: the forms report each beside its field before
/// the store is asked, so the store names one.
fn first_problem(problems: &[vereda_domain::monitoring::FieldProblem]) -> Message {
    problems
        .first()
        .map(|p| p.problem.message())
        .unwrap_or_else(|| Message::new("error-invalid_input"))
}

impl Store {
    /// Stores a project and its whole results framework in one transaction.
    pub async fn create_project(&self, actor: &Actor, new: NewProject) -> StoreResult<ProjectCard> {
        let txn = self.write_transaction().await?;
        crate::scope::check_permission(&txn, actor, Permission::ManageProjects).await?;
        let stored = insert_project(&txn, actor, &new, None).await?;
        crate::portfolio::refresh_summary(&txn, stored.id).await?;
        txn.commit().await?;
        self.project_card(&new.code)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "project",
                id: new.code,
            })
    }

    /// Everything the project card shows.
    pub async fn project_card(&self, code: &str) -> StoreResult<Option<ProjectCard>> {
        let rows = project::Entity::find()
            .filter(project::Column::Code.eq(code))
            .all(&self.db)
            .await?;
        Ok(self.cards_of(rows).await?.pop())
    }

    /// Every project's card, by code (IATI).
    pub async fn project_cards(&self) -> StoreResult<Vec<ProjectCard>> {
        let rows = project::Entity::find()
            .order_by_asc(project::Column::Code)
            .all(&self.db)
            .await?;
        self.cards_of(rows).await
    }

    /// Every indicator with its progress, of every project or of the one with `code`, by the
    /// project's code and the indicator's number: the open data's indicators, in two reads.
    pub async fn published_indicators(
        &self,
        code: Option<&str>,
    ) -> StoreResult<Vec<(String, IndicatorProgress)>> {
        let mut projects = project::Entity::find()
            .select_only()
            .column(project::Column::Id)
            .column(project::Column::Code);
        if let Some(code) = code {
            projects = projects.filter(project::Column::Code.eq(code));
        }
        let codes: HashMap<i32, String> = projects.into_tuple().all(&self.db).await?.into_iter().collect();
        let mut indicators = indicator::Entity::find();
        if code.is_some() {
            indicators = indicators.filter(indicator::Column::ProjectId.is_in(codes.keys().copied()));
        }
        let mut published = indicators
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|i| Some((codes.get(&i.project_id)?.clone(), i)))
            .map(|(code, i)| Ok((code, indicator_progress(i)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        published.sort_by(|(a, i), (b, j)| (a, i.number).cmp(&(b, j.number)));
        Ok(published)
    }

    /// The rows of a table that belong to `ids`, in `order`, grouped by project (a project's
    /// rows are read in one statement, so each group keeps the order).
    async fn by_project<E: EntityTrait>(
        &self,
        select: sea_orm::Select<E>,
        project: E::Column,
        order: E::Column,
        ids: &[i32],
        key: impl Fn(&E::Model) -> i32,
    ) -> StoreResult<HashMap<i32, Vec<E::Model>>> {
        let rows = crate::find_in(&self.db, select.order_by_asc(order), project, ids.iter().copied()).await?;
        Ok(group(rows, key))
    }

    /// Builds the cards of `rows` with one query per table, whatever their number.
    async fn cards_of(&self, rows: Vec<project::Model>) -> StoreResult<Vec<ProjectCard>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i32> = rows.iter().map(|p| p.id).collect();
        let mut objectives = self
            .by_project(
                project_objective::Entity::find(),
                project_objective::Column::ProjectId,
                project_objective::Column::Position,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut results = self
            .by_project(
                project_result::Entity::find(),
                project_result::Column::ProjectId,
                project_result::Column::Position,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut chains = self
            .by_project(
                project_value_chain::Entity::find(),
                project_value_chain::Column::ProjectId,
                project_value_chain::Column::Name,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut funding = self
            .by_project(
                project_funding::Entity::find(),
                project_funding::Column::ProjectId,
                project_funding::Column::Position,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut partners = self
            .by_project(
                project_partner::Entity::find(),
                project_partner::Column::ProjectId,
                project_partner::Column::Position,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut municipalities = self
            .by_project(
                project_municipality::Entity::find(),
                project_municipality::Column::ProjectId,
                project_municipality::Column::DaneCode,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut documents = self
            .by_project(
                project_document::Entity::find().filter(project_document::Column::Public.eq(true)),
                project_document::Column::ProjectId,
                project_document::Column::Id,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let mut indicators = self
            .by_project(
                indicator::Entity::find(),
                indicator::Column::ProjectId,
                indicator::Column::Number,
                &ids,
                |row| row.project_id,
            )
            .await?;
        let awards = award_records(&self.db, &rows, Expenditures::ByDay).await?;
        let today = today_in_colombia();
        let mut cards = Vec::with_capacity(rows.len());
        for p in rows {
            let funding = take(&mut funding, p.id)
                .into_iter()
                .map(|f| {
                    Ok(FundingLine {
                        currency: f.currency.parse().map_err(|e| corrupt("funding line", f.id, e))?,
                        role: f.role.parse().map_err(|e| corrupt("funding line", f.id, e))?,
                        source: f.source,
                        amount: f.amount.0,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let totals = totals_by_currency(funding.iter().map(|f| Money::new(f.amount, f.currency)));
            let partners = take(&mut partners, p.id)
                .into_iter()
                .map(|r| {
                    Ok(Partner {
                        role: r.role.parse().map_err(|e| corrupt("partner", r.id, e))?,
                        name: r.name,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let results = take(&mut results, p.id)
                .into_iter()
                .map(|r| {
                    Ok(ResultArea {
                        kind: r.kind.parse().map_err(|e| corrupt("result", r.id, e))?,
                        position: r.position,
                        title: r.title,
                        objective: r.objective_position,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let indicators = take(&mut indicators, p.id)
                .into_iter()
                .map(indicator_progress)
                .collect::<StoreResult<Vec<_>>>()?;
            cards.push(ProjectCard {
                status: status_of(&p, &awards, today)?,
                award: p
                    .award_id
                    .and_then(|id| awards.get(&id))
                    .map(|(reference, _)| reference.clone()),
                specific_objectives: take(&mut objectives, p.id).into_iter().map(|o| o.text).collect(),
                value_chains: take(&mut chains, p.id).into_iter().map(|c| c.name).collect(),
                municipalities: take(&mut municipalities, p.id)
                    .into_iter()
                    .map(|m| m.dane_code)
                    .collect(),
                documents: take(&mut documents, p.id).into_iter().map(document_of).collect(),
                updated_at: p.updated_at.unwrap_or(p.created_at).0,
                language: p.language.parse().map_err(|e| corrupt("project", p.id, e))?,
                code: p.code,
                title: p.title,
                subtitle: p.subtitle,
                tagline: p.tagline,
                period_start: p.period_start.0,
                period_end: p.period_end.0,
                description: p.description,
                peace_contribution: p.peace_contribution,
                general_objective: p.general_objective,
                results,
                funding,
                totals,
                indicators,
                partners,
            });
        }
        Ok(cards)
    }

    /// An indicator and the version an edit must be made against.
    pub async fn indicator_for_edit(&self, code: &str, number: i32) -> StoreResult<Option<IndicatorForEdit>> {
        let Some((_, row)) = self.indicator_row(code, number).await? else {
            return Ok(None);
        };
        let lock_version = row.lock_version;
        Ok(Some(IndicatorForEdit {
            project_code: code.to_owned(),
            progress: indicator_progress(row)?,
            lock_version,
        }))
    }

    async fn indicator_row(
        &self,
        code: &str,
        number: i32,
    ) -> StoreResult<Option<(project::Model, indicator::Model)>> {
        let Some(p) = project::Entity::find()
            .filter(project::Column::Code.eq(code))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let row = indicator::Entity::find()
            .filter(indicator::Column::ProjectId.eq(p.id))
            .filter(indicator::Column::Number.eq(number))
            .one(&self.db)
            .await?;
        Ok(row.map(|row| (p, row)))
    }

    /// Changes an indicator's status, refused when somebody else changed it since
    /// `edit.lock_version` was read.
    pub async fn update_indicator(
        &self,
        actor: &Actor,
        code: &str,
        number: i32,
        edit: IndicatorEdit,
    ) -> StoreResult<IndicatorForEdit> {
        let (p, before) = self
            .indicator_row(code, number)
            .await?
            .ok_or_else(|| not_found_indicator(code, number))?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ManageProjects,
            crate::scope::Target::Project(p.id),
        )
        .await?;
        let update = indicator::Entity::update_many()
            .col_expr(indicator::Column::Status, Expr::value(edit.status.to_string()))
            .col_expr(indicator::Column::LockVersion, Expr::value(edit.lock_version + 1))
            .filter(indicator::Column::Id.eq(before.id))
            .filter(indicator::Column::LockVersion.eq(edit.lock_version));
        audit::conditional_update(&txn, actor, update, &before, before.id, || {
            StoreError::Conflict(Message::new("monitoring-error-changed_meanwhile"))
        })
        .await?;
        touch_project(&txn, p.id).await?;
        txn.commit().await?;
        self.indicator_for_edit(code, number)
            .await?
            .ok_or_else(|| not_found_indicator(code, number))
    }

    /// Records a measurement for review; nothing counts until another officer approves it.
    pub async fn submit_measurement(
        &self,
        actor: &Actor,
        code: &str,
        number: i32,
        submission: MeasurementSubmission,
        today: Date,
    ) -> StoreResult<i32> {
        let (p, item) = self
            .indicator_row(code, number)
            .await?
            .ok_or_else(|| not_found_indicator(code, number))?;
        let unit: IndicatorUnit = item.unit.parse().map_err(|e| corrupt("indicator", item.id, e))?;
        submission
            .draft
            .validate(unit, today)
            .map_err(|problems| StoreError::Invalid(first_problem(&problems)))?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::RecordMeasurements,
            crate::scope::Target::Project(p.id),
        )
        .await?;
        let current = project::Entity::find_by_id(p.id)
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("project", p.id, "vanished"))?;
        crate::ledger::refuse_closed(&current)?;
        let evidence = match submission.evidence {
            Some(document) => Some(insert_document(&txn, actor, p.id, document).await?.id),
            None => None,
        };
        let draft = submission.draft;
        let row = indicator_measurement::ActiveModel {
            indicator_id: Set(item.id),
            project_id: Set(Some(p.id)),
            measured_on: Set(DbDate(draft.measured_on)),
            value: Set(Dec(draft.value)),
            value_women: Set(draft.value_women.map(Dec)),
            value_men: Set(draft.value_men.map(Dec)),
            source: Set(submission.source.filter(|s| !s.trim().is_empty())),
            status: Set(MeasurementStatus::Submitted.to_string()),
            // The account, never a name (issue 13, invariant 8).
            submitted_by: Set(None),
            submitted_by_user: Set(Some(account_of(actor)?)),
            created_at: Set(DbTimestamp::now()),
            evidence_document_id: Set(evidence),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        Ok(stored.id)
    }

    /// Approves or returns a submitted measurement. The officer who submitted it may not
    /// review it, and a measurement is reviewed once. Answers the project's code.
    pub async fn review_measurement(&self, actor: &Actor, id: i32, review: Review) -> StoreResult<String> {
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ReviewMeasurements,
            crate::scope::Target::Measurement(id),
        )
        .await?;
        let before = indicator_measurement::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "measurement",
                id: id.to_string(),
            })?;
        let status: MeasurementStatus = before
            .status
            .parse()
            .map_err(|e| corrupt("measurement", before.id, e))?;
        if status != MeasurementStatus::Submitted {
            return Err(StoreError::Conflict(Message::new(
                "monitoring-error-already_reviewed",
            )));
        }
        if before.submitted_by_user == Some(account_of(actor)?) {
            return Err(StoreError::Forbidden(Message::new(
                "monitoring-error-own_measurement",
            )));
        }
        let (new_status, comment) = review.outcome()?;
        // Only a row still "submitted" changes: a second reviewer at the same time changes nothing.
        let update = indicator_measurement::Entity::update_many()
            .col_expr(
                indicator_measurement::Column::Status,
                Expr::value(new_status.to_string()),
            )
            .col_expr(
                indicator_measurement::Column::ReviewedBy,
                Expr::value(actor.user_id()),
            )
            .col_expr(
                indicator_measurement::Column::ReviewedAt,
                Expr::value(DbTimestamp::now()),
            )
            .col_expr(indicator_measurement::Column::ReviewComment, Expr::value(comment))
            .filter(indicator_measurement::Column::Id.eq(id))
            .filter(indicator_measurement::Column::Status.eq(MeasurementStatus::Submitted.as_str()));
        audit::conditional_update(&txn, actor, update, &before, id, || {
            StoreError::Conflict(Message::new("monitoring-error-already_reviewed"))
        })
        .await?;
        let item = indicator::Entity::find_by_id(before.indicator_id)
            .one(&txn)
            .await?
            .ok_or_else(|| corrupt("measurement", id, "its indicator is gone"))?;
        if new_status == MeasurementStatus::Approved {
            refresh_current_value(&txn, actor, before.indicator_id).await?;
            touch_project(&txn, item.project_id).await?;
        }
        let code = code_of_project(&txn, item.project_id).await?;
        txn.commit().await?;
        Ok(code)
    }

    /// Measurements with their indicator and project, newest first.
    pub async fn measurements(&self, query: &MeasurementQuery) -> StoreResult<Vec<MeasurementRow>> {
        let mut select = match query.page {
            None => indicator_measurement::Entity::find()
                .order_by_desc(indicator_measurement::Column::MeasuredOn)
                .order_by_desc(indicator_measurement::Column::Id),
            Some((after, limit)) => {
                let select = indicator_measurement::Entity::find()
                    .order_by_asc(indicator_measurement::Column::Id)
                    .limit(limit);
                match after {
                    Some(after) => select.filter(indicator_measurement::Column::Id.gt(after)),
                    None => select,
                }
            }
        };
        if let Some(status) = query.status {
            select = select.filter(indicator_measurement::Column::Status.eq(status.as_str()));
        }
        // The projects and indicators asked for, as subqueries: no list of ids, however many
        // projects the program holds.
        use sea_orm::sea_query::Query;
        let mut projects = Query::select()
            .column(project::Column::Id)
            .from(project::Entity)
            .cond_where(crate::scope::projects_within(&query.reach))
            .to_owned();
        if let Some(code) = &query.project_code {
            projects.and_where(project::Column::Code.eq(code.as_str()));
        }
        let mut indicators = Query::select()
            .column(indicator::Column::Id)
            .from(indicator::Entity)
            .and_where(indicator::Column::ProjectId.in_subquery(projects))
            .to_owned();
        if let Some(number) = query.indicator_number {
            indicators.and_where(indicator::Column::Number.eq(number));
        }
        let rows = select
            .filter(indicator_measurement::Column::IndicatorId.in_subquery(indicators))
            .all(&self.db)
            .await?;
        measurement_lines(&self.db, rows).await
    }

    /// Keeps a project's document (the caller keeps its bytes under its SHA-256).
    pub async fn add_project_document(
        &self,
        actor: &Actor,
        code: &str,
        document: NewDocument,
    ) -> StoreResult<ProjectDocument> {
        let p = project::Entity::find()
            .filter(project::Column::Code.eq(code))
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "project",
                id: code.to_owned(),
            })?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ManageProjects,
            crate::scope::Target::Project(p.id),
        )
        .await?;
        let stored = insert_document(&txn, actor, p.id, document).await?;
        touch_project(&txn, p.id).await?;
        txn.commit().await?;
        Ok(document_of(stored))
    }

    /// A stored document, public or not: the caller decides who may read it.
    pub async fn project_document(&self, id: i32) -> StoreResult<Option<StoredDocument>> {
        let Some(document) = project_document::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let project_code = project::Entity::find_by_id(document.project_id)
            .one(&self.db)
            .await?
            .map(|p| p.code)
            .ok_or_else(|| corrupt("project document", document.id, "its project is gone"))?;
        Ok(Some(StoredDocument {
            project_code,
            public: document.public,
            sha256: document.sha256.clone(),
            document: document_of(document),
        }))
    }

    /// When any project last changed: public pages built before it are still current.
    pub async fn projects_changed_at(&self) -> StoreResult<Option<jiff::Timestamp>> {
        let latest = project::Entity::find()
            .order_by_desc(project::Column::UpdatedAt)
            .one(&self.db)
            .await?;
        Ok(latest.map(|p| p.updated_at.unwrap_or(p.created_at).0))
    }
}

/// Stores a project and its whole results framework in the caller's transaction: the one path
/// of the demo loader, an import and an award (`award_id`).
pub(crate) async fn insert_project(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    new: &NewProject,
    award_id: Option<i32>,
) -> StoreResult<project::Model> {
    if new.period_end < new.period_start {
        return Err(StoreError::Invalid(
            Message::new("project-error-period")
                .with("code", &new.code)
                .with("start", new.period_start)
                .with("end", new.period_end),
        ));
    }
    let today = today_in_colombia();
    let now = DbTimestamp::now();
    let row = project::ActiveModel {
        code: Set(new.code.trim().to_owned()),
        language: Set(new.language.to_string()),
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
        award_id: Set(award_id),
        created_at: Set(now),
        updated_at: Set(Some(now)),
        ..Default::default()
    };
    let stored = audit::insert(txn, actor, row)
        .await
        .map_err(duplicate_or("project", || new.code.clone()))?;
    for (position, text) in new.specific_objectives.iter().enumerate() {
        let row = project_objective::ActiveModel {
            project_id: Set(stored.id),
            position: Set(position as i32 + 1),
            text: Set(text.trim().to_owned()),
            ..Default::default()
        };
        audit::insert(txn, actor, row).await?;
    }
    for (position, result) in new.results.iter().enumerate() {
        if let Some(objective) = result.objective
            && !(1..=new.specific_objectives.len() as i32).contains(&objective)
        {
            return Err(StoreError::Invalid(
                Message::new("project-error-objective")
                    .with("result", position + 1)
                    .with("objective", objective),
            ));
        }
        let row = project_result::ActiveModel {
            project_id: Set(stored.id),
            position: Set(position as i32 + 1),
            kind: Set(result.kind.to_string()),
            title: Set(result.title.trim().to_owned()),
            objective_position: Set(result.objective),
            ..Default::default()
        };
        audit::insert(txn, actor, row).await?;
    }
    let chains: BTreeSet<&str> = new
        .value_chains
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    for name in chains {
        let row = project_value_chain::ActiveModel {
            project_id: Set(stored.id),
            name: Set(name.to_owned()),
        };
        audit::insert(txn, actor, row).await?;
    }
    for (position, line) in new.funding.iter().enumerate() {
        if line.amount < Decimal::ZERO {
            return Err(StoreError::Invalid(
                Message::new("project-error-negative_funding")
                    .with("source", &line.source)
                    .with("value", line.amount),
            ));
        }
        let row = project_funding::ActiveModel {
            project_id: Set(stored.id),
            position: Set(position as i32 + 1),
            source: Set(line.source.trim().to_owned()),
            role: Set(line.role.to_string()),
            currency: Set(line.currency.to_string()),
            amount: Set(Dec(line.amount)),
            ..Default::default()
        };
        audit::insert(txn, actor, row).await?;
    }
    for (position, partner) in new.partners.iter().enumerate() {
        let row = project_partner::ActiveModel {
            project_id: Set(stored.id),
            position: Set(position as i32 + 1),
            name: Set(partner.name.trim().to_owned()),
            role: Set(partner.role.to_string()),
            ..Default::default()
        };
        audit::insert(txn, actor, row).await?;
    }
    let covered: BTreeSet<DaneCode> = new.municipalities.iter().copied().collect();
    for code in covered {
        let row = project_municipality::ActiveModel {
            project_id: Set(stored.id),
            dane_code: Set(code.to_string()),
        };
        audit::insert(txn, actor, row).await?;
    }
    for item in &new.indicators {
        validate_targets(item.unit, item.baseline, item.goal)
            .map_err(|problems| StoreError::Invalid(first_problem(&problems)))?;
        if let Some(result) = item.result
            && !(1..=new.results.len() as i32).contains(&result)
        {
            return Err(StoreError::Invalid(
                Message::new("project-error-indicator_result")
                    .with("indicator", item.number)
                    .with("result", result),
            ));
        }
        let latest_approved = item
            .measurements
            .iter()
            .enumerate()
            .filter(|(_, m)| m.status == MeasurementStatus::Approved)
            .max_by_key(|(position, m)| (m.measured_on, *position))
            .map(|(_, m)| m);
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
            result_position: Set(item.result),
            rollup_key: Set(item.rollup_key.clone()),
            baseline_date: Set(item.baseline_date.map(DbDate)),
            current_value: Set(latest_approved.map(|m| Dec(m.value))),
            current_women: Set(latest_approved.and_then(|m| m.value_women.map(Dec))),
            current_men: Set(latest_approved.and_then(|m| m.value_men.map(Dec))),
            last_update: Set(latest_approved.map(|m| DbDate(m.measured_on))),
            lock_version: Set(0),
            ..Default::default()
        };
        let stored_indicator = audit::insert(txn, actor, row)
            .await
            .map_err(duplicate_or("indicator", || {
                format!("{} of project {}", item.number, new.code)
            }))?;
        for measurement in &item.measurements {
            let draft = MeasurementDraft {
                measured_on: measurement.measured_on,
                value: measurement.value,
                value_women: measurement.value_women,
                value_men: measurement.value_men,
            };
            draft
                .validate(item.unit, today)
                .map_err(|problems| StoreError::Invalid(first_problem(&problems)))?;
            let row = indicator_measurement::ActiveModel {
                indicator_id: Set(stored_indicator.id),
                project_id: Set(Some(stored.id)),
                measured_on: Set(DbDate(measurement.measured_on)),
                value: Set(Dec(measurement.value)),
                value_women: Set(measurement.value_women.map(Dec)),
                value_men: Set(measurement.value_men.map(Dec)),
                source: Set(measurement.source.clone()),
                status: Set(measurement.status.to_string()),
                submitted_by: Set(measurement.submitted_by.clone()),
                created_at: Set(now),
                ..Default::default()
            };
            audit::insert(txn, actor, row).await?;
        }
    }
    Ok(stored)
}

/// Today in Colombia (UTC-5, no daylight saving): the day a status is read on.
pub fn today_in_colombia() -> Date {
    vereda_domain::calendar::date_in_colombia(jiff::Timestamp::now())
}

/// The summaries of `rows` computed from the records, in their order, with their status on
/// `today`, reading the related tables for these rows alone.
pub(crate) async fn summaries_in(
    db: &impl ConnectionTrait,
    rows: Vec<project::Model>,
    awards: &HashMap<i32, (AwardReference, bool)>,
    today: Date,
) -> StoreResult<Vec<ProjectSummary>> {
    let ids: Vec<i32> = rows.iter().map(|p| p.id).collect();
    let mut funding: HashMap<i32, Vec<project_funding::Model>> = HashMap::new();
    for line in project_funding::Entity::find()
        .filter(project_funding::Column::ProjectId.is_in(ids.clone()))
        .order_by_asc(project_funding::Column::Position)
        .all(db)
        .await?
    {
        funding.entry(line.project_id).or_default().push(line);
    }
    let mut funder_partners: HashMap<i32, Vec<String>> = HashMap::new();
    for partner in project_partner::Entity::find()
        .filter(project_partner::Column::Role.eq(PartnerRole::Funder.as_str()))
        .filter(project_partner::Column::ProjectId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        funder_partners
            .entry(partner.project_id)
            .or_default()
            .push(partner.name);
    }
    let mut chains: HashMap<i32, Vec<String>> = HashMap::new();
    for chain in project_value_chain::Entity::find()
        .filter(project_value_chain::Column::ProjectId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        chains.entry(chain.project_id).or_default().push(chain.name);
    }
    let mut coverage: HashMap<i32, Vec<DaneCode>> = HashMap::new();
    for covered in project_municipality::Entity::find()
        .filter(project_municipality::Column::ProjectId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        let code = DaneCode::parse(&covered.dane_code)
            .map_err(|e| corrupt("project municipality", covered.project_id, e))?;
        coverage.entry(covered.project_id).or_default().push(code);
    }
    let mut indicator_counts: HashMap<i32, usize> = HashMap::new();
    for item in indicator::Entity::find()
        .filter(indicator::Column::ProjectId.is_in(ids))
        .all(db)
        .await?
    {
        *indicator_counts.entry(item.project_id).or_default() += 1;
    }
    let mut summaries = Vec::with_capacity(rows.len());
    for p in rows {
        let lines = funding.remove(&p.id).unwrap_or_default();
        let mut money = Vec::with_capacity(lines.len());
        let mut funders = BTreeSet::new();
        for line in lines {
            let currency = line
                .currency
                .parse()
                .map_err(|e| corrupt("funding line", line.id, e))?;
            money.push(Money::new(line.amount.0, currency));
            funders.insert(line.source);
        }
        funders.extend(funder_partners.remove(&p.id).unwrap_or_default());
        let codes = coverage.remove(&p.id).unwrap_or_default();
        let (departments, pdet_subregions) = territories(&codes);
        let mut value_chains = chains.remove(&p.id).unwrap_or_default();
        value_chains.sort();
        let award = p
            .award_id
            .and_then(|id| awards.get(&id))
            .map(|(a, _)| AwardedMoney {
                awarded_on: a.awarded_on,
                flow: a.flow.clone(),
            });
        let summary = ProjectSummary {
            status: status_of(&p, awards, today)?,
            award,
            totals: totals_by_currency(money),
            indicators: indicator_counts.get(&p.id).copied().unwrap_or(0),
            value_chains,
            departments,
            pdet_subregions,
            funders: funders.into_iter().collect(),
            municipalities: codes.len(),
            // Filled by the stored summary's computation (`portfolio`).
            advance_percent: None,
            progress: None,
            language: p.language.parse().map_err(|e| corrupt("project", p.id, e))?,
            code: p.code,
            title: p.title,
            period_start: p.period_start.0,
            period_end: p.period_end.0,
        };
        summaries.push(summary);
    }
    Ok(summaries)
}

/// How much of a project's expenditures a read needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expenditures {
    /// Every day's payments (`MoneyFlow::expenditures`: a card, IATI) and their total.
    ByDay,
    /// Their total only (`MoneyFlow::executed`), `expenditures` left empty and no physical
    /// progress: what a project's stored summary keeps, which the lists and the open data's
    /// tables read.
    Total,
}

/// The award behind each awarded project of `rows`, by award id, and whether it is paid: a few
/// queries for each [`crate::IN_LIST_LIMIT`] projects, whatever their number.
pub(crate) async fn award_records(
    db: &impl ConnectionTrait,
    rows: &[project::Model],
    expenditures: Expenditures,
) -> StoreResult<HashMap<i32, (AwardReference, bool)>> {
    let mut records = HashMap::with_capacity(rows.len());
    for rows in rows.chunks(crate::IN_LIST_LIMIT) {
        records.extend(award_records_of(db, rows, expenditures).await?);
    }
    Ok(records)
}

/// [`award_records`] of at most [`crate::IN_LIST_LIMIT`] projects.
async fn award_records_of(
    db: &impl ConnectionTrait,
    rows: &[project::Model],
    expenditures: Expenditures,
) -> StoreResult<HashMap<i32, (AwardReference, bool)>> {
    let ids: Vec<i32> = rows.iter().filter_map(|p| p.award_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let awards = award::Entity::find()
        .filter(award::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let payments: HashMap<i32, disbursement::Model> = disbursement::Entity::find()
        .filter(disbursement::Column::FormulationId.is_in(awards.iter().map(|a| a.formulation_id)))
        .filter(disbursement::Column::PaidOn.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.formulation_id, d))
        .collect();
    let paid: BTreeSet<i32> = payments.keys().copied().collect();
    let calls: HashMap<i32, Option<i32>> = formulation::Entity::find()
        .select_only()
        .column(formulation::Column::Id)
        .column(formulation::Column::CallId)
        .filter(formulation::Column::Id.is_in(awards.iter().map(|a| a.formulation_id)))
        .into_tuple::<(i32, Option<i32>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let project_of_award: HashMap<i32, i32> = rows.iter().filter_map(|p| Some((p.award_id?, p.id))).collect();
    // The payments of the controlled accounts by project and date (Art. 34), as stored with
    // the movements (`ledger::store_expenditures`): a row per day, not per movement.
    use crate::entity::project_expenditure::{Column as E, Entity as Expenditure};
    let select = match expenditures {
        Expenditures::ByDay => {
            Expenditure::find().filter(E::ProjectId.is_in(project_of_award.values().copied()))
        }
        Expenditures::Total => {
            // Each project's latest day only, whose running total is all it executed: one
            // seek down the (project, day) index per project, not a scan of every day.
            use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SubQueryStatement};
            let later = Alias::new("later");
            let latest_of_project = Query::select()
                .column((later.clone(), E::Id))
                .from_as(Expenditure, later.clone())
                .and_where(
                    Expr::col((later.clone(), E::ProjectId)).equals((project::Entity, project::Column::Id)),
                )
                .order_by((later, E::SpentOn), Order::Desc)
                .limit(1)
                .to_owned();
            let latest = Query::select()
                .expr(Expr::SubQuery(
                    None,
                    Box::new(SubQueryStatement::SelectStatement(latest_of_project)),
                ))
                .from(project::Entity)
                .and_where(
                    Expr::col((project::Entity, project::Column::Id))
                        .is_in(project_of_award.values().copied()),
                )
                .to_owned();
            Expenditure::find().filter(E::Id.in_subquery(latest))
        }
    };
    let mut spent: HashMap<i32, (BTreeMap<Date, Decimal>, Decimal)> = HashMap::new();
    for e in select.order_by_asc(E::SpentOn).all(db).await? {
        let (by_day, executed) = spent.entry(e.project_id).or_default();
        if expenditures == Expenditures::ByDay {
            by_day.insert(e.spent_on.0, e.amount.0);
        }
        *executed = e.executed.0;
    }
    let projects: Vec<i32> = project_of_award.values().copied().collect();
    let closed: HashMap<i32, Date> = crate::entity::project_closure::Entity::find()
        .filter(crate::entity::project_closure::Column::ProjectId.is_in(projects.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.project_id, c.closed_on.0))
        .collect();
    // Physical progress reads every plan and visit: only a card needs it from here; the lists
    // and tables read it from the stored summaries.
    let physical = match expenditures {
        Expenditures::ByDay => crate::followup::physical_by_project(db, &projects).await?,
        Expenditures::Total => HashMap::new(),
    };
    Ok(awards
        .into_iter()
        .map(|a| {
            let payment = payments.get(&a.formulation_id);
            let project = project_of_award.get(&a.id).copied();
            let (expenditures, executed): (Vec<(Date, Decimal)>, Decimal) = project_of_award
                .get(&a.id)
                .and_then(|p| spent.get(p))
                .map(|(by_date, executed)| (by_date.iter().map(|(d, v)| (*d, *v)).collect(), *executed))
                .unwrap_or_default();
            let reference = AwardReference {
                flow: MoneyFlow {
                    committed: a.institute_contribution.0,
                    disbursed: payment.and_then(|d| d.amount.map(|v| v.0)),
                    disbursed_on: payment.and_then(|d| d.paid_on.map(|v| v.0)),
                    executed,
                    expenditures,
                    physical: project.and_then(|p| physical.get(&p).copied()),
                    closed_on: project.and_then(|p| closed.get(&p).copied()),
                },
                number: a.number,
                awarded_on: a.awarded_on.0,
                formulation_id: a.formulation_id,
                call_id: calls.get(&a.formulation_id).copied().flatten(),
            };
            (a.id, (reference, paid.contains(&a.formulation_id)))
        })
        .collect())
}

/// A project's status as its records give it on `today`.
pub(crate) fn status_of(
    p: &project::Model,
    awards: &HashMap<i32, (AwardReference, bool)>,
    today: Date,
) -> StoreResult<ProjectStatus> {
    let recorded: ExecutionStatus = p.status.parse().map_err(|e| corrupt("project", p.id, e))?;
    let award = p.award_id.and_then(|id| awards.get(&id));
    Ok(project_status(StatusFacts {
        recorded,
        awarded: award.is_some(),
        paid: award.is_some_and(|(_, paid)| *paid),
        period_end: p.period_end.0,
        today,
    }))
}

/// A roll-up while its indicators are added.
pub(crate) struct RollupSum {
    pub(crate) unit: IndicatorUnit,
    pub(crate) current: Decimal,
    pub(crate) goal: Decimal,
    pub(crate) by_territory: BTreeMap<String, Decimal>,
}

impl RollupSum {
    pub(crate) fn new(unit: IndicatorUnit) -> RollupSum {
        RollupSum {
            unit,
            current: Decimal::ZERO,
            goal: Decimal::ZERO,
            by_territory: BTreeMap::new(),
        }
    }
}

fn not_found_indicator(code: &str, number: i32) -> StoreError {
    StoreError::NotFound {
        entity: "indicator",
        id: format!("{number} of project {code}"),
    }
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> i32) -> HashMap<i32, Vec<T>> {
    let mut groups: HashMap<i32, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

fn take<T>(groups: &mut HashMap<i32, Vec<T>>, id: i32) -> Vec<T> {
    groups.remove(&id).unwrap_or_default()
}

/// The departments and PDET subregions of a set of municipalities, sorted.
fn territories(codes: &[DaneCode]) -> (Vec<String>, Vec<String>) {
    let mut departments = BTreeSet::new();
    let mut subregions = BTreeSet::new();
    for code in codes {
        departments.insert(code.department_code().to_string());
        if let Some(subregion) = &code.municipality().pdet_subregion {
            subregions.insert(subregion.clone());
        }
    }
    (
        departments.into_iter().collect(),
        subregions.into_iter().collect(),
    )
}

fn indicator_progress(i: indicator::Model) -> StoreResult<IndicatorProgress> {
    let current_value = i.current_value.map_or(i.baseline.0, |v| v.0);
    Ok(IndicatorProgress {
        unit: i.unit.parse().map_err(|e| corrupt("indicator", i.id, e))?,
        status: i.status.parse().map_err(|e| corrupt("indicator", i.id, e))?,
        advance_percent: advance_percent(current_value, i.goal.0),
        current_women: i.current_women.map(|d| d.0),
        current_men: i.current_men.map(|d| d.0),
        last_update: i.last_update.map(|d| d.0),
        current_value,
        number: i.number,
        name: i.name,
        baseline: i.baseline.0,
        baseline_date: i.baseline_date.map(|d| d.0),
        goal: i.goal.0,
        higher_is_better: i.higher_is_better,
        by_sex: i.by_sex,
        featured: i.featured,
        result: i.result_position,
        rollup_key: i.rollup_key,
    })
}

fn document_of(d: project_document::Model) -> ProjectDocument {
    ProjectDocument {
        id: d.id,
        title: d.title,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
    }
}

async fn insert_document(
    db: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    project_id: i32,
    document: NewDocument,
) -> StoreResult<project_document::Model> {
    let row = project_document::ActiveModel {
        project_id: Set(project_id),
        title: Set(document.title.trim().to_owned()),
        file_name: Set(document.file_name),
        content_type: Set(document.content_type),
        size_bytes: Set(document.size_bytes),
        sha256: Set(document.sha256),
        public: Set(document.public),
        uploaded_by: Set(actor.user_id()),
        created_at: Set(DbTimestamp::now()),
        ..Default::default()
    };
    Ok(audit::insert(db, actor, row).await?)
}

async fn code_of_project(db: &impl ConnectionTrait, project_id: i32) -> StoreResult<String> {
    project::Entity::find_by_id(project_id)
        .one(db)
        .await?
        .map(|p| p.code)
        .ok_or_else(|| corrupt("project", project_id, "vanished"))
}

async fn touch_project(db: &impl ConnectionTrait, project_id: i32) -> StoreResult<()> {
    project::Entity::update_many()
        .col_expr(project::Column::UpdatedAt, Expr::value(DbTimestamp::now()))
        .filter(project::Column::Id.eq(project_id))
        .exec(db)
        .await?;
    crate::portfolio::refresh_summary(db, project_id).await
}

/// Sets the indicator's current value from its latest approved measurement (by date, then by
/// order of entry), so approving an older measurement never hides a newer one.
async fn refresh_current_value(
    db: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    indicator_id: i32,
) -> StoreResult<()> {
    let latest = indicator_measurement::Entity::find()
        .filter(indicator_measurement::Column::IndicatorId.eq(indicator_id))
        .filter(indicator_measurement::Column::Status.eq(MeasurementStatus::Approved.as_str()))
        .order_by_desc(indicator_measurement::Column::MeasuredOn)
        .order_by_desc(indicator_measurement::Column::Id)
        .one(db)
        .await?;
    let before = indicator::Entity::find_by_id(indicator_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "indicator",
            id: indicator_id.to_string(),
        })?;
    let mut row: indicator::ActiveModel = before.clone().into();
    row.current_value = Set(latest.as_ref().map(|m| m.value));
    row.current_women = Set(latest.as_ref().and_then(|m| m.value_women));
    row.current_men = Set(latest.as_ref().and_then(|m| m.value_men));
    row.last_update = Set(latest.as_ref().map(|m| m.measured_on));
    audit::update(db, actor, &before, row).await?;
    Ok(())
}

impl Store {
    /// Every approved measurement, of every project or of the one with `code`, by project,
    /// indicator and date: what may be published.
    pub async fn published_measurements(&self, code: Option<&str>) -> StoreResult<Vec<PublishedMeasurement>> {
        let rows = self
            .measurements(&MeasurementQuery {
                status: Some(MeasurementStatus::Approved),
                project_code: code.map(str::to_owned),
                ..MeasurementQuery::default()
            })
            .await?;
        let mut published: Vec<PublishedMeasurement> =
            rows.into_iter().map(MeasurementRow::published).collect();
        published.sort_by(|a, b| {
            (&a.project_code, a.indicator_number, a.measured_on).cmp(&(
                &b.project_code,
                b.indicator_number,
                b.measured_on,
            ))
        });
        Ok(published)
    }
}

/// A family of an awarded project, as the staff page lists it (never public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Beneficiary {
    /// The family's reference in the formulation.
    pub external_id: String,
    /// The household in the register, when registered in a call.
    pub household_id: Option<i32>,
    pub head_name: Option<String>,
    pub head_sex: Option<String>,
}

/// Opens the monitored project of an award, in the award's transaction (Art. 27): code, titles,
/// period, municipality, value chains, funding, the families as beneficiaries and the results
/// framework that `awarded_project::plan` derives from the awarded version, as the award's
/// gates evaluated it.
pub(crate) async fn open_project_of_award(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    row: &formulation::Model,
    evaluated: &crate::custody::EvaluatedVersion,
    saved: &award::Model,
) -> StoreResult<project::Model> {
    let content = &evaluated.content;
    let split = evaluated.split.as_ref().ok();
    let evaluation = Some(&evaluated.evaluation);

    let ids: Vec<String> = content
        .frame
        .households
        .iter()
        .map(|h| h.id.trim().to_owned())
        .collect();
    let mut query = household::Entity::find()
        .filter(household::Column::ExternalId.is_in(ids.clone()))
        .filter(household::Column::CallId.is_not_null());
    if let Some(call_id) = row.call_id {
        query = query.filter(household::Column::CallId.eq(call_id));
    }
    let registered: HashMap<String, i32> = query
        .order_by_asc(household::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(|h| (h.external_id, h.id))
        .collect();
    let sexes: HashMap<i32, Sex> = person::Entity::find()
        .filter(person::Column::HouseholdId.is_in(registered.values().copied()))
        .filter(person::Column::IsHead.eq(true))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|p| Some((p.household_id, p.sex.parse().ok()?)))
        .collect();
    let mut heads = HeadsBySex::default();
    for id in &ids {
        match registered.get(id).and_then(|h| sexes.get(h)) {
            Some(Sex::Female) => heads.women += 1,
            Some(Sex::Male) => heads.men += 1,
            _ => heads.unknown += 1,
        }
    }
    let figures = AwardFigures {
        awarded_on: saved.awarded_on.0,
        institute_contribution: saved.institute_contribution.0,
        counterpart: saved.counterpart.0,
    };
    let plan = awarded_project::plan(
        content,
        figures,
        split,
        evaluation.map(|e| &e.family_income),
        heads,
    );
    let general = &content.frame.components.general;
    let or_title = |text: &str| {
        if text.trim().is_empty() {
            content.frame.title.clone()
        } else {
            text.trim().to_owned()
        }
    };
    let new = NewProject {
        code: row.code.clone(),
        language: ContentLanguage::Spanish,
        title: content.frame.title.clone(),
        subtitle: general.project_type.trim().to_owned(),
        tagline: String::new(),
        period_start: plan.period_start,
        period_end: plan.period_end,
        description: or_title(&general.activity_description),
        peace_contribution: String::new(),
        general_objective: or_title(&content.frame.components.social.benefits),
        status: ExecutionStatus::Planned,
        specific_objectives: Vec::new(),
        results: plan
            .results
            .iter()
            .map(|r| NewResult {
                kind: r.kind,
                title: r.title.clone(),
                objective: None,
            })
            .collect(),
        value_chains: plan.value_chains.clone(),
        funding: plan
            .funding
            .iter()
            .map(|f| NewFunding {
                source: f.source.clone(),
                role: f.role,
                currency: f.currency,
                amount: f.amount,
            })
            .collect(),
        partners: Vec::new(),
        municipalities: DaneCode::parse(content.frame.municipality.trim())
            .map(|code| vec![code])
            .unwrap_or_default(),
        indicators: plan
            .indicators
            .iter()
            .map(|i| NewIndicator {
                number: i.number,
                name: i.name.clone(),
                unit: i.unit,
                baseline: i.baseline,
                baseline_date: Some(plan.period_start),
                goal: i.goal,
                higher_is_better: true,
                by_sex: i.by_sex,
                status: ExecutionStatus::Planned,
                featured: true,
                result: Some(i.result),
                rollup_key: i.rollup_key.clone(),
                measurements: Vec::new(),
            })
            .collect(),
    };
    let stored = insert_project(txn, actor, &new, Some(saved.id)).await?;
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id.clone()) {
            continue;
        }
        let row = project_beneficiary::ActiveModel {
            project_id: Set(stored.id),
            household_id: Set(registered.get(&id).copied()),
            external_id: Set(id),
            ..Default::default()
        };
        audit::insert(txn, actor, row).await?;
    }
    crate::portfolio::refresh_summary(txn, stored.id).await?;
    Ok(stored)
}

impl Store {
    /// The families of an awarded project, with their head (staff only: never public).
    pub async fn project_beneficiaries(&self, code: &str) -> StoreResult<Vec<Beneficiary>> {
        let Some(p) = project::Entity::find()
            .filter(project::Column::Code.eq(code))
            .one(&self.db)
            .await?
        else {
            return Ok(Vec::new());
        };
        let rows = project_beneficiary::Entity::find()
            .filter(project_beneficiary::Column::ProjectId.eq(p.id))
            .order_by_asc(project_beneficiary::Column::ExternalId)
            .all(&self.db)
            .await?;
        let heads: HashMap<i32, person::Model> = person::Entity::find()
            .filter(person::Column::HouseholdId.is_in(rows.iter().filter_map(|b| b.household_id)))
            .filter(person::Column::IsHead.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.household_id, p))
            .collect();
        Ok(rows
            .into_iter()
            .map(|b| {
                let head = b.household_id.and_then(|h| heads.get(&h));
                Beneficiary {
                    head_name: head.map(|p| format!("{} {}", p.first_name, p.last_name)),
                    head_sex: head.map(|p| p.sex.clone()),
                    external_id: b.external_id,
                    household_id: b.household_id,
                }
            })
            .collect())
    }

    /// The code of the project an award opened for a formulation, if any.
    pub async fn project_of_formulation(&self, formulation_id: i32) -> StoreResult<Option<String>> {
        let Some(awarded) = award::Entity::find()
            .filter(award::Column::FormulationId.eq(formulation_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(project::Entity::find()
            .filter(project::Column::AwardId.eq(awarded.id))
            .one(&self.db)
            .await?
            .map(|p| p.code))
    }
}

/// A change of a published indicator's baseline, goal or unit, as an officer files it against
/// the indicator's version they read.
#[derive(Debug, Clone)]
pub struct IndicatorProposalDraft {
    pub baseline: Decimal,
    pub goal: Decimal,
    pub unit: IndicatorUnit,
    pub reason: String,
    pub lock_version: i32,
}

/// A proposal with its indicator's figures now and as proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorProposal {
    pub id: i32,
    pub project_code: String,
    pub indicator_number: i32,
    pub indicator_name: String,
    pub current_baseline: Decimal,
    pub current_goal: Decimal,
    pub current_unit: IndicatorUnit,
    pub baseline: Decimal,
    pub goal: Decimal,
    pub unit: IndicatorUnit,
    pub reason: String,
    /// submitted, approved or returned, as a measurement.
    pub status: MeasurementStatus,
    /// The submitting account (its e-mail is read from `users`).
    pub submitted_by: i32,
    pub submitted_by_email: Option<String>,
    pub submitted_at: jiff::Timestamp,
    pub reviewed_by_email: Option<String>,
    pub reviewed_at: Option<jiff::Timestamp>,
    pub review_comment: Option<String>,
}

/// Which proposals to list.
#[derive(Debug, Clone, Default)]
pub struct ProposalQuery {
    /// Only the proposals of projects in the reader's reach.
    pub reach: vereda_domain::accounts::Reach,
    pub status: Option<MeasurementStatus>,
    pub project_code: Option<String>,
    /// A page by id instead of the whole list: the rows after this id (none: from the first),
    /// at most this many, oldest id first.
    pub page: Option<(Option<i32>, u64)>,
}

/// Four eyes (issue 13, invariant 8): a reviewable record is submitted and reviewed by
/// accounts, never by a process or a name.
fn account_of(actor: &Actor) -> StoreResult<i32> {
    actor
        .user_id()
        .ok_or_else(|| StoreError::Forbidden(Message::new("monitoring-error-account_required")))
}

impl Store {
    /// Files a change of an indicator's baseline, goal or unit; the published figure stays as
    /// it is until another account approves it.
    pub async fn propose_indicator_change(
        &self,
        actor: &Actor,
        code: &str,
        number: i32,
        draft: IndicatorProposalDraft,
    ) -> StoreResult<i32> {
        let submitter = account_of(actor)?;
        validate_targets(draft.unit, draft.baseline, draft.goal)
            .map_err(|problems| StoreError::Invalid(first_problem(&problems)))?;
        let reason = draft.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(StoreError::Invalid(Message::new(
                "monitoring-error-proposal_reason_required",
            )));
        }
        let txn = self.write_transaction().await?;
        let p = project::Entity::find()
            .filter(project::Column::Code.eq(code))
            .one(&txn)
            .await?
            .ok_or_else(|| not_found_indicator(code, number))?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ManageProjects,
            crate::scope::Target::Project(p.id),
        )
        .await?;
        let item = indicator::Entity::find()
            .filter(indicator::Column::ProjectId.eq(p.id))
            .filter(indicator::Column::Number.eq(number))
            .one(&txn)
            .await?
            .ok_or_else(|| not_found_indicator(code, number))?;
        if item.lock_version != draft.lock_version {
            return Err(StoreError::Conflict(Message::new(
                "monitoring-error-changed_meanwhile",
            )));
        }
        if item.baseline.0 == draft.baseline && item.goal.0 == draft.goal && item.unit == draft.unit.as_str()
        {
            return Err(StoreError::Invalid(Message::new(
                "monitoring-error-proposal_unchanged",
            )));
        }
        let row = indicator_proposal::ActiveModel {
            indicator_id: Set(item.id),
            project_id: Set(p.id),
            baseline: Set(Dec(draft.baseline)),
            goal: Set(Dec(draft.goal)),
            unit: Set(draft.unit.to_string()),
            reason: Set(reason),
            status: Set(MeasurementStatus::Submitted.to_string()),
            lock_version_seen: Set(draft.lock_version),
            submitted_by: Set(submitter),
            submitted_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        Ok(stored.id)
    }

    /// Approves (the indicator takes the proposed figures) or returns a proposal. Its submitter
    /// may not review it; a proposal is reviewed once; an indicator changed since the proposal
    /// was made is a conflict. Answers the project's code.
    pub async fn review_indicator_proposal(
        &self,
        actor: &Actor,
        id: i32,
        review: Review,
    ) -> StoreResult<String> {
        let reviewer = account_of(actor)?;
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::ReviewMeasurements,
            crate::scope::Target::IndicatorProposal(id),
        )
        .await?;
        let before = indicator_proposal::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "indicator proposal",
                id: id.to_string(),
            })?;
        if before.status != MeasurementStatus::Submitted.as_str() {
            return Err(StoreError::Conflict(Message::new(
                "monitoring-error-proposal_reviewed",
            )));
        }
        if before.submitted_by == reviewer {
            return Err(StoreError::Forbidden(Message::new(
                "monitoring-error-own_proposal",
            )));
        }
        let (new_status, comment) = review.outcome()?;
        let update = indicator_proposal::Entity::update_many()
            .col_expr(
                indicator_proposal::Column::Status,
                Expr::value(new_status.to_string()),
            )
            .col_expr(indicator_proposal::Column::ReviewedBy, Expr::value(reviewer))
            .col_expr(
                indicator_proposal::Column::ReviewedAt,
                Expr::value(DbTimestamp::now()),
            )
            .col_expr(indicator_proposal::Column::ReviewComment, Expr::value(comment))
            .filter(indicator_proposal::Column::Id.eq(id))
            .filter(indicator_proposal::Column::Status.eq(MeasurementStatus::Submitted.as_str()));
        audit::conditional_update(&txn, actor, update, &before, id, || {
            StoreError::Conflict(Message::new("monitoring-error-proposal_reviewed"))
        })
        .await?;
        if new_status == MeasurementStatus::Approved {
            let item = indicator::Entity::find_by_id(before.indicator_id)
                .one(&txn)
                .await?
                .ok_or_else(|| corrupt("indicator proposal", id, "its indicator is gone"))?;
            let update = indicator::Entity::update_many()
                .col_expr(indicator::Column::Baseline, Expr::value(before.baseline))
                .col_expr(indicator::Column::Goal, Expr::value(before.goal))
                .col_expr(indicator::Column::Unit, Expr::value(before.unit.clone()))
                .col_expr(
                    indicator::Column::LockVersion,
                    Expr::value(before.lock_version_seen + 1),
                )
                .filter(indicator::Column::Id.eq(item.id))
                .filter(indicator::Column::LockVersion.eq(before.lock_version_seen));
            audit::conditional_update(&txn, actor, update, &item, item.id, || {
                StoreError::Conflict(Message::new("monitoring-error-changed_meanwhile"))
            })
            .await?;
            touch_project(&txn, before.project_id).await?;
        }
        let code = code_of_project(&txn, before.project_id).await?;
        txn.commit().await?;
        Ok(code)
    }

    /// Proposals with their indicator's figures, newest first.
    pub async fn indicator_proposals(&self, query: &ProposalQuery) -> StoreResult<Vec<IndicatorProposal>> {
        // The projects asked for as a subquery: no list of ids, however many there are.
        let mut within = sea_orm::sea_query::Query::select()
            .column(project::Column::Id)
            .from(project::Entity)
            .cond_where(crate::scope::projects_within(&query.reach))
            .to_owned();
        if let Some(code) = &query.project_code {
            within.and_where(project::Column::Code.eq(code.as_str()));
        }
        let mut select = indicator_proposal::Entity::find()
            .filter(indicator_proposal::Column::ProjectId.in_subquery(within));
        select = match query.page {
            None => select.order_by_desc(indicator_proposal::Column::Id),
            Some((after, limit)) => {
                let select = select.order_by_asc(indicator_proposal::Column::Id).limit(limit);
                match after {
                    Some(after) => select.filter(indicator_proposal::Column::Id.gt(after)),
                    None => select,
                }
            }
        };
        if let Some(status) = query.status {
            select = select.filter(indicator_proposal::Column::Status.eq(status.as_str()));
        }
        let rows = select.all(&self.db).await?;
        let projects: HashMap<i32, String> = crate::find_in(
            &self.db,
            project::Entity::find(),
            project::Column::Id,
            rows.iter().map(|r| r.project_id),
        )
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
        let indicators: HashMap<i32, indicator::Model> = crate::find_in(
            &self.db,
            indicator::Entity::find(),
            indicator::Column::Id,
            rows.iter().map(|r| r.indicator_id),
        )
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
        let accounts: HashMap<i32, String> = crate::find_in(
            &self.db,
            user::Entity::find(),
            user::Column::Id,
            rows.iter()
                .flat_map(|r| std::iter::once(r.submitted_by).chain(r.reviewed_by)),
        )
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
        rows.into_iter()
            .filter_map(|r| {
                let item = indicators.get(&r.indicator_id)?;
                let code = projects.get(&r.project_id)?;
                Some((r, item, code))
            })
            .map(|(r, item, code)| {
                Ok(IndicatorProposal {
                    project_code: code.clone(),
                    indicator_number: item.number,
                    indicator_name: item.name.clone(),
                    current_baseline: item.baseline.0,
                    current_goal: item.goal.0,
                    current_unit: item.unit.parse().map_err(|e| corrupt("indicator", item.id, e))?,
                    baseline: r.baseline.0,
                    goal: r.goal.0,
                    unit: r
                        .unit
                        .parse()
                        .map_err(|e| corrupt("indicator proposal", r.id, e))?,
                    status: r
                        .status
                        .parse()
                        .map_err(|e| corrupt("indicator proposal", r.id, e))?,
                    submitted_by_email: accounts.get(&r.submitted_by).cloned(),
                    reviewed_by_email: r.reviewed_by.and_then(|id| accounts.get(&id).cloned()),
                    submitted_by: r.submitted_by,
                    submitted_at: r.submitted_at.0,
                    reviewed_at: r.reviewed_at.map(|t| t.0),
                    review_comment: r.review_comment,
                    reason: r.reason,
                    id: r.id,
                })
            })
            .collect()
    }
}

/// The lines of measurements read in a list's order: their indicators and projects, evidence
/// and accounts read for these rows only.
pub(crate) async fn measurement_lines(
    db: &impl ConnectionTrait,
    rows: Vec<indicator_measurement::Model>,
) -> StoreResult<Vec<MeasurementRow>> {
    let indicators: HashMap<i32, indicator::Model> = crate::find_in(
        db,
        indicator::Entity::find(),
        indicator::Column::Id,
        rows.iter().map(|m| m.indicator_id),
    )
    .await?
    .into_iter()
    .map(|i| (i.id, i))
    .collect();
    let projects: HashMap<i32, String> = crate::find_in(
        db,
        project::Entity::find(),
        project::Column::Id,
        indicators.values().map(|i| i.project_id),
    )
    .await?
    .into_iter()
    .map(|p| (p.id, p.code))
    .collect();
    assemble_measurements(db, rows, &indicators, &projects).await
}

/// Measurements as lines, with their evidence and accounts; a row whose indicator or project
/// is not among those given is left out.
async fn assemble_measurements(
    db: &impl ConnectionTrait,
    rows: Vec<indicator_measurement::Model>,
    indicators: &HashMap<i32, indicator::Model>,
    projects: &HashMap<i32, String>,
) -> StoreResult<Vec<MeasurementRow>> {
    let evidence: HashMap<i32, ProjectDocument> = crate::find_in(
        db,
        project_document::Entity::find(),
        project_document::Column::Id,
        rows.iter().filter_map(|m| m.evidence_document_id),
    )
    .await?
    .into_iter()
    .map(|d| (d.id, document_of(d)))
    .collect();
    let reviewers: HashMap<i32, String> = crate::find_in(
        db,
        user::Entity::find(),
        user::Column::Id,
        rows.iter()
            .flat_map(|m| m.reviewed_by.into_iter().chain(m.submitted_by_user)),
    )
    .await?
    .into_iter()
    .map(|u| (u.id, u.email))
    .collect();
    rows.into_iter()
        .filter_map(|m| {
            let item = indicators.get(&m.indicator_id)?;
            let code = projects.get(&item.project_id)?;
            Some((m, item, code))
        })
        .map(|(m, item, code)| {
            Ok(MeasurementRow {
                status: m.status.parse().map_err(|e| corrupt("measurement", m.id, e))?,
                unit: item.unit.parse().map_err(|e| corrupt("indicator", item.id, e))?,
                project_code: code.clone(),
                indicator_number: item.number,
                indicator_name: item.name.clone(),
                by_sex: item.by_sex,
                measured_on: m.measured_on.0,
                value: m.value.0,
                value_women: m.value_women.map(|d| d.0),
                value_men: m.value_men.map(|d| d.0),
                source: m.source,
                submitted_by: m
                    .submitted_by_user
                    .and_then(|id| reviewers.get(&id).cloned())
                    .or(m.submitted_by),
                submitted_by_user: m.submitted_by_user,
                submitted_at: m.created_at.0,
                reviewed_by: m.reviewed_by.and_then(|id| reviewers.get(&id).cloned()),
                reviewed_at: m.reviewed_at.map(|t| t.0),
                review_comment: m.review_comment,
                evidence: m.evidence_document_id.and_then(|id| evidence.get(&id).cloned()),
                id: m.id,
            })
        })
        .collect()
}
