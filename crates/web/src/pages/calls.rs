//! Creating a call (vigencia) in the browser: program, code, name, budget year and budget, the
//! rule set, the year's SMMLV, the territorial offices and the line; an AREL call also carries
//! its maximum co-financing percentage and cap in SMMLV (Art. 43).

use crate::i18n::Message;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use vereda_domain::accounts::Permission;
use vereda_domain::program::ProgramLine;
use vereda_store::StoreError;
use vereda_store::programs::{NewCall, Program, TerritorialOffice};

use super::{Chrome, render};
use crate::AppState;
use crate::auth::Visitor;
use crate::error::AppError;
use crate::form_errors::{FieldErrors, read_number_field};
use crate::i18n::Lang;
use crate::rule_book::rule_book;

pub fn routes() -> Router<AppState> {
    Router::new().route("/personal/convocatorias/nueva", get(new_call).post(create_call))
}

/// A new call as typed: the page's form fields, or the API's JSON (all text, read by the same
/// checks).
#[derive(Debug, Default, Clone)]
pub(crate) struct CallForm {
    pub(crate) program: String,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) budget_year: String,
    pub(crate) budget_cop: String,
    pub(crate) rule_set: String,
    pub(crate) smmlv_cop: String,
    pub(crate) offices: Vec<String>,
    pub(crate) line: String,
    pub(crate) arel_max_pct: String,
    pub(crate) arel_cap_smmlv: String,
}

impl CallForm {
    fn from_pairs(pairs: &[(String, String)]) -> (CallForm, String) {
        let mut form = CallForm::default();
        let mut csrf = String::new();
        for (key, value) in pairs {
            let value = value.trim().to_owned();
            match key.as_str() {
                "program" => form.program = value,
                "code" => form.code = value,
                "name" => form.name = value,
                "budget_year" => form.budget_year = value,
                "budget_cop" => form.budget_cop = value,
                "rule_set" => form.rule_set = value,
                "smmlv_cop" => form.smmlv_cop = value,
                "office" => form.offices.push(value),
                "line" => form.line = value,
                "arel_max_pct" => form.arel_max_pct = value,
                "arel_cap_smmlv" => form.arel_cap_smmlv = value,
                "csrf_token" => csrf = value,
                _ => {}
            }
        }
        (form, csrf)
    }
}

struct RuleSetChoice {
    id: String,
    period: String,
}

#[derive(Template)]
#[template(path = "call_new.html")]
struct NewCallPage {
    chrome: Chrome,
    programs: Vec<Program>,
    offices: Vec<TerritorialOffice>,
    rule_sets: Vec<RuleSetChoice>,
    form: CallForm,
    errors: FieldErrors,
    /// The shipped SMMLV by year, for the hint beside the field.
    default_smmlv: String,
}

impl NewCallPage {
    fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors.of(field)
    }

    fn problem_of(&self, field: &str) -> &str {
        self.errors.code_of(field)
    }

    fn office_checked(&self, id: &i32) -> bool {
        self.form.offices.iter().any(|o| o == &id.to_string())
    }

    fn program_selected(&self, id: &i32) -> bool {
        self.form.program == id.to_string()
    }
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    form: CallForm,
    errors: FieldErrors,
) -> Result<NewCallPage, AppError> {
    let book = rule_book().map_err(|e| AppError::internal(&std::io::Error::other(e)))?;
    let default_smmlv = form
        .budget_year
        .parse::<i16>()
        .ok()
        .and_then(vereda_domain::money::minimum_wage)
        .map(|w| format!("{} ({})", visitor.lang.amount(&w.amount_cop), w.decree))
        .unwrap_or_default();
    Ok(NewCallPage {
        programs: state.store.programs().await?,
        offices: state.store.territorial_offices().await?,
        rule_sets: book
            .all()
            .iter()
            .map(|set| RuleSetChoice {
                id: set.id.clone(),
                period: set.period(),
            })
            .collect(),
        form,
        errors,
        default_smmlv,
        chrome: Chrome::new(visitor).await?,
    })
}

async fn new_call(State(state): State<AppState>, visitor: Visitor) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    let year = crate::today::today_in_colombia().year();
    let form = CallForm {
        budget_year: year.to_string(),
        line: ProgramLine::General.to_string(),
        ..CallForm::default()
    };
    render(&page(&state, &visitor, form, FieldErrors::default()).await?)
}

/// Checks the form into a `NewCall`, or every problem by field.
async fn check(
    state: &AppState,
    lang: Lang,
    form: &mut CallForm,
) -> Result<(NewCall, FieldErrors), AppError> {
    let mut errors = FieldErrors::default();
    let required = |errors: &mut FieldErrors, field: &str| {
        errors.add(lang, field, Message::new("call_form-error_required"))
    };
    let programs = state.store.programs().await?;
    let program_id = form
        .program
        .parse::<i32>()
        .ok()
        .filter(|id| programs.iter().any(|p| p.id == *id));
    if program_id.is_none() {
        if form.program.is_empty() {
            required(&mut errors, "program");
        } else {
            errors.add(
                lang,
                "program",
                Message::new("call_form-error_unknown").with("value", &form.program),
            );
        }
    }
    if form.code.is_empty() {
        required(&mut errors, "code");
    } else if form.code.chars().count() > 40 {
        errors.add(
            lang,
            "code",
            Message::new("call_form-error_too_long").with("value", &form.code),
        );
    }
    if form.name.is_empty() {
        required(&mut errors, "name");
    }
    let year = match form.budget_year.parse::<i16>() {
        Ok(year) if (2000..=2100).contains(&year) => Some(year),
        _ if form.budget_year.is_empty() => {
            required(&mut errors, "budget_year");
            None
        }
        _ => {
            errors.add(
                lang,
                "budget_year",
                Message::new("call_form-error_year").with("value", &form.budget_year),
            );
            None
        }
    };
    let budget = read_number_field(lang, "budget_cop", &mut form.budget_cop, &mut errors);
    match budget {
        None if form.budget_cop.is_empty() => required(&mut errors, "budget_cop"),
        Some(amount) if amount <= Decimal::ZERO => {
            errors.add(
                lang,
                "budget_cop",
                Message::new("call_form-error_positive").with("value", &form.budget_cop),
            );
        }
        _ => {}
    }
    let book = rule_book().map_err(|e| AppError::internal(&std::io::Error::other(e)))?;
    if form.rule_set.is_empty() {
        required(&mut errors, "rule_set");
    } else if book.get(&form.rule_set).is_none() {
        errors.add(
            lang,
            "rule_set",
            Message::new("call_form-error_unknown").with("value", &form.rule_set),
        );
    }
    let smmlv = match read_number_field(lang, "smmlv_cop", &mut form.smmlv_cop, &mut errors) {
        Some(amount) if amount <= Decimal::ZERO => {
            errors.add(
                lang,
                "smmlv_cop",
                Message::new("call_form-error_positive").with("value", &form.smmlv_cop),
            );
            None
        }
        Some(amount) => Some(amount),
        None if form.smmlv_cop.is_empty() => match year.map(|y| (y, vereda_domain::money::minimum_wage(y))) {
            Some((_, Some(wage))) => Some(wage.amount_cop),
            Some((year, None)) => {
                errors.add(
                    lang,
                    "smmlv_cop",
                    Message::new("call_form-error_no_smmlv").with("value", year.to_string()),
                );
                None
            }
            None => None,
        },
        None => None,
    };
    let offices = state.store.territorial_offices().await?;
    let mut office_ids = Vec::new();
    for text in &form.offices {
        match text
            .parse::<i32>()
            .ok()
            .filter(|id| offices.iter().any(|o| o.id == *id))
        {
            Some(id) if !office_ids.contains(&id) => office_ids.push(id),
            Some(_) => {}
            None => errors.add(
                lang,
                "offices",
                Message::new("call_form-error_unknown").with("value", text),
            ),
        }
    }
    let line = match form.line.parse::<ProgramLine>() {
        Ok(line) => Some(line),
        Err(_) => {
            errors.add(
                lang,
                "line",
                Message::new("call_form-error_unknown").with("value", &form.line),
            );
            None
        }
    };
    let mut arel_max_pct = None;
    let mut arel_cap_smmlv = None;
    match line {
        Some(ProgramLine::Arel) => {
            arel_max_pct = read_number_field(lang, "arel_max_pct", &mut form.arel_max_pct, &mut errors);
            match arel_max_pct {
                None if form.arel_max_pct.is_empty() => errors.add(
                    lang,
                    "arel_max_pct",
                    Message::new("call_form-error_arel_required"),
                ),
                Some(pct) if pct <= Decimal::ZERO || pct > Decimal::ONE_HUNDRED => {
                    errors.add(
                        lang,
                        "arel_max_pct",
                        Message::new("call_form-error_percent").with("value", &form.arel_max_pct),
                    );
                }
                _ => {}
            }
            arel_cap_smmlv = read_number_field(lang, "arel_cap_smmlv", &mut form.arel_cap_smmlv, &mut errors);
            match arel_cap_smmlv {
                None if form.arel_cap_smmlv.is_empty() => errors.add(
                    lang,
                    "arel_cap_smmlv",
                    Message::new("call_form-error_arel_required"),
                ),
                Some(cap) if cap <= Decimal::ZERO => {
                    errors.add(
                        lang,
                        "arel_cap_smmlv",
                        Message::new("call_form-error_positive").with("value", &form.arel_cap_smmlv),
                    );
                }
                _ => {}
            }
        }
        Some(ProgramLine::General) => {
            for (field, value) in [
                ("arel_max_pct", &form.arel_max_pct),
                ("arel_cap_smmlv", &form.arel_cap_smmlv),
            ] {
                if !value.is_empty() {
                    errors.add(
                        lang,
                        field,
                        Message::new("call_form-error_arel_only").with("value", value),
                    );
                }
            }
        }
        None => {}
    }
    let new = NewCall {
        program_id: program_id.unwrap_or_default(),
        code: form.code.clone(),
        name: form.name.clone(),
        budget_year: year.unwrap_or_default(),
        budget_cop: budget.unwrap_or_default(),
        smmlv_cop: smmlv,
        rule_set_id: form.rule_set.clone(),
        line: line.unwrap_or(ProgramLine::General),
        territorial_office_ids: office_ids,
        arel_max_pct,
        arel_cap_smmlv,
    };
    Ok((new, errors))
}

/// Creates a call from what was typed, for the page and the API alike: `ManageCalls`, the
/// session's anti-forgery token, every field's check, then the store's. `Ok(Err(..))` is the
/// form refused, with each field's problem (the form comes back as it was understood).
pub(crate) async fn create(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    mut form: CallForm,
) -> Result<Result<vereda_store::programs::Call, (CallForm, FieldErrors)>, AppError> {
    let actor = visitor.require(Permission::ManageCalls)?.actor();
    visitor.check_csrf(csrf).await?;
    let lang = visitor.lang;
    let (new, mut errors) = check(state, lang, &mut form).await?;
    if errors.is_empty() {
        match state.store.create_call(&actor, new).await {
            Ok(call) => {
                tracing::info!(call = call.id, code = %call.code, "call created");
                return Ok(Ok(call));
            }
            Err(StoreError::Duplicate { .. }) => {
                errors.add(
                    lang,
                    "code",
                    Message::new("call_form-error_code_used").with("value", &form.code),
                );
            }
            Err(StoreError::Invalid(said)) => errors.add(lang, "code", said.clone()),
            Err(other) => return Err(other.into()),
        }
    }
    tracing::info!(problems = ?errors.all(), "call refused");
    Ok(Err((form, errors)))
}

async fn create_call(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    visitor.require(Permission::ManageCalls)?;
    let (form, csrf) = CallForm::from_pairs(&pairs);
    match create(&state, &visitor, &csrf, form).await? {
        Ok(_) => Ok(Redirect::to("/personal/convocatorias").into_response()),
        Err((form, errors)) => {
            let page = page(&state, &visitor, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
