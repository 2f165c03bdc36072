//! The open datasets as tables for people (issue 18 part 12): each written as CSV (UTF-8 with
//! BOM, commas, codes and decimal points, as before), as CSV for a spreadsheet in Spanish
//! (semicolons, decimal commas, the catalogue's Spanish words for codes) and as XLSX (numbers as
//! numbers, dates as dates, Spanish words, with the dataset's dictionary on a second sheet).
//! The dictionary (every column's meaning, unit and type) comes from the same column list.

use jiff::civil::Date;
use rust_decimal::Decimal;
use vereda_domain::monitoring::IndicatorUnit;
use vereda_messages::Lang;

use crate::error::AppError;

/// What a column holds, which says how each format writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Decimal,
    Date,
    Boolean,
    /// Several values joined with `; `.
    List,
    /// A project status code (`project_status-…` in the catalogue).
    ProjectStatus,
    /// An indicator's execution status code (`status-…`).
    IndicatorStatus,
    /// An indicator's unit code (`monitoring-unit-…`).
    Unit,
}

impl Kind {
    fn type_key(self) -> &'static str {
        match self {
            Kind::Text => "open_data-type-text",
            Kind::Integer => "open_data-type-integer",
            Kind::Decimal => "open_data-type-decimal",
            Kind::Date => "open_data-type-date",
            Kind::Boolean => "open_data-type-boolean",
            Kind::List => "open_data-type-list",
            Kind::ProjectStatus | Kind::IndicatorStatus | Kind::Unit => "open_data-type-code",
        }
    }
}

/// The unit of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    None,
    Cop,
    Eur,
    Usd,
    Percent,
    /// The unit the row's indicator is measured in (its `unit` column).
    OfIndicator,
    Count,
}

impl Unit {
    fn key(self) -> &'static str {
        match self {
            Unit::None => "open_data-unit-none",
            Unit::Cop => "open_data-unit-cop",
            Unit::Eur => "open_data-unit-eur",
            Unit::Usd => "open_data-unit-usd",
            Unit::Percent => "open_data-unit-percent",
            Unit::OfIndicator => "open_data-unit-indicator",
            Unit::Count => "open_data-unit-count",
        }
    }
}

pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Unit,
}

const fn column(name: &'static str, kind: Kind, unit: Unit) -> Column {
    Column { name, kind, unit }
}

/// One value of a row, as its column's kind holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Integer(Option<i64>),
    Decimal(Option<Decimal>),
    Date(Option<Date>),
    Boolean(bool),
    List(Vec<String>),
    Code(String),
}

/// The open datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    Projects,
    Indicators,
    Measurements,
}

impl Dataset {
    pub const ALL: [Dataset; 3] = [Dataset::Projects, Dataset::Indicators, Dataset::Measurements];

    /// The file's name without extension, and the XLSX sheet's.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Projects => "projects",
            Dataset::Indicators => "indicators",
            Dataset::Measurements => "measurements",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Dataset::Projects => PROJECT_COLUMNS,
            Dataset::Indicators => INDICATOR_COLUMNS,
            Dataset::Measurements => MEASUREMENT_COLUMNS,
        }
    }

    /// The catalogue's key of a column's meaning.
    pub fn meaning_key(self, column: &Column) -> String {
        format!("open_data-column-{}-{}", self.name(), column.name)
    }
}

const PROJECT_COLUMNS: &[Column] = &[
    column("code", Kind::Text, Unit::None),
    column("title", Kind::Text, Unit::None),
    column("status", Kind::ProjectStatus, Unit::None),
    column("period_start", Kind::Date, Unit::None),
    column("period_end", Kind::Date, Unit::None),
    column("total_cop", Kind::Decimal, Unit::Cop),
    column("total_eur", Kind::Decimal, Unit::Eur),
    column("total_usd", Kind::Decimal, Unit::Usd),
    column("departments", Kind::List, Unit::None),
    column("pdet_subregions", Kind::List, Unit::None),
    column("value_chains", Kind::List, Unit::None),
    column("funders", Kind::List, Unit::None),
    column("municipalities", Kind::Integer, Unit::Count),
    column("indicators", Kind::Integer, Unit::Count),
    column("awarded_cop", Kind::Decimal, Unit::Cop),
    column("awarded_on", Kind::Date, Unit::None),
    column("disbursed_cop", Kind::Decimal, Unit::Cop),
    column("disbursed_on", Kind::Date, Unit::None),
    column("executed_cop", Kind::Decimal, Unit::Cop),
    column("physical_progress", Kind::Decimal, Unit::Percent),
    column("closed_on", Kind::Date, Unit::None),
];

const INDICATOR_COLUMNS: &[Column] = &[
    column("project_code", Kind::Text, Unit::None),
    column("number", Kind::Integer, Unit::None),
    column("name", Kind::Text, Unit::None),
    column("unit", Kind::Unit, Unit::None),
    column("baseline", Kind::Decimal, Unit::OfIndicator),
    column("goal", Kind::Decimal, Unit::OfIndicator),
    column("higher_is_better", Kind::Boolean, Unit::None),
    column("by_sex", Kind::Boolean, Unit::None),
    column("current_value", Kind::Decimal, Unit::OfIndicator),
    column("current_women", Kind::Decimal, Unit::OfIndicator),
    column("current_men", Kind::Decimal, Unit::OfIndicator),
    column("last_update", Kind::Date, Unit::None),
    column("advance_percent", Kind::Integer, Unit::Percent),
    column("status", Kind::IndicatorStatus, Unit::None),
    column("rollup_key", Kind::Text, Unit::None),
];

const MEASUREMENT_COLUMNS: &[Column] = &[
    column("project_code", Kind::Text, Unit::None),
    column("indicator_number", Kind::Integer, Unit::None),
    column("measured_on", Kind::Date, Unit::None),
    column("value", Kind::Decimal, Unit::OfIndicator),
    column("value_women", Kind::Decimal, Unit::OfIndicator),
    column("value_men", Kind::Decimal, Unit::OfIndicator),
    column("source", Kind::Text, Unit::None),
];

/// A dataset's rows, in its columns' order.
pub struct Table {
    pub dataset: Dataset,
    pub rows: Vec<Vec<Cell>>,
}

/// How a CSV is written: for programs (commas, codes, decimal points) or for a spreadsheet
/// in Spanish (semicolons, Spanish words, decimal commas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Plain,
    Spanish,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn decimal_text(value: Decimal, flavour: Flavour) -> String {
    let text = value.normalize().to_string();
    match flavour {
        Flavour::Plain => text,
        Flavour::Spanish => text.replace('.', ","),
    }
}

/// The Spanish word the catalogue gives a code of `kind`; the code itself for other kinds.
fn word(kind: Kind, code: &str) -> String {
    let key = match kind {
        Kind::ProjectStatus => format!("project_status-{code}"),
        Kind::IndicatorStatus => format!("status-{code}"),
        Kind::Unit => match code.parse::<IndicatorUnit>() {
            Ok(unit) => unit.message_id(),
            Err(_) => return code.to_owned(),
        },
        _ => return code.to_owned(),
    };
    Lang::Es.t(&key).to_owned()
}

impl Table {
    fn text_of(&self, column: &Column, cell: &Cell, flavour: Flavour) -> String {
        match cell {
            Cell::Text(text) => text.clone(),
            Cell::Integer(value) => value.map(|v| v.to_string()).unwrap_or_default(),
            Cell::Decimal(value) => value.map(|v| decimal_text(v, flavour)).unwrap_or_default(),
            Cell::Date(value) => value.map(|d| d.to_string()).unwrap_or_default(),
            Cell::Boolean(value) => match flavour {
                Flavour::Plain => value.to_string(),
                Flavour::Spanish => Lang::Es
                    .t(if *value { "common-yes" } else { "common-no" })
                    .to_owned(),
            },
            Cell::List(values) => values.join("; "),
            Cell::Code(code) => match flavour {
                Flavour::Plain => code.clone(),
                Flavour::Spanish => word(column.kind, code),
            },
        }
    }

    /// The table as CSV with a header, UTF-8 with a BOM so spreadsheets read the accents, and
    /// every cell safe to open in a spreadsheet (`spreadsheet_safe`).
    pub fn csv(&self, flavour: Flavour) -> Result<Vec<u8>, AppError> {
        let delimiter = match flavour {
            Flavour::Plain => b',',
            Flavour::Spanish => b';',
        };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(BOM.to_vec());
        let columns = self.dataset.columns();
        writer
            .write_record(columns.iter().map(|c| c.name))
            .map_err(|e| AppError::internal(&e))?;
        for row in &self.rows {
            writer
                .write_record(columns.iter().zip(row).map(|(column, cell)| {
                    vereda_domain::text::spreadsheet_safe(&self.text_of(column, cell, flavour)).into_owned()
                }))
                .map_err(|e| AppError::internal(&e))?;
        }
        writer.into_inner().map_err(|e| AppError::internal(e.error()))
    }

    /// The table as a workbook: the rows on a sheet named after the dataset (numbers as
    /// numbers when exact, dates as dates, codes in Spanish words), its dictionary on a second.
    pub fn xlsx(&self) -> Result<Vec<u8>, AppError> {
        self.workbook().map_err(|e| AppError::internal(&e))
    }

    fn workbook(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let day = Format::new().set_num_format("yyyy-mm-dd");
        let columns = self.dataset.columns();
        let sheet = workbook.add_worksheet();
        sheet.set_name(self.dataset.name())?;
        for (index, column) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, index as u16, column.name, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (line, row) in self.rows.iter().enumerate() {
            let line = line as u32 + 1;
            for (index, (column, cell)) in columns.iter().zip(row).enumerate() {
                let index = index as u16;
                match cell {
                    Cell::Integer(Some(value)) => {
                        sheet.write_number(line, index, *value as f64)?;
                    }
                    Cell::Decimal(Some(value)) => {
                        match vereda_documents::formulation_xlsx::exact_float(*value) {
                            Some(float) => {
                                sheet.write_number(line, index, float)?;
                            }
                            None => {
                                sheet.write_string(line, index, value.normalize().to_string())?;
                            }
                        }
                    }
                    Cell::Date(Some(date)) => {
                        let when = ExcelDateTime::from_ymd(
                            date.year() as u16,
                            date.month() as u8,
                            date.day() as u8,
                        )?;
                        sheet.write_datetime_with_format(line, index, &when, &day)?;
                    }
                    Cell::Integer(None) | Cell::Decimal(None) | Cell::Date(None) => {}
                    other => {
                        let text = self.text_of(column, other, Flavour::Spanish);
                        if !text.is_empty() {
                            sheet.write_string(line, index, text)?;
                        }
                    }
                }
            }
        }
        let dictionary = workbook.add_worksheet();
        dictionary.set_name(Lang::Es.t("open_data-dictionary_sheet"))?;
        for (index, header) in DICTIONARY_HEADER.iter().enumerate() {
            dictionary.write_string_with_format(0, index as u16, Lang::Es.t(header), &bold)?;
        }
        for (line, entry) in dictionary_rows(Lang::Es, &[self.dataset]).into_iter().enumerate() {
            for (index, text) in entry.into_iter().enumerate() {
                dictionary.write_string(line as u32 + 1, index as u16, text)?;
            }
        }
        workbook.save_to_buffer()
    }
}

/// The dictionary's columns, as catalogue keys.
pub const DICTIONARY_HEADER: [&str; 5] = [
    "open_data-dataset",
    "open_data-column",
    "open_data-meaning",
    "open_data-unit",
    "open_data-type",
];

/// One row per column of each dataset: dataset, column, meaning, unit, type.
pub fn dictionary_rows(lang: Lang, datasets: &[Dataset]) -> Vec<[String; 5]> {
    datasets
        .iter()
        .flat_map(|dataset| {
            dataset.columns().iter().map(move |column| {
                [
                    dataset.name().to_owned(),
                    column.name.to_owned(),
                    lang.t(&dataset.meaning_key(column)).to_owned(),
                    lang.t(column.unit.key()).to_owned(),
                    lang.t(column.kind.type_key()).to_owned(),
                ]
            })
        })
        .collect()
}

/// The dictionary of every dataset as CSV (UTF-8 with BOM).
pub fn dictionary_csv(lang: Lang) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(BOM.to_vec());
    writer
        .write_record(DICTIONARY_HEADER.iter().map(|key| lang.t(key)))
        .map_err(|e| AppError::internal(&e))?;
    for row in dictionary_rows(lang, &Dataset::ALL) {
        writer.write_record(&row).map_err(|e| AppError::internal(&e))?;
    }
    writer.into_inner().map_err(|e| AppError::internal(e.error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_its_meaning_in_both_catalogues() {
        for dataset in Dataset::ALL {
            for column in dataset.columns() {
                let key = dataset.meaning_key(column);
                assert_ne!(Lang::Es.t(&key), key, "{key} is not in es.ftl");
                assert_ne!(Lang::En.t(&key), key, "{key} is not in en.ftl");
            }
        }
    }

    #[test]
    fn the_spanish_flavour_writes_semicolons_decimal_commas_and_words() {
        let table = Table {
            dataset: Dataset::Measurements,
            rows: vec![vec![
                Cell::Text("T06".into()),
                Cell::Integer(Some(3)),
                Cell::Date(Some(jiff::civil::date(2023, 3, 31))),
                Cell::Decimal(Some(Decimal::new(132, 1))),
                Cell::Decimal(None),
                Cell::Decimal(None),
                Cell::Text("Informe".into()),
            ]],
        };
        let plain = String::from_utf8(table.csv(Flavour::Plain).expect("csv")).expect("utf-8");
        assert!(plain.ends_with("T06,3,2023-03-31,13.2,,,Informe\n"), "{plain}");
        let spanish = String::from_utf8(table.csv(Flavour::Spanish).expect("csv")).expect("utf-8");
        assert!(
            spanish.starts_with("\u{feff}project_code;indicator_number;"),
            "{spanish}"
        );
        assert!(
            spanish.ends_with("T06;3;2023-03-31;13,2;;;Informe\n"),
            "{spanish}"
        );
    }
}
