//! The embedded backend: the whole log in one sled tree, written through a group-commit
//! pipeline (`writer`) and read up to the durable head only.

mod index;
mod keys;
mod verify;
mod writer;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};

pub use verify::VerifyReport;

use crate::clock::Clock;
use crate::error::LogError;
use crate::event::{AppendOutcome, Direction, ExpectedVersion, NewEvent, RecordedEvent};
use crate::limits::{page_size, validate_append, validate_stream_name};
use crate::log::{EventLog, EventStream};
use crate::record::{self, GENESIS_HASH};

pub(crate) const TREE_NAME: &str = "difacto-log";
/// Appends that may wait for the writer before callers feel back-pressure.
const QUEUE_DEPTH: usize = 4096;

/// How to open a sled log. sled's page cache grows to its default (1 GiB) unless told, so
/// the size is always set explicitly.
#[derive(Debug, Clone)]
pub struct SledConfig {
    pub path: PathBuf,
    /// Bytes of sled page cache.
    pub cache_capacity: u64,
    /// zstd-compress pages on disk: fewer disk bytes per logical byte for some CPU.
    pub compression: bool,
    /// The time stamped on each append; hand the same clock to whoever decides commands
    /// against this log ([`SledLog::clock`]).
    pub clock: Clock,
}

impl SledConfig {
    /// The defaults: a 256 MiB cache, uncompressed pages and the system's time.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            cache_capacity: 256 * 1024 * 1024,
            compression: false,
            clock: Clock::system(),
        }
    }
}

/// The log stored in a sled database on local disk. Cheap to clone; all clones share one
/// writer. Open one per directory: sled locks it against a second process.
#[derive(Clone, Debug)]
pub struct SledLog {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    tree: sled::Tree,
    /// Taken by `close`, so that the writer drains what is queued and stops.
    jobs: Mutex<Option<mpsc::Sender<writer::AppendJob>>>,
    /// The last position known to be on disk; readers never go past it.
    durable: watch::Receiver<u64>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    path: PathBuf,
    counters: Arc<writer::Counters>,
    /// The head when this process opened the log, so stats count only its own work.
    opened_at_head: u64,
    /// Every stream's positions (see `index`).
    streams: Arc<index::StreamIndex>,
    clock: Clock,
}

/// How group commit has worked since the log was opened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogStats {
    pub flushes: u64,
    /// Groups (one sled batch each) that the flushes covered.
    pub groups: u64,
    /// Events made durable since opening.
    pub events: u64,
}

impl LogStats {
    pub fn events_per_flush(&self) -> f64 {
        self.events as f64 / self.flushes.max(1) as f64
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledLog")
            .field("path", &self.path)
            .field("durable", &*self.durable.borrow())
            .finish()
    }
}

impl SledLog {
    /// Opens (or creates) the log at `config.path` and starts its writer.
    pub fn open(config: &SledConfig) -> Result<Self, LogError> {
        let db = open_db(config)?;
        let tree = db.open_tree(TREE_NAME)?;
        let (head, last_hash) = match tree.get(keys::HEAD)? {
            Some(value) => keys::parse_head(&value).ok_or_else(|| LogError::Corrupt {
                position: 0,
                reason: "the head record is malformed".into(),
            })?,
            None => (0, GENESIS_HASH),
        };
        let mut recorded_at = i64::MIN;
        if head > 0 {
            // The last record must be the one the head names, or the tail was damaged.
            let stored = tree
                .get(keys::record(head))?
                .ok_or_else(|| LogError::Corrupt {
                    position: head,
                    reason: "the head names a record that is missing".into(),
                })?;
            let decoded = record::decode(head, &stored)?;
            if decoded.chain_hash != last_hash {
                return Err(LogError::Corrupt {
                    position: head,
                    reason: "the head's hash differs from the record's".into(),
                });
            }
            recorded_at = decoded.event.recorded_at_unix_micros;
        }
        let (jobs_tx, jobs_rx) = mpsc::channel(QUEUE_DEPTH);
        let (durable_tx, durable_rx) = watch::channel(head);
        let poison = Arc::new(writer::Poison::default());
        let counters = Arc::new(writer::Counters::default());
        let (streams, ids) = index::rebuild(&tree)?;
        if let Some(position) = streams.damaged_at() {
            // Appending after damage would build on a history nobody can check.
            tracing::error!(
                position,
                "the log is damaged; it serves reads up to the damage and refuses appends"
            );
            poison.set();
        }
        let streams = Arc::new(streams);
        let threads = writer::Writer::new(
            db.clone(),
            tree.clone(),
            writer::Tail {
                head,
                last_hash,
                recorded_at,
            },
            poison,
            streams.clone(),
            ids,
            config.clock.clone(),
        )
        .spawn(jobs_rx, durable_tx, counters.clone())
        .map_err(|e| LogError::Storage(format!("cannot start the log's writer: {e}")))?;
        tracing::debug!(path = %config.path.display(), head, "sled log opened");
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                tree,
                jobs: Mutex::new(Some(jobs_tx)),
                durable: durable_rx,
                threads: Mutex::new(threads.into()),
                path: config.path.clone(),
                counters,
                opened_at_head: head,
                streams,
                clock: config.clock.clone(),
            }),
        })
    }

    /// The clock this log stamps appends with: the one to decide commands by.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Stops taking appends, finishes and flushes those already queued, and waits for the
    /// writer. Appends after this get `Unavailable`; live subscriptions end.
    pub async fn close(&self) -> Result<(), LogError> {
        self.inner
            .jobs
            .lock()
            .map_err(|_| LogError::Unavailable("log lock poisoned".into()))?
            .take();
        let threads = std::mem::take(
            &mut *self
                .inner
                .threads
                .lock()
                .map_err(|_| LogError::Unavailable("log lock poisoned".into()))?,
        );
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
            db.flush()
        })
        .await
        .map_err(|e| LogError::Storage(format!("closing the log: {e}")))??;
        Ok(())
    }

    /// Checks every record's checksum, the hash chain, the density of positions and the
    /// indexes. Reads the whole log.
    pub fn verify(&self) -> Result<VerifyReport, LogError> {
        verify::verify(&self.inner.tree)
    }

    /// The benchmarks' reference: walks every stored record without decoding or checking
    /// it. Returns the number of records and their stored bytes.
    pub fn scan_raw(&self) -> Result<(u64, u64), LogError> {
        let mut records = 0;
        let mut bytes = 0;
        for entry in self.inner.tree.scan_prefix(b"R") {
            let (_, value) = entry?;
            records += 1;
            bytes += value.len() as u64;
        }
        Ok((records, bytes))
    }

    /// Flushes, groups and events since this log was opened.
    pub fn stats(&self) -> LogStats {
        use std::sync::atomic::Ordering::Relaxed;
        LogStats {
            flushes: self.inner.counters.flushes.load(Relaxed),
            groups: self.inner.counters.groups.load(Relaxed),
            events: self.durable_head() - self.inner.opened_at_head,
        }
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, LogError> {
        Ok(self.inner.db.size_on_disk()?)
    }

    fn durable_head(&self) -> u64 {
        *self.inner.durable.borrow()
    }

    fn record_at(&self, position: u64) -> Result<RecordedEvent, LogError> {
        let stored = self
            .inner
            .tree
            .get(keys::record(position))?
            .ok_or_else(|| LogError::Corrupt {
                position,
                reason: "an indexed record is missing".into(),
            })?;
        Ok(record::decode(position, &stored)?.event)
    }

    fn read_all_sync(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let durable = self.durable_head();
        let Some(first) = after_position.checked_add(1).filter(|p| *p <= durable) else {
            return Ok(Vec::new());
        };
        let last = durable.min(after_position.saturating_add(page_size(max_count) as u64));
        let mut stored = Vec::with_capacity((last - first + 1) as usize);
        for (expected, entry) in (first..=last).zip(
            self.inner
                .tree
                .range(keys::record(first)..=keys::record(last)),
        ) {
            let (key, value) = entry?;
            if keys::u64_suffix(&key) != Some(expected) {
                return Err(LogError::Corrupt {
                    position: expected,
                    reason: "record is missing".into(),
                });
            }
            stored.push(value);
        }
        if stored.len() as u64 != last - first + 1 {
            return Err(LogError::Corrupt {
                position: first + stored.len() as u64,
                reason: "record is missing".into(),
            });
        }
        decode_page(first, &stored)
    }

    fn read_stream_sync(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        validate_stream_name(stream)?;
        let durable = self.durable_head();
        let limit = page_size(max_count);
        let positions =
            self.inner
                .streams
                .positions(stream, from_version, limit, direction, durable)?;
        let mut events = Vec::with_capacity(positions.len());
        for position in positions {
            events.push(self.record_at(position)?);
        }
        Ok(events)
    }
}

/// Below this many records a page is decoded on the calling thread.
const PARALLEL_DECODE_MIN: usize = 256;

/// Decodes records stored at consecutive positions from `first`. Walking sled is
/// sequential, but checking and decoding the records is not: a large page (a replay, a
/// projection catching up) is split across two threads, which nearly halves its time.
fn decode_page(first: u64, stored: &[sled::IVec]) -> Result<Vec<RecordedEvent>, LogError> {
    let decode_run = |start: usize, run: &[sled::IVec]| -> Result<Vec<RecordedEvent>, LogError> {
        run.iter()
            .enumerate()
            .map(|(i, value)| Ok(record::decode(first + (start + i) as u64, value)?.event))
            .collect()
    };
    if stored.len() < PARALLEL_DECODE_MIN {
        return decode_run(0, stored);
    }
    let middle = stored.len() / 2;
    let (front, back) = stored.split_at(middle);
    std::thread::scope(|scope| {
        let back = scope.spawn(|| decode_run(middle, back));
        let mut events = decode_run(0, front)?;
        let back = back
            .join()
            .map_err(|_| LogError::Storage("a decoding thread panicked".into()))??;
        events.extend(back);
        Ok(events)
    })
}

fn is_lock_error(err: &sled::Error) -> bool {
    matches!(err, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock"))
}

/// How long opening waits for a lock that a closing log in this process may still hold:
/// sled's I/O threads release the directory a moment after the last handle is dropped.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn open_db(config: &SledConfig) -> Result<sled::Db, LogError> {
    let open = || {
        sled::Config::new()
            .path(&config.path)
            .cache_capacity(config.cache_capacity)
            .use_compression(config.compression)
            .mode(sled::Mode::HighThroughput)
            // Durability is the log's own business: it flushes before every acknowledgement.
            .flush_every_ms(None)
            .open()
    };
    let started = std::time::Instant::now();
    let mut result = open();
    while result.as_ref().is_err_and(is_lock_error) && started.elapsed() < LOCK_WAIT {
        std::thread::sleep(std::time::Duration::from_millis(20));
        result = open();
    }
    result.map_err(|err| {
        if is_lock_error(&err) {
            LogError::Unavailable(format!(
                "{} is in use by another process (sled holds a lock on it)",
                config.path.display()
            ))
        } else {
            LogError::Storage(format!("cannot open {}: {err}", config.path.display()))
        }
    })
}

#[async_trait]
impl EventLog for SledLog {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError> {
        validate_append(stream, &events)?;
        let sender = self
            .inner
            .jobs
            .lock()
            .map_err(|_| LogError::Unavailable("log lock poisoned".into()))?
            .clone()
            .ok_or_else(|| LogError::Unavailable("the log is closed".into()))?;
        let (reply, answer) = oneshot::channel();
        sender
            .send(writer::AppendJob {
                stream: stream.to_owned(),
                expected,
                events,
                reply,
            })
            .await
            .map_err(|_| LogError::Unavailable("the log is closed".into()))?;
        answer
            .await
            .map_err(|_| LogError::Unavailable("the log stopped before answering".into()))?
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        self.read_stream_sync(stream, from_version, max_count, direction)
    }

    async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        self.read_all_sync(after_position, max_count)
    }

    fn subscribe(&self, after_position: u64) -> EventStream {
        struct State {
            log: SledLog,
            durable: watch::Receiver<u64>,
            last: u64,
            buffered: VecDeque<RecordedEvent>,
            failed: bool,
        }
        let state = State {
            durable: self.inner.durable.clone(),
            log: self.clone(),
            last: after_position,
            buffered: VecDeque::new(),
            failed: false,
        };
        futures::stream::unfold(state, |mut state| async move {
            loop {
                if state.failed {
                    return None;
                }
                if let Some(event) = state.buffered.pop_front() {
                    return Some((Ok(event), state));
                }
                let durable = *state.durable.borrow_and_update();
                if durable > state.last {
                    match state.log.read_all_sync(state.last, 0) {
                        Ok(page) => {
                            state.last = page.last().map_or(state.last, |e| e.position);
                            state.buffered.extend(page);
                            continue;
                        }
                        Err(err) => {
                            state.failed = true;
                            return Some((Err(err), state));
                        }
                    }
                }
                // The log closed: end the subscription.
                if state.durable.changed().await.is_err() {
                    return None;
                }
            }
        })
        .boxed()
    }

    async fn head_position(&self) -> Result<u64, LogError> {
        Ok(self.durable_head())
    }
}

/// Opens `path` read-only for `difacto verify` and checks it. Fails if another process
/// holds the log.
pub fn verify_path(path: &Path, cache_capacity: u64) -> Result<VerifyReport, LogError> {
    let config = SledConfig {
        path: path.to_owned(),
        cache_capacity,
        compression: false,
        clock: Clock::system(),
    };
    let db = open_db(&config)?;
    let tree = db.open_tree(TREE_NAME)?;
    verify::verify(&tree)
}
