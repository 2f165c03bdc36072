//! Screening one household against a rule set, and explaining the decision.
//!
//! The facts come from the household file ([`Household`]) and from cross-checks that need the
//! whole batch ([`CrossChecks`]: registry hits and duplicate documents). The figures come from
//! the [`RuleSet`]; nothing regulation-specific lives here.

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::household::{
    ArelPopulationGroup, DocumentType, EthnicGroup, LandTenure, ProductiveActivity, Sex, SisbenArea,
};
use crate::message::{Arg, Message};
use crate::program::ProgramLine;
use crate::rules::{
    Bound, ChoiceField, Condition, DateField, FlagField, LineRules, RuleSet, SisbenCutoffs, TierTable,
};
use crate::territory::{CallTerritory, DaneCode};

/// The facts of a household that rules may test (the head of household's data). Stored with
/// each screening result, so a `false` or absent fact is left out of its JSON and read back
/// as such: a million results are written without a million copies of the same defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Household {
    pub document_type: DocumentType,
    pub sex: Sex,
    pub birth_date: Date,
    #[serde(default, skip_serializing_if = "is_false")]
    pub head_of_household: bool,
    pub sisben_area: SisbenArea,
    /// `None`: not registered in Sisbén.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sisben_score: Option<Decimal>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub displaced: bool,
    pub ethnic_group: EthnicGroup,
    #[serde(default, skip_serializing_if = "is_false")]
    pub ethnic_community_registered: bool,
    pub land_tenure: LandTenure,
    #[serde(default, skip_serializing_if = "is_false")]
    pub land_restrictions: bool,
    pub productive_activity: ProductiveActivity,
    #[serde(default, skip_serializing_if = "is_false")]
    pub environmental_restriction: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub illicit_activity: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub inaccurate_information: bool,
    pub program_line: ProgramLine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_contract_end: Option<Date>,
    /// The AREL population group (Art. 38); `none` outside the AREL line.
    #[serde(default)]
    pub arel_population_group: ArelPopulationGroup,
    /// Whether the group is backed by its documento idóneo (Art. 38 par. 2).
    #[serde(default, skip_serializing_if = "is_false")]
    pub arel_group_document: bool,
    /// Group 4 (Art. 38 par. 4): the year of the public call the head benefited from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arel_call_year: Option<i16>,
    /// Group 4 (Art. 38 par. 4): the project's score in that call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arel_call_score: Option<Decimal>,
}

/// For `skip_serializing_if`: a flag left out when false.
pub fn is_false(value: &bool) -> bool {
    !*value
}

/// Facts that need the whole batch: which registries hold the head's document, and whether
/// another household has the same head.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CrossChecks {
    /// Bit `i` set: found in the rule set's registry `i`.
    pub registries: u32,
    pub duplicate_document: bool,
    /// The household's municipality lies outside the call's territory
    /// ([`crate::territory::CallTerritory`], Art. 5).
    #[serde(default)]
    pub outside_territory: bool,
}

impl CrossChecks {
    pub fn found_in(&self, registry: usize) -> bool {
        self.registries & (1 << registry) != 0
    }
}

/// Limits a call's technical document sets on a line whose rules allow it (Art. 43).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallLimits {
    pub max_percent: Option<Decimal>,
    pub cap_smmlv: Option<Decimal>,
}

/// The decision on one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// Index into [`RuleSet::lines`].
    pub line: u8,
    /// Bit `i` set: rule `i` of the line fired.
    pub fired: u64,
    pub sisben_level: Option<u8>,
    /// Index of the winning co-financing tier.
    pub cofinancing_tier: Option<u8>,
    /// Index of the winning cap tier.
    pub cap_tier: Option<u8>,
}

impl Outcome {
    pub fn is_eligible(&self) -> bool {
        self.fired == 0
    }
}

/// A household whose program line has no rules in the rule set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule set {rule_set} has no rules for the {line} line")]
pub struct LineNotCovered {
    pub rule_set: String,
    pub line: ProgramLine,
}

impl LineNotCovered {
    pub fn message(&self) -> Message {
        Message::new("eligibility-line_not_covered")
            .with("rule_set", &self.rule_set)
            .with_term(
                "line",
                ChoiceField::ProgramLine.value_message_id(self.line.as_str()),
            )
    }
}

/// A rule set bound to a screening date and the call's limits, ready to decide.
#[derive(Debug, Clone)]
pub struct Screener<'r> {
    rules: &'r RuleSet,
    as_of: Date,
    /// Per line: the values of its tiers after the call's limits, as written in results.
    cofinancing_values: Vec<Vec<Decimal>>,
    cap_values: Vec<Vec<Decimal>>,
    /// Per line: the rules that are exactly `duplicate_document = true`, or `None` when a
    /// duplicate also matters inside other conditions.
    duplicate_only_rules: Vec<Option<u64>>,
    derives_every_duplicate: bool,
    /// The screening date moved by every number of years the rules use, worked out once
    /// rather than for every household (calendar arithmetic with spans is not free).
    dates_after_as_of: Vec<(i16, Date)>,
    /// Per line: its rules and tiers compiled to bit tests.
    compiled: Vec<CompiledLine>,
    layout: FactLayout,
    /// The Sisbén cut-offs as whole numbers, when they have few enough decimals.
    whole_cutoffs: Option<WholeCutoffs>,
    /// The call's territory (Art. 5); unlimited unless [`Screener::within`] sets one.
    territory: CallTerritory,
}

impl<'r> Screener<'r> {
    pub fn new(rules: &'r RuleSet, as_of: Date, limits: CallLimits) -> Self {
        let limited = |table: &TierTable, line: &LineRules, limit: Option<Decimal>| -> Vec<Decimal> {
            table
                .tiers
                .iter()
                .map(|t| match limit.filter(|_| line.call_may_lower) {
                    Some(limit) => t.value.min(limit),
                    None => t.value,
                })
                .collect()
        };
        let layout = FactLayout::new();
        let duplicate_only_rules: Vec<Option<u64>> = rules.lines.iter().map(duplicate_only_rules).collect();
        Self {
            rules,
            as_of,
            cofinancing_values: rules
                .lines
                .iter()
                .map(|l| limited(&l.cofinancing, l, limits.max_percent))
                .collect(),
            cap_values: rules
                .lines
                .iter()
                .map(|l| limited(&l.cap, l, limits.cap_smmlv))
                .collect(),
            derives_every_duplicate: duplicate_only_rules.iter().all(Option::is_some),
            duplicate_only_rules,
            dates_after_as_of: dates_after(rules, as_of),
            compiled: rules
                .lines
                .iter()
                .map(|line| CompiledLine::new(line, &layout))
                .collect(),
            layout,
            whole_cutoffs: WholeCutoffs::new(&rules.sisben),
            territory: CallTerritory::default(),
        }
    }

    /// The screener for a call whose territory is `territory`: a household of a municipality
    /// outside it is [`CrossChecks::outside_territory`].
    pub fn within(self, territory: CallTerritory) -> Self {
        Self { territory, ..self }
    }

    /// Whether a household of `municipality` lies outside the call's territory.
    pub fn outside_territory(&self, municipality: DaneCode) -> bool {
        !self.territory.contains(municipality)
    }

    /// The screening date plus some years; far-off dates saturate rather than fail.
    fn years_after_as_of(&self, years: i16) -> Date {
        match self.dates_after_as_of.iter().find(|(y, _)| *y == years) {
            Some((_, date)) => *date,
            None => self.as_of.saturating_add(years.years()),
        }
    }

    /// The outcome a household would have if its document headed another row too, derived
    /// without screening again where the rule set allows; `None` when it must be screened.
    pub fn as_duplicate(&self, outcome: &Outcome) -> Option<Outcome> {
        let mask = self.duplicate_only_rules[outcome.line as usize]?;
        let fired = outcome.fired | mask;
        let eligible = fired == 0;
        Some(Outcome {
            fired,
            cofinancing_tier: outcome.cofinancing_tier.filter(|_| eligible),
            cap_tier: outcome.cap_tier.filter(|_| eligible),
            ..*outcome
        })
    }

    /// Whether [`Self::as_duplicate`] derives the outcome on every line.
    pub fn derives_every_duplicate(&self) -> bool {
        self.derives_every_duplicate
    }

    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    pub fn as_of(&self) -> Date {
        self.as_of
    }

    pub fn screen(&self, household: &Household, checks: &CrossChecks) -> Result<Outcome, LineNotCovered> {
        let (index, _) = self.line_of(household)?;
        let facts = Facts::new(self, household, checks);
        let compiled = &self.compiled[index];
        let truths = compiled.truths(self.layout.word(&facts), &facts);
        let fired = compiled.fired(truths, &facts);
        let (cofinancing_tier, cap_tier) = if fired == 0 {
            (
                highest_tier(
                    &self.cofinancing_values[index],
                    &compiled.cofinancing,
                    truths,
                    &facts,
                ),
                highest_tier(&self.cap_values[index], &compiled.cap, truths, &facts),
            )
        } else {
            (None, None)
        };
        Ok(Outcome {
            line: index as u8,
            fired,
            sisben_level: facts.sisben_level,
            cofinancing_tier,
            cap_tier,
        })
    }

    fn line_of(&self, household: &Household) -> Result<(usize, &'r LineRules), LineNotCovered> {
        self.rules
            .lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.line == household.program_line)
            .ok_or_else(|| LineNotCovered {
                rule_set: self.rules.id.clone(),
                line: household.program_line,
            })
    }

    /// The codes that fired, in byte order.
    pub fn reasons(&self, outcome: &Outcome) -> impl Iterator<Item = &'r str> + use<'r> {
        let line = &self.rules.lines[outcome.line as usize];
        let fired = outcome.fired;
        line.rules_in_code_order
            .iter()
            .filter(move |i| fired & (1 << **i) != 0)
            .map(move |i| line.rules[*i].code.as_str())
    }

    /// The co-financing percentage of each tier of line `line`, after the call's limits.
    pub fn cofinancing_values(&self, line: usize) -> &[Decimal] {
        &self.cofinancing_values[line]
    }

    /// The cap of each tier of line `line`, in SMMLV, after the call's limits.
    pub fn cap_values(&self, line: usize) -> &[Decimal] {
        &self.cap_values[line]
    }

    pub fn cofinancing_percent(&self, outcome: &Outcome) -> Option<Decimal> {
        outcome
            .cofinancing_tier
            .map(|t| self.cofinancing_values[outcome.line as usize][t as usize])
    }

    pub fn cap_smmlv(&self, outcome: &Outcome) -> Option<Decimal> {
        outcome
            .cap_tier
            .map(|t| self.cap_values[outcome.line as usize][t as usize])
    }

    /// Every rule checked for a household, with what was seen and why it passed or fired.
    pub fn explain(
        &self,
        household: &Household,
        checks: &CrossChecks,
    ) -> Result<Explanation, LineNotCovered> {
        let outcome = self.screen(household, checks)?;
        let line = &self.rules.lines[outcome.line as usize];
        let facts = Facts::new(self, household, checks);
        let rules = line
            .rules
            .iter()
            .map(|rule| RuleCheck {
                code: rule.code.clone(),
                article: rule.article.clone(),
                description: rule.description.clone(),
                description_en: rule.description_en.clone(),
                seen: facts.describe_seen(&rule.fires_when),
                fires_when: facts.describe_condition(&rule.fires_when),
                fired: facts.holds(&rule.fires_when),
            })
            .collect();
        let tiers = |table: &TierTable, values: &[Decimal], winner: Option<u8>| TierChecks {
            article: table.article.clone(),
            tiers: table
                .tiers
                .iter()
                .zip(values)
                .enumerate()
                .map(|(index, (tier, value))| TierCheck {
                    label: tier.label.clone(),
                    label_en: tier.label_en.clone(),
                    value: *value,
                    applies: tier.when.as_ref().is_none_or(|c| facts.holds(c)),
                    when: tier.when.as_ref().map(|c| facts.describe_condition(c)),
                    chosen: winner == Some(index as u8),
                })
                .collect(),
        };
        Ok(Explanation {
            rule_set: self.rules.id.clone(),
            rule_set_hash: self.rules.content_hash.clone(),
            as_of: self.as_of,
            line: line.line,
            line_title: line.title.clone(),
            sisben: facts.describe_sisben(),
            eligible: outcome.is_eligible(),
            reasons: self.reasons(&outcome).map(str::to_owned).collect(),
            rules,
            cofinancing: tiers(
                &line.cofinancing,
                &self.cofinancing_values[outcome.line as usize],
                outcome.cofinancing_tier,
            ),
            cofinancing_percent: self.cofinancing_percent(&outcome),
            cap: tiers(
                &line.cap,
                &self.cap_values[outcome.line as usize],
                outcome.cap_tier,
            ),
            cap_smmlv: self.cap_smmlv(&outcome),
        })
    }
}

fn duplicate_only_rules(line: &LineRules) -> Option<u64> {
    let mut mask = 0u64;
    let mut elsewhere = false;
    let mut mentions = |condition: &Condition| {
        let mut found = false;
        condition.visit(&mut |c| found |= matches!(c, Condition::DuplicateDocument(_)));
        found
    };
    for (index, rule) in line.rules.iter().enumerate() {
        if rule.fires_when == Condition::DuplicateDocument(true) {
            mask |= 1 << index;
        } else {
            elsewhere |= mentions(&rule.fires_when);
        }
    }
    for tier in line.cofinancing.tiers.iter().chain(&line.cap.tiers) {
        elsewhere |= tier.when.as_ref().is_some_and(&mut mentions);
    }
    (!elsewhere).then_some(mask)
}

/// The screening date moved by each number of years that the rule set's conditions use.
fn dates_after(rules: &RuleSet, as_of: Date) -> Vec<(i16, Date)> {
    let mut years = Vec::new();
    let mut collect = |condition: &Condition| match condition {
        Condition::EndsWithinYears { years: y, .. } => years.push(*y),
        Condition::AgeBelow(y) => years.push(-*y),
        _ => {}
    };
    for line in &rules.lines {
        for rule in &line.rules {
            rule.fires_when.visit(&mut collect);
        }
        for tier in line.cofinancing.tiers.iter().chain(&line.cap.tiers) {
            if let Some(when) = &tier.when {
                when.visit(&mut collect);
            }
        }
    }
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .map(|y| (y, as_of.saturating_add(y.years())))
        .collect()
}

fn highest_tier(values: &[Decimal], tiers: &[Formula], truths: u64, facts: &Facts<'_>) -> Option<u8> {
    let mut best: Option<usize> = None;
    for (index, tier) in tiers.iter().enumerate() {
        if tier.holds(truths, facts) && best.is_none_or(|b| values[index] > values[b]) {
            best = Some(index);
        }
    }
    best.map(|b| b as u8)
}

/// Where each fact of a household sits in its fact word: one bit per yes/no field that is
/// true, one per value of each choice field (the household's own value set), one per
/// registry that holds the document, one for a repeated head, one for a score within the
/// Sisbén cut-offs, one per Sisbén level and one for a municipality outside the call.
#[derive(Debug, Clone)]
struct FactLayout {
    choice_at: [u32; ChoiceField::ALL.len()],
    registry_at: u32,
    duplicate_at: u32,
    within_cutoffs_at: u32,
    level_at: u32,
    outside_territory_at: u32,
}

impl FactLayout {
    /// Sisbén levels 0 to 15 have a bit; a rule set with higher ones tests them directly.
    const LEVELS: u32 = 16;

    fn new() -> Self {
        let mut next = FlagField::ALL.len() as u32;
        let mut choice_at = [0; ChoiceField::ALL.len()];
        for field in ChoiceField::ALL {
            choice_at[field.index()] = next;
            next += field.value_count() as u32;
        }
        let registry_at = next;
        let duplicate_at = registry_at + 32;
        Self {
            choice_at,
            registry_at,
            duplicate_at,
            within_cutoffs_at: duplicate_at + 1,
            level_at: duplicate_at + 2,
            outside_territory_at: duplicate_at + 2 + Self::LEVELS,
        }
    }

    fn word(&self, facts: &Facts<'_>) -> u128 {
        let flags = (FlagField::ALL.iter().enumerate()).fold(0, |word, (bit, field)| {
            word | u128::from(facts.flag(*field)) << bit
        });
        let choices = ChoiceField::ALL.iter().fold(0, |word, field| {
            word | 1 << (self.choice_at[field.index()] + facts.choice(*field).0 as u32)
        });
        let level = match facts.sisben_level {
            Some(level) if u32::from(level) < Self::LEVELS => {
                1 << self.within_cutoffs_at | 1 << (self.level_at + u32::from(level))
            }
            Some(_) => 1 << self.within_cutoffs_at,
            None => 0,
        };
        flags
            | choices
            | u128::from(facts.checks.registries) << self.registry_at
            | u128::from(facts.checks.duplicate_document) << self.duplicate_at
            | u128::from(facts.checks.outside_territory) << self.outside_territory_at
            | level
    }

    /// The condition as a test of the fact word, when it is a test of a single fact.
    fn test(&self, condition: &Condition) -> Option<FactTest> {
        let bit = |at: u32| 1u128 << at;
        let (mask, holds_when_set) = match condition {
            Condition::Flag { field, is } => (bit(field.index() as u32), *is),
            Condition::Choice {
                field, mask, negated, ..
            } => (u128::from(*mask) << self.choice_at[field.index()], !negated),
            Condition::Registry {
                registry,
                contains_document,
            } if *registry < 32 => (bit(self.registry_at + *registry as u32), *contains_document),
            Condition::DuplicateDocument(duplicate) => (bit(self.duplicate_at), *duplicate),
            Condition::OutsideCallTerritory(outside) => (bit(self.outside_territory_at), *outside),
            Condition::SisbenWithinCutoffs(within) => (bit(self.within_cutoffs_at), *within),
            Condition::SisbenLevel(level) if u32::from(*level) < Self::LEVELS => {
                (bit(self.level_at + u32::from(*level)), true)
            }
            _ => return None,
        };
        Some(FactTest { mask, holds_when_set })
    }
}

/// A condition on a single fact: it holds when some bit of `mask` is set in the fact word,
/// or, if `holds_when_set` is false, when none is.
#[derive(Debug, Clone, Copy)]
struct FactTest {
    mask: u128,
    holds_when_set: bool,
}

/// A line's rules and tiers compiled for screening many households. Each distinct condition
/// on a single fact (an atom) takes one bit of `truths`: most are a test of the household's
/// fact word, and the few on dates are checked as written. A rule is then a test of those
/// bits instead of a walk through its condition tree.
#[derive(Debug, Clone)]
struct CompiledLine {
    /// The atoms that test the fact word, with their bit in `truths`.
    tests: Vec<(u32, FactTest)>,
    /// The other atoms, with their bit in `truths`.
    checked: Vec<(u32, Condition)>,
    /// The rules that test some or all of a set of atoms (nearly all of them): the rule's
    /// bit, the atoms, and whether all must hold.
    flat_rules: Vec<(u32, u64, bool)>,
    /// The other rules, with their bit.
    nested_rules: Vec<(u32, Formula)>,
    cofinancing: Vec<Formula>,
    cap: Vec<Formula>,
}

#[derive(Debug, Clone)]
enum Formula {
    /// Some atom of the mask holds (none, for an empty mask).
    AnyOf(u64),
    /// Every atom of the mask holds (true, for an empty mask).
    AllOf(u64),
    Any(Vec<Formula>),
    All(Vec<Formula>),
    /// An atom past the 64th, checked as written.
    Atom(Condition),
}

impl CompiledLine {
    fn new(line: &LineRules, layout: &FactLayout) -> Self {
        let mut atoms = Vec::new();
        let mut flat_rules = Vec::new();
        let mut nested_rules = Vec::new();
        for (bit, rule) in line.rules.iter().enumerate() {
            match Formula::compile(&rule.fires_when, &mut atoms) {
                Formula::AnyOf(mask) => flat_rules.push((bit as u32, mask, false)),
                Formula::AllOf(mask) => flat_rules.push((bit as u32, mask, true)),
                nested => nested_rules.push((bit as u32, nested)),
            }
        }
        let mut tiers = |table: &TierTable| -> Vec<Formula> {
            table
                .tiers
                .iter()
                .map(|t| match &t.when {
                    Some(when) => Formula::compile(when, &mut atoms),
                    None => Formula::AllOf(0),
                })
                .collect()
        };
        let cofinancing = tiers(&line.cofinancing);
        let cap = tiers(&line.cap);
        let mut tests = Vec::new();
        let mut checked = Vec::new();
        for (bit, atom) in atoms.into_iter().take(64).enumerate() {
            match layout.test(&atom) {
                Some(test) => tests.push((bit as u32, test)),
                None => checked.push((bit as u32, atom)),
            }
        }
        Self {
            tests,
            checked,
            flat_rules,
            nested_rules,
            cofinancing,
            cap,
        }
    }

    /// Bit `i` set when rule `i` fires.
    fn fired(&self, truths: u64, facts: &Facts<'_>) -> u64 {
        let flat = self.flat_rules.iter().fold(0, |fired, &(bit, mask, all)| {
            let held = truths & mask;
            fired | u64::from(if all { held == mask } else { held != 0 }) << bit
        });
        (self.nested_rules.iter()).fold(flat, |fired, (bit, rule)| {
            fired | u64::from(rule.holds(truths, facts)) << bit
        })
    }

    fn truths(&self, word: u128, facts: &Facts<'_>) -> u64 {
        let tested = self.tests.iter().fold(0, |truths, (bit, test)| {
            truths | u64::from((word & test.mask != 0) == test.holds_when_set) << bit
        });
        (self.checked.iter()).fold(tested, |truths, (bit, atom)| {
            truths | u64::from(facts.holds(atom)) << bit
        })
    }
}

impl Formula {
    fn compile(condition: &Condition, atoms: &mut Vec<Condition>) -> Self {
        match condition {
            Condition::Any(children) | Condition::All(children) => {
                let any = matches!(condition, Condition::Any(_));
                let compiled: Vec<Self> = children.iter().map(|c| Self::compile(c, atoms)).collect();
                let bits: Option<u64> = compiled.iter().try_fold(0, |mask, child| match child {
                    Self::AllOf(bit) if bit.count_ones() == 1 => Some(mask | bit),
                    _ => None,
                });
                match (bits, any) {
                    (Some(mask), true) => Self::AnyOf(mask),
                    (Some(mask), false) => Self::AllOf(mask),
                    (None, true) => Self::Any(compiled),
                    (None, false) => Self::All(compiled),
                }
            }
            atom => {
                let bit = atoms.iter().position(|a| a == atom).unwrap_or_else(|| {
                    atoms.push(atom.clone());
                    atoms.len() - 1
                });
                if bit < 64 {
                    Self::AllOf(1 << bit)
                } else {
                    Self::Atom(atom.clone())
                }
            }
        }
    }

    #[inline]
    fn holds(&self, truths: u64, facts: &Facts<'_>) -> bool {
        match self {
            Self::AnyOf(mask) => truths & mask != 0,
            Self::AllOf(mask) => truths & mask == *mask,
            nested => nested.holds_nested(truths, facts),
        }
    }

    #[inline(never)]
    fn holds_nested(&self, truths: u64, facts: &Facts<'_>) -> bool {
        match self {
            Self::Any(children) => children.iter().any(|c| c.holds(truths, facts)),
            Self::All(children) => children.iter().all(|c| c.holds(truths, facts)),
            Self::Atom(atom) => facts.holds(atom),
            Self::AnyOf(_) | Self::AllOf(_) => self.holds(truths, facts),
        }
    }
}

/// The Sisbén cut-offs in millionths of a point, so that a household's level takes integer
/// comparisons rather than decimal ones.
#[derive(Debug, Clone)]
struct WholeCutoffs {
    /// Indexed like [`SisbenArea::ALL`]: each level's interval in that area, in table order.
    by_area: [Vec<(u8, i64, i64)>; SisbenArea::ALL.len()],
    lower_inclusive: bool,
    upper_inclusive: bool,
}

impl WholeCutoffs {
    const SCALE: u32 = 6;

    /// `None` when a cut-off has more decimals than [`Self::SCALE`].
    fn new(cutoffs: &SisbenCutoffs) -> Option<Self> {
        let mut by_area: [Vec<(u8, i64, i64)>; SisbenArea::ALL.len()] = Default::default();
        for (area_index, area) in SisbenArea::ALL.iter().enumerate() {
            if cutoffs.not_applicable_areas.contains(area) {
                continue;
            }
            for level in &cutoffs.levels {
                if let Some(interval) = level.by_area[area_index] {
                    by_area[area_index].push((
                        level.level,
                        Self::whole(interval.above)?,
                        Self::whole(interval.up_to)?,
                    ));
                }
            }
        }
        Some(Self {
            by_area,
            lower_inclusive: cutoffs.lower_bound == Bound::Inclusive,
            upper_inclusive: cutoffs.upper_bound == Bound::Inclusive,
        })
    }

    /// `value` in millionths, if it has at most six decimals and fits.
    fn whole(value: Decimal) -> Option<i64> {
        const POWERS_OF_TEN: [i64; WholeCutoffs::SCALE as usize + 1] =
            [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
        let to_millionths = POWERS_OF_TEN.get((Self::SCALE.checked_sub(value.scale()))? as usize)?;
        i64::try_from(value.mantissa()).ok()?.checked_mul(*to_millionths)
    }

    /// The level of a score in an area; `None` when the score has too many decimals to tell.
    fn level(&self, area: SisbenArea, score: Decimal) -> Option<Option<u8>> {
        let score = Self::whole(score)?;
        Some(
            self.by_area[area.index()]
                .iter()
                .find_map(|&(level, above, up_to)| {
                    let above = if self.lower_inclusive {
                        score >= above
                    } else {
                        score > above
                    };
                    let below = if self.upper_inclusive {
                        score <= up_to
                    } else {
                        score < up_to
                    };
                    (above && below).then_some(level)
                }),
        )
    }
}

/// A household's facts and cross-checks, with its Sisbén level worked out once.
struct Facts<'a> {
    screener: &'a Screener<'a>,
    household: &'a Household,
    checks: &'a CrossChecks,
    sisben_level: Option<u8>,
}

impl<'a> Facts<'a> {
    fn new(screener: &'a Screener<'a>, household: &'a Household, checks: &'a CrossChecks) -> Self {
        let sisben = &screener.rules.sisben;
        let sisben_level = match (&screener.whole_cutoffs, household.sisben_score) {
            (Some(whole), Some(score)) => whole
                .level(household.sisben_area, score)
                .unwrap_or_else(|| sisben.level(household.sisben_area, Some(score))),
            _ => sisben.level(household.sisben_area, household.sisben_score),
        };
        Self {
            screener,
            household,
            checks,
            sisben_level,
        }
    }

    fn flag(&self, field: FlagField) -> bool {
        let h = self.household;
        match field {
            FlagField::HeadOfHousehold => h.head_of_household,
            FlagField::Displaced => h.displaced,
            FlagField::EthnicCommunityRegistered => h.ethnic_community_registered,
            FlagField::LandRestrictions => h.land_restrictions,
            FlagField::EnvironmentalRestriction => h.environmental_restriction,
            FlagField::IllicitActivity => h.illicit_activity,
            FlagField::InaccurateInformation => h.inaccurate_information,
            FlagField::ArelGroupDocument => h.arel_group_document,
        }
    }

    /// The household's value of a choice field: its place among the field's values (the
    /// bit it takes in a condition's mask) and its name.
    fn choice(&self, field: ChoiceField) -> (usize, &'static str) {
        let h = self.household;
        match field {
            ChoiceField::DocumentType => (h.document_type.index(), h.document_type.as_str()),
            ChoiceField::Sex => (h.sex.index(), h.sex.as_str()),
            ChoiceField::SisbenArea => (h.sisben_area.index(), h.sisben_area.as_str()),
            ChoiceField::EthnicGroup => (h.ethnic_group.index(), h.ethnic_group.as_str()),
            ChoiceField::LandTenure => (h.land_tenure.index(), h.land_tenure.as_str()),
            ChoiceField::ProductiveActivity => {
                (h.productive_activity.index(), h.productive_activity.as_str())
            }
            ChoiceField::ProgramLine => (h.program_line.index(), h.program_line.as_str()),
            ChoiceField::ArelPopulationGroup => {
                (h.arel_population_group.index(), h.arel_population_group.as_str())
            }
        }
    }

    fn date(&self, field: DateField) -> Option<Date> {
        match field {
            DateField::LandContractEnd => self.household.land_contract_end,
        }
    }

    fn years_after_as_of(&self, years: i16) -> Date {
        self.screener.years_after_as_of(years)
    }

    fn holds(&self, condition: &Condition) -> bool {
        match condition {
            Condition::Any(children) => children.iter().any(|c| self.holds(c)),
            Condition::All(children) => children.iter().all(|c| self.holds(c)),
            Condition::Flag { field, is } => self.flag(*field) == *is,
            Condition::Choice {
                field, mask, negated, ..
            } => ((1u32 << self.choice(*field).0) & mask != 0) != *negated,
            Condition::EndsWithinYears { field, years } => self
                .date(*field)
                .is_none_or(|end| end < self.years_after_as_of(*years)),
            Condition::Registry {
                registry,
                contains_document,
            } => self.checks.found_in(*registry) == *contains_document,
            Condition::SisbenWithinCutoffs(within) => self.sisben_level.is_some() == *within,
            Condition::SisbenLevel(level) => self.sisben_level == Some(*level),
            Condition::DuplicateDocument(duplicate) => self.checks.duplicate_document == *duplicate,
            Condition::OutsideCallTerritory(outside) => self.checks.outside_territory == *outside,
            Condition::AgeBelow(years) => self.household.birth_date > self.years_after_as_of(-*years),
        }
    }

    /// The household's Sisbén facts: area, score and the level they give.
    fn describe_sisben(&self) -> Message {
        let h = self.household;
        let score = match h.sisben_score {
            Some(score) => Arg::Amount(score.normalize()),
            None => Arg::Term("eligibility-sisben_no_score".to_owned()),
        };
        let level = match self.sisben_level {
            Some(level) => Arg::List(vec![
                Message::new("eligibility-sisben_level").with("level", level),
            ]),
            None => Arg::Term("eligibility-sisben_no_level".to_owned()),
        };
        Message::new("eligibility-sisben_seen")
            .with_term(
                "area",
                ChoiceField::SisbenArea.value_message_id(h.sisben_area.as_str()),
            )
            .with("score", score)
            .with("level", level)
    }

    /// The values a condition looks at, as they are for this household, each once.
    fn describe_seen(&self, condition: &Condition) -> Vec<Message> {
        let mut parts: Vec<Message> = Vec::new();
        self.collect_seen(condition, &mut parts);
        let mut unique: Vec<Message> = Vec::with_capacity(parts.len());
        for part in parts {
            if !unique.contains(&part) {
                unique.push(part);
            }
        }
        unique
    }

    fn collect_seen(&self, condition: &Condition, parts: &mut Vec<Message>) {
        let seen = |field: String, value: Arg| {
            Message::new("eligibility-seen")
                .with_term("field", field)
                .with("value", value)
        };
        match condition {
            Condition::Any(children) | Condition::All(children) => {
                for child in children {
                    self.collect_seen(child, parts);
                }
            }
            Condition::Flag { field, .. } => parts.push(seen(field.message_id(), yes_no(self.flag(*field)))),
            Condition::Choice { field, .. } => parts.push(seen(
                field.message_id(),
                Arg::Term(field.value_message_id(self.choice(*field).1)),
            )),
            Condition::EndsWithinYears { field, .. } => parts.push(seen(
                field.message_id(),
                match self.date(*field) {
                    Some(date) => Arg::Date(date),
                    None => Arg::Term("eligibility-empty".to_owned()),
                },
            )),
            Condition::Registry { registry, .. } => {
                let code = if self.checks.found_in(*registry) {
                    "eligibility-seen_found_in"
                } else {
                    "eligibility-seen_not_found_in"
                };
                parts.push(Message::new(code).with("registry", self.registry_title(*registry)));
            }
            Condition::SisbenWithinCutoffs(_) | Condition::SisbenLevel(_) => {
                parts.push(self.describe_sisben())
            }
            Condition::DuplicateDocument(_) => parts.push(Message::new(if self.checks.duplicate_document {
                "eligibility-seen_duplicate"
            } else {
                "eligibility-no_duplicate"
            })),
            Condition::OutsideCallTerritory(_) => {
                parts.push(Message::new(if self.checks.outside_territory {
                    "eligibility-seen_outside_territory"
                } else {
                    "eligibility-seen_inside_territory"
                }))
            }
            Condition::AgeBelow(_) => parts.push(seen(
                "eligibility-field-birth_date".to_owned(),
                Arg::Date(self.household.birth_date),
            )),
        }
    }

    /// The name a registry has in the rule set (its title, else its short name).
    fn registry_title(&self, registry: usize) -> String {
        let definition = &self.screener.rules.registries[registry];
        if definition.title.trim().is_empty() {
            definition.name.clone()
        } else {
            definition.title.clone()
        }
    }

    /// The condition with its thresholds, as a message.
    fn describe_condition(&self, condition: &Condition) -> Message {
        match condition {
            Condition::Any(children) => self.join(children, "eligibility-either"),
            Condition::All(children) => self.join(children, "eligibility-both"),
            Condition::Flag { field, is } => Message::new("eligibility-seen")
                .with_term("field", field.message_id())
                .with("value", yes_no(*is)),
            Condition::Choice {
                field, mask, negated, ..
            } => {
                let values: Vec<String> = (field.value_names().into_iter().enumerate())
                    .filter(|(index, _)| mask & (1u32 << index) != 0)
                    .map(|(_, value)| field.value_message_id(value))
                    .collect();
                let code = match (*negated, values.len()) {
                    (false, 1) => "eligibility-choice_is",
                    (false, _) => "eligibility-choice_one_of",
                    (true, 1) => "eligibility-choice_is_not",
                    (true, _) => "eligibility-choice_none_of",
                };
                Message::new(code)
                    .with_term("field", field.message_id())
                    .with("values", Arg::Terms(values))
            }
            Condition::EndsWithinYears { field, years } => Message::new("eligibility-ends_within")
                .with_term("field", field.message_id())
                .with("date", self.years_after_as_of(*years))
                .with("years", *years)
                .with("as_of", self.screener.as_of),
            Condition::Registry {
                registry,
                contains_document,
            } => Message::new(if *contains_document {
                "eligibility-in_registry"
            } else {
                "eligibility-not_in_registry"
            })
            .with("registry", self.registry_title(*registry)),
            Condition::SisbenWithinCutoffs(within) => {
                let cutoffs = &self.screener.rules.sisben;
                let area = self.household.sisben_area;
                let area_index = SisbenArea::ALL.iter().position(|a| *a == area).unwrap_or(0);
                let intervals: Vec<Message> = cutoffs
                    .levels
                    .iter()
                    .filter_map(|l| {
                        l.by_area[area_index].map(|i| {
                            Message::new("eligibility-sisben_interval")
                                .with("level", l.level)
                                .with("interval", cutoffs.describe(i))
                        })
                    })
                    .collect();
                let area_term = ChoiceField::SisbenArea.value_message_id(area.as_str());
                let applicable = if cutoffs.not_applicable_areas.contains(&area) || intervals.is_empty() {
                    Message::new("eligibility-sisben_area_not_applicable").with_term("area", area_term)
                } else {
                    Message::new("eligibility-sisben_area_levels")
                        .with_term("area", area_term)
                        .with("levels", Arg::List(intervals))
                };
                Message::new(if *within {
                    "eligibility-sisben_within"
                } else {
                    "eligibility-sisben_outside"
                })
                .with("cutoffs", Arg::List(vec![applicable]))
                .with("article", cutoffs.article.as_str())
            }
            Condition::SisbenLevel(level) => Message::new("eligibility-sisben_level").with("level", *level),
            Condition::DuplicateDocument(true) => Message::new("eligibility-duplicate"),
            Condition::DuplicateDocument(false) => Message::new("eligibility-no_duplicate"),
            Condition::OutsideCallTerritory(true) => Message::new("eligibility-outside_territory"),
            Condition::OutsideCallTerritory(false) => Message::new("eligibility-inside_territory"),
            Condition::AgeBelow(years) => Message::new("eligibility-age_below")
                .with("date", self.years_after_as_of(-*years))
                .with("years", *years)
                .with("as_of", self.screener.as_of),
        }
    }

    /// Conditions joined by "or" or "and", in parentheses when there are several.
    fn join(&self, children: &[Condition], code: &'static str) -> Message {
        let mut parts = children.iter().rev().map(|c| self.describe_condition(c));
        let Some(last) = parts.next() else {
            return Message::new("eligibility-group").with("inner", Arg::List(Vec::new()));
        };
        let joined = parts.fold(last, |right, left| {
            Message::new(code)
                .with("left", Arg::List(vec![left]))
                .with("right", Arg::List(vec![right]))
        });
        Message::new("eligibility-group").with("inner", Arg::List(vec![joined]))
    }
}

/// Yes or no, in words.
fn yes_no(value: bool) -> Arg {
    Arg::Term(if value { "common-yes" } else { "common-no" }.to_owned())
}

/// Why a household is or is not eligible, rule by rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub rule_set: String,
    pub rule_set_hash: String,
    pub as_of: Date,
    pub line: ProgramLine,
    pub line_title: String,
    /// The household's Sisbén area, score and level.
    pub sisben: Message,
    pub eligible: bool,
    pub reasons: Vec<String>,
    pub rules: Vec<RuleCheck>,
    pub cofinancing: TierChecks,
    pub cofinancing_percent: Option<Decimal>,
    pub cap: TierChecks,
    pub cap_smmlv: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleCheck {
    pub code: String,
    pub article: String,
    pub description: String,
    pub description_en: Option<String>,
    /// The household's values the rule looked at.
    pub seen: Vec<Message>,
    /// The condition, with its thresholds.
    pub fires_when: Message,
    pub fired: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TierChecks {
    pub article: String,
    pub tiers: Vec<TierCheck>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TierCheck {
    pub label: String,
    pub label_en: Option<String>,
    pub value: Decimal,
    pub when: Option<Message>,
    pub applies: bool,
    pub chosen: bool,
}

/// Art. 38 par. 4: the households of group 4 (the calls of 2008 to 2011) are attended "respetando
/// el orden cronológico de cada vigencia y el orden del puntaje": by the year of their call,
/// oldest first, then by their project's score in it, highest first; ties keep the input order.
/// Returns the indices of the group-4 households of the AREL line, in that order.
pub fn arel_group_4_order(households: &[Household]) -> Vec<usize> {
    let mut order: Vec<usize> = (households.iter().enumerate())
        .filter(|(_, h)| {
            h.program_line == ProgramLine::Arel
                && h.arel_population_group == ArelPopulationGroup::Calls2008To2011
        })
        .map(|(i, _)| i)
        .collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&households[a], &households[b]);
        // A missing year or score goes last: the reader refuses a group-4 row without its year.
        (a.arel_call_year.unwrap_or(i16::MAX))
            .cmp(&b.arel_call_year.unwrap_or(i16::MAX))
            .then(b.arel_call_score.cmp(&a.arel_call_score))
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::SHIPPED_RULE_SETS;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn rules() -> RuleSet {
        let (source, text) = SHIPPED_RULE_SETS[0];
        RuleSet::parse(source, text).expect("shipped rules")
    }

    /// A household that passes every general rule: rural, level 1, owner, agricultural.
    fn eligible_household() -> Household {
        Household {
            document_type: DocumentType::Cc,
            sex: Sex::Female,
            birth_date: date(1970, 3, 2),
            head_of_household: true,
            sisben_area: SisbenArea::Rural,
            sisben_score: Some(Decimal::from(15)),
            displaced: false,
            ethnic_group: EthnicGroup::None,
            ethnic_community_registered: false,
            land_tenure: LandTenure::Owner,
            land_restrictions: false,
            productive_activity: ProductiveActivity::Agricultural,
            environmental_restriction: false,
            illicit_activity: false,
            inaccurate_information: false,
            program_line: ProgramLine::General,
            land_contract_end: None,
            arel_population_group: ArelPopulationGroup::None,
            arel_group_document: false,
            arel_call_year: None,
            arel_call_score: None,
        }
    }

    fn reasons(rules: &RuleSet, household: &Household, checks: CrossChecks) -> String {
        let screener = Screener::new(rules, date(2013, 6, 1), CallLimits::default());
        let outcome = screener.screen(household, &checks).expect("line covered");
        screener.reasons(&outcome).collect::<Vec<_>>().join(";")
    }

    fn registry(rules: &RuleSet, name: &str) -> u32 {
        1 << rules.registry_index(name).expect("registry")
    }

    #[test]
    fn an_eligible_household_gets_its_level_percentage_and_cap() {
        let rules = rules();
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
        let outcome = screener
            .screen(&eligible_household(), &CrossChecks::default())
            .expect("covered");
        assert!(outcome.is_eligible());
        assert_eq!(outcome.sisben_level, Some(1));
        assert_eq!(screener.cofinancing_percent(&outcome), Some(Decimal::from(90)));
        assert_eq!(screener.cap_smmlv(&outcome), Some(Decimal::from(20)));
    }

    #[test]
    fn the_most_favourable_percentage_and_the_displaced_cap_apply() {
        let rules = rules();
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
        let level_3 = Household {
            sisben_score: Some(Decimal::from(45)),
            ..eligible_household()
        };
        let plain = screener
            .screen(&level_3, &CrossChecks::default())
            .expect("covered");
        assert_eq!(screener.cofinancing_percent(&plain), Some(Decimal::from(60)));
        let in_ruv = CrossChecks {
            registries: registry(&rules, "ruv"),
            duplicate_document: false,
            ..CrossChecks::default()
        };
        let displaced = screener.screen(&level_3, &in_ruv).expect("covered");
        assert_eq!(screener.cofinancing_percent(&displaced), Some(Decimal::from(90)));
        assert_eq!(screener.cap_smmlv(&displaced), Some(Decimal::from(24)));
        let ethnic = Household {
            ethnic_group: EthnicGroup::Afro,
            ethnic_community_registered: true,
            ..level_3
        };
        let outcome = screener
            .screen(&ethnic, &CrossChecks::default())
            .expect("covered");
        assert_eq!(screener.cofinancing_percent(&outcome), Some(Decimal::from(90)));
        assert_eq!(screener.cap_smmlv(&outcome), Some(Decimal::from(20)));
    }

    #[test]
    fn every_general_reason_fires_alone() {
        let rules = rules();
        let base = eligible_household();
        let none = CrossChecks::default();
        let cases: Vec<(Household, CrossChecks, &str)> = vec![
            (
                Household {
                    sisben_score: None,
                    ..base.clone()
                },
                none,
                "ART9A_SISBEN",
            ),
            (
                Household {
                    land_restrictions: true,
                    ..base.clone()
                },
                none,
                "ART9B_LAND",
            ),
            (
                Household {
                    displaced: true,
                    ..base.clone()
                },
                none,
                "ART9C_RUV",
            ),
            (
                base.clone(),
                CrossChecks {
                    registries: registry(&rules, "wanted"),
                    ..none
                },
                "ART9D_SENTENCE",
            ),
            (
                Household {
                    productive_activity: ProductiveActivity::None,
                    ..base.clone()
                },
                none,
                "ART9E_ACTIVITY",
            ),
            (
                Household {
                    ethnic_group: EthnicGroup::Rrom,
                    ..base.clone()
                },
                none,
                "ART9F_ETHNIC",
            ),
            (
                base.clone(),
                CrossChecks {
                    registries: registry(&rules, "prior_beneficiaries"),
                    ..none
                },
                "ART10A_PRIOR",
            ),
            (
                base.clone(),
                CrossChecks {
                    registries: registry(&rules, "public_servants"),
                    ..none
                },
                "ART10C_PUBLIC_SERVANT",
            ),
            (
                base.clone(),
                CrossChecks {
                    registries: registry(&rules, "sanctions"),
                    ..none
                },
                "ART10D_SANCTION",
            ),
            (
                Household {
                    illicit_activity: true,
                    ..base.clone()
                },
                none,
                "ART10E_ILLICIT",
            ),
            (
                Household {
                    inaccurate_information: true,
                    ..base.clone()
                },
                none,
                "ART10F_INACCURATE",
            ),
            (
                base.clone(),
                CrossChecks {
                    duplicate_document: true,
                    ..none
                },
                "DUPLICATE_DOCUMENT",
            ),
        ];
        for (household, checks, expected) in cases {
            assert_eq!(reasons(&rules, &household, checks), expected);
        }
        // Some facts fire two rules by the regulation's own overlap.
        let tenant = Household {
            land_tenure: LandTenure::Tenant,
            ..base.clone()
        };
        assert_eq!(reasons(&rules, &tenant, none), "ART10B_NOT_OWNER;ART9B_LAND");
        let restricted = Household {
            environmental_restriction: true,
            ..base.clone()
        };
        assert_eq!(
            reasons(&rules, &restricted, none),
            "ART10G_ENVIRONMENT;ART9E_ACTIVITY"
        );
        let in_ruv = CrossChecks {
            registries: registry(&rules, "ruv"),
            ..none
        };
        assert_eq!(
            reasons(
                &rules,
                &Household {
                    displaced: true,
                    ..base
                },
                in_ruv
            ),
            ""
        );
    }

    #[test]
    fn reasons_combine_in_byte_order() {
        let rules = rules();
        let household = Household {
            sisben_area: SisbenArea::MainCities,
            illicit_activity: true,
            land_tenure: LandTenure::Occupant,
            ..eligible_household()
        };
        let checks = CrossChecks {
            registries: registry(&rules, "prior_beneficiaries"),
            duplicate_document: true,
            ..CrossChecks::default()
        };
        assert_eq!(
            reasons(&rules, &household, checks),
            "ART10A_PRIOR;ART10B_NOT_OWNER;ART10E_ILLICIT;ART9A_SISBEN;ART9B_LAND;DUPLICATE_DOCUMENT"
        );
    }

    fn arel_household() -> Household {
        Household {
            program_line: ProgramLine::Arel,
            productive_activity: ProductiveActivity::Fishing,
            land_tenure: LandTenure::Tenant,
            land_contract_end: Some(date(2018, 6, 1)),
            arel_population_group: ArelPopulationGroup::ArtisanalFisher,
            arel_group_document: true,
            ..eligible_household()
        }
    }

    #[test]
    fn the_arel_line_has_its_own_qualities() {
        let rules = rules();
        let none = CrossChecks::default();
        assert_eq!(
            reasons(&rules, &arel_household(), none),
            "",
            "a tenant with exactly 5 years left"
        );
        let short = Household {
            land_contract_end: Some(date(2018, 5, 31)),
            ..arel_household()
        };
        // Art. 40.2: tenure and its contract are checked at formulation, when the project
        // builds on the parcel, not at screening.
        assert_eq!(reasons(&rules, &short, none), "");
        let no_contract = Household {
            land_contract_end: None,
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &no_contract, none), "");
        let owner = Household {
            land_tenure: LandTenure::Owner,
            land_contract_end: None,
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &owner, none), "");
        let minor = Household {
            birth_date: date(1995, 6, 2),
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &minor, none), "ART40_1_ADULT");
        let just_adult = Household {
            birth_date: date(1995, 6, 1),
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &just_adult, none), "");
        let farmer = Household {
            productive_activity: ProductiveActivity::Agricultural,
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &farmer, none), "ART40_1_FISHER");
        let not_head = Household {
            head_of_household: false,
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &not_head, none), "ART40_1_HEAD");
        let occupant = Household {
            land_tenure: LandTenure::Occupant,
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &occupant, none), "");
        let wanted = CrossChecks {
            registries: registry(&rules, "wanted"),
            ..none
        };
        assert_eq!(reasons(&rules, &arel_household(), wanted), "ART40_3_SENTENCE");
        // Chapter IX does not ask a displaced head to be in the RUV, nor an ethnic one to be registered.
        let displaced = Household {
            displaced: true,
            ethnic_group: EthnicGroup::Indigenous,
            ..arel_household()
        };
        assert_eq!(reasons(&rules, &displaced, none), "");
    }

    #[test]
    fn an_arel_household_needs_a_group_of_art_38_backed_by_its_document() {
        let rules = rules();
        let none = CrossChecks::default();
        for group in ArelPopulationGroup::ALL.iter().copied() {
            let household = Household {
                arel_population_group: group,
                ..arel_household()
            };
            let expected = if group == ArelPopulationGroup::None {
                "ART38_POPULATION"
            } else {
                ""
            };
            assert_eq!(reasons(&rules, &household, none), expected, "{group}");
            let undocumented = Household {
                arel_group_document: false,
                ..household
            };
            assert_eq!(
                reasons(&rules, &undocumented, none),
                "ART38_POPULATION",
                "{group}"
            );
        }
        // The general line does not ask for it.
        assert_eq!(reasons(&rules, &eligible_household(), none), "");
        assert_eq!(
            ArelPopulationGroup::ALL
                .iter()
                .filter_map(|g| g.numeral())
                .collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
        let household = Household {
            arel_group_document: false,
            ..arel_household()
        };
        let explanation = screener.explain(&household, &none).expect("covered");
        let rule = explanation
            .rules
            .iter()
            .find(|r| r.code == "ART38_POPULATION")
            .expect("the rule is explained");
        assert!(rule.fired);
        assert_eq!(rule.article, "Art. 38");
    }

    #[test]
    fn group_4_is_attended_by_the_year_of_its_call_then_by_its_score() {
        let group_4 = |year: i16, score: i64| Household {
            arel_population_group: ArelPopulationGroup::Calls2008To2011,
            arel_call_year: Some(year),
            arel_call_score: Some(Decimal::new(score, 1)),
            ..arel_household()
        };
        let households = [
            group_4(2010, 900),
            arel_household(),
            group_4(2008, 700),
            group_4(2010, 955),
            group_4(2008, 700),
            group_4(2009, 999),
            eligible_household(),
        ];
        // 2008 first (a tie keeps the input order), then 2009, then 2010 by score.
        assert_eq!(arel_group_4_order(&households), [2, 4, 5, 3, 0]);
    }

    #[test]
    fn a_call_may_lower_the_arel_limits_only() {
        let rules = rules();
        let limits = CallLimits {
            max_percent: Some(Decimal::from(70)),
            cap_smmlv: Some(Decimal::from(15)),
        };
        let screener = Screener::new(&rules, date(2013, 6, 1), limits);
        let arel = screener
            .screen(&arel_household(), &CrossChecks::default())
            .expect("covered");
        assert_eq!(screener.cofinancing_percent(&arel), Some(Decimal::from(70)));
        assert_eq!(screener.cap_smmlv(&arel), Some(Decimal::from(15)));
        let general = screener
            .screen(&eligible_household(), &CrossChecks::default())
            .expect("covered");
        assert_eq!(screener.cofinancing_percent(&general), Some(Decimal::from(90)));
    }

    /// A message and every message inside its arguments.
    fn nested(message: &Message) -> Vec<&Message> {
        let mut found = vec![message];
        for (_, arg) in message.args() {
            if let Arg::List(messages) = arg {
                found.extend(messages.iter().flat_map(nested));
            }
        }
        found
    }

    #[test]
    fn explanations_show_values_thresholds_articles_and_outcomes() {
        let rules = rules();
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
        let household = Household {
            sisben_score: Some(Decimal::from(0)),
            ..eligible_household()
        };
        let explanation = screener
            .explain(&household, &CrossChecks::default())
            .expect("covered");
        assert!(!explanation.eligible);
        let sisben = &explanation.rules[0];
        assert!(sisben.fired);
        assert_eq!(sisben.article, "Art. 9 a, Art. 7");
        let seen = &sisben.seen[0];
        assert_eq!(seen.code(), "eligibility-sisben_seen");
        assert_eq!(
            seen.arg("area"),
            Some(&Arg::Term("eligibility-value-sisben_area-3".into()))
        );
        assert_eq!(seen.arg("score"), Some(&Arg::Amount(Decimal::ZERO)));
        assert_eq!(
            seen.arg("level"),
            Some(&Arg::Term("eligibility-sisben_no_level".into()))
        );
        let level_one = nested(&sisben.fires_when)
            .into_iter()
            .find(|m| m.code() == "eligibility-sisben_interval" && m.arg("level") == Some(&Arg::Count(1)))
            .expect("level 1 is among the cut-offs");
        assert_eq!(level_one.arg("interval"), Some(&Arg::Text("(0-20]".into())));
        let tenure = explanation
            .rules
            .iter()
            .flat_map(|r| nested(&r.fires_when))
            .find(|m| m.code().starts_with("eligibility-choice_"))
            .expect("a rule on a choice field");
        assert!(matches!(tenure.arg("values"), Some(Arg::Terms(values)) if !values.is_empty()));
        assert!(
            explanation
                .rules
                .iter()
                .any(|r| !r.fired && r.code == "ART10A_PRIOR")
        );
        assert_eq!(explanation.rules.len(), 15);
    }

    #[test]
    fn the_duplicate_outcome_derived_equals_a_second_screening() {
        let rules = rules();
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
        for household in [
            eligible_household(),
            arel_household(),
            Household {
                illicit_activity: true,
                ..eligible_household()
            },
        ] {
            let unique = screener
                .screen(&household, &CrossChecks::default())
                .expect("covered");
            let duplicate = CrossChecks {
                duplicate_document: true,
                ..CrossChecks::default()
            };
            let screened = screener.screen(&household, &duplicate).expect("covered");
            assert_eq!(screener.as_duplicate(&unique), Some(screened));
        }
    }

    #[test]
    fn a_line_without_rules_is_an_error() {
        let mut rules = rules();
        rules.lines.retain(|l| l.line == ProgramLine::General);
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
        assert!(
            screener
                .screen(&arel_household(), &CrossChecks::default())
                .is_err()
        );
    }

    #[test]
    fn another_rule_set_with_other_figures_decides_by_its_own_figures() {
        let text = SHIPPED_RULE_SETS[0]
            .1
            .replacen(r#"id = "incoder-308-2013""#, r#"id = "test-other-figures""#, 1)
            .replacen("area_3 = [0, 20]", "area_3 = [0, 25]", 1)
            .replacen("area_3 = [20, 35]", "area_3 = [25, 35]", 1)
            .replacen("percent = 80", "percent = 75", 1);
        let other = RuleSet::parse("other.toml", &text).expect("valid");
        assert_ne!(other.content_hash, rules().content_hash);
        let screener = Screener::new(&other, date(2013, 6, 1), CallLimits::default());
        let household = Household {
            sisben_score: Some(Decimal::from(24)),
            ..eligible_household()
        };
        let outcome = screener
            .screen(&household, &CrossChecks::default())
            .expect("covered");
        assert_eq!(outcome.sisben_level, Some(1));
        let level_2 = Household {
            sisben_score: Some(Decimal::from(30)),
            ..eligible_household()
        };
        let outcome = screener
            .screen(&level_2, &CrossChecks::default())
            .expect("covered");
        assert_eq!(screener.cofinancing_percent(&outcome), Some(Decimal::from(75)));
    }

    /// The decision worked out from the rule set as written: every condition tree walked, and
    /// Sisbén scores compared as decimals. The compiled form must agree with it.
    fn screen_as_written(screener: &Screener<'_>, household: &Household, checks: &CrossChecks) -> Outcome {
        let (index, line) = screener.line_of(household).expect("covered");
        let mut facts = Facts::new(screener, household, checks);
        facts.sisben_level = screener
            .rules
            .sisben
            .level(household.sisben_area, household.sisben_score);
        let fired = (line.rules.iter().enumerate()).fold(0, |fired, (i, rule)| {
            fired | u64::from(facts.holds(&rule.fires_when)) << i
        });
        let best = |values: &[Decimal], table: &TierTable| {
            let applying = (table.tiers.iter().enumerate())
                .filter(|(_, tier)| tier.when.as_ref().is_none_or(|c| facts.holds(c)));
            applying
                .fold(None, |best: Option<usize>, (i, _)| {
                    if best.is_none_or(|b| values[i] > values[b]) {
                        Some(i)
                    } else {
                        best
                    }
                })
                .map(|b| b as u8)
        };
        let eligible = fired == 0;
        Outcome {
            line: index as u8,
            fired,
            sisben_level: facts.sisben_level,
            cofinancing_tier: best(&screener.cofinancing_values[index], &line.cofinancing)
                .filter(|_| eligible),
            cap_tier: best(&screener.cap_values[index], &line.cap).filter(|_| eligible),
        }
    }

    /// The shipped rules with one rule made of nested conditions and more than 64 distinct
    /// tests, so every form the compiler produces is exercised.
    fn stretched_rules() -> RuleSet {
        let ages: Vec<String> = (20..=90)
            .map(|years| format!("{{ age_below = {years} }}"))
            .collect();
        let nested = format!(
            r#"fires_when = {{ any = [
  {{ all = [ {{ field = "land_tenure", not_in = ["owner"] }}, {{ field = "displaced", is = true }} ] }},
  {{ field = "land_restrictions", is = true }},
  {{ all = [ {{ registry = "ruv", contains_document = true }}, {{ any = [ {} ] }} ] }},
] }}"#,
            ages.join(", ")
        );
        let text = SHIPPED_RULE_SETS[0].1.replacen(
            r#"fires_when = { any = [
  { field = "land_tenure", not_in = ["owner"] },
  { field = "land_restrictions", is = true },
] }"#,
            &nested,
            1,
        );
        assert_ne!(
            text, SHIPPED_RULE_SETS[0].1,
            "the rule to stretch is where it was"
        );
        RuleSet::parse("stretched.toml", &text).expect("valid")
    }

    fn one_of<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
        prop::sample::select(all)
    }

    /// Scores with two to eight decimals, some right at a cut-off or a hair away from it.
    fn any_score() -> impl Strategy<Value = Option<Decimal>> {
        prop_oneof![
            Just(None),
            (0i64..=10_000, 0u32..=6)
                .prop_map(|(hundredths, extra)| Some(Decimal::new(hundredths * 10i64.pow(extra), 2 + extra))),
            (
                prop::sample::select(vec![0i64, 20, 30, 35, 40, 50]),
                -2i64..=2,
                6u32..=8
            )
                .prop_map(|(boundary, delta, scale)| Some(
                    Decimal::new(boundary * 10i64.pow(scale) + delta, scale).abs()
                )),
        ]
    }

    fn any_household() -> impl Strategy<Value = Household> {
        let dates = (1930i16..=2013, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d));
        (
            (
                one_of(DocumentType::ALL),
                one_of(Sex::ALL),
                dates.clone(),
                any::<bool>(),
            ),
            (
                one_of(SisbenArea::ALL),
                any_score(),
                any::<bool>(),
                one_of(EthnicGroup::ALL),
            ),
            (
                any::<bool>(),
                one_of(LandTenure::ALL),
                any::<bool>(),
                one_of(ProductiveActivity::ALL),
            ),
            (
                any::<[bool; 3]>(),
                one_of(ProgramLine::ALL),
                prop::option::of(dates),
                one_of(ArelPopulationGroup::ALL),
            ),
        )
            .prop_map(|(a, b, c, d)| Household {
                document_type: a.0,
                sex: a.1,
                birth_date: a.2,
                head_of_household: a.3,
                sisben_area: b.0,
                sisben_score: b.1,
                displaced: b.2,
                ethnic_group: b.3,
                ethnic_community_registered: c.0,
                land_tenure: c.1,
                land_restrictions: c.2,
                productive_activity: c.3,
                environmental_restriction: d.0[0],
                illicit_activity: d.0[1],
                inaccurate_information: d.0[2],
                program_line: d.1,
                land_contract_end: d.2,
                arel_population_group: d.3,
                arel_group_document: d.0[0] || d.0[1],
                arel_call_year: None,
                arel_call_score: None,
            })
    }

    fn score_strategy() -> impl Strategy<Value = Decimal> {
        (0i64..=10_000).prop_map(|hundredths| Decimal::new(hundredths, 2))
    }

    #[test]
    fn every_fact_has_its_own_bit_in_the_fact_word() {
        let layout = FactLayout::new();
        assert!(layout.level_at + FactLayout::LEVELS <= layout.outside_territory_at);
        assert!(layout.outside_territory_at < 128);
        let choice_bits: u32 = ChoiceField::ALL.iter().map(|f| f.value_count() as u32).sum();
        assert_eq!(layout.registry_at, FlagField::ALL.len() as u32 + choice_bits);
    }

    #[test]
    fn a_household_outside_the_calls_territory_is_not_eligible_under_art_5() {
        let rules = rules();
        let caqueta = CallTerritory::parse("18").expect("territory");
        let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default()).within(caqueta);
        let medellin = DaneCode::parse("05001").expect("Medellín");
        let san_vicente = DaneCode::parse("18753").expect("San Vicente del Caguán");
        assert!(screener.outside_territory(medellin));
        assert!(!screener.outside_territory(san_vicente));
        for line in [ProgramLine::General, ProgramLine::Arel] {
            let household = Household {
                program_line: line,
                ..eligible_household()
            };
            let outside = CrossChecks {
                outside_territory: screener.outside_territory(medellin),
                ..CrossChecks::default()
            };
            let outcome = screener.screen(&household, &outside).expect("covered");
            assert!(!outcome.is_eligible(), "{line:?}");
            assert!(
                screener.reasons(&outcome).any(|code| code == "ART5_TERRITORY"),
                "{line:?}"
            );
            let explained = screener.explain(&household, &outside).expect("covered");
            let rule = explained
                .rules
                .iter()
                .find(|r| r.code == "ART5_TERRITORY")
                .expect("the rule is explained");
            assert!(rule.fired && rule.article.contains("Art. 5"), "{rule:?}");
        }
        let inside = screener
            .screen(&eligible_household(), &CrossChecks::default())
            .expect("covered");
        assert!(inside.is_eligible());
    }

    proptest! {
        /// Compiled rules and whole-number cut-offs decide as the rule set is written, for
        /// any household, on the shipped rules and on rules with nested and many tests.
        #[test]
        fn the_compiled_rules_decide_as_the_rules_are_written(
            household in any_household(),
            registries in 0u32..32,
            duplicate_document in any::<bool>(),
            outside_territory in any::<bool>(),
            stretched in any::<bool>(),
        ) {
            let rules = if stretched { stretched_rules() } else { rules() };
            let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
            let checks = CrossChecks { registries, duplicate_document, outside_territory };
            let outcome = screener.screen(&household, &checks).expect("both lines are covered");
            prop_assert_eq!(outcome, screen_as_written(&screener, &household, &checks));
        }

        /// Around every cut-off: a score is eligible on Sisbén grounds exactly when it lies in
        /// (0, 50] of areas 2 and 3, and its level follows the table's bounds.
        #[test]
        fn sisben_cutoffs_hold_at_and_around_every_boundary(
            boundary in prop::sample::select(vec![0i64, 20, 30, 35, 40, 50]),
            delta in -2i64..=2,
            area in prop::sample::select(vec![SisbenArea::MainCities, SisbenArea::RestUrban, SisbenArea::Rural]),
        ) {
            let rules = rules();
            let score = Decimal::new(boundary * 100 + delta, 2);
            prop_assume!(score >= Decimal::ZERO);
            let household = Household { sisben_area: area, sisben_score: Some(score), ..eligible_household() };
            let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
            let outcome = screener.screen(&household, &CrossChecks::default()).expect("covered");
            let expected_level = match area {
                SisbenArea::MainCities => None,
                SisbenArea::RestUrban => [(30, 1), (40, 2), (50, 3)].into_iter()
                    .find(|(up_to, _)| score > Decimal::ZERO && score <= Decimal::from(*up_to)).map(|(_, l)| l),
                SisbenArea::Rural => [(20, 1), (35, 2), (50, 3)].into_iter()
                    .find(|(up_to, _)| score > Decimal::ZERO && score <= Decimal::from(*up_to)).map(|(_, l)| l),
            };
            prop_assert_eq!(outcome.sisben_level, expected_level);
            prop_assert_eq!(outcome.is_eligible(), expected_level.is_some());
        }

        #[test]
        fn a_household_is_eligible_exactly_when_no_reason_fires(
            score in score_strategy(),
            in_registries in 0u32..32,
            duplicate in any::<bool>(),
            owner in any::<bool>(),
        ) {
            let rules = rules();
            let screener = Screener::new(&rules, date(2013, 6, 1), CallLimits::default());
            let household = Household {
                sisben_score: Some(score),
                land_tenure: if owner { LandTenure::Owner } else { LandTenure::Occupant },
                ..eligible_household()
            };
            let outcome = screener
                .screen(&household, &CrossChecks { registries: in_registries, duplicate_document: duplicate, ..CrossChecks::default() })
                .expect("covered");
            prop_assert_eq!(outcome.is_eligible(), screener.reasons(&outcome).next().is_none());
            prop_assert_eq!(outcome.is_eligible(), screener.cofinancing_percent(&outcome).is_some());
            let reasons: Vec<&str> = screener.reasons(&outcome).collect();
            let mut sorted = reasons.clone();
            sorted.sort_unstable();
            prop_assert_eq!(reasons, sorted);
        }
    }
}
