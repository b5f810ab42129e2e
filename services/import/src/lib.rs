//! Bringing in the organisation tree the NHS publishes (DESIGN.md §11), for `difacto
//! import ods` and for the demo, which builds its tree the way a real deployment starts.
//!
//! - [`file`]: reading a file whole, refusing the wrong one, bad rows by line and column;
//! - [`epraccur`] and [`map`]: the two ODS files as published; [`write`]: the same files
//!   written, for a tree made up elsewhere;
//! - [`plan`]: what the files change in the registry, and on which dates;
//! - [`command`] and [`apply`]: the plan as IcbService commands, sent phase by phase.

pub mod apply;
pub mod command;
pub mod epraccur;
pub mod file;
pub mod map;
pub mod plan;
pub mod write;

pub use apply::{Applied, Registrar, apply};
pub use command::IcbCommand;
