//! The key layout of the single sled tree that holds the log. Everything lives in one tree
//! because sled applies a batch atomically only within one tree: a record, its stream and
//! id index entries and the new head are stored together or not at all.
//!
//! | prefix | key                                  | value                      |
//! |--------|--------------------------------------|----------------------------|
//! | `R`    | position (u64 BE)                    | the record (see `record`)  |
//! | `H`    | (nothing)                            | head position, chain hash  |
//!
//! There are no stored indexes: the stream and event-id indexes live in memory, rebuilt at
//! open from the records (see `index` for why).
//!
//! Big-endian integers make sled's byte order the numeric order, so range scans walk
//! positions in order.

pub(super) const HEAD: &[u8] = b"H";

pub(super) fn record(position: u64) -> [u8; 9] {
    let mut key = [b'R'; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
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
