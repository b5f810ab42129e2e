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
