//! The program's glossary: the terms every page, document, letter and command uses, one name
//! each, in the order of the procedure. The words (term, definition, legal basis) live in the
//! catalogue as `glossary-<term>-term`, `-definition` and `-basis`; the three terms that were
//! once named two ways (targeting, screening, verification) are Fluent terms there
//! (`-targeting`, `-screening`, `-verification`), which every other message references.

crate::text_enum::text_enum! {
    /// A term of the program's glossary (`/glosario`).
    pub enum Term ("glossary term") {
        /// Choosing the call's municipalities and areas (Art. 5, 6, 8).
        Targeting = "targeting",
        /// The registry cross-check that finds households eligible (Art. 4, 7, 9, 10).
        Screening = "screening",
        /// The letter that links the screened households and asks for documents (Art. 11.1, 14).
        OfferNotice = "offer_notice",
        /// The review of each household's documents and its decision (Art. 11, 14, 45).
        Verification = "verification",
        /// Title study and field visit of a parcel (Art. 12, 13).
        ParcelVerification = "parcel_verification",
        /// The productive project the families prepare (Art. 15-19).
        Formulation = "formulation",
        /// IRR, NPV, B/C and income per family (Art. 19.6).
        Viability = "viability",
        /// The evaluation committee and its minutes (Art. 23, 24).
        Committee = "committee",
        /// The families' signed acceptance (Art. 25).
        Endorsement = "endorsement",
        /// The resolution that awards the co-financing (Art. 27).
        Award = "award",
        /// Notification, appeal and firmness of an act (Ley 1437 de 2011).
        Firmness = "firmness",
        /// The single payment (Art. 32, 33).
        Disbursement = "disbursement",
        /// The joint-signature account and the investment plan (Art. 29 par., 33).
        ControlledAccount = "controlled_account",
        /// Visits of the surveillance team (Art. 34, 35).
        Surveillance = "surveillance",
        /// The accompaniment plan (Art. 36).
        Accompaniment = "accompaniment",
        /// The act that closes a project.
        Closure = "closure",
        /// A household that does not hand in its documents in time (Art. 45).
        TacitWithdrawal = "tacit_withdrawal",
        /// Petitions, complaints, claims, suggestions and reports (Ley 1755 de 2015).
        Petition = "petition",
    }
}

impl Term {
    /// The catalogue key of one of the term's words: `term`, `definition` or `basis`.
    pub fn key(self, part: &str) -> String {
        format!("glossary-{}-{part}", self.as_str())
    }
}
