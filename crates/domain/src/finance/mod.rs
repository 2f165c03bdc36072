//! Evaluación financiera of a productive project (Acuerdo 308 de 2013, Art. 18-22, 29, 31):
//! the formulation model, the cash flow, IRR / NPV / B/C, family income, the verdict with its
//! articles, the co-financing split and the sensitivity analysis.
//!
//! Pure: no I/O. Amounts are `Decimal` pesos; rates are `f64`. Every regulation figure comes
//! from a [`FinancialRules`] (the `[financial]` table of a rule set), none from code.
//!
//! ```text
//! Formulation ──validate(rules)──▶ Vec<Problem>            (every problem, with path and article)
//!      │
//!      ├──evaluate(rules)──▶ Evaluation { cash_flow, irr, npv, benefit_cost, family_income,
//!      │   (or Evaluator)                 sensitivity, verdict }
//!      └──split(rules)─────▶ CofinancingSplit { contribution, counterpart, by_funder, guarantee }
//! ```
//!
//! Readings the code makes (each a parameter of the rule set where a figure is involved):
//!
//! - The flow is the project's, whoever pays; year 0 is the investment, years 1..=horizon follow.
//! - Benefits are income and residual value; costs are every other row, technical assistance
//!   net of its neutralisation. B/C = PV(benefits) / PV(costs), NPV = PV(benefits) - PV(costs).
//! - Family labour is valued at the day wage; the rule set says whether the flow charges it
//!   (`opportunity_cost`, the default: "a precios de mercado") or leaves it out (`excluded`).
//!   Family income never subtracts it: it is the family's own pay.
//! - Family income is net operating income (income less operating, output, hired-labour and
//!   borne technical-assistance costs; not investment, replacements or residual value) per
//!   family, per month, in the first year in which every activity is in full production, in
//!   SMMLV of the call's budget year.
//! - Technical assistance is neutral (added and subtracted) in "los dos primeros años": by the
//!   default rule set's reading, years 0 and 1 of the flow; a cost afterwards (Art. 20.5).
//! - A flow with several IRRs is checked on its modified IRR (MIRR), with the discount rate as
//!   finance and reinvestment rate (Art. 19.6); the evaluation keeps every root and the MIRR,
//!   and the IRR reason says which rate decided. No single IRR is made up.

pub mod cashflow;
pub mod cofinancing;
pub mod evaluation;
pub mod fields;
pub mod formulation;
pub mod irr;
pub mod rules;
pub mod sensitivity;

pub use cashflow::{CashFlow, CashFlowYear};
pub use cofinancing::{
    AwardAmountError, AwardAmounts, CofinancingError, CofinancingSplit, FamilyGroup, FunderShare, Guarantee,
    Limit, split,
};
pub use evaluation::{
    Bound, Check, Evaluation, EvaluationError, Evaluator, FamilyIncome, Reason, Value, Verdict, evaluate,
};
pub use fields::{
    ColumnKind, ColumnSpec, FIELDS, FieldError, FieldKind, FieldSpec, FieldValue, Needed, Section, TABLES,
    TableSpec,
};
pub use formulation::{
    AccompanimentPlan, Activity, ActivityYear, BudgetLine, EmploymentInitiative, ExpenseCategory,
    Formulation, Frame, Funder, ParticipatingHousehold, Problem, TechnicalAssistanceCost,
};
pub use irr::{DecidingRate, Irr, irr, irr_f64, mirr, mirr_f64, npv, npv_f64};
pub use rules::{Comparison, FinancialRules};
pub use sensitivity::{CaseResult, Sensitivity, SwitchingValue};

#[cfg(test)]
mod tests;
