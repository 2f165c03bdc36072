//! The verification of a household's parcels (Art. 12-13): the title study (verificación
//! jurídica, Art. 12), the field visit against the five minimum conditions (verificación
//! técnica, Art. 13 and its parágrafo), and the parcel's standing derived from both.
//!
//! Reading: a parcel is suitable only when its title study is favourable, names an owner who
//! is a member of the household, finds no limitation that limits the use of the parcel, and
//! the field visit found the five conditions of Art. 13 met. A parcel not yet studied or not
//! yet visited is not suitable.

use rust_decimal::Decimal;

use crate::household::normalize_document;
use crate::message::Message;
use crate::text::fold_for_search;
use crate::text_enum::text_enum;

text_enum! {
    /// The five minimum conditions of Art. 13, checked on the field visit.
    pub enum SiteCondition ("site condition") {
        /// Art. 13.1: zona apta, clasificada como suelo rural en el POT o EOT.
        RuralLand = "rural_land",
        /// Art. 13.2: fuera de áreas de conservación y protección ambiental.
        OutsideProtectedAreas = "outside_protected_areas",
        /// Art. 13.3: sin restricciones ambientales, de riesgo o de explotación de recursos
        /// no renovables, ni en zonas de amortiguación.
        NoRestrictionsOrRisks = "no_restrictions_or_risks",
        /// Art. 13.4: calidad mínima de suelos y topografía requerida.
        SoilAndTopography = "soil_and_topography",
        /// Art. 13.5: disponibilidad permanente de agua.
        WaterAvailability = "water_availability",
    }
}

impl SiteCondition {
    /// The numeral of Art. 13 that states the condition.
    pub fn article(self) -> &'static str {
        match self {
            SiteCondition::RuralLand => "Art. 13.1",
            SiteCondition::OutsideProtectedAreas => "Art. 13.2",
            SiteCondition::NoRestrictionsOrRisks => "Art. 13.3",
            SiteCondition::SoilAndTopography => "Art. 13.4",
            SiteCondition::WaterAvailability => "Art. 13.5",
        }
    }
}

/// The facts of a title study that decide the standing (Art. 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TitleFacts {
    /// The study's result: favourable or not.
    pub favourable: bool,
    /// The owner named in the title is a member of the household.
    pub owner_is_member: bool,
    /// A limitation or encumbrance limits the use of the parcel.
    pub limits_use: bool,
}

/// Why a parcel is not suitable, each with its article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParcelIssue {
    NoTitleStudy,
    NoFieldVisit,
    TitleNotFavourable,
    OwnerNotMember,
    UseLimited,
    ConditionNotMet(SiteCondition),
}

impl ParcelIssue {
    pub fn article(self) -> &'static str {
        match self {
            ParcelIssue::NoTitleStudy
            | ParcelIssue::TitleNotFavourable
            | ParcelIssue::OwnerNotMember
            | ParcelIssue::UseLimited => "Art. 12",
            ParcelIssue::NoFieldVisit => "Art. 13 par.",
            ParcelIssue::ConditionNotMet(condition) => condition.article(),
        }
    }

    /// The issue as a message of the catalogue, with its article.
    pub fn message(self) -> Message {
        let message = match self {
            ParcelIssue::NoTitleStudy => Message::new("parcel-issue-no_title_study"),
            ParcelIssue::NoFieldVisit => Message::new("parcel-issue-no_field_visit"),
            ParcelIssue::TitleNotFavourable => Message::new("parcel-issue-title_not_favourable"),
            ParcelIssue::OwnerNotMember => Message::new("parcel-issue-owner_not_member"),
            ParcelIssue::UseLimited => Message::new("parcel-issue-use_limited"),
            ParcelIssue::ConditionNotMet(condition) => Message::new("parcel-issue-condition_not_met")
                .with_term("condition", format!("parcel-condition-{condition}")),
        };
        message.with("article", self.article())
    }
}

/// A parcel's standing: suitable, or not with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Suitable,
    NotSuitable(Vec<ParcelIssue>),
}

impl Standing {
    pub fn is_suitable(&self) -> bool {
        matches!(self, Standing::Suitable)
    }

    pub fn issues(&self) -> &[ParcelIssue] {
        match self {
            Standing::Suitable => &[],
            Standing::NotSuitable(issues) => issues,
        }
    }
}

/// Decides a parcel's standing from its title study and the conditions its field visit found
/// met (`None`: not recorded yet). A condition missing from `met` counts as not met.
pub fn parcel_standing(title: Option<TitleFacts>, met: Option<&[(SiteCondition, bool)]>) -> Standing {
    let mut issues = Vec::new();
    match title {
        None => issues.push(ParcelIssue::NoTitleStudy),
        Some(title) => {
            if !title.favourable {
                issues.push(ParcelIssue::TitleNotFavourable);
            }
            if !title.owner_is_member {
                issues.push(ParcelIssue::OwnerNotMember);
            }
            if title.limits_use {
                issues.push(ParcelIssue::UseLimited);
            }
        }
    }
    match met {
        None => issues.push(ParcelIssue::NoFieldVisit),
        Some(met) => {
            for condition in SiteCondition::ALL {
                let ok = met.iter().any(|(c, m)| c == condition && *m);
                if !ok {
                    issues.push(ParcelIssue::ConditionNotMet(*condition));
                }
            }
        }
    }
    if issues.is_empty() {
        Standing::Suitable
    } else {
        Standing::NotSuitable(issues)
    }
}

/// A member of the household as the title study compares it.
#[derive(Debug, Clone, Copy)]
pub struct MemberRef<'a> {
    pub document: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// Whether the owner named in the title is a member of the household: by normalised document
/// when the title gives one (a different document is a mismatch even with the same name),
/// else by the full name, folded for case and accents.
pub fn owner_is_member(owner_document: &str, owner_name: &str, members: &[MemberRef<'_>]) -> bool {
    let document = normalize_document(owner_document);
    if !document.is_empty() {
        return members.iter().any(|m| normalize_document(m.document) == document);
    }
    let name = fold_name(owner_name);
    !name.is_empty()
        && members
            .iter()
            .any(|m| fold_name(&format!("{} {}", m.first_name, m.last_name)) == name)
}

fn fold_name(name: &str) -> String {
    fold_for_search(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A coordinate outside Colombia's ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CoordinateError {
    #[error("the latitude must be between -5 and 14 (Colombia)")]
    Latitude,
    #[error("the longitude must be between -82 and -66 (Colombia)")]
    Longitude,
}

impl CoordinateError {
    pub fn message(&self) -> Message {
        match self {
            CoordinateError::Latitude => Message::new("parcel-error-latitude"),
            CoordinateError::Longitude => Message::new("parcel-error-longitude"),
        }
    }
}

/// Checks a point against Colombia's ranges: latitude −5..14, longitude −82..−66.
pub fn check_coordinates(latitude: Decimal, longitude: Decimal) -> Vec<CoordinateError> {
    let mut errors = Vec::new();
    if latitude < Decimal::from(-5) || latitude > Decimal::from(14) {
        errors.push(CoordinateError::Latitude);
    }
    if longitude < Decimal::from(-82) || longitude > Decimal::from(-66) {
        errors.push(CoordinateError::Longitude);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Arg;
    use rust_decimal_macros::dec;

    const GOOD_TITLE: TitleFacts = TitleFacts {
        favourable: true,
        owner_is_member: true,
        limits_use: false,
    };

    fn all_met() -> Vec<(SiteCondition, bool)> {
        SiteCondition::ALL.iter().map(|c| (*c, true)).collect()
    }

    #[test]
    fn a_favourable_title_and_all_conditions_make_it_suitable() {
        assert_eq!(
            parcel_standing(Some(GOOD_TITLE), Some(&all_met())),
            Standing::Suitable
        );
    }

    #[test]
    fn each_condition_failing_alone_is_named_with_its_article() {
        for condition in SiteCondition::ALL {
            let met: Vec<_> = all_met()
                .into_iter()
                .map(|(c, m)| (c, m && c != *condition))
                .collect();
            let standing = parcel_standing(Some(GOOD_TITLE), Some(&met));
            assert_eq!(standing.issues(), &[ParcelIssue::ConditionNotMet(*condition)]);
            let said = standing.issues()[0].message();
            assert_eq!(said.code(), "parcel-issue-condition_not_met");
            assert_eq!(said.arg("article"), Some(&Arg::Text(condition.article().into())));
        }
        // A condition left out of the visit counts as not met.
        let partial = &all_met()[1..];
        assert_eq!(
            parcel_standing(Some(GOOD_TITLE), Some(partial)).issues(),
            &[ParcelIssue::ConditionNotMet(SiteCondition::RuralLand)]
        );
    }

    #[test]
    fn the_title_study_fails_on_its_result_owner_or_limitation() {
        let met = all_met();
        let not_favourable = TitleFacts {
            favourable: false,
            ..GOOD_TITLE
        };
        assert_eq!(
            parcel_standing(Some(not_favourable), Some(&met)).issues(),
            &[ParcelIssue::TitleNotFavourable]
        );
        let stranger = TitleFacts {
            owner_is_member: false,
            ..GOOD_TITLE
        };
        let standing = parcel_standing(Some(stranger), Some(&met));
        assert_eq!(standing.issues(), &[ParcelIssue::OwnerNotMember]);
        assert_eq!(
            standing.issues()[0].message().arg("article"),
            Some(&Arg::Text("Art. 12".into()))
        );
        let limited = TitleFacts {
            limits_use: true,
            ..GOOD_TITLE
        };
        assert_eq!(
            parcel_standing(Some(limited), Some(&met)).issues(),
            &[ParcelIssue::UseLimited]
        );
    }

    #[test]
    fn nothing_recorded_is_not_suitable() {
        assert_eq!(
            parcel_standing(None, None).issues(),
            &[ParcelIssue::NoTitleStudy, ParcelIssue::NoFieldVisit]
        );
        assert_eq!(
            parcel_standing(Some(GOOD_TITLE), None).issues(),
            &[ParcelIssue::NoFieldVisit]
        );
    }

    #[test]
    fn the_owner_matches_by_document_then_by_name() {
        let members = [MemberRef {
            document: "1.234.567",
            first_name: "Ana María",
            last_name: "Pérez",
        }];
        assert!(owner_is_member("001234567", "otra", &members));
        assert!(!owner_is_member("7654321", "Ana María Pérez", &members));
        assert!(owner_is_member("", "  ANA  maria perez ", &members));
        assert!(!owner_is_member("", "Luis Gómez", &members));
        assert!(!owner_is_member("", "", &members));
    }

    #[test]
    fn coordinates_must_be_in_colombia() {
        assert!(check_coordinates(dec!(1.6), dec!(-75.6)).is_empty());
        assert!(check_coordinates(dec!(-5), dec!(-82)).is_empty());
        assert_eq!(
            check_coordinates(dec!(14.01), dec!(-75)),
            vec![CoordinateError::Latitude]
        );
        assert_eq!(
            check_coordinates(dec!(40.4), dec!(-3.7)),
            vec![CoordinateError::Latitude, CoordinateError::Longitude]
        );
    }
}
