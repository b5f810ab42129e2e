//! `difacto dev`: everything in one process on an embedded sled log (or, with `--log
//! nats://…`, on a JetStream cluster): the log's API and
//! the four domain services on one gRPC port, and the GraphQL gateway on HTTP; with
//! `--demo`, the synthetic England-sized dataset loaded through the real command path.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use eventlog::{Clock, EventLog, SledConfig, SledLog};
use gateway::services::DomainEndpoints;
use handlers::{DomainService, Store};
use telemetry::metrics::RpcMetrics;

use crate::cli::{AuthArgs, DevArgs};
use crate::grpc::Served;
use crate::settings::LogTarget;

/// How long the read models may take to catch up with the log before `dev` says ready
/// anyway (it keeps catching up in the background).
const CATCH_UP: Duration = Duration::from_secs(60);

pub async fn run(args: DevArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let shutdown = crate::shutdown::on_signal();
    let data_dir = &args.data.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("--data-dir: cannot create {}", data_dir.display()))?;
    let verifier = crate::settings::verifier(auth, data_dir)?;
    let OpenedLog {
        log,
        clock,
        sled,
        name: log_name,
    } = match &args.log {
        Some(LogTarget::Nats(servers)) => {
            let nats = crate::settings::connect_nats(servers).await?;
            OpenedLog {
                clock: nats.clock().clone(),
                log: Arc::new(nats),
                sled: None,
                name: format!("nats://{}", servers.join(",")),
            }
        }
        Some(LogTarget::Grpc(_)) => {
            anyhow::bail!("--log: dev serves the log itself; give sled:<dir> or nats://…")
        }
        Some(LogTarget::Sled(dir)) => open_sled(dir)?,
        None => open_sled(data_dir)?,
    };
    // The services decide by the log's own clock: the demo holds it on each day of its
    // year, so what it sends is recorded on that day.
    let store = Arc::new(Store::new(log.clone()).with_clock(clock));

    let grpc_listener = tokio::net::TcpListener::bind(args.grpc_addr)
        .await
        .with_context(|| format!("--grpc-addr: cannot listen on {}", args.grpc_addr))?;
    let grpc_addr = grpc_listener.local_addr()?;
    // Counted as `serve` counts them, and reported on the gateway's `/metrics`.
    let rpc_metrics = Arc::new(RpcMetrics::default());
    let served = Served {
        log_api: Some(log.clone()),
        domain: DomainService::ALL.to_vec(),
        store: Some(store.clone()),
        metrics: rpc_metrics.clone(),
    };
    let grpc = tokio::spawn(crate::grpc::serve(
        grpc_listener,
        served,
        verifier.clone(),
        shutdown.clone(),
    ));

    let endpoints = DomainEndpoints::from_flag(&format!("http://{grpc_addr}"))
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let gateway = super::gateway::start(
        log.clone(),
        endpoints,
        super::gateway::Access::from_flags(
            verifier,
            auth,
            data_dir,
            &args.gateway,
            Some(rpc_metrics),
        )?,
        args.http_addr,
        data_dir,
        args.gateway.replay,
        shutdown.clone(),
    )
    .await?;

    if args.demo {
        tracing::info!(
            grpc_addr = %grpc_addr,
            http_addr = %gateway.http_addr,
            "loading the demo dataset; /readyz is 503 until it is in place"
        );
        let progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let summary = demo::load_scaled(
            store.clone(),
            args.demo_seed,
            &args.demo_scale.scale(),
            progress,
        )
        .await
        .context("--demo: loading the demo dataset")?;
        tracing::info!(?summary, "demo dataset in place");
    }
    // Only now: in `dev --demo`, `/readyz` says 503 until the demo is loaded and folded.
    gateway.ready_when_caught_up(log.clone(), shutdown.clone());
    let head = log.head_position().await?;
    if !gateway.projection.wait_for(head, CATCH_UP).await {
        tracing::warn!(
            head,
            "the read models are still catching up; views may lag the log"
        );
    }
    tracing::info!(
        grpc_addr = %grpc_addr,
        http_addr = %gateway.http_addr,
        log = %format!("{log_name} (head {head})"),
        read_model_position = gateway.projection.position(),
        seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
        "difacto ready"
    );
    super::gateway::greet(gateway.http_addr, data_dir);

    let grpc_result = grpc.await.context("the gRPC server task failed")?;
    let gateway_result = gateway.stopped().await;
    // Whatever the servers did, what was acknowledged is flushed before exit (JetStream
    // acknowledged each append only once it was on disk).
    if let Some(sled) = sled {
        sled.close().await.context("closing the log")?;
        tracing::info!("log closed cleanly");
    }
    grpc_result?;
    gateway_result
}

/// The log `dev` runs on, with what it needs of it.
struct OpenedLog {
    log: Arc<dyn EventLog>,
    /// The clock the log stamps appends with, handed to the services.
    clock: Clock,
    /// The sled log to close (flush) at exit; JetStream needs no closing.
    sled: Option<SledLog>,
    /// How the ready line names the log.
    name: String,
}

/// The sled log in `dir` (its `log` folder), with what `dev` needs of it.
fn open_sled(dir: &std::path::Path) -> anyhow::Result<OpenedLog> {
    let sled = SledLog::open(&SledConfig::new(dir.join("log")))
        .with_context(|| format!("--data-dir: cannot open the log in {}", dir.display()))?;
    let clock = sled.clock().clone();
    Ok(OpenedLog {
        log: Arc::new(sled.clone()),
        clock,
        sled: Some(sled),
        name: format!("sled:{}", dir.display()),
    })
}
