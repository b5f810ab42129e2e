//! `difacto serve log`: the event log's gRPC API on a sled directory.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use difacto_log::{SledConfig, SledLog};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::{AuthArgs, ServeCommand, ServeLogArgs};

pub async fn run(command: ServeCommand, auth: &AuthArgs) -> anyhow::Result<()> {
    match command {
        ServeCommand::Log(args) => serve_log(args, auth).await,
    }
}

async fn serve_log(args: ServeLogArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    let shutdown = crate::shutdown::on_signal();
    run_log_server(
        &args.data.data_dir,
        args.grpc_addr,
        auth,
        shutdown,
        "difacto log ready",
    )
    .await
}

/// Opens the sled log in `data_dir`, serves it on `addr` until `shutdown`, then drains,
/// flushes and closes it. Shared by `serve log` and `dev`.
pub async fn run_log_server(
    data_dir: &Path,
    addr: SocketAddr,
    auth: &AuthArgs,
    shutdown: CancellationToken,
    ready_message: &'static str,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
    let verifier = crate::settings::verifier(auth, data_dir)?;
    let log = SledLog::open(&SledConfig::new(data_dir.join("log")))
        .with_context(|| format!("--data-dir: cannot open the log in {}", data_dir.display()))?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("--grpc-addr: cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let head = difacto_log::EventLog::head_position(&log).await?;
    tracing::info!(grpc_addr = %local, data_dir = %data_dir.display(), head, "{ready_message}");
    let served = crate::grpc::serve_log(listener, Arc::new(log.clone()), verifier, shutdown).await;
    // Whatever the server did, what was acknowledged is flushed before exit.
    log.close().await.context("closing the log")?;
    tracing::info!("log closed cleanly");
    served
}
