//! Follow-up of results (Art. 34-36) for staff: a project's framework, measurements submitted
//! with their evidence, their review by another officer, indicator targets and public
//! documents. Every change clears the public pages, so the portal shows it at once.

use crate::i18n::Message;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::monitoring::{
    ExecutionStatus, FieldProblem, IndicatorUnit, MeasurementDraft, MeasurementStatus, ProjectCard,
};
use vereda_domain::number::format_number;
use vereda_store::StoreError;
use vereda_store::projects::{
    Beneficiary, IndicatorEdit, IndicatorForEdit, IndicatorProposal, IndicatorProposalDraft,
    MeasurementQuery, MeasurementRow, MeasurementSubmission, NewDocument, ProposalQuery, Review,
};

use super::Chrome;
use super::projects::{no_such_indicator, not_found_project, unit_label};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{KeptFile, field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, urlencode};
use crate::form_errors::{FieldErrors, read_number_field};
use crate::i18n::Lang;
use crate::lists::{DownloadFormat, ExportSource, FilterView, ListParams, ListView};
use crate::today::today_in_colombia;
use vereda_store::lists::MeasurementList;

/// The largest evidence file or public document.
pub const DOCUMENT_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/proyectos", get(projects))
        .route("/personal/proyectos/{code}", get(framework))
        .route(
            "/personal/proyectos/{code}/documentos",
            post(add_document).layer(DefaultBodyLimit::max(DOCUMENT_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/personal/proyectos/{code}/indicadores/{number}", get(indicator))
        .route(
            "/personal/proyectos/{code}/indicadores/{number}/mediciones",
            post(submit_measurement).layer(DefaultBodyLimit::max(DOCUMENT_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/personal/proyectos/{code}/indicadores/{number}/metas",
            post(edit_targets),
        )
        .route("/personal/mediciones", get(review_queue))
        .route(
            "/personal/mediciones.csv",
            get(
                |state: State<AppState>, visitor: Visitor, params: Query<ListParams>| {
                    measurements_download(state, visitor, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/mediciones.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, params: Query<ListParams>| {
                    measurements_download(state, visitor, params, DownloadFormat::Xlsx)
                },
            ),
        )
        .route("/personal/mediciones/{id}/revision", post(review))
        .route("/personal/propuestas/{id}/revision", post(review_proposal))
}

#[derive(Template)]
#[template(path = "staff_projects.html")]
struct ProjectsPage {
    chrome: Chrome,
    projects: Vec<vereda_store::projects::ProjectSummary>,
    pending: usize,
}

async fn projects(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let reach = visitor.reach(&state.store).await?;
    let pending = state
        .store
        .measurements(&MeasurementQuery {
            status: Some(MeasurementStatus::Submitted),
            reach: reach.clone(),
            ..MeasurementQuery::default()
        })
        .await?
        .len();
    let filter = vereda_store::projects::ProjectFilter {
        reach,
        ..Default::default()
    };
    super::render(&ProjectsPage {
        projects: state.store.projects(&filter).await?,
        pending,
        chrome: Chrome::new(&visitor).await?,
    })
}

#[derive(Template)]
#[template(path = "staff_project.html")]
struct FrameworkPage {
    chrome: Chrome,
    card: ProjectCard,
    code_path: String,
    can_manage: bool,
    failure: Option<String>,
    saved: bool,
    /// The families of an awarded project, for the staff who may see households.
    beneficiaries: Vec<Beneficiary>,
}

/// The families of a project when the visitor may see households; none otherwise.
async fn beneficiaries_for(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
) -> Result<Vec<Beneficiary>, AppError> {
    if !visitor.can(Permission::ViewHouseholds) {
        return Ok(Vec::new());
    }
    Ok(state.store.project_beneficiaries(code).await?)
}

#[derive(Deserialize, Default)]
struct Flash {
    #[serde(default)]
    guardado: Option<String>,
}

async fn card_or_404(state: &AppState, code: &str) -> Result<ProjectCard, AppError> {
    state
        .store
        .project_card(code)
        .await?
        .ok_or_else(|| not_found_project(code))
}

async fn framework(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let card = card_or_404(&state, &code).await?;
    super::render(&FrameworkPage {
        code_path: urlencode(&card.code),
        can_manage: visitor.can(Permission::ManageProjects),
        failure: None,
        saved: flash.guardado.is_some(),
        beneficiaries: beneficiaries_for(&state, &visitor, &card.code).await?,
        chrome: Chrome::new(&visitor).await?,
        card,
    })
}

/// What the measurement form holds, kept to show it again with its errors.
#[derive(Debug, Default, Clone)]
struct MeasurementForm {
    measured_on: String,
    value: String,
    value_women: String,
    value_men: String,
    source: String,
}

#[derive(Debug, Default, Clone)]
struct TargetsForm {
    baseline: String,
    goal: String,
    unit: String,
    status: String,
    reason: String,
    lock_version: i32,
}

#[derive(Template)]
#[template(path = "staff_indicator.html")]
struct IndicatorPage {
    chrome: Chrome,
    project_title: String,
    code: String,
    code_path: String,
    item: IndicatorForEdit,
    unit: String,
    history: Vec<MeasurementRow>,
    measurement: MeasurementForm,
    measurement_errors: FieldErrors,
    targets: TargetsForm,
    target_errors: FieldErrors,
    failure: Option<String>,
    notice: Option<&'static str>,
    can_record: bool,
    can_manage: bool,
    statuses: &'static [ExecutionStatus],
    units: &'static [IndicatorUnit],
    /// Proposals of this indicator awaiting another account's review.
    proposals: Vec<IndicatorProposal>,
    today: jiff::civil::Date,
}

impl IndicatorPage {
    fn errors_of<'a>(&'a self, errors: &'a FieldErrors, field: &str) -> Vec<&'a str> {
        errors.of(field)
    }
}

struct IndicatorView {
    measurement: MeasurementForm,
    measurement_errors: FieldErrors,
    targets: Option<TargetsForm>,
    target_errors: FieldErrors,
    failure: Option<String>,
    notice: Option<&'static str>,
}

impl IndicatorView {
    fn fresh(notice: Option<&'static str>) -> IndicatorView {
        IndicatorView {
            measurement: MeasurementForm::default(),
            measurement_errors: FieldErrors::default(),
            targets: None,
            target_errors: FieldErrors::default(),
            failure: None,
            notice,
        }
    }
}

async fn indicator_page(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    number: i32,
    view: IndicatorView,
) -> Result<IndicatorPage, AppError> {
    let card = card_or_404(state, code).await?;
    let item = state
        .store
        .indicator_for_edit(code, number)
        .await?
        .ok_or_else(|| no_such_indicator(code, number))?;
    let history = state
        .store
        .measurements(&MeasurementQuery {
            project_code: Some(code.to_owned()),
            indicator_number: Some(number),
            status: None,
            ..MeasurementQuery::default()
        })
        .await?;
    let targets = view.targets.unwrap_or_else(|| TargetsForm {
        baseline: format_number(item.progress.baseline),
        goal: format_number(item.progress.goal),
        unit: item.progress.unit.to_string(),
        status: item.progress.status.to_string(),
        reason: String::new(),
        lock_version: item.lock_version,
    });
    let proposals = state
        .store
        .indicator_proposals(&ProposalQuery {
            status: Some(MeasurementStatus::Submitted),
            project_code: Some(code.to_owned()),
            ..ProposalQuery::default()
        })
        .await?
        .into_iter()
        .filter(|p| p.indicator_number == number)
        .collect();
    Ok(IndicatorPage {
        unit: unit_label(visitor.lang, item.progress.unit.as_str()),
        project_title: card.title,
        code: code.to_owned(),
        code_path: urlencode(code),
        history,
        measurement: view.measurement,
        measurement_errors: view.measurement_errors,
        targets,
        target_errors: view.target_errors,
        failure: view.failure,
        notice: view.notice,
        can_record: visitor.can(Permission::RecordMeasurements),
        can_manage: visitor.can(Permission::ManageProjects),
        statuses: ExecutionStatus::ALL,
        units: IndicatorUnit::ALL,
        proposals,
        today: today_in_colombia(),
        chrome: Chrome::new(visitor).await?,
        item,
    })
}

#[derive(Deserialize, Default)]
struct IndicatorFlash {
    #[serde(default)]
    hecho: Option<String>,
}

async fn indicator(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, number)): Path<(String, i32)>,
    Query(flash): Query<IndicatorFlash>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let notice = match flash.hecho.as_deref() {
        Some("medicion") => Some("monitoring-submitted"),
        Some("metas") => Some("monitoring-targets_saved"),
        Some("propuesta") => Some("monitoring-proposal_filed"),
        _ => None,
    };
    super::render(&indicator_page(&state, &visitor, &code, number, IndicatorView::fresh(notice)).await?)
}

/// The number typed in `field` (see [`read_number_field`]); empty is a problem when `required`.
fn number_field(
    lang: Lang,
    field: &str,
    text: &mut String,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<Decimal> {
    let value = read_number_field(lang, field, text, errors);
    if value.is_none() && required && text.trim().is_empty() {
        errors.add(lang, field, Message::new("monitoring-error-required"));
    }
    value
}

fn add_problems(lang: Lang, problems: &[FieldProblem], errors: &mut FieldErrors) {
    for problem in problems {
        errors.add(lang, problem.field, problem.problem.message());
    }
}

/// What the store records of a file kept for a project.
fn kept_document(kept: KeptFile, title: String, public: bool) -> NewDocument {
    NewDocument {
        title: if title.trim().is_empty() {
            kept.file_name.clone()
        } else {
            title
        },
        file_name: kept.file_name,
        content_type: kept.content_type,
        size_bytes: kept.size_bytes,
        sha256: kept.sha256,
        public,
    }
}

async fn submit_measurement(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, number)): Path<(String, i32)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::RecordMeasurements)?.actor();
    let lang = visitor.lang;
    let (fields, evidence, file_problem) =
        read_form(&mut multipart, "evidence", DOCUMENT_LIMIT_BYTES).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let item = state
        .store
        .indicator_for_edit(&code, number)
        .await?
        .ok_or_else(|| no_such_indicator(&code, number))?;
    let mut form = MeasurementForm {
        measured_on: field(&fields, "measured_on").trim().to_owned(),
        value: field(&fields, "value").to_owned(),
        value_women: field(&fields, "value_women").to_owned(),
        value_men: field(&fields, "value_men").to_owned(),
        source: field(&fields, "source").trim().to_owned(),
    };
    let mut errors = FieldErrors::default();
    if let Some(problem) = file_problem {
        errors.add(lang, "evidence", problem.clone());
    }
    let measured_on = match form.measured_on.parse::<jiff::civil::Date>() {
        Ok(date) => Some(date),
        Err(_) => {
            let key = if form.measured_on.is_empty() {
                "monitoring-error-required"
            } else {
                "monitoring-error-not_a_date"
            };
            errors.add(
                lang,
                "measured_on",
                Message::new(key).with("value", &form.measured_on),
            );
            None
        }
    };
    let value = number_field(lang, "value", &mut form.value, true, &mut errors);
    let value_women = number_field(lang, "value_women", &mut form.value_women, false, &mut errors);
    let value_men = number_field(lang, "value_men", &mut form.value_men, false, &mut errors);
    let draft = match (measured_on, value) {
        (Some(measured_on), Some(value)) => {
            let draft = MeasurementDraft {
                measured_on,
                value,
                value_women,
                value_men,
            };
            if let Err(problems) = draft.validate(item.progress.unit, today_in_colombia()) {
                add_problems(lang, &problems, &mut errors);
            }
            Some(draft)
        }
        _ => None,
    };
    let draft = match draft {
        Some(draft) if errors.is_empty() => draft,
        _ => {
            tracing::info!(project = %code, indicator = number, problems = ?errors.all(), "measurement refused");
            let view = IndicatorView {
                measurement: form,
                measurement_errors: errors,
                ..IndicatorView::fresh(None)
            };
            let page = indicator_page(&state, &visitor, &code, number, view).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, super::render(&page)?).into_response());
        }
    };
    let evidence = match evidence {
        Some(file) => {
            let title = format!(
                "{} {number} · {}",
                lang.t("monitoring-evidence_of"),
                draft.measured_on
            );
            Some(kept_document(keep_file(&state, file)?, title, false))
        }
        None => None,
    };
    let submission = MeasurementSubmission {
        draft,
        source: Some(form.source).filter(|s| !s.is_empty()),
        evidence,
    };
    state
        .store
        .submit_measurement(&actor, &code, number, submission, today_in_colombia())
        .await?;
    Ok(Redirect::to(&format!(
        "/personal/proyectos/{}/indicadores/{number}?hecho=medicion",
        urlencode(&code)
    ))
    .into_response())
}

#[derive(Deserialize)]
struct TargetsPost {
    baseline: String,
    goal: String,
    #[serde(default)]
    unit: String,
    status: String,
    #[serde(default)]
    reason: String,
    lock_version: i32,
    csrf_token: String,
}

/// The staff's edit of an indicator: its status changes at once; a new baseline, goal or unit
/// is filed as a proposal that another account approves (issue 13, invariant 8).
async fn edit_targets(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, number)): Path<(String, i32)>,
    Form(mut post): Form<TargetsPost>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ManageProjects)?.actor();
    visitor.check_csrf(&post.csrf_token).await?;
    let lang = visitor.lang;
    let item = state
        .store
        .indicator_for_edit(&code, number)
        .await?
        .ok_or_else(|| no_such_indicator(&code, number))?;
    let mut errors = FieldErrors::default();
    let baseline = number_field(lang, "baseline", &mut post.baseline, true, &mut errors);
    let goal = number_field(lang, "goal", &mut post.goal, true, &mut errors);
    let unit = if post.unit.trim().is_empty() {
        Some(item.progress.unit)
    } else {
        match post.unit.parse::<IndicatorUnit>() {
            Ok(unit) => Some(unit),
            Err(e) => {
                errors.add(lang, "unit", e.message().clone());
                None
            }
        }
    };
    let status = match post.status.parse::<ExecutionStatus>() {
        Ok(status) => Some(status),
        Err(e) => {
            errors.add(lang, "status", e.message().clone());
            None
        }
    };
    if let (Some(baseline), Some(goal), Some(unit)) = (baseline, goal, unit)
        && let Err(problems) = vereda_domain::monitoring::validate_targets(unit, baseline, goal)
    {
        add_problems(lang, &problems, &mut errors);
    }
    let targets_change = match (baseline, goal, unit) {
        (Some(b), Some(g), Some(u)) => {
            b != item.progress.baseline || g != item.progress.goal || u != item.progress.unit
        }
        _ => false,
    };
    if targets_change && post.reason.trim().is_empty() {
        errors.add(
            lang,
            "reason",
            Message::new("monitoring-error-proposal_reason_required"),
        );
    }
    let form = TargetsForm {
        baseline: post.baseline.clone(),
        goal: post.goal.clone(),
        unit: post.unit.clone(),
        status: post.status.clone(),
        reason: post.reason.clone(),
        lock_version: post.lock_version,
    };
    let refuse = async |errors: FieldErrors,
                        failure: Option<String>,
                        status: StatusCode|
           -> Result<Response, AppError> {
        let view = IndicatorView {
            targets: Some(form.clone()),
            target_errors: errors,
            failure,
            ..IndicatorView::fresh(None)
        };
        let page = indicator_page(&state, &visitor, &code, number, view).await?;
        Ok((status, super::render(&page)?).into_response())
    };
    let (Some(baseline), Some(goal), Some(unit), Some(status), true) =
        (baseline, goal, unit, status, errors.is_empty())
    else {
        tracing::info!(project = %code, indicator = number, problems = ?errors.all(), "indicator edit refused");
        return refuse(errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mut lock_version = post.lock_version;
    if status != item.progress.status {
        let edit = IndicatorEdit { status, lock_version };
        match state.store.update_indicator(&actor, &code, number, edit).await {
            Ok(saved) => lock_version = saved.lock_version,
            Err(StoreError::Conflict(_)) => {
                tracing::info!(project = %code, indicator = number, "indicator edit refused: changed meanwhile");
                return refuse(
                    FieldErrors::default(),
                    Some(lang.t("monitoring-error-changed_meanwhile").to_owned()),
                    StatusCode::CONFLICT,
                )
                .await;
            }
            Err(other) => return Err(other.into()),
        }
        state.public_pages.forget_project(&code);
    }
    let mut done = "metas";
    if targets_change {
        let draft = IndicatorProposalDraft {
            baseline,
            goal,
            unit,
            reason: post.reason.clone(),
            lock_version,
        };
        match state
            .store
            .propose_indicator_change(&actor, &code, number, draft)
            .await
        {
            Ok(_) => done = "propuesta",
            Err(StoreError::Conflict(message)) => {
                tracing::info!(project = %code, indicator = number, "indicator proposal refused: changed meanwhile");
                return refuse(
                    FieldErrors::default(),
                    Some(lang.say(&message)),
                    StatusCode::CONFLICT,
                )
                .await;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(Redirect::to(&format!(
        "/personal/proyectos/{}/indicadores/{number}?hecho={done}",
        urlencode(&code)
    ))
    .into_response())
}

async fn add_document(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ManageProjects)?.actor();
    let lang = visitor.lang;
    let (fields, file, file_problem) = read_form(&mut multipart, "document", DOCUMENT_LIMIT_BYTES).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let card = card_or_404(&state, &code).await?;
    let problem = match (&file, file_problem) {
        (_, Some(problem)) => Some(lang.say(&problem)),
        (None, None) => Some(lang.t("monitoring-error-no_file").to_owned()),
        _ => None,
    };
    if let (Some(file), None) = (file, &problem) {
        let document = kept_document(keep_file(&state, file)?, field(&fields, "title").to_owned(), true);
        state.store.add_project_document(&actor, &code, document).await?;
        state.public_pages.forget_project(&code);
        return Ok(
            Redirect::to(&format!("/personal/proyectos/{}?guardado=1", urlencode(&code))).into_response(),
        );
    }
    tracing::info!(project = %code, ?problem, "document refused");
    let page = FrameworkPage {
        code_path: urlencode(&card.code),
        can_manage: true,
        failure: problem,
        saved: false,
        beneficiaries: beneficiaries_for(&state, &visitor, &card.code).await?,
        chrome: Chrome::new(&visitor).await?,
        card,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, super::render(&page)?).into_response())
}

#[derive(Template)]
#[template(path = "measurements.html")]
struct QueuePage {
    chrome: Chrome,
    pending: Vec<MeasurementRow>,
    list: ListView,
    /// Changes of published figures awaiting another account (invariant 8).
    proposals: Vec<IndicatorProposal>,
    me: Option<i32>,
    failure: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct QueueFlash {
    #[serde(default)]
    hecho: Option<String>,
}

/// The sorts of the review queue and their catalogue keys.
const MEASUREMENT_SORTS: [(&str, &str); 2] = [
    ("fecha", "list-measurements-sort-fecha"),
    ("envio", "list-measurements-sort-envio"),
];

/// The measurements awaiting review the parameters ask for, within the reader's reach.
async fn measurement_list(
    state: &AppState,
    visitor: &Visitor,
    params: &ListParams,
) -> Result<MeasurementList, AppError> {
    let codes: Vec<&str> = MEASUREMENT_SORTS.iter().map(|(code, _)| *code).collect();
    Ok(MeasurementList {
        reach: visitor.reach(&state.store).await?,
        status: Some(MeasurementStatus::Submitted.as_str().to_owned()),
        project_code: ListParams::given(&params.proyecto),
        unit: ListParams::given(&params.unidad),
        paging: params.paging(&codes),
    })
}

async fn queue_page(
    state: &AppState,
    visitor: &Visitor,
    params: &ListParams,
    failure: Option<String>,
    notice: Option<&'static str>,
) -> Result<QueuePage, AppError> {
    let lang = visitor.lang;
    let reach = visitor.reach(&state.store).await?;
    let found = state
        .store
        .measurement_list(&measurement_list(state, visitor, params).await?)
        .await?;
    let projects = state
        .store
        .measured_projects(&reach)
        .await?
        .into_iter()
        .map(|code| (code.clone(), code))
        .collect();
    let units = IndicatorUnit::ALL
        .iter()
        .map(|u| (u.as_str().to_owned(), lang.t(&u.message_id()).to_owned()))
        .collect();
    let filters = vec![
        FilterView::new(
            "proyecto",
            lang.t("list-measurements-filter-proyecto"),
            &params.proyecto,
            projects,
        ),
        FilterView::new(
            "unidad",
            lang.t("list-measurements-filter-unidad"),
            &params.unidad,
            units,
        ),
    ];
    let path = "/personal/mediciones";
    Ok(QueuePage {
        list: ListView::new(lang, path, path, params, &MEASUREMENT_SORTS, filters, found.total)
            .searching(lang.t("list-measurements-search")),
        pending: found.rows,
        proposals: state
            .store
            .indicator_proposals(&ProposalQuery {
                status: Some(MeasurementStatus::Submitted),
                reach,
                ..ProposalQuery::default()
            })
            .await?,
        me: visitor.account.as_ref().map(|a| a.id),
        failure,
        notice,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn review_queue(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(flash): Query<QueueFlash>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ReviewMeasurements)?;
    let notice = match flash.hecho.as_deref() {
        Some("aprobada") => Some("monitoring-approved"),
        Some("devuelta") => Some("monitoring-returned"),
        Some("propuesta_aprobada") => Some("monitoring-proposal_approved"),
        Some("propuesta_devuelta") => Some("monitoring-proposal_returned"),
        _ => None,
    };
    super::render(&queue_page(&state, &visitor, &params, None, notice).await?)
}

/// The review queue for a download: the page's filter, search and sort, a chunk at a time by
/// keyset.
struct MeasurementExport {
    state: AppState,
    list: MeasurementList,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for MeasurementExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self.state.store.measurement_rows(&self.list).await?;
        if let Some(last) = rows.last() {
            self.list.paging.after = Some(last.id);
        }
        let lang = self.lang;
        let amount = |d: Option<Decimal>| d.map(|d| lang.amount(&d)).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|m| {
                vec![
                    m.id.to_string(),
                    m.project_code,
                    m.indicator_number.to_string(),
                    m.indicator_name,
                    m.unit.as_str().to_owned(),
                    m.measured_on.to_string(),
                    lang.amount(&m.value),
                    amount(m.value_women),
                    amount(m.value_men),
                    m.source.unwrap_or_default(),
                    m.submitted_by.unwrap_or_default(),
                    m.submitted_at.to_string(),
                ]
            })
            .collect())
    }
}

/// The columns of the review queue's download, in the reader's language.
fn measurement_headers(lang: Lang) -> Vec<String> {
    [
        "list-measurements-column-id",
        "list-measurements-filter-proyecto",
        "list-measurements-column-number",
        "list-measurements-column-indicator",
        "list-measurements-filter-unidad",
        "list-measurements-sort-fecha",
        "list-measurements-column-value",
        "project-women",
        "project-men",
        "project-source",
        "monitoring-submitted_by",
        "list-measurements-sort-envio",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

/// The measurements awaiting review as a file in `format`, with the page's filter, search and
/// sort.
async fn measurements_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    visitor.require(Permission::ReviewMeasurements)?;
    let mut list = measurement_list(&state, &visitor, &params).await?;
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    list.paging.after = None;
    let source = MeasurementExport {
        state,
        list,
        lang: visitor.lang,
    };
    crate::lists::download(format, measurement_headers(visitor.lang), source, "measurements").await
}

#[derive(Deserialize)]
struct ReviewPost {
    decision: String,
    #[serde(default)]
    comment: String,
    csrf_token: String,
}

async fn review(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<ReviewPost>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ReviewMeasurements)?.actor();
    visitor.check_csrf(&post.csrf_token).await?;
    let lang = visitor.lang;
    let (decision, done) = match post.decision.as_str() {
        "approve" => (Review::Approve, "aprobada"),
        "return" => (
            Review::Return {
                comment: post.comment.clone(),
            },
            "devuelta",
        ),
        other => {
            return Err(AppError::said(
                ErrorCode::InvalidInput,
                Message::new("api-error-decision").with("value", other),
            ));
        }
    };
    let refusal = match state.store.review_measurement(&actor, id, decision).await {
        Ok(code) => {
            state.public_pages.forget_project(&code);
            return Ok(Redirect::to(&format!("/personal/mediciones?hecho={done}")).into_response());
        }
        Err(StoreError::Forbidden(m)) if m.code() == "monitoring-error-account_required" => {
            (StatusCode::FORBIDDEN, lang.t("monitoring-error-account_required"))
        }
        Err(StoreError::Forbidden(_)) => (StatusCode::FORBIDDEN, lang.t("monitoring-error-own_measurement")),
        Err(StoreError::Conflict(_)) => (StatusCode::CONFLICT, lang.t("monitoring-error-already_reviewed")),
        Err(StoreError::Invalid(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("monitoring-error-comment_required"),
        ),
        Err(other) => return Err(other.into()),
    };
    tracing::info!(measurement = id, reason = refusal.1, "review refused");
    let page = queue_page(
        &state,
        &visitor,
        &ListParams::default(),
        Some(refusal.1.to_owned()),
        None,
    )
    .await?;
    Ok((refusal.0, super::render(&page)?).into_response())
}

/// Approves or returns a proposed change of an indicator's figures; never its submitter's.
async fn review_proposal(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<ReviewPost>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ReviewMeasurements)?.actor();
    visitor.check_csrf(&post.csrf_token).await?;
    let (decision, done) = match post.decision.as_str() {
        "approve" => (Review::Approve, "propuesta_aprobada"),
        "return" => (
            Review::Return {
                comment: post.comment.clone(),
            },
            "propuesta_devuelta",
        ),
        other => {
            return Err(AppError::said(
                ErrorCode::InvalidInput,
                Message::new("api-error-decision").with("value", other),
            ));
        }
    };
    let (status, message) = match state.store.review_indicator_proposal(&actor, id, decision).await {
        Ok(code) => {
            state.public_pages.forget_project(&code);
            return Ok(Redirect::to(&format!("/personal/mediciones?hecho={done}")).into_response());
        }
        Err(StoreError::Forbidden(m)) => (StatusCode::FORBIDDEN, m),
        Err(StoreError::Conflict(m)) => (StatusCode::CONFLICT, m),
        Err(StoreError::Invalid(m)) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        Err(other) => return Err(other.into()),
    };
    tracing::info!(proposal = id, code = message.code(), "proposal review refused");
    let page = queue_page(
        &state,
        &visitor,
        &ListParams::default(),
        Some(visitor.lang.say(&message)),
        None,
    )
    .await?;
    Ok((status, super::render(&page)?).into_response())
}
