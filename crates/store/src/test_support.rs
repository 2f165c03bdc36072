//! Fresh, isolated databases for tests: a new SQLite file, or a new PostgreSQL database
//! created from `VEREDA_TEST_POSTGRES_URL`. Tests never share one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::ConnectionTrait;

use crate::{Store, StoreError, StoreResult};

/// The variable that names the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "VEREDA_TEST_POSTGRES_URL";
/// When set, a missing PostgreSQL server fails the tests instead of skipping them (CI).
pub const REQUIRE_POSTGRES_VAR: &str = "VEREDA_REQUIRE_POSTGRES";

/// A migrated database that lives as long as this value (SQLite) or until the next test run
/// sweeps it (PostgreSQL).
pub struct TestDatabase {
    pub store: Store,
    pub url: String,
    _dir: Option<TempDir>,
}

/// A temporary directory removed on drop, without pulling a crate into the library.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The SQL statements a store ran since the last [`StatementLog::take`], to catch queries run
/// once per row (N+1) by counting them for a few rows and for many.
#[derive(Clone, Debug, Default)]
pub struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    /// The statements run since the last call, oldest first; the log starts empty again.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Store {
    /// Logs every statement this store (and every clone made of it afterwards) runs, in
    /// transactions too. Clones made before keep running unlogged: the callback lives in
    /// each copy of the connection.
    pub fn log_statements(&mut self) -> StatementLog {
        let log = StatementLog::default();
        let sink = log.clone();
        self.db.set_metric_callback(move |info| {
            sink.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(info.statement.to_string());
        });
        log
    }
}

/// A new, migrated SQLite database in its own file.
pub async fn sqlite() -> StoreResult<TestDatabase> {
    let dir = std::env::temp_dir().join(format!("vereda_test_{}", unique_suffix()));
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::Connect(format!("{}: {e}", dir.display())))?;
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestDatabase {
        store,
        url,
        _dir: Some(TempDir(dir)),
    })
}

/// Why the PostgreSQL suite cannot run here, if it cannot.
pub fn postgres_unavailable_reason() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => None,
        _ => Some(format!(
            "{POSTGRES_URL_VAR} is not set (for example postgres://postgres@127.0.0.1:5432/test)"
        )),
    }
}

/// Whether a missing PostgreSQL server must fail the run.
pub fn postgres_required() -> bool {
    std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v == "1" || v == "true")
}

/// A new, migrated PostgreSQL database, or `None` (with the reason printed) when the suite
/// is not configured here. Panics when it is required but unavailable.
pub async fn postgres() -> Option<TestDatabase> {
    if let Some(reason) = postgres_unavailable_reason() {
        assert!(
            !postgres_required(),
            "the PostgreSQL suite is required but {reason}"
        );
        eprintln!("skipped on PostgreSQL: {reason}");
        return None;
    }
    match create_postgres_database().await {
        Ok(db) => Some(db),
        Err(e) => panic!("cannot create a PostgreSQL test database: {e}"),
    }
}

async fn create_postgres_database() -> StoreResult<TestDatabase> {
    let url = create_empty_postgres_database().await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestDatabase {
        store,
        url,
        _dir: None,
    })
}

/// The URL of a new PostgreSQL database with nothing in it, not even the schema (for tests
/// of migrating itself), or `None` (with the reason printed) when the suite is not
/// configured here.
pub async fn postgres_empty() -> Option<String> {
    if let Some(reason) = postgres_unavailable_reason() {
        assert!(
            !postgres_required(),
            "the PostgreSQL suite is required but {reason}"
        );
        eprintln!("skipped on PostgreSQL: {reason}");
        return None;
    }
    match create_empty_postgres_database().await {
        Ok(url) => Some(url),
        Err(e) => panic!("cannot create a PostgreSQL test database: {e}"),
    }
}

async fn create_empty_postgres_database() -> StoreResult<String> {
    let admin_url = std::env::var(POSTGRES_URL_VAR).map_err(|e| StoreError::Connect(e.to_string()))?;
    let admin = Store::connect(&admin_url).await?;
    let now = jiff::Timestamp::now().as_second();
    let name = format!("vereda_test_{now}_{}", unique_suffix());
    sweep_old_databases(&admin, now).await?;
    admin
        .connection()
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| StoreError::BadDatabaseUrl(admin_url.clone()))?;
    Ok(format!("{base}/{name}"))
}

/// Drops test databases left by runs more than an hour old.
async fn sweep_old_databases(admin: &Store, now: i64) -> StoreResult<()> {
    use sea_orm::Statement;
    let rows = admin
        .connection()
        .query_all_raw(Statement::from_string(
            admin.backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'vereda_test_%'",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "datname")?;
        let created = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(now);
        if now - created > 3600 {
            let _ = admin
                .connection()
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
    Ok(())
}

/// Gives an account the territorial office of `department` (two DIVIPOLA digits), creating
/// the office the first time, so that a territorial role reaches that department's records.
pub async fn assign_office_in(
    store: &Store,
    actor: &vereda_domain::audit::Actor,
    account_id: i32,
    department: &str,
) -> StoreResult<i32> {
    let office = match store
        .territorial_offices()
        .await?
        .into_iter()
        .find(|o| o.department_code == department)
    {
        Some(office) => office.id,
        None => {
            let code = vereda_domain::territory::DepartmentCode::parse(department)
                .map_err(|e| StoreError::Fault(e.to_string()))?;
            store
                .create_territorial_office(actor, &format!("Dirección Territorial {department}"), code)
                .await?
                .id
        }
    };
    store
        .assign_territorial_office(actor, account_id, Some(office))
        .await?;
    Ok(office)
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
    use vereda_domain::parcel::SiteCondition;
    use vereda_domain::program::ProgramLine;
    use vereda_domain::territory::DaneCode;
    use vereda_domain::verification::VerificationStatus;

    use crate::households::NewParcel;
    use crate::parcels::{ConditionCheck, NewFieldVisit, NewTitleStudy};
    use crate::screening::{CompletedRun, NewScreeningResult, NewScreeningRun, RunInput, RunProgress};
    use crate::verification::{Decision, NewHouseholdDocument};

    let place =
        DaneCode::parse(municipality).map_err(|e| StoreError::Fault(format!("{municipality}: {e}")))?;
    let suffix = unique_suffix();
    let document_of = |i: usize| format!("9{}{i:04}", call_id % 10_000);
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
    let registered = store.households(Some(call_id)).await?;
    let mut ids = Vec::new();
    for (i, family) in families.iter().enumerate() {
        let external_id = &family.id;
        let household = registered
            .iter()
            .find(|h| &h.external_id == external_id)
            .ok_or_else(|| StoreError::Fault(format!("{external_id} was not registered")))?;
        let parcel = store
            .add_parcel(
                actor,
                household.id,
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
                household.id,
                parcel.id,
                NewTitleStudy {
                    title_record: format!("420-{i}"),
                    owner_name: format!("Familia {external_id}"),
                    owner_document: document_of(i),
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
                household.id,
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
            .household_verification(household.id, today)
            .await?
            .ok_or_else(|| StoreError::Fault(format!("{external_id} has no verification")))?;
        for kind in &state.missing {
            store
                .receive_household_document(
                    actor,
                    household.id,
                    NewHouseholdDocument {
                        kind: *kind,
                        file_name: format!("{kind}.pdf"),
                        content_type: "application/pdf".to_owned(),
                        size_bytes: 1000,
                        sha256: "0".repeat(64),
                    },
                    today,
                )
                .await?;
        }
        let lock_version = store
            .household_verification(household.id, today)
            .await?
            .map_or(0, |s| s.lock_version);
        store
            .decide_verification(
                actor,
                household.id,
                Decision {
                    status: VerificationStatus::Eligible,
                    reasons: String::new(),
                    lock_version,
                },
                today,
            )
            .await?;
        ids.push(household.id);
    }
    Ok(ids)
}

/// The worked example of docs/formulation.md, as shipped: 20 families, not viable (their
/// income is below the floor of Art. 19.6).
pub fn cocoa() -> vereda_domain::finance::Formulation {
    toml::from_str(include_str!("../../../examples/cacao-tumaco.toml"))
        .unwrap_or_else(|e| panic!("the cocoa example does not parse: {e}"))
}

/// The worked example for its first 10 families: the same project, whose income per family
/// then passes the floor of Art. 19.6, so every legal check of the evaluation is met.
pub fn viable_cocoa() -> vereda_domain::finance::Formulation {
    let mut project = cocoa();
    project.frame.households.truncate(10);
    project
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
