//! Territorial focus and prioritization of areas (Acuerdo 308 de 2013, Art. 5, 6, 8 and 30).
//!
//! Art. 5 focuses the program on the poorest rural population and on the territories where it
//! concentrates; Art. 6 ranks the focused areas by a weighting of three aspects:
//!
//! 1. the municipal multidimensional poverty index (IPM): more poverty, more priority;
//! 2. the concentration of families to benefit: more families, more priority;
//! 3. the concentration of the institute's interventions ("áreas con **mayor** concentración de
//!    intervenciones misionales de Incoder, que fortalecen la estrategia de desarrollo rural
//!    con enfoque territorial", Art. 6.3): the article favours the areas where the institute
//!    already works, so more interventions, more priority (not the reverse reading of
//!    spreading the institute's presence).
//!
//! The weights belong to each year's technical document (Art. 8), so they are an input. Each
//! criterion is normalised min–max across the candidates, the index is the weighted mean of
//! the normalised values, and ties are broken by IPM (higher first), then by DANE code. A
//! municipality with no family to benefit is never ranked above one that has them.
//! Art. 30 limits the families and projects to what the year's budget reaches ([`coverage`]).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::territory::DaneCode;

/// The decimal places kept in normalised values and indexes.
pub const INDEX_DECIMALS: u32 = 6;

/// A municipality that may be prioritized, with the three aspects of Art. 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub dane_code: DaneCode,
    /// The municipal IPM, in percent (0–100).
    pub ipm: Decimal,
    /// Families to benefit (Art. 6.2).
    pub families: u64,
    /// The institute's interventions in the municipality (Art. 6.3).
    pub interventions: u64,
}

/// The weighting of the three aspects (Art. 8). They need not add up to 1: each is divided by
/// their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    pub poverty: Decimal,
    pub families: Decimal,
    pub interventions: Decimal,
}

/// A candidate with its normalised values and index, in ranking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// 1 for the first.
    pub rank: u32,
    pub candidate: Candidate,
    pub poverty_norm: Decimal,
    pub families_norm: Decimal,
    pub interventions_norm: Decimal,
    /// In [0, 1], rounded to [`INDEX_DECIMALS`] places.
    pub index: Decimal,
}

/// Why a prioritization cannot be computed; `field` names the form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetingError {
    #[error("the weight {field} must be zero or more, not {value}")]
    NegativeWeight { field: &'static str, value: Decimal },
    #[error("the weight {field} is too large: {value}")]
    WeightTooLarge { field: &'static str, value: Decimal },
    #[error("at least one weight must be above zero (weight_poverty, weight_families, weight_interventions)")]
    AllWeightsZero,
    #[error("the IPM of {code} must be a percentage between 0 and 100, not {value}")]
    IpmOutOfRange { code: DaneCode, value: Decimal },
    #[error("the municipality {code} is a candidate twice")]
    DuplicateCandidate { code: DaneCode },
}

impl TargetingError {
    /// The form field the problem belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            TargetingError::NegativeWeight { field, .. } | TargetingError::WeightTooLarge { field, .. } => {
                field
            }
            TargetingError::AllWeightsZero => "weight_poverty",
            TargetingError::IpmOutOfRange { .. } | TargetingError::DuplicateCandidate { .. } => "candidates",
        }
    }

    /// What is wrong, said beside its field.
    pub fn message(&self) -> Message {
        match self {
            TargetingError::NegativeWeight { value, .. } => {
                Message::new("targeting-error-negative_weight").with("value", *value)
            }
            TargetingError::WeightTooLarge { value, .. } => {
                Message::new("targeting-error-too_large").with("value", *value)
            }
            TargetingError::AllWeightsZero => Message::new("targeting-error_weights_zero"),
            TargetingError::IpmOutOfRange { code, value } => Message::new("targeting-error-ipm_out_of_range")
                .with("code", code.as_str())
                .with("value", *value),
            TargetingError::DuplicateCandidate { code } => {
                Message::new("targeting-error-duplicate_candidate").with("code", code.as_str())
            }
        }
    }
}

/// The largest weight accepted, so that sums and products stay exact.
const MAX_WEIGHT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

impl Weights {
    /// Every problem of the weights, each tied to its field (`weight_poverty`,
    /// `weight_families`, `weight_interventions`).
    pub fn validate(&self) -> Vec<TargetingError> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("weight_poverty", self.poverty),
            ("weight_families", self.families),
            ("weight_interventions", self.interventions),
        ] {
            if value < Decimal::ZERO {
                problems.push(TargetingError::NegativeWeight { field, value });
            } else if value > MAX_WEIGHT {
                problems.push(TargetingError::WeightTooLarge { field, value });
            }
        }
        if problems.is_empty() && self.sum().is_zero() {
            problems.push(TargetingError::AllWeightsZero);
        }
        problems
    }

    fn sum(&self) -> Decimal {
        self.poverty + self.families + self.interventions
    }

    /// Each weight divided by their sum (what the technical document states).
    pub fn normalised(&self) -> Option<Weights> {
        let sum = self.sum();
        if sum.is_zero() {
            return None;
        }
        Some(Weights {
            poverty: (self.poverty / sum).round_dp(INDEX_DECIMALS),
            families: (self.families / sum).round_dp(INDEX_DECIMALS),
            interventions: (self.interventions / sum).round_dp(INDEX_DECIMALS),
        })
    }
}

/// Min–max normalisation: (v − min) / (max − min). When every candidate has the same value
/// the criterion does not tell them apart, so it contributes 0 for all of them (rather than
/// dividing by zero or giving everyone the full weight).
fn normalise(value: Decimal, min: Decimal, max: Decimal) -> Decimal {
    if max == min {
        Decimal::ZERO
    } else {
        (value - min) / (max - min)
    }
}

fn bounds(values: impl Iterator<Item = Decimal>) -> (Decimal, Decimal) {
    values.fold((Decimal::MAX, Decimal::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Ranks the candidates by their prioritization index (Art. 6), highest first; ties go to the
/// higher IPM, then to the lower DANE code. Municipalities without families to benefit are
/// ranked after all those that have them (Art. 5-6: only the focused population is ranked).
pub fn prioritize(candidates: &[Candidate], weights: &Weights) -> Result<Vec<Ranked>, TargetingError> {
    if let Some(problem) = weights.validate().into_iter().next() {
        return Err(problem);
    }
    let mut seen = std::collections::HashSet::new();
    for candidate in candidates {
        if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&candidate.ipm) {
            return Err(TargetingError::IpmOutOfRange {
                code: candidate.dane_code,
                value: candidate.ipm,
            });
        }
        if !seen.insert(candidate.dane_code) {
            return Err(TargetingError::DuplicateCandidate {
                code: candidate.dane_code,
            });
        }
    }
    let sum = weights.sum();
    let (ipm_lo, ipm_hi) = bounds(candidates.iter().map(|c| c.ipm));
    let (fam_lo, fam_hi) = bounds(candidates.iter().map(|c| Decimal::from(c.families)));
    let (int_lo, int_hi) = bounds(candidates.iter().map(|c| Decimal::from(c.interventions)));
    let mut ranked: Vec<Ranked> = candidates
        .iter()
        .map(|c| {
            let p = normalise(c.ipm, ipm_lo, ipm_hi);
            let f = normalise(Decimal::from(c.families), fam_lo, fam_hi);
            let i = normalise(Decimal::from(c.interventions), int_lo, int_hi);
            // Weights are at most 10^6 and normalised values at most 1: no overflow. The
            // weighted sum is at most the sum of the weights, so the index is at most 1.
            let index = ((weights.poverty * p + weights.families * f + weights.interventions * i) / sum)
                .round_dp(INDEX_DECIMALS)
                .clamp(Decimal::ZERO, Decimal::ONE);
            Ranked {
                rank: 0,
                candidate: *c,
                poverty_norm: p.round_dp(INDEX_DECIMALS),
                families_norm: f.round_dp(INDEX_DECIMALS),
                interventions_norm: i.round_dp(INDEX_DECIMALS),
                index,
            }
        })
        .collect();
    // Art. 6 prioritizes "sobre la población ... identificada en la focalización": a municipality
    // with no family to benefit comes after every one that has them, whatever its index.
    ranked.sort_by(|a, b| {
        (b.candidate.families > 0)
            .cmp(&(a.candidate.families > 0))
            .then(b.index.cmp(&a.index))
            .then(b.candidate.ipm.cmp(&a.candidate.ipm))
            .then(a.candidate.dane_code.cmp(&b.candidate.dane_code))
    });
    for (position, item) in ranked.iter_mut().enumerate() {
        item.rank = u32::try_from(position + 1).unwrap_or(u32::MAX);
    }
    Ok(ranked)
}

/// What the year's budget reaches (Art. 30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageInput {
    pub budget_cop: Decimal,
    /// The expected co-financing per family.
    pub cofinancing_per_family_cop: Decimal,
    /// The expected families of a project.
    pub families_per_project: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// ⌊budget / co-financing per family⌋.
    pub families: u64,
    /// ⌊families / families per project⌋: whole projects.
    pub projects: u64,
    /// The budget left once the families are co-financed: less than one family's share.
    pub remainder_cop: Decimal,
    /// Families reached beyond the whole projects (they would need a smaller project).
    pub families_outside_projects: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverageError {
    #[error("the budget must be zero or more, not {0}")]
    NegativeBudget(Decimal),
    #[error("the co-financing per family must be above zero, not {0}")]
    CofinancingNotPositive(Decimal),
    #[error("the families per project must be at least 1, not {0}")]
    NoFamiliesPerProject(u32),
}

impl CoverageError {
    pub fn field(&self) -> &'static str {
        match self {
            CoverageError::NegativeBudget(_) => "budget_cop",
            CoverageError::CofinancingNotPositive(_) => "cofinancing_per_family",
            CoverageError::NoFamiliesPerProject(_) => "families_per_project",
        }
    }

    /// What is wrong, said beside its field.
    pub fn message(&self) -> Message {
        match self {
            CoverageError::NegativeBudget(value) => {
                Message::new("targeting-error-negative_budget").with("value", *value)
            }
            CoverageError::CofinancingNotPositive(value) => {
                Message::new("targeting-error-cofinancing_not_positive").with("value", *value)
            }
            CoverageError::NoFamiliesPerProject(value) => {
                Message::new("targeting-error-no_families_per_project").with("value", *value)
            }
        }
    }
}

/// How many families and projects the budget reaches (Art. 30), rounded down.
pub fn coverage(input: &CoverageInput) -> Result<Coverage, CoverageError> {
    if input.budget_cop < Decimal::ZERO {
        return Err(CoverageError::NegativeBudget(input.budget_cop));
    }
    if input.cofinancing_per_family_cop <= Decimal::ZERO {
        return Err(CoverageError::CofinancingNotPositive(
            input.cofinancing_per_family_cop,
        ));
    }
    if input.families_per_project == 0 {
        return Err(CoverageError::NoFamiliesPerProject(0));
    }
    let families_exact = (input.budget_cop / input.cofinancing_per_family_cop).floor();
    let families = u64::try_from(families_exact).unwrap_or(u64::MAX);
    let remainder_cop = input.budget_cop - families_exact * input.cofinancing_per_family_cop;
    let per_project = u64::from(input.families_per_project);
    Ok(Coverage {
        families,
        projects: families / per_project,
        remainder_cop,
        families_outside_projects: families % per_project,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn code(text: &str) -> DaneCode {
        DaneCode::parse(text).expect("a code of the catalogue")
    }

    fn candidate(text: &str, ipm: Decimal, families: u64, interventions: u64) -> Candidate {
        Candidate {
            dane_code: code(text),
            ipm,
            families,
            interventions,
        }
    }

    const EQUAL: Weights = Weights {
        poverty: Decimal::ONE,
        families: Decimal::ONE,
        interventions: Decimal::ONE,
    };

    #[test]
    fn ranks_by_weighted_min_max_index() {
        let candidates = [
            candidate("05001", dec!(10), 0, 0),
            candidate("05002", dec!(60), 50, 2),
            candidate("05004", dec!(35), 100, 4),
        ];
        let weights = Weights {
            poverty: dec!(2),
            families: dec!(1),
            interventions: dec!(1),
        };
        let ranked = prioritize(&candidates, &weights).expect("valid");
        let order: Vec<&str> = ranked.iter().map(|r| r.candidate.dane_code.as_str()).collect();
        // 05002: (2·1 + 0.5 + 0.5) / 4 = 0.75; 05004: (2·0.5 + 1 + 1) / 4 = 0.75, tie: IPM 60
        // beats 35; 05001: 0.
        assert_eq!(order, ["05002", "05004", "05001"]);
        assert_eq!(ranked[0].index, dec!(0.75));
        assert_eq!(ranked[1].index, dec!(0.75));
        assert_eq!(ranked[2].index, Decimal::ZERO);
        assert_eq!(ranked[1].poverty_norm, dec!(0.5));
        assert_eq!(ranked.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn a_municipality_without_families_is_not_ranked_above_those_with_families() {
        // Art. 6: the poorest municipality with the most interventions but no eligible family
        // (as Milán was) comes after every municipality that has families to benefit.
        let candidates = [
            candidate("05001", dec!(90), 0, 9),
            candidate("05002", dec!(20), 3, 0),
            candidate("05004", dec!(30), 1, 1),
        ];
        let weights = Weights {
            poverty: dec!(5),
            families: dec!(1),
            interventions: dec!(1),
        };
        let ranked = prioritize(&candidates, &weights).expect("valid");
        let order: Vec<&str> = ranked.iter().map(|r| r.candidate.dane_code.as_str()).collect();
        assert_eq!(order, ["05004", "05002", "05001"]);
        // Its index is still shown as computed: the rule orders, it does not rewrite figures.
        assert!(ranked[2].index > ranked[0].index);
    }

    #[test]
    fn more_interventions_mean_more_priority() {
        let candidates = [
            candidate("05001", dec!(30), 10, 0),
            candidate("05002", dec!(30), 10, 7),
        ];
        let weights = Weights {
            poverty: dec!(0),
            families: dec!(0),
            interventions: dec!(0.3),
        };
        let ranked = prioritize(&candidates, &weights).expect("valid");
        assert_eq!(ranked[0].candidate.dane_code.as_str(), "05002");
        assert_eq!(ranked[0].index, Decimal::ONE);
    }

    #[test]
    fn a_criterion_without_spread_contributes_zero_and_ties_go_to_the_lower_code() {
        let candidates = [
            candidate("05004", dec!(40), 5, 1),
            candidate("05002", dec!(40), 5, 1),
        ];
        let ranked = prioritize(&candidates, &EQUAL).expect("valid");
        assert!(
            ranked
                .iter()
                .all(|r| r.index.is_zero() && r.poverty_norm.is_zero())
        );
        assert_eq!(ranked[0].candidate.dane_code.as_str(), "05002");
    }

    #[test]
    fn refuses_bad_weights_and_candidates() {
        let negative = Weights {
            families: dec!(-1),
            ..EQUAL
        };
        assert_eq!(
            negative.validate(),
            [TargetingError::NegativeWeight {
                field: "weight_families",
                value: dec!(-1)
            }]
        );
        let zero = Weights {
            poverty: dec!(0),
            families: dec!(0),
            interventions: dec!(0),
        };
        assert_eq!(prioritize(&[], &zero), Err(TargetingError::AllWeightsZero));
        assert_eq!(TargetingError::AllWeightsZero.field(), "weight_poverty");
        let twice = [
            candidate("05001", dec!(1), 0, 0),
            candidate("05001", dec!(2), 0, 0),
        ];
        assert!(matches!(
            prioritize(&twice, &EQUAL),
            Err(TargetingError::DuplicateCandidate { .. })
        ));
        let over = [candidate("05001", dec!(100.5), 0, 0)];
        assert!(
            prioritize(&over, &EQUAL)
                .expect_err("IPM over 100")
                .to_string()
                .contains("100.5")
        );
        assert_eq!(prioritize(&[], &EQUAL), Ok(Vec::new()));
    }

    #[test]
    fn normalised_weights_add_up_to_one() {
        let weights = Weights {
            poverty: dec!(50),
            families: dec!(30),
            interventions: dec!(20),
        };
        assert_eq!(
            weights.normalised(),
            Some(Weights {
                poverty: dec!(0.5),
                families: dec!(0.3),
                interventions: dec!(0.2)
            })
        );
    }

    #[test]
    fn coverage_floors_families_and_projects() {
        let reached = coverage(&CoverageInput {
            budget_cop: dec!(1_000_000_000),
            cofinancing_per_family_cop: dec!(28_470_000),
            families_per_project: 10,
        })
        .expect("valid");
        // 1 000 000 000 / 28 470 000 = 35.12…
        assert_eq!(reached.families, 35);
        assert_eq!(reached.projects, 3);
        assert_eq!(reached.families_outside_projects, 5);
        assert_eq!(reached.remainder_cop, dec!(3_550_000));
        assert_eq!(
            coverage(&CoverageInput {
                budget_cop: dec!(1),
                cofinancing_per_family_cop: dec!(0),
                families_per_project: 1,
            })
            .map_err(|e| e.field()),
            Err("cofinancing_per_family")
        );
        assert_eq!(
            coverage(&CoverageInput {
                budget_cop: dec!(1),
                cofinancing_per_family_cop: dec!(1),
                families_per_project: 0,
            })
            .map_err(|e| e.field()),
            Err("families_per_project")
        );
    }

    fn candidates_strategy() -> impl Strategy<Value = Vec<Candidate>> {
        let codes: Vec<DaneCode> = crate::territory::catalog()
            .municipalities
            .iter()
            .map(|m| m.code)
            .take(200)
            .collect();
        proptest::sample::subsequence(codes, 0..40).prop_flat_map(|codes| {
            let n = codes.len();
            (
                Just(codes),
                proptest::collection::vec((0u32..=1000, 0u64..50, 0u64..6), n),
            )
                .prop_map(|(codes, facts)| {
                    codes
                        .into_iter()
                        .zip(facts)
                        .map(|(dane_code, (ipm, families, interventions))| Candidate {
                            dane_code,
                            // Few distinct values, so ties happen.
                            ipm: Decimal::new(i64::from(ipm / 100 * 100), 1),
                            families,
                            interventions,
                        })
                        .collect()
                })
        })
    }

    proptest! {
        #[test]
        fn ranking_is_a_sorted_permutation(
            candidates in candidates_strategy(),
            poverty in 0u32..5,
            families in 0u32..5,
            interventions in 1u32..5,
        ) {
            let weights = Weights {
                poverty: Decimal::from(poverty),
                families: Decimal::from(families),
                interventions: Decimal::new(i64::from(interventions), 1),
            };
            let ranked = prioritize(&candidates, &weights).expect("valid input");
            let mut before: Vec<DaneCode> = candidates.iter().map(|c| c.dane_code).collect();
            let mut after: Vec<DaneCode> = ranked.iter().map(|r| r.candidate.dane_code).collect();
            before.sort();
            after.sort();
            prop_assert_eq!(before, after);
            for (position, item) in ranked.iter().enumerate() {
                prop_assert_eq!(item.rank as usize, position + 1);
                prop_assert!(item.index >= Decimal::ZERO && item.index <= Decimal::ONE);
                for norm in [item.poverty_norm, item.families_norm, item.interventions_norm] {
                    prop_assert!(norm >= Decimal::ZERO && norm <= Decimal::ONE);
                }
            }
            for pair in ranked.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                // Art. 6: no municipality without families above one with families.
                prop_assert!(a.candidate.families > 0 || b.candidate.families == 0);
                if (a.candidate.families > 0) != (b.candidate.families > 0) {
                    continue;
                }
                prop_assert!(a.index >= b.index);
                if a.index == b.index {
                    prop_assert!(a.candidate.ipm >= b.candidate.ipm);
                    if a.candidate.ipm == b.candidate.ipm {
                        prop_assert!(a.candidate.dane_code < b.candidate.dane_code);
                    }
                }
            }
        }
    }
}
