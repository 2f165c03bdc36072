//! Batch screening through the web application, in process: upload, background job,
//! counts, downloads, explanations, re-runs, rejected files and permissions.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use axum::http::StatusCode;
use support::{Client, Reply};
use vereda_domain::accounts::Role;

const HOUSEHOLD_COLUMNS: usize = 26;
const REGISTRIES: [&str; 5] = [
    "ruv",
    "prior_beneficiaries",
    "public_servants",
    "sanctions",
    "wanted",
];

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../screening/tests/golden")
        .join(name)
}

/// The golden cases: header, then one row per case (household columns, expected columns).
fn cases() -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(golden("cases.csv")).expect("cases.csv");
    let mut rows = vec![
        reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect(),
    ];
    rows.extend(
        reader
            .records()
            .map(|r| r.expect("record").iter().map(str::to_owned).collect()),
    );
    rows
}

/// The departments of the demo call's territorial offices: the call's territory (Art. 5).
const DEMO_CALL_DEPARTMENTS: [&str; 3] = ["18", "52", "86"];

/// The golden cases as the demo call screens them: a household outside the call's departments
/// is not eligible, with ART5_TERRITORY (the command line, without `--territory`, limits none).
fn demo_call_cases() -> Vec<Vec<String>> {
    let mut rows = cases();
    let municipality = rows[0]
        .iter()
        .position(|c| c == "municipality_code")
        .expect("the municipality column");
    for row in &mut rows[1..] {
        let code = format!("{:0>5}", row[municipality]);
        if DEMO_CALL_DEPARTMENTS.contains(&&code[..2]) {
            continue;
        }
        let mut reasons: Vec<String> = row[HOUSEHOLD_COLUMNS + 4]
            .split(';')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        reasons.push("ART5_TERRITORY".to_owned());
        reasons.sort_unstable();
        row[HOUSEHOLD_COLUMNS] = "false".to_owned();
        row[HOUSEHOLD_COLUMNS + 2].clear();
        row[HOUSEHOLD_COLUMNS + 3].clear();
        row[HOUSEHOLD_COLUMNS + 4] = reasons.join(";");
    }
    rows
}

fn to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).expect("write");
    }
    writer.into_inner().expect("bytes")
}

/// households.csv: the household columns of the golden cases.
fn golden_households() -> Vec<u8> {
    let rows: Vec<Vec<String>> = cases().iter().map(|r| r[..HOUSEHOLD_COLUMNS].to_vec()).collect();
    to_csv(&rows)
}

/// results.csv as the contract (and `vereda screen --territory 18,52,86`) writes it for the
/// golden cases screened for the demo call.
fn expected_results() -> String {
    let mut text = format!("{}\n", vereda_screening::screening::RESULTS_HEADER);
    for case in &demo_call_cases()[1..] {
        text.push_str(&format!(
            "{},{}\n",
            case[0],
            case[HOUSEHOLD_COLUMNS..HOUSEHOLD_COLUMNS + 5].join(",")
        ));
    }
    text
}

fn registries() -> Vec<(String, String, Vec<u8>)> {
    REGISTRIES
        .iter()
        .map(|kind| {
            let name = format!("{kind}.csv");
            let bytes = std::fs::read(golden(&name)).expect("registry");
            (format!("registry_{kind}"), name, bytes)
        })
        .collect()
}

/// Sends the screening form of call 1.
async fn upload(
    client: &mut Client,
    households: (&str, &[u8]),
    with_registries: bool,
    fields: &[(&str, &str)],
) -> Reply {
    let form = client.get("/personal/convocatorias/1/preselecciones").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let token = Client::csrf_in(&form.body);
    let mut all_fields = vec![("csrf_token", token.as_str())];
    all_fields.extend_from_slice(fields);
    let registries = if with_registries { registries() } else { Vec::new() };
    let mut files: Vec<(&str, &str, &[u8])> = vec![("households", households.0, households.1)];
    files.extend(
        registries
            .iter()
            .map(|(field, name, bytes)| (field.as_str(), name.as_str(), bytes.as_slice())),
    );
    client
        .post_files("/personal/convocatorias/1/preselecciones", &all_fields, &files)
        .await
}

fn run_id(reply: &Reply) -> i32 {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.location.as_deref().expect("location");
    location
        .trim_start_matches("/personal/preselecciones/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a screening: {location}"))
}

/// Polls the API until the run has finished.
async fn wait(client: &mut Client, id: i32) -> serde_json::Value {
    for _ in 0..1200 {
        let status = client.get(&format!("/api/v1/screenings/{id}")).await.json();
        if status["status"] == "succeeded" || status["status"] == "failed" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("screening {id} did not finish");
}

/// The rows these tests make: the demo's households come screened by a run of their own.
// The demo's runs: its file's, and its followed project's families' (`make_households_ready`).
const OUTSIDE_THE_DEMO_RESULTS: &str = "screening_results WHERE run_id NOT IN (SELECT id FROM screening_runs \
     WHERE job_key = 'demo-households' OR job_key LIKE 'ready-%')";
const OUTSIDE_THE_DEMO_RUNS: &str =
    "screening_runs WHERE job_key <> 'demo-households' AND job_key NOT LIKE 'ready-%'";

async fn count(client: &Client, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let store = &client.db.store;
    let row = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            store.backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

const AS_OF: (&str, &str) = ("as_of", "2013-06-01");

#[tokio::test]
async fn the_golden_households_screen_in_the_background_as_the_contract_says() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let households = golden_households();
    let demo_households = count(&client, "households").await;

    let reply = upload(&mut client, ("households.csv", &households), true, &[AS_OF]).await;
    let id = run_id(&reply);
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("/personal/preselecciones/{id}").as_str())
    );
    let status = wait(&mut client, id).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["rule_set_id"], "incoder-308-2013");
    assert_eq!(status["as_of"], "2013-06-01");

    let cases = demo_call_cases();
    let expected_eligible = cases[1..]
        .iter()
        .filter(|c| c[HOUSEHOLD_COLUMNS] == "true")
        .count();
    assert_eq!(status["households_total"], cases.len() - 1);
    assert_eq!(status["eligible_total"], expected_eligible);
    assert_eq!(status["progress"]["stored"], cases.len() - 1);
    let prior = cases[1..]
        .iter()
        .filter(|c| c[HOUSEHOLD_COLUMNS + 4].split(';').any(|r| r == "ART10A_PRIOR"))
        .count();
    assert!(prior > 0);
    assert_eq!(status["counts"]["by_reason"]["ART10A_PRIOR"], prior);
    // Medellín (G54) lies outside the demo call's departments: not eligible (Art. 5).
    assert_eq!(status["counts"]["by_reason"]["ART5_TERRITORY"], 1);
    // The AREL families of group 4, in the order Art. 38 par. 4 attends them.
    let page = client.get(&format!("/personal/preselecciones/{id}")).await;
    let group_4 = page
        .body
        .split("id=\"arel-group-4\"")
        .nth(1)
        .expect("the order of Art. 38 par. 4 is shown");
    let group_4 = group_4.split("</table>").next().unwrap_or_default();
    assert!(
        group_4.contains(">G57</a>") && group_4.contains("2009"),
        "{group_4}"
    );

    // The downloads: results.csv byte for byte as the contract, and the same as a spreadsheet.
    let csv = client
        .get(&format!("/personal/preselecciones/{id}/resultados.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(csv.body, expected_results());
    let xlsx = client
        .get(&format!("/personal/preselecciones/{id}/resultados.xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.content_type.contains("spreadsheetml"));

    // The page: rule set, counts with their articles, municipalities by name, levels.
    let page = client.get(&format!("/personal/preselecciones/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("incoder-308-2013"), "rule set shown");
    assert!(page.body.contains("Terminada"));
    assert!(page.body.contains("Hogares por causal"));
    assert!(
        page.body
            .contains("ART9A_SISBEN</a></td><td>Art. 9 a, Art. 7</td>"),
        "a reason with its article"
    );
    assert!(
        page.body
            .contains("<td>Art. 37, Art. 10 a (arel); Art. 10 a (general)</td>"),
        "a reason of both lines"
    );
    assert!(page.body.contains("FLORENCIA"), "municipality by name");
    assert!(
        !page.body.contains("http-equiv=\"refresh\""),
        "a finished run does not refresh"
    );

    // Filtered by a reason, then one household and why.
    let filtered = client
        .get(&format!("/personal/preselecciones/{id}?reason=ART10A_PRIOR"))
        .await;
    assert!(
        filtered.body.contains(&format!("{prior} hogares")),
        "{}",
        filtered.body
    );
    let link = filtered
        .body
        .split("id=\"results\"")
        .nth(1)
        .expect("the results")
        .split("href=\"/personal/hogares/")
        .nth(1)
        .expect("a household link");
    let household_id: i32 = link.split('"').next().and_then(|n| n.parse().ok()).expect("id");
    let household = client.get(&format!("/personal/hogares/{household_id}")).await;
    assert_eq!(household.status, StatusCode::OK);
    assert!(household.body.contains("id=\"explanation\""));
    assert!(household.body.contains("id=\"rule-ART10A_PRIOR\""));
    let seen = vereda_messages::Lang::Es.t_with(
        "eligibility-seen_found_in",
        &[(
            "registry",
            vereda_messages::Arg::Text("Beneficiarios anteriores del programa".into()),
        )],
    );
    assert!(household.body.contains(&seen), "the value seen");
    assert!(household.body.contains("Se activó"));
    assert!(household.body.contains("No elegible: ART10A_PRIOR"));
    assert!(
        !household.body.contains("explanation-note"),
        "the stored rules are the shipped ones"
    );
    assert!(
        household.body.contains("CC 1000201"),
        "a program officer verifies families and sees the whole document"
    );
    let outside = client
        .get(&format!("/personal/preselecciones/{id}?reason=ART5_TERRITORY"))
        .await;
    let outside_id: i32 = outside
        .body
        .split("id=\"results\"")
        .nth(1)
        .and_then(|results| results.split("href=\"/personal/hogares/").nth(1))
        .and_then(|link| link.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the household outside the territory");
    let medellin = client.get(&format!("/personal/hogares/{outside_id}")).await;
    assert!(medellin.body.contains("id=\"rule-ART5_TERRITORY\""));
    assert!(
        medellin.body.contains("No elegible: ART5_TERRITORY"),
        "{}",
        medellin.body
    );
    assert!(
        medellin.body.contains(
            &vereda_messages::Lang::Es
                .t("eligibility-seen_outside_territory")
                .to_owned()
        )
    );
    client.forget_session();
    client.log_in_as(Role::CommitteeMember).await;
    let masked = client.get(&format!("/personal/hogares/{household_id}")).await;
    assert!(
        masked.body.contains("CC ••••201") && !masked.body.contains("1000201"),
        "a committee member sees at most the last three digits (Ley 1581)"
    );
    client.forget_session();
    client.log_in_as(Role::ProgramOfficer).await;

    // The same files again: the run is reused, nothing is screened again.
    let again = upload(&mut client, ("households.csv", &households), true, &[AS_OF]).await;
    assert_eq!(
        again.location,
        Some(format!("/personal/preselecciones/{id}?reused=1"))
    );
    // Other options: a new run, whose results replace the first ones without duplicates.
    let later = upload(
        &mut client,
        ("households.csv", &households),
        true,
        &[("as_of", "2013-07-01")],
    )
    .await;
    let later_id = run_id(&later);
    assert_ne!(later_id, id);
    assert_eq!(wait(&mut client, later_id).await["status"], "succeeded");
    assert_eq!(
        count(&client, OUTSIDE_THE_DEMO_RESULTS).await,
        (cases.len() - 1) as i64
    );
    assert_eq!(
        count(&client, "households").await,
        demo_households + (cases.len() - 1) as i64
    );
    let first_page = client.get(&format!("/personal/preselecciones/{id}")).await;
    assert!(
        first_page.body.contains("id=\"run-superseded\""),
        "the first run says its results moved"
    );
    let calls = client.get("/api/v1/calls").await.json()["items"].clone();
    assert_eq!(calls[0]["households"], demo_households + (cases.len() - 1) as i64);

    // A new run may reuse the registries the call kept from the last one.
    let reuse = upload(
        &mut client,
        ("households.csv", &households),
        false,
        &[AS_OF, ("keep_going", "on"), ("reuse_registries", "on")],
    )
    .await;
    let reuse_id = run_id(&reuse);
    assert_eq!(wait(&mut client, reuse_id).await["status"], "succeeded");
    let csv = client
        .get(&format!("/personal/preselecciones/{reuse_id}/resultados.csv"))
        .await;
    assert_eq!(csv.body, expected_results());
}

/// The golden households as Excel in Spanish saves "CSV (delimitado por comas)": `;`,
/// Windows-1252 with accented names.
fn spanish_excel_households() -> Vec<u8> {
    let mut rows: Vec<Vec<String>> = cases().iter().map(|r| r[..HOUSEHOLD_COLUMNS].to_vec()).collect();
    for row in rows.iter_mut().skip(1) {
        row[3] = format!("{} Nariño", row[3]);
        row[4] = format!("{} Peñol", row[4]);
    }
    let text: String = rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    if c.contains(';') {
                        format!("\"{c}\"")
                    } else {
                        c.clone()
                    }
                })
                .collect();
            format!("{}\r\n", cells.join(";"))
        })
        .collect();
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable && std::str::from_utf8(&bytes).is_err());
    bytes.into_owned()
}

#[tokio::test]
async fn a_windows_1252_registry_from_spanish_excel_screens_and_its_encoding_is_named() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let households = spanish_excel_households();
    let reply = upload(&mut client, ("hogares.csv", &households), true, &[AS_OF]).await;
    let id = run_id(&reply);
    let status = wait(&mut client, id).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["households_total"], demo_call_cases().len() - 1);
    assert_eq!(status["files"][0]["kind"], "households");
    assert_eq!(status["files"][0]["encoding"], "windows-1252");
    assert_eq!(status["files"][1]["encoding"], "utf-8");
    let page = client.get(&format!("/personal/preselecciones/{id}")).await;
    assert!(
        page.body.contains("data-encoding=\"windows-1252\""),
        "{}",
        page.body
    );
    let results = client
        .get(&format!("/personal/preselecciones/{id}/resultados.csv"))
        .await;
    assert_eq!(results.body, expected_results());
}

#[tokio::test]
async fn a_file_with_a_bad_row_is_rejected_whole_with_its_errors_shown() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    let mut rows: Vec<Vec<String>> = cases().iter().map(|r| r[..HOUSEHOLD_COLUMNS].to_vec()).collect();
    rows[3][10] = "quince".to_owned();
    let households = to_csv(&rows);
    let before = count(&client, "households").await;
    let audit_before = count(&client, "audit_log WHERE entity <> 'screening_runs'").await;

    let id = run_id(&upload(&mut client, ("hogares.csv", &households), true, &[AS_OF]).await);
    let status = wait(&mut client, id).await;
    assert_eq!(status["status"], "failed");
    assert_eq!(status["error_count"], 1);
    assert!(status["counts"].is_null());
    assert_eq!(
        count(&client, "households").await,
        before,
        "nothing stored from a rejected file"
    );
    assert_eq!(count(&client, OUTSIDE_THE_DEMO_RESULTS).await, 0);
    assert_eq!(
        count(&client, "audit_log WHERE entity <> 'screening_runs'").await,
        audit_before,
        "only the run itself is recorded"
    );
    let page = client.get(&format!("/personal/preselecciones/{id}")).await;
    assert!(page.body.contains("id=\"run-rejected\""));
    let errors = page
        .body
        .split("id=\"run-errors\"")
        .nth(1)
        .expect("the errors table");
    let problem = vereda_messages::Lang::Es
        .say(&vereda_messages::Message::new("number-not_a_number").with("text", "quince"));
    assert!(errors.contains(&format!("<td>hogares.csv</td><td class=\"num\">4</td><td>sisben_score</td><td><code>quince</code></td><td data-code=\"number-not_a_number\">{problem}</td>")), "{errors}");
    let csv = client
        .get(&format!("/personal/preselecciones/{id}/resultados.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::CONFLICT);

    // With keep_going the good rows are screened and the bad one is listed.
    let id = run_id(
        &upload(
            &mut client,
            ("hogares.csv", &households),
            true,
            &[AS_OF, ("keep_going", "on")],
        )
        .await,
    );
    let status = wait(&mut client, id).await;
    assert_eq!(status["status"], "succeeded");
    assert_eq!(status["error_count"], 1);
    assert_eq!(status["households_total"], rows.len() - 2);
    let page = client.get(&format!("/personal/preselecciones/{id}")).await;
    assert!(page.body.contains("quince"));

    // An admin sees the full document.
    let results = page.body.split("id=\"results\"").nth(1).expect("the results");
    let household = results.split("href=\"/personal/hogares/").nth(1).expect("link");
    let household_id = household.split('"').next().expect("id");
    let household = client.get(&format!("/personal/hogares/{household_id}")).await;
    assert!(household.body.contains("CC 2000001"), "{}", household.body);
}

#[tokio::test]
async fn the_form_refuses_what_cannot_be_screened() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let households = golden_households();

    let missing = upload(&mut client, ("households.csv", &households), false, &[AS_OF]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing
            .body
            .contains("Falta un registro que las reglas consultan"),
        "{}",
        missing.body
    );
    let no_rules = upload(
        &mut client,
        ("households.csv", &households),
        true,
        &[("as_of", "2000-01-01")],
    )
    .await;
    assert_eq!(no_rules.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_rules
            .body
            .contains("Ningún conjunto de reglas está vigente el 1 ene 2000")
    );
    assert!(
        no_rules
            .body
            .contains("incoder-308-2013 (2013-04-17 – 2014-12-15)"),
        "the rule sets are listed"
    );
    let bad_type = upload(&mut client, ("households.pdf", &households), true, &[AS_OF]).await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = client
        .post_files(
            "/personal/convocatorias/1/preselecciones",
            &[("csrf_token", "forged")],
            &[("households", "h.csv", &households)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&client, OUTSIDE_THE_DEMO_RUNS).await, 0);
    assert!(
        client
            .get("/personal/convocatorias/99/preselecciones")
            .await
            .status
            == StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/api/v1/screenings/99").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn roles_without_the_permission_may_look_but_not_screen() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Formulator).await;
    let form = client.get("/personal/convocatorias/1/preselecciones").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("id=\"screening-form\""));
    assert!(form.body.contains("no ejecutarlas"));
    let token = Client::csrf_in(&form.body);
    let households = golden_households();
    let refused = client
        .post_files(
            "/personal/convocatorias/1/preselecciones",
            &[("csrf_token", &token)],
            &[("households", "h.csv", &households)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&client, OUTSIDE_THE_DEMO_RUNS).await, 0);

    let mut anonymous = Client::with_demo().await;
    let reply = anonymous
        .post_files(
            "/personal/convocatorias/1/preselecciones",
            &[("csrf_token", "x")],
            &[("households", "h.csv", &households)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.get("/api/v1/screenings/1").await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// SQLite under a large run: the results are stored in short chunks, so a client writing 20
/// times a second while 40,000 households are stored never fails and the run succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_screening_lets_other_writers_through() {
    use vereda_screening::synthetic::{SyntheticOptions, write_synthetic_registry};
    const HOUSEHOLDS: u64 = 40_000;
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let dir = tempfile::tempdir().expect("dir");
    write_synthetic_registry(
        &SyntheticOptions {
            households: HOUSEHOLDS,
            seed: 7,
        },
        dir.path(),
    )
    .expect("synthetic files");
    let read = |name: &str| std::fs::read(dir.path().join(name)).expect("file");
    let households = read("households.csv");
    let registries: Vec<(String, String, Vec<u8>)> = REGISTRIES
        .iter()
        .map(|kind| {
            (
                format!("registry_{kind}"),
                format!("{kind}.csv"),
                read(&format!("{kind}.csv")),
            )
        })
        .collect();
    let form = client.get("/personal/convocatorias/1/preselecciones").await;
    let token = Client::csrf_in(&form.body);
    let mut files: Vec<(&str, &str, &[u8])> = vec![("households", "households.csv", households.as_slice())];
    files.extend(
        registries
            .iter()
            .map(|(f, n, b)| (f.as_str(), n.as_str(), b.as_slice())),
    );
    let reply = client
        .post_files(
            "/personal/convocatorias/1/preselecciones",
            &[("csrf_token", token.as_str()), AS_OF],
            &files,
        )
        .await;
    let id = run_id(&reply);

    let store = client.db.store.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let done = done.clone();
        tokio::spawn(async move {
            let (mut writes, mut failures) = (0u32, Vec::new());
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let event = vereda_store::audit::AuthEvent {
                    action: vereda_domain::audit::AuditAction::LoginFailed,
                    account_id: None,
                    email: "otra.persona@vereda.test",
                    address: None,
                };
                match store
                    .record_auth_event(&vereda_domain::audit::Actor::system("web"), &event)
                    .await
                {
                    Ok(()) => writes += 1,
                    Err(error) => failures.push(error.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (writes, failures)
        })
    };
    let started = std::time::Instant::now();
    let status = loop {
        let status = client.get(&format!("/api/v1/screenings/{id}")).await.json();
        if status["status"] == "succeeded" || status["status"] == "failed" {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the run did not finish"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (writes, failures) = writer.await.expect("writer");
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["households_total"], HOUSEHOLDS);
    assert!(writes > 0);
    assert!(
        failures.is_empty(),
        "{} of {} writes failed: {:?}",
        failures.len(),
        writes,
        failures.first()
    );

    // The contract's file streams chunk after chunk: every household once, in the file's order.
    let file = client.get(&format!("/api/v1/screenings/{id}/results.csv")).await;
    assert_eq!(file.status, StatusCode::OK);
    let ids_in = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|line| line.split(',').next().unwrap_or_default().to_owned())
            .collect()
    };
    let mut lines = file.body.lines();
    assert_eq!(lines.next(), Some(vereda_screening::screening::RESULTS_HEADER));
    assert_eq!(
        ids_in(&file.body),
        ids_in(&String::from_utf8(households).expect("UTF-8"))
    );
}

#[tokio::test]
async fn a_run_s_results_are_paged_searched_filtered_sorted_and_downloaded_as_shown() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let cases = demo_call_cases();
    let mut rows: Vec<Vec<String>> = cases.iter().map(|r| r[..HOUSEHOLD_COLUMNS].to_vec()).collect();
    // G07's head carries accents no other head has.
    let g07 = rows.iter().position(|r| r[0] == "G07").expect("G07");
    rows[g07][3] = "José Ángel".into();
    rows[g07][4] = "Peña Núñez".into();
    let id = run_id(&upload(&mut client, ("households.csv", &to_csv(&rows)), true, &[AS_OF]).await);
    assert_eq!(wait(&mut client, id).await["status"], "succeeded");
    let base = format!("/personal/preselecciones/{id}");
    let everyone = cases.len() - 1;
    let file_order: Vec<String> = cases[1..].iter().map(|c| c[0].clone()).collect();

    // Pages of ten in the file's order: the second follows the first.
    let first = client.get(&format!("{base}?por_pagina=10")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(support::page::list_total::<usize>(&first.body), everyone);
    let second = client.get(&format!("{base}?por_pagina=10&pagina=2")).await;
    let mut shown = support::page::row_attribute(&first.body, "result", "data-household");
    shown.extend(support::page::row_attribute(
        &second.body,
        "result",
        "data-household",
    ));
    assert_eq!(shown, file_order[..20].to_vec());
    assert!(second.body.contains("id=\"list-previous\""));

    // One household found whatever the accents and case typed.
    for words in ["pena nunez", "PEÑA", "jose angel", "josé ÁNGEL núñez"] {
        let page = client
            .get(&format!("{base}?q={}", vereda_web::error::urlencode(words)))
            .await;
        assert_eq!(
            support::page::row_attribute(&page.body, "result", "data-household"),
            ["G07"],
            "{words}"
        );
        assert_eq!(support::page::list_total::<usize>(&page.body), 1, "{words}");
    }

    // Filters: eligibility, a reason, a municipality (and the old words still filter).
    let eligible = cases[1..]
        .iter()
        .filter(|c| c[HOUSEHOLD_COLUMNS] == "true")
        .count();
    let page = client
        .get(&format!("{base}?estado=eligible&por_pagina=200"))
        .await;
    assert_eq!(support::page::list_total::<usize>(&page.body), eligible);
    assert!(
        support::page::row_attribute(&page.body, "result", "data-eligible")
            .iter()
            .all(|e| e == "true")
    );
    let prior = cases[1..]
        .iter()
        .filter(|c| c[HOUSEHOLD_COLUMNS + 4].split(';').any(|r| r == "ART10A_PRIOR"))
        .count();
    for query in ["motivo=ART10A_PRIOR", "reason=ART10A_PRIOR"] {
        let page = client.get(&format!("{base}?{query}&por_pagina=200")).await;
        assert_eq!(support::page::list_total::<usize>(&page.body), prior, "{query}");
        assert!(
            support::page::row_attribute(&page.body, "result", "data-reasons")
                .iter()
                .all(|r| r.split(' ').any(|code| code == "ART10A_PRIOR")),
            "{query}"
        );
    }
    let municipality = format!("{:0>5}", rows[g07][8]);
    let in_place = cases[1..]
        .iter()
        .filter(|c| format!("{:0>5}", c[8]) == municipality)
        .count();
    let page = client
        .get(&format!("{base}?municipio={municipality}&por_pagina=200"))
        .await;
    assert_eq!(support::page::list_total::<usize>(&page.body), in_place);
    assert!(
        support::page::row_attribute(&page.body, "result", "data-municipality")
            .iter()
            .all(|m| *m == municipality)
    );

    // Sorted by the household's id, one way and the other.
    let mut sorted = file_order.clone();
    sorted.sort();
    let ascending = client.get(&format!("{base}?orden=hogar&por_pagina=200")).await;
    assert_eq!(
        support::page::row_attribute(&ascending.body, "result", "data-household"),
        sorted
    );
    sorted.reverse();
    let descending = client.get(&format!("{base}?orden=-hogar&por_pagina=200")).await;
    assert_eq!(
        support::page::row_attribute(&descending.body, "result", "data-household"),
        sorted
    );

    // The downloads follow the filter, the search and the sort; unfiltered, the contract's file.
    let csv = client
        .get(&format!("{base}/resultados.csv?motivo=ART10A_PRIOR"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.trim_end().lines().collect();
    assert_eq!(lines.len(), prior + 1, "{}", csv.body);
    assert!(lines[1..].iter().all(|l| l.contains("ART10A_PRIOR")));
    let found = client.get(&format!("{base}/resultados.csv?q=PENA")).await;
    let lines: Vec<&str> = found.body.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{}", found.body);
    assert!(lines[1].starts_with("G07,"));
    let sorted_csv = client.get(&format!("{base}/resultados.csv?orden=-hogar")).await;
    let firsts: Vec<&str> = sorted_csv
        .body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(firsts, sorted.iter().map(String::as_str).collect::<Vec<_>>());
    let all = client.get(&format!("{base}/resultados.csv")).await;
    assert_eq!(all.body, expected_results());
    let xlsx = client
        .get(&format!("{base}/resultados.xlsx?estado=eligible"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    assert_eq!(sheet.height(), eligible + 1);
}
