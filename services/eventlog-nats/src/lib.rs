//! difacto's event log on NATS JetStream (DESIGN.md §3.8): the same [`eventlog::EventLog`]
//! contract as the sled log, on a replicated cluster, checked by the same conformance suite.
//!
//! - One JetStream stream holds the whole log; each difacto stream is the subject
//!   `difacto.ev.<stream>`, so the stream sequence is the global position.
//! - `record` is a message's payload: checksum, the per-stream hash chain, the body.
//! - `publish` sends one append: a message, or an atomic batch for several events, each
//!   conditional on the subject's last sequence (expected version).
//! - `index` is what a process folds from the whole log (stream versions, event ids: the
//!   idempotency check with no time window), kept current by a tailer in `log`.
//! - `read` reads by position from the stream leader, or follows the stream in order.
//! - `head` asks the stream leader how far the log goes, once for every reader waiting:
//!   a read waits for the index to get there, so it sees every acknowledged append.
//! - [`NatsLog::verify`] is `difacto verify --log nats://…`.
//! - `testing` (feature `testing`) starts real `nats-server` processes on loopback.

mod config;
mod head;
mod index;
mod log;
mod publish;
mod read;
mod record;
mod stream;
mod verify;

#[cfg(feature = "testing")]
pub mod testing;

pub use config::{DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, NatsConfig};
pub use log::NatsLog;
