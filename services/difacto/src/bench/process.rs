//! A `difacto serve …` child process of this very binary, for the benches that need a
//! service in a process of its own: started on a free port, found by its ready line,
//! stopped with SIGTERM (so a sled log is closed cleanly) when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long a child may take to say it is ready (a JetStream client connects and
/// folds the log's index first).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// One running `difacto serve` process.
#[derive(Debug)]
pub(super) struct ServeProcess {
    child: Child,
    /// `http://127.0.0.1:PORT` of its gRPC server.
    pub url: String,
}

impl ServeProcess {
    /// Starts `difacto serve <args>` (which must include `--grpc-addr 127.0.0.1:0`) with
    /// the bench's secret, and waits for its ready line.
    pub fn start(args: &[&str], data_dir: &Path, secret: &[u8]) -> anyhow::Result<Self> {
        let binary = std::env::current_exe().context("the bench's own binary")?;
        let mut child = Command::new(binary)
            .arg("serve")
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .env(
                "DIFACTO_JWT_SECRET",
                String::from_utf8_lossy(secret).as_ref(),
            )
            .env("DIFACTO_LOG_FORMAT", "json")
            .env("DIFACTO_LOG_LEVEL", "info")
            .env("DIFACTO_METRICS_ADDR", "127.0.0.1:0")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting difacto serve")?;
        let stderr = child.stderr.take().context("the child's stderr")?;
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        let name = args.join(" ");
        // Keeps reading until the child closes stderr, so that it never blocks on a full
        // pipe; the ready line's gRPC address goes to the starter.
        std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let Ok(parsed) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let fields = &parsed["fields"];
                if fields["message"] == "difacto ready"
                    && let (Some(addr), Some(tx)) = (fields["grpc_addr"].as_str(), ready_tx.take())
                {
                    let _ = tx.send(addr.to_owned());
                } else if parsed["level"] == "ERROR" {
                    eprintln!("difacto serve {name}: {line}");
                }
            }
        });
        let started = Instant::now();
        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(addr) => Ok(Self {
                child,
                url: format!("http://{addr}"),
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                bail!(
                    "difacto serve {} was not ready within {:.0} s (exit: {status:?})",
                    args.join(" "),
                    started.elapsed().as_secs_f64()
                )
            }
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
