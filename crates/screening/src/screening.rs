//! Batch eligibility screening (`vereda screen`, contract in `docs/screening.md`).
//!
//! Three passes: the registries are loaded into one map from document to the registries that
//! hold it; the household file is read in chunks and parsed and screened on every core (each
//! row screened both as unique and as a duplicate, since duplicates are only known at the
//! end); then household ids and documents are counted across the whole file and each row keeps
//! the outcome that applies. Results are written to a temporary file and renamed.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::civil::Date;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use vereda_domain::eligibility::{CrossChecks, Explanation, Household, LineNotCovered, Outcome, Screener};
use vereda_domain::household::{
    AREL_CALL_YEARS, ArelPopulationGroup, DocumentType, EthnicGroup, LandTenure, ProductiveActivity, Sex,
    SisbenArea, normalize_document,
};
use vereda_domain::message::Message;
use vereda_domain::number::read_data_number;
use vereda_domain::program::ProgramLine;
use vereda_domain::territory::DaneCode;

use crate::records::{CsvSource, OwnedChunk, for_each_record};
use crate::table::{ReadLimits, RowError, TableError, normalize_header, read_table_within};

/// How many row errors are kept in full; the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 100;

/// A column of the household file: its name, the Spanish aliases, and whether it is required.
struct ColumnSpec {
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
}

const fn column(name: &'static str, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required: true,
    }
}

const DOCUMENT_TYPE_ALIASES: &[&str] = &["tipo_documento", "tipo_doc", "tipo_de_documento"];
const DOCUMENT_ALIASES: &[&str] = &[
    "documento",
    "numero_documento",
    "num_documento",
    "cedula",
    "numero_de_documento",
];

/// The household file's columns (`docs/screening.md`), in the contract's order.
const HOUSEHOLD_COLUMNS: [ColumnSpec; 26] = [
    column("household_id", &["id_hogar", "hogar", "id"]),
    column("document_type", DOCUMENT_TYPE_ALIASES),
    column("document", DOCUMENT_ALIASES),
    column("first_name", &["nombres", "nombre", "primer_nombre"]),
    column("last_name", &["apellidos", "apellido", "primer_apellido"]),
    column("sex", &["sexo"]),
    column("birth_date", &["fecha_nacimiento", "fecha_de_nacimiento"]),
    column(
        "head_of_household",
        &[
            "jefe_hogar",
            "jefe_de_hogar",
            "cabeza_familia",
            "cabeza_de_familia",
        ],
    ),
    column(
        "municipality_code",
        &["codigo_municipio", "cod_municipio", "codigo_dane", "divipola"],
    ),
    column("sisben_area", &["area_sisben", "area"]),
    column("sisben_score", &["puntaje_sisben", "puntaje"]),
    column("displaced", &["desplazado"]),
    column("ethnic_group", &["grupo_etnico", "etnia"]),
    column(
        "ethnic_community_registered",
        &["comunidad_registrada", "comunidad_etnica_registrada"],
    ),
    column("land_tenure", &["tenencia", "tenencia_tierra"]),
    column(
        "land_restrictions",
        &["limitaciones_dominio", "restricciones_predio"],
    ),
    column("productive_activity", &["actividad_productiva"]),
    column("environmental_restriction", &["restriccion_ambiental"]),
    column("illicit_activity", &["actividad_ilicita"]),
    column("inaccurate_information", &["informacion_inexacta"]),
    column("program_line", &["linea", "linea_programa"]),
    ColumnSpec {
        name: "land_contract_end",
        aliases: &["fin_contrato", "vencimiento_contrato"],
        required: false,
    },
    // AREL (Art. 38): optional, since only AREL rows need them.
    ColumnSpec {
        name: "arel_population_group",
        aliases: &["grupo_arel", "grupo_poblacional_arel"],
        required: false,
    },
    ColumnSpec {
        name: "arel_group_document",
        aliases: &["documento_idoneo", "documento_grupo_arel"],
        required: false,
    },
    ColumnSpec {
        name: "arel_call_year",
        aliases: &["ano_convocatoria", "anio_convocatoria", "vigencia_convocatoria"],
        required: false,
    },
    ColumnSpec {
        name: "arel_call_score",
        aliases: &["puntaje_convocatoria"],
        required: false,
    },
];

mod col {
    pub const HOUSEHOLD_ID: usize = 0;
    pub const DOCUMENT_TYPE: usize = 1;
    pub const DOCUMENT: usize = 2;
    pub const FIRST_NAME: usize = 3;
    pub const LAST_NAME: usize = 4;
    pub const SEX: usize = 5;
    pub const BIRTH_DATE: usize = 6;
    pub const HEAD_OF_HOUSEHOLD: usize = 7;
    pub const MUNICIPALITY_CODE: usize = 8;
    pub const SISBEN_AREA: usize = 9;
    pub const SISBEN_SCORE: usize = 10;
    pub const DISPLACED: usize = 11;
    pub const ETHNIC_GROUP: usize = 12;
    pub const ETHNIC_COMMUNITY_REGISTERED: usize = 13;
    pub const LAND_TENURE: usize = 14;
    pub const LAND_RESTRICTIONS: usize = 15;
    pub const PRODUCTIVE_ACTIVITY: usize = 16;
    pub const ENVIRONMENTAL_RESTRICTION: usize = 17;
    pub const ILLICIT_ACTIVITY: usize = 18;
    pub const INACCURATE_INFORMATION: usize = 19;
    pub const PROGRAM_LINE: usize = 20;
    pub const LAND_CONTRACT_END: usize = 21;
    pub const AREL_POPULATION_GROUP: usize = 22;
    pub const AREL_GROUP_DOCUMENT: usize = 23;
    pub const AREL_CALL_YEAR: usize = 24;
    pub const AREL_CALL_SCORE: usize = 25;
}

/// The key registries are matched on: document type and normalized number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocumentKey {
    Number(DocumentType, u64),
    Text(DocumentType, Box<str>),
}

impl DocumentKey {
    /// `None` when nothing is left after normalizing.
    pub fn new(document_type: DocumentType, document: &str) -> Option<Self> {
        let mut number: u64 = 0;
        let mut digits = 0;
        for byte in document.bytes() {
            match byte {
                b'0'..=b'9' => match number
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(byte - b'0')))
                {
                    Some(next) => {
                        number = next;
                        digits += 1;
                    }
                    None => return Self::slow(document_type, document),
                },
                b' ' | b'.' | b',' | b'-' | b'\t' => {}
                _ => return Self::slow(document_type, document),
            }
        }
        (digits > 0).then_some(Self::Number(document_type, number))
    }

    /// Any document the fast path cannot take: letters, other spaces, or more than 19 digits.
    fn slow(document_type: DocumentType, document: &str) -> Option<Self> {
        let normalized = normalize_document(document);
        if normalized.is_empty() {
            return None;
        }
        match normalized.parse::<u64>() {
            Ok(number) if normalized.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Self::Number(document_type, number))
            }
            _ => Some(Self::Text(document_type, normalized.into_boxed_str())),
        }
    }
}

/// A document key in eight bytes: its type and number packed, as nearly every document is
/// written, or else (top bit set) the place of the key in a list of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyCode(u64);

impl KeyCode {
    const TEXT: u64 = 1 << 63;

    /// The code of `key`, which would be `text_place` in the list of other keys.
    fn new(key: &DocumentKey, text_place: usize) -> Self {
        match RegistryMap::packed(key) {
            Some(packed) => Self(packed),
            None => Self(Self::TEXT | text_place as u64),
        }
    }

    fn text_index(self) -> Option<usize> {
        (self.0 & Self::TEXT != 0).then_some((self.0 & !Self::TEXT) as usize)
    }

    /// The same key once the list of other keys it points into is appended after `base`.
    fn with_text_moved_by(self, base: usize) -> Self {
        match self.text_index() {
            Some(index) => Self(Self::TEXT | (index + base) as u64),
            None => self,
        }
    }
}

/// A registry file given for a screening.
#[derive(Debug, Clone)]
pub struct RegistryFile {
    pub name: String,
    pub path: PathBuf,
}

/// Where a screening stands, for progress bars.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub bytes_read: u64,
    pub total_bytes: u64,
    pub rows: u64,
}

#[derive(Debug)]
pub enum ScreeningError {
    Table(TableError),
    UnknownRegistry {
        name: String,
        rule_set: String,
        expected: Vec<String>,
    },
    MissingRegistry {
        name: String,
        rule_set: String,
    },
    RegistryTwice {
        name: String,
    },
    Rows {
        errors: Vec<RowError>,
        error_count: usize,
    },
    ExplainNotFound(String),
    LineNotCovered(LineNotCovered),
}

impl From<TableError> for ScreeningError {
    fn from(error: TableError) -> Self {
        ScreeningError::Table(error)
    }
}

impl From<LineNotCovered> for ScreeningError {
    fn from(error: LineNotCovered) -> Self {
        ScreeningError::LineNotCovered(error)
    }
}

impl fmt::Display for ScreeningError {
    /// The message's code and arguments (and the first bad rows), for logs; people read
    /// [`ScreeningError::message`] in their language.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)?;
        if let ScreeningError::Rows { errors, .. } = self {
            for error in errors.iter().take(20) {
                write!(f, "\n  {error}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScreeningError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScreeningError::Table(error) => Some(error),
            ScreeningError::LineNotCovered(error) => Some(error),
            _ => None,
        }
    }
}

impl ScreeningError {
    /// The error as a typed message (`screening-error-*`, `table-error-*`); for bad rows, the
    /// summary (the rows are in [`ScreeningError::Rows`]).
    pub fn message(&self) -> Message {
        match self {
            ScreeningError::Table(error) => error.message(),
            ScreeningError::UnknownRegistry {
                name,
                rule_set,
                expected,
            } => Message::new("screening-error-unknown_registry")
                .with("name", name)
                .with("rule_set", rule_set)
                .with("expected", expected.join(", ")),
            ScreeningError::MissingRegistry { name, rule_set } => {
                Message::new("screening-error-missing_registry")
                    .with("name", name)
                    .with("rule_set", rule_set)
            }
            ScreeningError::RegistryTwice { name } => {
                Message::new("screening-error-registry_twice").with("name", name)
            }
            ScreeningError::Rows { error_count, .. } => {
                Message::new("screening-error-rows").with("count", *error_count)
            }
            ScreeningError::ExplainNotFound(id) => {
                Message::new("screening-error-explain_not_found").with("id", id)
            }
            ScreeningError::LineNotCovered(error) => error.message(),
        }
    }
}

/// What to screen and how.
pub struct ScreeningJob<'s, 'r> {
    pub households: PathBuf,
    pub registries: Vec<RegistryFile>,
    pub screener: &'s Screener<'r>,
    /// Screen the good rows and report the bad ones instead of stopping.
    pub keep_going: bool,
    /// The household to explain, by id.
    pub explain: Option<String>,
    /// Keep every household's facts in [`ScreeningRun::facts`], to store them (the web
    /// application keeps them so a decision can be explained later).
    pub keep_facts: bool,
    /// How much the files may hold (the settings of the CLI or the web application).
    pub read_limits: ReadLimits,
}

/// A household's facts as read, kept when [`ScreeningJob::keep_facts`] is set.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadFacts {
    pub household: Household,
    /// The document number as written in the file.
    pub document: String,
    pub first_name: String,
    pub last_name: String,
}

/// One screened household.
#[derive(Debug, Clone, Copy)]
pub struct ScreenedRow {
    id_start: u64,
    id_len: u32,
    pub line: u32,
    pub municipality: DaneCode,
    pub outcome: Outcome,
    /// The cross-checks behind the outcome: registry hits and whether the head is repeated.
    pub checks: CrossChecks,
}

/// The result of a screening: rows in input order, and the bad rows when `keep_going`.
pub struct ScreeningRun {
    ids: String,
    pub rows: Vec<ScreenedRow>,
    pub errors: Vec<RowError>,
    pub error_count: usize,
    pub explanation: Option<Explanation>,
    /// Aligned with `rows` when [`ScreeningJob::keep_facts`] is set; empty otherwise.
    pub facts: Vec<HeadFacts>,
    /// The households file's encoding, when it is a CSV file.
    pub encoding: Option<vereda_domain::text::TextEncoding>,
}

impl ScreeningRun {
    pub fn household_id(&self, row: &ScreenedRow) -> &str {
        let start = row.id_start as usize;
        &self.ids[start..start + row.id_len as usize]
    }

    /// The ids of the eligible AREL households of group 4, in the order they are attended
    /// (Art. 38 par. 4: the call's year, then the project's score). Needs
    /// [`ScreeningJob::keep_facts`]; empty without the facts.
    pub fn arel_group_4_order(&self) -> Vec<&str> {
        let eligible: Vec<(&ScreenedRow, &Household)> = (self.rows.iter().zip(&self.facts))
            .filter(|(row, _)| row.outcome.is_eligible())
            .map(|(row, facts)| (row, &facts.household))
            .collect();
        let households: Vec<Household> = eligible.iter().map(|(_, h)| (*h).clone()).collect();
        vereda_domain::eligibility::arel_group_4_order(&households)
            .into_iter()
            .map(|i| self.household_id(eligible[i].0))
            .collect()
    }

    /// Counts by reason, Sisbén level and municipality.
    pub fn summary(&self, screener: &Screener<'_>) -> Summary {
        let lines = &screener.rules().lines;
        let mut by_rule: Vec<Vec<u64>> = lines.iter().map(|l| vec![0; l.rules.len()]).collect();
        let mut by_municipality: FxHashMap<DaneCode, Count> = FxHashMap::default();
        let mut summary = Summary::default();
        for row in &self.rows {
            summary.households += 1;
            let eligible = row.outcome.is_eligible();
            summary.eligible += u64::from(eligible);
            let mut fired = row.outcome.fired;
            while fired != 0 {
                by_rule[row.outcome.line as usize][fired.trailing_zeros() as usize] += 1;
                fired &= fired - 1;
            }
            let level = summary
                .by_sisben_level
                .entry(row.outcome.sisben_level)
                .or_default();
            level.households += 1;
            level.eligible += u64::from(eligible);
            let municipality = by_municipality.entry(row.municipality).or_default();
            municipality.households += 1;
            municipality.eligible += u64::from(eligible);
        }
        summary.by_municipality = by_municipality.into_iter().collect();
        for (line, counts) in lines.iter().zip(by_rule) {
            for (rule, count) in line.rules.iter().zip(counts).filter(|(_, c)| *c > 0) {
                *summary.by_reason.entry(rule.code.clone()).or_default() += count;
            }
        }
        summary
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub households: u64,
    pub eligible: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub households: u64,
    pub eligible: u64,
    pub by_reason: BTreeMap<String, u64>,
    pub by_sisben_level: BTreeMap<Option<u8>, Count>,
    pub by_municipality: BTreeMap<DaneCode, Count>,
}

/// Runs a screening; `progress` is called after every chunk.
pub fn screen(
    job: &ScreeningJob<'_, '_>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ScreeningRun, ScreeningError> {
    let mut errors = ErrorLog::new(job.keep_going);
    // The municipality catalog is built on first use; build it while registries load rather
    // than in the middle of the first piece of households.
    let (registries, _) = rayon::join(
        || load_registries(job, &mut errors),
        vereda_domain::territory::catalog,
    );
    let registries = registries?;

    let households_name = display_name(&job.households);
    let mut all = Accumulated::default();
    let parser;
    let encoding;
    if is_csv(&job.households) {
        let mut source = CsvSource::open(&job.households, &households_name, job.read_limits.max_line_bytes)?;
        encoding = Some(source.encoding());
        parser = HouseholdParser::new(&households_name, source.headers(), job)?;
        let parser = &parser;
        let threads = rayon::current_num_threads();
        let delimiter = source.delimiter();
        // A reader thread reads the next chunk while the pool parses this one, and an
        // appender thread joins the rows of the chunk before: the pool never waits for
        // either. Chunk buffers and piece outputs go back to be reused.
        let (appended, appender_errors) =
            std::thread::scope(|scope| -> Result<(Accumulated, ErrorLog), ScreeningError> {
                let (chunks, ready) = std::sync::mpsc::sync_channel::<Result<OwnedChunk, TableError>>(1);
                let (give_back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
                scope.spawn(move || {
                    loop {
                        let buffer = spare.try_recv().unwrap_or_default();
                        let next = source.next_owned_chunk(buffer, threads * 2).transpose();
                        let stop = !matches!(next, Some(Ok(_)));
                        if next.is_none_or(|n| chunks.send(n).is_err()) || stop {
                            return;
                        }
                    }
                });
                let (to_append, parsed) = std::sync::mpsc::sync_channel::<ParsedChunk>(0);
                let (return_outputs, spare_outputs) = std::sync::mpsc::channel::<Vec<PieceOutput>>();
                // Two sets of outputs: one being parsed into, one being appended.
                for _ in 0..2 {
                    let _ = return_outputs.send(Vec::new());
                }
                let mut errors = std::mem::replace(&mut errors, ErrorLog::new(job.keep_going));
                let appender = scope.spawn(move || {
                    let mut all = Accumulated::default();
                    for mut chunk in parsed {
                        for output in chunk.outputs.iter_mut().filter(|o| o.bytes > 0) {
                            if all.rows.capacity() == 0 && !output.rows.is_empty() {
                                // Size everything once from the first piece, so growing never
                                // copies.
                                let rows_in_piece = output.rows.len();
                                let bytes_per_row = (output.bytes / rows_in_piece).max(16);
                                let expected_rows =
                                    chunk.total_bytes as usize / bytes_per_row * 21 / 20 + 1024;
                                all.reserve(expected_rows, output.ids.len() / rows_in_piece + 1);
                            }
                            all.append(output, &mut errors);
                        }
                        progress(Progress {
                            bytes_read: chunk.bytes_read,
                            total_bytes: chunk.total_bytes,
                            rows: all.rows.len() as u64,
                        });
                        let _ = return_outputs.send(chunk.outputs);
                    }
                    (all, errors)
                });
                for owned in ready {
                    let owned = owned?;
                    let pieces = owned.pieces();
                    let mut outputs = spare_outputs.recv().unwrap_or_default();
                    if outputs.len() < pieces.len() {
                        outputs.resize_with(pieces.len(), PieceOutput::default);
                    }
                    // Each piece fills an output kept from chunk to chunk: its memory is
                    // touched once, not allocated and returned to the system for every chunk.
                    pieces.into_par_iter().zip(outputs.par_iter_mut()).try_for_each(
                        |(piece, output)| -> Result<(), TableError> {
                            let text = piece.text(&households_name)?;
                            output.start(text.len());
                            for_each_record(text, piece.first_line, delimiter, |line, fields| {
                                parser.screen_record(line, fields, &registries, output);
                            });
                            Ok(())
                        },
                    )?;
                    let _ = to_append.send(ParsedChunk {
                        outputs,
                        bytes_read: owned.bytes_read,
                        total_bytes: owned.total_bytes,
                    });
                    let _ = give_back.send(owned.bytes);
                }
                drop(to_append);
                match appender.join() {
                    Ok(appended) => Ok(appended),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })?;
        all = appended;
        errors = appender_errors;
    } else {
        let table = read_table_within(&job.households, &job.read_limits)?;
        encoding = table.encoding();
        parser = HouseholdParser::new(table.file(), table.headers(), job)?;
        let mut output = PieceOutput::default();
        for row in table.rows() {
            let fields: Vec<&str> = row.cells().iter().map(String::as_str).collect();
            parser.screen_record(row.line(), &fields, &registries, &mut output);
        }
        all.append(&mut output, &mut errors);
        progress(Progress {
            bytes_read: 1,
            total_bytes: 1,
            rows: all.rows.len() as u64,
        });
    }
    let Accumulated {
        ids,
        mut rows,
        keys,
        text_keys,
        if_duplicate,
        id_hashes,
        mut facts,
        explained,
    } = all;

    // Household ids are unique: a repeated one is an error on its later rows.
    let id_of = |index: usize| {
        let row = &rows[index];
        &ids[row.id_start as usize..row.id_start as usize + row.id_len as usize]
    };
    let mut rejected = vec![false; rows.len()];
    let same_id = |a: usize, b: usize| id_of(a) == id_of(b);
    for (index, first) in repeated(rows.len(), |i| id_hashes[i], |_| true, same_id) {
        if index != first {
            rejected[index] = true;
            errors.push(RowError {
                file: parser.file.clone(),
                line: rows[index].line as usize,
                column: parser.column_name(col::HOUSEHOLD_ID),
                value: id_of(index).to_owned(),
                message: Box::new(Message::new("row-error-id_repeated").with("first", rows[first].line)),
                place: None,
            });
        }
    }
    if errors.count > 0 && !job.keep_going {
        return Err(errors.into_error());
    }

    // The same head in two or more rows marks every such row.
    let mut duplicate = vec![false; rows.len()];
    let key_hash = |i: usize| match keys[i].text_index() {
        Some(text) => rustc_hash::FxBuildHasher.hash_one(&text_keys[text]),
        None => rustc_hash::FxBuildHasher.hash_one(keys[i].0),
    };
    let same_key = |a: usize, b: usize| match (keys[a].text_index(), keys[b].text_index()) {
        (None, None) => keys[a] == keys[b],
        (Some(a), Some(b)) => text_keys[a] == text_keys[b],
        _ => false,
    };
    for (index, _) in repeated(rows.len(), key_hash, |i| !rejected[i], same_key) {
        duplicate[index] = true;
        rows[index].outcome = match job.screener.as_duplicate(&rows[index].outcome) {
            Some(derived) => derived,
            None => if_duplicate[index],
        };
        rows[index].checks.duplicate_document = true;
    }

    let explanation = match &job.explain {
        None => None,
        Some(id) => {
            let (household, registry_hits, index) = explained
                .filter(|(_, _, index)| !rejected[*index])
                .ok_or_else(|| ScreeningError::ExplainNotFound(id.clone()))?;
            let checks = CrossChecks {
                registries: registry_hits,
                duplicate_document: duplicate[index],
                outside_territory: job.screener.outside_territory(rows[index].municipality),
            };
            Some(job.screener.explain(&household, &checks)?)
        }
    };
    drop((keys, text_keys));

    if rejected.iter().any(|r| *r) {
        let mut index = 0;
        rows.retain(|_| {
            index += 1;
            !rejected[index - 1]
        });
        if !facts.is_empty() {
            let mut index = 0;
            facts.retain(|_| {
                index += 1;
                !rejected[index - 1]
            });
        }
    }
    Ok(ScreeningRun {
        ids,
        rows,
        errors: errors.listed,
        error_count: errors.count,
        explanation,
        facts,
        encoding,
    })
}

/// The items whose key appears more than once, each with the index of its key's first
/// appearance, given how many items there are, each item's key hash and whether two items
/// have the same key; items `include` rejects take no part. Keys are spread over shards by
/// hash and each shard is counted on its own core.
fn repeated(
    count: usize,
    hash: impl Fn(usize) -> u64 + Sync,
    include: impl Fn(usize) -> bool + Sync,
    same: impl Fn(usize, usize) -> bool + Sync,
) -> Vec<(usize, usize)> {
    const SHARDS: usize = 64;
    // Bucket the items by shard once, in input order.
    let mut buckets: Vec<Vec<u32>> = (0..SHARDS)
        .map(|_| Vec::with_capacity(count / SHARDS + 16))
        .collect();
    for index in (0..count).filter(|i| include(*i)) {
        // Bits hashbrown uses for neither its bucket index (low) nor its tag (high).
        buckets[(hash(index) >> 32) as usize % SHARDS].push(index as u32);
    }
    let mut found: Vec<(usize, usize)> = buckets
        .into_par_iter()
        .flat_map_iter(|members| {
            // One slot per distinct key: its first member and how many members share it. The
            // table keeps each slot's full hash, so keys are only compared (a load from far
            // away in memory) when two hashes are equal.
            let mut slot_first: Vec<u32> = Vec::new();
            let mut slot_times: Vec<u32> = Vec::new();
            let mut slot_of_member: Vec<u32> = Vec::with_capacity(members.len());
            let mut table: hashbrown::HashTable<(u64, u32)> =
                hashbrown::HashTable::with_capacity(members.len());
            for &index in &members {
                let hash = hash(index as usize);
                let existing = table.find(hash, |(slot_hash, slot)| {
                    *slot_hash == hash && same(slot_first[*slot as usize] as usize, index as usize)
                });
                let slot = match existing {
                    Some((_, slot)) => *slot,
                    None => {
                        let slot = slot_first.len() as u32;
                        slot_first.push(index);
                        slot_times.push(0);
                        table.insert_unique(hash, (hash, slot), |(slot_hash, _)| *slot_hash);
                        slot
                    }
                };
                slot_times[slot as usize] += 1;
                slot_of_member.push(slot);
            }
            members
                .into_iter()
                .zip(slot_of_member)
                .filter(move |(_, slot)| slot_times[*slot as usize] > 1)
                .map(move |(index, slot)| (index as usize, slot_first[slot as usize] as usize))
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort_unstable();
    found
}

/// Row errors, listed up to [`MAX_LISTED_ERRORS`] and counted beyond.
struct ErrorLog {
    listed: Vec<RowError>,
    count: usize,
    keep_all: bool,
}

impl ErrorLog {
    fn new(keep_all: bool) -> Self {
        Self {
            listed: Vec::new(),
            count: 0,
            keep_all,
        }
    }

    fn push(&mut self, error: RowError) {
        self.count += 1;
        if self.keep_all || self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(error);
        }
    }

    fn into_error(mut self) -> ScreeningError {
        self.listed
            .sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
        self.listed.truncate(MAX_LISTED_ERRORS);
        ScreeningError::Rows {
            errors: self.listed,
            error_count: self.count,
        }
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_none_or(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt"))
}

fn find(headers: &[String], name: &str, aliases: &[&str]) -> Option<usize> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    std::iter::once(name)
        .chain(aliases.iter().copied())
        .find_map(|alias| {
            let alias = normalize_header(alias);
            normalized.iter().position(|h| *h == alias)
        })
}

fn missing_column(file: &str, name: &str, aliases: &[&str]) -> TableError {
    TableError::MissingColumn {
        file: file.to_owned(),
        column: name.to_owned(),
        aliases: std::iter::once(name)
            .chain(aliases.iter().copied())
            .map(str::to_owned)
            .collect(),
    }
}

/// Registry hits by document: bit `i` set when registry `i` of the rule set holds it.
/// Numeric documents, nearly all of them, are packed into one `u64` so the map stays small
/// enough to be fast at millions of entries.
#[derive(Default)]
struct RegistryMap {
    numbers: FxHashMap<u64, u32>,
    others: FxHashMap<DocumentKey, u32>,
}

impl RegistryMap {
    /// Type in bits 60 to 62, number below: numbers under 2^60 have 18 digits or fewer.
    /// The top bit stays clear (see [`KeyCode`]).
    fn packed(key: &DocumentKey) -> Option<u64> {
        match key {
            DocumentKey::Number(document_type, number) if *number < 1 << 60 && document_type.index() < 8 => {
                Some((document_type.index() as u64) << 60 | number)
            }
            _ => None,
        }
    }

    fn get(&self, key: &DocumentKey) -> u32 {
        match Self::packed(key) {
            Some(packed) => self.numbers.get(&packed).copied(),
            None => self.others.get(key).copied(),
        }
        .unwrap_or(0)
    }
}

fn load_registries(job: &ScreeningJob<'_, '_>, errors: &mut ErrorLog) -> Result<RegistryMap, ScreeningError> {
    let rules = job.screener.rules();
    let mut given: Vec<Option<&RegistryFile>> = vec![None; rules.registries.len()];
    for file in &job.registries {
        let Some(index) = rules.registry_index(&file.name) else {
            return Err(ScreeningError::UnknownRegistry {
                name: file.name.clone(),
                rule_set: rules.id.clone(),
                expected: rules.registries.iter().map(|r| r.name.clone()).collect(),
            });
        };
        if given[index].is_some() {
            return Err(ScreeningError::RegistryTwice {
                name: file.name.clone(),
            });
        }
        given[index] = Some(file);
    }
    for index in rules.registries_used() {
        if given[index].is_none() {
            return Err(ScreeningError::MissingRegistry {
                name: rules.registries[index].name.clone(),
                rule_set: rules.id.clone(),
            });
        }
    }
    let threads = rayon::current_num_threads();
    let read: Vec<Result<(u32, RegistryRows), TableError>> = given
        .par_iter()
        .enumerate()
        .filter_map(|(index, file)| file.map(|f| (index, f)))
        .map(|(index, file)| {
            Ok((
                1u32 << index,
                read_registry(&file.path, threads, &job.read_limits)?,
            ))
        })
        .collect();
    let read = read.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut map = RegistryMap::default();
    map.numbers
        .reserve(read.iter().map(|(_, (keys, _))| keys.numbers.len()).sum());
    for (bit, (keys, row_errors)) in read {
        for number in keys.numbers {
            *map.numbers.entry(number).or_default() |= bit;
        }
        for key in keys.others {
            *map.others.entry(key).or_default() |= bit;
        }
        for error in row_errors {
            errors.push(error);
        }
    }
    if errors.count > 0 && !job.keep_going {
        let log = std::mem::replace(errors, ErrorLog::new(false));
        return Err(log.into_error());
    }
    Ok(map)
}

/// The document keys of a registry file, and its bad rows.
type RegistryRows = (RegistryKeys, Vec<RowError>);

/// Document keys, packed as [`RegistryMap::packed`] does where they can be.
#[derive(Default)]
struct RegistryKeys {
    numbers: Vec<u64>,
    others: Vec<DocumentKey>,
}

impl RegistryKeys {
    fn push(&mut self, key: DocumentKey) {
        match RegistryMap::packed(&key) {
            Some(number) => self.numbers.push(number),
            None => self.others.push(key),
        }
    }

    fn append(&mut self, other: &mut Self) {
        self.numbers.append(&mut other.numbers);
        self.others.append(&mut other.others);
    }
}

fn read_registry(path: &Path, threads: usize, limits: &ReadLimits) -> Result<RegistryRows, TableError> {
    let name = display_name(path);
    let columns = |file_name: &str, headers: &[String]| -> Result<(usize, usize), TableError> {
        Ok((
            find(headers, "document_type", DOCUMENT_TYPE_ALIASES)
                .ok_or_else(|| missing_column(file_name, "document_type", DOCUMENT_TYPE_ALIASES))?,
            find(headers, "document", DOCUMENT_ALIASES)
                .ok_or_else(|| missing_column(file_name, "document", DOCUMENT_ALIASES))?,
        ))
    };
    let record =
        |file_name: &str, headers: &[String], wanted: (usize, usize), line: usize, fields: &[&str]| {
            let (type_column, document_column) = wanted;
            let cell = |c: usize| fields.get(c).copied().unwrap_or_default();
            let error = |column: usize, message: Message| RowError {
                file: file_name.to_owned(),
                line,
                column: headers.get(column).cloned().unwrap_or_default(),
                value: cell(column).to_owned(),
                message: Box::new(message),
                place: None,
            };
            let document_type =
                DocumentType::from_str(cell(type_column)).map_err(|e| error(type_column, e.message()))?;
            DocumentKey::new(document_type, cell(document_column))
                .ok_or_else(|| error(document_column, Message::new("row-error-empty_document")))
        };
    let mut keys = RegistryKeys::default();
    let mut errors = Vec::new();
    if is_csv(path) {
        let mut source = CsvSource::open(path, &name, limits.max_line_bytes)?;
        let headers = source.headers().to_vec();
        let wanted = columns(&name, &headers)?;
        let delimiter = source.delimiter();
        while let Some(chunk) = source.next_chunk()? {
            let pieces: Vec<Result<RegistryRows, TableError>> = chunk
                .pieces(threads)
                .into_par_iter()
                .map(|piece| {
                    let text = piece.text(&name)?;
                    let mut keys = RegistryKeys::default();
                    let mut errors = Vec::new();
                    for_each_record(text, piece.first_line, delimiter, |line, fields| {
                        match record(&name, &headers, wanted, line, fields) {
                            Ok(key) => keys.push(key),
                            Err(e) => errors.push(e),
                        }
                    });
                    Ok((keys, errors))
                })
                .collect();
            for piece in pieces {
                let (mut piece_keys, piece_errors) = piece?;
                keys.append(&mut piece_keys);
                errors.extend(piece_errors);
            }
        }
    } else {
        let table = read_table_within(path, limits)?;
        let wanted = columns(table.file(), table.headers())?;
        for row in table.rows() {
            let fields: Vec<&str> = row.cells().iter().map(String::as_str).collect();
            match record(table.file(), table.headers(), wanted, row.line(), &fields) {
                Ok(key) => keys.push(key),
                Err(e) => errors.push(e),
            }
        }
    }
    Ok((keys, errors))
}

/// The rows a piece of input screened, column by column, before duplicates are known.
#[derive(Default)]
struct PieceOutput {
    /// Size of the input piece.
    bytes: usize,
    ids: String,
    /// `id_start` counts from the start of this piece's `ids`.
    rows: Vec<ScreenedRow>,
    keys: Vec<KeyCode>,
    /// The keys that are not numbers, which `keys` point to.
    text_keys: Vec<DocumentKey>,
    /// Each row's outcome should its head turn out to be repeated; empty when
    /// [`Screener::as_duplicate`] derives it on every line.
    if_duplicate: Vec<Outcome>,
    /// Hashes of the household ids, taken while the row is hot.
    id_hashes: Vec<u64>,
    errors: Vec<RowError>,
    extra_error_count: usize,
    /// The household to explain: its facts, registry hits and index in the piece.
    explained: Option<(Household, u32, usize)>,
    facts: Vec<HeadFacts>,
}

impl PieceOutput {
    /// Empties the output for a piece of `bytes` of input, keeping its memory, with room
    /// guessed generously from rows of 100 bytes.
    fn start(&mut self, bytes: usize) {
        let rows = bytes / 100 + 16;
        self.bytes = bytes;
        self.ids.clear();
        self.ids.reserve(rows * 10);
        self.id_hashes.clear();
        self.id_hashes.reserve(rows);
        self.rows.clear();
        self.rows.reserve(rows);
        self.keys.clear();
        self.keys.reserve(rows);
        self.text_keys.clear();
        self.if_duplicate.clear();
        self.errors.clear();
        self.extra_error_count = 0;
        self.explained = None;
        self.facts.clear();
    }
}

/// A chunk's piece outputs on their way to be appended, with the progress they make.
struct ParsedChunk {
    outputs: Vec<PieceOutput>,
    bytes_read: u64,
    total_bytes: u64,
}

/// Every piece's rows joined in input order.
#[derive(Default)]
struct Accumulated {
    ids: String,
    rows: Vec<ScreenedRow>,
    keys: Vec<KeyCode>,
    text_keys: Vec<DocumentKey>,
    if_duplicate: Vec<Outcome>,
    id_hashes: Vec<u64>,
    facts: Vec<HeadFacts>,
    /// The household to explain, with its index among all rows.
    explained: Option<(Household, u32, usize)>,
}

impl Accumulated {
    fn reserve(&mut self, rows: usize, id_bytes_per_row: usize) {
        self.ids.reserve(rows * id_bytes_per_row.max(1));
        self.rows.reserve(rows);
        self.keys.reserve(rows);
        self.id_hashes.reserve(rows);
    }

    /// Moves a piece's rows to the end, leaving the piece empty but with its memory.
    fn append(&mut self, piece: &mut PieceOutput, errors: &mut ErrorLog) {
        let first_index = self.rows.len();
        let base = self.ids.len() as u64;
        self.ids.push_str(&piece.ids);
        self.rows.extend(piece.rows.drain(..).map(|row| ScreenedRow {
            id_start: base + row.id_start,
            ..row
        }));
        let text_base = self.text_keys.len();
        self.keys
            .extend(piece.keys.drain(..).map(|key| key.with_text_moved_by(text_base)));
        self.text_keys.append(&mut piece.text_keys);
        self.if_duplicate.append(&mut piece.if_duplicate);
        self.id_hashes.append(&mut piece.id_hashes);
        self.facts.append(&mut piece.facts);
        for error in piece.errors.drain(..) {
            errors.push(error);
        }
        errors.count += std::mem::take(&mut piece.extra_error_count);
        if let Some((household, hits, index_in_piece)) = piece.explained.take() {
            self.explained = Some((household, hits, first_index + index_in_piece));
        }
        piece.bytes = 0;
    }
}

struct HouseholdParser<'j, 's, 'r> {
    file: String,
    headers: Vec<String>,
    columns: [Option<usize>; HOUSEHOLD_COLUMNS.len()],
    job: &'j ScreeningJob<'s, 'r>,
}

impl<'j, 's, 'r> HouseholdParser<'j, 's, 'r> {
    fn new(file: &str, headers: &[String], job: &'j ScreeningJob<'s, 'r>) -> Result<Self, TableError> {
        let mut columns = [None; HOUSEHOLD_COLUMNS.len()];
        for (index, spec) in HOUSEHOLD_COLUMNS.iter().enumerate() {
            columns[index] = find(headers, spec.name, spec.aliases);
            if columns[index].is_none() && spec.required {
                return Err(missing_column(file, spec.name, spec.aliases));
            }
        }
        Ok(Self {
            file: file.to_owned(),
            headers: headers.to_vec(),
            columns,
            job,
        })
    }

    fn column_name(&self, column: usize) -> String {
        self.columns[column]
            .and_then(|c| self.headers.get(c).cloned())
            .unwrap_or_else(|| HOUSEHOLD_COLUMNS[column].name.to_owned())
    }

    fn screen_record(
        &self,
        line: usize,
        fields: &[&str],
        registries: &RegistryMap,
        output: &mut PieceOutput,
    ) {
        match self.parse(line, fields) {
            Err(error) => {
                if output.errors.len() < MAX_LISTED_ERRORS || self.job.keep_going {
                    output.errors.push(error);
                } else {
                    output.extra_error_count += 1;
                }
            }
            Ok(parsed) => {
                let registry_hits = registries.get(&parsed.key);
                let screener = self.job.screener;
                // Art. 5: a lookup in the call's territory.
                let outside_territory = screener.outside_territory(parsed.municipality);
                let unique = CrossChecks {
                    registries: registry_hits,
                    duplicate_document: false,
                    outside_territory,
                };
                let duplicate = CrossChecks {
                    registries: registry_hits,
                    duplicate_document: true,
                    outside_territory,
                };
                let screened = screener.screen(&parsed.household, &unique).and_then(|outcome| {
                    // Kept only when some line's duplicate outcome cannot be derived.
                    let if_duplicate = match screener.as_duplicate(&outcome) {
                        _ if screener.derives_every_duplicate() => None,
                        Some(derived) => Some(derived),
                        None => Some(screener.screen(&parsed.household, &duplicate)?),
                    };
                    Ok((outcome, if_duplicate))
                });
                let (outcome, if_duplicate) = match screened {
                    Ok(pair) => pair,
                    Err(e) => {
                        output
                            .errors
                            .push(self.error(line, fields, col::PROGRAM_LINE, e.message()));
                        return;
                    }
                };
                if self.job.explain.as_deref() == Some(parsed.id) {
                    output.explained = Some((parsed.household.clone(), registry_hits, output.rows.len()));
                }
                if self.job.keep_facts {
                    output.facts.push(HeadFacts {
                        household: parsed.household.clone(),
                        document: self.columns[col::DOCUMENT]
                            .map_or("", |c| fields[c].trim())
                            .to_owned(),
                        first_name: self.columns[col::FIRST_NAME]
                            .map_or("", |c| fields[c].trim())
                            .to_owned(),
                        last_name: self.columns[col::LAST_NAME]
                            .map_or("", |c| fields[c].trim())
                            .to_owned(),
                    });
                }
                let id_start = output.ids.len() as u64;
                output.ids.push_str(parsed.id);
                output
                    .id_hashes
                    .push(rustc_hash::FxBuildHasher.hash_one(parsed.id));
                output.rows.push(ScreenedRow {
                    id_start,
                    id_len: parsed.id.len() as u32,
                    line: line as u32,
                    municipality: parsed.municipality,
                    outcome,
                    checks: unique,
                });
                let key = KeyCode::new(&parsed.key, output.text_keys.len());
                if key.text_index().is_some() {
                    output.text_keys.push(parsed.key);
                }
                output.keys.push(key);
                output.if_duplicate.extend(if_duplicate);
            }
        }
    }

    fn error(&self, line: usize, fields: &[&str], column: usize, message: Message) -> RowError {
        let value = self.columns[column]
            .and_then(|c| fields.get(c))
            .copied()
            .unwrap_or_default();
        RowError {
            file: self.file.clone(),
            line,
            column: self.column_name(column),
            value: value.to_owned(),
            message: Box::new(message),
            place: None,
        }
    }

    fn parse<'f>(&self, line: usize, fields: &[&'f str]) -> Result<ParsedHousehold<'f>, RowError> {
        if fields.len() != self.headers.len() {
            return Err(RowError {
                file: self.file.clone(),
                line,
                column: "(row)".to_owned(),
                value: fields.join(","),
                message: Box::new(
                    Message::new("row-error-field_count")
                        .with("expected", self.headers.len())
                        .with("found", fields.len()),
                ),
                place: None,
            });
        }
        // A NUL byte is not text: PostgreSQL would refuse it much later, without saying where.
        if let Some(at) = fields.iter().position(|f| f.as_bytes().contains(&0)) {
            return Err(RowError {
                file: self.file.clone(),
                line,
                column: self.headers[at].clone(),
                value: fields[at].replace('\0', "\\0"),
                message: Box::new(Message::new("row-error-nul")),
                place: None,
            });
        }
        self.parse_fields(fields)
            .map_err(|(column, message)| self.error(line, fields, column, message))
    }

    /// The cell of a column, trimmed; empty for an optional column the file lacks.
    #[inline]
    fn cell<'f>(&self, fields: &[&'f str], column: usize) -> &'f str {
        match self.columns[column].and_then(|c| fields.get(c)) {
            // Most cells have nothing to trim: a look at both ends says so.
            Some(cell)
                if cell
                    .as_bytes()
                    .first()
                    .zip(cell.as_bytes().last())
                    .is_some_and(|(a, z)| *a > b' ' && *z > b' ') =>
            {
                cell
            }
            Some(cell) => cell.trim_ascii(),
            None => "",
        }
    }

    /// The fields of a row of the right length, or the first bad column and what is wrong
    /// with it. Written with macros rather than closures so every check is inlined.
    fn parse_fields<'f>(&self, fields: &[&'f str]) -> Result<ParsedHousehold<'f>, (usize, Message)> {
        macro_rules! cell {
            ($column:expr) => {
                self.cell(fields, $column)
            };
        }
        macro_rules! or_fail {
            ($column:expr, $parsed:expr, $message:expr) => {
                match $parsed {
                    Some(value) => value,
                    None => return Err(($column, $message)),
                }
            };
        }
        macro_rules! value {
            ($column:expr, $ty:ty) => {
                match cell!($column).parse::<$ty>() {
                    Ok(value) => value,
                    Err(e) => return Err(($column, e.message())),
                }
            };
        }
        macro_rules! flag {
            ($column:expr) => {
                or_fail!(
                    $column,
                    parse_flag(cell!($column)),
                    Message::new("row-error-flag")
                )
            };
        }
        macro_rules! date {
            ($column:expr) => {
                or_fail!(
                    $column,
                    parse_date(cell!($column)),
                    Message::new("row-error-date")
                )
            };
        }

        let id = cell!(col::HOUSEHOLD_ID);
        if id.is_empty() {
            return Err((col::HOUSEHOLD_ID, Message::new("row-error-empty_id")));
        }
        let document_type = value!(col::DOCUMENT_TYPE, DocumentType);
        let key = or_fail!(
            col::DOCUMENT,
            DocumentKey::new(document_type, cell!(col::DOCUMENT)),
            Message::new("row-error-empty_document")
        );
        let municipality = match DaneCode::parse(cell!(col::MUNICIPALITY_CODE)) {
            Ok(code) => code,
            Err(e) => return Err((col::MUNICIPALITY_CODE, e.message())),
        };
        let score_text = cell!(col::SISBEN_SCORE);
        let sisben_score = if score_text.is_empty() {
            None
        } else {
            let score = match read_data_number(score_text) {
                Ok(score) => score,
                Err(problem) => return Err((col::SISBEN_SCORE, problem.message())),
            };
            if (score.is_sign_negative() && !score.is_zero()) || score > Decimal::ONE_HUNDRED {
                return Err((col::SISBEN_SCORE, Message::new("row-error-sisben_range")));
            }
            Some(score)
        };
        let land_contract_end = if cell!(col::LAND_CONTRACT_END).is_empty() {
            None
        } else {
            Some(date!(col::LAND_CONTRACT_END))
        };
        let arel_population_group = if cell!(col::AREL_POPULATION_GROUP).is_empty() {
            ArelPopulationGroup::None
        } else {
            value!(col::AREL_POPULATION_GROUP, ArelPopulationGroup)
        };
        let arel_group_document =
            !cell!(col::AREL_GROUP_DOCUMENT).is_empty() && flag!(col::AREL_GROUP_DOCUMENT);
        let year_text = cell!(col::AREL_CALL_YEAR);
        let arel_call_year = if year_text.is_empty() {
            None
        } else {
            Some(or_fail!(
                col::AREL_CALL_YEAR,
                year_text
                    .parse::<i16>()
                    .ok()
                    .filter(|y| AREL_CALL_YEARS.contains(y)),
                Message::new("row-error-arel_year")
            ))
        };
        if arel_population_group == ArelPopulationGroup::Calls2008To2011 && arel_call_year.is_none() {
            return Err((col::AREL_CALL_YEAR, Message::new("row-error-arel_year_required")));
        }
        let score_text = cell!(col::AREL_CALL_SCORE);
        let arel_call_score = if score_text.is_empty() {
            None
        } else {
            match read_data_number(score_text) {
                Ok(score) => Some(score),
                Err(problem) => return Err((col::AREL_CALL_SCORE, problem.message())),
            }
        };
        let household = Household {
            document_type,
            sex: value!(col::SEX, Sex),
            birth_date: date!(col::BIRTH_DATE),
            head_of_household: flag!(col::HEAD_OF_HOUSEHOLD),
            sisben_area: value!(col::SISBEN_AREA, SisbenArea),
            sisben_score,
            displaced: flag!(col::DISPLACED),
            ethnic_group: value!(col::ETHNIC_GROUP, EthnicGroup),
            ethnic_community_registered: flag!(col::ETHNIC_COMMUNITY_REGISTERED),
            land_tenure: value!(col::LAND_TENURE, LandTenure),
            land_restrictions: flag!(col::LAND_RESTRICTIONS),
            productive_activity: value!(col::PRODUCTIVE_ACTIVITY, ProductiveActivity),
            environmental_restriction: flag!(col::ENVIRONMENTAL_RESTRICTION),
            illicit_activity: flag!(col::ILLICIT_ACTIVITY),
            inaccurate_information: flag!(col::INACCURATE_INFORMATION),
            program_line: value!(col::PROGRAM_LINE, ProgramLine),
            land_contract_end,
            arel_population_group,
            arel_group_document,
            arel_call_year,
            arel_call_score,
        };
        Ok(ParsedHousehold {
            id,
            household,
            key,
            municipality,
        })
    }
}

struct ParsedHousehold<'f> {
    id: &'f str,
    household: Household,
    key: DocumentKey,
    municipality: DaneCode,
}

/// `true`/`false` as the contract writes them, plus the spreadsheet and Spanish forms.
fn parse_flag(text: &str) -> Option<bool> {
    match text {
        "true" => return Some(true),
        "false" => return Some(false),
        _ => {}
    }
    const TRUE: &[&str] = &["true", "verdadero", "si", "sí", "1"];
    const FALSE: &[&str] = &["false", "falso", "no", "0"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(text)) || text == "SÍ" || text == "Sí" {
        Some(true)
    } else if FALSE.iter().any(|t| t.eq_ignore_ascii_case(text)) {
        Some(false)
    } else {
        None
    }
}

fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i16> {
        bytes[range].iter().try_fold(0i16, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + i16::from(b - b'0'))
        })
    };
    Date::new(number(0..4)?, number(5..7)? as i8, number(8..10)? as i8).ok()
}

// ---- Writers ------------------------------------------------------------------------------

/// The header of results files.
pub const RESULTS_HEADER: &str = "household_id,eligible,sisben_level,cofinancing_max_pct,cap_smmlv,reasons";

/// Writes `results.csv` per the contract, through a temporary file renamed at the end.
///
/// Batches of rows are formatted on every core while a writer thread writes the batch
/// before, and the writer hands each batch's buffers back to be filled again.
pub fn write_results_csv(run: &ScreeningRun, screener: &Screener<'_>, path: &Path) -> io::Result<()> {
    const ROWS_PER_BUFFER: usize = 1 << 13;
    let texts = TierTexts::new(screener);
    let buffers_per_batch = rayon::current_num_threads() * 2;
    write_atomically(path, |out| {
        out.write_all(RESULTS_HEADER.as_bytes())?;
        out.write_all(b"\n")?;
        std::thread::scope(|scope| -> io::Result<()> {
            let (to_write, formatted) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(1);
            let (give_back, written) = std::sync::mpsc::channel::<Vec<Vec<u8>>>();
            let writer = scope.spawn(move || -> io::Result<()> {
                for buffers in formatted {
                    for buffer in &buffers {
                        out.write_all(buffer)?;
                    }
                    let _ = give_back.send(buffers);
                }
                Ok(())
            });
            for batch in run.rows.chunks(ROWS_PER_BUFFER * buffers_per_batch) {
                let mut buffers = written.try_recv().unwrap_or_default();
                buffers.resize_with(batch.len().div_ceil(ROWS_PER_BUFFER), Vec::new);
                batch
                    .par_chunks(ROWS_PER_BUFFER)
                    .zip(buffers.par_iter_mut())
                    .for_each(|(rows, buffer)| format_results(buffer, rows, run, screener, &texts));
                if to_write.send(buffers).is_err() {
                    break;
                }
            }
            drop(to_write);
            match writer.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    })
}

/// Result rows into `buffer`, emptied first.
fn format_results(
    buffer: &mut Vec<u8>,
    rows: &[ScreenedRow],
    run: &ScreeningRun,
    screener: &Screener<'_>,
    texts: &TierTexts,
) {
    buffer.clear();
    // Everything after the id depends on the outcome alone, and a registry has a few hundred
    // distinct outcomes: each is written out once.
    let mut tails: FxHashMap<Outcome, Box<[u8]>> = FxHashMap::default();
    for row in rows {
        write_csv_field(buffer, run.household_id(row));
        let tail = tails.entry(row.outcome).or_insert_with(|| {
            let mut tail = Vec::new();
            write_outcome(&mut tail, &row.outcome, screener, texts);
            tail.into_boxed_slice()
        });
        buffer.extend_from_slice(tail);
    }
}

/// The co-financing and cap values of every tier, as written in results.
struct TierTexts {
    cofinancing: Vec<Vec<String>>,
    cap: Vec<Vec<String>>,
}

impl TierTexts {
    fn new(screener: &Screener<'_>) -> Self {
        let lines = screener.rules().lines.len();
        let render = |values: &[Decimal]| values.iter().map(|v| v.normalize().to_string()).collect();
        Self {
            cofinancing: (0..lines)
                .map(|l| render(screener.cofinancing_values(l)))
                .collect(),
            cap: (0..lines).map(|l| render(screener.cap_values(l))).collect(),
        }
    }
}

/// The columns of a result row after `household_id`, with the comma before them.
fn write_outcome(out: &mut Vec<u8>, outcome: &Outcome, screener: &Screener<'_>, texts: &TierTexts) {
    out.extend_from_slice(if outcome.is_eligible() {
        b",true,"
    } else {
        b",false,"
    });
    if let Some(level) = outcome.sisben_level {
        out.extend_from_slice(itoa::Buffer::new().format(level).as_bytes());
    }
    out.push(b',');
    let line = outcome.line as usize;
    if let Some(tier) = outcome.cofinancing_tier {
        out.extend_from_slice(texts.cofinancing[line][tier as usize].as_bytes());
    }
    out.push(b',');
    if let Some(tier) = outcome.cap_tier {
        out.extend_from_slice(texts.cap[line][tier as usize].as_bytes());
    }
    out.push(b',');
    for (index, code) in screener.reasons(outcome).enumerate() {
        if index > 0 {
            out.push(b';');
        }
        out.extend_from_slice(code.as_bytes());
    }
    out.push(b'\n');
}

/// A CSV text field, safe to open in a spreadsheet (`vereda_domain::text::spreadsheet_safe`)
/// and quoted only when it must be: the one writer of the CSV files of screening.
pub fn write_csv_field(out: &mut Vec<u8>, text: &str) {
    let text = vereda_domain::text::spreadsheet_safe(text);
    if text.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for byte in text.bytes() {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// Writes bad rows as `file,line,column,value,code,message`: `code` is the message's code in
/// the catalogue and `message` what `say` makes of it (the caller's language).
pub fn write_errors_csv(
    errors: &[RowError],
    path: &Path,
    say: &dyn Fn(&Message) -> String,
) -> io::Result<()> {
    write_atomically(path, |out| {
        out.write_all(b"file,line,column,value,code,message\n")?;
        let mut buffer = Vec::new();
        for error in errors {
            buffer.clear();
            write_csv_field(&mut buffer, &error.file);
            buffer.push(b',');
            buffer.extend_from_slice(itoa::Buffer::new().format(error.line).as_bytes());
            for text in [
                &error.column,
                &error.value,
                error.message.code(),
                &say(&error.message),
            ] {
                buffer.push(b',');
                write_csv_field(&mut buffer, text);
            }
            buffer.push(b'\n');
            out.write_all(&buffer)?;
        }
        Ok(())
    })
}

/// Writes through a temporary file beside `path`, renamed over it only when complete.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".vereda-")
        .suffix(".part")
        .tempfile_in(directory)?;
    {
        let mut out = BufWriter::with_capacity(1 << 20, temporary.as_file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    temporary.as_file().sync_data()?;
    // Temporary files are private; a results file is an ordinary one.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} households screened, {} eligible",
            self.households, self.eligible
        )?;
        for (code, count) in &self.by_reason {
            writeln!(f, "  {code:<24} {count}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_exactly_with_either_decimal_mark() {
        let score = |t: &str| read_data_number(t).ok().map(|d| d.to_string());
        assert_eq!(score("37.07").as_deref(), Some("37.07"));
        assert_eq!(score("12,5").as_deref(), Some("12.5"));
        assert_eq!(score("100").as_deref(), Some("100"));
        assert_eq!(
            score("0.00001").as_deref(),
            Some("0.00001"),
            "long decimals go the slow way"
        );
        assert_eq!(score("."), None);
        assert_eq!(score("1.2.3"), None);
        assert_eq!(score("quince"), None);
    }

    #[test]
    fn document_keys_ignore_formatting_but_not_the_type() {
        let key = |t: DocumentType, d: &str| DocumentKey::new(t, d);
        assert_eq!(
            key(DocumentType::Cc, "1.234.567"),
            key(DocumentType::Cc, " 001-234 567")
        );
        assert_ne!(key(DocumentType::Cc, "1234567"), key(DocumentType::Ti, "1234567"));
        assert_eq!(
            key(DocumentType::Pep, "ab-123"),
            Some(DocumentKey::Text(DocumentType::Pep, "AB123".into()))
        );
        assert_eq!(
            key(DocumentType::Cc, "000"),
            Some(DocumentKey::Number(DocumentType::Cc, 0))
        );
        assert_eq!(key(DocumentType::Cc, " - "), None);
        let long = "123456789012345678901234";
        assert_eq!(
            key(DocumentType::Cc, long),
            Some(DocumentKey::Text(DocumentType::Cc, long.into()))
        );
    }

    #[test]
    fn repeats_are_found_with_their_first_appearance() {
        let keys = ["a", "b", "a", "c", "b", "a"];
        let hash = |i: usize| rustc_hash::FxBuildHasher.hash_one(keys[i]);
        let same = |a: usize, b: usize| keys[a] == keys[b];
        assert_eq!(
            repeated(keys.len(), hash, |_| true, same),
            vec![(0, 0), (1, 1), (2, 0), (4, 1), (5, 0)]
        );
        assert_eq!(
            repeated(keys.len(), hash, |i| i != 2 && i != 5, same),
            vec![(1, 1), (4, 1)]
        );
    }
}
