//! How far the log goes, as the stream leader says, asked once for every reader waiting.
//!
//! A read must see every append acknowledged before it began, in any process (DESIGN.md
//! §3), so it asks the stream leader for the log's head and waits for this process's
//! index to reach it. Asked once per read, that is a round trip each, and on a busy
//! process most of the requests the cluster serves (every node sees each one). Instead one
//! task asks on behalf of every reader that is waiting when it sends the request. A reader
//! that comes while a request is in flight waits for the next one, because the one in
//! flight may have been answered before the reader came and so miss an append it must see.
//! One request is in flight at a time (unless it goes unanswered for long, see
//! [`ASK_AGAIN_AFTER`]): a reader waits at most two round trips, and the leader sees at
//! most one request per round trip from each process, however many read.

use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, Instant};

use eventlog::LogError;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

type Answer = oneshot::Sender<Result<u64, LogError>>;

/// Asks for the log's head on behalf of every reader waiting. The asking task ends when
/// this value is dropped.
#[derive(Debug)]
pub(crate) struct Heads {
    waiting: mpsc::UnboundedSender<Answer>,
    asker: JoinHandle<()>,
}

impl Drop for Heads {
    fn drop(&mut self) {
        self.asker.abort();
    }
}

impl Heads {
    /// Starts the task that answers readers with what `ask` returns; `ask` must look at the
    /// log when it is called, not before.
    pub fn start<F, Fut>(ask: F) -> Self
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<u64, LogError>> + Send + 'static,
    {
        let (waiting, readers) = mpsc::unbounded_channel();
        let asker = tokio::spawn(serve(readers, ask));
        Self { waiting, asker }
    }

    /// The log's head as of a moment after this call began.
    pub async fn head(&self) -> Result<u64, LogError> {
        let (answer, answered) = oneshot::channel();
        let closed = || LogError::Unavailable("the log is closing".into());
        self.waiting.send(answer).map_err(|_| closed())?;
        answered.await.map_err(|_| closed())?
    }
}

/// How long the newest request may go unanswered before readers waiting are asked for
/// again without waiting for it. A request that reached a node just killed, or a leader
/// just deposed, is never answered: waiting out its timeout stalled every read in the
/// process for that long (found by `tests/nats_faults.rs`). Answers normally take a few
/// milliseconds, so this adds requests only when something is wrong, one per interval.
const ASK_AGAIN_AFTER: Duration = Duration::from_millis(200);

async fn serve<F, Fut>(mut readers: mpsc::UnboundedReceiver<Answer>, ask: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<u64, LogError>>,
{
    // Readers are numbered as they come; a request answers every reader numbered up to
    // the count when it was sent (all of them came before it).
    let mut waiting: VecDeque<(u64, Answer)> = VecDeque::new();
    let mut arrived = 0_u64;
    let mut asked_for = 0_u64;
    let mut newest_sent = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    loop {
        let overdue = newest_sent.elapsed() >= ASK_AGAIN_AFTER;
        if (arrived > asked_for && in_flight.is_empty()) || (!waiting.is_empty() && overdue) {
            asked_for = arrived;
            newest_sent = Instant::now();
            let head = ask();
            in_flight.push(async move { (arrived, head.await) });
        }
        tokio::select! {
            reader = readers.recv() => {
                let Some(reader) = reader else { return };
                arrived += 1;
                waiting.push_back((arrived, reader));
                // Everyone already waiting is served by the same request.
                while let Ok(next) = readers.try_recv() {
                    arrived += 1;
                    waiting.push_back((arrived, next));
                }
            }
            Some((covers, head)) = in_flight.next(), if !in_flight.is_empty() => {
                // A failure leaves readers that a newer request covers to that request.
                if head.is_err() && covers < asked_for {
                    continue;
                }
                while waiting.front().is_some_and(|(n, _)| *n <= covers) {
                    if let Some((_, reader)) = waiting.pop_front() {
                        // A reader that gave up waiting needs no answer.
                        let _ = reader.send(head.clone());
                    }
                }
            }
            () = tokio::time::sleep_until((newest_sent + ASK_AGAIN_AFTER).into()),
                if !waiting.is_empty() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::Duration;

    /// A stand-in leader: `acknowledged` appends so far, and how many times it was asked.
    #[derive(Default)]
    struct Leader {
        acknowledged: AtomicU64,
        asked: AtomicU64,
    }

    fn heads_of(leader: &Arc<Leader>) -> Heads {
        let leader = leader.clone();
        Heads::start(move || {
            let leader = leader.clone();
            async move {
                leader.asked.fetch_add(1, Ordering::SeqCst);
                // The leader answers with its state when the request arrives, and the
                // answer takes a while to come back: appends acknowledged meanwhile are
                // not in it.
                let head = leader.acknowledged.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok(head)
            }
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_reader_sees_what_was_acknowledged_before_it_asked_and_readers_share_requests() {
        let leader = Arc::new(Leader::default());
        let heads = Arc::new(heads_of(&leader));
        let writer = {
            let leader = leader.clone();
            tokio::spawn(async move {
                for _ in 0..400 {
                    leader.acknowledged.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_micros(100)).await;
                }
            })
        };
        let readers: Vec<_> = (0..32)
            .map(|_| {
                let (leader, heads) = (leader.clone(), heads.clone());
                tokio::spawn(async move {
                    for _ in 0..20 {
                        let before = leader.acknowledged.load(Ordering::SeqCst);
                        let head = heads.head().await.expect("a head");
                        assert!(head >= before, "read {head}, but {before} was acknowledged");
                    }
                })
            })
            .collect();
        for reader in readers {
            reader.await.expect("reader");
        }
        writer.await.expect("writer");
        let asked = leader.asked.load(Ordering::SeqCst);
        assert!(
            asked < 32 * 20 / 4,
            "640 reads asked the leader {asked} times"
        );
    }

    #[tokio::test]
    async fn a_request_never_answered_does_not_hold_readers_up() {
        let asked = Arc::new(AtomicU64::new(0));
        let heads = {
            let asked = asked.clone();
            Heads::start(move || {
                let first = asked.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    if first {
                        // Sent to a node that was killed: no answer, ever.
                        std::future::pending::<()>().await;
                    }
                    Ok(9)
                }
            })
        };
        let began = std::time::Instant::now();
        let stuck = heads.head();
        let later = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            heads.head().await
        };
        let (stuck, later) =
            tokio::time::timeout(Duration::from_secs(5), async { tokio::join!(stuck, later) })
                .await
                .expect("readers answered without waiting for the lost request");
        assert_eq!((stuck.expect("head"), later.expect("head")), (9, 9));
        assert!(
            began.elapsed() < ASK_AGAIN_AFTER * 3,
            "{:?}",
            began.elapsed()
        );
    }

    #[tokio::test]
    async fn a_failed_look_reaches_every_reader_and_the_next_look_is_asked_again() {
        let failing = Arc::new(AtomicBool::new(true));
        let heads = {
            let failing = failing.clone();
            Heads::start(move || {
                let failing = failing.clone();
                async move {
                    if failing.swap(false, Ordering::SeqCst) {
                        Err(LogError::Unavailable("no leader".into()))
                    } else {
                        Ok(7)
                    }
                }
            })
        };
        assert!(matches!(heads.head().await, Err(LogError::Unavailable(_))));
        assert_eq!(heads.head().await.expect("the leader is back"), 7);
    }
}
