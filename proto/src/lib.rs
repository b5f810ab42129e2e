//! The wire contracts of difacto: every message and service of package `difacto.v1`,
//! generated at build time from `proto/difacto/v1/*.proto`.
//!
//! The domain decides on these request messages and folds these event messages (prost
//! only: the domain never sees tonic). The log library never sees them: it stores bytes,
//! and `eventlog-grpc` converts its own API's messages at the edge.

/// The codec every generated service and client uses (`INVALID_ARGUMENT` for a message
/// that does not decode).
#[cfg(feature = "grpc")]
pub mod codec;

/// Package `difacto.v1`: the event log API and, later, the domain services.
#[allow(clippy::all, missing_debug_implementations, unreachable_pub)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/difacto.v1.rs"));
}

/// The encoded `FileDescriptorSet` of every difacto proto, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/difacto_descriptor.bin"));
