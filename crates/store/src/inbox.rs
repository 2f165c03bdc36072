//! The staff's work inbox (issue 18 part 1) and its letters (issue 17 part 5).
//!
//! [`Store::inbox`] gathers what an account has to do, within its role
//! (`ItemKind::permission`) and its reach (`scope.rs`): one or two queries per kind of item,
//! never one per project, call or household, so it stays fast with thousands of them. The
//! follow-up alerts are read from the stored summaries and follow-up facts
//! ([`stored_alerts`]), which every step that changes them refreshes in its own transaction
//! (`portfolio::refresh_summary`).
//!
//! [`Store::write_digests`] writes each account with items due within a number of business
//! days one letter a day (unique on account and day: two servers never write it twice) and
//! each follow-up alert, when first seen, one letter to each account of the office that
//! reaches its project (unique on project, kind and key: never twice).
//!
//! The appeals are read from their one table here (`acts.rs` keeps their mechanism): only
//! their subject, filing date, decision and award or household.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use vereda_domain::accounts::{Reach, Role};
use vereda_domain::acts::{ActKind, AppealOutcome};
use vereda_domain::audit::Actor;
use vereda_domain::calendar;
use vereda_domain::followup::{Alert, AlertKind};
use vereda_domain::inbox::{
    AlertLetter, Deadline, DigestLine, ItemKind, StaffLetterFacts, Urgency, appeal_decision_deadline,
    in_digest, order_key, urgency,
};
use vereda_domain::monitoring::MeasurementStatus;
use vereda_domain::verification::{LetterFacts, LetterKind, VerificationStatus};

use crate::entity::{
    act, appeal, award, committee_attendee, committee_session, disbursement, followup_alert_letter,
    formulation, household, household_verification, inbox_digest, indicator, indicator_measurement,
    offer_notice, petition, project, project_followup_fact, project_municipality, project_summary,
    territorial_office, user,
};
use crate::followup::{AlertBasis, Progress};
use crate::procedure::formulations_within;
use crate::types::{DbDate, DbTimestamp};
use crate::{Store, StoreResult, audit, corrupt};

/// The record an item opens: the web makes the address of its form from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum ItemSubject {
    /// A formulation's procedure (its award, appeals, payment).
    Formulation(i32),
    /// A committee session.
    Session(i32),
    /// A call's verification of households.
    Call(i32),
    /// A household's verification.
    Household(i32),
    /// A measurement in the review queue.
    Measurement(i32),
    Petition(i32),
    /// A project in follow-up, by code.
    Project(String),
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    pub kind: ItemKind,
    pub subject: ItemSubject,
    /// What it is about, as the records name it: a project's or call's code, an award's or
    /// petition's number.
    pub label: String,
    /// How many records it stands for (the households of a call still pending), when more
    /// than one.
    pub count: Option<u64>,
    /// Since when it is pending.
    pub since: Date,
    pub deadline: Option<Deadline>,
    pub urgency: Urgency,
    /// The alert, for a follow-up alert.
    pub alert: Option<Alert>,
}

impl InboxItem {
    fn new(kind: ItemKind, subject: ItemSubject, label: String, since: Date) -> InboxItem {
        InboxItem {
            kind,
            subject,
            label,
            count: None,
            since,
            deadline: None,
            urgency: Urgency::NoDeadline,
            alert: None,
        }
    }

    fn due(mut self, due_on: Date, today: Date, soon: u32) -> InboxItem {
        let deadline = Deadline::on(due_on, today, calendar::current());
        self.urgency = urgency(Some(&deadline), today, soon);
        self.deadline = Some(deadline);
        self
    }
}

/// An account's inbox on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inbox {
    pub today: Date,
    /// The business days within which an item is due soon.
    pub soon: u32,
    /// Most pressing first ([`vereda_domain::inbox::order_key`]).
    pub items: Vec<InboxItem>,
    /// How many items of each kind, in the order of `ItemKind::ALL`, kinds with none left out.
    pub counts: Vec<(ItemKind, usize)>,
    pub overdue: usize,
}

impl Inbox {
    fn of(today: Date, soon: u32, mut items: Vec<InboxItem>) -> Inbox {
        items.sort_by(|a, b| {
            order_key(a.urgency, a.deadline.as_ref(), a.since, a.kind)
                .cmp(&order_key(b.urgency, b.deadline.as_ref(), b.since, b.kind))
                .then_with(|| a.label.cmp(&b.label))
        });
        let counts = ItemKind::ALL
            .iter()
            .map(|kind| (*kind, items.iter().filter(|i| i.kind == *kind).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let overdue = items.iter().filter(|i| i.urgency == Urgency::Overdue).count();
        Inbox {
            today,
            soon,
            items,
            counts,
            overdue,
        }
    }
}

/// The awards of the formulations within reach, as a subquery.
fn awards_within(reach: &Reach) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(award::Column::Id)
        .from(award::Entity)
        .and_where(award::Column::FormulationId.in_subquery(formulations_within(reach)))
        .to_owned()
}

/// The awards whose resolution is signed, as a subquery.
fn signed_awards() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(act::Column::SubjectId)
        .from(act::Entity)
        .and_where(act::Column::Kind.eq(ActKind::Award.as_str()))
        .to_owned()
}

/// The projects within reach, as a subquery.
fn projects_within(reach: &Reach) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .cond_where(crate::scope::projects_within(reach))
        .to_owned()
}

/// The progress and alerts of the awarded projects within `reach` on `today`, by code, read
/// from the stored summaries and follow-up facts: two queries whatever the number of
/// projects. `monthly` is left empty.
pub(crate) async fn stored_alerts(
    db: &impl ConnectionTrait,
    reach: &Reach,
    today: Date,
) -> StoreResult<Vec<Progress>> {
    let with_facts = Query::select()
        .column(project_followup_fact::Column::ProjectId)
        .from(project_followup_fact::Entity)
        .to_owned();
    let mut summaries = project_summary::Entity::find()
        .filter(project_summary::Column::ProjectId.in_subquery(with_facts))
        .order_by_asc(project_summary::Column::Code);
    let mut facts = project_followup_fact::Entity::find();
    if !matches!(reach, Reach::National) {
        summaries = summaries.filter(project_summary::Column::ProjectId.in_subquery(projects_within(reach)));
        facts = facts.filter(project_followup_fact::Column::ProjectId.in_subquery(projects_within(reach)));
    }
    let summaries = summaries.all(db).await?;
    let mut facts: HashMap<i32, project_followup_fact::Model> = facts
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.project_id, f))
        .collect();
    let mut out = Vec::with_capacity(summaries.len());
    for s in summaries {
        let Some(f) = facts.remove(&s.project_id) else {
            continue;
        };
        let basis = basis_of(&f)?;
        let figure = |d: &Option<crate::types::Dec>| d.as_ref().map_or(Decimal::ZERO, |d| d.0);
        let (physical, financial, management) =
            (figure(&s.physical), figure(&s.financial), figure(&s.management));
        out.push(Progress {
            code: s.code,
            office: s.office_code,
            call: s.call_code,
            monthly: Vec::new(),
            physical,
            financial,
            management,
            closed: basis.closed,
            alerts: basis.alerts(today, physical, financial),
        });
    }
    Ok(out)
}

fn basis_of(f: &project_followup_fact::Model) -> StoreResult<AlertBasis> {
    Ok(AlertBasis {
        paid_on: f.paid_on.map(|d| d.0),
        last_movement: f.last_movement.map(|d| d.0),
        closed: f.closed,
        over_plan: serde_json::from_str(&f.over_plan)
            .map_err(|e| corrupt("project follow-up facts", f.project_id, e))?,
        open_commitments: serde_json::from_str(&f.open_commitments)
            .map_err(|e| corrupt("project follow-up facts", f.project_id, e))?,
    })
}

/// What tells one alert of a kind from another of the same project: the line, the
/// commitment, the date the idle period or the policy counts from.
fn alert_key(alert: &Alert) -> String {
    let arg = |name: &str| {
        alert
            .message
            .arg(name)
            .map(|a| format!("{a:?}"))
            .unwrap_or_default()
    };
    match alert.kind {
        AlertKind::NoMovement => arg("since"),
        AlertKind::LineOverPlan => arg("line"),
        AlertKind::MoneyAheadOfWork => String::new(),
        AlertKind::CommitmentOverdue => arg("commitment"),
        AlertKind::PolicyExpiring => arg("ends_on"),
    }
}

/// The date an alert falls due, when it names one.
fn alert_deadline(alert: &Alert) -> Option<Date> {
    let date = |name: &str| match alert.message.arg(name) {
        Some(vereda_domain::message::Arg::Date(d)) => Some(*d),
        _ => None,
    };
    match alert.kind {
        AlertKind::CommitmentOverdue => date("due_on"),
        AlertKind::PolicyExpiring => date("ends_on"),
        _ => None,
    }
}

/// The inbox of an account of `role` (id `user_id`) within `reach`.
async fn gather(
    db: &impl ConnectionTrait,
    user_id: Option<i32>,
    role: Role,
    reach: &Reach,
    today: Date,
    soon: u32,
) -> StoreResult<Inbox> {
    let may = |kind: ItemKind| role.can(kind.permission());
    let mut items = Vec::new();

    // Awards recorded and not signed (Art. 27).
    if may(ItemKind::AwardToSign) {
        for a in award::Entity::find()
            .filter(award::Column::FormulationId.in_subquery(formulations_within(reach)))
            .filter(award::Column::Id.not_in_subquery(signed_awards()))
            .all(db)
            .await?
        {
            items.push(InboxItem::new(
                ItemKind::AwardToSign,
                ItemSubject::Formulation(a.formulation_id),
                a.number,
                a.awarded_on.0,
            ));
        }
    }

    // Minutes closed and not signed by this account (Art. 23).
    if may(ItemKind::MinutesToSign)
        && let Some(user_id) = user_id
    {
        let closed = Query::select()
            .column(committee_session::Column::Id)
            .from(committee_session::Entity)
            .and_where(committee_session::Column::ClosedAt.is_not_null())
            .to_owned();
        let seats = committee_attendee::Entity::find()
            .filter(committee_attendee::Column::UserId.eq(user_id))
            .filter(committee_attendee::Column::SignedAt.is_null())
            .filter(committee_attendee::Column::SessionId.in_subquery(closed))
            .all(db)
            .await?;
        let sessions: HashMap<i32, committee_session::Model> = committee_session::Entity::find()
            .filter(committee_session::Column::Id.is_in(seats.iter().map(|s| s.session_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        for seat in seats {
            if let Some(s) = sessions.get(&seat.session_id) {
                items.push(InboxItem::new(
                    ItemKind::MinutesToSign,
                    ItemSubject::Session(s.id),
                    s.held_on.0.to_string(),
                    s.held_on.0,
                ));
            }
        }
    }

    // Appeals against awards, undecided (Ley 1437 de 2011, art. 86).
    if may(ItemKind::AppealToDecide) {
        let appeals = appeal::Entity::find()
            .filter(appeal::Column::Subject.eq(crate::acts::AWARD_SUBJECT))
            .filter(appeal::Column::DecidedOn.is_null())
            .filter(appeal::Column::AwardId.in_subquery(awards_within(reach)))
            .all(db)
            .await?;
        let awards: HashMap<i32, award::Model> = award::Entity::find()
            .filter(award::Column::Id.is_in(appeals.iter().filter_map(|a| a.award_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        for a in appeals {
            if let Some(the_award) = a.award_id.and_then(|id| awards.get(&id)) {
                items.push(
                    InboxItem::new(
                        ItemKind::AppealToDecide,
                        ItemSubject::Formulation(the_award.formulation_id),
                        the_award.number.clone(),
                        a.filed_on.0,
                    )
                    .due(appeal_decision_deadline(a.filed_on.0), today, soon),
                );
            }
        }
    }

    // Appeals against verification decisions, undecided.
    if may(ItemKind::VerificationAppealToDecide) {
        let appeals = appeal::Entity::find()
            .filter(appeal::Column::Subject.eq(crate::acts::NOT_ELIGIBLE_SUBJECT))
            .filter(appeal::Column::DecidedOn.is_null())
            .filter(appeal::Column::HouseholdId.in_subquery(crate::scope::households_within(reach)))
            .all(db)
            .await?;
        let refs: HashMap<i32, String> = household::Entity::find()
            .filter(household::Column::Id.is_in(appeals.iter().filter_map(|a| a.household_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|h| (h.id, h.external_id))
            .collect();
        for a in appeals {
            let Some(household_id) = a.household_id else {
                continue;
            };
            items.push(
                InboxItem::new(
                    ItemKind::VerificationAppealToDecide,
                    ItemSubject::Household(household_id),
                    refs.get(&household_id).cloned().unwrap_or_default(),
                    a.filed_on.0,
                )
                .due(appeal_decision_deadline(a.filed_on.0), today, soon),
            );
        }
    }

    // Households still pending verification, by call, with the notice's deadline (Art. 14).
    if may(ItemKind::DocumentsDue) {
        let pending = Query::select()
            .column(household_verification::Column::HouseholdId)
            .from(household_verification::Entity)
            .and_where(household_verification::Column::Status.eq(VerificationStatus::Pending.as_str()))
            .to_owned();
        let by_call: Vec<(Option<i32>, i64)> = household::Entity::find()
            .select_only()
            .column(household::Column::CallId)
            .column_as(household::Column::Id.count(), "n")
            .filter(household::Column::Id.in_subquery(pending))
            .filter(crate::scope::municipality_within(
                household::Column::MunicipalityCode,
                reach,
            ))
            .group_by(household::Column::CallId)
            .into_tuple()
            .all(db)
            .await?;
        let calls: Vec<i32> = by_call.iter().filter_map(|(c, _)| *c).collect();
        let notices: HashMap<i32, offer_notice::Model> = offer_notice::Entity::find()
            .filter(offer_notice::Column::CallId.is_in(calls.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|n| (n.call_id, n))
            .collect();
        let codes: HashMap<i32, String> = crate::entity::call::Entity::find()
            .filter(crate::entity::call::Column::Id.is_in(calls.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.code))
            .collect();
        for (call_id, n) in by_call {
            let (Some(call_id), Some(notice)) = (call_id, call_id.and_then(|c| notices.get(&c))) else {
                continue;
            };
            let mut item = InboxItem::new(
                ItemKind::DocumentsDue,
                ItemSubject::Call(call_id),
                codes.get(&call_id).cloned().unwrap_or_default(),
                notice.notice_date.0,
            )
            .due(notice.deadline.0, today, soon);
            item.count = u64::try_from(n).ok();
            items.push(item);
        }
    }

    // Measurements submitted by somebody else, not reviewed (Art. 34-36; four eyes).
    if may(ItemKind::MeasurementToReview) {
        let indicators_within = Query::select()
            .column(indicator::Column::Id)
            .from(indicator::Entity)
            .and_where(indicator::Column::ProjectId.in_subquery(projects_within(reach)))
            .to_owned();
        let mut query = indicator_measurement::Entity::find()
            .filter(indicator_measurement::Column::Status.eq(MeasurementStatus::Submitted.as_str()))
            .filter(indicator_measurement::Column::IndicatorId.in_subquery(indicators_within));
        if let Some(user_id) = user_id {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(indicator_measurement::Column::SubmittedByUser.is_null())
                    .add(indicator_measurement::Column::SubmittedByUser.ne(user_id)),
            );
        }
        let measurements = query.all(db).await?;
        let indicators: HashMap<i32, i32> = indicator::Entity::find()
            .filter(indicator::Column::Id.is_in(measurements.iter().map(|m| m.indicator_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i.project_id))
            .collect();
        let codes = project_codes(db, indicators.values().copied()).await?;
        for m in measurements {
            let code = indicators
                .get(&m.indicator_id)
                .and_then(|p| codes.get(p))
                .cloned()
                .unwrap_or_default();
            let since = calendar::date_in_colombia(m.created_at.0);
            items.push(InboxItem::new(
                ItemKind::MeasurementToReview,
                ItemSubject::Measurement(m.id),
                code,
                since,
            ));
        }
    }

    // Objections the committee has not decided (Art. 24.6).
    if may(ItemKind::ObjectionToDecide) {
        let rows = crate::entity::objection::Entity::find()
            .filter(crate::entity::objection::Column::Decision.is_null())
            .filter(crate::entity::objection::Column::FormulationId.in_subquery(formulations_within(reach)))
            .all(db)
            .await?;
        let codes: HashMap<i32, String> = formulation::Entity::find()
            .filter(formulation::Column::Id.is_in(rows.iter().map(|o| o.formulation_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|f| (f.id, f.code))
            .collect();
        for o in rows {
            items.push(InboxItem::new(
                ItemKind::ObjectionToDecide,
                ItemSubject::Formulation(o.formulation_id),
                codes.get(&o.formulation_id).cloned().unwrap_or_default(),
                calendar::date_in_colombia(o.filed_at.0),
            ));
        }
    }

    // Awards signed and not paid, not revoked on appeal (Art. 32-33).
    if may(ItemKind::DisbursementPending) {
        let paid = Query::select()
            .column(disbursement::Column::FormulationId)
            .from(disbursement::Entity)
            .and_where(disbursement::Column::PaidOn.is_not_null())
            .to_owned();
        // Only the appeals against awards: another subject's null `award_id` in a `NOT IN`
        // list would make it hold back every award.
        let revoked = Query::select()
            .column(appeal::Column::AwardId)
            .from(appeal::Entity)
            .and_where(appeal::Column::Subject.eq(crate::acts::AWARD_SUBJECT))
            .and_where(appeal::Column::Outcome.eq(AppealOutcome::Revokes.as_str()))
            .to_owned();
        for a in award::Entity::find()
            .filter(award::Column::FormulationId.in_subquery(formulations_within(reach)))
            .filter(award::Column::Id.in_subquery(signed_awards()))
            .filter(award::Column::FormulationId.not_in_subquery(paid))
            .filter(award::Column::Id.not_in_subquery(revoked))
            .all(db)
            .await?
        {
            items.push(InboxItem::new(
                ItemKind::DisbursementPending,
                ItemSubject::Formulation(a.formulation_id),
                a.number,
                a.awarded_on.0,
            ));
        }
    }

    // Petitions not answered (Ley 1755 de 2015, art. 14).
    if may(ItemKind::PetitionToAnswer) {
        for p in petition::Entity::find()
            .filter(petition::Column::AnsweredOn.is_null())
            .filter(crate::scope::municipality_within(
                petition::Column::MunicipalityCode,
                reach,
            ))
            .all(db)
            .await?
        {
            let due = p.extended_deadline.unwrap_or(p.deadline).0;
            items.push(
                InboxItem::new(
                    ItemKind::PetitionToAnswer,
                    ItemSubject::Petition(p.id),
                    p.number,
                    p.filed_on.0,
                )
                .due(due, today, soon),
            );
        }
    }

    // Follow-up alerts, read from the stored figures (Art. 29 par., 31, 34).
    if may(ItemKind::FollowupAlert) {
        for p in stored_alerts(db, reach, today).await? {
            for alert in p.alerts {
                let mut item = InboxItem::new(
                    ItemKind::FollowupAlert,
                    ItemSubject::Project(p.code.clone()),
                    p.code.clone(),
                    today,
                );
                if let Some(due) = alert_deadline(&alert) {
                    item = item.due(due, today, soon);
                }
                if alert.kind == AlertKind::NoMovement
                    && let Some(vereda_domain::message::Arg::Date(since)) = alert.message.arg("since")
                {
                    item.since = *since;
                }
                item.alert = Some(alert);
                items.push(item);
            }
        }
    }

    Ok(Inbox::of(today, soon, items))
}

async fn project_codes(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i32>,
) -> StoreResult<HashMap<i32, String>> {
    let ids: HashSet<i32> = ids.collect();
    Ok(project::Entity::find()
        .filter(project::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect())
}

/// What one run of the daily letters wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DigestRun {
    /// Accounts written a digest today by this run.
    pub digests: usize,
    /// Accounts already written today's digest (by this or another server).
    pub already: usize,
    /// Alerts written to their office for the first time, and the letters they took.
    pub alerts: usize,
    pub alert_letters: usize,
}

impl Store {
    /// The inbox of the actor on `today`: what its role may do within its reach, most
    /// pressing first, `soon` business days being "due soon". A process (no account) sees
    /// nothing.
    pub async fn inbox(&self, actor: &Actor, today: Date, soon: u32) -> StoreResult<Inbox> {
        let (reach, role) = crate::scope::reach_of(&self.db, actor).await?;
        let Some(role) = role else {
            return Ok(Inbox::of(today, soon, Vec::new()));
        };
        gather(&self.db, actor.user_id(), role, &reach, today, soon).await
    }

    /// Writes the day's letters: to every active account with items overdue or due within
    /// `soon` business days, one digest (once per account and day: the unique
    /// `inbox_digests (user_id, day)` makes a second writer, on this server or another, skip
    /// it); and for every follow-up alert not written before, one letter to each active
    /// territorial account whose office reaches its project (once: unique on project, kind
    /// and key). Each account's digest, and each alert with its letters, is one transaction.
    pub async fn write_digests(&self, actor: &Actor, today: Date, soon: u32) -> StoreResult<DigestRun> {
        let mut run = DigestRun::default();
        let offices: HashMap<i32, String> = territorial_office::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.department_code))
            .collect();
        let accounts = user::Entity::find()
            .filter(user::Column::Active.eq(true))
            .order_by_asc(user::Column::Id)
            .all(&self.db)
            .await?;
        let written: HashSet<i32> = inbox_digest::Entity::find()
            .filter(inbox_digest::Column::Day.eq(DbDate(today)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.user_id)
            .collect();
        for account in &accounts {
            let Ok(role) = account.role.parse::<Role>() else {
                continue;
            };
            if written.contains(&account.id) {
                run.already += 1;
                continue;
            }
            let reach = role.reach(
                account
                    .territorial_office_id
                    .and_then(|o| offices.get(&o))
                    .map(String::as_str),
            );
            let inbox = gather(&self.db, Some(account.id), role, &reach, today, soon).await?;
            let lines: Vec<DigestLine> = inbox
                .items
                .iter()
                .filter(|i| in_digest(i.urgency))
                .map(|i| DigestLine {
                    kind: i.kind,
                    label: i.label.clone(),
                    due_on: i.deadline.map(|d| d.due_on),
                    business_days_left: i.deadline.map(|d| d.business_days_left),
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            match self.write_digest(actor, account, today, soon, lines).await {
                Ok(true) => run.digests += 1,
                Ok(false) => run.already += 1,
                Err(error) => return Err(error),
            }
        }
        let (alerts, letters) = self
            .write_alert_letters(actor, today, &accounts, &offices)
            .await?;
        run.alerts = alerts;
        run.alert_letters = letters;
        Ok(run)
    }

    /// One account's digest and its record, in one transaction; false when the day's digest
    /// of the account was already written (by another server meanwhile).
    async fn write_digest(
        &self,
        actor: &Actor,
        account: &user::Model,
        today: Date,
        soon: u32,
        lines: Vec<DigestLine>,
    ) -> StoreResult<bool> {
        let txn = self.write_transaction().await?;
        let exists = inbox_digest::Entity::find()
            .filter(inbox_digest::Column::UserId.eq(account.id))
            .filter(inbox_digest::Column::Day.eq(DbDate(today)))
            .one(&txn)
            .await?;
        if exists.is_some() {
            return Ok(false);
        }
        let items = i32::try_from(lines.len()).unwrap_or(i32::MAX);
        let facts = staff_facts(
            &account.display_name,
            today,
            StaffLetterFacts {
                items: lines,
                within_days: soon,
                alert: None,
            },
        );
        let letter = audit::insert(
            &txn,
            actor,
            crate::verification::letter_row(LetterKind::InboxDigest, staff_addressee(account), &facts)?,
        )
        .await?;
        let inserted = inbox_digest::Entity::insert(inbox_digest::ActiveModel {
            user_id: Set(account.id),
            day: Set(DbDate(today)),
            items: Set(items),
            letter_id: Set(Some(letter.id)),
            created_at: Set(DbTimestamp::now()),
            ..Default::default()
        })
        .exec(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if crate::is_unique_violation(&error) => return Ok(false),
            Err(error) => return Err(error.into()),
        }
        match txn.commit().await {
            Ok(()) => Ok(true),
            Err(error) if crate::is_unique_violation(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Writes each follow-up alert not written before to the active territorial accounts
    /// whose office reaches its project. Answers the alerts and the letters written.
    async fn write_alert_letters(
        &self,
        actor: &Actor,
        today: Date,
        accounts: &[user::Model],
        offices: &HashMap<i32, String>,
    ) -> StoreResult<(usize, usize)> {
        let alerting: Vec<Progress> = stored_alerts(&self.db, &Reach::National, today)
            .await?
            .into_iter()
            .filter(|p| !p.alerts.is_empty())
            .collect();
        if alerting.is_empty() {
            return Ok((0, 0));
        }
        let ids: BTreeMap<String, i32> = project::Entity::find()
            .filter(project::Column::Code.is_in(alerting.iter().map(|p| p.code.clone())))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.code, p.id))
            .collect();
        let mut places: HashMap<i32, Vec<String>> = HashMap::new();
        for m in project_municipality::Entity::find()
            .filter(project_municipality::Column::ProjectId.is_in(ids.values().copied()))
            .all(&self.db)
            .await?
        {
            places.entry(m.project_id).or_default().push(m.dane_code);
        }
        let known: HashSet<(i32, String, String)> = followup_alert_letter::Entity::find()
            .filter(followup_alert_letter::Column::ProjectId.is_in(ids.values().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.project_id, r.alert_kind, r.alert_key))
            .collect();
        let territorial: Vec<(&user::Model, &str)> = accounts
            .iter()
            .filter(|a| a.role.parse::<Role>().is_ok_and(Role::is_territorial))
            .filter_map(|a| {
                a.territorial_office_id
                    .and_then(|o| offices.get(&o))
                    .map(|d| (a, d.as_str()))
            })
            .collect();
        let (mut alerts, mut letters) = (0, 0);
        for p in alerting {
            let Some(project_id) = ids.get(&p.code).copied() else {
                continue;
            };
            let departments = places.get(&project_id).cloned().unwrap_or_default();
            let recipients: Vec<&user::Model> = territorial
                .iter()
                .filter(|(_, department)| departments.iter().any(|m| m.starts_with(department)))
                .map(|(a, _)| *a)
                .collect();
            for alert in &p.alerts {
                let key = alert_key(alert);
                if known.contains(&(project_id, alert.kind.to_string(), key.clone())) {
                    continue;
                }
                if let Some(n) = self
                    .write_alert(actor, project_id, &p.code, alert, &key, today, &recipients)
                    .await?
                {
                    alerts += 1;
                    letters += n;
                }
            }
        }
        Ok((alerts, letters))
    }

    /// One alert's record and its letters, in one transaction; None when already written.
    #[allow(clippy::too_many_arguments)]
    async fn write_alert(
        &self,
        actor: &Actor,
        project_id: i32,
        code: &str,
        alert: &Alert,
        key: &str,
        today: Date,
        recipients: &[&user::Model],
    ) -> StoreResult<Option<usize>> {
        let txn = self.write_transaction().await?;
        let inserted = followup_alert_letter::Entity::insert(followup_alert_letter::ActiveModel {
            project_id: Set(project_id),
            alert_kind: Set(alert.kind.to_string()),
            alert_key: Set(key.to_owned()),
            first_seen: Set(DbDate(today)),
            letters: Set(i32::try_from(recipients.len()).unwrap_or(i32::MAX)),
            ..Default::default()
        })
        .exec(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if crate::is_unique_violation(&error) => return Ok(None),
            Err(error) => return Err(error.into()),
        }
        for account in recipients {
            let facts = staff_facts(
                &account.display_name,
                today,
                StaffLetterFacts {
                    items: Vec::new(),
                    within_days: 0,
                    alert: Some(AlertLetter {
                        project_code: code.to_owned(),
                        alert: alert.clone(),
                    }),
                },
            );
            audit::insert(
                &txn,
                actor,
                crate::verification::letter_row(LetterKind::FollowupAlert, staff_addressee(account), &facts)?,
            )
            .await?;
        }
        match txn.commit().await {
            Ok(()) => Ok(Some(recipients.len())),
            Err(error) if crate::is_unique_violation(&error) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The digests written on `day`, by account id, with the letter each was written as.
    pub async fn digests_on(&self, day: Date) -> StoreResult<Vec<(i32, Option<i32>)>> {
        Ok(inbox_digest::Entity::find()
            .filter(inbox_digest::Column::Day.eq(DbDate(day)))
            .order_by_asc(inbox_digest::Column::UserId)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| (d.user_id, d.letter_id))
            .collect())
    }
}

fn staff_addressee(account: &user::Model) -> crate::verification::Addressee {
    crate::verification::Addressee {
        call_id: None,
        household_id: None,
        petition_id: None,
        recipient: account.display_name.clone(),
        email: Some(account.email.clone()),
    }
}

fn staff_facts(name: &str, today: Date, staff: StaffLetterFacts) -> LetterFacts {
    LetterFacts {
        staff: Some(staff),
        ..LetterFacts::to_person(name, today)
    }
}
