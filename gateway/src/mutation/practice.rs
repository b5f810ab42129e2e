//! Mutations of `PracticeService`: the facilitation a practice does, the digital services
//! it offers, its digital champions, its staff's training and the platforms it uses.

use crate::services::DomainEndpoints;
use crate::vocabulary::{
    DigitalService, FacilitationChannel, FacilitationMode, PatientGroup, ServiceChangeReason,
    ServiceStatus, StaffRole,
};

mutations! {
    /// Commands of practice managers and staff (and PCN leads for their practices).
    PracticeMutations, DomainEndpoints::practice {
        /// Records the help your practice gave patients to use a digital service in one week:
        /// how it came about, through which channel, who gave it, for which groups, and how
        /// many people it helped. Patients appear only as counts.
        record_facilitation(RecordFacilitationInput);
        /// Records that your practice switched a digital service on, paused it or withdrew it,
        /// and why.
        change_service_status(ChangeServiceStatusInput);
        /// Names a member of staff as a digital champion: the person colleagues and patients
        /// go to for help with the services listed.
        name_digital_champion(NameDigitalChampionInput);
        /// Records how many people work in a role at your practice, as of a date: the
        /// denominator the training rollout measures against.
        report_staff_in_post(ReportStaffInPostInput);
        /// Records that a member of staff started a training programme.
        enrol_staff(EnrolStaffInput);
        /// Records that an enrolled member of staff finished one module of a programme.
        complete_module(CompleteModuleInput);
        /// Records that an enrolled member of staff finished a whole programme: they count as
        /// trained from that date.
        complete_training(CompleteTrainingInput);
        /// Records that your practice started using a registered platform, so it hears about
        /// the platform's changes and can report problems with it.
        adopt_platform(AdoptPlatformInput);
    }
}

command_input! {
    /// One week's facilitation of one kind.
    RecordFacilitationInput => RecordFacilitationRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        /// ISO week, e.g. `2026-W14`; not in the future.
        week: String,
        mode: FacilitationMode,
        /// The service people were helped to use.
        service: DigitalService,
        channel: FacilitationChannel,
        /// The role of whoever gave the help.
        delivered_by: StaffRole,
        /// The groups at risk of exclusion among the people helped; empty when not known.
        #[graphql(default)]
        patient_groups: Vec<PatientGroup>,
        /// How many people were helped (at least 1).
        patients_supported: i32,
        /// Of those helped, how many are now registered for the NHS App.
        #[graphql(default)]
        registered_for_nhs_app: i32,
        /// Of those helped, how many did the task online (ordered, booked, asked).
        #[graphql(default)]
        completed_task_online: i32,
        /// Of those helped, how many were referred to a partner's community session.
        #[graphql(default)]
        referred_to_community_session: i32,
        /// Of those offered help, how many did not want it.
        #[graphql(default)]
        declined_help: i32,
        /// Of those helped, how many now have a carer or relative acting for them online.
        #[graphql(default)]
        set_up_proxy_access: i32,
        /// Staff time spent in total; 0 when not recorded.
        #[graphql(default)]
        staff_minutes: i32,
        /// Free text; must not identify a patient.
        notes: Option<String>,
    }
}

command_input! {
    /// A digital service switched on, paused or withdrawn.
    ChangeServiceStatusInput => ChangeServiceStatusRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        service: DigitalService,
        /// The status from the effective date on.
        status: ServiceStatus,
        /// Why, in free text; required when pausing or withdrawing; must not identify a
        /// patient.
        reason: Option<String>,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
        /// Why, at a glance.
        reason_kind: Option<ServiceChangeReason>,
    }
}

command_input! {
    /// A digital champion.
    NameDigitalChampionInput => NameDigitalChampionRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
        staff_ref: String,
        /// The person's day-to-day role.
        staff_role: StaffRole,
        /// What they champion; empty means all.
        #[graphql(default)]
        services: Vec<DigitalService>,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
    }
}

command_input! {
    /// How many people work in one role at a practice.
    ReportStaffInPostInput => ReportStaffInPostRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        staff_role: StaffRole,
        /// People in post in the role; 0 means none.
        headcount: i32,
        /// `YYYY-MM-DD`; today when left out.
        as_of: Option<String>,
    }
}

command_input! {
    /// A member of staff starting a programme.
    EnrolStaffInput => EnrolStaffRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
        staff_ref: String,
        /// The role the rollout counts them under.
        staff_role: StaffRole,
        programme_id: String,
        /// `YYYY-MM-DD`; today when left out.
        enrolled_on: Option<String>,
    }
}

command_input! {
    /// A module finished.
    CompleteModuleInput => CompleteModuleRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
        staff_ref: String,
        programme_id: String,
        /// One of the programme's module ids.
        module_id: String,
        /// `YYYY-MM-DD`; today when left out.
        completed_on: Option<String>,
    }
}

command_input! {
    /// A programme finished.
    CompleteTrainingInput => CompleteTrainingRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
        staff_ref: String,
        programme_id: String,
        /// `YYYY-MM-DD`; today when left out.
        completed_on: Option<String>,
    }
}

command_input! {
    /// A platform the practice started using.
    AdoptPlatformInput => AdoptPlatformRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        practice_code: String,
        platform_id: String,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
        /// The services the practice uses it for; empty means all it offers.
        #[graphql(default)]
        services: Vec<DigitalService>,
    }
}
