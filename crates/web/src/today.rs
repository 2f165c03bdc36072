//! Today in Colombia, the date deadlines, measurements and statuses are read on.

/// Today in Colombia (UTC−5 all year, no daylight saving).
pub fn today_in_colombia() -> jiff::civil::Date {
    vereda_domain::calendar::date_in_colombia(jiff::Timestamp::now())
}
