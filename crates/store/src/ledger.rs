//! After the payment (Art. 29 par., 34): the project's investment plan, its changes, and the
//! controlled account's ledger with its bank statements and their reconciliation.
//!
//! The plan is frozen at the award (`plan_at_award`, in the award's transaction) as version 1
//! with its SHA-256. A project awarded before the plan was kept gets it derived from its
//! approved version on first use: read (not stored) by the readers, stored as version 1
//! (`derived`) by the first writing step. A change moves money between lines (the domain keeps
//! the total) and counts once the territorial director, another account than its requester,
//! approves it with a motivation: version n + 1.
//!
//! A movement is checked by the domain (`MovementDraft::check`) against the plan in force and
//! what the payments already spent, read inside the writing transaction with the project's row
//! locked (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's writing transactions start with
//! `BEGIN IMMEDIATE`), so two officers at once cannot together take a line over its amount.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use vereda_domain::accounts::Permission;
use vereda_domain::audit::Actor;
use vereda_domain::household::normalize_document;
use vereda_domain::ledger::{
    Entry, Execution, InvestmentPlan, LedgerFacts, MovementDraft, MovementKind, Reconciliation, Source,
    StatementLine, execution, is_duplicate, reconcile,
};

use crate::entity::{
    award, bank_statement, bank_statement_line, disbursement, formulation_version, investment_plan,
    ledger_movement, person, plan_change, project, project_beneficiary, user,
};
use crate::scope::Target;
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, audit, corrupt};

/// Where a version of a plan came from: frozen at the award, derived from the approved version
/// for a project awarded before plans were kept, or an approved change.
pub const PLAN_ORIGINS: &[&str] = &["award", "derived", "change"];

/// A version of a project's investment plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanVersion {
    pub version: i32,
    pub plan: InvestmentPlan,
    pub total: Decimal,
    pub sha256: String,
    /// `award`, `derived` or `change`.
    pub origin: String,
    /// `false` for a plan derived for reading, not yet stored.
    pub stored: bool,
}

/// The status of a requested change of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Requested,
    Approved,
    Returned,
}

impl ChangeStatus {
    pub const ALL: &[ChangeStatus] = &[
        ChangeStatus::Requested,
        ChangeStatus::Approved,
        ChangeStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Requested => "requested",
            ChangeStatus::Approved => "approved",
            ChangeStatus::Returned => "returned",
        }
    }

    fn parse(text: &str) -> Option<ChangeStatus> {
        [
            ChangeStatus::Requested,
            ChangeStatus::Approved,
            ChangeStatus::Returned,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A requested change of a plan, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanChange {
    pub id: i32,
    pub base_version: i32,
    pub amounts: BTreeMap<u32, Decimal>,
    pub motivation: String,
    pub status: ChangeStatus,
    pub requested_by: Option<String>,
    pub reviewed_by: Option<String>,
    pub review_motivation: Option<String>,
}

/// A movement as an officer records it.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub draft: MovementDraft,
    /// The families' signature: one of the project's heads of household.
    pub representative_name: String,
    pub representative_document: String,
    /// The invoice or receipt, kept under its SHA-256.
    pub document_sha256: Option<String>,
    pub document_name: Option<String>,
    /// Stores a movement with the same date, value and reference as an earlier one, flagged.
    pub confirm_duplicate: bool,
}

/// A recorded movement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Movement {
    pub id: i32,
    pub date: Date,
    pub value: Decimal,
    pub kind: MovementKind,
    pub line: Option<u32>,
    pub source: Option<Source>,
    pub supplier_name: String,
    pub supplier_nit: Option<String>,
    pub reference: String,
    pub document_sha256: Option<String>,
    pub document_name: Option<String>,
    pub officer: Option<String>,
    pub representative_name: String,
    pub representative_document: String,
    pub duplicate_of: Option<i32>,
}

/// A line of a statement to import: its line in the file and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatementLine {
    pub line: usize,
    pub date: Date,
    pub description: String,
    pub reference: String,
    pub debit: Decimal,
    pub credit: Decimal,
    pub balance: Option<Decimal>,
}

/// An imported statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub id: i32,
    pub file_name: String,
    pub file_sha256: String,
    pub lines: i32,
}

/// Everything the account's page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ledger {
    pub plan: PlanVersion,
    pub paid_on: Option<Date>,
    pub disbursed: Option<Decimal>,
    pub movements: Vec<Movement>,
    pub execution: Execution,
    pub statements: Vec<Statement>,
    pub statement_lines: Vec<StatementLine>,
    pub reconciliation: Reconciliation,
}

pub(crate) fn account_of(actor: &Actor) -> StoreResult<i32> {
    actor
        .user_id()
        .ok_or_else(|| StoreError::Forbidden(Message::new("monitoring-error-account_required")))
}

pub(crate) async fn project_by_code(db: &impl ConnectionTrait, code: &str) -> StoreResult<project::Model> {
    project::Entity::find()
        .filter(project::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "project",
            id: code.to_owned(),
        })
}

fn plan_of_row(row: investment_plan::Model) -> StoreResult<PlanVersion> {
    let plan: InvestmentPlan =
        serde_json::from_str(&row.lines).map_err(|e| corrupt("investment plan", row.id, e))?;
    Ok(PlanVersion {
        version: row.version,
        total: row.total.0,
        sha256: row.sha256,
        origin: row.origin,
        plan,
        stored: true,
    })
}

/// The plan of the award's approved version: its budget, with the categories its rule set
/// makes eligible (Art. 20).
fn plan_of_version(version: &formulation_version::Model) -> StoreResult<InvestmentPlan> {
    let evaluated = crate::custody::evaluate_version(version)?;
    Ok(InvestmentPlan::from_budget(
        &evaluated.content.budget,
        &evaluated.rules.eligible_categories.value,
    ))
}

async fn insert_plan(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    project_id: i32,
    version: i32,
    plan: &InvestmentPlan,
    origin: &str,
    change_id: Option<i32>,
) -> StoreResult<PlanVersion> {
    let lines = serde_json::to_string(plan).map_err(|e| StoreError::Fault(e.to_string()))?;
    let row = investment_plan::ActiveModel {
        project_id: Set(project_id),
        version: Set(version),
        lines: Set(lines),
        total: Set(Dec(plan.total())),
        sha256: Set(plan.sha256()),
        origin: Set(origin.to_owned()),
        change_id: Set(change_id),
        created_at: Set(DbTimestamp::now()),
        ..Default::default()
    };
    let stored = audit::insert(txn, actor, row)
        .await
        .map_err(crate::on_duplicate(|| {
            StoreError::Conflict(Message::new("ledger-error-plan_changed"))
        }))?;
    plan_of_row(stored)
}

/// Freezes the awarded version's budget as the project's plan, version 1, in the award's
/// transaction.
pub(crate) async fn plan_at_award(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    project_id: i32,
    evaluated: &crate::custody::EvaluatedVersion,
) -> StoreResult<()> {
    let plan = InvestmentPlan::from_budget(
        &evaluated.content.budget,
        &evaluated.rules.eligible_categories.value,
    );
    insert_plan(txn, actor, project_id, 1, &plan, "award", None).await?;
    Ok(())
}

/// The approved version of the formulation an award concerns (approved formulations are
/// never saved again, so it is the latest).
pub(crate) async fn awarded_version(
    db: &impl ConnectionTrait,
    the_project: &project::Model,
) -> StoreResult<(award::Model, formulation_version::Model)> {
    let no_plan =
        || StoreError::Invalid(Message::new("ledger-error-no_plan").with("code", &the_project.code));
    let award_id = the_project.award_id.ok_or_else(no_plan)?;
    let the_award = award::Entity::find_by_id(award_id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("project", the_project.id, "its award is gone"))?;
    let version = formulation_version::Entity::find()
        .filter(formulation_version::Column::FormulationId.eq(the_award.formulation_id))
        .order_by_desc(formulation_version::Column::Number)
        .one(db)
        .await?
        .ok_or_else(no_plan)?;
    Ok((the_award, version))
}

/// Every stored version of a project's plan, oldest first.
pub(crate) async fn stored_plans(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> StoreResult<Vec<PlanVersion>> {
    investment_plan::Entity::find()
        .filter(investment_plan::Column::ProjectId.eq(project_id))
        .order_by_asc(investment_plan::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(plan_of_row)
        .collect()
}

/// The plan in force: the latest stored version, or the one derived from the approved version
/// (stored when `txn` is given).
pub(crate) async fn plan_in_force(
    db: &impl ConnectionTrait,
    store_in: Option<(&sea_orm::DatabaseTransaction, &Actor)>,
    the_project: &project::Model,
) -> StoreResult<PlanVersion> {
    if let Some(latest) = stored_plans(db, the_project.id).await?.pop() {
        return Ok(latest);
    }
    let (_, version) = awarded_version(db, the_project).await?;
    let plan = plan_of_version(&version)?;
    match store_in {
        Some((txn, actor)) => insert_plan(txn, actor, the_project.id, 1, &plan, "derived", None).await,
        None => Ok(PlanVersion {
            version: 1,
            total: plan.total(),
            sha256: plan.sha256(),
            origin: "derived".into(),
            plan,
            stored: false,
        }),
    }
}

/// The payment of the project's award: its date and amount.
pub(crate) async fn payment_of(
    db: &impl ConnectionTrait,
    the_project: &project::Model,
) -> StoreResult<(Option<Date>, Option<Decimal>)> {
    let Some(award_id) = the_project.award_id else {
        return Ok((None, None));
    };
    let Some(the_award) = award::Entity::find_by_id(award_id).one(db).await? else {
        return Ok((None, None));
    };
    let paid = disbursement::Entity::find()
        .filter(disbursement::Column::FormulationId.eq(the_award.formulation_id))
        .one(db)
        .await?;
    Ok(match paid {
        Some(d) => (d.paid_on.map(|p| p.0), d.amount.map(|a| a.0)),
        None => (None, None),
    })
}

fn movement_of(row: ledger_movement::Model, emails: &HashMap<i32, String>) -> StoreResult<Movement> {
    Ok(Movement {
        kind: row
            .kind
            .parse()
            .map_err(|e| corrupt("ledger movement", row.id, e))?,
        source: row
            .source
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| corrupt("ledger movement", row.id, e))?,
        id: row.id,
        date: row.moved_on.0,
        value: row.value.0,
        line: row.plan_line.and_then(|l| u32::try_from(l).ok()),
        supplier_name: row.supplier_name,
        supplier_nit: row.supplier_nit,
        reference: row.reference,
        document_sha256: row.document_sha256,
        document_name: row.document_name,
        officer: emails.get(&row.officer_id).cloned(),
        representative_name: row.representative_name,
        representative_document: row.representative_document,
        duplicate_of: row.duplicate_of,
    })
}

fn entry_of(m: &Movement) -> Entry {
    Entry {
        id: m.id,
        date: m.date,
        kind: m.kind,
        value: m.value,
        line: m.line,
        reference: m.reference.clone(),
    }
}

/// What the recorded payments spent, by plan line.
pub(crate) fn executed_by_line(movements: &[ledger_movement::Model]) -> BTreeMap<u32, Decimal> {
    let mut executed = BTreeMap::new();
    for m in movements {
        if m.kind == MovementKind::Payment.as_str()
            && let Some(line) = m.plan_line.and_then(|l| u32::try_from(l).ok())
        {
            *executed.entry(line).or_default() += m.value.0;
        }
    }
    executed
}

/// Keeps the project's stored expenditures (`project_expenditures`: its payments added up by
/// day, and the running total) equal to its movements, in the transaction that stored
/// `movements[first_new..]`: every day from the earliest those touch is added up again from
/// all of `movements` (the project's), since a later day's running total includes it.
pub(crate) async fn store_expenditures(
    db: &impl ConnectionTrait,
    project_id: i32,
    movements: &[ledger_movement::Model],
    first_new: usize,
) -> StoreResult<()> {
    use crate::entity::project_expenditure;
    let payment = |m: &&ledger_movement::Model| m.kind == MovementKind::Payment.as_str();
    let Some(from) = movements
        .get(first_new..)
        .unwrap_or_default()
        .iter()
        .filter(payment)
        .map(|m| m.moved_on.0)
        .min()
    else {
        return Ok(());
    };
    let mut before = Decimal::ZERO;
    let mut spent: BTreeMap<Date, Decimal> = BTreeMap::new();
    for m in movements.iter().filter(payment) {
        if m.moved_on.0 < from {
            before += m.value.0;
        } else {
            *spent.entry(m.moved_on.0).or_default() += m.value.0;
        }
    }
    project_expenditure::Entity::delete_many()
        .filter(project_expenditure::Column::ProjectId.eq(project_id))
        .filter(project_expenditure::Column::SpentOn.gte(DbDate(from)))
        .exec(db)
        .await?;
    let mut executed = before;
    let rows: Vec<project_expenditure::ActiveModel> = spent
        .into_iter()
        .map(|(day, amount)| {
            executed += amount;
            project_expenditure::ActiveModel {
                project_id: Set(project_id),
                spent_on: Set(DbDate(day)),
                amount: Set(Dec(amount)),
                executed: Set(Dec(executed)),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        project_expenditure::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

pub(crate) async fn emails_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> StoreResult<HashMap<i32, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

/// Locks the project's row until the transaction ends (PostgreSQL), so that two writers of its
/// ledger take turns; SQLite's writing transactions already do.
async fn lock_project(txn: &sea_orm::DatabaseTransaction, project_id: i32) -> StoreResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        project::Entity::find_by_id(project_id)
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    Ok(())
}

/// The project a writing step of its ledger acts on: found by code, the actor's permission and
/// office reach checked, and its row locked, all in the step's transaction.
///
/// After its act of closure nothing of the project changes (Art. 34): every writing step is
/// refused here (`Conflict` `closure-error-closed`), read after the lock so that a closure
/// and a step at once take turns.
pub(crate) async fn project_for_step(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    code: &str,
    permission: Permission,
) -> StoreResult<project::Model> {
    let found = project_by_code(txn, code).await?;
    crate::scope::check_may(txn, actor, permission, Target::Project(found.id)).await?;
    lock_project(txn, found.id).await?;
    let the_project = project::Entity::find_by_id(found.id)
        .one(txn)
        .await?
        .ok_or_else(|| corrupt("project", found.id, "vanished while locked"))?;
    refuse_closed(&the_project)?;
    Ok(the_project)
}

/// The gate of a closed project (Art. 34): nothing of it changes.
pub(crate) fn refuse_closed(the_project: &project::Model) -> StoreResult<()> {
    if the_project.status == vereda_domain::monitoring::ExecutionStatus::Closed.as_str() {
        return Err(StoreError::Conflict(
            Message::new("closure-error-closed")
                .with("code", &the_project.code)
                .with("article", "Art. 34"),
        ));
    }
    Ok(())
}

/// The motivation a plan change and its review need (Art. 34), trimmed.
fn required_motivation(motivation: &str) -> StoreResult<&str> {
    let motivation = motivation.trim();
    if motivation.is_empty() {
        return Err(StoreError::Invalid(
            Message::new("ledger-error-motivation_required").with("article", "Art. 34"),
        ));
    }
    Ok(motivation)
}

impl Store {
    /// Every version of a project's plan, oldest first; a project awarded before plans were
    /// kept reads its plan derived from the approved version.
    pub async fn investment_plans(&self, code: &str) -> StoreResult<Vec<PlanVersion>> {
        let the_project = project_by_code(&self.db, code).await?;
        let stored = stored_plans(&self.db, the_project.id).await?;
        if !stored.is_empty() {
            return Ok(stored);
        }
        Ok(vec![plan_in_force(&self.db, None, &the_project).await?])
    }

    /// The requested changes of a project's plan, newest first.
    pub async fn plan_changes(&self, code: &str) -> StoreResult<Vec<PlanChange>> {
        let the_project = project_by_code(&self.db, code).await?;
        let rows = plan_change::Entity::find()
            .filter(plan_change::Column::ProjectId.eq(the_project.id))
            .order_by_desc(plan_change::Column::Id)
            .all(&self.db)
            .await?;
        let emails = emails_of(
            &self.db,
            rows.iter()
                .flat_map(|r| std::iter::once(r.requested_by).chain(r.reviewed_by)),
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PlanChange {
                    amounts: serde_json::from_str(&r.amounts).map_err(|e| corrupt("plan change", r.id, e))?,
                    status: ChangeStatus::parse(&r.status)
                        .ok_or_else(|| corrupt("plan change", r.id, &r.status))?,
                    requested_by: emails.get(&r.requested_by).cloned(),
                    reviewed_by: r.reviewed_by.and_then(|id| emails.get(&id).cloned()),
                    id: r.id,
                    base_version: r.base_version,
                    motivation: r.motivation,
                    review_motivation: r.review_motivation,
                })
            })
            .collect()
    }

    /// Requests a change of the plan in force (`base_version`): new amounts by line, the total
    /// unchanged, with its motivation. It counts once the territorial director approves it.
    pub async fn request_plan_change(
        &self,
        actor: &Actor,
        code: &str,
        base_version: i32,
        amounts: BTreeMap<u32, Decimal>,
        motivation: &str,
    ) -> StoreResult<i32> {
        let requester = account_of(actor)?;
        let motivation = required_motivation(motivation)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordLedger).await?;
        let current = plan_in_force(&txn, Some((&txn, actor)), &the_project).await?;
        if current.version != base_version {
            return Err(StoreError::Conflict(Message::new("ledger-error-plan_changed")));
        }
        let movements = ledger_movement::Entity::find()
            .filter(ledger_movement::Column::ProjectId.eq(the_project.id))
            .all(&txn)
            .await?;
        current
            .plan
            .changed(&amounts, &executed_by_line(&movements))
            .map_err(StoreError::Invalid)?;
        let row = plan_change::ActiveModel {
            project_id: Set(the_project.id),
            base_version: Set(base_version),
            amounts: Set(serde_json::to_string(&amounts).map_err(|e| StoreError::Fault(e.to_string()))?),
            motivation: Set(motivation.to_owned()),
            status: Set(ChangeStatus::Requested.as_str().to_owned()),
            requested_by: Set(requester),
            requested_at: Set(DbTimestamp::now()),
            ..Default::default()
        };
        let stored = audit::insert(&txn, actor, row).await?;
        txn.commit().await?;
        Ok(stored.id)
    }

    /// Approves (the plan's version n + 1) or returns a requested change, with the director's
    /// motivation. Its requester may not review it; a change is reviewed once; a plan changed
    /// since the request is a conflict.
    pub async fn review_plan_change(
        &self,
        actor: &Actor,
        code: &str,
        id: i32,
        approve: bool,
        motivation: &str,
    ) -> StoreResult<()> {
        let reviewer = account_of(actor)?;
        let motivation = required_motivation(motivation)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::ApprovePlanChange).await?;
        let before = plan_change::Entity::find_by_id(id)
            .filter(plan_change::Column::ProjectId.eq(the_project.id))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "plan change",
                id: id.to_string(),
            })?;
        let reviewed = || StoreError::Conflict(Message::new("ledger-error-change_reviewed"));
        if before.status != ChangeStatus::Requested.as_str() {
            return Err(reviewed());
        }
        if before.requested_by == reviewer {
            return Err(StoreError::Forbidden(
                Message::new("ledger-error-own_change").with("article", "Art. 34"),
            ));
        }
        let status = if approve {
            ChangeStatus::Approved
        } else {
            ChangeStatus::Returned
        };
        let update = plan_change::Entity::update_many()
            .col_expr(plan_change::Column::Status, Expr::value(status.as_str()))
            .col_expr(plan_change::Column::ReviewedBy, Expr::value(reviewer))
            .col_expr(plan_change::Column::ReviewedAt, Expr::value(DbTimestamp::now()))
            .col_expr(
                plan_change::Column::ReviewMotivation,
                Expr::value(motivation.to_owned()),
            )
            .filter(plan_change::Column::Id.eq(id))
            .filter(plan_change::Column::Status.eq(ChangeStatus::Requested.as_str()));
        audit::conditional_update(&txn, actor, update, &before, id, reviewed).await?;
        if approve {
            let current = plan_in_force(&txn, Some((&txn, actor)), &the_project).await?;
            if current.version != before.base_version {
                return Err(StoreError::Conflict(Message::new("ledger-error-plan_changed")));
            }
            let amounts: BTreeMap<u32, Decimal> =
                serde_json::from_str(&before.amounts).map_err(|e| corrupt("plan change", id, e))?;
            let movements = ledger_movement::Entity::find()
                .filter(ledger_movement::Column::ProjectId.eq(the_project.id))
                .all(&txn)
                .await?;
            let next = current
                .plan
                .changed(&amounts, &executed_by_line(&movements))
                .map_err(StoreError::Invalid)?;
            insert_plan(
                &txn,
                actor,
                the_project.id,
                current.version + 1,
                &next,
                "change",
                Some(id),
            )
            .await?;
        }
        crate::portfolio::refresh_summary(&txn, the_project.id).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records a movement of the controlled account, signed by the acting officer's account
    /// and by the families' representative (one of the project's heads of household). The
    /// domain's rules refuse it (`Invalid`, its first problem with the form's `field`); a
    /// movement with the date, value and reference of an earlier one is refused (`Conflict`
    /// `ledger-error-duplicate`) until confirmed, then stored flagged with `duplicate_of`.
    pub async fn record_movement(
        &self,
        actor: &Actor,
        code: &str,
        new: &NewMovement,
        today: Date,
    ) -> StoreResult<i32> {
        let stored = self
            .record_movements(actor, code, std::slice::from_ref(new), today)
            .await?;
        stored
            .first()
            .copied()
            .ok_or_else(|| StoreError::Fault("a movement was recorded without an id".to_owned()))
    }

    /// Records several movements of one project in one transaction, in order, each checked
    /// as [`Store::record_movement`] checks one against the movements before it (those stored
    /// and those earlier in `news`): an office moving its running books into the account, or a
    /// seeding of the ledger at scale. The first refusal stores none of them.
    pub async fn record_movements(
        &self,
        actor: &Actor,
        code: &str,
        news: &[NewMovement],
        today: Date,
    ) -> StoreResult<Vec<i32>> {
        let officer = account_of(actor)?;
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordLedger).await?;
        let plan = plan_in_force(&txn, Some((&txn, actor)), &the_project).await?;
        let (paid_on, _) = payment_of(&txn, &the_project).await?;
        let mut movements = ledger_movement::Entity::find()
            .filter(ledger_movement::Column::ProjectId.eq(the_project.id))
            .order_by_asc(ledger_movement::Column::Id)
            .all(&txn)
            .await?;
        let mut executed = executed_by_line(&movements);
        let mut representatives_checked: Vec<(&str, &str)> = Vec::new();
        let mut stored_ids = Vec::with_capacity(news.len());
        for new in news {
            let facts = LedgerFacts {
                plan: &plan.plan,
                paid_on,
                today,
                closed: the_project.status == "closed",
                executed: &executed,
            };
            let draft = &new.draft;
            if let Err(problems) = draft.check(&facts)
                && let Some(first) = problems.into_iter().next()
            {
                return Err(StoreError::Invalid(first.message.with("field", first.field)));
            }
            let representative = (
                new.representative_name.as_str(),
                new.representative_document.as_str(),
            );
            if !representatives_checked.contains(&representative) {
                check_representative(
                    &txn,
                    the_project.id,
                    &new.representative_name,
                    &new.representative_document,
                )
                .await?;
                representatives_checked.push(representative);
            }
            let earlier = movements.iter().find(|m| {
                is_duplicate(
                    (m.moved_on.0, m.value.0, &m.reference),
                    (draft.date, draft.value, &draft.reference),
                )
            });
            let duplicate_of = match (earlier, new.confirm_duplicate) {
                (Some(m), false) => {
                    return Err(StoreError::Conflict(
                        Message::new("ledger-error-duplicate")
                            .with("movement", m.id)
                            .with("date", draft.date)
                            .with("value", draft.value)
                            .with("field", "confirm_duplicate"),
                    ));
                }
                (Some(m), true) => Some(m.id),
                (None, _) => None,
            };
            let nit = draft.nit().map_err(StoreError::Invalid)?;
            let optional = |text: &Option<String>| {
                text.as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
            };
            let row = ledger_movement::ActiveModel {
                project_id: Set(the_project.id),
                moved_on: Set(DbDate(draft.date)),
                value: Set(Dec(draft.value)),
                kind: Set(draft.kind.to_string()),
                plan_line: Set(draft.line.and_then(|l| i32::try_from(l).ok())),
                source: Set(if draft.kind.is_outflow() {
                    draft.source.map(|s| s.to_string())
                } else {
                    None
                }),
                supplier_name: Set(draft.supplier_name.trim().to_owned()),
                supplier_nit: Set(nit.map(|n| n.to_string())),
                reference: Set(draft.reference.trim().to_owned()),
                document_sha256: Set(optional(&new.document_sha256)),
                document_name: Set(optional(&new.document_name)),
                officer_id: Set(officer),
                representative_name: Set(new.representative_name.trim().to_owned()),
                representative_document: Set(new.representative_document.trim().to_owned()),
                duplicate_of: Set(duplicate_of),
                created_at: Set(DbTimestamp::now()),
                ..Default::default()
            };
            let stored = audit::insert(&txn, actor, row).await?;
            stored_ids.push(stored.id);
            // The executed figure grows by this movement alone (as `executed_by_line` adds it).
            if stored.kind == MovementKind::Payment.as_str()
                && let Some(line) = stored.plan_line.and_then(|l| u32::try_from(l).ok())
            {
                *executed.entry(line).or_default() += stored.value.0;
            }
            movements.push(stored);
        }
        let first_new = movements.len() - stored_ids.len();
        store_expenditures(&txn, the_project.id, &movements, first_new).await?;
        crate::portfolio::refresh_summary(&txn, the_project.id).await?;
        txn.commit().await?;
        Ok(stored_ids)
    }

    /// Imports a bank statement whole: every line is checked (a debit or a credit, not both,
    /// none negative) and nothing is stored if one is wrong; the same file twice is refused.
    pub async fn import_statement(
        &self,
        actor: &Actor,
        code: &str,
        file_name: &str,
        file_sha256: &str,
        lines: &[NewStatementLine],
    ) -> StoreResult<i32> {
        let importer = account_of(actor)?;
        if lines.is_empty() {
            return Err(StoreError::Invalid(
                Message::new("ledger-error-statement_empty").with("file", file_name),
            ));
        }
        for l in lines {
            let bad = l.debit < Decimal::ZERO
                || l.credit < Decimal::ZERO
                || (l.debit > Decimal::ZERO) == (l.credit > Decimal::ZERO);
            if bad {
                return Err(StoreError::Invalid(
                    Message::new("ledger-error-statement_amounts")
                        .with("file", file_name)
                        .with("line", l.line)
                        .with("debit", l.debit)
                        .with("credit", l.credit),
                ));
            }
        }
        let txn = self.write_transaction().await?;
        let the_project = project_for_step(&txn, actor, code, Permission::RecordLedger).await?;
        let already = bank_statement::Entity::find()
            .filter(bank_statement::Column::ProjectId.eq(the_project.id))
            .filter(bank_statement::Column::FileSha256.eq(file_sha256))
            .one(&txn)
            .await?;
        if let Some(already) = already {
            return Err(StoreError::Conflict(
                Message::new("ledger-error-statement_imported")
                    .with("file", file_name)
                    .with("statement", already.id),
            ));
        }
        let statement = audit::insert(
            &txn,
            actor,
            bank_statement::ActiveModel {
                project_id: Set(the_project.id),
                file_name: Set(file_name.to_owned()),
                file_sha256: Set(file_sha256.to_owned()),
                lines: Set(i32::try_from(lines.len()).unwrap_or(i32::MAX)),
                imported_by: Set(importer),
                imported_at: Set(DbTimestamp::now()),
                ..Default::default()
            },
        )
        .await?;
        for l in lines {
            let row = bank_statement_line::ActiveModel {
                statement_id: Set(statement.id),
                project_id: Set(the_project.id),
                line_number: Set(i32::try_from(l.line).unwrap_or(i32::MAX)),
                posted_on: Set(DbDate(l.date)),
                description: Set(l.description.trim().to_owned()),
                reference: Set(l.reference.trim().to_owned()),
                debit: Set(Dec(l.debit)),
                credit: Set(Dec(l.credit)),
                balance: Set(l.balance.map(Dec)),
                ..Default::default()
            };
            audit::insert(&txn, actor, row).await?;
        }
        txn.commit().await?;
        Ok(statement.id)
    }

    /// The account of a project: plan in force, payment, movements, figures, statements and
    /// their reconciliation against the ledger.
    pub async fn ledger(&self, code: &str) -> StoreResult<Ledger> {
        let the_project = project_by_code(&self.db, code).await?;
        let plan = plan_in_force(&self.db, None, &the_project).await?;
        let (paid_on, disbursed) = payment_of(&self.db, &the_project).await?;
        let rows = ledger_movement::Entity::find()
            .filter(ledger_movement::Column::ProjectId.eq(the_project.id))
            .order_by_asc(ledger_movement::Column::MovedOn)
            .order_by_asc(ledger_movement::Column::Id)
            .all(&self.db)
            .await?;
        let emails = emails_of(&self.db, rows.iter().map(|r| r.officer_id)).await?;
        let movements: Vec<Movement> = rows
            .into_iter()
            .map(|r| movement_of(r, &emails))
            .collect::<StoreResult<_>>()?;
        let entries: Vec<Entry> = movements.iter().map(entry_of).collect();
        let institute_spent: Decimal = movements
            .iter()
            .filter(|m| m.kind.is_outflow())
            .filter(|m| {
                let line_funder = m.line.and_then(|n| plan.plan.line(n)).map(|l| &l.funder);
                match m.source {
                    Some(source) => source == Source::Institute,
                    None => line_funder == Some(&vereda_domain::finance::Funder::Institute),
                }
            })
            .map(|m| m.value)
            .sum();
        let figures = execution(&plan.plan, &entries, institute_spent);
        let statements: Vec<Statement> = bank_statement::Entity::find()
            .filter(bank_statement::Column::ProjectId.eq(the_project.id))
            .order_by_asc(bank_statement::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| Statement {
                id: s.id,
                file_name: s.file_name,
                file_sha256: s.file_sha256,
                lines: s.lines,
            })
            .collect();
        let statement_lines: Vec<StatementLine> = bank_statement_line::Entity::find()
            .filter(bank_statement_line::Column::ProjectId.eq(the_project.id))
            .order_by_asc(bank_statement_line::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|l| StatementLine {
                id: l.id,
                date: l.posted_on.0,
                description: l.description,
                reference: l.reference,
                debit: l.debit.0,
                credit: l.credit.0,
                balance: l.balance.map(|b| b.0),
            })
            .collect();
        let reconciliation = reconcile(&entries, &statement_lines);
        Ok(Ledger {
            plan,
            paid_on,
            disbursed,
            movements,
            execution: figures,
            statements,
            statement_lines,
            reconciliation,
        })
    }
}

/// The families' signature: the representative is the head of one of the project's families,
/// by name and document (normalised).
pub(crate) async fn check_representative(
    txn: &sea_orm::DatabaseTransaction,
    project_id: i32,
    name: &str,
    document: &str,
) -> StoreResult<()> {
    let refused = || {
        StoreError::Invalid(
            Message::new("ledger-error-representative")
                .with("article", "Art. 29 par.")
                .with("field", "representative_document"),
        )
    };
    let key = normalize_document(document);
    if name.trim().is_empty() || key.is_empty() {
        return Err(refused());
    }
    let households: Vec<i32> = project_beneficiary::Entity::find()
        .filter(project_beneficiary::Column::ProjectId.eq(project_id))
        .select_only()
        .column(project_beneficiary::Column::HouseholdId)
        .into_tuple::<Option<i32>>()
        .all(txn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let heads = person::Entity::find()
        .filter(person::Column::HouseholdId.is_in(households))
        .filter(person::Column::IsHead.eq(true))
        .filter(person::Column::DocumentKey.eq(key.clone()))
        .all(txn)
        .await?;
    let folded = |text: &str| {
        vereda_domain::text::fold_for_search(text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let wanted = folded(name);
    if heads
        .iter()
        .any(|p| folded(&format!("{} {}", p.first_name, p.last_name)) == wanted)
    {
        Ok(())
    } else {
        Err(refused())
    }
}
