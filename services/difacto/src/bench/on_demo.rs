//! What the gateway and web benchmarks share: the demo dataset loaded as `difacto dev
//! --demo` loads it (the log, the gateway folding it live, then the load), a keep-alive
//! HTTP client, and the measurement of one request repeated.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use auth::{Role, TokenIssuer, TokenVerifier};
use bytes::Bytes;
use eventlog::{EventLog, SledConfig, SledLog};
use gateway::services::DomainEndpoints;
use handlers::Store;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::commands::gateway::RunningGateway;

pub(super) const SECRET: &[u8] = b"difacto-bench-secret-difacto-bench";
/// The demo's default seed, as `difacto dev --demo` loads it.
pub(super) const SEED: u64 = 2026;
/// Requests before measuring each query (caches, connection, allocator).
pub(super) const WARM_UP: usize = 20;
/// Requests measured per query, unless [`ROW_BUDGET`] runs out first.
pub(super) const REQUESTS: usize = 400;
/// At least this many requests are measured per query, whatever the budget.
const MIN_REQUESTS: usize = 50;
/// Time spent measuring one query at most, so the bench stays within minutes.
pub(super) const ROW_BUDGET: Duration = Duration::from_secs(8);
/// How long the read models may take to fold the whole dataset.
pub(super) const CATCH_UP: Duration = Duration::from_secs(300);

/// What is asked of the gateway.
#[derive(Debug, Clone)]
pub(super) enum Ask {
    /// A GraphQL document, POSTed to `/graphql`.
    Graphql(Bytes),
    /// A page of the web app (or an asset), by GET.
    Page(String),
}

impl Ask {
    pub fn graphql(query: &str) -> Self {
        Self::Graphql(Bytes::from(json!({ "query": query }).to_string()))
    }
}

/// One keep-alive HTTP/1.1 connection to the gateway: requests go one after another, as
/// from a dashboard, so each latency is the server's and the loopback's only.
pub(super) struct Http {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Http {
    pub async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "bench HTTP connection closed");
            }
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends `ask` and returns the answer's bytes as sent (compressed when `gzip`),
    /// failing on any status but 200.
    pub async fn send(
        &mut self,
        token: Option<&str>,
        ask: &Ask,
        gzip: bool,
    ) -> anyhow::Result<Bytes> {
        self.sender.ready().await?;
        let (mut request, body) = match ask {
            Ask::Graphql(body) => (
                hyper::Request::post("/graphql")
                    .header(hyper::header::CONTENT_TYPE, "application/json"),
                body.clone(),
            ),
            Ask::Page(path) => (hyper::Request::get(path.as_str()), Bytes::new()),
        };
        request = request.header(hyper::header::HOST, &self.host);
        if gzip {
            request = request.header(hyper::header::ACCEPT_ENCODING, "gzip");
        }
        if let Some(token) = token {
            request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = self
            .sender
            .send_request(request.body(Full::new(body))?)
            .await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if status != hyper::StatusCode::OK {
            bail!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            );
        }
        Ok(bytes)
    }

    /// Runs `query` and returns its `data`, failing on any GraphQL error.
    pub async fn data(&mut self, token: Option<&str>, query: &str) -> anyhow::Result<Value> {
        let bytes = self.send(token, &Ask::graphql(query), false).await?;
        let answer: Value = serde_json::from_slice(&bytes)?;
        if let Some(errors) = answer.get("errors").filter(|e| !e.is_null()) {
            bail!("{query}\nanswered with errors: {errors}");
        }
        Ok(answer["data"].clone())
    }
}

/// What one query measured.
#[derive(Debug, Clone)]
pub(super) struct Latency {
    /// The size of the answer, to show the query did real work.
    pub bytes: usize,
    pub requests: u64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Sends `ask` [`WARM_UP`] times, then measures up to [`REQUESTS`] answers (at least
/// [`MIN_REQUESTS`], at most [`ROW_BUDGET`] of time). Every answer must be a 200. A page
/// is asked for as a browser asks, taking gzip (so its time includes the compression).
pub(super) async fn measure(
    http: &mut Http,
    token: Option<&str>,
    ask: &Ask,
) -> anyhow::Result<Latency> {
    let gzip = matches!(ask, Ask::Page(_));
    let bytes = http.send(token, ask, gzip).await?.len();
    for _ in 0..WARM_UP {
        http.send(token, ask, gzip).await?;
    }
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let started = Instant::now();
    while histogram.len() < REQUESTS as u64
        && (histogram.len() < MIN_REQUESTS as u64 || started.elapsed() < ROW_BUDGET)
    {
        let began = Instant::now();
        http.send(token, ask, gzip).await?;
        histogram.saturating_record(began.elapsed().as_micros() as u64);
    }
    Ok(Latency {
        bytes,
        requests: histogram.len(),
        p50: Duration::from_micros(histogram.value_at_quantile(0.50)),
        p99: Duration::from_micros(histogram.value_at_quantile(0.99)),
    })
}

pub(super) fn token(org: &str, role: Role) -> anyhow::Result<String> {
    Ok(TokenIssuer::hs256(SECRET, "difacto", "difacto").mint(
        &format!("bench-{}@{org}", role.as_str()),
        org,
        &[role],
        Duration::from_secs(3600),
    )?)
}

pub(super) fn open_log(dir: &std::path::Path) -> anyhow::Result<SledLog> {
    SledLog::open(&SledConfig::new(dir.join("log")))
        .with_context(|| format!("opening the log in {}", dir.display()))
}

/// Starts the gateway as `dev` does: read models from the checkpoint in `dir` (if any),
/// HTTP on a free loopback port. Mutations are not measured, so the services' address is
/// never dialled.
pub(super) async fn start_gateway(
    log: Arc<dyn EventLog>,
    dir: &std::path::Path,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningGateway> {
    let endpoints =
        DomainEndpoints::from_flag("http://127.0.0.1:9").map_err(|err| anyhow::anyhow!("{err}"))?;
    let verifier = Arc::new(TokenVerifier::hs256(SECRET, "difacto", "difacto"));
    crate::commands::gateway::start(
        log,
        endpoints,
        crate::commands::gateway::Access {
            verifier,
            web: gateway::web::WebConfig::default(),
            xapi: None,
            rpc_metrics: None,
        },
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        dir,
        false,
        shutdown,
    )
    .await
}

/// Which data the run used.
#[derive(Debug, Clone)]
pub(super) struct Dataset {
    pub name: String,
    pub load: Duration,
}

/// The demo loaded into a scratch directory and folded by a running gateway.
pub(super) struct Loaded {
    /// Kept so the directory outlives the run.
    pub _scratch: tempfile::TempDir,
    pub dir: std::path::PathBuf,
    pub sled: SledLog,
    pub log: Arc<dyn EventLog>,
    pub store: Arc<Store>,
    pub shutdown: CancellationToken,
    pub gateway: RunningGateway,
    pub dataset: Dataset,
    pub head: u64,
}

/// Loads the demo as `difacto dev --demo` does and waits for the read models.
pub(super) async fn load() -> anyhow::Result<Loaded> {
    let scratch = tempfile::tempdir_in(std::env::current_dir()?)
        .context("a scratch directory on the same disk")?;
    let dir = scratch.path().join("dev");
    std::fs::create_dir_all(&dir)?;

    let sled = open_log(&dir)?;
    let log: Arc<dyn EventLog> = Arc::new(sled.clone());
    let store = Arc::new(Store::new(log.clone()).with_clock(sled.clock().clone()));
    let shutdown = CancellationToken::new();
    let gateway = start_gateway(log.clone(), &dir, shutdown.clone()).await?;

    eprintln!("loading the demo dataset (seed {SEED})…");
    let started = Instant::now();
    let summary = demo::load(store.clone(), SEED, false)
        .await
        .context("loading the demo dataset")?;
    let dataset = Dataset {
        name: format!(
            "the demo dataset (`difacto dev --demo`, seed {SEED}: {} organisations, {} practices)",
            summary.organisations, summary.practices
        ),
        load: started.elapsed(),
    };
    let head = log.head_position().await?;
    let folded = Instant::now();
    if !gateway.projection.wait_for(head, CATCH_UP).await {
        bail!("the read models did not reach position {head} within {CATCH_UP:?}");
    }
    eprintln!(
        "{head} events in {:.1} s; the read models caught up {:.2} s after the load",
        dataset.load.as_secs_f64(),
        folded.elapsed().as_secs_f64()
    );
    Ok(Loaded {
        _scratch: scratch,
        dir,
        sled,
        log,
        store,
        shutdown,
        gateway,
        dataset,
        head,
    })
}

impl Loaded {
    /// Stops as `dev` does on SIGTERM (the gateway writes its checkpoint on the way out)
    /// and closes the log. The directory stays on disk, to be measured or reopened, until
    /// the returned scratch is dropped.
    pub async fn close(self) -> anyhow::Result<tempfile::TempDir> {
        self.shutdown.cancel();
        self.gateway.stopped().await?;
        drop(self.store);
        drop(self.log);
        self.sled.close().await?;
        Ok(self._scratch)
    }
}

pub(super) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Bytes in the largest unit that keeps a whole number in front.
pub(super) fn size(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", b / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", b / 1_048_576.0),
        _ => format!("{:.2} GiB", b / 1_073_741_824.0),
    }
}
