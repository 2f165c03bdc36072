//! The figures of the financial evaluation as data: the `[financial]` table of a rule set.
//!
//! Every figure carries the article it comes from. The engine reads no regulation figure from
//! code: a different rule set (another agreement, another year's reading) changes verdicts
//! without touching the code.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::formulation::ExpenseCategory;
use crate::text_enum::text_enum;

text_enum! {
    /// How a value is compared with its threshold.
    pub enum Comparison ("comparison") {
        /// `>=`: "no inferior a" (Art. 19.6 for the IRR).
        AtLeast = "at_least",
        /// `>`: "superior a", "debe superar" (Art. 19.6 for B/C and income).
        GreaterThan = "greater_than",
        /// `<=`.
        AtMost = "at_most",
    }
}

impl Comparison {
    /// Whether `seen` stands in this relation to `bound`.
    pub fn admits<T: PartialOrd>(self, seen: T, bound: T) -> bool {
        match self {
            Comparison::AtLeast => seen >= bound,
            Comparison::GreaterThan => seen > bound,
            Comparison::AtMost => seen <= bound,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::GreaterThan => ">",
            Comparison::AtMost => "<=",
        }
    }
}

/// A figure and the article behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure<T> {
    pub value: T,
    pub article: String,
}

/// A threshold: a figure, how a value must compare with it, and its article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub value: Decimal,
    pub comparison: Comparison,
    pub article: String,
}

text_enum! {
    /// The period over which family income is compared with the floor.
    pub enum IncomePeriod ("income period") {
        Month = "month",
        Year = "year",
    }
}

text_enum! {
    /// Which year(s) of the flow measure family income.
    pub enum IncomeBasis ("income basis") {
        /// The first year in which every activity is in full production.
        FirstFullProductionYear = "first_full_production_year",
        /// The average from that year to the end of the horizon.
        AverageFullProduction = "average_full_production",
    }
}

/// Generación de ingresos por familia (Art. 19.6): "debe superar la generación de dos (2)
/// SMMLV por familia".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeFloor {
    /// The floor, in SMMLV of the call's budget year.
    pub smmlv: Decimal,
    pub comparison: Comparison,
    pub period: IncomePeriod,
    pub basis: IncomeBasis,
    pub article: String,
}

text_enum! {
    /// Mano de obra familiar: how the family's own labour enters the cash flow.
    pub enum FamilyLabourTreatment ("family labour treatment") {
        /// Valued at the day wage and charged in the cash flow as an opportunity cost (market
        /// prices, Art. 19.6), so IRR, NPV and B/C are not flattered by unpaid work; family
        /// income adds it back, since that labour is paid to the family itself.
        OpportunityCost = "opportunity_cost",
        /// Shown in the table but left out of the net flow.
        Excluded = "excluded",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyLabourRule {
    pub treatment: FamilyLabourTreatment,
    pub article: String,
}

/// Acompañamiento integral (Art. 20.5): quantified, but "no afecta el flujo de caja en los dos
/// primeros años (se suma y se resta en el modelo)".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicalAssistanceRule {
    /// How many years are neutral ("los dos primeros años": 2), counted from the first year of
    /// the flow: year 0 when `includes_investment_year`, else year 1. Later years bear the cost.
    pub neutral_years: u16,
    /// Whether the count starts at the investment year 0. Reading of the default rule set: yes,
    /// the first two years of the flow are years 0 and 1.
    pub includes_investment_year: bool,
    pub article: String,
}

impl TechnicalAssistanceRule {
    /// The first and last neutral years, or `None` when no year is neutral.
    pub fn neutral_span(&self) -> Option<(u16, u16)> {
        let first = u16::from(!self.includes_investment_year);
        (self.neutral_years > 0).then(|| (first, first.saturating_add(self.neutral_years - 1)))
    }

    /// Whether the technical assistance of `year` is added back (Art. 20.5).
    pub fn is_neutral(&self, year: u16) -> bool {
        self.neutral_span()
            .is_some_and(|(first, last)| (first..=last).contains(&year))
    }
}

/// Garantía de cumplimiento (Art. 31): a policy for a share of the institute's contribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeRule {
    pub share: Decimal,
    pub months: u16,
    pub article: String,
}

/// A part the formulation must contain, and the article that asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub required: bool,
    pub article: String,
}

/// A citation without a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    pub article: String,
}

text_enum! {
    /// What a sensitivity case changes.
    pub enum SensitivityVariable ("sensitivity variable") {
        /// Sale prices: income only.
        Price = "price",
        /// Yields: income and the costs that go with output (harvest, transport, marketing).
        Yield = "yield",
        /// Every cost row of the flow: operating, output, labour, replacements, investment and
        /// technical assistance (whose neutralised years stay neutral).
        Costs = "costs",
    }
}

/// One sensitivity case: a variable changed by a fraction (`-0.10` is 10 % less).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivityCase {
    pub name: String,
    pub variable: SensitivityVariable,
    pub change: Decimal,
}

/// Sensitivity cases and the search ranges of the switching values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivityRules {
    pub article: String,
    pub cases: Vec<SensitivityCase>,
    /// The largest price drop searched for the switching value (1 = prices fall to zero).
    pub price_drop_search_max: Decimal,
    /// The largest cost rise searched for the switching value (10 = costs times eleven).
    pub cost_rise_search_max: Decimal,
}

/// Every figure of the financial evaluation, with its article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinancialRules {
    /// TIR mínima (Art. 19.6: "no inferior al 6%").
    pub min_irr: Threshold,
    /// Tasa de descuento for NPV and B/C.
    pub discount_rate: Figure<Decimal>,
    /// Relación beneficio/costo (Art. 19.6: "superior a uno").
    pub min_benefit_cost: Threshold,
    /// Horizonte de evaluación mínimo, in years after year 0 (Art. 19.6).
    pub min_horizon_years: Figure<u16>,
    /// Ingreso neto por familia (Art. 19.6).
    pub income_floor: IncomeFloor,
    /// Mano de obra familiar (a reading of Art. 19.1 and 19.6).
    pub family_labour: FamilyLabourRule,
    /// Acompañamiento integral (Art. 20.5).
    pub technical_assistance: TechnicalAssistanceRule,
    /// Póliza de cumplimiento (Art. 31).
    pub guarantee: GuaranteeRule,
    /// Gastos elegibles (Art. 20): what the institute may pay.
    pub eligible_categories: Figure<Vec<ExpenseCategory>>,
    /// Gastos no elegibles (Art. 21): paid by the contrapartida.
    pub ineligible_categories: Figure<Vec<ExpenseCategory>>,
    /// Never part of a formulation (Art. 18.4: "no se debe incluir el costo de la tierra").
    pub excluded_categories: Figure<Vec<ExpenseCategory>>,
    /// Plan de acompañamiento y capacitación (Art. 18.5).
    pub accompaniment_plan: Requirement,
    /// Iniciativa de generación de empleos directos (Art. 18.6).
    pub employment_initiative: Requirement,
    /// Monto máximo de cofinanciación: percentage per family (Art. 7) and cap in SMMLV (Art. 29).
    pub institute_maximum: Citation,
    pub sensitivity: SensitivityRules,
    /// Art. 43: an AREL project executes in at most this many months; no check when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arel_max_execution_months: Option<Figure<u16>>,
    /// Art. 40.2: the least years a lease or comodato must run when an AREL project builds on
    /// the parcel; no check when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arel_contract_years: Option<Figure<u16>>,
    /// The highest percentage and cap any family may have under the rule set's program lines:
    /// taken from the lines' tables when the rule set is compiled, never read from `[financial]`.
    #[serde(skip)]
    pub family_ceiling: Option<FamilyCeiling>,
}

/// The legal ceiling of one family's co-financing: the highest option of the matrix (Art. 7)
/// and of the cap (Art. 29) over every program line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyCeiling {
    pub max_pct: Decimal,
    pub pct_article: String,
    pub cap_smmlv: Decimal,
    pub cap_article: String,
}

impl FinancialRules {
    /// Inconsistencies of the rule set itself, as typed messages; empty when it can be used.
    pub fn problems(&self) -> Vec<crate::message::Message> {
        use crate::message::Message;
        let mut problems = Vec::new();
        for category in ExpenseCategory::ALL {
            let eligible = self.eligible_categories.value.contains(category);
            let ineligible = self.ineligible_categories.value.contains(category);
            if eligible == ineligible {
                problems.push(
                    Message::new("rules-error-category_eligibility").with("category", category.as_str()),
                );
            }
            if eligible && self.excluded_categories.value.contains(category) {
                problems
                    .push(Message::new("rules-error-category_excluded").with("category", category.as_str()));
            }
        }
        if self.discount_rate.value <= -Decimal::ONE {
            problems.push(Message::new("rules-error-above_minus_one").with("key", "discount_rate"));
        }
        if self.min_irr.value <= -Decimal::ONE {
            problems.push(Message::new("rules-error-above_minus_one").with("key", "min_irr"));
        }
        if self.guarantee.share < Decimal::ZERO {
            problems.push(Message::new("rules-error-negative").with("key", "guarantee.share"));
        }
        for case in &self.sensitivity.cases {
            if case.change <= -Decimal::ONE {
                problems.push(
                    Message::new("rules-error-above_minus_one")
                        .with("key", format!("sensitivity.cases[{}].change", case.name)),
                );
            }
        }
        if self.sensitivity.price_drop_search_max <= Decimal::ZERO
            || self.sensitivity.cost_rise_search_max <= Decimal::ZERO
        {
            problems.push(Message::new("rules-error-switching_search"));
        }
        problems
    }

    pub(crate) fn min_irr_f64(&self) -> f64 {
        self.min_irr.value.to_f64().unwrap_or(f64::NAN)
    }
}
