//! A letter to a household or a petitioner as PDF (`carta.typ`), to print and hand over
//! where a family has no e-mail: the letterhead, the date, the recipient, the subject and the
//! text the catalogue wrote from the letter's facts, one paragraph a line.

use jiff::civil::Date;
use serde::Serialize;

use crate::minutes_pdf::{DateParts, json};
use crate::typeset::{Template, TemplateError, Templates, Typeset};

/// A letter, as values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterData {
    /// The office that sends it, e.g. "Dirección Territorial Caquetá".
    pub office: String,
    /// The letter's number in the program's records.
    pub number: String,
    pub date: DateParts,
    pub recipient: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
}

impl LetterData {
    /// The paragraphs of a letter's text: one a line, blank lines dropped.
    pub fn paragraphs_of(body: &str) -> Vec<String> {
        body.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// The letter as PDF.
pub fn letter(data: &LetterData, templates: &Templates, today: Date) -> Result<Typeset, TemplateError> {
    templates.typeset(Template::Letter, &json(data), today)
}

/// The letter's text as laid out (golden tests).
pub fn letter_text(data: &LetterData, templates: &Templates, today: Date) -> Result<String, TemplateError> {
    templates.text(Template::Letter, &json(data), today)
}

/// A sample letter: to check a templates directory at start, and for the golden test.
pub fn sample_letter() -> LetterData {
    LetterData {
        office: "Dirección Territorial Caquetá".into(),
        number: "00000042".into(),
        date: jiff::civil::date(2013, 10, 15).into(),
        recipient: "María Wẽ'sx Pérez".into(),
        subject: "Comunicación de oferta institucional: convocatoria CAQ-2013".into(),
        paragraphs: LetterData::paragraphs_of(
            "Su núcleo familiar fue preseleccionado en la convocatoria CAQ-2013.\n\n\
             Para verificar las calidades de su núcleo familiar, por favor entregue los siguientes documentos a más tardar el 12 de noviembre de 2013 (veinte días hábiles, art. 14):\n\
             - Copia del documento de identidad del jefe de hogar",
        ),
    }
}
