//! Static assets, compiled into the binary so that it is the whole product.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::AppState;

pub const STYLESHEET: &str = include_str!("../static/vereda.css");
pub const FAVICON: &str = include_str!("../static/favicon.svg");

/// The stylesheet is named after a hash of its content, so it can be cached for a year and a
/// changed one is fetched at once, even within a version.
static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/vereda-{short}.css")
});

pub fn stylesheet_path() -> &'static str {
    STYLESHEET_PATH.as_str()
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            stylesheet_path(),
            get(|| async { asset("text/css; charset=utf-8", STYLESHEET) }),
        )
        .route("/favicon.svg", get(|| async { asset("image/svg+xml", FAVICON) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_path_follows_its_content() {
        let path = stylesheet_path();
        assert!(
            path.starts_with("/static/vereda-") && path.ends_with(".css"),
            "{path}"
        );
        let digest = Sha256::digest(STYLESHEET.as_bytes());
        assert!(
            path.contains(&format!("{:02x}{:02x}", digest[0], digest[1])),
            "{path}"
        );
    }
}
