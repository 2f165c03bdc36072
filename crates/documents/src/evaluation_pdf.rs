//! The financial evaluation of one project as a PDF report (A4 landscape, typeset by the
//! `evaluacion.typ` template, see `typeset`): the project, the rule set, the verdict with its reasons and articles, the indicators, the cash
//! flow, the co-financing split and the sensitivity analysis. Shared by `vereda evaluate --pdf`
//! and the staff evaluation page of the web application; `evaluation_xlsx` writes the same
//! report as a workbook with these formatting helpers.

use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{CofinancingSplit, Evaluation, Formulation};
use vereda_domain::money::format_amount;

use crate::evaluation_text::{
    FLOW_COLUMNS, case_label, category_label, check_label, deciding_rate_text, decimal_percent, funder_name,
    irr_text, limit_label, percent, pesos, ratio, signed_percent, strings, switching_text, value_text,
    variable_label,
};
use crate::report::{Align, Layout};
use crate::typeset::{Template, TemplateError, Templates, Typeset};

/// What the report shows; everything is borrowed from an evaluation already made.
pub struct EvaluationReport<'a> {
    pub formulation: &'a Formulation,
    pub evaluation: &'a Evaluation,
    /// The financial table of the rule set used.
    pub rules: &'a FinancialRules,
    /// The co-financing split, or why it could not be made.
    pub cofinancing: Result<&'a CofinancingSplit, &'a str>,
    pub rule_set_id: &'a str,
    /// SHA-256 of the rule-set file (the report shows its first 12 digits).
    pub rule_set_hash: &'a str,
    /// When the rule set is in force, in words.
    pub rule_set_period: &'a str,
    /// The municipality's name (and department), or empty when unknown.
    pub municipality_name: &'a str,
}

// ---------------------------------------------------------------------------------------------
// The report

fn lay_out(report: &EvaluationReport<'_>) -> Layout {
    let frame = &report.formulation.frame;
    let e = report.evaluation;
    let rules = report.rules;
    let mut l = Layout::new(format!("Evaluación financiera {}", frame.code));

    l.line(16.0, true, &format!("Evaluación financiera — {}", frame.code));
    l.line(11.0, false, &frame.title);
    l.gap(4.0);
    let place = if report.municipality_name.is_empty() {
        frame.municipality.clone()
    } else {
        format!("{} · {}", report.municipality_name, frame.municipality)
    };
    l.line(9.0, false, &format!("Municipio: {place}"));
    l.line(
        9.0,
        false,
        &format!(
            "Tipología {} (Art. 22) · año presupuestal {} (SMMLV COP {}) · horizonte {} años · {} familias",
            frame.typology,
            frame.budget_year,
            pesos(e.family_income.minimum_wage),
            frame.horizon_years,
            frame.households.len()
        ),
    );
    let hash = report.rule_set_hash.get(..12).unwrap_or(report.rule_set_hash);
    l.line(
        9.0,
        false,
        &format!(
            "Conjunto de reglas: {} (sha256 {hash}) · vigencia {}",
            report.rule_set_id, report.rule_set_period
        ),
    );

    l.heading("Concepto");
    l.line(12.0, true, if e.verdict.viable { "VIABLE" } else { "NO VIABLE" });
    let rows: Vec<Vec<String>> = e
        .verdict
        .reasons
        .iter()
        .map(|r| {
            vec![
                check_label(r.check),
                r.article.clone(),
                if r.passed { "cumple" } else { "NO CUMPLE" }.to_owned(),
                value_text(&r.seen),
                r.threshold.as_ref().map_or_else(String::new, |b| {
                    format!("{} {}", b.comparison.symbol(), value_text(&b.value))
                }),
            ]
        })
        .collect();
    l.table(
        &[Align::Left, Align::Left, Align::Left, Align::Right, Align::Right],
        &strings(&["Criterio", "Artículo", "Resultado", "Observado", "Umbral"]),
        &rows,
    );

    l.heading("Indicadores");
    let income = &e.family_income;
    let rows = vec![
        vec![
            "Tasa interna de retorno (TIR)".to_owned(),
            irr_text(&e.irr),
            format!(
                "mínimo {} {}",
                rules.min_irr.comparison.symbol(),
                decimal_percent(rules.min_irr.value)
            ),
        ],
        vec![
            "TIR modificada (TIRM)".to_owned(),
            e.mirr.map_or_else(|| "no aplica".to_owned(), percent),
            deciding_rate_text(e),
        ],
        vec![
            "Valor presente neto (VPN)".to_owned(),
            format!("COP {}", pesos(e.npv)),
            format!("tasa de descuento {}", decimal_percent(e.discount_rate)),
        ],
        vec![
            "Relación beneficio/costo".to_owned(),
            ratio(e.benefit_cost),
            String::new(),
        ],
        vec![
            "Ingreso neto por familia".to_owned(),
            format!("{} SMMLV", format_amount(income.in_smmlv.round_dp(2))),
            format!("COP {} · año {}", pesos(income.per_family), income.year),
        ],
    ];
    l.table(
        &[Align::Left, Align::Right, Align::Left],
        &strings(&["Indicador", "Valor", "Referencia"]),
        &rows,
    );

    l.heading("Flujo de caja (COP constantes del año presupuestal)");
    let mut header = vec!["Año".to_owned()];
    header.extend(FLOW_COLUMNS.iter().map(|(h, _, _)| (*h).to_owned()));
    let rows: Vec<Vec<String>> = e
        .cash_flow
        .years
        .iter()
        .map(|y| {
            let mut row = vec![y.year.to_string()];
            row.extend(FLOW_COLUMNS.iter().map(|(_, _, value)| pesos(value(y))));
            row
        })
        .collect();
    l.table(&[Align::Right], &header, &rows);

    l.heading("Cofinanciación");
    match report.cofinancing {
        Ok(split) => {
            for fact in [
                format!("Valor del proyecto: COP {}", pesos(split.project_value)),
                format!(
                    "Monto máximo del instituto: COP {} ({})",
                    pesos(split.institute_maximum),
                    split.institute_maximum_article
                ),
                format!("Solicitado: COP {}", pesos(split.requested)),
                format!(
                    "Aporte del instituto: COP {} · límite: {}",
                    pesos(split.contribution),
                    limit_label(split.binding_limit)
                ),
                format!("Contrapartida: COP {}", pesos(split.counterpart)),
                format!(
                    "Garantía: COP {} · {} meses ({})",
                    pesos(split.guarantee.amount),
                    split.guarantee.months,
                    split.guarantee.article
                ),
            ] {
                l.line(9.0, false, &fact);
            }
            l.gap(4.0);
            let categories: Vec<_> = split.by_category.keys().copied().collect();
            let mut header = vec!["Financiador".to_owned()];
            header.extend(categories.iter().map(|c| category_label(*c)));
            header.push("Total".to_owned());
            let mut rows: Vec<Vec<String>> = split
                .by_funder
                .iter()
                .map(|share| {
                    let mut row = vec![funder_name(&share.funder)];
                    row.extend(
                        categories
                            .iter()
                            .map(|c| pesos(share.by_category.get(c).copied().unwrap_or_default())),
                    );
                    row.push(pesos(share.total));
                    row
                })
                .collect();
            let mut total = vec!["Total".to_owned()];
            total.extend(
                categories
                    .iter()
                    .map(|c| pesos(split.by_category.get(c).copied().unwrap_or_default())),
            );
            total.push(pesos(split.project_value));
            rows.push(total);
            l.table(&[Align::Left], &header, &rows);
        }
        Err(message) => l.line(9.0, false, &format!("No se pudo calcular: {message}")),
    }

    l.heading(&format!(
        "Análisis de sensibilidad ({})",
        rules.sensitivity.article
    ));
    let mut rows = vec![vec![
        "Base".to_owned(),
        String::new(),
        String::new(),
        irr_text(&e.irr),
        pesos(e.npv),
        ratio(e.benefit_cost),
    ]];
    rows.extend(e.sensitivity.cases.iter().map(|c| {
        vec![
            case_label(c.variable, c.change),
            variable_label(c.variable),
            signed_percent(c.change),
            irr_text(&c.irr),
            pesos(c.npv),
            ratio(c.benefit_cost),
        ]
    }));
    l.table(
        &[Align::Left, Align::Left],
        &strings(&["Caso", "Variable", "Cambio", "TIR", "VPN (COP)", "B/C"]),
        &rows,
    );
    l.line(
        9.0,
        false,
        &format!(
            "Valor de cambio, caída del precio: {}",
            switching_text(e.sensitivity.price_drop, rules.sensitivity.price_drop_search_max)
        ),
    );
    l.line(
        9.0,
        false,
        &format!(
            "Valor de cambio, aumento de los costos: {}",
            switching_text(e.sensitivity.cost_rise, rules.sensitivity.cost_rise_search_max)
        ),
    );
    l
}

/// The report as a PDF document, typeset on `today`.
pub fn render(
    report: &EvaluationReport<'_>,
    templates: &Templates,
    today: jiff::civil::Date,
) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::Evaluation, &lay_out(report).data(), today)
}
