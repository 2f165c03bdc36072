//! Territorial scope through the web (issue 14): the route × role × office matrix. The demo's
//! territorial accounts work for the office of Caquetá; every page and step on a record of
//! Nariño or Putumayo is answered as if the record did not exist, and the lists hold only
//! Caquetá's households. National roles read everything.

mod support;

use axum::http::StatusCode;
use support::Client;
use support::procedure::{account_id, assign_office, submitted};
use vereda_domain::accounts::Role;

/// A household of the demo call in `department`, with its external id.
async fn household_in(client: &Client, department: &str) -> (i32, String) {
    let call = client.db.store.calls().await.expect("calls")[0].id;
    client
        .db
        .store
        .households(Some(call))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.municipality_code.starts_with(department))
        .map(|h| (h.id, h.external_id))
        .expect("a household there")
}

#[tokio::test]
async fn an_office_reaches_only_its_department_through_every_route() {
    let mut client = Client::with_demo().await;
    // The cocoa project (Tumaco, Nariño); the fixture moves the territorial staff to Nariño,
    // so they go back to Caquetá here.
    let formulation = submitted(&client).await;
    for role in [Role::TerritorialOfficer, Role::TerritorialDirector] {
        let id = account_id(&client, role).await;
        assign_office(&client, id, "Caquetá").await;
    }
    let call = client.db.store.calls().await.expect("calls")[0].id;
    let (narino, narino_external) = household_in(&client, "52").await;
    let (putumayo, _) = household_in(&client, "86").await;
    let (caqueta, caqueta_external) = household_in(&client, "18").await;
    let out_of_reach_pages = [
        format!("/personal/hogares/{narino}"),
        format!("/personal/hogares/{narino}/historia"),
        format!("/personal/hogares/{putumayo}"),
        format!("/personal/formulaciones/{formulation}"),
        format!("/personal/formulaciones/{formulation}/procedimiento"),
        format!("/personal/formulaciones/{formulation}/evaluacion"),
        "/personal/proyectos/PDR-2013-NAR-002".to_owned(),
        "/personal/proyectos/PDR-2013-PUT-003".to_owned(),
        format!("/api/v1/formulations/{formulation}/procedure"),
    ];
    let out_of_reach_steps = [
        format!("/personal/hogares/{narino}/predios"),
        format!("/personal/formulaciones/{formulation}/aval"),
        format!("/personal/formulaciones/{formulation}/adjudicacion"),
        format!("/personal/formulaciones/{formulation}/desembolso/soportes"),
        format!("/personal/formulaciones/{formulation}/desembolso"),
        format!("/personal/formulaciones/{formulation}/pasos/frame"),
        format!("/personal/formulaciones/{formulation}/radicar"),
        "/personal/proyectos/PDR-2013-NAR-002/documentos".to_owned(),
    ];
    let mut successes = Vec::new();
    for role in [Role::TerritorialOfficer, Role::TerritorialDirector] {
        client.forget_session();
        client.log_in_as(role).await;
        let token = client.csrf().await;
        for path in &out_of_reach_pages {
            let reply = client.get(path).await;
            if reply.status != StatusCode::NOT_FOUND {
                successes.push(format!("{role} GET {path}: {}", reply.status));
            }
        }
        for path in &out_of_reach_steps {
            let reply = client.post_form(path, &[("csrf_token", &token)]).await;
            if reply.status != StatusCode::NOT_FOUND {
                successes.push(format!("{role} POST {path}: {}", reply.status));
            }
        }
        // Within reach: Caquetá's household and project.
        for path in [
            format!("/personal/hogares/{caqueta}"),
            "/personal/proyectos/PDR-2013-CAQ-001".to_owned(),
        ] {
            assert_eq!(client.get(&path).await.status, StatusCode::OK, "{role} on {path}");
        }
        // The call's lists hold only Caquetá's households.
        for path in [
            format!("/personal/convocatorias/{call}/hogares"),
            format!("/personal/convocatorias/{call}/verificacion"),
        ] {
            let page = client.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{role} on {path}");
            assert!(page.body.contains(&caqueta_external), "{role} on {path}");
            assert!(
                !page.body.contains(&narino_external),
                "{role} sees Nariño on {path}"
            );
        }
    }
    assert!(successes.is_empty(), "outside the office: {successes:#?}");
    // The staff portfolio lists the projects with a municipality of Caquetá only.
    let portfolio = client.get("/personal/proyectos").await;
    assert!(portfolio.body.contains("PDR-2013-CAQ-001"), "{}", portfolio.body);
    assert!(!portfolio.body.contains("PDR-2013-NAR-002"), "{}", portfolio.body);

    // The same routes exist and answer otherwise within reach: the 404s above are the scope's.
    for role in [Role::TerritorialOfficer, Role::TerritorialDirector] {
        let id = account_id(&client, role).await;
        assign_office(&client, id, "Nariño").await;
        client.forget_session();
        client.log_in_as(role).await;
        let token = client.csrf().await;
        for path in &out_of_reach_pages[..2] {
            assert_eq!(client.get(path).await.status, StatusCode::OK, "{role} on {path}");
        }
        for path in &out_of_reach_steps {
            let reply = client.post_form(path, &[("csrf_token", &token)]).await;
            assert_ne!(reply.status, StatusCode::NOT_FOUND, "{role} POST {path}");
        }
    }

    // A national role reads every department.
    client.forget_session();
    client.log_in_as(Role::ProgramOfficer).await;
    for path in &out_of_reach_pages[..4] {
        assert_eq!(
            client.get(path).await.status,
            StatusCode::OK,
            "program officer on {path}"
        );
    }
    let page = client
        .get(&format!("/personal/convocatorias/{call}/hogares"))
        .await;
    assert!(page.body.contains(&narino_external));
}

#[tokio::test]
async fn a_territorial_account_without_an_office_reaches_nothing() {
    let mut client = Client::with_demo().await;
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    client
        .db
        .store
        .assign_territorial_office(&vereda_domain::audit::Actor::system("test"), officer, None)
        .await
        .expect("no office");
    let (caqueta, caqueta_external) = household_in(&client, "18").await;
    let call = client.db.store.calls().await.expect("calls")[0].id;
    client.log_in_as(Role::TerritorialOfficer).await;
    assert_eq!(
        client.get(&format!("/personal/hogares/{caqueta}")).await.status,
        StatusCode::NOT_FOUND
    );
    let page = client
        .get(&format!("/personal/convocatorias/{call}/hogares"))
        .await;
    assert!(!page.body.contains(&caqueta_external));
}

#[tokio::test]
async fn the_committee_and_the_calls_show_an_office_only_its_department() {
    let mut client = Client::with_demo().await;
    let formulation = support::procedure::viable(&client).await; // Tumaco, Nariño
    let code = client
        .db
        .store
        .formulation(formulation)
        .await
        .expect("read")
        .expect("formulation")
        .formulation
        .code;
    let session = client.db.store.sessions().await.expect("sessions")[0].id;
    let director = account_id(&client, Role::TerritorialDirector).await;
    for (office, sees) in [("Caquetá", false), ("Nariño", true)] {
        assign_office(&client, director, office).await;
        client.forget_session();
        client.log_in_as(Role::TerritorialDirector).await;
        let page = client.get(&format!("/personal/comite/{session}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body.contains(&code), sees, "{office}: {}", page.body);
        let api = client.get(&format!("/api/v1/committee-sessions/{session}")).await;
        let minutes: serde_json::Value = serde_json::from_str(&api.body).expect("json");
        let items = minutes["agenda"].as_array().map_or(0, Vec::len);
        assert_eq!(items, usize::from(sees), "{office}: {}", api.body);
    }
    // The staff's list of calls holds the calls opened with the reader's office.
    let calls = client.db.store.calls().await.expect("calls");
    let page = client.get("/personal/convocatorias").await;
    for call in &calls {
        let reached = client
            .db
            .store
            .within_reach(
                &vereda_domain::accounts::Reach::Department("52".into()),
                vereda_store::scope::Target::Call(call.id),
            )
            .await
            .expect("reach");
        assert_eq!(page.body.contains(&call.code), reached, "{}", call.code);
    }
}
