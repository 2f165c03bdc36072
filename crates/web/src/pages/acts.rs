//! The legal life of the acts in the browser (Ley 1437 de 2011).
//!
//! Public, no account: `/verificar` asks for a verification code or a PDF (at most
//! [`VERIFY_LIMIT_BYTES`]) and says whether it is exactly a signed act of the program;
//! `/verificar/{code}` shows the act: kind, number, date, signer's name and position, SHA-256,
//! status and firmness date. No e-mail and no family's data.
//!
//! Staff: `/personal/formulaciones/{id}/notificaciones` shows an award's notifications per
//! family, and `/personal/hogares/{id}/notificaciones` a household's not-eligible decision
//! and its notification; both with the appeal window and firmness, the appeals and signed
//! acts, and the forms to record a notification (`NotifyActs`), receive an appeal (text and
//! optional file) and decide it (`AwardCofinancing`, signed as its own act). One page and one
//! set of functions serve both acts ([`LifeOf`]); the JSON API calls the same functions
//! (`api/acts.rs`).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vereda_domain::accounts::Permission;
use vereda_domain::acts::{ActKind, ActStatus, AppealOutcome, NotificationKind};
use vereda_store::acts::{
    Appeal, AwardLife, Contested, FamilyNotification, NewAppeal, NewDecision, NewNotification, PublicAct,
    SignedAct, VerificationLife,
};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, ErrorCode};
use crate::form_errors::FieldErrors;
use crate::form_step::{done_or_again, on_field};
use crate::i18n::{Lang, Message};
use crate::procedure_actions::{authorize, read_date};

/// The largest PDF the verification page reads: 20 MiB.
pub const VERIFY_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/verificar",
            get(verify_form)
                .post(verify_upload)
                .layer(DefaultBodyLimit::max(VERIFY_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/verificar/{code}", get(verify_code))
        .route(
            "/personal/formulaciones/{id}/notificaciones",
            get(award_life_page).post(notify_award),
        )
        .route(
            "/personal/formulaciones/{id}/recursos",
            post(appeal_award).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/personal/formulaciones/{id}/recursos/{appeal}/decision",
            post(decide_award),
        )
        .route(
            "/personal/hogares/{id}/notificaciones",
            get(household_life_page).post(notify_household),
        )
        .route(
            "/personal/hogares/{id}/recursos",
            post(appeal_household).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT_BYTES)),
        )
        .route(
            "/personal/hogares/{id}/recursos/{appeal}/decision",
            post(decide_household),
        )
}

// ---- Public verification -----------------------------------------------------------------------

/// An act as the public page shows it, in the visitor's words.
pub(crate) struct ActView {
    pub kind: String,
    pub number: String,
    pub issued_on: String,
    pub signer_name: String,
    pub signer_position: String,
    pub signed_at: String,
    pub sha256: String,
    pub status: String,
    pub status_code: String,
    pub firm_on: String,
    pub appeal_deadline: String,
    pub code: String,
}

/// The time of a signature in Colombia (UTC−5).
pub(crate) fn colombian_time(at: jiff::Timestamp) -> String {
    at.to_zoned(jiff::tz::Offset::constant(-5).to_time_zone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub(crate) fn act_view(lang: Lang, act: &PublicAct) -> ActView {
    let signed = &act.act;
    ActView {
        kind: lang.t(&signed.kind.message_id()).to_owned(),
        number: signed.number.clone(),
        issued_on: lang.date(signed.issued_on),
        signer_name: signed.signer_name.clone(),
        signer_position: lang.t(&format!("role-{}", signed.signer_role)).to_owned(),
        signed_at: colombian_time(signed.signed_at),
        sha256: signed.sha256.clone(),
        status: lang.t(&act.status.message_id()).to_owned(),
        status_code: act.status.as_str().to_owned(),
        firm_on: act.firm_on.map(|d| lang.date(d)).unwrap_or_default(),
        appeal_deadline: act.appeal_deadline.map(|d| lang.date(d)).unwrap_or_default(),
        code: signed.code.clone(),
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    max_mib: usize,
    /// `matches`, `not_ours`, `unknown_code` or empty.
    outcome: String,
    act: Option<ActView>,
    sha256: String,
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    codigo: String,
}

async fn verify_page(
    visitor: &Visitor,
    outcome: &str,
    act: Option<ActView>,
    sha256: String,
) -> Result<VerifyPage, AppError> {
    Ok(VerifyPage {
        max_mib: VERIFY_LIMIT_BYTES / (1024 * 1024),
        outcome: outcome.to_owned(),
        act,
        sha256,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn verify_form(visitor: Visitor, Query(query): Query<CodeQuery>) -> Result<Response, AppError> {
    let code = query.codigo.trim();
    if !code.is_empty() {
        let normalised = vereda_domain::acts::normalise_code(code).unwrap_or_else(|| code.to_owned());
        return Ok(
            Redirect::to(&format!("/verificar/{}", crate::error::urlencode(&normalised))).into_response(),
        );
    }
    render(&verify_page(&visitor, "", None, String::new()).await?)
}

#[derive(Template)]
#[template(path = "verify_act.html")]
struct ActPage {
    chrome: Chrome,
    act: ActView,
}

async fn verify_code(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let Some(act) = state.store.public_act(&code, state.config.today()).await? else {
        let page = verify_page(&visitor, "unknown_code", None, String::new()).await?;
        return Ok((ErrorCode::NotFound.status(), render(&page)?).into_response());
    };
    render(&ActPage {
        act: act_view(visitor.lang, &act),
        chrome: Chrome::new(&visitor).await?,
    })
}

/// The act whose signed PDF is exactly `bytes`, if any: the SHA-256 and the act.
pub(crate) async fn act_of_pdf(
    state: &AppState,
    bytes: &[u8],
) -> Result<(String, Option<PublicAct>), AppError> {
    let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let act = state
        .store
        .public_act_by_hash(&sha256, state.config.today())
        .await?;
    Ok((sha256, act))
}

/// Reads the uploaded PDF (`file`), at most [`VERIFY_LIMIT_BYTES`]; a larger one is refused
/// naming the limit.
pub(crate) async fn read_pdf(
    multipart: &mut Multipart,
) -> Result<(Vec<(String, String)>, Option<Vec<u8>>), AppError> {
    match read_form(multipart, "file", VERIFY_LIMIT_BYTES).await {
        Ok((_, None, Some(problem))) => Err(AppError::said(ErrorCode::InvalidInput, problem)),
        Ok((fields, file, _)) => Ok((fields, file.map(|f| f.bytes))),
        Err(error) if error.code == ErrorCode::PayloadTooLarge => Err(AppError::said(
            ErrorCode::PayloadTooLarge,
            Message::new("acts-error-pdf_too_large").with("max_mib", VERIFY_LIMIT_BYTES / (1024 * 1024)),
        )),
        Err(error) => Err(error),
    }
}

async fn verify_upload(
    State(state): State<AppState>,
    visitor: Visitor,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (_, bytes) = read_pdf(&mut multipart).await?;
    let Some(bytes) = bytes else {
        return Err(AppError::said(
            ErrorCode::InvalidInput,
            Message::new("acts-error-pdf_missing"),
        ));
    };
    let (sha256, act) = act_of_pdf(&state, &bytes).await?;
    let lang = visitor.lang;
    let page = match act {
        Some(act) => verify_page(&visitor, "matches", Some(act_view(lang, &act)), sha256).await?,
        None => verify_page(&visitor, "not_ours", None, sha256).await?,
    };
    render(&page)
}

// ---- Staff: notification, appeals, firmness ---------------------------------------------------

/// Whose legal life a page or a request is about: the award of formulation `id`, or household
/// `id`'s not-eligible verification decision. One mechanism serves both (`Contested`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LifeOf {
    Award(i32),
    Household(i32),
}

impl LifeOf {
    /// The address the page and its forms live under.
    fn base(self) -> String {
        match self {
            LifeOf::Award(id) => format!("/personal/formulaciones/{id}"),
            LifeOf::Household(id) => format!("/personal/hogares/{id}"),
        }
    }

    /// The page the life page comes from.
    fn back(self) -> String {
        match self {
            LifeOf::Award(_) => format!("{}/procedimiento", self.base()),
            LifeOf::Household(_) => format!("{}/verificacion", self.base()),
        }
    }

    /// Its catalogue's prefix: `award_life-*` or `verification_life-*`.
    fn words(self) -> &'static str {
        match self {
            LifeOf::Award(_) => "award_life",
            LifeOf::Household(_) => "verification_life",
        }
    }
}

/// An act's legal life, whichever act: what the page and the API show.
pub(crate) struct Life {
    pub contested: Contested,
    /// The award's number, or the household's identifier.
    pub name: String,
    pub families: Vec<FamilyNotification>,
    pub appeals: Vec<Appeal>,
    pub last_notification: Option<Date>,
    pub appeal_deadline: Option<Date>,
    pub firm_on: Option<Date>,
    pub status: ActStatus,
}

impl From<AwardLife> for Life {
    fn from(life: AwardLife) -> Self {
        Life {
            contested: Contested::Award {
                award_id: life.award_id,
            },
            name: life.number,
            families: life.families,
            appeals: life.appeals,
            last_notification: life.last_notification,
            appeal_deadline: life.appeal_deadline,
            firm_on: life.firm_on,
            status: life.status,
        }
    }
}

impl From<VerificationLife> for Life {
    fn from(life: VerificationLife) -> Self {
        let notified = life.notification.as_ref();
        Life {
            contested: Contested::NotEligible {
                household_id: life.household_id,
            },
            families: vec![FamilyNotification {
                beneficiary_id: 0,
                external_id: life.external_id.clone(),
                kind: notified.map(|n| n.kind),
                recipient_name: notified.map(|n| n.recipient_name.clone()),
                notified_on: notified.map(|n| n.notified_on),
                cited_on: notified.and_then(|n| n.cited_on),
                effective_on: notified.map(|n| n.effective_on),
            }],
            last_notification: notified.map(|n| n.effective_on),
            name: life.external_id,
            appeals: life.appeals,
            appeal_deadline: life.appeal_deadline,
            firm_on: life.firm_on,
            status: life.status,
        }
    }
}

/// The legal life of `of` (a record outside the caller's reach is not found: the path's gate,
/// `reach.rs`).
pub(crate) async fn life_of(state: &AppState, visitor: &Visitor, of: LifeOf) -> Result<Life, AppError> {
    Ok(match of {
        LifeOf::Award(id) => award_life(state, visitor, id).await?.into(),
        LifeOf::Household(id) => verification_life(state, visitor, id).await?.into(),
    })
}

/// A family's line on the page.
struct FamilyLine {
    beneficiary_id: i32,
    external_id: String,
    kind: String,
    recipient_name: String,
    notified_on: String,
    effective_on: String,
}

struct AppealLine {
    id: i32,
    appellant_name: String,
    text: String,
    filed_on: String,
    late: bool,
    outcome: String,
    decided_on: String,
    decision_number: String,
    decision_code: String,
}

struct SignedLine {
    kind: String,
    number: String,
    code: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "act_life.html")]
struct LifePage {
    chrome: Chrome,
    /// `award_life` or `verification_life`: the page's words.
    words: &'static str,
    base: String,
    back: String,
    name: String,
    status: String,
    status_code: String,
    last_notification: String,
    appeal_deadline: String,
    firm_on: String,
    families: Vec<FamilyLine>,
    appeals: Vec<AppealLine>,
    acts: Vec<SignedLine>,
    kinds: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    today: String,
    can_notify: bool,
    can_decide: bool,
    /// What a refused form held, shown again as typed.
    typed: LifeForm,
    errors: FieldErrors,
    /// A refusal not about one field: its code and its words.
    failure: Option<(String, String)>,
}

impl LifePage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn problem_of(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    /// The page's own words (`award_life-*` or `verification_life-*`).
    fn said(&self, key: &str) -> String {
        self.chrome.t(&format!("{}-{key}", self.words)).to_owned()
    }
}

/// The values of the page's forms as typed, to show a refused form again: the family notified
/// (`beneficiary_id`), the appeal received, the appeal decided (`appeal_id`).
#[derive(Debug, Clone, Default)]
struct LifeForm {
    beneficiary_id: i32,
    kind: String,
    recipient_name: String,
    notified_on: String,
    cited_on: String,
    authorised: bool,
    appellant_name: String,
    text: String,
    filed_on: String,
    appeal_id: i32,
    outcome: String,
    reasons: String,
    decided_on: String,
}

/// An award's legal life (a formulation outside the caller's reach is not found: the path's
/// gate, `reach.rs`).
pub(crate) async fn award_life(state: &AppState, visitor: &Visitor, id: i32) -> Result<AwardLife, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    state
        .store
        .award_life(id, state.config.today())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// A household's not-eligible decision with its notification, appeals and firmness (a
/// household outside the caller's reach is not found: the path's gate, `reach.rs`).
pub(crate) async fn verification_life(
    state: &AppState,
    visitor: &Visitor,
    household_id: i32,
) -> Result<VerificationLife, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    state
        .store
        .verification_life(household_id, state.config.today())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// The signed acts of a life: the award's resolution, and the decisions of its appeals.
pub(crate) async fn signed_acts(state: &AppState, life: &Life) -> Result<Vec<SignedAct>, AppError> {
    let mut acts = Vec::new();
    if let Contested::Award { award_id } = life.contested
        && let Some(act) = state.store.signed_act(ActKind::Award, award_id).await?
    {
        acts.push(act);
    }
    for appeal in &life.appeals {
        if let Some(act) = state
            .store
            .signed_act(life.contested.decision_kind(), appeal.id)
            .await?
        {
            acts.push(act);
        }
    }
    Ok(acts)
}

async fn award_life_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    life_page(&state, &visitor, LifeOf::Award(id)).await
}

async fn household_life_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    life_page(&state, &visitor, LifeOf::Household(id)).await
}

async fn life_page(state: &AppState, visitor: &Visitor, of: LifeOf) -> Result<Response, AppError> {
    render(
        &life_view(
            state,
            visitor,
            of,
            LifeForm::default(),
            FieldErrors::default(),
            None,
        )
        .await?,
    )
}

/// The page of an act's legal life, with a refused form's values and problems.
async fn life_view(
    state: &AppState,
    visitor: &Visitor,
    of: LifeOf,
    typed: LifeForm,
    errors: FieldErrors,
    failure: Option<(String, String)>,
) -> Result<LifePage, AppError> {
    let life = life_of(state, visitor, of).await?;
    let acts = signed_acts(state, &life).await?;
    let lang = visitor.lang;
    let date = |d: Option<Date>| d.map(|d| lang.date(d)).unwrap_or_default();
    let decision_kind = life.contested.decision_kind();
    let decision_codes: Vec<(i32, String)> = acts
        .iter()
        .filter(|a| a.kind == decision_kind)
        .map(|a| (a.subject_id, a.code.clone()))
        .collect();
    let role = visitor.account.as_ref().map(|a| a.role);
    Ok(LifePage {
        words: of.words(),
        base: of.base(),
        back: of.back(),
        name: life.name.clone(),
        status: lang.t(&life.status.message_id()).to_owned(),
        status_code: life.status.as_str().to_owned(),
        last_notification: date(life.last_notification),
        appeal_deadline: date(life.appeal_deadline),
        firm_on: date(life.firm_on),
        families: life
            .families
            .iter()
            .map(|f| FamilyLine {
                beneficiary_id: f.beneficiary_id,
                external_id: f.external_id.clone(),
                kind: f
                    .kind
                    .map(|k| lang.t(&k.message_id()).to_owned())
                    .unwrap_or_default(),
                recipient_name: f.recipient_name.clone().unwrap_or_default(),
                notified_on: date(f.notified_on),
                effective_on: date(f.effective_on),
            })
            .collect(),
        appeals: life
            .appeals
            .iter()
            .map(|a: &Appeal| AppealLine {
                id: a.id,
                appellant_name: a.appellant_name.clone(),
                text: a.text.clone(),
                filed_on: lang.date(a.filed_on),
                late: a.late,
                outcome: a
                    .outcome
                    .map(|o| lang.t(&o.message_id()).to_owned())
                    .unwrap_or_default(),
                decided_on: date(a.decided_on),
                decision_number: a.decision_number.clone().unwrap_or_default(),
                decision_code: decision_codes
                    .iter()
                    .find(|(appeal, _)| *appeal == a.id)
                    .map(|(_, code)| code.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        acts: acts
            .iter()
            .map(|a| SignedLine {
                kind: lang.t(&a.kind.message_id()).to_owned(),
                number: a.number.clone(),
                code: a.code.clone(),
                sha256: a.sha256.clone(),
            })
            .collect(),
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), lang.t(&k.message_id()).to_owned()))
            .collect(),
        outcomes: AppealOutcome::ALL
            .iter()
            .map(|o| (o.as_str().to_owned(), lang.t(&o.message_id()).to_owned()))
            .collect(),
        today: state.config.today().to_string(),
        can_notify: role.is_some_and(|r| r.can(Permission::NotifyActs)),
        can_decide: role.is_some_and(|r| r.can(Permission::AwardCofinancing)),
        typed,
        errors,
        failure,
        chrome: Chrome::new(visitor).await?,
    })
}

/// A form of the page, done (back to the page) or refused (the page again, each value as
/// typed and the problem beside its field, or above the forms when it is about none).
async fn done_or_typed_again<T>(
    state: AppState,
    visitor: Visitor,
    of: LifeOf,
    typed: LifeForm,
    result: Result<T, AppError>,
    code: &'static str,
) -> Result<Response, AppError> {
    let done = format!("{}/notificaciones", of.base());
    done_or_again(
        visitor.lang,
        result,
        crate::flash::Done::new(&visitor, done, code),
        FieldErrors::default(),
        |errors, message, placed| async move {
            let failure = placed
                .is_none()
                .then(|| (message.code().to_owned(), visitor.lang.say(&message)));
            render(&life_view(&state, &visitor, of, typed, errors, failure).await?)
        },
    )
    .await
}

/// A notification as typed in the form or sent over the API.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NotificationInput {
    pub beneficiary_id: i32,
    /// electronic, personal or notice.
    pub kind: String,
    pub recipient_name: String,
    /// `AAAA-MM-DD`.
    pub notified_on: String,
    /// For a notice: the day the summons was sent, `AAAA-MM-DD`.
    #[serde(default)]
    pub cited_on: String,
    /// For an electronic notification: the family authorised it.
    #[serde(default)]
    pub authorised: bool,
}

/// The notification of a household's not-eligible decision as sent over the API.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct HouseholdNotificationInput {
    /// electronic, personal or notice.
    pub kind: String,
    pub recipient_name: String,
    /// `AAAA-MM-DD`.
    pub notified_on: String,
    /// For a notice: the day the summons was sent, `AAAA-MM-DD`.
    #[serde(default)]
    pub cited_on: String,
    /// For an electronic notification: the household authorised it.
    #[serde(default)]
    pub authorised: bool,
}

impl From<HouseholdNotificationInput> for NotificationInput {
    fn from(input: HouseholdNotificationInput) -> Self {
        NotificationInput {
            beneficiary_id: 0,
            kind: input.kind,
            recipient_name: input.recipient_name,
            notified_on: input.notified_on,
            cited_on: input.cited_on,
            authorised: input.authorised,
        }
    }
}

/// The act `of` names: an award by its formulation; a household's decision, which the store
/// checks is a refusal (`acts-error-not_refused` otherwise).
async fn contested(state: &AppState, visitor: &Visitor, of: LifeOf) -> Result<Contested, AppError> {
    Ok(match of {
        LifeOf::Award(id) => Contested::Award {
            award_id: award_life(state, visitor, id).await?.award_id,
        },
        LifeOf::Household(household_id) => Contested::NotEligible { household_id },
    })
}

/// Records a notification of `of`'s act (an award's: to the family `beneficiary_id`).
pub(crate) async fn record_notification(
    state: &AppState,
    visitor: &Visitor,
    of: LifeOf,
    input: &NotificationInput,
) -> Result<(), AppError> {
    let account = visitor.require(Permission::NotifyActs)?;
    let contested = contested(state, visitor, of).await?;
    let kind: NotificationKind =
        input
            .kind
            .parse()
            .map_err(|e: vereda_domain::text_enum::UnknownValue| {
                on_field(AppError::said(ErrorCode::InvalidInput, e.message()), "kind")
            })?;
    let cited_on = if input.cited_on.trim().is_empty() {
        None
    } else {
        Some(read_date(&input.cited_on).map_err(|e| on_field(e, "cited_on"))?)
    };
    let new = NewNotification {
        beneficiary_id: input.beneficiary_id,
        kind,
        recipient_name: input.recipient_name.clone(),
        notified_on: read_date(&input.notified_on).map_err(|e| on_field(e, "notified_on"))?,
        cited_on,
        authorised: input.authorised,
    };
    let actor = account.actor();
    match contested {
        Contested::Award { award_id } => {
            state.store.record_notification(&actor, award_id, new).await?;
        }
        Contested::NotEligible { household_id } => {
            state
                .store
                .record_verification_notification(&actor, household_id, new)
                .await?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct NotificationForm {
    csrf_token: String,
    #[serde(default)]
    beneficiary_id: i32,
    kind: String,
    recipient_name: String,
    notified_on: String,
    #[serde(default)]
    cited_on: String,
    #[serde(default)]
    authorised: Option<String>,
}

async fn notify_award(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(form): Form<NotificationForm>,
) -> Result<Response, AppError> {
    notify(state, visitor, LifeOf::Award(id), form).await
}

async fn notify_household(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(form): Form<NotificationForm>,
) -> Result<Response, AppError> {
    notify(state, visitor, LifeOf::Household(id), form).await
}

async fn notify(
    state: AppState,
    visitor: Visitor,
    of: LifeOf,
    form: NotificationForm,
) -> Result<Response, AppError> {
    authorize(&visitor, &form.csrf_token).await?;
    let input = NotificationInput {
        beneficiary_id: form.beneficiary_id,
        kind: form.kind,
        recipient_name: form.recipient_name,
        notified_on: form.notified_on,
        cited_on: form.cited_on,
        authorised: form.authorised.is_some(),
    };
    let typed = LifeForm {
        beneficiary_id: input.beneficiary_id,
        kind: input.kind.clone(),
        recipient_name: input.recipient_name.clone(),
        notified_on: input.notified_on.clone(),
        cited_on: input.cited_on.clone(),
        authorised: input.authorised,
        ..LifeForm::default()
    };
    let result = record_notification(&state, &visitor, of, &input).await;
    done_or_typed_again(state, visitor, of, typed, result, "done-notification_recorded").await
}

/// An appeal as typed or sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AppealInput {
    pub appellant_name: String,
    pub text: String,
    /// `AAAA-MM-DD`; today when blank.
    #[serde(default)]
    pub filed_on: String,
}

/// Receives an appeal against `of`'s act (late ones are recorded late), its file kept under
/// its SHA-256.
pub(crate) async fn file_appeal(
    state: &AppState,
    visitor: &Visitor,
    of: LifeOf,
    input: &AppealInput,
    file: Option<crate::documents::ReceivedFile>,
) -> Result<Appeal, AppError> {
    let account = visitor.require(Permission::NotifyActs)?;
    let contested = contested(state, visitor, of).await?;
    let filed_on = if input.filed_on.trim().is_empty() {
        state.config.today()
    } else {
        read_date(&input.filed_on).map_err(|e| on_field(e, "filed_on"))?
    };
    let document = match file {
        Some(file) => {
            let kept = keep_file(state, file)?;
            Some((kept.file_name, kept.sha256))
        }
        None => None,
    };
    Ok(state
        .store
        .file_appeal(
            &account.actor(),
            contested,
            NewAppeal {
                appellant_name: input.appellant_name.clone(),
                text: input.text.clone(),
                filed_on,
                document,
            },
        )
        .await?)
}

async fn appeal_award(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    appeal(state, visitor, LifeOf::Award(id), multipart).await
}

async fn appeal_household(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    appeal(state, visitor, LifeOf::Household(id), multipart).await
}

async fn appeal(
    state: AppState,
    visitor: Visitor,
    of: LifeOf,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let (fields, file, problem) = read_form(&mut multipart, "document", crate::UPLOAD_LIMIT_BYTES).await?;
    authorize(&visitor, field(&fields, "csrf_token")).await?;
    let input = AppealInput {
        appellant_name: field(&fields, "appellant_name").to_owned(),
        text: field(&fields, "text").to_owned(),
        filed_on: field(&fields, "filed_on").to_owned(),
    };
    let typed = LifeForm {
        appellant_name: input.appellant_name.clone(),
        text: input.text.clone(),
        filed_on: input.filed_on.clone(),
        ..LifeForm::default()
    };
    let result = match problem {
        Some(problem) => Err(on_field(
            AppError::said(ErrorCode::InvalidInput, problem),
            "document",
        )),
        None => file_appeal(&state, &visitor, of, &input, file).await,
    };
    done_or_typed_again(state, visitor, of, typed, result, "done-appeal_filed").await
}

/// An appeal of `of`'s act, by its id (another act's appeal is not found).
pub(crate) async fn appeal_of(
    state: &AppState,
    visitor: &Visitor,
    of: LifeOf,
    appeal_id: i32,
) -> Result<Appeal, AppError> {
    let life = life_of(state, visitor, of).await?;
    life.appeals
        .into_iter()
        .find(|a| a.id == appeal_id)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// A decision as typed or sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// confirms, modifies or revokes.
    pub outcome: String,
    pub reasons: String,
    /// `AAAA-MM-DD`; today when blank.
    #[serde(default)]
    pub decided_on: String,
}

/// Decides an appeal against `of`'s act and signs the decision as its own act (with its PDF
/// and verification code).
pub(crate) async fn decide_appeal(
    state: &AppState,
    visitor: &Visitor,
    of: LifeOf,
    appeal_id: i32,
    input: &DecisionInput,
) -> Result<(Appeal, Option<SignedAct>), AppError> {
    let account = visitor.require(Permission::AwardCofinancing)?;
    let appeal = appeal_of(state, visitor, of, appeal_id).await?;
    // Read before the decision: a revocation reopens a household's verification.
    let contested = crate::acts::contested_data(state, appeal.contested).await?;
    let outcome: AppealOutcome =
        input
            .outcome
            .parse()
            .map_err(|e: vereda_domain::text_enum::UnknownValue| {
                on_field(AppError::said(ErrorCode::InvalidInput, e.message()), "outcome")
            })?;
    let decided_on = if input.decided_on.trim().is_empty() {
        state.config.today()
    } else {
        read_date(&input.decided_on).map_err(|e| on_field(e, "decided_on"))?
    };
    let actor = account.actor();
    let decided = state
        .store
        .decide_appeal(
            &actor,
            appeal_id,
            NewDecision {
                outcome,
                reasons: input.reasons.clone(),
                decided_on,
            },
        )
        .await?;
    let signed = match crate::acts::sign_decision(state, &actor, &decided, contested).await {
        Ok(signed) => Some(signed),
        Err(error) => {
            tracing::error!(appeal = appeal_id, ?error, "the decision could not be signed");
            None
        }
    };
    Ok((decided, signed))
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf_token: String,
    outcome: String,
    reasons: String,
    #[serde(default)]
    decided_on: String,
}

async fn decide_award(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, appeal_id)): Path<(i32, i32)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    decide(state, visitor, LifeOf::Award(id), appeal_id, form).await
}

async fn decide_household(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, appeal_id)): Path<(i32, i32)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    decide(state, visitor, LifeOf::Household(id), appeal_id, form).await
}

async fn decide(
    state: AppState,
    visitor: Visitor,
    of: LifeOf,
    appeal_id: i32,
    form: DecisionForm,
) -> Result<Response, AppError> {
    authorize(&visitor, &form.csrf_token).await?;
    let input = DecisionInput {
        outcome: form.outcome,
        reasons: form.reasons,
        decided_on: form.decided_on,
    };
    let typed = LifeForm {
        appeal_id,
        outcome: input.outcome.clone(),
        reasons: input.reasons.clone(),
        decided_on: input.decided_on.clone(),
        ..LifeForm::default()
    };
    let result = decide_appeal(&state, &visitor, of, appeal_id, &input).await;
    done_or_typed_again(state, visitor, of, typed, result, "done-appeal_decided").await
}
