//! Every CSV the application serves is safe to open in a spreadsheet: values typed by people
//! that start like a formula (`=`, `+`, `-`, `@`, tab, carriage return) come back with a
//! leading apostrophe (OWASP, "CSV injection"), whatever the route.

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;

const HOSTILE: &str = "=HYPERLINK(\"http://example.org/x\",\"clic\")";

/// The cells of a CSV body that a spreadsheet would run as a formula.
fn formulas(body: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let mut found = Vec::new();
    for record in reader.records() {
        let record = record.expect("a CSV record");
        for cell in &record {
            let number = cell.parse::<f64>().is_ok();
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number {
                found.push(cell.to_owned());
            }
        }
    }
    found
}

/// The CSV routes of the API, read from its OpenAPI document.
async fn csv_routes(client: &mut Client) -> Vec<String> {
    let document = client.get("/api/openapi.json").await.json();
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .filter(|(path, item)| !path.contains('{') && item.to_string().contains("text/csv"))
        .map(|(path, _)| path.clone())
        .collect()
}

#[tokio::test]
async fn every_csv_route_neutralises_what_a_spreadsheet_would_run() {
    let mut client = Client::with_demo().await;
    // A measurement whose source is a formula, approved by another account: it is published.
    let store = client.db.store.clone();
    let accounts = store.accounts().await.expect("accounts");
    let of = |role: Role| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .expect("demo account")
            .actor()
    };
    let today = vereda_store::projects::today_in_colombia();
    let code = vereda_store::demo::DEMO_PROJECT_CODE;
    let submission = vereda_store::projects::MeasurementSubmission {
        draft: vereda_domain::monitoring::MeasurementDraft {
            measured_on: today,
            value: rust_decimal::Decimal::from(48),
            value_women: None,
            value_men: None,
        },
        source: Some(HOSTILE.to_owned()),
        evidence: None,
    };
    let id = store
        .submit_measurement(&of(Role::TerritorialOfficer), code, 3, submission, today)
        .await
        .expect("submitted");
    store
        .review_measurement(
            &of(Role::TerritorialDirector),
            id,
            vereda_store::projects::Review::Approve,
        )
        .await
        .expect("approved");

    let routes = csv_routes(&mut client).await;
    assert!(routes.len() >= 3, "{routes:?}");
    let mut seen_hostile = false;
    for route in &routes {
        let reply = client.get(route).await;
        assert_eq!(reply.status, StatusCode::OK, "{route}: {}", reply.body);
        assert!(
            reply.content_type.starts_with("text/csv"),
            "{route}: {}",
            reply.content_type
        );
        assert_eq!(formulas(&reply.body), Vec::<String>::new(), "{route}");
        seen_hostile |= reply.body.contains(&format!("'{}", HOSTILE.replace('"', "\"\"")));
    }
    assert!(seen_hostile, "the hostile source is published, neutralised");
}

#[tokio::test]
async fn screening_results_neutralise_household_ids_that_look_like_formulas() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    let store = client.db.store.clone();
    let call = store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .next()
        .expect("the demo call");
    // The results of a run whose households have ids a spreadsheet would run.
    let mut project = vereda_store::test_support::viable_cocoa();
    for (i, family) in project.frame.households.iter_mut().enumerate() {
        family.id = if i % 2 == 0 {
            format!("=1+{i}")
        } else {
            format!("@H{i}")
        };
    }
    vereda_store::test_support::make_households_ready(
        &store,
        &vereda_domain::audit::Actor::system("test"),
        call.id,
        "18001",
        &project.frame.households,
        jiff::civil::date(2013, 8, 1),
    )
    .await
    .expect("screened");
    let runs = store.screening_runs(call.id).await.expect("runs");
    let run = runs.iter().max_by_key(|r| r.id).expect("a run");
    let reply = client
        .get(&format!("/personal/preselecciones/{}/resultados.csv", run.id))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(formulas(&reply.body), Vec::<String>::new());
    assert!(reply.body.contains("'=1+0"), "{}", reply.body);
    assert!(reply.body.contains("'@H1"), "{}", reply.body);
}
