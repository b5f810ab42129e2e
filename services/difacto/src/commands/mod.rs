//! One file per subcommand. Each parses nothing itself: it gets typed arguments from `cli`.

pub mod dev;
pub mod gateway;
pub mod import;
pub mod schema;
pub mod serve;
pub mod token;
pub mod verify;
