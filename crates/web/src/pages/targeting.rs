//! Targeting and prioritization of a call's municipalities (Art. 5, 6, 8 and 30):
//! `/personal/convocatorias/{id}/focalizacion` computes the ranking from the weights in the
//! form (GET, nothing stored), generates a numbered technical document (POST, stored and
//! audited), and records the institute's interventions (CSV import or by hand). The documents
//! are shown as HTML and PDF under `/personal/convocatorias/{id}/focalizacion/documentos/{n}`
//! and `{n}.pdf`.

use crate::i18n::Arg;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_documents::map::{Frame, MapSpec, SEQUENTIAL, Shade, municipality_map};
use vereda_documents::targeting_pdf::{TargetingReport, render as render_pdf};
use vereda_domain::accounts::Permission;
use vereda_domain::number::format_number;
use vereda_domain::program::ProgramLine;
use vereda_domain::targeting::{
    Candidate, Coverage, CoverageError, CoverageInput, Ranked, Weights, coverage, prioritize,
};
use vereda_domain::territory::{DaneCode, catalog};
use vereda_domain::text::TextEncoding;
use vereda_store::programs::Call;
use vereda_store::targeting::{InterventionRow, NewTargetingDocument, SOURCE_CSV, TargetingDocument};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode};
use crate::form_errors::{FieldErrors, read_number_field};
use crate::i18n::{Lang, Message};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/convocatorias/{id}/focalizacion",
            get(targeting).post(generate),
        )
        .route(
            "/personal/convocatorias/{id}/focalizacion/intervenciones",
            post(import_interventions),
        )
        .route(
            "/personal/convocatorias/{id}/focalizacion/intervenciones/manual",
            post(record_interventions),
        )
        .route(
            "/personal/convocatorias/{id}/focalizacion/documentos/{file}",
            get(document),
        )
}

/// The form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct TargetingForm {
    pub(crate) weight_poverty: String,
    pub(crate) weight_families: String,
    pub(crate) weight_interventions: String,
    pub(crate) cofinancing_per_family: String,
    pub(crate) families_per_project: String,
    pub(crate) csrf_token: String,
}

impl TargetingForm {
    /// Equal weights; co-financing per family of 20 SMMLV (Art. 29), or the AREL cap; 20
    /// families a project.
    pub(crate) fn defaults(call: &Call) -> TargetingForm {
        let smmlv_per_family = match call.line {
            ProgramLine::Arel => call.arel_cap_smmlv.unwrap_or(Decimal::from(20)),
            ProgramLine::General => Decimal::from(20),
        };
        TargetingForm {
            weight_poverty: "1".to_owned(),
            weight_families: "1".to_owned(),
            weight_interventions: "1".to_owned(),
            cofinancing_per_family: format_number((call.smmlv_cop * smmlv_per_family).round_dp(0)),
            families_per_project: "20".to_owned(),
            csrf_token: String::new(),
        }
    }

    fn is_blank(&self) -> bool {
        self.weight_poverty.is_empty()
            && self.weight_families.is_empty()
            && self.weight_interventions.is_empty()
            && self.cofinancing_per_family.is_empty()
            && self.families_per_project.is_empty()
    }
}

/// The form read: weights and the coverage's figures, or every problem by field. The numbers
/// read are written back in `form` as they were understood.
fn read_form(
    lang: Lang,
    form: &mut TargetingForm,
    budget: Decimal,
) -> Result<(Weights, CoverageInput), FieldErrors> {
    let mut errors = FieldErrors::default();
    let weight = |field: &str, text: &mut String, errors: &mut FieldErrors| {
        if text.trim().is_empty() {
            errors.add(lang, field, Message::new("targeting-error_required"));
            return None;
        }
        match read_number_field(lang, field, text, errors)? {
            value if value >= Decimal::ZERO => Some(value),
            _ => {
                errors.add(
                    lang,
                    field,
                    Message::new("targeting-error_weight").with("value", text.trim()),
                );
                None
            }
        }
    };
    let poverty = weight("weight_poverty", &mut form.weight_poverty, &mut errors);
    let families = weight("weight_families", &mut form.weight_families, &mut errors);
    let interventions = weight(
        "weight_interventions",
        &mut form.weight_interventions,
        &mut errors,
    );
    let per_family = match read_number_field(
        lang,
        "cofinancing_per_family",
        &mut form.cofinancing_per_family,
        &mut errors,
    ) {
        Some(value) if value > Decimal::ZERO => Some(value),
        Some(_) => {
            errors.add(
                lang,
                "cofinancing_per_family",
                Message::new("targeting-error_positive").with("value", form.cofinancing_per_family.trim()),
            );
            None
        }
        None => {
            if form.cofinancing_per_family.trim().is_empty() {
                errors.add(
                    lang,
                    "cofinancing_per_family",
                    Message::new("targeting-error_required"),
                );
            }
            None
        }
    };
    let per_project = match form.families_per_project.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            errors.add(
                lang,
                "families_per_project",
                Message::new("targeting-error_whole").with("value", form.families_per_project.trim()),
            );
            None
        }
    };
    let (Some(poverty), Some(families), Some(interventions), Some(per_family), Some(per_project)) =
        (poverty, families, interventions, per_family, per_project)
    else {
        return Err(errors);
    };
    let weights = Weights {
        poverty,
        families,
        interventions,
    };
    for problem in weights.validate() {
        errors.add(lang, problem.field(), problem.message());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        weights,
        CoverageInput {
            budget_cop: budget,
            cofinancing_per_family_cop: per_family,
            families_per_project: per_project,
        },
    ))
}

/// A ranked municipality as the page shows it.
struct RankedRow {
    item: Ranked,
    name: String,
    department: String,
}

fn names(code: DaneCode) -> (String, String) {
    let municipality = code.municipality();
    let department = catalog()
        .department(municipality.department_code)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    (municipality.name.clone(), department)
}

fn rows_of(ranking: &[Ranked]) -> Vec<RankedRow> {
    ranking
        .iter()
        .map(|item| {
            let (name, department) = names(item.candidate.dane_code);
            RankedRow {
                item: *item,
                name,
                department,
            }
        })
        .collect()
}

/// The quintile of a rank among `total` (0 for the first fifth).
fn quintile(rank: u32, total: usize) -> usize {
    let position = usize::try_from(rank.saturating_sub(1)).unwrap_or(0);
    (position * 5 / total.max(1)).min(4)
}

/// The choropleth: candidates coloured by rank quintile, the darkest first.
fn ranking_map(lang: Lang, ranking: &[Ranked]) -> Result<String, AppError> {
    if ranking.is_empty() {
        return Ok(String::new());
    }
    let labels: Vec<String> = (1..=5)
        .map(|q| lang.t_with("targeting-quintile", &[("value", Arg::from(&q.to_string()))]))
        .collect();
    let legend: Vec<(&str, &str)> = labels
        .iter()
        .zip(SEQUENTIAL.iter().rev())
        .map(|(label, colour)| (label.as_str(), *colour))
        .collect();
    let shades: Vec<Shade> = ranking
        .iter()
        .map(|r| {
            let (name, department) = names(r.candidate.dane_code);
            Shade {
                code: r.candidate.dane_code.to_string(),
                class: quintile(r.rank, ranking.len()),
                label: format!(
                    "{name} ({department}): {} {}, {} {}",
                    lang.t("targeting-rank"),
                    r.rank,
                    lang.t("targeting-index"),
                    r.index
                ),
            }
        })
        .collect();
    let spec = MapSpec {
        title: lang.t("targeting-map_title"),
        description: lang.t("targeting-map_description"),
        legend: &legend,
        frame: Frame::Departments,
        width: 600,
    };
    municipality_map(&shades, &spec)
        .map(|map| map.svg)
        .map_err(|e| AppError::internal(&e))
}

pub(crate) struct MissingIpm {
    pub(crate) dane_code: String,
    pub(crate) name: String,
}

#[derive(Template)]
#[template(path = "targeting.html")]
struct TargetingPage {
    chrome: Chrome,
    call: Call,
    can_manage: bool,
    form: TargetingForm,
    errors: FieldErrors,
    screening_run_id: Option<i32>,
    rows: Vec<RankedRow>,
    without_ipm: Vec<MissingIpm>,
    coverage: Option<Coverage>,
    map: String,
    documents: Vec<TargetingDocument>,
    interventions: Vec<InterventionRow>,
    /// The interventions' forms as sent: the import's problems, the entry typed by hand and
    /// the problems beside its fields.
    intervention_forms: InterventionForms,
    notice: Option<String>,
}

/// The interventions' forms as last sent; empty on a first visit.
#[derive(Default)]
struct InterventionForms {
    /// Each problem of the imported file: its code and its words.
    import_errors: Vec<(String, String)>,
    dane_code: String,
    count: String,
    entry_errors: FieldErrors,
}

impl TargetingPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn problem_of(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    fn entry_errors_of(&self, field: &str) -> Vec<&str> {
        self.intervention_forms.entry_errors.of(field)
    }

    fn entry_problem_of(&self, field: &str) -> &str {
        self.intervention_forms.entry_errors.code_of(field)
    }
}

/// What a computation gives: the inputs, the ranking and the coverage.
struct Computed {
    inputs: Vec<Candidate>,
    ranking: Vec<Ranked>,
    coverage: Coverage,
    weights: Weights,
    coverage_input: CoverageInput,
}

pub(crate) struct Candidates {
    pub(crate) screening_run_id: Option<i32>,
    pub(crate) inputs: Vec<Candidate>,
    pub(crate) without_ipm: Vec<MissingIpm>,
}

/// The call's candidate municipalities: those with an IPM weigh, the others are listed apart.
pub(crate) async fn candidates(state: &AppState, call_id: i32) -> Result<Candidates, AppError> {
    let facts = state.store.targeting_candidates(call_id).await?;
    let mut inputs = Vec::new();
    let mut without_ipm = Vec::new();
    for m in facts.municipalities {
        let code = DaneCode::parse(&m.dane_code).map_err(|e| AppError::internal(&e))?;
        match m.ipm {
            Some(ipm) => inputs.push(Candidate {
                dane_code: code,
                ipm,
                families: m.families,
                interventions: u64::from(m.interventions),
            }),
            None => without_ipm.push(MissingIpm {
                dane_code: m.dane_code,
                name: m.name,
            }),
        }
    }
    Ok(Candidates {
        screening_run_id: facts.screening_run_id,
        inputs,
        without_ipm,
    })
}

fn compute(
    lang: Lang,
    form: &mut TargetingForm,
    call: &Call,
    inputs: Vec<Candidate>,
) -> Result<Computed, FieldErrors> {
    let (weights, coverage_input) = read_form(lang, form, call.budget_cop)?;
    let mut errors = FieldErrors::default();
    let ranking = match prioritize(&inputs, &weights) {
        Ok(ranking) => ranking,
        Err(problem) => {
            errors.add(lang, problem.field(), problem.message());
            return Err(errors);
        }
    };
    let coverage = match coverage(&coverage_input) {
        Ok(coverage) => coverage,
        Err(problem) => {
            let field = match problem {
                CoverageError::NegativeBudget(_) => "cofinancing_per_family",
                _ => problem.field(),
            };
            errors.add(lang, field, problem.message());
            return Err(errors);
        }
    };
    Ok(Computed {
        inputs,
        ranking,
        coverage,
        weights,
        coverage_input,
    })
}

pub(crate) async fn call_or_404(state: &AppState, id: i32) -> Result<Call, AppError> {
    state.store.call(id).await?.ok_or_else(|| {
        AppError::said(
            ErrorCode::NotFound,
            crate::error::not_found("call", &id.to_string()),
        )
    })
}

/// The page for a form; 422 when the form has problems.
async fn page_for(
    state: &AppState,
    visitor: &Visitor,
    call: Call,
    mut form: TargetingForm,
    errors: Option<FieldErrors>,
    intervention_forms: InterventionForms,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let lang = visitor.lang;
    let found = candidates(state, call.id).await?;
    let (computed, errors) = match errors {
        Some(errors) => (None, errors),
        None => match compute(lang, &mut form, &call, found.inputs) {
            Ok(computed) => (Some(computed), FieldErrors::default()),
            Err(errors) => (None, errors),
        },
    };
    let status = if errors.is_empty()
        && intervention_forms.import_errors.is_empty()
        && intervention_forms.entry_errors.is_empty()
    {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let map = match &computed {
        Some(c) => ranking_map(lang, &c.ranking)?,
        None => String::new(),
    };
    let page = TargetingPage {
        can_manage: visitor.can(Permission::ManageCalls),
        screening_run_id: found.screening_run_id,
        rows: computed.as_ref().map(|c| rows_of(&c.ranking)).unwrap_or_default(),
        without_ipm: found.without_ipm,
        coverage: computed.as_ref().map(|c| c.coverage),
        map,
        documents: state.store.targeting_documents(call.id).await?,
        interventions: state.store.interventions(call.id).await?,
        intervention_forms,
        notice,
        form,
        errors,
        call,
        chrome: Chrome::new(visitor).await?,
    };
    Ok((status, render(&page)?).into_response())
}

async fn targeting(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(form): Query<TargetingForm>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewCalls)?;
    let call = call_or_404(&state, id).await?;
    let form = if form.is_blank() {
        TargetingForm::defaults(&call)
    } else {
        form
    };
    page_for(
        &state,
        &visitor,
        call,
        form,
        None,
        InterventionForms::default(),
        None,
    )
    .await
}

async fn generate(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(mut form): Form<TargetingForm>,
) -> Result<Response, AppError> {
    let csrf = form.csrf_token.clone();
    match create_document(&state, &visitor, &csrf, id, &mut form).await? {
        Ok(document) => Ok(Redirect::to(&format!(
            "/personal/convocatorias/{id}/focalizacion/documentos/{}",
            document.number
        ))
        .into_response()),
        Err(errors) => {
            let call = call_or_404(&state, id).await?;
            page_for(
                &state,
                &visitor,
                call,
                form,
                Some(errors),
                InterventionForms::default(),
                None,
            )
            .await
        }
    }
}

/// Generates a numbered targeting document from the form's weights, for the page and the API:
/// `ManageCalls` and the session's token; the form's problems by field, nothing stored. The
/// numbers read are written back in `form`.
pub(crate) async fn create_document(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    form: &mut TargetingForm,
) -> Result<Result<TargetingDocument, FieldErrors>, AppError> {
    let actor = visitor.require(Permission::ManageCalls)?.actor();
    visitor.check_csrf(csrf).await?;
    let call = call_or_404(state, id).await?;
    let found = candidates(state, call.id).await?;
    match compute(visitor.lang, form, &call, found.inputs) {
        Ok(computed) => {
            let document = state
                .store
                .create_targeting_document(
                    &actor,
                    NewTargetingDocument {
                        call_id: call.id,
                        weights: computed.weights,
                        inputs: computed.inputs,
                        ranking: computed.ranking,
                        coverage_input: computed.coverage_input,
                        coverage: computed.coverage,
                    },
                )
                .await?;
            tracing::info!(
                call = call.id,
                number = document.number,
                "targeting document generated"
            );
            Ok(Ok(document))
        }
        Err(errors) => {
            tracing::info!(call = call.id, problems = ?errors.all(), "targeting document refused");
            Ok(Err(errors))
        }
    }
}

async fn import_interventions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    let lang = visitor.lang;
    let mut csrf = String::new();
    let mut name = String::new();
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.map_err(crate::error::upload_refused)?,
            Some("file") => {
                name = field.file_name().unwrap_or_default().to_owned();
                bytes = field
                    .bytes()
                    .await
                    .map_err(crate::error::upload_refused)?
                    .to_vec()
            }
            _ => {}
        }
    }
    let outcome = import_file(&state, &visitor, &csrf, id, &name, bytes).await?;
    let call = call_or_404(&state, id).await?;
    let form = TargetingForm::defaults(&call);
    match outcome {
        Ok((count, encoding)) => {
            let count = Arg::from(&count.to_string());
            // A CSV names the encoding it was read in; a workbook has none.
            let notice = match encoding {
                Some(encoding) => lang.t_with(
                    "targeting-imported_text",
                    &[
                        ("value", count),
                        ("encoding", Arg::from(lang.t(encoding.label_key()))),
                    ],
                ),
                None => lang.t_with("targeting-imported", &[("value", count)]),
            };
            page_for(
                &state,
                &visitor,
                call,
                form,
                None,
                InterventionForms::default(),
                Some(notice),
            )
            .await
        }
        Err(problems) => {
            let forms = InterventionForms {
                import_errors: problems
                    .iter()
                    .map(|p| (p.code().to_owned(), lang.say(p)))
                    .collect(),
                ..InterventionForms::default()
            };
            page_for(&state, &visitor, call, form, None, forms, None).await
        }
    }
}

/// Imports the call's interventions from a file (CSV, XLSX, XLS or ODS with the columns
/// `dane_code` and `interventions`), for the page and the API: `ManageCalls` and the session's
/// token. Gives the rows imported and the encoding a CSV was read in, or every problem of the
/// file, each naming line (or cell), column and value (nothing stored).
pub(crate) async fn import_file(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    name: &str,
    bytes: Vec<u8>,
) -> Result<Result<(usize, Option<TextEncoding>), Vec<Message>>, AppError> {
    let actor = visitor.require(Permission::ManageCalls)?.actor();
    visitor.check_csrf(csrf).await?;
    let call = call_or_404(state, id).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let required = visitor.lang.t("targeting-error_required").to_owned();
        return Ok(Err(vec![
            Message::new("targeting-error_file").with("value", required),
        ]));
    }
    let limits = &state.config.read_limits;
    let (read, _) = crate::uploads::read_upload(name, "intervenciones.csv", &bytes, |path| {
        vereda_screening::interventions::read_interventions_within(path, limits)
    })
    .map_err(|e| AppError::internal(&e))?;
    match read {
        Ok(file) => {
            let summary = state
                .store
                .import_interventions(&actor, call.id, &file.records, SOURCE_CSV)
                .await?;
            tracing::info!(call = call.id, ?summary, "interventions imported");
            Ok(Ok((file.records.len(), file.encoding)))
        }
        Err(error) => Ok(Err(error.messages())),
    }
}

#[derive(Deserialize)]
struct ManualEntry {
    dane_code: String,
    count: String,
    csrf_token: String,
}

async fn record_interventions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(entry): Form<ManualEntry>,
) -> Result<Response, AppError> {
    let outcome = set_count(
        &state,
        &visitor,
        &entry.csrf_token,
        id,
        &entry.dane_code,
        &entry.count,
    )
    .await?;
    let call = call_or_404(&state, id).await?;
    match outcome {
        Ok(()) => {
            Ok(Redirect::to(&format!("/personal/convocatorias/{}/focalizacion", call.id)).into_response())
        }
        Err(entry_errors) => {
            let form = TargetingForm::defaults(&call);
            let forms = InterventionForms {
                dane_code: entry.dane_code,
                count: entry.count,
                entry_errors,
                ..InterventionForms::default()
            };
            page_for(&state, &visitor, call, form, None, forms, None).await
        }
    }
}

/// Sets one municipality's interventions in the call, by hand, for the page and the API:
/// `ManageCalls` and the session's token; a code that is not a municipality's or a count that
/// is not a whole number is refused beside its field, nothing stored.
pub(crate) async fn set_count(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    dane_code: &str,
    count: &str,
) -> Result<Result<(), FieldErrors>, AppError> {
    let actor = visitor.require(Permission::ManageCalls)?.actor();
    visitor.check_csrf(csrf).await?;
    let call = call_or_404(state, id).await?;
    let lang = visitor.lang;
    let mut problems = FieldErrors::default();
    let code = DaneCode::parse(dane_code.trim())
        .map_err(|_| {
            let said = Message::new("targeting-error_code").with("value", dane_code.trim().to_owned());
            problems.add(lang, "dane_code", said);
        })
        .ok();
    let count = count
        .trim()
        .parse::<u32>()
        .map_err(|_| {
            let said = Message::new("targeting-error_count").with("value", count.trim().to_owned());
            problems.add(lang, "count", said);
        })
        .ok();
    let (Some(code), Some(count)) = (code, count) else {
        return Ok(Err(problems));
    };
    state
        .store
        .set_interventions(&actor, call.id, code, count)
        .await?;
    Ok(Ok(()))
}

#[derive(Template)]
#[template(path = "targeting_document.html")]
struct DocumentPage {
    chrome: Chrome,
    call: Call,
    document: TargetingDocument,
    normalised: Weights,
    rows: Vec<RankedRow>,
    created_at: String,
}

fn shown_time(at: jiff::Timestamp) -> String {
    let offset = jiff::tz::Offset::constant(-5);
    at.to_zoned(offset.to_time_zone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub(crate) async fn document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, file)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewCalls)?;
    let call = call_or_404(&state, id).await?;
    let (number, pdf) = match file.strip_suffix(".pdf") {
        Some(number) => (number, true),
        None => (file.as_str(), false),
    };
    let missing = || AppError::said(ErrorCode::NotFound, crate::error::not_found("document", &file));
    let number: i32 = number.parse().map_err(|_| missing())?;
    let document = state
        .store
        .targeting_document(call.id, number)
        .await?
        .ok_or_else(missing)?;
    let created_at = shown_time(document.created_at);
    if pdf {
        let bytes = render_pdf(
            &TargetingReport {
                call_code: &call.code,
                call_name: &call.name,
                budget_year: call.budget_year,
                number: document.number,
                created_at: &created_at,
                weights: &document.weights,
                ranking: &document.ranking,
                coverage_input: &document.coverage_input,
                coverage: &document.coverage,
            },
            &state.config.templates,
            state.config.today(),
        )
        .map_err(|e| AppError::internal(&e))?
        .pdf;
        let name = format!("focalizacion-{}-v{}.pdf", call.code, document.number);
        return Ok(crate::downloads::file_response(
            "application/pdf",
            &name,
            crate::downloads::Disposition::Inline,
            bytes,
        ));
    }
    render(&DocumentPage {
        normalised: document.weights.normalised().unwrap_or(document.weights),
        rows: rows_of(&document.ranking),
        created_at,
        document,
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::quintile;

    #[test]
    fn quintiles_split_the_ranks_in_five() {
        let classes: Vec<usize> = (1..=10).map(|rank| quintile(rank, 10)).collect();
        assert_eq!(classes, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(quintile(1, 1), 0);
        // Fewer than five candidates leave some quintiles empty: ranks 1, 2, 3 of 3 fall in 1, 2, 4.
        assert_eq!([1, 2, 3].map(|rank| quintile(rank, 3)), [0, 1, 3]);
    }
}
