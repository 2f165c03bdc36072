//! In-process tests of the procedure pages: endorsement, committee sessions, concepts,
//! minutes and their signatures, the award and the single disbursement, with their refusals.

mod support;

use axum::http::StatusCode;
use support::Client;
use support::procedure::{account_id, assign_office, state, submitted, viable};
use vereda_domain::accounts::Role;
use vereda_domain::finance::Formulation;
use vereda_domain::procedure::ProcedureState;
use vereda_store::accounts::NewAccount;
use vereda_store::formulations::NewFormulationDraft;

#[tokio::test]
async fn a_project_goes_from_endorsement_to_its_single_disbursement() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let procedure = format!("/personal/formulaciones/{id}/procedimiento");

    // Art. 25: the territorial officer records the endorsement; a minority is refused (422).
    client.log_in_as(Role::TerritorialOfficer).await;
    let page = client.get(&procedure).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"endorsement-form\""), "{}", page.body);
    let token = Client::csrf_in(&page.body);
    let endorse = format!("/personal/formulaciones/{id}/aval");
    let endorsement = |families| {
        [
            ("csrf_token", token.as_str()),
            ("endorsed_on", "2013-09-20"),
            ("families_endorsing", families),
            ("minutes", "Asamblea en la vereda"),
        ]
    };
    let refused = client.post_form(&endorse, &endorsement("4")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"data-problem="procedure-error-no_majority""#),
        "{}",
        refused.body
    );
    // The same page, its form filled with what was typed.
    assert!(
        refused.body.contains(r#"id="endorsement-form""#),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"name="families_endorsing" inputmode="numeric" value="4""#),
        "{}",
        refused.body
    );
    assert_eq!(element_text(&refused.body, "minutes"), "Asamblea en la vereda");
    assert_eq!(state(&client, id).await, ProcedureState::Submitted);
    let endorsed = client.post_form(&endorse, &endorsement("8")).await;
    assert_eq!(endorsed.status, StatusCode::SEE_OTHER, "{}", endorsed.body);
    assert_eq!(state(&client, id).await, ProcedureState::Endorsed);
    // Convening the committee is not the officer's to do (403).
    let session_try = client
        .post_form(
            "/personal/comite",
            &[("csrf_token", &token), ("held_on", "2013-10-01"), ("place", "x")],
        )
        .await;
    assert_eq!(session_try.status, StatusCode::FORBIDDEN, "{}", session_try.body);

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
    client.forget_session();
    client.log_in_as(Role::CommitteeMember).await;
    let token = client.csrf().await;
    let list = client.get("/personal/comite").await;
    assert!(list.body.contains("id=\"session-form\""), "{}", list.body);
    let (first_text, second_text) = (first.to_string(), second.id.to_string());
    // Refused, the form comes back with what was typed: a date that is no date beside its
    // field, a session without attendees (a refusal naming no field) above the form, inside it.
    let refused = client
        .post_form(
            "/personal/comite",
            &[
                ("csrf_token", &token),
                ("held_on", "el martes"),
                ("place", "Florencia"),
                ("attendee", &first_text),
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
        refused
            .body
            .contains("id=\"held_on-errors\" class=\"field-error\" data-problem=\"procedure-error-date\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"el martes\""));
    assert!(refused.body.contains("value=\"Florencia\""));
    assert!(refused.body.contains(&format!("value=\"{first_text}\" checked")));
    let refused = client
        .post_form(
            "/personal/comite",
            &[
                ("csrf_token", &token),
                ("held_on", "2013-10-01"),
                ("place", "Florencia"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let form = &refused.body[refused.body.find("id=\"session-form\"").expect("the form")..];
    assert!(
        form.contains("id=\"session-failure\" data-problem=\"procedure-error-no_attendees\""),
        "the summary inside the form: {}",
        refused.body
    );
    assert!(form.contains("value=\"2013-10-01\"") && form.contains("value=\"Florencia\""));
    let created = client
        .post_form(
            "/personal/comite",
            &[
                ("csrf_token", &token),
                ("held_on", "2013-10-01"),
                ("place", "Florencia"),
                ("attendee", &first_text),
                ("attendee", &second_text),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let session = created.location.expect("location");
    let session_id: i32 = session
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let page = client.get(&session).await;
    assert!(page.body.contains("id=\"agenda-form\""), "{}", page.body);
    let id_text = id.to_string();
    let added = client
        .post_form(
            &format!("{session}/agenda"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("formulation_id", &id_text),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    // The same stale form again: 409, nothing changes.
    let stale = client
        .post_form(
            &format!("{session}/agenda"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("formulation_id", &id_text),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(state(&client, id).await, ProcedureState::OnAgenda);
    let minutes = client.db.store.minutes(session_id).await.expect("minutes");
    let item = minutes.agenda[0].id;
    let concept = client
        .post_form(
            &format!("{session}/conceptos/{item}"),
            &[
                ("csrf_token", &token),
                ("concept", "positive"),
                ("text", "Viable: TIR 21 %"),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(concept.status, StatusCode::SEE_OTHER, "{}", concept.body);
    let twice = client
        .post_form(
            &format!("{session}/conceptos/{item}"),
            &[
                ("csrf_token", &token),
                ("concept", "negative"),
                ("text", "otra cosa"),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(state(&client, id).await, ProcedureState::Viable);
    let closed = client
        .post_form(
            &format!("{session}/acta"),
            &[("confirmed", "1"), ("csrf_token", &token), ("lock_version", "1")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let signed = client
        .post_form(
            &format!("{session}/firma"),
            &[("confirmed", "1"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let again = client
        .post_form(
            &format!("{session}/firma"),
            &[("confirmed", "1"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again
            .body
            .contains(r#"data-problem="procedure-error-already_signed""#),
        "{}",
        again.body
    );
    // The same refusal speaks English to a visitor who chose it.
    client.get("/idioma/en?next=/").await;
    let in_english = client
        .post_form(
            &format!("{session}/firma"),
            &[("confirmed", "1"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(in_english.status, StatusCode::CONFLICT);
    assert!(
        in_english.body.contains(r#"<html lang="en""#),
        "{}",
        in_english.body
    );
    assert!(
        in_english
            .body
            .contains(r#"data-problem="procedure-error-already_signed""#),
        "{}",
        in_english.body
    );
    assert_ne!(
        vereda_messages::Lang::En.t("procedure-error-already_signed"),
        vereda_messages::Lang::Es.t("procedure-error-already_signed")
    );
    assert!(
        in_english
            .body
            .contains(vereda_messages::Lang::En.t("procedure-error-already_signed"))
    );
    client.get("/idioma/es?next=/").await;
    let pdf = client.get(&format!("{session}/acta.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    // Typeset from the records and dated the session's day: the same bytes every time.
    assert_eq!(client.get(&format!("{session}/acta.pdf")).await.body, pdf.body);

    // Art. 27: only the director of the project's office (Nariño, for Tumaco) awards, and not
    // on minutes still missing a signature.
    let director = account_id(&client, Role::TerritorialDirector).await;
    assign_office(&client, director, "Caquetá").await;
    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    // Out of the Caquetá director's reach, the project does not exist for them.
    let hidden = client.get(&procedure).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);
    let token = Client::csrf_in(&hidden.body);
    let award_form = [
        ("csrf_token", token.as_str()),
        ("awarded_on", "2013-10-15"),
        ("motivation", "Concepto positivo del comité"),
        // Empty: the approved version's evaluated maximum.
        ("institute_contribution", ""),
        ("lowering_motivation", ""),
        ("obligations", ""),
        ("confirmed", "1"),
    ];
    let elsewhere = client
        .post_form(&format!("/personal/formulaciones/{id}/adjudicacion"), &award_form)
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.body);
    assign_office(&client, director, "Nariño").await;
    let page = client.get(&procedure).await;
    assert!(page.body.contains("id=\"award-form\""), "{}", page.body);
    let unsigned = client
        .post_form(&format!("/personal/formulaciones/{id}/adjudicacion"), &award_form)
        .await;
    assert_eq!(unsigned.status, StatusCode::CONFLICT, "{}", unsigned.body);
    assert!(
        unsigned
            .body
            .contains(r#"data-problem="procedure-error-minutes_unsigned""#),
        "{}",
        unsigned.body
    );
    assert!(
        unsigned.body.contains("second.member@vereda.test"),
        "{}",
        unsigned.body
    );
    assert_eq!(state(&client, id).await, ProcedureState::Viable);
    let second_actor = second.actor();
    client
        .db
        .store
        .sign_minutes(&second_actor, session_id)
        .await
        .expect("second signature");
    let mut ambiguous = award_form;
    ambiguous[4] = ("institute_contribution", "5,000");
    let refused = client
        .post_form(&format!("/personal/formulaciones/{id}/adjudicacion"), &ambiguous)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(state(&client, id).await, ProcedureState::Viable);
    let awarded = client
        .post_form(&format!("/personal/formulaciones/{id}/adjudicacion"), &award_form)
        .await;
    assert_eq!(awarded.status, StatusCode::SEE_OTHER, "{}", awarded.body);
    let award = client
        .db
        .store
        .award_of(id)
        .await
        .expect("read")
        .expect("the award");
    let project_value: rust_decimal::Decimal = vereda_store::test_support::viable_cocoa()
        .budget
        .iter()
        .map(|l| l.amount())
        .sum();
    assert_eq!(Some(award.institute_contribution), award.evaluated_maximum);
    assert_eq!(
        (award.counterpart, award.guarantee),
        (
            project_value - award.institute_contribution,
            (award.institute_contribution / rust_decimal::Decimal::TEN).ceil()
        ),
        "derived from the contribution (Art. 31)"
    );
    let resolution = client
        .get(&format!("/personal/formulaciones/{id}/adjudicacion"))
        .await;
    assert_eq!(resolution.status, StatusCode::OK, "{}", resolution.body);
    assert!(resolution.body.contains("DT-NAR-2013-001"), "{}", resolution.body);
    assert!(resolution.body.contains("Art. 31"), "{}", resolution.body);
    let pdf = client
        .get(&format!("/personal/formulaciones/{id}/resolucion.pdf"))
        .await;
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    let again = client
        .get(&format!("/personal/formulaciones/{id}/resolucion.pdf"))
        .await;
    assert_eq!(
        again.body, pdf.body,
        "the resolution is reproducible byte for byte"
    );

    // Art. 32-33: the requirements first, then one payment.
    let early = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("paid_on", "2013-11-05"),
            ],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.body);
    assert!(
        early
            .body
            .contains(r#"data-problem="procedure-error-requirements_missing""#),
        "{}",
        early.body
    );
    for requirement in ["procedure-req_joint_account", "procedure-req_approved_policy"] {
        let name = vereda_messages::Lang::Es.t(requirement);
        assert!(early.body.contains(name), "{name}: {}", early.body);
    }
    let evidence = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso/soportes"),
            &[
                ("csrf_token", &token),
                ("lock_version", "0"),
                ("joint_account", "Cuenta 123 Banco Agrario"),
                ("approved_policy", "Póliza 77"),
            ],
        )
        .await;
    assert_eq!(evidence.status, StatusCode::SEE_OTHER, "{}", evidence.body);
    // Separation of duties: who recorded the evidence does not register the payment.
    let same_hands = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("paid_on", "2013-11-05"),
            ],
        )
        .await;
    assert_eq!(same_hands.status, StatusCode::FORBIDDEN, "{}", same_hands.body);
    assert!(
        same_hands
            .body
            .contains(r#"data-problem="custody-error-same_hands""#),
        "{}",
        same_hands.body
    );
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let page = client.get(&procedure).await;
    let token = Client::csrf_in(&page.body);
    // CPACA Art. 87: not before the award is firm; it is not notified yet.
    let unfirm = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("paid_on", "2013-11-05"),
            ],
        )
        .await;
    assert_eq!(unfirm.status, StatusCode::CONFLICT, "{}", unfirm.body);
    assert!(
        unfirm
            .body
            .contains(r#"data-problem="acts-error-not_firm_unnotified""#),
        "{}",
        unfirm.body
    );
    // Each family notified in person on the award's day, on the notifications page.
    let notifications = format!("/personal/formulaciones/{id}/notificaciones");
    let life = client
        .db
        .store
        .award_life(id, jiff::civil::date(2013, 10, 15))
        .await
        .expect("read")
        .expect("awarded");
    for family in &life.families {
        let beneficiary = family.beneficiary_id.to_string();
        let recorded = client
            .post_form(
                &notifications,
                &[
                    ("csrf_token", &token),
                    ("beneficiary_id", &beneficiary),
                    ("kind", "personal"),
                    ("recipient_name", &format!("Cabeza de {}", family.external_id)),
                    ("notified_on", "2013-10-15"),
                    ("cited_on", ""),
                ],
            )
            .await;
        assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    }
    let life_page = client.get(&notifications).await;
    assert_eq!(life_page.status, StatusCode::OK, "{}", life_page.body);
    // Today is long after the window: firm.
    assert!(
        life_page.body.contains(r#"data-status="firm""#),
        "{}",
        life_page.body
    );
    assert!(
        life_page.body.contains(r#"id="life-firm-on">30 oct 2013"#),
        "firm from: {}",
        life_page.body
    );
    // Unconfirmed: the question names the amount, the project and the resolution; nothing paid.
    let asked = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso"),
            &[("csrf_token", &token), ("paid_on", "2013-11-05")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains(r#"data-confirm="confirm-disbursement""#),
        "{}",
        asked.body
    );
    let award = client
        .db
        .store
        .award_of(id)
        .await
        .expect("read")
        .expect("awarded");
    let record = client
        .db
        .store
        .formulation(id)
        .await
        .expect("read")
        .expect("formulation");
    for named in [
        vereda_messages::Lang::Es.amount(&award.institute_contribution),
        award.number.clone(),
        record.formulation.code.clone(),
    ] {
        assert!(asked.body.contains(&named), "{named}: {}", asked.body);
    }
    assert_eq!(state(&client, id).await, ProcedureState::Awarded);
    let paid = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("paid_on", "2013-11-05"),
            ],
        )
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    let twice = client
        .post_form(
            &format!("/personal/formulaciones/{id}/desembolso"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("paid_on", "2013-11-06"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(state(&client, id).await, ProcedureState::Disbursed);

    let page = client.get(&procedure).await;
    assert!(page.body.contains("Desembolsado"), "{}", page.body);
    assert!(page.body.contains("Firma del acta"), "{}", page.body);
    for kind in ["endorsement", "concept", "signature", "award", "disbursement"] {
        assert!(
            page.body.contains(&format!("data-kind=\"{kind}\"")),
            "{kind} missing: {}",
            page.body
        );
    }
    client.get("/idioma/en").await;
    let english = client.get(&procedure).await;
    assert!(english.body.contains("Project procedure"), "{}", english.body);
    assert!(english.body.contains("Minutes signed"), "{}", english.body);
}

#[tokio::test]
async fn a_negative_concept_returns_the_project_and_versions_can_be_compared() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let officer = client
        .db
        .store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::TerritorialOfficer)
        .expect("officer");
    client
        .db
        .store
        .record_endorsement(
            &officer.actor(),
            id,
            vereda_store::procedure::NewEndorsement {
                endorsed_on: jiff::civil::date(2013, 9, 20),
                families_endorsing: 10,
                minutes: "Asamblea".into(),
            },
        )
        .await
        .expect("endorse");
    client.log_in_as(Role::CommitteeMember).await;
    let token = client.csrf().await;
    let member = account_id(&client, Role::CommitteeMember).await.to_string();
    let created = client
        .post_form(
            "/personal/comite",
            &[
                ("csrf_token", &token),
                ("held_on", "2013-10-01"),
                ("place", "Mocoa"),
                ("attendee", &member),
            ],
        )
        .await;
    let session = created.location.expect("session");
    let id_text = id.to_string();
    client
        .post_form(
            &format!("{session}/agenda"),
            &[
                ("confirmed", "1"),
                ("csrf_token", &token),
                ("formulation_id", &id_text),
                ("lock_version", "0"),
            ],
        )
        .await;
    let session_id: i32 = session
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let item = client.db.store.minutes(session_id).await.expect("minutes").agenda[0].id;
    let returned = client
        .post_form(
            &format!("{session}/conceptos/{item}"),
            &[
                ("csrf_token", &token),
                ("concept", "negative"),
                ("text", "Revise los costos del vivero"),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);
    assert_eq!(state(&client, id).await, ProcedureState::Returned);

    // The formulator's next save is version 2, compared field by field with version 1.
    let formulator = client
        .db
        .store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::Formulator)
        .expect("formulator");
    let mut corrected: Formulation = vereda_store::test_support::viable_cocoa();
    corrected.frame.title = "Cacao con vivero corregido".into();
    client
        .db
        .store
        .save_formulation_draft(
            &formulator.actor(),
            NewFormulationDraft {
                formulation: &corrected,
                call_id: None,
                note: None,
                viable: Some(true),
                irr: None,
                rule_set_id: "incoder-308-2013".into(),
                rule_set_hash: None,
            },
        )
        .await
        .expect("version 2");
    let diff = client
        .get(&format!("/personal/formulaciones/{id}/comparar"))
        .await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
    assert!(
        diff.body.contains("frame.title") && diff.body.contains("Cacao con vivero corregido"),
        "{}",
        diff.body
    );
    let minutes = client.get(&session).await;
    assert!(
        minutes.body.contains("Revise los costos del vivero"),
        "{}",
        minutes.body
    );
}

#[tokio::test]
async fn the_procedure_pages_need_an_account() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    for path in [
        format!("/personal/formulaciones/{id}/procedimiento"),
        "/personal/comite".to_owned(),
    ] {
        let reply = client.get(&path).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
        assert!(reply.location.unwrap_or_default().starts_with("/ingreso"));
    }
}

/// The text of the element with this `id` (up to its closing tag), or "" when absent.
fn element_text<'a>(page: &'a str, id: &str) -> &'a str {
    let Some(start) = page.find(&format!("id=\"{id}\"")) else {
        return "";
    };
    let rest = &page[start..];
    let open = rest.find('>').map_or(rest.len(), |i| i + 1);
    let close = rest.find("</").unwrap_or(rest.len());
    &rest[open..close.max(open)]
}

#[tokio::test]
async fn a_refused_award_shows_the_form_again_with_what_was_typed() {
    let mut client = Client::with_demo().await;
    let id = viable(&client).await;
    let director = account_id(&client, Role::TerritorialDirector).await;
    assign_office(&client, director, "Nariño").await;
    client.log_in_as(Role::TerritorialDirector).await;
    let procedure = format!("/personal/formulaciones/{id}/procedimiento");
    let page = client.get(&procedure).await;
    // The day suggested is today in Colombia, not on the server's clock (UTC at midnight
    // there is still yesterday here, and the ledger refuses a movement before the payment).
    let today = vereda_store::projects::today_in_colombia().to_string();
    assert!(
        page.body.contains(&format!(
            r#"id="awarded_on" name="awarded_on" type="date" value="{today}""#
        )),
        "{}",
        page.body
    );
    let token = Client::csrf_in(&page.body);
    let refused = client
        .post_form(
            &format!("/personal/formulaciones/{id}/adjudicacion"),
            &[
                ("confirmed", "1"),
                ("csrf_token", token.as_str()),
                ("awarded_on", "2013-10-15"),
                ("motivation", "Motivación escrita 4711"),
                ("institute_contribution", "999.999.999.999"),
                ("lowering_motivation", "Ninguna 0815"),
                ("obligations", "Obligaciones 2024"),
            ],
        )
        .await;
    // Art. 7, 29: above the evaluated maximum; nothing is written.
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r#"data-problem="custody-error-above_maximum""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"id="award-form""#), "{}", refused.body);
    assert_eq!(
        element_text(&refused.body, "motivation"),
        "Motivación escrita 4711"
    );
    assert_eq!(element_text(&refused.body, "lowering_motivation"), "Ninguna 0815");
    assert_eq!(element_text(&refused.body, "obligations"), "Obligaciones 2024");
    assert!(
        refused.body.contains(r#"value="999.999.999.999""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="2013-10-15""#), "{}", refused.body);
    assert!(
        !refused.body.contains(r#"id="last-change""#),
        "only a stale form says who acted"
    );
    assert_eq!(state(&client, id).await, ProcedureState::Viable);
    assert!(client.db.store.award_of(id).await.expect("read").is_none());

    // A date that does not read is refused on the same page, the other fields kept.
    let bad_date = client
        .post_form(
            &format!("/personal/formulaciones/{id}/adjudicacion"),
            &[
                ("confirmed", "1"),
                ("csrf_token", token.as_str()),
                ("awarded_on", "mañana"),
                ("motivation", "Motivación escrita 4711"),
                ("institute_contribution", ""),
            ],
        )
        .await;
    assert_eq!(
        bad_date.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_date.body
    );
    assert!(
        bad_date.body.contains(r#"data-problem="procedure-error-date""#),
        "{}",
        bad_date.body
    );
    assert_eq!(
        element_text(&bad_date.body, "motivation"),
        "Motivación escrita 4711"
    );
}

#[tokio::test]
async fn a_stale_committee_form_names_who_acted_meanwhile() {
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let store = client.db.store.clone();
    let accounts = store.accounts().await.expect("accounts");
    let actor = |role: Role| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .expect("a demo account")
            .actor()
    };
    store
        .record_endorsement(
            &actor(Role::TerritorialOfficer),
            id,
            vereda_store::procedure::NewEndorsement {
                endorsed_on: jiff::civil::date(2013, 9, 20),
                families_endorsing: 10,
                minutes: "Asamblea en la vereda".into(),
            },
        )
        .await
        .expect("endorsement");
    let second = store
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
    let session = store
        .create_session(
            &actor(Role::ProgramOfficer),
            vereda_store::procedure::NewSession {
                held_on: jiff::civil::date(2013, 10, 1),
                place: "Florencia".into(),
                attendees: vec![first, second.id],
            },
        )
        .await
        .expect("session")
        .session_id;
    let page_path = format!("/personal/comite/{session}");

    // The second member opens the page; meanwhile the secretary puts the project on the agenda.
    let log_in = client
        .log_in("second.member@vereda.test", "una clave larga")
        .await;
    assert_eq!(log_in.status, StatusCode::SEE_OTHER, "{}", log_in.body);
    let page = client.get(&page_path).await;
    assert!(page.body.contains(r#"id="agenda-form""#), "{}", page.body);
    let token = Client::csrf_in(&page.body);
    let item = store
        .add_to_agenda(&actor(Role::ProgramOfficer), session, id, 0)
        .await
        .expect("agenda")
        .id;
    let id_text = id.to_string();
    let stale = client
        .post_form(
            &format!("{page_path}/agenda"),
            &[
                ("confirmed", "1"),
                ("csrf_token", token.as_str()),
                ("formulation_id", &id_text),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale.body.contains(r#"role="alert" data-problem="#),
        "{}",
        stale.body
    );
    let secretary = vereda_store::demo::demo_email(Role::ProgramOfficer);
    assert!(
        element_text(&stale.body, "last-change").contains(&secretary),
        "{}",
        stale.body
    );
    assert!(
        stale.body.contains(r#"id="last-change" data-kind="agenda""#),
        "{}",
        stale.body
    );

    // The first member issues the concept while the second is writing hers.
    store
        .issue_concept(
            &actor(Role::CommitteeMember),
            item,
            vereda_store::procedure::Concept::Positive,
            "Viable",
            0,
        )
        .await
        .expect("concept");
    let late = client
        .post_form(
            &format!("{page_path}/conceptos/{item}"),
            &[
                ("csrf_token", token.as_str()),
                ("concept", "negative"),
                ("text", "Recomendaciones 31415"),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let member = vereda_store::demo::demo_email(Role::CommitteeMember);
    assert!(
        element_text(&late.body, "last-change").contains(&member),
        "{}",
        late.body
    );
    // The step is named (the concept), not the status change it made.
    assert!(
        late.body.contains(r#"id="last-change" data-kind="concept""#),
        "{}",
        late.body
    );
    assert_eq!(
        element_text(&late.body, &format!("text-{item}")),
        "Recomendaciones 31415"
    );
    assert!(
        late.body.contains(r#"<option value="negative" selected>"#),
        "{}",
        late.body
    );
    let minutes = store.minutes(session).await.expect("minutes");
    assert_eq!(
        minutes.agenda[0].concept,
        Some(vereda_store::procedure::Concept::Positive),
        "nothing written by the stale form"
    );
    // In English, the same codes and the same account.
    client.get("/idioma/en?next=/").await;
    let english = client
        .post_form(
            &format!("{page_path}/conceptos/{item}"),
            &[
                ("csrf_token", token.as_str()),
                ("concept", "negative"),
                ("text", "Recomendaciones 31415"),
                ("lock_version", "0"),
            ],
        )
        .await;
    assert_eq!(english.status, StatusCode::CONFLICT);
    assert!(english.body.contains(r#"<html lang="en""#), "{}", english.body);
    assert!(
        element_text(&english.body, "last-change").contains(&member),
        "{}",
        english.body
    );
}
