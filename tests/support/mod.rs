#![allow(dead_code)]
//! Shared helpers of the end-to-end tests: start the real `difacto` binary on a data
//! directory, talk to it over gRPC with a token, run its other commands.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use auth::{Claims, Role, TokenIssuer};
use pb::event_log_service_client::EventLogServiceClient;
use proto::v1 as pb;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// The binary under test, built by cargo for this test target.
pub const BIN: &str = env!("CARGO_BIN_EXE_difacto");

/// How long a server may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variables that would change how the binary behaves if the developer's
/// shell happened to set them; every child starts without them.
const CLEARED_ENV: &[&str] = &[
    "DIFACTO_JWT_SECRET",
    "DIFACTO_JWT_PUBLIC_KEY",
    "DIFACTO_JWT_ALGORITHM",
    "DIFACTO_JWT_ISSUER",
    "DIFACTO_JWT_AUDIENCE",
    "DIFACTO_DATA_DIR",
    "DIFACTO_GRPC_ADDR",
    "DIFACTO_LOG",
    "DIFACTO_ORG",
    "DIFACTO_ROLE",
    "DIFACTO_SUB",
    "DIFACTO_TTL",
    "DIFACTO_XAPI_CONFIG",
    "RUST_LOG",
];

/// The HS256 secret every test server is started with (unless a test overrides it).
pub fn secret() -> &'static str {
    "difacto-e2e-test-secret-0123456789abcdef"
}

/// A `difacto` command with a clean environment and the test secret set.
pub fn command() -> Command {
    let mut command = Command::new(BIN);
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    command
        .env("DIFACTO_JWT_SECRET", secret())
        .env("DIFACTO_LOG_LEVEL", "info")
        // Each `serve` process has its probes on a port of its own (the defaults are
        // fixed ports, which tests running side by side would fight over).
        .env("DIFACTO_METRICS_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null());
    command
}

/// One running `difacto serve log` process.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT` from the ready line: the gRPC address (or the one
    /// [`Server::launch_named`] was asked for).
    pub grpc_addr: String,
    pub data_dir: PathBuf,
    /// Every stderr line so far, kept by the draining thread (for failure messages).
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `difacto serve log` on `data_dir` and port 0, with `env` applied after the
    /// defaults (`DIFACTO_JWT_SECRET` = [`secret`], `DIFACTO_LOG_LEVEL=info`), and waits
    /// for its ready line. Panics with the collected stderr if it is not ready in 30 s.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let data = data_dir.to_string_lossy().into_owned();
        Self::launch(
            &[
                "serve",
                "log",
                "--data-dir",
                &data,
                "--grpc-addr",
                "127.0.0.1:0",
            ],
            data_dir,
            env,
            "difacto log ready",
        )
    }

    /// Starts `difacto <args>` and waits for a stderr line containing `ready_text` that
    /// names the bound `grpc_addr`. `data_dir` is where its files (if any) live.
    pub fn launch(
        args: &[&str],
        data_dir: &Path,
        env: &[(&str, &str)],
        ready_text: &str,
    ) -> Server {
        Self::launch_named(args, data_dir, env, ready_text, "grpc_addr=")
    }

    /// [`Server::launch`] for a process whose ready line names its address under another
    /// key (`http_addr=` for `serve gateway`); that address is kept in `grpc_addr`.
    pub fn launch_named(
        args: &[&str],
        data_dir: &Path,
        env: &[(&str, &str)],
        ready_text: &str,
        addr_key: &str,
    ) -> Server {
        let ready_text = ready_text.to_owned();
        let Started {
            child,
            ready,
            stderr,
        } = start_until_ready(args, env, move |line| line.contains(&ready_text));
        let grpc_addr = addr_after(&ready, addr_key)
            .unwrap_or_else(|| panic!("no {addr_key}127.0.0.1:PORT in the ready line: {ready}"));
        Server {
            child,
            grpc_addr,
            data_dir: data_dir.to_owned(),
            stderr,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// What the server wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr
            .lock()
            .map(|lines| lines.join("\n"))
            .unwrap_or_default()
    }

    /// Sends SIGTERM and waits up to 15 s for the process to exit; panics (after
    /// SIGKILL) if it does not.
    pub fn sigterm_and_wait(&mut self) -> ExitStatus {
        self.sigterm();
        self.wait_for_exit(Duration::from_secs(15))
    }

    /// Sends SIGTERM without waiting.
    pub fn sigterm(&self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let pid = i32::try_from(self.child.id()).expect("pid fits in i32");
        kill(Pid::from_raw(pid), Signal::SIGTERM).expect("send SIGTERM");
    }

    /// Waits up to `limit` for the process to exit; after that kills it and panics.
    pub fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "difacto did not exit within {limit:?}; stderr:\n{}",
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL and wait: the process gets no chance to flush or clean up.
    #[allow(dead_code)] // only the crash test kills
    pub fn kill(&mut self) {
        // An error means it has already exited; wait reaps it either way.
        let _ = self.child.kill();
        self.child.wait().expect("wait for the killed server");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `difacto` process that said it is ready.
pub struct Started {
    pub child: Child,
    /// The stderr line that said so.
    pub ready: String,
    /// Every stderr line so far, kept by the draining thread (for failure messages).
    pub stderr: Arc<Mutex<Vec<String>>>,
}

/// Starts `difacto <args>` with `env` applied after the defaults of [`command`], and waits
/// for a stderr line that `is_ready`. Panics with the collected stderr if none comes in
/// 30 s.
pub fn start_until_ready(
    args: &[&str],
    env: &[(&str, &str)],
    is_ready: impl Fn(&str) -> bool + Send + 'static,
) -> Started {
    let mut command = command();
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn difacto");
    let stderr = child.stderr.take().expect("stderr is piped");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = mpsc::channel::<String>();
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            // Keeps reading until the child closes stderr, so it never blocks on a
            // full pipe; the ready line is also sent to the starter.
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if is_ready(&line)
                    && let Some(tx) = ready_tx.take()
                {
                    let _ = tx.send(line.clone());
                }
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
            }
        });
    }
    match ready_rx.recv_timeout(READY_TIMEOUT) {
        Ok(ready) => Started {
            child,
            ready,
            stderr: lines,
        },
        Err(err) => {
            let _ = child.kill();
            let status = child.wait();
            // Give the draining thread a moment to collect the last lines.
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "difacto {} was not ready ({err}); exit: {status:?}; stderr:\n{}",
                args.join(" "),
                lines.lock().map(|l| l.join("\n")).unwrap_or_default()
            );
        }
    }
}

/// `127.0.0.1:PORT` following `name` (such as `grpc_addr=`) in a log line.
pub fn addr_after(line: &str, name: &str) -> Option<String> {
    let rest = line.split(name).nth(1)?;
    let addr: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ',')
        .collect();
    let port: u16 = addr.strip_prefix("127.0.0.1:")?.parse().ok()?;
    (port != 0).then_some(addr)
}

/// A token for `sub` acting for `org` with `roles`, signed with the test secret, valid
/// for `ttl`.
pub fn mint(sub: &str, org: &str, roles: &[Role], ttl: Duration) -> String {
    TokenIssuer::hs256(secret().as_bytes(), "difacto", "difacto")
        .mint(sub, org, roles, ttl)
        .expect("mint a test token")
}

/// A token with `roles`, signed with the test secret, valid for an hour.
pub fn token_with(roles: &[Role]) -> String {
    mint("e2e-test", "X24", roles, Duration::from_secs(3600))
}

/// A token with role `service`: what the log requires.
pub fn service_token() -> String {
    token_with(&[Role::Service])
}

/// Seconds since 1970, for the `exp` and `iat` of hand-built claims.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// Signs `claims` HS256 with `key`, by hand rather than through difacto's issuer, so a
/// test can build tokens the issuer never would (expired, oversized, for another key).
pub fn sign(claims: &Claims, key: &[u8]) -> String {
    // Building difacto's issuer installs jsonwebtoken's crypto provider for this process.
    let _ = TokenIssuer::hs256(key, "difacto", "difacto");
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .expect("sign claims")
}

/// A channel to `url` (no token); an error rather than a hang when it cannot connect.
pub async fn grpc_channel(url: &str) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(url.to_owned())
        .expect("a valid url")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .connect()
        .await
}

/// A channel to `url` (no token); panics when it cannot connect.
pub async fn channel(url: &str) -> Channel {
    grpc_channel(url)
        .await
        .unwrap_or_else(|err| panic!("connect to {url}: {err}"))
}

/// Adds `authorization: Bearer <token>` to every call, whatever the token holds.
#[derive(Debug, Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    pub fn new(token: &str) -> Bearer {
        Bearer(
            format!("Bearer {token}")
                .parse()
                .expect("a token fits in a header"),
        )
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel that sends a bearer token with every call.
pub type Authed = InterceptedService<Channel, Bearer>;

/// The log's client over [`Authed`], with room for the largest pages.
pub type LogClient = EventLogServiceClient<Authed>;

/// The log on `channel`, sending `token`, able to read the largest pages.
pub fn log_client(channel: Channel, token: &str) -> LogClient {
    EventLogServiceClient::with_interceptor(channel, Bearer::new(token))
        .max_decoding_message_size(32 * 1024 * 1024)
}

/// An `EventLogService` client on `url` that sends `token` as a bearer token.
pub async fn client(url: &str, token: &str) -> LogClient {
    log_client(channel(url).await, token)
}

/// A valid event with a fresh UUID and type `difacto.v1.TestEvent`.
pub fn event(payload: impl Into<Vec<u8>>) -> pb::EventData {
    pb::EventData {
        event_id: uuid::Uuid::new_v4().to_string(),
        event_type: "difacto.v1.TestEvent".into(),
        payload: bytes::Bytes::from(payload.into()),
        metadata: BTreeMap::from([("actor".to_owned(), "e2e-test".to_owned())]),
    }
}

/// An append request with expectation `kind` (version 0 unless EXACT is wanted: use
/// [`expected_exact`]).
pub fn append_request(
    stream: &str,
    expected: pb::expected_version::Kind,
    events: Vec<pb::EventData>,
) -> pb::AppendRequest {
    pb::AppendRequest {
        stream: stream.to_owned(),
        expected: Some(pb::ExpectedVersion {
            kind: expected.into(),
            version: 0,
        }),
        events,
    }
}

/// Reads the whole log, page by page, until a page comes back empty.
pub async fn read_everything(client: &mut LogClient) -> Vec<pb::RecordedEvent> {
    let mut all: Vec<pb::RecordedEvent> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.position);
        let page = client
            .read_all(pb::ReadAllRequest {
                after_position: after,
                max_count: 0,
            })
            .await
            .expect("read_all")
            .into_inner();
        if page.events.is_empty() {
            return all;
        }
        assert!(
            page.events.len() <= 1000,
            "a page holds at most 1000 events, got {}",
            page.events.len()
        );
        all.extend(page.events);
    }
}

/// `everything` (the whole log, as [`read_everything`] returns it) by event id, once it is
/// checked to be what any reader may rely on: positions exactly 1..=N, no id stored twice.
pub fn by_event_id(everything: &[pb::RecordedEvent]) -> HashMap<&str, &pb::RecordedEvent> {
    for (i, e) in everything.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1, "positions are exactly 1..=N");
    }
    let by_id: HashMap<&str, &pb::RecordedEvent> = everything
        .iter()
        .map(|e| (e.event_id.as_str(), e))
        .collect();
    assert_eq!(
        by_id.len(),
        everything.len(),
        "an event id is stored more than once"
    );
    by_id
}

/// Asserts the gRPC health service on `channel` reports `service` as serving; it answers
/// without a token.
pub async fn assert_serving(channel: Channel, service: &str) {
    use tonic_health::pb::health_check_response::ServingStatus;
    let status = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap_or_else(|status| panic!("health check of {service}: {status}"))
        .into_inner();
    assert_eq!(status.status(), ServingStatus::Serving, "{service}");
}

/// Runs `difacto verify --data-dir <data_dir>`.
pub fn run_verify(data_dir: &Path) -> Output {
    command()
        .args(["verify", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("run difacto verify")
}

/// Asserts `difacto verify` succeeded with one `ok:` line; returns that line.
pub fn assert_verify_ok(data_dir: &Path) -> String {
    let output = run_verify(data_dir);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "difacto verify failed ({}):\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "verify prints one line: {stdout:?}");
    assert!(lines[0].starts_with("ok:"), "verify output: {stdout:?}");
    lines[0].to_owned()
}

pub mod gateway;
pub mod jetstream;

/// A version of gRPC server reflection: `v1`, or the `v1alpha` older tools still speak.
#[derive(Debug, Clone, Copy)]
pub enum Reflection {
    V1,
    V1Alpha,
}

/// Asks reflection `$version` (a module of `tonic_reflection::pb`) on `$channel` to list
/// the services; the two versions' types are distinct but alike, so one body serves both.
macro_rules! list_services {
    ($version:ident, $channel:expr) => {{
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let status_text =
            |status: tonic::Status| format!("{:?}: {}", status.code(), status.message());
        let mut client = ServerReflectionClient::new($channel);
        let mut stream = client
            .server_reflection_info(tokio_stream::once(request))
            .await
            .map_err(status_text)?
            .into_inner();
        match stream.message().await.map_err(status_text)? {
            Some(response) => match response.message_response {
                Some(MessageResponse::ListServicesResponse(list)) => {
                    Ok(list.service.into_iter().map(|s| s.name).collect())
                }
                other => Err(format!("not a service list: {other:?}")),
            },
            None => Err("no response".to_owned()),
        }
    }};
}

/// The services that reflection `version` lists on `channel` (no token), or what went
/// wrong.
pub async fn listed_services(
    channel: Channel,
    version: Reflection,
) -> Result<std::collections::HashSet<String>, String> {
    match version {
        Reflection::V1 => list_services!(v1, channel),
        Reflection::V1Alpha => list_services!(v1alpha, channel),
    }
}
