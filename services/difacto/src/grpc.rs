//! Assembles one gRPC server: the standard health service, server reflection, and the
//! difacto services behind the token check. Servers are functions of a listener, their
//! state and a shutdown token, so tests start them on port 0.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use difacto_auth::{AuthInterceptor, Role, TokenVerifier};
use difacto_log::EventLog;
use difacto_log_grpc::EventLogGrpc;
use difacto_services::{DomainService, Store};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::RoutesBuilder;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;

/// What one server process serves.
#[derive(Default)]
pub struct Served {
    /// The log's own API (`EventLogService`), for other processes.
    pub log_api: Option<Arc<dyn EventLog>>,
    /// Domain services, recording through `store`.
    pub domain: Vec<DomainService>,
    pub store: Option<Arc<Store>>,
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
/// then drains in-flight calls (for at most [`DRAIN_TIMEOUT`]).
pub async fn serve(
    listener: TcpListener,
    served: Served,
    verifier: Arc<TokenVerifier>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let names = served.names();
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in &names {
        health
            .set_service_status(*name, tonic_health::ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(difacto_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let mut routes = RoutesBuilder::default();
    routes.add_service(health_service);
    routes.add_service(reflection);
    if let Some(log) = served.log_api {
        routes.add_service(InterceptedService::new(
            EventLogGrpc::new(log, shutdown.clone()).into_server(),
            AuthInterceptor::new(verifier.clone()).requiring(Role::Service),
        ));
    }
    if let Some(store) = served.store {
        difacto_services::add_routes(&mut routes, &served.domain, store, verifier);
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
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming(listener), draining);
    drain_within(server, &shutdown, DRAIN_TIMEOUT).await
}

/// Accepted connections with Nagle's algorithm off: gRPC messages here are small, and
/// waiting to coalesce them adds up to a delayed-ACK period to a call's latency.
pub fn incoming(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|accepted| {
        let stream = accepted?;
        stream.set_nodelay(true)?;
        Ok(stream)
    })
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
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_never_drains_is_stopped_at_the_deadline() {
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let stuck = std::future::pending::<Result<(), tonic::transport::Error>>();
        let started = std::time::Instant::now();
        drain_within(stuck, &shutdown, Duration::from_millis(50))
            .await
            .expect("stops");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_server_is_not_stopped_before_shutdown() {
        let shutdown = CancellationToken::new();
        let finishes = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok::<(), tonic::transport::Error>(())
        };
        // No cancellation: the server's own end decides, however long the limit.
        drain_within(finishes, &shutdown, Duration::from_millis(1))
            .await
            .expect("served");
    }
}
