//! Every PDF of the program is typeset with typst, as a library: the templates are `.typ` files
//! shipped in `templates/` (compiled in), which an agency may replace one by one with a file of
//! the same name in its templates directory (`templates_dir`). A document's data goes in as
//! JSON, read by the template from `/data.json`: text from the records is a value there, never
//! markup, so nothing a person typed can change a document's layout.
//!
//! The world has no packages, no network and no files but the templates and the data; its fonts
//! are the ones embedded in the binary (typst's own, with full Unicode for Spanish and the
//! names of indigenous communities: "Wẽ'sx"), its "today" is fixed by the caller, and the PDF
//! is PDF/A-2b and tagged, with the same bytes for the same data and templates.
//!
//! A template of the directory that does not compile is reported as a [`TemplateError`] naming
//! file and line, logged, and the shipped one is used instead: never a half PDF.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use jiff::civil::Date;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::layout::{Frame, FrameItem};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

/// A document of the program, with the name of its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// The award resolution (Art. 27).
    Resolution,
    /// The committee's minutes (Art. 23).
    Minutes,
    /// The financial evaluation of a project.
    Evaluation,
    /// The technical document of focus and prioritization (Art. 8).
    Targeting,
    /// The resolution deciding a recurso de reposición (Ley 1437 de 2011, Art. 74-80) against
    /// an award or a not-eligible verification decision.
    AppealDecision,
    /// A project's act of closure (Art. 34).
    Closure,
    /// A letter to a household or a petitioner (Art. 46; Ley 1755 de 2015).
    Letter,
}

impl Template {
    pub const ALL: [Template; 7] = [
        Template::Resolution,
        Template::Minutes,
        Template::Evaluation,
        Template::Targeting,
        Template::AppealDecision,
        Template::Closure,
        Template::Letter,
    ];

    /// The template's file name, shipped and in a templates directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Template::Resolution => "resolucion.typ",
            Template::Minutes => "acta.typ",
            Template::Evaluation => "evaluacion.typ",
            Template::Targeting => "focalizacion.typ",
            Template::AppealDecision => "recurso.typ",
            Template::Closure => "cierre.typ",
            Template::Letter => "carta.typ",
        }
    }
}

/// The shipped templates: every document's, and what they share.
const SHIPPED: [(&str, &str); 8] = [
    ("base.typ", include_str!("../templates/base.typ")),
    ("resolucion.typ", include_str!("../templates/resolucion.typ")),
    ("acta.typ", include_str!("../templates/acta.typ")),
    ("evaluacion.typ", include_str!("../templates/evaluacion.typ")),
    ("focalizacion.typ", include_str!("../templates/focalizacion.typ")),
    ("recurso.typ", include_str!("../templates/recurso.typ")),
    ("cierre.typ", include_str!("../templates/cierre.typ")),
    ("carta.typ", include_str!("../templates/carta.typ")),
];

/// The shipped text of a template file.
pub fn shipped(name: &str) -> Option<&'static str> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// Why a document could not be typeset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A template does not compile: the file, the line (from 1) and typst's message.
    #[error("{file}:{line}: {message}")]
    Template {
        file: String,
        line: usize,
        message: String,
    },
    /// A template of the directory cannot be read.
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    /// The pages could not be written as PDF/A.
    #[error("PDF: {0}")]
    Pdf(String),
}

/// Where the templates come from: the shipped ones, or a directory whose files replace the
/// shipped ones of the same name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    dir: Option<PathBuf>,
}

/// A typeset document: its PDF bytes, and the problem of the directory's template when the
/// shipped one had to be used instead.
#[derive(Debug, Clone)]
pub struct Typeset {
    pub pdf: Vec<u8>,
    pub replaced: Option<TemplateError>,
}

impl Templates {
    /// Only the shipped templates.
    pub fn shipped() -> Self {
        Self { dir: None }
    }

    /// The shipped templates, replaced by those of `dir` with the same name.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The template files as this set has them: the directory's where it has one, else the
    /// shipped one; each with the name its errors give.
    fn files(&self) -> Result<Vec<SourceFile>, TemplateError> {
        SHIPPED
            .iter()
            .map(|(name, text)| {
                let path = self.dir.as_ref().map(|d| d.join(name)).filter(|p| p.is_file());
                match path {
                    Some(path) => {
                        let shown = path.display().to_string();
                        let text = std::fs::read_to_string(&path).map_err(|e| TemplateError::Unreadable {
                            file: shown.clone(),
                            message: e.to_string(),
                        })?;
                        SourceFile::new(name, shown, text)
                    }
                    None => SourceFile::new(name, (*name).to_owned(), (*text).to_owned()),
                }
            })
            .collect()
    }

    /// Typesets a document from its data: with this set's templates, or, when one of the
    /// directory's does not compile, with the shipped ones (the problem logged and returned).
    pub fn typeset(
        &self,
        template: Template,
        data: &serde_json::Value,
        today: Date,
    ) -> Result<Typeset, TemplateError> {
        if self.dir.is_some() {
            match self.files().and_then(|files| pdf(&files, template, data, today)) {
                Ok(pdf) => return Ok(Typeset { pdf, replaced: None }),
                Err(problem) => {
                    tracing::warn!(
                        template = template.file_name(),
                        %problem,
                        "the templates directory's template does not compile; the shipped one is used"
                    );
                    let pdf = pdf(&Templates::shipped().files()?, template, data, today)?;
                    return Ok(Typeset {
                        pdf,
                        replaced: Some(problem),
                    });
                }
            }
        }
        let pdf = pdf(&self.files()?, template, data, today)?;
        Ok(Typeset { pdf, replaced: None })
    }

    /// Checks that every template of the set compiles with the given data for each document
    /// (e.g. at start, with sample data): the problems, by template.
    pub fn check(&self, samples: &[(Template, serde_json::Value)], today: Date) -> Vec<TemplateError> {
        let files = match self.files() {
            Ok(files) => files,
            Err(problem) => return vec![problem],
        };
        samples
            .iter()
            .filter_map(|(template, data)| document(&files, *template, data, today).err())
            .collect()
    }

    /// Checks every template of the set with sample data (`minutes_pdf::samples`): the
    /// problems, none when all compile.
    pub fn check_all(&self, today: Date) -> Vec<TemplateError> {
        self.check(&crate::minutes_pdf::samples(), today)
    }

    /// The text of a typeset document, line by line as laid out on its pages (the golden tests
    /// compare it): the same pages the PDF is written from.
    pub fn text(
        &self,
        template: Template,
        data: &serde_json::Value,
        today: Date,
    ) -> Result<String, TemplateError> {
        let document = document(&self.files()?, template, data, today)?;
        Ok(text_of(&document))
    }
}

/// One template file: its name in the world (`/base.typ`), the name errors give, its text.
struct SourceFile {
    id: FileId,
    shown: String,
    source: Source,
}

impl SourceFile {
    fn new(name: &str, shown: String, text: String) -> Result<Self, TemplateError> {
        let id = file_id(name)?;
        Ok(Self {
            id,
            shown,
            source: Source::new(id, text),
        })
    }
}

/// The id of a file at the root of the project.
fn file_id(name: &str) -> Result<FileId, TemplateError> {
    VirtualPath::new(format!("/{name}"))
        .map(|path| RootedPath::new(VirtualRoot::Project, path).intern())
        .map_err(|e| TemplateError::Unreadable {
            file: name.to_owned(),
            message: format!("{e:?}"),
        })
}

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The fonts embedded in the binary, read once.
static FONTS: LazyLock<(Vec<Font>, LazyHash<FontBook>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    let book = FontBook::from_fonts(&fonts);
    (fonts, LazyHash::new(book))
});

/// The world of one document: the templates, the data, the fonts and a fixed day.
struct DocumentWorld<'a> {
    files: &'a [SourceFile],
    main: FileId,
    data_id: FileId,
    data: Bytes,
    today: Date,
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.1
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.files
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.source.clone())
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            return Ok(self.data.clone());
        }
        self.source(id).map(|s| Bytes::from_string(s.text().to_owned()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.0.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Datetime::from_ymd(
            i32::from(self.today.year()),
            self.today.month().try_into().ok()?,
            self.today.day().try_into().ok()?,
        )
    }
}

/// The first error of a compilation as the file and line of its span.
fn located(files: &[SourceFile], world: &DocumentWorld<'_>, errors: &[SourceDiagnostic]) -> TemplateError {
    let Some(first) = errors.first() else {
        return TemplateError::Pdf("typesetting failed without a diagnostic".to_owned());
    };
    let mut message = first.message.to_string();
    for hint in &first.hints {
        message.push_str("; ");
        message.push_str(&hint.v);
    }
    let place = first.span.id().and_then(|id| {
        let file = files.iter().find(|f| f.id == id)?;
        let range = world.range(first.span)?;
        let line = file.source.lines().byte_to_line(range.start)? + 1;
        Some((file.shown.clone(), line))
    });
    let (file, line) = place.unwrap_or_else(|| (world.main.vpath().get_without_slash().to_owned(), 0));
    TemplateError::Template { file, line, message }
}

/// Lays out a document.
fn document(
    files: &[SourceFile],
    template: Template,
    data: &serde_json::Value,
    today: Date,
) -> Result<PagedDocument, TemplateError> {
    let world = DocumentWorld {
        files,
        main: file_id(template.file_name())?,
        data_id: file_id("data.json")?,
        data: Bytes::new(data.to_string().into_bytes()),
        today,
    };
    typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors: typst::ecow::EcoVec<SourceDiagnostic>| located(files, &world, &errors))
}

/// Lays out a document and writes it as PDF/A-2b.
fn pdf(
    files: &[SourceFile],
    template: Template,
    data: &serde_json::Value,
    today: Date,
) -> Result<Vec<u8>, TemplateError> {
    let document = document(files, template, data, today)?;
    let timestamp = Datetime::from_ymd_hms(
        i32::from(today.year()),
        today.month().try_into().unwrap_or(1),
        today.day().try_into().unwrap_or(1),
        0,
        0,
        0,
    )
    .map(Timestamp::new_utc);
    let standards =
        PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| TemplateError::Pdf(e.message().to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(format!("vereda/{}", template.file_name())),
        creator: Smart::Custom(Some("vereda".to_owned())),
        timestamp,
        standards,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        TemplateError::Pdf(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The text of the pages: the pieces of text of each page, joined into lines by their
/// baseline (top to bottom, left to right, a space where the pieces are apart), pages
/// separated by a form feed. A glyph the fonts lack shows as `\u{fffd}`.
fn text_of(document: &PagedDocument) -> String {
    let mut pages = Vec::new();
    for page in document.pages() {
        let mut pieces: Vec<Piece> = Vec::new();
        collect(&page.frame, 0.0, 0.0, &mut pieces);
        pieces.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        let mut lines: Vec<(f64, f64, String)> = Vec::new();
        for piece in pieces {
            match lines.last_mut() {
                Some((y, end, line)) if (piece.y - *y).abs() < 1.0 => {
                    if piece.x - *end > 1.0 && !line.ends_with(' ') && !piece.text.starts_with(' ') {
                        line.push(' ');
                    }
                    line.push_str(&piece.text);
                    *end = piece.end;
                }
                _ => lines.push((piece.y, piece.end, piece.text)),
            }
        }
        pages.push(
            lines
                .into_iter()
                .map(|(_, _, line)| line.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    pages.join("\n\u{c}\n")
}

/// A piece of text on a page: its baseline, where it starts and ends, its text.
struct Piece {
    y: f64,
    x: f64,
    end: f64,
    text: String,
}

fn collect(frame: &Frame, dx: f64, dy: f64, pieces: &mut Vec<Piece>) {
    for (point, item) in frame.items() {
        let (x, y) = (dx + point.x.to_pt(), dy + point.y.to_pt());
        match item {
            FrameItem::Group(group) => {
                let shift = group.transform;
                collect(&group.frame, x + shift.tx.to_pt(), y + shift.ty.to_pt(), pieces);
            }
            FrameItem::Text(text) => {
                let shown = if text.glyphs.iter().any(|g| g.id == 0) {
                    "\u{fffd}".repeat(text.text.chars().count())
                } else {
                    text.text.to_string()
                };
                pieces.push(Piece {
                    y: (y * 10.0).round() / 10.0,
                    x,
                    end: x + text.width().to_pt(),
                    text: shown,
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_shipped() {
        for template in Template::ALL {
            assert!(shipped(template.file_name()).is_some(), "{template:?}");
        }
    }
}
