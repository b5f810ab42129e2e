//! `gateway`: the GraphQL face of difacto (DESIGN.md §5).
//!
//! Read models are folds of the log kept in memory by a subscription and checkpointed
//! to disk (`projection`, `model`); queries answer from them (`views`), scoped to what
//! the caller may read (`scope`) and with small patient counts suppressed
//! (`disclosure`). Mutations forward to the four domain services over gRPC with the
//! caller's own token (`mutation`, `services`). `http` serves it all on axum; `xapi`
//! takes e-learning platforms' completion statements in through the same mutations.

#[cfg(feature = "testing")]
pub mod browser;
pub mod caller;
pub mod checkpoint;
pub mod connection;
pub mod disclosure;
pub mod error;
pub mod http;
pub mod metrics;
pub mod model;
pub mod mutation;
pub mod projection;
pub mod schema;
pub mod scope;
pub mod services;
pub mod subscription;
// GraphQL fields take their arguments one by one, Relay's four included.
#[allow(clippy::too_many_arguments)]
pub mod views;
pub mod vocabulary;
pub mod web;
pub mod xapi;
