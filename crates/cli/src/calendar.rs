//! `vereda calendar`: Colombia's public holidays and business-day deadlines (Art. 14).

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;
use jiff::civil::Date;
use vereda_domain::calendar;
use vereda_messages::{Lang, Message};

use crate::lang::{lang, said};

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Print a year's public holidays, one `YYYY-MM-DD name (law)` per line.
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
            let lang = lang();
            for holiday in calendar::holidays(year).map_err(|e| said(e.message()))? {
                let name = match lang {
                    Lang::Es => holiday.name,
                    Lang::En => holiday.name_en,
                };
                println!(
                    "{}",
                    lang.say(
                        &Message::new("cli-calendar-holiday")
                            .with("date", holiday.date.to_string())
                            .with("name", name)
                            .with("law", holiday.law)
                    )
                );
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

/// The calendar of this run: the shipped one extended by the agency's file, when one is set
/// (`--calendar`, `VEREDA_CALENDAR_FILE`, the settings' `calendar_file`). A file that cannot
/// be read or is wrong is an error naming file, line and key; the caller keeps the shipped
/// calendar then.
pub fn load(path: &Path) -> Result<calendar::HolidayCalendar> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        said(
            Message::new("cli-error-calendar_unreadable")
                .with("file", file.as_str())
                .with("detail", crate::lang::io_problem(&e)),
        )
    })?;
    calendar::shipped().extended(&file, &text).map_err(|errors| {
        let lang = lang();
        let lines: Vec<String> = errors
            .0
            .iter()
            .map(|error| {
                let located = match error.line {
                    Some(line) => Message::new("rules-error-located").with("line", line),
                    None => Message::new("rules-error-located_no_line"),
                };
                lang.say(
                    &located
                        .with("file", error.file.as_str())
                        .with("key", error.key.as_str())
                        .with("problem", lang.say(&error.message)),
                )
            })
            .collect();
        anyhow::anyhow!(lines.join("\n"))
    })
}
