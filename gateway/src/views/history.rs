//! The audit trail of one stream: every event with who wrote it and when, its payload
//! rendered as JSON from the proto descriptors, as much of it as the caller may see.
//!
//! A page reads only its own events: the stream's length comes from its last event and,
//! with `asOf`, the cut from a bisection by recorded time, so what a `history` field
//! reads is its page plus a bounded lookup, and it is priced at that ([`history_cost`]).

use std::sync::OnceLock;

use async_graphql::{Context, Json, Object, SimpleObject};
use auth::Principal;
use chrono::{DateTime, NaiveDate, Utc};
use domain::envelope;
use eventlog::{Direction, EventLog, LogError, RecordedEvent};
use prost_reflect::{DescriptorPool, DynamicMessage};

use super::page::{Page, PageArgs, page_cost};
use super::{open, projection};
use crate::error::{GatewayError, Result};
use crate::model::{ReadModel, recorded_at};
use crate::scope::Scope;

/// Events read to find the stream's length: its last one.
pub const LENGTH_LOOKUP: usize = 1;
/// Events read to find where `asOf` cuts a stream: a bisection over at most 2^64
/// versions, after the length.
pub const AS_OF_LOOKUP: usize = LENGTH_LOOKUP + 64;

/// What a `history` field costs: the events it reads (its page, and the lookups that
/// find the page), each priced at what rendering it costs.
pub fn history_cost(
    first: Option<i32>,
    last: Option<i32>,
    as_of: bool,
    child_complexity: usize,
) -> usize {
    let lookup = if as_of { AS_OF_LOOKUP } else { LENGTH_LOOKUP };
    page_cost(first, last, child_complexity).saturating_add(lookup)
}

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
    /// The organisation they wrote it for (hidden with a booking's other details).
    pub organisation: Option<String>,
    /// The writer's own key for the command: shown only to the organisation that wrote it.
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
    pub payload: Json<serde_json::Value>,
    /// Details of an individual booking or member of staff were left out: the caller sees
    /// the trail of this stream, not the individuals in it (DESIGN.md §6).
    pub redacted: bool,
}

fn descriptors() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(proto::FILE_DESCRIPTOR_SET).ok())
        .as_ref()
}

/// The payload of `event`, upcast to the current schema through the domain's envelope
/// (as the services and the read models read it), as proto JSON; `null` for a type this
/// build does not know.
pub fn payload_json(event: &RecordedEvent) -> serde_json::Value {
    let event_type = event.event_type.as_str();
    let version = envelope::schema_version(&event.metadata);
    let payload = envelope::upcast(event_type, version, &event.payload);
    descriptors()
        .and_then(|pool| pool.get_message_by_name(event_type))
        .and_then(|descriptor| DynamicMessage::decode(descriptor, &payload[..]).ok())
        .and_then(|message| serde_json::to_value(&message).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// How much of a stream's trail a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trail {
    Hidden,
    /// Every event, with the details of individual bookings and staff left out.
    Redacted,
    Full,
}

/// Events about one booking: who referred it and what the person needs are its details.
const BOOKING_EVENTS: [&str; 4] = [
    "difacto.v1.SeatBooked",
    "difacto.v1.WaitlistJoined",
    "difacto.v1.BookingCancelled",
    "difacto.v1.WaitlistPromoted",
];
/// Payload fields (proto JSON names) that single out a booking or a member of staff.
const INDIVIDUAL_FIELDS: [&str; 5] = [
    "bookingReference",
    "referringOrganisationCode",
    "interpreterLanguage",
    "accessNeeds",
    "staffRef",
];
/// A cancelled booking's free-text reason is about that booking too.
const BOOKING_FIELDS: [&str; 1] = ["reason"];

/// One event as `viewer` may see it in a trail it sees as `trail`.
pub fn entry(event: &RecordedEvent, viewer: &Principal, trail: Trail) -> HistoryEntry {
    let meta = |key: &str| event.metadata.get(key).cloned();
    let organisation = meta(envelope::meta::ORGANISATION);
    let booking = BOOKING_EVENTS.contains(&event.event_type.as_str());
    let mut payload = payload_json(event);
    let mut redacted = false;
    if trail != Trail::Full {
        if let serde_json::Value::Object(fields) = &mut payload {
            let booking_fields = if booking { &BOOKING_FIELDS[..] } else { &[] };
            for field in INDIVIDUAL_FIELDS.iter().chain(booking_fields) {
                redacted |= fields.remove(*field).is_some();
            }
        }
        redacted |= booking && organisation.is_some();
    }
    let own = organisation.as_deref() == Some(viewer.organisation.as_str());
    HistoryEntry {
        stream: event.stream.clone(),
        position: event.position,
        version: event.version,
        event_id: event.event_id.to_string(),
        event_type: event.event_type.clone(),
        recorded_at: recorded_at(event),
        actor: meta(envelope::meta::ACTOR),
        organisation: if trail != Trail::Full && booking {
            None
        } else {
            organisation.clone()
        },
        request_id: if own {
            meta(envelope::meta::REQUEST_ID)
        } else {
            None
        },
        correlation_id: meta(envelope::meta::CORRELATION_ID),
        payload: Json(payload),
        redacted,
    }
}

/// The organisations a stream's trail belongs to: a practice's own stream, or a
/// session's (whose bookings are restricted). Empty for streams open to everyone.
pub fn owners(model: &ReadModel, stream: &str) -> Vec<String> {
    if let Some(code) = stream.strip_prefix("practice-") {
        return vec![code.to_owned()];
    }
    if let Some(id) = stream.strip_prefix("session-") {
        return match model.sessions.sessions.get(id) {
            Some(s) => s.involved().map(str::to_owned).collect(),
            // Unknown to the views yet: only national roles may look, at the trail.
            None => vec![String::new()],
        };
    }
    Vec::new()
}

/// How much of `stream`'s trail `scope` sees (DESIGN.md §6): a practice's or a session's
/// in full to those involved and the commissioners above them, without individuals to
/// national roles and auditors; a usability issue only to its own provider among
/// providers; the shared streams to everyone.
pub fn trail(model: &ReadModel, scope: &Scope<'_>, stream: &str, date: NaiveDate) -> Trail {
    if let Some(id) = stream.strip_prefix("issue-") {
        let provider = model
            .platforms
            .issues
            .get(id)
            .map(|i| i.provider_code.as_str());
        return if scope.is_provider() && provider != Some(scope.principal.organisation.as_str()) {
            Trail::Hidden
        } else {
            Trail::Full
        };
    }
    let owners = owners(model, stream);
    if owners.is_empty() {
        return Trail::Full;
    }
    if scope.sees_bookings(&model.tree.index(), owners.iter().map(String::as_str), date) {
        Trail::Full
    } else if scope.is_national() {
        Trail::Redacted
    } else {
        Trail::Hidden
    }
}

fn log_error(err: LogError) -> GatewayError {
    match err {
        LogError::Invalid { field, reason } => GatewayError::bad_input(field, reason),
        other => GatewayError::internal(other),
    }
}

/// How many events `stream` holds: its last event's version, plus one.
async fn stream_length(log: &dyn EventLog, stream: &str) -> Result<u64> {
    let last = log
        .read_stream(stream, u64::MAX, 1, Direction::Backwards)
        .await
        .map_err(log_error)?;
    Ok(last.first().map_or(0, |e| e.version.saturating_add(1)))
}

/// How many of the first `length` events of `stream` were recorded at or before `cut`.
/// A stream is appended in order, so its recorded times do not fall and a bisection finds
/// the cut in at most 64 reads of one event.
async fn length_at(
    log: &dyn EventLog,
    stream: &str,
    length: u64,
    cut: DateTime<Utc>,
) -> Result<u64> {
    let (mut before, mut after) = (0, length);
    while before < after {
        let middle = before + (after - before) / 2;
        let event = log
            .read_stream(stream, middle, 1, Direction::Forwards)
            .await
            .map_err(log_error)?;
        match event.first() {
            Some(e) if recorded_at(e) <= cut => before = middle + 1,
            _ => after = middle,
        }
    }
    Ok(before)
}

#[derive(Debug, Default)]
pub struct HistoryViews;

#[Object]
impl HistoryViews {
    /// The audit trail of a stream (e.g. `session-<id>`, `practice-A81001`,
    /// `organisations`), oldest first, each event with actor and time. National roles
    /// and auditors see the trail of practices and sessions without the individuals in
    /// it (booking references, referrers, needs, staff references).
    #[graphql(complexity = "history_cost(first, last, as_of.is_some(), child_complexity)")]
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
        let (caller, at, date) = open(ctx, None, None).await?;
        let stream = stream.trim().to_owned();
        eventlog::limits::validate_stream_name(&stream).map_err(log_error)?;
        let scope = Scope::new(&caller.principal);
        let trail = at.read(|model| trail(model, &scope, &stream, date));
        if trail == Trail::Hidden {
            return Err(GatewayError::forbidden(
                "stream: this history is open to the organisations involved, the commissioners above them, national roles and auditors",
            )
            .into());
        }
        let args = PageArgs::new(after, before, first, last);
        // Bad page arguments are refused before anything is read.
        args.range(0)?;
        let log = projection(ctx)?.log().clone();
        let mut length = stream_length(log.as_ref(), &stream).await?;
        if let Some(cut) = as_of {
            length = length_at(log.as_ref(), &stream, length, cut).await?;
        }
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        let range = args.range(length)?;
        let events = if range.is_empty() {
            Vec::new()
        } else {
            log.read_stream(
                &stream,
                range.start as u64,
                range.len(),
                Direction::Forwards,
            )
            .await
            .map_err(log_error)?
        };
        let principal = &caller.principal;
        Ok(args.page_with(length, |range| {
            events
                .iter()
                .take(range.len())
                .map(|e| entry(e, principal, trail))
                .collect()
        })?)
    }
}
