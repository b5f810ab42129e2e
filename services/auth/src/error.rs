//! The one error type of this crate and its single mapping to gRPC status codes.

use thiserror::Error;

/// Why a caller could not be authenticated or authorised, or why key material is unusable.
///
/// Every message is safe to return to the caller: none of them contains a token, a
/// secret or key bytes. The gRPC code for each variant is fixed by the
/// `From<AuthError> for tonic::Status` impl below, so every edge maps them alike.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// No `authorization` header at all. Caller: obtain a token and send it.
    #[error("missing bearer token")]
    MissingToken,
    /// An `authorization` header that is not `Bearer <token>`. Caller: fix the client.
    #[error("authorization header is not \"Bearer <token>\"")]
    MalformedHeader,
    /// The token itself was rejected: bad signature, `alg: none`, an algorithm this
    /// server does not accept, expired, wrong `iss`/`aud`, or undecodable. The string
    /// says which. Caller: obtain a fresh token from the right issuer.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// A role name that is not one of [`crate::Role`]. Caller: fix the token or the flag.
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// A claim the domain needs (`sub`, `org`, `iat`, ...) is absent or empty.
    #[error("token claim `{0}` is missing or empty")]
    MissingClaim(&'static str),
    /// The caller is authenticated but lacks a role the operation needs.
    /// Caller: do not retry with the same token.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Key material or the development secret file is unusable. This is the
    /// operator's problem, not the caller's.
    #[error("key error: {0}")]
    Key(String),
}

#[cfg(feature = "grpc")]
impl From<AuthError> for tonic::Status {
    /// The one table from authentication errors to gRPC codes (DESIGN.md §6):
    /// anything wrong with who the caller is becomes `UNAUTHENTICATED`, a missing
    /// role `PERMISSION_DENIED`, and broken key material `INTERNAL` (logged here,
    /// returned without detail).
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::MissingToken
            | AuthError::MalformedHeader
            | AuthError::InvalidToken(_)
            | AuthError::UnknownRole(_)
            | AuthError::MissingClaim(_) => tonic::Status::unauthenticated(err.to_string()),
            AuthError::Forbidden(_) => tonic::Status::permission_denied(err.to_string()),
            AuthError::Key(_) => {
                tracing::error!(error = %err, "authentication key material is unusable");
                tonic::Status::internal("authentication is misconfigured on the server")
            }
        }
    }
}

#[cfg(all(test, feature = "grpc"))]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn errors_map_to_the_documented_grpc_codes() {
        let cases = [
            (AuthError::MissingToken, Code::Unauthenticated),
            (AuthError::MalformedHeader, Code::Unauthenticated),
            (
                AuthError::InvalidToken("expired".into()),
                Code::Unauthenticated,
            ),
            (AuthError::UnknownRole("king".into()), Code::Unauthenticated),
            (AuthError::MissingClaim("org"), Code::Unauthenticated),
            (
                AuthError::Forbidden("needs service".into()),
                Code::PermissionDenied,
            ),
            (AuthError::Key("bad pem".into()), Code::Internal),
        ];
        for (err, code) in cases {
            assert_eq!(tonic::Status::from(err.clone()).code(), code, "{err:?}");
        }
    }

    #[test]
    fn internal_status_does_not_leak_key_details() {
        let status = tonic::Status::from(AuthError::Key("/secret/path".into()));
        assert!(!status.message().contains("/secret/path"));
    }
}
