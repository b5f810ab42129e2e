//! The `difacto` binary as a library: the command line, the settings it validates, the
//! gRPC server assembly and the commands. `main.rs` only parses and dispatches, so tests
//! and benchmarks can call the same functions in-process.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod grpc;
pub mod oidc;
pub mod settings;
pub mod shutdown;
