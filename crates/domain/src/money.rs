//! Money and the minimum monthly wage (SMMLV).
//!
//! Amounts are [`Decimal`], never floating point. A currency is always named next to an
//! amount, so EUR and COP are never added by accident.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

text_enum! {
    /// The currencies the program handles: pesos for its own budget, euros for donor funds.
    pub enum Currency ("currency") {
        Cop = "COP",
        Eur = "EUR",
        Usd = "USD",
    }
}

/// An amount in a named currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    pub fn cop(amount: Decimal) -> Self {
        Self::new(amount, Currency::Cop)
    }
}

/// Adds amounts by currency, so that a total never mixes currencies silently.
pub fn totals_by_currency(amounts: impl IntoIterator<Item = Money>) -> BTreeMap<Currency, Decimal> {
    let mut totals = BTreeMap::new();
    for money in amounts {
        *totals.entry(money.currency).or_insert(Decimal::ZERO) += money.amount;
    }
    totals
}

/// Formats an amount the Colombian way, to the cent: `.` between thousands, `,` before
/// decimals (see [`crate::number::format_number`]).
pub fn format_amount(amount: Decimal) -> String {
    crate::number::format_number(amount.round_dp(2))
}

/// The legal minimum monthly wage of one year, with the decree that fixed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinimumWage {
    pub year: i16,
    pub amount_cop: Decimal,
    pub decree: String,
}

static MINIMUM_WAGES: LazyLock<Vec<MinimumWage>> = LazyLock::new(|| {
    parse_minimum_wages(include_str!("../../../data/smmlv_2010_2026.csv"))
        .unwrap_or_else(|e| panic!("the shipped data/smmlv_2010_2026.csv is broken: {e}"))
});

/// Every minimum wage shipped with the program, oldest first.
pub fn minimum_wages() -> &'static [MinimumWage] {
    &MINIMUM_WAGES
}

/// The SMMLV of a year, if the program knows it.
pub fn minimum_wage(year: i16) -> Option<&'static MinimumWage> {
    MINIMUM_WAGES.iter().find(|w| w.year == year)
}

fn parse_minimum_wages(text: &str) -> Result<Vec<MinimumWage>, String> {
    #[derive(Deserialize)]
    struct Row {
        year: i16,
        smmlv_cop: String,
        decree: String,
    }
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut wages = Vec::new();
    for (index, row) in reader.deserialize::<Row>().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| format!("line {line}: {e}"))?;
        let amount_cop = Decimal::from_str(&row.smmlv_cop)
            .map_err(|e| format!("line {line}, smmlv_cop {:?}: {e}", row.smmlv_cop))?;
        wages.push(MinimumWage {
            year: row.year,
            amount_cop,
            decree: row.decree,
        });
    }
    Ok(wages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ships_every_year_from_2010_to_2026() {
        let years: Vec<i16> = minimum_wages().iter().map(|w| w.year).collect();
        assert_eq!(years, (2010..=2026).collect::<Vec<_>>());
        assert_eq!(minimum_wage(2013).map(|w| w.amount_cop), Some(dec!(589500)));
        assert_eq!(minimum_wage(2026).map(|w| w.amount_cop), Some(dec!(1750905)));
        assert!(minimum_wage(2009).is_none());
    }

    #[test]
    fn formats_amounts_the_colombian_way() {
        assert_eq!(format_amount(dec!(22500000)), "22.500.000");
        assert_eq!(format_amount(dec!(589500)), "589.500");
        assert_eq!(format_amount(dec!(999)), "999");
        assert_eq!(format_amount(dec!(1234.5)), "1.234,5");
        assert_eq!(format_amount(dec!(-1000)), "-1.000");
        assert_eq!(format_amount(dec!(0)), "0");
    }

    #[test]
    fn totals_keep_currencies_apart() {
        let totals = totals_by_currency([
            Money::new(dec!(19500000), Currency::Eur),
            Money::new(dec!(3000000), Currency::Eur),
            Money::cop(dec!(1000)),
        ]);
        assert_eq!(totals.get(&Currency::Eur), Some(&dec!(22500000)));
        assert_eq!(totals.get(&Currency::Cop), Some(&dec!(1000)));
    }

    #[test]
    fn parses_currency_codes() {
        assert_eq!("eur".parse::<Currency>(), Ok(Currency::Eur));
        assert!("peso".parse::<Currency>().is_err());
    }
}
