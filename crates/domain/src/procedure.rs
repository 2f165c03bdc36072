//! The program's procedure from formulation to disbursement (Art. 23-27, 31-33) as a pure
//! state machine: which action moves a project from which state, and which roles may take it.
//!
//! ```text
//! draft --submit--> submitted --endorse (Art. 25)--> endorsed --schedule--> on_agenda
//! on_agenda --positive concept (Art. 24.4)--> viable --award (Art. 27)--> awarded
//! awarded --disburse (Art. 32-33)--> disbursed
//! on_agenda --negative concept (Art. 24.4)--> returned --revise--> draft
//! submitted | endorsed | on_agenda | viable --objection upheld (Art. 24.6)--> returned
//! ```
//!
//! [`transition`] checks the role first, then the state, and its [`Refusal`] says which
//! article forbids the step and why, in Spanish and English.

use std::fmt;

use crate::accounts::{Permission, Role};
use crate::message::Message;
use crate::text_enum::text_enum;

text_enum! {
    /// Where a project stands in the procedure.
    pub enum ProcedureState ("procedure state") {
        /// Being written by its formulator (Art. 18-22).
        Draft = "draft",
        /// Presented: its latest version is frozen.
        Submitted = "submitted",
        /// Endorsed by its families (Art. 25): it may go before the committee.
        Endorsed = "endorsed",
        /// On the agenda of a committee session (Art. 23).
        OnAgenda = "on_agenda",
        /// Positive concept with a viability report (Art. 24.4).
        Viable = "viable",
        /// Negative concept or an upheld objection: back with the formulator (Art. 24.4, 24.6).
        Returned = "returned",
        /// Co-financing awarded by resolution of the territorial director (Art. 27).
        Awarded = "awarded",
        /// The single payment of 100 % made (Art. 33).
        Disbursed = "disbursed",
    }
}

text_enum! {
    /// A step of the procedure.
    pub enum ProcedureAction ("procedure action") {
        Submit = "submit",
        /// Record the families' endorsement (Art. 25).
        Endorse = "endorse",
        /// Put the project on a committee session's agenda.
        Schedule = "schedule",
        /// Positive concept with the viability report (Art. 24.4).
        ConceptPositive = "concept_positive",
        /// Negative concept with recommendations (Art. 24.4).
        ConceptNegative = "concept_negative",
        /// An objection against the project, a family or a parcel upheld (Art. 24.6).
        UpholdObjection = "uphold_objection",
        /// The formulator saves a corrected version (Art. 24.4).
        Revise = "revise",
        /// Resolution awarding the co-financing (Art. 27).
        Award = "award",
        /// The single disbursement (Art. 32-33).
        Disburse = "disburse",
    }
}

impl ProcedureAction {
    /// The permission a role needs to take this step.
    pub fn permission(self) -> Permission {
        match self {
            ProcedureAction::Submit | ProcedureAction::Revise => Permission::Formulate,
            ProcedureAction::Endorse => Permission::RecordEndorsement,
            ProcedureAction::Schedule => Permission::ManageCommittee,
            ProcedureAction::ConceptPositive
            | ProcedureAction::ConceptNegative
            | ProcedureAction::UpholdObjection => Permission::IssueConcept,
            ProcedureAction::Award => Permission::AwardCofinancing,
            ProcedureAction::Disburse => Permission::RecordDisbursement,
        }
    }

    /// The article that rules this step.
    pub fn article(self) -> &'static str {
        match self {
            ProcedureAction::Submit | ProcedureAction::Revise => "Art. 23-24",
            ProcedureAction::Endorse | ProcedureAction::Schedule => "Art. 25",
            ProcedureAction::ConceptPositive | ProcedureAction::ConceptNegative => "Art. 24.4",
            ProcedureAction::UpholdObjection => "Art. 24.6",
            ProcedureAction::Award => "Art. 27",
            ProcedureAction::Disburse => "Art. 32-33",
        }
    }
}

/// Why a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The role may not take this step (HTTP 403).
    Role,
    /// The project is not in a state where this step applies (HTTP 409).
    State,
}

/// A refused step, explaining itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub state: ProcedureState,
    pub action: ProcedureAction,
    pub role: Role,
    /// The article that forbids it.
    pub article: &'static str,
}

impl Refusal {
    /// Why, as a message of the catalogue: the article, the role or the project's state,
    /// the step, and for some steps what is still missing.
    pub fn message(&self) -> Message {
        let message = match self.kind {
            RefusalKind::Role => {
                Message::new("procedure-refused-role").with_term("role", format!("role-{}", self.role))
            }
            RefusalKind::State => Message::new("procedure-refused-state")
                .with_term("state", format!("procedure-state-phrase-{}", self.state))
                .with("hint", self.hint()),
        };
        message
            .with("article", self.article)
            .with_term("action", format!("procedure-action-{}", self.action))
    }

    /// What the project still needs for this step, where that is one thing.
    fn hint(&self) -> &'static str {
        match (self.action, self.state) {
            (ProcedureAction::Schedule, ProcedureState::Submitted) => "endorsement",
            (ProcedureAction::Award, ProcedureState::OnAgenda | ProcedureState::Endorsed) => {
                "positive_concept"
            }
            (ProcedureAction::Disburse, ProcedureState::Viable) => "resolution",
            (ProcedureAction::Disburse, ProcedureState::Disbursed) => "single_payment",
            _ => "none",
        }
    }

    /// The HTTP status that fits: 403 for a role, 409 for a state.
    pub fn http_status(&self) -> u16 {
        match self.kind {
            RefusalKind::Role => 403,
            RefusalKind::State => 409,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RefusalKind::Role => write!(
                f,
                "{}: the role {} may not {}",
                self.article, self.role, self.action
            ),
            RefusalKind::State => write!(
                f,
                "{}: a project {} cannot take the step {}",
                self.article, self.state, self.action
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// The state a step leads to from `state`, whatever the role; `None` when it does not apply.
pub fn next_state(state: ProcedureState, action: ProcedureAction) -> Option<ProcedureState> {
    use ProcedureAction as A;
    use ProcedureState as S;
    match (state, action) {
        (S::Draft, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Endorse) => Some(S::Endorsed),
        (S::Endorsed, A::Schedule) => Some(S::OnAgenda),
        (S::OnAgenda, A::ConceptPositive) => Some(S::Viable),
        (S::OnAgenda, A::ConceptNegative) => Some(S::Returned),
        (S::Submitted | S::Endorsed | S::OnAgenda | S::Viable, A::UpholdObjection) => Some(S::Returned),
        (S::Returned, A::Revise) => Some(S::Draft),
        (S::Viable, A::Award) => Some(S::Awarded),
        (S::Awarded, A::Disburse) => Some(S::Disbursed),
        _ => None,
    }
}

/// Takes `action` from `state` as `role`: the new state, or why not.
pub fn transition(
    state: ProcedureState,
    action: ProcedureAction,
    role: Role,
) -> Result<ProcedureState, Refusal> {
    let refusal = |kind| Refusal {
        kind,
        state,
        action,
        role,
        article: action.article(),
    };
    if !role.can(action.permission()) {
        return Err(refusal(RefusalKind::Role));
    }
    next_state(state, action).ok_or_else(|| refusal(RefusalKind::State))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::message::Arg;
    use ProcedureAction as A;
    use ProcedureState as S;

    /// Every legal step: (from, action, to).
    const LEGAL: &[(S, A, S)] = &[
        (S::Draft, A::Submit, S::Submitted),
        (S::Submitted, A::Endorse, S::Endorsed),
        (S::Endorsed, A::Schedule, S::OnAgenda),
        (S::OnAgenda, A::ConceptPositive, S::Viable),
        (S::OnAgenda, A::ConceptNegative, S::Returned),
        (S::Submitted, A::UpholdObjection, S::Returned),
        (S::Endorsed, A::UpholdObjection, S::Returned),
        (S::OnAgenda, A::UpholdObjection, S::Returned),
        (S::Viable, A::UpholdObjection, S::Returned),
        (S::Returned, A::Revise, S::Draft),
        (S::Viable, A::Award, S::Awarded),
        (S::Awarded, A::Disburse, S::Disbursed),
    ];

    /// Which roles may take each action.
    fn allowed_roles(action: A) -> &'static [Role] {
        use Role::*;
        match action {
            A::Submit | A::Revise => &[Admin, ProgramOfficer, TerritorialOfficer, Formulator],
            A::Endorse => &[
                Admin,
                ProgramOfficer,
                TerritorialDirector,
                TerritorialOfficer,
                Formulator,
            ],
            A::Schedule => &[Admin, ProgramOfficer, CommitteeMember],
            A::ConceptPositive | A::ConceptNegative | A::UpholdObjection => &[CommitteeMember],
            A::Award => &[TerritorialDirector],
            A::Disburse => &[TerritorialDirector, TerritorialOfficer],
        }
    }

    #[test]
    fn every_state_action_and_role_is_decided_by_the_table() {
        for &state in S::ALL {
            for &action in A::ALL {
                let legal = LEGAL
                    .iter()
                    .find(|(from, a, _)| *from == state && *a == action)
                    .map(|(_, _, to)| *to);
                for &role in Role::ALL {
                    let result = transition(state, action, role);
                    let may = allowed_roles(action).contains(&role);
                    match (may, legal) {
                        (true, Some(to)) => assert_eq!(result, Ok(to), "{state} {action} {role}"),
                        (true, None) => {
                            let refusal = result.expect_err("an illegal step is refused");
                            assert_eq!(refusal.kind, RefusalKind::State, "{state} {action} {role}");
                            assert_eq!(refusal.http_status(), 409);
                        }
                        (false, _) => {
                            let refusal = result.expect_err("a role without permission is refused");
                            assert_eq!(refusal.kind, RefusalKind::Role, "{state} {action} {role}");
                            assert_eq!(refusal.http_status(), 403);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_name_the_article_and_the_reason() {
        let early =
            transition(S::Submitted, A::Schedule, Role::CommitteeMember).expect_err("not endorsed yet");
        assert_eq!(early.article, "Art. 25");
        let said = early.message();
        assert_eq!(said.code(), "procedure-refused-state");
        assert_eq!(said.arg("hint"), Some(&Arg::Text("endorsement".into())));
        assert_eq!(said.arg("article"), Some(&Arg::Text("Art. 25".into())));
        assert!(early.to_string().contains("Art. 25"));

        let twice =
            transition(S::Disbursed, A::Disburse, Role::TerritorialDirector).expect_err("one payment");
        assert_eq!(
            twice.message().arg("hint"),
            Some(&Arg::Text("single_payment".into()))
        );

        let officer =
            transition(S::Viable, A::Award, Role::TerritorialOfficer).expect_err("only the director awards");
        assert_eq!(officer.article, "Art. 27");
        let said = officer.message();
        assert_eq!(said.code(), "procedure-refused-role");
        assert_eq!(
            said.arg("role"),
            Some(&Arg::Term("role-territorial_officer".into()))
        );
        assert_eq!(
            said.arg("action"),
            Some(&Arg::Term("procedure-action-award".into()))
        );
    }

    #[test]
    fn names_round_trip() {
        for &state in S::ALL {
            assert_eq!(state.as_str().parse::<S>(), Ok(state));
        }
        for &action in A::ALL {
            assert_eq!(action.as_str().parse::<A>(), Ok(action));
        }
    }

    /// An action by any role, or (more often) by one allowed to take it, so that long walks
    /// reach the end of the procedure.
    fn any_step() -> impl Strategy<Value = (A, Role)> {
        (
            proptest::sample::select(A::ALL.to_vec()),
            proptest::sample::select(Role::ALL.to_vec()),
            proptest::bool::weighted(0.8),
        )
            .prop_map(|(action, role, allowed)| {
                let role = if allowed { allowed_roles(action)[0] } else { role };
                (action, role)
            })
    }

    proptest! {
        #[test]
        fn nothing_is_disbursed_without_being_awarded(steps in proptest::collection::vec(any_step(), 0..60)) {
            let mut state = S::Draft;
            let mut awarded = false;
            for (action, role) in steps {
                if let Ok(next) = transition(state, action, role) {
                    if next == S::Disbursed {
                        prop_assert!(awarded, "disbursed without an award");
                        prop_assert_eq!(state, S::Awarded);
                    }
                    state = next;
                    awarded |= state == S::Awarded;
                }
            }
        }

        #[test]
        fn nothing_goes_before_the_committee_without_the_families(steps in proptest::collection::vec(any_step(), 0..60)) {
            let mut state = S::Draft;
            for (action, role) in steps {
                if let Ok(next) = transition(state, action, role) {
                    if next == S::OnAgenda {
                        prop_assert_eq!(state, S::Endorsed);
                    }
                    state = next;
                }
            }
        }
    }
}
