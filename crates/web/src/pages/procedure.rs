//! The program's procedure in the browser (Art. 23-27, 31-33): a project's procedure page
//! (state, families' endorsement, objections, award, disbursement checklist and timeline), the
//! committee's sessions (attendance, agenda, concepts, objections, minutes and their
//! signatures), the award resolution and the comparison of two versions.
//!
//! Every step goes through `vereda_store::procedure`, which checks the state and the role of
//! the logged-in account and answers 403, 409 or 422 with the reason; nothing changes then,
//! and the page comes back with that status, the reason beside the form and what was typed
//! (a stale form also says who took the last step).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::acts::ActKind;
use vereda_domain::number::format_number;
use vereda_domain::procedure::ProcedureState;
use vereda_store::accounts::Account;
use vereda_store::procedure::{
    Award, Concept, Endorsement, FieldChange, Minutes, NewEndorsement, NewObjection, NewSession, Objection,
    Requirement, TimelineEvent,
};

use super::confirm::Confirmable;
use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode};
use crate::form_errors::FieldErrors;
use crate::form_step::done_or_again;
use crate::i18n::{Lang, Message};
use crate::lists::{FilterView, ListParams, ListView};
use crate::procedure_actions::{
    self as actions, AwardTerms, ConceptChoice, Decision, TargetChoice, authorize, read_amount, read_date,
    read_whole,
};
use vereda_domain::message::Arg;
use vereda_store::lists::{SESSION_STATES, SessionList};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/formulaciones/{id}/procedimiento", get(show))
        .route("/personal/formulaciones/{id}/aval", post(endorse))
        .route("/personal/formulaciones/{id}/oposiciones", post(object))
        .route(
            "/personal/formulaciones/{id}/adjudicacion",
            get(resolution).post(award),
        )
        .route("/personal/formulaciones/{id}/resolucion.pdf", get(resolution_pdf))
        .route("/personal/formulaciones/{id}/desembolso/soportes", post(evidence))
        .route("/personal/formulaciones/{id}/desembolso", post(disburse))
        .route("/personal/formulaciones/{id}/comparar", get(diff))
        .route("/personal/comite", get(sessions).post(create_session))
        .route("/personal/comite/{id}", get(session))
        .route("/personal/comite/{id}/agenda", post(schedule))
        .route("/personal/comite/{id}/conceptos/{item}", post(concept))
        .route("/personal/comite/{id}/oposiciones/{objection}", post(decide))
        .route("/personal/comite/{id}/acta", post(close))
        .route("/personal/comite/{id}/firma", post(sign))
        .route("/personal/comite/{id}/acta.pdf", get(minutes_pdf))
}

fn requirement_key(requirement: Requirement) -> &'static str {
    match requirement {
        Requirement::JointAccount => "procedure-req_joint_account",
        Requirement::PositiveConcept => "procedure-req_positive_concept",
        Requirement::Resolution => "procedure-req_resolution",
        Requirement::ApprovedPolicy => "procedure-req_approved_policy",
    }
}

// ---- Refused forms ---------------------------------------------------------------------------

/// A step the rules or the store refused, shown on its page beside its form, with what was typed.
struct Refusal {
    /// Which form: `endorsement`, `objection`, `award`, `evidence`, `disburse`, `agenda`,
    /// `concept-{item}`, `decision-{objection}`, `close`, `sign`.
    form: String,
    /// The stable code (`data-problem`).
    problem: String,
    said: String,
    /// Not the visitor's step to take (403): the form is not shown again.
    forbidden: bool,
    /// For a stale form (409): who did what last, and the kind of that step.
    last_change: Option<(&'static str, String)>,
}

/// What the user typed in a form: `form.field` → text.
type Typed = Vec<(String, String)>;

/// A refused step: the form, the error and what the user typed.
struct Failed {
    form: String,
    error: AppError,
    typed: Typed,
}

impl Failed {
    fn new(form: impl Into<String>, error: AppError, typed: Typed) -> Self {
        Self {
            form: form.into(),
            error,
            typed,
        }
    }

    /// The refusal and its status, or the error itself when it is no refusal of the step
    /// (not found, internal): those keep the error page.
    fn refusal(self, lang: Lang) -> Result<(StatusCode, Refusal, Typed), AppError> {
        let error = self.error;
        if !matches!(
            error.code,
            ErrorCode::InvalidInput | ErrorCode::Conflict | ErrorCode::Forbidden
        ) {
            return Err(error);
        }
        let said = match (&error.message, &error.detail) {
            (Some(message), _) => lang.say(message),
            (None, Some(detail)) => detail.clone(),
            (None, None) => lang.t(&format!("error-{}", error.code.name())).to_owned(),
        };
        let problem = error
            .message
            .as_ref()
            .map_or_else(|| error.code.name().to_owned(), |m| m.code().to_owned());
        Ok((
            error.code.status(),
            Refusal {
                form: self.form,
                problem,
                said,
                forbidden: error.code == ErrorCode::Forbidden,
                last_change: None,
            },
            self.typed,
        ))
    }
}

fn typed(form: &str, fields: &[(&str, &str)]) -> Typed {
    fields
        .iter()
        .map(|(name, value)| (format!("{form}.{name}"), (*value).to_owned()))
        .collect()
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "version" => "procedure-kind_version",
        "endorsement" => "procedure-kind_endorsement",
        "agenda" => "procedure-kind_agenda",
        "concept" => "procedure-kind_concept",
        "signature" => "procedure-kind_signature",
        "objection" => "procedure-kind_objection",
        "objection_decided" => "procedure-kind_objection_decided",
        "award" => "procedure-kind_award",
        "disbursement" => "procedure-kind_disbursement",
        _ => "procedure-kind_status",
    }
}

/// The last event of a timeline, where a status change is taken as the step that made it (the
/// same account within a second before it: a concept, say, returns or approves the project).
fn step_of_last_change(mut timeline: Vec<TimelineEvent>) -> Option<TimelineEvent> {
    let last = timeline.pop()?;
    if last.kind != "audit" {
        return Some(last);
    }
    let step = timeline.into_iter().rev().find(|e| {
        e.kind != "audit"
            && e.actor == last.actor
            && last.at.duration_since(e.at) <= jiff::SignedDuration::from_secs(1)
    });
    Some(step.unwrap_or(last))
}

/// The latest step in the history of these projects, said in the visitor's language: what a
/// stale form's author needs to know (who acted meanwhile, and when).
async fn last_change(
    state: &AppState,
    lang: Lang,
    formulations: &[i32],
) -> Result<Option<(&'static str, String)>, AppError> {
    let mut latest: Option<TimelineEvent> = None;
    for id in formulations {
        if let Some(event) = step_of_last_change(state.store.timeline(*id).await?)
            && latest.as_ref().is_none_or(|l| event.at > l.at)
        {
            latest = Some(event);
        }
    }
    Ok(latest.map(|event| {
        let local = event.at.to_zoned(jiff::tz::Offset::constant(-5).to_time_zone());
        let mut args = vec![
            ("what", Arg::Term(kind_key(event.kind).to_owned())),
            ("date", Arg::Date(local.date())),
            ("time", Arg::Text(local.strftime("%H:%M").to_string())),
        ];
        // Not a refusal's code: the words beside one, so `t_with`, not a `Message`.
        let id = match event.actor {
            Some(actor) => {
                args.push(("actor", Arg::Text(actor)));
                "refused-last_change"
            }
            None => "refused-last_change_unknown",
        };
        (event.kind, lang.t_with(id, &args))
    }))
}

// ---- A project's procedure ---------------------------------------------------------------

struct CheckRow {
    key: &'static str,
    evidence: Option<String>,
}

/// The co-financing split of the latest version, suggested for the award as the form shows
/// it (so that the reader reads it back unchanged).
struct Split {
    contribution: String,
    counterpart: String,
    guarantee: String,
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedurePage {
    chrome: Chrome,
    id: i32,
    code: String,
    title: String,
    state: &'static str,
    latest: i32,
    endorsements: Vec<Endorsement>,
    objections: Vec<Objection>,
    award: Option<Award>,
    checklist: Vec<CheckRow>,
    lock_version: i32,
    paid: Option<String>,
    timeline: Vec<TimelineEvent>,
    split: Option<Split>,
    can_endorse: bool,
    can_object: bool,
    can_award: bool,
    can_disburse: bool,
    today: String,
    /// The monitored project the award opened.
    project: Option<String>,
    refusal: Option<Refusal>,
    /// The forms' values (`form.field`): suggestions, or what was typed in a refused form.
    values: HashMap<String, String>,
}

impl ProcedurePage {
    fn when(&self, at: &jiff::Timestamp) -> String {
        self.chrome.moment(at)
    }

    fn kind_key(&self, kind: &str) -> &'static str {
        kind_key(kind)
    }

    fn value(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }

    fn refused(&self, form: &str) -> Option<&Refusal> {
        self.refusal.as_ref().filter(|r| r.form == form)
    }

    /// A refused form comes back to whoever may fill it, even if the state moved on.
    fn form_again(&self, form: &str) -> bool {
        self.refused(form).is_some_and(|r| !r.forbidden)
    }
}

async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    procedure_page(&state, &visitor, id, None).await
}

/// The procedure page again after a refused step, with the refusal where its form is.
async fn refused_procedure(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    failed: Failed,
) -> Result<Response, AppError> {
    procedure_page(state, visitor, id, Some(failed)).await
}

async fn procedure_page(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    failed: Option<Failed>,
) -> Result<Response, AppError> {
    let (status, refusal, typed) = match failed {
        Some(failed) => {
            let (status, mut refusal, typed) = failed.refusal(visitor.lang)?;
            if status == StatusCode::CONFLICT {
                refusal.last_change = last_change(state, visitor.lang, &[id]).await?;
            }
            (status, Some(refusal), typed)
        }
        None => (StatusCode::OK, None, Vec::new()),
    };
    let actions::Overview {
        record,
        latest,
        state: procedure,
        endorsements,
        objections,
        award,
        checklist,
        timeline,
    } = actions::overview(state, id).await?;
    let split = match state.store.formulation_version(id, latest).await? {
        Some(content) => match crate::evaluation::run(content, None, visitor.lang) {
            Ok(crate::evaluation::Outcome::Evaluated(evaluated)) => {
                evaluated.cofinancing.as_ref().ok().map(|s| Split {
                    contribution: format_number(s.contribution),
                    counterpart: format_number(s.counterpart),
                    guarantee: format_number(s.guarantee.amount),
                })
            }
            _ => None,
        },
        None => None,
    };
    let today = crate::today::today_in_colombia().to_string();
    let mut values: HashMap<String, String> = [
        ("award.awarded_on", today.clone()),
        (
            "award.institute_contribution",
            split.as_ref().map(|s| s.contribution.clone()).unwrap_or_default(),
        ),
        ("disburse.paid_on", today.clone()),
        ("objection.target", "project".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    values.extend(typed);
    let page = ProcedurePage {
        chrome: Chrome::new(visitor).await?,
        project: state.store.project_of_formulation(id).await?,
        id,
        code: record.formulation.code.clone(),
        title: record.formulation.title.clone(),
        state: crate::procedure_actions::state_key(procedure),
        latest,
        endorsements,
        objections,
        award,
        checklist: checklist
            .items
            .iter()
            .map(|(r, evidence)| CheckRow {
                key: requirement_key(*r),
                evidence: evidence.clone(),
            })
            .collect(),
        lock_version: checklist.lock_version,
        paid: match (checklist.paid_on, checklist.amount) {
            (Some(on), Some(amount)) => Some(format!("{} · {}", visitor.lang.amount(&amount), on)),
            _ => None,
        },
        timeline,
        split,
        can_endorse: visitor.can(Permission::RecordEndorsement) && procedure == ProcedureState::Submitted,
        can_object: visitor.can(Permission::ManageCommittee),
        can_award: visitor.can(Permission::AwardCofinancing) && procedure == ProcedureState::Viable,
        can_disburse: visitor.can(Permission::RecordDisbursement) && procedure == ProcedureState::Awarded,
        today,
        refusal,
        values,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize)]
struct EndorseForm {
    csrf_token: String,
    endorsed_on: String,
    families_endorsing: String,
    minutes: String,
}

async fn endorse(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(input): Form<EndorseForm>,
) -> Result<Response, AppError> {
    let account = authorize(&visitor, &input.csrf_token).await?;
    let step = async {
        let new = NewEndorsement {
            endorsed_on: read_date(&input.endorsed_on)?,
            families_endorsing: read_whole(&input.families_endorsing)?,
            minutes: input.minutes.clone(),
        };
        actions::endorse(&state, &account, id, new).await
    };
    match step.await {
        Ok(_) => {
            crate::flash::Done::new(
                &visitor,
                format!("/personal/formulaciones/{id}/procedimiento"),
                "done-endorsement_recorded",
            )
            .redirect()
            .await
        }
        Err(error) => {
            let typed = typed(
                "endorsement",
                &[
                    ("endorsed_on", &input.endorsed_on),
                    ("families_endorsing", &input.families_endorsing),
                    ("minutes", &input.minutes),
                ],
            );
            refused_procedure(&state, &visitor, id, Failed::new("endorsement", error, typed)).await
        }
    }
}

#[derive(Deserialize)]
struct ObjectionForm {
    csrf_token: String,
    target: String,
    target_ref: String,
    filed_by: String,
    text: String,
}

async fn object(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(input): Form<ObjectionForm>,
) -> Result<Response, AppError> {
    let account = authorize(&visitor, &input.csrf_token).await?;
    let step = async {
        let new = NewObjection {
            target: TargetChoice::parse(&input.target)?.target(),
            target_ref: input.target_ref.clone(),
            filed_by: input.filed_by.clone(),
            text: input.text.clone(),
        };
        actions::object(&state, &account, id, new).await
    };
    match step.await {
        Ok(_) => {
            crate::flash::Done::new(
                &visitor,
                format!("/personal/formulaciones/{id}/procedimiento"),
                "done-objection_filed",
            )
            .redirect()
            .await
        }
        Err(error) => {
            let typed = typed(
                "objection",
                &[
                    ("target", &input.target),
                    ("target_ref", &input.target_ref),
                    ("filed_by", &input.filed_by),
                    ("text", &input.text),
                ],
            );
            refused_procedure(&state, &visitor, id, Failed::new("objection", error, typed)).await
        }
    }
}

#[derive(Deserialize)]
struct AwardForm {
    csrf_token: String,
    awarded_on: String,
    motivation: String,
    institute_contribution: String,
    #[serde(default)]
    lowering_motivation: String,
    #[serde(default)]
    obligations: String,
}

async fn award(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<AwardForm>,
) -> Result<Response, AppError> {
    let input = &form.form;
    let account = authorize(&visitor, &input.csrf_token).await?;
    let back = format!("/personal/formulaciones/{id}/procedimiento");
    let lang = visitor.lang;
    // Empty: the evaluated maximum.
    let contribution = || match input.institute_contribution.trim() {
        "" => Ok(None),
        typed => read_amount(lang, typed, lang.t("procedure-contribution")).map(Some),
    };
    let refused = |error: AppError| {
        let typed = typed(
            "award",
            &[
                ("awarded_on", &input.awarded_on),
                ("motivation", &input.motivation),
                ("institute_contribution", &input.institute_contribution),
                ("lowering_motivation", &input.lowering_motivation),
                ("obligations", &input.obligations),
            ],
        );
        refused_procedure(&state, &visitor, id, Failed::new("award", error, typed))
    };
    if !form.confirmed() {
        // The question names what will be awarded; what cannot be is refused before it.
        let preview = async {
            let contribution = contribution()?;
            Ok::<_, AppError>(
                state
                    .store
                    .award_preview(&account.actor(), id, contribution)
                    .await?,
            )
        };
        let preview = match preview.await {
            Ok(preview) => preview,
            Err(error) => return refused(error).await,
        };
        let letters = u64::try_from(preview.letters).unwrap_or(u64::MAX);
        let question = Message::new("confirm-award")
            .with("project", format!("{} «{}»", preview.code, preview.title))
            .with("amount", preview.institute_contribution)
            .with("families", preview.families)
            .with("letters", letters);
        if let Some(page) = form.ask(&visitor, question, Some(letters), &back).await? {
            return Ok(page);
        }
    }
    let step = async {
        let terms = AwardTerms {
            awarded_on: read_date(&input.awarded_on)?,
            motivation: input.motivation.clone(),
            institute_contribution: contribution()?,
            lowering_motivation: input.lowering_motivation.clone(),
            obligations: input.obligations.clone(),
        };
        actions::award(&state, &account, id, terms).await
    };
    match step.await {
        Ok(_) => {
            crate::flash::Done::new(
                &visitor,
                format!("/personal/formulaciones/{id}/adjudicacion"),
                "done-award_recorded",
            )
            .redirect()
            .await
        }
        Err(error) => refused(error).await,
    }
}

#[derive(Template)]
#[template(path = "award.html")]
struct ResolutionPage {
    chrome: Chrome,
    id: i32,
    code: String,
    title: String,
    award: Award,
    contribution: String,
    counterpart: String,
    guarantee: String,
    signed_by: String,
    signed_at: String,
}

async fn award_parts(
    state: &AppState,
    id: i32,
) -> Result<(vereda_store::formulations::FormulationRecord, Award, String), AppError> {
    let record = state
        .store
        .formulation(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let award = state
        .store
        .award_of(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let signer = match award.signed_by {
        Some(user) => state
            .store
            .account(user)
            .await?
            .map(|a| format!("{} ({})", a.display_name, a.email))
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok((record, award, signer))
}

async fn resolution(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let (record, award, signer) = award_parts(&state, id).await?;
    let lang = visitor.lang;
    let page = ResolutionPage {
        chrome: Chrome::new(&visitor).await?,
        id,
        code: record.formulation.code,
        title: record.formulation.title,
        contribution: lang.amount(&award.institute_contribution),
        counterpart: lang.amount(&award.counterpart),
        guarantee: lang.amount(&award.guarantee),
        signed_by: signer,
        signed_at: lang.moment(award.signed_at),
        award,
    };
    render(&page)
}

pub(crate) async fn resolution_pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let (record, award, _) = award_parts(&state, id).await?;
    // The signed act is the one kept: byte for byte what was signed (its SHA-256).
    if let Some(bytes) = state.store.signed_pdf(ActKind::Award, award.id).await? {
        return Ok(pdf(format!("{}.pdf", award.number), bytes));
    }
    let data = crate::acts::resolution_data(&state.store, &record.formulation, &award).await?;
    // Dated the day of the award, so the same records and templates give the same bytes.
    let typeset = vereda_documents::minutes_pdf::resolution(&data, &state.config.templates, award.awarded_on)
        .map_err(|e| AppError::internal(&e))?;
    Ok(pdf(format!("{}.pdf", award.number), typeset.pdf))
}

pub(crate) fn pdf(file_name: String, bytes: Vec<u8>) -> Response {
    crate::downloads::attachment("application/pdf", &file_name, bytes)
}

#[derive(Deserialize)]
struct EvidenceForm {
    csrf_token: String,
    lock_version: i32,
    #[serde(default)]
    joint_account: String,
    #[serde(default)]
    approved_policy: String,
}

async fn evidence(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(input): Form<EvidenceForm>,
) -> Result<Response, AppError> {
    let account = authorize(&visitor, &input.csrf_token).await?;
    let step = actions::record_evidence(
        &state,
        &account,
        id,
        Some(input.joint_account.as_str()),
        Some(input.approved_policy.as_str()),
        input.lock_version,
    )
    .await;
    match step {
        Ok(_) => {
            crate::flash::Done::new(
                &visitor,
                format!("/personal/formulaciones/{id}/procedimiento"),
                "done-evidence_recorded",
            )
            .redirect()
            .await
        }
        Err(error) => {
            let typed = typed(
                "evidence",
                &[
                    ("joint_account", &input.joint_account),
                    ("approved_policy", &input.approved_policy),
                ],
            );
            refused_procedure(&state, &visitor, id, Failed::new("evidence", error, typed)).await
        }
    }
}

#[derive(Deserialize)]
struct DisburseForm {
    csrf_token: String,
    paid_on: String,
}

async fn disburse(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<DisburseForm>,
) -> Result<Response, AppError> {
    let input = &form.form;
    let account = authorize(&visitor, &input.csrf_token).await?;
    let back = format!("/personal/formulaciones/{id}/procedimiento");
    // Without an award there is nothing to pay: the step refuses it, naming why.
    if !form.confirmed()
        && let Some(award) = state.store.award_of(id).await?
    {
        let project = (state.store.formulation(id).await?)
            .map(|record| format!("{} «{}»", record.formulation.code, record.formulation.title))
            .unwrap_or_default();
        let question = Message::new("confirm-disbursement")
            .with("amount", award.institute_contribution)
            .with("project", project)
            .with("resolution", award.number);
        if let Some(page) = form.ask(&visitor, question, None, &back).await? {
            return Ok(page);
        }
    }
    let step = async {
        let paid_on = read_date(&input.paid_on)?;
        actions::disburse(&state, &account, id, paid_on).await
    };
    match step.await {
        Ok(_) => {
            crate::flash::Done::new(
                &visitor,
                format!("/personal/formulaciones/{id}/procedimiento"),
                "done-disbursement_recorded",
            )
            .redirect()
            .await
        }
        Err(error) => {
            let typed = typed("disburse", &[("paid_on", &input.paid_on)]);
            refused_procedure(&state, &visitor, id, Failed::new("disburse", error, typed)).await
        }
    }
}

#[derive(Deserialize)]
struct DiffQuery {
    from: Option<i32>,
    to: Option<i32>,
}

#[derive(Template)]
#[template(path = "version_diff.html")]
struct DiffPage {
    chrome: Chrome,
    id: i32,
    code: String,
    from: i32,
    to: i32,
    changes: Vec<FieldChange>,
}

/// Compares two versions field by field (by default the latest with the one before).
async fn diff(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let record = state
        .store
        .formulation(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let latest = record.versions.last().map_or(1, |v| v.number);
    let to = query.to.unwrap_or(latest);
    let from = query.from.unwrap_or((to - 1).max(1));
    let changes = state.store.version_diff(id, from, to).await?;
    render(&DiffPage {
        chrome: Chrome::new(&visitor).await?,
        id,
        code: record.formulation.code,
        from,
        to,
        changes,
    })
}

// ---- The committee -------------------------------------------------------------------------

struct SessionLine {
    id: i32,
    held_on: String,
    place: String,
    closed: bool,
}

#[derive(Template)]
#[template(path = "committee.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionLine>,
    list: ListView,
    accounts: Vec<Account>,
    can_manage: bool,
    form: SessionForm,
    errors: FieldErrors,
    failure: Option<String>,
    failure_code: String,
}

/// What the form convening a session held, as typed.
#[derive(Default)]
struct SessionForm {
    held_on: String,
    place: String,
    attendees: Vec<i32>,
}

impl SessionsPage {
    fn problems(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn problem_code(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    fn attending(&self, account: &i32) -> bool {
        self.form.attendees.contains(account)
    }
}

/// The sorts of the sessions and their catalogue keys.
const SESSION_SORTS: [(&str, &str); 1] = [("fecha", "list-committee-sort-fecha")];

async fn sessions_view(
    state: &AppState,
    visitor: &Visitor,
    params: &ListParams,
    form: SessionForm,
    errors: FieldErrors,
    failure: Option<Message>,
) -> Result<SessionsPage, AppError> {
    let can_manage = visitor.can(Permission::ManageCommittee);
    let accounts = if can_manage {
        state
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|a| a.active)
            .collect()
    } else {
        Vec::new()
    };
    let lang = visitor.lang;
    let codes: Vec<&str> = SESSION_SORTS.iter().map(|(code, _)| *code).collect();
    let found = state
        .store
        .session_list(&SessionList {
            state: ListParams::given(&params.sesion),
            from: ListParams::day(&params.desde),
            until: ListParams::day(&params.hasta),
            paging: params.paging(&codes),
        })
        .await?;
    let filters = vec![FilterView::new(
        "sesion",
        lang.t("list-committee-filter-sesion"),
        &params.sesion,
        SESSION_STATES
            .iter()
            .map(|s| {
                let key = if *s == "closed" {
                    "list-committee-session-closed"
                } else {
                    "list-committee-session-open"
                };
                ((*s).to_owned(), lang.t(key).to_owned())
            })
            .collect(),
    )];
    let path = "/personal/comite";
    Ok(SessionsPage {
        chrome: Chrome::new(visitor).await?,
        list: ListView::new(lang, path, path, params, &SESSION_SORTS, filters, found.total)
            .searching(lang.t("list-committee-sessions-search"))
            .with_period(lang, params)
            .without_downloads(),
        sessions: found
            .rows
            .into_iter()
            .map(|s| SessionLine {
                id: s.id,
                held_on: s.held_on.0.to_string(),
                place: s.place,
                closed: s.closed_at.is_some(),
            })
            .collect(),
        accounts,
        can_manage,
        form,
        errors,
        failure_code: failure.as_ref().map(|m| m.code().to_owned()).unwrap_or_default(),
        failure: failure.map(|m| visitor.lang.say(&m)),
    })
}

async fn sessions(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let page = sessions_view(
        &state,
        &visitor,
        &params,
        SessionForm::default(),
        FieldErrors::default(),
        None,
    )
    .await?;
    render(&page)
}

/// Convenes a session; refused, the same page again with what was typed, the problem beside
/// its field or, naming none, above the form.
async fn create_session(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let account = authorize(&visitor, &field("csrf_token")).await?;
    let lang = visitor.lang;
    let mut errors = FieldErrors::default();
    let mut form = SessionForm {
        held_on: field("held_on").trim().to_owned(),
        place: field("place"),
        attendees: Vec::new(),
    };
    for (key, value) in &fields {
        if key == "attendee" {
            match read_whole(value) {
                Ok(id) => form.attendees.push(id),
                Err(error) => {
                    if let Some(message) = error.message {
                        errors.add(lang, "attendees", message);
                    }
                }
            }
        }
    }
    let held_on = match read_date(&form.held_on) {
        Ok(date) => Some(date),
        Err(error) => {
            if let Some(message) = error.message {
                errors.add(lang, "held_on", message);
            }
            None
        }
    };
    let result = match held_on {
        Some(held_on) if errors.is_empty() => {
            let new = NewSession {
                held_on,
                place: form.place.clone(),
                attendees: form.attendees.clone(),
            };
            actions::convene(&state, &account, new).await
        }
        _ => Err(AppError::fields(&errors)),
    };
    let done = match &result {
        Ok(minutes) => format!("/personal/comite/{}", minutes.session_id),
        Err(_) => "/personal/comite".to_owned(),
    };
    done_or_again(
        lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-committee_session_created"),
        errors,
        |errors, message, placed| async move {
            // Beside its fields, the refusal is not said again above the form.
            let failure = (placed.is_none() && errors.is_empty()).then_some(message);
            let page = sessions_view(&state, &visitor, &ListParams::default(), form, errors, failure).await?;
            render(&page)
        },
    )
    .await
}

struct Candidate {
    id: i32,
    code: String,
    title: String,
}

#[derive(Template)]
#[template(path = "committee_session.html")]
struct SessionPage {
    chrome: Chrome,
    minutes: Minutes,
    candidates: Vec<Candidate>,
    pending_objections: Vec<(String, Objection)>,
    can_manage: bool,
    can_decide: bool,
    can_sign: bool,
    is_final: bool,
    refusal: Option<Refusal>,
    /// What was typed in a refused form (`form.field`).
    values: HashMap<String, String>,
}

impl SessionPage {
    fn when(&self, at: &Option<jiff::Timestamp>) -> String {
        at.as_ref().map(|at| self.chrome.moment(at)).unwrap_or_default()
    }

    fn value(&self, form: &str, field: &str) -> &str {
        self.values
            .get(&format!("{form}.{field}"))
            .map_or("", String::as_str)
    }

    fn refused(&self, form: &str) -> Option<&Refusal> {
        self.refusal.as_ref().filter(|r| r.form == form)
    }

    /// A refused form comes back to whoever may fill it, even if the item was decided.
    fn form_again(&self, form: &str) -> bool {
        self.refused(form).is_some_and(|r| !r.forbidden)
    }

    fn concept_form(&self, item: &i32) -> String {
        format!("concept-{item}")
    }

    fn decision_form(&self, objection: &i32) -> String {
        format!("decision-{objection}")
    }

    /// A refused objection decision whose form is gone (decided meanwhile).
    fn refused_decision_elsewhere(&self) -> Option<&Refusal> {
        self.refusal.as_ref().filter(|r| {
            r.form.starts_with("decision-")
                && !self
                    .pending_objections
                    .iter()
                    .any(|(_, o)| r.form == format!("decision-{}", o.id))
        })
    }

    fn concept_key(&self, concept: &Option<Concept>) -> &'static str {
        match concept {
            Some(Concept::Positive) => "procedure-concept_positive",
            Some(Concept::Negative) => "procedure-concept_negative",
            None => "procedure-concept_pending",
        }
    }
}

async fn session(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    session_page(&state, &visitor, id, None).await
}

/// The session page, after a refused step with the refusal where its form is. A stale form
/// (409) names the last step of the projects it was about (`formulations`; none: every
/// project on the agenda).
async fn session_page(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    failed: Option<(Failed, Vec<i32>)>,
) -> Result<Response, AppError> {
    let account = visitor.require(Permission::ViewStaffArea)?.clone();
    let reach = visitor.reach(&state.store).await?;
    let minutes = state.store.minutes_within(id, &reach).await?;
    let (status, refusal, typed) = match failed {
        Some((failed, mut formulations)) => {
            let (status, mut refusal, typed) = failed.refusal(visitor.lang)?;
            if status == StatusCode::CONFLICT {
                if formulations.is_empty() {
                    formulations = minutes.agenda.iter().map(|item| item.formulation_id).collect();
                }
                refusal.last_change = last_change(state, visitor.lang, &formulations).await?;
            }
            (status, Some(refusal), typed)
        }
        None => (StatusCode::OK, None, Vec::new()),
    };
    // Every formulation's objections and state at once, not a query or more per formulation.
    let pending_objections = if minutes.closed_at.is_none() {
        state.store.pending_objections(&reach).await?
    } else {
        Vec::new()
    };
    let candidates = state
        .store
        .agenda_candidates(&reach)
        .await?
        .into_iter()
        .map(|f| Candidate {
            id: f.id,
            code: f.code,
            title: f.title,
        })
        .collect();
    let can_sign = minutes.closed_at.is_some()
        && minutes
            .attendees
            .iter()
            .any(|a| a.user_id == account.id && a.signed_at.is_none());
    let page = SessionPage {
        chrome: Chrome::new(visitor).await?,
        refusal,
        values: typed.into_iter().collect(),
        is_final: minutes.is_final(),
        can_manage: visitor.can(Permission::ManageCommittee) && minutes.closed_at.is_none(),
        can_decide: visitor.can(Permission::IssueConcept) && minutes.closed_at.is_none(),
        can_sign,
        minutes,
        candidates,
        pending_objections,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// The project an objection is against: pending, or decided in this session.
async fn formulation_of_objection(state: &AppState, session: i32, objection: i32) -> Vec<i32> {
    let pending = state
        .store
        .pending_objections(&vereda_domain::accounts::Reach::National)
        .await
        .unwrap_or_default();
    let decided = match state.store.minutes(session).await {
        Ok(minutes) => minutes.objections,
        Err(_) => Vec::new(),
    };
    pending
        .into_iter()
        .map(|(_, o)| o)
        .chain(decided)
        .filter(|o| o.id == objection)
        .map(|o| o.formulation_id)
        .take(1)
        .collect()
}

/// What a committee step was about: its projects, for a stale form's last change.
async fn formulations_of_item(state: &AppState, session: i32, item: i32) -> Vec<i32> {
    match state.store.minutes(session).await {
        Ok(minutes) => minutes
            .agenda
            .iter()
            .filter(|entry| entry.id == item)
            .map(|entry| entry.formulation_id)
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[derive(Deserialize)]
struct AgendaForm {
    csrf_token: String,
    formulation_id: i32,
    lock_version: i32,
}

async fn schedule(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<AgendaForm>,
) -> Result<Response, AppError> {
    let input = &form.form;
    let account = authorize(&visitor, &input.csrf_token).await?;
    let back = format!("/personal/comite/{id}");
    if let Some(page) = form
        .ask(&visitor, Message::new("confirm-schedule"), None, &back)
        .await?
    {
        return Ok(page);
    }
    match actions::schedule(&state, &account, id, input.formulation_id, input.lock_version).await {
        Ok(_) => {
            crate::flash::Done::new(&visitor, format!("/personal/comite/{id}"), "done-scheduled")
                .redirect()
                .await
        }
        Err(error) => {
            let chosen = input.formulation_id.to_string();
            let failed = Failed::new("agenda", error, typed("agenda", &[("formulation_id", &chosen)]));
            session_page(&state, &visitor, id, Some((failed, vec![input.formulation_id]))).await
        }
    }
}

#[derive(Deserialize)]
struct ConceptForm {
    csrf_token: String,
    concept: String,
    text: String,
    lock_version: i32,
}

async fn concept(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, item)): Path<(i32, i32)>,
    Form(input): Form<ConceptForm>,
) -> Result<Response, AppError> {
    let account = authorize(&visitor, &input.csrf_token).await?;
    let step = async {
        let concept = ConceptChoice::parse(&input.concept)?;
        actions::issue_concept(
            &state,
            &account,
            id,
            item,
            concept,
            &input.text,
            input.lock_version,
        )
        .await
    };
    match step.await {
        Ok(_) => {
            crate::flash::Done::new(&visitor, format!("/personal/comite/{id}"), "done-concept_issued")
                .redirect()
                .await
        }
        Err(error) => {
            let form = format!("concept-{item}");
            let typed = typed(&form, &[("concept", &input.concept), ("text", &input.text)]);
            let formulations = formulations_of_item(&state, id, item).await;
            session_page(
                &state,
                &visitor,
                id,
                Some((Failed::new(form, error, typed), formulations)),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf_token: String,
    decision: String,
    reasons: String,
}

async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, objection)): Path<(i32, i32)>,
    Form(input): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let account = authorize(&visitor, &input.csrf_token).await?;
    let step = async {
        let decision = Decision::parse(&input.decision)?;
        actions::decide_objection(&state, &account, id, objection, decision, &input.reasons).await
    };
    match step.await {
        Ok(_) => {
            crate::flash::Done::new(
                &visitor,
                format!("/personal/comite/{id}"),
                "done-objection_decided",
            )
            .redirect()
            .await
        }
        Err(error) => {
            let form = format!("decision-{objection}");
            let typed = typed(
                &form,
                &[("decision", &input.decision), ("reasons", &input.reasons)],
            );
            let formulations = formulation_of_objection(&state, id, objection).await;
            session_page(
                &state,
                &visitor,
                id,
                Some((Failed::new(form, error, typed), formulations)),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct CloseForm {
    csrf_token: String,
    lock_version: i32,
}

async fn close(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<CloseForm>,
) -> Result<Response, AppError> {
    let input = &form.form;
    let account = authorize(&visitor, &input.csrf_token).await?;
    let back = format!("/personal/comite/{id}");
    if let Some(page) = form
        .ask(&visitor, Message::new("confirm-close_minutes"), None, &back)
        .await?
    {
        return Ok(page);
    }
    match actions::close(&state, &account, id, input.lock_version).await {
        Ok(_) => {
            crate::flash::Done::new(&visitor, format!("/personal/comite/{id}"), "done-minutes_closed")
                .redirect()
                .await
        }
        Err(error) => {
            session_page(
                &state,
                &visitor,
                id,
                Some((Failed::new("close", error, Vec::new()), Vec::new())),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct SignForm {
    csrf_token: String,
}

/// The logged-in attendee signs the minutes: the approval is this authenticated request.
async fn sign(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<SignForm>,
) -> Result<Response, AppError> {
    let input = &form.form;
    let account = authorize(&visitor, &input.csrf_token).await?;
    let back = format!("/personal/comite/{id}");
    if let Some(page) = form
        .ask(&visitor, Message::new("confirm-sign_minutes"), None, &back)
        .await?
    {
        return Ok(page);
    }
    match actions::sign(&state, &account, id).await {
        Ok(_) => {
            crate::flash::Done::new(&visitor, format!("/personal/comite/{id}"), "done-minutes_signed")
                .redirect()
                .await
        }
        Err(error) => {
            session_page(
                &state,
                &visitor,
                id,
                Some((Failed::new("sign", error, Vec::new()), Vec::new())),
            )
            .await
        }
    }
}

pub(crate) async fn minutes_pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let minutes = state.store.minutes(id).await?;
    if let Some(bytes) = state.store.signed_pdf(ActKind::Minutes, id).await? {
        return Ok(pdf(format!("acta-comite-{id}.pdf"), bytes));
    }
    let typeset = vereda_documents::minutes_pdf::minutes(
        &crate::acts::minutes_data(&minutes),
        &state.config.templates,
        minutes.held_on,
    )
    .map_err(|e| AppError::internal(&e))?;
    Ok(pdf(format!("acta-comite-{id}.pdf"), typeset.pdf))
}
