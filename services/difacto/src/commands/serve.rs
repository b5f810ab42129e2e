//! `difacto serve log|practice|icb|partner|provider`: one part of difacto per process.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use auth::BearerToken;
use eventlog::{EventLog, SledConfig, SledLog};
use eventlog_grpc::RemoteLog;
use handlers::{DomainService, Store};
use tokio::net::TcpListener;
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
        super::gateway::Access {
            verifier,
            web: crate::settings::web(auth, data_dir, &args.oidc)?,
            xapi: crate::settings::xapi(auth, data_dir, &args.xapi)?,
        },
        args.http_addr,
        data_dir,
        args.read_models.replay,
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
            return run_server(dir, args.grpc_addr, auth, &[service], false, shutdown).await;
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
    let served = Served {
        log_api: None,
        domain: vec![service],
        store: Some(Arc::new(Store::new(log))),
    };
    announce(&listener, &served, &args.log.describe())?;
    crate::grpc::serve(listener, served, verifier, shutdown).await
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("--grpc-addr: cannot listen on {addr}"))
}

/// The one line that says a process is ready, with the address it really listens on.
fn announce(listener: &TcpListener, served: &Served, log: &str) -> anyhow::Result<()> {
    let local = listener.local_addr()?;
    let services = served.names().join(",");
    if served.log_api.is_some() && served.domain.is_empty() {
        tracing::info!(grpc_addr = %local, log, services, "difacto log ready");
    } else {
        tracing::info!(grpc_addr = %local, log, services, "difacto ready");
    }
    Ok(())
}

/// Opens the sled log in `data_dir` and serves `domain` services (and the log's own API
/// when `log_api`) on `addr` until `shutdown`; then drains, flushes and closes the log.
/// Shared by `serve log`, `serve <service> --log sled:` and `dev`.
pub async fn run_server(
    data_dir: &Path,
    addr: SocketAddr,
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
    let shared: Arc<dyn EventLog> = Arc::new(log.clone());
    let served = Served {
        log_api: log_api.then(|| shared.clone()),
        domain: domain.to_vec(),
        store: (!domain.is_empty()).then(|| Arc::new(Store::new(shared.clone()))),
    };
    let head = shared.head_position().await?;
    announce(
        &listener,
        &served,
        &format!("sled:{} (head {head})", data_dir.display()),
    )?;
    let result = crate::grpc::serve(listener, served, verifier, shutdown).await;
    // Whatever the server did, what was acknowledged is flushed before exit.
    log.close().await.context("closing the log")?;
    tracing::info!("log closed cleanly");
    result
}
