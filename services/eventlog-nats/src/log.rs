//! [`NatsLog`]: the [`EventLog`] on one JetStream stream.
//!
//! An append takes its stream's last record (sequence, version, chain hash) from the
//! index the tailer keeps, checks idempotency and the expected version against it, and
//! publishes conditional on that sequence: one round trip, the publish and its
//! acknowledgement. The condition is what makes a stale index safe: if the stream has
//! moved on, nothing is stored and the append looks again, this time at the stream
//! leader (its subject's last message, with the index caught up at least to that
//! sequence). Only what the leader's view says is reported as a wrong version or an
//! idempotency conflict. Losing the race to another writer stores nothing; the append
//! looks again, and either finds its own events (a re-send racing itself: the original
//! outcome), a version that no longer admits it, or tries once more (`Any`,
//! `StreamExists`).
//!
//! Many appends are in flight at once on one connection (each waits only for its own
//! acknowledgement), so concurrent callers share the cluster's round trips and fsyncs.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream::Stream};
use async_trait::async_trait;
use eventlog::limits::{page_size, validate_append, validate_stream_name};
use eventlog::{
    AppendOutcome, Clock, Direction, EventLog, EventStream, ExpectedVersion, LogError, NewEvent,
    RecordedEvent,
};
use futures::StreamExt;
use tokio::sync::watch;

use crate::config::NatsConfig;
use crate::head::Heads;
use crate::index::Index;
use crate::publish::{Rejected, publish_append};
use crate::record::{self, GENESIS_HASH, StoredBody};
use crate::{read, stream};

/// How many times an append that keeps losing races looks again before giving up.
const MAX_RACES: usize = 64;

/// How long to wait before looking again after losing race number `race` (0, 1, …).
///
/// A clustered stream's leader refuses an append (10164) against a record it has
/// proposed but not yet applied, and reads do not show that record until it is applied.
/// Looking again at once finds the same last record and loses again: two partner
/// processes racing for one session spent all [`MAX_RACES`] tries in a fraction of a second
/// and answered "unavailable" with no fault at all (found by `tests/nats_faults.rs`).
/// Waiting a little, longer each time and jittered so racers fall out of step, gives the
/// proposal time to be applied; all the waits together stay near a second.
fn after_lost_race(race: usize) -> Duration {
    let base = Duration::from_micros(250 << race.min(6)).min(Duration::from_millis(16));
    let jitter = u64::from(uuid::Uuid::new_v4().as_u128() as u16) % 1000;
    base + Duration::from_micros(jitter)
}

/// Where an append learns its stream's last record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    /// This process's index: no round trip, but possibly behind the stream.
    Index,
    /// The stream leader, with the index caught up to what it said.
    Leader,
}

/// The log on a JetStream cluster. Cheap to clone; clones share one connection and one
/// index. The index is followed by a task on the runtime that connected, ended when the
/// last clone is dropped.
#[derive(Clone, Debug)]
pub struct NatsLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: NatsConfig,
    client: async_nats::Client,
    stream: Stream,
    shared: Arc<Shared>,
    tailer: tokio::task::JoinHandle<()>,
    heads: Heads,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tailer.abort();
    }
}

/// What the tailer has folded, and how far.
#[derive(Debug)]
pub(crate) struct Shared {
    index: RwLock<Index>,
    applied: watch::Sender<u64>,
    /// Damage the tailer found: reads and appends fail naming it from then on.
    failure: Mutex<Option<LogError>>,
}

impl NatsLog {
    /// Connects to `config.servers`, creates the stream if it does not exist, and starts
    /// following it.
    pub async fn connect(config: NatsConfig) -> Result<Self, LogError> {
        let client = stream::connect(&config).await?;
        let context = jetstream::new(client.clone());
        let stream = stream::ensure(&context, &config).await?;
        let shared = Arc::new(Shared {
            index: RwLock::new(Index::default()),
            applied: watch::Sender::new(0),
            failure: Mutex::new(None),
        });
        let tailer = tokio::spawn(tail(stream.clone(), shared.clone()));
        let heads = {
            let stream = stream.clone();
            let subjects = format!("{}.>", config.subject_prefix);
            Heads::start(move || {
                let (stream, subjects) = (stream.clone(), subjects.clone());
                async move { read::last_position(&stream, &subjects).await }
            })
        };
        tracing::debug!(servers = ?config.servers, stream = %config.stream, "JetStream log connected");
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                client,
                stream,
                shared,
                tailer,
                heads,
            }),
        })
    }

    /// The clock this log stamps appends with: the one to decide commands by.
    pub fn clock(&self) -> &Clock {
        &self.inner.config.clock
    }

    /// The configuration this log was opened with.
    pub fn config(&self) -> &NatsConfig {
        &self.inner.config
    }

    pub(crate) fn stream_handle(&self) -> Stream {
        self.inner.stream.clone()
    }

    /// Waits until this process's index has applied `position`.
    async fn caught_up_to(&self, position: u64) -> Result<(), LogError> {
        let shared = &self.inner.shared;
        let mut applied = shared.applied.subscribe();
        let waited = tokio::time::timeout(
            self.inner.config.request_timeout * 3,
            applied.wait_for(|p| *p >= position),
        )
        .await;
        if let Some(failure) = shared.failure() {
            return Err(failure);
        }
        match waited {
            Ok(Ok(_)) => Ok(()),
            _ => Err(LogError::Unavailable(format!(
                "the log's index has not reached position {position} in time"
            ))),
        }
    }

    async fn append_once(
        &self,
        stream_name: &str,
        subject: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
        look: Look,
    ) -> Result<Option<AppendOutcome>, LogError> {
        let (last_position, actual, last_hash) = match look {
            Look::Index => match self.inner.shared.read_index().last_of(stream_name) {
                Some((position, version, hash)) => (position, Some(version), hash),
                None => (0, None, GENESIS_HASH),
            },
            Look::Leader => {
                let last = match read::last_of(&self.inner.stream, subject).await? {
                    Some((position, decoded)) => {
                        (position, Some(decoded.event.version), decoded.chain_hash)
                    }
                    None => (0, None, GENESIS_HASH),
                };
                self.caught_up_to(last.0).await?;
                last
            }
        };
        match self.resent(stream_name, events) {
            Ok(Some(original)) => return Ok(Some(original)),
            Ok(None) => {}
            // The index may hold part of an append it is still folding: only the
            // leader's view decides a conflict.
            Err(_) if look == Look::Index => return Ok(None),
            Err(conflict) => return Err(conflict),
        }
        if !expected.admits(actual) {
            if look == Look::Index {
                // The index may be behind a version the caller already saw.
                return Ok(None);
            }
            return Err(LogError::WrongExpectedVersion {
                stream: stream_name.to_owned(),
                expected,
                actual,
            });
        }
        let first_version = actual.map_or(0, |v| v + 1);
        let recorded_at = self.inner.config.clock.now_unix_micros();
        let mut previous_hash = last_hash;
        let mut records = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let version = first_version + i as u64;
            let body = StoredBody {
                event_id: event.event_id.as_bytes().to_vec(),
                stream: stream_name.to_owned(),
                version,
                link: if i == 0 { last_position } else { 0 },
                event_type: event.event_type.clone(),
                payload: event.payload.clone(),
                metadata: event.metadata.clone(),
                recorded_at_unix_micros: recorded_at,
                append_index: i as u32,
                append_len: events.len() as u32,
            };
            let (payload, hash) = record::encode(&body, &previous_hash);
            previous_hash = hash;
            let mut headers = HeaderMap::new();
            // Readable without decoding: tools and operators see each record's place.
            headers.insert("Difacto-Version", version.to_string());
            headers.insert("Difacto-Event-Id", event.event_id.to_string());
            records.push((payload, headers));
        }
        match publish_append(&self.inner.client, subject, last_position, records).await {
            Ok(last_position) => {
                let count = events.len() as u64;
                Ok(Some(AppendOutcome {
                    first_version,
                    last_version: first_version + count - 1,
                    first_position: last_position + 1 - count,
                    last_position,
                }))
            }
            Err(Rejected::WrongLastSequence) => Ok(None),
            Err(Rejected::Failed(e)) => Err(e),
        }
    }

    /// The original outcome if `events` were already stored by one append to `stream`;
    /// an error if any of their ids is stored otherwise; `None` if none is stored.
    fn resent(&self, stream: &str, events: &[NewEvent]) -> Result<Option<AppendOutcome>, LogError> {
        let index = self.inner.shared.read_index();
        let mut found = None;
        for (i, event) in events.iter().enumerate() {
            let Some(entry) = index.id(&event.event_id) else {
                if found.is_some() {
                    return Err(LogError::IdempotencyConflict {
                        index: i,
                        event_id: event.event_id,
                    });
                }
                continue;
            };
            if i > 0 && found.is_none() {
                // The first event is not stored but a later one is: not a re-send.
                return Err(LogError::IdempotencyConflict {
                    index: i,
                    event_id: event.event_id,
                });
            }
            let first = *found.get_or_insert((entry.position, entry.version));
            let same = &*entry.stream == stream
                && entry.append_index as usize == i
                && entry.append_len as usize == events.len()
                && entry.position == first.0 + i as u64;
            if !same || entry.digest != record::new_event_digest(event) {
                return Err(LogError::IdempotencyConflict {
                    index: i,
                    event_id: event.event_id,
                });
            }
        }
        Ok(found.map(|(position, version)| {
            let count = events.len() as u64;
            AppendOutcome {
                first_version: version,
                last_version: version + count - 1,
                first_position: position,
                last_position: position + count - 1,
            }
        }))
    }

    fn check_health(&self) -> Result<(), LogError> {
        match self.inner.shared.failure() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

impl Shared {
    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn failure(&self) -> Option<LogError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn fail(&self, error: LogError) {
        tracing::error!(%error, "the JetStream log is damaged; it refuses appends and reads");
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
        // Wake every waiter so that it sees the failure.
        self.applied.send_modify(|_| {});
    }
}

/// How long the follower may deliver nothing while a read waits for the index before it
/// is started again. Once, on CI, after the node this process was connected to was
/// killed, the follower went silent without an error for the whole 20 s the node was
/// away, and as every read waits for the index (up to 3 × the request timeout), no
/// command was acknowledged meanwhile: the client's own missed-heartbeat check did not
/// bring it back.
const STALLED_AFTER: Duration = Duration::from_secs(2);

/// Follows the whole log into the index, from the start, for as long as the log is open.
async fn tail(stream: Stream, shared: Arc<Shared>) {
    loop {
        let after = shared.read_index().applied();
        let mut records = read::ordered_from(stream.clone(), after);
        loop {
            let next = match tokio::time::timeout(STALLED_AFTER, records.next()).await {
                Ok(Some(next)) => next,
                Ok(None) => break,
                // Quiet with nobody waiting: the log is idle.
                Err(_) if shared.applied.receiver_count() == 0 => continue,
                Err(_) => {
                    tracing::warn!(
                        after = shared.read_index().applied(),
                        "the JetStream follower delivered nothing while a read waited for it; \
                         starting it again"
                    );
                    break;
                }
            };
            let applied = match next {
                Ok((position, payload)) => record::decode(position, &payload).and_then(|decoded| {
                    let mut index = shared.index.write().unwrap_or_else(PoisonError::into_inner);
                    if position <= index.applied() {
                        // A consumer re-created after a failure may repeat what was seen.
                        return Ok(index.applied());
                    }
                    index.apply(&decoded).map(|()| position)
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "following the JetStream log; starting again");
                    break;
                }
            };
            match applied {
                Ok(position) => {
                    shared.applied.send_if_modified(|p| {
                        let moved = *p < position;
                        *p = position.max(*p);
                        moved
                    });
                }
                Err(damage) => {
                    shared.fail(damage);
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[async_trait]
impl EventLog for NatsLog {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError> {
        validate_append(stream, &events)?;
        let subject = self.inner.config.subject(stream);
        stream::validate_subject(&subject)?;
        self.check_health()?;
        for race in 0..MAX_RACES {
            let look = if race == 0 { Look::Index } else { Look::Leader };
            if let Some(outcome) = self
                .append_once(stream, &subject, expected, &events, look)
                .await?
            {
                return Ok(outcome);
            }
            // The first loss is most often this process's index lagging: ask the leader at
            // once. Later losses are other writers' proposals not yet applied: wait.
            if race > 0 {
                tokio::time::sleep(after_lost_race(race - 1)).await;
            }
        }
        Err(LogError::Unavailable(format!(
            "stream {stream}: lost the race to other writers {MAX_RACES} times; retry with the same event ids"
        )))
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        validate_stream_name(stream)?;
        self.check_health()?;
        let subject = self.inner.config.subject(stream);
        stream::validate_subject(&subject)?;
        // Everything acknowledged before this read began is in the index once it reaches
        // the head the leader names now (asked together with every other reader waiting).
        let head = self.inner.heads.head().await?;
        self.caught_up_to(head).await?;
        let positions = self.inner.shared.read_index().positions(
            stream,
            from_version,
            page_size(max_count),
            direction,
        );
        let records = read::many(&self.inner.stream, positions).await?;
        Ok(records.into_iter().map(|r| r.event).collect())
    }

    async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        self.check_health()?;
        let head = self.inner.heads.head().await?;
        if head <= after_position {
            return Ok(Vec::new());
        }
        let count = (head - after_position).min(page_size(max_count) as u64);
        let positions = (after_position + 1..=after_position + count).collect();
        let records = read::many(&self.inner.stream, positions).await?;
        Ok(records.into_iter().map(|r| r.event).collect())
    }

    fn subscribe(&self, after_position: u64) -> EventStream {
        let mut expected = after_position + 1;
        read::ordered_from(self.inner.stream.clone(), after_position)
            .map(move |next| {
                let (position, payload) = next?;
                if position != expected {
                    return Err(LogError::Corrupt {
                        position: expected,
                        reason: format!("record is missing (the next delivered is {position})"),
                    });
                }
                expected += 1;
                Ok(record::decode(position, &payload)?.event)
            })
            // After an error the subscription ends: a reader never skips past damage.
            .scan(false, |failed, item| {
                if *failed {
                    return futures::future::ready(None);
                }
                *failed = item.is_err();
                futures::future::ready(Some(item))
            })
            .boxed()
    }

    async fn head_position(&self) -> Result<u64, LogError> {
        self.check_health()?;
        self.inner.heads.head().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_after_lost_races_grow_and_stay_bounded() {
        assert!(after_lost_race(0) < Duration::from_millis(2));
        assert!(after_lost_race(10) >= Duration::from_millis(16));
        let all: Duration = (0..MAX_RACES).map(after_lost_race).sum();
        assert!(all < Duration::from_secs(2), "{all:?}");
    }
}
