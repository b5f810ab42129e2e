//! `difacto dev`: everything in one process on an embedded sled log. For now that is the
//! log's gRPC API; the domain services and the gateway join it as they are built.

use crate::cli::{AuthArgs, DevArgs};

pub async fn run(args: DevArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    if args.demo {
        anyhow::bail!(
            "--demo: the demo dataset needs the domain services, which this build does not have yet"
        );
    }
    let shutdown = crate::shutdown::on_signal();
    tracing::info!(
        "mint a token with: difacto token --data-dir {} --org X24 --role service",
        args.data.data_dir.display()
    );
    super::serve::run_log_server(
        &args.data.data_dir,
        args.grpc_addr,
        auth,
        shutdown,
        "difacto dev ready",
    )
    .await
}
