//! `IcbService`: commissioners' commands. Each handler takes the caller from the request
//! (checked by the auth layer), parses the request into the domain's command, and records
//! it through the [`Store`]; the domain decides.

use domain::commissioning::{self, CommissionPartner, Commissions, EndCommission};
use domain::duty::{self, Duty};
use domain::programme::{self, Programme};
use domain::registry::{self, Registry};
use domain::responsibility::{
    self, Assignment, AssignmentStep, AttributeResponsibility, Attribution,
};
use domain::{Context, DomainError};
use proto::v1 as pb;
use proto::v1::icb_service_server::IcbService;
use tonic::Request;

use crate::handler::{
    Body, Reply, caller, invalid, load, on_code, on_existing, on_new, on_new_reading, parse,
    parse_new, record, record_on, reply, reply_created, rpcs,
};
use crate::store::Store;

rpcs! {
    IcbService for Icb {
        register_organisation(RegisterOrganisationRequest) =>
            on_code(tree, Registry::register, |c| c.code.clone());
        rename_organisation(RenameOrganisationRequest) =>
            on_code(tree, Registry::rename, |c| c.code.clone());
        reparent_organisation(ReparentOrganisationRequest) =>
            on_code(tree, Registry::reparent, |c| c.code.clone());
        merge_organisations(MergeOrganisationsRequest) =>
            on_code(tree, Registry::merge, |c| c.successor_code.clone());
        close_organisation(CloseOrganisationRequest) =>
            on_code(tree, Registry::close, |c| c.code.clone());
        record_registry_import(RecordRegistryImportRequest) =>
            on_code(tree, Registry::record_import, |_| registry::NATIONAL_CODE.to_owned());
        define_duty(DefineDutyRequest) =>
            on_new(duty::stream, Duty::define, "duty_id", |b| &b.duty_id);
        retire_duty(RetireDutyRequest) => on_existing(duty::stream, Duty::retire, |c| c.duty_id);
        propose_responsibility(ProposeResponsibilityRequest) => on_new_reading(
            responsibility::assignment_stream,
            Assignment::propose,
            "assignment_id",
            |b| &b.assignment_id,
            |c| duty::stream(&c.responsibility.duty_id),
        );
        accept_responsibility(AcceptResponsibilityRequest) => on_assignment(Assignment::accept);
        decline_responsibility(DeclineResponsibilityRequest) => on_assignment(Assignment::decline);
        end_responsibility(EndResponsibilityRequest) => on_assignment(Assignment::end);
        attribute_responsibility(AttributeResponsibilityRequest) => attribute();
        launch_training_programme(LaunchTrainingProgrammeRequest) =>
            on_new(programme::stream, Programme::launch, "programme_id", |b| &b.programme_id);
        set_rollout_target(SetRolloutTargetRequest) =>
            on_existing(programme::stream, Programme::set_target, |c| c.programme_id);
        commission_partner(CommissionPartnerRequest) => commission();
        end_commission(EndCommissionRequest) => end_commission();
    }
}

/// The organisation tree's one stream, whichever organisation a command names.
fn tree(_code: &str) -> String {
    registry::STREAM.to_owned()
}

/// Records a step in an existing assignment's life (accept, decline, end).
async fn on_assignment<R>(
    store: &Store,
    request: Request<R>,
    decide: fn(
        &Assignment,
        AssignmentStep,
        &Context,
    ) -> Result<Vec<responsibility::AssignmentEvent>, DomainError>,
) -> Reply
where
    R: Body,
    AssignmentStep: TryFrom<R, Error = DomainError>,
{
    let stream = responsibility::assignment_stream;
    on_existing(store, request, stream, decide, |step| step.assignment_id).await
}

/// Attributes a responsibility of the duty the command names, as it stands.
async fn attribute(store: &Store, request: Request<pb::AttributeResponsibilityRequest>) -> Reply {
    let caller = caller(&request, &request.get_ref().request_id)?;
    let id = caller.derived_id("attribution");
    let command = AttributeResponsibility::try_from(request.into_inner()).map_err(invalid)?;
    let duty = load::<Duty>(store, &duty::stream(&command.responsibility.duty_id)).await?;
    let stream = responsibility::attribution_stream;
    let decide = |a: &Attribution, c, ctx: &Context| a.attribute(id, c, &duty, ctx);
    record_on(store, stream, id, &caller, command, decide).await
}

/// Commissions a partner (all commissions are on one stream), answering with the
/// commission's id.
async fn commission(store: &Store, request: Request<pb::CommissionPartnerRequest>) -> Reply {
    let (caller, id, command) = parse_new::<_, CommissionPartner>(
        request,
        "commission_id",
        |b: &pb::CommissionPartnerRequest| &b.commission_id,
    )?;
    let decide = |c: &Commissions, command, ctx: &Context| c.commission(id, command, ctx);
    let stream = commissioning::STREAM;
    let result = record(store, stream, &id.to_string(), &caller, command, decide).await;
    reply_created(result, id.to_string())
}

async fn end_commission(store: &Store, request: Request<pb::EndCommissionRequest>) -> Reply {
    let (caller, command) = parse::<_, EndCommission>(request)?;
    let id = command.commission_id.to_string();
    let stream = commissioning::STREAM;
    reply(record(store, stream, &id, &caller, command, Commissions::end).await)
}
