//! The one list of the formulation's fields (issue 12): every scalar field of the frame with
//! its path (the JSON path [`Formulation::validate`] reports), the catalogue key of its label,
//! its article, its kind, its section (the page's fieldset and step) and when it is required;
//! and the tables (lists of rows) with their columns. Validation, the XLSX template and its
//! reader, the web's steps and the API read them from here, so a field is added in one place.
//!
//! [`Formulation::field`] and [`Formulation::set_field`] get and set a scalar field by path:
//! the macro below writes their `match` from the same list as [`FIELDS`].

use super::formulation::Formulation;

/// How a scalar field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text (a code, a name).
    Line,
    /// Text of several lines.
    Text,
    /// A list of texts, one per line or row.
    Lines,
    /// A whole number.
    Whole,
    /// Yes or no.
    Flag,
}

/// The part of the formulation a field belongs to: a fieldset of the web's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Frame,
    General,
    Technical,
    Commercial,
    Environmental,
    Social,
    Financial,
    FoodSecurity,
    Accompaniment,
    Employment,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Frame,
        Section::General,
        Section::Technical,
        Section::Commercial,
        Section::Environmental,
        Section::Social,
        Section::Financial,
        Section::FoodSecurity,
        Section::Accompaniment,
        Section::Employment,
    ];

    /// The catalogue key of the section's legend.
    pub fn legend_key(self) -> &'static str {
        match self {
            Section::Frame => "formulation-set-frame",
            Section::General => "formulation-set-general",
            Section::Technical => "formulation-set-technical",
            Section::Commercial => "formulation-set-commercial",
            Section::Environmental => "formulation-set-environmental",
            Section::Social => "formulation-set-social",
            Section::Financial => "formulation-set-financial",
            Section::FoodSecurity => "formulation-set-food_security",
            Section::Accompaniment => "formulation-set-accompaniment",
            Section::Employment => "formulation-set-employment",
        }
    }

    /// The step of the web's formulation that shows it: the frame first, the components
    /// and plans second.
    pub fn step(self) -> u8 {
        match self {
            Section::Frame => 1,
            _ => 2,
        }
    }
}

/// When validation requires a text field (a list: one entry at least).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    Optional,
    Always,
    /// When the food-security component is required (Art. 19.7).
    WithFoodSecurity,
    /// When the rule set requires the accompaniment plan (Art. 18.5); the rule set's article.
    WithAccompanimentPlan,
    /// When the rule set requires the employment initiative and the project benefits small
    /// producers (Art. 18.6); the rule set's article.
    WithEmploymentInitiative,
}

/// A scalar field of the formulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub path: &'static str,
    pub label_key: &'static str,
    /// The article that asks for it; empty when none does.
    pub article: &'static str,
    pub kind: FieldKind,
    pub section: Section,
    pub needed: Needed,
}

impl FieldSpec {
    /// The field at `path`, if it is a scalar field.
    pub fn of(path: &str) -> Option<&'static FieldSpec> {
        FIELDS.iter().find(|f| f.path == path)
    }

    /// The fields of `section`, in order.
    pub fn in_section(section: Section) -> impl Iterator<Item = &'static FieldSpec> {
        FIELDS.iter().filter(move |f| f.section == section)
    }

    /// Whether the project cannot be identified without it: a file must give it.
    pub fn identifies(&self) -> bool {
        self.section == Section::Frame
    }
}

/// A scalar field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Lines(Vec<String>),
    Whole(i64),
    Flag(bool),
}

/// Why a value was not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    /// No scalar field has this path.
    Unknown,
    /// The value is not of the field's kind.
    WrongKind,
    /// A whole number the field cannot hold.
    OutOfRange,
}

/// A field of the struct, read.
enum Slot<'f> {
    Text(&'f String),
    Lines(&'f Vec<String>),
    Whole(i64),
    Flag(bool),
}

/// A field of the struct, to write.
enum SlotMut<'f> {
    Text(&'f mut String),
    Lines(&'f mut Vec<String>),
    Whole(&'f mut dyn WholeField),
    Flag(&'f mut bool),
}

/// A whole-number field of any width.
trait WholeField {
    fn set(&mut self, value: i64) -> Result<(), FieldError>;
}

macro_rules! whole_fields {
    ($($t:ty),*) => {$(
        impl WholeField for $t {
            fn set(&mut self, value: i64) -> Result<(), FieldError> {
                *self = <$t>::try_from(value).map_err(|_| FieldError::OutOfRange)?;
                Ok(())
            }
        }
        impl Slotted for $t {
            fn slot(&self) -> Slot<'_> {
                Slot::Whole(i64::from(*self))
            }
            fn slot_mut(&mut self) -> SlotMut<'_> {
                SlotMut::Whole(self)
            }
        }
    )*};
}

/// What a field of the struct is, by its Rust type.
trait Slotted {
    fn slot(&self) -> Slot<'_>;
    fn slot_mut(&mut self) -> SlotMut<'_>;
}

whole_fields!(u8, i16, u16, u32);

impl Slotted for String {
    fn slot(&self) -> Slot<'_> {
        Slot::Text(self)
    }
    fn slot_mut(&mut self) -> SlotMut<'_> {
        SlotMut::Text(self)
    }
}

impl Slotted for Vec<String> {
    fn slot(&self) -> Slot<'_> {
        Slot::Lines(self)
    }
    fn slot_mut(&mut self) -> SlotMut<'_> {
        SlotMut::Lines(self)
    }
}

impl Slotted for bool {
    fn slot(&self) -> Slot<'_> {
        Slot::Flag(*self)
    }
    fn slot_mut(&mut self) -> SlotMut<'_> {
        SlotMut::Flag(self)
    }
}

/// The list of fields, and the two matches that reach them, from one table.
macro_rules! fields {
    ($(($path:literal, $label:literal, $article:literal, $kind:ident, $section:ident, $needed:ident) => $($field:ident).+;)*) => {
        /// Every scalar field of the formulation, in the order files and pages show them.
        pub static FIELDS: &[FieldSpec] = &[$(FieldSpec {
            path: $path,
            label_key: $label,
            article: $article,
            kind: FieldKind::$kind,
            section: Section::$section,
            needed: Needed::$needed,
        }),*];

        fn slot<'f>(f: &'f Formulation, path: &str) -> Option<Slot<'f>> {
            Some(match path {
                $($path => Slotted::slot(&f.$($field).+),)*
                _ => return None,
            })
        }

        fn slot_mut<'f>(f: &'f mut Formulation, path: &str) -> Option<SlotMut<'f>> {
            Some(match path {
                $($path => Slotted::slot_mut(&mut f.$($field).+),)*
                _ => return None,
            })
        }
    };
}

fields! {
    ("frame.code", "formulation-field-frame-code", "Art. 19.1", Line, Frame, Always) => frame.code;
    ("frame.title", "formulation-field-frame-title", "Art. 19.1", Line, Frame, Always) => frame.title;
    ("frame.municipality", "formulation-field-frame-municipality", "", Line, Frame, Optional) => frame.municipality;
    ("frame.typology", "formulation-field-frame-typology", "Art. 22", Whole, Frame, Optional) => frame.typology;
    ("frame.budget_year", "formulation-field-frame-budget_year", "", Whole, Frame, Optional) => frame.budget_year;
    ("frame.horizon_years", "formulation-field-frame-horizon_years", "Art. 19.6", Whole, Frame, Optional) => frame.horizon_years;
    ("frame.components.general.project_type", "formulation-field-frame-components-general-project_type", "Art. 19.1", Text, General, Always) => frame.components.general.project_type;
    ("frame.components.general.activity_description", "formulation-field-frame-components-general-activity_description", "Art. 19.1", Text, General, Always) => frame.components.general.activity_description;
    ("frame.components.general.technology", "formulation-field-frame-components-general-technology", "Art. 19.1", Text, General, Always) => frame.components.general.technology;
    ("frame.components.general.productive_indicators", "formulation-field-frame-components-general-productive_indicators", "Art. 19.1", Lines, General, Always) => frame.components.general.productive_indicators;
    ("frame.components.general.management_plan", "formulation-field-frame-components-general-management_plan", "Art. 19.1", Text, General, Always) => frame.components.general.management_plan;
    ("frame.components.general.technical_assistance_plan", "formulation-field-frame-components-general-technical_assistance_plan", "Art. 19.1", Text, General, Always) => frame.components.general.technical_assistance_plan;
    ("frame.components.general.production_and_marketing_organization", "formulation-field-frame-components-general-production_and_marketing_organization", "Art. 19.1", Text, General, Always) => frame.components.general.production_and_marketing_organization;
    ("frame.components.general.implementation_methodology", "formulation-field-frame-components-general-implementation_methodology", "Art. 19.1", Text, General, Always) => frame.components.general.implementation_methodology;
    ("frame.components.general.implementation_areas", "formulation-field-frame-components-general-implementation_areas", "Art. 19.1", Text, General, Always) => frame.components.general.implementation_areas;
    ("frame.components.general.labour_requirements", "formulation-field-frame-components-general-labour_requirements", "Art. 19.1", Text, General, Always) => frame.components.general.labour_requirements;
    ("frame.components.general.family_labour_availability", "formulation-field-frame-components-general-family_labour_availability", "Art. 19.1", Text, General, Always) => frame.components.general.family_labour_availability;
    ("frame.components.general.equipment_and_machinery", "formulation-field-frame-components-general-equipment_and_machinery", "Art. 19.1", Text, General, Always) => frame.components.general.equipment_and_machinery;
    ("frame.components.technical.biophysical_conditions", "formulation-field-frame-components-technical-biophysical_conditions", "Art. 19.2", Text, Technical, Always) => frame.components.technical.biophysical_conditions;
    ("frame.components.technical.production_system", "formulation-field-frame-components-technical-production_system", "Art. 19.2", Text, Technical, Always) => frame.components.technical.production_system;
    ("frame.components.technical.required_infrastructure", "formulation-field-frame-components-technical-required_infrastructure", "Art. 19.2", Text, Technical, Always) => frame.components.technical.required_infrastructure;
    ("frame.components.technical.marketing_strategy", "formulation-field-frame-components-technical-marketing_strategy", "Art. 19.2", Text, Technical, Always) => frame.components.technical.marketing_strategy;
    ("frame.components.technical.assistance_support", "formulation-field-frame-components-technical-assistance_support", "Art. 19.2", Text, Technical, Always) => frame.components.technical.assistance_support;
    ("frame.components.technical.price_source", "formulation-field-frame-components-technical-price_source", "Art. 19.2", Text, Technical, Always) => frame.components.technical.price_source;
    ("frame.components.commercial.market_analysis", "formulation-field-frame-components-commercial-market_analysis", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.market_analysis;
    ("frame.components.commercial.marketing_channels", "formulation-field-frame-components-commercial-marketing_channels", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.marketing_channels;
    ("frame.components.commercial.sales_plan.place", "formulation-field-frame-components-commercial-sales_plan-place", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.sales_plan.place;
    ("frame.components.commercial.sales_plan.method", "formulation-field-frame-components-commercial-sales_plan-method", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.sales_plan.method;
    ("frame.components.commercial.sales_plan.quantities", "formulation-field-frame-components-commercial-sales_plan-quantities", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.sales_plan.quantities;
    ("frame.components.commercial.sales_plan.frequency", "formulation-field-frame-components-commercial-sales_plan-frequency", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.sales_plan.frequency;
    ("frame.components.commercial.sales_plan.buyers", "formulation-field-frame-components-commercial-sales_plan-buyers", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.sales_plan.buyers;
    ("frame.components.commercial.sales_plan.price", "formulation-field-frame-components-commercial-sales_plan-price", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.sales_plan.price;
    ("frame.components.commercial.marketing_costs", "formulation-field-frame-components-commercial-marketing_costs", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.marketing_costs;
    ("frame.components.commercial.regional_supply_and_demand", "formulation-field-frame-components-commercial-regional_supply_and_demand", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.regional_supply_and_demand;
    ("frame.components.commercial.product_condition", "formulation-field-frame-components-commercial-product_condition", "Art. 19.3", Text, Commercial, Always) => frame.components.commercial.product_condition;
    ("frame.components.environmental.impacts", "formulation-field-frame-components-environmental-impacts", "Art. 19.4", Text, Environmental, Always) => frame.components.environmental.impacts;
    ("frame.components.environmental.prevention_measures", "formulation-field-frame-components-environmental-prevention_measures", "Art. 19.4", Text, Environmental, Optional) => frame.components.environmental.prevention_measures;
    ("frame.components.environmental.conservation_commitment", "formulation-field-frame-components-environmental-conservation_commitment", "Art. 19.4", Text, Environmental, Always) => frame.components.environmental.conservation_commitment;
    ("frame.components.environmental.authority_consultation", "formulation-field-frame-components-environmental-authority_consultation", "Art. 19.4", Text, Environmental, Always) => frame.components.environmental.authority_consultation;
    ("frame.components.environmental.permits", "formulation-field-frame-components-environmental-permits", "Art. 19.4", Lines, Environmental, Optional) => frame.components.environmental.permits;
    ("frame.components.social.community_organization", "formulation-field-frame-components-social-community_organization", "Art. 19.5", Text, Social, Always) => frame.components.social.community_organization;
    ("frame.components.social.cultural_aspects", "formulation-field-frame-components-social-cultural_aspects", "Art. 19.5", Text, Social, Always) => frame.components.social.cultural_aspects;
    ("frame.components.social.benefits", "formulation-field-frame-components-social-benefits", "Art. 19.5", Text, Social, Always) => frame.components.social.benefits;
    ("frame.components.social.beneficiary_type", "formulation-field-frame-components-social-beneficiary_type", "Art. 19.5", Text, Social, Always) => frame.components.social.beneficiary_type;
    ("frame.components.social.social_programs", "formulation-field-frame-components-social-social_programs", "Art. 19.5", Text, Social, Always) => frame.components.social.social_programs;
    ("frame.components.social.organizations", "formulation-field-frame-components-social-organizations", "Art. 19.5", Text, Social, Always) => frame.components.social.organizations;
    ("frame.components.financial.credit_plan", "formulation-field-frame-components-financial-credit_plan", "Art. 19.6", Text, Financial, Optional) => frame.components.financial.credit_plan;
    ("frame.components.financial.notes", "formulation-field-frame-components-financial-notes", "Art. 19.6", Text, Financial, Optional) => frame.components.financial.notes;
    ("frame.components.food_security.required", "formulation-field-frame-components-food_security-required", "Art. 19.7", Flag, FoodSecurity, Optional) => frame.components.food_security.required;
    ("frame.components.food_security.description", "formulation-field-frame-components-food_security-description", "Art. 19.7", Text, FoodSecurity, WithFoodSecurity) => frame.components.food_security.description;
    ("frame.components.food_security.activity", "formulation-field-frame-components-food_security-activity", "Art. 19.7", Line, FoodSecurity, Optional) => frame.components.food_security.activity;
    ("frame.accompaniment.description", "formulation-field-frame-accompaniment-description", "Art. 18.5", Text, Accompaniment, WithAccompanimentPlan) => frame.accompaniment.description;
    ("frame.accompaniment.training_topics", "formulation-field-frame-accompaniment-training_topics", "Art. 18.5", Lines, Accompaniment, WithAccompanimentPlan) => frame.accompaniment.training_topics;
    ("frame.accompaniment.responsible", "formulation-field-frame-accompaniment-responsible", "Art. 18.5", Line, Accompaniment, Optional) => frame.accompaniment.responsible;
    ("frame.employment.small_producers", "formulation-field-frame-employment-small_producers", "Art. 18.6", Flag, Employment, Optional) => frame.employment.small_producers;
    ("frame.employment.description", "formulation-field-frame-employment-description", "Art. 18.6", Text, Employment, WithEmploymentInitiative) => frame.employment.description;
    ("frame.employment.direct_jobs", "formulation-field-frame-employment-direct_jobs", "Art. 18.6", Whole, Employment, Optional) => frame.employment.direct_jobs;
}

impl Formulation {
    /// The value of the scalar field at `path` (a path of [`FIELDS`]).
    pub fn field(&self, path: &str) -> Option<FieldValue> {
        Some(match slot(self, path)? {
            Slot::Text(text) => FieldValue::Text(text.clone()),
            Slot::Lines(lines) => FieldValue::Lines(lines.clone()),
            Slot::Whole(number) => FieldValue::Whole(number),
            Slot::Flag(flag) => FieldValue::Flag(flag),
        })
    }

    /// Sets the scalar field at `path`.
    pub fn set_field(&mut self, path: &str, value: FieldValue) -> Result<(), FieldError> {
        match (slot_mut(self, path).ok_or(FieldError::Unknown)?, value) {
            (SlotMut::Text(slot), FieldValue::Text(text)) => *slot = text,
            (SlotMut::Lines(slot), FieldValue::Lines(lines)) => *slot = lines,
            (SlotMut::Whole(slot), FieldValue::Whole(number)) => slot.set(number)?,
            (SlotMut::Flag(slot), FieldValue::Flag(flag)) => *slot = flag,
            _ => return Err(FieldError::WrongKind),
        }
        Ok(())
    }
}

/// How a column of a table is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Line,
    Whole,
    /// A whole number that may be left empty.
    OptionalWhole,
    Decimal,
    /// An expense category (Art. 20, 21).
    Category,
    /// Who pays: `institute`, `counterpart` or another funder's name.
    Funder,
}

/// A column of a table: the key of its rows' objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub label_key: &'static str,
    pub kind: ColumnKind,
}

/// A list of rows of the formulation, with the columns people fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// The list's path without indices: `production.years` is each activity's years.
    pub path: &'static str,
    pub caption_key: &'static str,
    /// The web's step that shows it.
    pub step: u8,
    pub columns: &'static [ColumnSpec],
    /// A new row as the web's "add a row" gives it, as JSON text.
    pub empty_row: &'static str,
}

const fn column(name: &'static str, label_key: &'static str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        name,
        label_key,
        kind,
    }
}

use ColumnKind::{Category, Decimal, Funder, Line, OptionalWhole, Whole};

/// Every table of the formulation, in the order pages show them.
pub static TABLES: &[TableSpec] = &[
    TableSpec {
        path: "frame.components.technical.operating_structure",
        caption_key: "formulation-table-operating_structure",
        step: 2,
        columns: &[
            column(
                "activity",
                "formulation-field-frame-components-technical-operating_structure-activity",
                Line,
            ),
            column(
                "responsible",
                "formulation-field-frame-components-technical-operating_structure-responsible",
                Line,
            ),
        ],
        empty_row: r#"{"activity": "", "responsible": ""}"#,
    },
    TableSpec {
        path: "frame.components.schedule.activities",
        caption_key: "formulation-table-activities",
        step: 2,
        columns: &[
            column(
                "name",
                "formulation-field-frame-components-schedule-activities-name",
                Line,
            ),
            column(
                "start_month",
                "formulation-field-frame-components-schedule-activities-start_month",
                Whole,
            ),
            column(
                "end_month",
                "formulation-field-frame-components-schedule-activities-end_month",
                Whole,
            ),
        ],
        empty_row: r#"{"name": "", "start_month": 1, "end_month": 1}"#,
    },
    TableSpec {
        path: "frame.households",
        caption_key: "formulation-table-households",
        step: 3,
        columns: &[
            column("id", "formulation-field-frame-households-id", Line),
            column("max_pct", "formulation-field-frame-households-max_pct", Decimal),
            column(
                "cap_smmlv",
                "formulation-field-frame-households-cap_smmlv",
                Decimal,
            ),
        ],
        empty_row: r#"{"id": "", "max_pct": "0", "cap_smmlv": "0"}"#,
    },
    TableSpec {
        path: "budget",
        caption_key: "formulation-table-budget",
        step: 4,
        columns: &[
            column("category", "formulation-field-budget-category", Category),
            column("funder", "formulation-field-budget-funder", Funder),
            column("description", "formulation-field-budget-description", Line),
            column("quantity", "formulation-field-budget-quantity", Decimal),
            column("unit", "formulation-field-budget-unit", Line),
            column("unit_price", "formulation-field-budget-unit_price", Decimal),
            column("year", "formulation-field-budget-year", OptionalWhole),
            column("month", "formulation-field-budget-month", OptionalWhole),
        ],
        empty_row: r#"{"category": "materials_and_supplies", "funder": "counterpart", "description": "", "quantity": "0", "unit": "", "unit_price": "0", "year": 0, "month": null}"#,
    },
    TableSpec {
        path: "production",
        caption_key: "formulation-table-production",
        step: 5,
        columns: &[
            column("name", "formulation-field-production-name", Line),
            column("unit", "formulation-field-production-unit", Line),
            column("product_unit", "formulation-field-production-product_unit", Line),
            column("day_wage", "formulation-field-production-day_wage", Decimal),
            column(
                "full_production_year",
                "formulation-field-production-full_production_year",
                Whole,
            ),
            column(
                "residual_value",
                "formulation-field-production-residual_value",
                Decimal,
            ),
        ],
        empty_row: r#"{"name": "", "unit": "", "product_unit": "", "day_wage": "0", "full_production_year": 1, "residual_value": "0", "years": []}"#,
    },
    TableSpec {
        path: "production.years",
        caption_key: "formulation-table-years",
        step: 5,
        columns: &[
            column("year", "formulation-field-production-years-year", Whole),
            column("units", "formulation-field-production-years-units", Decimal),
            column(
                "yield_per_unit",
                "formulation-field-production-years-yield_per_unit",
                Decimal,
            ),
            column("price", "formulation-field-production-years-price", Decimal),
            column(
                "operating_costs",
                "formulation-field-production-years-operating_costs",
                Decimal,
            ),
            column(
                "output_cost_per_unit",
                "formulation-field-production-years-output_cost_per_unit",
                Decimal,
            ),
            column(
                "hired_labour_days",
                "formulation-field-production-years-hired_labour_days",
                Decimal,
            ),
            column(
                "family_labour_days",
                "formulation-field-production-years-family_labour_days",
                Decimal,
            ),
            column(
                "replacements",
                "formulation-field-production-years-replacements",
                Decimal,
            ),
        ],
        empty_row: r#"{"year": 0, "units": "0", "yield_per_unit": "0", "price": "0", "operating_costs": "0", "output_cost_per_unit": "0", "hired_labour_days": "0", "family_labour_days": "0", "replacements": "0"}"#,
    },
    TableSpec {
        path: "technical_assistance",
        caption_key: "formulation-table-technical_assistance",
        step: 6,
        columns: &[
            column("year", "formulation-field-technical_assistance-year", Whole),
            column("cost", "formulation-field-technical_assistance-cost", Decimal),
            column("payer", "formulation-field-technical_assistance-payer", Line),
        ],
        empty_row: r#"{"year": 0, "cost": "0", "payer": ""}"#,
    },
];

/// A path without its indices: `budget[3].unit_price` is `budget.unit_price`.
pub fn pattern(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => skipping = true,
            ']' => skipping = false,
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

impl TableSpec {
    /// The table of the list at `path` (with or without indices).
    pub fn of(path: &str) -> Option<&'static TableSpec> {
        let pattern = pattern(path);
        TABLES.iter().find(|t| t.path == pattern)
    }
}

/// The catalogue key of the label of the field or table cell at `path` (`budget[2].unit_price`,
/// as validation reports it); `None` for a list's own path or a path of no field.
pub fn label_key(path: &str) -> Option<&'static str> {
    if let Some(spec) = FieldSpec::of(path) {
        return Some(spec.label_key);
    }
    let pattern = pattern(path);
    let (list, name) = pattern.rsplit_once('.')?;
    let table = TABLES.iter().find(|t| t.path == list)?;
    (table.columns.iter().find(|c| c.name == name)).map(|c| c.label_key)
}

/// The web's step of the field, cell or list at `path`; 1 (the frame) for any other path.
pub fn step_of(path: &str) -> u8 {
    if let Some(spec) = FieldSpec::of(path) {
        return spec.section.step();
    }
    let pattern = pattern(path);
    // The longest table that holds the path: a year of production is production's.
    TABLES
        .iter()
        .filter(|t| pattern == t.path || pattern.starts_with(&format!("{}.", t.path)))
        .max_by_key(|t| t.path.len())
        .map(|t| t.step)
        .or_else(|| {
            FIELDS
                .iter()
                .find(|f| pattern.starts_with(&format!("{}.", section_prefix(f.path))))
                .map(|f| f.section.step())
        })
        .unwrap_or(1)
}

/// `frame.components.general` of `frame.components.general.technology`.
fn section_prefix(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(head, _)| head)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_table_gives_a_new_row_with_each_of_its_columns() {
        for table in TABLES {
            let row: serde_json::Value = serde_json::from_str(table.empty_row)
                .unwrap_or_else(|e| panic!("{}: the new row is not JSON: {e}", table.path));
            for column in table.columns {
                assert!(
                    row.get(column.name).is_some(),
                    "{}: no {}",
                    table.path,
                    column.name
                );
            }
        }
    }
    use crate::finance::formulation::Frame;

    fn empty() -> Formulation {
        Formulation {
            frame: Frame {
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
            },
            budget: Vec::new(),
            production: Vec::new(),
            technical_assistance: Vec::new(),
        }
    }

    /// A value of the field's kind that differs for every field.
    fn sample(spec: &FieldSpec, n: usize) -> FieldValue {
        match spec.kind {
            FieldKind::Line | FieldKind::Text => FieldValue::Text(format!("texto {n}")),
            FieldKind::Lines => FieldValue::Lines(vec![format!("uno {n}"), format!("dos {n}")]),
            FieldKind::Whole => FieldValue::Whole(i64::try_from(n).unwrap_or(1) + 1),
            FieldKind::Flag => FieldValue::Flag(n.is_multiple_of(2)),
        }
    }

    #[test]
    fn every_field_is_reached_by_its_path_with_a_value_of_its_kind() {
        let mut f = empty();
        let mut paths = HashSet::new();
        for (n, spec) in FIELDS.iter().enumerate() {
            assert!(paths.insert(spec.path), "{} twice", spec.path);
            assert_eq!(
                spec.label_key,
                format!("formulation-field-{}", spec.path.replace('.', "-"))
            );
            assert_eq!(FieldSpec::of(spec.path), Some(spec));
            f.set_field(spec.path, sample(spec, n)).expect(spec.path);
        }
        for (n, spec) in FIELDS.iter().enumerate() {
            assert_eq!(f.field(spec.path), Some(sample(spec, n)), "{}", spec.path);
        }
        // Set through the paths, the JSON holds each value under the same path.
        let json = serde_json::to_value(&f).expect("json");
        for spec in FIELDS {
            let mut node = &json;
            for key in spec.path.split('.') {
                node = &node[key];
            }
            assert!(!node.is_null(), "{} is not a JSON path", spec.path);
        }
    }

    #[test]
    fn a_value_of_another_kind_or_out_of_range_or_an_unknown_path_is_refused() {
        let mut f = empty();
        assert_eq!(
            f.set_field("frame.typology", FieldValue::Whole(300)),
            Err(FieldError::OutOfRange)
        );
        assert_eq!(
            f.set_field("frame.title", FieldValue::Whole(3)),
            Err(FieldError::WrongKind)
        );
        assert_eq!(
            f.set_field("frame.nothing", FieldValue::Flag(true)),
            Err(FieldError::Unknown)
        );
        assert_eq!(f.field("budget"), None);
    }

    #[test]
    fn cells_and_problems_find_their_label_and_step() {
        assert_eq!(pattern("production[1].years[4].price"), "production.years.price");
        assert_eq!(
            label_key("budget[2].unit_price"),
            Some("formulation-field-budget-unit_price")
        );
        assert_eq!(label_key("frame.title"), Some("formulation-field-frame-title"));
        assert_eq!(label_key("frame.households"), None);
        assert_eq!(step_of("production[0].years[2].year"), 5);
        assert_eq!(step_of("frame.households[1].land_tenure"), 3);
        assert_eq!(step_of("frame.components.schedule.activities[0]"), 2);
        assert_eq!(step_of("components.schedule"), 1);
        assert_eq!(step_of("frame.accompaniment.training_topics"), 2);
        assert_eq!(step_of("frame.components.technical.operating_structure"), 2);
        assert_eq!(step_of("budget"), 4);
        assert_eq!(step_of("technical_assistance[0].cost"), 6);
        for table in TABLES {
            for column in table.columns {
                assert_eq!(
                    column.label_key,
                    format!("formulation-field-{}-{}", table.path, column.name).replace('.', "-")
                );
            }
        }
    }

    #[test]
    fn the_sections_follow_the_steps() {
        for section in Section::ALL {
            assert!(FieldSpec::in_section(section).next().is_some(), "{section:?}");
        }
        assert!(
            FIELDS
                .iter()
                .filter(|f| f.identifies())
                .all(|f| f.section.step() == 1)
        );
    }
}
