//! Batch screening as a background job: the job key, the live progress of running jobs, and
//! the job itself (the engine of `vereda screen` on a blocking thread, then one transaction in
//! the store). Its files are kept by [`crate::uploads::Uploads`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use vereda_domain::audit::Actor;
use vereda_domain::eligibility::{CallLimits, Screener};
use vereda_domain::rules::RuleSet;
use vereda_screening::poverty::PovertyFileError;
use vereda_screening::screening::{self, RegistryFile, ScreeningError, ScreeningJob};
use vereda_screening::table::{ReadLimits, RowError};
use vereda_store::Store;
use vereda_store::screening::{CompletedRun, NewScreeningResult, RunError, RunProgress};

use crate::AppState;
use crate::i18n::{Arg, Lang, Message};
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

/// A screening to run: the run's id and its files, already in the job's directory.
#[derive(Debug, Clone)]
pub struct Job {
    pub run_id: i32,
    pub call_id: i32,
    pub actor: Actor,
    pub dir: PathBuf,
    pub households: PathBuf,
    pub registries: Vec<RegistryFile>,
    /// The registries uploaded with this job, to keep for the call if it succeeds.
    pub uploaded: Vec<RegistryFile>,
    pub rule_set_id: String,
    pub as_of: Date,
    pub limits: CallLimits,
    pub keep_going: bool,
    /// How much the files may hold ([`crate::WebConfig::read_limits`]).
    pub read_limits: ReadLimits,
}

/// Runs a job in the background; its run row says how it ended.
pub fn spawn(state: AppState, job: Job) {
    tokio::spawn(async move {
        let run_id = job.run_id;
        run(&state, &job).await;
        state.progresses.remove(run_id);
        if let Err(error) = std::fs::remove_dir_all(&job.dir) {
            tracing::warn!(run_id, %error, "cannot remove the job's files");
        }
    });
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

async fn run(state: &AppState, job: &Job) {
    let store = &state.store;
    let run_id = job.run_id;
    state.progresses.update(run_id, |_| {});
    if let Err(error) = store.start_screening_run(&job.actor, run_id).await {
        tracing::error!(run_id, %error, "cannot mark the screening as running");
    }
    let blocking_job = job.clone();
    let progresses = state.progresses.clone();
    let screened = tokio::task::spawn_blocking(move || screen(&blocking_job, &progresses))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(run_id, %error, "the screening stopped unexpectedly");
            Err(Failure::message(Message::new("screening-error-stopped")))
        });
    let progress = state.progresses.get(run_id).unwrap_or_default();
    let failure = match screened {
        Ok(completed) => {
            let progresses = state.progresses.clone();
            let stored = move |n: u64| progresses.update(run_id, |p| p.stored = n);
            match store
                .complete_screening_run(&job.actor, run_id, completed, &stored)
                .await
            {
                Ok((run, counts)) => {
                    tracing::info!(
                        run_id,
                        households = run.households_total,
                        eligible = run.eligible_total,
                        ?counts,
                        "screening stored"
                    );
                    for registry in &job.uploaded {
                        if let Err(error) =
                            state
                                .uploads
                                .keep_registry(job.call_id, &registry.name, &registry.path)
                        {
                            tracing::warn!(run_id, registry = %registry.name, %error, "cannot keep the registry for the call");
                        }
                    }
                    return;
                }
                Err(error) => {
                    let reference = crate::error::AppError::internal(&error)
                        .detail
                        .unwrap_or_default();
                    Failure::message(Message::new("screening-error-not_stored").with("reference", reference))
                }
            }
        }
        Err(failure) => failure,
    };
    if let Err(error) = store
        .fail_screening_run(
            &job.actor,
            run_id,
            failure.message,
            &failure.errors,
            failure.error_count,
            progress,
        )
        .await
    {
        tracing::error!(run_id, %error, "cannot record the failed screening");
    }
}

/// What is wrong with an IPM file, in `lang`: for bad rows a summary, then each row naming
/// file, line, column and value, then how many more were not listed.
pub fn poverty_file_errors(lang: Lang, error: &PovertyFileError) -> Vec<String> {
    match error {
        PovertyFileError::Rows { errors, error_count } => {
            let mut lines = vec![lang.t_with("row-error-ipm_summary", &[("count", Arg::from(*error_count))])];
            lines.extend(errors.iter().map(|e| lang.say(&e.located())));
            let unlisted = error_count.saturating_sub(errors.len());
            if unlisted > 0 {
                lines.push(lang.t_with("row-error-more", &[("count", Arg::from(unlisted))]));
            }
            lines
        }
        PovertyFileError::Table(table) => vec![lang.say(&table.message())],
    }
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

/// Screens the job's files (on a blocking thread) and shapes the results for the store.
fn screen(job: &Job, progresses: &Progresses) -> Result<CompletedRun, Failure> {
    let book = rule_book().map_err(|error| {
        tracing::error!(%error, "the shipped rule sets do not load");
        Failure::message(Message::new("screening-error-stopped"))
    })?;
    let rules = book.get(&job.rule_set_id).ok_or_else(|| {
        Failure::message(
            Message::new("screening-error-unknown_rule_set").with("id", job.rule_set_id.as_str()),
        )
    })?;
    let screener = Screener::new(rules, job.as_of, job.limits);
    let engine_job = ScreeningJob {
        households: job.households.clone(),
        registries: job.registries.clone(),
        screener: &screener,
        keep_going: job.keep_going,
        explain: None,
        keep_facts: true,
        read_limits: job.read_limits,
    };
    let run_id = job.run_id;
    let report = |p: screening::Progress| {
        progresses.update(run_id, |progress| {
            progress.bytes_read = p.bytes_read;
            progress.total_bytes = p.total_bytes;
            progress.rows = p.rows;
        })
    };
    let run = screening::screen(&engine_job, &report).map_err(|error| match error {
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
    let results = run
        .rows
        .iter()
        .zip(&run.facts)
        .map(|(row, facts)| NewScreeningResult {
            external_id: run.household_id(row).to_owned(),
            line: row.line,
            municipality: row.municipality,
            household: facts.household.clone(),
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
            document: facts.document.clone(),
            first_name: facts.first_name.clone(),
            last_name: facts.last_name.clone(),
        })
        .collect();
    Ok(CompletedRun {
        results,
        errors: run
            .errors
            .iter()
            .take(vereda_store::screening::MAX_STORED_ERRORS)
            .map(run_error)
            .collect(),
        error_count: run.error_count as u64,
        progress: progresses.get(run_id).unwrap_or_default(),
    })
}

/// The progress to show for a run: live while this process runs it, else as stored.
pub fn progress_of(state: &AppState, run: &vereda_store::screening::ScreeningRun) -> RunProgress {
    match state.progresses.get(run.id) {
        Some(live) if run.status.is_pending() => live,
        _ => run.progress,
    }
}

/// Marks runs left pending by an earlier process as failed (at start-up).
pub async fn fail_interrupted(store: &Store) {
    match store
        .fail_interrupted_screening_runs(
            &Actor::system("serve"),
            &Message::new("screening-error-interrupted"),
        )
        .await
    {
        Ok(0) => {}
        Ok(count) => tracing::warn!(count, "screenings interrupted by a restart were marked as failed"),
        Err(error) => tracing::error!(%error, "cannot mark interrupted screenings"),
    }
}

/// The contract's `results.csv`, byte for byte as `vereda screen` writes it.
pub fn results_csv(rows: &[vereda_store::screening::ScreeningResultRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + rows.len() * 48);
    out.extend_from_slice(screening::RESULTS_HEADER.as_bytes());
    out.push(b'\n');
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
    out
}

/// The same columns as `results.csv`, as a spreadsheet.
pub fn results_xlsx(
    rows: &[vereda_store::screening::ScreeningResultRow],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("results")?;
    for (column, header) in screening::RESULTS_HEADER.split(',').enumerate() {
        sheet.write_string(0, column as u16, header)?;
    }
    let number = |value: Decimal| value.normalize().to_string().parse::<f64>().unwrap_or_default();
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
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
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(5, 48)?;
    workbook.save_to_buffer()
}
