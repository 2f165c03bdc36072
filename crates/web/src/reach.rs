//! Territorial scope on the way in: a staff page or API path that names one record (a
//! household, a call, a formulation, a project, a screening run, a measurement or a proposal)
//! answers 404 to an account whose office does not reach it, as if it did not exist. The
//! store decides the reach ([`vereda_store::scope`]); this layer only reads the path, so no
//! handler can forget it. Writing steps are checked again by the store, in their transaction.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use vereda_domain::accounts::Reach;
use vereda_store::scope::Target;

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, not_found};

/// The record a path names, if it names one.
pub fn target_of(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (kind, key) = match parts.as_slice() {
        ["personal", kind, key, ..] => (*kind, *key),
        ["api", "v1", kind, key, ..] => (*kind, *key),
        _ => return None,
    };
    let id = || key.parse::<i32>().ok();
    match kind {
        "hogares" | "households" => id().map(Target::Household),
        "convocatorias" | "calls" => id().map(Target::Call),
        "formulaciones" | "formulations" => id().map(Target::Formulation),
        "preselecciones" | "screenings" => id().map(Target::ScreeningRun),
        "mediciones" | "measurements" => id().map(Target::Measurement),
        "propuestas" | "indicator-proposals" => id().map(Target::IndicatorProposal),
        // Staff project pages only: the public API's projects are public.
        "proyectos" if parts[0] == "personal" => Some(Target::ProjectCode(decoded(key)?)),
        // A project's plan and controlled account are staff data, unlike its public card.
        "projects"
            if matches!(
                parts.get(4),
                Some(
                    &("plan"
                        | "ledger"
                        | "visits"
                        | "progress"
                        | "closure"
                        | "closure.pdf"
                        | "accompaniment")
                )
            ) =>
        {
            Some(Target::ProjectCode(decoded(key)?))
        }
        _ => None,
    }
}

pub async fn records_within_reach(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(target) = target_of(request.uri().path()) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let visitor =
        match <Visitor as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
            .await
        {
            Ok(visitor) => visitor,
            Err(error) => return AppError::into_response(error),
        };
    let account = visitor.account.clone();
    parts.extensions.insert(visitor);
    if let Some(account) = account.filter(|a| a.role.is_territorial()) {
        let reach = match state.store.reach(&account.actor()).await {
            Ok(reach) => reach,
            Err(error) => return AppError::from(error).into_response(),
        };
        let within = match state.store.within_reach(&reach, target.clone()).await {
            Ok(within) => within,
            Err(error) => return AppError::from(error).into_response(),
        };
        if !within && reach != Reach::National {
            tracing::info!(account = account.id, ?target, "outside the office's reach");
            let (entity, id) = named(&target);
            return AppError::said(ErrorCode::NotFound, not_found(entity, &id)).into_response();
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// A path segment without its percent-encoding (project codes hold commas); none if it is
/// not UTF-8 once decoded.
pub(crate) fn decoded(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// How a not-found page names the record.
fn named(target: &Target) -> (&'static str, String) {
    match target {
        Target::Call(id) => ("call", id.to_string()),
        Target::Household(id) => ("household", id.to_string()),
        Target::Formulation(id) => ("formulation", id.to_string()),
        Target::Project(id) => ("project", id.to_string()),
        Target::ProjectCode(code) => ("project", code.clone()),
        Target::ScreeningRun(id) => ("screening_run", id.to_string()),
        Target::Measurement(id) => ("measurement", id.to_string()),
        Target::IndicatorProposal(id) => ("indicator", id.to_string()),
        Target::Petition(id) => ("petition", id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_records() {
        assert_eq!(
            target_of("/personal/hogares/7/predios/3"),
            Some(Target::Household(7))
        );
        assert_eq!(
            target_of("/api/v1/formulations/12/award"),
            Some(Target::Formulation(12))
        );
        assert_eq!(
            target_of("/personal/proyectos/T06.60%2C61%2C62/indicadores/1"),
            Some(Target::ProjectCode("T06.60,61,62".into()))
        );
        assert_eq!(target_of("/personal/convocatorias/nueva"), None);
        assert_eq!(target_of("/proyectos/PDR-2013-NAR-002"), None);
        assert_eq!(target_of("/api/v1/projects/PDR-2013-NAR-002"), None);
        assert_eq!(
            target_of("/api/v1/projects/PDR-2013-NAR-002/ledger/movements"),
            Some(Target::ProjectCode("PDR-2013-NAR-002".into()))
        );
        assert_eq!(
            target_of("/personal/preselecciones/3/resultados.csv"),
            Some(Target::ScreeningRun(3))
        );
    }
}
