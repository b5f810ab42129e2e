//! Starting the GraphQL gateway: shared by `dev` (on the in-process log) and
//! `serve gateway` (on a remote or sled log).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use auth::TokenVerifier;
use eventlog::EventLog;
use gateway::http::Gateway;
use gateway::projection::Projection;
use gateway::services::DomainEndpoints;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::{AuthArgs, GatewayArgs};

/// A gateway that listens and keeps its read models current.
#[derive(Debug)]
pub struct RunningGateway {
    pub projection: Arc<Projection>,
    pub http_addr: SocketAddr,
    pub server: JoinHandle<std::io::Result<()>>,
    pub folding: JoinHandle<()>,
    /// What `/readyz` reports; false until [`Self::ready_when_caught_up`] sees the read
    /// models reach the log head.
    ready: Arc<watch::Sender<bool>>,
}

impl RunningGateway {
    /// Makes `/readyz` answer 200 once the read models have folded the log's head as it
    /// is now. Call it when everything that must be in place first is (in `dev --demo`,
    /// the demo); until then, and until the models catch up, `/readyz` is 503.
    pub fn ready_when_caught_up(&self, log: Arc<dyn EventLog>, shutdown: CancellationToken) {
        let projection = self.projection.clone();
        let ready = self.ready.clone();
        tokio::spawn(async move {
            let head = loop {
                match log.head_position().await {
                    Ok(head) => break head,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot read the log head; /readyz stays 503");
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                }
            };
            while !projection.wait_for(head, Duration::from_secs(30)).await {
                if shutdown.is_cancelled() {
                    return;
                }
                tracing::info!(
                    head,
                    read_model_position = projection.position(),
                    "the read models are still catching up; /readyz stays 503"
                );
            }
            ready.send_replace(true);
            tracing::info!(head, "the read models have caught up; /readyz is 200");
        });
    }

    /// Waits for both halves to stop (after `shutdown`); the projection writes its last
    /// checkpoint on the way out.
    pub async fn stopped(self) -> anyhow::Result<()> {
        let served = self.server.await.context("the gateway task failed")?;
        self.folding.await.context("the read model task failed")?;
        served.context("the gateway stopped with an error")
    }
}

/// Who may call the gateway: the token check every request passes, and how people sign
/// in to the web app (whose sessions carry tokens the same check accepts).
#[derive(Debug)]
pub struct Access {
    pub verifier: Arc<TokenVerifier>,
    pub web: gateway::web::WebConfig,
    /// `/xapi/statements`, when configured.
    pub xapi: Option<gateway::xapi::Xapi>,
    /// The per-RPC metrics of the gRPC server in the same process (`dev`), reported on
    /// the gateway's `/metrics`.
    pub rpc_metrics: Option<Arc<telemetry::metrics::RpcMetrics>>,
}

impl Access {
    /// What the gateway of `dev` or `serve gateway` is given by its flags: sign-in (OpenID
    /// Connect, or development sign-in when no public key is set) and xAPI.
    pub fn from_flags(
        verifier: Arc<TokenVerifier>,
        auth: &AuthArgs,
        data_dir: &Path,
        flags: &GatewayArgs,
        rpc_metrics: Option<Arc<telemetry::metrics::RpcMetrics>>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            verifier,
            web: crate::settings::web(auth, data_dir, &flags.oidc)?,
            xapi: crate::settings::xapi(auth, data_dir, &flags.xapi)?,
            rpc_metrics,
        })
    }
}

/// Binds `http_addr`, opens the read models from their checkpoint in `state_dir` (or from
/// zero when `replay`), and starts serving.
pub async fn start(
    log: Arc<dyn EventLog>,
    endpoints: DomainEndpoints,
    access: Access,
    http_addr: SocketAddr,
    state_dir: &Path,
    replay: bool,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningGateway> {
    let listener = gateway::http::bind(http_addr).await?;
    let http_addr = listener.local_addr()?;
    if let Some(oidc) = access.web.oidc() {
        oidc.default_redirect(http_addr);
        announce(oidc.clone());
    }
    tracing::info!(http_addr = %http_addr, "gateway listening (/healthz; /readyz says when the read models are ready)");
    let checkpoint_dir = state_dir.join("read-models");
    if replay {
        let file = gateway::checkpoint::Checkpoint::new(checkpoint_dir.clone()).path();
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
    let schema = gateway::schema::build(projection.clone(), endpoints);
    let (ready, readiness) = watch::channel(false);
    let mut gateway = Gateway::new(schema, access.verifier, projection.clone())
        .with_readiness(readiness)
        .with_web(access.web);
    if let Some(calls) = access.rpc_metrics {
        gateway = gateway.with_rpc_metrics(calls);
    }
    if let Some(xapi) = access.xapi {
        tracing::info!("xAPI statements are received at /xapi/statements");
        gateway = gateway.with_xapi(xapi);
    }
    let server = tokio::spawn(gateway.serve(listener, shutdown));
    Ok(RunningGateway {
        projection,
        http_addr,
        server,
        folding,
        ready: Arc::new(ready),
    })
}

/// Says which issuer people sign in through, and reads its configuration now, so a wrong
/// issuer shows in the log at start rather than at the first sign-in (difacto serves
/// on meanwhile: the provider may simply be starting too).
fn announce(oidc: Arc<gateway::web::oidc::Oidc>) {
    tracing::info!(
        issuer = oidc.issuer(),
        redirect_url = oidc.redirect_url().unwrap_or_default(),
        "the web app signs people in through OpenID Connect"
    );
    tokio::spawn(async move {
        if let Err(err) = oidc.discover().await {
            tracing::warn!(error = %err, issuer = oidc.issuer(), "--oidc-issuer: cannot read the issuer's configuration yet");
        }
    });
}

/// What a new user needs at start: where the web app and GraphiQL are, and how to get a
/// token.
pub fn greet(http_addr: SocketAddr, data_dir: &Path) {
    tracing::info!("web app: http://{http_addr}/  (sign in at /signin)");
    tracing::info!(
        "GraphiQL: http://{http_addr}/graphiql  (GraphQL at /graphql, subscriptions at /graphql/ws)"
    );
    tracing::info!(
        "get a token: difacto token --data-dir {} --org X24 --role national_lead   (then send `Authorization: Bearer <token>`; in GraphiQL, under Headers)",
        data_dir.display()
    );
}
