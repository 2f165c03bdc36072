//! Amounts in Spanish words, as administrative acts write them beside the figures:
//! "TREINTA Y NUEVE MILLONES OCHOCIENTOS MIL PESOS M/CTE".
//!
//! The reading: whole pesos in words ("UN PESO", "VEINTIÚN PESOS", "UN MILLÓN DE PESOS",
//! "UN MILLÓN CIEN MIL PESOS"); the amount is rounded to the cent, and cents that are not zero
//! follow in words ("CON CINCUENTA CENTAVOS"). The long scale: 10^9 is "MIL MILLONES", 10^12
//! "UN BILLÓN". "UNO" is shortened before a noun or a multiplier ("UN", "VEINTIÚN", "TREINTA Y
//! UN MIL"). Pure: no I/O.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const UNITS: [&str; 30] = [
    "CERO",
    "UNO",
    "DOS",
    "TRES",
    "CUATRO",
    "CINCO",
    "SEIS",
    "SIETE",
    "OCHO",
    "NUEVE",
    "DIEZ",
    "ONCE",
    "DOCE",
    "TRECE",
    "CATORCE",
    "QUINCE",
    "DIECISÉIS",
    "DIECISIETE",
    "DIECIOCHO",
    "DIECINUEVE",
    "VEINTE",
    "VEINTIUNO",
    "VEINTIDÓS",
    "VEINTITRÉS",
    "VEINTICUATRO",
    "VEINTICINCO",
    "VEINTISÉIS",
    "VEINTISIETE",
    "VEINTIOCHO",
    "VEINTINUEVE",
];

const TENS: [&str; 10] = [
    "",
    "",
    "",
    "TREINTA",
    "CUARENTA",
    "CINCUENTA",
    "SESENTA",
    "SETENTA",
    "OCHENTA",
    "NOVENTA",
];

const HUNDREDS: [&str; 10] = [
    "",
    "CIENTO",
    "DOSCIENTOS",
    "TRESCIENTOS",
    "CUATROCIENTOS",
    "QUINIENTOS",
    "SEISCIENTOS",
    "SETECIENTOS",
    "OCHOCIENTOS",
    "NOVECIENTOS",
];

const MILLION: u64 = 1_000_000;
const BILLION: u64 = 1_000_000_000_000;

/// 1..=999 in words; `short` shortens a final "UNO" (before a noun or a multiplier).
fn below_thousand(n: u64, short: bool) -> String {
    debug_assert!((1..1000).contains(&n));
    if n == 100 {
        return "CIEN".to_owned();
    }
    let (hundreds, rest) = (n / 100, n % 100);
    let mut words = Vec::new();
    if hundreds > 0 {
        words.push(HUNDREDS[hundreds as usize].to_owned());
    }
    if rest > 0 {
        let tail = if rest < 30 {
            UNITS[rest as usize].to_owned()
        } else if rest % 10 == 0 {
            TENS[(rest / 10) as usize].to_owned()
        } else {
            format!("{} Y {}", TENS[(rest / 10) as usize], UNITS[(rest % 10) as usize])
        };
        words.push(if short { shorten(&tail) } else { tail });
    }
    words.join(" ")
}

/// "UNO" → "UN", "VEINTIUNO" → "VEINTIÚN" at the end of a group.
fn shorten(words: &str) -> String {
    if let Some(head) = words.strip_suffix("VEINTIUNO") {
        format!("{head}VEINTIÚN")
    } else if let Some(head) = words.strip_suffix("UNO") {
        format!("{head}UN")
    } else {
        words.to_owned()
    }
}

/// 1..=999_999 in words.
fn below_million(n: u64, short: bool) -> String {
    let (thousands, rest) = (n / 1000, n % 1000);
    let mut words = Vec::new();
    match thousands {
        0 => {}
        1 => words.push("MIL".to_owned()),
        t => words.push(format!("{} MIL", below_thousand(t, true))),
    }
    if rest > 0 {
        words.push(below_thousand(rest, short));
    }
    words.join(" ")
}

/// A whole number in words, masculine; `short` shortens a final "UNO" ("VEINTIÚN PESOS").
pub fn number_in_words(n: u64, short: bool) -> String {
    if n == 0 {
        return UNITS[0].to_owned();
    }
    let (billions, millions, rest) = (n / BILLION, (n / MILLION) % MILLION, n % MILLION);
    let mut words = Vec::new();
    match billions {
        0 => {}
        1 => words.push("UN BILLÓN".to_owned()),
        b => words.push(format!("{} BILLONES", below_million(b, true))),
    }
    match millions {
        0 => {}
        1 => words.push("UN MILLÓN".to_owned()),
        m => words.push(format!("{} MILLONES", below_million(m, true))),
    }
    if rest > 0 {
        words.push(below_million(rest, short));
    }
    words.join(" ")
}

/// Whole pesos with their noun: "UN PESO", "CIEN PESOS", "UN MILLÓN DE PESOS" (a count ending
/// in millions or billions takes "DE").
fn pesos(n: u64) -> String {
    match n {
        1 => "UN PESO".to_owned(),
        n if n > 0 && n % MILLION == 0 => format!("{} DE PESOS", number_in_words(n, true)),
        n => format!("{} PESOS", number_in_words(n, true)),
    }
}

/// An amount of Colombian pesos in words, as an act writes it before the figures:
/// "TREINTA Y NUEVE MILLONES OCHOCIENTOS MIL PESOS M/CTE", "UN PESO CON CINCUENTA CENTAVOS
/// M/CTE". Rounded to the cent; `None` for a negative amount or one beyond `u64` pesos.
pub fn pesos_in_words(amount: Decimal) -> Option<String> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return None;
    }
    let rounded = amount.round_dp(2);
    let whole = rounded.trunc().to_u64()?;
    let cents = ((rounded - rounded.trunc()) * Decimal::ONE_HUNDRED).to_u64()?;
    let mut words = pesos(whole);
    match cents {
        0 => {}
        1 => words.push_str(" CON UN CENTAVO"),
        c => {
            words.push_str(" CON ");
            words.push_str(&number_in_words(c, true));
            words.push_str(" CENTAVOS");
        }
    }
    words.push_str(" M/CTE");
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn said(n: u64) -> String {
        pesos_in_words(Decimal::from(n)).expect("words")
    }

    #[test]
    fn tricky_amounts() {
        for (n, words) in [
            (0, "CERO PESOS M/CTE"),
            (1, "UN PESO M/CTE"),
            (2, "DOS PESOS M/CTE"),
            (16, "DIECISÉIS PESOS M/CTE"),
            (21, "VEINTIÚN PESOS M/CTE"),
            (22, "VEINTIDÓS PESOS M/CTE"),
            (31, "TREINTA Y UN PESOS M/CTE"),
            (100, "CIEN PESOS M/CTE"),
            (101, "CIENTO UN PESOS M/CTE"),
            (115, "CIENTO QUINCE PESOS M/CTE"),
            (500, "QUINIENTOS PESOS M/CTE"),
            (1_000, "MIL PESOS M/CTE"),
            (1_001, "MIL UN PESOS M/CTE"),
            (21_000, "VEINTIÚN MIL PESOS M/CTE"),
            (100_000, "CIEN MIL PESOS M/CTE"),
            (101_000, "CIENTO UN MIL PESOS M/CTE"),
            (1_000_000, "UN MILLÓN DE PESOS M/CTE"),
            (1_100_000, "UN MILLÓN CIEN MIL PESOS M/CTE"),
            (2_000_000, "DOS MILLONES DE PESOS M/CTE"),
            (21_000_000, "VEINTIÚN MILLONES DE PESOS M/CTE"),
            (39_800_000, "TREINTA Y NUEVE MILLONES OCHOCIENTOS MIL PESOS M/CTE"),
            (1_000_000_000, "MIL MILLONES DE PESOS M/CTE"),
            (1_001_000_000, "MIL UN MILLONES DE PESOS M/CTE"),
            (1_000_000_000_000, "UN BILLÓN DE PESOS M/CTE"),
            (2_000_000_000_001, "DOS BILLONES UN PESOS M/CTE"),
        ] {
            assert_eq!(said(n), words, "{n}");
        }
        assert_eq!(number_in_words(1, false), "UNO");
        assert_eq!(number_in_words(101, false), "CIENTO UNO");
        assert_eq!(number_in_words(21, false), "VEINTIUNO");
    }

    #[test]
    fn cents_follow_in_words() {
        let words = |text: &str| pesos_in_words(text.parse().expect("decimal")).expect("words");
        assert_eq!(words("1.5"), "UN PESO CON CINCUENTA CENTAVOS M/CTE");
        assert_eq!(words("10.01"), "DIEZ PESOS CON UN CENTAVO M/CTE");
        assert_eq!(words("7.999"), "OCHO PESOS M/CTE");
        assert_eq!(words("0.00"), "CERO PESOS M/CTE");
        assert_eq!(pesos_in_words("-1".parse().expect("decimal")), None);
    }

    /// Reads the words back into the number (the long scale), for the round trip.
    fn read_words(text: &str) -> u64 {
        let value = |word: &str| -> Option<u64> {
            match word {
                "UN" => return Some(1),
                "VEINTIÚN" => return Some(21),
                "CIEN" => return Some(100),
                _ => {}
            }
            let at = |list: &[&str]| {
                list.iter()
                    .position(|w| !w.is_empty() && *w == word)
                    .map(|i| i as u64)
            };
            at(&UNITS)
                .or_else(|| at(&TENS).map(|i| i * 10))
                .or_else(|| at(&HUNDREDS).map(|i| i * 100))
        };
        let (mut total, mut group, mut current) = (0u64, 0u64, 0u64);
        for word in text.split_whitespace() {
            match word {
                "Y" | "DE" | "PESOS" | "PESO" | "M/CTE" => {}
                "MIL" => {
                    group += current.max(1) * 1000;
                    current = 0;
                }
                "MILLÓN" | "MILLONES" => {
                    total += (group + current) * MILLION;
                    group = 0;
                    current = 0;
                }
                "BILLÓN" | "BILLONES" => {
                    total = (total + group + current) * BILLION;
                    group = 0;
                    current = 0;
                }
                w => current += value(w).unwrap_or_else(|| panic!("unknown word {w:?} in {text:?}")),
            }
        }
        total + group + current
    }

    proptest! {
        #[test]
        fn words_read_back_as_the_number(n in 0u64..=BILLION) {
            let words = said(n);
            prop_assert_eq!(read_words(&words), n, "{}", words);
            // Structure: one noun, "UNO" never before it, "DE" only after a round million.
            prop_assert!(words.ends_with(" M/CTE"));
            prop_assert!(!words.contains("UNO PESO") && !words.contains("UNO MIL"));
            prop_assert_eq!(words.contains(" DE PESOS"), n >= MILLION && n % MILLION == 0);
            prop_assert_eq!(words.contains("UN PESO "), n == 1);
            prop_assert!(!words.contains("  "));
        }

        #[test]
        fn round_numbers_read_back(n in 0u64..=1000, scale in 0u32..=9) {
            let n = (n * 10u64.pow(scale)).min(BILLION);
            prop_assert_eq!(read_words(&said(n)), n);
        }
    }
}
