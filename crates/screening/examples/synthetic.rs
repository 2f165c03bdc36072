//! Writes a synthetic screening data set: `cargo run --release -p vereda-screening --example
//! synthetic -- N DIR [SEED]` (the seed defaults to 42).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use vereda_screening::synthetic::{SyntheticOptions, write_synthetic_registry};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(households), Some(dir)) = (
        args.first().and_then(|n| n.replace('_', "").parse::<u64>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: synthetic N DIR [SEED]");
        return ExitCode::from(2);
    };
    let seed = match args.get(2).map(|s| s.parse::<u64>()) {
        None => 42,
        Some(Ok(seed)) => seed,
        Some(Err(e)) => {
            eprintln!("bad seed: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match write_synthetic_registry(&SyntheticOptions { households, seed }, &PathBuf::from(dir)) {
        Ok(summary) => {
            let seconds = started.elapsed().as_secs_f64();
            println!("{households} households in {seconds:.2} s");
            for (kind, rows) in &summary.registry_rows {
                println!("{kind}: {rows} rows");
            }
            for file in &summary.files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
