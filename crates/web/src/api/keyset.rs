//! Keyset paging of the lists of the stages before the committee: `?limit=&after=`, answered
//! as `{ "items": [...], "next": cursor-or-null }`; `next` is the `after` of the next page.

use serde::Deserialize;

use crate::error::{AppError, ErrorCode};
use crate::i18n::Message;

/// Items per page when no limit is asked for.
pub const DEFAULT_LIMIT: u64 = 50;
/// The most items a page holds.
pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: 1 to 500; 50 by default.
    pub limit: Option<u64>,
    /// The `next` of the previous page; absent for the first.
    pub after: Option<String>,
}

impl PageQuery {
    /// The limit asked for, within 1..=500.
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The cursor read as a number (ids, positions); a cursor that is not one is refused.
    pub fn after_number(&self) -> Result<Option<i32>, AppError> {
        match self.after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| bad_cursor(text)),
        }
    }

    /// The cursor as text (codes).
    pub fn after_text(&self) -> Option<String> {
        self.after
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    }
}

fn bad_cursor(text: &str) -> AppError {
    AppError::said(
        ErrorCode::InvalidInput,
        Message::new("api-error-cursor").with("value", text),
    )
}

/// The page of `items` (already after the cursor, in key order, at most `limit + 1` of them
/// to tell whether more follow) and the cursor of the next page.
pub fn page_of<T>(mut items: Vec<T>, limit: u64, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let next = more.then(|| items.last().map(&key)).flatten();
    (items, next)
}
