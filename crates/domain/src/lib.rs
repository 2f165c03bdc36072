//! The program's rules and vocabulary, free of I/O.
//!
//! Everything here is pure: no files, no network, no database, no async. Reference data that
//! ships with the program (DIVIPOLA, PDET, SMMLV) is compiled in from `data/` and parsed once,
//! so types such as [`territory::DaneCode`] can only hold values that exist.

pub mod accounts;
pub mod acts;
pub mod audit;
pub mod awarded_project;
pub mod calendar;
pub mod eligibility;
pub mod finance;
pub mod followup;
pub mod glossary;
pub mod household;
pub mod inbox;
pub mod ledger;
pub mod message;
pub mod money;
pub mod monitoring;
pub mod number;
pub mod parcel;
pub mod petition;
pub mod preparation;
pub mod privacy;
pub mod procedure;
pub mod program;
pub mod rules;
pub mod targeting;
pub mod territory;
pub mod text;
pub mod text_enum;
pub mod totp;
pub mod verification;
pub mod words;
