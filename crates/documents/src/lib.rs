//! What vereda hands to people, drawn from the domain's records: the financial evaluation as a
//! PDF report and a workbook, the committee's minutes, the award resolution and the targeting
//! document as PDF (typeset with typst from the templates of `templates/`, see `typeset`), the
//! formulation's workbook
//! template and project files, the IATI 2.03 activity XML, and SVG maps of municipalities.

pub mod closure_pdf;
pub mod evaluation_pdf;
pub mod evaluation_text;
pub mod evaluation_xlsx;
pub mod formulation_file;
pub mod formulation_xlsx;
pub mod iati;
pub mod letter_pdf;
pub mod map;
pub mod minutes_pdf;
mod report;
pub mod targeting_pdf;
pub mod typeset;
