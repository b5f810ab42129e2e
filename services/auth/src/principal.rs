//! The caller as the domain sees it: never a JWT, only who and what they may be.

use crate::Role;

/// An authenticated caller. Produced only by [`crate::TokenVerifier::verify`] (or
/// built directly in tests and by trusted in-process callers), so that the domain
/// and the policy never handle tokens (STYLE.md item 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who: the token's `sub`; recorded on every event the caller writes.
    pub subject: String,
    /// Where they act from: the organisation code in the token's `org` claim,
    /// which scopes their writes and reads.
    pub organisation: String,
    /// What they may do; never contains duplicates when built by the verifier.
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether the caller holds `role`; the building block of every policy check.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the caller holds at least one of `roles`, for operations several
    /// roles may perform. An empty `roles` slice is never satisfied.
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has_role(*role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager() -> Principal {
        Principal {
            subject: "staff-1".into(),
            organisation: "A81001".into(),
            roles: vec![Role::PracticeManager, Role::PracticeStaff],
        }
    }

    #[test]
    fn has_role_checks_membership() {
        assert!(manager().has_role(Role::PracticeManager));
        assert!(!manager().has_role(Role::Service));
    }

    #[test]
    fn has_any_role_needs_one_match() {
        assert!(manager().has_any_role(&[Role::Service, Role::PracticeStaff]));
        assert!(!manager().has_any_role(&[Role::Service, Role::Auditor]));
        assert!(!manager().has_any_role(&[]));
    }
}
