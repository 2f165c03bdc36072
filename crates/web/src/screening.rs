//! Batch screening as a durable job (see [`crate::worker`]): the job key, the live progress of
//! the runs this server works on, and the job itself (the engine of `vereda screen` on a
//! blocking thread, then the results stored chunk by chunk from the job's checkpoint). Its
//! files are kept by [`crate::uploads::Uploads`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vereda_domain::audit::Actor;
use vereda_domain::eligibility::{CallLimits, Screener};
use vereda_domain::rules::RuleSet;
use vereda_screening::poverty::PovertyFileError;
use vereda_screening::screening::{
    self, HeadFacts, RegistryFile, ScreeningError, ScreeningJob, ScreeningRun,
};
use vereda_screening::table::{ReadLimits, RowError};
use vereda_store::Store;
use vereda_store::jobs::JobKind;
use vereda_store::screening::{
    NewScreeningResult, ROWS_PER_CHUNK, RunError, RunFailure, RunProgress, RunSummary,
};

use crate::AppState;
use crate::error::AppError;
use crate::i18n::{Lang, Message};
use crate::job_context::JobContext;
use crate::rule_book::rule_book;
use crate::uploads::hex;

/// The largest screening upload (households and registries together).
pub const SCREENING_UPLOAD_LIMIT_BYTES: usize = 1 << 30;

/// The job key: the same files, rule set, date, limits and mode give the same key.
pub fn job_key(
    households_sha256: &str,
    registries: &[(String, String)],
    rule_set: &RuleSet,
    as_of: Date,
    limits: CallLimits,
    keep_going: bool,
) -> String {
    let mut registries = registries.to_vec();
    registries.sort();
    let mut text = format!("vereda-screening-1\nhouseholds {households_sha256}\n");
    for (kind, sha256) in &registries {
        text.push_str(&format!("registry {kind} {sha256}\n"));
    }
    let limit = |value: Option<Decimal>| value.map_or_else(|| "-".to_owned(), |v| v.normalize().to_string());
    text.push_str(&format!(
        "rule_set {} {}\nas_of {as_of}\narel_max_pct {}\narel_cap_smmlv {}\nkeep_going {keep_going}\n",
        rule_set.id,
        rule_set.content_hash,
        limit(limits.max_percent),
        limit(limits.cap_smmlv),
    ));
    hex(&Sha256::digest(text.as_bytes()))
}

/// The progress of the jobs running in this process, by run id.
#[derive(Debug, Clone, Default)]
pub struct Progresses {
    inner: Arc<Mutex<HashMap<i32, RunProgress>>>,
}

impl Progresses {
    pub fn get(&self, run_id: i32) -> Option<RunProgress> {
        self.inner.lock().ok().and_then(|map| map.get(&run_id).copied())
    }

    fn update(&self, run_id: i32, change: impl FnOnce(&mut RunProgress)) {
        if let Ok(mut map) = self.inner.lock() {
            change(map.entry(run_id).or_default());
        }
    }

    fn remove(&self, run_id: i32) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(&run_id);
        }
    }
}

/// A screening to run, as its durable job keeps it: the run, who asked for it, and its files
/// by their paths inside the run's job directory (`Uploads::job_dir`), which every server
/// sharing the uploads directory reaches.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub run_id: i32,
    pub call_id: i32,
    pub actor: Actor,
    pub households: PathBuf,
    /// Each registry's kind and file.
    pub registries: Vec<(String, PathBuf)>,
    /// The kinds of the registries uploaded with this job, to keep for the call if it
    /// succeeds.
    pub uploaded: Vec<String>,
    pub rule_set_id: String,
    pub as_of: Date,
    pub max_percent: Option<Decimal>,
    pub cap_smmlv: Option<Decimal>,
    pub keep_going: bool,
}

impl Job {
    fn limits(&self) -> CallLimits {
        CallLimits {
            max_percent: self.max_percent,
            cap_smmlv: self.cap_smmlv,
        }
    }
}

/// Queues the job (once per run: a resubmission finds the same job) and wakes this server's
/// worker, which runs it unless another server claims it first.
pub async fn submit(state: &AppState, job: &Job) -> Result<(), vereda_store::StoreError> {
    let payload = serde_json::to_string(job).map_err(|e| vereda_store::StoreError::Fault(e.to_string()))?;
    state
        .store
        .enqueue_job(JobKind::Screening, &job.run_id.to_string(), &payload)
        .await?;
    state.worker.start(state);
    Ok(())
}

/// Why a screening stored nothing.
struct Failure {
    message: Option<Message>,
    errors: Vec<RunError>,
    error_count: u64,
}

impl Failure {
    fn message(message: Message) -> Failure {
        Failure {
            message: Some(message),
            errors: Vec::new(),
            error_count: 0,
        }
    }
}

/// Runs a claimed screening job: screens its files (fast, and the same every time), then
/// stores the results from the job's checkpoint on, chunk by chunk, stopping at a chunk's end
/// when the server stops or the lease is lost. A success ends the job in the same transaction
/// as the run; a failure is recorded on the run, then ends the job.
pub async fn run_job(state: &AppState, payload: &str, context: &JobContext) {
    let job: Job = match serde_json::from_str(payload) {
        Ok(job) => job,
        Err(error) => {
            tracing::error!(job = context.lease.job_id, %error, "a screening job cannot be read");
            if let Err(error) = state
                .store
                .finish_job(context.lease.job_id, &context.lease.owner, false)
                .await
            {
                tracing::error!(%error, "cannot end the unreadable job");
            }
            return;
        }
    };
    let run_id = job.run_id;
    let dir = state.uploads.job_dir(run_id);
    let ended = run(state, &job, &dir, context).await;
    state.progresses.remove(run_id);
    if ended && let Err(error) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(run_id, %error, "cannot remove the job's files");
    }
}

/// Returns true when the run ended (succeeded or failed), false when it stopped at a
/// checkpoint for another attempt.
async fn run(state: &AppState, job: &Job, dir: &Path, context: &JobContext) -> bool {
    let store = &state.store;
    let run_id = job.run_id;
    state.progresses.update(run_id, |_| {});
    let queued = matches!(
        store.screening_run(run_id).await,
        Ok(Some(run)) if run.status == vereda_store::screening::RunStatus::Queued
    );
    if queued && let Err(error) = store.start_screening_run(&job.actor, run_id).await {
        tracing::error!(run_id, %error, "cannot mark the screening as running");
    }
    let blocking_job = job.clone();
    let progresses = state.progresses.clone();
    let (read_limits, dir_owned) = (state.config.read_limits, dir.to_path_buf());
    let screened = match store.call_territory(job.call_id).await {
        Ok(territory) => tokio::task::spawn_blocking(move || {
            screen(&blocking_job, territory, &dir_owned, read_limits, &progresses)
        })
        .await
        .unwrap_or_else(|error| {
            tracing::error!(run_id, %error, "the screening stopped unexpectedly");
            Err(Failure::message(Message::new("screening-error-stopped")))
        }),
        Err(error) => {
            tracing::error!(run_id, %error, "cannot read the call's territory");
            Err(Failure::message(Message::new("screening-error-stopped")))
        }
    };
    let progress = state.progresses.get(run_id).unwrap_or_default();
    if let Ok(screened) = &screened {
        state.metrics.add_rows_screened(screened.households() as u64);
        tracing::info!(run_id, households = screened.households(), "screened; storing");
    }
    let failure = match screened {
        Ok(screened) => match store_results(state, job, screened, context).await {
            Ok(true) => return true,
            Ok(false) => return false,
            Err(error) => {
                let reference = crate::error::AppError::internal(&error)
                    .detail
                    .unwrap_or_default();
                Failure::message(Message::new("screening-error-not_stored").with("reference", reference))
            }
        },
        Err(failure) => failure,
    };
    let failure = RunFailure {
        message: failure.message,
        errors: failure.errors,
        error_count: failure.error_count,
        progress,
    };
    match store
        .fail_screening_run(&job.actor, run_id, Some(&context.lease), failure)
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => tracing::warn!(run_id, "the job's lease was lost: its failure is not recorded"),
        Err(error) => tracing::error!(run_id, %error, "cannot record the failed screening"),
    }
    true
}

/// Stores the results from the checkpoint on; true when the run ended, false when it stopped
/// at a checkpoint.
async fn store_results(
    state: &AppState,
    job: &Job,
    screened: Screened,
    context: &JobContext,
) -> Result<bool, vereda_store::StoreError> {
    let store = &state.store;
    let run_id = job.run_id;
    screened.check_households_unique()?;
    let mut counted = screened.summary();
    let screened_progress = counted.progress;
    let households = screened.households();
    let run = store.existing_screening_run(run_id).await?;
    let from = usize::try_from(context.checkpoint)
        .unwrap_or(usize::MAX)
        .min(households);
    let mut written = from;
    state.progresses.update(run_id, |p| p.stored = written as u64);
    let at_once = store.chunks_at_once();
    // The results are shaped and the chunks' rows built on a blocking thread while the
    // database stores the chunks before them; a chunk's results are let go once its rows are
    // built. Every result is counted, those before the checkpoint too.
    let (sender, mut prepared) = tokio::sync::mpsc::channel(at_once);
    let preparing = tokio::task::spawn_blocking(move || {
        let mut results = screened.into_results().enumerate().peekable();
        while results.peek().is_some() {
            let mut chunk = Vec::with_capacity(ROWS_PER_CHUNK);
            let mut position = None;
            for (index, result) in results.by_ref() {
                counted.count(&result);
                if index >= from {
                    position.get_or_insert(index);
                    chunk.push(result);
                }
                if chunk.len() == ROWS_PER_CHUNK {
                    break;
                }
            }
            let Some(position) = position else {
                break;
            };
            let rows = vereda_store::screening::prepare_screening_chunk(&run, &chunk, position);
            drop(chunk);
            if sender.blocking_send(rows).is_err() {
                break;
            }
        }
        counted
    });
    // Chunks stored at once each move the checkpoint to where they all start: a server that
    // takes the job over stores them again (rows already stored are found and left alone).
    let checkpoint_after = |start: usize, end: usize| if at_once > 1 { start } else { end };
    loop {
        if context.should_stop() {
            return Ok(false);
        }
        let mut group = Vec::with_capacity(at_once);
        while group.len() < at_once
            && let Some(chunk) = prepared.recv().await
        {
            group.push(chunk?);
        }
        if group.is_empty() {
            break;
        }
        let rows: usize = group.iter().map(|chunk| chunk.len()).sum();
        let progress = RunProgress {
            stored: checkpoint_after(written, written + rows) as u64,
            ..state.progresses.get(run_id).unwrap_or(screened_progress)
        };
        let chunks = group
            .into_iter()
            .map(|chunk| store.store_prepared_chunk(&job.actor, Some(&context.lease), chunk, progress));
        let stored = futures_util::future::try_join_all(chunks).await?;
        if stored.iter().any(Option::is_none) {
            tracing::warn!(run_id, "another server holds the screening now; this one stops");
            return Ok(false);
        }
        written += rows;
        state.metrics.add_rows_stored(rows as u64);
        state.progresses.update(run_id, |p| p.stored = written as u64);
    }
    let summary = match preparing.await {
        Ok(counted) => counted,
        Err(error) => {
            tracing::error!(run_id, %error, "the rows of the screening stopped being built");
            return Err(vereda_store::StoreError::Fault(
                "the rows of the screening stopped being built".to_owned(),
            ));
        }
    };
    let Some(run) = store
        .finish_screening_run(&job.actor, run_id, Some(&context.lease), summary)
        .await?
    else {
        return Ok(false);
    };
    tracing::info!(
        run_id,
        households = run.households_total,
        eligible = run.eligible_total,
        "screening stored"
    );
    for kind in &job.uploaded {
        if let Some((_, path)) = job.registries.iter().find(|(k, _)| k == kind)
            && let Err(error) =
                state
                    .uploads
                    .keep_registry(job.call_id, kind, &state.uploads.job_dir(run_id).join(path))
        {
            tracing::warn!(run_id, registry = %kind, %error, "cannot keep the registry for the call");
        }
    }
    Ok(true)
}

/// What is wrong with an IPM file, in `lang`: for bad rows a summary, then each row naming
/// file, line, column and value, then how many more were not listed.
pub fn poverty_file_errors(lang: Lang, error: &PovertyFileError) -> Vec<String> {
    error.messages().iter().map(|m| lang.say(m)).collect()
}

fn run_error(error: &RowError) -> RunError {
    RunError {
        file: error.file.clone(),
        line: error.line as u64,
        column: error.column.clone(),
        value: error.value.clone(),
        message: (*error.message).clone(),
    }
}

/// Screens the job's files (on a blocking thread) within the call's territory (Art. 5) and
/// shapes the results for the store.
fn screen(
    job: &Job,
    territory: vereda_domain::territory::CallTerritory,
    dir: &Path,
    read_limits: ReadLimits,
    progresses: &Progresses,
) -> Result<Screened, Failure> {
    let book = rule_book().map_err(|error| {
        tracing::error!(%error, "the shipped rule sets do not load");
        Failure::message(Message::new("screening-error-stopped"))
    })?;
    let rules = book.get(&job.rule_set_id).ok_or_else(|| {
        Failure::message(
            Message::new("screening-error-unknown_rule_set").with("id", job.rule_set_id.as_str()),
        )
    })?;
    let screener = Screener::new(rules, job.as_of, job.limits()).within(territory);
    let engine_job = ScreeningJob {
        households: dir.join(&job.households),
        registries: job
            .registries
            .iter()
            .map(|(name, path)| RegistryFile {
                name: name.clone(),
                path: dir.join(path),
            })
            .collect(),
        screener: &screener,
        keep_going: job.keep_going,
        explain: None,
        keep_facts: true,
        read_limits,
    };
    let run_id = job.run_id;
    let report = |p: screening::Progress| {
        progresses.update(run_id, |progress| {
            progress.bytes_read = p.bytes_read;
            progress.total_bytes = p.total_bytes;
            progress.rows = p.rows;
        })
    };
    let mut run = screening::screen(&engine_job, &report).map_err(|error| match error {
        ScreeningError::Rows { errors, error_count } => Failure {
            message: None,
            errors: errors.iter().map(run_error).collect(),
            error_count: error_count as u64,
        },
        other => Failure::message(other.message()),
    })?;
    if run.facts.len() != run.rows.len() {
        return Err(Failure::message(Message::new("screening-error-no_facts")));
    }
    let facts = std::mem::take(&mut run.facts);
    let errors = run
        .errors
        .iter()
        .take(vereda_store::screening::MAX_STORED_ERRORS)
        .map(run_error)
        .collect();
    Ok(Screened {
        errors,
        error_count: run.error_count as u64,
        progress: progresses.get(run_id).unwrap_or_default(),
        run,
        facts,
        screener,
        rules,
    })
}

/// A screened run as the engine gives it (compact rows, and each head's facts beside them),
/// shaped into the store's results one at a time as they are stored: a million households
/// are held once, not also as a million results.
struct Screened {
    run: ScreeningRun,
    /// Aligned with `run.rows`, taken out of `run`.
    facts: Vec<HeadFacts>,
    screener: Screener<'static>,
    rules: &'static RuleSet,
    errors: Vec<RunError>,
    error_count: u64,
    progress: RunProgress,
}

impl Screened {
    fn households(&self) -> usize {
        self.run.rows.len()
    }

    /// Refuses a file that holds the same household twice, before anything is stored.
    fn check_households_unique(&self) -> Result<(), vereda_store::StoreError> {
        vereda_store::screening::check_households_unique(
            self.run.rows.iter().map(|row| self.run.household_id(row)),
        )
    }

    /// The run's summary without its counts, which [`Screened::into_results`]'s caller adds
    /// as the results go by.
    fn summary(&self) -> RunSummary {
        RunSummary {
            errors: self.errors.clone(),
            error_count: self.error_count,
            progress: self.progress,
            ..RunSummary::default()
        }
    }

    /// The results in the file's order, each shaped as its turn comes; the facts move into
    /// them.
    fn into_results(self) -> impl Iterator<Item = NewScreeningResult> {
        let Screened {
            mut run,
            facts,
            screener,
            rules,
            ..
        } = self;
        let rows = std::mem::take(&mut run.rows);
        rows.into_iter()
            .zip(facts)
            .map(move |(row, facts)| NewScreeningResult {
                external_id: run.household_id(&row).to_owned(),
                line: row.line,
                municipality: row.municipality,
                household: facts.household,
                checks: row.checks,
                found_in: rules
                    .registries
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| row.checks.found_in(*index))
                    .map(|(_, registry)| registry.name.clone())
                    .collect(),
                eligible: row.outcome.is_eligible(),
                sisben_level: row.outcome.sisben_level,
                cofinancing_max_pct: screener.cofinancing_percent(&row.outcome),
                cap_smmlv: screener.cap_smmlv(&row.outcome),
                reasons: screener.reasons(&row.outcome).map(str::to_owned).collect(),
                document: facts.document,
                first_name: facts.first_name,
                last_name: facts.last_name,
            })
    }
}

/// The progress to show for a run: live while this process runs it, else as stored.
pub fn progress_of(state: &AppState, run: &vereda_store::screening::ScreeningRun) -> RunProgress {
    match state.progresses.get(run.id) {
        Some(live) if run.status.is_pending() => live,
        _ => run.progress,
    }
}

/// Marks runs left pending with no job to finish them (a process of an earlier version
/// stopped while running them) as failed, at start-up. Runs whose job is queued or running
/// are left to the job, whichever server holds it.
pub async fn fail_orphaned(store: &Store) {
    match store
        .fail_orphaned_screening_runs(
            &Actor::system("serve"),
            &Message::new("screening-error-interrupted"),
        )
        .await
    {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "screenings left without a job were marked as failed"),
        Err(error) => tracing::error!(%error, "cannot mark screenings left without a job"),
    }
}

/// Rows of the contract's `results.csv` after its header, byte for byte as `vereda screen`
/// writes them.
pub fn results_csv_lines(rows: &[vereda_store::screening::ScreeningResultRow]) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::with_capacity(rows.len() * 48);
    for row in rows {
        screening::write_csv_field(&mut out, &row.external_id);
        out.extend_from_slice(if row.eligible { b",true," } else { b",false," });
        if let Some(level) = row.sisben_level {
            out.extend_from_slice(level.to_string().as_bytes());
        }
        out.push(b',');
        if let Some(pct) = row.cofinancing_max_pct {
            out.extend_from_slice(pct.normalize().to_string().as_bytes());
        }
        out.push(b',');
        if let Some(cap) = row.cap_smmlv {
            out.extend_from_slice(cap.normalize().to_string().as_bytes());
        }
        out.push(b',');
        out.extend_from_slice(row.reasons.join(";").as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// The same columns as `results.csv`, as a spreadsheet's sheet: numbers as numbers.
pub const RESULTS_SHEET: crate::lists::SheetLayout<vereda_store::screening::ScreeningResultRow> =
    crate::lists::SheetLayout {
        name: Some("results"),
        widths: &[(0, 16.0), (5, 48.0)],
        write_row: write_result_row,
    };

fn write_result_row(
    sheet: &mut rust_xlsxwriter::Worksheet,
    line: u32,
    row: &vereda_store::screening::ScreeningResultRow,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let number = |value: Decimal| value.normalize().to_string().parse::<f64>().unwrap_or_default();
    sheet.write_string(line, 0, &row.external_id)?;
    sheet.write_boolean(line, 1, row.eligible)?;
    if let Some(level) = row.sisben_level {
        sheet.write_number(line, 2, f64::from(level))?;
    }
    if let Some(pct) = row.cofinancing_max_pct {
        sheet.write_number(line, 3, number(pct))?;
    }
    if let Some(cap) = row.cap_smmlv {
        sheet.write_number(line, 4, number(cap))?;
    }
    if !row.reasons.is_empty() {
        sheet.write_string(line, 5, row.reasons.join(";"))?;
    }
    Ok(())
}
