//! The one message catalogue of vereda, in Spanish (the default) and English: Fluent files
//! (`locales/es.ftl`, `locales/en.ftl`) compiled into the binary. Pages, the API, documents
//! and the command line all take their words from here, and turn the domain's typed
//! [`Message`]s into text in the reader's language.
//!
//! Tests prove that both catalogues hold the same identifiers, that every identifier the code
//! and templates name exists, and that every message formats without error.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use vereda_domain::message::{Arg, Message};

pub mod letters;
pub mod voice;

/// The cookie that remembers the visitor's language.
pub const LANG_COOKIE: &str = "vereda_lang";

/// Shown where a text is missing from both catalogues, which a test forbids: never the raw
/// identifier.
const MISSING: &str = "—";

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

/// One language's catalogue: the Fluent bundle, and the text of every message that takes no
/// argument, formatted once so pages borrow it.
struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    plain: HashMap<String, String>,
}

impl Catalogue {
    fn load(name: &str, language: &str, source: &'static str) -> Catalogue {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("locales/{name} does not parse: {errors:?}"));
        let language: LanguageIdentifier = language
            .parse()
            .unwrap_or_else(|e| panic!("bad language {language}: {e}"));
        let mut bundle = FluentBundle::new_concurrent(vec![language]);
        // Pages are HTML and documents are left to right: no isolation marks around values.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("locales/{name} repeats identifiers: {errors:?}"));
        let mut plain = HashMap::new();
        for id in identifiers_in(source) {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, None, &mut errors);
                if errors.is_empty() {
                    plain.insert(id.to_owned(), text.into_owned());
                }
            }
        }
        Catalogue { bundle, plain }
    }

    fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    fn format(&self, id: &str, args: &FluentArgs<'_>) -> Option<String> {
        let pattern = self.bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, Some(args), &mut errors);
        Some(text.into_owned())
    }
}

static SPANISH: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::load("es.ftl", "es-CO", source(Lang::Es)));
static ENGLISH: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::load("en.ftl", "en", source(Lang::En)));

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

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

    /// A text that data gives in Spanish and, optionally, in English (a rule set's own words):
    /// the English one on English pages when there is one, the Spanish one otherwise.
    pub fn pick<'a>(self, spanish: &'a str, english: Option<&'a str>) -> &'a str {
        match (self, english) {
            (Lang::En, Some(english)) if !english.trim().is_empty() => english,
            _ => spanish,
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }

    fn catalogue(self) -> &'static Catalogue {
        match self {
            Lang::Es => &SPANISH,
            Lang::En => &ENGLISH,
        }
    }

    /// Whether the catalogue of this language has the message `id`.
    pub fn has(self, id: &str) -> bool {
        self.catalogue().has(id)
    }

    /// The text of a message without arguments.
    pub fn t(self, id: &str) -> &'static str {
        let found = self
            .catalogue()
            .plain
            .get(id)
            .or_else(|| self.other().catalogue().plain.get(id));
        found.map(String::as_str).unwrap_or(MISSING)
    }

    /// The text of a message with its arguments, each formatted in this language.
    pub fn t_with(self, id: &str, args: &[(&str, Arg)]) -> String {
        self.format_with(id, args.iter().map(|(name, value)| (*name, value)))
    }

    fn format_with<'a>(self, id: &str, args: impl Iterator<Item = (&'a str, &'a Arg)>) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(name, self.value(value));
        }
        self.catalogue()
            .format(id, &fluent)
            .or_else(|| self.other().catalogue().format(id, &fluent))
            .unwrap_or_else(|| MISSING.to_owned())
    }

    /// A typed message of the domain or the store, in this language.
    pub fn say(self, message: &Message) -> String {
        let args = (message.args().iter()).map(|(name, value)| (name.as_ref(), value));
        self.format_with(message.code(), args)
    }

    /// Several messages in this language, one after the other, separated by `; `.
    pub fn say_all(self, messages: &[Message]) -> String {
        messages
            .iter()
            .map(|m| self.say(m))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn value(self, arg: &Arg) -> FluentValue<'static> {
        match arg {
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Count(n) => FluentValue::from(*n),
            Arg::Amount(amount) => FluentValue::from(self.amount(amount)),
            Arg::Date(date) => FluentValue::from(self.date(*date)),
            Arg::Term(id) => FluentValue::from(self.t(id)),
            Arg::Terms(ids) => {
                FluentValue::from(ids.iter().map(|id| self.t(id)).collect::<Vec<_>>().join(", "))
            }
            Arg::List(messages) => FluentValue::from(self.say_all(messages)),
        }
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

    /// An instant as read in Colombia (UTC−5 all year, no daylight saving): `18 jul 2020,
    /// 14:05`.
    pub fn moment(self, at: jiff::Timestamp) -> String {
        let local = at
            .to_zoned(jiff::tz::Offset::constant(-5).to_time_zone())
            .datetime();
        format!(
            "{}, {:02}:{:02}",
            self.date(local.date()),
            local.hour(),
            local.minute()
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

/// Every message identifier of a language's catalogue, for the completeness tests.
pub fn identifiers(lang: Lang) -> Vec<&'static str> {
    identifiers_in(source(lang))
}

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => include_str!("../locales/es.ftl"),
        Lang::En => include_str!("../locales/en.ftl"),
    }
}

/// The identifiers of the messages of a Fluent file: lines that start a message.
fn identifiers_in(source: &'static str) -> Vec<&'static str> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once(" =").map(|(id, _)| id))
        .collect()
}

#[cfg(test)]
mod tests;
