//! The program's administrative acts as PDF: the committee's minutes (Art. 23, 24) and the
//! award resolution (Art. 27). The web application gathers the values from the records into
//! [`MinutesData`] and [`ResolutionData`]; the wording is the templates' (`acta.typ`,
//! `resolucion.typ`, in Spanish, the language of the acts), typeset by `typeset`.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use rust_decimal::Decimal;
use serde::Serialize;
use vereda_domain::money::format_amount;
use vereda_domain::words::pesos_in_words;

use crate::evaluation_text::{irr_text, pesos, ratio};
use crate::typeset::{Template, TemplateError, Templates, Typeset};

/// A date as the templates read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateParts {
    pub year: i16,
    pub month: i8,
    pub day: i8,
}

impl From<Date> for DateParts {
    fn from(date: Date) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
            day: date.day(),
        }
    }
}

/// An instant as the templates read it, in Colombia's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeParts {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
}

impl TimeParts {
    /// The instant in America/Bogota. Colombia has kept UTC−5 without daylight saving time
    /// since 1993, so the fixed offset is its time for every instant the program records.
    pub fn in_colombia(at: jiff::Timestamp) -> Self {
        let local = at.to_zoned(TimeZone::fixed(Offset::constant(-5))).datetime();
        Self {
            year: local.year(),
            month: local.month(),
            day: local.day(),
            hour: local.hour(),
            minute: local.minute(),
        }
    }
}

/// An amount of pesos in figures (`$39.800.000`) and in words ("TREINTA Y NUEVE MILLONES
/// OCHOCIENTOS MIL PESOS M/CTE").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub figures: String,
    pub words: String,
}

impl Amount {
    pub fn of(amount: Decimal) -> Self {
        Self {
            figures: format!("${}", format_amount(amount)),
            words: pesos_in_words(amount).unwrap_or_default(),
        }
    }
}

/// One attendee of a session, with their signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendeeData {
    pub name: String,
    /// The role in Spanish words.
    pub position: String,
    pub signed_at: Option<TimeParts>,
}

/// One project on the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaData {
    pub code: String,
    pub title: String,
    pub version: i32,
    /// `positive`, `negative`, or none yet.
    pub concept: Option<&'static str>,
    pub text: String,
}

/// One objection and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectionData {
    pub filed_by: String,
    /// `project`, `family` or `parcel`.
    pub target: &'static str,
    pub target_ref: String,
    pub text: String,
    /// `upheld`, `rejected` or `pending`.
    pub decision: &'static str,
    pub reasons: String,
}

/// The minutes of one session, as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinutesData {
    pub session: i32,
    pub date: DateParts,
    pub place: String,
    /// Signed by every attendee (else the minutes print as a draft).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The attendees convened (registered in the session).
    pub convened: usize,
    /// The attendees present, as their signatures show.
    pub present: usize,
    pub attendees: Vec<AttendeeData>,
    pub agenda: Vec<AgendaData>,
    pub objections: Vec<ObjectionData>,
    /// Printed on every page once signed.
    pub verification: Option<VerificationData>,
}

/// How anyone checks a signed act: its code and the address of its verification page,
/// printed on every page's footer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationData {
    pub code: String,
    /// `{base}/verificar/{code}`.
    pub url: String,
}

impl VerificationData {
    /// The verification of `code` on the site at `base` (no trailing slash needed).
    pub fn new(base: &str, code: &str) -> Self {
        Self {
            code: code.to_owned(),
            url: format!("{}/verificar/{code}", base.trim_end_matches('/')),
        }
    }
}

/// The award an appeal is against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardReference {
    pub number: String,
    pub date: DateParts,
}

/// The act a recurso de reposición contests, as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContestedData {
    /// An award resolution and its project.
    Award {
        award: AwardReference,
        project: ProjectData,
    },
    /// A household's not-eligible verification decision.
    NotEligible {
        /// The household's identifier in the call.
        household: String,
        call_code: String,
        call_name: String,
        /// The day the household was found not eligible, and the office's reasons.
        decided_on: DateParts,
        refusal_reasons: String,
    },
}

/// The resolution deciding a recurso de reposición (against an award or a not-eligible
/// decision), as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppealDecisionData {
    pub office: String,
    pub position: String,
    /// `RR-2026-0001` (an award's), `RRV-2026-0001` (a not-eligible decision's).
    pub number: String,
    pub date: DateParts,
    pub contested: ContestedData,
    /// Who filed the appeal.
    pub appellant: String,
    pub filed_on: DateParts,
    /// Filed after the window (Art. 76).
    pub late: bool,
    pub appeal_text: String,
    /// `confirms`, `modifies` or `revokes` (`vereda_domain::acts::AppealOutcome`).
    pub outcome: String,
    pub reasons: String,
    pub signer: Option<SignerData>,
    pub verification: Option<VerificationData>,
}

/// The project an award is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectData {
    pub code: String,
    pub title: String,
    /// The municipality and its department.
    pub municipality: String,
    /// The approved version.
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallData {
    pub code: String,
    pub name: String,
    pub year: i16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetingData {
    pub number: i32,
    pub date: DateParts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamiliesData {
    /// The families of the award.
    pub count: i32,
    /// The households screened in the call and those found eligible, when known.
    pub screened: Option<u64>,
    pub eligible: Option<u64>,
}

/// The evaluation's figures as the approved version's evaluation gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvaluationData {
    pub version: i32,
    pub npv: String,
    pub irr: String,
    pub benefit_cost: String,
    /// `viable` or `no viable`.
    pub verdict: String,
}

impl EvaluationData {
    /// The figures of `evaluation`, the evaluation of the approved `version`.
    pub fn of(version: i32, evaluation: &vereda_domain::finance::Evaluation) -> Self {
        Self {
            version,
            npv: format!("${}", pesos(evaluation.npv)),
            irr: irr_text(&evaluation.irr),
            benefit_cost: ratio(evaluation.benefit_cost),
            verdict: if evaluation.verdict.viable {
                "viable"
            } else {
                "no viable"
            }
            .to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitteeData {
    pub session: i32,
    pub date: DateParts,
    /// `positivo` or `negativo`.
    pub concept: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoweredData {
    pub maximum: Amount,
    pub motivation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerData {
    pub name: String,
    pub position: String,
    pub signed_at: TimeParts,
}

/// The award resolution, as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolutionData {
    /// The territorial office's name.
    pub office: String,
    /// The issuing position in Spanish words (the signer's role).
    pub position: String,
    pub number: String,
    pub date: DateParts,
    pub project: ProjectData,
    pub call: Option<CallData>,
    pub targeting: Option<TargetingData>,
    pub families: FamiliesData,
    pub evaluation: Option<EvaluationData>,
    pub committee: CommitteeData,
    pub lowered: Option<LoweredData>,
    pub motivation: String,
    pub contribution: Amount,
    pub counterpart: Amount,
    pub guarantee: Amount,
    /// The obligations the director added, if any.
    pub obligations: String,
    pub signer: Option<SignerData>,
    /// Printed on every page once signed.
    pub verification: Option<VerificationData>,
}

pub(crate) fn json(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// The minutes as PDF.
pub fn minutes(data: &MinutesData, templates: &Templates, today: Date) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::Minutes, &json(data), today)
}

/// The resolution as PDF.
pub fn resolution(
    data: &ResolutionData,
    templates: &Templates,
    today: Date,
) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::Resolution, &json(data), today)
}

/// The decision of an appeal as PDF.
pub fn appeal_decision(
    data: &AppealDecisionData,
    templates: &Templates,
    today: Date,
) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::AppealDecision, &json(data), today)
}

/// The decision's text as laid out (golden tests).
pub fn appeal_decision_text(
    data: &AppealDecisionData,
    templates: &Templates,
    today: Date,
) -> Result<String, TemplateError> {
    templates.text(Template::AppealDecision, &json(data), today)
}

/// The minutes' text as laid out (golden tests).
pub fn minutes_text(data: &MinutesData, templates: &Templates, today: Date) -> Result<String, TemplateError> {
    templates.text(Template::Minutes, &json(data), today)
}

/// The resolution's text as laid out (golden tests).
pub fn resolution_text(
    data: &ResolutionData,
    templates: &Templates,
    today: Date,
) -> Result<String, TemplateError> {
    templates.text(Template::Resolution, &json(data), today)
}

fn at(text: &str) -> TimeParts {
    TimeParts::in_colombia(text.parse().unwrap_or_default())
}

/// Sample minutes: to check a templates directory at start, and for the golden tests.
pub fn sample_minutes() -> MinutesData {
    MinutesData {
        session: 7,
        date: jiff::civil::date(2013, 10, 1).into(),
        place: "Florencia, sede de la Dirección Territorial Caquetá".into(),
        is_final: true,
        convened: 2,
        present: 2,
        attendees: vec![
            AttendeeData {
                name: "Ana María Wẽ'sx Yule".into(),
                position: "Miembro del comité de evaluación".into(),
                signed_at: Some(at("2013-10-01T20:15:00Z")),
            },
            AttendeeData {
                name: "Jorge Pérez".into(),
                position: "Profesional territorial".into(),
                signed_at: Some(at("2013-10-02T03:30:00Z")),
            },
        ],
        agenda: vec![AgendaData {
            code: "CAC-1".into(),
            title: "Cacao #set text(size: 40pt) [inyección]".into(),
            version: 2,
            concept: Some("positive"),
            text: "Viable; TIR ≈ 14 %".into(),
        }],
        objections: Vec::new(),
        verification: None,
    }
}

/// A sample resolution: to check a templates directory at start, and for the golden tests.
pub fn sample_resolution() -> ResolutionData {
    ResolutionData {
        office: "Dirección Territorial Caquetá".into(),
        position: "Director(a) territorial".into(),
        number: "DT-CAQ-2013-001".into(),
        date: DateParts::from(jiff::civil::date(2013, 10, 15)),
        project: ProjectData {
            code: "CAC-1".into(),
            title: "Cacao de la asociación Wẽ'sx".into(),
            municipality: "Florencia (Caquetá)".into(),
            version: 2,
        },
        call: Some(CallData {
            code: "C-2013".into(),
            name: "Convocatoria Caquetá 2013".into(),
            year: 2013,
        }),
        targeting: Some(TargetingData {
            number: 1,
            date: jiff::civil::date(2013, 6, 3).into(),
        }),
        families: FamiliesData {
            count: 21,
            screened: Some(1_017),
            eligible: Some(640),
        },
        evaluation: Some(EvaluationData {
            version: 2,
            npv: "$12.345.678".into(),
            irr: "18,5 %".into(),
            benefit_cost: "1,32".into(),
            verdict: "viable".into(),
        }),
        committee: CommitteeData {
            session: 7,
            date: jiff::civil::date(2013, 10, 1).into(),
            concept: "positivo".into(),
            text: "Viable".into(),
        },
        lowered: Some(LoweredData {
            maximum: Amount::of(Decimal::from(41_000_000)),
            motivation: "Ajuste al saldo de la convocatoria".into(),
        }),
        motivation: "Concepto positivo del comité".into(),
        contribution: Amount::of(Decimal::from(39_800_000)),
        counterpart: Amount::of(Decimal::from(21_000_000)),
        guarantee: Amount::of(Decimal::from(3_980_000)),
        obligations: String::new(),
        signer: Some(SignerData {
            name: "Luz Dary Muñoz".into(),
            position: "Director(a) territorial".into(),
            signed_at: at("2013-10-15T15:05:00Z"),
        }),
        verification: None,
    }
}

/// A sample decision of an appeal against a not-eligible decision: for the golden tests.
pub fn sample_verification_appeal_decision() -> AppealDecisionData {
    AppealDecisionData {
        number: "RRV-2026-0001".into(),
        contested: ContestedData::NotEligible {
            household: "CAQ-0003".into(),
            call_code: "PCDRT-2013-SUR".into(),
            call_name: "Convocatoria 2013: Caquetá, Putumayo y Nariño".into(),
            decided_on: DateParts::from(jiff::civil::date(2026, 7, 1)),
            refusal_reasons: "Puntaje del Sisbén fuera del rango".into(),
        },
        appellant: "Rosa Angulo".into(),
        appeal_text: "El puntaje está actualizado: #set text(size: 40pt) [inyección]".into(),
        reasons: "el puntaje consultado supera el corte.".into(),
        ..sample_appeal_decision()
    }
}

/// A sample decision of an appeal against an award: to check a templates directory, and for
/// the golden tests.
pub fn sample_appeal_decision() -> AppealDecisionData {
    AppealDecisionData {
        office: "Dirección Territorial Caquetá".into(),
        position: "Director(a) territorial".into(),
        number: "RR-2026-0001".into(),
        date: DateParts::from(jiff::civil::date(2026, 7, 31)),
        contested: ContestedData::Award {
            award: AwardReference {
                number: "DT-CAQ-2026-001".into(),
                date: DateParts::from(jiff::civil::date(2026, 6, 26)),
            },
            project: ProjectData {
                code: "CAC-1".into(),
                title: "Cacao de la asociación Wẽ'sx".into(),
                municipality: "Florencia (Caquetá)".into(),
                version: 2,
            },
        },
        appellant: "Asociación Wẽ'sx".into(),
        filed_on: DateParts::from(jiff::civil::date(2026, 7, 14)),
        late: false,
        appeal_text: "Solicitamos el aporte máximo evaluado: #set text(size: 40pt) [inyección]".into(),
        outcome: "confirms".into(),
        reasons: "el aporte corresponde al saldo de la convocatoria.".into(),
        signer: Some(SignerData {
            name: "Luz Dary Muñoz".into(),
            position: "Director(a) territorial".into(),
            signed_at: at("2026-07-31T15:05:00Z"),
        }),
        verification: Some(VerificationData::new(
            "https://vereda.example.gov.co/",
            "7K3QZP9MX2",
        )),
    }
}

/// Sample data for every template, to check a templates directory.
pub fn samples() -> Vec<(Template, serde_json::Value)> {
    let mut report = crate::report::Layout::new("Muestra");
    report.heading("Muestra");
    report.line(9.0, false, "Línea");
    report.gap(4.0);
    report.table(
        &[crate::report::Align::Left],
        &["A".to_owned(), "B".to_owned()],
        &[vec!["1".to_owned(), "2".to_owned()]],
    );
    vec![
        (Template::Resolution, json(&sample_resolution())),
        (Template::Minutes, json(&sample_minutes())),
        (Template::Evaluation, report.data()),
        (Template::Targeting, report.data()),
        (Template::AppealDecision, json(&sample_appeal_decision())),
        (Template::Closure, json(&crate::closure_pdf::sample_closure())),
        (Template::Letter, json(&crate::letter_pdf::sample_letter())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_figures_and_words() {
        let amount = Amount::of(Decimal::from(39_800_000));
        assert_eq!(amount.figures, "$39.800.000");
        assert_eq!(
            amount.words,
            "TREINTA Y NUEVE MILLONES OCHOCIENTOS MIL PESOS M/CTE"
        );
    }

    #[test]
    fn times_are_colombian() {
        let at: jiff::Timestamp = "2013-10-16T03:30:00Z".parse().expect("instant");
        let local = TimeParts::in_colombia(at);
        assert_eq!((local.day, local.hour, local.minute), (15, 22, 30));
    }
}
