//! Benchmarks and accuracy checks of the financial engine, driven by `bench/finance/run`.
//!
//! ```text
//! cargo run --release -p vereda-domain --example finance_bench -- irr FLOWS.f64 YEARS [REFERENCE.f64 ...]
//! cargo run --release -p vereda-domain --example finance_bench -- accuracy ACCURACY.csv
//! cargo run --release -p vereda-domain --example finance_bench -- evaluate COUNT
//! cargo run --release -p vereda-domain --example finance_bench -- breakdown COUNT
//! ```
//!
//! `irr` reads flows as little-endian f64 rows of YEARS values, times `irr_f64` over all of
//! them (median of 5 runs) and compares with reference IRRs (NaN = none). `accuracy` checks a
//! CSV written by `bench/finance/accuracy.py` (numpy-financial) to 1e-9. `evaluate` builds
//! COUNT seeded random projects (10-year horizon) and times their full evaluation: cash flow,
//! IRR, NPV, B/C, income, verdict, the rule set's six sensitivity cases, both switching values,
//! and the co-financing split (median of 5 runs); `breakdown` times those parts apart. Output
//! lines are `key=value`.

use std::process::ExitCode;
use std::time::Instant;

use rust_decimal::Decimal;
use vereda_domain::finance::formulation::{Components, Frame};
use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{
    AccompanimentPlan, Activity, ActivityYear, BudgetLine, CashFlow, EmploymentInitiative, Evaluator,
    ExpenseCategory, Formulation, Funder, Irr, ParticipatingHousehold, TechnicalAssistanceCost, irr_f64,
    npv_f64, split,
};

const RUNS: usize = 5;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("irr") => irr_mode(&args[1..]),
        Some("accuracy") => accuracy_mode(&args[1..]),
        Some("evaluate") => evaluate_mode(&args[1..]),
        Some("breakdown") => breakdown_mode(&args[1..]),
        _ => Err(
            "usage: finance_bench irr FLOWS.f64 YEARS [REF.f64...] | accuracy CSV | evaluate COUNT | breakdown COUNT"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("finance_bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn read_f64s(path: &str) -> Result<Vec<f64>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() % 8 != 0 {
        return Err(format!("{path}: length {} is not a multiple of 8", bytes.len()));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn irr_mode(args: &[String]) -> Result<(), String> {
    let [path, years, references @ ..] = args else {
        return Err("irr needs FLOWS.f64 YEARS".into());
    };
    let years: usize = years.parse().map_err(|e| format!("YEARS: {e}"))?;
    let data = read_f64s(path)?;
    let flows: Vec<&[f64]> = data.chunks_exact(years).collect();
    let mut ours = vec![f64::NAN; flows.len()];
    let mut seconds = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        for (slot, flow) in ours.iter_mut().zip(&flows) {
            *slot = match irr_f64(flow) {
                Irr::Unique(rate) => rate,
                Irr::None => f64::NAN,
                // The root nearest zero, as numpy-financial reports it.
                Irr::Several(rates) => rates.iter().copied().fold(f64::NAN, |best, r| {
                    if best.is_nan() || r.abs() < best.abs() {
                        r
                    } else {
                        best
                    }
                }),
            };
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    let median_seconds = median(seconds);
    println!("irr_flows={}", flows.len());
    println!("irr_seconds={median_seconds:.4}");
    println!("irr_ns_per_flow={:.1}", median_seconds * 1e9 / flows.len() as f64);
    for reference in references {
        let theirs = read_f64s(reference)?;
        let (mut max_diff, mut mismatched_none) = (0.0f64, 0usize);
        for (a, b) in ours.iter().zip(&theirs) {
            match (a.is_nan(), b.is_nan()) {
                (false, false) => max_diff = max_diff.max((a - b).abs()),
                (true, true) => {}
                _ => mismatched_none += 1,
            }
        }
        let name = std::path::Path::new(reference)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("reference");
        println!("max_abs_diff_vs_{name}={max_diff:e}");
        println!("none_mismatches_vs_{name}={mismatched_none}");
    }
    Ok(())
}

fn accuracy_mode(args: &[String]) -> Result<(), String> {
    let [path] = args else {
        return Err("accuracy needs a CSV".into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let report = check_accuracy(&text)?;
    println!("accuracy_flows={}", report.flows);
    println!("accuracy_max_irr_abs_diff={:e}", report.max_irr_diff);
    println!("accuracy_max_npv_rel_diff={:e}", report.max_npv_rel);
    println!("accuracy_failures={}", report.failures);
    if report.failures > 0 {
        return Err(format!(
            "{} flows disagree with numpy-financial beyond 1e-9",
            report.failures
        ));
    }
    Ok(())
}

struct AccuracyReport {
    flows: usize,
    max_irr_diff: f64,
    max_npv_rel: f64,
    failures: usize,
}

/// The same check as `tests/finance_accuracy.rs`: IRR to 1e-9 absolute, NPV to 1e-9
/// relative (to the size of its terms when the NPV itself nearly cancels).
fn check_accuracy(text: &str) -> Result<AccuracyReport, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut report = AccuracyReport {
        flows: 0,
        max_irr_diff: 0.0,
        max_npv_rel: 0.0,
        failures: 0,
    };
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let field = |i: usize| record.get(i).unwrap_or("").to_owned();
        let number = |i: usize| {
            field(i)
                .parse::<f64>()
                .map_err(|e| format!("{:?}: {e}", field(i)))
        };
        let (rate, npv_expected, irr_expected) = (number(1)?, number(2)?, number(3)?);
        let flows: Vec<f64> = field(4)
            .split(' ')
            .map(|v| v.parse::<f64>().map_err(|e| format!("{v:?}: {e}")))
            .collect::<Result<_, _>>()?;
        report.flows += 1;
        let irr_diff = match irr_f64(&flows) {
            Irr::Unique(ours) => (ours - irr_expected).abs(),
            _ => f64::INFINITY,
        };
        let npv_ours = npv_f64(rate, &flows);
        let x = 1.0 / (1.0 + rate);
        let size = flows.iter().rev().fold(0.0, |acc, c| acc * x + c.abs());
        let npv_rel = (npv_ours - npv_expected).abs() / npv_expected.abs().max(1e-6 * size);
        report.max_irr_diff = report.max_irr_diff.max(irr_diff);
        report.max_npv_rel = report.max_npv_rel.max(npv_rel);
        if irr_diff > 1e-9 || npv_rel > 1e-9 {
            report.failures += 1;
        }
    }
    Ok(report)
}

/// xorshift64*: reproducible projects without a random-number crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next()
    }

    fn pesos(&mut self, low: f64, high: f64) -> Decimal {
        Decimal::from(self.between(low, high).round() as i64)
    }

    fn count(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() * (high - low + 1) as f64) as usize % (high - low + 1)
    }
}

/// A random project of ten years: 5-30 families, 1-3 activities, 4-9 budget lines, technical
/// assistance outside the budget in years 1-5.
fn random_project(rng: &mut Rng, index: usize) -> Formulation {
    use ExpenseCategory::*;
    let families = rng.count(5, 30);
    let households = (0..families)
        .map(|i| ParticipatingHousehold {
            id: format!("{index}-{i}"),
            max_pct: Decimal::from(*[60, 80, 90].get(rng.count(0, 2)).unwrap_or(&90)),
            cap_smmlv: Decimal::from(if rng.next() < 0.2 { 24 } else { 20 }),
            ..Default::default()
        })
        .collect();
    let categories = [
        WorksInParcel,
        PhysicalInfrastructure,
        GoodsAndEquipment,
        MaterialsAndSupplies,
        TechnicalAssistance,
    ];
    let per_family = rng.between(8e6, 14e6);
    let mut budget: Vec<BudgetLine> = (0..rng.count(3, 7))
        .map(|i| BudgetLine {
            category: categories[i % categories.len()],
            funder: Funder::Institute,
            description: String::new(),
            quantity: Decimal::from(families as i64),
            unit: String::new(),
            unit_price: rng.pesos(per_family / 8.0, per_family / 3.0),
            year: Some(0),
            month: None,
        })
        .collect();
    budget.push(BudgetLine {
        category: PersonalServices,
        funder: Funder::Counterpart,
        description: String::new(),
        quantity: Decimal::from((families * 20) as i64),
        unit: String::new(),
        unit_price: Decimal::from(30_000),
        year: Some(0),
        month: None,
    });
    if rng.next() < 0.5 {
        budget.push(BudgetLine {
            category: PhysicalInfrastructure,
            funder: Funder::Other("Alcaldía".into()),
            description: String::new(),
            quantity: Decimal::ONE,
            unit: String::new(),
            unit_price: rng.pesos(2e6, 2e7),
            year: Some(0),
            month: None,
        });
    }
    let production = (0..rng.count(1, 3))
        .map(|a| {
            let full = rng.count(1, 4) as u16;
            let units = rng.between(0.5, 3.0) * families as f64;
            let yield_per_unit = rng.between(500.0, 3000.0);
            let price = rng.between(1500.0, 7000.0);
            let years = (1..=10u16)
                .map(|year| {
                    let share = (f64::from(year) / f64::from(full)).min(1.0);
                    ActivityYear {
                        year,
                        units: Decimal::from((units * 10.0).round() as i64) / Decimal::from(10),
                        yield_per_unit: Decimal::from((yield_per_unit * share).round() as i64),
                        price: Decimal::from(price.round() as i64),
                        operating_costs: Decimal::from((units * yield_per_unit * price * 0.2).round() as i64),
                        output_cost_per_unit: Decimal::from(150),
                        hired_labour_days: Decimal::from((units * 15.0).round() as i64),
                        family_labour_days: Decimal::from((units * 40.0).round() as i64),
                        replacements: if year == 6 {
                            Decimal::from(2_000_000)
                        } else {
                            Decimal::ZERO
                        },
                    }
                })
                .collect();
            Activity {
                name: format!("activity {a}"),
                unit: "ha".into(),
                product_unit: "kg".into(),
                day_wage: Decimal::from(35_000),
                full_production_year: full,
                residual_value: rng.pesos(0.0, 5e7),
                years,
            }
        })
        .collect();
    Formulation {
        frame: Frame {
            code: format!("P{index}"),
            title: String::new(),
            municipality: "18001".into(),
            typology: 4,
            budget_year: 2013,
            horizon_years: 10,
            components: Components::default(),
            accompaniment: AccompanimentPlan {
                description: "escuelas de campo".into(),
                training_topics: vec!["poscosecha".into()],
                responsible: String::new(),
            },
            employment: EmploymentInitiative {
                small_producers: true,
                description: "jornales".into(),
                direct_jobs: 2,
            },
            households,
        },
        budget,
        production,
        technical_assistance: (1..=5)
            .map(|year| TechnicalAssistanceCost {
                year,
                cost: rng.pesos(1e6, 6e6),
                payer: String::new(),
            })
            .collect(),
    }
}

fn acuerdo_308_rules() -> Result<FinancialRules, String> {
    let book = vereda_domain::rules::RuleBook::shipped().map_err(|e| e.to_string())?;
    book.get("incoder-308-2013")
        .and_then(|set| set.financial.clone())
        .ok_or_else(|| "the shipped rule set has no [financial] table".to_owned())
}

fn evaluate_mode(args: &[String]) -> Result<(), String> {
    let count: usize = match args.first() {
        Some(text) => text.parse().map_err(|e| format!("COUNT: {e}"))?,
        None => 100_000,
    };
    let rules = acuerdo_308_rules()?;
    let evaluator = Evaluator::new(&rules);
    let mut rng = Rng(0x5EED_0308_2013);
    let projects: Vec<Formulation> = (0..count).map(|i| random_project(&mut rng, i)).collect();
    let mut seconds = Vec::new();
    let (mut viable, mut several, mut none, mut switching) = (0usize, 0usize, 0usize, 0usize);
    for run in 0..RUNS {
        let start = Instant::now();
        let (mut v, mut s, mut n, mut w) = (0, 0, 0, 0);
        for project in &projects {
            let evaluation = evaluator.evaluate(project).map_err(|e| e.to_string())?;
            let cofinancing = split(project, &rules).map_err(|e| e.to_string())?;
            v += usize::from(evaluation.verdict.viable && cofinancing.contribution > Decimal::ZERO);
            s += usize::from(matches!(evaluation.irr, Irr::Several(_)));
            n += usize::from(matches!(evaluation.irr, Irr::None));
            w += usize::from(matches!(
                evaluation.sensitivity.price_drop,
                vereda_domain::finance::SwitchingValue::Found(_)
            ));
        }
        seconds.push(start.elapsed().as_secs_f64());
        if run == 0 {
            (viable, several, none, switching) = (v, s, n, w);
        }
    }
    let median_seconds = median(seconds);
    println!("evaluate_projects={count}");
    println!("evaluate_seconds={median_seconds:.3}");
    println!(
        "evaluate_us_per_project={:.2}",
        median_seconds * 1e6 / count as f64
    );
    println!("evaluate_viable={viable}");
    println!("evaluate_several_irr={several}");
    println!("evaluate_no_irr={none}");
    println!("evaluate_price_switching_found={switching}");
    Ok(())
}

/// Where the time of one evaluation goes: the cash flow alone, the evaluation (which builds it
/// again), and the co-financing split.
fn breakdown_mode(args: &[String]) -> Result<(), String> {
    let count: usize = match args.first() {
        Some(text) => text.parse().map_err(|e| format!("COUNT: {e}"))?,
        None => 50_000,
    };
    let rules = acuerdo_308_rules()?;
    let evaluator = Evaluator::new(&rules);
    let mut rng = Rng(0x5EED_0308_2013);
    let projects: Vec<Formulation> = (0..count).map(|i| random_project(&mut rng, i)).collect();
    let per_project = |start: Instant| start.elapsed().as_secs_f64() * 1e6 / count as f64;
    let mut check = 0usize;
    let start = Instant::now();
    for project in &projects {
        check += CashFlow::build(project, &rules)
            .map(|c| c.years.len())
            .unwrap_or(0);
    }
    println!("breakdown_cash_flow_us={:.2}", per_project(start));
    let start = Instant::now();
    for project in &projects {
        check += evaluator
            .evaluate(project)
            .map(|e| e.verdict.reasons.len())
            .unwrap_or(0);
    }
    println!("breakdown_evaluate_us={:.2}", per_project(start));
    let start = Instant::now();
    for project in &projects {
        check += split(project, &rules).map(|s| s.by_funder.len()).unwrap_or(0);
    }
    println!("breakdown_split_us={:.2}", per_project(start));
    println!("breakdown_check={check}");
    Ok(())
}
