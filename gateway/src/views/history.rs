//! The audit trail of one stream: every event with who wrote it and when, its payload
//! rendered as JSON from the proto descriptors.

use std::sync::OnceLock;

use async_graphql::{Context, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use difacto_log::{Direction, EventLog, RecordedEvent};
use prost_reflect::{DescriptorPool, DynamicMessage};

use super::page::{Page, PageArgs, page_cost};
use super::{open, projection};
use crate::error::{GatewayError, Result};
use crate::model::recorded_at;
use crate::scope::Scope;

/// The most events one stream's history reads.
const MAX_HISTORY: usize = 100_000;

#[derive(Debug, Clone, SimpleObject)]
pub struct HistoryEntry {
    pub stream: String,
    pub position: u64,
    pub version: u64,
    pub event_id: String,
    /// The event's name, e.g. `difacto.v1.SeatBooked`.
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    /// Who wrote it: the token's subject.
    pub actor: Option<String>,
    /// The organisation they wrote it for.
    pub organisation: Option<String>,
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
    pub payload: Json<serde_json::Value>,
}

fn descriptors() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(difacto_proto::FILE_DESCRIPTOR_SET).ok())
        .as_ref()
}

/// The payload as proto JSON, or `null` for a type this build does not know.
pub fn payload_json(event_type: &str, payload: &[u8]) -> serde_json::Value {
    descriptors()
        .and_then(|pool| pool.get_message_by_name(event_type))
        .and_then(|descriptor| DynamicMessage::decode(descriptor, payload).ok())
        .and_then(|message| serde_json::to_value(&message).ok())
        .unwrap_or(serde_json::Value::Null)
}

pub fn entry(event: &RecordedEvent) -> HistoryEntry {
    let meta = |key: &str| event.metadata.get(key).cloned();
    HistoryEntry {
        stream: event.stream.clone(),
        position: event.position,
        version: event.version,
        event_id: event.event_id.to_string(),
        event_type: event.event_type.clone(),
        recorded_at: recorded_at(event),
        actor: meta("actor"),
        organisation: meta("organisation"),
        request_id: meta("request_id"),
        correlation_id: meta("correlation_id"),
        payload: Json(payload_json(&event.event_type, &event.payload)),
    }
}

/// The organisations a stream's trail belongs to: a practice's own stream, or a
/// session's (whose bookings are restricted). Empty for streams open to everyone.
pub fn owners(model: &crate::model::ReadModel, stream: &str) -> Vec<String> {
    if let Some(code) = stream.strip_prefix("practice-") {
        return vec![code.to_owned()];
    }
    if let Some(id) = stream.strip_prefix("session-") {
        return match model.sessions.sessions.get(id) {
            Some(s) => s.involved().map(str::to_owned).collect(),
            // Unknown to the views yet: only auditors may look.
            None => vec![String::new()],
        };
    }
    Vec::new()
}

async fn read_stream(log: &dyn EventLog, stream: &str) -> Result<Vec<RecordedEvent>> {
    let mut events = Vec::new();
    loop {
        let page = log
            .read_stream(stream, events.len() as u64, 1000, Direction::Forwards)
            .await
            .map_err(GatewayError::internal)?;
        let done = page.len() < 1000;
        events.extend(page);
        if done || events.len() >= MAX_HISTORY {
            return Ok(events);
        }
    }
}

#[derive(Debug, Default)]
pub struct HistoryViews;

#[Object]
impl HistoryViews {
    /// The audit trail of a stream (e.g. `session-<id>`, `practice-A81001`,
    /// `organisations`), oldest first, each event with actor and time.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        stream: String,
        as_of: Option<DateTime<Utc>>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<HistoryEntry>> {
        let (caller, at) = open(ctx, None).await?;
        let stream = stream.trim().to_owned();
        if stream.is_empty() {
            return Err(GatewayError::bad_input("stream", "must not be empty").into());
        }
        let scope = Scope::new(&caller.principal);
        let date = at.date();
        let allowed = at.read(|model| {
            let owners = owners(model, &stream);
            let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
            scope.sees_history(&model.tree.index(), &owners, date)
        });
        if !allowed {
            return Err(GatewayError::forbidden(format!(
                "stream: the history of {stream} is open to the organisations involved, the commissioners above them and auditors"
            ))
            .into());
        }
        let log = projection(ctx)?.log().clone();
        let mut events = read_stream(log.as_ref(), &stream).await?;
        if let Some(cut) = as_of {
            events.retain(|e| recorded_at(e) <= cut);
        }
        let args = PageArgs::new(after, before, first, last);
        Ok(args.page_with(events.len(), |range| {
            events[range].iter().map(entry).collect()
        })?)
    }
}
