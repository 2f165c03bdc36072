//! The preparation of a formulation over HTTP (Art. 15-17): the list linked from the
//! formulation, the form with its field errors (422, nothing stored), the signed minutes, and
//! a record filed for another formulation of the same call.

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_domain::finance::Formulation;
use vereda_store::formulations::NewFormulationDraft;

const COCOA_TOML: &str = include_str!("../../../examples/cacao-tumaco.toml");

async fn formulation(client: &Client, call_id: i32, code: &str) -> i32 {
    let mut cocoa: Formulation = toml::from_str(COCOA_TOML).expect("cocoa");
    cocoa.frame.code = code.into();
    client
        .db
        .store
        .save_formulation_draft(
            &vereda_domain::audit::Actor::system("test"),
            NewFormulationDraft {
                formulation: &cocoa,
                call_id: Some(call_id),
                note: None,
                viable: Some(true),
                irr: None,
                rule_set_id: "incoder-308-2013".into(),
                rule_set_hash: None,
            },
        )
        .await
        .expect("save")
        .id
}

#[tokio::test]
async fn records_are_checked_listed_and_linked_to_a_formulation_of_the_call() {
    let config = vereda_web::WebConfig {
        today: Some(jiff::civil::date(2026, 3, 10)),
        ..Default::default()
    };
    let mut client = Client::with_demo_and(config).await;
    let call_id = client.db.store.calls().await.expect("calls")[0].id;
    let first = formulation(&client, call_id, "PREP-1").await;
    let second = formulation(&client, call_id, "PREP-2").await;
    client.log_in_as(Role::Admin).await;
    let page = client.get(&format!("/personal/formulaciones/{first}")).await;
    assert!(
        page.body
            .contains(&format!("/personal/formulaciones/{first}/preparacion"))
    );
    let path = format!("/personal/formulaciones/{first}/preparacion");
    let list = client.get(&path).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("PREP-2"),
        "the call's formulations are offered"
    );

    let token = client.csrf().await;
    let first_id = first.to_string();
    let unsigned = client
        .post_files(
            &path,
            &[
                ("csrf_token", &token),
                ("kind", "session_minutes"),
                ("formulation_id", &first_id),
                ("held_on", "2026-03-02"),
                ("place", ""),
                ("attendees", "0"),
                ("text", "Acuerdos: línea de cacao"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        unsigned.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unsigned.body
    );
    assert!(
        unsigned
            .body
            .contains("id=\"place-errors\" class=\"field-error\">Este dato es obligatorio.")
    );
    assert!(
        unsigned
            .body
            .contains("id=\"attendees-errors\" class=\"field-error\">Escriba un número")
    );
    assert!(
        unsigned
            .body
            .contains("id=\"minutes-errors\" class=\"field-error\">Este dato es obligatorio.")
    );
    assert!(
        client
            .db
            .store
            .preparations(first)
            .await
            .expect("list")
            .is_empty()
    );

    let token = client.csrf().await;
    let signed = client
        .post_files(
            &path,
            &[
                ("csrf_token", &token),
                ("kind", "session_minutes"),
                ("formulation_id", &first_id),
                ("held_on", "2026-03-02"),
                ("place", "Escuela de Llorente"),
                ("attendees", "23"),
                ("text", "Acuerdos: línea de cacao"),
            ],
            &[("minutes", "acta.pdf", b"%PDF-1.4\n%%EOF\n")],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let list = client.get(&path).await;
    assert!(list.body.contains("Escuela de Llorente") && list.body.contains("acta.pdf"));
    assert!(list.body.contains("Acta de sesión participativa (Art. 17)"));

    // A diagnosis filed from the first formulation's page for the second one.
    let token = client.csrf().await;
    let second_id = second.to_string();
    let diagnosis = client
        .post_files(
            &path,
            &[
                ("csrf_token", &token),
                ("kind", "diagnosis"),
                ("formulation_id", &second_id),
                ("text", "Necesidad productiva: riego para el cacao"),
            ],
            &[],
        )
        .await;
    assert_eq!(diagnosis.status, StatusCode::SEE_OTHER, "{}", diagnosis.body);
    assert_eq!(client.db.store.preparations(second).await.expect("list").len(), 1);
    let other = client
        .post_files(
            &path,
            &[
                ("csrf_token", &token),
                ("kind", "diagnosis"),
                ("formulation_id", "999999"),
                ("text", "x"),
            ],
            &[],
        )
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);

    client.forget_session();
    client.log_in_as(Role::Auditor).await;
    let token = client.csrf().await;
    let refused = client
        .post_files(
            &path,
            &[("csrf_token", &token), ("kind", "diagnosis"), ("text", "x")],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
