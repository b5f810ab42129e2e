//! Publishing one append: a single message, or an atomic batch (ADR-50) when it holds more
//! than one event. Either way the first message carries
//! `Nats-Expected-Last-Subject-Sequence`, so the append lands only on the stream's state
//! the writer decided on; the server checks it when the batch commits, under its lock.
//!
//! The batch is sent as plain publishes (no reply) followed by one request with
//! `Nats-Batch-Commit: 1`; one connection keeps them in order, and the server answers the
//! commit with the ack of the whole batch or one error (a gap, a wrong sequence, a
//! timeout), storing nothing in that case.

use async_nats::{HeaderMap, client::RequestErrorKind};
use bytes::Bytes;
use eventlog::LogError;
use serde::Deserialize;

/// JetStream's error codes for a failed `Nats-Expected-Last-Subject-Sequence` check: a
/// single server answers 10071 (with the actual sequence in the text), a clustered stream's
/// leader 10164 when the check fails against what it has proposed but not yet applied.
const WRONG_LAST_SEQUENCE: [u64; 2] = [10071, 10164];

/// Why a publish stored nothing.
#[derive(Debug)]
pub(crate) enum Rejected {
    /// Someone appended to the stream since the writer looked: look again.
    WrongLastSequence,
    /// Anything else, as the log's error.
    Failed(LogError),
}

#[derive(Debug, Deserialize)]
struct Ack {
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    error: Option<ApiError>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(default)]
    err_code: u64,
    #[serde(default)]
    description: String,
}

/// Publishes `records` (one append, all on `subject`) if the subject's last sequence is
/// still `expected_last` (0: the subject has no message). Returns the position of the
/// last record; the others are the positions just before it.
pub(crate) async fn publish_append(
    client: &async_nats::Client,
    subject: &str,
    expected_last: u64,
    records: Vec<(Bytes, HeaderMap)>,
) -> Result<u64, Rejected> {
    let count = records.len() as u64;
    let batch_id = (count > 1).then(|| uuid::Uuid::new_v4().simple().to_string());
    let mut last = None;
    for (i, (payload, mut headers)) in records.into_iter().enumerate() {
        if i == 0 {
            headers.insert(
                "Nats-Expected-Last-Subject-Sequence",
                expected_last.to_string(),
            );
        }
        if let Some(id) = &batch_id {
            headers.insert("Nats-Batch-Id", id.as_str());
            headers.insert("Nats-Batch-Sequence", (i + 1).to_string());
        }
        if (i as u64) + 1 < count {
            client
                .publish_with_headers(subject.to_owned(), headers, payload)
                .await
                .map_err(|e| Rejected::Failed(LogError::Unavailable(format!("publish: {e}"))))?;
        } else {
            if batch_id.is_some() {
                headers.insert("Nats-Batch-Commit", "1");
            }
            last = Some((payload, headers));
        }
    }
    let Some((payload, headers)) = last else {
        return Err(Rejected::Failed(LogError::Storage(
            "an append with no events reached the publisher".into(),
        )));
    };
    let reply = client
        .request_with_headers(subject.to_owned(), headers, payload)
        .await
        .map_err(|e| {
            Rejected::Failed(match e.kind() {
                RequestErrorKind::NoResponders => LogError::Unavailable(format!(
                    "no JetStream stream takes {subject}: is the log's stream there?"
                )),
                RequestErrorKind::TimedOut => LogError::Unavailable(
                    "JetStream did not acknowledge the append in time; its outcome is unknown, \
                     re-send it with the same event ids"
                        .into(),
                ),
                _ => LogError::Unavailable(format!("publish: {e}")),
            })
        })?;
    let ack: Ack = serde_json::from_slice(&reply.payload).map_err(|e| {
        Rejected::Failed(LogError::Storage(format!(
            "JetStream's acknowledgement is unreadable: {e}"
        )))
    })?;
    if let Some(error) = ack.error {
        return Err(if WRONG_LAST_SEQUENCE.contains(&error.err_code) {
            Rejected::WrongLastSequence
        } else {
            Rejected::Failed(LogError::Storage(format!(
                "JetStream refused the append ({}): {}",
                error.err_code, error.description
            )))
        });
    }
    let seq = ack.seq.ok_or_else(|| {
        Rejected::Failed(LogError::Storage(
            "JetStream's acknowledgement names no sequence".into(),
        ))
    })?;
    if count > 1 && ack.count != Some(count) {
        return Err(Rejected::Failed(LogError::Storage(format!(
            "JetStream acknowledged a batch of {:?} messages, {count} were sent",
            ack.count
        ))));
    }
    Ok(seq)
}
