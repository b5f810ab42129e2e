//! `difacto bench cluster`: RecordFacilitation over gRPC from 64 clients to practice
//! services running as processes of their own (`difacto serve practice --log …`), on
//! JetStream (one node; three nodes with one and with three service processes), and the
//! rate at which the gateway's read models fold the log back from JetStream.
//!
//! Reference, measured in the same run: the same command to one `difacto serve practice
//! --log sled:…` process, and the same replay from that sled log. Each row starts on an
//! empty log, seeded with the same organisation tree by an in-process server; the
//! `nats-server` processes are the tests' (`eventlog_nats::testing`: `sync_interval:
//! always`, three replicas on the 3-node cluster).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventlog::EventLog;
use eventlog_nats::testing::{NatsCluster, NatsServer};

use super::measure::Throughput;
use super::process::ServeProcess;
use super::report;
use super::services::{
    CLIENTS, InProcess, SECRET, connect, record_facilitations, register_practices, row,
};
use crate::cli::BenchArgs;

/// Connections each client spreads over, as separate client processes would have.
const CONNECTIONS: usize = 8;
/// The floor issue 13 sets for three nodes and three service processes.
const FLOOR_PER_SECOND: f64 = 2_500.0;
const FLOOR_P99: Duration = Duration::from_millis(50);

/// A read-model replay: how many events, how long.
struct Replay {
    events: u64,
    elapsed: Duration,
}

impl Replay {
    fn per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// The gateway's read models folded from zero to the log's head.
async fn replay(log: &dyn EventLog) -> anyhow::Result<Replay> {
    let head = log.head_position().await?;
    let began = Instant::now();
    let model = gateway::projection::replay_to(log, head)
        .await
        .map_err(|err| anyhow::anyhow!("replay: {}", err.message()))?;
    let elapsed = began.elapsed();
    if model.position != head {
        anyhow::bail!("the replay stopped at {} of {head}", model.position);
    }
    Ok(Replay {
        events: head,
        elapsed,
    })
}

/// Registers the tree on `log` through an in-process server (the practice processes
/// then find it in the log).
async fn seed(log: Arc<dyn EventLog>) -> anyhow::Result<()> {
    let server = InProcess::start(log).await?;
    let channels = connect(std::slice::from_ref(&server.url), 1).await?;
    register_practices(&channels[0]).await?;
    drop(channels);
    server.stop().await
}

/// `processes` practice-service processes on `log_url`; RecordFacilitation measured
/// with the clients spread over them.
async fn facilitations_on(
    log_url: &str,
    processes: usize,
    dir: &Path,
    seconds: f64,
) -> anyhow::Result<Throughput> {
    let mut started = Vec::new();
    for i in 0..processes {
        started.push(ServeProcess::start(
            &["practice", "--log", log_url, "--grpc-addr", "127.0.0.1:0"],
            &dir.join(format!("practice-{i}")),
            SECRET,
        )?);
    }
    let urls: Vec<String> = started.iter().map(|p| p.url.clone()).collect();
    let channels = connect(&urls, CONNECTIONS.div_ceil(processes)).await?;
    let measured = record_facilitations(&channels, seconds).await;
    drop(channels);
    drop(started);
    measured
}

/// One JetStream row on `servers` (fresh servers, so an empty log): seeded, measured,
/// and, when `replayed`, folded back into read models.
async fn on_jetstream(
    servers: &[String],
    processes: usize,
    dir: &Path,
    seconds: f64,
    replayed: bool,
) -> anyhow::Result<(Throughput, Option<Replay>)> {
    let log = crate::settings::connect_nats(servers).await?;
    seed(Arc::new(log.clone())).await?;
    let url = format!("nats://{}", servers.join(","));
    let measured = facilitations_on(&url, processes, dir, seconds).await?;
    let replay = if replayed {
        Some(replay(&log).await?)
    } else {
        None
    };
    Ok((measured, replay))
}

pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir_in(std::env::current_dir()?)?;
    let seconds = args.seconds;

    eprintln!("reference: sled, 1 practice-service process, {CLIENTS} clients…");
    let sled_dir = scratch.path().join("sled");
    {
        let log = super::on_demo::open_log(&sled_dir)?;
        seed(Arc::new(log.clone())).await?;
        log.close().await?;
    }
    let sled_url = format!("sled:{}", sled_dir.display());
    let sled = facilitations_on(&sled_url, 1, scratch.path(), seconds).await?;
    let sled_replay = {
        let log = super::on_demo::open_log(&sled_dir)?;
        let replayed = replay(&log).await?;
        log.close().await?;
        replayed
    };

    eprintln!("JetStream, 1 node, 1 practice-service process…");
    let single = {
        let server = NatsServer::start_single();
        let dir = scratch.path().join("single");
        on_jetstream(&[server.address()], 1, &dir, seconds, false)
            .await?
            .0
    };
    eprintln!("JetStream, 3 nodes, 1 practice-service process…");
    let three_one = {
        let cluster = NatsCluster::start(3);
        let dir = scratch.path().join("three-one");
        on_jetstream(&cluster.addresses(), 1, &dir, seconds, false)
            .await?
            .0
    };
    eprintln!("JetStream, 3 nodes, 3 practice-service processes…");
    let (three_three, nats_replay) = {
        let cluster = NatsCluster::start(3);
        let dir = scratch.path().join("three-three");
        on_jetstream(&cluster.addresses(), 3, &dir, seconds, true).await?
    };
    let nats_replay = nats_replay.ok_or_else(|| anyhow::anyhow!("no replay measured"))?;

    let body = render(&Report {
        seconds,
        sled,
        single,
        three_one,
        three_three,
        sled_replay,
        nats_replay,
    });
    report::write_section(&args.out, "cluster", &body)?;
    eprintln!("{body}");
    Ok(())
}

struct Report {
    seconds: f64,
    sled: Throughput,
    single: Throughput,
    three_one: Throughput,
    three_three: Throughput,
    sled_replay: Replay,
    nats_replay: Replay,
}

fn render(r: &Report) -> String {
    let base = r.sled.per_second();
    let yes = |met: bool| if met { "yes" } else { "**no**" };
    let replay_row = |what: &str, replay: &Replay| {
        format!(
            "| {what} | {} | {:.2} s | {:.0} | {:.2} |",
            replay.events,
            replay.elapsed.as_secs_f64(),
            replay.per_second(),
            replay.per_second() / r.sled_replay.per_second()
        )
    };
    format!(
        "## The log on a JetStream cluster (`difacto bench cluster`)\n\n\
         Machine: {}. RecordFacilitation over gRPC on loopback from {CLIENTS} concurrent clients for {seconds} s per row, \
         each client for its own practice, spread over {CONNECTIONS} or more connections. The practice service runs as \
         separate `difacto serve practice --log …` processes (on the same cores as the clients and the `nats-server`s). \
         JetStream nodes are `nats-server` with `sync_interval: always` (every append is on disk on every replica before \
         it is acknowledged); the 3-node stream has three replicas. The reference is the same command to one \
         `difacto serve practice --log sled:…` process (the like-for-like comparison: one service process, the command \
         durable before it is answered).\n\n\
         | measurement | per second | p50 | p99 | ratio to sled |\n|---|---:|---:|---:|---:|\n\
         {}\n{}\n{}\n{}\n\n\
         Replay: the gateway's read models folded from zero (`projection::replay_to`) from the 3-node, 3-process row's \
         stream, against the sled reference's log.\n\n\
         | replay | events | time | events/s | ratio to sled |\n|---|---:|---:|---:|---:|\n\
         {}\n{}\n\n\
         | floor (3 nodes, 3 service processes) | measured | met |\n|---|---:|:---:|\n\
         | ≥ {:.0} commands/s | {:.0}/s | {} |\n\
         | p99 ≤ {} ms | {:.2} ms | {} |\n",
        report::machine(),
        row(
            "**reference:** sled, 1 practice-service process",
            &r.sled,
            base
        ),
        row(
            "JetStream 1 node, 1 practice-service process",
            &r.single,
            base
        ),
        row(
            "JetStream 3 nodes, 1 practice-service process",
            &r.three_one,
            base
        ),
        row(
            "JetStream 3 nodes, 3 practice-service processes",
            &r.three_three,
            base
        ),
        replay_row("**reference:** sled", &r.sled_replay),
        replay_row("JetStream 3 nodes", &r.nats_replay),
        FLOOR_PER_SECOND,
        r.three_three.per_second(),
        yes(r.three_three.per_second() >= FLOOR_PER_SECOND),
        FLOOR_P99.as_millis(),
        r.three_three.p99.as_secs_f64() * 1e3,
        yes(r.three_three.p99 <= FLOOR_P99),
        seconds = r.seconds,
    )
}
