//! The binary as a user runs it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
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
        "created ana@agencia.gov.co (territorial_officer)"
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
    assert_eq!(
        text(&again.stderr).trim(),
        "error: an account with e-mail ana@agencia.gov.co already exists"
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
    assert!(
        text(&bad_role.stderr).contains("unknown role \"boss\"; expected one of: admin,"),
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
}

#[test]
fn an_unknown_dane_code_in_an_ipm_file_imports_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ipm.csv");
    std::fs::write(&file, "dane_code,ipm_total\n18001,40\n99999,50\n").expect("write");
    let output = vereda(dir.path(), &["import", "ipm", file.to_str().expect("path")], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("ipm.csv, line 3") && stderr.contains("99999"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
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
