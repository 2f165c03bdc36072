//! Results frameworks: objectives, results, indicators, measurements and their advance, and
//! the project card that the public portal and donors read.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::awarded_project::{AwardReference, ProjectStatus};
use crate::message::Message;
use crate::money::Currency;
use crate::text_enum::text_enum;

text_enum! {
    /// The unit an indicator is measured in.
    pub enum IndicatorUnit ("indicator unit") {
        Number = "number",
        Kilometres = "km",
        Hectares = "ha",
        Percent = "%",
        Cop = "COP",
        Eur = "EUR",
    }
}

text_enum! {
    /// Where a project or an indicator stands.
    pub enum ExecutionStatus ("execution status") {
        Planned = "planned",
        InExecution = "in_execution",
        Achieved = "achieved",
        Closed = "closed",
    }
}

text_enum! {
    /// A measurement counts only once an officer approves it.
    pub enum MeasurementStatus ("measurement status") {
        Submitted = "submitted",
        Approved = "approved",
        Returned = "returned",
    }
}

text_enum! {
    /// The part a partner plays in a project.
    pub enum PartnerRole ("partner role") {
        AdvocatePartner = "advocate_partner",
        LocalPartner = "local_partner",
        Funder = "funder",
    }
}

text_enum! {
    /// Whose money a funding line is, as a donor reads the card: a donor's (external
    /// cooperation: the European Union), the institute's (the program's co-financing, Acuerdo
    /// 308 de 2013) or the counterpart's (the families, the partners, the territorial
    /// governments). Every one is a funder in IATI's terms (`OrganisationRole` 1).
    pub enum FundingRole ("funding role") {
        Donor = "donor",
        Institute = "institute",
        Counterpart = "counterpart",
    }
}

text_enum! {
    /// The language a project's own texts (title, description, objectives) are written in: a
    /// donor's card may be in English. Results and indicators are the program's, in Spanish.
    #[derive(Default)]
    pub enum ContentLanguage ("language") {
        #[default]
        Spanish = "es",
        English = "en",
    }
}

/// Money a named organisation puts into a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingLine {
    /// The organisation's name ("Unión Europea", "Incoder"), never a heading.
    pub source: String,
    pub role: FundingRole,
    pub currency: Currency,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub name: String,
    pub role: PartnerRole,
}

/// A result of the chain: what the project delivers (output) or changes (outcome, impact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultArea {
    pub position: i32,
    pub kind: ResultKind,
    pub title: String,
    /// The specific objective it serves (1-based), if any.
    pub objective: Option<i32>,
}

/// An indicator with its latest approved measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorProgress {
    pub number: i32,
    pub name: String,
    pub unit: IndicatorUnit,
    pub baseline: Decimal,
    pub baseline_date: Option<Date>,
    pub goal: Decimal,
    pub higher_is_better: bool,
    pub by_sex: bool,
    pub status: ExecutionStatus,
    pub featured: bool,
    /// The result (its position) the indicator measures, if any.
    pub result: Option<i32>,
    /// Indicators with the same key add up across projects (e.g. `roads_km`).
    pub rollup_key: Option<String>,
    /// The latest approved measurement; the baseline when there is none.
    pub current_value: Decimal,
    pub current_women: Option<Decimal>,
    pub current_men: Option<Decimal>,
    pub last_update: Option<Date>,
    /// floor(100 × current / goal).
    pub advance_percent: Option<u32>,
}

/// A document of a project that anybody may download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectDocument {
    pub id: i32,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// Everything the project card shows (the EU Trust Fund card is the model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectCard {
    pub code: String,
    /// The language of the title, subtitle, tagline, description and objectives.
    pub language: ContentLanguage,
    pub title: String,
    pub subtitle: String,
    pub tagline: String,
    pub period_start: Date,
    pub period_end: Date,
    pub description: String,
    pub peace_contribution: String,
    pub general_objective: String,
    pub specific_objectives: Vec<String>,
    pub results: Vec<ResultArea>,
    /// Read from the records (`awarded_project::project_status`).
    pub status: ProjectStatus,
    /// The resolution that opened it, when an award did.
    pub award: Option<AwardReference>,
    pub value_chains: Vec<String>,
    pub funding: Vec<FundingLine>,
    /// Totals by currency: EUR and COP are never added together.
    pub totals: BTreeMap<Currency, Decimal>,
    pub indicators: Vec<IndicatorProgress>,
    pub partners: Vec<Partner>,
    /// DANE codes of the municipalities covered.
    pub municipalities: Vec<String>,
    pub documents: Vec<ProjectDocument>,
    /// When the card last changed (an approved measurement, an edit).
    pub updated_at: jiff::Timestamp,
}

/// An approved measurement as it is published: no reviewer, no submitter, no evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedMeasurement {
    pub project_code: String,
    pub indicator_number: i32,
    pub measured_on: Date,
    pub value: Decimal,
    pub value_women: Option<Decimal>,
    pub value_men: Option<Decimal>,
    pub source: Option<String>,
}

/// Advance = floor(100 × current / goal), in whole percent; none without a positive goal.
pub fn advance_percent(current: Decimal, goal: Decimal) -> Option<u32> {
    if goal <= Decimal::ZERO {
        return None;
    }
    let ratio = (current * Decimal::ONE_HUNDRED / goal).floor();
    ratio.max(Decimal::ZERO).to_u32()
}

text_enum! {
    /// The level of a result in the chain (IATI result types 1, 2 and 3).
    pub enum ResultKind ("result kind") {
        Output = "output",
        Outcome = "outcome",
        Impact = "impact",
    }
}

impl ResultKind {
    /// The IATI 2.03 ResultType code.
    pub fn iati_code(self) -> u8 {
        match self {
            ResultKind::Output => 1,
            ResultKind::Outcome => 2,
            ResultKind::Impact => 3,
        }
    }
}

impl IndicatorUnit {
    /// Whether values add up across projects and sexes (a percentage does not).
    pub fn is_additive(self) -> bool {
        !matches!(self, IndicatorUnit::Percent)
    }
}

/// A measurement as an officer submits it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasurementDraft {
    pub measured_on: Date,
    pub value: Decimal,
    pub value_women: Option<Decimal>,
    pub value_men: Option<Decimal>,
}

/// What is wrong with a measurement or an indicator, by field, so a form can show it beside
/// the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldProblem {
    pub field: &'static str,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Problem {
    #[error("{value} is negative; a value in {unit} cannot be")]
    Negative { value: Decimal, unit: IndicatorUnit },
    #[error("{value} is more than 100 %")]
    OverHundredPercent { value: Decimal },
    #[error("the date {date} is in the future (today is {today})")]
    FutureDate { date: Date, today: Date },
    #[error("women ({women}) and men ({men}) add up to more than the total {total}")]
    SexesExceedTotal {
        women: Decimal,
        men: Decimal,
        total: Decimal,
    },
    #[error("the goal must be more than zero, not {value}")]
    GoalNotPositive { value: Decimal },
}

impl Problem {
    /// The problem as a message of the catalogue.
    pub fn message(&self) -> Message {
        match self {
            Problem::Negative { value, unit } => Message::new("monitoring-error-negative")
                .with("value", value)
                .with_term("unit", unit.message_id()),
            Problem::OverHundredPercent { value } => {
                Message::new("monitoring-error-over_hundred").with("value", value)
            }
            Problem::FutureDate { date, today } => Message::new("monitoring-error-future_date")
                .with("date", *date)
                .with("today", *today),
            Problem::SexesExceedTotal { women, men, total } => {
                Message::new("monitoring-error-sexes_exceed_total")
                    .with("women", women)
                    .with("men", men)
                    .with("total", total)
            }
            Problem::GoalNotPositive { value } => {
                Message::new("monitoring-error-goal_not_positive").with("value", value)
            }
        }
    }
}

impl IndicatorUnit {
    /// The catalogue's name of the unit (`%` is spelled `percent` in identifiers).
    pub fn message_id(self) -> String {
        format!("monitoring-unit-{}", self.as_str().replace('%', "percent"))
    }
}

fn check_value(field: &'static str, value: Decimal, unit: IndicatorUnit, problems: &mut Vec<FieldProblem>) {
    let problem = if value < Decimal::ZERO {
        Some(Problem::Negative { value, unit })
    } else if unit == IndicatorUnit::Percent && value > Decimal::ONE_HUNDRED {
        Some(Problem::OverHundredPercent { value })
    } else {
        None
    };
    if let Some(problem) = problem {
        problems.push(FieldProblem { field, problem });
    }
}

impl MeasurementDraft {
    /// Checks a measurement of an indicator in `unit` on `today`; every problem is returned.
    pub fn validate(&self, unit: IndicatorUnit, today: Date) -> Result<(), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        if self.measured_on > today {
            problems.push(FieldProblem {
                field: "measured_on",
                problem: Problem::FutureDate {
                    date: self.measured_on,
                    today,
                },
            });
        }
        check_value("value", self.value, unit, &mut problems);
        for (field, part) in [("value_women", self.value_women), ("value_men", self.value_men)] {
            if let Some(part) = part {
                check_value(field, part, unit, &mut problems);
            }
        }
        if let (Some(women), Some(men)) = (self.value_women, self.value_men)
            && unit.is_additive()
            && women + men > self.value
        {
            problems.push(FieldProblem {
                field: "value",
                problem: Problem::SexesExceedTotal {
                    women,
                    men,
                    total: self.value,
                },
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Checks an indicator's baseline and goal.
pub fn validate_targets(
    unit: IndicatorUnit,
    baseline: Decimal,
    goal: Decimal,
) -> Result<(), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    check_value("baseline", baseline, unit, &mut problems);
    if goal <= Decimal::ZERO {
        problems.push(FieldProblem {
            field: "goal",
            problem: Problem::GoalNotPositive { value: goal },
        });
    } else {
        check_value("goal", goal, unit, &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn advance_matches_the_project_card() {
        assert_eq!(advance_percent(dec!(1), dec!(3)), Some(33));
        assert_eq!(advance_percent(dec!(239), dec!(500)), Some(47));
        assert_eq!(advance_percent(dec!(224), dec!(500)), Some(44));
        assert_eq!(advance_percent(dec!(1), dec!(8)), Some(12));
        assert_eq!(advance_percent(dec!(13.2), dec!(94)), Some(14));
        assert_eq!(advance_percent(dec!(0), dec!(450)), Some(0));
    }

    #[test]
    fn advance_needs_a_positive_goal_and_may_pass_100() {
        assert_eq!(advance_percent(dec!(1), dec!(0)), None);
        assert_eq!(advance_percent(dec!(12), dec!(8)), Some(150));
    }

    fn draft(value: Decimal, women: Option<Decimal>, men: Option<Decimal>) -> MeasurementDraft {
        MeasurementDraft {
            measured_on: jiff::civil::date(2022, 9, 30),
            value,
            value_women: women,
            value_men: men,
        }
    }

    const TODAY: Date = jiff::civil::date(2026, 11, 21);

    #[test]
    fn a_measurement_of_today_with_its_sexes_is_accepted() {
        let mut today = draft(dec!(239), Some(dec!(120)), Some(dec!(119)));
        today.measured_on = TODAY;
        assert_eq!(today.validate(IndicatorUnit::Number, TODAY), Ok(()));
    }

    #[test]
    fn negative_kilometres_and_future_dates_are_refused_together() {
        let mut bad = draft(dec!(-3), None, None);
        bad.measured_on = jiff::civil::date(2026, 11, 22);
        let problems = bad
            .validate(IndicatorUnit::Kilometres, TODAY)
            .expect_err("refused");
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["measured_on", "value"]);
        assert_eq!(
            problems[1].to_string(),
            "value: -3 is negative; a value in km cannot be"
        );
    }

    #[test]
    fn sexes_may_not_exceed_the_total_unless_it_is_a_percentage() {
        let over = draft(dec!(10), Some(dec!(6)), Some(dec!(5)));
        assert!(matches!(
            over.validate(IndicatorUnit::Number, TODAY).expect_err("refused")[0].problem,
            Problem::SexesExceedTotal { .. }
        ));
        assert_eq!(over.validate(IndicatorUnit::Percent, TODAY), Ok(()));
        let over_hundred = draft(dec!(100.5), None, None);
        assert!(matches!(
            over_hundred
                .validate(IndicatorUnit::Percent, TODAY)
                .expect_err("refused")[0]
                .problem,
            Problem::OverHundredPercent { .. }
        ));
    }

    #[test]
    fn a_goal_must_be_positive() {
        let problems = validate_targets(IndicatorUnit::Kilometres, dec!(0), dec!(0)).expect_err("refused");
        assert_eq!(problems[0].field, "goal");
        assert!(validate_targets(IndicatorUnit::Kilometres, dec!(-1), dec!(94)).is_err());
        assert_eq!(
            validate_targets(IndicatorUnit::Kilometres, dec!(0), dec!(94)),
            Ok(())
        );
    }
}
