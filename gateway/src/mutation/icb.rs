//! Mutations of `IcbService`: the organisation tree, the duty catalogue, who is
//! responsible for what, and training programmes.

use async_graphql::{Context, InputObject, Object};
use difacto_proto::v1 as pb;

use super::{IntoRequest, MutationResult, count, forward};
use crate::error::GatewayError;
use crate::services::DomainEndpoints;
use crate::vocabulary::{Level, OrganisationKind, RaciRole, StaffRole, to_proto_list};

/// Commands of commissioners at ICB, regional and national level.
#[derive(Debug, Default)]
pub struct IcbMutations;

#[Object]
impl IcbMutations {
    /// Records that an organisation joined the NHS tree (a practice, PCN, sub-ICB location,
    /// ICB, region, partner or provider) under its parent, from a date.
    async fn register_organisation(
        &self,
        ctx: &Context<'_>,
        input: RegisterOrganisationInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.register_organisation(r).await
        })
        .await
    }

    /// Records an organisation's new name, from a date.
    async fn rename_organisation(
        &self,
        ctx: &Context<'_>,
        input: RenameOrganisationInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.rename_organisation(r).await
        })
        .await
    }

    /// Records that an organisation moved to a new parent (e.g. a practice changed PCN),
    /// from a date.
    async fn reparent_organisation(
        &self,
        ctx: &Context<'_>,
        input: ReparentOrganisationInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.reparent_organisation(r).await
        })
        .await
    }

    /// Records that organisations merged into a successor (e.g. ICBs merging), from a date.
    async fn merge_organisations(
        &self,
        ctx: &Context<'_>,
        input: MergeOrganisationsInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.merge_organisations(r).await
        })
        .await
    }

    /// Records that an organisation closed, from a date.
    async fn close_organisation(
        &self,
        ctx: &Context<'_>,
        input: CloseOrganisationInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.close_organisation(r).await
        })
        .await
    }

    /// Adds a duty to the catalogue: something that must have a Responsible and an
    /// Accountable owner at the levels given.
    async fn define_duty(&self, ctx: &Context<'_>, input: DefineDutyInput) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.define_duty(r).await
        })
        .await
    }

    /// Takes a duty out of the catalogue; what depends on it ends in the views.
    async fn retire_duty(&self, ctx: &Context<'_>, input: RetireDutyInput) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.retire_duty(r).await
        })
        .await
    }

    /// Asks an organisation to take a RACI role for a duty in an area at a level. It is a
    /// commitment only once the organisation accepts.
    async fn propose_responsibility(
        &self,
        ctx: &Context<'_>,
        input: ProposeResponsibilityInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.propose_responsibility(r).await
        })
        .await
    }

    /// Records that your organisation accepts a responsibility proposed to it.
    async fn accept_responsibility(
        &self,
        ctx: &Context<'_>,
        input: AcceptResponsibilityInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.accept_responsibility(r).await
        })
        .await
    }

    /// Records that your organisation declines a responsibility proposed to it, and why.
    async fn decline_responsibility(
        &self,
        ctx: &Context<'_>,
        input: DeclineResponsibilityInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.decline_responsibility(r).await
        })
        .await
    }

    /// Records that a responsibility ends, from a date, and why.
    async fn end_responsibility(
        &self,
        ctx: &Context<'_>,
        input: EndResponsibilityInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.end_responsibility(r).await
        })
        .await
    }

    /// Records whom your organisation believes owns a duty in an area: a perception, not
    /// a commitment, so that gaps between belief and acceptance show.
    async fn attribute_responsibility(
        &self,
        ctx: &Context<'_>,
        input: AttributeResponsibilityInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.attribute_responsibility(r).await
        })
        .await
    }

    /// Launches a training programme: who it is for, its modules, and the share of its
    /// audience to have completed it by a deadline.
    async fn launch_training_programme(
        &self,
        ctx: &Context<'_>,
        input: LaunchTrainingProgrammeInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.launch_training_programme(r).await
        })
        .await
    }

    /// Sets a programme's rollout target for an area: a share of staff trained by a
    /// deadline.
    async fn set_rollout_target(
        &self,
        ctx: &Context<'_>,
        input: SetRolloutTargetInput,
    ) -> MutationResult {
        forward(ctx, input, DomainEndpoints::icb, |mut c, r| async move {
            c.set_rollout_target(r).await
        })
        .await
    }
}

/// A new organisation in the tree.
#[derive(Debug, InputObject)]
pub struct RegisterOrganisationInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// The ODS code (e.g. `A81001`), or `P-<slug>` / `V-<slug>` for partners and providers.
    pub code: String,
    pub kind: OrganisationKind,
    pub name: String,
    /// The parent's code; left out only for the national body.
    pub parent_code: Option<String>,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
    /// Partners and providers: the codes of the areas they cover.
    #[graphql(default)]
    pub covers_codes: Vec<String>,
    /// Practices: the outward postcode only, e.g. `LS6`.
    pub postcode_district: Option<String>,
}

impl IntoRequest for RegisterOrganisationInput {
    type Request = pb::RegisterOrganisationRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::RegisterOrganisationRequest {
            request_id: self.request_id.unwrap_or_default(),
            code: self.code,
            kind: self.kind.into(),
            name: self.name,
            parent_code: self.parent_code.unwrap_or_default(),
            effective_date: self.effective_date.unwrap_or_default(),
            covers_codes: self.covers_codes,
            postcode_district: self.postcode_district.unwrap_or_default(),
        })
    }
}

/// An organisation's new name.
#[derive(Debug, InputObject)]
pub struct RenameOrganisationInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub code: String,
    pub name: String,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
}

impl IntoRequest for RenameOrganisationInput {
    type Request = pb::RenameOrganisationRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::RenameOrganisationRequest {
            request_id: self.request_id.unwrap_or_default(),
            code: self.code,
            name: self.name,
            effective_date: self.effective_date.unwrap_or_default(),
        })
    }
}

/// An organisation's new parent.
#[derive(Debug, InputObject)]
pub struct ReparentOrganisationInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub code: String,
    pub parent_code: String,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
}

impl IntoRequest for ReparentOrganisationInput {
    type Request = pb::ReparentOrganisationRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ReparentOrganisationRequest {
            request_id: self.request_id.unwrap_or_default(),
            code: self.code,
            parent_code: self.parent_code,
            effective_date: self.effective_date.unwrap_or_default(),
        })
    }
}

/// Organisations merging into a successor.
#[derive(Debug, InputObject)]
pub struct MergeOrganisationsInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub predecessor_codes: Vec<String>,
    pub successor_code: String,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
}

impl IntoRequest for MergeOrganisationsInput {
    type Request = pb::MergeOrganisationsRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::MergeOrganisationsRequest {
            request_id: self.request_id.unwrap_or_default(),
            predecessor_codes: self.predecessor_codes,
            successor_code: self.successor_code,
            effective_date: self.effective_date.unwrap_or_default(),
        })
    }
}

/// An organisation closing.
#[derive(Debug, InputObject)]
pub struct CloseOrganisationInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub code: String,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
    /// Free text; must not identify a patient.
    pub reason: Option<String>,
}

impl IntoRequest for CloseOrganisationInput {
    type Request = pb::CloseOrganisationRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::CloseOrganisationRequest {
            request_id: self.request_id.unwrap_or_default(),
            code: self.code,
            effective_date: self.effective_date.unwrap_or_default(),
            reason: self.reason.unwrap_or_default(),
        })
    }
}

/// A new duty.
#[derive(Debug, InputObject)]
pub struct DefineDutyInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub duty_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    /// The levels at which the duty must have an accepted Responsible and Accountable.
    pub required_levels: Vec<Level>,
}

impl IntoRequest for DefineDutyInput {
    type Request = pb::DefineDutyRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::DefineDutyRequest {
            request_id: self.request_id.unwrap_or_default(),
            duty_id: self.duty_id.unwrap_or_default(),
            title: self.title,
            description: self.description.unwrap_or_default(),
            required_levels: to_proto_list(&self.required_levels),
        })
    }
}

/// A duty leaving the catalogue.
#[derive(Debug, InputObject)]
pub struct RetireDutyInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub duty_id: String,
    pub reason: Option<String>,
}

impl IntoRequest for RetireDutyInput {
    type Request = pb::RetireDutyRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::RetireDutyRequest {
            request_id: self.request_id.unwrap_or_default(),
            duty_id: self.duty_id,
            reason: self.reason.unwrap_or_default(),
        })
    }
}

/// A responsibility proposed to an organisation.
#[derive(Debug, InputObject)]
pub struct ProposeResponsibilityInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub assignment_id: Option<String>,
    pub duty_id: String,
    /// The area the duty is owned for (an ICB, a PCN, a practice).
    pub area_code: String,
    pub level: Level,
    /// The organisation asked to own it.
    pub assignee_code: String,
    pub role: RaciRole,
    pub note: Option<String>,
}

impl IntoRequest for ProposeResponsibilityInput {
    type Request = pb::ProposeResponsibilityRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ProposeResponsibilityRequest {
            request_id: self.request_id.unwrap_or_default(),
            assignment_id: self.assignment_id.unwrap_or_default(),
            duty_id: self.duty_id,
            area_code: self.area_code,
            level: self.level.into(),
            assignee_code: self.assignee_code,
            role: self.role.into(),
            note: self.note.unwrap_or_default(),
        })
    }
}

/// A proposed responsibility, accepted.
#[derive(Debug, InputObject)]
pub struct AcceptResponsibilityInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub assignment_id: String,
}

impl IntoRequest for AcceptResponsibilityInput {
    type Request = pb::AcceptResponsibilityRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::AcceptResponsibilityRequest {
            request_id: self.request_id.unwrap_or_default(),
            assignment_id: self.assignment_id,
        })
    }
}

/// A proposed responsibility, declined.
#[derive(Debug, InputObject)]
pub struct DeclineResponsibilityInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub assignment_id: String,
    /// Why; free text, must not identify a patient.
    pub reason: String,
}

impl IntoRequest for DeclineResponsibilityInput {
    type Request = pb::DeclineResponsibilityRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::DeclineResponsibilityRequest {
            request_id: self.request_id.unwrap_or_default(),
            assignment_id: self.assignment_id,
            reason: self.reason,
        })
    }
}

/// A responsibility that ends.
#[derive(Debug, InputObject)]
pub struct EndResponsibilityInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub assignment_id: String,
    /// Why; free text, must not identify a patient.
    pub reason: String,
    /// `YYYY-MM-DD`; today when left out.
    pub effective_date: Option<String>,
}

impl IntoRequest for EndResponsibilityInput {
    type Request = pb::EndResponsibilityRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::EndResponsibilityRequest {
            request_id: self.request_id.unwrap_or_default(),
            assignment_id: self.assignment_id,
            reason: self.reason,
            effective_date: self.effective_date.unwrap_or_default(),
        })
    }
}

/// Whom your organisation believes owns a duty.
#[derive(Debug, InputObject)]
pub struct AttributeResponsibilityInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub duty_id: String,
    pub area_code: String,
    pub level: Level,
    pub believed_owner_code: String,
    pub role: RaciRole,
}

impl IntoRequest for AttributeResponsibilityInput {
    type Request = pb::AttributeResponsibilityRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::AttributeResponsibilityRequest {
            request_id: self.request_id.unwrap_or_default(),
            duty_id: self.duty_id,
            area_code: self.area_code,
            level: self.level.into(),
            believed_owner_code: self.believed_owner_code,
            role: self.role.into(),
        })
    }
}

/// A new training programme.
#[derive(Debug, InputObject)]
pub struct LaunchTrainingProgrammeInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub programme_id: Option<String>,
    /// The body running it (national, a region, an ICB).
    pub owner_code: String,
    pub title: String,
    pub audience_roles: Vec<StaffRole>,
    pub module_ids: Vec<String>,
    /// The share of the audience (0–100) to have completed it by the deadline.
    pub target_percent: i32,
    /// `YYYY-MM-DD`.
    pub deadline: String,
}

impl IntoRequest for LaunchTrainingProgrammeInput {
    type Request = pb::LaunchTrainingProgrammeRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::LaunchTrainingProgrammeRequest {
            request_id: self.request_id.unwrap_or_default(),
            programme_id: self.programme_id.unwrap_or_default(),
            owner_code: self.owner_code,
            title: self.title,
            audience_roles: to_proto_list(&self.audience_roles),
            module_ids: self.module_ids,
            target_percent: count("targetPercent", self.target_percent)?,
            deadline: self.deadline,
        })
    }
}

/// A programme's target for one area.
#[derive(Debug, InputObject)]
pub struct SetRolloutTargetInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub programme_id: String,
    pub area_code: String,
    /// The share of staff (0–100) to be trained by the deadline.
    pub target_percent: i32,
    /// `YYYY-MM-DD`.
    pub deadline: String,
}

impl IntoRequest for SetRolloutTargetInput {
    type Request = pb::SetRolloutTargetRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::SetRolloutTargetRequest {
            request_id: self.request_id.unwrap_or_default(),
            programme_id: self.programme_id,
            area_code: self.area_code,
            target_percent: count("targetPercent", self.target_percent)?,
            deadline: self.deadline,
        })
    }
}
