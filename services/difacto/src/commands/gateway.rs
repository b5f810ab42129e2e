//! Starting the GraphQL gateway: shared by `dev` (on the in-process log) and
//! `serve gateway` (on a remote or sled log).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use difacto_auth::TokenVerifier;
use difacto_gateway::http::Gateway;
use difacto_gateway::projection::Projection;
use difacto_gateway::services::DomainEndpoints;
use difacto_log::EventLog;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A gateway that listens and keeps its read models current.
#[derive(Debug)]
pub struct RunningGateway {
    pub projection: Arc<Projection>,
    pub http_addr: SocketAddr,
    pub server: JoinHandle<std::io::Result<()>>,
    pub folding: JoinHandle<()>,
}

impl RunningGateway {
    /// Waits for both halves to stop (after `shutdown`); the projection writes its last
    /// checkpoint on the way out.
    pub async fn stopped(self) -> anyhow::Result<()> {
        let served = self.server.await.context("the gateway task failed")?;
        self.folding.await.context("the read model task failed")?;
        served.context("the gateway stopped with an error")
    }
}

/// Binds `http_addr`, opens the read models from their checkpoint in `state_dir` (or from
/// zero when `replay`), and starts serving.
pub async fn start(
    log: Arc<dyn EventLog>,
    endpoints: DomainEndpoints,
    verifier: Arc<TokenVerifier>,
    http_addr: SocketAddr,
    state_dir: &Path,
    replay: bool,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningGateway> {
    let listener = difacto_gateway::http::bind(http_addr).await?;
    let http_addr = listener.local_addr()?;
    let checkpoint_dir = state_dir.join("read-models");
    if replay {
        let file = difacto_gateway::checkpoint::Checkpoint::new(checkpoint_dir.clone()).path();
        match std::fs::remove_file(&file) {
            Ok(()) => tracing::info!("--replay: read models will be rebuilt from the whole log"),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("--replay: cannot remove {}", file.display()));
            }
        }
    }
    let projection = Arc::new(Projection::open(log, Some(checkpoint_dir)).await);
    let folding = tokio::spawn(projection.clone().run(shutdown.clone()));
    let schema = difacto_gateway::schema::build(projection.clone(), endpoints);
    let gateway = Gateway::new(schema, verifier, projection.clone());
    let server = tokio::spawn(gateway.serve(listener, shutdown));
    Ok(RunningGateway {
        projection,
        http_addr,
        server,
        folding,
    })
}

/// What a new user needs at start: where GraphiQL is and how to get a token.
pub fn greet(http_addr: SocketAddr, data_dir: &Path) {
    tracing::info!(
        "GraphiQL: http://{http_addr}/  (GraphQL at /graphql, subscriptions at /graphql/ws)"
    );
    tracing::info!(
        "get a token: difacto token --data-dir {} --org X24 --role national_lead   (then send `Authorization: Bearer <token>`; in GraphiQL, under Headers)",
        data_dir.display()
    );
}
