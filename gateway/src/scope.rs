//! Read scoping (DESIGN.md §6): who may read what. The tree, duties, responsibilities,
//! sessions' capacity and platforms are open to every signed-in caller; staff training
//! and bookings only to the organisations involved and the commissioners above them;
//! national roles see aggregates, and the audit trail of a practice or a session is
//! open to those involved, the commissioners above them and auditors.

use chrono::NaiveDate;
use difacto_auth::{Principal, Role};

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

    /// Bookings of a session involving `involved`: those organisations, the
    /// commissioners above any of them, and auditors. National leads see the counts.
    pub fn sees_bookings<'i>(
        &self,
        index: &TreeIndex,
        involved: impl IntoIterator<Item = &'i str>,
        date: NaiveDate,
    ) -> bool {
        if self.principal.has_any_role(&[Role::Auditor, Role::Service]) {
            return true;
        }
        if self.principal.has_role(Role::NationalLead) && !self.principal.has_any_role(&AREA) {
            return false;
        }
        involved
            .into_iter()
            .any(|code| code == self.principal.organisation || self.covers(index, code, date))
    }

    /// The audit trail of `stream`. `owners` are the organisations a practice or session
    /// stream belongs to (empty for the shared streams everyone may read).
    pub fn sees_history(&self, index: &TreeIndex, owners: &[&str], date: NaiveDate) -> bool {
        owners.is_empty() || self.sees_bookings(index, owners.iter().copied(), date)
    }
}
