//! The stored-event envelope: what every recorded event carries besides its payload (the
//! metadata keys and the schema version it was written under), and the one way a stored
//! event is read back. The services' store, the gateway's read models, history,
//! subscriptions, the demo and the benches all go through here, so a change of
//! [`SCHEMA_VERSION`] and its upcaster reaches every reader at once.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::event::EventSet;

/// The schema version written into every event's metadata. A breaking change to an
/// event's shape raises it and adds the upcaster from the old shape to [`upcast`].
pub const SCHEMA_VERSION: u32 = 1;

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

/// Brings a payload of `event_type` written under `version` to the current schema.
/// Version 1 is the only one so far, so nothing needs changing yet; the first breaking
/// change adds its arm here, keyed by event type and the version it upgrades from.
pub fn upcast<'a>(_event_type: &str, _version: u32, payload: &'a [u8]) -> Cow<'a, [u8]> {
    Cow::Borrowed(payload)
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
}
