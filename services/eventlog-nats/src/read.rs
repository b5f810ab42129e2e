//! Reading records back: by position from the stream leader (what a read needs to see
//! every acknowledged append), or as an ordered stream from a position on (catch-up then
//! live; the client re-creates its consumer from the last sequence it saw after any
//! failure, so nothing is skipped or repeated).

use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
use async_nats::jetstream::stream::{LastRawMessageErrorKind, RawMessageErrorKind, Stream};
use bytes::Bytes;
use eventlog::LogError;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};

use crate::record::{self, Decoded};

/// How many reads by position are in flight at once for one page.
const READ_CONCURRENCY: usize = 64;

/// The record at `position`, checked.
pub(crate) async fn at(stream: &Stream, position: u64) -> Result<Decoded, LogError> {
    let message = stream
        .get_raw_message(position)
        .await
        .map_err(|e| match e.kind() {
            RawMessageErrorKind::NoMessageFound => LogError::Corrupt {
                position,
                reason: "record is missing".into(),
            },
            _ => LogError::Unavailable(format!("reading position {position}: {e}")),
        })?;
    record::decode(position, &message.payload)
}

/// The records at `positions`, in that order.
pub(crate) async fn many(stream: &Stream, positions: Vec<u64>) -> Result<Vec<Decoded>, LogError> {
    futures::stream::iter(positions)
        .map(|p| at(stream, p))
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await
}

/// The last record of `subject` and its position, if the subject has any.
pub(crate) async fn last_of(
    stream: &Stream,
    subject: &str,
) -> Result<Option<(u64, Decoded)>, LogError> {
    match stream.get_last_raw_message_by_subject(subject).await {
        Ok(message) => {
            let decoded = record::decode(message.sequence, &message.payload)?;
            Ok(Some((message.sequence, decoded)))
        }
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(LogError::Unavailable(format!(
            "reading the last record of {subject}: {e}"
        ))),
    }
}

/// The position of the last record in the log.
pub(crate) async fn head(stream: &Stream) -> Result<u64, LogError> {
    let info = stream
        .get_info()
        .await
        .map_err(|e| LogError::Unavailable(format!("reading the log's head: {e}")))?;
    Ok(info.state.last_sequence)
}

/// The position of the last record on any of `subjects` (the stream's own wildcard: the
/// log's head), asked of the stream leader as a message get, or 0 for an empty log.
///
/// Readers ask this rather than [`head`] (`STREAM.INFO`): with a follower stopped, the
/// stream's info went unanswered for as long as it was away and every read in the
/// process stalled (found by `tests/nats_faults.rs`), while a message get, which reads
/// relied on before, is answered throughout.
pub(crate) async fn last_position(stream: &Stream, subjects: &str) -> Result<u64, LogError> {
    match stream.get_last_raw_message_by_subject(subjects).await {
        Ok(message) => Ok(message.sequence),
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(0),
        Err(e) => Err(LogError::Unavailable(format!(
            "reading the log's head: {e}"
        ))),
    }
}

/// How long one pull of a follower waits on an idle stream (see [`ordered_from`]).
const FOLLOW_EXPIRES: std::time::Duration = std::time::Duration::from_secs(2);

/// Every message from `after + 1` on, in order, as (position, payload); then live ones.
pub(crate) fn ordered_from(
    stream: Stream,
    after: u64,
) -> BoxStream<'static, Result<(u64, Bytes), LogError>> {
    let start = futures::stream::once(async move {
        let config = OrderedConfig {
            deliver_policy: if after == 0 {
                DeliverPolicy::All
            } else {
                DeliverPolicy::ByStartSequence {
                    start_sequence: after + 1,
                }
            },
            // The consumer lives on one node. A pull's idle heartbeat is half its expiry,
            // and the client recreates the consumer after two missed heartbeats: with the
            // default 30 s expiry a killed node stalled the index, and every append waiting
            // on it, for half a minute; with 2 s it moves to a live node within seconds.
            max_expires: FOLLOW_EXPIRES,
            ..OrderedConfig::default()
        };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| LogError::Unavailable(format!("following the log: {e}")))?;
        consumer
            .messages()
            .await
            .map_err(|e| LogError::Unavailable(format!("following the log: {e}")))
    });
    start
        .map(|opened| match opened {
            Ok(messages) => messages
                .map(|message| {
                    let message = message
                        .map_err(|e| LogError::Unavailable(format!("following the log: {e}")))?;
                    let position = message
                        .info()
                        .map_err(|e| LogError::Unavailable(format!("following the log: {e}")))?
                        .stream_sequence;
                    Ok((position, message.message.payload.clone()))
                })
                .boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .boxed()
}
