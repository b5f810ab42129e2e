//! The stored-event envelope: what every recorded event carries besides its payload (the
//! metadata keys and the schema version it was written under), and the one way a stored
//! event is read back. The services' store, the gateway's read models, history,
//! subscriptions, the demo and the benches all go through here, so a change of
//! [`SCHEMA_VERSION`] and its upcaster reaches every reader at once.

use std::borrow::Cow;
use std::collections::BTreeMap;

use prost::{Message, Name};
use proto::v1::TrainingProgrammeLaunched;

use crate::event::EventSet;

/// The schema version written into every event's metadata. A breaking change to an
/// event's shape raises it and adds the upcaster from the old shape to [`upcast`].
///
/// - 2: `TrainingProgrammeLaunched` carries the programme's `code`.
pub const SCHEMA_VERSION: u32 = 2;

/// The metadata keys every event recorded by a service carries.
pub mod meta {
    /// The subject (`sub`) of the caller's token.
    pub const ACTOR: &str = "actor";
    /// The organisation the caller acted for.
    pub const ORGANISATION: &str = "organisation";
    /// The caller's roles, sorted and comma-separated: part of a request's identity.
    pub const ROLES: &str = "roles";
    /// The caller's own key for the request, when it sent one.
    pub const REQUEST_ID: &str = "request_id";
    pub const CORRELATION_ID: &str = "correlation_id";
    pub const CAUSATION_ID: &str = "causation_id";
    /// The id of the thing the command was about (session, assignment, …).
    pub const AGGREGATE_ID: &str = "aggregate_id";
    /// The [`super::SCHEMA_VERSION`] the payload was written under.
    pub const SCHEMA_VERSION: &str = "schema_version";
    /// The W3C trace context (`traceparent`) of the call that recorded the event, when
    /// the call carried one: one command followed from the gateway through its service
    /// into the log and out to each projection. Only a well-formed value is recorded
    /// (see [`super::traceparent`]).
    pub const TRACEPARENT: &str = "traceparent";
}

/// `text` when it is a well-formed W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`,
/// lower case, ids not all zero), so that nothing else a caller sends under that name
/// reaches the log.
pub fn traceparent(text: &str) -> Option<&str> {
    let mut parts = text.split('-');
    let fields: [&str; 4] = [parts.next()?, parts.next()?, parts.next()?, parts.next()?];
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let not_zero = |s: &str| s.bytes().any(|b| b != b'0');
    let [version, trace, span, flags] = fields;
    let valid = parts.next().is_none()
        && version == "00"
        && hex(trace, 32)
        && hex(span, 16)
        && hex(flags, 2)
        && not_zero(trace)
        && not_zero(span);
    valid.then_some(text)
}

/// The trace id in a `traceparent` value recorded under [`meta::TRACEPARENT`].
pub fn trace_id(metadata: &BTreeMap<String, String>) -> Option<&str> {
    let text = traceparent(metadata.get(meta::TRACEPARENT)?)?;
    text.get(3..35)
}

/// The schema version `metadata` says its payload was written under. Events appended
/// without one (by tools and tests that write the log directly) are read as current.
pub fn schema_version(metadata: &BTreeMap<String, String>) -> u32 {
    metadata
        .get(meta::SCHEMA_VERSION)
        .and_then(|v| v.parse().ok())
        .unwrap_or(SCHEMA_VERSION)
}

/// Brings a payload of `event_type` written under `version` to the current schema: one
/// arm per change, keyed by the event's type and the version it upgrades from, applied in
/// order. A payload that does not decode is left as it is, for the reader to refuse.
pub fn upcast<'a>(event_type: &str, version: u32, payload: &'a [u8]) -> Cow<'a, [u8]> {
    let mut payload = Cow::Borrowed(payload);
    if version < 2 && event_type == TrainingProgrammeLaunched::full_name() {
        payload = programme_code(payload);
    }
    payload
}

/// Version 1 → 2: a programme launched before codes existed gets the code a launch
/// without one derives today.
fn programme_code(payload: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    match TrainingProgrammeLaunched::decode(payload.as_ref()) {
        Ok(mut launched) if launched.code.is_empty() => {
            launched.code = crate::programme::derived_code(&launched.title, &launched.deadline);
            Cow::Owned(launched.encode_to_vec())
        }
        _ => payload,
    }
}

/// Decodes a stored event as one of `E`, upcast to the current schema first; `Ok(None)`
/// for a type `E` does not contain.
pub fn decode<E: EventSet>(
    event_type: &str,
    metadata: &BTreeMap<String, String>,
    payload: &[u8],
) -> Result<Option<E>, prost::DecodeError> {
    let payload = upcast(event_type, schema_version(metadata), payload);
    E::decode(event_type, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_traceparent_is_one() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(traceparent(good), Some(good));
        let recorded = BTreeMap::from([(meta::TRACEPARENT.to_owned(), good.to_owned())]);
        assert_eq!(
            trace_id(&recorded),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n",
        ] {
            assert_eq!(traceparent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_event_without_a_version_is_read_as_current_and_a_recorded_one_as_recorded() {
        assert_eq!(schema_version(&BTreeMap::new()), SCHEMA_VERSION);
        let recorded = BTreeMap::from([(meta::SCHEMA_VERSION.to_owned(), "7".to_owned())]);
        assert_eq!(schema_version(&recorded), 7);
        let garbled = BTreeMap::from([(meta::SCHEMA_VERSION.to_owned(), "x".to_owned())]);
        assert_eq!(schema_version(&garbled), SCHEMA_VERSION);
    }

    #[test]
    fn a_programme_launched_before_codes_existed_is_read_with_a_derived_code() {
        let old = TrainingProgrammeLaunched {
            programme_id: "00000000-0000-4000-8000-0000000000aa".into(),
            title: "Train reception staff in digital facilitation".into(),
            deadline: "2027-03-31".into(),
            ..Default::default()
        };
        let name = TrainingProgrammeLaunched::full_name();
        let v1 = BTreeMap::from([(meta::SCHEMA_VERSION.to_owned(), "1".to_owned())]);
        let read = |metadata: &BTreeMap<String, String>, event: &TrainingProgrammeLaunched| {
            match decode::<crate::programme::ProgrammeEvent>(
                &name,
                metadata,
                &event.encode_to_vec(),
            ) {
                Ok(Some(crate::programme::ProgrammeEvent::TrainingProgrammeLaunched(e))) => e,
                other => panic!("not a launch: {other:?}"),
            }
        };
        assert_eq!(read(&v1, &old).code, "TRSDF-2027");
        // A code already there is kept, and a current event is not touched.
        let coded = TrainingProgrammeLaunched {
            code: "DFE-2026".into(),
            ..old.clone()
        };
        assert_eq!(read(&v1, &coded).code, "DFE-2026");
        let current = BTreeMap::from([(meta::SCHEMA_VERSION.to_owned(), "2".to_owned())]);
        assert_eq!(read(&current, &old).code, "");
        // Other types and undecodable bytes pass through unchanged.
        assert!(matches!(
            upcast("difacto.v1.SeatBooked", 1, b"\xff"),
            Cow::Borrowed(_)
        ));
        assert_eq!(upcast(&name, 1, b"\xff").as_ref(), b"\xff");
    }
}
