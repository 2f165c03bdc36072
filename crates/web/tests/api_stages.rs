//! In-process tests of the stages before the committee over the JSON API: calls, a batch
//! screening and its results, the households' verification and parcels, formulations and
//! their submission. Each step once as it succeeds and once refused, asserted on the problem's
//! code and on what is stored; a territorial account reaches nothing of another department.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::Client;
use support::api::{problem, session_as};
use support::procedure::{account_id, assign_office, submitted};
use vereda_domain::accounts::Role;
use vereda_domain::verification::VerificationStatus;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn with_today(today: jiff::civil::Date) -> vereda_web::WebConfig {
    vereda_web::WebConfig {
        outbox_dir: Some(std::env::temp_dir().join(format!("vereda-api-stages-{}", std::process::id()))),
        today: Some(today),
        ..Default::default()
    }
}

async fn demo_household(client: &Client, external: &str) -> i32 {
    let call = client.db.store.calls().await.expect("calls")[0].id;
    client
        .db
        .store
        .households(Some(call))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.external_id == external)
        .map(|h| h.id)
        .expect("demo household")
}

/// A household of the demo call in `department`.
async fn household_in(client: &Client, department: &str) -> i32 {
    let call = client.db.store.calls().await.expect("calls")[0].id;
    client
        .db
        .store
        .households(Some(call))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.municipality_code.starts_with(department))
        .map(|h| h.id)
        .expect("a household there")
}

#[tokio::test]
async fn a_call_is_read_and_created_with_the_pages_checks() {
    let mut client = Client::with_demo().await;
    let anonymous = client.get("/api/v1/calls/1").await;
    problem(&anonymous, StatusCode::UNAUTHORIZED, "login_required");

    let officer = session_as(&mut client, Role::ProgramOfficer).await;
    let one = client.get("/api/v1/calls/1").await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.json()["id"], 1);
    let none = client.get("/api/v1/calls/999").await;
    problem(&none, StatusCode::NOT_FOUND, "error-not_found_entity");

    let program = client.db.store.programs().await.expect("programs")[0].id;
    let body = json!({"program_id": program, "code": "API-2026", "name": "Convocatoria por la API",
        "budget_year": 2026, "budget_cop": "1200000000", "rule_set": "incoder-308-2013",
        "territorial_office_ids": [], "line": "general"});
    let forged = client.send_json("POST", "/api/v1/calls", None, Some(&body)).await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    let broken = client
        .send_raw_json("POST", "/api/v1/calls", Some(&officer), "{\"code\": ")
        .await;
    problem(&broken, StatusCode::UNPROCESSABLE_ENTITY, "api-error-bad_json");
    let mut blank = body.clone();
    blank["name"] = json!("");
    blank["budget_cop"] = json!("-5");
    let refused = client
        .send_json("POST", "/api/v1/calls", Some(&officer), Some(&blank))
        .await;
    problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    // Each field's problem on its own, with the field's name and its label.
    let fields = refused.json()["errors"].as_array().cloned().unwrap_or_default();
    assert!(fields.len() >= 2, "{}", refused.body);
    assert!(
        fields
            .iter()
            .all(|f| f["field"].is_string() && f["label"].is_string() && f["detail"].is_string()),
        "{}",
        refused.body
    );
    assert!(fields.iter().all(|f| f["label"] != "—"), "{}", refused.body);
    let created = client
        .send_json("POST", "/api/v1/calls", Some(&officer), Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().expect("id");
    assert_eq!(created.location, Some(format!("/api/v1/calls/{id}")));
    assert_eq!(created.json()["budget_cop"], "1200000000");
    let stored = client.db.store.calls().await.expect("calls");
    assert!(stored.iter().any(|c| c.code == "API-2026"), "{stored:?}");
    let again = client
        .send_json("POST", "/api/v1/calls", Some(&officer), Some(&body))
        .await;
    problem(&again, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");

    // A formulator may read calls but not create them.
    let formulator = session_as(&mut client, Role::Formulator).await;
    let mut other = body.clone();
    other["code"] = json!("API-2027");
    let denied = client
        .send_json("POST", "/api/v1/calls", Some(&formulator), Some(&other))
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");
    let calls = client.db.store.calls().await.expect("calls");
    assert!(!calls.iter().any(|c| c.code == "API-2027"));
}

fn golden(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../screening/tests/golden")
        .join(name)
}

/// The golden cases' households (the first 26 columns of cases.csv).
fn golden_households() -> Vec<u8> {
    let mut reader = csv::Reader::from_path(golden("cases.csv")).expect("cases.csv");
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    writer.write_record(&header[..26]).expect("write");
    for record in reader.records() {
        let record = record.expect("record");
        let row: Vec<&str> = record.iter().take(26).collect();
        writer.write_record(&row).expect("write");
    }
    writer.into_inner().expect("bytes")
}

#[tokio::test]
async fn a_screening_is_submitted_and_its_results_are_paged_and_filtered() {
    let mut client = Client::with_demo().await;
    let households = golden_households();
    let registries: Vec<(String, String, Vec<u8>)> = [
        "ruv",
        "prior_beneficiaries",
        "public_servants",
        "sanctions",
        "wanted",
    ]
    .iter()
    .map(|kind| {
        let name = format!("{kind}.csv");
        let bytes = std::fs::read(golden(&name)).expect("registry");
        (format!("registry_{kind}"), name, bytes)
    })
    .collect();
    let mut files: Vec<(&str, &str, &[u8])> = vec![("households", "households.csv", &households)];
    files.extend(
        registries
            .iter()
            .map(|(field, name, bytes)| (field.as_str(), name.as_str(), bytes.as_slice())),
    );
    let fields = [("as_of", "2013-06-01")];

    // A formulator may look but not screen.
    let formulator = session_as(&mut client, Role::Formulator).await;
    let denied = client
        .post_files_with("/api/v1/calls/1/screenings", Some(&formulator), &fields, &files)
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");

    let officer = session_as(&mut client, Role::ProgramOfficer).await;
    let forged = client
        .post_files_with("/api/v1/calls/1/screenings", Some("x"), &fields, &files)
        .await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    let without = client
        .post_files_with("/api/v1/calls/1/screenings", Some(&officer), &fields, &[])
        .await;
    problem(&without, StatusCode::UNPROCESSABLE_ENTITY, "api-error-screening");

    let accepted = client
        .post_files_with("/api/v1/calls/1/screenings", Some(&officer), &fields, &files)
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let run = accepted.json()["run_id"].as_i64().expect("run id");
    assert_eq!(accepted.json()["reused"], false);
    assert_eq!(accepted.location, Some(format!("/api/v1/screenings/{run}")));
    let mut status = Value::Null;
    for _ in 0..1200 {
        status = client.get(&format!("/api/v1/screenings/{run}")).await.json();
        if status["status"] == "succeeded" || status["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status["status"], "succeeded", "{status}");
    let total = status["households_total"].as_u64().expect("total");
    let again = client
        .post_files_with("/api/v1/calls/1/screenings", Some(&officer), &fields, &files)
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    assert_eq!(
        (again.json()["run_id"].as_i64(), again.json()["reused"].clone()),
        (Some(run), json!(true))
    );

    // Keyset pages of two, in input order, until the end.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/api/v1/screenings/{run}/results?limit=2&after={cursor}"),
            None => format!("/api/v1/screenings/{run}/results?limit=2"),
        };
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let page = page.json();
        assert_eq!(page["total"].as_u64(), Some(total));
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["position"].as_i64().expect("position")));
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let filtered = client
        .get(&format!(
            "/api/v1/screenings/{run}/results?reason=ART10A_PRIOR&limit=500"
        ))
        .await
        .json();
    let items = filtered["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert_eq!(filtered["total"].as_u64(), Some(items.len() as u64));
    assert!(
        items.iter().all(|i| i["reasons"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("ART10A_PRIOR")))),
        "{filtered}"
    );
    let bad = client
        .get(&format!("/api/v1/screenings/{run}/results?after=x"))
        .await;
    problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "error-bad_parameter");
}

#[tokio::test]
async fn a_household_is_verified_over_the_api_as_on_its_page() {
    let mut client = Client::with_demo_and(with_today(jiff::civil::date(2026, 3, 10))).await;
    let plain = demo_household(&client, "CAQ-0002").await;
    let displaced = demo_household(&client, "CAQ-0001").await;
    // The demo call's notice (its followed project's families were verified under it) is taken
    // away: the call as it was before its notice.
    {
        use sea_orm::ConnectionTrait;
        client
            .db
            .store
            .connection()
            .execute_unprepared("DELETE FROM offer_notices")
            .await
            .expect("no notice");
    }
    let officer = session_as(&mut client, Role::TerritorialOfficer).await;

    // Nothing is received before the notice.
    let early = client
        .post_files_with(
            &format!("/api/v1/households/{plain}/documents"),
            Some(&officer),
            &[("kind", "identity")],
            &[("document", "cedula.pdf", PDF)],
        )
        .await;
    problem(&early, StatusCode::CONFLICT, "verification-error-no_notice");

    let notice = json!({"notice_date": "2026-03-02", "text": "Se comunica la oferta institucional."});
    let bad_date = client
        .send_json(
            "POST",
            "/api/v1/calls/1/offer-notice",
            Some(&officer),
            Some(&json!({"notice_date": "ayer", "text": "x"})),
        )
        .await;
    problem(
        &bad_date,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification-error-not_a_date",
    );
    let given = client
        .send_json(
            "POST",
            "/api/v1/calls/1/offer-notice",
            Some(&officer),
            Some(&notice),
        )
        .await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.body);
    assert_eq!(given.json()["deadline"], "2026-03-31");
    let twice = client
        .send_json(
            "POST",
            "/api/v1/calls/1/offer-notice",
            Some(&officer),
            Some(&notice),
        )
        .await;
    problem(&twice, StatusCode::CONFLICT, "verification-error-notice_exists");

    // The call's households, a page at a time.
    let first = client.get("/api/v1/calls/1/households?limit=1").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(1));
    let next = first["next"].as_str().expect("a next page").to_owned();
    let second = client
        .get(&format!("/api/v1/calls/1/households?limit=1&after={next}"))
        .await
        .json();
    assert!(second["items"][0]["id"].as_i64() > first["items"][0]["id"].as_i64());

    // Documents: a kind that does not exist, then the identity document.
    let unknown = client
        .post_files_with(
            &format!("/api/v1/households/{plain}/documents"),
            Some(&officer),
            &[("kind", "passport")],
            &[("document", "cedula.pdf", PDF)],
        )
        .await;
    problem(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification-error-kind",
    );
    // The day the household brought it: a date, between the notice and today.
    for (day, code) in [
        ("ayer", "verification-error-received_not_a_date"),
        ("2026-03-11", "verification-error-received_after_today"),
        ("2026-03-01", "verification-error-received_before_notice"),
    ] {
        let refused = client
            .post_files_with(
                &format!("/api/v1/households/{plain}/documents"),
                Some(&officer),
                &[("kind", "identity"), ("received_on", day)],
                &[("document", "cedula.pdf", PDF)],
            )
            .await;
        problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    let received = client
        .post_files_with(
            &format!("/api/v1/households/{plain}/documents"),
            Some(&officer),
            &[("kind", "identity"), ("received_on", "2026-03-04")],
            &[("document", "cedula.pdf", PDF)],
        )
        .await;
    assert_eq!(received.status, StatusCode::CREATED, "{}", received.body);
    let state = received.json();
    assert_eq!(
        state["documents"].as_array().map(Vec::len),
        Some(1),
        "the refused ones are not kept"
    );
    assert_eq!(state["documents"][0]["kind"], "identity");
    assert_eq!(state["documents"][0]["received_on"], "2026-03-04");
    assert!(
        !state["missing"]
            .as_array()
            .expect("missing")
            .contains(&json!("identity"))
    );

    // The decision: eligible with documents missing is refused; not eligible with reasons.
    let lock = state["lock_version"].as_i64().expect("lock");
    let decision = |status: &str, reasons: &str, lock: i64| json!({"status": status, "reasons": reasons, "lock_version": lock});
    let path = format!("/api/v1/households/{plain}/decision");
    let missing = client
        .send_json(
            "POST",
            &path,
            Some(&officer),
            Some(&decision("eligible", "", lock)),
        )
        .await;
    problem(
        &missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification-error-missing",
    );
    let stale = client
        .send_json(
            "POST",
            &path,
            Some(&officer),
            Some(&decision("not_eligible", "x", lock + 7)),
        )
        .await;
    problem(
        &stale,
        StatusCode::CONFLICT,
        "verification-error-changed_meanwhile",
    );
    let decided = client
        .send_json(
            "POST",
            &path,
            Some(&officer),
            Some(&decision("not_eligible", "No vive en la vereda", lock)),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    assert_eq!(decided.json()["status"], "not_eligible");
    let stored = client
        .db
        .store
        .household_verification(plain, jiff::civil::date(2026, 3, 10))
        .await
        .expect("read")
        .expect("household");
    assert_eq!(stored.status, VerificationStatus::NotEligible);

    // A parcel of the other household: declared, studied and visited.
    let parcels = format!("/api/v1/households/{displaced}/parcels");
    let nameless = client
        .send_json(
            "POST",
            &parcels,
            Some(&officer),
            Some(&json!({"name": "", "land_tenure": "owner"})),
        )
        .await;
    problem(&nameless, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let declared = client
        .send_json(
            "POST",
            &parcels,
            Some(&officer),
            Some(&json!({"name": "La Esperanza", "area_ha": "3.5", "land_tenure": "owner"})),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.body);
    let parcel = declared.json()["id"].as_i64().expect("parcel");
    let head = client
        .db
        .store
        .household(displaced)
        .await
        .expect("read")
        .expect("household");
    let study = json!({"title_record": "420-1", "owner_name": head.head_name, "owner_document": head.head_document,
        "limits_use": false, "result": "favourable", "lock_version": 0});
    let title = format!("/api/v1/households/{displaced}/parcels/{parcel}/title-study");
    let unchosen = client
        .send_json(
            "PUT",
            &title,
            Some(&officer),
            Some(&json!({"title_record": "", "owner_name": "x", "limits_use": false, "result": "maybe", "lock_version": 0})),
        )
        .await;
    problem(&unchosen, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let studied = client
        .send_json("PUT", &title, Some(&officer), Some(&study))
        .await;
    assert_eq!(studied.status, StatusCode::OK, "{}", studied.body);
    let stale = client
        .send_json("PUT", &title, Some(&officer), Some(&study))
        .await;
    problem(&stale, StatusCode::CONFLICT, "parcel-error-stale");
    let conditions: serde_json::Map<String, Value> = vereda_domain::parcel::SiteCondition::ALL
        .iter()
        .map(|c| (c.to_string(), json!({"met": true, "notes": ""})))
        .collect();
    let visit = |latitude: &str, lock: i64| {
        json!({"visit_date": "2026-03-04", "latitude": latitude, "longitude": "-75.6",
        "conditions": conditions, "lock_version": lock})
    };
    // Before any visit its lock is 0; the study's answer gives both.
    assert_eq!(studied.json()["visit_lock_version"], Value::Null);
    let lock = 0_i64;
    let visit_path = format!("/api/v1/households/{displaced}/parcels/{parcel}/field-visit");
    let far = client
        .send_json("PUT", &visit_path, Some(&officer), Some(&visit("40", lock)))
        .await;
    problem(&far, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    let visited = client
        .send_json("PUT", &visit_path, Some(&officer), Some(&visit("1.6", lock)))
        .await;
    assert_eq!(visited.status, StatusCode::OK, "{}", visited.body);
    let standing = &visited.json()["household"]["parcels"];
    let this = standing
        .as_array()
        .expect("parcels")
        .iter()
        .find(|p| p["parcel_id"].as_i64() == Some(parcel))
        .cloned()
        .expect("the parcel");
    assert_eq!(this["suitable"], true, "{this}");

    // Personal data: whole for the officer, masked for a formulator, who cannot decide.
    let whole = client
        .get(&format!("/api/v1/households/{displaced}"))
        .await
        .json();
    assert_eq!(whole["household"]["head_document"], head.head_document.as_str());
    let formulator = session_as(&mut client, Role::Formulator).await;
    let masked = client.get(&format!("/api/v1/households/{displaced}")).await;
    assert_eq!(masked.status, StatusCode::OK, "{}", masked.body);
    let shown = masked.json()["household"]["head_document"]
        .as_str()
        .expect("document")
        .to_owned();
    assert_ne!(shown, head.head_document);
    assert!(shown.starts_with("•••"), "{shown}");
    assert!(masked.json()["household"]["sisben_score"].is_null());
    let list = client.get("/api/v1/calls/1/households?limit=500").await.json();
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|h| h["head_document"].as_str().is_some_and(|d| d.starts_with("•••"))),
        "{list}"
    );
    let denied = client
        .send_json(
            "POST",
            &format!("/api/v1/households/{displaced}/decision"),
            Some(&formulator),
            Some(&decision("not_eligible", "x", 0)),
        )
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");
    let no_notice = client
        .send_json(
            "POST",
            "/api/v1/calls/1/offer-notice",
            Some(&formulator),
            Some(&json!({"notice_date": "2026-03-02", "text": "x"})),
        )
        .await;
    problem(&no_notice, StatusCode::FORBIDDEN, "forbidden");
    let officer = session_as(&mut client, Role::TerritorialOfficer).await;
    let broken = client
        .send_raw_json(
            "POST",
            &format!("/api/v1/households/{displaced}/decision"),
            Some(&officer),
            "{\"status\": 3}",
        )
        .await;
    problem(&broken, StatusCode::UNPROCESSABLE_ENTITY, "api-error-bad_json");
}

#[tokio::test]
async fn a_formulation_is_saved_from_its_json_and_submitted() {
    let mut client = Client::with_demo().await;
    let call = support::procedure::ready_call(&client).await;
    let mut project = vereda_store::test_support::viable_cocoa();
    project.frame.code = "API-CACAO".into();
    let body = serde_json::to_value(&project).expect("json");

    // A committee member does not formulate.
    let member = session_as(&mut client, Role::CommitteeMember).await;
    let denied = client
        .send_json("POST", "/api/v1/formulations", Some(&member), Some(&body))
        .await;
    problem(&denied, StatusCode::FORBIDDEN, "forbidden");

    let formulator = session_as(&mut client, Role::Formulator).await;
    let not_one = client
        .send_json(
            "POST",
            "/api/v1/formulations",
            Some(&formulator),
            Some(&json!({"frame": 1})),
        )
        .await;
    problem(&not_one, StatusCode::UNPROCESSABLE_ENTITY, "api-error-bad_json");
    let created = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations?call_id={call}"),
            Some(&formulator),
            Some(&body),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().expect("id");
    assert_eq!(created.json()["call_id"], call);
    assert_eq!(created.location, Some(format!("/api/v1/formulations/{id}")));
    assert_eq!(created.json()["status"], "draft");
    assert_eq!(created.json()["content"]["frame"]["code"], "API-CACAO");
    let taken = client
        .send_json("POST", "/api/v1/formulations", Some(&formulator), Some(&body))
        .await;
    problem(&taken, StatusCode::CONFLICT, "formulation-error_code_taken");

    // The list, a page at a time, holds it.
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/api/v1/formulations?limit=1&after={cursor}"),
            None => "/api/v1/formulations?limit=1".to_owned(),
        };
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let page = page.json();
        codes.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["code"].clone()),
        );
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert!(codes.contains(&json!("API-CACAO")), "{codes:?}");

    // A draft is saved from its JSON; its code stays.
    let path = format!("/api/v1/formulations/{id}");
    let mut changed = body.clone();
    changed["frame"]["title"] = json!("Cacao por la API");
    let saved = client
        .send_json("PUT", &path, Some(&formulator), Some(&changed))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["title"], "Cacao por la API");
    let mut renamed = changed.clone();
    renamed["frame"]["code"] = json!("OTRO");
    let refused = client
        .send_json("PUT", &path, Some(&formulator), Some(&renamed))
        .await;
    problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "api-error-formulation_code",
    );

    let submission = format!("/api/v1/formulations/{id}/submission");
    let forged = client.send_json("POST", &submission, None, None).await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    let submitted = client
        .send_json("POST", &submission, Some(&formulator), None)
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.json()["status"], "submitted");
    let twice = client
        .send_json("POST", &submission, Some(&formulator), None)
        .await;
    problem(&twice, StatusCode::CONFLICT, "formulation-error_not_draft");
    let frozen = client
        .send_json("PUT", &path, Some(&formulator), Some(&changed))
        .await;
    problem(&frozen, StatusCode::CONFLICT, "formulation-error_frozen");
}

#[tokio::test]
async fn a_formulation_with_problems_is_not_submitted() {
    let mut client = Client::with_demo().await;
    let mut project = vereda_store::test_support::viable_cocoa();
    project.frame.code = "API-VACIO".into();
    project.budget.clear();
    let formulator = session_as(&mut client, Role::Formulator).await;
    let body = serde_json::to_value(&project).expect("json");
    let created = client
        .send_json("POST", "/api/v1/formulations", Some(&formulator), Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().expect("id");
    let refused = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/submission"),
            Some(&formulator),
            None,
        )
        .await;
    problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "formulation-error_not_ready",
    );
    let record = client
        .db
        .store
        .formulation(i32::try_from(id).expect("id"))
        .await
        .expect("read")
        .expect("formulation");
    assert_eq!(record.formulation.status.as_str(), "draft");
}

#[tokio::test]
async fn a_territorial_account_gets_nothing_of_another_department() {
    let mut client = Client::with_demo_and(with_today(jiff::civil::date(2026, 3, 10))).await;
    // The cocoa project (Tumaco, Nariño); the fixture moves the territorial staff to Nariño,
    // so they go back to Caquetá here.
    let formulation = submitted(&client).await;
    for role in [Role::TerritorialOfficer, Role::TerritorialDirector] {
        let id = account_id(&client, role).await;
        assign_office(&client, id, "Caquetá").await;
    }
    let narino = household_in(&client, "52").await;
    let caqueta = household_in(&client, "18").await;
    let officer = session_as(&mut client, Role::TerritorialOfficer).await;

    for path in [
        format!("/api/v1/households/{narino}"),
        format!("/api/v1/formulations/{formulation}"),
    ] {
        let reply = client.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
    }
    let steps = [
        (
            format!("/api/v1/households/{narino}/decision"),
            json!({"status": "not_eligible", "reasons": "x", "lock_version": 0}),
        ),
        (
            format!("/api/v1/households/{narino}/parcels"),
            json!({"name": "El Otro", "land_tenure": "owner"}),
        ),
    ];
    for (path, body) in &steps {
        let reply = client.send_json("POST", path, Some(&officer), Some(body)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
    }
    let submission = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{formulation}/submission"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(submission.status, StatusCode::NOT_FOUND, "{}", submission.body);
    let upload = client
        .post_files_with(
            &format!("/api/v1/households/{narino}/documents"),
            Some(&officer),
            &[("kind", "identity")],
            &[("document", "cedula.pdf", PDF)],
        )
        .await;
    assert_eq!(upload.status, StatusCode::NOT_FOUND, "{}", upload.body);
    assert!(
        client
            .db
            .store
            .parcels_of(&[narino])
            .await
            .expect("parcels")
            .iter()
            .all(|p| p.parcel.name != "El Otro")
    );

    // The lists hold only Caquetá's.
    let households = client.get("/api/v1/calls/1/households?limit=500").await.json();
    let codes: Vec<&str> = households["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|h| h["municipality_code"].as_str())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c.starts_with("18")),
        "{codes:?}"
    );
    let mine = client.get(&format!("/api/v1/households/{caqueta}")).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let formulations = client.get("/api/v1/formulations?limit=500").await.json();
    assert!(
        formulations["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|f| f["id"].as_i64() != Some(i64::from(formulation))),
        "{formulations}"
    );
}
