//! The remote client, through a real gRPC server on loopback over a sled log, against the
//! shared conformance suite: the same contract holds across the wire.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use auth::{AuthInterceptor, BearerToken, Role, TokenIssuer, TokenVerifier};
use eventlog::conformance::{Harness, ScratchSled};
use eventlog_grpc::{EventLogGrpc, RemoteLog};
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;

const SECRET: &[u8] = b"conformance-secret-conformance-secret";

struct RemoteHarness {
    log: Arc<RemoteLog>,
    shutdown: CancellationToken,
    _sled: ScratchSled,
}

impl Drop for RemoteHarness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[async_trait]
impl Harness for RemoteHarness {
    type Log = RemoteLog;
    async fn start() -> Self {
        let sled = ScratchSled::open();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let verifier = Arc::new(TokenVerifier::hs256(SECRET, "difacto", "difacto"));
        let service = InterceptedService::new(
            EventLogGrpc::new(sled.log.clone(), shutdown.clone()).into_server(),
            AuthInterceptor::new(verifier).requiring(Role::Service),
        );
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    stop.cancelled_owned(),
                )
                .await
        });
        let token = TokenIssuer::hs256(SECRET, "difacto", "difacto")
            .mint(
                "conformance",
                "X24",
                &[Role::Service],
                Duration::from_secs(600),
            )
            .expect("token");
        let log = RemoteLog::connect_lazy(&url, BearerToken::new(token).expect("bearer"))
            .expect("client");
        Self {
            log: Arc::new(log),
            shutdown,
            _sled: sled,
        }
    }
    fn log(&self) -> Arc<RemoteLog> {
        self.log.clone()
    }
}

eventlog::conformance_suite!(RemoteHarness);
