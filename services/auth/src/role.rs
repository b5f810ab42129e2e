//! The closed set of roles a token can carry (DESIGN.md §6).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AuthError;

/// What a caller is allowed to do is decided from these roles (and the caller's
/// organisation); the set is closed so that a typo in a token is an error rather
/// than a silently powerless principal.
///
/// On the wire (JWT `roles` claim, `--role` flag) each role is its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// NHS England national team: national aggregates.
    NationalLead,
    /// NHS England region: the ICBs in its region.
    RegionalLead,
    /// Integrated care board commissioner: writes within the ICB's area.
    IcbCommissioner,
    /// Primary care network lead: the practices in the PCN.
    PcnLead,
    /// Practice manager: the practice's own records.
    PracticeManager,
    /// Practice staff member: records facilitation for their practice.
    PracticeStaff,
    /// Partner (e.g. library, charity) coordinator: its own sessions.
    PartnerCoordinator,
    /// Digital platform provider administrator: its own platforms' issues.
    ProviderAdmin,
    /// Read-only national auditor.
    Auditor,
    /// Machine-to-machine caller (services talking to the event log).
    Service,
}

impl Role {
    /// Every role, in declaration order; for help text, validation and tests.
    pub const ALL: [Role; 10] = [
        Role::NationalLead,
        Role::RegionalLead,
        Role::IcbCommissioner,
        Role::PcnLead,
        Role::PracticeManager,
        Role::PracticeStaff,
        Role::PartnerCoordinator,
        Role::ProviderAdmin,
        Role::Auditor,
        Role::Service,
    ];

    /// The wire name, identical to the serde form, without allocating.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::NationalLead => "national_lead",
            Role::RegionalLead => "regional_lead",
            Role::IcbCommissioner => "icb_commissioner",
            Role::PcnLead => "pcn_lead",
            Role::PracticeManager => "practice_manager",
            Role::PracticeStaff => "practice_staff",
            Role::PartnerCoordinator => "partner_coordinator",
            Role::ProviderAdmin => "provider_admin",
            Role::Auditor => "auditor",
            Role::Service => "service",
        }
    }
}

impl FromStr for Role {
    type Err = AuthError;

    /// Exact, case-sensitive wire names only; anything else is
    /// [`AuthError::UnknownRole`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| AuthError::UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name_and_serde() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
            let json = serde_json::to_string(&role).expect("serialise");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            let back: Role = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, role);
        }
    }

    #[test]
    fn wire_names_match_the_design() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "national_lead",
                "regional_lead",
                "icb_commissioner",
                "pcn_lead",
                "practice_manager",
                "practice_staff",
                "partner_coordinator",
                "provider_admin",
                "auditor",
                "service",
            ]
        );
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert_eq!(
            "Service".parse::<Role>(),
            Err(AuthError::UnknownRole("Service".into()))
        );
        assert_eq!(
            "".parse::<Role>(),
            Err(AuthError::UnknownRole(String::new()))
        );
    }
}
