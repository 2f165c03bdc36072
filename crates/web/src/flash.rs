//! The one-time message after a staff form's act ("the award was recorded"): its catalogue code
//! kept in the server-side session by the redirect, and taken by the next page's frame
//! (`Chrome`), which shows it once with `role="status"` and `data-done="<code>"`.

use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::auth::Visitor;
use crate::error::AppError;

/// The session key of the message waiting for the next page.
const DONE_KEY: &str = "done";

/// Where a form goes once its act is done, and the code of the message that says so.
pub struct Done {
    session: Option<Session>,
    to: String,
    code: &'static str,
}

impl Done {
    /// After the act, to `to`, saying `code` (a `done-…` key of the catalogue). A request
    /// authenticated by an API token has no session to carry it: only the redirect.
    pub fn new(visitor: &Visitor, to: impl Into<String>, code: &'static str) -> Done {
        Done {
            session: (!visitor.by_token).then(|| visitor.session.clone()),
            to: to.into(),
            code,
        }
    }

    /// Where the form goes.
    pub fn to(&self) -> &str {
        &self.to
    }

    /// The message kept for the next page, and the redirect to it.
    pub async fn redirect(self) -> Result<Response, AppError> {
        if let Some(session) = &self.session {
            session.insert(DONE_KEY, self.code).await?;
        }
        Ok(Redirect::to(&self.to).into_response())
    }
}

/// The code of the message an act left for this page, taken so that it shows once. Only
/// for a logged-in session: anonymous pages never touch (nor create) a session.
pub async fn take(visitor: &Visitor) -> Result<Option<String>, AppError> {
    if visitor.account.is_none() || visitor.by_token {
        return Ok(None);
    }
    if visitor.session.get::<String>(DONE_KEY).await?.is_none() {
        return Ok(None);
    }
    Ok(visitor.session.remove::<String>(DONE_KEY).await?)
}
