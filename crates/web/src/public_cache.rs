//! Rendered public pages, kept for anonymous visitors.
//!
//! The public portal is read far more often than projects change, so a page for a visitor
//! without an account is rendered once and served from memory. A change made through this
//! process forgets at once the pages it changes ([`PublicPages::forget_project`],
//! [`PublicPages::forget_award`]), and only those; a change made by another process
//! (the command line, another server on PostgreSQL) shows within [`PublicPages::FRESH_FOR`].
//!
//! Under load two things would make visitors wait: every request that misses a page rendering
//! it at once, and every request rendering again when a page turns stale. So one request per
//! page renders while the others wait for its result (a missing page), or keep getting the
//! stale page until the fresh one is in (a stale page).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use std::io::Write;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::i18n::Lang;

pub const HTML: &str = "text/html; charset=utf-8";

/// Serves a public response from the cache to visitors without an account, and renders it
/// otherwise (a staff visitor's header differs). `per_language` is false for data files.
pub async fn serve_public(
    state: &AppState,
    visitor: &Visitor,
    request: &HeaderMap,
    content_type: &'static str,
    per_language: bool,
    render: impl AsyncFnOnce() -> Result<Vec<u8>, AppError>,
) -> Result<Response, AppError> {
    if visitor.account.is_some() && per_language {
        return Ok(CachedPage::new(render().await?, content_type).respond(request));
    }
    let key = (
        if per_language { visitor.lang } else { Lang::Es },
        visitor.here.clone(),
    );
    let pages = &state.public_pages;
    match pages.lookup(&key) {
        Lookup::Fresh(page) => return Ok(page.respond(request)),
        Lookup::Stale(page) => {
            // Somebody else is refreshing it: this visitor gets the page of a moment ago.
            if !page.claim_refresh() {
                return Ok(page.respond(request));
            }
            let rendered = render().await;
            page.release_refresh();
            let fresh = CachedPage::new(rendered?, content_type);
            pages.put(key, fresh.clone());
            return Ok(fresh.respond(request));
        }
        Lookup::Missing => {}
    }
    let gate = pages.gate(&key);
    let _turn = gate.lock().await;
    // The request that held the gate before may have rendered it meanwhile.
    if let Lookup::Fresh(page) | Lookup::Stale(page) = pages.lookup(&key) {
        return Ok(page.respond(request));
    }
    let page = CachedPage::new(render().await?, content_type);
    pages.put(key, page.clone());
    Ok(page.respond(request))
}

/// One rendered page: its bytes (also gzipped, for slow connections), content type and
/// validator.
#[derive(Clone)]
pub struct CachedPage {
    pub body: Bytes,
    /// Compressed when a client first takes gzip, not with every render: a client that does
    /// not (an open-data script) does not wait for it.
    gzipped: Arc<OnceLock<Option<Bytes>>>,
    pub content_type: &'static str,
    pub etag: HeaderValue,
    rendered_at: Instant,
    refreshing: Arc<AtomicBool>,
}

impl CachedPage {
    pub fn new(body: impl Into<Bytes>, content_type: &'static str) -> CachedPage {
        let body = body.into();
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", fingerprint(&body)))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        CachedPage {
            gzipped: Arc::default(),
            body,
            content_type,
            etag,
            rendered_at: Instant::now(),
            refreshing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The page (gzipped when the client takes gzip and not brotli; brotli is the compression
    /// layer's), or 304 when the client has these bytes.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static(self.content_type)),
            (header::ETAG, self.etag.clone()),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=0, must-revalidate"),
            ),
            (
                header::VARY,
                HeaderValue::from_static("Cookie, Accept-Encoding, Accept-Language"),
            ),
        ];
        if request.get(header::IF_NONE_MATCH) == Some(&self.etag) {
            return (axum::http::StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let takes = |wanted: &str| {
            request
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .any(|coding| {
                    let mut parts = coding.split(';');
                    parts.next().is_some_and(|name| name.trim() == wanted)
                        && !parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
                })
        };
        let takes_gzip = takes("gzip") && !takes("br");
        match self.gzipped() {
            Some(gzipped) if takes_gzip => (
                headers,
                [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))],
                gzipped.clone(),
            )
                .into_response(),
            _ => (headers, self.body.clone()).into_response(),
        }
    }

    /// The body gzipped, compressed by the first caller that asks; none for a small body.
    fn gzipped(&self) -> Option<&Bytes> {
        self.gzipped.get_or_init(|| gzip(&self.body)).as_ref()
    }

    /// True for the one caller that may render this stale page again.
    fn claim_refresh(&self) -> bool {
        self.refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// After a failed render, the next visitor tries again.
    fn release_refresh(&self) {
        self.refreshing.store(false, Ordering::Release);
    }
}

/// The gzip of a body worth compressing; none for small ones or if compression fails.
fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < 1024 {
        return None;
    }
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// FNV-1a: a validator for the ETag, not a security measure.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

type PageKey = (Lang, String);

enum Lookup {
    Fresh(CachedPage),
    Stale(CachedPage),
    Missing,
}

#[derive(Clone, Default)]
pub struct PublicPages {
    pages: Arc<RwLock<HashMap<PageKey, CachedPage>>>,
    /// One lock per page being rendered for the first time.
    gates: Arc<Mutex<HashMap<PageKey, Arc<tokio::sync::Mutex<()>>>>>,
}

impl PublicPages {
    /// How long a page may show data another process has since changed.
    pub const FRESH_FOR: Duration = Duration::from_secs(2);
    /// Beyond this many pages (search queries are many) the cache starts over.
    const MAX_PAGES: usize = 4096;

    fn lookup(&self, key: &PageKey) -> Lookup {
        let Ok(pages) = self.pages.read() else {
            return Lookup::Missing;
        };
        match pages.get(key) {
            Some(page) if page.rendered_at.elapsed() < Self::FRESH_FOR => Lookup::Fresh(page.clone()),
            Some(page) => Lookup::Stale(page.clone()),
            None => Lookup::Missing,
        }
    }

    pub fn get(&self, lang: Lang, path_and_query: &str) -> Option<CachedPage> {
        match self.lookup(&(lang, path_and_query.to_owned())) {
            Lookup::Fresh(page) => Some(page),
            Lookup::Stale(_) | Lookup::Missing => None,
        }
    }

    fn put(&self, key: PageKey, page: CachedPage) {
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() >= Self::MAX_PAGES {
                pages.clear();
            }
            pages.insert(key, page);
        }
    }

    fn gate(&self, key: &PageKey) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut gates) = self.gates.lock() else {
            return Arc::default();
        };
        if gates.len() >= Self::MAX_PAGES {
            gates.retain(|_, gate| Arc::strong_count(gate) > 1);
        }
        gates.entry(key.clone()).or_default().clone()
    }

    /// Forgets the pages that show project `code`'s figures: the portfolio's pages (its list
    /// and roll-ups), the project's own pages and the open data. Other projects' cards and
    /// the calls' pages stay. For a change within one project (a measurement or an indicator
    /// proposal reviewed); an award or a payment forgets more ([`Self::forget_award`]).
    pub fn forget_project(&self, code: &str) {
        if let Ok(mut pages) = self.pages.write() {
            pages.retain(|(_, here), _| !shows_project(here, code));
        }
    }

    /// Forgets the pages an award or a payment of project `code` of call `call_id` changes:
    /// those that show the project (as [`Self::forget_project`]), the home page and the sitemap
    /// (which list projects), the calls' list and that call's page (its awards), and the
    /// verification of acts (a new act's number). Other calls' and projects' pages stay, so
    /// the visitors reading them never wait for a page to be rendered again.
    pub fn forget_award(&self, code: &str, call_id: Option<i32>) {
        if let Ok(mut pages) = self.pages.write() {
            pages.retain(|(_, here), _| !shows_project(here, code) && !shows_award_of_call(here, call_id));
        }
    }
}

/// Whether the page at `here` lists a new award of call `call_id` or a new act.
fn shows_award_of_call(here: &str, call_id: Option<i32>) -> bool {
    let path = here.split(['?', '#']).next().unwrap_or(here);
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("" | "sitemap.xml" | "verificar"), _) | (Some("convocatorias"), None) => true,
        (Some("convocatorias"), Some(id)) => call_id.is_some_and(|call| id == call.to_string()),
        _ => false,
    }
}

/// Whether the page at `here` (path and query) shows figures of project `code`.
fn shows_project(here: &str, code: &str) -> bool {
    let path = here.split(['?', '#']).next().unwrap_or(here);
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("proyectos"), None) | (Some("datos"), _) => true,
        (Some("proyectos"), Some(segment)) => crate::reach::decoded(segment).as_deref() == Some(code),
        (Some("api"), _) => path.starts_with("/api/v1/open-data/"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> PageKey {
        (Lang::Es, path.to_owned())
    }

    #[test]
    fn a_page_is_served_until_forgotten_and_revalidates_with_its_etag() {
        let cache = PublicPages::default();
        cache.put(
            key("/proyectos"),
            CachedPage::new("hola", "text/html; charset=utf-8"),
        );
        let page = cache.get(Lang::Es, "/proyectos").expect("cached");
        assert!(cache.get(Lang::En, "/proyectos").is_none());
        let mut revalidation = HeaderMap::new();
        revalidation.insert(header::IF_NONE_MATCH, page.etag.clone());
        assert_eq!(page.respond(&revalidation).status(), 304);
        assert_eq!(page.respond(&HeaderMap::new()).status(), 200);
        cache.forget_project("PDR-2013-CAQ-001");
        assert!(cache.get(Lang::Es, "/proyectos").is_none());
    }

    #[test]
    fn an_award_forgets_the_pages_of_its_project_and_its_call_only() {
        let cache = PublicPages::default();
        let kept = [
            "/convocatorias/2",
            "/proyectos/PDR-2013-CAQ-001",
            "/municipios",
            "/peticiones/informe",
        ];
        let forgotten = [
            "/",
            "/proyectos",
            "/proyectos?pagina=3",
            "/proyectos/NAR-TUM-2013-001",
            "/proyectos/NAR-TUM-2013-001/indicadores/1",
            "/datos",
            "/api/v1/open-data/projects.csv",
            "/convocatorias",
            "/convocatorias/1",
            "/verificar/ABC123",
            "/sitemap.xml",
        ];
        for path in kept.iter().chain(&forgotten) {
            cache.put(key(path), CachedPage::new("x", "text/html; charset=utf-8"));
        }
        cache.forget_award("NAR-TUM-2013-001", Some(1));
        for path in kept {
            assert!(cache.get(Lang::Es, path).is_some(), "{path} stays");
        }
        for path in forgotten {
            assert!(cache.get(Lang::Es, path).is_none(), "{path} is forgotten");
        }
    }

    #[test]
    fn a_project_change_forgets_only_the_pages_that_show_it() {
        let cache = PublicPages::default();
        let paths = [
            "/proyectos",
            "/proyectos?departamento=18&pagina=2",
            "/proyectos/T06.60%2C61%2C62",
            "/proyectos/T06.60,61,62/indicadores/3",
            "/proyectos/PDR-2013-CAQ-001",
            "/datos",
            "/api/v1/open-data/indicators.csv?project=T06.60%2C61%2C62",
            "/convocatorias/1",
        ];
        for path in paths {
            cache.put(key(path), CachedPage::new("x", "text/plain"));
        }
        cache.forget_project("T06.60,61,62");
        let kept: Vec<&str> = paths
            .into_iter()
            .filter(|p| cache.get(Lang::Es, p).is_some())
            .collect();
        assert_eq!(kept, ["/proyectos/PDR-2013-CAQ-001", "/convocatorias/1"]);
    }

    #[test]
    fn different_bytes_have_different_etags() {
        assert_ne!(
            CachedPage::new("a", "text/plain").etag,
            CachedPage::new("b", "text/plain").etag
        );
    }

    #[test]
    fn big_pages_go_gzipped_to_clients_that_take_gzip() {
        let page = CachedPage::new("vereda ".repeat(400), "text/html; charset=utf-8");
        let mut accepts = HeaderMap::new();
        accepts.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("deflate, gzip;q=0.8"),
        );
        let compressed = page.respond(&accepts);
        assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "gzip");
        let mut brotli = HeaderMap::new();
        brotli.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br, gzip"));
        assert!(
            page.respond(&brotli)
                .headers()
                .get(header::CONTENT_ENCODING)
                .is_none(),
            "brotli is left to the compression layer"
        );
        assert!(page.gzipped().is_some_and(|g| g.len() < 200));
        let plain = page.respond(&HeaderMap::new());
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(CachedPage::new("small", "text/plain").gzipped().is_none());
    }

    #[test]
    fn one_caller_at_a_time_refreshes_a_stale_page() {
        let page = CachedPage::new("a", "text/plain");
        assert!(page.claim_refresh());
        assert!(!page.clone().claim_refresh(), "clones share the claim");
        page.release_refresh();
        assert!(page.claim_refresh());
    }

    #[test]
    fn first_renders_of_a_page_share_one_gate() {
        let cache = PublicPages::default();
        let first = cache.gate(&key("/proyectos"));
        let second = cache.gate(&key("/proyectos"));
        assert!(Arc::ptr_eq(&first, &second));
        assert!(!Arc::ptr_eq(&first, &cache.gate(&key("/datos"))));
    }
}
