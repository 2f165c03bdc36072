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

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
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
        text_of(&client, "h1").await,
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
    assert_eq!(client.current_url().await.expect("url").path(), "/staff");
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
