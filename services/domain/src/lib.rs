//! The pure domain of difacto: what may be recorded, by whom, and what it means.
//!
//! Each aggregate lives in its own module with its stream name, its event set (proto
//! messages of `difacto.v1`, see [`event`]) and its commands. A command is a struct of
//! domain types parsed from its request with `TryFrom` (the checks that need no state,
//! naming the field), and a method that takes it, the aggregate's current state and a
//! [`Context`] (caller, organisation tree, time) and returns the events to record or a
//! [`DomainError`]; `apply` only folds.
//!
//! - [`registry`]: the organisation tree, with effective dates and mergers;
//! - [`duty`], [`responsibility`], [`programme`], [`commissioning`]: commissioners' commands;
//! - [`practice`], [`session`], [`platform`]: practices', partners' and providers';
//! - [`command`]: the one list of commands; [`policy`]: who may issue each (DESIGN.md §6);
//! - [`privacy`]: the free-text checks of DESIGN.md §7;
//! - [`values`], [`codes`]: parsing that names the field at fault;
//! - `testing` (tests only, or with the `testing` feature): the shared fixtures;
//! - [`envelope`]: the metadata keys and schema version of a stored event, and the one
//!   way to read one back.
//!
//! This crate depends on no transport or storage crate: no tonic, axum or sled.

pub mod aggregate;
pub mod codes;
pub mod command;
pub mod commissioning;
pub mod duty;
pub mod envelope;
pub mod error;
pub mod event;
pub mod platform;
pub mod policy;
pub mod practice;
pub mod privacy;
pub mod programme;
pub mod registry;
pub mod responsibility;
pub mod session;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod values;

pub use aggregate::{Aggregate, Context};
pub use error::DomainError;
pub use event::EventSet;
