//! The chain of custody: what each step of the procedure takes from the records of the steps
//! before it, checked inside the step's own transaction. Each check answers with a typed
//! refusal naming the article; `docs/invariants.md` lists them with their tests.

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityName, EntityTrait, QueryFilter, QuerySelect};
use vereda_domain::audit::Actor;
use vereda_domain::eligibility::Household;
use vereda_domain::finance::formulation::Formulation;
use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{
    AwardAmountError, AwardAmounts, CofinancingSplit, Evaluation, Evaluator, split,
};
use vereda_domain::rules::RuleBook;
use vereda_domain::verification::VerificationStatus;

use crate::entity::{
    audit_entry, award, call, disbursement, formulation, formulation_version, household,
    household_verification, objection, screening_result,
};
use crate::parcels::parcels_in;
use crate::{Arg, Message, StoreError, StoreResult, corrupt};

/// How closely a formulation's families are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scrutiny {
    /// A draft being written: a family already screened in the call may not be given more than
    /// its screening allows; the rest is checked when the draft is presented.
    Draft,
    /// Presented, endorsed, approved or awarded: every family must come from the call's
    /// screening and verification (Art. 9-14).
    Presented,
}

/// The rule sets a stored version names, as shipped with this build.
static RULE_BOOK: LazyLock<Result<RuleBook, String>> =
    LazyLock::new(|| RuleBook::shipped().map_err(|e| e.to_string()));

pub(crate) fn content_of(version: &formulation_version::Model) -> StoreResult<Formulation> {
    serde_json::from_str(&version.content).map_err(|e| corrupt("formulation version", version.id, e))
}

/// Invariant 1: the families of `content` belong to the formulation's call, were screened
/// eligible in it and verified eligible, and are given no more than their screening allows
/// (Art. 7, 9-14, 29).
pub(crate) async fn check_households(
    db: &impl ConnectionTrait,
    call_id: Option<i32>,
    code: &str,
    content: &Formulation,
    scrutiny: Scrutiny,
) -> StoreResult<()> {
    let Some(call_id) = call_id else {
        return match scrutiny {
            Scrutiny::Draft => Ok(()),
            Scrutiny::Presented => Err(StoreError::Invalid(
                Message::new("custody-error-no_call").with("code", code),
            )),
        };
    };
    let ids: Vec<String> = content
        .frame
        .households
        .iter()
        .map(|h| h.id.trim().to_owned())
        .collect();
    let households: HashMap<String, household::Model> = household::Entity::find()
        .filter(household::Column::CallId.eq(call_id))
        .filter(household::Column::ExternalId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.external_id.clone(), h))
        .collect();
    let screenings: HashMap<String, screening_result::Model> = screening_result::Entity::find()
        .filter(screening_result::Column::CallId.eq(call_id))
        .filter(screening_result::Column::ExternalId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.external_id.clone(), s))
        .collect();
    let verifications: HashMap<i32, String> = household_verification::Entity::find()
        .filter(household_verification::Column::HouseholdId.is_in(households.values().map(|h| h.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.household_id, v.status))
        .collect();
    let mut problems = Vec::new();
    for family in &content.frame.households {
        let id = family.id.trim();
        let problem = |kind: &'static str| Message::new(kind).with("household", id);
        let screening = screenings.get(id);
        if let Some(screening) = screening {
            if let Some(allowed) = screening.cofinancing_max_pct.map(|d| d.0)
                && family.max_pct > allowed
            {
                problems.push(
                    problem("custody-household-percent_above_screening")
                        .with("value", family.max_pct)
                        .with("screened", allowed),
                );
            }
            if let Some(allowed) = screening.cap_smmlv.map(|d| d.0)
                && family.cap_smmlv > allowed
            {
                problems.push(
                    problem("custody-household-cap_above_screening")
                        .with("value", family.cap_smmlv)
                        .with("screened", allowed),
                );
            }
        }
        if scrutiny == Scrutiny::Draft {
            continue;
        }
        let Some(registered) = households.get(id) else {
            problems.push(problem("custody-household-not_in_call"));
            continue;
        };
        match screening {
            None => problems.push(problem("custody-household-not_screened")),
            Some(s) if !s.eligible => problems.push(problem("custody-household-screened_not_eligible")),
            Some(s) if s.cofinancing_max_pct.is_none() || s.cap_smmlv.is_none() => {
                return Err(corrupt("screening result", s.id, "eligible without its limits"));
            }
            Some(s) => {
                // The line and the land the formulation states are those the screening read.
                let facts: Household =
                    serde_json::from_str(&s.facts).map_err(|e| corrupt("screening result", s.id, e))?;
                let differs = family.program_line != facts.program_line
                    || family.land_tenure.is_some_and(|t| t != facts.land_tenure)
                    || (facts.land_restrictions && !family.land_restrictions);
                if differs {
                    problems.push(problem("custody-household-facts_differ"));
                }
            }
        }
        let status = verifications
            .get(&registered.id)
            .map_or(VerificationStatus::Pending.as_str(), String::as_str);
        if status != VerificationStatus::Eligible.as_str() {
            problems.push(
                problem("custody-household-not_verified")
                    .with_term("status", format!("verification-status-{status}")),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            Message::new("custody-error-households")
                .with("code", code)
                .with("problems", Arg::List(problems)),
        ))
    }
}

/// Invariant 2: every parcel of the formulation's families has a favourable title study and
/// a suitable field visit (Art. 12-13), and every family has a parcel.
pub(crate) async fn check_parcels(
    db: &impl ConnectionTrait,
    row: &formulation::Model,
    content: &Formulation,
) -> StoreResult<()> {
    let Some(call_id) = row.call_id else {
        return Err(StoreError::Invalid(
            Message::new("custody-error-no_call").with("code", &row.code),
        ));
    };
    let ids: Vec<String> = content
        .frame
        .households
        .iter()
        .map(|h| h.id.trim().to_owned())
        .collect();
    let households = household::Entity::find()
        .filter(household::Column::CallId.eq(call_id))
        .filter(household::Column::ExternalId.is_in(ids))
        .all(db)
        .await?;
    let household_ids: Vec<i32> = households.iter().map(|h| h.id).collect();
    let parcels = parcels_in(db, &household_ids).await?;
    let mut problems = Vec::new();
    for family in &households {
        let own: Vec<_> = parcels
            .iter()
            .filter(|p| p.parcel.household_id == family.id)
            .collect();
        if own.is_empty() {
            problems.push(Message::new("custody-parcel-none").with("household", &family.external_id));
        }
        for parcel in own.into_iter().filter(|p| !p.standing.is_suitable()) {
            problems.push(
                Message::new("custody-parcel-issues")
                    .with("household", &family.external_id)
                    .with("parcel", &parcel.parcel.name)
                    .with(
                        "issues",
                        Arg::List(parcel.standing.issues().iter().map(|i| i.message()).collect()),
                    ),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            Message::new("custody-error-parcels")
                .with("code", &row.code)
                .with("problems", Arg::List(problems)),
        ))
    }
}

/// A stored version evaluated again under the rule set it names: the store decides on the
/// version's own figures, never on a flag its writer set.
pub(crate) struct EvaluatedVersion {
    pub number: i32,
    pub content: Formulation,
    pub rules: FinancialRules,
    pub evaluation: Evaluation,
    pub split: Result<CofinancingSplit, vereda_domain::finance::CofinancingError>,
}

pub(crate) fn evaluate_version(version: &formulation_version::Model) -> StoreResult<EvaluatedVersion> {
    let content = content_of(version)?;
    let unevaluable = |detail: Message| {
        StoreError::Invalid(
            Message::new("custody-error-unevaluable")
                .with("version", version.number)
                .with("rule_set", &version.rule_set_id)
                .with("detail", Arg::List(vec![detail])),
        )
    };
    let book = RULE_BOOK
        .as_ref()
        .map_err(|e| StoreError::Fault(format!("the shipped rule sets do not load: {e}")))?;
    let rules = book
        .get(&version.rule_set_id)
        .and_then(|set| set.financial.clone())
        .ok_or_else(|| unevaluable(Message::new("custody-detail-rule_set_unknown")))?;
    let problems = content.validate(&rules);
    if !problems.is_empty() {
        return Err(unevaluable(
            Message::new("custody-detail-problems").with("count", problems.len()),
        ));
    }
    let evaluation = Evaluator::new(&rules).evaluate(&content).map_err(|e| {
        unevaluable(
            Message::new("custody-detail-flow")
                .with("detail", vereda_domain::message::Arg::List(vec![e.message()])),
        )
    })?;
    let split = split(&content, &rules);
    Ok(EvaluatedVersion {
        number: version.number,
        content,
        rules,
        evaluation,
        split,
    })
}

/// Invariant 3: a positive concept only for a version that passes every legal check of its
/// evaluation (Art. 19.6, 20, 21) and whose co-financing can be split (Art. 7, 29).
pub(crate) fn check_viable(
    version: &formulation_version::Model,
    evaluated: &EvaluatedVersion,
) -> StoreResult<()> {
    let failing: Vec<String> = evaluated
        .evaluation
        .verdict
        .failures()
        .map(|r| format!("evaluation-check_{}", r.check.as_str()))
        .collect();
    if !failing.is_empty() {
        return Err(StoreError::Invalid(
            Message::new("custody-error-not_viable")
                .with("version", version.number)
                .with("checks", Arg::Terms(failing)),
        ));
    }
    if evaluated.split.is_err() {
        return Err(StoreError::Invalid(
            Message::new("custody-error-no_split").with("version", version.number),
        ));
    }
    Ok(())
}

/// Invariant 4: no concept while an objection against the project, one of its families or
/// parcels is undecided (Art. 24).
pub(crate) async fn check_no_pending_objection(
    db: &impl ConnectionTrait,
    row: &formulation::Model,
) -> StoreResult<()> {
    let pending = objection::Entity::find()
        .filter(objection::Column::FormulationId.eq(row.id))
        .filter(objection::Column::Decision.is_null())
        .all(db)
        .await?;
    if pending.is_empty() {
        return Ok(());
    }
    Err(StoreError::Conflict(
        Message::new("custody-error-objection_pending")
            .with("code", &row.code)
            .with(
                "objections",
                Arg::List(
                    pending
                        .iter()
                        .map(|o| {
                            Message::new("custody-objection")
                                .with("objection", o.id)
                                .with_term("target", format!("procedure-target_{}", o.target))
                                .with("target_ref", &o.target_ref)
                        })
                        .collect(),
                ),
            ),
    ))
}

/// Locks a call's row until the transaction ends (PostgreSQL), so that two directors awarding
/// at the same moment take turns; SQLite's writing transactions already do (Art. 30).
pub(crate) async fn lock_call(db: &impl ConnectionTrait, call_id: i32) -> StoreResult<()> {
    call::Entity::find_by_id(call_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
    Ok(())
}

/// Invariant 6: the call's awards, this one included, stay within its budget (Art. 30).
pub(crate) async fn check_call_budget(
    db: &impl ConnectionTrait,
    call_id: i32,
    amount: Decimal,
) -> StoreResult<()> {
    let the_call = call::Entity::find_by_id(call_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "call",
            id: call_id.to_string(),
        })?;
    let formulations: Vec<i32> = formulation::Entity::find()
        .filter(formulation::Column::CallId.eq(call_id))
        .select_only()
        .column(formulation::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let awarded: Decimal = award::Entity::find()
        .filter(award::Column::FormulationId.is_in(formulations))
        .all(db)
        .await?
        .iter()
        .map(|a| a.institute_contribution.0)
        .sum();
    let budget = the_call.budget_cop.0;
    if awarded + amount > budget {
        return Err(StoreError::Conflict(
            Message::new("custody-error-call_budget")
                .with("amount", amount)
                .with("call", &the_call.code)
                .with("budget", budget)
                .with("awarded", awarded)
                .with("available", (budget - awarded).max(Decimal::ZERO)),
        ));
    }
    Ok(())
}

/// Invariant 5: the award's amounts from the approved version's split (Art. 7, 27, 29, 31).
pub(crate) fn award_amounts(
    evaluated: &EvaluatedVersion,
    chosen: Option<Decimal>,
) -> StoreResult<AwardAmounts> {
    let split = evaluated.split.as_ref().map_err(|_| {
        StoreError::Invalid(Message::new("custody-error-no_split").with("version", evaluated.number))
    })?;
    AwardAmounts::derive(split, &evaluated.rules, chosen).map_err(|e| match e {
        AwardAmountError::NotPositive => {
            StoreError::Invalid(Message::new("procedure-error-amounts_positive"))
        }
        AwardAmountError::AboveMaximum { maximum } => StoreError::Invalid(
            Message::new("custody-error-above_maximum")
                .with("amount", chosen.unwrap_or(maximum))
                .with("maximum", maximum),
        ),
    })
}

/// Invariant 7: whoever recorded evidence of the disbursement's requirements (Art. 32) does
/// not also register the payment (Art. 33). Read from the audit log of the checklist's row.
pub(crate) async fn check_not_the_evidence_recorder(
    db: &impl ConnectionTrait,
    actor: &Actor,
    formulation_id: i32,
) -> StoreResult<()> {
    let Some(user_id) = actor.user_id() else {
        return Ok(());
    };
    let Some(checklist) = disbursement::Entity::find()
        .filter(disbursement::Column::FormulationId.eq(formulation_id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let recorded = audit_entry::Entity::find()
        .filter(audit_entry::Column::Entity.eq(disbursement::Entity.table_name()))
        .filter(audit_entry::Column::EntityId.eq(checklist.id.to_string()))
        .filter(audit_entry::Column::ActorUserId.eq(user_id))
        .one(db)
        .await?
        .is_some();
    if recorded || checklist.policy_approved_by == Some(user_id) {
        return Err(StoreError::Forbidden(Message::new("custody-error-same_hands")));
    }
    Ok(())
}
