//! The values that cross the log's API: what a writer appends and what a reader gets back.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use uuid::Uuid;

/// Free-form string pairs stored with each event (actor, organisation, correlation and
/// causation ids). Sorted so that equal maps encode to equal bytes, which idempotency
/// compares.
pub type Metadata = BTreeMap<String, String>;

/// An event as a writer proposes it. The writer chooses `event_id`: it is the key that
/// makes a re-sent append harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: Bytes,
    pub metadata: Metadata,
}

/// An event as the log stored it: the writer's fields plus where it landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream: String,
    /// 0, 1, 2, … dense within `stream`.
    pub version: u64,
    /// 1, 2, 3, … dense across the whole log, in commit order.
    pub position: u64,
    pub event_type: String,
    pub payload: Bytes,
    pub metadata: Metadata,
    pub recorded_at_unix_micros: i64,
}

/// What the writer believes about the stream before its append; a mismatch stores nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectedVersion {
    /// No check: append whatever the stream holds.
    Any,
    /// The stream must not exist yet (the first event of an aggregate).
    NoStream,
    /// The stream must hold at least one event.
    StreamExists,
    /// The stream's last event must have exactly this version (optimistic concurrency).
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream whose last version is `actual` (`None`: no stream) satisfies this.
    pub fn admits(self, actual: Option<u64>) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual.is_none(),
            Self::StreamExists => actual.is_some(),
            Self::Exact(v) => actual == Some(v),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::NoStream => f.write_str("no stream"),
            Self::StreamExists => f.write_str("stream exists"),
            Self::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// Where an acknowledged append landed. A re-sent append gets the same answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppendOutcome {
    pub first_version: u64,
    pub last_version: u64,
    pub first_position: u64,
    pub last_position: u64,
}

/// Which way a stream read walks from its starting version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forwards,
    Backwards,
}

/// Renders "no stream" or the version, for error messages about a stream's actual state.
pub(crate) fn describe_version(actual: Option<u64>) -> String {
    actual.map_or_else(|| "no stream".to_owned(), |v| format!("version {v}"))
}
