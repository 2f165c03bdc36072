//! The financial evaluation of one project as a workbook: Resumen (project, rule set, verdict,
//! indicators, checks), Flujo de caja, Cofinanciación and Sensibilidad. It takes the same
//! `EvaluationReport` as the PDF and shares its Spanish formatting and cash-flow columns, so
//! `vereda evaluate --xlsx` and the web's download write one workbook. Amounts are cells in
//! whole pesos (f64 only here, at the spreadsheet's boundary).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use vereda_domain::finance::Irr;
use vereda_domain::finance::SwitchingValue;
use vereda_domain::finance::rules::IncomePeriod;

use crate::evaluation_pdf::EvaluationReport;
use crate::evaluation_text::{
    FLOW_COLUMNS, deciding_rate_text, decimal_percent, funder_name, irr_text, pesos, ratio, switching_text,
    value_text,
};

fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// The evaluation as an XLSX workbook.
pub fn workbook(report: &EvaluationReport<'_>) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let amount = Format::new().set_num_format("#,##0");
    let rate = Format::new().set_num_format("0.00%");
    let ratio_format = Format::new().set_num_format("0.0000");
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let e = report.evaluation;
    let frame = &report.formulation.frame;
    let rules = report.rules;

    // Resumen
    let sheet = workbook.add_worksheet();
    sheet.set_name("Resumen")?;
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 44)?;
    sheet.set_column_width(2, 14)?;
    sheet.set_column_width(3, 26)?;
    sheet.set_column_width(4, 26)?;
    let mut row = 0u32;
    let mut pair = |sheet: &mut Worksheet, label: &str, value: &str| -> Result<(), XlsxError> {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
        Ok(())
    };
    pair(sheet, "Código", &frame.code)?;
    pair(sheet, "Proyecto", &frame.title)?;
    let place = if report.municipality_name.is_empty() {
        frame.municipality.clone()
    } else {
        format!("{} {}", frame.municipality, report.municipality_name)
    };
    pair(sheet, "Municipio", &place)?;
    pair(sheet, "Tipología (Art. 22)", &frame.typology.to_string())?;
    pair(sheet, "Vigencia presupuestal", &frame.budget_year.to_string())?;
    pair(sheet, "Horizonte (años)", &frame.horizon_years.to_string())?;
    pair(sheet, "Familias", &frame.households.len().to_string())?;
    pair(
        sheet,
        "Reglas",
        &format!(
            "{} (sha256 {}), {}",
            report.rule_set_id, report.rule_set_hash, report.rule_set_period
        ),
    )?;
    pair(
        sheet,
        "Veredicto",
        if e.verdict.viable { "VIABLE" } else { "NO VIABLE" },
    )?;
    let mut row = row + 1;
    let indicators: [(&str, Option<f64>, &Format, String); 6] = [
        ("TIR", e.irr.unique(), &rate, irr_text(&e.irr)),
        ("TIR modificada (TIRM)", e.mirr, &rate, deciding_rate_text(e)),
        (
            "VPN",
            Some(number(e.npv)),
            &amount,
            format!("a {}", decimal_percent(e.discount_rate)),
        ),
        (
            "Relación beneficio/costo",
            e.benefit_cost.map(number),
            &ratio_format,
            ratio(e.benefit_cost),
        ),
        (
            "Ingreso neto por familia (COP)",
            Some(number(e.family_income.per_family)),
            &amount,
            format!(
                "por {}, año {}",
                match e.family_income.period {
                    IncomePeriod::Month => "mes",
                    IncomePeriod::Year => "año",
                },
                e.family_income.year
            ),
        ),
        (
            "Ingreso neto por familia (SMMLV)",
            Some(number(e.family_income.in_smmlv)),
            &ratio_format,
            format!(
                "SMMLV {} = COP {}",
                frame.budget_year,
                pesos(e.family_income.minimum_wage)
            ),
        ),
    ];
    for (label, value, format, note) in indicators {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        match value {
            Some(v) if v.is_finite() => {
                sheet.write_number_with_format(row, 1, v, format)?;
            }
            _ => {
                sheet.write_string(row, 1, &note)?;
            }
        }
        sheet.write_string(row, 2, &note)?;
        row += 1;
    }
    row += 1;
    for (column, title) in ["Verificación", "Artículo", "Cumple", "Valor observado", "Umbral"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(row, column as u16, *title, &header)?;
    }
    row += 1;
    for reason in &e.verdict.reasons {
        sheet.write_string(row, 0, reason.check.as_str())?;
        sheet.write_string(row, 1, &reason.article)?;
        sheet.write_string(row, 2, if reason.passed { "sí" } else { "NO" })?;
        sheet.write_string(row, 3, value_text(&reason.seen))?;
        if let Some(bound) = &reason.threshold {
            sheet.write_string(
                row,
                4,
                format!("{} {}", bound.comparison.symbol(), value_text(&bound.value)),
            )?;
        }
        row += 1;
    }

    // Flujo de caja
    let sheet = workbook.add_worksheet();
    sheet.set_name("Flujo de caja")?;
    sheet.write_string_with_format(0, 0, "Año", &header)?;
    for (i, (_, title, _)) in FLOW_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16 + 1, *title, &header)?;
        sheet.set_column_width(i as u16 + 1, 16)?;
    }
    sheet.set_row_height(0, 45)?;
    for (i, year) in e.cash_flow.years.iter().enumerate() {
        let line = i as u32 + 1;
        sheet.write_number(line, 0, f64::from(year.year))?;
        for (j, (_, _, value)) in FLOW_COLUMNS.iter().enumerate() {
            sheet.write_number_with_format(line, j as u16 + 1, number(value(year)), &amount)?;
        }
    }
    let mut line = e.cash_flow.years.len() as u32 + 2;
    for (label, value) in [
        ("VP beneficios", e.present_value_benefits),
        ("VP costos", e.present_value_costs),
        ("VPN", e.npv),
    ] {
        sheet.write_string_with_format(line, 0, label, &bold)?;
        sheet.write_number_with_format(line, 1, number(value), &amount)?;
        line += 1;
    }
    sheet.write_string(
        line + 1,
        0,
        format!(
            "Pesos constantes de {}. Tasa de descuento {} ({}). Acompañamiento integral neutro en los años {} ({}). Mano de obra familiar: {} ({}).",
            frame.budget_year,
            decimal_percent(e.discount_rate),
            rules.discount_rate.article,
            rules
                .technical_assistance
                .neutral_span()
                .map_or_else(|| "ninguno".to_owned(), |(first, last)| format!("{first} y {last}")),
            rules.technical_assistance.article,
            rules.family_labour.treatment,
            rules.family_labour.article
        ),
    )?;

    // Cofinanciación
    let sheet = workbook.add_worksheet();
    sheet.set_name("Cofinanciación")?;
    sheet.set_column_width(0, 40)?;
    match report.cofinancing {
        Ok(split) => {
            let mut row = 0u32;
            let summary = [
                ("Valor del proyecto (V)", split.project_value),
                ("Máximo del instituto", split.institute_maximum),
                ("Solicitado al instituto", split.requested),
                ("Total elegible (Art. 20)", split.eligible_total),
                ("Total no elegible (Art. 21)", split.non_eligible_total),
                ("Aporte del instituto", split.contribution),
                ("Contrapartida", split.counterpart),
                ("Contrapartida adicional", split.counterpart_additional),
                ("Póliza de cumplimiento", split.guarantee.amount),
            ];
            for (label, value) in summary {
                sheet.write_string_with_format(row, 0, label, &bold)?;
                sheet.write_number_with_format(row, 1, number(value), &amount)?;
                row += 1;
            }
            sheet.write_string_with_format(row, 0, "Límite que rige", &bold)?;
            sheet.write_string(row, 1, split.binding_limit.as_str())?;
            row += 1;
            sheet.write_string_with_format(row, 0, "Vigencia de la póliza", &bold)?;
            sheet.write_string(
                row,
                1,
                format!("{} meses ({})", split.guarantee.months, split.guarantee.article),
            )?;
            row += 2;
            for (column, title) in [
                "Familias",
                "% máximo",
                "Tope SMMLV",
                "p·V/F",
                "c·S",
                "Límite del grupo",
            ]
            .iter()
            .enumerate()
            {
                sheet.write_string_with_format(row, column as u16, *title, &header)?;
            }
            row += 1;
            for group in &split.family_groups {
                sheet.write_number(row, 0, group.families as f64)?;
                sheet.write_number(row, 1, number(group.max_pct))?;
                sheet.write_number(row, 2, number(group.cap_smmlv))?;
                sheet.write_number_with_format(row, 3, number(group.by_percentage), &amount)?;
                sheet.write_number_with_format(row, 4, number(group.by_cap), &amount)?;
                sheet.write_number_with_format(row, 5, number(group.limit), &amount)?;
                row += 1;
            }
            row += 1;
            sheet.write_string_with_format(row, 0, "Rubro", &header)?;
            for (j, share) in split.by_funder.iter().enumerate() {
                sheet.write_string_with_format(row, j as u16 + 1, funder_name(&share.funder), &header)?;
                sheet.set_column_width(j as u16 + 1, 18)?;
            }
            let total_column = split.by_funder.len() as u16 + 1;
            sheet.write_string_with_format(row, total_column, "Total", &header)?;
            sheet.set_column_width(total_column, 18)?;
            row += 1;
            for (category, total) in &split.by_category {
                sheet.write_string(row, 0, category.as_str())?;
                for (j, share) in split.by_funder.iter().enumerate() {
                    if let Some(value) = share.by_category.get(category) {
                        sheet.write_number_with_format(row, j as u16 + 1, number(*value), &amount)?;
                    }
                }
                sheet.write_number_with_format(row, total_column, number(*total), &amount)?;
                row += 1;
            }
            sheet.write_string_with_format(row, 0, "Total", &bold)?;
            for (j, share) in split.by_funder.iter().enumerate() {
                sheet.write_number_with_format(row, j as u16 + 1, number(share.total), &amount)?;
            }
            sheet.write_number_with_format(row, total_column, number(split.project_value), &amount)?;
        }
        Err(message) => {
            sheet.write_string(0, 0, format!("No se puede repartir: {message}"))?;
        }
    }

    // Sensibilidad
    let sheet = workbook.add_worksheet();
    sheet.set_name("Sensibilidad")?;
    sheet.set_column_width(0, 34)?;
    for (column, title) in ["Caso", "Variable", "Cambio", "TIR", "VPN", "B/C"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, column as u16, *title, &header)?;
        if column > 0 {
            sheet.set_column_width(column as u16, 16)?;
        }
    }
    let mut row = 1u32;
    // A unique IRR is a number; none or several are said in words.
    let write_irr = |sheet: &mut Worksheet, row: u32, irr: &Irr| -> Result<(), XlsxError> {
        match irr.unique() {
            Some(value) => sheet.write_number_with_format(row, 3, value, &rate).map(|_| ()),
            None => sheet.write_string(row, 3, irr_text(irr)).map(|_| ()),
        }
    };
    sheet.write_string(row, 0, "base")?;
    write_irr(sheet, row, &e.irr)?;
    sheet.write_number_with_format(row, 4, number(e.npv), &amount)?;
    if let Some(bc) = e.benefit_cost {
        sheet.write_number_with_format(row, 5, number(bc), &ratio_format)?;
    }
    row += 1;
    for case in &e.sensitivity.cases {
        sheet.write_string(row, 0, &case.name)?;
        sheet.write_string(row, 1, case.variable.as_str())?;
        sheet.write_number_with_format(row, 2, number(case.change), &rate)?;
        write_irr(sheet, row, &case.irr)?;
        sheet.write_number_with_format(row, 4, number(case.npv), &amount)?;
        if let Some(bc) = case.benefit_cost {
            sheet.write_number_with_format(row, 5, number(bc), &ratio_format)?;
        }
        row += 1;
    }
    row += 1;
    for (label, value, search_max) in [
        (
            "Caída de precio que lleva la TIR al mínimo",
            e.sensitivity.price_drop,
            rules.sensitivity.price_drop_search_max,
        ),
        (
            "Aumento de costos que lleva la TIR al mínimo",
            e.sensitivity.cost_rise,
            rules.sensitivity.cost_rise_search_max,
        ),
    ] {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        match value {
            SwitchingValue::Found(change) => {
                sheet.write_number_with_format(row, 1, change, &rate)?;
            }
            other => {
                sheet.write_string(row, 1, switching_text(other, search_max))?;
            }
        }
        row += 1;
    }
    sheet.write_string(
        row + 1,
        0,
        format!(
            "TIR mínima {} ({}); VPN y B/C a {}.",
            decimal_percent(rules.min_irr.value),
            rules.min_irr.article,
            decimal_percent(e.discount_rate)
        ),
    )?;

    workbook.save_to_buffer()
}
