//! `ProviderService`: platform providers' commands (platforms, changes, training
//! material, answers to usability issues) and practices' reports of usability issues.
//! Each handler takes the caller from the request (checked by the auth layer), converts
//! the request, and records the command through the [`Store`]; the domain decides.
//!
//! Ids the service chooses for things inside an aggregate (a change or a material on a
//! platform's stream) are derived from the request id, so a re-sent request names the same
//! thing, and are returned in `CommandResult.created_id`.

use std::sync::Arc;

use domain::platform::{self, Platform, UsabilityIssue};
use domain::values;
use proto::v1 as pb;
use proto::v1::provider_service_server::ProviderService;
use tonic::{Request, Status};
use uuid::Uuid;

use crate::handler::{Reply, caller, invalid, reply};
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

/// `reply`, telling the caller the id of what the command created inside the aggregate.
fn reply_created(
    result: Result<pb::CommandResult, crate::error::ServiceError>,
    created: Uuid,
) -> Reply {
    reply(result).map(|mut response| {
        response.get_mut().created_id = created.to_string();
        response
    })
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
        reply(
            self.store
                .execute::<Platform, _>(
                    &platform::stream(&id),
                    &id.to_string(),
                    &caller,
                    |p, ctx| p.register(id, body.clone(), ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn announce_platform_change(
        &self,
        request: Request<pb::AnnouncePlatformChangeRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("platform_id", &body.platform_id).map_err(invalid)?;
        let change_id = caller
            .id_or_derived("change_id", &body.change_id, "change")
            .map_err(invalid)?;
        reply_created(
            self.store
                .execute::<Platform, _>(
                    &platform::stream(&id),
                    &id.to_string(),
                    &caller,
                    |p, ctx| p.announce_change(change_id, body.clone(), ctx),
                )
                .await,
            change_id,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn publish_training_material(
        &self,
        request: Request<pb::PublishTrainingMaterialRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("platform_id", &body.platform_id).map_err(invalid)?;
        let material_id = caller
            .id_or_derived("material_id", &body.material_id, "material")
            .map_err(invalid)?;
        reply_created(
            self.store
                .execute::<Platform, _>(
                    &platform::stream(&id),
                    &id.to_string(),
                    &caller,
                    |p, ctx| p.publish_material(material_id, body.clone(), ctx),
                )
                .await,
            material_id,
        )
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
        let platform_id = values::id("platform_id", &body.platform_id).map_err(invalid)?;
        let platform = self
            .store
            .load::<Platform>(&platform::stream(&platform_id))
            .await
            .map_err(Status::from)?;
        reply(
            self.store
                .execute::<UsabilityIssue, _>(
                    &platform::issue_stream(&id),
                    &id.to_string(),
                    &caller,
                    |issue, ctx| issue.report(id, body.clone(), &platform, ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn acknowledge_usability_issue(
        &self,
        request: Request<pb::AcknowledgeUsabilityIssueRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("issue_id", &body.issue_id).map_err(invalid)?;
        let body = pb::AcknowledgeUsabilityIssueRequest {
            issue_id: id.to_string(),
            ..body
        };
        reply(
            self.store
                .execute::<UsabilityIssue, _>(
                    &platform::issue_stream(&id),
                    &id.to_string(),
                    &caller,
                    |issue, ctx| issue.acknowledge(body.clone(), ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn resolve_usability_issue(
        &self,
        request: Request<pb::ResolveUsabilityIssueRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("issue_id", &body.issue_id).map_err(invalid)?;
        let body = pb::ResolveUsabilityIssueRequest {
            issue_id: id.to_string(),
            ..body
        };
        reply(
            self.store
                .execute::<UsabilityIssue, _>(
                    &platform::issue_stream(&id),
                    &id.to_string(),
                    &caller,
                    |issue, ctx| issue.resolve(body.clone(), ctx),
                )
                .await,
        )
    }
}
