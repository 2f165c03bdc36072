//! In-process tests of targeting, preparation and parcel photos over the JSON API: each step
//! once as it succeeds and once refused, asserted on the problem's code and on what is stored;
//! a territorial account reaches nothing of another department.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::Client;
use support::api::{problem, session_as};
use support::procedure::{account_id, assign_office, submitted};
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;
use vereda_store::formulations::NewFormulationDraft;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

fn with_today(today: jiff::civil::Date) -> vereda_web::WebConfig {
    vereda_web::WebConfig {
        outbox_dir: Some(std::env::temp_dir().join(format!("vereda-api-targeting-{}", std::process::id()))),
        today: Some(today),
        ..Default::default()
    }
}

/// A household of the demo call in `department`, with a parcel declared.
async fn parcel_in(client: &Client, department: &str) -> (i32, i32) {
    let call = client.db.store.calls().await.expect("calls")[0].id;
    let household = client
        .db
        .store
        .households(Some(call))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.municipality_code.starts_with(department))
        .expect("a household there");
    let new = serde_json::from_value(json!({"municipality": household.municipality_code,
        "name": "La Foto", "land_tenure": "owner"}))
    .expect("parcel");
    let parcel = client
        .db
        .store
        .add_parcel(&Actor::system("test"), household.id, new)
        .await
        .expect("parcel");
    (household.id, parcel.id)
}

async fn formulation(client: &Client, code: &str) -> i32 {
    let call = client.db.store.calls().await.expect("calls")[0].id;
    let mut cocoa = support::procedure::cocoa();
    cocoa.frame.code = code.into();
    client
        .db
        .store
        .save_formulation_draft(
            &Actor::system("test"),
            NewFormulationDraft {
                formulation: &cocoa,
                call_id: Some(call),
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
async fn targeting_documents_and_interventions_are_made_with_the_pages_checks() {
    let mut client = Client::with_demo().await;
    let anonymous = client.get("/api/v1/calls/1/targeting").await;
    problem(&anonymous, StatusCode::UNAUTHORIZED, "login_required");

    // A formulator reads the candidates but changes nothing.
    let formulator = session_as(&mut client, Role::Formulator).await;
    let read = client.get("/api/v1/calls/1/targeting").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.json()["call_id"], 1);
    let denied = client
        .send_json(
            "POST",
            "/api/v1/calls/1/targeting/documents",
            Some(&formulator),
            Some(&json!({})),
        )
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");
    let denied = client
        .send_json(
            "PUT",
            "/api/v1/calls/1/targeting/interventions/18094",
            Some(&formulator),
            Some(&json!({"count": 3})),
        )
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");
    let denied = client
        .post_files_with(
            "/api/v1/calls/1/targeting/interventions",
            Some(&formulator),
            &[],
            &[("file", "i.csv", b"dane_code,interventions\n18001,5\n")],
        )
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");

    let officer = session_as(&mut client, Role::ProgramOfficer).await;
    let forged = client
        .send_json(
            "POST",
            "/api/v1/calls/1/targeting/documents",
            None,
            Some(&json!({})),
        )
        .await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");

    // Interventions: a bad file stores nothing, a good one is imported, one by hand.
    let imports = "/api/v1/calls/1/targeting/interventions";
    let bad = client
        .post_files_with(
            imports,
            Some(&officer),
            &[],
            &[("file", "i.csv", b"dane_code,interventions\n18001,2\n18001,x\n")],
        )
        .await;
    problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    assert!(client.db.store.interventions(1).await.expect("rows").is_empty());
    let good = client
        .post_files_with(
            imports,
            Some(&officer),
            &[],
            &[("file", "i.csv", b"dane_code,interventions\n18001,5\n18029,1\n")],
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert_eq!(good.json()["imported"], 2);
    let by_hand = client
        .send_json(
            "PUT",
            &format!("{imports}/18094"),
            Some(&officer),
            Some(&json!({"count": 3})),
        )
        .await;
    assert_eq!(by_hand.status, StatusCode::OK, "{}", by_hand.body);
    assert!(
        by_hand.json()["interventions"]
            .as_array()
            .expect("interventions")
            .iter()
            .any(|i| i["dane_code"] == "18094" && i["count"] == 3 && i["source"] == "manual"),
        "{}",
        by_hand.body
    );
    let not_a_code = client
        .send_json(
            "PUT",
            &format!("{imports}/99"),
            Some(&officer),
            Some(&json!({"count": 3})),
        )
        .await;
    problem(&not_a_code, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let not_a_count = client
        .send_json(
            "PUT",
            &format!("{imports}/18094"),
            Some(&officer),
            Some(&json!({"count": "tres"})),
        )
        .await;
    problem(
        &not_a_count,
        StatusCode::UNPROCESSABLE_ENTITY,
        "api-error-bad_json",
    );
    assert_eq!(client.db.store.interventions(1).await.expect("rows").len(), 3);

    // A document: bad weights store nothing; the defaults and one weight make number 1.
    let documents = "/api/v1/calls/1/targeting/documents";
    let zero = client
        .send_json(
            "POST",
            documents,
            Some(&officer),
            Some(&json!({"weight_poverty": "0", "weight_families": "0", "weight_interventions": "-1"})),
        )
        .await;
    problem(&zero, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let unknown = client
        .send_json("POST", documents, Some(&officer), Some(&json!({"weight": "1"})))
        .await;
    problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "api-error-bad_json");
    assert!(
        client
            .db
            .store
            .targeting_documents(1)
            .await
            .expect("documents")
            .is_empty()
    );
    let made = client
        .send_json(
            "POST",
            documents,
            Some(&officer),
            Some(&json!({"weight_poverty": "0", "weight_families": "0", "weight_interventions": "1"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["number"], 1);
    assert_eq!(
        made.location,
        Some("/api/v1/calls/1/targeting/documents/1".to_owned())
    );
    let read = client.get("/api/v1/calls/1/targeting/documents/1").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.json()["weights"]["interventions"], "1");
    let first = &read.json()["ranking"][0];
    assert_eq!(first["rank"], 1, "{}", read.body);
    assert_eq!(first["candidate"]["dane_code"], "18001", "{}", read.body);
    let none = client.get("/api/v1/calls/1/targeting/documents/2").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
    let listed = client.get("/api/v1/calls/1/targeting").await.json();
    assert_eq!(listed["documents"][0]["number"], 1, "{listed}");
}

#[tokio::test]
async fn preparation_records_are_listed_and_added_with_the_pages_checks() {
    let mut client = Client::with_demo_and(with_today(jiff::civil::date(2026, 3, 10))).await;
    let id = formulation(&client, "API-PREP").await;
    let path = format!("/api/v1/formulations/{id}/preparation");
    let id_text = id.to_string();
    let record = [
        ("kind", "session_minutes"),
        ("formulation_id", id_text.as_str()),
        ("held_on", "2026-03-02"),
        ("place", "Escuela de Llorente"),
        ("attendees", "23"),
        ("text", "Acuerdos: línea de cacao"),
    ];

    let formulator = session_as(&mut client, Role::Formulator).await;
    let empty = client.get(&path).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!(empty.json()["items"], json!([]));
    let denied = client
        .post_files_with(&path, Some(&formulator), &record, &[("minutes", "acta.pdf", PDF)])
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");

    let officer = session_as(&mut client, Role::ProgramOfficer).await;
    let unsigned = client.post_files_with(&path, Some(&officer), &record, &[]).await;
    problem(&unsigned, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let forged = client
        .post_files_with(&path, Some("nope"), &record, &[("minutes", "acta.pdf", PDF)])
        .await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    assert!(client.db.store.preparations(id).await.expect("list").is_empty());
    let added = client
        .post_files_with(&path, Some(&officer), &record, &[("minutes", "acta.pdf", PDF)])
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.location, Some(path.clone()));
    let item = &added.json()["items"][0];
    assert_eq!(item["kind"], "session_minutes", "{}", added.body);
    assert_eq!(item["place"], "Escuela de Llorente");
    assert_eq!(item["attendees"], 23);
    assert_eq!(item["file_name"], "acta.pdf");
    assert_eq!(client.db.store.preparations(id).await.expect("list").len(), 1);
    let none = client.get("/api/v1/formulations/999999/preparation").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
}

#[tokio::test]
async fn a_parcel_photo_is_kept_with_the_pages_checks() {
    let mut client = Client::with_demo_and(with_today(jiff::civil::date(2026, 3, 10))).await;
    let (household, parcel) = parcel_in(&client, "18").await;
    let path = format!("/api/v1/households/{household}/parcels/{parcel}/photos");

    let formulator = session_as(&mut client, Role::Formulator).await;
    let denied = client
        .post_files_with(&path, Some(&formulator), &[], &[("photo", "p.png", PNG)])
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");

    let officer = session_as(&mut client, Role::TerritorialOfficer).await;
    let none = client.post_files_with(&path, Some(&officer), &[], &[]).await;
    problem(&none, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let pdf = client
        .post_files_with(&path, Some(&officer), &[], &[("photo", "p.pdf", PDF)])
        .await;
    problem(&pdf, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let other = client
        .post_files_with(
            &format!("/api/v1/households/{household}/parcels/999999/photos"),
            Some(&officer),
            &[],
            &[("photo", "p.png", PNG)],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    let kept = client
        .post_files_with(&path, Some(&officer), &[], &[("photo", "p.png", PNG)])
        .await;
    assert_eq!(kept.status, StatusCode::CREATED, "{}", kept.body);
    assert_eq!(kept.json()["parcel_id"], parcel);
    let stored = client
        .db
        .store
        .parcel_verification(household, parcel)
        .await
        .expect("read")
        .expect("parcel");
    assert_eq!(stored.photos.len(), 1, "{stored:?}");
}

#[tokio::test]
async fn a_territorial_account_gets_nothing_of_another_department() {
    let mut client = Client::with_demo_and(with_today(jiff::civil::date(2026, 3, 10))).await;
    let formulation = submitted(&client).await;
    for role in [Role::TerritorialOfficer, Role::TerritorialDirector] {
        let id = account_id(&client, role).await;
        assign_office(&client, id, "Caquetá").await;
    }
    let (narino, parcel) = parcel_in(&client, "52").await;
    let officer = session_as(&mut client, Role::TerritorialOfficer).await;
    let preparation = client
        .get(&format!("/api/v1/formulations/{formulation}/preparation"))
        .await;
    assert_eq!(preparation.status, StatusCode::NOT_FOUND, "{}", preparation.body);
    let photo = client
        .post_files_with(
            &format!("/api/v1/households/{narino}/parcels/{parcel}/photos"),
            Some(&officer),
            &[],
            &[("photo", "p.png", PNG)],
        )
        .await;
    assert_eq!(photo.status, StatusCode::NOT_FOUND, "{}", photo.body);
    let stored = client
        .db
        .store
        .parcel_verification(narino, parcel)
        .await
        .expect("read")
        .expect("parcel");
    assert!(stored.photos.is_empty(), "{stored:?}");
}
