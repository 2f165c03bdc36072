//! Citizens' petitions (PQRSD, Ley 1755 de 2015) over HTTP: a citizen files one without an
//! account, the office's staff answer it, the public report counts it; the limit per client
//! address and of the attachment; the public pages never show the petitioner.

mod support;

use axum::http::StatusCode;
use jiff::civil::date;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_messages::Lang;

const NAME: &str = "Rosalba Pinzón Garzón";
const EMAIL: &str = "rosalba.pinzon@correo.invalid";
const DOCUMENT: &str = "1117234561";

fn config(outbox: &std::path::Path) -> vereda_web::WebConfig {
    vereda_web::WebConfig {
        // Wednesday 1 July 2026: 13 July (Ley 2578 de 2026) and 20 July are holidays.
        today: Some(date(2026, 7, 1)),
        outbox_dir: Some(outbox.to_path_buf()),
        ..Default::default()
    }
}

fn fields<'a>(csrf: &'a str, kind: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("kind", kind),
        ("petitioner_name", NAME),
        ("petitioner_document", DOCUMENT),
        ("email", EMAIL),
        ("postal_address", ""),
        ("municipality", "18001"),
        ("subject", "Visita al predio"),
        (
            "text",
            "Solicito que la dirección territorial programe la visita de campo.",
        ),
    ]
}

/// Files a petition through the public form; the reply is the receipt or a refusal.
async fn file(client: &mut Client, kind: &str, attachment: &[u8]) -> support::Reply {
    let form = client.get("/peticiones/nueva").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = Client::csrf_in(&form.body);
    let files: Vec<(&str, &str, &[u8])> = if attachment.is_empty() {
        Vec::new()
    } else {
        vec![("attachment", "soporte.pdf", attachment)]
    };
    client
        .post_files("/peticiones/nueva", &fields(&csrf, kind), &files)
        .await
}

fn assert_no_petitioner(page: &str) {
    for personal in [NAME, EMAIL, DOCUMENT, "Rosalba", "Marta Lucía Quintero"] {
        assert!(!page.contains(personal), "a public page shows {personal}");
    }
}

#[tokio::test]
async fn a_citizen_files_the_office_answers_and_the_report_counts_it() {
    let outbox = tempfile::tempdir().expect("outbox");
    let mut citizen = Client::with_demo_and(config(outbox.path())).await;
    let receipt = file(&mut citizen, "general", b"%PDF-1.4 soporte").await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    // The demo's petition of March is the year's first.
    assert!(
        receipt.body.contains("id=\"petition-number\">PQRSD-2026-000002<"),
        "{}",
        receipt.body
    );
    // 15 business days from 1 July 2026, skipping 13 and 20 July: 24 July.
    assert!(
        receipt.body.contains(&Lang::Es.date(date(2026, 7, 24))),
        "{}",
        receipt.body
    );
    assert_no_petitioner(&receipt.body);

    // The Caquetá officer sees it in the queue, with its days left, and answers it.
    let mut client = citizen;
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let queue = client.get("/personal/peticiones").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains("PQRSD-2026-000002"), "{}", queue.body);
    let id = queue
        .body
        .split("<tr id=\"petition-")
        .skip(1)
        .find(|row| row.contains("PQRSD-2026-000002"))
        .and_then(|row| row.split('"').next())
        .expect("the row")
        .to_owned();
    let row = queue
        .body
        .split(&format!("<tr id=\"petition-{id}\""))
        .nth(1)
        .expect("row");
    // Today, 1 July: 2, 3, 6-10, 14-17, 21-24 July are the 15 business days left.
    assert!(row.contains("data-state=\"received\""), "{row}");
    assert!(row.contains("<td class=\"days-left\">15"), "{row}");
    let page = client.get(&format!("/personal/peticiones/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(NAME),
        "the staff who answer see the petitioner"
    );
    let csrf = Client::csrf_in(&page.body);
    // No answer yet, no letter to print.
    assert!(!page.body.contains("id=\"petition-answer-pdf\""));
    let pdf_address = format!("/personal/peticiones/{id}/respuesta.pdf");
    assert_eq!(client.get(&pdf_address).await.status, StatusCode::NOT_FOUND);
    let answered = client
        .post_form(
            &format!("/personal/peticiones/{id}/respuesta"),
            &[
                ("csrf_token", &csrf),
                ("answer", "La visita queda programada para el 15 de julio."),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let page = client.get(&format!("/personal/peticiones/{id}")).await;
    assert!(page.body.contains("data-state=\"answered\""), "{}", page.body);
    // The answer's letter, to print and send by post, from the page's link.
    assert!(
        page.body
            .contains(&format!("id=\"petition-answer-pdf\" href=\"{pdf_address}\"")),
        "{}",
        page.body
    );
    let pdf = client.get(&pdf_address).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    // The answer went out as a letter, to the outbox (no SMTP here).
    let letters: Vec<String> = std::fs::read_dir(outbox.path())
        .expect("outbox")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.contains("petition_answer"))
        .collect();
    assert_eq!(letters.len(), 1, "{letters:?}");
    let again = client
        .post_form(
            &format!("/personal/peticiones/{id}/respuesta"),
            &[("csrf_token", &csrf), ("answer", "Otra vez")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains("data-problem=\"petition-error-answered\""),
        "{}",
        again.body
    );

    // A role that does not answer petitions does not see them.
    client.forget_session();
    client.log_in_as(Role::Formulator).await;
    assert_eq!(
        client.get("/personal/peticiones").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client.get(&format!("/personal/peticiones/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(client.get(&pdf_address).await.status, StatusCode::FORBIDDEN);

    // The public report counts it (and the demo's of March), with no personal data.
    client.forget_session();
    let report = client.get("/peticiones/informe").await;
    assert_eq!(report.status, StatusCode::OK);
    let july = report
        .body
        .split("id=\"month-2026-07\"")
        .nth(1)
        .expect("July")
        .split("</tr>")
        .next()
        .expect("row");
    assert!(july.contains("<td class=\"received\">1</td><td class=\"on-time\">1</td><td class=\"late\">0</td><td class=\"pending\">0</td>"), "{july}");
    assert!(report.body.contains("id=\"month-2026-03\""), "{}", report.body);
    assert_no_petitioner(&report.body);
    let english = client.get("/idioma/en?next=/peticiones/informe").await;
    assert!(english.status.is_redirection());
    assert_no_petitioner(&client.get("/peticiones/informe").await.body);
    assert_no_petitioner(&client.get("/").await.body);
}

#[tokio::test]
async fn filings_are_limited_per_address_and_attachments_by_size() {
    let outbox = tempfile::tempdir().expect("outbox");
    let mut client = Client::with_demo_and(vereda_web::WebConfig {
        petitions_per_hour: Some(2),
        petition_attachment_bytes: Some(1024 * 1024),
        ..config(outbox.path())
    })
    .await;
    let too_large = file(&mut client, "documents", &vec![b'a'; 1024 * 1024 + 1]).await;
    assert_eq!(
        too_large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_large.body
    );
    assert!(
        too_large.body.contains("petition-error-attachment_too_large"),
        "{}",
        too_large.body
    );
    for _ in 0..2 {
        assert_eq!(file(&mut client, "documents", b"").await.status, StatusCode::OK);
    }
    let third = file(&mut client, "documents", b"").await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS, "{}", third.body);
    assert!(
        third.body.contains("data-problem=\"petition-error-too_many\""),
        "{}",
        third.body
    );
    assert!(third.headers.contains_key("retry-after"));
    // Refused fields are said and the form keeps what was typed, never anything half-filed.
    let mut fresh = Client::with_demo_and(config(outbox.path())).await;
    let form = fresh.get("/peticiones/nueva").await;
    let csrf = Client::csrf_in(&form.body);
    let mut without_contact = fields(&csrf, "general");
    without_contact.retain(|(name, _)| *name != "email");
    let refused = fresh.post_files("/peticiones/nueva", &without_contact, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("data-problem=\"petition-error-contact\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Visita al predio"));
    // Without the session's token, nothing is filed.
    let forged = fresh
        .post_files("/peticiones/nueva", &fields("forged", "general"), &[])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_api_files_lists_and_extends_once() {
    let outbox = tempfile::tempdir().expect("outbox");
    let mut client = Client::with_demo_and(config(outbox.path())).await;
    let mut api_fields = fields("", "consultation");
    api_fields.retain(|(name, _)| *name != "csrf_token");
    let filed = client.post_files("/api/v1/petitions", &api_fields, &[]).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let receipt = filed.json();
    assert_eq!(receipt["number"], "PQRSD-2026-000002");
    assert_eq!(receipt["term_business_days"], 30);
    assert_no_petitioner(&filed.body);
    let id = receipt["id"].as_i64().expect("id");
    assert_eq!(
        client.get("/api/v1/petitions").await.status,
        StatusCode::UNAUTHORIZED
    );
    let report = client.get("/api/v1/petitions/report").await;
    assert_eq!(report.status, StatusCode::OK);
    assert_no_petitioner(&report.body);

    client.log_in_as(Role::ProgramOfficer).await;
    let csrf = client.csrf().await;
    let list = client.get("/api/v1/petitions").await.json();
    let listed = list
        .as_array()
        .expect("a list")
        .iter()
        .find(|p| p["id"].as_i64() == Some(id))
        .expect("listed");
    assert_eq!(listed["petitioner_name"], NAME);
    assert_eq!(listed["days_left"], 30);
    let path = format!("/api/v1/petitions/{id}/extension");
    let beyond = serde_json::json!({"new_deadline": "2027-01-01", "motivation": "Concepto jurídico"});
    let refused = client.send_json("POST", &path, Some(&csrf), Some(&beyond)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["code"], "petition-error-extension_too_long");
    let body = serde_json::json!({"new_deadline": "2026-09-01", "motivation": "Concepto jurídico"});
    let extended = client.send_json("POST", &path, Some(&csrf), Some(&body)).await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.body);
    assert_eq!(extended.json()["state"], "extended");
    let twice = client.send_json("POST", &path, Some(&csrf), Some(&body)).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.json()["code"], "petition-error-extended_twice");
    let no_csrf = client.send_json("POST", &path, None, Some(&body)).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let answered = client
        .send_json(
            "POST",
            &format!("/api/v1/petitions/{id}/answer"),
            Some(&csrf),
            Some(&serde_json::json!({"answer": "Adjuntamos el concepto."})),
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(answered.json()["state"], "answered");
}

/// A refused extension comes back on the same page, at 422, with the new date and the
/// motivation as typed and the problem's code beside the date's field; never the error page.
#[tokio::test]
async fn a_refused_extension_shows_the_form_again_with_its_values() {
    let outbox = tempfile::tempdir().expect("outbox");
    let mut client = Client::with_demo_and(config(outbox.path())).await;
    let receipt = file(&mut client, "general", b"").await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let queue = client.get("/personal/peticiones").await;
    let id = queue
        .body
        .split("<tr id=\"petition-")
        .skip(1)
        .find(|row| row.contains("PQRSD-2026-000002"))
        .and_then(|row| row.split('"').next())
        .expect("the row")
        .to_owned();
    let page = client.get(&format!("/personal/peticiones/{id}")).await;
    let csrf = Client::csrf_in(&page.body);
    let motivation = "Se necesita una visita de campo antes de responder.";
    for (typed, code) in [
        ("el lunes", "petition-error-date"),
        ("2026-07-02", "petition-error-extension_not_later"),
    ] {
        let refused = client
            .post_form(
                &format!("/personal/peticiones/{id}/prorroga"),
                &[
                    ("csrf_token", &csrf),
                    ("new_deadline", typed),
                    ("motivation", motivation),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains(&format!(
                r#"id="new_deadline-errors" class="field-error" data-problem="{code}""#
            )),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains(&format!(r#"value="{typed}""#)),
            "the date as typed: {}",
            refused.body
        );
        assert!(refused.body.contains(motivation), "the motivation as typed");
        assert!(refused.body.contains(r#"id="extend-form""#), "the same page");
    }
}
