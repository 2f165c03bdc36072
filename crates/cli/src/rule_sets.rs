//! Choosing a rule set on the command line: a shipped id, or a rule-set file.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use vereda_domain::rules::{RuleBook, RuleSet};

/// The shipped rule sets, plus the file `choice` names when it is a path; and the id chosen.
pub fn rule_book(choice: Option<&str>) -> Result<(RuleBook, Option<String>)> {
    let mut book = RuleBook::shipped().map_err(|e| anyhow!("{e}"))?;
    let Some(choice) = choice else {
        return Ok((book, None));
    };
    let path = Path::new(choice);
    if choice.ends_with(".toml") || path.is_file() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the rule set {choice}"))?;
        let rule_set = RuleSet::parse(choice, &text).map_err(|e| anyhow!("{e}"))?;
        let id = rule_set.id.clone();
        book.add(rule_set).map_err(|e| anyhow!("{e}"))?;
        Ok((book, Some(id)))
    } else if book.get(choice).is_none() {
        bail!(
            "unknown rule set {choice:?}; the rule sets are:\n{}",
            listing(&book)
        )
    } else {
        Ok((book, Some(choice.to_owned())))
    }
}

/// Every rule set with its period, one per line, for error messages.
pub fn listing(book: &RuleBook) -> String {
    book.all()
        .iter()
        .map(|s| format!("  {} ({})", s.id, s.period()))
        .collect::<Vec<_>>()
        .join("\n")
}
