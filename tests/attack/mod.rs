//! The attack families of `tests/attack.rs`, one file each, the fixture they share, and
//! `tools`: the tally, tokens, clients and exchanges that report instead of panicking.

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
