//! The staff's steps of the procedure (Art. 23-27, 31-33), shared by the pages (HTML forms)
//! and the JSON API (`api/procedure.rs`), so that both make exactly the same checks: the
//! session and its anti-forgery token ([`authorize`]), then what the store does not know about
//! (the agenda item's session, the director's territorial office and the project's department,
//! the letters after an award), then the store's own checks of role, state and the
//! regulation's gates.
//!
//! The callers only read their input: a form's text with the readers below, or JSON with serde.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;
use vereda_domain::accounts::Permission;
use vereda_domain::number::read_number;
use vereda_domain::procedure::{ProcedureAction, ProcedureState, RefusalKind, transition};
use vereda_store::accounts::Account;
use vereda_store::formulations::FormulationRecord;
use vereda_store::procedure::{
    AgendaEntry, Award, Checklist, Concept, Endorsement, Minutes, NewAward, NewEndorsement, NewObjection,
    NewSession, Objection, ObjectionTarget, TimelineEvent,
};

use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, not_found};
use crate::i18n::{Lang, Message};

/// The staff account taking a step: logged in, with access to the staff area, and sending the
/// session's anti-forgery token (a form's hidden field, or the API's `X-CSRF-Token` header).
pub async fn authorize(visitor: &Visitor, csrf_token: &str) -> Result<Account, AppError> {
    let account = visitor.require(Permission::ViewStaffArea)?.clone();
    visitor.check_csrf(csrf_token).await?;
    Ok(account)
}

// ---- Reading typed text (the forms) ----------------------------------------------------------

fn invalid(message: Message) -> AppError {
    AppError::said(ErrorCode::InvalidInput, message)
}

/// A date typed as `AAAA-MM-DD`.
pub fn read_date(text: &str) -> Result<Date, AppError> {
    text.trim()
        .parse()
        .map_err(|_| invalid(Message::new("procedure-error-date").with("value", text)))
}

/// A whole number typed in a form (families, an account id).
pub fn read_whole(text: &str) -> Result<i32, AppError> {
    text.trim()
        .parse()
        .map_err(|_| invalid(Message::new("procedure-error-whole_number").with("value", text)))
}

/// An amount typed in a form, read by the one reader of numbers (`50.000.000`, `$ 5.000.000`).
pub fn read_amount(lang: Lang, text: &str, label: &str) -> Result<Decimal, AppError> {
    read_number(text).map_err(|problem| AppError::invalid(crate::i18n::number_problem(lang, &problem, label)))
}

/// The committee's concept on an agenda item (Art. 24.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConceptChoice {
    /// With the viability report: the project becomes viable.
    Positive,
    /// With recommendations: the formulation goes back to its formulator.
    Negative,
}

impl ConceptChoice {
    pub fn parse(text: &str) -> Result<Self, AppError> {
        match text.trim() {
            "positive" => Ok(ConceptChoice::Positive),
            "negative" => Ok(ConceptChoice::Negative),
            other => Err(invalid(
                Message::new("procedure-error-concept_choice").with("value", other),
            )),
        }
    }

    fn concept(self) -> Concept {
        match self {
            ConceptChoice::Positive => Concept::Positive,
            ConceptChoice::Negative => Concept::Negative,
        }
    }
}

/// The committee's decision on an objection (Art. 24.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The objection stands: the project goes back to its formulator unless awarded.
    Upheld,
    Rejected,
}

impl Decision {
    pub fn parse(text: &str) -> Result<Self, AppError> {
        match text.trim() {
            "upheld" => Ok(Decision::Upheld),
            "rejected" => Ok(Decision::Rejected),
            other => Err(invalid(
                Message::new("procedure-error-decision_choice").with("value", other),
            )),
        }
    }
}

/// What an objection is against (Art. 24.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetChoice {
    Project,
    Family,
    Parcel,
}

impl TargetChoice {
    pub fn parse(text: &str) -> Result<Self, AppError> {
        match ObjectionTarget::parse(text.trim()) {
            Some(ObjectionTarget::Project) => Ok(TargetChoice::Project),
            Some(ObjectionTarget::Family) => Ok(TargetChoice::Family),
            Some(ObjectionTarget::Parcel) => Ok(TargetChoice::Parcel),
            None => Err(invalid(
                Message::new("procedure-error-objection_target").with("value", text),
            )),
        }
    }

    pub fn target(self) -> ObjectionTarget {
        match self {
            TargetChoice::Project => ObjectionTarget::Project,
            TargetChoice::Family => ObjectionTarget::Family,
            TargetChoice::Parcel => ObjectionTarget::Parcel,
        }
    }
}

// ---- A project's procedure -----------------------------------------------------------------

/// Everything a project's procedure shows: the page and `GET …/procedure` read the same.
pub struct Overview {
    pub record: FormulationRecord,
    pub latest: i32,
    pub state: ProcedureState,
    pub endorsements: Vec<Endorsement>,
    pub objections: Vec<Objection>,
    pub award: Option<Award>,
    pub checklist: Checklist,
    pub timeline: Vec<TimelineEvent>,
}

pub async fn overview(state: &AppState, id: i32) -> Result<Overview, AppError> {
    let record = state
        .store
        .formulation(id)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("formulation", &id.to_string())))?;
    Ok(Overview {
        latest: record.versions.last().map_or(0, |v| v.number),
        record,
        state: state.store.procedure_state(id).await?,
        endorsements: state.store.endorsements(id).await?,
        objections: state.store.objections(id).await?,
        award: state.store.award_of(id).await?,
        checklist: state.store.disbursement_checklist(id).await?,
        timeline: state.store.timeline(id).await?,
    })
}

/// The families' endorsement of the latest version (Art. 25).
pub async fn endorse(
    state: &AppState,
    account: &Account,
    id: i32,
    new: NewEndorsement,
) -> Result<Endorsement, AppError> {
    Ok(state.store.record_endorsement(&account.actor(), id, new).await?)
}

/// An objection against the project, a family or a parcel (Art. 24.6).
pub async fn object(
    state: &AppState,
    account: &Account,
    id: i32,
    new: NewObjection,
) -> Result<Objection, AppError> {
    Ok(state.store.file_objection(&account.actor(), id, new).await?)
}

/// What the award resolution says, as typed (the office comes from the account).
pub struct AwardTerms {
    pub awarded_on: Date,
    pub motivation: String,
    /// `None` awards the approved version's evaluated maximum; the store derives the
    /// counterpart and the policy from it.
    pub institute_contribution: Option<Decimal>,
    /// Why the contribution is below the maximum, when it is.
    pub lowering_motivation: String,
    pub obligations: String,
}

/// The award (Art. 27): only a territorial director, only for a project of the department of
/// the director's own office (the "respectivo director territorial"). The resolution's number
/// takes that office's code. The award letters (Art. 27, 46) are delivered after the commit.
pub async fn award(
    state: &AppState,
    account: &Account,
    id: i32,
    terms: AwardTerms,
) -> Result<Award, AppError> {
    let procedure = state.store.procedure_state(id).await?;
    // The role first: without it the office would be a misleading reason. The state is the
    // store's to check, in its transaction.
    if let Err(refusal) = transition(procedure, ProcedureAction::Award, account.role)
        && refusal.kind == RefusalKind::Role
    {
        tracing::info!(account = account.id, "award refused: not a territorial director");
        return Err(AppError::said(ErrorCode::Forbidden, refusal.message()));
    }
    let formulation = state
        .store
        .formulation(id)
        .await?
        .ok_or_else(|| AppError::said(ErrorCode::NotFound, not_found("formulation", &id.to_string())))?
        .formulation;
    // The department of the project against the director's office is the store's check.
    let Some(office) = account_office(state, account).await? else {
        tracing::info!(
            account = account.id,
            "award refused: the director has no territorial office"
        );
        return Err(invalid(Message::new("procedure-error-director_no_office")));
    };
    let new = NewAward {
        office_code: office,
        awarded_on: terms.awarded_on,
        motivation: terms.motivation,
        institute_contribution: terms.institute_contribution,
        lowering_motivation: terms.lowering_motivation,
        obligations: terms.obligations,
    };
    let actor = account.actor();
    let (award, letters) = state.store.award(&actor, id, new).await?;
    // The resolution is signed with its PDF and verification code; a template that fails
    // leaves the award unsigned (said in the log), and the resolution's page signs it again.
    if let Err(error) = crate::acts::sign_award(&state.store, &state.config, &actor, id).await {
        tracing::error!(
            formulation = id,
            ?error,
            "the award resolution could not be signed"
        );
    }
    // The award opened a project: the pages that show it, its call or the list of projects
    // show it at once; the others stay cached.
    state
        .public_pages
        .forget_award(&formulation.code, formulation.call_id);
    // By SMTP or to the outbox; a failed delivery is recorded on the letter, not undone.
    state.outbox.dispatch(&state.store, &actor, letters).await;
    Ok(award)
}

/// The code of the account's territorial office, if it has one.
async fn account_office(state: &AppState, account: &Account) -> Result<Option<String>, AppError> {
    let Some(office_id) = state.store.account_office(account.id).await? else {
        return Ok(None);
    };
    Ok(state
        .store
        .territorial_offices()
        .await?
        .into_iter()
        .find(|o| o.id == office_id)
        .map(|o| office_code(&o.name)))
}

/// The territorial office code of resolution numbers: the first three letters of the
/// office's name, after "Dirección Territorial", without accents (`Caquetá` → `CAQ`).
pub fn office_code(name: &str) -> String {
    let name = name.trim();
    let place = ["Dirección Territorial", "Direccion Territorial", "DT"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .unwrap_or(name);
    place
        .chars()
        .filter_map(|c| match c {
            'á' | 'Á' => Some('A'),
            'é' | 'É' => Some('E'),
            'í' | 'Í' => Some('I'),
            'ó' | 'Ó' => Some('O'),
            'ú' | 'Ú' | 'ü' => Some('U'),
            'ñ' | 'Ñ' => Some('N'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_uppercase()),
            _ => None,
        })
        .take(3)
        .collect()
}

/// The evidence of the joint account (Art. 32.1) and of the approved policy (Art. 32.4); a
/// blank or absent one keeps what was recorded.
pub async fn record_evidence(
    state: &AppState,
    account: &Account,
    id: i32,
    joint_account: Option<&str>,
    approved_policy: Option<&str>,
    lock_version: i32,
) -> Result<Checklist, AppError> {
    Ok(state
        .store
        .record_disbursement_evidence(&account.actor(), id, joint_account, approved_policy, lock_version)
        .await?)
}

/// The single disbursement of the institute's contribution (Art. 33).
pub async fn disburse(
    state: &AppState,
    account: &Account,
    id: i32,
    paid_on: Date,
) -> Result<Checklist, AppError> {
    let checklist = state.store.disburse(&account.actor(), id, paid_on).await?;
    // The payment puts the project in execution on the pages that show it.
    if let Some(record) = state.store.formulation(id).await? {
        let formulation = record.formulation;
        state
            .public_pages
            .forget_award(&formulation.code, formulation.call_id);
    }
    Ok(checklist)
}

// ---- The committee ---------------------------------------------------------------------------

/// Convenes a committee session with its attendees (Art. 23).
pub async fn convene(state: &AppState, account: &Account, new: NewSession) -> Result<Minutes, AppError> {
    Ok(state.store.create_session(&account.actor(), new).await?)
}

/// Puts an endorsed project's latest version on an open session's agenda.
pub async fn schedule(
    state: &AppState,
    account: &Account,
    session: i32,
    formulation: i32,
    lock_version: i32,
) -> Result<AgendaEntry, AppError> {
    Ok(state
        .store
        .add_to_agenda(&account.actor(), session, formulation, lock_version)
        .await?)
}

/// The concept on an item of this session's agenda: an item of another session is not found
/// here, so an address cannot reach into a session it does not name.
pub async fn issue_concept(
    state: &AppState,
    account: &Account,
    session: i32,
    item: i32,
    concept: ConceptChoice,
    text: &str,
    lock_version: i32,
) -> Result<AgendaEntry, AppError> {
    let minutes = state.store.minutes(session).await?;
    if !minutes.agenda.iter().any(|a| a.id == item) {
        return Err(AppError::said(
            ErrorCode::NotFound,
            not_found("agenda item", &item.to_string()),
        ));
    }
    Ok(state
        .store
        .issue_concept(&account.actor(), item, concept.concept(), text, lock_version)
        .await?)
}

/// Decides an objection in an open session (Art. 24.6).
pub async fn decide_objection(
    state: &AppState,
    account: &Account,
    session: i32,
    objection: i32,
    decision: Decision,
    reasons: &str,
) -> Result<Objection, AppError> {
    Ok(state
        .store
        .decide_objection(
            &account.actor(),
            objection,
            session,
            decision == Decision::Upheld,
            reasons,
        )
        .await?)
}

/// Draws up the minutes: the session closes and its attendees may sign.
pub async fn close(
    state: &AppState,
    account: &Account,
    session: i32,
    lock_version: i32,
) -> Result<Minutes, AppError> {
    Ok(state
        .store
        .close_session(&account.actor(), session, lock_version)
        .await?)
}

/// The logged-in attendee signs the minutes: the approval is this authenticated request.
pub async fn sign(state: &AppState, account: &Account, session: i32) -> Result<Minutes, AppError> {
    let actor = account.actor();
    let minutes = state.store.sign_minutes(&actor, session).await?;
    // The last signature makes the minutes final: the act is signed with its PDF.
    if minutes.is_final()
        && let Err(error) = crate::acts::sign_minutes(state, &actor, session).await
    {
        tracing::error!(session, ?error, "the minutes could not be signed as an act");
    }
    Ok(minutes)
}

/// The catalogue key of a procedure state: the one status every page shows of a project on
/// its way to the payment (its own page, the formulations list, the procedure).
pub fn state_key(state: ProcedureState) -> &'static str {
    match state {
        ProcedureState::Draft => "procedure-state_draft",
        ProcedureState::Submitted => "procedure-state_submitted",
        ProcedureState::Endorsed => "procedure-state_endorsed",
        ProcedureState::OnAgenda => "procedure-state_on_agenda",
        ProcedureState::Viable => "procedure-state_viable",
        ProcedureState::Returned => "procedure-state_returned",
        ProcedureState::Awarded => "procedure-state_awarded",
        ProcedureState::Disbursed => "procedure-state_disbursed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_codes_drop_accents() {
        assert_eq!(office_code("Caquetá"), "CAQ");
        assert_eq!(office_code("Nariño"), "NAR");
        assert_eq!(office_code("Dirección Territorial Caquetá"), "CAQ");
        assert_eq!(office_code("Dirección Territorial Putumayo"), "PUT");
    }

    #[test]
    fn choices_read_the_words_of_the_forms() {
        assert_eq!(
            ConceptChoice::parse("positive").ok(),
            Some(ConceptChoice::Positive)
        );
        assert_eq!(Decision::parse(" rejected ").ok(), Some(Decision::Rejected));
        assert_eq!(TargetChoice::parse("parcel").ok(), Some(TargetChoice::Parcel));
        let refused = Decision::parse("maybe").err().and_then(|e| e.message);
        assert_eq!(
            refused.as_ref().map(Message::code),
            Some("procedure-error-decision_choice")
        );
    }
}
