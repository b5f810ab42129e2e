//! `difacto bench`: every figure is measured next to a reference taken in the same run
//! on the same machine, and reported as a ratio, so results compare across machines.

mod cluster;
mod gateway;
mod log;
mod measure;
mod on_demo;
mod process;
mod report;
mod services;
mod web;

use crate::cli::{BenchArgs, BenchTarget};

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.target {
        BenchTarget::Log => log::run(&args).await,
        BenchTarget::Services => services::run(&args).await,
        BenchTarget::Gateway => gateway::run(&args).await,
        BenchTarget::Web => web::run(&args).await,
        BenchTarget::Cluster => cluster::run(&args).await,
    }
}
