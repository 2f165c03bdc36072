//! Follow-up after the payment (Art. 31, 34-36): the surveillance team's visits with their
//! findings per plan line and their commitments, the accompaniment plan's activities, the
//! project's physical, financial and management progress, its alerts, and its closure.
//!
//! Everything here is pure: the store reads the facts inside its transaction and asks.

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ledger::InvestmentPlan;
use crate::message::Message;
use crate::text_enum::text_enum;

text_enum! {
    /// What a visit found of a plan line (Art. 34).
    pub enum Delivery ("delivery") {
        Delivered = "delivered",
        Partial = "partial",
        NotDelivered = "not_delivered",
    }
}

text_enum! {
    /// Why a project closes: its plan executed, or its period ended.
    pub enum ClosureReason ("closure reason") {
        PlanExecuted = "plan_executed",
        PeriodEnded = "period_ended",
    }
}

/// What a visit found of one plan line, with quantities when the line counts units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub line: u32,
    pub delivery: Delivery,
    #[serde(default)]
    pub planned_quantity: Option<Decimal>,
    #[serde(default)]
    pub delivered_quantity: Option<Decimal>,
    #[serde(default)]
    pub note: String,
}

impl Finding {
    /// The share of the line delivered, between 0 and 1: whole, none, or for a partial
    /// delivery the quantities' ratio (a half when no quantities were counted).
    pub fn share(&self) -> Decimal {
        match self.delivery {
            Delivery::Delivered => Decimal::ONE,
            Delivery::NotDelivered => Decimal::ZERO,
            Delivery::Partial => match (self.planned_quantity, self.delivered_quantity) {
                (Some(planned), Some(delivered)) if planned > Decimal::ZERO => {
                    (delivered / planned).clamp(Decimal::ZERO, Decimal::ONE)
                }
                _ => Decimal::new(5, 1),
            },
        }
    }
}

/// A commitment a visit leaves, to be closed by a later visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentDraft {
    pub description: String,
    pub due_on: Date,
}

/// A supervision visit as the surveillance team records it (Art. 34-35).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitDraft {
    pub visited_on: Date,
    /// The surveillance team's members who made it (Art. 35).
    pub team: Vec<String>,
    pub findings: Vec<Finding>,
    pub environmental: String,
    pub legal: String,
    /// From 1 (poor) to 5 (excellent).
    pub rating: u8,
    pub commitments: Vec<CommitmentDraft>,
}

/// The highest rating of a visit.
pub const TOP_RATING: u8 = 5;

impl VisitDraft {
    /// The rules of a visit: after the payment and not in the future, made by the team, rated
    /// 1 to 5, its findings on the plan's lines once each with quantities not negative, its
    /// commitments described and due after the visit. The first problem, with its field.
    pub fn check(&self, plan: &InvestmentPlan, paid_on: Option<Date>, today: Date) -> Result<(), Message> {
        let Some(paid_on) = paid_on else {
            return Err(Message::new("followup-error-not_paid")
                .with("article", "Art. 34")
                .with("field", "visited_on"));
        };
        if self.visited_on < paid_on || self.visited_on > today {
            return Err(Message::new("followup-error-visit_date")
                .with("date", self.visited_on)
                .with("paid_on", paid_on)
                .with("article", "Art. 34")
                .with("field", "visited_on"));
        }
        if self.team.iter().all(|m| m.trim().is_empty()) {
            return Err(Message::new("followup-error-team_required")
                .with("article", "Art. 35")
                .with("field", "team"));
        }
        if !(1..=TOP_RATING).contains(&self.rating) {
            return Err(Message::new("followup-error-rating")
                .with("value", u64::from(self.rating))
                .with("field", "rating"));
        }
        let mut seen = Vec::new();
        for f in &self.findings {
            if plan.line(f.line).is_none() || seen.contains(&f.line) {
                return Err(Message::new("followup-error-finding_line")
                    .with("line", u64::from(f.line))
                    .with("field", "findings"));
            }
            seen.push(f.line);
            let negative = [f.planned_quantity, f.delivered_quantity]
                .into_iter()
                .flatten()
                .any(|q| q < Decimal::ZERO);
            if negative {
                return Err(Message::new("followup-error-quantity")
                    .with("line", u64::from(f.line))
                    .with("field", "findings"));
            }
        }
        for c in &self.commitments {
            if c.description.trim().is_empty() || c.due_on <= self.visited_on {
                return Err(Message::new("followup-error-commitment")
                    .with("due_on", c.due_on)
                    .with("article", "Art. 34")
                    .with("field", "commitments"));
            }
        }
        Ok(())
    }
}

/// Physical progress in percent (0-100): each plan line weighs its amount and counts the
/// share its latest finding delivered; a line no visit saw counts nothing.
pub fn physical_progress(plan: &InvestmentPlan, latest: &BTreeMap<u32, Finding>) -> Decimal {
    let total = plan.total();
    if total <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let delivered: Decimal = plan
        .lines
        .iter()
        .map(|l| l.amount * latest.get(&l.number).map(Finding::share).unwrap_or_default())
        .sum();
    (delivered * Decimal::ONE_HUNDRED / total).round_dp(1)
}

/// Financial progress in percent (0-100, may pass 100): what the payments spent of the plan.
pub fn financial_progress(plan: &InvestmentPlan, executed: &BTreeMap<u32, Decimal>) -> Decimal {
    let total = plan.total();
    if total <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    (executed.values().copied().sum::<Decimal>() * Decimal::ONE_HUNDRED / total).round_dp(1)
}

/// Management progress in percent (0-100): the commitments closed and the accompaniment
/// activities delivered, of all; 100 when there are none.
pub fn management_progress(commitments: (usize, usize), activities: (usize, usize)) -> Decimal {
    let done = commitments.0 + activities.0;
    let all = commitments.1 + activities.1;
    if all == 0 {
        return Decimal::ONE_HUNDRED;
    }
    (Decimal::from(done as u64) * Decimal::ONE_HUNDRED / Decimal::from(all as u64)).round_dp(1)
}

text_enum! {
    /// The kinds of alert of a project in follow-up.
    pub enum AlertKind ("alert kind") {
        NoMovement = "no_movement",
        LineOverPlan = "line_over_plan",
        MoneyAheadOfWork = "money_ahead_of_work",
        CommitmentOverdue = "commitment_overdue",
        PolicyExpiring = "policy_expiring",
    }
}

/// Days without a movement of the account after the payment that raise an alert.
pub const IDLE_DAYS: i64 = 60;
/// Days before the performance policy ends that raise an alert (Art. 31).
pub const POLICY_NOTICE_DAYS: i64 = 60;
/// The performance policy's months (Art. 31).
pub const POLICY_MONTHS: i64 = 24;
/// Points by which financial progress may lead physical progress before an alert.
pub const AHEAD_POINTS: i64 = 30;

/// An alert: its kind and its message, with the article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub message: Message,
}

/// An open commitment: its id and due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenCommitment {
    pub id: i32,
    pub due_on: Date,
}

/// What the alerts of a project are computed from.
#[derive(Debug, Clone)]
pub struct AlertFacts<'a> {
    pub today: Date,
    pub closed: bool,
    pub paid_on: Option<Date>,
    pub last_movement: Option<Date>,
    /// The plan's lines executed over their amount ([`lines_over_plan`]).
    pub over_plan: &'a [LineOverPlan],
    pub physical: Decimal,
    pub financial: Decimal,
    pub open_commitments: &'a [OpenCommitment],
}

/// A plan line executed over its amount (Art. 29 par.).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineOverPlan {
    pub line: u32,
    pub planned: Decimal,
    pub executed: Decimal,
}

/// The lines of `plan` on which `executed` (by line number) is over the line's amount, in
/// the plan's order: what the alert of a line over plan is raised from, and what a
/// project's stored follow-up facts keep of its account.
pub fn lines_over_plan(plan: &InvestmentPlan, executed: &BTreeMap<u32, Decimal>) -> Vec<LineOverPlan> {
    plan.lines
        .iter()
        .filter_map(|line| {
            let spent = executed.get(&line.number).copied().unwrap_or_default();
            (spent > line.amount).then_some(LineOverPlan {
                line: line.number,
                planned: line.amount,
                executed: spent,
            })
        })
        .collect()
}

/// The end of the performance policy (Art. 31): 24 months from the payment.
pub fn policy_ends(paid_on: Date) -> Option<Date> {
    paid_on.checked_add(POLICY_MONTHS.months()).ok()
}

/// Every alert of a project, in a fixed order; none for a closed project or one not paid.
pub fn alerts(facts: &AlertFacts<'_>) -> Vec<Alert> {
    let mut out = Vec::new();
    let Some(paid_on) = facts.paid_on else {
        return out;
    };
    if facts.closed {
        return out;
    }
    let since = facts.last_movement.unwrap_or(paid_on).max(paid_on);
    let idle = (facts.today - since).get_days();
    if i64::from(idle) > IDLE_DAYS {
        out.push(Alert {
            kind: AlertKind::NoMovement,
            message: Message::new("alert-no_movement")
                .with("since", since)
                .with("days", i64::from(idle))
                .with("article", "Art. 34"),
        });
    }
    for over in facts.over_plan {
        out.push(Alert {
            kind: AlertKind::LineOverPlan,
            message: Message::new("alert-line_over_plan")
                .with("line", u64::from(over.line))
                .with("planned", over.planned)
                .with("executed", over.executed)
                .with("article", "Art. 29 par."),
        });
    }
    if facts.financial - facts.physical > Decimal::from(AHEAD_POINTS) {
        out.push(Alert {
            kind: AlertKind::MoneyAheadOfWork,
            message: Message::new("alert-money_ahead_of_work")
                .with("financial", facts.financial)
                .with("physical", facts.physical)
                .with("article", "Art. 34"),
        });
    }
    for c in facts.open_commitments {
        if c.due_on < facts.today {
            out.push(Alert {
                kind: AlertKind::CommitmentOverdue,
                message: Message::new("alert-commitment_overdue")
                    .with("commitment", i64::from(c.id))
                    .with("due_on", c.due_on)
                    .with("article", "Art. 34"),
            });
        }
    }
    if let Some(ends) = policy_ends(paid_on) {
        let left = i64::from((ends - facts.today).get_days());
        if (0..=POLICY_NOTICE_DAYS).contains(&left) {
            out.push(Alert {
                kind: AlertKind::PolicyExpiring,
                message: Message::new("alert-policy_expiring")
                    .with("ends_on", ends)
                    .with("article", "Art. 31"),
            });
        }
    }
    out
}

/// The closing figures of a project's account (Art. 34): what is left in the account is
/// refunded to the institute, up to what the institute put in and did not spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosingFigures {
    pub disbursed: Decimal,
    pub executed: Decimal,
    pub balance: Decimal,
    pub to_refund: Decimal,
}

/// The balance to refund: the account's balance, never below zero.
pub fn closing_figures(disbursed: Decimal, executed: Decimal, balance: Decimal) -> ClosingFigures {
    ClosingFigures {
        disbursed,
        executed,
        balance,
        to_refund: balance.max(Decimal::ZERO),
    }
}

/// The rules of a closure: a reason that holds (the plan executed in full, or the period
/// ended by the closing date), and the refund recorded equal to the balance to refund.
pub fn check_closure(
    reason: ClosureReason,
    closed_on: Date,
    period_end: Date,
    financial: Decimal,
    to_refund: Decimal,
    refunded: Decimal,
) -> Result<(), Message> {
    let holds = match reason {
        ClosureReason::PlanExecuted => financial >= Decimal::ONE_HUNDRED,
        ClosureReason::PeriodEnded => closed_on >= period_end,
    };
    if !holds {
        return Err(Message::new("closure-error-reason")
            .with_term("reason", format!("closure-reason-{reason}"))
            .with("period_end", period_end)
            .with("financial", financial)
            .with("article", "Art. 34")
            .with("field", "reason"));
    }
    if refunded != to_refund {
        return Err(Message::new("closure-error-refund")
            .with("to_refund", to_refund)
            .with("refunded", refunded)
            .with("article", "Art. 34")
            .with("field", "refund_value"));
    }
    Ok(())
}

/// An activity of the accompaniment plan to schedule: one of the formulation's training
/// topics (Art. 18.5), on or after the payment (Art. 36).
pub fn check_schedule(
    topic: &str,
    topics: &[String],
    scheduled_on: Date,
    paid_on: Option<Date>,
) -> Result<(), Message> {
    let Some(paid_on) = paid_on else {
        return Err(Message::new("followup-error-not_paid")
            .with("article", "Art. 34")
            .with("field", "scheduled_on"));
    };
    let folded = |t: &str| crate::text::fold_for_search(t.trim());
    if !topics.iter().any(|t| folded(t) == folded(topic)) || topic.trim().is_empty() {
        return Err(Message::new("followup-error-topic")
            .with("topic", topic.trim())
            .with("article", "Art. 18.5")
            .with("field", "topic"));
    }
    if scheduled_on < paid_on {
        return Err(Message::new("followup-error-schedule_date")
            .with("date", scheduled_on)
            .with("paid_on", paid_on)
            .with("field", "scheduled_on"));
    }
    Ok(())
}

/// The delivery of an accompaniment activity (Art. 36): its attendance, one attendee per
/// family counted by sex, no more families than the project's, dated after the payment and
/// not in the future, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityDelivery {
    pub delivered_on: Date,
    pub families: u32,
    pub women: u32,
    pub men: u32,
    pub has_evidence: bool,
}

impl ActivityDelivery {
    pub fn check(&self, project_families: u32, paid_on: Date, today: Date) -> Result<(), Message> {
        if self.delivered_on < paid_on || self.delivered_on > today {
            return Err(Message::new("followup-error-delivery_date")
                .with("date", self.delivered_on)
                .with("paid_on", paid_on)
                .with("field", "delivered_on"));
        }
        if self.families == 0 || self.families > project_families || self.women + self.men != self.families {
            return Err(Message::new("followup-error-attendance")
                .with("families", self.families)
                .with("women", self.women)
                .with("men", self.men)
                .with("project_families", project_families)
                .with("field", "families"));
        }
        if !self.has_evidence {
            return Err(Message::new("followup-error-evidence_required")
                .with("article", "Art. 36")
                .with("field", "evidence"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::finance::{BudgetLine, ExpenseCategory, Funder};
    use crate::message::Arg;

    fn plan() -> InvestmentPlan {
        let line = |category, amount| BudgetLine {
            category,
            funder: Funder::Institute,
            description: "línea".into(),
            quantity: Decimal::ONE,
            unit: String::new(),
            unit_price: amount,
            year: Some(0),
            month: None,
        };
        InvestmentPlan::from_budget(
            &[
                line(ExpenseCategory::GoodsAndEquipment, dec!(1000)),
                line(ExpenseCategory::MaterialsAndSupplies, dec!(500)),
            ],
            &[
                ExpenseCategory::GoodsAndEquipment,
                ExpenseCategory::MaterialsAndSupplies,
            ],
        )
    }

    fn finding(line: u32, delivery: Delivery) -> Finding {
        Finding {
            line,
            delivery,
            planned_quantity: None,
            delivered_quantity: None,
            note: String::new(),
        }
    }

    fn day(m: i8, d: i8) -> Date {
        jiff::civil::date(2014, m, d)
    }

    fn visit() -> VisitDraft {
        VisitDraft {
            visited_on: day(3, 1),
            team: vec!["Ingeniera agrónoma".into()],
            findings: vec![finding(1, Delivery::Delivered)],
            environmental: String::new(),
            legal: String::new(),
            rating: 4,
            commitments: vec![CommitmentDraft {
                description: "Cercar el vivero".into(),
                due_on: day(4, 1),
            }],
        }
    }

    fn article(message: &Message) -> Option<&Arg> {
        message.arg("article")
    }

    #[test]
    fn a_visit_is_made_by_the_team_after_the_payment_on_the_plans_lines() {
        let plan = plan();
        let paid = Some(day(1, 10));
        assert_eq!(visit().check(&plan, paid, day(3, 2)), Ok(()));
        let not_paid = visit().check(&plan, None, day(3, 2)).expect_err("not paid");
        assert_eq!(
            (not_paid.code(), article(&not_paid)),
            ("followup-error-not_paid", Some(&Arg::Text("Art. 34".into())))
        );
        let future = visit().check(&plan, paid, day(2, 1)).expect_err("future");
        assert_eq!(future.code(), "followup-error-visit_date");
        let alone = VisitDraft {
            team: vec![" ".into()],
            ..visit()
        };
        let refused = alone.check(&plan, paid, day(3, 2)).expect_err("team");
        assert_eq!(
            (refused.code(), article(&refused)),
            ("followup-error-team_required", Some(&Arg::Text("Art. 35".into())))
        );
        let rated = VisitDraft { rating: 6, ..visit() };
        assert_eq!(
            rated.check(&plan, paid, day(3, 2)).expect_err("rating").code(),
            "followup-error-rating"
        );
        let stranger = VisitDraft {
            findings: vec![finding(9, Delivery::Delivered)],
            ..visit()
        };
        assert_eq!(
            stranger.check(&plan, paid, day(3, 2)).expect_err("line").code(),
            "followup-error-finding_line"
        );
        let twice = VisitDraft {
            findings: vec![finding(1, Delivery::Delivered), finding(1, Delivery::Partial)],
            ..visit()
        };
        assert_eq!(
            twice.check(&plan, paid, day(3, 2)).expect_err("twice").code(),
            "followup-error-finding_line"
        );
        let negative = VisitDraft {
            findings: vec![Finding {
                delivered_quantity: Some(dec!(-1)),
                ..finding(2, Delivery::Partial)
            }],
            ..visit()
        };
        assert_eq!(
            negative
                .check(&plan, paid, day(3, 2))
                .expect_err("quantity")
                .code(),
            "followup-error-quantity"
        );
        let past_due = VisitDraft {
            commitments: vec![CommitmentDraft {
                description: "Algo".into(),
                due_on: day(3, 1),
            }],
            ..visit()
        };
        assert_eq!(
            past_due.check(&plan, paid, day(3, 2)).expect_err("due").code(),
            "followup-error-commitment"
        );
    }

    #[test]
    fn physical_progress_weighs_each_line_by_its_amount() {
        let plan = plan();
        assert_eq!(physical_progress(&plan, &BTreeMap::new()), dec!(0));
        let mut latest = BTreeMap::from([(1, finding(1, Delivery::Delivered))]);
        assert_eq!(physical_progress(&plan, &latest), dec!(66.7));
        latest.insert(
            2,
            Finding {
                planned_quantity: Some(dec!(10)),
                delivered_quantity: Some(dec!(4)),
                ..finding(2, Delivery::Partial)
            },
        );
        assert_eq!(physical_progress(&plan, &latest), dec!(80.0));
        latest.insert(2, finding(2, Delivery::Partial));
        assert_eq!(physical_progress(&plan, &latest), dec!(83.3));
        assert_eq!(
            financial_progress(&plan, &BTreeMap::from([(1, dec!(750))])),
            dec!(50.0)
        );
        assert_eq!(management_progress((1, 2), (1, 2)), dec!(50.0));
        assert_eq!(management_progress((0, 0), (0, 0)), dec!(100));
    }

    fn kinds(alerts: &[Alert]) -> Vec<(AlertKind, Option<Arg>)> {
        alerts
            .iter()
            .map(|a| (a.kind, a.message.arg("article").cloned()))
            .collect()
    }

    #[test]
    fn alerts_name_their_article() {
        let plan = plan();
        let executed = BTreeMap::from([(1, dec!(1200))]);
        let commitments = [
            OpenCommitment {
                id: 7,
                due_on: day(3, 1),
            },
            OpenCommitment {
                id: 8,
                due_on: day(9, 1),
            },
        ];
        let over = lines_over_plan(&plan, &executed);
        assert_eq!(
            over,
            [LineOverPlan {
                line: 1,
                planned: plan.lines[0].amount,
                executed: dec!(1200)
            }]
        );
        let facts = AlertFacts {
            today: day(5, 10),
            closed: false,
            paid_on: Some(day(1, 10)),
            last_movement: Some(day(2, 1)),
            over_plan: &over,
            physical: dec!(10),
            financial: dec!(80),
            open_commitments: &commitments,
        };
        let text = |s: &str| Some(Arg::Text(s.into()));
        assert_eq!(
            kinds(&alerts(&facts)),
            [
                (AlertKind::NoMovement, text("Art. 34")),
                (AlertKind::LineOverPlan, text("Art. 29 par.")),
                (AlertKind::MoneyAheadOfWork, text("Art. 34")),
                (AlertKind::CommitmentOverdue, text("Art. 34")),
            ]
        );
        let overdue = &alerts(&facts)[3];
        assert_eq!(overdue.message.arg("commitment"), Some(&Arg::Count(7)));
        // 60 days without a movement are not yet idle; 61 are.
        let quiet = AlertFacts {
            last_movement: Some(day(3, 11)),
            ..facts.clone()
        };
        assert!(
            !kinds(&alerts(&quiet))
                .iter()
                .any(|(k, _)| *k == AlertKind::NoMovement)
        );
        let idle = AlertFacts {
            last_movement: Some(day(3, 10)),
            ..facts.clone()
        };
        assert!(
            kinds(&alerts(&idle))
                .iter()
                .any(|(k, _)| *k == AlertKind::NoMovement)
        );
        // Within 30 points of each other: no alert.
        let even = AlertFacts {
            financial: dec!(40),
            ..facts.clone()
        };
        assert!(
            !kinds(&alerts(&even))
                .iter()
                .any(|(k, _)| *k == AlertKind::MoneyAheadOfWork)
        );
        // The policy of 24 months (Art. 31) ends on 10 January 2016.
        assert_eq!(policy_ends(day(1, 10)), Some(jiff::civil::date(2016, 1, 10)));
        let late = AlertFacts {
            today: jiff::civil::date(2015, 11, 20),
            last_movement: Some(jiff::civil::date(2015, 11, 1)),
            open_commitments: &[],
            over_plan: &[],
            financial: dec!(0),
            ..facts.clone()
        };
        assert_eq!(
            kinds(&alerts(&late)),
            [(AlertKind::PolicyExpiring, text("Art. 31"))]
        );
        let early = AlertFacts {
            today: jiff::civil::date(2015, 11, 1),
            ..late.clone()
        };
        assert_eq!(kinds(&alerts(&early)), []);
        let closed = AlertFacts {
            closed: true,
            ..facts.clone()
        };
        assert!(alerts(&closed).is_empty(), "a closed project raises nothing");
        let unpaid = AlertFacts {
            paid_on: None,
            ..facts
        };
        assert!(alerts(&unpaid).is_empty());
    }

    #[test]
    fn a_closure_holds_its_reason_and_refunds_the_balance() {
        let figures = closing_figures(dec!(1500), dec!(1400), dec!(100));
        assert_eq!(figures.to_refund, dec!(100));
        assert_eq!(closing_figures(dec!(1), dec!(2), dec!(-1)).to_refund, dec!(0));
        let end = day(12, 31);
        assert_eq!(
            check_closure(
                ClosureReason::PeriodEnded,
                end,
                end,
                dec!(90),
                dec!(100),
                dec!(100)
            ),
            Ok(())
        );
        let early = check_closure(
            ClosureReason::PeriodEnded,
            day(6, 1),
            end,
            dec!(90),
            dec!(100),
            dec!(100),
        )
        .expect_err("early");
        assert_eq!(
            (early.code(), article(&early)),
            ("closure-error-reason", Some(&Arg::Text("Art. 34".into())))
        );
        assert_eq!(
            check_closure(
                ClosureReason::PlanExecuted,
                day(6, 1),
                end,
                dec!(100),
                dec!(0),
                dec!(0)
            ),
            Ok(())
        );
        let unexecuted = check_closure(
            ClosureReason::PlanExecuted,
            day(6, 1),
            end,
            dec!(99.9),
            dec!(0),
            dec!(0),
        );
        assert_eq!(
            unexecuted.expect_err("not executed").code(),
            "closure-error-reason"
        );
        let unrefunded = check_closure(ClosureReason::PeriodEnded, end, end, dec!(90), dec!(100), dec!(0));
        assert_eq!(unrefunded.expect_err("refund").code(), "closure-error-refund");
    }

    #[test]
    fn accompaniment_follows_the_formulations_topics_with_attendance_by_sex() {
        let topics = vec!["Manejo del cultivo de cacao".to_owned(), "Poscosecha".to_owned()];
        let paid = Some(day(1, 10));
        assert_eq!(
            check_schedule("manejo del cultivo de cacao ", &topics, day(2, 1), paid),
            Ok(())
        );
        let other = check_schedule("Contabilidad", &topics, day(2, 1), paid).expect_err("topic");
        assert_eq!(
            (other.code(), article(&other)),
            ("followup-error-topic", Some(&Arg::Text("Art. 18.5".into())))
        );
        assert_eq!(
            check_schedule("Poscosecha", &topics, day(1, 1), paid)
                .expect_err("early")
                .code(),
            "followup-error-schedule_date"
        );
        assert_eq!(
            check_schedule("Poscosecha", &topics, day(2, 1), None)
                .expect_err("unpaid")
                .code(),
            "followup-error-not_paid"
        );
        let delivery = ActivityDelivery {
            delivered_on: day(2, 1),
            families: 8,
            women: 5,
            men: 3,
            has_evidence: true,
        };
        assert_eq!(delivery.check(10, day(1, 10), day(3, 1)), Ok(()));
        let miscounted = ActivityDelivery {
            men: 2,
            ..delivery.clone()
        };
        assert_eq!(
            miscounted
                .check(10, day(1, 10), day(3, 1))
                .expect_err("count")
                .code(),
            "followup-error-attendance"
        );
        let too_many = ActivityDelivery {
            families: 11,
            women: 6,
            men: 5,
            ..delivery.clone()
        };
        assert_eq!(
            too_many
                .check(10, day(1, 10), day(3, 1))
                .expect_err("families")
                .code(),
            "followup-error-attendance"
        );
        let bare = ActivityDelivery {
            has_evidence: false,
            ..delivery.clone()
        };
        let refused = bare.check(10, day(1, 10), day(3, 1)).expect_err("evidence");
        assert_eq!(
            (refused.code(), article(&refused)),
            (
                "followup-error-evidence_required",
                Some(&Arg::Text("Art. 36".into()))
            )
        );
        assert_eq!(
            delivery
                .check(10, day(1, 10), day(1, 20))
                .expect_err("future")
                .code(),
            "followup-error-delivery_date"
        );
    }
}
