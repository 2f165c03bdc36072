//! The verification of the households of a call (Art. 11-14, 45, 46): the notice of the
//! institutional offer and its deadline, each household's checklist and documents, the
//! decision (eligible, not eligible, tacit withdrawal), the letters and the household's
//! history. Reading needs `ViewHouseholds`; every change `VerifyHouseholds`, a CSRF token and
//! the state the store checks again. "Today" is `WebConfig::today`.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::household::LandTenure;
use vereda_domain::territory::DaneCode;
use vereda_domain::verification::{
    DecisionError, DocumentKind, LetterKind, VerificationStatus, check_decision,
};
use vereda_store::StoreError;
use vereda_store::households::NewParcel;
use vereda_store::parcels::parcels_refusal;
use vereda_store::programs::Call;
use vereda_store::verification::{
    BulkOutcome, Decision, HouseholdVerification, LetterRecord, OfferNotice, TimelineEvent,
};

use super::confirm::Confirmable;
use super::parcels::issue_text;
use super::staff::{HOUSEHOLD_SORTS, for_download, household_list, municipality_filter};
use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, StepRefusal};
use crate::flash::Done;
use crate::form_errors::{FieldErrors, read_number_field};
use crate::i18n::{Lang, Message};
use crate::lists::{DownloadFormat, ExportSource, FilterView, ListParams, ListView};
use vereda_store::lists::{HouseholdList, LetterList};

/// The largest document a household brings (a scanned page or a PDF).
pub const HOUSEHOLD_DOCUMENT_LIMIT_BYTES: usize = 20 * 1024 * 1024;

/// The types accepted for a household's documents, told from their first bytes.
const ACCEPTED_TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/convocatorias/{id}/verificacion", get(call_page))
        .route("/personal/convocatorias/{id}/aviso", post(record_notice))
        .route(
            "/personal/convocatorias/{id}/verificacion/decisiones",
            post(bulk_decide),
        )
        .route(
            "/personal/convocatorias/{id}/verificacion/decisiones/{bulk}",
            get(bulk_job_page),
        )
        .route("/personal/convocatorias/{id}/comunicaciones", get(letters_page))
        .route(
            "/personal/convocatorias/{id}/comunicaciones.csv",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    letters_download(state, visitor, id, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/convocatorias/{id}/comunicaciones.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    letters_download(state, visitor, id, params, DownloadFormat::Xlsx)
                },
            ),
        )
        .route(
            "/personal/convocatorias/{id}/verificacion.csv",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    verification_download(state, visitor, id, params, DownloadFormat::Csv)
                },
            ),
        )
        .route(
            "/personal/convocatorias/{id}/verificacion.xlsx",
            get(
                |state: State<AppState>, visitor: Visitor, id: Path<i32>, params: Query<ListParams>| {
                    verification_download(state, visitor, id, params, DownloadFormat::Xlsx)
                },
            ),
        )
        .route(
            "/personal/hogares/{id}/verificacion",
            get(household_page).post(decide),
        )
        .route(
            "/personal/hogares/{id}/documentos",
            post(upload).layer(DefaultBodyLimit::max(HOUSEHOLD_DOCUMENT_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/personal/hogares/{id}/predios", post(add_parcel))
        .route("/personal/hogares/{id}/historia", get(timeline_page))
        .route("/personal/hogares/{id}/documentos/{document}", get(download))
        .route("/personal/hogares/{id}/cartas/{letter}", get(letter_pdf))
}

fn doc_label(lang: Lang, kind: DocumentKind) -> String {
    lang.t(&format!("verification-doc-{kind}")).to_owned()
}

fn status_label(lang: Lang, status: VerificationStatus) -> String {
    lang.t(&format!("verification-status-{status}")).to_owned()
}

fn names(lang: Lang, kinds: &[DocumentKind]) -> String {
    kinds
        .iter()
        .map(|k| doc_label(lang, *k))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn call_or_404(state: &AppState, id: i32) -> Result<Call, AppError> {
    state
        .store
        .call(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

// ---- The call: notice and households ------------------------------------------------------

struct HouseholdLine {
    id: i32,
    external_id: String,
    head_name: String,
    status: String,
    status_code: String,
    missing: String,
    withdrawal_due: bool,
}

/// The offer letters of a noticed call: how many written, of how many households, and whether
/// the job writing a large call's letters is still at it.
struct OfferLetters {
    written: u64,
    households: u64,
    running: bool,
}

#[derive(Template)]
#[template(path = "verification_call.html")]
struct CallPage {
    chrome: Chrome,
    call: Call,
    notice: Option<OfferNotice>,
    /// The offer letters written, once noticed.
    offer_letters: Option<OfferLetters>,
    deadline: String,
    notice_date: String,
    can_verify: bool,
    households: Vec<HouseholdLine>,
    failure: Option<String>,
    today: String,
    list: ListView,
    /// The decision in bulk as typed, and its problem.
    bulk: BulkForm,
    /// The decisions a household may get: code and label.
    decisions: Vec<(String, String)>,
    /// The list's filter and search, carried by the decision in bulk.
    params: ListParams,
}

/// The form of a decision in bulk on the call's page, as typed.
#[derive(Default)]
struct BulkForm {
    by_filter: bool,
    chosen: Vec<i32>,
    status: String,
    reasons: String,
    /// The field its problem is beside (`hogar`, `status`, `reasons`), the problem's code
    /// and its words.
    problem: Option<(String, String, String)>,
}

impl BulkForm {
    fn is_chosen(&self, id: &i32) -> bool {
        self.chosen.contains(id)
    }

    fn problem_of(&self, field: &str) -> Option<(&str, &str)> {
        self.problem
            .as_ref()
            .filter(|(f, _, _)| f == field)
            .map(|(_, code, words)| (code.as_str(), words.as_str()))
    }
}

/// The verification statuses as a list's filter.
fn status_filter(lang: Lang, current: &str) -> FilterView {
    FilterView::new(
        "estado",
        lang.t("list-filter-estado"),
        current,
        VerificationStatus::ALL
            .iter()
            .map(|s| (s.to_string(), status_label(lang, *s)))
            .collect(),
    )
}

fn household_line(lang: Lang, v: HouseholdVerification) -> HouseholdLine {
    HouseholdLine {
        id: v.household.id,
        status: status_label(lang, v.status),
        status_code: v.status.to_string(),
        missing: names(lang, &v.missing),
        withdrawal_due: v.withdrawal_due,
        external_id: v.household.external_id,
        head_name: v.household.head_name,
    }
}

async fn call_view(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
    failure: Option<String>,
    bulk: BulkForm,
) -> Result<CallPage, AppError> {
    let lang = visitor.lang;
    let call = call_or_404(state, id).await?;
    let today = state.config.today();
    let list = household_list(state, visitor, id, params).await?;
    let found = state.store.verification_list(&list, today).await?;
    let notice = state.store.offer_notice(id).await?;
    let offer_letters = match notice {
        Some(_) => {
            use vereda_store::jobs::{JobKind, JobStatus};
            let job = state
                .store
                .job_by_key(JobKind::OfferLetters, &id.to_string())
                .await?;
            Some(OfferLetters {
                written: state.store.offer_letters_written(id).await?,
                households: (state.store)
                    .household_count(&HouseholdList::of_call(
                        id,
                        vereda_domain::accounts::Reach::National,
                    ))
                    .await?,
                running: job.is_some_and(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running)),
            })
        }
        None => None,
    };
    let path = format!("/personal/convocatorias/{id}/verificacion");
    let filters = vec![
        status_filter(lang, &params.estado),
        municipality_filter(state, visitor, id, params).await?,
    ];
    Ok(CallPage {
        deadline: notice.as_ref().map(|n| lang.date(n.deadline)).unwrap_or_default(),
        notice_date: notice
            .as_ref()
            .map(|n| lang.date(n.notice_date))
            .unwrap_or_default(),
        households: found.rows.into_iter().map(|v| household_line(lang, v)).collect(),
        list: ListView::new(lang, &path, &path, params, &HOUSEHOLD_SORTS, filters, found.total),
        can_verify: visitor.can(Permission::VerifyHouseholds),
        notice,
        offer_letters,
        call,
        failure,
        today: today.to_string(),
        bulk,
        decisions: VerificationStatus::ALL
            .iter()
            .filter(|s| **s != VerificationStatus::Pending)
            .map(|s| (s.to_string(), status_label(lang, *s)))
            .collect(),
        params: params.clone(),
        chrome: Chrome::new(visitor).await?,
    })
}

/// A call's verification for a download: the page's filter, search and sort.
struct VerificationExport {
    state: AppState,
    list: HouseholdList,
    today: jiff::civil::Date,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for VerificationExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self
            .state
            .store
            .verification_chunk(&self.list, self.today)
            .await?;
        if let Some(last) = rows.last() {
            self.list.paging.after = Some(last.household.id);
        }
        let lang = self.lang;
        Ok(rows
            .into_iter()
            .map(|v| {
                let municipality = v.household.municipality_code.clone();
                let line = household_line(lang, v);
                vec![
                    line.external_id,
                    line.head_name,
                    municipality,
                    line.status,
                    lang.t(if line.withdrawal_due {
                        "common-yes"
                    } else {
                        "common-no"
                    })
                    .to_owned(),
                    line.missing,
                ]
            })
            .collect())
    }
}

fn verification_headers(lang: Lang) -> Vec<String> {
    [
        "verification-household",
        "households-head",
        "municipalities-code",
        "verification-status_title",
        "verification-withdrawal_due",
        "verification-missing",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

async fn verification_export(
    state: AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<VerificationExport, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    call_or_404(&state, id).await?;
    let list = for_download(household_list(&state, visitor, id, params).await?);
    Ok(VerificationExport {
        today: state.config.today(),
        state,
        list,
        lang: visitor.lang,
    })
}

/// The call's verification list as a file in `format`, with the page's filter, search and sort.
async fn verification_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    let source = verification_export(state, &visitor, id, &params).await?;
    let headers = verification_headers(visitor.lang);
    crate::lists::download(format, headers, source, &format!("call-{id}-verification")).await
}

async fn call_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    render(&call_view(&state, &visitor, id, &params, None, BulkForm::default()).await?)
}

#[derive(Deserialize)]
struct NoticePost {
    notice_date: String,
    text: String,
    csrf_token: String,
}

fn decided(status: VerificationStatus) -> StepRefusal {
    StepRefusal::new(
        ErrorCode::Conflict,
        DecisionError::AlreadyDecided(status).message(),
    )
}

/// Records the notice of the institutional offer of a call (Art. 11), for the page and the API:
/// `VerifyHouseholds`, the session's token, a date and a text; the letters go out after it.
pub(crate) async fn record_offer_notice(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    call_id: i32,
    notice_date: &str,
    text: &str,
) -> Result<Result<OfferNotice, StepRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(csrf).await?;
    call_or_404(state, call_id).await?;
    let Ok(date) = notice_date.trim().parse::<jiff::civil::Date>() else {
        return Ok(Err(StepRefusal::new(
            ErrorCode::InvalidInput,
            Message::new("verification-error-not_a_date").with("value", notice_date),
        )));
    };
    if text.trim().is_empty() {
        return Ok(Err(StepRefusal::invalid("verification-error-notice_text")));
    }
    // A large call's letters are written by a job, chunk after chunk.
    let households = (state.store)
        .household_count(&HouseholdList::of_call(
            call_id,
            vereda_domain::accounts::Reach::National,
        ))
        .await?;
    let written = if households > state.config.households_in_request() as u64 {
        (state
            .store
            .record_offer_notice_by_job(&actor, call_id, date, text)
            .await)
            .map(|(notice, job)| {
                tracing::info!(call = call_id, job = job.id, households, "offer letters queued");
                state.worker.start(state);
                (notice, Vec::new())
            })
    } else {
        state.store.record_offer_notice(&actor, call_id, date, text).await
    };
    match written {
        Ok((notice, letters)) => {
            state.outbox.dispatch(&state.store, &actor, letters).await;
            Ok(Ok(notice))
        }
        Err(StoreError::Conflict(_)) => Ok(Err(StepRefusal::conflict("verification-error-notice_exists"))),
        Err(StoreError::Invalid(said)) => Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, said))),
        Err(other) => Err(other.into()),
    }
}

async fn record_notice(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<NoticePost>,
) -> Result<Response, AppError> {
    let post = &form.form;
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(&post.csrf_token).await?;
    let back = format!("/personal/convocatorias/{id}/verificacion");
    if !form.confirmed() {
        // Every household of the call gets the offer's letter.
        let households = (state.store)
            .household_count(&HouseholdList::of_call(
                id,
                vereda_domain::accounts::Reach::National,
            ))
            .await?;
        let question = Message::new("confirm-offer_notice").with("letters", households);
        if let Some(page) = form.ask(&visitor, question, Some(households), &back).await? {
            return Ok(page);
        }
    }
    match record_offer_notice(
        &state,
        &visitor,
        &post.csrf_token,
        id,
        &post.notice_date,
        &post.text,
    )
    .await?
    {
        Ok(_) => {
            Done::new(&visitor, back, "done-offer_notice_recorded")
                .redirect()
                .await
        }
        Err(refusal) => {
            let message = visitor.lang.say(&refusal.message);
            tracing::info!(call = id, reason = %message, "offer notice refused");
            let page = call_view(
                &state,
                &visitor,
                id,
                &ListParams::default(),
                Some(message),
                BulkForm::default(),
            )
            .await?;
            Ok((refusal.code.status(), render(&page)?).into_response())
        }
    }
}

// ---- The letters of a call ----------------------------------------------------------------

struct LetterLine {
    id: i32,
    date: String,
    kind: String,
    household_id: i32,
    recipient: String,
    channel: String,
    status: String,
    subject: String,
    /// What went wrong in its delivery, framed in the catalogue's words.
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "verification_letters.html")]
struct LettersPage {
    chrome: Chrome,
    call: Call,
    letters: Vec<LetterLine>,
    list: ListView,
}

fn letter_line(lang: Lang, letter: LetterRecord) -> LetterLine {
    let subject = crate::letters::letter_text(&letter).subject;
    let problem = letter.error.as_ref().map(|detail| {
        let id = if letter.status == "sent" {
            "letter-delivery-smtp_failed"
        } else {
            "letter-delivery-failed"
        };
        lang.t_with(id, &[("detail", vereda_messages::Arg::Text(detail.clone()))])
    });
    LetterLine {
        id: letter.id,
        problem,
        date: lang.date(letter.created_at.to_zoned(jiff::tz::TimeZone::UTC).date()),
        kind: lang.t(&format!("verification-letter-{}", letter.kind)).to_owned(),
        household_id: letter.household_id.unwrap_or_default(),
        recipient: letter.recipient,
        channel: letter.channel,
        status: lang
            .t(&format!("verification-delivery-{}", letter.status))
            .to_owned(),
        subject,
    }
}

/// A household's letter as PDF, the call's territorial office as its sender.
async fn letter_pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, file)): Path<(i32, String)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let letter_id = (file.strip_suffix(".pdf"))
        .and_then(|n| n.parse::<i32>().ok())
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let letter = (state.store.household_letters(id).await?.into_iter())
        .find(|l| l.id == letter_id)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let offices = match letter.call_id {
        Some(call) => call_or_404(&state, call).await?.territorial_office_ids,
        None => Vec::new(),
    };
    let office = (state.store.territorial_offices().await?.into_iter())
        .find(|o| offices.contains(&o.id))
        .map(|o| o.name);
    let pdf = crate::letters::printed(&letter, office, &state.config.templates)
        .map_err(|e| AppError::internal(&e))?;
    Ok(super::procedure::pdf(
        format!("carta-{:08}-hogar-{id}.pdf", letter.id),
        pdf,
    ))
}

/// The sorts of a call's letters and their catalogue keys.
const LETTER_SORTS: [(&str, &str); 4] = [
    ("fecha", "list-sort-fecha"),
    ("tipo", "list-sort-tipo"),
    ("estado", "list-sort-estado"),
    ("destinatario", "list-sort-destinatario"),
];

/// The kinds of letters a call's households receive.
const CALL_LETTER_KINDS: [LetterKind; 4] = [
    LetterKind::Offer,
    LetterKind::VerificationResult,
    LetterKind::Withdrawal,
    LetterKind::Award,
];

/// The delivery statuses of a letter.
const DELIVERY_STATUSES: [&str; 3] = ["pending", "sent", "failed"];

async fn letter_list(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<LetterList, AppError> {
    let codes: Vec<&str> = LETTER_SORTS.iter().map(|(code, _)| *code).collect();
    Ok(LetterList {
        kind: ListParams::given(&params.tipo),
        status: ListParams::given(&params.estado),
        paging: params.paging(&codes),
        ..LetterList::of_call(id, visitor.reach(&state.store).await?)
    })
}

async fn letters_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let lang = visitor.lang;
    let call = call_or_404(&state, id).await?;
    let list = letter_list(&state, &visitor, id, &params).await?;
    let found = state.store.letter_list(&list).await?;
    let path = format!("/personal/convocatorias/{id}/comunicaciones");
    let filters = vec![
        FilterView::new(
            "tipo",
            lang.t("list-filter-tipo"),
            &params.tipo,
            CALL_LETTER_KINDS
                .iter()
                .map(|k| {
                    (
                        k.to_string(),
                        lang.t(&format!("verification-letter-{k}")).to_owned(),
                    )
                })
                .collect(),
        ),
        FilterView::new(
            "estado",
            lang.t("list-filter-entrega"),
            &params.estado,
            DELIVERY_STATUSES
                .iter()
                .map(|s| {
                    (
                        (*s).to_owned(),
                        lang.t(&format!("verification-delivery-{s}")).to_owned(),
                    )
                })
                .collect(),
        ),
    ];
    render(&LettersPage {
        letters: found.rows.into_iter().map(|l| letter_line(lang, l)).collect(),
        list: ListView::new(lang, &path, &path, &params, &LETTER_SORTS, filters, found.total),
        call,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A call's letters for a download: the page's filter, search and sort.
struct LetterExport {
    state: AppState,
    list: LetterList,
    lang: Lang,
}

#[async_trait::async_trait]
impl ExportSource for LetterExport {
    type Row = Vec<String>;

    async fn next_chunk(&mut self) -> Result<Vec<Vec<String>>, AppError> {
        let rows = self.state.store.letter_rows(&self.list).await?;
        if let Some(last) = rows.last() {
            self.list.paging.after = Some(last.id);
        }
        let lang = self.lang;
        Ok(rows
            .into_iter()
            .map(|l| {
                let line = letter_line(lang, l);
                vec![
                    line.date,
                    line.kind,
                    line.household_id.to_string(),
                    line.recipient,
                    line.subject,
                    line.channel,
                    line.status,
                ]
            })
            .collect())
    }
}

fn letter_headers(lang: Lang) -> Vec<String> {
    [
        "verification-date",
        "verification-kind",
        "verification-household",
        "verification-recipient",
        "verification-subject",
        "verification-channel",
        "verification-delivery_title",
    ]
    .iter()
    .map(|key| lang.t(key).to_owned())
    .collect()
}

async fn letter_export(
    state: AppState,
    visitor: &Visitor,
    id: i32,
    params: &ListParams,
) -> Result<LetterExport, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    call_or_404(&state, id).await?;
    let mut list = letter_list(&state, visitor, id, params).await?;
    list.paging.page = 1;
    list.paging.per_page = crate::lists::EXPORT_CHUNK;
    list.paging.after = None;
    Ok(LetterExport {
        state,
        list,
        lang: visitor.lang,
    })
}

/// The call's letters list as a file in `format`, with the page's filter, search and sort.
async fn letters_download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Query(params): Query<ListParams>,
    format: DownloadFormat,
) -> Result<Response, AppError> {
    let source = letter_export(state, &visitor, id, &params).await?;
    let headers = letter_headers(visitor.lang);
    crate::lists::download(format, headers, source, &format!("call-{id}-letters")).await
}

// ---- A household: checklist, documents, decision -----------------------------------------

struct ChecklistLine {
    kind: String,
    label: String,
    received: bool,
}

struct DocumentLine {
    id: i32,
    label: String,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    received_on: String,
    recorded_at: String,
}

#[derive(Template)]
#[template(path = "verification_household.html")]
struct HouseholdPage {
    chrome: Chrome,
    v: HouseholdVerification,
    call: Option<Call>,
    deadline: String,
    /// The days a document may be received on, `YYYY-MM-DD`: from the notice to today.
    first_receipt_day: String,
    today: String,
    status: String,
    checklist: Vec<ChecklistLine>,
    documents: Vec<DocumentLine>,
    kinds: Vec<(String, String)>,
    tenures: Vec<(String, String)>,
    can_verify: bool,
    can_download: bool,
    open: bool,
    /// A refusal that is not of one field, above the forms.
    failure: Option<String>,
    /// Its catalogue code, for the page's `data-problem`.
    failure_code: String,
    /// The refused fields' problems, each shown beside its field.
    problems: Vec<crate::form_errors::FieldProblem>,
    /// What was typed in the refused form, shown again.
    typed: Typed,
    parcels: Vec<ParcelLine>,
}

impl HouseholdPage {
    /// The problems of `field` (its catalogue key), in the reader's words.
    fn errors_of(&self, field: &str) -> Vec<&str> {
        crate::form_errors::details_of(&self.problems, field)
    }

    /// The code of the first problem of `field`; empty when it has none.
    fn problem_of(&self, field: &str) -> &str {
        crate::form_errors::code_of(&self.problems, field)
    }

    /// The day a document is received on in the form: as typed, or today.
    fn receipt_day(&self) -> &str {
        if self.typed.received_on.is_empty() {
            &self.today
        } else {
            &self.typed.received_on
        }
    }
}

/// What the officer typed in the household page's forms, given back when one is refused.
#[derive(Default)]
pub(crate) struct Typed {
    /// The decision's status and reasons.
    status: String,
    reasons: String,
    /// The document's kind and the day received (the file cannot be given back).
    kind: String,
    received_on: String,
    /// The parcel declared.
    parcel: ParcelPost,
}

impl Typed {
    fn decision(status: &str, reasons: &str) -> Typed {
        Typed {
            status: status.to_owned(),
            reasons: reasons.to_owned(),
            ..Typed::default()
        }
    }
}

/// A parcel of the household and its standing (Art. 12-13).
struct ParcelLine {
    id: i32,
    name: String,
    suitable: bool,
    issues: Vec<String>,
}

async fn household_view(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    refusal: Option<&StepRefusal>,
    typed: Typed,
) -> Result<HouseholdPage, AppError> {
    let lang = visitor.lang;
    let problems = refusal.map(|r| r.fields.clone()).unwrap_or_default();
    let failure = refusal.filter(|r| r.fields.is_empty()).map(|r| &r.message);
    let v = state
        .store
        .household_verification(id, state.config.today())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let call = match v.household.call_id {
        Some(call_id) => state.store.call(call_id).await?,
        None => None,
    };
    let received: Vec<DocumentKind> = v.documents.iter().map(|d| d.kind).collect();
    Ok(HouseholdPage {
        deadline: v.deadline().map(|d| lang.date(d)).unwrap_or_default(),
        first_receipt_day: (v.notice.as_ref())
            .map(|n| n.notice_date.to_string())
            .unwrap_or_default(),
        today: state.config.today().to_string(),
        status: status_label(lang, v.status),
        checklist: v
            .required
            .iter()
            .map(|k| ChecklistLine {
                kind: k.to_string(),
                label: doc_label(lang, *k),
                received: received.contains(k),
            })
            .collect(),
        documents: v
            .documents
            .iter()
            .map(|d| DocumentLine {
                id: d.id,
                label: doc_label(lang, d.kind),
                file_name: d.file_name.clone(),
                content_type: d.content_type.clone(),
                size_bytes: d.size_bytes,
                sha256: d.sha256.chars().take(12).collect(),
                received_on: lang.date(d.received_on),
                recorded_at: lang.moment(d.received_at),
            })
            .collect(),
        kinds: DocumentKind::ALL
            .iter()
            .map(|k| (k.to_string(), doc_label(lang, *k)))
            .collect(),
        tenures: LandTenure::ALL
            .iter()
            .map(|t| {
                (
                    t.to_string(),
                    lang.t(&format!("parcel-tenure_kind-{t}")).to_owned(),
                )
            })
            .collect(),
        can_verify: visitor.can(Permission::VerifyHouseholds),
        can_download: visitor.can(Permission::ViewFullDocuments),
        open: v.notice.is_some() && v.status == VerificationStatus::Pending,
        parcels: v
            .parcels
            .iter()
            .map(|p| ParcelLine {
                id: p.parcel_id,
                name: p.name.clone(),
                suitable: p.standing.is_suitable(),
                issues: p.standing.issues().iter().map(|i| issue_text(lang, *i)).collect(),
            })
            .collect(),
        call,
        v,
        failure: failure.map(|m| lang.say(m)),
        failure_code: failure.map(|m| m.code().to_owned()).unwrap_or_default(),
        problems,
        typed,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn household_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    render(&household_view(&state, &visitor, id, None, Typed::default()).await?)
}

async fn refuse_household(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    refusal: StepRefusal,
    typed: Typed,
) -> Result<Response, AppError> {
    tracing::info!(
        household = id,
        reason = refusal.message.code(),
        "household verification refused"
    );
    let page = household_view(state, visitor, id, Some(&refusal), typed).await?;
    Ok((refusal.code.status(), render(&page)?).into_response())
}

async fn upload(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    let (fields, file, file_problem) =
        read_form(&mut multipart, "document", HOUSEHOLD_DOCUMENT_LIMIT_BYTES).await?;
    let csrf = field(&fields, "csrf_token");
    match receive_document(&state, &visitor, csrf, id, &fields, file, file_problem).await? {
        Ok(()) => {
            Done::new(
                &visitor,
                format!("/personal/hogares/{id}/verificacion"),
                "done-document_received",
            )
            .redirect()
            .await
        }
        Err(refusal) => {
            let typed = Typed {
                kind: field(&fields, "kind").to_owned(),
                received_on: field(&fields, "received_on").trim().to_owned(),
                ..Typed::default()
            };
            refuse_household(&state, &visitor, id, refusal, typed).await
        }
    }
}

/// Receives a document of a household while its verification is open (Art. 14), for the page
/// and the API: `VerifyHouseholds`, the session's token, a known `kind`, a PDF, PNG or JPEG,
/// and `received_on`, the day the household brought it (today when not given; the store
/// checks it against the notice and today). `fields` are the form's, as `read_form` gives them.
pub(crate) async fn receive_document(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    fields: &[(String, String)],
    file: Option<crate::documents::ReceivedFile>,
    file_problem: Option<Message>,
) -> Result<Result<(), StepRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(csrf).await?;
    let today = state.config.today();
    let current = state
        .store
        .household_verification(id, today)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if current.notice.is_none() {
        return Ok(Err(StepRefusal::conflict("verification-error-no_notice")));
    }
    if current.status != VerificationStatus::Pending {
        return Ok(Err(decided(current.status)));
    }
    let Ok(kind) = field(fields, "kind").parse::<DocumentKind>() else {
        return Ok(Err(field_refused(
            visitor.lang,
            KIND_FIELD,
            Message::new("verification-error-kind"),
        )));
    };
    let received_on = match field(fields, "received_on").trim() {
        "" => today,
        given => match given.parse::<jiff::civil::Date>() {
            Ok(day) => day,
            Err(_) => {
                return Ok(Err(field_refused(
                    visitor.lang,
                    RECEIPT_DAY_FIELD,
                    Message::new("verification-error-received_not_a_date").with("value", given),
                )));
            }
        },
    };
    let file = match (file, file_problem) {
        (_, Some(problem)) => return Ok(Err(field_refused(visitor.lang, FILE_FIELD, problem))),
        (None, None) => {
            return Ok(Err(field_refused(
                visitor.lang,
                FILE_FIELD,
                Message::new("verification-error-no_file"),
            )));
        }
        (Some(file), None) => file,
    };
    if !ACCEPTED_TYPES.contains(&file.content_type) {
        return Ok(Err(field_refused(
            visitor.lang,
            FILE_FIELD,
            Message::new("verification-error-file_type").with("file", file.file_name.as_str()),
        )));
    }
    // The store checks the day again; here before the file is kept.
    if let Some(notice) = &current.notice
        && let Err(refused) =
            vereda_domain::verification::check_receipt_day(received_on, notice.notice_date, today)
    {
        return Ok(Err(field_refused(
            visitor.lang,
            RECEIPT_DAY_FIELD,
            refused.message(),
        )));
    }
    let kept = keep_file(state, file)?;
    let new = vereda_store::verification::NewHouseholdDocument {
        kind,
        file_name: kept.file_name,
        content_type: kept.content_type,
        size_bytes: kept.size_bytes,
        sha256: kept.sha256,
        received_on,
    };
    match state
        .store
        .receive_household_document(&actor, id, new, today)
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(StoreError::Conflict(said)) => Ok(Err(StepRefusal::new(ErrorCode::Conflict, said))),
        Err(StoreError::Invalid(said)) if said.code().starts_with("verification-error-received_") => {
            Ok(Err(field_refused(visitor.lang, RECEIPT_DAY_FIELD, said)))
        }
        Err(StoreError::Invalid(said)) => Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, said))),
        Err(other) => Err(other.into()),
    }
}

/// A document refused for one of its fields: the problem is the refusal's (its code the
/// API's) and shown beside the field on the page.
fn field_refused(lang: Lang, field: &str, problem: Message) -> StepRefusal {
    let mut errors = FieldErrors::default();
    errors.add(lang, field, problem.clone());
    StepRefusal {
        fields: errors.problems(),
        ..StepRefusal::new(ErrorCode::InvalidInput, problem)
    }
}

/// The document form's fields, by their catalogue labels.
const KIND_FIELD: &str = "verification-kind";
const FILE_FIELD: &str = "verification-file";
const RECEIPT_DAY_FIELD: &str = "verification-received_on";

#[derive(Deserialize)]
struct DecisionPost {
    status: String,
    #[serde(default)]
    reasons: String,
    lock_version: i32,
    csrf_token: String,
}

async fn decide(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<DecisionPost>,
) -> Result<Response, AppError> {
    let decided = decide_household(
        &state,
        &visitor,
        &post.csrf_token,
        id,
        &post.status,
        &post.reasons,
        post.lock_version,
    )
    .await?;
    match decided {
        Ok(()) => {
            Done::new(
                &visitor,
                format!("/personal/hogares/{id}/verificacion"),
                "done-household_decided",
            )
            .redirect()
            .await
        }
        Err(refusal) => {
            let typed = Typed::decision(&post.status, &post.reasons);
            refuse_household(&state, &visitor, id, refusal, typed).await
        }
    }
}

/// Decides a household's verification (Art. 14, 45, 46), for the page and the API:
/// `VerifyHouseholds`, the session's token, the notice given, the version read, the rules of
/// `check_decision` and, for eligible, suitable parcels; the letter goes out after it.
pub(crate) async fn decide_household(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    id: i32,
    status: &str,
    reasons: &str,
    lock_version: i32,
) -> Result<Result<(), StepRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(csrf).await?;
    let today = state.config.today();
    let current = state
        .store
        .household_verification(id, today)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let Ok(to) = status.trim().parse::<VerificationStatus>() else {
        return Ok(Err(StepRefusal::invalid("verification-error-status")));
    };
    let Some(notice) = &current.notice else {
        return Ok(Err(StepRefusal::conflict("verification-error-no_notice")));
    };
    if lock_version != current.lock_version {
        return Ok(Err(StepRefusal::conflict("verification-error-changed_meanwhile")));
    }
    if let Err(error) = check_decision(
        current.status,
        to,
        reasons,
        &current.missing,
        notice.deadline,
        today,
    ) {
        let code = match error {
            DecisionError::MissingDocuments(_) | DecisionError::ReasonsRequired => ErrorCode::InvalidInput,
            DecisionError::WithdrawalNotDue(_) | DecisionError::AlreadyDecided(_) => ErrorCode::Conflict,
        };
        return Ok(Err(StepRefusal::new(code, error.message())));
    }
    if to == VerificationStatus::Eligible
        && let Some(said) = parcels_refusal(&current.parcels)
    {
        return Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, said)));
    }
    let decision = Decision {
        status: to,
        reasons: reasons.to_owned(),
        lock_version,
    };
    match state.store.decide_verification(&actor, id, decision, today).await {
        Ok((_, letter)) => {
            state.outbox.dispatch(&state.store, &actor, vec![letter]).await;
            Ok(Ok(()))
        }
        Err(StoreError::Conflict(_)) => {
            Ok(Err(StepRefusal::conflict("verification-error-changed_meanwhile")))
        }
        Err(StoreError::Invalid(said)) => Ok(Err(StepRefusal::new(ErrorCode::InvalidInput, said))),
        Err(other) => Err(other.into()),
    }
}

// ---- Decisions in bulk ---------------------------------------------------------------------

/// Which households a decision in bulk takes: chosen by hand, or every one the list's filter
/// and search match (within the reader's reach).
pub(crate) enum Selection {
    Chosen(Vec<i32>),
    /// Boxed: the list's parameters are many strings.
    Filter(Box<ListParams>),
}

/// A decision in bulk checked and its households found, before it is confirmed.
pub(crate) struct BulkPlan {
    pub(crate) status: VerificationStatus,
    pub(crate) household_ids: Vec<i32>,
    /// A filter matching more households than one request decides: how many it matches, for
    /// a job to decide (`household_ids` is then empty).
    pub(crate) by_job: Option<u64>,
}

impl BulkPlan {
    /// How many households the decision takes.
    pub(crate) fn households(&self) -> u64 {
        self.by_job.unwrap_or(self.household_ids.len() as u64)
    }
}

/// The refusal of a decision in bulk as a whole, beside `field`.
fn bulk_refusal(code: ErrorCode, message: Message, field: &str) -> StepRefusal {
    StepRefusal::new(code, message.with("field", field))
}

/// Checks a decision in bulk (issue 18 part 3), for the page and the API: `VerifyHouseholds`,
/// the session's token, the call, a decision, the reasons it needs, at least one household and
/// at most `BULK_DECISION_LIMIT`. Each household is checked later on its own by the store.
pub(crate) async fn plan_bulk_decision(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    call_id: i32,
    selection: &Selection,
    status: &str,
    reasons: &str,
) -> Result<Result<BulkPlan, StepRefusal>, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    visitor.check_csrf(csrf).await?;
    call_or_404(state, call_id).await?;
    let status = match status.trim().parse::<VerificationStatus>() {
        Ok(VerificationStatus::Pending) | Err(_) => {
            let message = Message::new("verification-error-status");
            return Ok(Err(bulk_refusal(ErrorCode::InvalidInput, message, "status")));
        }
        Ok(status) => status,
    };
    if status != VerificationStatus::Eligible && reasons.trim().is_empty() {
        let message = Message::new("verification-error-reasons");
        return Ok(Err(bulk_refusal(ErrorCode::InvalidInput, message, "reasons")));
    }
    let limit = state.config.households_in_request();
    let household_ids = match selection {
        Selection::Chosen(ids) => {
            let mut unique = Vec::with_capacity(ids.len());
            for id in ids {
                if !unique.contains(id) {
                    unique.push(*id);
                }
            }
            unique
        }
        Selection::Filter(params) => {
            let list = household_list(state, visitor, call_id, params).await?;
            // One over the bound, to tell that there are too many for one request.
            let ids = state.store.household_ids(&list, limit as u64 + 1).await?;
            if ids.len() > limit {
                let matching = state.store.household_count(&list).await?;
                return Ok(Ok(BulkPlan {
                    status,
                    household_ids: Vec::new(),
                    by_job: Some(matching),
                }));
            }
            ids
        }
    };
    if household_ids.is_empty() {
        let message = Message::new("verification-error-bulk_none");
        return Ok(Err(bulk_refusal(ErrorCode::InvalidInput, message, "hogar")));
    }
    if household_ids.len() > limit {
        let message = Message::new("verification-error-bulk_too_many").with("limit", limit);
        return Ok(Err(bulk_refusal(ErrorCode::InvalidInput, message, "hogar")));
    }
    Ok(Ok(BulkPlan {
        status,
        household_ids,
        by_job: None,
    }))
}

/// The question before a decision in bulk: how many households, how many letters at most
/// (one for each household decided), and the decision.
pub(crate) fn bulk_question(plan: &BulkPlan) -> Message {
    let count = plan.households();
    Message::new("confirm-bulk_decision")
        .with("households", count)
        .with("letters", count)
        .with_term("status", format!("verification-status-{}", plan.status))
}

/// Asks the job that decides a plan too large for one request, with the filter it was planned
/// on, and wakes this server's worker: the request as the store keeps it.
pub(crate) async fn request_bulk_job(
    state: &AppState,
    visitor: &Visitor,
    call_id: i32,
    plan: &BulkPlan,
    params: &ListParams,
    reasons: &str,
) -> Result<vereda_store::bulk_decisions::BulkDecision, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    let request = vereda_store::bulk_decisions::BulkRequest {
        call_id,
        status: plan.status,
        reasons: reasons.to_owned(),
        search: params.q.trim().to_owned(),
        municipality: ListParams::given(&params.municipio),
        verification_status: ListParams::given(&params.estado).and_then(|s| s.parse().ok()),
    };
    let (decision, job) = (state.store)
        .request_bulk_decision(&actor, &request, plan.households())
        .await?;
    tracing::info!(
        call = call_id,
        decision = decision.id,
        job = job.id,
        households = decision.matching,
        "decision in bulk queued"
    );
    state.worker.start(state);
    Ok(decision)
}

/// Decides each household of a checked plan through the store's gate, one transaction each,
/// and sends the letters written; the outcome of each, in the plan's order.
pub(crate) async fn decide_in_bulk(
    state: &AppState,
    visitor: &Visitor,
    call_id: i32,
    plan: &BulkPlan,
    reasons: &str,
) -> Result<Vec<BulkOutcome>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    let outcomes = state
        .store
        .decide_verifications(
            &actor,
            call_id,
            &plan.household_ids,
            plan.status,
            reasons,
            state.config.today(),
        )
        .await?;
    let letters: Vec<LetterRecord> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().cloned())
        .collect();
    tracing::info!(
        call = call_id,
        decided = letters.len(),
        refused = outcomes.len() - letters.len(),
        "verification decided in bulk"
    );
    state.outbox.dispatch(&state.store, &actor, letters).await;
    Ok(outcomes)
}

#[derive(Deserialize)]
struct BulkPost {
    csrf_token: String,
    /// `filtro`: every household the filter matches; else the households ticked.
    #[serde(default)]
    alcance: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    municipio: String,
    #[serde(default)]
    estado: String,
}

struct BulkLine {
    household_id: i32,
    external_id: String,
    decided: bool,
    code: String,
    problem: String,
    article: &'static str,
}

#[derive(Template)]
#[template(path = "verification_bulk.html")]
struct BulkReport {
    chrome: Chrome,
    call: Call,
    status: String,
    decided: usize,
    refused: usize,
    lines: Vec<BulkLine>,
    back: String,
}

/// The address of the call's verification list with the filter the decision was made on.
fn list_address(call_id: i32, params: &ListParams) -> String {
    let mut query = Vec::new();
    for (name, value) in [
        ("q", &params.q),
        ("municipio", &params.municipio),
        ("estado", &params.estado),
    ] {
        if !value.is_empty() {
            query.push(format!("{name}={}", crate::error::urlencode(value)));
        }
    }
    let path = format!("/personal/convocatorias/{call_id}/verificacion");
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// A decision in bulk from the call's page: checked, then confirmed (how many households and
/// letters), then each household decided on its own and reported one by one.
async fn bulk_decide(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    form: Confirmable<BulkPost>,
) -> Result<Response, AppError> {
    let post = &form.form;
    let params = ListParams {
        q: post.q.clone(),
        municipio: post.municipio.clone(),
        estado: post.estado.clone(),
        ..ListParams::default()
    };
    let chosen: Vec<i32> = form
        .fields()
        .iter()
        .filter(|(name, _)| name == "hogar")
        .filter_map(|(_, value)| value.trim().parse().ok())
        .collect();
    let by_filter = post.alcance == "filtro";
    let selection = if by_filter {
        Selection::Filter(Box::new(params.clone()))
    } else {
        Selection::Chosen(chosen.clone())
    };
    let planned = plan_bulk_decision(
        &state,
        &visitor,
        &post.csrf_token,
        id,
        &selection,
        &post.status,
        &post.reasons,
    )
    .await?;
    let back = list_address(id, &params);
    let plan = match planned {
        Ok(plan) => plan,
        Err(refusal) => {
            let field = match refusal.message.arg("field") {
                Some(vereda_domain::message::Arg::Text(field)) => field.clone(),
                _ => "hogar".to_owned(),
            };
            let words = visitor.lang.say(&refusal.message);
            tracing::info!(
                call = id,
                code = refusal.message.code(),
                "decision in bulk refused"
            );
            let bulk = BulkForm {
                by_filter,
                chosen,
                status: post.status.clone(),
                reasons: post.reasons.clone(),
                problem: Some((field, refusal.message.code().to_owned(), words)),
            };
            let page = call_view(&state, &visitor, id, &params, None, bulk).await?;
            return Ok((refusal.code.status(), render(&page)?).into_response());
        }
    };
    let count = plan.households();
    if let Some(page) = form
        .ask(&visitor, bulk_question(&plan), Some(count), &back)
        .await?
    {
        return Ok(page);
    }
    if plan.by_job.is_some() {
        let decision = request_bulk_job(&state, &visitor, id, &plan, &params, &post.reasons).await?;
        return crate::flash::Done::new(
            &visitor,
            format!(
                "/personal/convocatorias/{id}/verificacion/decisiones/{}",
                decision.id
            ),
            "done-bulk_queued",
        )
        .redirect()
        .await;
    }
    let call = call_or_404(&state, id).await?;
    let outcomes = decide_in_bulk(&state, &visitor, id, &plan, &post.reasons).await?;
    let lang = visitor.lang;
    let lines: Vec<BulkLine> = outcomes
        .into_iter()
        .map(|o| {
            let (decided, code, problem) = match &o.result {
                Ok(_) => (true, String::new(), String::new()),
                Err(message) => (false, message.code().to_owned(), lang.say(message)),
            };
            BulkLine {
                article: vereda_domain::verification::refusal_article(&code),
                household_id: o.household_id,
                external_id: o.external_id,
                decided,
                code,
                problem,
            }
        })
        .collect();
    let decided = lines.iter().filter(|l| l.decided).count();
    render(&BulkReport {
        status: status_label(lang, plan.status),
        refused: lines.len() - decided,
        decided,
        lines,
        call,
        back,
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A decision in bulk run as a job, as its page and the API show it (within the reader's
/// reach: the call's, as any page of the call).
pub(crate) async fn bulk_job_of(
    state: &AppState,
    visitor: &Visitor,
    call_id: i32,
    bulk: i32,
) -> Result<vereda_store::bulk_decisions::BulkDecision, AppError> {
    visitor.require(Permission::VerifyHouseholds)?;
    call_or_404(state, call_id).await?;
    (state.store.bulk_decision(bulk).await?)
        .filter(|d| d.call_id == call_id)
        .ok_or_else(|| {
            AppError::said(
                ErrorCode::NotFound,
                crate::error::not_found("bulk decision", &bulk.to_string()),
            )
        })
}

#[derive(Template)]
#[template(path = "verification_bulk_job.html")]
struct BulkJobPage {
    chrome: Chrome,
    call: Call,
    decision: vereda_store::bulk_decisions::BulkDecision,
    status: String,
    lines: Vec<BulkLine>,
    back: String,
}

/// The progress of a decision in bulk run as a job: how many households it matched, planned,
/// decided and refused, and the refusals; the page reloads itself until the job ends.
async fn bulk_job_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, bulk)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    let decision = bulk_job_of(&state, &visitor, id, bulk).await?;
    let lang = visitor.lang;
    let lines = (decision.refusals.iter())
        .map(|r| BulkLine {
            household_id: r.household_id,
            external_id: r.external_id.clone(),
            decided: false,
            code: r.problem.code().to_owned(),
            problem: lang.say(&r.problem),
            article: vereda_domain::verification::refusal_article(r.problem.code()),
        })
        .collect();
    render(&BulkJobPage {
        call: call_or_404(&state, id).await?,
        status: status_label(lang, decision.status),
        decision,
        lines,
        back: format!("/personal/convocatorias/{id}/verificacion"),
        chrome: Chrome::new(&visitor).await?,
    })
}

/// A parcel as declared: the page's form fields, or the API's JSON as text.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct ParcelPost {
    #[serde(default)]
    pub(crate) csrf_token: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) vereda: String,
    #[serde(default)]
    pub(crate) land_title_record: String,
    #[serde(default)]
    pub(crate) area_ha: String,
    #[serde(default)]
    pub(crate) land_tenure: String,
}

/// Registers a parcel the household declares (Art. 12) while its verification is open.
async fn add_parcel(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
    Form(post): Form<ParcelPost>,
) -> Result<Response, AppError> {
    let typed = Typed {
        parcel: ParcelPost {
            csrf_token: String::new(),
            ..post.clone()
        },
        ..Typed::default()
    };
    match declare_parcel(&state, &visitor, id, post).await? {
        Ok(parcel) => {
            let to = format!("/personal/hogares/{id}/predios/{}", parcel.id);
            Done::new(&visitor, to, "done-parcel_declared").redirect().await
        }
        Err(refusal) => refuse_household(&state, &visitor, id, refusal, typed).await,
    }
}

/// Registers a declared parcel, for the page and the API: `VerifyHouseholds`, the session's
/// token, a pending household, a name, a positive area if any and a tenure.
pub(crate) async fn declare_parcel(
    state: &AppState,
    visitor: &Visitor,
    id: i32,
    mut post: ParcelPost,
) -> Result<Result<vereda_store::parcels::ParcelRecord, StepRefusal>, AppError> {
    let actor = visitor.require(Permission::VerifyHouseholds)?.actor();
    visitor.check_csrf(&post.csrf_token).await?;
    let lang = visitor.lang;
    let current = state
        .store
        .household_verification(id, state.config.today())
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if current.status != VerificationStatus::Pending {
        return Ok(Err(decided(current.status)));
    }
    let mut errors = FieldErrors::default();
    if post.name.trim().is_empty() {
        errors.add(lang, "parcel-name", Message::new("parcel-error-required"));
    }
    let area_ha = read_number_field(lang, "parcel-area", &mut post.area_ha, &mut errors);
    if area_ha.is_some_and(|area| area <= rust_decimal::Decimal::ZERO) {
        errors.add(lang, "parcel-area", Message::new("parcel-error-area"));
    }
    let land_tenure = post.land_tenure.parse::<LandTenure>().ok();
    if land_tenure.is_none() {
        errors.add(lang, "parcel-tenure", Message::new("parcel-error-choose"));
    }
    let municipality = current.household.municipality_code.parse::<DaneCode>().ok();
    let (Some(land_tenure), Some(municipality), true) = (land_tenure, municipality, errors.is_empty()) else {
        return Ok(Err(StepRefusal::fields(&errors)));
    };
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let new = NewParcel {
        municipality,
        name: post.name.trim().to_owned(),
        vereda: optional(&post.vereda),
        land_title_record: optional(&post.land_title_record),
        area_ha,
        land_tenure,
        latitude: None,
        longitude: None,
    };
    match state.store.add_parcel(&actor, id, new).await {
        Ok(parcel) => Ok(Ok(parcel)),
        Err(StoreError::Conflict(_)) => Ok(Err(StepRefusal::conflict("parcel-error-decided"))),
        Err(other) => Err(other.into()),
    }
}

/// A received document, whole: identity documents are personal data, so only the staff who
/// see whole documents (`ViewFullDocuments`) get them.
pub(crate) async fn download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, document)): Path<(i32, i32)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewFullDocuments)?;
    let document = state
        .store
        .household_document(id, document)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    crate::documents::kept_file_response(
        &state,
        &document.sha256,
        &document.file_name,
        Some(&document.content_type),
    )
    .await
}

// ---- A household's history ----------------------------------------------------------------

struct EventLine {
    at: String,
    kind: String,
    detail: String,
    actor: String,
}

#[derive(Template)]
#[template(path = "verification_timeline.html")]
struct TimelinePage {
    chrome: Chrome,
    household_id: i32,
    external_id: String,
    events: Vec<EventLine>,
}

async fn timeline_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewHouseholds)?;
    let lang = visitor.lang;
    let household = state
        .store
        .household(id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let events: Vec<TimelineEvent> = state.store.household_timeline(id).await?;
    render(&TimelinePage {
        household_id: id,
        external_id: household.external_id,
        events: events
            .into_iter()
            .map(|e| EventLine {
                at: lang.moment(e.at),
                kind: lang.t(&format!("verification-event-{}", e.kind)).to_owned(),
                detail: lang.say(&e.detail),
                actor: e.actor,
            })
            .collect(),
        chrome: Chrome::new(&visitor).await?,
    })
}
