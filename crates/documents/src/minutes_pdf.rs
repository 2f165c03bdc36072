//! The committee's minutes (Art. 23) and the award resolution (Art. 27) as plain PDF documents
//! (A4 portrait, standard Helvetica in WinAnsiEncoding as in `pdf_layout`): a title and
//! sections of wrapped lines. The web application builds the text from the stored session or
//! award; this module only lays it out.

use pdf_writer::{Content, Str};

use crate::pdf_layout::{BOLD, REGULAR, assemble, win_ansi};

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;

/// A document: a title, then sections, each a heading and its paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub sections: Vec<(String, Vec<String>)>,
}

/// The minutes of one session, already in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutesText {
    pub session: i32,
    pub held_on: String,
    pub place: String,
    /// One line per attendee, with the signature (or its absence).
    pub attendees: Vec<String>,
    /// One line per project on the agenda, with its concept.
    pub agenda: Vec<String>,
    /// One line per objection decided.
    pub objections: Vec<String>,
    /// Signed by every attendee.
    pub is_final: bool,
}

/// The minutes as a document.
pub fn minutes_document(minutes: &MinutesText) -> Document {
    let none = |lines: &[String]| {
        if lines.is_empty() {
            vec!["Ninguno.".to_owned()]
        } else {
            lines.to_vec()
        }
    };
    Document {
        title: format!(
            "Acta de la sesión {} del equipo técnico de evaluación y viabilización",
            minutes.session
        ),
        sections: vec![
            (
                "Sesión".to_owned(),
                vec![
                    format!("Fecha: {}", minutes.held_on),
                    format!("Lugar: {}", minutes.place),
                    if minutes.is_final {
                        "Acta firmada por todos los asistentes (Art. 23).".to_owned()
                    } else {
                        "BORRADOR: el acta no está firmada por todos los asistentes y no sirve para \
                         adjudicar (Art. 23, 27)."
                            .to_owned()
                    },
                ],
            ),
            ("Asistentes y firmas".to_owned(), none(&minutes.attendees)),
            ("Agenda y conceptos (Art. 24.4)".to_owned(), none(&minutes.agenda)),
            (
                "Oposiciones decididas (Art. 24.6)".to_owned(),
                none(&minutes.objections),
            ),
        ],
    }
}

/// Wraps text to lines of about `width` points at `size` (Helvetica averages about half an em).
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let per_line = ((width / (size * 0.5)) as usize).max(10);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > per_line {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

struct Layout {
    pages: Vec<Vec<u8>>,
    content: Content,
    y: f32,
}

impl Layout {
    fn line(&mut self, size: f32, bold: bool, text: &str) {
        for piece in wrap(text, size, PAGE_WIDTH - 2.0 * MARGIN) {
            if self.y - size * 1.4 < MARGIN {
                let content = std::mem::replace(&mut self.content, Content::new());
                self.pages.push(content.finish().to_vec());
                self.y = PAGE_HEIGHT - MARGIN;
            }
            self.y -= size * 1.4;
            let bytes = win_ansi(&piece);
            self.content
                .begin_text()
                .set_font(if bold { BOLD } else { REGULAR }, size)
                .next_line(MARGIN, self.y)
                .show(Str(&bytes))
                .end_text();
        }
    }
}

/// The document as PDF bytes.
pub fn render(document: &Document) -> Vec<u8> {
    let mut layout = Layout {
        pages: Vec::new(),
        content: Content::new(),
        y: PAGE_HEIGHT - MARGIN,
    };
    layout.line(14.0, true, &document.title);
    for (heading, lines) in &document.sections {
        layout.y -= 8.0;
        layout.line(11.0, true, heading);
        for line in lines {
            layout.line(9.5, false, line);
        }
    }
    let last = std::mem::replace(&mut layout.content, Content::new());
    layout.pages.push(last.finish().to_vec());
    assemble(&document.title, &layout.pages, (PAGE_WIDTH, PAGE_HEIGHT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(is_final: bool) -> MinutesText {
        MinutesText {
            session: 7,
            held_on: "2013-10-01".into(),
            place: "Florencia".into(),
            attendees: vec!["Ana (ana@x.co, committee_member): firmó".into()],
            agenda: vec!["CAC-1 Cacao (versión 2): concepto positivo. Viable".into()],
            objections: Vec::new(),
            is_final,
        }
    }

    #[test]
    fn unsigned_minutes_say_they_are_a_draft() {
        let draft = minutes_document(&minutes(false));
        assert!(draft.sections[0].1.iter().any(|l| l.starts_with("BORRADOR")));
        let signed = minutes_document(&minutes(true));
        assert!(!signed.sections[0].1.iter().any(|l| l.starts_with("BORRADOR")));
        assert_eq!(signed.sections[3].1, ["Ninguno."]);
    }

    #[test]
    fn renders_a_pdf_with_many_pages_when_long() {
        let mut long = minutes(true);
        long.agenda = (0..200)
            .map(|i| format!("Proyecto {i}: concepto positivo, año de siembra"))
            .collect();
        let bytes = render(&minutes_document(&long));
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert!(pages >= 2, "{pages} pages");
    }

    #[test]
    fn wraps_long_lines() {
        let lines = wrap(&"palabra ".repeat(100), 10.0, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| l.chars().count() <= 40));
    }
}
