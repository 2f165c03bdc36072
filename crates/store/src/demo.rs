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
/// The password of every demo account. Demo databases are not for production.
pub const DEMO_PASSWORD: &str = "vereda-demo";

const PROJECT_FILE: &str = include_str!("../../../data/demo/t06-pdet-productive-routes.toml");
const PROGRAM_PROJECTS_FILE: &str = include_str!("../../../data/demo/program-projects.toml");
const HOUSEHOLDS_FILE: &str = include_str!("../../../data/demo/households.toml");

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
    screen_households(store, &actor, call.id, &households.households).await?;
    store.create_project(&actor, project).await?;
    for project in program_projects.projects {
        store.create_project(&actor, project).await?;
    }
    demo_petition(store, &actor).await?;
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
