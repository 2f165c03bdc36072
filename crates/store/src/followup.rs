//! Follow-up after the payment (Art. 31, 34-36): the surveillance team's visits with their
//! findings, photos and commitments; the project's progress and alerts; its act of closure.
//!
//! Every writing step goes through `ledger::project_for_step` (permission, office, lock, and
//! the closure gate: after the act of closure nothing of the project changes). A visit closes
//! the commitments of earlier visits it names, in its own transaction. The closure computes its
//! figures from the ledger and the visits inside its transaction, checks them with the domain
//! (`followup::check_closure`), records the refund as a movement of the account, and marks the
//! project closed.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use vereda_domain::accounts::Permission;
use vereda_domain::audit::Actor;
use vereda_domain::followup::{
    ActivityDelivery, Alert, AlertFacts, ClosingFigures, ClosureReason, Delivery, Finding, LineOverPlan,
    OpenCommitment, VisitDraft, alerts, check_closure, check_schedule, closing_figures, financial_progress,
    lines_over_plan, management_progress, physical_progress,
};
use vereda_domain::ledger::MovementKind;
use vereda_domain::monitoring::ExecutionStatus;

use crate::entity::{
    accompaniment_activity, ledger_movement, project, project_beneficiary, project_closure,
    supervision_visit, visit_commitment, visit_photo,
};
use crate::ledger::{
    account_of, awarded_version, check_representative, emails_of, executed_by_line, payment_of,
    plan_in_force, project_by_code, project_for_step,
};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt};

/// A visit to record, with the open commitments of earlier visits it finds done.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub draft: VisitDraft,
    pub closes: Vec<i32>,
}

/// A commitment a visit left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commitment {
    pub id: i32,
    pub visit_id: i32,
    pub description: String,
    pub due_on: Date,
    pub closed_by_visit: Option<i32>,
    pub closed_on: Option<Date>,
}

/// A photo of a visit, with where it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitPhoto {
    pub id: i32,
    pub visit_id: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub latitude: Decimal,
    pub longitude: Decimal,
}

/// A photo to record: the file is already kept.
#[derive(Debug, Clone)]
pub struct NewVisitPhoto {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub latitude: Decimal,
    pub longitude: Decimal,
}

/// A recorded visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub id: i32,
    pub visited_on: Date,
    pub team: Vec<String>,
    pub findings: Vec<Finding>,
    pub environmental: String,
    pub legal: String,
    pub rating: i32,
    pub recorded_by: Option<String>,
    pub photos: Vec<VisitPhoto>,
}

/// A project's visits and commitments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visits {
    pub visits: Vec<Visit>,
    pub commitments: Vec<Commitment>,
}

/// A month's progress, cumulative to its end (the current month to today).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthProgress {
    /// `YYYY-MM`.
    pub month: String,
    pub physical: Decimal,
    pub financial: Decimal,
}

/// A project's progress in percent and its alerts, on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub code: String,
    /// The awarding office's code (`NAR`) and the call's code, when known.
    pub office: Option<String>,
    pub call: Option<String>,
    /// Every month from the payment's to today's.
    pub monthly: Vec<MonthProgress>,
    pub physical: Decimal,
    pub financial: Decimal,
    pub management: Decimal,
    pub closed: bool,
    pub alerts: Vec<Alert>,
}

/// The progress of an office's projects in a call, weighted by each project's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub office: String,
    pub call: String,
    pub projects: usize,
    pub physical: Decimal,
    pub financial: Decimal,
    pub management: Decimal,
    pub alerts: usize,
}

/// Rolls projects up by office and call: the plain mean of their progress (every project
/// counts alike), and their alerts added up.
pub fn rollup(projects: &[Progress]) -> Vec<Rollup> {
    let mut groups: BTreeMap<(String, String), Vec<&Progress>> = BTreeMap::new();
    for p in projects {
        groups
            .entry((
                p.office.clone().unwrap_or_default(),
                p.call.clone().unwrap_or_default(),
            ))
            .or_default()
            .push(p);
    }
    groups
        .into_iter()
        .map(|((office, call), members)| {
            let n = Decimal::from(members.len() as u64);
            let mean =
                |f: fn(&Progress) -> Decimal| (members.iter().map(|p| f(p)).sum::<Decimal>() / n).round_dp(1);
            Rollup {
                office,
                call,
                projects: members.len(),
                physical: mean(|p| p.physical),
                financial: mean(|p| p.financial),
                management: mean(|p| p.management),
                alerts: members.iter().map(|p| p.alerts.len()).sum(),
            }
        })
        .collect()
}

/// What a plan line ended as, in the act of closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedLine {
    pub number: u32,
    pub description: String,
    pub planned: Decimal,
    pub executed: Decimal,
    /// The latest visit's finding, if a visit saw it.
    pub delivery: Option<Delivery>,
}

/// The act of closure to record: the director signs with the account, the families'
/// representative by name and document.
#[derive(Debug, Clone)]
pub struct NewClosure {
    pub closed_on: Date,
    pub reason: ClosureReason,
    /// The refund of the balance to the institute: its value, date and bank reference.
    pub refund_value: Decimal,
    pub refund_on: Option<Date>,
    pub refund_reference: String,
    pub observations: String,
    pub representative_name: String,
    pub representative_document: String,
}

/// A recorded act of closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub id: i32,
    pub code: String,
    pub closed_on: Date,
    pub reason: ClosureReason,
    pub figures: ClosingFigures,
    pub refund_value: Decimal,
    pub refund_on: Option<Date>,
    pub refund_reference: String,
    pub physical: Decimal,
    pub financial: Decimal,
    pub management: Decimal,
    pub lines: Vec<ClosedLine>,
    pub observations: String,
    pub signed_by: Option<String>,
    /// The account of the territorial director who signed it.
    pub signer_id: i32,
    pub representative_name: String,
    pub representative_document: String,
}

/// An activity of the accompaniment plan (Art. 36, 18.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub id: i32,
    pub topic: String,
    pub scheduled_on: Date,
    pub delivered_on: Option<Date>,
    pub families: Option<i32>,
    pub women: Option<i32>,
    pub men: Option<i32>,
    pub evidence_sha256: Option<String>,
    pub evidence_name: Option<String>,
}

/// The accompaniment plan of a project: the formulation's training topics and the activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accompaniment {
    /// The plan's description and topics in the approved formulation (Art. 18.5).
    pub description: String,
    pub topics: Vec<String>,
    pub activities: Vec<Activity>,
}

/// The delivery of an activity to record: its attendance and its evidence, already kept.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub delivered_on: Date,
    pub families: u32,
    pub women: u32,
    pub men: u32,
    pub evidence_sha256: Option<String>,
    pub evidence_name: Option<String>,
}

/// The plausible coordinates of a photo: a latitude and a longitude on Earth.
fn check_coordinates(latitude: Decimal, longitude: Decimal) -> StoreResult<()> {
    let ok = (Decimal::from(-90)..=Decimal::from(90)).contains(&latitude)
        && (Decimal::from(-180)..=Decimal::from(180)).contains(&longitude);
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            Message::new("followup-error-coordinates")
                .with("latitude", latitude)
                .with("longitude", longitude)
                .with("field", "latitude"),
        ))
    }
}

fn commitment_of(row: visit_commitment::Model) -> Commitment {
    Commitment {
        id: row.id,
        visit_id: row.visit_id,
        description: row.description,
        due_on: row.due_on.0,
        closed_by_visit: row.closed_by_visit,
        closed_on: row.closed_on.map(|d| d.0),
    }
}

fn photo_of(row: visit_photo::Model) -> VisitPhoto {
    VisitPhoto {
        id: row.id,
        visit_id: row.visit_id,
        file_name: row.file_name,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        latitude: row.latitude.0,
        longitude: row.longitude.0,
    }
}

async fn visit_rows(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> StoreResult<Vec<supervision_visit::Model>> {
    Ok(supervision_visit::Entity::find()
        .filter(supervision_visit::Column::ProjectId.eq(project_id))
        .order_by_asc(supervision_visit::Column::VisitedOn)
        .order_by_asc(supervision_visit::Column::Id)
        .all(db)
        .await?)
}

fn findings_of(row: &supervision_visit::Model) -> StoreResult<Vec<Finding>> {
    serde_json::from_str(&row.findings).map_err(|e| corrupt("supervision visit", row.id, e))
}

/// The latest finding of each plan line, from visits oldest first.
fn latest_findings(rows: &[supervision_visit::Model]) -> StoreResult<BTreeMap<u32, Finding>> {
    let mut latest = BTreeMap::new();
    for row in rows {
        for f in findings_of(row)? {
            latest.insert(f.line, f);
        }
    }
    Ok(latest)
}

async fn commitment_rows(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> StoreResult<Vec<visit_commitment::Model>> {
    Ok(visit_commitment::Entity::find()
        .filter(visit_commitment::Column::ProjectId.eq(project_id))
        .order_by_asc(visit_commitment::Column::Id)
        .all(db)
        .await?)
}

/// The accompaniment activities of a project: (delivered, all).
async fn activity_counts(db: &impl ConnectionTrait, project_id: i32) -> StoreResult<(usize, usize)> {
    let rows = accompaniment_activity::Entity::find()
        .filter(accompaniment_activity::Column::ProjectId.eq(project_id))
        .all(db)
        .await?;
    Ok((
        rows.iter().filter(|r| r.delivered_on.is_some()).count(),
        rows.len(),
    ))
}

/// Each month from `from`'s to `to`'s: its `YYYY-MM` and its last day (`to` for the last).
fn months(from: Option<Date>, to: Date) -> Vec<(String, Date)> {
    let Some(from) = from else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut first = from.first_of_month();
    while first <= to {
        let end = first.last_of_month().min(to);
        out.push((format!("{:04}-{:02}", first.year(), first.month()), end));
        match first.checked_add(jiff::Span::new().months(1)) {
            Ok(next) => first = next,
            Err(_) => break,
        }
    }
    out
}

/// The awarding office's code and the call's code of a project.
async fn office_and_call(
    db: &impl ConnectionTrait,
    the_project: &project::Model,
) -> StoreResult<(Option<String>, Option<String>)> {
    let Some(award_id) = the_project.award_id else {
        return Ok((None, None));
    };
    let Some(the_award) = crate::entity::award::Entity::find_by_id(award_id).one(db).await? else {
        return Ok((None, None));
    };
    let call_id = crate::entity::formulation::Entity::find_by_id(the_award.formulation_id)
        .one(db)
        .await?
        .and_then(|f| f.call_id);
    let call = match call_id {
        Some(id) => crate::entity::call::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| c.code),
        None => None,
    };
    Ok((Some(the_award.office_code), call))
}

/// The physical progress of many projects at once, by project id: their latest stored plan and
/// their visits, two queries whatever the number (a project without a stored plan is left out).
pub(crate) async fn physical_by_project(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> StoreResult<std::collections::HashMap<i32, Decimal>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut plans: BTreeMap<i32, crate::entity::investment_plan::Model> = BTreeMap::new();
    for row in crate::entity::investment_plan::Entity::find()
        .filter(crate::entity::investment_plan::Column::ProjectId.is_in(ids.iter().copied()))
        .order_by_asc(crate::entity::investment_plan::Column::Version)
        .all(db)
        .await?
    {
        plans.insert(row.project_id, row);
    }
    let mut visits: BTreeMap<i32, Vec<supervision_visit::Model>> = BTreeMap::new();
    for row in supervision_visit::Entity::find()
        .filter(supervision_visit::Column::ProjectId.is_in(ids.iter().copied()))
        .order_by_asc(supervision_visit::Column::VisitedOn)
        .order_by_asc(supervision_visit::Column::Id)
        .all(db)
        .await?
    {
        visits.entry(row.project_id).or_default().push(row);
    }
    for (project_id, row) in plans {
        let plan: vereda_domain::ledger::InvestmentPlan =
            serde_json::from_str(&row.lines).map_err(|e| corrupt("investment plan", row.id, e))?;
        let latest = latest_findings(visits.get(&project_id).map(Vec::as_slice).unwrap_or_default())?;
        out.insert(project_id, physical_progress(&plan, &latest));
    }
    Ok(out)
}

/// What a project's alerts are raised from besides its progress, as its stored summary keeps
/// it (`project_followup_facts`), so the alerts of every project are read, not recomputed:
/// the alerts that depend on the day (no movement, a commitment past due, the policy) are
/// asked of the domain with the reader's today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlertBasis {
    pub paid_on: Option<Date>,
    pub last_movement: Option<Date>,
    pub closed: bool,
    pub over_plan: Vec<LineOverPlan>,
    pub open_commitments: Vec<OpenCommitment>,
}

impl AlertBasis {
    /// The project's alerts on `today` (the domain's [`alerts`]).
    pub fn alerts(&self, today: Date, physical: Decimal, financial: Decimal) -> Vec<Alert> {
        alerts(&AlertFacts {
            today,
            closed: self.closed,
            paid_on: self.paid_on,
            last_movement: self.last_movement,
            over_plan: &self.over_plan,
            physical,
            financial,
            open_commitments: &self.open_commitments,
        })
    }
}

/// A project's progress for its stored summary, with what its alerts are raised from: none
/// while its awarded version holds no plan.
pub(crate) async fn stored_progress(
    db: &impl ConnectionTrait,
    the_project: &project::Model,
    today: Date,
) -> StoreResult<Option<(Progress, AlertBasis)>> {
    match progress_and_basis(db, the_project, today).await {
        Ok(both) => Ok(Some(both)),
        Err(StoreError::Invalid(message)) if message.code() == "ledger-error-no_plan" => Ok(None),
        Err(error) => Err(error),
    }
}

/// Progress and alerts of a project, read in `db` (a transaction when closing).
async fn progress_in(
    db: &impl ConnectionTrait,
    the_project: &project::Model,
    today: Date,
) -> StoreResult<Progress> {
    Ok(progress_and_basis(db, the_project, today).await?.0)
}

async fn progress_and_basis(
    db: &impl ConnectionTrait,
    the_project: &project::Model,
    today: Date,
) -> StoreResult<(Progress, AlertBasis)> {
    let plan = plan_in_force(db, None, the_project).await?;
    let (paid_on, _) = payment_of(db, the_project).await?;
    let movements = ledger_movement::Entity::find()
        .filter(ledger_movement::Column::ProjectId.eq(the_project.id))
        .all(db)
        .await?;
    let executed = executed_by_line(&movements);
    let last_movement = movements.iter().map(|m| m.moved_on.0).max();
    let visits = visit_rows(db, the_project.id).await?;
    let latest = latest_findings(&visits)?;
    let commitments = commitment_rows(db, the_project.id).await?;
    let open: Vec<OpenCommitment> = commitments
        .iter()
        .filter(|c| c.closed_by_visit.is_none())
        .map(|c| OpenCommitment {
            id: c.id,
            due_on: c.due_on.0,
        })
        .collect();
    let activities = activity_counts(db, the_project.id).await?;
    let physical = physical_progress(&plan.plan, &latest);
    let financial = financial_progress(&plan.plan, &executed);
    let management = management_progress((commitments.len() - open.len(), commitments.len()), activities);
    let closed = the_project.status == ExecutionStatus::Closed.as_str();
    let monthly = months(paid_on, today)
        .into_iter()
        .map(|(month, end)| {
            let spent: BTreeMap<u32, Decimal> = executed_by_line(
                &movements
                    .iter()
                    .filter(|m| m.moved_on.0 <= end)
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            let seen: Vec<supervision_visit::Model> =
                visits.iter().filter(|v| v.visited_on.0 <= end).cloned().collect();
            Ok(MonthProgress {
                month,
                physical: physical_progress(&plan.plan, &latest_findings(&seen)?),
                financial: financial_progress(&plan.plan, &spent),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let (office, call) = office_and_call(db, the_project).await?;
    let basis = AlertBasis {
        paid_on,
        last_movement,
        closed,
        over_plan: lines_over_plan(&plan.plan, &executed),
        open_commitments: open,
    };
    let raised = basis.alerts(today, physical, financial);
    Ok((
        Progress {
            code: the_project.code.clone(),
            office,
            call,
            monthly,
            physical,
            financial,
            management,
            closed,
            alerts: raised,
        },
        basis,
    ))
}

impl Store {
    /// Records a supervision visit of the surveillance team (Art. 34-35): its findings per
    /// plan line, observations, rating and commitments, closing the open commitments of
    /// earlier visits it names. Refused with the domain's first problem (`Invalid`, its
    /// `field`); a commitment not open or not of the project is `followup-error-not_open`.
    pub async fn record_visit(
        &self,
        actor: &Actor,
        code: &str,
        new: &NewVisit,
        today: Date,
    ) -> StoreResult<i32> {
        let recorder = account_of(actor)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordMeasurements).await?;
        let plan = plan_in_force(&txn, Some((&txn, actor)), &the_project).await?;
        let (paid_on, _) = payment_of(&txn, &the_project).await?;
        let draft = &new.draft;
        draft
            .check(&plan.plan, paid_on, today)
            .map_err(StoreError::Invalid)?;
        let commitments = commitment_rows(&txn, the_project.id).await?;
        let mut closing = Vec::new();
        for id in &new.closes {
            match commitments
                .iter()
                .find(|c| c.id == *id && c.closed_by_visit.is_none())
            {
                Some(c) => closing.push(c.clone()),
                None => {
                    return Err(StoreError::Invalid(
                        Message::new("followup-error-not_open")
                            .with("commitment", *id)
                            .with("field", "closes"),
                    ));
                }
            }
        }
        let team: Vec<String> = draft
            .team
            .iter()
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        let visit = audit::insert(
            &txn,
            actor,
            supervision_visit::ActiveModel {
                project_id: Set(the_project.id),
                visited_on: Set(DbDate(draft.visited_on)),
                team: Set(to_json(&team)?),
                findings: Set(to_json(&draft.findings)?),
                environmental: Set(draft.environmental.trim().to_owned()),
                legal: Set(draft.legal.trim().to_owned()),
                rating: Set(i32::from(draft.rating)),
                recorded_by: Set(recorder),
                created_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await?;
        for c in &draft.commitments {
            audit::insert(
                &txn,
                actor,
                visit_commitment::ActiveModel {
                    project_id: Set(the_project.id),
                    visit_id: Set(visit.id),
                    description: Set(c.description.trim().to_owned()),
                    due_on: Set(DbDate(c.due_on)),
                    closed_by_visit: Set(None),
                    closed_on: Set(None),
                    ..Default::default()
                },
            )
            .await?;
        }
        for before in &closing {
            let update = visit_commitment::Entity::update_many()
                .col_expr(visit_commitment::Column::ClosedByVisit, Expr::value(visit.id))
                .col_expr(
                    visit_commitment::Column::ClosedOn,
                    Expr::value(DbDate(draft.visited_on)),
                )
                .filter(visit_commitment::Column::Id.eq(before.id))
                .filter(visit_commitment::Column::ClosedByVisit.is_null());
            audit::conditional_update(&txn, actor, update, before, before.id, || {
                StoreError::Conflict(Message::new("followup-error-not_open").with("commitment", before.id))
            })
            .await?;
        }
        crate::portfolio::refresh_summary(&txn, the_project.id).await?;
        txn.commit().await?;
        Ok(visit.id)
    }

    /// Records a photo of a visit with where it was taken.
    pub async fn add_visit_photo(
        &self,
        actor: &Actor,
        code: &str,
        visit_id: i32,
        new: NewVisitPhoto,
    ) -> StoreResult<VisitPhoto> {
        if !matches!(new.content_type.as_str(), "image/jpeg" | "image/png") {
            return Err(StoreError::Invalid(
                Message::new("parcel-error-photo_kind").with("field", "photo"),
            ));
        }
        check_coordinates(new.latitude, new.longitude)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordMeasurements).await?;
        supervision_visit::Entity::find_by_id(visit_id)
            .filter(supervision_visit::Column::ProjectId.eq(the_project.id))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "visit",
                id: visit_id.to_string(),
            })?;
        let row = visit_photo::ActiveModel {
            visit_id: Set(visit_id),
            project_id: Set(the_project.id),
            file_name: Set(new.file_name),
            content_type: Set(new.content_type),
            size_bytes: Set(new.size_bytes),
            sha256: Set(new.sha256),
            latitude: Set(Dec(new.latitude)),
            longitude: Set(Dec(new.longitude)),
            uploaded_by: Set(actor.user_id()),
            uploaded_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        Ok(photo_of(stored))
    }

    /// A photo of a visit of a project, by its id.
    pub async fn visit_photo(&self, code: &str, id: i32) -> StoreResult<Option<VisitPhoto>> {
        let the_project = project_by_code(&self.db, code).await?;
        Ok(visit_photo::Entity::find_by_id(id)
            .filter(visit_photo::Column::ProjectId.eq(the_project.id))
            .one(&self.db)
            .await?
            .map(photo_of))
    }

    /// A project's visits, oldest first, with their photos, and its commitments.
    pub async fn visits(&self, code: &str) -> StoreResult<Visits> {
        let the_project = project_by_code(&self.db, code).await?;
        let rows = visit_rows(&self.db, the_project.id).await?;
        let emails = emails_of(&self.db, rows.iter().map(|r| r.recorded_by)).await?;
        let mut photos: BTreeMap<i32, Vec<VisitPhoto>> = BTreeMap::new();
        for row in visit_photo::Entity::find()
            .filter(visit_photo::Column::ProjectId.eq(the_project.id))
            .order_by_asc(visit_photo::Column::Id)
            .all(&self.db)
            .await?
        {
            photos.entry(row.visit_id).or_default().push(photo_of(row));
        }
        let visits = rows
            .into_iter()
            .map(|row| {
                Ok(Visit {
                    findings: findings_of(&row)?,
                    team: serde_json::from_str(&row.team)
                        .map_err(|e| corrupt("supervision visit", row.id, e))?,
                    photos: photos.remove(&row.id).unwrap_or_default(),
                    recorded_by: emails.get(&row.recorded_by).cloned(),
                    id: row.id,
                    visited_on: row.visited_on.0,
                    environmental: row.environmental,
                    legal: row.legal,
                    rating: row.rating,
                })
            })
            .collect::<StoreResult<_>>()?;
        let commitments = commitment_rows(&self.db, the_project.id)
            .await?
            .into_iter()
            .map(commitment_of)
            .collect();
        Ok(Visits { visits, commitments })
    }

    /// A project's physical, financial and management progress and its alerts on `today`.
    pub async fn progress(&self, code: &str, today: Date) -> StoreResult<Progress> {
        let the_project = project_by_code(&self.db, code).await?;
        progress_in(&self.db, &the_project, today).await
    }

    /// The progress and alerts of every awarded project the actor reaches (its office's, or
    /// all for a national account), by code; closed projects included with no alerts. Read
    /// from the stored summaries and follow-up facts (`crate::inbox::stored_alerts`), a few
    /// queries whatever the number of projects; `monthly` is left empty here (a project's
    /// months are on [`Store::progress`]).
    pub async fn office_progress(&self, actor: &Actor, today: Date) -> StoreResult<Vec<Progress>> {
        let reach = self.reach(actor).await?;
        crate::inbox::stored_alerts(&self.db, &reach, today).await
    }

    /// The accompaniment plan of a project: the approved formulation's description and
    /// training topics (Art. 18.5) and the activities scheduled from them, in date order.
    pub async fn accompaniment(&self, code: &str) -> StoreResult<Accompaniment> {
        let the_project = project_by_code(&self.db, code).await?;
        let (_, version) = awarded_version(&self.db, &the_project).await?;
        let plan = crate::custody::content_of(&version)?.frame.accompaniment;
        let activities = accompaniment_activity::Entity::find()
            .filter(accompaniment_activity::Column::ProjectId.eq(the_project.id))
            .order_by_asc(accompaniment_activity::Column::ScheduledOn)
            .order_by_asc(accompaniment_activity::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| Activity {
                id: a.id,
                topic: a.topic,
                scheduled_on: a.scheduled_on.0,
                delivered_on: a.delivered_on.map(|d| d.0),
                families: a.families,
                women: a.women,
                men: a.men,
                evidence_sha256: a.evidence_sha256,
                evidence_name: a.evidence_name,
            })
            .collect();
        Ok(Accompaniment {
            description: plan.description,
            topics: plan
                .training_topics
                .into_iter()
                .filter(|t| !t.trim().is_empty())
                .collect(),
            activities,
        })
    }

    /// Schedules an activity of the accompaniment plan on one of the formulation's topics.
    pub async fn schedule_activity(
        &self,
        actor: &Actor,
        code: &str,
        topic: &str,
        scheduled_on: Date,
    ) -> StoreResult<i32> {
        let recorder = account_of(actor)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordMeasurements).await?;
        let (_, version) = awarded_version(&txn, &the_project).await?;
        let topics = crate::custody::content_of(&version)?
            .frame
            .accompaniment
            .training_topics;
        let (paid_on, _) = payment_of(&txn, &the_project).await?;
        check_schedule(topic, &topics, scheduled_on, paid_on).map_err(StoreError::Invalid)?;
        let stored = audit::insert(
            &txn,
            actor,
            accompaniment_activity::ActiveModel {
                project_id: Set(the_project.id),
                topic: Set(topic.trim().to_owned()),
                scheduled_on: Set(DbDate(scheduled_on)),
                delivered_on: Set(None),
                families: Set(None),
                women: Set(None),
                men: Set(None),
                evidence_sha256: Set(None),
                evidence_name: Set(None),
                recorded_by: Set(recorder),
                created_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await?;
        crate::portfolio::refresh_summary(&txn, the_project.id).await?;
        txn.commit().await?;
        Ok(stored.id)
    }

    /// Records the delivery of a scheduled activity with its attendance by sex and its
    /// evidence (Art. 36); an activity is delivered once.
    pub async fn deliver_activity(
        &self,
        actor: &Actor,
        code: &str,
        id: i32,
        new: &NewDelivery,
        today: Date,
    ) -> StoreResult<()> {
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordMeasurements).await?;
        let before = accompaniment_activity::Entity::find_by_id(id)
            .filter(accompaniment_activity::Column::ProjectId.eq(the_project.id))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "accompaniment activity",
                id: id.to_string(),
            })?;
        let delivered =
            || StoreError::Conflict(Message::new("followup-error-delivered").with("activity", id));
        if before.delivered_on.is_some() {
            return Err(delivered());
        }
        let (paid_on, _) = payment_of(&txn, &the_project).await?;
        let paid_on = paid_on.ok_or_else(|| {
            StoreError::Invalid(
                Message::new("followup-error-not_paid")
                    .with("article", "Art. 34")
                    .with("field", "delivered_on"),
            )
        })?;
        let families = crate::count_rows(
            project_beneficiary::Entity::find()
                .filter(project_beneficiary::Column::ProjectId.eq(the_project.id)),
            &txn,
        )
        .await?;
        let evidence = new.evidence_sha256.as_deref().filter(|s| !s.is_empty());
        ActivityDelivery {
            delivered_on: new.delivered_on,
            families: new.families,
            women: new.women,
            men: new.men,
            has_evidence: evidence.is_some(),
        }
        .check(u32::try_from(families).unwrap_or(u32::MAX), paid_on, today)
        .map_err(StoreError::Invalid)?;
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let update = accompaniment_activity::Entity::update_many()
            .col_expr(
                accompaniment_activity::Column::DeliveredOn,
                Expr::value(DbDate(new.delivered_on)),
            )
            .col_expr(
                accompaniment_activity::Column::Families,
                Expr::value(count(new.families)),
            )
            .col_expr(
                accompaniment_activity::Column::Women,
                Expr::value(count(new.women)),
            )
            .col_expr(accompaniment_activity::Column::Men, Expr::value(count(new.men)))
            .col_expr(
                accompaniment_activity::Column::EvidenceSha256,
                Expr::value(evidence.map(str::to_owned)),
            )
            .col_expr(
                accompaniment_activity::Column::EvidenceName,
                Expr::value(new.evidence_name.clone()),
            )
            .filter(accompaniment_activity::Column::Id.eq(id))
            .filter(accompaniment_activity::Column::DeliveredOn.is_null());
        audit::conditional_update(&txn, actor, update, &before, id, delivered).await?;
        crate::portfolio::refresh_summary(&txn, the_project.id).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Closes a project with its act (acta de cierre, Art. 34): the final reconciliation's
    /// figures, each plan line planned, executed and as the latest visit found it, the
    /// progress, the refund of the balance to the institute (recorded as a refund movement of
    /// the account), and the signatures: the territorial director's account and the families'
    /// representative. After it, nothing of the project changes.
    pub async fn close_project(
        &self,
        actor: &Actor,
        code: &str,
        new: &NewClosure,
        today: Date,
    ) -> StoreResult<i32> {
        let signer = account_of(actor)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::CloseProject).await?;
        let plan = plan_in_force(&txn, Some((&txn, actor)), &the_project).await?;
        let (paid_on, disbursed) = payment_of(&txn, &the_project).await?;
        let Some(paid_on) = paid_on else {
            return Err(StoreError::Invalid(
                Message::new("followup-error-not_paid")
                    .with("article", "Art. 34")
                    .with("field", "closed_on"),
            ));
        };
        if new.closed_on < paid_on || new.closed_on > today {
            return Err(StoreError::Invalid(
                Message::new("closure-error-date")
                    .with("date", new.closed_on)
                    .with("paid_on", paid_on)
                    .with("field", "closed_on"),
            ));
        }
        check_representative(
            &txn,
            the_project.id,
            &new.representative_name,
            &new.representative_document,
        )
        .await?;
        let progress = progress_in(&txn, &the_project, new.closed_on).await?;
        let movements = ledger_movement::Entity::find()
            .filter(ledger_movement::Column::ProjectId.eq(the_project.id))
            .all(&txn)
            .await?;
        let executed = executed_by_line(&movements);
        let balance: Decimal = movements
            .iter()
            .map(|m| {
                m.kind
                    .parse::<MovementKind>()
                    .map(|k| k.signed(m.value.0))
                    .map_err(|e| corrupt("ledger movement", m.id, e))
            })
            .sum::<StoreResult<Decimal>>()?;
        let spent: Decimal = executed.values().copied().sum();
        let figures = closing_figures(disbursed.unwrap_or_default(), spent, balance);
        check_closure(
            new.reason,
            new.closed_on,
            the_project.period_end.0,
            progress.financial,
            figures.to_refund,
            new.refund_value,
        )
        .map_err(StoreError::Invalid)?;
        let reference = new.refund_reference.trim();
        if new.refund_value > Decimal::ZERO && (new.refund_on.is_none() || reference.is_empty()) {
            return Err(StoreError::Invalid(
                Message::new("closure-error-refund_evidence")
                    .with("article", "Art. 34")
                    .with("field", "refund_reference"),
            ));
        }
        let visits = visit_rows(&txn, the_project.id).await?;
        let latest = latest_findings(&visits)?;
        let lines: Vec<ClosedLine> = plan
            .plan
            .lines
            .iter()
            .map(|l| ClosedLine {
                number: l.number,
                description: l.description.clone(),
                planned: l.amount,
                executed: executed.get(&l.number).copied().unwrap_or_default(),
                delivery: latest.get(&l.number).map(|f| f.delivery),
            })
            .collect();
        if new.refund_value > Decimal::ZERO
            && let Some(refund_on) = new.refund_on
        {
            audit::insert(
                &txn,
                actor,
                ledger_movement::ActiveModel {
                    project_id: Set(the_project.id),
                    moved_on: Set(DbDate(refund_on)),
                    value: Set(Dec(new.refund_value)),
                    kind: Set(MovementKind::Reimbursement.to_string()),
                    plan_line: Set(None),
                    source: Set(None),
                    supplier_name: Set(String::new()),
                    supplier_nit: Set(None),
                    reference: Set(reference.to_owned()),
                    document_sha256: Set(None),
                    document_name: Set(None),
                    officer_id: Set(signer),
                    representative_name: Set(new.representative_name.trim().to_owned()),
                    representative_document: Set(new.representative_document.trim().to_owned()),
                    duplicate_of: Set(None),
                    created_at: Set(DbTimestamp::now()),
                    ..Default::default()
                },
            )
            .await?;
        }
        let closure = audit::insert(
            &txn,
            actor,
            project_closure::ActiveModel {
                project_id: Set(the_project.id),
                closed_on: Set(DbDate(new.closed_on)),
                reason: Set(new.reason.to_string()),
                disbursed: Set(Dec(figures.disbursed)),
                executed: Set(Dec(figures.executed)),
                balance: Set(Dec(figures.balance)),
                refund_value: Set(Dec(new.refund_value)),
                refund_on: Set(new.refund_on.map(DbDate)),
                refund_reference: Set(reference.to_owned()),
                physical: Set(Dec(progress.physical)),
                financial: Set(Dec(progress.financial)),
                management: Set(Dec(progress.management)),
                lines: Set(to_json(&lines)?),
                observations: Set(new.observations.trim().to_owned()),
                signed_by: Set(signer),
                representative_name: Set(new.representative_name.trim().to_owned()),
                representative_document: Set(new.representative_document.trim().to_owned()),
                created_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await
        .map_err(crate::on_duplicate(|| {
            StoreError::Conflict(
                Message::new("closure-error-closed")
                    .with("code", code)
                    .with("article", "Art. 34"),
            )
        }))?;
        let update = project::Entity::update_many()
            .col_expr(
                project::Column::Status,
                Expr::value(ExecutionStatus::Closed.as_str()),
            )
            .col_expr(project::Column::UpdatedAt, Expr::value(DbTimestamp::now()))
            .filter(project::Column::Id.eq(the_project.id))
            .filter(project::Column::Status.ne(ExecutionStatus::Closed.as_str()));
        audit::conditional_update(&txn, actor, update, &the_project, the_project.id, || {
            StoreError::Conflict(
                Message::new("closure-error-closed")
                    .with("code", code)
                    .with("article", "Art. 34"),
            )
        })
        .await?;
        crate::portfolio::refresh_summary(&txn, the_project.id).await?;
        txn.commit().await?;
        Ok(closure.id)
    }

    /// The act of closure of a project, if it was closed.
    pub async fn closure(&self, code: &str) -> StoreResult<Option<Closure>> {
        let the_project = project_by_code(&self.db, code).await?;
        let Some(row) = project_closure::Entity::find()
            .filter(project_closure::Column::ProjectId.eq(the_project.id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let emails = emails_of(&self.db, [row.signed_by]).await?;
        Ok(Some(Closure {
            id: row.id,
            code: the_project.code,
            closed_on: row.closed_on.0,
            reason: row
                .reason
                .parse()
                .map_err(|e| corrupt("project closure", row.id, e))?,
            figures: ClosingFigures {
                disbursed: row.disbursed.0,
                executed: row.executed.0,
                balance: row.balance.0,
                to_refund: row.balance.0.max(Decimal::ZERO),
            },
            refund_value: row.refund_value.0,
            refund_on: row.refund_on.map(|d| d.0),
            refund_reference: row.refund_reference,
            physical: row.physical.0,
            financial: row.financial.0,
            management: row.management.0,
            lines: serde_json::from_str(&row.lines).map_err(|e| corrupt("project closure", row.id, e))?,
            observations: row.observations,
            signed_by: emails.get(&row.signed_by).cloned(),
            signer_id: row.signed_by,
            representative_name: row.representative_name,
            representative_document: row.representative_document,
        }))
    }
}

/// A value kept as JSON text.
fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Fault(e.to_string()))
}
