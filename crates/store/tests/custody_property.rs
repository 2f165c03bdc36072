//! The chain of custody as a property (docs/invariants.md): random sequences of the
//! procedure's steps, taken by random accounts of every role with adversarial values (families
//! from outside the call, figures above the screening, a version that is not viable, amounts
//! above the maximum, the wrong hands), and after every step a check, from the records alone
//! and with code of its own, that none of the invariants is broken.
//!
//! The sequences come from a seeded generator, so a failure names its case and replays.

use std::collections::HashMap;

use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use vereda_domain::accounts::Role;
use vereda_domain::audit::Actor;
use vereda_domain::finance::formulation::ParticipatingHousehold;
use vereda_domain::finance::{Evaluator, Formulation, split};
use vereda_domain::program::ProgramLine;
use vereda_domain::rules::RuleBook;
use vereda_store::accounts::NewAccount;
use vereda_store::entity::{
    agenda_item, audit_entry, award, disbursement, endorsement, formulation, formulation_version, household,
    household_verification, indicator, indicator_proposal, objection, project, screening_result,
};
use vereda_store::formulations::NewFormulationDraft;
use vereda_store::procedure::{Concept, NewAward, NewEndorsement, NewObjection, NewSession, ObjectionTarget};
use vereda_store::programs::NewCall;
use vereda_store::test_support::{TestDatabase, cocoa, make_households_ready, viable_cocoa};
use vereda_store::{Store, StoreError};

const STEPS: usize = 90;
const CODES: [&str; 4] = ["PX-1", "PX-2", "PX-3", "PX-4"];

fn admin() -> Actor {
    Actor::system("property")
}

struct World {
    store: Store,
    call_id: i32,
    budget: Decimal,
    /// Every account, with its role.
    actors: Vec<(Actor, Role)>,
    members: Vec<i32>,
}

impl World {
    async fn new(store: Store, rng: &mut ChaCha8Rng) -> World {
        let mut actors = Vec::new();
        let mut members = Vec::new();
        let roles = [
            Role::Formulator,
            Role::TerritorialOfficer,
            Role::TerritorialOfficer,
            Role::ProgramOfficer,
            Role::CommitteeMember,
            Role::CommitteeMember,
            Role::TerritorialDirector,
            Role::Auditor,
        ];
        for (i, role) in roles.into_iter().enumerate() {
            let account = store
                .create_account(
                    &admin(),
                    NewAccount {
                        email: format!("p{i}@vereda.test"),
                        display_name: format!("Cuenta {i}"),
                        role,
                        password: "una clave larga".into(),
                    },
                )
                .await
                .expect("account");
            if role == Role::CommitteeMember {
                members.push(account.id);
            }
            actors.push((account.actor(), role));
        }
        let program = store
            .create_program(&admin(), "PP", "Programa", "")
            .await
            .expect("program");
        // Room for one to three awards, so that the budget binds in some sequences.
        let budget = Decimal::from(rng.random_range(20..=160u32)) * dec!(1000000);
        let call_id = store
            .create_call(
                &admin(),
                NewCall {
                    program_id: program.id,
                    code: "PP-2013".into(),
                    name: "Convocatoria".into(),
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
        make_households_ready(
            &store,
            &admin(),
            call_id,
            "52835",
            &cocoa().frame.households,
            jiff::civil::date(2013, 8, 1),
        )
        .await
        .expect("families ready");
        World {
            store,
            call_id,
            budget,
            actors,
            members,
        }
    }

    fn anyone(&self, rng: &mut ChaCha8Rng) -> &Actor {
        &self.actors[rng.random_range(0..self.actors.len())].0
    }

    /// Usually someone whose role may take the step, sometimes anyone.
    fn someone(&self, rng: &mut ChaCha8Rng, roles: &[Role]) -> &Actor {
        let fitting: Vec<&Actor> = self
            .actors
            .iter()
            .filter(|(_, role)| roles.contains(role))
            .map(|(actor, _)| actor)
            .collect();
        if fitting.is_empty() || rng.random_bool(0.15) {
            self.anyone(rng)
        } else {
            fitting[rng.random_range(0..fitting.len())]
        }
    }

    async fn formulation_ids(&self) -> Vec<i32> {
        formulation::Entity::find()
            .all(self.store.connection())
            .await
            .expect("formulations")
            .into_iter()
            .map(|f| f.id)
            .collect()
    }
}

/// A project of the worked example, honest or not.
fn project(rng: &mut ChaCha8Rng) -> Formulation {
    let mut project = match rng.random_range(0..10) {
        // Every legal check met.
        0..=5 => viable_cocoa(),
        // Twenty families: their income is below the floor (Art. 19.6).
        6 => cocoa(),
        // A family from outside the call.
        7 => {
            let mut p = viable_cocoa();
            p.frame.households[0] = ParticipatingHousehold {
                id: "TUM-999".into(),
                max_pct: dec!(90),
                cap_smmlv: dec!(20),
                ..ParticipatingHousehold::default()
            };
            p
        }
        // More than the screening allows.
        _ => {
            let mut p = viable_cocoa();
            p.frame.households[1].cap_smmlv = dec!(24);
            p.frame.households[2].max_pct = dec!(95);
            p
        }
    };
    project.frame.code = CODES[rng.random_range(0..CODES.len())].into();
    project
}

/// How many families the latest version of a formulation has (0 when there is none).
async fn latest_families(store: &Store, id: i32) -> i32 {
    let Ok(Some(record)) = store.formulation(id).await else {
        return 0;
    };
    let Some(number) = record.versions.last().map(|v| v.number) else {
        return 0;
    };
    store
        .formulation_version(id, number)
        .await
        .ok()
        .flatten()
        .map_or(0, |f| i32::try_from(f.frame.households.len()).unwrap_or(0))
}

/// A step's outcome without its value.
fn ok<T>(result: Result<T, StoreError>) -> Result<(), StoreError> {
    result.map(|_| ())
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> Option<T> {
    (!items.is_empty()).then(|| items[rng.random_range(0..items.len())])
}

/// One random step; its outcome does not matter, only what the records hold afterwards.
async fn step(world: &World, rng: &mut ChaCha8Rng) -> (&'static str, Result<(), StoreError>) {
    let store = &world.store;
    let formulations = world.formulation_ids().await;
    let on = pick(rng, &formulations).unwrap_or(0);
    // Mostly the step that moves a project on, so that walks reach awards and payments.
    let action = if formulations.is_empty() || rng.random_bool(0.35) {
        rng.random_range(0..15)
    } else {
        use vereda_domain::procedure::ProcedureState as S;
        match store.procedure_state(on).await.expect("state") {
            S::Draft => 2,
            S::Returned => 0,
            S::Submitted => 3,
            S::Endorsed => {
                if store
                    .sessions()
                    .await
                    .expect("sessions")
                    .iter()
                    .any(|s| s.closed_at.is_none())
                {
                    7
                } else {
                    6
                }
            }
            S::OnAgenda => {
                if rng.random_bool(0.2) {
                    5
                } else {
                    8
                }
            }
            S::Viable => {
                if rng.random_bool(0.5) {
                    9
                } else {
                    10
                }
            }
            S::Awarded => [11, 12, 13, 14][rng.random_range(0..4)],
            S::Disbursed => rng.random_range(13..15),
        }
    };
    match action {
        0 | 1 => {
            let project = project(rng);
            let call = (!rng.random_bool(0.1)).then_some(world.call_id);
            let actor = world.someone(rng, &[Role::Formulator, Role::ProgramOfficer]);
            let draft = NewFormulationDraft {
                formulation: &project,
                call_id: call,
                note: None,
                // Adversarial: the writer claims it viable whatever it is.
                viable: Some(true),
                irr: None,
                rule_set_id: "incoder-308-2013".into(),
                rule_set_hash: None,
            };
            ("save", ok(store.save_formulation_draft(actor, draft).await))
        }
        2 => {
            let actor = world.someone(rng, &[Role::Formulator, Role::ProgramOfficer]);
            ("submit", ok(store.submit_formulation(actor, on).await))
        }
        3 => {
            let actor = world.someone(rng, &[Role::TerritorialOfficer]);
            // Mostly a majority of the latest version's families, sometimes any number.
            let families = latest_families(store, on).await;
            let endorsing = if families > 0 && rng.random_bool(0.75) {
                rng.random_range(families / 2 + 1..=families)
            } else {
                rng.random_range(0..=21)
            };
            let new = NewEndorsement {
                endorsed_on: jiff::civil::date(2013, 9, 20),
                families_endorsing: endorsing,
                minutes: "Asamblea".into(),
            };
            ("endorse", ok(store.record_endorsement(actor, on, new).await))
        }
        4 => {
            let actor = world.someone(rng, &[Role::ProgramOfficer]);
            let new = NewObjection {
                target: [
                    ObjectionTarget::Project,
                    ObjectionTarget::Family,
                    ObjectionTarget::Parcel,
                ][rng.random_range(0..3)],
                target_ref: "TUM-003".into(),
                filed_by: "Veeduría".into(),
                text: "Oposición".into(),
            };
            ("object", ok(store.file_objection(actor, on, new).await))
        }
        5 => {
            let pending: Vec<i32> = objection::Entity::find()
                .filter(objection::Column::Decision.is_null())
                .all(store.connection())
                .await
                .expect("objections")
                .iter()
                .map(|o| o.id)
                .collect();
            let sessions: Vec<i32> = store
                .sessions()
                .await
                .expect("sessions")
                .iter()
                .map(|s| s.id)
                .collect();
            let (Some(objection), Some(session)) = (pick(rng, &pending), pick(rng, &sessions)) else {
                return ("idle", Ok(()));
            };
            let actor = world.someone(rng, &[Role::CommitteeMember]);
            let upheld = rng.random_bool(0.3);
            (
                "decide_objection",
                ok(store
                    .decide_objection(actor, objection, session, upheld, "Decidida")
                    .await),
            )
        }
        6 => {
            let actor = world.someone(rng, &[Role::ProgramOfficer]);
            let new = NewSession {
                held_on: jiff::civil::date(2013, 10, 1),
                place: "Pasto".into(),
                attendees: world.members.clone(),
            };
            ("session", ok(store.create_session(actor, new).await))
        }
        7 => {
            let sessions = store.sessions().await.expect("sessions");
            let Some(session) = sessions.iter().find(|s| s.closed_at.is_none()) else {
                return ("idle", Ok(()));
            };
            let actor = world.someone(rng, &[Role::ProgramOfficer]);
            (
                "agenda",
                ok(store
                    .add_to_agenda(actor, session.id, on, session.lock_version)
                    .await),
            )
        }
        8 => {
            let undecided: Vec<(i32, i32)> = agenda_item::Entity::find()
                .filter(agenda_item::Column::Concept.is_null())
                .all(store.connection())
                .await
                .expect("agenda")
                .iter()
                .map(|a| (a.id, a.lock_version))
                .collect();
            let Some((item, lock)) = pick(rng, &undecided) else {
                return ("idle", Ok(()));
            };
            let concept = if rng.random_bool(0.7) {
                Concept::Positive
            } else {
                Concept::Negative
            };
            let actor = world.someone(rng, &[Role::CommitteeMember]);
            (
                "concept",
                ok(store
                    .issue_concept(actor, item, concept, "Concepto del comité", lock)
                    .await),
            )
        }
        9 => {
            let sessions = store.sessions().await.expect("sessions");
            let Some(session) = sessions.iter().find(|s| s.closed_at.is_none()) else {
                return ("idle", Ok(()));
            };
            let closer = world.someone(rng, &[Role::ProgramOfficer]);
            let closed = store
                .close_session(closer, session.id, session.lock_version)
                .await;
            for (actor, role) in &world.actors {
                if *role == Role::CommitteeMember {
                    let _ = store.sign_minutes(actor, session.id).await;
                }
            }
            ("close", ok(closed))
        }
        10 => {
            let actor = world.someone(rng, &[Role::TerritorialDirector]);
            let contribution = match rng.random_range(0..5) {
                0 | 4 => None,
                1 => Some(Decimal::from(rng.random_range(1..=400u32)) * dec!(1000000)),
                2 => Some(Decimal::from(rng.random_range(1..=40u32)) * dec!(1000000)),
                _ => Some(dec!(-5)),
            };
            let new = NewAward {
                office_code: "NAR".into(),
                awarded_on: jiff::civil::date(2013, 10, 15),
                motivation: "Concepto positivo".into(),
                institute_contribution: contribution,
                lowering_motivation: if rng.random_bool(0.5) {
                    "Presupuesto".into()
                } else {
                    String::new()
                },
                obligations: String::new(),
            };
            ("award", ok(store.award(actor, on, new).await))
        }
        11 => {
            let actor = world.someone(rng, &[Role::TerritorialOfficer, Role::TerritorialDirector]);
            let lock = store
                .disbursement_checklist(on)
                .await
                .map_or(0, |c| c.lock_version);
            let account = rng.random_bool(0.7).then_some("Cuenta conjunta 1");
            let policy = rng.random_bool(0.7).then_some("Póliza 7");
            (
                "evidence",
                ok(store
                    .record_disbursement_evidence(actor, on, account, policy, lock)
                    .await),
            )
        }
        12 => {
            let actor = world.someone(rng, &[Role::TerritorialOfficer, Role::TerritorialDirector]);
            // The award is notified on its date, so that it is firm by the payment's
            // (CPACA Art. 87); a formulation not awarded has nothing to notify.
            let _ =
                vereda_store::test_support::notify_award(store, actor, on, jiff::civil::date(2013, 10, 15))
                    .await;
            (
                "disburse",
                ok(store.disburse(actor, on, jiff::civil::date(2013, 11, 5)).await),
            )
        }
        13 => {
            // A new goal for a published indicator of an awarded project.
            let Ok(Some(code)) = store.project_of_formulation(on).await else {
                return ("idle", Ok(()));
            };
            let number = rng.random_range(1..=3);
            let Ok(Some(edit)) = store.indicator_for_edit(&code, number).await else {
                return ("idle", Ok(()));
            };
            let actor = world.someone(rng, &[Role::TerritorialOfficer, Role::ProgramOfficer]);
            let draft = vereda_store::projects::IndicatorProposalDraft {
                baseline: Decimal::ZERO,
                goal: Decimal::from(rng.random_range(1..=50u32)),
                unit: edit.progress.unit,
                reason: if rng.random_bool(0.9) {
                    "Ajuste de metas".into()
                } else {
                    String::new()
                },
                lock_version: edit.lock_version + i32::from(rng.random_bool(0.1)),
            };
            (
                "propose",
                ok(store.propose_indicator_change(actor, &code, number, draft).await),
            )
        }
        _ => {
            let pending: Vec<i32> = indicator_proposal::Entity::find()
                .filter(indicator_proposal::Column::Status.eq("submitted"))
                .all(store.connection())
                .await
                .expect("proposals")
                .iter()
                .map(|p| p.id)
                .collect();
            let Some(proposal) = pick(rng, &pending) else {
                return ("idle", Ok(()));
            };
            // Anyone, the submitter included.
            let actor = world.anyone(rng);
            let review = if rng.random_bool(0.8) {
                vereda_store::projects::Review::Approve
            } else {
                vereda_store::projects::Review::Return {
                    comment: "Sustente".into(),
                }
            };
            (
                "review",
                ok(store.review_indicator_proposal(actor, proposal, review).await),
            )
        }
    }
}

/// What the records say is broken, in words; empty when the invariants hold.
async fn broken(world: &World) -> Vec<String> {
    let db = world.store.connection();
    let mut broken = Vec::new();
    let rules = RuleBook::shipped()
        .expect("rules")
        .get("incoder-308-2013")
        .and_then(|set| set.financial.clone())
        .expect("financial rules");
    let versions: HashMap<(i32, i32), Formulation> = formulation_version::Entity::find()
        .all(db)
        .await
        .expect("versions")
        .into_iter()
        .map(|v| {
            (
                (v.formulation_id, v.number),
                serde_json::from_str(&v.content).expect("content"),
            )
        })
        .collect();
    let latest = |id: i32| {
        versions
            .iter()
            .filter(|((f, _), _)| *f == id)
            .max_by_key(|((_, n), _)| *n)
            .map(|(_, content)| content.clone())
    };
    let households: HashMap<String, household::Model> = household::Entity::find()
        .filter(household::Column::CallId.eq(world.call_id))
        .all(db)
        .await
        .expect("households")
        .into_iter()
        .map(|h| (h.external_id.clone(), h))
        .collect();
    let screenings: HashMap<String, screening_result::Model> = screening_result::Entity::find()
        .all(db)
        .await
        .expect("screenings")
        .into_iter()
        .map(|s| (s.external_id.clone(), s))
        .collect();
    let verified: HashMap<i32, String> = household_verification::Entity::find()
        .all(db)
        .await
        .expect("verifications")
        .into_iter()
        .map(|v| (v.household_id, v.status))
        .collect();
    let families_ok = |content: &Formulation| {
        content.frame.households.iter().all(|f| {
            let (Some(h), Some(s)) = (households.get(&f.id), screenings.get(&f.id)) else {
                return false;
            };
            s.eligible
                && s.cofinancing_max_pct.is_some_and(|p| f.max_pct <= p.0)
                && s.cap_smmlv.is_some_and(|c| f.cap_smmlv <= c.0)
                && verified.get(&h.id).map(String::as_str) == Some("eligible")
        })
    };
    // 1. Every formulation past its draft holds only families of its call, screened and verified
    // eligible, within their screening's figures (and drafts filed in the call within them).
    for f in formulation::Entity::find().all(db).await.expect("formulations") {
        let Some(content) = latest(f.id) else { continue };
        let within = content.frame.households.iter().all(|h| {
            screenings.get(&h.id).is_none_or(|s| {
                s.cofinancing_max_pct.is_none_or(|p| h.max_pct <= p.0)
                    && s.cap_smmlv.is_none_or(|c| h.cap_smmlv <= c.0)
            })
        });
        if f.call_id == Some(world.call_id) && !within {
            broken.push(format!("1: {} gives a family more than its screening", f.code));
        }
        if f.status != "draft" && (f.call_id != Some(world.call_id) || !families_ok(&content)) {
            broken.push(format!(
                "1: {} is {} with families not from the call's screening and verification",
                f.code, f.status
            ));
        }
    }
    // 2. An endorsement only of versions whose every parcel is suitable.
    for e in endorsement::Entity::find().all(db).await.expect("endorsements") {
        let content = &versions[&(e.formulation_id, e.version_number)];
        let ids: Vec<i32> = content
            .frame
            .households
            .iter()
            .filter_map(|f| households.get(&f.id))
            .map(|h| h.id)
            .collect();
        let parcels = world.store.parcels_of(&ids).await.expect("parcels");
        if ids.len() != content.frame.households.len() || parcels.iter().any(|p| !p.standing.is_suitable()) {
            broken.push(format!("2: endorsement {} with a parcel not suitable", e.id));
        }
    }
    // 3. A positive concept only on a viable version; 4. no concept while an objection waited.
    let objections = objection::Entity::find().all(db).await.expect("objections");
    for item in agenda_item::Entity::find().all(db).await.expect("agenda") {
        let (Some(concept), Some(decided_at)) = (&item.concept, item.decided_at) else {
            continue;
        };
        if concept == "positive" {
            let content = &versions[&(item.formulation_id, item.version_number)];
            let viable = Evaluator::new(&rules)
                .evaluate(content)
                .is_ok_and(|e| e.verdict.viable);
            if !viable {
                broken.push(format!(
                    "3: positive concept {} on a version that is not viable",
                    item.id
                ));
            }
        }
        let waited = objections.iter().any(|o| {
            o.formulation_id == item.formulation_id
                && o.filed_at.0 < decided_at.0
                && o.decided_at.is_none_or(|d| d.0 > decided_at.0)
        });
        if waited {
            broken.push(format!("4: concept {} while an objection was undecided", item.id));
        }
    }
    // 5. Each award within the evaluated maximum, the rest derived, the approved families.
    let awards = award::Entity::find().all(db).await.expect("awards");
    for a in &awards {
        let positive = agenda_item::Entity::find()
            .filter(agenda_item::Column::FormulationId.eq(a.formulation_id))
            .filter(agenda_item::Column::Concept.eq("positive"))
            .one(db)
            .await
            .expect("concept");
        let Some(positive) = positive else {
            broken.push(format!("5: award {} without a positive concept", a.number));
            continue;
        };
        let content = &versions[&(a.formulation_id, positive.version_number)];
        let Ok(split) = split(content, &rules) else {
            broken.push(format!("5: award {} of a version that cannot be split", a.number));
            continue;
        };
        let contribution = a.institute_contribution.0;
        let derived = a.counterpart.0 == split.project_value - contribution
            && a.guarantee.0 == (contribution * dec!(0.10)).ceil();
        let explained = contribution == split.contribution
            || a.lowering_motivation
                .as_deref()
                .is_some_and(|m| !m.trim().is_empty());
        if contribution > split.contribution
            || contribution <= Decimal::ZERO
            || !derived
            || !explained
            || a.families as usize != content.frame.households.len()
        {
            broken.push(format!("5: award {} breaks its amounts or families", a.number));
        }
        if !families_ok(content) {
            broken.push(format!("1: award {} of families not verified", a.number));
        }
    }
    // 6. The call's awards within its budget.
    let total: Decimal = awards.iter().map(|a| a.institute_contribution.0).sum();
    if total > world.budget {
        broken.push(format!("6: awards {total} above the budget {}", world.budget));
    }
    // 7. The payment exactly the award, once, by hands that recorded no evidence.
    for d in disbursement::Entity::find().all(db).await.expect("disbursements") {
        let Some(paid_by) = d.paid_by.filter(|_| d.paid_on.is_some()) else {
            continue;
        };
        let Some(a) = awards.iter().find(|a| a.formulation_id == d.formulation_id) else {
            broken.push(format!("7: payment {} without an award", d.id));
            continue;
        };
        if d.amount.map(|x| x.0) != Some(a.institute_contribution.0) {
            broken.push(format!("7: payment {} is not the award", d.id));
        }
        let by_payer = audit_entry::Entity::find()
            .filter(audit_entry::Column::Entity.eq("disbursements"))
            .filter(audit_entry::Column::EntityId.eq(d.id.to_string()))
            .filter(audit_entry::Column::ActorUserId.eq(paid_by))
            .all(db)
            .await
            .expect("audit");
        if by_payer.len() != 1 || d.policy_approved_by == Some(paid_by) {
            broken.push(format!("7: payment {} by who recorded its evidence", d.id));
        }
    }
    // 8. Published figures change only through a proposal another account approved.
    let proposals = indicator_proposal::Entity::find()
        .all(db)
        .await
        .expect("proposals");
    for p in proposals.iter().filter(|p| p.status == "approved") {
        if p.reviewed_by.is_none_or(|reviewer| reviewer == p.submitted_by) {
            broken.push(format!("8: proposal {} approved by its submitter", p.id));
        }
    }
    let awarded_projects: Vec<i32> = project::Entity::find()
        .filter(project::Column::AwardId.is_not_null())
        .all(db)
        .await
        .expect("projects")
        .iter()
        .map(|p| p.id)
        .collect();
    let figures = |value: &serde_json::Value| {
        let decimal = |field: &str| {
            value[field]
                .as_str()
                .and_then(|t| Decimal::from_str_exact(t).ok())
        };
        Some((
            decimal("goal")?,
            decimal("baseline")?,
            value["unit"].as_str()?.to_owned(),
        ))
    };
    for i in indicator::Entity::find()
        .filter(indicator::Column::ProjectId.is_in(awarded_projects))
        .all(db)
        .await
        .expect("indicators")
    {
        let approved = proposals
            .iter()
            .filter(|p| p.indicator_id == i.id && p.status == "approved")
            .max_by_key(|p| p.reviewed_at.map(|t| t.0));
        let expected = match approved {
            Some(p) => Some((p.goal.0.normalize(), p.baseline.0.normalize(), p.unit.clone())),
            // Never changed: as the award opened it (its audit record of creation).
            None => audit_entry::Entity::find()
                .filter(audit_entry::Column::Entity.eq("indicators"))
                .filter(audit_entry::Column::EntityId.eq(i.id.to_string()))
                .filter(audit_entry::Column::Action.eq("create"))
                .one(db)
                .await
                .expect("audit")
                .and_then(|e| e.after)
                .and_then(|after| serde_json::from_str::<serde_json::Value>(&after).ok())
                .and_then(|after| figures(&after)),
        };
        let now = (i.goal.0.normalize(), i.baseline.0.normalize(), i.unit.clone());
        match expected {
            None => broken.push(format!("8: indicator {} has no record of its creation", i.id)),
            Some(expected) if expected != now => {
                broken.push(format!(
                    "8: indicator {} changed without an approved proposal",
                    i.id
                ));
            }
            Some(_) => {}
        }
    }
    broken
}

async fn walk(db: TestDatabase, case: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(case);
    let world = World::new(db.store.clone(), &mut rng).await;
    let mut trail = Vec::new();
    for _ in 0..STEPS {
        let (name, outcome) = step(&world, &mut rng).await;
        trail.push(format!(
            "{name}: {}",
            outcome.as_ref().map_or_else(
                |e| format!("{e:?}").chars().take(80).collect(),
                |_| "ok".to_owned()
            )
        ));
        let broken = broken(&world).await;
        assert!(broken.is_empty(), "case {case}: {broken:?}\nafter {trail:#?}");
    }
    if std::env::var("PROPERTY_TRAIL").is_ok() {
        println!("{trail:#?}");
    }
    let took = |name: &str| trail.iter().filter(|t| *t == &format!("{name}: ok")).count();
    println!(
        "case {case}: {} submitted, {} endorsed, {} concepts, {} awards, {} payments, {} proposals, {} reviews, {} refusals",
        took("submit"),
        took("endorse"),
        took("concept"),
        took("award"),
        took("disburse"),
        took("propose"),
        took("review"),
        trail.iter().filter(|t| !t.ends_with(": ok")).count()
    );
}

#[tokio::test]
async fn no_sequence_of_steps_breaks_the_chain_of_custody_on_sqlite() {
    for case in 0..16 {
        walk(
            vereda_store::test_support::sqlite().await.expect("database"),
            case,
        )
        .await;
    }
}

#[tokio::test]
async fn no_sequence_of_steps_breaks_the_chain_of_custody_on_postgresql() {
    for case in 100..104 {
        let Some(db) = vereda_store::test_support::postgres().await else {
            return;
        };
        walk(db, case).await;
    }
}
