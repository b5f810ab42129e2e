//! `difacto dev`: everything in one process on an embedded sled log: the log's API and
//! the four domain services on one gRPC port. The gateway joins with its own issue.

use difacto_services::DomainService;

use crate::cli::{AuthArgs, DevArgs};

pub async fn run(args: DevArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    if args.demo {
        anyhow::bail!(
            "--demo: the demo dataset arrives with the gateway; this build has no --demo yet"
        );
    }
    let shutdown = crate::shutdown::on_signal();
    tracing::info!(
        "mint a token with: difacto token --data-dir {} --org X24 --role national_lead",
        args.data.data_dir.display()
    );
    super::serve::run_server(
        &args.data.data_dir,
        args.grpc_addr,
        auth,
        &DomainService::ALL,
        true,
        shutdown,
    )
    .await
}
