//! What search engines read: `/robots.txt` (the staff area, the account's steps and the API
//! are not for indexing) and `/sitemap.xml` (every public page in Spanish and in English, each
//! naming its other-language alternate).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, urlencode};
use crate::i18n::{ENGLISH_PREFIX, Lang, address_in};
use crate::public_cache::serve_public;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap))
}

/// The paths crawlers are kept out of, in both languages.
const NOT_FOR_INDEXING: &[&str] = &[
    "/personal",
    "/ingreso",
    "/salida",
    "/restablecer",
    "/idioma",
    "/api/v1/",
    "/metrics",
];

/// The public pages that are always there; each project's card and each call follow.
const PUBLIC_PAGES: &[&str] = &[
    "/",
    "/proyectos",
    "/municipios",
    "/glosario",
    "/convocatorias",
    "/datos",
    "/peticiones/nueva",
    "/peticiones/informe",
    "/verificar",
];

async fn robots(State(state): State<AppState>) -> Response {
    let mut text = String::from("User-agent: *\n");
    for path in NOT_FOR_INDEXING {
        text.push_str(&format!("Disallow: {path}\n"));
        text.push_str(&format!("Disallow: {ENGLISH_PREFIX}{path}\n"));
    }
    text.push_str(&format!("\nSitemap: {}/sitemap.xml\n", state.config.public_url()));
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

async fn sitemap(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_public(
        &state,
        &visitor,
        &headers,
        "application/xml; charset=utf-8",
        false,
        async || {
            let mut paths: Vec<String> = PUBLIC_PAGES.iter().map(|p| (*p).to_owned()).collect();
            let projects = state
                .store
                .projects(&vereda_store::projects::ProjectFilter::default())
                .await?;
            paths.extend(
                projects
                    .iter()
                    .map(|p| format!("/proyectos/{}", urlencode(&p.code))),
            );
            paths.extend(
                state
                    .store
                    .calls()
                    .await?
                    .iter()
                    .map(|c| format!("/convocatorias/{}", c.id)),
            );
            Ok(sitemap_xml(state.config.public_url(), &paths).into_bytes())
        },
    )
    .await
}

/// Each page once per language, with both languages as `xhtml:link` alternates.
fn sitemap_xml(site: &str, paths: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in paths {
        for lang in Lang::ALL {
            xml.push_str(&format!(
                "<url><loc>{}</loc>",
                escape(&format!("{site}{}", address_in(lang, path)))
            ));
            for alternate in Lang::ALL {
                xml.push_str(&format!(
                    "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                    alternate.code(),
                    escape(&format!("{site}{}", address_in(alternate, path)))
                ));
            }
            xml.push_str("</url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    xml
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_is_listed_in_both_languages_with_its_alternates() {
        let xml = sitemap_xml("https://vereda.gov.co", &["/".to_owned(), "/datos".to_owned()]);
        assert!(xml.contains("<loc>https://vereda.gov.co/</loc>"));
        assert!(xml.contains("<loc>https://vereda.gov.co/en</loc>"));
        assert!(xml.contains("<loc>https://vereda.gov.co/en/datos</loc>"));
        assert_eq!(xml.matches("<url>").count(), 4);
        assert_eq!(xml.matches("hreflang=\"en\"").count(), 4);
    }
}
