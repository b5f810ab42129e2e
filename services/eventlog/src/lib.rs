//! difacto's event log: the contract every backend keeps, and the embedded sled backend.
//!
//! - [`EventLog`] is the trait; [`event`] the values it takes and returns; [`LogError`]
//!   its one error type.
//! - [`Clock`] is the time the log stamps on what it records, shared with the services
//!   that decide commands against it.
//! - [`limits`] holds the documented bounds of an append, checked before anything is stored.
//! - [`record`] is how every backend stores an event (a sled record, a JetStream message):
//!   the body, its checksum and the hash chain.
//! - [`sled`](crate::sled) is the default backend: one tree, a group-commit pipeline, and
//!   `verify`.
//! - [`conformance`] (feature `conformance`) is the suite every backend must pass.
//!
//! Nothing here knows about gRPC: the remote backend and the server live in
//! `eventlog-grpc`.

mod clock;
pub mod error;
pub mod event;
pub mod limits;
mod log;
pub mod record;
pub mod sled;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use self::sled::{LogStats, SledConfig, SledLog, VerifyReport};
pub use clock::Clock;
pub use error::LogError;
pub use event::{AppendOutcome, Direction, ExpectedVersion, Metadata, NewEvent, RecordedEvent};
pub use log::{EventLog, EventStream};
