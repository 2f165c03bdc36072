//! Who is asking: the visitor's session, language and account, and the checks that every
//! staff page and endpoint makes ([`Visitor::require`], [`Visitor::check_csrf`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use tower_sessions::Session;
use vereda_domain::accounts::Permission;
use vereda_store::accounts::Account;

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;

const ACCOUNT_KEY: &str = "account_id";
const CSRF_KEY: &str = "csrf_token";

pub struct Visitor {
    pub session: Session,
    pub lang: Lang,
    pub account: Option<Account>,
    /// The path and query asked for, to come back after login or a language switch.
    pub here: String,
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
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| AppError::with_detail(ErrorCode::Internal, message))?;
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        Visitor::load(
            session,
            &state.store,
            crate::i18n::lang_from_headers(&parts.headers),
            here,
        )
        .await
    }
}

impl Visitor {
    /// The visitor of a session: its account, if it is logged in and still active.
    pub async fn load(
        session: Session,
        store: &vereda_store::Store,
        lang: Lang,
        here: String,
    ) -> Result<Visitor, AppError> {
        let account = match session.get::<i32>(ACCOUNT_KEY).await? {
            Some(id) => store.account(id).await?.filter(|a| a.active),
            None => None,
        };
        Ok(Visitor {
            session,
            lang,
            account,
            here,
        })
    }

    /// The account, if it may do `permission`: otherwise a redirect to login (not logged in)
    /// or 403 (logged in without the role).
    pub fn require(&self, permission: Permission) -> Result<&Account, AppError> {
        match &self.account {
            None => Err(AppError::new(ErrorCode::LoginRequired)),
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
        self.account.as_ref().is_some_and(|a| a.role.can(permission))
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

    /// Refuses a form whose token is not this session's.
    pub async fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        let expected = self.session.get::<String>(CSRF_KEY).await?;
        match expected {
            Some(token) if constant_time_eq(token.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(AppError::new(ErrorCode::CsrfMismatch)),
        }
    }

    /// Logs the account in on a fresh session id (no fixation), keeping the CSRF token.
    pub async fn log_in(&self, account: &Account) -> Result<(), AppError> {
        self.session.cycle_id().await?;
        self.session.insert(ACCOUNT_KEY, account.id).await?;
        Ok(())
    }

    pub async fn log_out(&self) -> Result<(), AppError> {
        self.session.flush().await?;
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
