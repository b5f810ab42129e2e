//! `difacto serve log|practice|icb|partner|provider`: one part of difacto per process.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use auth::BearerToken;
use eventlog::{EventLog, SledConfig, SledLog};
use eventlog_grpc::RemoteLog;
use handlers::{DomainService, Store};
use telemetry::metrics::RpcMetrics;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::{AuthArgs, ServeCommand, ServeGatewayArgs, ServeServiceArgs};
use crate::grpc::Served;
use crate::settings::LogTarget;

pub async fn run(command: ServeCommand, auth: &AuthArgs) -> anyhow::Result<()> {
    let shutdown = crate::shutdown::on_signal();
    match command {
        ServeCommand::Log(args) => {
            run_server(
                &args.data.data_dir,
                args.grpc_addr,
                args.metrics_addr,
                auth,
                &[],
                true,
                shutdown,
            )
            .await
        }
        ServeCommand::Practice(args) => {
            serve_domain(args, DomainService::Practice, auth, shutdown).await
        }
        ServeCommand::Icb(args) => serve_domain(args, DomainService::Icb, auth, shutdown).await,
        ServeCommand::Partner(args) => {
            serve_domain(args, DomainService::Partner, auth, shutdown).await
        }
        ServeCommand::Provider(args) => {
            serve_domain(args, DomainService::Provider, auth, shutdown).await
        }
        ServeCommand::Gateway(args) => serve_gateway(args, auth, shutdown).await,
    }
}

async fn serve_gateway(
    args: ServeGatewayArgs,
    auth: &AuthArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let data_dir = &args.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
    let endpoints = gateway::services::DomainEndpoints::from_flag(&args.services)
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let verifier = crate::settings::verifier(auth, data_dir)?;
    let (log, sled): (Arc<dyn EventLog>, Option<SledLog>) = match &args.log {
        LogTarget::Sled(dir) => {
            let sled = SledLog::open(&SledConfig::new(dir.join("log")))
                .with_context(|| format!("--log: cannot open the log in {}", dir.display()))?;
            (Arc::new(sled.clone()), Some(sled))
        }
        LogTarget::Grpc(url) => {
            let token = crate::settings::service_token(auth, data_dir, "difacto-gateway")?;
            let remote = RemoteLog::connect_lazy(url, BearerToken::new(token)?).context("--log")?;
            (Arc::new(remote), None)
        }
        LogTarget::Nats(servers) => (
            Arc::new(crate::settings::connect_nats(servers).await?),
            None,
        ),
    };
    let gateway = super::gateway::start(
        log.clone(),
        endpoints,
        super::gateway::Access::from_flags(verifier, auth, data_dir, &args.gateway, None)?,
        args.http_addr,
        data_dir,
        args.gateway.replay,
        shutdown.clone(),
    )
    .await?;
    gateway.ready_when_caught_up(log, shutdown);
    tracing::info!(http_addr = %gateway.http_addr, log = ?args.log, read_model_position = gateway.projection.position(), "difacto gateway ready");
    super::gateway::greet(gateway.http_addr, data_dir);
    let result = gateway.stopped().await;
    if let Some(sled) = sled {
        sled.close().await.context("closing the log")?;
    }
    result
}

async fn serve_domain<const P: u16>(
    args: ServeServiceArgs<P>,
    service: DomainService,
    auth: &AuthArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let data_dir = &args.data.data_dir;
    let log: Arc<dyn EventLog> = match &args.log {
        LogTarget::Sled(dir) => {
            return run_server(
                dir,
                args.grpc_addr,
                args.metrics_addr,
                auth,
                &[service],
                false,
                shutdown,
            )
            .await;
        }
        LogTarget::Grpc(url) => {
            let token = crate::settings::service_token(
                auth,
                data_dir,
                &format!("difacto-{}", service.grpc_name()),
            )?;
            Arc::new(RemoteLog::connect_lazy(url, BearerToken::new(token)?).context("--log")?)
        }
        LogTarget::Nats(servers) => Arc::new(crate::settings::connect_nats(servers).await?),
    };
    let verifier = crate::settings::verifier(auth, data_dir)?;
    let listener = bind(args.grpc_addr).await?;
    let probes = Probes::start(args.metrics_addr, shutdown.clone()).await?;
    probes.ready_when_reachable(log.clone(), shutdown.clone());
    let served = Served {
        log_api: None,
        domain: vec![service],
        store: Some(Arc::new(Store::new(log))),
        metrics: probes.metrics.clone(),
    };
    announce(&listener, &probes, &served, &args.log.describe())?;
    let result = crate::grpc::serve(listener, served, verifier, shutdown).await;
    probes.stopped().await;
    result
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("--grpc-addr: cannot listen on {addr}"))
}

/// The one line that says a process is ready, with the addresses it really listens on.
fn announce(
    listener: &TcpListener,
    probes: &Probes,
    served: &Served,
    log: &str,
) -> anyhow::Result<()> {
    let local = listener.local_addr()?;
    let metrics_addr = probes.addr;
    let services = served.names().join(",");
    if served.log_api.is_some() && served.domain.is_empty() {
        tracing::info!(grpc_addr = %local, %metrics_addr, log, services, "difacto log ready");
    } else {
        tracing::info!(grpc_addr = %local, %metrics_addr, log, services, "difacto ready");
    }
    Ok(())
}

/// The HTTP listener beside a gRPC server (`--metrics-addr`): `/metrics` (the server's
/// per-RPC counts and latencies), `/healthz`, and `/readyz` (503 until [`Probes::ready`]).
struct Probes {
    metrics: Arc<RpcMetrics>,
    ready: Arc<watch::Sender<bool>>,
    /// Where it really listens (the flag may say port 0).
    addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Probes {
    async fn start(addr: SocketAddr, shutdown: CancellationToken) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("--metrics-addr: cannot listen on {addr}"))?;
        let addr = listener.local_addr()?;
        let metrics = Arc::new(RpcMetrics::default());
        let (ready, readiness) = watch::channel(false);
        let router = telemetry::http::router(metrics.clone(), readiness);
        let task = tokio::spawn(gateway::http::serve_router(
            listener,
            router,
            gateway::http::ServeConfig::default(),
            shutdown,
        ));
        Ok(Self {
            metrics,
            ready: Arc::new(ready),
            addr,
            task,
        })
    }

    /// `/readyz` answers 200 from now on.
    fn ready(&self) {
        self.ready.send_replace(true);
    }

    /// `/readyz` answers 200 once `log` answers (a service can decide nothing before).
    fn ready_when_reachable(&self, log: Arc<dyn EventLog>, shutdown: CancellationToken) {
        let ready = self.ready.clone();
        tokio::spawn(async move {
            loop {
                match log.head_position().await {
                    Ok(head) => {
                        ready.send_replace(true);
                        tracing::info!(head, "the log answers; /readyz is 200");
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "the log does not answer yet; /readyz stays 503");
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        });
    }

    /// Waits for the listener to stop (after the shutdown it was started with).
    async fn stopped(self) {
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "the metrics listener failed"),
            Err(err) => tracing::warn!(error = %err, "the metrics listener task failed"),
        }
    }
}

/// Opens the sled log in `data_dir` and serves `domain` services (and the log's own API
/// when `log_api`) on `addr`, and the probes on `metrics_addr`, until `shutdown`; then
/// drains, flushes and closes the log.
/// Shared by `serve log`, `serve <service> --log sled:` and `dev`.
pub async fn run_server(
    data_dir: &Path,
    addr: SocketAddr,
    metrics_addr: SocketAddr,
    auth: &AuthArgs,
    domain: &[DomainService],
    log_api: bool,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
    let verifier = crate::settings::verifier(auth, data_dir)?;
    let log = SledLog::open(&SledConfig::new(data_dir.join("log")))
        .with_context(|| format!("--data-dir: cannot open the log in {}", data_dir.display()))?;
    let listener = bind(addr).await?;
    let probes = Probes::start(metrics_addr, shutdown.clone()).await?;
    let shared: Arc<dyn EventLog> = Arc::new(log.clone());
    let served = Served {
        log_api: log_api.then(|| shared.clone()),
        domain: domain.to_vec(),
        store: (!domain.is_empty()).then(|| Arc::new(Store::new(shared.clone()))),
        metrics: probes.metrics.clone(),
    };
    let head = shared.head_position().await?;
    probes.ready();
    announce(
        &listener,
        &probes,
        &served,
        &format!("sled:{} (head {head})", data_dir.display()),
    )?;
    let result = crate::grpc::serve(listener, served, verifier, shutdown).await;
    probes.stopped().await;
    // Whatever the server did, what was acknowledged is flushed before exit.
    log.close().await.context("closing the log")?;
    tracing::info!("log closed cleanly");
    result
}
