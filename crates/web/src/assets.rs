//! Static assets, compiled into the binary so that it is the whole product.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub const STYLESHEET: &str = include_str!("../static/vereda.css");
pub const FAVICON: &str = include_str!("../static/favicon.svg");

/// Assets are named with the crate version, so they can be cached for a year.
pub const STYLESHEET_PATH: &str = concat!("/static/vereda-", env!("CARGO_PKG_VERSION"), ".css");

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
            STYLESHEET_PATH,
            get(|| async { asset("text/css; charset=utf-8", STYLESHEET) }),
        )
        .route("/favicon.svg", get(|| async { asset("image/svg+xml", FAVICON) }))
}
