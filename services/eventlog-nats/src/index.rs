//! What a process knows of the whole log, folded from every record in position order:
//! each difacto stream's positions by version and its last chain hash, and every event
//! id's place (the idempotency check, with no time window). Applying a record checks it
//! against everything before it, so the same fold is `verify`.
//!
//! Held in memory, like the sled log's indexes: about 100 bytes per event.

use std::collections::HashMap;
use std::sync::Arc;

use eventlog::{Direction, LogError};
use uuid::Uuid;

use crate::record::{self, Decoded, GENESIS_HASH};

/// Where an event id is stored, and what with: enough to tell a re-sent append from a
/// reused id.
#[derive(Debug, Clone)]
pub(crate) struct IdEntry {
    pub position: u64,
    pub stream: Arc<str>,
    pub version: u64,
    pub append_index: u32,
    pub append_len: u32,
    pub digest: [u8; 16],
}

#[derive(Debug, Default)]
struct StreamEntry {
    /// The position of version `v` is `positions[v]`.
    positions: Vec<u64>,
    last_hash: [u8; 32],
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    streams: HashMap<Arc<str>, StreamEntry>,
    ids: HashMap<Uuid, IdEntry>,
    applied: u64,
    /// Every record's chain hash folded in position order: one value that commits to the
    /// whole log in its global order (two copies with the same digest hold the same
    /// records in the same order).
    digest: [u8; 32],
}

impl Index {
    /// The last position applied.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Checks `record` against everything before it and adds it. Any inconsistency is
    /// damage, named by position.
    pub fn apply(&mut self, record: &Decoded) -> Result<(), LogError> {
        let event = &record.event;
        let position = event.position;
        let corrupt = |reason: String| LogError::Corrupt { position, reason };
        if position != self.applied + 1 {
            return Err(LogError::Corrupt {
                position: self.applied + 1,
                reason: format!("record is missing (the next stored is {position})"),
            });
        }
        if let Some(first) = self.ids.get(&event.event_id) {
            return Err(corrupt(format!(
                "event id {} is also stored at position {}",
                event.event_id, first.position
            )));
        }
        let stream = match self.streams.get_key_value(event.stream.as_str()) {
            Some((name, _)) => name.clone(),
            None => Arc::from(event.stream.as_str()),
        };
        let entry = self.streams.entry(stream.clone()).or_insert(StreamEntry {
            positions: Vec::new(),
            last_hash: GENESIS_HASH,
        });
        if event.version != entry.positions.len() as u64 {
            return Err(corrupt(format!(
                "stream {} jumps from version {} to {}",
                event.stream,
                entry.positions.len(),
                event.version
            )));
        }
        let previous = entry.positions.last().copied().unwrap_or(0);
        let linked = if record.append_index == 0 {
            record.previous_position == previous
        } else {
            record.previous_position == 0 && previous + 1 == position
        };
        if !linked {
            return Err(corrupt(format!(
                "record names position {} as its stream's previous, which is {previous}",
                record.previous_position
            )));
        }
        if record::chain(&entry.last_hash, &record.body_hash_input) != record.chain_hash {
            return Err(corrupt(
                "hash chain broken: the record does not follow its stream's previous one".into(),
            ));
        }
        entry.positions.push(position);
        entry.last_hash = record.chain_hash;
        self.ids.insert(
            event.event_id,
            IdEntry {
                position,
                stream,
                version: event.version,
                append_index: record.append_index,
                append_len: record.append_len,
                digest: record::content_digest(&event.event_type, &event.payload, &event.metadata),
            },
        );
        self.digest = record::chain(&self.digest, &record.chain_hash);
        self.applied = position;
        Ok(())
    }

    /// `stream`'s last record as folded so far: position, version and chain hash.
    pub fn last_of(&self, stream: &str) -> Option<(u64, u64, [u8; 32])> {
        let entry = self.streams.get(stream)?;
        let position = *entry.positions.last()?;
        Some((position, entry.positions.len() as u64 - 1, entry.last_hash))
    }

    pub fn id(&self, id: &Uuid) -> Option<&IdEntry> {
        self.ids.get(id)
    }

    /// Up to `limit` positions of `stream` from `from_version` in `direction`.
    pub fn positions(
        &self,
        stream: &str,
        from_version: u64,
        limit: usize,
        direction: Direction,
    ) -> Vec<u64> {
        let Some(entry) = self.streams.get(stream) else {
            return Vec::new();
        };
        let all = &entry.positions;
        match direction {
            Direction::Forwards => {
                let start = usize::try_from(from_version).unwrap_or(usize::MAX);
                all.iter().skip(start).take(limit).copied().collect()
            }
            Direction::Backwards => {
                if all.is_empty() {
                    return Vec::new();
                }
                let last = usize::try_from(from_version)
                    .unwrap_or(usize::MAX)
                    .min(all.len() - 1);
                all[..=last].iter().rev().take(limit).copied().collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{StoredBody, decode, encode};
    use bytes::Bytes;

    fn body(stream: &str, version: u64, previous_position: u64) -> StoredBody {
        StoredBody {
            event_id: Uuid::new_v4().as_bytes().to_vec(),
            stream: stream.into(),
            version,
            link: previous_position,
            event_type: "difacto.v1.Test".into(),
            payload: Bytes::from_static(b"p"),
            metadata: Default::default(),
            recorded_at_unix_micros: 1,
            append_index: 0,
            append_len: 1,
        }
    }

    #[test]
    fn a_record_off_its_streams_chain_is_damage() {
        let mut index = Index::default();
        let (first, hash) = encode(&body("s", 0, 0), &GENESIS_HASH);
        index
            .apply(&decode(1, &first).expect("decodes"))
            .expect("applies");
        // Chained onto the wrong hash: checksums pass, the chain does not.
        let (forged, _) = encode(&body("s", 1, 1), &GENESIS_HASH);
        let err = index
            .apply(&decode(2, &forged).expect("decodes"))
            .expect_err("chain broken");
        assert!(
            matches!(err, LogError::Corrupt { position: 2, .. }),
            "{err:?}"
        );
        // Naming the wrong predecessor is damage too.
        let (misplaced, _) = encode(&body("s", 1, 0), &hash);
        assert!(
            index
                .apply(&decode(2, &misplaced).expect("decodes"))
                .is_err()
        );
        // A hole in the positions is named by the first missing one.
        let (later, _) = encode(&body("t", 0, 0), &GENESIS_HASH);
        let err = index
            .apply(&decode(3, &later).expect("decodes"))
            .expect_err("hole");
        assert!(
            matches!(err, LogError::Corrupt { position: 2, .. }),
            "{err:?}"
        );
        let (good, _) = encode(&body("s", 1, 1), &hash);
        index
            .apply(&decode(2, &good).expect("decodes"))
            .expect("applies");
        assert_eq!(index.positions("s", 0, 10, Direction::Forwards), [1, 2]);
    }
}
