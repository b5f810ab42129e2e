//! The conformance suite: the log contract of DESIGN.md §3 as executable tests. Every
//! backend runs all of it through [`conformance_suite!`](crate::conformance_suite), so a
//! behaviour checked here holds for sled, for the remote client, and for any backend to come.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use proptest::prelude::*;
use uuid::Uuid;

use crate::{
    AppendOutcome, Direction, EventLog, ExpectedVersion, LogError, NewEvent, RecordedEvent,
    SledConfig, SledLog,
};

/// A fresh, empty log of one backend, kept alive for one test.
#[async_trait]
pub trait Harness: Send + Sync + Sized + 'static {
    type Log: EventLog;
    async fn start() -> Self;
    fn log(&self) -> Arc<Self::Log>;
}

/// A sled log in a temporary directory that lasts as long as this value: the backend the
/// suite runs against for sled, and for every test that needs a real, empty log.
#[derive(Debug)]
pub struct ScratchSled {
    pub log: Arc<SledLog>,
    _dir: tempfile::TempDir,
}

impl ScratchSled {
    pub fn open() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = SledConfig::new(dir.path());
        // Small, so that many tests' logs fit in memory at once.
        config.cache_capacity = 16 * 1024 * 1024;
        let log = Arc::new(SledLog::open(&config).expect("open a scratch log"));
        Self { log, _dir: dir }
    }
}

#[async_trait]
impl Harness for ScratchSled {
    type Log = SledLog;
    async fn start() -> Self {
        Self::open()
    }
    fn log(&self) -> Arc<SledLog> {
        self.log.clone()
    }
}

/// Generates one `#[test]` per conformance check for the given [`Harness`] type.
#[macro_export]
macro_rules! conformance_suite {
    ($harness:ty) => {
        mod conformance {
            use super::*;
            use $crate::conformance as suite;
            $crate::conformance_suite!(@async $harness;
                append_then_read,
                expected_version_rules,
                append_is_contiguous_under_concurrency,
                retry_returns_original_outcome,
                reused_id_with_other_content_is_rejected,
                invalid_input_stores_nothing,
                reads_are_paged,
                backwards_reads,
                subscription_catches_up_then_goes_live,
                exact_version_race_has_one_winner,
                subscribers_see_every_event_once_during_concurrent_appends,
            );
            #[test]
            fn matches_the_model() {
                suite::matches_the_model::<$harness>();
            }
        }
    };
    (@async $harness:ty; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                suite::$name::<$harness>().await;
            }
        )*
    };
}

/// An event with a fresh id and the given payload.
pub fn event(payload: &str) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "difacto.v1.Test".into(),
        payload: Bytes::copy_from_slice(payload.as_bytes()),
        metadata: BTreeMap::from([("actor".to_owned(), "conformance".to_owned())]),
    }
}

/// Events whose payloads are the numbers in `range`, as text.
fn numbered(range: std::ops::Range<u64>) -> Vec<NewEvent> {
    range.map(|i| event(&i.to_string())).collect()
}

fn payloads(events: &[RecordedEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| String::from_utf8_lossy(&e.payload).into_owned())
        .collect()
}

async fn read_everything(log: &impl EventLog) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    loop {
        let page = log
            .read_all(all.last().map_or(0, |e: &RecordedEvent| e.position), 0)
            .await
            .expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

pub async fn append_then_read<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    let first = log
        .append(
            "duty-1",
            ExpectedVersion::NoStream,
            vec![event("a"), event("b")],
        )
        .await
        .expect("append");
    assert_eq!(
        first,
        AppendOutcome {
            first_version: 0,
            last_version: 1,
            first_position: 1,
            last_position: 2
        }
    );
    let second = log
        .append("duty-2", ExpectedVersion::Any, vec![event("c")])
        .await
        .expect("append");
    assert_eq!(
        second,
        AppendOutcome {
            first_version: 0,
            last_version: 0,
            first_position: 3,
            last_position: 3
        }
    );

    let stream = log
        .read_stream("duty-1", 0, 0, Direction::Forwards)
        .await
        .expect("read");
    assert_eq!(payloads(&stream), ["a", "b"]);
    assert_eq!(
        stream
            .iter()
            .map(|e| (e.version, e.position))
            .collect::<Vec<_>>(),
        [(0, 1), (1, 2)]
    );
    assert_eq!(
        stream[0].metadata.get("actor").map(String::as_str),
        Some("conformance")
    );
    assert!(stream[0].recorded_at_unix_micros > 0);

    let all = log.read_all(0, 0).await.expect("read_all");
    assert_eq!(payloads(&all), ["a", "b", "c"]);
    assert!(
        log.read_all(3, 0)
            .await
            .expect("read past the end")
            .is_empty()
    );
    assert!(
        log.read_stream("nobody", 0, 0, Direction::Forwards)
            .await
            .expect("missing stream")
            .is_empty()
    );
    assert_eq!(log.head_position().await.expect("head"), 3);
}

pub async fn expected_version_rules<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    let wrong = |r: Result<AppendOutcome, LogError>, actual: Option<u64>| match r {
        Err(LogError::WrongExpectedVersion { actual: got, .. }) => assert_eq!(got, actual),
        other => panic!("expected a version mismatch, got {other:?}"),
    };
    wrong(
        log.append("s", ExpectedVersion::StreamExists, vec![event("x")])
            .await,
        None,
    );
    wrong(
        log.append("s", ExpectedVersion::Exact(0), vec![event("x")])
            .await,
        None,
    );
    log.append("s", ExpectedVersion::NoStream, vec![event("0")])
        .await
        .expect("no stream");
    wrong(
        log.append("s", ExpectedVersion::NoStream, vec![event("x")])
            .await,
        Some(0),
    );
    wrong(
        log.append("s", ExpectedVersion::Exact(1), vec![event("x")])
            .await,
        Some(0),
    );
    log.append("s", ExpectedVersion::Exact(0), vec![event("1")])
        .await
        .expect("exact");
    log.append("s", ExpectedVersion::StreamExists, vec![event("2")])
        .await
        .expect("exists");
    log.append("s", ExpectedVersion::Any, vec![event("3")])
        .await
        .expect("any");
    let stored = log
        .read_stream("s", 0, 0, Direction::Forwards)
        .await
        .expect("read");
    assert_eq!(
        payloads(&stored),
        ["0", "1", "2", "3"],
        "mismatches stored nothing"
    );
    assert_eq!(log.head_position().await.expect("head"), 4);
}

pub async fn append_is_contiguous_under_concurrency<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for i in 0..10 {
                    let events = (0..5).map(|k| event(&format!("{t}-{i}-{k}"))).collect();
                    outcomes.push(
                        log.append(&format!("stream-{}", i % 3), ExpectedVersion::Any, events)
                            .await
                            .expect("append"),
                    );
                }
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.expect("task"));
    }
    let all = read_everything(&*log).await;
    assert_eq!(all.len(), 400);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1, "positions are dense");
    }
    for outcome in outcomes {
        assert_eq!(outcome.last_position - outcome.first_position, 4);
        let group = &all[outcome.first_position as usize - 1..outcome.last_position as usize];
        let prefix = |e: &RecordedEvent| {
            String::from_utf8_lossy(&e.payload)
                .rsplit_once('-')
                .map(|(p, _)| p.to_owned())
        };
        assert!(
            group.iter().all(|e| prefix(e) == prefix(&group[0])),
            "one append is stored contiguously"
        );
        assert_eq!(group[4].version - group[0].version, 4);
    }
}

pub async fn retry_returns_original_outcome<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    let events = vec![event("a"), event("b")];
    let original = log
        .append("s", ExpectedVersion::NoStream, events.clone())
        .await
        .expect("append");
    log.append("other", ExpectedVersion::Any, vec![event("c")])
        .await
        .expect("append");
    // However long after, and even though NoStream no longer holds, a re-send is harmless.
    let retried = log
        .append("s", ExpectedVersion::NoStream, events.clone())
        .await
        .expect("retry");
    assert_eq!(retried, original);
    assert_eq!(
        log.head_position().await.expect("head"),
        3,
        "a retry stores nothing"
    );
    // Re-sending concurrently with itself also stores once.
    let events = vec![event("d")];
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (log, events) = (log.clone(), events.clone());
            tokio::spawn(async move { log.append("s", ExpectedVersion::Any, events).await })
        })
        .collect();
    let mut seen = HashSet::new();
    for racer in racers {
        seen.insert(racer.await.expect("task").expect("append"));
    }
    assert_eq!(seen.len(), 1, "every re-send got the same outcome");
    assert_eq!(log.head_position().await.expect("head"), 4);
}

pub async fn reused_id_with_other_content_is_rejected<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    let a = event("a");
    let b = event("b");
    log.append("s", ExpectedVersion::Any, vec![a.clone(), b.clone()])
        .await
        .expect("append");
    let conflicts = [
        (
            "s",
            vec![
                NewEvent {
                    payload: Bytes::from_static(b"changed"),
                    ..a.clone()
                },
                b.clone(),
            ],
        ),
        ("other-stream", vec![a.clone(), b.clone()]),
        ("s", vec![a.clone()]),
        ("s", vec![event("new"), b.clone()]),
        ("s", vec![a.clone(), b.clone(), event("extra")]),
    ];
    for (stream, events) in conflicts {
        match log.append(stream, ExpectedVersion::Any, events).await {
            Err(LogError::IdempotencyConflict { .. }) => {}
            other => panic!("expected an idempotency conflict, got {other:?}"),
        }
    }
    assert_eq!(
        log.head_position().await.expect("head"),
        2,
        "conflicts store nothing"
    );
}

pub async fn invalid_input_stores_nothing<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    let too_many: Vec<_> = (0..=crate::limits::MAX_EVENTS_PER_APPEND)
        .map(|i| event(&i.to_string()))
        .collect();
    let cases: Vec<(&str, Vec<NewEvent>, &str)> = vec![
        ("", vec![event("x")], "stream"),
        ("bad/name", vec![event("x")], "stream"),
        ("s", vec![], "events"),
        ("s", too_many, "events"),
        (
            "s",
            vec![NewEvent {
                event_type: String::new(),
                ..event("x")
            }],
            "events[0].event_type",
        ),
        (
            "s",
            vec![NewEvent {
                event_id: Uuid::nil(),
                ..event("x")
            }],
            "events[0].event_id",
        ),
        (
            "s",
            vec![
                event("ok"),
                NewEvent {
                    payload: Bytes::from(vec![7; crate::limits::MAX_PAYLOAD_BYTES + 1]),
                    ..event("x")
                },
            ],
            "events[1].payload",
        ),
    ];
    for (stream, events, field) in cases {
        match log.append(stream, ExpectedVersion::Any, events).await {
            Err(LogError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("expected Invalid({field}), got {other:?}"),
        }
    }
    assert_eq!(log.head_position().await.expect("head"), 0);
    assert!(log.read_all(0, 0).await.expect("read").is_empty());
}

pub async fn reads_are_paged<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    log.append("big", ExpectedVersion::Any, numbered(0..1000))
        .await
        .expect("append 1000");
    log.append("big", ExpectedVersion::Any, numbered(1000..1200))
        .await
        .expect("append");
    assert_eq!(log.read_all(0, 10).await.expect("page").len(), 10);
    assert_eq!(
        log.read_all(0, 0).await.expect("default page").len(),
        crate::limits::DEFAULT_PAGE_SIZE
    );
    assert_eq!(
        log.read_all(0, 100_000).await.expect("capped page").len(),
        crate::limits::MAX_PAGE_SIZE
    );
    let tail = log.read_all(1190, 100).await.expect("tail");
    assert_eq!(
        tail.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1191..=1200).collect::<Vec<_>>()
    );
    let middle = log
        .read_stream("big", 500, 3, Direction::Forwards)
        .await
        .expect("stream page");
    assert_eq!(payloads(&middle), ["500", "501", "502"]);
    assert_eq!(
        log.read_stream("big", 0, 100_000, Direction::Forwards)
            .await
            .expect("capped")
            .len(),
        crate::limits::MAX_PAGE_SIZE
    );
}

pub async fn backwards_reads<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    log.append("s", ExpectedVersion::Any, numbered(0..5))
        .await
        .expect("append");
    log.append("t", ExpectedVersion::Any, vec![event("other")])
        .await
        .expect("append");
    let back = log
        .read_stream("s", 3, 0, Direction::Backwards)
        .await
        .expect("backwards");
    assert_eq!(payloads(&back), ["3", "2", "1", "0"]);
    let from_end = log
        .read_stream("s", u64::MAX, 2, Direction::Backwards)
        .await
        .expect("from the end");
    assert_eq!(payloads(&from_end), ["4", "3"]);
    assert!(
        log.read_stream("none", u64::MAX, 0, Direction::Backwards)
            .await
            .expect("missing")
            .is_empty()
    );
}

async fn next_event(stream: &mut crate::EventStream) -> RecordedEvent {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the subscription delivered in time")
        .expect("the subscription is open")
        .expect("no error")
}

pub async fn subscription_catches_up_then_goes_live<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    log.append("s", ExpectedVersion::Any, numbered(0..3))
        .await
        .expect("append");
    let mut from_start = log.subscribe(0);
    let mut from_middle = log.subscribe(2);
    for expected in 1..=3 {
        assert_eq!(next_event(&mut from_start).await.position, expected);
    }
    assert_eq!(next_event(&mut from_middle).await.position, 3);
    log.append("s", ExpectedVersion::Any, vec![event("live")])
        .await
        .expect("append");
    let live = next_event(&mut from_start).await;
    assert_eq!(
        (
            live.position,
            payloads(std::slice::from_ref(&live))[0].as_str()
        ),
        (4, "live")
    );
    assert_eq!(next_event(&mut from_middle).await.position, 4);
    let mut from_head = log.subscribe(4);
    log.append("s", ExpectedVersion::Any, vec![event("later")])
        .await
        .expect("append");
    assert_eq!(next_event(&mut from_head).await.position, 5);
    assert_eq!(next_event(&mut from_start).await.position, 5);
    // Nothing more is pending: no duplicate arrives.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), from_start.next())
            .await
            .is_err(),
        "no duplicate delivery"
    );
}

pub async fn exact_version_race_has_one_winner<H: Harness>() {
    let h = H::start().await;
    let log = h.log();
    log.append("contested", ExpectedVersion::NoStream, vec![event("0")])
        .await
        .expect("append");
    let racers: Vec<_> = (0..32)
        .map(|i| {
            let log = log.clone();
            tokio::spawn(async move {
                log.append(
                    "contested",
                    ExpectedVersion::Exact(0),
                    vec![event(&format!("racer-{i}"))],
                )
                .await
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        match racer.await.expect("task") {
            Ok(outcome) => {
                winners += 1;
                assert_eq!(outcome.first_version, 1);
            }
            Err(LogError::WrongExpectedVersion { actual, .. }) => assert_eq!(actual, Some(1)),
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(winners, 1, "exactly one append with Exact(0) wins");
    assert_eq!(
        log.read_stream("contested", 0, 0, Direction::Forwards)
            .await
            .expect("read")
            .len(),
        2
    );
}

pub async fn subscribers_see_every_event_once_during_concurrent_appends<H: Harness>() {
    const WRITERS: usize = 8;
    const APPENDS: usize = 40;
    let h = H::start().await;
    let log = h.log();
    log.append("warm-up", ExpectedVersion::Any, vec![event("w")])
        .await
        .expect("append");
    let total = 1 + WRITERS * APPENDS * 2;
    let subscriber = |after: u64| {
        let mut stream = log.subscribe(after);
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while seen.len() + (after as usize) < total {
                seen.push(next_event(&mut stream).await);
            }
            seen
        })
    };
    let early = [subscriber(0), subscriber(1)];
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..APPENDS {
                    let stream = format!("writer-{w}");
                    log.append(
                        &stream,
                        ExpectedVersion::Any,
                        vec![event(&format!("{w}-{i}-a")), event(&format!("{w}-{i}-b"))],
                    )
                    .await
                    .expect("append");
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let late = subscriber(0);
    for writer in writers {
        writer.await.expect("writer");
    }
    for (i, sub) in early.into_iter().chain([late]).enumerate() {
        let seen = sub.await.expect("subscriber");
        let first = seen.first().map_or(0, |e| e.position);
        for (k, e) in seen.iter().enumerate() {
            assert_eq!(
                e.position,
                first + k as u64,
                "subscriber {i} sees positions in order without gaps"
            );
        }
        let ids: HashSet<_> = seen.iter().map(|e| e.event_id).collect();
        assert_eq!(ids.len(), seen.len(), "subscriber {i} sees no event twice");
        assert_eq!(seen.last().map(|e| e.position), Some(total as u64));
    }
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    Append {
        stream: usize,
        expected: ExpectedVersion,
        count: usize,
    },
    /// Re-send the `nth` earlier append (modulo how many there were).
    Resend {
        nth: usize,
    },
    ReadStream {
        stream: usize,
        from: u64,
        max: usize,
        backwards: bool,
    },
    ReadAll {
        after: u64,
        max: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let expected = prop_oneof![
        Just(ExpectedVersion::Any),
        Just(ExpectedVersion::NoStream),
        Just(ExpectedVersion::StreamExists),
        (0u64..6).prop_map(ExpectedVersion::Exact),
    ];
    prop_oneof![
        4 => (0usize..3, expected, 1usize..4).prop_map(|(stream, expected, count)| Op::Append { stream, expected, count }),
        1 => (0usize..20).prop_map(|nth| Op::Resend { nth }),
        1 => (0usize..3, 0u64..8, 0usize..5, any::<bool>()).prop_map(|(stream, from, max, backwards)| Op::ReadStream { stream, from, max, backwards }),
        1 => (0u64..20, 0usize..5).prop_map(|(after, max)| Op::ReadAll { after, max }),
    ]
}

/// The simplest log that could work: a vector. The backend must agree with it.
#[derive(Default)]
struct Model {
    events: Vec<(String, u64, Uuid)>,
    appends: Vec<(String, Vec<NewEvent>, AppendOutcome)>,
}

impl Model {
    fn stream_head(&self, stream: &str) -> Option<u64> {
        self.events
            .iter()
            .rev()
            .find(|(s, _, _)| s == stream)
            .map(|(_, v, _)| *v)
    }
    fn append(
        &mut self,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendOutcome, Option<u64>> {
        let actual = self.stream_head(stream);
        if !expected.admits(actual) {
            return Err(actual);
        }
        let first_version = actual.map_or(0, |v| v + 1);
        let first_position = self.events.len() as u64 + 1;
        for (i, e) in events.iter().enumerate() {
            self.events
                .push((stream.to_owned(), first_version + i as u64, e.event_id));
        }
        let outcome = AppendOutcome {
            first_version,
            last_version: first_version + events.len() as u64 - 1,
            first_position,
            last_position: self.events.len() as u64,
        };
        self.appends
            .push((stream.to_owned(), events.to_vec(), outcome));
        Ok(outcome)
    }
}

/// Random histories of appends, re-sends and reads give the same answers as the model.
pub fn matches_the_model<H: Harness>() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40))| {
        runtime.block_on(async {
            let h = H::start().await;
            let log = h.log();
            let mut model = Model::default();
            let streams = ["alpha", "beta", "gamma"];
            for op in ops {
                match op {
                    Op::Append { stream, expected, count } => {
                        let events: Vec<_> = (0..count).map(|i| event(&i.to_string())).collect();
                        let got = log.append(streams[stream], expected, events.clone()).await;
                        match (model.append(streams[stream], expected, &events), got) {
                            (Ok(want), Ok(got)) => assert_eq!(got, want),
                            (Err(actual), Err(LogError::WrongExpectedVersion { actual: got, .. })) => assert_eq!(got, actual),
                            (want, got) => panic!("model says {want:?}, log says {got:?}"),
                        }
                    }
                    Op::Resend { nth } => {
                        if model.appends.is_empty() { continue; }
                        let (stream, events, want) = model.appends[nth % model.appends.len()].clone();
                        let got = log.append(&stream, ExpectedVersion::NoStream, events).await.expect("a re-send succeeds");
                        assert_eq!(got, want);
                    }
                    Op::ReadStream { stream, from, max, backwards } => {
                        let direction = if backwards { Direction::Backwards } else { Direction::Forwards };
                        let got = log.read_stream(streams[stream], from, max, direction).await.expect("read");
                        let mut want: Vec<_> = model.events.iter().enumerate()
                            .filter(|(_, (s, v, _))| s == streams[stream] && if backwards { *v <= from } else { *v >= from })
                            .map(|(p, (_, v, id))| (p as u64 + 1, *v, *id))
                            .collect();
                        if backwards { want.reverse(); }
                        want.truncate(crate::limits::page_size(max));
                        assert_eq!(got.iter().map(|e| (e.position, e.version, e.event_id)).collect::<Vec<_>>(), want);
                    }
                    Op::ReadAll { after, max } => {
                        let got = log.read_all(after, max).await.expect("read_all");
                        let want: Vec<_> = model.events.iter().enumerate().skip(after as usize)
                            .take(crate::limits::page_size(max)).map(|(p, (_, _, id))| (p as u64 + 1, *id)).collect();
                        assert_eq!(got.iter().map(|e| (e.position, e.event_id)).collect::<Vec<_>>(), want);
                    }
                }
            }
            assert_eq!(log.head_position().await.expect("head"), model.events.len() as u64);
            let all = read_everything(&*log).await;
            let ids: HashMap<_, _> = all.iter().map(|e| (e.event_id, e.position)).collect();
            assert_eq!(ids.len(), all.len(), "every event stored once");
        });
    });
}
