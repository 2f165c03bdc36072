//! Follow-up after the payment (Art. 31, 34-36), for staff: a project's supervision visits
//! with their findings per plan line, photos with coordinates and commitments
//! (`/personal/proyectos/{code}/visitas`); its progress, alerts and act of closure
//! (`/personal/proyectos/{code}/cierre`, the act as PDF at `.../cierre/acta.pdf`); and the
//! office's alerts (`/personal/alertas`). The store decides who may and why not; the pages
//! only read what was sent and keep it on refusal.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::followup::{ClosureReason, CommitmentDraft, Delivery, Finding, VisitDraft};
use vereda_domain::privacy::PersonalField;
use vereda_store::StoreError;
use vereda_store::followup::{
    Accompaniment, Closure, NewClosure, NewDelivery, NewVisit, NewVisitPhoto, Progress, Visits,
};

use super::Chrome;
use super::ledger::LineView;
use crate::AppState;
use crate::auth::Visitor;
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, ErrorCode, urlencode};
use crate::form_errors::{FieldErrors, read_number_field};
use crate::form_step::done_or_again;
use crate::i18n::{Lang, Message};
use crate::lists::{FilterView, ListParams, ListView};
use crate::today::today_in_colombia;
use vereda_store::lists::FollowupList;

/// The largest photo of a visit.
pub const PHOTO_LIMIT_BYTES: usize = 15 * 1024 * 1024;

/// How many commitments the visit form offers.
const COMMITMENT_ROWS: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/personal/proyectos/{code}/visitas",
            get(visits_page).post(record_visit),
        )
        .route(
            "/personal/proyectos/{code}/visitas/{id}/fotos",
            axum::routing::post(add_photo).layer(DefaultBodyLimit::max(PHOTO_LIMIT_BYTES + 64 * 1024)),
        )
        .route("/personal/proyectos/{code}/fotos/{id}", get(photo))
        .route("/personal/proyectos/{code}/cierre", get(closure_page).post(close))
        .route("/personal/proyectos/{code}/cierre/acta.pdf", get(closure_pdf))
        .route("/personal/alertas", get(alerts_page))
        .route(
            "/personal/proyectos/{code}/acompanamiento",
            get(accompaniment_page).post(schedule_activity),
        )
        .route(
            "/personal/proyectos/{code}/acompanamiento/{id}/entrega",
            axum::routing::post(deliver_activity).layer(DefaultBodyLimit::max(PHOTO_LIMIT_BYTES + 64 * 1024)),
        )
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    hecho: Option<String>,
}

/// A coordinate in decimal degrees, as typed (a comma or a point before the decimals).
pub fn read_coordinate(text: &str, name: &'static str) -> Result<Decimal, Message> {
    let text = text.trim().replace(',', ".");
    text.parse::<Decimal>().map_err(|_| {
        Message::new("followup-error-coordinate")
            .with("value", text.as_str())
            .with("field", name)
    })
}

// ---------------------------------------------------------------------------------------------
// Visits

/// What the visit form holds, as typed.
#[derive(Default, Clone)]
pub struct VisitForm {
    pub visited_on: String,
    pub team: String,
    pub rating: String,
    pub environmental: String,
    pub legal: String,
    /// Per plan line: (line, delivery, planned quantity, delivered quantity, note).
    pub findings: Vec<(u32, String, String, String, String)>,
    /// (description, due date).
    pub commitments: Vec<(String, String)>,
    pub closes: Vec<i32>,
}

/// A visit as the page lists it.
pub struct VisitView {
    pub id: i32,
    pub visited_on: String,
    pub team: String,
    pub rating: i32,
    pub environmental: String,
    pub legal: String,
    pub recorded_by: String,
    /// (line, delivery said, quantities, note).
    pub findings: Vec<(u32, String, String, String)>,
    /// (id, file name, latitude, longitude).
    pub photos: Vec<(i32, String, String, String)>,
}

/// A commitment as the page lists it.
pub struct CommitmentView {
    pub id: i32,
    pub visit_id: i32,
    pub description: String,
    pub due_on: String,
    pub closed: Option<String>,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "followup_visits.html")]
struct VisitsPage {
    chrome: Chrome,
    code: String,
    code_path: String,
    visits: Vec<VisitView>,
    commitments: Vec<CommitmentView>,
    lines: Vec<LineView>,
    deliveries: Vec<(&'static str, String)>,
    form: VisitForm,
    /// The photo form of one visit as typed, when it was refused.
    photo: Option<PhotoForm>,
    errors: FieldErrors,
    failure: Option<String>,
    failure_code: String,
    can_record: bool,
    done: bool,
}

/// What a visit's photo form held, as typed (the file itself cannot be offered again).
#[derive(Default, Clone)]
pub struct PhotoForm {
    pub visit_id: i32,
    pub latitude: String,
    pub longitude: String,
}

impl VisitsPage {
    fn problems(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    /// The problem's code beside `field` of the visit form.
    fn problem_code(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    fn photo_of(&self, visit: &i32) -> Option<&PhotoForm> {
        self.photo.as_ref().filter(|p| p.visit_id == *visit)
    }

    /// What was typed in `field` of the photo form of `visit`, when it was refused.
    fn photo_value(&self, visit: &i32, field: &str) -> String {
        match (self.photo_of(visit), field) {
            (Some(p), "latitude") => p.latitude.clone(),
            (Some(p), "longitude") => p.longitude.clone(),
            _ => String::new(),
        }
    }

    /// The problems of `field` of the photo form of `visit`.
    fn photo_problems(&self, visit: &i32, field: &str) -> Vec<&str> {
        if self.photo_of(visit).is_some() {
            self.errors.of(field)
        } else {
            Vec::new()
        }
    }

    fn photo_problem_code(&self, visit: &i32, field: &str) -> &str {
        if self.photo_of(visit).is_some() {
            self.errors.code_of(field)
        } else {
            ""
        }
    }

    fn finding_of(&self, line: &u32) -> (String, String, String, String) {
        self.form
            .findings
            .iter()
            .find(|f| f.0 == *line)
            .map(|f| (f.1.clone(), f.2.clone(), f.3.clone(), f.4.clone()))
            .unwrap_or_default()
    }

    fn commitment_row(&self, index: &usize) -> (String, String) {
        self.form.commitments.get(*index).cloned().unwrap_or_default()
    }

    fn rows(&self) -> Vec<usize> {
        (0..COMMITMENT_ROWS).collect()
    }

    fn ratings(&self) -> Vec<String> {
        (1..=vereda_domain::followup::TOP_RATING)
            .map(|r| r.to_string())
            .collect()
    }

    fn has_open(&self) -> bool {
        self.commitments.iter().any(|c| c.closed.is_none())
    }

    fn closing(&self, id: &i32) -> bool {
        self.form.closes.contains(id)
    }
}

fn delivery_label(lang: Lang, delivery: Delivery) -> String {
    lang.t(&format!("delivery-{delivery}")).to_owned()
}

fn visit_view(lang: Lang, v: &vereda_store::followup::Visit) -> VisitView {
    VisitView {
        id: v.id,
        visited_on: v.visited_on.to_string(),
        team: v.team.join(", "),
        rating: v.rating,
        environmental: v.environmental.clone(),
        legal: v.legal.clone(),
        recorded_by: v.recorded_by.clone().unwrap_or_default(),
        findings: v
            .findings
            .iter()
            .map(|f| {
                let quantities = match (f.delivered_quantity, f.planned_quantity) {
                    (Some(d), Some(p)) => format!("{} / {}", lang.amount(&d), lang.amount(&p)),
                    (Some(d), None) => lang.amount(&d),
                    _ => String::new(),
                };
                (
                    f.line,
                    delivery_label(lang, f.delivery),
                    quantities,
                    f.note.clone(),
                )
            })
            .collect(),
        photos: v
            .photos
            .iter()
            .map(|p| {
                (
                    p.id,
                    p.file_name.clone(),
                    p.latitude.to_string(),
                    p.longitude.to_string(),
                )
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn visits_view(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    form: VisitForm,
    photo: Option<PhotoForm>,
    errors: FieldErrors,
    failure: Option<Message>,
    done: bool,
) -> Result<VisitsPage, AppError> {
    let lang = visitor.lang;
    let Visits { visits, commitments } = state.store.visits(code).await?;
    let ledger = state.store.ledger(code).await?;
    let today = today_in_colombia();
    let lines = ledger
        .plan
        .plan
        .lines
        .iter()
        .map(|l| super::ledger::line_view(lang, l, &ledger.execution.by_line))
        .collect();
    Ok(VisitsPage {
        chrome: Chrome::new(visitor).await?,
        code: code.to_owned(),
        code_path: urlencode(code),
        visits: visits.iter().map(|v| visit_view(lang, v)).collect(),
        commitments: commitments
            .iter()
            .map(|c| CommitmentView {
                id: c.id,
                visit_id: c.visit_id,
                description: c.description.clone(),
                due_on: c.due_on.to_string(),
                closed: c.closed_by_visit.map(|v| {
                    format!(
                        "{} {v} · {}",
                        lang.t("followup-visit"),
                        c.closed_on.map(|d| d.to_string()).unwrap_or_default()
                    )
                }),
                overdue: c.closed_by_visit.is_none() && c.due_on < today,
            })
            .collect(),
        lines,
        deliveries: Delivery::ALL
            .iter()
            .map(|d| (d.as_str(), delivery_label(lang, *d)))
            .collect(),
        form,
        photo,
        errors,
        failure_code: failure.as_ref().map(|m| m.code().to_owned()).unwrap_or_default(),
        failure: failure.map(|m| lang.say(&m)),
        can_record: visitor.can(Permission::RecordMeasurements),
        done,
    })
}

async fn visits_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let form = VisitForm {
        visited_on: today_in_colombia().to_string(),
        ..VisitForm::default()
    };
    let page = visits_view(
        &state,
        &visitor,
        &code,
        form,
        None,
        FieldErrors::default(),
        None,
        done.hecho.is_some(),
    )
    .await?;
    super::render(&page)
}

/// Reads the visit form into a draft; problems of what was typed go beside their field.
fn read_visit(
    lang: Lang,
    fields: &[(String, String)],
    lines: &[u32],
    errors: &mut FieldErrors,
) -> (VisitForm, Option<VisitDraft>) {
    let text = |name: &str| field(fields, name).trim().to_owned();
    let mut form = VisitForm {
        visited_on: text("visited_on"),
        team: field(fields, "team").to_owned(),
        rating: text("rating"),
        environmental: text("environmental"),
        legal: text("legal"),
        closes: fields
            .iter()
            .filter(|(n, _)| n == "closes")
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect(),
        ..VisitForm::default()
    };
    let visited_on = form.visited_on.parse::<jiff::civil::Date>().ok();
    if visited_on.is_none() {
        errors.add(
            lang,
            "visited_on",
            Message::new("ledger-error-date").with("value", form.visited_on.as_str()),
        );
    }
    let rating = form.rating.parse::<u8>().ok();
    if rating.is_none() {
        errors.add(
            lang,
            "rating",
            Message::new("followup-error-rating").with("value", form.rating.as_str()),
        );
    }
    let mut findings = Vec::new();
    for line in lines {
        let mut planned = text(&format!("planned_{line}"));
        let mut delivered = text(&format!("delivered_{line}"));
        let delivery = text(&format!("delivery_{line}"));
        let note = text(&format!("note_{line}"));
        let planned_value = read_number_field(lang, &format!("planned_{line}"), &mut planned, errors);
        let delivered_value = read_number_field(lang, &format!("delivered_{line}"), &mut delivered, errors);
        if let Ok(delivery) = delivery.parse::<Delivery>() {
            findings.push(Finding {
                line: *line,
                delivery,
                planned_quantity: planned_value,
                delivered_quantity: delivered_value,
                note: note.clone(),
            });
        }
        form.findings.push((*line, delivery, planned, delivered, note));
    }
    let mut commitments = Vec::new();
    for i in 0..COMMITMENT_ROWS {
        let description = text(&format!("commitment_{i}"));
        let due = text(&format!("due_{i}"));
        if !description.is_empty() || !due.is_empty() {
            match due.parse::<jiff::civil::Date>() {
                Ok(due_on) => commitments.push(CommitmentDraft {
                    description: description.clone(),
                    due_on,
                }),
                Err(_) => errors.add(
                    lang,
                    "commitments",
                    Message::new("ledger-error-date").with("value", due.as_str()),
                ),
            }
        }
        form.commitments.push((description, due));
    }
    let draft = match (visited_on, rating) {
        (Some(visited_on), Some(rating)) if errors.is_empty() => Some(VisitDraft {
            visited_on,
            team: form.team.lines().map(str::to_owned).collect(),
            findings,
            environmental: form.environmental.clone(),
            legal: form.legal.clone(),
            rating,
            commitments,
        }),
        _ => None,
    };
    (form, draft)
}

async fn record_visit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let lang = visitor.lang;
    let lines: Vec<u32> = state
        .store
        .investment_plans(&code)
        .await?
        .last()
        .map(|v| v.plan.lines.iter().map(|l| l.number).collect())
        .unwrap_or_default();
    let mut errors = FieldErrors::default();
    let (form, draft) = read_visit(lang, &fields, &lines, &mut errors);
    let result = match draft {
        Some(draft) => {
            let new = NewVisit {
                draft,
                closes: form.closes.clone(),
            };
            state
                .store
                .record_visit(&actor, &code, &new, today_in_colombia())
                .await
                .map(|_| ())
        }
        None => Err(StoreError::Invalid(errors.said())),
    };
    let done = format!("/personal/proyectos/{}/visitas?hecho=1", urlencode(&code));
    done_or_again(
        lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-visit_recorded"),
        errors,
        |errors, message, placed| async move {
            // The refusal is said above the form too, unless the typed values had problems.
            let failure = (placed.is_some() || errors.is_empty()).then_some(message);
            let page = visits_view(&state, &visitor, &code, form, None, errors, failure, false).await?;
            super::render(&page)
        },
    )
    .await
}

async fn add_photo(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, id)): Path<(String, i32)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    let lang = visitor.lang;
    let (fields, file, problem) = read_form(&mut multipart, "photo", PHOTO_LIMIT_BYTES).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let typed = PhotoForm {
        visit_id: id,
        latitude: field(&fields, "latitude").trim().to_owned(),
        longitude: field(&fields, "longitude").trim().to_owned(),
    };
    // Every problem of what was typed, each beside its field.
    let mut errors = FieldErrors::default();
    if let Some(problem) = problem {
        errors.add(lang, "photo", problem);
    } else if file.is_none() {
        errors.add(lang, "photo", Message::new("followup-error-photo_required"));
    }
    let latitude = read_coordinate(&typed.latitude, "latitude")
        .map_err(|m| errors.add(lang, "latitude", m))
        .ok();
    let longitude = read_coordinate(&typed.longitude, "longitude")
        .map_err(|m| errors.add(lang, "longitude", m))
        .ok();
    let result = match (file, latitude, longitude) {
        (Some(file), Some(latitude), Some(longitude)) if errors.is_empty() => {
            let kept = keep_file(&state, file)?;
            state
                .store
                .add_visit_photo(
                    &actor,
                    &code,
                    id,
                    NewVisitPhoto {
                        file_name: kept.file_name,
                        content_type: kept.content_type,
                        size_bytes: kept.size_bytes,
                        sha256: kept.sha256,
                        latitude,
                        longitude,
                    },
                )
                .await
                .map(|_| ())
        }
        _ => Err(StoreError::Invalid(errors.said())),
    };
    let done = format!("/personal/proyectos/{}/visitas?hecho=1", urlencode(&code));
    done_or_again(
        lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-visit_photo_added"),
        errors,
        |errors, message, placed| async move {
            let form = VisitForm {
                visited_on: today_in_colombia().to_string(),
                ..VisitForm::default()
            };
            // Beside its fields, the refusal is not said again above the form.
            let failure = (placed.is_none() && errors.is_empty()).then_some(message);
            let page =
                visits_view(&state, &visitor, &code, form, Some(typed), errors, failure, false).await?;
            super::render(&page)
        },
    )
    .await
}

async fn photo(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, id)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let photo = state
        .store
        .visit_photo(&code, id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let path = state.uploads.document_path(&photo.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|e| AppError::internal(&e))?;
    let mut response = axum::body::Body::from(bytes).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&photo.content_type) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, value);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Progress, alerts and closure

/// What the closure form holds, as typed.
#[derive(Default, Clone)]
pub struct ClosureForm {
    pub closed_on: String,
    pub reason: String,
    pub refund_value: String,
    pub refund_on: String,
    pub refund_reference: String,
    pub observations: String,
    pub representative_name: String,
    pub representative_document: String,
}

#[derive(Template)]
#[template(path = "followup_closure.html")]
struct ClosurePage {
    chrome: Chrome,
    code: String,
    code_path: String,
    progress: Progress,
    alerts: Vec<(String, String)>,
    balance: Decimal,
    closure: Option<Closure>,
    representative: String,
    reasons: Vec<(&'static str, String)>,
    form: ClosureForm,
    errors: FieldErrors,
    failure: Option<String>,
    failure_code: String,
    can_close: bool,
    done: bool,
}

impl ClosurePage {
    fn problems(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn delivery(&self, delivery: &Option<Delivery>) -> String {
        match delivery {
            Some(d) => delivery_label(self.chrome.lang, *d),
            None => self.chrome.lang.t("followup-not_seen").to_owned(),
        }
    }
}

fn alert_views(lang: Lang, progress: &Progress) -> Vec<(String, String)> {
    progress
        .alerts
        .iter()
        .map(|a| (a.kind.as_str().to_owned(), lang.say(&a.message)))
        .collect()
}

async fn closure_view(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    form: ClosureForm,
    errors: FieldErrors,
    failure: Option<Message>,
    done: bool,
) -> Result<ClosurePage, AppError> {
    let lang = visitor.lang;
    let progress = state.store.progress(code, today_in_colombia()).await?;
    let ledger = state.store.ledger(code).await?;
    let closure = state.store.closure(code).await?;
    let sees = visitor
        .account
        .as_ref()
        .is_some_and(|a| vereda_domain::privacy::sees_personal_data(a.role));
    let representative = closure
        .as_ref()
        .map(|c| {
            if sees {
                format!("{} · {}", c.representative_name, c.representative_document)
            } else {
                format!(
                    "{} · {}",
                    PersonalField::Text.mask(&c.representative_name),
                    PersonalField::Document.mask(&c.representative_document)
                )
            }
        })
        .unwrap_or_default();
    Ok(ClosurePage {
        chrome: Chrome::new(visitor).await?,
        code: code.to_owned(),
        code_path: urlencode(code),
        alerts: alert_views(lang, &progress),
        progress,
        balance: ledger.execution.balance,
        closure,
        representative,
        reasons: ClosureReason::ALL
            .iter()
            .map(|r| (r.as_str(), lang.t(&format!("closure-reason-{r}")).to_owned()))
            .collect(),
        form,
        errors,
        failure_code: failure.as_ref().map(|m| m.code().to_owned()).unwrap_or_default(),
        failure: failure.map(|m| lang.say(&m)),
        can_close: visitor.can(Permission::CloseProject),
        done,
    })
}

async fn closure_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let today = today_in_colombia().to_string();
    let form = ClosureForm {
        closed_on: today.clone(),
        refund_on: today,
        reason: ClosureReason::PeriodEnded.as_str().to_owned(),
        ..ClosureForm::default()
    };
    let page = closure_view(
        &state,
        &visitor,
        &code,
        form,
        FieldErrors::default(),
        None,
        done.hecho.is_some(),
    )
    .await?;
    super::render(&page)
}

async fn close(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let lang = visitor.lang;
    let text = |name: &str| field(&fields, name).trim().to_owned();
    let mut form = ClosureForm {
        closed_on: text("closed_on"),
        reason: text("reason"),
        refund_value: text("refund_value"),
        refund_on: text("refund_on"),
        refund_reference: text("refund_reference"),
        observations: text("observations"),
        representative_name: text("representative_name"),
        representative_document: text("representative_document"),
    };
    let mut errors = FieldErrors::default();
    let closed_on = form.closed_on.parse::<jiff::civil::Date>().ok();
    if closed_on.is_none() {
        errors.add(
            lang,
            "closed_on",
            Message::new("ledger-error-date").with("value", form.closed_on.as_str()),
        );
    }
    let refund_on = match form.refund_on.as_str() {
        "" => None,
        text => match text.parse::<jiff::civil::Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                errors.add(
                    lang,
                    "refund_on",
                    Message::new("ledger-error-date").with("value", text),
                );
                None
            }
        },
    };
    let refund_value = if form.refund_value.is_empty() {
        Some(Decimal::ZERO)
    } else {
        read_number_field(lang, "refund_value", &mut form.refund_value, &mut errors)
    };
    let reason = match form.reason.parse::<ClosureReason>() {
        Ok(reason) => Some(reason),
        Err(e) => {
            errors.add(lang, "reason", e.message());
            None
        }
    };
    let result = match (closed_on, refund_value, reason) {
        (Some(closed_on), Some(refund_value), Some(reason)) if errors.is_empty() => {
            let new = NewClosure {
                closed_on,
                reason,
                refund_value,
                refund_on,
                refund_reference: form.refund_reference.clone(),
                observations: form.observations.clone(),
                representative_name: form.representative_name.clone(),
                representative_document: form.representative_document.clone(),
            };
            state
                .store
                .close_project(&actor, &code, &new, today_in_colombia())
                .await
                .map(|_| ())
        }
        _ => Err(StoreError::Invalid(errors.said())),
    };
    let done = format!("/personal/proyectos/{}/cierre?hecho=1", urlencode(&code));
    done_or_again(
        lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-closure_recorded"),
        errors,
        |errors, message, placed| async move {
            // Beside its field, the refusal is not said again above the form.
            let failure = (placed.is_none() && errors.is_empty()).then_some(message);
            let page = closure_view(&state, &visitor, &code, form, errors, failure, false).await?;
            super::render(&page)
        },
    )
    .await
}

/// The act of closure as PDF, dated the day of the closure so the same records and templates
/// give the same bytes.
pub(crate) async fn closure_pdf(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    use vereda_documents::closure_pdf::{ClosedLineData, ClosureData, figures};
    use vereda_documents::minutes_pdf::Amount;
    visitor.require(Permission::ViewStaffArea)?;
    let closure = state
        .store
        .closure(&code)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let card = state.store.project_card(&code).await?;
    let signer = state.store.account(closure.signer_id).await?;
    let offices = state.store.territorial_offices().await?;
    let office = signer
        .as_ref()
        .and_then(|s| s.territorial_office_id)
        .and_then(|id| offices.iter().find(|o| o.id == id))
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let es = Lang::Es;
    let data = ClosureData {
        office,
        code: closure.code.clone(),
        title: card.map(|c| c.title).unwrap_or_default(),
        date: closure.closed_on.into(),
        reason: es.t(&format!("closure-reason-{}", closure.reason)).to_owned(),
        disbursed: Amount::of(closure.figures.disbursed),
        executed: Amount::of(closure.figures.executed),
        balance: Amount::of(closure.figures.balance),
        refund: Amount::of(closure.refund_value),
        refund_date: closure.refund_on.map(Into::into),
        refund_reference: closure.refund_reference.clone(),
        physical: es.amount(&closure.physical),
        financial: es.amount(&closure.financial),
        management: es.amount(&closure.management),
        lines: closure
            .lines
            .iter()
            .map(|l| ClosedLineData {
                number: l.number,
                description: l.description.clone(),
                planned: figures(l.planned),
                executed: figures(l.executed),
                delivery: match l.delivery {
                    Some(d) => delivery_label(es, d),
                    None => es.t("followup-not_seen").to_owned(),
                },
            })
            .collect(),
        observations: closure.observations.clone(),
        director: signer.map(|s| s.display_name).unwrap_or_default(),
        representative: closure.representative_name.clone(),
    };
    let typeset = vereda_documents::closure_pdf::closure(&data, &state.config.templates, closure.closed_on)
        .map_err(|e| AppError::internal(&e))?;
    Ok(super::procedure::pdf(
        format!("acta-de-cierre-{}.pdf", closure.code),
        typeset.pdf,
    ))
}

/// A project of the office as the alerts page lists it.
pub struct ProgressView {
    pub code: String,
    pub code_path: String,
    pub progress: Progress,
    pub alerts: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "followup_alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    rollups: Vec<vereda_store::followup::Rollup>,
    projects: Vec<ProgressView>,
    alerting: usize,
    list: ListView,
}

/// The sorts of the office roll-up and their catalogue keys.
const FOLLOWUP_SORTS: [(&str, &str); 5] = [
    ("codigo", "list-sort-codigo"),
    ("fisico", "followup-physical"),
    ("financiero", "followup-financial"),
    ("gestion", "followup-management"),
    ("alertas", "followup-alerts"),
];

/// The office roll-up: every project of the reader's reach rolled up by office and call, and
/// a page of them (searched by code, office or call; filtered by alerts or closure; sorted).
async fn alerts_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    let lang = visitor.lang;
    let codes: Vec<&str> = FOLLOWUP_SORTS.iter().map(|(code, _)| *code).collect();
    let list = FollowupList {
        state: ListParams::given(&params.estado),
        paging: params.paging(&codes),
    };
    let found = state
        .store
        .followup_list(&actor, today_in_colombia(), &list)
        .await?;
    let projects: Vec<ProgressView> = found
        .page
        .rows
        .into_iter()
        .map(|p| ProgressView {
            code_path: urlencode(&p.code),
            code: p.code.clone(),
            alerts: alert_views(lang, &p),
            progress: p,
        })
        .collect();
    let filters = vec![FilterView::new(
        "estado",
        lang.t("followup-rollup-state"),
        &params.estado,
        vereda_store::lists::FOLLOWUP_STATES
            .iter()
            .map(|s| {
                (
                    (*s).to_owned(),
                    lang.t(&format!("followup-rollup-state-{s}")).to_owned(),
                )
            })
            .collect(),
    )];
    let path = "/personal/alertas";
    let page = AlertsPage {
        chrome: Chrome::new(&visitor).await?,
        alerting: found.alerting,
        rollups: found.rollups,
        projects,
        list: ListView::new(
            lang,
            path,
            path,
            &params,
            &FOLLOWUP_SORTS,
            filters,
            found.page.total,
        )
        .searching(lang.t("followup-rollup-search"))
        .without_downloads(),
    };
    super::render(&page)
}

// ---------------------------------------------------------------------------------------------
// Accompaniment plan

/// Reads a delivery's fields (`delivered_on`, `families`, `women`, `men`) and its evidence,
/// already kept; the first problem of what was typed, with its field.
pub(crate) fn read_delivery(
    fields: &[(String, String)],
    evidence: Option<crate::documents::KeptFile>,
) -> Result<NewDelivery, Message> {
    let text = |name: &str| field(fields, name).trim().to_owned();
    let delivered_on = text("delivered_on").parse::<jiff::civil::Date>().map_err(|_| {
        Message::new("ledger-error-date")
            .with("value", text("delivered_on"))
            .with("field", "delivered_on")
    })?;
    let count = |name: &'static str| {
        let typed = text(name);
        typed.parse::<u32>().map_err(|_| {
            Message::new("followup-error-count")
                .with("value", typed.as_str())
                .with("field", name)
        })
    };
    Ok(NewDelivery {
        delivered_on,
        families: count("families")?,
        women: count("women")?,
        men: count("men")?,
        evidence_sha256: evidence.as_ref().map(|k| k.sha256.clone()),
        evidence_name: evidence.map(|k| k.file_name),
    })
}

/// What the accompaniment's forms held, as typed, when one was refused: the delivery of one
/// activity, or the scheduling of a new one.
#[derive(Default, Clone)]
pub struct AccompanimentForms {
    /// The activity whose delivery was refused.
    pub activity: Option<i32>,
    pub delivered_on: String,
    pub families: String,
    pub women: String,
    pub men: String,
    pub topic: String,
    pub scheduled_on: String,
}

#[derive(Template)]
#[template(path = "followup_accompaniment.html")]
struct AccompanimentPage {
    chrome: Chrome,
    code: String,
    code_path: String,
    plan: Accompaniment,
    forms: AccompanimentForms,
    errors: FieldErrors,
    failure: Option<String>,
    failure_code: String,
    can_record: bool,
    today: String,
    done: bool,
}

impl AccompanimentPage {
    fn refused(&self, activity: &i32) -> bool {
        self.forms.activity == Some(*activity)
    }

    /// What was typed in `field` of the delivery form of `activity`: the date suggested is
    /// today's.
    fn delivery_value(&self, activity: &i32, field: &str) -> String {
        let forms = &self.forms;
        match (self.refused(activity), field) {
            (true, "delivered_on") => forms.delivered_on.clone(),
            (true, "families") => forms.families.clone(),
            (true, "women") => forms.women.clone(),
            (true, "men") => forms.men.clone(),
            (false, "delivered_on") => self.today.clone(),
            _ => String::new(),
        }
    }

    /// The problems of `field` of the delivery form of `activity`.
    fn delivery_problems(&self, activity: &i32, field: &str) -> Vec<&str> {
        if self.refused(activity) {
            self.errors.of(field)
        } else {
            Vec::new()
        }
    }

    fn delivery_problem_code(&self, activity: &i32, field: &str) -> &str {
        if self.refused(activity) {
            self.errors.code_of(field)
        } else {
            ""
        }
    }

    /// The problems of `field` of the scheduling form.
    fn schedule_problems(&self, field: &str) -> Vec<&str> {
        if self.forms.activity.is_none() {
            self.errors.of(field)
        } else {
            Vec::new()
        }
    }

    fn schedule_problem_code(&self, field: &str) -> &str {
        if self.forms.activity.is_none() {
            self.errors.code_of(field)
        } else {
            ""
        }
    }

    fn scheduled_on(&self) -> &str {
        if self.forms.scheduled_on.is_empty() {
            &self.today
        } else {
            &self.forms.scheduled_on
        }
    }
}

async fn accompaniment_view(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    forms: AccompanimentForms,
    errors: FieldErrors,
    failure: Option<Message>,
    done: bool,
) -> Result<AccompanimentPage, AppError> {
    let lang = visitor.lang;
    Ok(AccompanimentPage {
        chrome: Chrome::new(visitor).await?,
        code: code.to_owned(),
        code_path: urlencode(code),
        plan: state.store.accompaniment(code).await?,
        forms,
        errors,
        failure_code: failure.as_ref().map(|m| m.code().to_owned()).unwrap_or_default(),
        failure: failure.map(|m| lang.say(&m)),
        can_record: visitor.can(Permission::RecordMeasurements),
        today: today_in_colombia().to_string(),
        done,
    })
}

async fn accompaniment_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let page = accompaniment_view(
        &state,
        &visitor,
        &code,
        AccompanimentForms::default(),
        FieldErrors::default(),
        None,
        done.hecho.is_some(),
    )
    .await?;
    super::render(&page)
}

/// The redirect after a step of the accompaniment plan, or its page again with what was
/// typed and the refusal beside its field (above the forms when it names none).
async fn accompaniment_outcome(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    forms: AccompanimentForms,
    errors: FieldErrors,
    result: Result<(), StoreError>,
) -> Result<Response, AppError> {
    let done = format!("/personal/proyectos/{}/acompanamiento?hecho=1", urlencode(code));
    done_or_again(
        visitor.lang,
        result,
        crate::flash::Done::new(visitor, done, "done-accompaniment_recorded"),
        errors,
        |errors, message, placed| async move {
            let failure = (placed.is_none() && errors.is_empty()).then_some(message);
            let page = accompaniment_view(state, visitor, code, forms, errors, failure, false).await?;
            super::render(&page)
        },
    )
    .await
}

async fn schedule_activity(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let forms = AccompanimentForms {
        topic: field(&fields, "topic").trim().to_owned(),
        scheduled_on: field(&fields, "scheduled_on").trim().to_owned(),
        ..AccompanimentForms::default()
    };
    let result = match forms.scheduled_on.parse::<jiff::civil::Date>() {
        Ok(date) => state
            .store
            .schedule_activity(&actor, &code, &forms.topic, date)
            .await
            .map(|_| ()),
        Err(_) => Err(StoreError::Invalid(
            Message::new("ledger-error-date")
                .with("value", forms.scheduled_on.as_str())
                .with("field", "scheduled_on"),
        )),
    };
    accompaniment_outcome(&state, &visitor, &code, forms, FieldErrors::default(), result).await
}

async fn deliver_activity(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, id)): Path<(String, i32)>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    let (fields, file, problem) = read_form(&mut multipart, "evidence", PHOTO_LIMIT_BYTES).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let text = |name: &str| field(&fields, name).trim().to_owned();
    let forms = AccompanimentForms {
        activity: Some(id),
        delivered_on: text("delivered_on"),
        families: text("families"),
        women: text("women"),
        men: text("men"),
        ..AccompanimentForms::default()
    };
    let result = match problem {
        Some(problem) => Err(StoreError::Invalid(problem.with("field", "evidence"))),
        None => {
            let kept = file.map(|f| keep_file(&state, f)).transpose()?;
            match read_delivery(&fields, kept) {
                Ok(new) => {
                    state
                        .store
                        .deliver_activity(&actor, &code, id, &new, today_in_colombia())
                        .await
                }
                Err(message) => Err(StoreError::Invalid(message)),
            }
        }
    };
    accompaniment_outcome(&state, &visitor, &code, forms, FieldErrors::default(), result).await
}
