//! What every handler of the four services shares: who is calling, and how a command's
//! outcome becomes the gRPC answer.

use proto::v1::CommandResult;
use tonic::{Request, Response, Status};

use crate::error::ServiceError;
use crate::store::Caller;

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

/// A request the domain refused while parsing it.
pub(crate) fn invalid(err: domain::DomainError) -> Status {
    Status::from(ServiceError::from(err))
}
