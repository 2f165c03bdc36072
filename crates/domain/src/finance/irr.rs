//! Tasa interna de retorno (TIR) and valor presente neto (VPN) of a cash flow by year.
//!
//! A flow `c_0, c_1, ..., c_n` (year 0 first) has NPV(r) = Σ c_t (1 + r)^-t. With
//! x = 1 / (1 + r) this is the polynomial Q(x) = Σ c_t x^t, and every IRR r > -1 is a positive
//! root x of Q. So:
//!
//! - Descartes' rule of signs bounds the positive roots by the sign changes of the flow: none
//!   means no IRR ([`Irr::None`]); exactly one (the conventional flow: investment first, then
//!   benefits) means exactly one IRR, found by Halley's method kept inside a bracket, so it
//!   can neither diverge nor leave r > -1.
//! - With two or more sign changes every root on r > -1 is isolated by applying the same rule
//!   to subintervals (Vincent–Collins–Akritas bisection: the sign changes of
//!   (1 + y)^n P(1 / (1 + y)) bound the roots of P on (0, 1)), then refined in its bracket.
//!   Unlike a fixed grid of rates, this cannot step over two close roots and needs no upper
//!   bound on the rate; it still costs only a few polynomial shifts for real flows.
//!
//! The root finding runs on `f64` (rates are not money); [`irr`] converts a `Decimal` flow
//! once. A made-up rate is never returned: no root means [`Irr::None`].

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// The IRR of a flow: there may be none, one or several.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Irr {
    /// No rate r > -1 makes the NPV zero: the flow has no sign change (all benefits, all costs,
    /// all zero) or its polynomial has no positive root.
    None,
    /// Exactly one rate.
    Unique(f64),
    /// Several rates, ascending: the flow is not conventional and no single rate describes it.
    Several(Vec<f64>),
}

impl Irr {
    /// The rate when it is the only one.
    pub fn unique(&self) -> Option<f64> {
        match self {
            Irr::Unique(rate) => Some(*rate),
            _ => None,
        }
    }

    /// Every rate found, ascending.
    pub fn rates(&self) -> &[f64] {
        match self {
            Irr::None => &[],
            Irr::Unique(rate) => std::slice::from_ref(rate),
            Irr::Several(rates) => rates,
        }
    }
}

/// Halley's method stops when a step moves x by less than this fraction of x: the error left
/// after that step is of the order of its cube, far below f64's precision.
const STEP_TOLERANCE: f64 = 1e-8;
/// Deepest interval halving when isolating roots: 2^-64 is finer than f64 can tell apart.
const MAX_DEPTH: u32 = 64;
/// Flows up to this length are converted on the stack.
const STACK_FLOWS: usize = 64;

/// The IRR of a flow given as `Decimal`: converts it to `f64` once and calls [`irr_f64`].
pub fn irr(flows: &[Decimal]) -> Irr {
    if flows.len() <= STACK_FLOWS {
        let mut buffer = [0.0f64; STACK_FLOWS];
        for (slot, flow) in buffer.iter_mut().zip(flows) {
            *slot = decimal_to_f64(*flow);
        }
        irr_f64(&buffer[..flows.len()])
    } else {
        let converted: Vec<f64> = flows.iter().copied().map(decimal_to_f64).collect();
        irr_f64(&converted)
    }
}

/// The powers of ten that f64 holds exactly.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// A `Decimal` as the nearest `f64` when its mantissa fits f64's 53 bits (every amount in pesos
/// with cents below 9·10^13): one exact conversion and one correctly rounded division, several
/// times faster than the general conversion, which handles the rest.
pub(crate) fn decimal_to_f64(value: Decimal) -> f64 {
    let scale = value.scale() as usize;
    match i64::try_from(value.mantissa()) {
        Ok(mantissa) if mantissa.unsigned_abs() < (1 << 53) && scale <= 22 => {
            mantissa as f64 / POWERS_OF_TEN[scale]
        }
        _ => value.to_f64().unwrap_or(f64::NAN),
    }
}

/// The IRR of a flow by year (year 0 first). Non-finite values give [`Irr::None`].
pub fn irr_f64(flows: &[f64]) -> Irr {
    if flows.iter().any(|c| !c.is_finite()) {
        return Irr::None;
    }
    let (Some(first), Some(last)) = (
        flows.iter().position(|&c| c != 0.0),
        flows.iter().rposition(|&c| c != 0.0),
    ) else {
        return Irr::None;
    };
    // Leading zeros only multiply Q by a power of x and trailing zeros lower its degree:
    // neither moves a positive root.
    let q = &flows[first..=last];
    match sign_changes(q) {
        0 => Irr::None,
        1 => {
            let s = if q[0] < 0.0 { 1.0 } else { -1.0 };
            match solve_bracketed(q, s, 0.0, f64::INFINITY, INITIAL_X) {
                Some(x) => Irr::Unique(rate_of(x)),
                None => Irr::None,
            }
        }
        _ => several(q),
    }
}

/// NPV of a flow at `rate` (year 0 undiscounted), by Horner's rule in 1 / (1 + rate).
pub fn npv_f64(rate: f64, flows: &[f64]) -> f64 {
    let x = 1.0 / (1.0 + rate);
    flows.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// NPV of a `Decimal` flow at `rate`, in `Decimal` (28 significant digits).
pub fn npv(rate: Decimal, flows: &[Decimal]) -> Decimal {
    let growth = Decimal::ONE + rate;
    if growth.is_zero() {
        return flows.first().copied().unwrap_or(Decimal::ZERO);
    }
    flows.iter().rev().fold(Decimal::ZERO, |acc, &c| acc / growth + c)
}

/// Modified IRR (TIR modificada) of a `Decimal` flow: the negative flows discounted to year 0
/// at `finance_rate`, the positive ones compounded to the last year at `reinvestment_rate`,
/// and MIRR = (FV(positives) / -PV(negatives))^(1/n) - 1 over the n years of the flow. Unlike
/// the IRR it is one rate for any flow. `None` when the flow has fewer than two years, no
/// negative or no positive flow, or a rate of -1 or below.
pub fn mirr(flows: &[Decimal], finance_rate: Decimal, reinvestment_rate: Decimal) -> Option<f64> {
    let finance = Decimal::ONE + finance_rate;
    let reinvest = Decimal::ONE + reinvestment_rate;
    if flows.len() < 2 || finance <= Decimal::ZERO || reinvest <= Decimal::ZERO {
        return None;
    }
    // Horner both ways: PV(negatives) from the last year down, FV(positives) from year 0 up.
    let present_negatives = flows.iter().rev().try_fold(Decimal::ZERO, |acc, &c| {
        acc.checked_div(finance)?.checked_add(c.min(Decimal::ZERO))
    })?;
    let future_positives = flows.iter().try_fold(Decimal::ZERO, |acc, &c| {
        acc.checked_mul(reinvest)?.checked_add(c.max(Decimal::ZERO))
    })?;
    if present_negatives >= Decimal::ZERO || future_positives <= Decimal::ZERO {
        return None;
    }
    let ratio = decimal_to_f64(future_positives.checked_div(-present_negatives)?);
    let years = (flows.len() - 1) as f64;
    let rate = ratio.powf(1.0 / years) - 1.0;
    rate.is_finite().then_some(rate)
}

/// [`mirr`] of an `f64` flow (the sensitivity cases).
pub fn mirr_f64(flows: &[f64], finance_rate: f64, reinvestment_rate: f64) -> Option<f64> {
    let (finance, reinvest) = (1.0 + finance_rate, 1.0 + reinvestment_rate);
    if flows.len() < 2 || finance <= 0.0 || reinvest <= 0.0 || flows.iter().any(|c| !c.is_finite()) {
        return None;
    }
    let present_negatives = flows.iter().rev().fold(0.0, |acc, &c| acc / finance + c.min(0.0));
    let future_positives = flows.iter().fold(0.0, |acc, &c| acc * reinvest + c.max(0.0));
    if present_negatives >= 0.0 || future_positives <= 0.0 {
        return None;
    }
    let rate = (future_positives / -present_negatives).powf(1.0 / (flows.len() - 1) as f64) - 1.0;
    rate.is_finite().then_some(rate)
}

/// The rate the IRR check of Art. 19.6 compares, and which rate it is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "rate")]
pub enum DecidingRate {
    /// The flow's only IRR.
    Irr(f64),
    /// The flow has several IRRs: the modified IRR at the discount rate decides.
    Mirr(f64),
    /// No rate: the flow has no IRR (or several and no MIRR).
    None,
}

impl DecidingRate {
    /// Reading of Art. 19.6 with several IRRs: the unique IRR when there is one; with several,
    /// the MIRR with the discount rate as finance and reinvestment rate; else none.
    pub fn of(irr: &Irr, mirr: Option<f64>) -> Self {
        match (irr, mirr) {
            (Irr::Unique(rate), _) => DecidingRate::Irr(*rate),
            (Irr::Several(_), Some(rate)) => DecidingRate::Mirr(rate),
            _ => DecidingRate::None,
        }
    }

    pub fn rate(&self) -> Option<f64> {
        match self {
            DecidingRate::Irr(rate) | DecidingRate::Mirr(rate) => Some(*rate),
            DecidingRate::None => None,
        }
    }
}

/// Start of the iteration: x = 1 / 1.1, a 10 % rate, near most projects' IRR.
const INITIAL_X: f64 = 1.0 / 1.1;

fn rate_of(x: f64) -> f64 {
    (1.0 - x) / x
}

fn sign_changes(coefficients: &[f64]) -> usize {
    let mut changes = 0;
    let mut previous = 0.0f64;
    for &c in coefficients {
        if c != 0.0 {
            if previous != 0.0 && (c < 0.0) != (previous < 0.0) {
                changes += 1;
            }
            previous = c;
        }
    }
    changes
}

/// Q(x), Q'(x) and Q''(x) in one pass of Horner's rule (three chains that run side by side).
#[inline]
fn value_and_slopes(q: &[f64], x: f64) -> (f64, f64, f64) {
    let mut value = 0.0;
    let mut slope = 0.0;
    let mut half_curvature = 0.0;
    for &c in q.iter().rev() {
        half_curvature = half_curvature * x + slope;
        slope = slope * x + value;
        value = value * x + c;
    }
    (value, slope, 2.0 * half_curvature)
}

fn value_at(q: &[f64], x: f64) -> f64 {
    q.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// The root of `s·Q` in (lo, hi), where `s·Q(lo) < 0 < s·Q(hi)` and exactly one root lies
/// between (hi may be infinite). Halley's method from `start` (cubic convergence: about four
/// steps for an 11-year flow), falling back to bisection (or doubling while `hi` is infinite)
/// whenever a step would leave the bracket.
fn solve_bracketed(q: &[f64], s: f64, mut lo: f64, mut hi: f64, start: f64) -> Option<f64> {
    let mut x = if start > lo && start < hi {
        start
    } else if hi.is_finite() {
        0.5 * (lo + hi)
    } else {
        lo.max(0.5) * 2.0
    };
    for _ in 0..2_000 {
        let (value, slope, curvature) = value_and_slopes(q, x);
        let (value, slope, curvature) = (s * value, s * slope, s * curvature);
        if value == 0.0 {
            return Some(x);
        }
        if value < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let next = x - 2.0 * value * slope / (2.0 * slope * slope - value * curvature);
        if (next - x).abs() <= STEP_TOLERANCE * next.abs() && next > 0.0 {
            return Some(next);
        }
        if next > lo && next < hi {
            x = next;
        } else if hi.is_finite() {
            let middle = 0.5 * (lo + hi);
            if middle <= lo || middle >= hi || hi - lo <= f64::EPSILON * hi {
                return Some(middle);
            }
            x = middle;
        } else if x < f64::MAX / 4.0 {
            x *= 2.0;
        } else {
            return None;
        }
    }
    Some(x)
}

/// What root isolation finds, in the variable it works on.
#[derive(Debug, Clone, Copy)]
enum Isolated {
    /// Exactly one root inside the open interval.
    Interval(f64, f64),
    /// Perhaps a root exactly at a point where an interval was halved.
    Point(f64),
    /// Roots closer together than f64 can separate (a multiple root), at a point where the
    /// polynomial vanishes.
    Cluster(f64),
}

impl Isolated {
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        match self {
            Isolated::Interval(a, b) => {
                let (x, y) = (f(a), f(b));
                Isolated::Interval(x.min(y), x.max(y))
            }
            Isolated::Point(t) => Isolated::Point(f(t)),
            Isolated::Cluster(t) => Isolated::Cluster(f(t)),
        }
    }
}

/// Every positive root of Q when it has two or more sign changes.
fn several(q: &[f64]) -> Irr {
    let mut isolated: Vec<Isolated> = Vec::new();
    // x in (0, 1), that is r > 0: the roots of Q itself in (0, 1).
    isolate(q.to_vec(), 0.0, 1.0, 0, &mut isolated);
    let below_one = isolated.len();
    // x in (1, ∞), that is -1 < r < 0: with u = 1 / x, the roots of u^n Q(1 / u) in (0, 1).
    let reversed: Vec<f64> = q.iter().rev().copied().collect();
    isolate(reversed, 0.0, 1.0, 0, &mut isolated);
    let inverse = |u: f64| if u > 0.0 { 1.0 / u } else { f64::INFINITY };
    for found in &mut isolated[below_one..] {
        *found = found.map(inverse);
    }
    // x = 1, r = 0, lies between the two halves.
    isolated.push(Isolated::Point(1.0));

    let mut roots: Vec<f64> = Vec::new();
    for found in isolated {
        let root = match found {
            Isolated::Interval(a, b) => refine(q, a, b),
            Isolated::Point(x) => is_root_at(q, x).then_some(x),
            Isolated::Cluster(x) => Some(x),
        };
        roots.extend(root);
    }
    let mut rates: Vec<f64> = roots.into_iter().map(rate_of).filter(|r| r.is_finite()).collect();
    rates.sort_by(f64::total_cmp);
    rates.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * (1.0 + b.abs()));
    match rates.len() {
        0 => Irr::None,
        1 => Irr::Unique(rates[0]),
        _ => Irr::Several(rates),
    }
}

/// Whether Q has a root at x itself: Q(x) is exactly zero, or Q changes sign across x within
/// a relative 1e-9 (a simple root that rounding moved off the point).
fn is_root_at(q: &[f64], x: f64) -> bool {
    if value_at(q, x) == 0.0 {
        return true;
    }
    let (below, above) = (value_at(q, x * (1.0 - 1e-9)), value_at(q, x * (1.0 + 1e-9)));
    below == 0.0 || above == 0.0 || (below < 0.0) != (above < 0.0)
}

/// Whether Q(x) is zero up to rounding: below 1e-12 of the size of its terms.
fn is_negligible(q: &[f64], x: f64) -> bool {
    let value = value_at(q, x);
    let size = q.iter().rev().fold(0.0, |acc, &c| acc * x + c.abs());
    value == 0.0 || value.abs() <= 1e-12 * size
}

/// The root of Q in the isolating interval (a, b) of x (b may be infinite), if Q changes
/// sign there. A root exactly at an end was counted on its own, so the ends are moved inside.
fn refine(q: &[f64], a: f64, b: f64) -> Option<f64> {
    let nudge = 1e-9;
    let (mut a, mut b) = (a, b);
    let mut at_a = value_at(q, a);
    if at_a == 0.0 {
        a = if b.is_finite() {
            a + (b - a) * nudge
        } else {
            a * (1.0 + nudge)
        };
        at_a = value_at(q, a);
    }
    if b.is_finite() {
        let mut at_b = value_at(q, b);
        if at_b == 0.0 {
            b -= (b - a) * nudge;
            at_b = value_at(q, b);
        }
        if at_a == 0.0 || at_b == 0.0 || (at_a < 0.0) == (at_b < 0.0) {
            return None;
        }
    } else if at_a == 0.0 {
        return None;
    }
    let s = if at_a < 0.0 { 1.0 } else { -1.0 };
    let start = if b.is_finite() {
        0.5 * (a + b)
    } else {
        a.max(0.5) * 2.0
    };
    solve_bracketed(q, s, a, b, start)
}

/// Pushes isolating intervals (in t, where t = a + (b - a)·s) of the roots of `p` on s in
/// (0, 1): Descartes' rule on (1 + y)^n p(1 / (1 + y)) counts them (up to an even number),
/// and the interval is halved until each part holds none or exactly one. A point where p
/// nearly vanishes at a midpoint is pushed as a candidate for [`is_root_at`].
fn isolate(p: Vec<f64>, a: f64, b: f64, depth: u32, out: &mut Vec<Isolated>) {
    let changes = sign_changes(&unit_interval_transform(&p));
    if changes == 0 {
        return;
    }
    if changes == 1 {
        out.push(Isolated::Interval(a, b));
        return;
    }
    let middle = 0.5 * (a + b);
    if depth >= MAX_DEPTH || middle <= a || middle >= b {
        // Roots closer than f64 can separate: a multiple root. Keep it once when p vanishes.
        if is_negligible(&p, 0.5) {
            out.push(Isolated::Cluster(middle));
        }
        return;
    }
    // p(s / 2), scaled: the roots of the left half moved onto (0, 1).
    let mut left: Vec<f64> = p
        .iter()
        .enumerate()
        .map(|(i, c)| c / f64::powi(2.0, i as i32))
        .collect();
    normalize(&mut left);
    let at_middle = is_negligible(&left, 1.0);
    // p((s + 1) / 2): the right half.
    let mut right = left.clone();
    taylor_shift_one(&mut right);
    normalize(&mut right);
    isolate(left, a, middle, depth + 1, out);
    if at_middle {
        out.push(Isolated::Point(middle));
    }
    isolate(right, middle, b, depth + 1, out);
}

/// (1 + y)^n p(1 / (1 + y)): reverse the coefficients, then shift by one.
fn unit_interval_transform(p: &[f64]) -> Vec<f64> {
    let mut t: Vec<f64> = p.iter().rev().copied().collect();
    taylor_shift_one(&mut t);
    t
}

/// p(y + 1) in place (ascending coefficients), O(n²) additions.
fn taylor_shift_one(c: &mut [f64]) {
    let n = c.len();
    for i in 0..n.saturating_sub(1) {
        for j in (i..n - 1).rev() {
            c[j] += c[j + 1];
        }
    }
}

/// Divides by the largest magnitude, so repeated halving neither overflows nor underflows.
fn normalize(c: &mut [f64]) {
    let largest = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest > 0.0 && largest.is_finite() {
        for v in c.iter_mut() {
            *v /= largest;
        }
    }
}
