//! The service layer's error, and the one table from every error to a gRPC status.
//!
//! | error                         | gRPC code           |
//! |-------------------------------|---------------------|
//! | DomainError::Invalid          | INVALID_ARGUMENT    |
//! | DomainError::NotFound         | NOT_FOUND           |
//! | DomainError::AlreadyExists    | ALREADY_EXISTS      |
//! | DomainError::Precondition     | FAILED_PRECONDITION |
//! | DomainError::Forbidden        | PERMISSION_DENIED   |
//! | Conflict (retries exhausted)  | ABORTED             |
//! | LogError::Invalid             | INVALID_ARGUMENT    |
//! | LogError::Unavailable/Denied  | UNAVAILABLE         |
//! | anything else                 | INTERNAL (logged, details not returned) |

use domain::DomainError;
use eventlog::LogError;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Log(#[from] LogError),
    /// Other writers kept changing the aggregate; the command was not recorded.
    #[error("{0}")]
    Conflict(String),
    /// A stored event could not be decoded: a bug or damage, never the caller's fault.
    #[error("stream {stream}: cannot decode event at version {version}: {reason}")]
    Undecodable {
        stream: String,
        version: u64,
        reason: String,
    },
}

impl From<ServiceError> for Status {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Domain(err) => match &err {
                DomainError::Invalid { .. } => Status::invalid_argument(err.to_string()),
                DomainError::NotFound { .. } => Status::not_found(err.to_string()),
                DomainError::AlreadyExists { .. } => Status::already_exists(err.to_string()),
                DomainError::Precondition { .. } => Status::failed_precondition(err.to_string()),
                DomainError::Forbidden(_) => Status::permission_denied(err.to_string()),
            },
            ServiceError::Conflict(message) => Status::aborted(message),
            ServiceError::Log(LogError::Invalid { field, reason }) => {
                Status::invalid_argument(format!("{field}: {reason}"))
            }
            ServiceError::Log(err @ (LogError::Unavailable(_) | LogError::Denied(_))) => {
                tracing::warn!(error = %err, "the log is unavailable");
                Status::unavailable("the event log is unavailable; retry with the same request_id")
            }
            err => {
                tracing::error!(error = %err, "internal error");
                Status::internal("internal error; it has been logged")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn the_table() {
        let cases = [
            (
                ServiceError::Domain(DomainError::invalid("capacity", "must be at least 1")),
                Code::InvalidArgument,
            ),
            (
                ServiceError::Domain(DomainError::not_found("session_id", "session", "x")),
                Code::NotFound,
            ),
            (
                ServiceError::Domain(DomainError::exists("code", "organisation", "A81001")),
                Code::AlreadyExists,
            ),
            (
                ServiceError::Domain(DomainError::precondition("session_id", "cancelled")),
                Code::FailedPrecondition,
            ),
            (
                ServiceError::Domain(DomainError::Forbidden("no".into())),
                Code::PermissionDenied,
            ),
            (ServiceError::Conflict("busy".into()), Code::Aborted),
            (
                ServiceError::Log(LogError::Unavailable("down".into())),
                Code::Unavailable,
            ),
            (
                ServiceError::Log(LogError::Storage("/disk/path".into())),
                Code::Internal,
            ),
        ];
        for (err, code) in cases {
            let status = Status::from(err);
            assert_eq!(status.code(), code);
            assert!(!status.message().contains("/disk/path"));
        }
    }

    #[test]
    fn messages_name_the_field() {
        let status = Status::from(ServiceError::Domain(DomainError::invalid(
            "capacity",
            "must be at least 1",
        )));
        assert_eq!(status.message(), "capacity: must be at least 1");
    }
}
