//! Análisis de sensibilidad: the rule set's cases (prices, yields, costs) and the switching
//! values of price and cost that bring the IRR down to the minimum.
//!
//! Every case scales rows of the base flow, so its NPV and B/C are combinations of the present
//! values of four rows (income, output costs, other costs, residual value), computed once; only
//! the IRR needs the flow itself, rebuilt in `f64`.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::cashflow::CashFlow;
use super::irr::{DecidingRate, Irr, decimal_to_f64, irr_f64, mirr_f64};
use super::rules::{Comparison, FinancialRules, SensitivityVariable};

/// The four rows a case scales, in `f64` by year, and their present values in `Decimal` at the
/// rule set's discount rate.
#[derive(Debug, Clone)]
pub(crate) struct FlowParts {
    years: usize,
    /// income | output costs | other costs | residual value, each `years` long.
    rows: Vec<f64>,
    /// Present values of the same four rows, to the millionth of a peso: far below a cent, and
    /// short enough that scaling them by a case's factors stays exact and fast. (Rounding also
    /// absorbs the last-place error of the 18-place discount factors, so a B/C that is exactly 1
    /// in pesos is seen as 1.)
    pub(crate) present_values: [Decimal; 4],
}

const INCOME: usize = 0;
const OUTPUT: usize = 1;
const OTHER: usize = 2;
const RESIDUAL: usize = 3;

/// Decimal places kept in present values.
const PRESENT_VALUE_PLACES: u32 = 6;

impl FlowParts {
    /// `discount_factors[t]` is 1 / (1 + rate)^t, at least as long as the flow.
    pub(crate) fn new(cash_flow: &CashFlow, discount_factors: &[Decimal]) -> Self {
        let years = cash_flow.years.len();
        let mut rows = vec![0.0; 4 * years];
        let mut present_values = [Decimal::ZERO; 4];
        for ((y, row), factor) in cash_flow.years.iter().enumerate().zip(discount_factors) {
            let other = row.costs() - row.output_costs;
            let values = [row.income, row.output_costs, other, row.residual_value];
            for (k, value) in values.into_iter().enumerate() {
                if !value.is_zero() {
                    rows[k * years + y] = decimal_to_f64(value);
                    present_values[k] += value * *factor;
                }
            }
        }
        for pv in &mut present_values {
            *pv = pv.round_dp(PRESENT_VALUE_PLACES);
        }
        Self {
            years,
            rows,
            present_values,
        }
    }

    fn row(&self, k: usize) -> &[f64] {
        &self.rows[k * self.years..(k + 1) * self.years]
    }

    /// The flow with prices × `price`, yields × `volume` and costs × `cost`, into `out`.
    fn flow_into(&self, price: f64, volume: f64, cost: f64, out: &mut [f64]) {
        let (income, output, other, residual) = (
            self.row(INCOME),
            self.row(OUTPUT),
            self.row(OTHER),
            self.row(RESIDUAL),
        );
        for (y, slot) in out.iter_mut().enumerate().take(self.years) {
            *slot = price * volume * income[y] - volume * cost * output[y] - cost * other[y] + residual[y];
        }
    }

    fn irr_of(&self, price: f64, volume: f64, cost: f64) -> Irr {
        self.with_flow(price, volume, cost, irr_f64)
    }

    /// The rate the IRR check compares for a case: its IRR, or its MIRR at `rate` when it has
    /// several (Art. 19.6, see [`DecidingRate::of`]).
    fn deciding_rate_of(&self, price: f64, volume: f64, cost: f64, rate: f64) -> DecidingRate {
        self.with_flow(price, volume, cost, |flow| {
            let irr = irr_f64(flow);
            let mirr = matches!(irr, Irr::Several(_))
                .then(|| mirr_f64(flow, rate, rate))
                .flatten();
            DecidingRate::of(&irr, mirr)
        })
    }

    fn with_flow<T>(&self, price: f64, volume: f64, cost: f64, f: impl FnOnce(&[f64]) -> T) -> T {
        const STACK: usize = 64;
        if self.years <= STACK {
            let mut buffer = [0.0; STACK];
            self.flow_into(price, volume, cost, &mut buffer);
            f(&buffer[..self.years])
        } else {
            let mut flow = vec![0.0; self.years];
            self.flow_into(price, volume, cost, &mut flow);
            f(&flow)
        }
    }

    /// NPV of a case: p·q·PV(income) - q·c·PV(output) - c·PV(other) + PV(residual).
    pub(crate) fn npv(&self, price: Decimal, volume: Decimal, cost: Decimal) -> Decimal {
        let [income, output, other, residual] = self.present_values;
        scaled(income, price * volume) - scaled(output, volume * cost) - scaled(other, cost) + residual
    }

    /// B/C of a case: PV(benefits) / PV(costs); `None` when nothing costs.
    pub(crate) fn benefit_cost(&self, price: Decimal, volume: Decimal, cost: Decimal) -> Option<Decimal> {
        let [income, output, other, residual] = self.present_values;
        let costs = scaled(output, volume * cost) + scaled(other, cost);
        if costs <= Decimal::ZERO {
            return None;
        }
        (scaled(income, price * volume) + residual).checked_div(costs)
    }

    /// Present values of the four rows at `rate`, in `f64`.
    fn present_values_f64(&self, rate: f64) -> [f64; 4] {
        let x = 1.0 / (1.0 + rate);
        let mut out = [0.0; 4];
        for (k, slot) in out.iter_mut().enumerate() {
            *slot = self.row(k).iter().rev().fold(0.0, |acc, &c| acc * x + c);
        }
        out
    }
}

/// `value · factor`, skipping the multiplication for the factor 1 of the rows a case leaves alone.
fn scaled(value: Decimal, factor: Decimal) -> Decimal {
    if factor == Decimal::ONE {
        value
    } else {
        value * factor
    }
}

/// The result of one sensitivity case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub variable: SensitivityVariable,
    pub change: Decimal,
    pub irr: Irr,
    pub npv: Decimal,
    pub benefit_cost: Option<Decimal>,
}

/// Valor de cambio: how far a variable can move before the IRR falls to the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchingValue {
    /// The change (a fraction: 0.23 is 23 %) at which the IRR equals the minimum.
    Found(f64),
    /// The base flow already misses the minimum IRR (or has no single IRR).
    AlreadyBelow,
    /// The IRR stays at or above the minimum over the whole search range: no such value.
    NotInRange,
}

/// Sensitivity of a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    pub cases: Vec<CaseResult>,
    /// Price drop that brings the IRR to the minimum.
    pub price_drop: SwitchingValue,
    /// Cost rise that brings the IRR to the minimum.
    pub cost_rise: SwitchingValue,
}

/// Whether the deciding rate (the IRR, or the MIRR of a flow with several IRRs) meets the rule
/// set's minimum. The rate is compared after rounding to 1e-10, below which root-finding noise
/// lies, so a flow built at exactly the minimum passes an "at least" threshold.
pub(crate) fn rate_meets(rate: DecidingRate, comparison: Comparison, minimum: f64) -> bool {
    rate.rate()
        .is_some_and(|rate| comparison.admits((rate * 1e10).round() / 1e10, minimum))
}

pub(crate) fn analyse(parts: &FlowParts, base_rate: DecidingRate, rules: &FinancialRules) -> Sensitivity {
    let one = Decimal::ONE;
    let cases = rules
        .sensitivity
        .cases
        .iter()
        .map(|case| {
            let factor = one + case.change;
            let (price, volume, cost) = match case.variable {
                SensitivityVariable::Price => (factor, one, one),
                SensitivityVariable::Yield => (one, factor, one),
                SensitivityVariable::Costs => (one, one, factor),
            };
            let f = decimal_to_f64;
            CaseResult {
                name: case.name.clone(),
                variable: case.variable,
                change: case.change,
                irr: parts.irr_of(f(price), f(volume), f(cost)),
                npv: parts.npv(price, volume, cost).round_dp(2),
                benefit_cost: parts.benefit_cost(price, volume, cost),
            }
        })
        .collect();

    let minimum = rules.min_irr_f64();
    let comparison = rules.min_irr.comparison;
    let meets_base = rate_meets(base_rate, comparison, minimum);
    let discount = decimal_to_f64(rules.discount_rate.value);
    let (price_drop, cost_rise) = if meets_base {
        let pv = parts.present_values_f64(minimum);
        let npv_at_minimum = pv[INCOME] - pv[OUTPUT] - pv[OTHER] + pv[RESIDUAL];
        let price_max = rules.sensitivity.price_drop_search_max.to_f64().unwrap_or(1.0);
        let cost_max = rules.sensitivity.cost_rise_search_max.to_f64().unwrap_or(10.0);
        let price_drop = switching(npv_at_minimum, pv[INCOME], price_max, minimum, comparison, &|d| {
            parts.deciding_rate_of(1.0 - d, 1.0, 1.0, discount)
        });
        let cost_rise = switching(
            npv_at_minimum,
            pv[OUTPUT] + pv[OTHER],
            cost_max,
            minimum,
            comparison,
            &|e| parts.deciding_rate_of(1.0, 1.0, 1.0 + e, discount),
        );
        (price_drop, cost_rise)
    } else {
        (SwitchingValue::AlreadyBelow, SwitchingValue::AlreadyBelow)
    };
    Sensitivity {
        cases,
        price_drop,
        cost_rise,
    }
}

/// The change `d` in (0, max] at which the IRR reaches `minimum`.
///
/// The NPV at the minimum rate is linear in the change: NPV(d) = NPV(0) - d·S, where S is the
/// present value (at that rate) of the row that moves. For a flow with one IRR, IRR = minimum
/// exactly where NPV at the minimum is zero, so d = NPV(0) / S; the IRR there is checked. When
/// the check fails (a flow with several sign changes) the range is scanned for the first change
/// that misses the minimum and the crossing is bisected.
fn switching(
    npv_at_minimum: f64,
    sensitivity: f64,
    max: f64,
    minimum: f64,
    comparison: Comparison,
    rate_at: &dyn Fn(f64) -> DecidingRate,
) -> SwitchingValue {
    let meets = |d: f64| rate_meets(rate_at(d), comparison, minimum);
    if sensitivity > 0.0 && npv_at_minimum >= 0.0 {
        let d = npv_at_minimum / sensitivity;
        if d > max {
            if meets(max) {
                return SwitchingValue::NotInRange;
            }
        } else if let DecidingRate::Irr(rate) = rate_at(d)
            && (rate - minimum).abs() <= 1e-7
        {
            return SwitchingValue::Found(d);
        }
    }
    bisect(max, &meets)
}

/// Scans (0, max] in 200 steps for the first change that misses the minimum, then bisects.
fn bisect(max: f64, meets: &dyn Fn(f64) -> bool) -> SwitchingValue {
    const STEPS: u32 = 200;
    let mut passing = 0.0;
    for step in 1..=STEPS {
        let d = max * f64::from(step) / f64::from(STEPS);
        if meets(d) {
            passing = d;
            continue;
        }
        let mut failing = d;
        for _ in 0..60 {
            let middle = 0.5 * (passing + failing);
            if meets(middle) {
                passing = middle;
            } else {
                failing = middle;
            }
        }
        return SwitchingValue::Found(0.5 * (passing + failing));
    }
    SwitchingValue::NotInRange
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_first_crossing_or_says_there_is_none() {
        let SwitchingValue::Found(d) = bisect(1.0, &|d| d <= 0.3) else {
            panic!("expected a crossing")
        };
        assert!((d - 0.3).abs() < 1e-12, "{d}");
        assert_eq!(bisect(1.0, &|_| true), SwitchingValue::NotInRange);
        // The first crossing, not a later one.
        let SwitchingValue::Found(d) = bisect(10.0, &|d| d <= 0.05 || d > 5.0) else {
            panic!("expected a crossing")
        };
        assert!((d - 0.05).abs() < 1e-12, "{d}");
    }
}
