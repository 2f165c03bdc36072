//! What the API tests share: a staff session with its anti-forgery token, and the problem
//! replies (RFC 9457) asserted by code.
#![allow(dead_code)]

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use vereda_domain::accounts::Role;

use super::{Client, Reply};

/// Logs in as `role` and answers the session's anti-forgery token, from `GET /api/v1/me`.
pub async fn session_as(client: &mut Client, role: Role) -> String {
    client.forget_session();
    client.log_in_as(role).await;
    token(client).await
}

pub async fn token(client: &mut Client) -> String {
    let me = client.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.json()["csrf_token"].as_str().expect("a token").to_owned()
}

/// An amount of a reply: a decimal string.
pub fn amount(value: &Value) -> Option<Decimal> {
    value.as_str().and_then(|text| Decimal::from_str_exact(text).ok())
}

/// Asserts that `reply` is the problem `code` with `status`, as RFC 9457 wants it.
#[track_caller]
pub fn problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(
        reply.content_type.starts_with("application/problem+json"),
        "{}: {}",
        reply.content_type,
        reply.body
    );
    let body = reply.json();
    assert_eq!(body["code"], code, "{}", reply.body);
    assert_eq!(
        body["type"],
        format!("urn:vereda:problem:{code}"),
        "{}",
        reply.body
    );
    assert_eq!(body["status"], status.as_u16(), "{}", reply.body);
}
