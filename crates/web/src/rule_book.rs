//! The rule sets the application knows: those shipped with it, parsed once.

use std::sync::LazyLock;

use vereda_domain::rules::RuleBook;

static RULE_BOOK: LazyLock<Result<RuleBook, String>> =
    LazyLock::new(|| RuleBook::shipped().map_err(|e| e.to_string()));

/// The rule sets the application knows: those shipped with it.
pub fn rule_book() -> Result<&'static RuleBook, String> {
    RULE_BOOK.as_ref().map_err(Clone::clone)
}
