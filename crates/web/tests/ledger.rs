//! After the payment (Art. 29 par., 34), in process: the investment plan frozen at the award
//! and its changes by four eyes, the controlled account's movements checked against the plan
//! with the form kept on refusal, a bank statement imported whole and reconciled; on the pages
//! and over the JSON API, within the office's reach, the families' representative masked for
//! roles that do not see personal data.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::procedure::{account_id, assign_office, awarded};
use support::{Client, Reply};
use vereda_domain::accounts::Role;

const CODE: &str = "NAR-TUM-2013-001";

#[track_caller]
fn problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.json()["code"], code, "{}", reply.body);
}

async fn session_as(client: &mut Client, role: Role) -> String {
    client.forget_session();
    client.log_in_as(role).await;
    let me = client.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.json()["csrf_token"].as_str().expect("a token").to_owned()
}

/// The worked example awarded and paid today by the demo's office of Nariño (a third
/// territorial account registers the payment the officer and the director prepared).
async fn paid(client: &Client) -> jiff::civil::Date {
    let today = vereda_store::projects::today_in_colombia();
    // Awarded a month ago and notified then: firm today (CPACA Art. 87).
    let awarded_on = today
        .checked_sub(jiff::Span::new().days(30))
        .expect("a month ago");
    let id = awarded(client, awarded_on).await;
    let store = &client.db.store;
    let admin = vereda_domain::audit::Actor::system("test");
    let officer = store
        .account(account_id(client, Role::TerritorialOfficer).await)
        .await
        .expect("read")
        .expect("officer");
    let director = store
        .account(account_id(client, Role::TerritorialDirector).await)
        .await
        .expect("read")
        .expect("director");
    store
        .record_disbursement_evidence(
            &officer.actor(),
            id,
            Some("Cuenta 123-45 Banco Agrario, firma conjunta"),
            None,
            0,
        )
        .await
        .expect("account");
    let checklist = store.disbursement_checklist(id).await.expect("checklist");
    store
        .record_disbursement_evidence(
            &director.actor(),
            id,
            None,
            Some("Póliza 77 aprobada"),
            checklist.lock_version,
        )
        .await
        .expect("policy");
    let payer = store
        .create_account(
            &admin,
            vereda_store::accounts::NewAccount {
                email: "pagador@vereda.test".into(),
                display_name: "Pagador".into(),
                role: Role::TerritorialOfficer,
                password: "una clave larga".into(),
            },
        )
        .await
        .expect("payer");
    assign_office(client, payer.id, "Nariño").await;
    vereda_store::test_support::notify_award(store, &officer.actor(), id, awarded_on)
        .await
        .expect("notified");
    store.disburse(&payer.actor(), id, today).await.expect("paid");
    today
}

/// The name and document of the head of one of the project's families.
async fn representative(client: &Client) -> (String, String) {
    use sea_orm::ConnectionTrait;
    let store = &client.db.store;
    let row = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            store.backend(),
            "SELECT first_name, last_name, document FROM persons WHERE is_head = true AND household_id IN \
             (SELECT household_id FROM project_beneficiaries WHERE project_id = \
             (SELECT id FROM projects WHERE code = 'NAR-TUM-2013-001')) ORDER BY id LIMIT 1"
                .to_owned(),
        ))
        .await
        .expect("head")
        .expect("a head");
    let first: String = row.try_get("", "first_name").expect("first");
    let last: String = row.try_get("", "last_name").expect("last");
    (
        format!("{first} {last}"),
        row.try_get("", "document").expect("document"),
    )
}

#[tokio::test]
async fn the_plan_and_the_account_on_the_staff_pages() {
    let mut client = Client::with_demo().await;
    let today = paid(&client).await;
    let (name, document) = representative(&client).await;
    let plans = client.db.store.investment_plans(CODE).await.expect("plans");
    client.log_in_as(Role::TerritorialOfficer).await;

    let project = client.get(&format!("/personal/proyectos/{CODE}")).await;
    assert!(
        project.body.contains("id=\"account-link\""),
        "the project links its account"
    );
    let plan = client.get(&format!("/personal/proyectos/{CODE}/plan")).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    assert!(plan.body.contains(&plans[0].sha256), "the plan shows its hash");
    let account = client.get(&format!("/personal/proyectos/{CODE}/cuenta")).await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.body);
    let csrf = Client::csrf_in(&account.body);

    let today = today.to_string();
    let movement = |value: &'static str, reference: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("date", today.clone()),
            ("kind", "payment".to_owned()),
            ("value", value.to_owned()),
            ("line", "5".to_owned()),
            ("supplier_name", "Agroinsumos del Pacífico S.A.S.".to_owned()),
            ("supplier_nit", "890903938-8".to_owned()),
            ("reference", reference.to_owned()),
            ("representative_name", name.clone()),
            ("representative_document", document.clone()),
        ]
    };
    let path = format!("/personal/proyectos/{CODE}/cuenta/movimientos");
    let over = movement("13.000.001", "FV-1");
    let fields: Vec<(&str, &str)> = over.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = client.post_files(&path, &fields, &[]).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("data-problem=\"ledger-error-over_plan\""),
        "beside the value"
    );
    assert!(
        refused.body.contains("value=\"13.000.001\""),
        "the form keeps what was typed"
    );
    assert!(refused.body.contains("value=\"FV-1\""));

    let good = movement("1.000.000", "FV-1");
    let fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stored = client
        .post_files(&path, &fields, &[("receipt", "factura.pdf", b"%PDF-1.4 factura")])
        .await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
    let ledger = client.db.store.ledger(CODE).await.expect("ledger");
    assert_eq!(ledger.movements.len(), 1);
    assert_eq!(ledger.movements[0].document_name.as_deref(), Some("factura.pdf"));
    let again = client.post_files(&path, &fields, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("data-problem=\"ledger-error-duplicate\""));

    let statements = format!("/personal/proyectos/{CODE}/cuenta/extractos");
    let bad = format!(
        "fecha;descripcion;referencia;debito;credito;saldo\n{today};Pago;FV-1;1.000.000;;-1.000.000\nayer;Cobro;;5;;x\n"
    );
    let csrf_fields = [("csrf_token", csrf.as_str())];
    let refused = client
        .post_files(
            &statements,
            &csrf_fields,
            &[("statement", "extracto.csv", bad.as_bytes())],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"import-problems\""));
    assert!(
        refused.body.contains("extracto.csv"),
        "the problem names the file"
    );
    assert!(
        client
            .db
            .store
            .ledger(CODE)
            .await
            .expect("ledger")
            .statement_lines
            .is_empty(),
        "nothing imported"
    );
    // As Excel in Spanish saves it: Windows-1252 ("Débito", "Crédito"), named after the import.
    let mut good = b"fecha;descripcion;referencia;d\xe9bito;cr\xe9dito;saldo\n".to_vec();
    good.extend(format!("{today};Pago;FV-1;1.000.000;;-1.000.000\n{today};GMF;;4.000;;-1.004.000\n").bytes());
    let imported = client
        .post_files(&statements, &csrf_fields, &[("statement", "extracto.csv", &good)])
        .await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.body);
    let confirmation = imported.location.clone().expect("where to go");
    assert!(
        confirmation.ends_with("hecho=extracto&leido=windows-1252"),
        "{confirmation}"
    );
    let confirmed = client.get(&confirmation).await;
    assert!(
        confirmed
            .body
            .contains("id=\"statement-read-as\" data-encoding=\"windows-1252\""),
        "{}",
        confirmed.body
    );
    let account = client.get(&format!("/personal/proyectos/{CODE}/cuenta")).await;
    assert!(
        account.body.contains("<dd id=\"matched-count\">1</dd>"),
        "{}",
        account.body
    );
    assert!(account.body.contains("id=\"statement-only\""));

    // The public side: committed, disbursed and executed, naming no supplier and no family.
    let public = client.get(&format!("/proyectos/{CODE}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.body.contains("id=\"project-executed\">1.000.000 COP"),
        "{}",
        public.body
    );
    for private in ["Agroinsumos", "890903938", document.as_str(), name.as_str()] {
        assert!(!public.body.contains(private), "{private} on a public page");
    }
    let card = client.get(&format!("/api/v1/projects/{CODE}")).await.json();
    assert_eq!(card["award"]["executed"], "1000000");
    assert_eq!(card["award"]["disbursed_on"], today.as_str());
    let iati = client.get("/api/v1/open-data/iati-activities.xml").await;
    assert!(
        iati.body.contains("<transaction-type code=\"4\"/>"),
        "the expenditure"
    );
    assert!(
        iati.body.contains("<transaction-type code=\"3\"/>"),
        "the disbursement"
    );
    assert!(!iati.body.contains("Agroinsumos") && !iati.body.contains(&document));

    // A change of the plan: the office asks, the director decides.
    let mut change = vec![
        ("csrf_token", csrf.clone()),
        ("base_version", "1".to_owned()),
        ("motivation", "Cotizaciones de los kits".to_owned()),
    ];
    change.push(("line_1", "101.000.000".to_owned()));
    change.push(("line_5", "14.000.000".to_owned()));
    let fields: Vec<(&str, &str)> = change.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let requested = client
        .post_form(&format!("/personal/proyectos/{CODE}/plan/cambios"), &fields)
        .await;
    assert_eq!(requested.status, StatusCode::SEE_OTHER, "{}", requested.body);
    let id = client.db.store.plan_changes(CODE).await.expect("changes")[0].id;
    let decision = format!("/personal/proyectos/{CODE}/plan/cambios/{id}/decision");
    let own = client
        .post_form(
            &decision,
            &[
                ("csrf_token", &csrf),
                ("decision", "approve"),
                ("motivation", "Sí"),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    assert!(
        own.body.contains("data-problem=\"scope-error-not_permitted\""),
        "{}",
        own.body
    );
    client.forget_session();
    client.log_in_as(Role::TerritorialDirector).await;
    let csrf = client.csrf().await;
    let approved = client
        .post_form(
            &decision,
            &[
                ("csrf_token", &csrf),
                ("decision", "approve"),
                ("motivation", "Cotizaciones verificadas"),
            ],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let plan = client.get(&format!("/personal/proyectos/{CODE}/plan")).await;
    assert!(plan.body.contains("id=\"plan-version\">2 "), "{}", plan.body);
}

#[tokio::test]
async fn the_plan_and_the_account_over_the_api() {
    let mut client = Client::with_demo().await;
    let today = paid(&client).await;
    let (name, document) = representative(&client).await;
    let csrf = session_as(&mut client, Role::TerritorialOfficer).await;

    let plan = client.get(&format!("/api/v1/projects/{CODE}/plan")).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    let plan = plan.json();
    assert_eq!(plan["versions"][0]["origin"], "award");
    assert_eq!(plan["versions"][0]["sha256"].as_str().map(str::len), Some(64));

    let movements = format!("/api/v1/projects/{CODE}/ledger/movements");
    let body = |nit: &str, value: &str| {
        json!({"date": today.to_string(), "value": value, "kind": "payment", "line": 5,
               "supplier_name": "Agroinsumos del Pacífico S.A.S.", "supplier_nit": nit, "reference": "FV-9",
               "representative_name": name, "representative_document": document})
    };
    let bad_nit = client
        .send_json(
            "POST",
            &movements,
            Some(&csrf),
            Some(&body("890903938-1", "500000")),
        )
        .await;
    problem(
        &bad_nit,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ledger-error-nit_digit",
    );
    let no_csrf = client
        .send_json("POST", &movements, None, Some(&body("890903938-8", "500000")))
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let stored = client
        .send_json(
            "POST",
            &movements,
            Some(&csrf),
            Some(&body("890903938-8", "500000")),
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    let twice = client
        .send_json(
            "POST",
            &movements,
            Some(&csrf),
            Some(&body("890903938-8", "500000")),
        )
        .await;
    problem(&twice, StatusCode::CONFLICT, "ledger-error-duplicate");
    let over = client.send_json("POST", &movements, Some(&csrf), Some(&json!({"date": today.to_string(), "value": "13000000", "kind": "payment", "line": 5,
        "supplier_name": "Otro", "reference": "FV-10", "representative_name": name, "representative_document": document}))).await;
    problem(&over, StatusCode::UNPROCESSABLE_ENTITY, "ledger-error-over_plan");

    let statement = format!("fecha,descripcion,referencia,debito,credito\n{today},Pago,FV-9,500000,\n");
    let imported = client
        .post_files_with(
            &format!("/api/v1/projects/{CODE}/ledger/statements"),
            Some(&csrf),
            &[],
            &[("statement", "extracto.csv", statement.as_bytes())],
        )
        .await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.body);
    let bad = client
        .post_files_with(
            &format!("/api/v1/projects/{CODE}/ledger/statements"),
            Some(&csrf),
            &[],
            &[("statement", "otro.csv", b"fecha,debito,credito\n2013-02-31,5,\n")],
        )
        .await;
    problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "form-error-fields");
    assert!(bad.body.contains("otro.csv"), "{}", bad.body);
    let reconciliation = client
        .get(&format!("/api/v1/projects/{CODE}/ledger/reconciliation"))
        .await
        .json();
    assert_eq!(
        reconciliation["matched"].as_array().map(Vec::len),
        Some(1),
        "{reconciliation}"
    );
    assert_eq!(reconciliation["difference"], "0");

    let change =
        json!({"base_version": 1, "amounts": {"1": "101000000", "5": "14000000"}, "motivation": "Kits"});
    let requested = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/plan/changes"),
            Some(&csrf),
            Some(&change),
        )
        .await;
    assert_eq!(requested.status, StatusCode::CREATED, "{}", requested.body);
    let id = requested.json()["id"].as_i64().expect("id");
    let review = format!("/api/v1/projects/{CODE}/plan/changes/{id}/review");
    let csrf = session_as(&mut client, Role::TerritorialDirector).await;
    let approved = client
        .send_json(
            "POST",
            &review,
            Some(&csrf),
            Some(&json!({"decision": "approve", "motivation": "Bien"})),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let versions = client.get(&format!("/api/v1/projects/{CODE}/plan")).await.json();
    assert_eq!(versions["versions"][1]["origin"], "change");
    let total = json!({"base_version": 2, "amounts": {"5": "15000000"}, "motivation": "Más"});
    let refused = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/plan/changes"),
            Some(&csrf),
            Some(&total),
        )
        .await;
    problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ledger-error-plan_total",
    );
    let own =
        json!({"base_version": 2, "amounts": {"1": "102000000", "5": "13000000"}, "motivation": "Volver"});
    let own = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/plan/changes"),
            Some(&csrf),
            Some(&own),
        )
        .await;
    let own_id = own.json()["id"].as_i64().expect("id");
    let self_review = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/plan/changes/{own_id}/review"),
            Some(&csrf),
            Some(&json!({"decision": "approve", "motivation": "Yo"})),
        )
        .await;
    problem(&self_review, StatusCode::FORBIDDEN, "ledger-error-own_change");

    // Personal data by role: the representative's document is masked for an auditor.
    session_as(&mut client, Role::Auditor).await;
    let ledger = client.get(&format!("/api/v1/projects/{CODE}/ledger")).await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.body);
    assert!(
        !ledger.body.contains(&document),
        "the whole document is not shown"
    );
    assert!(!ledger.body.contains(&name));
    // Out of the office's reach, the account does not exist.
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    assign_office(&client, officer, "Caquetá").await;
    session_as(&mut client, Role::TerritorialOfficer).await;
    let far = client.get(&format!("/api/v1/projects/{CODE}/ledger")).await;
    assert_eq!(far.status, StatusCode::NOT_FOUND, "{}", far.body);
    let far = client.get(&format!("/personal/proyectos/{CODE}/cuenta")).await;
    assert_eq!(far.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_receipt_goes_with_a_movement_over_the_api() {
    let mut client = Client::with_demo().await;
    let today = paid(&client).await;
    let (name, document) = representative(&client).await;
    let csrf = session_as(&mut client, Role::TerritorialOfficer).await;
    let movement = json!({"date": today.to_string(), "value": "250000", "kind": "payment", "line": 5,
        "supplier_name": "Agroinsumos del Pacífico S.A.S.", "supplier_nit": "890903938-8", "reference": "FV-21",
        "representative_name": name, "representative_document": document})
    .to_string();
    let path = format!("/api/v1/projects/{CODE}/ledger/movements");
    let not_a_receipt = client
        .post_files_with(
            &path,
            Some(&csrf),
            &[("movement", movement.as_str())],
            &[("receipt", "factura.exe", b"MZ\x00\x00\x01")],
        )
        .await;
    problem(
        &not_a_receipt,
        StatusCode::UNPROCESSABLE_ENTITY,
        "form-error-fields",
    );
    let stored = client
        .post_files_with(
            &path,
            Some(&csrf),
            &[("movement", movement.as_str())],
            &[("receipt", "factura.pdf", b"%PDF-1.4 factura 21")],
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    let ledger = client.db.store.ledger(CODE).await.expect("ledger");
    assert_eq!(ledger.movements[0].document_name.as_deref(), Some("factura.pdf"));
    assert_eq!(
        ledger.movements[0].document_sha256.as_deref().map(str::len),
        Some(64)
    );
}

/// The project's period made to end today, so that the director may close it.
async fn period_ends(client: &Client, today: jiff::civil::Date) {
    use sea_orm::ConnectionTrait;
    client
        .db
        .store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE projects SET period_end = '{today}' WHERE code = '{CODE}'"
        ))
        .await
        .expect("period");
}

#[tokio::test]
async fn visits_commitments_alerts_and_the_closure_on_the_pages_and_over_the_api() {
    let mut client = Client::with_demo().await;
    let today = paid(&client).await;
    let (name, document) = representative(&client).await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let project = client.get(&format!("/personal/proyectos/{CODE}")).await;
    assert!(project.body.contains("id=\"visits-link\"") && project.body.contains("id=\"closure-link\""));
    let visits = client.get(&format!("/personal/proyectos/{CODE}/visitas")).await;
    assert_eq!(visits.status, StatusCode::OK, "{}", visits.body);
    assert!(visits.body.contains("id=\"visit-form\""));
    let csrf = Client::csrf_in(&visits.body);
    let due = today
        .checked_add(jiff::Span::new().days(30))
        .expect("due")
        .to_string();
    let today_text = today.to_string();
    let visit = |team: &str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("visited_on", today_text.clone()),
            ("team", team.to_owned()),
            ("rating", "4".to_owned()),
            ("delivery_5", "partial".to_owned()),
            ("planned_5", "10".to_owned()),
            ("delivered_5", "4".to_owned()),
            ("note_5", "Kits en bodega".to_owned()),
            ("environmental", "Sin tala".to_owned()),
            ("commitment_0", "Entregar los kits restantes".to_owned()),
            ("due_0", due.clone()),
        ]
    };
    let path = format!("/personal/proyectos/{CODE}/visitas");
    let alone = visit(" ");
    let fields: Vec<(&str, &str)> = alone.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = client.post_form(&path, &fields).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("data-problem=\"followup-error-team_required\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Kits en bodega"),
        "the form keeps what was typed"
    );
    let good = visit("Ingeniera agrónoma\nTécnico ambiental");
    let fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stored = client.post_form(&path, &fields).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
    let recorded = client.db.store.visits(CODE).await.expect("visits");
    assert_eq!(recorded.visits[0].team.len(), 2);
    let visit_id = recorded.visits[0].id;
    let commitment = recorded.commitments[0].id;
    let photo = client
        .post_files(
            &format!("/personal/proyectos/{CODE}/visitas/{visit_id}/fotos"),
            &[
                ("csrf_token", &csrf),
                ("latitude", "1,2136"),
                ("longitude", "-77.2811"),
            ],
            &[("photo", "kits.jpg", b"\xFF\xD8\xFF\xE0 una foto")],
        )
        .await;
    assert_eq!(photo.status, StatusCode::SEE_OTHER, "{}", photo.body);
    let page = client.get(&path).await;
    assert!(page.body.contains("(1.2136, -77.2811)"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("id=\"commitment-{commitment}\" data-open=\"true\""))
    );
    let photo_id = client.db.store.visits(CODE).await.expect("visits").visits[0].photos[0].id;
    let shown = client
        .get(&format!("/personal/proyectos/{CODE}/fotos/{photo_id}"))
        .await;
    assert_eq!(
        (shown.status, shown.content_type.as_str()),
        (StatusCode::OK, "image/jpeg")
    );

    // Over the API: a later visit closes the commitment.
    let csrf = session_as(&mut client, Role::TerritorialOfficer).await;
    let listed = client.get(&format!("/api/v1/projects/{CODE}/visits")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(
        listed.json()["visits"]["commitments"][0]["closed_by_visit"],
        serde_json::Value::Null
    );
    let later = json!({"visited_on": today.to_string(), "team": ["Ingeniera agrónoma"], "rating": 5,
        "findings": [{"line": 5, "delivery": "delivered"}], "closes": [commitment]});
    let closed = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/visits"),
            Some(&csrf),
            Some(&later),
        )
        .await;
    assert_eq!(closed.status, StatusCode::CREATED, "{}", closed.body);
    let again = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/visits"),
            Some(&csrf),
            Some(&later),
        )
        .await;
    problem(
        &again,
        StatusCode::UNPROCESSABLE_ENTITY,
        "followup-error-not_open",
    );
    let progress = client.get(&format!("/api/v1/projects/{CODE}/progress")).await;
    assert_eq!(progress.status, StatusCode::OK, "{}", progress.body);
    assert_eq!(progress.json()["progress"]["management"], "100");
    let alerts = client.get("/api/v1/alerts").await;
    assert_eq!(alerts.status, StatusCode::OK, "{}", alerts.body);
    assert!(
        alerts.json()["projects"]
            .as_array()
            .expect("projects")
            .iter()
            .any(|p| p["code"] == CODE)
    );
    let page = client.get("/personal/alertas").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("id=\"progress-{CODE}\"")));

    // The money in the account; the officer may not close; the director closes with the refund.
    let inflow = json!({"date": today.to_string(), "value": "1000000", "kind": "disbursement",
        "representative_name": name, "representative_document": document});
    let stored = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/ledger/movements"),
            Some(&csrf),
            Some(&inflow),
        )
        .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    period_ends(&client, today).await;
    let closure = |refund: &str| {
        json!({"closed_on": today.to_string(), "reason": "period_ended", "refund_value": refund,
            "refund_on": today.to_string(), "refund_reference": "CONS-991",
            "representative_name": name, "representative_document": document})
    };
    let path = format!("/api/v1/projects/{CODE}/closure");
    let officer = client
        .send_json("POST", &path, Some(&csrf), Some(&closure("1000000")))
        .await;
    problem(&officer, StatusCode::FORBIDDEN, "scope-error-not_permitted");
    let csrf = session_as(&mut client, Role::TerritorialDirector).await;
    let short = client
        .send_json("POST", &path, Some(&csrf), Some(&closure("0")))
        .await;
    problem(&short, StatusCode::UNPROCESSABLE_ENTITY, "closure-error-refund");
    let closed = client
        .send_json("POST", &path, Some(&csrf), Some(&closure("1000000")))
        .await;
    assert_eq!(closed.status, StatusCode::CREATED, "{}", closed.body);
    let act = client.get(&path).await.json();
    assert_eq!(act["closure"]["figures"]["to_refund"], "1000000");
    let pdf = client.get(&format!("/api/v1/projects/{CODE}/closure.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF-"));
    let page = client.get(&format!("/personal/proyectos/{CODE}/cierre")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"closure-act\"") && page.body.contains("id=\"closure-pdf\""));
    let twice = client
        .send_json("POST", &path, Some(&csrf), Some(&closure("0")))
        .await;
    problem(&twice, StatusCode::CONFLICT, "closure-error-closed");
    let late = client
        .send_json(
            "POST",
            &format!("/api/v1/projects/{CODE}/visits"),
            Some(&csrf),
            Some(&later),
        )
        .await;
    problem(&late, StatusCode::CONFLICT, "closure-error-closed");
    let csrf = Client::csrf_in(&page.body);
    let refused = client
        .post_form(
            &format!("/personal/proyectos/{CODE}/visitas"),
            &[
                ("csrf_token", &csrf),
                ("visited_on", &today_text),
                ("team", "Equipo"),
                ("rating", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("data-problem=\"closure-error-closed\""),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn the_photo_and_the_accompaniment_forms_keep_what_was_typed_on_refusal() {
    let mut client = Client::with_demo().await;
    let today = paid(&client).await.to_string();
    client.log_in_as(Role::TerritorialOfficer).await;
    let path = format!("/personal/proyectos/{CODE}/visitas");
    let page = client.get(&path).await;
    let csrf = Client::csrf_in(&page.body);
    let stored = client
        .post_form(
            &path,
            &[
                ("csrf_token", &csrf),
                ("visited_on", &today),
                ("team", "Ingeniera agrónoma"),
                ("rating", "4"),
            ],
        )
        .await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
    let visit = client.db.store.visits(CODE).await.expect("visits").visits[0].id;

    // A photo with a longitude that is no number: both coordinates kept, the problem beside
    // the longitude of that visit's form.
    let photos = format!("/personal/proyectos/{CODE}/visitas/{visit}/fotos");
    let refused = client
        .post_files(
            &photos,
            &[
                ("csrf_token", &csrf),
                ("latitude", "1,2136"),
                ("longitude", "al oeste"),
            ],
            &[("photo", "kits.jpg", b"\xFF\xD8\xFF\xE0 una foto")],
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
            "id=\"longitude-{visit}-errors\" class=\"field-error\" data-problem=\"followup-error-coordinate\""
        )),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"1,2136\""), "the latitude kept");
    assert!(refused.body.contains("value=\"al oeste\""), "the longitude kept");
    assert!(
        !refused.body.contains("id=\"visit-failure\""),
        "beside its field, not above the form"
    );
    // No photo at all: said beside the file's field, the coordinates kept.
    let refused = client
        .post_files(
            &photos,
            &[
                ("csrf_token", &csrf),
                ("latitude", "1,2136"),
                ("longitude", "-77,2811"),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(&format!(
            "id=\"photo-{visit}-errors\" class=\"field-error\" data-problem=\"followup-error-photo_required\""
        )),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"-77,2811\""));
    // Coordinates off the Earth, refused by the store: beside the latitude.
    let refused = client
        .post_files(
            &photos,
            &[
                ("csrf_token", &csrf),
                ("latitude", "91"),
                ("longitude", "-77,2811"),
            ],
            &[("photo", "kits.jpg", b"\xFF\xD8\xFF\xE0 una foto")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(&format!(
            "id=\"latitude-{visit}-errors\" class=\"field-error\" data-problem=\"followup-error-coordinates\""
        )),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"91\""));
    assert!(
        client.db.store.visits(CODE).await.expect("visits").visits[0]
            .photos
            .is_empty()
    );

    // The accompaniment plan: a date that is no date, kept with the topic chosen.
    let topic = client
        .db
        .store
        .accompaniment(CODE)
        .await
        .expect("plan")
        .topics
        .last()
        .cloned()
        .expect("a topic");
    let schedule = format!("/personal/proyectos/{CODE}/acompanamiento");
    let refused = client
        .post_form(
            &schedule,
            &[
                ("csrf_token", &csrf),
                ("topic", &topic),
                ("scheduled_on", "mañana"),
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
            .contains("id=\"scheduled_on-errors\" class=\"field-error\" data-problem=\"ledger-error-date\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"mañana\""));
    let escaped = topic.replace('&', "&amp;").replace('"', "&#34;");
    assert!(
        refused
            .body
            .contains(&format!("<option value=\"{escaped}\" selected>")),
        "the topic kept: {}",
        refused.body
    );
    let scheduled = client
        .post_form(
            &schedule,
            &[("csrf_token", &csrf), ("topic", &topic), ("scheduled_on", &today)],
        )
        .await;
    assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "{}", scheduled.body);
    let activity = client
        .db
        .store
        .accompaniment(CODE)
        .await
        .expect("plan")
        .activities[0]
        .id;

    // Its delivery with an attendance that does not add up: every count kept, the problem
    // beside the families of that activity's form.
    let delivery = format!("/personal/proyectos/{CODE}/acompanamiento/{activity}/entrega");
    let refused = client
        .post_files(
            &delivery,
            &[
                ("csrf_token", &csrf),
                ("delivered_on", &today),
                ("families", "3"),
                ("women", "1"),
                ("men", "7"),
            ],
            &[("evidence", "asistencia.pdf", b"%PDF-1.4 asistencia")],
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
            "id=\"families-{activity}-errors\" class=\"field-error\" data-problem=\"followup-error-attendance\""
        )),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"7\"") && refused.body.contains("value=\"3\""));
    // A count that is no number: beside it, the others kept.
    let refused = client
        .post_files(
            &delivery,
            &[
                ("csrf_token", &csrf),
                ("delivered_on", &today),
                ("families", "3"),
                ("women", "dos"),
                ("men", "1"),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(&format!(
            "id=\"women-{activity}-errors\" class=\"field-error\" data-problem=\"followup-error-count\""
        )),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"dos\""));
    let delivered = client
        .post_files(
            &delivery,
            &[
                ("csrf_token", &csrf),
                ("delivered_on", &today),
                ("families", "3"),
                ("women", "2"),
                ("men", "1"),
            ],
            &[("evidence", "asistencia.pdf", b"%PDF-1.4 asistencia")],
        )
        .await;
    assert_eq!(delivered.status, StatusCode::SEE_OTHER, "{}", delivered.body);
}

/// The values of the attribute `name` in `body`, in order.
fn attribute_values(body: &str, name: &str) -> Vec<String> {
    let needle = format!("{name}=\"");
    body.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &body[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// The office roll-up at any size (issue 17): every project of the office rolled up by office
/// and call, and a page of them, searched, filtered and sorted on the list machinery.
#[tokio::test]
async fn the_office_rollup_is_paged_searched_and_sorted() {
    let mut client = Client::with_demo().await;
    let stored = vereda_store::demo::synthetic_ledgers(&client.db.store, 3, 2)
        .await
        .expect("ledgers");
    assert_eq!(stored, 3);
    client.log_in_as(Role::TerritorialOfficer).await;
    let first = client.get("/personal/alertas?por_pagina=2").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let total: u64 = attribute_values(&first.body, "data-total")[0]
        .parse()
        .expect("a total");
    assert!(total >= 3, "the three synthetic projects at least: {total}");
    assert!(first.body.contains("id=\"office-rollup\""), "the roll-up of all");
    let first_codes = attribute_values(&first.body, "data-code");
    assert_eq!(first_codes.len(), 2, "a page's rows are bounded");
    assert_eq!(
        attribute_values(&first.body, "data-pages"),
        [total.div_ceil(2).to_string()]
    );
    let second = client.get("/personal/alertas?por_pagina=2&pagina=2").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(attribute_values(&second.body, "data-page"), ["2"]);
    let second_codes = attribute_values(&second.body, "data-code");
    assert!(!second_codes.is_empty() && second_codes.len() <= 2);
    assert!(
        second_codes.iter().all(|c| !first_codes.contains(c)),
        "page 2 is another page"
    );
    // A search finds one project, whatever the accents and the case.
    let found = client.get("/personal/alertas?q=cta-00002").await;
    assert_eq!(attribute_values(&found.body, "data-total"), ["1"]);
    assert_eq!(attribute_values(&found.body, "data-code"), ["CTA-00002"]);
    // Sorted by code, descending.
    let sorted = client.get("/personal/alertas?orden=-codigo&por_pagina=200").await;
    let codes = attribute_values(&sorted.body, "data-code");
    let mut expected = codes.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(codes, expected);
    assert_eq!(codes.len() as u64, total);
    // Nothing matches: the roll-up stays, the list says so.
    let none = client.get("/personal/alertas?q=zzz").await;
    assert_eq!(attribute_values(&none.body, "data-total"), ["0"]);
    assert!(none.body.contains("id=\"office-progress-none\""));
    assert!(none.body.contains("id=\"office-rollup\""));
}
