//! The monitored project that an award opens (Art. 27): its period, funding and results
//! framework derived from the approved formulation, and its status read from the records.
//!
//! Indicator names and funding sources are the project's record, written in Spanish like the
//! resolution; everything else a page shows about them comes from the catalogue.

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::finance::cofinancing::CofinancingSplit;
use crate::finance::evaluation::FamilyIncome;
use crate::finance::formulation::{Formulation, Funder};
use crate::finance::rules::IncomePeriod;
use crate::money::Currency;
use crate::monitoring::{ExecutionStatus, FundingLine, FundingRole, IndicatorUnit, ResultKind};

/// The institute whose co-financing Acuerdo 308 de 2013 rules, as its funding lines name it.
pub const INSTITUTE_NAME: &str = "Instituto Colombiano de Desarrollo Rural (Incoder)";
/// The counterpart of the families who carry out the project (Art. 20).
pub const FAMILIES_NAME: &str = "Familias beneficiarias";
use crate::text_enum::text_enum;

text_enum! {
    /// Where a project stands, as its records say (`project_status`).
    pub enum ProjectStatus ("project status") {
        Planned = "planned",
        /// Adjudicado: the resolution is issued, nothing paid yet.
        Awarded = "awarded",
        /// En ejecución: paid (Art. 32-33) and within its period.
        InExecution = "in_execution",
        /// Terminado, pendiente de cierre: its period is over.
        Ended = "ended",
        Closed = "closed",
    }
}

impl ProjectStatus {
    /// Its identifier in the catalogue.
    pub fn message_id(self) -> String {
        format!("project_status-{}", self.as_str())
    }
}

/// The resolution that opened a project (Art. 27), as its card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardReference {
    pub number: String,
    pub awarded_on: Date,
    /// The formulation awarded: the staff follow it to the procedure.
    pub formulation_id: i32,
    /// The call whose public page lists the resolution (Art. 46), if the formulation has one.
    pub call_id: Option<i32>,
    /// The money that followed (Art. 29 par., 33, 34): what the award committed, the single
    /// disbursement and what the controlled account's payments executed. Amounts in COP; no
    /// supplier and no family.
    pub flow: MoneyFlow,
}

/// Committed, disbursed and executed, with their dates, as the public card and IATI give them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MoneyFlow {
    /// The institute's contribution the award committed, on the award's date.
    pub committed: rust_decimal::Decimal,
    pub disbursed: Option<rust_decimal::Decimal>,
    pub disbursed_on: Option<Date>,
    /// What the payments of the controlled account spent, in all.
    pub executed: rust_decimal::Decimal,
    /// The payments added up by date, in date order.
    pub expenditures: Vec<(Date, rust_decimal::Decimal)>,
    /// Physical progress in percent from the supervision visits (Art. 34), once a plan is kept.
    pub physical: Option<rust_decimal::Decimal>,
    /// The date of the act of closure, once closed.
    pub closed_on: Option<Date>,
}

/// What a project's status is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFacts {
    /// The status kept on the project row (the demo's and imported projects say it; an
    /// awarded project keeps `planned` until it is closed).
    pub recorded: ExecutionStatus,
    /// Whether an award opened it.
    pub awarded: bool,
    /// Whether the award's single payment is registered.
    pub paid: bool,
    pub period_end: Date,
    pub today: Date,
}

/// The status the records give: closed when closed; ended once the period is over (nothing
/// reads "in execution" past its end date); an awarded project is awarded until it is paid,
/// then in execution; any other keeps what was recorded (achieved goals await closure: ended).
pub fn project_status(facts: StatusFacts) -> ProjectStatus {
    if facts.recorded == ExecutionStatus::Closed {
        return ProjectStatus::Closed;
    }
    if facts.today > facts.period_end {
        return ProjectStatus::Ended;
    }
    if facts.awarded {
        return if facts.paid {
            ProjectStatus::InExecution
        } else {
            ProjectStatus::Awarded
        };
    }
    match facts.recorded {
        ExecutionStatus::Planned => ProjectStatus::Planned,
        ExecutionStatus::InExecution => ProjectStatus::InExecution,
        ExecutionStatus::Achieved => ProjectStatus::Ended,
        ExecutionStatus::Closed => ProjectStatus::Closed,
    }
}

/// The status on `today` of a project whose records gave `before_end` before its period's
/// end (what `project_status` gives with `today` at the end): once the period is over, a
/// project not closed is ended. A stored summary keeps `before_end`, so the day is read late.
pub fn status_on(before_end: ProjectStatus, period_end: Date, today: Date) -> ProjectStatus {
    if before_end != ProjectStatus::Closed && today > period_end {
        ProjectStatus::Ended
    } else {
        before_end
    }
}

/// The award's figures the project starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwardFigures {
    pub awarded_on: Date,
    pub institute_contribution: Decimal,
    pub counterpart: Decimal,
}

/// The sex of the beneficiary families' heads, as registered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadsBySex {
    pub women: usize,
    pub men: usize,
    /// Families not in the register, or with the head's sex not given.
    pub unknown: usize,
}

/// An indicator of the derived results framework, with its baseline (0 at the award: nothing
/// is produced by the project yet) and its goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedIndicator {
    pub number: i32,
    pub name: String,
    pub unit: IndicatorUnit,
    pub baseline: Decimal,
    pub goal: Decimal,
    pub by_sex: bool,
    /// The result (1-based) it measures.
    pub result: i32,
    pub rollup_key: Option<String>,
}

/// A result of the derived framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedResult {
    pub kind: ResultKind,
    pub title: String,
}

/// The project an award opens, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectPlan {
    pub period_start: Date,
    pub period_end: Date,
    pub execution_months: u16,
    pub value_chains: Vec<String>,
    pub funding: Vec<FundingLine>,
    pub results: Vec<PlannedResult>,
    pub indicators: Vec<PlannedIndicator>,
}

/// Months of execution: the operating plan's last month (Art. 19.8), else the last month of a
/// budget line, else twelve.
pub fn execution_months(formulation: &Formulation) -> u16 {
    let scheduled = formulation
        .frame
        .components
        .schedule
        .activities
        .iter()
        .map(|a| a.end_month)
        .max();
    let budgeted = formulation.budget.iter().filter_map(|l| l.month).max();
    scheduled.or(budgeted).filter(|m| *m > 0).unwrap_or(12)
}

/// The last day of a period of `months` that starts on `start`.
pub fn period_end(start: Date, months: u16) -> Date {
    start
        .checked_add(i64::from(months).months())
        .and_then(|d| d.checked_sub(1.day()))
        .unwrap_or(start)
}

fn is_hectares(unit: &str) -> bool {
    let unit = unit.trim().to_lowercase();
    unit == "ha" || unit.starts_with("hectárea") || unit.starts_with("hectarea")
}

/// Derives the project an award opens from the approved version: the period from the award's
/// date and the months of execution; funding from the award (institute, counterpart) with the
/// other funders of the split carved out of the counterpart; and four indicators: families
/// benefited (by sex of the head when every head's sex is known), area under production,
/// yearly production of each activity in full production, and net income per family as the
/// evaluation gives it. An indicator whose goal would be zero is left out (a goal is positive).
pub fn plan(
    formulation: &Formulation,
    award: AwardFigures,
    split: Option<&CofinancingSplit>,
    income: Option<&FamilyIncome>,
    heads: HeadsBySex,
) -> ProjectPlan {
    let months = execution_months(formulation);
    let mut value_chains: Vec<String> = formulation
        .production
        .iter()
        .map(|a| a.name.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    value_chains.dedup();

    let others: Vec<(String, Decimal)> = split
        .map(|s| {
            s.by_funder
                .iter()
                .filter_map(|share| match &share.funder {
                    Funder::Other(name) if share.total > Decimal::ZERO => Some((name.clone(), share.total)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let others_total: Decimal = others.iter().map(|(_, amount)| *amount).sum();
    let families_share = if others_total <= award.counterpart {
        award.counterpart - others_total
    } else {
        award.counterpart
    };
    let cop = |source: &str, role: FundingRole, amount: Decimal| FundingLine {
        source: source.to_owned(),
        role,
        currency: Currency::Cop,
        amount,
    };
    let mut funding = vec![
        cop(
            INSTITUTE_NAME,
            FundingRole::Institute,
            award.institute_contribution,
        ),
        cop(FAMILIES_NAME, FundingRole::Counterpart, families_share),
    ];
    if others_total <= award.counterpart {
        funding.extend(
            others
                .iter()
                .map(|(name, amount)| cop(name, FundingRole::Counterpart, *amount)),
        );
    }

    let results = vec![
        PlannedResult {
            kind: ResultKind::Output,
            title: "Familias beneficiadas con el proyecto productivo establecido".to_owned(),
        },
        PlannedResult {
            kind: ResultKind::Outcome,
            title: "Producción e ingresos de las familias en pleno desarrollo".to_owned(),
        },
    ];

    let mut indicators = Vec::new();
    let mut push =
        |name: String, unit: IndicatorUnit, goal: Decimal, by_sex: bool, result: i32, key: Option<&str>| {
            if goal > Decimal::ZERO {
                indicators.push(PlannedIndicator {
                    number: indicators.len() as i32 + 1,
                    name,
                    unit,
                    baseline: Decimal::ZERO,
                    goal,
                    by_sex,
                    result,
                    rollup_key: key.map(str::to_owned),
                });
            }
        };
    let families = formulation.frame.households.len();
    let by_sex = families > 0 && heads.unknown == 0 && heads.women + heads.men == families;
    push(
        "Familias beneficiadas (por sexo de la jefatura del hogar)".to_owned(),
        IndicatorUnit::Number,
        Decimal::from(families as u64),
        by_sex,
        1,
        Some("families_benefited"),
    );
    let area: Decimal = formulation
        .production
        .iter()
        .filter(|a| is_hectares(&a.unit))
        .filter_map(|a| {
            a.years
                .iter()
                .filter(|y| y.year <= a.full_production_year)
                .max_by_key(|y| y.year)
                .map(|y| y.units)
        })
        .sum();
    push(
        "Área en producción".to_owned(),
        IndicatorUnit::Hectares,
        area,
        false,
        1,
        Some("area_in_production_ha"),
    );
    for activity in &formulation.production {
        let full = activity
            .years
            .iter()
            .find(|y| y.year == activity.full_production_year)
            .or_else(|| activity.years.iter().max_by_key(|y| y.year));
        let Some(year) = full else { continue };
        let product = if activity.product_unit.trim().is_empty() {
            activity.unit.trim()
        } else {
            activity.product_unit.trim()
        };
        push(
            format!("Producción anual de {} ({product})", activity.name.trim()),
            IndicatorUnit::Number,
            year.units * year.yield_per_unit,
            false,
            2,
            None,
        );
    }
    if let Some(income) = income {
        let period = match income.period {
            IncomePeriod::Month => "mensual",
            IncomePeriod::Year => "anual",
        };
        push(
            format!("Ingreso neto por familia ({period}, año {})", income.year),
            IndicatorUnit::Cop,
            income.per_family.round_dp(0),
            false,
            2,
            None,
        );
    }
    ProjectPlan {
        period_start: award.awarded_on,
        period_end: period_end(award.awarded_on, months),
        execution_months: months,
        value_chains,
        funding,
        results,
        indicators,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    #[test]
    fn a_stored_status_reads_ended_past_the_period_unless_closed() {
        let end = date(2026, 6, 30);
        let status = |before_end, today| status_on(before_end, end, today);
        assert_eq!(
            status(ProjectStatus::InExecution, date(2026, 6, 30)),
            ProjectStatus::InExecution
        );
        assert_eq!(
            status(ProjectStatus::InExecution, date(2026, 7, 1)),
            ProjectStatus::Ended
        );
        assert_eq!(
            status(ProjectStatus::Awarded, date(2026, 7, 1)),
            ProjectStatus::Ended
        );
        assert_eq!(
            status(ProjectStatus::Closed, date(2027, 1, 1)),
            ProjectStatus::Closed
        );
    }

    const COCOA: &str = include_str!("../../../examples/cacao-tumaco.toml");

    fn cocoa() -> Formulation {
        toml::from_str(COCOA).expect("the worked example")
    }

    fn facts(recorded: ExecutionStatus, awarded: bool, paid: bool, today: Date) -> StatusFacts {
        StatusFacts {
            recorded,
            awarded,
            paid,
            period_end: date(2024, 12, 31),
            today,
        }
    }

    #[test]
    fn status_follows_the_records() {
        let within = date(2024, 6, 1);
        let after = date(2025, 1, 1);
        use ExecutionStatus::*;
        assert_eq!(
            project_status(facts(Planned, true, false, within)),
            ProjectStatus::Awarded
        );
        assert_eq!(
            project_status(facts(Planned, true, true, within)),
            ProjectStatus::InExecution
        );
        assert_eq!(
            project_status(facts(Planned, true, true, after)),
            ProjectStatus::Ended
        );
        assert_eq!(
            project_status(facts(Closed, true, true, after)),
            ProjectStatus::Closed
        );
        assert_eq!(
            project_status(facts(InExecution, false, false, after)),
            ProjectStatus::Ended,
            "the seed's project ended in December 2024"
        );
        assert_eq!(
            project_status(facts(InExecution, false, false, date(2024, 12, 31))),
            ProjectStatus::InExecution,
            "the last day is within"
        );
        assert_eq!(
            project_status(facts(Achieved, false, false, within)),
            ProjectStatus::Ended
        );
        assert_eq!(
            project_status(facts(Planned, false, false, within)),
            ProjectStatus::Planned
        );
    }

    #[test]
    fn nothing_is_in_execution_past_its_end() {
        for recorded in ExecutionStatus::ALL {
            for (awarded, paid) in [(false, false), (true, false), (true, true)] {
                let status = project_status(facts(*recorded, awarded, paid, date(2025, 1, 1)));
                assert_ne!(status, ProjectStatus::InExecution);
            }
        }
    }

    #[test]
    fn the_period_runs_from_the_award_for_the_months_of_execution() {
        let cocoa = cocoa();
        assert_eq!(execution_months(&cocoa), 24);
        assert_eq!(period_end(date(2013, 10, 15), 24), date(2015, 10, 14));
        assert_eq!(period_end(date(2024, 1, 31), 1), date(2024, 2, 28));
        let mut bare = cocoa.clone();
        bare.frame.components.schedule.activities.clear();
        bare.budget.retain(|l| l.month.is_none());
        assert_eq!(execution_months(&bare), 12);
    }

    #[test]
    fn the_plan_derives_funding_and_indicators_from_the_formulation() {
        let cocoa = cocoa();
        let award = AwardFigures {
            awarded_on: date(2013, 10, 15),
            institute_contribution: dec!(150000000),
            counterpart: dec!(90000000),
        };
        let heads = HeadsBySex {
            women: 12,
            men: 8,
            unknown: 0,
        };
        let plan = plan(&cocoa, award, None, None, heads);
        assert_eq!(plan.period_end, date(2015, 10, 14));
        assert_eq!(
            plan.funding.iter().map(|f| f.amount).collect::<Vec<_>>(),
            [dec!(150000000), dec!(90000000)]
        );
        let families = &plan.indicators[0];
        assert_eq!(
            (families.goal, families.by_sex, families.unit),
            (dec!(20), true, IndicatorUnit::Number)
        );
        let area = &plan.indicators[1];
        assert_eq!(
            (area.unit, area.goal),
            (IndicatorUnit::Hectares, dec!(120)),
            "60 ha of cocoa and 60 of plantain"
        );
        let cocoa_output = &plan.indicators[2];
        assert_eq!(cocoa_output.goal, dec!(51000), "60 ha x 850 kg in year 5");
        assert!(
            plan.indicators
                .iter()
                .all(|i| i.baseline == Decimal::ZERO && i.goal > Decimal::ZERO)
        );
        let numbers: Vec<i32> = plan.indicators.iter().map(|i| i.number).collect();
        assert_eq!(numbers, (1..=plan.indicators.len() as i32).collect::<Vec<_>>());

        let unknown = plan_with_unknown_heads(&cocoa, award);
        assert!(
            !unknown.indicators[0].by_sex,
            "not by sex while a head's sex is unknown"
        );
    }

    fn plan_with_unknown_heads(cocoa: &Formulation, award: AwardFigures) -> ProjectPlan {
        plan(
            cocoa,
            award,
            None,
            None,
            HeadsBySex {
                women: 1,
                men: 0,
                unknown: 19,
            },
        )
    }

    #[test]
    fn other_funders_of_the_split_come_out_of_the_counterpart() {
        let cocoa = cocoa();
        let rules = crate::rules::RuleBook::shipped().expect("rules");
        let financial = rules
            .get("incoder-308-2013")
            .and_then(|s| s.financial.as_ref())
            .expect("financial rules");
        let split = crate::finance::cofinancing::split(&cocoa, financial).expect("split");
        let evaluation = crate::finance::evaluation::evaluate(&cocoa, financial).expect("evaluation");
        let award = AwardFigures {
            awarded_on: date(2013, 10, 15),
            institute_contribution: split.contribution,
            counterpart: split.counterpart,
        };
        let plan = plan(
            &cocoa,
            award,
            Some(&split),
            Some(&evaluation.family_income),
            HeadsBySex::default(),
        );
        let sources: Vec<&str> = plan.funding.iter().map(|f| f.source.as_str()).collect();
        assert_eq!(sources, [INSTITUTE_NAME, FAMILIES_NAME, "Alcaldía de Tumaco"]);
        let total: Decimal = plan.funding.iter().map(|f| f.amount).sum();
        assert_eq!(total, split.contribution + split.counterpart);
        assert_eq!(plan.funding[2].amount, dec!(12000000));
        let income = plan.indicators.last().expect("income");
        assert_eq!(income.unit, IndicatorUnit::Cop);
        assert_eq!(income.goal, evaluation.family_income.per_family.round_dp(0));
    }
}
