//! The technical document of focus and prioritization of a call (Acuerdo 308 de 2013, Art. 8)
//! as a PDF, laid out like the evaluation report (`evaluation_pdf`, typeset by the
//! `focalizacion.typ` template): the technical reasons
//! (Art. 5 and 6), the weighting of the three aspects, the ranking of the municipalities and
//! the budget coverage (Art. 30). In Spanish, the language of the act.

use rust_decimal::Decimal;
use vereda_domain::targeting::{Coverage, CoverageInput, Ranked, Weights};
use vereda_domain::territory::catalog;

use crate::evaluation_text::pesos;
use crate::report::{Align, Layout};
use crate::typeset::{Template, TemplateError, Templates, Typeset};

/// What the document states; borrowed from a stored document.
pub struct TargetingReport<'a> {
    pub call_code: &'a str,
    pub call_name: &'a str,
    pub budget_year: i16,
    /// The document's version within the call.
    pub number: i32,
    /// When it was generated, as shown.
    pub created_at: &'a str,
    pub weights: &'a Weights,
    pub ranking: &'a [Ranked],
    pub coverage_input: &'a CoverageInput,
    pub coverage: &'a Coverage,
}

/// The technical reasons of Art. 5 and 6, as the document states them.
pub const REASONS: [&str; 5] = [
    "Art. 5 (criterio poblacional): se atiende de manera prioritaria a la población rural más pobre registrada en el Sisbén, seguida de la población rural que fue beneficiaria de procesos de reforma agraria o de programas misionales del instituto.",
    "Art. 5 (cobertura territorial): se atienden los territorios donde se concentra el mayor número de esa población; los candidatos son los municipios de los departamentos de las direcciones territoriales de la convocatoria.",
    "Art. 6.1: áreas con mayor nivel de pobreza según el índice de pobreza multidimensional (IPM) municipal.",
    "Art. 6.2: áreas con mayor concentración de familias a beneficiar (hogares elegibles de la última verificación de la convocatoria).",
    "Art. 6.3: áreas con mayor concentración de intervenciones misionales del instituto, que fortalecen la estrategia de desarrollo rural con enfoque territorial.",
];

/// How the index is computed, as the document states it.
pub const METHOD: &str = "Cada aspecto se normaliza entre los municipios candidatos como (valor - mínimo) / (máximo - mínimo); si todos tienen el mismo valor, el aspecto aporta 0. El índice es la suma ponderada de los valores normalizados dividida por la suma de las ponderaciones (entre 0 y 1). Los empates se resuelven por el IPM (mayor primero) y luego por el código DANE (menor primero).";

fn fraction(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

fn lay_out(report: &TargetingReport<'_>) -> Layout {
    let mut l = Layout::new(format!(
        "Focalización y priorización {} v{}",
        report.call_code, report.number
    ));
    l.line(16.0, true, "Documento técnico de focalización y priorización");
    l.line(
        11.0,
        false,
        &format!(
            "Convocatoria {} · {} · vigencia {} · versión {} · {}",
            report.call_code, report.call_name, report.budget_year, report.number, report.created_at
        ),
    );
    l.line(9.0, false, "Acuerdo 308 de 2013, artículos 5, 6, 8 y 30.");

    l.heading("Razones técnicas (Art. 5 y 6)");
    for reason in REASONS {
        l.line(9.0, false, &format!("• {reason}"));
    }
    l.heading("Ponderación de los aspectos (Art. 8)");
    let normalised = report.weights.normalised().unwrap_or(*report.weights);
    let rows = vec![
        vec![
            "1. IPM municipal (Art. 6.1)".to_owned(),
            fraction(report.weights.poverty),
            fraction(normalised.poverty),
        ],
        vec![
            "2. Familias a beneficiar (Art. 6.2)".to_owned(),
            fraction(report.weights.families),
            fraction(normalised.families),
        ],
        vec![
            "3. Intervenciones del instituto (Art. 6.3)".to_owned(),
            fraction(report.weights.interventions),
            fraction(normalised.interventions),
        ],
    ];
    l.table(
        &[Align::Left, Align::Right, Align::Right],
        &[
            "Aspecto".to_owned(),
            "Ponderación".to_owned(),
            "Peso relativo".to_owned(),
        ],
        &rows,
    );
    l.line(9.0, false, METHOD);

    l.heading("Priorización de municipios (Art. 6)");
    let header: Vec<String> = [
        "Puesto",
        "Código",
        "Municipio",
        "Departamento",
        "IPM %",
        "Familias",
        "Intervenciones",
        "IPM norm.",
        "Familias norm.",
        "Interv. norm.",
        "Índice",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let catalog = catalog();
    let rows: Vec<Vec<String>> = report
        .ranking
        .iter()
        .map(|r| {
            let code = r.candidate.dane_code;
            let municipality = code.municipality();
            let department = catalog
                .department(municipality.department_code)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            vec![
                r.rank.to_string(),
                code.to_string(),
                municipality.name.clone(),
                department,
                fraction(r.candidate.ipm),
                r.candidate.families.to_string(),
                r.candidate.interventions.to_string(),
                fraction(r.poverty_norm),
                fraction(r.families_norm),
                fraction(r.interventions_norm),
                fraction(r.index),
            ]
        })
        .collect();
    if rows.is_empty() {
        l.line(9.0, false, "No hay municipios candidatos con IPM registrado.");
    } else {
        let mut align = vec![Align::Right, Align::Left, Align::Left, Align::Left];
        align.extend([Align::Right; 7]);
        l.table(&align, &header, &rows);
    }

    l.heading("Cobertura presupuestal (Art. 30)");
    let c = report.coverage;
    let input = report.coverage_input;
    let rows = vec![
        vec![
            "Presupuesto de la vigencia (COP)".to_owned(),
            pesos(input.budget_cop),
        ],
        vec![
            "Cofinanciación esperada por familia (COP)".to_owned(),
            pesos(input.cofinancing_per_family_cop),
        ],
        vec![
            "Familias por proyecto".to_owned(),
            input.families_per_project.to_string(),
        ],
        vec![
            "Familias que alcanza el presupuesto".to_owned(),
            c.families.to_string(),
        ],
        vec!["Proyectos completos".to_owned(), c.projects.to_string()],
        vec![
            "Familias fuera de proyectos completos".to_owned(),
            c.families_outside_projects.to_string(),
        ],
        vec!["Saldo sin asignar (COP)".to_owned(), pesos(c.remainder_cop)],
    ];
    l.table(
        &[Align::Left, Align::Right],
        &["Concepto".to_owned(), "Valor".to_owned()],
        &rows,
    );
    l
}

/// The document as a PDF, typeset on `today`.
pub fn render(
    report: &TargetingReport<'_>,
    templates: &Templates,
    today: jiff::civil::Date,
) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::Targeting, &lay_out(report).data(), today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vereda_domain::targeting::{Candidate, coverage, prioritize};
    use vereda_domain::territory::DaneCode;

    #[test]
    fn writes_a_pdf_with_every_municipality() {
        let codes: Vec<DaneCode> = catalog().municipalities.iter().take(90).map(|m| m.code).collect();
        let candidates: Vec<Candidate> = codes
            .iter()
            .enumerate()
            .map(|(i, code)| Candidate {
                dane_code: *code,
                ipm: Decimal::from(i as u64 % 100),
                families: i as u64,
                interventions: (i % 4) as u64,
            })
            .collect();
        let weights = Weights {
            poverty: Decimal::new(5, 1),
            families: Decimal::new(3, 1),
            interventions: Decimal::new(2, 1),
        };
        let ranking = prioritize(&candidates, &weights).expect("ranking");
        let input = CoverageInput {
            budget_cop: Decimal::from(1_000_000_000u64),
            cofinancing_per_family_cop: Decimal::from(11_790_000u64),
            families_per_project: 20,
        };
        let reached = coverage(&input).expect("coverage");
        let report = TargetingReport {
            call_code: "C-2014",
            call_name: "Convocatoria Caquetá",
            budget_year: 2014,
            number: 1,
            created_at: "2026-11-21 12:00",
            weights: &weights,
            ranking: &ranking,
            coverage_input: &input,
            coverage: &reached,
        };
        let today = jiff::civil::date(2026, 11, 21);
        let pdf = render(&report, &Templates::shipped(), today)
            .expect("typeset")
            .pdf;
        assert!(pdf.starts_with(b"%PDF"));
        // 90 rows do not fit on one page: the footer counts the pages.
        let text = Templates::shipped()
            .text(Template::Targeting, &lay_out(&report).data(), today)
            .expect("text");
        assert!(text.contains("Página 1 de "), "{text}");
        assert!(text.contains("Página 2 de "), "{text}");
        assert!(text.contains(&codes[89].to_string()), "{text}");
    }
}
