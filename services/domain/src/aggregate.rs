//! What every aggregate is: a fold of its stream's events. Commands are methods on the
//! aggregate that take the command and a [`Context`] and return the events to record (or a
//! [`DomainError`]); they never change state themselves. `apply` only folds.

use std::sync::Arc;

use auth::Principal;
use chrono::{DateTime, NaiveDate, Utc};

use crate::command::Command;
use crate::commissioning::Commissions;
use crate::error::Result;
use crate::event::EventSet;
use crate::policy::{Targets, authorize};
use crate::registry::Registry;

pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Event: EventSet;
    /// Folds one event into the state. Never fails: events are facts.
    fn apply(&mut self, event: &Self::Event);
}

/// Everything a command may consult besides its own aggregate: who is asking, the
/// organisation tree as it stands, the commissions in force (filled only for the commands
/// that consult them: see `handlers::Store`; empty otherwise), and the time.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: Principal,
    pub registry: Arc<Registry>,
    pub commissions: Arc<Commissions>,
    pub now: DateTime<Utc>,
}

impl Context {
    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }

    /// Whether the caller may issue `command` on `targets`, judged over this tree today
    /// ([`authorize`]).
    pub fn authorize(&self, command: Command, targets: &Targets<'_>) -> Result<()> {
        authorize(&self.actor, command, targets, &self.registry, self.today())
    }
}
