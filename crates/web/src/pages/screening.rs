//! Batch screening pages: the upload form of a call, a run's progress and results (with
//! downloads), and a household's decision explained rule by rule.

use std::path::{Path as FilePath, PathBuf};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::eligibility::{CallLimits, Explanation, Screener};
use vereda_domain::number::{NumberProblem, format_number, read_number};
use vereda_domain::rules::RuleSet;
use vereda_domain::territory::{DaneCode, catalog};
use vereda_store::households::HouseholdSummary;
use vereda_store::programs::Call;
use vereda_store::screening::{
    NewScreeningRun, ResultQuery, RunError, RunFailure, RunInput, RunProgress, RunStatus, ScreeningRun,
    StoredScreening, Submission,
};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, urlencode};
use crate::i18n::Message;
use crate::lists::{FilterView, ListParams, ListView};
use crate::rule_book::rule_book;
use crate::screening::{self as jobs, Job, SCREENING_UPLOAD_LIMIT_BYTES};
use crate::uploads::{self, HashingFile};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/convocatorias/{id}/preselecciones",
            get(screenings)
                .post(submit)
                .layer(DefaultBodyLimit::max(SCREENING_UPLOAD_LIMIT_BYTES)),
        )
        .route("/personal/preselecciones/{id}", get(run_page))
        .route("/personal/preselecciones/{id}/resultados.csv", get(results_csv))
        .route("/personal/preselecciones/{id}/resultados.xlsx", get(results_xlsx))
        .route("/personal/hogares/{id}", get(household_page))
}

fn status_key(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Queued => "screening-status_queued",
        RunStatus::Running => "screening-status_running",
        RunStatus::Succeeded => "screening-status_succeeded",
        RunStatus::Failed => "screening-status_failed",
    }
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn municipality_name(code: &str) -> String {
    DaneCode::parse(code)
        .map(|c| c.municipality().name.clone())
        .unwrap_or_default()
}

fn department_name(code: &str) -> String {
    DaneCode::parse(code)
        .ok()
        .and_then(|c| catalog().department(c.department_code()).map(|d| d.name.clone()))
        .unwrap_or_default()
}

async fn call_or_404(state: &AppState, id: i32) -> Result<Call, AppError> {
    state
        .store
        .call(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

async fn run_or_404(state: &AppState, id: i32) -> Result<ScreeningRun, AppError> {
    state
        .store
        .screening_run(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

// ---- The form and the call's runs ---------------------------------------------------------

struct RunLine {
    id: i32,
    status: RunStatus,
    status_label: String,
    created_at: String,
    rule_set_id: String,
    as_of: Date,
    households_total: u64,
    eligible_total: u64,
    error_count: u64,
}

struct RuleSetOption {
    id: String,
    period: String,
    selected: bool,
}

struct RegistryOption {
    name: String,
    title: String,
    article: String,
    /// The file kept for the call, if any.
    stored: Option<String>,
}

#[derive(Template)]
#[template(path = "screenings.html")]
struct ScreeningsPage {
    chrome: Chrome,
    call: Call,
    csrf: String,
    can_run: bool,
    runs: Vec<RunLine>,
    rule_sets: Vec<RuleSetOption>,
    registries: Vec<RegistryOption>,
    as_of: String,
    keep_going: bool,
    reuse: bool,
    arel_max_pct: String,
    arel_cap_smmlv: String,
    errors: Vec<String>,
}

/// What the form held when it was sent back.
#[derive(Default)]
pub(crate) struct FormValues {
    as_of: String,
    rule_set: String,
    keep_going: bool,
    reuse: bool,
    arel_max_pct: String,
    arel_cap_smmlv: String,
}

async fn screenings_page(
    state: &AppState,
    visitor: &Visitor,
    call: Call,
    values: FormValues,
    errors: Vec<String>,
) -> Result<ScreeningsPage, AppError> {
    let lang = visitor.lang;
    let runs = state
        .store
        .screening_runs(call.id)
        .await?
        .into_iter()
        .map(|run| RunLine {
            status_label: lang.t(status_key(run.status)).to_owned(),
            created_at: lang.moment(run.created_at),
            id: run.id,
            status: run.status,
            rule_set_id: run.rule_set_id,
            as_of: run.as_of,
            households_total: run.households_total,
            eligible_total: run.eligible_total,
            error_count: run.error_count,
        })
        .collect();
    let book = rule_book().map_err(|e| AppError::internal(&std::io::Error::other(e)))?;
    let rule_sets = book
        .all()
        .iter()
        .map(|set| RuleSetOption {
            selected: set.id == values.rule_set,
            id: set.id.clone(),
            period: set.period(),
        })
        .collect();
    let mut registries: Vec<RegistryOption> = Vec::new();
    for set in book.all() {
        for registry in &set.registries {
            if !registries.iter().any(|r| r.name == registry.name) {
                registries.push(RegistryOption {
                    stored: state
                        .uploads
                        .stored_registry(call.id, &registry.name)
                        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
                    name: registry.name.clone(),
                    title: visitor
                        .lang
                        .pick(&registry.title, registry.title_en.as_deref())
                        .to_owned(),
                    article: registry.article.clone(),
                });
            }
        }
    }
    Ok(ScreeningsPage {
        csrf: visitor.csrf_token().await?,
        can_run: visitor.can(Permission::RunScreening),
        runs,
        rule_sets,
        registries,
        as_of: if values.as_of.is_empty() {
            crate::today::today_in_colombia().to_string()
        } else {
            values.as_of
        },
        keep_going: values.keep_going,
        reuse: values.reuse,
        arel_max_pct: values.arel_max_pct,
        arel_cap_smmlv: values.arel_cap_smmlv,
        errors,
        call,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn screenings(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let call = call_or_404(&state, id).await?;
    let values = FormValues {
        reuse: true,
        ..FormValues::default()
    };
    render(&screenings_page(&state, &visitor, call, values, Vec::new()).await?)
}

/// A request's files, removed when dropped unless handed to a job.
struct Incoming {
    dir: Option<PathBuf>,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A file received with the form.
struct Received {
    path: PathBuf,
    file_name: String,
    sha256: String,
    bytes: u64,
}

const REGISTRY_FIELD: &str = "registry_";

/// The encoding a CSV file will be read in (the screening's own rule), to name it on the run.
fn text_encoding(path: &FilePath) -> Option<String> {
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    is_csv
        .then(|| vereda_screening::records::file_encoding(path).ok())
        .flatten()
        .map(|e| e.code().to_owned())
}

/// A file of a run as its page lists it: kind, name, hash, and the encoding its text was in.
struct InputLine {
    text: String,
    encoding: Option<(String, String)>,
}

/// The file's own name, without any directories a browser may send.
fn plain_name(name: Option<&str>, fallback: &str) -> String {
    name.and_then(|n| {
        FilePath::new(&n.replace('\\', "/"))
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
    })
    .filter(|n| !n.is_empty() && !n.starts_with('.'))
    .unwrap_or_else(|| fallback.to_owned())
}

/// An optional positive number of the form, read by the one reader and written back as it
/// was understood; the problem names the field by its label.
fn positive(text: &mut String, label: &str, lang: crate::i18n::Lang) -> Result<Option<Decimal>, String> {
    match read_number(text) {
        Err(NumberProblem::Empty) => Ok(None),
        Err(problem) => Err(crate::i18n::number_problem(lang, &problem, label)),
        Ok(value) if value > Decimal::ZERO => {
            *text = format_number(value);
            Ok(Some(value))
        }
        Ok(_) => Err(lang.say(
            &Message::new("screening-form-not_positive")
                .with("field", label)
                .with("value", text.trim()),
        )),
    }
}

async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    match submit_files(&state, &visitor, None, id, multipart).await? {
        Submitted::Queued(run) => {
            Ok(Redirect::to(&format!("/personal/preselecciones/{}", run.id)).into_response())
        }
        Submitted::Reused(run) => {
            Ok(Redirect::to(&format!("/personal/preselecciones/{}?reused=1", run.id)).into_response())
        }
        Submitted::Refused { call, values, errors } => {
            let page = screenings_page(&state, &visitor, call, values, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// What became of a screening's submission.
pub(crate) enum Submitted {
    /// A new run, its job started.
    Queued(ScreeningRun),
    /// The run of the same files, rules and date, already there.
    Reused(ScreeningRun),
    /// The form's problems, in the visitor's language, with the form as it was sent.
    Refused {
        call: Call,
        values: FormValues,
        errors: Vec<String>,
    },
}

/// Receives the files into a new directory (hashing them on the way), checks the form, and
/// queues the job, or reuses the run of the same job: for the page and the API alike
/// (`RunScreening`, the session's token: the API's header when given, else the form's field).
pub(crate) async fn submit_files(
    state: &AppState,
    visitor: &Visitor,
    csrf_header: Option<&str>,
    id: i32,
    mut multipart: Multipart,
) -> Result<Submitted, AppError> {
    let actor = visitor.require(Permission::RunScreening)?.actor();
    let call = call_or_404(state, id).await?;
    let lang = visitor.lang;
    let dir = state.uploads.incoming().map_err(|e| AppError::internal(&e))?;
    let mut incoming = Incoming {
        dir: Some(dir.clone()),
    };
    let mut csrf = String::new();
    let mut values = FormValues::default();
    let mut households: Option<Received> = None;
    let mut uploaded: Vec<(String, Received)> = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(crate::error::upload_refused)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == "households" || name.starts_with(REGISTRY_FIELD);
        if !is_file {
            let text = field.text().await.map_err(crate::error::upload_refused)?;
            match name.as_str() {
                "csrf_token" => csrf = text,
                "as_of" => values.as_of = text.trim().to_owned(),
                "rule_set" => values.rule_set = text.trim().to_owned(),
                "keep_going" => values.keep_going = true,
                "reuse_registries" => values.reuse = true,
                "arel_max_pct" => values.arel_max_pct = text.trim().to_owned(),
                "arel_cap_smmlv" => values.arel_cap_smmlv = text.trim().to_owned(),
                _ => {}
            }
            continue;
        }
        let kind = name
            .strip_prefix(REGISTRY_FIELD)
            .unwrap_or("households")
            .to_owned();
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            continue;
        }
        let file_name = plain_name(field.file_name(), &format!("{kind}.csv"));
        if field.file_name().is_none_or(str::is_empty) {
            // A file input left empty still sends its part.
            while field
                .chunk()
                .await
                .map_err(crate::error::upload_refused)?
                .is_some()
            {}
            continue;
        }
        let kind_dir = dir.join(&kind);
        uploads::private_dir_all(&kind_dir).map_err(|e| AppError::internal(&e))?;
        let path = kind_dir.join(&file_name);
        let mut file = HashingFile::create(&path).map_err(|e| AppError::internal(&e))?;
        while let Some(chunk) = field.chunk().await.map_err(crate::error::upload_refused)? {
            file.write(&chunk).map_err(|e| AppError::internal(&e))?;
        }
        let (sha256, bytes) = file.finish().map_err(|e| AppError::internal(&e))?;
        let received = Received {
            path,
            file_name,
            sha256,
            bytes,
        };
        if name == "households" {
            households = Some(received);
        } else {
            uploaded.retain(|(k, _)| *k != kind);
            uploaded.push((kind, received));
        }
    }
    visitor.check_csrf(csrf_header.unwrap_or(&csrf)).await?;

    let mut errors = Vec::new();
    let households = match households.filter(|h| h.bytes > 0) {
        None => {
            errors.push(lang.say(&Message::new("screening-error_no_households")));
            None
        }
        Some(file) => {
            let extension = FilePath::new(&file.file_name)
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if ["csv", "txt", "xlsx", "xls", "ods"].contains(&extension.as_str()) {
                Some(file)
            } else {
                errors.push(
                    lang.say(&Message::new("screening-form-file_type").with("file", file.file_name.as_str())),
                );
                None
            }
        }
    };
    let as_of = if values.as_of.is_empty() {
        Some(crate::today::today_in_colombia())
    } else {
        match values.as_of.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(
                    lang.say(&Message::new("screening-form-date").with("value", values.as_of.as_str())),
                );
                None
            }
        }
    };
    let book = rule_book().map_err(|e| AppError::internal(&std::io::Error::other(e)))?;
    let listing = || {
        book.all()
            .iter()
            .map(|s| format!("{} ({})", s.id, s.period()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rules: Option<&RuleSet> = match (values.rule_set.as_str(), as_of) {
        ("", Some(date)) => match book.in_force_on(date) {
            Some(set) => Some(set),
            None => {
                errors.push(
                    lang.say(
                        &Message::new("screening-form-no_rule_set")
                            .with("date", date)
                            .with("sets", listing()),
                    ),
                );
                None
            }
        },
        ("", None) => None,
        (id, _) => match book.get(id) {
            Some(set) => Some(set),
            None => {
                errors.push(
                    lang.say(
                        &Message::new("screening-form-unknown_rule_set")
                            .with("id", id)
                            .with("sets", listing()),
                    ),
                );
                None
            }
        },
    };
    let limits = match (
        positive(&mut values.arel_max_pct, lang.t("screening-arel_max_pct"), lang),
        positive(
            &mut values.arel_cap_smmlv,
            lang.t("screening-arel_cap_smmlv"),
            lang,
        ),
    ) {
        (Ok(max_percent), Ok(cap_smmlv)) => CallLimits {
            max_percent,
            cap_smmlv,
        },
        (pct, cap) => {
            errors.extend(pct.err());
            errors.extend(cap.err());
            CallLimits::default()
        }
    };
    // The registries: uploaded now, or kept for the call when reuse is asked for.
    let mut registries: Vec<(String, Received)> = Vec::new();
    let uploaded_kinds: Vec<String> = uploaded.iter().map(|(kind, _)| kind.clone()).collect();
    if let Some(rules) = rules {
        for (kind, _) in &uploaded {
            if rules.registry_index(kind).is_none() {
                errors.push(
                    lang.say(
                        &Message::new("screening-form-unknown_registry")
                            .with("registry", kind.as_str())
                            .with("id", rules.id.as_str()),
                    ),
                );
            }
        }
        let used = rules.registries_used();
        for (index, registry) in rules.registries.iter().enumerate() {
            if let Some(position) = uploaded.iter().position(|(k, _)| *k == registry.name) {
                registries.push(uploaded.swap_remove(position));
                continue;
            }
            let kept = values
                .reuse
                .then(|| state.uploads.stored_registry(call.id, &registry.name))
                .flatten();
            match kept {
                Some(stored) => {
                    let file_name = plain_name(
                        stored.file_name().and_then(|n| n.to_str()),
                        &format!("{}.csv", registry.name),
                    );
                    let kind_dir = dir.join(&registry.name);
                    let path = kind_dir.join(&file_name);
                    uploads::private_dir_all(&kind_dir)
                        .and_then(|()| uploads::link_or_copy(&stored, &path))
                        .map_err(|e| AppError::internal(&e))?;
                    let (sha256, bytes) = uploads::hash_file(&path).map_err(|e| AppError::internal(&e))?;
                    registries.push((
                        registry.name.clone(),
                        Received {
                            path,
                            file_name,
                            sha256,
                            bytes,
                        },
                    ));
                }
                None if used.contains(&index) => errors.push(
                    lang.say(
                        &Message::new("screening-form-missing_registry")
                            .with("title", lang.pick(&registry.title, registry.title_en.as_deref()))
                            .with("name", registry.name.as_str())
                            .with("article", registry.article.as_str()),
                    ),
                ),
                None => {}
            }
        }
    }
    let (Some(households), Some(as_of), Some(rules), true) = (households, as_of, rules, errors.is_empty())
    else {
        return Ok(Submitted::Refused { call, values, errors });
    };

    let registry_hashes: Vec<(String, String)> = registries
        .iter()
        .map(|(k, r)| (k.clone(), r.sha256.clone()))
        .collect();
    let job_key = jobs::job_key(
        &households.sha256,
        &registry_hashes,
        rules,
        as_of,
        limits,
        values.keep_going,
    );
    let mut inputs = vec![RunInput {
        kind: "households".to_owned(),
        file_name: households.file_name.clone(),
        sha256: households.sha256.clone(),
        bytes: households.bytes,
        encoding: text_encoding(&households.path),
    }];
    inputs.extend(registries.iter().map(|(kind, r)| RunInput {
        kind: kind.clone(),
        file_name: r.file_name.clone(),
        sha256: r.sha256.clone(),
        bytes: r.bytes,
        encoding: text_encoding(&r.path),
    }));
    let new = NewScreeningRun {
        call_id: call.id,
        rule_set_id: rules.id.clone(),
        rule_set_hash: rules.content_hash.clone(),
        as_of,
        limits,
        keep_going: values.keep_going,
        job_key,
        inputs,
    };
    let (run, submission) = state.store.submit_screening_run(&actor, new).await?;
    if submission == Submission::Reused {
        return Ok(Submitted::Reused(run));
    }

    // The files become the job's.
    let job_dir = state.uploads.job_dir(run.id);
    let _ = std::fs::remove_dir_all(&job_dir);
    let moved = job_dir
        .parent()
        .map_or(Ok(()), uploads::private_dir_all)
        .and_then(|()| std::fs::rename(&dir, &job_dir));
    if let Err(error) = moved {
        tracing::error!(run = run.id, %error, "the uploaded files could not be kept");
        let message = vereda_domain::message::Message::new("screening-error-files_not_kept");
        state
            .store
            .fail_screening_run(
                &actor,
                run.id,
                None,
                RunFailure {
                    message: Some(message),
                    ..RunFailure::default()
                },
            )
            .await?;
        return Err(AppError::internal(&error));
    }
    incoming.dir = None;
    // The job names its files inside its directory, which every server sharing the uploads
    // directory reaches.
    let inside = |path: &FilePath| -> PathBuf {
        path.strip_prefix(&dir)
            .map_or_else(|_| path.to_path_buf(), FilePath::to_path_buf)
    };
    let job = Job {
        run_id: run.id,
        call_id: call.id,
        actor: actor.clone(),
        households: inside(&households.path),
        registries: registries
            .iter()
            .map(|(kind, r)| (kind.clone(), inside(&r.path)))
            .collect(),
        uploaded: uploaded_kinds.clone(),
        rule_set_id: rules.id.clone(),
        as_of,
        max_percent: limits.max_percent,
        cap_smmlv: limits.cap_smmlv,
        keep_going: values.keep_going,
    };
    jobs::submit(state, &job).await?;
    Ok(Submitted::Queued(run))
}

// ---- A run: progress, counts, results -----------------------------------------------------

/// The page's words before the list machinery (`reason`, `municipality`, `level`, `page`:
/// old links keep working) and `reused` (a run found already done on submit).
#[derive(Deserialize, Default)]
pub(crate) struct ResultFilter {
    reason: Option<String>,
    municipality: Option<String>,
    level: Option<String>,
    page: Option<String>,
    reused: Option<String>,
}

impl ResultFilter {
    /// The list's parameters, an old word standing in for a new one not given.
    fn merged(&self, mut params: ListParams) -> ListParams {
        for (new, old) in [
            (&mut params.motivo, &self.reason),
            (&mut params.municipio, &self.municipality),
            (&mut params.nivel, &self.level),
            (&mut params.pagina, &self.page),
        ] {
            if let (true, Some(old)) = (new.trim().is_empty(), old) {
                old.clone_into(new);
            }
        }
        params
    }
}

/// The sorts of a run's results and their catalogue keys.
const RESULT_SORTS: [(&str, &str); 3] = [
    ("fila", "list-screening-sort-fila"),
    ("hogar", "list-sort-hogar"),
    ("municipio", "list-sort-municipio"),
];

/// The results the list's parameters ask for: reason, municipality, level, eligibility,
/// search and sort, within the reader's reach.
async fn result_list(
    state: &AppState,
    visitor: &Visitor,
    run_id: i32,
    params: &ListParams,
) -> Result<ResultQuery, AppError> {
    let codes: Vec<&str> = RESULT_SORTS.iter().map(|(code, _)| *code).collect();
    let paging = params.paging(&codes);
    Ok(ResultQuery {
        eligible: match params.estado.trim() {
            "eligible" => Some(true),
            "not_eligible" => Some(false),
            _ => None,
        },
        search: paging.search.clone(),
        sort: paging.sort.clone(),
        descending: paging.descending,
        offset: paging.offset(),
        limit: paging.limit(),
        ..result_query(
            state,
            visitor,
            run_id,
            &params.motivo,
            &params.municipio,
            &params.nivel,
        )
        .await?
    })
}

struct ReasonLine {
    code: String,
    article: String,
    count: u64,
    href: String,
}

struct GroupLine {
    code: String,
    label: String,
    households: u64,
    eligible: u64,
    href: String,
}

struct ResultLine {
    household_id: i32,
    municipality_code: String,
    external_id: String,
    line: i32,
    document: String,
    municipality: String,
    eligible: bool,
    level: String,
    pct: String,
    cap: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "screening.html")]
struct RunPage {
    chrome: Chrome,
    call: Call,
    run: ScreeningRun,
    status_label: String,
    pending: bool,
    failed: bool,
    succeeded: bool,
    progress: RunProgress,
    percent: u64,
    short_hash: String,
    rule_set_note: Option<String>,
    reused: bool,
    inputs: Vec<InputLine>,
    reasons: Vec<ReasonLine>,
    municipalities: Vec<GroupLine>,
    levels: Vec<GroupLine>,
    rows: Vec<ResultLine>,
    /// The results' list controls (a finished run only).
    list: Option<ListView>,
    reason: String,
    superseded: u64,
    more_errors: u64,
    errors: Vec<RunError>,
    /// The AREL households of group 4 in the order of Art. 38 par. 4.
    arel_order: Vec<vereda_store::screening::ArelPriority>,
}

/// A note when the stored rule set is not the one shipped now.
fn rule_set_note(lang: crate::i18n::Lang, id: &str, hash: &str) -> Option<String> {
    match rule_book().ok().and_then(|book| book.get(id)) {
        None => Some(format!("{} {id}", lang.t("screening-rule_set_unknown"))),
        Some(set) if set.content_hash != hash => Some(format!(
            "{} {id}: {} {}, {} {}.",
            lang.t("screening-rule_set_changed"),
            lang.t("screening-stored_hash"),
            short_hash(hash),
            lang.t("screening-shipped_hash"),
            short_hash(&set.content_hash)
        )),
        Some(_) => None,
    }
}

/// The results of a run filtered as the page's filters ask (a reason that fired, a DANE
/// municipality, a Sisbén level or `none`; empty is no filter), within the reader's reach:
/// the page and the API list them alike. Paging is the caller's.
pub(crate) async fn result_query(
    state: &AppState,
    visitor: &Visitor,
    run_id: i32,
    reason: &str,
    municipality: &str,
    level: &str,
) -> Result<ResultQuery, AppError> {
    let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    Ok(ResultQuery {
        run_id,
        reason: given(reason),
        municipality_code: given(municipality),
        sisben_level: level_filter(level.trim()),
        reach: visitor.reach(&state.store).await?,
        ..ResultQuery::default()
    })
}

fn level_filter(text: &str) -> Option<Option<u8>> {
    match text {
        "none" => Some(None),
        other => other.parse::<u8>().ok().map(Some),
    }
}

/// The results filtered by one reason, municipality or level (the counts' links).
fn filter_href(run_id: i32, key: &str, value: &str) -> String {
    format!("/personal/preselecciones/{run_id}?{key}={}", urlencode(value))
}

/// The article behind each reason code of a rule set.
pub(super) struct ReasonArticles(Vec<(String, String, String)>);

impl ReasonArticles {
    pub(super) fn of(rule_set_id: &str) -> ReasonArticles {
        ReasonArticles(
            rule_book()
                .ok()
                .and_then(|book| book.get(rule_set_id))
                .map(|set| {
                    set.lines
                        .iter()
                        .flat_map(|line| {
                            line.rules
                                .iter()
                                .map(|r| (r.code.clone(), line.line.to_string(), r.article.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// A code of both lines may cite other articles in each: then each is named with its line.
    pub(super) fn article(&self, code: &str) -> String {
        let found: Vec<&(String, String, String)> = self.0.iter().filter(|(c, _, _)| c == code).collect();
        let first = found.first().map(|(_, _, a)| a.as_str()).unwrap_or_default();
        if found.iter().all(|(_, _, a)| a == first) {
            first.to_owned()
        } else {
            found
                .iter()
                .map(|(_, line, a)| format!("{a} ({line})"))
                .collect::<Vec<_>>()
                .join("; ")
        }
    }
}

async fn run_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(filter): Query<ResultFilter>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let lang = visitor.lang;
    let run = run_or_404(&state, id).await?;
    let call = call_or_404(&state, run.call_id).await?;
    let progress = jobs::progress_of(&state, &run);
    let params = filter.merged(params);
    let reason = params.motivo.trim().to_owned();
    let articles = ReasonArticles::of(&run.rule_set_id);
    let article_of = |code: &str| articles.article(code);

    let (mut reasons, mut municipalities, mut levels, mut rows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut superseded, mut list) = (0, None);
    if run.status == RunStatus::Succeeded {
        let counts = state.store.screening_counts(run.id).await?;
        superseded = run.households_total.saturating_sub(counts.households);
        reasons = counts
            .by_reason
            .iter()
            .map(|(code, count)| ReasonLine {
                article: article_of(code),
                count: *count,
                href: filter_href(run.id, "motivo", code),
                code: code.clone(),
            })
            .collect();
        municipalities = counts
            .by_municipality
            .iter()
            .map(|(code, group)| GroupLine {
                label: format!("{} ({})", municipality_name(code), department_name(code)),
                households: group.households,
                eligible: group.eligible,
                href: filter_href(run.id, "municipio", code),
                code: code.clone(),
            })
            .collect();
        levels = counts
            .by_sisben_level
            .iter()
            .map(|(value, group)| {
                let code = value.map_or_else(|| "none".to_owned(), |l| l.to_string());
                GroupLine {
                    label: match value {
                        Some(l) => format!("{} {l}", lang.t("screening-level")),
                        None => lang.t("screening-no_level").to_owned(),
                    },
                    households: group.households,
                    eligible: group.eligible,
                    href: filter_href(run.id, "nivel", &code),
                    code,
                }
            })
            .collect();
        let query = result_list(&state, &visitor, run.id, &params).await?;
        let results = state
            .store
            .screening_results_counted(&query, Some(&counts))
            .await?;
        let option = |line: &GroupLine| (line.code.clone(), line.label.clone());
        let filters = vec![
            FilterView::new(
                "motivo",
                lang.t("screening-reason"),
                &params.motivo,
                reasons
                    .iter()
                    .map(|r| (r.code.clone(), format!("{} ({})", r.code, r.count)))
                    .collect(),
            ),
            FilterView::new(
                "estado",
                lang.t("screening-is_eligible"),
                &params.estado,
                vec![
                    ("eligible".to_owned(), lang.t("common-yes").to_owned()),
                    ("not_eligible".to_owned(), lang.t("common-no").to_owned()),
                ],
            ),
            FilterView::new(
                "municipio",
                lang.t("list-filter-municipio"),
                &params.municipio,
                municipalities.iter().map(option).collect(),
            ),
            FilterView::new(
                "nivel",
                lang.t("screening-level"),
                &params.nivel,
                levels.iter().map(option).collect(),
            ),
        ];
        let path = format!("/personal/preselecciones/{}", run.id);
        list = Some(
            ListView::new(
                lang,
                &path,
                &format!("{path}/resultados"),
                &params,
                &RESULT_SORTS,
                filters,
                results.total,
            )
            .searching(lang.t("list-screening-search")),
        );
        rows = results
            .rows
            .into_iter()
            .map(|r| ResultLine {
                municipality: municipality_name(&r.municipality_code),
                municipality_code: r.municipality_code.clone(),
                level: r.sisben_level.map(|l| l.to_string()).unwrap_or_default(),
                pct: r
                    .cofinancing_max_pct
                    .map(|d| lang.amount(&d.normalize()))
                    .unwrap_or_default(),
                cap: r
                    .cap_smmlv
                    .map(|d| lang.amount(&d.normalize()))
                    .unwrap_or_default(),
                reasons: r.reasons.join(" "),
                household_id: r.household_id,
                external_id: r.external_id,
                line: r.line,
                document: r.head_document_masked,
                eligible: r.eligible,
            })
            .collect();
    }
    let arel_order = if run.status == RunStatus::Succeeded {
        state.store.arel_group_4_priority(run.id).await?
    } else {
        Vec::new()
    };
    let inputs = run
        .inputs
        .iter()
        .map(|i| InputLine {
            text: format!("{}: {} ({})", i.kind, i.file_name, short_hash(&i.sha256)),
            encoding: i
                .encoding
                .as_deref()
                .and_then(vereda_domain::text::TextEncoding::from_code)
                .map(|e| {
                    let read_as = Message::new("screening-read_as").with("encoding", lang.t(e.label_key()));
                    (e.code().to_owned(), lang.say(&read_as))
                }),
        })
        .collect();
    let percent = progress
        .bytes_read
        .saturating_mul(100)
        .checked_div(progress.total_bytes)
        .unwrap_or(0);
    render(&RunPage {
        arel_order,
        status_label: lang.t(status_key(run.status)).to_owned(),
        pending: run.status.is_pending(),
        failed: run.status == RunStatus::Failed,
        succeeded: run.status == RunStatus::Succeeded,
        progress,
        percent: percent.min(100),
        short_hash: short_hash(&run.rule_set_hash).to_owned(),
        rule_set_note: rule_set_note(lang, &run.rule_set_id, &run.rule_set_hash),
        reused: filter.reused.is_some(),
        list,
        inputs,
        reasons,
        municipalities,
        levels,
        rows,
        reason,
        superseded,
        more_errors: run.error_count.saturating_sub(run.errors.len() as u64),
        errors: if visitor.can(Permission::ViewFullDocuments) {
            run.errors.clone()
        } else {
            run.errors.iter().map(RunError::masked).collect()
        },
        run,
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

async fn finished_run(state: &AppState, visitor: &Visitor, id: i32) -> Result<ScreeningRun, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let run = run_or_404(state, id).await?;
    if run.status != RunStatus::Succeeded {
        return Err(AppError::said(
            ErrorCode::Conflict,
            Message::new("screening-no_results"),
        ));
    }
    Ok(run)
}

/// A finished run's results for a download, with the page's filter, search and sort, read a
/// chunk at a time by keyset: a million rows stream in bounded memory.
struct ResultExport {
    state: AppState,
    query: ResultQuery,
}

#[async_trait::async_trait]
impl crate::lists::ExportSource for ResultExport {
    type Row = vereda_store::screening::ScreeningResultRow;

    async fn next_chunk(&mut self) -> Result<Vec<Self::Row>, AppError> {
        let chunk = self.state.store.screening_result_rows(&self.query).await?;
        if let Some(last) = chunk.last() {
            if self.query.in_file_order() {
                self.query.after_position = Some(last.position);
                self.query.after_household = None;
            } else {
                self.query.after_household = Some(last.household_id);
            }
        }
        Ok(chunk)
    }
}

async fn result_export(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<(ScreeningRun, ResultExport), AppError> {
    let run = finished_run(state, visitor, id).await?;
    let mut query = result_list(state, visitor, run.id, params).await?;
    query.offset = 0;
    query.limit = crate::lists::EXPORT_CHUNK;
    let export = ResultExport {
        state: state.clone(),
        query,
    };
    Ok((run, export))
}

/// The contract's `results.csv` of the results the page shows (all of them unfiltered, in
/// input order: byte for byte what `vereda screen` writes), streamed.
pub(crate) async fn results_csv(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(filter): Query<ResultFilter>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let (run, export) = result_export(&state, &visitor, id, &filter.merged(params)).await?;
    Ok(crate::lists::streamed(
        "text/csv; charset=utf-8",
        &format!("screening-{}-results.csv", run.id),
        format!("{}\n", vereda_screening::screening::RESULTS_HEADER).into_bytes(),
        export,
        jobs::results_csv_lines,
    ))
}

/// The same results as a workbook, written in constant memory.
pub(crate) async fn results_xlsx(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(filter): Query<ResultFilter>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let (run, export) = result_export(&state, &visitor, id, &filter.merged(params)).await?;
    let headers = vereda_screening::screening::RESULTS_HEADER
        .split(',')
        .map(str::to_owned)
        .collect();
    crate::lists::workbook_download(
        headers,
        export,
        jobs::RESULTS_SHEET,
        &format!("screening-{}-results.xlsx", run.id),
    )
    .await
}

// ---- A household and why ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "screening_household.html")]
struct HouseholdPage {
    chrome: Chrome,
    household: HouseholdSummary,
    call: Option<Call>,
    municipality: String,
    document: String,
    screening: Option<StoredScreening>,
    found_in: String,
    short_hash: String,
    notes: Vec<String>,
    explanation: Option<Explanation>,
    pct: String,
    cap: String,
}

async fn household_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let lang = visitor.lang;
    let household = state
        .store
        .household(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let call = match household.call_id {
        Some(call_id) => state.store.call(call_id).await?,
        None => None,
    };
    let screening = state.store.household_screening(id).await?;
    let document = if visitor.can(Permission::ViewFullDocuments) {
        format!("{} {}", household.head_document_type, household.head_document)
    } else {
        format!(
            "{} {}",
            household.head_document_type,
            vereda_domain::household::mask_document(&household.head_document)
        )
    };
    let mut notes = Vec::new();
    let mut explanation = None;
    if let Some(stored) = &screening {
        notes.extend(rule_set_note(lang, &stored.rule_set_id, &stored.rule_set_hash));
        let run = state.store.screening_run(stored.run_id).await?;
        let limits = run.map(|r| r.limits()).unwrap_or_default();
        if let Some(rules) = rule_book().ok().and_then(|book| book.get(&stored.rule_set_id)) {
            let screener = Screener::new(rules, stored.as_of, limits);
            match screener.explain(&stored.household, &stored.checks) {
                Ok(explained) => {
                    if explained.eligible != stored.eligible || explained.reasons != stored.reasons {
                        notes.push(format!(
                            "{} {}",
                            lang.t("screening-outcome_differs"),
                            if explained.reasons.is_empty() {
                                "-".to_owned()
                            } else {
                                explained.reasons.join(";")
                            }
                        ));
                    }
                    explanation = Some(explained);
                }
                Err(error) => notes.push(error.to_string()),
            }
        }
    }
    if let (Some(explained), Some(stored)) = (&mut explanation, &screening)
        && !visitor.can(Permission::ViewFullDocuments)
    {
        hide_personal_facts(explained, &stored.household);
    }
    render(&HouseholdPage {
        municipality: format!(
            "{} ({}, {})",
            municipality_name(&household.municipality_code),
            department_name(&household.municipality_code),
            household.municipality_code
        ),
        found_in: screening
            .as_ref()
            .map(|s| s.found_in.join(", "))
            .unwrap_or_default(),
        short_hash: screening
            .as_ref()
            .map(|s| short_hash(&s.rule_set_hash).to_owned())
            .unwrap_or_default(),
        pct: screening
            .as_ref()
            .and_then(|s| s.cofinancing_max_pct)
            .map(|d| lang.amount(&d.normalize()))
            .unwrap_or_default(),
        cap: screening
            .as_ref()
            .and_then(|s| s.cap_smmlv)
            .map(|d| lang.amount(&d.normalize()))
            .unwrap_or_default(),
        document,
        notes,
        explanation,
        screening,
        household,
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// The explanation as an account without `ViewFullDocuments` sees it: the Sisbén score and the
/// birth date it quotes are masked (`vereda_domain::privacy`), the level and the outcome stay.
fn hide_personal_facts(
    explained: &mut vereda_domain::eligibility::Explanation,
    household: &vereda_domain::eligibility::Household,
) {
    use vereda_domain::message::Arg;
    use vereda_domain::privacy::PersonalField;
    let birth = household.birth_date.to_string();
    let score = household.sisben_score.map(|s| s.normalize().to_string());
    let masked = |value: &str, field: PersonalField| Some(Arg::Text(field.mask(value)));
    let change = |arg: &Arg| match arg {
        Arg::Date(date) if *date == household.birth_date => masked(&birth, PersonalField::BirthDate),
        Arg::Amount(amount) if Some(*amount) == household.sisben_score => {
            masked(&amount.normalize().to_string(), PersonalField::SisbenScore)
        }
        Arg::Text(text) => {
            let mut text = text.replace(birth.as_str(), &PersonalField::BirthDate.mask(&birth));
            if let Some(score) = &score {
                text = text.replace(score.as_str(), &PersonalField::SisbenScore.mask(score));
            }
            Some(Arg::Text(text))
        }
        _ => None,
    };
    explained.sisben = explained.sisben.mapping_args(&change);
    for rule in &mut explained.rules {
        rule.seen = rule.seen.iter().map(|m| m.mapping_args(&change)).collect();
    }
}
