//! `auth`: who is calling.
//!
//! Every gRPC call and GraphQL request carries `Authorization: Bearer <JWT>`
//! (DESIGN.md §6). This crate checks that token once, at the edge, and hands the
//! rest of the system a plain [`Principal`] (subject, organisation, [`Role`]s), so
//! that the domain and its policy never see a JWT. Development tokens are HS256
//! with a shared secret ([`resolve_dev_secret`], [`TokenIssuer`]); production
//! tokens are RS256 or EdDSA, checked against a public key
//! ([`TokenVerifier::from_public_key_pem`]). A verifier accepts exactly one
//! algorithm, never `alg: none`, and checks `exp`, `iss`, `aud` and `iat`.
//!
//! Layout, one purpose per file:
//!
//! - `role.rs`: the closed set of [`Role`]s and their wire names.
//! - `principal.rs`: the [`Principal`] the domain sees.
//! - `claims.rs`: the JWT claim set ([`Claims`]) and the default `iss`/`aud`.
//! - `verify.rs`: [`TokenVerifier`], token to principal, and [`KeyAlgorithm`].
//! - `issue.rs`: [`TokenIssuer`], minting development tokens.
//! - `secret.rs`: [`resolve_dev_secret`], where the development secret lives.
//! - `grpc.rs`: the tonic edge: [`AuthInterceptor`], [`principal`], [`BearerToken`].
//! - `error.rs`: [`AuthError`] and its one mapping to `tonic::Status`.
//! - `provider.rs`, `b64.rs`: internals (crypto backend selection, header peeking).
//!
//! Architecture invariant: no key, secret or token ever appears in a `Debug`
//! output, a log line or an error message produced here.

#[cfg(feature = "jwt")]
mod b64;
mod claims;
mod error;
#[cfg(feature = "grpc")]
mod grpc;
#[cfg(feature = "jwt")]
mod issue;
mod principal;
#[cfg(feature = "jwt")]
mod provider;
mod role;
#[cfg(feature = "jwt")]
mod secret;
#[cfg(all(test, feature = "jwt"))]
mod testing;
#[cfg(feature = "jwt")]
mod verify;

pub use claims::{Claims, DEFAULT_AUDIENCE, DEFAULT_ISSUER};
pub use error::AuthError;
#[cfg(feature = "grpc")]
pub use grpc::{AuthInterceptor, BearerToken, principal};
#[cfg(feature = "jwt")]
pub use issue::TokenIssuer;
pub use principal::Principal;
pub use role::Role;
#[cfg(feature = "jwt")]
pub use secret::resolve_dev_secret;
#[cfg(feature = "jwt")]
pub use verify::{KeyAlgorithm, TokenVerifier};
