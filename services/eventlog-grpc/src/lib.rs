//! The event log over gRPC (`difacto.v1.EventLogService`), both ways:
//!
//! - [`EventLogGrpc`] serves any [`eventlog::EventLog`] (in `difacto serve log`, the
//!   sled backend) to other processes;
//! - [`RemoteLog`] is a client that is itself an `EventLog`, so a domain service or the
//!   gateway runs unchanged against a log in another process.
//!
//! `convert` is the one place where proto types meet log types, and where every
//! [`eventlog::LogError`] gets its gRPC code (and back again on the client side).

mod client;
mod convert;
mod server;

pub use client::RemoteLog;
pub use server::EventLogGrpc;

/// The largest message either side accepts: an append of the documented maximum
/// (8 MiB of payload and metadata) plus framing.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
