//! The web application: server-rendered pages (askama, no JavaScript build), the JSON API
//! under `/api/v1` with its OpenAPI document, accounts and sessions.

pub(crate) mod acts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod bulk_decisions;
pub mod charts;
pub mod demo;
pub(crate) mod documents;
pub mod downloads;
pub mod error;
pub mod error_page;
pub mod evaluation;
pub mod flash;
pub mod form_errors;
pub mod form_step;
pub mod i18n;
pub mod inbox;
pub mod job_context;
pub mod letters;
pub mod lists;
pub mod metrics;
pub mod moved;
pub mod open_tables;
pub mod pages;
pub mod procedure_actions;
pub mod public_cache;
pub mod reach;
pub mod rule_book;
pub mod screening;
pub mod session_store;
pub mod today;
pub mod uploads;
pub mod worker;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use vereda_store::Store;

/// How long a session lives without activity, unless configured ([`WebConfig::idle_limit`]).
pub const SESSION_HOURS: i64 = 8;
/// How long a session lives after its login whatever its activity, unless configured
/// ([`WebConfig::absolute_limit`]).
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;
/// How long a password-reset link works, unless configured ([`WebConfig::reset_link_lifetime`]).
pub const RESET_LINK_HOURS: i64 = 24;
/// The largest upload (an IPM spreadsheet, later household registries).
pub const UPLOAD_LIMIT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: WebConfig,
    /// Where uploaded screening files are kept (see [`uploads::Uploads::for_store`]).
    pub uploads: uploads::Uploads,
    /// The progress of the screenings this process is running.
    pub progresses: screening::Progresses,
    /// Public pages rendered for visitors without an account.
    pub public_pages: public_cache::PublicPages,
    /// Where letters to households go.
    pub outbox: letters::Outbox,
    /// The public petitions filed per client address in the last hour.
    pub petition_filings: pages::petitions::FilingLimiter,
    /// This server's worker of durable jobs (screenings).
    pub worker: worker::Worker,
    /// The counters `/metrics` shows (requests, latencies, rows screened and stored).
    pub metrics: metrics::Metrics,
}

#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Send cookies only over HTTPS (set behind a TLS proxy).
    pub secure_cookies: bool,
    /// Where letters to households are written; else `VEREDA_OUTBOX_DIR`, else `outbox`
    /// beside the uploads directory (see [`letters::Outbox`]).
    pub outbox_dir: Option<std::path::PathBuf>,
    /// Where uploaded files are kept (`uploads_dir`); else `VEREDA_UPLOADS_DIR`, else
    /// `uploads` beside the SQLite file; required on PostgreSQL (see
    /// [`uploads::Uploads::for_store`]).
    pub uploads_dir: Option<std::path::PathBuf>,
    /// Who may read `/metrics`: a bearer token (`VEREDA_METRICS_TOKEN`); without one, only
    /// clients on the loopback address (see [`metrics`]).
    pub metrics_token: Option<metrics::MetricsToken>,
    /// One log line per request (method, route, status, latency, request id) at `info`
    /// (`access_log`; on by `vereda serve`).
    pub access_log: bool,
    /// The SMTP server letters go through when the household has an e-mail address
    /// (`VEREDA_SMTP_URL`); none: every letter goes to the outbox.
    pub smtp: Option<letters::Smtp>,
    /// A fixed "today" for the deadlines of the verification (tests); else today in Colombia.
    pub today: Option<jiff::civil::Date>,
    /// A session ends after this long without a request; else [`SESSION_HOURS`].
    pub idle_limit: Option<Duration>,
    /// A session ends this long after its login, whatever its activity; else
    /// [`SESSION_ABSOLUTE_HOURS`].
    pub absolute_limit: Option<Duration>,
    /// A password-reset link works this long; else [`RESET_LINK_HOURS`].
    pub reset_link_lifetime: Option<Duration>,
    /// Accounts of the roles that sign, approve, award or pay must enroll a second factor
    /// (TOTP) before any staff page or action. Off here (tests, demo); `vereda serve` turns it
    /// on unless configured otherwise.
    pub require_second_factor: bool,
    /// How much one imported file may hold (cells, text, CSV line): the household registry
    /// and its registries, the IPM file.
    pub read_limits: vereda_screening::table::ReadLimits,
    /// How many petitions one client address may file in an hour; else
    /// [`pages::petitions::PETITIONS_PER_HOUR`].
    pub petitions_per_hour: Option<u32>,
    /// The largest attachment of a petition, in bytes; else
    /// [`pages::petitions::PETITION_ATTACHMENT_BYTES`].
    pub petition_attachment_bytes: Option<usize>,
    /// The document templates: the shipped ones, replaced by those of the templates directory
    /// (`templates_dir`) with the same name.
    pub templates: vereda_documents::typeset::Templates,
    /// How long a claimed job stays this server's without a renewal; else
    /// [`worker::JOB_LEASE_SECONDS`].
    pub job_lease: Option<Duration>,
    /// How often an idle server looks for queued jobs; else [`worker::JOB_POLL_SECONDS`].
    pub job_poll: Option<Duration>,
    /// The site's public address (`public_url`), printed on every signed act as
    /// `{public_url}/verificar/CODE`; else [`PUBLIC_URL`].
    pub public_url: Option<String>,
    /// The IATI organisation identifier the open data publish under (`iati_publisher`); else
    /// [`api::open_data::IATI_PUBLISHER_REFERENCE`].
    pub iati_publisher: Option<String>,
    /// The business days within which an item of the staff inbox is due soon and goes into
    /// the account's daily digest (`digest_business_days`); else
    /// [`vereda_domain::inbox::DIGEST_BUSINESS_DAYS`].
    pub digest_business_days: Option<u32>,
    /// Queue the staff inbox's daily letters (digests and alerts) every day from
    /// [`inbox::DIGEST_HOUR`] in Colombia (`daily_digest`). Off here (tests); `vereda serve`
    /// turns it on unless configured otherwise.
    pub daily_digest: bool,
    /// The most households one request decides in bulk or writes the offer's letters to; a
    /// filter matching more, or a larger call's notice, is done by a job. Else
    /// [`vereda_store::verification::BULK_DECISION_LIMIT`].
    pub households_in_request: Option<usize>,
}

/// The public address printed on signed acts when none is configured.
pub const PUBLIC_URL: &str = "https://vereda.gov.co";

impl WebConfig {
    /// The site's public address, without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.public_url
            .as_deref()
            .unwrap_or(PUBLIC_URL)
            .trim_end_matches('/')
    }

    /// The date deadlines are measured against.
    pub fn today(&self) -> jiff::civil::Date {
        self.today.unwrap_or_else(today::today_in_colombia)
    }

    pub fn idle_limit(&self) -> Duration {
        self.idle_limit
            .unwrap_or(Duration::from_secs(SESSION_HOURS.unsigned_abs() * 3600))
    }

    pub fn absolute_limit(&self) -> Duration {
        self.absolute_limit
            .unwrap_or(Duration::from_secs(SESSION_ABSOLUTE_HOURS.unsigned_abs() * 3600))
    }

    pub fn households_in_request(&self) -> usize {
        self.households_in_request
            .unwrap_or(vereda_store::verification::BULK_DECISION_LIMIT)
            .clamp(1, vereda_store::verification::BULK_DECISION_LIMIT)
    }

    pub fn reset_link_lifetime(&self) -> Duration {
        self.reset_link_lifetime
            .unwrap_or(Duration::from_secs(RESET_LINK_HOURS.unsigned_abs() * 3600))
    }
}

/// The whole application, ready to serve.
///
/// # Panics
///
/// On PostgreSQL without an uploads directory ([`uploads::Uploads::for_store`]); [`serve`]
/// and [`try_app`] say it instead.
pub fn app(store: Store, config: WebConfig) -> Router {
    match try_app(store, config) {
        Ok(router) => router,
        Err(refusal) => panic!("the application cannot start: {refusal}"),
    }
}

/// The whole application, or why it cannot start (no uploads directory on PostgreSQL, or one
/// that cannot be made private).
pub fn try_app(store: Store, config: WebConfig) -> Result<Router, vereda_messages::Message> {
    Ok(router(try_state(store, config)?))
}

/// The application's shared state: the store, the settings, the uploads directory and this
/// server's worker, or why it cannot start.
pub fn try_state(store: Store, config: WebConfig) -> Result<AppState, vereda_messages::Message> {
    let uploads = uploads::Uploads::for_store(&store, config.uploads_dir.as_deref())?;
    let outbox = letters::Outbox::configured(&config, &uploads);
    let (lease, poll) = worker::timings(&config);
    Ok(AppState {
        outbox,
        store,
        config,
        uploads,
        progresses: screening::Progresses::default(),
        public_pages: public_cache::PublicPages::default(),
        petition_filings: pages::petitions::FilingLimiter::default(),
        metrics: metrics::global().clone(),
        worker: worker::Worker::new(lease, poll),
    })
}

/// The application's routes over `state`, behind the reading of the language in the address
/// (an English address is served by the Spanish route: the prefix goes before routing).
pub fn router(state: AppState) -> Router {
    let routes = routes(state);
    Router::new().fallback_service(tower::Layer::layer(
        &axum::middleware::from_fn(i18n::language_in_url),
        routes,
    ))
}

fn routes(state: AppState) -> Router {
    let config = &state.config;
    let sessions = SessionManagerLayer::new(session_store::DatabaseSessionStore::new(state.store.clone()))
        .with_name("vereda_session")
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(config.idle_limit()).unwrap_or(time::Duration::hours(SESSION_HOURS)),
        ));
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(assets::routes())
        .fallback(moved::redirect_moved)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            reach::records_within_reach,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::check_api_token,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_page::render_errors,
        ))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // No inline script or style anywhere: the pages load only their own files.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(axum::middleware::from_fn(staff_pages_are_not_stored))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::measure_requests,
        ))
        // gzip or brotli as the client takes them; the cached public pages come compressed.
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// The pages' Content-Security-Policy: their own scripts, styles and images only, no plugins,
/// no framing, forms posted only to the application.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// Staff pages and the staff API carry personal data: no browser or proxy keeps a copy.
async fn staff_pages_are_not_stored(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let staff = path.starts_with("/personal")
        || path.starts_with("/restablecer")
        || path.starts_with("/ingreso/codigo")
        || (path.starts_with("/api/v1") && !path.starts_with("/api/v1/open-data"));
    let mut response = next.run(request).await;
    if staff && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Serves until `shutdown` completes: then stops claiming jobs and hands the running one
/// back at its checkpoint (within [`worker::STOP_WITHIN_SECONDS`]) while requests in flight
/// finish. Refuses to start without an uploads directory on PostgreSQL (the error names the
/// setting).
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state =
        try_state(store.clone(), config).map_err(|refusal| std::io::Error::other(refusal.to_string()))?;
    state.uploads.secure_root()?;
    screening::fail_orphaned(&store).await;
    state.worker.start(&state);
    let sweeper = tokio::spawn(sweep_sessions(store.clone()));
    let letters = tokio::spawn(sweep_letters(state.outbox.clone(), store.clone()));
    let chain_head = tokio::spawn(log_audit_chain_head(store.clone()));
    let digests = state
        .config
        .daily_digest
        .then(|| tokio::spawn(inbox::schedule_digests(state.clone())));
    let worker = state.worker.clone();
    let stopping = async move {
        shutdown.await;
        worker
            .stop(Duration::from_secs(worker::STOP_WITHIN_SECONDS))
            .await;
    };
    let result = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopping)
    .await;
    sweeper.abort();
    chain_head.abort();
    letters.abort();
    if let Some(digests) = digests {
        digests.abort();
    }
    result
}

/// Delivers letters left pending by a stopped server, at start and every
/// [`letters::LETTER_SWEEP`].
async fn sweep_letters(outbox: letters::Outbox, store: Store) {
    let mut every = tokio::time::interval(letters::LETTER_SWEEP);
    loop {
        every.tick().await;
        outbox.resume_pending(&store).await;
    }
}

/// Writes the audit chain's head (the newest entry's id and hash) to the application log at
/// start and once a day, so a chain rebuilt by someone who can write to the database no
/// longer ends where the log says it did (see `vereda audit verify`).
async fn log_audit_chain_head(store: Store) {
    let mut every_day = tokio::time::interval(Duration::from_secs(24 * 3600));
    loop {
        every_day.tick().await;
        match store.audit_chain_head().await {
            Ok(Some(head)) => tracing::info!(id = head.id, hash = %head.hash, "audit chain head"),
            Ok(None) => tracing::info!("audit chain head: the log is empty"),
            Err(error) => tracing::warn!(%error, "could not read the audit chain head"),
        }
    }
}

async fn sweep_sessions(store: Store) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        if let Err(error) = store.delete_expired_sessions().await {
            tracing::warn!(%error, "could not remove expired sessions");
        }
    }
}
