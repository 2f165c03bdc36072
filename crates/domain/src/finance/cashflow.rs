//! Flujo de caja by year (Art. 19.6): year 0 is the investment, then the horizon.
//!
//! The flow is the project's, whoever pays: the institute's contribution is a transfer between
//! funders and does not change it. Rows:
//!
//! - income: units × yield × price of every activity;
//! - operating costs (fixed for the year) and output costs (per unit of product);
//! - hired labour and family labour, in days × day wage; family labour is charged to the flow
//!   only when the rule set says so (`family_labour_charged`);
//! - replacements (reinvestments), investment (budget lines other than technical assistance);
//! - technical assistance (budget lines of that category plus the plan outside the budget) and
//!   its neutralisation: added back in the rule set's neutral years (Art. 20.5);
//! - residual value, in the last year;
//! - net flow = benefits - costs, where benefits are income and residual value, and costs are
//!   every other row (technical assistance net of its neutralisation).

use rust_decimal::Decimal;
use serde::Serialize;

use super::evaluation::EvaluationError;
use super::formulation::{ExpenseCategory, Formulation, MAX_HORIZON_YEARS};
use super::rules::{FamilyLabourTreatment, FinancialRules};

/// One year of the cash flow, in pesos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashFlowYear {
    pub year: u16,
    /// Ingresos.
    pub income: Decimal,
    /// Costos de operación que no dependen de la producción.
    pub operating_costs: Decimal,
    /// Costos por unidad producida (cosecha, transporte, comercialización).
    pub output_costs: Decimal,
    /// Mano de obra contratada.
    pub hired_labour: Decimal,
    /// Mano de obra familiar, valorada.
    pub family_labour: Decimal,
    /// The part of family labour charged to the flow (all of it or none, per the rule set).
    pub family_labour_charged: Decimal,
    /// Reposiciones.
    pub replacements: Decimal,
    /// Inversión.
    pub investment: Decimal,
    /// Acompañamiento integral (Art. 20.5).
    pub technical_assistance: Decimal,
    /// Technical assistance added back in its neutral years (Art. 20.5: "se suma y se resta").
    pub technical_assistance_neutralised: Decimal,
    /// Valor residual.
    pub residual_value: Decimal,
    /// Flujo neto.
    pub net_flow: Decimal,
}

impl CashFlowYear {
    fn empty(year: u16) -> Self {
        Self {
            year,
            income: Decimal::ZERO,
            operating_costs: Decimal::ZERO,
            output_costs: Decimal::ZERO,
            hired_labour: Decimal::ZERO,
            family_labour: Decimal::ZERO,
            family_labour_charged: Decimal::ZERO,
            replacements: Decimal::ZERO,
            investment: Decimal::ZERO,
            technical_assistance: Decimal::ZERO,
            technical_assistance_neutralised: Decimal::ZERO,
            residual_value: Decimal::ZERO,
            net_flow: Decimal::ZERO,
        }
    }

    /// Beneficios: income and residual value.
    pub fn benefits(&self) -> Decimal {
        self.income + self.residual_value
    }

    /// Costos: every cost row, technical assistance net of its neutralisation.
    pub fn costs(&self) -> Decimal {
        self.operating_costs
            + self.output_costs
            + self.hired_labour
            + self.family_labour_charged
            + self.replacements
            + self.investment
            + self.technical_assistance
            - self.technical_assistance_neutralised
    }

    /// Net income of the family's operation: income less the cash costs of operating (fixed,
    /// output, hired labour, technical assistance borne). Family labour is not subtracted (it is
    /// the family's own pay) and neither are investment, replacements nor residual value
    /// (capital, not income).
    pub fn operating_income(&self) -> Decimal {
        self.income
            - self.operating_costs
            - self.output_costs
            - self.hired_labour
            - (self.technical_assistance - self.technical_assistance_neutralised)
    }
}

/// The cash flow of a formulation: years 0..=horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashFlow {
    pub years: Vec<CashFlowYear>,
}

impl CashFlow {
    /// Builds the flow of `formulation` under `rules` (technical-assistance neutral years,
    /// family-labour treatment).
    pub fn build(formulation: &Formulation, rules: &FinancialRules) -> Result<Self, EvaluationError> {
        let horizon = formulation.frame.horizon_years;
        if horizon == 0 || horizon > MAX_HORIZON_YEARS {
            return Err(EvaluationError::Horizon { horizon });
        }
        let mut years: Vec<CashFlowYear> = (0..=horizon).map(CashFlowYear::empty).collect();
        let outside = |path: String, year: u16| EvaluationError::OutsideHorizon { path, year, horizon };

        for (i, line) in formulation.budget.iter().enumerate() {
            let year = line.flow_year().ok_or_else(|| EvaluationError::NoExecutionTime {
                path: format!("budget[{i}]"),
            })?;
            let row = years
                .get_mut(usize::from(year))
                .ok_or_else(|| outside(format!("budget[{i}]"), year))?;
            if line.category == ExpenseCategory::TechnicalAssistance {
                row.technical_assistance += line.amount();
            } else {
                row.investment += line.amount();
            }
        }

        for (i, activity) in formulation.production.iter().enumerate() {
            for (j, y) in activity.years.iter().enumerate() {
                let row = years
                    .get_mut(usize::from(y.year))
                    .ok_or_else(|| outside(format!("production[{i}].years[{j}]"), y.year))?;
                let output = y.units * y.yield_per_unit;
                row.income += output * y.price;
                if !y.output_cost_per_unit.is_zero() {
                    row.output_costs += output * y.output_cost_per_unit;
                }
                row.operating_costs += y.operating_costs;
                if !y.hired_labour_days.is_zero() {
                    row.hired_labour += y.hired_labour_days * activity.day_wage;
                }
                if !y.family_labour_days.is_zero() {
                    row.family_labour += y.family_labour_days * activity.day_wage;
                }
                row.replacements += y.replacements;
            }
            if let Some(last) = years.last_mut() {
                last.residual_value += activity.residual_value;
            }
        }

        for (i, ta) in formulation.technical_assistance.iter().enumerate() {
            let row = years
                .get_mut(usize::from(ta.year))
                .ok_or_else(|| outside(format!("technical_assistance[{i}]"), ta.year))?;
            row.technical_assistance += ta.cost;
        }

        let charge_family = rules.family_labour.treatment == FamilyLabourTreatment::OpportunityCost;
        let neutral = &rules.technical_assistance;
        for row in &mut years {
            if neutral.is_neutral(row.year) {
                row.technical_assistance_neutralised = row.technical_assistance;
            }
            if charge_family {
                row.family_labour_charged = row.family_labour;
            }
            row.net_flow = row.benefits() - row.costs();
        }
        Ok(Self { years })
    }

    /// The net flow, year 0 first.
    pub fn net_flows(&self) -> Vec<Decimal> {
        self.years.iter().map(|y| y.net_flow).collect()
    }

    pub fn horizon(&self) -> u16 {
        self.years.last().map_or(0, |y| y.year)
    }
}
