//! The documented limits of an append, checked identically by every backend and at the
//! gRPC edge, so that bad input is refused before anything is stored.

use std::collections::HashSet;

use crate::error::LogError;
use crate::event::NewEvent;

/// Longest stream name, in bytes.
pub const MAX_STREAM_NAME_BYTES: usize = 200;
/// Longest event type name, in bytes.
pub const MAX_EVENT_TYPE_BYTES: usize = 200;
/// Largest payload of one event: events are facts, not documents.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Largest sum of payload and metadata bytes in one append.
pub const MAX_APPEND_BYTES: usize = 8 * 1024 * 1024;
/// Most events in one atomic append.
pub const MAX_EVENTS_PER_APPEND: usize = 1000;
/// Most metadata entries on one event, and the longest key and value.
pub const MAX_METADATA_ENTRIES: usize = 64;
pub const MAX_METADATA_KEY_BYTES: usize = 128;
pub const MAX_METADATA_VALUE_BYTES: usize = 4096;
/// Page size used when a reader asks for 0 events, and the most one read returns.
pub const DEFAULT_PAGE_SIZE: usize = 500;
pub const MAX_PAGE_SIZE: usize = 1000;

/// Stream names are ASCII letters, digits and `- _ . : @`, so they are safe in URLs, logs
/// and storage keys.
pub fn is_stream_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@')
}

fn is_event_type_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_')
}

/// Checks a stream name against the documented set and length.
pub fn validate_stream_name(stream: &str) -> Result<(), LogError> {
    if stream.is_empty() {
        return Err(LogError::invalid("stream", "must not be empty"));
    }
    if stream.len() > MAX_STREAM_NAME_BYTES {
        return Err(LogError::invalid(
            "stream",
            format!(
                "is {} bytes, the limit is {MAX_STREAM_NAME_BYTES}",
                stream.len()
            ),
        ));
    }
    if let Some(bad) = stream.chars().find(|c| !is_stream_name_char(*c)) {
        return Err(LogError::invalid(
            "stream",
            format!("contains {bad:?}; allowed are ASCII letters, digits and - _ . : @"),
        ));
    }
    Ok(())
}

/// Checks everything about an append that does not depend on what is stored.
pub fn validate_append(stream: &str, events: &[NewEvent]) -> Result<(), LogError> {
    validate_stream_name(stream)?;
    if events.is_empty() {
        return Err(LogError::invalid(
            "events",
            "an append needs at least one event",
        ));
    }
    if events.len() > MAX_EVENTS_PER_APPEND {
        return Err(LogError::invalid(
            "events",
            format!(
                "{} events in one append, the limit is {MAX_EVENTS_PER_APPEND}",
                events.len()
            ),
        ));
    }
    // A single event cannot repeat an id; most appends are single events.
    let mut seen = HashSet::with_capacity(if events.len() > 1 { events.len() } else { 0 });
    let mut total_bytes = 0usize;
    for (i, event) in events.iter().enumerate() {
        validate_event(i, event)?;
        if events.len() > 1 && !seen.insert(event.event_id) {
            return Err(LogError::invalid(
                format!("events[{i}].event_id"),
                format!("{} appears twice in one append", event.event_id),
            ));
        }
        total_bytes += event.payload.len()
            + event
                .metadata
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>();
    }
    if total_bytes > MAX_APPEND_BYTES {
        return Err(LogError::invalid(
            "events",
            format!("{total_bytes} bytes of payload and metadata, the limit is {MAX_APPEND_BYTES}"),
        ));
    }
    Ok(())
}

fn validate_event(i: usize, event: &NewEvent) -> Result<(), LogError> {
    if event.event_id.is_nil() {
        return Err(LogError::invalid(
            format!("events[{i}].event_id"),
            "must not be the nil UUID",
        ));
    }
    let field = |name: &str| format!("events[{i}].{name}");
    if event.event_type.is_empty() {
        return Err(LogError::invalid(field("event_type"), "must not be empty"));
    }
    if event.event_type.len() > MAX_EVENT_TYPE_BYTES {
        return Err(LogError::invalid(
            field("event_type"),
            format!(
                "is {} bytes, the limit is {MAX_EVENT_TYPE_BYTES}",
                event.event_type.len()
            ),
        ));
    }
    if let Some(bad) = event.event_type.chars().find(|c| !is_event_type_char(*c)) {
        return Err(LogError::invalid(
            field("event_type"),
            format!("contains {bad:?}; allowed are ASCII letters, digits, '.' and '_'"),
        ));
    }
    if event.payload.len() > MAX_PAYLOAD_BYTES {
        return Err(LogError::invalid(
            field("payload"),
            format!(
                "is {} bytes, the limit is {MAX_PAYLOAD_BYTES}",
                event.payload.len()
            ),
        ));
    }
    if event.metadata.len() > MAX_METADATA_ENTRIES {
        return Err(LogError::invalid(
            field("metadata"),
            format!(
                "has {} entries, the limit is {MAX_METADATA_ENTRIES}",
                event.metadata.len()
            ),
        ));
    }
    for (key, value) in &event.metadata {
        if key.is_empty() || key.len() > MAX_METADATA_KEY_BYTES {
            return Err(LogError::invalid(
                field("metadata"),
                // The key is repeated only in part: it may be as long as the message.
                format!(
                    "key {:?} must be 1 to {MAX_METADATA_KEY_BYTES} bytes",
                    key.chars().take(40).collect::<String>()
                ),
            ));
        }
        if value.len() > MAX_METADATA_VALUE_BYTES {
            return Err(LogError::invalid(
                format!("events[{i}].metadata[{key}]"),
                format!(
                    "is {} bytes, the limit is {MAX_METADATA_VALUE_BYTES}",
                    value.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Turns a reader's requested page size into the one served: 0 means the default, and
/// nothing exceeds the maximum.
pub fn page_size(requested: usize) -> usize {
    match requested {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use uuid::Uuid;

    fn event() -> NewEvent {
        NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "difacto.v1.SeatBooked".into(),
            payload: Bytes::from_static(b"x"),
            metadata: Default::default(),
        }
    }

    fn field_of(err: LogError) -> String {
        match err {
            LogError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_plain_append() {
        assert!(validate_append("session-42", &[event(), event()]).is_ok());
    }

    #[test]
    fn names_the_field_of_each_rejection() {
        let long = "s".repeat(MAX_STREAM_NAME_BYTES + 1);
        let cases: Vec<(&str, Vec<NewEvent>, &str)> = vec![
            ("", vec![event()], "stream"),
            ("has space", vec![event()], "stream"),
            (long.as_str(), vec![event()], "stream"),
            ("ok", vec![], "events"),
            (
                "ok",
                vec![NewEvent {
                    event_id: Uuid::nil(),
                    ..event()
                }],
                "events[0].event_id",
            ),
            (
                "ok",
                vec![
                    event(),
                    NewEvent {
                        event_type: String::new(),
                        ..event()
                    },
                ],
                "events[1].event_type",
            ),
            (
                "ok",
                vec![NewEvent {
                    payload: Bytes::from(vec![0; MAX_PAYLOAD_BYTES + 1]),
                    ..event()
                }],
                "events[0].payload",
            ),
            (
                "ok",
                (0..=MAX_EVENTS_PER_APPEND).map(|_| event()).collect(),
                "events",
            ),
        ];
        for (stream, events, field) in cases {
            let err = validate_append(stream, &events).expect_err(field);
            assert_eq!(field_of(err), field);
        }
    }

    #[test]
    fn rejects_a_duplicate_id_within_one_append() {
        let e = event();
        let err = validate_append("s", &[e.clone(), e]).expect_err("duplicate");
        assert_eq!(field_of(err), "events[1].event_id");
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(0), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7), 7);
        assert_eq!(page_size(1_000_000), MAX_PAGE_SIZE);
    }
}
