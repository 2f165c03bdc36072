//! The batch engine: tabular readers (CSV, XLSX, XLS, ODS) that keep each row's line number,
//! and the jobs built on them: batch eligibility screening, the municipal IPM import, and
//! synthetic registries for demos and benchmarks; SVG maps of municipalities; and the IATI 2.03
//! activity XML of the projects.

pub mod evaluation_pdf;
pub mod evaluation_xlsx;
pub mod formulation_file;
pub mod formulation_xlsx;
pub mod iati;
pub mod map;
pub mod minutes_pdf;
pub mod poverty;
pub mod records;
pub mod screening;
pub mod synthetic;
pub mod table;
pub mod targeting_pdf;
