//! From an identity provider's claims to the organisation and roles difacto acts on
//! (DESIGN.md §10: "a configured mapping from its claims to `org` and `roles`").
//!
//! A claim is named by its key, or by a dotted path through nested objects
//! (`nhsid.org_code`). The organisation claim holds one code; the roles claim holds a
//! string or a list of strings, each mapped to a difacto role by the configured table
//! (or, with no table, taken as a difacto role name). `service` is never granted to a
//! person.

use std::collections::BTreeSet;

use auth::Role;
use serde_json::{Map, Value};

/// The longest organisation code taken from a claim; ODS codes are a few characters and
/// partners' codes a few words.
const MAX_ORG: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// The claim (or dotted path) holding the organisation code.
    pub org_claim: String,
    /// The claim (or dotted path) holding the roles.
    pub roles_claim: String,
    /// `(claim value, role)`: which values grant which role. Empty: a value that is a
    /// difacto role name (`icb_commissioner`) grants that role.
    pub roles: Vec<(String, Role)>,
}

/// Why a signed-in account cannot act in difacto: no session is made, and the page says
/// which claim was missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmapped {
    #[error("the identity provider sent no organisation code in the claim {0}")]
    NoOrganisation(String),
    #[error("the claim {0} gives no role difacto knows")]
    NoRole(String),
}

impl ClaimMapping {
    /// Checks the table: claim names present, and no value granting `service` (a
    /// program's role, never a person's).
    pub fn new(
        org_claim: &str,
        roles_claim: &str,
        roles: Vec<(String, Role)>,
    ) -> Result<Self, String> {
        let org_claim = org_claim.trim();
        let roles_claim = roles_claim.trim();
        if org_claim.is_empty() || org_claim.split('.').any(str::is_empty) {
            return Err("the organisation claim needs a name (or a dotted path)".into());
        }
        if roles_claim.is_empty() || roles_claim.split('.').any(str::is_empty) {
            return Err("the roles claim needs a name (or a dotted path)".into());
        }
        if let Some((value, _)) = roles.iter().find(|(_, r)| *r == Role::Service) {
            return Err(format!(
                "the value {value:?} maps to the role service, which is for programs, never people"
            ));
        }
        if let Some((value, _)) = roles.iter().find(|(v, _)| v.trim().is_empty()) {
            return Err(format!("a role is mapped from an empty value ({value:?})"));
        }
        Ok(Self {
            org_claim: org_claim.to_owned(),
            roles_claim: roles_claim.to_owned(),
            roles,
        })
    }

    /// The organisation code and roles `claims` grant.
    pub fn apply(&self, claims: &Map<String, Value>) -> Result<(String, Vec<Role>), Unmapped> {
        let org = lookup(claims, &self.org_claim)
            .and_then(|value| match value {
                Value::String(s) => Some(s.as_str()),
                // A list is taken only when it names one organisation: with several,
                // which one the person acts for is not the claim's to say.
                Value::Array(items) if items.len() == 1 => items[0].as_str(),
                _ => None,
            })
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.chars().count() <= MAX_ORG)
            .ok_or_else(|| Unmapped::NoOrganisation(self.org_claim.clone()))?;
        let values: Vec<&str> = match lookup(claims, &self.roles_claim) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let roles: BTreeSet<Role> = values
            .iter()
            .flat_map(|value| self.roles_for(value.trim()))
            .filter(|r| *r != Role::Service)
            .collect();
        if roles.is_empty() {
            return Err(Unmapped::NoRole(self.roles_claim.clone()));
        }
        Ok((org.to_owned(), roles.into_iter().collect()))
    }

    fn roles_for<'a>(&'a self, value: &'a str) -> Box<dyn Iterator<Item = Role> + 'a> {
        if self.roles.is_empty() {
            Box::new(value.parse::<Role>().ok().into_iter())
        } else {
            Box::new(
                self.roles
                    .iter()
                    .filter(move |(v, _)| v == value)
                    .map(|(_, r)| *r),
            )
        }
    }
}

/// The value at `path`: a key, or keys through nested objects separated by dots. A key
/// that itself holds a dot is found whole first.
fn lookup<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn role_names_map_to_themselves_without_a_table() {
        let mapping =
            ClaimMapping::new("difacto_org", "difacto_roles", Vec::new()).expect("a valid mapping");
        let got = mapping.apply(&claims(json!({
            "difacto_org": "QOP",
            "difacto_roles": ["icb_commissioner", "librarian", "service"]
        })));
        assert_eq!(got, Ok(("QOP".into(), vec![Role::IcbCommissioner])));
    }

    #[test]
    fn a_table_maps_values_and_nothing_else() {
        let mapping = ClaimMapping::new(
            "nhsid.org_code",
            "roles",
            vec![
                ("R8000".into(), Role::PracticeManager),
                ("R8001".into(), Role::PracticeStaff),
            ],
        )
        .expect("a valid mapping");
        let got = mapping.apply(&claims(json!({
            "nhsid": { "org_code": "A81001" },
            "roles": "R8000"
        })));
        assert_eq!(got, Ok(("A81001".into(), vec![Role::PracticeManager])));
        // A role name is not a claim value the table lists.
        let unmapped = mapping.apply(&claims(json!({
            "nhsid": { "org_code": "A81001" },
            "roles": ["practice_manager"]
        })));
        assert_eq!(unmapped, Err(Unmapped::NoRole("roles".into())));
    }

    #[test]
    fn missing_or_ambiguous_organisations_are_refused() {
        let mapping = ClaimMapping::new("org", "roles", Vec::new()).expect("a valid mapping");
        for bad in [
            json!({ "roles": ["national_lead"] }),
            json!({ "org": "", "roles": ["national_lead"] }),
            json!({ "org": ["QOP", "QWO"], "roles": ["national_lead"] }),
            json!({ "org": 7, "roles": ["national_lead"] }),
            json!({ "org": "x".repeat(65), "roles": ["national_lead"] }),
        ] {
            assert_eq!(
                mapping.apply(&claims(bad)),
                Err(Unmapped::NoOrganisation("org".into()))
            );
        }
        assert_eq!(
            mapping.apply(&claims(json!({ "org": ["QOP"], "roles": "national_lead" }))),
            Ok(("QOP".into(), vec![Role::NationalLead]))
        );
    }

    #[test]
    fn service_is_never_granted_to_a_person() {
        assert!(ClaimMapping::new("org", "roles", vec![("svc".into(), Role::Service)]).is_err());
        let mapping = ClaimMapping::new("org", "roles", Vec::new()).expect("a valid mapping");
        assert_eq!(
            mapping.apply(&claims(json!({ "org": "X24", "roles": ["service"] }))),
            Err(Unmapped::NoRole("roles".into()))
        );
    }

    #[test]
    fn claim_names_are_required() {
        assert!(ClaimMapping::new("", "roles", Vec::new()).is_err());
        assert!(ClaimMapping::new("org", " ", Vec::new()).is_err());
        assert!(ClaimMapping::new("a..b", "roles", Vec::new()).is_err());
    }
}
