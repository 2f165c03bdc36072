//! The financial evaluation of one project as a plain PDF report (A4 landscape, the standard
//! Helvetica fonts in WinAnsiEncoding, so Spanish accents and ñ need no embedded font): the
//! project, the rule set, the verdict with its reasons and articles, the indicators, the cash
//! flow, the co-financing split and the sensitivity analysis. Shared by `vereda evaluate --pdf`
//! and the staff evaluation page of the web application; `evaluation_xlsx` writes the same
//! report as a workbook with these formatting helpers.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;
use vereda_domain::finance::rules::FinancialRules;
use vereda_domain::finance::{
    CashFlowYear, CofinancingSplit, Evaluation, Formulation, Funder, Irr, SwitchingValue, Value,
};
use vereda_domain::money::format_amount;

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

const PAGE_WIDTH: f32 = 842.0;
const PAGE_HEIGHT: f32 = 595.0;
const MARGIN: f32 = 40.0;
pub(crate) const REGULAR: Name<'static> = Name(b"F1");
pub(crate) const BOLD: Name<'static> = Name(b"F2");

/// Text in WinAnsiEncoding (Windows-1252): Latin-1 letters map to themselves; a few
/// typographic marks have their own codes; anything else becomes `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{20}'..='\u{7e}' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => out.push(u32::from(c) as u8),
            '€' => out.push(0x80),
            '…' => out.push(0x85),
            '‘' => out.push(0x91),
            '’' => out.push(0x92),
            '“' => out.push(0x93),
            '”' => out.push(0x94),
            '•' => out.push(0x95),
            '–' => out.push(0x96),
            '—' => out.push(0x97),
            '≥' => out.extend_from_slice(b">="),
            '≤' => out.extend_from_slice(b"<="),
            '≠' => out.extend_from_slice(b"!="),
            '\t' | '\n' | '\r' => out.push(b' '),
            _ => out.push(b'?'),
        }
    }
    out
}

/// Helvetica advance widths (1/1000 em) of the printable ASCII characters 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// The width of WinAnsi text in points (bold text is taken ~5 % wider).
fn text_width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            _ => 580,
        })
        .sum();
    let factor = if bold { 1.05 } else { 1.0 };
    units as f32 * size / 1000.0 * factor
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Pages laid out top to bottom (the targeting document uses it too).
pub(crate) struct Layout {
    pages: Vec<Vec<u8>>,
    content: Content,
    y: f32,
}

impl Layout {
    pub(crate) fn new() -> Self {
        Self {
            pages: Vec::new(),
            content: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn new_page(&mut self) {
        let content = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(content.finish().to_vec());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Starts a new page unless `height` points are left.
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.new_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(if bold { BOLD } else { REGULAR }, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    /// A line of text, wrapped at the page width.
    pub(crate) fn line(&mut self, size: f32, bold: bool, text: &str) {
        let available = PAGE_WIDTH - 2.0 * MARGIN;
        let mut current = String::new();
        let mut lines = Vec::new();
        for word in text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && text_width(&win_ansi(&candidate), size, bold) > available {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            } else {
                current = candidate;
            }
        }
        lines.push(current);
        for line in lines {
            self.need(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            self.text_at(MARGIN, y, size, bold, &line);
        }
    }

    pub(crate) fn heading(&mut self, text: &str) {
        self.need(60.0);
        self.y -= 8.0;
        self.line(12.0, true, text);
        self.y -= 2.0;
    }

    pub(crate) fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// A table: a bold header row, then the rows; the font shrinks (down to 6 pt) to fit the
    /// page width; the header repeats on every page.
    pub(crate) fn table(&mut self, align: &[Align], header: &[String], rows: &[Vec<String>]) {
        let available = PAGE_WIDTH - 2.0 * MARGIN;
        let padding = 8.0;
        let mut widths: Vec<f32> = header
            .iter()
            .map(|h| text_width(&win_ansi(h), 1.0, true))
            .collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                let width = text_width(&win_ansi(cell), 1.0, false);
                if let Some(w) = widths.get_mut(i) {
                    *w = w.max(width);
                }
            }
        }
        let units: f32 = widths.iter().sum();
        let pads = padding * widths.len() as f32;
        let size = ((available - pads) / units.max(1.0)).clamp(6.0, 9.0);
        let columns: Vec<f32> = widths.iter().map(|w| w * size + padding).collect();
        let leading = size * 1.45;
        let draw_row = |layout: &mut Layout, cells: &[String], bold: bool| {
            layout.y -= leading;
            let y = layout.y;
            let mut x = MARGIN;
            for (i, (cell, width)) in cells.iter().zip(&columns).enumerate() {
                let right = align.get(i).copied().unwrap_or(Align::Right) == Align::Right;
                let cell_x = if right {
                    x + width - padding / 2.0 - text_width(&win_ansi(cell), size, bold)
                } else {
                    x + padding / 2.0
                };
                layout.text_at(cell_x, y, size, bold, cell);
                x += width;
            }
        };
        let rule = |layout: &mut Layout| {
            let y = layout.y - size * 0.4;
            let right = MARGIN + columns.iter().sum::<f32>();
            layout
                .content
                .set_line_width(0.4)
                .move_to(MARGIN, y)
                .line_to(right.min(PAGE_WIDTH - MARGIN), y)
                .stroke();
        };
        self.need(leading * 3.0);
        draw_row(self, header, true);
        rule(self);
        for row in rows {
            if self.y - leading < MARGIN {
                self.new_page();
                draw_row(self, header, true);
                rule(self);
            }
            draw_row(self, row, false);
        }
        self.y -= 4.0;
    }

    pub(crate) fn finish(mut self) -> Vec<Vec<u8>> {
        self.new_page();
        self.pages
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting, in Spanish

pub(crate) fn pesos(amount: Decimal) -> String {
    let text = format_amount(amount.round_dp(0));
    if amount.round_dp(0) < Decimal::ZERO && !text.starts_with('-') {
        format!("-{text}")
    } else {
        text
    }
}

pub(crate) fn percent(rate: f64) -> String {
    format!("{:.2} %", rate * 100.0).replace('.', ",")
}

pub(crate) fn decimal_percent(fraction: Decimal) -> String {
    format!(
        "{} %",
        format_amount((fraction * Decimal::ONE_HUNDRED).round_dp(2))
    )
}

fn signed_percent(fraction: Decimal) -> String {
    let sign = if fraction > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}", decimal_percent(fraction))
}

pub(crate) fn ratio(value: Option<Decimal>) -> String {
    value.map_or_else(|| "indefinida".to_owned(), |r| format_amount(r.round_dp(4)))
}

pub(crate) fn irr_text(irr: &Irr) -> String {
    match irr {
        Irr::None => "no existe".to_owned(),
        Irr::Unique(rate) => percent(*rate),
        Irr::Several(rates) => {
            let list: Vec<String> = rates.iter().map(|r| percent(*r)).collect();
            format!("varias ({})", list.join("; "))
        }
    }
}

pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::Rate(rate) => percent(*rate),
        Value::NoIrr => "sin TIR".to_owned(),
        Value::SeveralIrr(rates) => irr_text(&Irr::Several(rates.clone())),
        Value::Ratio(r) => format_amount(r.round_dp(4)),
        Value::Undefined => "indefinido".to_owned(),
        Value::Smmlv(s) => format!("{} SMMLV", format_amount(s.round_dp(2))),
        Value::Years(years) => format!("{years} años"),
        Value::Count(count) => count.to_string(),
        Value::Amount(amount) => format!("COP {}", pesos(*amount)),
        Value::Present(true) => "presente".to_owned(),
        Value::Present(false) => "ausente".to_owned(),
        Value::NotApplicable => "no aplica".to_owned(),
    }
}

pub(crate) fn switching_text(value: SwitchingValue, search_max: Decimal) -> String {
    match value {
        SwitchingValue::Found(change) => percent(change),
        SwitchingValue::AlreadyBelow => "no existe: la TIR base ya está por debajo del mínimo".to_owned(),
        SwitchingValue::NotInRange => format!(
            "no existe hasta {}: la TIR se mantiene en el mínimo o por encima",
            decimal_percent(search_max)
        ),
    }
}

/// Spanish labels of the domain's codes (the web's `es` locale says the same).
fn label(code: &str) -> String {
    let known = match code {
        "no_land" => "Sin costo de la tierra",
        "accompaniment_plan" => "Plan de acompañamiento y capacitación",
        "employment_initiative" => "Iniciativa de empleo directo",
        "horizon" => "Horizonte de evaluación",
        "irr" => "Tasa interna de retorno",
        "benefit_cost" => "Relación beneficio/costo",
        "family_income" => "Ingreso neto por familia",
        "eligible_expenses" => "Al instituto solo gastos elegibles",
        "counterpart_covers_ineligible" => "La contrapartida cubre los gastos no elegibles",
        "price" => "Precio",
        "yield" => "Rendimiento",
        "costs" => "Costos",
        "requested" => "lo solicitado",
        "institute_maximum" => "el monto máximo",
        "eligible_total" => "el total elegible",
        "works_in_parcel" => "Obras intraprediales",
        "physical_infrastructure" => "Infraestructura física",
        "goods_and_equipment" => "Bienes y equipos",
        "materials_and_supplies" => "Materiales y suministros",
        "technical_assistance" => "Asistencia técnica",
        "personal_services" => "Servicios personales",
        "land" => "Terrenos",
        "maintenance" => "Mantenimiento",
        "rent" => "Arrendamiento",
        "insurance" => "Seguros",
        "taxes" => "Impuestos",
        other => return other.replace('_', " "),
    };
    known.to_owned()
}

pub(crate) fn funder_name(funder: &Funder) -> String {
    match funder {
        Funder::Institute => "Instituto".to_owned(),
        Funder::Counterpart => "Contrapartida".to_owned(),
        Funder::Other(name) => name.clone(),
    }
}

/// A column of the cash-flow table: short Spanish header (the PDF's narrow columns), full
/// Spanish header (the workbook), value of a year.
pub(crate) type FlowColumn = (&'static str, &'static str, fn(&CashFlowYear) -> Decimal);

/// The cash-flow columns of both the PDF report and the workbook (`evaluation_xlsx`).
pub(crate) const FLOW_COLUMNS: [FlowColumn; 12] = [
    ("Ingresos", "Ingresos", |y| y.income),
    ("Operación", "Costos de operación", |y| y.operating_costs),
    ("Por producto", "Costos por producto", |y| y.output_costs),
    ("M.O. contratada", "Mano de obra contratada", |y| y.hired_labour),
    ("M.O. familiar", "Mano de obra familiar (valorada)", |y| {
        y.family_labour
    }),
    ("M.O. fam. cargada", "Mano de obra familiar cargada", |y| {
        y.family_labour_charged
    }),
    ("Reposiciones", "Reposiciones", |y| y.replacements),
    ("Inversión", "Inversión", |y| y.investment),
    ("Acompañamiento", "Acompañamiento integral", |y| {
        y.technical_assistance
    }),
    ("Acomp. neutralizado", "Acompañamiento neutralizado", |y| {
        y.technical_assistance_neutralised
    }),
    ("Valor residual", "Valor residual", |y| y.residual_value),
    ("Flujo neto", "Flujo neto", |y| y.net_flow),
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// The report

fn lay_out(report: &EvaluationReport<'_>) -> Layout {
    let frame = &report.formulation.frame;
    let e = report.evaluation;
    let rules = report.rules;
    let mut l = Layout::new();

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
                label(r.check.as_str()),
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
                    label(split.binding_limit.as_str())
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
            header.extend(categories.iter().map(|c| label(c.as_str())));
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
            c.name.clone(),
            label(c.variable.as_str()),
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

/// The report as a PDF document.
pub fn render(report: &EvaluationReport<'_>) -> Vec<u8> {
    let title = format!("Evaluación financiera {}", report.formulation.frame.code);
    assemble(&title, &lay_out(report).finish(), A4_LANDSCAPE)
}

/// A4 landscape, in points (width, height).
pub(crate) const A4_LANDSCAPE: (f32, f32) = (PAGE_WIDTH, PAGE_HEIGHT);

/// A PDF of laid-out pages (content streams) of one size (width, height in points) with the
/// two Helvetica fonts.
pub(crate) fn assemble(title: &str, pages: &[Vec<u8>], (width, height): (f32, f32)) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..pages.len()).map(|i| Ref::new(first + 2 * i as i32)).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr("vereda"));
    for (page, content) in page_ids.iter().zip(pages) {
        let content_id = Ref::new(page.get() + 1);
        let mut writer = pdf.page(*page);
        writer
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, width, height))
            .contents(content_id);
        writer.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        drop(writer);
        pdf.stream(content_id, content);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        let mut layout = Layout::new();
        layout.text_at(10.0, 10.0, 9.0, false, text);
        String::from_utf8_lossy(&layout.content.finish()).into_owned()
    }

    #[test]
    fn parentheses_and_backslashes_are_escaped() {
        let content = shown(r"precio) \ (caída");
        // Non-ASCII text goes as a hex string: no delimiter can leak.
        assert!(content.contains("<"), "{content}");
        let content = shown(r"a) b \ c (d");
        assert!(content.contains(r"(a\) b \\ c \(d)"), "{content}");
    }

    #[test]
    fn spanish_letters_are_win_ansi() {
        assert_eq!(win_ansi("Año ñ á é"), b"A\xf1o \xf1 \xe1 \xe9");
        assert_eq!(win_ansi("a — b ≥ c"), b"a \x97 b >= c");
        let content = shown("Año");
        assert!(
            content.contains("<41F16F>") || content.contains("<41f16f>"),
            "{content}"
        );
    }

    #[test]
    fn widths_grow_with_text() {
        assert!(text_width(b"WWW", 10.0, false) > text_width(b"iii", 10.0, false));
    }
}
