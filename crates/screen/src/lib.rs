//! The batch engine: tabular readers (CSV, XLSX, XLS, ODS) that keep each row's line number,
//! and the jobs built on them, starting with the municipal IPM import.

pub mod poverty;
pub mod table;
