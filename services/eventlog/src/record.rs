//! How one event is laid out on disk, and the two integrity checks every record carries.
//!
//! A stored value is `crc32 (4 bytes LE) | chain hash (32 bytes) | body`, where `body` is
//! the prost encoding of [`StoredBody`]. The checksum covers the hash and the body, so a
//! flipped bit anywhere is caught on every read. The chain hash is
//! `blake3(previous record's chain hash | body)`, so the last hash commits to every record
//! before it: `difacto verify` recomputes it and proves nothing was altered, removed or
//! reordered.

use bytes::{Buf, Bytes};
use prost::Message;
use uuid::Uuid;

use crate::error::LogError;
use crate::event::{Metadata, RecordedEvent};

/// The chain hash before the first record.
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
    #[prost(uint64, tag = "4")]
    pub position: u64,
    #[prost(string, tag = "5")]
    pub event_type: String,
    #[prost(bytes = "bytes", tag = "6")]
    pub payload: Bytes,
    #[prost(btree_map = "string, string", tag = "7")]
    pub metadata: Metadata,
    #[prost(int64, tag = "8")]
    pub recorded_at_unix_micros: i64,
    /// This event's index within the append that stored it, and that append's length:
    /// they let a re-sent append be recognised as exactly the original one.
    #[prost(uint32, tag = "9")]
    pub append_index: u32,
    #[prost(uint32, tag = "10")]
    pub append_len: u32,
}

/// A record read back and checked: the event, its chain hash and where its append began.
#[derive(Debug, Clone)]
pub(crate) struct DecodedRecord {
    pub event: RecordedEvent,
    pub chain_hash: [u8; 32],
    pub append_index: u32,
    pub append_len: u32,
}

/// Chains `body` onto `previous`.
pub(crate) fn chain(previous: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(previous);
    hasher.update(body);
    *hasher.finalize().as_bytes()
}

/// Encodes a record; returns the stored bytes and its chain hash.
pub(crate) fn encode(body: &StoredBody, previous: &[u8; 32]) -> (Vec<u8>, [u8; 32]) {
    // One buffer: the body is encoded after room for the header, then the header filled.
    let mut out = Vec::with_capacity(HEADER_BYTES + body.encoded_len());
    out.resize(HEADER_BYTES, 0);
    body.encode_raw(&mut out);
    let hash = chain(previous, &out[HEADER_BYTES..]);
    out[4..HEADER_BYTES].copy_from_slice(&hash);
    let crc = crc32fast::hash(&out[4..]);
    out[..4].copy_from_slice(&crc.to_le_bytes());
    (out, hash)
}

/// The encoded body of a stored record (what the chain hash covers). `stored` must have
/// passed [`decode`].
pub(crate) fn body_of(stored: &[u8]) -> &[u8] {
    stored.get(HEADER_BYTES..).unwrap_or_default()
}

/// Decodes and checks the record stored at `position`. Any damage is an error naming the
/// position, never data.
pub(crate) fn decode(position: u64, stored: &[u8]) -> Result<DecodedRecord, LogError> {
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
    let body = StoredBody::decode(body_of(stored))
        .map_err(|e| corrupt(format!("undecodable body: {e}")))?;
    if body.position != position {
        return Err(corrupt(format!("record claims position {}", body.position)));
    }
    let event_id =
        Uuid::from_slice(&body.event_id).map_err(|e| corrupt(format!("bad event id: {e}")))?;
    Ok(DecodedRecord {
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
        append_index: body.append_index,
        append_len: body.append_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> StoredBody {
        StoredBody {
            event_id: Uuid::new_v4().as_bytes().to_vec(),
            stream: "duty-1".into(),
            version: 3,
            position: 9,
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
        assert_eq!(chain(&GENESIS_HASH, body_of(&bytes)), hash);
        assert_eq!(decoded.event.stream, "duty-1");
        assert_eq!(decoded.event.payload, Bytes::from_static(b"payload"));
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let (bytes, _) = encode(&body(), &GENESIS_HASH);
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            let err = decode(9, &damaged).expect_err("damage must be detected");
            assert!(
                matches!(err, LogError::Corrupt { position: 9, .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn a_record_at_the_wrong_position_is_corrupt() {
        let (bytes, _) = encode(&body(), &GENESIS_HASH);
        assert!(matches!(
            decode(10, &bytes),
            Err(LogError::Corrupt { position: 10, .. })
        ));
    }
}
