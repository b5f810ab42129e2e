//! Who is asking: the bearer token of the HTTP request (or the websocket's
//! `connection_init` payload), verified once and put into the request's data.

use async_graphql::Context;
use auth::{Principal, TokenVerifier};

use crate::error::{GatewayError, Result};

/// A verified caller and the token it came with, which mutations pass on to the domain
/// services so that they decide with the caller's own rights.
#[derive(Clone)]
pub struct Caller {
    pub principal: Principal,
    pub token: String,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("principal", &self.principal)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The outcome of checking a request's `Authorization` header. Kept rather than
/// refused at the door, so that `{ __typename }` and introspection need no token while
/// every view and mutation does.
#[derive(Debug, Clone)]
pub enum Authentication {
    Verified(Caller),
    Missing,
    Rejected(String),
}

impl Authentication {
    /// `header` is the whole `Authorization` value (`Bearer <jwt>`), if any.
    pub fn from_header(header: Option<&str>, verifier: &TokenVerifier) -> Self {
        let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
            return Self::Missing;
        };
        let Some(token) = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        else {
            return Self::Rejected("Authorization: expected `Bearer <token>`".into());
        };
        Self::from_token(token.trim(), verifier)
    }

    pub fn from_token(token: &str, verifier: &TokenVerifier) -> Self {
        match verifier.verify(token) {
            Ok(principal) => Self::Verified(Caller {
                principal,
                token: token.to_owned(),
            }),
            Err(err) => Self::Rejected(format!("Authorization: {err}")),
        }
    }

    /// The caller of a websocket: the token in the `connection_init` payload (browsers
    /// cannot set headers on a websocket), as `Authorization: Bearer …` or `token`, else
    /// what the upgrade request's header said.
    pub fn from_connection_init(
        payload: &serde_json::Value,
        verifier: &TokenVerifier,
        from_header: Authentication,
    ) -> Self {
        ["Authorization", "authorization"]
            .iter()
            .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
            .map(|h| Self::from_header(Some(h), verifier))
            .or_else(|| {
                payload
                    .get("token")
                    .and_then(|v| v.as_str())
                    .map(|t| Self::from_token(t, verifier))
            })
            .unwrap_or(from_header)
    }

    pub fn caller(&self) -> Result<&Caller> {
        match self {
            Self::Verified(caller) => Ok(caller),
            Self::Missing => Err(GatewayError::Unauthenticated(
                "Authorization: a bearer token is required (mint one with `difacto token`)".into(),
            )),
            Self::Rejected(reason) => Err(GatewayError::Unauthenticated(reason.clone())),
        }
    }
}

/// The caller of the request a resolver is answering.
pub fn caller<'a>(ctx: &'a Context<'_>) -> Result<&'a Caller> {
    ctx.data_opt::<Authentication>()
        .unwrap_or(&Authentication::Missing)
        .caller()
}
