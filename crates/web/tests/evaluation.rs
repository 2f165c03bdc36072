//! In-process tests of the financial evaluation: `POST /api/v1/evaluations` and the staff page.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use support::{Client, Reply};
use vereda_domain::accounts::Role;
use vereda_domain::finance::{BudgetLine, ExpenseCategory, Formulation, Funder};

const COCOA_TOML: &str = include_str!("../../../examples/cacao-tumaco.toml");
const COCOA_JSON: &str = include_str!("../../../examples/cacao-tumaco.json");
const DAIRY_TOML: &str = include_str!("../../../examples/lecheria-san-vicente.toml");

async fn post_json(client: &mut Client, path: &str, body: String) -> Reply {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    client.send(request).await
}

fn as_json(toml_text: &str) -> String {
    let formulation: Formulation = toml::from_str(toml_text).expect("formulation");
    serde_json::to_string(&formulation).expect("JSON")
}

/// The cocoa example with a land line added to its budget.
fn with_land() -> Formulation {
    let mut formulation: Formulation = toml::from_str(COCOA_TOML).expect("formulation");
    formulation.budget.push(BudgetLine {
        category: ExpenseCategory::Land,
        funder: Funder::Counterpart,
        description: "Compra de un lote".to_owned(),
        quantity: 1.into(),
        unit: "lote".to_owned(),
        unit_price: 5_000_000.into(),
        year: Some(0),
        month: None,
    });
    formulation
}

fn reason<'a>(report: &'a serde_json::Value, check: &str) -> &'a serde_json::Value {
    report["evaluation"]["verdict"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["check"] == check)
        .unwrap_or_else(|| panic!("no {check} reason"))
}

#[tokio::test]
async fn the_api_evaluates_the_worked_examples() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Formulator).await;

    let cocoa = post_json(&mut client, "/api/v1/evaluations", COCOA_JSON.to_owned()).await;
    assert_eq!(cocoa.status, StatusCode::OK, "{}", cocoa.body);
    let report = cocoa.json();
    assert_eq!(report["evaluation"]["verdict"]["viable"], false);
    let income = reason(&report, "family_income");
    assert_eq!(income["passed"], false);
    assert!(
        income["article"].as_str().expect("article").contains("19.6"),
        "{income}"
    );
    let irr = report["evaluation"]["irr"]["unique"].as_f64().expect("one IRR");
    assert!((irr - 0.1198).abs() < 5e-4, "IRR {irr}");
    assert!(report["rule_set"]["id"].is_string());
    assert_eq!(
        report["rule_set"]["content_hash"].as_str().map(str::len),
        Some(64)
    );
    assert!(report["rule_set"]["selection"].is_string());
    assert!(
        report["evaluation"]["cash_flow"]["years"]
            .as_array()
            .is_some_and(|y| !y.is_empty())
    );
    assert!(report["evaluation"]["sensitivity"]["cases"].is_array());
    assert!(
        report["cofinancing"]["by_funder"].is_array(),
        "{}",
        report["cofinancing"]
    );
    assert!(report["cofinancing"]["guarantee"]["amount"].is_string());
    assert!(report["project"]["code"].as_str().is_some());

    let dairy = post_json(&mut client, "/api/v1/evaluations", as_json(DAIRY_TOML)).await;
    assert_eq!(dairy.status, StatusCode::OK, "{}", dairy.body);
    assert_eq!(dairy.json()["evaluation"]["verdict"]["viable"], true);

    // The same TOML example, as JSON, gives the same verdict as the shipped JSON file.
    let again = post_json(&mut client, "/api/v1/evaluations", as_json(COCOA_TOML)).await;
    assert_eq!(
        again.json()["evaluation"]["verdict"],
        report["evaluation"]["verdict"]
    );
}

#[tokio::test]
async fn the_api_lists_the_problems_of_an_invalid_formulation() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Oversight).await;
    let body = serde_json::to_string(&with_land()).expect("JSON");
    let reply = post_json(&mut client, "/api/v1/evaluations", body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let problems = reply.json();
    assert_eq!(problems["error"], "invalid_input");
    let listed = problems["problems"].as_array().expect("problems");
    assert!(
        listed.iter().any(|p| p["path"]
            .as_str()
            .is_some_and(|path| path.starts_with("budget[12]"))
            && p["article"].as_str().is_some_and(|a| a.contains("18.4"))),
        "{problems}"
    );
    // Each problem names its field as the field registry labels it, in the visitor's language.
    let category = listed
        .iter()
        .find(|p| p["path"] == "budget[12].category")
        .expect("the land line's category");
    assert_eq!(category["label"], "Rubro", "{category}");

    let garbage = post_json(&mut client, "/api/v1/evaluations", "{\"frame\": 1}".to_owned()).await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(garbage.json()["error"], "invalid_input");

    let unknown = post_json(
        &mut client,
        "/api/v1/evaluations?rules=no-such-rules",
        COCOA_JSON.to_owned(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.json()["detail"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-rules"))
    );
}

#[tokio::test]
async fn the_api_needs_a_staff_session() {
    let mut client = Client::with_demo().await;
    let reply = post_json(&mut client, "/api/v1/evaluations", COCOA_JSON.to_owned()).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "login_required");

    let page = client.get("/personal/evaluaciones").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.is_some_and(|l| l.starts_with("/ingreso")));
}

#[tokio::test]
async fn the_page_evaluates_an_uploaded_file() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let dashboard = client.get("/personal").await;
    assert!(dashboard.body.contains("href=\"/personal/evaluaciones\""));

    let form = client.get("/personal/evaluaciones").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"evaluation-form\""));
    let token = Client::csrf_in(&form.body);

    let reply = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", &token), ("example", ""), ("rules", "")],
            &[("file", "cacao-tumaco.toml", COCOA_TOML.as_bytes())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page = &reply.body;
    assert!(page.contains("data-viable=\"false\""));
    assert!(page.contains("NO VIABLE"));
    assert!(page.contains("id=\"reason-family_income\""));
    assert!(page.contains("Art. 19.6"));
    assert!(page.contains("11,98 %"), "IRR the Colombian way");
    assert!(page.contains("id=\"cash-flow\""));
    assert!(page.contains("id=\"cofinancing\""));
    assert!(page.contains("id=\"sensitivity\""));
    assert!(page.contains("<svg"));
    assert!(page.contains("id=\"chart-text\""));

    let dairy = client
        .post_files(
            "/personal/evaluaciones",
            &[
                ("csrf_token", &token),
                ("example", "lecheria-san-vicente"),
                ("rules", ""),
            ],
            &[("file", "", b"")],
        )
        .await;
    assert_eq!(dairy.status, StatusCode::OK, "{}", dairy.body);
    assert!(dairy.body.contains("data-viable=\"true\""));

    let forged = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", "forged"), ("example", "cacao-tumaco")],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_page_shows_the_problems_of_a_bad_file() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Formulator).await;
    let token = client.csrf().await;

    let land = serde_json::to_string(&with_land()).expect("JSON");
    let reply = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", &token)],
            &[("file", "con-tierra.json", land.as_bytes())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert!(reply.body.contains("id=\"evaluation-problems\""));
    assert!(reply.body.contains("budget[12]"));
    assert!(reply.body.contains("Art. 18.4"));
    assert!(!reply.body.contains("id=\"verdict\""));

    let broken = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", &token)],
            &[("file", "roto.toml", b"frame = 3\n")],
        )
        .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(broken.body.contains("id=\"evaluation-errors\""));
    assert!(broken.body.contains("roto.toml"));

    let wrong_type = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", &token)],
            &[("file", "hogares.csv", b"a,b\n")],
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_type.body.contains("hogares.csv"));

    let nothing = client
        .post_files("/personal/evaluaciones", &[("csrf_token", &token)], &[])
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.body.contains("id=\"evaluation-errors\""));
}

#[tokio::test]
async fn the_page_charts_the_sensitivity_and_downloads_the_evaluation() {
    use std::sync::{Arc, Mutex};

    let mut client = Client::with_demo().await;
    let seen: Arc<Mutex<Option<header::HeaderMap>>> = Arc::default();
    let recorder = Arc::clone(&seen);
    client.app = client.app.clone().layer(tower::util::MapResponseLayer::new(
        move |response: axum::response::Response| {
            *recorder.lock().expect("lock") = Some(response.headers().clone());
            response
        },
    ));
    client.log_in_as(Role::TerritorialOfficer).await;
    let token = client.csrf().await;
    let reply = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", &token), ("example", ""), ("rules", "")],
            &[("file", "cacao-tumaco.toml", COCOA_TOML.as_bytes())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page = &reply.body;
    let start = page
        .find("<svg id=\"sensitivity-chart\"")
        .expect("the sensitivity chart");
    let chart = &page[start..start + page[start..].find("</svg>").expect("end of chart")];
    assert!(chart.contains("role=\"img\""));
    assert!(chart.contains("aria-label="));
    assert!(chart.contains("<title>"));
    assert!(
        chart.contains("id=\"sensitivity-minimum\""),
        "the minimum IRR line"
    );
    assert!(chart.contains("6 %"), "{chart}");
    assert!(chart.contains("price -10%"));
    assert!(page.contains("id=\"sensitivity-chart-text\""));
    assert!(page.contains("id=\"export-pdf\""));
    assert!(page.contains("id=\"export-xlsx\""));

    let fields = [
        ("csrf_token", token.as_str()),
        ("name", "cacao-tumaco.toml"),
        ("text", COCOA_TOML),
        ("rules", ""),
    ];
    let pdf = client
        .post_form("/personal/evaluaciones/exportar?format=pdf", &fields)
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    let disposition = |seen: &Arc<Mutex<Option<header::HeaderMap>>>| {
        seen.lock()
            .expect("lock")
            .as_ref()
            .and_then(|h| h.get(header::CONTENT_DISPOSITION).cloned())
            .map(|v| v.to_str().expect("text").to_owned())
            .unwrap_or_default()
    };
    let pdf_disposition = disposition(&seen);
    assert!(pdf_disposition.starts_with("attachment;"), "{pdf_disposition}");
    assert!(pdf_disposition.contains(".pdf"));

    let xlsx = client
        .post_form("/personal/evaluaciones/exportar?format=xlsx", &fields)
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    assert!(xlsx.content_type.contains("spreadsheetml"));
    assert!(xlsx.body.starts_with("PK"));
    let xlsx_disposition = disposition(&seen);
    assert!(xlsx_disposition.starts_with("attachment;"), "{xlsx_disposition}");
    assert!(xlsx_disposition.contains(".xlsx"));

    let forged = client
        .post_form(
            "/personal/evaluaciones/exportar?format=pdf",
            &[("csrf_token", "forged"), ("name", "a.toml"), ("text", COCOA_TOML)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// The cocoa example with a replanting in its last year: the net flow changes sign twice.
fn with_replanting() -> Formulation {
    let mut formulation: Formulation = toml::from_str(COCOA_TOML).expect("formulation");
    if let Some(last) = formulation.production[0].years.last_mut() {
        last.replacements += rust_decimal::Decimal::from(230_000_000);
    }
    formulation
}

#[tokio::test]
async fn with_several_irrs_the_modified_irr_decides_and_the_page_shows_every_root() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Formulator).await;
    let body = serde_json::to_string(&with_replanting()).expect("JSON");
    let reply = post_json(&mut client, "/api/v1/evaluations", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let report = reply.json();
    let roots = report["evaluation"]["irr"]["several"]
        .as_array()
        .expect("several IRRs");
    assert_eq!(roots.len(), 2, "{roots:?}");
    let mirr = report["evaluation"]["mirr"].as_f64().expect("a MIRR");
    let irr = reason(&report, "irr");
    assert_eq!(irr["seen"]["kind"], "mirr");
    assert_eq!(irr["seen"]["value"]["rate"].as_f64(), Some(mirr));
    assert_eq!(irr["seen"]["value"]["roots"].as_array(), Some(roots));
    assert_eq!(irr["passed"], serde_json::Value::Bool(mirr >= 0.06));

    let mut client = Client::with_demo().await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let form = client.get("/personal/evaluaciones").await;
    let token = Client::csrf_in(&form.body);
    let toml_text = toml::to_string(&with_replanting()).expect("TOML");
    let page = client
        .post_files(
            "/personal/evaluaciones",
            &[("csrf_token", &token), ("example", ""), ("rules", "")],
            &[("file", "replanting.toml", toml_text.as_bytes())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"indicator-mirr\""), "{}", page.body);
    assert!(page.body.contains("id=\"irr-decided-by\""));
    let shown = |rate: f64| format!("{:.2} %", rate * 100.0).replace('.', ",");
    assert!(page.body.contains(&shown(mirr)), "MIRR {}", shown(mirr));
    for root in roots {
        let root = root.as_f64().expect("a rate");
        assert!(page.body.contains(&shown(root)), "root {}", shown(root));
    }
}
