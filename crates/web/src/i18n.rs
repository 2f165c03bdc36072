//! Spanish first, English second: the visitor's language, read from its cookie. The words
//! come from the one catalogue of `vereda_messages`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

pub use vereda_messages::{Arg, LANG_COOKIE, Lang, Message};

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
}
