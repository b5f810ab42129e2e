//! Keeping the read model up to date: a subscription to the log from the last
//! checkpoint, batches folded under a short write lock, a checkpoint written now and
//! then (and at shutdown) so a restart resumes instead of replaying everything, and
//! `asOf` answered by a replay cut at that time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use eventlog::{EventLog, LogError};
use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, StreamExt};
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

use crate::checkpoint::Checkpoint;
use crate::error::{GatewayError, Result};
use crate::model::ReadModel;

/// How many events one write lock folds at most, so queries never wait long.
const BATCH: usize = 2048;
/// A checkpoint is written when this much time has passed since the last one…
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);
/// …or when this many events arrived since, whichever comes first.
const CHECKPOINT_AFTER_EVENTS: u64 = 250_000;
/// How many `asOf` replays are kept for the next request at the same time.
const AS_OF_CACHE: usize = 2;
/// How many replays run at once.
const REPLAYS_AT_ONCE: usize = 1;
/// Clocks of appending processes may disagree by this much; a replay cut at time t reads
/// on until events are this much later than t.
const CLOCK_SKEW: i64 = 5 * 60 * 1_000_000;

/// The read model a query answers from: the live one, or a replay cut at `asOf`.
#[derive(Clone)]
pub enum ModelRef {
    Live(Arc<RwLock<ReadModel>>),
    AsOf(Arc<ReadModel>, DateTime<Utc>),
}

impl std::fmt::Debug for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Live(_) => f.write_str("ModelRef::Live"),
            Self::AsOf(_, at) => write!(f, "ModelRef::AsOf({at})"),
        }
    }
}

impl ModelRef {
    /// Runs `f` on the model. Views compute owned answers inside `f`, so no lock is held
    /// across an `.await`.
    pub fn read<R>(&self, f: impl FnOnce(&ReadModel) -> R) -> R {
        match self {
            Self::Live(model) => {
                let guard = model
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                f(&guard)
            }
            Self::AsOf(model, _) => f(model),
        }
    }

    /// The date facts are placed in the tree on when a view is not told otherwise.
    pub fn date(&self) -> chrono::NaiveDate {
        match self {
            Self::Live(_) => Utc::now().date_naive(),
            Self::AsOf(_, at) => at.date_naive(),
        }
    }
}

/// The live read model and what keeps it current.
pub struct Projection {
    model: Arc<RwLock<ReadModel>>,
    log: Arc<dyn EventLog>,
    checkpoint: Option<Checkpoint>,
    position: watch::Sender<u64>,
    replays: Arc<Replays>,
    pub stats: ProjectionStats,
}

/// `asOf` replays: the latest few kept, one in flight per instant (shared by everyone who
/// asks for it meanwhile), and one running at a time.
struct Replays {
    log: Arc<dyn EventLog>,
    cache: Mutex<Vec<(DateTime<Utc>, Arc<ReadModel>)>>,
    in_flight: Mutex<HashMap<DateTime<Utc>, SharedReplay>>,
    /// Replays run one at a time (two at once would only share the CPU), each taking a
    /// permit for itself alone; the queue is first come, first served.
    running: Semaphore,
    /// Counted into [`ProjectionStats::as_of_replays`].
    done: Arc<AtomicU64>,
}

type SharedReplay = Shared<BoxFuture<'static, Result<Arc<ReadModel>>>>;

/// A request's turn at the replayer: a request that names two instants waits here for
/// its first replay to end before its second joins the shared queue, so requests that
/// arrived meanwhile go first and no request holds the replayer for two replays in a row.
/// The schema's cost extension puts one in every request.
#[derive(Debug, Default)]
pub struct ReplayTurn(tokio::sync::Mutex<()>);

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projection")
            .field("position", &*self.position.borrow())
            .finish_non_exhaustive()
    }
}

/// Counters `/metrics` reports.
#[derive(Debug, Default)]
pub struct ProjectionStats {
    pub events_applied: std::sync::atomic::AtomicU64,
    pub checkpoints_written: std::sync::atomic::AtomicU64,
    pub as_of_replays: Arc<AtomicU64>,
    /// Where the model started: the checkpoint's position (0: replayed from zero).
    pub resumed_from: std::sync::atomic::AtomicU64,
}

impl Projection {
    /// Starts from the checkpoint in `checkpoint_dir` if there is one that belongs to
    /// this log, else from an empty model (a replay from zero).
    pub async fn open(log: Arc<dyn EventLog>, checkpoint_dir: Option<PathBuf>) -> Self {
        let checkpoint = checkpoint_dir.map(Checkpoint::new);
        let model = match &checkpoint {
            Some(checkpoint) => checkpoint.load_for(log.as_ref()).await,
            None => None,
        }
        .unwrap_or_default();
        let (position, _) = watch::channel(model.position);
        let stats = ProjectionStats::default();
        stats
            .resumed_from
            .store(model.position, std::sync::atomic::Ordering::Relaxed);
        Self {
            model: Arc::new(RwLock::new(model)),
            replays: Arc::new(Replays {
                log: log.clone(),
                cache: Mutex::new(Vec::new()),
                in_flight: Mutex::new(HashMap::new()),
                running: Semaphore::new(REPLAYS_AT_ONCE),
                done: stats.as_of_replays.clone(),
            }),
            log,
            checkpoint,
            position,
            stats,
        }
    }

    pub fn live(&self) -> ModelRef {
        ModelRef::Live(self.model.clone())
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    pub fn position(&self) -> u64 {
        *self.position.borrow()
    }

    /// Waits until the model has folded `position` (a mutation's own events, so the
    /// caller reads what they wrote), or `timeout` passes. True when it got there.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut rx = self.position.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Folds the log into the model until `shutdown`, then writes a last checkpoint.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut last_checkpoint = (Instant::now(), self.position());
        loop {
            let mut stream = self.log.subscribe(self.position()).ready_chunks(BATCH);
            loop {
                let batch = tokio::select! {
                    () = shutdown.cancelled() => {
                        self.write_checkpoint().await;
                        return;
                    }
                    batch = stream.next() => batch,
                };
                let Some(batch) = batch else { break };
                let failed = self.fold(batch);
                let position = self.position();
                if last_checkpoint.0.elapsed() >= CHECKPOINT_EVERY && position > last_checkpoint.1
                    || position >= last_checkpoint.1 + CHECKPOINT_AFTER_EVENTS
                {
                    self.write_checkpoint().await;
                    last_checkpoint = (Instant::now(), position);
                }
                if let Some(err) = failed {
                    tracing::warn!(error = %err, "read model subscription failed; resubscribing");
                    break;
                }
            }
            // The stream ended (the log is shutting down) or failed: try again shortly.
            tokio::select! {
                () = shutdown.cancelled() => {
                    self.write_checkpoint().await;
                    return;
                }
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Folds what arrived; returns the error that ended the batch, if any.
    fn fold(&self, batch: Vec<Result<eventlog::RecordedEvent, LogError>>) -> Option<LogError> {
        let mut failed = None;
        let position = {
            let mut model = self.model.write().unwrap_or_else(|p| p.into_inner());
            for item in batch {
                match item {
                    Ok(event) => {
                        let _span = applying(&event).map(tracing::Span::entered);
                        model.apply(&event);
                    }
                    Err(err) => {
                        failed = Some(err);
                        break;
                    }
                }
            }
            model.position
        };
        let before = self.position.send_replace(position);
        self.stats.events_applied.fetch_add(
            position.saturating_sub(before),
            std::sync::atomic::Ordering::Relaxed,
        );
        failed
    }

    /// Waits until the model has caught up with the log's head as it is now.
    pub async fn catch_up(&self, timeout: Duration) -> Result<()> {
        let head = self
            .log
            .head_position()
            .await
            .map_err(GatewayError::internal)?;
        if self.wait_for(head, timeout).await {
            Ok(())
        } else {
            Err(GatewayError::internal(format!(
                "the read model did not reach position {head} within {timeout:?}"
            )))
        }
    }

    pub async fn write_checkpoint(&self) {
        let Some(checkpoint) = &self.checkpoint else {
            return;
        };
        let bytes = {
            let model = self.model.read().unwrap_or_else(|p| p.into_inner());
            if model.position == 0 {
                return;
            }
            Checkpoint::encode(&model)
        };
        match bytes {
            Ok(bytes) => match checkpoint.write(bytes).await {
                Ok(()) => {
                    self.stats
                        .checkpoints_written
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "could not write the read model checkpoint")
                }
            },
            Err(err) => tracing::warn!(error = %err, "could not encode the read model checkpoint"),
        }
    }

    /// The model as the log stood at `at`: the live one if nothing was recorded since,
    /// else a replay of every event recorded up to `at`.
    pub async fn as_of(&self, at: DateTime<Utc>) -> Result<ModelRef> {
        self.as_of_in_turn(at, None).await
    }

    /// [`Projection::as_of`] for a request that waits its `turn` before joining the
    /// queue of replays.
    pub async fn as_of_in_turn(
        &self,
        at: DateTime<Utc>,
        turn: Option<&ReplayTurn>,
    ) -> Result<ModelRef> {
        let newest = self.live().read(|m| m.last_recorded_at);
        if newest.is_none_or(|newest| newest <= at) {
            return Ok(self.live());
        }
        if let Some(model) = self.replays.cached(at) {
            return Ok(ModelRef::AsOf(model, at));
        }
        let _turn = match turn {
            Some(turn) => Some(turn.0.lock().await),
            None => None,
        };
        let model = self.replays.clone().start(at).await?;
        Ok(ModelRef::AsOf(model, at))
    }
}

impl Replays {
    fn cached(&self, at: DateTime<Utc>) -> Option<Arc<ReadModel>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.iter().find(|(t, _)| *t == at).map(|(_, m)| m.clone())
    }

    /// The replay for `at`: the one in flight, or a new one. It runs as a task of its own,
    /// so it ends (and frees its memory) even if everyone who asked has gone.
    fn start(self: Arc<Self>, at: DateTime<Utc>) -> SharedReplay {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(model) = self.cached(at) {
            return futures::future::ready(Ok(model)).boxed().shared();
        }
        if let Some(replay) = in_flight.get(&at) {
            return replay.clone();
        }
        let this = self.clone();
        let task = tokio::spawn(async move {
            let result = match this.running.acquire().await {
                Ok(_permit) => replay_until(this.log.as_ref(), at).await.map(Arc::new),
                Err(err) => Err(GatewayError::internal(err)),
            };
            // Cached before it leaves the in-flight map, under that map's lock, so a
            // request finds it in one or the other.
            let mut in_flight = this.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if let Ok(model) = &result {
                this.done.fetch_add(1, Ordering::Relaxed);
                let mut cache = this.cache.lock().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= AS_OF_CACHE {
                    cache.remove(0);
                }
                cache.push((at, model.clone()));
            }
            in_flight.remove(&at);
            result
        });
        let replay = async move {
            task.await
                .unwrap_or_else(|err| Err(GatewayError::internal(err)))
        }
        .boxed()
        .shared();
        in_flight.insert(at, replay.clone());
        replay
    }
}

/// Every event recorded at or before `at`, folded from zero: the definition of `asOf`.
pub async fn replay_until(log: &dyn EventLog, at: DateTime<Utc>) -> Result<ReadModel> {
    let cut = at.timestamp_micros();
    let mut model = ReadModel::default();
    let mut after = 0;
    loop {
        let page = log
            .read_all(after, 4096)
            .await
            .map_err(GatewayError::internal)?;
        let Some(last) = page.last() else {
            return Ok(model);
        };
        after = last.position;
        for event in &page {
            if event.recorded_at_unix_micros <= cut {
                model.apply(event);
            } else if event.recorded_at_unix_micros > cut.saturating_add(CLOCK_SKEW) {
                return Ok(model);
            }
        }
    }
}

/// Every event up to `position`, folded from zero.
pub async fn replay_to(log: &dyn EventLog, position: u64) -> Result<ReadModel> {
    let mut model = ReadModel::default();
    while model.position < position {
        let page = log
            .read_all(model.position, 4096)
            .await
            .map_err(GatewayError::internal)?;
        if page.is_empty() {
            break;
        }
        for event in page.iter().take_while(|e| e.position <= position) {
            model.apply(event);
        }
        if page.last().is_some_and(|e| e.position >= position) {
            break;
        }
    }
    Ok(model)
}

/// How old an event may be and still have its application traced: a replay of the past
/// (a start without a checkpoint) would otherwise add a span to every old trace.
const TRACED_WITHIN_MICROS: i64 = 60_000_000;

/// The span of folding `event`, in the trace of the command that recorded it, when spans
/// are exported and the event is recent and carries a trace context
/// (`envelope::meta::TRACEPARENT`).
fn applying(event: &eventlog::RecordedEvent) -> Option<tracing::Span> {
    if !telemetry::init::exporting() {
        return None;
    }
    let traceparent = event
        .metadata
        .get(domain::envelope::meta::TRACEPARENT)
        .map(String::as_str)
        .and_then(domain::envelope::traceparent)?;
    if Utc::now().timestamp_micros() - event.recorded_at_unix_micros > TRACED_WITHIN_MICROS {
        return None;
    }
    let span = tracing::info_span!(
        "projection.apply",
        otel.name = "projection.apply",
        position = event.position,
        event_type = %event.event_type,
    );
    telemetry::propagation::continue_from_traceparent(&span, traceparent);
    Some(span)
}
