//! The portfolio read from stored summaries (issue 18 part 9): one row per project in
//! `project_summaries`, with the values its filters match in `project_summary_facets` and its
//! indicators added up by roll-up key in `project_rollups`. Every step that changes what a
//! summary shows refreshes it in its own transaction ([`refresh_summary`]), so a page of
//! `/proyectos`, its filters and its roll-ups are a few indexed queries whatever the number of
//! projects. [`Store::recomputed_projects`] computes the same summaries from the records, to
//! check the stored ones against.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use vereda_domain::awarded_project::{MoneyFlow, ProjectStatus, status_on};
use vereda_domain::money::Currency;
use vereda_domain::monitoring::{IndicatorUnit, advance_percent};

use crate::entity::{
    indicator, project, project_followup_fact, project_rollup, project_summary, project_summary_facet,
};
use crate::projects::{
    AwardedMoney, ProgressFigures, ProjectFilter, ProjectSummary, Rollup, RollupSum, SEVERAL_DEPARTMENTS,
};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, corrupt};

/// What a facet row of a summary is: the value one portfolio filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Facet {
    Department,
    PdetSubregion,
    ValueChain,
    Funder,
    Municipality,
}

impl Facet {
    fn as_str(self) -> &'static str {
        match self {
            Facet::Department => "department",
            Facet::PdetSubregion => "pdet_subregion",
            Facet::ValueChain => "value_chain",
            Facet::Funder => "funder",
            Facet::Municipality => "municipality",
        }
    }
}

/// The values each portfolio filter offers, over every project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortfolioFacets {
    /// How many projects the portfolio holds.
    pub projects: usize,
    pub departments: Vec<String>,
    pub pdet_subregions: Vec<String>,
    pub value_chains: Vec<String>,
    pub funders: Vec<String>,
}

/// A page of the projects a filter admits, with what the page shows of all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortfolioPage {
    pub projects: Vec<ProjectSummary>,
    /// How many projects the filter admits, on every page.
    pub matching: usize,
    /// How many of those are in each status, in the order of `ProjectStatus::ALL`.
    pub by_status: Vec<(ProjectStatus, usize)>,
    /// How many of those work in each municipality (DANE code).
    pub municipalities: Vec<(String, usize)>,
}

/// The summary of one project as stored, computed from its records.
struct Computed {
    summary: ProjectSummary,
    recorded_status: ProjectStatus,
    municipality_codes: Vec<String>,
    rollups: BTreeMap<String, (IndicatorUnit, Decimal, Decimal)>,
    office: Option<String>,
    call: Option<String>,
    /// What its follow-up alerts are raised from, once awarded with a plan.
    followup: Option<crate::followup::AlertBasis>,
}

/// Recomputes the stored summary of a project from its records, in the caller's transaction,
/// so a step and the summary it changes are committed together.
pub(crate) async fn refresh_summary(db: &impl ConnectionTrait, project_id: i32) -> StoreResult<()> {
    let Some(row) = project::Entity::find_by_id(project_id).one(db).await? else {
        return Ok(());
    };
    let computed = compute(db, vec![row]).await?;
    store(db, project_id, computed.into_iter().next()).await
}

/// Fills the summaries of the projects that have none (the first start after the migration
/// that made the table, or projects stored by an older version).
pub(crate) async fn fill_missing_summaries(db: &impl ConnectionTrait) -> StoreResult<usize> {
    let summarised = Query::select()
        .column(project_summary::Column::ProjectId)
        .from(project_summary::Entity)
        .to_owned();
    let missing: Vec<i32> = project::Entity::find()
        .select_only()
        .column(project::Column::Id)
        .filter(project::Column::Id.not_in_subquery(summarised))
        .into_tuple()
        .all(db)
        .await?;
    for id in &missing {
        refresh_summary(db, *id).await?;
    }
    // Awarded projects summarised before their follow-up facts were kept (migration 28); those
    // just summarised above have theirs already.
    let with_facts = Query::select()
        .column(project_followup_fact::Column::ProjectId)
        .from(project_followup_fact::Entity)
        .to_owned();
    let without: Vec<i32> = project::Entity::find()
        .select_only()
        .column(project::Column::Id)
        .filter(project::Column::AwardId.is_not_null())
        .filter(project::Column::Id.not_in_subquery(with_facts))
        .into_tuple()
        .all(db)
        .await?;
    for id in &without {
        refresh_summary(db, *id).await?;
    }
    Ok(missing.len())
}

async fn store(db: &impl ConnectionTrait, project_id: i32, computed: Option<Computed>) -> StoreResult<()> {
    project_summary_facet::Entity::delete_many()
        .filter(project_summary_facet::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    project_rollup::Entity::delete_many()
        .filter(project_rollup::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    project_summary::Entity::delete_by_id(project_id).exec(db).await?;
    project_followup_fact::Entity::delete_by_id(project_id)
        .exec(db)
        .await?;
    let Some(c) = computed else {
        return Ok(());
    };
    if let Some(basis) = &c.followup {
        project_followup_fact::Entity::insert(project_followup_fact::ActiveModel {
            project_id: Set(project_id),
            paid_on: Set(basis.paid_on.map(DbDate)),
            last_movement: Set(basis.last_movement.map(DbDate)),
            closed: Set(basis.closed),
            over_plan: Set(serde_json::to_string(&basis.over_plan)
                .map_err(|e| corrupt("project follow-up facts", project_id, e))?),
            open_commitments: Set(serde_json::to_string(&basis.open_commitments)
                .map_err(|e| corrupt("project follow-up facts", project_id, e))?),
        })
        .exec(db)
        .await?;
    }
    let s = &c.summary;
    let totals: BTreeMap<&str, String> = s
        .totals
        .iter()
        .map(|(currency, amount)| (currency.as_str(), amount.normalize().to_string()))
        .collect();
    // Sorted and each value once, as the facet rows hold them.
    let facet_lists: BTreeMap<&str, BTreeSet<&String>> = [
        (Facet::Department, &s.departments),
        (Facet::PdetSubregion, &s.pdet_subregions),
        (Facet::ValueChain, &s.value_chains),
        (Facet::Funder, &s.funders),
    ]
    .into_iter()
    .map(|(kind, values)| (kind.as_str(), values.iter().collect()))
    .collect();
    let award = s.award.as_ref();
    let flow = award.map(|a| &a.flow);
    let territory = match s.departments.as_slice() {
        [one] => one.clone(),
        _ => SEVERAL_DEPARTMENTS.to_owned(),
    };
    let row = project_summary::ActiveModel {
        project_id: Set(project_id),
        code: Set(s.code.clone()),
        title: Set(s.title.clone()),
        // What the portfolio's search reads: code, title and value chains (in Spanish, so
        // "cacao" finds an English card on cocoa), folded for accents and case.
        language: Set(s.language.as_str().to_owned()),
        search: Set(vereda_domain::text::fold_for_search(&format!(
            "{} {} {}",
            s.code,
            s.title,
            s.value_chains.join(" ")
        ))),
        period_start: Set(DbDate(s.period_start)),
        period_end: Set(DbDate(s.period_end)),
        recorded_status: Set(c.recorded_status.to_string()),
        totals: Set(serde_json::to_string(&totals).map_err(|e| corrupt("project summary", project_id, e))?),
        indicators: Set(i32::try_from(s.indicators).unwrap_or(i32::MAX)),
        municipalities: Set(i32::try_from(s.municipalities).unwrap_or(i32::MAX)),
        territory: Set(territory),
        advance_percent: Set(s.advance_percent.map(|a| i32::try_from(a).unwrap_or(i32::MAX))),
        physical: Set(s.progress.map(|p| Dec(p.physical))),
        financial: Set(s.progress.map(|p| Dec(p.financial))),
        management: Set(s.progress.map(|p| Dec(p.management))),
        office_code: Set(c.office.clone()),
        call_code: Set(c.call.clone()),
        refreshed_at: Set(DbTimestamp::now()),
        awarded_on: Set(award.map(|a| DbDate(a.awarded_on))),
        committed: Set(flow.map(|f| Dec(f.committed))),
        disbursed: Set(flow.and_then(|f| f.disbursed).map(Dec)),
        disbursed_on: Set(flow.and_then(|f| f.disbursed_on).map(DbDate)),
        executed: Set(flow.map(|f| Dec(f.executed))),
        closed_on: Set(flow.and_then(|f| f.closed_on).map(DbDate)),
        facet_lists: Set(
            serde_json::to_string(&facet_lists).map_err(|e| corrupt("project summary", project_id, e))?
        ),
    };
    project_summary::Entity::insert(row).exec(db).await?;
    let mut facets = Vec::new();
    let mut add = |kind: Facet, values: &[String]| {
        let unique: BTreeSet<&String> = values.iter().collect();
        for value in unique {
            facets.push(project_summary_facet::ActiveModel {
                project_id: Set(project_id),
                kind: Set(kind.as_str().to_owned()),
                value: Set(value.clone()),
            });
        }
    };
    add(Facet::Department, &s.departments);
    add(Facet::PdetSubregion, &s.pdet_subregions);
    add(Facet::ValueChain, &s.value_chains);
    add(Facet::Funder, &s.funders);
    add(Facet::Municipality, &c.municipality_codes);
    if !facets.is_empty() {
        project_summary_facet::Entity::insert_many(facets)
            .exec(db)
            .await?;
    }
    let rollups: Vec<project_rollup::ActiveModel> = c
        .rollups
        .iter()
        .map(|(key, (unit, current, goal))| project_rollup::ActiveModel {
            project_id: Set(project_id),
            rollup_key: Set(key.clone()),
            unit: Set(unit.to_string()),
            current_micros: Set(micros(*current)),
            goal_micros: Set(micros(*goal)),
        })
        .collect();
    if !rollups.is_empty() {
        project_rollup::Entity::insert_many(rollups).exec(db).await?;
    }
    Ok(())
}

/// The summaries of `rows` computed from the records.
async fn compute(db: &impl ConnectionTrait, rows: Vec<project::Model>) -> StoreResult<Vec<Computed>> {
    let today = crate::projects::today_in_colombia();
    let ids: Vec<i32> = rows.iter().map(|p| p.id).collect();
    let awards = crate::projects::award_records(db, &rows, crate::projects::Expenditures::Total).await?;
    let mut recorded = HashMap::new();
    let mut progress = HashMap::new();
    for p in &rows {
        // The status before the period's end; the end is compared with today when read.
        recorded.insert(p.id, crate::projects::status_of(p, &awards, p.period_end.0)?);
        if p.award_id.is_some() {
            progress.insert(p.id, crate::followup::stored_progress(db, p, today).await?);
        }
    }
    let mut municipalities: HashMap<i32, Vec<String>> = HashMap::new();
    for m in crate::entity::project_municipality::Entity::find()
        .filter(crate::entity::project_municipality::Column::ProjectId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        municipalities.entry(m.project_id).or_default().push(m.dane_code);
    }
    let mut indicators: HashMap<i32, Vec<indicator::Model>> = HashMap::new();
    for i in indicator::Entity::find()
        .filter(indicator::Column::ProjectId.is_in(ids))
        .all(db)
        .await?
    {
        indicators.entry(i.project_id).or_default().push(i);
    }
    let summaries = crate::projects::summaries_in(db, rows.clone(), &awards, today).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (p, mut summary) in rows.iter().zip(summaries) {
        let own = indicators.remove(&p.id).unwrap_or_default();
        let mut advances = Vec::new();
        let mut rollups: BTreeMap<String, (IndicatorUnit, Decimal, Decimal)> = BTreeMap::new();
        for i in &own {
            let current = i.current_value.as_ref().map_or(i.baseline.0, |v| v.0);
            if let Some(advance) = advance_percent(current, i.goal.0) {
                advances.push(u64::from(advance));
            }
            if let Some(key) = &i.rollup_key {
                let unit: IndicatorUnit = i.unit.parse().map_err(|e| corrupt("indicator", i.id, e))?;
                let sum = rollups
                    .entry(key.clone())
                    .or_insert((unit, Decimal::ZERO, Decimal::ZERO));
                if sum.0 != unit {
                    return Err(rollup_units(key, sum.0, unit));
                }
                sum.1 += current;
                sum.2 += i.goal.0;
            }
        }
        // The plain mean of the indicators' advance, in whole percent.
        summary.advance_percent = (!advances.is_empty())
            .then(|| advances.iter().sum::<u64>() / advances.len() as u64)
            .map(|mean| u32::try_from(mean).unwrap_or(u32::MAX));
        let (office, call, followup) = match progress.remove(&p.id).flatten() {
            Some((p, basis)) => {
                summary.progress = Some(ProgressFigures {
                    physical: p.physical,
                    financial: p.financial,
                    management: p.management,
                });
                (p.office, p.call, Some(basis))
            }
            None => (None, None, None),
        };
        let mut municipality_codes = municipalities.remove(&p.id).unwrap_or_default();
        municipality_codes.sort();
        out.push(Computed {
            recorded_status: recorded.get(&p.id).copied().unwrap_or(summary.status),
            summary,
            municipality_codes,
            rollups,
            office,
            call,
            followup,
        });
    }
    Ok(out)
}

/// A figure in millionths of its unit (the precision PostgreSQL keeps, `NUMERIC(24, 6)`), so
/// SQL adds roll-ups up exactly; beyond `i64` it saturates.
fn micros(value: Decimal) -> i64 {
    (value * Decimal::from(1_000_000))
        .round()
        .to_i64()
        .unwrap_or(if value.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}

fn from_micros(value: i64) -> Decimal {
    Decimal::new(value, 6).normalize()
}

fn rollup_units(key: &str, first: IndicatorUnit, second: IndicatorUnit) -> StoreError {
    StoreError::Invalid(
        Message::new("project-error-rollup_units")
            .with("key", key)
            .with_term("first", first.message_id())
            .with_term("second", second.message_id()),
    )
}

/// The condition on `project_summaries` a filter makes, on `today`.
fn admitted(filter: &ProjectFilter, today: Date) -> Condition {
    let mut condition = Condition::all();
    if !matches!(filter.reach, vereda_domain::accounts::Reach::National) {
        let within = Query::select()
            .column(project::Column::Id)
            .from(project::Entity)
            .cond_where(crate::scope::projects_within(&filter.reach))
            .to_owned();
        condition = condition.add(project_summary::Column::ProjectId.in_subquery(within));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Accents and case aside: "caguan" finds "Caguán" (the column is folded alike).
        let pattern = format!(
            "%{}%",
            crate::like_escaped(&vereda_domain::text::fold_for_search(text))
        );
        condition = condition.add(
            Expr::col((project_summary::Entity, project_summary::Column::Search))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    let facets = [
        (
            Facet::Department,
            filter.department.map(|d| d.as_str().to_owned()),
        ),
        (Facet::PdetSubregion, filter.pdet_subregion.clone()),
        (Facet::ValueChain, filter.value_chain.clone()),
        (Facet::Funder, filter.funder.clone()),
    ];
    for (kind, value) in facets {
        if let Some(value) = value {
            let having = Query::select()
                .column(project_summary_facet::Column::ProjectId)
                .from(project_summary_facet::Entity)
                .and_where(project_summary_facet::Column::Kind.eq(kind.as_str()))
                .and_where(project_summary_facet::Column::Value.eq(value))
                .to_owned();
            condition = condition.add(project_summary::Column::ProjectId.in_subquery(having));
        }
    }
    if let Some(status) = filter.status {
        condition = condition.add(status_condition(status, today));
    }
    condition
}

/// The summaries whose status on `today` is `status` ([`status_on`], in the query).
fn status_condition(status: ProjectStatus, today: Date) -> Condition {
    let recorded = project_summary::Column::RecordedStatus;
    let end = project_summary::Column::PeriodEnd;
    let today = DbDate(today);
    match status {
        ProjectStatus::Closed => Condition::all().add(recorded.eq(ProjectStatus::Closed.as_str())),
        ProjectStatus::Ended => Condition::all()
            .add(recorded.ne(ProjectStatus::Closed.as_str()))
            .add(
                Condition::any()
                    .add(end.lt(today))
                    .add(recorded.eq(ProjectStatus::Ended.as_str())),
            ),
        other => Condition::all()
            .add(recorded.eq(other.as_str()))
            .add(end.gte(today)),
    }
}

impl Store {
    /// The portfolio: every project the filter admits, by code, from the stored summaries.
    pub async fn projects(&self, filter: &ProjectFilter) -> StoreResult<Vec<ProjectSummary>> {
        let today = crate::projects::today_in_colombia();
        let rows = project_summary::Entity::find()
            .filter(admitted(filter, today))
            .order_by_asc(project_summary::Column::Code)
            .all(&self.db)
            .await?;
        summaries_from(rows, today)
    }

    /// A page of the projects the filter admits, by code (`offset`, at most `limit`), with how
    /// many it admits, their statuses and their municipalities.
    pub async fn portfolio_page(
        &self,
        filter: &ProjectFilter,
        offset: u64,
        limit: u64,
    ) -> StoreResult<PortfolioPage> {
        let today = crate::projects::today_in_colombia();
        let condition = admitted(filter, today);
        let rows = project_summary::Entity::find()
            .filter(condition.clone())
            .order_by_asc(project_summary::Column::Code)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await?;
        let projects = summaries_from(rows, today)?;
        let statuses: Vec<(String, DbDate, i64)> = project_summary::Entity::find()
            .select_only()
            .column(project_summary::Column::RecordedStatus)
            .column(project_summary::Column::PeriodEnd)
            .column_as(project_summary::Column::ProjectId.count(), "n")
            .filter(condition.clone())
            .group_by(project_summary::Column::RecordedStatus)
            .group_by(project_summary::Column::PeriodEnd)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        let mut matching = 0;
        for (recorded, end, n) in statuses {
            let recorded: ProjectStatus = recorded.parse().map_err(|e| corrupt("project summary", 0, e))?;
            let status = status_on(recorded, end.0, today);
            let position = ProjectStatus::ALL.iter().position(|s| *s == status).unwrap_or(0);
            let n = usize::try_from(n).unwrap_or(0);
            *counts.entry(position).or_default() += n;
            matching += n;
        }
        let by_status = counts
            .into_iter()
            .filter_map(|(position, n)| ProjectStatus::ALL.get(position).map(|s| (*s, n)))
            .collect();
        let of_admitted = Query::select()
            .column(project_summary::Column::ProjectId)
            .from(project_summary::Entity)
            .cond_where(condition)
            .to_owned();
        let municipalities: Vec<(String, i64)> = project_summary_facet::Entity::find()
            .select_only()
            .column(project_summary_facet::Column::Value)
            .column_as(project_summary_facet::Column::ProjectId.count(), "n")
            .filter(project_summary_facet::Column::Kind.eq(Facet::Municipality.as_str()))
            .filter(project_summary_facet::Column::ProjectId.in_subquery(of_admitted))
            .group_by(project_summary_facet::Column::Value)
            .order_by_asc(project_summary_facet::Column::Value)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(PortfolioPage {
            projects,
            matching,
            by_status,
            municipalities: municipalities
                .into_iter()
                .map(|(code, n)| (code, usize::try_from(n).unwrap_or(0)))
                .collect(),
        })
    }

    /// The values each filter offers, over every project, and how many projects there are.
    pub async fn portfolio_facets(&self) -> StoreResult<PortfolioFacets> {
        let projects = crate::count_rows(project_summary::Entity::find(), &self.db).await?;
        let rows: Vec<(String, String)> = project_summary_facet::Entity::find()
            .select_only()
            .column(project_summary_facet::Column::Kind)
            .column(project_summary_facet::Column::Value)
            .filter(project_summary_facet::Column::Kind.ne(Facet::Municipality.as_str()))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut facets = PortfolioFacets {
            projects: usize::try_from(projects).unwrap_or(0),
            ..PortfolioFacets::default()
        };
        for (kind, value) in rows {
            let list = match kind.as_str() {
                "department" => &mut facets.departments,
                "pdet_subregion" => &mut facets.pdet_subregions,
                "value_chain" => &mut facets.value_chains,
                "funder" => &mut facets.funders,
                _ => continue,
            };
            list.push(value);
        }
        for list in [
            &mut facets.departments,
            &mut facets.pdet_subregions,
            &mut facets.value_chains,
            &mut facets.funders,
        ] {
            list.sort();
        }
        Ok(facets)
    }

    /// When a project's summary last changed: the open data's last update.
    pub async fn portfolio_updated_at(&self) -> StoreResult<Option<jiff::Timestamp>> {
        Ok(project_summary::Entity::find()
            .order_by_desc(project_summary::Column::RefreshedAt)
            .one(&self.db)
            .await?
            .map(|row| row.refreshed_at.0))
    }

    /// A page of every project by code: those after `after`, at most `limit` (keyset paging
    /// in the query; the API asks one more to know whether a next page exists).
    pub async fn project_page(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<ProjectSummary>> {
        let mut select = project_summary::Entity::find().order_by_asc(project_summary::Column::Code);
        if let Some(after) = after {
            select = select.filter(project_summary::Column::Code.gt(after));
        }
        let rows = select.limit(limit).all(&self.db).await?;
        summaries_from(rows, crate::projects::today_in_colombia())
    }

    /// The indicators that share a roll-up key, added up across the projects the filter
    /// admits: one `GROUP BY` over the stored sums of each project, by key and territory.
    pub async fn rollups(&self, filter: &ProjectFilter) -> StoreResult<Vec<Rollup>> {
        use sea_orm::sea_query::{Alias, Func};
        let today = crate::projects::today_in_colombia();
        let rollup = |column| Expr::col((project_rollup::Entity, column));
        let sum = |column| Func::cast_as(Func::sum(rollup(column)), Alias::new("BIGINT"));
        let statement = Query::select()
            .expr_as(
                rollup(project_rollup::Column::RollupKey),
                Alias::new("rollup_key"),
            )
            .expr_as(rollup(project_rollup::Column::Unit), Alias::new("unit"))
            .expr_as(
                Expr::col((project_summary::Entity, project_summary::Column::Territory)),
                Alias::new("territory"),
            )
            .expr_as(
                sum(project_rollup::Column::CurrentMicros),
                Alias::new("current_micros"),
            )
            .expr_as(sum(project_rollup::Column::GoalMicros), Alias::new("goal_micros"))
            .expr_as(
                Func::count(rollup(project_rollup::Column::ProjectId)),
                Alias::new("projects"),
            )
            .from(project_rollup::Entity)
            .inner_join(
                project_summary::Entity,
                Expr::col((project_summary::Entity, project_summary::Column::ProjectId))
                    .equals((project_rollup::Entity, project_rollup::Column::ProjectId)),
            )
            .cond_where(admitted(filter, today))
            .group_by_col((project_rollup::Entity, project_rollup::Column::RollupKey))
            .group_by_col((project_rollup::Entity, project_rollup::Column::Unit))
            .group_by_col((project_summary::Entity, project_summary::Column::Territory))
            .to_owned();
        let rows = self
            .db
            .query_all_raw(self.db.get_database_backend().build(&statement))
            .await?;
        let mut by_key: BTreeMap<String, RollupSum> = BTreeMap::new();
        let mut projects: BTreeMap<String, usize> = BTreeMap::new();
        for row in rows {
            let key: String = row.try_get("", "rollup_key")?;
            let unit: String = row.try_get("", "unit")?;
            let unit: IndicatorUnit = unit.parse().map_err(|e| corrupt("project roll-up", 0, e))?;
            let territory: String = row.try_get("", "territory")?;
            let current = from_micros(row.try_get("", "current_micros")?);
            let goal = from_micros(row.try_get("", "goal_micros")?);
            let count: i64 = row.try_get("", "projects")?;
            let sum = by_key.entry(key.clone()).or_insert_with(|| RollupSum::new(unit));
            if sum.unit != unit {
                return Err(rollup_units(&key, sum.unit, unit));
            }
            sum.current += current;
            sum.goal += goal;
            // A project lies in one territory and has one row per key: the groups' counts add.
            *projects.entry(key).or_default() += usize::try_from(count).unwrap_or(0);
            *sum.by_territory.entry(territory).or_default() += current;
        }
        Ok(by_key
            .into_iter()
            .map(|(key, sum)| Rollup {
                advance_percent: advance_percent(sum.current, sum.goal),
                projects: projects.get(&key).copied().unwrap_or(0),
                key,
                unit: sum.unit,
                current: sum.current,
                goal: sum.goal,
                by_territory: sum.by_territory.into_iter().collect(),
            })
            .collect())
    }

    /// Every project's summary computed from the records, not read from the stored ones:
    /// what the stored summaries must equal.
    pub async fn recomputed_projects(&self) -> StoreResult<Vec<ProjectSummary>> {
        let rows = project::Entity::find()
            .order_by_asc(project::Column::Code)
            .all(&self.db)
            .await?;
        // A chunk at a time, so no statement asks for every project's id.
        let mut summaries = Vec::with_capacity(rows.len());
        for rows in rows.chunks(crate::IN_LIST_LIMIT) {
            summaries.extend(
                compute(&self.db, rows.to_vec())
                    .await?
                    .into_iter()
                    .map(|c| c.summary),
            );
        }
        Ok(summaries)
    }
}

/// The summaries of stored rows, each read from its own row alone.
fn summaries_from(rows: Vec<project_summary::Model>, today: Date) -> StoreResult<Vec<ProjectSummary>> {
    rows.into_iter()
        .map(|r| {
            let mut lists: HashMap<String, Vec<String>> = serde_json::from_str(&r.facet_lists)
                .map_err(|e| corrupt("project summary", r.project_id, e))?;
            let mut take = |kind: Facet| lists.remove(kind.as_str()).unwrap_or_default();
            let award = match (r.awarded_on, r.committed, r.executed) {
                (Some(awarded_on), Some(committed), Some(executed)) => Some(AwardedMoney {
                    awarded_on: awarded_on.0,
                    flow: MoneyFlow {
                        committed: committed.0,
                        disbursed: r.disbursed.map(|d| d.0),
                        disbursed_on: r.disbursed_on.map(|d| d.0),
                        executed: executed.0,
                        closed_on: r.closed_on.map(|d| d.0),
                        ..MoneyFlow::default()
                    },
                }),
                _ => None,
            };
            let recorded: ProjectStatus = r
                .recorded_status
                .parse()
                .map_err(|e| corrupt("project summary", r.project_id, e))?;
            let stored: BTreeMap<String, String> =
                serde_json::from_str(&r.totals).map_err(|e| corrupt("project summary", r.project_id, e))?;
            let mut totals = BTreeMap::new();
            for (currency, amount) in stored {
                let currency =
                    Currency::from_str(&currency).map_err(|e| corrupt("project summary", r.project_id, e))?;
                let amount =
                    Decimal::from_str(&amount).map_err(|e| corrupt("project summary", r.project_id, e))?;
                totals.insert(currency, amount);
            }
            Ok(ProjectSummary {
                status: status_on(recorded, r.period_end.0, today),
                totals,
                indicators: usize::try_from(r.indicators).unwrap_or(0),
                value_chains: take(Facet::ValueChain),
                departments: take(Facet::Department),
                pdet_subregions: take(Facet::PdetSubregion),
                funders: take(Facet::Funder),
                award,
                municipalities: usize::try_from(r.municipalities).unwrap_or(0),
                advance_percent: r.advance_percent.and_then(|a| u32::try_from(a).ok()),
                progress: match (r.physical, r.financial, r.management) {
                    (Some(physical), Some(financial), Some(management)) => Some(ProgressFigures {
                        physical: physical.0,
                        financial: financial.0,
                        management: management.0,
                    }),
                    _ => None,
                },
                language: r
                    .language
                    .parse()
                    .map_err(|e| corrupt("project summary", r.project_id, e))?,
                code: r.code,
                title: r.title,
                period_start: r.period_start.0,
                period_end: r.period_end.0,
            })
        })
        .collect()
}
