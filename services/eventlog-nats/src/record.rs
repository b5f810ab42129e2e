//! How one event is laid out in a JetStream message: `eventlog`'s record codec (checksum,
//! chain hash, body), chained per difacto stream.
//!
//! The chain is per difacto stream: `hash = blake3(hash of the stream's previous record |
//! body)`. A writer cannot know the log's global predecessor before JetStream assigns the
//! position (several processes publish at once), but it does know its stream's
//! predecessor: every append is conditional on the subject's last sequence
//! (`Nats-Expected-Last-Subject-Sequence`), which optimistic concurrency already
//! serialises. The body's `link` names that predecessor's position when it lies before
//! this append (the expected last subject sequence the append was published with); it is
//! 0 for a stream's first record and for every record after the first of one append, whose
//! predecessor is the position just before it (an atomic batch is contiguous). So a
//! verifier proves each stream is whole and in order, and the dense stream sequence proves
//! nothing is missing between streams (see `verify`).

use bytes::Bytes;
use eventlog::record;
use eventlog::{LogError, Metadata, NewEvent, RecordedEvent};

pub(crate) use eventlog::record::{GENESIS_HASH, StoredBody, chain};

/// A record read back and checked.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    pub event: RecordedEvent,
    pub chain_hash: [u8; 32],
    pub previous_position: u64,
    pub append_index: u32,
    pub append_len: u32,
    /// The hash the chain covers: needed by the verifier to recompute the chain.
    pub body_hash_input: Bytes,
}

/// Encodes a record; returns the payload to publish and its chain hash.
pub(crate) fn encode(body: &StoredBody, previous: &[u8; 32]) -> (Bytes, [u8; 32]) {
    let (stored, hash) = record::encode(body, previous);
    (Bytes::from(stored), hash)
}

/// Decodes and checks the message stored at `position`. Damage is an error naming the
/// position, never data.
pub(crate) fn decode(position: u64, stored: &Bytes) -> Result<Decoded, LogError> {
    let chain_hash = record::open(position, stored)?;
    // A slice of the message, not a copy: the payload is read from it too.
    let body_bytes = stored.slice(record::HEADER_BYTES..);
    let body = StoredBody::read(position, body_bytes.clone())?;
    let (previous_position, append_index, append_len) =
        (body.link, body.append_index, body.append_len);
    let event = body.into_event(position)?;
    if append_len == 0 || append_index >= append_len {
        return Err(LogError::Corrupt {
            position,
            reason: format!(
                "record claims to be event {append_index} of an append of {append_len}"
            ),
        });
    }
    Ok(Decoded {
        event,
        chain_hash,
        previous_position,
        append_index,
        append_len,
        body_hash_input: body_bytes,
    })
}

/// What idempotency compares: an event's type, payload and metadata (its id is the key,
/// its stream and place in the append are compared separately).
pub(crate) fn content_digest(event_type: &str, payload: &[u8], metadata: &Metadata) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    let mut part = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(event_type.as_bytes());
    part(payload);
    for (key, value) in metadata {
        part(key.as_bytes());
        part(value.as_bytes());
    }
    let mut out = [0; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

pub(crate) fn new_event_digest(event: &NewEvent) -> [u8; 16] {
    content_digest(&event.event_type, &event.payload, &event.metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(append_index: u32, append_len: u32) -> StoredBody {
        StoredBody {
            event_id: uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)
                .as_bytes()
                .to_vec(),
            stream: "duty-1".into(),
            version: 3,
            link: 7,
            event_type: "difacto.v1.DutyDefined".into(),
            payload: Bytes::from_static(b"payload"),
            metadata: [("actor".to_owned(), "u1".to_owned())].into(),
            recorded_at_unix_micros: 1_700_000_000_000_000,
            append_index,
            append_len,
        }
    }

    /// The message payload is a format: streams written before must read the same after.
    #[test]
    fn the_payload_of_a_record_is_pinned() {
        let (bytes, _) = encode(&body(0, 1), &GENESIS_HASH);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, PINNED);
    }

    /// Written by this crate's own codec before it shared `eventlog`'s.
    const PINNED: &str = concat!(
        "86c6bed031b3990ebbe2b8669387b5812e0a08ce04f655162d5cc0e8966d7b72",
        "617fe0160a100123456789abcdef0123456789abcdef1206647574792d311803",
        "20072a166469666163746f2e76312e44757479446566696e656432077061796c",
        "6f61643a0b0a056163746f7212027531408080f9c0c1c482035001",
    );

    #[test]
    fn round_trips_with_the_streams_previous_position() {
        let (bytes, hash) = encode(&body(0, 1), &GENESIS_HASH);
        let decoded = decode(9, &bytes).expect("decodes");
        assert_eq!(decoded.chain_hash, hash);
        assert_eq!(chain(&GENESIS_HASH, &decoded.body_hash_input), hash);
        assert_eq!(decoded.event.position, 9);
        assert_eq!(decoded.previous_position, 7);
        assert_eq!(decoded.event.payload, Bytes::from_static(b"payload"));
    }

    #[test]
    fn an_impossible_place_in_an_append_is_corrupt() {
        for (index, len) in [(0, 0), (1, 1), (5, 2)] {
            let (bytes, _) = encode(&body(index, len), &GENESIS_HASH);
            assert!(matches!(
                decode(9, &bytes),
                Err(LogError::Corrupt { position: 9, .. })
            ));
        }
    }

    #[test]
    fn digests_differ_with_content() {
        let m = Metadata::new();
        assert_ne!(content_digest("a", b"x", &m), content_digest("a", b"y", &m));
        assert_ne!(content_digest("ab", b"", &m), content_digest("a", b"b", &m));
    }
}
