//! The audit trail's vocabulary. Every change made through the store appends one entry.

use serde::Serialize;

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
        PasswordChanged = "password_changed",
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
        )
    }
}

/// Who made a change: a staff account, or the system itself (migrations, demo data, imports
/// run from the command line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
