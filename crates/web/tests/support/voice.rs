//! What every page must be: in one language, with no catalogue identifier shown as text.
//! Every HTML page any test receives is checked here (`Client::send`), so every error and
//! form problem the negative tests trigger is checked too; `tests/one_voice.rs` crawls the
//! pages each role reaches.

use std::collections::BTreeSet;
use std::sync::LazyLock;

// The words of each language the other must not show are shared with the command line's tests.
use vereda_messages::voice::{ENGLISH, SPANISH};
use vereda_messages::{Lang, identifiers};

/// The visible text of a page: tags, scripts and styles removed, entities decoded enough.
fn visible_text(html: &str) -> String {
    let body = html.split("<body").nth(1).unwrap_or(html);
    let mut text = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&nbsp;", " ")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}

/// English still shown on Spanish pages, each with where it comes from. The list only
/// shrinks: a new leak fails every test that meets it.
const KNOWN_LEAKS: &[(&str, &str)] = &[];

static IDENTIFIERS: LazyLock<BTreeSet<&'static str>> =
    LazyLock::new(|| identifiers(Lang::Es).into_iter().collect());

/// What is wrong with a page in `lang`: words of the other language, identifiers shown.
pub fn problems(lang: Lang, html: &str) -> Vec<String> {
    let text = visible_text(html);
    let other = match lang {
        Lang::Es => ENGLISH,
        Lang::En => SPANISH,
    };
    let mut found = Vec::new();
    for word in other {
        if let Some(at) = text.find(word) {
            if KNOWN_LEAKS.iter().any(|(leak, _)| near(&text, at, leak)) {
                continue;
            }
            let from = text[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
            let context: String = text[from..].chars().take(140).collect();
            found.push(format!(
                "{word:?} in …{}…",
                context.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    for token in text.split(|c: char| c.is_whitespace() || "()[]«»“”\"',.:;".contains(c)) {
        if token.contains('-') && IDENTIFIERS.contains(token) {
            found.push(format!("the identifier {token} shown as text"));
        }
    }
    found
}

/// Whether `leak` is written around the position `at` of `text`.
fn near(text: &str, at: usize, leak: &str) -> bool {
    let start = text.floor_char_boundary(at.saturating_sub(leak.len() + 8));
    let end = text.ceil_char_boundary((at + leak.len() + 8).min(text.len()));
    text[start..end].contains(leak)
}

/// The language a page declares, if it is an HTML page of the application.
pub fn page_language(html: &str) -> Option<Lang> {
    let code = html.split("<html lang=\"").nth(1)?.split('"').next()?;
    Lang::parse(code)
}
