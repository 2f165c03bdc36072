//! Spanish first, English second. Texts live in the catalogues `locales/es.toml` and
//! `locales/en.toml`, compiled in; a test keeps their keys identical and checks that every
//! key the templates use exists.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use vereda_domain::number::{NumberProblem, format_number};

/// The cookie that remembers the visitor's language.
pub const LANG_COOKIE: &str = "vereda_lang";

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Es,
    En,
}

fn flatten(prefix: &str, table: &toml::Table, into: &mut HashMap<String, String>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, into),
            toml::Value::String(text) => {
                into.insert(full, text.clone());
            }
            other => {
                into.insert(full, other.to_string());
            }
        }
    }
}

fn load(name: &str, text: &str) -> HashMap<String, String> {
    let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("locales/{name} is broken: {e}"));
    let mut messages = HashMap::new();
    flatten("", &table, &mut messages);
    messages
}

static SPANISH: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load("es.toml", include_str!("../locales/es.toml")));
static ENGLISH: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load("en.toml", include_str!("../locales/en.toml")));

impl Lang {
    /// A refusal of the store in this language (Spanish where it has no English).
    pub fn say(self, said: &vereda_store::Said) -> String {
        match self {
            Lang::Es => said.es().to_owned(),
            Lang::En => said.en().to_owned(),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }

    /// The language chosen in the cookie; Spanish otherwise.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::parse(value))
            .unwrap_or_default()
    }

    fn messages(self) -> &'static HashMap<String, String> {
        match self {
            Lang::Es => &SPANISH,
            Lang::En => &ENGLISH,
        }
    }

    /// The text of `key`; the key itself if the catalogue lacks it (a test forbids that).
    pub fn t(self, key: &str) -> &str {
        self.messages().get(key).map(String::as_str).unwrap_or(key)
    }

    /// A date as `18 jul 2020` (Spanish) or `18 Jul 2020`.
    pub fn date(self, date: jiff::civil::Date) -> String {
        format!(
            "{} {} {}",
            date.day(),
            self.month_abbreviation(date.month()),
            date.year()
        )
    }

    /// A month as the project card writes a last update: `septiembre de 2022`, `September 2022`.
    pub fn month_year(self, date: jiff::civil::Date) -> String {
        let index = usize::from(date.month().unsigned_abs()).saturating_sub(1) % 12;
        match self {
            Lang::Es => format!("{} de {}", MONTHS_ES[index], date.year()),
            Lang::En => format!("{} {}", MONTHS_EN[index], date.year()),
        }
    }

    fn month_abbreviation(self, month: i8) -> String {
        let index = usize::from(month.unsigned_abs()).saturating_sub(1) % 12;
        match self {
            Lang::Es => MONTHS_ES[index].chars().take(3).collect(),
            Lang::En => MONTHS_EN[index].chars().take(3).collect(),
        }
    }

    /// What is wrong with a typed number, with the text as typed and, when it is ambiguous,
    /// both readings written so that they are not; after `field: ` unless `field` is empty
    /// (a problem shown beside its field needs no label).
    pub fn number_problem(self, problem: &NumberProblem, field: &str) -> String {
        let template = match problem {
            NumberProblem::Empty => self.t("number.empty"),
            NumberProblem::NotANumber { .. } => self.t("number.not_a_number"),
            NumberProblem::Ambiguous { .. } => self.t("number.ambiguous"),
            NumberProblem::BadGrouping { .. } => self.t("number.bad_grouping"),
            NumberProblem::TooLarge { .. } => self.t("number.too_large"),
        };
        let mut message = template.replace("{text}", problem.text());
        if let NumberProblem::Ambiguous {
            as_decimal,
            as_thousands,
            ..
        } = problem
        {
            message = message
                .replace("{as_decimal}", &format_number(*as_decimal))
                .replace("{as_thousands}", &format_number(*as_thousands));
        }
        if field.is_empty() {
            message
        } else {
            format!("{field}: {message}")
        }
    }

    /// Formats an amount the Colombian way in Spanish, with `,` thousands in English.
    pub fn amount(self, amount: &rust_decimal::Decimal) -> String {
        let colombian = vereda_domain::money::format_amount(*amount);
        match self {
            Lang::Es => colombian,
            Lang::En => colombian
                .chars()
                .map(|c| match c {
                    '.' => ',',
                    ',' => '.',
                    other => other,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let mut spanish: Vec<&String> = SPANISH.keys().collect();
        let mut english: Vec<&String> = ENGLISH.keys().collect();
        spanish.sort();
        english.sort();
        assert_eq!(spanish, english);
    }

    #[test]
    fn every_key_the_code_and_templates_use_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut sources: Vec<String> = std::fs::read_dir(dir)
            .expect("templates")
            .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("template"))
            .collect();
        for source in [
            include_str!("pages/mod.rs"),
            include_str!("pages/admin.rs"),
            include_str!("pages/staff.rs"),
            include_str!("pages/public.rs"),
            include_str!("pages/screening.rs"),
            include_str!("pages/evaluation.rs"),
            include_str!("pages/formulation.rs"),
            include_str!("pages/verification.rs"),
            include_str!("pages/parcels.rs"),
            include_str!("pages/preparation.rs"),
            include_str!("documents.rs"),
            include_str!("pages/calls.rs"),
            include_str!("pages/targeting.rs"),
            include_str!("pages/procedure.rs"),
            include_str!("evaluation.rs"),
            include_str!("screening.rs"),
            include_str!("api/mod.rs"),
            include_str!("i18n.rs"),
            include_str!("pages/monitoring.rs"),
        ] {
            sources.push(source.to_owned());
        }
        let mut missing = Vec::new();
        for source in &sources {
            for piece in source.split(".t(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                if !SPANISH.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        for code in [
            "login_required",
            "forbidden",
            "not_found",
            "invalid_input",
            "conflict",
            "csrf_mismatch",
            "payload_too_large",
            "internal",
        ] {
            if !SPANISH.contains_key(&format!("error.{code}")) {
                missing.push(format!("error.{code}"));
            }
        }
        assert!(missing.is_empty(), "missing from the catalogues: {missing:?}");
    }

    #[test]
    fn reads_the_language_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=b; vereda_lang=en".parse().expect("header"));
        assert_eq!(Lang::from_headers(&headers), Lang::En);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Es);
    }

    #[test]
    fn number_problems_fill_every_placeholder() {
        use rust_decimal::Decimal;
        let problems = [
            NumberProblem::Empty,
            NumberProblem::NotANumber { text: "mucho".into() },
            NumberProblem::Ambiguous {
                text: "1,234".into(),
                as_decimal: Decimal::new(1234, 3),
                as_thousands: Decimal::from(1234),
            },
            NumberProblem::BadGrouping {
                text: "1.23.4".into(),
            },
            NumberProblem::TooLarge { text: "9".repeat(29) },
        ];
        for lang in [Lang::Es, Lang::En] {
            for problem in &problems {
                let message = lang.number_problem(problem, "Precio");
                assert!(message.starts_with("Precio: "), "{message}");
                assert!(message.contains(problem.text()), "{message}");
                assert!(!message.contains('{'), "{message}");
                let beside = lang.number_problem(problem, "");
                assert_eq!(message, format!("Precio: {beside}"));
            }
        }
        let ambiguous = Lang::Es.number_problem(&problems[2], "Precio");
        assert!(
            ambiguous.contains("1,2340") && ambiguous.contains("1.234 "),
            "{ambiguous}"
        );
    }

    #[test]
    fn formats_amounts_per_language() {
        let amount = rust_decimal::Decimal::new(225000005, 1);
        assert_eq!(Lang::Es.amount(&amount), "22.500.000,5");
        assert_eq!(Lang::En.amount(&amount), "22,500,000.5");
    }
}
