//! The demo data as the product serves it: the store's demo (`vereda_store::demo`) and the
//! award resolution of its followed project signed by the demo director with its PDF, which
//! only the web can typeset. Idempotent like the store's seeding: a signed act stays as it is.

use vereda_domain::accounts::Role;
use vereda_domain::acts::ActKind;
use vereda_store::demo::{DEMO_FOLLOWED_CODE, DemoSummary, demo_email};
use vereda_store::{Store, StoreError, StoreResult};

use crate::WebConfig;

/// Seeds the demo data and signs the followed project's award resolution.
pub async fn seed(store: &Store, config: &WebConfig) -> StoreResult<DemoSummary> {
    let summary = vereda_store::demo::seed(store).await?;
    let Some(formulation) = store.formulation_by_code(DEMO_FOLLOWED_CODE).await? else {
        return Ok(summary);
    };
    let Some(award) = store.award_of(formulation.id).await? else {
        return Ok(summary);
    };
    if store.signed_act(ActKind::Award, award.id).await?.is_some() {
        return Ok(summary);
    }
    let email = demo_email(Role::TerritorialDirector);
    let director = store
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.email == email)
        .ok_or_else(|| StoreError::Fault(format!("demo: no account {email}")))?;
    crate::acts::sign_award(store, config, &director.actor(), formulation.id)
        .await
        .map_err(|e| StoreError::Fault(format!("demo: the award resolution is not signed: {e:?}")))?;
    Ok(summary)
}
