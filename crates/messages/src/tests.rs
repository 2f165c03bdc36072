use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;

/// The variables (`{ $name }`) of each message of a catalogue.
/// A message's text goes on over the indented lines after it (select expressions).
fn variables(lang: Lang) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut found: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<&'static str> = None;
    for line in source(lang).lines() {
        let text = match line.split_once(" = ") {
            Some((id, text)) if !line.starts_with(' ') => {
                current = id.starts_with(|c: char| c.is_ascii_alphabetic()).then_some(id);
                text
            }
            _ if line.starts_with(' ') => line,
            _ => {
                current = None;
                continue;
            }
        };
        let Some(id) = current else {
            continue;
        };
        let names = text
            .split("{ $")
            .skip(1)
            .filter_map(|piece| piece.split([' ', '}']).next())
            .map(str::to_owned);
        found.entry(id).or_default().extend(names);
    }
    found
}

#[test]
fn both_catalogues_have_the_same_messages_with_the_same_variables() {
    let spanish = variables(Lang::Es);
    let english = variables(Lang::En);
    let only_spanish: Vec<_> = spanish.keys().filter(|id| !english.contains_key(*id)).collect();
    let only_english: Vec<_> = english.keys().filter(|id| !spanish.contains_key(*id)).collect();
    assert!(only_spanish.is_empty(), "only in es.ftl: {only_spanish:?}");
    assert!(only_english.is_empty(), "only in en.ftl: {only_english:?}");
    let differ: Vec<_> = spanish
        .iter()
        .filter(|(id, vars)| english[*id] != **vars)
        .map(|(id, _)| id)
        .collect();
    assert!(
        differ.is_empty(),
        "the languages use other variables in: {differ:?}"
    );
    assert_eq!(identifiers(Lang::Es).len(), spanish.len());
}

#[test]
fn every_message_formats_without_errors_in_both_languages() {
    for lang in Lang::ALL {
        for (id, names) in variables(lang) {
            let args: Vec<(&str, Arg)> = names.iter().map(|n| (n.as_str(), Arg::Count(2))).collect();
            let pattern = lang
                .catalogue()
                .bundle
                .get_message(id)
                .and_then(|m| m.value())
                .unwrap_or_else(|| panic!("{id} has no value"));
            let mut fluent = FluentArgs::new();
            for (name, value) in &args {
                fluent.set(*name, lang.value(value));
            }
            let mut errors = Vec::new();
            let text = lang
                .catalogue()
                .bundle
                .format_pattern(pattern, Some(&fluent), &mut errors);
            assert!(errors.is_empty(), "{id} in {}: {errors:?}", lang.code());
            assert!(!text.trim().is_empty(), "{id} in {} is empty", lang.code());
        }
    }
}

fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !matches!(name, "target" | "golden" | "snapshots") {
                sources(&path, into);
            }
        } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
            into.push(path);
        }
    }
}

/// The identifiers that a source names literally: the first argument of `.t`, `.t_with` and
/// `Message::new`, and the second of `with_term`.
fn named_identifiers(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for opening in [".t(\"", ".t_with(\"", "Message::new(\""] {
        for piece in source.split(opening).skip(1) {
            found.push(piece.split('"').next().unwrap_or_default().to_owned());
        }
    }
    for piece in source.split("with_term(\"").skip(1) {
        // Only a literal second argument, as in `with_term(NAME, ID)`.
        if let Some((_, rest)) = piece.split_once('"')
            && let Some(literal) = rest.strip_prefix(", \"")
        {
            found.push(literal.split('"').next().unwrap_or_default().to_owned());
        }
    }
    found
}

#[test]
fn every_identifier_the_code_and_templates_name_exists_in_both_languages() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    sources(&crates, &mut files);
    assert!(
        files.len() > 100,
        "the sources were not found under {}",
        crates.display()
    );
    let mut missing = BTreeSet::new();
    let mut named = 0;
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap_or_default();
        for id in named_identifiers(&source) {
            named += 1;
            // `{{`…`}}` and `{` are formats and templates building an identifier: the enum's
            // own test checks those.
            if id.contains('{') || id.is_empty() {
                continue;
            }
            for lang in Lang::ALL {
                if !lang.has(&id) {
                    missing.insert(format!("{id} ({}, {})", lang.code(), file.display()));
                }
            }
        }
    }
    assert!(named > 500, "only {named} identifiers found: is the scan broken?");
    assert!(missing.is_empty(), "missing from the catalogues: {missing:#?}");
}

#[test]
fn a_missing_identifier_never_shows_itself() {
    let unknown = ["no", "such", "message"].join("-");
    assert_eq!(Lang::Es.t(&unknown), MISSING);
    assert_eq!(Lang::En.t_with(&unknown, &[]), MISSING);
}

#[test]
fn arguments_are_formatted_in_each_language() {
    let amount = rust_decimal::Decimal::new(225000005, 1);
    assert_eq!(Lang::Es.amount(&amount), "22.500.000,5");
    assert_eq!(Lang::En.amount(&amount), "22,500,000.5");
    let date = jiff::civil::date(2020, 7, 18);
    assert_eq!(Lang::Es.date(date), "18 jul 2020");
    assert_eq!(Lang::En.date(date), "18 Jul 2020");
}

/// Each message of a catalogue as written in the file: its identifier and its source text.
fn written(lang: Lang) -> Vec<(&'static str, &'static str)> {
    source(lang)
        .lines()
        .filter_map(|line| line.split_once(" = "))
        .filter(|(id, _)| id.starts_with(|c: char| c.is_ascii_alphabetic()))
        .collect()
}

#[test]
fn the_glossary_gives_each_term_one_name_that_every_message_uses() {
    // Names that once stood for a glossary term beside its own, never to come back; and the
    // screening's nouns, which messages take from the term (`{ -screening }`), not write out.
    let retired: [(Lang, &[&str]); 2] = [
        (
            Lang::Es,
            &[
                "tamizaj",
                "verificación de hogares",
                "focalización de hogares",
                "preselección",
                "preselecciones",
            ],
        ),
        (
            Lang::En,
            &["household verification", "verification of households"],
        ),
    ];
    // The screening's own messages never name another stage's term.
    let other_stages: [(Lang, &[&str]); 2] = [
        (Lang::Es, &["verific", "focaliz"]),
        (Lang::En, &["verif", "targeting"]),
    ];
    for ((lang, retired), (_, other)) in retired.into_iter().zip(other_stages) {
        for (id, text) in written(lang) {
            let text = text.to_lowercase();
            for word in retired {
                assert!(!text.contains(word), "{id} in {} says «{word}»", lang.code());
            }
            if id.starts_with("screening-") {
                for word in other {
                    assert!(!text.contains(word), "{id} in {} says «{word}»", lang.code());
                }
            }
        }
        for term in vereda_domain::glossary::Term::ALL {
            for part in ["term", "definition", "basis"] {
                let key = term.key(part);
                assert!(lang.has(&key), "{key} is missing in {}", lang.code());
            }
        }
    }
    assert_eq!(Lang::Es.t("screening-title"), "Preselección de hogares");
    assert_eq!(
        Lang::En.t("glossary-verification-term"),
        "Verification of the households"
    );
}

#[test]
fn an_instant_is_read_in_colombia_whatever_the_servers_clock() {
    let at = |text: &str| text.parse::<jiff::Timestamp>().expect("instant");
    assert_eq!(Lang::Es.moment(at("2026-03-02T19:05:00Z")), "2 mar 2026, 14:05");
    assert_eq!(Lang::En.moment(at("2026-03-02T19:05:00Z")), "2 Mar 2026, 14:05");
    // After midnight in UTC it is still the evening before in Colombia (UTC−5).
    assert_eq!(Lang::Es.moment(at("2026-03-03T03:30:00Z")), "2 mar 2026, 22:30");
}
