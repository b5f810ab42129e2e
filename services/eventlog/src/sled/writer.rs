//! The write path: one thread judges and applies appends, a second flushes to disk.
//!
//! Appends queue to the *writer* thread, which takes every queued append at once (a
//! group), checks each against the stream heads and the id index, assigns versions and
//! positions, and applies the whole group as one sled batch. It hands the group's replies
//! to the *flusher* thread and goes on with the next group while the flush runs. The
//! flusher takes every group that arrived during its last flush, flushes once, publishes the
//! new durable head and only then replies. So many appends share one flush (group commit),
//! no caller hears "stored" before its bytes are on disk, and readers, who never read past
//! the durable head, never see an event that a crash could take back.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::index::StreamIndex;
use super::keys;
use crate::clock::Clock;
use crate::error::LogError;
use crate::event::{AppendOutcome, ExpectedVersion, NewEvent};
use crate::record::{self, StoredBody};

/// The longest a flush waits for the rest of a wave of callers (see `flush_loop`).
const COALESCE_WINDOW: Duration = Duration::from_micros(1000);
/// The most events one group applies in one batch; keeps a batch's memory bounded.
const MAX_GROUP_EVENTS: usize = 8192;

pub(super) type Reply = oneshot::Sender<Result<AppendOutcome, LogError>>;

pub(super) struct AppendJob {
    pub stream: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub reply: Reply,
}

/// A group applied to sled, waiting for a flush before its replies go out.
struct Applied {
    head: u64,
    replies: Vec<(Reply, Result<AppendOutcome, LogError>)>,
}

/// Counters that show how well group commit works: events made durable per flush.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub flushes: std::sync::atomic::AtomicU64,
    pub groups: std::sync::atomic::AtomicU64,
}

/// Set once storage has failed: the writer's in-memory head can no longer be trusted, so
/// every later append is refused until the process restarts and recovers from disk.
#[derive(Debug, Default)]
pub(super) struct Poison(AtomicBool);

impl Poison {
    pub(super) fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where the log ends: what the next append builds on.
pub(super) struct Tail {
    pub head: u64,
    pub last_hash: [u8; 32],
    /// The last record's time (`i64::MIN` for an empty log). Readers cut the log by time
    /// (`asOf`) assuming times never go back along it, so no append is stamped earlier.
    pub recorded_at: i64,
}

pub(super) struct Writer {
    pub db: sled::Db,
    pub tree: sled::Tree,
    pub head: u64,
    pub last_hash: [u8; 32],
    last_recorded_at: i64,
    clock: Clock,
    pub poison: Arc<Poison>,
    /// Every stream's positions, shared with the readers (see `index`).
    streams: Arc<StreamIndex>,
    /// Every stored event id and its position: the idempotency index (see `index`).
    ids: HashMap<Uuid, u64>,
}

/// What the group so far has added, which sled cannot show yet because the batch is
/// applied only at the end of the group.
#[derive(Default)]
struct GroupOverlay {
    stream_heads: HashMap<String, u64>,
    /// Positions added to each stream, in version order.
    appended: HashMap<String, Vec<u64>>,
    ids: HashMap<Uuid, u64>,
    bodies: HashMap<u64, StoredBody>,
}

impl Writer {
    pub fn new(
        db: sled::Db,
        tree: sled::Tree,
        tail: Tail,
        poison: Arc<Poison>,
        streams: Arc<StreamIndex>,
        ids: HashMap<Uuid, u64>,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            tree,
            head: tail.head,
            last_hash: tail.last_hash,
            last_recorded_at: tail.recorded_at,
            clock,
            poison,
            streams,
            ids,
        }
    }

    /// Runs the writer loop until every sender is gone, then lets the flusher finish.
    pub fn spawn(
        mut self,
        mut jobs: mpsc::Receiver<AppendJob>,
        durable: watch::Sender<u64>,
        counters: Arc<Counters>,
    ) -> std::io::Result<[std::thread::JoinHandle<()>; 2]> {
        let (to_flusher, flusher_rx) = std::sync::mpsc::channel::<Applied>();
        let db = self.db.clone();
        let poison = self.poison.clone();
        let flusher = std::thread::Builder::new()
            .name("difacto-log-flush".into())
            .spawn(move || flush_loop(db, flusher_rx, durable, poison, counters))?;
        let writer = std::thread::Builder::new()
            .name("difacto-log-write".into())
            .spawn(move || {
                // Like the flusher, the writer waits briefly for the rest of a wave of
                // callers, so that a wave becomes one sled batch rather than several.
                let mut peak_callers = 1usize;
                while let Some(first) = jobs.blocking_recv() {
                    let mut group = vec![first];
                    let mut events = group[0].events.len();
                    let deadline = Instant::now() + COALESCE_WINDOW;
                    while events < MAX_GROUP_EVENTS {
                        match jobs.try_recv() {
                            Ok(job) => {
                                events += job.events.len();
                                group.push(job);
                            }
                            Err(mpsc::error::TryRecvError::Empty)
                                if group.len() * 16 < peak_callers * 15
                                    && Instant::now() < deadline =>
                            {
                                std::thread::sleep(Duration::from_micros(20));
                            }
                            Err(_) => break,
                        }
                    }
                    peak_callers = group.len().max(peak_callers - peak_callers / 16);
                    let applied = self.apply_group(group);
                    if to_flusher.send(applied).is_err() {
                        break;
                    }
                }
            })?;
        Ok([writer, flusher])
    }

    fn apply_group(&mut self, mut group: Vec<AppendJob>) -> Applied {
        let start = (self.head, self.last_hash, self.last_recorded_at);
        let mut batch = sled::Batch::default();
        let mut overlay = GroupOverlay::default();
        let mut results = Vec::with_capacity(group.len());
        for job in &mut group {
            let result = if self.poison.is_set() {
                Err(LogError::Storage(
                    "this log stopped accepting appends after a storage failure or damage; see its process log".into(),
                ))
            } else {
                self.prepare(job, &mut batch, &mut overlay)
            };
            results.push(result);
        }
        if self.head != start.0 {
            batch.insert(keys::HEAD, keys::head_value(self.head, &self.last_hash));
            if let Err(err) = self.tree.apply_batch(batch) {
                tracing::error!(error = %err, "applying a group to sled failed; the log stops accepting appends");
                self.poison.set();
                (self.head, self.last_hash, self.last_recorded_at) = start;
                for result in &mut results {
                    if result.is_ok() {
                        *result = Err(LogError::Storage(err.to_string()));
                    }
                }
            } else {
                // Readers see these positions only once the flusher says they are durable.
                self.streams.extend(overlay.appended);
                self.ids.extend(overlay.ids);
            }
        }
        Applied {
            head: self.head,
            replies: group
                .into_iter()
                .map(|job| job.reply)
                .zip(results)
                .collect(),
        }
    }

    /// Judges one append against the log plus the group so far; on success adds its
    /// records to `batch` and advances the head.
    fn prepare(
        &mut self,
        job: &mut AppendJob,
        batch: &mut sled::Batch,
        overlay: &mut GroupOverlay,
    ) -> Result<AppendOutcome, LogError> {
        // The limits were checked by `SledLog::append` before the job was queued.
        if let Some(original) = self.find_original(job, overlay)? {
            return Ok(original);
        }
        let actual = self.stream_head(&job.stream, overlay)?;
        if !job.expected.admits(actual) {
            return Err(LogError::WrongExpectedVersion {
                stream: job.stream.clone(),
                expected: job.expected,
                actual,
            });
        }
        let first_version = actual.map_or(0, |v| v + 1);
        let first_position = self.head + 1;
        let recorded_at = self.clock.now_unix_micros().max(self.last_recorded_at);
        self.last_recorded_at = recorded_at;
        let append_len =
            u32::try_from(job.events.len()).map_err(|_| LogError::invalid("events", "too many"))?;
        // The job's fields move into the stored bodies: the job only needs its reply now.
        for (i, event) in job.events.iter_mut().enumerate() {
            let position = first_position + i as u64;
            let version = first_version + i as u64;
            let body = StoredBody {
                event_id: event.event_id.as_bytes().to_vec(),
                stream: job.stream.clone(),
                version,
                link: position,
                event_type: std::mem::take(&mut event.event_type),
                payload: std::mem::take(&mut event.payload),
                metadata: std::mem::take(&mut event.metadata),
                recorded_at_unix_micros: recorded_at,
                append_index: i as u32,
                append_len,
            };
            let (stored, hash) = record::encode(&body, &self.last_hash);
            batch.insert(&keys::record(position), stored);
            overlay
                .appended
                .entry(job.stream.clone())
                .or_default()
                .push(position);
            overlay.ids.insert(event.event_id, position);
            overlay.bodies.insert(position, body);
            self.last_hash = hash;
            self.head = position;
        }
        let last_version = first_version + job.events.len() as u64 - 1;
        overlay
            .stream_heads
            .insert(job.stream.clone(), last_version);
        Ok(AppendOutcome {
            first_version,
            last_version,
            first_position,
            last_position: self.head,
        })
    }

    fn stream_head(&self, stream: &str, overlay: &GroupOverlay) -> Result<Option<u64>, LogError> {
        Ok(overlay
            .stream_heads
            .get(stream)
            .copied()
            .or_else(|| self.streams.head(stream)))
    }

    fn position_of(&self, id: &Uuid, overlay: &GroupOverlay) -> Option<u64> {
        overlay.ids.get(id).or_else(|| self.ids.get(id)).copied()
    }

    fn body_at(&self, position: u64, overlay: &GroupOverlay) -> Result<StoredBody, LogError> {
        if let Some(body) = overlay.bodies.get(&position) {
            return Ok(body.clone());
        }
        let stored = self
            .tree
            .get(keys::record(position))?
            .ok_or_else(|| LogError::Corrupt {
                position,
                reason: "indexed record is missing".into(),
            })?;
        let decoded = record::decode(position, &stored)?;
        Ok(StoredBody {
            event_id: decoded.event.event_id.as_bytes().to_vec(),
            stream: decoded.event.stream,
            version: decoded.event.version,
            link: position,
            event_type: decoded.event.event_type,
            payload: decoded.event.payload,
            metadata: decoded.event.metadata,
            recorded_at_unix_micros: decoded.event.recorded_at_unix_micros,
            append_index: decoded.append_index,
            append_len: decoded.append_len,
        })
    }

    /// If this append was stored before (its first event id is known), returns the
    /// original outcome, provided the re-sent append is exactly the original one.
    fn find_original(
        &self,
        job: &AppendJob,
        overlay: &GroupOverlay,
    ) -> Result<Option<AppendOutcome>, LogError> {
        let mut first_position = None;
        for (i, event) in job.events.iter().enumerate() {
            match (i, self.position_of(&event.event_id, overlay)) {
                (0, Some(p)) => first_position = Some(p),
                (0, None) => {}
                // Part of the append is stored and part is not: not a re-send of one append.
                (_, found) if found.is_some() != first_position.is_some() => {
                    return Err(LogError::IdempotencyConflict {
                        index: i,
                        event_id: event.event_id,
                    });
                }
                _ => {}
            }
        }
        let Some(first_position) = first_position else {
            return Ok(None);
        };
        let mut first_version = 0;
        let mut last_version = 0;
        for (i, event) in job.events.iter().enumerate() {
            let body = self.body_at(first_position + i as u64, overlay)?;
            let same = body.event_id == event.event_id.as_bytes()
                && body.stream == job.stream
                && body.event_type == event.event_type
                && body.payload == event.payload
                && body.metadata == event.metadata
                && body.append_index as usize == i
                && body.append_len as usize == job.events.len();
            if !same {
                return Err(LogError::IdempotencyConflict {
                    index: i,
                    event_id: event.event_id,
                });
            }
            if i == 0 {
                first_version = body.version;
            }
            last_version = body.version;
        }
        Ok(Some(AppendOutcome {
            first_version,
            last_version,
            first_position,
            last_position: first_position + job.events.len() as u64 - 1,
        }))
    }
}

fn flush_loop(
    db: sled::Db,
    groups: std::sync::mpsc::Receiver<Applied>,
    durable: watch::Sender<u64>,
    poison: Arc<Poison>,
    counters: Arc<Counters>,
) {
    // Callers waiting on a flush come back in a wave, and the first group holds only the
    // quickest of them. Waiting briefly for the rest lets one flush serve the whole wave.
    // The target is the recent peak wave (decaying, so the wait stops when load drops),
    // not the last one, which would let waves shrink step by step.
    let mut peak_callers = 1usize;
    while let Ok(first) = groups.recv() {
        let mut pending = vec![first];
        pending.extend(groups.try_iter());
        let deadline = Instant::now() + COALESCE_WINDOW;
        while callers(&pending) * 16 < peak_callers * 15 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            match groups.recv_timeout(left) {
                Ok(group) => {
                    pending.push(group);
                    pending.extend(groups.try_iter());
                }
                Err(_) => break,
            }
        }
        peak_callers = callers(&pending).max(peak_callers - peak_callers / 16);
        counters.flushes.fetch_add(1, Ordering::Relaxed);
        counters
            .groups
            .fetch_add(pending.len() as u64, Ordering::Relaxed);
        let head = pending.iter().map(|group| group.head).max().unwrap_or(0);
        let flushed = db.flush().map(|_| ()).map_err(|err| err.to_string());
        match &flushed {
            Ok(()) => {
                durable.send_if_modified(|current| {
                    let advanced = head > *current;
                    *current = (*current).max(head);
                    advanced
                });
            }
            Err(err) => {
                tracing::error!(error = %err, "flushing the log failed; the log stops accepting appends");
                poison.set();
            }
        }
        for group in pending {
            for (reply, result) in group.replies {
                let result = match (&flushed, result) {
                    (Err(err), Ok(_)) => Err(LogError::Storage(err.clone())),
                    (_, result) => result,
                };
                // A caller that gave up waiting is no reason to stop: its events are stored.
                let _ = reply.send(result);
            }
        }
    }
}

fn callers(groups: &[Applied]) -> usize {
    groups.iter().map(|group| group.replies.len()).sum()
}

#[cfg(test)]
mod tests {
    use crate::{Clock, EventLog, ExpectedVersion, NewEvent, SledConfig, SledLog};

    fn event() -> NewEvent {
        NewEvent {
            event_id: uuid::Uuid::new_v4(),
            event_type: "difacto.v1.Test".into(),
            payload: bytes::Bytes::from_static(b"x"),
            metadata: Default::default(),
        }
    }

    async fn stamp(log: &SledLog) -> i64 {
        let outcome = log
            .append("s", ExpectedVersion::Any, vec![event()])
            .await
            .expect("append");
        let read = log
            .read_all(outcome.first_position - 1, 1)
            .await
            .expect("read");
        read[0].recorded_at_unix_micros
    }

    #[tokio::test]
    async fn appends_carry_the_clocks_time_and_never_go_back_even_after_a_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        let clock = Clock::system();
        let mut config = SledConfig::new(dir.path());
        config.clock = clock.clone();
        let log = SledLog::open(&config).expect("open");
        clock.hold(2_000_000);
        assert_eq!(stamp(&log).await, 2_000_000);
        clock.hold(5_000_000);
        assert_eq!(stamp(&log).await, 5_000_000);
        // A clock set back does not take the log back with it.
        clock.hold(3_000_000);
        assert_eq!(stamp(&log).await, 5_000_000);
        log.close().await.expect("close");
        drop(log);

        let reopened = SledLog::open(&config).expect("reopen");
        clock.hold(1_000_000);
        assert_eq!(stamp(&reopened).await, 5_000_000);
        clock.follow_system();
        assert!(stamp(&reopened).await > 5_000_000);
    }
}
