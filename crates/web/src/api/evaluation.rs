//! `POST /api/v1/evaluations`: the financial evaluation of a project formulation sent as JSON.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vereda_domain::accounts::Permission;
use vereda_domain::finance::{CofinancingSplit, Evaluation, fields};

use crate::auth::Visitor;
use crate::error::{AppError, ErrorCode, Problem};
use crate::evaluation::{Outcome, Refusal, RuleSetUsed, run};
use crate::i18n::Message;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// A rule-set id (see the rule sets shipped). Default: the one in force on January 1 of
    /// the budget year or, when none is, the first to come into force during that year.
    pub rules: Option<String>,
}

/// The project as formulated.
#[derive(Serialize, ToSchema)]
pub struct ProjectFacts {
    pub code: String,
    pub title: String,
    /// DANE code of the municipality.
    pub municipality: String,
    pub typology: u8,
    pub budget_year: i16,
    pub horizon_years: u16,
    pub families: usize,
}

/// A problem of the formulation: where, which article, what.
#[derive(Serialize, ToSchema)]
pub struct FormulationProblem {
    /// Path to the field, e.g. `budget[3].category`.
    #[schema(example = "budget[3].category")]
    pub path: String,
    /// The field's label in the visitor's language, from the formulation's field registry;
    /// null for a path that is a whole list or part (`budget`, `frame.households`).
    #[schema(example = "Rubro")]
    pub label: Option<String>,
    #[schema(example = "Art. 18.4")]
    pub article: String,
    /// What is wrong, in the visitor's language.
    pub message: String,
    /// The stable code of the problem, e.g. `formulation-problem-category_excluded`.
    #[schema(example = "formulation-problem-category_excluded")]
    pub code: String,
}

/// A formulation that cannot be evaluated as it is: an RFC 9457 problem with the list of
/// problems as an extension.
#[derive(Serialize, ToSchema)]
pub struct EvaluationProblems {
    /// `urn:vereda:problem:evaluation-problem_count`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    /// 422.
    pub status: u16,
    /// How many problems, in the visitor's language.
    pub detail: String,
    /// Always `invalid_input`.
    pub error: ErrorCode,
    /// `evaluation-problem_count`.
    pub code: String,
    /// The rule set the formulation was validated against.
    pub rule_set: RuleSetUsed,
    pub problems: Vec<FormulationProblem>,
}

/// The financial evaluation of a formulation.
#[derive(Serialize, ToSchema)]
pub struct EvaluationReport {
    pub project: ProjectFacts,
    pub rule_set: RuleSetUsed,
    /// The engine's evaluation (amounts are decimal strings, rates are fractions):
    /// `cash_flow.years[]` (year, income, operating_costs, output_costs, hired_labour,
    /// family_labour, family_labour_charged, replacements, investment, technical_assistance,
    /// technical_assistance_neutralised, residual_value, net_flow); `irr`: `"none"`,
    /// `{"unique": rate}` or `{"several": [rates]}`; `mirr` (the modified IRR at the discount
    /// rate when there are several IRRs, which then decides the IRR check; else null);
    /// `discount_rate`; `npv`;
    /// `present_value_benefits`; `present_value_costs`; `benefit_cost` (null when undefined);
    /// `family_income` (basis, period, year, families, project_income, per_family,
    /// minimum_wage, in_smmlv); `sensitivity` (cases[] with name, variable, change, irr, npv,
    /// benefit_cost; price_drop and cost_rise switching values: `{"found": change}`,
    /// `"already_below"` or `"not_in_range"`); `verdict` (viable, reasons[] with check,
    /// article, passed, seen and threshold, values as `{"kind", "value"}`).
    #[schema(value_type = Object)]
    pub evaluation: Evaluation,
    /// The co-financing split (Art. 7, 20, 21, 29, 31): project_value, minimum_wage,
    /// family_groups, institute_maximum, requested, eligible_total, non_eligible_total,
    /// contribution, binding_limit, counterpart, by_funder[] (funder, by_category, total),
    /// by_category, guarantee (amount, months, article). Null when it cannot be made; see
    /// `cofinancing_error`.
    #[schema(value_type = Option<Object>)]
    pub cofinancing: Option<CofinancingSplit>,
    pub cofinancing_error: Option<String>,
}

/// Evaluates a project formulation: validation (every problem with its path and article),
/// cash flow, IRR, NPV, B/C, family income, the verdict with its reasons, the co-financing
/// split and the sensitivity analysis. Stores nothing.
#[utoipa::path(post, path = "/api/v1/evaluations", tag = "staff", params(EvaluationQuery),
    request_body(content = Object, content_type = "application/json",
        description = "A project formulation: the schema of the project files (docs/formulation.md), in JSON; amounts and rates are decimal strings."),
    responses(
        (status = 200, description = "The evaluation", body = EvaluationReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The formulation has problems, listed with path and article. A body that does not parse, or a budget year no rule set covers, gets an RFC 9457 problem instead.", body = EvaluationProblems, content_type = "application/problem+json")))]
pub async fn evaluate(
    visitor: Visitor,
    Query(query): Query<EvaluationQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    visitor.require(Permission::ViewStaffArea)?;
    let formulation = super::formulations::read_formulation(&body)?;
    let chosen = query.rules.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let outcome = run(formulation, chosen, visitor.lang).map_err(|refusal| match refusal {
        Refusal::RuleSet(message) | Refusal::Unevaluable(message) => {
            AppError::said(ErrorCode::InvalidInput, message)
        }
        Refusal::Internal(error) => error,
    })?;
    match outcome {
        Outcome::Invalid { rule_set, problems } => {
            let code = "evaluation-problem_count";
            let body = EvaluationProblems {
                problem_type: format!("{}{code}", crate::error::PROBLEM_TYPE_PREFIX),
                title: visitor.lang.t("error-invalid_input").to_owned(),
                status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
                detail: visitor
                    .lang
                    .say(&Message::new(code).with("count", problems.len())),
                error: ErrorCode::InvalidInput,
                code: code.to_owned(),
                rule_set,
                problems: problems
                    .into_iter()
                    .map(|p| FormulationProblem {
                        label: fields::label_key(&p.path).map(|key| visitor.lang.t(key).to_owned()),
                        path: p.path,
                        article: p.article,
                        message: visitor.lang.say(&p.message),
                        code: p.message.code().to_owned(),
                    })
                    .collect(),
            };
            let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            Ok(response)
        }
        Outcome::Evaluated(evaluated) => {
            let evaluated = *evaluated;
            let frame = &evaluated.formulation.frame;
            let (cofinancing, cofinancing_error) = match evaluated.cofinancing {
                Ok(split) => (Some(split), None),
                Err(error) => (None, Some(error)),
            };
            Ok(Json(EvaluationReport {
                project: ProjectFacts {
                    code: frame.code.clone(),
                    title: frame.title.clone(),
                    municipality: frame.municipality.clone(),
                    typology: frame.typology,
                    budget_year: frame.budget_year,
                    horizon_years: frame.horizon_years,
                    families: frame.households.len(),
                },
                rule_set: evaluated.rule_set,
                evaluation: evaluated.evaluation,
                cofinancing,
                cofinancing_error,
            })
            .into_response())
        }
    }
}
