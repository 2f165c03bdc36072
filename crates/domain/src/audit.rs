//! The audit trail's vocabulary. Every change made through the store appends one entry.

use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

text_enum! {
    pub enum AuditAction ("audit action") {
        Create = "create",
        Update = "update",
        Delete = "delete",
        LoginSucceeded = "login_succeeded",
        LoginFailed = "login_failed",
        LoginThrottled = "login_throttled",
        Logout = "logout",
        /// An account changed its own password (its other sessions end).
        PasswordChanged = "password_changed",
        /// An administrator issued a one-time password-reset link for an account.
        PasswordResetIssued = "password_reset_issued",
        /// A password-reset link was used to set a new password.
        PasswordResetUsed = "password_reset_used",
        /// An account enrolled a second factor (TOTP) and got its recovery codes.
        SecondFactorEnrolled = "second_factor_enrolled",
        /// A wrong second-factor code at login.
        SecondFactorFailed = "second_factor_failed",
        /// A recovery code was used instead of the second factor's code.
        RecoveryCodeUsed = "recovery_code_used",
        /// An administrator removed an account's second factor (a lost device and codes); the
        /// account enrolls again.
        SecondFactorRemoved = "second_factor_removed",
        /// A data subject's request answered (Ley 1581 de 2012): what was held was read and
        /// handed over.
        SubjectAccess = "subject_access",
    }
}

impl AuditAction {
    /// Whether the entry records an authentication event rather than a change of a row.
    pub fn is_authentication(self) -> bool {
        matches!(
            self,
            AuditAction::LoginSucceeded
                | AuditAction::LoginFailed
                | AuditAction::LoginThrottled
                | AuditAction::Logout
                | AuditAction::PasswordChanged
                | AuditAction::PasswordResetIssued
                | AuditAction::PasswordResetUsed
                | AuditAction::SecondFactorEnrolled
                | AuditAction::SecondFactorFailed
                | AuditAction::RecoveryCodeUsed
                | AuditAction::SecondFactorRemoved
        )
    }
}

/// Who made a change: a staff account, or the system itself (migrations, demo data, imports
/// run from the command line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    User { id: i32, email: String },
    System { process: String },
}

impl Actor {
    pub fn system(process: &str) -> Self {
        Actor::System {
            process: process.to_owned(),
        }
    }

    /// How the actor is written in the log: the account's e-mail, or `system:PROCESS`.
    pub fn label(&self) -> String {
        match self {
            Actor::User { email, .. } => email.clone(),
            Actor::System { process } => format!("system:{process}"),
        }
    }

    pub fn user_id(&self) -> Option<i32> {
        match self {
            Actor::User { id, .. } => Some(*id),
            Actor::System { .. } => None,
        }
    }
}
