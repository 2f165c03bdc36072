//! The formulation as a workbook a formulator fills in (docs/formulation.md, "The XLSX
//! template"): one sheet per part of the project, Spanish headers, lists of accepted values.
//!
//! [`write_template`] writes the empty template, [`write_template_filled`] exports an existing
//! formulation into the same layout and [`read_formulation`] reads a filled workbook back,
//! collecting every cell at fault as a [`RowError`] that names the sheet, the row, the column
//! and the value. Whether the formulation is complete and consistent stays the question of
//! `Formulation::validate`.

use std::fs::File;
use std::io::{self, BufReader, Write as _};
use std::path::Path;
use std::str::FromStr;

use calamine::{Data, Xlsx};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Format, Workbook, Worksheet, XlsxError};
use vereda_domain::finance::fields::{FIELDS, FieldError, FieldKind, FieldSpec, FieldValue};
use vereda_domain::finance::formulation::{
    Activity, ActivityYear, BudgetLine, ExpenseCategory, Formulation, Frame, Funder, ParticipatingHousehold,
    Responsibility, ScheduledActivity, TechnicalAssistanceCost,
};
use vereda_domain::household::LandTenure;
use vereda_domain::number::read_data_number;
use vereda_domain::program::ProgramLine;
use vereda_messages::Lang;

use vereda_domain::message::Message;
use vereda_screening::screening::write_atomically;
use vereda_screening::table::{
    CellPlace, ReadLimits, RowError, TableError, XlsxSheetError, a1, check_archive, display_name,
    find_column, normalize_header, xlsx_sheet_cells,
};

pub const SHEET_PROJECT: &str = "Proyecto";
pub const SHEET_OPERATING: &str = "Estructura operativa";
pub const SHEET_SCHEDULE: &str = "Cronograma";
pub const SHEET_HOUSEHOLDS: &str = "Familias";
pub const SHEET_BUDGET: &str = "Presupuesto";
pub const SHEET_ACTIVITIES: &str = "Producción";
pub const SHEET_YEARS: &str = "Producción anual";
pub const SHEET_ASSISTANCE: &str = "Asistencia técnica";
pub const SHEET_INSTRUCTIONS: &str = "Instrucciones";

/// Rows of the list sheets that get the drop-down lists of accepted values.
const VALIDATED_ROWS: u32 = 500;

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot build the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("cannot write {file}: {source}")]
    Io { file: String, source: io::Error },
}

/// Why a filled template could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormulationImportError {
    /// The file cannot be read, is not a workbook, or passes a limit of [`ReadLimits`].
    #[error(transparent)]
    Table(#[from] TableError),
    /// Every cell at fault, in sheet and row order.
    #[error("{}", cells_report(.0))]
    Cells(Vec<RowError>),
}

fn cells_report(errors: &[RowError]) -> String {
    let mut out = format!(
        "the template has {} error{}:",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for error in errors {
        out.push_str("\n  ");
        out.push_str(&error.to_string());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The layout

/// A column of a list sheet: the Spanish header written, and the other headers accepted
/// (the schema's field name among them).
struct Column {
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
}

const fn col(header: &'static str, aliases: &'static [&'static str], required: bool) -> Column {
    Column {
        header,
        aliases,
        required,
    }
}

const OPERATING_COLUMNS: &[Column] = &[
    col("Actividad", &["activity"], true),
    col("Responsable", &["responsible"], true),
];
const SCHEDULE_COLUMNS: &[Column] = &[
    col("Actividad", &["name", "activity"], true),
    col("Mes inicio", &["start_month", "mes de inicio"], true),
    col("Mes fin", &["end_month", "mes final"], true),
];
const HOUSEHOLD_COLUMNS: &[Column] = &[
    col("Familia (id)", &["id", "familia", "hogar"], true),
    col("Cofinanciación máxima %", &["max_pct", "porcentaje maximo"], true),
    col("Tope SMMLV", &["cap_smmlv", "tope"], true),
    // Chapter IX (Art. 40.2, 43): empty for a family of the general line.
    col("Línea", &["program_line", "linea"], false),
    col("Tenencia del predio", &["land_tenure", "tenencia"], false),
    col(
        "Predio con limitaciones",
        &["land_restrictions", "limitaciones"],
        false,
    ),
    col(
        "Años de contrato",
        &["land_contract_years", "anos de contrato"],
        false,
    ),
];
const BUDGET_COLUMNS: &[Column] = &[
    col("Rubro", &["category", "categoria"], true),
    col("Financiador", &["funder"], true),
    col("Descripción", &["description"], true),
    col("Cantidad", &["quantity"], true),
    col("Unidad", &["unit"], false),
    col("Precio unitario", &["unit_price", "valor unitario"], true),
    col("Año", &["year", "ano"], false),
    col("Mes", &["month"], false),
];
const ACTIVITY_COLUMNS: &[Column] = &[
    col("Actividad", &["name", "activity"], true),
    col("Unidad de escala", &["unit", "unidad"], true),
    col("Unidad de producto", &["product_unit"], false),
    col("Jornal", &["day_wage", "valor del jornal"], true),
    col("Año de pleno desarrollo", &["full_production_year"], true),
    col("Valor residual", &["residual_value"], false),
];
const YEAR_COLUMNS: &[Column] = &[
    col("Actividad", &["activity", "name"], true),
    col("Año", &["year", "ano"], true),
    col("Unidades (área o cabezas)", &["units", "unidades", "area"], true),
    col("Rendimiento por unidad", &["yield_per_unit", "rendimiento"], true),
    col("Precio", &["price"], true),
    col("Costos de operación", &["operating_costs"], false),
    col("Costo por unidad de producto", &["output_cost_per_unit"], false),
    col("Jornales contratados", &["hired_labour_days"], false),
    col("Jornales familiares", &["family_labour_days"], false),
    col("Reposiciones", &["replacements"], false),
];
const ASSISTANCE_COLUMNS: &[Column] = &[
    col("Año", &["year", "ano"], true),
    col("Costo", &["cost"], true),
    col("Quién paga", &["payer", "quien paga"], false),
];

/// Headers of the "Proyecto" sheet: one label/value row per field, lists on several rows
/// with the same key.
const PROJECT_HEADERS: [&str; 4] = ["Campo", "Clave", "Valor", "Artículo"];

/// The Spanish label of a field of the "Proyecto" sheet: the template is a Spanish document.
fn label(spec: &FieldSpec) -> &'static str {
    Lang::Es.t(spec.label_key)
}

/// The field of a row of the "Proyecto" sheet: by its key, else by its label in either
/// language.
fn field_of(key: &str, label: &str) -> Option<&'static FieldSpec> {
    if !key.is_empty() {
        return FieldSpec::of(key);
    }
    if label.is_empty() {
        return None;
    }
    let wanted = normalize_header(label);
    FIELDS.iter().find(|f| {
        [Lang::Es, Lang::En]
            .iter()
            .any(|lang| normalize_header(lang.t(f.label_key)) == wanted)
    })
}

fn yes_no(value: bool) -> String {
    if value { "sí" } else { "no" }.to_owned()
}

fn parse_yes(text: &str) -> Option<bool> {
    match normalize_header(text).as_str() {
        "si" | "s" | "yes" | "y" | "true" | "verdadero" | "1" | "x" => Some(true),
        "no" | "n" | "false" | "falso" | "0" => Some(false),
        _ => None,
    }
}

/// Spanish names of the expense categories, with the article each comes from.
/// A category's description on the workbook's help sheet, in Spanish (the catalogue's
/// `formulation-category_help-*`); a budget line may name its category by it.
fn category_help(category: ExpenseCategory) -> &'static str {
    Lang::Es.t(&format!("formulation-category_help-{category}"))
}

fn parse_category(text: &str) -> Option<ExpenseCategory> {
    if let Ok(category) = ExpenseCategory::from_str(text) {
        return Some(category);
    }
    let wanted = normalize_header(text);
    ExpenseCategory::ALL
        .iter()
        .find(|category| {
            normalize_header(category_help(**category)) == wanted
                || normalize_header(category.as_str()) == wanted
        })
        .copied()
}

fn funder_text(funder: &Funder) -> String {
    funder.to_string()
}

fn parse_funder(text: &str) -> Option<Funder> {
    let text = text.trim();
    if let Some((head, name)) = text.split_once(':') {
        let name = name.trim();
        return (matches!(normalize_header(head).as_str(), "other" | "otro") && !name.is_empty())
            .then(|| Funder::Other(name.to_owned()));
    }
    match normalize_header(text).as_str() {
        "institute" | "instituto" | "incoder" => Some(Funder::Institute),
        "counterpart" | "contrapartida" => Some(Funder::Counterpart),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes the empty template to `path` (atomically: a temporary file renamed over it).
pub fn write_template(path: &Path) -> Result<(), TemplateError> {
    save(path, build(None)?)
}

/// Writes `formulation` in the layout of the template, so it can be edited and read back.
pub fn write_template_filled(path: &Path, formulation: &Formulation) -> Result<(), TemplateError> {
    save(path, build(Some(formulation))?)
}

/// `formulation` in the layout of the template, as the bytes of a workbook (a download).
pub fn template_filled(formulation: &Formulation) -> Result<Vec<u8>, XlsxError> {
    build(Some(formulation))
}

fn save(path: &Path, bytes: Vec<u8>) -> Result<(), TemplateError> {
    write_atomically(path, |out| out.write_all(&bytes)).map_err(|source| TemplateError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// One cell to write: text or a number.
enum Cell {
    Text(String),
    Number(f64),
}

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

fn whole(value: impl Into<f64>) -> Cell {
    Cell::Number(value.into())
}

fn optional(value: Option<u16>) -> Cell {
    value.map_or(Cell::Text(String::new()), whole)
}

/// A number cell when the float reads back as the same decimal, text otherwise (text cells
/// are read with `read_data_number`, so nothing is lost).
fn amount(value: Decimal) -> Cell {
    match exact_float(value) {
        Some(float) => Cell::Number(float),
        None => Cell::Text(value.to_string()),
    }
}

/// The decimal as a spreadsheet's number, when that float reads back as the same decimal;
/// none otherwise (the caller writes it as text, so no figure is ever rounded).
pub fn exact_float(value: Decimal) -> Option<f64> {
    value
        .to_f64()
        .filter(|float| Decimal::from_str(&float.to_string()).ok() == Some(value))
}

fn write_cell(sheet: &mut Worksheet, row: u32, column: u16, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(value) if value.is_empty() => {}
        Cell::Text(value) => {
            sheet.write_string(row, column, value)?;
        }
        Cell::Number(value) => {
            sheet.write_number(row, column, *value)?;
        }
    }
    Ok(())
}

fn list_sheet(
    workbook: &mut Workbook,
    name: &str,
    columns: &[Column],
    rows: &[Vec<Cell>],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    for (index, column) in columns.iter().enumerate() {
        let index = u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_string_with_format(0, index, column.header, &bold)?;
        sheet.set_column_width(index, column.header.chars().count().max(14) as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (row, cells) in rows.iter().enumerate() {
        let row = u32::try_from(row + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (column, cell) in cells.iter().enumerate() {
            let column = u16::try_from(column).map_err(|_| XlsxError::RowColumnLimitError)?;
            write_cell(sheet, row, column, cell)?;
        }
    }
    Ok(())
}

fn build(formulation: Option<&Formulation>) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    project_sheet(&mut workbook, formulation)?;

    let frame = formulation.map(|f| &f.frame);
    let operating: Vec<Vec<Cell>> = frame
        .map(|f| f.components.technical.operating_structure.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|r| vec![text(&r.activity), text(&r.responsible)])
        .collect();
    let schedule: Vec<Vec<Cell>> = frame
        .map(|f| f.components.schedule.activities.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|a| vec![text(&a.name), whole(a.start_month), whole(a.end_month)])
        .collect();
    let households: Vec<Vec<Cell>> = frame
        .map(|f| f.households.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|h| {
            vec![
                text(&h.id),
                amount(h.max_pct),
                amount(h.cap_smmlv),
                text(if h.program_line == ProgramLine::General {
                    ""
                } else {
                    h.program_line.as_str()
                }),
                text(h.land_tenure.map_or("", LandTenure::as_str)),
                text(if h.land_restrictions { "true" } else { "" }),
                optional(h.land_contract_years),
            ]
        })
        .collect();
    let budget: Vec<Vec<Cell>> = formulation
        .map(|f| f.budget.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|l| {
            vec![
                text(l.category.as_str()),
                Cell::Text(funder_text(&l.funder)),
                text(&l.description),
                amount(l.quantity),
                text(&l.unit),
                amount(l.unit_price),
                optional(l.year),
                optional(l.month),
            ]
        })
        .collect();
    let production = formulation.map(|f| f.production.as_slice()).unwrap_or_default();
    let activities: Vec<Vec<Cell>> = production
        .iter()
        .map(|a| {
            vec![
                text(&a.name),
                text(&a.unit),
                text(&a.product_unit),
                amount(a.day_wage),
                whole(a.full_production_year),
                amount(a.residual_value),
            ]
        })
        .collect();
    let years: Vec<Vec<Cell>> = production
        .iter()
        .flat_map(|a| {
            a.years.iter().map(|y| {
                vec![
                    text(&a.name),
                    whole(y.year),
                    amount(y.units),
                    amount(y.yield_per_unit),
                    amount(y.price),
                    amount(y.operating_costs),
                    amount(y.output_cost_per_unit),
                    amount(y.hired_labour_days),
                    amount(y.family_labour_days),
                    amount(y.replacements),
                ]
            })
        })
        .collect();
    let assistance: Vec<Vec<Cell>> = formulation
        .map(|f| f.technical_assistance.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|t| vec![whole(t.year), amount(t.cost), text(&t.payer)])
        .collect();

    list_sheet(&mut workbook, SHEET_OPERATING, OPERATING_COLUMNS, &operating)?;
    list_sheet(&mut workbook, SHEET_SCHEDULE, SCHEDULE_COLUMNS, &schedule)?;
    list_sheet(&mut workbook, SHEET_HOUSEHOLDS, HOUSEHOLD_COLUMNS, &households)?;
    list_sheet(&mut workbook, SHEET_BUDGET, BUDGET_COLUMNS, &budget)?;
    {
        let sheet = workbook.worksheet_from_name(SHEET_BUDGET)?;
        let categories: Vec<&str> = ExpenseCategory::ALL.iter().map(|c| c.as_str()).collect();
        let category_list = DataValidation::new()
            .allow_list_strings(&categories)?
            .set_error_title("Rubro")?
            .set_error_message("Use uno de los rubros de la hoja Instrucciones (Art. 20 y 21).")?;
        sheet.add_data_validation(1, 0, VALIDATED_ROWS, 0, &category_list)?;
        // "other: NAME" is also accepted, so the list only suggests.
        let funder_list = DataValidation::new()
            .allow_list_strings(&["institute", "counterpart", "other: "])?
            .set_error_style(DataValidationErrorStyle::Information)
            .set_error_title("Financiador")?
            .set_error_message("institute, counterpart u other: NOMBRE (por ejemplo other: Alcaldía).")?;
        sheet.add_data_validation(1, 1, VALIDATED_ROWS, 1, &funder_list)?;
    }
    list_sheet(&mut workbook, SHEET_ACTIVITIES, ACTIVITY_COLUMNS, &activities)?;
    list_sheet(&mut workbook, SHEET_YEARS, YEAR_COLUMNS, &years)?;
    list_sheet(&mut workbook, SHEET_ASSISTANCE, ASSISTANCE_COLUMNS, &assistance)?;
    instructions_sheet(&mut workbook)?;
    workbook.save_to_buffer()
}

fn project_sheet(workbook: &mut Workbook, formulation: Option<&Formulation>) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_PROJECT)?;
    for (index, header) in (0u16..).zip(PROJECT_HEADERS) {
        sheet.write_string_with_format(0, index, header, &bold)?;
    }
    sheet.set_column_width(0, 45)?;
    sheet.set_column_width(1, 30)?;
    sheet.set_column_width(2, 90)?;
    sheet.set_column_width(3, 10)?;
    sheet.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for spec in FIELDS {
        // One row per value; a list takes as many rows as it has entries, one at least.
        let values: Vec<Cell> = match formulation.and_then(|f| f.field(spec.path)) {
            None => vec![Cell::Text(String::new())],
            Some(FieldValue::Text(value)) => vec![Cell::Text(value)],
            Some(FieldValue::Lines(items)) if items.is_empty() => vec![Cell::Text(String::new())],
            Some(FieldValue::Lines(items)) => items.into_iter().map(Cell::Text).collect(),
            Some(FieldValue::Whole(number)) => vec![Cell::Number(number as f64)],
            Some(FieldValue::Flag(flag)) => vec![Cell::Text(yes_no(flag))],
        };
        for value in values {
            sheet.write_string(row, 0, label(spec))?;
            sheet.write_string(row, 1, spec.path)?;
            match &value {
                Cell::Text(text) if !text.is_empty() => {
                    sheet.write_string_with_format(row, 2, text, &wrap)?;
                }
                other => write_cell(sheet, row, 2, other)?,
            }
            sheet.write_string(row, 3, spec.article)?;
            if spec.kind == FieldKind::Flag {
                let yes_no = DataValidation::new().allow_list_strings(&["sí", "no"])?;
                sheet.add_data_validation(row, 2, row, 2, &yes_no)?;
            }
            row += 1;
        }
    }
    Ok(())
}

fn instructions_sheet(workbook: &mut Workbook) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_INSTRUCTIONS)?;
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(1, 60)?;
    sheet.set_column_width(2, 14)?;
    let mut rows: Vec<(bool, String, String, String)> = vec![
        (true, "Hoja".into(), "Qué contiene".into(), "Artículo".into()),
        (false, SHEET_PROJECT.into(), "Marco del proyecto y componentes de la formulación: una fila por campo; las listas ocupan varias filas con la misma clave. No cambie la columna Clave.".into(), "Art. 18, 19, 22".into()),
        (false, SHEET_OPERATING.into(), "Estructura operativa: actividades y responsables".into(), "Art. 19.2".into()),
        (false, SHEET_SCHEDULE.into(), "Cronograma: plan operativo en meses desde el inicio".into(), "Art. 19.8".into()),
        (false, SHEET_HOUSEHOLDS.into(), "Familias participantes: % máximo de cofinanciación y tope en SMMLV".into(), "Art. 7, 29".into()),
        (false, SHEET_BUDGET.into(), "Presupuesto detallado: cantidad × precio unitario, en un año (0 = inversión) o un mes (1 = primer mes), no ambos".into(), "Art. 19.6, 19.8, 20, 21".into()),
        (false, SHEET_ACTIVITIES.into(), "Modelo productivo: una fila por actividad".into(), "Art. 19.1".into()),
        (false, SHEET_YEARS.into(), "Modelo productivo por año: una fila por actividad y año (la actividad se escribe como en la hoja Producción)".into(), "Art. 19.1, 19.6".into()),
        (false, SHEET_ASSISTANCE.into(), "Acompañamiento integral fuera del presupuesto, por año".into(), "Art. 20.5".into()),
        (false, String::new(), String::new(), String::new()),
        (true, "Rubro (hoja Presupuesto)".into(), "Descripción".into(), "Artículo".into()),
    ];
    for category in ExpenseCategory::ALL {
        rows.push((
            false,
            category.as_str().into(),
            category_help(*category).into(),
            category.article().into(),
        ));
    }
    rows.push((false, String::new(), String::new(), String::new()));
    rows.push((
        true,
        "Financiador (hoja Presupuesto)".into(),
        "Descripción".into(),
        "Artículo".into(),
    ));
    rows.push((
        false,
        "institute".into(),
        "El instituto: la cofinanciación solicitada".into(),
        "Art. 20".into(),
    ));
    rows.push((
        false,
        "counterpart".into(),
        "Contrapartida de los beneficiarios (efectivo o especie)".into(),
        "Art. 47".into(),
    ));
    rows.push((
        false,
        "other: NOMBRE".into(),
        "Otro financiador, parte de la contrapartida (por ejemplo other: Alcaldía de Tumaco)".into(),
        "Art. 47".into(),
    ));
    rows.push((false, String::new(), String::new(), String::new()));
    rows.push((false, "Números".into(), "Sin separador de miles; decimales con punto o coma (12.5 o 12,5). Montos en pesos constantes de la vigencia.".into(), "Art. 19.6".into()));
    for (row, (header, a, b, c)) in (0u32..).zip(rows) {
        if header {
            sheet.write_string_with_format(row, 0, a, &bold)?;
            sheet.write_string_with_format(row, 1, b, &bold)?;
            sheet.write_string_with_format(row, 2, c, &bold)?;
        } else {
            sheet.write_string(row, 0, a)?;
            sheet.write_string(row, 1, b)?;
            sheet.write_string(row, 2, c)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads a filled template. Every cell at fault is reported at once
/// ([`FormulationImportError::Cells`]); the formulation is then to be validated with
/// `Formulation::validate`.
pub fn read_formulation(path: &Path) -> Result<Formulation, FormulationImportError> {
    read_formulation_within(path, &ReadLimits::default())
}

/// Like [`read_formulation`], within `limits`.
pub fn read_formulation_within(
    path: &Path,
    limits: &ReadLimits,
) -> Result<Formulation, FormulationImportError> {
    let file_name = display_name(path);
    let mut file = File::open(path).map_err(|source| TableError::Io {
        file: file_name.clone(),
        source,
    })?;
    check_archive(&mut file, &file_name)?;
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(BufReader::new(file)).map_err(|e: calamine::XlsxError| {
            TableError::Spreadsheet {
                file: file_name.clone(),
                detail: e.to_string(),
            }
        })?;
    let mut reader = Import {
        file: file_name,
        errors: Vec::new(),
        limits: *limits,
        beyond_limits: None,
    };

    let frame = reader.project(&mut workbook);
    let operating = reader.sheet(&mut workbook, SHEET_OPERATING, OPERATING_COLUMNS, false, |r| {
        let activity = r.required(0);
        let responsible = r.required(1);
        Some(Responsibility {
            activity: activity?,
            responsible: responsible?,
        })
    });
    let schedule = reader.sheet(&mut workbook, SHEET_SCHEDULE, SCHEDULE_COLUMNS, false, |r| {
        let name = r.required(0);
        let start = r.whole(1);
        let end = r.whole(2);
        Some(ScheduledActivity {
            name: name?,
            start_month: start??,
            end_month: end??,
        })
    });
    let households = reader.sheet(&mut workbook, SHEET_HOUSEHOLDS, HOUSEHOLD_COLUMNS, false, |r| {
        let id = r.required(0);
        let max_pct = r.decimal(1);
        let cap = r.decimal(2);
        let program_line = r.optional_parsed(
            3,
            |t| t.parse::<ProgramLine>().ok(),
            || Message::new("row-error-program_line"),
        );
        let land_tenure = r.optional_parsed(
            4,
            |t| t.parse::<LandTenure>().ok(),
            || Message::new("row-error-tenure"),
        );
        let land_restrictions = r.optional_parsed(5, parse_bool, || Message::new("row-error-flag"));
        let land_contract_years = r.whole(6);
        Some(ParticipatingHousehold {
            id: id?,
            max_pct: max_pct??,
            cap_smmlv: cap??,
            program_line: program_line?.unwrap_or_default(),
            land_tenure: land_tenure?,
            land_restrictions: land_restrictions?.unwrap_or(false),
            land_contract_years: land_contract_years?,
        })
    });
    let budget = reader.sheet(&mut workbook, SHEET_BUDGET, BUDGET_COLUMNS, false, |r| {
        let category = r.parsed(0, parse_category, || {
            Message::new("row-error-category")
                .with("expected", ExpenseCategory::NAMES.join(", "))
                .with("sheet", SHEET_INSTRUCTIONS)
        });
        let funder = r.parsed(1, parse_funder, || Message::new("row-error-funder"));
        let description = r.required(2);
        let quantity = r.decimal(3);
        let unit = r.text(4);
        let unit_price = r.decimal(5);
        let year = r.whole(6);
        let month = r.whole(7);
        Some(BudgetLine {
            category: category?,
            funder: funder?,
            description: description?,
            quantity: quantity??,
            unit,
            unit_price: unit_price??,
            year: year?,
            month: month?,
        })
    });
    let mut production = reader.sheet(&mut workbook, SHEET_ACTIVITIES, ACTIVITY_COLUMNS, false, |r| {
        let name = r.required(0);
        let unit = r.required(1);
        let product_unit = r.text(2);
        let day_wage = r.decimal(3);
        let full = r.whole(4);
        let residual = r.decimal(5);
        Some(Activity {
            name: name?,
            unit: unit?,
            product_unit,
            day_wage: day_wage??,
            full_production_year: full??,
            residual_value: residual?.unwrap_or_default(),
            years: Vec::new(),
        })
    });
    let names: Vec<String> = production.iter().map(|a| a.name.clone()).collect();
    let years = reader.sheet(&mut workbook, SHEET_YEARS, YEAR_COLUMNS, false, |r| {
        let activity = r.parsed(
            0,
            |name| names.iter().position(|n| n == name),
            || Message::new("row-error-activity").with("sheet", SHEET_ACTIVITIES),
        );
        let year = r.whole(1);
        let units = r.decimal(2);
        let yield_per_unit = r.decimal(3);
        let price = r.decimal(4);
        let operating = r.decimal(5);
        let output = r.decimal(6);
        let hired = r.decimal(7);
        let family = r.decimal(8);
        let replacements = r.decimal(9);
        Some((
            activity?,
            ActivityYear {
                year: year??,
                units: units??,
                yield_per_unit: yield_per_unit??,
                price: price??,
                operating_costs: operating?.unwrap_or_default(),
                output_cost_per_unit: output?.unwrap_or_default(),
                hired_labour_days: hired?.unwrap_or_default(),
                family_labour_days: family?.unwrap_or_default(),
                replacements: replacements?.unwrap_or_default(),
            },
        ))
    });
    for (index, year) in years {
        if let Some(activity) = production.get_mut(index) {
            activity.years.push(year);
        }
    }
    let technical_assistance =
        reader.sheet(&mut workbook, SHEET_ASSISTANCE, ASSISTANCE_COLUMNS, false, |r| {
            let year = r.whole(0);
            let cost = r.decimal(1);
            let payer = r.text(2);
            Some(TechnicalAssistanceCost {
                year: year??,
                cost: cost??,
                payer,
            })
        });

    if let Some(error) = reader.beyond_limits {
        return Err(FormulationImportError::Table(error));
    }
    match frame {
        Some(mut frame) if reader.errors.is_empty() => {
            frame.components.technical.operating_structure = operating;
            frame.components.schedule.activities = schedule;
            frame.households = households;
            Ok(Formulation {
                frame,
                budget,
                production,
                technical_assistance,
            })
        }
        _ => Err(FormulationImportError::Cells(reader.errors)),
    }
}

/// A sheet read as rows of text, each with its row number as the spreadsheet shows it.
struct Sheet {
    label: String,
    /// The workbook's file name and the sheet's, to name a cell.
    file: String,
    name: String,
    /// The sheet's column (0-based) of the rows' first cells.
    first_column: u32,
    header_line: usize,
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    /// The cell at `line` in the sheet's `column` (counted from the rows' first cell).
    fn place(&self, line: usize, column: usize) -> Option<Box<CellPlace>> {
        let column = self.first_column.checked_add(u32::try_from(column).ok()?)?;
        Some(Box::new(CellPlace {
            workbook: self.file.clone(),
            sheet: self.name.clone(),
            cell: a1(line, column),
        }))
    }
}

struct Import {
    file: String,
    errors: Vec<RowError>,
    limits: ReadLimits,
    /// A sheet past the limits stops the import; the other sheets are not read.
    beyond_limits: Option<TableError>,
}

impl Import {
    fn label(&self, sheet: &str) -> String {
        format!("{} [{sheet}]", self.file)
    }

    /// The sheet's header (its first non-empty row) and data rows, or `None` (with an error
    /// when `required`) when it is missing or empty.
    fn load(&mut self, workbook: &mut Xlsx<BufReader<File>>, name: &str, required: bool) -> Option<Sheet> {
        let label = self.label(name);
        if self.beyond_limits.is_some() {
            return None;
        }
        let (first_column, rows) = match xlsx_sheet_cells(workbook, name, &label, &self.limits, cell_text) {
            Ok(read) => read,
            Err(XlsxSheetError::NotAWorksheet) => {
                if required {
                    self.errors.push(RowError {
                        file: label,
                        line: 1,
                        column: String::new(),
                        value: String::new(),
                        message: Box::new(Message::new("row-error-sheet_missing")),
                        place: None,
                    });
                }
                return None;
            }
            Err(XlsxSheetError::Table(TableError::Spreadsheet { detail, .. })) => {
                self.errors.push(RowError {
                    file: label,
                    line: 1,
                    column: String::new(),
                    value: String::new(),
                    message: Box::new(Message::new("row-error-sheet_unreadable").with("reason", detail)),
                    place: None,
                });
                return None;
            }
            Err(XlsxSheetError::Table(error)) => {
                self.beyond_limits = Some(error);
                return None;
            }
        };
        let mut rows = rows.into_iter();
        let Some((header_line, headers)) = rows.next() else {
            if required {
                self.errors.push(RowError {
                    file: label,
                    line: 1,
                    column: String::new(),
                    value: String::new(),
                    message: Box::new(Message::new("row-error-sheet_empty")),
                    place: None,
                });
            }
            return None;
        };
        Some(Sheet {
            label,
            file: self.file.clone(),
            name: name.to_owned(),
            first_column,
            header_line,
            headers,
            rows: rows.collect(),
        })
    }

    /// Reads every data row of a list sheet with `parse`; rows with errors are left out and
    /// their errors kept.
    fn sheet<T>(
        &mut self,
        workbook: &mut Xlsx<BufReader<File>>,
        name: &str,
        columns: &[Column],
        required: bool,
        mut parse: impl FnMut(&mut Cells<'_>) -> Option<T>,
    ) -> Vec<T> {
        let Some(sheet) = self.load(workbook, name, required) else {
            return Vec::new();
        };
        let mut indices = Vec::with_capacity(columns.len());
        let mut missing = false;
        for column in columns {
            let mut aliases = vec![column.header];
            aliases.extend_from_slice(column.aliases);
            let index = find_column(&sheet.headers, &aliases);
            if index.is_none() && column.required {
                missing = true;
                self.errors.push(RowError {
                    file: sheet.label.clone(),
                    line: sheet.header_line,
                    column: column.header.to_owned(),
                    value: String::new(),
                    message: Box::new(
                        Message::new("row-error-missing_column").with("accepted", aliases.join(", ")),
                    ),
                    place: None,
                });
            }
            indices.push(index);
        }
        if missing {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(sheet.rows.len());
        for (line, cells) in &sheet.rows {
            let mut row = Cells {
                sheet: &sheet,
                columns,
                indices: &indices,
                line: *line,
                cells,
                errors: &mut self.errors,
            };
            if let Some(value) = parse(&mut row) {
                out.push(value);
            }
        }
        out
    }

    /// The "Proyecto" sheet: rows of key and value.
    fn project(&mut self, workbook: &mut Xlsx<BufReader<File>>) -> Option<Frame> {
        let sheet = self.load(workbook, SHEET_PROJECT, true)?;
        let key_column = find_column(&sheet.headers, &["Clave", "key"]);
        let label_column = find_column(&sheet.headers, &["Campo", "field"]);
        let Some(value_column) = find_column(&sheet.headers, &["Valor", "value"]) else {
            self.errors.push(RowError {
                file: sheet.label.clone(),
                line: sheet.header_line,
                column: "Valor".to_owned(),
                value: String::new(),
                message: Box::new(Message::new("row-error-missing_column").with("accepted", "Valor, value")),
                place: None,
            });
            return None;
        };
        let value_header = sheet.headers.get(value_column).cloned().unwrap_or_default();
        // The scalar fields are set on a formulation through their paths; its frame is kept.
        let mut read = Formulation {
            frame: empty_frame(),
            budget: Vec::new(),
            production: Vec::new(),
            technical_assistance: Vec::new(),
        };
        let mut seen: Vec<&'static str> = Vec::new();
        for (line, cells) in &sheet.rows {
            let cell = |index: Option<usize>| index.and_then(|i| cells.get(i)).map_or("", String::as_str);
            let key = cell(key_column);
            let label = cell(label_column);
            let value = cell(Some(value_column));
            let error = |message: Message| RowError {
                file: sheet.label.clone(),
                line: *line,
                column: value_header.clone(),
                value: value.to_owned(),
                message: Box::new(message),
                place: sheet.place(*line, value_column),
            };
            let Some(spec) = field_of(key, label) else {
                self.errors.push(RowError {
                    file: sheet.label.clone(),
                    line: *line,
                    column: if key.is_empty() { "Campo" } else { "Clave" }.to_owned(),
                    value: if key.is_empty() { label } else { key }.to_owned(),
                    message: Box::new(Message::new("row-error-unknown_field")),
                    place: if key.is_empty() { label_column } else { key_column }
                        .and_then(|column| sheet.place(*line, column)),
                });
                continue;
            };
            if spec.kind != FieldKind::Lines && seen.contains(&spec.path) {
                self.errors.push(error(Message::new("row-error-field_twice")));
                continue;
            }
            seen.push(spec.path);
            let parsed = match spec.kind {
                FieldKind::Line | FieldKind::Text => {
                    if value.is_empty() && spec.identifies() {
                        self.errors.push(error(Message::new("row-error-required")));
                    }
                    Ok(FieldValue::Text(value.to_owned()))
                }
                FieldKind::Lines => match read.field(spec.path) {
                    Some(FieldValue::Lines(mut items)) if !value.is_empty() => {
                        items.push(value.to_owned());
                        Ok(FieldValue::Lines(items))
                    }
                    _ => continue,
                },
                FieldKind::Flag if value.is_empty() => continue,
                FieldKind::Flag => parse_yes(value)
                    .map(FieldValue::Flag)
                    .ok_or_else(|| Message::new("row-error-yes_no")),
                // A number the project is identified by is required; others keep their default.
                FieldKind::Whole if value.is_empty() && !spec.identifies() => continue,
                FieldKind::Whole if value.is_empty() => Err(Message::new("row-error-required")),
                FieldKind::Whole => whole_number(value).map(FieldValue::Whole),
            };
            let stored = parsed.and_then(|v| {
                read.set_field(spec.path, v).map_err(|e| match e {
                    FieldError::OutOfRange => Message::new("row-error-out_of_range"),
                    FieldError::Unknown | FieldError::WrongKind => Message::new("row-error-unknown_field"),
                })
            });
            if let Err(message) = stored {
                self.errors.push(error(message));
            }
        }
        for spec in FIELDS.iter().filter(|f| f.identifies()) {
            if !seen.contains(&spec.path) {
                self.errors.push(RowError {
                    file: sheet.label.clone(),
                    line: sheet.header_line,
                    column: "Clave".to_owned(),
                    value: spec.path.to_owned(),
                    message: Box::new(Message::new("row-error-required_row")),
                    place: None,
                });
            }
        }
        Some(read.frame)
    }
}

fn empty_frame() -> Frame {
    Frame {
        code: String::new(),
        title: String::new(),
        municipality: String::new(),
        typology: 0,
        budget_year: 0,
        horizon_years: 0,
        components: Default::default(),
        accompaniment: Default::default(),
        employment: Default::default(),
        households: Vec::new(),
    }
}

fn whole_number(text: &str) -> Result<i64, Message> {
    let number = read_data_number(text).map_err(|p| p.message())?;
    if !number.fract().is_zero() {
        return Err(Message::new("row-error-not_whole"));
    }
    number
        .to_i64()
        .ok_or_else(|| Message::new("row-error-out_of_range"))
}

/// One data row of a list sheet, recording the errors of its cells.
struct Cells<'a> {
    sheet: &'a Sheet,
    columns: &'a [Column],
    indices: &'a [Option<usize>],
    line: usize,
    cells: &'a [String],
    errors: &'a mut Vec<RowError>,
}

impl Cells<'_> {
    fn text(&self, column: usize) -> String {
        self.indices
            .get(column)
            .copied()
            .flatten()
            .and_then(|i| self.cells.get(i))
            .cloned()
            .unwrap_or_default()
    }

    fn error(&mut self, column: usize, message: Message) {
        let header = self
            .indices
            .get(column)
            .copied()
            .flatten()
            .and_then(|i| self.sheet.headers.get(i))
            .filter(|h| !h.is_empty())
            .cloned()
            .or_else(|| self.columns.get(column).map(|c| c.header.to_owned()))
            .unwrap_or_default();
        self.errors.push(RowError {
            file: self.sheet.label.clone(),
            line: self.line,
            column: header,
            value: self.text(column),
            message: Box::new(message),
            place: self
                .indices
                .get(column)
                .copied()
                .flatten()
                .and_then(|index| self.sheet.place(self.line, index)),
        });
    }

    fn required(&mut self, column: usize) -> Option<String> {
        let value = self.text(column);
        if value.is_empty() {
            self.error(column, Message::new("row-error-required"));
            None
        } else {
            Some(value)
        }
    }

    /// `Some(None)` for an empty optional cell, `None` after an error.
    fn decimal(&mut self, column: usize) -> Option<Option<Decimal>> {
        let value = self.text(column);
        if value.is_empty() {
            if self.columns.get(column).is_some_and(|c| c.required) {
                self.error(column, Message::new("row-error-required"));
                return None;
            }
            return Some(None);
        }
        match read_data_number(&value) {
            Ok(number) => Some(Some(number)),
            Err(problem) => {
                self.error(column, problem.message());
                None
            }
        }
    }

    fn whole<T: TryFrom<i64>>(&mut self, column: usize) -> Option<Option<T>> {
        let number = self.decimal(column)?;
        let Some(number) = number else {
            return Some(None);
        };
        let converted = if number.fract().is_zero() {
            number.to_i64().and_then(|n| T::try_from(n).ok())
        } else {
            None
        };
        match converted {
            Some(value) => Some(Some(value)),
            None => {
                self.error(column, Message::new("row-error-not_whole_in_range"));
                None
            }
        }
    }

    /// `Some(None)` for an empty cell, `None` after an error.
    fn optional_parsed<T>(
        &mut self,
        column: usize,
        parse: impl FnOnce(&str) -> Option<T>,
        message: impl FnOnce() -> Message,
    ) -> Option<Option<T>> {
        let value = self.text(column);
        if value.is_empty() {
            return Some(None);
        }
        let parsed = parse(&value);
        if parsed.is_none() {
            self.error(column, message());
            return None;
        }
        Some(parsed)
    }

    fn parsed<T>(
        &mut self,
        column: usize,
        parse: impl FnOnce(&str) -> Option<T>,
        message: impl FnOnce() -> Message,
    ) -> Option<T> {
        let value = self.required(column)?;
        let parsed = parse(&value);
        if parsed.is_none() {
            self.error(column, message());
        }
        parsed
    }
}

/// A yes/no cell, as a spreadsheet or a person writes it.
fn parse_bool(text: &str) -> Option<bool> {
    const TRUE: &[&str] = &["true", "verdadero", "si", "sí", "1"];
    const FALSE: &[&str] = &["false", "falso", "no", "0"];
    let lower = text.to_lowercase();
    if TRUE.contains(&lower.as_str()) {
        Some(true)
    } else if FALSE.contains(&lower.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// A cell as the person sees it (whole numbers without `.0`).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.trim().to_owned(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) if *number == 0.0 => "0".to_owned(),
        Data::Float(number) => number.to_string(),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(datetime) => datetime.as_f64().to_string(),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use vereda_domain::finance::fields::TABLES;

    use super::*;

    /// Every column of the registry's tables is a column of its sheet, found by the schema's
    /// name among the accepted headers; the sheets' Spanish headers stay the workbook's layout.
    #[test]
    fn every_table_of_the_registry_is_a_sheet_of_the_template() {
        for table in TABLES {
            let columns = match table.path {
                "frame.components.technical.operating_structure" => OPERATING_COLUMNS,
                "frame.components.schedule.activities" => SCHEDULE_COLUMNS,
                "frame.households" => HOUSEHOLD_COLUMNS,
                "budget" => BUDGET_COLUMNS,
                "production" => ACTIVITY_COLUMNS,
                "production.years" => YEAR_COLUMNS,
                "technical_assistance" => ASSISTANCE_COLUMNS,
                other => panic!("no sheet for the table {other}"),
            };
            for column in table.columns {
                assert!(
                    columns.iter().any(|c| c.aliases.contains(&column.name)),
                    "{}.{} is no column of its sheet",
                    table.path,
                    column.name
                );
            }
        }
    }
}
