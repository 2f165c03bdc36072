//! IRR and NPV against numpy-financial 1.0.0 on 200 random conventional flows (one peso to
//! 10^12), written by `bench/finance/accuracy.py --count 200 --seed 2013 --max-years 15`:
//! IRR to 1e-9 absolute, NPV to 1e-9 relative. `bench/finance/run` repeats the check on
//! 10,000 fresh flows.

use vereda_domain::finance::{Irr, irr, irr_f64, npv, npv_f64};

const CSV: &str = include_str!("data/finance_accuracy_200.csv");

struct Case {
    rate: f64,
    npv: f64,
    irr: f64,
    flows: Vec<f64>,
}

fn cases() -> Vec<Case> {
    let mut reader = csv::Reader::from_reader(CSV.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.unwrap_or_else(|e| panic!("{e}"));
            let number = |i: usize| -> f64 {
                let text = record.get(i).unwrap_or_else(|| panic!("column {i} missing"));
                text.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"))
            };
            let flows = record
                .get(4)
                .unwrap_or_else(|| panic!("flows missing"))
                .split(' ')
                .map(|v| v.parse().unwrap_or_else(|e| panic!("{v:?}: {e}")))
                .collect();
            Case {
                rate: number(1),
                npv: number(2),
                irr: number(3),
                flows,
            }
        })
        .collect()
}

#[test]
fn irr_and_npv_agree_with_numpy_financial() {
    let cases = cases();
    assert_eq!(cases.len(), 200);
    for (i, case) in cases.iter().enumerate() {
        match irr_f64(&case.flows) {
            Irr::Unique(rate) => assert!(
                (rate - case.irr).abs() <= 1e-9,
                "row {i}: IRR {rate} vs numpy-financial {}",
                case.irr
            ),
            other => panic!("row {i}: expected one IRR, got {other:?}"),
        }
        // Relative to the NPV, or to the size of its terms when the NPV itself nearly cancels.
        let x = 1.0 / (1.0 + case.rate);
        let size = case.flows.iter().rev().fold(0.0, |acc, c| acc * x + c.abs());
        let ours = npv_f64(case.rate, &case.flows);
        let relative = (ours - case.npv).abs() / case.npv.abs().max(1e-6 * size);
        assert!(
            relative <= 1e-9,
            "row {i}: NPV {ours} vs numpy-financial {}",
            case.npv
        );
    }
}

#[test]
fn the_decimal_api_agrees_too() {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    for (i, case) in cases().iter().enumerate().take(50) {
        let flows: Vec<Decimal> = case
            .flows
            .iter()
            .map(|c| Decimal::from_f64(*c).unwrap_or_default())
            .collect();
        let rate = irr(&flows).unique().unwrap_or_else(|| panic!("row {i}: no IRR"));
        assert!((rate - case.irr).abs() <= 1e-9, "row {i}");
        let at = Decimal::from_f64(case.rate).unwrap_or_default();
        let ours = npv(at, &flows).to_f64().unwrap_or_default();
        let x = 1.0 / (1.0 + case.rate);
        let size = case.flows.iter().rev().fold(0.0, |acc, c| acc * x + c.abs());
        assert!(
            (ours - case.npv).abs() <= 1e-9 * case.npv.abs().max(1e-6 * size),
            "row {i}"
        );
    }
}
