//! Colombia's public holidays and business days (días hábiles).
//!
//! Ley 51 de 1983 (with Ley 37 de 1905 and the Concordato) fixes eighteen holidays a year:
//! six on their date (1 January, 1 May, 20 July, 7 August, 8 and 25 December), seven moved to
//! the following Monday when they do not fall on one (6 January, 19 March, 29 June, 15 August,
//! 12 October, 1 and 11 November), Holy Thursday and Good Friday, and three that follow Easter
//! and already land on a Monday (Easter + 43, + 64 and + 71 days).
//!
//! A business day is neither a Saturday, a Sunday nor a holiday. A term of N business days
//! (Art. 14 of the regulation: documents within 20 days of the notice) starts the day after the
//! notice, so its deadline is the Nth business day strictly after the notice date.
//!
//! Pure: the dates are computed, never read from a file or a clock.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

use crate::message::Message;

/// The first year this calendar knows: Ley 51 de 1983 applies from 1984.
pub const FIRST_YEAR: i16 = 1984;
/// The last year this calendar knows.
pub const LAST_YEAR: i16 = 2200;

/// How many holidays a year has (two may share a date, as in 2014, 2019 and 2025).
pub const HOLIDAYS_PER_YEAR: usize = 18;

/// A date the calendar cannot answer for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "the year {year} is outside the supported calendar ({first} to {last}; Ley 51 de 1983 applies from {first})",
        first = FIRST_YEAR,
        last = LAST_YEAR
    )]
    UnsupportedYear { year: i16 },
}

impl CalendarError {
    pub fn message(&self) -> Message {
        match self {
            CalendarError::UnsupportedYear { year } => Message::new("calendar-error-unsupported_year")
                .with("year", *year)
                .with("first", FIRST_YEAR)
                .with("last", LAST_YEAR),
        }
    }
}

/// A public holiday: its date that year and its official Spanish name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Holiday {
    pub date: Date,
    pub name: &'static str,
}

/// How a holiday's date is found in a given year.
enum Rule {
    /// Always on this month and day.
    Fixed(i8, i8),
    /// On this month and day if that is a Monday, else on the following Monday (Ley 51 de 1983).
    NextMonday(i8, i8),
    /// This many days from Easter Sunday.
    Easter(i32),
}

/// The eighteen holidays, in calendar order when nothing moves.
const RULES: [(Rule, &str); HOLIDAYS_PER_YEAR] = [
    (Rule::Fixed(1, 1), "Año Nuevo"),
    (Rule::NextMonday(1, 6), "Día de los Reyes Magos"),
    (Rule::NextMonday(3, 19), "Día de San José"),
    (Rule::Easter(-3), "Jueves Santo"),
    (Rule::Easter(-2), "Viernes Santo"),
    (Rule::Fixed(5, 1), "Día del Trabajo"),
    (Rule::Easter(43), "Ascensión del Señor"),
    (Rule::Easter(64), "Corpus Christi"),
    (Rule::Easter(71), "Sagrado Corazón de Jesús"),
    (Rule::NextMonday(6, 29), "San Pedro y San Pablo"),
    (Rule::Fixed(7, 20), "Día de la Independencia"),
    (Rule::Fixed(8, 7), "Batalla de Boyacá"),
    (Rule::NextMonday(8, 15), "La Asunción de la Virgen"),
    (Rule::NextMonday(10, 12), "Día de la Raza"),
    (Rule::NextMonday(11, 1), "Todos los Santos"),
    (Rule::NextMonday(11, 11), "Independencia de Cartagena"),
    (Rule::Fixed(12, 8), "La Inmaculada Concepción"),
    (Rule::Fixed(12, 25), "Navidad"),
];

fn unsupported(year: i16) -> CalendarError {
    CalendarError::UnsupportedYear { year }
}

fn check_year(year: i16) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(unsupported(year))
    }
}

/// A date of a supported year; any failure is reported as that year being unsupported.
fn civil(year: i16, month: i32, day: i32) -> Result<Date, CalendarError> {
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(unsupported(year));
    };
    Date::new(year, month, day).map_err(|_| unsupported(year))
}

fn plus_days(date: Date, days: i32) -> Result<Date, CalendarError> {
    date.checked_add(days.days())
        .map_err(|_| unsupported(date.year()))
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, as in Meeus).
pub fn easter_sunday(year: i16) -> Result<Date, CalendarError> {
    check_year(year)?;
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    civil(year, n / 31, n % 31 + 1)
}

/// The year's holidays, unsorted, without allocating.
fn holidays_unsorted(year: i16) -> Result<[Holiday; HOLIDAYS_PER_YEAR], CalendarError> {
    let easter = easter_sunday(year)?;
    let mut out = [Holiday {
        date: easter,
        name: "",
    }; HOLIDAYS_PER_YEAR];
    for (slot, (rule, name)) in out.iter_mut().zip(RULES.iter()) {
        let date = match *rule {
            Rule::Fixed(month, day) => civil(year, month.into(), day.into())?,
            Rule::NextMonday(month, day) => {
                let date = civil(year, month.into(), day.into())?;
                let to_monday = (7 - i32::from(date.weekday().to_monday_zero_offset())) % 7;
                plus_days(date, to_monday)?
            }
            Rule::Easter(offset) => plus_days(easter, offset)?,
        };
        *slot = Holiday { date, name };
    }
    Ok(out)
}

/// The eighteen public holidays of a year, sorted by date. When two fall on the same date (the
/// Sacred Heart and Saint Peter and Saint Paul in 2014, 2019 and 2025) both are listed, in the
/// order of the law.
pub fn holidays(year: i16) -> Result<Vec<Holiday>, CalendarError> {
    let mut list = holidays_unsorted(year)?.to_vec();
    list.sort_by_key(|holiday| holiday.date);
    Ok(list)
}

fn holiday_dates(year: i16) -> Result<[Date; HOLIDAYS_PER_YEAR], CalendarError> {
    Ok(holidays_unsorted(year)?.map(|holiday| holiday.date))
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The date in Colombia at `instant` (UTC−5 all year, no daylight saving): "today" is the
/// caller's clock read here, so the rules stay pure.
pub fn date_in_colombia(instant: jiff::Timestamp) -> Date {
    let offset = jiff::tz::Offset::constant(-5);
    instant.to_zoned(offset.to_time_zone()).date()
}

/// Whether `date` is a business day: not a Saturday, a Sunday or a public holiday.
///
/// Outside [`FIRST_YEAR`]..=[`LAST_YEAR`] the holidays are unknown and only weekends are
/// excluded; [`add_business_days`] refuses such years instead.
pub fn is_business_day(date: Date) -> bool {
    if is_weekend(date) {
        return false;
    }
    match holiday_dates(date.year()) {
        Ok(dates) => !dates.contains(&date),
        Err(_) => true,
    }
}

/// The deadline of a term of `days` business days given on `from`: the `days`-th business day
/// strictly after `from` (the notice day never counts, even when it is a business day).
/// Zero days is `from` itself.
///
/// An error when the count reaches a year outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
pub fn add_business_days(from: Date, days: u32) -> Result<Date, CalendarError> {
    let mut date = from;
    let mut left = days;
    let mut known: Option<(i16, [Date; HOLIDAYS_PER_YEAR])> = None;
    while left > 0 {
        date = date
            .tomorrow()
            .map_err(|_| unsupported(date.year().saturating_add(1)))?;
        if is_weekend(date) {
            continue;
        }
        let year = date.year();
        let dates = match known {
            Some((cached, dates)) if cached == year => dates,
            _ => {
                let dates = holiday_dates(year)?;
                known = Some((year, dates));
                dates
            }
        };
        if !dates.contains(&date) {
            left -= 1;
        }
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn day(text: &str) -> Date {
        text.parse().expect("a literal date")
    }

    /// Easter Sunday, 2013 to 2027.
    const EASTER: [&str; 15] = [
        "2013-03-31",
        "2014-04-20",
        "2015-04-05",
        "2016-03-27",
        "2017-04-16",
        "2018-04-01",
        "2019-04-21",
        "2020-04-12",
        "2021-04-04",
        "2022-04-17",
        "2023-04-09",
        "2024-03-31",
        "2025-04-20",
        "2026-04-05",
        "2027-03-28",
    ];

    /// The eighteen holiday dates of each year, in date order, as published. Written down
    /// independently of this module (a Python script over `dateutil.easter` and the rules of Ley
    /// 51 de 1983), then checked by hand against the published calendars for 2013, 2014, 2019,
    /// 2020, 2021, 2024 and 2026.
    #[rustfmt::skip]
    const EXPECTED: [(i16, [&str; HOLIDAYS_PER_YEAR]); 15] = [
        (2013, ["01-01", "01-07", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2014, ["01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (2015, ["01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2016, ["01-01", "01-11", "03-21", "03-24", "03-25", "05-01", "05-09", "05-30", "06-06", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (2017, ["01-01", "01-09", "03-20", "04-13", "04-14", "05-01", "05-29", "06-19", "06-26", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2018, ["01-01", "01-08", "03-19", "03-29", "03-30", "05-01", "05-14", "06-04", "06-11", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (2019, ["01-01", "01-07", "03-25", "04-18", "04-19", "05-01", "06-03", "06-24", "07-01", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2020, ["01-01", "01-06", "03-23", "04-09", "04-10", "05-01", "05-25", "06-15", "06-22", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2021, ["01-01", "01-11", "03-22", "04-01", "04-02", "05-01", "05-17", "06-07", "06-14", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (2022, ["01-01", "01-10", "03-21", "04-14", "04-15", "05-01", "05-30", "06-20", "06-27", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (2023, ["01-01", "01-09", "03-20", "04-06", "04-07", "05-01", "05-22", "06-12", "06-19", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2024, ["01-01", "01-08", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2025, ["01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (2026, ["01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2027, ["01-01", "01-11", "03-22", "03-25", "03-26", "05-01", "05-10", "05-31", "06-07", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
    ];

    #[test]
    fn easter_2013_to_2027() {
        for (year, expected) in (2013..=2027).zip(EASTER) {
            assert_eq!(easter_sunday(year), Ok(day(expected)), "{year}");
        }
        // Extremes and a leap-century year: the earliest and latest dates of the range.
        assert_eq!(easter_sunday(2000), Ok(date(2000, 4, 23)));
        assert_eq!(easter_sunday(2008), Ok(date(2008, 3, 23)));
        assert_eq!(easter_sunday(2038), Ok(date(2038, 4, 25)));
        assert_eq!(easter_sunday(1984), Ok(date(1984, 4, 22)));
    }

    #[test]
    fn easter_is_always_a_sunday_between_march_22_and_april_25() {
        for year in FIRST_YEAR..=LAST_YEAR {
            let easter = easter_sunday(year).expect("a supported year");
            assert_eq!(easter.weekday(), Weekday::Sunday, "{year}");
            assert!(
                easter >= date(year, 3, 22) && easter <= date(year, 4, 25),
                "{easter}"
            );
        }
    }

    #[test]
    fn holidays_2013_to_2027_match_the_published_calendars() {
        for (year, expected) in EXPECTED {
            let got: Vec<Date> = holidays(year)
                .expect("a supported year")
                .iter()
                .map(|holiday| holiday.date)
                .collect();
            let expected: Vec<Date> = expected
                .iter()
                .map(|month_day| day(&format!("{year}-{month_day}")))
                .collect();
            assert_eq!(got, expected, "{year}");
        }
    }

    #[test]
    fn holidays_2026_with_their_names() {
        let got: Vec<(String, &str)> = holidays(2026)
            .expect("2026")
            .iter()
            .map(|holiday| (holiday.date.to_string(), holiday.name))
            .collect();
        let expected = [
            ("2026-01-01", "Año Nuevo"),
            ("2026-01-12", "Día de los Reyes Magos"),
            ("2026-03-23", "Día de San José"),
            ("2026-04-02", "Jueves Santo"),
            ("2026-04-03", "Viernes Santo"),
            ("2026-05-01", "Día del Trabajo"),
            ("2026-05-18", "Ascensión del Señor"),
            ("2026-06-08", "Corpus Christi"),
            ("2026-06-15", "Sagrado Corazón de Jesús"),
            ("2026-06-29", "San Pedro y San Pablo"),
            ("2026-07-20", "Día de la Independencia"),
            ("2026-08-07", "Batalla de Boyacá"),
            ("2026-08-17", "La Asunción de la Virgen"),
            ("2026-10-12", "Día de la Raza"),
            ("2026-11-02", "Todos los Santos"),
            ("2026-11-16", "Independencia de Cartagena"),
            ("2026-12-08", "La Inmaculada Concepción"),
            ("2026-12-25", "Navidad"),
        ];
        let expected: Vec<(String, &str)> = expected
            .iter()
            .map(|(date, name)| ((*date).to_owned(), *name))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn two_holidays_on_one_date_are_both_kept() {
        for (year, shared_date) in [
            (2014, date(2014, 6, 30)),
            (2019, date(2019, 7, 1)),
            (2025, date(2025, 6, 30)),
        ] {
            let list = holidays(year).expect("a supported year");
            assert_eq!(list.len(), HOLIDAYS_PER_YEAR);
            let shared: Vec<&str> = list
                .iter()
                .filter(|holiday| holiday.date == shared_date)
                .map(|holiday| holiday.name)
                .collect();
            assert_eq!(
                shared,
                ["Sagrado Corazón de Jesús", "San Pedro y San Pablo"],
                "{year}"
            );
        }
    }

    #[test]
    fn every_year_has_eighteen_holidays_and_the_moved_ones_are_mondays() {
        let moved = [
            "Día de los Reyes Magos",
            "Día de San José",
            "Ascensión del Señor",
            "Corpus Christi",
            "Sagrado Corazón de Jesús",
            "San Pedro y San Pablo",
            "La Asunción de la Virgen",
            "Día de la Raza",
            "Todos los Santos",
            "Independencia de Cartagena",
        ];
        for year in FIRST_YEAR..=LAST_YEAR {
            let list = holidays(year).expect("a supported year");
            assert_eq!(list.len(), HOLIDAYS_PER_YEAR, "{year}");
            assert!(list.windows(2).all(|pair| pair[0].date <= pair[1].date), "{year}");
            for holiday in &list {
                assert_eq!(holiday.date.year(), year);
                if moved.contains(&holiday.name) {
                    assert_eq!(holiday.date.weekday(), Weekday::Monday, "{holiday:?}");
                }
            }
        }
    }

    #[test]
    fn years_outside_the_range_are_refused_by_name() {
        for year in [FIRST_YEAR - 1, LAST_YEAR + 1, i16::MIN, i16::MAX] {
            assert_eq!(holidays(year), Err(CalendarError::UnsupportedYear { year }));
            assert_eq!(easter_sunday(year), Err(CalendarError::UnsupportedYear { year }));
        }
        let message = CalendarError::UnsupportedYear { year: 1983 }.to_string();
        assert_eq!(
            message,
            "the year 1983 is outside the supported calendar (1984 to 2200; Ley 51 de 1983 applies from 1984)"
        );
    }

    #[test]
    fn business_days() {
        assert!(is_business_day(date(2013, 6, 28))); // a Friday
        assert!(!is_business_day(date(2013, 6, 29))); // Saturday
        assert!(!is_business_day(date(2013, 6, 30))); // Sunday
        assert!(!is_business_day(date(2013, 7, 1))); // San Pedro y San Pablo, moved
        assert!(is_business_day(date(2026, 1, 6))); // Reyes moved to the 12th
        assert!(!is_business_day(date(2026, 1, 12)));
        // Never a panic, even at the ends of the calendar.
        let _ = is_business_day(Date::MIN);
        assert!(is_business_day(Date::MAX)); // 9999-12-31, a Friday
        assert!(is_business_day(date(1983, 12, 8))); // unknown year: only weekends count
    }

    #[test]
    fn deadline_from_a_friday_over_san_pedro() {
        // 2013-06-28 is a Friday; 1 July is San Pedro y San Pablo; 20 July is a Saturday.
        assert_eq!(add_business_days(date(2013, 6, 28), 20), Ok(date(2013, 7, 29)));
        assert_eq!(add_business_days(date(2013, 6, 28), 1), Ok(date(2013, 7, 2)));
    }

    #[test]
    fn deadline_from_a_notice_on_a_holiday() {
        // Día del Trabajo 2026 is a Friday: the term starts on Monday 4 May.
        assert_eq!(add_business_days(date(2026, 5, 1), 1), Ok(date(2026, 5, 4)));
        assert_eq!(add_business_days(date(2026, 5, 1), 20), Ok(date(2026, 6, 1)));
        // San José 2024 on Monday 25 March, then Holy Thursday and Good Friday.
        assert_eq!(add_business_days(date(2024, 3, 25), 3), Ok(date(2024, 4, 1)));
    }

    #[test]
    fn deadline_over_holy_week() {
        // Friday 27 March 2026: 30, 31 March, 1 April, (2, 3 April holy days), 6, 7 April.
        assert_eq!(add_business_days(date(2026, 3, 27), 5), Ok(date(2026, 4, 7)));
        assert_eq!(add_business_days(date(2024, 3, 27), 3), Ok(date(2024, 4, 3)));
    }

    #[test]
    fn deadline_over_christmas_and_new_year() {
        let notice = date(2026, 12, 18);
        assert_eq!(add_business_days(notice, 3), Ok(date(2026, 12, 23)));
        // 21-24 Dec, (25), 28-31 Dec, (1 Jan), 4, 5 Jan.
        assert_eq!(add_business_days(notice, 10), Ok(date(2027, 1, 5)));
        // Then 6-8 Jan, (11 Jan Reyes), 12-15, 18-20 Jan.
        assert_eq!(add_business_days(notice, 20), Ok(date(2027, 1, 20)));
    }

    #[test]
    fn zero_days_is_the_notice_date() {
        assert_eq!(add_business_days(date(2013, 6, 28), 0), Ok(date(2013, 6, 28)));
        // Even on a holiday or outside the calendar: nothing is counted.
        assert_eq!(add_business_days(date(2013, 7, 1), 0), Ok(date(2013, 7, 1)));
        assert_eq!(add_business_days(Date::MAX, 0), Ok(Date::MAX));
    }

    #[test]
    fn a_deadline_outside_the_calendar_is_an_error() {
        assert_eq!(
            add_business_days(date(2200, 12, 30), 5),
            Err(CalendarError::UnsupportedYear { year: 2201 })
        );
        assert_eq!(
            add_business_days(Date::MAX, 1),
            Err(CalendarError::UnsupportedYear { year: 10000 })
        );
        assert_eq!(
            add_business_days(date(2026, 1, 1), u32::MAX),
            Err(CalendarError::UnsupportedYear { year: 2201 })
        );
        // A notice just before the calendar starts counts from its first day.
        assert_eq!(add_business_days(date(1983, 12, 30), 1), Ok(date(1984, 1, 2)));
    }

    proptest! {
        #[test]
        fn a_deadline_is_the_nth_business_day_after_the_notice(
            offset in 0i32..(i32::from(LAST_YEAR) - i32::from(FIRST_YEAR) - 2) * 365,
            days in 0u32..400,
        ) {
            let from = date(FIRST_YEAR, 1, 1).checked_add(offset.days()).expect("in range");
            let due = add_business_days(from, days).expect("inside the calendar");
            if days == 0 {
                prop_assert_eq!(due, from);
            } else {
                prop_assert!(due > from);
                prop_assert!(is_business_day(due));
            }
            let counted = from
                .series(1.day())
                .skip(1)
                .take_while(|day| *day <= due)
                .filter(|day| is_business_day(*day))
                .count();
            prop_assert_eq!(counted, days as usize);
        }
    }
}
