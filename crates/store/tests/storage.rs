//! The storage suite: every test runs on SQLite, and on PostgreSQL when
//! `VEREDA_TEST_POSTGRES_URL` is set. Each test gets a database of its own.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sea_orm::ConnectionTrait;
use vereda_domain::accounts::{Reach, Role};
use vereda_domain::audit::{Actor, AuditAction};
use vereda_domain::eligibility::{CallLimits, CrossChecks, Household};
use vereda_domain::finance::Formulation;
use vereda_domain::household::{DocumentType, EthnicGroup, LandTenure, ProductiveActivity, Sex, SisbenArea};
use vereda_domain::monitoring::MeasurementDraft;
use vereda_domain::parcel::{ParcelIssue, SiteCondition};
use vereda_domain::procedure::ProcedureState;
use vereda_domain::program::ProgramLine;
use vereda_domain::targeting;
use vereda_domain::territory::{DaneCode, DepartmentCode, PovertyIndex};
use vereda_store::acts::Contested;
use vereda_store::{Arg, Message};

/// The requirements a refused disbursement names, as catalogue identifiers.
fn requirements(message: &Message) -> Vec<String> {
    match message.arg("requirements") {
        Some(Arg::Terms(ids)) => ids.clone(),
        _ => Vec::new(),
    }
}
use std::collections::BTreeMap;
use vereda_domain::awarded_project::ProjectStatus;
use vereda_domain::ledger::{MovementDraft, MovementKind, Source};
use vereda_domain::monitoring::{ExecutionStatus, IndicatorUnit};
use vereda_store::accounts::{LoginError, NewAccount};
use vereda_store::audit::AuditQuery;
use vereda_store::formulations::{FormulationQuery, FormulationStatus, NewFormulationDraft, SaveOutcome};
use vereda_store::households::{NewHousehold, NewParcel, NewPerson};
use vereda_store::jobs::{JobKind, JobStatus};
use vereda_store::ledger::{ChangeStatus, NewMovement, NewStatementLine};
use vereda_store::procedure::{
    Concept, Minutes, NewAward, NewEndorsement, NewObjection, NewSession, ObjectionTarget, Requirement,
};
use vereda_store::programs::NewCall;
use vereda_store::projects::{
    IndicatorEdit, IndicatorProposalDraft, MeasurementQuery, MeasurementSubmission, ProjectFilter,
    ProjectSummary, ProposalQuery, Review,
};
use vereda_store::screening::{
    CompletedRun, JobLease, NewScreeningResult, NewScreeningRun, ResultQuery, RunError, RunInput,
    RunProgress, RunStatus, RunSummary, StoredCounts, Submission,
};
use vereda_store::targeting as targeting_store;
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

/// A run's progress with `n` results stored: a chunk's checkpoint.
fn stored_up_to(n: usize) -> RunProgress {
    RunProgress {
        stored: n as u64,
        ..RunProgress::default()
    }
}

/// The administrator of the tests: an actor without an account row, which acts nationally
/// with every permission, like the system's own processes.
fn admin() -> Actor {
    Actor::User {
        id: 1_000_000,
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
        email: None,
        correspondence_address: None,
    }
}

fn title_study(owner_document: &str, lock_version: i32) -> vereda_store::parcels::NewTitleStudy {
    vereda_store::parcels::NewTitleStudy {
        title_record: "420-1".into(),
        owner_name: "Ana Pérez".into(),
        owner_document: owner_document.into(),
        limitations: String::new(),
        limits_use: false,
        favourable: true,
        reasons: String::new(),
        lock_version,
    }
}

fn field_visit(failing: Option<SiteCondition>, lock_version: i32) -> vereda_store::parcels::NewFieldVisit {
    vereda_store::parcels::NewFieldVisit {
        visit_date: jiff::civil::date(2026, 3, 5),
        latitude: dec!(1.6144),
        longitude: dec!(-75.6062),
        conditions: SiteCondition::ALL
            .iter()
            .map(|c| vereda_store::parcels::ConditionCheck {
                condition: *c,
                met: Some(*c) != failing,
                notes: "visto".into(),
            })
            .collect(),
        lock_version,
    }
}

/// Studies and visits the household's first parcel so that it is suitable.
async fn make_parcel_suitable(store: &Store, household_id: i32) {
    let parcel = store.parcels_of(&[household_id]).await.expect("parcels")[0]
        .parcel
        .id;
    let head = store
        .household(household_id)
        .await
        .expect("read")
        .expect("household");
    store
        .record_title_study(
            &admin(),
            household_id,
            parcel,
            title_study(&head.head_document, 0),
        )
        .await
        .expect("title study");
    store
        .record_field_visit(&admin(), household_id, parcel, field_visit(None, 0))
        .await
        .expect("visit");
}

/// A PDF received from a household on `day`, as the web layer would record it.
fn document(
    kind: vereda_domain::verification::DocumentKind,
    day: jiff::civil::Date,
) -> vereda_store::verification::NewHouseholdDocument {
    vereda_store::verification::NewHouseholdDocument {
        kind,
        file_name: format!("{kind}.pdf"),
        content_type: "application/pdf".into(),
        size_bytes: 1234,
        sha256: "0".repeat(64),
        received_on: day,
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
        arel_max_pct: None,
        arel_cap_smmlv: None,
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
            encoding: None,
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
            arel_population_group: Default::default(),
            arel_group_document: false,
            arel_call_year: None,
            arel_call_score: None,
        },
        checks: CrossChecks {
            registries: if prior { 2 } else { 0 },
            duplicate_document: false,
            ..CrossChecks::default()
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

use vereda_store::test_support::{cocoa, notify_award, viable_cocoa};

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

/// The people of the procedure, each an account with its role.
struct Procedure<'s> {
    store: &'s Store,
    formulator: Actor,
    officer: Actor,
    secretary: Actor,
    member_a: Actor,
    member_b: Actor,
    member_ids: Vec<i32>,
    director: Actor,
    /// A second territorial officer, who registers payments others prepared.
    payer: Actor,
    /// The call the formulations are filed in, if any.
    call_id: Option<i32>,
}

impl<'s> Procedure<'s> {
    async fn new(store: &'s Store) -> Self {
        // The territorial accounts work for the office of Nariño, where the cocoa project is.
        let make = |email: &'static str, role: Role| async move {
            let made = store
                .create_account(&admin(), account(email, role))
                .await
                .expect("account");
            if role.is_territorial() {
                vereda_store::test_support::assign_office_in(store, &admin(), made.id, "52")
                    .await
                    .expect("office");
            }
            made
        };
        let member_a = make("member-a@vereda.test", Role::CommitteeMember).await;
        let member_b = make("member-b@vereda.test", Role::CommitteeMember).await;
        let call_id = ready_call(store, "PROC", dec!(10000000000)).await;
        Procedure {
            store,
            formulator: make("formulator@vereda.test", Role::Formulator).await.actor(),
            officer: make("officer@vereda.test", Role::TerritorialOfficer)
                .await
                .actor(),
            secretary: make("secretary@vereda.test", Role::ProgramOfficer).await.actor(),
            member_ids: vec![member_a.id, member_b.id],
            member_a: member_a.actor(),
            member_b: member_b.actor(),
            director: make("director@vereda.test", Role::TerritorialDirector)
                .await
                .actor(),
            payer: make("payer@vereda.test", Role::TerritorialOfficer).await.actor(),
            call_id: Some(call_id),
        }
    }

    async fn submitted(&self, code: &str) -> i32 {
        let mut project = viable_cocoa();
        project.frame.code = code.into();
        let saved = self
            .store
            .save_formulation_draft(&self.formulator, draft(&project, self.call_id, "v1"))
            .await
            .expect("save");
        self.store
            .submit_formulation(&self.formulator, saved.id)
            .await
            .expect("submit");
        saved.id
    }

    async fn submitted_and_endorsed(&self, code: &str) -> i32 {
        let id = self.submitted(code).await;
        self.store
            .record_endorsement(&self.officer, id, endorsement(10))
            .await
            .expect("endorse");
        id
    }

    async fn session(&self) -> Minutes {
        self.store
            .create_session(
                &self.secretary,
                NewSession {
                    held_on: jiff::civil::date(2013, 10, 1),
                    place: "Florencia, sede de la dirección territorial".into(),
                    attendees: self.member_ids.clone(),
                },
            )
            .await
            .expect("session")
    }

    /// The committee's concept on a submitted project, endorsed here, in a session of its own.
    async fn concept(&self, id: i32, concept: Concept, text: &str) {
        self.store
            .record_endorsement(&self.officer, id, endorsement(10))
            .await
            .expect("endorse");
        let session = self.session().await;
        let item = self
            .store
            .add_to_agenda(&self.secretary, session.session_id, id, 0)
            .await
            .expect("agenda");
        self.store
            .issue_concept(&self.member_a, item.id, concept, text, 0)
            .await
            .expect("concept");
    }

    /// A project with a positive concept in a session whose minutes everyone signed.
    async fn viable_and_signed(&self, code: &str) -> i32 {
        let id = self.submitted_and_endorsed(code).await;
        let session = self.session().await;
        let item = self
            .store
            .add_to_agenda(&self.secretary, session.session_id, id, 0)
            .await
            .expect("agenda");
        self.store
            .issue_concept(&self.member_a, item.id, Concept::Positive, "Viable", 0)
            .await
            .expect("concept");
        self.store
            .close_session(&self.secretary, session.session_id, 1)
            .await
            .expect("close");
        self.store
            .sign_minutes(&self.member_a, session.session_id)
            .await
            .expect("sign");
        self.store
            .sign_minutes(&self.member_b, session.session_id)
            .await
            .expect("sign");
        id
    }
}

/// A code as a `&'static str`, so assertions compare it with literals (tests only).
fn code_of(message: &vereda_domain::message::Message) -> &'static str {
    Box::leak(message.code().to_owned().into_boxed_str())
}

/// A refusal's code, and for a list of problems each household with its problem's code.
fn refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> (&'static str, Vec<(String, &'static str)>) {
    let message = match result {
        Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::Forbidden(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let problems = match message.arg("problems") {
        Some(Arg::List(problems)) => problems
            .iter()
            .map(|p| {
                let household = match p.arg("household") {
                    Some(Arg::Text(text)) => text.clone(),
                    other => panic!("each problem names its household: {other:?}"),
                };
                (household, code_of(p))
            })
            .collect(),
        _ => Vec::new(),
    };
    (code_of(&message), problems)
}

/// Runs `sql` with `{id}` the id of household `external_id` of the call: what a later decision
/// or a lost record leaves behind, written directly so the store's checks can be tried on it.
async fn set_in_call(store: &Store, call_id: i32, external_id: &str, sql: &str) {
    let household = store
        .households(Some(call_id))
        .await
        .expect("households")
        .into_iter()
        .find(|h| h.external_id == external_id)
        .expect("the household");
    store
        .connection()
        .execute_unprepared(&sql.replace("{id}", &household.id.to_string()))
        .await
        .expect("written");
}

fn endorsement(families: i32) -> NewEndorsement {
    NewEndorsement {
        endorsed_on: jiff::civil::date(2013, 9, 20),
        families_endorsing: families,
        minutes: "Asamblea en la vereda; acta firmada por las familias".into(),
    }
}

fn award(office: &str) -> NewAward {
    NewAward {
        office_code: office.into(),
        awarded_on: jiff::civil::date(2013, 10, 15),
        motivation: "Concepto positivo del comité, acta firmada".into(),
        institute_contribution: None,
        lowering_motivation: String::new(),
        obligations: String::new(),
    }
}

/// A call of its own program with `budget`, whose families of the cocoa example are screened
/// and verified eligible through the store's steps.
async fn ready_call(store: &Store, program_code: &str, budget: Decimal) -> i32 {
    let program = store
        .create_program(&admin(), program_code, "Programa", "")
        .await
        .expect("program");
    let call = store
        .create_call(
            &admin(),
            NewCall {
                program_id: program.id,
                code: format!("{program_code}-2013"),
                name: "Convocatoria 2013".into(),
                budget_year: 2013,
                budget_cop: budget,
                smmlv_cop: None,
                rule_set_id: "incoder-308-2013".into(),
                line: ProgramLine::General,
                territorial_office_ids: vec![],
                arel_max_pct: None,
                arel_cap_smmlv: None,
            },
        )
        .await
        .expect("call")
        .id;
    let families = cocoa().frame.households;
    vereda_store::test_support::make_households_ready(
        store,
        &admin(),
        call,
        "52835",
        &families,
        jiff::civil::date(2013, 8, 1),
    )
    .await
    .expect("families ready");
    call
}

fn today() -> jiff::civil::Date {
    jiff::civil::date(2014, 1, 15)
}

/// Pays the awarded project `id` on 5 November 2013.
async fn pay(p: &Procedure<'_>, id: i32) {
    let store = p.store;
    store
        .record_disbursement_evidence(
            &p.officer,
            id,
            Some("Cuenta 123-45 Banco Agrario, firma conjunta"),
            None,
            0,
        )
        .await
        .expect("account");
    let checklist = store.disbursement_checklist(id).await.expect("checklist");
    store
        .record_disbursement_evidence(
            &p.director,
            id,
            None,
            Some("Póliza 77 aprobada"),
            checklist.lock_version,
        )
        .await
        .expect("policy");
    notify_award(store, &p.officer, id, jiff::civil::date(2013, 10, 15))
        .await
        .expect("notified");
    store
        .disburse(&p.payer, id, jiff::civil::date(2013, 11, 5))
        .await
        .expect("paid");
}

/// A cocoa project awarded and paid, with its code.
async fn paid_project<'s>(store: &'s Store, code: &str) -> (Procedure<'s>, String) {
    let p = Procedure::new(store).await;
    let id = p.viable_and_signed(code).await;
    store.award(&p.director, id, award("CAQ")).await.expect("award");
    pay(&p, id).await;
    (p, code.to_owned())
}

/// The name and document of a head of one of the awarded families.
async fn representative(store: &Store) -> (String, String) {
    let row = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            store.backend(),
            "SELECT first_name, last_name, document FROM persons WHERE is_head = true AND household_id IN \
             (SELECT household_id FROM project_beneficiaries) ORDER BY id LIMIT 1"
                .to_owned(),
        ))
        .await
        .expect("head")
        .expect("a head");
    let first: String = row.try_get("", "first_name").expect("first");
    let last: String = row.try_get("", "last_name").expect("last");
    (
        format!("{first} {last}"),
        row.try_get("", "document").expect("document"),
    )
}

fn payment(line: u32, value: Decimal, reference: &str) -> MovementDraft {
    MovementDraft {
        date: jiff::civil::date(2013, 11, 20),
        value,
        kind: MovementKind::Payment,
        line: Some(line),
        source: None,
        supplier_name: "Agroinsumos del Pacífico S.A.S.".into(),
        supplier_nit: "890903938-8".into(),
        reference: reference.into(),
    }
}

fn inflow(kind: MovementKind, value: Decimal, reference: &str) -> MovementDraft {
    MovementDraft {
        date: jiff::civil::date(2013, 11, 6),
        value,
        kind,
        line: None,
        source: None,
        supplier_name: String::new(),
        supplier_nit: String::new(),
        reference: reference.into(),
    }
}

fn movement(name: &str, document: &str, draft: MovementDraft) -> NewMovement {
    NewMovement {
        draft,
        representative_name: name.into(),
        representative_document: document.into(),
        document_sha256: None,
        document_name: None,
        confirm_duplicate: false,
    }
}

/// The stored expenditures of `code` as the card (by day) and the open data (the total) read
/// them, checked against its payments added up by day from its movements; answers them.
async fn expenditures_agree(store: &Store, code: &str) -> (Vec<(jiff::civil::Date, Decimal)>, Decimal) {
    let ledger = store.ledger(code).await.expect("ledger");
    let mut by_day: BTreeMap<jiff::civil::Date, Decimal> = BTreeMap::new();
    for m in ledger
        .movements
        .iter()
        .filter(|m| m.kind == MovementKind::Payment)
    {
        *by_day.entry(m.date).or_default() += m.value;
    }
    let expected: Vec<(jiff::civil::Date, Decimal)> = by_day.into_iter().collect();
    let total: Decimal = expected.iter().map(|(_, v)| *v).sum();
    let card = store.project_card(code).await.expect("card").expect("a card");
    let flow = card.award.expect("awarded").flow;
    assert_eq!(
        (&flow.expenditures, flow.executed),
        (&expected, total),
        "{code}: by day"
    );
    // The stored summary keeps the total alone, as the open data's tables give it.
    let listed = store
        .projects(&ProjectFilter::default())
        .await
        .expect("projects")
        .into_iter()
        .find(|p| p.code == code)
        .and_then(|p| p.award)
        .expect("listed with its award")
        .flow;
    assert_eq!(
        (listed.executed, listed.expenditures.len(), listed.committed),
        (total, 0, flow.committed),
        "{code}: the total alone"
    );
    (expected, total)
}

storage_suite! {
    async fn formulations_keep_their_characterization_diagnosis_and_minutes(store: &Store) {
        use vereda_domain::preparation::PreparationKind;
        use vereda_store::preparation::{KeptDocument, NewPreparation};
        let call_id = screening_call(store).await;
        let cocoa = cocoa();
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, Some(call_id), "v1")).await.expect("save");
        let today = jiff::civil::date(2026, 3, 10);
        let minutes = NewPreparation {
            formulation_id: saved.id,
            kind: PreparationKind::SessionMinutes,
            held_on: Some(jiff::civil::date(2026, 3, 2)),
            place: "Escuela de la vereda".into(),
            attendees: Some(18),
            text: "Se acordó la línea de cacao".into(),
            file: None,
        };
        let unsigned = store.add_preparation(&admin(), minutes.clone(), today).await;
        assert!(matches!(unsigned, Err(StoreError::Invalid(ref m)) if m.code() == "preparation-error-field" && m.arg("field") == Some(&Arg::Text("minutes".into()))), "{unsigned:?}");
        let signed = NewPreparation {
            file: Some(KeptDocument {
                file_name: "acta.pdf".into(),
                content_type: "application/pdf".into(),
                size_bytes: 10,
                sha256: "1".repeat(64),
            }),
            ..minutes
        };
        let stored = store.add_preparation(&admin(), signed.clone(), today).await.expect("minutes");
        assert_eq!(stored.attendees, Some(18));
        let diagnosis = NewPreparation {
            kind: PreparationKind::Diagnosis,
            held_on: None,
            place: String::new(),
            attendees: None,
            text: "Necesidad: riego".into(),
            file: None,
            formulation_id: saved.id,
        };
        store.add_preparation(&admin(), diagnosis.clone(), today).await.expect("diagnosis");
        let missing = store
            .add_preparation(&admin(), NewPreparation { formulation_id: 999, ..diagnosis }, today)
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
        let all = store.preparations(saved.id).await.expect("list");
        assert_eq!(all.iter().map(|p| p.kind).collect::<Vec<_>>(), [PreparationKind::SessionMinutes, PreparationKind::Diagnosis]);
        assert_eq!(all[0].file.as_ref().map(|f| f.file_name.as_str()), Some("acta.pdf"));
        let audited = store
            .audit_entries(&vereda_store::audit::AuditQuery {
                entity: Some("formulation_preparations".into()),
                entity_id: None,
                before_id: None,
                limit: 10,
            })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 2);
    }

    async fn a_household_without_parcels_declares_one_during_verification(store: &Store) {
        let screened = store
            .create_household(&admin(), NewHousehold { parcels: vec![], ..household("S-1", "301") })
            .await
            .expect("household");
        assert!(store.parcels_of(&[screened.id]).await.expect("parcels").is_empty());
        let declared = household("x", "1").parcels[0].clone();
        let nameless = store
            .add_parcel(&admin(), screened.id, NewParcel { name: "  ".into(), ..declared.clone() })
            .await;
        assert!(matches!(nameless, Err(StoreError::Invalid(_))), "{nameless:?}");
        let no_area = store
            .add_parcel(&admin(), screened.id, NewParcel { area_ha: Some(dec!(0)), ..declared.clone() })
            .await;
        assert!(matches!(no_area, Err(StoreError::Invalid(_))), "{no_area:?}");
        let unknown = store.add_parcel(&admin(), 999_999, declared.clone()).await;
        assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
        assert!(store.parcels_of(&[screened.id]).await.expect("parcels").is_empty(), "refusals store nothing");
        let added = store
            .add_parcel(
                &admin(),
                screened.id,
                NewParcel { name: " El Recreo ".into(), vereda: Some(" ".into()), ..declared },
            )
            .await
            .expect("parcel");
        assert_eq!((added.name.as_str(), added.vereda.as_deref()), ("El Recreo", None));
        let parcels = store.parcels_of(&[screened.id]).await.expect("parcels");
        assert_eq!(parcels.len(), 1);
        assert_eq!(parcels[0].standing.issues(), &[ParcelIssue::NoTitleStudy, ParcelIssue::NoFieldVisit]);
        make_parcel_suitable(store, screened.id).await;
        let state = store.household_verification(screened.id, jiff::civil::date(2026, 3, 2)).await.expect("read");
        assert!(state.expect("household").parcels[0].standing.is_suitable());
    }

    async fn parcels_are_studied_visited_and_locked(store: &Store) {
        let one = store.create_household(&admin(), household("P-1", "1.234.567")).await.expect("household");
        let parcel = store.parcels_of(&[one.id]).await.expect("parcels")[0].parcel.id;
        let fresh = store.parcel_verification(one.id, parcel).await.expect("read").expect("parcel");
        assert_eq!(fresh.standing.issues(), &[ParcelIssue::NoTitleStudy, ParcelIssue::NoFieldVisit]);
        // A stranger's title: the owner is not a member (document compared normalised).
        let study = store
            .record_title_study(&admin(), one.id, parcel, title_study("99887766", 0))
            .await
            .expect("study");
        assert!(!study.owner_is_member);
        assert_eq!(study.lock_version, 1);
        // A stale form (version 0 again) is a conflict; the right version replaces it.
        let stale = store.record_title_study(&admin(), one.id, parcel, title_study("1234567", 0)).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        let study = store
            .record_title_study(&admin(), one.id, parcel, title_study("001234567", 1))
            .await
            .expect("study again");
        assert!(study.owner_is_member);
        assert_eq!(study.lock_version, 2);
        let not_favourable = vereda_store::parcels::NewTitleStudy {
            favourable: false,
            ..title_study("1234567", 2)
        };
        let no_reasons = store.record_title_study(&admin(), one.id, parcel, not_favourable).await;
        assert!(matches!(no_reasons, Err(StoreError::Invalid(_))), "{no_reasons:?}");
        // A visit outside Colombia is refused; one with the water condition failing is kept.
        let abroad = vereda_store::parcels::NewFieldVisit {
            latitude: dec!(40.4),
            ..field_visit(None, 0)
        };
        let refused = store.record_field_visit(&admin(), one.id, parcel, abroad).await;
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
        let visit = store
            .record_field_visit(&admin(), one.id, parcel, field_visit(Some(SiteCondition::WaterAvailability), 0))
            .await
            .expect("visit");
        assert_eq!(visit.latitude, dec!(1.6144));
        let state = store.parcel_verification(one.id, parcel).await.expect("read").expect("parcel");
        assert_eq!(
            state.standing.issues(),
            &[ParcelIssue::ConditionNotMet(SiteCondition::WaterAvailability)]
        );
        let stale = store.record_field_visit(&admin(), one.id, parcel, field_visit(None, 0)).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        store
            .record_field_visit(&admin(), one.id, parcel, field_visit(None, 1))
            .await
            .expect("visit again");
        let state = store.parcel_verification(one.id, parcel).await.expect("read").expect("parcel");
        assert!(state.standing.is_suitable(), "{:?}", state.standing);
        // Another household's parcel is not found under this one.
        let two = store.create_household(&admin(), household("P-2", "555")).await.expect("household");
        let foreign = store.record_field_visit(&admin(), two.id, parcel, field_visit(None, 2)).await;
        assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "{foreign:?}");
        let timeline = store.household_timeline(one.id).await.expect("timeline");
        let kinds: Vec<&str> = timeline.iter().map(|e| e.kind).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "parcel_studied").count(), 2, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "parcel_visited").count(), 2, "{kinds:?}");
    }

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
        assert!(matches!(bad_email, Err(StoreError::Invalid(ref m)) if m.code() == "account-error-email"), "{bad_email:?}");
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

    async fn the_audit_chain_links_every_entry(store: &Store) {
        write_entries(store, 6).await;
        let rows = chain_rows(store).await;
        assert_eq!(rows[0].prev_hash, vereda_store::audit::GENESIS_HASH);
        for pair in rows.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash, "entry {} links to {}", pair[1].id, pair[0].id);
        }
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(report.first_break, None);
        assert_eq!(report.entries, rows.len() as u64);
        let last = rows.last().expect("entries");
        let head = store.audit_chain_head().await.expect("head").expect("a head");
        assert_eq!((head.id, head.hash.as_str()), (last.id, last.hash.as_str()));
        assert_eq!(report.head, Some(head));
        assert_eq!(report.message().code(), "audit-chain-intact");
        // The migration hashed the reference data's entries (written before the chain existed).
        assert!(rows.iter().any(|r| r.actor == "system:migration"));
    }

    async fn an_entry_changed_behind_the_triggers_is_named(store: &Store) {
        write_entries(store, 6).await;
        let rows = chain_rows(store).await;
        let target = rows[rows.len() - 3].id;
        unguard(store).await;
        store
            .connection()
            .execute_unprepared(&format!("UPDATE audit_log SET after = '{{\"email\":\"otra@x.co\"}}' WHERE id = {target}"))
            .await
            .expect("the owner rewrites an entry");
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(report.first_break, Some(vereda_store::audit::ChainBreak::Changed { id: target }));
        assert_eq!(report.message().code(), "audit-chain-changed");

        // Rewriting the hash too does not hide it: the next entry no longer links to it.
        let rows = chain_rows(store).await;
        let row = rows.iter().find(|r| r.id == target).expect("row");
        let forged = forged_hash(row, &row.prev_hash);
        store
            .connection()
            .execute_unprepared(&format!("UPDATE audit_log SET hash = '{forged}' WHERE id = {target}"))
            .await
            .expect("the owner recomputes its hash");
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(
            report.first_break,
            Some(vereda_store::audit::ChainBreak::Unlinked { id: target + 1, previous_id: Some(target) })
        );
    }

    async fn an_entry_removed_behind_the_triggers_is_named(store: &Store) {
        write_entries(store, 6).await;
        let rows = chain_rows(store).await;
        let removed = rows[rows.len() - 3].id;
        unguard(store).await;
        store
            .connection()
            .execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {removed}"))
            .await
            .expect("the owner removes an entry");
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(
            report.first_break,
            Some(vereda_store::audit::ChainBreak::Unlinked { id: removed + 1, previous_id: Some(removed - 1) })
        );
        assert_eq!(report.message().code(), "audit-chain-removed");

        // Removing the first entries is found too.
        let first = rows[0].id;
        store
            .connection()
            .execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {first}"))
            .await
            .expect("the owner removes the first entry");
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(
            report.first_break,
            Some(vereda_store::audit::ChainBreak::Unlinked { id: rows[1].id, previous_id: None })
        );
    }

    async fn an_entry_inserted_behind_the_application_is_named(store: &Store) {
        write_entries(store, 3).await;
        // Leave a gap in the ids (as rolled-back transactions do on PostgreSQL) where a forger
        // can put an entry between two real ones.
        let gap_sql = match store.backend() {
            sea_orm::DatabaseBackend::Postgres => "SELECT setval('audit_log_id_seq', (SELECT max(id) FROM audit_log) + 5)",
            _ => "UPDATE sqlite_sequence SET seq = seq + 5 WHERE name = 'audit_log'",
        };
        store.connection().execute_unprepared(gap_sql).await.expect("gap");
        write_entries(store, 3).await;
        let rows = chain_rows(store).await;
        let before_gap = rows.windows(2).find(|w| w[1].id > w[0].id + 1).map(|w| w[0].clone()).expect("a gap");
        unguard(store).await;
        // The forger links the entry to the one before the gap and hashes it correctly.
        let mut forged = before_gap.clone();
        forged.id = before_gap.id + 2;
        forged.actor = "forger@x.co".into();
        forged.actor_user_id = None;
        forged.before = None;
        forged.after = None;
        let hash = forged_hash(&forged, &before_gap.hash);
        store
            .connection()
            .execute_unprepared(&format!(
                "INSERT INTO audit_log (id, at, actor, entity, entity_id, action, after, prev_hash, hash)
                 VALUES ({}, {}, 'forger@x.co', '{}', '{}', '{}', NULL, '{}', '{hash}')",
                forged.id,
                forged.at.0.as_microsecond(),
                forged.entity,
                forged.entity_id,
                forged.action,
                before_gap.hash,
            ))
            .await
            .expect("the owner inserts an entry");
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(report.first_break, Some(vereda_store::audit::ChainBreak::Inserted { id: forged.id }));
        assert_eq!(report.message().code(), "audit-chain-inserted");

        // An entry added after the last one without the chain's hashes is found as well.
        let last = rows.last().expect("rows").id;
        store
            .connection()
            .execute_unprepared(&format!(
                "INSERT INTO audit_log (id, at, actor, entity, entity_id, action, prev_hash, hash)
                 VALUES ({}, 0, 'forger@x.co', 'users', '1', 'update', 'x', 'y')",
                last + 100
            ))
            .await
            .expect("a second forged entry");
        store.connection().execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {}", forged.id)).await.expect("undo the first");
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(report.first_break, Some(vereda_store::audit::ChainBreak::Inserted { id: last + 100 }));
    }

    async fn concurrent_writers_keep_the_chain_linear(store: &Store) {
        let mut tasks = Vec::new();
        for writer in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..8 {
                    if n % 4 == 0 {
                        store
                            .create_account(&admin(), account(&format!("w{writer}n{n}@agencia.gov.co"), Role::Auditor))
                            .await
                            .expect("create");
                    } else {
                        record_failure(&store, &format!("w{writer}n{n}@x.co")).await;
                    }
                }
            }));
        }
        for task in tasks {
            task.await.expect("writer");
        }
        let rows = chain_rows(store).await;
        for pair in rows.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash, "entry {} forks", pair[1].id);
        }
        let report = store.verify_audit_chain().await.expect("verify");
        assert_eq!(report.first_break, None);
        assert_eq!(count_rows(store, "audit_log WHERE action = 'login_failed'").await, 36);
    }

    async fn authentication_events_are_audited_without_secrets(store: &Store) {
        let event = vereda_store::audit::AuthEvent {
            action: AuditAction::LoginFailed,
            account_id: None,
            email: " Nadie@X.co ",
            address: Some("203.0.113.9"),
        };
        store.record_auth_event(&Actor::system("web"), &event).await.expect("record");
        let entries = store
            .audit_entries(&AuditQuery { entity: Some("users".into()), ..Default::default() })
            .await
            .expect("audit");
        let entry = &entries[0];
        assert_eq!(entry.action, AuditAction::LoginFailed);
        assert_eq!(entry.entity_id, "Nadie@X.co");
        assert_eq!(entry.after_text("email"), Some("Nadie@X.co"));
        assert_eq!(entry.after_text("address"), Some("203.0.113.9"));

        // A created account is audited without its password's hash.
        let created = store.create_account(&admin(), account("nueva@agencia.gov.co", Role::Auditor)).await.expect("create");
        let entries = store
            .audit_entries(&AuditQuery { entity: Some("users".into()), entity_id: Some(created.id.to_string()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(entries[0].action, AuditAction::Create);
        assert_eq!(entries[0].after_text("email"), Some("nueva@agencia.gov.co"));
        assert!(entries[0].after.as_ref().is_some_and(|a| a.get("password_hash").is_none()), "{:?}", entries[0].after);
    }

    async fn a_data_subject_gets_everything_held_and_a_rectification_is_audited(store: &Store) {
        let stored = store.create_household(&admin(), household("H-1", "001.234.567")).await.expect("create");
        store.create_household(&admin(), household("H-2", "7654321")).await.expect("another");
        let record = store.subject_record(&admin(), "1.234.567").await.expect("record");
        assert_eq!(record.document, "1234567");
        assert_eq!(record.households.len(), 1);
        assert_eq!(record.households[0].household["id"], stored.id);
        assert_eq!(record.households[0].persons.len(), 1);
        assert_eq!(record.households[0].parcels.len(), 1);
        let entities: BTreeSet<&str> = record.audit_entries.iter().map(|e| e.entity.as_str()).collect();
        assert!(entities.contains("households") && entities.contains("persons") && entities.contains("parcels"), "{entities:?}");
        assert!(record.audit_entries.iter().all(|e| e.entity_id != "H-2"));
        let error = store.subject_record(&admin(), " - ").await.expect_err("no document");
        assert!(matches!(&error, StoreError::Invalid(m) if m.code() == "subject-error-document"), "{error}");

        store
            .rectify_household_contact(&admin(), stored.id, Some("ana@example.org"), Some(" Vereda Nueva "))
            .await
            .expect("rectified");
        let error = store
            .rectify_household_contact(&admin(), stored.id, Some("no es correo"), None)
            .await
            .expect_err("a bad e-mail");
        assert!(matches!(&error, StoreError::Invalid(m) if m.code() == "household-error-email"), "{error}");
        let entries = store.audit_entries(&AuditQuery::default()).await.expect("audit");
        assert_eq!(entries[0].entity, "households");
        assert_eq!(entries[0].after_text("correspondence_address"), Some("Vereda Nueva"));
        assert!(entries.iter().any(|e| e.action == AuditAction::SubjectAccess && e.entity_id == "••••567"));
        assert_eq!(store.verify_audit_chain().await.expect("verify").first_break, None);
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
        assert!(matches!(&error, StoreError::Invalid(m) if m.code() == "household-error-heads"), "{error}");
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
            arel_max_pct: None,
            arel_cap_smmlv: None,
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
            arel_max_pct: None,
            arel_cap_smmlv: None,
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
        // The nine of its file, and the ten families of the project followed after its payment.
        assert_eq!(calls[0].households, 19);
        // Screened under the shipped rules, so the procedure can take families from it.
        let runs = store.screening_runs(calls[0].id).await.expect("runs");
        let mut totals: Vec<u64> = runs.iter().map(|r| r.households_total).collect();
        totals.sort_unstable();
        assert_eq!(totals, [9, 10]);
        let households = store.households(Some(calls[0].id)).await.expect("households");
        let cuellar = households.iter().find(|h| h.external_id == "CAQ-0001").expect("CAQ-0001");
        let screening = store.household_screening(cuellar.id).await.expect("read").expect("screened");
        println!("demo screening: {} eligible of 9", runs[0].eligible_total);
        assert!(screening.eligible, "{screening:?}");
        assert_eq!((screening.cofinancing_max_pct, screening.cap_smmlv), (Some(dec!(90)), Some(dec!(24))), "displaced, in the RUV");
        let offices = store.territorial_offices().await.expect("offices");
        let caqueta = offices.iter().find(|o| o.name == "Dirección Territorial Caquetá").expect("Caquetá").id;
        for account in store.accounts().await.expect("accounts") {
            let expected = matches!(account.role, Role::TerritorialDirector | Role::TerritorialOfficer).then_some(caqueta);
            assert_eq!(store.account_office(account.id).await.expect("office"), expected, "{}", account.email);
        }
        let households = store.households(Some(calls[0].id)).await.expect("households");
        let cuellar = households.iter().find(|h| h.external_id == "CAQ-0001").expect("CAQ-0001");
        assert_eq!(cuellar.email.as_deref(), Some("familia.cuellar@example.org"));

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

    async fn a_run_s_counts_cleared_by_a_later_run_are_counted_once_and_kept_again(store: &Store) {
        let call_id = screening_call(store).await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "key-1")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        store
            .complete_screening_run(&admin(), run.id, completed((1..=1200).map(screened).collect()), &|_| {})
            .await
            .expect("complete");
        let counts = store.screening_counts(run.id).await.expect("counts");
        store.connection().execute_unprepared(&format!("UPDATE screening_runs SET counts = NULL WHERE id = {}", run.id)).await.expect("forget the counts");
        assert_eq!(store.screening_counts(run.id).await.expect("counted"), counts);
        // Counted once, they are kept again for the next reader; a later run of the call
        // ending clears them (it may have taken households), and they are counted again.
        let kept = |id: i32| async move {
            count_rows(store, &format!("screening_runs WHERE id = {id} AND counts IS NOT NULL")).await
        };
        assert_eq!(kept(run.id).await, 1, "the counts are kept after counting");
        let (later, _) = store.submit_screening_run(&admin(), screening_job(call_id, "key-later")).await.expect("submit");
        store.start_screening_run(&admin(), later.id).await.expect("start");
        assert_eq!(store.screening_counts(later.id).await.expect("counted").households, 0);
        assert_eq!(kept(later.id).await, 0, "a run still running keeps no counts");
        store
            .complete_screening_run(&admin(), later.id, completed((1..=10).map(screened).collect()), &|_| {})
            .await
            .expect("complete");
        assert_eq!(kept(run.id).await, 0, "a later run's end clears them");
        let recounted = store.screening_counts(run.id).await.expect("recounted");
        assert_eq!((recounted.households, kept(run.id).await), (1190, 1), "ten households went to the later run");
        // A page deep in municipality order where the call holds households the run no longer
        // does: the same rows as read through every household before it.
        let by_place = ResultQuery { run_id: run.id, sort: "municipio".into(), limit: 20, ..Default::default() };
        for (offset, descending) in [(700, false), (1000, false), (300, true)] {
            let asked = ResultQuery { offset, descending, ..by_place.clone() };
            let counted = store.screening_results(&asked).await.expect("page");
            let walked = store.screening_result_rows(&asked).await.expect("rows");
            let ids = |rows: &[vereda_store::screening::ScreeningResultRow]| rows.iter().map(|r| r.household_id).collect::<Vec<_>>();
            assert_eq!((ids(&counted.rows), counted.total), (ids(&walked), 1190), "{offset} {descending}");
            assert_eq!(counted.rows.len(), 20);
            assert!(counted.rows.iter().all(|r| r.external_id.as_str() > "H-00010"), "{offset} {descending}");
        }
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
        assert_eq!(*reported.lock().expect("lock"), [1200], "progress after each chunk");
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
        // Each head is its own household's, across the chunk's statements.
        for n in [500, 501, 1200] {
            let household = stored.iter().find(|h| h.external_id == format!("H-{n:05}")).expect("stored");
            assert_eq!(household.head_document, format!("1.000.{n:03}"));
        }
        let screening = store.household_screening(first.id).await.expect("read").expect("screened");
        assert_eq!(screening.head_document_masked, "••••001");
        assert_eq!(screening.household, screened(1).household, "the facts come back as they were");
        assert_eq!(screening.rule_set_hash, "abc123");
        assert_eq!(screening.as_of, jiff::civil::date(2013, 6, 1));
        let prior = stored.iter().find(|h| h.external_id == "H-00005").expect("H-00005");
        let prior = store.household_screening(prior.id).await.expect("read").expect("screened");
        assert_eq!(prior.checks, CrossChecks { registries: 2, duplicate_document: false, ..CrossChecks::default() });
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
        // The counts kept at the end (from the results in hand) are those of the stored rows.
        store.connection().execute_unprepared(&format!("UPDATE screening_runs SET counts = NULL WHERE id = {}", run.id)).await.expect("forget the counts");
        assert_eq!(store.screening_counts(run.id).await.expect("counted"), counts);
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
        // Keyset paging: the rows after a position, the total still every match.
        let after = next.rows[0].position;
        let keyset = store.screening_results(&ResultQuery { after_position: Some(after), limit: 3, ..query(None, None, None) }).await.expect("page");
        assert_eq!((keyset.total, keyset.rows.len()), (1200, 3));
        assert!(keyset.rows.iter().all(|r| r.position > after));
        assert_eq!(keyset.rows[0].external_id, next.rows[1].external_id);
        // The list's search (the household's key, accents and case aside), filters and sorts,
        // walked by keyset in the sort as downloads read (issue 18 part 2).
        let externals = |rows: &[vereda_store::screening::ScreeningResultRow]| -> Vec<String> { rows.iter().map(|r| r.external_id.clone()).collect() };
        for words in ["h-00017", "H-00017", "PÉREZ h-00017"] {
            let found = store.screening_results(&ResultQuery { search: words.into(), ..query(None, None, None) }).await.expect("page");
            assert_eq!((externals(&found.rows), found.total), (vec!["H-00017".to_owned()], 1), "{words}");
        }
        let eligible = store.screening_results(&ResultQuery { eligible: Some(true), ..query(None, None, None) }).await.expect("page");
        assert_eq!(eligible.total, 640);
        // Totals the run's stored counts answer, within a reader's reach, equal the rows.
        for (reach, municipality, eligible, expected) in [
            (Reach::Department("18".into()), Some("18001"), Some(false), 160),
            (Reach::Department("18".into()), None, Some(true), 640),
            (Reach::Department("52".into()), None, None, 0),
            (Reach::Nowhere, None, None, 0),
        ] {
            let asked = ResultQuery { reach: reach.clone(), eligible, limit: 1000, ..query(None, municipality, None) };
            let page = store.screening_results(&asked).await.expect("page");
            let mut rows = page.rows.len();
            if let Some(last) = page.rows.last() {
                rows += store.screening_result_rows(&ResultQuery { after_position: Some(last.position), ..asked.clone() }).await.expect("rows").len();
            }
            assert_eq!((page.total, rows), (expected, usize::try_from(expected).expect("rows")), "{reach:?} {municipality:?} {eligible:?}");
        }
        let by_id = ResultQuery { sort: "hogar".into(), descending: true, limit: 3, ..query(None, None, None) };
        let top = store.screening_results(&by_id).await.expect("page");
        assert_eq!(externals(&top.rows), ["H-01200", "H-01199", "H-01198"]);
        let walked = store.screening_result_rows(&ResultQuery { after_household: Some(top.rows[2].household_id), ..by_id.clone() }).await.expect("rows");
        assert_eq!(externals(&walked), ["H-01197", "H-01196", "H-01195"]);
        let by_place = ResultQuery { sort: "municipio".into(), limit: 1000, ..query(None, None, None) };
        let chunk = store.screening_result_rows(&by_place).await.expect("rows");
        assert_eq!(chunk.len(), 1000);
        assert!(chunk[..800].iter().all(|r| r.municipality_code == "18001"));
        let rest = store.screening_result_rows(&ResultQuery { after_household: Some(chunk[999].household_id), ..by_place.clone() }).await.expect("rows");
        assert_eq!(rest.len(), 200);
        assert!(rest.iter().all(|r| r.municipality_code == "18753"));
        // The place is read through the households: descending, within one municipality,
        // within a reader's reach, with a search.
        let last_first = store.screening_result_rows(&ResultQuery { descending: true, limit: 401, ..by_place.clone() }).await.expect("rows");
        assert!(last_first[..400].iter().all(|r| r.municipality_code == "18753"));
        assert_eq!(last_first[400].municipality_code, "18001");
        assert!(last_first.windows(2).all(|w| w[0].municipality_code > w[1].municipality_code || w[0].household_id > w[1].household_id));
        let one_place = ResultQuery { municipality_code: Some("18753".into()), reach: Reach::Department("18".into()), ..by_place.clone() };
        let placed = store.screening_results(&one_place).await.expect("page");
        assert_eq!((placed.total, placed.rows.len()), (400, 400));
        assert!(placed.rows.windows(2).all(|w| w[0].household_id < w[1].household_id));
        let elsewhere = store.screening_results(&ResultQuery { reach: Reach::Department("52".into()), ..one_place.clone() }).await.expect("page");
        assert_eq!((elsewhere.total, elsewhere.rows.len()), (0, 0));
        let found = store.screening_results(&ResultQuery { search: "h-01200".into(), ..one_place }).await.expect("page");
        assert_eq!(externals(&found.rows), ["H-01200"]);
        // A page deep in municipality order begins where the run's counts place it: the same
        // rows as read through every household before it.
        for (offset, descending, eligible) in [(790, false, None), (395, true, None), (1190, false, None), (630, false, Some(true)), (150, true, Some(false)), (1200, false, None)] {
            let asked = ResultQuery { offset, descending, eligible, limit: 20, ..by_place.clone() };
            let counted = store.screening_results(&asked).await.expect("page");
            let walked = store.screening_result_rows(&asked).await.expect("rows");
            assert_eq!(externals(&counted.rows), externals(&walked), "{offset} {descending} {eligible:?}");
            assert_eq!(counted.rows.len(), usize::try_from(counted.total.saturating_sub(offset).min(20)).expect("rows"), "{offset}");
        }
        let all = store.all_screening_results(run.id).await.expect("all");
        assert_eq!(all.len(), 1200);
        assert_eq!(all[4].reasons, ["ART10A_PRIOR"]);

        // The run is audited once with its files' hashes; the rows it created are not copied
        // into the log one by one (those a later run changes are, each with before and after).
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("screening_results".into()), limit: 1000, ..Default::default() })
            .await
            .expect("audit");
        assert!(audited.is_empty(), "{} result entries", audited.len());
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'persons'").await, 0);
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'screening_runs'").await, 3, "queued, running, succeeded");
    }

    async fn a_call_larger_than_any_parameter_list_is_read_whole(store: &Store) {
        // More households than SQLite binds variables (32,766) in one statement.
        let call_id = screening_call(store).await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "large")).await.expect("submit");
        let results: Vec<NewScreeningResult> = (1..=33_000).map(screened).collect();
        store.complete_screening_run(&admin(), run.id, completed(results), &|_| {}).await.expect("complete");
        let households = store.households(Some(call_id)).await.expect("households");
        assert_eq!(households.len(), 33_000);
        assert!(households.iter().all(|h| h.members == 1), "every head read");
        let today = jiff::civil::date(2026, 3, 2);
        let verifications = store
            .call_verifications(call_id, today, &Reach::National)
            .await
            .expect("verifications");
        assert_eq!(verifications.len(), 33_000);
        let ids: Vec<String> = (1..=33_000).map(|n| format!("H-{n:05}")).collect();
        assert_eq!(store.screening_caps(call_id, &ids).await.expect("caps").len(), 33_000);
        let counts = store.screening_counts(run.id).await.expect("counts");
        assert_eq!((counts.households, counts.eligible), (33_000, 17_600));
    }

    async fn a_job_belongs_to_one_server_until_its_lease_expires(store: &Store) {
        let lease = jiff::SignedDuration::from_secs(60);
        let job = store.enqueue_job(JobKind::Screening, "run-7", "{}").await.expect("enqueue");
        assert_eq!((job.status, job.attempts, job.checkpoint), (JobStatus::Queued, 0, 0));
        let again = store.enqueue_job(JobKind::Screening, "run-7", "{}").await.expect("enqueue");
        assert_eq!(again.id, job.id, "the same work joins the same job");
        let a = store.claim_job("server-a", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        assert_eq!((a.id, a.status, a.owner.as_deref(), a.attempts), (job.id, JobStatus::Running, Some("server-a"), 1));
        assert!(
            store.claim_job("server-b", &JobKind::ALL, lease).await.expect("claim").is_none(),
            "a live lease is never taken over"
        );
        let joined = store.enqueue_job(JobKind::Screening, "run-7", "{}").await.expect("enqueue");
        assert_eq!((joined.id, joined.status), (job.id, JobStatus::Running), "a resubmission joins the running job");
        assert!(store.renew_job_lease(job.id, "server-a", lease).await.expect("renew"));
        assert!(!store.renew_job_lease(job.id, "server-b", lease).await.expect("renew"), "only the owner renews");

        // A stopping server hands its job back, and another takes it at once.
        assert!(store.release_job(job.id, "server-a").await.expect("release"));
        let b = store.claim_job("server-b", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        assert_eq!((b.owner.as_deref(), b.attempts), (Some("server-b"), 2));

        // B stops without a word: once its lease expires, A takes the job over, and B learns
        // that it lost it.
        assert!(store.renew_job_lease(job.id, "server-b", jiff::SignedDuration::from_millis(1)).await.expect("renew"));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let taken = store.claim_job("server-a", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        assert_eq!((taken.owner.as_deref(), taken.attempts), (Some("server-a"), 3));
        assert!(!store.renew_job_lease(job.id, "server-b", lease).await.expect("renew"));
        assert!(!store.finish_job(job.id, "server-b", true).await.expect("finish"), "a lost job is not the loser's to end");
        assert_eq!(store.queues().await.expect("queues").screenings_running.count, 1);
        assert!(store.finish_job(job.id, "server-a", true).await.expect("finish"));
        let done = store.job(job.id).await.expect("read").expect("job");
        assert_eq!(done.status, JobStatus::Succeeded);
        assert!(done.finished_at.is_some() && done.lease_until.is_none());
        assert!(store.claim_job("server-b", &JobKind::ALL, lease).await.expect("claim").is_none());
        let queues = store.queues().await.expect("queues");
        assert_eq!((queues.screenings_queued.count, queues.screenings_running.count), (0, 0));
    }

    async fn a_screening_job_resumes_from_its_checkpoint_and_a_lost_lease_stores_nothing(store: &Store) {
        let call_id = screening_call(store).await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "resumed")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let job = store.enqueue_job(JobKind::Screening, &run.id.to_string(), "{}").await.expect("enqueue");
        let lease = jiff::SignedDuration::from_secs(60);
        store.claim_job("server-a", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        let lease_a = JobLease { job_id: job.id, owner: "server-a".into() };
        let results: Vec<NewScreeningResult> = (1..=3000).map(screened).collect();

        // A stores its first chunk, then stops without a word.
        let first = store
            .store_screening_chunk(&admin(), run.id, Some(&lease_a), &results[..2000], 0, stored_up_to(2000))
            .await
            .expect("chunk")
            .expect("A holds the lease");
        assert_eq!(first.results_created, 2000);
        assert_eq!(store.job(job.id).await.expect("read").expect("job").checkpoint, 2000);
        let stored = store.screening_run(run.id).await.expect("read").expect("run");
        assert_eq!(stored.progress.stored, 2000, "another server's page sees the progress");
        assert!(store.renew_job_lease(job.id, "server-a", jiff::SignedDuration::from_millis(1)).await.expect("renew"));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;

        // B takes the job over at A's checkpoint; A's late chunk is refused whole.
        let b = store.claim_job("server-b", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        assert_eq!(b.checkpoint, 2000);
        let late = store
            .store_screening_chunk(&admin(), run.id, Some(&lease_a), &results[2000..], 2000, stored_up_to(3000))
            .await
            .expect("chunk");
        assert!(late.is_none());
        assert_eq!(count_rows(store, "screening_results").await, 2000, "nothing is stored under a lost lease");
        let lease_b = JobLease { job_id: job.id, owner: "server-b".into() };
        let rest = store
            .store_screening_chunk(&admin(), run.id, Some(&lease_b), &results[2000..], 2000, stored_up_to(3000))
            .await
            .expect("chunk")
            .expect("B holds the lease");
        assert_eq!(rest.results_created, 1000);
        let summary = RunSummary::of(&completed(results));
        assert!(
            store.finish_screening_run(&admin(), run.id, Some(&lease_a), summary.clone()).await.expect("finish").is_none(),
            "A cannot end B's job"
        );
        assert!(
            store
                .fail_screening_run(&admin(), run.id, Some(&lease_a), vereda_store::screening::RunFailure::default())
                .await
                .expect("fail")
                .is_none(),
            "nor fail it"
        );
        let done = store
            .finish_screening_run(&admin(), run.id, Some(&lease_b), summary)
            .await
            .expect("finish")
            .expect("B holds the lease");
        assert_eq!((done.status, done.households_total, done.eligible_total), (RunStatus::Succeeded, 3000, 1600));
        assert_eq!(store.job(job.id).await.expect("read").expect("job").status, JobStatus::Succeeded);
        assert_eq!(count_rows(store, "screening_results").await, 3000, "each result once");
        for entity in ["screening_results", "households", "persons"] {
            let entries = store
                .audit_entries(&AuditQuery { entity: Some(entity.into()), limit: 10_000, ..Default::default() })
                .await
                .expect("audit");
            assert!(entries.is_empty(), "{entity}: the run's entry covers the rows it created");
        }
    }

    async fn chunks_stored_at_once_keep_the_checkpoint_at_their_start_and_a_resumption_stores_each_row_once(store: &Store) {
        let call_id = screening_call(store).await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "at-once")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let job = store.enqueue_job(JobKind::Screening, &run.id.to_string(), "{}").await.expect("enqueue");
        let lease = jiff::SignedDuration::from_secs(60);
        store.claim_job("server-a", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        let lease_a = JobLease { job_id: job.id, owner: "server-a".into() };
        let results: Vec<NewScreeningResult> = (1..=4000).map(screened).collect();
        // Two chunks at once, either of which may commit first: the checkpoint is where both start.
        let actor = admin();
        let (first, second) = tokio::join!(
            store.store_screening_chunk(&actor, run.id, Some(&lease_a), &results[..2000], 0, stored_up_to(0)),
            store.store_screening_chunk(&actor, run.id, Some(&lease_a), &results[2000..], 2000, stored_up_to(0)),
        );
        let created = first.expect("chunk").expect("A's").results_created + second.expect("chunk").expect("A's").results_created;
        assert_eq!(created, 4000);
        assert_eq!(store.job(job.id).await.expect("read").expect("job").checkpoint, 0);
        assert_eq!(store.call(call_id).await.expect("read").expect("call").households, 4000);
        // A stops; B resumes at the checkpoint and stores both chunks again: no row twice.
        assert!(store.renew_job_lease(job.id, "server-a", jiff::SignedDuration::from_millis(1)).await.expect("renew"));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let b = store.claim_job("server-b", &JobKind::ALL, lease).await.expect("claim").expect("the job");
        assert_eq!(b.checkpoint, 0);
        let lease_b = JobLease { job_id: job.id, owner: "server-b".into() };
        for (start, chunk) in [(0, &results[..2000]), (2000, &results[2000..])] {
            let again = store
                .store_screening_chunk(&admin(), run.id, Some(&lease_b), chunk, start, stored_up_to(start + chunk.len()))
                .await
                .expect("chunk")
                .expect("B's");
            assert_eq!(again, StoredCounts::default(), "the rows this run stored are left as they are");
        }
        assert_eq!(store.job(job.id).await.expect("read").expect("job").checkpoint, 4000);
        assert_eq!(count_rows(store, "screening_results").await, 4000);
        assert_eq!(count_rows(store, "persons").await, 4000);
        assert_eq!(store.call(call_id).await.expect("read").expect("call").households, 4000);
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
        assert_eq!(
            count_rows(store, "audit_log WHERE entity = 'households'").await,
            audit_before + 1,
            "the changed household only: unchanged ones are not rewritten, a new one is in the run's entry"
        );
        assert_eq!(
            count_rows(store, "audit_log WHERE entity = 'screening_results'").await,
            1,
            "one entry for the one decision that changed, not one per row re-screened"
        );
        assert_eq!(count_rows(store, "households").await, 31);
        // The call's count is kept with its households: the new one added, none twice.
        assert_eq!(store.call(call_id).await.expect("read").expect("call").households, 31);
        let everyone = vereda_store::lists::HouseholdList::of_call(call_id, Reach::National);
        assert_eq!(store.household_count(&everyone).await.expect("count"), 31);
        let in_caqueta = vereda_store::lists::HouseholdList { reach: Reach::Department("18".into()), ..everyone };
        assert_eq!(store.household_count(&in_caqueta).await.expect("count"), u64::try_from(count_rows(store, "households WHERE municipality_code LIKE '18%'").await).expect("n"));
        assert_eq!(count_rows(store, "persons").await, 31);
        assert_eq!(count_rows(store, "screening_results").await, 31);
        let households = store.households(Some(call_id)).await.expect("households");
        let changed = households.iter().find(|h| h.external_id == "H-00001").expect("H-00001");
        assert!(changed.displaced);
        assert_eq!(changed.head_name, "Ana María Pérez");
        let added = households.iter().find(|h| h.external_id == "H-00031").expect("H-00031");
        assert_eq!(added.head_document, "1.000.031", "the new household among held ones has its own head");
        assert_eq!(store.screening_results(&ResultQuery { run_id: first.id, ..Default::default() }).await.expect("page").total, 0, "the later run holds them");
        assert_eq!(store.screening_results(&ResultQuery { run_id: second.id, ..Default::default() }).await.expect("page").total, 31);
        assert_eq!(store.screening_runs(call_id).await.expect("runs").iter().map(|r| r.id).collect::<Vec<_>>(), [second.id, first.id]);
    }

    async fn a_result_names_its_runs_call_and_the_database_refuses_another(store: &Store) {
        let call_id = screening_call(store).await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "key-1")).await.expect("submit");
        store.complete_screening_run(&admin(), run.id, completed((1..=3).map(screened).collect()), &|_| {}).await.expect("complete");
        // PostgreSQL checks the pair against the run (migration 41), SQLite the call itself.
        let moved = store
            .connection()
            .execute_raw(sea_orm::Statement::from_string(
                store.backend(),
                format!("UPDATE screening_results SET call_id = {} WHERE run_id = {}", call_id + 1000, run.id),
            ))
            .await;
        assert!(moved.is_err(), "a result of a call its run is not for: {moved:?}");
        assert_eq!(count_rows(store, &format!("screening_results WHERE call_id = {call_id}")).await, 3);
    }

    async fn a_first_screening_stores_without_looking_up_and_a_second_looks_up_what_the_call_holds(store: &Store) {
        let call_id = screening_call(store).await;
        let mut counted = store.clone();
        let log = counted.log_statements();
        let look_ups = |statements: Vec<String>| statements.iter().filter(|s| s.contains("\"external_id\" IN")).count();
        let (first, _) = counted.submit_screening_run(&admin(), screening_job(call_id, "key-1")).await.expect("submit");
        log.take();
        let (_, counts) = counted.complete_screening_run(&admin(), first.id, completed((1..=2500).map(screened).collect()), &|_| {}).await.expect("complete");
        assert_eq!(counts, StoredCounts { households_created: 2500, households_updated: 0, results_created: 2500, results_updated: 0 });
        let statements = log.take();
        // Custom plans for each statement would plan every foreign-key check of every row again.
        let custom_plans = |statements: &[String]| statements.iter().filter(|s| s.contains("force_custom_plan")).count();
        assert_eq!(custom_plans(&statements), 0, "new rows go in on the plans the database keeps");
        assert_eq!(look_ups(statements), 0, "a call that holds none of the rows is not searched for them");
        assert_eq!(count_rows(store, "persons WHERE is_head").await, 2500);
        assert_eq!(store.call(call_id).await.expect("read").expect("call").households, 2500);

        let (second, _) = counted.submit_screening_run(&admin(), screening_job(call_id, "key-2")).await.expect("submit");
        log.take();
        let mut results: Vec<NewScreeningResult> = (1..=2501).map(screened).collect();
        results[2400].household.ethnic_community_registered = !results[2400].household.ethnic_community_registered;
        let (_, counts) = counted.complete_screening_run(&admin(), second.id, completed(results), &|_| {}).await.expect("complete");
        assert_eq!(counts, StoredCounts { households_created: 1, households_updated: 1, results_created: 1, results_updated: 2500 });
        let statements = log.take();
        if store.backend() == sea_orm::DatabaseBackend::Postgres {
            assert!(custom_plans(&statements) > 0, "the look-ups of held rows are planned for their values");
        }
        assert!(look_ups(statements) > 0, "the rows the call holds are read before they are updated");
        assert_eq!(count_rows(store, "persons WHERE is_head").await, 2501, "a held household keeps its one head");
        assert_eq!(count_rows(store, "screening_results").await, 2501);
        assert_eq!(store.call(call_id).await.expect("read").expect("call").households, 2501);
    }

    async fn a_failed_run_stores_its_errors_and_nothing_else(store: &Store) {
        let call_id = screening_call(store).await;
        let households_before = count_rows(store, "households").await;
        let (run, _) = store.submit_screening_run(&admin(), screening_job(call_id, "key-bad")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let errors: Vec<RunError> = (0..150)
            .map(|i| RunError { file: "households.csv".into(), line: i + 2, column: "sisben_score".into(), value: "x".into(), message: vereda_domain::message::Message::new("number-not_a_number").with("text", "x") })
            .collect();
        let failed = store
            .fail_screening_run(&admin(), run.id, None, vereda_store::screening::RunFailure { message: None, errors: errors.clone(), error_count: 150, progress: RunProgress { bytes_read: 10, total_bytes: 10, rows: 150, stored: 0 } })
            .await
            .expect("fail")
            .expect("no job, so no lease to lose");
        assert_eq!(failed.status, RunStatus::Failed);
        assert_eq!(failed.error_count, 150);
        assert_eq!(failed.errors.len(), 100, "the first hundred are kept");
        assert_eq!(failed.errors[0].line, 2);
        assert_eq!(failed.errors[0].message, errors[0].message, "the message is kept typed");
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

        // A run with a live job is left to it; one left running with no job (an earlier
        // version's process stopped) is failed, not running forever.
        store.start_screening_run(&admin(), run.id).await.expect("start");
        let interrupted = Message::new("screening-error-interrupted");
        let job = store.enqueue_job(JobKind::Screening, &run.id.to_string(), "{}").await.expect("enqueue");
        assert_eq!(store.fail_orphaned_screening_runs(&Actor::system("serve"), &interrupted).await.expect("sweep"), 0);
        let claimed = store.claim_job("server-a", &JobKind::ALL, jiff::SignedDuration::from_secs(30)).await.expect("claim").expect("a job");
        assert_eq!(claimed.id, job.id);
        assert!(store.finish_job(job.id, "server-a", false).await.expect("finish"));
        assert_eq!(store.fail_orphaned_screening_runs(&Actor::system("serve"), &interrupted).await.expect("sweep"), 1);
        let swept = store.screening_run(run.id).await.expect("read").expect("run");
        assert_eq!((swept.status, swept.failure), (RunStatus::Failed, Some(interrupted)));
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
        let cocoa = viable_cocoa();
        let committee = Procedure::new(store).await;
        let call = committee.call_id;
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, call, "v1")).await.expect("save");
        let submitted = store.submit_formulation(&admin(), saved.id).await.expect("submit");
        assert_eq!(submitted.status, FormulationStatus::Submitted);
        assert!(matches!(store.submit_formulation(&admin(), saved.id).await, Err(StoreError::Conflict(_))));

        // The committee returns it; the corrected project is a new version.
        committee.concept(saved.id, Concept::Negative, "Falta el plan de manejo ambiental").await;
        let returned = store.formulation(saved.id).await.expect("read").expect("formulation").formulation;
        assert_eq!(returned.status, FormulationStatus::Returned);
        assert_eq!(returned.return_reason.as_deref(), Some("Falta el plan de manejo ambiental"));
        let mut corrected = cocoa.clone();
        corrected.frame.components.environmental.prevention_measures = "Medidas de prevención corregidas".into();
        let second = store.save_formulation_draft(&admin(), draft(&corrected, call, "v2")).await.expect("save");
        assert_eq!((second.id, second.version, second.outcome), (saved.id, 2, SaveOutcome::NewVersion));

        // Version 2 is a draft again, edited in place; version 1 stays as it was.
        corrected.frame.components.environmental.prevention_measures = "Medidas de prevención corregidas y firmadas".into();
        let third = store.save_formulation_draft(&admin(), draft(&corrected, call, "v2 bis")).await.expect("save");
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
        let fourth = store.save_formulation_draft(&admin(), draft(&corrected, call, "v3")).await.expect("save");
        assert_eq!((fourth.version, fourth.outcome), (3, SaveOutcome::NewVersion));

        // An approved formulation is not changed.
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        committee.concept(saved.id, Concept::Positive, "Viable").await;
        corrected.frame.title = "Otro".into();
        assert!(matches!(
            store.save_formulation_draft(&admin(), draft(&corrected, call, "v4")).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(count_rows(store, "formulation_versions").await, 3);
    }

    async fn identical_content_saves_no_version(store: &Store) {
        let cocoa = cocoa();
        let call = Some(ready_call(store, "IC", dec!(10000000000)).await);
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, call, "v1")).await.expect("save");
        let audit_before = count_rows(store, "audit_log").await;
        let same = store.save_formulation_draft(&admin(), draft(&cocoa, call, "other note")).await.expect("save");
        assert_eq!((same.id, same.version, same.outcome), (saved.id, 1, SaveOutcome::Unchanged));
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        let after_submit = count_rows(store, "audit_log").await;
        assert_eq!(after_submit, audit_before + 1, "the no-op save audits nothing");
        let same = store.save_formulation_draft(&admin(), draft(&cocoa, call, "again")).await.expect("save");
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
        let call_id = ready_call(store, "LA", dec!(10000000000)).await;
        let other = ready_call(store, "LB", dec!(10000000000)).await;
        let mut ids = Vec::new();
        for (code, call) in [("P-1", Some(call_id)), ("P-2", Some(call_id)), ("P-3", Some(other))] {
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
        let of_call = FormulationQuery { call_id: Some(call_id), status: Some(FormulationStatus::Submitted), ..Default::default() };
        assert_eq!(codes(store.formulations(&of_call).await.expect("list")), ["P-2"]);
        let drafts = FormulationQuery { call_id: Some(call_id), status: Some(FormulationStatus::Draft), ..Default::default() };
        assert_eq!(codes(store.formulations(&drafts).await.expect("list")), ["P-1"]);
        let after = FormulationQuery { after_code: Some("P-1".into()), ..Default::default() };
        assert_eq!(codes(store.formulations(&after).await.expect("list")), ["P-2", "P-3"]);
    }

    async fn formulation_changes_are_audited(store: &Store) {
        let cocoa = viable_cocoa();
        let committee = Procedure::new(store).await;
        let saved = store.save_formulation_draft(&admin(), draft(&cocoa, committee.call_id, "v1")).await.expect("save");
        store.submit_formulation(&admin(), saved.id).await.expect("submit");
        committee.concept(saved.id, Concept::Negative, "Corregir el flujo").await;
        let mut corrected = cocoa.clone();
        corrected.frame.horizon_years += 1;
        store.save_formulation_draft(&admin(), draft(&corrected, committee.call_id, "v2")).await.expect("save");

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
        let actors: Vec<_> = entries.iter().rev().map(|e| e.actor.as_str()).collect();
        assert_eq!(actors, ["admin@vereda.test", "admin@vereda.test", "member-a@vereda.test", "admin@vereda.test"]);

        let query = AuditQuery { entity: Some("formulation_versions".into()), ..Default::default() };
        let versions = store.audit_entries(&query).await.expect("audit");
        assert_eq!(versions.len(), 2);
        assert!(versions.iter().all(|e| e.action == AuditAction::Create));
    }

    async fn measurements_count_once_another_officer_approves_them(store: &Store) {
        demo::seed(store).await.expect("seed");
        let code = demo::DEMO_PROJECT_CODE;
        let officer = Actor::User { id: 101, email: "officer@vereda.test".into() };
        let director = Actor::User { id: 102, email: "director@vereda.test".into() };
        let today = jiff::civil::date(2026, 11, 21);
        let submission = |date: jiff::civil::Date, value: Decimal| MeasurementSubmission {
            draft: MeasurementDraft { measured_on: date, value, value_women: None, value_men: None },
            source: Some("Informe de interventoría".into()),
            evidence: None,
        };
        let id = store
            .submit_measurement(&officer, code, 3, submission(jiff::civil::date(2023, 3, 31), dec!(47)), today)
            .await
            .expect("submitted");
        let card = store.project_card(code).await.expect("read").expect("card");
        assert_eq!(card.indicators[2].current_value, dec!(13.2), "a submitted measurement does not count");

        let own = store.review_measurement(&officer, id, Review::Approve).await;
        assert!(matches!(own, Err(StoreError::Forbidden(_))), "{own:?}");
        let no_reason = store.review_measurement(&director, id, Review::Return { comment: " ".into() }).await;
        assert!(matches!(no_reason, Err(StoreError::Invalid(_))), "{no_reason:?}");
        store.review_measurement(&director, id, Review::Approve).await.expect("approved");
        let again = store.review_measurement(&director, id, Review::Approve).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        let card = store.project_card(code).await.expect("read").expect("card");
        let roads = &card.indicators[2];
        assert_eq!((roads.current_value, roads.advance_percent), (dec!(47), Some(50)));
        assert_eq!(roads.last_update, Some(jiff::civil::date(2023, 3, 31)));

        // An older measurement approved later does not hide the newer one.
        let older = store
            .submit_measurement(&officer, code, 3, submission(jiff::civil::date(2021, 1, 31), dec!(5)), today)
            .await
            .expect("submitted");
        store.review_measurement(&director, older, Review::Approve).await.expect("approved");
        let card = store.project_card(code).await.expect("read").expect("card");
        assert_eq!(card.indicators[2].current_value, dec!(47));

        let returned = store
            .submit_measurement(&officer, code, 3, submission(jiff::civil::date(2023, 6, 30), dec!(60)), today)
            .await
            .expect("submitted");
        store
            .review_measurement(&director, returned, Review::Return { comment: "Falta el acta de recibo".into() })
            .await
            .expect("returned");
        let rows = store
            .measurements(&MeasurementQuery { project_code: Some(code.into()), indicator_number: Some(3), status: None, ..Default::default() })
            .await
            .expect("rows");
        let returned_row = rows.iter().find(|m| m.id == returned).expect("the returned one");
        assert_eq!(returned_row.review_comment.as_deref(), Some("Falta el acta de recibo"));
        let published: Vec<_> = store
            .published_measurements(None)
            .await
            .expect("published")
            .into_iter()
            .filter(|m| m.project_code == code && m.indicator_number == 3)
            .map(|m| m.value)
            .collect();
        assert_eq!(published, [dec!(5), dec!(13.2), dec!(47)], "only approved ones, by date");
        let audit = store
            .audit_entries(&AuditQuery { entity: Some("indicator_measurements".into()), limit: 100, ..AuditQuery::default() })
            .await
            .expect("audit");
        assert!(audit.iter().any(|e| e.entity_id == id.to_string() && e.action == AuditAction::Update));

        // The review queue as a list (issue 18 part 2): paged, searched in the indicator's name
        // without regard to accents and case, filtered by unit and project, sorted by day.
        use vereda_store::lists::{MeasurementList, Paging};
        for (number, day, value) in [(8, (2023, 1, 31), dec!(10)), (8, (2023, 2, 28), dec!(12)), (3, (2023, 4, 30), dec!(50))] {
            let date = jiff::civil::date(day.0, day.1, day.2);
            store.submit_measurement(&officer, code, number, submission(date, value), today).await.expect("submitted");
        }
        // The demo's other project has a measurement awaiting review too.
        let queue = |paging: Paging| MeasurementList { status: Some("submitted".into()), project_code: Some(code.into()), paging, ..MeasurementList::default() };
        let days = |rows: &[vereda_store::projects::MeasurementRow]| -> Vec<String> { rows.iter().map(|m| m.measured_on.to_string()).collect() };
        let all = store.measurement_list(&queue(Paging::default())).await.expect("page");
        assert_eq!(all.total, 3);
        assert_eq!(days(&all.rows), ["2023-04-30", "2023-02-28", "2023-01-31"], "newest first");
        let second = store.measurement_list(&queue(Paging { page: 2, per_page: 2, ..Paging::default() })).await.expect("page");
        assert_eq!(days(&second.rows), ["2023-01-31"]);
        for words in ["KILÓMETROS", "kilometros vias"] {
            let found = store.measurement_list(&queue(Paging { search: words.into(), ..Paging::default() })).await.expect("page");
            assert_eq!(days(&found.rows), ["2023-04-30"], "{words}");
        }
        let by_code = MeasurementList { project_code: None, ..queue(Paging { search: "t06.60".into(), ..Paging::default() }) };
        let by_code = store.measurement_list(&by_code).await.expect("page");
        assert_eq!(by_code.total, 3, "the project's code is searched too");
        let numbers = store.measurement_list(&MeasurementList { unit: Some("number".into()), ..queue(Paging::default()) }).await.expect("page");
        assert_eq!(days(&numbers.rows), ["2023-02-28", "2023-01-31"]);
        let elsewhere = store.measurement_list(&MeasurementList { project_code: Some("NOPE".into()), ..queue(Paging::default()) }).await.expect("page");
        assert_eq!(elsewhere.total, 0);
        let oldest = Paging { sort: "fecha".into(), descending: true, per_page: 1, ..Paging::default() };
        assert_eq!(days(&store.measurement_list(&queue(oldest.clone())).await.expect("page").rows), ["2023-01-31"]);
        let first = store.measurement_list(&queue(oldest.clone())).await.expect("page").rows[0].id;
        let next = store.measurement_rows(&queue(Paging { after: Some(first), per_page: 5, ..oldest })).await.expect("rows");
        assert_eq!(days(&next), ["2023-02-28", "2023-04-30"], "walked by keyset in the sort");
    }

    async fn invalid_measurements_and_targets_store_nothing(store: &Store) {
        demo::seed(store).await.expect("seed");
        let code = demo::DEMO_PROJECT_CODE;
        let officer = Actor::User { id: 101, email: "officer@vereda.test".into() };
        let today = jiff::civil::date(2026, 11, 21);
        let before = store.measurements(&MeasurementQuery::default()).await.expect("rows").len();
        for (date, value) in [(jiff::civil::date(2023, 1, 1), dec!(-3)), (jiff::civil::date(2026, 11, 22), dec!(20))] {
            let refused = store
                .submit_measurement(
                    &officer,
                    code,
                    3,
                    MeasurementSubmission {
                        draft: MeasurementDraft { measured_on: date, value, value_women: None, value_men: None },
                        source: None,
                        evidence: None,
                    },
                    today,
                )
                .await;
            assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
        }
        let item = store.indicator_for_edit(code, 3).await.expect("read").expect("indicator");
        let zero_goal = store
            .propose_indicator_change(
                &officer,
                code,
                3,
                IndicatorProposalDraft {
                    baseline: dec!(0),
                    goal: dec!(0),
                    unit: item.progress.unit,
                    reason: "Meta revisada".into(),
                    lock_version: item.lock_version,
                },
            )
            .await;
        assert!(matches!(zero_goal, Err(StoreError::Invalid(_))), "{zero_goal:?}");
        assert_eq!(store.measurements(&MeasurementQuery::default()).await.expect("rows").len(), before);
        let after = store.indicator_for_edit(code, 3).await.expect("read").expect("indicator");
        assert_eq!(after, item);
    }

    async fn concurrent_indicator_edits_do_not_overwrite_each_other(store: &Store) {
        demo::seed(store).await.expect("seed");
        let code = demo::DEMO_PROJECT_CODE;
        let ana = Actor::User { id: 101, email: "ana@vereda.test".into() };
        let luis = Actor::User { id: 102, email: "luis@vereda.test".into() };
        let seen = store.indicator_for_edit(code, 3).await.expect("read").expect("indicator");
        let edit = |status: ExecutionStatus| IndicatorEdit { status, lock_version: seen.lock_version };
        let saved = store.update_indicator(&ana, code, 3, edit(ExecutionStatus::Achieved)).await.expect("first edit");
        assert_eq!(saved.lock_version, seen.lock_version + 1);
        let late = store.update_indicator(&luis, code, 3, edit(ExecutionStatus::Closed)).await;
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
        let now = store.indicator_for_edit(code, 3).await.expect("read").expect("indicator");
        assert_eq!(now.progress.status, ExecutionStatus::Achieved);
        assert_eq!(now.progress.goal, seen.progress.goal, "a status edit leaves the published figures");
    }

    async fn the_portfolio_filters_and_rolls_up_indicators(store: &Store) {
        demo::seed(store).await.expect("seed");
        let codes = |projects: Vec<ProjectSummary>| projects.into_iter().map(|p| p.code).collect::<Vec<_>>();
        let all = store.projects(&ProjectFilter::default()).await.expect("all");
        assert_eq!(all.len(), 5, "the card, the program's three and the project followed after its payment");
        let caqueta = ProjectFilter { department: Some(DepartmentCode::parse("18").expect("code")), ..ProjectFilter::default() };
        assert_eq!(codes(store.projects(&caqueta).await.expect("18")), [demo::DEMO_FOLLOWED_CODE, "PDR-2013-CAQ-001", "T06.60,61,62"]);
        let cacao = ProjectFilter { value_chain: Some("Cacao".into()), ..ProjectFilter::default() };
        assert_eq!(
            codes(store.projects(&cacao).await.expect("cacao")),
            ["PDR-2013-NAR-002", "PDR-2013-PUT-003", "T06.60,61,62"]
        );
        let closed = ProjectFilter {
            status: Some(vereda_domain::awarded_project::ProjectStatus::Closed),
            funder: Some("Alcaldía de Puerto Asís".into()),
            ..ProjectFilter::default()
        };
        assert_eq!(codes(store.projects(&closed).await.expect("closed")), ["PDR-2013-PUT-003"]);
        let text = ProjectFilter { text: Some("tumaco".into()), ..ProjectFilter::default() };
        assert_eq!(codes(store.projects(&text).await.expect("text")), ["PDR-2013-NAR-002"]);

        let rollups = store.rollups(&ProjectFilter::default()).await.expect("rollups");
        let roads = rollups.iter().find(|r| r.key == "roads_km").expect("roads");
        assert_eq!((roads.current, roads.goal, roads.projects), (dec!(20.7), dec!(101.5), 2));
        assert_eq!(roads.by_territory, [("86".to_owned(), dec!(7.5)), ("several".to_owned(), dec!(13.2))]);
        let trained = rollups.iter().find(|r| r.key == "producers_trained").expect("producers");
        assert_eq!(trained.current, dec!(554));
        let only_caqueta = store.rollups(&caqueta).await.expect("rollups of 18");
        let hectares = only_caqueta.iter().find(|r| r.key == "sustainable_hectares").expect("hectares");
        assert_eq!(hectares.current, dec!(78), "T06 has 0 ha so far; San Vicente 78");
    }

    async fn an_approval_moves_the_stored_summary_and_its_rollup(store: &Store) {
        demo::seed(store).await.expect("seed");
        let code = demo::DEMO_PROJECT_CODE;
        let officer = Actor::User { id: 101, email: "officer@vereda.test".into() };
        let director = Actor::User { id: 102, email: "director@vereda.test".into() };
        let everything = ProjectFilter::default();
        let summary_of = |all: Vec<ProjectSummary>| all.into_iter().find(|p| p.code == code).expect("the demo project");
        let roads = |rollups: Vec<vereda_store::projects::Rollup>| {
            rollups.into_iter().find(|r| r.key == "roads_km").expect("roads")
        };
        let before = summary_of(store.projects(&everything).await.expect("list"));
        assert_eq!(store.recomputed_projects().await.expect("recomputed"), store.projects(&everything).await.expect("list"));

        let id = store
            .submit_measurement(
                &officer,
                code,
                3,
                MeasurementSubmission {
                    draft: MeasurementDraft {
                        measured_on: jiff::civil::date(2023, 3, 31),
                        value: dec!(47),
                        value_women: None,
                        value_men: None,
                    },
                    source: None,
                    evidence: None,
                },
                jiff::civil::date(2026, 11, 21),
            )
            .await
            .expect("submitted");
        assert_eq!(summary_of(store.projects(&everything).await.expect("list")), before, "submitted is not counted");
        store.review_measurement(&director, id, Review::Approve).await.expect("approved");

        let after = summary_of(store.projects(&everything).await.expect("list"));
        assert!(after.advance_percent > before.advance_percent, "{:?} then {:?}", before.advance_percent, after.advance_percent);
        let rolled = roads(store.rollups(&everything).await.expect("rollups"));
        assert_eq!((rolled.current, rolled.projects), (dec!(54.5), 2), "13.2 became 47");
        assert_eq!(rolled.by_territory, [("86".to_owned(), dec!(7.5)), ("several".to_owned(), dec!(47))]);
        // What was kept step by step equals what the records give from scratch.
        assert_eq!(store.recomputed_projects().await.expect("recomputed"), store.projects(&everything).await.expect("list"));

        // A page of the portfolio, and what it shows of every project the filter admits.
        let first = store.portfolio_page(&everything, 0, 3).await.expect("page 1");
        let second = store.portfolio_page(&everything, 3, 3).await.expect("page 2");
        let codes: Vec<String> = first.projects.iter().chain(&second.projects).map(|p| p.code.clone()).collect();
        let all: Vec<String> = store.projects(&everything).await.expect("list").into_iter().map(|p| p.code).collect();
        // The demo's five projects (its followed project among them): pages of 3 and 2.
        let total = all.len();
        assert_eq!(total, 5, "{all:?}");
        assert_eq!((first.projects.len(), second.projects.len(), codes), (3, total - 3, all));
        assert_eq!((first.matching, first.by_status.iter().map(|(_, n)| n).sum::<usize>()), (total, total));
        assert_eq!(first.by_status, second.by_status);
        assert!(first.municipalities.iter().all(|(_, n)| *n >= 1) && !first.municipalities.is_empty());
        let facets = store.portfolio_facets().await.expect("facets");
        assert_eq!(facets.projects, total);
        assert!(facets.departments.contains(&"18".to_owned()) && facets.value_chains.contains(&"Cacao".to_owned()));
    }


    async fn verification_checklist_documents_and_offer_letters(store: &Store) {
        let call_id = screening_call(store).await;
        let plain = store
            .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household("V-1", "101") })
            .await
            .expect("plain household");
        let victim = store
            .create_household(
                &admin(),
                NewHousehold {
                    call_id: Some(call_id),
                    displaced: true,
                    ethnic_group: EthnicGroup::Afro,
                    ethnic_community_registered: true,
                    ..household("V-2", "102")
                },
            )
            .await
            .expect("displaced ethnic household");
        let today = jiff::civil::date(2026, 3, 2);
        use vereda_domain::verification::{DocumentKind, LetterKind, VerificationStatus};
        let before = store
            .household_verification(plain.id, today)
            .await
            .expect("read")
            .expect("household");
        assert_eq!(before.notice, None);
        assert_eq!(
            before.required,
            vec![DocumentKind::Identity, DocumentKind::Sisben, DocumentKind::TitleRecord]
        );
        let refused = store
            .receive_household_document(&admin(), plain.id, document(DocumentKind::Identity, today), today)
            .await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");

        let (notice, letters) = store
            .record_offer_notice(&admin(), call_id, today, "Se convoca a los hogares focalizados.")
            .await
            .expect("notice");
        assert_eq!(notice.deadline, jiff::civil::date(2026, 3, 31));
        assert_eq!(letters.len(), 2);
        assert!(letters.iter().all(|l| l.kind == LetterKind::Offer && l.status == "pending"));
        // Letters keep their facts (codes and values), not prose; no text until sent.
        let facts = |l: &vereda_store::verification::LetterRecord| l.facts.clone().expect("facts");
        assert_eq!(facts(&letters[0]).head_name, "Ana Pérez");
        assert!(facts(&letters[1]).required.contains(&DocumentKind::Ruv));
        assert_eq!(facts(&letters[0]).deadline, Some(jiff::civil::date(2026, 3, 31)));
        assert!(letters.iter().all(|l| l.sent.is_none()));
        // Each letter is sent by one server: a claim holds it until it expires, and a second
        // claim (another server) gets the same Message-ID, so a resend is the same message.
        let ids: Vec<i32> = letters.iter().map(|l| l.id).collect();
        let minute = jiff::SignedDuration::from_secs(60);
        let a = store.claim_letters(&ids, "server-a", minute).await.expect("claim");
        assert_eq!(a.len(), 2);
        assert!(store.claim_letters(&ids, "server-b", minute).await.expect("claim").is_empty(), "claimed by A");
        assert!(store.pending_letters(100).await.expect("pending").is_empty(), "A's claim is live");
        let expired = {
            // A stops without a word: its claim of the first letter runs out.
            store
                .connection()
                .execute_unprepared(&format!("UPDATE letters SET claimed_until = 0 WHERE id = {}", ids[0]))
                .await
                .expect("expire");
            store.claim_letters(&ids, "server-b", minute).await.expect("claim")
        };
        assert_eq!(expired.len(), 1, "only the letter whose claim ran out");
        assert_eq!(expired[0], a[0], "the same Message-ID");
        let again = store.record_offer_notice(&admin(), call_id, today, "otra vez").await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let blank = store.record_offer_notice(&admin(), call_id, today, " ").await;
        assert!(matches!(blank, Err(StoreError::Invalid(_))), "{blank:?}");

        let victim_state = store
            .household_verification(victim.id, today)
            .await
            .expect("read")
            .expect("household");
        assert_eq!(victim_state.required.len(), 5);
        assert_eq!(victim_state.status, VerificationStatus::Pending);
        assert_eq!(victim_state.deadline(), Some(jiff::civil::date(2026, 3, 31)));

        let received = store
            .receive_household_document(&admin(), victim.id, document(DocumentKind::Ruv, today), today)
            .await
            .expect("receipt");
        assert_eq!(received.received_by, Some(1_000_000));
        let state = store
            .household_verification(victim.id, today)
            .await
            .expect("read")
            .expect("household");
        assert_eq!(state.documents.len(), 1);
        assert!(!state.missing.contains(&DocumentKind::Ruv));
        assert_eq!(state.missing.len(), 4);

        let delivered = store
            .record_delivery(
                &admin(),
                letters[0].id,
                vereda_store::verification::Delivery {
                    channel: "outbox".into(),
                    sent: true,
                    location: Some("/tmp/x.txt".into()),
                    error: None,
                    text: vereda_domain::verification::LetterText {
                        subject: "Oferta".into(),
                        body: "Texto enviado".into(),
                    },
                },
            )
            .await
            .expect("delivery");
        assert_eq!(delivered.status, "sent");
        // The text as sent is kept with the delivery, beside the facts it was written from.
        assert_eq!(delivered.sent.as_ref().map(|t| t.body.as_str()), Some("Texto enviado"));
        assert!(delivered.facts.is_some());
        assert_eq!(store.call_letters(call_id).await.expect("letters").len(), 2);
        let timeline = store.household_timeline(victim.id).await.expect("timeline");
        let kinds: Vec<&str> = timeline.iter().map(|e| e.kind).collect();
        for kind in ["created", "notice", "document", "letter"] {
            assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
        }
    }

    async fn decisions_in_bulk_go_one_by_one_through_the_gate(store: &Store) {
        use vereda_domain::verification::VerificationStatus;
        use vereda_store::verification::Decision;
        let call_id = screening_call(store).await;
        let mut ids = Vec::new();
        for (external, document) in [("B-1", "201"), ("B-2", "202")] {
            let created = store
                .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household(external, document) })
                .await
                .expect("household");
            ids.push(created.id);
        }
        let today = jiff::civil::date(2026, 3, 2);
        store.record_offer_notice(&admin(), call_id, today, "Aviso de la oferta").await.expect("notice");
        let decided = Decision { status: VerificationStatus::NotEligible, reasons: "Antes".into(), lock_version: 0 };
        store.decide_verification(&admin(), ids[1], decided, today).await.expect("decided alone");
        let audited = "audit_log WHERE entity = 'household_verifications'";
        let audit_before = count_rows(store, audited).await;
        let outcomes = store
            .decide_verifications(&admin(), call_id, &[ids[0], ids[1], 999_999], VerificationStatus::NotEligible, "Fuera del área", today)
            .await
            .expect("bulk");
        assert_eq!(outcomes.len(), 3);
        assert_eq!(outcomes[0].household_id, ids[0]);
        assert_eq!(outcomes[0].external_id, "B-1");
        assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0]);
        let code = |i: usize| outcomes[i].result.as_ref().err().map(|m| m.code().to_owned());
        assert_eq!(code(1).as_deref(), Some("verification-error-decided"));
        assert_eq!(code(2).as_deref(), Some("verification-error-bulk_not_in_call"));
        assert_eq!(outcomes[2].external_id, "");
        let first = store.household_verification(ids[0], today).await.expect("read").expect("household");
        assert_eq!(first.status, VerificationStatus::NotEligible);
        assert_eq!(first.reasons.as_deref(), Some("Fuera del área"));
        let second = store.household_verification(ids[1], today).await.expect("read").expect("household");
        assert_eq!(second.reasons.as_deref(), Some("Antes"), "the refused one is untouched");
        assert_eq!(count_rows(store, audited).await, audit_before + 1, "one audited decision");
        let too_many: Vec<i32> = (1..=5001).collect();
        let refused = store
            .decide_verifications(&admin(), call_id, &too_many, VerificationStatus::NotEligible, "x", today)
            .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(ref m)) if m.code() == "verification-error-bulk_too_many"),
            "{refused:?}"
        );
    }

    async fn a_decision_in_bulk_run_as_a_job_decides_each_household_once(store: &Store) {
        use vereda_domain::verification::{LetterKind, VerificationStatus};
        use vereda_store::bulk_decisions::BulkRequest;
        use vereda_store::jobs::JobKind;
        use vereda_store::screening::JobLease;
        use vereda_store::verification::Decision;
        let call_id = screening_call(store).await;
        let mut ids = Vec::new();
        for n in 1..=7 {
            let created = store
                .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household(&format!("J-{n}"), &format!("30{n}")) })
                .await
                .expect("household");
            ids.push(created.id);
        }
        let today = jiff::civil::date(2026, 3, 2);
        store.record_offer_notice(&admin(), call_id, today, "Aviso de la oferta").await.expect("notice");
        // One decided before: the filter of pending households leaves it out.
        let before = Decision { status: VerificationStatus::NotEligible, reasons: "Antes".into(), lock_version: 0 };
        store.decide_verification(&admin(), ids[6], before, today).await.expect("decided alone");
        let officer = store.create_account(&admin(), account("masivo@vereda.test", Role::Admin)).await.expect("account");
        let as_officer = Actor::User { id: officer.id, email: officer.email.clone() };
        let request = BulkRequest {
            call_id,
            status: VerificationStatus::NotEligible,
            reasons: "Fuera del área focalizada".into(),
            search: String::new(),
            municipality: None,
            verification_status: Some(VerificationStatus::Pending),
        };
        // Reasons are required, as for one household.
        let silent = store.request_bulk_decision(&as_officer, &BulkRequest { reasons: " ".into(), ..request.clone() }, 6).await;
        assert!(matches!(&silent, Err(StoreError::Invalid(m)) if m.code() == "verification-error-reasons"), "{silent:?}");
        let (asked, job) = store.request_bulk_decision(&as_officer, &request, 6).await.expect("asked");
        assert_eq!((job.kind, asked.matching, asked.planned, asked.finished_at), (JobKind::BulkDecision, 6, 0, None));
        let lease = jiff::SignedDuration::from_secs(60);
        let claimed = store.claim_job("server-a", &[JobKind::BulkDecision], lease).await.expect("claim").expect("the job");
        let a = JobLease { job_id: claimed.id, owner: "server-a".into() };
        // A chunk of four, planned with the checkpoint after its last household.
        let (planned, checkpoint) = store.plan_bulk_chunk(&a, asked.id, 0, 4).await.expect("plan").expect("held");
        assert_eq!((planned, checkpoint), (4, ids[3] as u64));
        let undecided = store.bulk_undecided(asked.id, 10).await.expect("undecided");
        assert_eq!(undecided.iter().map(|p| p.household_id).collect::<Vec<_>>(), ids[..4]);
        // Server A decides two, and the first of them through the gate only: it dies before
        // recording that outcome.
        store.decide_planned(&store.bulk_deciding(asked.id).await.expect("asked"), &undecided[0], today).await.expect("decided").expect("a letter");
        let lost = Decision { status: VerificationStatus::NotEligible, reasons: request.reasons.clone(), lock_version: undecided[1].lock_version };
        store.decide_verification(&as_officer, ids[1], lost, today).await.expect("decided, not recorded");
        // Its lease expires; server B takes the job over and goes on from what was planned.
        let expired = jiff::SignedDuration::from_secs(-1);
        assert!(store.renew_job_lease(claimed.id, "server-a", expired).await.expect("expire"));
        let retaken = store.claim_job("server-b", &[JobKind::BulkDecision], lease).await.expect("claim").expect("taken over");
        assert_eq!(retaken.checkpoint, ids[3] as u64);
        let b = JobLease { job_id: retaken.id, owner: "server-b".into() };
        assert_eq!(store.plan_bulk_chunk(&a, asked.id, retaken.checkpoint, 4).await.expect("plan"), None, "A's lease is lost");
        for planned in store.bulk_undecided(asked.id, 10).await.expect("undecided") {
            store.decide_planned(&store.bulk_deciding(asked.id).await.expect("asked"), &planned, today).await.expect("decided");
        }
        let (planned, checkpoint) = store.plan_bulk_chunk(&b, asked.id, retaken.checkpoint, 4).await.expect("plan").expect("held");
        assert_eq!((planned, checkpoint), (2, ids[5] as u64), "the decided seventh is no longer pending");
        for planned in store.bulk_undecided(asked.id, 10).await.expect("undecided") {
            store.decide_planned(&store.bulk_deciding(asked.id).await.expect("asked"), &planned, today).await.expect("decided");
        }
        assert_eq!(store.plan_bulk_chunk(&b, asked.id, checkpoint, 4).await.expect("plan"), Some((0, checkpoint)));
        store.finish_bulk_decision(asked.id).await.expect("finished");
        let done = store.bulk_decision(asked.id).await.expect("read").expect("the decision");
        assert_eq!((done.planned, done.decided, done.refused), (6, 6, 0));
        assert!(done.finished_at.is_some());
        // Each household decided once, with one letter; the seventh untouched.
        for (i, id) in ids.iter().enumerate() {
            let letters = store.household_letters(*id).await.expect("letters");
            let results = letters.iter().filter(|l| l.kind == LetterKind::VerificationResult).count();
            assert_eq!(results, 1, "household {i}");
            let state = store.household_verification(*id, today).await.expect("read").expect("household");
            let expected = if i == 6 { "Antes" } else { "Fuera del área focalizada" };
            assert_eq!((state.status, state.reasons.as_deref()), (VerificationStatus::NotEligible, Some(expected)), "household {i}");
        }
        // Asked again after the households changed: each refusal is kept with its code.
        let (again, _) = store
            .request_bulk_decision(&as_officer, &BulkRequest { verification_status: Some(VerificationStatus::NotEligible), ..request.clone() }, 6)
            .await
            .expect("asked again");
        let job = store.claim_job("server-b", &[JobKind::BulkDecision], lease).await.expect("claim").expect("the second job");
        let c = JobLease { job_id: job.id, owner: "server-b".into() };
        store.plan_bulk_chunk(&c, again.id, 0, 10).await.expect("plan").expect("held");
        for planned in store.bulk_undecided(again.id, 10).await.expect("undecided") {
            assert_eq!(store.decide_planned(&store.bulk_deciding(again.id).await.expect("asked"), &planned, today).await.expect("refused"), None);
        }
        let refused = store.bulk_decision(again.id).await.expect("read").expect("the decision");
        assert_eq!((refused.planned, refused.decided, refused.refused), (7, 0, 7));
        assert_eq!(refused.refusals[0].problem.code(), "verification-error-decided");
    }

    async fn a_large_calls_offer_letters_are_written_by_a_job_once_each(store: &Store) {
        use vereda_domain::verification::LetterKind;
        use vereda_store::jobs::JobKind;
        use vereda_store::screening::JobLease;
        let call_id = screening_call(store).await;
        let mut ids = Vec::new();
        for n in 1..=5 {
            let created = store
                .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household(&format!("O-{n}"), &format!("40{n}")) })
                .await
                .expect("household");
            ids.push(created.id);
        }
        let today = jiff::civil::date(2026, 3, 2);
        let silent = store.record_offer_notice_by_job(&admin(), call_id, today, " ").await;
        assert!(matches!(&silent, Err(StoreError::Invalid(m)) if m.code() == "verification-error-notice_text"), "{silent:?}");
        let (notice, job) = store.record_offer_notice_by_job(&admin(), call_id, today, "Aviso de la oferta").await.expect("notice");
        assert_eq!((notice.call_id, job.kind), (call_id, JobKind::OfferLetters));
        let twice = store.record_offer_notice_by_job(&admin(), call_id, today, "Otra vez").await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "verification-error-notice_exists"), "{twice:?}");
        assert_eq!(store.offer_letters_written(call_id).await.expect("count"), 0, "no letter yet");
        let lease = jiff::SignedDuration::from_secs(60);
        let claimed = store.claim_job("server-a", &[JobKind::OfferLetters], lease).await.expect("claim").expect("the job");
        let a = JobLease { job_id: claimed.id, owner: "server-a".into() };
        let (letters, checkpoint) = store.write_offer_letters_chunk(&a, call_id, 0, 2).await.expect("chunk").expect("held");
        assert_eq!((letters.len(), checkpoint), (2, ids[1] as u64));
        assert!(letters.iter().all(|l| l.kind == LetterKind::Offer));
        // Server A's lease expires before its next chunk: that chunk writes nothing.
        assert!(store.renew_job_lease(claimed.id, "server-a", jiff::SignedDuration::from_secs(-1)).await.expect("expire"));
        let retaken = store.claim_job("server-b", &[JobKind::OfferLetters], lease).await.expect("claim").expect("taken over");
        assert_eq!(store.write_offer_letters_chunk(&a, call_id, checkpoint, 2).await.expect("chunk"), None);
        assert_eq!(store.offer_letters_written(call_id).await.expect("count"), 2);
        // Server B goes on from the checkpoint to the end.
        let b = JobLease { job_id: retaken.id, owner: "server-b".into() };
        let mut at = retaken.checkpoint;
        loop {
            let (letters, next) = store.write_offer_letters_chunk(&b, call_id, at, 2).await.expect("chunk").expect("held");
            if letters.is_empty() {
                break;
            }
            at = next;
        }
        assert_eq!(store.offer_letters_written(call_id).await.expect("count"), 5);
        for id in &ids {
            let offers = store.household_letters(*id).await.expect("letters").iter().filter(|l| l.kind == LetterKind::Offer).count();
            assert_eq!(offers, 1, "household {id}");
            let state = store.household_verification(*id, today).await.expect("read").expect("household");
            assert_eq!(state.notice.map(|n| n.deadline), Some(notice.deadline));
        }
    }

    async fn a_receipt_waits_for_a_first_decision_that_holds_the_household_and_then_refuses(store: &Store) {
        use sea_orm::TransactionTrait;
        use vereda_domain::verification::{DecisionError, DocumentKind, VerificationStatus};
        let call_id = screening_call(store).await;
        let notice_day = jiff::civil::date(2026, 3, 2);
        store.record_offer_notice(&admin(), call_id, notice_day, "Aviso").await.expect("notice");
        // Registered after the notice: no verification row until its first decision.
        let late = store
            .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household("L-1", "301") })
            .await
            .expect("household");
        assert_eq!(count_rows(store, &format!("household_verifications WHERE household_id = {}", late.id)).await, 0);
        // A decision under way holds the household and writes the first row, not yet committed.
        let decision = store.connection().begin().await.expect("a transaction");
        decision
            .execute_unprepared(&format!("SELECT id FROM households WHERE id = {} {}", late.id, if store.backend_name() == "PostgreSQL" { "FOR UPDATE" } else { "" }))
            .await
            .expect("held");
        decision
            .execute_unprepared(&format!("INSERT INTO household_verifications (household_id, status, reason_codes, lock_version, call_id) VALUES ({}, 'eligible', '', 1, {})", late.id, call_id))
            .await
            .expect("decided");
        let within = jiff::civil::date(2026, 3, 20);
        let receipt = {
            let store = store.clone();
            let id = late.id;
            tokio::spawn(async move { store.receive_household_document(&admin(), id, document(DocumentKind::Identity, within), within).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert!(!receipt.is_finished(), "the receipt waits for the decision that holds the household");
        decision.commit().await.expect("committed");
        match receipt.await.expect("the receipt ends") {
            Err(StoreError::Conflict(message)) => {
                assert_eq!(message.code(), DecisionError::AlreadyDecided(VerificationStatus::Eligible).message().code());
            }
            other => panic!("a receipt after the decision is refused, got {other:?}"),
        }
        assert_eq!(count_rows(store, &format!("household_documents WHERE household_id = {}", late.id)).await, 0);
    }

    async fn verification_outcomes_follow_the_rules_and_lock(store: &Store) {
        use vereda_domain::verification::{DocumentKind, LetterKind, VerificationStatus};
        use vereda_store::verification::Decision;
        let call_id = screening_call(store).await;
        let one = store
            .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household("W-1", "201") })
            .await
            .expect("household");
        let two = store
            .create_household(&admin(), NewHousehold { call_id: Some(call_id), ..household("W-2", "202") })
            .await
            .expect("household");
        let notice_day = jiff::civil::date(2026, 3, 2);
        let within = jiff::civil::date(2026, 3, 31);
        let after = jiff::civil::date(2026, 4, 1);
        store
            .record_offer_notice(&admin(), call_id, notice_day, "Aviso")
            .await
            .expect("notice");
        let decide = |status, reasons: &str, lock_version| Decision {
            status,
            reasons: reasons.into(),
            lock_version,
        };
        // Eligible with documents missing: refused, naming them.
        let refused = store
            .decide_verification(&admin(), one.id, decide(VerificationStatus::Eligible, "", 0), within)
            .await;
        match refused {
            Err(StoreError::Invalid(message)) => {
                assert_eq!(message.code(), "verification-error-missing");
                assert!(
                    matches!(message.arg("documents"), Some(Arg::Terms(kinds)) if kinds.contains(&"verification-doc-identity".to_owned())),
                    "{message}"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        for kind in [DocumentKind::Identity, DocumentKind::Sisben, DocumentKind::TitleRecord] {
            store
                .receive_household_document(&admin(), one.id, document(kind, within), within)
                .await
                .expect("receipt");
        }
        // Not eligible needs its reasons.
        let no_reasons = store
            .decide_verification(&admin(), one.id, decide(VerificationStatus::NotEligible, " ", 0), within)
            .await;
        assert!(matches!(no_reasons, Err(StoreError::Invalid(_))), "{no_reasons:?}");
        // Its parcel is not studied yet: eligible is refused, naming the parcel.
        match store
            .decide_verification(&admin(), one.id, decide(VerificationStatus::Eligible, "", 0), within)
            .await
        {
            Err(StoreError::Invalid(message)) => {
                assert_eq!(message.code(), "verification-error-parcel_not_suitable");
                let Some(Arg::List(parcels)) = message.arg("parcels") else {
                    panic!("the parcels are listed: {message}")
                };
                assert_eq!(parcels[0].arg("parcel"), Some(&Arg::Text("La Esperanza".into())));
                let Some(Arg::List(issues)) = parcels[0].arg("issues") else {
                    panic!("the issues are listed: {message}")
                };
                assert!(issues.iter().any(|i| i.arg("article") == Some(&Arg::Text("Art. 12".into()))), "{message}");
            }
            other => panic!("expected a refusal for the parcel, got {other:?}"),
        }
        make_parcel_suitable(store, one.id).await;
        let (state, letter) = store
            .decide_verification(&admin(), one.id, decide(VerificationStatus::Eligible, "", 0), within)
            .await
            .expect("eligible");
        assert_eq!(state.status, VerificationStatus::Eligible);
        assert_eq!(state.lock_version, 1);
        assert_eq!(letter.kind, LetterKind::VerificationResult);
        // The decisions keep their household's call, and the call's are counted by status.
        assert_eq!(count_rows(store, &format!("household_verifications WHERE call_id = {call_id}")).await, 2);
        let of_status = |status| vereda_store::lists::HouseholdList {
            status: Some(status),
            ..vereda_store::lists::HouseholdList::of_call(call_id, Reach::National)
        };
        assert_eq!(store.household_count(&of_status(VerificationStatus::Eligible)).await.expect("count"), 1);
        assert_eq!(store.household_count(&of_status(VerificationStatus::Pending)).await.expect("count"), 1);
        // The household keeps its status with the decision: a status with a search finds it
        // by the household's own row (migration 44).
        for (status, words, found) in [
            (VerificationStatus::Eligible, "w-1", vec![one.id]),
            (VerificationStatus::Pending, "w-1", vec![]),
            (VerificationStatus::Pending, "w", vec![two.id]),
        ] {
            let mut searched = of_status(status);
            searched.paging.search = words.into();
            let page = store.household_list(&searched).await.expect("page");
            assert_eq!(page.rows.iter().map(|h| h.id).collect::<Vec<_>>(), found, "{status} {words}");
            assert_eq!(page.total, found.len() as u64, "{status} {words}");
        }
        // The decision rests on the parcel: it changes no more.
        let parcel = store.parcels_of(&[one.id]).await.expect("parcels")[0].parcel.id;
        let frozen = store.record_title_study(&admin(), one.id, parcel, title_study("1", 1)).await;
        assert!(matches!(frozen, Err(StoreError::Conflict(_))), "{frozen:?}");
        let late_parcel = store.add_parcel(&admin(), one.id, household("x", "1").parcels[0].clone()).await;
        assert!(matches!(late_parcel, Err(StoreError::Conflict(_))), "{late_parcel:?}");
        // The same form again (a double submission): the version is stale.
        let double = store
            .decide_verification(&admin(), one.id, decide(VerificationStatus::Eligible, "", 0), within)
            .await;
        assert!(matches!(double, Err(StoreError::Conflict(_))), "{double:?}");
        let decided = store
            .decide_verification(&admin(), one.id, decide(VerificationStatus::NotEligible, "x", 1), within)
            .await;
        assert!(matches!(decided, Err(StoreError::Conflict(_))), "{decided:?}");
        let late = store
            .receive_household_document(&admin(), one.id, document(DocumentKind::Ruv, within), within)
            .await;
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");

        // Tacit withdrawal: flagged only after the deadline, confirmed only with reasons.
        let on_deadline = store.household_verification(two.id, within).await.expect("read").expect("two");
        assert!(!on_deadline.withdrawal_due);
        let early = store
            .decide_verification(&admin(), two.id, decide(VerificationStatus::Withdrawn, "No trajo nada", 0), within)
            .await;
        assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
        let flagged = store.household_verification(two.id, after).await.expect("read").expect("two");
        assert!(flagged.withdrawal_due);
        assert_eq!(flagged.status, VerificationStatus::Pending, "a flag, not a decision");
        // The day received is the officer's, between the notice and today: refused otherwise,
        // naming the day, and nothing is stored.
        for (day, code) in [
            (after.tomorrow().expect("day"), "verification-error-received_after_today"),
            (notice_day.yesterday().expect("day"), "verification-error-received_before_notice"),
        ] {
            match store.receive_household_document(&admin(), two.id, document(DocumentKind::Sisben, day), after).await {
                Err(StoreError::Invalid(message)) => {
                    assert_eq!(message.code(), code);
                    assert_eq!(message.arg("value"), Some(&Arg::Date(day)));
                }
                other => panic!("expected {code}, got {other:?}"),
            }
        }
        assert!(store.household_verification(two.id, after).await.expect("read").expect("two").documents.is_empty());
        // Documents are still received after the deadline until the withdrawal is confirmed;
        // this one was brought within the term and recorded later, from paper.
        let from_paper = store
            .receive_household_document(&admin(), two.id, document(DocumentKind::Sisben, within), after)
            .await
            .expect("a late document before confirmation");
        assert_eq!(from_paper.received_on, within);
        let silent = store
            .decide_verification(&admin(), two.id, decide(VerificationStatus::Withdrawn, "", 0), after)
            .await;
        assert!(matches!(silent, Err(StoreError::Invalid(_))), "{silent:?}");
        let (withdrawn, letter) = store
            .decide_verification(
                &admin(),
                two.id,
                decide(VerificationStatus::Withdrawn, "Vencido el término sin los documentos", 0),
                after,
            )
            .await
            .expect("withdrawal");
        assert_eq!(withdrawn.status, VerificationStatus::Withdrawn);
        assert!(!withdrawn.withdrawal_due);
        assert_eq!(withdrawn.reasons.as_deref(), Some("Vencido el término sin los documentos"));
        assert_eq!(letter.kind, LetterKind::Withdrawal);
        let facts = letter.facts.clone().expect("facts");
        assert_eq!(facts.reasons, "Vencido el término sin los documentos");
        assert!(facts.missing.contains(&DocumentKind::TitleRecord), "{facts:?}");
        let refused = store
            .receive_household_document(&admin(), two.id, document(DocumentKind::Identity, after), after)
            .await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
        // Nothing was deleted: the household and its documents remain.
        assert!(store.household(two.id).await.expect("read").is_some());
        assert_eq!(withdrawn.documents.len(), 1);
        let timeline = store.household_timeline(two.id).await.expect("timeline");
        assert!(timeline.iter().any(|e| e.kind == "withdrawal"
            && e.detail.code() == "verification-timeline-decision"
            && matches!(e.detail.arg("reasons"), Some(Arg::Text(reasons)) if reasons.contains("Vencido"))));
        let entries = store
            .audit_entries(&AuditQuery {
                entity: Some("household_verifications".into()),
                ..Default::default()
            })
            .await
            .expect("audit");
        assert!(entries.iter().any(|e| e.action == AuditAction::Update));
    }

    async fn arel_calls_carry_their_limits_and_general_calls_none(store: &Store) {
        let program = store.create_program(&admin(), "P1", "Programa", "").await.expect("program");
        let general = NewCall {
            program_id: program.id,
            code: "C-GEN".into(),
            name: "General".into(),
            budget_year: 2014,
            budget_cop: dec!(1000000),
            smmlv_cop: None,
            rule_set_id: "incoder-308-2013".into(),
            line: ProgramLine::General,
            territorial_office_ids: vec![],
            arel_max_pct: None,
            arel_cap_smmlv: None,
        };
        let arel = NewCall { code: "C-AREL".into(), line: ProgramLine::Arel, arel_max_pct: Some(dec!(70)), arel_cap_smmlv: Some(dec!(18.5)), ..general.clone() };
        let stored = store.create_call(&admin(), arel.clone()).await.expect("AREL call");
        assert_eq!((stored.arel_max_pct, stored.arel_cap_smmlv), (Some(dec!(70)), Some(dec!(18.5))));
        let missing = NewCall { code: "C-AREL-2".into(), arel_cap_smmlv: None, ..arel.clone() };
        let refused = store.create_call(&admin(), missing).await;
        assert!(matches!(refused, Err(StoreError::Invalid(ref m)) if m.code() == "call-error-arel_cap_required"), "{refused:?}");
        let over = NewCall { code: "C-AREL-3".into(), arel_max_pct: Some(dec!(101)), ..arel };
        assert!(matches!(store.create_call(&admin(), over).await, Err(StoreError::Invalid(_))));
        let general_with_limits = NewCall { arel_max_pct: Some(dec!(50)), ..general.clone() };
        assert!(matches!(store.create_call(&admin(), general_with_limits).await, Err(StoreError::Invalid(_))));
        let plain = store.create_call(&admin(), general).await.expect("general call");
        assert_eq!((plain.arel_max_pct, plain.arel_cap_smmlv), (None, None));
        assert_eq!(store.calls().await.expect("calls").len(), 2);
    }

    async fn interventions_import_all_or_nothing_and_feed_the_candidates(store: &Store) {
        let program = store.create_program(&admin(), "P1", "Programa", "").await.expect("program");
        let office = store
            .create_territorial_office(&admin(), "DT Caquetá", DepartmentCode::parse("18").expect("18"))
            .await
            .expect("office");
        let call = store
            .create_call(
                &admin(),
                NewCall {
                    program_id: program.id,
                    code: "C-FOCO".into(),
                    name: "Focalización".into(),
                    budget_year: 2013,
                    budget_cop: dec!(100000000),
                    smmlv_cop: None,
                    rule_set_id: "incoder-308-2013".into(),
                    line: ProgramLine::General,
                    territorial_office_ids: vec![office.id],
                    arel_max_pct: None,
                    arel_cap_smmlv: None,
                },
            )
            .await
            .expect("call");
        let records = [(DaneCode::parse("18001").expect("code"), 4), (DaneCode::parse("18753").expect("code"), 1)];
        let summary = store.import_interventions(&admin(), call.id, &records, targeting_store::SOURCE_CSV).await.expect("import");
        assert_eq!((summary.inserted, summary.updated, summary.unchanged), (2, 0, 0));
        let again = store.import_interventions(&admin(), call.id, &records, targeting_store::SOURCE_CSV).await.expect("again");
        assert_eq!(again.unchanged, 2);
        store.set_interventions(&admin(), call.id, DaneCode::parse("18753").expect("code"), 2).await.expect("manual");
        let rows = store.interventions(call.id).await.expect("rows");
        assert_eq!(rows.iter().map(|r| (r.dane_code.as_str(), r.count, r.source.as_str())).collect::<Vec<_>>(), [("18001", 4, "csv"), ("18753", 2, "manual")]);
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'institute_interventions'").await, 3);

        // A store failure half-way stores nothing (a bad file never reaches the store).
        let unknown_call = store.import_interventions(&admin(), 999, &records, "csv").await;
        assert!(matches!(unknown_call, Err(StoreError::NotFound { .. })), "{unknown_call:?}");
        let too_big = [(DaneCode::parse("18001").expect("code"), 7), (DaneCode::parse("18029").expect("code"), u32::MAX)];
        assert!(store.import_interventions(&admin(), call.id, &too_big, "csv").await.is_err());
        let rows = store.interventions(call.id).await.expect("rows");
        assert_eq!(rows[0].count, 4, "the failed import left the first row as it was");
        assert_eq!(rows.len(), 2);

        let (run, _) = store.submit_screening_run(&admin(), screening_job(call.id, "foco")).await.expect("submit");
        store.start_screening_run(&admin(), run.id).await.expect("start");
        store.complete_screening_run(&admin(), run.id, completed((1..=6).map(screened).collect()), &|_| {}).await.expect("complete");
        let candidates = store.targeting_candidates(call.id).await.expect("candidates");
        assert_eq!(candidates.screening_run_id, Some(run.id));
        assert_eq!(candidates.municipalities.len(), 16, "the municipalities of Caquetá");
        let florencia = candidates.municipalities.iter().find(|m| m.dane_code == "18001").expect("Florencia");
        assert_eq!((florencia.families, florencia.interventions), (3, 4));
        assert_eq!(florencia.department, "CAQUETÁ");
        let other = candidates.municipalities.iter().find(|m| m.dane_code == "18029").expect("Albania");
        assert_eq!((other.families, other.interventions), (0, 0));
    }

    async fn targeting_documents_are_numbered_versions(store: &Store) {
        let call_id = screening_call(store).await;
        let code = DaneCode::parse("18001").expect("code");
        let inputs = vec![targeting::Candidate { dane_code: code, ipm: dec!(40.5), families: 3, interventions: 1 }];
        let weights = targeting::Weights { poverty: dec!(0.5), families: dec!(0.3), interventions: dec!(0.2) };
        let ranking = targeting::prioritize(&inputs, &weights).expect("ranking");
        let coverage_input = targeting::CoverageInput { budget_cop: dec!(1000000), cofinancing_per_family_cop: dec!(300000), families_per_project: 2 };
        let coverage = targeting::coverage(&coverage_input).expect("coverage");
        let new = targeting_store::NewTargetingDocument { call_id, weights, inputs, ranking, coverage_input, coverage };
        let first = store.create_targeting_document(&admin(), new.clone()).await.expect("first");
        let second = store.create_targeting_document(&admin(), new.clone()).await.expect("second");
        assert_eq!((first.number, second.number), (1, 2));
        assert_eq!(second.created_by, Some(1_000_000));
        let read = store.targeting_document(call_id, 1).await.expect("read").expect("stored");
        assert_eq!(read.ranking, first.ranking);
        assert_eq!(read.weights, weights);
        assert_eq!(read.coverage, coverage);
        assert_eq!(read.coverage.remainder_cop, dec!(100000));
        assert_eq!(store.targeting_documents(call_id).await.expect("list").iter().map(|d| d.number).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(store.targeting_document(call_id, 3).await.expect("read"), None);
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'targeting_documents'").await, 2);
        let unknown = store.create_targeting_document(&admin(), targeting_store::NewTargetingDocument { call_id: 999, ..new }).await;
        assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
    }

    async fn families_endorse_the_latest_version_before_the_committee(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.submitted("CAC-E").await;
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Submitted);
        let session = p.session().await;
        // Not endorsed yet: the committee refuses it (Art. 25) and nothing changes.
        let early = store.add_to_agenda(&p.secretary, session.session_id, id, session.lock_version).await;
        assert!(
            matches!(&early, Err(StoreError::Conflict(m)) if m.code() == "procedure-refused-state" && m.arg("article") == Some(&Arg::Text("Art. 25".into())) && m.arg("hint") == Some(&Arg::Text("endorsement".into()))),
            "{early:?}"
        );
        assert_eq!(store.minutes(session.session_id).await.expect("minutes").lock_version, 0);
        // A minority does not endorse; a committee member may not record it.
        let few = store.record_endorsement(&p.officer, id, endorsement(5)).await;
        assert!(matches!(&few, Err(StoreError::Invalid(m)) if m.code() == "procedure-error-no_majority"), "{few:?}");
        let wrong = store.record_endorsement(&p.member_a, id, endorsement(8)).await;
        assert!(matches!(wrong, Err(StoreError::Forbidden(_))), "{wrong:?}");
        let endorsed = store.record_endorsement(&p.officer, id, endorsement(8)).await.expect("endorse");
        assert_eq!((endorsed.families_endorsing, endorsed.households, endorsed.version_number), (8, 10, 1));
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Endorsed);
        let twice = store.record_endorsement(&p.officer, id, endorsement(9)).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        store.add_to_agenda(&p.secretary, session.session_id, id, 0).await.expect("agenda");
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::OnAgenda);
        // A stale session form is refused.
        let other = p.submitted_and_endorsed("CAC-F").await;
        let stale = store.add_to_agenda(&p.secretary, session.session_id, other, 0).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        assert_eq!(store.procedure_state(other).await.expect("state"), ProcedureState::Endorsed);
    }

    async fn a_negative_concept_returns_the_project_and_a_new_version_needs_a_new_endorsement(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.submitted_and_endorsed("CAC-N").await;
        let session = p.session().await;
        let item = store.add_to_agenda(&p.secretary, session.session_id, id, 0).await.expect("agenda");
        let officer = store.issue_concept(&p.secretary, item.id, Concept::Negative, "Revise los costos", 0).await;
        assert!(matches!(officer, Err(StoreError::Forbidden(_))), "{officer:?}");
        let absent = store
            .create_account(&admin(), account("absent@vereda.test", Role::CommitteeMember))
            .await
            .expect("absent member")
            .actor();
        let not_there = store.issue_concept(&absent, item.id, Concept::Negative, "Revise", 0).await;
        assert!(matches!(&not_there, Err(StoreError::Forbidden(m)) if m.code() == "procedure-error-not_attending"), "{not_there:?}");
        let returned = store
            .issue_concept(&p.member_a, item.id, Concept::Negative, "Revise los costos del vivero", 0)
            .await
            .expect("negative");
        assert_eq!(returned.concept, Some(Concept::Negative));
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Returned);
        let record = store.formulation(id).await.expect("read").expect("exists");
        assert_eq!(record.formulation.status, FormulationStatus::Returned);
        assert_eq!(record.formulation.return_reason.as_deref(), Some("Revise los costos del vivero"));
        // A second concept on the same item (a stale form) is refused.
        let again = store.issue_concept(&p.member_b, item.id, Concept::Positive, "ok", 0).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // The formulator saves a corrected version: version 2, a draft; it is compared field by field.
        let mut corrected = viable_cocoa();
        corrected.frame.code = "CAC-N".into();
        corrected.frame.title = "Cacao corregido".into();
        let saved = store.save_formulation_draft(&p.formulator, draft(&corrected, None, "v2")).await.expect("save");
        assert_eq!(saved.version, 2);
        let diff = store.version_diff(id, 1, 2).await.expect("diff");
        assert!(diff.iter().any(|c| c.path == "frame.title" && c.after.as_deref() == Some("Cacao corregido")), "{diff:?}");
        store.submit_formulation(&p.formulator, id).await.expect("submit");
        // The endorsement was of version 1.
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Submitted);
        let endorsed = store.record_endorsement(&p.officer, id, endorsement(10)).await.expect("endorse v2");
        assert_eq!(endorsed.version_number, 2);
    }

    async fn minutes_are_final_when_every_attendee_signs_and_only_then_serve_an_award(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.submitted_and_endorsed("CAC-M").await;
        let session = p.session().await;
        let item = store.add_to_agenda(&p.secretary, session.session_id, id, 0).await.expect("agenda");
        let objection = store
            .file_objection(&p.secretary, id, NewObjection {
                target: ObjectionTarget::Parcel,
                target_ref: "La Esperanza".into(),
                filed_by: "Junta de Acción Comunal".into(),
                text: "El predio está en zona de reserva".into(),
            })
            .await
            .expect("objection");
        let rejected = store
            .decide_objection(&p.member_a, objection.id, session.session_id, false, "El predio está fuera de la reserva")
            .await
            .expect("decide");
        assert_eq!(rejected.upheld, Some(false));
        let twice = store.decide_objection(&p.member_a, objection.id, session.session_id, true, "x").await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        // Signing before the minutes are drawn up, or closing with an undecided project: refused.
        let early = store.sign_minutes(&p.member_a, session.session_id).await;
        assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
        let undecided = store.close_session(&p.secretary, session.session_id, 1).await;
        assert!(matches!(undecided, Err(StoreError::Invalid(_))), "{undecided:?}");
        let positive = store
            .issue_concept(&p.member_a, item.id, Concept::Positive, "Viable: TIR 21 %, B/C 1,4", 0)
            .await
            .expect("positive");
        assert_eq!(positive.evaluation_summary.as_ref().and_then(|s| s.get("irr")).and_then(|v| v.as_str()), Some("0.2113"));
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Viable);
        let minutes = store.close_session(&p.secretary, session.session_id, 1).await.expect("close");
        assert!(!minutes.is_final());
        assert_eq!(minutes.objections.len(), 1);
        let late = store.issue_concept(&p.member_b, item.id, Concept::Negative, "x", 1).await;
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
        // A non-attendee cannot sign; an attendee signs once.
        let stranger = store.sign_minutes(&p.formulator, session.session_id).await;
        assert!(matches!(stranger, Err(StoreError::Forbidden(_))), "{stranger:?}");
        store.sign_minutes(&p.member_a, session.session_id).await.expect("sign a");
        let again = store.sign_minutes(&p.member_a, session.session_id).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // An unsigned minute cannot be used for an award.
        let unsigned = store.award(&p.director, id, award("CAQ")).await;
        assert!(matches!(&unsigned, Err(StoreError::Conflict(m)) if m.code() == "procedure-error-minutes_unsigned" && matches!(m.arg("missing"), Some(Arg::Text(who)) if who.contains("member-b@"))), "{unsigned:?}");
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Viable);
        let minutes = store.sign_minutes(&p.member_b, session.session_id).await.expect("sign b");
        assert!(minutes.is_final());
        assert!(minutes.attendees.iter().all(|a| a.signed_at.is_some()));
    }

    async fn awards_are_numbered_per_office_and_year_without_gaps(store: &Store) {
        let p = Procedure::new(store).await;
        let first = p.viable_and_signed("CAC-A1").await;
        let second = p.viable_and_signed("CAC-A2").await;
        let third = p.viable_and_signed("CAC-A3").await;
        let officer = store.award(&p.officer, first, award("CAQ")).await;
        assert!(matches!(officer, Err(StoreError::Forbidden(_))), "{officer:?}");
        let a1 = store.award(&p.director, first, award("CAQ")).await.expect("award 1").0;
        let a2 = store.award(&p.director, second, award("caq")).await.expect("award 2").0;
        let a3 = store.award(&p.director, third, award("PUT")).await.expect("award 3").0;
        assert_eq!(
            (a1.number.as_str(), a2.number.as_str(), a3.number.as_str()),
            ("DT-CAQ-2013-001", "DT-CAQ-2013-002", "DT-PUT-2013-001")
        );
        assert_eq!(a1.families, 10);
        assert_eq!(a1.obligations, "", "only the director's own obligations are kept");
        let standard = a1.standard_obligations();
        assert_eq!(standard.code(), "procedure-standard_obligations");
        assert_eq!(standard.arg("guarantee"), Some(&Arg::Amount(a1.guarantee)));
        assert_eq!(standard.arg("counterpart"), Some(&Arg::Amount(a1.counterpart)));
        assert_eq!(a1.guarantee, (a1.institute_contribution * dec!(0.10)).ceil(), "derived (Art. 31)");
        let twice = store.award(&p.director, first, award("CAQ")).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        assert_eq!(store.procedure_state(first).await.expect("state"), ProcedureState::Awarded);
        assert_eq!(store.award_of(first).await.expect("read"), Some(a1));
    }

    async fn the_award_opens_the_monitored_project(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CAC-P").await;
        let today = vereda_store::projects::today_in_colombia();
        // Awarded a month ago, so that notified then it is firm today (CPACA Art. 87).
        let awarded_on = today.checked_sub(jiff::Span::new().days(30)).expect("a month ago");
        let new_award = NewAward { awarded_on, ..award("CAQ") };
        let (awarded, _) = store.award(&p.director, id, new_award).await.expect("award");
        assert_eq!(store.project_of_formulation(id).await.expect("read").as_deref(), Some("CAC-P"));

        let card = store.project_card("CAC-P").await.expect("read").expect("the project is open");
        assert_eq!(card.status, ProjectStatus::Awarded);
        let reference = card.award.as_ref().expect("its resolution");
        assert_eq!((reference.number.as_str(), reference.awarded_on, reference.formulation_id), (awarded.number.as_str(), awarded_on, id));
        assert_eq!(card.period_start, awarded_on);
        assert_eq!(card.municipalities, ["52835"]);
        let funding: Vec<(&str, Decimal)> = card.funding.iter().map(|f| (f.source.as_str(), f.amount)).collect();
        assert_eq!(
            funding[0],
            (vereda_domain::awarded_project::INSTITUTE_NAME, awarded.institute_contribution)
        );
        assert_eq!(card.funding[0].role, vereda_domain::monitoring::FundingRole::Institute);
        assert_eq!(
            funding.iter().map(|(_, a)| *a).sum::<Decimal>(),
            awarded.institute_contribution + awarded.counterpart,
            "the institute and the counterpart"
        );
        assert!(funding.iter().any(|(source, _)| *source == "Alcaldía de Tumaco"), "{funding:?}");
        let families = &card.indicators[0];
        assert_eq!((families.goal, families.baseline, families.unit), (dec!(10), dec!(0), IndicatorUnit::Number));
        assert!(families.by_sex, "every head's sex is in the register");
        assert!(card.indicators.iter().any(|i| i.unit == IndicatorUnit::Hectares && i.goal == dec!(120)));
        assert!(card.indicators.iter().any(|i| i.unit == IndicatorUnit::Cop), "income per family");
        let beneficiaries = store.project_beneficiaries("CAC-P").await.expect("beneficiaries");
        assert_eq!(beneficiaries.len(), 10);
        assert!(beneficiaries.iter().all(|b| b.household_id.is_some()), "every family is a household of the call");
        assert_eq!(beneficiaries[0].external_id, "TUM-001");
        assert_eq!(beneficiaries[0].head_name.as_deref(), Some("Familia TUM-001"));
        let listed = store.projects(&ProjectFilter { status: Some(ProjectStatus::Awarded), ..ProjectFilter::default() }).await.expect("list");
        assert_eq!(listed.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(), ["CAC-P"]);

        // Paid: in execution.
        store
            .record_disbursement_evidence(&p.officer, id, Some("Cuenta 123-45 Banco Agrario, firma conjunta"), None, 0)
            .await
            .expect("account");
        let checklist = store.disbursement_checklist(id).await.expect("checklist");
        store
            .record_disbursement_evidence(&p.director, id, None, Some("Póliza 77 aprobada"), checklist.lock_version)
            .await
            .expect("policy");
        let firm_on = notify_award(store, &p.officer, id, awarded_on).await.expect("notified").expect("firm");
        assert!(firm_on <= today, "{firm_on}");
        store.disburse(&p.payer, id, today).await.expect("paid");
        let card = store.project_card("CAC-P").await.expect("read").expect("card");
        assert_eq!(card.status, ProjectStatus::InExecution);
    }

    async fn a_project_whose_period_is_over_reads_as_ended(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CAC-E").await;
        store.award(&p.director, id, award("CAQ")).await.expect("award");
        let card = store.project_card("CAC-E").await.expect("read").expect("card");
        assert_eq!((card.period_start, card.period_end), (jiff::civil::date(2013, 10, 15), jiff::civil::date(2015, 10, 14)));
        assert_eq!(card.status, ProjectStatus::Ended, "awarded in 2013 for 24 months");
        demo::seed(store).await.expect("seed");
        let seeded = store.project_card(demo::DEMO_PROJECT_CODE).await.expect("read").expect("card");
        assert_eq!(seeded.status, ProjectStatus::Ended, "the seed's project ended in December 2024");
        assert_eq!(seeded.award, None);
        let in_execution = ProjectFilter { status: Some(ProjectStatus::InExecution), ..ProjectFilter::default() };
        for summary in store.projects(&in_execution).await.expect("list") {
            assert!(summary.period_end >= vereda_store::projects::today_in_colombia(), "{} is past its end", summary.code);
        }
    }

    async fn an_indicator_change_waits_for_another_account(store: &Store) {
        demo::seed(store).await.expect("seed");
        let code = demo::DEMO_PROJECT_CODE;
        let ana = store.create_account(&admin(), account("ana@vereda.test", Role::ProgramOfficer)).await.expect("ana").actor();
        let luis = store.create_account(&admin(), account("luis@vereda.test", Role::ProgramOfficer)).await.expect("luis").actor();
        let seen = store.indicator_for_edit(code, 3).await.expect("read").expect("indicator");
        let draft = |goal: Decimal, lock_version: i32| IndicatorProposalDraft {
            baseline: seen.progress.baseline,
            goal,
            unit: seen.progress.unit,
            reason: "Meta ajustada al diseño final".into(),
            lock_version,
        };
        let system = store.propose_indicator_change(&Actor::system("import"), code, 3, draft(dec!(26.4), seen.lock_version)).await;
        assert!(matches!(&system, Err(StoreError::Forbidden(m)) if m.code() == "monitoring-error-account_required"), "{system:?}");
        let id = store.propose_indicator_change(&ana, code, 3, draft(dec!(26.4), seen.lock_version)).await.expect("proposed");
        let card = store.project_card(code).await.expect("read").expect("card");
        assert_eq!((card.indicators[2].goal, card.indicators[2].advance_percent), (seen.progress.goal, seen.progress.advance_percent), "nothing published changes yet");

        let own = store.review_indicator_proposal(&ana, id, Review::Approve).await;
        assert!(matches!(&own, Err(StoreError::Forbidden(m)) if m.code() == "monitoring-error-own_proposal"), "{own:?}");
        let by_process = store.review_indicator_proposal(&Actor::system("job"), id, Review::Approve).await;
        assert!(matches!(by_process, Err(StoreError::Forbidden(_))), "{by_process:?}");
        let pending = store.indicator_proposals(&ProposalQuery { status: Some(vereda_domain::monitoring::MeasurementStatus::Submitted), ..ProposalQuery::default() }).await.expect("pending");
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].submitted_by_email.as_deref(), pending[0].goal, pending[0].current_goal), (Some("ana@vereda.test"), dec!(26.4), seen.progress.goal));

        store.review_indicator_proposal(&luis, id, Review::Approve).await.expect("approved by another account");
        let card = store.project_card(code).await.expect("read").expect("card");
        assert_eq!((card.indicators[2].goal, card.indicators[2].advance_percent), (dec!(26.4), Some(50)), "13.2 of 26.4");
        let again = store.review_indicator_proposal(&luis, id, Review::Approve).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        // A proposal made against an older version conflicts, at filing or at approval.
        let stale = store.propose_indicator_change(&ana, code, 3, draft(dec!(30), seen.lock_version)).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        let now = store.indicator_for_edit(code, 3).await.expect("read").expect("indicator");
        let first = store.propose_indicator_change(&ana, code, 3, draft(dec!(30), now.lock_version)).await.expect("first");
        let second = store.propose_indicator_change(&luis, code, 3, draft(dec!(40), now.lock_version)).await.expect("second");
        store.review_indicator_proposal(&luis, first, Review::Approve).await.expect("first approved");
        let late = store.review_indicator_proposal(&ana, second, Review::Approve).await;
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
        let returned = store.review_indicator_proposal(&ana, second, Review::Return { comment: "Ya cambió".into() }).await;
        assert!(returned.is_ok(), "{returned:?}");
        let audit = store
            .audit_entries(&AuditQuery { entity: Some("indicator_proposals".into()), limit: 100, ..AuditQuery::default() })
            .await
            .expect("audit");
        assert!(audit.iter().any(|e| e.entity_id == id.to_string() && e.action == AuditAction::Update));
    }

    async fn a_households_contact_is_stored_and_a_bad_email_refused(store: &Store) {
        let stored = store
            .create_household(
                &admin(),
                NewHousehold {
                    email: Some(" familia.cuellar@example.org ".into()),
                    correspondence_address: Some("Vereda Los Pozos, Florencia".into()),
                    ..household("M-1", "301")
                },
            )
            .await
            .expect("create");
        assert_eq!(stored.email.as_deref(), Some("familia.cuellar@example.org"));
        assert_eq!(stored.correspondence_address.as_deref(), Some("Vereda Los Pozos, Florencia"));
        let blank = store
            .create_household(&admin(), NewHousehold { email: Some("  ".into()), ..household("M-2", "302") })
            .await
            .expect("blank e-mail is none");
        assert_eq!(blank.email, None);
        let bad = store
            .create_household(&admin(), NewHousehold { email: Some("no-arroba".into()), ..household("M-3", "303") })
            .await;
        assert!(matches!(&bad, Err(StoreError::Invalid(m)) if m.code() == "household-error-email" && m.arg("value") == Some(&Arg::Text("no-arroba".into()))), "{bad:?}");
        assert_eq!(store.households(None).await.expect("list").len(), 2);
    }

    async fn an_award_writes_a_letter_to_each_household_of_the_awarded_version(store: &Store) {
        let p = Procedure::new(store).await;
        let call_id = p.call_id.expect("the procedure's call");
        let id = p.viable_and_signed("CAC-L").await;
        let (awarded, letters) = store.award(&p.director, id, award("CAQ")).await.expect("award");
        assert_eq!(letters.len(), 10, "one per family of the awarded version");
        for letter in &letters {
            assert_eq!(letter.kind, vereda_domain::verification::LetterKind::Award);
            assert_eq!(letter.status, "pending");
            let said = letter.facts.clone().and_then(|f| f.award).expect("award facts");
            assert_eq!(said.resolution, awarded.number);
            assert_eq!(said.institute_contribution, awarded.institute_contribution);
            assert!(said.project_code.contains("CAC-L"), "{said:?}");
        }
        let award_letters = store
            .call_letters(call_id)
            .await
            .expect("letters")
            .into_iter()
            .filter(|l| l.kind == vereda_domain::verification::LetterKind::Award)
            .count();
        assert_eq!(award_letters, 10);
        let published = store.call_awards(call_id).await.expect("the call's awards");
        assert_eq!(published.len(), 1, "what Art. 46 publishes");
        assert_eq!((published[0].0.code.as_str(), published[0].1.number.as_str()), ("CAC-L", awarded.number.as_str()));
    }

    async fn two_awards_at_once_in_one_office_year_get_consecutive_numbers(store: &Store) {
        let p = Procedure::new(store).await;
        let first = p.viable_and_signed("CAC-C1").await;
        let second = p.viable_and_signed("CAC-C2").await;
        let (a, b) = tokio::join!(
            store.award(&p.director, first, award("CAQ")),
            store.award(&p.director, second, award("CAQ")),
        );
        let mut numbers = vec![a.expect("award a").0.number, b.expect("award b").0.number];
        numbers.sort();
        assert_eq!(numbers, ["DT-CAQ-2013-001", "DT-CAQ-2013-002"]);
    }

    // Territorial scope (issue 14): the staff of one office act only on their department's
    // records, and a formulator changes only its own formulations; the lists read only what
    // the reader reaches.
    async fn an_office_acts_only_in_its_department(store: &Store) {
        use vereda_domain::accounts::Reach;
        use vereda_store::test_support::assign_office_in;
        let p = Procedure::new(store).await; // its territorial staff work for Nariño (52)
        let id = p.viable_and_signed("CAC-T").await;
        let make = |email: &'static str, role: Role, department: Option<&'static str>| async move {
            let made = store.create_account(&admin(), account(email, role)).await.expect("account");
            if let Some(department) = department {
                assign_office_in(store, &admin(), made.id, department).await.expect("office");
            }
            made.actor()
        };
        let caqueta_officer = make("caq.officer@vereda.test", Role::TerritorialOfficer, Some("18")).await;
        let caqueta_director = make("caq.director@vereda.test", Role::TerritorialDirector, Some("18")).await;
        let no_office = make("sin.oficina@vereda.test", Role::TerritorialOfficer, None).await;
        let scope_code = |result: &Result<(), StoreError>| match result {
            Err(StoreError::Forbidden(m)) => m.code().to_owned(),
            other => format!("{other:?}"),
        };
        fn unit<T>(result: Result<T, StoreError>) -> Result<(), StoreError> {
            result.map(|_| ())
        }

        let award_there = unit(store.award(&caqueta_director, id, award("CAQ")).await);
        assert_eq!(scope_code(&award_there), "scope-error-outside_office");
        store.award(&p.director, id, award("NAR")).await.expect("the award in its department");
        let evidence = unit(store.record_disbursement_evidence(&caqueta_officer, id, Some("Cuenta 1"), None, 0).await);
        assert_eq!(scope_code(&evidence), "scope-error-outside_office");
        let paid = unit(store.disburse(&caqueta_director, id, jiff::civil::date(2013, 11, 5)).await);
        assert_eq!(scope_code(&paid), "scope-error-outside_office");

        let call_id = p.call_id.expect("a call");
        let family = store.households(Some(call_id)).await.expect("households")[0].id;
        let today = jiff::civil::date(2013, 8, 1);
        for (actor, code) in [(&caqueta_officer, "scope-error-outside_office"), (&no_office, "scope-error-no_office")] {
            let received = unit(
                store
                    .receive_household_document(actor, family, document(vereda_domain::verification::DocumentKind::Identity, today), today)
                    .await,
            );
            assert_eq!(scope_code(&received), code);
        }

        // A second formulator cannot rewrite the first one's formulation.
        let other = make("otro.formulador@vereda.test", Role::Formulator, None).await;
        let mut project = viable_cocoa();
        project.frame.code = "CAC-T".into();
        let rewrite = unit(store.save_formulation_draft(&other, draft(&project, p.call_id, "v9")).await);
        assert_eq!(scope_code(&rewrite), "scope-error-not_own_formulation");

        // The lists hold only what the reader reaches, filtered in the query.
        let caqueta = Reach::Department("18".into());
        let narino = Reach::Department("52".into());
        assert!(store.households_within(Some(call_id), &caqueta).await.expect("list").is_empty());
        assert!(store.households_within(Some(call_id), &Reach::Nowhere).await.expect("list").is_empty());
        assert!(!store.households_within(Some(call_id), &narino).await.expect("list").is_empty());
        let listed = |reach: Reach| async move {
            store
                .formulations(&FormulationQuery { reach, ..Default::default() })
                .await
                .expect("formulations")
                .into_iter()
                .map(|f| f.code)
                .collect::<Vec<_>>()
        };
        assert!(listed(caqueta.clone()).await.is_empty());
        assert_eq!(listed(narino).await, ["CAC-T"]);
        assert!(!store.within_reach(&caqueta, vereda_store::scope::Target::Formulation(id)).await.expect("reach"));
        assert!(store.within_reach(&Reach::National, vereda_store::scope::Target::Formulation(id)).await.expect("reach"));
    }

    async fn the_store_refuses_a_step_the_role_may_not_take(store: &Store) {
        use vereda_domain::accounts::Reach;
        let p = Procedure::new(store).await; // its territorial staff work for Nariño (52)
        let id = p.submitted("CAC-R").await;
        let auditor = store
            .create_account(&admin(), account("auditora@vereda.test", Role::Auditor))
            .await
            .expect("account")
            .actor();
        let refusal = |result: Result<(), StoreError>| match result {
            Err(StoreError::Forbidden(m)) => (m.code().to_owned(), format!("{:?}", m.args())),
            other => (format!("{other:?}"), String::new()),
        };
        fn unit<T>(result: Result<T, StoreError>) -> Result<(), StoreError> {
            result.map(|_| ())
        }
        let call_id = p.call_id.expect("a call");
        let family = store.households(Some(call_id)).await.expect("households")[0].id;
        let today = jiff::civil::date(2013, 8, 1);
        // Whatever page or command asks, the store itself refuses the role, naming the provision.
        let (code, args) = refusal(unit(
            store
                .receive_household_document(&auditor, family, document(vereda_domain::verification::DocumentKind::Identity, today), today)
                .await,
        ));
        assert_eq!(code, "scope-error-not_permitted");
        assert!(args.contains("Art. 11-14"), "{args}");
        let (code, args) = refusal(unit(store.create_program(&auditor, "P9", "Programa", "").await));
        assert_eq!(code, "scope-error-not_permitted");
        assert!(args.contains("Art. 8"), "{args}");
        let (code, _) = refusal(unit(store.create_account(&auditor, account("x@vereda.test", Role::Admin)).await));
        assert_eq!(code, "scope-error-not_permitted");
        let (code, _) = refusal(unit(store.save_formulation_draft(&auditor, draft(&viable_cocoa(), p.call_id, "v1")).await));
        assert_eq!(code, "scope-error-not_permitted");

        // An office outside the department is told which provision gives the step to the
        // respective office.
        let caqueta = store
            .create_account(&admin(), account("caq@vereda.test", Role::TerritorialOfficer))
            .await
            .expect("account");
        vereda_store::test_support::assign_office_in(store, &admin(), caqueta.id, "18").await.expect("office");
        let (code, args) = refusal(unit(store.record_endorsement(&caqueta.actor(), id, endorsement(10)).await));
        assert_eq!(code, "scope-error-outside_office");
        assert!(args.contains("Art. 25"), "{args}");

        // The committee's lists hold, for a territorial reader, the projects of its department.
        store.record_endorsement(&p.officer, id, endorsement(10)).await.expect("endorse");
        let caqueta_reach = Reach::Department("18".into());
        let narino_reach = Reach::Department("52".into());
        assert!(store.agenda_candidates(&caqueta_reach).await.expect("candidates").is_empty());
        assert_eq!(store.agenda_candidates(&narino_reach).await.expect("candidates").len(), 1);
        let session = p.session().await;
        store.add_to_agenda(&p.secretary, session.session_id, id, 0).await.expect("agenda");
        assert!(store.minutes_within(session.session_id, &caqueta_reach).await.expect("minutes").agenda.is_empty());
        assert_eq!(store.minutes_within(session.session_id, &narino_reach).await.expect("minutes").agenda.len(), 1);
        assert_eq!(store.minutes_within(session.session_id, &Reach::National).await.expect("minutes").agenda.len(), 1);

        // The staff's list of calls holds those opened with an office of the reader's department.
        let narino_office = store
            .territorial_offices()
            .await
            .expect("offices")
            .into_iter()
            .find(|o| o.department_code == "52")
            .expect("Nariño's office")
            .id;
        let program = store.create_program(&admin(), "P-R", "Programa", "").await.expect("program");
        let narino_call = store
            .create_call(
                &admin(),
                NewCall {
                    program_id: program.id,
                    code: "C-NAR".into(),
                    name: "Convocatoria Nariño".into(),
                    budget_year: 2013,
                    budget_cop: dec!(1000000),
                    smmlv_cop: None,
                    rule_set_id: "incoder-308-2013".into(),
                    line: ProgramLine::General,
                    territorial_office_ids: vec![narino_office],
                    arel_max_pct: None,
                    arel_cap_smmlv: None,
                },
            )
            .await
            .expect("call")
            .id;
        let codes = |calls: Vec<vereda_store::programs::Call>| calls.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(codes(store.calls_within(&narino_reach).await.expect("calls")), [narino_call]);
        assert!(codes(store.calls_within(&caqueta_reach).await.expect("calls")).is_empty());
        assert!(codes(store.calls_within(&Reach::National).await.expect("calls")).contains(&narino_call));
    }

    async fn the_single_disbursement_needs_the_four_requirements(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CAC-D").await;
        let paid_on = jiff::civil::date(2013, 11, 5);
        // Not awarded yet: the state refuses it.
        let early = store.disburse(&p.director, id, paid_on).await;
        assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
        let (awarded, _) = store.award(&p.director, id, award("CAQ")).await.expect("award");
        let missing = store.disburse(&p.payer, id, paid_on).await;
        assert!(
            matches!(&missing, Err(StoreError::Invalid(m)) if requirements(m) == ["procedure-req_joint_account", "procedure-req_approved_policy"]),
            "{missing:?}"
        );
        let checklist = store
            .record_disbursement_evidence(&p.officer, id, Some("Cuenta 123-45 Banco Agrario, firma conjunta"), None, 0)
            .await
            .expect("account");
        assert_eq!(checklist.missing(), [Requirement::ApprovedPolicy]);
        let stale = store.record_disbursement_evidence(&p.director, id, None, Some("Póliza 77"), 0).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        let still = store.disburse(&p.payer, id, paid_on).await;
        assert!(matches!(&still, Err(StoreError::Invalid(m)) if requirements(m) == ["procedure-req_approved_policy"]), "{still:?}");
        store
            .record_disbursement_evidence(&p.director, id, None, Some("Póliza 77 aprobada"), checklist.lock_version)
            .await
            .expect("policy");
        notify_award(store, &p.officer, id, jiff::civil::date(2013, 10, 15)).await.expect("notified");
        // Separation of duties (Art. 32-33): neither who recorded the account nor who approved
        // the policy registers the payment.
        for hands in [&p.officer, &p.director] {
            let refused = store.disburse(hands, id, paid_on).await;
            assert!(matches!(&refused, Err(StoreError::Forbidden(m)) if m.code() == "custody-error-same_hands"), "{refused:?}");
        }
        let paid = store.disburse(&p.payer, id, paid_on).await.expect("disburse");
        assert_eq!(paid.amount, Some(awarded.institute_contribution), "exactly the award");
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Disbursed);
        let twice = store.disburse(&p.director, id, paid_on).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "procedure-refused-state" && m.arg("hint") == Some(&Arg::Text("single_payment".into()))), "{twice:?}");
        let timeline = store.timeline(id).await.expect("timeline");
        let kinds: Vec<&str> = timeline.iter().map(|e| e.kind).collect();
        for kind in ["version", "endorsement", "agenda", "concept", "signature", "award", "disbursement", "audit"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        // Who took each step, as an account (a stale form's page names them).
        let actor_of = |kind: &str| timeline.iter().find(|e| e.kind == kind).and_then(|e| e.actor.clone());
        assert_eq!(actor_of("disbursement"), Some(p.payer.label()));
        assert_eq!(actor_of("award"), Some(p.director.label()));
        assert!(timeline.iter().all(|e| e.actor.is_some()), "{timeline:?}");
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("disbursements".into()), limit: 10, ..Default::default() })
            .await
            .expect("audit");
        assert!(audited.len() >= 3, "{audited:?}");
    }

    async fn an_upheld_objection_returns_the_project(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.submitted_and_endorsed("CAC-O").await;
        let session = p.session().await;
        let objection = store
            .file_objection(&p.secretary, id, NewObjection {
                target: ObjectionTarget::Family,
                target_ref: "CC ***789".into(),
                filed_by: "Vecino".into(),
                text: "La familia no vive en la vereda".into(),
            })
            .await
            .expect("file");
        let decided = store
            .decide_objection(&p.member_b, objection.id, session.session_id, true, "Verificado en visita")
            .await
            .expect("uphold");
        assert_eq!(decided.upheld, Some(true));
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Returned);
    }

    async fn formulations_are_listed_by_page_with_their_latest_version(store: &Store) {
        let p = Procedure::new(store).await;
        let first = p.submitted_and_endorsed("P-1").await;
        let second = p.submitted("P-2").await;
        let mut project = cocoa();
        project.frame.code = "P-3".into();
        store.save_formulation_draft(&p.formulator, draft(&project, None, "v1")).await.expect("save");
        project.frame.code = "P-4".into();
        store.save_formulation_draft(&p.formulator, draft(&project, None, "v1")).await.expect("save");
        let query = FormulationQuery::default();
        let page = store.formulation_page(&query, 1, 2).await.expect("page 1");
        let codes = |page: &vereda_store::formulations::FormulationPage| {
            page.lines.iter().map(|l| l.formulation.code.clone()).collect::<Vec<_>>()
        };
        assert_eq!(codes(&page), ["P-1", "P-2"]);
        assert!(page.has_next);
        assert_eq!(page.lines[0].version, 1);
        let last = store.formulation_page(&query, 2, 2).await.expect("page 2");
        assert_eq!((codes(&last), last.page, last.has_next), (vec!["P-3".to_owned(), "P-4".to_owned()], 2, false));
        assert!(store.formulation_page(&query, 3, 2).await.expect("page 3").lines.is_empty());
        let submitted = FormulationQuery { status: Some(FormulationStatus::Submitted), ..Default::default() };
        assert_eq!(codes(&store.formulation_page(&submitted, 1, 50).await.expect("submitted")), ["P-1", "P-2"]);
        // A new version after a submission: the list shows the latest one.
        let mut project = cocoa();
        project.frame.code = "P-2".into();
        project.frame.title = "Cacao, segunda versión".into();
        let mut second_draft = draft(&project, None, "v2");
        second_draft.viable = Some(true);
        let saved = store.save_formulation_draft(&p.formulator, second_draft).await.expect("v2");
        assert_eq!((saved.id, saved.version), (second, 2));
        let page = store.formulation_page(&query, 1, 50).await.expect("list");
        let line = page.lines.iter().find(|l| l.formulation.id == second).expect("P-2");
        assert_eq!((line.version, line.viable), (2, Some(true)));
        assert_eq!(store.formulation_by_code("P-2").await.expect("by code").map(|f| f.id), Some(second));
        assert_eq!(store.formulation_by_code("P-9").await.expect("by code"), None);
        // Only the endorsed one may go on an agenda, as its procedure state says.
        let candidates = store.agenda_candidates(&Reach::National).await.expect("candidates");
        assert_eq!(candidates.iter().map(|f| f.id).collect::<Vec<_>>(), [first]);
        assert_eq!(store.procedure_state(first).await.expect("state"), ProcedureState::Endorsed);
        let session = p.session().await;
        store.add_to_agenda(&p.secretary, session.session_id, first, 0).await.expect("agenda");
        assert!(store.agenda_candidates(&Reach::National).await.expect("candidates").is_empty());
        let objection = NewObjection {
            target: ObjectionTarget::Project,
            target_ref: "P-1".into(),
            filed_by: "Veeduría".into(),
            text: "Objeción".into(),
        };
        let filed = store.file_objection(&p.secretary, first, objection).await.expect("objection");
        let pending = store.pending_objections(&Reach::National).await.expect("pending");
        assert_eq!(pending.iter().map(|(code, o)| (code.as_str(), o.id)).collect::<Vec<_>>(), [("P-1", filed.id)]);
        let minutes = store.minutes(session.session_id).await.expect("minutes");
        assert_eq!(minutes.attendees.iter().map(|a| a.user_id).collect::<Vec<_>>(), p.member_ids);
        assert_eq!(minutes.agenda.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(), ["P-1"]);
    }

    async fn families_enter_a_formulation_only_from_their_calls_screening_and_verification(store: &Store) {
        let p = Procedure::new(store).await;
        let call = p.call_id;
        let formulator = &p.formulator;
        let save = |project: Formulation, call: Option<i32>| async move {
            store.save_formulation_draft(formulator, draft(&project, call, "v1")).await
        };
        // Without a call, a draft waits; it is never presented.
        let mut loose = viable_cocoa();
        loose.frame.code = "CUS-0".into();
        let saved = save(loose, None).await.expect("a draft may wait for its call");
        assert_eq!(refusal(store.submit_formulation(&p.formulator, saved.id).await), ("custody-error-no_call", vec![]));
        // A family from outside the call.
        let mut outsider = viable_cocoa();
        outsider.frame.code = "CUS-1".into();
        outsider.frame.households[9].id = "TUM-999".into();
        let saved = save(outsider, call).await.expect("a draft");
        assert_eq!(
            refusal(store.submit_formulation(&p.formulator, saved.id).await),
            ("custody-error-households", vec![("TUM-999".to_owned(), "custody-household-not_in_call")])
        );
        // More than the screening allows is refused even in a draft; less is fine.
        let mut greedy = viable_cocoa();
        greedy.frame.code = "CUS-2".into();
        greedy.frame.households[0].cap_smmlv = dec!(24);
        greedy.frame.households[1].max_pct = dec!(90.5);
        assert_eq!(
            refusal(save(greedy, call).await),
            (
                "custody-error-households",
                vec![
                    ("TUM-001".to_owned(), "custody-household-cap_above_screening"),
                    ("TUM-002".to_owned(), "custody-household-percent_above_screening")
                ]
            )
        );
        assert_eq!(count_rows(store, "formulations").await, 2, "the refused draft left nothing");
        let mut modest = viable_cocoa();
        modest.frame.code = "CUS-3".into();
        modest.frame.households[0].max_pct = dec!(80);
        let modest = save(modest, call).await.expect("lowered by hand").id;
        store.submit_formulation(&p.formulator, modest).await.expect("presented");
        // A family given another program line than its screening read.
        let mut relabelled = viable_cocoa();
        relabelled.frame.code = "CUS-4".into();
        relabelled.frame.households[4].program_line = ProgramLine::Arel;
        let relabelled = save(relabelled, call).await.expect("a draft").id;
        assert_eq!(
            refusal(store.submit_formulation(&p.formulator, relabelled).await),
            ("custody-error-households", vec![("TUM-005".to_owned(), "custody-household-facts_differ")])
        );
        // A family later found not eligible stops the endorsement; one the screening found not
        // eligible stops a presentation.
        let call_id = call.expect("call");
        set_in_call(store, call_id, "TUM-002", "UPDATE household_verifications SET status = 'not_eligible' WHERE household_id = {id}").await;
        set_in_call(store, call_id, "TUM-003", "UPDATE screening_results SET eligible = false WHERE household_id = {id}").await;
        assert_eq!(
            refusal(store.record_endorsement(&p.officer, modest, endorsement(10)).await),
            (
                "custody-error-households",
                vec![
                    ("TUM-002".to_owned(), "custody-household-not_verified"),
                    ("TUM-003".to_owned(), "custody-household-screened_not_eligible")
                ]
            )
        );
        assert!(store.endorsements(modest).await.expect("read").is_empty());
    }

    async fn every_parcel_is_studied_and_visited_before_the_families_endorse(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.submitted("CUS-P").await;
        let call_id = p.call_id.expect("call");
        set_in_call(
            store,
            call_id,
            "TUM-004",
            "DELETE FROM parcel_visits WHERE parcel_id IN (SELECT id FROM parcels WHERE household_id = {id})",
        )
        .await;
        let (code, problems) = refusal(store.record_endorsement(&p.officer, id, endorsement(10)).await);
        assert_eq!(code, "custody-error-parcels");
        assert_eq!(problems, vec![("TUM-004".to_owned(), "custody-parcel-issues")]);
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Submitted);
    }

    async fn no_positive_concept_for_a_version_failing_a_legal_check_nor_while_an_objection_waits(store: &Store) {
        let p = Procedure::new(store).await;
        // All 20 families of the worked example: their income is below the floor (Art. 19.6).
        let mut poor = cocoa();
        poor.frame.code = "CUS-N".into();
        let id = store
            .save_formulation_draft(&p.formulator, draft(&poor, p.call_id, "v1"))
            .await
            .expect("save")
            .id;
        store.submit_formulation(&p.formulator, id).await.expect("submit");
        store.record_endorsement(&p.officer, id, endorsement(11)).await.expect("endorse");
        let session = p.session().await;
        let item = store.add_to_agenda(&p.secretary, session.session_id, id, 0).await.expect("agenda");
        match store.issue_concept(&p.member_a, item.id, Concept::Positive, "Viable", 0).await {
            Err(StoreError::Invalid(m)) => {
                assert_eq!(m.code(), "custody-error-not_viable");
                assert_eq!(m.arg("checks"), Some(&Arg::Terms(vec!["evaluation-check_family_income".into()])));
            }
            other => panic!("expected the legal checks to refuse it, got {other:?}"),
        }
        // An objection against one of the families: no concept at all until it is decided.
        let objection = store
            .file_objection(
                &p.secretary,
                id,
                NewObjection {
                    target: ObjectionTarget::Family,
                    target_ref: "TUM-005".into(),
                    filed_by: "Veeduría ciudadana".into(),
                    text: "No vive en la vereda".into(),
                },
            )
            .await
            .expect("objection");
        for concept in [Concept::Positive, Concept::Negative] {
            let refused = store.issue_concept(&p.member_a, item.id, concept, "Concepto", 0).await;
            assert!(matches!(&refused, Err(StoreError::Conflict(m)) if m.code() == "custody-error-objection_pending"), "{refused:?}");
        }
        store
            .decide_objection(&p.member_a, objection.id, session.session_id, false, "Vive en la vereda: constancia de la JAC")
            .await
            .expect("decided");
        // Returned with recommendations: the committee may still do that.
        let returned = store
            .issue_concept(&p.member_a, item.id, Concept::Negative, "Ajuste el número de familias", 0)
            .await
            .expect("negative");
        assert_eq!(returned.concept, Some(Concept::Negative));
    }

    async fn the_award_is_at_most_the_evaluated_maximum_and_derives_the_rest(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CUS-A").await;
        let maximum = {
            let first = store.award(&p.director, id, NewAward { institute_contribution: Some(dec!(1e15)), ..award("CAQ") }).await;
            match first {
                Err(StoreError::Invalid(m)) if m.code() == "custody-error-above_maximum" => match m.arg("maximum") {
                    Some(Arg::Amount(maximum)) => *maximum,
                    other => panic!("the maximum is named: {other:?}"),
                },
                other => panic!("expected the maximum to refuse it, got {other:?}"),
            }
        };
        let lower = (maximum / dec!(2)).round_dp(0);
        let unexplained = store.award(&p.director, id, NewAward { institute_contribution: Some(lower), ..award("CAQ") }).await;
        assert!(matches!(&unexplained, Err(StoreError::Invalid(m)) if m.code() == "custody-error-lowering_motivation"), "{unexplained:?}");
        assert_eq!(count_rows(store, "awards").await, 0, "refusals leave nothing");
        let (awarded, _) = store
            .award(
                &p.director,
                id,
                NewAward {
                    institute_contribution: Some(lower),
                    lowering_motivation: "La contrapartida de la alcaldía cubre la mitad".into(),
                    ..award("CAQ")
                },
            )
            .await
            .expect("a lower award, explained");
        let project_value: Decimal = viable_cocoa().budget.iter().map(|l| l.amount()).sum();
        assert_eq!(awarded.institute_contribution, lower);
        assert_eq!(awarded.counterpart, project_value - lower, "the counterpart takes the rest");
        assert_eq!(awarded.guarantee, (lower * dec!(0.10)).ceil(), "Art. 31");
        assert_eq!(awarded.evaluated_maximum, Some(maximum));
        assert_eq!(awarded.lowering_motivation.as_deref(), Some("La contrapartida de la alcaldía cubre la mitad"));
        assert_eq!(awarded.families, 10, "the approved version's families");
    }

    async fn a_calls_awards_never_exceed_its_budget_even_at_the_same_moment(store: &Store) {
        let p = Procedure::new(store).await;
        let first = p.viable_and_signed("CUS-B1").await;
        let second = p.viable_and_signed("CUS-B2").await;
        let third = p.viable_and_signed("CUS-B3").await;
        // The call's budget fits two awards of 40 million, not three.
        store
            .connection()
            .execute_unprepared(&format!(
                "UPDATE calls SET budget_cop = 100000000 WHERE id = {}",
                p.call_id.expect("call")
            ))
            .await
            .expect("budget");
        // Two offices, so that the resolution numbers do not make them take turns.
        let of = |amount, office| NewAward {
            institute_contribution: Some(amount),
            lowering_motivation: "Presupuesto de la convocatoria".into(),
            ..award(office)
        };
        store.award(&p.director, first, of(dec!(40000000), "CAQ")).await.expect("within the budget");
        let (a, b) = tokio::join!(
            store.award(&p.director, second, of(dec!(40000000), "CAQ")),
            store.award(&p.director, third, of(dec!(40000000), "PUT"))
        );
        let granted = [&a, &b].iter().filter(|r| r.is_ok()).count();
        assert_eq!(granted, 1, "two directors at once cannot together exceed it: {a:?} {b:?}");
        let refused = if a.is_err() { a } else { b };
        match refused {
            Err(StoreError::Conflict(m)) => {
                assert_eq!(m.code(), "custody-error-call_budget");
                assert_eq!(m.arg("available"), Some(&Arg::Amount(dec!(20000000))));
            }
            other => panic!("expected the budget to refuse it, got {other:?}"),
        }
        let awarded: Decimal = store
            .call_awards(p.call_id.expect("call"))
            .await
            .expect("awards")
            .iter()
            .map(|(_, a)| a.institute_contribution)
            .sum();
        assert_eq!(awarded, dec!(80000000));
    }

    async fn failed_logins_make_the_account_and_the_address_wait_on_every_server(store: &Store) {
        let now = jiff::Timestamp::from_second(1_800_000_000).expect("now");
        let later = |seconds: i64| now.checked_add(jiff::SignedDuration::from_secs(seconds)).expect("later");
        for _ in 0..4 {
            store.record_login_failure("Ana@Vereda.test ", Some("10.0.0.7"), now).await.expect("failure");
        }
        assert_eq!(store.login_wait("ana@vereda.test", None, now).await.expect("wait"), None, "four are allowed");
        store.record_login_failure("ana@vereda.test", Some("10.0.0.7"), now).await.expect("failure");
        assert_eq!(store.login_wait("ana@vereda.test", None, now).await.expect("wait"), Some(1));
        // The address waits too, for any account tried from it.
        assert_eq!(store.login_wait("otra@vereda.test", Some("10.0.0.7"), now).await.expect("wait"), Some(1));
        assert_eq!(store.login_wait("ana@vereda.test", None, later(1)).await.expect("wait"), None);
        store.record_login_failure("ana@vereda.test", None, later(1)).await.expect("failure");
        assert_eq!(store.login_wait("ana@vereda.test", None, later(1)).await.expect("wait"), Some(2), "it doubles");
        store.record_login_success("ana@vereda.test", Some("10.0.0.7")).await.expect("success");
        assert_eq!(store.login_wait("ana@vereda.test", Some("10.0.0.7"), later(1)).await.expect("wait"), None);
    }

    async fn an_account_changes_role_and_standing_only_by_another_account_and_audited(store: &Store) {
        let boss = store.create_account(&admin(), account("boss@vereda.test", Role::Admin)).await.expect("admin").actor();
        let ana = store.create_account(&admin(), account("ana@vereda.test", Role::TerritorialOfficer)).await.expect("ana");
        store.set_account_role(&boss, ana.id, Role::Auditor).await.expect("role");
        store.set_account_active(&boss, ana.id, false).await.expect("deactivated");
        let now = store.account(ana.id).await.expect("read").expect("ana");
        assert_eq!((now.role, now.active), (Role::Auditor, false));
        let own = store.set_account_active(&ana.actor(), ana.id, true).await;
        assert!(matches!(&own, Err(StoreError::Forbidden(m)) if m.code() == "accounts-error-own_account"), "{own:?}");
        let query = AuditQuery { entity: Some("users".into()), entity_id: Some(ana.id.to_string()), ..Default::default() };
        let entries = store.audit_entries(&query).await.expect("audit");
        let changes: Vec<String> = entries
            .iter()
            .filter(|e| e.action == AuditAction::Update)
            .map(|e| e.after.as_ref().map(|a| a.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(changes, [r#"{"active":false}"#, r#"{"role":"auditor"}"#], "only the field, never the password hash");
    }

    async fn an_account_protects_itself_with_its_password_a_reset_link_and_a_second_factor(store: &Store) {
        use vereda_store::accounts::SecondFactorCheck;
        let boss = store.create_account(&admin(), account("boss@vereda.test", Role::Admin)).await.expect("admin").actor();
        let ana = store.create_account(&admin(), account("ana@vereda.test", Role::TerritorialDirector)).await.expect("ana");
        // Its own password: the current one is asked, the creation rules apply.
        let wrong = store.change_own_password(&ana, "no es la clave", "otra clave larga").await;
        assert!(matches!(&wrong, Err(StoreError::Invalid(m)) if m.code() == "accounts-error-wrong_current_password"), "{wrong:?}");
        let short = store.change_own_password(&ana, "una clave larga", "corta").await;
        assert!(matches!(&short, Err(StoreError::Invalid(m)) if m.code() == "account-error-password_short"), "{short:?}");
        let at = store.change_own_password(&ana, "una clave larga", "otra clave larga").await.expect("changed");
        let read = store.account(ana.id).await.expect("read").expect("ana");
        assert_eq!(read.sessions_valid_after, Some(at));
        assert!(store.authenticate("ana@vereda.test", "otra clave larga").await.expect("login").is_ok());

        // A reset link: single use, even raced.
        let token = store.issue_password_reset(&boss, ana.id, jiff::SignedDuration::from_hours(24)).await.expect("link");
        let now = jiff::Timestamp::now();
        assert_eq!(store.password_reset_account(&token, now).await.expect("read").map(|a| a.id), Some(ana.id));
        let (a, b) = tokio::join!(
            store.use_password_reset(&token, "tercera clave larga", now),
            store.use_password_reset(&token, "cuarta clave larga", now)
        );
        assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "{a:?} {b:?}");
        let refused = if a.is_err() { a } else { b };
        assert!(matches!(&refused, Err(StoreError::Invalid(m)) if m.code() == "accounts-error-reset_link"), "{refused:?}");
        assert_eq!(store.password_reset_account(&token, now).await.expect("read"), None);
        let expired = store.issue_password_reset(&boss, ana.id, jiff::SignedDuration::from_hours(1)).await.expect("link");
        let later = now.checked_add(jiff::SignedDuration::from_hours(2)).expect("later");
        assert_eq!(store.password_reset_account(&expired, later).await.expect("read"), None);

        // The second factor: enrolled with a right code, a step used once, recovery codes once.
        let secret = vereda_domain::totp::base32_encode(b"12345678901234567890");
        let key = b"12345678901234567890";
        let t = jiff::Timestamp::from_second(1_800_000_000).expect("t");
        let bad = store.enroll_second_factor(&ana, &secret, "000000", t).await;
        assert!(matches!(&bad, Err(StoreError::Invalid(m)) if m.code() == "second_factor-error-wrong_code"), "{bad:?}");
        let codes = store
            .enroll_second_factor(&ana, &secret, &vereda_domain::totp::code_at(key, t.as_second()), t)
            .await
            .expect("enrolled");
        assert_eq!(codes.len(), 10);
        let ana = store.account(ana.id).await.expect("read").expect("ana");
        assert!(ana.second_factor);
        let twice = store.enroll_second_factor(&ana, &secret, &vereda_domain::totp::code_at(key, t.as_second() + 30), t).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(_))), "{twice:?}");
        let same_step = vereda_domain::totp::code_at(key, t.as_second());
        assert_eq!(store.check_second_factor(&ana, &same_step, t).await.expect("check"), SecondFactorCheck::Wrong, "no replay");
        let t2 = jiff::Timestamp::from_second(1_800_000_060).expect("t2");
        let next = vereda_domain::totp::code_at(key, t2.as_second());
        assert_eq!(store.check_second_factor(&ana, &next, t2).await.expect("check"), SecondFactorCheck::Accepted);
        assert_eq!(store.check_second_factor(&ana, &codes[0], t2).await.expect("check"), SecondFactorCheck::RecoveryCodeUsed);
        assert_eq!(store.check_second_factor(&ana, &codes[0], t2).await.expect("check"), SecondFactorCheck::Wrong);
        assert_eq!(store.unused_recovery_codes(ana.id).await.expect("count"), 9);
        // A lost device: another account removes the factor; the account enrolls again.
        let own = store.remove_second_factor(&ana.actor(), ana.id).await;
        assert!(matches!(&own, Err(StoreError::Forbidden(_))), "{own:?}");
        store.remove_second_factor(&boss, ana.id).await.expect("removed");
        let ana = store.account(ana.id).await.expect("read").expect("ana");
        assert!(!ana.second_factor);
        assert_eq!(store.unused_recovery_codes(ana.id).await.expect("count"), 0);

        let query = AuditQuery { entity: Some("users".into()), entity_id: Some(ana.id.to_string()), ..Default::default() };
        let actions: Vec<AuditAction> = store.audit_entries(&query).await.expect("audit").iter().map(|e| e.action).collect();
        for expected in [
            AuditAction::PasswordChanged,
            AuditAction::PasswordResetIssued,
            AuditAction::PasswordResetUsed,
            AuditAction::SecondFactorEnrolled,
            AuditAction::SecondFactorFailed,
            AuditAction::RecoveryCodeUsed,
            AuditAction::SecondFactorRemoved,
        ] {
            assert!(actions.contains(&expected), "{expected} in {actions:?}");
        }
        // Neither the secret nor the token is in the log.
        let all = store.audit_entries(&AuditQuery { limit: 10_000, ..Default::default() }).await.expect("audit");
        let text = format!("{all:?}");
        assert!(!text.contains(&secret) && !text.contains(&token));
    }

    async fn list_pages_run_as_many_statements_for_50_rows_as_for_1(store: &Store) {
        // The pages' store calls run on a clone that logs its statements; seeding does not.
        let mut counted = store.clone();
        let log = counted.log_statements();
        let p = Procedure::new(store).await;
        let mut rows = Rows::default();
        rows.grow(&p, 1).await;
        let session = rows.session(&p).await;
        let few = PageStatements::measure(&counted, &log, session).await;
        rows.grow(&p, 50).await;
        let session = rows.session(&p).await;
        let many = PageStatements::measure(&counted, &log, session).await;
        println!("{}: statements for 1 row of each kind {few:?}, for 50 {many:?}", store.backend_name());
        assert_eq!(few, many, "a page runs more statements for more rows: a query per row is back");
        // The formulations: the page, its latest versions, and the procedure state of the
        // page's rows (awards and payments of the approved, endorsements and agenda of the
        // submitted), whatever the page's size.
        assert!(few.formulations <= 5 && few.calls <= 5, "{few:?}");
    }

    async fn an_api_token_is_issued_once_found_by_its_hash_and_revoked(store: &Store) {
        let boss = store.create_account(&admin(), account("boss@vereda.test", Role::Admin)).await.expect("admin").actor();
        let ana = store.create_account(&admin(), account("ana@vereda.test", Role::ProgramOfficer)).await.expect("ana");
        let blank = store.create_api_token(&boss, ana.id, "  ").await;
        assert!(matches!(&blank, Err(StoreError::Invalid(m)) if m.code() == "api_token-error-label"), "{blank:?}");
        let nobody = store.create_api_token(&boss, 9999, "erp").await;
        assert!(matches!(&nobody, Err(StoreError::NotFound { .. })), "{nobody:?}");
        let issued = store.create_api_token(&boss, ana.id, "ERP contable").await.expect("issued");
        assert!(issued.secret.starts_with(vereda_store::api_tokens::SECRET_PREFIX) && issued.secret.len() == 4 + 64);
        assert_eq!((issued.token.label.as_str(), issued.token.created_by.as_str()), ("ERP contable", "boss@vereda.test"));

        // The secret finds the account and notes the use; anything else finds nothing.
        let now = jiff::Timestamp::now();
        let found = store.api_token_account(&issued.secret, now).await.expect("lookup");
        assert_eq!(found.map(|a| a.id), Some(ana.id));
        let used = store.api_token(issued.token.id).await.expect("read").expect("token");
        assert_eq!(used.last_used_at.map(|t| t.as_microsecond()), Some(now.as_microsecond()));
        // Within the minute the use is not written again.
        let soon = now.checked_add(jiff::SignedDuration::from_secs(10)).expect("soon");
        store.api_token_account(&issued.secret, soon).await.expect("lookup");
        let read = store.api_token(issued.token.id).await.expect("read").expect("token");
        assert_eq!(read.last_used_at, used.last_used_at);
        assert_eq!(store.api_token_account("vrd_0000", now).await.expect("lookup"), None);
        assert_eq!(store.api_token_account(&issued.secret.to_uppercase(), now).await.expect("lookup"), None);

        // Neither the secret nor its hash is in the audit log.
        let hash = {
            use sha2::Digest;
            sha2::Sha256::digest(issued.secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let entries = store
            .audit_entries(&AuditQuery { entity: Some("api_tokens".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 1, "{entries:?}");
        let written = format!("{:?}", entries);
        assert!(!written.contains(&issued.secret) && !written.contains(&hash), "{written}");
        assert!(written.contains("ERP contable"), "{written}");

        // A deactivated account's token does not authenticate; reactivated, it does again.
        store.set_account_active(&boss, ana.id, false).await.expect("deactivated");
        assert_eq!(store.api_token_account(&issued.secret, now).await.expect("lookup"), None);
        store.set_account_active(&boss, ana.id, true).await.expect("active");
        assert!(store.api_token_account(&issued.secret, now).await.expect("lookup").is_some());

        // Revoked: no longer; a second revocation is a conflict; the list keeps it.
        let other = store.create_api_token(&boss, ana.id, "tablero").await.expect("issued");
        let revoked = store.revoke_api_token(&boss, issued.token.id).await.expect("revoked");
        assert!(revoked.revoked_at.is_some());
        assert_eq!(store.api_token_account(&issued.secret, now).await.expect("lookup"), None);
        assert!(store.api_token_account(&other.secret, now).await.expect("lookup").is_some());
        let again = store.revoke_api_token(&boss, issued.token.id).await;
        assert!(matches!(&again, Err(StoreError::Conflict(m)) if m.code() == "api_token-error-revoked"), "{again:?}");
        let missing = store.revoke_api_token(&boss, 9999).await;
        assert!(matches!(&missing, Err(StoreError::NotFound { .. })), "{missing:?}");
        let listed: Vec<(String, bool)> = store
            .api_tokens(ana.id)
            .await
            .expect("list")
            .into_iter()
            .map(|t| (t.label, t.revoked_at.is_some()))
            .collect();
        assert_eq!(listed, [("ERP contable".to_owned(), true), ("tablero".to_owned(), false)]);
        let entries = store
            .audit_entries(&AuditQuery { entity: Some("api_tokens".into()), ..Default::default() })
            .await
            .expect("audit");
        let actions: Vec<AuditAction> = entries.iter().map(|e| e.action).collect();
        assert_eq!(actions, [AuditAction::Update, AuditAction::Create, AuditAction::Create]);
        assert!(!format!("{entries:?}").contains(&hash));
    }

    async fn petitions_are_numbered_gated_answered_and_extended_once(store: &Store) {
        use vereda_domain::petition::{PetitionKind, PetitionState};
        use vereda_store::petitions::NewPetition;
        let noon = |day: &str| format!("{day}T17:00:00Z").parse::<jiff::Timestamp>().expect("instant");
        let new = |municipality: &str| NewPetition {
            kind: Some(PetitionKind::General),
            petitioner_name: "Luz Dary Cuéllar".into(),
            petitioner_document: "40.123.456".into(),
            email: "luz@correo.invalid".into(),
            postal_address: String::new(),
            subject: "Estado de mi solicitud".into(),
            text: "Pido información sobre la convocatoria.".into(),
            municipality: DaneCode::parse(municipality).ok(),
            attachment: None,
        };
        let public = Actor::system("peticiones");
        // Numbered per year without gaps; the deadline from the calendar (Friday 6 March 2026:
        // 15 business days, San José on 23 March, end on 30 March).
        let first = store.file_petition(&public, &new("18001"), noon("2026-03-06")).await.expect("filed");
        let second = store.file_petition(&public, &new("52001"), noon("2026-03-06")).await.expect("filed");
        let next_year = store.file_petition(&public, &new("18001"), noon("2027-01-04")).await.expect("filed");
        assert_eq!((first.number.as_str(), second.number.as_str(), next_year.number.as_str()), ("PQRSD-2026-000001", "PQRSD-2026-000002", "PQRSD-2027-000001"));
        assert_eq!(first.deadline, jiff::civil::date(2026, 3, 30));
        assert_eq!(first.state, PetitionState::Received);
        // Filed on 30 June 2026 for documents: 10 business days across Ley 2578's 13 July.
        let documents = NewPetition { kind: Some(PetitionKind::Documents), ..new("18001") };
        let across = store.file_petition(&public, &documents, noon("2026-06-30")).await.expect("filed");
        assert_eq!(across.deadline, jiff::civil::date(2026, 7, 15));
        // What a filing must have.
        let no_contact = NewPetition { email: String::new(), ..new("18001") };
        let refused = store.file_petition(&public, &no_contact, noon("2026-03-06")).await;
        assert!(matches!(&refused, Err(StoreError::Invalid(m)) if m.code() == "petition-error-contact"), "{refused:?}");
        let no_kind = NewPetition { kind: None, ..new("18001") };
        assert!(matches!(store.file_petition(&public, &no_kind, noon("2026-03-06")).await, Err(StoreError::Invalid(m)) if m.code() == "petition-error-required"));
        let bad_email = NewPetition { email: "luz-at-correo".into(), ..new("18001") };
        assert!(matches!(store.file_petition(&public, &bad_email, noon("2026-03-06")).await, Err(StoreError::Invalid(m)) if m.code() == "account-error-email"));

        // Gates: the Caquetá officer reaches Florencia's petition, not Pasto's; a formulator
        // answers none.
        let office = store
            .create_territorial_office(&admin(), "DT Caquetá", DepartmentCode::parse("18").expect("18"))
            .await
            .expect("office");
        let officer = store.create_account(&admin(), account("oficial@vereda.test", Role::TerritorialOfficer)).await.expect("officer");
        store.assign_territorial_office(&admin(), officer.id, Some(office.id)).await.expect("office");
        let formulator = store.create_account(&admin(), account("formula@vereda.test", Role::Formulator)).await.expect("formulator");
        let as_officer = Actor::User { id: officer.id, email: officer.email.clone() };
        let as_formulator = Actor::User { id: formulator.id, email: formulator.email.clone() };
        let listed: Vec<i32> = store.petitions_for(&as_officer, false).await.expect("list").iter().map(|p| p.id).collect();
        assert!(listed.contains(&first.id) && !listed.contains(&second.id), "{listed:?}");
        assert!(matches!(store.petitions_for(&as_formulator, false).await, Err(StoreError::Forbidden(_))));
        let outside = store.assign_petition(&as_officer, second.id, officer.id).await;
        assert!(matches!(&outside, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-outside_office"), "{outside:?}");
        let unpermitted = store.answer_petition(&as_formulator, first.id, "Respuesta", noon("2026-03-10")).await;
        assert!(matches!(&unpermitted, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-not_permitted"), "{unpermitted:?}");
        let not_answering = store.assign_petition(&as_officer, first.id, formulator.id).await;
        assert!(matches!(&not_answering, Err(StoreError::Invalid(m)) if m.code() == "petition-error-assignee"), "{not_answering:?}");
        let assigned = store.assign_petition(&as_officer, first.id, officer.id).await.expect("assigned");
        assert_eq!((assigned.assigned_to, assigned.state), (Some(officer.id), PetitionState::Assigned));

        // The extension (Art. 14 par.): beyond twice the term, after the deadline, then once.
        let today = jiff::civil::date(2026, 3, 27);
        let too_long = store.extend_petition(&as_officer, first.id, jiff::civil::date(2026, 4, 23), "Consulta a tres oficinas", today).await;
        assert!(matches!(&too_long, Err(StoreError::Invalid(m)) if m.code() == "petition-error-extension_too_long"), "{too_long:?}");
        let late = store.extend_petition(&as_officer, first.id, jiff::civil::date(2026, 4, 10), "Consulta", jiff::civil::date(2026, 3, 31)).await;
        assert!(matches!(&late, Err(StoreError::Conflict(m)) if m.code() == "petition-error-extension_late"), "{late:?}");
        let extended = store.extend_petition(&as_officer, first.id, jiff::civil::date(2026, 4, 22), "Consulta a tres oficinas", today).await.expect("extended");
        assert_eq!((extended.deadline_in_force(), extended.state), (jiff::civil::date(2026, 4, 22), PetitionState::Extended));
        let twice = store.extend_petition(&as_officer, first.id, jiff::civil::date(2026, 4, 22), "Otra vez", today).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "petition-error-extended_twice"), "{twice:?}");

        // The answer: within the extended term, a letter to the petitioner; never twice.
        assert_eq!(store.petition_answer_letter(&as_officer, first.id).await.expect("no letter yet"), None);
        let (answered, letter) = store.answer_petition(&as_officer, first.id, "Su solicitud sigue en estudio.", noon("2026-04-20")).await.expect("answered");
        // Its letter, to print, read within the office's reach only.
        let printed = store.petition_answer_letter(&as_officer, first.id).await.expect("read").expect("the letter");
        assert_eq!((printed.id, printed.kind), (letter.id, vereda_domain::verification::LetterKind::PetitionAnswer));
        let outside = store.petition_answer_letter(&as_officer, second.id).await;
        assert!(matches!(&outside, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-outside_office"), "{outside:?}");
        let unpermitted = store.petition_answer_letter(&as_formulator, first.id).await;
        assert!(matches!(&unpermitted, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-not_permitted"), "{unpermitted:?}");
        assert_eq!((answered.state, answered.letter_id), (PetitionState::Answered, Some(letter.id)));
        assert_eq!((letter.petition_id, letter.household_id, letter.status.as_str()), (Some(first.id), None, "pending"));
        assert_eq!(letter.email.as_deref(), Some("luz@correo.invalid"));
        let answered_facts = letter.facts.clone().and_then(|f| f.petition).expect("petition facts");
        assert_eq!(answered_facts.number, "PQRSD-2026-000001");
        assert_eq!(answered_facts.answer, "Su solicitud sigue en estudio.");
        let again = store.answer_petition(&as_officer, first.id, "Otra", noon("2026-04-21")).await;
        assert!(matches!(&again, Err(StoreError::Conflict(m)) if m.code() == "petition-error-answered"), "{again:?}");
        // Answered after its deadline: late.
        let (late_answer, _) = store.answer_petition(&admin(), across.id, "Adjunto la información.", noon("2026-07-16")).await.expect("answered");
        assert_eq!(late_answer.state, PetitionState::AnsweredLate);

        // Every step is audited.
        assert_eq!(count_rows(store, "audit_log WHERE entity = 'petitions'").await, 8);
        // The report counts per month of filing.
        let report = store.petition_report().await.expect("report");
        let months: Vec<(&str, i64, i64, i64, i64)> = report.iter().map(|m| (m.month.as_str(), m.received, m.answered_on_time, m.answered_late, m.pending)).collect();
        assert_eq!(months, [("2026-03", 2, 1, 0, 1), ("2026-06", 1, 0, 1, 0), ("2027-01", 1, 0, 0, 1)]);
    }

    async fn letters_keep_their_indexes_after_the_petitions_migration(store: &Store) {
        if store.backend() != sea_orm::DatabaseBackend::Sqlite {
            return;
        }
        let rows = store
            .connection()
            .query_all_raw(sea_orm::Statement::from_string(
                store.backend(),
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_letters%' ORDER BY name",
            ))
            .await
            .expect("indexes");
        let found: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.try_get("", "name").expect("name"), r.try_get("", "tbl_name").expect("table")))
            .collect();
        assert_eq!(
            found,
            [
                ("ix_letters_call_id_id".to_owned(), "letters".to_owned()),
                // The letters list's filters and sorts (migration 33).
                ("ix_letters_call_id_kind_id".to_owned(), "letters".to_owned()),
                ("ix_letters_call_id_recipient_id".to_owned(), "letters".to_owned()),
                ("ix_letters_call_id_status_id".to_owned(), "letters".to_owned()),
                ("ix_letters_household_id".to_owned(), "letters".to_owned()),
                ("ix_letters_petition_id".to_owned(), "letters".to_owned()),
                ("ix_letters_status_id".to_owned(), "letters".to_owned()),
            ]
        );
    }

    async fn persons_are_indexed_by_household_alone(store: &Store) {
        // A screening stores a head a household; an index by document took each at a random
        // place (migration 47). Persons are read by household; a data subject's request by
        // document reads the table (`a_data_subject_gets_everything_held_...`).
        let sql = if store.backend() == sea_orm::DatabaseBackend::Postgres {
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'persons' AND indexname <> 'persons_pkey' ORDER BY indexname"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' ORDER BY name"
        };
        let rows = store
            .connection()
            .query_all_raw(sea_orm::Statement::from_string(store.backend(), sql))
            .await
            .expect("indexes");
        let found: Vec<String> = rows.iter().map(|r| r.try_get("", "name").expect("name")).collect();
        assert_eq!(found, ["ix_persons_household_id"]);
    }

    async fn the_demo_petition_is_answered_on_time(store: &Store) {
        demo::seed(store).await.expect("demo");
        let report = store.petition_report().await.expect("report");
        assert_eq!(report.len(), 1);
        assert_eq!((report[0].received, report[0].answered_on_time), (1, 1));
        demo::seed(store).await.expect("idempotent");
        assert_eq!(store.petition_report().await.expect("report")[0].received, 1);
    }

    async fn the_demo_project_went_the_whole_chain_firm_paid_and_followed(store: &Store) {
        use vereda_domain::acts::ActStatus;
        use vereda_domain::followup::{AlertKind, Delivery};
        let started = std::time::Instant::now();
        demo::seed(store).await.expect("demo");
        eprintln!("demo seeded in {:?}", started.elapsed());
        let formulation = store.formulation_by_code(demo::DEMO_FOLLOWED_CODE).await.expect("read").expect("the demo project");
        let today = vereda_store::projects::today_in_colombia();
        let life = store.award_life(formulation.id, today).await.expect("read").expect("awarded");
        assert_eq!((life.number.as_str(), life.awarded_on), ("DT-CAQ-2013-001", jiff::civil::date(2013, 10, 15)));
        assert_eq!(life.families.len(), 10);
        assert!(life.families.iter().all(|f| f.kind == Some(vereda_domain::acts::NotificationKind::Personal)), "every family notified");
        assert_eq!((life.status, life.appeals.len()), (ActStatus::Firm, 0));
        let firm_on = life.firm_on.expect("firm");
        assert!(firm_on > jiff::civil::date(2013, 10, 16) && firm_on <= jiff::civil::date(2013, 11, 5), "firm before the payment: {firm_on}");
        let award = store.award_of(formulation.id).await.expect("read").expect("award");
        let checklist = store.disbursement_checklist(formulation.id).await.expect("checklist");
        assert!(checklist.missing().is_empty());
        let ledger = store.ledger(demo::DEMO_FOLLOWED_CODE).await.expect("ledger");
        assert_eq!((ledger.paid_on, ledger.disbursed), (Some(jiff::civil::date(2013, 11, 5)), Some(award.institute_contribution)));
        assert_eq!(ledger.plan.version, 1);
        assert_eq!(
            ledger.movements.iter().map(|m| (m.kind, m.value)).collect::<Vec<_>>(),
            [(MovementKind::Disbursement, award.institute_contribution), (MovementKind::Payment, dec!(51000000)), (MovementKind::Payment, dec!(6500000))]
        );
        assert!(ledger.movements.iter().all(|m| m.officer.as_deref() == Some("territorial.officer@vereda.test") && m.representative_name == "Familia FLO-001"), "both signatures");
        assert_eq!(ledger.execution.balance, award.institute_contribution - dec!(57500000));
        assert_eq!((ledger.execution.by_line.get(&1), ledger.execution.by_line.get(&5)), (Some(&dec!(51000000)), Some(&dec!(6500000))));
        let visits = store.visits(demo::DEMO_FOLLOWED_CODE).await.expect("visits");
        assert_eq!(visits.visits.len(), 1);
        assert_eq!(visits.visits[0].findings.iter().map(|f| (f.line, f.delivery)).collect::<Vec<_>>(), [(1, Delivery::Delivered), (5, Delivery::Partial)]);
        assert_eq!(visits.commitments.len(), 1);
        assert_eq!((visits.commitments[0].due_on, visits.commitments[0].closed_on), (jiff::civil::date(2014, 1, 10), None));
        let plan = store.accompaniment(demo::DEMO_FOLLOWED_CODE).await.expect("plan");
        assert_eq!(plan.activities.len(), 1);
        let activity = &plan.activities[0];
        assert_eq!((activity.delivered_on, activity.families, activity.women, activity.men), (Some(jiff::civil::date(2013, 12, 2)), Some(9), Some(5), Some(4)));
        let progress = store.progress(demo::DEMO_FOLLOWED_CODE, today).await.expect("progress");
        assert!(progress.alerts.iter().any(|a| a.kind == AlertKind::CommitmentOverdue), "the open commitment is late");
        // Idempotent: a second seeding adds nothing.
        demo::seed(store).await.expect("idempotent");
        assert_eq!(store.ledger(demo::DEMO_FOLLOWED_CODE).await.expect("ledger").movements.len(), 3);
    }

    async fn the_award_freezes_the_investment_plan_with_its_hash(store: &Store) {
        let (p, code) = paid_project(store, "LED-A").await;
        let plans = store.investment_plans(&code).await.expect("plans");
        assert_eq!(plans.len(), 1);
        let plan = &plans[0];
        assert_eq!((plan.version, plan.origin.as_str(), plan.stored), (1, "award", true));
        let budget: Decimal = viable_cocoa().budget.iter().map(|l| l.amount()).sum();
        assert_eq!(plan.total, budget);
        assert_eq!(plan.sha256, plan.plan.sha256());
        assert_eq!(plan.plan.lines.len(), viable_cocoa().budget.len());
        assert!(plan.plan.line(5).expect("kits").eligible && !plan.plan.line(9).expect("labour").eligible);
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("investment_plans".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 1, "frozen in the award's transaction, audited");
        // A project awarded before plans were kept: derived from its approved version on first
        // read, stored by its first writing step.
        store.connection().execute_unprepared("DELETE FROM investment_plans").await.expect("older project");
        let derived = store.investment_plans(&code).await.expect("derived");
        assert_eq!((derived[0].origin.as_str(), derived[0].stored, &derived[0].sha256), ("derived", false, &plan.sha256));
        let (name, document) = representative(store).await;
        store
            .record_movement(&p.officer, &code, &movement(&name, &document, inflow(MovementKind::Disbursement, dec!(1000), "")), today())
            .await
            .expect("first movement");
        let stored = store.investment_plans(&code).await.expect("stored");
        assert_eq!((stored[0].origin.as_str(), stored[0].stored, &stored[0].sha256), ("derived", true, &plan.sha256));
    }

    async fn a_change_of_the_plan_is_the_directors_and_another_accounts(store: &Store) {
        let (p, code) = paid_project(store, "LED-B").await;
        let moved = BTreeMap::from([(1, dec!(101000000)), (5, dec!(14000000))]);
        let total = store.request_plan_change(&p.officer, &code, 1, BTreeMap::from([(5, dec!(14000000))]), "Más kits").await;
        assert!(matches!(&total, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-plan_total"), "{total:?}");
        let unmotivated = store.request_plan_change(&p.officer, &code, 1, moved.clone(), " ").await;
        assert!(matches!(&unmotivated, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-motivation_required"), "{unmotivated:?}");
        let id = store.request_plan_change(&p.officer, &code, 1, moved.clone(), "Precio de los kits").await.expect("requested");
        let officer_approves = store.review_plan_change(&p.payer, &code, id, true, "Bien").await;
        assert!(matches!(&officer_approves, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-not_permitted"), "{officer_approves:?}");
        store.review_plan_change(&p.director, &code, id, true, "Cotizaciones verificadas").await.expect("approved");
        let twice = store.review_plan_change(&p.director, &code, id, false, "No").await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "ledger-error-change_reviewed"), "{twice:?}");
        let plans = store.investment_plans(&code).await.expect("plans");
        assert_eq!(plans.iter().map(|v| (v.version, v.origin.as_str())).collect::<Vec<_>>(), [(1, "award"), (2, "change")]);
        assert_eq!(plans[1].plan.line(5).expect("kits").amount, dec!(14000000));
        assert_eq!(plans[0].plan.line(5).expect("kits").amount, dec!(13000000), "every version is kept");
        assert_eq!(plans[0].total, plans[1].total);
        assert_ne!(plans[0].sha256, plans[1].sha256);
        // The director's own request needs another account.
        let back = BTreeMap::from([(1, dec!(102000000)), (5, dec!(13000000))]);
        let stale = store.request_plan_change(&p.director, &code, 1, back.clone(), "Volver").await;
        assert!(matches!(&stale, Err(StoreError::Conflict(m)) if m.code() == "ledger-error-plan_changed"), "{stale:?}");
        let own = store.request_plan_change(&p.director, &code, 2, back, "Volver").await.expect("requested");
        let refused = store.review_plan_change(&p.director, &code, own, true, "Yo mismo").await;
        assert!(matches!(&refused, Err(StoreError::Forbidden(m)) if m.code() == "ledger-error-own_change"), "{refused:?}");
        let changes = store.plan_changes(&code).await.expect("changes");
        assert_eq!(changes.iter().map(|c| c.status).collect::<Vec<_>>(), [ChangeStatus::Requested, ChangeStatus::Approved]);
        assert_eq!(changes[1].review_motivation.as_deref(), Some("Cotizaciones verificadas"));
    }

    async fn the_ledger_keeps_to_the_plan_and_flags_duplicates(store: &Store) {
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("LED-C").await;
        store.award(&p.director, id, award("CAQ")).await.expect("award");
        let code = "LED-C".to_owned();
        let (name, document) = representative(store).await;
        let unpaid = store.record_movement(&p.officer, &code, &movement(&name, &document, payment(5, dec!(100), "FV-1")), today()).await;
        assert!(matches!(&unpaid, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-not_paid"), "{unpaid:?}");
        pay(&p, id).await;
        let early = NewMovement { draft: MovementDraft { date: jiff::civil::date(2013, 11, 1), ..payment(5, dec!(100), "FV-1") }, ..movement(&name, &document, payment(5, dec!(100), "FV-1")) };
        let refused = store.record_movement(&p.officer, &code, &early, today()).await;
        assert!(matches!(&refused, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-before_payment" && m.arg("field") == Some(&Arg::Text("date".into()))), "{refused:?}");
        store.record_movement(&p.officer, &code, &movement(&name, &document, inflow(MovementKind::Disbursement, dec!(120000000), "")), today()).await.expect("disbursement");
        store.record_movement(&p.officer, &code, &movement(&name, &document, payment(5, dec!(10000000), "FV-1")), today()).await.expect("payment");
        let over = store.record_movement(&p.officer, &code, &movement(&name, &document, payment(5, dec!(3000001), "FV-2")), today()).await;
        assert!(matches!(&over, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-over_plan" && m.arg("available") == Some(&Arg::Amount(dec!(3000000)))), "{over:?}");
        let labour = MovementDraft { source: Some(Source::Institute), ..payment(9, dec!(100000), "NOM-1") };
        let art21 = store.record_movement(&p.officer, &code, &movement(&name, &document, labour), today()).await;
        assert!(matches!(&art21, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-not_eligible" && m.arg("article") == Some(&Arg::Text("Art. 21.1".into()))), "{art21:?}");
        let stranger = store.record_movement(&p.officer, &code, &movement("Pedro Pérez", "123456", payment(5, dec!(1), "FV-3")), today()).await;
        assert!(matches!(&stranger, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-representative"), "{stranger:?}");
        let again = store.record_movement(&p.officer, &code, &movement(&name, &document, payment(1, dec!(10000000), " fv-1")), today()).await;
        assert!(matches!(&again, Err(StoreError::Conflict(m)) if m.code() == "ledger-error-duplicate"), "{again:?}");
        let mut confirmed = movement(&name, &document, payment(5, dec!(1000000), "FV-1"));
        store.record_movement(&p.officer, &code, &confirmed, today()).await.expect("not the same value: no duplicate");
        confirmed.draft.value = dec!(10000000);
        confirmed.confirm_duplicate = true;
        let over_again = store.record_movement(&p.officer, &code, &confirmed, today()).await;
        assert!(matches!(&over_again, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-over_plan"), "a confirmed duplicate still keeps to the plan: {over_again:?}");
        confirmed.draft.line = Some(1);
        let flagged = store.record_movement(&p.officer, &code, &confirmed, today()).await.expect("confirmed");
        let ledger = store.ledger(&code).await.expect("ledger");
        assert_eq!(ledger.movements.len(), 4, "never silently twice");
        let kept = ledger.movements.iter().find(|m| m.id == flagged).expect("flagged");
        assert!(kept.duplicate_of.is_some());
        assert_eq!(kept.officer.as_deref(), Some("officer@vereda.test"));
        assert_eq!(ledger.execution.by_line.get(&5), Some(&dec!(11000000)));
        assert_eq!(ledger.execution.balance, dec!(120000000) - dec!(21000000));
        assert_eq!(ledger.paid_on, Some(jiff::civil::date(2013, 11, 5)));
        let outsider = store.create_account(&admin(), account("outsider@vereda.test", Role::TerritorialOfficer)).await.expect("outsider");
        vereda_store::test_support::assign_office_in(store, &admin(), outsider.id, "18").await.expect("office");
        let far = store.record_movement(&outsider.actor(), &code, &movement(&name, &document, payment(5, dec!(1), "FV-9")), today()).await;
        assert!(matches!(&far, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-outside_office"), "{far:?}");
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("ledger_movements".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 4);
    }

    async fn movements_recorded_together_are_checked_one_after_another_and_stored_all_or_none(store: &Store) {
        let (p, code) = paid_project(store, "LED-G").await;
        let (name, document) = representative(store).await;
        // The kits' line plans 13 million: two payments of 8 million in one batch overrun it,
        // the second checked against the first; nothing of the batch is stored.
        let batch = [
            movement(&name, &document, inflow(MovementKind::Disbursement, dec!(120000000), "")),
            movement(&name, &document, payment(5, dec!(8000000), "FV-A")),
            movement(&name, &document, payment(5, dec!(8000000), "FV-B")),
        ];
        let refused = store.record_movements(&p.officer, &code, &batch, today()).await;
        assert!(matches!(&refused, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-over_plan"), "{refused:?}");
        assert!(store.ledger(&code).await.expect("ledger").movements.is_empty(), "all or none");
        // A duplicate within the batch is caught as against a stored movement.
        let small = movement(&name, &document, payment(5, dec!(1000000), "FV-C"));
        let twice = [batch[0].clone(), small.clone(), small];
        let duplicate = store.record_movements(&p.officer, &code, &twice, today()).await;
        assert!(matches!(&duplicate, Err(StoreError::Conflict(m)) if m.code() == "ledger-error-duplicate"), "{duplicate:?}");
        let ids = store.record_movements(&p.officer, &code, &batch[..2], today()).await.expect("stored");
        assert_eq!(ids.len(), 2);
        let ledger = store.ledger(&code).await.expect("ledger");
        assert_eq!(ledger.execution.by_line.get(&5), Some(&dec!(8000000)));
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("ledger_movements".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 2, "each movement audited");
    }

    async fn synthetic_ledgers_take_each_project_through_the_procedure_to_its_movements(store: &Store) {
        demo::seed(store).await.expect("seed");
        let stored = demo::synthetic_ledgers(store, 2, 25).await.expect("synthetic ledgers");
        assert_eq!(stored, 2);
        for code in ["CTA-00001", "CTA-00002"] {
            let ledger = store.ledger(code).await.expect("ledger");
            assert_eq!(ledger.movements.len(), 25, "{code}");
            assert_eq!(ledger.paid_on, Some(jiff::civil::date(2013, 11, 5)));
        }
        assert_eq!(demo::synthetic_ledgers(store, 2, 25).await.expect("again"), 0, "its call is there: nothing stored");
    }

    async fn concurrent_entries_on_a_line_never_exceed_its_plan(store: &Store) {
        let (p, code) = paid_project(store, "LED-D").await;
        let (name, document) = representative(store).await;
        // The kits' line plans 13 million: one of two payments of 8 million fits.
        let first = movement(&name, &document, payment(5, dec!(8000000), "FV-A"));
        let second = movement(&name, &document, payment(5, dec!(8000000), "FV-B"));
        let (a, b) = tokio::join!(
            store.record_movement(&p.officer, &code, &first, today()),
            store.record_movement(&p.payer, &code, &second, today())
        );
        assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "{a:?} {b:?}");
        let refused = if a.is_err() { a } else { b };
        assert!(matches!(&refused, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-over_plan"), "{refused:?}");
        let ledger = store.ledger(&code).await.expect("ledger");
        assert_eq!(ledger.execution.by_line.get(&5), Some(&dec!(8000000)));
    }

    async fn a_bank_statement_is_imported_whole_and_reconciled(store: &Store) {
        let (p, code) = paid_project(store, "LED-E").await;
        let (name, document) = representative(store).await;
        store.record_movement(&p.officer, &code, &movement(&name, &document, inflow(MovementKind::Disbursement, dec!(120000000), "")), today()).await.expect("in");
        store.record_movement(&p.officer, &code, &movement(&name, &document, payment(5, dec!(6500000), "FV-7")), today()).await.expect("out");
        store.record_movement(&p.officer, &code, &movement(&name, &document, payment(1, dec!(1000), "FV-8")), today()).await.expect("out");
        let line = |n: usize, day: i8, debit: Decimal, credit: Decimal, reference: &str, balance: Decimal| NewStatementLine {
            line: n,
            date: jiff::civil::date(2013, 11, day),
            description: "Movimiento".into(),
            reference: reference.into(),
            debit,
            credit,
            balance: Some(balance),
        };
        let mut lines = vec![
            line(2, 6, dec!(0), dec!(120000000), "", dec!(120000000)),
            line(3, 21, dec!(6500000), dec!(0), "FV-7", dec!(113500000)),
            line(4, 22, dec!(5), dec!(5), "GMF", dec!(113499995)),
        ];
        let bad = store.import_statement(&p.officer, &code, "extracto.csv", &"a".repeat(64), &lines).await;
        assert!(matches!(&bad, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-statement_amounts" && m.arg("line") == Some(&Arg::Count(4))), "{bad:?}");
        assert_eq!(count_rows(store, "bank_statement_lines").await, 0, "nothing half-written");
        lines[2].credit = dec!(0);
        store.import_statement(&p.officer, &code, "extracto.csv", &"a".repeat(64), &lines).await.expect("imported");
        let twice = store.import_statement(&p.officer, &code, "extracto.csv", &"a".repeat(64), &lines).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "ledger-error-statement_imported"), "{twice:?}");
        let ledger = store.ledger(&code).await.expect("ledger");
        let r = &ledger.reconciliation;
        assert_eq!(r.matched.len(), 2);
        assert_eq!(r.ledger_only.len(), 1, "FV-8 is not on the statement");
        assert_eq!(r.statement_only.len(), 1, "the bank's charge is not in the ledger");
        assert_eq!((r.statement_balance, r.ledger_balance), (dec!(113499995), dec!(113499000)));
        assert_eq!(r.difference, dec!(995));
    }


    async fn disbursement_waits_until_the_award_is_firm(store: &Store) {
        use vereda_domain::acts::ActStatus;
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CAC-F").await;
        store.award(&p.director, id, award("CAQ")).await.expect("award");
        store
            .record_disbursement_evidence(&p.officer, id, Some("Cuenta 123-45 Banco Agrario"), None, 0)
            .await
            .expect("account");
        let checklist = store.disbursement_checklist(id).await.expect("checklist");
        store
            .record_disbursement_evidence(&p.director, id, None, Some("Póliza 77"), checklist.lock_version)
            .await
            .expect("policy");
        let refused_code = |result: &Result<vereda_store::procedure::Checklist, StoreError>| match result {
            Err(StoreError::Conflict(m)) => (m.code().to_owned(), m.arg("date").cloned(), m.arg("article").cloned()),
            other => (format!("{other:?}"), None, None),
        };
        let article = Some(Arg::Text("Ley 1437 de 2011, art. 87".into()));
        // Not notified: never firm yet.
        let unnotified = store.disburse(&p.payer, id, jiff::civil::date(2013, 11, 5)).await;
        assert_eq!(refused_code(&unnotified), ("acts-error-not_firm_unnotified".into(), None, article.clone()));
        // A family only: the window has not started.
        let life = store.award_life(id, jiff::civil::date(2013, 10, 15)).await.expect("read").expect("awarded");
        assert_eq!(life.status, ActStatus::InForce);
        assert_eq!(life.families.len(), 10);
        let first = &life.families[0];
        let electronic = store
            .record_notification(
                &p.officer,
                life.award_id,
                vereda_store::acts::NewNotification {
                    beneficiary_id: first.beneficiary_id,
                    kind: vereda_domain::acts::NotificationKind::Electronic,
                    recipient_name: "Ana Pérez".into(),
                    notified_on: jiff::civil::date(2013, 10, 15),
                    cited_on: None,
                    authorised: false,
                },
            )
            .await;
        assert!(matches!(&electronic, Err(StoreError::Invalid(m)) if m.code() == "acts-error-electronic_not_authorised"), "{electronic:?}");
        let outside = store
            .record_notification(
                &p.formulator,
                life.award_id,
                vereda_store::acts::NewNotification {
                    beneficiary_id: first.beneficiary_id,
                    kind: vereda_domain::acts::NotificationKind::Personal,
                    recipient_name: "Ana Pérez".into(),
                    notified_on: jiff::civil::date(2013, 10, 15),
                    cited_on: None,
                    authorised: false,
                },
            )
            .await;
        assert!(matches!(&outside, Err(StoreError::Forbidden(_))), "{outside:?}");
        // Notified Tuesday 15 October 2013: ten business days (Monday 14 October's holiday is
        // before) end on Tuesday 29 October; firm from Wednesday 30.
        let firm_on = notify_award(store, &p.officer, id, jiff::civil::date(2013, 10, 15)).await.expect("notified");
        assert_eq!(firm_on, Some(jiff::civil::date(2013, 10, 30)));
        let early = store.disburse(&p.payer, id, jiff::civil::date(2013, 10, 29)).await;
        assert_eq!(
            refused_code(&early),
            ("acts-error-not_firm_until".into(), Some(Arg::Date(jiff::civil::date(2013, 10, 30))), article)
        );
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Awarded, "nothing paid");
        let again = store
            .record_notification(
                &p.officer,
                life.award_id,
                vereda_store::acts::NewNotification {
                    beneficiary_id: first.beneficiary_id,
                    kind: vereda_domain::acts::NotificationKind::Personal,
                    recipient_name: "Ana Pérez".into(),
                    notified_on: jiff::civil::date(2013, 10, 16),
                    cited_on: None,
                    authorised: false,
                },
            )
            .await;
        assert!(matches!(&again, Err(StoreError::Conflict(m)) if m.code() == "acts-error-already_notified"), "{again:?}");
        store.disburse(&p.payer, id, jiff::civil::date(2013, 10, 30)).await.expect("paid once firm");
        assert_eq!(store.procedure_state(id).await.expect("state"), ProcedureState::Disbursed);
    }

    async fn an_appeal_holds_firmness_until_decided_and_a_late_one_is_recorded_late(store: &Store) {
        use vereda_domain::acts::{ActStatus, AppealOutcome};
        use vereda_store::acts::{NewAppeal, NewDecision};
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CAC-R").await;
        // Awarded and notified on Friday 26 June 2026: the weekend, Monday 29 June (San Pedro y
        // San Pablo), and Monday 13 July (Ley 2578 de 2026) do not count: the window ends on
        // Tuesday 14 July.
        let on = jiff::civil::date(2026, 6, 26);
        store.award(&p.director, id, NewAward { awarded_on: on, ..award("CAQ") }).await.expect("award");
        let firm_on = notify_award(store, &p.officer, id, on).await.expect("notified");
        assert_eq!(firm_on, Some(jiff::civil::date(2026, 7, 15)));
        let life = store.award_life(id, on).await.expect("read").expect("awarded");
        assert_eq!(life.appeal_deadline, Some(jiff::civil::date(2026, 7, 14)));
        let appeal = |filed_on| NewAppeal {
            appellant_name: "Ana Pérez".into(),
            text: "Solicito revisar el aporte.".into(),
            filed_on,
            document: None,
        };
        let timely = store.file_appeal(&p.officer, Contested::Award { award_id: life.award_id }, appeal(jiff::civil::date(2026, 7, 14))).await.expect("timely");
        assert!(!timely.late);
        let late = store.file_appeal(&p.officer, Contested::Award { award_id: life.award_id }, appeal(jiff::civil::date(2026, 7, 15))).await.expect("received");
        assert!(late.late, "recorded late, not refused");
        let life = store.award_life(id, jiff::civil::date(2026, 8, 1)).await.expect("read").expect("awarded");
        assert_eq!((life.status, life.firm_on, life.appeals.len()), (ActStatus::Appealed, None, 2));
        // The window closed, but the timely appeal holds the act.
        let held = store.disburse(&p.payer, id, jiff::civil::date(2026, 8, 1)).await;
        assert!(matches!(&held, Err(StoreError::Invalid(_)) | Err(StoreError::Conflict(_))), "{held:?}");
        let decision = NewDecision {
            outcome: AppealOutcome::Confirms,
            reasons: "El aporte corresponde a la evaluación.".into(),
            decided_on: jiff::civil::date(2026, 7, 31),
        };
        let refused = store.decide_appeal(&p.officer, timely.id, decision.clone()).await;
        assert!(matches!(&refused, Err(StoreError::Forbidden(_))), "{refused:?}");
        let decided = store.decide_appeal(&p.director, timely.id, decision.clone()).await.expect("decided");
        assert_eq!(decided.decision_number.as_deref(), Some("RR-2026-0001"));
        let twice = store.decide_appeal(&p.director, timely.id, decision).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "acts-error-already_decided"), "{twice:?}");
        let life = store.award_life(id, jiff::civil::date(2026, 8, 1)).await.expect("read").expect("awarded");
        assert_eq!((life.status, life.firm_on), (ActStatus::Firm, Some(jiff::civil::date(2026, 8, 1))));
        // The decision is an act of its own, signed with its PDF and found by its code.
        let signed = store
            .sign_act(&p.director, vereda_domain::acts::ActKind::AppealDecision, timely.id, |facts| {
                Ok(format!("%PDF decision {} {}", facts.number, facts.code).into_bytes())
            })
            .await
            .expect("signed");
        assert_eq!(signed.number, "RR-2026-0001");
        let public = store.public_act(&signed.code.to_lowercase(), jiff::civil::date(2026, 8, 1)).await.expect("read").expect("found");
        assert_eq!((public.act.sha256.len(), public.status), (64, ActStatus::Firm));
        assert!(store.public_act("ZZZZZZZZZZ", jiff::civil::date(2026, 8, 1)).await.expect("read").is_none());
    }

    async fn a_not_eligible_decision_is_notified_appealed_and_its_appeal_decided_by_a_signed_act(store: &Store) {
        use vereda_domain::acts::{ActKind, ActStatus, AppealOutcome, NotificationKind};
        use vereda_domain::verification::VerificationStatus;
        use vereda_store::acts::{NewAppeal, NewDecision, NewNotification};
        use vereda_store::verification::Decision;
        let p = Procedure::new(store).await;
        let call_id = p.call_id.expect("a call");
        let tumaco = DaneCode::parse("52835").expect("Tumaco");
        let refused = store
            .create_household(&admin(), NewHousehold { call_id: Some(call_id), municipality: tumaco, ..household("NE-1", "301") })
            .await
            .expect("household");
        let today = vereda_store::projects::today_in_colombia();
        let notification = |kind, notified_on, authorised| NewNotification {
            beneficiary_id: 0,
            kind,
            recipient_name: "Rosa Angulo".into(),
            notified_on,
            cited_on: None,
            authorised,
        };
        let undecided = store.record_verification_notification(&p.officer, refused.id, notification(NotificationKind::Personal, today, false)).await;
        assert!(matches!(&undecided, Err(StoreError::Conflict(m)) if m.code() == "acts-error-not_refused" && m.arg("article") == Some(&Arg::Text("Ley 1437 de 2011, art. 67, 74".into()))), "{undecided:?}");
        let appeal = |filed_on| NewAppeal {
            appellant_name: "Rosa Angulo".into(),
            text: "El puntaje del Sisbén está actualizado.".into(),
            filed_on,
            document: Some(("recurso.pdf".into(), "d".repeat(64))),
        };
        let early = store.file_appeal(&p.officer, Contested::NotEligible { household_id: refused.id }, appeal(today)).await;
        assert!(matches!(&early, Err(StoreError::Conflict(m)) if m.code() == "acts-error-not_refused"), "{early:?}");
        store
            .decide_verification(
                &p.officer,
                refused.id,
                Decision { status: VerificationStatus::NotEligible, reasons: "Puntaje del Sisbén fuera del rango".into(), lock_version: 0 },
                jiff::civil::date(2013, 8, 20),
            )
            .await
            .expect("not eligible");
        let life = store.verification_life(refused.id, today).await.expect("read").expect("a refusal");
        assert_eq!((life.decided_on, life.status, life.notification.is_none(), life.firm_on), (today, ActStatus::InForce, true, None));
        let yesterday = today.yesterday().expect("yesterday");
        let before = store.record_verification_notification(&p.officer, refused.id, notification(NotificationKind::Personal, yesterday, false)).await;
        assert!(matches!(&before, Err(StoreError::Invalid(m)) if m.code() == "acts-error-notified_before_act"), "{before:?}");
        let electronic = store.record_verification_notification(&p.officer, refused.id, notification(NotificationKind::Electronic, today, false)).await;
        assert!(matches!(&electronic, Err(StoreError::Invalid(m)) if m.code() == "acts-error-electronic_not_authorised"), "{electronic:?}");
        let outsider = store.create_account(&admin(), account("far-ne@vereda.test", Role::TerritorialOfficer)).await.expect("outsider");
        vereda_store::test_support::assign_office_in(store, &admin(), outsider.id, "18").await.expect("office");
        let far = store.record_verification_notification(&outsider.actor(), refused.id, notification(NotificationKind::Personal, today, false)).await;
        assert!(matches!(&far, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-outside_office"), "{far:?}");
        let notified = store.record_verification_notification(&p.officer, refused.id, notification(NotificationKind::Personal, today, false)).await.expect("notified");
        assert_eq!((notified.kind, notified.effective_on), (NotificationKind::Personal, today));
        let twice = store.record_verification_notification(&p.officer, refused.id, notification(NotificationKind::Personal, today, false)).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "acts-error-already_notified"), "{twice:?}");
        let life = store.verification_life(refused.id, today).await.expect("read").expect("a refusal");
        let deadline = life.appeal_deadline.expect("the window runs");
        let expected = vereda_domain::acts::appeal_deadline(today, vereda_domain::calendar::current()).expect("deadline");
        assert_eq!(deadline, expected, "10 business days (Art. 76)");
        assert!(life.firm_on.is_some_and(|on| on > deadline));
        // A timely appeal holds firmness; a late one is received and recorded late.
        let timely = store.file_appeal(&p.officer, Contested::NotEligible { household_id: refused.id }, appeal(today)).await.expect("filed");
        assert!(!timely.late);
        let after = deadline.tomorrow().expect("after");
        let late = store.file_appeal(&p.officer, Contested::NotEligible { household_id: refused.id }, appeal(after)).await.expect("received");
        assert!(late.late, "recorded late, not refused");
        let life = store.verification_life(refused.id, after).await.expect("read").expect("a refusal");
        assert_eq!((life.status, life.firm_on, life.appeals.len()), (ActStatus::Appealed, None, 2));
        let decision = NewDecision { outcome: AppealOutcome::Confirms, reasons: "El puntaje consultado supera el corte.".into(), decided_on: after };
        let officer_decides = store.decide_appeal(&p.officer, timely.id, decision.clone()).await;
        assert!(matches!(&officer_decides, Err(StoreError::Forbidden(_))), "{officer_decides:?}");
        let decided = store.decide_appeal(&p.director, timely.id, decision.clone()).await.expect("decided");
        let number = format!("RRV-{}-0001", after.year());
        assert_eq!(decided.decision_number.as_deref(), Some(number.as_str()));
        let again = store.decide_appeal(&p.director, timely.id, decision).await;
        assert!(matches!(&again, Err(StoreError::Conflict(m)) if m.code() == "acts-error-already_decided"), "{again:?}");
        let firm_on = after.tomorrow().expect("the day after");
        let life = store.verification_life(refused.id, firm_on).await.expect("read").expect("a refusal");
        assert_eq!((life.status, life.firm_on), (ActStatus::Firm, Some(firm_on)));
        // The decision is an act of its own, signed with its PDF, found by its code.
        let unsigned_late = store.sign_act(&p.director, ActKind::VerificationAppealDecision, late.id, |_| Ok(b"%PDF".to_vec())).await;
        assert!(matches!(&unsigned_late, Err(StoreError::Conflict(m)) if m.code() == "acts-error-undecided"), "{unsigned_late:?}");
        let signed = store
            .sign_act(&p.director, ActKind::VerificationAppealDecision, timely.id, |facts| {
                Ok(format!("%PDF decision {} {}", facts.number, facts.code).into_bytes())
            })
            .await
            .expect("signed");
        assert_eq!((signed.number.as_str(), signed.kind), (number.as_str(), ActKind::VerificationAppealDecision));
        let public = store.public_act(&signed.code, firm_on).await.expect("read").expect("found");
        assert_eq!((public.status, public.firm_on), (ActStatus::Firm, Some(firm_on)));
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("appeals".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 3, "two filed, one decided");
        // An award's decision cannot sign an appeal against a not-eligible decision.
        let wrong_kind = store.sign_act(&p.director, ActKind::AppealDecision, late.id, |_| Ok(b"%PDF".to_vec())).await;
        assert!(matches!(&wrong_kind, Err(StoreError::NotFound { .. })), "{wrong_kind:?}");
    }

    async fn a_revoked_not_eligible_decision_reopens_the_verification_and_a_new_decision_has_its_own_life(store: &Store) {
        use vereda_domain::acts::{ActStatus, AppealOutcome, NotificationKind};
        use vereda_domain::verification::VerificationStatus;
        use vereda_store::acts::{NewAppeal, NewDecision, NewNotification};
        use vereda_store::verification::Decision;
        let p = Procedure::new(store).await;
        let call_id = p.call_id.expect("a call");
        let tumaco = DaneCode::parse("52835").expect("Tumaco");
        let household = store
            .create_household(&admin(), NewHousehold { call_id: Some(call_id), municipality: tumaco, ..household("RV-1", "302") })
            .await
            .expect("household");
        let contested = Contested::NotEligible { household_id: household.id };
        let today = vereda_store::projects::today_in_colombia();
        let refuse = |lock_version| Decision { status: VerificationStatus::NotEligible, reasons: "Puntaje del Sisbén fuera del rango".into(), lock_version };
        store.decide_verification(&p.officer, household.id, refuse(0), jiff::civil::date(2013, 8, 20)).await.expect("not eligible");
        let notification = NewNotification {
            beneficiary_id: 0,
            kind: NotificationKind::Personal,
            recipient_name: "Rosa Angulo".into(),
            notified_on: today,
            cited_on: None,
            authorised: false,
        };
        store.record_verification_notification(&p.officer, household.id, notification.clone()).await.expect("notified");
        let appeal = NewAppeal { appellant_name: "Rosa Angulo".into(), text: "El puntaje está actualizado.".into(), filed_on: today, document: None };
        let filed = store.file_appeal(&p.officer, contested, appeal.clone()).await.expect("filed");
        assert_eq!(filed.contested, contested);
        let revoked = store
            .decide_appeal(&p.director, filed.id, NewDecision { outcome: AppealOutcome::Revokes, reasons: "El puntaje actualizado está en el rango.".into(), decided_on: today })
            .await
            .expect("decided");
        assert_eq!(revoked.decision_number, Some(format!("RRV-{}-0001", today.year())), "its own sequence, not the awards'");
        // The refusal no longer stands: the household is pending again, in the same transaction.
        let state = store.household_verification(household.id, today).await.expect("read").expect("household");
        assert_eq!(state.status, VerificationStatus::Pending);
        // And the lists find it among the pending, by the status the household keeps.
        let pending = vereda_store::lists::HouseholdList {
            status: Some(VerificationStatus::Pending),
            paging: vereda_store::lists::Paging { search: "rv-1".into(), ..Default::default() },
            ..vereda_store::lists::HouseholdList::of_call(call_id, Reach::National)
        };
        assert_eq!(store.household_list(&pending).await.expect("page").rows.iter().map(|h| h.id).collect::<Vec<_>>(), [household.id]);
        assert!(store.verification_life(household.id, today).await.expect("read").is_none(), "no refusal in force");
        assert!(store.appeals(contested).await.expect("read").is_empty());
        assert_eq!(store.appeal(filed.id).await.expect("read").and_then(|a| a.outcome), Some(AppealOutcome::Revokes), "the decided appeal is kept");
        // Decided again "not eligible", the new decision is notified and appealed on its own.
        store.decide_verification(&p.officer, household.id, refuse(state.lock_version), jiff::civil::date(2013, 8, 20)).await.expect("not eligible again");
        let life = store.verification_life(household.id, today).await.expect("read").expect("a new refusal");
        assert_eq!((life.notification.is_none(), life.appeals.len(), life.status), (true, 0, ActStatus::InForce));
        store.record_verification_notification(&p.officer, household.id, notification).await.expect("the new decision is notified");
        let confirmed = store.file_appeal(&p.officer, contested, appeal).await.expect("filed again");
        let decided = store
            .decide_appeal(&p.director, confirmed.id, NewDecision { outcome: AppealOutcome::Confirms, reasons: "El puntaje supera el corte.".into(), decided_on: today })
            .await
            .expect("confirmed");
        assert_eq!(decided.decision_number, Some(format!("RRV-{}-0002", today.year())));
        let state = store.household_verification(household.id, today).await.expect("read").expect("household");
        assert_eq!(state.status, VerificationStatus::NotEligible, "a confirmation leaves the refusal standing");
        // A revoked not-eligible decision holds back no award's payment in the inbox (its appeal
        // names no award).
        let id = p.viable_and_signed("RV-AW").await;
        let (awarded, _) = store.award(&p.director, id, award("CAQ")).await.expect("award");
        store
            .sign_act(&p.director, vereda_domain::acts::ActKind::Award, awarded.id, |_| Ok(b"%PDF".to_vec()))
            .await
            .expect("signed");
        let inbox = store.inbox(&p.officer, today, 3).await.expect("inbox");
        assert!(
            inbox.items.iter().any(|i| i.kind == vereda_domain::inbox::ItemKind::DisbursementPending && i.label == awarded.number),
            "{:?}",
            inbox.items
        );
    }

    async fn an_act_is_signed_once_with_its_pdf_and_not_when_typesetting_fails(store: &Store) {
        use vereda_domain::acts::{ActKind, ActStatus};
        let p = Procedure::new(store).await;
        let id = p.viable_and_signed("CAC-S").await;
        let (awarded, _) = store.award(&p.director, id, award("CAQ")).await.expect("award");
        let failed = store
            .sign_act(&p.director, ActKind::Award, awarded.id, |_| Err(Message::new("acts-error-typeset").with("problem", "línea 3")))
            .await;
        assert!(matches!(&failed, Err(StoreError::Invalid(m)) if m.code() == "acts-error-typeset"), "{failed:?}");
        assert_eq!(store.signed_act(ActKind::Award, awarded.id).await.expect("read"), None, "nothing signed");
        let officer = store.sign_act(&p.officer, ActKind::Award, awarded.id, |_| Ok(b"%PDF".to_vec())).await;
        assert!(matches!(&officer, Err(StoreError::Forbidden(_))), "{officer:?}");
        let bytes = b"%PDF-1.7 la resolucion".to_vec();
        let signed = store
            .sign_act(&p.director, ActKind::Award, awarded.id, |facts| {
                assert_eq!((facts.number.as_str(), facts.code.len()), (awarded.number.as_str(), 10));
                Ok(bytes.clone())
            })
            .await
            .expect("signed");
        let expected: String = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
        };
        assert_eq!(signed.sha256, expected);
        assert_eq!(store.signed_pdf(ActKind::Award, awarded.id).await.expect("read"), Some(bytes.clone()), "byte-identical");
        let twice = store.sign_act(&p.director, ActKind::Award, awarded.id, |_| Ok(b"%PDF".to_vec())).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "acts-error-already_signed"), "{twice:?}");
        let by_hash = store
            .public_act_by_hash(&signed.sha256, jiff::civil::date(2013, 10, 16))
            .await
            .expect("read")
            .expect("found by its hash");
        assert_eq!((by_hash.act.code, by_hash.status), (signed.code, ActStatus::InForce));
        assert!(store.public_act_by_hash(&"0".repeat(64), jiff::civil::date(2013, 10, 16)).await.expect("read").is_none());
    }

    async fn a_visit_leaves_commitments_that_a_later_visit_closes(store: &Store) {
        use vereda_domain::followup::{AlertKind, CommitmentDraft, Delivery, Finding, VisitDraft};
        use vereda_store::followup::{NewVisit, NewVisitPhoto};
        let (p, code) = paid_project(store, "VIS-A").await;
        let first = VisitDraft {
            visited_on: jiff::civil::date(2013, 12, 10),
            team: vec!["Ingeniera agrónoma del equipo de vigilancia".into()],
            findings: vec![Finding {
                line: 5,
                delivery: Delivery::Partial,
                planned_quantity: Some(dec!(10)),
                delivered_quantity: Some(dec!(4)),
                note: "Kits en bodega".into(),
            }],
            environmental: "Sin tala en la ronda del río".into(),
            legal: String::new(),
            rating: 3,
            commitments: vec![CommitmentDraft {
                description: "Entregar los seis kits restantes".into(),
                due_on: jiff::civil::date(2014, 1, 10),
            }],
        };
        let alone = NewVisit { draft: VisitDraft { team: vec![" ".into()], ..first.clone() }, closes: vec![] };
        let refused = store.record_visit(&p.officer, &code, &alone, today()).await;
        assert!(matches!(&refused, Err(StoreError::Invalid(m)) if m.code() == "followup-error-team_required" && m.arg("article") == Some(&Arg::Text("Art. 35".into()))), "{refused:?}");
        let visit = store.record_visit(&p.officer, &code, &NewVisit { draft: first.clone(), closes: vec![] }, today()).await.expect("visit");
        let photo = |latitude: Decimal| NewVisitPhoto {
            file_name: "kits.jpg".into(),
            content_type: "image/jpeg".into(),
            size_bytes: 10,
            sha256: "b".repeat(64),
            latitude,
            longitude: dec!(-75.61),
        };
        let nowhere = store.add_visit_photo(&p.officer, &code, visit, photo(dec!(91))).await;
        assert!(matches!(&nowhere, Err(StoreError::Invalid(m)) if m.code() == "followup-error-coordinates"), "{nowhere:?}");
        let kept = store.add_visit_photo(&p.officer, &code, visit, photo(dec!(1.61))).await.expect("photo");
        assert_eq!(store.visit_photo(&code, kept.id).await.expect("read").map(|p| p.latitude), Some(dec!(1.61)));
        let progress = store.progress(&code, today()).await.expect("progress");
        let kinds: Vec<AlertKind> = progress.alerts.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [AlertKind::NoMovement, AlertKind::CommitmentOverdue], "no movement since the payment, the kits late");
        assert!(progress.physical > Decimal::ZERO && progress.financial == Decimal::ZERO);
        assert_eq!(progress.management, dec!(0));
        let open = store.visits(&code).await.expect("visits").commitments;
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].closed_by_visit, None);
        let later = |closes: Vec<i32>| NewVisit {
            draft: VisitDraft {
                visited_on: jiff::civil::date(2014, 1, 12),
                findings: vec![Finding { line: 5, delivery: Delivery::Delivered, planned_quantity: None, delivered_quantity: None, note: String::new() }],
                commitments: vec![],
                rating: 5,
                ..first.clone()
            },
            closes,
        };
        let unknown = store.record_visit(&p.officer, &code, &later(vec![open[0].id + 100]), today()).await;
        assert!(matches!(&unknown, Err(StoreError::Invalid(m)) if m.code() == "followup-error-not_open"), "{unknown:?}");
        let second = store.record_visit(&p.officer, &code, &later(vec![open[0].id]), today()).await.expect("second visit");
        let visits = store.visits(&code).await.expect("visits");
        assert_eq!(visits.visits.len(), 2);
        assert_eq!(visits.visits[0].photos.len(), 1);
        assert_eq!(visits.commitments[0].closed_by_visit, Some(second));
        assert_eq!(visits.commitments[0].closed_on, Some(jiff::civil::date(2014, 1, 12)));
        let again = store.record_visit(&p.officer, &code, &later(vec![open[0].id]), today()).await;
        assert!(matches!(&again, Err(StoreError::Invalid(m)) if m.code() == "followup-error-not_open"), "{again:?}");
        let progress = store.progress(&code, today()).await.expect("progress");
        assert_eq!(progress.management, dec!(100));
        assert!(!progress.alerts.iter().any(|a| a.kind == AlertKind::CommitmentOverdue));
        let outsider = store.create_account(&admin(), account("far@vereda.test", Role::TerritorialOfficer)).await.expect("outsider");
        vereda_store::test_support::assign_office_in(store, &admin(), outsider.id, "18").await.expect("office");
        let far = store.record_visit(&outsider.actor(), &code, &later(vec![]), today()).await;
        assert!(matches!(&far, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-outside_office"), "{far:?}");
        let audited = store
            .audit_entries(&AuditQuery { entity: Some("supervision_visits".into()), ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audited.len(), 2);
    }

    async fn stored_expenditures_are_the_payments_by_day_through_refusals_and_the_closure(store: &Store) {
        use vereda_domain::followup::ClosureReason;
        use vereda_store::followup::NewClosure;
        let (p, code) = paid_project(store, "GAS-A").await;
        let (name, document) = representative(store).await;
        assert_eq!(expenditures_agree(store, &code).await, (Vec::new(), dec!(0)), "nothing spent yet");
        let on = |day: jiff::civil::Date, draft: MovementDraft| MovementDraft { date: day, ..draft };
        let batch = [
            movement(&name, &document, inflow(MovementKind::Disbursement, dec!(120000000), "")),
            movement(&name, &document, payment(5, dec!(10000000), "FV-1")),
            movement(&name, &document, payment(1, dec!(2000000), "FV-2")),
            movement(&name, &document, on(jiff::civil::date(2013, 12, 2), payment(1, dec!(1000000), "FV-3"))),
        ];
        store.record_movements(&p.officer, &code, &batch, today()).await.expect("stored");
        let (days, total) = expenditures_agree(store, &code).await;
        assert_eq!(
            days,
            [(jiff::civil::date(2013, 11, 20), dec!(12000000)), (jiff::civil::date(2013, 12, 2), dec!(1000000))]
        );
        assert_eq!(total, dec!(13000000));
        // A payment dated before the days stored: the later days' running totals include it.
        let earlier = movement(&name, &document, on(jiff::civil::date(2013, 11, 10), payment(1, dec!(500000), "FV-4")));
        store.record_movement(&p.officer, &code, &earlier, today()).await.expect("earlier day");
        let (days, total) = expenditures_agree(store, &code).await;
        assert_eq!((days.len(), total), (3, dec!(13500000)));
        // A refused batch (its second payment overruns the kits' line) changes nothing.
        let refused = [
            movement(&name, &document, on(jiff::civil::date(2013, 11, 8), payment(1, dec!(1000), "FV-5"))),
            movement(&name, &document, payment(5, dec!(3000001), "FV-6")),
        ];
        let over = store.record_movements(&p.officer, &code, &refused, today()).await;
        assert!(matches!(&over, Err(StoreError::Invalid(m)) if m.code() == "ledger-error-over_plan"), "{over:?}");
        assert_eq!(expenditures_agree(store, &code).await, (days.clone(), total), "nothing of a refusal");
        // The closure returns the balance: a reimbursement, not an expenditure.
        let row = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(store.backend(), "SELECT period_end FROM projects WHERE code = 'GAS-A'".to_owned()))
            .await
            .expect("project")
            .expect("a project");
        let end: jiff::civil::Date = row.try_get::<String>("", "period_end").expect("end").parse().expect("date");
        let balance = store.ledger(&code).await.expect("ledger").execution.balance;
        let closure = NewClosure {
            closed_on: end,
            reason: ClosureReason::PeriodEnded,
            refund_value: balance,
            refund_on: Some(end),
            refund_reference: "CONS-7".into(),
            observations: "Cierre".into(),
            representative_name: name.clone(),
            representative_document: document.clone(),
        };
        store.close_project(&p.director, &code, &closure, end).await.expect("closed");
        assert_eq!(expenditures_agree(store, &code).await, (days, total), "the closure spends nothing");
    }

    async fn after_the_act_of_closure_nothing_of_the_project_changes(store: &Store) {
        use vereda_domain::followup::{ClosureReason, VisitDraft};
        use vereda_store::followup::{NewClosure, NewVisit};
        let (p, code) = paid_project(store, "CIE-A").await;
        let (name, document) = representative(store).await;
        store.record_movement(&p.officer, &code, &movement(&name, &document, inflow(MovementKind::Disbursement, dec!(120000000), "")), today()).await.expect("in");
        store.record_movement(&p.officer, &code, &movement(&name, &document, payment(5, dec!(10000000), "FV-1")), today()).await.expect("out");
        let row = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(store.backend(), "SELECT period_end FROM projects WHERE code = 'CIE-A'".to_owned()))
            .await
            .expect("project")
            .expect("a project");
        let end: jiff::civil::Date = row.try_get::<String>("", "period_end").expect("end").parse().expect("date");
        let closure = |closed_on, refund_value, reference: &str| NewClosure {
            closed_on,
            reason: ClosureReason::PeriodEnded,
            refund_value,
            refund_on: Some(closed_on),
            refund_reference: reference.into(),
            observations: "Cierre por vencimiento del plazo".into(),
            representative_name: name.clone(),
            representative_document: document.clone(),
        };
        let officer = store.close_project(&p.officer, &code, &closure(end, dec!(110000000), "CONS-1"), end).await;
        assert!(matches!(&officer, Err(StoreError::Forbidden(m)) if m.code() == "scope-error-not_permitted"), "the director's act: {officer:?}");
        let early_day = jiff::civil::date(2014, 1, 15);
        let early = store.close_project(&p.director, &code, &closure(early_day, dec!(110000000), "CONS-1"), end).await;
        assert!(matches!(&early, Err(StoreError::Invalid(m)) if m.code() == "closure-error-reason" && m.arg("article") == Some(&Arg::Text("Art. 34".into()))), "{early:?}");
        let unrefunded = store.close_project(&p.director, &code, &closure(end, dec!(0), ""), end).await;
        assert!(matches!(&unrefunded, Err(StoreError::Invalid(m)) if m.code() == "closure-error-refund" && m.arg("to_refund") == Some(&Arg::Amount(dec!(110000000)))), "{unrefunded:?}");
        let no_evidence = store.close_project(&p.director, &code, &closure(end, dec!(110000000), " "), end).await;
        assert!(matches!(&no_evidence, Err(StoreError::Invalid(m)) if m.code() == "closure-error-refund_evidence"), "{no_evidence:?}");
        store.close_project(&p.director, &code, &closure(end, dec!(110000000), "CONS-991"), end).await.expect("closed");
        let act = store.closure(&code).await.expect("read").expect("an act");
        assert_eq!((act.figures.disbursed, act.figures.executed, act.figures.to_refund), (dec!(117900000), dec!(10000000), dec!(110000000)), "the payment of the award, the payments and the balance");
        assert_eq!(act.refund_reference, "CONS-991");
        assert_eq!(act.signed_by.as_deref(), Some("director@vereda.test"));
        let kits = act.lines.iter().find(|l| l.number == 5).expect("kits");
        assert_eq!((kits.planned, kits.executed, kits.delivery), (dec!(13000000), dec!(10000000), None));
        let ledger = store.ledger(&code).await.expect("ledger");
        assert_eq!(ledger.execution.balance, dec!(0), "the balance went back to the institute");
        assert_eq!(ledger.movements.last().map(|m| m.kind), Some(MovementKind::Reimbursement));
        let closed = |result: Result<i32, StoreError>| matches!(&result, Err(StoreError::Conflict(m)) if m.code() == "closure-error-closed" && m.arg("article") == Some(&Arg::Text("Art. 34".into())));
        let after = jiff::civil::date(2014, 2, 1).max(end);
        assert!(closed(store.record_movement(&p.officer, &code, &movement(&name, &document, payment(1, dec!(1000), "FV-2")), after).await));
        assert!(closed(store.request_plan_change(&p.officer, &code, 1, BTreeMap::from([(1, dec!(101000000)), (5, dec!(14000000))]), "Tarde").await));
        let visit = NewVisit {
            draft: VisitDraft {
                visited_on: end,
                team: vec!["Equipo".into()],
                findings: vec![],
                environmental: String::new(),
                legal: String::new(),
                rating: 3,
                commitments: vec![],
            },
            closes: vec![],
        };
        assert!(closed(store.record_visit(&p.officer, &code, &visit, after).await));
        let line = NewStatementLine { line: 2, date: end, description: "x".into(), reference: "r".into(), debit: dec!(1), credit: dec!(0), balance: None };
        assert!(closed(store.import_statement(&p.officer, &code, "e.csv", &"c".repeat(64), &[line]).await));
        assert!(closed(store.close_project(&p.director, &code, &closure(end, dec!(0), ""), end).await));
        let progress = store.progress(&code, after).await.expect("progress");
        assert!(progress.closed && progress.alerts.is_empty());
        assert_eq!(count_rows(store, "project_closures").await, 1);
    }

    async fn the_accompaniment_plan_follows_the_formulations_topics(store: &Store) {
        use vereda_store::followup::NewDelivery;
        let (p, code) = paid_project(store, "ACO-A").await;
        let plan = store.accompaniment(&code).await.expect("plan");
        assert_eq!(plan.topics.len(), 4);
        let other = store.schedule_activity(&p.officer, &code, "Contabilidad", jiff::civil::date(2013, 12, 1)).await;
        assert!(matches!(&other, Err(StoreError::Invalid(m)) if m.code() == "followup-error-topic" && m.arg("article") == Some(&Arg::Text("Art. 18.5".into()))), "{other:?}");
        let id = store.schedule_activity(&p.officer, &code, "Fermentación y secado", jiff::civil::date(2013, 12, 1)).await.expect("scheduled");
        store.schedule_activity(&p.officer, &code, "Injertación y podas", jiff::civil::date(2014, 2, 1)).await.expect("scheduled");
        let delivery = |women: u32, evidence: Option<&str>| NewDelivery {
            delivered_on: jiff::civil::date(2013, 12, 2),
            families: 9,
            women,
            men: 4,
            evidence_sha256: evidence.map(str::to_owned),
            evidence_name: evidence.map(|_| "asistencia.pdf".to_owned()),
        };
        let miscounted = store.deliver_activity(&p.officer, &code, id, &delivery(4, Some("d")), today()).await;
        assert!(matches!(&miscounted, Err(StoreError::Invalid(m)) if m.code() == "followup-error-attendance"), "{miscounted:?}");
        let bare = store.deliver_activity(&p.officer, &code, id, &delivery(5, None), today()).await;
        assert!(matches!(&bare, Err(StoreError::Invalid(m)) if m.code() == "followup-error-evidence_required"), "{bare:?}");
        store.deliver_activity(&p.officer, &code, id, &delivery(5, Some("d")), today()).await.expect("delivered");
        let twice = store.deliver_activity(&p.officer, &code, id, &delivery(5, Some("d")), today()).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(m)) if m.code() == "followup-error-delivered"), "{twice:?}");
        let plan = store.accompaniment(&code).await.expect("plan");
        let done = plan.activities.iter().find(|a| a.id == id).expect("activity");
        assert_eq!((done.families, done.women, done.men), (Some(9), Some(5), Some(4)));
        assert_eq!(store.progress(&code, today()).await.expect("progress").management, dec!(50.0));
    }

    async fn the_inbox_holds_each_roles_work_within_its_office_and_a_done_item_leaves_it(store: &Store) {
        use vereda_domain::followup::{AlertKind, CommitmentDraft, Delivery, Finding, VisitDraft};
        use vereda_domain::inbox::{ItemKind, Urgency};
        use vereda_domain::petition::PetitionKind;
        use vereda_store::followup::NewVisit;
        use vereda_store::inbox::{InboxItem, ItemSubject};
        use vereda_store::petitions::NewPetition;
        let (p, code) = paid_project(store, "INB-A").await;
        let commitment_alerts = |items: &[InboxItem]| {
            items
                .iter()
                .filter(|i| i.kind == ItemKind::FollowupAlert && i.alert.as_ref().is_some_and(|a| a.kind == AlertKind::CommitmentOverdue))
                .cloned()
                .collect::<Vec<_>>()
        };
        let before = store.inbox(&p.officer, today(), 3).await.expect("inbox");
        assert!(commitment_alerts(&before.items).is_empty());
        // A visit leaves a commitment due on 10 January 2014: past due on the 15th.
        let draft = VisitDraft {
            visited_on: jiff::civil::date(2013, 12, 10),
            team: vec!["Ingeniera agrónoma del equipo de vigilancia".into()],
            findings: vec![Finding { line: 5, delivery: Delivery::Partial, planned_quantity: Some(dec!(10)), delivered_quantity: Some(dec!(4)), note: String::new() }],
            environmental: String::new(),
            legal: String::new(),
            rating: 3,
            commitments: vec![CommitmentDraft { description: "Entregar los kits".into(), due_on: jiff::civil::date(2014, 1, 10) }],
        };
        store.record_visit(&p.officer, &code, &NewVisit { draft: draft.clone(), closes: vec![] }, today()).await.expect("visit");
        // A petition in Pasto (Nariño, the office's department) and one in Florencia (Caquetá).
        let petition = |municipality: &str| NewPetition {
            kind: Some(PetitionKind::General),
            petitioner_name: "Luz Dary Cuéllar".into(),
            petitioner_document: "40.123.456".into(),
            email: "luz@correo.invalid".into(),
            postal_address: String::new(),
            subject: "Estado de mi solicitud".into(),
            text: "Pido información.".into(),
            municipality: DaneCode::parse(municipality).ok(),
            attachment: None,
        };
        let at = "2014-01-03T17:00:00Z".parse::<jiff::Timestamp>().expect("instant");
        let pasto = store.file_petition(&Actor::system("peticiones"), &petition("52001"), at).await.expect("filed");
        let florencia = store.file_petition(&Actor::system("peticiones"), &petition("18001"), at).await.expect("filed");

        let inbox = store.inbox(&p.officer, today(), 3).await.expect("inbox");
        let overdue = commitment_alerts(&inbox.items);
        assert_eq!(overdue.len(), 1, "{:?}", inbox.items);
        assert_eq!(overdue[0].subject, ItemSubject::Project(code.clone()));
        assert_eq!(overdue[0].urgency, Urgency::Overdue);
        assert_eq!(overdue[0].deadline.map(|d| d.due_on), Some(jiff::civil::date(2014, 1, 10)));
        assert!(overdue[0].deadline.is_some_and(|d| d.business_days_left < 0));
        let petitions: Vec<&InboxItem> = inbox.items.iter().filter(|i| i.kind == ItemKind::PetitionToAnswer).collect();
        assert_eq!(petitions.len(), 1, "only the office's department's petition");
        assert_eq!(petitions[0].subject, ItemSubject::Petition(pasto.id));
        assert_eq!(petitions[0].deadline.map(|d| d.due_on), Some(pasto.deadline));
        assert!(!inbox.items.iter().any(|i| i.subject == ItemSubject::Petition(florencia.id)));
        // Most pressing first; counts by kind; the officer signs no award.
        assert_eq!(inbox.items[0].urgency, Urgency::Overdue);
        assert!(inbox.items.windows(2).all(|w| w[0].urgency <= w[1].urgency));
        assert_eq!(inbox.counts.iter().map(|(_, n)| n).sum::<usize>(), inbox.items.len());
        assert!(inbox.overdue >= 1);
        assert!(!inbox.items.iter().any(|i| i.kind == ItemKind::AwardToSign));
        // The director signs the award not yet signed as an act (Art. 27).
        let director = store.inbox(&p.director, today(), 3).await.expect("inbox");
        assert!(director.items.iter().any(|i| i.kind == ItemKind::AwardToSign), "{:?}", director.items);
        // An officer of another office sees none of it.
        let outsider = store.create_account(&admin(), account("inbox-far@vereda.test", Role::TerritorialOfficer)).await.expect("outsider");
        vereda_store::test_support::assign_office_in(store, &admin(), outsider.id, "18").await.expect("office");
        let far = store.inbox(&outsider.actor(), today(), 3).await.expect("inbox");
        assert!(commitment_alerts(&far.items).is_empty());
        assert!(far.items.iter().any(|i| i.subject == ItemSubject::Petition(florencia.id)));
        assert!(!far.items.iter().any(|i| i.subject == ItemSubject::Petition(pasto.id)));
        // The office's alerts are read from the stored figures and agree with the records.
        let stored = store.office_progress(&p.officer, today()).await.expect("office progress");
        let project = stored.iter().find(|s| s.code == code).expect("the project");
        let computed = store.progress(&code, today()).await.expect("progress");
        assert_eq!(project.alerts, computed.alerts);
        assert_eq!((project.physical, project.financial, project.management), (computed.physical, computed.financial, computed.management));
        assert!(store.office_progress(&outsider.actor(), today()).await.expect("far").iter().all(|s| s.code != code));

        // The day's letters: once per account and day, each alert once to its office.
        let letters_of = |kind: &'static str| async move {
            store.connection()
                .query_one_raw(sea_orm::Statement::from_string(store.backend(), format!("SELECT COUNT(*) AS n FROM letters WHERE kind = '{kind}'")))
                .await
                .expect("count")
                .expect("a row")
                .try_get::<i64>("", "n")
                .expect("n")
        };
        let first = store.write_digests(&admin(), today(), 3).await.expect("digests");
        assert!(first.digests >= 2, "the officer and the director have items past due: {first:?}");
        assert!(first.alerts >= 1 && first.alert_letters >= first.alerts, "{first:?}");
        let digests = letters_of("inbox_digest").await;
        let alerts = letters_of("followup_alert").await;
        let second = store.write_digests(&admin(), today(), 3).await.expect("digests again");
        assert_eq!((second.digests, second.alerts, second.alert_letters), (0, 0, 0), "{second:?}");
        assert_eq!(second.already, first.digests);
        assert_eq!((letters_of("inbox_digest").await, letters_of("followup_alert").await), (digests, alerts));
        // Two writers on the next day: still one digest per account.
        let next = jiff::civil::date(2014, 1, 16);
        let system = admin();
        let (a, b) = tokio::join!(store.write_digests(&system, next, 3), store.write_digests(&system, next, 3));
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_eq!(a.digests + b.digests, first.digests, "{a:?} {b:?}");
        let on_next = store.digests_on(next).await.expect("digests");
        assert_eq!(on_next.len(), first.digests);

        // Done: a later visit closes the commitment, and the item leaves the inbox.
        let open = store.visits(&code).await.expect("visits").commitments;
        let later = NewVisit {
            draft: VisitDraft {
                visited_on: jiff::civil::date(2014, 1, 14),
                findings: vec![Finding { line: 5, delivery: Delivery::Delivered, planned_quantity: None, delivered_quantity: None, note: String::new() }],
                commitments: vec![],
                ..draft
            },
            closes: vec![open[0].id],
        };
        store.record_visit(&p.officer, &code, &later, today()).await.expect("second visit");
        let after = store.inbox(&p.officer, today(), 3).await.expect("inbox");
        assert!(commitment_alerts(&after.items).is_empty(), "{:?}", after.items);
    }


    async fn postgresql_keeps_statistics_of_a_result_s_reasons_as_the_list_filters_them(store: &Store) {
        // A reason's filter is planned from them (migration 42); SQLite has none to keep.
        if store.backend_name() != "PostgreSQL" {
            return;
        }
        let kept = count_rows(store, "pg_statistic_ext WHERE stxname = 'st_screening_results_reasons'").await;
        let expressions_kept = count_rows(store, "pg_settings WHERE name = 'server_version_num' AND setting::int >= 140000").await;
        assert_eq!(kept, expressions_kept, "PostgreSQL 14 and later keep them");
    }

    async fn a_call_s_households_are_searched_filtered_sorted_and_paged_in_the_query(store: &Store) {
        use vereda_store::lists::{HouseholdList, LetterList, Paging};
        use vereda_domain::verification::VerificationStatus;
        let call = screening_call(store).await;
        let pasto = DaneCode::parse("52001").expect("Pasto");
        for (id, first, last, place) in [
            ("H-1", "Ana", "Pérez", None),
            ("H-2", "José", "Peña Muñoz", Some(pasto)),
            ("H-3", "Zoila", "Álvarez", None),
            ("H-4", "Beatriz", "Nariño", Some(pasto)),
            ("H-5", "Carlos", "Ortiz", None),
        ] {
            let mut new = household(id, &format!("10{}", &id[2..]));
            new.call_id = Some(call);
            new.members[0].first_name = first.into();
            new.members[0].last_name = last.into();
            if let Some(place) = place {
                new.municipality = place;
                new.parcels.clear();
            }
            store.create_household(&admin(), new).await.expect("household");
        }
        let ids: Vec<i32> = store.households(Some(call)).await.expect("households").iter().map(|h| h.id).collect();
        // H-1 eligible, H-3 not eligible, H-5 a pending row; the others have no decision:
        // pending too.
        for (id, status) in [(ids[0], "eligible"), (ids[2], "not_eligible"), (ids[4], "pending")] {
            store
                .connection()
                .execute_unprepared(&format!(
                    "INSERT INTO household_verifications (household_id, status, reason_codes, lock_version, call_id) VALUES ({id}, '{status}', '', 1, {call})"
                ))
                .await
                .expect("a decision");
            // As the store keeps it with a decision.
            store
                .connection()
                .execute_unprepared(&format!("UPDATE households SET verification_status = '{status}' WHERE id = {id}"))
                .await
                .expect("its status");
        }
        let list = |paging: Paging| HouseholdList { paging, ..HouseholdList::of_call(call, Reach::National) };
        let externals = |rows: &[vereda_store::households::HouseholdSummary]| -> Vec<String> {
            rows.iter().map(|h| h.external_id.clone()).collect()
        };

        // Accents and case aside, every word must appear.
        for (words, found) in [("pena", vec!["H-2"]), ("PEÑA munoz", vec!["H-2"]), ("narino", vec!["H-4"]), ("alvarez", vec!["H-3"]), ("pena ortiz", vec![])] {
            let page = store
                .household_list(&list(Paging { search: words.into(), ..Paging::default() }))
                .await
                .expect("a page");
            assert_eq!(externals(&page.rows), found, "{words}");
            assert_eq!(page.total, found.len() as u64, "{words}");
        }

        // Filters: municipality, status (pending is "no decision", derived in the query).
        let mut by_place = list(Paging::default());
        by_place.municipality = Some("52001".into());
        assert_eq!(externals(&store.household_list(&by_place).await.expect("page").rows), ["H-2", "H-4"]);
        for (status, expected) in [
            (VerificationStatus::Eligible, vec!["H-1"]),
            (VerificationStatus::NotEligible, vec!["H-3"]),
            (VerificationStatus::Pending, vec!["H-2", "H-4", "H-5"]),
            (VerificationStatus::Withdrawn, vec![]),
        ] {
            let mut by_status = list(Paging::default());
            by_status.status = Some(status);
            let page = store.verification_list(&by_status, jiff::civil::date(2026, 1, 1)).await.expect("page");
            let shown: Vec<String> = page.rows.iter().map(|v| v.household.external_id.clone()).collect();
            assert_eq!(shown, expected, "{status}");
            assert_eq!(page.total, expected.len() as u64, "{status}");
            assert!(page.rows.iter().all(|v| v.status == status), "{status}");
        }
        // A status within a municipality is counted over the municipality's households.
        let mut pending_in_pasto = list(Paging::default());
        pending_in_pasto.status = Some(VerificationStatus::Pending);
        pending_in_pasto.municipality = Some("52001".into());
        assert_eq!(store.household_count(&pending_in_pasto).await.expect("count"), 2);

        // Sorted by the head's name (folded), both ways; paged by two.
        let by_name = |descending: bool, page: u64| Paging { sort: "nombre".into(), descending, page, per_page: 2, ..Paging::default() };
        let first = store.household_list(&list(by_name(false, 1))).await.expect("page");
        assert_eq!(externals(&first.rows), ["H-1", "H-4"], "Ana, Beatriz");
        assert_eq!(first.total, 5);
        let second = store.household_list(&list(by_name(false, 2))).await.expect("page");
        assert_eq!(externals(&second.rows), ["H-5", "H-2"], "Carlos, José");
        let last = store.household_list(&list(by_name(true, 1))).await.expect("page");
        assert_eq!(externals(&last.rows), ["H-3", "H-2"], "Zoila, José");
        // Heads and parcel counts come with the page.
        assert_eq!(first.rows[0].head_name, "Ana Pérez");
        assert_eq!(first.rows[0].parcels, 1);
        assert_eq!(first.rows[1].parcels, 0);

        // Keyset in the registration order, as downloads read.
        let after = store
            .household_rows(&list(Paging { after: Some(ids[2]), per_page: 10, ..Paging::default() }))
            .await
            .expect("rows");
        assert_eq!(externals(&after), ["H-4", "H-5"]);
        // And in a sorted order, both ways: the rows after a row by the head's name.
        let sorted_after = |descending: bool, anchor: i32| Paging { sort: "nombre".into(), descending, after: Some(anchor), per_page: 10, ..Paging::default() };
        let after = store.household_rows(&list(sorted_after(false, ids[3]))).await.expect("rows");
        assert_eq!(externals(&after), ["H-5", "H-2", "H-3"], "after Beatriz: Carlos, José, Zoila");
        let after = store.household_rows(&list(sorted_after(true, ids[4]))).await.expect("rows");
        assert_eq!(externals(&after), ["H-4", "H-1"], "before Carlos: Beatriz, Ana");
        // A later sorted page comes with its own heads.
        let heads: Vec<&str> = second.rows.iter().map(|h| h.head_name.as_str()).collect();
        assert_eq!(heads, ["Carlos Ortiz", "José Peña Muñoz"]);

        // The reach is in the query: an office in Nariño sees Pasto's households only.
        let within = HouseholdList::of_call(call, Reach::Department("52".into()));
        assert_eq!(externals(&store.household_list(&within).await.expect("page").rows), ["H-2", "H-4"]);
        assert_eq!(store.call_municipalities(call, &Reach::National).await.expect("places"), ["18001", "52001"]);
        assert_eq!(store.call_municipalities(call, &Reach::Department("52".into())).await.expect("places"), ["52001"]);
        assert!(store.call_municipalities(call + 1000, &Reach::National).await.expect("places").is_empty());

        // Letters: none yet, an empty page.
        let letters = store.letter_list(&LetterList::of_call(call, Reach::National)).await.expect("letters");
        assert_eq!(letters.total, 0);
    }

    async fn the_audit_log_is_read_a_page_at_a_time_filtered_searched_and_sorted(store: &Store) {
        use vereda_store::audit::AuthEvent;
        use vereda_store::lists::{AuditList, Paging};
        let beto = Actor::User { id: 7, email: "beto@agencia.gov.co".into() };
        let ana = Actor::User { id: 8, email: "ana@agencia.gov.co".into() };
        let events = [
            (Actor::system("prueba"), AuditAction::LoginFailed, None, "Zoe.Unica@Correo.invalid"),
            (beto.clone(), AuditAction::LoginSucceeded, Some(7), "beto@agencia.gov.co"),
            (ana.clone(), AuditAction::LoginSucceeded, Some(8), "ana@agencia.gov.co"),
            (beto.clone(), AuditAction::Logout, Some(7), "beto@agencia.gov.co"),
            (ana.clone(), AuditAction::PasswordChanged, Some(8), "ana@agencia.gov.co"),
        ];
        for (actor, action, account_id, email) in &events {
            let event = AuthEvent { action: *action, account_id: *account_id, email, address: None };
            store.record_auth_event(actor, &event).await.expect("recorded");
        }
        let users = |paging: Paging| AuditList { entity: Some("users".into()), paging, ..AuditList::default() };
        let actions = |rows: &[vereda_store::audit::AuditEntry]| -> Vec<AuditAction> { rows.iter().map(|e| e.action).collect() };

        // Newest first by default, paged in the query.
        let all = store.audit_list(&users(Paging::default())).await.expect("page");
        assert_eq!(all.total, 5);
        assert_eq!(
            actions(&all.rows),
            [AuditAction::PasswordChanged, AuditAction::Logout, AuditAction::LoginSucceeded, AuditAction::LoginSucceeded, AuditAction::LoginFailed]
        );
        let second = store.audit_list(&users(Paging { page: 2, per_page: 2, ..Paging::default() })).await.expect("page");
        assert_eq!(second.rows.iter().map(|e| e.id).collect::<Vec<_>>(), [all.rows[2].id, all.rows[3].id]);
        assert_eq!(second.total, 5);

        // The search folds accents and case; the stored author, table and id are lowered.
        for words in ["ZOË.ÚNICA", "zoe.unica@correo", "System:Prueba"] {
            let found = store.audit_list(&AuditList { paging: Paging { search: words.into(), ..Paging::default() }, ..AuditList::default() }).await.expect("page");
            assert_eq!(found.total, 1, "{words}");
            assert_eq!(found.rows[0].entity_id, "Zoe.Unica@Correo.invalid", "{words}");
        }

        // Filters: the action, the account, the period.
        let succeeded = store.audit_list(&AuditList { action: Some("login_succeeded".into()), ..AuditList::default() }).await.expect("page");
        assert_eq!(succeeded.rows.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(), ["ana@agencia.gov.co", "beto@agencia.gov.co"]);
        let by_beto = store.audit_list(&AuditList { actor_user_id: Some(7), ..AuditList::default() }).await.expect("page");
        assert_eq!(actions(&by_beto.rows), [AuditAction::Logout, AuditAction::LoginSucceeded]);
        let now = jiff::Timestamp::now();
        let hour = jiff::SignedDuration::from_hours(1);
        let later = AuditList { from: now.checked_add(hour).ok(), ..users(Paging::default()) };
        assert_eq!(store.audit_list(&later).await.expect("page").total, 0);
        let around = AuditList { from: now.checked_sub(hour).ok(), until: now.checked_add(hour).ok(), ..users(Paging::default()) };
        assert_eq!(store.audit_list(&around).await.expect("page").total, 5);

        // Sorted by author both ways, and walked by keyset in that order (downloads).
        let by_author = |descending: bool| Paging { sort: "autor".into(), descending, ..Paging::default() };
        let ascending = store.audit_list(&users(by_author(false))).await.expect("page").rows;
        let authors: Vec<&str> = ascending.iter().map(|e| e.actor.as_str()).collect();
        assert_eq!(authors, ["ana@agencia.gov.co", "ana@agencia.gov.co", "beto@agencia.gov.co", "beto@agencia.gov.co", "system:prueba"]);
        let mut descending = store.audit_list(&users(by_author(true))).await.expect("page").rows;
        descending.reverse();
        assert_eq!(descending.iter().map(|e| e.id).collect::<Vec<_>>(), ascending.iter().map(|e| e.id).collect::<Vec<_>>());
        let mut walk = AuditList { after: Some(ascending[1].id), ..users(Paging { per_page: 2, ..by_author(false) }) };
        let chunk = store.audit_rows(&walk).await.expect("rows");
        assert_eq!(chunk.iter().map(|e| e.id).collect::<Vec<_>>(), [ascending[2].id, ascending[3].id]);
        walk.after = Some(ascending[3].id);
        assert_eq!(store.audit_rows(&walk).await.expect("rows").iter().map(|e| e.id).collect::<Vec<_>>(), [ascending[4].id]);

        assert!(store.audit_entities().await.expect("entities").contains(&"users".to_owned()));

        // An author with accents is found by the words without them, in any case.
        let event = AuthEvent { action: AuditAction::LoginFailed, account_id: None, email: "otra@correo.invalid", address: None };
        store.record_auth_event(&Actor::system("importación"), &event).await.expect("recorded");
        for words in ["IMPORTACION", "importación", "Importacion"] {
            let found = store.audit_list(&AuditList { paging: Paging { search: words.into(), ..Paging::default() }, ..AuditList::default() }).await.expect("page");
            assert_eq!(found.rows.iter().map(|e| e.entity_id.as_str()).collect::<Vec<_>>(), ["otra@correo.invalid"], "{words}");
        }
    }

    async fn a_call_s_documents_are_read_a_page_at_a_time_filtered_searched_and_sorted(store: &Store) {
        use vereda_domain::verification::{DocumentKind, VerificationStatus};
        use vereda_store::lists::{DocumentList, Paging};
        let call_id = screening_call(store).await;
        let pasto = DaneCode::parse("52001").expect("Pasto");
        let mut ids = Vec::new();
        for (external_id, first, last, municipality) in [
            ("D-1", "Ana", "Pérez", None),
            ("D-2", "José", "Peña", None),
            ("D-3", "Luz", "Gómez", Some(pasto)),
        ] {
            let mut new = NewHousehold { call_id: Some(call_id), ..household(external_id, &format!("9{}", ids.len())) };
            new.members[0].first_name = first.into();
            new.members[0].last_name = last.into();
            if let Some(code) = municipality {
                new.municipality = code;
            }
            ids.push(store.create_household(&admin(), new).await.expect("household").id);
        }
        // Another call's household and document are never listed.
        let other_program = store.create_program(&admin(), "P2", "Otro programa", "").await.expect("program");
        let other_call = store
            .create_call(
                &admin(),
                NewCall {
                    program_id: other_program.id,
                    code: "C-2014".into(),
                    name: "Convocatoria 2014".into(),
                    budget_year: 2014,
                    budget_cop: dec!(1000000),
                    smmlv_cop: None,
                    rule_set_id: "incoder-308-2013".into(),
                    line: ProgramLine::General,
                    territorial_office_ids: vec![],
                    arel_max_pct: None,
                    arel_cap_smmlv: None,
                },
            )
            .await
            .expect("call")
            .id;
        let stranger = store
            .create_household(&admin(), NewHousehold { call_id: Some(other_call), ..household("D-9", "999") })
            .await
            .expect("household");
        let notice_day = jiff::civil::date(2026, 3, 2);
        store.record_offer_notice(&admin(), call_id, notice_day, "Aviso").await.expect("notice");
        store.record_offer_notice(&admin(), other_call, notice_day, "Aviso").await.expect("notice");
        // Received on five days of March 2026, in the order written, all recorded on the 10th.
        let mut documents = Vec::new();
        let recorded_on = jiff::civil::date(2026, 3, 10);
        for (n, (household, kind)) in [
            (ids[0], DocumentKind::Identity),
            (ids[0], DocumentKind::Sisben),
            (ids[1], DocumentKind::Identity),
            (ids[2], DocumentKind::Identity),
            (ids[2], DocumentKind::TitleRecord),
            (stranger.id, DocumentKind::Identity),
        ]
        .into_iter()
        .enumerate()
        {
            let day = jiff::civil::date(2026, 3, 3 + i8::try_from(n.min(4)).expect("day"));
            let received = store.receive_household_document(&admin(), household, document(kind, day), recorded_on).await.expect("received");
            documents.push(received.id);
        }
        let after_deadline = jiff::civil::date(2026, 4, 2);
        let list = |paging: Paging| DocumentList { paging, ..DocumentList::of_call(call_id, Reach::National) };
        let read = |rows: &[vereda_store::lists::CallDocument]| -> Vec<i32> { rows.iter().map(|d| d.id).collect() };
        let all = store.document_list(&list(Paging::default()), after_deadline).await.expect("page");
        assert_eq!(all.total, 5, "the call's documents only");
        assert_eq!(read(&all.rows), [documents[4], documents[3], documents[2], documents[1], documents[0]], "newest first");
        let ana = &all.rows[4];
        assert_eq!((ana.external_id.as_str(), ana.head_name.as_str(), ana.kind), ("D-1", "Ana Pérez", DocumentKind::Identity));
        assert_eq!(ana.received_on, jiff::civil::date(2026, 3, 3), "the day brought, not the day recorded");
        assert_eq!(ana.received_by.as_deref(), None, "the administrator of the tests has no account");
        // Where each household stands on its Art. 14 term, as the verification reads it.
        let jose = &all.rows[2];
        assert_eq!(jose.status, VerificationStatus::Pending);
        assert_eq!(jose.missing, [DocumentKind::Sisben, DocumentKind::TitleRecord]);
        assert!(jose.withdrawal_due, "the term is over with documents missing");
        let on_time = store.document_list(&list(Paging::default()), notice_day).await.expect("page");
        assert!(on_time.rows.iter().all(|d| !d.withdrawal_due), "not before the deadline");

        // Paged in the query.
        let second = store.document_list(&list(Paging { page: 2, per_page: 2, ..Paging::default() }), after_deadline).await.expect("page");
        assert_eq!((second.total, read(&second.rows)), (5, vec![documents[2], documents[1]]));
        // Searched without regard to accents and case: the head's name, document, household id.
        for words in ["PEÑA", "pena jose", "d-2"] {
            let found = store.document_list(&list(Paging { search: words.into(), ..Paging::default() }), after_deadline).await.expect("page");
            assert_eq!(read(&found.rows), [documents[2]], "{words}");
        }
        // Filtered by kind, municipality and the days received (Colombian days).
        let identity = DocumentList { kind: Some("identity".into()), ..list(Paging::default()) };
        assert_eq!(store.document_list(&identity, after_deadline).await.expect("page").total, 3);
        let in_pasto = DocumentList { municipality: Some("52001".into()), ..list(Paging::default()) };
        assert_eq!(read(&store.document_list(&in_pasto, after_deadline).await.expect("page").rows), [documents[4], documents[3]]);
        let period = DocumentList { from: Some(jiff::civil::date(2026, 3, 4)), until: Some(jiff::civil::date(2026, 3, 5)), ..list(Paging::default()) };
        assert_eq!(read(&store.document_list(&period, after_deadline).await.expect("page").rows), [documents[2], documents[1]]);
        // Sorted by kind and by household, each then by id; "descending" turns them around.
        let by_kind = store.document_list(&list(Paging { sort: "tipo".into(), ..Paging::default() }), after_deadline).await.expect("page");
        let kinds: Vec<String> = by_kind.rows.iter().map(|d| d.kind.to_string()).collect();
        assert_eq!(kinds, ["identity", "identity", "identity", "sisben", "title_record"]);
        let by_household = store.document_list(&list(Paging { sort: "hogar".into(), descending: true, ..Paging::default() }), after_deadline).await.expect("page");
        assert_eq!(read(&by_household.rows), [documents[4], documents[3], documents[2], documents[1], documents[0]]);
        let oldest = store.document_list(&list(Paging { sort: "fecha".into(), descending: true, ..Paging::default() }), after_deadline).await.expect("page");
        assert_eq!(read(&oldest.rows)[0], documents[0]);
        // Walked by keyset in the sort (downloads).
        let walk = list(Paging { sort: "tipo".into(), per_page: 2, after: Some(by_kind.rows[1].id), ..Paging::default() });
        let next: Vec<String> = store.document_rows(&walk, after_deadline).await.expect("rows").iter().map(|d| d.kind.to_string()).collect();
        assert_eq!(next, ["identity", "sisben"]);
        // Within the reader's reach: Caquetá's office sees its two households, Nariño's the third.
        let caqueta = DocumentList { reach: Reach::Department("18".into()), ..list(Paging::default()) };
        assert_eq!(store.document_list(&caqueta, after_deadline).await.expect("page").total, 3);
        let narino = DocumentList { reach: Reach::Department("52".into()), ..list(Paging::default()) };
        assert_eq!(read(&store.document_list(&narino, after_deadline).await.expect("page").rows), [documents[4], documents[3]]);
        let nowhere = DocumentList { reach: Reach::Nowhere, ..list(Paging::default()) };
        assert_eq!(store.document_list(&nowhere, after_deadline).await.expect("page").total, 0);
    }

    async fn a_household_moved_by_a_new_screening_takes_its_documents_and_keeps_its_status(store: &Store) {
        use vereda_domain::verification::{DocumentKind, VerificationStatus};
        use vereda_store::lists::{DocumentList, HouseholdList, Paging};
        use vereda_store::verification::Decision;
        let call_id = screening_call(store).await;
        let (first, _) = store.submit_screening_run(&admin(), screening_job(call_id, "move-1")).await.expect("submit");
        store.complete_screening_run(&admin(), first.id, completed((1..=2).map(screened).collect()), &|_| {}).await.expect("complete");
        let households = store.households(Some(call_id)).await.expect("households");
        let id_of = |external: &str| households.iter().find(|h| h.external_id == external).expect("screened").id;
        let (moving, decided) = (id_of("H-00001"), id_of("H-00002"));
        let notice_day = jiff::civil::date(2026, 3, 2);
        let within = jiff::civil::date(2026, 3, 10);
        store.record_offer_notice(&admin(), call_id, notice_day, "Aviso").await.expect("notice");
        let received = store.receive_household_document(&admin(), moving, document(DocumentKind::Identity, within), within).await.expect("received");
        store
            .decide_verification(&admin(), decided, Decision { status: VerificationStatus::NotEligible, reasons: "Sin tierra".into(), lock_version: 0 }, within)
            .await
            .expect("not eligible");
        let documents_in = |municipality: &str, reach: Reach| DocumentList {
            municipality: Some(municipality.to_owned()).filter(|m| !m.is_empty()),
            reach,
            ..DocumentList::of_call(call_id, Reach::National)
        };
        let read = |rows: Vec<vereda_store::lists::CallDocument>| -> Vec<i32> { rows.iter().map(|d| d.id).collect() };
        assert_eq!(read(store.document_list(&documents_in("18001", Reach::National), within).await.expect("page").rows), [received.id]);

        // Screened again, H-00001 now in Pasto: its document is Pasto's, for the filter and the reach.
        let (second, _) = store.submit_screening_run(&admin(), screening_job(call_id, "move-2")).await.expect("submit");
        let mut results: Vec<NewScreeningResult> = (1..=2).map(screened).collect();
        results[0].municipality = DaneCode::parse("52001").expect("Pasto");
        store.complete_screening_run(&admin(), second.id, completed(results), &|_| {}).await.expect("complete");
        assert!(store.document_list(&documents_in("18001", Reach::National), within).await.expect("page").rows.is_empty());
        assert_eq!(read(store.document_list(&documents_in("52001", Reach::National), within).await.expect("page").rows), [received.id]);
        assert_eq!(store.document_list(&documents_in("", Reach::Department("52".into())), within).await.expect("page").total, 1);
        assert_eq!(store.document_list(&documents_in("", Reach::Department("18".into())), within).await.expect("page").total, 0);
        // The decided household keeps its status through the new screening.
        let of_status = |status| HouseholdList {
            status: Some(status),
            paging: Paging { search: "h-0000".into(), ..Paging::default() },
            ..HouseholdList::of_call(call_id, Reach::National)
        };
        let ids = |page: vereda_store::lists::Page<vereda_store::households::HouseholdSummary>| -> Vec<i32> { page.rows.iter().map(|h| h.id).collect() };
        assert_eq!(ids(store.household_list(&of_status(VerificationStatus::NotEligible)).await.expect("page")), [decided]);
        assert_eq!(ids(store.household_list(&of_status(VerificationStatus::Pending)).await.expect("page")), [moving]);
    }

    async fn the_committee_s_items_are_read_a_page_at_a_time_filtered_searched_and_sorted(store: &Store) {
        use vereda_store::lists::{CommitteeItemList, Paging};
        let p = Procedure::new(store).await;
        let mut formulations = Vec::new();
        for (code, title) in [("CAC-A", "Producción de cacao en Tumaco"), ("CAF-B", "Café especial"), ("CAC-C", "Cacao y plátano")] {
            let mut project = viable_cocoa();
            project.frame.code = code.into();
            project.frame.title = title.into();
            let saved = store.save_formulation_draft(&p.formulator, draft(&project, p.call_id, "v1")).await.expect("save");
            store.submit_formulation(&p.formulator, saved.id).await.expect("submit");
            store.record_endorsement(&p.officer, saved.id, endorsement(10)).await.expect("endorse");
            formulations.push(saved.id);
        }
        let convene = |day: jiff::civil::Date| {
            store.create_session(&p.secretary, NewSession { held_on: day, place: "Florencia".into(), attendees: p.member_ids.clone() })
        };
        let october = convene(jiff::civil::date(2013, 10, 1)).await.expect("session");
        let november = convene(jiff::civil::date(2013, 11, 5)).await.expect("session");
        let a = store.add_to_agenda(&p.secretary, october.session_id, formulations[0], 0).await.expect("agenda");
        store.issue_concept(&p.member_a, a.id, Concept::Positive, "Viable", 0).await.expect("concept");
        store.close_session(&p.secretary, october.session_id, 1).await.expect("close");
        store.add_to_agenda(&p.secretary, november.session_id, formulations[1], 0).await.expect("agenda");
        let minutes = store.minutes(november.session_id).await.expect("minutes");
        let c = store.add_to_agenda(&p.secretary, november.session_id, formulations[2], minutes.lock_version).await.expect("agenda");
        store.issue_concept(&p.member_a, c.id, Concept::Negative, "Revise los costos", 0).await.expect("concept");
        store
            .file_objection(&p.secretary, formulations[1], NewObjection {
                target: ObjectionTarget::Project,
                target_ref: "CAF-B".into(),
                filed_by: "Junta de Acción Comunal".into(),
                text: "El proyecto no consultó a la comunidad".into(),
            })
            .await
            .expect("objection");

        let list = |paging: Paging| CommitteeItemList { paging, ..CommitteeItemList::default() };
        let codes = |rows: &[vereda_store::lists::CommitteeItem]| -> Vec<String> { rows.iter().map(|i| i.code.clone()).collect() };
        let all = store.committee_item_list(&list(Paging::default())).await.expect("page");
        assert_eq!(all.total, 3);
        assert_eq!(codes(&all.rows), ["CAC-C", "CAF-B", "CAC-A"], "the latest session first, then the latest item");
        let cafe = &all.rows[1];
        assert_eq!((cafe.held_on, cafe.closed, cafe.concept, cafe.pending_objections), (jiff::civil::date(2013, 11, 5), false, None, 1));
        assert_eq!((all.rows[2].closed, all.rows[2].concept), (true, Some(Concept::Positive)));
        // Paged in the query.
        let second = store.committee_item_list(&list(Paging { page: 2, per_page: 2, ..Paging::default() })).await.expect("page");
        assert_eq!((second.total, codes(&second.rows)), (3, vec!["CAC-A".to_owned()]));
        // Searched over code and title without regard to accents and case.
        for (words, found) in [("PRODUCCION", vec!["CAC-A"]), ("cafe", vec!["CAF-B"]), ("cac", vec!["CAC-C", "CAC-A"]), ("platano cacao", vec!["CAC-C"])] {
            let page = store.committee_item_list(&list(Paging { search: words.into(), ..Paging::default() })).await.expect("page");
            assert_eq!(codes(&page.rows), found, "{words}");
        }
        // Filtered by concept, session state, department, municipality and session days.
        for (concept, found) in [("pending", vec!["CAF-B"]), ("positive", vec!["CAC-A"]), ("negative", vec!["CAC-C"])] {
            let page = store.committee_item_list(&CommitteeItemList { concept: Some(concept.into()), ..list(Paging::default()) }).await.expect("page");
            assert_eq!(codes(&page.rows), found, "{concept}");
        }
        let closed = CommitteeItemList { session_state: Some("closed".into()), ..list(Paging::default()) };
        assert_eq!(codes(&store.committee_item_list(&closed).await.expect("page").rows), ["CAC-A"]);
        let open = CommitteeItemList { session_state: Some("open".into()), ..list(Paging::default()) };
        assert_eq!(store.committee_item_list(&open).await.expect("page").total, 2);
        let municipality = all.rows[0].municipality_code.clone();
        let narino = CommitteeItemList { department: Some("52".into()), municipality: Some(municipality), ..list(Paging::default()) };
        assert_eq!(store.committee_item_list(&narino).await.expect("page").total, 3);
        let caqueta = CommitteeItemList { department: Some("18".into()), ..list(Paging::default()) };
        assert_eq!(store.committee_item_list(&caqueta).await.expect("page").total, 0);
        let october_only = CommitteeItemList {
            from: Some(jiff::civil::date(2013, 10, 1)),
            until: Some(jiff::civil::date(2013, 10, 31)),
            ..list(Paging::default())
        };
        assert_eq!(codes(&store.committee_item_list(&october_only).await.expect("page").rows), ["CAC-A"]);
        let on_the_day = CommitteeItemList { from: Some(jiff::civil::date(2013, 11, 5)), until: Some(jiff::civil::date(2013, 11, 5)), ..list(Paging::default()) };
        assert_eq!(store.committee_item_list(&on_the_day).await.expect("page").total, 2, "both days included");
        // Sorted by project and by concept (no concept sorts as pending), each then by id.
        let by_project = store.committee_item_list(&list(Paging { sort: "proyecto".into(), ..Paging::default() })).await.expect("page");
        assert_eq!(codes(&by_project.rows), ["CAC-A", "CAC-C", "CAF-B"]);
        let by_concept = store.committee_item_list(&list(Paging { sort: "concepto".into(), ..Paging::default() })).await.expect("page");
        assert_eq!(codes(&by_concept.rows), ["CAC-C", "CAF-B", "CAC-A"], "negative, pending, positive");
        let oldest = store.committee_item_list(&list(Paging { sort: "fecha".into(), descending: true, ..Paging::default() })).await.expect("page");
        assert_eq!(codes(&oldest.rows), ["CAC-A", "CAF-B", "CAC-C"]);
        // Walked by keyset in the sort (downloads): after the first item by concept.
        let first = &by_concept.rows[0];
        let walk = CommitteeItemList { after: Some((first.sort_key("concepto"), first.id)), ..list(Paging { sort: "concepto".into(), ..Paging::default() }) };
        assert_eq!(codes(&store.committee_item_rows(&walk).await.expect("rows")), ["CAF-B", "CAC-A"]);
        let walk = CommitteeItemList { after: Some((all.rows[0].sort_key(""), all.rows[0].id)), ..list(Paging::default()) };
        assert_eq!(codes(&store.committee_item_rows(&walk).await.expect("rows")), ["CAF-B", "CAC-A"]);
        // Within the reader's reach: the projects are in Nariño.
        for (reach, total) in [(Reach::Department("52".into()), 3), (Reach::Department("18".into()), 0), (Reach::Nowhere, 0)] {
            let page = store.committee_item_list(&CommitteeItemList { reach: reach.clone(), ..list(Paging::default()) }).await.expect("page");
            assert_eq!(page.total, total, "{reach:?}");
        }
        assert_eq!(store.committee_municipalities(&Reach::Department("18".into())).await.expect("municipalities"), Vec::<String>::new());
        assert_eq!(store.committee_municipalities(&Reach::National).await.expect("municipalities").len(), 1);

        // The sessions themselves, paged: the latest first, by state, days and place.
        use vereda_store::lists::SessionList;
        let days = |page: vereda_store::lists::Page<vereda_store::entity::committee_session::Model>| -> Vec<String> {
            page.rows.iter().map(|s| s.held_on.0.to_string()).collect()
        };
        let sessions = store.session_list(&SessionList::default()).await.expect("sessions");
        assert_eq!((sessions.total, days(sessions)), (2, vec!["2013-11-05".to_owned(), "2013-10-01".to_owned()]));
        let oldest = SessionList { paging: Paging { descending: true, per_page: 1, ..Paging::default() }, ..SessionList::default() };
        assert_eq!(days(store.session_list(&oldest).await.expect("sessions")), ["2013-10-01"]);
        let closed = SessionList { state: Some("closed".into()), ..SessionList::default() };
        assert_eq!(days(store.session_list(&closed).await.expect("sessions")), ["2013-10-01"]);
        let november = SessionList { from: Some(jiff::civil::date(2013, 11, 1)), ..SessionList::default() };
        assert_eq!(days(store.session_list(&november).await.expect("sessions")), ["2013-11-05"]);
        for (words, total) in [("FLORENCIA", 2), ("florencia bogota", 0)] {
            let found = SessionList { paging: Paging { search: words.into(), ..Paging::default() }, ..SessionList::default() };
            assert_eq!(store.session_list(&found).await.expect("sessions").total, total, "{words}");
        }
    }
}

/// Rows of every kind the list pages show, grown together: calls (each with a territorial
/// office and a household), endorsed formulations not yet on an agenda (each with a pending
/// objection), formulations on an agenda, and committee members.
#[derive(Default)]
struct Rows {
    count: usize,
    office_id: Option<i32>,
    program_id: Option<i32>,
    members: Vec<i32>,
}

impl Rows {
    async fn grow(&mut self, p: &Procedure<'_>, to: usize) {
        let store = p.store;
        let office_id = match self.office_id {
            Some(id) => id,
            None => {
                let office = store
                    .create_territorial_office(
                        &admin(),
                        "DT Caquetá",
                        DepartmentCode::parse("18").expect("18"),
                    )
                    .await
                    .expect("office");
                self.office_id = Some(office.id);
                office.id
            }
        };
        let program_id = match self.program_id {
            Some(id) => id,
            None => {
                let program = store
                    .create_program(&admin(), "P1", "Programa", "")
                    .await
                    .expect("program");
                self.program_id = Some(program.id);
                program.id
            }
        };
        for i in self.count + 1..=to {
            let call = store
                .create_call(
                    &admin(),
                    NewCall {
                        program_id,
                        code: format!("C-{i:03}"),
                        name: format!("Convocatoria {i}"),
                        budget_year: 2013,
                        budget_cop: dec!(1000000),
                        smmlv_cop: None,
                        rule_set_id: "incoder-308-2013".into(),
                        line: ProgramLine::General,
                        territorial_office_ids: vec![office_id],
                        arel_max_pct: None,
                        arel_cap_smmlv: None,
                    },
                )
                .await
                .expect("call");
            let mut new = household(&format!("H-{i}"), &format!("{}", 40_000_000 + i));
            new.call_id = Some(call.id);
            store.create_household(&admin(), new).await.expect("household");
            let candidate = p.submitted_and_endorsed(&format!("F-{i:03}")).await;
            store
                .file_objection(
                    &p.secretary,
                    candidate,
                    NewObjection {
                        target: ObjectionTarget::Project,
                        target_ref: format!("F-{i:03}"),
                        filed_by: "Veeduría".into(),
                        text: "Objeción".into(),
                    },
                )
                .await
                .expect("objection");
            let member = store
                .create_account(
                    &admin(),
                    account(&format!("member-{i}@vereda.test"), Role::CommitteeMember),
                )
                .await
                .expect("member");
            self.members.push(member.id);
        }
        self.count = to;
    }

    /// A session attended by every member so far, with as many projects on its agenda.
    async fn session(&self, p: &Procedure<'_>) -> i32 {
        let minutes = p
            .store
            .create_session(
                &p.secretary,
                NewSession {
                    held_on: jiff::civil::date(2013, 10, 1),
                    place: "Florencia".into(),
                    attendees: self.members.clone(),
                },
            )
            .await
            .expect("session");
        for i in 0..self.count {
            let id = p
                .submitted_and_endorsed(&format!("A-{}-{i:03}", self.count))
                .await;
            let lock_version = i32::try_from(i).expect("small");
            p.store
                .add_to_agenda(&p.secretary, minutes.session_id, id, lock_version)
                .await
                .expect("agenda");
        }
        minutes.session_id
    }
}

/// The statements each list page's store calls run.
#[derive(Debug, PartialEq, Eq)]
struct PageStatements {
    formulations: usize,
    calls: usize,
    session: usize,
}

impl PageStatements {
    async fn measure(store: &Store, log: &vereda_store::test_support::StatementLog, session_id: i32) -> Self {
        log.take();
        // /personal/formulaciones
        let page = store
            .formulation_page(&FormulationQuery::default(), 1, 50)
            .await
            .expect("list");
        assert!(
            page.lines
                .iter()
                .all(|l| l.version == 1 && l.viable == Some(false))
        );
        let formulations = log.take().len();
        // /personal/convocatorias
        let calls = store.calls().await.expect("calls");
        assert!(
            calls
                .iter()
                .filter(|c| c.code.starts_with("C-"))
                .all(|c| c.households == 1 && c.territorial_office_ids.len() == 1)
        );
        let calls = log.take().len();
        // /personal/comite/{id}
        let minutes = store.minutes(session_id).await.expect("minutes");
        assert!(!minutes.attendees.is_empty() && !minutes.agenda.is_empty());
        assert!(
            !store
                .pending_objections(&Reach::National)
                .await
                .expect("objections")
                .is_empty()
        );
        assert!(
            !store
                .agenda_candidates(&Reach::National)
                .await
                .expect("candidates")
                .is_empty()
        );
        let session = log.take().len();
        PageStatements {
            formulations,
            calls,
            session,
        }
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

async fn record_failure(store: &Store, email: &str) {
    let event = vereda_store::audit::AuthEvent {
        action: AuditAction::LoginFailed,
        account_id: None,
        email,
        address: None,
    };
    store
        .record_auth_event(&Actor::system("web"), &event)
        .await
        .expect("record");
}

async fn write_entries(store: &Store, n: usize) {
    for i in 0..n {
        record_failure(store, &format!("intento{i}@x.co")).await;
    }
}

async fn chain_rows(store: &Store) -> Vec<vereda_store::entity::audit_entry::Model> {
    use sea_orm::{EntityTrait, QueryOrder};
    use vereda_store::entity::audit_entry;
    audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .all(store.connection())
        .await
        .expect("audit rows")
}

/// What the database's owner can do: set the append-only triggers and the fork guard aside.
async fn unguard(store: &Store) {
    let statements: &[&str] = match store.backend() {
        sea_orm::DatabaseBackend::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
            "DROP INDEX audit_log_prev_hash",
        ],
        _ => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
            "DROP INDEX audit_log_prev_hash",
        ],
    };
    for statement in statements {
        store
            .connection()
            .execute_unprepared(statement)
            .await
            .expect(statement);
    }
}

/// The hash a forger who knows the encoding computes for a row linked to `prev_hash`.
fn forged_hash(row: &vereda_store::entity::audit_entry::Model, prev_hash: &str) -> String {
    vereda_store::audit::entry_hash(&vereda_store::audit::ChainFields {
        at: row.at.0.as_microsecond(),
        actor: &row.actor,
        actor_user_id: row.actor_user_id,
        entity: &row.entity,
        entity_id: &row.entity_id,
        action: &row.action,
        before: row.before.as_deref(),
        after: row.after.as_deref(),
        prev_hash,
    })
}
