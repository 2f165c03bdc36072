//! Negative journeys: the cases that prompted the chain of custody (docs/invariants.md), each
//! tried as a user would through the API or the pages, refused with its code, and nothing
//! written. (The unreviewed goal and the evidence's recorder paying are tried in
//! `awarded_project.rs` and `procedure.rs`/`api_procedure.rs`.)

mod support;

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use support::Client;
use support::api::{problem, session_as};
use support::procedure::{account_id, assign_office, cocoa, ready_call, state, viable};
use vereda_domain::accounts::Role;
use vereda_domain::procedure::ProcedureState;
use vereda_store::formulations::NewFormulationDraft;

fn draft(project: &vereda_domain::finance::Formulation, call_id: Option<i32>) -> NewFormulationDraft<'_> {
    NewFormulationDraft {
        formulation: project,
        call_id,
        note: None,
        // What its writer claims: the store decides on the figures.
        viable: Some(true),
        irr: None,
        rule_set_id: "incoder-308-2013".into(),
        rule_set_hash: None,
    }
}

async fn actor(client: &Client, role: Role) -> vereda_domain::audit::Actor {
    client
        .db
        .store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == role)
        .expect("a demo account")
        .actor()
}

#[tokio::test]
async fn a_hundred_percent_and_thirty_smmlv_for_a_family_are_refused() {
    let mut client = Client::with_demo().await;
    let token = session_as(&mut client, Role::ProgramOfficer).await;
    let mut greedy = vereda_store::test_support::viable_cocoa();
    greedy.frame.households[0].max_pct = Decimal::ONE_HUNDRED;
    greedy.frame.households[1].cap_smmlv = Decimal::from(30);
    let body = serde_json::to_value(&greedy).expect("json");
    let reply = client
        .send_json("POST", "/api/v1/evaluations", Some(&token), Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let codes: Vec<(String, String)> = reply.json()["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap_or_default().to_owned(),
                p["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        codes.contains(&(
            "frame.households[0].max_pct".into(),
            "formulation-problem-above_legal_percent".into()
        )),
        "{codes:?}"
    );
    assert!(
        codes.contains(&(
            "frame.households[1].cap_smmlv".into(),
            "formulation-problem-above_legal_cap".into()
        )),
        "{codes:?}"
    );
}

#[tokio::test]
async fn families_never_verified_do_not_reach_the_committee() {
    let mut client = Client::with_demo().await;
    let demo_call = client
        .db
        .store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == vereda_store::demo::DEMO_CALL_CODE)
        .expect("the demo call")
        .id;
    // The worked example filed in the demo call: its families were never screened nor verified.
    let project = cocoa();
    let formulator = actor(&client, Role::Formulator).await;
    let id = client
        .db
        .store
        .save_formulation_draft(&formulator, draft(&project, Some(demo_call)))
        .await
        .expect("a draft")
        .id;
    client.log_in_as(Role::ProgramOfficer).await;
    let token = client.csrf().await;
    let refused = client
        .post_form(
            &format!("/personal/formulaciones/{id}/radicar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"data-problem="custody-error-households""#),
        "{}",
        refused.body
    );
    assert_eq!(state(&client, id).await, ProcedureState::Draft, "nothing changed");
}

#[tokio::test]
async fn no_positive_concept_for_a_version_evaluated_not_viable_nor_while_an_objection_waits() {
    use vereda_store::procedure::{NewEndorsement, NewSession};
    let mut client = Client::with_demo().await;
    let call = ready_call(&client).await;
    // All twenty families of the worked example: below the income floor (Art. 19.6).
    let project = cocoa();
    let store = client.db.store.clone();
    let id = store
        .save_formulation_draft(
            &actor(&client, Role::Formulator).await,
            draft(&project, Some(call)),
        )
        .await
        .expect("a draft")
        .id;
    store
        .submit_formulation(&actor(&client, Role::Formulator).await, id)
        .await
        .expect("presented");
    store
        .record_endorsement(
            &actor(&client, Role::TerritorialOfficer).await,
            id,
            NewEndorsement {
                endorsed_on: jiff::civil::date(2013, 9, 20),
                families_endorsing: 15,
                minutes: "Asamblea".into(),
            },
        )
        .await
        .expect("endorsed");
    let member = account_id(&client, Role::CommitteeMember).await;
    let secretary = actor(&client, Role::ProgramOfficer).await;
    let session = store
        .create_session(
            &secretary,
            NewSession {
                held_on: jiff::civil::date(2013, 10, 1),
                place: "Pasto".into(),
                attendees: vec![member],
            },
        )
        .await
        .expect("session");
    let item = store
        .add_to_agenda(&secretary, session.session_id, id, 0)
        .await
        .expect("agenda");
    let concept = format!(
        "/api/v1/committee-sessions/{}/concepts/{}",
        session.session_id, item.id
    );

    let token = session_as(&mut client, Role::CommitteeMember).await;
    let positive = json!({"concept": "positive", "text": "Viable", "lock_version": 0});
    let refused = client
        .send_json("POST", &concept, Some(&token), Some(&positive))
        .await;
    problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "custody-error-not_viable",
    );
    assert_eq!(state(&client, id).await, ProcedureState::OnAgenda);

    // An objection against one of its families: no concept at all until it is decided.
    let secretary_token = session_as(&mut client, Role::ProgramOfficer).await;
    let objection = json!({"target": "family", "target_ref": "TUM-004", "filed_by": "Veeduría", "text": "No vive en la vereda"});
    let filed = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/objections"),
            Some(&secretary_token),
            Some(&objection),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let token = session_as(&mut client, Role::CommitteeMember).await;
    let negative = json!({"concept": "negative", "text": "Reduzca las familias", "lock_version": 0});
    let waits = client
        .send_json("POST", &concept, Some(&token), Some(&negative))
        .await;
    problem(&waits, StatusCode::CONFLICT, "custody-error-objection_pending");
    assert_eq!(state(&client, id).await, ProcedureState::OnAgenda);
}

#[tokio::test]
async fn an_award_above_the_evaluated_maximum_is_refused() {
    let mut client = Client::with_demo().await;
    let id = viable(&client).await;
    let director = account_id(&client, Role::TerritorialDirector).await;
    assign_office(&client, director, "Nariño").await;
    let token = session_as(&mut client, Role::TerritorialDirector).await;
    let award = format!("/api/v1/formulations/{id}/award");
    let four_hundred_million = json!({
        "awarded_on": "2013-10-15",
        "motivation": "Concepto positivo",
        "institute_contribution": "400000000",
    });
    let refused = client
        .send_json("POST", &award, Some(&token), Some(&four_hundred_million))
        .await;
    problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "custody-error-above_maximum",
    );
    // Less than the maximum needs the director's written motivation.
    let unexplained = json!({"awarded_on": "2013-10-15", "motivation": "Concepto positivo", "institute_contribution": "1000000"});
    let refused = client
        .send_json("POST", &award, Some(&token), Some(&unexplained))
        .await;
    problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "custody-error-lowering_motivation",
    );
    assert!(
        client.db.store.award_of(id).await.expect("read").is_none(),
        "nothing awarded"
    );
    assert_eq!(state(&client, id).await, ProcedureState::Viable);
}
