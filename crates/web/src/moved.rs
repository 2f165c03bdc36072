//! The pages' old addresses. Until the pages all had Spanish paths, the staff area lived
//! under `/staff` and `/admin` with English words, and bookmarks and links kept elsewhere still
//! point there. Each old address answers 308 Permanent Redirect to its new one, with the path's
//! parameters and the query string: 308 rather than 301 so that a form posted to an old
//! address is posted again, method and body kept.
//!
//! [`redirect_moved`] is the router's fallback, so it only sees what no route took; an
//! address that is neither a page nor an old one is the usual 404.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

/// Old path → new path. A `{name}` segment matches any one segment and is carried to the
/// segment of the same name; everything else must match exactly.
pub const MOVED: &[(&str, &str)] = &[
    ("/login", "/ingreso"),
    ("/logout", "/salida"),
    ("/lang/{code}", "/idioma/{code}"),
    ("/staff", "/personal"),
    ("/staff/audit", "/personal/auditoria"),
    // Calls.
    ("/staff/calls", "/personal/convocatorias"),
    ("/staff/calls/new", "/personal/convocatorias/nueva"),
    (
        "/staff/calls/{id}/households",
        "/personal/convocatorias/{id}/hogares",
    ),
    (
        "/staff/calls/{id}/screenings",
        "/personal/convocatorias/{id}/preselecciones",
    ),
    (
        "/staff/calls/{id}/verificacion",
        "/personal/convocatorias/{id}/verificacion",
    ),
    ("/staff/calls/{id}/aviso", "/personal/convocatorias/{id}/aviso"),
    (
        "/staff/calls/{id}/comunicaciones",
        "/personal/convocatorias/{id}/comunicaciones",
    ),
    (
        "/staff/calls/{id}/focalizacion",
        "/personal/convocatorias/{id}/focalizacion",
    ),
    (
        "/staff/calls/{id}/focalizacion/intervenciones",
        "/personal/convocatorias/{id}/focalizacion/intervenciones",
    ),
    (
        "/staff/calls/{id}/focalizacion/intervenciones/manual",
        "/personal/convocatorias/{id}/focalizacion/intervenciones/manual",
    ),
    (
        "/staff/calls/{id}/focalizacion/documentos/{file}",
        "/personal/convocatorias/{id}/focalizacion/documentos/{file}",
    ),
    // Screenings and households.
    ("/staff/screenings/{id}", "/personal/preselecciones/{id}"),
    (
        "/staff/screenings/{id}/results.csv",
        "/personal/preselecciones/{id}/resultados.csv",
    ),
    (
        "/staff/screenings/{id}/results.xlsx",
        "/personal/preselecciones/{id}/resultados.xlsx",
    ),
    // Screening was called "tamizaje" in the addresses until the glossary settled
    // "preselección" (docs/glossary.md).
    (
        "/personal/convocatorias/{id}/tamizajes",
        "/personal/convocatorias/{id}/preselecciones",
    ),
    ("/personal/tamizajes/{id}", "/personal/preselecciones/{id}"),
    (
        "/personal/tamizajes/{id}/resultados.csv",
        "/personal/preselecciones/{id}/resultados.csv",
    ),
    (
        "/personal/tamizajes/{id}/resultados.xlsx",
        "/personal/preselecciones/{id}/resultados.xlsx",
    ),
    ("/staff/households/{id}", "/personal/hogares/{id}"),
    (
        "/staff/households/{id}/verificacion",
        "/personal/hogares/{id}/verificacion",
    ),
    (
        "/staff/households/{id}/historia",
        "/personal/hogares/{id}/historia",
    ),
    (
        "/staff/households/{id}/documentos",
        "/personal/hogares/{id}/documentos",
    ),
    (
        "/staff/households/{id}/documentos/{document}",
        "/personal/hogares/{id}/documentos/{document}",
    ),
    ("/staff/households/{id}/predios", "/personal/hogares/{id}/predios"),
    (
        "/staff/households/{id}/predios/{parcel}",
        "/personal/hogares/{id}/predios/{parcel}",
    ),
    (
        "/staff/households/{id}/predios/{parcel}/titulos",
        "/personal/hogares/{id}/predios/{parcel}/titulos",
    ),
    (
        "/staff/households/{id}/predios/{parcel}/visita",
        "/personal/hogares/{id}/predios/{parcel}/visita",
    ),
    (
        "/staff/households/{id}/predios/{parcel}/fotos",
        "/personal/hogares/{id}/predios/{parcel}/fotos",
    ),
    (
        "/staff/households/{id}/predios/{parcel}/fotos/{photo}",
        "/personal/hogares/{id}/predios/{parcel}/fotos/{photo}",
    ),
    // Evaluations, formulations and their procedure.
    ("/staff/evaluations", "/personal/evaluaciones"),
    ("/staff/evaluations/export", "/personal/evaluaciones/exportar"),
    ("/staff/formulations", "/personal/formulaciones"),
    ("/staff/formulations/{id}", "/personal/formulaciones/{id}"),
    (
        "/staff/formulations/{id}/steps/{step}",
        "/personal/formulaciones/{id}/pasos/{step}",
    ),
    (
        "/staff/formulations/{id}/submit",
        "/personal/formulaciones/{id}/radicar",
    ),
    (
        "/staff/formulations/{id}/evaluation",
        "/personal/formulaciones/{id}/evaluacion",
    ),
    (
        "/staff/formulations/{id}/preparacion",
        "/personal/formulaciones/{id}/preparacion",
    ),
    (
        "/staff/formulations/{id}/preparacion/{record}/acta",
        "/personal/formulaciones/{id}/preparacion/{record}/acta",
    ),
    (
        "/staff/formulations/{id}/procedure",
        "/personal/formulaciones/{id}/procedimiento",
    ),
    (
        "/staff/formulations/{id}/endorsement",
        "/personal/formulaciones/{id}/aval",
    ),
    (
        "/staff/formulations/{id}/objections",
        "/personal/formulaciones/{id}/oposiciones",
    ),
    (
        "/staff/formulations/{id}/award",
        "/personal/formulaciones/{id}/adjudicacion",
    ),
    (
        "/staff/formulations/{id}/award.pdf",
        "/personal/formulaciones/{id}/resolucion.pdf",
    ),
    (
        "/staff/formulations/{id}/disbursement",
        "/personal/formulaciones/{id}/desembolso",
    ),
    (
        "/staff/formulations/{id}/disbursement/evidence",
        "/personal/formulaciones/{id}/desembolso/soportes",
    ),
    (
        "/staff/formulations/{id}/diff",
        "/personal/formulaciones/{id}/comparar",
    ),
    // The committee.
    ("/staff/committee", "/personal/comite"),
    ("/staff/committee/{id}", "/personal/comite/{id}"),
    ("/staff/committee/{id}/agenda", "/personal/comite/{id}/agenda"),
    (
        "/staff/committee/{id}/concepts/{item}",
        "/personal/comite/{id}/conceptos/{item}",
    ),
    (
        "/staff/committee/{id}/objections/{objection}",
        "/personal/comite/{id}/oposiciones/{objection}",
    ),
    ("/staff/committee/{id}/close", "/personal/comite/{id}/acta"),
    ("/staff/committee/{id}/sign", "/personal/comite/{id}/firma"),
    (
        "/staff/committee/{id}/minutes.pdf",
        "/personal/comite/{id}/acta.pdf",
    ),
    // Follow-up of projects.
    ("/staff/proyectos", "/personal/proyectos"),
    ("/staff/proyectos/{code}", "/personal/proyectos/{code}"),
    (
        "/staff/proyectos/{code}/documentos",
        "/personal/proyectos/{code}/documentos",
    ),
    (
        "/staff/proyectos/{code}/indicadores/{number}",
        "/personal/proyectos/{code}/indicadores/{number}",
    ),
    (
        "/staff/proyectos/{code}/indicadores/{number}/mediciones",
        "/personal/proyectos/{code}/indicadores/{number}/mediciones",
    ),
    (
        "/staff/proyectos/{code}/indicadores/{number}/metas",
        "/personal/proyectos/{code}/indicadores/{number}/metas",
    ),
    ("/staff/mediciones", "/personal/mediciones"),
    (
        "/staff/mediciones/{id}/revision",
        "/personal/mediciones/{id}/revision",
    ),
    // Administration.
    ("/admin/users", "/personal/administracion/cuentas"),
    (
        "/admin/users/{id}/office",
        "/personal/administracion/cuentas/{id}/oficina",
    ),
    ("/admin/ipm", "/personal/administracion/ipm"),
];

/// Where an old path lives now; `None` if it is not one. Segments are carried as they came,
/// still percent-encoded.
pub fn new_path(old: &str) -> Option<String> {
    let segments: Vec<&str> = old.split('/').collect();
    MOVED.iter().find_map(|(from, to)| {
        let pattern: Vec<&str> = from.split('/').collect();
        if pattern.len() != segments.len() {
            return None;
        }
        let mut captured: Vec<(&str, &str)> = Vec::new();
        for (wanted, given) in pattern.iter().zip(&segments) {
            if is_parameter(wanted) {
                if given.is_empty() {
                    return None;
                }
                captured.push((wanted, given));
            } else if wanted != given {
                return None;
            }
        }
        let rebuilt: Vec<&str> = to
            .split('/')
            .map(|segment| {
                captured
                    .iter()
                    .find(|(name, _)| *name == segment)
                    .map_or(segment, |(_, value)| value)
            })
            .collect();
        Some(rebuilt.join("/"))
    })
}

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// The router's fallback: an old address is sent to its new one, anything else is not found.
pub async fn redirect_moved(uri: Uri) -> Response {
    match new_path(uri.path()) {
        Some(path) => {
            let location = match uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            Redirect::permanent(&location).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_parameters_by_name() {
        assert_eq!(
            new_path("/staff/committee/4/concepts/17").as_deref(),
            Some("/personal/comite/4/conceptos/17")
        );
        assert_eq!(
            new_path("/staff/proyectos/T06.60%2C61%2C62/indicadores/3").as_deref(),
            Some("/personal/proyectos/T06.60%2C61%2C62/indicadores/3")
        );
    }

    #[test]
    fn only_whole_old_paths_move() {
        assert_eq!(
            new_path("/staff/calls/new").as_deref(),
            Some("/personal/convocatorias/nueva")
        );
        assert_eq!(new_path("/staff/"), None);
        assert_eq!(new_path("/staff/calls/1/nothing"), None);
        assert_eq!(new_path("/staff/households//verificacion"), None);
        assert_eq!(new_path("/personal"), None);
    }

    #[test]
    fn every_old_path_is_listed_once_and_keeps_its_parameters() {
        for (index, (from, to)) in MOVED.iter().enumerate() {
            assert!(
                MOVED[index + 1..].iter().all(|(other, _)| other != from),
                "{from} is listed twice"
            );
            let mut old: Vec<&str> = from.split('/').filter(|s| is_parameter(s)).collect();
            let mut new: Vec<&str> = to.split('/').filter(|s| is_parameter(s)).collect();
            old.sort_unstable();
            new.sort_unstable();
            assert_eq!(old, new, "{from} → {to}");
        }
    }
}
