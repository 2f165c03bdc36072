//! The error policy: handlers return [`AppError`], which names one [`ErrorCode`] and, where
//! the rules or the store said why, the typed [`Message`]. A single middleware (`render_errors`
//! in `error_page.rs`, which may use the pages; this module uses none) turns it into an RFC 9457
//! problem (`application/problem+json`) under `/api`, a redirect to the login page for a visitor
//! who is not logged in, or an HTML page in the visitor's language. A problem's `type` is
//! `urn:vereda:problem:` followed by the message's code where there is one, else the error code
//! (`docs/errors.md` lists them). Internal errors are logged with their whole cause chain and
//! shown to the client only as an opaque message with a reference.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vereda_store::StoreError;

use crate::i18n::Message;

/// The prefix of every problem type.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:vereda:problem:";

/// Every error a client can see, with its HTTP status and a stable name to search for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    LoginRequired,
    Forbidden,
    NotFound,
    InvalidInput,
    Conflict,
    CsrfMismatch,
    PayloadTooLarge,
    /// Too many requests from one client address (the public petitions' form).
    TooManyRequests,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::LoginRequired,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidInput,
        ErrorCode::Conflict,
        ErrorCode::CsrfMismatch,
        ErrorCode::PayloadTooLarge,
        ErrorCode::TooManyRequests,
        ErrorCode::Internal,
    ];

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::LoginRequired => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::CsrfMismatch => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Conflict => "conflict",
            ErrorCode::CsrfMismatch => "csrf_mismatch",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Internal => "internal",
        }
    }

    pub(crate) fn from_status(status: StatusCode) -> Option<Self> {
        match status {
            StatusCode::NOT_FOUND => Some(ErrorCode::NotFound),
            StatusCode::PAYLOAD_TOO_LARGE => Some(ErrorCode::PayloadTooLarge),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => Some(ErrorCode::InvalidInput),
            _ => None,
        }
    }
}

/// An API error: an RFC 9457 problem, served as `application/problem+json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:vereda:problem:` and the stable code of the problem, e.g.
    /// `urn:vereda:problem:procedure-refused-state`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The kind of error, in the visitor's language.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, in the visitor's language.
    pub detail: String,
    /// The kind of error, stable: `invalid_input`, `conflict`, `forbidden`...
    pub error: ErrorCode,
    /// The stable code of the problem (the end of `type`).
    pub code: String,
    /// The problems of a form's fields, one each, when the refusal is about them
    /// (`form-error-fields`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::form_errors::FieldProblem>,
}

#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    /// Why, as the rules or the store said it: translated when rendered.
    pub message: Option<Message>,
    /// Why, as text already in the visitor's language or a neutral reference: never internals.
    pub detail: Option<String>,
    /// The problems of the fields sent, one each (see [`AppError::fields`]).
    pub fields: Vec<crate::form_errors::FieldProblem>,
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: None,
            detail: None,
            fields: Vec::new(),
        }
    }

    pub fn with_detail(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            message: None,
            detail: Some(detail.into()),
            fields: Vec::new(),
        }
    }

    /// A refusal of the rules or the store, shown in the visitor's language.
    pub fn said(code: ErrorCode, message: Message) -> Self {
        Self {
            code,
            message: Some(message),
            detail: None,
            fields: Vec::new(),
        }
    }

    /// A form's fields refused (422): their problems together (`form-error-fields`), and one
    /// by one for the API's problem (`errors`).
    pub fn fields(errors: &crate::form_errors::FieldErrors) -> Self {
        Self {
            fields: errors.problems(),
            ..Self::said(ErrorCode::InvalidInput, errors.said())
        }
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::with_detail(ErrorCode::InvalidInput, detail)
    }

    /// Logs `cause` in full and keeps it from the client.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(inner) = source {
            chain.push_str(": ");
            chain.push_str(&inner.to_string());
            source = inner.source();
        }
        let reference = jiff::Timestamp::now().as_millisecond();
        tracing::error!(reference, error = %chain, "internal error");
        Self::with_detail(ErrorCode::Internal, format!("ref {reference}"))
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::DuplicateEmail(email) => AppError::said(
                ErrorCode::Conflict,
                Message::new("error-duplicate_email").with("email", email),
            ),
            StoreError::Duplicate { entity, id } => AppError::said(
                ErrorCode::Conflict,
                Message::new("error-duplicate")
                    .with_term("entity", format!("entity-{}", entity.replace(' ', "_")))
                    .with("id", id),
            ),
            StoreError::NotFound { entity, id } => {
                AppError::said(ErrorCode::NotFound, not_found(entity, &id))
            }
            StoreError::Invalid(message) => AppError::said(ErrorCode::InvalidInput, message),
            StoreError::Conflict(message) => AppError::said(ErrorCode::Conflict, message),
            StoreError::Forbidden(message) => AppError::said(ErrorCode::Forbidden, message),
            other => AppError::internal(&other),
        }
    }
}

/// A step refused for what was sent or the state found, said as a typed message: a page shows
/// its form again with it, the API answers it as a problem.
#[derive(Debug)]
pub struct StepRefusal {
    pub code: ErrorCode,
    pub message: Message,
    /// The problems of the fields sent, one each, when the refusal is about them.
    pub fields: Vec<crate::form_errors::FieldProblem>,
}

impl StepRefusal {
    pub fn new(code: ErrorCode, message: Message) -> Self {
        Self {
            code,
            message,
            fields: Vec::new(),
        }
    }

    /// A form's fields refused (422), together and one by one.
    pub fn fields(errors: &crate::form_errors::FieldErrors) -> Self {
        Self {
            fields: errors.problems(),
            ..Self::new(ErrorCode::InvalidInput, errors.said())
        }
    }

    /// What was sent cannot be used (422).
    pub fn invalid(code: &'static str) -> Self {
        Self::new(ErrorCode::InvalidInput, Message::new(code))
    }

    /// The record's state does not allow it (409).
    pub fn conflict(code: &'static str) -> Self {
        Self::new(ErrorCode::Conflict, Message::new(code))
    }
}

impl From<StepRefusal> for AppError {
    fn from(refusal: StepRefusal) -> Self {
        AppError {
            fields: refusal.fields,
            ..AppError::said(refusal.code, refusal.message)
        }
    }
}

/// That a record does not exist, naming it: `entity` is the store's name of its kind
/// (`project`, `call`, `household`...).
pub fn not_found(entity: &str, id: &str) -> Message {
    Message::new("error-not_found_entity")
        .with_term("entity", format!("entity-{}", entity.replace(' ', "_")))
        .with("id", id)
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        AppError::internal(&error)
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        AppError::internal(&error)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The middleware renders it, knowing the request; this is the bare fallback.
        let mut response = (self.code.status(), self.code.name()).into_response();
        response.extensions_mut().insert(RenderedError {
            code: self.code,
            message: self.message,
            detail: self.detail,
            fields: self.fields,
        });
        response
    }
}

/// An error as a handler returned it, kept on the response for the middleware of
/// `error_page.rs` to render for the client that asked.
#[derive(Debug, Clone)]
pub(crate) struct RenderedError {
    pub(crate) code: ErrorCode,
    pub(crate) message: Option<Message>,
    pub(crate) detail: Option<String>,
    pub(crate) fields: Vec<crate::form_errors::FieldProblem>,
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

/// A multipart upload that could not be read: over the size limit (413), or broken on the way
/// (422), said in the visitor's language rather than in the library's words.
pub fn upload_refused(error: axum::extract::multipart::MultipartError) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::said(
            ErrorCode::PayloadTooLarge,
            Message::new("upload-error-too_large")
                .with("megabytes", crate::UPLOAD_LIMIT_BYTES / (1024 * 1024)),
        );
    }
    tracing::info!(%error, "an upload could not be read");
    AppError::said(ErrorCode::InvalidInput, Message::new("upload-error-unreadable"))
}

/// A local path to return to after login or a language switch; anything else goes home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // A control character (CR, LF) cannot go in a Location header: home instead.
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/personal?x=1")), "/personal?x=1");
        assert_eq!(safe_next(Some("/municipios\r\nSet-Cookie: x=1")), "/");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(
            urlencode("/personal/convocatorias?id=1&x=á"),
            "/personal/convocatorias%3Fid%3D1%26x%3D%C3%A1"
        );
    }
}
