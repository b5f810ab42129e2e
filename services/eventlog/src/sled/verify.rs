//! `difacto verify`: proves the stored log is whole. It walks every record in position
//! order and checks, stopping at the first damage with an error that names the position:
//! - the checksum of each record;
//! - positions dense from 1;
//! - the hash chain: each record's hash is blake3(previous hash | body);
//! - versions dense within each stream;
//! - no event id is stored twice;
//! - the head names the last record and its hash.

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
    let mut ids = std::collections::HashMap::new();
    let mut versions = std::collections::HashMap::new();
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
        let decoded = record::decode(position, &stored)?;
        if record::chain(&previous, record::body_of(&stored)) != decoded.chain_hash {
            return Err(LogError::Corrupt {
                position,
                reason: "hash chain broken: the record does not follow the one before it".into(),
            });
        }
        let event = &decoded.event;
        let next_version = versions.entry(event.stream.clone()).or_insert(0u64);
        if event.version != *next_version {
            return Err(LogError::Corrupt {
                position,
                reason: format!(
                    "stream {} jumps from version {} to {}",
                    event.stream, *next_version, event.version
                ),
            });
        }
        *next_version += 1;
        if let Some(first) = ids.insert(event.event_id, position) {
            return Err(LogError::Corrupt {
                position,
                reason: format!(
                    "event id {} is also stored at position {first}",
                    event.event_id
                ),
            });
        }
        previous = decoded.chain_hash;
        expected_position += 1;
    }
    let records = expected_position - 1;
    let last_position = records;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLog, ExpectedVersion, NewEvent, SledConfig, SledLog};
    use bytes::Bytes;

    fn event(payload: &str) -> NewEvent {
        NewEvent {
            event_id: uuid::Uuid::new_v4(),
            event_type: "difacto.v1.Test".into(),
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            metadata: Default::default(),
        }
    }

    /// Writes `n` events to a fresh log, closes it, and returns the directory.
    async fn written_log(n: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("dir");
        let log = SledLog::open(&SledConfig::new(dir.path())).expect("open");
        for i in 0..n {
            log.append(
                &format!("s-{}", i % 2),
                ExpectedVersion::Any,
                vec![event(&i.to_string())],
            )
            .await
            .expect("append");
        }
        log.close().await.expect("close");
        dir
    }

    /// Opens the raw tree underneath a closed log, to damage it as a disk or an attacker would.
    /// XORs `mask` into the byte of the record at `position` that `pick` chooses from the
    /// record's length.
    fn flip(tree: &sled::Tree, position: u64, pick: fn(usize) -> usize, mask: u8) {
        let mut value = tree
            .get(keys::record(position))
            .expect("get")
            .expect("record")
            .to_vec();
        let index = pick(value.len());
        value[index] ^= mask;
        tree.insert(keys::record(position), value).expect("insert");
    }

    fn tamper(dir: &std::path::Path, damage: impl FnOnce(&sled::Tree)) {
        // The closed log's lock is released a moment after close; wait for it as open does.
        let started = std::time::Instant::now();
        let db = loop {
            match sled::open(dir) {
                Ok(db) => break db,
                Err(_) if started.elapsed() < std::time::Duration::from_secs(5) => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(err) => panic!("raw open: {err}"),
            }
        };
        damage(&db.open_tree(super::super::TREE_NAME).expect("tree"));
        db.flush().expect("flush");
    }

    fn corrupt_position(dir: &std::path::Path) -> u64 {
        match crate::sled::verify_path(dir, 8 << 20) {
            Err(LogError::Corrupt { position, .. }) => position,
            other => panic!("expected corruption to be found, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_intact_log_verifies_and_survives_reopening() {
        let dir = written_log(5).await;
        let log = SledLog::open(&SledConfig::new(dir.path())).expect("reopen");
        assert_eq!(log.head_position().await.expect("head"), 5);
        log.append(
            "s-0",
            ExpectedVersion::Exact(2),
            vec![event("after reopen")],
        )
        .await
        .expect("the chain continues");
        let report = log.verify().expect("verifies");
        assert_eq!((report.records, report.last_position), (6, 6));
    }

    #[tokio::test]
    async fn a_flipped_byte_is_named_by_position() {
        let dir = written_log(5).await;
        // The last byte.
        tamper(dir.path(), |tree| flip(tree, 3, |len| len - 1, 1));
        assert_eq!(corrupt_position(dir.path()), 3);
    }

    #[tokio::test]
    async fn a_rewritten_record_with_a_fresh_checksum_breaks_the_chain() {
        let dir = written_log(5).await;
        tamper(dir.path(), |tree| {
            let stored = tree.get(keys::record(2)).expect("get").expect("record");
            let decoded = record::decode(2, &stored).expect("decode");
            let body = crate::record::StoredBody {
                event_id: decoded.event.event_id.as_bytes().to_vec(),
                stream: decoded.event.stream.clone(),
                version: decoded.event.version,
                link: 2,
                event_type: decoded.event.event_type.clone(),
                payload: Bytes::from_static(b"forged"),
                append_len: 1,
                ..Default::default()
            };
            // A forger can recompute the checksum, but not the chain that later records commit to.
            let (forged, _) = record::encode(&body, &GENESIS_HASH);
            tree.insert(keys::record(2), forged).expect("insert");
        });
        assert_eq!(corrupt_position(dir.path()), 2);
    }

    #[tokio::test]
    async fn a_removed_record_is_named() {
        let dir = written_log(5).await;
        tamper(dir.path(), |tree| {
            tree.remove(keys::record(4)).expect("remove");
        });
        assert_eq!(corrupt_position(dir.path()), 4);
    }

    #[tokio::test]
    async fn swapped_records_are_caught() {
        let dir = written_log(5).await;
        tamper(dir.path(), |tree| {
            let a = tree.get(keys::record(2)).expect("get").expect("a");
            let b = tree.get(keys::record(3)).expect("get").expect("b");
            tree.insert(keys::record(2), b).expect("insert");
            tree.insert(keys::record(3), a).expect("insert");
        });
        assert_eq!(corrupt_position(dir.path()), 2);
    }

    #[tokio::test]
    async fn a_read_of_a_damaged_record_is_an_error_not_data() {
        let dir = written_log(3).await;
        tamper(dir.path(), |tree| flip(tree, 2, |_| 10, 0xff));
        let log = SledLog::open(&SledConfig::new(dir.path())).expect("open");
        match log.read_all(0, 0).await {
            Err(LogError::Corrupt { position: 2, .. }) => {}
            other => panic!("expected Corrupt at 2, got {other:?}"),
        }
    }
}
