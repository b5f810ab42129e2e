//! Read scoping (DESIGN.md §6): who may read what. The tree, duties, responsibilities,
//! sessions' capacity and platforms are open to every signed-in caller; staff training
//! and bookings only to the organisations involved and the commissioners above them;
//! national roles and auditors see aggregates, and the audit trail of a practice or a
//! session without the individuals in it (`views::history::trail`); a provider sees the
//! usability issues of its own platforms only.

use auth::{Principal, Role};
use chrono::NaiveDate;

use crate::error::{GatewayError, Result};
use crate::model::tree::TreeIndex;

/// Roles that read all of England.
const NATIONAL: [Role; 3] = [Role::NationalLead, Role::Auditor, Role::Service];
/// Roles whose reach is their own organisation and everything below it.
const AREA: [Role; 5] = [
    Role::RegionalLead,
    Role::IcbCommissioner,
    Role::PcnLead,
    Role::PracticeManager,
    Role::PracticeStaff,
];

#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub principal: &'a Principal,
}

impl<'a> Scope<'a> {
    pub fn new(principal: &'a Principal) -> Self {
        Self { principal }
    }

    pub fn is_national(&self) -> bool {
        self.principal.has_any_role(&NATIONAL)
    }

    /// Whether the caller's area (its organisation and everything below it) holds
    /// `code` on `date`. Partners' and providers' area is themselves.
    pub fn covers(&self, index: &TreeIndex, code: &str, date: NaiveDate) -> bool {
        if self.is_national() {
            return true;
        }
        let own = &self.principal.organisation;
        if code == own {
            return true;
        }
        self.principal.has_any_role(&AREA)
            && index
                .id(own)
                .is_some_and(|own| index.is_within(code, own, date))
    }

    /// Staff training in `area`: the area's own people, and those above it.
    pub fn require_training(&self, index: &TreeIndex, area: &str, date: NaiveDate) -> Result<()> {
        if self.covers(index, area, date) {
            Ok(())
        } else {
            Err(GatewayError::forbidden(format!(
                "within: staff training in {area} is open to the organisations there and the commissioners above them; {} is neither",
                self.principal.organisation
            )))
        }
    }

    /// Individual bookings of a session (or the staff of a practice) involving
    /// `involved`: those organisations and the commissioners above any of them. National
    /// leads and auditors see aggregates and the audit trail, never individuals (§6);
    /// the `service` role is difacto itself.
    pub fn sees_bookings<'i>(
        &self,
        index: &TreeIndex,
        involved: impl IntoIterator<Item = &'i str>,
        date: NaiveDate,
    ) -> bool {
        if self.principal.has_role(Role::Service) {
            return true;
        }
        // A national reach is for aggregates: with it, `covers` would admit every session.
        if self
            .principal
            .has_any_role(&[Role::NationalLead, Role::Auditor])
        {
            return false;
        }
        involved
            .into_iter()
            .any(|code| code == self.principal.organisation || self.covers(index, code, date))
    }

    /// A platform provider, who sees the usability issues of its own platforms only.
    pub fn is_provider(&self) -> bool {
        self.principal.has_role(Role::ProviderAdmin) && !self.is_national()
    }
}
