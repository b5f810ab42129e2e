//! `ProviderService`: platform providers' commands (platforms, changes, training
//! material, answers to usability issues) and practices' reports of usability issues.
//! Each handler takes the caller from the request (checked by the auth layer), parses
//! the request, and records the command through the [`Store`]; the domain decides.
//!
//! Ids the service chooses for things inside an aggregate (a change or a material on a
//! platform's stream) are derived from the request id, so a re-sent request names the same
//! thing, and are returned in `CommandResult.created_id`.

use std::sync::Arc;

use domain::platform::{
    self, AcknowledgeUsabilityIssue, AnnouncePlatformChange, Platform, PublishTrainingMaterial,
    RegisterPlatform, ReportUsabilityIssue, ResolveUsabilityIssue, UsabilityIssue,
};
use proto::v1 as pb;
use proto::v1::provider_service_server::ProviderService;
use tonic::{Request, Status};

use crate::handler::{Reply, caller, invalid, parse, record, record_on, reply_created};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct Provider {
    store: Arc<Store>,
}

impl Provider {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl ProviderService for Provider {
    #[tracing::instrument(skip_all)]
    async fn register_platform(&self, request: Request<pb::RegisterPlatformRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("platform_id", &body.platform_id, "platform")
            .map_err(invalid)?;
        let command = RegisterPlatform::try_from(body).map_err(invalid)?;
        record_on(
            &self.store,
            platform::stream,
            id,
            &caller,
            command,
            |p: &Platform, c, ctx| p.register(id, c, ctx),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn announce_platform_change(
        &self,
        request: Request<pb::AnnouncePlatformChangeRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let change_id = caller
            .id_or_derived("change_id", &body.change_id, "change")
            .map_err(invalid)?;
        let command = AnnouncePlatformChange::try_from(body).map_err(invalid)?;
        let id = command.platform_id;
        let result = record(
            &self.store,
            &platform::stream(&id),
            &id.to_string(),
            &caller,
            command,
            |p: &Platform, c, ctx| p.announce_change(change_id, c, ctx),
        )
        .await;
        reply_created(result, change_id.to_string())
    }

    #[tracing::instrument(skip_all)]
    async fn publish_training_material(
        &self,
        request: Request<pb::PublishTrainingMaterialRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let material_id = caller
            .id_or_derived("material_id", &body.material_id, "material")
            .map_err(invalid)?;
        let command = PublishTrainingMaterial::try_from(body).map_err(invalid)?;
        let id = command.platform_id;
        let result = record(
            &self.store,
            &platform::stream(&id),
            &id.to_string(),
            &caller,
            command,
            |p: &Platform, c, ctx| p.publish_material(material_id, c, ctx),
        )
        .await;
        reply_created(result, material_id.to_string())
    }

    #[tracing::instrument(skip_all)]
    async fn report_usability_issue(
        &self,
        request: Request<pb::ReportUsabilityIssueRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("issue_id", &body.issue_id, "issue")
            .map_err(invalid)?;
        let command = ReportUsabilityIssue::try_from(body).map_err(invalid)?;
        let platform = self
            .store
            .load::<Platform>(&platform::stream(&command.platform_id))
            .await
            .map_err(Status::from)?;
        let stream = platform::issue_stream;
        record_on(
            &self.store,
            stream,
            id,
            &caller,
            command,
            |i: &UsabilityIssue, c, ctx| i.report(id, c, &platform, ctx),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn acknowledge_usability_issue(
        &self,
        request: Request<pb::AcknowledgeUsabilityIssueRequest>,
    ) -> Reply {
        let (caller, command) = parse::<_, AcknowledgeUsabilityIssue>(request)?;
        let id = command.issue_id;
        let stream = platform::issue_stream;
        record_on(
            &self.store,
            stream,
            id,
            &caller,
            command,
            UsabilityIssue::acknowledge,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn resolve_usability_issue(
        &self,
        request: Request<pb::ResolveUsabilityIssueRequest>,
    ) -> Reply {
        let (caller, command) = parse::<_, ResolveUsabilityIssue>(request)?;
        let id = command.issue_id;
        let stream = platform::issue_stream;
        record_on(
            &self.store,
            stream,
            id,
            &caller,
            command,
            UsabilityIssue::resolve,
        )
        .await
    }
}
