//! The acts' verification (Ley 1437 de 2011): a signed resolution found by its code and by its
//! exact PDF on the public page and over the API, with no personal data; an unknown code, a
//! file that is not one of ours and one over the limit.

mod support;

use axum::http::StatusCode;
use support::Client;
use support::procedure::{account_id, assign_office, viable};
use vereda_domain::accounts::Role;
use vereda_domain::acts::ActKind;

/// The cocoa formulation awarded through the page by the director of Nariño (which signs the
/// resolution): its id, the act's code and the exact bytes signed.
async fn signed_award(client: &mut Client) -> (i32, String, Vec<u8>) {
    let id = viable(client).await;
    let director = account_id(client, Role::TerritorialDirector).await;
    assign_office(client, director, "Nariño").await;
    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    let page = client
        .get(&format!("/personal/formulaciones/{id}/procedimiento"))
        .await;
    let token = Client::csrf_in(&page.body);
    let address = format!("/personal/formulaciones/{id}/adjudicacion");
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("awarded_on", "2013-10-15"),
        ("motivation", "Concepto positivo del comité"),
        ("institute_contribution", ""),
        ("lowering_motivation", ""),
        ("obligations", ""),
    ];
    // An amount that is none: refused beside its field before any question.
    let mut typo = fields.clone();
    typo[3] = ("institute_contribution", "treinta millones");
    let refused = client.post_form(&address, &typo).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("data-confirm="), "{}", refused.body);
    assert!(
        refused.body.contains("value=\"treinta millones\""),
        "{}",
        refused.body
    );
    // Unconfirmed: the question names the project, the amount, its families and letters.
    let asked = client.post_form(&address, &fields).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains(r#"data-confirm="confirm-award""#),
        "{}",
        asked.body
    );
    let store = &client.db.store;
    assert_eq!(
        store.award_of(id).await.expect("read"),
        None,
        "nothing awarded yet"
    );
    let actor = vereda_domain::audit::Actor::User {
        id: account_id(client, Role::TerritorialDirector).await,
        email: vereda_store::demo::demo_email(Role::TerritorialDirector),
    };
    let preview = client
        .db
        .store
        .award_preview(&actor, id, None)
        .await
        .expect("preview");
    assert!(
        asked
            .body
            .contains(&format!("data-count=\"{}\"", preview.letters)),
        "{}",
        asked.body
    );
    assert!(asked.body.contains(&preview.code), "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&vereda_messages::Lang::Es.amount(&preview.institute_contribution)),
        "{}",
        asked.body
    );
    fields.push(("confirmed", "1"));
    let awarded = client.post_form(&address, &fields).await;
    assert_eq!(awarded.status, StatusCode::SEE_OTHER, "{}", awarded.body);
    let store = &client.db.store;
    let award = store.award_of(id).await.expect("read").expect("awarded");
    assert_eq!(
        (award.institute_contribution, award.families),
        (preview.institute_contribution, preview.families)
    );
    let act = store
        .signed_act(ActKind::Award, award.id)
        .await
        .expect("read")
        .expect("the resolution is signed with the award");
    let bytes = store
        .signed_pdf(ActKind::Award, award.id)
        .await
        .expect("read")
        .expect("its PDF");
    (id, act.code, bytes)
}

#[tokio::test]
async fn a_signed_act_is_verified_by_its_code_and_its_exact_pdf() {
    let mut client = Client::with_demo().await;
    let (id, code, bytes) = signed_award(&mut client).await;
    assert_eq!(code.len(), 10);
    assert!(bytes.starts_with(b"%PDF-"));
    // The download is the signed act, byte for byte, and carries its verification address.
    let download = client
        .get(&format!("/personal/formulaciones/{id}/resolucion.pdf"))
        .await;
    assert_eq!(download.body, String::from_utf8_lossy(&bytes));
    let director_email = client
        .db
        .store
        .account(account_id(&client, Role::TerritorialDirector).await)
        .await
        .expect("read")
        .expect("director")
        .email;

    // Anyone, without an account.
    client.forget_session();
    let page = client.get(&format!("/verificar/{code}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"id="act-number">DT-NAR-2013-001<"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-status="in_force""#), "{}", page.body);
    assert!(!page.body.contains(&director_email), "no e-mail: {}", page.body);
    assert!(!page.body.contains("TUM-001"), "no family: {}", page.body);
    // Typed as a person would: lower case, an O for a zero.
    let typed = client
        .get(&format!("/verificar?codigo={}", code.to_lowercase()))
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        typed.location.as_deref(),
        Some(format!("/verificar/{code}").as_str())
    );
    let lower = client.get(&format!("/verificar/{}", code.to_lowercase())).await;
    assert_eq!(lower.status, StatusCode::OK);

    let unknown = client.get("/verificar/ZZZZZZZZZZ").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert!(
        unknown.body.contains(r#"data-outcome="unknown_code""#),
        "{}",
        unknown.body
    );

    let form = client.get("/verificar").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let matches = client
        .post_multipart("/verificar", &[], ("resolucion.pdf", &bytes))
        .await;
    assert_eq!(matches.status, StatusCode::OK, "{}", matches.body);
    assert!(
        matches.body.contains(r#"data-outcome="matches""#),
        "{}",
        matches.body
    );
    assert!(matches.body.contains(&code), "{}", matches.body);
    let mut altered = bytes.clone();
    altered.extend_from_slice(b"\n% otro\n");
    let not_ours = client
        .post_multipart("/verificar", &[], ("resolucion.pdf", &altered))
        .await;
    assert_eq!(not_ours.status, StatusCode::OK, "{}", not_ours.body);
    assert!(
        not_ours.body.contains(r#"data-outcome="not_ours""#),
        "{}",
        not_ours.body
    );
    let mut large = b"%PDF-1.7\n".to_vec();
    large.resize(21 * 1024 * 1024, b' ');
    let too_large = client
        .post_multipart("/verificar", &[], ("grande.pdf", &large))
        .await;
    assert_eq!(
        too_large.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        too_large.body
    );

    // The API says the same.
    let act = client.get(&format!("/api/v1/acts/{code}")).await;
    assert_eq!(act.status, StatusCode::OK, "{}", act.body);
    let json = act.json();
    assert_eq!(json["number"], "DT-NAR-2013-001");
    assert_eq!(json["kind"], "award");
    assert_eq!(json["status"], "in_force");
    assert!(json.get("signer_email").is_none(), "{json}");
    let missing = client.get("/api/v1/acts/ZZZZZZZZZZ").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    let checked = client
        .post_multipart("/api/v1/acts/verify", &[], ("resolucion.pdf", &bytes))
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.json()["matches"], true, "{}", checked.body);
    assert_eq!(checked.json()["act"]["code"], code.as_str(), "{}", checked.body);
    let other = client
        .post_multipart("/api/v1/acts/verify", &[], ("otro.pdf", &altered))
        .await;
    assert_eq!(other.json()["matches"], false, "{}", other.body);
    let over = client
        .post_multipart("/api/v1/acts/verify", &[], ("grande.pdf", &large))
        .await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", over.body);
}

#[tokio::test]
async fn an_appeal_is_received_decided_by_a_signed_act_and_the_award_becomes_firm() {
    let mut client = Client::with_demo().await;
    let (id, _, _) = signed_award(&mut client).await;
    let officer = client
        .db
        .store
        .account(account_id(&client, Role::TerritorialOfficer).await)
        .await
        .expect("read")
        .expect("officer");
    assign_office(&client, officer.id, "Nariño").await;
    let firm_on = vereda_store::test_support::notify_award(
        &client.db.store,
        &officer.actor(),
        id,
        jiff::civil::date(2013, 10, 15),
    )
    .await
    .expect("notified");
    assert_eq!(firm_on, Some(jiff::civil::date(2013, 10, 30)));
    // The office's officer receives the appeals over the API; the director decides them.
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let me = client.get("/api/v1/me").await;
    let csrf = me.json()["csrf_token"].as_str().expect("a token").to_owned();
    let filed = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/appeals"),
            Some(&csrf),
            Some(&serde_json::json!({
                "appellant_name": "Asociación de familias",
                "text": "Pedimos revisar el aporte.",
                "filed_on": "2013-10-29"
            })),
        )
        .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    assert_eq!(filed.json()["appeal"]["late"], false, "{}", filed.body);
    let appeal_id = filed.json()["appeal"]["id"].as_i64().expect("an id");
    let late = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/appeals"),
            Some(&csrf),
            Some(&serde_json::json!({
                "appellant_name": "Vecino",
                "text": "Fuera de término.",
                "filed_on": "2013-10-30"
            })),
        )
        .await;
    assert_eq!(
        late.json()["appeal"]["late"],
        true,
        "recorded late: {}",
        late.body
    );
    let life = client
        .get(&format!("/api/v1/formulations/{id}/notifications"))
        .await;
    assert_eq!(life.json()["life"]["status"], "appealed", "{}", life.body);

    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    let page = client
        .get(&format!("/personal/formulaciones/{id}/notificaciones"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"data-late="true""#), "{}", page.body);
    let token = Client::csrf_in(&page.body);
    let decided = client
        .post_form(
            &format!("/personal/formulaciones/{id}/recursos/{appeal_id}/decision"),
            &[
                ("csrf_token", token.as_str()),
                ("outcome", "confirms"),
                ("reasons", "El aporte corresponde a la evaluación."),
                ("decided_on", "2013-11-05"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let store = &client.db.store;
    let decision = store
        .signed_act(ActKind::AppealDecision, i32::try_from(appeal_id).expect("id"))
        .await
        .expect("read")
        .expect("the decision is signed as its own act");
    assert_eq!(decision.number, "RR-2013-0001");
    let life = store
        .award_life(id, jiff::civil::date(2013, 11, 6))
        .await
        .expect("read")
        .expect("awarded");
    assert_eq!(life.firm_on, Some(jiff::civil::date(2013, 11, 6)));
    client.forget_session();
    let verified = client.get(&format!("/verificar/{}", decision.code)).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(verified.body.contains("RR-2013-0001"), "{}", verified.body);
}

/// The demo's followed project: its resolution signed with its PDF by the demo director, firm
/// on its public page, and paid and followed on the API (issues 16 and 17, "Demo").
#[tokio::test]
async fn the_demo_shows_a_signed_firm_paid_and_followed_project() {
    use vereda_store::demo::DEMO_FOLLOWED_CODE;
    let mut client = Client::with_demo().await;
    let store = &client.db.store;
    let formulation = store
        .formulation_by_code(DEMO_FOLLOWED_CODE)
        .await
        .expect("read")
        .expect("the demo project");
    let award = store
        .award_of(formulation.id)
        .await
        .expect("read")
        .expect("awarded");
    let act = store
        .signed_act(ActKind::Award, award.id)
        .await
        .expect("read")
        .expect("signed by the demo");
    assert_eq!(
        (act.number.as_str(), act.signer_role.as_str()),
        ("DT-CAQ-2013-001", "territorial_director")
    );
    let pdf = store
        .signed_pdf(ActKind::Award, award.id)
        .await
        .expect("read")
        .expect("its PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(act.sha256.len(), 64);
    // A second seeding signs nothing again.
    vereda_web::demo::seed(store, &vereda_web::WebConfig::default())
        .await
        .expect("idempotent");

    let page = client.get(&format!("/verificar/{}", act.code)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"data-status="firm""#), "{}", page.body);
    assert!(!page.body.contains("FLO-001"), "no family: {}", page.body);
    let public = client.get(&format!("/api/v1/acts/{}", act.code)).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    let json = public.json();
    assert_eq!(
        (&json["status"], &json["sha256"], &json["number"]),
        (
            &"firm".into(),
            &act.sha256.as_str().into(),
            &"DT-CAQ-2013-001".into()
        )
    );
    assert!(
        json["firm_on"]
            .as_str()
            .is_some_and(|d| d > "2013-10-16" && d <= "2013-11-05"),
        "{json}"
    );

    client.log_in_as(Role::TerritorialDirector).await;
    let ledger = client
        .get(&format!("/api/v1/projects/{DEMO_FOLLOWED_CODE}/ledger"))
        .await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.body);
    let ledger = &ledger.json()["ledger"];
    assert_eq!(ledger["paid_on"], "2013-11-05", "{ledger}");
    assert_eq!(ledger["movements"].as_array().map(Vec::len), Some(3), "{ledger}");
    let contribution = award.institute_contribution - rust_decimal::Decimal::from(57_500_000);
    assert_eq!(
        ledger["execution"]["balance"],
        contribution.to_string(),
        "{ledger}"
    );
}

async fn api_session(client: &mut Client, role: Role) -> String {
    client.forget_session();
    client.log_in_as(role).await;
    let me = client.get("/api/v1/me").await;
    me.json()["csrf_token"].as_str().expect("a token").to_owned()
}

/// An appeal's file goes up with the appeal over the API (multipart, like the page), is named
/// in the audited appeal, and comes down byte for byte to the office's staff.
#[tokio::test]
async fn an_appeals_file_goes_up_and_comes_down_over_the_api() {
    let mut client = Client::with_demo().await;
    let (id, _, _) = signed_award(&mut client).await;
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    assign_office(&client, officer, "Nariño").await;
    let csrf = api_session(&mut client, Role::TerritorialOfficer).await;
    let bytes = b"%PDF-1.4 recurso de reposicion".to_vec();
    let filed = client
        .post_files_with(
            &format!("/api/v1/formulations/{id}/appeals"),
            Some(&csrf),
            &[
                ("appellant_name", "Asociación de familias"),
                ("text", "Pedimos revisar el aporte."),
                ("filed_on", "2013-10-20"),
            ],
            &[("document", "recurso.pdf", &bytes)],
        )
        .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    let appeal = &filed.json()["appeal"];
    let sha256: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(
        (&appeal["document_name"], &appeal["document_sha256"]),
        (&"recurso.pdf".into(), &sha256.as_str().into())
    );
    let appeal_id = appeal["id"].as_i64().expect("an id");
    let audited = client
        .db
        .store
        .audit_entries(&vereda_store::audit::AuditQuery {
            entity: Some("appeals".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1, "the appeal and its file's hash, audited");
    let download = client
        .get(&format!("/api/v1/formulations/{id}/appeals/{appeal_id}/document"))
        .await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(download.content_type, "application/pdf");
    assert_eq!(download.body.as_bytes(), bytes.as_slice());
    // Out of the office's reach: not found; without a session: refused.
    assign_office(&client, officer, "Caquetá").await;
    let far = client
        .get(&format!("/api/v1/formulations/{id}/appeals/{appeal_id}/document"))
        .await;
    assert_eq!(far.status, StatusCode::NOT_FOUND, "{}", far.body);
    client.forget_session();
    let anonymous = client
        .get(&format!("/api/v1/formulations/{id}/appeals/{appeal_id}/document"))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.body);
}

/// A household of the demo call found not eligible is notified of it, appeals with a file,
/// and the director decides the appeal by a signed act, all over the API.
#[tokio::test]
async fn a_not_eligible_household_is_notified_and_its_appeal_decided_over_the_api() {
    use vereda_domain::verification::VerificationStatus;
    let mut client = Client::with_demo().await;
    let store = &client.db.store;
    let call = store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == vereda_store::demo::DEMO_CALL_CODE)
        .expect("the demo call");
    let households = store.households(Some(call.id)).await.expect("households");
    let refused = households
        .iter()
        .find(|h| h.external_id == "CAQ-0001")
        .expect("a demo household")
        .id;
    let eligible = households
        .iter()
        .find(|h| h.external_id == "FLO-001")
        .expect("a family of the followed project")
        .id;
    let officer = store
        .account(account_id(&client, Role::TerritorialOfficer).await)
        .await
        .expect("read")
        .expect("officer");
    let lock_version = store
        .household_verification(refused, jiff::civil::date(2013, 8, 20))
        .await
        .expect("read")
        .map_or(0, |v| v.lock_version);
    store
        .decide_verification(
            &officer.actor(),
            refused,
            vereda_store::verification::Decision {
                status: VerificationStatus::NotEligible,
                reasons: "Puntaje del Sisbén fuera del rango".into(),
                lock_version,
            },
            jiff::civil::date(2013, 8, 20),
        )
        .await
        .expect("not eligible");
    let today = vereda_store::projects::today_in_colombia().to_string();
    let csrf = api_session(&mut client, Role::TerritorialOfficer).await;
    let path = format!("/api/v1/households/{refused}/verification/notifications");
    let notice =
        serde_json::json!({"kind": "personal", "recipient_name": "Rosa Angulo", "notified_on": today});
    let notified = client.send_json("POST", &path, Some(&csrf), Some(&notice)).await;
    assert_eq!(notified.status, StatusCode::OK, "{}", notified.body);
    let life = notified.json();
    assert_eq!(life["life"]["notification"]["kind"], "personal", "{life}");
    assert_eq!(life["life"]["status"], "in_force", "{life}");
    assert!(life["life"]["appeal_deadline"].as_str().is_some(), "{life}");
    let twice = client.send_json("POST", &path, Some(&csrf), Some(&notice)).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(twice.json()["code"], "acts-error-already_notified");
    let not_refused = client
        .send_json(
            "POST",
            &format!("/api/v1/households/{eligible}/verification/notifications"),
            Some(&csrf),
            Some(&notice),
        )
        .await;
    assert_eq!(not_refused.status, StatusCode::CONFLICT, "{}", not_refused.body);
    assert_eq!(not_refused.json()["code"], "acts-error-not_refused");
    let filed = client
        .post_files_with(
            &format!("/api/v1/households/{refused}/verification/appeals"),
            Some(&csrf),
            &[
                ("appellant_name", "Rosa Angulo"),
                ("text", "El puntaje del Sisbén está actualizado."),
                ("filed_on", &today),
            ],
            &[("document", "sisben.pdf", b"%PDF-1.4 certificado")],
        )
        .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    assert_eq!(filed.json()["appeal"]["late"], false, "{}", filed.body);
    assert_eq!(
        filed.json()["appeal"]["document_name"],
        "sisben.pdf",
        "{}",
        filed.body
    );
    let appeal_id = filed.json()["appeal"]["id"].as_i64().expect("an id");
    let life = client.get(&path).await;
    assert_eq!(life.json()["life"]["status"], "appealed", "{}", life.body);
    // Its file comes down as it went up, for a role that sees whole documents; an appeal of
    // another act is not found under this household.
    let document = format!("/api/v1/households/{refused}/verification/appeals/{appeal_id}/document");
    let download = client.get(&document).await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(download.body.as_bytes(), b"%PDF-1.4 certificado");
    let elsewhere = client
        .get(&format!(
            "/api/v1/households/{eligible}/verification/appeals/{appeal_id}/document"
        ))
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.body);

    let csrf = api_session(&mut client, Role::TerritorialDirector).await;
    let decided = client
        .send_json(
            "POST",
            &format!("/api/v1/households/{refused}/verification/appeals/{appeal_id}/decision"),
            Some(&csrf),
            Some(&serde_json::json!({"outcome": "confirms", "reasons": "El puntaje consultado supera el corte.", "decided_on": today})),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    let json = decided.json();
    let year = &today[..4];
    assert_eq!(
        json["appeal"]["decision_number"],
        format!("RRV-{year}-0001"),
        "{json}"
    );
    assert_eq!(json["act"]["kind"], "verification_appeal_decision", "{json}");
    let code = json["act"]["code"]
        .as_str()
        .expect("signed with its code")
        .to_owned();
    let public = client.get(&format!("/api/v1/acts/{code}")).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert_eq!(public.json()["number"], format!("RRV-{year}-0001"));
    let pdf = client
        .db
        .store
        .signed_pdf(
            ActKind::VerificationAppealDecision,
            i32::try_from(appeal_id).expect("id"),
        )
        .await
        .expect("read")
        .expect("its PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    let life = client.get(&path).await;
    let tomorrow = vereda_store::projects::today_in_colombia()
        .tomorrow()
        .expect("tomorrow")
        .to_string();
    assert_eq!(life.json()["life"]["firm_on"], tomorrow.as_str(), "{}", life.body);
    let none = client
        .get(&format!(
            "/api/v1/households/{eligible}/verification/notifications"
        ))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{}", none.body);
}

/// The staff forms of an award's legal life refused by the store come back on the same page,
/// at 422, with every value as typed and the problem's code beside its field.
#[tokio::test]
async fn a_refused_notification_or_appeal_shows_its_form_again_with_its_values() {
    let mut client = Client::with_demo().await;
    let (id, _, _) = signed_award(&mut client).await;
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    assign_office(&client, officer, "Nariño").await;
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let path = format!("/personal/formulaciones/{id}/notificaciones");
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = Client::csrf_in(&page.body);
    let beneficiary = page
        .body
        .split(r#"name="beneficiary_id" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a family to notify")
        .to_owned();
    // Before the award of 15 October 2013.
    let refused = client
        .post_form(
            &path,
            &[
                ("csrf_token", token.as_str()),
                ("beneficiary_id", beneficiary.as_str()),
                ("kind", "notice"),
                ("recipient_name", "Rosa Angulo Quiñones"),
                ("notified_on", "2013-10-01"),
                ("cited_on", "2013-09-20"),
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
        refused.body.contains(
            r#"id="notified_on-errors" class="field-error" data-problem="acts-error-notified_before_act""#
        ),
        "{}",
        refused.body
    );
    for typed in [
        r#"value="Rosa Angulo Quiñones""#,
        r#"value="2013-10-01""#,
        r#"value="2013-09-20""#,
        r#"<option value="notice" selected>"#,
    ] {
        assert!(refused.body.contains(typed), "{typed} as typed: {}", refused.body);
    }
    let appeal = client
        .post_files(
            &format!("/personal/formulaciones/{id}/recursos"),
            &[
                ("csrf_token", token.as_str()),
                ("appellant_name", "Asociación de familias"),
                ("text", "Pedimos revisar el aporte."),
                ("filed_on", "2013-10-01"),
            ],
            &[],
        )
        .await;
    assert_eq!(appeal.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", appeal.body);
    assert!(
        appeal.body.contains(
            r#"id="filed_on-errors" class="field-error" data-problem="acts-error-appeal_before_act""#
        ),
        "{}",
        appeal.body
    );
    assert!(
        appeal.body.contains(r#"value="Asociación de familias""#),
        "{}",
        appeal.body
    );
    assert!(
        appeal.body.contains("Pedimos revisar el aporte."),
        "{}",
        appeal.body
    );
    let nothing = client
        .db
        .store
        .award_life(id, jiff::civil::date(2013, 10, 20))
        .await
        .expect("read")
        .expect("awarded");
    assert!(nothing.appeals.is_empty() && nothing.families.iter().all(|f| f.kind.is_none()));
}

/// A household found not eligible is notified on its staff page, appeals with the page's form,
/// and the director's decision revoking the refusal, signed as its act, reopens the household's
/// verification; a refused form comes back with its values and the problem beside its field.
#[tokio::test]
async fn a_not_eligible_household_is_notified_and_appealed_on_its_page_and_a_revocation_reopens_it() {
    use vereda_domain::verification::VerificationStatus;
    let mut client = Client::with_demo().await;
    let store = client.db.store.clone();
    let call = store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == vereda_store::demo::DEMO_CALL_CODE)
        .expect("the demo call");
    let refused = store
        .households(Some(call.id))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.external_id == "CAQ-0001")
        .expect("a demo household")
        .id;
    let officer = store
        .account(account_id(&client, Role::TerritorialOfficer).await)
        .await
        .expect("read")
        .expect("officer");
    let before = store
        .household_verification(refused, jiff::civil::date(2013, 8, 20))
        .await
        .expect("read")
        .map_or(0, |v| v.lock_version);
    store
        .decide_verification(
            &officer.actor(),
            refused,
            vereda_store::verification::Decision {
                status: VerificationStatus::NotEligible,
                reasons: "Puntaje del Sisbén fuera del rango".into(),
                lock_version: before,
            },
            jiff::civil::date(2013, 8, 20),
        )
        .await
        .expect("not eligible");
    client.log_in_as(Role::TerritorialOfficer).await;
    let verification = client
        .get(&format!("/personal/hogares/{refused}/verificacion"))
        .await;
    assert!(
        verification.body.contains(&format!(
            r#"id="verification-appeals" href="/personal/hogares/{refused}/notificaciones""#
        )),
        "{}",
        verification.body
    );
    let path = format!("/personal/hogares/{refused}/notificaciones");
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"data-status="in_force""#), "{}", page.body);
    let token = Client::csrf_in(&page.body);
    let today = vereda_store::projects::today_in_colombia().to_string();
    // Electronic without the household's authorisation: refused beside the box to tick.
    let unauthorised = client
        .post_form(
            &path,
            &[
                ("csrf_token", token.as_str()),
                ("kind", "electronic"),
                ("recipient_name", "Rosa Angulo Quiñones"),
                ("notified_on", today.as_str()),
            ],
        )
        .await;
    assert_eq!(
        unauthorised.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unauthorised.body
    );
    assert!(
        unauthorised.body.contains(
            r#"id="authorised-errors" class="field-error" data-problem="acts-error-electronic_not_authorised""#
        ),
        "{}",
        unauthorised.body
    );
    assert!(
        unauthorised.body.contains(r#"value="Rosa Angulo Quiñones""#),
        "{}",
        unauthorised.body
    );
    let notified = client
        .post_form(
            &path,
            &[
                ("csrf_token", token.as_str()),
                ("kind", "personal"),
                ("recipient_name", "Rosa Angulo Quiñones"),
                ("notified_on", today.as_str()),
            ],
        )
        .await;
    assert_eq!(notified.status, StatusCode::SEE_OTHER, "{}", notified.body);
    let appeal = client
        .post_files(
            &format!("/personal/hogares/{refused}/recursos"),
            &[
                ("csrf_token", token.as_str()),
                ("appellant_name", "Rosa Angulo Quiñones"),
                ("text", "El puntaje del Sisbén está actualizado."),
                ("filed_on", today.as_str()),
            ],
            &[("document", "sisben.pdf", b"%PDF-1.4 certificado")],
        )
        .await;
    assert_eq!(appeal.status, StatusCode::SEE_OTHER, "{}", appeal.body);
    let life = store
        .verification_life(refused, vereda_store::projects::today_in_colombia())
        .await
        .expect("read")
        .expect("a refusal");
    let appeal_id = life.appeals.first().expect("the appeal").id;
    assert_eq!(
        (life.notification.is_some(), life.status.as_str()),
        (true, "appealed")
    );

    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    let page = client.get(&path).await;
    let token = Client::csrf_in(&page.body);
    assert!(
        page.body.contains(&format!(
            r#"action="/personal/hogares/{refused}/recursos/{appeal_id}/decision""#
        )),
        "{}",
        page.body
    );
    let decided = client
        .post_form(
            &format!("/personal/hogares/{refused}/recursos/{appeal_id}/decision"),
            &[
                ("csrf_token", token.as_str()),
                ("outcome", "revokes"),
                ("reasons", "El puntaje actualizado está en el rango."),
                ("decided_on", today.as_str()),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let signed = store
        .signed_act(ActKind::VerificationAppealDecision, appeal_id)
        .await
        .expect("read")
        .expect("the decision is signed");
    assert!(signed.number.starts_with("RRV-"), "{}", signed.number);
    let state = store
        .household_verification(refused, vereda_store::projects::today_in_colombia())
        .await
        .expect("read")
        .expect("household");
    assert_eq!(state.status, VerificationStatus::Pending, "reopened");
    assert_eq!(
        client.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "no refusal in force"
    );
}
