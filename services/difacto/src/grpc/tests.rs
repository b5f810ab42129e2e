//! The drain deadline, and DESIGN.md §8's bounds over loopback.

use http_body_util::BodyExt;

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

/// The bounds of DESIGN.md §8 over loopback, against a server with every service.
mod bounds {
    use std::net::SocketAddr;

    use auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenIssuer};
    use bytes::{Buf, BufMut};
    use eventlog::{SledConfig, SledLog};
    use proto::v1 as pb;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tonic::Code;
    use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
    use tonic::metadata::MetadataValue;
    use tonic::transport::{Channel, Endpoint};

    use super::*;

    const SECRET: &[u8] = b"grpc-bounds-test-secret-0123456789";
    const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    /// A server on port 0 with short bounds (300 ms for a first call, 900 ms idle).
    struct TestServer {
        addr: SocketAddr,
        shutdown: CancellationToken,
        _dir: tempfile::TempDir,
    }

    impl Drop for TestServer {
        fn drop(&mut self) {
            self.shutdown.cancel();
        }
    }

    fn short() -> GrpcConfig {
        GrpcConfig {
            bounds: Bounds {
                request_head: Duration::from_millis(300),
                idle: Duration::from_millis(900),
            },
            keepalive_interval: Duration::from_secs(20),
            keepalive_timeout: Duration::from_secs(10),
            tcp_keepalive: Duration::from_secs(60),
            drain: Duration::from_secs(1),
        }
    }

    async fn start(config: GrpcConfig) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = SledLog::open(&SledConfig::new(dir.path().join("log"))).expect("log");
        let log: Arc<dyn EventLog> = Arc::new(log);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let served = Served {
            log_api: Some(log.clone()),
            domain: DomainService::ALL.to_vec(),
            store: Some(Arc::new(Store::new(log))),
            ..Served::default()
        };
        let verifier = Arc::new(TokenVerifier::hs256(
            SECRET,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        ));
        let shutdown = CancellationToken::new();
        tokio::spawn(serve_with(
            listener,
            served,
            verifier,
            config,
            shutdown.clone(),
        ));
        TestServer {
            addr,
            shutdown,
            _dir: dir,
        }
    }

    fn token(org: &str, role: Role) -> String {
        TokenIssuer::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
            .mint("tester", org, &[role], Duration::from_secs(600))
            .expect("mint")
    }

    async fn channel(addr: SocketAddr) -> Channel {
        Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect")
    }

    /// How long until the server closes `stream`, at most 5 s.
    async fn closed_within(mut stream: tokio::net::TcpStream) -> Option<Duration> {
        let started = tokio::time::Instant::now();
        let mut buf = [0u8; 256];
        let deadline = started + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                Err(_) => return None,
                Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
                Ok(Ok(_)) => {} // the server's SETTINGS, a GOAWAY: read on to the close
            }
        }
    }

    #[tokio::test]
    async fn connections_that_never_call_are_closed_after_the_first_call_bound() {
        let server = start(short()).await;
        let silent = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        let mut preface = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        preface.write_all(H2_PREFACE).await.expect("preface");
        let (silent, preface) = tokio::join!(closed_within(silent), closed_within(preface));
        for (what, closed) in [("silent", silent), ("preface only", preface)] {
            let after = closed.unwrap_or_else(|| panic!("{what}: still open after 5 s"));
            assert!(
                after >= Duration::from_millis(200) && after < Duration::from_secs(2),
                "{what}: closed after {after:?}; the bound is 300 ms"
            );
        }
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_but_a_streaming_call_is_not_cut() {
        let server = start(short()).await;
        let service = token("X24", Role::Service);
        let mut subscriber =
            pb::event_log_service_client::EventLogServiceClient::new(channel(server.addr).await);
        let mut request = tonic::Request::new(pb::SubscribeRequest { after_position: 0 });
        request.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {service}")).expect("ascii"),
        );
        let mut events = subscriber
            .subscribe(request)
            .await
            .expect("subscribe")
            .into_inner();
        // Three idle bounds pass while the subscription waits: it must survive them.
        tokio::time::sleep(Duration::from_millis(2700)).await;
        let mut writer =
            pb::event_log_service_client::EventLogServiceClient::new(channel(server.addr).await);
        let mut append = tonic::Request::new(pb::AppendRequest {
            stream: "bounds-test".into(),
            expected: Some(pb::ExpectedVersion {
                kind: pb::expected_version::Kind::Any.into(),
                version: 0,
            }),
            events: vec![pb::EventData {
                event_id: uuid::Uuid::new_v4().to_string(),
                event_type: "test.Event".into(),
                payload: bytes::Bytes::from_static(b"x"),
                metadata: Default::default(),
            }],
        });
        append.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {service}")).expect("ascii"),
        );
        writer.append(append).await.expect("append");
        let event = tokio::time::timeout(Duration::from_secs(5), events.message())
            .await
            .expect("the subscription delivers")
            .expect("not an error")
            .expect("an event");
        assert_eq!(event.stream, "bounds-test");

        // A connection that made a call and then sits idle is closed after the bound.
        let stream = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .expect("HTTP/2 handshake");
        let connection = tokio::spawn(connection);
        let check = http::Request::post("/grpc.health.v1.Health/Check")
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(http_body_util::Full::new(bytes::Bytes::from_static(&[
                0, 0, 0, 0, 0,
            ])))
            .expect("request");
        let answer = sender.send_request(check).await.expect("health check");
        assert_eq!(answer.status(), http::StatusCode::OK);
        answer
            .into_body()
            .collect()
            .await
            .expect("the whole answer");
        let answered = tokio::time::Instant::now();
        let _ended = tokio::time::timeout(Duration::from_secs(5), connection)
            .await
            .expect("the idle connection is closed")
            .expect("connection task");
        let after = answered.elapsed();
        assert!(
            after >= Duration::from_millis(600) && after < Duration::from_secs(3),
            "closed {after:?} after its last call; the idle bound is 900 ms"
        );
    }

    /// Sends `bytes` as the request message of `path`, whatever they are.
    #[derive(Debug, Clone, Copy, Default)]
    struct RawCodec;

    impl Codec for RawCodec {
        type Encode = Vec<u8>;
        type Decode = Vec<u8>;
        type Encoder = RawCodec;
        type Decoder = RawCodec;

        fn encoder(&mut self) -> RawCodec {
            RawCodec
        }

        fn decoder(&mut self) -> RawCodec {
            RawCodec
        }
    }

    impl Encoder for RawCodec {
        type Item = Vec<u8>;
        type Error = Status;

        fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
            buf.put_slice(&item);
            Ok(())
        }
    }

    impl Decoder for RawCodec {
        type Item = Vec<u8>;
        type Error = Status;

        fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
            Ok(Some(buf.copy_to_bytes(buf.remaining()).to_vec()))
        }
    }

    async fn raw_call(
        channel: Channel,
        path: &'static str,
        metadata: &[(&'static str, String)],
        bytes: Vec<u8>,
    ) -> Result<Vec<u8>, Status> {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let mut request = tonic::Request::new(bytes);
        for (name, value) in metadata {
            request.metadata_mut().insert(
                *name,
                MetadataValue::try_from(value.as_str()).expect("ascii"),
            );
        }
        grpc.unary(
            request,
            http::uri::PathAndQuery::from_static(path),
            RawCodec,
        )
        .await
        .map(tonic::Response::into_inner)
    }

    #[tokio::test]
    async fn undecodable_requests_are_invalid_argument_naming_the_field() {
        let server = start(GrpcConfig::default()).await;
        let channel = channel(server.addr).await;
        let service = (
            "authorization",
            format!("Bearer {}", token("X24", Role::Service)),
        );
        let manager = (
            "authorization",
            format!("Bearer {}", token("A81001", Role::PracticeManager)),
        );
        let cases = [
            (
                "invalid UTF-8 in AppendRequest.stream",
                "/difacto.v1.EventLogService/Append",
                service.clone(),
                vec![0x0a, 0x02, 0xff, 0xfe],
                "AppendRequest.stream",
            ),
            (
                "truncated AppendRequest.stream",
                "/difacto.v1.EventLogService/Append",
                service,
                vec![0x0a, 100, b'x'],
                "AppendRequest.stream",
            ),
            (
                "invalid UTF-8 in RecordFacilitationRequest.practice_code",
                "/difacto.v1.PracticeService/RecordFacilitation",
                manager,
                vec![0x12, 0x02, 0xc3, 0x28],
                "RecordFacilitationRequest.practice_code",
            ),
        ];
        for (what, path, auth, bytes, field) in cases {
            let status = raw_call(channel.clone(), path, &[auth], bytes)
                .await
                .expect_err(what);
            assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
            assert!(
                status.message().contains(field),
                "{what}: {}",
                status.message()
            );
            let named = status
                .metadata()
                .get("difacto-field")
                .and_then(|v| v.to_str().ok());
            assert_eq!(named, field.split('.').next_back(), "{what}");
        }
    }

    #[tokio::test]
    async fn oversized_metadata_and_messages_are_refused_with_a_status_that_says_why() {
        let server = start(GrpcConfig::default()).await;
        let channel = channel(server.addr).await;
        let health = "/grpc.health.v1.Health/Check";
        let append = "/difacto.v1.EventLogService/Append";
        let empty = Vec::new();

        // A control: ordinary metadata passes.
        let fine = raw_call(channel.clone(), health, &[], empty.clone()).await;
        assert!(fine.is_ok(), "{fine:?}");

        // Tokens too large to be tokens: UNAUTHENTICATED, wherever they are sent.
        for size in [17 * 1024, 100 * 1024] {
            for path in [health, append] {
                let auth = ("authorization", format!("Bearer {}", "a".repeat(size)));
                let status = raw_call(channel.clone(), path, &[auth], empty.clone())
                    .await
                    .expect_err("refused");
                assert_eq!(
                    status.code(),
                    Code::Unauthenticated,
                    "{size} at {path}: {status:?}"
                );
                assert!(status.message().len() < 200, "{}", status.message());
            }
        }

        // Other metadata over 16 KiB: RESOURCE_EXHAUSTED, even with a good token.
        let padding = ("x-padding", "p".repeat(20 * 1024));
        let service = (
            "authorization",
            format!("Bearer {}", token("X24", Role::Service)),
        );
        let status = raw_call(channel.clone(), append, &[service, padding], empty.clone())
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

        // A message over 4 MiB to a domain service.
        let mut practice = pb::practice_service_client::PracticeServiceClient::new(channel.clone());
        let mut request = tonic::Request::new(pb::RecordFacilitationRequest {
            request_id: "r".repeat(5 * 1024 * 1024),
            ..Default::default()
        });
        request.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {}", token("A81001", Role::PracticeManager)))
                .expect("ascii"),
        );
        let status = practice
            .record_facilitation(request)
            .await
            .expect_err("refused");
        // tonic says OUT_OF_RANGE where other gRPC stacks say RESOURCE_EXHAUSTED.
        assert!(
            matches!(status.code(), Code::OutOfRange | Code::ResourceExhausted),
            "{status:?}"
        );
        assert!(status.message().contains("too large"), "{status:?}");
    }

    #[tokio::test]
    async fn reflection_answers_v1alpha_clients_too() {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

        let server = start(GrpcConfig::default()).await;
        let mut client = ServerReflectionClient::new(channel(server.addr).await);
        let ask = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = client
            .server_reflection_info(tokio_stream::iter([ask]))
            .await
            .expect("v1alpha reflection is served")
            .into_inner();
        let answer = answers
            .message()
            .await
            .expect("an answer")
            .expect("not empty");
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("not a service list: {answer:?}");
        };
        let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
        for expected in [
            "difacto.v1.EventLogService",
            "difacto.v1.PracticeService",
            "grpc.health.v1.Health",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
    }
}
