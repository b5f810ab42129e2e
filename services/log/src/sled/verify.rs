//! `difacto verify`: proves the stored log is whole. It walks every record in position
//! order and checks, stopping at the first damage with an error that names the position:
//! - the checksum of each record;
//! - positions dense from 1;
//! - the hash chain: each record's hash is blake3(previous hash | body);
//! - the stream index and the id index point at every record, and at nothing else;
//! - the head names the last record and its hash.

use bytes::Bytes;

use super::keys;
use crate::error::LogError;
use crate::record::{self, GENESIS_HASH};

/// What a successful verification saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub last_position: u64,
    /// The chain hash of the last record: two copies of a log with the same head hash hold
    /// the same events in the same order.
    pub head_hash: [u8; 32],
}

impl VerifyReport {
    pub fn head_hash_hex(&self) -> String {
        self.head_hash.iter().map(|b| format!("{b:02x}")).collect()
    }
}

pub(super) fn verify(tree: &sled::Tree) -> Result<VerifyReport, LogError> {
    let mut previous = GENESIS_HASH;
    let mut expected_position = 1u64;
    for entry in tree.scan_prefix(b"R") {
        let (key, stored) = entry?;
        let position = keys::u64_suffix(&key).ok_or_else(|| LogError::Corrupt {
            position: expected_position,
            reason: "malformed record key".into(),
        })?;
        if position != expected_position {
            return Err(LogError::Corrupt {
                position: expected_position,
                reason: format!("record is missing (the next stored is {position})"),
            });
        }
        let decoded = record::decode(position, Bytes::copy_from_slice(&stored))?;
        if record::chain(&previous, &decoded.body) != decoded.chain_hash {
            return Err(LogError::Corrupt {
                position,
                reason: "hash chain broken: the record does not follow the one before it".into(),
            });
        }
        let event = &decoded.event;
        let indexed = |key: &[u8], what: &str| -> Result<(), LogError> {
            match tree.get(key)?.as_deref().and_then(keys::u64_prefix) {
                Some(p) if p == position => Ok(()),
                other => Err(LogError::Corrupt {
                    position,
                    reason: format!("{what} index points at {other:?}"),
                }),
            }
        };
        indexed(
            &keys::stream_version(&event.stream, event.version),
            "stream",
        )?;
        indexed(&keys::event_id(&event.event_id), "event id")?;
        previous = decoded.chain_hash;
        expected_position += 1;
    }
    let records = expected_position - 1;
    let last_position = records;
    for (prefix, what) in [(&b"S"[..], "stream"), (&b"E"[..], "event id")] {
        let count = tree.scan_prefix(prefix).count() as u64;
        if count != records {
            return Err(LogError::Corrupt {
                position: last_position,
                reason: format!("the {what} index holds {count} entries for {records} records"),
            });
        }
    }
    let head = match tree.get(keys::HEAD)? {
        Some(value) => keys::parse_head(&value),
        None => Some((0, GENESIS_HASH)),
    };
    if head != Some((last_position, previous)) {
        return Err(LogError::Corrupt {
            position: last_position,
            reason: "the head does not name the last record".into(),
        });
    }
    Ok(VerifyReport {
        records,
        last_position,
        head_hash: previous,
    })
}
