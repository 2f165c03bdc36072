//! The binary as a user runs it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use vereda_messages::{Arg, Lang, Message};

fn vereda(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let url = format!("sqlite://{}", dir.join("vereda.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args(args)
        .env("VEREDA_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vereda starts");
    if let Some(text) = stdin {
        let written = child.stdin.take().expect("stdin").write_all(text.as_bytes());
        // A child that stops before reading (say, a refused duplicate) closes the pipe first.
        if let Err(error) = written {
            assert_eq!(
                error.kind(),
                std::io::ErrorKind::BrokenPipe,
                "write stdin: {error}"
            );
        }
    }
    child.wait_with_output().expect("vereda ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_unsupported_database_url_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let output = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args(["--database-url", "mysql://root:secret@db/vereda", "migrate"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: unsupported database URL"), "{stderr}");
    assert!(stderr.contains("root:***@db"), "the password is hidden: {stderr}");
    assert!(!stderr.contains("panicked"));
    drop(dir);
}

#[test]
fn accounts_are_created_from_standard_input_once() {
    let dir = tempfile::tempdir().expect("dir");
    let created = vereda(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Ana@Agencia.gov.co",
            "--role",
            "territorial_officer",
            "--password-stdin",
        ],
        Some("una clave larga\n"),
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert_eq!(
        text(&created.stdout).trim(),
        Lang::Es.t_with(
            "cli-user-created",
            &[
                ("email", Arg::Text("ana@agencia.gov.co".into())),
                ("role", Arg::Term("role-territorial_officer".into()))
            ]
        )
    );

    let again = vereda(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "ana@agencia.gov.co",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("otra clave larga\n"),
    );
    assert_eq!(again.status.code(), Some(1));
    let duplicate = Lang::Es.t_with(
        "error-duplicate_email",
        &[("email", Arg::Text("ana@agencia.gov.co".into()))],
    );
    assert_eq!(
        text(&again.stderr).trim(),
        Lang::Es.t_with("cli-error", &[("detail", Arg::Text(duplicate))])
    );

    let bad_role = vereda(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "b@agencia.gov.co",
            "--role",
            "boss",
            "--password-stdin",
        ],
        Some("una clave larga\n"),
    );
    let unknown = Lang::Es.t_with(
        "error-unknown_value",
        &[
            ("value", Arg::Text("boss".into())),
            (
                "expected",
                Arg::Text(
                    vereda_domain::accounts::Role::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ),
        ],
    );
    assert!(
        text(&bad_role.stderr).contains(&unknown),
        "{}",
        text(&bad_role.stderr)
    );

    let no_terminal = vereda(
        dir.path(),
        &["user", "add", "--email", "c@agencia.gov.co", "--role", "admin"],
        None,
    );
    assert!(
        text(&no_terminal.stderr).contains("--password-stdin"),
        "{}",
        text(&no_terminal.stderr)
    );

    let listed = vereda(dir.path(), &["user", "list"], None);
    assert_eq!(text(&listed.stdout).lines().count(), 1);

    // The administrator's other tools: another role, deactivation and back.
    let role = vereda(
        dir.path(),
        &[
            "user",
            "role",
            "--email",
            "ana@agencia.gov.co",
            "--role",
            "auditor",
        ],
        None,
    );
    assert!(role.status.success(), "{}", text(&role.stderr));
    let off = vereda(
        dir.path(),
        &["user", "deactivate", "--email", "ANA@agencia.gov.co"],
        None,
    );
    assert!(off.status.success(), "{}", text(&off.stderr));
    let listed = vereda(dir.path(), &["user", "list"], None);
    let line = format!(
        "ana@agencia.gov.co\t{}\t{}",
        Lang::Es.t("role-auditor"),
        Lang::Es.t("cli-user-disabled")
    );
    assert!(
        text(&listed.stdout).starts_with(&line),
        "{}",
        text(&listed.stdout)
    );
    let on = vereda(
        dir.path(),
        &["user", "activate", "--email", "ana@agencia.gov.co"],
        None,
    );
    assert!(on.status.success(), "{}", text(&on.stderr));
    let listed = vereda(dir.path(), &["user", "list"], None);
    let line = format!(
        "ana@agencia.gov.co\t{}\t{}",
        Lang::Es.t("role-auditor"),
        Lang::Es.t("cli-user-active")
    );
    assert!(
        text(&listed.stdout).starts_with(&line),
        "{}",
        text(&listed.stdout)
    );
    let english = vereda(dir.path(), &["user", "list", "--lang", "en"], None);
    let line = format!(
        "ana@agencia.gov.co\t{}\t{}",
        Lang::En.t("role-auditor"),
        Lang::En.t("cli-user-active")
    );
    assert!(
        text(&english.stdout).starts_with(&line),
        "{}",
        text(&english.stdout)
    );
    let nobody = vereda(
        dir.path(),
        &["user", "deactivate", "--email", "nadie@agencia.gov.co"],
        None,
    );
    assert_eq!(nobody.status.code(), Some(1));

    // A one-time password-reset link, printed once.
    let link = vereda(
        dir.path(),
        &[
            "user",
            "reset-link",
            "--email",
            "ana@agencia.gov.co",
            "--base-url",
            "https://vereda.example.gov.co/",
        ],
        None,
    );
    assert!(link.status.success(), "{}", text(&link.stderr));
    let printed = text(&link.stdout);
    let token = printed
        .trim()
        .strip_prefix("https://vereda.example.gov.co/restablecer/")
        .unwrap_or_else(|| panic!("a link: {printed}"));
    assert_eq!(token.len(), 64, "{printed}");
    assert!(text(&link.stderr).contains("24 h"), "{}", text(&link.stderr));
    let nobody = vereda(
        dir.path(),
        &["user", "reset-link", "--email", "nadie@agencia.gov.co"],
        None,
    );
    assert_eq!(nobody.status.code(), Some(1));
    let removed = vereda(
        dir.path(),
        &["user", "remove-second-factor", "--email", "ana@agencia.gov.co"],
        None,
    );
    assert!(removed.status.success(), "{}", text(&removed.stderr));
}

#[test]
fn api_tokens_are_created_listed_and_revoked_with_the_secret_printed_once() {
    let dir = tempfile::tempdir().expect("dir");
    let created = vereda(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "erp@agencia.gov.co",
            "--role",
            "program_officer",
            "--password-stdin",
        ],
        Some("una clave larga\n"),
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let issued = vereda(
        dir.path(),
        &[
            "token",
            "create",
            "--email",
            "erp@agencia.gov.co",
            "--name",
            "ERP contable",
        ],
        None,
    );
    assert!(issued.status.success(), "{}", text(&issued.stderr));
    let secret = text(&issued.stdout).trim().to_owned();
    assert!(secret.starts_with("vrd_") && secret.len() == 68, "{secret}");
    assert_eq!(
        text(&issued.stderr).trim(),
        Lang::Es.say(
            &vereda_messages::Message::new("cli-token-created")
                .with("id", "1")
                .with("email", "erp@agencia.gov.co")
                .with("name", "ERP contable")
        )
    );
    let listed = vereda(
        dir.path(),
        &["token", "list", "--email", "erp@agencia.gov.co"],
        None,
    );
    let list = text(&listed.stdout);
    assert!(
        list.starts_with("1\tERP contable\t") && list.contains("activa"),
        "{list}"
    );
    assert!(!list.contains(&secret), "the secret is printed once");
    let revoked = vereda(dir.path(), &["token", "revoke", "1"], None);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let list = text(
        &vereda(
            dir.path(),
            &["--lang", "en", "token", "list", "--email", "erp@agencia.gov.co"],
            None,
        )
        .stdout,
    );
    assert!(list.contains("revoked on"), "{list}");
    let again = vereda(dir.path(), &["token", "revoke", "1"], None);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("ya estaba revocada"),
        "{}",
        text(&again.stderr)
    );
    let nobody = vereda(
        dir.path(),
        &[
            "token",
            "create",
            "--email",
            "nadie@agencia.gov.co",
            "--name",
            "x",
        ],
        None,
    );
    assert_eq!(nobody.status.code(), Some(1));
}

#[test]
fn an_unknown_dane_code_in_an_ipm_file_imports_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ipm.csv");
    std::fs::write(&file, "dane_code,ipm_total\n18001,40\n99999,50\n").expect("write");
    let output = vereda(dir.path(), &["import", "ipm", file.to_str().expect("path")], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let summary = Lang::Es.t_with("row-error-ipm_summary", &[("count", Arg::Count(1))]);
    assert!(stderr.contains(&summary), "{stderr}");
    let problem = Lang::Es.t_with(
        "territory-error-unknown_municipality",
        &[("value", Arg::Text("99999".into()))],
    );
    assert!(
        stderr.contains("ipm.csv") && stderr.contains(&problem),
        "{stderr}"
    );
}

#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("vereda.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("VEREDA_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let banner = lines.next().expect("a banner").expect("text");
    let address = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("address")
        .to_owned();
    let health = std::net::TcpStream::connect(&address).map(|mut stream| {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("request");
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut stream, &mut reply).expect("reply");
        reply
    });
    assert!(health.expect("connect").starts_with("HTTP/1.1 200"));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---- Batch screening, rule sets and synthetic registries -----------------------------------

const REGISTRY_KINDS: [&str; 5] = [
    "ruv",
    "prior_beneficiaries",
    "public_servants",
    "sanctions",
    "wanted",
];

fn screen_args(dir: &std::path::Path, households: &str) -> Vec<String> {
    let mut args = vec![
        "screen".to_owned(),
        "--households".to_owned(),
        dir.join(households).display().to_string(),
    ];
    for kind in REGISTRY_KINDS {
        args.push("--registry".to_owned());
        args.push(format!("{kind}={}", dir.join(format!("{kind}.csv")).display()));
    }
    args.extend(["--as-of", "2013-06-01", "--out"].map(str::to_owned));
    args.push(dir.join("results.csv").display().to_string());
    args
}

fn run_args(dir: &std::path::Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    vereda(dir, &args, None)
}

#[test]
fn synthetic_registries_screen_end_to_end_and_are_reproducible() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().display().to_string();
    let generated = vereda(
        dir.path(),
        &[
            "demo-data",
            "households",
            "--n",
            "3000",
            "--out",
            &out,
            "--seed",
            "9",
        ],
        None,
    );
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let first = std::fs::read(dir.path().join("households.csv")).expect("households");
    let again = vereda(
        dir.path(),
        &[
            "demo-data",
            "households",
            "--n",
            "3000",
            "--out",
            &out,
            "--seed",
            "9",
        ],
        None,
    );
    assert!(again.status.success());
    assert_eq!(
        first,
        std::fs::read(dir.path().join("households.csv")).expect("households"),
        "same seed, same bytes"
    );

    let screened = run_args(dir.path(), &screen_args(dir.path(), "households.csv"));
    let stderr = text(&screened.stderr);
    assert!(screened.status.success(), "{stderr}");
    // The summary, up to the counts that vary: households, rule set, hash and date.
    let summary = Lang::Es.t_with(
        "cli-screen-summary",
        &[
            ("households", Arg::Count(3000)),
            ("rule_set", Arg::Text("incoder-308-2013".into())),
            ("hash", Arg::Text("§".into())),
            ("as_of", Arg::Date(jiff::civil::date(2013, 6, 1))),
        ],
    );
    let before_hash = summary.split('§').next().expect("text");
    assert!(stderr.contains(before_hash), "{stderr}");
    let results = std::fs::read_to_string(dir.path().join("results.csv")).expect("results");
    assert_eq!(results.lines().count(), 3001);
    assert!(
        results.starts_with(
            "household_id,eligible,sisben_level,cofinancing_max_pct,cap_smmlv,reasons\nH0000001,"
        )
    );

    let mut explain = screen_args(dir.path(), "households.csv");
    explain.extend(["--explain".to_owned(), "H0000002".to_owned()]);
    let explained = run_args(dir.path(), &explain);
    let stdout = text(&explained.stdout);
    let household = Lang::Es.t_with("cli-explain-household", &[("id", Arg::Text("H0000002".into()))]);
    assert!(
        stdout.starts_with(&household) && stdout.contains("ART9A_SISBEN  [Art. 9 a, Art. 7]"),
        "{stdout}"
    );
    explain.extend(["--lang".to_owned(), "en".to_owned()]);
    let english = text(&run_args(dir.path(), &explain).stdout);
    let household = Lang::En.t_with("cli-explain-household", &[("id", Arg::Text("H0000002".into()))]);
    assert!(english.starts_with(&household), "{english}");
    assert!(english.contains(Lang::En.t("cli-explain-fired")), "{english}");
}

#[test]
fn a_bad_row_writes_no_results_unless_keep_going() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().display().to_string();
    assert!(
        vereda(
            dir.path(),
            &["demo-data", "households", "--n", "50", "--out", &out],
            None
        )
        .status
        .success()
    );
    let households = std::fs::read_to_string(dir.path().join("households.csv")).expect("households");
    let broken = households.replacen(",general,", ",generl,", 1);
    std::fs::write(dir.path().join("broken.csv"), &broken).expect("write");
    let line = broken
        .lines()
        .position(|l| l.contains(",generl,"))
        .expect("changed")
        + 1;

    let strict = run_args(dir.path(), &screen_args(dir.path(), "broken.csv"));
    assert_eq!(strict.status.code(), Some(1));
    let stderr = text(&strict.stderr);
    let problem = vereda_domain::message::Message::new("error-unknown_value")
        .with("value", "generl")
        .with("expected", "general, arel");
    let located = Lang::Es.t_with(
        "row-error-at",
        &[
            ("file", Arg::Text("broken.csv".into())),
            ("line", Arg::from(line)),
            ("column", Arg::Text("program_line".into())),
            ("value", Arg::Text("generl".into())),
            ("problem", Arg::List(vec![problem])),
        ],
    );
    assert!(stderr.contains(&located), "{stderr}");
    assert!(!dir.path().join("results.csv").exists(), "no half-written output");

    let mut lenient = screen_args(dir.path(), "broken.csv");
    lenient.extend(["--keep-going", "--errors"].map(str::to_owned));
    lenient.push(dir.path().join("errors.csv").display().to_string());
    let output = run_args(dir.path(), &lenient);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let results = std::fs::read_to_string(dir.path().join("results.csv")).expect("results");
    assert_eq!(results.lines().count(), 50, "header and the 49 good rows");
    let errors = std::fs::read_to_string(dir.path().join("errors.csv")).expect("errors");
    assert!(
        errors.contains(&format!("broken.csv,{line},program_line,generl,")),
        "{errors}"
    );
}

#[test]
fn screening_refuses_an_unknown_registry_a_missing_file_and_a_date_without_rules() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().display().to_string();
    assert!(
        vereda(
            dir.path(),
            &["demo-data", "households", "--n", "10", "--out", &out],
            None
        )
        .status
        .success()
    );
    let mut unknown = screen_args(dir.path(), "households.csv");
    unknown.extend([
        "--registry".to_owned(),
        format!("victims={}", dir.path().join("ruv.csv").display()),
    ]);
    let stderr = text(&run_args(dir.path(), &unknown).stderr);
    let said =
        |message: Message| Lang::Es.t_with("cli-error", &[("detail", Arg::Text(Lang::Es.say(&message)))]);
    assert_eq!(
        stderr.trim(),
        said(
            Message::new("screening-error-unknown_registry")
                .with("name", "victims")
                .with("rule_set", "incoder-308-2013")
                .with(
                    "expected",
                    "ruv, prior_beneficiaries, public_servants, sanctions, wanted"
                )
        )
    );

    let missing = screen_args(dir.path(), "nowhere.csv");
    let stderr = text(&run_args(dir.path(), &missing).stderr);
    assert_eq!(
        stderr.trim(),
        said(
            Message::new("cli-error-households_missing")
                .with("file", dir.path().join("nowhere.csv").display().to_string())
        )
    );

    let mut today = screen_args(dir.path(), "households.csv");
    let as_of = today.iter().position(|a| a == "--as-of").expect("as-of");
    today[as_of + 1] = "2020-01-01".to_owned();
    let stderr = text(&run_args(dir.path(), &today).stderr);
    let period = Lang::Es.say(
        &Message::new("cli-rules-period_between")
            .with("from", jiff::civil::date(2013, 4, 17))
            .with("until", jiff::civil::date(2014, 12, 15)),
    );
    assert_eq!(
        stderr.trim(),
        said(
            Message::new("cli-error-no_rule_set_in_force")
                .with("as_of", jiff::civil::date(2020, 1, 1))
                .with("known", format!("incoder-308-2013 ({period})"))
        )
    );
}

#[test]
fn rule_sets_are_listed_shown_and_loaded_from_files_with_located_errors() {
    let dir = tempfile::tempdir().expect("dir");
    let list = text(&vereda(dir.path(), &["rules", "list"], None).stdout);
    let period = Lang::Es.say(
        &Message::new("cli-rules-period_between")
            .with("from", jiff::civil::date(2013, 4, 17))
            .with("until", jiff::civil::date(2014, 12, 15)),
    );
    assert!(
        list.contains("incoder-308-2013") && list.contains(&period),
        "{list}"
    );
    let show = text(&vereda(dir.path(), &["rules", "show", "incoder-308-2013"], None).stdout);
    let area = |area: i64, interval: &str| {
        Lang::Es.say(
            &Message::new("cli-rules-sisben_area")
                .with("area", area)
                .with("interval", interval),
        )
    };
    let level = Lang::Es.say(&Message::new("cli-rules-sisben_level").with("level", "1").with(
        "areas",
        format!(
            "{}, {}, {}",
            Lang::Es.say(&Message::new("cli-rules-sisben_area_none").with("area", 1)),
            area(2, "(0-30]"),
            area(3, "(0-20]")
        ),
    ));
    assert!(show.contains(&level), "{show}");
    assert!(
        show.contains("ART10A_PRIOR") && show.contains("[Art. 10 a]"),
        "{show}"
    );

    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/incoder-308-2013.toml"
    ))
    .expect("rules file");
    let broken = shipped.replacen("percent = 80", "percent = \"ochenta\"", 1);
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, &broken).expect("write");
    let line = broken
        .lines()
        .position(|l| l.contains("ochenta"))
        .expect("changed")
        + 1;
    let output = vereda(dir.path(), &["rules", "show", &path.display().to_string()], None);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains(&format!("broken.toml, línea {line}")), "{stderr}");
}

#[test]
fn calendar_lists_a_years_holidays() {
    let dir = tempfile::tempdir().expect("dir");
    let output = vereda(dir.path(), &["calendar", "holidays", "2026"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 19, "{stdout}");
    assert_eq!(lines.first(), Some(&"2026-01-01 Año Nuevo (Ley 51 de 1983)"));
    assert!(
        lines.contains(&"2026-03-23 Día de San José (Ley 51 de 1983)"),
        "{stdout}"
    );
    assert!(
        lines.contains(&"2026-07-13 Festivo nacional del 9 de julio (Ley 2578 de 2026)"),
        "{stdout}"
    );
    assert_eq!(lines.last(), Some(&"2026-12-25 Navidad (Ley 51 de 1983)"));
    let english = vereda(
        dir.path(),
        &["--lang", "en", "calendar", "holidays", "2026"],
        None,
    );
    assert!(
        text(&english.stdout).contains("2026-12-25 Christmas Day (Ley 51 de 1983)\n"),
        "{}",
        text(&english.stdout)
    );
    assert!(
        !dir.path().join("vereda.db").exists(),
        "the calendar needs no database"
    );

    let output = vereda(dir.path(), &["calendar", "holidays", "1983"], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let unsupported = Lang::Es.t_with(
        "calendar-error-unsupported_year",
        &[
            ("year", Arg::Count(1983)),
            ("first", Arg::Count(1984)),
            ("last", Arg::Count(2200)),
        ],
    );
    assert_eq!(
        stderr.trim(),
        Lang::Es.t_with("cli-error", &[("detail", Arg::Text(unsupported))])
    );
}

#[test]
fn calendar_computes_a_deadline_in_business_days() {
    let dir = tempfile::tempdir().expect("dir");
    let deadline = |from: &str, days: &str| {
        vereda(
            dir.path(),
            &["calendar", "deadline", "--from", from, "--business-days", days],
            None,
        )
    };
    // Friday 2013-06-28; Monday 1 July is San Pedro y San Pablo; 20 July is a Saturday.
    let output = deadline("2013-06-28", "20");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "2013-07-29\n");
    assert_eq!(text(&deadline("2026-12-18", "10").stdout), "2027-01-05\n");

    for (from, days, named) in [
        ("2013-02-30", "20", "«2013-02-30»"),
        ("28/06/2013", "20", "«28/06/2013»"),
        ("2013-06-28", "veinte", "«veinte»"),
        ("2013-06-28", "-5", "«-5»"),
    ] {
        let output = deadline(from, days);
        assert_eq!(output.status.code(), Some(1), "{from} {days}");
        let stderr = text(&output.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(output.stdout.is_empty());
    }

    let output = deadline("2200-12-30", "5");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&Lang::Es.date(jiff::civil::date(2200, 12, 30))) && stderr.contains("2201"),
        "{stderr}"
    );
}

#[test]
fn an_agency_calendar_file_adds_a_holiday_and_a_bad_one_is_refused_by_line() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("festivos.toml");
    std::fs::write(
        &file,
        "[[holiday]]\nname = \"Día de prueba\"\nname_en = \"Test day\"\nrule = \"fixed\"\nmonth = 3\nday = 3\nlaw = \"Ley 9999 de 2027\"\nfrom = 2027\n",
    )
    .expect("write");
    let path = file.display().to_string();
    let deadline = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend([
            "calendar",
            "deadline",
            "--from",
            "2027-03-01",
            "--business-days",
            "2",
        ]);
        vereda(dir.path(), &args, None)
    };
    assert_eq!(text(&deadline(&[]).stdout), "2027-03-03\n");
    let output = deadline(&["--calendar", &path]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "2027-03-04\n");
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));

    std::fs::write(&file, "[[holiday]]\nname = \"Día de prueba\"\nname_en = \"Test day\"\nrule = \"fixed\"\nmonth = 2\nday = 30\nlaw = \"Ley 9999 de 2027\"\nfrom = 2027\n")
        .expect("write");
    let output = deadline(&["--calendar", &path]);
    assert!(output.status.success(), "the shipped calendar stays in use");
    assert_eq!(text(&output.stdout), "2027-03-03\n");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("{path}, línea 5, clave holiday[0].day")),
        "{stderr}"
    );
    assert!(!stderr.contains("calendar-error"), "{stderr}");
}

#[test]
fn audit_verify_walks_the_chain_and_checks_heads_written_down() {
    let dir = tempfile::tempdir().expect("dir");
    let created = vereda(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "ana@agencia.gov.co",
            "--role",
            "auditor",
            "--password-stdin",
        ],
        Some("una clave larga\n"),
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let verified = vereda(dir.path(), &["audit", "verify"], None);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    let stdout = text(&verified.stdout);
    // The last line is the head as `--head` takes it.
    let written_down = stdout.lines().last().expect("a head").to_owned();
    let (id, hash) = written_down.split_once(':').expect("ID:HASH");
    assert_eq!(hash.len(), 64, "{written_down}");

    let more = vereda(
        dir.path(),
        &[
            "user",
            "role",
            "--email",
            "ana@agencia.gov.co",
            "--role",
            "oversight",
        ],
        None,
    );
    assert!(more.status.success(), "{}", text(&more.stderr));
    let later = vereda(dir.path(), &["audit", "verify", "--head", &written_down], None);
    assert!(later.status.success(), "{}", text(&later.stderr));
    assert_ne!(
        text(&later.stdout).lines().last(),
        Some(written_down.as_str()),
        "the head moved on"
    );

    let wrong = vereda(
        dir.path(),
        &["audit", "verify", "--head", &format!("{id}:{}", "0".repeat(64))],
        None,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stderr).starts_with("error: "));
    let missing = vereda(
        dir.path(),
        &["audit", "verify", "--head", &format!("999999:{hash}")],
        None,
    );
    assert_eq!(missing.status.code(), Some(1));
    let malformed = vereda(dir.path(), &["audit", "verify", "--head", "nada"], None);
    assert_eq!(malformed.status.code(), Some(1));
}

#[test]
fn backup_copies_the_sqlite_database_its_uploads_and_its_outbox() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let seeded = vereda(dir.path(), &["demo-data", "seed"], None);
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    let documents = dir.path().join("uploads").join("documents");
    std::fs::create_dir_all(&documents).expect("uploads");
    std::fs::write(documents.join("abc123"), b"%PDF-1.7 prueba").expect("a document");
    std::fs::create_dir_all(dir.path().join("uploads").join("incoming").join("x")).expect("incoming");
    std::fs::write(dir.path().join("uploads/incoming/x/parcial.csv"), b"id").expect("a partial upload");
    std::fs::create_dir_all(dir.path().join("outbox")).expect("outbox");
    std::fs::write(
        dir.path().join("outbox").join("00000001-offer-1.txt"),
        b"Para: Ana",
    )
    .expect("a letter");
    let dest = dir.path().join("copia");
    let dest_text = dest.display().to_string();
    let backup = vereda(dir.path(), &["backup", &dest_text], None);
    assert!(backup.status.success(), "{}", text(&backup.stderr));
    assert_eq!(
        text(&backup.stdout).trim(),
        Lang::Es.say(
            &Message::new("cli-backup-done")
                .with("dir", dest_text.as_str())
                .with("files", 2_usize)
        )
    );
    assert_eq!(
        std::fs::read(dest.join("uploads/documents/abc123")).expect("the document"),
        b"%PDF-1.7 prueba"
    );
    assert!(dest.join("outbox/00000001-offer-1.txt").is_file());
    assert!(
        !dest.join("uploads/incoming").exists(),
        "partial uploads are not copied"
    );
    let mode = |path: &std::path::Path| std::fs::metadata(path).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&dest), 0o700);
    assert_eq!(mode(&dest.join("vereda.db")), 0o600);
    // The copy is a whole database: its audit chain verifies and its accounts are there.
    let restored = tempfile::tempdir().expect("dir");
    std::fs::copy(dest.join("vereda.db"), restored.path().join("vereda.db")).expect("restore");
    let verified = vereda(restored.path(), &["audit", "verify"], None);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    let accounts = vereda(restored.path(), &["user", "list"], None);
    assert!(text(&accounts.stdout).contains("@"), "{}", text(&accounts.stdout));
    // A second backup into the same directory is refused, not overwritten.
    let again = vereda(dir.path(), &["backup", &dest_text], None);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr)
            .contains(&Lang::Es.say(&Message::new("cli-backup-exists").with("dir", dest_text.as_str()))),
        "{}",
        text(&again.stderr)
    );
}

/// The PostgreSQL server of the tests, if configured.
fn test_postgres_url() -> Option<String> {
    std::env::var("VEREDA_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

#[test]
fn backup_refuses_postgres_and_points_to_pg_dump() {
    let Some(url) = test_postgres_url() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let dest = dir.path().join("copia").display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args(["--database-url", &url, "backup", &dest])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&Lang::Es.say(&Message::new("cli-backup-not_sqlite").with("backend", "PostgreSQL"))),
        "{stderr}"
    );
    assert!(!dir.path().join("copia").exists());
}

#[test]
fn a_postgres_certificate_that_does_not_verify_is_said_without_the_password() {
    let Some(url) = test_postgres_url() else { return };
    let Some((scheme, rest)) = url.split_once("://") else {
        return;
    };
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let with_password = format!("{scheme}://postgres:s3creta-larga@{host}");
    let separator = if with_password.contains('?') { '&' } else { '?' };
    // The test server's certificate is self-signed (or it has no TLS): verify-full fails.
    let output = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args([
            "--database-url",
            &format!("{with_password}{separator}sslmode=verify-full"),
            "migrate",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("s3creta-larga"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("TLS"), "{stderr}");
}
