//! Confirmations before irreversible acts, the one-time message after each act, and the
//! verification decided in bulk (issue 18 parts 3 and 4): a form posted without `confirmed`
//! writes nothing and says how many; confirmed, each household is decided on its own through
//! the store's gate and reported one by one, by the page and by the API.

mod support;

use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use support::Client;
use support::notice::{Setup, setup, setup_with};
use support::page::data;
use vereda_domain::accounts::Role;
use vereda_domain::verification::VerificationStatus;

async fn letters(client: &Client) -> i64 {
    let connection = client.db.store.connection();
    let row = connection
        .query_one_raw(Statement::from_string(
            connection.get_database_backend(),
            "SELECT COUNT(*) AS n FROM letters",
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn status_of(s: &Setup, household: i32) -> VerificationStatus {
    s.client
        .db
        .store
        .household_verification(household, jiff::civil::date(2026, 4, 2))
        .await
        .expect("verification")
        .expect("household")
        .status
}

async fn notify(s: &mut Setup, confirmed: bool) -> support::Reply {
    let token = s.client.csrf().await;
    let mut fields = vec![
        ("notice_date", "2026-03-02"),
        (
            "text",
            "Se comunica la oferta institucional a los hogares focalizados.",
        ),
        ("csrf_token", token.as_str()),
    ];
    if confirmed {
        fields.push(("confirmed", "1"));
    }
    s.client
        .post_form(&format!("/personal/convocatorias/{}/aviso", s.call_id), &fields)
        .await
}

#[tokio::test]
async fn the_offer_notice_asks_to_confirm_how_many_letters_then_says_it_was_done_once() {
    let mut s = setup(jiff::civil::date(2026, 4, 2)).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    let households = s
        .client
        .db
        .store
        .households(Some(s.call_id))
        .await
        .expect("households")
        .len();
    let before = letters(&s.client).await;

    let asked = notify(&mut s, false).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(
        data(&asked.body, "data-confirm").as_deref(),
        Some("confirm-offer_notice")
    );
    assert_eq!(data(&asked.body, "data-count"), Some(households.to_string()));
    assert!(asked.body.contains("name=\"confirmed\" value=\"1\""));
    assert!(asked.body.contains("name=\"notice_date\" value=\"2026-03-02\""));
    // Nothing written.
    assert!(
        s.client
            .db
            .store
            .offer_notice(s.call_id)
            .await
            .expect("notice")
            .is_none()
    );
    assert_eq!(letters(&s.client).await, before);

    let done = notify(&mut s, true).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        s.client
            .db
            .store
            .offer_notice(s.call_id)
            .await
            .expect("notice")
            .is_some()
    );
    assert_eq!(letters(&s.client).await, before + households as i64);
    let path = format!("/personal/convocatorias/{}/verificacion", s.call_id);
    let next = s.client.get(&path).await;
    assert_eq!(
        data(&next.body, "data-done").as_deref(),
        Some("done-offer_notice_recorded"),
        "{}",
        next.body
    );
    assert!(next.body.contains("role=\"status\" id=\"done\""));
    // Once only.
    let again = s.client.get(&path).await;
    assert!(!again.body.contains("id=\"done\""), "{}", again.body);
}

#[tokio::test]
async fn a_bulk_decision_by_hand_is_confirmed_then_each_household_decided_or_refused() {
    let mut s = setup(jiff::civil::date(2026, 4, 2)).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    notify(&mut s, true).await;
    let (plain, displaced) = (s.plain, s.displaced);
    // One household decided on its own page first: the bulk decision cannot decide it again.
    let token = s.client.csrf().await;
    let single = s
        .client
        .post_form(
            &format!("/personal/hogares/{plain}/verificacion"),
            &[
                ("status", "not_eligible"),
                ("reasons", "No reside en la vereda"),
                ("lock_version", "0"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(single.status, StatusCode::SEE_OTHER, "{}", single.body);
    let page = s
        .client
        .get(&format!("/personal/hogares/{plain}/verificacion"))
        .await;
    assert_eq!(
        data(&page.body, "data-done").as_deref(),
        Some("done-household_decided")
    );

    let path = format!("/personal/convocatorias/{}/verificacion", s.call_id);
    let list = s.client.get(&path).await;
    assert!(list.body.contains("id=\"bulk-form\""), "{}", list.body);
    assert!(list.body.contains(&format!("id=\"choose-{displaced}\"")));
    let action = format!("{path}/decisiones");
    let plain_text = plain.to_string();
    let displaced_text = displaced.to_string();
    let reasons = "Vencido el término sin los documentos";
    let form = |confirmed: bool| {
        let mut fields = vec![
            ("csrf_token", token.clone()),
            ("alcance", "seleccion".to_owned()),
            ("hogar", displaced_text.clone()),
            ("hogar", plain_text.clone()),
            ("status", "withdrawn".to_owned()),
            ("reasons", reasons.to_owned()),
        ];
        if confirmed {
            fields.push(("confirmed", "1".to_owned()));
        }
        fields
    };
    let before = letters(&s.client).await;
    let fields = form(false);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let asked = s.client.post_form(&action, &borrowed).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(
        data(&asked.body, "data-confirm").as_deref(),
        Some("confirm-bulk_decision")
    );
    assert_eq!(data(&asked.body, "data-count").as_deref(), Some("2"));
    assert!(
        asked
            .body
            .contains(&format!("name=\"hogar\" value=\"{displaced}\""))
    );
    assert!(asked.body.contains(&format!("name=\"hogar\" value=\"{plain}\"")));
    assert_eq!(status_of(&s, displaced).await, VerificationStatus::Pending);
    assert_eq!(letters(&s.client).await, before);

    let fields = form(true);
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let report = s.client.post_form(&action, &borrowed).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(data(&report.body, "data-decided").as_deref(), Some("1"));
    assert_eq!(data(&report.body, "data-refused").as_deref(), Some("1"));
    assert!(report.body.contains("data-done=\"done-bulk_decided\""));
    let row = |id: i32| {
        let start = report.body.find(&format!("id=\"bulk-{id}\"")).expect("a row");
        report.body[start..]
            .split("</tr>")
            .next()
            .expect("row")
            .to_owned()
    };
    assert!(
        row(displaced).contains("data-outcome=\"decided\""),
        "{}",
        row(displaced)
    );
    let refused = row(plain);
    assert!(refused.contains("data-outcome=\"refused\""), "{refused}");
    assert!(
        refused.contains("data-problem=\"verification-error-decided\""),
        "{refused}"
    );
    assert!(refused.contains("Art. 14"), "{refused}");
    assert_eq!(status_of(&s, displaced).await, VerificationStatus::Withdrawn);
    assert_eq!(status_of(&s, plain).await, VerificationStatus::NotEligible);
    assert_eq!(letters(&s.client).await, before + 1);
    // Audited as a decision of its own: the household's history shows it.
    let history = s
        .client
        .get(&format!("/personal/hogares/{displaced}/historia"))
        .await;
    assert!(history.body.contains(reasons), "{}", history.body);
}

#[tokio::test]
async fn a_bulk_decision_by_filter_takes_every_household_the_filter_matches_within_reach() {
    let mut s = setup(jiff::civil::date(2026, 4, 2)).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    notify(&mut s, true).await;
    let token = s.client.csrf().await;
    let path = format!("/personal/convocatorias/{}/verificacion", s.call_id);
    let list = s.client.get(&format!("{path}?estado=pending")).await;
    let matching: usize = data(&list.body, "data-total")
        .and_then(|t| t.parse().ok())
        .expect("a total");
    assert!(matching >= 2, "{matching}");

    // Refused as a whole, values kept beside their fields: no reasons for not eligible.
    let silent = s
        .client
        .post_form(
            &format!("{path}/decisiones"),
            &[
                ("csrf_token", &token),
                ("alcance", "filtro"),
                ("estado", "pending"),
                ("status", "not_eligible"),
                ("reasons", ""),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", silent.body);
    assert!(
        silent
            .body
            .contains("id=\"bulk-reasons-problem\" data-problem=\"verification-error-reasons\"")
    );
    assert!(
        silent
            .body
            .contains("value=\"filtro\" id=\"bulk-filter\" checked")
    );
    assert!(silent.body.contains("value=\"not_eligible\" selected"));

    let fields = [
        ("csrf_token", token.as_str()),
        ("alcance", "filtro"),
        ("estado", "pending"),
        ("status", "not_eligible"),
        ("reasons", "Fuera del área focalizada"),
    ];
    let asked = s.client.post_form(&format!("{path}/decisiones"), &fields).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(data(&asked.body, "data-count"), Some(matching.to_string()));
    assert!(asked.body.contains("name=\"estado\" value=\"pending\""));
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let report = s
        .client
        .post_form(&format!("{path}/decisiones"), &confirmed)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(data(&report.body, "data-decided"), Some(matching.to_string()));
    assert_eq!(data(&report.body, "data-refused").as_deref(), Some("0"));
    let after = s.client.get(&format!("{path}?estado=pending")).await;
    assert_eq!(data(&after.body, "data-total").as_deref(), Some("0"));
    // The households out of the officer's reach were not taken.
    let households = s
        .client
        .db
        .store
        .households(Some(s.call_id))
        .await
        .expect("households");
    let elsewhere = households
        .iter()
        .find(|h| !h.municipality_code.starts_with("18"))
        .expect("a household out of reach");
    assert_eq!(status_of(&s, elsewhere.id).await, VerificationStatus::Pending);
}

#[tokio::test]
async fn the_api_decides_in_bulk_and_answers_per_household_with_codes() {
    let mut s = setup(jiff::civil::date(2026, 4, 2)).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    notify(&mut s, true).await;
    let token = support::api::token(&mut s.client).await;
    let path = format!("/api/v1/calls/{}/verification/decisions", s.call_id);
    let body = serde_json::json!({
        "household_ids": [s.displaced, s.plain, 999_999],
        "status": "eligible",
    });
    let reply = s.client.send_json("POST", &path, Some(&token), Some(&body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["status"], "eligible");
    assert_eq!(json["decided"], 0);
    assert_eq!(json["refused"], 3);
    let outcomes = json["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes[0]["household_id"], s.displaced);
    assert_eq!(outcomes[0]["code"], "verification-error-missing");
    assert_eq!(outcomes[0]["article"], "Art. 14");
    assert_eq!(outcomes[0]["external_id"], "CAQ-0001");
    assert_eq!(outcomes[2]["code"], "verification-error-bulk_not_in_call");
    assert_eq!(outcomes[2]["external_id"], "");

    let withdrawn = serde_json::json!({
        "household_ids": [s.displaced],
        "status": "withdrawn",
        "reasons": "Vencido el término sin los documentos",
    });
    let reply = s
        .client
        .send_json("POST", &path, Some(&token), Some(&withdrawn))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["decided"], 1);
    assert!(json["outcomes"][0]["letter_id"].as_i64().is_some());
    assert_eq!(status_of(&s, s.displaced).await, VerificationStatus::Withdrawn);

    let both = serde_json::json!({
        "household_ids": [s.plain],
        "filter": {"estado": "pending"},
        "status": "withdrawn",
        "reasons": "x",
    });
    let reply = s.client.send_json("POST", &path, Some(&token), Some(&both)).await;
    support::api::problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification-error-bulk_both",
    );
    let too_many: Vec<i32> = (1..=5001).collect();
    let over = serde_json::json!({"household_ids": too_many, "status": "withdrawn", "reasons": "x"});
    let reply = s.client.send_json("POST", &path, Some(&token), Some(&over)).await;
    support::api::problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification-error-bulk_too_many",
    );
    let none = serde_json::json!({"household_ids": [], "status": "withdrawn", "reasons": "x"});
    let reply = s.client.send_json("POST", &path, Some(&token), Some(&none)).await;
    support::api::problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification-error-bulk_none",
    );

    // A role that does not verify may not.
    let formulator = support::api::session_as(&mut s.client, Role::Formulator).await;
    let reply = s
        .client
        .send_json("POST", &path, Some(&formulator), Some(&withdrawn))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
}

/// Follows a decision in bulk's page until its job has finished; the page's summary.
async fn finished(s: &mut Setup, address: &str) -> String {
    for _ in 0..200 {
        let page = s.client.get(address).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if page.body.contains("data-state=\"finished\"") {
            return page.body;
        }
        assert!(
            page.body.contains("http-equiv=\"refresh\""),
            "a running job's page reloads"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the decision in bulk did not finish")
}

#[tokio::test]
async fn a_filter_matching_more_than_one_request_decides_is_decided_by_a_job_once_each() {
    let settings = vereda_web::WebConfig {
        households_in_request: Some(2),
        ..Default::default()
    };
    let mut s = setup_with(jiff::civil::date(2026, 4, 2), settings).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    notify(&mut s, true).await;
    let token = s.client.csrf().await;
    let path = format!("/personal/convocatorias/{}/verificacion", s.call_id);
    let pending = s.client.get(&format!("{path}?estado=pending")).await;
    let matching: u64 = data(&pending.body, "data-total")
        .and_then(|t| t.parse().ok())
        .expect("a total");
    assert!(matching > 2, "more than one request decides: {matching}");
    let fields = [
        ("csrf_token", token.as_str()),
        ("alcance", "filtro"),
        ("estado", "pending"),
        ("status", "not_eligible"),
        ("reasons", "Fuera del área focalizada"),
    ];
    let asked = s.client.post_form(&format!("{path}/decisiones"), &fields).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(data(&asked.body, "data-count"), Some(matching.to_string()));
    let before = letters(&s.client).await;
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "1"));
    let queued = s
        .client
        .post_form(&format!("{path}/decisiones"), &confirmed)
        .await;
    assert_eq!(queued.status, StatusCode::SEE_OTHER, "{}", queued.body);
    let address = queued.location.expect("the job's page");
    assert!(address.starts_with(&format!("{path}/decisiones/")), "{address}");
    let page = finished(&mut s, &address).await;
    assert_eq!(data(&page, "data-matching"), Some(matching.to_string()));
    assert_eq!(data(&page, "data-decided"), Some(matching.to_string()));
    assert_eq!(data(&page, "data-refused").as_deref(), Some("0"));
    // Each household decided once, with its letter; none is pending any more.
    assert_eq!(letters(&s.client).await, before + matching as i64);
    let after = s.client.get(&format!("{path}?estado=pending")).await;
    assert_eq!(data(&after.body, "data-total").as_deref(), Some("0"));

    // The API: 202, where to follow it, and each refusal with its code and article.
    let api_token = support::api::token(&mut s.client).await;
    let api = format!("/api/v1/calls/{}/verification/decisions", s.call_id);
    let body = serde_json::json!({
        "filter": {"estado": "not_eligible"},
        "status": "eligible",
    });
    let reply = s
        .client
        .send_json("POST", &api, Some(&api_token), Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let location = reply.json()["location"].as_str().expect("location").to_owned();
    let mut json = serde_json::Value::Null;
    for _ in 0..200 {
        let followed = s.client.send_json("GET", &location, Some(&api_token), None).await;
        assert_eq!(followed.status, StatusCode::OK, "{}", followed.body);
        json = followed.json();
        if json["finished"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(json["finished"], true, "{json}");
    assert_eq!(json["refused"], json["matching"], "{json}");
    assert_eq!(json["decided"], 0);
    assert_eq!(
        json["refusals"][0]["code"], "verification-error-decided",
        "{json}"
    );
    assert_eq!(json["refusals"][0]["article"], "Art. 14");
    // Another call's address for it: not found.
    let elsewhere = location.replacen(&format!("/calls/{}/", s.call_id), "/calls/999999/", 1);
    let reply = s
        .client
        .send_json("GET", &elsewhere, Some(&api_token), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}

#[tokio::test]
async fn a_large_calls_offer_letters_are_written_by_a_job_and_counted_on_its_page() {
    let settings = vereda_web::WebConfig {
        households_in_request: Some(2),
        ..Default::default()
    };
    let mut s = setup_with(jiff::civil::date(2026, 4, 2), settings).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    let before = letters(&s.client).await;
    let recorded = notify(&mut s, true).await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let path = format!("/personal/convocatorias/{}/verificacion", s.call_id);
    let mut page = String::new();
    for _ in 0..200 {
        page = s.client.get(&path).await.body;
        if data(&page, "data-running").as_deref() == Some("false") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(data(&page, "data-running").as_deref(), Some("false"), "{page}");
    let households = data(&page, "data-households").expect("households");
    assert!(households.parse::<i64>().expect("a number") > 2);
    assert_eq!(data(&page, "data-written"), Some(households.clone()));
    assert_eq!(
        letters(&s.client).await,
        before + households.parse::<i64>().expect("a number")
    );
}
