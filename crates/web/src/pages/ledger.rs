//! After the payment (Art. 29 par., 34), for staff: a project's investment plan with its
//! versions and requested changes (`/personal/proyectos/{code}/plan`), and its controlled
//! account (`/personal/proyectos/{code}/cuenta`): figures, movements with a form that keeps
//! what was typed on refusal, the import of a bank statement and its reconciliation. The store
//! decides who may and why not; the pages only read what was sent.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use vereda_domain::accounts::Permission;
use vereda_domain::finance::Funder;
use vereda_domain::ledger::{MovementDraft, MovementKind, PlanLine, Source};
use vereda_domain::number::format_number;
use vereda_domain::privacy::PersonalField;
use vereda_store::StoreError;
use vereda_store::ledger::{Ledger, NewMovement, NewStatementLine, PlanChange, PlanVersion};

use super::Chrome;
use crate::AppState;
use crate::auth::Visitor;
use crate::charts::{Bar, horizontal_bars};
use crate::documents::{field, keep_file, read_form};
use crate::error::{AppError, urlencode};
use crate::form_errors::{FieldErrors, read_number_field};
use crate::form_step::{done_or_again, refusal};
use crate::i18n::{Lang, Message};
use crate::today::today_in_colombia;

/// The largest receipt or statement file.
pub const LEDGER_FILE_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/personal/proyectos/{code}/plan", get(plan_page))
        .route("/personal/proyectos/{code}/plan/cambios", post(request_change))
        .route(
            "/personal/proyectos/{code}/plan/cambios/{id}/decision",
            post(decide_change),
        )
        .route("/personal/proyectos/{code}/cuenta", get(account_page))
        .route(
            "/personal/proyectos/{code}/cuenta/movimientos",
            post(record_movement).layer(DefaultBodyLimit::max(LEDGER_FILE_LIMIT_BYTES + 64 * 1024)),
        )
        .route(
            "/personal/proyectos/{code}/cuenta/extractos",
            post(import_statement).layer(DefaultBodyLimit::max(LEDGER_FILE_LIMIT_BYTES + 64 * 1024)),
        )
}

/// A plan line as the page shows it.
pub struct LineView {
    pub number: u32,
    pub category: String,
    pub funder: String,
    pub description: String,
    pub when: String,
    pub planned: Decimal,
    pub executed: Decimal,
    pub available: Decimal,
}

/// Who pays a line, in the reader's language.
pub fn funder_label(lang: Lang, funder: &Funder) -> String {
    match funder {
        Funder::Institute => lang.t("ledger-funder-institute").to_owned(),
        Funder::Counterpart => lang.t("ledger-funder-counterpart").to_owned(),
        Funder::Other(name) => name.clone(),
    }
}

pub(crate) fn line_view(lang: Lang, line: &PlanLine, executed: &BTreeMap<u32, Decimal>) -> LineView {
    let spent = executed.get(&line.number).copied().unwrap_or_default();
    LineView {
        number: line.number,
        category: lang
            .t(&format!("evaluation-category_{}", line.category))
            .to_owned(),
        funder: funder_label(lang, &line.funder),
        description: line.description.clone(),
        when: match (line.year, line.month) {
            (_, Some(month)) => format!("{} {month}", lang.t("ledger-month")),
            (Some(year), None) => format!("{} {year}", lang.t("ledger-year")),
            (None, None) => String::new(),
        },
        planned: line.amount,
        executed: spent,
        available: line.amount - spent,
    }
}

#[derive(Template)]
#[template(path = "ledger_plan.html")]
struct PlanPage {
    chrome: Chrome,
    code: String,
    code_path: String,
    current: PlanVersion,
    lines: Vec<LineView>,
    versions: Vec<PlanVersion>,
    changes: Vec<PlanChange>,
    can_request: bool,
    can_decide: bool,
    failure: Option<String>,
    failure_code: String,
    done: bool,
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    hecho: Option<String>,
    /// The encoding an imported statement was read in (`utf-8`, `windows-1252`).
    #[serde(default)]
    leido: Option<String>,
}

async fn plan_view(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    failure: Option<Message>,
    done: bool,
) -> Result<PlanPage, AppError> {
    let lang = visitor.lang;
    let versions = state.store.investment_plans(code).await?;
    let changes = state.store.plan_changes(code).await?;
    let ledger = state.store.ledger(code).await?;
    let current = versions
        .last()
        .cloned()
        .ok_or_else(|| super::projects::not_found_project(code))?;
    let lines = current
        .plan
        .lines
        .iter()
        .map(|l| line_view(lang, l, &ledger.execution.by_line))
        .collect();
    Ok(PlanPage {
        chrome: Chrome::new(visitor).await?,
        code: code.to_owned(),
        code_path: urlencode(code),
        lines,
        current,
        versions,
        changes,
        can_request: visitor.can(Permission::RecordLedger),
        can_decide: visitor.can(Permission::ApprovePlanChange),
        failure_code: failure.as_ref().map(|m| m.code().to_owned()).unwrap_or_default(),
        failure: failure.map(|m| lang.say(&m)),
        done,
    })
}

async fn plan_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let page = plan_view(&state, &visitor, &code, None, done.hecho.is_some()).await?;
    super::render(&page)
}

async fn request_change(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(field(&form, "csrf_token")).await?;
    let lang = visitor.lang;
    let base_version: i32 = field(&form, "base_version").trim().parse().unwrap_or(0);
    let current = state.store.investment_plans(&code).await?;
    let mut amounts = BTreeMap::new();
    let mut errors = FieldErrors::default();
    for line in current
        .last()
        .map(|v| v.plan.lines.as_slice())
        .unwrap_or_default()
    {
        let name = format!("line_{}", line.number);
        let mut text = field(&form, &name).to_owned();
        if let Some(amount) = read_number_field(lang, &name, &mut text, &mut errors)
            && amount != line.amount
        {
            amounts.insert(line.number, amount);
        }
    }
    let result = if errors.is_empty() {
        state
            .store
            .request_plan_change(&actor, &code, base_version, amounts, field(&form, "motivation"))
            .await
            .map(|_| ())
    } else {
        Err(StoreError::Invalid(errors.said()))
    };
    let done = format!("/personal/proyectos/{}/plan?hecho=1", urlencode(&code));
    done_or_again(
        lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-plan_change_requested"),
        FieldErrors::default(),
        |_, message, _| async move {
            let page = plan_view(&state, &visitor, &code, Some(message), false).await?;
            super::render(&page)
        },
    )
    .await
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    motivation: String,
    csrf_token: String,
}

async fn decide_change(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((code, id)): Path<(String, i32)>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    visitor.check_csrf(&form.csrf_token).await?;
    let approve = form.decision == "approve";
    let result = state
        .store
        .review_plan_change(&actor, &code, id, approve, &form.motivation)
        .await;
    let done = format!("/personal/proyectos/{}/plan?hecho=1", urlencode(&code));
    done_or_again(
        visitor.lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-plan_change_decided"),
        FieldErrors::default(),
        |_, message, _| async move {
            let page = plan_view(&state, &visitor, &code, Some(message), false).await?;
            super::render(&page)
        },
    )
    .await
}

/// What the movement form holds, as typed.
#[derive(Default, Clone)]
pub struct MovementForm {
    pub date: String,
    pub value: String,
    pub kind: String,
    pub line: String,
    pub source: String,
    pub supplier_name: String,
    pub supplier_nit: String,
    pub reference: String,
    pub representative_name: String,
    pub representative_document: String,
    pub confirm_duplicate: bool,
}

/// A movement as the page lists it, personal data shown as the role may see it.
pub struct MovementView {
    pub id: i32,
    pub date: String,
    pub kind: String,
    pub inflow: bool,
    pub value: Decimal,
    pub line: String,
    pub supplier: String,
    pub reference: String,
    pub receipt: Option<String>,
    pub officer: String,
    pub representative: String,
    pub duplicate_of: Option<i32>,
}

#[derive(Template)]
#[template(path = "ledger_account.html")]
struct AccountPage {
    chrome: Chrome,
    code: String,
    code_path: String,
    ledger: Ledger,
    movements: Vec<MovementView>,
    lines: Vec<LineView>,
    categories: Vec<(String, Decimal, Decimal)>,
    chart: String,
    kinds: Vec<(&'static str, String)>,
    matched: Vec<(i32, i32)>,
    ledger_only: Vec<MovementView>,
    statement_only: Vec<vereda_domain::ledger::StatementLine>,
    form: MovementForm,
    errors: FieldErrors,
    failure: Option<String>,
    failure_code: String,
    import_problems: Vec<String>,
    refused_field: Option<(String, String)>,
    can_record: bool,
    done: Option<String>,
    /// The encoding an imported CSV statement was read in: its code and its words.
    read_as: Option<(&'static str, String)>,
}

impl AccountPage {
    fn problems(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    /// The code of the problem beside `field`: the store's refusal placed there, or a typed
    /// number's problem.
    fn problem_code(&self, field: &str) -> String {
        match &self.refused_field {
            Some((name, code)) if name == field => code.clone(),
            _ => self.errors.code_of(field).to_owned(),
        }
    }
}

fn movement_view(lang: Lang, sees_personal: bool, m: &vereda_store::ledger::Movement) -> MovementView {
    let nit = m.supplier_nit.as_deref().unwrap_or_default();
    MovementView {
        id: m.id,
        date: m.date.to_string(),
        kind: lang.t(&format!("ledger-kind-{}", m.kind)).to_owned(),
        inflow: !m.kind.is_outflow(),
        value: m.value,
        line: m.line.map(|l| l.to_string()).unwrap_or_default(),
        supplier: if nit.is_empty() {
            m.supplier_name.clone()
        } else {
            format!("{} · NIT {nit}", m.supplier_name)
        },
        reference: m.reference.clone(),
        receipt: m.document_name.clone(),
        officer: m.officer.clone().unwrap_or_default(),
        representative: if sees_personal {
            format!("{} · {}", m.representative_name, m.representative_document)
        } else {
            format!(
                "{} · {}",
                PersonalField::Text.mask(&m.representative_name),
                PersonalField::Document.mask(&m.representative_document)
            )
        },
        duplicate_of: m.duplicate_of,
    }
}

struct AccountInput {
    form: MovementForm,
    errors: FieldErrors,
    failure: Option<Message>,
    import_problems: Vec<String>,
    refused_field: Option<(String, String)>,
    done: Option<String>,
}

impl AccountInput {
    fn fresh(done: Option<String>) -> Self {
        AccountInput {
            form: MovementForm {
                date: today_in_colombia().to_string(),
                kind: MovementKind::Payment.to_string(),
                ..MovementForm::default()
            },
            errors: FieldErrors::default(),
            failure: None,
            import_problems: Vec::new(),
            refused_field: None,
            done,
        }
    }
}

async fn account_view(
    state: &AppState,
    visitor: &Visitor,
    code: &str,
    input: AccountInput,
) -> Result<AccountPage, AppError> {
    let lang = visitor.lang;
    let sees_personal = visitor
        .account
        .as_ref()
        .is_some_and(|a| vereda_domain::privacy::sees_personal_data(a.role));
    let ledger = state.store.ledger(code).await?;
    let movements: Vec<MovementView> = ledger
        .movements
        .iter()
        .map(|m| movement_view(lang, sees_personal, m))
        .collect();
    let lines: Vec<LineView> = ledger
        .plan
        .plan
        .lines
        .iter()
        .map(|l| line_view(lang, l, &ledger.execution.by_line))
        .collect();
    let categories: Vec<(String, Decimal, Decimal)> = ledger
        .execution
        .by_category
        .iter()
        .map(|(category, (planned, executed))| {
            (
                lang.t(&format!("evaluation-category_{category}")).to_owned(),
                *planned,
                *executed,
            )
        })
        .collect();
    let bars: Vec<Bar> = categories
        .iter()
        .map(|(label, _, executed)| Bar {
            label: label.clone(),
            value: *executed,
            shown: lang.amount(executed),
        })
        .collect();
    let chart = horizontal_bars("executed-by-category", lang.t("ledger-chart_title"), &bars);
    let ledger_only = ledger
        .reconciliation
        .ledger_only
        .iter()
        .filter_map(|id| ledger.movements.iter().find(|m| m.id == *id))
        .map(|m| movement_view(lang, sees_personal, m))
        .collect();
    let statement_only = ledger
        .reconciliation
        .statement_only
        .iter()
        .filter_map(|id| ledger.statement_lines.iter().find(|l| l.id == *id).cloned())
        .collect();
    let kinds = [
        MovementKind::Payment,
        MovementKind::Disbursement,
        MovementKind::Counterpart,
        MovementKind::Interest,
        MovementKind::Refund,
    ]
    .into_iter()
    .map(|k| (k.as_str(), lang.t(&format!("ledger-kind-{k}")).to_owned()))
    .collect();
    Ok(AccountPage {
        chrome: Chrome::new(visitor).await?,
        code: code.to_owned(),
        code_path: urlencode(code),
        matched: ledger.reconciliation.matched.clone(),
        movements,
        lines,
        categories,
        chart,
        kinds,
        ledger_only,
        statement_only,
        ledger,
        form: input.form,
        errors: input.errors,
        failure_code: input
            .failure
            .as_ref()
            .map(|m| m.code().to_owned())
            .unwrap_or_default(),
        failure: input.failure.map(|m| lang.say(&m)),
        import_problems: input.import_problems,
        refused_field: input.refused_field,
        can_record: visitor.can(Permission::RecordLedger),
        done: input.done,
        read_as: None,
    })
}

async fn account_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let mut page = account_view(&state, &visitor, &code, AccountInput::fresh(done.hecho)).await?;
    page.read_as = (done.leido.as_deref())
        .and_then(vereda_domain::text::TextEncoding::from_code)
        .map(|e| {
            let words = Message::new("screening-read_as").with("encoding", visitor.lang.t(e.label_key()));
            (e.code(), visitor.lang.say(&words))
        });
    super::render(&page)
}

/// Reads the movement form into a draft; problems of what was typed go beside their field.
fn read_movement(lang: Lang, form: &mut MovementForm, errors: &mut FieldErrors) -> Option<MovementDraft> {
    let date = match form.date.trim().parse::<jiff::civil::Date>() {
        Ok(date) => Some(date),
        Err(_) => {
            errors.add(
                lang,
                "date",
                Message::new("ledger-error-date").with("value", form.date.trim()),
            );
            None
        }
    };
    let value = read_number_field(lang, "value", &mut form.value, errors);
    if value.is_none() && errors.of("value").is_empty() {
        errors.add(
            lang,
            "value",
            Message::new("ledger-error-value").with("value", ""),
        );
    }
    let kind = match form.kind.parse::<MovementKind>() {
        Ok(kind) => Some(kind),
        Err(e) => {
            errors.add(lang, "kind", e.message());
            None
        }
    };
    let line = match form.line.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(line) => Some(line),
            Err(_) => {
                errors.add(
                    lang,
                    "line",
                    Message::new("ledger-error-no_line").with("line", text),
                );
                None
            }
        },
    };
    let source = match form.source.trim() {
        "" => None,
        text => match text.parse::<Source>() {
            Ok(source) => Some(source),
            Err(e) => {
                errors.add(lang, "source", e.message());
                None
            }
        },
    };
    if let Some(value) = value {
        form.value = format_number(value);
    }
    Some(MovementDraft {
        date: date?,
        value: value?,
        kind: kind?,
        line,
        source,
        supplier_name: form.supplier_name.clone(),
        supplier_nit: form.supplier_nit.clone(),
        reference: form.reference.clone(),
    })
}

async fn record_movement(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    let lang = visitor.lang;
    let (fields, receipt, file_problem) =
        read_form(&mut multipart, "receipt", LEDGER_FILE_LIMIT_BYTES).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let text = |name: &str| field(&fields, name).trim().to_owned();
    let mut form = MovementForm {
        date: text("date"),
        value: text("value"),
        kind: text("kind"),
        line: text("line"),
        source: text("source"),
        supplier_name: text("supplier_name"),
        supplier_nit: text("supplier_nit"),
        reference: text("reference"),
        representative_name: text("representative_name"),
        representative_document: text("representative_document"),
        confirm_duplicate: !field(&fields, "confirm_duplicate").is_empty(),
    };
    let mut errors = FieldErrors::default();
    if let Some(problem) = file_problem {
        errors.add(lang, "receipt", problem.clone());
    }
    let draft = read_movement(lang, &mut form, &mut errors);
    let refused =
        |form: MovementForm, errors: FieldErrors, failure: Option<Message>, refused_field| AccountInput {
            form,
            errors,
            failure,
            import_problems: Vec::new(),
            refused_field,
            done: None,
        };
    let draft = match draft {
        Some(draft) if errors.is_empty() => draft,
        _ => {
            tracing::info!(project = %code, problems = ?errors.all(), "movement refused");
            let page = account_view(&state, &visitor, &code, refused(form, errors, None, None)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, super::render(&page)?).into_response());
        }
    };
    let kept = receipt.map(|file| keep_file(&state, file)).transpose()?;
    let new = NewMovement {
        draft,
        representative_name: form.representative_name.clone(),
        representative_document: form.representative_document.clone(),
        document_sha256: kept.as_ref().map(|k| k.sha256.clone()),
        document_name: kept.as_ref().map(|k| k.file_name.clone()),
        confirm_duplicate: form.confirm_duplicate,
    };
    let result = state
        .store
        .record_movement(&actor, &code, &new, today_in_colombia())
        .await;
    let done = format!("/personal/proyectos/{}/cuenta?hecho=movimiento", urlencode(&code));
    done_or_again(
        lang,
        result,
        crate::flash::Done::new(&visitor, done, "done-movement_recorded"),
        errors,
        |errors, message, placed| async move {
            // Placed beside its field, the refusal is not said again above the form.
            let (failure, refused_field) = match placed {
                Some(name) => (None, Some((name, message.code().to_owned()))),
                None => (Some(message), None),
            };
            let page = account_view(
                &state,
                &visitor,
                &code,
                refused(form, errors, failure, refused_field),
            )
            .await?;
            super::render(&page)
        },
    )
    .await
}

/// Reads an uploaded statement with the screening crate's table reader: its rows, or every
/// problem (file, line, column and value) as typed messages. Nothing is kept of the file.
pub fn read_statement_upload(
    name: &str,
    bytes: &[u8],
    limits: &vereda_screening::table::ReadLimits,
) -> Result<Result<ReadStatement, Vec<Message>>, AppError> {
    let (read, _) = crate::uploads::read_upload(name, "extracto.csv", bytes, |path| {
        vereda_screening::statement::read_statement_within(path, limits)
    })
    .map_err(|e| AppError::internal(&e))?;
    Ok(read
        .map(|file| ReadStatement {
            lines: (file.rows.into_iter())
                .map(|r| NewStatementLine {
                    line: r.line,
                    date: r.date,
                    description: r.description,
                    reference: r.reference,
                    debit: r.debit,
                    credit: r.credit,
                    balance: r.balance,
                })
                .collect(),
            encoding: file.encoding,
        })
        .map_err(|e| e.messages()))
}

/// An uploaded statement's lines, and the encoding a CSV was read in.
pub struct ReadStatement {
    pub lines: Vec<NewStatementLine>,
    pub encoding: Option<vereda_domain::text::TextEncoding>,
}

/// The SHA-256 of a file's bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn import_statement(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = visitor.require(Permission::ViewStaffArea)?.actor();
    let lang = visitor.lang;
    let (fields, file, file_problem) =
        read_form(&mut multipart, "statement", LEDGER_FILE_LIMIT_BYTES).await?;
    visitor.check_csrf(field(&fields, "csrf_token")).await?;
    let problems = match (file, file_problem) {
        (_, Some(problem)) => Err(vec![lang.say(&problem)]),
        (None, None) => Err(vec![lang.t("ledger-statement_required").to_owned()]),
        (Some(file), None) => {
            let read = read_statement_upload(&file.file_name, &file.bytes, &state.config.read_limits)?;
            match read.map_err(|messages| messages.iter().map(|m| lang.say(m)).collect::<Vec<_>>()) {
                Ok(read) => {
                    let sha = sha256_hex(&file.bytes);
                    match state
                        .store
                        .import_statement(&actor, &code, &file.file_name, &sha, &read.lines)
                        .await
                    {
                        Ok(_) => Ok(read.encoding),
                        Err(error) => {
                            let (status, message) = refusal(error)?;
                            tracing::info!(project = %code, code = message.code(), "statement refused");
                            let input = AccountInput {
                                failure: Some(message),
                                ..AccountInput::fresh(None)
                            };
                            let page = account_view(&state, &visitor, &code, input).await?;
                            return Ok((status, super::render(&page)?).into_response());
                        }
                    }
                }
                Err(problems) => Err(problems),
            }
        }
    };
    match problems {
        Ok(encoding) => {
            let read_as = encoding
                .map(|e| format!("&leido={}", e.code()))
                .unwrap_or_default();
            let to = format!(
                "/personal/proyectos/{}/cuenta?hecho=extracto{read_as}",
                urlencode(&code)
            );
            crate::flash::Done::new(&visitor, to, "done-statement_imported")
                .redirect()
                .await
        }
        Err(problems) => {
            tracing::info!(project = %code, ?problems, "statement refused");
            let input = AccountInput {
                import_problems: problems,
                ..AccountInput::fresh(None)
            };
            let page = account_view(&state, &visitor, &code, input).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, super::render(&page)?).into_response())
        }
    }
}
