//! Accounts that can be protected: own password change, one-time reset links, session limits
//! and the second factor (TOTP) with its recovery codes.

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_domain::audit::AuditAction;
use vereda_store::audit::AuditQuery;
use vereda_store::demo::{DEMO_PASSWORD, demo_email};

const NEW_PASSWORD: &str = "otra clave larga 2026";

async fn actions_on(client: &Client, user_id: i32) -> Vec<AuditAction> {
    client
        .db
        .store
        .audit_entries(&AuditQuery {
            entity: Some("users".to_owned()),
            entity_id: Some(user_id.to_string()),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn account_of(client: &Client, role: Role) -> vereda_store::accounts::Account {
    let email = demo_email(role);
    client
        .db
        .store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.email == email)
        .expect("demo account")
}

/// Whether the client's session is logged in (a staff page answers, not a login redirect).
async fn logged_in(client: &mut Client) -> bool {
    client.get("/personal").await.status == StatusCode::OK
}

#[tokio::test]
async fn changing_the_own_password_ends_the_other_sessions_and_keeps_this_one() {
    let mut client = Client::with_demo().await;
    let officer = account_of(&client, Role::TerritorialOfficer).await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let other_browser = client.cookies();
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let csrf = client.csrf().await;

    let page = client.get("/personal/cuenta/contrasena").await;
    assert_eq!(page.status, StatusCode::OK);
    let wrong_current = client
        .post_form(
            "/personal/cuenta/contrasena",
            &[
                ("csrf_token", &csrf),
                ("current", "no es la clave"),
                ("new", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong_current.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_current.body.contains("id=\"password-error\""));
    let too_short = client
        .post_form(
            "/personal/cuenta/contrasena",
            &[
                ("csrf_token", &csrf),
                ("current", DEMO_PASSWORD),
                ("new", "corta"),
                ("repeat", "corta"),
            ],
        )
        .await;
    assert_eq!(too_short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let differ = client
        .post_form(
            "/personal/cuenta/contrasena",
            &[
                ("csrf_token", &csrf),
                ("current", DEMO_PASSWORD),
                ("new", NEW_PASSWORD),
                ("repeat", "otra cosa larga"),
            ],
        )
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(logged_in(&mut client).await, "a refused change ends nothing");

    let changed = client
        .post_form(
            "/personal/cuenta/contrasena",
            &[
                ("csrf_token", &csrf),
                ("current", DEMO_PASSWORD),
                ("new", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert!(changed.body.contains("id=\"password-changed\""));
    assert!(logged_in(&mut client).await, "this session stays");
    let this_browser = client.cookies();

    client.use_cookies(other_browser);
    assert!(!logged_in(&mut client).await, "the other session ended");
    client.use_cookies(this_browser);
    assert!(logged_in(&mut client).await);

    client.forget_session();
    let old = client.log_in(&officer.email, DEMO_PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = client.log_in(&officer.email, NEW_PASSWORD).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
    assert!(
        actions_on(&client, officer.id)
            .await
            .contains(&AuditAction::PasswordChanged)
    );
}

#[tokio::test]
async fn the_api_changes_the_own_password_as_the_page_does() {
    let mut client = Client::with_demo().await;
    let officer = account_of(&client, Role::TerritorialOfficer).await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let other_browser = client.cookies();
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let csrf = client.csrf().await;
    let body = |current: &str, new: &str| serde_json::json!({ "current": current, "new": new });

    let no_token = client
        .send_json(
            "POST",
            "/api/v1/me/password",
            None,
            Some(&body(DEMO_PASSWORD, NEW_PASSWORD)),
        )
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let wrong = client
        .send_json(
            "POST",
            "/api/v1/me/password",
            Some(&csrf),
            Some(&body("no es la clave", NEW_PASSWORD)),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("urn:vereda:problem:"), "{}", wrong.body);
    let weak = client
        .send_json(
            "POST",
            "/api/v1/me/password",
            Some(&csrf),
            Some(&body(DEMO_PASSWORD, "corta")),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);

    let changed = client
        .send_json(
            "POST",
            "/api/v1/me/password",
            Some(&csrf),
            Some(&body(DEMO_PASSWORD, NEW_PASSWORD)),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert!(logged_in(&mut client).await, "this session stays");
    client.use_cookies(other_browser);
    assert!(!logged_in(&mut client).await, "the other session ended");
    client.forget_session();
    assert_eq!(
        client.log_in(&officer.email, NEW_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn deactivation_ends_the_sessions_and_reactivation_does_not_bring_them_back() {
    let mut client = Client::with_demo().await;
    let officer = account_of(&client, Role::TerritorialOfficer).await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let officer_browser = client.cookies();
    let store = client.db.store.clone();
    let admin = account_of(&client, Role::Admin).await.actor();
    store
        .set_account_active(&admin, officer.id, false)
        .await
        .expect("deactivate");
    store
        .set_account_active(&admin, officer.id, true)
        .await
        .expect("reactivate");
    client.use_cookies(officer_browser);
    assert!(!logged_in(&mut client).await);
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    assert!(logged_in(&mut client).await, "a new login works again");
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_the_sessions() {
    let mut client = Client::with_demo().await;
    let officer = account_of(&client, Role::TerritorialOfficer).await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let officer_browser = client.cookies();

    client.forget_session();
    client.log_in_as(Role::Admin).await;
    let csrf = client.csrf().await;
    let issued = client
        .post_form(
            &format!("/personal/administracion/cuentas/{}/restablecimiento", officer.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    let marker = "id=\"reset-link\">";
    let start = issued.body.find(marker).expect("the link") + marker.len();
    let link = issued.body[start..].split('<').next().expect("link").to_owned();
    let path = &link[link.find("/restablecer/").expect("the path")..];
    let token = path.trim_start_matches("/restablecer/");
    // Only its hash is kept.
    let audit = client
        .db
        .store
        .audit_entries(&AuditQuery {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(audit.iter().all(|e| !format!("{:?}", e.after).contains(token)));
    // Others may not issue links.
    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    let csrf = client.csrf().await;
    let refused = client
        .post_form(
            &format!("/personal/administracion/cuentas/{}/restablecimiento", officer.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    client.forget_session();
    let form = client.get(path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(&officer.email));
    let csrf = Client::csrf_in(&form.body);
    let short = client
        .post_form(
            path,
            &[("csrf_token", &csrf), ("new", "corta"), ("repeat", "corta")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = client
        .post_form(
            path,
            &[
                ("csrf_token", &csrf),
                ("new", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert_eq!(set.location.as_deref(), Some("/ingreso"));
    // Single use.
    assert_eq!(client.get(path).await.status, StatusCode::NOT_FOUND);
    let again = client
        .post_form(
            path,
            &[
                ("csrf_token", &csrf),
                ("new", "y otra más larga"),
                ("repeat", "y otra más larga"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let new = client.log_in(&officer.email, NEW_PASSWORD).await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
    client.use_cookies(officer_browser);
    assert!(
        !logged_in(&mut client).await,
        "the sessions before the reset ended"
    );
    let actions = actions_on(&client, officer.id).await;
    assert!(actions.contains(&AuditAction::PasswordResetIssued), "{actions:?}");
    assert!(actions.contains(&AuditAction::PasswordResetUsed), "{actions:?}");
}

#[tokio::test]
async fn an_expired_or_superseded_reset_link_does_not_work() {
    let mut client = Client::with_demo().await;
    let officer = account_of(&client, Role::TerritorialOfficer).await;
    let store = client.db.store.clone();
    let admin = account_of(&client, Role::Admin).await.actor();
    let expired = store
        .issue_password_reset(&admin, officer.id, jiff::SignedDuration::from_secs(-1))
        .await
        .expect("issued");
    assert_eq!(
        client.get(&format!("/restablecer/{expired}")).await.status,
        StatusCode::NOT_FOUND
    );
    let first = store
        .issue_password_reset(&admin, officer.id, jiff::SignedDuration::from_hours(24))
        .await
        .expect("issued");
    let second = store
        .issue_password_reset(&admin, officer.id, jiff::SignedDuration::from_hours(24))
        .await
        .expect("issued");
    assert_eq!(
        client.get(&format!("/restablecer/{first}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get(&format!("/restablecer/{second}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        client.get("/restablecer/0000").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_idle_session_ends_on_the_server() {
    let mut client = Client::with_demo_and(vereda_web::WebConfig {
        idle_limit: Some(Duration::from_millis(1500)),
        ..Default::default()
    })
    .await;
    client.log_in_as(Role::TerritorialOfficer).await;
    assert!(logged_in(&mut client).await);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(logged_in(&mut client).await, "activity keeps it");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(logged_in(&mut client).await, "activity keeps it");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let reply = client.get("/personal").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.location.unwrap_or_default().starts_with("/ingreso"));
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_limit_whatever_its_activity() {
    let mut client = Client::with_demo_and(vereda_web::WebConfig {
        absolute_limit: Some(Duration::from_millis(2000)),
        ..Default::default()
    })
    .await;
    client.log_in_as(Role::TerritorialOfficer).await;
    for _ in 0..3 {
        assert!(logged_in(&mut client).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!logged_in(&mut client).await);
}

/// The secret shown on the enrollment page.
fn secret_in(page: &str) -> Vec<u8> {
    let marker = "id=\"secret\">";
    let start = page.find(marker).expect("the secret") + marker.len();
    let text = page[start..].split('<').next().expect("secret");
    vereda_domain::totp::base32_decode(text).expect("base32")
}

fn code(secret: &[u8], offset_seconds: i64) -> String {
    vereda_domain::totp::code_at(secret, jiff::Timestamp::now().as_second() + offset_seconds)
}

async fn second_step(client: &mut Client, code: &str) -> support::Reply {
    let form = client.get("/ingreso/codigo").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = Client::csrf_in(&form.body);
    client
        .post_form(
            "/ingreso/codigo",
            &[("csrf_token", &csrf), ("code", code), ("next", "/personal")],
        )
        .await
}

#[tokio::test]
async fn a_director_enrolls_a_second_factor_and_then_logs_in_with_its_codes() {
    let mut client = Client::with_demo_and(vereda_web::WebConfig {
        require_second_factor: true,
        ..Default::default()
    })
    .await;
    let director = account_of(&client, Role::TerritorialDirector).await;

    // A role that does not sign or pay needs none.
    client.log_in_as(Role::Auditor).await;
    assert!(logged_in(&mut client).await);
    client.forget_session();

    // The director is sent to the enrollment before any staff page or action.
    client.log_in_as(Role::TerritorialDirector).await;
    let sent = client.get("/personal").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sent.location.as_deref(),
        Some("/personal/cuenta/segundo-factor?next=/personal")
    );
    let api = client.get("/api/v1/calls").await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert!(api.body.contains("second_factor-required"), "{}", api.body);

    let page = client
        .get("/personal/cuenta/segundo-factor?next=%2Fpersonal")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"), "the QR code is drawn in the page");
    let secret = secret_in(&page.body);
    // The same secret until it is confirmed.
    let again = client.get("/personal/cuenta/segundo-factor").await;
    assert_eq!(secret_in(&again.body), secret);
    let csrf = Client::csrf_in(&page.body);
    let wrong = client
        .post_form(
            "/personal/cuenta/segundo-factor",
            &[("csrf_token", &csrf), ("code", "000000"), ("next", "/personal")],
        )
        .await;
    let wrong_code_was_right = code(&secret, 0) == "000000";
    if !wrong_code_was_right {
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let enrolled = client
        .post_form(
            "/personal/cuenta/segundo-factor",
            &[
                ("csrf_token", &csrf),
                ("code", &code(&secret, 0)),
                ("next", "/personal"),
            ],
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.body);
    let recovery: Vec<String> = enrolled
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().expect("code").to_owned())
        .collect();
    assert_eq!(recovery.len(), vereda_store::accounts::RECOVERY_CODES);
    assert!(logged_in(&mut client).await, "enrolled: the staff pages open");
    // Shown once: the page now only counts them.
    let status = client.get("/personal/cuenta/segundo-factor").await;
    assert!(!status.body.contains(&recovery[0]));
    assert!(status.body.contains("id=\"unused-codes\">10<"));

    // The next login asks for the code.
    client.forget_session();
    let first_step = client.log_in(&director.email, DEMO_PASSWORD).await;
    assert_eq!(first_step.status, StatusCode::SEE_OTHER);
    assert_eq!(
        first_step.location.as_deref(),
        Some("/ingreso/codigo?next=/personal")
    );
    assert!(!logged_in(&mut client).await, "not logged in before the code");
    let refused = second_step(&mut client, "12345x").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // The code of the step the enrollment used is spent; the next step's is accepted.
    let accepted = second_step(&mut client, &code(&secret, 30)).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(accepted.location.as_deref(), Some("/personal"));
    assert!(logged_in(&mut client).await);

    // A recovery code works once.
    client.forget_session();
    client.log_in(&director.email, DEMO_PASSWORD).await;
    let recovered = second_step(&mut client, &recovery[3].to_lowercase()).await;
    assert_eq!(recovered.status, StatusCode::SEE_OTHER, "{}", recovered.body);
    client.forget_session();
    client.log_in(&director.email, DEMO_PASSWORD).await;
    let reused = second_step(&mut client, &recovery[3]).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        client
            .db
            .store
            .unused_recovery_codes(director.id)
            .await
            .expect("count"),
        9
    );

    let actions = actions_on(&client, director.id).await;
    assert!(
        actions.contains(&AuditAction::SecondFactorEnrolled),
        "{actions:?}"
    );
    assert!(actions.contains(&AuditAction::SecondFactorFailed), "{actions:?}");
    assert!(actions.contains(&AuditAction::RecoveryCodeUsed), "{actions:?}");
}

#[tokio::test]
async fn wrong_second_factor_codes_count_towards_the_login_throttle() {
    let mut client = Client::with_demo().await;
    let director = account_of(&client, Role::TerritorialDirector).await;
    let store = client.db.store.clone();
    let secret = [7u8; 20];
    let now = jiff::Timestamp::now();
    store
        .enroll_second_factor(
            &director,
            &vereda_domain::totp::base32_encode(&secret),
            &vereda_domain::totp::code_at(&secret, now.as_second()),
            now,
        )
        .await
        .expect("enrolled");
    client.log_in(&director.email, DEMO_PASSWORD).await;
    for _ in 0..5 {
        let wrong = second_step(&mut client, "abcdef").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let waits = second_step(&mut client, &code(&secret, 30)).await;
    assert_eq!(waits.status, StatusCode::TOO_MANY_REQUESTS, "{}", waits.body);
    assert!(waits.headers.contains_key("retry-after"));
    // The password step waits too.
    client.forget_session();
    let login = client.log_in(&director.email, DEMO_PASSWORD).await;
    assert_eq!(login.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn without_the_password_step_there_is_no_code_step() {
    let mut client = Client::with_demo().await;
    let reply = client.get("/ingreso/codigo").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/ingreso"));
}
