//! Real `nats-server` processes on loopback for tests: one server or a 3-node cluster,
//! each on free ports with a store in a temporary directory and a generated
//! configuration (JetStream, `sync_interval: always`, routes between the nodes).
//!
//! The binary is `$DIFACTO_NATS_SERVER`, else the one `scripts/install-nats-server` puts
//! in `target/tools/nats/bin`; when neither exists the script is run once. A missing
//! server is a loud failure, never a skipped test.
//!
//! A server is killed when its value is dropped. Servers shared by a whole test binary
//! live in statics, which are never dropped: each server has a watchdog (`sh` reading our
//! pipe) that kills it when this process ends, however it ends.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{NatsConfig, NatsLog};

/// The workspace's root, from this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `nats-server` binary to run, installing the pinned one if needed.
pub fn nats_server_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("DIFACTO_NATS_SERVER") {
                let path = PathBuf::from(path);
                assert!(
                    path.is_file(),
                    "DIFACTO_NATS_SERVER names {}, which is not a file",
                    path.display()
                );
                return path;
            }
            let installed = workspace_root().join("target/tools/nats/bin/nats-server");
            if !installed.is_file() {
                let script = workspace_root().join("scripts/install-nats-server");
                let status = Command::new("bash")
                    .arg(&script)
                    .stdout(Stdio::null())
                    .status();
                assert!(
                    matches!(status, Ok(s) if s.success()),
                    "nats-server is missing and {} failed ({status:?}); the JetStream tests need \
                     it (set DIFACTO_NATS_SERVER to use another binary)",
                    script.display()
                );
            }
            assert!(
                installed.is_file(),
                "nats-server is missing at {}",
                installed.display()
            );
            installed
        })
        .clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One `nats-server` process.
#[derive(Debug)]
pub struct NatsServer {
    pub name: String,
    pub port: u16,
    pub cluster_port: Option<u16>,
    config_path: PathBuf,
    child: Option<Child>,
    watchdog: Option<(Child, ChildStdin)>,
    /// Holds the store and the configuration; removed when the server is dropped.
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// A single server with JetStream.
    pub fn start_single() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut server = Self::configure("n1", dir, None, &[]);
        server.start();
        server.wait_ready();
        server
    }

    fn configure(
        name: &str,
        dir: tempfile::TempDir,
        cluster_port: Option<u16>,
        routes: &[u16],
    ) -> Self {
        let port = free_port();
        let store = dir.path().join("store");
        let mut config = format!(
            "server_name: {name}\nlisten: 127.0.0.1:{port}\nmax_payload: 8MB\n\
             jetstream {{\n  store_dir: \"{}\"\n  sync_interval: always\n}}\n",
            store.display()
        );
        if let Some(cluster_port) = cluster_port {
            let routes = routes
                .iter()
                .map(|p| format!("nats-route://127.0.0.1:{p}"))
                .collect::<Vec<_>>()
                .join(", ");
            config.push_str(&format!(
                "cluster {{\n  name: difacto-test\n  listen: 127.0.0.1:{cluster_port}\n  routes: [{routes}]\n}}\n"
            ));
        }
        let config_path = dir.path().join("nats.conf");
        std::fs::write(&config_path, config).expect("write the server's configuration");
        Self {
            name: name.to_owned(),
            port,
            cluster_port,
            config_path,
            child: None,
            watchdog: None,
            dir,
        }
    }

    /// Starts (or restarts, on the same ports and store) the process.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let log = std::fs::File::create(self.dir.path().join(format!("{}.log", self.name)))
            .expect("the server's log file");
        let child = Command::new(nats_server_binary())
            .arg("-c")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        let pid = child.id();
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(format!("read -r _line; kill -9 {pid} 2>/dev/null"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server's watchdog");
        let stdin = watchdog.stdin.take().expect("the watchdog's stdin");
        self.child = Some(child);
        self.watchdog = Some((watchdog, stdin));
    }

    /// Waits until the server accepts connections.
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server {} did not listen on {} within 20 s; its log: {}",
                self.name,
                self.port,
                std::fs::read_to_string(self.dir.path().join(format!("{}.log", self.name)))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILLs the process (a crash: nothing is flushed or handed over).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some((mut watchdog, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = watchdog.wait();
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's own log, for a failing test to show.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{}.log", self.name)))
            .unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three servers routed to one another on loopback.
#[derive(Debug)]
pub struct NatsCluster {
    pub servers: Vec<NatsServer>,
}

impl NatsCluster {
    pub fn start(nodes: usize) -> Self {
        let cluster_ports: Vec<u16> = (0..nodes).map(|_| free_port()).collect();
        let mut servers: Vec<NatsServer> = (0..nodes)
            .map(|i| {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let routes: Vec<u16> = cluster_ports
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, p)| *p)
                    .collect();
                NatsServer::configure(&format!("n{}", i + 1), dir, Some(cluster_ports[i]), &routes)
            })
            .collect();
        for server in &mut servers {
            server.start();
        }
        for server in &servers {
            server.wait_ready();
        }
        Self { servers }
    }

    /// Every running node's `host:port`.
    pub fn addresses(&self) -> Vec<String> {
        self.servers.iter().map(NatsServer::address).collect()
    }

    /// The `--log` value for the whole cluster.
    pub fn log_url(&self) -> String {
        format!("nats://{}", self.addresses().join(","))
    }
}

/// The one server a test binary shares (started on first use).
pub fn shared_single() -> &'static NatsServer {
    static SERVER: OnceLock<NatsServer> = OnceLock::new();
    SERVER.get_or_init(NatsServer::start_single)
}

/// The one 3-node cluster a test binary shares (started on first use).
pub fn shared_cluster() -> &'static NatsCluster {
    static CLUSTER: OnceLock<NatsCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| NatsCluster::start(3))
}

/// A fresh, empty log on `servers`: its own JetStream stream and subjects, so that many
/// scratch logs share one server or cluster.
pub async fn scratch_log(servers: Vec<String>, replicas: usize) -> NatsLog {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = format!("{}_{n}", std::process::id());
    let mut config = NatsConfig::new(servers);
    config.stream = format!("SCRATCH_{id}");
    config.subject_prefix = format!("scratch.{id}.ev");
    config.replicas = replicas;
    NatsLog::connect(config)
        .await
        .expect("a scratch log on JetStream")
}

/// How a JetStream stream is replicated, as its leader reports it (`$JS.API.STREAM.INFO`):
/// what the fault tests need to pick the node to kill and to know the cluster is whole
/// again before the next fault.
#[derive(Debug)]
pub struct Replication {
    client: async_nats::Client,
    context: async_nats::jetstream::Context,
    stream: String,
}

/// One answer of [`Replication::state`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaState {
    /// The leader's server name (`n1`…), `None` while the stream has no leader.
    pub leader: Option<String>,
    /// The followers: (server name, current and online).
    pub followers: Vec<(String, bool)>,
    /// The stream's last sequence, as the leader has it.
    pub last_sequence: u64,
}

impl ReplicaState {
    /// A leader, and every one of `followers` followers current and online.
    pub fn whole(&self, followers: usize) -> bool {
        self.leader.is_some()
            && self.followers.len() == followers
            && self.followers.iter().all(|(_, current)| *current)
    }
}

impl Replication {
    /// Watches `stream` through a client of its own on `servers` (it fails over between
    /// them like any client).
    pub async fn connect(servers: &[String], stream: &str) -> Self {
        let addrs: Vec<async_nats::ServerAddr> = servers
            .iter()
            .map(|s| format!("nats://{s}").parse().unwrap())
            .collect();
        let client = async_nats::ConnectOptions::new()
            .request_timeout(Some(Duration::from_secs(2)))
            .connect(addrs)
            .await
            .expect("connect to watch the stream's replicas");
        let context = async_nats::jetstream::new(client.clone());
        Self {
            client,
            context,
            stream: stream.to_owned(),
        }
    }

    /// The stream's leader and followers now; an error while no leader answers.
    pub async fn state(&self) -> Result<ReplicaState, String> {
        let stream = self
            .context
            .get_stream(&self.stream)
            .await
            .map_err(|e| format!("stream info: {e}"))?;
        let info = stream.cached_info();
        let cluster = info.cluster.clone().unwrap_or_default();
        Ok(ReplicaState {
            leader: cluster.leader.clone(),
            followers: cluster
                .replicas
                .iter()
                .map(|p| (p.name.clone(), p.current && !p.offline))
                .collect(),
            last_sequence: info.state.last_sequence,
        })
    }

    /// Polls until `ready` holds of the state, or panics naming the last state after
    /// `limit`.
    pub async fn wait_until(
        &self,
        limit: Duration,
        what: &str,
        ready: impl Fn(&ReplicaState) -> bool,
    ) -> ReplicaState {
        let deadline = Instant::now() + limit;
        loop {
            let state = self.state().await;
            if let Ok(state) = &state
                && ready(state)
            {
                return state.clone();
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {limit:?}; last seen {state:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asks the leader to step down in favour of `server` (nats-server 2.11+ honours a
    /// preferred placement), until `server` leads, for at most `limit`.
    pub async fn move_leader_to(&self, server: &str, limit: Duration) {
        let subject = format!("$JS.API.STREAM.LEADER.STEPDOWN.{}", self.stream);
        let body = format!(r#"{{"placement":{{"preferred":"{server}"}}}}"#);
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(state) = self.state().await
                && state.leader.as_deref() == Some(server)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{server} did not become the leader of {} within {limit:?}",
                self.stream
            );
            // The answer does not matter: the next look at the state says who leads.
            let _ = self
                .client
                .request(subject.clone(), body.clone().into())
                .await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Writes a line to stderr: tests' progress notes (stdout is the test harness's).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
