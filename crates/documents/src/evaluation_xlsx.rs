//! The financial evaluation of one project as a workbook: Resumen (project, rule set, verdict,
//! indicators, checks), Flujo de caja, Cofinanciación and Sensibilidad. It takes the same
//! `EvaluationReport` as the PDF and shares its Spanish formatting and cash-flow columns, so
//! `vereda evaluate --xlsx` and the web's download write one workbook. Amounts are cells in
//! whole pesos (f64 only here, at the spreadsheet's boundary).
//!
//! The cash flow's totals, the present values, NPV, IRR and B/C are live formulas over the
//! flow, so a reviewer can change a figure (or the discount rate) and recompute; each holds
//! the engine's own figure as its cached result, so the workbook shows the report's numbers
//! until then. Every sheet prints one page wide with its header rows repeated and the
//! project's code in the page header; codes are shown in words from the catalogue.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Formula, Workbook, Worksheet, XlsxError};
use vereda_domain::finance::Irr;
use vereda_domain::finance::SwitchingValue;
use vereda_domain::finance::rules::{IncomePeriod, SensitivityVariable};

use crate::evaluation_pdf::EvaluationReport;
use crate::evaluation_text::{
    FLOW_COLUMNS, case_label, category_label, check_label, deciding_rate_text, decimal_percent,
    family_labour_label, funder_name, irr_text, limit_label, pesos, ratio, switching_text, value_text,
    variable_label,
};
use vereda_screening::table::a1;

fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// A formula with the engine's figure as its cached result (a `Decimal`, or the IRR's `f64`,
/// written so it reads back as the same number).
fn formula(text: String, cached: impl Cached) -> Formula {
    Formula::new(text).set_result(cached.text())
}

trait Cached {
    fn text(&self) -> String;
}

impl Cached for Decimal {
    fn text(&self) -> String {
        self.normalize().to_string()
    }
}

impl Cached for f64 {
    fn text(&self) -> String {
        self.to_string()
    }
}

/// A line of the summary's indicators: label, value, the formula that recomputes it (when
/// there is one), number format and note.
type Indicator<'f> = (&'static str, Option<f64>, Option<Formula>, &'f Format, String);

/// The sheet that holds the cash flow, as formulas name it.
const FLOW_SHEET: &str = "Flujo de caja";
/// The flow's columns a sensitivity case scales ([`FLOW_COLUMNS`] names).
const INCOME: &str = "Ingresos";
const OUTPUT_COSTS: &str = "Por producto";
const RESIDUAL: &str = "Valor residual";

/// Where the cash-flow sheet puts its figures, so the summary can point at them.
struct FlowLayout {
    /// Rows (0-based) of the first and last year.
    first_year: u32,
    last_year: u32,
    total: u32,
    rate: u32,
    pv_benefits: u32,
    pv_costs: u32,
    npv: u32,
    irr: u32,
    benefit_cost: u32,
    /// Columns of the net flow and of the benefits and costs worked out from it.
    net: u16,
    benefits: u16,
    costs: u16,
}

impl FlowLayout {
    fn of(years: usize) -> Self {
        let last_year = years.max(1) as u32;
        let total = last_year + 1;
        let net = FLOW_COLUMNS.len() as u16;
        Self {
            first_year: 1,
            last_year,
            total,
            rate: total + 2,
            pv_benefits: total + 3,
            pv_costs: total + 4,
            npv: total + 5,
            irr: total + 6,
            benefit_cost: total + 7,
            net,
            benefits: net + 1,
            costs: net + 2,
        }
    }

    /// The column's years as a range, `M2:M12`.
    fn years(&self, column: u16) -> String {
        format!(
            "{}:{}",
            a1(self.first_year as usize + 1, column.into()),
            a1(self.last_year as usize + 1, column.into())
        )
    }

    /// The present value of a column at the rate's cell: year 0 as it is, the later years
    /// discounted by Excel's NPV (which starts one period out).
    fn present_value(&self, column: u16) -> String {
        format!("={}", self.present_value_on("", column))
    }

    /// The same present value as a term of a formula on another sheet: `sheet` is the
    /// prefix that names the flow's sheet (`'Flujo de caja'!`), or empty on it.
    fn present_value_on(&self, sheet: &str, column: u16) -> String {
        let rate = format!("{sheet}$B${}", self.rate + 1);
        let year_0 = format!("{sheet}{}", a1(self.first_year as usize + 1, column.into()));
        if self.last_year > self.first_year {
            let later = format!(
                "{sheet}{}:{}",
                a1(self.first_year as usize + 2, column.into()),
                a1(self.last_year as usize + 1, column.into())
            );
            format!("NPV({rate},{later})+{year_0}")
        } else {
            year_0
        }
    }

    /// The column of the flow sheet that shows `short` (a [`FLOW_COLUMNS`] name).
    fn column_of(short: &str) -> u16 {
        1 + FLOW_COLUMNS
            .iter()
            .position(|(name, _, _)| *name == short)
            .unwrap_or(0) as u16
    }

    /// A cell of column B of the flow sheet, from another sheet.
    fn from_summary(row: u32) -> String {
        format!("='{FLOW_SHEET}'!B{}", row + 1)
    }
}

/// Print setup of every sheet: one page wide, `title_rows` repeated on every page, the
/// project's code and the sheet's name in the page header, page numbers in the footer.
fn print_setup(
    sheet: &mut Worksheet,
    code: &str,
    title_rows: Option<(u32, u32)>,
    landscape: bool,
) -> Result<(), XlsxError> {
    if landscape {
        sheet.set_landscape();
    }
    sheet.set_print_fit_to_pages(1, 0);
    if let Some((first, last)) = title_rows {
        sheet.set_repeat_rows(first, last)?;
    }
    // `&` starts a control code in a header: a code's own `&` is doubled.
    sheet.set_header(format!("&L{}&R&A", code.replace('&', "&&")));
    sheet.set_footer("&CPágina &P de &N");
    Ok(())
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
    let flow = FlowLayout::of(e.cash_flow.years.len());
    // TIR, VPN and B/C point at the cash-flow sheet's formulas, with the engine's figures.
    let linked = |flow_row: u32, cached: Option<Decimal>| {
        cached.map(|value| formula(FlowLayout::from_summary(flow_row), value))
    };
    let irr_cached = e.irr.unique().filter(|v| v.is_finite());
    let linked_irr = irr_cached.map(|value| formula(FlowLayout::from_summary(flow.irr), value));
    let indicators: [Indicator<'_>; 6] = [
        ("TIR", e.irr.unique(), linked_irr, &rate, irr_text(&e.irr)),
        (
            "TIR modificada (TIRM)",
            e.mirr,
            None,
            &rate,
            deciding_rate_text(e),
        ),
        (
            "VPN",
            Some(number(e.npv)),
            linked(flow.npv, Some(e.npv)),
            &amount,
            format!("a {}", decimal_percent(e.discount_rate)),
        ),
        (
            "Relación beneficio/costo",
            e.benefit_cost.map(number),
            linked(flow.benefit_cost, e.benefit_cost),
            &ratio_format,
            ratio(e.benefit_cost),
        ),
        (
            "Ingreso neto por familia (COP)",
            Some(number(e.family_income.per_family)),
            None,
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
            None,
            &ratio_format,
            format!(
                "SMMLV {} = COP {}",
                frame.budget_year,
                pesos(e.family_income.minimum_wage)
            ),
        ),
    ];
    for (label, value, live, format, note) in indicators {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        match (value, live) {
            (Some(v), Some(live)) if v.is_finite() => {
                sheet.write_formula_with_format(row, 1, live, format)?;
            }
            (Some(v), None) if v.is_finite() => {
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
        sheet.write_string(row, 0, check_label(reason.check))?;
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

    print_setup(sheet, &frame.code, Some((0, 1)), false)?;

    // Flujo de caja
    let sheet = workbook.add_worksheet();
    sheet.set_name(FLOW_SHEET)?;
    sheet.set_column_width(0, 28)?;
    sheet.write_string_with_format(0, 0, "Año", &header)?;
    let derived = [
        (flow.benefits, "Beneficios (ingresos + valor residual)"),
        (flow.costs, "Costos (beneficios - flujo neto)"),
    ];
    for (i, (_, title, _)) in FLOW_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16 + 1, *title, &header)?;
        sheet.set_column_width(i as u16 + 1, 16)?;
    }
    for (column, title) in derived {
        sheet.write_string_with_format(0, column, title, &header)?;
        sheet.set_column_width(column, 16)?;
    }
    sheet.set_row_height(0, 45)?;
    let income_column = FlowLayout::column_of(INCOME);
    let residual_column = FlowLayout::column_of(RESIDUAL);
    let mut totals = [Decimal::ZERO; FLOW_COLUMNS.len() + 2];
    for (i, year) in e.cash_flow.years.iter().enumerate() {
        let line = flow.first_year + i as u32;
        let excel_row = line as usize + 1;
        sheet.write_number(line, 0, f64::from(year.year))?;
        for (j, (_, _, value)) in FLOW_COLUMNS.iter().enumerate() {
            sheet.write_number_with_format(line, j as u16 + 1, number(value(year)), &amount)?;
            totals[j] += value(year);
        }
        // Benefits and costs as the engine splits the net flow (Art. 19.6: B/C).
        let benefits = year.income + year.residual_value;
        let costs = benefits - year.net_flow;
        totals[FLOW_COLUMNS.len()] += benefits;
        totals[FLOW_COLUMNS.len() + 1] += costs;
        let cell = |column: u16| a1(excel_row, column.into());
        sheet.write_formula_with_format(
            line,
            flow.benefits,
            formula(
                format!("={}+{}", cell(income_column), cell(residual_column)),
                benefits,
            ),
            &amount,
        )?;
        sheet.write_formula_with_format(
            line,
            flow.costs,
            formula(format!("={}-{}", cell(flow.benefits), cell(flow.net)), costs),
            &amount,
        )?;
    }
    sheet.write_string_with_format(flow.total, 0, "Total", &bold)?;
    for (j, total) in totals.iter().enumerate() {
        let column = j as u16 + 1;
        sheet.write_formula_with_format(
            flow.total,
            column,
            formula(format!("=SUM({})", flow.years(column)), *total),
            &amount,
        )?;
    }
    sheet.write_string_with_format(flow.rate, 0, "Tasa de descuento", &bold)?;
    sheet.write_number_with_format(flow.rate, 1, number(e.discount_rate), &rate)?;
    for (row, label, column, cached) in [
        (
            flow.pv_benefits,
            "VP beneficios",
            flow.benefits,
            e.present_value_benefits,
        ),
        (flow.pv_costs, "VP costos", flow.costs, e.present_value_costs),
        (flow.npv, "VPN", flow.net, e.npv),
    ] {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        sheet.write_formula_with_format(row, 1, formula(flow.present_value(column), cached), &amount)?;
    }
    sheet.write_string_with_format(flow.irr, 0, "TIR", &bold)?;
    match irr_cached {
        Some(cached) => {
            let irr = formula(format!("=IRR({})", flow.years(flow.net)), cached);
            sheet.write_formula_with_format(flow.irr, 1, irr, &rate)?;
        }
        // No rate, or several: the IRR function would pick one, so the words stay.
        None => {
            sheet.write_string(flow.irr, 1, irr_text(&e.irr))?;
        }
    }
    sheet.write_string_with_format(flow.benefit_cost, 0, "Relación beneficio/costo", &bold)?;
    match e.benefit_cost {
        Some(cached) => {
            let text = format!("=B{}/B{}", flow.pv_benefits + 1, flow.pv_costs + 1);
            sheet.write_formula_with_format(flow.benefit_cost, 1, formula(text, cached), &ratio_format)?;
        }
        None => {
            sheet.write_string(flow.benefit_cost, 1, ratio(None))?;
        }
    }
    let line = flow.benefit_cost;
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
            family_labour_label(rules.family_labour.treatment),
            rules.family_labour.article
        ),
    )?;
    print_setup(sheet, &frame.code, Some((0, 0)), true)?;

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
            sheet.write_string(row, 1, limit_label(split.binding_limit))?;
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
                sheet.write_string(row, 0, category_label(*category))?;
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
    print_setup(sheet, &frame.code, None, true)?;

    // Sensibilidad: each case's flow year by year as formulas over the flow sheet (prices ×
    // yield × income, yield × costs × costs by product, costs × the other costs, the residual
    // value as it is), with its factors in cells: a reviewer changes a case's change, or any
    // figure of the flow, and its IRR, NPV and B/C recompute. Cached: the engine's figures.
    let sheet = workbook.add_worksheet();
    sheet.set_name("Sensibilidad")?;
    sheet.set_column_width(0, 34)?;
    let factors: [(u16, &str); 3] = [
        (6, "Precio (factor)"),
        (7, "Rendimiento (factor)"),
        (8, "Costos (factor)"),
    ];
    let first_flow_column: u16 = 9;
    let mut titles: Vec<(u16, String)> = ["Caso", "Variable", "Cambio", "TIR", "VPN", "B/C"]
        .iter()
        .enumerate()
        .map(|(column, title)| (column as u16, (*title).to_owned()))
        .collect();
    titles.extend(
        factors
            .iter()
            .map(|(column, title)| (*column, (*title).to_owned())),
    );
    for (i, year) in e.cash_flow.years.iter().enumerate() {
        titles.push((
            first_flow_column + i as u16,
            format!("Flujo neto año {}", year.year),
        ));
    }
    for (column, title) in &titles {
        sheet.write_string_with_format(0, *column, title, &header)?;
        if *column > 0 {
            sheet.set_column_width(*column, 16)?;
        }
    }
    sheet.set_row_height(0, 30)?;
    let on_flow = format!("'{FLOW_SHEET}'!");
    let flow_cell =
        |column: u16, i: usize| format!("{on_flow}{}", a1(flow.first_year as usize + 1 + i, column.into()));
    let (output_column, costs_column) = (FlowLayout::column_of(OUTPUT_COSTS), flow.costs);
    let last_flow_column = first_flow_column + e.cash_flow.years.len().max(1) as u16 - 1;
    // One line: its factors (prices, yields, costs), then its flow, IRR, NPV and B/C.
    let write_case = |sheet: &mut Worksheet,
                      row: u32,
                      scaled: Option<SensitivityVariable>,
                      change: Decimal,
                      irr: &Irr,
                      npv: Decimal,
                      benefit_cost: Option<Decimal>|
     -> Result<(), XlsxError> {
        let excel_row = row as usize + 1;
        let cell = |column: u16| a1(excel_row, column.into());
        let factor = Decimal::ONE + change;
        let mut values = [Decimal::ONE; 3];
        for (k, (column, _)) in factors.iter().enumerate() {
            let variable = [
                SensitivityVariable::Price,
                SensitivityVariable::Yield,
                SensitivityVariable::Costs,
            ][k];
            if scaled == Some(variable) {
                values[k] = factor;
                let text = format!("=1+{}", cell(2));
                sheet.write_formula_with_format(row, *column, formula(text, factor), &ratio_format)?;
            } else {
                sheet.write_number_with_format(row, *column, 1.0, &ratio_format)?;
            }
        }
        let [price, volume, cost] = values;
        let (p, q, c) = (cell(factors[0].0), cell(factors[1].0), cell(factors[2].0));
        for (i, year) in e.cash_flow.years.iter().enumerate() {
            let benefits = year.income + year.residual_value;
            let costs = benefits - year.net_flow;
            let cached = price * volume * year.income
                - volume * cost * year.output_costs
                - cost * (costs - year.output_costs)
                + year.residual_value;
            let text = format!(
                "={p}*{q}*{income}-{q}*{c}*{output}-{c}*({costs}-{output})+{residual}",
                income = flow_cell(income_column, i),
                output = flow_cell(output_column, i),
                costs = flow_cell(costs_column, i),
                residual = flow_cell(residual_column, i),
            );
            sheet.write_formula_with_format(
                row,
                first_flow_column + i as u16,
                formula(text, cached),
                &amount,
            )?;
        }
        let years = format!("{}:{}", cell(first_flow_column), cell(last_flow_column));
        match irr.unique().filter(|v| v.is_finite()) {
            Some(value) => {
                sheet.write_formula_with_format(row, 3, formula(format!("=IRR({years})"), value), &rate)?;
            }
            None => {
                sheet.write_string(row, 3, irr_text(irr))?;
            }
        }
        let npv_text = if last_flow_column > first_flow_column {
            format!(
                "=NPV({on_flow}$B${},{}:{})+{}",
                flow.rate + 1,
                cell(first_flow_column + 1),
                cell(last_flow_column),
                cell(first_flow_column)
            )
        } else {
            format!("={}", cell(first_flow_column))
        };
        sheet.write_formula_with_format(row, 4, formula(npv_text, npv), &amount)?;
        match benefit_cost {
            Some(cached) => {
                let pv = |column: u16| flow.present_value_on(&on_flow, column);
                let text = format!(
                    "=({p}*{q}*({income})+({residual}))/({q}*{c}*({output})+{c}*(({costs})-({output})))",
                    income = pv(income_column),
                    residual = pv(residual_column),
                    output = pv(output_column),
                    costs = pv(costs_column),
                );
                sheet.write_formula_with_format(row, 5, formula(text, cached), &ratio_format)?;
            }
            None => {
                sheet.write_string(row, 5, ratio(None))?;
            }
        }
        Ok(())
    };
    let mut row = 1u32;
    sheet.write_string(row, 0, "Caso base")?;
    write_case(sheet, row, None, Decimal::ZERO, &e.irr, e.npv, e.benefit_cost)?;
    row += 1;
    for case in &e.sensitivity.cases {
        sheet.write_string(row, 0, case_label(case.variable, case.change))?;
        sheet.write_string(row, 1, variable_label(case.variable))?;
        sheet.write_number_with_format(row, 2, number(case.change), &rate)?;
        write_case(
            sheet,
            row,
            Some(case.variable),
            case.change,
            &case.irr,
            case.npv,
            case.benefit_cost,
        )?;
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
    print_setup(sheet, &frame.code, Some((0, 0)), false)?;

    workbook.save_to_buffer()
}
