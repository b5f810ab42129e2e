//! The gateway's HTTP server in-process, spoken to over raw loopback TCP: the body limit
//! holds before a body is read whole (with and without `Content-Length`), half-sent and
//! idle connections are closed after their bounds (DESIGN.md §8, shortened here), and
//! `/readyz` follows the readiness signal while `/healthz` stays 200.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth::{DEFAULT_AUDIENCE, DEFAULT_ISSUER, TokenVerifier};
use eventlog::EventLog;
use gateway::connection::Bounds;
use gateway::http::{Gateway, MAX_BODY, ServeConfig};
use gateway::projection::Projection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::world::{schema_on, sled_log};

/// Short bounds: 300 ms for a request head, 900 ms idle.
fn short() -> ServeConfig {
    ServeConfig {
        bounds: Bounds {
            request_head: Duration::from_millis(300),
            idle: Duration::from_millis(900),
        },
        drain: Duration::from_secs(1),
        ..ServeConfig::default()
    }
}

struct Running {
    addr: SocketAddr,
    ready: watch::Sender<bool>,
    shutdown: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start(config: ServeConfig) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let log: Arc<dyn EventLog> = Arc::new(sled_log(dir.path()));
    let projection = Arc::new(Projection::open(log, None).await);
    let schema = schema_on(projection.clone());
    let verifier = Arc::new(TokenVerifier::hs256(
        b"http-test-secret-0123456789abcdef",
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ));
    let (ready, readiness) = watch::channel(false);
    let gateway = Gateway::new(schema, verifier, projection)
        .with_readiness(readiness)
        .with_config(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(gateway.serve(listener, shutdown.clone()));
    Running {
        addr,
        ready,
        shutdown,
        server,
        _dir: dir,
    }
}

/// Reads one response head (to the blank line) and returns its status code.
async fn status(stream: &mut TcpStream) -> u16 {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(
            n == 1,
            "closed before a full response head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not a response head: {text}"))
}

/// A whole `GET /healthz`, the connection kept alive.
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

/// A fresh connection to `addr` that has sent `bytes`.
async fn sent(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("send");
    stream
}

/// One `GET path` on a fresh connection; the status code.
async fn get(addr: SocketAddr, path: &str) -> u16 {
    let head = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    status(&mut sent(addr, head.as_bytes()).await).await
}

/// How long until the server closes `stream` (reading and dropping whatever it sends), or
/// `None` if it is still open after 5 s.
async fn closed_within(stream: &mut TcpStream) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(started + Duration::from_secs(5), stream.read(&mut buf)).await
        {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Streams up to `total` bytes of body after `head`, 64 KiB at a time, until the server
/// answers; returns the status and how many body bytes had been sent by then.
async fn upload(addr: SocketAddr, head: String, total: usize, chunked: bool) -> (u16, usize) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let (sent_tx, sent_rx) = watch::channel(0usize);
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await.expect("head");
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            let wrote = if chunked {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                writer.write_all(&framed).await
            } else {
                writer.write_all(&chunk).await
            };
            if wrote.is_err() {
                break; // the server closed the connection after answering
            }
            sent += chunk.len();
            sent_tx.send_replace(sent);
            // About 64 MB/s: a server that reads the body whole answers only at the end,
            // one that refuses it answers within the first few chunks.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut first = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(60), reader.read_exact(&mut first))
        .await
        .expect("an answer before the upload ends")
        .expect("a status line");
    let sent = *sent_rx.borrow();
    sending.abort();
    let line = String::from_utf8_lossy(&first);
    let code = line[9..12]
        .parse()
        .unwrap_or_else(|_| panic!("not a status line: {line}"));
    (code, sent)
}

fn graphql_head(length: Option<usize>) -> String {
    let framing = match length {
        Some(length) => format!("Content-Length: {length}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_100_mb_body_is_refused_with_413_before_it_is_read() {
    let server = start(ServeConfig::default()).await;
    let total = 100 * 1024 * 1024;
    let (code, sent) = upload(server.addr, graphql_head(Some(total)), total, false).await;
    assert_eq!(code, 413);
    assert!(
        sent < 16 * 1024 * 1024,
        "413 only after {sent} bytes were sent"
    );
}

#[tokio::test]
async fn a_chunked_body_without_length_is_refused_once_over_the_limit() {
    let server = start(ServeConfig::default()).await;
    let total = 32 * 1024 * 1024;
    let (code, sent) = upload(server.addr, graphql_head(None), total, true).await;
    assert_eq!(code, 413);
    assert!(
        sent < 16 * 1024 * 1024,
        "413 only after {sent} bytes were sent"
    );
}

#[tokio::test]
async fn a_body_under_the_limit_is_served() {
    let server = start(ServeConfig::default()).await;
    let query = r#"{"query":"{ __typename }"}"#;
    // Padded with whitespace to just under the limit: JSON allows it, the limit too.
    let body = format!("{query}{}", " ".repeat(MAX_BODY - query.len() - 1));
    let head = graphql_head(Some(body.len()));
    let mut stream = sent(server.addr, head.as_bytes()).await;
    stream.write_all(body.as_bytes()).await.expect("body");
    assert_eq!(status(&mut stream).await, 200);
}

#[tokio::test]
async fn an_unreadable_body_is_refused_repeating_at_most_100_characters_of_it() {
    let server = start(ServeConfig::default()).await;
    // A variables field of the wrong type, 200,000 characters long: the JSON reader
    // quotes what it could not read.
    let body = format!(
        r#"{{"query":"{{ __typename }}","variables":"{}"}}"#,
        "9".repeat(200_000)
    );
    let head = format!(
        "{}\r\nConnection: close\r\n\r\n",
        graphql_head(Some(body.len())).trim_end()
    );
    let mut stream = sent(server.addr, head.as_bytes()).await;
    stream.write_all(body.as_bytes()).await.expect("body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("a JSON error");
    let message = json["errors"][0]["message"].as_str().expect("message");
    assert!(message.chars().count() <= 110, "{message}");
    assert!(answer.matches('9').count() < 120, "the body was echoed");
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_head_bound() {
    let server = start(short()).await;
    let mut stream = sent(
        server.addr,
        b"POST /graphql HTTP/1.1\r\nHost: t\r\nX-Slow: ",
    )
    .await;
    let closed = closed_within(&mut stream).await.expect("closed within 5 s");
    assert!(
        closed >= Duration::from_millis(200) && closed < Duration::from_secs(2),
        "closed after {closed:?}; the bound is 300 ms"
    );
}

#[tokio::test]
async fn a_slowloris_trickling_header_lines_is_closed_after_the_head_bound() {
    let server = start(short()).await;
    let mut stream = sent(server.addr, b"GET /healthz HTTP/1.1\r\nHost: t\r\n").await;
    let started = Instant::now();
    // One header line every 100 ms: each keeps the socket busy, none completes the head.
    let closed = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
            break started.elapsed();
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still open after 5 s"
        );
    };
    assert!(
        closed < Duration::from_secs(2),
        "closed after {closed:?}; the bound is 300 ms"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_bound() {
    let server = start(short()).await;
    let mut stream = sent(server.addr, HEALTHZ).await;
    assert_eq!(status(&mut stream).await, 200);
    // The idle bound (900 ms) applies, not the head bound (300 ms).
    let closed = closed_within(&mut stream).await.expect("closed within 5 s");
    assert!(
        closed >= Duration::from_millis(600) && closed < Duration::from_secs(3),
        "closed {closed:?} after its answer; the idle bound is 900 ms"
    );
}

#[tokio::test]
async fn readyz_follows_readiness_and_healthz_stays_200() {
    let server = start(ServeConfig::default()).await;
    assert_eq!(get(server.addr, "/healthz").await, 200);
    assert_eq!(get(server.addr, "/readyz").await, 503);
    server.ready.send_replace(true);
    assert_eq!(get(server.addr, "/readyz").await, 200);
    assert_eq!(get(server.addr, "/healthz").await, 200);
}

#[tokio::test]
async fn shutdown_stops_the_server_even_with_connections_open() {
    let server = start(ServeConfig::default()).await;
    let _idle = TcpStream::connect(server.addr).await.expect("connect");
    let mut busy = sent(server.addr, HEALTHZ).await;
    assert_eq!(status(&mut busy).await, 200);
    server.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), server.server)
        .await
        .expect("stops within the drain bound")
        .expect("task")
        .expect("served");
}
