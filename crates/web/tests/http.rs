//! In-process HTTP tests of the pages and the API.

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;

#[tokio::test]
async fn pages_forbid_inline_code_and_framing_and_staff_pages_are_not_stored() {
    let mut client = Client::with_demo().await;
    let header = |reply: &support::Reply, name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let home = client.get("/").await;
    let policy = header(&home, "content-security-policy");
    for directive in [
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert_eq!(header(&home, "x-content-type-options"), "nosniff");
    assert_eq!(header(&home, "referrer-policy"), "same-origin");
    assert!(
        !home.body.contains("<script>") && !home.body.contains(" style=\""),
        "no inline code"
    );
    assert_ne!(
        header(&home, "cache-control"),
        "no-store",
        "public pages may be cached"
    );
    client.log_in_as(Role::TerritorialOfficer).await;
    for path in ["/personal", "/personal/convocatorias", "/api/v1/me"] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(header(&reply, "cache-control"), "no-store", "{path}");
    }
}

#[tokio::test]
async fn the_home_page_is_spanish_and_switches_to_english() {
    let mut client = Client::with_demo().await;
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("<html lang=\"es\">"));
    assert!(home.body.contains("Desarrollo rural con enfoque territorial"));
    assert!(
        home.body
            .contains("Implementation of PDET Productive Routes for Stabilization")
    );
    assert!(home.body.contains("EUR 22.500.000"));

    let switch = client.get("/idioma/en?next=/municipios").await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.location.as_deref(), Some("/municipios"));
    let english = client.get("/").await;
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(
        english
            .body
            .contains("Rural development with a territorial approach")
    );
    assert!(english.body.contains("EUR 22,500,000"));

    let unsafe_next = client.get("/idioma/es?next=//evil.example").await;
    assert_eq!(unsafe_next.location.as_deref(), Some("/"));
    let split_header = client
        .get("/idioma/es?next=/municipios%0D%0ASet-Cookie:%20x=1")
        .await;
    assert_eq!(split_header.status, StatusCode::SEE_OTHER);
    assert_eq!(split_header.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn the_municipalities_page_filters_like_the_api() {
    let mut client = Client::with_demo().await;
    let page = client.get("/municipios?departamento=18").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("16 unidades municipales"), "Caquetá has 16");
    let api = client.get("/api/v1/municipalities?departamento=18").await.json();
    assert_eq!(api.as_array().map(Vec::len), Some(16));

    let search = client.get("/municipios?q=caguan").await;
    assert!(search.body.contains("SAN VICENTE DEL CAGUÁN"));
    assert!(search.body.contains("1 unidades municipales"));

    let subregions = client.get("/api/v1/pdet-subregions").await.json();
    let putumayo = subregions
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["name"] == "Putumayo")
        .expect("Putumayo")["id"]
        .clone();
    let listed = client
        .get(&format!("/api/v1/municipalities?subregion={putumayo}"))
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(9));
    let pdet = client.get("/api/v1/municipalities?pdet=true").await.json();
    assert_eq!(pdet.as_array().map(Vec::len), Some(170));
    let all = client.get("/api/v1/municipalities").await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(1122));
}

#[tokio::test]
async fn an_unknown_department_is_a_clear_error_not_a_crash() {
    let mut client = Client::with_demo().await;
    let api = client.get("/api/v1/municipalities?departamento=12").await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        api.content_type.starts_with("application/problem+json"),
        "{}",
        api.content_type
    );
    assert_eq!(api.json()["error"], "invalid_input");
    assert_eq!(api.json()["status"], 422);
    assert_eq!(
        api.json()["type"],
        "urn:vereda:problem:territory-error-unknown_department"
    );
    assert_eq!(api.json()["code"], "territory-error-unknown_department");
    let page = client.get("/municipios?departamento=1x").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("1x"));
    // A value the filter does not take is an error, not silently ignored.
    let maybe = client.get("/api/v1/municipalities?pdet=maybe").await;
    assert_eq!(maybe.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(maybe.json()["code"], "error-bad_parameter");
}

#[tokio::test]
async fn unknown_routes_answer_404_in_the_clients_format() {
    let mut client = Client::with_demo().await;
    let page = client.get("/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("no existe"));
    let api = client.get("/api/v1/no-such-thing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["error"], "not_found");
    assert_eq!(api.json()["type"], "urn:vereda:problem:not_found");
    let project = client.get("/api/v1/projects/NOPE").await;
    assert_eq!(project.json()["code"], "error-not_found_entity");
    assert!(
        project.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("NOPE"))
    );
}

#[tokio::test]
async fn every_page_links_the_stylesheet_it_serves() {
    let mut client = Client::with_demo().await;
    let page = client.get("/").await;
    let link = page
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet link");
    assert!(
        link.starts_with("/static/vereda-") && link.ends_with(".css"),
        "{link}"
    );
    let stylesheet = client.get(link).await;
    assert_eq!(stylesheet.status, StatusCode::OK);
    assert!(stylesheet.content_type.starts_with("text/css"));
    assert!(stylesheet.body.contains("body"));
    assert_eq!(
        client.get("/static/vereda-0.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn health_reports_the_database() {
    let mut client = Client::with_demo().await;
    let health = client.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["database"], "SQLite");
}

#[tokio::test]
async fn the_demo_project_card_is_reachable_through_the_api() {
    let mut client = Client::with_demo().await;
    let projects = client.get("/api/v1/projects").await.json();
    let eu = projects["items"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["code"] == "T06.60,61,62"))
        .expect("the EU card is in the demo");
    assert_eq!(eu["totals"]["EUR"], "22500000");
    let card = client.get("/api/v1/projects/T06.60%2C61%2C62").await.json();
    assert_eq!(card["period_start"], "2020-07-18");
    assert_eq!(card["funding"].as_array().map(Vec::len), Some(2));
    assert_eq!(card["specific_objectives"].as_array().map(Vec::len), Some(5));
    assert_eq!(card["partners"].as_array().map(Vec::len), Some(7));
    let indicators = card["indicators"].as_array().expect("indicators");
    assert_eq!(indicators.len(), 12);
    let advance: Vec<_> = indicators.iter().map(|i| i["advance_percent"].as_u64()).collect();
    assert_eq!(
        advance[..6],
        [Some(33), Some(0), Some(14), Some(47), Some(44), Some(12)]
    );
    assert_eq!(indicators[11]["last_update"], "2022-06-30");
    assert_eq!(indicators[2]["unit"], "km");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_stable() {
    let mut client = Client::with_demo().await;
    let document = client.get("/api/openapi.json").await.json();
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    for path in [
        "/api/v1/municipalities",
        "/api/v1/projects/{code}",
        "/api/v1/calls",
        "/api/v1/audit",
        "/api/v1/screenings/{id}",
        "/api/v1/formulations/{id}/award",
        "/api/v1/committee-sessions/{id}/signatures",
        "/healthz",
    ] {
        assert!(document["paths"].get(path).is_some(), "{path} is documented");
    }
    insta::assert_json_snapshot!("openapi", document);
}

#[tokio::test]
async fn login_refuses_wrong_passwords_in_spanish_and_keeps_no_session() {
    let mut client = Client::with_demo().await;
    let wrong = client.log_in("admin@vereda.test", "no es la clave").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Correo o contraseña incorrectos."));
    assert_eq!(client.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    let ok = client
        .log_in("ADMIN@vereda.test", vereda_store::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location.as_deref(), Some("/personal"));
    let me = client.get("/api/v1/me").await.json();
    assert_eq!(me["role"], "admin");

    let token = client.csrf().await;
    let out = client.post_form("/salida", &[("csrf_token", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forms_without_the_sessions_token_are_refused() {
    let mut client = Client::with_demo().await;
    let form = client.get("/ingreso").await;
    assert!(Client::csrf_in(&form.body).len() >= 32);
    let forged = client
        .post_form(
            "/ingreso",
            &[
                ("email", "admin@vereda.test"),
                ("password", vereda_store::demo::DEMO_PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    client.log_in_as(Role::Admin).await;
    let create = client
        .post_form(
            "/personal/administracion/cuentas",
            &[
                ("email", "x@vereda.test"),
                ("display_name", ""),
                ("role", "auditor"),
                ("password", "una clave larga"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    let logout = client.post_form("/salida", &[("csrf_token", "")]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
}

/// Every staff page and endpoint, and the roles that may open it.
const GUARDED: &[(&str, &[Role])] = &[
    (
        "/personal",
        &[
            Role::Admin,
            Role::ProgramOfficer,
            Role::TerritorialDirector,
            Role::TerritorialOfficer,
            Role::Formulator,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
        ],
    ),
    (
        "/personal/convocatorias",
        &[
            Role::Admin,
            Role::ProgramOfficer,
            Role::TerritorialDirector,
            Role::TerritorialOfficer,
            Role::Formulator,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
        ],
    ),
    (
        "/personal/convocatorias/1/hogares",
        &[
            Role::Admin,
            Role::ProgramOfficer,
            Role::TerritorialDirector,
            Role::TerritorialOfficer,
            Role::Formulator,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
        ],
    ),
    (
        "/personal/convocatorias/1/preselecciones",
        &[
            Role::Admin,
            Role::ProgramOfficer,
            Role::TerritorialDirector,
            Role::TerritorialOfficer,
            Role::Formulator,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
        ],
    ),
    (
        "/personal/auditoria",
        &[Role::Admin, Role::Oversight, Role::Auditor],
    ),
    ("/personal/administracion/cuentas", &[Role::Admin]),
    ("/personal/administracion/ipm", &[Role::Admin]),
    (
        "/api/v1/calls",
        &[
            Role::Admin,
            Role::ProgramOfficer,
            Role::TerritorialDirector,
            Role::TerritorialOfficer,
            Role::Formulator,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
        ],
    ),
    ("/api/v1/audit", &[Role::Admin, Role::Oversight, Role::Auditor]),
    (
        "/api/v1/me",
        &[
            Role::Admin,
            Role::ProgramOfficer,
            Role::TerritorialDirector,
            Role::TerritorialOfficer,
            Role::Formulator,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
        ],
    ),
];

#[tokio::test]
async fn anonymous_visitors_go_to_login_and_the_api_answers_401() {
    let mut client = Client::with_demo().await;
    for (path, _) in GUARDED {
        let reply = client.get(path).await;
        if path.starts_with("/api/") {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(reply.json()["error"], "login_required");
        } else {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(
                reply.location,
                Some(format!("/ingreso?next={}", vereda_web::error::urlencode(path))),
                "{path}"
            );
        }
    }
    for post in ["/personal/administracion/cuentas", "/salida"] {
        let reply = client.post_form(post, &[("csrf_token", "x")]).await;
        assert!(
            matches!(
                reply.status,
                StatusCode::SEE_OTHER | StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{post}: {}",
            reply.status
        );
    }
}

#[tokio::test]
async fn every_role_gets_exactly_its_pages() {
    for &role in Role::ALL {
        let mut client = Client::with_demo().await;
        client.log_in_as(role).await;
        for (path, allowed) in GUARDED {
            let reply = client.get(path).await;
            let expected = if allowed.contains(&role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(reply.status, expected, "{role} on {path}");
        }
    }
}

#[tokio::test]
async fn an_admin_creates_accounts_and_the_audit_log_records_it() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    let token = client.csrf().await;
    let created = client
        .post_form(
            "/personal/administracion/cuentas",
            &[
                ("email", "Nuevo@Agencia.gov.co"),
                ("display_name", "Nuevo"),
                ("role", "formulator"),
                ("password", "una clave larga"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert!(
        client
            .get("/personal/administracion/cuentas")
            .await
            .body
            .contains("nuevo@agencia.gov.co")
    );

    let duplicate = client
        .post_form(
            "/personal/administracion/cuentas",
            &[
                ("email", "nuevo@agencia.gov.co"),
                ("display_name", ""),
                ("role", "auditor"),
                ("password", "una clave larga"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    // In the page's language, naming the address (`error-duplicate_email`).
    assert!(
        duplicate
            .body
            .contains("Ya existe una cuenta con el correo nuevo@agencia.gov.co"),
        "{}",
        duplicate.body
    );
    let bad_role = client
        .post_form(
            "/personal/administracion/cuentas",
            &[
                ("email", "otro@agencia.gov.co"),
                ("display_name", ""),
                ("role", "jefe"),
                ("password", "una clave larga"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    // `error-unknown_value`, with the value typed and the roles there are.
    assert!(bad_role.body.contains("«jefe»") && bad_role.body.contains("territorial_officer"));

    let entries = client.get("/api/v1/audit?entity=users&limit=1").await.json()["items"].clone();
    assert_eq!(entries[0]["actor"], "admin@vereda.test");
    assert_eq!(entries[0]["after"]["email"], "nuevo@agencia.gov.co");
    // The password's hash is not copied into the log, where auditors read it.
    assert!(entries[0]["after"].get("password_hash").is_none());
}

#[tokio::test]
async fn an_admin_imports_the_ipm_and_a_bad_file_changes_nothing() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    let form = client.get("/personal/administracion/ipm").await;
    let token = Client::csrf_in(&form.body);

    let bad = b"dane_code,ipm_total,ipm_urban,ipm_rural\n18001,40.5,30.1,60.2\n99999,12,,\n";
    let rejected = client
        .post_multipart(
            "/personal/administracion/ipm",
            &[("csrf_token", &token), ("reference_year", "2018")],
            ("ipm.csv", bad),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem =
        vereda_messages::Message::new("territory-error-unknown_municipality").with("value", "99999");
    let located = vereda_messages::Lang::Es.t_with(
        "row-error-at",
        &[
            ("file", vereda_messages::Arg::Text("ipm.csv".into())),
            ("line", vereda_messages::Arg::Count(3)),
            ("column", vereda_messages::Arg::Text("dane_code".into())),
            ("value", vereda_messages::Arg::Text("99999".into())),
            ("problem", vereda_messages::Arg::List(vec![problem])),
        ],
    );
    assert!(rejected.body.contains(&located), "{}", rejected.body);
    assert!(rejected.body.contains("99999"));
    let florencia = client.get("/api/v1/municipalities?q=18001").await.json();
    assert_ne!(
        florencia[0]["ipm"]["total"], "40.5",
        "nothing from the rejected file is stored"
    );

    let good = b"dane_code,ipm_total,ipm_urban,ipm_rural\n18001,40.5,30.1,60.2\n76001,11.9,10.1,30.5\n";
    let imported = client
        .post_multipart(
            "/personal/administracion/ipm",
            &[("csrf_token", &token), ("reference_year", "2018")],
            ("ipm.csv", good),
        )
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert!(
        imported.body.contains("1 nuevos, 1 actualizados, 0 sin cambios"),
        "{}",
        imported.body
    );
    let florencia = client.get("/api/v1/municipalities?q=18001").await.json();
    assert_eq!(florencia[0]["ipm"]["total"], "40.5");

    let forged = client
        .post_multipart(
            "/personal/administracion/ipm",
            &[("csrf_token", "forged")],
            ("ipm.csv", good),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// A hostile IPM file (a line of 10 MB; more text than the settings allow) is refused with its
/// file and line, in Spanish, and nothing is imported.
#[tokio::test]
async fn an_ipm_file_past_the_limits_is_refused_at_its_line() {
    let limits = vereda_screening::table::ReadLimits {
        max_text_bytes: 100,
        ..Default::default()
    };
    let mut client = Client::with_demo_and(vereda_web::WebConfig {
        read_limits: limits,
        ..Default::default()
    })
    .await;
    client.log_in_as(Role::Admin).await;
    let form = client.get("/personal/administracion/ipm").await;
    let token = Client::csrf_in(&form.body);
    let mut long = b"dane_code,ipm_total\n18001,".to_vec();
    long.extend(std::iter::repeat_n(b'9', 10 << 20));
    long.extend_from_slice(b"\n");
    let rejected = client
        .post_multipart(
            "/personal/administracion/ipm",
            &[("csrf_token", &token), ("reference_year", "2018")],
            ("ipm.csv", &long),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    let said = vereda_messages::Lang::Es.say(
        &vereda_messages::Message::new("table-error-line_too_long")
            .with("file", "ipm.csv")
            .with("line", 2)
            .with("limit", 1024),
    );
    assert!(rejected.body.contains(&said), "{}", rejected.body);

    let mut many = b"dane_code,ipm_total\n".to_vec();
    for _ in 0..20 {
        many.extend_from_slice(b"18001,40.5\n");
    }
    let rejected = client
        .post_multipart(
            "/personal/administracion/ipm",
            &[("csrf_token", &token), ("reference_year", "2018")],
            ("ipm.csv", &many),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    // 18 bytes of header cells, then 9 a row: the 10th row, on line 11, passes 100.
    let said = vereda_messages::Lang::Es.say(
        &vereda_messages::Message::new("table-error-too_much_text")
            .with("file", "ipm.csv")
            .with("line", 11)
            .with("limit", 1),
    );
    assert!(rejected.body.contains(&said), "{}", rejected.body);
}

#[tokio::test]
async fn staff_see_the_demo_call_and_its_households() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::TerritorialOfficer).await;
    let calls = client.get("/api/v1/calls").await.json()["items"].clone();
    assert_eq!(calls[0]["smmlv_cop"], "589500");
    // The nine of its file and the ten families of the project followed after its payment.
    assert_eq!(calls[0]["households"], 19);
    let page = client.get("/personal/convocatorias/1/hogares").await;
    assert!(page.body.contains("María Fernanda Cuéllar Rojas"));
    assert!(
        page.body.contains("1.117.234.561"),
        "territorial staff verify documents whole"
    );
    client.forget_session();
    client.log_in_as(Role::Auditor).await;
    let masked = client.get("/personal/convocatorias/1/hogares").await;
    assert!(masked.body.contains("•••••••561") && !masked.body.contains("1.117.234.561"));
    assert_eq!(
        client.get("/personal/convocatorias/99/hogares").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let mut client = Client::with_demo().await;
    let request = axum::http::Request::get("/")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(client.app.clone(), request)
        .await
        .expect("response");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let _ = client.get("/").await;
}

#[tokio::test]
async fn an_admin_assigns_a_territorial_office_to_an_account() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    let store = client.db.store.clone();
    let director = store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::TerritorialDirector)
        .expect("the demo director");
    let narino = store
        .territorial_offices()
        .await
        .expect("offices")
        .into_iter()
        .find(|o| o.department_code == "52")
        .expect("Nariño");
    let csrf = client.csrf().await;
    let path = format!("/personal/administracion/cuentas/{}/oficina", director.id);
    let unknown = client
        .post_form(&path, &[("csrf_token", &csrf), ("office", "999")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.body.contains("No existe la dirección territorial «999»"),
        "{}",
        unknown.body
    );
    let assigned = client
        .post_form(
            &path,
            &[("csrf_token", &csrf), ("office", &narino.id.to_string())],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER);
    let account = store.account(director.id).await.expect("read").expect("account");
    assert_eq!(account.territorial_office_id, Some(narino.id));
    let page = client.get("/personal/administracion/cuentas").await.body;
    assert!(page.contains(&format!("<option value=\"{}\" selected>", narino.id)));

    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let csrf = client.csrf().await;
    let refused = client
        .post_form(&path, &[("csrf_token", &csrf), ("office", "")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn repeated_wrong_passwords_make_the_account_wait_and_a_success_resets_it() {
    let mut client = Client::with_demo().await;
    let email = vereda_store::demo::demo_email(Role::TerritorialOfficer);
    for _ in 0..5 {
        let wrong = client.log_in(&email, "no es la clave").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now, and says for how long.
    let waits = client.log_in(&email, vereda_store::demo::DEMO_PASSWORD).await;
    assert_eq!(waits.status, StatusCode::TOO_MANY_REQUESTS, "{}", waits.body);
    assert_eq!(
        waits.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // An e-mail with no account waits the same way: waits do not tell which accounts exist.
    for _ in 0..5 {
        client.log_in("nadie@vereda.test", "no es la clave").await;
    }
    let unknown = client.log_in("nadie@vereda.test", "no es la clave").await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let logged_in = client.log_in(&email, vereda_store::demo::DEMO_PASSWORD).await;
    assert_eq!(logged_in.status, StatusCode::SEE_OTHER, "{}", logged_in.body);
    // The success cleared the failures: a wrong password is just wrong again.
    client.forget_session();
    let wrong = client.log_in(&email, "no es la clave").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logins_refusals_waits_and_logouts_are_in_the_audit_log_without_the_password() {
    use vereda_domain::audit::AuditAction;
    let mut client = Client::with_demo().await;
    let store = client.db.store.clone();
    let email = vereda_store::demo::demo_email(Role::TerritorialOfficer);
    let typed = format!(" {} ", email.to_uppercase());
    for _ in 0..5 {
        assert_eq!(
            client.log_in(&typed, "clave equivocada 1").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        client
            .log_in(&email, vereda_store::demo::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        client
            .log_in(&email, vereda_store::demo::DEMO_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let csrf = client.csrf().await;
    assert_eq!(
        client.post_form("/salida", &[("csrf_token", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );

    let entries = store
        .audit_entries(&vereda_store::audit::AuditQuery {
            entity: Some("users".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    let of = |action: AuditAction| entries.iter().filter(|e| e.action == action).collect::<Vec<_>>();
    let failures = of(AuditAction::LoginFailed);
    assert_eq!(failures.len(), 5);
    assert_eq!(failures[0].entity_id, typed.trim(), "the e-mail as typed");
    assert_eq!(failures[0].actor, "system:web");
    assert_eq!(of(AuditAction::LoginThrottled).len(), 1);
    let officer = store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.email == email)
        .expect("officer");
    for action in [AuditAction::LoginSucceeded, AuditAction::Logout] {
        let found = of(action);
        assert_eq!(found.len(), 1, "{action}");
        assert_eq!(found[0].entity_id, officer.id.to_string());
        assert_eq!(found[0].actor, email);
    }
    for entry in &entries {
        let text = serde_json::to_string(entry).expect("json");
        assert!(!text.contains("clave equivocada") && !text.contains(vereda_store::demo::DEMO_PASSWORD));
    }
    assert_eq!(
        store.verify_audit_chain().await.expect("verify").first_break,
        None
    );
}

#[tokio::test]
async fn the_administrator_changes_a_role_and_deactivates_an_account_but_not_their_own() {
    let mut client = Client::with_demo().await;
    let store = client.db.store.clone();
    let accounts = store.accounts().await.expect("accounts");
    let officer = accounts
        .iter()
        .find(|a| a.role == Role::TerritorialOfficer)
        .expect("officer")
        .clone();
    let admin = accounts
        .iter()
        .find(|a| a.role == Role::Admin)
        .expect("admin")
        .clone();

    // A deactivated account is logged out at its next request.
    client.log_in_as(Role::TerritorialOfficer).await;
    assert_eq!(client.get("/personal").await.status, StatusCode::OK);
    store
        .set_account_active(&admin.actor(), officer.id, false)
        .await
        .expect("deactivated");
    let after = client.get("/personal").await;
    assert_ne!(after.status, StatusCode::OK, "logged out");
    store
        .set_account_active(&admin.actor(), officer.id, true)
        .await
        .expect("reactivated");

    client.forget_session();
    client.log_in_as(Role::Admin).await;
    let token = client.csrf().await;
    let changed = client
        .post_form(
            &format!("/personal/administracion/cuentas/{}/estado", officer.id),
            &[("csrf_token", &token), ("role", "auditor")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let now = store.account(officer.id).await.expect("read").expect("account");
    assert_eq!(
        (now.role, now.active),
        (Role::Auditor, false),
        "the role changed and the box was not ticked"
    );
    let own = client
        .post_form(
            &format!("/personal/administracion/cuentas/{}/estado", admin.id),
            &[("csrf_token", &token), ("role", "admin")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    assert!(
        own.body.contains(r#"data-problem="accounts-error-own_account""#),
        "{}",
        own.body
    );
    assert!(
        store
            .account(admin.id)
            .await
            .expect("read")
            .expect("admin")
            .active
    );
    client.forget_session();
    let refused = client
        .log_in(&officer.email, vereda_store::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "a deactivated account cannot log in"
    );
}

#[tokio::test]
async fn the_audit_log_is_paged_searched_filtered_sorted_and_downloaded() {
    use vereda_domain::audit::{Actor, AuditAction};
    let mut client = Client::with_demo().await;
    let event = vereda_store::audit::AuthEvent {
        action: AuditAction::LoginFailed,
        account_id: None,
        email: "Zoe.Unica@Correo.invalid",
        address: None,
    };
    client
        .db
        .store
        .record_auth_event(&Actor::system("prueba"), &event)
        .await
        .expect("recorded");
    client.log_in_as(Role::Auditor).await;

    // Newest first, a page at a time: the second page holds older entries.
    let first = client.get("/personal/auditoria?por_pagina=5").await;
    assert_eq!(first.status, StatusCode::OK);
    let everyone = support::page::list_total::<u64>(&first.body);
    assert!(everyone > 10, "{everyone}");
    let ids = |page: &str| -> Vec<i64> {
        support::page::row_attribute(page, "audit-entry", "data-id")
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect()
    };
    let newest = ids(&first.body);
    assert_eq!(newest.len(), 5);
    assert!(newest.windows(2).all(|w| w[0] > w[1]), "{newest:?}");
    let second = ids(&client.get("/personal/auditoria?por_pagina=5&pagina=2").await.body);
    assert_eq!(second.len(), 5);
    assert!(second[0] < newest[4]);
    assert!(first.body.contains("id=\"list-next\""));

    // One entry found whatever the accents and case typed.
    for words in ["ZOË.ÚNICA", "zoe.unica@correo", "Zoe.Unica"] {
        let page = client
            .get(&format!(
                "/personal/auditoria?q={}",
                vereda_web::error::urlencode(words)
            ))
            .await;
        assert_eq!(support::page::list_total::<u64>(&page.body), 1, "{words}");
        assert_eq!(
            support::page::row_attribute(&page.body, "audit-entry", "data-action"),
            ["login_failed"],
            "{words}"
        );
    }

    // Filtered by action and by the account that acted.
    let failed = client
        .get("/personal/auditoria?accion=login_failed&por_pagina=200")
        .await;
    let actions = support::page::row_attribute(&failed.body, "audit-entry", "data-action");
    assert!(!actions.is_empty() && actions.iter().all(|a| a == "login_failed"));
    assert_eq!(
        actions.len() as u64,
        support::page::list_total::<u64>(&failed.body)
    );
    assert!(failed.body.contains("<option value=\"login_failed\" selected>"));
    let auditor = client
        .db
        .store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::Auditor)
        .expect("the auditor");
    let own = client
        .get(&format!(
            "/personal/auditoria?autor={}&por_pagina=200",
            auditor.id
        ))
        .await;
    let actors = support::page::row_attribute(&own.body, "audit-entry", "data-actor");
    assert!(
        !actors.is_empty() && actors.iter().all(|a| *a == auditor.email),
        "{actors:?}"
    );
    // A period before any entry finds none; the old `entity` links still filter.
    let none = client
        .get("/personal/auditoria?desde=2001-01-01&hasta=2001-12-31")
        .await;
    assert_eq!(support::page::list_total::<u64>(&none.body), 0);
    let users = client
        .get("/personal/auditoria?entity=users&por_pagina=200")
        .await;
    let entities = support::page::row_attribute(&users.body, "audit-entry", "data-entity");
    assert!(!entities.is_empty() && entities.iter().all(|e| e == "users"));

    // Sorted by author, one way and the other: each author's entries together.
    let sorted = client
        .get("/personal/auditoria?entidad=users&orden=autor&por_pagina=200")
        .await;
    let ascending = support::page::row_attribute(&sorted.body, "audit-entry", "data-id");
    let mut descending = support::page::row_attribute(
        &client
            .get("/personal/auditoria?entidad=users&orden=-autor&por_pagina=200")
            .await
            .body,
        "audit-entry",
        "data-id",
    );
    descending.reverse();
    assert_eq!(ascending, descending);
    let mut authors = support::page::row_attribute(&sorted.body, "audit-entry", "data-actor");
    let shown = authors.len();
    authors.dedup();
    let mut distinct = authors.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        authors.len(),
        distinct.len(),
        "{shown} entries, each author once in a row"
    );

    // The download follows the filter: the failed logins only, with their codes.
    let csv = client.get("/personal/auditoria.csv?accion=login_failed").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"));
    let lines: Vec<&str> = csv.body.trim_end().lines().collect();
    assert_eq!(
        lines.len() as u64 - 1,
        support::page::list_total::<u64>(&failed.body),
        "{}",
        csv.body
    );
    assert!(
        lines[1..].iter().all(|l| l.contains(",login_failed,")),
        "{}",
        csv.body
    );
    let found = client.get("/personal/auditoria.csv?q=zoe.unica").await;
    let lines: Vec<&str> = found.body.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{}", found.body);
    assert!(lines[1].contains("Zoe.Unica@Correo.invalid"));
    let xlsx = client.get("/personal/auditoria.xlsx?q=zoe.unica").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    assert_eq!(sheet.height(), 2);
}
