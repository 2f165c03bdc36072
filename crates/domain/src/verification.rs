//! The verification of the households of a call (Art. 11-14, 45, 46): the documents each
//! household owes after the notice of the institutional offer, the term to bring them, the
//! outcome of the verification, tacit withdrawal, and the letters sent to the household.
//!
//! Reading of the checklist (Art. 9 and 11): the identity document of the head of household
//! (the qualities of Art. 9 are the head's; other members' documents are not required), the
//! Sisbén certificate, the title record (folio de matrícula inmobiliaria) of the parcel of the
//! project, the RUV certificate (Registro Único de Víctimas) when the household is displaced,
//! and the certificate of the ethnic community when the household belongs to an ethnic group.

use jiff::civil::Date;

use crate::calendar::{CalendarError, add_business_days};
use crate::household::EthnicGroup;
use crate::message::{Arg, Message};
use crate::text_enum::text_enum;

/// The term to bring the documents, in business days after the notice (Art. 14).
pub const DOCUMENT_TERM_BUSINESS_DAYS: u32 = 20;

text_enum! {
    /// A document of the checklist.
    pub enum DocumentKind ("document kind") {
        /// Identity document of the head of household.
        Identity = "identity",
        /// Certificate of the Sisbén score.
        Sisben = "sisben",
        /// Folio de matrícula inmobiliaria of the parcel of the project.
        TitleRecord = "title_record",
        /// Registro Único de Víctimas: displaced households.
        Ruv = "ruv",
        /// Certificate of the ethnic community (cabildo, consejo comunitario...).
        EthnicCertificate = "ethnic_certificate",
    }
}

text_enum! {
    /// Where a household stands in the verification.
    pub enum VerificationStatus ("verification status") {
        Pending = "pending",
        Eligible = "eligible",
        NotEligible = "not_eligible",
        /// Tacit withdrawal (Art. 45), confirmed by an officer.
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// The written communications to a household (Art. 46).
    pub enum LetterKind ("letter kind") {
        Offer = "offer",
        VerificationResult = "verification_result",
        Withdrawal = "withdrawal",
        /// The award (Art. 27).
        Award = "award",
        /// The answer to a citizen's petition (Ley 1755 de 2015): `crate::petition::render_answer`.
        PetitionAnswer = "petition_answer",
    }
}

/// The documents a household owes, from its facts.
pub fn required_documents(displaced: bool, ethnic_group: EthnicGroup) -> Vec<DocumentKind> {
    let mut kinds = vec![
        DocumentKind::Identity,
        DocumentKind::Sisben,
        DocumentKind::TitleRecord,
    ];
    if displaced {
        kinds.push(DocumentKind::Ruv);
    }
    if ethnic_group != EthnicGroup::None {
        kinds.push(DocumentKind::EthnicCertificate);
    }
    kinds
}

/// The required documents not among `received`, in checklist order.
pub fn missing_documents(required: &[DocumentKind], received: &[DocumentKind]) -> Vec<DocumentKind> {
    required
        .iter()
        .copied()
        .filter(|kind| !received.contains(kind))
        .collect()
}

/// The last day to bring the documents: the 20th business day after the notice.
pub fn document_deadline(notice: Date) -> Result<Date, CalendarError> {
    add_business_days(notice, DOCUMENT_TERM_BUSINESS_DAYS)
}

/// Whether tacit withdrawal is due (Art. 45): the term is over, documents are missing and
/// nothing has been decided yet. It is only a flag: an officer confirms it with a motivated
/// record.
pub fn withdrawal_due(
    status: VerificationStatus,
    deadline: Date,
    today: Date,
    missing: &[DocumentKind],
) -> bool {
    status == VerificationStatus::Pending && today > deadline && !missing.is_empty()
}

/// A change of a household's verification that the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("the household cannot be found eligible while documents are missing: {}", names(.0))]
    MissingDocuments(Vec<DocumentKind>),
    #[error("a decision of not eligible or of withdrawal needs its reasons in writing")]
    ReasonsRequired,
    #[error("tacit withdrawal applies only after the deadline {0} with documents missing")]
    WithdrawalNotDue(Date),
    #[error("the household's verification is already decided ({0})")]
    AlreadyDecided(VerificationStatus),
}

impl DecisionError {
    /// The refusal as a message of the catalogue.
    pub fn message(&self) -> Message {
        match self {
            DecisionError::MissingDocuments(kinds) => Message::new("verification-error-missing").with(
                "documents",
                Arg::Terms(kinds.iter().map(|k| format!("verification-doc-{k}")).collect()),
            ),
            DecisionError::ReasonsRequired => Message::new("verification-error-reasons"),
            DecisionError::WithdrawalNotDue(deadline) => {
                Message::new("verification-error-withdrawal_not_due").with("deadline", *deadline)
            }
            DecisionError::AlreadyDecided(status) => Message::new("verification-error-decided")
                .with_term("status", format!("verification-status-{status}")),
        }
    }
}

fn names(kinds: &[DocumentKind]) -> String {
    kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

/// Checks a decision against the household's state: `to` is the new status.
pub fn check_decision(
    from: VerificationStatus,
    to: VerificationStatus,
    reasons: &str,
    missing: &[DocumentKind],
    deadline: Date,
    today: Date,
) -> Result<(), DecisionError> {
    if from != VerificationStatus::Pending {
        return Err(DecisionError::AlreadyDecided(from));
    }
    match to {
        VerificationStatus::Pending => Err(DecisionError::AlreadyDecided(from)),
        VerificationStatus::Eligible if !missing.is_empty() => {
            Err(DecisionError::MissingDocuments(missing.to_vec()))
        }
        VerificationStatus::Eligible => Ok(()),
        VerificationStatus::NotEligible if reasons.trim().is_empty() => Err(DecisionError::ReasonsRequired),
        VerificationStatus::NotEligible => Ok(()),
        VerificationStatus::Withdrawn => {
            if !withdrawal_due(from, deadline, today, missing) {
                Err(DecisionError::WithdrawalNotDue(deadline))
            } else if reasons.trim().is_empty() {
                Err(DecisionError::ReasonsRequired)
            } else {
                Ok(())
            }
        }
    }
}

/// The Spanish name of a document, as letters and pages show it.
pub fn document_name_es(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Identity => "documento de identidad del jefe de hogar",
        DocumentKind::Sisben => "certificado del Sisbén",
        DocumentKind::TitleRecord => "folio de matrícula inmobiliaria del predio",
        DocumentKind::Ruv => "certificado del Registro Único de Víctimas (RUV)",
        DocumentKind::EthnicCertificate => "certificado de pertenencia a la comunidad étnica",
    }
}

/// What a letter says, besides its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterFacts {
    pub head_name: String,
    pub household_ref: String,
    pub call_name: String,
    pub call_code: String,
    pub deadline: Option<Date>,
    pub required: Vec<DocumentKind>,
    pub outcome: Option<VerificationStatus>,
    pub reasons: String,
    pub date: Date,
    /// What an award letter names (Art. 27); `None` for the other letters.
    pub award: Option<AwardFacts>,
}

/// The resolution an award letter communicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardFacts {
    pub project_code: String,
    pub project_title: String,
    /// The resolution's number, e.g. `DT-CAQ-2013-001`.
    pub resolution: String,
    /// The institute's contribution, already written for people (`$ 50.000.000`).
    pub institute_contribution: String,
}

/// A letter rendered as plain Spanish text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// Renders a letter to the head of household (Art. 46).
pub fn render_letter(kind: LetterKind, facts: &LetterFacts) -> Letter {
    let call = format!("{} ({})", facts.call_name, facts.call_code);
    let (subject, middle) = match kind {
        LetterKind::Offer => {
            let mut text = format!(
                "El Instituto le comunica la oferta institucional de la convocatoria {call} \
                 (Acuerdo 308 de 2013, art. 11).\n\nPara verificar las calidades de su núcleo \
                 familiar, por favor entregue los siguientes documentos"
            );
            match facts.deadline {
                Some(deadline) => text.push_str(&format!(
                    " a más tardar el {deadline} (veinte días hábiles, art. 14):\n"
                )),
                None => text.push_str(":\n"),
            }
            for kind in &facts.required {
                text.push_str(&format!("  - {}\n", document_name_es(*kind)));
            }
            text.push_str(
                "\nSi no entrega los documentos en el término, se entenderá que ha desistido \
                 de la cofinanciación (desistimiento tácito, art. 45).",
            );
            (format!("Oferta institucional: convocatoria {call}"), text)
        }
        LetterKind::VerificationResult => {
            let text = match facts.outcome {
                Some(VerificationStatus::Eligible) => format!(
                    "Verificados los documentos, su núcleo familiar cumple las calidades para \
                     continuar en la convocatoria {call}."
                ),
                _ => format!(
                    "Verificados los documentos, su núcleo familiar no cumple las calidades para \
                     continuar en la convocatoria {call}.\n\nMotivos: {}",
                    facts.reasons.trim()
                ),
            };
            (format!("Resultado de la verificación: convocatoria {call}"), text)
        }
        LetterKind::Withdrawal => (
            format!("Desistimiento tácito: convocatoria {call}"),
            format!(
                "Vencido el término para entregar los documentos{}, el Instituto registra el \
                 desistimiento tácito de su núcleo familiar en la convocatoria {call} \
                 (Acuerdo 308 de 2013, art. 45; Ley 1437 de 2011, art. 17).\n\nMotivos: {}",
                facts.deadline.map(|d| format!(" ({d})")).unwrap_or_default(),
                facts.reasons.trim()
            ),
        ),
        LetterKind::PetitionAnswer => (
            "Respuesta a su petición".to_owned(),
            facts.reasons.trim().to_owned(),
        ),
        LetterKind::Award => match &facts.award {
            Some(award) => (
                format!("Adjudicación: resolución {}", award.resolution),
                format!(
                    "El Instituto le comunica que por la resolución {resolution} adjudicó la \
                     cofinanciación del proyecto {code} «{title}», en el que participa su núcleo \
                     familiar, en la convocatoria {call} (Acuerdo 308 de 2013, art. 27).\n\n\
                     Aporte del instituto: {contribution}.\n\nEl desembolso requiere la cuenta de \
                     firma conjunta y la póliza de cumplimiento aprobada (art. 31 y 32).",
                    resolution = award.resolution,
                    code = award.project_code,
                    title = award.project_title,
                    contribution = award.institute_contribution,
                ),
            ),
            None => (
                format!("Adjudicación: convocatoria {call}"),
                format!(
                    "El Instituto le comunica la adjudicación de la cofinanciación en la convocatoria {call}."
                ),
            ),
        },
    };
    let body = format!(
        "{date}\n\nSeñor(a)\n{head}\nNúcleo familiar {reference}\n\nAsunto: {subject}\n\n\
         Respetado(a) {head}:\n\n{middle}\n\nCordialmente,\n\nDirección territorial\n\
         Programa de cofinanciación de proyectos de desarrollo rural (Acuerdo 308 de 2013)\n",
        date = facts.date,
        head = facts.head_name,
        reference = facts.household_ref,
    );
    Letter { subject, body }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_checklist_follows_the_households_facts() {
        use DocumentKind::*;
        assert_eq!(
            required_documents(false, EthnicGroup::None),
            vec![Identity, Sisben, TitleRecord]
        );
        assert_eq!(
            required_documents(true, EthnicGroup::Afro),
            vec![Identity, Sisben, TitleRecord, Ruv, EthnicCertificate]
        );
        assert_eq!(
            missing_documents(&required_documents(true, EthnicGroup::None), &[Sisben, Identity]),
            vec![TitleRecord, Ruv]
        );
    }

    #[test]
    fn the_deadline_is_the_twentieth_business_day_after_the_notice() {
        // 2026-03-02 is a Monday; Holy Thursday and Good Friday are April 2 and 3;
        // March 23 is San José (March 19, moved to Monday): 20 business days end on March 31.
        let deadline = document_deadline(date(2026, 3, 2)).expect("deadline");
        assert_eq!(deadline, date(2026, 3, 31));
    }

    #[test]
    fn decisions_follow_the_rules() {
        use VerificationStatus::*;
        let deadline = date(2026, 4, 1);
        let missing = [DocumentKind::Ruv];
        assert_eq!(
            check_decision(Pending, Eligible, "", &missing, deadline, date(2026, 3, 10)),
            Err(DecisionError::MissingDocuments(vec![DocumentKind::Ruv]))
        );
        assert!(check_decision(Pending, Eligible, "", &[], deadline, date(2026, 3, 10)).is_ok());
        assert_eq!(
            check_decision(Pending, NotEligible, " ", &[], deadline, date(2026, 3, 10)),
            Err(DecisionError::ReasonsRequired)
        );
        assert_eq!(
            check_decision(Pending, Withdrawn, "no trajo", &missing, deadline, deadline),
            Err(DecisionError::WithdrawalNotDue(deadline))
        );
        assert_eq!(
            check_decision(Pending, Withdrawn, "", &missing, deadline, date(2026, 4, 2)),
            Err(DecisionError::ReasonsRequired)
        );
        assert!(
            check_decision(
                Pending,
                Withdrawn,
                "no trajo",
                &missing,
                deadline,
                date(2026, 4, 2)
            )
            .is_ok()
        );
        assert_eq!(
            check_decision(Eligible, NotEligible, "x", &[], deadline, date(2026, 3, 10)),
            Err(DecisionError::AlreadyDecided(Eligible))
        );
        assert!(withdrawal_due(Pending, deadline, date(2026, 4, 2), &missing));
        assert!(!withdrawal_due(Pending, deadline, date(2026, 4, 2), &[]));
        assert!(!withdrawal_due(Withdrawn, deadline, date(2026, 4, 2), &missing));
    }

    #[test]
    fn letters_name_the_head_the_call_and_the_reasons() {
        let facts = LetterFacts {
            head_name: "María Fernanda Cuéllar Rojas".into(),
            household_ref: "CAQ-0001".into(),
            call_name: "Convocatoria 2026".into(),
            call_code: "C-2026".into(),
            deadline: Some(date(2026, 4, 1)),
            required: required_documents(true, EthnicGroup::None),
            outcome: None,
            reasons: "No entregó el RUV".into(),
            date: date(2026, 3, 2),
            award: None,
        };
        let offer = render_letter(LetterKind::Offer, &facts);
        assert!(offer.body.contains("María Fernanda Cuéllar Rojas"));
        assert!(offer.body.contains("2026-04-01"));
        assert!(offer.body.contains("Registro Único de Víctimas"));
        let withdrawal = render_letter(LetterKind::Withdrawal, &facts);
        assert!(withdrawal.subject.contains("Desistimiento tácito"));
        assert!(withdrawal.body.contains("No entregó el RUV"));
        let award = render_letter(
            LetterKind::Award,
            &LetterFacts {
                award: Some(AwardFacts {
                    project_code: "CAQ-CACAO".into(),
                    project_title: "Cacao en Florencia".into(),
                    resolution: "DT-CAQ-2026-001".into(),
                    institute_contribution: "$ 50.000.000".into(),
                }),
                ..facts
            },
        );
        assert_eq!(award.subject, "Adjudicación: resolución DT-CAQ-2026-001");
        for text in [
            "CAQ-CACAO",
            "Cacao en Florencia",
            "$ 50.000.000",
            "María Fernanda",
        ] {
            assert!(award.body.contains(text), "{text}: {}", award.body);
        }
    }
}
