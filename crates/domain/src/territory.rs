//! Colombia's territory as the program sees it: departments, municipal units (DIVIPOLA),
//! PDET subregions (Decreto Ley 893 de 2017) and the municipal multidimensional poverty index.
//!
//! The catalogue is compiled in from `data/`, so a [`DaneCode`] can only be built for a code
//! that exists.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::text_enum::text_enum;

/// A DANE DIVIPOLA code of a municipal unit (5 digits) that exists in the shipped catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DaneCode([u8; 5]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerritoryError {
    #[error("{0:?} is not a DANE municipality code: it must have exactly 5 digits, such as 18001")]
    MalformedMunicipalityCode(String),
    #[error("DANE code {0} does not exist in DIVIPOLA")]
    UnknownMunicipality(String),
    #[error("{0:?} is not a DANE department code: it must have exactly 2 digits, such as 18")]
    MalformedDepartmentCode(String),
    #[error("DANE department code {0} does not exist in DIVIPOLA")]
    UnknownDepartment(String),
}

impl TerritoryError {
    pub fn message(&self) -> Message {
        let (code, value) = match self {
            TerritoryError::MalformedMunicipalityCode(v) => ("territory-error-malformed_municipality", v),
            TerritoryError::UnknownMunicipality(v) => ("territory-error-unknown_municipality", v),
            TerritoryError::MalformedDepartmentCode(v) => ("territory-error-malformed_department", v),
            TerritoryError::UnknownDepartment(v) => ("territory-error-unknown_department", v),
        };
        Message::new(code).with("value", value)
    }
}

impl DaneCode {
    /// Parses a code, accepting the 4-digit form that spreadsheets leave when they drop the
    /// leading zero (`5001` is Medellín, `05001`).
    pub fn parse(text: &str) -> Result<Self, TerritoryError> {
        // The ASCII trim is enough for nearly every cell and far cheaper than the Unicode one.
        let trimmed = match text.trim_ascii() {
            ascii if ascii.is_ascii() => ascii,
            _ => text.trim(),
        };
        let padded;
        let digits = if trimmed.len() == 4 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            padded = format!("0{trimmed}");
            padded.as_str()
        } else {
            trimmed
        };
        let bytes: [u8; 5] = digits
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 5]| b.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| TerritoryError::MalformedMunicipalityCode(text.to_owned()))?;
        let code = DaneCode(bytes);
        if catalog().code_exists(code) {
            Ok(code)
        } else {
            Err(TerritoryError::UnknownMunicipality(digits.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("00000")
    }

    /// The department the unit belongs to (its first two digits).
    pub fn department_code(&self) -> DepartmentCode {
        DepartmentCode([self.0[0], self.0[1]])
    }

    /// The catalogue entry of this unit.
    pub fn municipality(&self) -> &'static Municipality {
        &catalog().municipalities[catalog().municipalities_by_code[self]]
    }
}

impl fmt::Display for DaneCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DaneCode {
    type Err = TerritoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DaneCode::parse(s)
    }
}

impl Serialize for DaneCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DaneCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DaneCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A DANE department code (2 digits) that exists in the shipped catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartmentCode([u8; 2]);

impl DepartmentCode {
    pub fn parse(text: &str) -> Result<Self, TerritoryError> {
        let trimmed = text.trim();
        let bytes: [u8; 2] = trimmed
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 2]| b.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| TerritoryError::MalformedDepartmentCode(text.to_owned()))?;
        let code = DepartmentCode(bytes);
        if catalog().departments.iter().any(|d| d.code == code) {
            Ok(code)
        } else {
            Err(TerritoryError::UnknownDepartment(trimmed.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00")
    }

    /// The code as a number, 0 to 99.
    fn index(self) -> usize {
        usize::from(self.0[0] - b'0') * 10 + usize::from(self.0[1] - b'0')
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DepartmentCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The territory a call covers (Art. 5, the focalization's territorial criterion): whole
/// departments and single municipalities. Empty: the call does not limit the territory.
/// [`CallTerritory::contains`] is a table lookup and a set lookup, cheap enough for every row
/// of a screening.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallTerritory {
    /// Indexed by the department's two digits.
    departments: Vec<bool>,
    municipalities: std::collections::BTreeSet<DaneCode>,
    limited: bool,
}

impl CallTerritory {
    /// The territory of these departments and municipalities.
    pub fn new(
        departments: impl IntoIterator<Item = DepartmentCode>,
        municipalities: impl IntoIterator<Item = DaneCode>,
    ) -> Self {
        let mut territory = CallTerritory {
            departments: vec![false; 100],
            ..CallTerritory::default()
        };
        for department in departments {
            territory.departments[department.index()] = true;
            territory.limited = true;
        }
        for municipality in municipalities {
            territory.municipalities.insert(municipality);
            territory.limited = true;
        }
        territory
    }

    /// Reads a list such as `18, 86001`: department (2 digits) and municipality (5 digits)
    /// codes, separated by commas or spaces.
    pub fn parse(text: &str) -> Result<Self, TerritoryError> {
        let mut departments = Vec::new();
        let mut municipalities = Vec::new();
        for code in text
            .split([',', ' ', ';'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            if code.len() <= 2 {
                departments.push(DepartmentCode::parse(code)?);
            } else {
                municipalities.push(DaneCode::parse(code)?);
            }
        }
        Ok(CallTerritory::new(departments, municipalities))
    }

    /// Whether the territory is limited at all.
    pub fn is_limited(&self) -> bool {
        self.limited
    }

    /// Whether a household of `municipality` lies in the territory (always, when unlimited).
    pub fn contains(&self, municipality: DaneCode) -> bool {
        !self.limited
            || self.departments[municipality.department_code().index()]
            || self.municipalities.contains(&municipality)
    }
}

text_enum! {
    /// What kind of DIVIPOLA unit a code names.
    pub enum MunicipalUnitKind ("municipal unit kind") {
        Municipality = "municipality",
        /// San Andrés, the island administered directly by its department.
        Island = "island",
        /// Área no municipalizada (Amazonas, Guainía, Vaupés).
        NonMunicipalizedArea = "non_municipalized_area",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub code: DepartmentCode,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Municipality {
    pub code: DaneCode,
    pub name: String,
    pub department_code: DepartmentCode,
    pub kind: MunicipalUnitKind,
    /// The PDET subregion, for the 170 PDET municipalities.
    pub pdet_subregion: Option<String>,
}

/// The municipal multidimensional poverty index (IPM), in % of persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PovertyIndex {
    pub total: Decimal,
    /// Cabeceras.
    pub urban: Option<Decimal>,
    /// Centros poblados y rural disperso.
    pub rural: Option<Decimal>,
}

impl PovertyIndex {
    /// Builds an index whose parts are percentages between 0 and 100.
    pub fn new(total: Decimal, urban: Option<Decimal>, rural: Option<Decimal>) -> Result<Self, Message> {
        for (name, value) in [
            ("ipm_total", Some(total)),
            ("ipm_urban", urban),
            ("ipm_rural", rural),
        ] {
            if let Some(v) = value
                && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&v)
            {
                return Err(Message::new("row-error-percentage")
                    .with("field", name)
                    .with("value", v));
            }
        }
        Ok(Self { total, urban, rural })
    }
}

/// The shipped reference catalogue.
#[derive(Debug)]
pub struct Catalog {
    pub departments: Vec<Department>,
    pub municipalities: Vec<Municipality>,
    /// The 16 PDET subregions, sorted by name.
    pub pdet_subregions: Vec<String>,
    /// The DANE census 2018 IPM where the shipped table has it.
    pub poverty_2018: BTreeMap<DaneCode, PovertyIndex>,
    municipalities_by_code: HashMap<DaneCode, usize>,
    /// Indexed by the code as a number: whether it exists. Registries of millions of rows
    /// check every code, so this is a plain table rather than a hash lookup.
    existing_codes: Vec<bool>,
}

impl Catalog {
    fn code_exists(&self, code: DaneCode) -> bool {
        let number = code.0.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
        self.existing_codes.get(number).copied().unwrap_or(false)
    }

    pub fn department(&self, code: DepartmentCode) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    build_catalog().unwrap_or_else(|e| panic!("the shipped reference data in data/ is broken: {e}"))
});

/// The catalogue compiled in from `data/`.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

fn read_rows(name: &str, text: &str) -> Result<Vec<HashMap<String, String>>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .deserialize::<HashMap<String, String>>()
        .enumerate()
        .map(|(index, row)| row.map_err(|e| format!("{name} line {}: {e}", index + 2)))
        .collect()
}

fn field<'a>(row: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    row.get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("missing column {name}"))
}

fn build_catalog() -> Result<Catalog, String> {
    let mut departments = Vec::new();
    for row in read_rows(
        "divipola_departamentos.csv",
        include_str!("../../../data/divipola_departamentos.csv"),
    )? {
        let code = field(&row, "department_code")?;
        let bytes: [u8; 2] = code
            .as_bytes()
            .try_into()
            .map_err(|_| format!("bad department {code}"))?;
        departments.push(Department {
            code: DepartmentCode(bytes),
            name: field(&row, "department")?.to_owned(),
        });
    }

    let non_municipalized: Vec<String> = read_rows(
        "divipola_areas_no_municipalizadas.csv",
        include_str!("../../../data/divipola_areas_no_municipalizadas.csv"),
    )?
    .iter()
    .map(|row| field(row, "dane_code").map(str::to_owned))
    .collect::<Result<_, _>>()?;

    let mut pdet: HashMap<String, String> = HashMap::new();
    for row in read_rows(
        "pdet_municipios.csv",
        include_str!("../../../data/pdet_municipios.csv"),
    )? {
        pdet.insert(
            field(&row, "dane_code")?.to_owned(),
            field(&row, "pdet_subregion")?.to_owned(),
        );
    }

    let mut municipalities = Vec::new();
    let mut municipalities_by_code = HashMap::new();
    for row in read_rows(
        "divipola_municipios.csv",
        include_str!("../../../data/divipola_municipios.csv"),
    )? {
        let code_text = field(&row, "dane_code")?;
        let bytes: [u8; 5] = code_text
            .as_bytes()
            .try_into()
            .map_err(|_| format!("bad code {code_text}"))?;
        let code = DaneCode(bytes);
        let kind = if non_municipalized.iter().any(|c| c == code_text) {
            MunicipalUnitKind::NonMunicipalizedArea
        } else if code_text == "88001" {
            MunicipalUnitKind::Island
        } else {
            MunicipalUnitKind::Municipality
        };
        municipalities_by_code.insert(code, municipalities.len());
        municipalities.push(Municipality {
            code,
            name: field(&row, "municipality")?.to_owned(),
            department_code: code.department_code(),
            kind,
            pdet_subregion: pdet.get(code_text).cloned(),
        });
    }
    if let Some(missing) = pdet
        .keys()
        .find(|c| !municipalities.iter().any(|m| m.code.as_str() == c.as_str()))
    {
        return Err(format!("PDET municipality {missing} is not in DIVIPOLA"));
    }

    let mut pdet_subregions: Vec<String> = pdet.into_values().collect();
    pdet_subregions.sort();
    pdet_subregions.dedup();

    let mut poverty_2018 = BTreeMap::new();
    for row in read_rows(
        "ipm_2018_municipal_partial.csv",
        include_str!("../../../data/ipm_2018_municipal_partial.csv"),
    )? {
        let code_text = field(&row, "dane_code")?;
        let code = municipalities_by_code
            .keys()
            .find(|c| c.as_str() == code_text)
            .copied()
            .ok_or_else(|| format!("IPM row for unknown code {code_text}"))?;
        let number = |name: &str| -> Result<Option<Decimal>, String> {
            let text = field(&row, name)?;
            if text.is_empty() {
                Ok(None)
            } else {
                Decimal::from_str(text)
                    .map(Some)
                    .map_err(|e| format!("{name} {text:?}: {e}"))
            }
        };
        let total = number("ipm_total")?.ok_or_else(|| format!("IPM row {code_text} has no total"))?;
        poverty_2018.insert(
            code,
            PovertyIndex::new(total, number("ipm_urban")?, number("ipm_rural")?)
                .map_err(|m| m.to_string())?,
        );
    }

    Ok(Catalog {
        departments,
        municipalities,
        pdet_subregions,
        poverty_2018,
        existing_codes: {
            let mut existing = vec![false; 100_000];
            for code in municipalities_by_code.keys() {
                let number = code.0.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
                existing[number] = true;
            }
            existing
        },
        municipalities_by_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_call_territory_holds_its_departments_and_municipalities() {
        let code = |text: &str| DaneCode::parse(text).expect("code");
        let territory = CallTerritory::parse("18, 86001").expect("territory");
        assert!(territory.is_limited());
        assert!(
            territory.contains(code("18753")),
            "San Vicente del Caguán, Caquetá"
        );
        assert!(territory.contains(code("86001")), "Mocoa, named");
        assert!(
            !territory.contains(code("86320")),
            "Orito: Putumayo is not the call's"
        );
        assert!(!territory.contains(code("05001")), "Medellín");
        assert!(!territory.contains(code("17524")), "Palestina, Caldas");
        assert!(!CallTerritory::default().is_limited());
        assert!(
            CallTerritory::default().contains(code("05001")),
            "no territory: nobody outside"
        );
        assert!(CallTerritory::parse("").is_ok_and(|t| !t.is_limited()));
        assert!(CallTerritory::parse("12").is_err(), "no department 12");
        assert!(CallTerritory::parse("99999").is_err());
    }

    proptest! {
        #[test]
        fn a_municipality_is_in_a_territory_exactly_when_its_department_or_itself_is_named(
            departments in proptest::collection::vec(0usize..33, 0..4),
            municipalities in proptest::collection::vec(0usize..1122, 0..6),
        ) {
            let catalog = catalog();
            let departments: Vec<DepartmentCode> =
                departments.iter().map(|i| catalog.departments[*i].code).collect();
            let municipalities: Vec<DaneCode> =
                municipalities.iter().map(|i| catalog.municipalities[*i].code).collect();
            let territory = CallTerritory::new(departments.clone(), municipalities.clone());
            let unlimited = departments.is_empty() && municipalities.is_empty();
            for municipality in &catalog.municipalities {
                let expected = unlimited
                    || departments.contains(&municipality.department_code)
                    || municipalities.contains(&municipality.code);
                prop_assert_eq!(territory.contains(municipality.code), expected);
            }
        }
    }

    #[test]
    fn ships_the_whole_divipola() {
        let catalog = catalog();
        assert_eq!(catalog.departments.len(), 33);
        assert_eq!(catalog.municipalities.len(), 1122);
        let count = |kind| catalog.municipalities.iter().filter(|m| m.kind == kind).count();
        assert_eq!(count(MunicipalUnitKind::Municipality), 1103);
        assert_eq!(count(MunicipalUnitKind::Island), 1);
        assert_eq!(count(MunicipalUnitKind::NonMunicipalizedArea), 18);
    }

    #[test]
    fn ships_16_pdet_subregions_and_170_municipalities() {
        let catalog = catalog();
        assert_eq!(catalog.pdet_subregions.len(), 16);
        assert_eq!(
            catalog
                .municipalities
                .iter()
                .filter(|m| m.pdet_subregion.is_some())
                .count(),
            170
        );
    }

    #[test]
    fn spot_checks_hold() {
        let florencia = DaneCode::parse("18001").expect("Florencia exists").municipality();
        assert_eq!(florencia.name, "FLORENCIA");
        assert_eq!(
            florencia.pdet_subregion.as_deref(),
            Some("Cuenca del Caguán y Piedemonte Caqueteño")
        );
        let tumaco = DaneCode::parse("52835").expect("Tumaco exists").municipality();
        assert_eq!(
            tumaco.pdet_subregion.as_deref(),
            Some("Pacífico y Frontera Nariñense")
        );
        assert_eq!(tumaco.department_code.as_str(), "52");
        let mocoa = DaneCode::parse("86001").expect("Mocoa exists");
        assert!(catalog().poverty_2018.contains_key(&mocoa));
    }

    #[test]
    fn rejects_codes_that_do_not_exist() {
        assert_eq!(
            DaneCode::parse("18002"),
            Err(TerritoryError::UnknownMunicipality("18002".into()))
        );
        assert!(matches!(
            DaneCode::parse("1800"),
            Err(TerritoryError::UnknownMunicipality(_))
        ));
        assert!(matches!(
            DaneCode::parse("18O01"),
            Err(TerritoryError::MalformedMunicipalityCode(_))
        ));
        assert!(matches!(
            DaneCode::parse(""),
            Err(TerritoryError::MalformedMunicipalityCode(_))
        ));
        assert!(matches!(
            DepartmentCode::parse("12"),
            Err(TerritoryError::UnknownDepartment(_))
        ));
        let message = DaneCode::parse("99999").expect_err("unknown").to_string();
        assert_eq!(message, "DANE code 99999 does not exist in DIVIPOLA");
    }

    #[test]
    fn restores_the_leading_zero_that_spreadsheets_drop() {
        assert_eq!(
            DaneCode::parse("5001").map(|c| c.to_string()),
            Ok("05001".to_owned())
        );
    }

    #[test]
    fn rejects_ipm_outside_percentages() {
        assert!(PovertyIndex::new(Decimal::from(101), None, None).is_err());
        assert!(PovertyIndex::new(Decimal::from(50), Some(Decimal::from(-1)), None).is_err());
    }

    proptest! {
        #[test]
        fn a_code_parses_exactly_when_divipola_has_it(n in 0u32..100_000) {
            let text = format!("{n:05}");
            let exists = catalog().municipalities.iter().any(|m| m.code.as_str() == text);
            let parsed = DaneCode::parse(&text);
            prop_assert_eq!(parsed.is_ok(), exists);
            if let Ok(code) = parsed {
                prop_assert_eq!(code.as_str(), text.as_str());
            }
        }
    }
}
