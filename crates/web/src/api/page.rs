//! Cursor pagination of the API's lists: `?limit=N&after=CURSOR` answers
//! `{"items": [...], "next": CURSOR or null}` and, when there is more, a
//! `Link: <…>; rel="next"` header. The cursor is opaque to clients: the hexadecimal of the last
//! item's sort key, which the store pages by in its query (`WHERE key > last ORDER BY key
//! LIMIT n + 1`), never by an offset.

use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, ErrorCode};
use crate::i18n::Message;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: u64 = 50;
/// The most items a page holds.
pub const MAX_LIMIT: u64 = 500;

/// A page asked for: how many items, after which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<K> {
    pub limit: u64,
    pub after: Option<K>,
}

/// A sort key a cursor carries.
pub trait CursorKey: Sized {
    fn to_text(&self) -> String;
    fn from_text(text: &str) -> Option<Self>;
}

impl CursorKey for String {
    fn to_text(&self) -> String {
        self.clone()
    }
    fn from_text(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

impl CursorKey for i32 {
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Option<Self> {
        text.parse().ok().filter(|n| *n >= 0)
    }
}

impl CursorKey for i64 {
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Option<Self> {
        text.parse().ok().filter(|n| *n >= 0)
    }
}

/// The cursor of a key: `v1:` and the key, as lower-case hexadecimal.
pub fn encode<K: CursorKey>(key: &K) -> String {
    format!("v1:{}", key.to_text())
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key of a cursor this module wrote; none for anything else.
pub fn decode<K: CursorKey>(cursor: &str) -> Option<K> {
    let cursor = cursor.trim();
    if !cursor.len().is_multiple_of(2) || !cursor.is_ascii() {
        return None;
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let text = String::from_utf8(bytes).ok()?;
    K::from_text(text.strip_prefix("v1:")?)
}

fn bad_parameter(name: &str, value: &str, expected: Message) -> AppError {
    AppError::said(
        ErrorCode::InvalidInput,
        expected.with("name", name).with("value", value),
    )
}

/// Reads `limit` (1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent) and `after` (a cursor
/// given by an earlier page); anything else is 422 `error-bad_parameter`.
pub fn read<K: CursorKey>(limit: Option<&str>, after: Option<&str>) -> Result<PageRequest<K>, AppError> {
    let limit = match limit.map(str::trim).filter(|l| !l.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                bad_parameter(
                    "limit",
                    text,
                    Message::new("error-bad_parameter").with("expected", format!("1-{MAX_LIMIT}")),
                )
            })?,
    };
    let after = match after.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => Some(decode::<K>(text).ok_or_else(|| {
            bad_parameter(
                "after",
                text,
                Message::new("error-bad_parameter").with_term("expected", "api-expected-cursor"),
            )
        })?),
    };
    Ok(PageRequest { limit, after })
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page (`?after=`), null on the last page.
    #[schema(required = true)]
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The page from the rows the store read: at most `limit + 1`, the extra one only telling
    /// that there is more. `key` gives a row's sort key.
    pub fn of<R, K: CursorKey>(
        mut rows: Vec<R>,
        limit: u64,
        key: impl Fn(&R) -> K,
        item: impl FnMut(R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|r| encode(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(item).collect(),
            next,
        }
    }
}

/// The page as JSON, with a `Link` to the next page (the request's address with `after`
/// replaced and `limit` kept).
pub fn respond<T: Serialize>(page: Page<T>, uri: &Uri) -> Response {
    let link = page.next.as_deref().map(|next| {
        let mut query: Vec<String> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("after="))
            .map(str::to_owned)
            .collect();
        query.push(format!("after={next}"));
        format!("<{}?{}>; rel=\"next\"", uri.path(), query.join("&"))
    });
    let mut response = axum::Json(page).into_response();
    if let Some(value) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_what_they_did_not_write() {
        assert_eq!(
            decode::<String>(&encode(&"T06.60,61,62".to_owned())),
            Some("T06.60,61,62".to_owned())
        );
        assert_eq!(decode::<i64>(&encode(&42i64)), Some(42));
        for bad in ["", "zz", "abc", "7631", "763a3a", &encode(&"x".to_owned())] {
            assert_eq!(decode::<i64>(bad), None, "{bad}");
        }
        assert_eq!(
            read::<i32>(None, None).ok(),
            Some(PageRequest {
                limit: 50,
                after: None
            })
        );
        assert!(read::<i32>(Some("0"), None).is_err());
        assert!(read::<i32>(Some("501"), None).is_err());
        assert!(read::<i32>(Some("diez"), None).is_err());
        assert!(read::<i32>(None, Some("no-cursor")).is_err());
    }
}
