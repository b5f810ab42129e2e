//! How one event is stored, and the two integrity checks every record carries: the one
//! codec of every backend (the sled log's records, the JetStream log's message payloads).
//!
//! A stored value is `crc32 (4 bytes LE) | chain hash (32 bytes) | body`, where `body` is
//! the prost encoding of [`StoredBody`]. The checksum covers the hash and the body, so a
//! flipped bit anywhere is caught on every read. The chain hash is
//! `blake3(previous record's chain hash | body)`; which record is "previous" is the
//! backend's choice (the sled log chains the whole log, the JetStream log each stream),
//! and the last hash commits to every record before it: `difacto verify` recomputes it and
//! proves nothing was altered, removed or reordered.

use bytes::{Buf, Bytes};
use prost::Message;
use uuid::Uuid;

use crate::error::LogError;
use crate::event::{Metadata, RecordedEvent};

/// The chain hash before the first record.
pub const GENESIS_HASH: [u8; 32] = [0; 32];
/// The checksum and the chain hash before the body.
pub const HEADER_BYTES: usize = 4 + 32;

/// The stored form of an event. Field numbers are a storage format: never reuse one.
#[derive(Clone, PartialEq, Message)]
pub struct StoredBody {
    #[prost(bytes = "vec", tag = "1")]
    pub event_id: Vec<u8>,
    #[prost(string, tag = "2")]
    pub stream: String,
    #[prost(uint64, tag = "3")]
    pub version: u64,
    /// The position the backend ties the record to, checked on every read. The sled log
    /// stores the record's own position (a record copied to another key reads as
    /// corrupt); the JetStream log, whose positions are assigned after publishing, the
    /// position of the stream's previous record (see `eventlog-nats`'s `record`).
    #[prost(uint64, tag = "4")]
    pub link: u64,
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

impl StoredBody {
    /// Decodes the body of the record at `position` (what follows its header).
    pub fn read(position: u64, body: impl Buf) -> Result<Self, LogError> {
        Self::decode(body).map_err(|e| LogError::Corrupt {
            position,
            reason: format!("undecodable body: {e}"),
        })
    }

    /// The event this body stores at `position`.
    pub fn into_event(self, position: u64) -> Result<RecordedEvent, LogError> {
        let event_id = Uuid::from_slice(&self.event_id).map_err(|e| LogError::Corrupt {
            position,
            reason: format!("bad event id: {e}"),
        })?;
        Ok(RecordedEvent {
            event_id,
            stream: self.stream,
            version: self.version,
            position,
            event_type: self.event_type,
            payload: self.payload,
            metadata: self.metadata,
            recorded_at_unix_micros: self.recorded_at_unix_micros,
        })
    }
}

/// Chains `body` onto `previous`.
pub fn chain(previous: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(previous);
    hasher.update(body);
    *hasher.finalize().as_bytes()
}

/// Encodes a record; returns the stored bytes and its chain hash.
pub fn encode(body: &StoredBody, previous: &[u8; 32]) -> (Vec<u8>, [u8; 32]) {
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
/// passed [`open`].
pub fn body_of(stored: &[u8]) -> &[u8] {
    stored.get(HEADER_BYTES..).unwrap_or_default()
}

/// Checks the frame of the record stored at `position` (its length and checksum) and
/// returns its chain hash. Any damage is an error naming the position, never data.
pub fn open(position: u64, stored: &[u8]) -> Result<[u8; 32], LogError> {
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
    Ok(chain_hash)
}

/// A sled record read back and checked: the event, its chain hash and where its append
/// began.
#[derive(Debug, Clone)]
pub(crate) struct DecodedRecord {
    pub event: RecordedEvent,
    pub chain_hash: [u8; 32],
    pub append_index: u32,
    pub append_len: u32,
}

/// Decodes and checks the sled record stored at `position`, which must name that position.
pub(crate) fn decode(position: u64, stored: &[u8]) -> Result<DecodedRecord, LogError> {
    let chain_hash = open(position, stored)?;
    let body = StoredBody::read(position, body_of(stored))?;
    if body.link != position {
        return Err(LogError::Corrupt {
            position,
            reason: format!("record claims position {}", body.link),
        });
    }
    let (append_index, append_len) = (body.append_index, body.append_len);
    Ok(DecodedRecord {
        event: body.into_event(position)?,
        chain_hash,
        append_index,
        append_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> StoredBody {
        StoredBody {
            event_id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)
                .as_bytes()
                .to_vec(),
            stream: "duty-1".into(),
            version: 3,
            link: 9,
            event_type: "difacto.v1.DutyDefined".into(),
            payload: Bytes::from_static(b"payload"),
            metadata: [("actor".to_owned(), "u1".to_owned())].into(),
            recorded_at_unix_micros: 1_700_000_000_000_000,
            append_index: 0,
            append_len: 1,
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The stored bytes are a format: logs written before must read the same afterwards.
    #[test]
    fn the_stored_bytes_of_a_record_are_pinned() {
        let (bytes, hash) = encode(&body(), &GENESIS_HASH);
        assert_eq!(hex(&bytes), PINNED);
        assert_eq!(hex(&hash), hex(&bytes[4..HEADER_BYTES]));
    }

    /// Written by the codec before the sled and JetStream logs shared it (one record of
    /// a sled log; a JetStream message differs only in the body's `link`).
    const PINNED: &str = concat!(
        "783a33b03c97312e1fb87178b419520ab75074f9c45f501edf66e107b45f0380",
        "817412e90a100123456789abcdef0123456789abcdef1206647574792d311803",
        "20092a166469666163746f2e76312e44757479446566696e656432077061796c",
        "6f61643a0b0a056163746f7212027531408080f9c0c1c482035001",
    );

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
