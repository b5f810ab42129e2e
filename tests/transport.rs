//! The transport promises of DESIGN.md §8 that only the real process can show: `/readyz`
//! is 503 while `dev --demo` is still loading (while `/healthz` is 200) and 200 once
//! `dev` has caught up, and the process raises its soft open-file limit to the hard one
//! when started under the usual 1024.

mod support;

use std::time::{Duration, Instant};

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use support::gateway::{Dev, http};

/// The status of `GET path`, polled until it is `want` or `limit` passes.
async fn eventually(addr: &str, path: &str, want: u16, limit: Duration) -> u16 {
    let started = Instant::now();
    loop {
        let status = http(addr, "GET", path, None, None).await.status.as_u16();
        if status == want || started.elapsed() > limit {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn readyz_is_503_while_the_demo_loads_and_healthz_is_200() {
    let dir = tempfile::tempdir().expect("dir");
    let dev = Dev::launch(
        dir.path(),
        &["--demo"],
        &[("CI", "1")],
        "loading the demo dataset",
    );
    let addr = &dev.http_addr;
    // The full demo takes far longer than these two requests.
    let live = http(addr, "GET", "/healthz", None, None).await;
    let ready = http(addr, "GET", "/readyz", None, None).await;
    assert!(
        !dev.server.stderr_text().contains("difacto ready"),
        "the demo loaded before the test could look"
    );
    assert_eq!(live.status.as_u16(), 200, "{}", live.body);
    assert_eq!(ready.status.as_u16(), 503, "{}", ready.body);
}

#[tokio::test]
async fn readyz_is_200_once_dev_has_caught_up() {
    let dir = tempfile::tempdir().expect("dir");
    let dev = Dev::start(dir.path());
    let status = eventually(&dev.http_addr, "/readyz", 200, Duration::from_secs(10)).await;
    assert_eq!(status, 200, "{}", dev.server.stderr_text());
    let live = http(&dev.http_addr, "GET", "/healthz", None, None).await;
    assert_eq!(live.status.as_u16(), 200);
}

#[test]
fn the_process_raises_its_open_file_limit_to_the_hard_limit() {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    assert!(
        hard > 1024,
        "the hard limit here ({hard}) leaves nothing to raise"
    );
    // Started as a service manager would start it, under the usual soft limit.
    setrlimit(Resource::RLIMIT_NOFILE, 1024, hard).expect("lower the soft limit");
    let dir = tempfile::tempdir().expect("dir");
    let started = std::panic::catch_unwind(|| Dev::start(dir.path()));
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard).expect("restore the soft limit");
    let dev = started.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", dev.server.child.id()))
        .expect("read the process's limits");
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap_or_else(|| panic!("no open-file line in:\n{limits}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    assert_eq!(numbers, vec![hard, hard], "{line}");
}
