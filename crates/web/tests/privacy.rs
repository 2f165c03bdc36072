//! Privacy by role (Ley 1581 de 2012): every staff page and staff API list, crawled as each
//! demo role, shows a household's whole document number, birth date, Sisbén score, e-mail or
//! address only to the roles with `ViewFullDocuments`; the others see the last three digits
//! of a document and nothing of the rest.

mod support;

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::{Permission, Role};

/// Every personal value of the demo households, as it may be written on a page.
fn personal_data() -> Vec<String> {
    let text = include_str!("../../../data/demo/households.toml");
    let mut found = Vec::new();
    for line in text.lines() {
        for key in [
            "document = \"",
            "sisben_score = \"",
            "correspondence_address = \"",
            "email = \"",
            "birth_date = \"",
        ] {
            let mut rest = line;
            while let Some(at) = rest.find(key) {
                rest = &rest[at + key.len()..];
                let value = rest.split('"').next().unwrap_or_default();
                match key {
                    "document = \"" => {
                        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
                        found.push(digits.trim_start_matches('0').to_owned());
                        found.push(value.to_owned());
                    }
                    "sisben_score = \"" => {
                        found.push(value.to_owned());
                        found.push(value.replace('.', ","));
                    }
                    "correspondence_address = \"" => {
                        // The address's first words are enough to tell it.
                        found.push(value.split(',').next().unwrap_or(value).to_owned());
                    }
                    _ => found.push(value.to_owned()),
                }
            }
        }
    }
    found.retain(|v| v.len() >= 4);
    found.sort();
    found.dedup();
    found
}

/// Whether `text` holds `secret` as a whole value: not inside a longer number, so a score
/// such as 9.45 is not found in the fractional seconds of a time (09.452).
fn shows(text: &str, secret: &str) -> bool {
    text.match_indices(secret).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + secret.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn a_value_inside_a_longer_number_is_not_shown() {
    assert!(shows("puntaje 9.45 del hogar", "9.45"));
    assert!(shows("\"9.45\"", "9.45"));
    assert!(!shows("10:01:09.452", "9.45"));
    assert!(!shows("19.45", "9.45"));
}

/// Text as a reader sees it: HTML and JSON escapes undone.
fn readable(body: &str) -> String {
    body.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("\\\"", "\"")
}

fn links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|piece| piece.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .collect()
}

fn worth_reading(path: &str) -> bool {
    let plain = path.split(['?', '#']).next().unwrap_or(path);
    !(plain.starts_with("/static")
        || plain.starts_with("/idioma")
        || plain.starts_with("/salida")
        || [".pdf", ".xlsx", ".xml", ".svg", ".png", ".jpg"]
            .iter()
            .any(|ext| plain.ends_with(ext))
        || plain.contains("/fotos/"))
}

/// Crawls the staff area and the staff API as the client's account; returns what it found.
async fn crawl(
    client: &mut Client,
    secrets: &[String],
    api_lists: &[String],
) -> (BTreeSet<String>, Vec<String>) {
    let mut queue: VecDeque<String> = [
        "/personal",
        "/personal/auditoria",
        "/personal/convocatorias",
        "/api/v1/audit?limit=500",
        "/api/v1/calls",
        "/api/v1/measurements",
        "/api/v1/indicator-proposals",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(api_lists.iter().cloned())
    .collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut findings = Vec::new();
    let mut read = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        let reply = client.get(&path).await;
        if reply.status != StatusCode::OK {
            continue;
        }
        read.insert(path.clone());
        let text = readable(&reply.body);
        for secret in secrets {
            if shows(&text, secret) {
                findings.push(format!("{path} shows {secret:?}"));
            }
        }
        // The API's lists come a page at a time: the next page is read too.
        let next_page = reply
            .headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix('<'))
            .and_then(|v| v.split_once('>'))
            .map(|(next, _)| next.to_owned());
        for link in links(&reply.body).into_iter().chain(next_page) {
            if worth_reading(&link) && seen.len() < 600 && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    (read, findings)
}

#[tokio::test]
async fn no_staff_page_or_api_shows_personal_data_to_a_role_that_may_not_see_it() {
    let secrets = personal_data();
    assert!(
        secrets.len() >= 25,
        "the demo has personal data to look for: {secrets:?}"
    );
    let mut report = Vec::new();
    for role in Role::ALL.iter().copied() {
        let mut client = Client::with_demo().await;
        let store = client.db.store.clone();
        reject_a_screening(&store).await;
        let mut api_lists = Vec::new();
        for call in store.calls().await.expect("calls") {
            for run in store.screening_runs(call.id).await.expect("runs") {
                api_lists.push(format!("/api/v1/screenings/{}", run.id));
                api_lists.push(format!("/api/v1/screenings/{}/results?limit=500", run.id));
            }
            api_lists.push(format!("/api/v1/calls/{}/households?limit=500", call.id));
            for household in store.households(Some(call.id)).await.expect("households") {
                api_lists.push(format!("/api/v1/households/{}", household.id));
            }
        }
        api_lists.push("/api/v1/formulations?limit=500".to_owned());
        client.log_in_as(role).await;
        let (read, findings) = crawl(&mut client, &secrets, &api_lists).await;
        assert!(read.len() > 5, "{role}: only {} pages read", read.len());
        let expected: &[&str] = if role.can(Permission::ViewAuditLog) {
            &[
                "/personal/auditoria",
                "/api/v1/audit",
                "/personal/preselecciones/",
                "/personal/hogares/",
            ]
        } else {
            &["/personal/preselecciones/", "/personal/hogares/"]
        };
        for reached in expected {
            assert!(
                read.iter().any(|p| p.starts_with(reached)),
                "{role} reached {reached}"
            );
        }
        if role.can(Permission::ViewFullDocuments) {
            // The control: the crawl does reach the data where it may be shown, the rejected
            // screening's rows included.
            for page in expected.iter().filter(|p| !p.starts_with("/personal/hogares")) {
                assert!(
                    findings.iter().any(|f| f.starts_with(page)),
                    "{role} sees personal data on {page}"
                );
            }
            for api in ["/api/v1/calls/", "/api/v1/households/"] {
                assert!(
                    findings.iter().any(|f| f.starts_with(api)),
                    "{role} sees personal data on {api}"
                );
            }
        } else {
            report.extend(findings.into_iter().map(|f| format!("{role}: {f}")));
        }
    }
    assert!(
        report.is_empty(),
        "{} findings:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// A screening rejected for a bad row whose cells are a demo household's data, so the
/// row-error table has personal data to hide.
async fn reject_a_screening(store: &vereda_store::Store) {
    use vereda_store::screening::{NewScreeningRun, RunError, RunInput, RunProgress};
    let actor = vereda_domain::audit::Actor::system("test");
    let call_id = store.calls().await.expect("calls")[0].id;
    let (run, _) = store
        .submit_screening_run(
            &actor,
            NewScreeningRun {
                call_id,
                rule_set_id: "incoder-308-2013".into(),
                rule_set_hash: "abc123".into(),
                as_of: jiff::civil::date(2013, 6, 1),
                limits: Default::default(),
                keep_going: false,
                job_key: "rejected-for-privacy".into(),
                inputs: vec![RunInput {
                    kind: "households".into(),
                    file_name: "households.csv".into(),
                    sha256: "f00".into(),
                    bytes: 10,
                    encoding: None,
                }],
            },
        )
        .await
        .expect("submit");
    store.start_screening_run(&actor, run.id).await.expect("start");
    let errors = vec![RunError {
        file: "households.csv".into(),
        line: 2,
        column: "birth_date".into(),
        value: "1.117.234.561".into(),
        // An older run's text, which quotes the value.
        message: vereda_domain::message::Message::new("row-error-legacy")
            .with("text", "not a date: 1.117.234.561"),
    }];
    let progress = RunProgress {
        bytes_read: 10,
        total_bytes: 10,
        rows: 1,
        stored: 0,
    };
    store
        .fail_screening_run(
            &actor,
            run.id,
            None,
            vereda_store::screening::RunFailure {
                message: None,
                errors,
                error_count: 1,
                progress,
            },
        )
        .await
        .expect("rejected");
}

#[tokio::test]
async fn an_administrator_answers_a_data_subject_and_rectifies_the_contact_audited() {
    use vereda_domain::audit::AuditAction;
    let mut client = Client::with_demo().await;
    let store = client.db.store.clone();
    client.log_in_as(Role::Auditor).await;
    let csrf = client.csrf().await;
    let refused = client
        .post_form(
            "/personal/administracion/titulares",
            &[("csrf_token", &csrf), ("documento", "1117234561")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    client.forget_session();
    client.log_in_as(Role::Admin).await;
    assert_eq!(
        client.get("/personal/administracion/titulares").await.status,
        StatusCode::OK
    );
    let csrf = client.csrf().await;
    let download = client
        .post_form(
            "/personal/administracion/titulares",
            &[
                ("csrf_token", &csrf),
                ("documento", "1.117.234.561"),
                ("formato", "json"),
            ],
        )
        .await;
    assert_eq!(download.status, StatusCode::OK);
    let record = download.json();
    assert_eq!(record["document"], "1117234561");
    let households = record["households"].as_array().expect("households");
    assert_eq!(households.len(), 1);
    let household = &households[0]["household"];
    assert_eq!(household["email"], "familia.cuellar@example.org");
    assert_eq!(households[0]["persons"].as_array().map(Vec::len), Some(2));
    assert!(
        record["audit_entries"].as_array().is_some_and(|e| !e.is_empty()),
        "the entries that created its records"
    );
    let id = household["id"].as_i64().expect("id").to_string();

    let page = client
        .post_form(
            "/personal/administracion/titulares",
            &[("csrf_token", &csrf), ("documento", "1117234561")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("name=\"household\" value=\"{id}\"")));

    let bad = client
        .post_form(
            "/personal/administracion/titulares/rectificacion",
            &[
                ("csrf_token", &csrf),
                ("household", &id),
                ("documento", "1117234561"),
                ("email", "no es correo"),
                ("address", "Vereda Nueva 4711"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    // The same page again, what was typed kept and the problem beside the e-mail.
    assert!(
        bad.body.contains(&format!(
            r#"id="email-{id}-errors" class="field-error" role="alert" data-problem="household-error-email""#
        )),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(r#"value="no es correo""#), "{}", bad.body);
    assert!(bad.body.contains(r#"value="Vereda Nueva 4711""#), "{}", bad.body);
    let done = client
        .post_form(
            "/personal/administracion/titulares/rectificacion",
            &[
                ("csrf_token", &csrf),
                ("household", &id),
                ("email", "maria.cuellar@example.org"),
                ("address", "Vereda Nueva, Florencia"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let household = store
        .household(id.parse().expect("id"))
        .await
        .expect("read")
        .expect("household");
    assert_eq!(household.email.as_deref(), Some("maria.cuellar@example.org"));

    let admin_entries = store
        .audit_entries(&vereda_store::audit::AuditQuery::default())
        .await
        .expect("audit");
    assert!(
        admin_entries
            .iter()
            .any(|e| e.action == AuditAction::SubjectAccess && e.entity == "data_subjects")
    );
    let update = admin_entries
        .iter()
        .find(|e| e.entity == "households" && e.entity_id == id && e.action == AuditAction::Update)
        .expect("the rectification is audited");
    assert_eq!(update.after_text("email"), Some("maria.cuellar@example.org"));
    assert_eq!(
        update.before.as_ref().and_then(|b| b["email"].as_str()),
        Some("familia.cuellar@example.org")
    );
}
