//! `vereda calendar`: Colombia's public holidays and business-day deadlines (Art. 14).

use anyhow::Result;
use clap::Subcommand;
use jiff::civil::Date;
use vereda_domain::calendar;
use vereda_messages::Message;

use crate::lang::said;

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Print a year's public holidays, one `YYYY-MM-DD name` per line.
    Holidays {
        /// The year (1984 to 2200).
        year: String,
    },
    /// Print the deadline of a term in business days (días hábiles): the Nth business day
    /// after the notice date, which itself never counts.
    Deadline {
        /// The notice date, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        from: String,
        /// How many business days the term has.
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        business_days: String,
    },
}

pub fn calendar(command: CalendarCommand) -> Result<()> {
    match command {
        CalendarCommand::Holidays { year } => {
            let year: i16 = year
                .trim()
                .parse()
                .map_err(|_| said(Message::new("cli-calendar-not_a_year").with("value", year.as_str())))?;
            for holiday in calendar::holidays(year).map_err(|e| said(e.message()))? {
                println!("{} {}", holiday.date, holiday.name);
            }
        }
        CalendarCommand::Deadline { from, business_days } => {
            let date: Date = from
                .trim()
                .parse()
                .map_err(|_| said(Message::new("cli-calendar-not_a_date").with("value", from.as_str())))?;
            let days: u32 = business_days.trim().parse().map_err(|_| {
                said(Message::new("cli-calendar-not_days").with("value", business_days.as_str()))
            })?;
            let due = calendar::add_business_days(date, days).map_err(|e| {
                said(
                    Message::new("cli-calendar-cannot_count")
                        .with("days", days)
                        .with("date", date)
                        .with("reason", vereda_messages::Arg::List(vec![e.message()])),
                )
            })?;
            println!("{due}");
        }
    }
    Ok(())
}
