//! The wire contracts of difacto: every message and service of package `difacto.v1`,
//! generated at build time from `proto/difacto/v1/*.proto`.
//!
//! Only the service edges (gRPC servers and clients) use these types; the domain and
//! the log library convert them at the boundary.

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
