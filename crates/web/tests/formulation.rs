//! In-process tests of the step-by-step formulation pages (`/personal/formulaciones`).

mod support;

use axum::http::StatusCode;
use support::Client;
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;
use vereda_domain::finance::Formulation;

const COCOA_TOML: &str = include_str!("../../../examples/cacao-tumaco.toml");

/// The demo's committee returns a submitted formulation (Art. 24): the families endorse it,
/// a session puts it on the agenda, and the member gives a negative concept.
async fn returned_by_the_committee(client: &Client, id: i32, reason: &str) {
    use vereda_store::procedure::{Concept, NewEndorsement, NewSession};
    let store = &client.db.store;
    let accounts = store.accounts().await.expect("accounts");
    let of = |role: Role| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .expect("demo account")
            .clone()
    };
    let families = i32::try_from(latest(client, id).await.1.frame.households.len()).expect("count");
    let endorsement = NewEndorsement {
        endorsed_on: jiff::civil::date(2026, 3, 1),
        families_endorsing: families,
        minutes: "Asamblea de las familias".into(),
    };
    store
        .record_endorsement(&of(Role::TerritorialOfficer).actor(), id, endorsement)
        .await
        .expect("endorse");
    let secretary = of(Role::ProgramOfficer).actor();
    let member = of(Role::CommitteeMember);
    let session = NewSession {
        held_on: jiff::civil::date(2026, 3, 5),
        place: "Florencia".into(),
        attendees: vec![member.id],
    };
    let session = store.create_session(&secretary, session).await.expect("session");
    let item = store
        .add_to_agenda(&secretary, session.session_id, id, 0)
        .await
        .expect("agenda");
    store
        .issue_concept(&member.actor(), item.id, Concept::Negative, reason, 0)
        .await
        .expect("concept");
}

/// Logs in as a role that edits formulations and creates one from the cocoa example.
async fn cocoa_draft(client: &mut Client) -> i32 {
    client.log_in_as(Role::ProgramOfficer).await;
    let list = client.get("/personal/formulaciones").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("id=\"new-formulation\""), "{}", list.body);
    let token = Client::csrf_in(&list.body);
    let created = client
        .post_files(
            "/personal/formulaciones",
            &[("csrf_token", &token), ("example", "cacao-tumaco")],
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.location.expect("location");
    location
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("an id")
}

async fn latest(client: &Client, id: i32) -> (usize, Formulation) {
    let record = client
        .db
        .store
        .formulation(id)
        .await
        .expect("read")
        .expect("formulation");
    let number = record.versions.last().expect("a version").number;
    let content = client
        .db
        .store
        .formulation_version(id, number)
        .await
        .expect("read")
        .expect("content");
    (record.versions.len(), content)
}

#[tokio::test]
async fn a_formulation_is_edited_step_by_step_and_submitted() {
    let mut client = Client::with_demo().await;
    let id = cocoa_draft(&mut client).await;
    let token = client.csrf().await;
    let base = format!("/personal/formulaciones/{id}");

    let page = client.get(&base).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("NAR-TUM-2013-001"));
    assert!(
        page.body.contains("id=\"verdict\""),
        "the review evaluates the draft"
    );
    assert!(page.body.contains("id=\"submit-formulation\""));
    let listed = client.get("/personal/formulaciones").await;
    assert!(listed.body.contains("NAR-TUM-2013-001"));

    // Step 1: a new title is saved in place; the draft stays version 1.
    let saved = client
        .post_form(
            &format!("{base}/pasos/1"),
            &[
                ("csrf_token", &token),
                ("frame.title", "Cacao renovado en Tumaco"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location.as_deref().is_some_and(|l| l.ends_with("#step-2")));
    let (versions, content) = latest(&client, id).await;
    assert_eq!(versions, 1);
    assert_eq!(content.frame.title, "Cacao renovado en Tumaco");
    assert_eq!(content.frame.code, "NAR-TUM-2013-001");

    // Step 4: add a budget line, then make it a land line.
    let lines = toml::from_str::<Formulation>(COCOA_TOML)
        .expect("cocoa")
        .budget
        .len();
    let added = client
        .post_form(
            &format!("{base}/pasos/4"),
            &[("csrf_token", &token), ("add", "budget")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(added.location.as_deref().is_some_and(|l| l.ends_with("#step-4")));
    let (versions, content) = latest(&client, id).await;
    assert_eq!((versions, content.budget.len()), (1, lines + 1));

    let row = format!("budget[{lines}]");
    let land = client
        .post_form(
            &format!("{base}/pasos/4"),
            &[
                ("csrf_token", &token),
                (&format!("{row}.category"), "land"),
                (&format!("{row}.funder"), "counterpart"),
                (&format!("{row}.description"), "Compra de un lote"),
                (&format!("{row}.quantity"), "1"),
                (&format!("{row}.unit_price"), "5000000"),
                (&format!("{row}.year"), "0"),
                (&format!("{row}.month"), ""),
            ],
        )
        .await;
    assert_eq!(land.status, StatusCode::SEE_OTHER, "{}", land.body);
    let page = client.get(&base).await;
    let problems = page
        .body
        .split("id=\"problems-4\"")
        .nth(1)
        .expect("the budget step lists its problems");
    let problems = problems.split("</div>").next().unwrap_or_default();
    assert!(problems.contains(&format!("{row}.category")), "{problems}");
    assert!(problems.contains("18.4"), "{problems}");
    assert!(!page.body.contains("id=\"submit-formulation\""));
    let refused = client
        .post_form(&format!("{base}/radicar"), &[("csrf_token", &token)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Remove the line again and submit: the page becomes read-only.
    let removed = client
        .post_form(
            &format!("{base}/pasos/4"),
            &[("csrf_token", &token), ("remove", &row)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    // Not in a call yet: its families come from no screening, so it cannot be presented.
    let no_call = client
        .post_form(&format!("{base}/radicar"), &[("csrf_token", &token)])
        .await;
    assert_eq!(
        no_call.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_call.body
    );
    assert!(
        no_call.body.contains(r#"data-problem="custody-error-no_call""#),
        "{}",
        no_call.body
    );
    // In a call whose screening and verification found its families eligible, it can.
    let call = support::procedure::ready_call(&client).await.to_string();
    let taken = client
        .post_form(
            &format!("{base}/pasos/3"),
            &[
                ("csrf_token", &token),
                ("call_id", &call),
                ("take_screening", "1"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    let submitted = client
        .post_form(&format!("{base}/radicar"), &[("csrf_token", &token)])
        .await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);
    let page = client.get(&base).await;
    assert!(page.body.contains("id=\"read-only\""));
    assert!(!page.body.contains(&format!("action=\"{base}/pasos/1\"")) || page.body.contains(" disabled"));
    assert!(!page.body.contains("id=\"save-1\""));
    assert!(!page.body.contains("id=\"submit-formulation\""));

    // A submitted formulation is frozen: the page refuses to save it.
    let frozen = client
        .post_form(
            &format!("{base}/pasos/1"),
            &[("csrf_token", &token), ("frame.title", "Otro título")],
        )
        .await;
    assert_eq!(frozen.status, StatusCode::CONFLICT);
    assert_eq!(latest(&client, id).await.0, 1);

    // Returned by the committee, the next save is version 2; version 1 stays readable.
    let double = client
        .post_form(&format!("{base}/radicar"), &[("csrf_token", &token)])
        .await;
    assert_eq!(double.status, StatusCode::CONFLICT);
    assert!(double.body.contains("solo un borrador se presenta al comité"));
    returned_by_the_committee(&client, id, "Falta el plan de crédito").await;
    let again = client
        .post_form(
            &format!("{base}/pasos/1"),
            &[("csrf_token", &token), ("frame.title", "Cacao corregido")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let (versions, content) = latest(&client, id).await;
    assert_eq!((versions, content.frame.title.as_str()), (2, "Cacao corregido"));
    let old = client.get(&format!("{base}?version=1")).await;
    assert_eq!(old.status, StatusCode::OK);
    assert!(old.body.contains("id=\"older-version\""));
    assert!(old.body.contains("Cacao renovado en Tumaco"));
    assert!(!old.body.contains("id=\"save-1\""));

    let full = client.get(&format!("{base}/evaluacion?version=1")).await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.body);
}

#[tokio::test]
async fn a_role_that_does_not_formulate_cannot_save() {
    let mut client = Client::with_demo().await;
    let id = cocoa_draft(&mut client).await;
    client.forget_session();
    client.log_in_as(Role::CommitteeMember).await;
    let token = client.csrf().await;
    let page = client.get(&format!("/personal/formulaciones/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"save-1\""));
    let refused = client
        .post_form(
            &format!("/personal/formulaciones/{id}/pasos/1"),
            &[("csrf_token", &token), ("frame.title", "No")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = client
        .post_files(
            "/personal/formulaciones",
            &[("csrf_token", &token), ("example", "cacao-tumaco")],
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::FORBIDDEN);
    let staff = client.get("/personal").await;
    assert!(staff.body.contains("id=\"formulations-link\""));
}

#[tokio::test]
async fn a_skeleton_lists_its_problems_and_bad_numbers_are_refused() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::Admin).await;
    let token = client.csrf().await;
    let created = client
        .post_files(
            "/personal/formulaciones",
            &[
                ("csrf_token", &token),
                ("code", "ANT-SV-2014-009"),
                ("title", "Huerta"),
                ("municipality", "05001"),
                ("budget_year", "2014"),
                ("typology", "2"),
            ],
            &[],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let base = created.location.expect("location");
    let page = client.get(&base).await;
    assert!(page.body.contains("id=\"problems-2\""));
    assert!(page.body.contains("id=\"problems-all\""));
    let bad = client
        .post_form(
            &format!("{base}/pasos/1"),
            &[("csrf_token", &token), ("frame.typology", "dos")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("frame.typology"));
    let duplicate = client
        .post_files(
            "/personal/formulaciones",
            &[("csrf_token", &token), ("code", "ANT-SV-2014-009")],
            &[],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
}

mod screened {
    //! The golden households screened into the demo call, as `tests/screening.rs` does it.

    use std::path::PathBuf;
    use std::time::Duration;

    use axum::http::StatusCode;

    use super::support::Client;

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

    /// households.csv: the household columns of the golden cases.
    fn golden_households() -> Vec<u8> {
        let mut reader = csv::Reader::from_path(golden("cases.csv")).expect("cases.csv");
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        writer.write_record(&header[..HOUSEHOLD_COLUMNS]).expect("write");
        for record in reader.records() {
            let record: Vec<String> = record.expect("record").iter().map(str::to_owned).collect();
            writer.write_record(&record[..HOUSEHOLD_COLUMNS]).expect("write");
        }
        writer.into_inner().expect("bytes")
    }

    /// Screens the golden households into call 1 and waits for the run to succeed.
    pub async fn screen_golden_households(client: &mut Client) {
        let form = client.get("/personal/convocatorias/1/preselecciones").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let token = Client::csrf_in(&form.body);
        let households = golden_households();
        let registries: Vec<(String, String, Vec<u8>)> = REGISTRIES
            .iter()
            .map(|kind| {
                let name = format!("{kind}.csv");
                let bytes = std::fs::read(golden(&name)).expect("registry");
                (format!("registry_{kind}"), name, bytes)
            })
            .collect();
        let mut files: Vec<(&str, &str, &[u8])> = vec![("households", "households.csv", &households)];
        files.extend(
            registries
                .iter()
                .map(|(field, name, bytes)| (field.as_str(), name.as_str(), bytes.as_slice())),
        );
        let reply = client
            .post_files(
                "/personal/convocatorias/1/preselecciones",
                &[("csrf_token", &token), ("as_of", "2013-06-01")],
                &files,
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let id: i32 = reply
            .location
            .as_deref()
            .and_then(|l| {
                l.trim_start_matches("/personal/preselecciones/")
                    .split('?')
                    .next()?
                    .parse()
                    .ok()
            })
            .expect("a screening");
        for _ in 0..1200 {
            let status = client.get(&format!("/api/v1/screenings/{id}")).await.json();
            if status["status"] == "succeeded" {
                return;
            }
            assert_ne!(status["status"], "failed", "{status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("screening {id} did not finish");
    }
}

#[tokio::test]
async fn the_households_take_their_percentage_and_cap_from_the_screening() {
    use rust_decimal::Decimal;

    let mut client = Client::with_demo().await;
    let id = cocoa_draft(&mut client).await;
    screened::screen_golden_households(&mut client).await;
    let token = client.csrf().await;
    let base = format!("/personal/formulaciones/{id}");
    let page = client.get(&base).await;
    assert!(page.body.contains("id=\"take-screening\""), "{}", page.body);
    assert!(
        page.body
            .contains(vereda_messages::Lang::Es.t("formulation-take_screening"))
    );
    let (_, before) = latest(&client, id).await;

    // Without a call there is nothing to take from.
    let no_call = client
        .post_form(
            &format!("{base}/pasos/3"),
            &[("csrf_token", &token), ("call_id", ""), ("take_screening", "1")],
        )
        .await;
    assert_eq!(
        no_call.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_call.body
    );
    assert!(no_call.body.contains("Elija la convocatoria"), "{}", no_call.body);

    let taken = client
        .post_form(
            &format!("{base}/pasos/3"),
            &[
                ("csrf_token", &token),
                ("frame.households[0].id", "G05"),
                ("frame.households[1].id", "G22"),
                ("frame.households[2].id", "G02"),
                ("call_id", "1"),
                ("take_screening", "1"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    let problems = taken
        .body
        .split("id=\"screening-problems\"")
        .nth(1)
        .expect("the households not taken are listed");
    let problems = problems.split("</div>").next().unwrap_or_default();
    assert!(problems.contains("G02"), "{problems}");
    assert!(problems.contains("ART9A_SISBEN"), "{problems}");
    assert!(
        problems.contains(&before.frame.households[3].id),
        "not screened: {problems}"
    );
    assert!(
        !problems.contains("G05") && !problems.contains("G22"),
        "{problems}"
    );

    let (versions, content) = latest(&client, id).await;
    assert_eq!(versions, 1, "a draft is saved in place");
    let households = &content.frame.households;
    assert_eq!(households[0].id, "G05");
    assert_eq!(
        (households[0].max_pct, households[0].cap_smmlv),
        (Decimal::from(80), Decimal::from(20))
    );
    assert_eq!(
        (households[1].max_pct, households[1].cap_smmlv),
        (Decimal::from(90), Decimal::from(24))
    );
    assert_eq!(households[2].id, "G02");
    assert_eq!(
        (households[2].max_pct, households[2].cap_smmlv),
        (
            before.frame.households[2].max_pct,
            before.frame.households[2].cap_smmlv
        ),
        "not eligible: left unchanged"
    );
    assert_eq!(
        households[3], before.frame.households[3],
        "not screened: left unchanged"
    );
    let record = client
        .db
        .store
        .formulation(id)
        .await
        .expect("read")
        .expect("formulation");
    assert_eq!(record.formulation.call_id, Some(1));
    let page = client.get(&base).await;
    assert!(
        page.body.contains("<option value=\"1\" selected>"),
        "{}",
        page.body
    );

    // The formulation's call cannot be changed once set.
    let actor = Actor::system("test");
    let program = client
        .db
        .store
        .create_program(&actor, "P-OTRO", "Otro programa", "")
        .await
        .expect("program");
    let other = client
        .db
        .store
        .create_call(
            &actor,
            vereda_store::programs::NewCall {
                program_id: program.id,
                code: "C-OTRA".into(),
                name: "Otra convocatoria".into(),
                budget_year: 2013,
                budget_cop: Decimal::from(1_000_000),
                smmlv_cop: None,
                rule_set_id: "incoder-308-2013".into(),
                line: vereda_domain::program::ProgramLine::General,
                territorial_office_ids: vec![],
                arel_max_pct: None,
                arel_cap_smmlv: None,
            },
        )
        .await
        .expect("call");
    let changed = client
        .post_form(
            &format!("{base}/pasos/3"),
            &[("csrf_token", &token), ("call_id", &other.id.to_string())],
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        changed.body
    );
    assert!(
        changed.body.contains("id=\"formulation-errors\""),
        "{}",
        changed.body
    );
    let record = client
        .db
        .store
        .formulation(id)
        .await
        .expect("read")
        .expect("formulation");
    assert_eq!(record.formulation.call_id, Some(1));
}

/// The `value` of the input whose id is `id`.
fn input_value<'a>(page: &'a str, id: &str) -> &'a str {
    let input = page
        .split(&format!("<input type=\"text\" id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no input {id}"));
    input
        .split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no value for {id}"))
}

#[tokio::test]
async fn prices_are_read_the_colombian_way_and_an_ambiguous_one_keeps_the_other_edits() {
    let mut client = Client::with_demo().await;
    let id = cocoa_draft(&mut client).await;
    let token = client.csrf().await;
    let base = format!("/personal/formulaciones/{id}");

    // "6.500" is six thousand five hundred pesos, and the form shows it back that way.
    let saved = client
        .post_form(
            &format!("{base}/pasos/4"),
            &[("csrf_token", &token), ("budget[0].unit_price", "6.500")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (versions, content) = latest(&client, id).await;
    assert_eq!(content.budget[0].unit_price, rust_decimal::Decimal::from(6500));
    let page = client.get(&base).await;
    assert_eq!(input_value(&page.body, "budget[0].unit_price"), "6.500");

    // "1,234" could be 1.234 or 1234: refused beside its field, every edit kept, nothing saved.
    let refused = client
        .post_form(
            &format!("{base}/pasos/4"),
            &[
                ("csrf_token", &token),
                ("budget[0].description", "Plántulas de otro vivero"),
                ("budget[0].unit_price", "1,234"),
                ("budget[1].quantity", "50.000"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let problem = refused
        .body
        .split("id=\"budget[0].unit_price-problem\"")
        .nth(1)
        .expect("the problem beside the price");
    assert!(
        problem.starts_with(" data-problem=\"number-ambiguous\""),
        "{problem}"
    );
    assert_eq!(refused.body.matches("data-problem=\"number-").count(), 1);
    assert_eq!(
        input_value(&refused.body, "budget[0].description"),
        "Plántulas de otro vivero"
    );
    assert_eq!(input_value(&refused.body, "budget[0].unit_price"), "1,234");
    assert_eq!(input_value(&refused.body, "budget[1].quantity"), "50.000");
    assert_eq!(latest(&client, id).await, (versions, content));

    // The same edits with the price written unambiguously are saved together.
    let fixed = client
        .post_form(
            &format!("{base}/pasos/4"),
            &[
                ("csrf_token", &token),
                ("budget[0].description", "Plántulas de otro vivero"),
                ("budget[0].unit_price", "1.234"),
                ("budget[1].quantity", "50.000"),
            ],
        )
        .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    let (_, content) = latest(&client, id).await;
    assert_eq!(content.budget[0].description, "Plántulas de otro vivero");
    assert_eq!(content.budget[0].unit_price, rust_decimal::Decimal::from(1234));
    assert_eq!(content.budget[1].quantity, rust_decimal::Decimal::from(50_000));
}

/// Saves drafts P-000… through the store, as many as asked, numbered from `from`.
async fn drafts(client: &Client, from: usize, to: usize) {
    let store = &client.db.store;
    let formulator = store
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.role == Role::ProgramOfficer)
        .expect("demo account")
        .actor();
    let mut project: Formulation = toml::from_str(COCOA_TOML).expect("cocoa");
    for i in from..to {
        project.frame.code = format!("P-{i:03}");
        let new = vereda_store::formulations::NewFormulationDraft {
            formulation: &project,
            call_id: None,
            note: None,
            viable: None,
            irr: None,
            rule_set_id: "incoder-308-2013".into(),
            rule_set_hash: None,
        };
        store
            .save_formulation_draft(&formulator, new)
            .await
            .expect("save");
    }
}

#[tokio::test]
async fn the_list_is_paged_by_fifty_and_reads_as_many_statements_for_any_number() {
    let (mut client, log) = Client::with_demo_counting().await;
    client.log_in_as(Role::ProgramOfficer).await;
    drafts(&client, 0, 1).await;
    log.take();
    let few = client.get("/personal/formulaciones").await;
    assert_eq!(few.status, StatusCode::OK, "{}", few.body);
    assert!(!few.body.contains("id=\"list-next\""), "{}", few.body);
    let few_statements = log.take().len();

    drafts(&client, 1, 60).await;
    log.take();
    let first = client.get("/personal/formulaciones").await;
    let many_statements = log.take().len();
    println!(
        "GET /personal/formulaciones: {few_statements} statements with 1 draft, {many_statements} with 60"
    );
    assert_eq!(few_statements, many_statements, "a query per formulation is back");
    assert_eq!(
        first.body.matches("<a href=\"/personal/formulaciones/").count(),
        50
    );
    assert!(
        first.body.contains("href=\"/personal/formulaciones?pagina=2\""),
        "{}",
        first.body
    );
    assert!(!first.body.contains("id=\"list-previous\""));
    let second = client.get("/personal/formulaciones?pagina=2").await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.contains("data-page=\"2\""), "{}", second.body);
    assert!(
        second
            .body
            .contains("href=\"/personal/formulaciones\" rel=\"prev\""),
        "{}",
        second.body
    );
    assert!(!second.body.contains("id=\"list-next\""));
    // The list's parameters are read leniently, as every staff list's: a page that is not a
    // number is the first.
    let bad = client.get("/personal/formulaciones?pagina=dos").await;
    assert_eq!(bad.status, StatusCode::OK, "{}", bad.body);
    assert!(bad.body.contains("data-page=\"1\""), "{}", bad.body);
}

#[tokio::test]
async fn an_arel_family_brings_its_line_and_tenure_from_the_screening_to_the_formulation_checks() {
    use vereda_domain::household::LandTenure;
    use vereda_domain::program::ProgramLine;

    let mut client = Client::with_demo().await;
    let id = cocoa_draft(&mut client).await;
    screened::screen_golden_households(&mut client).await;
    let token = client.csrf().await;
    let base = format!("/personal/formulaciones/{id}");
    // G48: an AREL occupant, eligible since tenure is no screening rule (Art. 40.2); G42: an
    // AREL tenant whose lease runs one day short of five years from the screening date.
    let taken = client
        .post_form(
            &format!("{base}/pasos/3"),
            &[
                ("csrf_token", &token),
                ("frame.households[0].id", "G48"),
                ("frame.households[1].id", "G42"),
                ("frame.households[2].id", "G05"),
                ("call_id", "1"),
                ("take_screening", "1"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    let (_, content) = latest(&client, id).await;
    let households = &content.frame.households;
    assert_eq!(households[0].program_line, ProgramLine::Arel);
    assert_eq!(households[0].land_tenure, Some(LandTenure::Occupant));
    assert_eq!(households[1].land_tenure, Some(LandTenure::Tenant));
    assert_eq!(households[1].land_contract_years, Some(4));
    assert_eq!(households[2].program_line, ProgramLine::General);

    let book = vereda_domain::rules::RuleBook::shipped().expect("rule sets");
    let set = book.get("incoder-308-2013").expect("the shipped set");
    let rules = set.financial.as_ref().expect("financial rules");
    let builds = content.budget.iter().any(|line| {
        matches!(
            line.category,
            vereda_domain::finance::ExpenseCategory::WorksInParcel
                | vereda_domain::finance::ExpenseCategory::PhysicalInfrastructure
        )
    });
    let codes: Vec<(String, String)> = content
        .validate(rules)
        .into_iter()
        .map(|p| (p.path, p.message.code().to_owned()))
        .collect();
    let expected = (
        "frame.households[0].land_tenure".to_owned(),
        "formulation-problem-arel_tenure_required".to_owned(),
    );
    // The cocoa example builds a processing centre, part of it paid by the institute.
    assert!(builds);
    assert!(codes.contains(&expected), "{codes:?}");
    for code in [
        "formulation-problem-arel_contract_short",
        "formulation-problem-arel_leased_infrastructure",
    ] {
        assert!(codes.iter().any(|(_, c)| c == code), "{code}: {codes:?}");
    }
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_413_in_the_visitors_language() {
    let mut client = Client::with_demo().await;
    client.log_in_as(Role::ProgramOfficer).await;
    let list = client.get("/personal/formulaciones").await;
    let token = Client::csrf_in(&list.body);
    let huge = vec![b'x'; vereda_web::UPLOAD_LIMIT_BYTES + 1024];
    let reply = client
        .post_files(
            "/personal/formulaciones",
            &[("csrf_token", &token)],
            &[("file", "proyecto.toml", &huge)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.body);
    assert!(
        reply.body.contains(r#"data-problem="upload-error-too_large""#),
        "{}",
        reply.body
    );
    assert!(
        client
            .db
            .store
            .formulations(&Default::default())
            .await
            .expect("list")
            .iter()
            .all(|f| f.code == vereda_store::demo::DEMO_FOLLOWED_CODE)
    );
}

/// One status everywhere (issue 18 part 6): the list reads the procedure's state from the
/// records, as the project's own pages do, so the demo's paid project is "disbursed" in the
/// list and a fresh draft "draft" (the formulation's own status would say "approved" for both
/// the viable and the paid one).
#[tokio::test]
async fn the_list_shows_each_formulation_in_the_state_its_own_page_shows() {
    let mut client = Client::with_demo().await;
    let draft = cocoa_draft(&mut client).await;
    let paid = client
        .db
        .store
        .formulation_by_code(vereda_store::demo::DEMO_FOLLOWED_CODE)
        .await
        .expect("read")
        .expect("the demo's paid project")
        .id;
    let list = client.get("/personal/formulaciones").await;
    assert_eq!(list.status, StatusCode::OK);
    for (id, state) in [(paid, "disbursed"), (draft, "draft")] {
        assert!(
            list.body
                .contains(&format!(r#"id="formulation-{id}" data-state="{state}""#)),
            "{id} {state}: {}",
            list.body
        );
    }
    let page = client.get(&format!("/personal/formulaciones/{paid}")).await;
    let disbursed = vereda_messages::Lang::Es.t("procedure-state_disbursed");
    assert!(
        page.body
            .contains(&format!(r#"<span class="tag" id="status">{disbursed}</span>"#)),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_saved_formulation_downloads_as_a_filled_template_that_imports_to_the_same() {
    use support::procedure::{account_id, assign_office, submitted};
    use vereda_documents::formulation_xlsx::read_formulation;
    let mut client = Client::with_demo().await;
    let id = submitted(&client).await;
    let record = client
        .db
        .store
        .formulation(id)
        .await
        .expect("read")
        .expect("saved");
    let latest = record.versions.last().expect("a version").number;
    let saved = client
        .db
        .store
        .formulation_version(id, latest)
        .await
        .expect("read")
        .expect("the version");
    let dir = tempfile::tempdir().expect("temp dir");
    let reimported = |bytes: &[u8], name: &str| -> Formulation {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        read_formulation(&path).expect("the download imports")
    };

    client.log_in_as(Role::ProgramOfficer).await;
    let page = client.get(&format!("/personal/formulaciones/{id}")).await;
    assert!(page.body.contains("id=\"filled-template\""), "{}", page.body);
    let download = client
        .get(&format!("/personal/formulaciones/{id}/plantilla.xlsx"))
        .await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(
        download.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(reimported(&download.bytes, "page.xlsx"), saved);
    let api = client
        .get(&format!(
            "/api/v1/formulations/{id}/template.xlsx?version={latest}"
        ))
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(reimported(&api.bytes, "api.xlsx"), saved);
    assert_eq!(
        client
            .get(&format!("/api/v1/formulations/{id}/template.xlsx?version=999"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Another office's formulation (the cocoa project is in Nariño) is not there.
    let officer = account_id(&client, Role::TerritorialOfficer).await;
    assign_office(&client, officer, "Caquetá").await;
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    for path in [
        format!("/personal/formulaciones/{id}/plantilla.xlsx"),
        format!("/api/v1/formulations/{id}/template.xlsx"),
    ] {
        assert_eq!(client.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Within its office, the same account downloads it.
    assign_office(&client, officer, "Nariño").await;
    client.forget_session();
    client.log_in_as(Role::TerritorialOfficer).await;
    let own = client
        .get(&format!("/api/v1/formulations/{id}/template.xlsx"))
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}
