//! `difacto import`: data the NHS already publishes, brought in through the services'
//! own commands (DESIGN.md §11), so validation, policy and the store judge every change
//! as they judge a person's.
//!
//! - [`ods`]: the organisation tree from `epraccur.csv` ([`epraccur`]) and
//!   `gp-reg-pat-prac-map.csv` ([`map`]), compared with the registry ([`plan`]);
//! - [`workforce`]: staff in post per practice and role, the rollout's denominators;
//! - [`file`]: reading a file whole and refusing the wrong one; [`target`]: where the
//!   registry is read and the commands go; [`send`]: sending them, many at once.

mod epraccur;
mod file;
mod map;
mod ods;
mod plan;
mod send;
mod target;
mod workforce;

use crate::cli::{AuthArgs, ImportCommand};

pub async fn run(command: ImportCommand, auth: &AuthArgs) -> anyhow::Result<()> {
    match command {
        ImportCommand::Ods(args) => ods::run(args, auth).await,
        ImportCommand::Workforce(args) => workforce::run(args, auth).await,
    }
}
