//! The batch engine: tabular readers (CSV, XLSX, XLS, ODS) that keep each row's line number,
//! and the jobs built on them: batch eligibility screening, the municipal IPM import, and
//! synthetic registries for demos and benchmarks.

pub mod interventions;
pub mod poverty;
pub mod records;
pub mod screening;
pub mod statement;
pub mod synthetic;
pub mod table;
