//! The trait every backend implements: sled in-process, a remote `difacto serve log`
//! over gRPC, and later JetStream. Callers hold an `Arc<dyn EventLog>` and never know which.

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::error::LogError;
use crate::event::{AppendOutcome, Direction, ExpectedVersion, NewEvent, RecordedEvent};

/// Every event from a position on, in position order: first those already stored, then
/// each new one as it becomes durable. Ends only on error or when the log shuts down.
pub type EventStream = BoxStream<'static, Result<RecordedEvent, LogError>>;

/// An append-only, durable, totally ordered log of events grouped into streams.
///
/// The contract (DESIGN.md §3) is checked for every backend by
/// [`crate::conformance`]; in short:
/// - `append` stores all of `events` contiguously or nothing, only if `expected` holds,
///   and returns only once they are durable. Re-sending an append with the same event ids
///   returns the original outcome and stores nothing.
/// - Positions are dense from 1 and readers never see a hole fill in later.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// Appends `events` (1..=1000) to `stream`, atomically.
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError>;

    /// Up to `max_count` events of `stream` (0: the default page), starting at
    /// `from_version` inclusive. Backwards from a version past the end starts at the end.
    async fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError>;

    /// Up to `max_count` events (0: the default page) with positions after `after_position`.
    async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError>;

    /// Catch up from `after_position`, then follow live appends with no gap or duplicate.
    fn subscribe(&self, after_position: u64) -> EventStream;

    /// The position of the last durable event (0 for an empty log).
    async fn head_position(&self) -> Result<u64, LogError>;
}
