//! The gateway on axum: `/graphql` (POST and GET), `/graphql/ws` (graphql-transport-ws,
//! the token in `connection_init`), `/healthz`, `/readyz`, `/metrics`, and the web app
//! (`crate::web`: its pages, GraphiQL, the files they load); served by hyper with the connection bounds of DESIGN.md §8
//! ([`crate::connection`]) and a request body limit enforced before the body is read
//! whole.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse};
use auth::TokenVerifier;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::Instrument;

use crate::caller::Authentication;
use crate::connection::{Bounded, Bounds};
use crate::metrics::{Metrics, Outcome};
use crate::projection::Projection;
use crate::schema::DifactoSchema;
use crate::schema::cost::BoundedRejection;
use crate::web::WebConfig;

/// The largest request body accepted (DESIGN.md §8): far above any real query.
pub const MAX_BODY: usize = 256 * 1024;

/// How the gateway bounds its connections and how it stops. The defaults are DESIGN.md
/// §8's; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeConfig {
    /// Request heads within 10 s, idle keep-alive connections closed after 60 s.
    pub bounds: Bounds,
    /// HTTP/2 pings this often; a peer that does not answer within
    /// `keepalive_timeout` is dropped (a vanished client holds nothing).
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// How long a stopping gateway lets requests in flight finish before it drops them.
    pub drain: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bounds: Bounds::default(),
            keepalive_interval: Duration::from_secs(20),
            keepalive_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct Gateway {
    pub schema: DifactoSchema,
    pub verifier: Arc<TokenVerifier>,
    pub projection: Arc<Projection>,
    pub metrics: Arc<Metrics>,
    /// True once the read models have caught up with the log head seen at start (and,
    /// in `dev --demo`, the demo is loaded): what `/readyz` reports.
    pub ready: watch::Receiver<bool>,
    pub config: ServeConfig,
    /// How the web app signs people in and seals its session cookie.
    pub web: Arc<WebConfig>,
    /// `/xapi/statements`: the activities it records and the platforms it trusts; without
    /// it the endpoint answers 404.
    pub xapi: Option<Arc<crate::xapi::Xapi>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

impl Gateway {
    pub fn new(
        schema: DifactoSchema,
        verifier: Arc<TokenVerifier>,
        projection: Arc<Projection>,
    ) -> Self {
        let metrics = Arc::new(Metrics::new(projection.clone()));
        // Ready unless told otherwise: whoever starts the gateway and knows what it is
        // waiting for passes a signal with `with_readiness`.
        let (_, ready) = watch::channel(true);
        Self {
            schema,
            verifier,
            projection,
            metrics,
            ready,
            config: ServeConfig::default(),
            web: Arc::new(WebConfig::default()),
            xapi: None,
        }
    }

    /// `/readyz` answers 503 until `ready` holds true.
    pub fn with_readiness(mut self, ready: watch::Receiver<bool>) -> Self {
        self.ready = ready;
        self
    }

    pub fn with_config(mut self, config: ServeConfig) -> Self {
        self.config = config;
        self
    }

    /// Without it nobody can sign in to the web app (bearer tokens still work).
    pub fn with_web(mut self, web: WebConfig) -> Self {
        self.web = Arc::new(web);
        self
    }

    /// Reports the per-RPC metrics of a gRPC server in the same process on `/metrics`.
    pub fn with_rpc_metrics(mut self, calls: Arc<telemetry::metrics::RpcMetrics>) -> Self {
        self.metrics = Arc::new(Metrics::new(self.projection.clone()).with_calls(calls));
        self
    }

    /// Serves `/xapi/statements` with these settings.
    pub fn with_xapi(mut self, xapi: crate::xapi::Xapi) -> Self {
        self.xapi = Some(Arc::new(xapi));
        self
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/graphiql", get(crate::web::graphiql::page))
            .merge(crate::web::assets::routes())
            .route("/graphql", get(graphql).post(graphql))
            .route("/graphql/ws", get(websocket))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .route(
                "/xapi/statements",
                axum::routing::post(crate::xapi::post).put(crate::xapi::put),
            )
            .merge(crate::web::routes(&self))
            // axum's own limit binds only axum's extractors; async-graphql-axum reads
            // the body itself, so the limit is also enforced in front of every handler.
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(axum::middleware::from_fn(limit_body))
            .with_state(self)
    }

    /// Serves until `shutdown`, then lets requests in flight finish (for at most
    /// `config.drain`). Each connection is bounded by `config.bounds`.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let config = self.config;
        serve_router(listener, self.router(), config, shutdown).await
    }
}

/// The accept loop (also serving the services' `/metrics` listener). axum::serve cannot
/// bound connections, so each one is served by
/// hyper directly, its socket wrapped in [`Bounded`] and its requests marked in and out
/// of the connection's activity.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // No timer for HTTP/1: with one, hyper's header timeout (30 s by default) would also
    // run while a keep-alive connection is idle. `Bounded` times both.
    builder.http1().keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(config.keepalive_interval)
        .keep_alive_timeout(config.keepalive_timeout);
    let builder = Arc::new(builder);
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors, most likely: wait for connections to close
                // rather than spin on the listener.
                tracing::warn!(error = %err, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Small requests and answers: waiting to coalesce them only adds latency.
        let _ = stream.set_nodelay(true);
        let io = Bounded::new(stream, config.bounds);
        let activity = io.activity().clone();
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
            let busy = activity.request(request.version() == Version::HTTP_2);
            let activity = activity.clone();
            let router = router.clone();
            async move {
                let Ok(response) = router.oneshot(request.map(Body::new)).await;
                if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                    activity.upgraded();
                }
                Ok::<_, Infallible>(response.map(|body| Body::new(busy.held_by(body))))
            }
        });
        let builder = builder.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
            tokio::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = served {
                tracing::debug!(error = %err, "connection ended");
            }
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(config.drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            seconds = config.drain.as_secs(),
            "gateway connections still open after the drain deadline; dropping them"
        );
        connections.abort_all();
    }
    Ok(())
}

/// Refuses a body over [`MAX_BODY`] with 413: at once when its `Content-Length` says
/// so, else as soon as more than that has arrived. What is accepted is at most
/// `MAX_BODY` bytes held once, so no handler can be made to read more.
async fn limit_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return body_too_large();
    }
    let (parts, body) = request.into_parts();
    match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Err(err) if err.is::<http_body_util::LengthLimitError>() => body_too_large(),
        Err(err) => {
            tracing::debug!(error = %err, "reading a request body failed");
            (
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
                .into_response()
        }
    }
}

fn body_too_large() -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        Json(serde_json::json!({
            "errors": [{
                "message": format!("the request body is larger than {MAX_BODY} bytes"),
                "extensions": { "code": "PAYLOAD_TOO_LARGE" },
            }],
        })),
    )
        .into_response()
}

fn authentication(headers: &HeaderMap, verifier: &TokenVerifier) -> Authentication {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    Authentication::from_header(header, verifier)
}

async fn graphql(
    State(gw): State<Gateway>,
    method: Method,
    headers: HeaderMap,
    // The library's own rejection quotes an unreadable body whole; this one repeats at
    // most 100 characters of it (DESIGN.md §8).
    request: GraphQLRequest<BoundedRejection>,
) -> GraphQLResponse {
    let started = Instant::now();
    let auth = crate::web::session::api_caller(&method, &headers, &gw);
    // One span per request, continuing the client's trace when it sent one; the
    // mutations' calls to the services carry it on.
    let span = tracing::info_span!("graphql", otel.name = "graphql", otel.kind = "server");
    telemetry::propagation::continue_from(&span, &headers);
    let response = gw
        .schema
        .execute(request.into_inner().data(auth))
        .instrument(span)
        .await;
    gw.metrics.latency.observe(started.elapsed().as_secs_f64());
    let outcome = if response.is_ok() { "ok" } else { "error" };
    gw.metrics
        .requests
        .get_or_create(&Outcome { outcome })
        .inc();
    response.into()
}

async fn websocket(
    State(gw): State<Gateway>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // A page of the web app opens the socket with its session, never a token in script.
    let from_header = match authentication(&headers, &gw.verifier) {
        Authentication::Missing => crate::web::session::websocket_caller(&headers, &gw),
        other => other,
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            crate::subscription::serve_websocket(
                socket,
                gw.schema,
                protocol,
                gw.verifier,
                from_header,
            )
        })
}

async fn healthz(State(gw): State<Gateway>) -> impl IntoResponse {
    (
        StatusCode::OK,
        Json(serde_json::json!({
            "status": "ok",
            "readModelPosition": gw.projection.position(),
        })),
    )
}

/// Readiness (DESIGN.md §8): 503 until the read models have caught up with the log head
/// seen at start (and the demo is loaded, in `dev --demo`), 200 after.
async fn readyz(State(gw): State<Gateway>) -> impl IntoResponse {
    let ready = *gw.ready.borrow();
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting")
    };
    (
        status,
        Json(serde_json::json!({
            "status": word,
            "readModelPosition": gw.projection.position(),
        })),
    )
}

async fn metrics(State(gw): State<Gateway>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        gw.metrics.render(),
    )
}

/// Binds the gateway's HTTP address, naming the setting when it cannot.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("--http-addr: cannot listen on {addr}: {err}"))
}
