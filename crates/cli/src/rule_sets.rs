//! Choosing a rule set on the command line: a shipped id, or a rule-set file.

use std::path::Path;

use anyhow::{Result, anyhow};
use vereda_domain::rules::{RuleBook, RuleSet};
use vereda_messages::{Lang, Message};

use crate::lang::{lang, said};

/// The shipped rule sets, plus the file `choice` names when it is a path; and the id chosen.
pub fn rule_book(choice: Option<&str>) -> Result<(RuleBook, Option<String>)> {
    // A rule-set file's problems name the file, line and key for its author.
    let mut book = RuleBook::shipped().map_err(|e| anyhow!("{e}"))?;
    let Some(choice) = choice else {
        return Ok((book, None));
    };
    let path = Path::new(choice);
    if choice.ends_with(".toml") || path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            said(
                Message::new("cli-error-rule_set_unreadable")
                    .with("file", choice)
                    .with("detail", crate::lang::io_problem(&e)),
            )
        })?;
        let rule_set = RuleSet::parse(choice, &text).map_err(|e| worded(&e))?;
        let id = rule_set.id.clone();
        book.add(rule_set).map_err(|e| worded(&e))?;
        Ok((book, Some(id)))
    } else if book.get(choice).is_none() {
        Err(said(
            Message::new("rules-error-unknown_id")
                .with("id", choice)
                .with("known", listing(lang(), &book)),
        ))
    } else {
        Ok((book, Some(choice.to_owned())))
    }
}

/// Every rule set with its period, for error messages.
pub fn listing(lang: Lang, book: &RuleBook) -> String {
    book.all()
        .iter()
        .map(|s| format!("{} ({})", s.id, crate::screening::period(lang, s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A rule-set file's problems in the language of this run, one per line: file, line, key and
/// what is wrong.
fn worded(errors: &vereda_domain::rules::RuleSetErrors) -> anyhow::Error {
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
    anyhow!(lines.join("\n"))
}
