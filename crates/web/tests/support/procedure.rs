//! What the procedure's page and API tests share: the demo accounts and a submitted
//! formulation of the worked example.

use vereda_domain::accounts::Role;
use vereda_domain::finance::Formulation;
use vereda_domain::procedure::ProcedureState;
use vereda_store::formulations::NewFormulationDraft;

use super::Client;

pub const COCOA_TOML: &str = include_str!("../../../../examples/cacao-tumaco.toml");

pub async fn account_id(client: &Client, role: Role) -> i32 {
    let email = vereda_store::demo::demo_email(role);
    client
        .db
        .store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.email == email)
        .expect("a demo account")
        .id
}

/// A submitted cocoa formulation, saved and submitted by the demo formulator.
pub async fn submitted(client: &Client) -> i32 {
    let store = &client.db.store;
    let formulator = store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::Formulator)
        .expect("formulator")
        .actor();
    let cocoa: Formulation = toml::from_str(COCOA_TOML).expect("cocoa");
    let saved = store
        .save_formulation_draft(
            &formulator,
            NewFormulationDraft {
                formulation: &cocoa,
                call_id: None,
                note: None,
                viable: Some(true),
                irr: Some("0.2113".into()),
                rule_set_id: "incoder-308-2013".into(),
                rule_set_hash: None,
            },
        )
        .await
        .expect("save");
    store
        .submit_formulation(&formulator, saved.id)
        .await
        .expect("submit");
    saved.id
}

pub async fn state(client: &Client, id: i32) -> ProcedureState {
    client.db.store.procedure_state(id).await.expect("state")
}

/// Gives `account` the demo territorial office whose name ends with `office` ("Caquetá",
/// "Nariño"), as the administrator would.
pub async fn assign_office(client: &Client, account: i32, office: &str) {
    let store = &client.db.store;
    let id = store
        .territorial_offices()
        .await
        .expect("offices")
        .into_iter()
        .find(|o| o.name.ends_with(office))
        .expect("an office")
        .id;
    store
        .assign_territorial_office(&vereda_domain::audit::Actor::system("test"), account, Some(id))
        .await
        .expect("office");
}
