//! The storage suite: every test runs on SQLite, and on PostgreSQL when
//! `VEREDA_TEST_POSTGRES_URL` is set. Each test gets a database of its own.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sea_orm::ConnectionTrait;
use vereda_domain::accounts::Role;
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::eligibility::{CallLimits, CrossChecks, Household};
use vereda_domain::finance::Formulation;
use vereda_domain::household::{DocumentType, EthnicGroup, LandTenure, ProductiveActivity, Sex, SisbenArea};
use vereda_domain::program::ProgramLine;
use vereda_domain::territory::{DaneCode, DepartmentCode, PovertyIndex};
use vereda_store::accounts::{LoginError, NewAccount};
use vereda_store::audit::AuditQuery;
use vereda_store::formulations::{FormulationQuery, FormulationStatus, NewFormulationDraft, SaveOutcome};
use vereda_store::households::{NewHousehold, NewParcel, NewPerson};
use vereda_store::programs::NewCall;
use vereda_store::screening::{
    CompletedRun, NewScreeningResult, NewScreeningRun, ResultQuery, RunError, RunInput, RunProgress,
    RunStatus, StoredCounts, Submission,
};
use vereda_store::territory::MunicipalityQuery;
use vereda_store::{Store, StoreError, demo};

/// Declares each test once and runs it on both backends.
macro_rules! storage_suite {
    ($(async fn $name:ident($store:ident: &Store) $body:block)*) => {
        $(async fn $name($store: &Store) $body)*

        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = vereda_store::test_support::sqlite().await.expect("a fresh SQLite database");
                    super::$name(&db.store).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = vereda_store::test_support::postgres().await else { return };
                    super::$name(&db.store).await;
                }
            )*
        }
    };
}

fn admin() -> Actor {
    Actor::User {
        id: 1,
        email: "admin@vereda.test".into(),
    }
}

fn account(email: &str, role: Role) -> NewAccount {
    NewAccount {
        email: email.into(),
        display_name: String::new(),
        role,
        password: "una clave larga".into(),
    }
}

fn household(external_id: &str, document: &str) -> NewHousehold {
    let florencia = DaneCode::parse("18001").expect("Florencia");
    NewHousehold {
        call_id: None,
        external_id: external_id.into(),
        municipality: florencia,
        sisben_area: Some(SisbenArea::Rural),
        sisben_score: Some(dec!(19.99)),
        displaced: false,
        ethnic_group: EthnicGroup::None,
        ethnic_community_registered: false,
        program_line: ProgramLine::General,
        members: vec![NewPerson {
            document_type: DocumentType::Cc,
            document: document.into(),
            first_name: "Ana".into(),
            last_name: "Pérez".into(),
            sex: Sex::Female,
            birth_date: Some(jiff::civil::date(1980, 1, 31)),
            is_head: true,
        }],
        parcels: vec![NewParcel {
            municipality: florencia,
            name: "La Esperanza".into(),
            vereda: None,
            land_title_record: Some("420-1".into()),
            area_ha: Some(dec!(12.3456)),
            land_tenure: LandTenure::Owner,
            latitude: None,
            longitude: None,
        }],
    }
}

/// A call to screen households into.
async fn screening_call(store: &Store) -> i32 {
    let program = store
        .create_program(&admin(), "P1", "Programa", "")
        .await
        .expect("program");
    let new = NewCall {
        program_id: program.id,
        code: "C-2013".into(),
        name: "Convocatoria 2013".into(),
        budget_year: 2013,
        budget_cop: dec!(1000000),
        smmlv_cop: None,
        rule_set_id: "incoder-308-2013".into(),
        line: ProgramLine::General,
        territorial_office_ids: vec![],
    };
    store.create_call(&admin(), new).await.expect("call").id
}

fn screening_job(call_id: i32, job_key: &str) -> NewScreeningRun {
    NewScreeningRun {
        call_id,
        rule_set_id: "incoder-308-2013".into(),
        rule_set_hash: "abc123".into(),
        as_of: jiff::civil::date(2013, 6, 1),
        limits: CallLimits::default(),
        keep_going: false,
        job_key: job_key.into(),
        inputs: vec![RunInput {
            kind: "households".into(),
            file_name: "households.csv".into(),
            sha256: "f00".into(),
            bytes: 10,
        }],
    }
}

/// Screened household `n`: eligible at level 1 in Florencia, unless `n` is a multiple of 3
/// (not registered in Sisbén, in San Vicente del Caguán) or of 5 (in the prior-beneficiaries
/// registry, level 2).
fn screened(n: usize) -> NewScreeningResult {
    let sisben = !n.is_multiple_of(3);
    let prior = n.is_multiple_of(5);
    let mut reasons = Vec::new();
    if prior {
        reasons.push("ART10A_PRIOR".to_owned());
    }
    if !sisben {
        reasons.push("ART9A_SISBEN".to_owned());
    }
    let eligible = reasons.is_empty();
    let score = if prior { dec!(25) } else { dec!(15.5) };
    NewScreeningResult {
        external_id: format!("H-{n:05}"),
        line: n as u32 + 2,
        municipality: DaneCode::parse(if sisben { "18001" } else { "18753" }).expect("municipality"),
        household: Household {
            document_type: DocumentType::Cc,
            sex: Sex::Female,
            birth_date: jiff::civil::date(1970, 1, 1),
            head_of_household: true,
            sisben_area: SisbenArea::Rural,
            sisben_score: sisben.then_some(score),
            displaced: false,
            ethnic_group: EthnicGroup::None,
            ethnic_community_registered: false,
            land_tenure: LandTenure::Owner,
            land_restrictions: false,
            productive_activity: ProductiveActivity::Agricultural,
            environmental_restriction: false,
            illicit_activity: false,
            inaccurate_information: false,
            program_line: ProgramLine::General,
            land_contract_end: None,
        },
        checks: CrossChecks {
            registries: if prior { 2 } else { 0 },
            duplicate_document: false,
        },
        found_in: if prior {
            vec!["prior_beneficiaries".to_owned()]
        } else {
            vec![]
        },
        eligible,
        sisben_level: sisben.then_some(if prior { 2 } else { 1 }),
        cofinancing_max_pct: eligible.then_some(dec!(90)),
        cap_smmlv: eligible.then_some(dec!(20)),
        reasons,
        document: format!("1.000.{n:03}"),
        first_name: "Ana".into(),
        last_name: "Pérez".into(),
    }
}

fn completed(results: Vec<NewScreeningResult>) -> CompletedRun {
    let rows = results.len() as u64;
    CompletedRun {
        results,
        errors: vec![],
        error_count: 0,
        progress: RunProgress {
            bytes_read: 100,
            total_bytes: 100,
            rows,
            stored: 0,
        },
    }
}

async fn count_rows(store: &Store, table: &str) -> i64 {
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

/// The worked example of docs/formulation.md.
fn cocoa() -> Formulation {
    toml::from_str(include_str!("../../../examples/cacao-tumaco.toml")).expect("the cocoa example parses")
}

fn draft<'a>(formulation: &'a Formulation, call_id: Option<i32>, note: &str) -> NewFormulationDraft<'a> {
    NewFormulationDraft {
        formulation,
        call_id,
        note: Some(note.into()),
        viable: Some(false),
        irr: Some("0.2113".into()),
        rule_set_id: "incoder-308-2013".into(),
        rule_set_hash: Some("ab".repeat(32)),
    }
}

storage_suite! {
    async fn migrations_load_the_reference_data(store: &Store) {
        assert_eq!(store.pending_migrations().await.expect("pending"), 0);
        assert_eq!(store.departments().await.expect("departments").len(), 33);
        assert_eq!(store.pdet_subregions().await.expect("subregions").len(), 16);
        let all = store.municipalities(&MunicipalityQuery::default()).await.expect("municipalities");
        assert_eq!(all.len(), 1122);
        assert_eq!(all.iter().filter(|m| m.pdet_subregion.is_some()).count(), 170);
        assert_eq!(all.iter().filter(|m| m.ipm.is_some()).count(), 76);
        assert_eq!(store.minimum_wage(2013).await.expect("smmlv"), Some(dec!(589500)));
        assert_eq!(store.minimum_wage(2026).await.expect("smmlv"), Some(dec!(1750905)));
    }

    async fn migrating_twice_changes_nothing(store: &Store) {
        store.migrate().await.expect("second migration");
        assert_eq!(store.departments().await.expect("departments").len(), 33);
    }

    async fn municipalities_filter_by_department_subregion_and_name(store: &Store) {
        let caqueta = MunicipalityQuery { department_code: Some("18".into()), ..Default::default() };
        assert_eq!(store.municipalities(&caqueta).await.expect("list").len(), 16);

        let subregions = store.pdet_subregions().await.expect("subregions");
        let putumayo = subregions.iter().find(|s| s.name == "Putumayo").expect("Putumayo subregion");
        let query = MunicipalityQuery { pdet_subregion_id: Some(putumayo.id), ..Default::default() };
        assert_eq!(store.municipalities(&query).await.expect("list").len(), 9);

        let query = MunicipalityQuery { text: Some("caguan".into()), ..Default::default() };
        let found = store.municipalities(&query).await.expect("list");
        assert_eq!(found.iter().map(|m| m.dane_code.as_str()).collect::<Vec<_>>(), ["18753"]);
        assert_eq!(found[0].pdet_subregion.as_deref(), Some("Cuenca del Caguán y Piedemonte Caqueteño"));

        let query = MunicipalityQuery { pdet_only: true, text: Some("TUMACO".into()), ..Default::default() };
        assert_eq!(store.municipalities(&query).await.expect("list").len(), 1);
    }

    async fn decimals_come_back_exact(store: &Store) {
        let florencia = DaneCode::parse("18001").expect("Florencia");
        let precise = PovertyIndex::new(dec!(33.123456), Some(dec!(0.000001)), None).expect("index");
        store.import_poverty(&admin(), &[(florencia, precise)], 2018, "test").await.expect("import");
        let row = store.municipality(florencia).await.expect("read").expect("Florencia");
        let ipm = row.ipm.expect("IPM");
        assert_eq!(ipm.total, dec!(33.123456));
        assert_eq!(ipm.urban, Some(dec!(0.000001)));
        assert_eq!(ipm.rural, None);
    }

    async fn poverty_import_counts_changes_and_audits_them(store: &Store) {
        let mocoa = DaneCode::parse("86001").expect("Mocoa");
        let medellin = DaneCode::parse("05001").expect("Medellín");
        let cali = DaneCode::parse("76001").expect("Cali");
        let before = store.municipality(mocoa).await.expect("read").expect("Mocoa").ipm.expect("shipped IPM");
        let same = PovertyIndex::new(before.total, before.urban, before.rural).expect("index");
        let medellin_before = store.municipality(medellin).await.expect("read").expect("Medellín").ipm.expect("IPM");
        let changed = PovertyIndex::new(medellin_before.total + Decimal::ONE, None, None).expect("index");
        let new = PovertyIndex::new(dec!(11.9), Some(dec!(10.1)), Some(dec!(30.5))).expect("index");
        let summary = store
            .import_poverty(&admin(), &[(mocoa, same), (medellin, changed), (cali, new)], 2018, "DANE 2018 (test)")
            .await
            .expect("import");
        assert_eq!((summary.inserted, summary.updated), (1, 2), "Mocoa changes its source only");
        let entries = store
            .audit_entries(&AuditQuery { entity: Some("municipal_poverty".into()), entity_id: Some("05001".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, AuditAction::Update);
        assert_eq!(entries[0].actor, "admin@vereda.test");
        assert!(entries[0].before.is_some() && entries[0].after.is_some());
    }

    async fn accounts_authenticate_and_refuse_duplicates(store: &Store) {
        let created = store.create_account(&admin(), account("Ana@Agencia.gov.co", Role::TerritorialOfficer)).await.expect("create");
        assert_eq!(created.email, "ana@agencia.gov.co");
        assert_eq!(created.display_name, "ana");
        let duplicate = store.create_account(&admin(), account("ana@agencia.gov.co", Role::Admin)).await;
        assert!(matches!(duplicate, Err(StoreError::DuplicateEmail(ref e)) if e == "ana@agencia.gov.co"), "{duplicate:?}");

        let ok = store.authenticate(" ANA@agencia.gov.co", "una clave larga").await.expect("query");
        assert_eq!(ok.map(|a| a.role), Ok(Role::TerritorialOfficer));
        let wrong = store.authenticate("ana@agencia.gov.co", "otra clave larga").await.expect("query");
        assert_eq!(wrong, Err(LoginError::WrongCredentials));
        let unknown = store.authenticate("nadie@agencia.gov.co", "una clave larga").await.expect("query");
        assert_eq!(unknown, Err(LoginError::WrongCredentials));
    }

    async fn accounts_reject_bad_input(store: &Store) {
        let bad_email = store.create_account(&admin(), account("ana", Role::Admin)).await;
        assert!(matches!(bad_email, Err(StoreError::Invalid(ref m)) if m.contains("not an e-mail")), "{bad_email:?}");
        let mut short = account("ana@agencia.gov.co", Role::Admin);
        short.password = "corta".into();
        assert!(matches!(store.create_account(&admin(), short).await, Err(StoreError::Invalid(_))));
        assert!(store.accounts().await.expect("list").is_empty());
    }

    async fn password_hashes_are_argon2id(store: &Store) {
        store.create_account(&admin(), account("ana@agencia.gov.co", Role::Admin)).await.expect("create");
        let row = vereda_store::entity::user::Entity::find().one(store.connection()).await.expect("read").expect("row");
        assert!(row.password_hash.starts_with("$argon2id$"), "{}", row.password_hash);
        assert!(!row.password_hash.contains("una clave larga"));
        let audit = store.audit_entries(&AuditQuery { entity: Some("users".into()), ..Default::default() }).await.expect("audit");
        let after = audit[0].after.as_ref().expect("after").to_string();
        assert!(!after.contains("una clave larga"));
    }

    async fn every_change_is_audited_with_before_and_after(store: &Store) {
        let florencia = DaneCode::parse("18001").expect("Florencia");
        let first = store.import_poverty(&admin(), &[(florencia, PovertyIndex::new(dec!(40), None, None).expect("index"))], 2018, "a").await.expect("import");
        assert_eq!(first.updated, 1);
        store.import_poverty(&admin(), &[(florencia, PovertyIndex::new(dec!(41), None, None).expect("index"))], 2018, "b").await.expect("import");
        let entries = store
            .audit_entries(&AuditQuery { entity: Some("municipal_poverty".into()), entity_id: Some("18001".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 2, "newest first");
        let newest = &entries[0];
        assert_eq!(newest.before.as_ref().and_then(|v| v["total"].as_str()), Some("40"));
        assert_eq!(newest.after.as_ref().and_then(|v| v["total"].as_str()), Some("41"));
        assert!(entries[0].id > entries[1].id);
    }

    async fn the_audit_log_refuses_updates_and_deletes(store: &Store) {
        store.create_account(&admin(), account("ana@agencia.gov.co", Role::Admin)).await.expect("create");
        let db = store.connection();
        for statement in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"] {
            let error = db.execute_unprepared(statement).await.expect_err("the log is append-only");
            assert!(error.to_string().contains("audit_log is append-only"), "{statement}: {error}");
        }
        let entries = store.audit_entries(&AuditQuery::default()).await.expect("audit");
        assert!(entries.iter().any(|e| e.actor == "admin@vereda.test"));
    }

    async fn households_store_members_and_parcels_atomically(store: &Store) {
        let stored = store.create_household(&admin(), household("H-1", "001.234.567")).await.expect("create");
        assert_eq!((stored.members, stored.parcels), (1, 1));
        assert_eq!(stored.head_name, "Ana Pérez");
        assert_eq!(stored.sisben_score, Some(dec!(19.99)));
        let person = vereda_store::entity::person::Entity::find().one(store.connection()).await.expect("read").expect("row");
        assert_eq!(person.document_key, "1234567");
        assert_eq!(person.birth_date.map(|d| d.0), Some(jiff::civil::date(1980, 1, 31)));

        // A household whose second parcel names a municipality that is not stored fails whole.
        let mut broken = household("H-2", "7654321");
        broken.members.push(broken.members[0].clone());
        let error = store.create_household(&admin(), broken).await.expect_err("two heads");
        assert!(error.to_string().contains("exactly one head"), "{error}");
        assert_eq!(store.households(None).await.expect("list").len(), 1);
    }

    async fn a_failed_household_leaves_nothing_behind(store: &Store) {
        let program = store.create_program(&admin(), "P1", "Programa", "").await.expect("program");
        let new_call = NewCall {
            program_id: program.id,
            code: "C-2013".into(),
            name: "Convocatoria 2013".into(),
            budget_year: 2013,
            budget_cop: dec!(1000000),
            smmlv_cop: None,
            rule_set_id: "incoder-308-2013".into(),
            line: ProgramLine::General,
            territorial_office_ids: vec![],
        };
        let call = store.create_call(&admin(), new_call).await.expect("call");
        let mut first = household("H-1", "1");
        first.call_id = Some(call.id);
        store.create_household(&admin(), first).await.expect("create");
        let count_persons = || async { vereda_store::entity::person::Entity::find().all(store.connection()).await.expect("read").len() };
        let count_audit = || async { store.audit_entries(&AuditQuery { limit: 1000, ..Default::default() }).await.expect("audit").len() };
        let (persons_before, audit_before) = (count_persons().await, count_audit().await);

        let mut duplicate = household("H-1", "2");
        duplicate.call_id = Some(call.id);
        let refused = store.create_household(&admin(), duplicate).await;
        assert!(matches!(refused, Err(StoreError::Duplicate { ref id, .. }) if id == "H-1"), "{refused:?}");
        let mut unknown_call = household("H-9", "9");
        unknown_call.call_id = Some(999);
        assert!(store.create_household(&admin(), unknown_call).await.is_err(), "unknown call");

        assert_eq!(count_persons().await, persons_before);
        assert_eq!(count_audit().await, audit_before);
    }

    async fn calls_take_the_smmlv_of_their_year(store: &Store) {
        let program = store.create_program(&admin(), "P1", "Programa", "").await.expect("program");
        let office = store
            .create_territorial_office(&admin(), "Dirección Territorial Caquetá", DepartmentCode::parse("18").expect("18"))
            .await
            .expect("office");
        let new = NewCall {
            program_id: program.id,
            code: "C-2013".into(),
            name: "Convocatoria 2013".into(),
            budget_year: 2013,
            budget_cop: dec!(1000000000.50),
            smmlv_cop: None,
            rule_set_id: "incoder-308-2013".into(),
            line: ProgramLine::General,
            territorial_office_ids: vec![office.id],
        };
        let call = store.create_call(&admin(), new.clone()).await.expect("call");
        assert_eq!(call.smmlv_cop, dec!(589500));
        assert_eq!(call.budget_cop, dec!(1000000000.50));
        assert_eq!(call.territorial_offices, ["Dirección Territorial Caquetá"]);
        let again = store.create_call(&admin(), new.clone()).await;
        assert!(matches!(again, Err(StoreError::Duplicate { .. })), "{again:?}");
        let unknown_year = NewCall { code: "C-1990".into(), budget_year: 1990, ..new.clone() };
        assert!(matches!(store.create_call(&admin(), unknown_year).await, Err(StoreError::Invalid(_))));
        let unknown_office = NewCall { code: "C-X".into(), territorial_office_ids: vec![999], ..new };
        assert!(matches!(store.create_call(&admin(), unknown_office).await, Err(StoreError::NotFound { .. })));
        assert_eq!(store.calls().await.expect("calls").len(), 1, "failed calls leave nothing");
    }

    async fn sessions_expire(store: &Store) {
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
        let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
        store.save_session("live", "{\"a\":1}", later).await.expect("save");
        store.save_session("live", "{\"a\":2}", later).await.expect("replace");
        store.save_session("dead", "{}", earlier).await.expect("save");
        assert_eq!(store.load_session("live").await.expect("load").as_deref(), Some("{\"a\":2}"));
        assert_eq!(store.load_session("dead").await.expect("load"), None);
        assert_eq!(store.delete_expired_sessions().await.expect("sweep"), 1);
        store.delete_session("live").await.expect("delete");
        assert!(!store.session_exists("live").await.expect("exists"));
    }

    async fn the_demo_reproduces_the_project_card(store: &Store) {
        let first = demo::seed(store).await.expect("seed");
        assert!(first.created);
        assert!(!demo::seed(store).await.expect("seed again").created, "seeding twice changes nothing");
        assert_eq!(store.accounts().await.expect("accounts").len(), 8);
        let calls = store.calls().await.expect("calls");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].territorial_offices.len(), 3);
        assert_eq!(calls[0].households, 9);

        let card = store.project_card(demo::DEMO_PROJECT_CODE).await.expect("read").expect("card");
        assert_eq!(card.title, "Implementation of PDET Productive Routes for Stabilization");
        assert_eq!(card.period_start, jiff::civil::date(2020, 7, 18));
        assert_eq!(card.period_end, jiff::civil::date(2024, 12, 22));
        assert_eq!(card.specific_objectives.len(), 5);
        assert_eq!(card.partners.len(), 7);
        assert_eq!(card.totals.get(&vereda_domain::money::Currency::Eur), Some(&dec!(22500000)));
        assert_eq!(card.indicators.len(), 12);
        let advance: Vec<(i32, Option<u32>)> = card.indicators.iter().map(|i| (i.number, i.advance_percent)).collect();
        assert_eq!(advance[0], (1, Some(33)));
        assert_eq!(advance[2], (3, Some(14)));
        assert_eq!(advance[3], (4, Some(47)));
        assert_eq!(advance[4], (5, Some(44)));
        assert_eq!(advance[5], (6, Some(12)));
        assert_eq!(card.indicators[11].last_update, Some(jiff::civil::date(2022, 6, 30)));
        assert_eq!(card.indicators[2].current_value, dec!(13.2));
        assert!(card.municipalities.contains(&"52835".to_owned()));
    }

    async fn a_screening_run_stores_its_results_against_the_calls_households(store: &Store) {
        let call_id = screening_call(store).await;
        let (run, submission) = store.submit_screening_run(&admin(), screening_job(call_id, "key-1")).await.expect("submit");
        assert_eq!((run.status, submission), (RunStatus::Queued, Submission::Queued));
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let reported = std::sync::Mutex::new(Vec::new());
        let results: Vec<NewScreeningResult> = (1..=1200).map(screened).collect();
        let (done, counts) = store
            .complete_screening_run(&admin(), run.id, completed(results), &|n| reported.lock().expect("lock").push(n))
            .await
            .expect("complete");
        assert_eq!(*reported.lock().expect("lock"), [500, 1000, 1200], "progress after each batch");
        assert_eq!(done.status, RunStatus::Succeeded);
        assert_eq!(done.households_total, 1200);
        assert_eq!(done.eligible_total, 640, "neither a multiple of 3 nor of 5");
        assert_eq!(done.progress.stored, 1200);
        assert!(done.finished_at.is_some());
        assert_eq!((counts.households_created, counts.results_created), (1200, 1200));
        assert_eq!(store.households(Some(call_id)).await.expect("households").len(), 1200);

        let stored = store.households(Some(call_id)).await.expect("households");
        let first = stored.iter().find(|h| h.external_id == "H-00001").expect("H-00001");
        assert_eq!(first.head_document, "1.000.001", "persons keep the full document");
        assert_eq!(first.head_name, "Ana Pérez");
        let screening = store.household_screening(first.id).await.expect("read").expect("screened");
        assert_eq!(screening.head_document_masked, "••••001");
        assert_eq!(screening.household, screened(1).household, "the facts come back as they were");
        assert_eq!(screening.rule_set_hash, "abc123");
        assert_eq!(screening.as_of, jiff::civil::date(2013, 6, 1));
        let prior = stored.iter().find(|h| h.external_id == "H-00005").expect("H-00005");
        let prior = store.household_screening(prior.id).await.expect("read").expect("screened");
        assert_eq!(prior.checks, CrossChecks { registries: 2, duplicate_document: false });
        assert_eq!(prior.found_in, ["prior_beneficiaries"]);
        assert_eq!(prior.reasons, ["ART10A_PRIOR"]);
        assert_eq!(prior.cofinancing_max_pct, None);

        let counts = store.screening_counts(run.id).await.expect("counts");
        assert_eq!((counts.households, counts.eligible), (1200, 640));
        assert_eq!(counts.by_reason.get("ART9A_SISBEN"), Some(&400));
        assert_eq!(counts.by_reason.get("ART10A_PRIOR"), Some(&240));
        assert_eq!(counts.by_municipality.get("18753").map(|c| (c.households, c.eligible)), Some((400, 0)));
        assert_eq!(counts.by_municipality.get("18001").map(|c| (c.households, c.eligible)), Some((800, 640)));
        assert_eq!(counts.by_sisben_level.get(&None).map(|c| c.households), Some(400));
        assert_eq!(counts.by_sisben_level.get(&Some(2)).map(|c| c.households), Some(160));

        let query = |reason: Option<&str>, municipality: Option<&str>, level: Option<Option<u8>>| ResultQuery {
            run_id: run.id,
            reason: reason.map(str::to_owned),
            municipality_code: municipality.map(str::to_owned),
            sisben_level: level,
            ..Default::default()
        };
        let page = store.screening_results(&query(None, None, None)).await.expect("page");
        assert_eq!((page.total, page.rows.len()), (1200, 50));
        assert_eq!(page.rows[0].external_id, "H-00001", "input order");
        assert_eq!(page.rows[0].cofinancing_max_pct, Some(dec!(90)));
        let prior_only = store.screening_results(&query(Some("ART10A_PRIOR"), None, None)).await.expect("page");
        assert_eq!(prior_only.total, 240);
        assert!(prior_only.rows.iter().all(|r| r.reasons.contains(&"ART10A_PRIOR".to_owned())));
        let both = store.screening_results(&query(Some("ART10A_PRIOR"), Some("18753"), None)).await.expect("page");
        assert_eq!(both.total, 80, "multiples of 15");
        assert_eq!(both.rows[0].reasons, ["ART10A_PRIOR", "ART9A_SISBEN"]);
        let wildcard = store.screening_results(&query(Some("ART10A%"), None, None)).await.expect("page");
        assert_eq!(wildcard.total, 0, "codes match exactly");
        let level_2 = store.screening_results(&query(None, None, Some(Some(2)))).await.expect("page");
        assert_eq!(level_2.total, 160);
        let no_level = store.screening_results(&query(None, None, Some(None))).await.expect("page");
        assert_eq!(no_level.total, 400);
        let next = store.screening_results(&ResultQuery { offset: 1150, ..query(None, None, None) }).await.expect("page");
        assert_eq!(next.rows.len(), 50);
        assert_eq!(next.rows[49].external_id, "H-01200");
        let all = store.all_screening_results(run.id).await.expect("all");
        assert_eq!(all.len(), 1200);
        assert_eq!(all[4].reasons, ["ART10A_PRIOR"]);

        let audited = store
            .audit_entries(&AuditQuery { entity: Some("screening_results".into()), limit: 1000, ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 1000, "every result is audited");
        assert_eq!(audited[0].actor, "admin@vereda.test");
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'persons'").await, 1200);
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'screening_runs'").await, 3, "queued, running, succeeded");
    }

    async fn screening_caps_read_the_calls_results_by_household_id(store: &Store) {
        let call_id = screening_call(store).await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "caps")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let results: Vec<NewScreeningResult> = (1..=6).map(screened).collect();
        store.complete_screening_run(&admin(), run.id, completed(results), &|_| {}).await.expect("complete");
        let ids: Vec<String> = ["H-00001", "H-00003", "H-00005", "H-99999"].iter().map(|s| (*s).to_owned()).collect();
        let caps = store.screening_caps(call_id, &ids).await.expect("caps");
        assert_eq!(caps.len(), 3, "the unscreened id is absent: {caps:?}");
        let first = &caps["H-00001"];
        assert!(first.eligible);
        assert_eq!((first.cofinancing_max_pct, first.cap_smmlv), (Some(dec!(90)), Some(dec!(20))));
        assert_eq!(first.reasons, "");
        let third = &caps["H-00003"];
        assert!(!third.eligible);
        assert_eq!((third.cofinancing_max_pct, third.cap_smmlv), (None, None));
        assert_eq!(third.reasons, "ART9A_SISBEN");
        assert_eq!(caps["H-00005"].reasons, "ART10A_PRIOR");
        assert!(store.screening_caps(call_id + 1, &ids).await.expect("caps").is_empty(), "another call");
        assert!(store.screening_caps(call_id, &[]).await.expect("caps").is_empty());
    }

    async fn the_same_job_reuses_its_run_and_a_new_one_updates_without_duplicates(store: &Store) {
        let call_id = screening_call(store).await;
        let (first, _) = store.submit_screening_run(&admin(), screening_job(call_id, "key-1")).await.expect("submit");
        store.complete_screening_run(&admin(), first.id, completed((1..=30).map(screened).collect()), &|_| {}).await.expect("complete");
        let (again, submission) = store.submit_screening_run(&admin(), screening_job(call_id, "key-1")).await.expect("submit");
        assert_eq!((again.id, again.status, submission), (first.id, RunStatus::Succeeded, Submission::Reused));

        // Another job over the same households, one of them changed and one more.
        let (second, submission) = store.submit_screening_run(&admin(), screening_job(call_id, "key-2")).await.expect("submit");
        assert_eq!(submission, Submission::Queued);
        let mut results: Vec<NewScreeningResult> = (1..=31).map(screened).collect();
        results[0].household.displaced = true;
        results[0].first_name = "Ana María".into();
        let audit_before = count_rows(store, "audit_log WHERE entity = 'households'").await;
        let (_, counts) = store.complete_screening_run(&admin(), second.id, completed(results), &|_| {}).await.expect("complete");
        assert_eq!(counts, StoredCounts { households_created: 1, households_updated: 1, results_created: 1, results_updated: 30 });
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'households'").await, audit_before + 2, "unchanged households are not rewritten");
        assert_eq!(count_rows(store, "households").await, 31);
        assert_eq!(count_rows(store, "persons").await, 31);
        assert_eq!(count_rows(store, "screening_results").await, 31);
        let households = store.households(Some(call_id)).await.expect("households");
        let changed = households.iter().find(|h| h.external_id == "H-00001").expect("H-00001");
        assert!(changed.displaced);
        assert_eq!(changed.head_name, "Ana María Pérez");
        assert_eq!(store.screening_results(&ResultQuery { run_id: first.id, ..Default::default() }).await.expect("page").total, 0, "the later run holds them");
        assert_eq!(store.screening_results(&ResultQuery { run_id: second.id, ..Default::default() }).await.expect("page").total, 31);
        assert_eq!(store.screening_runs(call_id).await.expect("runs").iter().map(|r| r.id).collect::<Vec<_>>(), [second.id, first.id]);
    }

    async fn a_failed_run_stores_its_errors_and_nothing_else(store: &Store) {
        let call_id = screening_call(store).await;
        let households_before = count_rows(store, "households").await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "key-bad")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let errors: Vec<RunError> = (0..150)
            .map(|i| RunError { file: "households.csv".into(), line: i + 2, column: "sisben_score".into(), value: "x".into(), message: "not a number".into() })
            .collect();
        let failed = store
            .fail_screening_run(&admin(), run.id, None, &errors, 150, RunProgress { bytes_read: 10, total_bytes: 10, rows: 150, stored: 0 })
            .await
            .expect("fail");
        assert_eq!(failed.status, RunStatus::Failed);
        assert_eq!(failed.error_count, 150);
        assert_eq!(failed.errors.len(), 100, "the first hundred are kept");
        assert_eq!(failed.errors[0].line, 2);
        assert_eq!(count_rows(store, "households").await, households_before);
        assert_eq!(count_rows(store, "screening_results").await, 0);

        // The same job again is queued again rather than reused.
        let (retried, submission) = store.submit_screening_run(&admin(), screening_job(call_id, "key-bad")).await.expect("submit");
        assert_eq!((retried.id, retried.status, submission), (run.id, RunStatus::Queued, Submission::Retried));
        assert!(retried.errors.is_empty());

        // A result set that names a household twice is refused whole.
        let twice = completed(vec![screened(1), screened(1)]);
        let refused = store.complete_screening_run(&admin(), run.id, twice, &|_| {}).await;
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
        assert_eq!(count_rows(store, "screening_results").await, 0);

        // A process that stops leaves its runs failed, not running forever.
        store.start_screening_run(&admin(), run.id).await.expect("start");
        assert_eq!(store.fail_interrupted_screening_runs(&Actor::system("serve"), "interrupted").await.expect("sweep"), 1);
        let swept = store.screening_run(run.id).await.expect("read").expect("run");
        assert_eq!((swept.status, swept.failure.as_deref()), (RunStatus::Failed, Some("interrupted")));
        assert!(matches!(
            store.submit_screening_run(&admin(), screening_job(999, "k")).await,
            Err(StoreError::NotFound { .. })
        ));
    }

    async fn a_draft_is_saved_and_replaced_in_place(store: &Store) {
        let call_id = screening_call(store).await;
        let cocoa = cocoa();
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, Some(call_id), "first")).await.expect("save");
        assert_eq!((saved.version, saved.outcome), (1, SaveOutcome::Created));

        let mut edited = cocoa.clone();
        edited.frame.title = "Cacao y plátano en Tumaco".into();
        let again = store.save_formulation_draft(&admin(), draft(&edited, None, "second")).await.expect("save");
        assert_eq!((again.id, again.version, again.outcome), (saved.id, 1, SaveOutcome::Replaced));

        let record = store.formulation(saved.id).await.expect("read").expect("formulation");
        assert_eq!(record.formulation.status, FormulationStatus::Draft);
        assert_eq!(record.formulation.call_id, Some(call_id), "the call is kept");
        assert_eq!(record.formulation.title, "Cacao y plátano en Tumaco");
        assert_eq!(record.versions.len(), 1);
        assert_eq!(record.versions[0].note.as_deref(), Some("second"));
        assert_eq!(record.versions[0].viable, Some(false));
        assert_eq!(record.versions[0].content_sha256.len(), 64);
        assert_eq!(store.formulation_version(saved.id, 1).await.expect("read"), Some(edited));
        assert_eq!(count_rows(store, "formulation_versions").await, 1);

        // Another call is refused; an unknown call too.
        assert!(matches!(
            store.save_formulation_draft(&admin(), draft(&cocoa, Some(999), "x")).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.formulation(999).await.expect("read").is_none());
        assert!(store.formulation_version(saved.id, 2).await.expect("read").is_none());
    }

    async fn saving_after_a_submission_keeps_every_version(store: &Store) {
        let cocoa = cocoa();
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, None, "v1")).await.expect("save");
        let submitted = store.submit_formulation(&admin(), saved.id).await.expect("submit");
        assert_eq!(submitted.status, FormulationStatus::Submitted);
        assert!(matches!(store.submit_formulation(&admin(), saved.id).await, Err(StoreError::Invalid(_))));

        // The committee returns it; the corrected project is a new version.
        let returned = store
            .return_formulation_to_formulator(&admin(), saved.id, "Falta el plan de manejo ambiental")
            .await
            .expect("return");
        assert_eq!(returned.status, FormulationStatus::Returned);
        assert_eq!(returned.return_reason.as_deref(), Some("Falta el plan de manejo ambiental"));
        let mut corrected = cocoa.clone();
        corrected.frame.components.environmental.prevention_measures = "Medidas de prevención corregidas".into();
        let second = store.save_formulation_draft(&admin(), draft(&corrected, None, "v2")).await.expect("save");
        assert_eq!((second.id, second.version, second.outcome), (saved.id, 2, SaveOutcome::NewVersion));

        // Version 2 is a draft again, edited in place; version 1 stays as it was.
        corrected.frame.components.environmental.prevention_measures = "Medidas de prevención corregidas y firmadas".into();
        let third = store.save_formulation_draft(&admin(), draft(&corrected, None, "v2 bis")).await.expect("save");
        assert_eq!((third.version, third.outcome), (2, SaveOutcome::Replaced));
        assert_eq!(store.formulation_version(saved.id, 1).await.expect("read"), Some(cocoa.clone()));
        assert_eq!(store.formulation_version(saved.id, 2).await.expect("read"), Some(corrected.clone()));
        let record = store.formulation(saved.id).await.expect("read").expect("formulation");
        assert_eq!(record.formulation.status, FormulationStatus::Draft);
        let notes: Vec<_> = record.versions.iter().map(|v| (v.number, v.note.as_deref())).collect();
        assert_eq!(notes, [(1, Some("v1")), (2, Some("v2 bis"))]);
        assert_ne!(record.versions[0].content_sha256, record.versions[1].content_sha256);

        // Submitted, then saved: a new version straight away.
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        corrected.frame.title = "Cacao agroforestal".into();
        let fourth = store.save_formulation_draft(&admin(), draft(&corrected, None, "v3")).await.expect("save");
        assert_eq!((fourth.version, fourth.outcome), (3, SaveOutcome::NewVersion));

        // An approved formulation is not changed.
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        store.approve_formulation(&admin(), saved.id).await.expect("approve");
        corrected.frame.title = "Otro".into();
        assert!(matches!(
            store.save_formulation_draft(&admin(), draft(&corrected, None, "v4")).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(count_rows(store, "formulation_versions").await, 3);
    }

    async fn identical_content_saves_no_version(store: &Store) {
        let cocoa = cocoa();
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, None, "v1")).await.expect("save");
        let audit_before = count_rows(store, "audit_log").await;
        let same = store.save_formulation_draft(&admin(), draft(&cocoa, None, "other note")).await.expect("save");
        assert_eq!((same.id, same.version, same.outcome), (saved.id, 1, SaveOutcome::Unchanged));
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        let after_submit = count_rows(store, "audit_log").await;
        assert_eq!(after_submit, audit_before + 1, "the no-op save audits nothing");
        let same = store.save_formulation_draft(&admin(), draft(&cocoa, None, "again")).await.expect("save");
        assert_eq!((same.version, same.outcome), (1, SaveOutcome::Unchanged));
        let record = store.formulation(saved.id).await.expect("read").expect("formulation");
        assert_eq!(record.formulation.status, FormulationStatus::Submitted, "still submitted");
        assert_eq!(record.versions.len(), 1);
        assert_eq!(record.versions[0].note.as_deref(), Some("v1"));
        assert_eq!(count_rows(store, "audit_log").await, after_submit);
    }

    async fn a_formulation_round_trips(store: &Store) {
        let cocoa = cocoa();
        assert!(!cocoa.budget.is_empty() && !cocoa.production.is_empty());
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, None, "v1")).await.expect("save");
        let read = store.formulation_version(saved.id, 1).await.expect("read").expect("version");
        assert_eq!(read, cocoa);
        assert_eq!(serde_json::to_string(&read).expect("json"), serde_json::to_string(&cocoa).expect("json"));

        // A corrupt row is an error, not a panic.
        store
            .connection()
            .execute_unprepared("UPDATE formulation_versions SET content = '{\"frame\": 1}'")
            .await
            .expect("corrupt it");
        assert!(matches!(store.formulation_version(saved.id, 1).await, Err(StoreError::Corrupt(_))));
    }

    async fn formulations_list_by_call_and_status(store: &Store) {
        let call_id = screening_call(store).await;
        let mut ids = Vec::new();
        for (code, call) in [("P-1", Some(call_id)), ("P-2", Some(call_id)), ("P-3", None)] {
            let mut project = cocoa();
            project.frame.code = code.into();
            ids.push(store.save_formulation_draft(&admin(), draft(&project, call, code)).await.expect("save").id);
        }
        store.submit_formulation(&admin(), ids[1]).await.expect("submit");
        store.submit_formulation(&admin(), ids[2]).await.expect("submit");
        let codes = |list: Vec<vereda_store::formulations::FormulationSummary>| {
            list.into_iter().map(|f| f.code).collect::<Vec<_>>()
        };
        let all = store.formulations(&FormulationQuery::default()).await.expect("list");
        assert_eq!(codes(all), ["P-1", "P-2", "P-3"]);
        let submitted = FormulationQuery { status: Some(FormulationStatus::Submitted), ..Default::default() };
        assert_eq!(codes(store.formulations(&submitted).await.expect("list")), ["P-2", "P-3"]);
        let of_call = FormulationQuery { call_id: Some(call_id), status: Some(FormulationStatus::Submitted) };
        assert_eq!(codes(store.formulations(&of_call).await.expect("list")), ["P-2"]);
        let drafts = FormulationQuery { call_id: Some(call_id), status: Some(FormulationStatus::Draft) };
        assert_eq!(codes(store.formulations(&drafts).await.expect("list")), ["P-1"]);
    }

    async fn formulation_changes_are_audited(store: &Store) {
        let cocoa = cocoa();
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, None, "v1")).await.expect("save");
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        store.return_formulation_to_formulator(&admin(), saved.id, "Corregir el flujo").await.expect("return");
        assert!(matches!(
            store.return_formulation_to_formulator(&admin(), saved.id, "otra vez").await,
            Err(StoreError::Invalid(_))
        ));
        let mut corrected = cocoa.clone();
        corrected.frame.horizon_years += 1;
        store.save_formulation_draft(&admin(), draft(&corrected, None, "v2")).await.expect("save");

        let query = AuditQuery { entity: Some("formulations".into()), entity_id: Some(saved.id.to_string()), ..Default::default() };
        let entries = store.audit_entries(&query).await.expect("audit");
        let actions: Vec<_> = entries.iter().rev().map(|e| e.action).collect();
        assert_eq!(actions, [AuditAction::Create, AuditAction::Update, AuditAction::Update, AuditAction::Update]);
        let statuses: Vec<_> = entries
            .iter()
            .rev()
            .map(|e| e.after.as_ref().and_then(|a| a["status"].as_str().map(str::to_owned)).unwrap_or_default())
            .collect();
        assert_eq!(statuses, ["draft", "submitted", "returned", "draft"]);
        assert_eq!(entries[1].after.as_ref().expect("after")["return_reason"], "Corregir el flujo");
        assert!(entries.iter().all(|e| e.actor == "admin@vereda.test"));

        let query = AuditQuery { entity: Some("formulation_versions".into()), ..Default::default() };
        let versions = store.audit_entries(&query).await.expect("audit");
        assert_eq!(versions.len(), 2);
        assert!(versions.iter().all(|e| e.action == AuditAction::Create));
    }
}

use sea_orm::EntityTrait;

/// Says whether the PostgreSQL half of this suite runs here, and why not.
#[test]
fn postgres_suite_status() {
    match vereda_store::test_support::postgres_unavailable_reason() {
        None => println!(
            "the PostgreSQL suite runs against {}",
            vereda_store::test_support::POSTGRES_URL_VAR
        ),
        Some(reason) => {
            assert!(
                !vereda_store::test_support::postgres_required(),
                "the PostgreSQL suite is required but {reason}"
            );
            println!("skipped the PostgreSQL suite: {reason}");
        }
    }
}

/// The time to store a 40,000-household run (results, households, heads and their audit
/// entries, in one transaction). Run with `--ignored --nocapture` to see it.
#[tokio::test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
async fn storing_40000_results_takes() {
    async fn measure(store: &Store, backend: &str) {
        let call_id = screening_call(store).await;
        let (run, _) = store
            .submit_screening_run(&admin(), screening_job(call_id, "big"))
            .await
            .expect("submit");
        let results: Vec<NewScreeningResult> = (1..=40_000).map(screened).collect();
        let started = std::time::Instant::now();
        store
            .complete_screening_run(&admin(), run.id, completed(results), &|_| {})
            .await
            .expect("complete");
        let first = started.elapsed();
        let (again, _) = store
            .submit_screening_run(&admin(), screening_job(call_id, "big-again"))
            .await
            .expect("submit");
        let mut results: Vec<NewScreeningResult> = (1..=40_000).map(screened).collect();
        for result in results.iter_mut().step_by(10) {
            result.household.displaced = true;
        }
        let started = std::time::Instant::now();
        store
            .complete_screening_run(&admin(), again.id, completed(results), &|_| {})
            .await
            .expect("complete");
        println!(
            "{backend}: 40,000 new results stored in {first:?}; stored again (10 % changed) in {:?}",
            started.elapsed()
        );
        assert_eq!(count_rows(store, "screening_results").await, 40_000);
    }
    let db = vereda_store::test_support::sqlite().await.expect("database");
    measure(&db.store, "SQLite").await;
    if let Some(db) = vereda_store::test_support::postgres().await {
        measure(&db.store, "PostgreSQL").await;
    }
}
