//! What every handler of the four services shares: who is calling, how a command parsed at
//! the edge is decided and recorded, and how its outcome becomes the gRPC answer.
//!
//! Every handler has the same three steps: the caller and the request's body; the
//! command, parsed with `TryFrom` (naming the bad field) into the domain's own types; and
//! [`record`], which decides it on the aggregate's stream through the [`Store`].

use domain::{Aggregate, Context, DomainError};
use proto::v1::CommandResult;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::store::{Caller, Store};

/// The caller of `request`, with the request id its body carries.
pub(crate) fn caller<T>(request: &Request<T>, request_id: &str) -> Result<Caller, Status> {
    let principal = auth::principal(request)?;
    Caller::new(principal, request_id).map_err(|e| Status::from(ServiceError::from(e)))
}

/// What every command answers.
pub(crate) type Reply = Result<Response<CommandResult>, Status>;

pub(crate) fn reply(result: Result<CommandResult, ServiceError>) -> Reply {
    result.map(Response::new).map_err(Status::from)
}

/// `reply`, telling the caller `created`: the id of what the command created inside the
/// aggregate (a change, a material, a booking reference).
pub(crate) fn reply_created(result: Result<CommandResult, ServiceError>, created: String) -> Reply {
    reply(result).map(|mut response| {
        response.get_mut().created_id = created;
        response
    })
}

/// A request body: every one carries the client's `request_id`.
pub(crate) trait Body {
    fn request_id(&self) -> &str;
}

macro_rules! bodies {
    ($($request:ident),* $(,)?) => {
        $(impl Body for proto::v1::$request {
            fn request_id(&self) -> &str {
                &self.request_id
            }
        })*
    };
}

bodies!(
    RegisterOrganisationRequest,
    RenameOrganisationRequest,
    ReparentOrganisationRequest,
    MergeOrganisationsRequest,
    CloseOrganisationRequest,
    RetireDutyRequest,
    AcceptResponsibilityRequest,
    DeclineResponsibilityRequest,
    EndResponsibilityRequest,
    AttributeResponsibilityRequest,
    SetRolloutTargetRequest,
    EndCommissionRequest,
    RecordFacilitationRequest,
    ChangeServiceStatusRequest,
    NameDigitalChampionRequest,
    ReportStaffInPostRequest,
    EnrolStaffRequest,
    CompleteModuleRequest,
    CompleteTrainingRequest,
    AdoptPlatformRequest,
    ConfirmHostingRequest,
    DeclineHostingRequest,
    CancelBookingRequest,
    CancelSessionRequest,
    RecordAttendanceRequest,
    AcknowledgeUsabilityIssueRequest,
    ResolveUsabilityIssueRequest,
);

/// The caller of `request` and its body parsed into the domain's command `C` at the
/// edge (`C::try_from(body)`, refusing a bad field by name).
pub(crate) fn parse<R, C>(request: Request<R>) -> Result<(Caller, C), Status>
where
    R: Body,
    C: TryFrom<R, Error = DomainError>,
{
    let caller = caller(&request, request.get_ref().request_id())?;
    let command = C::try_from(request.into_inner()).map_err(invalid)?;
    Ok((caller, command))
}

/// A request the domain refused while parsing it.
pub(crate) fn invalid(err: DomainError) -> Status {
    Status::from(ServiceError::from(err))
}

/// Decides `command` on the aggregate of `stream` (whose id is `id`) with `decide`, and
/// records what it decided.
pub(crate) async fn record<A, C>(
    store: &Store,
    stream: &str,
    id: &str,
    caller: &Caller,
    command: C,
    decide: impl Fn(&A, C, &Context) -> Result<Vec<A::Event>, DomainError>,
) -> Result<CommandResult, ServiceError>
where
    A: Aggregate,
    C: Clone,
{
    store
        .execute::<A, _>(stream, id, caller, |state, ctx| {
            decide(state, command.clone(), ctx)
        })
        .await
}

/// [`record`] on the aggregate `id` of stream `stream(id)`, answered with [`reply`].
pub(crate) async fn record_on<A, C>(
    store: &Store,
    stream: fn(&Uuid) -> String,
    id: Uuid,
    caller: &Caller,
    command: C,
    decide: impl Fn(&A, C, &Context) -> Result<Vec<A::Event>, DomainError>,
) -> Reply
where
    A: Aggregate,
    C: Clone,
{
    reply(
        record(
            store,
            &stream(&id),
            &id.to_string(),
            caller,
            command,
            decide,
        )
        .await,
    )
}
