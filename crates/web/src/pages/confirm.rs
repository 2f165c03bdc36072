//! The confirmation before an irreversible act (issue 18 part 4): a form posted without a
//! `confirmed` field writes nothing and answers a page that says what will be done (and how
//! many letters, when it writes to families), re-posting the same fields with `confirmed`.
//! No JavaScript: the page is a form. API clients confirm by calling.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Form, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::i18n::Message;

/// The field that says the act was confirmed.
pub const CONFIRMED: &str = "confirmed";

/// A form read as its type, with the fields as sent, to post them again once confirmed.
pub struct Confirmable<T> {
    pub form: T,
    fields: Vec<(String, String)>,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Confirmable<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let again = |bytes: Bytes| Request::from_parts(parts.clone(), Body::from(bytes));
        let Form(form) = Form::<T>::from_request(again(bytes.clone()), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(again(bytes), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Confirmable { form, fields })
    }
}

impl<T> Confirmable<T> {
    /// The fields as sent, for a form read by hand (repeated names).
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    pub fn confirmed(&self) -> bool {
        confirmed(&self.fields)
    }

    /// The confirmation page when the act is not confirmed yet: `question` says what will be
    /// done (its code goes to `data-confirm`, `count` to `data-count`), `back` where to go
    /// instead. `None` once confirmed: the handler goes on with the act.
    pub async fn ask(
        &self,
        visitor: &Visitor,
        question: Message,
        count: Option<u64>,
        back: &str,
    ) -> Result<Option<Response>, AppError> {
        if self.confirmed() {
            return Ok(None);
        }
        confirmation(visitor, &self.fields, question, count, back)
            .await
            .map(Some)
    }
}

/// Whether the fields carry the confirmation.
pub fn confirmed(fields: &[(String, String)]) -> bool {
    fields
        .iter()
        .any(|(name, value)| name == CONFIRMED && !value.is_empty())
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    code: String,
    question: String,
    count: Option<u64>,
    action: String,
    back: String,
    fields: Vec<(String, String)>,
}

/// The page that asks to confirm: the same fields posted again to the address asked (with a
/// fresh token and `confirmed`), or back.
pub async fn confirmation(
    visitor: &Visitor,
    fields: &[(String, String)],
    question: Message,
    count: Option<u64>,
    back: &str,
) -> Result<Response, AppError> {
    render(&ConfirmPage {
        code: question.code().to_owned(),
        question: visitor.lang.say(&question),
        count,
        action: visitor.here.clone(),
        back: back.to_owned(),
        fields: fields
            .iter()
            .filter(|(name, _)| name != "csrf_token" && name != CONFIRMED)
            .cloned()
            .collect(),
        chrome: Chrome::new(visitor).await?,
    })
}
