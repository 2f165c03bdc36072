//! Batch screening as a background job: where uploads are kept, the job key, the live
//! progress of running jobs, and the job itself (the engine of `vereda screen` on a blocking
//! thread, then one transaction in the store).
//!
//! Files live under [`Uploads::root`]:
//! - `incoming/<random>/`: a request's files while they are received and hashed;
//! - `jobs/<run id>/`: a queued or running job's files, removed when it ends;
//! - `calls/<call id>/registries/<kind>/<file>`: the registries last used by a successful
//!   run of the call, which later runs may reuse.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use jiff::civil::Date;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use vereda_domain::audit::Actor;
use vereda_domain::eligibility::{CallLimits, Screener};
use vereda_domain::message::Message;
use vereda_domain::rules::{RuleBook, RuleSet};
use vereda_screening::poverty::PovertyFileError;
use vereda_screening::screening::{self, RegistryFile, ScreeningError, ScreeningJob};
use vereda_screening::table::{ReadLimits, RowError};
use vereda_store::Store;
use vereda_store::screening::{CompletedRun, NewScreeningResult, RunError, RunProgress};

use crate::AppState;
use crate::i18n::{Arg, Lang};

/// The largest screening upload (households and registries together).
pub const SCREENING_UPLOAD_LIMIT_BYTES: usize = 1 << 30;

/// The environment variable that chooses where uploads are kept.
pub const UPLOADS_DIR_VAR: &str = "VEREDA_UPLOADS_DIR";

static RULE_BOOK: LazyLock<Result<RuleBook, String>> =
    LazyLock::new(|| RuleBook::shipped().map_err(|e| e.to_string()));

/// The rule sets the application knows: those shipped with it.
pub fn rule_book() -> Result<&'static RuleBook, String> {
    RULE_BOOK.as_ref().map_err(Clone::clone)
}

/// Where uploaded files are kept.
#[derive(Debug, Clone)]
pub struct Uploads {
    pub root: PathBuf,
}

impl Uploads {
    /// `VEREDA_UPLOADS_DIR` when set; else an `uploads` directory beside the SQLite file; else
    /// (PostgreSQL, or SQLite in memory) `vereda-uploads` in the system's temporary directory.
    pub fn for_store(store: &Store) -> Uploads {
        let root = match std::env::var(UPLOADS_DIR_VAR) {
            Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir),
            _ => match store.sqlite_file() {
                Some(file) => file
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
                    .join("uploads"),
                None => std::env::temp_dir().join("vereda-uploads"),
            },
        };
        Uploads { root }
    }

    /// A new, empty directory for a request's files.
    pub fn incoming(&self) -> std::io::Result<PathBuf> {
        let dir = self
            .root
            .join("incoming")
            .join(format!("{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Where a project document is kept: by its SHA-256, so the same file is kept once.
    pub fn document_path(&self, sha256: &str) -> PathBuf {
        self.root.join("documents").join(sha256)
    }

    pub fn job_dir(&self, run_id: i32) -> PathBuf {
        self.root.join("jobs").join(run_id.to_string())
    }

    pub fn registry_dir(&self, call_id: i32, kind: &str) -> PathBuf {
        self.root
            .join("calls")
            .join(call_id.to_string())
            .join("registries")
            .join(kind)
    }

    /// The registry of `kind` kept for a call, if any.
    pub fn stored_registry(&self, call_id: i32, kind: &str) -> Option<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.registry_dir(call_id, kind))
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && !is_partial(path))
            .collect();
        files.sort();
        files.pop()
    }

    /// Keeps `file` as the call's registry of `kind`, replacing the one kept before.
    pub fn keep_registry(&self, call_id: i32, kind: &str, file: &Path) -> std::io::Result<()> {
        let dir = self.registry_dir(call_id, kind);
        std::fs::create_dir_all(&dir)?;
        let name = file
            .file_name()
            .ok_or_else(|| std::io::Error::other("a registry file has no name"))?;
        let partial = dir.join(format!(".{}.part", name.to_string_lossy()));
        link_or_copy(file, &partial)?;
        for old in std::fs::read_dir(&dir)? {
            let old = old?.path();
            if old != partial && old.is_file() {
                std::fs::remove_file(old)?;
            }
        }
        std::fs::rename(&partial, dir.join(name))
    }
}

fn is_partial(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// A hard link where the file system allows it (registries can be large), else a copy.
pub fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(to);
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)?;
    }
    Ok(())
}

/// Writes a file while hashing it.
pub struct HashingFile {
    file: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    bytes: u64,
}

impl HashingFile {
    pub fn create(path: &Path) -> std::io::Result<HashingFile> {
        Ok(HashingFile {
            file: std::io::BufWriter::new(std::fs::File::create(path)?),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    pub fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        self.file.write_all(chunk)
    }

    /// The SHA-256 in hex and the size.
    pub fn finish(mut self) -> std::io::Result<(String, u64)> {
        self.file.flush()?;
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }
}

/// The SHA-256 of a file, in hex, and its size.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(path)?;
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex(&hasher.finalize()), bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

/// A run's failure as kept: its typed message as JSON, so it is shown in the reader's
/// language (see [`failure_text`]).
fn stored_failure(message: &Message) -> String {
    serde_json::to_string(message).unwrap_or_else(|_| message.code().to_owned())
}

/// A run's stored failure in `lang`: a typed message, or the text older runs kept.
pub fn failure_text(lang: Lang, stored: &str) -> String {
    match serde_json::from_str::<Message>(stored) {
        Ok(message) => lang.say(&message),
        Err(_) => stored.to_owned(),
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
            failure.message.as_ref().map(stored_failure),
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
    let book = rule_book().map_err(|detail| {
        Failure::message(Message::new("screening-error-rule_sets").with("detail", detail))
    })?;
    let rules = book.get(&job.rule_set_id).ok_or_else(|| {
        Failure::message(Message::new("screening-error-unknown_rule_set").with("id", &job.rule_set_id))
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
            &stored_failure(&Message::new("screening-error-interrupted")),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A failure is kept as its typed message and said in the reader's language; the text
    /// older runs kept is shown as it is.
    #[test]
    fn a_stored_failure_is_said_in_the_readers_language() {
        let message = Message::new("screening-error-unknown_rule_set").with("id", "acuerdo-999");
        let stored = stored_failure(&message);
        for lang in Lang::ALL {
            assert_eq!(failure_text(lang, &stored), lang.say(&message));
        }
        assert_eq!(
            failure_text(Lang::Es, "interrupted: the server stopped"),
            "interrupted: the server stopped"
        );
    }
}
