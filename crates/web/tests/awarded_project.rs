//! The award opens the monitored project (issue 13, part 2), in process: once awarded, the
//! project is in the API, the public portfolio and card, the open data and IATI with its
//! resolution, never with its families; the staff follow it to the procedure and back; and
//! measurements and changes of its figures go through four eyes over the JSON API.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::procedure::{account_id, assign_office, awarded};
use support::{Client, Reply};
use vereda_domain::accounts::Role;

const CODE: &str = "NAR-TUM-2013-001";

async fn session_as(client: &mut Client, role: Role) -> String {
    client.forget_session();
    client.log_in_as(role).await;
    let me = client.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.json()["csrf_token"].as_str().expect("a token").to_owned()
}

#[track_caller]
fn problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.json()["code"], code, "{}", reply.body);
}

async fn opened(client: &Client) -> (i32, String) {
    let director = account_id(client, Role::TerritorialDirector).await;
    assign_office(client, director, "Caquetá").await;
    let today = vereda_store::projects::today_in_colombia();
    let id = awarded(client, today).await;
    let award = client
        .db
        .store
        .award_of(id)
        .await
        .expect("read")
        .expect("awarded");
    (id, award.number)
}

#[tokio::test]
async fn the_awarded_project_appears_everywhere_at_once_without_its_families() {
    let mut client = Client::with_demo().await;
    let (id, number) = opened(&client).await;

    let list = client.get("/api/v1/projects").await;
    assert_eq!(list.status, StatusCode::OK);
    let listed = list.json();
    let ours = listed["items"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|p| p["code"] == CODE)
        .expect("the new project is listed");
    assert_eq!(ours["status"], "awarded");
    let card = client.get(&format!("/api/v1/projects/{CODE}")).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.body);
    let card = card.json();
    assert_eq!(card["award"]["number"], number.as_str());
    assert_eq!(card["municipalities"], json!(["52835"]));
    assert_eq!(card["indicators"][0]["goal"], "10");
    let seeded = client.get("/api/v1/projects/T06.60,61,62").await.json();
    assert_eq!(
        seeded["status"], "ended",
        "the seed's project ended in December 2024"
    );

    let portfolio = client.get("/proyectos").await;
    assert!(portfolio.body.contains(CODE), "the public portfolio lists it");
    let public = client.get(&format!("/proyectos/{CODE}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains(&number), "the card shows its resolution");
    assert!(public.body.contains("id=\"project-award\""));
    assert!(!public.body.contains("TUM-001"), "no family on a public page");
    let csv = client.get("/api/v1/open-data/projects.csv").await;
    assert!(csv.body.lines().any(|l| l.starts_with(CODE)), "{}", csv.body);
    let iati = client.get("/api/v1/open-data/iati-activities.xml").await;
    assert!(
        iati.body
            .contains(&format!("<other-identifier ref=\"{number}\" type=\"A1\"/>"))
    );
    assert!(iati.body.contains(CODE));

    // The staff follow the chain both ways: project -> procedure -> project.
    client.log_in_as(Role::TerritorialOfficer).await;
    let staff = client.get(&format!("/personal/proyectos/{CODE}")).await;
    assert_eq!(staff.status, StatusCode::OK);
    assert!(
        staff
            .body
            .contains(&format!("href=\"/personal/formulaciones/{id}/procedimiento\""))
    );
    assert!(
        staff.body.contains("id=\"beneficiaries\""),
        "the staff see the families"
    );
    assert!(staff.body.contains("TUM-001"));
    let procedure = client
        .get(&format!("/personal/formulaciones/{id}/procedimiento"))
        .await;
    assert!(
        procedure
            .body
            .contains(&format!("href=\"/personal/proyectos/{CODE}\"")),
        "the procedure links the project"
    );
    assert!(
        procedure.body.contains("id=\"session-link\"") && procedure.body.contains("id=\"evaluation-link\"")
    );
    let monitoring = client.get("/personal/proyectos").await;
    assert!(monitoring.body.contains(CODE), "staff monitoring lists it");
}

#[tokio::test]
async fn figures_and_measurements_need_another_account_over_the_api() {
    let mut client = Client::with_demo().await;
    opened(&client).await;
    let proposals = format!("/api/v1/projects/{CODE}/indicators/1/proposals");
    let body = json!({"baseline": "0", "goal": "25", "unit": "number", "reason": "Cinco familias más", "lock_version": 0});

    let officer = session_as(&mut client, Role::TerritorialOfficer).await;
    let forged = client.send_json("POST", &proposals, None, Some(&body)).await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    let filed = client
        .send_json("POST", &proposals, Some(&officer), Some(&body))
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let proposal = filed.json()["id"].as_i64().expect("an id");
    let pending = client.get("/api/v1/indicator-proposals").await.json()["items"].clone();
    assert_eq!(pending[0]["goal"], "25");
    assert_eq!(pending[0]["current_goal"], "10");
    let card = client.get(&format!("/api/v1/projects/{CODE}")).await.json();
    assert_eq!(
        card["indicators"][0]["goal"], "10",
        "nothing published changes yet"
    );
    let review = format!("/api/v1/indicator-proposals/{proposal}/review");
    let own = client
        .send_json(
            "POST",
            &review,
            Some(&officer),
            Some(&json!({"decision": "approve"})),
        )
        .await;
    problem(&own, StatusCode::FORBIDDEN, "monitoring-error-own_proposal");
    let odd = client
        .send_json(
            "POST",
            &review,
            Some(&officer),
            Some(&json!({"decision": "maybe"})),
        )
        .await;
    problem(&odd, StatusCode::UNPROCESSABLE_ENTITY, "api-error-decision");

    let measurement = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/indicators/1/measurements"),
            Some(&officer),
            Some(&json!({"measured_on": vereda_store::projects::today_in_colombia().to_string(), "value": 12, "value_women": "7", "value_men": "5", "source": "Actas de entrega"})),
        )
        .await;
    assert_eq!(measurement.status, StatusCode::CREATED, "{}", measurement.body);
    let measurement = measurement.json()["id"].as_i64().expect("an id");
    let own_measurement = client
        .send_json(
            "POST",
            &format!("/api/v1/measurements/{measurement}/review"),
            Some(&officer),
            Some(&json!({"decision": "approve"})),
        )
        .await;
    problem(
        &own_measurement,
        StatusCode::FORBIDDEN,
        "monitoring-error-own_measurement",
    );

    let reviewer = session_as(&mut client, Role::ProgramOfficer).await;
    let approved = client
        .send_json(
            "POST",
            &review,
            Some(&reviewer),
            Some(&json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.json()["status"], "approved");
    let again = client
        .send_json(
            "POST",
            &review,
            Some(&reviewer),
            Some(&json!({"decision": "approve"})),
        )
        .await;
    problem(&again, StatusCode::CONFLICT, "monitoring-error-proposal_reviewed");
    let pending = client.get("/api/v1/measurements").await.json()["items"].clone();
    assert_eq!(
        pending.as_array().map(Vec::len),
        Some(2),
        "the demo's and ours: {pending}"
    );
    let done = client
        .send_json(
            "POST",
            &format!("/api/v1/measurements/{measurement}/review"),
            Some(&reviewer),
            Some(&json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);

    let card = client.get(&format!("/api/v1/projects/{CODE}")).await.json();
    let families = &card["indicators"][0];
    assert_eq!(
        (families["goal"].as_str(), families["current_value"].as_str()),
        (Some("25"), Some("12"))
    );
    assert_eq!(families["advance_percent"], 48);
    let csv = client.get("/api/v1/open-data/measurements.csv").await;
    assert!(csv.body.lines().any(|l| l.starts_with(CODE)), "{}", csv.body);
}

#[tokio::test]
async fn the_targets_form_files_a_proposal_that_another_account_approves() {
    let mut client = Client::with_demo().await;
    let code = vereda_store::demo::DEMO_PROJECT_CODE;
    let path = "/personal/proyectos/T06.60%2C61%2C62/indicadores/3";
    let seen = client
        .db
        .store
        .indicator_for_edit(code, 3)
        .await
        .expect("read")
        .expect("indicator");
    client.log_in_as(Role::TerritorialOfficer).await;
    let csrf = client.csrf().await;
    let lock = seen.lock_version.to_string();
    let status = seen.progress.status.to_string();
    let form = |goal: &'static str, reason: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("baseline", "0".to_owned()),
            ("goal", goal.to_owned()),
            ("unit", seen.progress.unit.to_string()),
            ("status", status.clone()),
            ("reason", reason.to_owned()),
            ("lock_version", lock.clone()),
        ]
    };
    let post = async |client: &mut Client, form: Vec<(&'static str, String)>| {
        let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        client.post_form(&format!("{path}/metas"), &borrowed).await
    };
    let no_reason = post(&mut client, form("26,4", "")).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("id=\"reason-errors\""));
    let filed = post(&mut client, form("26,4", "Meta ajustada al diseño final")).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let now = client
        .db
        .store
        .indicator_for_edit(code, 3)
        .await
        .expect("read")
        .expect("indicator");
    assert_eq!(
        now.progress.goal, seen.progress.goal,
        "the published goal waits for the review"
    );
    let queue = client.get("/personal/mediciones").await.body;
    let pending = client
        .db
        .store
        .indicator_proposals(&vereda_store::projects::ProposalQuery::default())
        .await
        .expect("proposals");
    let id = pending[0].id;
    assert!(queue.contains(&format!("id=\"proposal-{id}\"")));
    assert!(
        !queue.contains(&format!("id=\"approve-proposal-{id}\"")),
        "nobody approves their own"
    );

    client.forget_session();
    client.log_in_as(Role::ProgramOfficer).await;
    let csrf = client.csrf().await;
    let approved = client
        .post_form(
            &format!("/personal/propuestas/{id}/revision"),
            &[("csrf_token", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let card = client.get("/api/v1/projects/T06.60,61,62").await.json();
    assert_eq!(card["indicators"][2]["goal"], "26.4");
    assert_eq!(card["indicators"][2]["advance_percent"], 50);
}
