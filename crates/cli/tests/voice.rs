//! The command line speaks Spanish by default: every output and refusal of the commands that
//! printed English before (file errors, the evaluation report, the rule sets, screening
//! refusals, demo households, clap's own errors and help) comes from the catalogue, with no
//! English word of the shared list (`vereda_messages::voice`) and no identifier shown.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use vereda_messages::{Arg, Lang, Message, voice};

/// English of the command line beyond the pages' list: clap's headings and tags, and the words
/// of the reports and errors that were English.
const CLI_ENGLISH: &[&str] = &[
    "Usage",
    "Options:",
    "Commands:",
    "Arguments:",
    "possible values",
    "[default",
    "[env",
    "For more information",
    "Did you mean",
    "[OPTIONS]",
    "<COMMAND>",
    "Verdict",
    "wrote ",
    "unknown",
    "Cash flow",
    "Sensitivity",
    "Indicators",
    "Co-financing",
    "In force",
    "Registries",
    "level ",
    " line ",
    "households and",
    "note:",
    "unexpected",
];

fn vereda(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args(args)
        .current_dir(dir)
        .env(
            "VEREDA_DATABASE_URL",
            format!("sqlite://{}", dir.join("vereda.db").display()),
        )
        .env_remove("VEREDA_LANG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("vereda runs")
}

/// Everything the command printed, checked for the other language and raw identifiers.
fn spoken(dir: &Path, args: &[&str]) -> (Output, String) {
    let output = vereda(dir, args);
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!said.contains("panicked"), "{args:?}: {said}");
    // The readings of a rule set are the rule set's own text, English in the shipped file
    // (translating them changes its hash): `rules show` prints them last, under a heading of
    // the catalogue.
    let checked = said
        .split(Lang::Es.t("cli-rules-readings"))
        .next()
        .unwrap_or_default();
    let problems = voice::problems(Lang::Es, checked, CLI_ENGLISH);
    assert!(problems.is_empty(), "{args:?}: {problems:#?}\n{said}");
    (output, said)
}

/// The line `vereda` prints for an error: `cli-error` around the message.
fn error_line(message: Message) -> String {
    Lang::Es.t_with("cli-error", &[("detail", Arg::Text(Lang::Es.say(&message)))])
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn file_errors_are_said_in_spanish_with_file_and_line() {
    let dir = tempfile::tempdir().expect("dir");
    let (output, said) = spoken(dir.path(), &["import", "ipm", "ipm.txt"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        said.contains(
            &Lang::Es.say(
                &Message::new("table-error-unsupported_format")
                    .with("file", "ipm.txt")
                    .with("accepted", ".csv, .xlsx, .xls, .ods")
            )
        ),
        "{said}"
    );

    // A line of 10 MB: refused at its line, in Spanish.
    let path = dir.path().join("ipm.csv");
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(b"dane_code,ipm_total\n05001,").expect("write");
    file.write_all(&vec![b'9'; 10 << 20]).expect("write");
    file.write_all(b"\n").expect("write");
    drop(file);
    let (output, said) = spoken(dir.path(), &["import", "ipm", "ipm.csv"]);
    assert_eq!(output.status.code(), Some(1));
    let too_long = Lang::Es.say(
        &Message::new("table-error-line_too_long")
            .with("file", "ipm.csv")
            .with("line", 2)
            .with("limit", 1024),
    );
    assert!(said.contains(&too_long), "{said}");

    // The limit is a setting: raised, the line is read (and its value refused as a number).
    std::fs::write(dir.path().join("vereda.toml"), "import_max_line_kib = 16384\n").expect("write");
    let (_, said) = spoken(
        dir.path(),
        &["--config", "vereda.toml", "import", "ipm", "ipm.csv"],
    );
    assert!(!said.contains(&too_long), "{said}");
}

#[test]
fn the_evaluation_report_is_spanish() {
    let dir = tempfile::tempdir().expect("dir");
    let (output, said) = spoken(dir.path(), &["evaluate", &example("cacao-tumaco.toml")]);
    assert!(output.status.success(), "{said}");
    assert!(said.contains(Lang::Es.t("evaluation-base_case")), "{said}");
    let (output, said) = spoken(
        dir.path(),
        &["evaluate", &example("cacao-tumaco.toml"), "--xlsx", "cacao.xlsx"],
    );
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains(&Lang::Es.say(&Message::new("cli-wrote").with("file", "cacao.xlsx"))),
        "{said}"
    );
    let (output, said) = spoken(dir.path(), &["evaluate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        said.contains(&error_line(
            Message::new("cli-error-missing_argument").with("args", "<ARCHIVO>")
        )),
        "{said}"
    );
}

#[test]
fn a_bad_rule_set_file_is_said_in_spanish_with_file_line_and_key() {
    let dir = tempfile::tempdir().expect("dir");
    let shipped = include_str!("../../../rules/incoder-308-2013.toml");
    let bad = shipped.replacen("id = \"incoder-308-2013\"", "id = \"mi reglamento!\"", 1);
    std::fs::write(dir.path().join("malas.toml"), bad).expect("write");
    let (output, said) = spoken(
        dir.path(),
        &["evaluate", &example("cacao-tumaco.toml"), "--rules", "malas.toml"],
    );
    assert_eq!(output.status.code(), Some(1), "{said}");
    let problem = Lang::Es.say(&Message::new("rules-error-id").with("value", "mi reglamento!"));
    let located = Lang::Es.say(
        &Message::new("rules-error-located")
            .with("line", 9)
            .with("file", "malas.toml")
            .with("key", "id")
            .with("problem", problem),
    );
    assert!(said.contains(&located), "{said}");
}

#[test]
fn the_rule_sets_are_listed_and_shown_in_spanish() {
    let dir = tempfile::tempdir().expect("dir");
    let (output, said) = spoken(dir.path(), &["rules", "list"]);
    assert!(output.status.success(), "{said}");
    assert!(said.contains(Lang::Es.t("cli-rules-column-period")), "{said}");
    let (output, said) = spoken(dir.path(), &["rules", "show", "incoder-308-2013"]);
    assert!(output.status.success(), "{said}");
    assert!(said.contains(Lang::Es.t("cli-rules-registries")), "{said}");
    let (output, said) = spoken(dir.path(), &["rules", "show", "acuerdo-999"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(said.contains("acuerdo-999"), "{said}");
}

#[test]
fn screening_refusals_and_demo_households_are_spanish() {
    let dir = tempfile::tempdir().expect("dir");
    let (output, said) = spoken(
        dir.path(),
        &["demo-data", "households", "--n", "10", "--out", "."],
    );
    assert!(output.status.success(), "{said}");
    let (output, said) = spoken(
        dir.path(),
        &[
            "screen",
            "--households",
            "households.csv",
            "--out",
            "r.csv",
            "--as-of",
            "2014-01-01",
            "--registry",
            "victims=ruv.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        said.trim(),
        error_line(
            Message::new("screening-error-unknown_registry")
                .with("name", "victims")
                .with("rule_set", "incoder-308-2013")
                .with(
                    "expected",
                    "ruv, prior_beneficiaries, public_servants, sanctions, wanted"
                )
        )
    );
    let (output, said) = spoken(
        dir.path(),
        &[
            "screen",
            "--households",
            "households.csv",
            "--out",
            "r.csv",
            "--as-of",
            "2020-01-01",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        said.contains(
            &Lang::Es.say(
                &Message::new("cli-error-no_rule_set_in_force")
                    .with("as_of", jiff::civil::date(2020, 1, 1))
                    .with("known", "")
            )[..40]
        ),
        "{said}"
    );
    let (output, said) = spoken(
        dir.path(),
        &[
            "screen",
            "--households",
            "households.csv",
            "--out",
            "r.csv",
            "--as-of",
            "2014-01-01",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(said.contains("ruv"), "{said}");
}

#[test]
fn clap_errors_and_help_are_spanish() {
    let dir = tempfile::tempdir().expect("dir");
    let (output, said) = spoken(dir.path(), &["nada"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        said.contains(&error_line(
            Message::new("cli-error-unknown_command").with("command", "nada")
        )),
        "{said}"
    );
    assert!(said.contains(Lang::Es.t("cli-error-try_help")), "{said}");

    let (output, said) = spoken(dir.path(), &["--lang", "fr", "rules", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        said.contains(&error_line(
            Message::new("cli-error-invalid_value")
                .with("arg", "--lang <IDIOMA>")
                .with("value", "fr")
                .with("valid", "es, en")
        )),
        "{said}"
    );

    let (output, said) = spoken(dir.path(), &["demo-data"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        said.contains(&error_line(Message::new("cli-error-missing_command"))),
        "{said}"
    );

    let (output, said) = spoken(dir.path(), &["screen"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(said.contains("--households"), "{said}");

    let (output, said) = spoken(dir.path(), &["rules", "shw"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        said.contains(&Lang::Es.say(&Message::new("cli-error-did_you_mean").with("suggestion", "show"))),
        "{said}"
    );

    for args in [
        &["--help"][..],
        &["screen", "--help"],
        &["import", "ipm", "--help"],
        &["user", "add", "--help"],
    ] {
        let (output, said) = spoken(dir.path(), args);
        assert!(said.contains(Lang::Es.t("cli-help-usage")), "{args:?}: {said}");
        assert!(output.status.code() != Some(1), "{args:?}: {said}");
    }
    // The possible values and defaults are said by the catalogue.
    let (_, said) = spoken(dir.path(), &["import", "ipm", "--help"]);
    assert!(
        said.contains(&Lang::Es.say(&Message::new("cli-help-default").with("value", "2018"))),
        "{said}"
    );
}
