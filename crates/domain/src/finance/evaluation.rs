//! Evaluación financiera: indicators of the cash flow and the verdict, each reason with its
//! article, the value seen and the threshold.
//!
//! - NPV (VPN) at the rule set's discount rate: Σ net_t / (1 + rate)^t, year 0 undiscounted.
//! - B/C = PV(benefits) / PV(costs) at the same rate, where benefits are income and residual
//!   value and costs are every other row, technical assistance net of its neutralisation (see
//!   [`super::cashflow`]); so PV(benefits) - PV(costs) = NPV.
//! - Family income: net operating income ([`CashFlowYear::operating_income`]) per family, per
//!   month or year, in SMMLV of the call's budget year.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::cashflow::{CashFlow, CashFlowYear};
use super::formulation::{ExpenseCategory, Formulation, Funder, MAX_HORIZON_YEARS};
use super::irr::{DecidingRate, Irr, irr, mirr};
use super::rules::{Comparison, FinancialRules, IncomeBasis, IncomePeriod};
use super::sensitivity::{FlowParts, Sensitivity, analyse, rate_meets};
use crate::money::{format_amount, minimum_wage};
use crate::text_enum::text_enum;

/// Why a formulation cannot be evaluated at all (as opposed to being evaluated as not viable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("no SMMLV is known for the budget year {year}")]
    UnknownMinimumWage { year: i16 },
    #[error("the project has no participating family")]
    NoHouseholds,
    #[error("a horizon of {horizon} years cannot be evaluated")]
    Horizon { horizon: u16 },
    #[error("{path} falls in year {year}, beyond the horizon of {horizon} years")]
    OutsideHorizon { path: String, year: u16, horizon: u16 },
    #[error("{path} needs exactly one of year and month of execution")]
    NoExecutionTime { path: String },
}

impl EvaluationError {
    /// What went wrong, as a typed message.
    pub fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            EvaluationError::UnknownMinimumWage { year } => {
                Message::new("evaluation-error-unknown_minimum_wage").with("year", *year)
            }
            EvaluationError::NoHouseholds => Message::new("evaluation-error-no_households"),
            EvaluationError::Horizon { horizon } => {
                Message::new("evaluation-error-horizon").with("horizon", *horizon)
            }
            EvaluationError::OutsideHorizon { path, year, horizon } => {
                Message::new("evaluation-error-outside_horizon")
                    .with("path", path)
                    .with("year", *year)
                    .with("horizon", *horizon)
            }
            EvaluationError::NoExecutionTime { path } => {
                Message::new("evaluation-error-no_execution_time").with("path", path)
            }
        }
    }
}

text_enum! {
    /// The checks of the verdict.
    pub enum Check ("check") {
        /// No land in the formulation (Art. 18.4).
        NoLand = "no_land",
        /// Accompaniment and training plan (Art. 18.5).
        AccompanimentPlan = "accompaniment_plan",
        /// Direct employment initiative (Art. 18.6).
        EmploymentInitiative = "employment_initiative",
        /// Horizon of the cash flow (Art. 19.6).
        Horizon = "horizon",
        /// IRR (Art. 19.6).
        Irr = "irr",
        /// Benefit/cost ratio (Art. 19.6).
        BenefitCost = "benefit_cost",
        /// Net income per family (Art. 19.6).
        FamilyIncome = "family_income",
        /// The institute is asked only for eligible expenses (Art. 20).
        EligibleExpenses = "eligible_expenses",
        /// The counterpart covers the non-eligible expenses (Art. 21).
        CounterpartCoversIneligible = "counterpart_covers_ineligible",
    }
}

/// A value seen or required by a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Value {
    /// A rate as a fraction (0.06 is 6 %).
    Rate(f64),
    /// The flow has no IRR.
    NoIrr,
    /// The flow has several IRRs (and no MIRR could be computed).
    SeveralIrr(Vec<f64>),
    /// The flow has several IRRs (`roots`, ascending): its modified IRR `rate` decided.
    Mirr {
        rate: f64,
        roots: Vec<f64>,
    },
    Ratio(Decimal),
    /// A ratio without a denominator (nothing costs).
    Undefined,
    Smmlv(Decimal),
    Years(u16),
    Count(usize),
    Amount(Decimal),
    Present(bool),
    NotApplicable,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = |rate: f64| format!("{:.2} %", rate * 100.0);
        match self {
            Value::Rate(rate) => f.write_str(&percent(*rate)),
            Value::NoIrr => f.write_str("no IRR"),
            Value::SeveralIrr(rates) => {
                let list: Vec<String> = rates.iter().map(|r| percent(*r)).collect();
                write!(f, "several IRRs ({})", list.join(", "))
            }
            Value::Mirr { rate, roots } => {
                let list: Vec<String> = roots.iter().map(|r| percent(*r)).collect();
                write!(f, "MIRR {} (several IRRs: {})", percent(*rate), list.join(", "))
            }
            Value::Ratio(ratio) => write!(f, "{}", ratio.round_dp(4).normalize()),
            Value::Undefined => f.write_str("undefined"),
            Value::Smmlv(smmlv) => write!(f, "{} SMMLV", smmlv.round_dp(2).normalize()),
            Value::Years(years) => write!(f, "{years} years"),
            Value::Count(count) => write!(f, "{count}"),
            Value::Amount(amount) => write!(f, "COP {}", format_amount(*amount)),
            Value::Present(true) => f.write_str("present"),
            Value::Present(false) => f.write_str("missing"),
            Value::NotApplicable => f.write_str("not applicable"),
        }
    }
}

/// What a check requires: a comparison with a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bound {
    pub comparison: Comparison,
    pub value: Value,
}

/// One reason of the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub check: Check,
    pub article: String,
    pub passed: bool,
    pub seen: Value,
    /// `None` when the check is about presence rather than a figure.
    pub threshold: Option<Bound>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.passed { "met" } else { "NOT met" };
        write!(
            f,
            "{} ({}): {outcome}; seen {}",
            self.check, self.article, self.seen
        )?;
        if let Some(bound) = &self.threshold {
            write!(f, ", required {} {}", bound.comparison.symbol(), bound.value)?;
        }
        Ok(())
    }
}

/// Viable or not, with every reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub viable: bool,
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// The reasons that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().filter(|r| !r.passed)
    }

    pub fn reason(&self, check: Check) -> Option<&Reason> {
        self.reasons.iter().find(|r| r.check == check)
    }
}

/// Net income per family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyIncome {
    pub basis: IncomeBasis,
    pub period: IncomePeriod,
    /// First year of full production (the year measured, or the first year averaged).
    pub year: u16,
    pub families: usize,
    /// Net operating income of the whole project in the year (or the average year).
    pub project_income: Decimal,
    /// Per family and period, in pesos.
    pub per_family: Decimal,
    /// SMMLV of the call's budget year.
    pub minimum_wage: Decimal,
    /// Per family and period, in SMMLV.
    pub in_smmlv: Decimal,
}

/// The financial evaluation of a formulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub cash_flow: CashFlow,
    pub irr: Irr,
    /// Modified IRR at the discount rate (finance and reinvestment), computed when the flow has
    /// several IRRs: it is then the rate the IRR check compares (Art. 19.6).
    pub mirr: Option<f64>,
    pub discount_rate: Decimal,
    /// VPN at the discount rate, rounded to cents.
    pub npv: Decimal,
    pub present_value_benefits: Decimal,
    pub present_value_costs: Decimal,
    /// Relación beneficio/costo; `None` when the costs' present value is not positive.
    pub benefit_cost: Option<Decimal>,
    pub family_income: FamilyIncome,
    pub sensitivity: Sensitivity,
    pub verdict: Verdict,
}

impl Evaluation {
    /// The rate the IRR check compared: the unique IRR, or the MIRR of a flow with several.
    pub fn deciding_rate(&self) -> DecidingRate {
        DecidingRate::of(&self.irr, self.mirr)
    }
}

/// Evaluates a formulation under a rule set. Errors only when the flow cannot be built at all;
/// every rule that fails is a reason of a negative verdict instead. To evaluate many
/// formulations under one rule set, prepare an [`Evaluator`] once.
pub fn evaluate(formulation: &Formulation, rules: &FinancialRules) -> Result<Evaluation, EvaluationError> {
    Evaluator::up_to(rules, formulation.frame.horizon_years.min(MAX_HORIZON_YEARS)).evaluate(formulation)
}

const DISCOUNT_FACTOR_PLACES: u32 = 18;

/// A rule set prepared for evaluating many formulations: its discount factors are computed once.
/// It only reads, so one evaluator can serve several threads.
#[derive(Debug, Clone)]
pub struct Evaluator<'r> {
    rules: &'r FinancialRules,
    /// 1 / (1 + discount rate)^t for t = 0..=horizon.
    discount_factors: Vec<Decimal>,
}

impl<'r> Evaluator<'r> {
    /// Prepares `rules` for every horizon a formulation may have.
    pub fn new(rules: &'r FinancialRules) -> Self {
        Self::up_to(rules, MAX_HORIZON_YEARS)
    }

    fn up_to(rules: &'r FinancialRules, horizon: u16) -> Self {
        let growth = Decimal::ONE + rules.discount_rate.value;
        let mut discount_factors = Vec::with_capacity(usize::from(horizon) + 1);
        let mut factor = Decimal::ONE;
        for _ in 0..=horizon {
            // 18 decimal places: below a millionth of a peso on any amount under 10^12, and
            // short enough that multiplying an amount by the factor needs no rescaling.
            discount_factors.push(factor.round_dp(DISCOUNT_FACTOR_PLACES));
            // A rate of -1 or below is a broken rule set (FinancialRules::problems says so);
            // its factors stay at 1 rather than dividing by zero.
            if growth > Decimal::ZERO {
                factor /= growth;
            }
        }
        Self {
            rules,
            discount_factors,
        }
    }

    pub fn rules(&self) -> &'r FinancialRules {
        self.rules
    }

    /// See [`evaluate`].
    pub fn evaluate(&self, formulation: &Formulation) -> Result<Evaluation, EvaluationError> {
        let rules = self.rules;
        let frame = &formulation.frame;
        let wage = minimum_wage(frame.budget_year)
            .ok_or(EvaluationError::UnknownMinimumWage {
                year: frame.budget_year,
            })?
            .amount_cop;
        if frame.households.is_empty() {
            return Err(EvaluationError::NoHouseholds);
        }
        let cash_flow = CashFlow::build(formulation, rules)?;
        let net_flows = cash_flow.net_flows();
        let irr = irr(&net_flows);
        let rate = rules.discount_rate.value;
        let mirr = matches!(irr, Irr::Several(_))
            .then(|| mirr(&net_flows, rate, rate))
            .flatten();
        let extended;
        let factors = if self.discount_factors.len() >= cash_flow.years.len() {
            &self.discount_factors
        } else {
            extended = Self::up_to(rules, cash_flow.horizon()).discount_factors;
            &extended
        };
        let parts = FlowParts::new(&cash_flow, factors);
        let one = Decimal::ONE;
        let npv = parts.npv(one, one, one).round_dp(2);
        let [pv_income, pv_output, pv_other, pv_residual] = parts.present_values;
        let present_value_benefits = (pv_income + pv_residual).round_dp(2);
        let present_value_costs = (pv_output + pv_other).round_dp(2);
        let benefit_cost = parts.benefit_cost(one, one, one);
        let family_income = family_income(formulation, &cash_flow, rules, wage);
        let sensitivity = analyse(&parts, DecidingRate::of(&irr, mirr), rules);
        let verdict = verdict(formulation, rules, &irr, mirr, benefit_cost, &family_income);
        Ok(Evaluation {
            cash_flow,
            irr,
            mirr,
            discount_rate: rules.discount_rate.value,
            npv,
            present_value_benefits,
            present_value_costs,
            benefit_cost,
            family_income,
            sensitivity,
            verdict,
        })
    }
}

fn family_income(
    formulation: &Formulation,
    cash_flow: &CashFlow,
    rules: &FinancialRules,
    wage: Decimal,
) -> FamilyIncome {
    let floor = &rules.income_floor;
    let horizon = cash_flow.horizon();
    let year = formulation
        .production
        .iter()
        .map(|a| a.full_production_year)
        .max()
        .unwrap_or(1)
        .clamp(1, horizon.max(1));
    let rows: &[CashFlowYear] = cash_flow.years.get(usize::from(year)..).unwrap_or(&[]);
    let project_income = match floor.basis {
        IncomeBasis::FirstFullProductionYear => {
            rows.first().map_or(Decimal::ZERO, CashFlowYear::operating_income)
        }
        IncomeBasis::AverageFullProduction => {
            let total: Decimal = rows.iter().map(CashFlowYear::operating_income).sum();
            if rows.is_empty() {
                Decimal::ZERO
            } else {
                total / Decimal::from(rows.len())
            }
        }
    };
    let families = formulation.frame.households.len();
    let per_year = project_income / Decimal::from(families.max(1));
    let per_family = match floor.period {
        IncomePeriod::Month => per_year / Decimal::from(12),
        IncomePeriod::Year => per_year,
    };
    let in_smmlv = if wage.is_zero() {
        Decimal::ZERO
    } else {
        per_family / wage
    };
    FamilyIncome {
        basis: floor.basis,
        period: floor.period,
        year,
        families,
        project_income: project_income.round_dp(2),
        per_family: per_family.round_dp(2),
        minimum_wage: wage,
        in_smmlv: in_smmlv.round_dp(6),
    }
}

fn verdict(
    formulation: &Formulation,
    rules: &FinancialRules,
    irr: &Irr,
    mirr: Option<f64>,
    benefit_cost: Option<Decimal>,
    income: &FamilyIncome,
) -> Verdict {
    let mut reasons = Vec::with_capacity(9);
    let frame = &formulation.frame;

    let excluded = ExpenseCategory::mask(&rules.excluded_categories.value);
    let eligible = ExpenseCategory::mask(&rules.eligible_categories.value);
    let mut excluded_lines = 0;
    let mut institute_ineligible_lines = 0;
    let mut non_eligible_total = Decimal::ZERO;
    let mut counterpart_committed = Decimal::ZERO;
    for line in &formulation.budget {
        let bit = line.category.bit();
        let amount = line.amount();
        if excluded & bit != 0 {
            excluded_lines += 1;
        }
        if eligible & bit == 0 {
            non_eligible_total += amount;
            if line.funder == Funder::Institute {
                institute_ineligible_lines += 1;
            }
        }
        if line.funder != Funder::Institute {
            counterpart_committed += amount;
        }
    }
    let at_most_zero = Some(Bound {
        comparison: Comparison::AtMost,
        value: Value::Count(0),
    });
    reasons.push(Reason {
        check: Check::NoLand,
        article: rules.excluded_categories.article.clone(),
        passed: excluded_lines == 0,
        seen: Value::Count(excluded_lines),
        threshold: at_most_zero.clone(),
    });
    if rules.accompaniment_plan.required {
        let present = frame.accompaniment.is_present();
        reasons.push(Reason {
            check: Check::AccompanimentPlan,
            article: rules.accompaniment_plan.article.clone(),
            passed: present,
            seen: Value::Present(present),
            threshold: None,
        });
    }
    if rules.employment_initiative.required {
        let employment = &frame.employment;
        let (passed, seen) = if employment.small_producers {
            let present = employment.is_present();
            (present, Value::Present(present))
        } else {
            (true, Value::NotApplicable)
        };
        reasons.push(Reason {
            check: Check::EmploymentInitiative,
            article: rules.employment_initiative.article.clone(),
            passed,
            seen,
            threshold: None,
        });
    }
    let min_horizon = &rules.min_horizon_years;
    reasons.push(Reason {
        check: Check::Horizon,
        article: min_horizon.article.clone(),
        passed: frame.horizon_years >= min_horizon.value,
        seen: Value::Years(frame.horizon_years),
        threshold: Some(Bound {
            comparison: Comparison::AtLeast,
            value: Value::Years(min_horizon.value),
        }),
    });
    let min_irr = &rules.min_irr;
    reasons.push(Reason {
        check: Check::Irr,
        article: min_irr.article.clone(),
        passed: rate_meets(
            DecidingRate::of(irr, mirr),
            min_irr.comparison,
            rules.min_irr_f64(),
        ),
        seen: match (irr, mirr) {
            (Irr::None, _) => Value::NoIrr,
            (Irr::Unique(rate), _) => Value::Rate(*rate),
            (Irr::Several(roots), Some(rate)) => Value::Mirr {
                rate,
                roots: roots.clone(),
            },
            (Irr::Several(rates), None) => Value::SeveralIrr(rates.clone()),
        },
        threshold: Some(Bound {
            comparison: min_irr.comparison,
            value: Value::Rate(rules.min_irr_f64()),
        }),
    });
    let min_bc = &rules.min_benefit_cost;
    reasons.push(Reason {
        check: Check::BenefitCost,
        article: min_bc.article.clone(),
        passed: benefit_cost.is_some_and(|bc| min_bc.comparison.admits(bc, min_bc.value)),
        seen: benefit_cost.map_or(Value::Undefined, Value::Ratio),
        threshold: Some(Bound {
            comparison: min_bc.comparison,
            value: Value::Ratio(min_bc.value),
        }),
    });
    let floor = &rules.income_floor;
    reasons.push(Reason {
        check: Check::FamilyIncome,
        article: floor.article.clone(),
        // Compared in pesos, so the rounding of the SMMLV figure cannot tip the verdict.
        passed: floor
            .comparison
            .admits(income.per_family, floor.smmlv * income.minimum_wage),
        seen: Value::Smmlv(income.in_smmlv),
        threshold: Some(Bound {
            comparison: floor.comparison,
            value: Value::Smmlv(floor.smmlv),
        }),
    });
    reasons.push(Reason {
        check: Check::EligibleExpenses,
        article: rules.eligible_categories.article.clone(),
        passed: institute_ineligible_lines == 0,
        seen: Value::Count(institute_ineligible_lines),
        threshold: at_most_zero,
    });
    reasons.push(Reason {
        check: Check::CounterpartCoversIneligible,
        article: rules.ineligible_categories.article.clone(),
        passed: counterpart_committed >= non_eligible_total,
        seen: Value::Amount(counterpart_committed),
        threshold: Some(Bound {
            comparison: Comparison::AtLeast,
            value: Value::Amount(non_eligible_total),
        }),
    });
    Verdict {
        viable: reasons.iter().all(|r| r.passed),
        reasons,
    }
}
