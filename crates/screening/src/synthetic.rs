//! Synthetic data for batch screening (`docs/screening.md`): a `households.csv` with every column
//! of the contract and the five cross-check registries (`ruv.csv`, `prior_beneficiaries.csv`,
//! `public_servants.csv`, `sanctions.csv`, `wanted.csv`), for demos, tests and benchmarks.
//!
//! The shares follow a rural Colombian registry, and the awkward cases a screener must get right
//! are there on purpose: Sisbén scores exactly on the cut-offs, document numbers written with
//! dots, spaces, hyphens or leading zeros (in households and registries alike), heads repeated
//! on a later row, registry entries listed twice or under another document type, AREL contracts
//! ending just before and just after the five-year term, heads turning 18 on the screening date.
//!
//! The files are a pure function of the seed and the number of households, whatever the number
//! of threads: rows are made in fixed chunks, each from its own ChaCha8 stream of the seed, and
//! a head's identity (document type and number, and whether the row repeats an earlier head) is
//! a keyed hash of the row number, so any chunk can name the head of any earlier row.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use vereda_domain::household::{
    AREL_CALL_YEARS, ArelPopulationGroup, DocumentType, EthnicGroup, LandTenure, ProductiveActivity,
    SisbenArea,
};
use vereda_domain::territory::{MunicipalUnitKind, catalog};

/// How many households to make, and the seed that fixes every byte of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticOptions {
    pub households: u64,
    pub seed: u64,
}

/// What [`write_synthetic_registry`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticSummary {
    pub households: u64,
    /// Data rows (header excluded) of each registry, in the order of [`REGISTRY_KINDS`].
    pub registry_rows: Vec<(String, u64)>,
    /// `households.csv` first, then the registries in the order of [`REGISTRY_KINDS`].
    pub files: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("at most {max} households can be generated, not {requested}")]
    TooManyHouseholds { requested: u64, max: u64 },
}

/// The columns of `households.csv`, in the order of the contract.
pub const HOUSEHOLD_COLUMNS: [&str; 26] = [
    "household_id",
    "document_type",
    "document",
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "head_of_household",
    "municipality_code",
    "sisben_area",
    "sisben_score",
    "displaced",
    "ethnic_group",
    "ethnic_community_registered",
    "land_tenure",
    "land_restrictions",
    "productive_activity",
    "environmental_restriction",
    "illicit_activity",
    "inaccurate_information",
    "program_line",
    "land_contract_end",
    "arel_population_group",
    "arel_group_document",
    "arel_call_year",
    "arel_call_score",
];

/// The registry kinds of the contract; each is written to `KIND.csv`.
pub const REGISTRY_KINDS: [&str; 5] = [
    "ruv",
    "prior_beneficiaries",
    "public_servants",
    "sanctions",
    "wanted",
];

/// Each registry's header: the two columns screeners read, and two they ignore.
const REGISTRY_HEADERS: [&str; 5] = [
    "document_type,document,full_name,registered_on\n",
    "document_type,document,program,year\n",
    "document_type,document,full_name,entity\n",
    "document_type,document,resolution,registered_on\n",
    "document_type,document,full_name,registered_on\n",
];

const RUV: usize = 0;
const PRIOR: usize = 1;
const SERVANTS: usize = 2;
const SANCTIONS: usize = 3;
const WANTED: usize = 4;

/// Households are numbered below this; registry-only people above it, so their documents never
/// collide with a household's by accident.
const MAX_HOUSEHOLDS: u64 = 1 << 28;
const IDENTITY_SPACE: u64 = 1 << 30;
const CHUNK_ROWS: u64 = 16_384;
const WRITE_BUFFER: usize = 1 << 20;
/// Cédulas here run from 1.000.000 to about 1.074.741.823.
const FIRST_DOCUMENT: u64 = 1_000_000;

// Shares are in parts per million.
const PPM: u32 = 1_000_000;
/// Rows that repeat the head of an earlier row.
const REPEATED_HEAD: u32 = 5_000;
/// Of the displaced, those in the RUV; and of the others.
const RUV_IF_DISPLACED: u32 = 850_000;
const RUV_IF_NOT_DISPLACED: u32 = 20_000;
/// An RUV entry listed twice (two declarations).
const RUV_TWICE: u32 = 15_000;
/// How often each registry lists a household's head, in the order of [`REGISTRY_KINDS`] (RUV
/// depends on displacement instead).
const LISTED: [u32; 5] = [0, 20_000, 10_000, 3_000, 2_000];
/// Entries of people who are not in the households file, per household row; RUV's bring the
/// registry to about 30 % of the households.
const UNRELATED: [u32; 5] = [111_000, 10_000, 5_000, 2_000, 1_500];
/// Of those, entries that carry a household's number under another document type.
const OTHER_TYPE: u32 = 30_000;
/// Registry entries whose document type is written in lower case.
const LOWER_CASE_TYPE: u32 = 10_000;

const DOCUMENT_TYPES: &[(u32, DocumentType)] = &[
    (930_000, DocumentType::Cc),
    (15_000, DocumentType::Ti),
    (15_000, DocumentType::Ce),
    (15_000, DocumentType::Pep),
    (20_000, DocumentType::Ppt),
    (5_000, DocumentType::Rc),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocStyle {
    Plain,
    /// `1.234.567`
    Dotted,
    /// `0001234567`
    ZeroPadded,
    /// `1 234 567`
    Spaced,
    /// `1-234-567`
    Hyphenated,
    /// ` 1234567 `
    Surrounded,
}

const HOUSEHOLD_DOC_STYLES: &[(u32, DocStyle)] = &[
    (940_000, DocStyle::Plain),
    (25_000, DocStyle::Dotted),
    (15_000, DocStyle::ZeroPadded),
    (8_000, DocStyle::Spaced),
    (7_000, DocStyle::Hyphenated),
    (5_000, DocStyle::Surrounded),
];
/// A repeated head is often written differently the second time.
const REPEATED_DOC_STYLES: &[(u32, DocStyle)] = &[
    (500_000, DocStyle::Plain),
    (200_000, DocStyle::Dotted),
    (150_000, DocStyle::ZeroPadded),
    (50_000, DocStyle::Spaced),
    (50_000, DocStyle::Hyphenated),
    (50_000, DocStyle::Surrounded),
];
const REGISTRY_DOC_STYLES: &[(u32, DocStyle)] = &[
    (850_000, DocStyle::Plain),
    (70_000, DocStyle::Dotted),
    (40_000, DocStyle::ZeroPadded),
    (15_000, DocStyle::Spaced),
    (15_000, DocStyle::Hyphenated),
    (10_000, DocStyle::Surrounded),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Female,
    Male,
    Other,
}

const SEXES: &[(u32, Sex)] = &[(400_000, Sex::Female), (598_000, Sex::Male), (2_000, Sex::Other)];

const SISBEN_AREAS: &[(u32, SisbenArea)] = &[
    (50_000, SisbenArea::MainCities),
    (200_000, SisbenArea::RestUrban),
    (750_000, SisbenArea::Rural),
];

/// Scores exactly on a cut-off or just past one, as written in the file.
const BOUNDARY_SCORES: &[&str] = &[
    "0", "0.00", "0.01", "20", "20.00", "20.01", "19.99", "30", "30.0", "30.01", "35", "35.5", "35.01", "40",
    "40.00", "40.01", "50", "50.00", "50.01", "100", "100.00",
];
const EMPTY_SCORE: u32 = 80_000;
const BOUNDARY_SCORE: u32 = 30_000;
/// Of the other scores, those under 50 (Sisbén III scores of the rural poor).
const SCORE_UNDER_50: u32 = 760_000;
/// Scores written with a decimal comma (so quoted in the CSV).
const DECIMAL_COMMA: u32 = 10_000;

const ETHNIC_GROUPS: &[(u32, EthnicGroup)] = &[
    (834_000, EthnicGroup::None),
    (100_000, EthnicGroup::Afro),
    (60_000, EthnicGroup::Indigenous),
    (3_000, EthnicGroup::Raizal),
    (2_000, EthnicGroup::Palenquero),
    (1_000, EthnicGroup::Rrom),
];
const ETHNIC_REGISTERED: u32 = 850_000;
/// `none` with the community flag set anyway: a form filled in carelessly.
const NONE_REGISTERED: u32 = 10_000;

const DISPLACED: u32 = 200_000;
const HEAD_OF_HOUSEHOLD: u32 = 970_000;
const AREL_LINE: u32 = 50_000;
/// The groups of Art. 38 of AREL fishers and of aquaculturists; a few rows in none (not
/// eligible for the line), most in one of the six, so AREL rows stay mostly eligible.
const AREL_FISHER_GROUPS: &[(u32, ArelPopulationGroup)] = &[
    (450_000, ArelPopulationGroup::ArtisanalFisher),
    (180_000, ArelPopulationGroup::Investments2006To2007),
    (280_000, ArelPopulationGroup::Calls2008To2011),
    (70_000, ArelPopulationGroup::SanAndresFisher),
    (20_000, ArelPopulationGroup::None),
];
const AREL_AQUACULTURE_GROUPS: &[(u32, ArelPopulationGroup)] = &[
    (450_000, ArelPopulationGroup::LimitedResourceAquaculturist),
    (180_000, ArelPopulationGroup::Investments2006To2007),
    (280_000, ArelPopulationGroup::Calls2008To2011),
    (70_000, ArelPopulationGroup::SanAndresAquaculturist),
    (20_000, ArelPopulationGroup::None),
];
/// A group backed by its documento idóneo (Art. 38 par. 2).
const AREL_GROUP_DOCUMENT: u32 = 970_000;
const LAND_RESTRICTIONS: u32 = 40_000;
const ENVIRONMENTAL_RESTRICTION: u32 = 30_000;
const ILLICIT_ACTIVITY: u32 = 5_000;
const INACCURATE_INFORMATION: u32 = 10_000;

const GENERAL_TENURE: &[(u32, LandTenure)] = &[
    (650_000, LandTenure::Owner),
    (150_000, LandTenure::Occupant),
    (90_000, LandTenure::Tenant),
    (60_000, LandTenure::Comodato),
    (50_000, LandTenure::None),
];
const AREL_TENURE: &[(u32, LandTenure)] = &[
    (350_000, LandTenure::Owner),
    (250_000, LandTenure::Tenant),
    (200_000, LandTenure::Comodato),
    (120_000, LandTenure::Occupant),
    (80_000, LandTenure::None),
];
const GENERAL_ACTIVITY: &[(u32, ProductiveActivity)] = &[
    (550_000, ProductiveActivity::Agricultural),
    (250_000, ProductiveActivity::Livestock),
    (30_000, ProductiveActivity::Fishing),
    (20_000, ProductiveActivity::Aquaculture),
    (30_000, ProductiveActivity::Forestry),
    (40_000, ProductiveActivity::Agroindustrial),
    (60_000, ProductiveActivity::RuralIncome),
    (20_000, ProductiveActivity::None),
];
const AREL_ACTIVITY: &[(u32, ProductiveActivity)] = &[
    (600_000, ProductiveActivity::Fishing),
    (300_000, ProductiveActivity::Aquaculture),
    (50_000, ProductiveActivity::Agricultural),
    (20_000, ProductiveActivity::Livestock),
    (30_000, ProductiveActivity::None),
];

/// The screening date the ages and contract terms are made around (the benchmark's `--as-of`).
const AS_OF: (i32, u32, u32) = (2013, 6, 1);
/// Heads born on these dates are 18, 17 and 18 years old on [`AS_OF`].
const EIGHTEENTH_BIRTHDAYS: [(i32, u32, u32); 3] = [(1995, 6, 1), (1995, 6, 2), (1995, 5, 31)];
const EIGHTEENTH_BIRTHDAY: u32 = 3_000;
/// Heads under 18 with an adult's document (a TI not yet exchanged for a CC is the usual case).
const MINOR_WITH_ADULT_DOCUMENT: u32 = 3_000;

/// The Sisbén III "14 main cities" (area 1), by their DIVIPOLA code.
const MAIN_CITIES: [&str; 14] = [
    "11001", "05001", "76001", "08001", "13001", "68001", "54001", "73001", "17001", "23001", "52001",
    "66001", "50001", "47001",
];
/// PDET municipalities, the most rural and conflict-affected, weigh this much more.
const PDET_WEIGHT: usize = 3;

#[rustfmt::skip]
const FEMALE_NAMES: &[&str] = &[
    "María", "Ana", "Luz", "Carmen", "Rosa", "Gloria", "Marta", "Blanca", "Diana", "Sandra",
    "Claudia", "Paola", "Yolanda", "Dora", "Alba", "Nubia", "Esperanza", "Leidy", "Yeimi",
    "Marleny", "Flor", "Sofía", "Valentina", "Daniela", "Ángela", "Mercedes", "Olga", "Liliana",
    "Adriana", "Yaneth",
];
#[rustfmt::skip]
const MALE_NAMES: &[&str] = &[
    "José", "Luis", "Juan", "Carlos", "Jorge", "Pedro", "Jesús", "Manuel", "Antonio",
    "Francisco", "Jairo", "Alirio", "Edgar", "Fabio", "Hernando", "Rubén", "Wilson", "Jhon",
    "Óscar", "Andrés", "Diego", "Camilo", "Julián", "Sebastián", "Ramiro", "Gustavo", "Orlando",
    "Víctor", "Ómar", "Arley",
];
#[rustfmt::skip]
const LAST_NAMES: &[&str] = &[
    "Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández", "Sánchez",
    "Ramírez", "Pérez", "Díaz", "Muñoz", "Rojas", "Moreno", "Jiménez", "Vargas", "Castro",
    "Gutiérrez", "Ortiz", "Torres", "Suárez", "Valencia", "Quintero", "Mosquera", "Palacios",
    "Cuesta", "Rentería", "Ipia", "Pushaina", "Epiayú", "Tunubalá", "Cabrera", "Ospina",
    "Cárdenas", "Guerrero", "Restrepo", "Zapata", "Arias", "Caicedo", "Córdoba",
];
const PROGRAMS: &[&str] = &[
    "Alianzas Productivas",
    "Oportunidades Rurales",
    "Mujer Rural",
    "Desarrollo Rural con Equidad",
    "Vivienda de Interés Social Rural",
    "Subsidio Integral de Tierras",
];
const ENTITIES: &[&str] = &[
    "Alcaldía municipal",
    "Gobernación",
    "INCODER",
    "Ministerio de Agricultura y Desarrollo Rural",
    "Personería municipal",
    "Concejo municipal",
    "Banco Agrario",
];

/// Writes `households.csv` and the five registries into `out_dir` (created if missing),
/// replacing files of those names. Each file is written under a temporary name beside its final
/// one, and the six are renamed only when all are complete; when writing fails the temporary
/// files are removed and the final ones are left as they were.
pub fn write_synthetic_registry(
    options: &SyntheticOptions,
    out_dir: &Path,
) -> Result<SyntheticSummary, SyntheticError> {
    if options.households > MAX_HOUSEHOLDS {
        return Err(SyntheticError::TooManyHouseholds {
            requested: options.households,
            max: MAX_HOUSEHOLDS,
        });
    }
    fs::create_dir_all(out_dir).map_err(io_error(out_dir))?;
    let generator = Generator::new(options);

    let mut names = vec!["households.csv".to_owned()];
    names.extend(REGISTRY_KINDS.iter().map(|kind| format!("{kind}.csv")));
    let files: Vec<PathBuf> = names.iter().map(|name| out_dir.join(name)).collect();
    // Unique per process and call, so two runs into one directory never share a file.
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let temporary: Vec<PathBuf> = names
        .iter()
        .map(|name| out_dir.join(format!(".{name}.{}-{run}.tmp", std::process::id())))
        .collect();

    let written = write_files(&generator, &temporary).and_then(|counts| {
        for (from, to) in temporary.iter().zip(&files) {
            fs::rename(from, to).map_err(io_error(to))?;
        }
        Ok(counts)
    });
    match written {
        Ok(counts) => Ok(SyntheticSummary {
            households: options.households,
            registry_rows: REGISTRY_KINDS
                .iter()
                .zip(counts)
                .map(|(kind, rows)| ((*kind).to_owned(), rows))
                .collect(),
            files,
        }),
        Err(error) => {
            for path in &temporary {
                // Best effort: the error that matters is the one being returned.
                let _ = fs::remove_file(path);
            }
            Err(error)
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SyntheticError + '_ {
    move |source| SyntheticError::Io {
        path: path.to_owned(),
        source,
    }
}

struct Sink {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Sink {
    fn create(path: &Path) -> Result<Self, SyntheticError> {
        let file = File::create(path).map_err(io_error(path))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SyntheticError> {
        self.out.write_all(bytes).map_err(io_error(&self.path))
    }

    fn finish(mut self) -> Result<(), SyntheticError> {
        self.out.flush().map_err(io_error(&self.path))
    }
}

/// The rows of one chunk, ready to append to each file.
struct Chunk {
    households: Vec<u8>,
    registries: [Vec<u8>; 5],
    registry_rows: [u64; 5],
}

/// Makes the chunks in parallel, a window at a time, while one thread appends the previous
/// window to the files in chunk order.
fn write_files(generator: &Generator, paths: &[PathBuf]) -> Result<[u64; 5], SyntheticError> {
    let mut sinks = paths
        .iter()
        .map(|path| Sink::create(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut header = HOUSEHOLD_COLUMNS.join(",");
    header.push('\n');
    let mut headers = vec![header.as_str()];
    headers.extend(REGISTRY_HEADERS);
    for (sink, header) in sinks.iter_mut().zip(headers) {
        sink.write(header.as_bytes())?;
    }

    let chunks = generator.households.div_ceil(CHUNK_ROWS);
    let window = (rayon::current_num_threads() as u64 * 2).max(2);
    let (sender, receiver) = mpsc::sync_channel::<Vec<Chunk>>(1);
    let counts = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<[u64; 5], SyntheticError> {
            let mut counts = [0; 5];
            for batch in receiver {
                for chunk in batch {
                    sinks[0].write(&chunk.households)?;
                    for (kind, bytes) in chunk.registries.iter().enumerate() {
                        sinks[kind + 1].write(bytes)?;
                        counts[kind] += chunk.registry_rows[kind];
                    }
                }
            }
            for sink in sinks {
                sink.finish()?;
            }
            Ok(counts)
        });
        let mut first = 0;
        while first < chunks {
            let end = (first + window).min(chunks);
            let batch: Vec<Chunk> = (first..end)
                .into_par_iter()
                .map(|index| generator.chunk(index))
                .collect();
            if sender.send(batch).is_err() {
                // The writer stopped on an error, which its join reports.
                break;
            }
            first = end;
        }
        drop(sender);
        writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    Ok(counts)
}

/// A keyed 64-bit mix (splitmix64's finaliser).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash(key: u64, value: u64) -> u64 {
    mix(key ^ mix(value.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

fn pick<T: Copy>(roll: u32, table: &[(u32, T)]) -> T {
    let mut upto = 0;
    for &(share, value) in table {
        upto += share;
        if roll < upto {
            return value;
        }
    }
    table[table.len() - 1].1
}

/// A chunk's random stream.
/// The four AREL columns of an AREL row (Art. 38): the group, its documento idóneo, and for
/// group 4 the year of its call and the project's score there (par. 4).
fn put_arel_group(out: &mut Vec<u8>, draw: &mut Draw, activity: ProductiveActivity) {
    let groups = if activity == ProductiveActivity::Aquaculture {
        AREL_AQUACULTURE_GROUPS
    } else {
        AREL_FISHER_GROUPS
    };
    let group = draw.pick(groups);
    out.extend_from_slice(group.as_str().as_bytes());
    out.push(b',');
    put_bool(
        out,
        group != ArelPopulationGroup::None && draw.chance(AREL_GROUP_DOCUMENT),
    );
    out.push(b',');
    if group == ArelPopulationGroup::Calls2008To2011 {
        let year = AREL_CALL_YEARS[draw.below(AREL_CALL_YEARS.len() as u32) as usize];
        out.extend_from_slice(year.to_string().as_bytes());
        out.push(b',');
        let tenths = 500 + draw.below(501);
        out.extend_from_slice(format!("{}.{}", tenths / 10, tenths % 10).as_bytes());
    } else {
        out.push(b',');
    }
}

struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 n).
    fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.0.next_u32()) * u64::from(n)) >> 32) as u32
    }

    fn chance(&mut self, ppm: u32) -> bool {
        self.below(PPM) < ppm
    }

    fn pick<T: Copy>(&mut self, table: &[(u32, T)]) -> T {
        let roll = self.below(PPM);
        pick(roll, table)
    }

    fn choose<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u32) as usize]
    }
}

#[derive(Debug, Clone, Copy)]
struct Name {
    first: u16,
    second: Option<u16>,
    surname: u16,
    second_surname: Option<u16>,
    female: bool,
}

impl Name {
    fn draw(draw: &mut Draw, sex: Sex) -> Self {
        let female = match sex {
            Sex::Female => true,
            Sex::Male => false,
            Sex::Other => draw.chance(PPM / 2),
        };
        let given = if female { FEMALE_NAMES } else { MALE_NAMES };
        let count = given.len() as u32;
        let first = draw.below(count) as u16;
        let second = draw
            .chance(250_000)
            .then(|| ((u32::from(first) + 1 + draw.below(count - 1)) % count) as u16);
        let surnames = LAST_NAMES.len() as u32;
        Self {
            first,
            second,
            surname: draw.below(surnames) as u16,
            second_surname: draw.chance(880_000).then(|| draw.below(surnames) as u16),
            female,
        }
    }

    fn put_first(&self, out: &mut Vec<u8>) {
        let given = if self.female { FEMALE_NAMES } else { MALE_NAMES };
        out.extend_from_slice(given[usize::from(self.first)].as_bytes());
        if let Some(second) = self.second {
            out.push(b' ');
            out.extend_from_slice(given[usize::from(second)].as_bytes());
        }
    }

    fn put_last(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(LAST_NAMES[usize::from(self.surname)].as_bytes());
        if let Some(second) = self.second_surname {
            out.push(b' ');
            out.extend_from_slice(LAST_NAMES[usize::from(second)].as_bytes());
        }
    }

    fn put_full(&self, out: &mut Vec<u8>) {
        self.put_first(out);
        out.push(b' ');
        self.put_last(out);
    }
}

/// Everything that is fixed for a run.
struct Generator {
    households: u64,
    seed: u64,
    repeat_key: u64,
    type_key: u64,
    unrelated_key: u64,
    permutation_keys: [u64; 3],
    id_width: usize,
    /// DIVIPOLA codes, PDET ones repeated [`PDET_WEIGHT`] times.
    municipalities: Vec<[u8; 5]>,
    main_cities: Vec<[u8; 5]>,
    as_of: i32,
    five_years_later: i32,
    eighteenth_birthdays: [i32; 3],
}

impl Generator {
    fn new(options: &SyntheticOptions) -> Self {
        let key = |n: u64| hash(options.seed, n);
        let mut municipalities = Vec::new();
        for municipality in &catalog().municipalities {
            let Ok(code) = <[u8; 5]>::try_from(municipality.code.as_str().as_bytes()) else {
                continue;
            };
            let weight = if municipality.pdet_subregion.is_some()
                && municipality.kind == MunicipalUnitKind::Municipality
            {
                PDET_WEIGHT
            } else {
                1
            };
            municipalities.extend(std::iter::repeat_n(code, weight));
        }
        let main_cities: Vec<[u8; 5]> = MAIN_CITIES
            .iter()
            .filter_map(|code| <[u8; 5]>::try_from(code.as_bytes()).ok())
            .filter(|code| municipalities.contains(code))
            .collect();
        let (year, month, day) = AS_OF;
        Self {
            households: options.households,
            seed: options.seed,
            repeat_key: key(1),
            type_key: key(2),
            unrelated_key: key(3),
            permutation_keys: [key(4), key(5), key(6)],
            id_width: decimal_digits(options.households).max(7),
            municipalities,
            main_cities,
            as_of: days_from_civil(year, month, day),
            five_years_later: days_from_civil(year + 5, month, day),
            eighteenth_birthdays: EIGHTEENTH_BIRTHDAYS.map(|(y, m, d)| days_from_civil(y, m, d)),
        }
    }

    /// The earlier row whose head row `row` repeats, if it does.
    fn repeats(&self, row: u64) -> Option<u64> {
        if row == 0 {
            return None;
        }
        let h = hash(self.repeat_key, row);
        ((h % u64::from(PPM)) < u64::from(REPEATED_HEAD)).then_some((h >> 32) % row)
    }

    /// The person heading row `row`: the row that first had them.
    fn person(&self, mut row: u64) -> u64 {
        while let Some(earlier) = self.repeats(row) {
            row = earlier;
        }
        row
    }

    /// A person's document number: a keyed permutation of the person's number, so distinct
    /// people never share one.
    fn document_number(&self, person: u64) -> u64 {
        const MASK: u64 = IDENTITY_SPACE - 1;
        let mut x = person & MASK;
        for key in self.permutation_keys {
            x ^= key & MASK;
            x = x.wrapping_mul(0x2545_f491) & MASK;
            x ^= x >> 15;
            x = x.wrapping_mul(0x5851_f42d) & MASK;
            x ^= x >> 13;
        }
        FIRST_DOCUMENT + x
    }

    fn document_type(&self, person: u64) -> DocumentType {
        pick(
            (hash(self.type_key, person) % u64::from(PPM)) as u32,
            DOCUMENT_TYPES,
        )
    }

    fn chunk(&self, index: u64) -> Chunk {
        let first = index * CHUNK_ROWS;
        let end = (first + CHUNK_ROWS).min(self.households);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index);
        let mut draw = Draw(rng);
        let mut chunk = Chunk {
            households: Vec::with_capacity((end - first) as usize * 190),
            registries: [
                Vec::with_capacity((end - first) as usize * 14),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            ],
            registry_rows: [0; 5],
        };
        for row in first..end {
            self.row(&mut draw, row, &mut chunk);
        }
        chunk
    }

    fn row(&self, draw: &mut Draw, row: u64, chunk: &mut Chunk) {
        let out = &mut chunk.households;
        let repeated = self.repeats(row).is_some();
        let person = self.person(row);
        let document_type = self.document_type(person);
        let number = self.document_number(person);

        out.push(b'H');
        put_padded(out, row + 1, self.id_width);
        out.push(b',');
        out.extend_from_slice(document_type.as_str().as_bytes());
        out.push(b',');
        let styles = if repeated {
            REPEATED_DOC_STYLES
        } else {
            HOUSEHOLD_DOC_STYLES
        };
        put_document(out, number, draw.pick(styles));
        out.push(b',');

        let sex = draw.pick(SEXES);
        let name = Name::draw(draw, sex);
        name.put_first(out);
        out.push(b',');
        name.put_last(out);
        out.push(b',');
        out.push(match sex {
            Sex::Female => b'F',
            Sex::Male => b'M',
            Sex::Other => b'X',
        });
        out.push(b',');
        put_date(out, self.birth_date(draw, document_type));
        out.push(b',');
        put_bool(out, draw.chance(HEAD_OF_HOUSEHOLD));
        out.push(b',');

        let area = draw.pick(SISBEN_AREAS);
        let pool = if area == SisbenArea::MainCities && !self.main_cities.is_empty() {
            &self.main_cities
        } else {
            &self.municipalities
        };
        out.extend_from_slice(&pool[draw.below(pool.len() as u32) as usize]);
        out.push(b',');
        out.extend_from_slice(area.as_str().as_bytes());
        out.push(b',');
        put_score(out, draw);
        out.push(b',');

        let displaced = draw.chance(DISPLACED);
        put_bool(out, displaced);
        out.push(b',');
        let ethnic = draw.pick(ETHNIC_GROUPS);
        out.extend_from_slice(ethnic.as_str().as_bytes());
        out.push(b',');
        let registered = if ethnic == EthnicGroup::None {
            NONE_REGISTERED
        } else {
            ETHNIC_REGISTERED
        };
        put_bool(out, draw.chance(registered));
        out.push(b',');

        let arel = draw.chance(AREL_LINE);
        let tenure = draw.pick(if arel { AREL_TENURE } else { GENERAL_TENURE });
        out.extend_from_slice(tenure.as_str().as_bytes());
        out.push(b',');
        put_bool(out, draw.chance(LAND_RESTRICTIONS));
        out.push(b',');
        let activity = draw.pick(if arel { AREL_ACTIVITY } else { GENERAL_ACTIVITY });
        out.extend_from_slice(activity.as_str().as_bytes());
        out.push(b',');
        put_bool(out, draw.chance(ENVIRONMENTAL_RESTRICTION));
        out.push(b',');
        put_bool(out, draw.chance(ILLICIT_ACTIVITY));
        out.push(b',');
        put_bool(out, draw.chance(INACCURATE_INFORMATION));
        out.push(b',');
        out.extend_from_slice(if arel { b"arel" } else { b"general" });
        out.push(b',');
        if let Some(end) = self.contract_end(draw, arel, tenure) {
            put_date(out, end);
        }
        out.push(b',');
        if arel {
            put_arel_group(out, draw, activity);
        } else {
            out.extend_from_slice(b",,,");
        }
        out.push(b'\n');

        self.registry_entries(draw, row, document_type, number, displaced, &name, chunk);
    }

    fn birth_date(&self, draw: &mut Draw, document_type: DocumentType) -> i32 {
        if draw.chance(EIGHTEENTH_BIRTHDAY) {
            return self.eighteenth_birthdays[draw.below(3) as usize];
        }
        let minor = match document_type {
            DocumentType::Ti => draw.chance(850_000),
            DocumentType::Rc => draw.chance(PPM / 2),
            _ => draw.chance(MINOR_WITH_ADULT_DOCUMENT),
        };
        let age = if minor {
            15 + draw.below(3)
        } else {
            let band = draw.below(100);
            if band < 15 {
                18 + draw.below(7)
            } else if band < 85 {
                25 + draw.below(41)
            } else {
                66 + draw.below(25)
            }
        };
        // `age` whole years and up to 364 days before the screening date.
        self.as_of - (age * 365 + age / 4) as i32 - draw.below(365) as i32
    }

    /// The end of a lease or comodato: for AREL tenants a mix of contracts ending before, on and
    /// after the five-year term; elsewhere often left empty.
    fn contract_end(&self, draw: &mut Draw, arel: bool, tenure: LandTenure) -> Option<i32> {
        let leased = matches!(tenure, LandTenure::Tenant | LandTenure::Comodato);
        if !leased {
            return draw.chance(10_000).then(|| self.as_of + draw.below(3650) as i32);
        }
        if !arel {
            return draw
                .chance(PPM / 2)
                .then(|| self.as_of - 365 + draw.below(11 * 365) as i32);
        }
        let term = self.five_years_later;
        let roll = draw.below(100);
        match roll {
            0..8 => None,
            8..12 => Some(term),
            12..15 => Some(term - 1),
            15..57 => {
                let span = (term - 1 - self.as_of) as u32;
                Some(self.as_of + draw.below(span) as i32)
            }
            _ => Some(term + 1 + draw.below(7 * 365) as i32),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn registry_entries(
        &self,
        draw: &mut Draw,
        row: u64,
        document_type: DocumentType,
        number: u64,
        displaced: bool,
        name: &Name,
        chunk: &mut Chunk,
    ) {
        for kind in 0..REGISTRY_KINDS.len() {
            let listed = match kind {
                RUV if displaced => RUV_IF_DISPLACED,
                RUV => RUV_IF_NOT_DISPLACED,
                _ => LISTED[kind],
            };
            if draw.chance(listed) {
                let copies = if kind == RUV && draw.chance(RUV_TWICE) {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    self.registry_entry(draw, kind, document_type, number, Some(name), chunk);
                }
            }
            if draw.chance(UNRELATED[kind]) {
                if draw.chance(OTHER_TYPE) {
                    let own = DocumentType::ALL
                        .iter()
                        .position(|t| *t == document_type)
                        .unwrap_or(0);
                    let count = DocumentType::ALL.len() as u32;
                    let other = (own as u32 + 1 + draw.below(count - 1)) % count;
                    let other = DocumentType::ALL[other as usize];
                    self.registry_entry(draw, kind, other, number, None, chunk);
                } else {
                    let span = IDENTITY_SPACE - MAX_HOUSEHOLDS;
                    let person = MAX_HOUSEHOLDS + hash(self.unrelated_key, row * 8 + kind as u64) % span;
                    let document_type = self.document_type(person);
                    let number = self.document_number(person);
                    self.registry_entry(draw, kind, document_type, number, None, chunk);
                }
            }
        }
    }

    fn registry_entry(
        &self,
        draw: &mut Draw,
        kind: usize,
        document_type: DocumentType,
        number: u64,
        name: Option<&Name>,
        chunk: &mut Chunk,
    ) {
        let out = &mut chunk.registries[kind];
        chunk.registry_rows[kind] += 1;
        let type_text = document_type.as_str();
        if draw.chance(LOWER_CASE_TYPE) {
            out.extend(type_text.bytes().map(|b| b.to_ascii_lowercase()));
        } else {
            out.extend_from_slice(type_text.as_bytes());
        }
        out.push(b',');
        put_document(out, number, draw.pick(REGISTRY_DOC_STYLES));
        out.push(b',');
        let put_name = |out: &mut Vec<u8>, draw: &mut Draw| match name {
            Some(name) => name.put_full(out),
            None => {
                let sex = draw.pick(SEXES);
                Name::draw(draw, sex).put_full(out);
            }
        };
        match kind {
            PRIOR => {
                out.extend_from_slice(draw.choose(PROGRAMS).as_bytes());
                out.push(b',');
                put_u64(out, u64::from(2000 + draw.below(13)));
            }
            SERVANTS => {
                put_name(out, draw);
                out.push(b',');
                out.extend_from_slice(draw.choose(ENTITIES).as_bytes());
            }
            SANCTIONS => {
                let year = 2005 + draw.below(8);
                out.extend_from_slice(b"RES-");
                put_u64(out, u64::from(year));
                out.push(b'-');
                put_padded(out, u64::from(draw.below(100_000)), 5);
                out.push(b',');
                let start = days_from_civil(year as i32, 1, 1);
                put_date(out, start + draw.below(365) as i32);
            }
            _ => {
                // RUV and wanted: a name and the date of the declaration or of the order.
                put_name(out, draw);
                out.push(b',');
                let start = if kind == WANTED {
                    days_from_civil(2008, 1, 1)
                } else {
                    days_from_civil(1997, 1, 1)
                };
                put_date(out, start + draw.below((self.as_of - 1 - start) as u32) as i32);
            }
        }
        out.push(b'\n');
    }
}

fn decimal_digits(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// The decimal digits of `n`, right-aligned in a 20-byte buffer, and where they start.
fn digits(mut n: u64) -> ([u8; 20], usize) {
    let mut buffer = [0u8; 20];
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (buffer, start);
        }
    }
}

fn put_u64(out: &mut Vec<u8>, n: u64) {
    let (buffer, start) = digits(n);
    out.extend_from_slice(&buffer[start..]);
}

fn put_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let (buffer, start) = digits(n);
    let len = buffer.len() - start;
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(len)));
    out.extend_from_slice(&buffer[start..]);
}

fn put_bool(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

fn put_date(out: &mut Vec<u8>, days: i32) {
    let (year, month, day) = civil_from_days(days);
    put_padded(out, u64::try_from(year).unwrap_or(0), 4);
    out.push(b'-');
    put_padded(out, u64::from(month), 2);
    out.push(b'-');
    put_padded(out, u64::from(day), 2);
}

fn put_document(out: &mut Vec<u8>, number: u64, style: DocStyle) {
    let (buffer, start) = digits(number);
    let text = &buffer[start..];
    let grouped = |out: &mut Vec<u8>, separator: u8| {
        for (i, digit) in text.iter().enumerate() {
            if i > 0 && (text.len() - i) % 3 == 0 {
                out.push(separator);
            }
            out.push(*digit);
        }
    };
    match style {
        DocStyle::Plain => out.extend_from_slice(text),
        DocStyle::Dotted => grouped(out, b'.'),
        DocStyle::Spaced => grouped(out, b' '),
        DocStyle::Hyphenated => grouped(out, b'-'),
        DocStyle::ZeroPadded => {
            let width = if text.len() < 10 { 10 } else { text.len() + 2 };
            out.extend(std::iter::repeat_n(b'0', width - text.len()));
            out.extend_from_slice(text);
        }
        DocStyle::Surrounded => {
            out.push(b' ');
            out.extend_from_slice(text);
            out.push(b' ');
        }
    }
}

/// A Sisbén III score: empty for some, exactly on a cut-off for some, else mostly under 50,
/// written with two, one or no decimals, and now and then with a decimal comma.
fn put_score(out: &mut Vec<u8>, draw: &mut Draw) {
    let roll = draw.below(PPM);
    if roll < EMPTY_SCORE {
        return;
    }
    if roll < EMPTY_SCORE + BOUNDARY_SCORE {
        out.extend_from_slice(draw.choose(BOUNDARY_SCORES).as_bytes());
        return;
    }
    let hundredths = if draw.chance(SCORE_UNDER_50) {
        // Triangular over 0-50, peaking at 25.
        draw.below(2_501) + draw.below(2_500)
    } else {
        5_001 + draw.below(5_000)
    };
    let comma = draw.chance(DECIMAL_COMMA);
    let (mark, quote): (u8, &[u8]) = if comma { (b',', b"\"") } else { (b'.', b"") };
    match draw.below(20) {
        0..11 => {
            out.extend_from_slice(quote);
            put_u64(out, u64::from(hundredths / 100));
            out.push(mark);
            put_padded(out, u64::from(hundredths % 100), 2);
            out.extend_from_slice(quote);
        }
        11..17 => {
            out.extend_from_slice(quote);
            put_u64(out, u64::from(hundredths / 100));
            out.push(mark);
            put_u64(out, u64::from(hundredths / 10 % 10));
            out.extend_from_slice(quote);
        }
        _ => put_u64(out, u64::from(hundredths / 100)),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = (year - era * 400) as u32;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era as i32 - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let day_of_era = (z - era * 146_097) as u32;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era as i32 + era * 400;
    (if month <= 2 { year + 1 } else { year }, month, day)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use vereda_domain::household::normalize_document;
    use vereda_domain::territory::DaneCode;

    use super::*;

    fn generate(households: u64, seed: u64) -> (tempfile::TempDir, SyntheticSummary) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let summary =
            write_synthetic_registry(&SyntheticOptions { households, seed }, dir.path()).expect("generation");
        (dir, summary)
    }

    fn contents(summary: &SyntheticSummary) -> Vec<Vec<u8>> {
        summary
            .files
            .iter()
            .map(|path| fs::read(path).expect("read back"))
            .collect()
    }

    fn records(path: &Path) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .expect("open")
            .records()
            .map(|record| record.expect("record"))
            .collect()
    }

    /// The matching keys of a file whose document type is in column `column` and the number
    /// right after it.
    fn keys(path: &Path, column: usize) -> Vec<(String, String)> {
        records(path)
            .iter()
            .map(|r| (r[column].to_ascii_uppercase(), normalize_document(&r[column + 1])))
            .collect()
    }

    fn is_formatted(document: &str) -> bool {
        document.starts_with('0') || document.contains(['.', ' ', '-'])
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (_a, first) = generate(40_000, 7);
        let (_b, second) = generate(40_000, 7);
        let (_c, other) = generate(40_000, 8);
        assert_eq!(contents(&first), contents(&second));
        assert_eq!(first.registry_rows, second.registry_rows);
        let (a, c) = (contents(&first), contents(&other));
        for (a, c) in a.iter().zip(&c) {
            assert_ne!(a, c);
        }
    }

    #[test]
    fn output_does_not_depend_on_the_number_of_threads() {
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool")
                .install(|| {
                    let (_dir, summary) = generate(3 * CHUNK_ROWS + 17, 42);
                    contents(&summary)
                })
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn leaves_exactly_the_six_files() {
        let (dir, summary) = generate(1_000, 1);
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "households.csv",
                "prior_beneficiaries.csv",
                "public_servants.csv",
                "ruv.csv",
                "sanctions.csv",
                "wanted.csv"
            ]
        );
        assert_eq!(summary.files.len(), 6);
        assert_eq!(summary.households, 1_000);
        let kinds: Vec<&str> = summary.registry_rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, REGISTRY_KINDS);
        for ((_, rows), path) in summary.registry_rows.iter().zip(&summary.files[1..]) {
            assert_eq!(records(path).len() as u64, *rows);
        }
    }

    #[test]
    fn households_follow_the_contract() {
        let (_dir, summary) = generate(20_000, 3);
        let path = &summary.files[0];
        let mut reader = csv::Reader::from_path(path).expect("open");
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, HOUSEHOLD_COLUMNS);
        let rows = records(path);
        assert_eq!(rows.len(), 20_000);
        let as_of = days_from_civil(2013, 6, 1);
        let mut ids = HashSet::new();
        let (mut empty_scores, mut rural, mut arel, mut comma_scores) = (0, 0, 0, 0);
        let mut arel_in_a_group = 0;
        for row in &rows {
            assert_eq!(row.len(), 26, "{row:?}");
            assert!(ids.insert(row[0].to_owned()), "repeated id {}", &row[0]);
            row[1].parse::<DocumentType>().expect("document type");
            DaneCode::parse(&row[8]).expect("a real municipality");
            assert_eq!(row[8].len(), 5);
            row[9].parse::<SisbenArea>().expect("area");
            row[12].parse::<EthnicGroup>().expect("ethnic group");
            row[14].parse::<LandTenure>().expect("tenure");
            row[16].parse::<ProductiveActivity>().expect("activity");
            assert!(matches!(&row[5], "F" | "M" | "X"));
            assert!(matches!(&row[20], "general" | "arel"));
            for column in [7, 11, 13, 15, 17, 18, 19] {
                assert!(matches!(&row[column], "true" | "false"), "{}", &row[column]);
            }
            let birth = parse_date(&row[6]);
            let age_days = as_of - birth;
            assert!((14 * 365..=92 * 365).contains(&age_days), "{}", &row[6]);
            if !row[21].is_empty() {
                parse_date(&row[21]);
            }
            let score = &row[10];
            if score.is_empty() {
                empty_scores += 1;
            } else {
                let value: f64 = score.replace(',', ".").parse().expect("score");
                assert!((0.0..=100.0).contains(&value), "{score}");
                comma_scores += usize::from(score.contains(','));
            }
            rural += usize::from(&row[9] == "3");
            arel += usize::from(&row[20] == "arel");
            if &row[20] == "arel" {
                let group: ArelPopulationGroup = row[22].parse().expect("AREL group");
                assert!(matches!(&row[23], "true" | "false"));
                let group_4 = group == ArelPopulationGroup::Calls2008To2011;
                assert_eq!(!row[24].is_empty(), group_4, "{row:?}");
                assert_eq!(!row[25].is_empty(), group_4, "{row:?}");
                arel_in_a_group += usize::from(group != ArelPopulationGroup::None && &row[23] == "true");
            } else {
                assert!((22..26).all(|i| row[i].is_empty()), "{row:?}");
            }
        }
        assert!(arel_in_a_group * 10 > arel * 9, "{arel_in_a_group} of {arel}");
        assert!((1_200..2_000).contains(&empty_scores), "{empty_scores}");
        assert!((14_000..16_000).contains(&rural), "{rural}");
        assert!((800..1_200).contains(&arel), "{arel}");
        assert!(comma_scores > 0);
    }

    fn parse_date(text: &str) -> i32 {
        let parts: Vec<u32> = text.split('-').map(|p| p.parse().expect("date part")).collect();
        assert_eq!(parts.len(), 3, "{text}");
        let days = days_from_civil(parts[0] as i32, parts[1], parts[2]);
        assert_eq!(civil_from_days(days), (parts[0] as i32, parts[1], parts[2]));
        days
    }

    #[test]
    fn duplicates_and_formatted_documents_exist() {
        let (_dir, summary) = generate(20_000, 11);
        let rows = records(&summary.files[0]);
        let mut heads: HashMap<(String, String), Vec<&str>> = HashMap::new();
        for row in &rows {
            heads
                .entry((row[1].to_owned(), normalize_document(&row[2])))
                .or_default()
                .push(&row[2]);
        }
        let repeated: Vec<_> = heads.values().filter(|documents| documents.len() > 1).collect();
        assert!(
            (50..200).contains(&repeated.len()),
            "{} repeated heads",
            repeated.len()
        );
        assert!(
            repeated
                .iter()
                .any(|documents| documents.iter().any(|d| *d != documents[0])),
            "some repeated head is written differently"
        );
        let formatted = rows.iter().filter(|row| is_formatted(&row[2])).count();
        assert!((600..1_800).contains(&formatted), "{formatted}");
        for path in &summary.files[1..] {
            let registry = records(path);
            assert!(registry.iter().any(|r| is_formatted(&r[1])), "{}", path.display());
        }
    }

    #[test]
    fn registries_reference_household_documents() {
        let n = 20_000;
        let (_dir, summary) = generate(n, 5);
        let households = keys(&summary.files[0], 1);
        let household_keys: HashSet<_> = households.iter().cloned().collect();
        let rows = records(&summary.files[0]);
        let displaced: HashSet<_> = rows
            .iter()
            .zip(&households)
            .filter(|(row, _)| &row[11] == "true")
            .map(|(_, key)| key.clone())
            .collect();
        for (path, (kind, count)) in summary.files[1..].iter().zip(&summary.registry_rows) {
            let registry = keys(path, 0);
            let known = registry.iter().filter(|k| household_keys.contains(*k)).count();
            assert!(known > 0, "{kind} names no household");
            assert!(known < registry.len(), "{kind} names only households");
            assert_eq!(registry.len() as u64, *count);
        }
        let ruv: HashSet<_> = keys(&summary.files[1], 0).into_iter().collect();
        let share = displaced.iter().filter(|k| ruv.contains(*k)).count() * 100 / displaced.len();
        assert!(
            (80..=90).contains(&share),
            "{share} % of the displaced in the RUV"
        );
        let ruv_rows = summary.registry_rows[0].1;
        assert!((5_400..6_600).contains(&ruv_rows), "{ruv_rows} RUV rows");
        // Some registry entries carry a household's number under another document type.
        let numbers: HashSet<_> = households.iter().map(|(_, number)| number.clone()).collect();
        let other_type = keys(&summary.files[1], 0)
            .iter()
            .filter(|k| numbers.contains(&k.1) && !household_keys.contains(*k))
            .count();
        assert!(other_type > 0);
    }

    #[test]
    fn document_numbers_are_distinct_per_person() {
        let generator = Generator::new(&SyntheticOptions {
            households: 100_000,
            seed: 9,
        });
        let numbers: HashSet<u64> = (0..100_000).map(|p| generator.document_number(p)).collect();
        assert_eq!(numbers.len(), 100_000);
        assert!(
            numbers
                .iter()
                .all(|n| (FIRST_DOCUMENT..FIRST_DOCUMENT + IDENTITY_SPACE).contains(n))
        );
    }

    #[test]
    fn documents_are_formatted_as_people_write_them() {
        let cases = [
            (DocStyle::Plain, "1234567"),
            (DocStyle::Dotted, "1.234.567"),
            (DocStyle::ZeroPadded, "0001234567"),
            (DocStyle::Spaced, "1 234 567"),
            (DocStyle::Hyphenated, "1-234-567"),
            (DocStyle::Surrounded, " 1234567 "),
        ];
        for (style, expected) in cases {
            let mut out = Vec::new();
            put_document(&mut out, 1_234_567, style);
            assert_eq!(String::from_utf8(out).expect("ASCII"), expected);
            assert_eq!(normalize_document(expected), "1234567");
        }
        let mut out = Vec::new();
        put_document(&mut out, 1_012_345_678, DocStyle::ZeroPadded);
        assert_eq!(out, b"001012345678");
    }

    #[test]
    fn every_share_table_adds_up_to_one() {
        fn total<T>(table: &[(u32, T)]) -> u32 {
            table.iter().map(|(share, _)| share).sum()
        }
        for sum in [
            total(DOCUMENT_TYPES),
            total(HOUSEHOLD_DOC_STYLES),
            total(REPEATED_DOC_STYLES),
            total(REGISTRY_DOC_STYLES),
            total(SEXES),
            total(SISBEN_AREAS),
            total(ETHNIC_GROUPS),
            total(GENERAL_TENURE),
            total(AREL_TENURE),
            total(GENERAL_ACTIVITY),
            total(AREL_ACTIVITY),
        ] {
            assert_eq!(sum, PPM);
        }
    }

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2013, 6, 1) - days_from_civil(2008, 6, 1), 1826);
        assert_eq!(civil_from_days(days_from_civil(1996, 2, 29)), (1996, 2, 29));
        for days in -30_000..30_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn refuses_more_households_than_it_can_number() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let error = write_synthetic_registry(
            &SyntheticOptions {
                households: MAX_HOUSEHOLDS + 1,
                seed: 0,
            },
            dir.path(),
        )
        .expect_err("too many");
        assert!(matches!(error, SyntheticError::TooManyHouseholds { .. }));
    }

    #[test]
    fn an_unwritable_directory_is_named() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("not-a-directory");
        fs::write(&file, b"x").expect("write");
        let error = write_synthetic_registry(
            &SyntheticOptions {
                households: 10,
                seed: 0,
            },
            &file,
        )
        .expect_err("not a directory");
        assert!(error.to_string().contains("not-a-directory"), "{error}");
    }
}
