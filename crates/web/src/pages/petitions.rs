//! Citizens' petitions (PQRSD, Ley 1755 de 2015). Public: the form at `/peticiones/nueva`
//! (no account; the session's anti-forgery token; a limit of filings per client address and
//! hour and a size limit of the attachment, both settings) answering a receipt with the filing
//! number and the legal deadline, and the monthly report at `/peticiones/informe` (counts
//! only, Ley 1712 de 2014). Staff (`AnswerPetitions`, within the office's reach): the queue at
//! `/personal/peticiones` with the business days left, and each petition's page to assign,
//! answer (a letter through the outbox) and extend the term once (Art. 14 par.). The JSON API
//! calls the same functions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::audit::Actor;
use vereda_domain::petition::{PetitionKind, PetitionState};
use vereda_domain::territory::DaneCode;
use vereda_store::StoreError;
use vereda_store::accounts::Account;
use vereda_store::petitions::{MonthReport, NewPetition, Petition, PetitionAttachment};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::{ClientAddress, Visitor};
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, StepRefusal, not_found};
use crate::form_errors::FieldErrors;
use crate::form_step::done_or_again;
use crate::i18n::{Arg, Message};

/// Filings a client address may make in an hour, unless configured.
pub const PETITIONS_PER_HOUR: u32 = 5;
/// The largest attachment, unless configured: 10 MiB.
pub const PETITION_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/peticiones/nueva",
            get(new_form)
                .post(file)
                .layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT_BYTES)),
        )
        .route("/peticiones/informe", get(report))
        .route("/personal/peticiones", get(queue))
        .route("/personal/peticiones/{id}", get(detail))
        .route("/personal/peticiones/{id}/asignacion", post(assign))
        .route("/personal/peticiones/{id}/respuesta", post(answer))
        .route("/personal/peticiones/{id}/respuesta.pdf", get(answer_pdf))
        .route("/personal/peticiones/{id}/prorroga", post(extend))
}

/// The filings of each client address in the last hour, in this process (a server behind a
/// balancer counts per server).
#[derive(Debug, Clone, Default)]
pub struct FilingLimiter {
    recent: Arc<Mutex<HashMap<String, VecDeque<Instant>>>>,
}

impl FilingLimiter {
    /// Counts a filing of `address` now, or answers the seconds to wait when it already made
    /// `per_hour` in the last hour.
    pub fn admit(&self, address: &str, per_hour: u32) -> Result<(), u64> {
        let hour = Duration::from_secs(3600);
        let now = Instant::now();
        let Ok(mut recent) = self.recent.lock() else {
            return Ok(());
        };
        recent.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < hour));
        let times = recent.entry(address.to_owned()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= hour) {
            times.pop_front();
        }
        if times.len() >= per_hour as usize {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = hour.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
            return Err(wait);
        }
        times.push_back(now);
        Ok(())
    }
}

/// The instant a step is taken: now, or noon of the configured "today" (tests).
pub(crate) fn instant_of(state: &AppState) -> jiff::Timestamp {
    match state.config.today {
        Some(today) => today
            .at(12, 0, 0, 0)
            .to_zoned(jiff::tz::Offset::constant(-5).to_time_zone())
            .map_or_else(|_| jiff::Timestamp::now(), |z| z.timestamp()),
        None => jiff::Timestamp::now(),
    }
}

/// What a petition's form holds, as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct PetitionInput {
    pub kind: String,
    pub petitioner_name: String,
    pub petitioner_document: String,
    pub email: String,
    pub postal_address: String,
    pub municipality: String,
    pub subject: String,
    pub text: String,
}

fn input_from(fields: &[(String, String)]) -> PetitionInput {
    PetitionInput {
        kind: field(fields, "kind").to_owned(),
        petitioner_name: field(fields, "petitioner_name").to_owned(),
        petitioner_document: field(fields, "petitioner_document").to_owned(),
        email: field(fields, "email").to_owned(),
        postal_address: field(fields, "postal_address").to_owned(),
        municipality: field(fields, "municipality").to_owned(),
        subject: field(fields, "subject").to_owned(),
        text: field(fields, "text").to_owned(),
    }
}

/// Files a petition for the page and the API: the limit per client address, the kind and
/// municipality read, the attachment kept, then the store's checks.
pub(crate) async fn file_petition(
    state: &AppState,
    address: Option<&str>,
    input: &PetitionInput,
    attachment: Option<crate::documents::ReceivedFile>,
) -> Result<Result<Petition, StepRefusal>, AppError> {
    let per_hour = state.config.petitions_per_hour.unwrap_or(PETITIONS_PER_HOUR);
    if let Err(seconds) = state
        .petition_filings
        .admit(address.unwrap_or("unknown"), per_hour)
    {
        tracing::info!(seconds, "petition refused: too many filings from one address");
        return Ok(Err(StepRefusal::new(
            ErrorCode::TooManyRequests,
            Message::new("petition-error-too_many")
                .with("per_hour", per_hour)
                .with("seconds", seconds),
        )));
    }
    let kind = if input.kind.trim().is_empty() {
        None
    } else {
        match input.kind.parse::<PetitionKind>() {
            Ok(kind) => Some(kind),
            Err(error) => return Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, error.message()))),
        }
    };
    let municipality = if input.municipality.trim().is_empty() {
        None
    } else {
        match DaneCode::parse(input.municipality.trim()) {
            Ok(code) => Some(code),
            Err(_) => {
                return Ok(Err(StepRefusal::new(
                    ErrorCode::InvalidInput,
                    Message::new("petition-error-municipality").with("value", input.municipality.trim()),
                )));
            }
        }
    };
    let attachment = match attachment {
        Some(file) => {
            let kept = keep_file(state, file)?;
            Some(PetitionAttachment {
                name: kept.file_name,
                sha256: kept.sha256,
                size: kept.size_bytes,
            })
        }
        None => None,
    };
    let new = NewPetition {
        kind,
        petitioner_name: input.petitioner_name.clone(),
        petitioner_document: input.petitioner_document.clone(),
        email: input.email.clone(),
        postal_address: input.postal_address.clone(),
        subject: input.subject.clone(),
        text: input.text.clone(),
        municipality,
        attachment,
    };
    match state
        .store
        .file_petition(&Actor::system("peticiones"), &new, instant_of(state))
        .await
    {
        Ok(petition) => {
            tracing::info!(petition = petition.id, number = %petition.number, "petition filed");
            Ok(Ok(petition))
        }
        Err(StoreError::Invalid(message)) => Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, message))),
        Err(other) => Err(other.into()),
    }
}

/// Reads the public form or the API's multipart body: its fields, and the attachment within
/// the configured size (a larger one is refused naming the limit).
pub(crate) async fn read_petition_form(
    state: &AppState,
    multipart: &mut Multipart,
) -> Result<(Vec<(String, String)>, Option<crate::documents::ReceivedFile>), AppError> {
    let limit = state
        .config
        .petition_attachment_bytes
        .unwrap_or(PETITION_ATTACHMENT_BYTES);
    match read_form(multipart, "attachment", limit).await {
        Ok((fields, file, None)) => Ok((fields, file)),
        Ok((_, _, Some(problem))) => Err(AppError::said(ErrorCode::InvalidInput, problem)),
        Err(error) if error.code == ErrorCode::PayloadTooLarge => Err(AppError::said(
            ErrorCode::PayloadTooLarge,
            Message::new("petition-error-attachment_too_large").with("max_mib", limit / (1024 * 1024)),
        )),
        Err(error) => Err(error),
    }
}

#[derive(Template)]
#[template(path = "petition_new.html")]
struct NewPage {
    chrome: Chrome,
    csrf: String,
    kinds: Vec<(String, String)>,
    input: PetitionInput,
    failure: Option<(String, String)>,
    attachment_label: String,
}

async fn new_page(
    state: &AppState,
    visitor: &Visitor,
    input: PetitionInput,
    failure: Option<&Message>,
) -> Result<NewPage, AppError> {
    let lang = visitor.lang;
    Ok(NewPage {
        csrf: visitor.csrf_token().await?,
        kinds: PetitionKind::ALL
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    lang.t_with(
                        "petition-kind_with_term",
                        &[
                            ("kind", Arg::Term(k.message_id())),
                            ("days", Arg::from(k.term_business_days())),
                        ],
                    ),
                )
            })
            .collect(),
        input,
        failure: failure.map(|m| (m.code().to_owned(), lang.say(m))),
        attachment_label: lang.t_with(
            "petition-new-attachment",
            &[(
                "max",
                Arg::from(
                    state
                        .config
                        .petition_attachment_bytes
                        .unwrap_or(PETITION_ATTACHMENT_BYTES)
                        / (1024 * 1024),
                ),
            )],
        ),
        chrome: Chrome::new(visitor).await?,
    })
}

async fn new_form(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    render(&new_page(&state, &visitor, PetitionInput::default(), None).await?)
}

#[derive(Template)]
#[template(path = "petition_receipt.html")]
struct ReceiptPage {
    chrome: Chrome,
    number: String,
    kind: String,
    filed_on: String,
    deadline: String,
    term: String,
}

async fn file(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientAddress(address): ClientAddress,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (fields, attachment) = read_petition_form(&state, &mut multipart).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let input = input_from(&fields);
    match file_petition(&state, address.as_deref(), &input, attachment).await? {
        Ok(petition) => {
            let lang = visitor.lang;
            render(&ReceiptPage {
                number: petition.number.clone(),
                kind: lang.t(&petition.kind.message_id()).to_owned(),
                filed_on: lang.date(petition.filed_on),
                deadline: lang.date(petition.deadline),
                term: lang.t_with(
                    "petition-receipt-term",
                    &[
                        ("days", Arg::from(petition.kind.term_business_days())),
                        ("article", Arg::from(petition.kind.article())),
                    ],
                ),
                chrome: Chrome::new(&visitor).await?,
            })
        }
        Err(refusal) => {
            let page = new_page(&state, &visitor, input, Some(&refusal.message)).await?;
            let response = (refusal.code.status(), render(&page)?).into_response();
            Ok(match refusal.message.arg("seconds") {
                Some(crate::i18n::Arg::Count(seconds)) => {
                    super::account::retry_after(response, u64::try_from(*seconds).unwrap_or(3600))
                }
                _ => response,
            })
        }
    }
}

#[derive(Template)]
#[template(path = "petition_report.html")]
struct ReportPage {
    chrome: Chrome,
    months: Vec<MonthReport>,
}

async fn report(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    render(&ReportPage {
        months: state.store.petition_report().await?,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A line of the staff's queue.
pub(crate) struct QueueLine {
    pub id: i32,
    pub number: String,
    pub kind: String,
    pub subject: String,
    pub filed_on: String,
    pub deadline: String,
    pub days_left: i64,
    pub overdue: bool,
    pub state: String,
    pub state_code: PetitionState,
}

fn queue_line(lang: crate::i18n::Lang, today: Date, petition: &Petition) -> QueueLine {
    let answered = petition.answered_on.is_some();
    let days_left = petition.days_left(today);
    QueueLine {
        id: petition.id,
        number: petition.number.clone(),
        kind: lang.t(&petition.kind.message_id()).to_owned(),
        subject: petition.subject.clone(),
        filed_on: lang.date(petition.filed_on),
        deadline: lang.date(petition.deadline_in_force()),
        days_left,
        overdue: !answered && today > petition.deadline_in_force(),
        state: lang.t(&petition.state.message_id()).to_owned(),
        state_code: petition.state,
    }
}

#[derive(Template)]
#[template(path = "petitions.html")]
struct QueuePage {
    chrome: Chrome,
    lines: Vec<QueueLine>,
}

async fn queue(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    let today = state.config.today();
    let lines = state
        .store
        .petitions_for(&actor, false)
        .await?
        .iter()
        .map(|p| queue_line(visitor.lang, today, p))
        .collect();
    render(&QueuePage {
        lines,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A petition the visitor may answer: permission, and within reach (else not found).
pub(crate) async fn reachable(state: &AppState, visitor: &Visitor, id: i32) -> Result<Petition, AppError> {
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    let missing = || AppError::said(ErrorCode::NotFound, not_found("petition", &id.to_string()));
    if !state.store.may_answer_petition(&actor, id).await? {
        return Err(missing());
    }
    state.store.petition(id).await?.ok_or_else(missing)
}

/// The answer's letter as PDF, to print and send by post: the territorial office of the
/// petition's department as sender (the institute for a petition with no municipality).
async fn answer_pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let petition = reachable(&state, &visitor, id).await?;
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    let letter = (state.store.petition_answer_letter(&actor, id).await?)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let department = petition
        .municipality_code
        .as_deref()
        .and_then(|code| code.get(..2));
    let office = (state.store.territorial_offices().await?.into_iter())
        .find(|o| Some(o.department_code.as_str()) == department)
        .map(|o| o.name);
    let pdf = crate::letters::printed(&letter, office, &state.config.templates)
        .map_err(|e| AppError::internal(&e))?;
    Ok(super::procedure::pdf(
        format!("respuesta-{}.pdf", petition.number),
        pdf,
    ))
}

#[derive(Template)]
#[template(path = "petition.html")]
struct DetailPage {
    chrome: Chrome,
    title: String,
    extension: Option<String>,
    petition: Petition,
    line: QueueLine,
    assignee: Option<String>,
    staff: Vec<Account>,
    failure: Option<(String, String)>,
    typed: PetitionForms,
    errors: FieldErrors,
}

/// The staff forms of a petition as typed, to show a refused one again.
#[derive(Debug, Clone, Default)]
struct PetitionForms {
    assignee: Option<i32>,
    answer: String,
    new_deadline: String,
    motivation: String,
}

impl DetailPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn problem_of(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    fn date(&self, date: &Date) -> String {
        self.chrome.lang.date(*date)
    }

    fn is_assignee(&self, id: &i32) -> bool {
        self.typed.assignee.or(self.petition.assigned_to) == Some(*id)
    }
}

async fn detail_page(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    failure: Option<&Message>,
    typed: PetitionForms,
    errors: FieldErrors,
) -> Result<DetailPage, AppError> {
    let petition = reachable(state, visitor, id).await?;
    let accounts = state.store.accounts().await?;
    let assignee = petition
        .assigned_to
        .and_then(|a| accounts.iter().find(|account| account.id == a))
        .map(|a| a.email.clone());
    let staff = accounts
        .into_iter()
        .filter(|a| a.active && a.role.can(Permission::AnswerPetitions))
        .collect();
    let lang = visitor.lang;
    Ok(DetailPage {
        title: lang.t_with(
            "petition-title",
            &[("number", Arg::from(petition.number.as_str()))],
        ),
        extension: petition.extended_deadline.map(|date| {
            lang.t_with(
                "petition-extension",
                &[
                    ("date", Arg::from(date)),
                    (
                        "motivation",
                        Arg::from(petition.extension_motivation.clone().unwrap_or_default()),
                    ),
                ],
            )
        }),
        line: queue_line(visitor.lang, state.config.today(), &petition),
        petition,
        assignee,
        staff,
        failure: failure.map(|m| (m.code().to_owned(), visitor.lang.say(m))),
        typed,
        errors,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn detail(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    render(
        &detail_page(
            &state,
            &visitor,
            id,
            None,
            PetitionForms::default(),
            FieldErrors::default(),
        )
        .await?,
    )
}

/// Assigns a petition (page and API).
pub(crate) async fn assign_petition(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    assignee: i32,
) -> Result<Result<Petition, StepRefusal>, AppError> {
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    visitor.check_csrf(csrf).await?;
    reachable(state, visitor, id).await?;
    step(state.store.assign_petition(&actor, id, assignee).await)
}

/// Answers a petition (page and API); the letter goes out through the outbox.
pub(crate) async fn answer_petition(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    text: &str,
) -> Result<Result<Petition, StepRefusal>, AppError> {
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    visitor.check_csrf(csrf).await?;
    reachable(state, visitor, id).await?;
    match state
        .store
        .answer_petition(&actor, id, text, instant_of(state))
        .await
    {
        Ok((petition, letter)) => {
            tracing::info!(petition = id, letter = letter.id, "petition answered");
            state.outbox.dispatch(&state.store, &actor, vec![letter]).await;
            Ok(Ok(petition))
        }
        Err(error) => step(Err(error)),
    }
}

/// Extends a petition's term once (page and API).
pub(crate) async fn extend_petition(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    new_deadline: &str,
    motivation: &str,
) -> Result<Result<Petition, StepRefusal>, AppError> {
    let actor = visitor.require(Permission::AnswerPetitions)?.actor();
    visitor.check_csrf(csrf).await?;
    reachable(state, visitor, id).await?;
    let Ok(date) = new_deadline.trim().parse::<Date>() else {
        return Ok(Err(StepRefusal::new(
            ErrorCode::InvalidInput,
            Message::new("petition-error-date")
                .with("value", new_deadline.trim())
                .with("field", "new_deadline"),
        )));
    };
    step(
        state
            .store
            .extend_petition(&actor, id, date, motivation, state.config.today())
            .await,
    )
}

/// A step's refusals as refusals; anything else is an error.
fn step(result: Result<Petition, StoreError>) -> Result<Result<Petition, StepRefusal>, AppError> {
    match result {
        Ok(petition) => Ok(Ok(petition)),
        Err(StoreError::Invalid(message)) => Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, message))),
        Err(StoreError::Conflict(message)) => Ok(Err(StepRefusal::new(ErrorCode::Conflict, message))),
        Err(other) => Err(other.into()),
    }
}

/// The petition's page after a staff form: the page on success; on a refusal, the page
/// again with every value typed and the problem beside its field.
async fn after_step(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    result: Result<Petition, StepRefusal>,
    typed: PetitionForms,
) -> Result<Response, AppError> {
    let done = format!("/personal/peticiones/{id}");
    done_or_again(
        visitor.lang,
        result,
        crate::flash::Done::new(visitor, done, "done-petition_step"),
        FieldErrors::default(),
        |errors, message, placed| async move {
            let failure = placed.is_none().then_some(&message);
            render(&detail_page(state, visitor, id, failure, typed, errors).await?)
        },
    )
    .await
}

#[derive(Deserialize)]
struct AssignPost {
    assignee: i32,
    csrf_token: String,
}

async fn assign(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<AssignPost>,
) -> Result<Response, AppError> {
    let result = assign_petition(&state, &visitor, &post.csrf_token, id, post.assignee).await?;
    let typed = PetitionForms {
        assignee: Some(post.assignee),
        ..PetitionForms::default()
    };
    after_step(&state, &visitor, id, result, typed).await
}

#[derive(Deserialize)]
struct AnswerPost {
    answer: String,
    csrf_token: String,
}

async fn answer(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<AnswerPost>,
) -> Result<Response, AppError> {
    let result = answer_petition(&state, &visitor, &post.csrf_token, id, &post.answer).await?;
    let typed = PetitionForms {
        answer: post.answer,
        ..PetitionForms::default()
    };
    after_step(&state, &visitor, id, result, typed).await
}

#[derive(Deserialize)]
struct ExtendPost {
    new_deadline: String,
    motivation: String,
    csrf_token: String,
}

async fn extend(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<ExtendPost>,
) -> Result<Response, AppError> {
    let result = extend_petition(
        &state,
        &visitor,
        &post.csrf_token,
        id,
        &post.new_deadline,
        &post.motivation,
    )
    .await?;
    let typed = PetitionForms {
        new_deadline: post.new_deadline,
        motivation: post.motivation,
        ..PetitionForms::default()
    };
    after_step(&state, &visitor, id, result, typed).await
}
