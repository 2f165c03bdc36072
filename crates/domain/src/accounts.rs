//! Staff accounts: roles and what each may do. The public needs no account.

use std::fmt;

use serde::Serialize;

use crate::message::Message;
use crate::text_enum::text_enum;

text_enum! {
    /// A staff role. Each account has exactly one.
    pub enum Role ("role") {
        Admin = "admin",
        /// National program officer.
        ProgramOfficer = "program_officer",
        /// Director territorial: signs awards (Art. 27).
        TerritorialDirector = "territorial_director",
        TerritorialOfficer = "territorial_officer",
        /// Formulador of productive projects.
        Formulator = "formulator",
        /// Member of the evaluation committee (Art. 23-24).
        CommitteeMember = "committee_member",
        /// Control and social oversight: reads everything, changes nothing.
        Oversight = "oversight",
        /// Read only.
        Auditor = "auditor",
    }
}

impl Role {
    /// Whether this role may do `permission`. The whole policy is this one table.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ViewStaffArea | ViewCalls | ViewHouseholds => true,
            ManageUsers | ImportReferenceData => self == Admin,
            ViewAuditLog => matches!(self, Admin | Oversight | Auditor),
            ManageCalls => matches!(self, Admin | ProgramOfficer),
            // The institute formulates directly or through a qualified third party (Art. 17-18).
            Formulate => matches!(self, Admin | ProgramOfficer | TerritorialOfficer | Formulator),
            // The territorial offices receive the registries and verify families (Art. 9 par.,
            // Art. 11).
            // Follow-up of results (Art. 34-36): the offices record and review measurements;
            // the four-eyes rule (another officer reviews) is the store's.
            RecordMeasurements | ReviewMeasurements | ManageProjects => {
                matches!(
                    self,
                    Admin | ProgramOfficer | TerritorialDirector | TerritorialOfficer
                )
            }
            // Families endorse their project (Art. 25); the staff who accompany them record it.
            RecordEndorsement => matches!(
                self,
                Admin | ProgramOfficer | TerritorialDirector | TerritorialOfficer | Formulator
            ),
            // Convening the evaluation committee and its agenda, filing objections (Art. 23-24).
            ManageCommittee => matches!(self, Admin | ProgramOfficer | CommitteeMember),
            // Concepts and decisions on objections are the committee's alone (Art. 24.4, 24.6).
            IssueConcept => self == CommitteeMember,
            // The award is an act of the territorial director (Art. 27).
            AwardCofinancing => self == TerritorialDirector,
            // The director or the office's technical coordinator approves the policy and
            // disburses (Art. 32.4, 33).
            RecordDisbursement => matches!(self, TerritorialDirector | TerritorialOfficer),
            // The institute's side of the controlled account's joint signature: the office
            // records its movements and statements, and asks for changes of the plan
            // (Art. 29 par., 34).
            RecordLedger => matches!(self, TerritorialDirector | TerritorialOfficer),
            // The office notifies its acts and receives the appeals against them (Ley 1437 de
            // 2011, art. 56, 67-69, 74-76); the director decides them (`AwardCofinancing`).
            NotifyActs => matches!(self, TerritorialDirector | TerritorialOfficer),
            // A change of the investment plan is the territorial director's decision.
            ApprovePlanChange => self == TerritorialDirector,
            // The act of closure is the territorial director's, who signs it (Art. 34).
            CloseProject => self == TerritorialDirector,
            // The notice of the institutional offer, the documents and the verification of
            // each household (Art. 11-14, 45).
            // Citizens' petitions (Ley 1755 de 2015): the staff who see personal data whole,
            // since a petition is full of it (Ley 1581 de 2012).
            RunScreening | ViewFullDocuments | VerifyHouseholds | AnswerPetitions => {
                matches!(
                    self,
                    Admin | ProgramOfficer | TerritorialDirector | TerritorialOfficer
                )
            }
        }
    }
}

/// Where an account may read and act: the whole country, or the department of its
/// territorial office. A territorial role without an office reaches nothing until an
/// administrator gives it one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub enum Reach {
    /// The default of the system's own queries (the public pages, batch jobs).
    #[default]
    National,
    /// The two-digit DIVIPOLA code of the office's department.
    Department(String),
    Nowhere,
}

impl Reach {
    /// Whether a record in the department (or municipality: its first two digits) with this
    /// DIVIPOLA code is within reach.
    pub fn covers(&self, divipola: &str) -> bool {
        match self {
            Reach::National => true,
            Reach::Department(department) => divipola.get(..2) == Some(department.as_str()),
            Reach::Nowhere => false,
        }
    }
}

impl Role {
    /// The territorial offices' roles (Art. 9 par., 11, 27, 32-33) act only in their office's
    /// department; the national ones read the whole program and act as [`Role::can`] says.
    pub fn is_territorial(self) -> bool {
        matches!(self, Role::TerritorialDirector | Role::TerritorialOfficer)
    }

    /// The reach of an account of this role whose office (if any) is in `office_department`.
    pub fn reach(self, office_department: Option<&str>) -> Reach {
        match (self.is_territorial(), office_department) {
            (false, _) => Reach::National,
            (true, Some(department)) => Reach::Department(department.to_owned()),
            (true, None) => Reach::Nowhere,
        }
    }

    /// Whether an account of this role may change a formulation created by `created_by`:
    /// a formulator (often a third party, Art. 17-18) only its own; the institute's staff
    /// any in their reach.
    pub fn may_edit_formulation(self, account_id: i32, created_by: Option<i32>) -> bool {
        self != Role::Formulator || created_by == Some(account_id)
    }
}

impl Role {
    /// Whether the role signs acts, approves, awards or pays: the committee's concepts and
    /// minutes, the review of measurements, the award and the disbursement. Such accounts
    /// log in with a second factor (TOTP) where the server requires it.
    pub fn requires_second_factor(self) -> bool {
        use Permission::*;
        [
            IssueConcept,
            ManageCommittee,
            ReviewMeasurements,
            AwardCofinancing,
            RecordDisbursement,
        ]
        .into_iter()
        .any(|permission| self.can(permission))
    }
}

/// Something a page or endpoint lets a user do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ViewStaffArea,
    ViewCalls,
    ViewHouseholds,
    ManageCalls,
    /// Screen a call's household registry against the rules.
    RunScreening,
    /// Write and save project formulations.
    Formulate,
    /// See identity documents whole: the staff who verify families (Art. 11). Everyone else
    /// sees at most the last three digits (Ley 1581 de 2012).
    ViewFullDocuments,
    /// Record the notice of the institutional offer, receive a household's documents and
    /// decide its verification or tacit withdrawal (Art. 11-14, 45).
    VerifyHouseholds,
    /// Submit measurements of a project's indicators, with their evidence.
    RecordMeasurements,
    /// Approve or return measurements submitted by somebody else.
    ReviewMeasurements,
    /// Edit an indicator's targets and publish a project's documents.
    ManageProjects,
    /// Record the families' endorsement of a formulation (Art. 25).
    RecordEndorsement,
    /// Convene committee sessions, set their agenda and file objections (Art. 23-24).
    ManageCommittee,
    /// Issue the committee's concept and decide objections (Art. 24.4, 24.6).
    IssueConcept,
    /// Sign the resolution awarding the co-financing (Art. 27).
    AwardCofinancing,
    /// Check the disbursement requirements and record the payment (Art. 32-33).
    RecordDisbursement,
    /// Record the controlled account's movements and bank statements and request changes of
    /// the investment plan (Art. 29 par., 34).
    RecordLedger,
    /// Approve or return a change of a project's investment plan (Art. 29 par., 34).
    ApprovePlanChange,
    /// Sign a project's act of closure, after which nothing of it changes (Art. 34).
    CloseProject,
    ManageUsers,
    ImportReferenceData,
    ViewAuditLog,
    /// Assign, answer and extend citizens' petitions (Ley 1755 de 2015, art. 14): the
    /// territorial offices for their department, the national staff for all.
    AnswerPetitions,
    /// Record the notification of the office's acts to the families and the appeals filed
    /// against them (Ley 1437 de 2011, art. 56, 67-69, 74-76).
    NotifyActs,
}

impl Permission {
    /// The provision that gives the step to its roles and to the respective territorial
    /// office, cited when the store refuses it for the actor's role or office.
    pub fn basis(self) -> &'static str {
        use Permission::*;
        match self {
            ViewStaffArea | ViewCalls | ViewHouseholds | ViewFullDocuments | ViewAuditLog => {
                "Ley 1581 de 2012, art. 4 f)"
            }
            ManageUsers => "Ley 1581 de 2012, art. 17 d)",
            ImportReferenceData => "Art. 5-6",
            ManageCalls => "Art. 8",
            RunScreening => "Art. 9 par.",
            VerifyHouseholds => "Art. 11-14",
            Formulate => "Art. 17-18",
            RecordEndorsement => "Art. 25",
            ManageCommittee | IssueConcept => "Art. 23-24",
            AwardCofinancing => "Art. 27",
            RecordDisbursement => "Art. 32-33",
            RecordLedger | ApprovePlanChange => "Art. 29 par., 34",
            CloseProject => "Art. 34",
            RecordMeasurements | ReviewMeasurements | ManageProjects => "Art. 34-36",
            AnswerPetitions => "Ley 1755 de 2015, art. 14",
            NotifyActs => "Ley 1437 de 2011, art. 67-69, 74-76",
        }
    }
}

/// An e-mail address, trimmed and lower-cased, with one `@` between non-empty parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an e-mail address")]
pub struct InvalidEmail(pub String);

impl InvalidEmail {
    pub fn message(&self) -> Message {
        Message::new("account-error-email").with("value", &self.0)
    }
}

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let normalized = text.trim().to_lowercase();
        let valid = match normalized.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && normalized.len() <= 254
                    && !normalized.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(Self(normalized))
        } else {
            Err(InvalidEmail(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The shortest password an account may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
pub struct WeakPassword;

impl WeakPassword {
    pub fn message(&self) -> Message {
        Message::new("account-error-password_short").with("min", MIN_PASSWORD_CHARS)
    }
}

pub fn check_password_strength(password: &str) -> Result<(), WeakPassword> {
    if password.chars().count() >= MIN_PASSWORD_CHARS {
        Ok(())
    } else {
        Err(WeakPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn territorial_roles_reach_only_their_office_department() {
        let caqueta = Role::TerritorialOfficer.reach(Some("18"));
        assert!(caqueta.covers("18001") && caqueta.covers("18"));
        assert!(!caqueta.covers("52835") && !caqueta.covers(""));
        assert_eq!(Role::TerritorialDirector.reach(None), Reach::Nowhere);
        assert!(!Reach::Nowhere.covers("18001"));
        for role in [
            Role::Admin,
            Role::ProgramOfficer,
            Role::CommitteeMember,
            Role::Oversight,
            Role::Auditor,
            Role::Formulator,
        ] {
            assert_eq!(role.reach(Some("18")), Reach::National, "{role}");
        }
    }

    #[test]
    fn a_formulator_edits_only_its_own_formulations() {
        assert!(Role::Formulator.may_edit_formulation(7, Some(7)));
        assert!(!Role::Formulator.may_edit_formulation(7, Some(8)));
        assert!(!Role::Formulator.may_edit_formulation(7, None));
        assert!(Role::TerritorialOfficer.may_edit_formulation(7, Some(8)));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for &role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn only_admins_manage_users_and_auditors_change_nothing() {
        assert!(Role::Admin.can(Permission::ManageUsers));
        for role in Role::ALL.iter().copied().filter(|r| *r != Role::Admin) {
            assert!(!role.can(Permission::ManageUsers), "{role}");
            assert!(!role.can(Permission::ImportReferenceData), "{role}");
        }
        assert!(Role::Auditor.can(Permission::ViewAuditLog));
        assert!(!Role::Auditor.can(Permission::ManageCalls));
        assert!(Role::TerritorialOfficer.can(Permission::RunScreening));
        assert!(!Role::Formulator.can(Permission::RunScreening));
        assert!(Role::Formulator.can(Permission::Formulate));
        assert!(!Role::CommitteeMember.can(Permission::Formulate));
        assert!(Role::TerritorialOfficer.can(Permission::ViewFullDocuments));
        assert!(!Role::CommitteeMember.can(Permission::ViewFullDocuments));
        assert!(!Role::Formulator.can(Permission::ViewAuditLog));
    }

    #[test]
    fn the_roles_that_sign_approve_award_or_pay_need_a_second_factor() {
        let needing: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| r.requires_second_factor())
            .collect();
        assert_eq!(
            needing,
            [
                Role::Admin,
                Role::ProgramOfficer,
                Role::TerritorialDirector,
                Role::TerritorialOfficer,
                Role::CommitteeMember
            ]
        );
    }

    #[test]
    fn the_territorial_offices_verify_households() {
        for role in Role::ALL.iter().copied() {
            let expected = matches!(
                role,
                Role::Admin | Role::ProgramOfficer | Role::TerritorialDirector | Role::TerritorialOfficer
            );
            assert_eq!(role.can(Permission::VerifyHouseholds), expected, "{role}");
        }
    }

    #[test]
    fn the_procedure_belongs_to_its_roles() {
        use Permission::*;
        let holders =
            |permission| -> Vec<Role> { Role::ALL.iter().copied().filter(|r| r.can(permission)).collect() };
        assert_eq!(holders(IssueConcept), [Role::CommitteeMember]);
        assert_eq!(holders(AwardCofinancing), [Role::TerritorialDirector]);
        assert_eq!(
            holders(RecordDisbursement),
            [Role::TerritorialDirector, Role::TerritorialOfficer]
        );
        assert_eq!(
            holders(ManageCommittee),
            [Role::Admin, Role::ProgramOfficer, Role::CommitteeMember]
        );
        assert!(Role::Formulator.can(RecordEndorsement));
        assert!(!Role::CommitteeMember.can(RecordEndorsement));
        assert!(!Role::Oversight.can(RecordEndorsement));
        assert!(!Role::Auditor.can(ManageCommittee));
    }

    #[test]
    fn e_mail_addresses_are_normalized_and_checked() {
        assert_eq!(
            EmailAddress::parse(" Ana@Agencia.gov.co ").map(|e| e.to_string()),
            Ok("ana@agencia.gov.co".into())
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@gov.co",
            "ana@gov",
            "a b@gov.co",
            "ana@@gov.co",
            "ana@gov.co.",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("corta").is_err());
        assert!(check_password_strength("suficientemente larga").is_ok());
    }
}

/// Failed logins an account or an address may make before it must wait.
pub const LOGIN_FAILURES_ALLOWED: u32 = 5;
/// The longest wait after failed logins, in seconds.
pub const LOGIN_WAIT_MAX_SECONDS: u64 = 15 * 60;

/// How long an account or an address must wait after `failures` failed logins in a row: nothing
/// for the first few, then a delay that doubles with each further failure (1 s, 2 s, 4 s, …), up
/// to a quarter of an hour.
pub fn login_wait_seconds(failures: u32) -> Option<u64> {
    let over = failures.checked_sub(LOGIN_FAILURES_ALLOWED)?;
    Some(
        1u64.checked_shl(over)
            .unwrap_or(u64::MAX)
            .min(LOGIN_WAIT_MAX_SECONDS),
    )
}

#[cfg(test)]
mod login_throttle_tests {
    use super::*;

    #[test]
    fn the_wait_grows_after_five_failures_up_to_a_quarter_of_an_hour() {
        let waits: Vec<Option<u64>> = (0..8).map(login_wait_seconds).collect();
        assert_eq!(waits, [None, None, None, None, None, Some(1), Some(2), Some(4)]);
        assert_eq!(login_wait_seconds(15), Some(900));
        assert_eq!(login_wait_seconds(200), Some(900));
    }
}
