//! Tests of the financial engine: IRR and NPV against textbook cases, the formulation's
//! validation, the cash flow, the verdict, the co-financing split and the sensitivity.

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal_macros::dec;

use super::formulation::{
    Components, GeneralInformation, Responsibility, SalesPlan, ScheduledActivity, TechnicalComponent,
};
use super::rules::{
    Citation, FamilyLabourRule, FamilyLabourTreatment, Figure, GuaranteeRule, IncomeBasis, IncomeFloor,
    IncomePeriod, Requirement, SensitivityCase, SensitivityRules, SensitivityVariable,
    TechnicalAssistanceRule, Threshold,
};
use super::*;

// ---------------------------------------------------------------------------------------------
// Fixtures

/// The `[financial]` figures of `rules/incoder-308-2013.toml`, built in code, so a test can
/// check the file says exactly this.
pub(crate) fn acuerdo_308() -> FinancialRules {
    use ExpenseCategory::*;
    let art = |a: &str| a.to_owned();
    let case = |name: &str, variable, change| SensitivityCase {
        name: name.to_owned(),
        variable,
        change,
    };
    FinancialRules {
        arel_max_execution_months: Some(Figure {
            value: 24,
            article: s("Art. 43"),
        }),
        arel_contract_years: Some(Figure {
            value: 5,
            article: s("Art. 40.2"),
        }),
        min_irr: Threshold {
            value: dec!(0.06),
            comparison: Comparison::AtLeast,
            article: art("Art. 19.6"),
        },
        discount_rate: Figure {
            value: dec!(0.06),
            article: art("Art. 19.6"),
        },
        min_benefit_cost: Threshold {
            value: dec!(1),
            comparison: Comparison::GreaterThan,
            article: art("Art. 19.6"),
        },
        min_horizon_years: Figure {
            value: 10,
            article: art("Art. 19.6"),
        },
        income_floor: IncomeFloor {
            smmlv: dec!(2),
            comparison: Comparison::GreaterThan,
            period: IncomePeriod::Month,
            basis: IncomeBasis::FirstFullProductionYear,
            article: art("Art. 19.6"),
        },
        family_labour: FamilyLabourRule {
            treatment: FamilyLabourTreatment::OpportunityCost,
            article: art("Art. 19.1, Art. 19.6"),
        },
        technical_assistance: TechnicalAssistanceRule {
            neutral_years: 2,
            includes_investment_year: true,
            article: art("Art. 20.5"),
        },
        guarantee: GuaranteeRule {
            share: dec!(0.10),
            months: 24,
            article: art("Art. 31"),
        },
        eligible_categories: Figure {
            value: vec![
                WorksInParcel,
                PhysicalInfrastructure,
                GoodsAndEquipment,
                MaterialsAndSupplies,
                TechnicalAssistance,
            ],
            article: art("Art. 20"),
        },
        ineligible_categories: Figure {
            value: vec![PersonalServices, Land, Maintenance, Rent, Insurance, Taxes],
            article: art("Art. 21"),
        },
        excluded_categories: Figure {
            value: vec![Land],
            article: art("Art. 18.4"),
        },
        accompaniment_plan: Requirement {
            required: true,
            article: art("Art. 18.5"),
        },
        employment_initiative: Requirement {
            required: true,
            article: art("Art. 18.6"),
        },
        institute_maximum: Citation {
            article: art("Art. 7, Art. 29"),
        },
        sensitivity: SensitivityRules {
            article: art("Art. 19.6"),
            cases: vec![
                case("price -10%", SensitivityVariable::Price, dec!(-0.10)),
                case("price -20%", SensitivityVariable::Price, dec!(-0.20)),
                case("yield -10%", SensitivityVariable::Yield, dec!(-0.10)),
                case("yield -20%", SensitivityVariable::Yield, dec!(-0.20)),
                case("costs +10%", SensitivityVariable::Costs, dec!(0.10)),
                case("costs +20%", SensitivityVariable::Costs, dec!(0.20)),
            ],
            price_drop_search_max: dec!(1),
            cost_rise_search_max: dec!(10),
        },
        family_ceiling: Some(super::rules::FamilyCeiling {
            max_pct: dec!(90),
            pct_article: art("Art. 7"),
            cap_smmlv: dec!(24),
            cap_article: art("Art. 29"),
        }),
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

fn line(
    category: ExpenseCategory,
    funder: Funder,
    quantity: Decimal,
    unit_price: Decimal,
    year: u16,
) -> BudgetLine {
    BudgetLine {
        category,
        funder,
        description: format!("{category} line"),
        quantity,
        unit: s("unit"),
        unit_price,
        year: Some(year),
        month: None,
    }
}

fn households(count: usize, max_pct: Decimal, cap_smmlv: Decimal) -> Vec<ParticipatingHousehold> {
    (1..=count)
        .map(|i| ParticipatingHousehold {
            id: format!("H{i:03}"),
            max_pct,
            cap_smmlv,
            ..Default::default()
        })
        .collect()
}

fn complete_components() -> Components {
    let mut c = Components {
        general: GeneralInformation {
            project_type: s("agroforestal"),
            activity_description: s("cacao en sistema agroforestal con plátano"),
            technology: s("clones TSH-565 e ICS-95, sombrío transitorio de plátano"),
            productive_indicators: vec![s("kg de cacao seco por hectárea")],
            management_plan: s("podas, manejo integrado de monilia"),
            technical_assistance_plan: s("visitas mensuales de la UMATA"),
            production_and_marketing_organization: s("asociación de productores"),
            implementation_methodology: s("según el cronograma de inversión"),
            implementation_areas: s("3 ha por familia"),
            labour_requirements: s("80 jornales por hectárea al año"),
            family_labour_availability: s("2 adultos por familia"),
            equipment_and_machinery: s("tijeras de poda, bombas de espalda"),
        },
        technical: TechnicalComponent {
            biophysical_conditions: s("suelos franco-arcillosos, 300 msnm"),
            production_system: s("agroforestal"),
            required_infrastructure: s("marquesina de secado"),
            marketing_strategy: s("venta asociativa"),
            operating_structure: vec![Responsibility {
                activity: s("siembra"),
                responsible: s("comité técnico"),
            }],
            assistance_support: s("técnico del instituto"),
            price_source: s("SIPSA-DANE"),
        },
        ..Components::default()
    };
    let m = &mut c.commercial;
    m.market_analysis = s("demanda creciente de cacao fino");
    m.marketing_channels = s("acopio municipal");
    m.sales_plan = SalesPlan {
        place: s("Florencia"),
        method: s("venta asociativa"),
        quantities: s("45 t/año"),
        frequency: s("mensual"),
        buyers: s("Compañía Nacional de Chocolates"),
        price: s("precio de bolsa menos descuento"),
    };
    m.marketing_costs = s("transporte 300 COP/kg");
    m.regional_supply_and_demand = s("oferta regional deficitaria");
    m.product_condition = s("grano seco fermentado, sacos de 50 kg");
    let e = &mut c.environmental;
    e.impacts = s("recuperación de cobertura arbórea");
    e.conservation_commitment = s("no tala de bosque");
    e.authority_consultation = s("Corpoamazonia consultada");
    let so = &mut c.social;
    so.community_organization = s("junta de acción comunal");
    so.cultural_aspects = s("colonos campesinos");
    so.benefits = s("ingresos y empleo");
    so.beneficiary_type = s("campesinos Sisbén 1 y 2");
    so.social_programs = s("Familias en Acción");
    so.organizations = s("ASOCACAO");
    c.schedule.activities = vec![ScheduledActivity {
        name: s("establecimiento"),
        start_month: 1,
        end_month: 12,
    }];
    c
}

/// Cocoa agroforestry for ten families in Florencia (Caquetá), call of 2013: 3 ha per family.
/// Establishment in year 0, 30 % production in year 2, 70 % in year 3, full from year 4.
fn cocoa() -> Formulation {
    use ExpenseCategory::*;
    let years: Vec<ActivityYear> = (1..=10u16)
        .map(|year| {
            let share = match year {
                1 => dec!(0),
                2 => dec!(0.3),
                3 => dec!(0.7),
                _ => dec!(1),
            };
            ActivityYear {
                year,
                units: dec!(30),
                yield_per_unit: dec!(1500) * share,
                price: dec!(6000),
                operating_costs: dec!(36000000),
                output_cost_per_unit: dec!(300),
                hired_labour_days: dec!(600),
                family_labour_days: dec!(1800),
                replacements: if year == 6 { dec!(5000000) } else { dec!(0) },
            }
        })
        .collect();
    Formulation {
        frame: Frame {
            code: s("CAQ-2013-001"),
            title: s("Cacao agroforestal en Florencia"),
            municipality: s("18001"),
            typology: 4,
            budget_year: 2013,
            horizon_years: 10,
            components: complete_components(),
            accompaniment: AccompanimentPlan {
                description: s("escuelas de campo"),
                training_topics: vec![s("poscosecha"), s("asociatividad")],
                responsible: s("UMATA"),
            },
            employment: EmploymentInitiative {
                small_producers: true,
                description: s("jornales de cosecha contratados en la vereda"),
                direct_jobs: 4,
            },
            households: households(10, dec!(90), dec!(20)),
        },
        budget: vec![
            line(
                MaterialsAndSupplies,
                Funder::Institute,
                dec!(30),
                dec!(2000000),
                0,
            ),
            line(GoodsAndEquipment, Funder::Institute, dec!(10), dec!(4000000), 0),
            line(TechnicalAssistance, Funder::Institute, dec!(1), dec!(10000000), 0),
            line(PersonalServices, Funder::Counterpart, dec!(500), dec!(30000), 0),
            line(
                PhysicalInfrastructure,
                Funder::Other(s("Alcaldía de Florencia")),
                dec!(1),
                dec!(5000000),
                0,
            ),
        ],
        production: vec![Activity {
            name: s("cacao agroforestal"),
            unit: s("ha"),
            product_unit: s("kg"),
            day_wage: dec!(30000),
            full_production_year: 4,
            residual_value: dec!(60000000),
            years,
        }],
        technical_assistance: (1..=6)
            .map(|year| TechnicalAssistanceCost {
                year,
                cost: dec!(6000000) - Decimal::from(year) * dec!(500000),
                payer: s("asociación"),
            })
            .collect(),
    }
}

/// A minimal project whose flow is `-investment` in year 0 and `income` in years 1..=10.
fn annuity_project(investment: Decimal, income: Decimal) -> Formulation {
    let mut f = cocoa();
    f.budget = vec![line(
        ExpenseCategory::GoodsAndEquipment,
        Funder::Institute,
        dec!(1),
        investment,
        0,
    )];
    f.technical_assistance.clear();
    f.production = vec![Activity {
        name: s("ganado doble propósito"),
        unit: s("head"),
        product_unit: s("l"),
        day_wage: dec!(0),
        full_production_year: 1,
        residual_value: dec!(0),
        years: (1..=10)
            .map(|year| ActivityYear {
                year,
                units: dec!(1),
                yield_per_unit: dec!(1),
                price: income,
                operating_costs: dec!(0),
                output_cost_per_unit: dec!(0),
                hired_labour_days: dec!(0),
                family_labour_days: dec!(0),
                replacements: dec!(0),
            })
            .collect(),
    }];
    f
}

fn approx(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

fn unique(irr: &Irr) -> f64 {
    irr.unique()
        .unwrap_or_else(|| panic!("expected one IRR, got {irr:?}"))
}

// ---------------------------------------------------------------------------------------------
// Rules

#[test]
fn the_shipped_rule_set_carries_exactly_these_financial_figures() {
    let (source, text) = crate::rules::SHIPPED_RULE_SETS[0];
    let rule_set = crate::rules::RuleSet::parse(source, text).expect("shipped rules");
    assert_eq!(rule_set.financial.as_ref(), Some(&acuerdo_308()));
    assert!(
        acuerdo_308().problems().is_empty(),
        "{:?}",
        acuerdo_308().problems()
    );
}

#[test]
fn a_rule_set_that_classifies_a_category_twice_or_never_is_reported() {
    let mut rules = acuerdo_308();
    rules.eligible_categories.value.push(ExpenseCategory::Rent);
    rules
        .ineligible_categories
        .value
        .retain(|c| *c != ExpenseCategory::Taxes);
    let problems = rules.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
}

// ---------------------------------------------------------------------------------------------
// IRR and NPV

#[test]
fn textbook_irrs() {
    // numpy-financial 1.0.0, `irr` docstring examples (after Gitman, Principles of Managerial
    // Finance, Brief, 3rd ed., 2003, p. 348).
    assert!(approx(
        unique(&irr_f64(&[-100.0, 39.0, 59.0, 55.0, 20.0])),
        0.28095,
        5e-6
    ));
    assert!(approx(unique(&irr_f64(&[-100.0, 0.0, 0.0, 74.0])), -0.0955, 5e-5));
    assert!(approx(
        unique(&irr_f64(&[-100.0, 100.0, 0.0, 7.0])),
        0.06206,
        5e-6
    ));
    // Brealey, Myers & Allen, Principles of Corporate Finance, 10th ed., ch. 5: invest 4,000,
    // receive 2,000 and 4,000: IRR 28.08 %.
    assert!(approx(unique(&irr_f64(&[-4000.0, 2000.0, 4000.0])), 0.2808, 5e-5));
    // One period: 100 grows to 110.
    assert!(approx(unique(&irr_f64(&[-100.0, 110.0])), 0.10, 1e-14));
}

#[test]
fn several_irrs_are_all_found() {
    // -100 + 230/(1+r) - 132/(1+r)^2 = 0 at 10 % and 20 %.
    match irr_f64(&[-100.0, 230.0, -132.0]) {
        Irr::Several(rates) => {
            assert_eq!(rates.len(), 2);
            assert!(
                approx(rates[0], 0.10, 1e-12) && approx(rates[1], 0.20, 1e-12),
                "{rates:?}"
            );
        }
        other => panic!("expected two IRRs, got {other:?}"),
    }
    // numpy-financial's docstring: it returns only the root nearest zero, -8.33 % and 8.86 %.
    let rates = irr_f64(&[-100.0, 100.0, 0.0, -7.0]);
    assert_eq!(rates.rates().len(), 2, "{rates:?}");
    assert!(
        rates.rates().iter().any(|r| approx(*r, -0.0833, 5e-5)),
        "{rates:?}"
    );
    let rates = irr_f64(&[-5.0, 10.5, 1.0, -8.0, 1.0]);
    assert!(
        rates.rates().iter().any(|r| approx(*r, 0.0886, 5e-5)),
        "{rates:?}"
    );
    for rate in rates.rates() {
        assert!(npv_f64(*rate, &[-5.0, 10.5, 1.0, -8.0, 1.0]).abs() < 1e-9);
    }
}

#[test]
fn flows_without_a_sign_change_or_without_a_root_have_no_irr() {
    assert_eq!(irr_f64(&[]), Irr::None);
    assert_eq!(irr_f64(&[0.0; 11]), Irr::None);
    assert_eq!(irr_f64(&[100.0, 50.0, 25.0]), Irr::None);
    assert_eq!(irr_f64(&[-100.0, -50.0, 0.0]), Irr::None);
    assert_eq!(irr_f64(&[-100.0]), Irr::None);
    assert_eq!(irr_f64(&[-100.0, f64::NAN, 200.0]), Irr::None);
    // Two sign changes and no real root: 1 - x + x² > 0 for every x.
    assert_eq!(irr_f64(&[1.0, -1.0, 1.0]), Irr::None);
    assert_eq!(irr(&[Decimal::ZERO, Decimal::ZERO]), Irr::None);
}

#[test]
fn zeros_before_and_after_the_flow_do_not_move_the_irr() {
    let base = unique(&irr_f64(&[-100.0, 30.0, 40.0, 50.0]));
    let padded = unique(&irr_f64(&[0.0, -100.0, 30.0, 40.0, 50.0, 0.0, 0.0]));
    // A leading zero shifts the whole flow one year later: NPV scales by 1/(1+r), roots stay.
    assert!(approx(base, padded, 1e-13));
}

#[test]
fn a_double_root_is_reported_once() {
    // (1 - x)² with x = 1/(1+r): NPV touches zero at r = 0 without crossing it.
    assert_eq!(irr_f64(&[1.0, -2.0, 1.0]), Irr::Unique(0.0));
}

#[test]
fn extreme_rates_are_found() {
    assert!(approx(unique(&irr_f64(&[-1.0, 0.01])), -0.99, 1e-12));
    assert!(approx(unique(&irr_f64(&[-1.0, 1000.0])), 999.0, 1e-9));
    assert!(approx(
        unique(&irr_f64(&[
            -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1e-6
        ])),
        -0.7488113,
        1e-6
    ));
}

#[test]
fn huge_values_in_pesos() {
    // COP 10^12 of investment, COP 1.8·10^11 a year for ten years.
    let mut flows = vec![dec!(-1000000000000)];
    flows.extend(std::iter::repeat_n(dec!(180000000000), 10));
    let big = unique(&irr(&flows));
    let small: Vec<f64> = std::iter::once(-1.0)
        .chain(std::iter::repeat_n(0.18, 10))
        .collect();
    assert!(approx(big, unique(&irr_f64(&small)), 1e-12));
    // The NPV at the IRR vanishes in Decimal too, up to rounding of the rate.
    let rate = Decimal::try_from(big).unwrap_or_default();
    assert!(npv(rate, &flows).abs() < dec!(1));
    // Gitman, p. 346 (numpy-financial's `npv` docstring): 3,065.22267 at 8 %.
    let gitman = [dec!(-40000), dec!(5000), dec!(8000), dec!(12000), dec!(30000)];
    assert_eq!(npv(dec!(0.08), &gitman).round_dp(5), dec!(3065.22267));
    assert!(approx(
        npv_f64(0.08, &[-40000.0, 5000.0, 8000.0, 12000.0, 30000.0]),
        3065.22267,
        1e-5
    ));
}

#[test]
fn the_decimal_and_f64_paths_agree() {
    let flows = [
        dec!(-120000000),
        dec!(-8000000),
        dec!(15000000),
        dec!(40000000),
        dec!(55000000),
        dec!(55000000),
    ];
    let floats: Vec<f64> = flows.iter().map(|d| d.to_f64().unwrap_or_default()).collect();
    assert_eq!(irr(&flows), irr_f64(&floats));
}

/// The coefficients (year 0 first) of the flow whose IRRs are exactly `rates`:
/// -Π (x - 1/(1+r)) in x = 1/(1+r).
fn flow_with_rates(rates: &[f64]) -> Vec<f64> {
    let mut coefficients = vec![-1.0];
    for rate in rates {
        let root = 1.0 / (1.0 + rate);
        let mut next = vec![0.0; coefficients.len() + 1];
        for (i, c) in coefficients.iter().enumerate() {
            next[i + 1] += c;
            next[i] -= c * root;
        }
        coefficients = next;
    }
    coefficients
}

proptest! {
    #[test]
    fn the_npv_vanishes_at_the_irr_of_a_conventional_flow(
        investment in 1.0f64..1e12,
        benefits in proptest::collection::vec(0.0f64..1.0, 1..30),
    ) {
        let mut flows = vec![-investment];
        flows.extend(benefits.iter().map(|b| b * investment));
        prop_assume!(benefits.iter().any(|b| *b > 0.0));
        let rate = irr_f64(&flows).unique();
        prop_assert!(rate.is_some());
        let rate = rate.unwrap_or_default();
        let scale: f64 = flows.iter().map(|c| c.abs()).sum();
        prop_assert!(npv_f64(rate, &flows).abs() <= 1e-9 * scale, "rate {rate}");
    }

    #[test]
    fn scaling_a_flow_does_not_change_its_irr(
        flows in proptest::collection::vec(-1e6f64..1e6, 2..15),
        scale in prop_oneof![1e-6f64..1e-3, 0.5f64..2.0, 1e3f64..1e6],
    ) {
        let scaled: Vec<f64> = flows.iter().map(|c| c * scale).collect();
        let (a, b) = (irr_f64(&flows), irr_f64(&scaled));
        prop_assert_eq!(a.rates().len(), b.rates().len(), "{:?} vs {:?}", a, b);
        for (x, y) in a.rates().iter().zip(b.rates()) {
            prop_assert!((x - y).abs() <= 1e-9 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn every_root_is_found_when_the_roots_are_known(
        mut rates in proptest::collection::vec(-0.6f64..2.0, 1..5),
    ) {
        rates.sort_by(f64::total_cmp);
        prop_assume!(rates.windows(2).all(|w| w[1] - w[0] > 0.02));
        let flows = flow_with_rates(&rates);
        let found = irr_f64(&flows);
        prop_assert_eq!(found.rates().len(), rates.len(), "{:?} for {:?}", found, rates);
        for (x, y) in found.rates().iter().zip(&rates) {
            prop_assert!((x - y).abs() <= 1e-7, "{x} vs {y}");
        }
    }

    #[test]
    fn every_reported_rate_is_a_root(flows in proptest::collection::vec(-100.0f64..100.0, 2..12)) {
        let scale: f64 = flows.iter().map(|c| c.abs()).sum();
        for rate in irr_f64(&flows).rates() {
            prop_assert!(*rate > -1.0);
            let x = 1.0 / (1.0 + rate);
            let size: f64 = flows.iter().rev().fold(0.0, |acc, c| acc * x + c.abs());
            prop_assert!(npv_f64(*rate, &flows).abs() <= 1e-8 * size.max(scale), "{rate} in {flows:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Formulation

#[test]
fn a_complete_formulation_has_no_problem() {
    assert_eq!(cocoa().validate(&acuerdo_308()), Vec::<Problem>::new());
}

#[test]
fn a_land_line_is_an_error_of_article_18_4() {
    let mut f = cocoa();
    f.budget.push(line(
        ExpenseCategory::Land,
        Funder::Counterpart,
        dec!(1),
        dec!(20000000),
        0,
    ));
    let rules = acuerdo_308();
    let problems = f.validate(&rules);
    assert!(
        problems
            .iter()
            .any(|p| p.path == "budget[5].category" && p.article == "Art. 18.4"),
        "{problems:?}"
    );
    assert!(matches!(
        split(&f, &rules),
        Err(CofinancingError::ExcludedLine { line: 5, .. })
    ));
    let evaluation = evaluate(&f, &rules).unwrap_or_else(|e| panic!("{e}"));
    let reason = evaluation
        .verdict
        .reason(Check::NoLand)
        .unwrap_or_else(|| panic!("no land reason"));
    assert!(!reason.passed && reason.article == "Art. 18.4" && reason.seen == Value::Count(1));
    assert!(!evaluation.verdict.viable);
}

#[test]
fn the_institute_cannot_be_asked_for_a_non_eligible_expense() {
    let mut f = cocoa();
    f.budget[3].funder = Funder::Institute;
    let problems = f.validate(&acuerdo_308());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "budget[3].funder");
    assert_eq!(problems[0].article, "Art. 21");
}

#[test]
fn empty_required_texts_are_reported_with_their_paths_and_articles() {
    let mut f = cocoa();
    f.frame.components.technical.price_source = s("  ");
    f.frame.components.commercial.sales_plan.buyers.clear();
    f.frame.components.environmental.authority_consultation.clear();
    f.frame.components.food_security.required = true;
    f.frame.accompaniment.training_topics.clear();
    f.frame.employment.direct_jobs = 0;
    f.frame.typology = 5;
    f.frame.municipality = s("99999");
    f.budget[0].month = Some(3);
    f.production[0].years[9].year = 11;
    let found: Vec<(String, String)> = f
        .validate(&acuerdo_308())
        .into_iter()
        .map(|p| (p.path, p.article))
        .collect();
    for (path, article) in [
        ("frame.components.technical.price_source", "Art. 19.2"),
        ("frame.components.commercial.sales_plan.buyers", "Art. 19.3"),
        (
            "frame.components.environmental.authority_consultation",
            "Art. 19.4",
        ),
        ("frame.components.food_security.description", "Art. 19.7"),
        ("frame.accompaniment.training_topics", "Art. 18.5"),
        ("frame.employment.direct_jobs", "Art. 18.6"),
        ("frame.typology", "Art. 22"),
        ("frame.municipality", "DIVIPOLA"),
        ("budget[0]", "Art. 19.8"),
        ("production[0].years[9].year", "Art. 19.6"),
    ] {
        assert!(
            found.contains(&(s(path), s(article))),
            "missing {path} ({article}) in {found:?}"
        );
    }
    assert_eq!(found.len(), 10, "{found:?}");
}

#[test]
fn an_empty_formulation_lists_every_component() {
    let mut f = cocoa();
    f.frame.components = Components::default();
    let problems = f.validate(&acuerdo_308());
    for article in [
        "Art. 19.1",
        "Art. 19.2",
        "Art. 19.3",
        "Art. 19.4",
        "Art. 19.5",
        "Art. 19.8",
    ] {
        assert!(
            problems.iter().any(|p| p.article == article),
            "nothing for {article}"
        );
    }
    assert!(problems.iter().all(|p| p.path.starts_with("frame.components.")));
}

#[test]
fn a_month_of_execution_falls_in_its_year() {
    let mut l = line(
        ExpenseCategory::GoodsAndEquipment,
        Funder::Institute,
        dec!(1),
        dec!(1),
        0,
    );
    l.year = None;
    for (month, year) in [(1, Some(0)), (12, Some(0)), (13, Some(1)), (0, None)] {
        l.month = Some(month);
        assert_eq!(l.flow_year(), year, "month {month}");
    }
}

// ---------------------------------------------------------------------------------------------
// Cash flow and evaluation

#[test]
fn technical_assistance_is_neutral_in_exactly_years_0_and_1_and_a_cost_afterwards() {
    // Art. 20.5, "los dos primeros años": years 0 and 1, never year 2.
    let rules = acuerdo_308();
    assert_eq!(rules.technical_assistance.neutral_span(), Some((0, 1)));
    let with = cocoa();
    let mut without = cocoa();
    without.technical_assistance.clear();
    without.budget.remove(2);
    let a = CashFlow::build(&with, &rules).unwrap_or_else(|e| panic!("{e}"));
    let b = CashFlow::build(&without, &rules).unwrap_or_else(|e| panic!("{e}"));
    let neutral: Vec<u16> = a
        .years
        .iter()
        .filter(|row| !row.technical_assistance_neutralised.is_zero())
        .map(|row| row.year)
        .collect();
    assert_eq!(neutral, vec![0, 1]);
    for year in 0..=1 {
        let row = &a.years[year];
        assert!(row.technical_assistance > Decimal::ZERO);
        assert_eq!(row.technical_assistance_neutralised, row.technical_assistance);
        assert_eq!(row.net_flow, b.years[year].net_flow, "year {year}");
    }
    // 6,000,000 - 500,000·year from the plan, outside the budget: a cost from year 2 on.
    for year in 2..=6 {
        let cost = dec!(6000000) - Decimal::from(year) * dec!(500000);
        assert_eq!(a.years[year].technical_assistance_neutralised, Decimal::ZERO);
        assert_eq!(
            a.years[year].net_flow,
            b.years[year].net_flow - cost,
            "year {year}"
        );
    }
    // Another rule set: no neutral years; year 0's assistance becomes a cost.
    let mut strict = rules.clone();
    strict.technical_assistance.neutral_years = 0;
    strict.technical_assistance.includes_investment_year = false;
    let c = CashFlow::build(&with, &strict).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.years[0].net_flow, a.years[0].net_flow - dec!(10000000));
    assert_eq!(c.years[1].net_flow, a.years[1].net_flow - dec!(5500000));
}

#[test]
fn the_cash_flow_rows_of_the_cocoa_project() {
    let flow = CashFlow::build(&cocoa(), &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flow.years.len(), 11);
    let y0 = &flow.years[0];
    // 60M materials + 40M goods + 15M labour + 5M infrastructure; 10M assistance neutralised.
    assert_eq!(y0.investment, dec!(120000000));
    assert_eq!(y0.net_flow, dec!(-120000000));
    let y4 = &flow.years[4];
    assert_eq!(y4.income, dec!(270000000)); // 30 ha × 1,500 kg × 6,000
    assert_eq!(y4.output_costs, dec!(13500000)); // 45,000 kg × 300
    assert_eq!(y4.hired_labour, dec!(18000000)); // 600 days × 30,000
    assert_eq!(y4.family_labour_charged, dec!(54000000)); // 1,800 days × 30,000
    assert_eq!(y4.technical_assistance, dec!(4000000));
    // 270 - 36 - 13.5 - 18 - 54 - 4 = 144.5 million.
    assert_eq!(y4.net_flow, dec!(144500000));
    assert_eq!(flow.years[6].replacements, dec!(5000000));
    assert_eq!(flow.years[10].residual_value, dec!(60000000));
    for row in &flow.years {
        assert_eq!(row.net_flow, row.benefits() - row.costs());
    }
}

#[test]
fn npv_and_benefit_cost_worked_by_hand() {
    // -10,000,000 then 3,000,000 a year for ten years at 6 %: the annuity factor is
    // (1 - 1.06^-10) / 0.06 = 7.360087051, so PV(benefits) = 22,080,261.15 and
    // NPV = 12,080,261.15; B/C = 2.208026115.
    let f = annuity_project(dec!(10000000), dec!(3000000));
    let e = evaluate(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.npv, dec!(12080261.15));
    assert_eq!(e.present_value_benefits, dec!(22080261.15));
    assert_eq!(e.present_value_costs, dec!(10000000));
    assert_eq!(e.benefit_cost.map(|bc| bc.round_dp(9)), Some(dec!(2.208026115)));
    assert!(approx(
        e.npv.to_f64().unwrap_or_default(),
        npv_f64(
            0.06,
            &e.cash_flow
                .net_flows()
                .iter()
                .map(|d| d.to_f64().unwrap_or_default())
                .collect::<Vec<_>>()
        ),
        1e-2
    ));
    // IRR of the annuity: 27.3198 %, where (1 - 1.273198^-10) / 0.273198 = 3.3333
    // (numpy-financial: 0.27319842410498607).
    assert!(approx(unique(&e.irr), 0.27319842410498607, 1e-12));
}

#[test]
fn the_cocoa_project_is_viable_and_says_why() {
    let e = evaluate(&cocoa(), &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    let verdict = &e.verdict;
    assert!(verdict.viable, "{:#?}", verdict.failures().collect::<Vec<_>>());
    let articles: Vec<(Check, &str)> = verdict
        .reasons
        .iter()
        .map(|r| (r.check, r.article.as_str()))
        .collect();
    assert_eq!(
        articles,
        vec![
            (Check::NoLand, "Art. 18.4"),
            (Check::AccompanimentPlan, "Art. 18.5"),
            (Check::EmploymentInitiative, "Art. 18.6"),
            (Check::Horizon, "Art. 19.6"),
            (Check::Irr, "Art. 19.6"),
            (Check::BenefitCost, "Art. 19.6"),
            (Check::FamilyIncome, "Art. 19.6"),
            (Check::EligibleExpenses, "Art. 20"),
            (Check::CounterpartCoversIneligible, "Art. 21"),
        ]
    );
    let irr_reason = verdict
        .reason(Check::Irr)
        .unwrap_or_else(|| panic!("no IRR reason"));
    assert_eq!(
        irr_reason.threshold,
        Some(Bound {
            comparison: Comparison::AtLeast,
            value: Value::Rate(0.06)
        })
    );
    assert!(matches!(irr_reason.seen, Value::Rate(rate) if rate > 0.06));
    // Year 4: 270 - 36 - 13.5 - 18 - 4 = 198.5 million for ten families: 1,654,166.67 a month,
    // 2.806 SMMLV of 2013 (589,500).
    assert_eq!(e.family_income.year, 4);
    assert_eq!(e.family_income.per_family, dec!(1654166.67));
    assert_eq!(e.family_income.minimum_wage, dec!(589500));
    assert_eq!(e.family_income.in_smmlv.round_dp(3), dec!(2.806));
    let text = irr_reason.to_string();
    assert!(
        text.starts_with("irr (Art. 19.6): met; seen ") && text.ends_with("required >= 6.00 %"),
        "{text}"
    );
}

#[test]
fn a_different_rule_set_changes_the_verdict_without_code_changes() {
    let f = cocoa();
    let base = acuerdo_308();
    assert!(evaluate(&f, &base).map(|e| e.verdict.viable).unwrap_or(false));

    let failing = |rules: &FinancialRules| -> Vec<Check> {
        evaluate(&f, rules)
            .unwrap_or_else(|e| panic!("{e}"))
            .verdict
            .failures()
            .map(|r| r.check)
            .collect()
    };
    let mut rules = base.clone();
    rules.min_irr.value = dec!(0.60);
    rules.min_irr.article = s("Acuerdo X, Art. 1");
    assert_eq!(failing(&rules), vec![Check::Irr]);

    let mut rules = base.clone();
    rules.income_floor.smmlv = dec!(3);
    assert_eq!(failing(&rules), vec![Check::FamilyIncome]);

    let mut rules = base.clone();
    rules.min_horizon_years.value = 15;
    assert_eq!(failing(&rules), vec![Check::Horizon]);

    let mut rules = base.clone();
    rules.discount_rate.value = dec!(0.50);
    assert_eq!(failing(&rules), vec![Check::BenefitCost]);

    // Personal services become eligible: the counterpart's labour line no longer counts
    // against it, and asking the institute for it is fine.
    let mut rules = base.clone();
    rules
        .ineligible_categories
        .value
        .retain(|c| *c != ExpenseCategory::PersonalServices);
    rules
        .eligible_categories
        .value
        .push(ExpenseCategory::PersonalServices);
    let mut asks_labour = f.clone();
    asks_labour.budget[3].funder = Funder::Institute;
    assert!(
        evaluate(&asks_labour, &rules)
            .map(|e| e.verdict.viable)
            .unwrap_or(false)
    );
    assert!(
        !evaluate(&asks_labour, &base)
            .map(|e| e.verdict.viable)
            .unwrap_or(true)
    );

    // Without the employment requirement, a missing initiative is no longer a reason.
    let mut rules = base.clone();
    rules.employment_initiative.required = false;
    let mut no_jobs = f.clone();
    no_jobs.frame.employment.direct_jobs = 0;
    assert_eq!(failing(&rules).len(), 0);
    assert!(
        evaluate(&no_jobs, &rules)
            .map(|e| e.verdict.viable)
            .unwrap_or(false)
    );
    assert!(
        !evaluate(&no_jobs, &base)
            .map(|e| e.verdict.viable)
            .unwrap_or(true)
    );

    // Family labour left out of the flow raises the IRR.
    let mut rules = base.clone();
    rules.family_labour.treatment = FamilyLabourTreatment::Excluded;
    let charged = evaluate(&f, &base).map(|e| unique(&e.irr)).unwrap_or_default();
    let excluded = evaluate(&f, &rules).map(|e| unique(&e.irr)).unwrap_or_default();
    assert!(excluded > charged + 0.05, "{excluded} vs {charged}");
}

#[test]
fn benefit_cost_of_exactly_one_fails_a_strict_threshold_and_passes_an_inclusive_one() {
    // 10,000,000 at year 0 returns its present value exactly at 6 %: 1,358,679.6 a year.
    // Instead of an annuity, one payment of 10,600,000 in year 1 makes B/C exactly 1.
    let mut f = annuity_project(dec!(10000000), dec!(0));
    f.production[0].years[0].price = dec!(10600000);
    let mut rules = acuerdo_308();
    let e = evaluate(&f, &rules).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.benefit_cost, Some(dec!(1)));
    assert_eq!(e.npv, dec!(0));
    let bc = e.verdict.reason(Check::BenefitCost).map(|r| r.passed);
    assert_eq!(bc, Some(false));
    // IRR is exactly 6 %: "no inferior" admits it.
    assert_eq!(e.verdict.reason(Check::Irr).map(|r| r.passed), Some(true));
    rules.min_benefit_cost.comparison = Comparison::AtLeast;
    let e = evaluate(&f, &rules).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.verdict.reason(Check::BenefitCost).map(|r| r.passed), Some(true));
}

#[test]
fn a_flow_without_irr_is_not_viable_and_says_so() {
    let f = annuity_project(dec!(10000000), dec!(0));
    let e = evaluate(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.irr, Irr::None);
    let reason = e
        .verdict
        .reason(Check::Irr)
        .unwrap_or_else(|| panic!("no IRR reason"));
    assert!(!reason.passed);
    assert_eq!(reason.seen, Value::NoIrr);
    assert_eq!(e.sensitivity.price_drop, SwitchingValue::AlreadyBelow);
}

#[test]
fn a_prepared_evaluator_gives_the_same_evaluation_for_any_horizon() {
    let rules = acuerdo_308();
    let evaluator = Evaluator::new(&rules);
    let mut long = cocoa();
    long.frame.horizon_years = 15;
    for f in [cocoa(), long] {
        let prepared = evaluator.evaluate(&f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Ok(prepared.clone()), evaluate(&f, &rules));
        assert_eq!(
            prepared.cash_flow.years.len(),
            usize::from(f.frame.horizon_years) + 1
        );
    }
}

#[test]
fn evaluation_errors() {
    let rules = acuerdo_308();
    let mut f = cocoa();
    f.frame.budget_year = 1990;
    assert_eq!(
        evaluate(&f, &rules).err(),
        Some(EvaluationError::UnknownMinimumWage { year: 1990 })
    );
    let mut f = cocoa();
    f.frame.households.clear();
    assert_eq!(evaluate(&f, &rules).err(), Some(EvaluationError::NoHouseholds));
    let mut f = cocoa();
    f.budget[0].year = Some(12);
    assert!(matches!(
        evaluate(&f, &rules),
        Err(EvaluationError::OutsideHorizon { year: 12, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Co-financing

/// Three families of 2013 (SMMLV 589,500): 90 % / 20 SMMLV, 80 % / 20, 60 % / 24 (displaced).
fn three_families() -> Vec<ParticipatingHousehold> {
    vec![
        ParticipatingHousehold {
            id: s("A"),
            max_pct: dec!(90),
            cap_smmlv: dec!(20),
            ..Default::default()
        },
        ParticipatingHousehold {
            id: s("B"),
            max_pct: dec!(80),
            cap_smmlv: dec!(20),
            ..Default::default()
        },
        ParticipatingHousehold {
            id: s("C"),
            max_pct: dec!(60),
            cap_smmlv: dec!(24),
            ..Default::default()
        },
    ]
}

fn with_budget(lines: Vec<BudgetLine>) -> Formulation {
    let mut f = cocoa();
    f.frame.households = three_families();
    f.budget = lines;
    f
}

#[test]
fn cofinancing_when_the_request_binds() {
    use ExpenseCategory::*;
    // V = 40,000,000. Per family: p·V/3 = 12,000,000 / 10,666,666.67 / 8,000,000 and
    // c·S = 11,790,000 / 11,790,000 / 14,148,000, so the maximum is
    // 11,790,000 + 10,666,666.67 + 8,000,000 = 30,456,666.67. Requested 30,000,000 binds.
    let f = with_budget(vec![
        line(GoodsAndEquipment, Funder::Institute, dec!(2), dec!(10000000), 0),
        line(
            MaterialsAndSupplies,
            Funder::Institute,
            dec!(1),
            dec!(10000000),
            0,
        ),
        line(PersonalServices, Funder::Counterpart, dec!(200), dec!(30000), 0),
        line(
            PhysicalInfrastructure,
            Funder::Other(s("Alcaldía")),
            dec!(1),
            dec!(4000000),
            0,
        ),
    ]);
    let split = split(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(split.project_value, dec!(40000000));
    assert_eq!(split.institute_maximum.round_dp(2), dec!(30456666.67));
    let groups: Vec<(usize, Decimal)> = split
        .family_groups
        .iter()
        .map(|g| (g.families, g.limit.round_dp(2)))
        .collect();
    assert_eq!(
        groups,
        vec![(1, dec!(11790000)), (1, dec!(10666666.67)), (1, dec!(8000000))]
    );
    assert_eq!(split.requested, dec!(30000000));
    assert_eq!(split.eligible_total, dec!(34000000));
    assert_eq!(split.contribution, dec!(30000000));
    assert_eq!(split.binding_limit, Limit::Requested);
    assert_eq!(split.counterpart, dec!(10000000));
    assert_eq!(split.counterpart_additional, dec!(0));
    assert_eq!(split.guarantee.amount, dec!(3000000));
    assert_eq!(split.guarantee.months, 24);
    assert_eq!(split.guarantee.article, "Art. 31");
    let institute = split
        .share(&Funder::Institute)
        .unwrap_or_else(|| panic!("no institute row"));
    assert_eq!(
        institute.by_category.get(&GoodsAndEquipment),
        Some(&dec!(20000000))
    );
    assert_eq!(institute.total, dec!(30000000));
    let alcaldia = split.share(&Funder::Other(s("Alcaldía"))).map(|s| s.total);
    assert_eq!(alcaldia, Some(dec!(4000000)));
    assert_eq!(
        split.by_category.values().copied().sum::<Decimal>(),
        split.project_value
    );
}

#[test]
fn cofinancing_when_the_institute_maximum_binds() {
    use ExpenseCategory::*;
    // Same V and families; the institute is asked 32,000,000 (22M goods, 10M materials). The
    // contribution is the maximum rounded down: 30,456,666. Goods get
    // round(30,456,666 · 22/32) = 20,938,958 and materials the remaining 9,517,708; the
    // counterpart takes 1,061,042 + 482,292 = 1,543,334 more than its own lines.
    let f = with_budget(vec![
        line(GoodsAndEquipment, Funder::Institute, dec!(1), dec!(22000000), 0),
        line(
            MaterialsAndSupplies,
            Funder::Institute,
            dec!(1),
            dec!(10000000),
            0,
        ),
        line(PersonalServices, Funder::Counterpart, dec!(1), dec!(4000000), 0),
        line(
            PhysicalInfrastructure,
            Funder::Other(s("Alcaldía")),
            dec!(1),
            dec!(4000000),
            0,
        ),
    ]);
    let split = split(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(split.contribution, dec!(30456666));
    assert_eq!(split.binding_limit, Limit::InstituteMaximum);
    assert_eq!(split.counterpart, dec!(9543334));
    assert_eq!(split.counterpart_additional, dec!(1543334));
    assert_eq!(split.guarantee.amount, dec!(3045667)); // 3,045,666.6 rounded up
    let institute = split
        .share(&Funder::Institute)
        .unwrap_or_else(|| panic!("no institute row"));
    assert_eq!(
        institute.by_category.get(&GoodsAndEquipment),
        Some(&dec!(20938958))
    );
    assert_eq!(
        institute.by_category.get(&MaterialsAndSupplies),
        Some(&dec!(9517708))
    );
    let counterpart = split
        .share(&Funder::Counterpart)
        .unwrap_or_else(|| panic!("no counterpart row"));
    assert_eq!(
        counterpart.by_category.get(&GoodsAndEquipment),
        Some(&dec!(1061042))
    );
    assert_eq!(
        counterpart.by_category.get(&MaterialsAndSupplies),
        Some(&dec!(482292))
    );
    assert_eq!(
        counterpart.by_category.get(&PersonalServices),
        Some(&dec!(4000000))
    );
    assert_eq!(counterpart.total, dec!(5543334));
    let totals: Decimal = split.by_funder.iter().map(|s| s.total).sum();
    assert_eq!(totals, split.project_value);
}

#[test]
fn cofinancing_when_the_eligible_total_binds() {
    use ExpenseCategory::*;
    // V = 35,000,000; three families at 90 % / 20 SMMLV: 10,500,000 each, maximum 31,500,000.
    // Asked 25,000,000, of which 5,000,000 of rent (not eligible: it passes to the
    // counterpart). Eligible total 20,000,000 binds.
    let mut f = with_budget(vec![
        line(
            MaterialsAndSupplies,
            Funder::Institute,
            dec!(1),
            dec!(20000000),
            0,
        ),
        line(Rent, Funder::Institute, dec!(1), dec!(5000000), 0),
        line(PersonalServices, Funder::Counterpart, dec!(1), dec!(10000000), 0),
    ]);
    f.frame.households = households(3, dec!(90), dec!(20));
    let split = split(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(split.institute_maximum, dec!(31500000));
    assert_eq!(split.requested, dec!(25000000));
    assert_eq!(split.contribution, dec!(20000000));
    assert_eq!(split.binding_limit, Limit::EligibleTotal);
    assert_eq!(split.ineligible_lines_moved, vec![1]);
    assert_eq!(split.counterpart, dec!(15000000));
    let counterpart = split
        .share(&Funder::Counterpart)
        .unwrap_or_else(|| panic!("no counterpart row"));
    assert_eq!(counterpart.by_category.get(&Rent), Some(&dec!(5000000)));
    assert_eq!(counterpart.total, dec!(15000000));
    // The verdict cites Art. 20 for the line asked of the institute.
    let e = evaluate(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    let reason = e
        .verdict
        .reason(Check::EligibleExpenses)
        .unwrap_or_else(|| panic!("no Art. 20 reason"));
    assert!(!reason.passed && reason.article == "Art. 20" && reason.seen == Value::Count(1));
    let reason = e
        .verdict
        .reason(Check::CounterpartCoversIneligible)
        .unwrap_or_else(|| panic!("no Art. 21 reason"));
    // The counterpart committed 10,000,000 against 15,000,000 of non-eligible lines.
    assert!(!reason.passed && reason.seen == Value::Amount(dec!(10000000)));
}

#[test]
fn cofinancing_errors() {
    let rules = acuerdo_308();
    let mut f = cocoa();
    f.frame.households.clear();
    assert_eq!(split(&f, &rules).err(), Some(CofinancingError::NoHouseholds));
    let mut f = cocoa();
    f.frame.budget_year = 2001;
    assert_eq!(
        split(&f, &rules).err(),
        Some(CofinancingError::UnknownMinimumWage { year: 2001 })
    );
    // A negative line (a data error validate() reports) could leave the non-eligible lines
    // uncovered: the split refuses.
    let mut f = cocoa();
    f.budget[4].unit_price = dec!(-200000000);
    assert!(matches!(
        split(&f, &rules),
        Err(CofinancingError::CounterpartCannotCover { .. })
    ));
}

#[test]
fn the_cocoa_split_by_funder() {
    let split = split(&cocoa(), &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    // V = 130M (the 10M of assistance is a budget line); ten families at 90 % of 13M = 11.7M
    // (below 20 SMMLV = 11.79M): maximum 117M; asked 110M.
    assert_eq!(split.project_value, dec!(130000000));
    assert_eq!(split.institute_maximum, dec!(117000000));
    assert_eq!(split.contribution, dec!(110000000));
    assert_eq!(split.counterpart, dec!(20000000));
    assert_eq!(split.guarantee.amount, dec!(11000000));
    assert_eq!(split.by_funder.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Sensitivity

#[test]
fn sensitivity_cases_scale_the_right_rows() {
    let f = annuity_project(dec!(10000000), dec!(3000000));
    let e = evaluate(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    let cases = &e.sensitivity.cases;
    assert_eq!(cases.len(), 6);
    // Prices -10 %: NPV falls by 10 % of PV(income) = 2,208,026.12.
    assert_eq!(cases[0].name, "price -10%");
    assert_eq!(cases[0].npv, dec!(9872235.04));
    // No output costs here, so yields act as prices.
    assert_eq!(cases[2].npv, cases[0].npv);
    // Costs +10 %: B/C divides by 1.1.
    let base_bc = e.benefit_cost.unwrap_or_default();
    assert_eq!(
        cases[4].benefit_cost.map(|b| b.round_dp(12)),
        Some((base_bc / dec!(1.1)).round_dp(12))
    );
    assert_eq!(cases[4].npv, dec!(11080261.15));
    // The IRR of "price -20%": 2,400,000 a year on 10,000,000.
    let expected = unique(&irr_f64(&[
        -10.0, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4,
    ]));
    assert!(approx(unique(&cases[1].irr), expected, 1e-12));
}

#[test]
fn switching_values_bring_the_irr_to_the_minimum() {
    let f = annuity_project(dec!(10000000), dec!(3000000));
    let rules = acuerdo_308();
    let e = evaluate(&f, &rules).unwrap_or_else(|e| panic!("{e}"));
    // NPV at 6 % is 12,080,261.15 and PV(income) 22,080,261.15: prices can fall 54.71 %,
    // costs can rise 120.80 %.
    let SwitchingValue::Found(drop) = e.sensitivity.price_drop else {
        panic!("{:?}", e.sensitivity.price_drop)
    };
    assert!(approx(drop, 12080261.15 / 22080261.15, 1e-9), "{drop}");
    let SwitchingValue::Found(rise) = e.sensitivity.cost_rise else {
        panic!("{:?}", e.sensitivity.cost_rise)
    };
    assert!(approx(rise, 1.208026115, 1e-9), "{rise}");
    // Check by rebuilding the flow at the switching value.
    let reduced = annuity_project(
        dec!(10000000),
        dec!(3000000) * Decimal::try_from(1.0 - drop).unwrap_or_default(),
    );
    let at_switch = evaluate(&reduced, &rules).unwrap_or_else(|e| panic!("{e}"));
    assert!(approx(unique(&at_switch.irr), 0.06, 1e-8));

    // The cocoa project, with its non-conventional details, too.
    let e = evaluate(&cocoa(), &rules).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(e.sensitivity.price_drop, SwitchingValue::Found(d) if d > 0.0 && d < 1.0));
    assert!(matches!(e.sensitivity.cost_rise, SwitchingValue::Found(d) if d > 0.0));
}

#[test]
fn no_switching_value_when_the_residual_value_alone_pays() {
    // The residual value (20M in year 10, worth 11.17M today) covers the 10M investment: no
    // price drop brings the IRR under 6 %.
    let mut f = annuity_project(dec!(10000000), dec!(1000000));
    f.production[0].residual_value = dec!(20000000);
    let e = evaluate(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.sensitivity.price_drop, SwitchingValue::NotInRange);
    assert!(matches!(e.sensitivity.cost_rise, SwitchingValue::Found(_)));
}

#[test]
fn an_award_is_at_most_the_evaluated_contribution_and_derives_the_rest() {
    use ExpenseCategory::*;
    let f = with_budget(vec![
        line(GoodsAndEquipment, Funder::Institute, dec!(2), dec!(10000000), 0),
        line(
            MaterialsAndSupplies,
            Funder::Institute,
            dec!(1),
            dec!(10000000),
            0,
        ),
        line(PersonalServices, Funder::Counterpart, dec!(200), dec!(30000), 0),
        line(
            PhysicalInfrastructure,
            Funder::Other(s("Alcaldía")),
            dec!(1),
            dec!(4000000),
            0,
        ),
    ]);
    let rules = acuerdo_308();
    let split = split(&f, &rules).unwrap_or_else(|e| panic!("{e}"));
    let full = AwardAmounts::derive(&split, &rules, None).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (
            full.maximum,
            full.institute_contribution,
            full.counterpart,
            full.guarantee.amount,
            full.lowered
        ),
        (
            dec!(30000000),
            dec!(30000000),
            dec!(10000000),
            dec!(3000000),
            false
        )
    );
    assert_eq!(full.guarantee.months, 24);
    let lowered =
        AwardAmounts::derive(&split, &rules, Some(dec!(25000000.5))).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (lowered.counterpart, lowered.guarantee.amount, lowered.lowered),
        (dec!(14999999.5), dec!(2500001), true),
        "the counterpart takes what the institute does not pay; the policy rounds up"
    );
    assert_eq!(
        AwardAmounts::derive(&split, &rules, Some(dec!(30000000.01))),
        Err(AwardAmountError::AboveMaximum {
            maximum: dec!(30000000)
        })
    );
    assert_eq!(
        AwardAmounts::derive(&split, &rules, Some(dec!(0))),
        Err(AwardAmountError::NotPositive)
    );
}

#[test]
fn no_family_is_given_more_than_the_rule_sets_highest_percentage_and_cap() {
    let mut f = cocoa();
    f.frame.households[0].max_pct = dec!(100);
    f.frame.households[1].cap_smmlv = dec!(30);
    let problems = f.validate(&acuerdo_308());
    let found: Vec<(&str, &str, &str)> = problems
        .iter()
        .filter(|p| p.path.starts_with("frame.households"))
        .map(|p| (p.path.as_str(), p.article.as_str(), p.message.code()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "frame.households[0].max_pct",
                "Art. 7",
                "formulation-problem-above_legal_percent"
            ),
            (
                "frame.households[1].cap_smmlv",
                "Art. 29",
                "formulation-problem-above_legal_cap"
            ),
        ]
    );
}

#[test]
fn the_neutral_years_are_counted_from_the_first_year_of_the_flow() {
    let mut rule = acuerdo_308().technical_assistance;
    let neutral = |rule: &super::rules::TechnicalAssistanceRule| -> Vec<u16> {
        (0..=12).filter(|&y| rule.is_neutral(y)).collect()
    };
    assert_eq!(neutral(&rule), vec![0, 1]);
    rule.includes_investment_year = false;
    assert_eq!(neutral(&rule), vec![1, 2]);
    rule.neutral_years = 0;
    assert_eq!(neutral(&rule), Vec::<u16>::new());
    assert_eq!(rule.neutral_span(), None);
}

// ---------------------------------------------------------------------------------------------
// Art. 19.6 with several IRRs: the modified IRR decides

#[test]
fn the_modified_irr_of_a_textbook_flow() {
    // A spreadsheet's MIRR example: finance at 10 %, reinvestment at 12 %: 12.6094 %.
    let flows = [
        dec!(-120000),
        dec!(39000),
        dec!(30000),
        dec!(21000),
        dec!(37000),
        dec!(46000),
    ];
    let rate = mirr(&flows, dec!(0.10), dec!(0.12)).unwrap_or_else(|| panic!("a MIRR"));
    assert!(approx(rate, 0.126_094, 1e-6), "{rate}");
    let as_f64: Vec<f64> = flows.iter().map(|c| c.to_f64().unwrap_or_default()).collect();
    let rate_f64 = mirr_f64(&as_f64, 0.10, 0.12).unwrap_or_else(|| panic!("a MIRR"));
    assert!(approx(rate, rate_f64, 1e-12));
    // No negative, no positive, or a single year: no MIRR.
    assert_eq!(mirr(&[dec!(1), dec!(2)], dec!(0.06), dec!(0.06)), None);
    assert_eq!(mirr(&[dec!(-1), dec!(-2)], dec!(0.06), dec!(0.06)), None);
    assert_eq!(mirr(&[dec!(-1)], dec!(0.06), dec!(0.06)), None);
}

/// -100M in year 0, 2M in year 1, 55.6M a year from year 2, and a replanting of 69.5M in the
/// last year: the net flow changes sign twice.
fn replanting_project() -> Formulation {
    let mut f = annuity_project(dec!(100000000), dec!(55600000));
    let activity = &mut f.production[0];
    activity.years[0].price = dec!(2000000);
    if let Some(last) = activity.years.last_mut() {
        last.replacements = dec!(69500000);
    }
    f
}

#[test]
fn a_replanting_in_the_last_year_is_viable_on_its_modified_irr() {
    let rules = acuerdo_308();
    let e = evaluate(&replanting_project(), &rules).unwrap_or_else(|e| panic!("{e}"));
    let Irr::Several(roots) = &e.irr else {
        panic!("expected several IRRs, got {:?}", e.irr)
    };
    assert_eq!(roots.len(), 2, "{roots:?}");
    assert!(approx(roots[0], -0.80, 1e-3), "{roots:?}");
    assert!(approx(roots[1], 0.376, 1e-3), "{roots:?}");
    assert!(e.npv > Decimal::ZERO);
    let bc = e.benefit_cost.unwrap_or_default();
    assert_eq!(bc.round_dp(2), dec!(2.58));
    // MIRR at 6 % both ways: (FV of the inflows at year 10 / PV of the outflows)^(1/10) - 1.
    let mirr = e.mirr.unwrap_or_else(|| panic!("a MIRR"));
    assert!(approx(mirr, 0.184_663, 1e-5), "{mirr}");
    assert_eq!(e.deciding_rate(), DecidingRate::Mirr(mirr));
    let reason = e
        .verdict
        .reason(Check::Irr)
        .unwrap_or_else(|| panic!("no IRR reason"));
    assert!(reason.passed, "{reason}");
    assert_eq!(
        reason.seen,
        Value::Mirr {
            rate: mirr,
            roots: roots.clone()
        }
    );
    // The MIRR, not a root, also drives the switching values of the sensitivity.
    assert!(matches!(e.sensitivity.price_drop, SwitchingValue::Found(_)));
}

#[test]
fn a_flow_with_one_irr_is_decided_by_it_and_has_no_mirr() {
    let e = evaluate(&annuity_project(dec!(10000000), dec!(3000000)), &acuerdo_308())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.mirr, None);
    assert_eq!(e.deciding_rate(), DecidingRate::Irr(unique(&e.irr)));
}

#[test]
fn several_irrs_under_the_minimum_mirr_fail_the_check() {
    // A heavy replanting: the MIRR falls under 6 % and the check fails, naming the MIRR.
    let mut f = replanting_project();
    if let Some(last) = f.production[0].years.last_mut() {
        last.replacements = dec!(800000000);
    }
    let e = evaluate(&f, &acuerdo_308()).unwrap_or_else(|e| panic!("{e}"));
    let reason = e
        .verdict
        .reason(Check::Irr)
        .unwrap_or_else(|| panic!("no IRR reason"));
    match (&e.irr, e.mirr) {
        (Irr::Several(_), Some(rate)) => {
            assert!(rate < 0.06, "{rate}");
            assert!(!reason.passed);
            assert!(matches!(reason.seen, Value::Mirr { .. }));
        }
        (other, _) => assert!(!reason.passed, "{other:?}"),
    }
}

proptest! {
    #[test]
    fn the_mirr_lies_between_the_rate_and_a_conventional_irr(
        investment in 1_000u32..1_000_000,
        income in 1u32..500_000,
        years in 2usize..15,
    ) {
        // For a conventional flow, MIRR at r sits between r and the IRR (both sides of r alike).
        let mut flows = vec![-f64::from(investment)];
        flows.extend(std::iter::repeat_n(f64::from(income), years));
        let Some(rate) = irr_f64(&flows).unique() else { return Ok(()) };
        let m = mirr_f64(&flows, 0.06, 0.06).unwrap_or(f64::NAN);
        let (lo, hi) = if rate < 0.06 { (rate, 0.06) } else { (0.06, rate) };
        prop_assert!(m >= lo - 1e-9 && m <= hi + 1e-9, "irr {rate} mirr {m}");
    }
}

// ---------------------------------------------------------------------------------------------
// Chapter IX at formulation: Art. 40.2 (tenure when the project builds) and Art. 43 (two years)

fn codes(problems: &[Problem]) -> Vec<(&str, &str, &str)> {
    problems
        .iter()
        .map(|p| (p.path.as_str(), p.article.as_str(), p.message.code()))
        .collect()
}

/// The cocoa project with its first family on the AREL line, holding its parcel as `tenure`.
fn arel_cocoa(tenure: Option<crate::household::LandTenure>) -> Formulation {
    let mut f = cocoa();
    let family = &mut f.frame.households[0];
    family.program_line = crate::program::ProgramLine::Arel;
    family.land_tenure = tenure;
    f
}

#[test]
fn an_arel_family_needs_tenure_only_when_the_project_builds_on_the_parcel() {
    use crate::household::LandTenure;
    let rules = acuerdo_308();
    // Physical infrastructure (paid by the mayor's office) is built: tenure is required.
    let f = arel_cocoa(None);
    assert!(f.is_arel());
    assert_eq!(
        codes(&f.validate(&rules)),
        [(
            "frame.households[0].land_tenure",
            "Art. 40.2",
            "formulation-problem-arel_tenure_required"
        )]
    );
    let occupant = arel_cocoa(Some(LandTenure::Occupant));
    assert_eq!(occupant.validate(&rules).len(), 1);
    let mut limited = arel_cocoa(Some(LandTenure::Owner));
    limited.frame.households[0].land_restrictions = true;
    assert_eq!(limited.validate(&rules).len(), 1);
    assert_eq!(arel_cocoa(Some(LandTenure::Owner)).validate(&rules), []);
    // Nothing built on the parcel: no tenure is asked of the AREL family.
    let mut no_works = arel_cocoa(None);
    no_works.budget.remove(4);
    assert_eq!(no_works.validate(&rules), []);
    // A general-line family is not asked either (Art. 9 b is a screening rule).
    let mut general = cocoa();
    general.frame.households[0].land_tenure = None;
    assert_eq!(general.validate(&rules), []);
}

#[test]
fn a_leased_or_lent_parcel_gets_no_physical_infrastructure_from_the_institute() {
    use crate::household::LandTenure;
    let rules = acuerdo_308();
    for tenure in [LandTenure::Tenant, LandTenure::Comodato] {
        let mut f = arel_cocoa(Some(tenure));
        f.frame.households[0].land_contract_years = Some(5);
        // Paid by the mayor's office: allowed.
        assert_eq!(f.validate(&rules), [], "{tenure}");
        // Paid by the institute: a typed problem on the line's funder, naming the family.
        f.budget[4].funder = Funder::Institute;
        let problems = f.validate(&rules);
        assert_eq!(
            codes(&problems),
            [(
                "budget[4].funder",
                "Art. 40.2, Art. 20.2",
                "formulation-problem-arel_leased_infrastructure"
            )],
            "{tenure}"
        );
        assert_eq!(
            problems[0].message.arg("family"),
            Some(&crate::message::Arg::Text(s("H001")))
        );
        // Works inside the parcel too.
        f.budget[4].category = ExpenseCategory::WorksInParcel;
        assert_eq!(f.validate(&rules).len(), 1, "{tenure}");
    }
    // An owner's parcel may receive it.
    let mut owned = arel_cocoa(Some(LandTenure::Owner));
    owned.budget[4].funder = Funder::Institute;
    assert_eq!(owned.validate(&rules), []);
}

#[test]
fn a_lease_shorter_than_the_rule_sets_term_is_a_problem_when_the_project_builds() {
    use crate::household::LandTenure;
    let rules = acuerdo_308();
    for years in [None, Some(4)] {
        let mut f = arel_cocoa(Some(LandTenure::Tenant));
        f.frame.households[0].land_contract_years = years;
        assert_eq!(
            codes(&f.validate(&rules)),
            [(
                "frame.households[0].land_contract_years",
                "Art. 40.2",
                "formulation-problem-arel_contract_short"
            )],
            "{years:?}"
        );
        f.budget.remove(4);
        assert_eq!(f.validate(&rules), [], "{years:?}");
    }
}

#[test]
fn an_arel_project_executes_in_at_most_two_years() {
    use crate::household::LandTenure;
    let rules = acuerdo_308();
    let f = arel_cocoa(Some(LandTenure::Owner));
    assert_eq!(f.execution_months(), 12);
    assert_eq!(f.validate(&rules), []);
    // A line in month 24 is still within two years; month 25 is not.
    let mut edge = f.clone();
    edge.budget[0].year = None;
    edge.budget[0].month = Some(24);
    assert_eq!(edge.validate(&rules), []);
    edge.budget[0].month = Some(25);
    let problems = edge.validate(&rules);
    assert_eq!(
        codes(&problems),
        [(
            "components.schedule",
            "Art. 43",
            "formulation-problem-arel_execution_too_long"
        )]
    );
    assert_eq!(
        problems[0].message.arg("months"),
        Some(&crate::message::Arg::Count(25))
    );
    assert_eq!(
        problems[0].message.arg("maximum"),
        Some(&crate::message::Arg::Count(24))
    );
    // The schedule counts too, and a line given by year runs to the end of that year.
    let mut long = f.clone();
    long.frame.components.schedule.activities[0].end_month = 30;
    assert_eq!(long.validate(&rules).len(), 1);
    let mut third_year = f.clone();
    third_year.budget[0].year = Some(2);
    assert_eq!(third_year.execution_months(), 36);
    assert_eq!(third_year.validate(&rules).len(), 1);
    // The general line has no such limit.
    let mut general = third_year.clone();
    general.frame.households[0].program_line = crate::program::ProgramLine::General;
    assert_eq!(general.validate(&rules), []);
}
