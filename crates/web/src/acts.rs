//! The program's acts as the web typesets and signs them (Ley 1437 de 2011; the store's
//! `acts`): the values of the award resolution, the committee's minutes and the decision of an
//! appeal, gathered from the records; and their signature, where the store draws the
//! verification code, this module typesets the PDF with the code and the address of its
//! verification page (`{public_url}/verificar/CODE`) on every page, and the store keeps the
//! bytes and their SHA-256 in the same transaction. A template that fails leaves nothing
//! signed.

use vereda_documents::minutes_pdf::{TimeParts, VerificationData};
use vereda_domain::accounts::Role;
use vereda_domain::acts::ActKind;
use vereda_domain::audit::Actor;
use vereda_store::accounts::Account;
use vereda_store::acts::{ActSigning, Appeal, Contested, SignedAct};
use vereda_store::procedure::{Award, Concept, Minutes};

use vereda_store::Store;

use crate::error::AppError;
use crate::i18n::{Lang, Message};
use crate::{AppState, WebConfig};

/// The language of the acts: the administrative acts are issued in Spanish.
const ACTS_LANGUAGE: Lang = Lang::Es;

/// The issuing office's name (the signer's office, else `issuing_office`, the act's) and the
/// signer's position, in the acts' language.
async fn office_and_position(
    store: &Store,
    signer: Option<&Account>,
    issuing_office: String,
) -> Result<(String, String), AppError> {
    let offices = store.territorial_offices().await?;
    let office = signer
        .and_then(|s| s.territorial_office_id)
        .and_then(|office| offices.iter().find(|o| o.id == office))
        .map_or(issuing_office, |o| o.name.clone());
    let position = ACTS_LANGUAGE
        .t(&format!(
            "role-{}",
            signer.map_or(Role::TerritorialDirector, |s| s.role).as_str()
        ))
        .to_owned();
    Ok((office, position))
}

/// A template's failure as the store's refusal to sign: nothing is signed.
fn typeset_failed(error: &vereda_documents::typeset::TemplateError) -> Message {
    tracing::error!(%error, "an act could not be typeset; it is not signed");
    Message::new("acts-error-typeset").with("problem", error.to_string())
}

fn verification(config: &WebConfig, facts: &ActSigning) -> Option<VerificationData> {
    Some(VerificationData::new(config.public_url(), &facts.code))
}

/// Signs the award's resolution: typeset from the records with its verification code.
pub(crate) async fn sign_award(
    store: &Store,
    config: &WebConfig,
    actor: &Actor,
    formulation_id: i32,
) -> Result<SignedAct, AppError> {
    let award = store
        .award_of(formulation_id)
        .await?
        .ok_or_else(|| AppError::new(crate::error::ErrorCode::NotFound))?;
    let record = store
        .formulation(formulation_id)
        .await?
        .ok_or_else(|| AppError::new(crate::error::ErrorCode::NotFound))?;
    let data = resolution_data(store, &record.formulation, &award).await?;
    let templates = config.templates.clone();
    Ok(store
        .sign_act(actor, ActKind::Award, award.id, |facts| {
            let mut data = data;
            data.verification = verification(config, facts);
            vereda_documents::minutes_pdf::resolution(&data, &templates, award.awarded_on)
                .map(|t| t.pdf)
                .map_err(|e| typeset_failed(&e))
        })
        .await?)
}

/// Signs the committee's minutes once final (the attendee whose signature completes them).
pub(crate) async fn sign_minutes(
    state: &AppState,
    actor: &Actor,
    session_id: i32,
) -> Result<SignedAct, AppError> {
    let minutes = state.store.minutes(session_id).await?;
    let data = minutes_data(&minutes);
    let templates = state.config.templates.clone();
    Ok(state
        .store
        .sign_act(actor, ActKind::Minutes, session_id, |facts| {
            let mut data = data;
            data.verification = verification(&state.config, facts);
            vereda_documents::minutes_pdf::minutes(&data, &templates, minutes.held_on)
                .map(|t| t.pdf)
                .map_err(|e| typeset_failed(&e))
        })
        .await?)
}

/// Signs the decision of an appeal (against an award or a household's not-eligible decision):
/// its own resolution with its number and code. `contested` is the act contested as it stood
/// when the appeal was decided ([`contested_data`], read before the decision: a revocation
/// reopens a household's verification).
pub(crate) async fn sign_decision(
    state: &AppState,
    actor: &Actor,
    appeal: &Appeal,
    contested: ContestedAct,
) -> Result<SignedAct, AppError> {
    use vereda_documents::minutes_pdf::{AppealDecisionData, SignerData};
    let signer = match actor.user_id() {
        Some(id) => state.store.account(id).await?,
        None => None,
    };
    let ContestedAct {
        data: contested,
        issuing_office,
    } = contested;
    let (office, position) = office_and_position(&state.store, signer.as_ref(), issuing_office).await?;
    let (Some(outcome), Some(decided_on), Some(number)) =
        (appeal.outcome, appeal.decided_on, appeal.decision_number.clone())
    else {
        return Err(AppError::said(
            crate::error::ErrorCode::Conflict,
            Message::new("acts-error-undecided").with("appeal", appeal.id),
        ));
    };
    let data = AppealDecisionData {
        office,
        position: position.clone(),
        number,
        date: decided_on.into(),
        contested,
        appellant: appeal.appellant_name.clone(),
        filed_on: appeal.filed_on.into(),
        late: appeal.late,
        appeal_text: appeal.text.clone(),
        outcome: outcome.as_str().to_owned(),
        reasons: appeal.decision_reasons.clone().unwrap_or_default(),
        signer: None,
        verification: None,
    };
    let templates = state.config.templates.clone();
    Ok(state
        .store
        .sign_act(actor, appeal.contested.decision_kind(), appeal.id, |facts| {
            let mut data = data;
            data.verification = verification(&state.config, facts);
            data.signer = Some(SignerData {
                name: facts.signer_name.clone(),
                position,
                signed_at: TimeParts::in_colombia(facts.signed_at),
            });
            vereda_documents::minutes_pdf::appeal_decision(&data, &templates, decided_on)
                .map(|t| t.pdf)
                .map_err(|e| typeset_failed(&e))
        })
        .await?)
}

/// The act an appeal contests, as its decision names it, and the office that issued it (in
/// the acts' language) for a signer without one.
pub(crate) struct ContestedAct {
    data: vereda_documents::minutes_pdf::ContestedData,
    issuing_office: String,
}

/// The act an appeal contests, from the records.
pub(crate) async fn contested_data(state: &AppState, contested: Contested) -> Result<ContestedAct, AppError> {
    use vereda_documents::minutes_pdf::{AwardReference, ContestedData, ProjectData};
    let not_found = || AppError::new(crate::error::ErrorCode::NotFound);
    match contested {
        Contested::Award { award_id } => {
            let award = state.store.award_by_id(award_id).await?.ok_or_else(not_found)?;
            let record = state
                .store
                .formulation(award.formulation_id)
                .await?
                .ok_or_else(not_found)?;
            let office =
                ACTS_LANGUAGE.say(&Message::new("acts-issuing-office").with("code", &award.office_code));
            Ok(ContestedAct {
                data: ContestedData::Award {
                    award: AwardReference {
                        number: award.number.clone(),
                        date: award.awarded_on.into(),
                    },
                    project: ProjectData {
                        code: record.formulation.code.clone(),
                        title: record.formulation.title.clone(),
                        municipality: crate::evaluation::municipality_name(
                            &record.formulation.municipality_code,
                        ),
                        version: 0,
                    },
                },
                issuing_office: office,
            })
        }
        Contested::NotEligible { household_id } => {
            let household = state
                .store
                .household_verification(household_id, state.config.today())
                .await?
                .ok_or_else(not_found)?;
            let decided_at = household.decided_at.ok_or_else(not_found)?;
            let call = match household.household.call_id {
                Some(call) => state.store.call(call).await?,
                None => None,
            };
            let office = call
                .as_ref()
                .and_then(|c| c.territorial_offices.first().cloned())
                .unwrap_or_else(|| ACTS_LANGUAGE.t("acts-issuing-office-national").to_owned());
            Ok(ContestedAct {
                data: ContestedData::NotEligible {
                    household: household.household.external_id.clone(),
                    call_code: call.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
                    call_name: call.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
                    decided_on: vereda_domain::calendar::date_in_colombia(decided_at).into(),
                    refusal_reasons: household.reasons.clone().unwrap_or_default(),
                },
                issuing_office: office,
            })
        }
    }
}

/// The values of an award's resolution, from the records: the office and its director, the
/// call, its latest targeting document by the award's date, the approved version's evaluation,
/// the committee's session and concept (Art. 27).
pub(crate) async fn resolution_data(
    store: &Store,
    formulation: &vereda_store::formulations::FormulationSummary,
    award: &Award,
) -> Result<vereda_documents::minutes_pdf::ResolutionData, AppError> {
    use vereda_documents::minutes_pdf::{
        Amount, CallData, CommitteeData, EvaluationData, FamiliesData, LoweredData, ProjectData,
        ResolutionData, SignerData, TargetingData, TimeParts,
    };
    let es = Lang::Es;
    let signer = match award.signed_by {
        Some(user) => store.account(user).await?,
        None => None,
    };
    let issuing_office =
        ACTS_LANGUAGE.say(&Message::new("acts-issuing-office").with("code", &award.office_code));
    let (office, position) = office_and_position(store, signer.as_ref(), issuing_office).await?;
    let minutes = store.minutes(award.session_id).await?;
    let item = minutes.agenda.iter().find(|a| a.formulation_id == formulation.id);
    let version = item.map_or(0, |a| a.version_number);
    let call = match formulation.call_id {
        Some(call) => store.call(call).await?,
        None => None,
    };
    let targeting = match &call {
        Some(call) => store
            .targeting_documents(call.id)
            .await?
            .into_iter()
            .filter(|d| vereda_domain::calendar::date_in_colombia(d.created_at) <= award.awarded_on)
            .max_by_key(|d| d.number)
            .map(|d| TargetingData {
                number: d.number,
                date: vereda_domain::calendar::date_in_colombia(d.created_at).into(),
            }),
        None => None,
    };
    let evaluation = match store.formulation_version(formulation.id, version).await? {
        Some(content) => {
            let rule_set = item
                .and_then(|a| a.evaluation_summary.as_ref())
                .and_then(|s| s.get("rule_set_id"))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            match crate::evaluation::run(content, rule_set.as_deref(), es) {
                Ok(crate::evaluation::Outcome::Evaluated(evaluated)) => {
                    Some(EvaluationData::of(version, &evaluated.evaluation))
                }
                _ => None,
            }
        }
        None => None,
    };
    Ok(ResolutionData {
        office,
        position,
        number: award.number.clone(),
        date: award.awarded_on.into(),
        project: ProjectData {
            code: formulation.code.clone(),
            title: formulation.title.clone(),
            municipality: crate::evaluation::municipality_name(&formulation.municipality_code),
            version,
        },
        call: call.as_ref().map(|c| CallData {
            code: c.code.clone(),
            name: c.name.clone(),
            year: c.budget_year,
        }),
        targeting,
        families: FamiliesData {
            count: award.families,
            screened: call.as_ref().map(|c| c.households),
            eligible: None,
        },
        evaluation,
        committee: CommitteeData {
            session: minutes.session_id,
            date: minutes.held_on.into(),
            concept: match item.and_then(|a| a.concept) {
                Some(Concept::Negative) => "negativo",
                _ => "positivo",
            }
            .to_owned(),
            text: item.and_then(|a| a.concept_text.clone()).unwrap_or_default(),
        },
        lowered: match (award.evaluated_maximum, &award.lowering_motivation) {
            (Some(maximum), Some(why)) => Some(LoweredData {
                maximum: Amount::of(maximum),
                motivation: why.clone(),
            }),
            _ => None,
        },
        motivation: award.motivation.clone(),
        contribution: Amount::of(award.institute_contribution),
        counterpart: Amount::of(award.counterpart),
        guarantee: Amount::of(award.guarantee),
        obligations: award.obligations.clone(),
        signer: signer.map(|s| SignerData {
            name: s.display_name,
            position: es.t(&format!("role-{}", s.role.as_str())).to_owned(),
            signed_at: TimeParts::in_colombia(award.signed_at),
        }),
        verification: None,
    })
}

/// The minutes' values, from the stored session (the wording is the template's, in Spanish,
/// the language of the act; positions are the roles in Spanish words).
pub(crate) fn minutes_data(minutes: &Minutes) -> vereda_documents::minutes_pdf::MinutesData {
    use vereda_documents::minutes_pdf::{AgendaData, AttendeeData, MinutesData, ObjectionData, TimeParts};
    let es = Lang::Es;
    MinutesData {
        session: minutes.session_id,
        date: minutes.held_on.into(),
        place: minutes.place.clone(),
        is_final: minutes.is_final(),
        convened: minutes.attendees.len(),
        present: minutes.attendees.iter().filter(|a| a.signed_at.is_some()).count(),
        attendees: minutes
            .attendees
            .iter()
            .map(|a| AttendeeData {
                name: a.name.clone(),
                position: a.role.parse::<Role>().map_or_else(
                    |_| a.role.clone(),
                    |r| es.t(&format!("role-{}", r.as_str())).to_owned(),
                ),
                signed_at: a.signed_at.map(TimeParts::in_colombia),
            })
            .collect(),
        agenda: minutes
            .agenda
            .iter()
            .map(|item| AgendaData {
                code: item.code.clone(),
                title: item.title.clone(),
                version: item.version_number,
                concept: item.concept.map(|c| match c {
                    Concept::Positive => "positive",
                    Concept::Negative => "negative",
                }),
                text: item.concept_text.clone().unwrap_or_default(),
            })
            .collect(),
        objections: minutes
            .objections
            .iter()
            .map(|o| ObjectionData {
                filed_by: o.filed_by.clone(),
                target: o.target.as_str(),
                target_ref: o.target_ref.clone(),
                text: o.text.clone(),
                decision: match o.upheld {
                    Some(true) => "upheld",
                    Some(false) => "rejected",
                    None => "pending",
                },
                reasons: o.reasons.clone().unwrap_or_default(),
            })
            .collect(),
        verification: None,
    }
}
