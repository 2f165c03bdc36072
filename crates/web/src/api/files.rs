//! The product's files over the JSON API: the acts (award resolution, committee minutes,
//! targeting documents), a screening's results, a household's received documents, a parcel's
//! photos and a preparation record's signed minutes. Each answers what its page's download
//! answers, from the same function, with the same permission and office reach; an API token
//! reaches them too (tokens work under `/api/` only).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::pages;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/formulations/{id}/resolution.pdf", get(resolution))
        .route(
            "/api/v1/formulations/{id}/template.xlsx",
            get(formulation_template),
        )
        .route("/api/v1/committee-sessions/{id}/minutes.pdf", get(minutes))
        .route("/api/v1/screenings/{id}/results.csv", get(results_csv))
        .route("/api/v1/screenings/{id}/results.xlsx", get(results_xlsx))
        .route(
            "/api/v1/calls/{id}/targeting/documents/{number}/document.pdf",
            get(targeting_document),
        )
        .route(
            "/api/v1/households/{id}/documents/{document}",
            get(household_document),
        )
        .route(
            "/api/v1/households/{id}/parcels/{parcel}/photos/{photo}",
            get(parcel_photo),
        )
        .route(
            "/api/v1/formulations/{id}/preparation/{record}/minutes",
            get(preparation_minutes),
        )
}

/// The award resolution of a formulation, as signed (PDF).
#[utoipa::path(get, path = "/api/v1/formulations/{id}/resolution.pdf", tag = "files",
    params(("id" = i32, Path, description = "The formulation")),
    responses((status = 200, description = "The resolution", content_type = "application/pdf"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such formulation in reach, or no award yet", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn resolution(
    state: State<AppState>,
    visitor: Visitor,
    id: Path<i32>,
) -> Result<Response, AppError> {
    pages::procedure::resolution_pdf(state, visitor, id).await
}

/// A saved formulation as the filled XLSX template (the latest version, or `version`), to
/// edit and import again (`vereda evaluate`, or a new formulation's upload).
#[utoipa::path(get, path = "/api/v1/formulations/{id}/template.xlsx", tag = "files",
    params(("id" = i32, Path, description = "The formulation"),
        ("version" = Option<i32>, Query, description = "The version's number; the latest by default")),
    responses((status = 200, description = "The filled template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such formulation or version in reach", body = crate::error::Problem, content_type = "application/problem+json")))]
pub(crate) async fn formulation_template(
    state: State<AppState>,
    visitor: Visitor,
    id: Path<i32>,
    query: Query<pages::formulation::VersionQuery>,
) -> Result<Response, AppError> {
    pages::formulation::filled_template(state, visitor, id, query).await
}

/// The minutes of a committee session (PDF; a draft until closed and signed by every attendee).
#[utoipa::path(get, path = "/api/v1/committee-sessions/{id}/minutes.pdf", tag = "files",
    params(("id" = i32, Path, description = "The committee session")),
    responses((status = 200, description = "The minutes", content_type = "application/pdf"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn minutes(state: State<AppState>, visitor: Visitor, id: Path<i32>) -> Result<Response, AppError> {
    pages::procedure::minutes_pdf(state, visitor, id).await
}

/// A finished screening's results, one row per household within the reader's reach (CSV,
/// UTF-8; documents masked unless the role sees them whole).
#[utoipa::path(get, path = "/api/v1/screenings/{id}/results.csv", tag = "files",
    params(("id" = i32, Path, description = "The screening run")),
    responses((status = 200, description = "The results", content_type = "text/csv"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run has not finished (`screening-no_results`)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn results_csv(
    state: State<AppState>,
    visitor: Visitor,
    id: Path<i32>,
) -> Result<Response, AppError> {
    pages::screening::results_csv(
        state,
        visitor,
        id,
        Query(Default::default()),
        Query(Default::default()),
    )
    .await
}

/// The same results as a workbook.
#[utoipa::path(get, path = "/api/v1/screenings/{id}/results.xlsx", tag = "files",
    params(("id" = i32, Path, description = "The screening run")),
    responses((status = 200, description = "The results", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run has not finished (`screening-no_results`)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn results_xlsx(
    state: State<AppState>,
    visitor: Visitor,
    id: Path<i32>,
) -> Result<Response, AppError> {
    pages::screening::results_xlsx(
        state,
        visitor,
        id,
        Query(Default::default()),
        Query(Default::default()),
    )
    .await
}

/// A numbered targeting document of a call (Art. 5-8), as PDF.
#[utoipa::path(get, path = "/api/v1/calls/{id}/targeting/documents/{number}/document.pdf", tag = "files",
    params(("id" = i32, Path, description = "The call"), ("number" = i32, Path, description = "The document's number in the call")),
    responses((status = 200, description = "The targeting document", content_type = "application/pdf"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn targeting_document(
    state: State<AppState>,
    visitor: Visitor,
    Path((id, number)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    pages::targeting::document(state, visitor, Path((id, format!("{number}.pdf")))).await
}

/// A document a household handed in for its verification (Art. 11-14), as received. Personal
/// data: only for roles that see documents whole (Ley 1581 de 2012).
#[utoipa::path(get, path = "/api/v1/households/{id}/documents/{document}", tag = "files",
    params(("id" = i32, Path, description = "The household"), ("document" = i32, Path, description = "The received document")),
    responses((status = 200, description = "The file, with its own media type"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn household_document(
    state: State<AppState>,
    visitor: Visitor,
    ids: Path<(i32, i32)>,
) -> Result<Response, AppError> {
    pages::verification::download(state, visitor, ids).await
}

/// A photo of a parcel's field visit (Art. 13).
#[utoipa::path(get, path = "/api/v1/households/{id}/parcels/{parcel}/photos/{photo}", tag = "files",
    params(("id" = i32, Path, description = "The household"), ("parcel" = i32, Path, description = "The parcel"), ("photo" = i32, Path, description = "The photo")),
    responses((status = 200, description = "The photo (JPEG or PNG)"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn parcel_photo(
    state: State<AppState>,
    visitor: Visitor,
    ids: Path<(i32, i32, i32)>,
) -> Result<Response, AppError> {
    pages::parcels::photo(state, visitor, ids).await
}

/// The signed minutes of a participatory session (Art. 17) kept with a preparation record.
#[utoipa::path(get, path = "/api/v1/formulations/{id}/preparation/{record}/minutes", tag = "files",
    params(("id" = i32, Path, description = "The formulation"), ("record" = i32, Path, description = "The preparation record")),
    responses((status = 200, description = "The file, with its own media type"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn preparation_minutes(
    state: State<AppState>,
    visitor: Visitor,
    ids: Path<(i32, i32)>,
) -> Result<Response, AppError> {
    pages::preparation::minutes_file(state, visitor, ids).await
}
