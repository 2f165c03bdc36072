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

/// A call of its own program in Nariño whose families of the worked example (Tumaco) are
/// screened and verified eligible through the store's steps, as a territorial office would.
/// The demo's territorial accounts are moved to the office of Nariño, whose department the
/// project is in (they work for Caquetá in the demo).
pub async fn ready_call(client: &Client) -> i32 {
    let store = &client.db.store;
    let admin = vereda_domain::audit::Actor::system("test");
    for account in store.accounts().await.expect("accounts") {
        if account.role.is_territorial() {
            assign_office(client, account.id, "Nariño").await;
        }
    }
    let suffix = store.programs().await.expect("programs").len();
    let program = store
        .create_program(&admin, &format!("PT{suffix}"), "Programa de prueba", "")
        .await
        .expect("program");
    let call = store
        .create_call(
            &admin,
            vereda_store::programs::NewCall {
                program_id: program.id,
                code: format!("PT{suffix}-2013"),
                name: "Convocatoria de prueba 2013".into(),
                budget_year: 2013,
                budget_cop: rust_decimal::Decimal::from(10_000_000_000_i64),
                smmlv_cop: None,
                rule_set_id: "incoder-308-2013".into(),
                line: vereda_domain::program::ProgramLine::General,
                territorial_office_ids: vec![],
                arel_max_pct: None,
                arel_cap_smmlv: None,
            },
        )
        .await
        .expect("call")
        .id;
    vereda_store::test_support::make_households_ready(
        store,
        &admin,
        call,
        "52835",
        &cocoa().frame.households,
        jiff::civil::date(2013, 8, 1),
    )
    .await
    .expect("families ready");
    call
}

/// The worked example, as shipped (20 families: not viable).
pub fn cocoa() -> Formulation {
    toml::from_str(COCOA_TOML).expect("cocoa")
}

/// A submitted formulation of the worked example for its first 10 families (viable), in a
/// ready call, saved and submitted by the demo formulator.
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
    let call = ready_call(client).await;
    let project = vereda_store::test_support::viable_cocoa();
    let saved = store
        .save_formulation_draft(
            &formulator,
            NewFormulationDraft {
                formulation: &project,
                call_id: Some(call),
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

/// The cocoa formulation taken through endorsement, a committee session with a positive concept
/// and signed minutes, to its award on `awarded_on` by the demo director (office Nariño),
/// of the evaluated maximum. Answers the formulation's id.
#[allow(dead_code)]
pub async fn awarded(client: &Client, awarded_on: jiff::civil::Date) -> i32 {
    use vereda_store::procedure::NewAward;
    let id = viable(client).await;
    let store = &client.db.store;
    let accounts = store.accounts().await.expect("accounts");
    let director = accounts
        .iter()
        .find(|a| a.role == Role::TerritorialDirector)
        .expect("a demo account")
        .actor();
    store
        .award(
            &director,
            id,
            NewAward {
                office_code: "NAR".into(),
                awarded_on,
                motivation: "Concepto positivo del comité, acta firmada".into(),
                // The evaluated maximum; the counterpart and the policy follow from it.
                institute_contribution: None,
                lowering_motivation: String::new(),
                obligations: String::new(),
            },
        )
        .await
        .expect("award");
    id
}

/// The cocoa formulation taken through endorsement and a committee session with a positive
/// concept and minutes signed by its one attendee, the demo committee member: ready for its
/// award. Answers the formulation's id.
#[allow(dead_code)]
pub async fn viable(client: &Client) -> i32 {
    use vereda_store::procedure::{Concept, NewEndorsement, NewSession};
    let id = submitted(client).await;
    let store = &client.db.store;
    let accounts = store.accounts().await.expect("accounts");
    let actor = |role: Role| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .expect("a demo account")
            .actor()
    };
    let member = accounts
        .iter()
        .find(|a| a.role == Role::CommitteeMember)
        .expect("a committee member");
    store
        .record_endorsement(
            &actor(Role::TerritorialOfficer),
            id,
            NewEndorsement {
                endorsed_on: jiff::civil::date(2013, 9, 20),
                families_endorsing: 10,
                minutes: "Asamblea en la vereda".into(),
            },
        )
        .await
        .expect("endorsement");
    let secretary = actor(Role::ProgramOfficer);
    let session = store
        .create_session(
            &secretary,
            NewSession {
                held_on: jiff::civil::date(2013, 10, 1),
                place: "Florencia".into(),
                attendees: vec![member.id],
            },
        )
        .await
        .expect("session");
    let item = store
        .add_to_agenda(&secretary, session.session_id, id, 0)
        .await
        .expect("agenda");
    store
        .issue_concept(&member.actor(), item.id, Concept::Positive, "Viable", 0)
        .await
        .expect("concept");
    store
        .close_session(&secretary, session.session_id, 1)
        .await
        .expect("close");
    store
        .sign_minutes(&member.actor(), session.session_id)
        .await
        .expect("sign");
    id
}
