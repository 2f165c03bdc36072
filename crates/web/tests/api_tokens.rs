//! API tokens (Authorization: Bearer) and the cursor pagination of the API's lists, in
//! process: a token acts as its account with the same checks as a session, needs no CSRF
//! token, never opens a page, and stops working when revoked or when its account is disabled.

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::api::problem;
use support::procedure::{account_id, assign_office, state, submitted};
use support::{Client, Reply};
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;
use vereda_domain::procedure::ProcedureState;

/// A call with `Authorization: Bearer <secret>` and no cookie.
async fn with_token(
    client: &mut Client,
    method: &str,
    path: &str,
    secret: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    client.forget_session();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"));
    let request = match body {
        Some(json) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let reply = client.send(request).await;
    assert!(
        reply.headers.get(header::SET_COOKIE).is_none(),
        "a token's call gets no session: {path}"
    );
    reply
}

async fn issue(client: &Client, role: Role, label: &str) -> String {
    let id = account_id(client, role).await;
    client
        .db
        .store
        .create_api_token(&Actor::system("test"), id, label)
        .await
        .expect("issued")
        .secret
}

#[tokio::test]
async fn a_token_acts_as_its_account_over_the_api_without_a_csrf_token() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let secret = issue(&client, Role::TerritorialOfficer, "sistema de la oficina").await;

    let me = with_token(&mut client, "GET", "/api/v1/me", &secret, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me = me.json();
    assert_eq!(me["role"], "territorial_officer");
    assert_eq!(
        me["csrf_token"],
        serde_json::Value::Null,
        "no session, no CSRF token"
    );

    // A step its role may take, with no X-CSRF-Token header.
    let endorsed = with_token(
        &mut client,
        "POST",
        &format!("/api/v1/formulations/{id}/endorsement"),
        &secret,
        Some(
            json!({"endorsed_on": "2013-09-20", "families_endorsing": 8, "minutes": "Asamblea en la vereda"}),
        ),
    )
    .await;
    assert_eq!(endorsed.status, StatusCode::CREATED, "{}", endorsed.body);
    assert_eq!(state(&client, id).await, ProcedureState::Endorsed);
    // The audit log names the account, as for a session.
    let entries = client
        .db
        .store
        .audit_entries(&vereda_store::audit::AuditQuery {
            entity: Some("endorsements".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(
        entries[0].actor,
        vereda_store::demo::demo_email(Role::TerritorialOfficer)
    );

    // What its role may not do stays refused (403), as for a session.
    let convene = with_token(
        &mut client,
        "POST",
        "/api/v1/committee-sessions",
        &secret,
        Some(json!({"held_on": "2013-10-01", "place": "x", "attendees": [1]})),
    )
    .await;
    assert_eq!(convene.status, StatusCode::FORBIDDEN, "{}", convene.body);
    let audit = with_token(&mut client, "GET", "/api/v1/audit", &secret, None).await;
    assert_eq!(audit.status, StatusCode::FORBIDDEN, "{}", audit.body);

    // The use is noted.
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    let tokens = client.db.store.api_tokens(officer).await.expect("tokens");
    assert!(tokens[0].last_used_at.is_some());
}

#[tokio::test]
async fn a_bad_revoked_or_disabled_accounts_token_is_401_and_no_page_opens_with_a_token() {
    let mut client = Client::with_demo().await;
    let secret = issue(&client, Role::Admin, "tablero").await;
    let ok = with_token(&mut client, "GET", "/api/v1/calls", &secret, None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    let unknown = with_token(&mut client, "GET", "/api/v1/calls", "vrd_0123", None).await;
    problem(&unknown, StatusCode::UNAUTHORIZED, "error-bad_token");
    // Public endpoints too: a bad token is never ignored.
    let public = with_token(&mut client, "GET", "/api/v1/projects", "vrd_0123", None).await;
    problem(&public, StatusCode::UNAUTHORIZED, "error-bad_token");
    let good = with_token(&mut client, "GET", "/api/v1/projects", &secret, None).await;
    assert_eq!(good.status, StatusCode::OK);
    // In the request's language, from the catalogue.
    assert!(
        unknown.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("credencial")),
        "{}",
        unknown.body
    );

    // Pages never read the header: a staff page sends the token's holder to the login page.
    for page in [
        "/personal",
        "/personal/administracion/cuentas",
        "/personal/auditoria",
    ] {
        let reply = with_token(&mut client, "GET", page, &secret, None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}: {}", reply.body);
        assert!(
            reply
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/ingreso")),
            "{page}"
        );
    }

    // Revoked: 401.
    let admin = account_id(&client, Role::Admin).await;
    let token = client.db.store.api_tokens(admin).await.expect("tokens")[0].id;
    client
        .db
        .store
        .revoke_api_token(&Actor::system("test"), token)
        .await
        .expect("revoked");
    let revoked = with_token(&mut client, "GET", "/api/v1/calls", &secret, None).await;
    problem(&revoked, StatusCode::UNAUTHORIZED, "error-bad_token");

    // An account disabled: its token no longer works.
    let other = issue(&client, Role::ProgramOfficer, "erp").await;
    let officer = account_id(&client, Role::ProgramOfficer).await;
    assert_eq!(
        with_token(&mut client, "GET", "/api/v1/me", &other, None)
            .await
            .status,
        StatusCode::OK
    );
    client
        .db
        .store
        .set_account_active(&Actor::system("test"), officer, false)
        .await
        .expect("disabled");
    let disabled = with_token(&mut client, "GET", "/api/v1/me", &other, None).await;
    problem(&disabled, StatusCode::UNAUTHORIZED, "error-bad_token");
}

#[tokio::test]
async fn a_territorial_accounts_token_reaches_only_its_office() {
    let mut client = Client::with_demo().await;
    // The formulation is in Nariño; the officer goes back to Caquetá.
    let id = submitted(&client).await;
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    assign_office(&client, officer, "Caquetá").await;
    let secret = issue(&client, Role::TerritorialOfficer, "oficina").await;
    let read = with_token(
        &mut client,
        "GET",
        &format!("/api/v1/formulations/{id}/procedure"),
        &secret,
        None,
    )
    .await;
    problem(&read, StatusCode::NOT_FOUND, "error-not_found_entity");
    let endorse = with_token(
        &mut client,
        "POST",
        &format!("/api/v1/formulations/{id}/endorsement"),
        &secret,
        Some(json!({"endorsed_on": "2013-09-20", "families_endorsing": 8, "minutes": "x"})),
    )
    .await;
    problem(&endorse, StatusCode::NOT_FOUND, "error-not_found_entity");
    assert_eq!(state(&client, id).await, ProcedureState::Submitted);
}

#[tokio::test]
async fn an_admin_issues_a_token_whose_secret_is_shown_once_and_revokes_it() {
    let mut client = Client::with_demo().await;
    let officer = account_id(&client, Role::ProgramOfficer).await;
    let tokens = format!("/personal/administracion/cuentas/{officer}/credenciales");

    // Not for another role.
    client.log_in_as(Role::ProgramOfficer).await;
    assert_eq!(client.get(&tokens).await.status, StatusCode::FORBIDDEN);

    client.forget_session();
    client.log_in_as(Role::Admin).await;
    let accounts = client.get("/personal/administracion/cuentas").await;
    assert!(
        accounts.body.contains(&tokens),
        "the accounts page links to the tokens"
    );
    let csrf = client.csrf().await;
    let forged = client
        .post_form(&tokens, &[("label", "erp"), ("csrf_token", "x")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let blank = client
        .post_form(&tokens, &[("label", " "), ("csrf_token", &csrf)])
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank.body.contains("data-problem=\"api_token-error-label\""),
        "{}",
        blank.body
    );

    let created = client
        .post_form(&tokens, &[("label", "ERP contable"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let marker = "<code id=\"api-token-secret\">";
    let start = created.body.find(marker).expect("the secret is shown") + marker.len();
    let secret = created.body[start..]
        .split('<')
        .next()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with("vrd_"), "{secret}");

    // Never again: not on the list, not in the audit log's page or API.
    let list = client.get(&tokens).await;
    assert!(
        list.body.contains("ERP contable") && !list.body.contains(&secret),
        "{}",
        list.body
    );
    for page in ["/personal/auditoria", "/api/v1/audit?limit=500"] {
        let reply = client.get(page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert!(!reply.body.contains(&secret), "{page} shows the secret");
    }
    let hash: String = {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let audit = client.get("/api/v1/audit?entity=api_tokens").await;
    assert!(
        audit.body.contains("ERP contable") && !audit.body.contains(&hash),
        "{}",
        audit.body
    );

    // It works, then it is revoked with the form and works no more.
    let cookies = client.cookies();
    assert_eq!(
        with_token(&mut client, "GET", "/api/v1/me", &secret, None)
            .await
            .status,
        StatusCode::OK
    );
    client.use_cookies(cookies);
    let token = client.db.store.api_tokens(officer).await.expect("tokens")[0].id;
    let revoke = format!("{tokens}/{token}/revocacion");
    let revoked = client.post_form(&revoke, &[("csrf_token", &csrf)]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let again = client.post_form(&revoke, &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains("data-problem=\"api_token-error-revoked\""),
        "{}",
        again.body
    );
    // A token is revoked through its own account's page only.
    let admin = account_id(&client, Role::Admin).await;
    let elsewhere = client
        .post_form(
            &format!("/personal/administracion/cuentas/{admin}/credenciales/{token}/revocacion"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let after = with_token(&mut client, "GET", "/api/v1/me", &secret, None).await;
    problem(&after, StatusCode::UNAUTHORIZED, "error-bad_token");
}

/// The client's cookies with the language set to English.
fn cookies_with_english(client: &Client) -> Vec<(String, String)> {
    let mut cookies = client.cookies();
    cookies.retain(|(k, _)| k != vereda_web::i18n::LANG_COOKIE);
    cookies.push((vereda_web::i18n::LANG_COOKIE.to_owned(), "en".to_owned()));
    cookies
}

#[tokio::test]
async fn the_tokens_page_speaks_english_too() {
    let mut client = Client::with_demo().await;
    let officer = account_id(&client, Role::ProgramOfficer).await;
    client.log_in_as(Role::Admin).await;
    client.use_cookies(cookies_with_english(&client));
    let page = client
        .get(&format!(
            "/personal/administracion/cuentas/{officer}/credenciales"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("API tokens") && page.body.contains("This account has no API tokens."),
        "{}",
        page.body
    );
}

/// 120 projects, read 50 at a time.
#[tokio::test]
async fn the_projects_come_a_page_at_a_time_without_gaps_or_repeats() {
    let mut client = Client::with_demo().await;
    let store = client.db.store.clone();
    for n in 0..120 {
        let new: vereda_store::projects::NewProject = serde_json::from_value(json!({
            "code": format!("PAG-{n:03}"),
            "title": format!("Proyecto {n}"),
            "period_start": "2024-01-01",
            "period_end": "2025-12-31",
            "description": "x",
            "general_objective": "x",
            "status": "planned",
        }))
        .expect("a project");
        store
            .create_project(&Actor::system("test"), new)
            .await
            .expect("created");
    }
    let all: BTreeSet<String> = store
        .projects(&Default::default())
        .await
        .expect("projects")
        .into_iter()
        .map(|p| p.code)
        .collect();
    assert!(all.len() >= 120);

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut path = "/api/v1/projects?limit=50".to_owned();
    loop {
        let reply = client.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let page = reply.json();
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(items.iter().map(|p| p["code"].as_str().expect("code").to_owned()));
        match page["next"].as_str() {
            Some(next) => {
                let link = reply
                    .headers
                    .get(header::LINK)
                    .and_then(|v| v.to_str().ok())
                    .expect("a Link");
                assert_eq!(
                    link,
                    format!("</api/v1/projects?limit=50&after={next}>; rel=\"next\"")
                );
                path = format!("/api/v1/projects?limit=50&after={next}");
            }
            None => {
                assert!(reply.headers.get(header::LINK).is_none());
                break;
            }
        }
    }
    let total = all.len();
    let mut expected = vec![50; total / 50];
    if !total.is_multiple_of(50) {
        expected.push(total % 50);
    }
    assert_eq!(sizes, expected);
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no repeats");
    assert_eq!(unique, all, "no gaps");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "by code");

    // The default page is 50; a bad limit or cursor is a problem naming the parameter.
    let first = client.get("/api/v1/projects").await.json();
    assert_eq!(first["items"].as_array().map(Vec::len), Some(50));
    for bad in [
        "limit=0",
        "limit=501",
        "limit=diez",
        "after=no-es-un-cursor",
        "after=7631",
    ] {
        let reply = client.get(&format!("/api/v1/projects?{bad}")).await;
        problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "error-bad_parameter");
    }
}

#[tokio::test]
async fn calls_audit_and_queues_page_too() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    for list in [
        "/api/v1/calls",
        "/api/v1/audit",
        "/api/v1/measurements",
        "/api/v1/indicator-proposals",
    ] {
        let mut ids = Vec::new();
        let mut path = format!("{list}?limit=1");
        for _ in 0..1000 {
            let reply = client.get(&path).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
            let page = reply.json();
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= 1, "{path}");
            ids.extend(items.iter().map(|i| i["id"].as_i64().expect("id")));
            match page["next"].as_str() {
                Some(next) => path = format!("{list}?limit=1&after={next}"),
                None => break,
            }
            if list == "/api/v1/audit" && ids.len() >= 5 {
                break;
            }
        }
        if list != "/api/v1/indicator-proposals" {
            assert!(!ids.is_empty(), "{list} has something in the demo");
        }
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{list}: no repeats");
        let whole = client.get(&format!("{list}?limit=500")).await.json();
        let all: Vec<i64> = whole["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_i64().expect("id"))
            .collect();
        if list == "/api/v1/audit" {
            assert_eq!(ids, all[..ids.len()], "newest first");
        } else {
            assert_eq!(ids, all, "{list}");
        }
        let bad = client.get(&format!("{list}?after=zz")).await;
        problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "error-bad_parameter");
    }
}
