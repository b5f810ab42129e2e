//! Crash test of `difacto serve log`: writers append concurrently while the process is
//! SIGKILLed at random moments, again and again, on one data directory. Afterwards the
//! log must hold every acknowledged event exactly once where it was acknowledged, with
//! dense positions, and `difacto verify` must pass (DESIGN.md §3: durable, idempotent
//! with no time window, atomic, global order without holes).

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pb::expected_version::Kind;
use proto::v1 as pb;
use rand::Rng;
use support::{Server, append_request, assert_verify_ok, event, log_client, service_token};
use tonic::transport::Endpoint;

/// Writers appending single events, each to its own stream.
const SINGLE_WRITERS: usize = 8;
/// Events per append of the one extra writer that checks atomicity across crashes.
const BATCH: usize = 3;
const MIN_KILLS: usize = 10;
const MAX_KILLS: usize = 16;
/// No new round starts after this; the whole test stays well under a minute.
const ROUNDS_BUDGET: Duration = Duration::from_secs(35);
/// The final phase (re-sending what was cut off) must finish by then.
const FINAL_BUDGET: Duration = Duration::from_secs(15);

/// What the server acknowledged for one event.
#[derive(Debug, Clone)]
struct Acked {
    stream: String,
    response: pb::AppendResponse,
    /// The event's index within its append.
    index: u64,
}

type Acks = Arc<Mutex<HashMap<String, Acked>>>;

/// One writer's state, carried from round to round.
#[derive(Debug)]
struct Writer {
    stream: String,
    batch: usize,
    /// Every append this writer created, in order, as its event ids.
    created: Vec<Vec<String>>,
    /// An append that failed (connection lost): re-sent first, with the same ids.
    pending: Option<Vec<pb::EventData>>,
    /// Appends cut off by a kill that had nevertheless been stored: their re-send got
    /// the original result back (a position at or below the head at restart).
    recovered: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct RoundStats {
    acked: usize,
    failed: usize,
}

/// Appends until `stop`, one append at a time, re-sending a failed append (same ids)
/// before creating a new one.
async fn write(
    mut writer: Writer,
    url: String,
    head: u64,
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    acks: Acks,
) -> (Writer, RoundStats) {
    let channel = Endpoint::from_shared(url)
        .expect("url")
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .connect_lazy();
    let mut log = log_client(channel, &service_token());
    let mut stats = RoundStats::default();
    while !stop.load(Ordering::SeqCst) {
        let resend = writer.pending.is_some();
        let events = match writer.pending.take() {
            Some(events) => events,
            None => {
                let events: Vec<pb::EventData> = (0..writer.batch)
                    .map(|i| {
                        event(format!(
                            "{}#{}.{i}:{}",
                            writer.stream,
                            writer.created.len(),
                            "x".repeat(64)
                        ))
                    })
                    .collect();
                writer
                    .created
                    .push(events.iter().map(|e| e.event_id.clone()).collect());
                events
            }
        };
        in_flight.fetch_add(1, Ordering::SeqCst);
        let result = log
            .append(append_request(&writer.stream, Kind::Any, events.clone()))
            .await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
        match result {
            Ok(response) => {
                let response = response.into_inner();
                assert_eq!(
                    response.last_position - response.first_position + 1,
                    events.len() as u64,
                    "an acknowledgement covers the whole append"
                );
                if resend && response.first_position <= head {
                    writer.recovered += 1;
                }
                let mut acks = acks.lock().expect("acks lock");
                for (index, e) in events.iter().enumerate() {
                    let previous = acks.insert(
                        e.event_id.clone(),
                        Acked {
                            stream: writer.stream.clone(),
                            response,
                            index: index as u64,
                        },
                    );
                    assert!(previous.is_none(), "{} acknowledged twice", e.event_id);
                }
                stats.acked += 1;
            }
            Err(_) => {
                writer.pending = Some(events);
                stats.failed += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    (writer, stats)
}

/// The durable head the restarted server reports.
async fn head(url: &str) -> u64 {
    let mut log = support::client(url, &service_token()).await;
    log.read_all(pb::ReadAllRequest {
        after_position: 0,
        max_count: 1,
    })
    .await
    .expect("read the head after a restart")
    .into_inner()
    .head_position
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_appends_loses_nothing_acknowledged() {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("difacto-crash-")
        .tempdir()
        .expect("tempdir");
    let acks: Acks = Arc::new(Mutex::new(HashMap::new()));
    let mut writers: Vec<Writer> = (0..=SINGLE_WRITERS)
        .map(|i| Writer {
            stream: if i < SINGLE_WRITERS {
                format!("crash-{i}")
            } else {
                "crash-batch".into()
            },
            batch: if i < SINGLE_WRITERS { 1 } else { BATCH },
            created: Vec::new(),
            pending: None,
            recovered: 0,
        })
        .collect();

    let mut server = Server::start(dir.path(), &[]);
    let mut kills = 0;
    let mut cut_off = 0;
    let mut head_now = 0;
    while kills < MAX_KILLS && (kills < MIN_KILLS || started.elapsed() < ROUNDS_BUDGET) {
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = writers
            .drain(..)
            .map(|writer| {
                tokio::spawn(write(
                    writer,
                    server.url(),
                    head_now,
                    stop.clone(),
                    in_flight.clone(),
                    acks.clone(),
                ))
            })
            .collect();

        // The kill comes at a random moment while the writers are busy.
        let run_for = Duration::from_millis(rand::rng().random_range(50..=400));
        tokio::time::sleep(run_for).await;
        let in_flight_at_kill = in_flight.load(Ordering::SeqCst);
        tokio::task::block_in_place(|| server.kill());
        kills += 1;
        cut_off += in_flight_at_kill;
        stop.store(true, Ordering::SeqCst);
        let mut round = RoundStats::default();
        for task in tasks {
            let (writer, stats) = task.await.expect("writer task");
            round.acked += stats.acked;
            round.failed += stats.failed;
            writers.push(writer);
        }

        // What is on disk after the kill is whole.
        tokio::task::block_in_place(|| assert_verify_ok(&server.data_dir));
        server = tokio::task::block_in_place(|| Server::start(dir.path(), &[]));
        let max_acked = acks
            .lock()
            .expect("acks lock")
            .values()
            .map(|a| a.response.last_position)
            .max()
            .unwrap_or(0);
        let head = head(&server.url()).await;
        assert!(
            head >= max_acked,
            "kill {kills}: position {max_acked} was acknowledged but the log restarted at {head}"
        );
        head_now = head;
        eprintln!(
            "kill {kills} after {run_for:?}: {} appends acknowledged, {} failed, {in_flight_at_kill} in flight at the kill; head after restart {head}",
            round.acked, round.failed
        );
    }

    // Final phase: no more kills; every writer re-sends what was cut off.
    let deadline = Instant::now() + FINAL_BUDGET;
    let url = server.url();
    for writer in &mut writers {
        while let Some(events) = writer.pending.take() {
            assert!(
                Instant::now() < deadline,
                "re-sending cut-off appends took too long"
            );
            let mut log = support::client(&url, &service_token()).await;
            match log
                .append(append_request(&writer.stream, Kind::Any, events.clone()))
                .await
            {
                Ok(response) => {
                    let response = response.into_inner();
                    if response.first_position <= head_now {
                        writer.recovered += 1;
                    }
                    let mut acks = acks.lock().expect("acks lock");
                    for (index, e) in events.iter().enumerate() {
                        acks.insert(
                            e.event_id.clone(),
                            Acked {
                                stream: writer.stream.clone(),
                                response,
                                index: index as u64,
                            },
                        );
                    }
                }
                Err(status) => {
                    eprintln!("re-send failed, retrying: {status:?}");
                    writer.pending = Some(events);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    // Read everything back and check it against what was acknowledged and created.
    let mut log = support::client(&url, &service_token()).await;
    let everything = support::read_everything(&mut log).await;
    let by_id = support::by_event_id(&everything);
    let acks = acks.lock().expect("acks lock").clone();
    for (id, acked) in &acks {
        let stored = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged event {id} ({acked:?}) is missing"));
        assert_eq!(stored.stream, acked.stream, "stream of {id}");
        assert_eq!(
            stored.position,
            acked.response.first_position + acked.index,
            "position of {id}"
        );
        assert_eq!(
            stored.version,
            acked.response.first_version + acked.index,
            "version of {id}"
        );
    }
    // Every append any writer created was finally acknowledged, so the log holds
    // exactly those events: each stream in creation order, each append contiguous.
    let created: usize = writers
        .iter()
        .map(|w| w.created.iter().map(Vec::len).sum::<usize>())
        .sum();
    assert_eq!(acks.len(), created, "every created event was acknowledged");
    assert_eq!(
        everything.len(),
        created,
        "the log holds exactly those events"
    );
    let mut streams_seen = HashSet::new();
    for writer in &writers {
        streams_seen.insert(writer.stream.as_str());
        let stored: Vec<&pb::RecordedEvent> = everything
            .iter()
            .filter(|e| e.stream == writer.stream)
            .collect();
        let ids: Vec<&str> = stored.iter().map(|e| e.event_id.as_str()).collect();
        let wanted: Vec<&str> = writer
            .created
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        assert_eq!(ids, wanted, "stream {} is in creation order", writer.stream);
        for (version, e) in stored.iter().enumerate() {
            assert_eq!(
                e.version, version as u64,
                "versions of {} are dense",
                writer.stream
            );
        }
        for append in &writer.created {
            let positions: Vec<u64> = append
                .iter()
                .map(|id| by_id[id.as_str()].position)
                .collect();
            assert!(
                positions.windows(2).all(|w| w[1] == w[0] + 1),
                "append {append:?} of {} is not contiguous: {positions:?}",
                writer.stream
            );
        }
    }
    assert!(
        everything
            .iter()
            .all(|e| streams_seen.contains(e.stream.as_str())),
        "only the writers' streams exist"
    );

    let stored_before_kill: usize = writers.iter().map(|w| w.recovered).sum();
    eprintln!(
        "{kills} kills, {} events acknowledged ({} appends cut off in flight; {stored_before_kill} re-sent appends had been stored before the kill), {} stored, {:?}",
        acks.len(),
        cut_off,
        everything.len(),
        started.elapsed()
    );
    assert!(kills >= MIN_KILLS, "only {kills} kills");
    assert!(
        cut_off >= kills,
        "the kills should cut appends off mid-flight: {cut_off} in flight over {kills} kills"
    );

    let status = tokio::task::block_in_place(|| server.sigterm_and_wait());
    assert!(
        status.success(),
        "SIGTERM after the crashes: {status:?}\n{}",
        server.stderr_text()
    );
    let ok = assert_verify_ok(dir.path());
    assert!(
        ok.contains(&format!("{} records", everything.len())),
        "{ok}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the crash test took {:?}",
        started.elapsed()
    );
}
