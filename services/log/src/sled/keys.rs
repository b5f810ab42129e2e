//! The key layout of the single sled tree that holds the log. Everything lives in one tree
//! because sled applies a batch atomically only within one tree: a record, its stream and
//! id index entries and the new head are stored together or not at all.
//!
//! | prefix | key                                  | value                      |
//! |--------|--------------------------------------|----------------------------|
//! | `R`    | position (u64 BE)                    | the record (see `record`)  |
//! | `S`    | stream name, 0x00, version (u64 BE)  | position (u64 BE)          |
//! | `H`    | (nothing)                            | head position, chain hash  |
//!
//! There is no stored event-id index: ids are random, so such an index touches a different
//! page for every event, which doubled the bytes on disk and cost a third of the append
//! rate in measurements. The id index lives in memory instead, rebuilt at open from the
//! records (see `writer::load_ids`).
//!
//! Big-endian integers make sled's byte order the numeric order, so range scans walk
//! positions and versions in order. 0x00 cannot occur in a stream name (see `limits`).

pub(super) const HEAD: &[u8] = b"H";

pub(super) fn record(position: u64) -> [u8; 9] {
    let mut key = [b'R'; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

pub(super) fn stream_prefix(stream: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(stream.len() + 10);
    key.push(b'S');
    key.extend_from_slice(stream.as_bytes());
    key.push(0);
    key
}

pub(super) fn stream_version(stream: &str, version: u64) -> Vec<u8> {
    let mut key = stream_prefix(stream);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// Reads a big-endian u64 from the last eight bytes of a key or the first eight of a value.
pub(super) fn u64_suffix(bytes: &[u8]) -> Option<u64> {
    let start = bytes.len().checked_sub(8)?;
    Some(u64::from_be_bytes(bytes[start..].try_into().ok()?))
}

pub(super) fn u64_prefix(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

pub(super) fn head_value(position: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut value = Vec::with_capacity(40);
    value.extend_from_slice(&position.to_be_bytes());
    value.extend_from_slice(hash);
    value
}

pub(super) fn parse_head(value: &[u8]) -> Option<(u64, [u8; 32])> {
    let position = u64_prefix(value)?;
    let hash = value.get(8..40)?.try_into().ok()?;
    Some((position, hash))
}
