//! `IcbService`: commissioners' commands. Each handler takes the caller from the request
//! (checked by the auth layer), parses the request into the domain's command, and records
//! it through the [`Store`]; the domain decides.

use std::sync::Arc;

use domain::commissioning::{self, CommissionPartner, Commissions, EndCommission};
use domain::duty::{self, DefineDuty, Duty, RetireDuty};
use domain::programme::{self, LaunchTrainingProgramme, Programme, SetRolloutTarget};
use domain::registry::{
    self, CloseOrganisation, MergeOrganisations, OrganisationEvent, RegisterOrganisation, Registry,
    RenameOrganisation, ReparentOrganisation,
};
use domain::responsibility::{
    self, Assignment, AssignmentStep, AttributeResponsibility, Attribution, ProposeResponsibility,
};
use domain::{Context, DomainError};
use proto::v1 as pb;
use proto::v1::icb_service_server::IcbService;
use tonic::{Request, Status};
use uuid::Uuid;

use crate::handler::{Reply, caller, invalid, parse, record, record_on, reply, reply_created};
use crate::store::{Caller, Store};

#[derive(Debug, Clone)]
pub struct Icb {
    store: Arc<Store>,
}

/// A command on the organisation tree.
type TreeDecision<C> = fn(&Registry, C, &Context) -> Result<Vec<OrganisationEvent>, DomainError>;

impl Icb {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// The duty a command names, as it stands (a missing one is the domain's to refuse).
    async fn duty(&self, id: &Uuid) -> Result<Arc<Duty>, Status> {
        self.store
            .load::<Duty>(&duty::stream(id))
            .await
            .map_err(Status::from)
    }

    /// Records a change to organisation `code` (one stream for the whole tree).
    async fn on_tree<C: Clone>(
        &self,
        caller: &Caller,
        code: &str,
        command: C,
        decide: TreeDecision<C>,
    ) -> Reply {
        reply(record(&self.store, registry::STREAM, code, caller, command, decide).await)
    }
}

#[tonic::async_trait]
impl IcbService for Icb {
    #[tracing::instrument(skip_all)]
    async fn register_organisation(
        &self,
        request: Request<pb::RegisterOrganisationRequest>,
    ) -> Reply {
        let (caller, command) = parse::<_, RegisterOrganisation>(request)?;
        let code = command.code.clone();
        self.on_tree(&caller, &code, command, Registry::register)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn rename_organisation(&self, request: Request<pb::RenameOrganisationRequest>) -> Reply {
        let (caller, command) = parse::<_, RenameOrganisation>(request)?;
        let code = command.code.clone();
        self.on_tree(&caller, &code, command, Registry::rename)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn reparent_organisation(
        &self,
        request: Request<pb::ReparentOrganisationRequest>,
    ) -> Reply {
        let (caller, command) = parse::<_, ReparentOrganisation>(request)?;
        let code = command.code.clone();
        self.on_tree(&caller, &code, command, Registry::reparent)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn merge_organisations(&self, request: Request<pb::MergeOrganisationsRequest>) -> Reply {
        let (caller, command) = parse::<_, MergeOrganisations>(request)?;
        let code = command.successor_code.clone();
        self.on_tree(&caller, &code, command, Registry::merge).await
    }

    #[tracing::instrument(skip_all)]
    async fn close_organisation(&self, request: Request<pb::CloseOrganisationRequest>) -> Reply {
        let (caller, command) = parse::<_, CloseOrganisation>(request)?;
        let code = command.code.clone();
        self.on_tree(&caller, &code, command, Registry::close).await
    }

    #[tracing::instrument(skip_all)]
    async fn define_duty(&self, request: Request<pb::DefineDutyRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("duty_id", &body.duty_id, "duty")
            .map_err(invalid)?;
        let command = DefineDuty::try_from(body).map_err(invalid)?;
        record_on(
            &self.store,
            duty::stream,
            id,
            &caller,
            command,
            |d: &Duty, c, ctx| d.define(id, c, ctx),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn retire_duty(&self, request: Request<pb::RetireDutyRequest>) -> Reply {
        let (caller, command) = parse::<_, RetireDuty>(request)?;
        let id = command.duty_id;
        record_on(
            &self.store,
            duty::stream,
            id,
            &caller,
            command,
            Duty::retire,
        )
        .await
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
        let command = ProposeResponsibility::try_from(body).map_err(invalid)?;
        let duty = self.duty(&command.responsibility.duty_id).await?;
        let stream = responsibility::assignment_stream;
        record_on(
            &self.store,
            stream,
            id,
            &caller,
            command,
            |a: &Assignment, c, ctx| a.propose(id, c, &duty, ctx),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn accept_responsibility(
        &self,
        request: Request<pb::AcceptResponsibilityRequest>,
    ) -> Reply {
        let (caller, step) = parse::<_, AssignmentStep>(request)?;
        on_assignment(&self.store, &caller, step, Assignment::accept).await
    }

    #[tracing::instrument(skip_all)]
    async fn decline_responsibility(
        &self,
        request: Request<pb::DeclineResponsibilityRequest>,
    ) -> Reply {
        let (caller, step) = parse::<_, AssignmentStep>(request)?;
        on_assignment(&self.store, &caller, step, Assignment::decline).await
    }

    #[tracing::instrument(skip_all)]
    async fn end_responsibility(&self, request: Request<pb::EndResponsibilityRequest>) -> Reply {
        let (caller, step) = parse::<_, AssignmentStep>(request)?;
        on_assignment(&self.store, &caller, step, Assignment::end).await
    }

    #[tracing::instrument(skip_all)]
    async fn attribute_responsibility(
        &self,
        request: Request<pb::AttributeResponsibilityRequest>,
    ) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let id = caller.derived_id("attribution");
        let command = AttributeResponsibility::try_from(request.into_inner()).map_err(invalid)?;
        let duty = self.duty(&command.responsibility.duty_id).await?;
        let stream = responsibility::attribution_stream;
        record_on(
            &self.store,
            stream,
            id,
            &caller,
            command,
            |a: &Attribution, c, ctx| a.attribute(id, c, &duty, ctx),
        )
        .await
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
        let command = LaunchTrainingProgramme::try_from(body).map_err(invalid)?;
        record_on(
            &self.store,
            programme::stream,
            id,
            &caller,
            command,
            |p: &Programme, c, ctx| p.launch(id, c, ctx),
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn set_rollout_target(&self, request: Request<pb::SetRolloutTargetRequest>) -> Reply {
        let (caller, command) = parse::<_, SetRolloutTarget>(request)?;
        let id = command.programme_id;
        record_on(
            &self.store,
            programme::stream,
            id,
            &caller,
            command,
            Programme::set_target,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn commission_partner(&self, request: Request<pb::CommissionPartnerRequest>) -> Reply {
        let caller = caller(&request, &request.get_ref().request_id)?;
        let body = request.into_inner();
        let id = caller
            .id_or_derived("commission_id", &body.commission_id, "commission")
            .map_err(invalid)?;
        let command = CommissionPartner::try_from(body).map_err(invalid)?;
        let result = record(
            &self.store,
            commissioning::STREAM,
            &id.to_string(),
            &caller,
            command,
            |c: &Commissions, command, ctx| c.commission(id, command, ctx),
        )
        .await;
        reply_created(result, id.to_string())
    }

    #[tracing::instrument(skip_all)]
    async fn end_commission(&self, request: Request<pb::EndCommissionRequest>) -> Reply {
        let (caller, command) = parse::<_, EndCommission>(request)?;
        let id = command.commission_id.to_string();
        reply(
            record(
                &self.store,
                commissioning::STREAM,
                &id,
                &caller,
                command,
                Commissions::end,
            )
            .await,
        )
    }
}

/// Records a step in an existing assignment's life (accept, decline, end).
async fn on_assignment(
    store: &Store,
    caller: &Caller,
    step: AssignmentStep,
    decide: fn(
        &Assignment,
        AssignmentStep,
        &Context,
    ) -> Result<Vec<domain::responsibility::AssignmentEvent>, DomainError>,
) -> Reply {
    let id = step.assignment_id;
    record_on(
        store,
        responsibility::assignment_stream,
        id,
        caller,
        step,
        decide,
    )
    .await
}
