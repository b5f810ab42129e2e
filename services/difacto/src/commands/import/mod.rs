//! `difacto import`: data the NHS already publishes, brought in through the services'
//! own commands (DESIGN.md §11), so validation, policy and the store judge every change
//! as they judge a person's.
//!
//! - [`ods`]: the organisation tree from `epraccur.csv` and `gp-reg-pat-prac-map.csv`,
//!   read, compared with the registry and sent by the `import` crate (which the demo
//!   shares);
//! - [`workforce`]: staff in post per practice and role, the rollout's denominators;
//! - [`target`]: where the registry is read and the commands go; [`send`]: sending them,
//!   many at once.

mod ods;
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
