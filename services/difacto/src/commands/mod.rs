//! One file per subcommand. Each parses nothing itself: it gets typed arguments from `cli`.

pub mod dev;
pub mod serve;
pub mod token;
pub mod verify;
