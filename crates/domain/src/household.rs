//! Households (núcleos familiares), their members, and their parcels (predios).
//!
//! The names of the values are those of the screening data contract
//! (`docs/screening-contract.md`), so a file, a form and the database speak alike.

use crate::text_enum::text_enum;

text_enum! {
    /// Identity document of a person (Registraduría and Migración Colombia).
    pub enum DocumentType ("document type") {
        /// Cédula de ciudadanía.
        Cc = "CC",
        /// Tarjeta de identidad.
        Ti = "TI",
        /// Cédula de extranjería.
        Ce = "CE",
        /// Permiso especial de permanencia.
        Pep = "PEP",
        /// Permiso por protección temporal.
        Ppt = "PPT",
        /// Registro civil.
        Rc = "RC",
    }
}

text_enum! {
    pub enum Sex ("sex") {
        Female = "F",
        Male = "M",
        Other = "X",
    }
}

text_enum! {
    /// The population of the AREL line (Art. 38): one of its six groups, backed by a
    /// "documento idóneo" (Art. 38 par. 2), or none.
    #[derive(Default)]
    pub enum ArelPopulationGroup ("AREL population group") {
        #[default]
        None = "none",
        /// 1. Artisanal fishers, beneficiaries of the institute's programs.
        ArtisanalFisher = "artisanal_fisher",
        /// 2. Limited-resource aquaculturists, beneficiaries of the institute's programs.
        LimitedResourceAquaculturist = "limited_resource_aquaculturist",
        /// 3. Beneficiaries of the institute's investments of 2006 and 2007.
        Investments2006To2007 = "investments_2006_2007",
        /// 4. Beneficiaries of the public calls of 2008, 2009, 2010 and 2011 (par. 4: attended
        /// by the call's year, then by the project's score).
        Calls2008To2011 = "calls_2008_2011",
        /// 5. Artisanal fishers living in the Archipiélago de San Andrés.
        SanAndresFisher = "san_andres_fisher",
        /// 6. Limited-resource aquaculturists living in the Archipiélago de San Andrés.
        SanAndresAquaculturist = "san_andres_aquaculturist",
    }
}

impl ArelPopulationGroup {
    /// The numeral of Art. 38 (1-6), `None` for no group.
    pub fn numeral(self) -> Option<u8> {
        u8::try_from(self.index()).ok().filter(|n| *n > 0)
    }
}

/// The years of the public calls of Art. 38.4: piscicultura 2008, acuicultura 2009 and 2010,
/// acuicultura y pesca 2011.
pub const AREL_CALL_YEARS: [i16; 4] = [2008, 2009, 2010, 2011];

text_enum! {
    /// Grupo étnico (Art. 7).
    pub enum EthnicGroup ("ethnic group") {
        None = "none",
        Indigenous = "indigenous",
        Afro = "afro",
        Raizal = "raizal",
        Palenquero = "palenquero",
        Rrom = "rrom",
    }
}

text_enum! {
    /// Tenencia of the parcel of the project (Art. 9 b, Art. 40).
    pub enum LandTenure ("land tenure") {
        Owner = "owner",
        Tenant = "tenant",
        Comodato = "comodato",
        Occupant = "occupant",
        None = "none",
    }
}

text_enum! {
    /// Sisbén III area: 1 = the 14 main cities, 2 = rest urban, 3 = rural.
    pub enum SisbenArea ("Sisbén area") {
        MainCities = "1",
        RestUrban = "2",
        Rural = "3",
    }
}

text_enum! {
    /// Actividad productiva in course or intended (Art. 9 e).
    pub enum ProductiveActivity ("productive activity") {
        Agricultural = "agricultural",
        Livestock = "livestock",
        Fishing = "fishing",
        Aquaculture = "aquaculture",
        Forestry = "forestry",
        Agroindustrial = "agroindustrial",
        RuralIncome = "rural_income",
        None = "none",
    }
}

/// The matching key of a document number: upper-cased, without spaces, dots, commas or
/// hyphens, and without leading zeros, so `001.234.567` matches `1234567`.
pub fn normalize_document(document: &str) -> String {
    let cleaned: String = document
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | ',' | '-') && !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    let stripped = cleaned.trim_start_matches('0');
    if stripped.is_empty() && !cleaned.is_empty() {
        "0".to_owned()
    } else {
        stripped.to_owned()
    }
}

/// Shows at most the last three characters of a document (Ley 1581 de 2012).
pub fn mask_document(document: &str) -> String {
    let normalized = normalize_document(document);
    let chars: Vec<char> = normalized.chars().collect();
    let visible = chars.len().min(3);
    let hidden = chars.len() - visible;
    let tail: String = chars[hidden..].iter().collect();
    format!("{}{tail}", "•".repeat(hidden.max(3)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalizes_documents_as_the_contract_says() {
        assert_eq!(normalize_document("1.234.567"), "1234567");
        assert_eq!(normalize_document(" 001-234 567 "), "1234567");
        assert_eq!(normalize_document("ab-12,3"), "AB123");
        assert_eq!(normalize_document("000"), "0");
        assert_eq!(normalize_document(""), "");
    }

    #[test]
    fn masks_all_but_the_last_three_characters() {
        assert_eq!(mask_document("1.234.567"), "••••567");
        assert_eq!(mask_document("12"), "•••12");
    }

    #[test]
    fn contract_values_parse() {
        assert_eq!("cc".parse::<DocumentType>(), Ok(DocumentType::Cc));
        assert_eq!("comodato".parse::<LandTenure>(), Ok(LandTenure::Comodato));
        assert_eq!("3".parse::<SisbenArea>(), Ok(SisbenArea::Rural));
        assert!("4".parse::<SisbenArea>().is_err());
    }

    proptest! {
        #[test]
        fn normalizing_twice_changes_nothing(document in "[0-9 .,A-Za-z-]{0,20}") {
            let once = normalize_document(&document);
            prop_assert_eq!(normalize_document(&once), once.clone());
        }

        #[test]
        fn formatting_never_changes_the_key(n in 1u64..10_000_000_000) {
            let plain = n.to_string();
            let dotted: String = plain.chars().rev().collect::<Vec<_>>().chunks(3)
                .map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(".")
                .chars().rev().collect();
            prop_assert_eq!(normalize_document(&format!("00{dotted}")), plain);
        }

        #[test]
        fn a_mask_never_shows_more_than_three_characters(document in "[0-9]{1,15}") {
            let masked = mask_document(&document);
            prop_assert!(masked.chars().filter(|c| *c != '•').count() <= 3);
        }
    }
}
