//! The one table from everything that can go wrong to a GraphQL error with
//! `extensions.code` (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, CONFLICT, NOT_FOUND,
//! INTERNAL). Messages name the field; internals are logged, never returned.

use async_graphql::ErrorExtensions;
use tonic::{Code, Status};

/// What a resolver returns when it cannot answer.
///
/// Deliberately not `Display`: async-graphql turns any `Display` error into one without
/// a code, so this type converts only through [`From<GatewayError>`], which keeps
/// `extensions.code`, and `?` in a resolver can never lose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    Unauthenticated(String),
    Forbidden(String),
    /// A field of the request breaks a rule: `field: reason`.
    BadUserInput {
        field: String,
        reason: String,
    },
    Conflict(String),
    NotFound(String),
    /// Already logged where it happened; the caller sees only that it was.
    Internal,
}

impl GatewayError {
    pub fn bad_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden(reason.into())
    }

    /// Logs `err` and returns the opaque [`GatewayError::Internal`].
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error while answering a GraphQL request");
        Self::Internal
    }

    /// What the caller reads: names the field, never an internal detail.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::NotFound(m) => m.clone(),
            Self::BadUserInput { field, reason } => format!("{field}: {reason}"),
            Self::Internal => "internal error; it has been logged".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Internal => "INTERNAL",
        }
    }
}

impl ErrorExtensions for GatewayError {
    fn extend(&self) -> async_graphql::Error {
        let mut error = async_graphql::Error::new(self.message());
        error = error.extend_with(|_, ext| ext.set("code", self.code()));
        if let Self::BadUserInput { field, .. } = self {
            let field = field.clone();
            error = error.extend_with(|_, ext| ext.set("field", field));
        }
        error
    }
}

impl From<GatewayError> for async_graphql::Error {
    fn from(err: GatewayError) -> Self {
        err.extend()
    }
}

/// A domain service's answer to a forwarded mutation. The services already name the
/// field in their messages (`capacity: must be at least 1`).
impl From<Status> for GatewayError {
    fn from(status: Status) -> Self {
        let message = status.message().to_owned();
        match status.code() {
            Code::Unauthenticated => Self::Unauthenticated(message),
            Code::PermissionDenied => Self::Forbidden(message),
            Code::InvalidArgument | Code::OutOfRange => match message.split_once(": ") {
                Some((field, reason)) if !field.contains(' ') => Self::bad_input(field, reason),
                _ => Self::bad_input("input", message),
            },
            Code::NotFound => Self::NotFound(message),
            Code::AlreadyExists | Code::FailedPrecondition | Code::Aborted => {
                Self::Conflict(message)
            }
            Code::Unavailable => {
                tracing::warn!(%message, "a domain service is unavailable");
                Self::Internal
            }
            _ => Self::internal(format!("{:?}: {message}", status.code())),
        }
    }
}

pub type Result<T, E = GatewayError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_six_codes() {
        let cases = [
            (Status::unauthenticated("no token"), "UNAUTHENTICATED"),
            (Status::permission_denied("not yours"), "FORBIDDEN"),
            (
                Status::invalid_argument("capacity: must be at least 1"),
                "BAD_USER_INPUT",
            ),
            (
                Status::not_found("session_id: session x does not exist"),
                "NOT_FOUND",
            ),
            (
                Status::already_exists("code: organisation A exists"),
                "CONFLICT",
            ),
            (
                Status::failed_precondition("session_id: cancelled"),
                "CONFLICT",
            ),
            (Status::aborted("busy"), "CONFLICT"),
            (Status::internal("disk on fire"), "INTERNAL"),
            (Status::unavailable("down"), "INTERNAL"),
        ];
        for (status, code) in cases {
            assert_eq!(GatewayError::from(status).code(), code);
        }
    }

    #[test]
    fn bad_input_keeps_the_field_and_internal_hides_details() {
        let err = GatewayError::from(Status::invalid_argument("capacity: must be at least 1"));
        assert_eq!(
            err,
            GatewayError::bad_input("capacity", "must be at least 1")
        );
        let err = GatewayError::from(Status::internal("sled: /var/lib/x corrupt"));
        assert!(!err.message().contains("sled"));
    }
}
