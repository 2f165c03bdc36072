//! Spanish first, English second: the visitor's language, read from the address (`/en/…` or
//! `?lang=`), else its cookie, else `Accept-Language` on a first visit. The words come from the
//! one catalogue of `vereda_messages`.

use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, VARY};
use axum::http::{HeaderMap, Uri};

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

/// The prefix of the English addresses: `/en/proyectos` is `/proyectos` in English.
pub const ENGLISH_PREFIX: &str = "/en";

/// The language the address asked for (`/en/…` before [`language_in_url`] took the prefix
/// off, or `?lang=es|en`), kept as a request extension.
#[derive(Debug, Clone, Copy)]
pub struct UrlLang(pub Lang);

/// The visitor's language: the address's, else the cookie's, else the best of
/// `Accept-Language` (a first visit has no cookie), else Spanish.
pub fn visitor_lang(url: Option<UrlLang>, headers: &HeaderMap) -> Lang {
    url.map(|UrlLang(lang)| lang)
        .or_else(|| cookie_lang(headers))
        .or_else(|| accepted_lang(headers))
        .unwrap_or_default()
}

/// The language chosen in the cookie; Spanish otherwise.
pub fn lang_from_headers(headers: &HeaderMap) -> Lang {
    cookie_lang(headers).unwrap_or_default()
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| Lang::parse(value))
}

/// The supported language the client prefers most (`en-GB;q=0.9, es;q=0.5`: English); the
/// first of equal weights wins, a weight of 0 refuses.
fn accepted_lang(headers: &HeaderMap) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    let ranges = headers
        .get_all(ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for range in ranges {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let primary = tag.split('-').next().unwrap_or_default().to_ascii_lowercase();
        let Some(lang) = Lang::parse(&primary) else {
            continue;
        };
        let weight = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
            best = Some((lang, weight));
        }
    }
    best.map(|(lang, _)| lang)
}

/// The language an address names: `/en/…` (the prefix, taken off) or `?lang=`.
pub fn split_language(uri: &Uri) -> (Option<UrlLang>, Option<String>) {
    let path = uri.path();
    let rest = if path == ENGLISH_PREFIX {
        Some("/")
    } else {
        path.strip_prefix(ENGLISH_PREFIX)
            .filter(|rest| rest.starts_with('/'))
    };
    if let Some(rest) = rest {
        let stripped = match uri.query() {
            Some(query) => format!("{rest}?{query}"),
            None => rest.to_owned(),
        };
        return (Some(UrlLang(Lang::En)), Some(stripped));
    }
    let asked = uri.query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "lang")
            .and_then(|(_, value)| Lang::parse(value))
    });
    (asked.map(UrlLang), None)
}

/// Before routing: an English address is served by the Spanish route, in English.
pub async fn language_in_url(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (lang, stripped) = split_language(request.uri());
    if let Some(stripped) = stripped
        && let Ok(uri) = stripped.parse::<Uri>()
    {
        *request.uri_mut() = uri;
    }
    if let Some(lang) = lang {
        request.extensions_mut().insert(lang);
    }
    let mut response = next.run(request).await;
    // A page's language may come from the cookie or Accept-Language: caches must know.
    for negotiated in ["Cookie", "Accept-Language"] {
        let listed = response
            .headers()
            .get_all(VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(negotiated));
        if !listed {
            response
                .headers_mut()
                .append(VARY, axum::http::HeaderValue::from_static(negotiated));
        }
    }
    response
}

/// The addresses of the public portal: neither the staff area, the account's steps, the API
/// nor the operators' and browsers' files.
pub fn is_public_path(path_and_query: &str) -> bool {
    const PRIVATE: &[&str] = &[
        "/personal",
        "/ingreso",
        "/salida",
        "/restablecer",
        "/idioma",
        "/api",
        "/static",
        "/healthz",
        "/readyz",
        "/metrics",
    ];
    let path = path_and_query.split(['?', '#']).next().unwrap_or_default();
    !PRIVATE
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
}

/// A public page's address in `lang`: the Spanish one as it is, the English one under `/en`;
/// a `lang` parameter is left out (the address says the language).
pub fn address_in(lang: Lang, path_and_query: &str) -> String {
    let without_lang;
    let path_and_query = match path_and_query.split_once('?') {
        Some((path, query)) if query.split('&').any(|pair| pair.starts_with("lang=")) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| !pair.starts_with("lang="))
                .collect();
            without_lang = if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            };
            without_lang.as_str()
        }
        _ => path_and_query,
    };
    match lang {
        Lang::Es => path_and_query.to_owned(),
        Lang::En if path_and_query == "/" => ENGLISH_PREFIX.to_owned(),
        Lang::En if path_and_query.starts_with("/?") => format!("{ENGLISH_PREFIX}{}", &path_and_query[1..]),
        Lang::En => format!("{ENGLISH_PREFIX}{path_and_query}"),
    }
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
    fn the_address_names_the_language_before_the_cookie_and_accept_language() {
        let (lang, stripped) = split_language(&"/en/proyectos?q=cacao".parse().expect("uri"));
        assert_eq!(lang.map(|l| l.0), Some(Lang::En));
        assert_eq!(stripped.as_deref(), Some("/proyectos?q=cacao"));
        let (lang, stripped) = split_language(&"/en".parse().expect("uri"));
        assert_eq!(
            (lang.map(|l| l.0), stripped.as_deref()),
            (Some(Lang::En), Some("/"))
        );
        let (lang, stripped) = split_language(&"/entrada".parse().expect("uri"));
        assert!(lang.is_none() && stripped.is_none());
        let (lang, _) = split_language(&"/datos?lang=en".parse().expect("uri"));
        assert_eq!(lang.map(|l| l.0), Some(Lang::En));

        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT_LANGUAGE,
            "fr, en-GB;q=0.9, es;q=0.5".parse().expect("header"),
        );
        assert_eq!(visitor_lang(None, &headers), Lang::En);
        headers.insert(COOKIE, "vereda_lang=es".parse().expect("header"));
        assert_eq!(
            visitor_lang(None, &headers),
            Lang::Es,
            "the cookie is the visitor's choice"
        );
        assert_eq!(visitor_lang(Some(UrlLang(Lang::En)), &headers), Lang::En);
        let mut refused = HeaderMap::new();
        refused.insert(ACCEPT_LANGUAGE, "en;q=0, es-CO".parse().expect("header"));
        assert_eq!(visitor_lang(None, &refused), Lang::Es);

        assert_eq!(address_in(Lang::En, "/"), "/en");
        assert_eq!(address_in(Lang::En, "/?x=1"), "/en?x=1");
        assert_eq!(address_in(Lang::En, "/datos"), "/en/datos");
        assert_eq!(address_in(Lang::Es, "/datos"), "/datos");
        assert_eq!(address_in(Lang::Es, "/datos?lang=en"), "/datos");
        assert_eq!(
            address_in(Lang::En, "/proyectos?lang=en&q=x"),
            "/en/proyectos?q=x"
        );
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
