//! Mutations of `PracticeService`: the facilitation a practice does, the digital services
//! it offers, its digital champions, its staff's training and the platforms it uses.

use async_graphql::{Context, InputObject, Object};
use difacto_proto::v1 as pb;

use super::{IntoRequest, MutationResult, count, enum_or_unspecified, forward};
use crate::error::GatewayError;
use crate::services::DomainEndpoints;
use crate::vocabulary::{
    DigitalService, FacilitationChannel, FacilitationMode, PatientGroup, ServiceChangeReason,
    ServiceStatus, StaffRole, to_proto_list,
};

/// Commands of practice managers and staff (and PCN leads for their practices).
#[derive(Debug, Default)]
pub struct PracticeMutations;

#[Object]
impl PracticeMutations {
    /// Records the help your practice gave patients to use a digital service in one week:
    /// how it came about, through which channel, who gave it, for which groups, and how
    /// many people it helped. Patients appear only as counts.
    async fn record_facilitation(
        &self,
        ctx: &Context<'_>,
        input: RecordFacilitationInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.record_facilitation(r).await },
        )
        .await
    }

    /// Records that your practice switched a digital service on, paused it or withdrew it,
    /// and why.
    async fn change_service_status(
        &self,
        ctx: &Context<'_>,
        input: ChangeServiceStatusInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.change_service_status(r).await },
        )
        .await
    }

    /// Names a member of staff as a digital champion: the person colleagues and patients
    /// go to for help with the services listed.
    async fn name_digital_champion(
        &self,
        ctx: &Context<'_>,
        input: NameDigitalChampionInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.name_digital_champion(r).await },
        )
        .await
    }

    /// Records that a member of staff started a training programme.
    async fn enrol_staff(&self, ctx: &Context<'_>, input: EnrolStaffInput) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.enrol_staff(r).await },
        )
        .await
    }

    /// Records that an enrolled member of staff finished one module of a programme.
    async fn complete_module(
        &self,
        ctx: &Context<'_>,
        input: CompleteModuleInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.complete_module(r).await },
        )
        .await
    }

    /// Records that an enrolled member of staff finished a whole programme: they count as
    /// trained from that date.
    async fn complete_training(
        &self,
        ctx: &Context<'_>,
        input: CompleteTrainingInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.complete_training(r).await },
        )
        .await
    }

    /// Records that your practice started using a registered platform, so it hears about
    /// the platform's changes and can report problems with it.
    async fn adopt_platform(&self, ctx: &Context<'_>, input: AdoptPlatformInput) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::practice,
            |mut c, r| async move { c.adopt_platform(r).await },
        )
        .await
    }
}

/// One week's facilitation of one kind.
#[derive(Debug, InputObject)]
pub struct RecordFacilitationInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    /// ISO week, e.g. `2026-W14`; not in the future.
    pub week: String,
    pub mode: FacilitationMode,
    /// The service people were helped to use.
    pub service: DigitalService,
    pub channel: FacilitationChannel,
    /// The role of whoever gave the help.
    pub delivered_by: StaffRole,
    /// The groups at risk of exclusion among the people helped; empty when not known.
    #[graphql(default)]
    pub patient_groups: Vec<PatientGroup>,
    /// How many people were helped (at least 1).
    pub patients_supported: i32,
    /// Of those helped, how many are now registered for the NHS App.
    #[graphql(default)]
    pub registered_for_nhs_app: i32,
    /// Of those helped, how many did the task online (ordered, booked, asked).
    #[graphql(default)]
    pub completed_task_online: i32,
    /// Of those helped, how many were referred to a partner's community session.
    #[graphql(default)]
    pub referred_to_community_session: i32,
    /// Of those offered help, how many did not want it.
    #[graphql(default)]
    pub declined_help: i32,
    /// Of those helped, how many now have a carer or relative acting for them online.
    #[graphql(default)]
    pub set_up_proxy_access: i32,
    /// Staff time spent in total; 0 when not recorded.
    #[graphql(default)]
    pub staff_minutes: i32,
    /// Free text; must not identify a patient.
    pub notes: Option<String>,
}

impl IntoRequest for RecordFacilitationInput {
    type Request = pb::RecordFacilitationRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::RecordFacilitationRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            week: self.week,
            mode: self.mode.into(),
            service: self.service.into(),
            channel: self.channel.into(),
            delivered_by: self.delivered_by.into(),
            patient_groups: to_proto_list(&self.patient_groups),
            patients_supported: count("patientsSupported", self.patients_supported)?,
            registered_for_nhs_app: count("registeredForNhsApp", self.registered_for_nhs_app)?,
            completed_task_online: count("completedTaskOnline", self.completed_task_online)?,
            referred_to_community_session: count(
                "referredToCommunitySession",
                self.referred_to_community_session,
            )?,
            declined_help: count("declinedHelp", self.declined_help)?,
            set_up_proxy_access: count("setUpProxyAccess", self.set_up_proxy_access)?,
            staff_minutes: count("staffMinutes", self.staff_minutes)?,
            notes: self.notes.unwrap_or_default(),
        })
    }
}

/// A digital service switched on, paused or withdrawn.
#[derive(Debug, InputObject)]
pub struct ChangeServiceStatusInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    pub service: DigitalService,
    /// The status from the effective date on.
    pub status: ServiceStatus,
    /// Why, in free text; required when pausing or withdrawing; must not identify a
    /// patient.
    pub reason: Option<String>,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
    /// Why, at a glance.
    pub reason_kind: Option<ServiceChangeReason>,
}

impl IntoRequest for ChangeServiceStatusInput {
    type Request = pb::ChangeServiceStatusRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ChangeServiceStatusRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            service: self.service.into(),
            status: self.status.into(),
            reason: self.reason.unwrap_or_default(),
            effective_date: self.effective_date.unwrap_or_default(),
            reason_kind: enum_or_unspecified(self.reason_kind),
        })
    }
}

/// A digital champion.
#[derive(Debug, InputObject)]
pub struct NameDigitalChampionInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
    pub staff_ref: String,
    /// The person's day-to-day role.
    pub staff_role: StaffRole,
    /// What they champion; empty means all.
    #[graphql(default)]
    pub services: Vec<DigitalService>,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
}

impl IntoRequest for NameDigitalChampionInput {
    type Request = pb::NameDigitalChampionRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::NameDigitalChampionRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            staff_ref: self.staff_ref,
            staff_role: self.staff_role.into(),
            services: to_proto_list(&self.services),
            effective_date: self.effective_date.unwrap_or_default(),
        })
    }
}

/// A member of staff starting a programme.
#[derive(Debug, InputObject)]
pub struct EnrolStaffInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
    pub staff_ref: String,
    /// The role the rollout counts them under.
    pub staff_role: StaffRole,
    pub programme_id: String,
    /// `YYYY-MM-DD`; today when left out.
    pub enrolled_on: Option<String>,
}

impl IntoRequest for EnrolStaffInput {
    type Request = pb::EnrolStaffRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::EnrolStaffRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            staff_ref: self.staff_ref,
            staff_role: self.staff_role.into(),
            programme_id: self.programme_id,
            enrolled_on: self.enrolled_on.unwrap_or_default(),
        })
    }
}

/// A module finished.
#[derive(Debug, InputObject)]
pub struct CompleteModuleInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
    pub staff_ref: String,
    pub programme_id: String,
    /// One of the programme's module ids.
    pub module_id: String,
    /// `YYYY-MM-DD`; today when left out.
    pub completed_on: Option<String>,
}

impl IntoRequest for CompleteModuleInput {
    type Request = pb::CompleteModuleRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::CompleteModuleRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            staff_ref: self.staff_ref,
            programme_id: self.programme_id,
            module_id: self.module_id,
            completed_on: self.completed_on.unwrap_or_default(),
        })
    }
}

/// A programme finished.
#[derive(Debug, InputObject)]
pub struct CompleteTrainingInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    /// A pseudonymous reference chosen by the practice (e.g. `REC-07`), never a name.
    pub staff_ref: String,
    pub programme_id: String,
    /// `YYYY-MM-DD`; today when left out.
    pub completed_on: Option<String>,
}

impl IntoRequest for CompleteTrainingInput {
    type Request = pb::CompleteTrainingRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::CompleteTrainingRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            staff_ref: self.staff_ref,
            programme_id: self.programme_id,
            completed_on: self.completed_on.unwrap_or_default(),
        })
    }
}

/// A platform the practice started using.
#[derive(Debug, InputObject)]
pub struct AdoptPlatformInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub practice_code: String,
    pub platform_id: String,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
    /// The services the practice uses it for; empty means all it offers.
    #[graphql(default)]
    pub services: Vec<DigitalService>,
}

impl IntoRequest for AdoptPlatformInput {
    type Request = pb::AdoptPlatformRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::AdoptPlatformRequest {
            request_id: self.request_id.unwrap_or_default(),
            practice_code: self.practice_code,
            platform_id: self.platform_id,
            effective_date: self.effective_date.unwrap_or_default(),
            services: to_proto_list(&self.services),
        })
    }
}
