//! Assembles one gRPC server: the standard health service, server reflection, and the
//! difacto services behind the token check. Servers are functions of a listener, their
//! state and a shutdown token, so tests start them on port 0.

use std::sync::Arc;

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
    Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(log_service)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), draining)
        .await?;
    Ok(())
}
