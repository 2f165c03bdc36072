//! `vereda calendar`: Colombia's public holidays and business-day deadlines (Art. 14).

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use jiff::civil::Date;
use vereda_domain::calendar;

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
                .map_err(|_| anyhow!("{year:?} is not a year"))?;
            for holiday in calendar::holidays(year)? {
                println!("{} {}", holiday.date, holiday.name);
            }
        }
        CalendarCommand::Deadline { from, business_days } => {
            let date: Date = from
                .trim()
                .parse()
                .map_err(|error| anyhow!("{from:?} is not a date (YYYY-MM-DD): {error}"))?;
            let days: u32 = business_days
                .trim()
                .parse()
                .map_err(|_| anyhow!("{business_days:?} is not a number of business days (0 or more)"))?;
            let due = calendar::add_business_days(date, days)
                .with_context(|| format!("cannot count {days} business days from {date}"))?;
            println!("{due}");
        }
    }
    Ok(())
}
