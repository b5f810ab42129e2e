//! Assembles one gRPC server: the standard health service, server reflection, and the
//! difacto services behind the token check. Servers are functions of a listener, their
//! state and a shutdown token, so tests start them on port 0.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use difacto_auth::{AuthInterceptor, Role, TokenVerifier};
use difacto_log::EventLog;
use difacto_log_grpc::EventLogGrpc;
use difacto_proto::v1::event_log_service_server::EventLogServiceServer;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;

/// Serves `EventLogService` (callers need the `service` role), health and reflection on
/// `listener` until `shutdown` is cancelled, then drains in-flight calls.
pub async fn serve_log(
    listener: TcpListener,
    log: Arc<dyn EventLog>,
    verifier: Arc<TokenVerifier>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<EventLogServiceServer<EventLogGrpc>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(difacto_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let log_service = InterceptedService::new(
        EventLogGrpc::new(log, shutdown.clone()).into_server(),
        AuthInterceptor::new(verifier).requiring(Role::Service),
    );
    let draining = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            health
                .set_not_serving::<EventLogServiceServer<EventLogGrpc>>()
                .await;
        }
    };
    let server = Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(log_service)
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
