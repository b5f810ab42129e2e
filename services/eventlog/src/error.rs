//! One error type for every backend. Each variant says how a caller should react.

use uuid::Uuid;

use crate::event::{ExpectedVersion, describe_version};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// The request broke a documented limit; nothing was stored. Fix the request, do not retry.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },

    /// Optimistic concurrency lost; nothing was stored. Reload the stream and decide again.
    #[error("stream {stream}: expected {expected}, but it is at {}", describe_version(*actual))]
    WrongExpectedVersion {
        stream: String,
        expected: ExpectedVersion,
        /// The stream's last version when the append was judged (`None`: no stream).
        actual: Option<u64>,
    },

    /// An event id already stored is being re-used for other content or another append.
    /// A bug in the writer: event ids must be fresh for new events.
    #[error("events[{index}].event_id: {event_id} is already stored with different content")]
    IdempotencyConflict { index: usize, event_id: Uuid },

    /// A stored record failed its checksum or the hash chain. Never returned as data; the
    /// operator should run `difacto verify` and restore from a replica or backup.
    #[error("corrupt record at position {position}: {reason}")]
    Corrupt { position: u64, reason: String },

    /// The storage engine failed (disk full, I/O error). The outcome of an append that got
    /// this error is unknown: retry it with the same event ids, which is always safe.
    #[error("storage failure: {0}")]
    Storage(String),

    /// The caller's token does not allow using the log (remote backends only).
    #[error("access to the log denied: {0}")]
    Denied(String),

    /// The log is shutting down or lost its connection; retry against a live instance with
    /// the same event ids.
    #[error("log unavailable: {0}")]
    Unavailable(String),
}

impl LogError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<sled::Error> for LogError {
    fn from(err: sled::Error) -> Self {
        Self::Storage(err.to_string())
    }
}
