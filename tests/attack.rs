//! The attack suite of issue 8: the real `difacto dev` started on free ports, attacked
//! from outside the way the reviewer did, over gRPC, HTTP and websocket. Each
//! family counts its attempts and leaks (an attempt that got through: a write accepted or
//! recorded, a result or an existence disclosed, a costly query answered, a limit not
//! held) and its controls (legitimate calls next to the attacks, which must still work so
//! that refusing everything cannot pass). The test prints a table and fails on any leak
//! or failed control.
//!
//! The families, in the order they run (the last ones strain the process):
//! - 1, cross-tenant writes (DESIGN §6);
//! - 2, request-id replay (§6);
//! - 3, existence probing (§6);
//! - 7, personal data in free text and request ids (§7);
//! - 8, the smaller items: decoding errors, list bounds, websocket tokens, oversized
//!   tokens, `/readyz`, reflection v1alpha, what auditors and providers read;
//! - 5, body size and echoed input (§8);
//! - 4, costly GraphQL (§5 Cost);
//! - 6, connection floods and header timeouts (§8).
//!
//! The server is started with the usual soft limit of 1024 open files, as a service
//! manager would, so the connection flood tests the process's own handling of it.

mod support;

#[path = "attack/mod.rs"]
mod families;

use std::future::Future;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::LocalBoxFuture;

use families::fixture::Fixture;
use families::tools::{Tally, Target, report};
use support::gateway::Dev;

/// The whole suite must finish well inside CI's 3 minutes.
const SUITE_LIMIT: Duration = Duration::from_secs(170);

/// Runs one family, bounded: a family that hangs is one leak, and the others still run.
async fn bounded<F: Future<Output = Tally>>(name: &str, limit: Duration, family: F) -> Tally {
    match tokio::time::timeout(limit, family).await {
        Ok(tally) => tally,
        Err(_) => {
            let mut tally = Tally::new(name, "timeout");
            tally.attempt(
                "the family as a whole",
                None,
                Some(format!("did not finish within {limit:?}")),
            );
            tally.finish()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attacks_from_outside_get_nothing() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("dir");
    let dev = families::connections::with_default_file_limit(|| Dev::start(dir.path()));
    let pid = dev.server.child.id();
    let target = Target::new(&dev.server.grpc_addr, &dev.http_addr, pid).await;
    let fixture = Fixture::build(&target).await;
    eprintln!(
        "difacto dev ready in {:?}; fixture built at {:?}",
        dev.ready_in,
        started.elapsed()
    );

    let mut tallies = Vec::new();
    // Each family with its time limit in seconds, in the order they run.
    let runs: Vec<(&str, u64, LocalBoxFuture<'_, Tally>)> = vec![
        (
            "1 cross-tenant writes",
            30,
            families::cross_tenant::run(&target, &fixture).boxed_local(),
        ),
        (
            "2 request-id replay",
            20,
            families::replay::run(&target, &fixture).boxed_local(),
        ),
        (
            "3 existence probing",
            20,
            families::probing::run(&target, &fixture).boxed_local(),
        ),
        (
            "7 personal data",
            30,
            families::pii::run(&target, &fixture).boxed_local(),
        ),
        (
            "8 smaller holes",
            30,
            families::smaller::run(&target, &fixture).boxed_local(),
        ),
        (
            "5 body size and echo",
            30,
            families::body::run(&target, &fixture).boxed_local(),
        ),
        (
            "4 costly GraphQL",
            30,
            families::cost::run(&target, &fixture).boxed_local(),
        ),
        (
            "6 connections",
            50,
            families::connections::run(&target, &fixture).boxed_local(),
        ),
    ];
    let run = async {
        for (name, limit, family) in runs {
            tallies.push(bounded(name, Duration::from_secs(limit), family).await);
        }
    };
    if tokio::time::timeout(SUITE_LIMIT, run).await.is_err() {
        let mut tally = Tally::new("suite", "suite");
        tally.attempt(
            "the suite as a whole",
            None,
            Some(format!("did not finish within {SUITE_LIMIT:?}")),
        );
        tallies.push(tally.finish());
    }

    // Whatever the attacks did, the process is still there.
    let mut server = dev.server;
    let alive = matches!(server.child.try_wait(), Ok(None));
    let table = report(&tallies, started.elapsed());
    eprintln!("{table}");
    assert!(
        alive,
        "difacto dev exited during the attacks; stderr:\n{}",
        server.stderr_text()
    );
    let status = server.sigterm_and_wait();
    assert!(status.success(), "exit {status}");
    let leaks: usize = tallies.iter().map(Tally::leaks).sum();
    let failed: usize = tallies.iter().map(Tally::failed_controls).sum();
    assert!(
        leaks == 0 && failed == 0,
        "{leaks} leak(s) and {failed} failed control(s):{table}"
    );
}
