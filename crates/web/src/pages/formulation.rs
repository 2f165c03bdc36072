//! Formulating a project in the browser, step by step (Art. 18-22): the list of formulations,
//! a new one from a worked example, an uploaded project file or an empty skeleton, and one
//! formulation's seven steps, each a form that saves the draft through the store. The review
//! step evaluates the draft; a draft without problems can be submitted to the committee, after
//! which the page is read-only until the committee returns it.
//!
//! The forms are generic: each field is named by its path in the formulation's JSON
//! (`budget[3].unit_price`, the same paths [`Formulation::validate`] reports), and a save sets
//! those paths in the JSON of the current draft and reads it back as a [`Formulation`].

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value as Json;
use std::str::FromStr;
use vereda_domain::accounts::Permission;

use rust_decimal::prelude::ToPrimitive;
use vereda_domain::finance::fields::{
    self, ColumnKind, FieldKind, FieldSpec, FieldValue, Section, TABLES, TableSpec,
};
use vereda_domain::finance::formulation::{ExpenseCategory, Frame};
use vereda_domain::finance::{DecidingRate, Formulation, Irr, Problem};
use vereda_domain::number::{NumberProblem, format_number, read_number};
use vereda_store::accounts::Account;
use vereda_store::formulations::{FormulationRecord, FormulationStatus, NewFormulationDraft, SaveOutcome};
use vereda_store::screening::ScreeningCap;
use vereda_store::{StoreError, StoreResult};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, StepRefusal};
use crate::evaluation::{EVALUATION_UPLOAD_LIMIT_BYTES, EXAMPLES, Format, Outcome, Refusal, example, run};
use crate::i18n::{Lang, Message};
use crate::lists::{DownloadFormat, ExportSource, FilterView, ListParams, ListView};
use vereda_store::formulations::FormulationLine;
use vereda_store::lists::FormulationList;

/// The permission that edits formulations.
pub const EDIT: Permission = Permission::Formulate;

/// The number of steps; the last is the review.
const STEPS: u8 = 7;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/formulaciones",
            get(list)
                .post(create)
                .layer(DefaultBodyLimit::max(EVALUATION_UPLOAD_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/personal/formulaciones.csv",
            get(
                |state: State<AppState>, visitor: Visitor, params: Query<ListParams>| {
                    list_download(state, visitor, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/formulaciones.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, params: Query<ListParams>| {
                    list_download(state, visitor, params, DownloadFormat::Xlsx)
                },
            ),
        )
        .route("/personal/formulaciones/{id}", get(show))
        .route("/personal/formulaciones/{id}/pasos/{step}", post(save_step))
        .route("/personal/formulaciones/{id}/radicar", post(submit))
        .route("/personal/formulaciones/{id}/evaluacion", get(full_evaluation))
        .route(
            "/personal/formulaciones/{id}/plantilla.xlsx",
            get(filled_template),
        )
}

fn status_key(status: FormulationStatus) -> &'static str {
    match status {
        FormulationStatus::Draft => "formulation-status_draft",
        FormulationStatus::Submitted => "formulation-status_submitted",
        FormulationStatus::Returned => "formulation-status_returned",
        FormulationStatus::Approved => "formulation-status_approved",
    }
}

fn viable_key(viable: Option<bool>) -> &'static str {
    match viable {
        Some(true) => "formulation-viable",
        Some(false) => "formulation-not_viable",
        None => "formulation-not_evaluated",
    }
}

// ---- The list and the new-formulation form ----------------------------------------------

struct ListLine {
    id: i32,
    code: String,
    title: String,
    municipality: String,
    status_label: String,
    /// The procedure state's code, for the row's `data-state`.
    state: &'static str,
    version: i32,
    viable_label: String,
}

struct ExampleOption {
    id: &'static str,
    file_name: &'static str,
}

#[derive(Template)]
#[template(path = "formulations.html")]
struct ListPage {
    chrome: Chrome,
    can_edit: bool,
    lines: Vec<ListLine>,
    list: ListView,
    examples: Vec<ExampleOption>,
    errors: Vec<String>,
}

/// The sorts of the formulations and their catalogue keys.
const FORMULATION_SORTS: [(&str, &str); 4] = [
    ("codigo", "list-sort-codigo"),
    ("titulo", "list-sort-titulo"),
    ("municipio", "list-sort-municipio"),
    ("actualizacion", "list-sort-actualizacion"),
];

/// The stored statuses the list filters by.
const STATUSES: [FormulationStatus; 4] = [
    FormulationStatus::Draft,
    FormulationStatus::Submitted,
    FormulationStatus::Returned,
    FormulationStatus::Approved,
];

/// The formulations the parameters ask for, within the reader's reach.
async fn formulation_list(
    state: &AppState,
    visitor: &Visitor,
    params: &ListParams,
) -> Result<FormulationList, AppError> {
    let codes: Vec<&str> = FORMULATION_SORTS.iter().map(|(code, _)| *code).collect();
    Ok(FormulationList {
        reach: visitor.reach(&state.store).await?,
        status: ListParams::given(&params.estado),
        municipality: ListParams::given(&params.municipio),
        paging: params.paging(&codes),
    })
}

fn list_line(lang: Lang, line: FormulationLine) -> ListLine {
    let summary = line.formulation;
    ListLine {
        id: summary.id,
        municipality: format!(
            "{} {}",
            summary.municipality_code,
            crate::evaluation::municipality_name(&summary.municipality_code)
        ),
        code: summary.code,
        title: summary.title,
        status_label: lang.t(crate::procedure_actions::state_key(line.state)).to_owned(),
        state: line.state.as_str(),
        version: line.version,
        viable_label: lang.t(viable_key(line.viable)).to_owned(),
    }
}

async fn list_page(
    state: &AppState,
    visitor: &Visitor,
    params: &ListParams,
    errors: Vec<String>,
) -> Result<ListPage, AppError> {
    let lang = visitor.lang;
    // One page, read in a fixed number of statements with each line's latest version.
    let list = formulation_list(state, visitor, params).await?;
    let found = state.store.formulation_list(&list).await?;
    let municipalities = state.store.formulation_municipalities(&list.reach).await?;
    let filters = vec![
        FilterView::new(
            "estado",
            lang.t("list-filter-estado"),
            &params.estado,
            STATUSES
                .iter()
                .map(|s| {
                    (
                        s.as_str().to_owned(),
                        lang.t(&format!("formulation-status_{}", s.as_str())).to_owned(),
                    )
                })
                .collect(),
        ),
        FilterView::new(
            "municipio",
            lang.t("list-filter-municipio"),
            &params.municipio,
            municipalities
                .into_iter()
                .map(|code| {
                    let label = format!("{code} {}", crate::evaluation::municipality_name(&code));
                    (code, label.trim().to_owned())
                })
                .collect(),
        ),
    ];
    let path = "/personal/formulaciones";
    Ok(ListPage {
        can_edit: visitor.can(EDIT),
        lines: found.rows.into_iter().map(|l| list_line(lang, l)).collect(),
        list: ListView::new(lang, path, path, params, &FORMULATION_SORTS, filters, found.total)
            .searching(lang.t("list-search-formulations")),
        examples: EXAMPLES
            .iter()
            .map(|e| ExampleOption {
                id: e.id,
                file_name: e.file_name,
            })
            .collect(),
        errors,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    render(&list_page(&state, &visitor, &params, Vec::new()).await?)
}

/// The formulations for a download: the page's filter, search and sort, a chunk at a time.
struct FormulationExport {
    state: AppState,
    list: FormulationList,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for FormulationExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self.state.store.formulation_rows(&self.list).await?;
        if let Some(last) = rows.last() {
            self.list.paging.after = Some(last.formulation.id);
        }
        let lang = self.lang;
        Ok(rows
            .into_iter()
            .map(|line| {
                let status = lang
                    .t(&format!(
                        "formulation-status_{}",
                        line.formulation.status.as_str()
                    ))
                    .to_owned();
                let line = list_line(lang, line);
                vec![
                    line.code,
                    line.title,
                    line.municipality,
                    status,
                    line.status_label,
                    line.version.to_string(),
                    line.viable_label,
                ]
            })
            .collect())
    }
}

/// The formulations as a file in `format`, with the page's filter, search and sort.
async fn list_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let mut list = formulation_list(&state, &visitor, &params).await?;
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    list.paging.after = None;
    let lang = visitor.lang;
    let headers = [
        "formulation-code",
        "formulation-project",
        "formulation-municipality",
        "formulation-status",
        "procedure-state",
        "formulation-version",
        "formulation-verdict",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect();
    let source = FormulationExport { state, list, lang };
    crate::lists::download(format, headers, source, "formulations").await
}

/// What the new-formulation form sent.
#[derive(Default)]
struct NewForm {
    csrf: String,
    example: String,
    code: String,
    title: String,
    municipality: String,
    budget_year: String,
    typology: String,
    file: Option<(String, Vec<u8>)>,
    too_large: bool,
}

async fn read_new_form(mut multipart: Multipart) -> Result<NewForm, AppError> {
    let mut form = NewForm::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let text = field.text().await.map_err(crate::error::upload_refused)?;
            let text = text.trim().to_owned();
            match name.as_str() {
                "csrf_token" => form.csrf = text,
                "example" => form.example = text,
                "code" => form.code = text,
                "title" => form.title = text,
                "municipality" => form.municipality = text,
                "budget_year" => form.budget_year = text,
                "typology" => form.typology = text,
                _ => {}
            }
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let (bytes, over_limit) = super::evaluation::read_upload(&mut field).await?;
        form.too_large |= over_limit;
        if !file_name.is_empty() || !bytes.is_empty() {
            form.file = Some((file_name, bytes));
        }
    }
    Ok(form)
}

/// The formulation the form asks for: an uploaded file wins over an example, which wins over
/// the skeleton. A code typed in the form replaces the file's or example's.
fn new_formulation(lang: Lang, form: &NewForm) -> Result<Formulation, String> {
    let parsed =
        |name: &str, format: Format, text: &str| format.parse(text).map_err(|e| lang.say(&e.message(name)));
    let mut formulation = if form.too_large {
        return Err(format!(
            "{} ({} KiB)",
            lang.t("evaluation-error_too_large"),
            EVALUATION_UPLOAD_LIMIT_BYTES / 1024
        ));
    } else if let Some((name, bytes)) = &form.file {
        let file_name = name.rsplit(['/', '\\']).next().unwrap_or_default();
        let format = Format::of(file_name)
            .ok_or_else(|| lang.say(&Message::new("evaluation-error-file_type").with("file", file_name)))?;
        let (text, _) = vereda_domain::text::decode_text(bytes);
        parsed(file_name, format, &text)?
    } else if let Some(example) = example(&form.example) {
        parsed(example.file_name, Format::Toml, example.text)?
    } else {
        if form.code.is_empty() {
            return Err(lang.t("formulation-error_no_source").to_owned());
        }
        let number = |text: &str, what: &str| {
            text.parse::<i64>()
                .map_err(|_| format!("{what}: {}", lang.t("formulation-error_whole_number")))
        };
        let budget_year = number(&form.budget_year, "budget_year")?;
        let typology = number(&form.typology, "typology")?;
        Formulation {
            frame: Frame {
                code: String::new(),
                title: form.title.clone(),
                municipality: form.municipality.clone(),
                typology: u8::try_from(typology).map_err(|_| format!("typology: {typology}"))?,
                budget_year: i16::try_from(budget_year).map_err(|_| format!("budget_year: {budget_year}"))?,
                horizon_years: 10,
                components: Default::default(),
                accompaniment: Default::default(),
                employment: Default::default(),
                households: Vec::new(),
            },
            budget: Vec::new(),
            production: Vec::new(),
            technical_assistance: Vec::new(),
        }
    };
    if !form.code.is_empty() {
        formulation.frame.code = form.code.clone();
    }
    if formulation.frame.code.trim().is_empty() {
        return Err(lang.t("formulation-error_no_code").to_owned());
    }
    Ok(formulation)
}

async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let account = visitor.require(EDIT)?.clone();
    let form = read_new_form(multipart).await?;
    visitor.check_csrf(&form.csrf).await?;
    let lang = visitor.lang;
    let refuse = |error: String| async {
        let page = list_page(&state, &visitor, &ListParams::default(), vec![error]).await?;
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
    };
    let formulation = match new_formulation(lang, &form) {
        Ok(formulation) => formulation,
        Err(error) => return refuse(error).await,
    };
    match create_draft(&state, &account, lang, &formulation, None).await? {
        Ok(id) => Ok(Redirect::to(&format!("/personal/formulaciones/{id}")).into_response()),
        Err(refusal) => {
            let code = formulation.frame.code.trim();
            refuse(format!("{code}: {}", lang.say(&refusal.message))).await
        }
    }
}

/// Saves a new formulation's first version, for the page (from a file, an example or the
/// skeleton) and the API (its JSON): a code that no formulation has yet. The caller checks the
/// role (`EDIT`) and the session's token.
pub(crate) async fn create_draft(
    state: &AppState,
    account: &Account,
    lang: Lang,
    formulation: &Formulation,
    call_id: Option<i32>,
) -> Result<Result<i32, StepRefusal>, AppError> {
    let code = formulation.frame.code.trim();
    if code.is_empty() {
        return Ok(Err(StepRefusal::invalid("formulation-error_no_code")));
    }
    // Saving a code that exists would save a version of that formulation: refuse it here.
    if state.store.formulation_by_code(code).await?.is_some() {
        return Ok(Err(StepRefusal::new(
            ErrorCode::Conflict,
            crate::i18n::Message::new("formulation-error_code_taken").with("code", code),
        )));
    }
    match save(
        state,
        account,
        formulation,
        Some(lang.t("formulation-note_created").to_owned()),
        call_id,
    )
    .await
    {
        Ok((id, _, _)) => Ok(Ok(id)),
        Err(StoreError::Invalid(message)) => Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, message))),
        Err(error) => Err(error.into()),
    }
}

/// A formulation takes a new version while a draft or returned, never once submitted or
/// approved (the page's steps and the API's saves alike).
pub(crate) fn editable(record: &FormulationRecord) -> Result<(), AppError> {
    if matches!(
        record.formulation.status,
        FormulationStatus::Draft | FormulationStatus::Returned
    ) {
        Ok(())
    } else {
        Err(StepRefusal::conflict("formulation-error_frozen").into())
    }
}

// ---- Saving ---------------------------------------------------------------------------------

/// The verdict stored with a version: viable, IRR, rule set (nothing when it cannot be
/// evaluated yet).
fn verdict(formulation: &Formulation) -> (Option<bool>, Option<String>, String, Option<String>) {
    // Only the verdict, the IRR and the rule set's id are kept: no words.
    match run(formulation.clone(), None, Lang::Es) {
        Ok(Outcome::Evaluated(evaluated)) => {
            let irr = match evaluated.evaluation.irr {
                Irr::Unique(rate) => Some(format!("{rate:.6}")),
                _ => None,
            };
            (
                Some(evaluated.evaluation.verdict.viable),
                irr,
                evaluated.rule_set.id.clone(),
                Some(evaluated.rule_set.content_hash.clone()),
            )
        }
        Ok(Outcome::Invalid { rule_set, .. }) => (None, None, rule_set.id, Some(rule_set.content_hash)),
        Err(_) => (None, None, String::new(), None),
    }
}

pub(crate) async fn save(
    state: &AppState,
    account: &Account,
    formulation: &Formulation,
    note: Option<String>,
    call_id: Option<i32>,
) -> StoreResult<(i32, i32, SaveOutcome)> {
    let (viable, irr, rule_set_id, rule_set_hash) = verdict(formulation);
    let saved = state
        .store
        .save_formulation_draft(
            &account.actor(),
            NewFormulationDraft {
                formulation,
                call_id,
                note,
                viable,
                irr,
                rule_set_id,
                rule_set_hash,
            },
        )
        .await?;
    Ok((saved.id, saved.version, saved.outcome))
}

// ---- The fields of each step ----------------------------------------------------------------

/// How a field is typed and read back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Area,
    /// A list of texts, one per line.
    Lines,
    Int,
    /// An optional whole number: empty is none.
    OptInt,
    Dec,
    Bool,
    Category,
    Funder,
}

impl Kind {
    /// How the registry's scalar field is typed in a form.
    fn of_field(kind: FieldKind) -> Kind {
        match kind {
            FieldKind::Line => Kind::Text,
            FieldKind::Text => Kind::Area,
            FieldKind::Lines => Kind::Lines,
            FieldKind::Whole => Kind::Int,
            FieldKind::Flag => Kind::Bool,
        }
    }

    /// How the registry's table column is typed in a form.
    fn of_column(kind: ColumnKind) -> Kind {
        match kind {
            ColumnKind::Line => Kind::Text,
            ColumnKind::Whole => Kind::Int,
            ColumnKind::OptionalWhole => Kind::OptInt,
            ColumnKind::Decimal => Kind::Dec,
            ColumnKind::Category => Kind::Category,
            ColumnKind::Funder => Kind::Funder,
        }
    }
}

pub struct FieldView {
    path: String,
    label: String,
    kind: &'static str,
    value: String,
    checked: bool,
    locked: bool,
    kind_enum: Kind,
    /// Why the text typed in the field could not be read, shown beside it; with the code of
    /// a number's problem.
    problem: String,
    problem_code: &'static str,
}

/// The label of the field at `path` in `lang`, from the field registry; empty when it has
/// none (a list's own path, say).
fn field_label(lang: Lang, path: &str) -> String {
    fields::label_key(path).map_or_else(String::new, |key| lang.t(key).to_owned())
}

impl FieldView {
    fn new(path: String, kind: Kind, value: String) -> FieldView {
        FieldView {
            label: String::new(),
            kind: match kind {
                Kind::Text | Kind::Int | Kind::OptInt | Kind::Dec => "text",
                Kind::Funder => "funder",
                Kind::Area | Kind::Lines => "area",
                Kind::Bool => "bool",
                Kind::Category => "category",
            },
            checked: kind == Kind::Bool && value == "true",
            value,
            locked: false,
            kind_enum: kind,
            path,
            problem: String::new(),
            problem_code: "",
        }
    }

    /// The form field of a scalar field of the registry.
    fn scalar(f: &Formulation, spec: &FieldSpec) -> FieldView {
        let value = match f.field(spec.path) {
            Some(FieldValue::Text(text)) => text,
            Some(FieldValue::Lines(lines)) => lines.join("\n"),
            Some(FieldValue::Whole(number)) => number.to_string(),
            Some(FieldValue::Flag(flag)) => flag.to_string(),
            None => String::new(),
        };
        let mut view = FieldView::new(spec.path.to_owned(), Kind::of_field(spec.kind), value);
        // The code names the formulation: it is chosen when the draft is created.
        view.locked = spec.path == "frame.code";
        view
    }
}

pub struct Fieldset {
    /// The catalogue key of the legend, then its text.
    legend: String,
    fields: Vec<FieldView>,
}

pub struct RowView {
    path: String,
    cells: Vec<FieldView>,
}

pub struct TableView {
    path: String,
    /// The catalogue key of the caption, then its text.
    caption: String,
    /// What the caption is about: the production activity of a table of years.
    detail: String,
    /// The columns' label keys, then their labels.
    columns: Vec<String>,
    rows: Vec<RowView>,
}

/// A validation problem with the label of its field.
pub struct ProblemLine {
    label: String,
    path: String,
    message: String,
    article: String,
}

impl ProblemLine {
    fn new(lang: Lang, problem: &Problem) -> ProblemLine {
        ProblemLine {
            label: field_label(lang, &problem.path),
            path: problem.path.clone(),
            message: lang.say(&problem.message),
            article: problem.article.clone(),
        }
    }
}

/// An expense category of Art. 20 and 21 for the budget's drop-down list.
pub struct CategoryOption {
    value: String,
    label: String,
}

/// The article that lists an expense category.
fn category_article(category: &str) -> &'static str {
    category
        .parse::<vereda_domain::finance::ExpenseCategory>()
        .map_or("", |c| c.article())
}

pub struct StepView {
    number: u8,
    title_key: &'static str,
    fieldsets: Vec<Fieldset>,
    tables: Vec<TableView>,
    problems: Vec<ProblemLine>,
}

/// The text a cell of a table shows for its JSON value.
fn cell_text(kind: ColumnKind, value: &Json) -> String {
    match (kind, value) {
        (_, Json::Null) => String::new(),
        (ColumnKind::Decimal, Json::String(text)) => {
            Decimal::from_str(text).map_or_else(|_| text.clone(), format_number)
        }
        // Another funder is `{"other": name}`: the form shows the name.
        (ColumnKind::Funder, Json::Object(other)) => other
            .get("other")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
        (_, Json::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

/// The lists a table of the registry stands for: the table itself, or one per row of the table
/// it is nested in (the years of each production activity), each with what it is about.
fn instances(json: &Json, table: &TableSpec) -> Vec<(String, String)> {
    let parent = TABLES
        .iter()
        .find(|t| table.path.starts_with(&format!("{}.", t.path)));
    let Some(parent) = parent else {
        return vec![(table.path.to_owned(), String::new())];
    };
    let rest = &table.path[parent.path.len() + 1..];
    let rows = json_at(json, parent.path).and_then(Json::as_array);
    rows.map(|rows| {
        rows.iter()
            .enumerate()
            .map(|(i, row)| {
                let name = row.get("name").and_then(Json::as_str).unwrap_or_default().trim();
                let detail = if name.is_empty() {
                    format!("#{i}")
                } else {
                    name.to_owned()
                };
                (format!("{}[{i}].{rest}", parent.path), detail)
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The JSON node at `path`, read only.
fn json_at<'a>(root: &'a Json, path: &str) -> Option<&'a Json> {
    let mut node = root;
    for segment in segments(path)? {
        node = match segment {
            Segment::Key(key) => node.get(key)?,
            Segment::Index(i) => node.get(i)?,
        };
    }
    Some(node)
}

/// The form of step `number` (1-6) for `f`: the registry's fields and tables of that step.
fn step(f: &Formulation, number: u8) -> StepView {
    let fieldsets = Section::ALL
        .iter()
        .filter(|section| section.step() == number)
        .map(|section| Fieldset {
            legend: section.legend_key().to_owned(),
            fields: FieldSpec::in_section(*section)
                .map(|spec| FieldView::scalar(f, spec))
                .collect(),
        })
        .collect();
    let json = serde_json::to_value(f).unwrap_or(Json::Null);
    let mut tables = Vec::new();
    for table in TABLES.iter().filter(|t| t.step == number) {
        for (path, detail) in instances(&json, table) {
            let rows = json_at(&json, &path).and_then(Json::as_array);
            let rows = rows.map(Vec::as_slice).unwrap_or_default();
            tables.push(TableView {
                caption: table.caption_key.to_owned(),
                detail,
                columns: table.columns.iter().map(|c| c.label_key.to_owned()).collect(),
                rows: rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let row_path = format!("{path}[{i}]");
                        RowView {
                            cells: table
                                .columns
                                .iter()
                                .map(|c| {
                                    FieldView::new(
                                        format!("{row_path}.{}", c.name),
                                        Kind::of_column(c.kind),
                                        cell_text(c.kind, &row[c.name]),
                                    )
                                })
                                .collect(),
                            path: row_path,
                        }
                    })
                    .collect(),
                path,
            });
        }
    }
    StepView {
        number,
        title_key: match number {
            1 => "formulation-step1",
            2 => "formulation-step2",
            3 => "formulation-step3",
            4 => "formulation-step4",
            5 => "formulation-step5",
            _ => "formulation-step6",
        },
        fieldsets,
        tables,
        problems: Vec::new(),
    }
}

/// The step's legends, captions, column headers and field labels in `lang`.
fn localize(lang: Lang, view: &mut StepView) {
    for set in &mut view.fieldsets {
        set.legend = lang.t(&set.legend).to_owned();
        for field in &mut set.fields {
            field.label = field_label(lang, &field.path);
        }
    }
    for table in &mut view.tables {
        table.caption = lang.t(&table.caption).to_owned();
        for column in &mut table.columns {
            *column = lang.t(column).to_owned();
        }
        for field in table.rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
            field.label = field_label(lang, &field.path);
        }
    }
}

/// An empty row for the list at `path` (indices stripped), if the list takes rows.
fn empty_row(path: &str) -> Option<Json> {
    vereda_domain::finance::fields::TableSpec::of(path)
        .and_then(|table| serde_json::from_str(table.empty_row).ok())
}

// ---- Paths in the JSON of a formulation -----------------------------------------------------

enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut pieces = part.split('[');
        let key = pieces.next()?;
        if key.is_empty() {
            return None;
        }
        out.push(Segment::Key(key.to_owned()));
        for piece in pieces {
            out.push(Segment::Index(piece.strip_suffix(']')?.parse().ok()?));
        }
    }
    Some(out)
}

fn at<'a>(root: &'a mut Json, path: &[Segment]) -> Option<&'a mut Json> {
    let mut node = root;
    for segment in path {
        node = match segment {
            Segment::Key(key) => {
                let object = node.as_object_mut()?;
                object
                    .entry(key.clone())
                    .or_insert_with(|| Json::Object(Default::default()))
            }
            Segment::Index(i) => node.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(node)
}

fn set(root: &mut Json, path: &str, value: Json) -> bool {
    match segments(path).as_deref().and_then(|s| at(root, s)) {
        Some(node) => {
            *node = value;
            true
        }
        None => false,
    }
}

/// Why the text of a form field could not be read: the message, without the field's label,
/// and the code of a number's problem (empty for other fields).
struct Unreadable {
    message: String,
    code: &'static str,
}

/// Why a step's form was not applied: the lines for the top of the page, and the fields whose
/// text could not be read, by path, to show beside them.
#[derive(Default)]
struct NotApplied {
    errors: Vec<String>,
    fields: HashMap<String, Unreadable>,
}

impl NotApplied {
    fn with(error: String) -> NotApplied {
        NotApplied {
            errors: vec![error],
            fields: HashMap::new(),
        }
    }
}

/// A whole number typed in a form, read by the one number reader.
fn whole(lang: Lang, text: &str) -> Result<i64, Unreadable> {
    let not_whole = || Unreadable {
        message: lang.t("formulation-error_whole_number").to_owned(),
        code: "",
    };
    match read_number(text) {
        Ok(number) if number.fract().is_zero() => number.to_i64().ok_or_else(not_whole),
        Ok(_) | Err(NumberProblem::Empty) => Err(not_whole()),
        Err(problem) => Err(Unreadable {
            message: crate::i18n::number_problem(lang, &problem, ""),
            code: problem.code(),
        }),
    }
}

/// The value of a scalar field typed as `kind`, or why it is not one.
fn scalar_value(lang: Lang, kind: Kind, raw: &str) -> Result<FieldValue, Unreadable> {
    Ok(match convert(lang, kind, raw)? {
        Json::String(text) => FieldValue::Text(text),
        Json::Bool(flag) => FieldValue::Flag(flag),
        Json::Array(items) => FieldValue::Lines(
            items
                .into_iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
        ),
        Json::Number(number) => FieldValue::Whole(number.as_i64().unwrap_or_default()),
        _ => FieldValue::Text(String::new()),
    })
}

/// The JSON value of a form field of `kind`, or why it is not one.
fn convert(lang: Lang, kind: Kind, raw: &str) -> Result<Json, Unreadable> {
    let trimmed = raw.trim();
    Ok(match kind {
        Kind::Text | Kind::Category => Json::String(trimmed.to_owned()),
        Kind::Area => Json::String(raw.replace("\r\n", "\n").trim().to_owned()),
        Kind::Lines => Json::Array(
            raw.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Json::String(l.to_owned()))
                .collect(),
        ),
        Kind::Int => Json::from(whole(lang, trimmed)?),
        Kind::OptInt if trimmed.is_empty() => Json::Null,
        Kind::OptInt => Json::from(whole(lang, trimmed)?),
        Kind::Dec => match read_number(trimmed) {
            Ok(value) => Json::String(value.to_string()),
            // An amount left empty is zero.
            Err(NumberProblem::Empty) => Json::String("0".to_owned()),
            Err(problem) => {
                return Err(Unreadable {
                    message: crate::i18n::number_problem(lang, &problem, ""),
                    code: problem.code(),
                });
            }
        },
        Kind::Bool => Json::Bool(!trimmed.is_empty()),
        Kind::Funder => match trimmed {
            "institute" | "counterpart" => Json::String(trimmed.to_owned()),
            other => serde_json::json!({ "other": other }),
        },
    })
}

/// The draft with the step's form applied, a row added or removed; or the problems of the form.
fn apply(
    lang: Lang,
    current: &Formulation,
    number: u8,
    values: &HashMap<String, String>,
    add: Option<&str>,
    remove: Option<&str>,
) -> Result<Formulation, NotApplied> {
    let view = step(current, number);
    let mut refused = NotApplied::default();
    let mut refuse = |field: &FieldView, unreadable: Unreadable| {
        refused.errors.push(format!(
            "{} ({}): {}",
            field_label(lang, &field.path),
            field.path,
            unreadable.message
        ));
        refused.fields.insert(field.path.clone(), unreadable);
    };
    let typed = |field: &FieldView| -> Option<String> {
        if field.locked {
            return None;
        }
        match (field.kind_enum, values.get(&field.path)) {
            // A box left unticked is not sent.
            (Kind::Bool, raw) => Some(
                raw.map_or("", |r| if r.is_empty() { "on" } else { r.as_str() })
                    .to_owned(),
            ),
            (_, raw) => raw.cloned(),
        }
    };
    // The scalar fields are set on the formulation through the registry's paths.
    let mut updated = current.clone();
    for field in view.fieldsets.iter().flat_map(|s| s.fields.iter()) {
        let Some(raw) = typed(field) else { continue };
        let set = scalar_value(lang, field.kind_enum, &raw).and_then(|value| {
            updated.set_field(&field.path, value).map_err(|_| Unreadable {
                message: lang.t("formulation-error_whole_number").to_owned(),
                code: "",
            })
        });
        if let Err(unreadable) = set {
            refuse(field, unreadable);
        }
    }
    // The tables' cells are set in the JSON of the formulation, by their paths.
    let not_applied = |error: serde_json::Error| {
        NotApplied::with(
            lang.say(&vereda_documents::formulation_file::ParseProblem::of_json(&error).message()),
        )
    };
    let mut json = serde_json::to_value(&updated).map_err(not_applied)?;
    for field in view
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().flat_map(|r| r.cells.iter()))
    {
        let Some(raw) = typed(field) else { continue };
        match convert(lang, field.kind_enum, &raw) {
            Ok(value) => {
                set(&mut json, &field.path, value);
            }
            Err(unreadable) => refuse(field, unreadable),
        }
    }
    if !refused.errors.is_empty() {
        return Err(refused);
    }
    let lists: Vec<&str> = view.tables.iter().map(|t| t.path.as_str()).collect();
    if let Some(row) = remove {
        let (list, index) = row
            .rsplit_once('[')
            .and_then(|(list, rest)| Some((list, rest.strip_suffix(']')?.parse::<usize>().ok()?)))
            .ok_or_else(|| NotApplied::with(format!("{row}: ?")))?;
        if lists.contains(&list)
            && let Some(array) = segments(list)
                .as_deref()
                .and_then(|s| at(&mut json, s))
                .and_then(Json::as_array_mut)
            && index < array.len()
        {
            array.remove(index);
        }
    }
    if let Some(list) = add
        && lists.contains(&list)
        && let Some(row) = empty_row(list)
        && let Some(array) = segments(list)
            .as_deref()
            .and_then(|s| at(&mut json, s))
            .and_then(Json::as_array_mut)
    {
        array.push(row);
    }
    serde_json::from_value(json).map_err(not_applied)
}

// ---- One formulation ------------------------------------------------------------------------

pub struct VersionLine {
    number: i32,
    created_at: String,
    note: String,
    viable_label: String,
    current: bool,
}

pub struct ReasonLine {
    check: String,
    article: String,
    passed: bool,
}

/// The review step: the verdict of the draft, or why there is none.
pub struct Review {
    rule_set: String,
    evaluated: bool,
    viable: bool,
    irr: String,
    reasons: Vec<ReasonLine>,
    message: String,
}

#[derive(Template)]
#[template(path = "formulation.html")]
struct FormulationPage {
    chrome: Chrome,
    id: i32,
    code: String,
    title: String,
    status_label: String,
    return_reason: String,
    /// The version shown.
    version: i32,
    latest: i32,
    editable: bool,
    can_submit: bool,
    steps: Vec<StepView>,
    problems: Vec<ProblemLine>,
    review: Review,
    versions: Vec<VersionLine>,
    categories: Vec<CategoryOption>,
    errors: Vec<String>,
    saved: bool,
    /// The calls for step 3's drop-down list; the formulation's is selected.
    calls: Vec<CallOption>,
    /// The name of the formulation's call, or empty.
    call_label: String,
    /// The households step 3 could not take from the screening.
    screening_problems: Vec<ScreeningProblem>,
}

impl FormulationPage {
    /// Shows step `number` with the values of `typed` instead of the stored ones, and each
    /// field of `unreadable` with its problem beside it.
    fn keep_typed(
        &mut self,
        number: u8,
        typed: &HashMap<String, String>,
        mut unreadable: HashMap<String, Unreadable>,
    ) {
        let Some(view) = self.steps.iter_mut().find(|s| s.number == number) else {
            return;
        };
        let fields = view.fieldsets.iter_mut().flat_map(|s| s.fields.iter_mut()).chain(
            view.tables
                .iter_mut()
                .flat_map(|t| t.rows.iter_mut().flat_map(|r| r.cells.iter_mut())),
        );
        for field in fields.filter(|f| !f.locked) {
            if field.kind_enum == Kind::Bool {
                // A box left unticked is not sent.
                field.checked = typed.contains_key(&field.path);
            } else if let Some(text) = typed.get(&field.path) {
                field.value.clone_from(text);
            }
            if let Some(problem) = unreadable.remove(&field.path) {
                field.problem = problem.message;
                field.problem_code = problem.code;
            }
        }
    }
}

/// A call in step 3's drop-down list.
pub struct CallOption {
    id: i32,
    label: String,
    selected: bool,
}

/// A household whose percentage and cap were not taken from the screening, and why.
pub struct ScreeningProblem {
    household: String,
    path: String,
    message: String,
}

/// Sets the percentage and cap of every household of `formulation` that the screening of
/// `call_id` found eligible; the others are left as they are and returned as problems.
async fn take_screening(
    state: &AppState,
    lang: Lang,
    call_id: i32,
    formulation: &mut Formulation,
) -> Result<(usize, Vec<ScreeningProblem>), AppError> {
    let ids: Vec<String> = formulation
        .frame
        .households
        .iter()
        .map(|h| h.id.trim().to_owned())
        .collect();
    let caps = state.store.screening_caps(call_id, &ids).await?;
    let mut taken = 0;
    let mut problems = Vec::new();
    for (i, household) in formulation.frame.households.iter_mut().enumerate() {
        let id = household.id.trim().to_owned();
        let message = match caps.get(&id) {
            None => lang.t("formulation-not_screened").to_owned(),
            Some(cap) if !cap.eligible => format!(
                "{} ({})",
                lang.t("formulation-not_eligible"),
                cap.reasons.replace(';', ", ")
            ),
            Some(ScreeningCap {
                cofinancing_max_pct: Some(pct),
                cap_smmlv: Some(cap),
                program_line,
                land_tenure,
                land_restrictions,
                land_contract_years,
                ..
            }) => {
                household.max_pct = *pct;
                household.cap_smmlv = *cap;
                // Chapter IX is checked at formulation (Art. 40.2, 43): carry the line and tenure.
                household.program_line = *program_line;
                household.land_tenure = *land_tenure;
                household.land_restrictions = *land_restrictions;
                household.land_contract_years = *land_contract_years;
                taken += 1;
                continue;
            }
            Some(_) => lang.t("formulation-no_cap").to_owned(),
        };
        problems.push(ScreeningProblem {
            household: id,
            path: format!("frame.households[{i}].id"),
            message,
        });
    }
    Ok((taken, problems))
}

pub(crate) async fn record_or_404(state: &AppState, id: i32) -> Result<FormulationRecord, AppError> {
    state
        .store
        .formulation(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

pub(crate) async fn content(state: &AppState, id: i32, number: i32) -> Result<Formulation, AppError> {
    state
        .store
        .formulation_version(id, number)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

fn review(lang: Lang, formulation: &Formulation) -> (Review, Vec<Problem>) {
    let mut review = Review {
        rule_set: String::new(),
        evaluated: false,
        viable: false,
        irr: String::new(),
        reasons: Vec::new(),
        message: String::new(),
    };
    let problems = match run(formulation.clone(), None, lang) {
        Ok(Outcome::Evaluated(evaluated)) => {
            review.rule_set = format!("{} ({})", evaluated.rule_set.id, evaluated.rule_set.period);
            review.evaluated = true;
            review.viable = evaluated.evaluation.verdict.viable;
            let percent = |rate: f64| match Decimal::from_f64_retain(rate * 100.0) {
                Some(value) => format!("{} %", lang.amount(&value.round_dp(2))),
                None => format!("{:.2} %", rate * 100.0),
            };
            // With several IRRs the modified IRR decides (Art. 19.6): say so.
            review.irr = match evaluated.evaluation.deciding_rate() {
                DecidingRate::Irr(rate) => percent(rate),
                DecidingRate::Mirr(rate) => lang.t_with(
                    "readings-mirr_review",
                    &[("mirr", vereda_domain::message::Arg::Text(percent(rate)))],
                ),
                DecidingRate::None => lang.t("formulation-no_irr").to_owned(),
            };
            review.reasons = evaluated
                .evaluation
                .verdict
                .reasons
                .iter()
                .map(|r| ReasonLine {
                    check: r.check.as_str().to_owned(),
                    article: r.article.clone(),
                    passed: r.passed,
                })
                .collect();
            Vec::new()
        }
        Ok(Outcome::Invalid { rule_set, problems }) => {
            review.rule_set = format!("{} ({})", rule_set.id, rule_set.period);
            review.message = lang.t("formulation-has_problems").to_owned();
            problems
        }
        Err(Refusal::RuleSet(message) | Refusal::Unevaluable(message)) => {
            review.message = lang.say(&message);
            Vec::new()
        }
        Err(Refusal::Internal(_)) => {
            review.message = lang.t("error-internal").to_owned();
            Vec::new()
        }
    };
    (review, problems)
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    record: &FormulationRecord,
    number: i32,
    shown: &Formulation,
    errors: Vec<String>,
) -> Result<FormulationPage, AppError> {
    let lang = visitor.lang;
    let summary = &record.formulation;
    let latest = record.versions.last().map_or(0, |v| v.number);
    let editable = visitor.can(EDIT)
        && number == latest
        && matches!(
            summary.status,
            FormulationStatus::Draft | FormulationStatus::Returned
        );
    let (review, problems) = review(lang, shown);
    let steps = (1..STEPS)
        .map(|n| {
            let mut view = step(shown, n);
            localize(lang, &mut view);
            view.problems = problems
                .iter()
                .filter(|p| fields::step_of(&p.path) == n)
                .map(|p| ProblemLine::new(lang, p))
                .collect();
            if !editable {
                for field in view.fieldsets.iter_mut().flat_map(|s| s.fields.iter_mut()).chain(
                    view.tables
                        .iter_mut()
                        .flat_map(|t| t.rows.iter_mut().flat_map(|r| r.cells.iter_mut())),
                ) {
                    field.locked = true;
                }
            }
            view
        })
        .collect();
    let calls: Vec<CallOption> = state
        .store
        .calls_within(&visitor.reach(&state.store).await?)
        .await?
        .into_iter()
        .map(|call| CallOption {
            selected: summary.call_id == Some(call.id),
            label: format!("{} · {}", call.code, call.name),
            id: call.id,
        })
        .collect();
    Ok(FormulationPage {
        call_label: calls
            .iter()
            .find(|c| c.selected)
            .map(|c| c.label.clone())
            .unwrap_or_default(),
        calls,
        screening_problems: Vec::new(),
        id: summary.id,
        code: summary.code.clone(),
        title: summary.title.clone(),
        status_label: lang
            .t(crate::procedure_actions::state_key(
                state.store.procedure_state(summary.id).await?,
            ))
            .to_owned(),
        return_reason: summary.return_reason.clone().unwrap_or_default(),
        version: number,
        latest,
        can_submit: editable
            && summary.status == FormulationStatus::Draft
            && problems.is_empty()
            && review.evaluated,
        editable,
        steps,
        problems: problems.iter().map(|p| ProblemLine::new(lang, p)).collect(),
        review,
        versions: record
            .versions
            .iter()
            .map(|v| VersionLine {
                number: v.number,
                created_at: lang.moment(v.created_at),
                note: v.note.clone().unwrap_or_default(),
                viable_label: lang.t(viable_key(v.viable)).to_owned(),
                current: v.number == number,
            })
            .collect(),
        categories: ExpenseCategory::ALL
            .iter()
            .map(|c| {
                let value = c.as_str().to_owned();
                CategoryOption {
                    label: format!(
                        "{} ({})",
                        lang.t(&format!("evaluation.category_{value}")),
                        category_article(&value)
                    ),
                    value,
                }
            })
            .collect(),
        errors,
        saved: false,
        chrome: Chrome::new(visitor).await?,
    })
}

#[derive(Deserialize)]
struct ShowQuery {
    version: Option<i32>,
    saved: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let record = record_or_404(&state, id).await?;
    let latest = record.versions.last().map_or(0, |v| v.number);
    let number = query.version.unwrap_or(latest);
    let shown = content(&state, id, number).await?;
    let mut view = page(&state, &visitor, &record, number, &shown, Vec::new()).await?;
    view.saved = query.saved.is_some();
    render(&view)
}

async fn save_step(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, number)): Path<(i32, u8)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let account = visitor.require(EDIT)?.clone();
    let mut values: HashMap<String, String> = HashMap::new();
    for (name, value) in fields {
        values.entry(name).or_insert(value);
    }
    visitor
        .check_csrf(values.get("csrf_token").map_or("", String::as_str))
        .await?;
    if !(1..STEPS).contains(&number) {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    let record = record_or_404(&state, id).await?;
    editable(&record)?;
    let latest = record.versions.last().map_or(0, |v| v.number);
    let current = content(&state, id, latest).await?;
    let add = values.get("add").map(String::as_str).filter(|a| !a.is_empty());
    let remove = values.get("remove").map(String::as_str).filter(|r| !r.is_empty());
    let lang = visitor.lang;
    // The step comes back as it was typed, so that no edit is lost to one bad field.
    let refuse = |refused: NotApplied| async {
        let mut view = page(&state, &visitor, &record, latest, &current, refused.errors).await?;
        view.keep_typed(number, &values, refused.fields);
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
    };
    let call_id = match values.get("call_id").map(|c| c.trim()).filter(|c| !c.is_empty()) {
        Some(call) => match call.parse::<i32>() {
            Ok(call) => Some(call),
            Err(_) => {
                return refuse(NotApplied::with(format!(
                    "{} (call_id): {}",
                    lang.t("formulation-call"),
                    lang.t("formulation-error_whole_number")
                )))
                .await;
            }
        },
        None => None,
    };
    let take = number == 3 && values.contains_key("take_screening");
    let mut updated = match apply(lang, &current, number, &values, add, remove) {
        Ok(updated) => updated,
        Err(refused) => return refuse(refused).await,
    };
    let mut note = values
        .get("note")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let mut screening_problems = Vec::new();
    if take {
        let Some(call) = call_id.or(record.formulation.call_id) else {
            return refuse(NotApplied::with(
                lang.t("formulation-error_choose_call").to_owned(),
            ))
            .await;
        };
        let (taken, problems) = take_screening(&state, lang, call, &mut updated).await?;
        screening_problems = problems;
        if note.is_none() {
            note = Some(format!("{taken} {}", lang.t("formulation-screening_taken")));
        }
    }
    match save(&state, &account, &updated, note, call_id).await {
        Ok(_) => {}
        Err(StoreError::Invalid(message)) => {
            return refuse(NotApplied::with(format!(
                "{}: {}",
                lang.t("formulation-error_not_saved"),
                lang.say(&message)
            )))
            .await;
        }
        Err(error) => return Err(error.into()),
    }
    if !screening_problems.is_empty() {
        let record = record_or_404(&state, id).await?;
        let latest = record.versions.last().map_or(0, |v| v.number);
        let shown = content(&state, id, latest).await?;
        let mut view = page(&state, &visitor, &record, latest, &shown, Vec::new()).await?;
        view.saved = true;
        view.screening_problems = screening_problems;
        return render(&view);
    }
    let next = if add.is_some() || remove.is_some() || take {
        number
    } else {
        number + 1
    };
    Ok(Redirect::to(&format!("/personal/formulaciones/{id}?saved=1#step-{next}")).into_response())
}

#[derive(Deserialize)]
struct SubmitForm {
    csrf_token: String,
}

async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(input): Form<SubmitForm>,
) -> Result<Response, AppError> {
    let Err((refusal, review)) = submit_latest(&state, &visitor, &input.csrf_token, id).await? else {
        return Ok(Redirect::to(&format!("/personal/formulaciones/{id}")).into_response());
    };
    let record = record_or_404(&state, id).await?;
    let latest = record.versions.last().map_or(0, |v| v.number);
    let current = content(&state, id, latest).await?;
    let mut errors = vec![visitor.lang.say(&refusal.message)];
    errors.extend(review);
    let view = page(&state, &visitor, &record, latest, &current, errors).await?;
    Ok((refusal.code.status(), render(&view)?).into_response())
}

/// Submits a draft's latest version to the committee (Art. 22), for the page and the API:
/// `EDIT`, the session's token, a draft (a double submission or a stale page changes nothing),
/// evaluated without problems. A refusal comes with the review's own words, when it has them.
pub(crate) async fn submit_latest(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
) -> Result<Result<(), (StepRefusal, Option<String>)>, AppError> {
    let account = visitor.require(EDIT)?.clone();
    visitor.check_csrf(csrf).await?;
    let record = record_or_404(state, id).await?;
    let latest = record.versions.last().map_or(0, |v| v.number);
    let current = content(state, id, latest).await?;
    if record.formulation.status != FormulationStatus::Draft {
        let refusal = StepRefusal::new(
            ErrorCode::Conflict,
            crate::i18n::Message::new("formulation-error_not_draft")
                .with_term("status", status_key(record.formulation.status)),
        );
        tracing::info!(formulation = id, "submission refused: not a draft");
        return Ok(Err((refusal, None)));
    }
    let (review, problems) = review(visitor.lang, &current);
    if !problems.is_empty() || !review.evaluated {
        let said = Some(review.message).filter(|m| !m.is_empty());
        return Ok(Err((StepRefusal::invalid("formulation-error_not_ready"), said)));
    }
    state.store.submit_formulation(&account.actor(), id).await?;
    Ok(Ok(()))
}

#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    version: Option<i32>,
}

/// The version `query` asks for (the latest by default): its number and content.
async fn asked_version(
    state: &AppState,
    id: i32,
    query: &VersionQuery,
) -> Result<(i32, Formulation), AppError> {
    let record = record_or_404(state, id).await?;
    let number = query
        .version
        .unwrap_or_else(|| record.versions.last().map_or(0, |v| v.number));
    Ok((number, content(state, id, number).await?))
}

/// A version of a saved formulation (the latest by default) as the filled XLSX template, to
/// edit in a spreadsheet and import again. Read as the formulation's page reads it: the staff
/// area's permission, within the office's reach (another office's is not found).
pub(crate) async fn filled_template(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let (number, formulation) = asked_version(&state, id, &query).await?;
    let file_name = format!("{}-v{number}-plantilla.xlsx", file_safe(&formulation.frame.code));
    let bytes = tokio::task::spawn_blocking(move || {
        vereda_documents::formulation_xlsx::template_filled(&formulation)
    })
    .await
    .map_err(|e| AppError::internal(&e))?
    .map_err(|e| AppError::internal(&e))?;
    Ok(crate::downloads::attachment(
        crate::downloads::XLSX,
        &file_name,
        bytes,
    ))
}

/// A project code as a file name: letters, digits, `-` and `_`; anything else becomes `_`.
fn file_safe(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The full evaluation page of a version (the latest by default).
async fn full_evaluation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let (_, formulation) = asked_version(&state, id, &query).await?;
    super::evaluation::evaluate_stored(&visitor, formulation).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use vereda_domain::finance::fields::FIELDS;

    #[test]
    fn fields_and_cells_take_their_label_from_the_registry() {
        assert_eq!(field_label(Lang::Es, "budget[2].unit_price"), "Precio unitario");
        assert_eq!(field_label(Lang::Es, "frame.households"), "");
    }

    /// Every legend, caption, column and field of every step has a text in both languages.
    #[test]
    fn every_field_has_a_label() {
        for example in EXAMPLES {
            let formulation = Format::Toml.parse(example.text).expect("example");
            for lang in [Lang::Es, Lang::En] {
                for number in 1..STEPS {
                    let mut view = step(&formulation, number);
                    localize(lang, &mut view);
                    for set in &view.fieldsets {
                        assert!(!set.legend.starts_with("formulation."), "{}", set.legend);
                        for field in &set.fields {
                            assert!(!field.label.is_empty(), "{:?} {}", lang, field.path);
                        }
                    }
                    for table in &view.tables {
                        assert!(!table.caption.starts_with("formulation."), "{}", table.path);
                        for column in &table.columns {
                            assert!(!column.is_empty(), "{:?} {}", lang, table.path);
                        }
                        for field in table.rows.iter().flat_map(|r| r.cells.iter()) {
                            assert!(!field.label.is_empty(), "{:?} {}", lang, field.path);
                        }
                    }
                }
            }
        }
        for category in ExpenseCategory::ALL {
            assert!(!category_article(category.as_str()).is_empty());
        }
    }

    /// The registry is the steps' list: every scalar field is a field of some step, every table
    /// a table of its step, and every label, legend and caption is in both catalogues.
    #[test]
    fn every_field_of_the_registry_is_shown_by_a_step_and_worded_in_both_languages() {
        let example = EXAMPLES.first().expect("an example");
        let formulation = Format::Toml.parse(example.text).expect("example");
        let views: Vec<StepView> = (1..STEPS).map(|n| step(&formulation, n)).collect();
        let shown: Vec<&str> = views
            .iter()
            .flat_map(|v| v.fieldsets.iter().flat_map(|s| s.fields.iter()))
            .map(|f| f.path.as_str())
            .collect();
        let paths: Vec<&str> = FIELDS.iter().map(|f| f.path).collect();
        assert_eq!(shown, paths);
        for table in TABLES {
            let view = &views[usize::from(table.step) - 1];
            assert!(
                view.tables.iter().any(|t| fields::pattern(&t.path) == table.path),
                "{} in step {}",
                table.path,
                table.step
            );
        }
        let keys = FIELDS
            .iter()
            .map(|f| f.label_key)
            .chain(Section::ALL.iter().map(|s| s.legend_key()))
            .chain(TABLES.iter().map(|t| t.caption_key))
            .chain(TABLES.iter().flat_map(|t| t.columns.iter().map(|c| c.label_key)));
        for key in keys {
            assert!(Lang::Es.has(key) && Lang::En.has(key), "{key}");
        }
    }
}
