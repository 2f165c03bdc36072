//! Colombia's public holidays and business days (días hábiles), as law-dated data.
//!
//! The holidays live in `data/calendar/holidays-co.toml`, compiled in and parsed once: each
//! with its official Spanish name, an English name, its rule (fixed; moved to the following
//! Monday under Ley 51 de 1983, "Emiliani"; so many days from Easter, moved or not), the law
//! that set it and the years it applies. Ley 51 de 1983 sets eighteen a year from 1984;
//! Ley 2578 de 2026 adds a nineteenth, 9 July moved to the Monday, from 2026.
//!
//! A business day is neither a Saturday, a Sunday nor a holiday. A term of N business days
//! (Art. 14 of the regulation: documents within 20 days of the notice) starts the day after the
//! notice, so its deadline is the Nth business day strictly after the notice date.
//!
//! An agency may extend the calendar with its own file ([`HolidayCalendar::extended`]): a new
//! law needs no release. One calendar serves the whole process: the program [`install`]s it
//! once at start (the command line and the server read the file and hand its text here), and
//! [`is_business_day`], [`add_business_days`] and [`holidays`] read it ([`current`]); before
//! any install, and if none is made, it is the shipped one.
//!
//! Pure: the dates are computed from the rules, never read from a file or a clock here.

use std::fmt;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use toml::Spanned;

use crate::message::Message;

/// The first year this calendar knows: Ley 51 de 1983 applies from 1984.
pub const FIRST_YEAR: i16 = 1984;
/// The last year this calendar knows.
pub const LAST_YEAR: i16 = 2200;

/// Where the shipped calendar comes from, as its errors name it.
pub const SHIPPED_SOURCE: &str = "data/calendar/holidays-co.toml";
const SHIPPED_TEXT: &str = include_str!("../../../data/calendar/holidays-co.toml");

/// An Easter offset keeps the holiday inside Easter's year: Easter falls between 22 March
/// and 25 April.
const EASTER_OFFSETS: std::ops::RangeInclusive<i64> = -80..=240;

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

/// How a holiday's date is found in a given year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayRule {
    /// Always on this month and day.
    Fixed { month: i8, day: i8 },
    /// On this month and day if that is a Monday, else on the following Monday (Ley 51 de
    /// 1983, Art. 2).
    MovedToMonday { month: i8, day: i8 },
    /// This many days from Easter Sunday.
    Easter { offset: i32 },
    /// This many days from Easter Sunday, then on the following Monday unless a Monday.
    EasterMovedToMonday { offset: i32 },
}

impl HolidayRule {
    /// The names of the rules in the file.
    pub const NAMES: &'static str = "fixed, moved_to_monday, easter, easter_moved_to_monday";

    /// Whether the rule moves the holiday to a Monday.
    pub fn moves_to_monday(self) -> bool {
        matches!(
            self,
            HolidayRule::MovedToMonday { .. } | HolidayRule::EasterMovedToMonday { .. }
        )
    }
}

/// One holiday as a law sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayDefinition {
    /// The official Spanish name.
    pub name: String,
    /// The name in English.
    pub name_en: String,
    pub rule: HolidayRule,
    /// The law that set it, such as `Ley 51 de 1983`.
    pub law: String,
    /// The first year it applies.
    pub from: i16,
    /// The last year it applies, when a law ended it.
    pub until: Option<i16>,
    /// The file it was read from.
    pub source: String,
}

impl HolidayDefinition {
    /// Whether it applies in `year`.
    pub fn applies_in(&self, year: i16) -> bool {
        year >= self.from && self.until.is_none_or(|until| year <= until)
    }

    /// Its date in `year`, given that year's Easter Sunday.
    fn date_in(&self, year: i16, easter: Date) -> Result<Date, CalendarError> {
        match self.rule {
            HolidayRule::Fixed { month, day } => civil(year, month, day),
            HolidayRule::MovedToMonday { month, day } => to_monday(civil(year, month, day)?),
            HolidayRule::Easter { offset } => plus_days(easter, offset),
            HolidayRule::EasterMovedToMonday { offset } => to_monday(plus_days(easter, offset)?),
        }
    }
}

/// A public holiday: its date that year, its names and the law that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Holiday<'a> {
    pub date: Date,
    /// The official Spanish name.
    pub name: &'a str,
    pub name_en: &'a str,
    pub law: &'a str,
}

/// One problem in a calendar file, located by line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFileError {
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The key at fault, such as `holiday[3].month`.
    pub key: String,
    /// What is wrong, as a typed message (`calendar-error-*`).
    pub message: Message,
}

impl fmt::Display for CalendarFileError {
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

/// Every problem found in one calendar file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CalendarFileErrors(pub Vec<CalendarFileError>);

impl fmt::Display for CalendarFileErrors {
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

/// The holidays the program counts with: their definitions and every date they give from
/// [`FIRST_YEAR`] to [`LAST_YEAR`], computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayCalendar {
    definitions: Vec<HolidayDefinition>,
    /// Every holiday date of the supported years, sorted, without repeats.
    dates: Vec<Date>,
}

static SHIPPED: LazyLock<HolidayCalendar> = LazyLock::new(|| {
    HolidayCalendar::parse(SHIPPED_SOURCE, SHIPPED_TEXT)
        .unwrap_or_else(|e| panic!("the shipped holiday calendar is broken: {e}"))
});

static CURRENT: OnceLock<HolidayCalendar> = OnceLock::new();

/// The calendar shipped with the program (`data/calendar/holidays-co.toml`).
pub fn shipped() -> &'static HolidayCalendar {
    &SHIPPED
}

/// Makes `calendar` the one every deadline of this process is counted with. Once per
/// process, before the first deadline: afterwards (or when a calendar was already read) it is
/// refused and handed back, so no two deadlines are ever counted with different calendars.
pub fn install(calendar: HolidayCalendar) -> Result<(), HolidayCalendar> {
    CURRENT.set(calendar)
}

/// The calendar of this process: the one [`install`]ed, else the shipped one.
pub fn current() -> &'static HolidayCalendar {
    CURRENT.get_or_init(|| shipped().clone())
}

/// The public holidays of a year in the process's calendar ([`HolidayCalendar::holidays`]).
pub fn holidays(year: i16) -> Result<Vec<Holiday<'static>>, CalendarError> {
    current().holidays(year)
}

/// Whether `date` is a business day in the process's calendar
/// ([`HolidayCalendar::is_business_day`]).
pub fn is_business_day(date: Date) -> bool {
    current().is_business_day(date)
}

/// The deadline of a term in business days in the process's calendar
/// ([`HolidayCalendar::add_business_days`]).
pub fn add_business_days(from: Date, days: u32) -> Result<Date, CalendarError> {
    current().add_business_days(from, days)
}

impl HolidayCalendar {
    /// Parses and checks a whole calendar file; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<Self, CalendarFileErrors> {
        Self::from_definitions(read_file(source, text)?)
    }

    /// This calendar with the holidays of another file added: one with the name of a holiday
    /// already here replaces it (a law that moves or ends a holiday), the others are added.
    pub fn extended(&self, source: &str, text: &str) -> Result<Self, CalendarFileErrors> {
        let mut definitions = self.definitions.clone();
        for definition in read_file(source, text)? {
            match definitions.iter_mut().find(|d| d.name == definition.name) {
                Some(existing) => *existing = definition,
                None => definitions.push(definition),
            }
        }
        Self::from_definitions(definitions)
    }

    fn from_definitions(definitions: Vec<HolidayDefinition>) -> Result<Self, CalendarFileErrors> {
        let mut calendar = HolidayCalendar {
            definitions,
            dates: Vec::new(),
        };
        let mut dates = Vec::new();
        for year in FIRST_YEAR..=LAST_YEAR {
            // The rules were checked as read: every one gives a date in a supported year.
            if let Ok(list) = calendar.holidays(year) {
                dates.extend(list.iter().map(|holiday| holiday.date));
            }
        }
        dates.sort_unstable();
        dates.dedup();
        calendar.dates = dates;
        Ok(calendar)
    }

    /// The definitions, in the order of their files.
    pub fn definitions(&self) -> &[HolidayDefinition] {
        &self.definitions
    }

    /// The public holidays of a year, sorted by date. When two fall on the same date (the
    /// Sacred Heart and Saint Peter and Saint Paul in 2014, 2019 and 2025) both are listed, in
    /// the order of the file.
    pub fn holidays(&self, year: i16) -> Result<Vec<Holiday<'_>>, CalendarError> {
        let easter = easter_sunday(year)?;
        let mut list = Vec::with_capacity(self.definitions.len());
        for definition in self.definitions.iter().filter(|d| d.applies_in(year)) {
            list.push(Holiday {
                date: definition.date_in(year, easter)?,
                name: &definition.name,
                name_en: &definition.name_en,
                law: &definition.law,
            });
        }
        list.sort_by_key(|holiday| holiday.date);
        Ok(list)
    }

    /// Whether `date` is a public holiday. Outside [`FIRST_YEAR`]..=[`LAST_YEAR`] no date is.
    pub fn is_holiday(&self, date: Date) -> bool {
        self.dates.binary_search(&date).is_ok()
    }

    /// Whether `date` is a business day: not a Saturday, a Sunday or a public holiday.
    ///
    /// Outside [`FIRST_YEAR`]..=[`LAST_YEAR`] the holidays are unknown and only weekends are
    /// excluded; [`HolidayCalendar::add_business_days`] refuses such years instead.
    pub fn is_business_day(&self, date: Date) -> bool {
        !is_weekend(date) && !self.is_holiday(date)
    }

    /// The deadline of a term of `days` business days given on `from`: the `days`-th business
    /// day strictly after `from` (the notice day never counts, even when it is a business
    /// day). Zero days is `from` itself.
    ///
    /// An error when the count reaches a year outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
    pub fn add_business_days(&self, from: Date, days: u32) -> Result<Date, CalendarError> {
        let mut date = from;
        let mut left = days;
        while left > 0 {
            date = date
                .tomorrow()
                .map_err(|_| unsupported(date.year().saturating_add(1)))?;
            if is_weekend(date) {
                continue;
            }
            check_year(date.year())?;
            if !self.is_holiday(date) {
                left -= 1;
            }
        }
        Ok(date)
    }
}

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
fn civil(year: i16, month: i8, day: i8) -> Result<Date, CalendarError> {
    Date::new(year, month, day).map_err(|_| unsupported(year))
}

fn plus_days(date: Date, days: i32) -> Result<Date, CalendarError> {
    date.checked_add(days.days())
        .map_err(|_| unsupported(date.year()))
}

/// The date itself when a Monday, else the following Monday.
fn to_monday(date: Date) -> Result<Date, CalendarError> {
    let to_monday = (7 - i32::from(date.weekday().to_monday_zero_offset())) % 7;
    plus_days(date, to_monday)
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
    let (Ok(month), Ok(day)) = (i8::try_from(n / 31), i8::try_from(n % 31 + 1)) else {
        return Err(unsupported(year));
    };
    civil(year, month, day)
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

// ---- The file ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    holiday: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: Spanned<String>,
    name_en: Spanned<String>,
    rule: Spanned<String>,
    month: Option<Spanned<i64>>,
    day: Option<Spanned<i64>>,
    offset: Option<Spanned<i64>>,
    law: Spanned<String>,
    from: Spanned<i64>,
    until: Option<Spanned<i64>>,
}

struct Reader<'a> {
    source: &'a str,
    text: &'a str,
    errors: Vec<CalendarFileError>,
}

impl Reader<'_> {
    fn error(&mut self, span: Option<Range<usize>>, key: String, message: Message) {
        self.errors.push(CalendarFileError {
            file: self.source.to_owned(),
            line: span.map(|s| crate::rules::line_of(self.text, s.start)),
            key,
            message,
        });
    }

    fn text(&mut self, value: &Spanned<String>, key: String) -> String {
        let text = value.get_ref().trim().to_owned();
        if text.is_empty() {
            self.error(Some(value.span()), key, Message::new("calendar-error-blank"));
        }
        text
    }

    fn year(&mut self, value: &Spanned<i64>, key: String) -> Option<i16> {
        match i16::try_from(*value.get_ref()) {
            Ok(year) if (FIRST_YEAR..=LAST_YEAR).contains(&year) => Some(year),
            _ => {
                self.error(
                    Some(value.span()),
                    key,
                    Message::new("calendar-error-year")
                        .with("value", value.get_ref().to_string())
                        .with("first", FIRST_YEAR)
                        .with("last", LAST_YEAR),
                );
                None
            }
        }
    }

    /// A month and day that exist every year (not 29 February).
    fn month_day(&mut self, raw: &RawHoliday, at: &str, rule: &str) -> Option<(i8, i8)> {
        if let Some(offset) = &raw.offset {
            self.error(
                Some(offset.span()),
                format!("{at}.offset"),
                Message::new("calendar-error-key_not_for_rule")
                    .with("key", "offset")
                    .with("rule", rule),
            );
        }
        let (Some(month), Some(day)) = (&raw.month, &raw.day) else {
            for (value, name) in [(&raw.month, "month"), (&raw.day, "day")] {
                if value.is_none() {
                    self.error(
                        Some(raw.rule.span()),
                        format!("{at}.{name}"),
                        Message::new("calendar-error-key_missing")
                            .with("key", name)
                            .with("rule", rule),
                    );
                }
            }
            return None;
        };
        let valid = match (i8::try_from(*month.get_ref()), i8::try_from(*day.get_ref())) {
            // 2001 is a common year: a date that exists in it exists every year.
            (Ok(m), Ok(d)) if Date::new(2001, m, d).is_ok() => Some((m, d)),
            _ => None,
        };
        if valid.is_none() {
            self.error(
                Some(month.span()),
                format!("{at}.day"),
                Message::new("calendar-error-month_day")
                    .with("month", month.get_ref().to_string())
                    .with("day", day.get_ref().to_string()),
            );
        }
        valid
    }

    fn offset(&mut self, raw: &RawHoliday, at: &str, rule: &str) -> Option<i32> {
        for (value, name) in [(&raw.month, "month"), (&raw.day, "day")] {
            if let Some(value) = value {
                self.error(
                    Some(value.span()),
                    format!("{at}.{name}"),
                    Message::new("calendar-error-key_not_for_rule")
                        .with("key", name)
                        .with("rule", rule),
                );
            }
        }
        let Some(offset) = &raw.offset else {
            self.error(
                Some(raw.rule.span()),
                format!("{at}.offset"),
                Message::new("calendar-error-key_missing")
                    .with("key", "offset")
                    .with("rule", rule),
            );
            return None;
        };
        match i32::try_from(*offset.get_ref()) {
            Ok(days) if EASTER_OFFSETS.contains(offset.get_ref()) => Some(days),
            _ => {
                self.error(
                    Some(offset.span()),
                    format!("{at}.offset"),
                    Message::new("calendar-error-offset")
                        .with("value", offset.get_ref().to_string())
                        .with("min", *EASTER_OFFSETS.start())
                        .with("max", *EASTER_OFFSETS.end()),
                );
                None
            }
        }
    }

    fn holiday(&mut self, index: usize, raw: &RawHoliday) -> Option<HolidayDefinition> {
        let at = format!("holiday[{index}]");
        let name = self.text(&raw.name, format!("{at}.name"));
        let name_en = self.text(&raw.name_en, format!("{at}.name_en"));
        let law = self.text(&raw.law, format!("{at}.law"));
        let rule_name = raw.rule.get_ref().trim();
        let rule = match rule_name {
            "fixed" => self
                .month_day(raw, &at, rule_name)
                .map(|(month, day)| HolidayRule::Fixed { month, day }),
            "moved_to_monday" => self
                .month_day(raw, &at, rule_name)
                .map(|(month, day)| HolidayRule::MovedToMonday { month, day }),
            "easter" => self
                .offset(raw, &at, rule_name)
                .map(|offset| HolidayRule::Easter { offset }),
            "easter_moved_to_monday" => self
                .offset(raw, &at, rule_name)
                .map(|offset| HolidayRule::EasterMovedToMonday { offset }),
            other => {
                self.error(
                    Some(raw.rule.span()),
                    format!("{at}.rule"),
                    Message::new("calendar-error-rule")
                        .with("value", other)
                        .with("accepted", HolidayRule::NAMES),
                );
                None
            }
        };
        let from = self.year(&raw.from, format!("{at}.from"));
        let until = match &raw.until {
            Some(value) => match (self.year(value, format!("{at}.until")), from) {
                (Some(until), Some(from)) if until < from => {
                    self.error(
                        Some(value.span()),
                        format!("{at}.until"),
                        Message::new("calendar-error-until_before_from")
                            .with("until", until)
                            .with("from", from),
                    );
                    return None;
                }
                (Some(until), _) => Some(until),
                (None, _) => return None,
            },
            None => None,
        };
        Some(HolidayDefinition {
            name,
            name_en,
            rule: rule?,
            law,
            from: from?,
            until,
            source: self.source.to_owned(),
        })
    }
}

/// The holidays of one file, every problem of it reported at once.
fn read_file(source: &str, text: &str) -> Result<Vec<HolidayDefinition>, CalendarFileErrors> {
    let raw: RawFile = toml::from_str(text).map_err(|error| {
        let (line, key) = crate::rules::locate_toml_error(text, error.span());
        CalendarFileErrors(vec![CalendarFileError {
            file: source.to_owned(),
            line,
            key,
            message: Message::new("calendar-error-toml").with("detail", error.message()),
        }])
    })?;
    let mut reader = Reader {
        source,
        text,
        errors: Vec::new(),
    };
    if raw.holiday.is_empty() {
        reader.error(
            None,
            "holiday".to_owned(),
            Message::new("calendar-error-no_holidays"),
        );
    }
    let mut definitions: Vec<HolidayDefinition> = Vec::new();
    for (index, raw) in raw.holiday.iter().enumerate() {
        let Some(definition) = reader.holiday(index, raw) else {
            continue;
        };
        if definitions.iter().any(|d| d.name == definition.name) {
            reader.error(
                Some(raw.name.span()),
                format!("holiday[{index}].name"),
                Message::new("calendar-error-name_twice").with("name", definition.name.as_str()),
            );
            continue;
        }
        definitions.push(definition);
    }
    if reader.errors.is_empty() {
        Ok(definitions)
    } else {
        Err(CalendarFileErrors(reader.errors))
    }
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

    /// The holiday dates of each year, in date order, as published. Written down independently
    /// of this module and of its data file (a Python script over `dateutil.easter` and the
    /// rules of Ley 51 de 1983 and Ley 2578 de 2026), then checked by hand against the
    /// published calendars for 2011, 2013, 2014, 2019, 2020, 2021, 2024 and 2026 (2026: Jan 1,
    /// Jan 12, Mar 23, Apr 2, Apr 3, May 1, May 18, Jun 8, Jun 15, Jun 29, Jul 13, Jul 20,
    /// Aug 7, Aug 17, Oct 12, Nov 2, Nov 16, Dec 8, Dec 25). Eighteen a year until 2025,
    /// nineteen from 2026.
    #[rustfmt::skip]
    const EXPECTED: &[(i16, &[&str])] = &[
        (1984, &["01-01", "01-09", "03-19", "04-19", "04-20", "05-01", "06-04", "06-25", "07-02", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (1985, &["01-01", "01-07", "03-25", "04-04", "04-05", "05-01", "05-20", "06-10", "06-17", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (1986, &["01-01", "01-06", "03-24", "03-27", "03-28", "05-01", "05-12", "06-02", "06-09", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (1987, &["01-01", "01-12", "03-23", "04-16", "04-17", "05-01", "06-01", "06-22", "06-29", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (1988, &["01-01", "01-11", "03-21", "03-31", "04-01", "05-01", "05-16", "06-06", "06-13", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (1989, &["01-01", "01-09", "03-20", "03-23", "03-24", "05-01", "05-08", "05-29", "06-05", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (1990, &["01-01", "01-08", "03-19", "04-12", "04-13", "05-01", "05-28", "06-18", "06-25", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (1991, &["01-01", "01-07", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (1992, &["01-01", "01-06", "03-23", "04-16", "04-17", "05-01", "06-01", "06-22", "06-29", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (1993, &["01-01", "01-11", "03-22", "04-08", "04-09", "05-01", "05-24", "06-14", "06-21", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (1994, &["01-01", "01-10", "03-21", "03-31", "04-01", "05-01", "05-16", "06-06", "06-13", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (1995, &["01-01", "01-09", "03-20", "04-13", "04-14", "05-01", "05-29", "06-19", "06-26", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (1996, &["01-01", "01-08", "03-25", "04-04", "04-05", "05-01", "05-20", "06-10", "06-17", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (1997, &["01-01", "01-06", "03-24", "03-27", "03-28", "05-01", "05-12", "06-02", "06-09", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (1998, &["01-01", "01-12", "03-23", "04-09", "04-10", "05-01", "05-25", "06-15", "06-22", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (1999, &["01-01", "01-11", "03-22", "04-01", "04-02", "05-01", "05-17", "06-07", "06-14", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (2000, &["01-01", "01-10", "03-20", "04-20", "04-21", "05-01", "06-05", "06-26", "07-03", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2001, &["01-01", "01-08", "03-19", "04-12", "04-13", "05-01", "05-28", "06-18", "06-25", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (2002, &["01-01", "01-07", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2003, &["01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (2004, &["01-01", "01-12", "03-22", "04-08", "04-09", "05-01", "05-24", "06-14", "06-21", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (2005, &["01-01", "01-10", "03-21", "03-24", "03-25", "05-01", "05-09", "05-30", "06-06", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (2006, &["01-01", "01-09", "03-20", "04-13", "04-14", "05-01", "05-29", "06-19", "06-26", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2007, &["01-01", "01-08", "03-19", "04-05", "04-06", "05-01", "05-21", "06-11", "06-18", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (2008, &["01-01", "01-07", "03-20", "03-21", "03-24", "05-01", "05-05", "05-26", "06-02", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (2009, &["01-01", "01-12", "03-23", "04-09", "04-10", "05-01", "05-25", "06-15", "06-22", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2010, &["01-01", "01-11", "03-22", "04-01", "04-02", "05-01", "05-17", "06-07", "06-14", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (2011, &["01-01", "01-10", "03-21", "04-21", "04-22", "05-01", "06-06", "06-27", "07-04", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (2012, &["01-01", "01-09", "03-19", "04-05", "04-06", "05-01", "05-21", "06-11", "06-18", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (2013, &["01-01", "01-07", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2014, &["01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (2015, &["01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2016, &["01-01", "01-11", "03-21", "03-24", "03-25", "05-01", "05-09", "05-30", "06-06", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (2017, &["01-01", "01-09", "03-20", "04-13", "04-14", "05-01", "05-29", "06-19", "06-26", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2018, &["01-01", "01-08", "03-19", "03-29", "03-30", "05-01", "05-14", "06-04", "06-11", "07-02", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (2019, &["01-01", "01-07", "03-25", "04-18", "04-19", "05-01", "06-03", "06-24", "07-01", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2020, &["01-01", "01-06", "03-23", "04-09", "04-10", "05-01", "05-25", "06-15", "06-22", "06-29", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2021, &["01-01", "01-11", "03-22", "04-01", "04-02", "05-01", "05-17", "06-07", "06-14", "07-05", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (2022, &["01-01", "01-10", "03-21", "04-14", "04-15", "05-01", "05-30", "06-20", "06-27", "07-04", "07-20", "08-07", "08-15", "10-17", "11-07", "11-14", "12-08", "12-25"]),
        (2023, &["01-01", "01-09", "03-20", "04-06", "04-07", "05-01", "05-22", "06-12", "06-19", "07-03", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2024, &["01-01", "01-08", "03-25", "03-28", "03-29", "05-01", "05-13", "06-03", "06-10", "07-01", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
        (2025, &["01-01", "01-06", "03-24", "04-17", "04-18", "05-01", "06-02", "06-23", "06-30", "06-30", "07-20", "08-07", "08-18", "10-13", "11-03", "11-17", "12-08", "12-25"]),
        (2026, &["01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15", "06-29", "07-13", "07-20", "08-07", "08-17", "10-12", "11-02", "11-16", "12-08", "12-25"]),
        (2027, &["01-01", "01-11", "03-22", "03-25", "03-26", "05-01", "05-10", "05-31", "06-07", "07-05", "07-12", "07-20", "08-07", "08-16", "10-18", "11-01", "11-15", "12-08", "12-25"]),
        (2028, &["01-01", "01-10", "03-20", "04-13", "04-14", "05-01", "05-29", "06-19", "06-26", "07-03", "07-10", "07-20", "08-07", "08-21", "10-16", "11-06", "11-13", "12-08", "12-25"]),
        (2029, &["01-01", "01-08", "03-19", "03-29", "03-30", "05-01", "05-14", "06-04", "06-11", "07-02", "07-09", "07-20", "08-07", "08-20", "10-15", "11-05", "11-12", "12-08", "12-25"]),
        (2030, &["01-01", "01-07", "03-25", "04-18", "04-19", "05-01", "06-03", "06-24", "07-01", "07-01", "07-15", "07-20", "08-07", "08-19", "10-14", "11-04", "11-11", "12-08", "12-25"]),
    ];

    #[test]
    fn the_shipped_file_parses() {
        let calendar = HolidayCalendar::parse(SHIPPED_SOURCE, SHIPPED_TEXT).expect("the shipped file");
        assert_eq!(calendar.definitions().len(), 19);
        assert_eq!(&calendar, shipped());
    }

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
    fn holidays_1984_to_2030_match_the_published_calendars() {
        assert_eq!(EXPECTED.len(), 47);
        for (year, expected) in EXPECTED {
            let got: Vec<Date> = shipped()
                .holidays(*year)
                .expect("a supported year")
                .iter()
                .map(|holiday| holiday.date)
                .collect();
            let expected: Vec<Date> = expected
                .iter()
                .map(|month_day| day(&format!("{year}-{month_day}")))
                .collect();
            assert_eq!(got, expected, "{year}");
            assert_eq!(got.len(), if *year < 2026 { 18 } else { 19 }, "{year}");
        }
    }

    #[test]
    fn holidays_2026_with_their_names_and_laws() {
        let got: Vec<(String, &str, &str)> = shipped()
            .holidays(2026)
            .expect("2026")
            .iter()
            .map(|holiday| (holiday.date.to_string(), holiday.name, holiday.law))
            .collect();
        let emiliani = "Ley 51 de 1983";
        let expected = [
            ("2026-01-01", "Año Nuevo", emiliani),
            ("2026-01-12", "Día de los Reyes Magos", emiliani),
            ("2026-03-23", "Día de San José", emiliani),
            ("2026-04-02", "Jueves Santo", emiliani),
            ("2026-04-03", "Viernes Santo", emiliani),
            ("2026-05-01", "Día del Trabajo", emiliani),
            ("2026-05-18", "Ascensión del Señor", emiliani),
            ("2026-06-08", "Corpus Christi", emiliani),
            ("2026-06-15", "Sagrado Corazón de Jesús", emiliani),
            ("2026-06-29", "San Pedro y San Pablo", emiliani),
            (
                "2026-07-13",
                "Festivo nacional del 9 de julio",
                "Ley 2578 de 2026",
            ),
            ("2026-07-20", "Día de la Independencia", emiliani),
            ("2026-08-07", "Batalla de Boyacá", emiliani),
            ("2026-08-17", "La Asunción de la Virgen", emiliani),
            ("2026-10-12", "Día de la Raza", emiliani),
            ("2026-11-02", "Todos los Santos", emiliani),
            ("2026-11-16", "Independencia de Cartagena", emiliani),
            ("2026-12-08", "La Inmaculada Concepción", emiliani),
            ("2026-12-25", "Navidad", emiliani),
        ];
        let expected: Vec<(String, &str, &str)> = expected
            .iter()
            .map(|(date, name, law)| ((*date).to_owned(), *name, *law))
            .collect();
        assert_eq!(got, expected);
        assert!(shipped().definitions().iter().all(|d| !d.name_en.is_empty()));
    }

    #[test]
    fn the_new_holiday_of_ley_2578_applies_from_2026() {
        assert!(is_business_day(date(2025, 7, 14))); // 9 July 2025 was no holiday
        assert!(!is_business_day(date(2026, 7, 13)));
        assert!(!is_business_day(date(2027, 7, 12)));
        assert!(is_business_day(date(2026, 7, 9))); // moved to the Monday
        // A term across it comes one day later than under Ley 51 de 1983 alone: 30 June 2026
        // plus 20 business days was 29 July, and is 30 July.
        assert_eq!(add_business_days(date(2026, 6, 30), 20), Ok(date(2026, 7, 30)));
        let before: String = SHIPPED_TEXT
            .split("[[holiday]]")
            .filter(|block| !block.contains("Ley 2578 de 2026"))
            .collect::<Vec<_>>()
            .join("[[holiday]]");
        let ley_51_alone = HolidayCalendar::parse("ley-51.toml", &before).expect("the old calendar");
        assert_eq!(
            ley_51_alone.add_business_days(date(2026, 6, 30), 20),
            Ok(date(2026, 7, 29))
        );
    }

    #[test]
    fn two_holidays_on_one_date_are_both_kept() {
        for (year, shared_date) in [
            (2014, date(2014, 6, 30)),
            (2019, date(2019, 7, 1)),
            (2025, date(2025, 6, 30)),
        ] {
            let list = holidays(year).expect("a supported year");
            assert_eq!(list.len(), 18);
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
    fn every_year_has_its_holidays_and_the_moved_ones_are_mondays() {
        for year in FIRST_YEAR..=LAST_YEAR {
            let list = shipped().holidays(year).expect("a supported year");
            assert_eq!(list.len(), if year < 2026 { 18 } else { 19 }, "{year}");
            assert!(list.windows(2).all(|pair| pair[0].date <= pair[1].date), "{year}");
            for holiday in &list {
                assert_eq!(holiday.date.year(), year);
                let definition = shipped()
                    .definitions()
                    .iter()
                    .find(|d| d.name == holiday.name)
                    .expect("its definition");
                if definition.rule.moves_to_monday() {
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
        let message = CalendarError::UnsupportedYear { year: 1983 }.message();
        assert_eq!(message.code(), "calendar-error-unsupported_year");
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

    const AGENCY_FILE: &str = r#"
# A law of 2027 adds 3 March, fixed.
[[holiday]]
name = "Día de prueba"
name_en = "Test day"
rule = "fixed"
month = 3
day = 3
law = "Ley 9999 de 2027"
from = 2027
"#;

    #[test]
    fn an_agency_file_adding_a_holiday_changes_a_deadline() {
        let extended = shipped()
            .extended("agency.toml", AGENCY_FILE)
            .expect("a good file");
        assert_eq!(extended.definitions().len(), 20);
        // Monday 1 March 2027: 2, (3), 4 March.
        assert_eq!(
            shipped().add_business_days(date(2027, 3, 1), 2),
            Ok(date(2027, 3, 3))
        );
        assert_eq!(
            extended.add_business_days(date(2027, 3, 1), 2),
            Ok(date(2027, 3, 4))
        );
        // Not before the law.
        assert!(extended.is_business_day(date(2026, 3, 3)));
        let added = extended
            .holidays(2027)
            .expect("2027")
            .into_iter()
            .find(|h| h.date == date(2027, 3, 3))
            .expect("the new holiday");
        assert_eq!((added.name, added.law), ("Día de prueba", "Ley 9999 de 2027"));
    }

    #[test]
    fn an_agency_file_ends_a_holiday_by_its_name() {
        let file = r#"
[[holiday]]
name = "Festivo nacional del 9 de julio"
name_en = "National holiday of 9 July"
rule = "moved_to_monday"
month = 7
day = 9
law = "Ley 2578 de 2026"
from = 2026
until = 2026
"#;
        let extended = shipped().extended("agency.toml", file).expect("a good file");
        assert_eq!(extended.definitions().len(), 19);
        assert!(!extended.is_business_day(date(2026, 7, 13)));
        assert!(extended.is_business_day(date(2027, 7, 12)));
    }

    fn problems(text: &str) -> Vec<(Option<usize>, String, String)> {
        let errors = HolidayCalendar::parse("bad.toml", text).expect_err("a bad file");
        errors
            .0
            .iter()
            .inspect(|e| assert_eq!(e.file, "bad.toml"))
            .map(|e| (e.line, e.key.clone(), e.message.code().to_owned()))
            .collect()
    }

    #[test]
    fn a_bad_file_is_refused_naming_file_line_and_key() {
        let text = r#"[[holiday]]
name = "Uno"
name_en = "One"
rule = "fixed"
month = 2
day = 30
law = "Ley 1 de 2030"
from = 2030

[[holiday]]
name = " "
name_en = "Two"
rule = "monday"
law = "Ley 2 de 2030"
from = 1900

[[holiday]]
name = "Tres"
name_en = "Three"
rule = "easter"
offset = 400
month = 1
law = "Ley 3 de 2030"
from = 2030
until = 2029

[[holiday]]
name = "Uno"
name_en = "One again"
rule = "moved_to_monday"
day = 1
law = "Ley 4 de 2030"
from = 2030
"#;
        let got = problems(text);
        let expect = |line: usize, key: &str, code: &str| (Some(line), key.to_owned(), code.to_owned());
        assert_eq!(
            got,
            vec![
                expect(5, "holiday[0].day", "calendar-error-month_day"),
                expect(11, "holiday[1].name", "calendar-error-blank"),
                expect(13, "holiday[1].rule", "calendar-error-rule"),
                expect(15, "holiday[1].from", "calendar-error-year"),
                expect(22, "holiday[2].month", "calendar-error-key_not_for_rule"),
                expect(21, "holiday[2].offset", "calendar-error-offset"),
                expect(25, "holiday[2].until", "calendar-error-until_before_from"),
                expect(30, "holiday[3].month", "calendar-error-key_missing"),
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_toml_or_has_unknown_keys_names_the_line() {
        let got = problems(
            "[[holiday]]\nname = \"Uno\"\nname_en = \"One\"\nrule = \"fixed\"\nmonth = 1\nday = 2\nlaw = \"Ley\"\nfrom = 2030\ncolour = \"red\"\n",
        );
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].2.as_str()), (Some(9), "calendar-error-toml"));
        let got = problems("[[holiday]]\nname = \"Uno\nfrom = 2030\n");
        assert_eq!((got[0].0, got[0].2.as_str()), (Some(2), "calendar-error-toml"));
        let got = problems("# nothing\n");
        assert_eq!(
            got,
            vec![(
                None,
                "holiday".to_owned(),
                "calendar-error-no_holidays".to_owned()
            )]
        );
        let twice = format!("{AGENCY_FILE}{AGENCY_FILE}");
        let got = problems(&twice);
        assert_eq!(
            got,
            vec![(
                Some(14),
                "holiday[1].name".to_owned(),
                "calendar-error-name_twice".to_owned()
            )]
        );
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
