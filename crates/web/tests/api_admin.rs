//! The administrator's accounts and the product's files over the JSON API, in process: the same
//! checks as the pages (permission, CSRF, nobody changes their own account), refusals as
//! problems with their codes, and the acts downloaded with a token as the pages give them.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::Client;
use support::api::{problem, session_as};
use support::procedure::{account_id, awarded};
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;

#[tokio::test]
async fn the_administrator_manages_accounts_over_the_api() {
    let mut client = Client::with_demo().await;
    let officer_csrf = session_as(&mut client, Role::TerritorialOfficer).await;
    let listed = client.get("/api/v1/accounts").await;
    problem(&listed, StatusCode::FORBIDDEN, "forbidden");
    let new = json!({"email": "ana@agencia.gov.co", "display_name": "Ana Pérez",
        "role": "territorial_officer", "password": "una-clave-larga-y-propia"});
    let refused = client
        .send_json("POST", "/api/v1/accounts", Some(&officer_csrf), Some(&new))
        .await;
    problem(&refused, StatusCode::FORBIDDEN, "forbidden");

    let csrf = session_as(&mut client, Role::Admin).await;
    let forged = client
        .send_json("POST", "/api/v1/accounts", None, Some(&new))
        .await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    let created = client
        .send_json("POST", "/api/v1/accounts", Some(&csrf), Some(&new))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let account = created.json();
    let id = account["id"].as_i64().expect("an id");
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/accounts/{id}").as_str())
    );
    assert_eq!(account["role"], "territorial_officer");
    assert_eq!(account["active"], true);
    assert!(account.get("password_hash").is_none() && !created.body.contains("argon2"));

    let again = client
        .send_json("POST", "/api/v1/accounts", Some(&csrf), Some(&new))
        .await;
    problem(&again, StatusCode::CONFLICT, "error-duplicate_email");
    let mut bad_role = new.clone();
    bad_role["email"] = json!("otra@agencia.gov.co");
    bad_role["role"] = json!("mayor");
    let unknown = client
        .send_json("POST", "/api/v1/accounts", Some(&csrf), Some(&bad_role))
        .await;
    problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "error-unknown_value");
    let mut weak = new.clone();
    weak["email"] = json!("debil@agencia.gov.co");
    weak["password"] = json!("corta");
    let short = client
        .send_json("POST", "/api/v1/accounts", Some(&csrf), Some(&weak))
        .await;
    problem(
        &short,
        StatusCode::UNPROCESSABLE_ENTITY,
        "account-error-password_short",
    );

    let path = format!("/api/v1/accounts/{id}");
    let promoted = client
        .send_json(
            "PATCH",
            &path,
            Some(&csrf),
            Some(&json!({"role": "territorial_director"})),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    assert_eq!(promoted.json()["role"], "territorial_director");
    let disabled = client
        .send_json("PATCH", &path, Some(&csrf), Some(&json!({"active": false})))
        .await;
    assert_eq!(disabled.json()["active"], false, "{}", disabled.body);
    let stored = client
        .db
        .store
        .account(i32::try_from(id).expect("an id"))
        .await
        .expect("read")
        .expect("the account");
    assert_eq!((stored.role, stored.active), (Role::TerritorialDirector, false));

    let own = account_id(&client, Role::Admin).await;
    let own_change = client
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{own}"),
            Some(&csrf),
            Some(&json!({"role": "auditor"})),
        )
        .await;
    problem(&own_change, StatusCode::FORBIDDEN, "accounts-error-own_account");

    let office_path = format!("{path}/office");
    let nowhere = client
        .send_json(
            "PUT",
            &office_path,
            Some(&csrf),
            Some(&json!({"territorial_office_id": 99_999})),
        )
        .await;
    problem(
        &nowhere,
        StatusCode::UNPROCESSABLE_ENTITY,
        "users-unknown_office_id",
    );
    let office = client
        .db
        .store
        .territorial_offices()
        .await
        .expect("offices")
        .first()
        .expect("a demo office")
        .id;
    let placed = client
        .send_json(
            "PUT",
            &office_path,
            Some(&csrf),
            Some(&json!({"territorial_office_id": office})),
        )
        .await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    assert_eq!(placed.json()["territorial_office_id"], office);
    let missing = client.get("/api/v1/accounts/999999").await;
    problem(&missing, StatusCode::NOT_FOUND, "error-not_found_entity");
    let listed = client.get("/api/v1/accounts").await;
    assert!(
        listed
            .json()
            .as_array()
            .expect("a list")
            .iter()
            .any(|a| a["id"] == id),
        "{}",
        listed.body
    );
}

#[tokio::test]
async fn the_acts_download_over_the_api_as_the_pages_give_them() {
    let mut client = Client::with_demo().await;
    let id = awarded(&client, jiff::civil::date(2013, 10, 1)).await;
    let director = account_id(&client, Role::TerritorialDirector).await;
    let secret = client
        .db
        .store
        .create_api_token(&Actor::system("test"), director, "sistema documental")
        .await
        .expect("issued")
        .secret;
    client.forget_session();
    let request = |path: String| {
        axum::http::Request::builder()
            .uri(path)
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let resolution = client
        .send(request(format!("/api/v1/formulations/{id}/resolution.pdf")))
        .await;
    assert_eq!(resolution.status, StatusCode::OK, "{}", resolution.body);
    assert_eq!(resolution.content_type, "application/pdf");
    assert!(resolution.body.starts_with("%PDF"));
    let page = {
        client.log_in_as(Role::TerritorialDirector).await;
        client
            .get(&format!("/personal/formulaciones/{id}/resolucion.pdf"))
            .await
    };
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.len(), resolution.body.len(), "the same act either way");

    client.forget_session();
    let unknown = client
        .send(request("/api/v1/formulations/999999/resolution.pdf".into()))
        .await;
    problem(&unknown, StatusCode::NOT_FOUND, "error-not_found_entity");
    let no_session = client
        .get(&format!("/api/v1/formulations/{id}/resolution.pdf"))
        .await;
    problem(&no_session, StatusCode::UNAUTHORIZED, "login_required");
}

#[tokio::test]
async fn every_file_of_the_api_answers_a_missing_record_with_a_problem() {
    let mut client = Client::with_demo().await;
    let admin = account_id(&client, Role::Admin).await;
    let secret = client
        .db
        .store
        .create_api_token(&Actor::system("test"), admin, "archivo")
        .await
        .expect("issued")
        .secret;
    client.forget_session();
    for path in [
        "/api/v1/formulations/999999/resolution.pdf",
        "/api/v1/committee-sessions/999999/minutes.pdf",
        "/api/v1/screenings/999999/results.csv",
        "/api/v1/screenings/999999/results.xlsx",
        "/api/v1/calls/999999/targeting/documents/1/document.pdf",
        "/api/v1/households/999999/documents/1",
        "/api/v1/households/999999/parcels/1/photos/1",
        "/api/v1/formulations/999999/preparation/1/minutes",
    ] {
        let reply = client
            .send(
                axum::http::Request::builder()
                    .uri(path)
                    .header(axum::http::header::AUTHORIZATION, format!("Bearer {secret}"))
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        assert!(
            reply.content_type.starts_with("application/problem+json"),
            "{path}"
        );
        let code = reply.json()["code"].as_str().unwrap_or_default().to_owned();
        assert!(
            code == "error-not_found_entity" || code == "not_found",
            "{path}: {code}"
        );
        let anonymous = client.get(path).await;
        problem(&anonymous, StatusCode::UNAUTHORIZED, "login_required");
    }
}
