//! Who is asking: the visitor's session, language and account, and the checks that every
//! staff page and endpoint makes ([`Visitor::require`], [`Visitor::check_csrf`]).
//!
//! Under `/api/` an `Authorization: Bearer` token (issued by an administrator, see
//! `vereda_store::api_tokens`) stands for its account instead of the session, with the same
//! visitor and so the same checks; it carries no cookie, so no CSRF token is asked. Pages never
//! read the header: staff pages stay session-only.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use tower_sessions::Session;
use vereda_domain::accounts::Permission;
use vereda_store::accounts::Account;

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;

/// The page where an account enrolls its second factor.
pub const SECOND_FACTOR_PATH: &str = "/personal/cuenta/segundo-factor";

const ACCOUNT_KEY: &str = "account_id";
const CSRF_KEY: &str = "csrf_token";
/// When the session logged in (microseconds since the epoch): the absolute limit counts from
/// it, and a password change or deactivation ends the sessions logged in before it.
const LOGIN_AT_KEY: &str = "login_at";
/// The session's last request (microseconds since the epoch), for the idle limit.
const SEEN_AT_KEY: &str = "seen_at";
/// The account whose password was right and whose second-factor code is awaited.
const PENDING_KEY: &str = "pending_account_id";
/// When the password of the pending login was right (microseconds since the epoch).
const PENDING_AT_KEY: &str = "pending_at";
/// How long the second step of a login may wait for its code.
const PENDING_SECONDS: i64 = 300;

#[derive(Clone)]
pub struct Visitor {
    pub session: Session,
    pub lang: Lang,
    pub account: Option<Account>,
    /// The account must enroll a second factor before any staff page or action
    /// (`WebConfig::require_second_factor` and a role that signs, approves, awards or pays).
    pub must_enroll: bool,
    /// The path and query asked for, to come back after login or a language switch.
    pub here: String,
    /// The account came from an API token, not from the session.
    pub by_token: bool,
    /// The site's public address (`WebConfig::public_url`), for absolute links.
    pub public_url: std::sync::Arc<str>,
}

/// The account a request's API token stood for, kept in the request's extensions so that the
/// reach layer and the handler look the token up once.
#[derive(Clone)]
struct TokenAccount(Option<Account>);

/// The secret of an `Authorization: Bearer` header, if the request carries one.
fn bearer(parts: &Parts) -> Option<String> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_owned())
}

/// The code of the refusal of an unknown or revoked token, or one of a deactivated account.
pub const BAD_TOKEN: &str = "error-bad_token";

fn bad_token() -> AppError {
    tracing::info!("refused API token");
    AppError::said(ErrorCode::LoginRequired, crate::i18n::Message::new(BAD_TOKEN))
}

/// Checks the API token of every `/api/` request that carries one, public endpoints included,
/// so a bad token is 401 wherever it is sent; the account found is kept for [`Visitor`].
pub async fn check_api_token(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    if let Some(secret) = bearer(&parts) {
        match state
            .store
            .api_token_account(&secret, jiff::Timestamp::now())
            .await
        {
            Ok(Some(account)) => {
                parts.extensions.insert(TokenAccount(Some(account)));
            }
            Ok(None) => return bad_token().into_response(),
            Err(error) => return AppError::from(error).into_response(),
        }
    }
    next.run(axum::extract::Request::from_parts(parts, body)).await
}

/// The client's address as the server's socket saw it (absent in in-process tests).
pub struct ClientAddress(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
        ))
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Loaded once per request: the reach layer leaves the visitor it loaded here.
        if let Some(visitor) = parts.extensions.get::<Visitor>() {
            return Ok(visitor.clone());
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| AppError::with_detail(ErrorCode::Internal, message))?;
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let lang = crate::i18n::visitor_lang(
            parts.extensions.get::<crate::i18n::UrlLang>().copied(),
            &parts.headers,
        );
        if parts.uri.path().starts_with("/api/")
            && let Some(secret) = bearer(parts)
        {
            let account = match parts.extensions.get::<TokenAccount>() {
                Some(TokenAccount(account)) => account.clone(),
                None => {
                    let account = state
                        .store
                        .api_token_account(&secret, jiff::Timestamp::now())
                        .await?;
                    parts.extensions.insert(TokenAccount(account.clone()));
                    account
                }
            };
            let Some(account) = account else {
                return Err(bad_token());
            };
            return Ok(Visitor {
                must_enroll: must_enroll(state, Some(&account)),
                session,
                lang,
                account: Some(account),
                here,
                by_token: true,
                public_url: state.config.public_url().into(),
            });
        }
        Visitor::load(session, state, lang, here).await
    }
}

impl Visitor {
    /// The visitor of a session: its account, if it is logged in, still active, and the
    /// session within its limits (idle and absolute, `WebConfig`) and not ended by a password
    /// change, a reset or a deactivation. A session past any of them is emptied.
    pub async fn load(
        session: Session,
        state: &AppState,
        lang: Lang,
        here: String,
    ) -> Result<Visitor, AppError> {
        let account = match session.get::<i32>(ACCOUNT_KEY).await? {
            Some(id) => {
                let now = jiff::Timestamp::now();
                let account = state.store.account(id).await?.filter(|a| a.active);
                let login_at = instant(session.get::<i64>(LOGIN_AT_KEY).await?);
                let seen_at = instant(session.get::<i64>(SEEN_AT_KEY).await?);
                let live = match (&account, login_at, seen_at) {
                    (Some(account), Some(login_at), Some(seen_at)) => {
                        within(seen_at, now, state.config.idle_limit())
                            && within(login_at, now, state.config.absolute_limit())
                            && account.sessions_valid_after.is_none_or(|after| login_at >= after)
                    }
                    _ => false,
                };
                if live {
                    session.insert(SEEN_AT_KEY, now.as_microsecond()).await?;
                    account
                } else {
                    tracing::info!(
                        account = id,
                        "session ended (limit, password change or deactivation)"
                    );
                    session.flush().await?;
                    None
                }
            }
            None => None,
        };
        Ok(Visitor {
            must_enroll: must_enroll(state, account.as_ref()),
            session,
            lang,
            account,
            here,
            by_token: false,
            public_url: state.config.public_url().into(),
        })
    }

    /// The account, if it may do `permission`: otherwise a redirect to login (not logged in),
    /// to the second factor's enrollment (its role requires one it has not enrolled) or 403
    /// (logged in without the role).
    pub fn require(&self, permission: Permission) -> Result<&Account, AppError> {
        match &self.account {
            None => Err(AppError::new(ErrorCode::LoginRequired)),
            Some(_) if self.must_enroll => Err(AppError::said(
                ErrorCode::Forbidden,
                crate::i18n::Message::new(SECOND_FACTOR_REQUIRED),
            )),
            Some(account) if account.role.can(permission) => Ok(account),
            Some(_) => Err(AppError::new(ErrorCode::Forbidden)),
        }
    }

    /// Where the account may read and act (its office's department, or the whole country);
    /// nowhere for a visitor without an account.
    pub async fn reach(
        &self,
        store: &vereda_store::Store,
    ) -> Result<vereda_domain::accounts::Reach, AppError> {
        match &self.account {
            Some(account) => Ok(store.reach(&account.actor()).await?),
            None => Ok(vereda_domain::accounts::Reach::Nowhere),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        !self.must_enroll && self.account.as_ref().is_some_and(|a| a.role.can(permission))
    }

    /// The logged-in account, whatever its role and second factor (its own account pages).
    pub fn logged_in(&self) -> Result<&Account, AppError> {
        self.account
            .as_ref()
            .ok_or_else(|| AppError::new(ErrorCode::LoginRequired))
    }

    /// Marks this session as logged in at `at`, so that a password change made from it
    /// (which ends the sessions logged in before `at`) keeps it.
    pub async fn renew_login(&self, at: jiff::Timestamp) -> Result<(), AppError> {
        self.session.insert(LOGIN_AT_KEY, at.as_microsecond()).await?;
        Ok(())
    }

    /// The first step of a login whose account has a second factor: the password was right,
    /// the code is awaited. Not logged in yet.
    pub async fn await_second_factor(&self, account: &Account) -> Result<(), AppError> {
        self.session.cycle_id().await?;
        self.session.insert(PENDING_KEY, account.id).await?;
        self.session
            .insert(PENDING_AT_KEY, jiff::Timestamp::now().as_microsecond())
            .await?;
        Ok(())
    }

    /// The account whose code is awaited, if its password was right a short while ago.
    pub async fn pending_second_factor(&self) -> Result<Option<i32>, AppError> {
        let Some(id) = self.session.get::<i32>(PENDING_KEY).await? else {
            return Ok(None);
        };
        let since = instant(self.session.get::<i64>(PENDING_AT_KEY).await?);
        let fresh = since.is_some_and(|at| {
            within(
                at,
                jiff::Timestamp::now(),
                std::time::Duration::from_secs(PENDING_SECONDS.unsigned_abs()),
            )
        });
        Ok(fresh.then_some(id))
    }

    /// The session's anti-forgery token, created on first use; none for a token's request
    /// (which has no session to protect).
    pub async fn session_csrf_token(&self) -> Result<Option<String>, AppError> {
        if self.by_token {
            return Ok(None);
        }
        self.csrf_token().await.map(Some)
    }

    /// The session's anti-forgery token, created on first use.
    pub async fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.session.get::<String>(CSRF_KEY).await? {
            return Ok(token);
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.session.insert(CSRF_KEY, &token).await?;
        Ok(token)
    }

    /// Refuses a form whose token is not this session's. A request authenticated by an API
    /// token sends no cookie, so a cross-site form cannot make it: nothing to check.
    pub async fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if self.by_token {
            return Ok(());
        }
        let expected = self.session.get::<String>(CSRF_KEY).await?;
        match expected {
            Some(token) if constant_time_eq(token.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(AppError::new(ErrorCode::CsrfMismatch)),
        }
    }

    /// Logs the account in on a fresh session id (no fixation), keeping the CSRF token.
    pub async fn log_in(&self, account: &Account) -> Result<(), AppError> {
        self.session.cycle_id().await?;
        self.session.remove::<i32>(PENDING_KEY).await?;
        self.session.remove::<i64>(PENDING_AT_KEY).await?;
        let now = jiff::Timestamp::now().as_microsecond();
        self.session.insert(ACCOUNT_KEY, account.id).await?;
        self.session.insert(LOGIN_AT_KEY, now).await?;
        self.session.insert(SEEN_AT_KEY, now).await?;
        Ok(())
    }

    pub async fn log_out(&self) -> Result<(), AppError> {
        self.session.flush().await?;
        Ok(())
    }
}

/// Whether the account must enroll a second factor before any staff page or action.
fn must_enroll(state: &AppState, account: Option<&Account>) -> bool {
    account.is_some_and(|a| {
        state.config.require_second_factor && a.role.requires_second_factor() && !a.second_factor
    })
}

/// The code of the refusal that sends an account to the second factor's enrollment.
pub const SECOND_FACTOR_REQUIRED: &str = "second_factor-required";

fn instant(microseconds: Option<i64>) -> Option<jiff::Timestamp> {
    microseconds.and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
}

/// Whether `now` is no later than `limit` after `since`.
fn within(since: jiff::Timestamp, now: jiff::Timestamp, limit: std::time::Duration) -> bool {
    let limit = jiff::SignedDuration::try_from(limit).unwrap_or(jiff::SignedDuration::MAX);
    now.duration_since(since) <= limit
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
