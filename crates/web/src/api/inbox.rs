//! The staff's work inbox over the JSON API (issue 18 part 1): what the account has to do,
//! within its role and office, most pressing first, with each item's deadline in business
//! days and the address of the form that does it. The same store call as the home page.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, Problem};
use crate::inbox::ItemAnswer;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/inbox", get(inbox))
}

/// The account's inbox on a day.
#[derive(Serialize, ToSchema)]
pub struct InboxAnswer<'a> {
    /// The day the deadlines are counted on (in Colombia).
    #[schema(value_type = String, format = Date)]
    pub today: jiff::civil::Date,
    /// The business days within which an item is `due_soon` (the digest's setting).
    pub soon: u32,
    /// How many items are overdue.
    pub overdue: usize,
    /// How many items of each kind: `[kind, count]`.
    #[schema(value_type = Vec<Object>)]
    pub counts: Vec<(vereda_domain::inbox::ItemKind, usize)>,
    /// Most pressing first: each with its `kind` (award_to_sign, minutes_to_sign,
    /// appeal_to_decide, verification_appeal_to_decide, documents_due, measurement_to_review,
    /// objection_to_decide, disbursement_pending, petition_to_answer, followup_alert), its
    /// `subject` (`type` and `id` of the record), `label` (a code or number), `count`,
    /// `since`, `deadline` (`due_on` and `business_days_left`, negative when late, or null),
    /// `urgency` (overdue, due_soon, later, no_deadline), the `alert` of a follow-up alert
    /// (kind and typed message with its article) and `href`, the form that does it.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<ItemAnswer<'a>>,
}

/// The account's work inbox: what its role may do within its office, most pressing first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "staff",
    responses((status = 200, body = InboxAnswer),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn inbox(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Json<serde_json::Value>, AppError> {
    let account = visitor.require(Permission::ViewStaffArea)?;
    let soon = crate::inbox::soon(&state.config);
    let inbox = state
        .store
        .inbox(&account.actor(), state.config.today(), soon)
        .await?;
    let answer = InboxAnswer {
        today: inbox.today,
        soon: inbox.soon,
        overdue: inbox.overdue,
        counts: inbox.counts.clone(),
        items: inbox
            .items
            .iter()
            .map(|item| ItemAnswer {
                item,
                href: crate::inbox::href(item),
            })
            .collect(),
    };
    serde_json::to_value(&answer)
        .map(Json)
        .map_err(|e| AppError::internal(&e))
}
