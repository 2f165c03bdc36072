//! Cofinanciación: how the project's value splits between the institute and the counterpart
//! (Art. 7, 20, 21, 29, 31).
//!
//! For a project of total value V (every budget line, any funder), families F, each with its
//! maximum percentage p_f (Art. 7) and cap c_f in SMMLV (Art. 29), and S the SMMLV of the
//! call's budget year:
//!
//! - institute maximum = Σ_f min(p_f · V / |F|, c_f · S);
//! - requested = the lines the formulation asks the institute for;
//! - contribution = min(requested, maximum, eligible total), rounded down to whole pesos so it
//!   never exceeds any of the three;
//! - counterpart (contrapartida) = V - contribution; it covers every non-eligible line (Art. 21)
//!   and whatever the institute was asked for but cannot pay;
//! - guarantee = the rule set's share of the contribution (10 %, Art. 31), rounded up to whole
//!   pesos, for its months (24).
//!
//! The institute's contribution goes to the eligible lines it was asked for, in proportion
//! when it is less than asked; lines asked of the institute in a non-eligible category pass to
//! the counterpart (and [`super::Formulation::validate`] reports them).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::formulation::{ExpenseCategory, Formulation, Funder};
use super::rules::FinancialRules;
use crate::money::minimum_wage;
use crate::text_enum::text_enum;

/// Why a split cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CofinancingError {
    #[error("budget[{line}] is a {category} line, which a formulation cannot include ({article})")]
    ExcludedLine {
        line: usize,
        category: ExpenseCategory,
        article: String,
    },
    #[error("the project has no participating family")]
    NoHouseholds,
    #[error("no SMMLV is known for the budget year {year}")]
    UnknownMinimumWage { year: i16 },
    #[error(
        "the counterpart (COP {counterpart}) cannot cover the non-eligible lines (COP {non_eligible_total}) ({article})"
    )]
    CounterpartCannotCover {
        counterpart: Decimal,
        non_eligible_total: Decimal,
        article: String,
    },
}

impl CofinancingError {
    /// What went wrong, as a typed message.
    pub fn message(&self) -> crate::message::Message {
        use crate::message::Message;
        match self {
            CofinancingError::ExcludedLine {
                line,
                category,
                article,
            } => Message::new("cofinancing-error-excluded_line")
                .with("line", *line)
                .with_term("category", format!("evaluation-category_{category}"))
                .with("article", article),
            CofinancingError::NoHouseholds => Message::new("evaluation-error-no_households"),
            CofinancingError::UnknownMinimumWage { year } => {
                Message::new("evaluation-error-unknown_minimum_wage").with("year", *year)
            }
            CofinancingError::CounterpartCannotCover {
                counterpart,
                non_eligible_total,
                article,
            } => Message::new("cofinancing-error-counterpart_cannot_cover")
                .with("counterpart", *counterpart)
                .with("non_eligible", *non_eligible_total)
                .with("article", article),
        }
    }
}

text_enum! {
    /// Which of the three limits set the contribution.
    pub enum Limit ("limit") {
        Requested = "requested",
        InstituteMaximum = "institute_maximum",
        EligibleTotal = "eligible_total",
    }
}

/// The families that share a maximum percentage and a cap, and their part of the institute
/// maximum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyGroup {
    pub max_pct: Decimal,
    pub cap_smmlv: Decimal,
    pub families: usize,
    /// p · V / |F|, for one family.
    pub by_percentage: Decimal,
    /// c · S, for one family.
    pub by_cap: Decimal,
    /// families · min(by_percentage, by_cap).
    pub limit: Decimal,
}

/// What one funder pays, by category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunderShare {
    pub funder: Funder,
    pub by_category: BTreeMap<ExpenseCategory, Decimal>,
    pub total: Decimal,
}

/// Póliza de cumplimiento (Art. 31).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guarantee {
    pub amount: Decimal,
    pub months: u16,
    pub article: String,
}

/// The split of a project's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CofinancingSplit {
    /// V: every budget line, any funder.
    pub project_value: Decimal,
    /// S: SMMLV of the call's budget year.
    pub minimum_wage: Decimal,
    /// The families by (percentage, cap), in order of first appearance.
    pub family_groups: Vec<FamilyGroup>,
    /// Σ_f min(p_f · V / |F|, c_f · S).
    pub institute_maximum: Decimal,
    pub institute_maximum_article: String,
    /// Lines asked of the institute.
    pub requested: Decimal,
    /// Lines in eligible categories (Art. 20), any funder.
    pub eligible_total: Decimal,
    /// Lines in non-eligible categories (Art. 21), any funder.
    pub non_eligible_total: Decimal,
    /// Aporte del instituto.
    pub contribution: Decimal,
    pub binding_limit: Limit,
    /// Contrapartida: V - contribution (beneficiaries and other funders).
    pub counterpart: Decimal,
    /// What the formulation's lines put on the counterpart and other funders: V - requested.
    pub counterpart_declared: Decimal,
    /// What the counterpart must add beyond its own lines: requested - contribution.
    pub counterpart_additional: Decimal,
    /// Lines asked of the institute in non-eligible categories, passed to the counterpart.
    pub ineligible_lines_moved: Vec<usize>,
    /// By funder: institute, counterpart, then other funders in order of appearance.
    pub by_funder: Vec<FunderShare>,
    pub by_category: BTreeMap<ExpenseCategory, Decimal>,
    pub guarantee: Guarantee,
}

impl CofinancingSplit {
    pub fn share(&self, funder: &Funder) -> Option<&FunderShare> {
        self.by_funder.iter().find(|s| &s.funder == funder)
    }
}

const CATEGORIES: usize = ExpenseCategory::ALL.len();

/// Amounts by category, indexed by the category's position.
type ByCategory = [Decimal; CATEGORIES];

/// Splits the value of `formulation` under `rules`.
pub fn split(
    formulation: &Formulation,
    rules: &FinancialRules,
) -> Result<CofinancingSplit, CofinancingError> {
    let frame = &formulation.frame;
    let wage = minimum_wage(frame.budget_year)
        .ok_or(CofinancingError::UnknownMinimumWage {
            year: frame.budget_year,
        })?
        .amount_cop;
    if frame.households.is_empty() {
        return Err(CofinancingError::NoHouseholds);
    }
    let excluded = ExpenseCategory::mask(&rules.excluded_categories.value);
    let eligible = ExpenseCategory::mask(&rules.eligible_categories.value);
    let is_eligible = |category: usize| eligible & (1 << category) != 0;
    if let Some((line, l)) = formulation
        .budget
        .iter()
        .enumerate()
        .find(|(_, l)| excluded & l.category.bit() != 0)
    {
        return Err(CofinancingError::ExcludedLine {
            line,
            category: l.category,
            article: rules.excluded_categories.article.clone(),
        });
    }

    // Declared amounts by funder and category; the institute's eligible asks apart.
    let mut project_value = Decimal::ZERO;
    let mut requested = Decimal::ZERO;
    let mut eligible_total = Decimal::ZERO;
    let mut asked: ByCategory = [Decimal::ZERO; CATEGORIES];
    let mut declared: Vec<(Funder, ByCategory)> = vec![
        (Funder::Institute, [Decimal::ZERO; CATEGORIES]),
        (Funder::Counterpart, [Decimal::ZERO; CATEGORIES]),
    ];
    let mut ineligible_lines_moved = Vec::new();
    for (i, line) in formulation.budget.iter().enumerate() {
        let amount = line.amount();
        let category = line.category as usize;
        project_value += amount;
        if is_eligible(category) {
            eligible_total += amount;
        }
        let index = match &line.funder {
            Funder::Institute => {
                requested += amount;
                if is_eligible(category) {
                    asked[category] += amount;
                    continue;
                }
                ineligible_lines_moved.push(i);
                1
            }
            Funder::Counterpart => 1,
            other => match declared.iter().position(|(f, _)| f == other) {
                Some(index) => index,
                None => {
                    declared.push((other.clone(), [Decimal::ZERO; CATEGORIES]));
                    declared.len() - 1
                }
            },
        };
        declared[index].1[category] += amount;
    }
    let non_eligible_total = project_value - eligible_total;

    // Σ_f min(p_f · V / |F|, c_f · S), one division per distinct (p, c).
    let count = Decimal::from(frame.households.len());
    let denominator = Decimal::ONE_HUNDRED * count;
    let mut family_groups: Vec<FamilyGroup> = Vec::new();
    for household in &frame.households {
        match family_groups
            .iter_mut()
            .find(|g| g.max_pct == household.max_pct && g.cap_smmlv == household.cap_smmlv)
        {
            Some(group) => group.families += 1,
            None => family_groups.push(FamilyGroup {
                max_pct: household.max_pct,
                cap_smmlv: household.cap_smmlv,
                families: 1,
                by_percentage: household.max_pct * project_value / denominator,
                by_cap: household.cap_smmlv * wage,
                limit: Decimal::ZERO,
            }),
        }
    }
    for group in &mut family_groups {
        let families = Decimal::from(group.families);
        group.limit = if group.by_percentage <= group.by_cap {
            // families · p · V / (100 |F|) in one division, exact whenever it terminates.
            families * group.max_pct * project_value / denominator
        } else {
            families * group.by_cap
        };
    }
    // The last digits of a non-terminating division must not turn 30,000,000 into
    // 29,999,999.99…: the maximum is kept to the millionth of a peso.
    let institute_maximum: Decimal = family_groups.iter().map(|g| g.limit).sum::<Decimal>().round_dp(6);

    let (mut limit, mut binding_limit) = (requested, Limit::Requested);
    if institute_maximum < limit {
        (limit, binding_limit) = (institute_maximum, Limit::InstituteMaximum);
    }
    if eligible_total < limit {
        (limit, binding_limit) = (eligible_total, Limit::EligibleTotal);
    }
    let contribution = limit.max(Decimal::ZERO).floor();
    let counterpart = project_value - contribution;
    if counterpart < non_eligible_total {
        return Err(CofinancingError::CounterpartCannotCover {
            counterpart,
            non_eligible_total,
            article: rules.ineligible_categories.article.clone(),
        });
    }

    // The institute pays the eligible lines asked of it, in proportion when it pays less.
    let asked_total: Decimal = asked.iter().copied().sum();
    let mut institute: ByCategory = [Decimal::ZERO; CATEGORIES];
    if contribution >= asked_total {
        institute = asked;
        // Only when non-eligible lines were asked of the institute can it pay more than the
        // eligible lines asked of it: it takes over other eligible lines, counterpart first.
        let mut extra = contribution - asked_total;
        for (_, by_category) in declared.iter_mut().skip(1) {
            for (category, amount) in by_category.iter_mut().enumerate() {
                if extra.is_zero() {
                    break;
                }
                if is_eligible(category) && *amount > Decimal::ZERO {
                    let taken = extra.min(*amount);
                    *amount -= taken;
                    extra -= taken;
                    institute[category] += taken;
                }
            }
        }
    } else {
        // Cumulative rounding to whole pesos: the shares add up to the contribution exactly.
        let mut cumulative = Decimal::ZERO;
        let mut paid_so_far = Decimal::ZERO;
        for (category, amount) in asked.iter().enumerate() {
            if amount.is_zero() {
                continue;
            }
            cumulative += *amount;
            let paid_until_here = (contribution * cumulative / asked_total).round_dp(0);
            institute[category] = paid_until_here - paid_so_far;
            declared[1].1[category] += *amount - institute[category];
            paid_so_far = paid_until_here;
        }
    }
    declared[0].1 = institute;

    let mut totals: ByCategory = [Decimal::ZERO; CATEGORIES];
    let by_funder: Vec<FunderShare> = declared
        .into_iter()
        .map(|(funder, amounts)| {
            let mut by_category = BTreeMap::new();
            let mut total = Decimal::ZERO;
            for (i, amount) in amounts.into_iter().enumerate() {
                if !amount.is_zero() {
                    by_category.insert(ExpenseCategory::ALL[i], amount);
                    totals[i] += amount;
                    total += amount;
                }
            }
            FunderShare {
                funder,
                by_category,
                total,
            }
        })
        .collect();
    let by_category = totals
        .into_iter()
        .enumerate()
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(i, amount)| (ExpenseCategory::ALL[i], amount))
        .collect();

    let counterpart_declared = project_value - requested;
    Ok(CofinancingSplit {
        project_value,
        minimum_wage: wage,
        family_groups,
        institute_maximum,
        institute_maximum_article: rules.institute_maximum.article.clone(),
        requested,
        eligible_total,
        non_eligible_total,
        contribution,
        binding_limit,
        counterpart,
        counterpart_declared,
        counterpart_additional: counterpart - counterpart_declared,
        ineligible_lines_moved,
        by_funder,
        by_category,
        guarantee: Guarantee {
            amount: (contribution * rules.guarantee.share).ceil(),
            months: rules.guarantee.months,
            article: rules.guarantee.article.clone(),
        },
    })
}

/// The amounts an award states (Art. 27, 31): the institute's contribution, at most the split's
/// (the evaluated maximum), and what follows from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardAmounts {
    /// What the evaluation of the approved version allows: [`CofinancingSplit::contribution`].
    pub maximum: Decimal,
    pub institute_contribution: Decimal,
    /// V - contribution: what the beneficiaries and other funders put in.
    pub counterpart: Decimal,
    pub guarantee: Guarantee,
    /// The director chose less than the maximum: the resolution must say why.
    pub lowered: bool,
}

/// Why an award's amount is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwardAmountError {
    /// Zero or less.
    NotPositive,
    /// Above what the approved version's evaluation allows (Art. 7, 29).
    AboveMaximum { maximum: Decimal },
}

impl AwardAmounts {
    /// The amounts of an award of `chosen` (the maximum when `None`) under `split`.
    pub fn derive(
        split: &CofinancingSplit,
        rules: &FinancialRules,
        chosen: Option<Decimal>,
    ) -> Result<AwardAmounts, AwardAmountError> {
        let maximum = split.contribution;
        let contribution = chosen.unwrap_or(maximum);
        if contribution <= Decimal::ZERO {
            return Err(AwardAmountError::NotPositive);
        }
        if contribution > maximum {
            return Err(AwardAmountError::AboveMaximum { maximum });
        }
        Ok(AwardAmounts {
            maximum,
            institute_contribution: contribution,
            counterpart: split.project_value - contribution,
            guarantee: Guarantee {
                amount: (contribution * rules.guarantee.share).ceil(),
                months: rules.guarantee.months,
                article: rules.guarantee.article.clone(),
            },
            lowered: contribution < maximum,
        })
    }
}
