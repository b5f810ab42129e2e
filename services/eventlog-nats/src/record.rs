//! How one event is laid out in a JetStream message, and its two integrity checks.
//!
//! The message payload is `crc32 (4 bytes LE) | chain hash (32 bytes) | body`, the same
//! frame as the sled log's records; `body` is the prost encoding of [`StoredBody`]. The
//! checksum covers the hash and the body, so a flipped bit is caught on every read.
//!
//! The chain is per difacto stream: `hash = blake3(hash of the stream's previous record |
//! body)`. A writer cannot know the log's global predecessor before JetStream assigns the
//! position (several processes publish at once), but it does know its stream's
//! predecessor: every append is conditional on the subject's last sequence
//! (`Nats-Expected-Last-Subject-Sequence`), which optimistic concurrency already
//! serialises. The body also names that predecessor's position, so a verifier proves each
//! stream is whole and in order, and the dense stream sequence proves nothing is missing
//! between streams (see `verify`).

use bytes::{Buf, Bytes};
use eventlog::{LogError, Metadata, NewEvent, RecordedEvent};
use prost::Message;
use uuid::Uuid;

/// The chain hash before a stream's first record.
pub const GENESIS_HASH: [u8; 32] = [0; 32];
const HEADER_BYTES: usize = 4 + 32;

/// The stored form of an event. Field numbers are a storage format: never reuse one.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct StoredBody {
    #[prost(bytes = "vec", tag = "1")]
    pub event_id: Vec<u8>,
    #[prost(string, tag = "2")]
    pub stream: String,
    #[prost(uint64, tag = "3")]
    pub version: u64,
    /// The position of this stream's previous record when it lies before this append
    /// (the expected last subject sequence the append was published with); 0 for a
    /// stream's first record and for every record after the first of one append, whose
    /// predecessor is the position just before it (an atomic batch is contiguous).
    #[prost(uint64, tag = "4")]
    pub previous_position: u64,
    #[prost(string, tag = "5")]
    pub event_type: String,
    #[prost(bytes = "bytes", tag = "6")]
    pub payload: Bytes,
    #[prost(btree_map = "string, string", tag = "7")]
    pub metadata: Metadata,
    #[prost(int64, tag = "8")]
    pub recorded_at_unix_micros: i64,
    /// This event's index within its append and the append's length: a re-sent append is
    /// recognised as exactly the original one.
    #[prost(uint32, tag = "9")]
    pub append_index: u32,
    #[prost(uint32, tag = "10")]
    pub append_len: u32,
}

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

/// Chains `body` onto `previous`.
pub(crate) fn chain(previous: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(previous);
    hasher.update(body);
    *hasher.finalize().as_bytes()
}

/// Encodes a record; returns the payload to publish and its chain hash.
pub(crate) fn encode(body: &StoredBody, previous: &[u8; 32]) -> (Bytes, [u8; 32]) {
    let mut out = Vec::with_capacity(HEADER_BYTES + body.encoded_len());
    out.resize(HEADER_BYTES, 0);
    body.encode_raw(&mut out);
    let hash = chain(previous, &out[HEADER_BYTES..]);
    out[4..HEADER_BYTES].copy_from_slice(&hash);
    let crc = crc32fast::hash(&out[4..]);
    out[..4].copy_from_slice(&crc.to_le_bytes());
    (Bytes::from(out), hash)
}

/// Decodes and checks the message stored at `position`. Damage is an error naming the
/// position, never data.
pub(crate) fn decode(position: u64, stored: &Bytes) -> Result<Decoded, LogError> {
    let corrupt = |reason: String| LogError::Corrupt { position, reason };
    if stored.len() < HEADER_BYTES {
        return Err(corrupt(format!(
            "record is {} bytes, shorter than its header",
            stored.len()
        )));
    }
    let mut header = &stored[..HEADER_BYTES];
    let crc = header.get_u32_le();
    let actual = crc32fast::hash(&stored[4..]);
    if crc != actual {
        return Err(corrupt(format!(
            "checksum {actual:08x} does not match stored {crc:08x}"
        )));
    }
    let mut chain_hash = [0; 32];
    chain_hash.copy_from_slice(&stored[4..HEADER_BYTES]);
    let body_bytes = stored.slice(HEADER_BYTES..);
    let body = StoredBody::decode(body_bytes.clone())
        .map_err(|e| corrupt(format!("undecodable body: {e}")))?;
    let event_id =
        Uuid::from_slice(&body.event_id).map_err(|e| corrupt(format!("bad event id: {e}")))?;
    if body.append_len == 0 || body.append_index >= body.append_len {
        return Err(corrupt(format!(
            "record claims to be event {} of an append of {}",
            body.append_index, body.append_len
        )));
    }
    Ok(Decoded {
        event: RecordedEvent {
            event_id,
            stream: body.stream,
            version: body.version,
            position,
            event_type: body.event_type,
            payload: body.payload,
            metadata: body.metadata,
            recorded_at_unix_micros: body.recorded_at_unix_micros,
        },
        chain_hash,
        previous_position: body.previous_position,
        append_index: body.append_index,
        append_len: body.append_len,
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

    fn body() -> StoredBody {
        StoredBody {
            event_id: Uuid::new_v4().as_bytes().to_vec(),
            stream: "duty-1".into(),
            version: 3,
            previous_position: 7,
            event_type: "difacto.v1.DutyDefined".into(),
            payload: Bytes::from_static(b"payload"),
            metadata: [("actor".to_owned(), "u1".to_owned())].into(),
            recorded_at_unix_micros: 1_700_000_000_000_000,
            append_index: 0,
            append_len: 1,
        }
    }

    #[test]
    fn round_trips_and_chains() {
        let (bytes, hash) = encode(&body(), &GENESIS_HASH);
        let decoded = decode(9, &bytes).expect("decodes");
        assert_eq!(decoded.chain_hash, hash);
        assert_eq!(chain(&GENESIS_HASH, &decoded.body_hash_input), hash);
        assert_eq!(decoded.event.position, 9);
        assert_eq!(decoded.previous_position, 7);
        assert_eq!(decoded.event.payload, Bytes::from_static(b"payload"));
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let (bytes, _) = encode(&body(), &GENESIS_HASH);
        for i in 0..bytes.len() {
            let mut damaged = bytes.to_vec();
            damaged[i] ^= 0x10;
            let err = decode(9, &Bytes::from(damaged)).expect_err("damage must be detected");
            assert!(
                matches!(err, LogError::Corrupt { position: 9, .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn digests_differ_with_content() {
        let m = Metadata::new();
        assert_ne!(content_digest("a", b"x", &m), content_digest("a", b"y", &m));
        assert_ne!(content_digest("ab", b"", &m), content_digest("a", b"b", &m));
    }
}
