//! Helpers of the end-to-end tests that reach the gateway (`gateway.rs`, `transport.rs`,
//! the attack suite): start `difacto dev`, speak GraphQL to it over HTTP (hyper, one
//! connection per request; `http_exchange` returns failures, `http` panics on them) and
//! over graphql-transport-ws.

use std::path::Path;
use std::time::{Duration, Instant};

use auth::Role;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::http::response::Parts;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::Server;

/// How long one HTTP exchange may take before the test fails rather than hangs.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// One running `difacto dev`: the gRPC services and the gateway in one process.
#[derive(Debug)]
pub struct Dev {
    pub server: Server,
    /// `127.0.0.1:PORT` of the gateway.
    pub http_addr: String,
    /// From spawning the process to its ready line.
    pub ready_in: Duration,
}

impl Dev {
    /// Starts `difacto dev` on `data_dir` with free ports and waits for `difacto ready`.
    pub fn start(data_dir: &Path) -> Dev {
        Dev::launch(data_dir, &[], &[], "difacto ready")
    }

    /// Starts `difacto dev <extra>` on `data_dir` with free ports and `env`, and waits
    /// for a stderr line containing `ready_text` that names both addresses.
    pub fn launch(data_dir: &Path, extra: &[&str], env: &[(&str, &str)], ready_text: &str) -> Dev {
        let started = Instant::now();
        let data = data_dir.to_string_lossy().into_owned();
        let mut args = vec![
            "dev",
            "--data-dir",
            &data,
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let server = Server::launch(&args, data_dir, env, ready_text);
        let ready_in = started.elapsed();
        // The draining thread hands the ready line over before it files it with the
        // others, so it may take a moment to show up in `stderr_text`.
        let deadline = Instant::now() + Duration::from_secs(5);
        let http_addr = loop {
            let text = server.stderr_text();
            if let Some(addr) = text
                .lines()
                .filter(|l| l.contains(ready_text))
                .find_map(|l| super::addr_after(l, "http_addr="))
            {
                break addr;
            }
            assert!(
                Instant::now() < deadline,
                "no http_addr= in the line with {ready_text:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        Dev {
            server,
            http_addr,
            ready_in,
        }
    }
}

/// A token for `org` with `role`, signed with the test secret, valid for ten minutes.
pub fn token(org: &str, role: Role) -> String {
    super::mint(
        &format!("{}@{org}", role.as_str()),
        org,
        &[role],
        Duration::from_secs(600),
    )
}

/// What an HTTP exchange returned.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

/// `request` sent on a fresh HTTP/1.1 connection to `addr`, bounded by `limit`: the
/// answer's head and its whole body. What went wrong (a refused connection, a broken
/// exchange, no answer in time) is returned, since for an attack that is an outcome to
/// count.
pub async fn exchange(
    addr: &str,
    request: Request<Full<Bytes>>,
    limit: Duration,
) -> Result<(Parts, Bytes), String> {
    let what = format!("{} {}", request.method(), request.uri());
    let exchange = async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|err| format!("connect to {addr}: {err}"))?;
        stream.set_nodelay(true).map_err(|err| err.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|err| format!("handshake: {err}"))?;
        tokio::spawn(connection);
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| format!("{what}: {err}"))?;
        let (head, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|err| format!("the response body: {err}"))?
            .to_bytes();
        Ok((head, body))
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("{what}: no answer within {limit:?}")))
}

/// `request` with `body` sent on a fresh HTTP/1.1 connection to `addr` (see [`exchange`]);
/// panics when that fails or takes more than 30 s.
pub async fn exchanged(
    addr: &str,
    request: hyper::http::request::Builder,
    body: impl Into<Bytes>,
) -> (Parts, Bytes) {
    let request = request.body(Full::new(body.into())).expect("request");
    exchange(addr, request, HTTP_TIMEOUT)
        .await
        .unwrap_or_else(|err| panic!("{err}"))
}

/// One HTTP/1.1 exchange on a fresh connection to `addr`, bounded by `limit` (see
/// [`exchange`]).
pub async fn http_exchange(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    limit: Duration,
) -> Result<HttpResponse, String> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, addr);
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header(CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|err| err.to_string())?;
    let (head, body) = exchange(addr, request, limit).await?;
    let content_type = head
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok(HttpResponse {
        status: head.status,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// One HTTP/1.1 exchange on a fresh connection to `addr`; panics when it fails or takes
/// more than 30 s.
pub async fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> HttpResponse {
    http_exchange(
        addr,
        method,
        path,
        token,
        body.map(String::into_bytes),
        HTTP_TIMEOUT,
    )
    .await
    .unwrap_or_else(|err| panic!("{err}"))
}

/// POSTs a GraphQL request to `/graphql` and returns the whole JSON answer.
pub async fn graphql(addr: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = http(addr, "POST", "/graphql", token, Some(body)).await;
    serde_json::from_str(&response.body).unwrap_or_else(|err| {
        panic!(
            "not a JSON answer ({err}), status {}: {}",
            response.status, response.body
        )
    })
}

/// The `data` of an answer that must have no errors.
pub fn data(response: &Value) -> &Value {
    assert!(
        response.get("errors").is_none_or(Value::is_null),
        "unexpected errors: {response}"
    );
    &response["data"]
}

/// The first error's `extensions.code` (panics when the answer has no error).
pub fn error_code(response: &Value) -> String {
    let error = &response["errors"][0];
    assert!(error.is_object(), "expected an error: {response}");
    error["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error without extensions.code: {response}"))
        .to_owned()
}

/// The first error's message (panics when the answer has no error).
pub fn error_message(response: &Value) -> String {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {response}"))
        .to_owned()
}

/// A websocket to the gateway.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `/graphql/ws` asking for graphql-transport-ws, within `limit`; returns the
/// socket and the subprotocol the server chose.
pub async fn ws_connect(addr: &str, limit: Duration) -> Result<(Socket, Option<String>), String> {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .map_err(|err| err.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (socket, response) = tokio::time::timeout(limit, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| format!("no websocket handshake within {limit:?}"))?
        .map_err(|err| format!("websocket handshake: {err}"))?;
    let protocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((socket, protocol))
}

/// Opens `/graphql/ws` speaking graphql-transport-ws, within 10 s.
pub async fn ws_open(addr: &str) -> Result<Socket, String> {
    ws_connect(addr, Duration::from_secs(10))
        .await
        .map(|(socket, _)| socket)
}

/// A graphql-transport-ws connection with one subscription running.
#[derive(Debug)]
pub struct Subscription {
    socket: Socket,
    id: String,
}

impl Subscription {
    /// Connects to `/graphql/ws`, sends `connection_init` with the token, waits for
    /// `connection_ack`, and subscribes with `query`.
    pub async fn start(addr: &str, token: &str, query: &str) -> Subscription {
        let (socket, protocol) = ws_connect(addr, HTTP_TIMEOUT)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            protocol.as_deref(),
            Some("graphql-transport-ws"),
            "the server speaks graphql-transport-ws"
        );
        let mut subscription = Subscription {
            socket,
            id: "1".to_owned(),
        };
        subscription
            .send(json!({
                "type": "connection_init",
                "payload": { "Authorization": format!("Bearer {token}") },
            }))
            .await;
        let ack = subscription
            .receive(Duration::from_secs(10))
            .await
            .expect("connection_ack in time");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        let id = subscription.id.clone();
        subscription
            .send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
        subscription
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send on the websocket");
    }

    /// The next protocol message (answering pings), or None after `limit`.
    async fn receive(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|err| panic!("not JSON ({err}): {text}"));
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    panic!("the server closed the socket: {frame:?}")
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => panic!("websocket error: {err}"),
                None => panic!("the websocket ended"),
            }
        }
    }

    /// The `data` of the next `next` message, or None when nothing came within `limit`.
    /// Panics on an `error` or `complete` message.
    pub async fn next(&mut self, limit: Duration) -> Option<Value> {
        let message = self.receive(limit).await?;
        match message["type"].as_str() {
            Some("next") => {
                assert_eq!(message["id"], self.id.as_str(), "{message}");
                let payload = &message["payload"];
                assert!(
                    payload.get("errors").is_none_or(Value::is_null),
                    "the subscription sent errors: {message}"
                );
                Some(payload["data"].clone())
            }
            _ => panic!("expected a `next` message: {message}"),
        }
    }

    /// Sends `complete` and closes the socket.
    pub async fn close(mut self) {
        let id = self.id.clone();
        self.send(json!({ "id": id, "type": "complete" })).await;
        let _ = self.socket.close(None).await;
    }
}
