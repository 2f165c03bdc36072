//! The results of each call, published (Art. 46): what was offered and how the registries
//! screened, counted by reason (with its article) and by municipality. Only counts: no
//! household, document or score is named (Ley 1581 de 2012).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use vereda_store::programs::Call;
use vereda_store::screening::{RunStatus, ScreeningCounts};

use super::Chrome;
use super::screening::ReasonArticles;
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode};
use crate::public_cache::{HTML, serve_public};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/convocatorias", get(calls))
        .route("/convocatorias/{id}", get(call))
}

#[derive(Template)]
#[template(path = "public_calls.html")]
struct CallsPage {
    chrome: Chrome,
    calls: Vec<Call>,
}

async fn calls(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    serve_public(&state, &visitor, &headers, HTML, true, async || {
        let page = CallsPage {
            calls: state.store.calls().await?,
            chrome: Chrome::new(&visitor).await?,
        };
        Ok(page.render()?.into_bytes())
    })
    .await
}

pub struct ReasonLine {
    pub code: String,
    pub article: String,
    pub count: u64,
}

pub struct MunicipalityLine {
    pub name: String,
    pub households: u64,
    pub eligible: u64,
}

pub struct PublishedScreening {
    pub as_of: jiff::civil::Date,
    pub rule_set_id: String,
    pub households: u64,
    pub eligible: u64,
    pub reasons: Vec<ReasonLine>,
    pub municipalities: Vec<MunicipalityLine>,
}

/// An award as published: the act and the money, no family named.
pub struct PublishedAward {
    pub number: String,
    pub awarded_on: jiff::civil::Date,
    pub project_code: String,
    pub project_title: String,
    pub municipality: String,
    pub families: i32,
    pub institute_contribution: rust_decimal::Decimal,
    pub counterpart: rust_decimal::Decimal,
}

#[derive(Template)]
#[template(path = "public_call.html")]
struct CallPage {
    chrome: Chrome,
    call: Call,
    screening: Option<PublishedScreening>,
    awards: Vec<PublishedAward>,
}

fn published(run_rule_set: &str, as_of: jiff::civil::Date, counts: ScreeningCounts) -> PublishedScreening {
    let articles = ReasonArticles::of(run_rule_set);
    PublishedScreening {
        as_of,
        rule_set_id: run_rule_set.to_owned(),
        households: counts.households,
        eligible: counts.eligible,
        reasons: counts
            .by_reason
            .iter()
            .map(|(code, count)| ReasonLine {
                article: articles.article(code),
                code: code.clone(),
                count: *count,
            })
            .collect(),
        municipalities: counts
            .by_municipality
            .iter()
            .map(|(code, group)| MunicipalityLine {
                name: super::projects::municipality_label(code),
                households: group.households,
                eligible: group.eligible,
            })
            .collect(),
    }
}

async fn call(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    serve_public(&state, &visitor, &headers, HTML, true, async || {
        let call = state.store.call(id).await?.ok_or_else(|| {
            AppError::said(
                ErrorCode::NotFound,
                crate::error::not_found("call", &id.to_string()),
            )
        })?;
        let latest = state
            .store
            .screening_runs(id)
            .await?
            .into_iter()
            .find(|run| run.status == RunStatus::Succeeded);
        let screening = match latest {
            Some(run) => Some(published(
                &run.rule_set_id,
                run.as_of,
                state.store.screening_counts(run.id).await?,
            )),
            None => None,
        };
        let awards = state
            .store
            .call_awards(id)
            .await?
            .into_iter()
            .map(|(formulation, award)| PublishedAward {
                number: award.number,
                awarded_on: award.awarded_on,
                municipality: super::projects::municipality_label(&formulation.municipality_code),
                project_code: formulation.code,
                project_title: formulation.title,
                families: award.families,
                institute_contribution: award.institute_contribution,
                counterpart: award.counterpart,
            })
            .collect();
        let page = CallPage {
            call,
            screening,
            awards,
            chrome: Chrome::new(&visitor).await?,
        };
        Ok(page.render()?.into_bytes())
    })
    .await
}
