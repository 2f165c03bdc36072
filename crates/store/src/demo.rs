//! Demo data: a program, a call for Caquetá, Putumayo and Nariño with a few households, the
//! EU Trust Fund project card and the program's own projects of `data/demo/`, and one account
//! per role (the territorial director and officer in the Caquetá office).
//!
//! Seeding is idempotent: a database that has the demo program already is left as it is.

use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;
use vereda_domain::program::ProgramLine;
use vereda_domain::territory::DepartmentCode;

use crate::accounts::NewAccount;
use crate::households::NewHousehold;
use crate::programs::NewCall;
use crate::projects::NewProject;
use crate::{Store, StoreError, StoreResult};

pub const DEMO_PROGRAM_CODE: &str = "PCDRT";
pub const DEMO_CALL_CODE: &str = "PCDRT-2013-SUR";
pub const DEMO_PROJECT_CODE: &str = "T06.60,61,62";
/// The demo's project that went the whole chain: awarded, signed, notified, firm, paid and
/// followed (the worked example of docs/formulation.md, for ten families of Florencia).
pub const DEMO_FOLLOWED_CODE: &str = "CAQ-FLO-2013-001";
/// The office code in the numbers of the demo's resolutions.
pub const DEMO_OFFICE_CODE: &str = "CAQ";
/// The password of every demo account. Demo databases are not for production.
pub const DEMO_PASSWORD: &str = "vereda-demo";

const PROJECT_FILE: &str = include_str!("../../../data/demo/t06-pdet-productive-routes.toml");
const PROGRAM_PROJECTS_FILE: &str = include_str!("../../../data/demo/program-projects.toml");
const HOUSEHOLDS_FILE: &str = include_str!("../../../data/demo/households.toml");
const FOLLOWED_FILE: &str = include_str!("../../../examples/cacao-tumaco.toml");

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// False when the demo data was there already.
    pub created: bool,
    pub accounts: Vec<(String, Role)>,
}

pub fn demo_email(role: Role) -> String {
    format!("{}@vereda.test", role.as_str().replace('_', "."))
}

#[derive(Deserialize)]
struct HouseholdsFile {
    households: Vec<NewHousehold>,
}

#[derive(Deserialize)]
struct ProjectsFile {
    projects: Vec<NewProject>,
}

fn parse_demo<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> StoreResult<T> {
    toml::from_str(text).map_err(|e| StoreError::Fault(format!("data/demo/{name}: {e}")))
}

pub async fn seed(store: &Store) -> StoreResult<DemoSummary> {
    let accounts: Vec<(String, Role)> = Role::ALL.iter().map(|&r| (demo_email(r), r)).collect();
    if store
        .programs()
        .await?
        .iter()
        .any(|p| p.code == DEMO_PROGRAM_CODE)
    {
        return Ok(DemoSummary {
            created: false,
            accounts,
        });
    }
    let project: NewProject = parse_demo("t06-pdet-productive-routes.toml", PROJECT_FILE)?;
    let program_projects: ProjectsFile = parse_demo("program-projects.toml", PROGRAM_PROJECTS_FILE)?;
    let households: HouseholdsFile = parse_demo("households.toml", HOUSEHOLDS_FILE)?;
    let actor = Actor::system("demo-data");

    // The territorial accounts that work in the Caquetá office (a director signs awards with
    // its office's numbering, Art. 27).
    let mut territorial = Vec::new();
    for (email, role) in &accounts {
        let new = NewAccount {
            email: email.clone(),
            display_name: format!("Demo {}", role.as_str().replace('_', " ")),
            role: *role,
            password: DEMO_PASSWORD.to_owned(),
        };
        match store.create_account(&actor, new).await {
            Ok(account) => {
                if matches!(role, Role::TerritorialDirector | Role::TerritorialOfficer) {
                    territorial.push(account.id);
                }
            }
            Err(StoreError::DuplicateEmail(_)) => {}
            Err(e) => return Err(e),
        }
    }

    let program = store
        .create_program(
            &actor,
            DEMO_PROGRAM_CODE,
            "Programa de cofinanciación de proyectos de desarrollo rural con enfoque territorial",
            "Cofinancia proyectos productivos de familias rurales pobres (Acuerdo 308 de 2013).",
        )
        .await?;
    let mut office_ids = Vec::new();
    for (name, department) in [
        ("Dirección Territorial Caquetá", "18"),
        ("Dirección Territorial Putumayo", "86"),
        ("Dirección Territorial Nariño", "52"),
    ] {
        let code = DepartmentCode::parse(department).map_err(|e| StoreError::Fault(e.to_string()))?;
        office_ids.push(store.create_territorial_office(&actor, name, code).await?.id);
    }
    if let Some(&caqueta) = office_ids.first() {
        for &user_id in &territorial {
            store
                .assign_territorial_office(&actor, user_id, Some(caqueta))
                .await?;
        }
    }
    let call = store
        .create_call(
            &actor,
            NewCall {
                program_id: program.id,
                code: DEMO_CALL_CODE.to_owned(),
                name: "Convocatoria 2013: Caquetá, Putumayo y Nariño".to_owned(),
                budget_year: 2013,
                budget_cop: Decimal::from(12_000_000_000_i64),
                smmlv_cop: None,
                rule_set_id: "incoder-308-2013".to_owned(),
                line: ProgramLine::General,
                territorial_office_ids: office_ids,
                arel_max_pct: None,
                arel_cap_smmlv: None,
            },
        )
        .await?;
    for household in &households.households {
        let mut household = household.clone();
        household.call_id = Some(call.id);
        store.create_household(&actor, household).await?;
    }
    store.create_project(&actor, project).await?;
    for project in program_projects.projects {
        store.create_project(&actor, project).await?;
    }
    demo_petition(store, &actor).await?;
    followed_project(store, &actor, call.id).await?;
    // Last, so the call's latest screening (its public figures) is the run of its own file.
    screen_households(store, &actor, call.id, &households.households).await?;
    Ok(DemoSummary {
        created: true,
        accounts,
    })
}

/// A citizen's petition filed in Florencia and answered on time (Ley 1755 de 2015): a
/// request of information, 10 business days, answered on the sixth.
async fn demo_petition(store: &Store, actor: &Actor) -> StoreResult<()> {
    let at = |text: &str| {
        text.parse::<jiff::Timestamp>()
            .map_err(|e| StoreError::Fault(format!("demo petition: {e}")))
    };
    let petition = store
        .file_petition(
            actor,
            &crate::petitions::NewPetition {
                kind: Some(vereda_domain::petition::PetitionKind::Documents),
                petitioner_name: "Marta Lucía Quintero".to_owned(),
                petitioner_document: String::new(),
                email: "marta.quintero@correo.invalid".to_owned(),
                postal_address: String::new(),
                subject: "Requisitos de la convocatoria 2013".to_owned(),
                text: "Solicito la lista de documentos que entrega una familia para participar en la convocatoria.".to_owned(),
                municipality: vereda_domain::territory::DaneCode::parse("18001").ok(),
                attachment: None,
            },
            at("2026-03-02T17:00:00Z")?,
        )
        .await?;
    store
        .answer_petition(
            actor,
            petition.id,
            "La familia entrega el documento de identidad del jefe de hogar, el certificado del Sisbén y el folio de matrícula del predio (Acuerdo 308 de 2013, art. 11); las familias desplazadas, además, su inscripción en el RUV.",
            at("2026-03-10T17:00:00Z")?,
        )
        .await?;
    Ok(())
}

/// The demo account of `role`.
async fn demo_actor(store: &Store, role: Role) -> StoreResult<Actor> {
    let email = demo_email(role);
    store
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.email == email)
        .map(|a| a.actor())
        .ok_or_else(|| StoreError::Fault(format!("demo: no account {email}")))
}

/// The worked example for ten families of Florencia (Caquetá, the demo office's department),
/// evaluated under the call's rule set: viable, with its IRR.
fn followed_formulation() -> StoreResult<(vereda_domain::finance::Formulation, bool, Option<String>)> {
    use vereda_domain::finance::irr::Irr;
    let fault = |what: String| StoreError::Fault(format!("demo project: {what}"));
    let mut project: vereda_domain::finance::Formulation = parse_demo("cacao-tumaco.toml", FOLLOWED_FILE)?;
    project.frame.code = DEMO_FOLLOWED_CODE.to_owned();
    project.frame.title = "Cacao agroforestal con plátano para 10 familias de Florencia".to_owned();
    project.frame.municipality = "18001".to_owned();
    project.frame.households.truncate(10);
    for (i, family) in project.frame.households.iter_mut().enumerate() {
        family.id = format!("FLO-{:03}", i + 1);
    }
    let book = vereda_domain::rules::RuleBook::shipped().map_err(|e| fault(e.to_string()))?;
    let financial = book
        .get("incoder-308-2013")
        .and_then(|rules| rules.financial.as_ref())
        .ok_or_else(|| fault("the rule set incoder-308-2013 has no financial rules".to_owned()))?;
    let evaluation = vereda_domain::finance::evaluation::evaluate(&project, financial)
        .map_err(|e| fault(format!("{e:?}")))?;
    let irr = match evaluation.irr {
        Irr::Unique(rate) => Some(format!("{rate:.4}")),
        _ => None,
    };
    Ok((project, evaluation.verdict.viable, irr))
}

/// One project of the demo call taken the whole way through the store's own steps, each
/// with its gate: formulated viable, endorsed, given a positive concept by the committee in
/// signed minutes, awarded, notified to every family, firm once its appeal window closed
/// (2013, so firm on the real calendar), paid into the controlled account, then followed: its
/// investment plan (frozen at the award), movements signed by an officer and a family's
/// representative, a supervision visit with findings and an open commitment, and an
/// accompaniment activity delivered with attendance. The resolution's signature with its PDF
/// is the web's (it typesets); everything else is here.
async fn followed_project(store: &Store, system: &Actor, call_id: i32) -> StoreResult<()> {
    use jiff::civil::date;
    use rust_decimal::Decimal;
    use vereda_domain::followup::{CommitmentDraft, Delivery, Finding, VisitDraft};
    use vereda_domain::ledger::{MovementDraft, MovementKind};

    use crate::followup::{NewDelivery, NewVisit};
    use crate::ledger::NewMovement;

    let (project, viable, irr) = followed_formulation()?;
    let hands = ProcedureHands::of_demo(store).await?;
    make_households_ready(
        store,
        system,
        call_id,
        &project.frame.municipality,
        &project.frame.households,
        date(2013, 8, 1),
    )
    .await?;
    let id = award_and_pay(store, &hands, call_id, &project, viable, irr).await?;
    let officer = &hands.officer;

    let today = crate::projects::today_in_colombia();
    let code = DEMO_FOLLOWED_CODE;
    let award = store
        .award_of(id)
        .await?
        .ok_or_else(|| StoreError::Fault("demo: the project has no award".to_owned()))?;
    let representative = |draft: MovementDraft| NewMovement {
        draft,
        representative_name: "Familia FLO-001".to_owned(),
        representative_document: ready_document(call_id, 0),
        document_sha256: None,
        document_name: None,
        confirm_duplicate: false,
    };
    let payment = |on, line, value, reference: &str| MovementDraft {
        date: on,
        value,
        kind: MovementKind::Payment,
        line: Some(line),
        source: None,
        supplier_name: "Agroinsumos del Caguán S.A.S.".to_owned(),
        supplier_nit: "890903938-8".to_owned(),
        reference: reference.to_owned(),
    };
    let movements = [
        payment_coming_in(&award, date(2013, 11, 6)),
        payment(date(2013, 11, 20), 1, Decimal::from(51_000_000), "FV-1041"),
        payment(date(2013, 11, 28), 5, Decimal::from(6_500_000), "FV-1077"),
    ];
    for draft in movements {
        store
            .record_movement(officer, code, &representative(draft), today)
            .await?;
    }
    let visit = VisitDraft {
        visited_on: date(2013, 12, 10),
        team: vec!["Ingeniera agrónoma del equipo de vigilancia de la inversión".to_owned()],
        findings: vec![
            Finding {
                line: 1,
                delivery: Delivery::Delivered,
                planned_quantity: None,
                delivered_quantity: None,
                note: "Plántulas sembradas en las diez fincas".to_owned(),
            },
            Finding {
                line: 5,
                delivery: Delivery::Partial,
                planned_quantity: Some(Decimal::from(20)),
                delivered_quantity: Some(Decimal::from(10)),
                note: "Kits en la bodega de la asociación".to_owned(),
            },
        ],
        environmental: "Sin tala en la ronda de la quebrada".to_owned(),
        legal: String::new(),
        rating: 4,
        commitments: vec![CommitmentDraft {
            description: "Entregar los diez kits restantes".to_owned(),
            due_on: date(2014, 1, 10),
        }],
    };
    store
        .record_visit(
            officer,
            code,
            &NewVisit {
                draft: visit,
                closes: Vec::new(),
            },
            today,
        )
        .await?;
    let activity = store
        .schedule_activity(officer, code, "Fermentación y secado", date(2013, 12, 1))
        .await?;
    store
        .deliver_activity(
            officer,
            code,
            activity,
            &NewDelivery {
                delivered_on: date(2013, 12, 2),
                families: 9,
                women: 5,
                men: 4,
                evidence_sha256: Some(crate::formulations::hex_sha256(b"demo: asistencia")),
                evidence_name: Some("asistencia.pdf".to_owned()),
            },
            today,
        )
        .await?;
    Ok(())
}

/// The day the demo call's screening is taken as of: the call opened in June 2013.
const DEMO_SCREENING_DATE: (i16, i8, i8) = (2013, 6, 1);

/// Screens the demo call's households under the shipped rule set, as a batch run records it,
/// so that the procedure takes its families from a real screening. The demo's displaced
/// households are taken as found in the victims' registry.
async fn screen_households(
    store: &Store,
    actor: &Actor,
    call_id: i32,
    households: &[NewHousehold],
) -> StoreResult<()> {
    use vereda_domain::eligibility::{CallLimits, CrossChecks, Household, Screener};
    use vereda_domain::household::{LandTenure, ProductiveActivity, SisbenArea};
    use vereda_domain::rules::RuleBook;

    use crate::screening::{CompletedRun, NewScreeningResult, NewScreeningRun, RunInput, RunProgress};

    let fault = |what: String| StoreError::Fault(format!("demo screening: {what}"));
    let book = RuleBook::shipped().map_err(|e| fault(e.to_string()))?;
    let rules = book
        .get("incoder-308-2013")
        .ok_or_else(|| fault("the rule set incoder-308-2013 is not shipped".to_owned()))?;
    let (year, month, day) = DEMO_SCREENING_DATE;
    let as_of = jiff::civil::date(year, month, day);
    let screener =
        Screener::new(rules, as_of, CallLimits::default()).within(store.call_territory(call_id).await?);
    let ruv = rules.registry_index("ruv");
    let mut results = Vec::new();
    for (i, household) in households.iter().enumerate() {
        let head = household
            .members
            .iter()
            .find(|m| m.is_head)
            .ok_or_else(|| fault(format!("{} has no head", household.external_id)))?;
        let facts = Household {
            document_type: head.document_type,
            sex: head.sex,
            birth_date: head.birth_date.unwrap_or(jiff::civil::date(1980, 1, 1)),
            head_of_household: true,
            sisben_area: household.sisben_area.unwrap_or(SisbenArea::Rural),
            sisben_score: household.sisben_score,
            displaced: household.displaced,
            ethnic_group: household.ethnic_group,
            ethnic_community_registered: household.ethnic_community_registered,
            land_tenure: household
                .parcels
                .first()
                .map_or(LandTenure::Owner, |p| p.land_tenure),
            land_restrictions: false,
            productive_activity: ProductiveActivity::Agricultural,
            environmental_restriction: false,
            illicit_activity: false,
            inaccurate_information: false,
            program_line: household.program_line,
            land_contract_end: None,
            arel_population_group: vereda_domain::household::ArelPopulationGroup::None,
            arel_group_document: false,
            arel_call_year: None,
            arel_call_score: None,
        };
        let in_ruv = household.displaced && ruv.is_some();
        let checks = CrossChecks {
            registries: ruv.filter(|_| in_ruv).map_or(0, |index| 1 << index),
            duplicate_document: false,
            outside_territory: screener.outside_territory(household.municipality),
        };
        let outcome = screener
            .screen(&facts, &checks)
            .map_err(|e| fault(e.to_string()))?;
        results.push(NewScreeningResult {
            external_id: household.external_id.clone(),
            line: u32::try_from(i + 2).unwrap_or(u32::MAX),
            municipality: household.municipality,
            household: facts,
            checks,
            found_in: if in_ruv {
                vec!["ruv".to_owned()]
            } else {
                Vec::new()
            },
            eligible: outcome.is_eligible(),
            sisben_level: outcome.sisben_level,
            cofinancing_max_pct: screener.cofinancing_percent(&outcome),
            cap_smmlv: screener.cap_smmlv(&outcome),
            reasons: screener.reasons(&outcome).map(str::to_owned).collect(),
            document: head.document.clone(),
            first_name: head.first_name.clone(),
            last_name: head.last_name.clone(),
        });
    }
    let rows = results.len() as u64;
    let (run, _) = store
        .submit_screening_run(
            actor,
            NewScreeningRun {
                call_id,
                rule_set_id: rules.id.clone(),
                rule_set_hash: rules.content_hash.clone(),
                as_of,
                limits: CallLimits::default(),
                keep_going: false,
                job_key: "demo-households".to_owned(),
                inputs: vec![RunInput {
                    kind: "households".to_owned(),
                    file_name: "households.toml".to_owned(),
                    sha256: crate::formulations::hex_sha256(HOUSEHOLDS_FILE.as_bytes()),
                    bytes: HOUSEHOLDS_FILE.len() as u64,
                    encoding: None,
                }],
            },
        )
        .await?;
    store.start_screening_run(actor, run.id).await?;
    store
        .complete_screening_run(
            actor,
            run.id,
            CompletedRun {
                results,
                errors: Vec::new(),
                error_count: 0,
                progress: RunProgress {
                    bytes_read: HOUSEHOLDS_FILE.len() as u64,
                    total_bytes: HOUSEHOLDS_FILE.len() as u64,
                    rows,
                    stored: 0,
                },
            },
            &|_| {},
        )
        .await?;
    Ok(())
}

/// The document of the head of the `i`-th family [`make_households_ready`] registers in a call
/// (first name "Familia", last name its id).
pub fn ready_document(call_id: i32, i: usize) -> String {
    format!("9{}{i:04}", call_id % 10_000)
}

/// The demo accounts that take a project through the procedure, each step in the hands the
/// regulation gives it.
struct ProcedureHands {
    formulator: Actor,
    officer: Actor,
    secretary: Actor,
    member: Actor,
    member_id: i32,
    director: Actor,
}

impl ProcedureHands {
    async fn of_demo(store: &Store) -> StoreResult<Self> {
        let member = demo_actor(store, Role::CommitteeMember).await?;
        let member_id = member
            .user_id()
            .ok_or_else(|| StoreError::Fault("demo: the committee member has no account".to_owned()))?;
        Ok(Self {
            formulator: demo_actor(store, Role::Formulator).await?,
            officer: demo_actor(store, Role::TerritorialOfficer).await?,
            secretary: demo_actor(store, Role::ProgramOfficer).await?,
            member,
            member_id,
            director: demo_actor(store, Role::TerritorialDirector).await?,
        })
    }
}

/// Takes `project`, whose families are ready in `call_id`, through the store's own steps from
/// its formulation to its single payment (2013 dates, so every window has run): formulated,
/// endorsed, a positive concept in signed minutes, awarded by the Caquetá director, evidence
/// recorded by the director, every family notified and the payment registered by the officer
/// (custody: other hands). Answers the formulation's id.
async fn award_and_pay(
    store: &Store,
    hands: &ProcedureHands,
    call_id: i32,
    project: &vereda_domain::finance::Formulation,
    viable: bool,
    irr: Option<String>,
) -> StoreResult<i32> {
    use jiff::civil::date;

    use crate::formulations::NewFormulationDraft;
    use crate::procedure::{Concept, NewAward, NewEndorsement, NewSession};

    let saved = store
        .save_formulation_draft(
            &hands.formulator,
            NewFormulationDraft {
                formulation: project,
                call_id: Some(call_id),
                note: Some("Formulación con las familias de la vereda".to_owned()),
                viable: Some(viable),
                irr,
                rule_set_id: "incoder-308-2013".to_owned(),
                rule_set_hash: None,
            },
        )
        .await?;
    let id = saved.id;
    store.submit_formulation(&hands.formulator, id).await?;
    store
        .record_endorsement(
            &hands.officer,
            id,
            NewEndorsement {
                endorsed_on: date(2013, 9, 20),
                families_endorsing: 10,
                minutes: "Asamblea en la vereda El Caraño; acta firmada por las diez familias".to_owned(),
            },
        )
        .await?;
    let session = store
        .create_session(
            &hands.secretary,
            NewSession {
                held_on: date(2013, 10, 1),
                place: "Florencia, sede de la dirección territorial".to_owned(),
                attendees: vec![hands.member_id],
            },
        )
        .await?;
    let item = store
        .add_to_agenda(&hands.secretary, session.session_id, id, 0)
        .await?;
    store
        .issue_concept(
            &hands.member,
            item.id,
            Concept::Positive,
            "Viable: la tasa interna de retorno y el ingreso por familia cumplen el Acuerdo 308.",
            0,
        )
        .await?;
    store
        .close_session(&hands.secretary, session.session_id, 1)
        .await?;
    store.sign_minutes(&hands.member, session.session_id).await?;
    let awarded_on = date(2013, 10, 15);
    store
        .award(
            &hands.director,
            id,
            NewAward {
                office_code: DEMO_OFFICE_CODE.to_owned(),
                awarded_on,
                motivation: "Concepto positivo del comité técnico, acta firmada".to_owned(),
                institute_contribution: None,
                lowering_motivation: String::new(),
                obligations: String::new(),
            },
        )
        .await?;
    // The director records the account and approves the policy; the officer, who prepared
    // neither, registers the payment (custody: other hands).
    store
        .record_disbursement_evidence(
            &hands.director,
            id,
            Some("Cuenta de ahorros 0123-45 del Banco Agrario, firma conjunta"),
            None,
            0,
        )
        .await?;
    let checklist = store.disbursement_checklist(id).await?;
    store
        .record_disbursement_evidence(
            &hands.director,
            id,
            None,
            Some("Póliza de cumplimiento 77-2013 aprobada"),
            checklist.lock_version,
        )
        .await?;
    notify_award(store, &hands.officer, id, date(2013, 10, 16)).await?;
    let paid_on = date(2013, 11, 5);
    store.disburse(&hands.officer, id, paid_on).await?;

    Ok(id)
}

/// Takes a formulation's families into a call the way a territorial office does, through the
/// store's own steps: screened eligible in rural `municipality` with the percentage and cap
/// the formulation gives them (displaced when the cap is above 20 SMMLV), then the offer
/// notice, the documents each owes, a parcel with a favourable title study and a suitable
/// field visit, and an eligible verification on `today`. Returns their ids, in order.
pub async fn make_households_ready(
    store: &Store,
    actor: &vereda_domain::audit::Actor,
    call_id: i32,
    municipality: &str,
    families: &[vereda_domain::finance::formulation::ParticipatingHousehold],
    today: jiff::civil::Date,
) -> StoreResult<Vec<i32>> {
    use rust_decimal::Decimal;
    use vereda_domain::eligibility::{CallLimits, CrossChecks, Household};
    use vereda_domain::household::{
        DocumentType, EthnicGroup, LandTenure, ProductiveActivity, Sex, SisbenArea,
    };
    use vereda_domain::program::ProgramLine;
    use vereda_domain::territory::DaneCode;
    use vereda_domain::verification::VerificationStatus;

    use crate::screening::{CompletedRun, NewScreeningResult, NewScreeningRun, RunInput, RunProgress};

    let place =
        DaneCode::parse(municipality).map_err(|e| StoreError::Fault(format!("{municipality}: {e}")))?;
    let suffix = format!("{call_id}_{}", jiff::Timestamp::now().as_nanosecond());
    let document_of = |i: usize| ready_document(call_id, i);
    let results: Vec<NewScreeningResult> = families
        .iter()
        .enumerate()
        .map(|(i, family)| NewScreeningResult {
            external_id: family.id.clone(),
            line: u32::try_from(i + 2).unwrap_or(u32::MAX),
            municipality: place,
            household: Household {
                document_type: DocumentType::Cc,
                sex: if i % 2 == 0 { Sex::Female } else { Sex::Male },
                birth_date: jiff::civil::date(1975, 5, 1),
                head_of_household: true,
                sisben_area: SisbenArea::Rural,
                sisben_score: Some(Decimal::new(155, 1)),
                displaced: family.cap_smmlv > Decimal::from(20),
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
                arel_population_group: vereda_domain::household::ArelPopulationGroup::None,
                arel_group_document: false,
                arel_call_year: None,
                arel_call_score: None,
            },
            checks: CrossChecks::default(),
            found_in: Vec::new(),
            eligible: true,
            sisben_level: Some(1),
            cofinancing_max_pct: Some(family.max_pct),
            cap_smmlv: Some(family.cap_smmlv),
            reasons: Vec::new(),
            document: document_of(i),
            first_name: "Familia".to_owned(),
            last_name: family.id.clone(),
        })
        .collect();
    let rows = results.len() as u64;
    let (run, _) = store
        .submit_screening_run(
            actor,
            NewScreeningRun {
                call_id,
                rule_set_id: "incoder-308-2013".to_owned(),
                rule_set_hash: "test-support".to_owned(),
                as_of: today,
                limits: CallLimits::default(),
                keep_going: false,
                job_key: format!("ready-{suffix}"),
                inputs: vec![RunInput {
                    kind: "households".to_owned(),
                    file_name: "households.csv".to_owned(),
                    sha256: suffix.clone(),
                    bytes: rows,
                    encoding: None,
                }],
            },
        )
        .await?;
    store.start_screening_run(actor, run.id).await?;
    store
        .complete_screening_run(
            actor,
            run.id,
            CompletedRun {
                results,
                errors: Vec::new(),
                error_count: 0,
                progress: RunProgress {
                    bytes_read: rows,
                    total_bytes: rows,
                    rows,
                    stored: 0,
                },
            },
            &|_| {},
        )
        .await?;
    if store.offer_notice(call_id).await?.is_none() {
        store
            .record_offer_notice(actor, call_id, today, "Convocatoria a las familias focalizadas.")
            .await?;
    }
    let registered: std::collections::HashMap<String, _> = store
        .households(Some(call_id))
        .await?
        .into_iter()
        .map(|h| (h.external_id.clone(), h))
        .collect();
    let mut ids = Vec::with_capacity(families.len());
    for family in families {
        let household = registered
            .get(&family.id)
            .ok_or_else(|| StoreError::Fault(format!("{} was not registered", family.id)))?;
        ids.push(household.id);
    }
    // Each family's parcel, title study, field visit and documents are its own steps, each in
    // its own transaction: many families (a benchmark's) go through them several at once (the
    // database's time is mostly round trips; the audit chain orders the commits anyway); a few
    // (the demo's, a test's) one after another, so their records keep their order.
    let at_once = if families.len() > 100 { READY_AT_ONCE } else { 1 };
    let mut running = tokio::task::JoinSet::new();
    for (i, &household_id) in ids.iter().enumerate() {
        if running.len() >= at_once
            && let Some(done) = running.join_next().await
        {
            done.map_err(|e| StoreError::Fault(format!("demo: a family's steps stopped: {e}")))??;
        }
        let (store, actor) = (store.clone(), actor.clone());
        let external_id = families[i].id.clone();
        let document = document_of(i);
        running.spawn(async move {
            ready_one(
                &store,
                &actor,
                household_id,
                i,
                &external_id,
                &document,
                place,
                today,
            )
            .await
        });
    }
    while let Some(done) = running.join_next().await {
        done.map_err(|e| StoreError::Fault(format!("demo: a family's steps stopped: {e}")))??;
    }
    // The decisions in bulk, as the verification list takes them (each household still
    // through its own gate and transaction); a refusal of one is a fault here.
    for chunk in ids.chunks(crate::verification::BULK_DECISION_LIMIT) {
        for outcome in store
            .decide_verifications(actor, call_id, chunk, VerificationStatus::Eligible, "", today)
            .await?
        {
            if let Err(message) = outcome.result {
                return Err(StoreError::Fault(format!(
                    "demo: household {} was not decided eligible: {}",
                    outcome.household_id,
                    message.code()
                )));
            }
        }
    }
    Ok(ids)
}

/// Families taken through their steps at once by [`make_households_ready`].
const READY_AT_ONCE: usize = 4;

/// One family's parcel (favourable title study, suitable field visit) and the documents its
/// verification finds missing, each through the store's step.
#[allow(clippy::too_many_arguments)]
async fn ready_one(
    store: &Store,
    actor: &vereda_domain::audit::Actor,
    household_id: i32,
    i: usize,
    external_id: &str,
    document: &str,
    place: vereda_domain::territory::DaneCode,
    today: jiff::civil::Date,
) -> StoreResult<()> {
    use rust_decimal::Decimal;
    use vereda_domain::household::LandTenure;
    use vereda_domain::parcel::SiteCondition;

    use crate::households::NewParcel;
    use crate::parcels::{ConditionCheck, NewFieldVisit, NewTitleStudy};
    use crate::verification::NewHouseholdDocument;

    let parcel = store
        .add_parcel(
            actor,
            household_id,
            NewParcel {
                municipality: place,
                name: format!("Predio {external_id}"),
                vereda: None,
                land_title_record: Some(format!("420-{i}")),
                area_ha: Some(Decimal::from(3)),
                land_tenure: LandTenure::Owner,
                latitude: None,
                longitude: None,
            },
        )
        .await?;
    store
        .record_title_study(
            actor,
            household_id,
            parcel.id,
            NewTitleStudy {
                title_record: format!("420-{i}"),
                owner_name: format!("Familia {external_id}"),
                owner_document: document.to_owned(),
                limitations: String::new(),
                limits_use: false,
                favourable: true,
                reasons: String::new(),
                lock_version: 0,
            },
        )
        .await?;
    store
        .record_field_visit(
            actor,
            household_id,
            parcel.id,
            NewFieldVisit {
                visit_date: today,
                latitude: Decimal::new(18, 1),
                longitude: Decimal::new(-7876, 2),
                conditions: SiteCondition::ALL
                    .iter()
                    .map(|condition| ConditionCheck {
                        condition: *condition,
                        met: true,
                        notes: String::new(),
                    })
                    .collect(),
                lock_version: 0,
            },
        )
        .await?;
    let state = store
        .household_verification(household_id, today)
        .await?
        .ok_or_else(|| StoreError::Fault(format!("{external_id} has no verification")))?;
    for kind in &state.missing {
        store
            .receive_household_document(
                actor,
                household_id,
                NewHouseholdDocument {
                    kind: *kind,
                    file_name: format!("{kind}.pdf"),
                    content_type: "application/pdf".to_owned(),
                    size_bytes: 1000,
                    sha256: "0".repeat(64),
                    received_on: today,
                },
                today,
            )
            .await?;
    }
    Ok(())
}

/// Notifies every family of the award of `formulation_id` in person on `on` through the
/// store's step (Ley 1437 de 2011, art. 67), as `actor` (an account that notifies the office's
/// acts), so a later payment finds the award firm once its appeal window has passed. Answers
/// the day it is firm when nobody appeals.
pub async fn notify_award(
    store: &Store,
    actor: &vereda_domain::audit::Actor,
    formulation_id: i32,
    on: jiff::civil::Date,
) -> StoreResult<Option<jiff::civil::Date>> {
    use vereda_domain::acts::NotificationKind;

    let life = store
        .award_life(formulation_id, on)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "award",
            id: formulation_id.to_string(),
        })?;
    for family in life.families.iter().filter(|f| f.kind.is_none()) {
        store
            .record_notification(
                actor,
                life.award_id,
                crate::acts::NewNotification {
                    beneficiary_id: family.beneficiary_id,
                    kind: NotificationKind::Personal,
                    recipient_name: format!("Familia {}", family.external_id),
                    notified_on: on,
                    cited_on: None,
                    authorised: false,
                },
            )
            .await?;
    }
    Ok(store
        .award_life(formulation_id, on)
        .await?
        .and_then(|life| life.firm_on))
}

/// The institute's payment coming into the controlled account on `on`: the award's whole
/// contribution, referenced by the resolution's number (Art. 33).
fn payment_coming_in(
    award: &crate::procedure::Award,
    on: jiff::civil::Date,
) -> vereda_domain::ledger::MovementDraft {
    vereda_domain::ledger::MovementDraft {
        date: on,
        value: award.institute_contribution,
        kind: vereda_domain::ledger::MovementKind::Disbursement,
        line: None,
        source: None,
        supplier_name: String::new(),
        supplier_nit: String::new(),
        reference: award.number.clone(),
    }
}

/// The call the synthetic ledgers' families are made ready in (`vereda demo-data ledgers`).
pub const SYNTHETIC_LEDGERS_CALL_CODE: &str = "SIN-CUENTAS";

/// Stores `n` projects (`CTA-00001` …) of ten families of Florencia each, every one taken
/// through the store's own steps from the families' screening and verification to the award
/// and the single payment (as the demo's followed project is), then `movements` movements of
/// its controlled account: the payment coming in and payments to a supplier spread over the
/// institute's plan lines, each checked by the ledger's gates, one transaction per project.
/// For the benchmark of the follow-up at scale (`bench/ledgers`); needs the demo data (its
/// accounts sign each step). Its own call (`SIN-CUENTAS`) holds the families; when that call
/// is already there nothing is stored. Returns how many projects were stored.
pub async fn synthetic_ledgers(store: &Store, n: usize, movements: usize) -> StoreResult<usize> {
    use jiff::civil::date;
    use vereda_domain::ledger::{MovementDraft, MovementKind};

    use crate::ledger::NewMovement;

    if store
        .calls()
        .await?
        .iter()
        .any(|c| c.code == SYNTHETIC_LEDGERS_CALL_CODE)
    {
        return Ok(0);
    }
    let system = Actor::system("demo-data");
    let hands = ProcedureHands::of_demo(store).await?;
    let program = store
        .programs()
        .await?
        .into_iter()
        .find(|p| p.code == DEMO_PROGRAM_CODE)
        .ok_or_else(|| StoreError::Fault("demo: no demo program; seed the demo data first".to_owned()))?;
    let offices = store.territorial_offices().await?;
    let call = store
        .create_call(
            &system,
            NewCall {
                program_id: program.id,
                code: SYNTHETIC_LEDGERS_CALL_CODE.to_owned(),
                name: "Convocatoria sintética para medir las cuentas controladas".to_owned(),
                budget_year: 2013,
                budget_cop: Decimal::from(1_000_000_000_000_000_i64),
                smmlv_cop: None,
                rule_set_id: "incoder-308-2013".to_owned(),
                line: ProgramLine::General,
                territorial_office_ids: offices.iter().map(|o| o.id).collect(),
                arel_max_pct: None,
                arel_cap_smmlv: None,
            },
        )
        .await?;
    let (template, viable, irr) = followed_formulation()?;
    let projects: Vec<_> = (0..n)
        .map(|p| {
            let mut project = template.clone();
            project.frame.code = format!("CTA-{:05}", p + 1);
            project.frame.title = format!("Cuenta sintética {} de cacao en Florencia", p + 1);
            for (k, family) in project.frame.households.iter_mut().enumerate() {
                family.id = format!("CTA-{:05}-{:02}", p + 1, k + 1);
            }
            project
        })
        .collect();
    let families: Vec<_> = projects
        .iter()
        .flat_map(|p| p.frame.households.iter().cloned())
        .collect();
    make_households_ready(store, &system, call.id, "18001", &families, date(2013, 8, 1)).await?;
    let today = crate::projects::today_in_colombia();
    let mut family_index = 0;
    for project in &projects {
        let id = award_and_pay(store, &hands, call.id, project, viable, irr.clone()).await?;
        let award = store
            .award_of(id)
            .await?
            .ok_or_else(|| StoreError::Fault("demo: the project has no award".to_owned()))?;
        let representative = (
            format!("Familia {}", project.frame.households[0].id),
            ready_document(call.id, family_index),
        );
        family_index += project.frame.households.len();
        let signed = |draft: MovementDraft| NewMovement {
            draft,
            representative_name: representative.0.clone(),
            representative_document: representative.1.clone(),
            document_sha256: None,
            document_name: None,
            confirm_duplicate: false,
        };
        let mut drafts = vec![signed(payment_coming_in(&award, date(2013, 11, 6)))];
        for j in 1..movements {
            // Eight institute lines (1-8) of the worked example, a day for every three.
            let line = 1 + (j % 8) as u32;
            drafts.push(signed(MovementDraft {
                date: date(2013, 11, 6)
                    .checked_add(jiff::Span::new().days((j / 3) as i64))
                    .map_err(|e| StoreError::Fault(e.to_string()))?,
                value: Decimal::from(100_000 + (j % 7) as i64 * 1_000),
                kind: MovementKind::Payment,
                line: Some(line),
                source: None,
                supplier_name: "Agroinsumos del Caguán S.A.S.".to_owned(),
                supplier_nit: "890903938-8".to_owned(),
                reference: format!("FV-{j:05}"),
            }));
        }
        store
            .record_movements(&hands.officer, &project.frame.code, &drafts, today)
            .await?;
    }
    Ok(n)
}

/// Stores `n` synthetic projects (`SIN-00001` …) through the store, each with 12 indicators
/// (three of them rolled up), in the PDET municipalities, for the portfolio's benchmark
/// (`bench/portfolio`). Projects already there are left as they are. Returns how many were
/// stored.
pub async fn synthetic_projects(store: &Store, n: usize) -> StoreResult<usize> {
    use crate::projects::{NewFunding, NewIndicator, NewMeasurement, NewResult};
    use jiff::civil::date;
    use vereda_domain::money::Currency;
    use vereda_domain::monitoring::{
        ContentLanguage, ExecutionStatus, FundingRole, IndicatorUnit, MeasurementStatus, ResultKind,
    };

    const CHAINS: [&str; 6] = ["Cacao", "Café", "Ganadería", "Leche", "Plátano", "Piscicultura"];
    const FUNDERS: [(&str, FundingRole); 3] = [
        ("Unión Europea", FundingRole::Donor),
        (
            "Instituto Colombiano de Desarrollo Rural (Incoder)",
            FundingRole::Institute,
        ),
        ("Familias beneficiarias", FundingRole::Counterpart),
    ];
    const STATUSES: [ExecutionStatus; 4] = [
        ExecutionStatus::Planned,
        ExecutionStatus::InExecution,
        ExecutionStatus::Achieved,
        ExecutionStatus::Closed,
    ];
    let actor = Actor::system("demo");
    let places: Vec<_> = vereda_domain::territory::catalog()
        .municipalities
        .iter()
        .filter(|m| m.pdet_subregion.is_some())
        .map(|m| m.code)
        .collect();
    if places.is_empty() {
        return Err(StoreError::Fault("no PDET municipality in the catalogue".into()));
    }
    let mut stored = 0;
    for i in 0..n {
        let start = date(2020 + (i % 5) as i16, 1 + (i % 12) as i8, 1);
        let end = date(2027 + (i % 3) as i16, 12, 31);
        let indicators = (1..=12)
            .map(|number| {
                let goal = Decimal::from(100 + (i % 50) as i64 + number as i64);
                let rollup_key = match number {
                    1 => Some("families_supported".to_owned()),
                    2 => Some("sustainable_hectares".to_owned()),
                    3 => Some("producers_trained".to_owned()),
                    _ => None,
                };
                NewIndicator {
                    number,
                    name: format!("Indicador {number}"),
                    unit: if number == 2 {
                        IndicatorUnit::Hectares
                    } else {
                        IndicatorUnit::Number
                    },
                    baseline: Decimal::ZERO,
                    baseline_date: Some(start),
                    goal,
                    higher_is_better: true,
                    by_sex: false,
                    status: ExecutionStatus::InExecution,
                    featured: number <= 6,
                    result: Some(1 + (number - 1) % 3),
                    measurements: if rollup_key.is_some() {
                        vec![NewMeasurement {
                            measured_on: start,
                            value: goal / Decimal::TWO,
                            value_women: None,
                            value_men: None,
                            source: None,
                            status: MeasurementStatus::Approved,
                            submitted_by: None,
                        }]
                    } else {
                        Vec::new()
                    },
                    rollup_key,
                }
            })
            .collect();
        let municipalities = (0..1 + i % 3)
            .map(|k| places[(i * 7 + k * 13) % places.len()])
            .collect();
        let project = NewProject {
            code: format!("SIN-{:05}", i + 1),
            title: format!(
                "Proyecto productivo sintético {} de {}",
                i + 1,
                CHAINS[i % CHAINS.len()]
            ),
            subtitle: String::new(),
            tagline: String::new(),
            period_start: start,
            period_end: end,
            description: "Proyecto sintético para medir el portafolio.".into(),
            peace_contribution: String::new(),
            general_objective: "Mejorar los ingresos de las familias.".into(),
            status: STATUSES[i % STATUSES.len()],
            specific_objectives: vec!["Producir".into(), "Comercializar".into()],
            results: (1..=3)
                .map(|r| NewResult {
                    kind: ResultKind::Output,
                    title: format!("Resultado {r}"),
                    objective: None,
                })
                .collect(),
            value_chains: vec![CHAINS[i % CHAINS.len()].to_owned()],
            funding: vec![
                NewFunding {
                    source: FUNDERS[i % FUNDERS.len()].0.to_owned(),
                    role: FUNDERS[i % FUNDERS.len()].1,
                    currency: Currency::Cop,
                    amount: Decimal::from(100_000_000 + (i as i64) * 1_000_000),
                },
                NewFunding {
                    source: FUNDERS[(i + 1) % FUNDERS.len()].0.to_owned(),
                    role: FUNDERS[(i + 1) % FUNDERS.len()].1,
                    currency: Currency::Eur,
                    amount: Decimal::from(50_000 + (i as i64) * 100),
                },
            ],
            partners: Vec::new(),
            municipalities,
            indicators,
            language: ContentLanguage::Spanish,
        };
        match store.create_project(&actor, project).await {
            Ok(_) => stored += 1,
            Err(StoreError::Duplicate { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(stored)
}
