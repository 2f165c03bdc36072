//! Numbers as people in Colombia type them, and as files write them; and the one way of
//! writing them back.
//!
//! [`read_number`] reads what a person typed in a form, Colombian first:
//!
//! - `.` groups thousands and `,` marks decimals: `1.234.567,89`, `6.500`, `0,5`.
//! - A plain number reads as itself: `6500`, `-3`, `12.5`, `3.1416`.
//! - A lone `.` followed by exactly three digits groups thousands (`6.500` is 6500), unless
//!   the digits before it cannot be a group of thousands: none, more than three, or starting
//!   with `0`. So `0.500` and `-0.452` are decimals, and so is `1234.567`.
//! - A lone `,` followed by exactly three digits (`1,234`) is [`NumberProblem::Ambiguous`]:
//!   it is a decimal in Colombia and a thousand in English, and a wrong guess costs a factor
//!   of a thousand. The same exceptions as for the dot make it a decimal (`0,250`).
//! - Both marks: the last one is the decimal mark and appears once; the other groups
//!   thousands (`1.234,5` and `1,234,567.89`).
//! - Spaces (also no-break spaces) may group thousands (`4 000 000`), never mark decimals.
//! - Surrounding spaces, one leading `+` or `-`, and a leading `$` are accepted.
//! - Every group after the first has three digits; the first has one to three and does not
//!   start with `0`. Otherwise [`NumberProblem::BadGrouping`].
//! - At most 28 significant digits, as [`Decimal`] holds ([`NumberProblem::TooLarge`]).
//!
//! [`read_data_number`] reads a cell of a CSV or spreadsheet file with the same rules, except
//! that a lone `.` or `,` is always the decimal mark: programs write `0.452` or `1.234` for a
//! float and never group thousands with a lone mark.
//!
//! [`format_number`] writes the Colombian format, and both readers read it back unchanged.

use rust_decimal::Decimal;

use crate::message::Message;

/// Why a text is not a number. The text is kept as typed (trimmed), for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberProblem {
    /// Nothing typed.
    Empty,
    /// Letters, symbols or no digits at all.
    NotANumber { text: String },
    /// `1,234`: a decimal or a whole number with a thousands comma.
    Ambiguous {
        text: String,
        as_decimal: Decimal,
        as_thousands: Decimal,
    },
    /// Marks in the wrong places: `1.23.4`, `1..2`, `12,`.
    BadGrouping { text: String },
    /// More digits than a [`Decimal`] holds.
    TooLarge { text: String },
}

impl NumberProblem {
    /// A stable code for the problem (its message's identifier), for messages, logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            NumberProblem::Empty => "number-empty",
            NumberProblem::NotANumber { .. } => "number-not_a_number",
            NumberProblem::Ambiguous { .. } => "number-ambiguous",
            NumberProblem::BadGrouping { .. } => "number-bad_grouping",
            NumberProblem::TooLarge { .. } => "number-too_large",
        }
    }

    /// The problem as a message: the text as typed and, when it is ambiguous, both readings
    /// written so that they are not (in the Colombian form the reader takes).
    pub fn message(&self) -> Message {
        let message = Message::new(self.code()).with("text", self.text());
        match self {
            NumberProblem::Ambiguous {
                as_decimal,
                as_thousands,
                ..
            } => message
                .with("as_decimal", format_number(*as_decimal))
                .with("as_thousands", format_number(*as_thousands)),
            _ => message,
        }
    }

    /// The text that was read (empty for [`NumberProblem::Empty`]).
    pub fn text(&self) -> &str {
        match self {
            NumberProblem::Empty => "",
            NumberProblem::NotANumber { text }
            | NumberProblem::Ambiguous { text, .. }
            | NumberProblem::BadGrouping { text }
            | NumberProblem::TooLarge { text } => text,
        }
    }
}

/// Reads a number typed by a person (see the module's rules).
pub fn read_number(text: &str) -> Result<Decimal, NumberProblem> {
    read(text, Source::Typed)
}

/// Reads a number written in a data file: like [`read_number`], but a lone `.` or `,` is
/// always the decimal mark.
pub fn read_data_number(text: &str) -> Result<Decimal, NumberProblem> {
    read(text, Source::Data)
}

/// Writes `value` the Colombian way, every decimal kept: `1.234.567,89`, `-3`, `0,25`.
///
/// A value from 1 to 999 with exactly three decimals gets a fourth, zero decimal (`1,2340`),
/// because `1,234` alone is ambiguous.
pub fn format_number(value: Decimal) -> String {
    let value = value.normalize();
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::with_capacity(text.len() + whole.len() / 3 + 2);
    if value.is_sign_negative() && !value.is_zero() {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push(',');
        out.push_str(fraction);
        if fraction.len() == 3 && whole.len() <= 3 && !whole.starts_with('0') {
            out.push('0');
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Typed,
    Data,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Dot,
    Comma,
    Space,
}

fn mark_of(c: char) -> Option<Mark> {
    match c {
        '.' => Some(Mark::Dot),
        ',' => Some(Mark::Comma),
        ' ' | '\u{a0}' | '\u{202f}' => Some(Mark::Space),
        _ => None,
    }
}

/// The sign, and what follows it and a `$`: `-$ 1.000` is `(true, "1.000")`.
fn sign_and_body(text: &str) -> (bool, &str) {
    let mut rest = text;
    let mut negative = None;
    let mut dollar = false;
    loop {
        let sign = rest.chars().next().filter(|c| matches!(c, '-' | '+'));
        if let (None, Some(sign)) = (negative, sign) {
            negative = Some(sign == '-');
            rest = rest[1..].trim_start();
        } else if let (false, Some(after)) = (dollar, rest.strip_prefix('$')) {
            dollar = true;
            rest = after.trim_start();
        } else {
            return (negative.unwrap_or(false), rest);
        }
    }
}

fn read(text: &str, source: Source) -> Result<Decimal, NumberProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NumberProblem::Empty);
    }
    let (negative, body) = sign_and_body(text);
    match plain(body, source, negative) {
        Some(value) => Ok(value),
        None => general(text, body, negative, source),
    }
}

/// Reads any shape of `body`, the text after its sign; `text` is the whole, for problems.
fn general(text: &str, body: &str, negative: bool, source: Source) -> Result<Decimal, NumberProblem> {
    let not_a_number = || NumberProblem::NotANumber {
        text: text.to_owned(),
    };
    let bad_grouping = || NumberProblem::BadGrouping {
        text: text.to_owned(),
    };

    let (mut dots, mut commas, mut spaces, mut digits) = (0_usize, 0_usize, 0_usize, 0_usize);
    let (mut last_dot, mut last_comma) = (0, 0);
    let mut doubled = false;
    let mut previous_was_mark = false;
    for (at, c) in body.char_indices() {
        if c.is_ascii_digit() {
            digits += 1;
            previous_was_mark = false;
            continue;
        }
        match mark_of(c).ok_or_else(not_a_number)? {
            Mark::Dot => (dots, last_dot) = (dots + 1, at),
            Mark::Comma => (commas, last_comma) = (commas + 1, at),
            Mark::Space => spaces += 1,
        }
        doubled |= previous_was_mark;
        previous_was_mark = true;
    }
    if digits == 0 {
        return Err(not_a_number());
    }
    if doubled || previous_was_mark {
        return Err(bad_grouping());
    }

    // Which mark groups thousands, and where the decimal mark is.
    let (thousands, decimal_at) = match (dots, commas, spaces) {
        (0, 0, 0) => (None, None),
        (0, 0, _) => (Some(Mark::Space), None),
        (1.., 1.., 1..) => return Err(bad_grouping()),
        // Both marks: the last is the decimal mark, once.
        (1.., 1, 0) if last_comma > last_dot => (Some(Mark::Dot), Some(last_comma)),
        (1, 1.., 0) if last_dot > last_comma => (Some(Mark::Comma), Some(last_dot)),
        (1.., 1.., 0) => return Err(bad_grouping()),
        (1, 0, 1..) => (Some(Mark::Space), Some(last_dot)),
        (0, 1, 1..) => (Some(Mark::Space), Some(last_comma)),
        (_, _, 1..) => return Err(bad_grouping()),
        (2.., 0, 0) => (Some(Mark::Dot), None),
        (0, 2.., 0) => (Some(Mark::Comma), None),
        (_, _, 0) => {
            // A lone dot or comma.
            let (mark, at) = if dots == 1 {
                (Mark::Dot, last_dot)
            } else {
                (Mark::Comma, last_comma)
            };
            let (head, tail) = (&body[..at], &body[at + 1..]);
            let could_group = (1..=3).contains(&head.len()) && !head.starts_with('0') && tail.len() == 3;
            match (source, could_group, mark) {
                (Source::Data, _, _) | (_, false, _) => (None, Some(at)),
                (Source::Typed, true, Mark::Dot) => (Some(Mark::Dot), None),
                (Source::Typed, true, _) => {
                    // Six digits at most: both readings fit.
                    let as_decimal = assemble(body, Some(at), negative).ok_or_else(not_a_number)?;
                    let as_thousands = assemble(body, None, negative).ok_or_else(not_a_number)?;
                    return Err(NumberProblem::Ambiguous {
                        text: text.to_owned(),
                        as_decimal,
                        as_thousands,
                    });
                }
            }
        }
    };
    let whole = decimal_at.map_or(body, |at| &body[..at]);
    let fraction = decimal_at.map_or("", |at| &body[at + 1..]);
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_grouping());
    }
    match thousands {
        Some(mark) if !grouped(whole, mark) => return Err(bad_grouping()),
        None if !whole.bytes().all(|b| b.is_ascii_digit()) => return Err(bad_grouping()),
        _ => {}
    }
    assemble(body, decimal_at, negative).ok_or_else(|| NumberProblem::TooLarge {
        text: text.to_owned(),
    })
}

/// The common shape read in one pass, as files of millions of rows need: up to 18 digits
/// with at most one `.` or `,` that is a decimal mark. `None` when [`read`] must decide.
fn plain(body: &str, source: Source, negative: bool) -> Option<Decimal> {
    let mut mantissa: u64 = 0;
    let mut digits: u32 = 0;
    let mut head: u32 = 0;
    let mut scale: Option<u32> = None;
    for byte in body.bytes() {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                digits += 1;
                if let Some(decimals) = scale.as_mut() {
                    *decimals += 1;
                }
            }
            b'.' | b',' if scale.is_none() => {
                scale = Some(0);
                head = digits;
            }
            _ => return None,
        }
        if digits > 18 {
            return None;
        }
    }
    let could_group = scale == Some(3) && (1..=3).contains(&head) && !body.starts_with('0');
    if digits == 0 || scale == Some(0) || (source == Source::Typed && could_group) {
        return None;
    }
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        negative && mantissa != 0,
        scale.unwrap_or(0),
    ))
}

/// Whether `whole` groups its digits by thousands with `mark`: a first group of one to three
/// digits not starting with `0` (a lone `0` included), then groups of three.
fn grouped(whole: &str, mark: Mark) -> bool {
    whole
        .split(|c| mark_of(c) == Some(mark))
        .enumerate()
        .all(|(i, group)| {
            let digits = group.bytes().all(|b| b.is_ascii_digit());
            if i == 0 {
                digits && (1..=3).contains(&group.len()) && !group.starts_with('0')
            } else {
                digits && group.len() == 3
            }
        })
}

/// The value of the digits of `body`, the decimal mark at byte `decimal_at`; `None` when it
/// has more digits than a [`Decimal`] holds. Allocates nothing: files have millions of rows.
fn assemble(body: &str, decimal_at: Option<usize>, negative: bool) -> Option<Decimal> {
    const MAX_DIGITS: u32 = 28;
    let fraction_from = decimal_at.map_or(usize::MAX, |at| at + 1);
    let mut mantissa: u128 = 0;
    // Digits in the mantissa from its first non-zero one, and decimals so far.
    let mut significant: u32 = 0;
    let mut scale: u32 = 0;
    // Zeros of the fraction not yet added: trailing ones are dropped if they do not fit.
    let mut zeros: u32 = 0;
    for (at, byte) in body.bytes().enumerate() {
        if !byte.is_ascii_digit() {
            continue;
        }
        let digit = u128::from(byte - b'0');
        if at < fraction_from {
            if mantissa != 0 || digit != 0 {
                if significant == MAX_DIGITS {
                    return None;
                }
                mantissa = mantissa * 10 + digit;
                significant += 1;
            }
        } else if digit == 0 {
            zeros += 1;
        } else {
            let added = zeros + 1;
            let grown = if mantissa == 0 { 1 } else { significant + added };
            if grown > MAX_DIGITS || scale + added > MAX_DIGITS {
                return None;
            }
            for _ in 0..zeros {
                mantissa *= 10;
            }
            mantissa = mantissa * 10 + digit;
            significant = grown;
            scale += added;
            zeros = 0;
        }
    }
    if significant + zeros <= MAX_DIGITS && scale + zeros <= MAX_DIGITS {
        for _ in 0..zeros {
            mantissa *= 10;
        }
        scale += zeros;
    }
    // At most 28 digits: below 2^96, so the three words hold it.
    let word = |shift: u32| (mantissa >> shift) as u32;
    Some(Decimal::from_parts(
        word(0),
        word(32),
        word(64),
        negative && mantissa != 0,
        scale,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn read(text: &str) -> Decimal {
        read_number(text).unwrap_or_else(|p| panic!("{text:?}: {p:?}"))
    }

    fn code(text: &str) -> &'static str {
        match read_number(text) {
            Ok(value) => panic!("{text:?} read as {value}"),
            Err(problem) => problem.code(),
        }
    }

    #[test]
    fn reads_the_colombian_format() {
        assert_eq!(read("6.500"), dec!(6500));
        assert_eq!(read("1.234.567,89"), dec!(1234567.89));
        assert_eq!(read("4.000.000"), dec!(4000000));
        assert_eq!(read("150.000"), dec!(150000));
        assert_eq!(read("0,5"), dec!(0.5));
        assert_eq!(read("12,75"), dec!(12.75));
        assert_eq!(read("1.234"), dec!(1234));
        assert_eq!(read("1.234,5"), dec!(1234.5));
        assert_eq!(
            read("1234,567"),
            dec!(1234.567),
            "four digits are no group of thousands"
        );
    }

    #[test]
    fn reads_plain_numbers() {
        assert_eq!(read("6500"), dec!(6500));
        assert_eq!(read("-3"), dec!(-3));
        assert_eq!(read("+3"), dec!(3));
        assert_eq!(read("12.5"), dec!(12.5));
        assert_eq!(read("0.25"), dec!(0.25));
        assert_eq!(read("3.1416"), dec!(3.1416));
        assert_eq!(read("1234.567"), dec!(1234.567));
        assert_eq!(read(".5"), dec!(0.5));
        assert_eq!(read(",5"), dec!(0.5));
        assert_eq!(read("007"), dec!(7));
        assert_eq!(read("-0"), Decimal::ZERO);
        assert_eq!(read("12,50").to_string(), "12.50", "decimals are kept as typed");
    }

    #[test]
    fn a_leading_zero_is_never_a_group_of_thousands() {
        assert_eq!(read("0.500"), dec!(0.5));
        assert_eq!(read("0.452"), dec!(0.452));
        assert_eq!(read("-0.452"), dec!(-0.452));
        assert_eq!(read("0,250"), dec!(0.25));
        assert_eq!(read(".500"), dec!(0.5));
        assert_eq!(code("0.500.000"), "number-bad_grouping");
    }

    #[test]
    fn reads_english_grouping_when_it_is_unambiguous() {
        assert_eq!(read("1,234,567.89"), dec!(1234567.89));
        assert_eq!(read("1,234.5"), dec!(1234.5));
        assert_eq!(read("1,234,567"), dec!(1234567));
    }

    #[test]
    fn accepts_spaces_around_a_sign_and_a_peso_sign() {
        assert_eq!(read("  6.500 "), dec!(6500));
        assert_eq!(read("$4.000.000"), dec!(4000000));
        assert_eq!(read("$ 4.000.000"), dec!(4000000));
        assert_eq!(read("-$1.500"), dec!(-1500));
        assert_eq!(read("$-1.500"), dec!(-1500));
        assert_eq!(read("- 2,5"), dec!(-2.5));
        assert_eq!(code("$$5"), "number-not_a_number");
        assert_eq!(code("--5"), "number-not_a_number");
        assert_eq!(code("+-5"), "number-not_a_number");
    }

    #[test]
    fn spaces_group_thousands_and_never_mark_decimals() {
        assert_eq!(read("4 000 000"), dec!(4000000));
        assert_eq!(read("4\u{a0}000\u{202f}000,5"), dec!(4000000.5));
        assert_eq!(read("1 234.5"), dec!(1234.5));
        assert_eq!(code("1 5"), "number-bad_grouping");
        assert_eq!(code("1 234.567.8"), "number-bad_grouping");
        assert_eq!(code("1 234,5 6"), "number-bad_grouping");
        assert_eq!(code("1 234.5,6"), "number-bad_grouping");
    }

    #[test]
    fn a_lone_comma_before_three_digits_is_ambiguous() {
        assert_eq!(
            read_number(" 1,234 "),
            Err(NumberProblem::Ambiguous {
                text: "1,234".to_owned(),
                as_decimal: dec!(1.234),
                as_thousands: dec!(1234),
            })
        );
        match read_number("-999,500") {
            Err(NumberProblem::Ambiguous {
                as_decimal,
                as_thousands,
                ..
            }) => assert_eq!((as_decimal, as_thousands), (dec!(-999.5), dec!(-999500))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_badly_grouped_digits() {
        for text in [
            "1.23.4",
            "12.34.567",
            "1..2",
            "1,2,3",
            "1,,2",
            "12.",
            "12,",
            "1.2345,6",
            "1.234,5.6",
            "1,234.567,8",
            "1.234.5",
            "1234.567.890",
            "12.5,3",
            ".500.000",
        ] {
            assert_eq!(code(text), "number-bad_grouping", "{text:?}");
            assert_eq!(
                read_number(text).err().map(|p| p.text().to_owned()).as_deref(),
                Some(text)
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for text in [
            "mucho", "12a", "1e5", "12,5%", "-", "+", "$", ".", ",", "١٢", "0x10", "1_000",
        ] {
            assert_eq!(code(text), "number-not_a_number", "{text:?}");
        }
        assert_eq!(read_number(""), Err(NumberProblem::Empty));
        assert_eq!(read_number(" \t "), Err(NumberProblem::Empty));
        assert_eq!(NumberProblem::Empty.code(), "number-empty");
    }

    #[test]
    fn refuses_more_digits_than_a_decimal_holds() {
        let nines = "9".repeat(28);
        assert_eq!(
            read(&nines),
            Decimal::from_i128_with_scale(10_i128.pow(28) - 1, 0)
        );
        assert_eq!(code(&"9".repeat(29)), "number-too_large");
        assert_eq!(code(&format!("0,{}1", "0".repeat(28))), "number-too_large");
        assert_eq!(code("99.999.999.999.999.999.999.999.999.999"), "number-too_large");
        // Leading zeros are no digits, and trailing decimal zeros are dropped when they do
        // not fit.
        assert_eq!(read(&format!("000{nines}")), read(&nines));
        assert_eq!(read(&format!("1,{}", "0".repeat(40))), dec!(1));
    }

    #[test]
    fn files_take_a_lone_mark_for_the_decimal_mark() {
        let data = |text: &str| read_data_number(text).unwrap_or_else(|p| panic!("{text:?}: {p:?}"));
        assert_eq!(data("1.234"), dec!(1.234));
        assert_eq!(data("1,234"), dec!(1.234));
        assert_eq!(data("0.4523"), dec!(0.4523));
        assert_eq!(data("0,4523"), dec!(0.4523));
        assert_eq!(data("45.123"), dec!(45.123));
        assert_eq!(data("1.234.567,89"), dec!(1234567.89));
        assert_eq!(data("1,234,567"), dec!(1234567));
        assert_eq!(
            read_data_number("1.23.4").map_err(|p| p.code()),
            Err("number-bad_grouping")
        );
    }

    #[test]
    fn formats_the_colombian_way_with_every_decimal() {
        assert_eq!(format_number(dec!(1234567.89)), "1.234.567,89");
        assert_eq!(format_number(dec!(6500)), "6.500");
        assert_eq!(format_number(dec!(-1000)), "-1.000");
        assert_eq!(format_number(dec!(0.25)), "0,25");
        assert_eq!(format_number(dec!(12.50)), "12,5");
        assert_eq!(format_number(dec!(-0.000001)), "-0,000001");
        assert_eq!(format_number(dec!(0)), "0");
        assert_eq!(format_number(dec!(0.125)), "0,125");
        assert_eq!(format_number(dec!(1.234)), "1,2340", "not the ambiguous 1,234");
        assert_eq!(format_number(dec!(999.5)), "999,5");
        assert_eq!(format_number(dec!(1234.567)), "1.234,567");
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(
            (scale, mantissa) in (0u32..=6).prop_flat_map(|scale| {
                let limit = 10_i128.pow(15 + scale);
                (Just(scale), -limit + 1..limit)
            })
        ) {
            let value = Decimal::from_i128_with_scale(mantissa, scale);
            let written = format_number(value);
            prop_assert_eq!(read_number(&written), Ok(value), "{}", written);
            prop_assert_eq!(read_data_number(&written), Ok(value), "{}", written);
        }

        #[test]
        fn the_quick_path_reads_as_the_general_one(body in "[0-9]{1,20}([.,][0-9]{0,8})?") {
            for source in [Source::Typed, Source::Data] {
                if let Some(quick) = plain(&body, source, true) {
                    prop_assert_eq!(general(&body, &body, true, source), Ok(quick));
                }
            }
        }

        #[test]
        fn never_panics(text in "[-+$ 0-9.,a\u{a0}]{0,40}") {
            let _ = read_number(&text);
            let _ = read_data_number(&text);
        }
    }
}
