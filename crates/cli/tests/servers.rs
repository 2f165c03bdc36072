//! Several `vereda serve` processes on one database, as behind a load balancer: a screening
//! survives the death (kill -9) of the server running it, another server finishes it from its
//! checkpoint, and each result is written once; a server stopped by SIGTERM hands its job back
//! at a checkpoint and exits within 20 s. On SQLite, and on PostgreSQL when it is available.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use vereda_store::Store;
use vereda_store::jobs::{JobKind, JobStatus};

/// Enough households that storing them takes several chunks.
const HOUSEHOLDS: u64 = 18_000;
const LEASE_SECONDS: &str = "3";

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(url: &str, uploads: &Path, demo: bool) -> Server {
        let mut args = vec![
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--job-lease-seconds",
            LEASE_SECONDS,
        ];
        if demo {
            args.push("--demo");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_vereda"))
            .args(&args)
            .env("VEREDA_DATABASE_URL", url)
            .env("VEREDA_UPLOADS_DIR", uploads)
            .env("VEREDA_REQUIRE_SECOND_FACTOR", "false")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let address = lines
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("http://")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .map(str::to_owned)
            })
            .expect("the serving banner");
        Server { child, address }
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
    }

    /// Waits for the process to end; its exit status, or None after `within`.
    fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; the status and the body.
fn http(address: &str, request: &[u8]) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.write_all(request).expect("request");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("reply");
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {reply}"));
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Submits a screening of call 1 through the API: the synthetic files of `dir`.
fn submit(address: &str, token: &str, dir: &Path) -> i32 {
    const BOUNDARY: &str = "vereda-test-boundary";
    let mut body = Vec::new();
    let mut part = |name: &str, file: Option<&str>, bytes: &[u8]| {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(file) = file {
            body.extend_from_slice(format!("; filename=\"{file}\"\r\nContent-Type: text/csv").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    part("as_of", None, b"2013-06-01");
    let households = std::fs::read(dir.join("households.csv")).expect("households");
    part("households", Some("households.csv"), &households);
    for kind in [
        "ruv",
        "prior_beneficiaries",
        "public_servants",
        "sanctions",
        "wanted",
    ] {
        let name = format!("{kind}.csv");
        let bytes = std::fs::read(dir.join(&name)).expect("registry");
        part(&format!("registry_{kind}"), Some(&name), &bytes);
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let mut request = format!(
        "POST /api/v1/calls/1/screenings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let (status, reply) = http(address, &request);
    assert_eq!(status, 202, "{reply}");
    let accepted: serde_json::Value = serde_json::from_str(&reply).expect("JSON");
    accepted["run_id"]
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
        .expect("run_id")
}

fn token(url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args([
            "token",
            "create",
            "--email",
            "program.officer@vereda.test",
            "--name",
            "servers test",
        ])
        .env("VEREDA_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn synthetic(dir: &Path, seed: u64) {
    let output = Command::new(env!("CARGO_BIN_EXE_vereda"))
        .args([
            "demo-data",
            "households",
            "--n",
            &HOUSEHOLDS.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .arg("--out")
        .arg(dir)
        .output()
        .expect("synthetic");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn count(store: &Store, sql: &str) -> i64 {
    let row = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            store.backend(),
            format!("SELECT COUNT(*) AS n FROM {sql}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

/// Waits until the job of `run` is past its first chunk and not done; its checkpoint.
async fn wait_for_a_checkpoint(store: &Store, run: i32) -> u64 {
    let started = Instant::now();
    loop {
        if let Some(job) = store
            .job_by_key(JobKind::Screening, &run.to_string())
            .await
            .expect("job")
        {
            assert_ne!(
                job.status,
                JobStatus::Succeeded,
                "the job ended before the test could stop its server"
            );
            if job.checkpoint > 0 {
                return job.checkpoint;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(300), "no checkpoint");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_success(store: &Store, run: i32) {
    let started = Instant::now();
    loop {
        let job = store
            .job_by_key(JobKind::Screening, &run.to_string())
            .await
            .expect("job")
            .expect("a job");
        match job.status {
            JobStatus::Succeeded => return,
            JobStatus::Failed => panic!("the job failed"),
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the job did not finish: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn two_servers_share_the_work(url: &str, store: &Store) {
    let files = tempfile::tempdir().expect("dir");
    let uploads = files.path().join("uploads");
    let first = files.path().join("first");
    let second = files.path().join("second");
    synthetic(&first, 1);
    synthetic(&second, 2);
    let mut servers = vec![
        Server::start(url, &uploads, true),
        Server::start(url, &uploads, false),
    ];
    let token = token(url);

    // kill -9 of the server running a screening (whichever claimed it): the other finishes it
    // from the checkpoint.
    let run = submit(&servers[0].address, &token, &first);
    wait_for_a_checkpoint(store, run).await;
    let job = store
        .job_by_key(JobKind::Screening, &run.to_string())
        .await
        .expect("job")
        .expect("a job");
    let owner_pid = job
        .owner
        .as_deref()
        .and_then(|o| o.split(':').nth(1))
        .expect("owner host:pid:nonce")
        .to_owned();
    let running = servers
        .iter()
        .position(|s| s.child.id().to_string() == owner_pid)
        .expect("one of the servers runs it");
    let mut dead = servers.remove(running);
    dead.signal("-KILL");
    dead.wait(Duration::from_secs(10)).expect("killed");
    let killed_at = jiff::Timestamp::now().as_microsecond();
    let stored_before = count(store, &format!("screening_results WHERE run_id = {run}")).await;
    wait_for_success(store, run).await;
    let job = store
        .job_by_key(JobKind::Screening, &run.to_string())
        .await
        .expect("job")
        .expect("a job");
    assert_eq!(job.attempts, 2, "taken over once");
    let households = i64::try_from(HOUSEHOLDS).expect("count");
    assert_eq!(
        count(store, &format!("screening_results WHERE run_id = {run}")).await,
        households,
        "each result once"
    );
    assert_eq!(
        count(
            store,
            &format!("screening_results WHERE run_id = {run} AND screened_at < {killed_at}")
        )
        .await,
        stored_before,
        "the second server did not write again what the first had stored"
    );
    assert!(stored_before > 0 && stored_before < households);
    // The run's totals count the results stored before the takeover too.
    let finished = store.screening_run(run).await.expect("run").expect("a run");
    let counts = store.screening_counts(run).await.expect("counts");
    let eligible = count(
        store,
        &format!("screening_results WHERE run_id = {run} AND eligible"),
    )
    .await;
    assert_eq!(finished.households_total, HOUSEHOLDS);
    assert_eq!(counts.households, HOUSEHOLDS);
    assert_eq!(i64::try_from(finished.eligible_total).expect("count"), eligible);
    assert_eq!(i64::try_from(counts.eligible).expect("count"), eligible);
    assert!(eligible > 0);

    // SIGTERM: the server hands its job back at a checkpoint and exits; the next one
    // finishes it.
    let mut survivor = servers.remove(0);
    let run = submit(&survivor.address, &token, &second);
    wait_for_a_checkpoint(store, run).await;
    survivor.signal("-TERM");
    let status = survivor
        .wait(Duration::from_secs(20))
        .expect("stopped within 20 s");
    assert!(status.success(), "{status}");
    let job = store
        .job_by_key(JobKind::Screening, &run.to_string())
        .await
        .expect("job")
        .expect("a job");
    assert_eq!(
        job.status,
        JobStatus::Queued,
        "handed back, not left to expire: {job:?}"
    );
    assert!(job.checkpoint > 0);
    let _c = Server::start(url, &uploads, false);
    wait_for_success(store, run).await;
    assert_eq!(
        count(store, &format!("screening_results WHERE run_id = {run}")).await,
        households
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_screening_survives_its_server_and_each_result_is_written_once_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("vereda.db").display());
    let store = Store::connect(&url).await.expect("database");
    store.migrate().await.expect("migrate");
    two_servers_share_the_work(&url, &store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_screening_survives_its_server_and_each_result_is_written_once_on_postgres() {
    let Some(db) = vereda_store::test_support::postgres().await else {
        return;
    };
    two_servers_share_the_work(&db.url, &db.store).await;
}
