//! Every event the read models fold, decoded once from the log's bytes. The domain's own
//! `event_set!` builds it, so the gateway and the services decode the same way.

use eventlog::RecordedEvent;

domain::event_set! {
    #[allow(clippy::large_enum_variant)]
    pub enum GatewayEvent {
        OrganisationRegistered,
        OrganisationRenamed,
        OrganisationReparented,
        OrganisationsMerged,
        OrganisationClosed,
        RegistryImported,
        DutyDefined,
        DutyRetired,
        ResponsibilityProposed,
        ResponsibilityAccepted,
        ResponsibilityDeclined,
        ResponsibilityEnded,
        ResponsibilityAttributed,
        TrainingProgrammeLaunched,
        RolloutTargetSet,
        PartnerCommissioned,
        CommissionEnded,
        FacilitationRecorded,
        DigitalServiceStatusChanged,
        DigitalChampionNamed,
        StaffInPostReported,
        StaffEnrolled,
        ModuleCompleted,
        TrainingCompleted,
        PlatformAdopted,
        SessionScheduled,
        HostingConfirmed,
        HostingDeclined,
        SeatBooked,
        BookingCancelled,
        WaitlistJoined,
        WaitlistPromoted,
        SessionCancelled,
        AttendanceRecorded,
        PlatformRegistered,
        PlatformChangeAnnounced,
        TrainingMaterialPublished,
        UsabilityIssueReported,
        UsabilityIssueAcknowledged,
        UsabilityIssueResolved,
    }
}

impl GatewayEvent {
    /// Through the domain's envelope, so that the read models see what the services see
    /// (upcast to the current schema). `Ok(None)` for a type the read models do not know
    /// (written by a newer version).
    pub fn decode_recorded(event: &RecordedEvent) -> Result<Option<Self>, prost::DecodeError> {
        domain::envelope::decode(&event.event_type, &event.metadata, &event.payload)
    }
}
