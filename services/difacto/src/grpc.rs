//! Assembles one gRPC server: the standard health service, server reflection (v1 and
//! v1alpha), and the difacto services behind the token check. Servers are functions of a
//! listener, their state and a shutdown token, so tests start them on port 0.
//!
//! Every server holds DESIGN.md §8's bounds: messages over 4 MiB are refused by tonic
//! (the log API keeps its own documented 16 MiB, for appends of up to 8 MiB), metadata
//! over 16 KiB by [`CallBounds`], connections that send no call within 10 s or sit idle
//! for 60 s are closed ([`gateway::connection`]), and a peer that stops answering
//! HTTP/2 or TCP keep-alives is dropped. Every call is traced (continuing the caller's
//! trace) and counted by [`telemetry::grpc::ServerLayer`].

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use auth::{AuthInterceptor, Role, TokenVerifier};
use eventlog::EventLog;
use eventlog_grpc::EventLogGrpc;
use futures::future::BoxFuture;
use gateway::connection::{Bounded, BoundedConnectInfo, Bounds};
use handlers::{DomainService, Store};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use tonic::codegen::http;
use tonic::service::RoutesBuilder;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

/// The largest request metadata accepted (DESIGN.md §8), counted as HTTP/2 counts a
/// header list: name, value and 32 bytes per entry.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// What HTTP/2 itself lets through. It is above [`MAX_METADATA_BYTES`] so that metadata
/// between the two is refused by [`CallBounds`] with a status that says why (HTTP/2's own
/// refusal is a 431, which clients report as `UNKNOWN`), and bounded because HTTP/2
/// buffers a header block whole before it can refuse it.
const TRANSPORT_HEADER_LIST_BYTES: u32 = 256 * 1024;

/// How a gRPC server bounds its connections and how it stops. The defaults are DESIGN.md
/// §8's; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrpcConfig {
    /// A first call within 10 s of connecting (a connection that sends only the HTTP/2
    /// preface, or nothing, is closed), and closed after 60 s without a call in flight.
    pub bounds: Bounds,
    /// HTTP/2 pings this often, on idle connections and during long streams; a peer
    /// that does not answer within `keepalive_timeout` is dropped.
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// TCP keep-alive probes after this much silence, for peers that vanished without a
    /// word (the HTTP/2 pings cover live connections).
    pub tcp_keepalive: Duration,
    /// How long a stopping server waits for in-flight calls.
    pub drain: Duration,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            bounds: Bounds::default(),
            keepalive_interval: Duration::from_secs(20),
            keepalive_timeout: Duration::from_secs(10),
            tcp_keepalive: Duration::from_secs(60),
            drain: DRAIN_TIMEOUT,
        }
    }
}

/// What one server process serves.
#[derive(Default)]
pub struct Served {
    /// The log's own API (`EventLogService`), for other processes.
    pub log_api: Option<Arc<dyn EventLog>>,
    /// Domain services, recording through `store`.
    pub domain: Vec<DomainService>,
    pub store: Option<Arc<Store>>,
    /// Every call's count and latency (served on `/metrics` by `serve`'s listener).
    pub metrics: Arc<telemetry::metrics::RpcMetrics>,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served")
            .field("services", &self.names())
            .finish()
    }
}

impl Served {
    /// The gRPC names of everything served, for health and for the ready line.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .log_api
            .iter()
            .map(|_| "difacto.v1.EventLogService")
            .collect();
        names.extend(self.domain.iter().map(|service| service.grpc_name()));
        names
    }
}

/// Serves `EventLogService` alone (callers need the `service` role).
pub async fn serve_log(
    listener: TcpListener,
    log: Arc<dyn EventLog>,
    verifier: Arc<TokenVerifier>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve(
        listener,
        Served {
            log_api: Some(log),
            ..Served::default()
        },
        verifier,
        shutdown,
    )
    .await
}

/// Serves `served`, health and reflection on `listener` until `shutdown` is cancelled,
/// then drains in-flight calls (for at most [`DRAIN_TIMEOUT`]), with the default bounds.
pub async fn serve(
    listener: TcpListener,
    served: Served,
    verifier: Arc<TokenVerifier>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with(listener, served, verifier, GrpcConfig::default(), shutdown).await
}

/// [`serve`] with the bounds in `config`.
pub async fn serve_with(
    listener: TcpListener,
    served: Served,
    verifier: Arc<TokenVerifier>,
    config: GrpcConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let names = served.names();
    let served_names = names.clone();
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in &names {
        health
            .set_service_status(*name, tonic_health::ServingStatus::Serving)
            .await;
    }
    // Both reflection protocols: many clients (grpcio-reflection, older grpcurl,
    // Postman) still speak only v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let mut routes = RoutesBuilder::default();
    routes.add_service(health_service);
    routes.add_service(reflection().build_v1()?);
    routes.add_service(reflection().build_v1alpha()?);
    if let Some(log) = served.log_api {
        routes.add_service(InterceptedService::new(
            EventLogGrpc::new(log, shutdown.clone()).into_server(),
            AuthInterceptor::new(verifier.clone()).requiring(Role::Service),
        ));
    }
    if let Some(store) = served.store {
        handlers::add_routes(&mut routes, &served.domain, store, verifier);
    }
    let draining = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            for name in names {
                health
                    .set_service_status(name, tonic_health::ServingStatus::NotServing)
                    .await;
            }
        }
    };
    let server = Server::builder()
        .http2_keepalive_interval(Some(config.keepalive_interval))
        .http2_keepalive_timeout(Some(config.keepalive_timeout))
        .http2_max_header_list_size(TRANSPORT_HEADER_LIST_BYTES)
        .layer(CallBounds)
        .layer(telemetry::grpc::ServerLayer::new(
            served.metrics,
            &served_names,
        ))
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming(listener, &config), draining);
    drain_within(server, &shutdown, config.drain).await
}

/// Accepted connections with Nagle's algorithm off (gRPC messages here are small, and
/// waiting to coalesce them adds up to a delayed-ACK period to a call's latency), TCP
/// keep-alive on, and each socket [`Bounded`] by `config.bounds`.
pub fn incoming(
    listener: TcpListener,
    config: &GrpcConfig,
) -> impl tokio_stream::Stream<Item = std::io::Result<Bounded<tokio::net::TcpStream>>> {
    use tokio_stream::StreamExt;
    let bounds = config.bounds;
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(config.tcp_keepalive))
        .map(move |accepted| Ok(Bounded::new(accepted?, bounds)))
}

/// In front of every service: refuses metadata over [`MAX_METADATA_BYTES`] before any
/// service sees it, and marks each call busy in its connection's activity until its
/// answer has been sent, so that a connection with a call in flight (a subscription, a
/// slow append) is never closed as idle.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallBounds;

impl<S> tower::Layer<S> for CallBounds {
    type Service = CallBounded<S>;

    fn layer(&self, inner: S) -> CallBounded<S> {
        CallBounded { inner }
    }
}

/// The service [`CallBounds`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct CallBounded<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for CallBounded<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        if let Err(status) = metadata_within_bound(request.headers()) {
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }
        let connection = request.extensions().get::<BoundedConnectInfo>().cloned();
        let busy = connection.map(|info| {
            // Where `Request::remote_addr` looks for the peer.
            request.extensions_mut().insert(info.tcp);
            info.activity.request(true)
        });
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(match busy {
                Some(busy) => response.map(|body| tonic::body::Body::new(busy.held_by(body))),
                None => response,
            })
        })
    }
}

/// `RESOURCE_EXHAUSTED` for metadata over [`MAX_METADATA_BYTES`]; `UNAUTHENTICATED` when
/// the `authorization` header alone makes it so, since a token that large cannot be one
/// (DESIGN.md §6, as on every surface). Never echoes the metadata.
fn metadata_within_bound(headers: &http::HeaderMap) -> Result<(), Status> {
    let entry =
        |name: &http::HeaderName, value: &http::HeaderValue| name.as_str().len() + value.len() + 32;
    let (mut total, mut authorization) = (0, 0);
    for (name, value) in headers {
        total += entry(name, value);
        if name == http::header::AUTHORIZATION {
            authorization += entry(name, value);
        }
    }
    if total <= MAX_METADATA_BYTES {
        return Ok(());
    }
    if total - authorization <= MAX_METADATA_BYTES {
        return Err(Status::unauthenticated(format!(
            "invalid token: the authorization header is larger than {MAX_METADATA_BYTES} bytes"
        )));
    }
    Err(Status::resource_exhausted(format!(
        "request metadata is larger than {MAX_METADATA_BYTES} bytes"
    )))
}

/// How long a stopping server waits for in-flight calls before it drops the connections
/// that remain (a subscriber that stopped reading would otherwise hold it forever).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `server` until it ends, but no longer than `limit` after `shutdown` is cancelled.
/// Acknowledged appends are unaffected: each was flushed before it was acknowledged.
pub async fn drain_within(
    server: impl Future<Output = Result<(), tonic::transport::Error>>,
    shutdown: &CancellationToken,
    limit: Duration,
) -> anyhow::Result<()> {
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(limit).await;
    };
    tokio::select! {
        served = server => Ok(served?),
        () = deadline => {
            tracing::warn!(seconds = limit.as_secs(), "connections still open after the drain deadline; dropping them");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
