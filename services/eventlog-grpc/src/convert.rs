//! Proto ↔ log types, and the one table from [`LogError`] to gRPC status (and back).
//!
//! | LogError               | gRPC code          | extra metadata                      |
//! |------------------------|--------------------|-------------------------------------|
//! | Invalid                | INVALID_ARGUMENT   | `difacto-field`                     |
//! | WrongExpectedVersion   | ABORTED            | `difacto-actual-version` (or `none`)|
//! | IdempotencyConflict    | ALREADY_EXISTS     | `difacto-event-index`               |
//! | Corrupt                | DATA_LOSS          | `difacto-position`                  |
//! | Storage                | INTERNAL           | (details logged, not returned)      |
//! | Denied                 | PERMISSION_DENIED  |                                     |
//! | Unavailable            | UNAVAILABLE        |                                     |

use eventlog::{ExpectedVersion, LogError, NewEvent, RecordedEvent};
use proto::v1 as pb;
use tonic::{Code, Status};
use uuid::Uuid;

const FIELD: &str = "difacto-field";
const ACTUAL_VERSION: &str = "difacto-actual-version";
const EVENT_INDEX: &str = "difacto-event-index";
const POSITION: &str = "difacto-position";

pub(crate) fn expected_from_proto(
    expected: Option<pb::ExpectedVersion>,
) -> Result<ExpectedVersion, LogError> {
    use pb::expected_version::Kind;
    let Some(expected) = expected else {
        return Ok(ExpectedVersion::Any);
    };
    match Kind::try_from(expected.kind) {
        Ok(Kind::Any) => Ok(ExpectedVersion::Any),
        Ok(Kind::NoStream) => Ok(ExpectedVersion::NoStream),
        Ok(Kind::StreamExists) => Ok(ExpectedVersion::StreamExists),
        Ok(Kind::Exact) => Ok(ExpectedVersion::Exact(expected.version)),
        Err(_) => Err(LogError::Invalid {
            field: "expected.kind".into(),
            reason: format!(
                "{} is not one of ANY, NO_STREAM, STREAM_EXISTS, EXACT",
                expected.kind
            ),
        }),
    }
}

pub(crate) fn expected_to_proto(expected: ExpectedVersion) -> pb::ExpectedVersion {
    use pb::expected_version::Kind;
    let (kind, version) = match expected {
        ExpectedVersion::Any => (Kind::Any, 0),
        ExpectedVersion::NoStream => (Kind::NoStream, 0),
        ExpectedVersion::StreamExists => (Kind::StreamExists, 0),
        ExpectedVersion::Exact(v) => (Kind::Exact, v),
    };
    pb::ExpectedVersion {
        kind: kind.into(),
        version,
    }
}

/// Converts the events of an append, naming the first bad field.
pub(crate) fn events_from_proto(events: Vec<pb::EventData>) -> Result<Vec<NewEvent>, LogError> {
    // Refuse an oversized append before converting any of it.
    if events.len() > eventlog::limits::MAX_EVENTS_PER_APPEND {
        return Err(LogError::Invalid {
            field: "events".into(),
            reason: format!(
                "{} events in one append, the limit is {}",
                events.len(),
                eventlog::limits::MAX_EVENTS_PER_APPEND
            ),
        });
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let field = format!("events[{i}].event_id");
            if event.event_id.is_empty() {
                return Err(LogError::Invalid {
                    field,
                    reason: "is missing; a UUID is required".into(),
                });
            }
            let event_id = Uuid::try_parse(&event.event_id).map_err(|_| LogError::Invalid {
                field,
                reason: format!("{:?} is not a UUID", truncate(&event.event_id)),
            })?;
            Ok(NewEvent {
                event_id,
                event_type: event.event_type,
                payload: event.payload,
                metadata: event.metadata,
            })
        })
        .collect()
}

pub(crate) fn events_to_proto(events: Vec<NewEvent>) -> Vec<pb::EventData> {
    events
        .into_iter()
        .map(|e| pb::EventData {
            event_id: e.event_id.to_string(),
            event_type: e.event_type,
            payload: e.payload,
            metadata: e.metadata,
        })
        .collect()
}

pub(crate) fn recorded_to_proto(event: RecordedEvent) -> pb::RecordedEvent {
    pb::RecordedEvent {
        event_id: event.event_id.to_string(),
        stream: event.stream,
        version: event.version,
        position: event.position,
        event_type: event.event_type,
        payload: event.payload,
        metadata: event.metadata,
        recorded_at_unix_micros: event.recorded_at_unix_micros,
    }
}

pub(crate) fn recorded_from_proto(event: pb::RecordedEvent) -> Result<RecordedEvent, LogError> {
    let event_id = Uuid::try_parse(&event.event_id).map_err(|_| {
        LogError::Unavailable(format!(
            "the log sent a malformed event id at position {}",
            event.position
        ))
    })?;
    Ok(RecordedEvent {
        event_id,
        stream: event.stream,
        version: event.version,
        position: event.position,
        event_type: event.event_type,
        payload: event.payload,
        metadata: event.metadata,
        recorded_at_unix_micros: event.recorded_at_unix_micros,
    })
}

fn truncate(s: &str) -> &str {
    s.char_indices().nth(40).map_or(s, |(i, _)| &s[..i])
}

fn with_metadata(mut status: Status, key: &'static str, value: String) -> Status {
    if let Ok(value) = value.parse() {
        status.metadata_mut().insert(key, value);
    }
    status
}

/// The server side of the table.
pub(crate) fn status_from_error(err: LogError) -> Status {
    match &err {
        LogError::Invalid { field, .. } => with_metadata(
            Status::invalid_argument(err.to_string()),
            FIELD,
            field.clone(),
        ),
        LogError::WrongExpectedVersion { actual, .. } => with_metadata(
            Status::aborted(err.to_string()),
            ACTUAL_VERSION,
            actual.map_or_else(|| "none".to_owned(), |v| v.to_string()),
        ),
        LogError::IdempotencyConflict { index, .. } => with_metadata(
            Status::already_exists(err.to_string()),
            EVENT_INDEX,
            index.to_string(),
        ),
        LogError::Corrupt { position, .. } => {
            tracing::error!(error = %err, "corrupt record");
            with_metadata(
                Status::data_loss(err.to_string()),
                POSITION,
                position.to_string(),
            )
        }
        LogError::Storage(_) => {
            tracing::error!(error = %err, "storage failure");
            Status::internal(
                "storage failure; the outcome is unknown, so retry with the same event ids",
            )
        }
        LogError::Denied(_) => Status::permission_denied(err.to_string()),
        LogError::Unavailable(_) => Status::unavailable(err.to_string()),
    }
}

fn metadata<'a>(status: &'a Status, key: &str) -> Option<&'a str> {
    status.metadata().get(key).and_then(|v| v.to_str().ok())
}

/// The client side of the table: a status from a remote log back into the error the
/// caller would have had in-process.
pub(crate) fn error_from_status(
    status: &Status,
    stream: &str,
    expected: ExpectedVersion,
    event_ids: &[Uuid],
) -> LogError {
    match status.code() {
        Code::InvalidArgument => {
            let field = metadata(status, FIELD).unwrap_or("request").to_owned();
            let message = status.message();
            let reason = message
                .strip_prefix(&format!("{field}: "))
                .unwrap_or(message)
                .to_owned();
            LogError::Invalid { field, reason }
        }
        Code::Aborted => {
            let actual = match metadata(status, ACTUAL_VERSION) {
                Some("none") | None => None,
                Some(v) => v.parse().ok(),
            };
            LogError::WrongExpectedVersion {
                stream: stream.to_owned(),
                expected,
                actual,
            }
        }
        Code::AlreadyExists => {
            let index: usize = metadata(status, EVENT_INDEX)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let event_id = event_ids.get(index).copied().unwrap_or_else(Uuid::nil);
            LogError::IdempotencyConflict { index, event_id }
        }
        Code::DataLoss => LogError::Corrupt {
            position: metadata(status, POSITION)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            reason: status.message().to_owned(),
        },
        Code::Internal => LogError::Storage(status.message().to_owned()),
        Code::Unauthenticated | Code::PermissionDenied => {
            LogError::Denied(status.message().to_owned())
        }
        _ => LogError::Unavailable(format!("{}: {}", status.code(), status.message())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_survives_the_round_trip() {
        let event = NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "t".into(),
            payload: Default::default(),
            metadata: Default::default(),
        };
        let expected = ExpectedVersion::Exact(3);
        let errors = [
            LogError::Invalid {
                field: "events[2].event_type".into(),
                reason: "must not be empty".into(),
            },
            LogError::WrongExpectedVersion {
                stream: "s".into(),
                expected,
                actual: Some(7),
            },
            LogError::WrongExpectedVersion {
                stream: "s".into(),
                expected,
                actual: None,
            },
            LogError::IdempotencyConflict {
                index: 0,
                event_id: event.event_id,
            },
            LogError::Corrupt {
                position: 12,
                reason: "corrupt record at position 12: bad".into(),
            },
            LogError::Unavailable("Unavailable: log unavailable: closing".into()),
        ];
        for err in errors {
            let status = status_from_error(err.clone());
            let back = error_from_status(&status, "s", expected, &[event.event_id]);
            match (&err, &back) {
                (LogError::Corrupt { position: a, .. }, LogError::Corrupt { position: b, .. }) => {
                    assert_eq!(a, b)
                }
                (LogError::Unavailable(_), LogError::Unavailable(_)) => {}
                _ => assert_eq!(back, err),
            }
        }
    }

    #[test]
    fn storage_details_are_not_returned() {
        let status = status_from_error(LogError::Storage("/var/lib/secret/path: EIO".into()));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("/var/lib"));
    }

    #[test]
    fn a_bad_event_id_names_its_field() {
        let data = |id: &str| pb::EventData {
            event_id: id.into(),
            event_type: "t".into(),
            ..Default::default()
        };
        let err = events_from_proto(vec![data(&Uuid::new_v4().to_string()), data("not-a-uuid")])
            .expect_err("bad id");
        assert!(
            matches!(err, LogError::Invalid { ref field, .. } if field == "events[1].event_id"),
            "{err:?}"
        );
        let err = events_from_proto(vec![data("")]).expect_err("missing id");
        assert!(
            matches!(err, LogError::Invalid { ref field, .. } if field == "events[0].event_id"),
            "{err:?}"
        );
        let err = expected_from_proto(Some(pb::ExpectedVersion {
            kind: 9,
            version: 0,
        }))
        .expect_err("bad kind");
        assert!(
            matches!(err, LogError::Invalid { ref field, .. } if field == "expected.kind"),
            "{err:?}"
        );
    }
}
