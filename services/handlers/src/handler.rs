//! What every handler of the four services shares: who is calling, how a command parsed at
//! the edge is decided and recorded, and how its outcome becomes the gRPC answer.
//!
//! Every handler has the same three steps: the caller and the request's body; the
//! command, parsed with `TryFrom` (naming the bad field) into the domain's own types; and
//! [`record`], which decides it on the aggregate's stream through the [`Store`].

use std::sync::Arc;

use domain::{Aggregate, Context, DomainError};
use proto::v1::CommandResult;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::store::{Caller, Store};

/// The caller of `request`, with the request id its body carries.
pub(crate) fn caller<T>(request: &Request<T>, request_id: &str) -> Result<Caller, Status> {
    let principal = auth::principal(request)?;
    // The server's telemetry layer has set `traceparent` to the span of this call.
    let traceparent = request
        .metadata()
        .get(domain::envelope::meta::TRACEPARENT)
        .and_then(|v| v.to_str().ok());
    Caller::new(principal, request_id)
        .map(|caller| caller.in_trace(traceparent))
        .map_err(|e| Status::from(ServiceError::from(e)))
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

/// A request body: every one carries the client's `request_id` (implemented for each
/// request by [`rpcs!`]).
pub(crate) trait Body {
    fn request_id(&self) -> &str;
}

/// A service's handlers, one line per rpc: `rpc(Request) => helper(args…)` calls
/// `helper(&store, request, args…)`, where the helpers below (or the service's own) say
/// how the command is parsed, which aggregate it acts on and which decision it asks for.
/// The rpcs themselves are tonic's trait, so one left out does not compile.
macro_rules! rpcs {
    (
        $(#[$meta:meta])*
        $service:ident for $handler:ident {
            $($rpc:ident($request:ident) => $helper:ident($($arg:expr),* $(,)?);)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $handler {
            store: std::sync::Arc<$crate::store::Store>,
        }

        impl $handler {
            pub fn new(store: std::sync::Arc<$crate::store::Store>) -> Self {
                Self { store }
            }
        }

        $(impl $crate::handler::Body for proto::v1::$request {
            fn request_id(&self) -> &str {
                &self.request_id
            }
        })*

        #[tonic::async_trait]
        impl $service for $handler {
            $(
                #[tracing::instrument(skip_all)]
                async fn $rpc(
                    &self,
                    request: tonic::Request<proto::v1::$request>,
                ) -> $crate::handler::Reply {
                    $helper(&self.store, request $(, $arg)*).await
                }
            )*
        }
    };
}
pub(crate) use rpcs;

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

/// The caller of `request`, the id of what its command creates, and the command: the id
/// is the client's, from the body's `field` (read by `given`), or, when it chose none, one
/// derived from the request id, so a re-sent request names the same thing.
pub(crate) fn parse_new<R, C>(
    request: Request<R>,
    field: &str,
    given: impl Fn(&R) -> &str,
) -> Result<(Caller, Uuid, C), Status>
where
    R: Body,
    C: TryFrom<R, Error = DomainError>,
{
    let caller = caller(&request, request.get_ref().request_id())?;
    let body = request.into_inner();
    let purpose = field.strip_suffix("_id").unwrap_or(field);
    let id = caller
        .id_or_derived(field, given(&body), purpose)
        .map_err(invalid)?;
    let command = C::try_from(body).map_err(invalid)?;
    Ok((caller, id, command))
}

/// A command on an aggregate that exists already: `id` reads which one from the command,
/// `stream` names its stream, and `decide` is the domain's decision.
pub(crate) async fn on_existing<R, C, A>(
    store: &Store,
    request: Request<R>,
    stream: fn(&Uuid) -> String,
    decide: impl Fn(&A, C, &Context) -> Result<Vec<A::Event>, DomainError>,
    id: impl Fn(&C) -> Uuid,
) -> Reply
where
    R: Body,
    C: TryFrom<R, Error = DomainError> + Clone,
    A: Aggregate,
{
    let (caller, command) = parse::<R, C>(request)?;
    record_on(store, stream, id(&command), &caller, command, decide).await
}

/// A command on the aggregate of an organisation, named by the code the command carries
/// (`code` reads it; `stream` names the stream it is recorded on: the tree's one stream
/// for any organisation, a practice's own).
pub(crate) async fn on_code<R, C, A>(
    store: &Store,
    request: Request<R>,
    stream: fn(&str) -> String,
    decide: impl Fn(&A, C, &Context) -> Result<Vec<A::Event>, DomainError>,
    code: impl Fn(&C) -> String,
) -> Reply
where
    R: Body,
    C: TryFrom<R, Error = DomainError> + Clone,
    A: Aggregate,
{
    let (caller, command) = parse::<R, C>(request)?;
    let code = code(&command);
    reply(record(store, &stream(&code), &code, &caller, command, decide).await)
}

/// A command that creates an aggregate on `stream(id)`, its id chosen as [`parse_new`]
/// says from the body's `field`.
pub(crate) async fn on_new<R, C, A>(
    store: &Store,
    request: Request<R>,
    stream: fn(&Uuid) -> String,
    decide: impl Fn(&A, Uuid, C, &Context) -> Result<Vec<A::Event>, DomainError>,
    field: &str,
    given: impl Fn(&R) -> &str,
) -> Reply
where
    R: Body,
    C: TryFrom<R, Error = DomainError> + Clone,
    A: Aggregate,
{
    let (caller, id, command) = parse_new::<R, C>(request, field, given)?;
    let decide = |a: &A, c, ctx: &Context| decide(a, id, c, ctx);
    record_on(store, stream, id, &caller, command, decide).await
}

/// [`on_new`] for a command that also reads another aggregate as it stands (the duty an
/// assignment is of, the platform an issue is about; a missing one is the domain's to
/// refuse): `reads` names that one's stream from the command.
pub(crate) async fn on_new_reading<R, C, A, B>(
    store: &Store,
    request: Request<R>,
    stream: fn(&Uuid) -> String,
    decide: impl Fn(&A, Uuid, C, &B, &Context) -> Result<Vec<A::Event>, DomainError>,
    field: &str,
    given: impl Fn(&R) -> &str,
    reads: impl Fn(&C) -> String,
) -> Reply
where
    R: Body,
    C: TryFrom<R, Error = DomainError> + Clone,
    A: Aggregate,
    B: Aggregate,
{
    let (caller, id, command) = parse_new::<R, C>(request, field, given)?;
    let read = load::<B>(store, &reads(&command)).await?;
    let decide = |a: &A, c, ctx: &Context| decide(a, id, c, read.as_ref(), ctx);
    record_on(store, stream, id, &caller, command, decide).await
}

/// The aggregate of `stream` as it stands, for a command that reads it besides its own.
pub(crate) async fn load<A: Aggregate>(store: &Store, stream: &str) -> Result<Arc<A>, Status> {
    store.load::<A>(stream).await.map_err(Status::from)
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
