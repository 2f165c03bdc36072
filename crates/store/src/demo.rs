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
    for mut household in households.households {
        household.call_id = Some(call.id);
        store.create_household(&actor, household).await?;
    }
    store.create_project(&actor, project).await?;
    for project in program_projects.projects {
        store.create_project(&actor, project).await?;
    }
    Ok(DemoSummary {
        created: true,
        accounts,
    })
}
