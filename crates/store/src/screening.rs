//! Batch screening runs and the screening result of each household of a call.
//!
//! A run records one job: the files given (by hash), the rule set, the date and the call's
//! limits, and its status. The job key (computed by the caller from all of those) is unique
//! per call, so the same job submitted twice reuses its run. Results are kept per household
//! of the call, keyed by `(call_id, external_id)`: a later run over the same households
//! updates them rather than adding rows. A run's results are stored in chunks, each one short
//! transaction of multi-row statements that also moves the run's job's checkpoint, so a job
//! taken over by another server resumes after the last chunk stored. The audit log holds the
//! run once (its files by hash, its totals) and one entry per stored row a run changed; rows a
//! run creates are covered by the run's entry, which names the files they come from.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use vereda_domain::accounts::Permission;

use jiff::civil::Date;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use vereda_domain::audit::Actor;
use vereda_domain::eligibility::{CallLimits, CrossChecks, Household};
use vereda_domain::household::{LandTenure, mask_document, normalize_document};
use vereda_domain::program::ProgramLine;
use vereda_domain::territory::DaneCode;
use vereda_domain::verification::VerificationStatus;

use crate::audit::{self, Change};
use crate::entity::{call, household, person, screening_result, screening_run};
use crate::types::{DbDate, DbTimestamp, Dec};
use crate::{Message, Store, StoreError, StoreResult, corrupt, is_unique_violation};

/// How many rows one statement writes.
pub const ROWS_PER_STATEMENT: usize = 500;

/// How many results one transaction stores: a chunk is the longest any other writer waits
/// for a screening, and the unit a job resumes from. On SQLite each commit writes every page
/// it changed, so larger chunks write less (3,000: a million households stored in about 57 s
/// instead of 62 s, other writers' p99 about 140 ms, `bench/RESULTS.md`).
pub const ROWS_PER_CHUNK: usize = 3_000;

/// How many row errors a run keeps (the rest are only counted).
pub const MAX_STORED_ERRORS: usize = 100;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    /// Queued or running.
    pub fn is_pending(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown screening status {text:?}"))
    }
}

impl Serialize for RunStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How far a run has got: bytes of the household file read, rows screened, results stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunProgress {
    pub bytes_read: u64,
    pub total_bytes: u64,
    pub rows: u64,
    pub stored: u64,
}

/// A bad row of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    /// What is wrong, as a typed message. Runs stored before messages were typed kept
    /// English text: it reads back as `row-error-legacy` with that text.
    #[serde(deserialize_with = "message_or_text")]
    pub message: Message,
}

/// A stored message: its JSON, or the text older records kept in its place.
fn typed_or_legacy(stored: &str) -> Message {
    serde_json::from_str(stored).unwrap_or_else(|_| Message::new("row-error-legacy").with("text", stored))
}

/// A message as a text column keeps it.
fn message_text(message: &Message) -> StoreResult<String> {
    serde_json::to_string(message).map_err(|e| StoreError::Fault(format!("cannot store a message: {e}")))
}

/// A typed message, or the text that older records kept in its place.
fn message_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Message, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Typed(Message),
        Text(String),
    }
    Ok(match Stored::deserialize(deserializer)? {
        Stored::Typed(message) => message,
        Stored::Text(text) => Message::new("row-error-legacy").with("text", text),
    })
}

impl RunError {
    /// The error as an account without `ViewFullDocuments` sees it: the input's rows are a
    /// household's personal data, so the cell's value goes, here and where the message quotes
    /// it (`vereda_domain::privacy`); the file, line and column stay.
    pub fn masked(&self) -> RunError {
        use vereda_domain::privacy::{HIDDEN, PersonalField};
        let mut masked = self.clone();
        if !self.value.is_empty() {
            masked.message = self.message.hiding(self.value.as_str(), HIDDEN);
        }
        masked.value = PersonalField::Text.mask(&self.value);
        masked
    }
}

/// A file given to a run: `households` or a registry kind, its name as uploaded, its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInput {
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
    pub bytes: u64,
    /// The text's encoding for a CSV file (`utf-8`, `windows-1252`), as it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// A job to record before it runs.
#[derive(Debug, Clone)]
pub struct NewScreeningRun {
    pub call_id: i32,
    pub rule_set_id: String,
    pub rule_set_hash: String,
    pub as_of: Date,
    pub limits: CallLimits,
    pub keep_going: bool,
    pub job_key: String,
    pub inputs: Vec<RunInput>,
}

/// A run as the application shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningRun {
    pub id: i32,
    pub call_id: i32,
    pub status: RunStatus,
    pub rule_set_id: String,
    pub rule_set_hash: String,
    pub as_of: Date,
    pub arel_max_pct: Option<Decimal>,
    pub arel_cap_smmlv: Option<Decimal>,
    pub keep_going: bool,
    pub job_key: String,
    pub inputs: Vec<RunInput>,
    pub households_total: u64,
    pub eligible_total: u64,
    pub error_count: u64,
    pub errors: Vec<RunError>,
    /// Why a run stored nothing, as a typed message (older runs' text reads back as
    /// `row-error-legacy`).
    pub failure: Option<Message>,
    pub progress: RunProgress,
    pub created_by: Option<i32>,
    pub created_at: jiff::Timestamp,
    pub finished_at: Option<jiff::Timestamp>,
}

impl ScreeningRun {
    /// The call's limits the run screened with.
    pub fn limits(&self) -> CallLimits {
        CallLimits {
            max_percent: self.arel_max_pct,
            cap_smmlv: self.arel_cap_smmlv,
        }
    }
}

/// What [`Store::submit_screening_run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    /// A new run, queued: screen it.
    Queued,
    /// A run that had failed, queued again: screen it.
    Retried,
    /// The same job was already run or is running: nothing to do.
    Reused,
}

/// One screened household, as [`Store::complete_screening_run`] stores it.
#[derive(Debug, Clone)]
pub struct NewScreeningResult {
    /// The household's id in the file.
    pub external_id: String,
    pub line: u32,
    pub municipality: DaneCode,
    pub household: Household,
    pub checks: CrossChecks,
    /// The names of the registries that hold the head's document.
    pub found_in: Vec<String>,
    pub eligible: bool,
    pub sisben_level: Option<u8>,
    pub cofinancing_max_pct: Option<Decimal>,
    pub cap_smmlv: Option<Decimal>,
    /// The codes that fired, in byte order.
    pub reasons: Vec<String>,
    /// The head's document number as written in the file.
    pub document: String,
    pub first_name: String,
    pub last_name: String,
}

/// The end of a run that screened: its results, and the bad rows it skipped (`keep_going`).
#[derive(Debug, Clone, Default)]
pub struct CompletedRun {
    pub results: Vec<NewScreeningResult>,
    pub errors: Vec<RunError>,
    pub error_count: u64,
    pub progress: RunProgress,
}

/// What storing a run's results changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredCounts {
    pub households_created: u64,
    pub households_updated: u64,
    pub results_created: u64,
    pub results_updated: u64,
}

impl StoredCounts {
    pub fn add(&mut self, other: StoredCounts) {
        self.households_created += other.households_created;
        self.households_updated += other.households_updated;
        self.results_created += other.results_created;
        self.results_updated += other.results_updated;
    }
}

/// The job a chunk of work belongs to, and the server that holds its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub job_id: i32,
    pub owner: String,
}

/// Ends the run's job (if it has one) as `succeeded` or not, and reads the run, in `txn`.
/// None when the job's lease is no longer its holder's: the run is another server's now.
async fn run_ending_its_job(
    txn: &crate::WriteTransaction,
    id: i32,
    job: Option<&JobLease>,
    succeeded: bool,
) -> StoreResult<Option<screening_run::Model>> {
    if let Some(job) = job
        && !crate::jobs::finish_job_in(txn, job.job_id, &job.owner, succeeded).await?
    {
        return Ok(None);
    }
    let run = screening_run::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "screening run",
            id: id.to_string(),
        })?;
    Ok(Some(run))
}

/// Why a run failed: a message for the whole run, the rows refused (the first hundred kept)
/// and how far it got.
#[derive(Debug, Clone, Default)]
pub struct RunFailure {
    pub message: Option<Message>,
    pub errors: Vec<RunError>,
    pub error_count: u64,
    pub progress: RunProgress,
}

/// A run's totals once all its results are stored.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// The run's results counted ([`ScreeningCounts::count`]), kept with the run.
    pub counts: ScreeningCounts,
    pub households_total: u64,
    pub eligible_total: u64,
    pub errors: Vec<RunError>,
    pub error_count: u64,
    pub progress: RunProgress,
}

impl RunSummary {
    pub fn of(completed: &CompletedRun) -> RunSummary {
        let mut summary = RunSummary {
            errors: completed.errors.clone(),
            error_count: completed.error_count,
            progress: completed.progress,
            ..RunSummary::default()
        };
        for result in &completed.results {
            summary.count(result);
        }
        summary
    }

    /// Counts one more of the run's results (a job counts them as it shapes them, one chunk
    /// at a time).
    pub fn count(&mut self, result: &NewScreeningResult) {
        self.counts.count(result);
        self.households_total += 1;
        self.eligible_total += u64::from(result.eligible);
    }
}

/// Refuses results that hold the same household twice (before any is stored), given their
/// households' ids in the file.
pub fn check_households_unique<'a>(external_ids: impl ExactSizeIterator<Item = &'a str>) -> StoreResult<()> {
    let mut seen = HashSet::with_capacity(external_ids.len());
    for external_id in external_ids {
        if !seen.insert(external_id) {
            return Err(StoreError::Invalid(
                Message::new("screening-error-repeated_household").with("household", external_id),
            ));
        }
    }
    Ok(())
}

/// Which results to list.
#[derive(Debug, Clone, Default)]
pub struct ResultQuery {
    pub run_id: i32,
    /// Only households for which this reason code fired.
    pub reason: Option<String>,
    pub municipality_code: Option<String>,
    /// `Some(None)`: only households whose score falls in no level.
    pub sisben_level: Option<Option<u8>>,
    pub eligible: Option<bool>,
    pub offset: u64,
    /// Keyset paging: only the results after this position of the input (the API's cursor);
    /// `total` still counts every match.
    pub after_position: Option<i32>,
    /// At most 1000; 50 when 0.
    pub limit: u64,
    /// Only the households within the reader's reach (their municipality's department).
    pub reach: vereda_domain::accounts::Reach,
    /// Words to find in the household's search key (head's name, document, id), accents and
    /// case aside; every word must appear.
    pub search: String,
    /// A code of [`RESULT_SORTS`]; anything else is input order.
    pub sort: String,
    pub descending: bool,
    /// Keyset paging in the query's order (downloads): the results after this household's.
    pub after_household: Option<i32>,
}

/// Where a page deep in municipality order begins ([`ResultQuery::place_of_offset`]).
struct PageStart {
    place: String,
    /// The place's matches before the page.
    before: u64,
    /// The place's matches.
    matches: u64,
}

/// The sorts of a run's results: input order (the default), the household's id, the
/// municipality. Each then by household, which a run holds once.
pub const RESULT_SORTS: [&str; 3] = ["fila", "hogar", "municipio"];

impl ResultQuery {
    /// How many results match, from the run's counts, when they hold the answer: within the
    /// reader's reach and a municipality, eligible or not (the counts by municipality), or for
    /// one reason (the reasons by municipality); or nationally, by one Sisbén level. `None` for
    /// a search or another combination, which is counted in the query.
    fn total_in(&self, counts: &ScreeningCounts) -> Option<u64> {
        use vereda_domain::accounts::Reach;
        if !self.search.trim().is_empty() {
            return None;
        }
        let municipality = self.municipality_code.as_deref().filter(|c| !c.is_empty());
        let reason = self.reason.as_deref().filter(|c| !c.is_empty());
        match (reason, self.sisben_level) {
            (None, None) => Some(self.matches_by_place(counts)?.iter().map(|(_, n)| n).sum()),
            (None, Some(level)) if municipality.is_none() && self.reach == Reach::National => Some(
                counts
                    .by_sisben_level
                    .get(&level)
                    .map_or(0, |group| self.of_group(group)),
            ),
            (Some(code), None)
                if municipality.is_none() && self.eligible.is_none() && self.reach == Reach::National =>
            {
                Some(counts.by_reason.get(code).copied().unwrap_or(0))
            }
            // A reason within a municipality or a reader's reach: from the run's reasons by
            // municipality, which counts kept before them lack (those are counted).
            (Some(code), None) if self.eligible.is_none() => {
                counts.reasons_by_municipality.as_ref().map(|places| {
                    places
                        .iter()
                        .filter(|(place, _)| self.within_place(place))
                        .filter_map(|(_, reasons)| reasons.get(code))
                        .sum()
                })
            }
            _ => None,
        }
    }

    /// Whether a municipality is within the reader's reach and the query's municipality.
    fn within_place(&self, code: &str) -> bool {
        self.reach.covers(code)
            && self
                .municipality_code
                .as_deref()
                .filter(|c| !c.is_empty())
                .is_none_or(|m| m == code)
    }

    /// How many of a group's households the query's eligibility selects.
    fn of_group(&self, group: &GroupCount) -> u64 {
        match self.eligible {
            None => group.households,
            Some(true) => group.eligible,
            Some(false) => group.households.saturating_sub(group.eligible),
        }
    }

    /// The matches in each municipality the query selects, in the codes' order, from the run's
    /// counts: `None` when the counts do not hold them (a search, a reason, a Sisbén level).
    fn matches_by_place<'a>(&self, counts: &'a ScreeningCounts) -> Option<Vec<(&'a str, u64)>> {
        let selects_more = !self.search.trim().is_empty()
            || self.reason.as_deref().is_some_and(|c| !c.is_empty())
            || self.sisben_level.is_some();
        if selects_more {
            return None;
        }
        Some(
            counts
                .by_municipality
                .iter()
                .filter(|(code, _)| self.within_place(code))
                .map(|(code, group)| (code.as_str(), self.of_group(group)))
                .collect(),
        )
    }

    /// Where a page at `offset` in municipality order begins, from the run's counts: its first
    /// municipality, how many of that municipality's matches come before the page, and how
    /// many it has. The municipalities before it are then passed over in the households'
    /// index, not joined to their results one by one (a page deep in a million took 0.4 s so).
    fn place_of_offset(&self, counts: &ScreeningCounts, offset: u64) -> Option<PageStart> {
        let mut places = self.matches_by_place(counts)?;
        if self.descending {
            places.reverse();
        }
        let mut passed = 0;
        for (code, matches) in places {
            if offset < passed + matches {
                return Some(PageStart {
                    place: code.to_owned(),
                    before: offset - passed,
                    matches,
                });
            }
            passed += matches;
        }
        None
    }

    /// The query's filters and search; with `keyset`, its cursors too. With `joined`, the
    /// query joins the results' households (the sort by municipality) and the place and search
    /// apply to them, whose index by (call, municipality) then serves the order.
    ///
    /// A run's results have no index by municipality: a million entries at random places of
    /// it were a fifth of what SQLite's storing of a million households took, and a page in
    /// the file's order reads the run's results in that order, filtering them as it goes, with
    /// it or without it. A result's municipality is its household's: both are written from
    /// the same row of the file by the same chunk, and only a new screening moves a household,
    /// rewriting its result with it.
    fn condition(&self, keyset: bool, joined: bool) -> sea_orm::Condition {
        use household::Column as H;
        use screening_result::Column as C;
        let mut condition = sea_orm::Condition::all().add(C::RunId.eq(self.run_id));
        condition = if joined {
            condition
                .add(Expr::col((household::Entity, H::CallId)).eq(self.run_call()))
                .add(self.place_condition(H::MunicipalityCode))
        } else {
            condition.add(self.place_condition(C::MunicipalityCode))
        };
        if let Some(code) = self.reason.as_deref().filter(|c| !c.is_empty()) {
            let escaped = crate::like_escaped(code);
            let pattern = LikeExpr::new(format!("%;{escaped};%")).escape('\\');
            condition = condition.add(Expr::cust("(';' || reasons || ';')").like(pattern));
        }
        match self.sisben_level {
            Some(Some(level)) => condition = condition.add(C::SisbenLevel.eq(i16::from(level))),
            Some(None) => condition = condition.add(C::SisbenLevel.is_null()),
            None => {}
        }
        if let Some(eligible) = self.eligible {
            condition = condition.add(C::Eligible.eq(eligible));
        }
        if !self.search.trim().is_empty() {
            let words = crate::lists::search_condition(H::SearchKey, &self.search);
            if joined {
                condition = condition.add(words);
            } else {
                // The run's call's households that match: the search key is the household's.
                let found = sea_orm::sea_query::Query::select()
                    .column(H::Id)
                    .from(household::Entity)
                    .and_where(Expr::col((household::Entity, H::CallId)).eq(self.run_call()))
                    .cond_where(words)
                    .to_owned();
                condition = condition.add(C::HouseholdId.in_subquery(found));
            }
        }
        if keyset {
            if let Some(after) = self.after_position {
                condition = condition.add(if self.descending {
                    C::Position.lt(after)
                } else {
                    C::Position.gt(after)
                });
            }
            if let Some(after) = self.after_household {
                let side = crate::lists::Side::After;
                condition = condition.add(if joined {
                    crate::lists::keyset(
                        Some(H::MunicipalityCode),
                        H::Id,
                        self.descending,
                        i64::from(after),
                        side,
                    )
                } else {
                    crate::lists::keyset(
                        Some(self.sort_column()),
                        C::HouseholdId,
                        self.descending,
                        i64::from(after),
                        side,
                    )
                });
            }
        }
        condition
    }

    /// The reader's reach and the query's municipality on a municipality `column` (the
    /// result's own, or its household's when the page joins them): [`Self::within_place`]
    /// in SQL.
    fn place_condition<Place: ColumnTrait>(&self, column: Place) -> sea_orm::Condition {
        let mut condition = crate::scope::municipality_within(column, &self.reach);
        if let Some(code) = self.municipality_code.as_deref().filter(|c| !c.is_empty()) {
            condition = sea_orm::Condition::all().add(condition).add(column.eq(code));
        }
        condition
    }

    /// The run's call, as a subquery: the households a result may be read through.
    fn run_call(&self) -> Expr {
        let call = sea_orm::sea_query::Query::select()
            .column(screening_run::Column::CallId)
            .from(screening_run::Entity)
            .and_where(screening_run::Column::Id.eq(self.run_id))
            .to_owned();
        Expr::SubQuery(None, Box::new(call.into()))
    }

    /// Whether the page is read in its households' order (by municipality, then household),
    /// which their index by (call, municipality) holds.
    fn in_household_order(&self) -> bool {
        self.sort == "municipio"
    }

    /// Whether the results come in the file's order: a download then walks them by
    /// `after_position`, in any other sort by `after_household`.
    pub fn in_file_order(&self) -> bool {
        !RESULT_SORTS[1..].contains(&self.sort.as_str())
    }

    fn sort_column(&self) -> screening_result::Column {
        use screening_result::Column as C;
        match self.sort.as_str() {
            "hogar" => C::ExternalId,
            "municipio" => C::MunicipalityCode,
            _ => C::Position,
        }
    }
}

/// The columns of a result's line (no stored facts), in [`ResultLine`]'s order.
const RESULT_LINE: [screening_result::Column; 11] = [
    screening_result::Column::HouseholdId,
    screening_result::Column::ExternalId,
    screening_result::Column::Position,
    screening_result::Column::Line,
    screening_result::Column::Eligible,
    screening_result::Column::SisbenLevel,
    screening_result::Column::CofinancingMaxPct,
    screening_result::Column::CapSmmlv,
    screening_result::Column::Reasons,
    screening_result::Column::MunicipalityCode,
    screening_result::Column::HeadDocumentMasked,
];

type ResultLine = (
    i32,
    String,
    i32,
    i32,
    bool,
    Option<i16>,
    Option<Dec>,
    Option<Dec>,
    String,
    String,
    String,
);

fn row_of_line(
    (
        household_id,
        external_id,
        position,
        line,
        eligible,
        level,
        pct,
        cap,
        reasons,
        municipality_code,
        masked,
    ): ResultLine,
) -> ScreeningResultRow {
    ScreeningResultRow {
        household_id,
        external_id,
        position,
        line,
        eligible,
        sisben_level: level_of(level),
        cofinancing_max_pct: pct.map(|d| d.0),
        cap_smmlv: cap.map(|d| d.0),
        reasons: split_reasons(&reasons),
        municipality_code,
        head_document_masked: masked,
    }
}

/// One line of a results list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningResultRow {
    pub household_id: i32,
    pub external_id: String,
    pub position: i32,
    pub line: i32,
    pub eligible: bool,
    pub sisben_level: Option<u8>,
    pub cofinancing_max_pct: Option<Decimal>,
    pub cap_smmlv: Option<Decimal>,
    /// The codes that fired, in byte order.
    pub reasons: Vec<String>,
    pub municipality_code: String,
    pub head_document_masked: String,
}

/// An AREL household of group 4 in the order of Art. 38 par. 4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArelPriority {
    pub household_id: i32,
    pub external_id: String,
    pub call_year: Option<i16>,
    pub call_score: Option<Decimal>,
}

/// A page of results and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultPage {
    pub rows: Vec<ScreeningResultRow>,
    pub total: u64,
}

/// Households and eligible households in a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCount {
    pub households: u64,
    pub eligible: u64,
}

/// A run's results counted by reason, municipality and Sisbén level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningCounts {
    pub households: u64,
    pub eligible: u64,
    pub by_reason: BTreeMap<String, u64>,
    pub by_municipality: BTreeMap<String, GroupCount>,
    /// `None`: the score falls in no level.
    pub by_sisben_level: BTreeMap<Option<u8>, GroupCount>,
    /// The households for which each reason fired, by municipality (a reason filtered within
    /// a municipality or a department). `None` in counts kept before runs counted them.
    pub reasons_by_municipality: Option<BTreeMap<String, BTreeMap<String, u64>>>,
}

impl Default for ScreeningCounts {
    fn default() -> Self {
        ScreeningCounts {
            households: 0,
            eligible: 0,
            by_reason: BTreeMap::new(),
            by_municipality: BTreeMap::new(),
            by_sisben_level: BTreeMap::new(),
            reasons_by_municipality: Some(BTreeMap::new()),
        }
    }
}

impl ScreeningCounts {
    /// Counts one of a run's results as it stores it, as [`count_results`] counts the stored
    /// rows, so a finishing run need not read back what it has just written.
    pub fn count(&mut self, result: &NewScreeningResult) {
        self.households += 1;
        if result.reasons.is_empty() {
            self.eligible += 1;
        }
        let place = result.municipality.to_string();
        // Counts that lack the reasons by municipality (kept before them) keep lacking them:
        // a part of a run's would read as the whole.
        let mut reasons = self
            .reasons_by_municipality
            .as_mut()
            .map(|places| places.entry(place.clone()).or_default());
        for code in result.reasons.iter().filter(|c| !c.is_empty()) {
            *self.by_reason.entry(code.clone()).or_default() += 1;
            if let Some(reasons) = reasons.as_mut() {
                *reasons.entry(code.clone()).or_default() += 1;
            }
        }
        add(self.by_municipality.entry(place).or_default(), result.eligible, 1);
        let level = self.by_sisben_level.entry(result.sisben_level).or_default();
        add(level, result.eligible, 1);
    }
}

/// [`ScreeningCounts`] as `screening_runs.counts` keeps them (JSON maps need text keys).
#[derive(Serialize, Deserialize)]
struct StoredRunCounts {
    households: u64,
    eligible: u64,
    by_reason: BTreeMap<String, u64>,
    by_municipality: BTreeMap<String, GroupCount>,
    by_sisben_level: Vec<(Option<u8>, GroupCount)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reasons_by_municipality: Option<BTreeMap<String, BTreeMap<String, u64>>>,
}

impl From<&ScreeningCounts> for StoredRunCounts {
    fn from(counts: &ScreeningCounts) -> Self {
        StoredRunCounts {
            households: counts.households,
            eligible: counts.eligible,
            by_reason: counts.by_reason.clone(),
            by_municipality: counts.by_municipality.clone(),
            by_sisben_level: counts.by_sisben_level.iter().map(|(k, v)| (*k, *v)).collect(),
            reasons_by_municipality: counts.reasons_by_municipality.clone(),
        }
    }
}

impl From<StoredRunCounts> for ScreeningCounts {
    fn from(stored: StoredRunCounts) -> Self {
        ScreeningCounts {
            households: stored.households,
            eligible: stored.eligible,
            by_reason: stored.by_reason,
            by_municipality: stored.by_municipality,
            by_sisben_level: stored.by_sisben_level.into_iter().collect(),
            reasons_by_municipality: stored.reasons_by_municipality,
        }
    }
}

/// A household's stored decision, with what it was decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScreening {
    pub call_id: i32,
    pub run_id: i32,
    pub household_id: i32,
    pub external_id: String,
    pub line: i32,
    pub eligible: bool,
    pub sisben_level: Option<u8>,
    pub cofinancing_max_pct: Option<Decimal>,
    pub cap_smmlv: Option<Decimal>,
    pub reasons: Vec<String>,
    pub municipality_code: String,
    pub head_document_masked: String,
    pub rule_set_id: String,
    pub rule_set_hash: String,
    pub as_of: Date,
    pub household: Household,
    pub checks: CrossChecks,
    pub found_in: Vec<String>,
    pub screened_at: jiff::Timestamp,
}

/// The cross-checks as stored: the bits, the registry names they stand for, the duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredChecks {
    registries: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    found_in: Vec<String>,
    #[serde(default, skip_serializing_if = "vereda_domain::eligibility::is_false")]
    duplicate_document: bool,
    /// Absent in results stored before the call's territory was checked (Art. 5), and when
    /// false.
    #[serde(default, skip_serializing_if = "vereda_domain::eligibility::is_false")]
    outside_territory: bool,
}

fn json_error(what: &str) -> impl FnOnce(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Fault(format!("cannot record {what}: {e}"))
}

fn to_u64(value: i32) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn to_i32(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn split_reasons(text: &str) -> Vec<String> {
    text.split(';')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn level_of(value: Option<i16>) -> Option<u8> {
    value.and_then(|l| u8::try_from(l).ok())
}

fn run_from_row(row: screening_run::Model) -> StoreResult<ScreeningRun> {
    let bad = |e: &dyn fmt::Display| corrupt("screening run", row.id, e);
    Ok(ScreeningRun {
        status: row.status.parse().map_err(|e: String| bad(&e))?,
        inputs: serde_json::from_str(&row.inputs).map_err(|e| bad(&e))?,
        errors: serde_json::from_str(&row.errors).map_err(|e| bad(&e))?,
        progress: serde_json::from_str(&row.progress).map_err(|e| bad(&e))?,
        id: row.id,
        call_id: row.call_id,
        rule_set_id: row.rule_set_id,
        rule_set_hash: row.rule_set_hash,
        as_of: row.as_of.0,
        arel_max_pct: row.arel_max_pct.map(|d| d.0),
        arel_cap_smmlv: row.arel_cap_smmlv.map(|d| d.0),
        keep_going: row.keep_going,
        job_key: row.job_key,
        households_total: to_u64(row.households_total),
        eligible_total: to_u64(row.eligible_total),
        error_count: to_u64(row.error_count),
        failure: row.failure.as_deref().map(typed_or_legacy),
        created_by: row.created_by,
        created_at: row.created_at.0,
        finished_at: row.finished_at.map(|t| t.0),
    })
}

fn errors_json(errors: &[RunError]) -> StoreResult<String> {
    let kept = &errors[..errors.len().min(MAX_STORED_ERRORS)];
    serde_json::to_string(kept).map_err(json_error("the row errors"))
}

impl Store {
    /// Records a job before it runs. The same job key on the same call reuses its run, unless
    /// that run failed, in which case it is queued again.
    pub async fn submit_screening_run(
        &self,
        actor: &Actor,
        new: NewScreeningRun,
    ) -> StoreResult<(ScreeningRun, Submission)> {
        let txn = self.write_transaction().await?;
        crate::scope::check_may(
            &txn,
            actor,
            Permission::RunScreening,
            crate::scope::Target::Call(new.call_id),
        )
        .await?;
        call::Entity::find_by_id(new.call_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "call",
                id: new.call_id.to_string(),
            })?;
        let existing = screening_run::Entity::find()
            .filter(screening_run::Column::CallId.eq(new.call_id))
            .filter(screening_run::Column::JobKey.eq(new.job_key.as_str()))
            .one(&txn)
            .await?;
        let inputs = serde_json::to_string(&new.inputs).map_err(json_error("the inputs"))?;
        let progress = serde_json::to_string(&RunProgress::default()).map_err(json_error("the progress"))?;
        let (model, submission) = match existing {
            Some(before) if before.status != RunStatus::Failed.as_str() => (before, Submission::Reused),
            Some(before) => {
                let mut row = before.clone().into_active_model();
                row.status = Set(RunStatus::Queued.to_string());
                row.households_total = Set(0);
                row.eligible_total = Set(0);
                row.error_count = Set(0);
                row.errors = Set("[]".to_owned());
                row.failure = Set(None);
                row.progress = Set(progress);
                row.inputs = Set(inputs);
                row.created_by = Set(actor.user_id());
                row.finished_at = Set(None);
                row.counts = Set(None);
                (
                    audit::update(&txn, actor, &before, row).await?,
                    Submission::Retried,
                )
            }
            None => {
                let row = screening_run::ActiveModel {
                    call_id: Set(new.call_id),
                    status: Set(RunStatus::Queued.to_string()),
                    rule_set_id: Set(new.rule_set_id.clone()),
                    rule_set_hash: Set(new.rule_set_hash.clone()),
                    as_of: Set(DbDate(new.as_of)),
                    arel_max_pct: Set(new.limits.max_percent.map(Dec)),
                    arel_cap_smmlv: Set(new.limits.cap_smmlv.map(Dec)),
                    keep_going: Set(new.keep_going),
                    job_key: Set(new.job_key.clone()),
                    inputs: Set(inputs),
                    households_total: Set(0),
                    eligible_total: Set(0),
                    error_count: Set(0),
                    errors: Set("[]".to_owned()),
                    failure: Set(None),
                    progress: Set(progress),
                    created_by: Set(actor.user_id()),
                    created_at: Set(DbTimestamp::now()),
                    finished_at: Set(None),
                    ..Default::default()
                };
                match audit::insert(&txn, actor, row).await {
                    Ok(model) => (model, Submission::Queued),
                    Err(error) if is_unique_violation(&error) => {
                        // The same job was submitted at the same moment: use that run.
                        drop(txn);
                        let model = screening_run::Entity::find()
                            .filter(screening_run::Column::CallId.eq(new.call_id))
                            .filter(screening_run::Column::JobKey.eq(new.job_key.as_str()))
                            .one(&self.db)
                            .await?
                            .ok_or_else(|| StoreError::Corrupt("a screening run vanished".to_owned()))?;
                        return Ok((run_from_row(model)?, Submission::Reused));
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        };
        txn.commit().await?;
        Ok((run_from_row(model)?, submission))
    }

    /// Marks a queued run as running.
    pub async fn start_screening_run(&self, actor: &Actor, id: i32) -> StoreResult<ScreeningRun> {
        self.change_run(actor, id, |row| {
            row.status = Set(RunStatus::Running.to_string());
            Ok(())
        })
        .await
    }

    /// Marks a run failed with why, and, for a job's run, ends the job as failed in the same
    /// transaction (as [`Store::finish_screening_run`] ends it succeeded). `None` when the job's
    /// lease was lost: another server owns the run now and nothing is written.
    pub async fn fail_screening_run(
        &self,
        actor: &Actor,
        id: i32,
        job: Option<&JobLease>,
        failure: RunFailure,
    ) -> StoreResult<Option<ScreeningRun>> {
        let errors = errors_json(&failure.errors)?;
        let progress = serde_json::to_string(&failure.progress).map_err(json_error("the progress"))?;
        let txn = self.write_transaction().await?;
        let Some(before) = run_ending_its_job(&txn, id, job, false).await? else {
            return Ok(None);
        };
        let mut row = before.clone().into_active_model();
        row.status = Set(RunStatus::Failed.to_string());
        row.failure = Set(failure.message.map(|m| message_text(&m)).transpose()?);
        row.errors = Set(errors);
        row.error_count = Set(to_i32(failure.error_count));
        row.progress = Set(progress);
        row.finished_at = Set(Some(DbTimestamp::now()));
        let after = audit::update(&txn, actor, &before, row).await?;
        txn.commit().await?;
        run_from_row(after).map(Some)
    }

    /// Marks the runs left queued or running with no live job (`jobs`, kind `screening`, key
    /// the run's id) as failed: a process of an earlier version stopped while running them.
    /// A run whose job is queued or running belongs to that job, whichever server holds it.
    pub async fn fail_orphaned_screening_runs(&self, actor: &Actor, reason: &Message) -> StoreResult<u64> {
        let pending = screening_run::Entity::find()
            .filter(
                screening_run::Column::Status
                    .is_in([RunStatus::Queued.as_str(), RunStatus::Running.as_str()]),
            )
            .all(&self.db)
            .await?;
        let mut count = 0;
        for run in pending {
            let job = self
                .job_by_key(crate::jobs::JobKind::Screening, &run.id.to_string())
                .await?;
            if job.is_some_and(|job| {
                matches!(
                    job.status,
                    crate::jobs::JobStatus::Queued | crate::jobs::JobStatus::Running
                )
            }) {
                continue;
            }
            let reason = message_text(reason)?;
            self.change_run(actor, run.id, move |row| {
                row.status = Set(RunStatus::Failed.to_string());
                row.failure = Set(Some(reason));
                row.finished_at = Set(Some(DbTimestamp::now()));
                Ok(())
            })
            .await?;
            count += 1;
        }
        Ok(count)
    }

    async fn change_run(
        &self,
        actor: &Actor,
        id: i32,
        change: impl FnOnce(&mut screening_run::ActiveModel) -> StoreResult<()>,
    ) -> StoreResult<ScreeningRun> {
        let txn = self.write_transaction().await?;
        let before = screening_run::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "screening run",
                id: id.to_string(),
            })?;
        let mut row = before.clone().into_active_model();
        change(&mut row)?;
        let after = audit::update(&txn, actor, &before, row).await?;
        txn.commit().await?;
        run_from_row(after)
    }

    /// Stores a run's results against the call's households and marks it succeeded: the
    /// results in chunks of [`ROWS_PER_CHUNK`], each its own short transaction (so no other
    /// writer waits longer than a chunk), then the run's end. Each household of the file is
    /// created or updated in `households` (with its head in `persons`), and its result in
    /// `screening_results`. `stored` is told how many results are written after each chunk.
    /// A job resumes the same work from its checkpoint with [`Store::store_prepared_chunk`]
    /// and [`Store::finish_screening_run`].
    pub async fn complete_screening_run(
        &self,
        actor: &Actor,
        id: i32,
        completed: CompletedRun,
        stored: &(dyn Fn(u64) + Send + Sync),
    ) -> StoreResult<(ScreeningRun, StoredCounts)> {
        check_households_unique(completed.results.iter().map(|r| r.external_id.as_str()))?;
        let run = self.existing_screening_run(id).await?;
        let mut counts = StoredCounts::default();
        for (index, chunk) in completed.results.chunks(ROWS_PER_CHUNK).enumerate() {
            let first_position = index * ROWS_PER_CHUNK;
            let progress = RunProgress {
                stored: (first_position + chunk.len()) as u64,
                ..completed.progress
            };
            let prepared = prepare_screening_chunk(&run, chunk, first_position)?;
            let chunk_counts = self
                .store_prepared_chunk(actor, None, prepared, progress)
                .await?
                .ok_or_else(|| StoreError::Corrupt("a chunk without a job was refused".to_owned()))?;
            counts.add(chunk_counts);
            stored(progress.stored);
        }
        let run = self
            .finish_screening_run(actor, id, None, RunSummary::of(&completed))
            .await?
            .ok_or_else(|| StoreError::Corrupt("a run without a job was refused".to_owned()))?;
        Ok((run, counts))
    }

    /// How many chunks of one run a server stores at once: on PostgreSQL two transactions on
    /// two connections keep two of its processes inserting (the inserts are its work, the
    /// chunks touch different households); SQLite has one writer.
    pub fn chunks_at_once(&self) -> usize {
        if self.backend() == sea_orm::DatabaseBackend::Postgres {
            2
        } else {
            1
        }
    }

    /// Stores one chunk of a run's results (those at `first_position` on in the file): its rows
    /// built ([`prepare_screening_chunk`]), then stored ([`Store::store_prepared_chunk`]).
    pub async fn store_screening_chunk(
        &self,
        actor: &Actor,
        id: i32,
        job: Option<&JobLease>,
        chunk: &[NewScreeningResult],
        first_position: usize,
        progress: RunProgress,
    ) -> StoreResult<Option<StoredCounts>> {
        let run = self.existing_screening_run(id).await?;
        let prepared = prepare_screening_chunk(&run, chunk, first_position)?;
        self.store_prepared_chunk(actor, job, prepared, progress).await
    }

    /// Stores one chunk of a run's rows in one transaction, with the run's `progress` and, for
    /// a job, its checkpoint, both at `progress.stored`: the position a job taken over resumes
    /// from once this chunk is stored (the chunk's end when chunks are stored one after
    /// another; the start of the chunks stored at once, which may commit in any order). None
    /// when `job` is given and its lease is no longer `owner`'s: nothing was stored, the work
    /// stops. The rows every chunk shares (the call's count, the run's progress, the job's
    /// checkpoint) are written last, so chunks stored at once wait for each other only there.
    pub async fn store_prepared_chunk(
        &self,
        actor: &Actor,
        job: Option<&JobLease>,
        chunk: PreparedChunk,
        progress: RunProgress,
    ) -> StoreResult<Option<StoredCounts>> {
        let PreparedChunk {
            run_id,
            call_id,
            households,
            heads,
            results,
        } = chunk;
        let txn = self.write_transaction().await?;
        let mut counts = StoredCounts::default();
        // PostgreSQL takes a chunk's new rows as one parameter, and its held ones in one
        // statement (at most 2,000 rows of 20 columns, under its 65,535 parameters); SQLite's
        // statements bind a variable per cell, so its batches stay smaller.
        let rows_per_batch = if self.backend() == sea_orm::DatabaseBackend::Postgres {
            ROWS_PER_CHUNK
        } else {
            ROWS_PER_STATEMENT
        };
        let (mut households, mut heads, mut results) =
            (households.into_iter(), heads.into_iter(), results.into_iter());
        loop {
            let batch = Batch {
                households: households.by_ref().take(rows_per_batch).collect(),
                heads: heads.by_ref().take(rows_per_batch).collect(),
                results: results.by_ref().take(rows_per_batch).collect(),
            };
            if batch.results.is_empty() {
                break;
            }
            store_batch(&txn, actor, call_id, batch, &mut counts).await?;
        }
        crate::programs::count_households(&txn, call_id, counts.households_created).await?;
        screening_run::Entity::update_many()
            .col_expr(
                screening_run::Column::Progress,
                Expr::value(serde_json::to_string(&progress).map_err(json_error("the progress"))?),
            )
            .filter(screening_run::Column::Id.eq(run_id))
            .exec(&txn)
            .await?;
        if let Some(job) = job
            && !crate::jobs::advance_checkpoint(&txn, job.job_id, &job.owner, progress.stored).await?
        {
            return Ok(None);
        }
        txn.commit().await?;
        Ok(Some(counts))
    }

    /// Marks a run whose results are all stored as succeeded, with its totals, and ends its
    /// job in the same transaction. None when `job`'s lease is no longer `owner`'s.
    pub async fn finish_screening_run(
        &self,
        actor: &Actor,
        id: i32,
        job: Option<&JobLease>,
        summary: RunSummary,
    ) -> StoreResult<Option<ScreeningRun>> {
        let txn = self.write_transaction().await?;
        let Some(before) = run_ending_its_job(&txn, id, job, true).await? else {
            return Ok(None);
        };
        let mut progress = summary.progress;
        progress.stored = summary.households_total;
        let mut row = before.clone().into_active_model();
        row.status = Set(RunStatus::Succeeded.to_string());
        row.households_total = Set(to_i32(summary.households_total));
        row.eligible_total = Set(to_i32(summary.eligible_total));
        row.error_count = Set(to_i32(summary.error_count));
        row.errors = Set(errors_json(&summary.errors)?);
        row.failure = Set(None);
        row.progress = Set(serde_json::to_string(&progress).map_err(json_error("the progress"))?);
        row.finished_at = Set(Some(DbTimestamp::now()));
        // The earlier runs of the call may have lost households to this one: their stored
        // counts no longer hold, and they are counted again when read. Every earlier run's
        // row is written, those without counts too: a reader counting one
        // (`count_and_keep`) holds its row, and this waits for it and clears what it kept.
        screening_run::Entity::update_many()
            .col_expr(screening_run::Column::Counts, Expr::value(Option::<String>::None))
            .filter(screening_run::Column::CallId.eq(before.call_id))
            .filter(screening_run::Column::Id.ne(id))
            .exec(&txn)
            .await?;
        row.counts = Set(Some(
            serde_json::to_string(&StoredRunCounts::from(&summary.counts))
                .map_err(json_error("the counts"))?,
        ));
        let after = audit::update(&txn, actor, &before, row).await?;
        txn.commit().await?;
        run_from_row(after).map(Some)
    }

    /// The run of `id`, which must exist (a job's or a caller's own run).
    pub async fn existing_screening_run(&self, id: i32) -> StoreResult<ScreeningRun> {
        self.screening_run(id).await?.ok_or_else(|| StoreError::NotFound {
            entity: "screening run",
            id: id.to_string(),
        })
    }

    pub async fn screening_run(&self, id: i32) -> StoreResult<Option<ScreeningRun>> {
        screening_run::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(run_from_row)
            .transpose()
    }

    /// A call's runs, newest first.
    pub async fn screening_runs(&self, call_id: i32) -> StoreResult<Vec<ScreeningRun>> {
        screening_run::Entity::find()
            .filter(screening_run::Column::CallId.eq(call_id))
            .order_by_desc(screening_run::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(run_from_row)
            .collect()
    }

    /// A page of the results a run holds (those no later run has replaced), in input order
    /// unless sorted, and how many match.
    pub async fn screening_results(&self, query: &ResultQuery) -> StoreResult<ResultPage> {
        let stored = self.stored_counts(query.run_id).await?;
        self.screening_results_counted(query, stored.as_ref()).await
    }

    /// [`Store::screening_results`] with the run's counts already read (a page showing both
    /// reads them once with [`Store::screening_counts`]). The counts answer the usual filters
    /// without counting a million rows; a search or a combination they do not hold is counted.
    pub async fn screening_results_counted(
        &self,
        query: &ResultQuery,
        counts: Option<&ScreeningCounts>,
    ) -> StoreResult<ResultPage> {
        let total = match counts.and_then(|counts| query.total_in(counts)) {
            Some(total) => total,
            None => {
                crate::count_rows(
                    screening_result::Entity::find().filter(query.condition(false, false)),
                    &self.db,
                )
                .await?
            }
        };
        Ok(ResultPage {
            rows: self.result_rows(query, counts).await?,
            total,
        })
    }

    /// The results of a page of [`ResultQuery`], without counting them all (downloads walk a
    /// run's results with `after_household`, a chunk at a time). The stored facts are not read.
    pub async fn screening_result_rows(&self, query: &ResultQuery) -> StoreResult<Vec<ScreeningResultRow>> {
        self.result_rows(query, None).await
    }

    /// [`Store::screening_result_rows`], a page deep in municipality order begun where the
    /// run's `counts` place it.
    async fn result_rows(
        &self,
        query: &ResultQuery,
        counts: Option<&ScreeningCounts>,
    ) -> StoreResult<Vec<ScreeningResultRow>> {
        use screening_result::Column as C;
        let order = if query.descending {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        let limit = if query.limit == 0 {
            50
        } else {
            std::cmp::min(query.limit, 1000)
        };
        let mut offset = if query.after_household.is_some() || query.after_position.is_some() {
            0
        } else {
            std::cmp::min(query.offset, crate::lists::MAX_OFFSET)
        };
        // The page's keys are read first, by the index of its sort where it holds them (the
        // sort column when it is unique in a run, else the household), then its rows by those
        // keys (`lists::page_keys`).
        let joined = query.in_household_order();
        let key = if joined {
            C::HouseholdId
        } else {
            query.sort_column()
        };
        let mut page = sea_orm::sea_query::Query::select();
        page.column((screening_result::Entity, key))
            .from(screening_result::Entity)
            .cond_where(query.condition(true, joined));
        if joined {
            use household::Column as H;
            let start = counts
                .filter(|_| offset > 0)
                .and_then(|c| query.place_of_offset(c, offset));
            if let Some(start) = start {
                let first = if start.before > 0 && query.eligible.is_none() {
                    self.household_at(query, &start).await?
                } else {
                    None
                };
                match first {
                    Some(id) => {
                        page.cond_where(crate::lists::keyset_at(
                            Expr::col((household::Entity, H::MunicipalityCode)),
                            Expr::col((household::Entity, H::Id)),
                            query.descending,
                            (&start.place, id),
                            crate::lists::Side::From,
                        ));
                        offset = 0;
                    }
                    None => {
                        page.and_where(if query.descending {
                            H::MunicipalityCode.lte(start.place)
                        } else {
                            H::MunicipalityCode.gte(start.place)
                        });
                        offset = start.before;
                    }
                }
            }
            page.inner_join(
                household::Entity,
                Expr::col((household::Entity, H::Id)).equals((screening_result::Entity, C::HouseholdId)),
            )
            .order_by((household::Entity, H::MunicipalityCode), order.clone())
            .order_by((household::Entity, H::Id), order.clone());
        } else {
            page.order_by((screening_result::Entity, key), order.clone());
        }
        let mut rows = screening_result::Entity::find()
            .select_only()
            .columns(RESULT_LINE)
            .order_by(query.sort_column(), order.clone());
        if joined {
            rows = rows.order_by(C::HouseholdId, order);
        }
        page.offset(offset).limit(limit);
        let keys: Vec<sea_orm::Value> = if matches!(key, C::ExternalId) {
            crate::lists::page_keys::<String>(&self.db, &page)
                .await?
                .into_iter()
                .map(Into::into)
                .collect()
        } else {
            crate::lists::page_keys::<i32>(&self.db, &page)
                .await?
                .into_iter()
                .map(Into::into)
                .collect()
        };
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ResultLine> = rows
            .filter(C::RunId.eq(query.run_id))
            .filter(key.is_in(keys))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(row_of_line).collect())
    }

    /// The first household of a page that begins `start.before` households into its place in
    /// household order, when the run holds a result for each of the call's households there:
    /// then the households' index alone counts them off. None when the call has households
    /// there that the run does not hold (the page then joins them to the results).
    async fn household_at(&self, query: &ResultQuery, start: &PageStart) -> StoreResult<Option<i32>> {
        use household::Column as H;
        let of_place = || {
            household::Entity::find()
                .filter(Expr::col((household::Entity, H::CallId)).eq(query.run_call()))
                .filter(H::MunicipalityCode.eq(start.place.as_str()))
        };
        if crate::count_rows(of_place(), &self.db).await? != start.matches {
            return Ok(None);
        }
        let order = if query.descending {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        Ok(of_place()
            .select_only()
            .column(H::Id)
            .order_by(H::Id, order)
            .offset(start.before)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?)
    }

    /// Every result a run holds, in input order, without the stored facts (for downloads).
    pub async fn all_screening_results(&self, run_id: i32) -> StoreResult<Vec<ScreeningResultRow>> {
        self.all_screening_results_within(run_id, &vereda_domain::accounts::Reach::National)
            .await
    }

    /// Every result of a run for the households within `reach`, in input order.
    pub async fn all_screening_results_within(
        &self,
        run_id: i32,
        reach: &vereda_domain::accounts::Reach,
    ) -> StoreResult<Vec<ScreeningResultRow>> {
        use screening_result::Column as C;
        let rows: Vec<ResultLine> = screening_result::Entity::find()
            .select_only()
            .columns(RESULT_LINE)
            .filter(C::RunId.eq(run_id))
            .filter(crate::scope::municipality_within(C::MunicipalityCode, reach))
            .order_by_asc(C::Position)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(row_of_line).collect())
    }

    /// A run's results counted by reason, municipality and Sisbén level.
    pub async fn screening_counts(&self, run_id: i32) -> StoreResult<ScreeningCounts> {
        match self.stored_counts(run_id).await? {
            Some(counts) => Ok(counts),
            None => self.count_and_keep(run_id).await,
        }
    }

    /// Counts a run's results and, when the run has succeeded, keeps the counts with it: a run
    /// a later one took households from has them cleared, and the next reader counts it once
    /// for everyone after. The run's row is held while counting (`FOR UPDATE` on PostgreSQL;
    /// SQLite's write lock), so a run ending meanwhile clears them after this one keeps them,
    /// never before.
    async fn count_and_keep(&self, run_id: i32) -> StoreResult<ScreeningCounts> {
        let txn = self.write_transaction().await?;
        let Some(run) = screening_run::Entity::find_by_id(run_id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return count_results(&txn, run_id).await;
        };
        if let Some(stored) = run.counts {
            return serde_json::from_str::<StoredRunCounts>(&stored)
                .map(ScreeningCounts::from)
                .map_err(|e| corrupt("screening run counts", run_id, e));
        }
        let counts = count_results(&txn, run_id).await?;
        if run.status == RunStatus::Succeeded.to_string() {
            screening_run::Entity::update_many()
                .col_expr(
                    screening_run::Column::Counts,
                    Expr::value(
                        serde_json::to_string(&StoredRunCounts::from(&counts))
                            .map_err(json_error("the counts"))?,
                    ),
                )
                .filter(screening_run::Column::Id.eq(run_id))
                .exec(&txn)
                .await?;
            txn.commit().await?;
        }
        Ok(counts)
    }

    /// The counts the run stored when it finished, while no later run has taken households
    /// from it.
    async fn stored_counts(&self, run_id: i32) -> StoreResult<Option<ScreeningCounts>> {
        let stored = screening_run::Entity::find_by_id(run_id)
            .select_only()
            .column(screening_run::Column::Counts)
            .into_tuple::<Option<String>>()
            .one(&self.db)
            .await?
            .flatten();
        stored
            .map(|stored| {
                serde_json::from_str::<StoredRunCounts>(&stored)
                    .map(ScreeningCounts::from)
                    .map_err(|e| corrupt("screening run counts", run_id, e))
            })
            .transpose()
    }

    /// The eligible households of a run's AREL line in population group 4 (the calls of 2008 to
    /// 2011), in the order Art. 38 par. 4 attends them: by the year of their call, then by their
    /// score. Reads only the call's AREL households, so a large general-line run costs little.
    pub async fn arel_group_4_priority(&self, run_id: i32) -> StoreResult<Vec<ArelPriority>> {
        let Some(run) = screening_run::Entity::find_by_id(run_id).one(&self.db).await? else {
            return Ok(Vec::new());
        };
        let arel: Vec<i32> = household::Entity::find()
            .select_only()
            .column(household::Column::Id)
            .filter(household::Column::CallId.eq(run.call_id))
            .filter(household::Column::ProgramLine.eq(ProgramLine::Arel.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut rows = Vec::new();
        for ids in arel.chunks(ROWS_PER_STATEMENT) {
            rows.extend(
                screening_result::Entity::find()
                    .filter(screening_result::Column::RunId.eq(run_id))
                    .filter(screening_result::Column::Eligible.eq(true))
                    .filter(screening_result::Column::HouseholdId.is_in(ids.iter().copied()))
                    .order_by_asc(screening_result::Column::Position)
                    .all(&self.db)
                    .await?,
            );
        }
        let facts: Vec<Household> = rows
            .iter()
            .map(|row| serde_json::from_str(&row.facts).map_err(|e| corrupt("screening result", row.id, e)))
            .collect::<StoreResult<_>>()?;
        Ok(vereda_domain::eligibility::arel_group_4_order(&facts)
            .into_iter()
            .map(|i| ArelPriority {
                household_id: rows[i].household_id,
                external_id: rows[i].external_id.clone(),
                call_year: facts[i].arel_call_year,
                call_score: facts[i].arel_call_score,
            })
            .collect())
    }

    /// A household's stored screening, if it has been screened.
    pub async fn household_screening(&self, household_id: i32) -> StoreResult<Option<StoredScreening>> {
        let Some(row) = screening_result::Entity::find()
            .filter(screening_result::Column::HouseholdId.eq(household_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let household: Household =
            serde_json::from_str(&row.facts).map_err(|e| corrupt("screening result", row.id, e))?;
        let checks: StoredChecks =
            serde_json::from_str(&row.cross_checks).map_err(|e| corrupt("screening result", row.id, e))?;
        Ok(Some(StoredScreening {
            call_id: row.call_id,
            run_id: row.run_id,
            household_id: row.household_id,
            line: row.line,
            eligible: row.eligible,
            sisben_level: level_of(row.sisben_level),
            cofinancing_max_pct: row.cofinancing_max_pct.map(|d| d.0),
            cap_smmlv: row.cap_smmlv.map(|d| d.0),
            reasons: split_reasons(&row.reasons),
            as_of: row.as_of.0,
            household,
            checks: CrossChecks {
                registries: checks.registries,
                duplicate_document: checks.duplicate_document,
                outside_territory: checks.outside_territory,
            },
            found_in: checks.found_in,
            screened_at: row.screened_at.0,
            external_id: row.external_id,
            municipality_code: row.municipality_code,
            head_document_masked: row.head_document_masked,
            rule_set_id: row.rule_set_id,
            rule_set_hash: row.rule_set_hash,
        }))
    }
}

impl Store {
    /// What the screening of a call decided about each of `external_ids` that it screened:
    /// eligible or not, the co-financing percentage and cap, and the reason codes. Ids the
    /// call has not screened are absent from the map. One query per thousand ids.
    pub async fn screening_caps(
        &self,
        call_id: i32,
        external_ids: &[String],
    ) -> StoreResult<HashMap<String, ScreeningCap>> {
        if external_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut rows = Vec::with_capacity(external_ids.len());
        for ids in external_ids.chunks(crate::IN_LIST_LIMIT) {
            rows.extend(
                screening_result::Entity::find()
                    .filter(screening_result::Column::CallId.eq(call_id))
                    .filter(screening_result::Column::ExternalId.is_in(ids.iter().cloned()))
                    .all(&self.db)
                    .await?,
            );
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                // The facts the formulation checks of Chapter IX need (Art. 40.2, 43).
                let facts: Option<Household> = serde_json::from_str(&row.facts).ok();
                let facts = facts.as_ref();
                (
                    row.external_id,
                    ScreeningCap {
                        eligible: row.eligible,
                        cofinancing_max_pct: row.cofinancing_max_pct.map(|d| d.0),
                        cap_smmlv: row.cap_smmlv.map(|d| d.0),
                        reasons: row.reasons,
                        program_line: facts.map_or(ProgramLine::General, |h| h.program_line),
                        land_tenure: facts.map(|h| h.land_tenure),
                        land_restrictions: facts.is_some_and(|h| h.land_restrictions),
                        land_contract_years: facts
                            .and_then(|h| h.land_contract_end)
                            .map(|end| whole_years(row.as_of.0, end)),
                    },
                )
            })
            .collect())
    }
}

/// A call's screening decision on one household, as a formulation takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningCap {
    pub eligible: bool,
    pub cofinancing_max_pct: Option<Decimal>,
    pub cap_smmlv: Option<Decimal>,
    /// The reason codes that fired, joined by `;`.
    pub reasons: String,
    pub program_line: ProgramLine,
    /// The tenure of the parcel, as screened (Art. 40.2 is checked at formulation).
    pub land_tenure: Option<LandTenure>,
    pub land_restrictions: bool,
    /// Whole years the lease or comodato runs from the screening date.
    pub land_contract_years: Option<u16>,
}

/// Whole years from `from` to `to`; 0 when `to` comes first.
fn whole_years(from: Date, to: Date) -> u16 {
    let mut years = i32::from(to.year()) - i32::from(from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    u16::try_from(Ord::max(years, 0)).unwrap_or(0)
}

fn add(group: &mut GroupCount, eligible: bool, n: i64) {
    let n = u64::try_from(n).unwrap_or(0);
    group.households += n;
    if eligible {
        group.eligible += n;
    }
}

/// A run's results counted by reason (within each municipality), municipality and Sisbén
/// level: three GROUP BYs over the rows the run holds.
async fn count_results(db: &impl ConnectionTrait, run_id: i32) -> StoreResult<ScreeningCounts> {
    use screening_result::Column as C;
    let mine = || {
        screening_result::Entity::find()
            .select_only()
            .filter(C::RunId.eq(run_id))
    };
    let mut counts = ScreeningCounts::default();
    let by_reasons: Vec<(String, String, i64)> = mine()
        .column(C::MunicipalityCode)
        .column(C::Reasons)
        .column_as(Expr::col(C::Id).count(), "n")
        .group_by(C::MunicipalityCode)
        .group_by(C::Reasons)
        .into_tuple()
        .all(db)
        .await?;
    let mut places = BTreeMap::new();
    for (place, reasons, n) in by_reasons {
        let n = u64::try_from(n).unwrap_or(0);
        counts.households += n;
        if reasons.is_empty() {
            counts.eligible += n;
        }
        let place: &mut BTreeMap<String, u64> = places.entry(place).or_default();
        for code in split_reasons(&reasons) {
            *place.entry(code.clone()).or_default() += n;
            *counts.by_reason.entry(code).or_default() += n;
        }
    }
    counts.reasons_by_municipality = Some(places);
    let by_municipality: Vec<(String, bool, i64)> = mine()
        .column(C::MunicipalityCode)
        .column(C::Eligible)
        .column_as(Expr::col(C::Id).count(), "n")
        .group_by(C::MunicipalityCode)
        .group_by(C::Eligible)
        .into_tuple()
        .all(db)
        .await?;
    for (code, eligible, n) in by_municipality {
        let group = counts.by_municipality.entry(code).or_default();
        add(group, eligible, n);
    }
    let by_level: Vec<(Option<i16>, bool, i64)> = mine()
        .column(C::SisbenLevel)
        .column(C::Eligible)
        .column_as(Expr::col(C::Id).count(), "n")
        .group_by(C::SisbenLevel)
        .group_by(C::Eligible)
        .into_tuple()
        .all(db)
        .await?;
    for (level, eligible, n) in by_level {
        let group = counts.by_sisben_level.entry(level_of(level)).or_default();
        add(group, eligible, n);
    }
    Ok(counts)
}

/// Whether a household's decision changed between two runs (not merely the run, its date or
/// the row's position): only such a change is an audit entry of its own.
fn decision_changed(before: &screening_result::Model, after: &screening_result::Model) -> bool {
    (
        before.eligible,
        before.sisben_level,
        before.cofinancing_max_pct,
        before.cap_smmlv,
        &before.reasons,
        &before.municipality_code,
        &before.head_document_masked,
        &before.rule_set_hash,
    ) != (
        after.eligible,
        after.sisben_level,
        after.cofinancing_max_pct,
        after.cap_smmlv,
        &after.reasons,
        &after.municipality_code,
        &after.head_document_masked,
        &after.rule_set_hash,
    ) || json_differs::<Household>(&before.facts, &after.facts)
        || json_differs::<StoredChecks>(&before.cross_checks, &after.cross_checks)
}

/// Whether two stored JSON texts say different things: results stored before facts were
/// written compactly spell out every default, and are the same facts.
fn json_differs<T: serde::de::DeserializeOwned + PartialEq>(before: &str, after: &str) -> bool {
    before != after
        && match (
            serde_json::from_str::<T>(before),
            serde_json::from_str::<T>(after),
        ) {
            (Ok(before), Ok(after)) => before != after,
            _ => true,
        }
}

/// A household of the call as a result's row gives it, new.
fn household_row(call_id: i32, result: &NewScreeningResult, now: DbTimestamp) -> household::Model {
    let facts = &result.household;
    household::Model {
        id: 0,
        call_id: Some(call_id),
        external_id: result.external_id.clone(),
        municipality_code: result.municipality.to_string(),
        sisben_area: Some(facts.sisben_area.to_string()),
        sisben_score: facts.sisben_score.map(Dec),
        displaced: facts.displaced,
        ethnic_group: facts.ethnic_group.to_string(),
        ethnic_community_registered: facts.ethnic_community_registered,
        program_line: facts.program_line.to_string(),
        email: None,
        correspondence_address: None,
        created_at: now,
        search_key: vereda_domain::text::household_search_key(
            &format!("{} {}", result.first_name.trim(), result.last_name.trim()),
            &result.document,
            &result.external_id,
        ),
        verification_status: VerificationStatus::Pending.as_str().to_owned(),
    }
}

/// A held household's row as a new screening gives it: the id, the contact (a screening file
/// carries none) and the creation of the row stored before are kept.
fn keeping_household(previous: &household::Model, row: household::Model) -> household::Model {
    household::Model {
        id: previous.id,
        email: previous.email.clone(),
        correspondence_address: previous.correspondence_address.clone(),
        created_at: previous.created_at,
        verification_status: previous.verification_status.clone(),
        ..row
    }
}

/// Gives the documents of the households `moved` (their municipality changed with a new
/// screening) their household's municipality, which a call's documents list filters by
/// (migration 45).
async fn move_documents(txn: &sea_orm::DatabaseTransaction, moved: &[i32]) -> Result<(), DbErr> {
    use crate::entity::household_document::{Column as D, Entity as Documents};
    use sea_orm::sea_query::Query;
    for ids in moved.chunks(crate::IN_LIST_LIMIT) {
        let municipality = Query::select()
            .column((household::Entity, household::Column::MunicipalityCode))
            .from(household::Entity)
            .and_where(
                Expr::col((household::Entity, household::Column::Id)).equals((Documents, D::HouseholdId)),
            )
            .to_owned();
        Documents::update_many()
            .col_expr(
                D::MunicipalityCode,
                Expr::SubQuery(None, Box::new(municipality.into())),
            )
            .filter(D::HouseholdId.is_in(ids.iter().copied()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// A household's head as a result's row gives it (its household's id is the store's to set).
fn head_row(result: &NewScreeningResult) -> person::Model {
    person::Model {
        id: 0,
        household_id: 0,
        document_type: result.household.document_type.to_string(),
        document: result.document.trim().to_owned(),
        document_key: normalize_document(&result.document),
        first_name: result.first_name.trim().to_owned(),
        last_name: result.last_name.trim().to_owned(),
        sex: result.household.sex.to_string(),
        birth_date: Some(DbDate(result.household.birth_date)),
        is_head: true,
    }
}

/// The stored result of one row of a run (its household's id is the store's to set).
fn result_row(
    run: &ScreeningRun,
    position: usize,
    result: &NewScreeningResult,
    now: DbTimestamp,
) -> Result<screening_result::Model, DbErr> {
    let checks = StoredChecks {
        registries: result.checks.registries,
        found_in: result.found_in.clone(),
        duplicate_document: result.checks.duplicate_document,
        outside_territory: result.checks.outside_territory,
    };
    Ok(screening_result::Model {
        id: 0,
        call_id: run.call_id,
        external_id: result.external_id.clone(),
        household_id: 0,
        run_id: run.id,
        position: to_i32(position as u64),
        line: to_i32(u64::from(result.line)),
        eligible: result.eligible,
        sisben_level: result.sisben_level.map(i16::from),
        cofinancing_max_pct: result.cofinancing_max_pct.map(Dec),
        cap_smmlv: result.cap_smmlv.map(Dec),
        reasons: result.reasons.join(";"),
        municipality_code: result.municipality.to_string(),
        head_document_masked: mask_document(&result.document),
        rule_set_id: run.rule_set_id.clone(),
        rule_set_hash: run.rule_set_hash.clone(),
        as_of: DbDate(run.as_of),
        facts: serde_json::to_string(&result.household).map_err(|e| DbErr::Custom(e.to_string()))?,
        cross_checks: serde_json::to_string(&checks).map_err(|e| DbErr::Custom(e.to_string()))?,
        screened_at: now,
    })
}

/// A chunk of a run's rows, built from its results ahead of the transaction that stores them
/// (a server builds the next chunk while the database stores this one): each result's
/// household, head and result row, in file order; the ids are the database's to give.
#[derive(Debug, Clone)]
pub struct PreparedChunk {
    run_id: i32,
    call_id: i32,
    households: Vec<household::Model>,
    heads: Vec<person::Model>,
    results: Vec<screening_result::Model>,
}

impl PreparedChunk {
    /// How many results the chunk holds.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

/// The rows of `chunk`, the results at `first_position` on in `run`'s file.
pub fn prepare_screening_chunk(
    run: &ScreeningRun,
    chunk: &[NewScreeningResult],
    first_position: usize,
) -> StoreResult<PreparedChunk> {
    let now = DbTimestamp::now();
    let results = chunk
        .iter()
        .enumerate()
        .map(|(offset, result)| result_row(run, first_position + offset, result, now))
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(PreparedChunk {
        run_id: run.id,
        call_id: run.call_id,
        households: chunk
            .iter()
            .map(|result| household_row(run.call_id, result, now))
            .collect(),
        heads: chunk.iter().map(head_row).collect(),
        results,
    })
}

/// One statement's worth of a chunk's rows, aligned: the `i`th head and result are the `i`th
/// household's.
struct Batch {
    households: Vec<household::Model>,
    heads: Vec<person::Model>,
    results: Vec<screening_result::Model>,
}

/// Writes one batch of results: households, heads and results. Rows the call does not hold
/// yet (every row of a first screening) go in with one statement a table and no look-up;
/// rows it holds are read and, where they differ, updated in one statement, each material
/// change with its audit entry.
async fn store_batch(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    call_id: i32,
    batch: Batch,
    counts: &mut StoredCounts,
) -> Result<(), DbErr> {
    let Batch {
        households,
        heads,
        results: mut rows,
    } = batch;
    let mut audit_changes: Vec<Change> = Vec::new();

    // Households: the new ones first, which gives their ids.
    let mut household_ids = crate::bulk::insert_new_keyed::<household::Entity>(
        txn,
        &households,
        (household::Column::CallId, call_id),
        household::Column::ExternalId,
    )
    .await?;
    counts.households_created += household_ids.len() as u64;
    let held: Vec<household::Model> = households
        .into_iter()
        .filter(|row| !household_ids.contains_key(&row.external_id))
        .collect();
    let mut held_heads: HashMap<i32, person::Model> = HashMap::new();
    if !held.is_empty() {
        plan_each_lookup(txn, true).await?;
        let existing: HashMap<String, household::Model> = household::Entity::find()
            .filter(household::Column::CallId.eq(call_id))
            .filter(household::Column::ExternalId.is_in(held.iter().map(|r| r.external_id.as_str())))
            .all(txn)
            .await?
            .into_iter()
            .map(|h| (h.external_id.clone(), h))
            .collect();
        let mut changes = Vec::with_capacity(held.len());
        for row in held {
            let previous = existing.get(&row.external_id).ok_or_else(|| {
                DbErr::Custom(format!(
                    "household {} was neither stored nor found",
                    row.external_id
                ))
            })?;
            household_ids.insert(row.external_id.clone(), previous.id);
            changes.push((previous.clone(), keeping_household(previous, row)));
        }
        let moved: Vec<i32> = changes
            .iter()
            .filter(|(before, after)| before.municipality_code != after.municipality_code)
            .map(|(before, _)| before.id)
            .collect();
        use household::Column as H;
        counts.households_updated += audit::update_changed::<household::Entity>(
            txn,
            "households",
            changes,
            &[
                H::MunicipalityCode,
                H::SisbenArea,
                H::SisbenScore,
                H::Displaced,
                H::EthnicGroup,
                H::EthnicCommunityRegistered,
                H::ProgramLine,
                H::SearchKey,
            ],
            |_, _| true,
            &mut audit_changes,
        )
        .await?;
        move_documents(txn, &moved).await?;
        for head in person::Entity::find()
            .filter(person::Column::HouseholdId.is_in(existing.values().map(|h| h.id)))
            .filter(person::Column::IsHead.eq(true))
            .order_by_asc(person::Column::Id)
            .all(txn)
            .await?
        {
            held_heads.entry(head.household_id).or_insert(head);
        }
        plan_each_lookup(txn, false).await?;
    }
    let household_id = |external_id: &str| -> Result<i32, DbErr> {
        household_ids
            .get(external_id)
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("household {external_id} was not stored")))
    };

    // Heads of household: a new household's is new; a held one's is updated where it changed.
    let mut new_heads = Vec::new();
    let mut changed_heads = Vec::new();
    for (head, result) in heads.into_iter().zip(&rows) {
        let owner = household_id(&result.external_id)?;
        match held_heads.get(&owner) {
            Some(previous) => changed_heads.push((
                previous.clone(),
                person::Model {
                    id: previous.id,
                    household_id: owner,
                    ..head
                },
            )),
            None => new_heads.push(person::Model {
                household_id: owner,
                ..head
            }),
        }
    }
    crate::bulk::insert_all::<person::Entity>(txn, &new_heads).await?;
    if !changed_heads.is_empty() {
        use person::Column as P;
        audit::update_changed::<person::Entity>(
            txn,
            "persons",
            changed_heads,
            &[
                P::DocumentType,
                P::Document,
                P::DocumentKey,
                P::FirstName,
                P::LastName,
                P::Sex,
                P::BirthDate,
            ],
            |_, _| true,
            &mut audit_changes,
        )
        .await?;
    }

    // Results: the new ones in one statement, those the call held compared and updated.
    for row in &mut rows {
        row.household_id = household_id(&row.external_id)?;
    }
    let inserted = crate::bulk::insert_new_keyed::<screening_result::Entity>(
        txn,
        &rows,
        (screening_result::Column::CallId, call_id),
        screening_result::Column::ExternalId,
    )
    .await?;
    counts.results_created += inserted.len() as u64;
    let held: Vec<screening_result::Model> = rows
        .into_iter()
        .filter(|row| !inserted.contains_key(&row.external_id))
        .collect();
    if !held.is_empty() {
        plan_each_lookup(txn, true).await?;
        let mut existing: HashMap<String, screening_result::Model> = screening_result::Entity::find()
            .filter(screening_result::Column::CallId.eq(call_id))
            .filter(screening_result::Column::ExternalId.is_in(held.iter().map(|r| r.external_id.as_str())))
            .all(txn)
            .await?
            .into_iter()
            .map(|r| (r.external_id.clone(), r))
            .collect();
        let mut rows = Vec::with_capacity(held.len());
        for mut row in held {
            let previous = existing.remove(&row.external_id).ok_or_else(|| {
                DbErr::Custom(format!(
                    "result of {} was neither stored nor found",
                    row.external_id
                ))
            })?;
            row.id = previous.id;
            if previous.run_id == row.run_id {
                // Stored by this run before its job was taken over: the same row, left alone.
                row.screened_at = previous.screened_at;
            }
            rows.push((previous, row));
        }
        use screening_result::Column as R;
        counts.results_updated += audit::update_changed::<screening_result::Entity>(
            txn,
            "screening_results",
            rows,
            &[
                R::HouseholdId,
                R::RunId,
                R::Position,
                R::Line,
                R::Eligible,
                R::SisbenLevel,
                R::CofinancingMaxPct,
                R::CapSmmlv,
                R::Reasons,
                R::MunicipalityCode,
                R::HeadDocumentMasked,
                R::RuleSetId,
                R::RuleSetHash,
                R::AsOf,
                R::Facts,
                R::CrossChecks,
                R::ScreenedAt,
            ],
            decision_changed,
            &mut audit_changes,
        )
        .await?;
        plan_each_lookup(txn, false).await?;
    }
    audit::append_many(txn, actor, audit_changes).await
}

/// On PostgreSQL, plans the look-ups of the rows a call holds for their own values (`on`), or
/// goes back to plans kept across executions. A look-up is prepared once and a generic plan
/// made while the call's tables were small would scan them whole for every batch as they
/// grow; but the foreign-key checks of every inserted row also run on kept plans, and
/// planned afresh for each row they cost twice the rows themselves, so the custom plans are
/// asked for only around the look-ups.
async fn plan_each_lookup(txn: &sea_orm::DatabaseTransaction, on: bool) -> Result<(), DbErr> {
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let mode = if on { "force_custom_plan" } else { "auto" };
        txn.execute_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SET LOCAL plan_cache_mode = {mode}"),
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_written_without_their_defaults_and_read_as_the_same_facts_written_whole() {
        let whole = r#"{"document_type":"CC","sex":"F","birth_date":"1975-05-01","head_of_household":true,"sisben_area":"3","sisben_score":"15.5","displaced":false,"ethnic_group":"none","ethnic_community_registered":false,"land_tenure":"owner","land_restrictions":false,"productive_activity":"agricultural","environmental_restriction":false,"illicit_activity":false,"inaccurate_information":false,"program_line":"general","land_contract_end":null,"arel_population_group":"none","arel_group_document":false,"arel_call_year":null,"arel_call_score":null}"#;
        let facts: Household = serde_json::from_str(whole).expect("facts stored whole");
        let compact = serde_json::to_string(&facts).expect("facts");
        assert!(
            !compact.contains("displaced") && !compact.contains("null"),
            "{compact}"
        );
        assert!(compact.len() * 2 < whole.len(), "{compact}");
        assert_eq!(
            serde_json::from_str::<Household>(&compact).expect("compact facts"),
            facts
        );
        assert!(
            !json_differs::<Household>(whole, &compact),
            "the same facts, not a change"
        );
        let displaced = Household {
            displaced: true,
            ..facts
        };
        let changed = serde_json::to_string(&displaced).expect("facts");
        assert!(changed.contains(r#""displaced":true"#));
        assert!(json_differs::<Household>(whole, &changed));
        assert!(
            json_differs::<Household>(whole, "not JSON"),
            "unreadable facts are a change"
        );
        let checks = StoredChecks {
            registries: 0,
            found_in: Vec::new(),
            duplicate_document: false,
            outside_territory: false,
        };
        assert_eq!(
            serde_json::to_string(&checks).expect("checks"),
            r#"{"registries":0}"#
        );
        assert!(!json_differs::<StoredChecks>(
            r#"{"registries":0,"found_in":[],"duplicate_document":false,"outside_territory":false}"#,
            r#"{"registries":0}"#
        ));
    }

    #[test]
    fn a_reason_within_a_municipality_or_a_reach_is_answered_by_the_run_s_counts() {
        use vereda_domain::accounts::Reach;
        let place = |reasons: &[(&str, u64)]| -> BTreeMap<String, u64> {
            reasons.iter().map(|(code, n)| ((*code).to_owned(), *n)).collect()
        };
        let counts = ScreeningCounts {
            reasons_by_municipality: Some(BTreeMap::from([
                (
                    "18001".to_owned(),
                    place(&[("ART10A_PRIOR", 7), ("ART9A_SISBEN", 2)]),
                ),
                ("18753".to_owned(), place(&[("ART10A_PRIOR", 3)])),
                ("52001".to_owned(), place(&[("ART10A_PRIOR", 11)])),
            ])),
            ..ScreeningCounts::default()
        };
        let asked =
            |reason: &str, municipality: Option<&str>, reach: Reach, eligible: Option<bool>| ResultQuery {
                reason: Some(reason.to_owned()),
                municipality_code: municipality.map(str::to_owned),
                reach,
                eligible,
                ..ResultQuery::default()
            };
        assert_eq!(
            asked("ART10A_PRIOR", Some("18001"), Reach::National, None).total_in(&counts),
            Some(7)
        );
        assert_eq!(
            asked("ART10A_PRIOR", None, Reach::Department("18".into()), None).total_in(&counts),
            Some(10)
        );
        assert_eq!(
            asked(
                "ART10A_PRIOR",
                Some("52001"),
                Reach::Department("18".into()),
                None
            )
            .total_in(&counts),
            Some(0)
        );
        assert_eq!(
            asked("ART9A_SISBEN", Some("18753"), Reach::National, None).total_in(&counts),
            Some(0)
        );
        assert_eq!(
            asked("ART10A_PRIOR", Some("18001"), Reach::National, Some(false)).total_in(&counts),
            None,
            "counted"
        );
        let kept_before = ScreeningCounts {
            reasons_by_municipality: None,
            ..counts
        };
        assert_eq!(
            asked("ART10A_PRIOR", Some("18001"), Reach::National, None).total_in(&kept_before),
            None,
            "counted"
        );
        let stored: StoredRunCounts = serde_json::from_str(
            r#"{"households":1,"eligible":1,"by_reason":{},"by_municipality":{},"by_sisben_level":[]}"#,
        )
        .expect("counts kept before the reasons by municipality");
        let mut read = ScreeningCounts::from(stored);
        assert_eq!(read.reasons_by_municipality, None);
        let facts = r#"{"document_type":"CC","sex":"F","birth_date":"1975-05-01","head_of_household":true,"sisben_area":"3","sisben_score":"15.5","ethnic_group":"none","land_tenure":"owner","productive_activity":"agricultural","program_line":"general","arel_population_group":"none"}"#;
        read.count(&NewScreeningResult {
            external_id: "H-1".into(),
            line: 2,
            municipality: "18001".parse().expect("a DANE code"),
            household: serde_json::from_str(facts).expect("facts"),
            checks: CrossChecks::default(),
            found_in: Vec::new(),
            eligible: false,
            sisben_level: None,
            cofinancing_max_pct: None,
            cap_smmlv: None,
            reasons: vec!["ART10A_PRIOR".into()],
            document: "1000001".into(),
            first_name: "Ana".into(),
            last_name: "Pérez".into(),
        });
        assert_eq!(
            (read.households, read.reasons_by_municipality),
            (2, None),
            "a part of a run's reasons is not taken for the whole"
        );
    }

    #[test]
    fn a_row_error_reads_back_typed_and_an_older_one_as_its_text() {
        let error = RunError {
            file: "households.csv".into(),
            line: 3,
            column: "sex".into(),
            value: "female".into(),
            message: Message::new("error-unknown_value").with("value", "female"),
        };
        let json = serde_json::to_string(&error).expect("json");
        assert_eq!(serde_json::from_str::<RunError>(&json).expect("typed"), error);
        let older = r#"{"file":"h.csv","line":2,"column":"sex","value":"x","message":"unknown sex"}"#;
        let read: RunError = serde_json::from_str(older).expect("older");
        assert_eq!(read.message.code(), "row-error-legacy");
        assert_eq!(
            read.message.arg("text"),
            Some(&vereda_domain::message::Arg::Text("unknown sex".into()))
        );
    }
}
