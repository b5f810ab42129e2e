//! The attack families of `tests/attack.rs`, one file each, the fixture they share, and
//! `tools`: the tally, tokens and clients of the suite, and GraphQL and websocket calls
//! that report instead of panicking. What the other end-to-end tests use too (starting
//! the binary, tokens, channels, HTTP exchanges) is in `tests/support/`, the one support
//! module of every end-to-end test.

pub mod body;
pub mod connections;
pub mod cost;
pub mod cross_tenant;
pub mod fixture;
pub mod pii;
pub mod probing;
pub mod replay;
pub mod smaller;
pub mod tools;
