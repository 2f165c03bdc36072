//! The formulation of a productive project (Art. 18-22): one schema for TOML and JSON files.
//!
//! Amounts are pesos (COP) at constant prices of the call's budget year ("a precios de
//! mercado", Art. 19.6). Text sections default to empty so that [`Formulation::validate`] can
//! report every missing part at once, each with its path and article, instead of stopping at
//! the first missing field.

use std::collections::HashSet;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::fields::{FieldSpec, FieldValue, Needed, Section};
use super::rules::FinancialRules;
use crate::household::LandTenure;
use crate::message::Message;
use crate::money::minimum_wage;
use crate::program::ProgramLine;
use crate::territory::DaneCode;
use crate::text_enum::text_enum;

text_enum! {
    /// Rubro of a budget line: the eligible expenses of Art. 20 and the non-eligible ones of
    /// Art. 21. Which is which is written in the rule set.
    pub enum ExpenseCategory ("expense category") {
        /// Obras intraprediales (Art. 20.1).
        WorksInParcel = "works_in_parcel",
        /// Obras de infraestructura física (Art. 20.2).
        PhysicalInfrastructure = "physical_infrastructure",
        /// Bienes y equipos (Art. 20.3).
        GoodsAndEquipment = "goods_and_equipment",
        /// Materiales y suministros (Art. 20.4).
        MaterialsAndSupplies = "materials_and_supplies",
        /// Asistencia técnica, "acompañamiento integral" (Art. 20.5).
        TechnicalAssistance = "technical_assistance",
        /// Servicios personales: nómina, mano de obra, honorarios (Art. 21.1).
        PersonalServices = "personal_services",
        /// Terrenos (Art. 21.2; never part of a formulation, Art. 18.4).
        Land = "land",
        /// Mantenimiento, repuestos y servicios públicos (Art. 21.3).
        Maintenance = "maintenance",
        /// Arrendamiento (Art. 21.4).
        Rent = "rent",
        /// Seguros (Art. 21.5).
        Insurance = "insurance",
        /// Impuestos, tasas y contribuciones (Art. 21.6).
        Taxes = "taxes",
    }
}

impl ExpenseCategory {
    /// The article that names the category: eligible under Art. 20, non-eligible under Art. 21.
    pub fn article(self) -> &'static str {
        use ExpenseCategory::*;
        match self {
            WorksInParcel => "Art. 20.1",
            PhysicalInfrastructure => "Art. 20.2",
            GoodsAndEquipment => "Art. 20.3",
            MaterialsAndSupplies => "Art. 20.4",
            TechnicalAssistance => "Art. 20.5",
            PersonalServices => "Art. 21.1",
            Land => "Art. 21.2",
            Maintenance => "Art. 21.3",
            Rent => "Art. 21.4",
            Insurance => "Art. 21.5",
            Taxes => "Art. 21.6",
        }
    }
}

impl ExpenseCategory {
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub(crate) fn mask(categories: &[ExpenseCategory]) -> u16 {
        categories.iter().fold(0, |mask, c| mask | c.bit())
    }
}

/// Who pays a budget line. In TOML: `funder = "institute"`, `funder = "counterpart"` or
/// `funder = { other = "Alcaldía de Tumaco" }`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Funder {
    /// El instituto (Incoder): the co-financing requested.
    Institute,
    /// Contrapartida of the beneficiaries (cash or in kind).
    Counterpart,
    /// Another funder (a municipality, a department, a donor); part of the contrapartida
    /// (Art. 47: "recursos propios o provenientes de terceros").
    Other(String),
}

impl fmt::Display for Funder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Funder::Institute => f.write_str("institute"),
            Funder::Counterpart => f.write_str("counterpart"),
            Funder::Other(name) => write!(f, "other: {name}"),
        }
    }
}

/// A productive project as formulated (Art. 18-19).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Formulation {
    pub frame: Frame,
    /// Presupuesto detallado con carácter de plan de inversión (Art. 19.6, 19.8).
    #[serde(default)]
    pub budget: Vec<BudgetLine>,
    /// Modelo productivo por actividad (Art. 19.1: volúmenes de producción hasta la fase de
    /// pleno desarrollo).
    #[serde(default)]
    pub production: Vec<Activity>,
    /// Acompañamiento integral outside the co-financed budget, by year (Art. 20.5): the cost
    /// that the project, another entity or the beneficiary bears. Technical assistance paid
    /// from the budget is a budget line of category `technical_assistance`; list it once.
    #[serde(default)]
    pub technical_assistance: Vec<TechnicalAssistanceCost>,
}

/// The project's identity and the contents that Art. 18-19 and 22 require.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    pub code: String,
    pub title: String,
    /// Código DANE (DIVIPOLA) of the municipality.
    pub municipality: String,
    /// Tipología del proyecto, 1 to 4 (Art. 22).
    pub typology: u8,
    /// Vigencia presupuestal of the call: its SMMLV sizes caps and the income floor.
    pub budget_year: i16,
    /// Horizonte de evaluación: years after the investment year 0 (Art. 19.6).
    pub horizon_years: u16,
    #[serde(default)]
    pub components: Components,
    /// Plan de acompañamiento y capacitación (Art. 18.5).
    #[serde(default)]
    pub accompaniment: AccompanimentPlan,
    /// Iniciativa de generación de empleos directos (Art. 18.6).
    #[serde(default)]
    pub employment: EmploymentInitiative,
    /// Familias participantes, with the co-financing limits of their screening.
    #[serde(default)]
    pub households: Vec<ParticipatingHousehold>,
}

/// Componentes de la formulación (Art. 19, as amended by Acuerdo 325 de 2013).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Components {
    pub general: GeneralInformation,
    pub technical: TechnicalComponent,
    pub commercial: CommercialComponent,
    pub environmental: EnvironmentalComponent,
    pub social: SocialComponent,
    pub financial: FinancialComponent,
    pub food_security: FoodSecurityComponent,
    pub schedule: Schedule,
}

/// Información general (Art. 19.1). The budget shares of each party, the cost structure, the
/// production volumes and the horizon are not repeated here: they come from the budget lines,
/// the production model and the frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneralInformation {
    /// Tipo de proyecto.
    pub project_type: String,
    /// Descripción de la actividad productiva.
    pub activity_description: String,
    /// Tecnología propuesta.
    pub technology: String,
    /// Indicadores productivos.
    pub productive_indicators: Vec<String>,
    /// Plan de manejo.
    pub management_plan: String,
    /// Plan de asistencia técnica.
    pub technical_assistance_plan: String,
    /// Organización del proyecto para la producción y el mercadeo.
    pub production_and_marketing_organization: String,
    /// Metodología o plan de implementación según el cronograma de inversión.
    pub implementation_methodology: String,
    /// Áreas de implementación.
    pub implementation_areas: String,
    /// Requerimientos de mano de obra.
    pub labour_requirements: String,
    /// Disponibilidad de mano de obra en la unidad familiar.
    pub family_labour_availability: String,
    /// Requerimientos y disponibilidad de equipos y maquinaria.
    pub equipment_and_machinery: String,
}

/// Who does what in the project's operating structure (Art. 19.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Responsibility {
    pub activity: String,
    pub responsible: String,
}

/// Componente técnico (Art. 19.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TechnicalComponent {
    /// Condiciones biofísicas.
    pub biophysical_conditions: String,
    /// Identificación del sistema de producción.
    pub production_system: String,
    /// Infraestructura requerida.
    pub required_infrastructure: String,
    /// Estrategias de comercialización.
    pub marketing_strategy: String,
    /// Estructura operativa: actividades y responsables.
    pub operating_structure: Vec<Responsibility>,
    /// Soporte de asistencia que recibirá.
    pub assistance_support: String,
    /// Fuente oficial objetiva de los precios reales en la región.
    pub price_source: String,
}

/// Where, how, how much, how often, to whom and at what price the product is sold (Art. 19.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SalesPlan {
    pub place: String,
    pub method: String,
    pub quantities: String,
    pub frequency: String,
    pub buyers: String,
    pub price: String,
}

/// Componente comercial (Art. 19.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommercialComponent {
    /// Análisis de mercado: la futura demanda.
    pub market_analysis: String,
    /// Información logística de los canales de comercialización existentes.
    pub marketing_channels: String,
    pub sales_plan: SalesPlan,
    /// Relación de costos del proceso de comercialización.
    pub marketing_costs: String,
    /// Estado de oferta y demanda del producto en la región.
    pub regional_supply_and_demand: String,
    /// Estado de conservación y presentación del producto.
    pub product_condition: String,
}

/// Componente ambiental (Art. 19.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvironmentalComponent {
    /// Impactos positivos o negativos.
    pub impacts: String,
    /// Cómo se previenen los impactos, "si se requiere" (optional).
    pub prevention_measures: String,
    /// Cómo la comunidad propenderá por la conservación del ambiente.
    pub conservation_commitment: String,
    /// Consulta a la autoridad ambiental competente sobre permisos.
    pub authority_consultation: String,
    /// Permisos identificados (optional).
    pub permits: Vec<String>,
}

/// Componente social, cultural y organizativo (Art. 19.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialComponent {
    /// Organización de la comunidad proponente.
    pub community_organization: String,
    /// Aspectos culturales.
    pub cultural_aspects: String,
    /// Beneficios directos e indirectos.
    pub benefits: String,
    /// Tipo de beneficiarios.
    pub beneficiary_type: String,
    /// Programas sociales presentes, su alcance y la vinculación posible.
    pub social_programs: String,
    /// Organizaciones formales, informales o empresariales de los beneficiarios.
    pub organizations: String,
}

/// Componente financiero (Art. 19.6). The detailed budget, the cash flow and the indicators
/// come from the budget lines and the production model; this holds what is only text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinancialComponent {
    /// Planificación de crédito, "de ser necesario" (optional).
    pub credit_plan: String,
    pub notes: String,
}

/// Componente de seguridad alimentaria (Art. 19.7), when the diagnosis calls for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FoodSecurityComponent {
    pub required: bool,
    pub description: String,
    /// The production activity that provides it, by name, if it is modelled.
    pub activity: String,
}

/// An activity of the operating plan, in months from the start of execution (Art. 19.8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduledActivity {
    pub name: String,
    pub start_month: u16,
    pub end_month: u16,
}

/// Cronograma (Art. 19.8): the operating plan. The investment plan is the budget lines, each
/// with its year or month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    pub activities: Vec<ScheduledActivity>,
}

/// Plan de acompañamiento y capacitación para las familias (Art. 18.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccompanimentPlan {
    pub description: String,
    pub training_topics: Vec<String>,
    pub responsible: String,
}

impl AccompanimentPlan {
    pub fn is_present(&self) -> bool {
        !self.description.trim().is_empty() && self.training_topics.iter().any(|t| !t.trim().is_empty())
    }
}

/// Iniciativa de generación de empleos directos (Art. 18.6), required when the project
/// benefits small rural producers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmploymentInitiative {
    /// Whether the project benefits small rural producers; `true` unless said otherwise.
    pub small_producers: bool,
    pub description: String,
    pub direct_jobs: u32,
}

impl Default for EmploymentInitiative {
    fn default() -> Self {
        Self {
            small_producers: true,
            description: String::new(),
            direct_jobs: 0,
        }
    }
}

impl EmploymentInitiative {
    pub fn is_present(&self) -> bool {
        !self.description.trim().is_empty() && self.direct_jobs > 0
    }
}

/// A participating family with the limits of its screening: the maximum percentage of Art. 7
/// and the cap in SMMLV of Art. 29.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipatingHousehold {
    pub id: String,
    /// Porcentaje máximo de cofinanciación, 0-100 (Art. 7).
    pub max_pct: Decimal,
    /// Tope por familia en SMMLV (Art. 29).
    pub cap_smmlv: Decimal,
    /// The family's program line; an AREL family (Chapter IX) makes the project an AREL one.
    #[serde(default, skip_serializing_if = "is_general")]
    pub program_line: ProgramLine,
    /// Tenure of the family's parcel as verified (Art. 40.2): required of an AREL family only
    /// when the project has works or infrastructure on the parcel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_tenure: Option<LandTenure>,
    /// The parcel has legal, technical, environmental or administrative limitations (Art. 40.2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub land_restrictions: bool,
    /// Whole years a lease or comodato runs from the presentation of the documents (Art. 40.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_contract_years: Option<u16>,
}

fn is_general(line: &ProgramLine) -> bool {
    *line == ProgramLine::General
}

/// A line of the budget (presupuesto detallado, Art. 19.6): quantity × unit price, in the year
/// (0 = investment) or the month of execution (1 = first month; months 1-12 fall in year 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    pub category: ExpenseCategory,
    pub funder: Funder,
    pub description: String,
    pub quantity: Decimal,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    pub unit_price: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u16>,
}

impl BudgetLine {
    pub fn amount(&self) -> Decimal {
        self.quantity * self.unit_price
    }

    /// The year of the flow the line falls in, when exactly one of year and month is given.
    pub fn flow_year(&self) -> Option<u16> {
        match (self.year, self.month) {
            (Some(year), None) => Some(year),
            (None, Some(month)) if month >= 1 => Some((month - 1) / 12),
            _ => None,
        }
    }
}

/// An activity of the production model: cocoa agroforestry, dual-purpose cattle, fish ponds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub name: String,
    /// Unit of scale: `ha`, `head`, `m2 of pond`.
    pub unit: String,
    /// Unit of product: `kg`, `l`.
    #[serde(default)]
    pub product_unit: String,
    /// Value of one day of labour (jornal), hired or family.
    pub day_wage: Decimal,
    /// First year in full production (pleno desarrollo).
    pub full_production_year: u16,
    /// Valor residual at the end of the horizon.
    #[serde(default)]
    pub residual_value: Decimal,
    pub years: Vec<ActivityYear>,
}

/// One year of an activity. Years not listed have no production and no costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityYear {
    pub year: u16,
    /// Area or head count.
    pub units: Decimal,
    /// Product per unit of scale.
    pub yield_per_unit: Decimal,
    /// Sale price per unit of product, at the farm gate or where the sales plan says.
    pub price: Decimal,
    /// Operating costs of the year that do not vary with output (inputs, feed, fuel).
    #[serde(default)]
    pub operating_costs: Decimal,
    /// Costs per unit of product (harvest, transport, marketing: Art. 19.3).
    #[serde(default)]
    pub output_cost_per_unit: Decimal,
    /// Jornales contratados.
    #[serde(default)]
    pub hired_labour_days: Decimal,
    /// Jornales familiares.
    #[serde(default)]
    pub family_labour_days: Decimal,
    /// Reposiciones (reinvestments) of the year.
    #[serde(default)]
    pub replacements: Decimal,
}

/// Acompañamiento integral of one year outside the budget (Art. 20.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicalAssistanceCost {
    pub year: u16,
    pub cost: Decimal,
    /// Who bears it: the project, another entity or the beneficiary.
    #[serde(default)]
    pub payer: String,
}

/// A problem of a formulation: where (`budget[3].category`), which article, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub article: String,
    /// What is wrong, as a message of the catalogue.
    pub message: Message,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.article.is_empty() {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}: {} ({})", self.path, self.message, self.article)
        }
    }
}

/// The longest horizon accepted, a guard against typing mistakes rather than a rule.
pub const MAX_HORIZON_YEARS: u16 = 100;

struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, article: &str, message: Message) {
        self.0.push(Problem {
            path: path.into(),
            article: article.to_owned(),
            message,
        });
    }

    fn text(&mut self, path: &str, value: &str, article: &str) {
        if value.trim().is_empty() {
            self.push(path, article, Message::new("formulation-problem-required_text"));
        }
    }

    fn texts(&mut self, path: &str, values: &[String], article: &str) {
        if values.iter().all(|v| v.trim().is_empty()) {
            self.push(path, article, Message::new("formulation-problem-entry_required"));
        }
    }

    fn not_negative(&mut self, path: String, value: Decimal, article: &str) {
        if value.is_sign_negative() && !value.is_zero() {
            self.push(
                path,
                article,
                Message::new("formulation-problem-negative").with("value", value),
            );
        }
    }
}

impl Formulation {
    /// The required fields of `section` ([`super::fields::FIELDS`]) that are empty.
    fn required(&self, section: Section, rules: &FinancialRules, p: &mut Problems) {
        for spec in FieldSpec::in_section(section) {
            let article = match spec.needed {
                Needed::Optional => continue,
                Needed::Always => spec.article,
                Needed::WithFoodSecurity if self.frame.components.food_security.required => spec.article,
                Needed::WithAccompanimentPlan if rules.accompaniment_plan.required => {
                    rules.accompaniment_plan.article.as_str()
                }
                Needed::WithEmploymentInitiative
                    if rules.employment_initiative.required && self.frame.employment.small_producers =>
                {
                    rules.employment_initiative.article.as_str()
                }
                _ => continue,
            };
            match self.field(spec.path) {
                Some(FieldValue::Text(text)) => p.text(spec.path, &text, article),
                Some(FieldValue::Lines(lines)) => p.texts(spec.path, &lines, article),
                _ => {}
            }
        }
    }

    /// Every problem of the formulation under `rules`, each with the path to its field and the
    /// article it breaks. Empty means the formulation is complete and consistent; whether it is
    /// viable is [`super::evaluate`]'s question.
    pub fn validate(&self, rules: &FinancialRules) -> Vec<Problem> {
        let mut p = Problems(Vec::new());
        self.validate_frame(rules, &mut p);
        self.validate_components(rules, &mut p);
        self.validate_budget(rules, &mut p);
        self.validate_production(&mut p);
        self.validate_arel(rules, &mut p);
        let horizon = self.frame.horizon_years;
        for (i, ta) in self.technical_assistance.iter().enumerate() {
            let article = rules.technical_assistance.article.as_str();
            if ta.year > horizon {
                p.push(
                    format!("technical_assistance[{i}].year"),
                    article,
                    Message::new("formulation-problem-year_beyond_horizon")
                        .with("year", ta.year)
                        .with("horizon", horizon),
                );
            }
            p.not_negative(format!("technical_assistance[{i}].cost"), ta.cost, article);
        }
        p.0
    }

    /// Whether a family of the AREL line (Chapter IX) takes part.
    pub fn is_arel(&self) -> bool {
        self.frame
            .households
            .iter()
            .any(|h| h.program_line == ProgramLine::Arel)
    }

    /// The last month of execution the formulation plans: the schedule's last month and the
    /// budget lines' months (a line given by year runs to the end of that year).
    pub fn execution_months(&self) -> u16 {
        let schedule = (self.frame.components.schedule.activities.iter()).map(|a| a.end_month);
        let budget = self.budget.iter().map(|line| match (line.year, line.month) {
            (_, Some(month)) => month,
            (Some(year), None) => year.saturating_add(1).saturating_mul(12),
            (None, None) => 0,
        });
        schedule.chain(budget).max().unwrap_or(0)
    }

    /// Chapter IX at formulation. Art. 40.2: an AREL family must hold its parcel as owner,
    /// tenant or comodatario, without limitations and with a contract of the rule set's
    /// minimum term, only when the project builds on the parcel ("cuando la ejecución del
    /// proyecto así lo requiera"); on a leased or lent parcel the institute pays no works or
    /// physical infrastructure (Art. 20.1-20.2). Art. 43: execution of at most the rule set's
    /// months.
    fn validate_arel(&self, rules: &FinancialRules, p: &mut Problems) {
        if !self.is_arel() {
            return;
        }
        let on_parcel = |category: ExpenseCategory| {
            matches!(
                category,
                ExpenseCategory::WorksInParcel | ExpenseCategory::PhysicalInfrastructure
            )
        };
        let builds = self.budget.iter().any(|line| on_parcel(line.category));
        let leased =
            |tenure: Option<LandTenure>| matches!(tenure, Some(LandTenure::Tenant | LandTenure::Comodato));
        let arel = || {
            (self.frame.households.iter().enumerate()).filter(|(_, h)| h.program_line == ProgramLine::Arel)
        };
        if builds {
            let article = rules
                .arel_contract_years
                .as_ref()
                .map_or("Art. 40.2", |f| f.article.as_str());
            for (i, family) in arel() {
                let path = format!("frame.households[{i}].land_tenure");
                let holds = matches!(
                    family.land_tenure,
                    Some(LandTenure::Owner | LandTenure::Tenant | LandTenure::Comodato)
                );
                if !holds || family.land_restrictions {
                    p.push(
                        path,
                        "Art. 40.2",
                        Message::new("formulation-problem-arel_tenure_required")
                            .with("family", family.id.as_str()),
                    );
                } else if leased(family.land_tenure)
                    && let Some(minimum) = &rules.arel_contract_years
                    && family
                        .land_contract_years
                        .is_none_or(|years| years < minimum.value)
                {
                    p.push(
                        format!("frame.households[{i}].land_contract_years"),
                        article,
                        Message::new("formulation-problem-arel_contract_short")
                            .with("family", family.id.as_str())
                            .with("minimum", minimum.value),
                    );
                }
            }
        }
        if let Some((_, family)) = arel().find(|(_, h)| leased(h.land_tenure)) {
            for (i, line) in self.budget.iter().enumerate() {
                if line.funder == Funder::Institute && on_parcel(line.category) {
                    p.push(
                        format!("budget[{i}].funder"),
                        "Art. 40.2, Art. 20.2",
                        Message::new("formulation-problem-arel_leased_infrastructure")
                            .with("family", family.id.as_str())
                            .with_term("category", format!("evaluation-category_{}", line.category)),
                    );
                }
            }
        }
        if let Some(maximum) = &rules.arel_max_execution_months {
            let months = self.execution_months();
            if months > maximum.value {
                p.push(
                    "components.schedule",
                    &maximum.article,
                    Message::new("formulation-problem-arel_execution_too_long")
                        .with("months", months)
                        .with("maximum", maximum.value),
                );
            }
        }
    }

    fn validate_frame(&self, rules: &FinancialRules, p: &mut Problems) {
        let frame = &self.frame;
        self.required(Section::Frame, rules, p);
        if let Err(error) = DaneCode::parse(&frame.municipality) {
            p.push("frame.municipality", "DIVIPOLA", error.message());
        }
        if !(1..=4).contains(&frame.typology) {
            p.push(
                "frame.typology",
                "Art. 22",
                Message::new("formulation-problem-typology").with("value", frame.typology),
            );
        }
        if minimum_wage(frame.budget_year).is_none() {
            p.push(
                "frame.budget_year",
                &rules.institute_maximum.article,
                Message::new("formulation-problem-no_smmlv").with("year", frame.budget_year),
            );
        }
        let min_horizon = &rules.min_horizon_years;
        if frame.horizon_years < min_horizon.value {
            p.push(
                "frame.horizon_years",
                &min_horizon.article,
                Message::new("formulation-problem-horizon_short")
                    .with("years", frame.horizon_years)
                    .with("minimum", min_horizon.value),
            );
        }
        if frame.horizon_years > MAX_HORIZON_YEARS {
            p.push(
                "frame.horizon_years",
                "",
                Message::new("formulation-problem-horizon_long").with("maximum", MAX_HORIZON_YEARS),
            );
        }
        self.required(Section::Accompaniment, rules, p);
        self.required(Section::Employment, rules, p);
        if rules.employment_initiative.required
            && frame.employment.small_producers
            && frame.employment.direct_jobs == 0
        {
            p.push(
                "frame.employment.direct_jobs",
                rules.employment_initiative.article.as_str(),
                Message::new("formulation-problem-direct_job"),
            );
        }
        let cap_article = rules.institute_maximum.article.as_str();
        if frame.households.is_empty() {
            p.push(
                "frame.households",
                cap_article,
                Message::new("formulation-problem-no_family"),
            );
        }
        let mut seen = HashSet::new();
        for (i, household) in frame.households.iter().enumerate() {
            if household.id.trim().is_empty() {
                p.push(
                    format!("frame.households[{i}].id"),
                    "",
                    Message::new("formulation-problem-required_text"),
                );
            } else if !seen.insert(household.id.trim()) {
                p.push(
                    format!("frame.households[{i}].id"),
                    "",
                    Message::new("formulation-problem-family_twice").with("family", &household.id),
                );
            }
            if household.max_pct <= Decimal::ZERO || household.max_pct > Decimal::ONE_HUNDRED {
                p.push(
                    format!("frame.households[{i}].max_pct"),
                    cap_article,
                    Message::new("formulation-problem-percent_range").with("value", household.max_pct),
                );
            }
            if household.cap_smmlv <= Decimal::ZERO {
                p.push(
                    format!("frame.households[{i}].cap_smmlv"),
                    cap_article,
                    Message::new("formulation-problem-positive").with("value", household.cap_smmlv),
                );
            }
            // No family may be given more than the highest the rule set allows anyone: the
            // screening of each family may allow less, which the store checks (Art. 7, 29).
            if let Some(ceiling) = &rules.family_ceiling {
                if household.max_pct > ceiling.max_pct && household.max_pct <= Decimal::ONE_HUNDRED {
                    p.push(
                        format!("frame.households[{i}].max_pct"),
                        ceiling.pct_article.as_str(),
                        Message::new("formulation-problem-above_legal_percent")
                            .with("value", household.max_pct)
                            .with("ceiling", ceiling.max_pct),
                    );
                }
                if household.cap_smmlv > ceiling.cap_smmlv {
                    p.push(
                        format!("frame.households[{i}].cap_smmlv"),
                        ceiling.cap_article.as_str(),
                        Message::new("formulation-problem-above_legal_cap")
                            .with("value", household.cap_smmlv)
                            .with("ceiling", ceiling.cap_smmlv),
                    );
                }
            }
        }
    }

    fn validate_components(&self, rules: &FinancialRules, p: &mut Problems) {
        let c = &self.frame.components;
        self.required(Section::General, rules, p);
        self.required(Section::Technical, rules, p);
        let t = &c.technical;
        let a = "Art. 19.2";
        let base = "frame.components.technical";
        if t.operating_structure.is_empty() {
            p.push(
                format!("{base}.operating_structure"),
                a,
                Message::new("formulation-problem-operating_activity"),
            );
        }
        for (i, r) in t.operating_structure.iter().enumerate() {
            p.text(
                &format!("{base}.operating_structure[{i}].activity"),
                &r.activity,
                a,
            );
            p.text(
                &format!("{base}.operating_structure[{i}].responsible"),
                &r.responsible,
                a,
            );
        }
        for section in [
            Section::Commercial,
            Section::Environmental,
            Section::Social,
            Section::Financial,
            Section::FoodSecurity,
        ] {
            self.required(section, rules, p);
        }
        let f = &c.food_security;
        if !f.activity.trim().is_empty()
            && !self.production.iter().any(|a| a.name.trim() == f.activity.trim())
        {
            p.push(
                "frame.components.food_security.activity",
                "Art. 19.7",
                Message::new("formulation-problem-unknown_activity").with("activity", &f.activity),
            );
        }

        let a = "Art. 19.8";
        if c.schedule.activities.is_empty() {
            p.push(
                "frame.components.schedule.activities",
                a,
                Message::new("formulation-problem-plan_activity"),
            );
        }
        for (i, s) in c.schedule.activities.iter().enumerate() {
            p.text(
                &format!("frame.components.schedule.activities[{i}].name"),
                &s.name,
                a,
            );
            if s.start_month == 0 || s.end_month < s.start_month {
                p.push(
                    format!("frame.components.schedule.activities[{i}]"),
                    a,
                    Message::new("formulation-problem-months")
                        .with("start", s.start_month)
                        .with("end", s.end_month),
                );
            }
        }
    }

    fn validate_budget(&self, rules: &FinancialRules, p: &mut Problems) {
        let horizon = self.frame.horizon_years;
        if self.budget.is_empty() {
            p.push(
                "budget",
                "Art. 19.6",
                Message::new("formulation-problem-no_budget_line"),
            );
        }
        let eligible = ExpenseCategory::mask(&rules.eligible_categories.value);
        let ineligible = ExpenseCategory::mask(&rules.ineligible_categories.value);
        let excluded = ExpenseCategory::mask(&rules.excluded_categories.value);
        for (i, line) in self.budget.iter().enumerate() {
            let bit = line.category.bit();
            if excluded & bit != 0 {
                p.push(
                    format!("budget[{i}].category"),
                    &rules.excluded_categories.article,
                    Message::new("formulation-problem-category_excluded")
                        .with_term("category", format!("evaluation-category_{}", line.category)),
                );
            } else if eligible & bit == 0 && line.funder == Funder::Institute {
                p.push(
                    format!("budget[{i}].funder"),
                    &rules.ineligible_categories.article,
                    Message::new("formulation-problem-not_eligible")
                        .with_term("category", format!("evaluation-category_{}", line.category)),
                );
            }
            if (eligible | ineligible) & bit == 0 {
                p.push(
                    format!("budget[{i}].category"),
                    &rules.eligible_categories.article,
                    Message::new("formulation-problem-unclassified")
                        .with_term("category", format!("evaluation-category_{}", line.category)),
                );
            }
            if let Funder::Other(name) = &line.funder
                && name.trim().is_empty()
            {
                p.push(
                    format!("budget[{i}].funder"),
                    "",
                    Message::new("formulation-problem-funder_name"),
                );
            }
            p.text(
                &format!("budget[{i}].description"),
                &line.description,
                "Art. 19.6",
            );
            if line.quantity <= Decimal::ZERO {
                p.push(
                    format!("budget[{i}].quantity"),
                    "Art. 19.6",
                    Message::new("formulation-problem-positive").with("value", line.quantity),
                );
            }
            p.not_negative(format!("budget[{i}].unit_price"), line.unit_price, "Art. 19.6");
            match (line.year, line.month) {
                (Some(_), Some(_)) | (None, None) => p.push(
                    format!("budget[{i}]"),
                    "Art. 19.8",
                    Message::new("formulation-problem-year_or_month"),
                ),
                (None, Some(0)) => p.push(
                    format!("budget[{i}].month"),
                    "Art. 19.8",
                    Message::new("formulation-problem-months_start"),
                ),
                _ => {}
            }
            if let Some(year) = line.flow_year()
                && year > horizon
            {
                let field = if line.year.is_some() { "year" } else { "month" };
                p.push(
                    format!("budget[{i}].{field}"),
                    "Art. 19.8",
                    Message::new("formulation-problem-falls_beyond_horizon")
                        .with("year", year)
                        .with("horizon", horizon),
                );
            }
        }
    }

    fn validate_production(&self, p: &mut Problems) {
        let horizon = self.frame.horizon_years;
        if self.production.is_empty() {
            p.push(
                "production",
                "Art. 19.1",
                Message::new("formulation-problem-no_production"),
            );
        }
        let mut names = HashSet::new();
        for (i, activity) in self.production.iter().enumerate() {
            let base = format!("production[{i}]");
            p.text(&format!("{base}.name"), &activity.name, "Art. 19.1");
            if !activity.name.trim().is_empty() && !names.insert(activity.name.trim()) {
                p.push(
                    format!("{base}.name"),
                    "Art. 19.1",
                    Message::new("formulation-problem-activity_twice").with("activity", &activity.name),
                );
            }
            p.text(&format!("{base}.unit"), &activity.unit, "Art. 19.1");
            p.not_negative(format!("{base}.day_wage"), activity.day_wage, "Art. 19.1");
            p.not_negative(
                format!("{base}.residual_value"),
                activity.residual_value,
                "Art. 19.6",
            );
            if activity.full_production_year == 0 || activity.full_production_year > horizon {
                p.push(
                    format!("{base}.full_production_year"),
                    "Art. 19.1",
                    Message::new("formulation-problem-full_production_year")
                        .with("horizon", horizon)
                        .with("value", activity.full_production_year),
                );
            }
            if activity.years.is_empty() {
                p.push(
                    format!("{base}.years"),
                    "Art. 19.1",
                    Message::new("formulation-problem-volumes_required"),
                );
            }
            let mut years = HashSet::new();
            for (j, y) in activity.years.iter().enumerate() {
                let base = format!("{base}.years[{j}]");
                if y.year > horizon {
                    p.push(
                        format!("{base}.year"),
                        "Art. 19.6",
                        Message::new("formulation-problem-year_beyond_horizon")
                            .with("year", y.year)
                            .with("horizon", horizon),
                    );
                }
                if !years.insert(y.year) {
                    p.push(
                        format!("{base}.year"),
                        "Art. 19.1",
                        Message::new("formulation-problem-year_twice").with("year", y.year),
                    );
                }
                for (field, value) in [
                    ("units", y.units),
                    ("yield_per_unit", y.yield_per_unit),
                    ("price", y.price),
                    ("operating_costs", y.operating_costs),
                    ("output_cost_per_unit", y.output_cost_per_unit),
                    ("hired_labour_days", y.hired_labour_days),
                    ("family_labour_days", y.family_labour_days),
                    ("replacements", y.replacements),
                ] {
                    p.not_negative(format!("{base}.{field}"), value, "Art. 19.1");
                }
            }
        }
    }
}
