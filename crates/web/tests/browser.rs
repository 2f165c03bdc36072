//! User journeys in a real browser: headless Chromium driven through chromedriver against
//! the real server on a free port. Skipped, with the reason printed, where no chromedriver
//! is installed, unless `VEREDA_REQUIRE_BROWSER=1` (CI) makes that a failure.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver_path() -> Option<String> {
    let candidates = [
        std::env::var("CHROMEDRIVER").ok(),
        Some("/usr/bin/chromedriver".to_owned()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| std::path::Path::new(p).exists())
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Chromium and its driver, or `None` with the reason printed.
async fn browser() -> Option<(Driver, Client, tempfile::TempDir)> {
    let required = std::env::var("VEREDA_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true");
    let Some(driver_path) = chromedriver_path() else {
        assert!(
            !required,
            "the browser suite is required but chromedriver is not installed"
        );
        eprintln!(
            "skipped the browser suite: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
    let driver = Driver(child);
    let profile = tempfile::tempdir().expect("profile dir");
    let mut capabilities = serde_json::Map::new();
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let mut options = serde_json::json!({
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", "--window-size=1200,900",
            format!("--user-data-dir={}", profile.path().display()),
        ]
    });
    if let Some(binary) = chromium {
        options["binary"] = serde_json::Value::String(binary.to_owned());
    }
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(client) = ClientBuilder::native()
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            return Some((driver, client, profile));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer at {url}");
}

/// The real server on a free port, with the demo data.
async fn server() -> (
    String,
    vereda_store::test_support::TestDatabase,
    tokio::sync::oneshot::Sender<()>,
) {
    let db = vereda_store::test_support::sqlite().await.expect("database");
    vereda_store::demo::seed(&db.store).await.expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let store = db.store.clone();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        vereda_web::serve(listener, store, vereda_web::WebConfig::default(), shutdown)
            .await
            .expect("serve");
    });
    (format!("http://{address}"), db, stop)
}

async fn click(client: &Client, locator: Locator<'_>) {
    client
        .find(locator)
        .await
        .expect("element")
        .click()
        .await
        .expect("click");
}

async fn type_into(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"))
        .send_keys(text)
        .await
        .expect("type");
}

/// The text of an element, waiting (up to 5 s) for it to appear: a click on a submit button
/// returns before the next page has loaded.
/// The element's text once it equals `expected` (a click's page may still be loading), or
/// whatever it is after 5 s.
async fn text_becomes(client: &Client, css: &str, expected: &str) -> String {
    let mut text = String::new();
    for _ in 0..50 {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            text = element.text().await.unwrap_or_default();
            if text == expected {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    text
}

async fn text_of(client: &Client, css: &str) -> String {
    let mut found = client.find(Locator::Css(css)).await;
    for _ in 0..50 {
        if found.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        found = client.find(Locator::Css(css)).await;
    }
    found
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_suite_status() {
    if let Some((_driver, client, _profile)) = browser().await {
        println!("the browser suite runs: chromedriver and Chromium are installed");
        client.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_reads_in_spanish_switches_to_english_and_filters_municipalities() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;

    client.goto(&base).await.expect("home");
    assert_eq!(
        text_of(&client, "h1").await,
        "Desarrollo rural con enfoque territorial"
    );
    click(&client, Locator::Id("language-switch")).await;
    assert_eq!(
        text_becomes(&client, "h1", "Rural development with a territorial approach").await,
        "Rural development with a territorial approach"
    );

    client
        .goto(&format!("{base}/municipios"))
        .await
        .expect("municipalities");
    let department = client.find(Locator::Id("departamento")).await.expect("select");
    department.select_by_value("18").await.expect("Caquetá");
    type_into(&client, "q", "caguan").await;
    click(&client, Locator::Css("form.filters button")).await;
    wait_for_url(&client, |url| url.contains("departamento=18")).await;
    let rows = client
        .find_all(Locator::Css("#municipalities tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(
        text_of(&client, "#municipalities tbody")
            .await
            .contains("SAN VICENTE DEL CAGUÁN")
    );
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .as_str()
            .contains("departamento=18")
    );

    client.close().await.expect("close");
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_logs_in_sees_the_workspace_and_logs_out() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;

    client.goto(&format!("{base}/staff")).await.expect("staff");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/login"),
        "sent to log in"
    );
    type_into(&client, "email", "territorial.officer@vereda.test").await;
    type_into(&client, "password", "not the password").await;
    click(&client, Locator::Id("login-submit")).await;
    assert_eq!(
        text_of(&client, "#login-error").await,
        "Correo o contraseña incorrectos."
    );

    type_into(&client, "password", vereda_store::demo::DEMO_PASSWORD).await;
    click(&client, Locator::Id("login-submit")).await;
    wait_for_url(&client, |url| url.ends_with("/staff")).await;
    assert_eq!(text_of(&client, "#role").await, "Profesional territorial");

    client
        .goto(&format!("{base}/admin/users"))
        .await
        .expect("admin page");
    assert!(
        text_of(&client, "main")
            .await
            .contains("Su rol no permite esta acción.")
    );

    click(&client, Locator::Id("logout")).await;
    assert!(client.find(Locator::Id("login-link")).await.is_ok(), "logged out");
    client.goto(&format!("{base}/staff")).await.expect("staff");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/login")
    );

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// A few golden households (the first 22 columns of the screening golden cases) and the
/// five registries, written into `dir`.
fn small_screening_files(dir: &std::path::Path) -> (std::path::PathBuf, Vec<(String, std::path::PathBuf)>) {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../screen/tests/golden");
    let mut reader = csv::Reader::from_path(golden.join("cases.csv")).expect("cases.csv");
    let households = dir.join("hogares.csv");
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(&households)
        .expect("households.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .take(22)
        .map(str::to_owned)
        .collect();
    writer.write_record(&header).expect("header");
    for record in reader.records() {
        let record = record.expect("record");
        if ["G01", "G02", "G05", "G19", "G30", "G38"].contains(&&record[0]) {
            writer.write_record(record.iter().take(22)).expect("row");
        }
    }
    writer.flush().expect("flush");
    let registries = [
        "ruv",
        "prior_beneficiaries",
        "public_servants",
        "sanctions",
        "wanted",
    ]
    .iter()
    .map(|kind| {
        let path = dir.join(format!("{kind}.csv"));
        std::fs::copy(golden.join(format!("{kind}.csv")), &path).expect("registry");
        ((*kind).to_owned(), path)
    })
    .collect();
    (households, registries)
}

/// Waits (up to 10 s) for the page to reach a URL the test expects: a click on a submit
/// button or a link returns before the next page has loaded.
async fn wait_for_url(client: &Client, expected: impl Fn(&str) -> bool) -> String {
    let mut url = String::new();
    for _ in 0..100 {
        url = client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        if expected(&url) && client.find(Locator::Css("footer")).await.is_ok() {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser stayed at {url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_officer_screens_a_file_filters_by_reason_and_reads_why() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;
    let files = tempfile::tempdir().expect("files");
    let (households, registries) = small_screening_files(files.path());

    client
        .goto(&format!("{base}/staff/calls/1/screenings"))
        .await
        .expect("screening form");
    type_into(&client, "email", "program.officer@vereda.test").await;
    type_into(&client, "password", vereda_store::demo::DEMO_PASSWORD).await;
    click(&client, Locator::Id("login-submit")).await;
    wait_for_url(&client, |url| url.ends_with("/staff/calls/1/screenings")).await;
    type_into(&client, "households", &households.display().to_string()).await;
    for (kind, path) in &registries {
        type_into(&client, &format!("registry_{kind}"), &path.display().to_string()).await;
    }
    let as_of = client.find(Locator::Id("as_of")).await.expect("as_of");
    as_of.clear().await.expect("clear");
    as_of.send_keys("2013-06-01").await.expect("type");
    click(&client, Locator::Id("screening-submit")).await;

    // The page refreshes itself until the screening is done.
    let mut finished = false;
    for _ in 0..240 {
        if let Ok(status) = client.find(Locator::Id("run-status")).await
            && status.text().await.is_ok_and(|t| t == "Terminada")
            && client.find(Locator::Id("results")).await.is_ok()
        {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        finished,
        "the screening finished: {}",
        text_of(&client, "main").await
    );
    assert_eq!(text_of(&client, "#total-households").await, "6");
    assert_eq!(text_of(&client, "#total-eligible").await, "2");

    let reason = client.find(Locator::Id("reason")).await.expect("reason filter");
    reason
        .select_by_value("ART10A_PRIOR")
        .await
        .expect("ART10A_PRIOR");
    click(&client, Locator::Id("results-filter-submit")).await;
    wait_for_url(&client, |url| url.contains("reason=ART10A_PRIOR")).await;
    let rows = client
        .find_all(Locator::Css("#results tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2, "G30 and G38");
    assert!(text_of(&client, "#results tbody").await.contains("G30"));

    click(&client, Locator::Css("#results tbody a.household-link")).await;
    wait_for_url(&client, |url| url.contains("/staff/households/")).await;
    assert!(text_of(&client, "h1").await.contains("G30"));
    assert_eq!(text_of(&client, "#decision").await, "No elegible: ART10A_PRIOR");
    let rule = text_of(&client, "#rule-ART10A_PRIOR").await;
    assert!(rule.contains("Art. 10 a"), "{rule}");
    assert!(rule.contains("document found in prior_beneficiaries"), "{rule}");
    assert!(rule.contains("Se activó"), "{rule}");
    assert!(text_of(&client, "#rule-ART9A_SISBEN").await.contains("Cumple"));

    client.close().await.expect("close");
    let _ = stop.send(());
}
