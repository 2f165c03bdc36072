//! The co-financing program and its yearly calls (vigencias).

use crate::text_enum::text_enum;

text_enum! {
    /// The program's lines: the general one, and artisanal fishing and limited-resource
    /// aquaculture (AREL, Chapter IX).
    #[derive(Default)]
    pub enum ProgramLine ("program line") {
        #[default]
        General = "general",
        Arel = "arel",
    }
}

text_enum! {
    /// Where a call stands.
    pub enum CallStatus ("call status") {
        Draft = "draft",
        Open = "open",
        Closed = "closed",
    }
}
