//! Mutations of `ProviderService`: platforms, changes that need retraining, training
//! material, and usability issues (reported by practices, answered by providers).

use async_graphql::{Context, InputObject, Object};
use difacto_proto::v1 as pb;

use super::{IntoRequest, MutationResult, enum_or_unspecified, forward};
use crate::error::GatewayError;
use crate::services::DomainEndpoints;
use crate::vocabulary::{
    DigitalService, IssueResolutionKind, IssueSeverity, MaterialFormat, PatientGroup,
    PlatformCategory, StaffRole, UsabilityIssueCategory, to_proto_list,
};

/// Commands of provider admins, and the usability reports of practices.
#[derive(Debug, Default)]
pub struct ProviderMutations;

#[Object]
impl ProviderMutations {
    /// Puts one of your platforms on difacto, so practices can adopt it, hear about its
    /// changes and report problems with it.
    async fn register_platform(
        &self,
        ctx: &Context<'_>,
        input: RegisterPlatformInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::provider,
            |mut c, r| async move { c.register_platform(r).await },
        )
        .await
    }

    /// Tells practices about a coming change to a platform: when it goes live, which staff
    /// will notice, and whether they need retraining first.
    async fn announce_platform_change(
        &self,
        ctx: &Context<'_>,
        input: AnnouncePlatformChangeInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::provider,
            |mut c, r| async move { c.announce_platform_change(r).await },
        )
        .await
    }

    /// Publishes training material for a platform: its formats, languages, audience and
    /// where to find it.
    async fn publish_training_material(
        &self,
        ctx: &Context<'_>,
        input: PublishTrainingMaterialInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::provider,
            |mut c, r| async move { c.publish_training_material(r).await },
        )
        .await
    }

    /// Reports a usability problem your practice has with a platform it uses; the
    /// platform's provider answers it.
    async fn report_usability_issue(
        &self,
        ctx: &Context<'_>,
        input: ReportUsabilityIssueInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::provider,
            |mut c, r| async move { c.report_usability_issue(r).await },
        )
        .await
    }

    /// Records that you have seen a usability issue on your platform and are dealing with
    /// it, and when you expect to resolve it.
    async fn acknowledge_usability_issue(
        &self,
        ctx: &Context<'_>,
        input: AcknowledgeUsabilityIssueInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::provider,
            |mut c, r| async move { c.acknowledge_usability_issue(r).await },
        )
        .await
    }

    /// Closes a usability issue on your platform, saying what was done.
    async fn resolve_usability_issue(
        &self,
        ctx: &Context<'_>,
        input: ResolveUsabilityIssueInput,
    ) -> MutationResult {
        forward(
            ctx,
            input,
            DomainEndpoints::provider,
            |mut c, r| async move { c.resolve_usability_issue(r).await },
        )
        .await
    }
}

/// A platform of yours.
#[derive(Debug, InputObject)]
pub struct RegisterPlatformInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub platform_id: Option<String>,
    /// Your code, e.g. `V-acme-health`.
    pub provider_code: String,
    /// The product name.
    pub name: String,
    pub category: PlatformCategory,
    /// The digital services it delivers.
    #[graphql(default)]
    pub services: Vec<DigitalService>,
    /// An https URL.
    pub website_url: Option<String>,
    pub description: Option<String>,
}

impl IntoRequest for RegisterPlatformInput {
    type Request = pb::RegisterPlatformRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::RegisterPlatformRequest {
            request_id: self.request_id.unwrap_or_default(),
            platform_id: self.platform_id.unwrap_or_default(),
            provider_code: self.provider_code,
            name: self.name,
            category: self.category.into(),
            services: to_proto_list(&self.services),
            website_url: self.website_url.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
        })
    }
}

/// A coming change to a platform.
#[derive(Debug, InputObject)]
pub struct AnnouncePlatformChangeInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub change_id: Option<String>,
    pub platform_id: String,
    /// `YYYY-MM-DD`, when the change goes live.
    pub effective_date: String,
    /// Staff who will notice the change.
    #[graphql(default)]
    pub roles_affected: Vec<StaffRole>,
    /// Whether staff in `rolesAffected` need retraining.
    #[graphql(default)]
    pub retraining_required: bool,
    /// What changes; free text, must not identify a patient.
    pub summary: String,
    /// Whether patients will see the change too.
    #[graphql(default)]
    pub patient_facing: bool,
    #[graphql(default)]
    pub services_affected: Vec<DigitalService>,
}

impl IntoRequest for AnnouncePlatformChangeInput {
    type Request = pb::AnnouncePlatformChangeRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::AnnouncePlatformChangeRequest {
            request_id: self.request_id.unwrap_or_default(),
            change_id: self.change_id.unwrap_or_default(),
            platform_id: self.platform_id,
            effective_date: self.effective_date,
            roles_affected: to_proto_list(&self.roles_affected),
            retraining_required: self.retraining_required,
            summary: self.summary,
            patient_facing: self.patient_facing,
            services_affected: to_proto_list(&self.services_affected),
        })
    }
}

/// Training material for a platform.
#[derive(Debug, InputObject)]
pub struct PublishTrainingMaterialInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub material_id: Option<String>,
    pub platform_id: String,
    pub title: String,
    /// At least one.
    pub formats: Vec<MaterialFormat>,
    /// BCP-47 codes; at least one.
    pub languages: Vec<String>,
    /// An https URL where it can be found.
    pub url: String,
    /// The announced change of this platform it trains for, if any.
    pub change_id: Option<String>,
    /// Staff it is written for; empty when for patients only.
    #[graphql(default)]
    pub audience_roles: Vec<StaffRole>,
    /// Whether it is fit to give to patients.
    #[graphql(default)]
    pub for_patients: bool,
}

impl IntoRequest for PublishTrainingMaterialInput {
    type Request = pb::PublishTrainingMaterialRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::PublishTrainingMaterialRequest {
            request_id: self.request_id.unwrap_or_default(),
            material_id: self.material_id.unwrap_or_default(),
            platform_id: self.platform_id,
            title: self.title,
            formats: to_proto_list(&self.formats),
            languages: self.languages,
            url: self.url,
            change_id: self.change_id.unwrap_or_default(),
            audience_roles: to_proto_list(&self.audience_roles),
            for_patients: self.for_patients,
        })
    }
}

/// A usability problem with a platform.
#[derive(Debug, InputObject)]
pub struct ReportUsabilityIssueInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    /// A UUID of your choosing; generated when left out.
    pub issue_id: Option<String>,
    pub platform_id: String,
    /// The practice reporting it.
    pub practice_code: String,
    pub category: UsabilityIssueCategory,
    pub severity: IssueSeverity,
    /// What goes wrong; free text, must not identify a patient.
    pub description: String,
    /// The service affected, if one.
    pub service: Option<DigitalService>,
    /// Who struggles most; empty when not known.
    #[graphql(default)]
    pub patient_groups_affected: Vec<PatientGroup>,
}

impl IntoRequest for ReportUsabilityIssueInput {
    type Request = pb::ReportUsabilityIssueRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ReportUsabilityIssueRequest {
            request_id: self.request_id.unwrap_or_default(),
            issue_id: self.issue_id.unwrap_or_default(),
            platform_id: self.platform_id,
            practice_code: self.practice_code,
            category: self.category.into(),
            severity: self.severity.into(),
            description: self.description,
            service: enum_or_unspecified(self.service),
            patient_groups_affected: to_proto_list(&self.patient_groups_affected),
        })
    }
}

/// A provider's acknowledgement of an issue.
#[derive(Debug, InputObject)]
pub struct AcknowledgeUsabilityIssueInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub issue_id: String,
    /// Free text; must not identify a patient.
    pub note: Option<String>,
    /// `YYYY-MM-DD`, if known.
    pub expected_resolution_date: Option<String>,
}

impl IntoRequest for AcknowledgeUsabilityIssueInput {
    type Request = pb::AcknowledgeUsabilityIssueRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::AcknowledgeUsabilityIssueRequest {
            request_id: self.request_id.unwrap_or_default(),
            issue_id: self.issue_id,
            note: self.note.unwrap_or_default(),
            expected_resolution_date: self.expected_resolution_date.unwrap_or_default(),
        })
    }
}

/// How an issue was closed.
#[derive(Debug, InputObject)]
pub struct ResolveUsabilityIssueInput {
    /// An id of your choosing: sending the same one again returns the first result.
    pub request_id: Option<String>,
    pub issue_id: String,
    /// What was done; free text, must not identify a patient.
    pub resolution: String,
    pub resolution_kind: Option<IssueResolutionKind>,
}

impl IntoRequest for ResolveUsabilityIssueInput {
    type Request = pb::ResolveUsabilityIssueRequest;
    fn into_request(self) -> Result<Self::Request, GatewayError> {
        Ok(pb::ResolveUsabilityIssueRequest {
            request_id: self.request_id.unwrap_or_default(),
            issue_id: self.issue_id,
            resolution: self.resolution,
            resolution_kind: enum_or_unspecified(self.resolution_kind),
        })
    }
}
