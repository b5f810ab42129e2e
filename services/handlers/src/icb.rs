//! `IcbService`: commissioners' commands. Each handler takes the caller from the request
//! (checked by the auth layer), converts the request, and records the command through the
//! [`Store`]; the domain decides.

use std::sync::Arc;

use domain::duty::{self, Duty};
use domain::programme::{self, Programme};
use domain::registry::{self, OrganisationEvent, RegisterOrganisation, Registry};
use domain::responsibility::{self, Assignment, AssignmentEvent, Attribution};
use domain::values;
use domain::{Context, DomainError};
use proto::v1 as pb;
use proto::v1::icb_service_server::IcbService;
use tonic::{Request, Status};

use crate::handler::{Reply, caller, invalid, reply};
use crate::store::{Caller, Store};

#[derive(Debug, Clone)]
pub struct Icb {
    store: Arc<Store>,
}

/// A command on the organisation tree, decided by `decide` for organisation `code`.
type TreeDecision<B> = fn(&Registry, B, &Context) -> Result<Vec<OrganisationEvent>, DomainError>;
/// A command on an existing assignment.
type AssignmentDecision<B> =
    fn(&Assignment, B, &Context) -> Result<Vec<AssignmentEvent>, DomainError>;

impl Icb {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// The duty a command names, as it stands (a missing one is the domain's to refuse).
    async fn duty(&self, duty_id: &str) -> Result<Arc<Duty>, Status> {
        let id = values::id("duty_id", duty_id).map_err(invalid)?;
        self.store
            .load::<Duty>(&duty::stream(&id))
            .await
            .map_err(Status::from)
    }

    /// Records a change to the organisation tree (one stream for the whole tree).
    async fn on_tree<B: Clone>(
        &self,
        caller: Caller,
        code: &str,
        body: B,
        decide: TreeDecision<B>,
    ) -> Reply {
        let code = code.trim().to_owned();
        reply(
            self.store
                .execute::<Registry, _>(registry::STREAM, &code, &caller, |tree, ctx| {
                    decide(tree, body.clone(), ctx)
                })
                .await,
        )
    }

    /// Records a step in an existing assignment's life (accept, decline, end).
    async fn on_assignment<B: Clone>(
        &self,
        caller: Caller,
        id: uuid::Uuid,
        body: B,
        decide: AssignmentDecision<B>,
    ) -> Reply {
        let stream = responsibility::assignment_stream(&id);
        reply(
            self.store
                .execute::<Assignment, _>(&stream, &id.to_string(), &caller, |a, ctx| {
                    decide(a, body.clone(), ctx)
                })
                .await,
        )
    }
}

#[tonic::async_trait]
impl IcbService for Icb {
    #[tracing::instrument(skip_all)]
    async fn register_organisation(
        &self,
        request: Request<pb::RegisterOrganisationRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let command =
            RegisterOrganisation::new(request.into_inner(), chrono::Utc::now().date_naive())
                .map_err(invalid)?;
        let code = command.code.clone();
        reply(
            self.store
                .execute::<Registry, _>(registry::STREAM, &code, &caller, |tree, ctx| {
                    tree.register(command.clone(), ctx)
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn rename_organisation(&self, request: Request<pb::RenameOrganisationRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let code = body.code.clone();
        self.on_tree(caller, &code, body, Registry::rename).await
    }

    #[tracing::instrument(skip_all)]
    async fn reparent_organisation(
        &self,
        request: Request<pb::ReparentOrganisationRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let code = body.code.clone();
        self.on_tree(caller, &code, body, Registry::reparent).await
    }

    #[tracing::instrument(skip_all)]
    async fn merge_organisations(&self, request: Request<pb::MergeOrganisationsRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let code = body.successor_code.clone();
        self.on_tree(caller, &code, body, Registry::merge).await
    }

    #[tracing::instrument(skip_all)]
    async fn close_organisation(&self, request: Request<pb::CloseOrganisationRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let code = body.code.clone();
        self.on_tree(caller, &code, body, Registry::close).await
    }

    #[tracing::instrument(skip_all)]
    async fn define_duty(&self, request: Request<pb::DefineDutyRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("duty_id", &body.duty_id, "duty")
            .map_err(invalid)?;
        let stream = duty::stream(&id);
        reply(
            self.store
                .execute::<Duty, _>(&stream, &id.to_string(), &caller, |duty, ctx| {
                    duty.define(id, body.clone(), ctx)
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn retire_duty(&self, request: Request<pb::RetireDutyRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("duty_id", &body.duty_id).map_err(invalid)?;
        reply(
            self.store
                .execute::<Duty, _>(&duty::stream(&id), &id.to_string(), &caller, |duty, ctx| {
                    duty.retire(body.clone(), ctx)
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn propose_responsibility(
        &self,
        request: Request<pb::ProposeResponsibilityRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("assignment_id", &body.assignment_id, "assignment")
            .map_err(invalid)?;
        let duty = self.duty(&body.duty_id).await?;
        reply(
            self.store
                .execute::<Assignment, _>(
                    &responsibility::assignment_stream(&id),
                    &id.to_string(),
                    &caller,
                    |a, ctx| a.propose(id, body.clone(), &duty, ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn accept_responsibility(
        &self,
        request: Request<pb::AcceptResponsibilityRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("assignment_id", &body.assignment_id).map_err(invalid)?;
        // The domain reads the id from the body: give it the canonical form.
        let body = pb::AcceptResponsibilityRequest {
            assignment_id: id.to_string(),
            ..body
        };
        self.on_assignment(caller, id, body, Assignment::accept)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn decline_responsibility(
        &self,
        request: Request<pb::DeclineResponsibilityRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("assignment_id", &body.assignment_id).map_err(invalid)?;
        // The domain reads the id from the body: give it the canonical form.
        let body = pb::DeclineResponsibilityRequest {
            assignment_id: id.to_string(),
            ..body
        };
        self.on_assignment(caller, id, body, Assignment::decline)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn end_responsibility(&self, request: Request<pb::EndResponsibilityRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("assignment_id", &body.assignment_id).map_err(invalid)?;
        // The domain reads the id from the body: give it the canonical form.
        let body = pb::EndResponsibilityRequest {
            assignment_id: id.to_string(),
            ..body
        };
        self.on_assignment(caller, id, body, Assignment::end).await
    }

    #[tracing::instrument(skip_all)]
    async fn attribute_responsibility(
        &self,
        request: Request<pb::AttributeResponsibilityRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller.derived_id("attribution");
        let duty = self.duty(&body.duty_id).await?;
        reply(
            self.store
                .execute::<Attribution, _>(
                    &responsibility::attribution_stream(&id),
                    &id.to_string(),
                    &caller,
                    |a, ctx| a.attribute(id, body.clone(), &duty, ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn launch_training_programme(
        &self,
        request: Request<pb::LaunchTrainingProgrammeRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("programme_id", &body.programme_id, "programme")
            .map_err(invalid)?;
        reply(
            self.store
                .execute::<Programme, _>(
                    &programme::stream(&id),
                    &id.to_string(),
                    &caller,
                    |p, ctx| p.launch(id, body.clone(), ctx),
                )
                .await,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn set_rollout_target(&self, request: Request<pb::SetRolloutTargetRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = values::id("programme_id", &body.programme_id).map_err(invalid)?;
        reply(
            self.store
                .execute::<Programme, _>(
                    &programme::stream(&id),
                    &id.to_string(),
                    &caller,
                    |p, ctx| p.set_target(body.clone(), ctx),
                )
                .await,
        )
    }
}
