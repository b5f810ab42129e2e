//! How far the log goes, as the stream leader says, asked once for every reader waiting.
//!
//! A read must see every append acknowledged before it began, in any process (DESIGN.md
//! §3), so it asks the stream leader for the log's head and waits for this process's
//! index to reach it. Asked once per read, that is a round trip each, and on a busy
//! process most of the requests the cluster serves (every node sees each one). Instead one
//! task asks on behalf of every reader that is waiting when it sends the request. A reader
//! that comes while a request is in flight waits for the next one, because the one in
//! flight may have been answered before the reader came and so miss an append it must see.
//! One request is in flight at a time: a reader waits at most two round trips, and the
//! leader sees at most one request per round trip from each process, however many read.

use std::future::Future;

use eventlog::LogError;
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

async fn serve<F, Fut>(mut readers: mpsc::UnboundedReceiver<Answer>, ask: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<u64, LogError>>,
{
    while let Some(first) = readers.recv().await {
        // Everyone already waiting came before the request below is sent: one answer
        // serves them all.
        let mut waiting = vec![first];
        while let Ok(next) = readers.try_recv() {
            waiting.push(next);
        }
        let head = ask().await;
        for reader in waiting {
            // A reader that gave up waiting needs no answer.
            let _ = reader.send(head.clone());
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
