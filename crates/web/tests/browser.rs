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
            "--no-first-run", "--disable-quic", "--window-size=1200,900", "--lang=es-CO",
            format!("--user-data-dir={}", profile.path().display()),
        ],
        // A Colombian citizen's browser: a first visit is answered in Spanish (Accept-Language).
        "prefs": { "intl.accept_languages": "es-CO,es" }
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
    vereda_web::demo::seed(&db.store, &vereda_web::WebConfig::default())
        .await
        .expect("demo");
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

/// Clicks a link or a submit button and waits until the browser has left the page and the
/// next one is loaded: until then the old page's elements are still found, and go stale
/// under the test's hands (the login page's URL even ends with the page it leads to).
async fn click(client: &Client, locator: Locator<'_>) {
    let page = client.find(Locator::Css("html")).await.expect("page");
    client
        .find(locator)
        .await
        .expect("element")
        .click()
        .await
        .expect("click");
    for _ in 0..150 {
        if page.attr("lang").await.is_err() {
            wait_for(client, "footer").await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the click left the browser on the same page");
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

    client.goto(&format!("{base}/personal")).await.expect("staff");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/ingreso"),
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
    wait_for_url(&client, |url| url.ends_with("/personal")).await;
    assert_eq!(text_of(&client, "#role").await, "Profesional territorial");

    client
        .goto(&format!("{base}/personal/administracion/cuentas"))
        .await
        .expect("admin page");
    assert!(
        text_of(&client, "main")
            .await
            .contains("Su rol no permite esta acción.")
    );

    // The click returns before the next page has loaded: wait for it.
    click(&client, Locator::Id("logout")).await;
    wait_for(&client, "#login-link").await;
    client.goto(&format!("{base}/personal")).await.expect("staff");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/ingreso")
    );

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// A few golden households (the first 22 columns of the screening golden cases) and the
/// five registries, written into `dir`.
fn small_screening_files(dir: &std::path::Path) -> (std::path::PathBuf, Vec<(String, std::path::PathBuf)>) {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../screening/tests/golden");
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
    let page = match client.find(Locator::Css("main")).await {
        Ok(main) => main.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    panic!("the browser stayed at {url}: {page}");
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
        .goto(&format!("{base}/personal/convocatorias/1/preselecciones"))
        .await
        .expect("screening form");
    type_into(&client, "email", "program.officer@vereda.test").await;
    type_into(&client, "password", vereda_store::demo::DEMO_PASSWORD).await;
    click(&client, Locator::Id("login-submit")).await;
    wait_for_url(&client, |url| {
        url.ends_with("/personal/convocatorias/1/preselecciones")
    })
    .await;
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

    let reason = client
        .find(Locator::Id("list-motivo"))
        .await
        .expect("reason filter");
    reason
        .select_by_value("ART10A_PRIOR")
        .await
        .expect("ART10A_PRIOR");
    click(&client, Locator::Id("list-apply")).await;
    wait_for_url(&client, |url| url.contains("motivo=ART10A_PRIOR")).await;
    let rows = client
        .find_all(Locator::Css("#results tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2, "G30 and G38");
    assert!(text_of(&client, "#results tbody").await.contains("G30"));

    click(&client, Locator::Css("#results tbody a.household-link")).await;
    wait_for_url(&client, |url| url.contains("/personal/hogares/")).await;
    assert!(text_of(&client, "h1").await.contains("G30"));
    assert_eq!(text_of(&client, "#decision").await, "No elegible: ART10A_PRIOR");
    let rule = text_of(&client, "#rule-ART10A_PRIOR").await;
    assert!(rule.contains("Art. 10 a"), "{rule}");
    assert!(rule.contains("Se activó"), "{rule}");
    assert!(text_of(&client, "#rule-ART9A_SISBEN").await.contains("Cumple"));

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// Waits (up to 10 s) for an element: after a click, for one only the next page has.
/// Confirms an irreversible act on the page that asks for it.
async fn confirm_act(client: &Client) {
    wait_for(client, "#confirm-question").await;
    click(client, Locator::Css("#confirm-yes")).await;
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waited for {css}: {e}"))
}

async fn rows_of(client: &Client, css: &str) -> usize {
    client.find_all(Locator::Css(css)).await.expect("rows").len()
}

/// Logs in through the login page that a staff URL sends an anonymous visitor to, and waits
/// to be back at that URL.
async fn log_in_at(client: &Client, base: &str, path: &str, email: &str) {
    client.goto(&format!("{base}{path}")).await.expect("staff page");
    wait_for(client, "#login-submit").await;
    type_into(client, "email", email).await;
    type_into(client, "password", vereda_store::demo::DEMO_PASSWORD).await;
    click(client, Locator::Id("login-submit")).await;
    wait_for_url(client, |url| url.ends_with(path) && !url.contains("/ingreso")).await;
}

async fn log_out(client: &Client) {
    click(client, Locator::Id("logout")).await;
    wait_for(client, "#login-link").await;
}

/// The id of the pending measurement of `project · indicator.` on the review queue.
async fn pending_measurement_id(client: &Client, heading: &str) -> String {
    wait_for(client, "#queue").await;
    for card in client
        .find_all(Locator::Css("#queue > li.card"))
        .await
        .expect("queue cards")
    {
        if card.text().await.expect("card text").contains(heading) {
            let id = card.attr("id").await.expect("id").expect("card id");
            return id
                .strip_prefix("measurement-")
                .unwrap_or_else(|| panic!("card id {id}"))
                .to_owned();
        }
    }
    panic!(
        "no pending measurement {heading} in {}",
        text_of(client, "main").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_records_a_measurement_another_approves_it_and_the_public_card_shows_it() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;
    let files = tempfile::tempdir().expect("files");
    let evidence = files.path().join("informe-interventoria.txt");
    std::fs::write(&evidence, "Informe de interventoría, marzo de 2023: 47 km.\n").expect("evidence");
    let card = "/proyectos/T06.60%2C61%2C62";
    let indicator = "/personal/proyectos/T06.60%2C61%2C62/indicadores/3";
    let set_date = "document.getElementById('measured_on').value = arguments[0];";

    // 1. A territorial officer records a measurement: a wrong one first, then a good one.
    log_in_at(&client, &base, indicator, "territorial.officer@vereda.test").await;
    wait_for(&client, "#measurement-form").await;
    let before = rows_of(&client, "#history tbody tr").await;
    assert_eq!(before, 1, "the demo's measurement of September 2022");
    client
        .execute(set_date, vec![serde_json::json!("2023-03-31")])
        .await
        .expect("date");
    type_into(&client, "value", "-5").await;
    type_into(&client, "source", "Informe de interventoría").await;
    click(&client, Locator::Id("submit-measurement")).await;
    let errors = wait_for(&client, "#value-errors:not(:empty)").await;
    let errors = errors.text().await.expect("errors");
    assert!(errors.contains("es negativo"), "{errors}");
    assert!(errors.contains("kilómetros"), "{errors}");
    assert_eq!(text_of(&client, "#measured_on-errors").await, "");
    assert_eq!(
        rows_of(&client, "#history tbody tr").await,
        before,
        "nothing added"
    );
    assert_eq!(text_of(&client, "#staff-current").await, "13,2 km");

    // The form kept what was typed: only the value needs correcting.
    let kept = client
        .execute("return document.getElementById('measured_on').value;", Vec::new())
        .await
        .expect("kept date");
    assert_eq!(kept, serde_json::json!("2023-03-31"));
    let value = client.find(Locator::Id("value")).await.expect("value");
    value.clear().await.expect("clear");
    value.send_keys("47").await.expect("type");
    client
        .find(Locator::Id("evidence"))
        .await
        .expect("evidence input")
        .send_keys(&evidence.display().to_string())
        .await
        .expect("evidence file");
    click(&client, Locator::Id("submit-measurement")).await;
    let notice = wait_for(&client, "p.success").await.text().await.expect("notice");
    assert_eq!(
        notice,
        "La medición quedó enviada. Contará cuando otra persona del equipo la apruebe."
    );
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .as_str()
            .ends_with("?hecho=medicion")
    );
    assert_eq!(rows_of(&client, "#history tbody tr").await, before + 1);
    let history = text_of(&client, "#history tbody").await;
    assert!(history.contains("2023-03-31"), "{history}");
    assert!(history.contains("Por revisar"), "{history}");
    assert!(history.contains("informe-interventoria.txt"), "{history}");
    assert_eq!(
        text_of(&client, "#staff-current").await,
        "13,2 km",
        "not counted yet"
    );

    // Four eyes: the queue shows the officer the measurement but no way to review it.
    client
        .goto(&format!("{base}/personal/mediciones"))
        .await
        .expect("queue");
    let id = pending_measurement_id(&client, "T06.60,61,62 · 3.").await;
    let mine = text_of(&client, &format!("#measurement-{id}")).await;
    assert!(mine.contains("47 km"), "{mine}");
    assert!(mine.contains("Informe de interventoría"), "{mine}");
    assert!(
        mine.contains("Usted envió esta medición: otra persona del equipo debe revisarla."),
        "{mine}"
    );
    assert!(
        client.find(Locator::Id(&format!("approve-{id}"))).await.is_err(),
        "no approve button for one's own measurement"
    );
    assert!(client.find(Locator::Id(&format!("return-{id}"))).await.is_err());

    // 2. The public card does not count it yet.
    log_out(&client).await;
    client.goto(&format!("{base}{card}")).await.expect("card");
    assert_eq!(text_of(&client, "#indicator-3 td.current").await, "13,2 km");
    assert_eq!(text_of(&client, "#indicator-3 .advance-figure").await, "14 %");

    // 3. The territorial director approves it.
    log_in_at(
        &client,
        &base,
        "/personal/mediciones",
        "territorial.director@vereda.test",
    )
    .await;
    let same = pending_measurement_id(&client, "T06.60,61,62 · 3.").await;
    assert_eq!(same, id);
    click(&client, Locator::Id(&format!("approve-{id}"))).await;
    let notice = wait_for(&client, "p.success").await.text().await.expect("notice");
    assert_eq!(
        notice,
        "La medición quedó aprobada y ya se ve en la ficha pública."
    );
    assert!(
        client
            .find(Locator::Id(&format!("measurement-{id}")))
            .await
            .is_err(),
        "no longer pending"
    );

    // 4. An anonymous visitor sees it on the public card.
    log_out(&client).await;
    client.goto(&format!("{base}{card}")).await.expect("card");
    assert_eq!(text_of(&client, "#indicator-3 td.current").await, "47 km");
    assert_eq!(text_of(&client, "#indicator-3 .advance-figure").await, "50 %");
    assert_eq!(
        text_of(&client, "#indicator-3 td:nth-of-type(2)").await,
        "marzo de 2023"
    );
    assert_eq!(text_of(&client, "h2#indicators").await, "Indicadores destacados");

    // 5. And in English.
    click(&client, Locator::Id("language-switch")).await;
    wait_for(&client, "html[lang='en']").await;
    assert_eq!(text_of(&client, "h2#indicators").await, "Featured indicators");
    assert_eq!(
        text_of(&client, "#indicator-3 td:nth-of-type(2)").await,
        "March 2023"
    );
    assert_eq!(text_of(&client, "#indicator-3 td.current").await, "47 km");
    assert_eq!(text_of(&client, "#indicator-3 .advance-figure").await, "50 %");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/en/proyectos/T06.60"),
        "back on the card, at its English address"
    );

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// A few bytes a browser sends as a PDF: the type is told from the first bytes.
const SMALL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
trailer << /Root 1 0 R >>\n%%EOF\n";

/// Sets an input's value with a script: a date input's typing depends on the locale.
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![serde_json::json!(id), serde_json::json!(value)],
        )
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"));
}

/// A date `days` before today, as `YYYY-MM-DD` (two days back keeps it in the past in
/// Colombia whatever the time zone of the machine).
async fn days_ago(client: &Client, days: u32) -> String {
    client
        .execute(
            "return new Date(Date.now() - arguments[0] * 86400000).toISOString().slice(0, 10);",
            vec![serde_json::json!(days)],
        )
        .await
        .expect("date")
        .as_str()
        .expect("a date string")
        .to_owned()
}

/// The status and content type of a GET made by the page, with the visitor's cookies: a link
/// to a file answers without being followed.
async fn fetched(client: &Client, path: &str) -> String {
    client
        .execute(
            "return fetch(arguments[0]).then(r => r.status + ' ' + r.headers.get('content-type'));",
            vec![serde_json::json!(path)],
        )
        .await
        .unwrap_or_else(|e| panic!("fetch {path}: {e}"))
        .as_str()
        .expect("a status")
        .to_owned()
}

/// The path of the link of the calls list whose row has the call's code, ending in `suffix`.
async fn call_link(client: &Client, base: &str, code: &str, suffix: &str) -> String {
    client
        .goto(&format!("{base}/personal/convocatorias"))
        .await
        .expect("calls");
    let xpath = format!("//tr[td[1][normalize-space()='{code}']]//a[contains(@href, '/{suffix}')]");
    let link = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no {suffix} link for {code}: {e}"));
    link.attr("href").await.expect("href").expect("an href")
}

/// Replaces what an input holds (a form may come with a suggested value).
async fn replace_text(client: &Client, id: &str, text: &str) {
    let input = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"));
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

/// Ticks the checkbox whose label holds `text`.
async fn tick(client: &Client, name: &str, text: &str) {
    let xpath = format!("//label[contains(., '{text}')]/input[@name='{name}']");
    client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
        .click()
        .await
        .expect("tick");
}

/// The number at the end of the current URL's path.
async fn id_in_url(client: &Client) -> String {
    let url = client.current_url().await.expect("url");
    url.path()
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no id at the end of {url}"))
        .to_owned()
}

/// Steps 1 and 2 of the whole procedure, in the browser: a program officer creates a call and
/// its targeting; a territorial officer records the notice of the offer and verifies a
/// household eligible, documents and parcel included. Leaves the browser logged out.
async fn a_call_created_targeted_and_a_household_verified_eligible(client: &Client, base: &str) {
    let (client, base) = (client.clone(), base.to_owned());
    let files = tempfile::tempdir().expect("files");
    let pdf = files.path().join("documento.pdf");
    std::fs::write(&pdf, SMALL_PDF).expect("pdf");

    // 1. A program officer creates a call of the general line for Caquetá.
    log_in_at(
        &client,
        &base,
        "/personal/convocatorias/nueva",
        "program.officer@vereda.test",
    )
    .await;
    wait_for(&client, "#call-form").await;
    client
        .find(Locator::Id("program"))
        .await
        .expect("program")
        .select_by_index(1)
        .await
        .expect("the demo program");
    replace_text(&client, "code", "PCDRT-2013-CAQ").await;
    replace_text(&client, "name", "Convocatoria 2013: Caquetá").await;
    replace_text(&client, "budget_year", "2013").await;
    replace_text(&client, "budget_cop", "3000000000").await;
    client
        .find(Locator::Id("rule_set"))
        .await
        .expect("rule set")
        .select_by_value("incoder-308-2013")
        .await
        .expect("incoder-308-2013");
    tick(&client, "office", "Caquetá").await;
    assert!(
        client
            .find(Locator::Css("input[name='line'][value='general']"))
            .await
            .expect("general line")
            .is_selected()
            .await
            .expect("checked"),
        "the general line is the default"
    );
    click(&client, Locator::Css("#call-form button[type='submit']")).await;
    wait_for_url(&client, |url| url.ends_with("/personal/convocatorias")).await;

    // Its targeting: weights, a preview, then the technical document (Art. 8).
    let targeting = call_link(&client, &base, "PCDRT-2013-CAQ", "focalizacion").await;
    client
        .goto(&format!("{base}{targeting}"))
        .await
        .expect("targeting");
    wait_for(&client, "#targeting-form").await;
    for (id, weight) in [
        ("weight_poverty", "3"),
        ("weight_families", "1"),
        ("weight_interventions", "1"),
    ] {
        replace_text(&client, id, weight).await;
    }
    click(&client, Locator::Css("#targeting-form button[type='submit']")).await;
    wait_for_url(&client, |url| url.contains("weight_poverty=3")).await;
    assert!(
        rows_of(&client, "#ranking tbody tr").await > 0,
        "Caquetá's municipalities ranked: {}",
        text_of(&client, "main").await
    );
    click(&client, Locator::Css("#generate-form button[type='submit']")).await;
    wait_for_url(&client, |url| url.contains("/focalizacion/documentos/")).await;
    assert_eq!(text_of(&client, "#document-number").await, "1");
    let weights = text_of(&client, "#weights tbody").await;
    assert!(weights.contains('3'), "{weights}");
    assert!(rows_of(&client, "#ranking tbody tr").await > 0);
    let pdf_link = client
        .find(Locator::Css("a[href$='/documentos/1.pdf']"))
        .await
        .expect("PDF link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    assert_eq!(fetched(&client, &pdf_link).await, "200 application/pdf");
    log_out(&client).await;

    // 2. A territorial officer records the notice of the offer in the demo call, which has
    // households.
    log_in_at(&client, &base, "/personal", "territorial.officer@vereda.test").await;
    let verification = call_link(&client, &base, vereda_store::demo::DEMO_CALL_CODE, "verificacion").await;
    client
        .goto(&format!("{base}{verification}"))
        .await
        .expect("verification");
    wait_for(&client, "#no-notice").await;
    let notice_date = days_ago(&client, 2).await;
    set_value(&client, "notice_date", &notice_date).await;
    type_into(&client, "text", "Oferta institucional: presente sus documentos.").await;
    click(&client, Locator::Css("#notice-form button[type='submit']")).await;
    confirm_act(&client).await;
    let deadline = wait_for(&client, "#call-deadline").await;
    let iso = deadline
        .attr("data-date")
        .await
        .expect("attr")
        .expect("data-date");
    assert!(
        iso.len() == 10 && iso.as_bytes()[4] == b'-' && iso > notice_date,
        "the deadline {iso} is a date after the notice {notice_date}"
    );
    let shown = deadline.text().await.expect("deadline text");
    assert!(shown.contains(&iso[..4]), "the deadline shown as a date: {shown}");
    assert!(!shown.contains('T'), "a date, not an instant: {shown}");
    let households = rows_of(&client, "#verification-households tbody tr").await;
    assert!(households > 0, "the demo call has households");

    // One household's documents, then the decision.
    click(
        &client,
        Locator::Css("#verification-households tbody tr:first-child a"),
    )
    .await;
    wait_for_url(&client, |url| {
        url.ends_with("/verificacion") && url.contains("/hogares/")
    })
    .await;
    wait_for(&client, "#document-form").await;
    let mut missing = Vec::new();
    for item in client
        .find_all(Locator::Css("#checklist li.missing"))
        .await
        .expect("checklist")
    {
        let id = item.attr("id").await.expect("id").expect("an id");
        missing.push(id.strip_prefix("required-").expect("required-").to_owned());
    }
    assert!(!missing.is_empty(), "documents are required");
    for kind in &missing {
        client
            .find(Locator::Id("kind"))
            .await
            .expect("kind")
            .select_by_value(kind)
            .await
            .unwrap_or_else(|e| panic!("kind {kind}: {e}"));
        client
            .find(Locator::Id("document"))
            .await
            .expect("file input")
            .send_keys(&pdf.display().to_string())
            .await
            .expect("file");
        click(&client, Locator::Css("#document-form button[type='submit']")).await;
        wait_for(&client, &format!("#required-{kind}.received")).await;
    }
    assert_eq!(rows_of(&client, "#documents tbody tr").await, missing.len());
    assert_eq!(rows_of(&client, "#checklist li.missing").await, 0);

    // Its parcel (Art. 12-13): the title study and the field visit of the five conditions;
    // until both are favourable the household cannot be found eligible.
    let household_page = client.current_url().await.expect("url").to_string();
    let head = client
        .find(Locator::XPath(
            "//dt[contains(., 'Jefe')]/following-sibling::dd[1]",
        ))
        .await
        .expect("the head's name")
        .text()
        .await
        .expect("name");
    click(
        &client,
        Locator::Css("li[id^='parcel-'][data-suitable='false'] a"),
    )
    .await;
    wait_for(&client, "#title-form").await;
    type_into(&client, "title_record", "420-12345").await;
    type_into(&client, "owner_name", &head).await;
    client
        .find(Locator::Id("limits_use"))
        .await
        .expect("limits")
        .select_by_value("no")
        .await
        .expect("no limits");
    client
        .find(Locator::Id("result"))
        .await
        .expect("result")
        .select_by_value("favourable")
        .await
        .expect("favourable");
    click(&client, Locator::Css("#title-form button[type='submit']")).await;
    wait_for(&client, "#title-summary").await;
    client
        .execute(
            "document.getElementById('visit_date').value = '2013-07-15';
             document.querySelectorAll('#visit-form input[type=radio][value=yes]').forEach(r => r.checked = true);",
            Vec::new(),
        )
        .await
        .expect("visit");
    type_into(&client, "latitude", "1.6144").await;
    type_into(&client, "longitude", "-75.6062").await;
    click(&client, Locator::Css("#visit-form button[type='submit']")).await;
    wait_for(&client, "#parcel-standing[data-suitable='true']").await;
    client.goto(&household_page).await.expect("back to the household");
    wait_for(&client, "#decision-form").await;
    client
        .find(Locator::Id("status"))
        .await
        .expect("decision")
        .select_by_value("eligible")
        .await
        .expect("eligible");
    type_into(&client, "reasons", "Documentos completos y vigentes.").await;
    click(&client, Locator::Css("#decision-form button[type='submit']")).await;
    wait_for(&client, "#verification-status[data-status='eligible']").await;
    assert!(
        client.find(Locator::Id("decision-form")).await.is_err(),
        "decided"
    );

    // The letters: an offer to every household and the decision's.
    let call_id = verification
        .trim_end_matches("/verificacion")
        .rsplit('/')
        .next()
        .expect("call id")
        .to_owned();
    client
        .goto(&format!("{base}/personal/convocatorias/{call_id}/comunicaciones"))
        .await
        .expect("letters");
    wait_for(&client, "#letters").await;
    // One offer per household listed, the one decision's letter, and the demo's followed
    // project's earlier letters.
    let letters = text_of(&client, "#letters").await;
    assert!(
        rows_of(&client, "#letters tbody tr.letter").await > households,
        "{letters}"
    );
    let decisions = letters
        .lines()
        .filter(|l| l.contains("Resultado de la verificación:") && !l.contains("Familia FLO-"))
        .count();
    assert_eq!(decisions, 1, "{letters}");
    log_out(&client).await;
}

/// Steps 3 of the whole procedure up to the award, all in the browser: the administrator adds
/// a second committee member, a program officer starts the cocoa formulation from its worked
/// example and submits it, the territorial officer records the families' endorsement, a
/// program officer convenes the committee with both members and puts the project on the
/// agenda, a member issues a positive concept and draws up the minutes, and both sign. Leaves
/// the browser logged out; answers the formulation's procedure path.
/// On the accounts page (the administrator logged in): gives the account of `email` the
/// office labelled `office`.
async fn give_the_office(client: &Client, email: &str, office: &str) {
    let row = format!(
        "//table[@id='accounts']//tr[td[normalize-space()='{email}']]//select[starts-with(@id, 'office-')]"
    );
    let select = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&row))
        .await
        .unwrap_or_else(|e| panic!("{email}'s office: {e}"));
    let id = select.attr("id").await.expect("id").expect("an id");
    let account = id.strip_prefix("office-").expect("office-ID").to_owned();
    select.select_by_label(office).await.expect("the office");
    click(client, Locator::Id(&format!("assign-office-{account}"))).await;
    wait_for(client, "#accounts").await;
}

/// The household of the demo call that step 2 verified eligible, with its call: the family
/// the formulation takes from the screening and the verification.
struct VerifiedFamily {
    external_id: String,
    call_id: i32,
}

async fn the_verified_family(db: &vereda_store::test_support::TestDatabase) -> VerifiedFamily {
    let today = vereda_store::projects::today_in_colombia();
    let call = db
        .store
        .calls()
        .await
        .expect("calls")
        .into_iter()
        .find(|c| c.code == vereda_store::demo::DEMO_CALL_CODE)
        .expect("the demo call");
    for household in db.store.households(Some(call.id)).await.expect("households") {
        let verification = db
            .store
            .household_verification(household.id, today)
            .await
            .expect("verification")
            .expect("a verification");
        if verification.status == vereda_domain::verification::VerificationStatus::Eligible {
            return VerifiedFamily {
                external_id: household.external_id,
                call_id: call.id,
            };
        }
    }
    panic!("step 2 verified no household eligible");
}

async fn a_formulation_judged_viable(client: &Client, base: &str, family: &VerifiedFamily) -> String {
    let second_member = "segunda.integrante@vereda.test";

    // The committee has two members: the administrator adds the second one.
    log_in_at(
        client,
        base,
        "/personal/administracion/cuentas",
        "admin@vereda.test",
    )
    .await;
    type_into(client, "email", second_member).await;
    type_into(client, "display_name", "Segunda integrante del comité").await;
    client
        .find(Locator::Id("role"))
        .await
        .expect("role")
        .select_by_value("committee_member")
        .await
        .expect("committee_member");
    type_into(client, "password", vereda_store::demo::DEMO_PASSWORD).await;
    click(
        client,
        Locator::Css("form[action='/personal/administracion/cuentas'] button[type='submit']"),
    )
    .await;
    let xpath = format!("//table[@id='accounts']//td[normalize-space()='{second_member}']");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .expect("the second member listed");
    // The project is in Tumaco: the office of Nariño's officer accompanies its families.
    give_the_office(
        client,
        "territorial.officer@vereda.test",
        "Dirección Territorial Nariño",
    )
    .await;
    log_out(client).await;

    // 3. A program officer uploads the project file of the verified family (the cocoa example
    // for that one family), takes its percentage and cap from the call's screening, and
    // submits it.
    let files = tempfile::tempdir().expect("files");
    let project_file = files.path().join("cacao-una-familia.toml");
    let mut project: vereda_domain::finance::Formulation =
        toml::from_str(include_str!("../../../examples/cacao-tumaco.toml")).expect("cocoa");
    project.frame.households = vec![vereda_domain::finance::formulation::ParticipatingHousehold {
        id: family.external_id.clone(),
        max_pct: rust_decimal::Decimal::ONE,
        cap_smmlv: rust_decimal::Decimal::ONE,
        ..Default::default()
    }];
    std::fs::write(&project_file, toml::to_string(&project).expect("toml")).expect("project file");
    log_in_at(
        client,
        base,
        "/personal/formulaciones",
        "program.officer@vereda.test",
    )
    .await;
    client
        .find(Locator::Id("file"))
        .await
        .expect("file input")
        .send_keys(&project_file.display().to_string())
        .await
        .expect("the project file");
    click(client, Locator::Id("create-formulation")).await;
    wait_for_url(client, |url| {
        url.rsplit('/')
            .next()
            .is_some_and(|last| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
    })
    .await;
    let id = id_in_url(client).await;
    client
        .find(Locator::Id("call_id"))
        .await
        .expect("the call")
        .select_by_value(&family.call_id.to_string())
        .await
        .expect("the demo call");
    click(client, Locator::Id("take-screening")).await;
    wait_for_url(client, |url| url.contains("saved=1")).await;
    wait_for(client, "#submit-formulation").await;
    click(client, Locator::Id("submit-formulation")).await;
    wait_for(client, "#read-only").await;
    let procedure = format!("/personal/formulaciones/{id}/procedimiento");
    log_out(client).await;

    // The families' endorsement (Art. 25), recorded by the territorial officer.
    log_in_at(client, base, &procedure, "territorial.officer@vereda.test").await;
    wait_for(client, "#endorsement-form").await;
    let state = text_of(client, "#procedure-state").await;
    let endorsed_on = days_ago(client, 2).await;
    set_value(client, "endorsed_on", &endorsed_on).await;
    type_into(client, "families_endorsing", "1").await;
    type_into(client, "minutes", "Asamblea en la vereda: la familia avala.").await;
    click(client, Locator::Css("#endorsement-form button[type='submit']")).await;
    let endorsements = wait_for(client, "#endorsements").await;
    assert!(
        endorsements.text().await.expect("text").contains("1 / 1"),
        "{}",
        text_of(client, "main").await
    );
    assert_ne!(text_of(client, "#procedure-state").await, state, "endorsed");
    log_out(client).await;

    // A program officer convenes the committee with both members and puts it on the agenda.
    log_in_at(client, base, "/personal/comite", "program.officer@vereda.test").await;
    let held_on = days_ago(client, 1).await;
    set_value(client, "held_on", &held_on).await;
    type_into(client, "place", "Pasto").await;
    tick(client, "attendee", "committee.member@vereda.test").await;
    tick(client, "attendee", second_member).await;
    click(client, Locator::Css("#session-form button[type='submit']")).await;
    wait_for(client, "#agenda-form").await;
    let session = client.current_url().await.expect("url").path().to_owned();
    client
        .find(Locator::Id("formulation_id"))
        .await
        .expect("candidates")
        .select_by_value(&id)
        .await
        .expect("the formulation is a candidate");
    click(client, Locator::Css("#agenda-form button[type='submit']")).await;
    confirm_act(client).await;
    wait_for(client, "section.agenda-item").await;
    assert_eq!(rows_of(client, "#attendees li").await, 2);
    log_out(client).await;

    // A committee member issues the positive concept and draws up the minutes; both sign.
    log_in_at(client, base, &session, "committee.member@vereda.test").await;
    let item = wait_for(client, "section.agenda-item").await;
    item.find(Locator::Css("select[name='concept']"))
        .await
        .expect("concept")
        .select_by_value("positive")
        .await
        .expect("positive");
    item.find(Locator::Css("textarea[name='text']"))
        .await
        .expect("concept text")
        .send_keys("Viable: TIR y relación beneficio/costo suficientes.")
        .await
        .expect("type");
    item.find(Locator::Css("button[type='submit']"))
        .await
        .expect("issue")
        .click()
        .await
        .expect("click");
    wait_for(client, "section.agenda-item:not(:has(form))").await;
    assert!(
        text_of(client, "section.agenda-item")
            .await
            .contains("Viable: TIR"),
        "{}",
        text_of(client, "main").await
    );
    click(client, Locator::Css("#close-form button[type='submit']")).await;
    confirm_act(client).await;
    wait_for(client, "#sign-form").await;
    click(client, Locator::Css("#sign-form button[type='submit']")).await;
    confirm_act(client).await;
    wait_for(client, "main:not(:has(#sign-form))").await;
    let pdf = format!("{session}/acta.pdf");
    assert_eq!(fetched(client, &pdf).await, "200 application/pdf");
    log_out(client).await;
    log_in_at(client, base, &session, second_member).await;
    click(client, Locator::Css("#sign-form button[type='submit']")).await;
    confirm_act(client).await;
    wait_for(client, "main:not(:has(#sign-form))").await;
    let attendees = text_of(client, "#attendees").await;
    assert!(!attendees.contains("sin firmar"), "{attendees}");
    assert!(
        text_of(client, "#minutes-status")
            .await
            .starts_with("Acta definitiva: firmada por todos los asistentes."),
        "the minutes are final"
    );
    log_out(client).await;
    procedure
}

/// The whole procedure in a real browser, one journey from creating a call to the single
/// disbursement (Art. 5-36, 45-46), every step taken by the role the regulation gives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_procedure_from_a_new_call_to_the_single_disbursement() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, db, stop) = server().await;
    // The demo call's notice (its followed project's families were verified under it) is taken
    // away: the journey records it as an officer does, on the call as it was before its notice.
    {
        use sea_orm::ConnectionTrait;
        db.store
            .connection()
            .execute_unprepared("DELETE FROM offer_notices")
            .await
            .expect("no notice");
    }
    a_call_created_targeted_and_a_household_verified_eligible(&client, &base).await;
    let family = the_verified_family(&db).await;
    let procedure = a_formulation_judged_viable(&client, &base, &family).await;

    // 4. The territorial director awards (Art. 27) only in the department of the office: the
    // demo director works for Caquetá and the cocoa project is in Tumaco (Nariño), so the
    // project is out of the director's reach (not found) until they have the office of Nariño.
    log_in_at(&client, &base, &procedure, "territorial.director@vereda.test").await;
    let refusal = wait_for(&client, "p.error[role='alert']").await;
    assert_eq!(
        refusal.attr("data-problem").await.expect("problem").as_deref(),
        Some("error-not_found_entity"),
        "{}",
        text_of(&client, "main").await
    );

    log_out(&client).await;

    // The admin gives the demo director the office of Nariño (the cocoa project is in Tumaco).
    log_in_at(
        &client,
        &base,
        "/personal/administracion/cuentas",
        "admin@vereda.test",
    )
    .await;
    give_the_office(
        &client,
        "territorial.director@vereda.test",
        "Dirección Territorial Nariño",
    )
    .await;
    log_out(&client).await;

    // The director awards: the resolution is numbered with the office's code.
    log_in_at(&client, &base, &procedure, "territorial.director@vereda.test").await;
    wait_for(&client, "#award-form").await;
    assert!(
        !client
            .find(Locator::Id("institute_contribution"))
            .await
            .expect("contribution")
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
            .is_empty(),
        "the contribution is suggested from the co-financing split"
    );
    // Awarded a month ago, so that its appeal window has run by today (CPACA Art. 76, 87).
    let awarded_on = days_ago(&client, 30).await;
    set_value(&client, "awarded_on", &awarded_on).await;
    type_into(&client, "motivation", "Concepto positivo del comité evaluador.").await;
    click(&client, Locator::Css("#award-form button[type='submit']")).await;
    confirm_act(&client).await;
    wait_for_url(&client, |url| url.ends_with("/adjudicacion")).await;
    let resolution = text_of(&client, "main").await;
    assert!(resolution.contains("DT-NAR-"), "{resolution}");
    let award_pdf = procedure.replace("/procedimiento", "/resolucion.pdf");
    assert_eq!(fetched(&client, &award_pdf).await, "200 application/pdf");

    // 4b. The resolution's legal life (Ley 1437 de 2011): signed with its verification code,
    // notified to the family, appealed within the window, the appeal decided by a signed act,
    // and the award firm.
    let notifications = procedure.replace("/procedimiento", "/notificaciones");
    client
        .goto(&format!("{base}{notifications}"))
        .await
        .expect("notifications");
    let verification = wait_for(&client, "#life-acts a")
        .await
        .attr("href")
        .await
        .expect("href")
        .expect("the resolution's verification page");
    assert_eq!(text_of(&client, "#life-status").await, "Vigente");
    client
        .execute(
            "document.querySelector('form.notify-form input[name=notified_on]').value = arguments[0];",
            vec![serde_json::json!(awarded_on)],
        )
        .await
        .expect("the notification's date");
    client
        .find(Locator::Css("form.notify-form input[name='recipient_name']"))
        .await
        .expect("recipient")
        .send_keys("Cabeza de la familia")
        .await
        .expect("type");
    click(&client, Locator::Css("form.notify-form button[type='submit']")).await;
    wait_for(&client, "#appeal-form").await;
    assert!(
        client.find(Locator::Css("form.notify-form")).await.is_err(),
        "every family notified"
    );
    set_value(&client, "filed_on", &days_ago(&client, 29).await).await;
    type_into(&client, "appellant_name", "Asociación de familias cacaoteras").await;
    type_into(
        &client,
        "appeal_text",
        "Solicitamos revisar el aporte del instituto.",
    )
    .await;
    click(&client, Locator::Css("#appeal-form button[type='submit']")).await;
    assert_eq!(
        text_becomes(&client, "#life-status", "Recurrido").await,
        "Recurrido"
    );
    client
        .execute(
            "document.querySelector('form.decide-form input[name=decided_on]').value = arguments[0];",
            vec![serde_json::json!(days_ago(&client, 25).await)],
        )
        .await
        .expect("the decision's date");
    client
        .find(Locator::Css("form.decide-form textarea[name='reasons']"))
        .await
        .expect("reasons")
        .send_keys("El aporte corresponde a la evaluación del proyecto.")
        .await
        .expect("type");
    click(&client, Locator::Css("form.decide-form button[type='submit']")).await;
    assert_eq!(
        text_becomes(&client, "#life-status", "En firme").await,
        "En firme"
    );
    let decision = text_of(&client, "p.decision").await;
    assert!(decision.contains("RR-"), "{decision}");
    log_out(&client).await;
    // Anyone checks the resolution by its code: signed, and firm.
    client
        .goto(&format!("{base}{verification}"))
        .await
        .expect("verification");
    assert!(text_of(&client, "#act-number").await.starts_with("DT-NAR-"));
    assert_eq!(text_of(&client, "#act-status").await, "En firme");

    // 5. The territorial officer: a disbursement before the checklist is complete is refused
    // with its reasons (Art. 32), then the evidence, then the single payment (Art. 33).
    log_in_at(&client, &base, &procedure, "territorial.officer@vereda.test").await;
    assert!(text_of(&client, "#award-number").await.contains("DT-NAR-"));
    wait_for(&client, "#disburse-form").await;
    click(&client, Locator::Css("#disburse-form button[type='submit']")).await;
    confirm_act(&client).await;
    let refusal = wait_for(&client, "p.error[role='alert']").await;
    let problem = refusal.attr("data-problem").await.expect("attribute");
    assert_eq!(problem.as_deref(), Some("procedure-error-requirements_missing"));
    let reasons = refusal.text().await.expect("reasons");
    for requirement in ["procedure-req_joint_account", "procedure-req_approved_policy"] {
        let name = vereda_messages::Lang::Es.t(requirement);
        assert!(reasons.contains(name), "{name}: {reasons}");
    }
    client
        .goto(&format!("{base}{procedure}"))
        .await
        .expect("procedure");
    wait_for(&client, "#evidence-form").await;
    assert!(client.find(Locator::Id("paid")).await.is_err(), "nothing paid");
    type_into(&client, "joint_account", "Cuenta conjunta 123-456 Banco Agrario").await;
    type_into(&client, "approved_policy", "Póliza de cumplimiento 77 aprobada").await;
    click(&client, Locator::Css("#evidence-form button[type='submit']")).await;
    let xpath = "//ul[@id='checklist']/li[contains(., 'Póliza de cumplimiento 77')]";
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(xpath))
        .await
        .expect("the evidence on the checklist");
    let checklist = text_of(&client, "#checklist").await;
    assert!(!checklist.contains('✘'), "the checklist is complete: {checklist}");
    // Who recorded the evidence does not register the payment (Art. 32-33).
    click(&client, Locator::Css("#disburse-form button[type='submit']")).await;
    confirm_act(&client).await;
    let refusal = wait_for(&client, "p.error[role='alert']").await;
    let problem = refusal.attr("data-problem").await.expect("attribute");
    assert_eq!(problem.as_deref(), Some("custody-error-same_hands"));
    log_out(&client).await;

    // The director registers the single payment.
    log_in_at(&client, &base, &procedure, "territorial.director@vereda.test").await;
    wait_for(&client, "#disburse-form").await;
    click(&client, Locator::Css("#disburse-form button[type='submit']")).await;
    confirm_act(&client).await;
    let paid = wait_for(&client, "#paid").await.text().await.expect("paid");
    assert!(!paid.is_empty());
    assert!(
        client.find(Locator::Id("disburse-form")).await.is_err(),
        "paid once"
    );

    // 6. The timeline shows the steps, award and payment included.
    for kind in [
        "version",
        "endorsement",
        "concept",
        "signature",
        "award",
        "disbursement",
    ] {
        assert!(
            client
                .find(Locator::Css(&format!("#timeline li[data-kind='{kind}']")))
                .await
                .is_ok(),
            "{kind} on the timeline: {}",
            text_of(&client, "#timeline").await
        );
    }
    assert_eq!(text_of(&client, "#procedure-state").await, "Desembolsado");

    // 7. The award opened the monitored project: the procedure links it, and it is in
    // execution once paid.
    let link = wait_long(&client, "#project-link").await;
    let project = link
        .attr("href")
        .await
        .expect("href")
        .expect("the project's path");
    let code = project.rsplit('/').next().expect("its code").to_owned();
    client.goto(&format!("{base}{project}")).await.expect("project");
    wait_long(&client, "#project-award").await;
    assert_eq!(text_of(&client, "#project-status").await, "En ejecución");
    assert!(text_of(&client, "#project-award").await.contains("DT-NAR-"));
    assert!(
        client.find(Locator::Id("procedure-link")).await.is_ok(),
        "the project links back to its procedure"
    );

    // 8. The officer submits a measurement of its first indicator (families benefited).
    let indicator = format!("{project}/indicadores/1");
    client
        .goto(&format!("{base}{indicator}"))
        .await
        .expect("indicator");
    wait_long(&client, "#measurement-form").await;
    let measured_on = days_ago(&client, 2).await;
    set_value(&client, "measured_on", &measured_on).await;
    type_into(&client, "value", "12").await;
    type_into(&client, "source", "Actas de entrega de insumos").await;
    click(&client, Locator::Id("submit-measurement")).await;
    wait_for_url_long(&client, |url| url.ends_with("?hecho=medicion")).await;
    wait_long(&client, "#history").await;
    log_out(&client).await;

    // 9. Another account, the program officer, approves it.
    log_in_at(
        &client,
        &base,
        "/personal/mediciones",
        "program.officer@vereda.test",
    )
    .await;
    let id = pending_measurement_id(&client, &format!("{code} · 1.")).await;
    click(&client, Locator::Id(&format!("approve-{id}"))).await;
    wait_for_url_long(&client, |url| url.ends_with("?hecho=aprobada")).await;
    log_out(&client).await;

    // 10. The public card shows it with the resolution; the open data and IATI have it.
    client
        .goto(&format!("{base}/proyectos/{code}"))
        .await
        .expect("public card");
    wait_long(&client, "#indicator-1 td.current").await;
    let current = text_of(&client, "#indicator-1 td.current").await;
    assert!(current.starts_with("12"), "{current}");
    assert!(text_of(&client, "#project-award").await.contains("DT-NAR-"));
    let csv = fetched_text(&client, "/api/v1/open-data/measurements.csv").await;
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("{code},1,{measured_on}"))),
        "{csv}"
    );
    let projects_csv = fetched_text(&client, "/api/v1/open-data/projects.csv").await;
    assert!(
        projects_csv.lines().any(|l| l.starts_with(&code)),
        "{projects_csv}"
    );
    let iati = fetched_text(&client, "/api/v1/open-data/iati-activities.xml").await;
    assert!(
        iati.contains(&code) && iati.contains("<other-identifier ref=\"DT-NAR-"),
        "the IATI activity"
    );

    after_the_payment(&client, &base, &db, &project, &code).await;

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// The name and document of the head of one of the families of the project `code`: the
/// beneficiaries' representative who signs the account's movements and the closure with the
/// institute (Art. 29 par.).
async fn project_representative(
    db: &vereda_store::test_support::TestDatabase,
    code: &str,
) -> (String, String) {
    use sea_orm::ConnectionTrait;
    let store = &db.store;
    let row = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            store.backend(),
            "SELECT first_name, last_name, document FROM persons WHERE is_head = true AND household_id IN \
             (SELECT household_id FROM project_beneficiaries WHERE project_id = \
             (SELECT id FROM projects WHERE code = $1)) ORDER BY id LIMIT 1",
            [code.into()],
        ))
        .await
        .expect("head")
        .expect("a head of a family of the project");
    let first: String = row.try_get("", "first_name").expect("first");
    let last: String = row.try_get("", "last_name").expect("last");
    (
        format!("{first} {last}"),
        row.try_get("", "document").expect("document"),
    )
}

/// A date `days` after today, as `YYYY-MM-DD`.
async fn days_ahead(client: &Client, days: u32) -> String {
    client
        .execute(
            "return new Date(Date.now() + arguments[0] * 86400000).toISOString().slice(0, 10);",
            vec![serde_json::json!(days)],
        )
        .await
        .expect("date")
        .as_str()
        .expect("a date string")
        .to_owned()
}

/// Fills the movement form of the account page and sends it.
async fn record_a_movement(client: &Client, movement: &[(&str, &str)]) {
    wait_long(client, "#movement-form").await;
    for (id, value) in movement {
        match *id {
            "kind" | "line" => client
                .find(Locator::Id(id))
                .await
                .unwrap_or_else(|e| panic!("{id}: {e}"))
                .select_by_value(value)
                .await
                .unwrap_or_else(|e| panic!("{id} = {value}: {e}")),
            _ => replace_text(client, id, value).await,
        }
    }
    click(client, Locator::Id("record-movement")).await;
}

/// After the payment, in the browser (Art. 29 par., 34-36): the investment plan frozen at the
/// award; the controlled account's movements, one refused beside its field with its article;
/// a bank statement imported with one line the ledger does not have; a supervision visit with
/// a commitment; the closure with the refund of the balance; and the public card and the IATI
/// activity with the money's transactions. Starts and ends logged out.
async fn after_the_payment(
    client: &Client,
    base: &str,
    db: &vereda_store::test_support::TestDatabase,
    project: &str,
    code: &str,
) {
    let (name, document) = project_representative(db, code).await;
    let files = tempfile::tempdir().expect("files");

    // 11. The investment plan, frozen at the award: version 1, with its lines and hash.
    let plan = format!("{project}/plan");
    log_in_at(client, base, &plan, "territorial.officer@vereda.test").await;
    wait_long(client, "#plan-lines").await;
    let version = text_of(client, "#plan-version").await;
    assert!(version.starts_with("1 "), "{version}");
    assert_eq!(text_of(client, "#plan-sha256").await.len(), 64);
    assert!(rows_of(client, "#plan-lines tbody tr").await >= 5);

    // 12. Three movements of the controlled account: the payment's money coming in, a payment
    // to a supplier, and a payment over its plan line, refused beside its value with the
    // article (Art. 29 par.) and the form kept.
    let account = format!("{project}/cuenta");
    client.goto(&format!("{base}{account}")).await.expect("account");
    wait_long(client, "#movement-form").await;
    let today = client
        .find(Locator::Id("date"))
        .await
        .expect("date")
        .prop("value")
        .await
        .expect("value")
        .expect("today, suggested");
    let signed = [
        ("representative_name", name.as_str()),
        ("representative_document", document.as_str()),
    ];
    let mut inflow = vec![
        ("kind", "disbursement"),
        ("value", "5.000.000"),
        ("reference", "DES-1"),
    ];
    inflow.extend(signed);
    record_a_movement(client, &inflow).await;
    wait_for_url_long(client, |url| url.ends_with("?hecho=movimiento")).await;
    let mut payment = vec![
        ("kind", "payment"),
        ("value", "1.000.000"),
        ("line", "5"),
        ("supplier_name", "Agroinsumos del Pacífico S.A.S."),
        ("supplier_nit", "890903938-8"),
        ("reference", "FV-1"),
    ];
    payment.extend(signed);
    record_a_movement(client, &payment).await;
    wait_for_url_long(client, |url| url.ends_with("?hecho=movimiento")).await;
    let mut over = vec![
        ("kind", "payment"),
        ("value", "900.000.000"),
        ("line", "5"),
        ("supplier_name", "Agroinsumos del Pacífico S.A.S."),
        ("supplier_nit", "890903938-8"),
        ("reference", "FV-2"),
    ];
    over.extend(signed);
    record_a_movement(client, &over).await;
    let beside = wait_long(client, "#value-errors[data-problem='ledger-error-over_plan']").await;
    let said = beside.text().await.expect("the refusal");
    assert!(
        said.contains("Art. 29 par."),
        "the article beside the value: {said}"
    );
    assert!(
        client.find(Locator::Id("ledger-failure")).await.is_err(),
        "said beside its field, not again above the form"
    );
    let kept = |id: &'static str| async move {
        client
            .find(Locator::Id(id))
            .await
            .expect(id)
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    };
    assert_eq!(kept("value").await, "900.000.000");
    assert_eq!(kept("reference").await, "FV-2");
    assert_eq!(kept("supplier_nit").await, "890903938-8");
    assert_eq!(kept("representative_document").await, document);
    assert_eq!(rows_of(client, "#movements tbody tr").await, 2, "nothing added");
    assert_eq!(text_of(client, "#ledger-balance").await, "4.000.000");

    // 13. The bank's statement (CSV as the bank exports it): both movements found, and the
    // bank's tax (GMF) shown as a line the ledger does not have.
    let statement = files.path().join("extracto-banco-agrario.csv");
    std::fs::write(
        &statement,
        format!(
            "fecha;descripcion;referencia;debito;credito;saldo\n\
             {today};Abono desembolso;DES-1;;5.000.000;5.000.000\n\
             {today};Pago proveedor;FV-1;1.000.000;;4.000.000\n\
             {today};GMF 4x1000;;4.000;;3.996.000\n"
        ),
    )
    .expect("statement");
    client.goto(&format!("{base}{account}")).await.expect("account");
    client
        .find(Locator::Id("statement"))
        .await
        .expect("statement input")
        .send_keys(&statement.display().to_string())
        .await
        .expect("statement file");
    click(client, Locator::Id("import-statement")).await;
    wait_for_url_long(client, |url| url.contains("?hecho=extracto")).await;
    assert_eq!(text_of(client, "#matched-count").await, "2");
    assert_eq!(rows_of(client, "#statement-only li").await, 1);
    let unmatched = text_of(client, "#statement-only").await;
    assert!(unmatched.contains("GMF 4x1000"), "{unmatched}");
    assert!(
        client.find(Locator::Id("ledger-only")).await.is_err(),
        "every movement found"
    );
    let difference = text_of(client, "#difference").await;
    assert!(difference.ends_with("4.000"), "the bank's tax: {difference}");

    // 14. A supervision visit (Art. 34-35) with a finding on the line paid and a commitment.
    let visits = format!("{project}/visitas");
    client.goto(&format!("{base}{visits}")).await.expect("visits");
    wait_long(client, "#visit-form").await;
    type_into(client, "team", "Ingeniera agrónoma\nTécnico ambiental").await;
    client
        .find(Locator::Id("rating"))
        .await
        .expect("rating")
        .select_by_value("4")
        .await
        .expect("4");
    client
        .find(Locator::Id("delivery_5"))
        .await
        .expect("delivery of line 5")
        .select_by_value("partial")
        .await
        .expect("partial");
    type_into(client, "commitment_0", "Entregar los kits restantes").await;
    let due = days_ahead(client, 30).await;
    set_value(client, "due_0", &due).await;
    click(client, Locator::Id("record-visit")).await;
    wait_for_url_long(client, |url| url.ends_with("/visitas?hecho=1")).await;
    assert_eq!(rows_of(client, "section[id^='visit-']").await, 1);
    assert_eq!(
        rows_of(client, "#commitments tbody tr[data-open='true']").await,
        1,
        "the commitment is open"
    );
    log_out(client).await;

    // 15. The closure (Art. 34): the period is made to end today (the journey cannot wait for
    // it); the director's refund short of the balance is refused beside it with the form kept,
    // then the balance is refunded and the act is drawn up.
    {
        use sea_orm::ConnectionTrait;
        db.store
            .connection()
            .execute_unprepared(&format!(
                "UPDATE projects SET period_end = '{today}' WHERE code = '{code}'"
            ))
            .await
            .expect("the period ends today");
    }
    let closure = format!("{project}/cierre");
    log_in_at(client, base, &closure, "territorial.director@vereda.test").await;
    wait_long(client, "#closure-form").await;
    assert_eq!(text_of(client, "#account-balance").await, "4.000.000");
    replace_text(client, "refund_value", "1.000.000").await;
    type_into(client, "refund_reference", "CONS-991").await;
    type_into(client, "representative_name", &name).await;
    type_into(client, "representative_document", &document).await;
    click(client, Locator::Id("close-project")).await;
    wait_long(
        client,
        "#refund_value-errors[data-problem='closure-error-refund']",
    )
    .await;
    assert!(
        client.find(Locator::Id("closure-failure")).await.is_err(),
        "said beside its field, not again above the form"
    );
    assert_eq!(kept("refund_reference").await, "CONS-991");
    assert_eq!(kept("representative_document").await, document);
    replace_text(client, "refund_value", "4.000.000").await;
    click(client, Locator::Id("close-project")).await;
    wait_for_url_long(client, |url| url.ends_with("/cierre?hecho=1")).await;
    wait_long(client, "#closure-act").await;
    assert_eq!(text_of(client, "#closed-on").await, today);
    assert_eq!(text_of(client, "#closure-to-refund").await, "4.000.000");
    assert_eq!(
        fetched(client, &format!("{closure}/acta.pdf")).await,
        "200 application/pdf"
    );
    log_out(client).await;

    // 16. The public card: committed, disbursed and executed, and the date of closure; no
    // supplier and no family named.
    client
        .goto(&format!("{base}/proyectos/{code}"))
        .await
        .expect("public card");
    wait_long(client, "#project-money").await;
    assert!(!text_of(client, "#project-committed").await.is_empty());
    assert!(text_of(client, "#project-disbursed").await.contains("COP"));
    let executed = text_of(client, "#project-executed").await;
    assert!(executed.starts_with("1.000.000 COP"), "{executed}");
    assert!(!text_of(client, "#project-closed-on").await.is_empty());
    let card = text_of(client, "main").await;
    for private in ["Agroinsumos", "890903938", document.as_str(), name.as_str()] {
        assert!(!card.contains(private), "{private} on the public card");
    }

    // 17. The IATI activity has the commitment, the disbursement and the expenditure.
    let iati = fetched_text(
        client,
        &format!("/api/v1/open-data/iati-activities.xml?project={code}"),
    )
    .await;
    for (kind, value) in [("2", None), ("3", None), ("4", Some("1000000"))] {
        let transaction = iati
            .split("<transaction>")
            .skip(1)
            .find(|t| t.contains(&format!("<transaction-type code=\"{kind}\"/>")))
            .unwrap_or_else(|| panic!("no transaction of type {kind}: {iati}"));
        if let Some(value) = value {
            assert!(
                transaction.contains(&format!(">{value}</value>")),
                "{transaction}"
            );
        }
    }
    assert!(!iati.contains("Agroinsumos") && !iati.contains(&document));
}

/// The count in a cell of the current month's row of the public petitions report (0 when the
/// month has no row yet).
async fn report_count(client: &Client, base: &str, month: &str, cell: &str) -> u32 {
    client
        .goto(&format!("{base}/peticiones/informe"))
        .await
        .expect("report");
    wait_for(client, "footer").await;
    match client
        .find(Locator::Css(&format!("#month-{month} td.{cell}")))
        .await
    {
        Ok(element) => element
            .text()
            .await
            .expect("text")
            .trim()
            .parse()
            .expect("a count"),
        Err(_) => 0,
    }
}

#[tokio::test]
async fn a_citizen_files_a_petition_staff_answer_it_and_the_public_report_counts_it() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;
    let month: String = client
        .execute("return new Date().toISOString().slice(0, 7);", vec![])
        .await
        .expect("month")
        .as_str()
        .expect("a month")
        .to_owned();
    let received = report_count(&client, &base, &month, "received").await;
    let on_time = report_count(&client, &base, &month, "on-time").await;

    // A citizen, without an account, files a petition and gets its filing number.
    client
        .goto(&format!("{base}/peticiones/nueva"))
        .await
        .expect("form");
    wait_for(&client, "#petition-form").await;
    type_into(&client, "petitioner_name", "Rosa Elvira Cuéllar").await;
    type_into(&client, "email", "rosa.cuellar@example.org").await;
    type_into(&client, "subject", "Fechas de la convocatoria").await;
    type_into(
        &client,
        "text",
        "¿Cuándo abre la próxima convocatoria en el Caquetá?",
    )
    .await;
    click(&client, Locator::Id("file-petition")).await;
    let number = text_of(&client, "#petition-number").await;
    assert!(number.starts_with("PQRSD-"), "{number}");

    // The national staff answer it (no municipality: the program officer's queue).
    log_in_at(
        &client,
        &base,
        "/personal/peticiones",
        "program.officer@vereda.test",
    )
    .await;
    wait_for(&client, "#petitions").await;
    click(&client, Locator::LinkText(&number)).await;
    wait_for(&client, "#answer-form").await;
    type_into(
        &client,
        "answer",
        "La próxima convocatoria abre en marzo; le avisaremos.",
    )
    .await;
    click(&client, Locator::Css("#answer-form button[type='submit']")).await;
    wait_long(&client, "#petition-answer").await;
    log_out(&client).await;

    // The public report counts it, received and answered on time.
    assert_eq!(
        report_count(&client, &base, &month, "received").await,
        received + 1
    );
    assert_eq!(report_count(&client, &base, &month, "on-time").await, on_time + 1);

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// The staff inbox (issue 18 part 1): an item appears, is done through the form its link
/// opens, and disappears.
#[tokio::test]
async fn an_item_appears_in_the_inbox_is_done_and_disappears() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;

    // A citizen files a petition (no municipality: the national staff answer it).
    client
        .goto(&format!("{base}/peticiones/nueva"))
        .await
        .expect("form");
    wait_for(&client, "#petition-form").await;
    type_into(&client, "petitioner_name", "Rosa Elvira Cuéllar").await;
    type_into(&client, "email", "rosa.cuellar@example.org").await;
    type_into(&client, "subject", "Fechas de la convocatoria").await;
    type_into(&client, "text", "¿Cuándo abre la próxima convocatoria?").await;
    click(&client, Locator::Id("file-petition")).await;
    let number = text_of(&client, "#petition-number").await;

    // It appears in the program officer's inbox, at home, with its legal deadline.
    log_in_at(&client, &base, "/personal", "program.officer@vereda.test").await;
    wait_for(&client, "#inbox-items").await;
    let row = format!("#inbox-items tr[data-label='{number}']");
    let said = text_of(&client, &row).await;
    assert!(said.contains("PQRSD"), "{said}");
    assert_eq!(
        client
            .find(Locator::Css(&row))
            .await
            .expect("row")
            .attr("data-kind")
            .await
            .expect("kind")
            .as_deref(),
        Some("petition_to_answer")
    );

    // Its link opens the form that does it; answered, it leaves the inbox.
    click(&client, Locator::Css(&format!("{row} a"))).await;
    wait_for(&client, "#answer-form").await;
    type_into(&client, "answer", "La próxima convocatoria abre en marzo.").await;
    click(&client, Locator::Css("#answer-form button[type='submit']")).await;
    wait_long(&client, "#petition-answer").await;
    client.goto(&format!("{base}/personal")).await.expect("home");
    wait_for(&client, "#inbox").await;
    assert!(client.find(Locator::Css(&row)).await.is_err(), "the item is gone");

    client.close().await.expect("close");
    let _ = stop.send(());
}

/// An element, waiting up to 60 s: a slow machine may take long to load a page after a click.
async fn wait_long(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waited 60 s for {css}: {e}"))
}

/// The page's URL once `expected` holds and the page has loaded (its footer), up to 60 s.
async fn wait_for_url_long(client: &Client, expected: impl Fn(&str) -> bool) -> String {
    let mut url = String::new();
    for _ in 0..600 {
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
    panic!("the browser stayed at {url}: {}", text_of(client, "main").await);
}

/// The body of a GET made by the page.
async fn fetched_text(client: &Client, path: &str) -> String {
    client
        .execute(
            "return fetch(arguments[0]).then(r => r.text());",
            vec![serde_json::json!(path)],
        )
        .await
        .unwrap_or_else(|e| panic!("fetch {path}: {e}"))
        .as_str()
        .expect("a body")
        .to_owned()
}

/// What axe (the accessibility engine, `tests/vendor/axe-core`) finds serious or critical on
/// the page shown, and whether the page is wider than the window (something cut off or
/// scrolling the whole page sideways), as lines to report.
async fn page_problems(client: &Client, path: &str) -> Vec<String> {
    const AXE: &str = include_str!("vendor/axe-core/axe.min.js");
    let mut problems = Vec::new();
    let loaded = client
        .execute(&format!("{AXE}\nreturn typeof axe;"), Vec::new())
        .await
        .unwrap_or_else(|e| panic!("axe on {path}: {e}"));
    assert_eq!(loaded.as_str(), Some("object"), "axe loaded on {path}");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(
               r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
                   .map(n => n.target.join(' ')).join(' | '))));",
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("axe.run on {path}: {e}"));
    for violation in found.as_array().into_iter().flatten() {
        problems.push(format!("{path}: {}", violation.as_str().unwrap_or_default()));
    }
    let overflow = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            Vec::new(),
        )
        .await
        .expect("widths");
    let widths: Vec<i64> = overflow
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_i64)
        .collect();
    if let [page, window] = widths[..]
        && page > window
    {
        // The innermost elements that stick out, to name them (those inside a table's own
        // scrolling region do not count).
        let culprits = client
            .execute(
                "const w = window.innerWidth;
                 const out = e => e.getBoundingClientRect().right > w + 1;
                 return Array.from(document.querySelectorAll('body *'))
                   .filter(e => out(e) && !(e.parentElement && e.parentElement.closest('.table-wrap')))
                   .slice(-4)
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/ +/).join('.') : ''));",
                Vec::new(),
            )
            .await
            .expect("culprits");
        problems.push(format!(
            "{path}: the page is {page} px wide in a {window} px window ({culprits})"
        ));
    }
    problems
}

/// The same-origin addresses a page links to under `prefix`, one per shape (digits stand for
/// any number, so one household stands for all), minus files and actions.
async fn links_under(client: &Client, prefix: &str) -> Vec<String> {
    let found = client
        .execute(
            "return Array.from(document.querySelectorAll('a[href]'))
               .map(a => new URL(a.href, location.href))
               .filter(u => u.origin === location.origin)
               .map(u => u.pathname + u.search);",
            Vec::new(),
        )
        .await
        .expect("links");
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .filter(|href| href.starts_with(prefix) && !href.starts_with("/api/"))
        .filter(|href| {
            let path = href.split('?').next().unwrap_or_default();
            let file = path.rsplit('/').next().unwrap_or_default();
            !file.contains('.') && !path.ends_with("/salir")
        })
        .map(str::to_owned)
        .collect()
}

fn shape_of(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Every page a citizen reaches from the home page, and every staff page the auditor and the
/// territorial officer reach from their inbox, two links deep, on a 320 px phone: axe finds no
/// serious or critical violation, and no page is wider than the phone (a wide table scrolls
/// inside its own focusable region, with its hint).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_every_page_fits_and_axe_finds_nothing_serious() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;
    client.set_window_size(320, 800).await.expect("a phone's width");
    let mut problems = Vec::new();
    let mut visited = std::collections::BTreeSet::new();
    // The citizen, then the auditor (who reads everything) and the territorial officer (who
    // fills most forms), each from their home.
    for account in [
        None,
        Some("auditor@vereda.test"),
        Some("territorial.officer@vereda.test"),
    ] {
        let (start, prefix) = match account {
            None => ("/", "/"),
            Some(email) => {
                if client.find(Locator::Id("logout")).await.is_ok() {
                    log_out(&client).await;
                }
                log_in_at(&client, &base, "/personal", email).await;
                ("/personal", "/personal")
            }
        };
        let mut frontier = vec![start.to_owned()];
        for _depth in 0..3 {
            let mut next = Vec::new();
            for path in frontier {
                let staff = path.starts_with("/personal");
                if !visited.insert((account, shape_of(&path))) || visited.len() > 200 {
                    continue;
                }
                client.goto(&format!("{base}{path}")).await.expect("page");
                let html = client
                    .execute(
                        "return document.readyState === 'complete' && document.contentType === 'text/html' && !!document.querySelector('footer');",
                        Vec::new(),
                    )
                    .await
                    .expect("a page");
                if html.as_bool() != Some(true) {
                    problems.push(format!("{path}: not a whole page of the site"));
                    continue;
                }
                problems.extend(page_problems(&client, &path).await);
                next.extend(
                    links_under(&client, prefix)
                        .await
                        .into_iter()
                        .filter(|p| staff || !p.starts_with("/personal") && !p.starts_with("/ingreso")),
                );
            }
            frontier = next;
        }
    }
    assert!(visited.len() > 30, "the crawl reached {} pages", visited.len());
    assert!(
        problems.is_empty(),
        "{} problems on {} pages:\n{}",
        problems.len(),
        visited.len(),
        problems.join("\n")
    );
    client.close().await.expect("close");
    let _ = stop.send(());
}

/// Issue 18 part 3: a territorial officer records the offer's notice (confirming how many
/// letters), filters the call's verification list, ticks households, decides them in bulk
/// with one motivation, confirms how many, and reads the report household by household.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_filters_the_verification_list_and_decides_households_in_bulk() {
    let Some((_driver, client, _profile)) = browser().await else {
        return;
    };
    let (base, _db, stop) = server().await;
    log_in_at(&client, &base, "/personal", "territorial.officer@vereda.test").await;
    let verification = call_link(&client, &base, vereda_store::demo::DEMO_CALL_CODE, "verificacion").await;
    client
        .goto(&format!("{base}{verification}"))
        .await
        .expect("verification");
    wait_for(&client, "#verification-households").await;
    // The households are decided once the offer was notified: notify it if it was not.
    if client.find(Locator::Id("notice-form")).await.is_ok() {
        let notice_date = days_ago(&client, 2).await;
        set_value(&client, "notice_date", &notice_date).await;
        type_into(&client, "text", "Oferta institucional: presente sus documentos.").await;
        click(&client, Locator::Css("#notice-form button[type='submit']")).await;
        let question = wait_for(&client, "#confirm-question").await;
        let letters = question
            .attr("data-count")
            .await
            .expect("attr")
            .expect("data-count");
        assert!(letters.parse::<u32>().expect("a count") > 0, "{letters}");
        click(&client, Locator::Id("confirm-yes")).await;
        let done = wait_for(&client, "#done").await;
        assert_eq!(
            done.attr("data-done").await.expect("attr").as_deref(),
            Some("done-offer_notice_recorded")
        );
    }

    // The pending households only.
    client
        .find(Locator::Id("list-estado"))
        .await
        .expect("status filter")
        .select_by_value("pending")
        .await
        .expect("pending");
    click(&client, Locator::Id("list-apply")).await;
    wait_for_url(&client, |url| url.contains("estado=pending")).await;
    let pending = text_of(&client, "#list-total").await;
    let boxes = client
        .find_all(Locator::Css("#verification-households input[name='hogar']"))
        .await
        .expect("checkboxes");
    assert!(boxes.len() >= 2, "{} households to tick", boxes.len());
    let mut chosen = Vec::new();
    for checkbox in boxes.iter().take(2) {
        chosen.push(checkbox.attr("value").await.expect("attr").expect("value"));
        checkbox.click().await.expect("tick");
    }
    client
        .find(Locator::Id("bulk-status"))
        .await
        .expect("decision")
        .select_by_value("not_eligible")
        .await
        .expect("not eligible");
    type_into(&client, "bulk-reasons", "No residen en el área focalizada.").await;
    click(&client, Locator::Id("bulk-submit")).await;
    let question = wait_for(&client, "#confirm-question").await;
    assert_eq!(
        question.attr("data-confirm").await.expect("attr").as_deref(),
        Some("confirm-bulk_decision")
    );
    assert_eq!(
        question.attr("data-count").await.expect("attr").as_deref(),
        Some("2")
    );
    click(&client, Locator::Id("confirm-yes")).await;
    let summary = wait_for(&client, "#bulk-summary").await;
    assert_eq!(
        summary.attr("data-decided").await.expect("attr").as_deref(),
        Some("2")
    );
    assert_eq!(
        summary.attr("data-refused").await.expect("attr").as_deref(),
        Some("0")
    );
    assert_eq!(rows_of(&client, "#bulk-report tbody tr").await, 2);
    for id in &chosen {
        let row = wait_for(&client, &format!("#bulk-{id}")).await;
        assert_eq!(
            row.attr("data-outcome").await.expect("attr").as_deref(),
            Some("decided")
        );
    }
    // Back to the filtered list: two fewer pending.
    click(&client, Locator::Id("bulk-back")).await;
    wait_for_url(&client, |url| url.contains("estado=pending")).await;
    let before: u32 = pending
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a total");
    let after: u32 = text_of(&client, "#list-total")
        .await
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a total");
    assert_eq!(after + 2, before);

    client.close().await.expect("close");
    let _ = stop.send(());
}
