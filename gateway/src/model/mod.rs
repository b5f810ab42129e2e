//! The read models: folds of the whole log, kept in memory and answered from.
//!
//! `apply` is the only way in, one recorded event at a time in position order, so a
//! replay from zero and a restart from a checkpoint give the same state (tested). Every
//! part is plain data that serialises, so the whole model is the checkpoint.

pub mod coverage;
mod events;
pub mod facilitation;
pub mod platforms;
pub mod responsibility;
pub mod sessions;
pub mod training;
pub mod tree;

use chrono::{DateTime, NaiveDate, Utc};
use domain::Aggregate;
use domain::commissioning::Commissions;
use eventlog::RecordedEvent;
use serde::{Deserialize, Serialize};

pub use events::GatewayEvent;

/// `code` (named by its code) registered under `parent` as `kind`, in force since 2020:
/// how the model tests build their trees.
#[cfg(test)]
pub(crate) fn registered(
    code: &str,
    kind: proto::v1::OrganisationKind,
    parent: &str,
) -> GatewayEvent {
    GatewayEvent::OrganisationRegistered(proto::v1::OrganisationRegistered {
        code: code.into(),
        kind: kind.into(),
        name: code.into(),
        parent_code: parent.into(),
        effective_date: "2020-01-01".into(),
        ..Default::default()
    })
}

/// Everything the views answer from, as of `position`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ReadModel {
    /// The last event folded in (0: none).
    pub position: u64,
    /// Its id, so that a checkpoint can tell whether it belongs to this log.
    pub last_event_id: Option<uuid::Uuid>,
    pub last_recorded_at: Option<DateTime<Utc>>,
    pub tree: tree::Tree,
    pub responsibility: responsibility::Responsibility,
    pub training: training::Training,
    pub sessions: sessions::Sessions,
    pub facilitation: facilitation::Facilitation,
    pub platforms: platforms::Platforms,
    /// Folded by the domain's own aggregate, so that the views attribute sessions to
    /// commissions by the rule the services book by.
    pub commissions: Commissions,
    /// Events the model could not decode: counted and logged, never fatal, so one bad
    /// payload cannot stop every view.
    pub undecodable: u64,
}

impl ReadModel {
    /// Folds one event. Events must arrive in position order; one already folded (a
    /// re-delivery after a reconnect) is ignored.
    pub fn apply(&mut self, event: &RecordedEvent) {
        if event.position <= self.position {
            return;
        }
        let at = recorded_at(event);
        match GatewayEvent::decode_recorded(event) {
            Ok(Some(decoded)) => self.fold(&decoded, at),
            Ok(None) => {}
            Err(err) => {
                self.undecodable += 1;
                tracing::warn!(position = event.position, event_type = %event.event_type, error = %err,
                    "read model skipped an event it cannot decode");
            }
        }
        self.position = event.position;
        self.last_event_id = Some(event.event_id);
        self.last_recorded_at = Some(at);
    }

    fn fold(&mut self, event: &GatewayEvent, at: DateTime<Utc>) {
        use GatewayEvent as E;
        match event {
            E::OrganisationRegistered(_)
            | E::OrganisationRenamed(_)
            | E::OrganisationReparented(_)
            | E::OrganisationsMerged(_)
            | E::OrganisationClosed(_)
            | E::RegistryImported(_) => self.tree.apply(event),
            E::DutyDefined(_)
            | E::DutyRetired(_)
            | E::ResponsibilityProposed(_)
            | E::ResponsibilityAccepted(_)
            | E::ResponsibilityDeclined(_)
            | E::ResponsibilityEnded(_)
            | E::ResponsibilityAttributed(_) => self.responsibility.apply(event, at),
            E::TrainingProgrammeLaunched(_)
            | E::RolloutTargetSet(_)
            | E::StaffInPostReported(_)
            | E::StaffEnrolled(_)
            | E::ModuleCompleted(_)
            | E::TrainingCompleted(_) => self.training.apply(event, at),
            E::PartnerCommissioned(e) => self.commissions.apply(&e.clone().into()),
            E::CommissionEnded(e) => self.commissions.apply(&e.clone().into()),
            E::SessionScheduled(_)
            | E::HostingConfirmed(_)
            | E::HostingDeclined(_)
            | E::SeatBooked(_)
            | E::BookingCancelled(_)
            | E::WaitlistJoined(_)
            | E::WaitlistPromoted(_)
            | E::SessionCancelled(_)
            | E::AttendanceRecorded(_) => self.sessions.apply(event),
            E::FacilitationRecorded(_) => self.facilitation.apply(event),
            E::DigitalServiceStatusChanged(_)
            | E::DigitalChampionNamed(_)
            | E::PlatformAdopted(_)
            | E::PlatformRegistered(_)
            | E::PlatformChangeAnnounced(_)
            | E::TrainingMaterialPublished(_)
            | E::UsabilityIssueReported(_)
            | E::UsabilityIssueAcknowledged(_)
            | E::UsabilityIssueResolved(_) => self.platforms.apply(event, at),
        }
    }
}

pub fn recorded_at(event: &RecordedEvent) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(event.recorded_at_unix_micros).unwrap_or_default()
}

/// The `YYYY-MM-DD` dates events carry, parsed as the services checked them on the way in.
pub(crate) fn date(text: &str) -> Option<NaiveDate> {
    domain::values::date("date", text).ok()
}
