//! Rule sets: the regulation's figures as data.
//!
//! A rule set is a TOML file (`rules/*.toml`, format in `docs/rules.md`) holding one version of
//! the regulation: its effective period, the Sisbén cut-offs, the registries it cross-checks,
//! and per program line the rules that make a household ineligible, the co-financing matrix
//! and the cap per family. Every figure carries its article. The engine in
//! [`crate::eligibility`] knows the vocabulary of conditions, never the figures.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::finance::FinancialRules;
use crate::household::{
    ArelPopulationGroup, DocumentType, EthnicGroup, LandTenure, ProductiveActivity, Sex, SisbenArea,
};
use crate::message::Message;
use crate::program::ProgramLine;
use crate::text_enum::{UnknownValue, text_enum};

/// At most this many rules per line: a household's fired rules travel as a 64-bit set.
pub const MAX_RULES_PER_LINE: usize = 64;
/// At most this many registries: a household's registry hits travel as a 32-bit set.
pub const MAX_REGISTRIES: usize = 32;

/// One problem in a rule-set file, located by line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSetError {
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// Dotted path of the key at fault, such as `lines.general.rules[2].fires_when`.
    pub key: String,
    /// What is wrong, as a typed message (`rules-error-*`).
    pub message: Message,
}

impl fmt::Display for RuleSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}, line {line}, key {}: {}",
                self.file,
                self.key,
                self.message.code()
            ),
            None => write!(f, "{}, key {}: {}", self.file, self.key, self.message.code()),
        }
    }
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleSetErrors(pub Vec<RuleSetError>);

impl fmt::Display for RuleSetErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

text_enum! {
    /// Yes/no facts of a household that a rule may test.
    pub enum FlagField ("yes/no field") {
        HeadOfHousehold = "head_of_household",
        Displaced = "displaced",
        EthnicCommunityRegistered = "ethnic_community_registered",
        LandRestrictions = "land_restrictions",
        EnvironmentalRestriction = "environmental_restriction",
        IllicitActivity = "illicit_activity",
        InaccurateInformation = "inaccurate_information",
        /// The AREL group is backed by its documento idóneo (Art. 38 par. 2).
        ArelGroupDocument = "arel_group_document",
    }
}

text_enum! {
    /// Facts of a household with a closed list of values.
    pub enum ChoiceField ("field with a list of values") {
        DocumentType = "document_type",
        Sex = "sex",
        SisbenArea = "sisben_area",
        EthnicGroup = "ethnic_group",
        LandTenure = "land_tenure",
        ProductiveActivity = "productive_activity",
        ProgramLine = "program_line",
        /// The AREL population group (Art. 38).
        ArelPopulationGroup = "arel_population_group",
    }
}

text_enum! {
    /// Optional dates of a household that a rule may compare with the screening date.
    pub enum DateField ("date field") {
        LandContractEnd = "land_contract_end",
    }
}

fn position<T: Copy + PartialEq>(all: &[T], value: T) -> usize {
    all.iter().position(|v| *v == value).unwrap_or(0)
}

impl FlagField {
    /// The catalogue's identifier of the field's name.
    pub fn message_id(self) -> String {
        format!("eligibility-field-{self}")
    }
}

impl DateField {
    /// The catalogue's identifier of the field's name.
    pub fn message_id(self) -> String {
        format!("eligibility-field-{self}")
    }
}

impl ChoiceField {
    /// How many values the field has.
    pub fn value_count(self) -> usize {
        match self {
            Self::DocumentType => DocumentType::ALL.len(),
            Self::Sex => Sex::ALL.len(),
            Self::SisbenArea => SisbenArea::ALL.len(),
            Self::EthnicGroup => EthnicGroup::ALL.len(),
            Self::LandTenure => LandTenure::ALL.len(),
            Self::ProductiveActivity => ProductiveActivity::ALL.len(),
            Self::ProgramLine => ProgramLine::ALL.len(),
            Self::ArelPopulationGroup => ArelPopulationGroup::ALL.len(),
        }
    }

    /// The names of this field's values, in the order of their bits.
    pub fn value_names(self) -> Vec<&'static str> {
        fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|v| name(*v)).collect()
        }
        match self {
            Self::DocumentType => names(DocumentType::ALL, DocumentType::as_str),
            Self::Sex => names(Sex::ALL, Sex::as_str),
            Self::SisbenArea => names(SisbenArea::ALL, SisbenArea::as_str),
            Self::EthnicGroup => names(EthnicGroup::ALL, EthnicGroup::as_str),
            Self::LandTenure => names(LandTenure::ALL, LandTenure::as_str),
            Self::ProductiveActivity => names(ProductiveActivity::ALL, ProductiveActivity::as_str),
            Self::ProgramLine => names(ProgramLine::ALL, ProgramLine::as_str),
            Self::ArelPopulationGroup => names(ArelPopulationGroup::ALL, ArelPopulationGroup::as_str),
        }
    }

    /// The catalogue's identifier of the field's name.
    pub fn message_id(self) -> String {
        format!("eligibility-field-{self}")
    }

    /// The catalogue's identifier of one of the field's values, in words (a tenure has the
    /// words the parcel pages use).
    pub fn value_message_id(self, value: &str) -> String {
        match self {
            Self::LandTenure => format!("parcel-tenure_kind-{value}"),
            _ => format!("eligibility-value-{self}-{value}"),
        }
    }

    /// The bit of `text` among this field's values.
    fn bit_of(self, text: &str) -> Result<u32, UnknownValue> {
        let index = match self {
            Self::DocumentType => position(DocumentType::ALL, text.parse()?),
            Self::Sex => position(Sex::ALL, text.parse()?),
            Self::SisbenArea => position(SisbenArea::ALL, text.parse()?),
            Self::EthnicGroup => position(EthnicGroup::ALL, text.parse()?),
            Self::LandTenure => position(LandTenure::ALL, text.parse()?),
            Self::ProductiveActivity => position(ProductiveActivity::ALL, text.parse()?),
            Self::ProgramLine => position(ProgramLine::ALL, text.parse()?),
            Self::ArelPopulationGroup => position(ArelPopulationGroup::ALL, text.parse()?),
        };
        Ok(1 << index)
    }
}

/// A condition on a household's facts, as written under `fires_when` or `when`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Any(Vec<Condition>),
    All(Vec<Condition>),
    Flag {
        field: FlagField,
        is: bool,
    },
    Choice {
        field: ChoiceField,
        /// The values as written, for explanations.
        values: Vec<String>,
        mask: u32,
        /// `not_in` rather than `in`.
        negated: bool,
    },
    /// The date is missing, or falls before the screening date plus `years`.
    EndsWithinYears {
        field: DateField,
        years: i16,
    },
    Registry {
        registry: usize,
        contains_document: bool,
    },
    SisbenWithinCutoffs(bool),
    SisbenLevel(u8),
    DuplicateDocument(bool),
    /// The household's municipality lies outside the call's territory (Art. 5).
    OutsideCallTerritory(bool),
    /// The head is younger than `years` on the screening date.
    AgeBelow(i16),
}

/// A rule: when its condition holds, the household is not eligible for this reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The reason code written in results, such as `ART9A_SISBEN`.
    pub code: String,
    pub article: String,
    /// What the regulation requires, in its own words.
    pub description: String,
    /// The same in English, when the rule set gives it.
    pub description_en: Option<String>,
    pub fires_when: Condition,
}

/// One row of a "highest that applies" table: the co-financing matrix or the cap.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub label: String,
    pub label_en: Option<String>,
    pub value: Decimal,
    /// `None` applies to every eligible household.
    pub when: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierTable {
    pub article: String,
    pub tiers: Vec<Tier>,
}

/// The rules of one program line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRules {
    pub line: ProgramLine,
    pub title: String,
    pub title_en: Option<String>,
    pub article: String,
    /// Whether a call's technical document may lower the percentage and cap (Art. 43).
    pub call_may_lower: bool,
    pub rules: Vec<Rule>,
    /// Maximum co-financing percentage (Art. 7).
    pub cofinancing: TierTable,
    /// Cap per family in SMMLV (Art. 29).
    pub cap: TierTable,
    /// Rule indices ordered by the byte order of their codes, as results list them.
    pub rules_in_code_order: Vec<usize>,
}

/// The highest percentage and cap of every line's tables (`None` without a line).
fn family_ceiling(lines: &[LineRules]) -> Option<crate::finance::rules::FamilyCeiling> {
    // The general line first: its article is cited where another line allows as much.
    let general = lines.iter().filter(|l| l.line == ProgramLine::General);
    let ordered: Vec<&LineRules> = general
        .chain(lines.iter().filter(|l| l.line != ProgramLine::General))
        .collect();
    let highest = |table: fn(&LineRules) -> &TierTable| {
        ordered
            .iter()
            .flat_map(|line| {
                table(line)
                    .tiers
                    .iter()
                    .map(move |tier| (tier.value, &table(line).article))
            })
            .fold(None, |best, (value, article)| match best {
                Some((highest, _)) if highest >= value => best,
                _ => Some((value, article)),
            })
    };
    let (max_pct, pct_article) = highest(|line| &line.cofinancing)?;
    let (cap_smmlv, cap_article) = highest(|line| &line.cap)?;
    Some(crate::finance::rules::FamilyCeiling {
        max_pct,
        pct_article: pct_article.clone(),
        cap_smmlv,
        cap_article: cap_article.clone(),
    })
}

/// How a cut-off bound treats a score equal to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Inclusive,
    Exclusive,
}

impl Bound {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "inclusive" => Some(Self::Inclusive),
            "exclusive" => Some(Self::Exclusive),
            _ => None,
        }
    }
}

/// The Sisbén cut-offs of one level in one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub above: Decimal,
    pub up_to: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SisbenLevel {
    pub level: u8,
    /// Indexed like [`SisbenArea::ALL`]; `None` where the level does not apply to the area.
    pub by_area: [Option<Interval>; 3],
}

/// Sisbén cut-offs (Art. 7).
#[derive(Debug, Clone, PartialEq)]
pub struct SisbenCutoffs {
    pub article: String,
    pub lower_bound: Bound,
    pub upper_bound: Bound,
    pub not_applicable_areas: Vec<SisbenArea>,
    pub levels: Vec<SisbenLevel>,
}

impl SisbenCutoffs {
    /// The level whose interval holds the score in its area, if any.
    pub fn level(&self, area: SisbenArea, score: Option<Decimal>) -> Option<u8> {
        let score = score?;
        if self.not_applicable_areas.contains(&area) {
            return None;
        }
        let area_index = position(SisbenArea::ALL, area);
        self.levels.iter().find_map(|level| {
            let interval = level.by_area[area_index]?;
            self.contains(interval, score).then_some(level.level)
        })
    }

    fn contains(&self, interval: Interval, score: Decimal) -> bool {
        let above = match self.lower_bound {
            Bound::Exclusive => score > interval.above,
            Bound::Inclusive => score >= interval.above,
        };
        let below = match self.upper_bound {
            Bound::Inclusive => score <= interval.up_to,
            Bound::Exclusive => score < interval.up_to,
        };
        above && below
    }

    /// The interval as the regulation writes it, such as `(0-30]`.
    pub fn describe(&self, interval: Interval) -> String {
        let open = if self.lower_bound == Bound::Exclusive {
            '('
        } else {
            '['
        };
        let close = if self.upper_bound == Bound::Inclusive {
            ']'
        } else {
            ')'
        };
        format!(
            "{open}{}-{}{close}",
            interval.above.normalize(),
            interval.up_to.normalize()
        )
    }
}

/// A registry that rules may cross-check.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDefinition {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub title_en: Option<String>,
    pub article: String,
}

/// A reading of ambiguous text, stated so a reader of the rule set sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    pub topic: String,
    #[serde(default)]
    pub topic_en: Option<String>,
    pub article: String,
    pub reading: String,
    #[serde(default)]
    pub reading_en: Option<String>,
}

/// One validated version of the regulation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    pub regulation: String,
    pub amended_by: Vec<String>,
    pub effective_from: Date,
    /// Last day in force; `None` while in force.
    pub effective_until: Option<Date>,
    pub readings: Vec<Reading>,
    pub sisben: SisbenCutoffs,
    pub registries: Vec<RegistryDefinition>,
    pub lines: Vec<LineRules>,
    /// The financial viability figures (Art. 18-21, 29, 31), when the rule set has them.
    pub financial: Option<FinancialRules>,
    /// Where it was read from.
    pub source: String,
    /// SHA-256 of the file's bytes, in hex: with the id, it names the exact rules applied.
    pub content_hash: String,
}

impl RuleSet {
    /// Parses and validates a rule-set file; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<Self, RuleSetErrors> {
        let raw: RawRuleSet = toml::from_str(text).map_err(|error| {
            let (line, key) = locate_toml_error(text, error.span());
            RuleSetErrors(vec![RuleSetError {
                file: source.to_owned(),
                line,
                key,
                message: Message::new("rules-error-toml").with("detail", error.message()),
            }])
        })?;
        let mut compiler = Compiler {
            source,
            text,
            errors: Vec::new(),
            registries: &raw.registries,
        };
        let rule_set = compiler.rule_set(&raw);
        if compiler.errors.is_empty() {
            Ok(rule_set)
        } else {
            Err(RuleSetErrors(compiler.errors))
        }
    }

    pub fn line(&self, line: ProgramLine) -> Option<&LineRules> {
        self.lines.iter().find(|l| l.line == line)
    }

    pub fn registry_index(&self, name: &str) -> Option<usize> {
        self.registries.iter().position(|r| r.name == name)
    }

    pub fn is_in_force_on(&self, date: Date) -> bool {
        date >= self.effective_from && self.effective_until.is_none_or(|until| date <= until)
    }

    /// The indices of the registries some rule or tier consults.
    pub fn registries_used(&self) -> Vec<usize> {
        let mut used = Vec::new();
        for line in &self.lines {
            let conditions = line.rules.iter().map(|r| &r.fires_when).chain(
                line.cofinancing
                    .tiers
                    .iter()
                    .chain(&line.cap.tiers)
                    .filter_map(|t| t.when.as_ref()),
            );
            for condition in conditions {
                condition.visit(&mut |c| {
                    if let Condition::Registry { registry, .. } = c
                        && !used.contains(registry)
                    {
                        used.push(*registry);
                    }
                });
            }
        }
        used.sort_unstable();
        used
    }

    /// The dates in force, in words of no language: `2013-04-17 – 2014-12-15`, or
    /// `2013-04-17 –` while in force.
    pub fn period(&self) -> String {
        match self.effective_until {
            Some(until) => format!("{} – {until}", self.effective_from),
            None => format!("{} –", self.effective_from),
        }
    }
}

impl Condition {
    /// Calls `f` with this condition and every condition inside it.
    pub fn visit(&self, f: &mut impl FnMut(&Condition)) {
        f(self);
        if let Condition::Any(children) | Condition::All(children) = self {
            for child in children {
                child.visit(f);
            }
        }
    }
}

/// How [`RuleBook::for_budget_year`] found a rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearChoice {
    InForceOnJanuary1,
    /// None was in force on January 1: the first to come into force during the year.
    FirstInForceDuringYear,
}

/// How [`RuleBook::choose`] took a rule set for a formulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleChoice {
    /// Named by its id.
    Chosen,
    /// As [`RuleBook::for_budget_year`] found it.
    ByYear(YearChoice),
}

/// A rule set with its financial table, and how it was chosen.
#[derive(Debug, Clone, Copy)]
pub struct ChosenRules<'b> {
    pub set: &'b RuleSet,
    pub financial: &'b FinancialRules,
    pub how: RuleChoice,
    pub budget_year: i16,
}

impl ChosenRules<'_> {
    /// Why this rule set applies, as a message.
    pub fn explanation(&self) -> Message {
        match self.how {
            RuleChoice::Chosen => Message::new("rules-chosen-by_id"),
            RuleChoice::ByYear(YearChoice::InForceOnJanuary1) => {
                Message::new("rules-chosen-january_1").with("year", self.budget_year)
            }
            RuleChoice::ByYear(YearChoice::FirstInForceDuringYear) => {
                Message::new("rules-chosen-during_year")
                    .with("year", self.budget_year)
                    .with("from", self.set.effective_from)
            }
        }
    }
}

/// Why no rule set could be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleChoiceError {
    UnknownId { id: String, known: String },
    NoneInForce { year: i16, known: String },
    NoFinancialTable { id: String },
}

impl RuleChoiceError {
    pub fn message(&self) -> Message {
        match self {
            RuleChoiceError::UnknownId { id, known } => Message::new("rules-error-unknown_id")
                .with("id", id)
                .with("known", known),
            RuleChoiceError::NoneInForce { year, known } => Message::new("rules-error-none_in_force")
                .with("year", *year)
                .with("known", known),
            RuleChoiceError::NoFinancialTable { id } => {
                Message::new("rules-error-no_financial").with("id", id)
            }
        }
    }
}

/// The rule sets available to a process: the shipped ones and any loaded from files.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

/// The rule sets compiled into the program from `rules/`.
pub const SHIPPED_RULE_SETS: &[(&str, &str)] = &[(
    "rules/incoder-308-2013.toml",
    include_str!("../../../rules/incoder-308-2013.toml"),
)];

impl RuleBook {
    /// Parses the shipped rule sets.
    pub fn shipped() -> Result<Self, RuleSetErrors> {
        let mut book = Self::default();
        for (source, text) in SHIPPED_RULE_SETS {
            book.add(RuleSet::parse(source, text)?)?;
        }
        Ok(book)
    }

    /// Adds a rule set; ids are unique.
    pub fn add(&mut self, rule_set: RuleSet) -> Result<(), RuleSetErrors> {
        if let Some(existing) = self.get(&rule_set.id) {
            return Err(RuleSetErrors(vec![RuleSetError {
                file: rule_set.source.clone(),
                line: None,
                key: "id".to_owned(),
                message: Message::new("rules-error-id_twice")
                    .with("id", rule_set.id.as_str())
                    .with("source", existing.source.as_str()),
            }]));
        }
        self.sets.push(rule_set);
        self.sets
            .sort_by(|a, b| a.effective_from.cmp(&b.effective_from).then(a.id.cmp(&b.id)));
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id)
    }

    pub fn all(&self) -> &[RuleSet] {
        &self.sets
    }

    /// The rule set a budget year (vigencia) is evaluated under: the one in force on its
    /// January 1, or else the first to come into force during the year (Acuerdo 308 de 2013
    /// came into force on 17 April 2013, and its calls are of the 2013 budget).
    pub fn for_budget_year(&self, year: i16) -> Option<(&RuleSet, YearChoice)> {
        let first = Date::new(year, 1, 1).ok()?;
        let last = Date::new(year, 12, 31).ok()?;
        if let Some(set) = self.in_force_on(first) {
            return Some((set, YearChoice::InForceOnJanuary1));
        }
        self.sets
            .iter()
            .find(|s| s.effective_from > first && s.effective_from <= last)
            .map(|set| (set, YearChoice::FirstInForceDuringYear))
    }

    /// The rule set a formulation is evaluated under: the one `chosen` by id or, by default,
    /// the one of its budget year ([`RuleBook::for_budget_year`]); it must have a financial
    /// table. The one choice for the command line and the web.
    pub fn choose(&self, chosen: Option<&str>, budget_year: i16) -> Result<ChosenRules<'_>, RuleChoiceError> {
        let known = || {
            self.sets
                .iter()
                .map(|s| format!("{} ({})", s.id, s.period()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (set, how) = match chosen {
            Some(id) => (
                self.get(id).ok_or_else(|| RuleChoiceError::UnknownId {
                    id: id.to_owned(),
                    known: known(),
                })?,
                RuleChoice::Chosen,
            ),
            None => {
                let (set, year_choice) =
                    self.for_budget_year(budget_year)
                        .ok_or_else(|| RuleChoiceError::NoneInForce {
                            year: budget_year,
                            known: known(),
                        })?;
                (set, RuleChoice::ByYear(year_choice))
            }
        };
        let financial = set
            .financial
            .as_ref()
            .ok_or_else(|| RuleChoiceError::NoFinancialTable { id: set.id.clone() })?;
        Ok(ChosenRules {
            set,
            financial,
            how,
            budget_year,
        })
    }

    /// The rule set in force on a date; the latest to begin wins if periods overlap.
    pub fn in_force_on(&self, date: Date) -> Option<&RuleSet> {
        self.sets.iter().rev().find(|s| s.is_in_force_on(date))
    }
}

pub(crate) fn locate_toml_error(text: &str, span: Option<Range<usize>>) -> (Option<usize>, String) {
    let Some(span) = span else {
        return (None, String::new());
    };
    let line = line_of(text, span.start);
    let key = text
        .get(span.clone())
        .map(|s| s.lines().next().unwrap_or_default().trim().to_owned())
        .unwrap_or_default();
    (Some(line), key)
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

// ---- The file's shape, as serde reads it -------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    id: Spanned<String>,
    title: String,
    title_en: Option<String>,
    regulation: String,
    #[serde(default)]
    amended_by: Vec<String>,
    effective_from: Spanned<toml::value::Datetime>,
    effective_until: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    readings: Vec<Reading>,
    sisben: RawSisben,
    #[serde(default)]
    registries: Vec<RegistryDefinition>,
    lines: BTreeMap<String, Spanned<RawLine>>,
    financial: Option<Spanned<FinancialRules>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSisben {
    article: String,
    lower_bound: Spanned<String>,
    upper_bound: Spanned<String>,
    #[serde(default)]
    not_applicable_areas: Vec<Spanned<String>>,
    levels: Vec<Spanned<RawLevel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    level: u8,
    area_1: Option<Spanned<[Number; 2]>>,
    area_2: Option<Spanned<[Number; 2]>>,
    area_3: Option<Spanned<[Number; 2]>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    title: String,
    title_en: Option<String>,
    article: String,
    #[serde(default)]
    call_may_lower: bool,
    rules: Vec<RawRule>,
    cofinancing: RawPercentTable,
    cap: RawCapTable,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    code: Spanned<String>,
    article: String,
    description: String,
    description_en: Option<String>,
    fires_when: Spanned<RawCondition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPercentTable {
    article: String,
    options: Vec<RawPercentOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPercentOption {
    label: String,
    label_en: Option<String>,
    percent: Spanned<Number>,
    when: Option<Spanned<RawCondition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapTable {
    article: String,
    options: Vec<RawCapOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapOption {
    label: String,
    label_en: Option<String>,
    smmlv: Spanned<Number>,
    when: Option<Spanned<RawCondition>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    any: Option<Vec<Spanned<RawCondition>>>,
    all: Option<Vec<Spanned<RawCondition>>>,
    field: Option<String>,
    is: Option<bool>,
    #[serde(rename = "in")]
    in_values: Option<Vec<String>>,
    not_in: Option<Vec<String>>,
    ends_within_years: Option<i16>,
    registry: Option<String>,
    contains_document: Option<bool>,
    sisben_within_cutoffs: Option<bool>,
    sisben_level: Option<u8>,
    duplicate_document: Option<bool>,
    outside_call_territory: Option<bool>,
    age_below: Option<i16>,
}

impl RawCondition {
    fn keys(&self) -> Vec<&'static str> {
        let present = [
            ("any", self.any.is_some()),
            ("all", self.all.is_some()),
            ("field", self.field.is_some()),
            ("is", self.is.is_some()),
            ("in", self.in_values.is_some()),
            ("not_in", self.not_in.is_some()),
            ("ends_within_years", self.ends_within_years.is_some()),
            ("registry", self.registry.is_some()),
            ("contains_document", self.contains_document.is_some()),
            ("sisben_within_cutoffs", self.sisben_within_cutoffs.is_some()),
            ("sisben_level", self.sisben_level.is_some()),
            ("duplicate_document", self.duplicate_document.is_some()),
            ("outside_call_territory", self.outside_call_territory.is_some()),
            ("age_below", self.age_below.is_some()),
        ];
        present.iter().filter(|(_, p)| *p).map(|(k, _)| *k).collect()
    }
}

const CONDITION_SHAPES: &str = "{ any = [...] }, { all = [...] }, { field, is }, { field, in }, \
     { field, not_in }, { field, ends_within_years }, { registry, contains_document }, \
     { sisben_within_cutoffs }, { sisben_level }, { duplicate_document }, \
     { outside_call_territory }, { age_below }";

/// A figure written as a TOML integer, float or string; read exactly.
#[derive(Clone, Copy)]
struct Number(Decimal);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Integer(i64),
            Float(f64),
            Text(String),
        }
        let parsed = match Any::deserialize(deserializer)? {
            Any::Integer(i) => Some(Decimal::from(i)),
            // The float's shortest text is what the author wrote.
            Any::Float(f) => f.to_string().parse().ok(),
            Any::Text(t) => t.trim().parse().ok(),
        };
        parsed
            .map(Number)
            .ok_or_else(|| serde::de::Error::custom("expected a number such as 30 or \"12.5\""))
    }
}

// ---- Validation and compilation -----------------------------------------------------------

struct Compiler<'a> {
    source: &'a str,
    text: &'a str,
    errors: Vec<RuleSetError>,
    registries: &'a [RegistryDefinition],
}

impl Compiler<'_> {
    fn error(&mut self, span: Option<Range<usize>>, key: impl Into<String>, message: Message) {
        self.errors.push(RuleSetError {
            file: self.source.to_owned(),
            line: span.map(|s| line_of(self.text, s.start)),
            key: key.into(),
            message,
        });
    }

    fn rule_set(&mut self, raw: &RawRuleSet) -> RuleSet {
        let id = raw.id.get_ref().trim().to_owned();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            self.error(
                Some(raw.id.span()),
                "id",
                Message::new("rules-error-id").with("value", id.as_str()),
            );
        }
        let effective_from = self.date(&raw.effective_from, "effective_from");
        let effective_until = raw
            .effective_until
            .as_ref()
            .and_then(|d| self.date(d, "effective_until"));
        if let (Some(from), Some(until)) = (effective_from, effective_until)
            && until < from
        {
            let span = raw.effective_until.as_ref().map(Spanned::span);
            self.error(
                span,
                "effective_until",
                Message::new("rules-error-until_before_from")
                    .with("until", until)
                    .with("from", from),
            );
        }
        if raw.registries.len() > MAX_REGISTRIES {
            self.error(
                None,
                "registries",
                Message::new("rules-error-too_many_registries").with("max", MAX_REGISTRIES),
            );
        }
        for (index, registry) in raw.registries.iter().enumerate() {
            if raw.registries[..index].iter().any(|r| r.name == registry.name) {
                self.error(
                    None,
                    format!("registries[{index}].name"),
                    Message::new("rules-error-registry_twice").with("name", registry.name.as_str()),
                );
            }
        }
        let sisben = self.sisben(&raw.sisben);
        let mut lines = Vec::new();
        for (name, line) in &raw.lines {
            match name.parse::<ProgramLine>() {
                Ok(program_line) => lines.push(self.line(program_line, name, line)),
                Err(e) => self.error(Some(line.span()), format!("lines.{name}"), e.message()),
            }
        }
        if lines.is_empty() {
            self.error(None, "lines", Message::new("rules-error-no_lines"));
        }
        if let Some(financial) = &raw.financial {
            for problem in financial.get_ref().problems() {
                self.error(Some(financial.span()), "financial", problem);
            }
        }
        let financial = raw.financial.as_ref().map(|f| FinancialRules {
            family_ceiling: family_ceiling(&lines),
            ..f.get_ref().clone()
        });
        RuleSet {
            id,
            title: raw.title.clone(),
            title_en: raw.title_en.clone(),
            regulation: raw.regulation.clone(),
            amended_by: raw.amended_by.clone(),
            effective_from: effective_from.unwrap_or_default(),
            effective_until,
            readings: raw.readings.clone(),
            sisben,
            registries: raw.registries.clone(),
            lines,
            financial,
            source: self.source.to_owned(),
            content_hash: hex_sha256(self.text.as_bytes()),
        }
    }

    fn date(&mut self, value: &Spanned<toml::value::Datetime>, key: &str) -> Option<Date> {
        let datetime = value.get_ref();
        match (datetime.date, datetime.time) {
            (Some(date), None) => match Date::new(date.year as i16, date.month as i8, date.day as i8) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(
                        Some(value.span()),
                        key,
                        Message::new("rules-error-date").with("detail", e.to_string()),
                    );
                    None
                }
            },
            _ => {
                self.error(
                    Some(value.span()),
                    key,
                    Message::new("rules-error-date_with_time"),
                );
                None
            }
        }
    }

    fn sisben(&mut self, raw: &RawSisben) -> SisbenCutoffs {
        let mut bound = |value: &Spanned<String>, key: &str| {
            Bound::parse(value.get_ref()).unwrap_or_else(|| {
                self.error(
                    Some(value.span()),
                    format!("sisben.{key}"),
                    Message::new("rules-error-bound").with("value", value.get_ref().as_str()),
                );
                Bound::Inclusive
            })
        };
        let lower_bound = bound(&raw.lower_bound, "lower_bound");
        let upper_bound = bound(&raw.upper_bound, "upper_bound");
        let mut not_applicable_areas = Vec::new();
        for area in &raw.not_applicable_areas {
            match area.get_ref().parse::<SisbenArea>() {
                Ok(a) => not_applicable_areas.push(a),
                Err(e) => self.error(Some(area.span()), "sisben.not_applicable_areas", e.message()),
            }
        }
        let mut levels: Vec<SisbenLevel> = Vec::new();
        for (index, raw_level) in raw.levels.iter().enumerate() {
            let key = format!("sisben.levels[{index}]");
            let level = raw_level.get_ref();
            if levels.iter().any(|l| l.level == level.level) {
                self.error(
                    Some(raw_level.span()),
                    format!("{key}.level"),
                    Message::new("rules-error-level_twice").with("level", level.level),
                );
            }
            let mut by_area = [None; 3];
            for (area_index, interval) in [&level.area_1, &level.area_2, &level.area_3]
                .into_iter()
                .enumerate()
            {
                let Some(interval) = interval else { continue };
                let [above, up_to] = *interval.get_ref();
                if above.0 >= up_to.0 {
                    self.error(
                        Some(interval.span()),
                        format!("{key}.area_{}", area_index + 1),
                        Message::new("rules-error-empty_interval")
                            .with("lower", above.0.to_string())
                            .with("upper", up_to.0.to_string()),
                    );
                }
                by_area[area_index] = Some(Interval {
                    above: above.0,
                    up_to: up_to.0,
                });
            }
            levels.push(SisbenLevel {
                level: level.level,
                by_area,
            });
        }
        // Intervals of one area must not overlap, or a score would have two levels.
        for area_index in 0..3 {
            let mut intervals: Vec<(u8, Interval)> = levels
                .iter()
                .filter_map(|l| l.by_area[area_index].map(|i| (l.level, i)))
                .collect();
            intervals.sort_by_key(|(_, interval)| interval.above);
            for pair in intervals.windows(2) {
                let ((first_level, first), (second_level, second)) = (pair[0], pair[1]);
                let touching_allowed = lower_bound == Bound::Exclusive || upper_bound == Bound::Exclusive;
                if second.above < first.up_to || (second.above == first.up_to && !touching_allowed) {
                    let span = raw
                        .levels
                        .iter()
                        .find(|l| l.get_ref().level == second_level)
                        .map(Spanned::span);
                    self.error(
                        span,
                        format!("sisben.levels.area_{}", area_index + 1),
                        Message::new("rules-error-levels_overlap")
                            .with("first", first_level)
                            .with("second", second_level),
                    );
                }
            }
        }
        SisbenCutoffs {
            article: raw.article.clone(),
            lower_bound,
            upper_bound,
            not_applicable_areas,
            levels,
        }
    }

    fn line(&mut self, line: ProgramLine, name: &str, raw: &Spanned<RawLine>) -> LineRules {
        let key = format!("lines.{name}");
        let raw_line = raw.get_ref();
        if raw_line.rules.len() > MAX_RULES_PER_LINE {
            self.error(
                Some(raw.span()),
                format!("{key}.rules"),
                Message::new("rules-error-too_many_rules").with("max", MAX_RULES_PER_LINE),
            );
        }
        let mut rules: Vec<Rule> = Vec::new();
        for (index, raw_rule) in raw_line.rules.iter().enumerate() {
            let rule_key = format!("{key}.rules[{index}]");
            let code = raw_rule.code.get_ref().trim().to_owned();
            if code.is_empty()
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                self.error(
                    Some(raw_rule.code.span()),
                    format!("{rule_key}.code"),
                    Message::new("rules-error-reason_code").with("value", code.as_str()),
                );
            }
            if rules.iter().any(|r| r.code == code) {
                self.error(
                    Some(raw_rule.code.span()),
                    format!("{rule_key}.code"),
                    Message::new("rules-error-code_twice").with("code", code.as_str()),
                );
            }
            if raw_rule.article.trim().is_empty() {
                self.error(
                    Some(raw_rule.code.span()),
                    format!("{rule_key}.article"),
                    Message::new("rules-error-no_article"),
                );
            }
            let fires_when = self.condition(&raw_rule.fires_when, &format!("{rule_key}.fires_when"));
            rules.push(Rule {
                code,
                article: raw_rule.article.clone(),
                description: raw_rule.description.clone(),
                description_en: raw_rule.description_en.clone(),
                fires_when,
            });
        }
        let mut rules_in_code_order: Vec<usize> = (0..rules.len()).collect();
        rules_in_code_order.sort_by(|a, b| rules[*a].code.as_bytes().cmp(rules[*b].code.as_bytes()));

        let cofinancing_key = format!("{key}.cofinancing.options");
        let cofinancing_tiers = raw_line
            .cofinancing
            .options
            .iter()
            .enumerate()
            .map(|(index, option)| {
                let value = self.bounded(
                    &option.percent,
                    &format!("{cofinancing_key}[{index}].percent"),
                    Decimal::ONE_HUNDRED,
                );
                let when = option
                    .when
                    .as_ref()
                    .map(|w| self.condition(w, &format!("{cofinancing_key}[{index}].when")));
                Tier {
                    label: option.label.clone(),
                    label_en: option.label_en.clone(),
                    value,
                    when,
                }
            })
            .collect();
        let cap_key = format!("{key}.cap.options");
        let cap_tiers = raw_line
            .cap
            .options
            .iter()
            .enumerate()
            .map(|(index, option)| {
                let value = self.bounded(
                    &option.smmlv,
                    &format!("{cap_key}[{index}].smmlv"),
                    Decimal::from(1000),
                );
                let when = option
                    .when
                    .as_ref()
                    .map(|w| self.condition(w, &format!("{cap_key}[{index}].when")));
                Tier {
                    label: option.label.clone(),
                    label_en: option.label_en.clone(),
                    value,
                    when,
                }
            })
            .collect();
        LineRules {
            line,
            title: raw_line.title.clone(),
            title_en: raw_line.title_en.clone(),
            article: raw_line.article.clone(),
            call_may_lower: raw_line.call_may_lower,
            rules,
            cofinancing: TierTable {
                article: raw_line.cofinancing.article.clone(),
                tiers: cofinancing_tiers,
            },
            cap: TierTable {
                article: raw_line.cap.article.clone(),
                tiers: cap_tiers,
            },
            rules_in_code_order,
        }
    }

    fn bounded(&mut self, value: &Spanned<Number>, key: &str, max: Decimal) -> Decimal {
        let number = value.get_ref().0;
        if number <= Decimal::ZERO || number > max {
            self.error(
                Some(value.span()),
                key,
                Message::new("rules-error-out_of_range")
                    .with("value", number.to_string())
                    .with("max", max.to_string()),
            );
        }
        number
    }

    fn condition(&mut self, raw: &Spanned<RawCondition>, key: &str) -> Condition {
        let span = Some(raw.span());
        let condition = raw.get_ref();
        let keys = condition.keys();
        let unexpected = |compiler: &mut Self, allowed: &[&str]| {
            let extra: Vec<&str> = keys.iter().copied().filter(|k| !allowed.contains(k)).collect();
            if !extra.is_empty() {
                compiler.error(
                    span.clone(),
                    key,
                    Message::new("rules-error-unexpected_keys")
                        .with("extra", extra.join(", "))
                        .with("allowed", allowed.join(", ")),
                );
            }
        };
        if let Some(children) = condition.any.as_ref().or(condition.all.as_ref()) {
            let is_any = condition.any.is_some();
            unexpected(self, &[if is_any { "any" } else { "all" }]);
            if children.is_empty() {
                self.error(span, key, Message::new("rules-error-empty_conditions"));
            }
            let word = if is_any { "any" } else { "all" };
            let compiled = children
                .iter()
                .enumerate()
                .map(|(index, child)| self.condition(child, &format!("{key}.{word}[{index}]")))
                .collect();
            return if is_any {
                Condition::Any(compiled)
            } else {
                Condition::All(compiled)
            };
        }
        if let Some(field) = &condition.field {
            if let Some(is) = condition.is {
                unexpected(self, &["field", "is"]);
                return match field.parse::<FlagField>() {
                    Ok(field) => Condition::Flag { field, is },
                    Err(e) => {
                        self.error(span, format!("{key}.field"), e.message());
                        Condition::All(Vec::new())
                    }
                };
            }
            if let Some(years) = condition.ends_within_years {
                unexpected(self, &["field", "ends_within_years"]);
                if !(0..=200).contains(&years) {
                    self.error(
                        span.clone(),
                        format!("{key}.ends_within_years"),
                        Message::new("rules-error-years").with("value", years.to_string()),
                    );
                }
                return match field.parse::<DateField>() {
                    Ok(field) => Condition::EndsWithinYears { field, years },
                    Err(e) => {
                        self.error(span, format!("{key}.field"), e.message());
                        Condition::All(Vec::new())
                    }
                };
            }
            if let Some(values) = condition.in_values.as_ref().or(condition.not_in.as_ref()) {
                let negated = condition.not_in.is_some();
                unexpected(self, &["field", if negated { "not_in" } else { "in" }]);
                let choice = match field.parse::<ChoiceField>() {
                    Ok(choice) => choice,
                    Err(e) => {
                        self.error(span, format!("{key}.field"), e.message());
                        return Condition::All(Vec::new());
                    }
                };
                let mut mask = 0;
                for value in values {
                    match choice.bit_of(value) {
                        Ok(bit) => mask |= bit,
                        Err(e) => self.error(
                            span.clone(),
                            format!("{key}.{}", if negated { "not_in" } else { "in" }),
                            e.message(),
                        ),
                    }
                }
                return Condition::Choice {
                    field: choice,
                    values: values.clone(),
                    mask,
                    negated,
                };
            }
            self.error(
                span,
                key,
                Message::new("rules-error-field_shape").with("field", field.as_str()),
            );
            return Condition::All(Vec::new());
        }
        if let Some(name) = &condition.registry {
            unexpected(self, &["registry", "contains_document"]);
            let Some(contains_document) = condition.contains_document else {
                self.error(span, key, Message::new("rules-error-registry_shape"));
                return Condition::All(Vec::new());
            };
            let Some(registry) = self.registries.iter().position(|r| &r.name == name) else {
                let known: Vec<&str> = self.registries.iter().map(|r| r.name.as_str()).collect();
                self.error(
                    span,
                    format!("{key}.registry"),
                    Message::new("rules-error-unknown_registry")
                        .with("name", name.as_str())
                        .with("known", known.join(", ")),
                );
                return Condition::All(Vec::new());
            };
            return Condition::Registry {
                registry,
                contains_document,
            };
        }
        if let Some(within) = condition.sisben_within_cutoffs {
            unexpected(self, &["sisben_within_cutoffs"]);
            return Condition::SisbenWithinCutoffs(within);
        }
        if let Some(level) = condition.sisben_level {
            unexpected(self, &["sisben_level"]);
            return Condition::SisbenLevel(level);
        }
        if let Some(duplicate) = condition.duplicate_document {
            unexpected(self, &["duplicate_document"]);
            return Condition::DuplicateDocument(duplicate);
        }
        if let Some(outside) = condition.outside_call_territory {
            unexpected(self, &["outside_call_territory"]);
            return Condition::OutsideCallTerritory(outside);
        }
        if let Some(years) = condition.age_below {
            unexpected(self, &["age_below"]);
            if !(0..=150).contains(&years) {
                self.error(
                    span.clone(),
                    format!("{key}.age_below"),
                    Message::new("rules-error-age").with("value", years.to_string()),
                );
            }
            return Condition::AgeBelow(years);
        }
        self.error(
            span,
            key,
            Message::new("rules-error-not_a_condition").with("shapes", CONDITION_SHAPES),
        );
        Condition::All(Vec::new())
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> RuleSet {
        let (source, text) = SHIPPED_RULE_SETS[0];
        RuleSet::parse(source, text).expect("the shipped rule set is valid")
    }

    #[test]
    fn the_corrected_readings_are_written_with_their_articles() {
        // Art. 19.6 with several IRRs, 20.5, 40.2, 38, 43 and 6: each a [[readings]] entry.
        let rules = shipped();
        for article in [
            "Art. 19.6",
            "Art. 20.5",
            "Art. 40.2, Art. 20.2",
            "Art. 38",
            "Art. 43",
            "Art. 5, Art. 6",
        ] {
            assert!(
                rules.readings.iter().any(|r| r.article == article),
                "no reading for {article}"
            );
        }
        let arel = rules
            .lines
            .iter()
            .find(|l| l.line == ProgramLine::Arel)
            .expect("the AREL line");
        let codes: Vec<&str> = arel.rules.iter().map(|r| r.code.as_str()).collect();
        assert!(codes.contains(&"ART38_POPULATION"), "{codes:?}");
        assert!(!codes.iter().any(|c| c.starts_with("ART40_2")), "{codes:?}");
    }

    #[test]
    fn the_shipped_rule_set_parses_with_its_period_lines_and_hash() {
        let rules = shipped();
        assert_eq!(rules.id, "incoder-308-2013");
        assert_eq!(rules.effective_from, jiff::civil::date(2013, 4, 17));
        assert_eq!(rules.effective_until, Some(jiff::civil::date(2014, 12, 15)));
        assert_eq!(rules.content_hash.len(), 64);
        let general = rules.line(ProgramLine::General).expect("general line");
        assert_eq!(general.rules.len(), 15);
        assert!(rules.line(ProgramLine::Arel).is_some());
        assert_eq!(rules.registries_used().len(), 5);
        let first = &general.rules[general.rules_in_code_order[0]];
        assert_eq!(first.code, "ART10A_PRIOR", "byte order puts ART10 before ART9");
    }

    #[test]
    fn sisben_levels_follow_the_open_lower_bound() {
        let cutoffs = shipped().sisben;
        let level = |area: &str, score: &str| {
            cutoffs.level(area.parse().expect("area"), Some(score.parse().expect("score")))
        };
        assert_eq!(level("3", "0"), None);
        assert_eq!(level("3", "0.01"), Some(1));
        assert_eq!(level("3", "20"), Some(1));
        assert_eq!(level("3", "20.01"), Some(2));
        assert_eq!(level("3", "35"), Some(2));
        assert_eq!(level("3", "50"), Some(3));
        assert_eq!(level("3", "50.01"), None);
        assert_eq!(level("2", "30"), Some(1));
        assert_eq!(level("2", "40"), Some(2));
        assert_eq!(level("1", "10"), None);
        assert_eq!(cutoffs.level(SisbenArea::Rural, None), None);
    }

    fn errors_of(text: &str) -> Vec<RuleSetError> {
        RuleSet::parse("broken.toml", text)
            .expect_err("the file is broken")
            .0
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let text =
            SHIPPED_RULE_SETS[0]
                .1
                .replacen("effective_from = 2013-04-17", "effective_from = 2013-04-", 1);
        let errors = errors_of(&text);
        let line = text
            .lines()
            .position(|l| l.starts_with("effective_from"))
            .expect("line")
            + 1;
        assert_eq!(errors[0].file, "broken.toml");
        assert_eq!(errors[0].line, Some(line));
    }

    #[test]
    fn an_unknown_field_value_and_registry_are_named_with_their_line_and_key() {
        let text = SHIPPED_RULE_SETS[0]
            .1
            .replacen(
                r#"{ field = "land_tenure", not_in = ["owner"] }"#,
                r#"{ field = "land_tenure", not_in = ["owned"] }"#,
                1,
            )
            .replacen(
                r#"{ registry = "wanted", contains_document = true }"#,
                r#"{ registry = "wantd", contains_document = true }"#,
                1,
            );
        let errors = errors_of(&text);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[1].key, "lines.general.rules[3].fires_when.registry");
        assert_eq!(errors[1].message.code(), "rules-error-unknown_registry");
        assert!(format!("{:?}", errors[1].message.args()).contains("wantd"));
        assert_eq!(errors[0].key, "lines.general.rules[1].fires_when.any[0].not_in");
        assert_eq!(
            errors[0].message.code(),
            "error-unknown_value",
            "{:?}",
            errors[0].message
        );
        assert!(format!("{:?}", errors[0].message.args()).contains("owned"));
        let expected_line = text.lines().position(|l| l.contains("\"owned\"")).expect("line") + 1;
        assert_eq!(errors[0].line, Some(expected_line));
    }

    #[test]
    fn overlapping_levels_and_bad_bounds_are_rejected() {
        let text = SHIPPED_RULE_SETS[0]
            .1
            .replacen("area_3 = [20, 35]", "area_3 = [15, 35]", 1)
            .replacen(r#"lower_bound = "exclusive""#, r#"lower_bound = "open""#, 1);
        let errors = errors_of(&text);
        let has = |key: &str, code: &str, arg: &str| {
            errors.iter().any(|e| {
                e.key == key && e.message.code() == code && format!("{:?}", e.message.args()).contains(arg)
            })
        };
        assert!(
            has("sisben.lower_bound", "rules-error-bound", "\"open\""),
            "{errors:?}"
        );
        assert!(
            has("sisben.levels.area_2", "rules-error-levels_overlap", "first"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_condition_of_no_known_shape_is_explained() {
        let text =
            SHIPPED_RULE_SETS[0]
                .1
                .replacen("{ duplicate_document = true }", "{ duplicate = true }", 1);
        let errors = errors_of(&text);
        assert_eq!(errors[0].message.code(), "rules-error-toml", "{errors:?}");
        assert!(format!("{:?}", errors[0].message.args()).contains("unknown field `duplicate`"));
    }

    #[test]
    fn rule_books_pick_the_set_in_force() {
        let book = RuleBook::shipped().expect("shipped");
        assert_eq!(
            book.in_force_on(jiff::civil::date(2013, 6, 1))
                .map(|s| s.id.as_str()),
            Some("incoder-308-2013")
        );
        assert!(book.in_force_on(jiff::civil::date(2026, 1, 1)).is_none());
        let (set, choice) = book.for_budget_year(2013).expect("the 2013 budget");
        assert_eq!(
            (set.id.as_str(), choice),
            ("incoder-308-2013", YearChoice::FirstInForceDuringYear)
        );
        assert_eq!(
            book.for_budget_year(2014).map(|(_, c)| c),
            Some(YearChoice::InForceOnJanuary1)
        );
        assert!(book.for_budget_year(2015).is_none());
        let mut twice = book.clone();
        assert!(twice.add(shipped()).is_err());
    }
}
