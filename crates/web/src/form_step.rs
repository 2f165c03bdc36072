//! The tail every staff form shares, next to the problems by field (`form_errors`): on
//! success the redirect; on a refusal the same page again with every value typed and the
//! problem beside its field, at the refusal's status.

use crate::form_errors::FieldErrors;
use crate::i18n::{Lang, Message};

/// A refusal of the store as a staff form shows it, with its status; anything else is an
/// error page.
pub fn refusal(
    error: vereda_store::StoreError,
) -> Result<(axum::http::StatusCode, Message), crate::error::AppError> {
    use axum::http::StatusCode;
    use vereda_store::StoreError;
    match error {
        StoreError::Invalid(m) => Ok((StatusCode::UNPROCESSABLE_ENTITY, m)),
        StoreError::Conflict(m) => Ok((StatusCode::CONFLICT, m)),
        StoreError::Forbidden(m) => Ok((StatusCode::FORBIDDEN, m)),
        other => Err(other.into()),
    }
}

/// What a form's step may be refused with: the store's refusal, or the web's own (a value
/// that does not read, said with its message).
pub trait FormRefusal {
    /// The refusal's status and message; anything else is an error page.
    fn refusal(self) -> Result<(axum::http::StatusCode, Message), crate::error::AppError>;
}

impl FormRefusal for vereda_store::StoreError {
    fn refusal(self) -> Result<(axum::http::StatusCode, Message), crate::error::AppError> {
        refusal(self)
    }
}

impl FormRefusal for crate::error::AppError {
    fn refusal(self) -> Result<(axum::http::StatusCode, Message), crate::error::AppError> {
        use crate::error::ErrorCode;
        match (self.code, self.message) {
            (
                code @ (ErrorCode::InvalidInput | ErrorCode::Conflict | ErrorCode::Forbidden),
                Some(message),
            ) => Ok((code.status(), message)),
            (code, message) => Err(crate::error::AppError {
                code,
                message,
                ..self
            }),
        }
    }
}

impl FormRefusal for crate::error::StepRefusal {
    fn refusal(self) -> Result<(axum::http::StatusCode, Message), crate::error::AppError> {
        Ok((self.code.status(), self.message))
    }
}

/// A refusal of the value typed in `field`, said beside it.
pub fn on_field(mut error: crate::error::AppError, field: &str) -> crate::error::AppError {
    error.message = error.message.map(|m| m.with("field", field));
    error
}

/// The tail every staff form shares: on success, the redirect of `done` with its one-time
/// message (`crate::flash`); on the store's
/// refusal, its message beside the field it names (its `field` argument) when the typed values
/// had no problem of their own, and the same page rendered again by `again` (the problems by
/// field, the refusal, the field it was placed beside) with every value typed, at the
/// refusal's status. Anything else is the error page.
pub async fn done_or_again<T, E, F, Fut>(
    lang: Lang,
    result: Result<T, E>,
    done: crate::flash::Done,
    mut errors: FieldErrors,
    again: F,
) -> Result<axum::response::Response, crate::error::AppError>
where
    E: FormRefusal,
    F: FnOnce(FieldErrors, Message, Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<axum::response::Response, crate::error::AppError>>,
{
    let error = match result {
        Ok(_) => return done.redirect().await,
        Err(error) => error,
    };
    let (status, message) = error.refusal()?;
    tracing::info!(
        code = message.code(),
        done = done.to(),
        "a form's step was refused"
    );
    let placed = match message.arg("field") {
        Some(vereda_domain::message::Arg::Text(name)) if errors.is_empty() => {
            errors.add(lang, name, message.clone());
            Some(name.clone())
        }
        _ => None,
    };
    let mut page = again(errors, message, placed).await?;
    *page.status_mut() = status;
    Ok(page)
}
