//! The verification of a call's households over HTTP: the notice and its deadline, the
//! checklist and uploads, the refusals (missing documents, type, role, stale form, double
//! submission), tacit withdrawal, the letters in the outbox and the household's history.

mod support;

use axum::http::StatusCode;
use support::Client;
use support::notice::{Setup, setup};
use vereda_domain::accounts::Role;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn notify(s: &mut Setup, date: &str) -> support::Reply {
    let token = s.client.csrf().await;
    s.client
        .post_form(
            &format!("/personal/convocatorias/{}/aviso", s.call_id),
            &[
                ("confirmed", "1"),
                ("notice_date", date),
                (
                    "text",
                    "Se comunica la oferta institucional a los hogares focalizados.",
                ),
                ("csrf_token", &token),
            ],
        )
        .await
}

async fn upload(s: &mut Setup, household: i32, kind: &str, name: &str, bytes: &[u8]) -> support::Reply {
    let token = s.client.csrf().await;
    s.client
        .post_files(
            &format!("/personal/hogares/{household}/documentos"),
            &[("csrf_token", &token), ("kind", kind)],
            &[("document", name, bytes)],
        )
        .await
}

async fn decide(s: &mut Setup, household: i32, status: &str, reasons: &str, lock: &str) -> support::Reply {
    let token = s.client.csrf().await;
    s.client
        .post_form(
            &format!("/personal/hogares/{household}/verificacion"),
            &[
                ("status", status),
                ("reasons", reasons),
                ("lock_version", lock),
                ("csrf_token", &token),
            ],
        )
        .await
}

/// Studies and visits the household's parcels so that they are suitable.
async fn make_parcel_suitable(client: &Client, household: i32) {
    use vereda_domain::parcel::SiteCondition;
    let store = &client.db.store;
    let actor = vereda_domain::audit::Actor::system("test");
    let head = store
        .household(household)
        .await
        .expect("read")
        .expect("household");
    for p in store.parcels_of(&[household]).await.expect("parcels") {
        let study = vereda_store::parcels::NewTitleStudy {
            title_record: "420-1".into(),
            owner_name: head.head_name.clone(),
            owner_document: head.head_document.clone(),
            limitations: String::new(),
            limits_use: false,
            favourable: true,
            reasons: String::new(),
            lock_version: 0,
        };
        store
            .record_title_study(&actor, household, p.parcel.id, study)
            .await
            .expect("study");
        let visit = vereda_store::parcels::NewFieldVisit {
            visit_date: jiff::civil::date(2026, 3, 4),
            latitude: rust_decimal::Decimal::new(16, 1),
            longitude: rust_decimal::Decimal::new(-756, 1),
            conditions: SiteCondition::ALL
                .iter()
                .map(|c| vereda_store::parcels::ConditionCheck {
                    condition: *c,
                    met: true,
                    notes: String::new(),
                })
                .collect(),
            lock_version: 0,
        };
        store
            .record_field_visit(&actor, household, p.parcel.id, visit)
            .await
            .expect("visit");
    }
}

fn outbox_letters(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("outbox directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_notice_sets_the_deadline_and_writes_one_letter_per_household() {
    let mut s = setup(jiff::civil::date(2026, 3, 10)).await;
    let (plain, displaced) = (s.plain, s.displaced);
    s.client.log_in_as(Role::Auditor).await;
    let page = s
        .client
        .get(&format!("/personal/convocatorias/{}/verificacion", s.call_id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"no-notice\""));
    assert!(!page.body.contains("notice-form"), "an auditor gets no form");
    let refused = notify(&mut s, "2026-03-02").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    s.client.forget_session();
    s.client.log_in_as(Role::TerritorialOfficer).await;
    let bad = notify(&mut s, "2 de marzo").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("no es una fecha"));
    let done = notify(&mut s, "2026-03-02").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let again = notify(&mut s, "2026-03-02").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("ya fue avisada"));

    let page = s
        .client
        .get(&format!("/personal/convocatorias/{}/verificacion", s.call_id))
        .await;
    assert!(page.body.contains("data-date=\"2026-03-31\""), "{}", page.body);
    assert!(page.body.contains("31 mar 2026"));
    let household = s
        .client
        .get(&format!("/personal/hogares/{}/verificacion", displaced))
        .await;
    assert!(household.body.contains("31 mar 2026"));
    assert!(household.body.contains("id=\"required-ruv\""));
    let plain = s
        .client
        .get(&format!("/personal/hogares/{}/verificacion", plain))
        .await;
    assert!(!plain.body.contains("id=\"required-ruv\""));

    let households = s
        .client
        .db
        .store
        .households(Some(s.call_id))
        .await
        .expect("households");
    let letters = outbox_letters(s.outbox.path());
    assert_eq!(letters.len(), households.len(), "{letters:?}");
    assert!(letters.iter().all(|n| n.contains("-offer-")));
    let first = std::fs::read_to_string(s.outbox.path().join(&letters[0])).expect("letter");
    assert!(first.contains("María Fernanda Cuéllar Rojas"), "{first}");
    let lang = vereda_messages::Lang::Es;
    assert!(
        first.contains(&lang.date(jiff::civil::date(2026, 3, 31))),
        "{first}"
    );
    assert!(first.contains(lang.t("verification-doc-ruv")), "{first}");
    let list = s
        .client
        .get(&format!("/personal/convocatorias/{}/comunicaciones", s.call_id))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    // The officer of Caquetá lists the letters of Caquetá's households only (territorial scope).
    let in_reach = households
        .iter()
        .filter(|h| h.municipality_code.starts_with("18"))
        .count();
    assert!(in_reach > 0 && in_reach < households.len());
    assert_eq!(list.body.matches("class=\"letter\"").count(), in_reach);
    assert!(list.body.contains("outbox"));
    assert!(list.body.contains("Enviada"));
    // Each letter comes as a PDF to print, from the call's office, in its household's name.
    let link = list
        .body
        .split("class=\"letter-pdf\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("a letter's PDF link")
        .to_owned();
    let pdf = s.client.get(&link).await;
    assert_eq!(pdf.status, StatusCode::OK, "{link}: {}", pdf.body);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    // Another household's address for the same letter: not found.
    let other = link.replacen("/hogares/", "/hogares/9", 1);
    assert_eq!(s.client.get(&other).await.status, StatusCode::NOT_FOUND);

    s.client.get("/idioma/en?next=/").await;
    let english = s
        .client
        .get(&format!("/personal/hogares/{displaced}/verificacion"))
        .await;
    assert!(english.body.contains("Deadline for the documents"));
    assert!(english.body.contains("registry (RUV) certificate"));
}

#[tokio::test]
async fn documents_are_checked_and_eligibility_needs_all_of_them() {
    let mut s = setup(jiff::civil::date(2026, 3, 10)).await;
    let (plain, displaced) = (s.plain, s.displaced);
    s.client.log_in_as(Role::TerritorialOfficer).await;
    let early = upload(&mut s, plain, "identity", "cedula.pdf", PDF).await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "no documents before the notice"
    );
    notify(&mut s, "2026-03-02").await;

    let text = upload(&mut s, plain, "identity", "cedula.pdf", b"solo texto").await;
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.body.contains("no es PDF, PNG ni JPEG"));
    let unknown = upload(&mut s, plain, "passport", "cedula.pdf", PDF).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The day received: the officer's, between the notice and today (the 10th); refused
    // otherwise, naming it, and the form comes back.
    for (day, code) in [
        ("10/03/2026", "verification-error-received_not_a_date"),
        ("2026-03-11", "verification-error-received_after_today"),
        ("2026-03-01", "verification-error-received_before_notice"),
    ] {
        let token = s.client.csrf().await;
        let refused = s
            .client
            .post_files(
                &format!("/personal/hogares/{plain}/documentos"),
                &[("csrf_token", &token), ("kind", "identity"), ("received_on", day)],
                &[("document", "cedula.pdf", PDF)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{day}");
        assert!(
            refused.body.contains(&format!(
                "id=\"received_on-errors\" class=\"field-error\" data-problem=\"{code}\""
            )),
            "{day}: {}",
            refused.body
        );
        assert!(
            refused.body.contains("id=\"document-form\""),
            "the form comes back"
        );
        assert!(
            refused
                .body
                .contains(&format!(r#"name="received_on" type="date" value="{day}""#)),
            "with the day typed"
        );
        assert!(
            refused.body.contains(r#"<option value="identity" selected>"#),
            "and the kind chosen"
        );
    }
    let form = s
        .client
        .get(&format!("/personal/hogares/{plain}/verificacion"))
        .await;
    assert!(
        form.body.contains(
            r#"name="received_on" type="date" value="2026-03-10" min="2026-03-02" max="2026-03-10""#
        ),
        "today by default, from the notice to today"
    );
    let token = s.client.csrf().await;
    let from_paper = s
        .client
        .post_files(
            &format!("/personal/hogares/{plain}/documentos"),
            &[
                ("csrf_token", &token),
                ("kind", "identity"),
                ("received_on", "2026-03-04"),
            ],
            &[("document", "cedula-papel.pdf", PDF)],
        )
        .await;
    assert_eq!(from_paper.status, StatusCode::SEE_OTHER, "{}", from_paper.body);
    let ok = upload(&mut s, plain, "identity", "cedula.pdf", PDF).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let documents = s
        .client
        .db
        .store
        .household_verification(plain, jiff::civil::date(2026, 3, 10))
        .await
        .expect("read")
        .expect("plain")
        .documents;
    let days: Vec<(String, jiff::civil::Date)> = documents
        .iter()
        .map(|d| (d.kind.to_string(), d.received_on))
        .collect();
    assert_eq!(
        days,
        [
            ("identity".to_owned(), jiff::civil::date(2026, 3, 4)),
            ("identity".to_owned(), jiff::civil::date(2026, 3, 10))
        ],
        "the day given, or today"
    );
    let too_big = [PDF, &vec![b'x'; 20 * 1024 * 1024]].concat();
    let refused = upload(&mut s, plain, "sisben", "grande.pdf", &too_big).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    let page = s
        .client
        .get(&format!("/personal/hogares/{plain}/verificacion"))
        .await;
    let link = format!("/personal/hogares/{plain}/documentos/");
    let start = page.body.find(&link).expect("a link to the document");
    let href: String = page.body[start..].chars().take_while(|c| *c != '"').collect();
    let file = s.client.get(&href).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.content_type, "application/pdf");
    assert!(file.body.starts_with("%PDF-1.4"));

    let missing = decide(&mut s, plain, "eligible", "", "0").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.body.contains("Certificado del Sisbén"),
        "names the missing documents"
    );
    assert!(missing.body.contains("Folio de matrícula"));
    let png = b"\x89PNG\r\n\x1a\n0000";
    assert_eq!(
        upload(&mut s, plain, "sisben", "sisben.png", png).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        upload(
            &mut s,
            plain,
            "title_record",
            "folio.jpg",
            b"\xFF\xD8\xFF\xE0rest"
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    // Its parcel is not studied nor visited yet (Art. 12-13): refused, naming the parcel.
    let unstudied = decide(&mut s, plain, "eligible", "", "0").await;
    assert_eq!(unstudied.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unstudied.body.contains("mientras su predio no sea apto"),
        "{}",
        unstudied.body
    );
    assert!(unstudied.body.contains("falta el estudio de títulos (Art. 12)"));
    make_parcel_suitable(&s.client, plain).await;
    let eligible = decide(&mut s, plain, "eligible", "", "0").await;
    assert_eq!(eligible.status, StatusCode::SEE_OTHER, "{}", eligible.body);
    let parcel = s.client.db.store.parcels_of(&[plain]).await.expect("parcels")[0]
        .parcel
        .id;
    let token = s.client.csrf().await;
    let frozen = s
        .client
        .post_form(
            &format!("/personal/hogares/{plain}/predios/{parcel}/titulos"),
            &[
                ("csrf_token", token.as_str()),
                ("lock_version", "1"),
                ("title_record", "420-1"),
                ("owner_name", "Otra persona"),
                ("limits_use", "no"),
                ("result", "favourable"),
            ],
        )
        .await;
    assert_eq!(
        frozen.status,
        StatusCode::CONFLICT,
        "a decided household's parcel changes no more"
    );
    assert!(frozen.body.contains("ya está decidida"), "{}", frozen.body);
    let double = decide(&mut s, plain, "eligible", "", "0").await;
    assert_eq!(double.status, StatusCode::CONFLICT, "a double submission");
    assert!(double.body.contains("Otra persona cambió"));
    let page = s
        .client
        .get(&format!("/personal/hogares/{}/verificacion", plain))
        .await;
    assert!(page.body.contains("data-status=\"eligible\""));
    assert!(!page.body.contains("decision-form"));
    let after = upload(&mut s, plain, "identity", "otra.pdf", PDF).await;
    assert_eq!(after.status, StatusCode::CONFLICT);

    let no_reasons = decide(&mut s, displaced, "not_eligible", " ", "0").await;
    assert_eq!(no_reasons.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reasons
            .body
            .contains(r#"<option value="not_eligible" selected>"#),
        "the decision chosen comes back"
    );
    let stale = decide(
        &mut s,
        displaced,
        "not_eligible",
        "El predio está en reserva forestal",
        "7",
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale
            .body
            .contains(">El predio está en reserva forestal</textarea>"),
        "the reasons typed come back"
    );
    // A parcel refused for its fields comes back as typed, each problem beside its field.
    let token = s.client.csrf().await;
    let parcel = s
        .client
        .post_form(
            &format!("/personal/hogares/{displaced}/predios"),
            &[
                ("csrf_token", &token),
                ("name", ""),
                ("vereda", "La Esmeralda"),
                ("area_ha", "-2"),
                ("land_tenure", "tenant"),
            ],
        )
        .await;
    assert_eq!(parcel.status, StatusCode::UNPROCESSABLE_ENTITY);
    for expected in [
        r#"id="parcel-name-errors" class="field-error" data-problem="parcel-error-required""#,
        r#"id="parcel-area-errors" class="field-error" data-problem="parcel-error-area""#,
        r#"name="vereda" value="La Esmeralda""#,
        r#"<option value="tenant" selected>"#,
    ] {
        assert!(parcel.body.contains(expected), "{expected}");
    }
    let not_eligible = decide(
        &mut s,
        displaced,
        "not_eligible",
        "El predio está en reserva forestal",
        "0",
    )
    .await;
    assert_eq!(not_eligible.status, StatusCode::SEE_OTHER);
    let letters = outbox_letters(s.outbox.path());
    let results: Vec<&String> = letters
        .iter()
        .filter(|n| n.contains("-verification_result-"))
        .collect();
    assert_eq!(results.len(), 2, "{letters:?}");
    let negative = results
        .iter()
        .map(|n| std::fs::read_to_string(s.outbox.path().join(n)).expect("letter"))
        .find(|body| body.contains("no cumple"))
        .expect("the negative letter");
    assert!(negative.contains("reserva forestal"));

    let history = s
        .client
        .get(&format!("/personal/hogares/{}/historia", plain))
        .await;
    assert_eq!(history.status, StatusCode::OK);
    for expected in [
        "Registro del hogar",
        "Aviso de la oferta",
        "Documento recibido",
        "Verificación",
        "Comunicación",
    ] {
        assert!(history.body.contains(expected), "history lacks {expected}");
    }
    let first = history.body.find("Registro del hogar").expect("created");
    let last = history.body.rfind("Verificación").expect("verification");
    assert!(first < last, "in order");
}

#[tokio::test]
async fn tacit_withdrawal_is_flagged_after_the_deadline_and_confirmed_with_reasons() {
    let mut s = setup(jiff::civil::date(2026, 4, 2)).await;
    let (plain, displaced) = (s.plain, s.displaced);
    s.client.log_in_as(Role::TerritorialOfficer).await;
    notify(&mut s, "2026-03-02").await;
    let page = s
        .client
        .get(&format!("/personal/convocatorias/{}/verificacion", s.call_id))
        .await;
    assert!(page.body.contains("withdrawal-due"));
    let household = s
        .client
        .get(&format!("/personal/hogares/{}/verificacion", plain))
        .await;
    assert!(household.body.contains("value=\"withdrawn\""));
    // Allowed after the deadline until the withdrawal is confirmed.
    assert_eq!(
        upload(&mut s, plain, "identity", "cedula.pdf", PDF).await.status,
        StatusCode::SEE_OTHER
    );
    let silent = decide(&mut s, plain, "withdrawn", "", "0").await;
    assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confirmed = decide(
        &mut s,
        plain,
        "withdrawn",
        "Vencido el término sin el Sisbén ni el folio",
        "0",
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.body);
    let after = upload(&mut s, plain, "sisben", "sisben.pdf", PDF).await;
    assert_eq!(after.status, StatusCode::CONFLICT);
    assert!(after.body.contains("Desistimiento tácito"));
    let letters = outbox_letters(s.outbox.path());
    let withdrawal = letters
        .iter()
        .find(|n| n.contains("-withdrawal-"))
        .expect("withdrawal letter");
    let body = std::fs::read_to_string(s.outbox.path().join(withdrawal)).expect("letter");
    assert!(body.contains("José Arley Trujillo Muñoz"));
    assert!(body.contains("Vencido el término sin el Sisbén ni el folio"));
    let history = s
        .client
        .get(&format!("/personal/hogares/{}/historia", plain))
        .await;
    assert!(history.body.contains("Desistimiento tácito"));
    // A formulator reads but may not decide, nor open the documents.
    s.client.forget_session();
    s.client.log_in_as(Role::Formulator).await;
    let page = s
        .client
        .get(&format!("/personal/hogares/{plain}/verificacion"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/documentos/"), "no links to the documents");
    assert_eq!(
        s.client
            .get(&format!("/personal/hogares/{plain}/documentos/1"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let refused = decide(&mut s, displaced, "withdrawn", "x", "0").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// What the test's SMTP server received: the envelope's recipients and the message.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>;

/// A tiny SMTP server: 220, EHLO/HELO, MAIL, RCPT, DATA up to ".", QUIT; keeps each message.
async fn smtp_server() -> (String, Received) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("address"));
    let received = Received::default();
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let (mut rcpt, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line == "." {
                            in_data = false;
                            store
                                .lock()
                                .expect("lock")
                                .push((std::mem::take(&mut rcpt), std::mem::take(&mut data)));
                            b"250 2.0.0 queued as 1\r\n"
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                            continue;
                        }
                    } else {
                        let upper = line.to_ascii_uppercase();
                        if upper.starts_with("RCPT TO:") {
                            rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 ok\r\n"
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (url, received)
}

/// The text of `=?utf-8?b?…?=` words (RFC 2047) in a header, decoded.
fn decoded_header(message: &str, name: &str) -> String {
    let mut header = String::new();
    let mut lines = message.lines().skip_while(|l| !l.starts_with(name));
    if let Some(first) = lines.next() {
        header.push_str(&first[name.len()..]);
        for more in lines.take_while(|l| l.starts_with(' ')) {
            header.push_str(more);
        }
    }
    let (mut out, mut previous_encoded) = (Vec::new(), false);
    for word in header.split_whitespace() {
        let encoded = word.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?="));
        // Whitespace between two encoded words is not part of the text.
        if !(out.is_empty() || previous_encoded && encoded.is_some()) {
            out.push(b' ');
        }
        previous_encoded = encoded.is_some();
        match encoded {
            Some(b64) => out.extend(base64_decode(b64)),
            None => out.extend(word.bytes()),
        }
    }
    String::from_utf8(out).expect("utf-8 header")
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut bits, mut count, mut out) = (0u32, 0, Vec::new());
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET.iter().position(|a| *a == byte).expect("base64") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[tokio::test]
async fn with_smtp_configured_letters_to_households_with_an_email_go_by_smtp() {
    let (url, received) = smtp_server().await;
    let settings = vereda_web::WebConfig {
        smtp: Some(vereda_web::letters::Smtp::parse(&url, None).expect("smtp url")),
        ..Default::default()
    };
    let mut s = support::notice::setup_with(jiff::civil::date(2026, 3, 10), settings).await;
    let call_id = s.call_id;
    let households = s
        .client
        .db
        .store
        .households(Some(call_id))
        .await
        .expect("households");
    let with_email = households.iter().filter(|h| h.email.is_some()).count();
    assert_eq!(with_email, 3);
    s.client.log_in_as(Role::TerritorialOfficer).await;
    let done = notify(&mut s, "2026-03-02").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let messages = received.lock().expect("lock").clone();
    assert_eq!(
        messages.len(),
        with_email,
        "one message per household with an e-mail"
    );
    let (rcpt, message) = messages
        .iter()
        .find(|(rcpt, _)| rcpt.contains(&"familia.cuellar@example.org".to_owned()))
        .expect("the Cuéllar family's letter");
    assert_eq!(rcpt.len(), 1);
    let subject = decoded_header(message, "Subject:");
    assert!(
        subject.starts_with("Oferta institucional: convocatoria"),
        "{subject}"
    );
    assert_eq!(
        outbox_letters(s.outbox.path()).len(),
        households.len() - with_email
    );
    let letters = s.client.db.store.call_letters(call_id).await.expect("letters");
    assert_eq!(
        letters
            .iter()
            .filter(|l| l.channel == "smtp" && l.status == "sent")
            .count(),
        with_email
    );
    assert!(letters.iter().all(|l| l.status == "sent"));
    // The text as sent is kept with each letter, beside the facts it was written from.
    assert!(
        letters
            .iter()
            .all(|l| l.facts.is_some() && l.sent.as_ref().is_some_and(|t| t.subject.starts_with(&subject)))
    );
}

#[tokio::test]
async fn a_failed_smtp_send_falls_back_to_the_outbox_and_says_so() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("smtp://{}", closed.local_addr().expect("address"));
    drop(closed);
    let settings = vereda_web::WebConfig {
        smtp: Some(vereda_web::letters::Smtp::parse(&url, None).expect("smtp url")),
        ..Default::default()
    };
    let mut s = support::notice::setup_with(jiff::civil::date(2026, 3, 10), settings).await;
    let call_id = s.call_id;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    let done = notify(&mut s, "2026-03-02").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let letters = s.client.db.store.call_letters(call_id).await.expect("letters");
    assert_eq!(outbox_letters(s.outbox.path()).len(), letters.len());
    let fallen: Vec<_> = letters.iter().filter(|l| l.email.is_some()).collect();
    assert_eq!(fallen.len(), 3);
    for letter in fallen {
        assert_eq!(
            (letter.channel.as_str(), letter.status.as_str()),
            ("outbox", "sent")
        );
        assert!(
            letter.error.as_deref().is_some_and(|e| e.starts_with("smtp:")),
            "{letter:?}"
        );
    }
    // The letters page frames the mail server's words in the catalogue's.
    let page = s
        .client
        .get(&format!("/personal/convocatorias/{call_id}/comunicaciones"))
        .await;
    // (The officer sees the households of the office's department: two of the three.)
    assert_eq!(page.body.matches("class=\"problem\"").count(), 2, "{}", page.body);
}

#[tokio::test]
async fn a_household_from_a_screened_registry_declares_its_parcel_on_its_page() {
    let mut s = setup(jiff::civil::date(2026, 3, 10)).await;
    s.client.log_in_as(Role::TerritorialOfficer).await;
    assert_eq!(notify(&mut s, "2026-03-02").await.status, StatusCode::SEE_OTHER);
    let new = registry_household(s.call_id, 1);
    let actor = vereda_domain::audit::Actor::system("test");
    let id = s
        .client
        .db
        .store
        .create_household(&actor, new)
        .await
        .expect("stored")
        .id;
    let page = s
        .client
        .get(&format!("/personal/hogares/{id}/verificacion"))
        .await;
    assert!(page.body.contains("id=\"parcels-none\""));
    assert!(page.body.contains("id=\"parcel-form\""));

    let add = async |s: &mut Setup, fields: &[(&str, &str)]| {
        let token = s.client.csrf().await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        s.client
            .post_form(&format!("/personal/hogares/{id}/predios"), &all)
            .await
    };
    let bad = add(
        &mut s,
        &[("name", " "), ("area_ha", "0"), ("land_tenure", "feudo")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Each problem beside its field, by its code.
    for (field, code) in [
        ("parcel-name", "parcel-error-required"),
        ("parcel-area", "parcel-error-area"),
        ("parcel-tenure", "parcel-error-choose"),
    ] {
        let beside = format!(r#"id="{field}-errors" class="field-error" data-problem="{code}""#);
        assert!(bad.body.contains(&beside), "{beside}");
    }
    let store = &s.client.db.store;
    assert!(
        store.parcels_of(&[id]).await.expect("parcels").is_empty(),
        "nothing stored"
    );

    let added = add(
        &mut s,
        &[
            ("name", "El Recreo"),
            ("vereda", "La Arenosa"),
            ("area_ha", "2,5"),
            ("land_tenure", "owner"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let parcels = s.client.db.store.parcels_of(&[id]).await.expect("parcels");
    assert_eq!(parcels.len(), 1);
    assert_eq!(parcels[0].parcel.area_ha, Some(rust_decimal::Decimal::new(25, 1)));
    assert_eq!(parcels[0].parcel.municipality_code, "18001");
    let location = added.location.expect("redirect");
    assert_eq!(
        location,
        format!("/personal/hogares/{id}/predios/{}", parcels[0].parcel.id)
    );
    assert!(s.client.get(&location).await.body.contains("El Recreo"));
    let page = s
        .client
        .get(&format!("/personal/hogares/{id}/verificacion"))
        .await;
    assert!(page.body.contains("id=\"parcels\""));

    s.client.get("/idioma/en?next=/").await;
    let english = add(
        &mut s,
        &[("name", "Otro"), ("area_ha", "-1"), ("land_tenure", "owner")],
    )
    .await;
    assert_eq!(english.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        english
            .body
            .contains(r#"data-problem="parcel-error-area">The area must be greater than zero."#),
        "beside the field, in English"
    );
}

/// A household of the demo call with nothing but its head, as a screened registry brings it.
fn registry_household(call_id: i32, n: usize) -> vereda_store::households::NewHousehold {
    serde_json::from_value(serde_json::json!({
        "call_id": call_id,
        "external_id": format!("REG-{n:05}"),
        "municipality": "18001",
        "displaced": false,
        "ethnic_group": "none",
        "ethnic_community_registered": false,
        "program_line": "general",
        "members": [{ "document_type": "CC", "document": format!("{}", 50_000_000 + n),
                      "first_name": "Hogar", "last_name": format!("{n}"), "sex": "F", "is_head": true }],
    }))
    .expect("household")
}

#[tokio::test]
async fn a_notice_to_a_large_call_answers_at_once_and_its_letters_follow() {
    let mut s = setup(jiff::civil::date(2026, 3, 10)).await;
    let actor = vereda_domain::audit::Actor::system("test");
    let extra = vereda_web::letters::LETTERS_SENT_WHILE_WAITING + 10;
    for n in 0..extra {
        let new = registry_household(s.call_id, n);
        s.client
            .db
            .store
            .create_household(&actor, new)
            .await
            .expect("household");
    }
    let households = s
        .client
        .db
        .store
        .households(Some(s.call_id))
        .await
        .expect("households");
    s.client.log_in_as(Role::TerritorialOfficer).await;
    assert_eq!(notify(&mut s, "2026-03-02").await.status, StatusCode::SEE_OTHER);
    // The page answered before every letter went out; they follow in the background.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let letters = s.client.db.store.call_letters(s.call_id).await.expect("letters");
        assert_eq!(letters.len(), households.len());
        if letters.iter().all(|l| l.status == "sent") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "letters still pending after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(outbox_letters(s.outbox.path()).len(), households.len());
}

#[tokio::test]
async fn letters_left_pending_by_a_stopped_server_are_delivered_at_start() {
    let s = setup(jiff::civil::date(2026, 3, 10)).await;
    let store = &s.client.db.store;
    let actor = vereda_domain::audit::Actor::system("test");
    // The demo's answer to its petition waits too (seeding delivers nothing).
    let waiting = store.pending_letters(100_000).await.expect("pending").len();
    // The notice is stored with its letters, and the server stops before delivering them.
    let (_, letters) = store
        .record_offer_notice(&actor, s.call_id, jiff::civil::date(2026, 3, 2), "Aviso")
        .await
        .expect("notice");
    assert!(!letters.is_empty());
    assert_eq!(
        store.pending_letters(100_000).await.expect("pending").len(),
        letters.len() + waiting
    );
    let config = vereda_web::WebConfig {
        outbox_dir: Some(s.outbox.path().to_path_buf()),
        ..Default::default()
    };
    let uploads =
        vereda_web::uploads::Uploads::for_store(store, None).expect("the uploads beside the SQLite file");
    vereda_web::letters::Outbox::configured(&config, &uploads)
        .resume_pending(store)
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // Claimed letters leave the pending list before they are sent: wait for every one sent.
    let unsent = || async {
        use sea_orm::ConnectionTrait;
        let row = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                store.backend(),
                "SELECT COUNT(*) AS n FROM letters WHERE status = 'pending'",
            ))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    };
    while unsent().await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "letters still pending after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(outbox_letters(s.outbox.path()).len(), letters.len() + waiting);
}
