//! In-process tests of the procedure over the JSON API: the same walk as the pages (endorsement,
//! committee session, agenda, concept, objection, minutes and signatures, award, disbursement),
//! and for each step a refusal, asserted on its problem code, its status and what is stored.

mod support;

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use support::Client;
use support::api::{amount, problem, session_as, token};
use support::procedure::{account_id, assign_office, state, submitted};
use vereda_domain::accounts::Role;
use vereda_domain::procedure::ProcedureState;
use vereda_store::accounts::NewAccount;

#[tokio::test]
async fn a_project_goes_from_endorsement_to_its_single_disbursement_over_the_api() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let endorsement = format!("/api/v1/formulations/{id}/endorsement");
    let body = |families: i32| json!({"endorsed_on": "2013-09-20", "families_endorsing": families, "minutes": "Asamblea en la vereda"});

    // Without a session: 401; with a session but without the token: 403, nothing changes.
    let anonymous = client.send_json("POST", &endorsement, None, Some(&body(8))).await;
    problem(&anonymous, StatusCode::UNAUTHORIZED, "login_required");
    let officer = session_as(&mut client, Role::TerritorialOfficer).await;
    let forged = client.send_json("POST", &endorsement, None, Some(&body(8))).await;
    problem(&forged, StatusCode::FORBIDDEN, "csrf_mismatch");
    let wrong = client
        .send_json("POST", &endorsement, Some("not-the-token"), Some(&body(8)))
        .await;
    problem(&wrong, StatusCode::FORBIDDEN, "csrf_mismatch");
    assert_eq!(state(&client, id).await, ProcedureState::Submitted);

    // Art. 25: a minority is refused (422); a body that is not the schema too.
    let minority = client
        .send_json("POST", &endorsement, Some(&officer), Some(&body(4)))
        .await;
    problem(
        &minority,
        StatusCode::UNPROCESSABLE_ENTITY,
        "procedure-error-no_majority",
    );
    let broken = client
        .send_raw_json("POST", &endorsement, Some(&officer), "{\"families_endorsing\": ")
        .await;
    problem(&broken, StatusCode::UNPROCESSABLE_ENTITY, "api-error-bad_json");
    let unknown = client
        .send_json(
            "POST",
            &endorsement,
            Some(&officer),
            Some(&json!({"endorsed_on": "2013-09-20", "families_endorsing": "quince", "minutes": "x"})),
        )
        .await;
    problem(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "api-error-bad_json");
    assert!(client.db.store.endorsements(id).await.expect("read").is_empty());
    let endorsed = client
        .send_json("POST", &endorsement, Some(&officer), Some(&body(8)))
        .await;
    assert_eq!(endorsed.status, StatusCode::CREATED, "{}", endorsed.body);
    assert_eq!(endorsed.json()["families_endorsing"], 8);
    assert_eq!(state(&client, id).await, ProcedureState::Endorsed);
    let stored = client.db.store.endorsements(id).await.expect("read");
    assert_eq!((stored.len(), stored[0].families_endorsing), (1, 8), "{stored:?}");
    let again = client
        .send_json("POST", &endorsement, Some(&officer), Some(&body(8)))
        .await;
    problem(&again, StatusCode::CONFLICT, "procedure-refused-state");

    // Convening the committee and filing objections are not the officer's to do (403).
    let session_try = client
        .send_json(
            "POST",
            "/api/v1/committee-sessions",
            Some(&officer),
            Some(&json!({"held_on": "2013-10-01", "place": "x", "attendees": [1]})),
        )
        .await;
    problem(&session_try, StatusCode::FORBIDDEN, "scope-error-not_permitted");
    let objection_body = json!({"target": "family", "target_ref": "1122334455", "filed_by": "Junta de Acción Comunal", "text": "No vive en la vereda"});
    let objection_try = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/objections"),
            Some(&officer),
            Some(&objection_body),
        )
        .await;
    problem(&objection_try, StatusCode::FORBIDDEN, "scope-error-not_permitted");
    assert!(client.db.store.objections(id).await.expect("read").is_empty());

    // The committee: two members attend.
    let second = client
        .db
        .store
        .create_account(
            &vereda_domain::audit::Actor::system("test"),
            NewAccount {
                email: "second.member@vereda.test".into(),
                display_name: "Segunda integrante".into(),
                role: Role::CommitteeMember,
                password: "una clave larga".into(),
            },
        )
        .await
        .expect("second member");
    let first = account_id(&client, Role::CommitteeMember).await;
    let member = session_as(&mut client, Role::CommitteeMember).await;
    let nobody = client
        .send_json(
            "POST",
            "/api/v1/committee-sessions",
            Some(&member),
            Some(&json!({"held_on": "2013-10-01", "place": "Florencia", "attendees": []})),
        )
        .await;
    problem(
        &nobody,
        StatusCode::UNPROCESSABLE_ENTITY,
        "procedure-error-no_attendees",
    );
    let created = client
        .send_json(
            "POST",
            "/api/v1/committee-sessions",
            Some(&member),
            Some(&json!({"held_on": "2013-10-01", "place": "Florencia", "attendees": [first, second.id]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let session_id = created.json()["session_id"].as_i64().expect("an id");
    assert_eq!(created.json()["attendees"].as_array().map(Vec::len), Some(2));
    let session = format!("/api/v1/committee-sessions/{session_id}");

    // An objection, filed by the committee's secretary and decided in the session.
    let objection = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/objections"),
            Some(&member),
            Some(&objection_body),
        )
        .await;
    assert_eq!(objection.status, StatusCode::CREATED, "{}", objection.body);
    let objection_id = objection.json()["id"].as_i64().expect("an id");
    let decide = format!("{session}/objections/{objection_id}");
    let no_decision = client
        .send_json(
            "POST",
            &decide,
            Some(&member),
            Some(&json!({"decision": "maybe", "reasons": "x"})),
        )
        .await;
    problem(
        &no_decision,
        StatusCode::UNPROCESSABLE_ENTITY,
        "api-error-bad_json",
    );
    let decided = client
        .send_json(
            "POST",
            &decide,
            Some(&member),
            Some(&json!({"decision": "rejected", "reasons": "Vive en la vereda desde 2009"})),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    assert_eq!(decided.json()["upheld"], false);
    let redecided = client
        .send_json(
            "POST",
            &decide,
            Some(&member),
            Some(&json!({"decision": "upheld", "reasons": "Otra cosa"})),
        )
        .await;
    problem(
        &redecided,
        StatusCode::CONFLICT,
        "procedure-error-objection_decided",
    );
    let stored = client.db.store.objections(id).await.expect("read");
    assert_eq!(stored[0].upheld, Some(false), "{stored:?}");

    // The agenda: a stale lock version is refused (409), nothing changes.
    let agenda = format!("{session}/agenda");
    let added = client
        .send_json(
            "POST",
            &agenda,
            Some(&member),
            Some(&json!({"formulation_id": id, "lock_version": 0})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let item = added.json()["id"].as_i64().expect("an item");
    let stale = client
        .send_json(
            "POST",
            &agenda,
            Some(&member),
            Some(&json!({"formulation_id": id, "lock_version": 0})),
        )
        .await;
    problem(&stale, StatusCode::CONFLICT, "procedure-refused-state");
    assert_eq!(state(&client, id).await, ProcedureState::OnAgenda);

    // Art. 24.4: the concept, on an item of this session only, once.
    let elsewhere = client
        .send_json(
            "POST",
            &format!("{session}/concepts/{}", item + 1000),
            Some(&member),
            Some(&json!({"concept": "positive", "text": "Viable", "lock_version": 0})),
        )
        .await;
    problem(&elsewhere, StatusCode::NOT_FOUND, "error-not_found_entity");
    let concept = client
        .send_json(
            "POST",
            &format!("{session}/concepts/{item}"),
            Some(&member),
            Some(&json!({"concept": "positive", "text": "Viable: TIR 21 %", "lock_version": 0})),
        )
        .await;
    assert_eq!(concept.status, StatusCode::OK, "{}", concept.body);
    assert_eq!(concept.json()["concept"], "positive");
    let twice = client
        .send_json(
            "POST",
            &format!("{session}/concepts/{item}"),
            Some(&member),
            Some(&json!({"concept": "negative", "text": "otra cosa", "lock_version": 0})),
        )
        .await;
    problem(&twice, StatusCode::CONFLICT, "procedure-refused-state");
    assert_eq!(state(&client, id).await, ProcedureState::Viable);

    // Art. 23: the minutes are signed after they are drawn up, once each.
    let signatures = format!("{session}/signatures");
    let early = client.send_json("POST", &signatures, Some(&member), None).await;
    problem(&early, StatusCode::CONFLICT, "procedure-error-sign_after_close");
    let lock = client.get(&session).await.json()["lock_version"].clone();
    let closed = client
        .send_json(
            "POST",
            &format!("{session}/minutes"),
            Some(&member),
            Some(&json!({ "lock_version": lock })),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert!(closed.json()["closed_at"].is_string(), "{}", closed.body);
    let reclosed = client
        .send_json(
            "POST",
            &format!("{session}/minutes"),
            Some(&member),
            Some(&json!({"lock_version": closed.json()["lock_version"]})),
        )
        .await;
    problem(&reclosed, StatusCode::CONFLICT, "procedure-error-session_closed");
    let signed = client.send_json("POST", &signatures, Some(&member), None).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    assert_eq!(signed.json()["is_final"], false);
    let resigned = client.send_json("POST", &signatures, Some(&member), None).await;
    problem(&resigned, StatusCode::CONFLICT, "procedure-error-already_signed");

    // Art. 27: the award. An officer may not (403 by role); for the director of another
    // office the project does not exist (404: out of its reach); not on minutes missing a
    // signature (409).
    let award = format!("/api/v1/formulations/{id}/award");
    let terms = json!({
        "awarded_on": "2013-10-15",
        "motivation": "Concepto positivo del comité",
    });
    let officer = session_as(&mut client, Role::TerritorialOfficer).await;
    let by_officer = client
        .send_json("POST", &award, Some(&officer), Some(&terms))
        .await;
    problem(&by_officer, StatusCode::FORBIDDEN, "procedure-refused-role");
    let director = account_id(&client, Role::TerritorialDirector).await;
    assign_office(&client, director, "Caquetá").await;
    let directs = session_as(&mut client, Role::TerritorialDirector).await;
    let other_office = client
        .send_json("POST", &award, Some(&directs), Some(&terms))
        .await;
    problem(&other_office, StatusCode::NOT_FOUND, "error-not_found_entity");
    assign_office(&client, director, "Nariño").await;
    let unsigned = client
        .send_json("POST", &award, Some(&directs), Some(&terms))
        .await;
    problem(
        &unsigned,
        StatusCode::CONFLICT,
        "procedure-error-minutes_unsigned",
    );
    assert_eq!(state(&client, id).await, ProcedureState::Viable);

    // The second member signs over the API too: now the minutes are final.
    client.forget_session();
    let login = client
        .log_in("second.member@vereda.test", "una clave larga")
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let second_token = token(&mut client).await;
    let final_minutes = client
        .send_json("POST", &signatures, Some(&second_token), None)
        .await;
    assert_eq!(final_minutes.status, StatusCode::OK, "{}", final_minutes.body);
    assert_eq!(final_minutes.json()["is_final"], true);

    let directs = session_as(&mut client, Role::TerritorialDirector).await;
    let mut float_like = terms.clone();
    float_like["institute_contribution"] = json!("5,000");
    let not_an_amount = client
        .send_json("POST", &award, Some(&directs), Some(&float_like))
        .await;
    problem(
        &not_an_amount,
        StatusCode::UNPROCESSABLE_ENTITY,
        "api-error-amount",
    );
    assert_eq!(state(&client, id).await, ProcedureState::Viable);
    let awarded = client
        .send_json("POST", &award, Some(&directs), Some(&terms))
        .await;
    assert_eq!(awarded.status, StatusCode::CREATED, "{}", awarded.body);
    assert_eq!(awarded.json()["number"], "DT-NAR-2013-001");
    let stored = client
        .db
        .store
        .award_of(id)
        .await
        .expect("read")
        .expect("the award");
    // Without an amount, the evaluated maximum; the counterpart and the policy follow from it.
    let contribution = stored.institute_contribution;
    assert_eq!(Some(contribution), stored.evaluated_maximum);
    assert_eq!(
        amount(&awarded.json()["institute_contribution"]),
        Some(contribution)
    );
    assert_eq!(amount(&awarded.json()["evaluated_maximum"]), Some(contribution));
    assert_eq!(stored.guarantee, (contribution / Decimal::TEN).ceil());
    let reawarded = client
        .send_json("POST", &award, Some(&directs), Some(&terms))
        .await;
    problem(&reawarded, StatusCode::CONFLICT, "procedure-refused-state");

    // The award is notified to its families and is firm once the appeal window closes
    // (Ley 1437 de 2011, art. 87): before the payment's date.
    let firm_on = vereda_store::test_support::notify_award(
        &client.db.store,
        &vereda_domain::audit::Actor::system("test"),
        id,
        jiff::civil::date(2013, 10, 15),
    )
    .await
    .expect("notified");
    assert!(
        firm_on.is_some_and(|day| day < jiff::civil::date(2013, 11, 5)),
        "{firm_on:?}"
    );

    // Art. 32-33: the requirements first, then one payment.
    let disbursement = format!("/api/v1/formulations/{id}/disbursement");
    let evidence = format!("/api/v1/formulations/{id}/disbursement/evidence");
    let paid_on = json!({"paid_on": "2013-11-05"});
    let early = client
        .send_json("POST", &disbursement, Some(&directs), Some(&paid_on))
        .await;
    problem(
        &early,
        StatusCode::UNPROCESSABLE_ENTITY,
        "procedure-error-requirements_missing",
    );
    let proofs = |lock: i32| json!({"lock_version": lock, "joint_account": "Cuenta 123 Banco Agrario", "approved_policy": "Póliza 77"});
    let stale = client
        .send_json("PUT", &evidence, Some(&directs), Some(&proofs(3)))
        .await;
    problem(&stale, StatusCode::CONFLICT, "procedure-error-checklist_changed");
    let checked = client
        .send_json("PUT", &evidence, Some(&directs), Some(&proofs(0)))
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    let missing: Vec<Value> = checked.json()["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .filter(|r| r["evidence"].is_null())
        .cloned()
        .collect();
    assert!(missing.is_empty(), "{missing:?}");

    // A committee member does not pay (403 by role).
    let member = session_as(&mut client, Role::CommitteeMember).await;
    let by_member = client
        .send_json("POST", &disbursement, Some(&member), Some(&paid_on))
        .await;
    problem(&by_member, StatusCode::FORBIDDEN, "procedure-refused-role");

    // Who recorded the evidence does not register the payment (Art. 32-33); another officer does.
    let directs = session_as(&mut client, Role::TerritorialDirector).await;
    let same_hands = client
        .send_json("POST", &disbursement, Some(&directs), Some(&paid_on))
        .await;
    problem(&same_hands, StatusCode::FORBIDDEN, "custody-error-same_hands");
    let pays = session_as(&mut client, Role::TerritorialOfficer).await;
    let paid = client
        .send_json("POST", &disbursement, Some(&pays), Some(&paid_on))
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    assert_eq!(
        amount(&paid.json()["amount"]),
        Some(contribution),
        "exactly the award"
    );
    assert_eq!(paid.json()["paid_on"], "2013-11-05");
    let twice = client
        .send_json(
            "POST",
            &disbursement,
            Some(&pays),
            Some(&json!({"paid_on": "2013-11-06"})),
        )
        .await;
    problem(&twice, StatusCode::CONFLICT, "procedure-refused-state");
    let directs = session_as(&mut client, Role::TerritorialDirector).await;
    let after = client
        .send_json("PUT", &evidence, Some(&directs), Some(&proofs(2)))
        .await;
    problem(&after, StatusCode::CONFLICT, "procedure-error-already_disbursed");
    assert_eq!(state(&client, id).await, ProcedureState::Disbursed);
    let checklist = client
        .db
        .store
        .disbursement_checklist(id)
        .await
        .expect("checklist");
    assert_eq!(
        (checklist.amount, checklist.paid_on),
        (Some(contribution), Some(jiff::civil::date(2013, 11, 5)))
    );

    // The overview reads what happened.
    let overview = client.get(&format!("/api/v1/formulations/{id}/procedure")).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let overview = overview.json();
    assert_eq!(overview["state"], "disbursed");
    assert_eq!(overview["award"]["number"], "DT-NAR-2013-001");
    assert_eq!(amount(&overview["disbursement"]["amount"]), Some(contribution));
    let kinds: Vec<&str> = overview["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in ["endorsement", "concept", "signature", "award", "disbursement"] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
}

#[tokio::test]
async fn the_procedure_api_needs_a_staff_session_and_names_what_is_missing() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let overview = client.get(&format!("/api/v1/formulations/{id}/procedure")).await;
    problem(&overview, StatusCode::UNAUTHORIZED, "login_required");
    let token = session_as(&mut client, Role::TerritorialOfficer).await;
    let missing = client.get("/api/v1/formulations/999999/procedure").await;
    problem(&missing, StatusCode::NOT_FOUND, "error-not_found_entity");
    let overview = client.get(&format!("/api/v1/formulations/{id}/procedure")).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert_eq!(overview.json()["state"], "submitted");
    // Signing a session that does not exist: 404, as a problem.
    let nowhere = client
        .send_json(
            "POST",
            "/api/v1/committee-sessions/999999/signatures",
            Some(&token),
            None,
        )
        .await;
    problem(&nowhere, StatusCode::NOT_FOUND, "error-not_found_entity");
}

#[tokio::test]
async fn the_pages_refuse_what_the_api_refuses_with_the_same_code() {
    // The award of a project of another department, through the page and through the API:
    // out of the director's reach, it does not exist for them.
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let director = account_id(&client, Role::TerritorialDirector).await;
    assign_office(&client, director, "Caquetá").await;
    let token = session_as(&mut client, Role::TerritorialDirector).await;
    let api = client
        .send_json(
            "POST",
            &format!("/api/v1/formulations/{id}/award"),
            Some(&token),
            Some(&json!({"awarded_on": "2013-10-15", "motivation": "x", "institute_contribution": 1})),
        )
        .await;
    problem(&api, StatusCode::NOT_FOUND, "error-not_found_entity");
    let page = client
        .post_form(
            &format!("/personal/formulaciones/{id}/adjudicacion"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("awarded_on", "2013-10-15"),
                ("motivation", "x"),
                ("institute_contribution", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert!(
        page.body.contains(r#"data-problem="error-not_found_entity""#),
        "{}",
        page.body
    );
    assert!(client.db.store.award_of(id).await.expect("read").is_none());
}
