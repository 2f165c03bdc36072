//! Spanish first, English second: the visitor's language, read from its cookie. The words
//! come from the one catalogue of `vereda_messages`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use vereda_domain::number::NumberProblem;
pub use vereda_messages::{Arg, LANG_COOKIE, Lang, Message};

/// What is wrong with a typed number, in `lang`, after `field: ` unless `field` is empty (a
/// problem shown beside its field needs no label).
pub fn number_problem(lang: Lang, problem: &NumberProblem, field: &str) -> String {
    let message = lang.say(&problem.message());
    if field.is_empty() {
        message
    } else {
        format!("{field}: {message}")
    }
}

/// The language chosen in the cookie; Spanish otherwise.
pub fn lang_from_headers(headers: &HeaderMap) -> Lang {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_language_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=b; vereda_lang=en".parse().expect("header"));
        assert_eq!(lang_from_headers(&headers), Lang::En);
        assert_eq!(lang_from_headers(&HeaderMap::new()), Lang::Es);
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
        for lang in Lang::ALL {
            for problem in &problems {
                let message = number_problem(lang, problem, "Precio");
                assert!(message.starts_with("Precio: "), "{message}");
                assert!(message.contains(problem.text()), "{message}");
                assert!(!message.contains('{'), "{message}");
                let beside = number_problem(lang, problem, "");
                assert_eq!(message, format!("Precio: {beside}"));
            }
        }
        let ambiguous = number_problem(Lang::Es, &problems[2], "Precio");
        assert!(
            ambiguous.contains("1,2340") && ambiguous.contains("1.234 "),
            "{ambiguous}"
        );
    }
}
