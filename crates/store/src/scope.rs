//! The store's gates of who may act: the role's permission and the territorial scope (a
//! territorial office's staff read and act only on the records of their office's department).
//! Every writing step asks [`check_may`] (or its siblings) in its own transaction, and
//! the staff lists and pages ask [`Store::reach`] and [`Store::within_reach`], so the rule
//! lives here once ([`Role::reach`] in the domain says who reaches what).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use vereda_domain::accounts::{Permission, Reach, Role};
use vereda_domain::audit::Actor;
use vereda_domain::message::Message;

use crate::entity::{
    call_office, formulation, household, indicator, indicator_measurement, indicator_proposal, petition,
    project, project_municipality, screening_run, territorial_office, user,
};
use crate::{Store, StoreError, StoreResult};

/// A record whose department decides who may act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A call reaches the departments of the offices it was opened with.
    Call(i32),
    Household(i32),
    Formulation(i32),
    Project(i32),
    /// A project by its public code.
    ProjectCode(String),
    /// A screening run reaches what its call reaches.
    ScreeningRun(i32),
    Measurement(i32),
    IndicatorProposal(i32),
    /// A petition reaches the department of its municipality; one without a municipality,
    /// only the national staff.
    Petition(i32),
}

/// The reach and role of the acting account. The system's own processes (the CLI, the demo
/// loader) and actors without an account row act nationally: the web only ever passes
/// accounts it has just loaded.
pub(crate) async fn reach_of<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
) -> StoreResult<(Reach, Option<Role>)> {
    let Some(id) = actor.user_id() else {
        return Ok((Reach::National, None));
    };
    let Some(row) = user::Entity::find_by_id(id).one(conn).await? else {
        return Ok((Reach::National, None));
    };
    let role: Role = row
        .role
        .parse()
        .map_err(|_| StoreError::Fault(format!("account {id} has an unknown role {:?}", row.role)))?;
    let department = match row.territorial_office_id {
        Some(office) => territorial_office::Entity::find_by_id(office)
            .one(conn)
            .await?
            .map(|o| o.department_code),
        None => None,
    };
    Ok((role.reach(department.as_deref()), Some(role)))
}

/// The DIVIPOLA codes (municipalities or departments) a record belongs to; `None` when the
/// record does not exist (the step itself then says so).
async fn places_of<C: ConnectionTrait>(conn: &C, target: Target) -> StoreResult<Option<Vec<String>>> {
    let household_place = |id: i32| async move {
        Ok::<_, StoreError>(
            household::Entity::find_by_id(id)
                .one(conn)
                .await?
                .map(|h| vec![h.municipality_code]),
        )
    };
    let project_places = |id: i32| async move {
        let places: Vec<String> = project_municipality::Entity::find()
            .filter(project_municipality::Column::ProjectId.eq(id))
            .all(conn)
            .await?
            .into_iter()
            .map(|m| m.dane_code)
            .collect();
        Ok::<_, StoreError>(Some(places))
    };
    let indicator_project = |id: i32| async move {
        Ok::<_, StoreError>(
            indicator::Entity::find_by_id(id)
                .one(conn)
                .await?
                .map(|i| i.project_id),
        )
    };
    match target {
        Target::Call(id) => {
            let offices: Vec<i32> = call_office::Entity::find()
                .filter(call_office::Column::CallId.eq(id))
                .select_only()
                .column(call_office::Column::TerritorialOfficeId)
                .into_tuple()
                .all(conn)
                .await?;
            let departments = territorial_office::Entity::find()
                .filter(territorial_office::Column::Id.is_in(offices))
                .all(conn)
                .await?
                .into_iter()
                .map(|o| o.department_code)
                .collect();
            Ok(Some(departments))
        }
        Target::Household(id) => household_place(id).await,
        Target::Formulation(id) => Ok(formulation::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|f| vec![f.municipality_code])),
        Target::Project(id) => project_places(id).await,
        Target::ProjectCode(code) => {
            match project::Entity::find()
                .filter(project::Column::Code.eq(code))
                .one(conn)
                .await?
            {
                Some(p) => project_places(p.id).await,
                None => Ok(None),
            }
        }
        Target::ScreeningRun(id) => match screening_run::Entity::find_by_id(id).one(conn).await? {
            Some(run) => Box::pin(places_of(conn, Target::Call(run.call_id))).await,
            None => Ok(None),
        },
        Target::Measurement(id) => match indicator_measurement::Entity::find_by_id(id).one(conn).await? {
            Some(m) => match indicator_project(m.indicator_id).await? {
                Some(project) => project_places(project).await,
                None => Ok(None),
            },
            None => Ok(None),
        },
        Target::IndicatorProposal(id) => match indicator_proposal::Entity::find_by_id(id).one(conn).await? {
            Some(p) => project_places(p.project_id).await,
            None => Ok(None),
        },
        Target::Petition(id) => Ok(petition::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|p| p.municipality_code.into_iter().collect())),
    }
}

/// Whether `reach` covers the record: the whole country covers every record, missing or not;
/// otherwise `None` when the record does not exist.
async fn reaches<C: ConnectionTrait>(conn: &C, reach: &Reach, target: Target) -> StoreResult<Option<bool>> {
    if *reach == Reach::National {
        return Ok(Some(true));
    }
    Ok(places_of(conn, target)
        .await?
        .map(|places| places.iter().any(|place| reach.covers(place))))
}

fn outside(reach: &Reach, permission: Permission) -> StoreError {
    StoreError::Forbidden(match reach {
        Reach::Department(department) => Message::new("scope-error-outside_office")
            .with("department", department.as_str())
            .with("article", permission.basis()),
        Reach::Nowhere | Reach::National => Message::new("scope-error-no_office"),
    })
}

/// Refuses a step whose permission the actor's role lacks (Forbidden, naming the role and the
/// provision). The system's own processes hold every permission.
pub(crate) fn refuse_unpermitted(role: Option<Role>, permission: Permission) -> StoreResult<()> {
    match role {
        Some(role) if !role.can(permission) => Err(StoreError::Forbidden(
            Message::new("scope-error-not_permitted")
                .with_term("role", format!("role-{role}"))
                .with("article", permission.basis()),
        )),
        _ => Ok(()),
    }
}

/// The one gate of a writing step on a record: the actor's role holds `permission`, then the
/// record is within the actor's reach. A missing record passes: the step reports it as not
/// found.
pub(crate) async fn check_may<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    permission: Permission,
    target: Target,
) -> StoreResult<()> {
    let (reach, role) = reach_of(conn, actor).await?;
    refuse_unpermitted(role, permission)?;
    match reaches(conn, &reach, target).await? {
        Some(false) => Err(outside(&reach, permission)),
        _ => Ok(()),
    }
}

/// The gate of a step of the procedure after formulation, whose roles the procedure's state
/// machine checks (`vereda_domain::procedure::transition`, refusing `procedure-refused-role`):
/// the record within the actor's reach, citing the provision of `permission`.
pub(crate) async fn check_reach<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    permission: Permission,
    target: Target,
) -> StoreResult<()> {
    let (reach, _) = reach_of(conn, actor).await?;
    match reaches(conn, &reach, target).await? {
        Some(false) => Err(outside(&reach, permission)),
        _ => Ok(()),
    }
}

/// The gate of a step that concerns no one record (a program, an account, reference data):
/// the actor's role holds `permission`.
pub(crate) async fn check_permission<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    permission: Permission,
) -> StoreResult<()> {
    let (_, role) = reach_of(conn, actor).await?;
    refuse_unpermitted(role, permission)
}

/// The gate of a step creating a record placed (DIVIPOLA code) somewhere: the permission,
/// then the place within the actor's reach.
pub(crate) async fn check_may_place<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    permission: Permission,
    divipola: &str,
) -> StoreResult<()> {
    let (reach, role) = reach_of(conn, actor).await?;
    refuse_unpermitted(role, permission)?;
    if reach.covers(divipola) {
        Ok(())
    } else {
        Err(outside(&reach, permission))
    }
}

/// The gate of a step on a formulation (`permission`: formulating, or recording its
/// endorsement): the permission, the reach, and, for a formulator, authorship (a third-party formulator works only on its own projects, Art.
/// 17-18).
pub(crate) async fn check_formulation_editor<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    permission: Permission,
    formulation_id: i32,
) -> StoreResult<()> {
    let (reach, role) = reach_of(conn, actor).await?;
    // The endorsement's role is the procedure's state machine's to check.
    if permission != Permission::RecordEndorsement {
        refuse_unpermitted(role, permission)?;
    }
    if let (Some(role), Some(id), Some(row)) = (
        role,
        actor.user_id(),
        formulation::Entity::find_by_id(formulation_id).one(conn).await?,
    ) && !role.may_edit_formulation(id, row.created_by)
    {
        return Err(StoreError::Forbidden(Message::new(
            "scope-error-not_own_formulation",
        )));
    }
    match reaches(conn, &reach, Target::Formulation(formulation_id)).await? {
        Some(false) => Err(outside(&reach, permission)),
        _ => Ok(()),
    }
}

/// The condition a list's query adds for an account's reach, on a column holding DIVIPOLA
/// municipality codes.
pub fn municipality_within<C: ColumnTrait>(column: C, reach: &Reach) -> sea_orm::Condition {
    match reach {
        Reach::National => sea_orm::Condition::all(),
        Reach::Department(department) => {
            sea_orm::Condition::all().add(column.starts_with(department.as_str()))
        }
        // An empty `any` is false: nothing.
        Reach::Nowhere => sea_orm::Condition::any(),
    }
}

/// The ids of the households within an account's reach, as a subquery (their municipality's
/// department, as [`Target::Household`] reaches).
pub fn households_within(reach: &Reach) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(crate::entity::household::Column::Id)
        .from(crate::entity::household::Entity)
        .cond_where(municipality_within(
            crate::entity::household::Column::MunicipalityCode,
            reach,
        ))
        .to_owned()
}

/// The condition on `calls` for an account's reach: a call opened with an office of the
/// department (as [`Target::Call`] reaches).
pub fn calls_within(reach: &Reach) -> sea_orm::Condition {
    use sea_orm::sea_query::Query;
    match reach {
        Reach::National => sea_orm::Condition::all(),
        Reach::Department(department) => {
            let offices = Query::select()
                .column(territorial_office::Column::Id)
                .from(territorial_office::Entity)
                .and_where(territorial_office::Column::DepartmentCode.eq(department.as_str()))
                .to_owned();
            let calls = Query::select()
                .column(call_office::Column::CallId)
                .from(call_office::Entity)
                .and_where(call_office::Column::TerritorialOfficeId.in_subquery(offices))
                .to_owned();
            sea_orm::Condition::all().add(crate::entity::call::Column::Id.in_subquery(calls))
        }
        Reach::Nowhere => sea_orm::Condition::any(),
    }
}

/// The condition on `projects` for an account's reach: a project with one of its
/// municipalities within it.
pub fn projects_within(reach: &Reach) -> sea_orm::Condition {
    use sea_orm::sea_query::Query;
    match reach {
        Reach::National => sea_orm::Condition::all(),
        Reach::Department(_) | Reach::Nowhere => {
            let places = Query::select()
                .column(project_municipality::Column::ProjectId)
                .from(project_municipality::Entity)
                .cond_where(municipality_within(project_municipality::Column::DaneCode, reach))
                .to_owned();
            sea_orm::Condition::all().add(project::Column::Id.in_subquery(places))
        }
    }
}

impl Store {
    /// The reach of an account (see [`Role::reach`]).
    pub async fn reach(&self, actor: &Actor) -> StoreResult<Reach> {
        Ok(reach_of(&self.db, actor).await?.0)
    }

    /// Whether a record is within `reach` (pages answer 404 for records outside it, as if
    /// they did not exist). A missing record is not within reach.
    pub async fn within_reach(&self, reach: &Reach, target: Target) -> StoreResult<bool> {
        Ok(reaches(&self.db, reach, target).await? == Some(true))
    }
}
