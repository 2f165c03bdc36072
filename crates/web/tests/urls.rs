//! The pages' addresses: every page route is in Spanish, and every old English address answers
//! 308 to its new one with its parameters and query (`vereda_web::moved`).

mod support;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::Client;
use vereda_domain::accounts::Role;
use vereda_web::moved::MOVED;

/// Every word a page's path may use (docs/ARCHITECTURE.md, "Addresses"); parameters aside.
const SPANISH_WORDS: &[&str] = &[
    "acta",
    "acta.pdf",
    "adjudicacion",
    "administracion",
    "agenda",
    "auditoria",
    "auditoria.csv",
    "auditoria.xlsx",
    "aval",
    "aviso",
    "cambios",
    "codigo",
    "comite",
    "comparar",
    "comunicaciones",
    "comunicaciones.csv",
    "comunicaciones.xlsx",
    "conceptos",
    "contrasena",
    "convocatorias",
    "credenciales",
    "cuenta",
    "cuentas",
    "datos",
    "decision",
    "decisiones",
    "desembolso",
    "documentos",
    "documentos.csv",
    "documentos.xlsx",
    "estado",
    "evaluacion",
    "evaluaciones",
    "exportar",
    "extractos",
    "firma",
    "focalizacion",
    "formulaciones",
    "formulaciones.csv",
    "formulaciones.xlsx",
    "fotos",
    "historia",
    "hogares",
    "hogares.csv",
    "hogares.xlsx",
    "idioma",
    "indicadores",
    "ingreso",
    "intervenciones",
    "ipm",
    "manual",
    "mediciones",
    "mediciones.csv",
    "mediciones.xlsx",
    "metas",
    "movimientos",
    "municipios",
    "nueva",
    "oficina",
    "oposiciones",
    "pasos",
    "personal",
    "plan",
    "plantilla.xlsx",
    "predios",
    "preparacion",
    "procedimiento",
    "propuestas",
    "proyectos",
    "proyectos.csv",
    "proyectos.xlsx",
    "radicar",
    "resolucion.pdf",
    "restablecer",
    "restablecimiento",
    "resultados.csv",
    "resultados.xlsx",
    "revision",
    "revocacion",
    "salida",
    "segundo-factor",
    "soportes",
    "preselecciones",
    "titulos",
    "verificacion",
    "verificacion.csv",
    "verificacion.xlsx",
    "visita",
    "titulares",
    "rectificacion",
    "peticiones",
    "informe",
    "asignacion",
    "respuesta",
    "respuesta.pdf",
    "prorroga",
    "verificar",
    "glosario",
    "cartas",
    "notificaciones",
    "recursos",
    "visitas",
    "fotos",
    "cierre",
    "alertas",
    "acompanamiento",
    "entrega",
];

/// The English words the staff pages' paths used to have.
const ENGLISH_WORDS: &[&str] = &[
    "staff",
    "admin",
    "users",
    "calls",
    "households",
    "formulations",
    "committee",
    "screenings",
    "login",
    "logout",
    "lang",
    "procedure",
    "award",
    "disbursement",
    "results",
    "evidence",
    "minutes",
    "sign",
    "close",
    "steps",
    "submit",
];

/// Addresses that keep English names: the API, as APIs do, the files every page links, and
/// the files crawlers look for by name.
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path == "/favicon.svg"
        || path == "/robots.txt"
        || path == "/sitemap.xml"
        || path.starts_with("/static/"))
}

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

fn rust_files(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The paths of every `.route("…")` in the crate's sources: what the router serves.
fn routed_paths() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut paths = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("source");
        for call in source.split(".route(").skip(1) {
            // A path given as a literal; the stylesheet's is computed and lives under /static.
            if let Some(literal) = call.trim_start().strip_prefix('"') {
                paths.push(literal.split('"').next().unwrap_or_default().to_owned());
            }
        }
    }
    paths
}

fn segments_not_in_spanish(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty() && !is_parameter(s) && !s.contains("{{"))
        .filter(|s| !SPANISH_WORDS.contains(s) || ENGLISH_WORDS.contains(s))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_page_route_is_in_spanish() {
    let routed = routed_paths();
    let pages: Vec<&String> = routed.iter().filter(|p| is_page(p)).collect();
    // A scan that found nothing would pass whatever the routes say.
    assert!(
        pages.len() > 50,
        "the scan found only {} page routes",
        pages.len()
    );
    for path in &pages {
        let english = segments_not_in_spanish(path);
        assert!(
            english.is_empty(),
            "{path}: {english:?} are not Spanish words of the addresses"
        );
    }
    for (_, new) in MOVED {
        assert!(
            routed.iter().any(|p| p == new),
            "{new} (in moved::MOVED) is not routed"
        );
    }
}

#[test]
fn every_link_and_form_of_the_templates_is_in_spanish() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).expect("templates") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("template");
        for attribute in ["href=\"/", "action=\"/"] {
            for rest in text.split(attribute).skip(1) {
                let target = format!("/{}", rest.split('"').next().unwrap_or_default());
                let target = target.split(['?', '#']).next().unwrap_or_default();
                if !is_page(target) {
                    continue;
                }
                let english = segments_not_in_spanish(target);
                assert!(english.is_empty(), "{}: {target} has {english:?}", path.display());
            }
        }
    }
}

#[tokio::test]
async fn old_addresses_answer_308_to_the_new_ones_with_parameters_and_query() {
    let mut client = Client::with_demo().await;
    let moved = [
        ("/staff", "/personal"),
        ("/staff/calls?x=1", "/personal/convocatorias?x=1"),
        ("/staff/calls/new", "/personal/convocatorias/nueva"),
        ("/staff/calls/1/households", "/personal/convocatorias/1/hogares"),
        (
            "/staff/calls/1/screenings",
            "/personal/convocatorias/1/preselecciones",
        ),
        (
            "/staff/calls/2/focalizacion?weight_poverty=0&families_per_project=10",
            "/personal/convocatorias/2/focalizacion?weight_poverty=0&families_per_project=10",
        ),
        (
            "/staff/calls/2/focalizacion/documentos/1.pdf",
            "/personal/convocatorias/2/focalizacion/documentos/1.pdf",
        ),
        (
            "/staff/screenings/7?reason=ART10A_PRIOR&page=2",
            "/personal/preselecciones/7?reason=ART10A_PRIOR&page=2",
        ),
        (
            "/staff/screenings/7/results.csv",
            "/personal/preselecciones/7/resultados.csv",
        ),
        (
            "/staff/screenings/7/results.xlsx",
            "/personal/preselecciones/7/resultados.xlsx",
        ),
        (
            "/personal/convocatorias/1/tamizajes",
            "/personal/convocatorias/1/preselecciones",
        ),
        (
            "/personal/tamizajes/7?reason=ART10A_PRIOR",
            "/personal/preselecciones/7?reason=ART10A_PRIOR",
        ),
        (
            "/personal/tamizajes/7/resultados.csv",
            "/personal/preselecciones/7/resultados.csv",
        ),
        ("/staff/households/12", "/personal/hogares/12"),
        ("/staff/households/12/historia", "/personal/hogares/12/historia"),
        (
            "/staff/households/12/predios/5/fotos/9",
            "/personal/hogares/12/predios/5/fotos/9",
        ),
        (
            "/staff/audit?entity=account&before=10",
            "/personal/auditoria?entity=account&before=10",
        ),
        ("/staff/evaluations", "/personal/evaluaciones"),
        (
            "/staff/formulations/3?version=2",
            "/personal/formulaciones/3?version=2",
        ),
        (
            "/staff/formulations/3/evaluation?version=1",
            "/personal/formulaciones/3/evaluacion?version=1",
        ),
        (
            "/staff/formulations/3/procedure",
            "/personal/formulaciones/3/procedimiento",
        ),
        (
            "/staff/formulations/3/award",
            "/personal/formulaciones/3/adjudicacion",
        ),
        (
            "/staff/formulations/3/award.pdf",
            "/personal/formulaciones/3/resolucion.pdf",
        ),
        (
            "/staff/formulations/3/diff?from=1&to=2",
            "/personal/formulaciones/3/comparar?from=1&to=2",
        ),
        ("/staff/committee", "/personal/comite"),
        ("/staff/committee/4/minutes.pdf", "/personal/comite/4/acta.pdf"),
        (
            "/staff/proyectos/T06.60%2C61%2C62/indicadores/3?hecho=medicion",
            "/personal/proyectos/T06.60%2C61%2C62/indicadores/3?hecho=medicion",
        ),
        (
            "/staff/mediciones?hecho=aprobada",
            "/personal/mediciones?hecho=aprobada",
        ),
        ("/admin/users", "/personal/administracion/cuentas"),
        ("/admin/ipm", "/personal/administracion/ipm"),
        ("/login?next=%2Fstaff%2Fcalls", "/ingreso?next=%2Fstaff%2Fcalls"),
        ("/lang/en?next=/municipios", "/idioma/en?next=/municipios"),
    ];
    for (old, new) in moved {
        let reply = client.get(old).await;
        assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT, "GET {old}");
        assert_eq!(reply.location.as_deref(), Some(new), "GET {old}");
    }
    let posted = [
        ("/staff/committee/4/sign", "/personal/comite/4/firma"),
        ("/staff/committee/4/close", "/personal/comite/4/acta"),
        ("/staff/committee/4/concepts/8", "/personal/comite/4/conceptos/8"),
        (
            "/staff/formulations/3/steps/2",
            "/personal/formulaciones/3/pasos/2",
        ),
        (
            "/staff/formulations/3/submit",
            "/personal/formulaciones/3/radicar",
        ),
        (
            "/staff/formulations/3/disbursement/evidence",
            "/personal/formulaciones/3/desembolso/soportes",
        ),
        ("/staff/households/12/predios", "/personal/hogares/12/predios"),
        (
            "/admin/users/2/office",
            "/personal/administracion/cuentas/2/oficina",
        ),
        ("/logout", "/salida"),
    ];
    for (old, new) in posted {
        let reply = client.post_form(old, &[("csrf_token", "x")]).await;
        assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT, "POST {old}");
        assert_eq!(reply.location.as_deref(), Some(new), "POST {old}");
    }
}

#[tokio::test]
async fn every_old_address_of_the_table_moves() {
    let mut client = Client::with_demo().await;
    for (old, new) in MOVED {
        let fill = |pattern: &str| {
            pattern
                .split('/')
                .map(|s| {
                    if is_parameter(s) {
                        format!("p-{}", &s[1..s.len() - 1])
                    } else {
                        s.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        };
        for method in ["GET", "POST"] {
            let request = Request::builder()
                .method(method)
                .uri(format!("{}?q=1", fill(old)))
                .body(Body::empty())
                .expect("request");
            let reply = client.send(request).await;
            assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT, "{method} {old}");
            assert_eq!(
                reply.location,
                Some(format!("{}?q=1", fill(new))),
                "{method} {old}"
            );
        }
    }
}

#[tokio::test]
async fn a_form_posted_again_to_where_the_old_address_points_is_taken() {
    let mut client = Client::with_demo().await;
    let token = Client::csrf_in(&client.get("/ingreso").await.body);
    let email = vereda_store::demo::demo_email(Role::Admin);
    let fields = [
        ("email", email.as_str()),
        ("password", vereda_store::demo::DEMO_PASSWORD),
        ("csrf_token", token.as_str()),
        ("next", "/staff/calls"),
    ];
    let old = client.post_form("/login", &fields).await;
    assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
    // What a browser does with a 308: the same method and body, to the new address.
    let location = old.location.expect("a location");
    let logged_in = client.post_form(&location, &fields).await;
    assert_eq!(logged_in.status, StatusCode::SEE_OTHER, "{}", logged_in.body);
    assert_eq!(logged_in.location.as_deref(), Some("/staff/calls"));
    let calls = client.get("/staff/calls").await;
    assert_eq!(calls.location.as_deref(), Some("/personal/convocatorias"));
    let page = client.get("/personal/convocatorias").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn other_unknown_addresses_are_still_not_found() {
    let mut client = Client::with_demo().await;
    for path in [
        "/staff/",
        "/staff/nothing",
        "/staff/calls/1/nothing",
        "/staff/households//verificacion",
        "/admin",
        "/personal/calls",
        "/login/again",
    ] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.content_type.starts_with("text/html"), "{path}");
        assert!(page.body.contains("no existe"), "{path}");
    }
    let api = client.get("/api/v1/staff").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["code"], "not_found");
}
