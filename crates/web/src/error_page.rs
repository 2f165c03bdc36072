//! Error responses for the client that asked (see [`crate::error`] for the policy): an RFC
//! 9457 problem under `/api`, a redirect to the login page, or the HTML error page in the
//! visitor's language with their header. Kept apart from `error`, which every module uses, so
//! that `error` depends on no page.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{ErrorCode, PROBLEM_TYPE_PREFIX, Problem, RenderedError, urlencode};
use crate::i18n::Lang;
use crate::pages::Chrome;

/// Renders every error response for the client that asked.
pub async fn render_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let session = request.extensions().get::<tower_sessions::Session>().cloned();
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let wants_json = path.starts_with("/api/") || path == "/healthz" || path == "/readyz";
    let is_get = request.method() == axum::http::Method::GET;
    let lang = crate::i18n::visitor_lang(
        request.extensions().get::<crate::i18n::UrlLang>().copied(),
        request.headers(),
    );
    let response = next.run(request).await;

    let error = match response.extensions().get::<RenderedError>() {
        Some(error) => error.clone(),
        None => match ErrorCode::from_status(response.status()) {
            // Errors raised by axum itself (unknown route, bad form, body too large).
            Some(code) if !is_rendered(&response) => RenderedError {
                code,
                message: None,
                detail: None,
                fields: Vec::new(),
            },
            _ => return response,
        },
    };
    if error.code == ErrorCode::LoginRequired && !wants_json {
        return Redirect::to(&format!("/ingreso?next={}", urlencode(&path_and_query))).into_response();
    }
    if !wants_json
        && error
            .message
            .as_ref()
            .is_some_and(|m| m.code() == crate::auth::SECOND_FACTOR_REQUIRED)
    {
        // Back to the page asked for after the enrollment; a form's address is no page.
        let back = if is_get {
            path_and_query.as_str()
        } else {
            "/personal"
        };
        return Redirect::to(&format!(
            "{}?next={}",
            crate::auth::SECOND_FACTOR_PATH,
            urlencode(back)
        ))
        .into_response();
    }
    let title = lang.t(&format!("error-{}", error.code.name()));
    let message = match (&error.message, &error.detail, error.code) {
        (Some(said), _, _) => lang.say(said),
        (None, Some(detail), ErrorCode::Internal) => format!("{title} ({detail})"),
        (None, Some(detail), _) => detail.clone(),
        (None, None, _) => title.to_owned(),
    };
    let code = error
        .message
        .as_ref()
        .map(|m| m.code().to_owned())
        .unwrap_or_else(|| error.code.name().to_owned());
    let mut rendered = if wants_json {
        let problem = Problem {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status: error.code.status().as_u16(),
            detail: message,
            error: error.code,
            code,
            errors: error.fields.clone(),
        };
        let mut response = (error.code.status(), axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    } else {
        // The page keeps the visitor's header (account, logout) when the session allows.
        let visitor = match session {
            Some(session) => crate::auth::Visitor::load(session, &state, lang, path_and_query)
                .await
                .ok(),
            None => None,
        };
        let page = error_page(visitor.as_ref(), lang, error.code, &code, &message).await;
        (error.code.status(), page).into_response()
    };
    rendered
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    rendered
}

fn is_rendered(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("text/html")
                || v.starts_with("application/json")
                || v.starts_with("application/problem+json")
        })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    code: &'a str,
    problem: &'a str,
    message: &'a str,
}

/// The HTML page of an error, in the visitor's language and with their header.
/// The page of an error: `problem` is the stable code of what happened (the message's code, or
/// the error's), kept in the page for tests and assistive tools.
pub async fn error_page(
    visitor: Option<&Visitor>,
    lang: Lang,
    code: ErrorCode,
    problem: &str,
    message: &str,
) -> Response {
    let chrome = match visitor {
        Some(visitor) => Chrome::new(visitor)
            .await
            .unwrap_or_else(|_| Chrome::anonymous(lang)),
        None => Chrome::anonymous(lang),
    };
    let page = ErrorPage {
        chrome,
        status: code.status().as_u16(),
        code: code.name(),
        problem,
        message,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => message.to_owned().into_response(),
    }
}
