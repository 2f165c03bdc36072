//! The tables, one entity each. Migrations in `migration/` create them.

pub mod audit_entry;
pub mod call;
pub mod call_office;
pub mod department;
pub mod formulation;
pub mod formulation_version;
pub mod household;
pub mod indicator;
pub mod indicator_measurement;
pub mod minimum_wage;
pub mod municipal_poverty;
pub mod municipality;
pub mod parcel;
pub mod pdet_subregion;
pub mod person;
pub mod program;
pub mod project;
pub mod project_funding;
pub mod project_municipality;
pub mod project_objective;
pub mod project_partner;
pub mod screening_result;
pub mod screening_run;
pub mod session;
pub mod territorial_office;
pub mod user;
