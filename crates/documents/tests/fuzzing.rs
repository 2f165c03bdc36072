//! A bounded random-mutation fuzzing of the readers of uploaded files: valid household files
//! (CSV and XLSX), project files (TOML and JSON) and formulation workbooks are mutated byte by
//! byte (flips, hostile bytes, cuts, repeats) and read. Every outcome must be a result or a
//! located error: no panic, no abort. Seeded, so a failure reproduces; `FUZZ_ROUNDS` runs more
//! rounds (150 by default).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use jiff::civil::date;
use vereda_domain::eligibility::{CallLimits, Screener};
use vereda_domain::rules::RuleBook;
use vereda_screening::screening::{self, ScreeningJob};

/// A small deterministic generator (xorshift64*): the test needs repeatable noise, not
/// cryptography.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).expect("n")).expect("index")
    }
}

/// Bytes a hostile file would hold: separators, quotes, line ends, NUL, a lone UTF-8
/// continuation byte, a byte order mark's first byte, formula starts.
const HOSTILE: &[u8] = b",;\"\n\r\0\x80\xef=+-@\t";

fn mutate(original: &[u8], noise: &mut Noise) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..=noise.below(8) {
        if bytes.is_empty() {
            bytes.push(HOSTILE[noise.below(HOSTILE.len())]);
            continue;
        }
        let at = noise.below(bytes.len());
        match noise.below(6) {
            0 => bytes[at] ^= 1 << noise.below(8),
            1 => bytes[at] = HOSTILE[noise.below(HOSTILE.len())],
            2 => bytes.insert(at, HOSTILE[noise.below(HOSTILE.len())]),
            3 => {
                let end = (at + noise.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            4 => {
                let end = (at + noise.below(256)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

fn rounds() -> usize {
    std::env::var("FUZZ_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(150)
}

/// Screens `path`; answers whether the readers panicked.
fn screened_without_panic(path: &Path, screener: &Screener<'_>) -> bool {
    let job = ScreeningJob {
        households: path.to_owned(),
        registries: Vec::new(),
        screener,
        keep_going: true,
        explain: None,
        keep_facts: false,
        read_limits: Default::default(),
    };
    catch_unwind(AssertUnwindSafe(|| {
        let _ = screening::screen(&job, &|_| {});
    }))
    .is_ok()
}

fn fuzz(file_name: &str, original: &[u8], seed: u64) {
    let book = RuleBook::shipped().expect("shipped rules");
    let rules = book.get("incoder-308-2013").expect("rule set");
    let screener = Screener::new(rules, date(2013, 6, 1), CallLimits::default());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(file_name);
    let mut noise = Noise(seed);
    let mut panics = Vec::new();
    for round in 0..rounds() {
        let bytes = mutate(original, &mut noise);
        std::fs::write(&path, &bytes).expect("write");
        if !screened_without_panic(&path, &screener) {
            let kept = dir.path().join(format!("panic-{round}-{file_name}"));
            std::fs::write(&kept, &bytes).expect("keep");
            panics.push(round);
        }
    }
    assert!(
        panics.is_empty(),
        "{file_name}: panics in rounds {panics:?} (seed {seed})"
    );
}

fn golden_cases() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../screening/tests/golden/cases.csv"))
        .expect("cases.csv")
}

/// Reads every mutation of `original` with `read`; fails on any panic.
fn fuzz_reader(what: &str, original: &[u8], seed: u64, read: &dyn Fn(&[u8])) {
    let mut noise = Noise(seed);
    let mut panics = Vec::new();
    for round in 0..rounds() {
        let bytes = mutate(original, &mut noise);
        if catch_unwind(AssertUnwindSafe(|| read(&bytes))).is_err() {
            panics.push(round);
        }
    }
    assert!(
        panics.is_empty(),
        "{what}: panics in rounds {panics:?} (seed {seed})"
    );
}

const COCOA: &str = include_str!("../../../examples/cacao-tumaco.toml");

#[test]
fn mutated_project_files_never_crash_the_parser() {
    use vereda_documents::formulation_file::ProjectFormat;
    fuzz_reader("project.toml", COCOA.as_bytes(), 0x5EED_0003, &|bytes| {
        let _ = ProjectFormat::Toml.parse(&String::from_utf8_lossy(bytes));
    });
    let cocoa: vereda_domain::finance::Formulation = toml::from_str(COCOA).expect("cocoa");
    let json = serde_json::to_vec(&cocoa).expect("json");
    fuzz_reader("project.json", &json, 0x5EED_0004, &|bytes| {
        let _ = ProjectFormat::Json.parse(&String::from_utf8_lossy(bytes));
    });
}

#[test]
fn mutated_formulation_workbooks_never_crash_the_reader() {
    let cocoa: vereda_domain::finance::Formulation = toml::from_str(COCOA).expect("cocoa");
    let dir = tempfile::tempdir().expect("temp dir");
    let valid = dir.path().join("valid.xlsx");
    vereda_documents::formulation_xlsx::write_template_filled(&valid, &cocoa).expect("template");
    let original = std::fs::read(&valid).expect("workbook");
    let path = dir.path().join("mutated.xlsx");
    fuzz_reader("formulation.xlsx", &original, 0x5EED_0005, &|bytes| {
        std::fs::write(&path, bytes).expect("write");
        let _ = vereda_documents::formulation_xlsx::read_formulation(&path);
    });
}

#[test]
fn mutated_household_csv_files_never_crash_the_reader() {
    fuzz("households.csv", &golden_cases(), 0x5EED_0001);
}

#[test]
fn mutated_household_spreadsheets_never_crash_the_reader() {
    let text = String::from_utf8(golden_cases()).expect("utf-8");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("valid.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, line) in text.lines().take(40).enumerate() {
        for (column, cell) in line.split(',').enumerate() {
            sheet
                .write_string(
                    u32::try_from(row).expect("row"),
                    u16::try_from(column).expect("column"),
                    cell,
                )
                .expect("cell");
        }
    }
    workbook.save(&path).expect("save");
    fuzz(
        "households.xlsx",
        &std::fs::read(&path).expect("xlsx"),
        0x5EED_0002,
    );
}
