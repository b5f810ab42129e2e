//! The domain services over gRPC (package `difacto.v1`): `IcbService`, `PracticeService`,
//! `PartnerService` and `ProviderService`.
//!
//! - [`store`]: loads aggregates from the log, records commands with an expected version,
//!   retries on conflict, and answers re-sent requests from history;
//! - one module per service, whose handlers convert, call the domain, and convert back
//!   ([`handler`] holds what they share);
//! - [`error`]: the one table from errors to gRPC codes;
//! - `testing` (with the `testing` feature): the services on loopback and the shared
//!   organisation tree, for tests here, in the gateway and in the binary.

pub mod error;
mod handler;
pub mod icb;
pub mod partner;
pub mod practice;
pub mod provider;
pub mod server;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use icb::Icb;
pub use server::{DomainService, add_routes};
pub use store::{Caller, Store};
