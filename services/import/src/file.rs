//! What every imported file shares: it is read whole (the national files are a few
//! megabytes), refused whole when it is not the file it claims to be, and reports each
//! bad row by line and column.

use std::fmt;
use std::path::Path;

use anyhow::Context as _;

/// Far above any national file (epraccur is about 3 MB, the workforce file about 20 MB):
/// a bigger one is the wrong file, and is refused before it is read.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// A file read whole, with what a `RegistryImported` says about it.
#[derive(Debug)]
pub struct Source {
    /// The file's own name, without its directory.
    pub name: String,
    pub bytes: Vec<u8>,
    /// blake3 of the bytes, hex: two imports of one file compare equal.
    pub digest: String,
}

impl Source {
    /// Reads `path`, refusing (in one sentence) what cannot be the file: too large,
    /// empty, or not UTF-8 text.
    pub fn read(flag: &str, path: &Path) -> anyhow::Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let size = std::fs::metadata(path)
            .with_context(|| format!("{flag}: cannot read {}", path.display()))?
            .len();
        if size > MAX_BYTES {
            anyhow::bail!(
                "{flag}: {name} is {} MB, more than any NHS file of this kind: is it the right file?",
                size / (1024 * 1024)
            );
        }
        let bytes = std::fs::read(path)
            .with_context(|| format!("{flag}: cannot read {}", path.display()))?;
        check_text(&bytes).map_err(|reason| anyhow::anyhow!("{flag}: {name} {reason}"))?;
        Ok(Self::from_bytes(name, bytes))
    }

    /// A file made in memory (the demo's), named as if it had been read.
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Self {
        Self {
            name,
            digest: blake3::hash(&bytes).to_hex().to_string(),
            bytes,
        }
    }
}

/// Why a file as a whole is not one difacto reads, as the end of a sentence that starts
/// with the file's name.
pub fn check_text(bytes: &[u8]) -> Result<(), String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("is empty".into());
    }
    if let Err(err) = std::str::from_utf8(bytes) {
        return Err(format!(
            "is not UTF-8 text (byte {} is not): save it as CSV in UTF-8",
            err.valid_up_to() + 1
        ));
    }
    Ok(())
}

/// A headed CSV file's reader and its header: the text checked first, fields trimmed,
/// rows of any width (a short row is a bad row of its own, not the file's end).
pub fn headed(bytes: &[u8]) -> Result<(csv::Reader<&[u8]>, csv::StringRecord), String> {
    check_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|err| format!("has no readable header: {err}"))?
        .clone();
    Ok((reader, header))
}

/// A row that could not be read, skipped with everything it would have recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The line in the file, from 1.
    pub line: u64,
    /// The column, from 1, when one column is at fault.
    pub column: Option<usize>,
    pub reason: String,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// A value quoted in a message: at most 40 characters of what the file held.
pub fn quoted(value: &str) -> String {
    format!("{:?}", value.chars().take(40).collect::<String>())
}

/// Gives each row of a headed CSV file to `row`, with its line and where to put what is
/// wrong with it, and returns how many rows there were, unreadable ones included. A line
/// with nothing on it is no row. What the reader cannot read is a bad row: a bad
/// encoding spoils one record and reading goes on; after a broken quote the rest of the
/// file is that one bad row.
pub fn each_row<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    bad: &mut Vec<BadRow>,
    mut row: impl FnMut(u64, &csv::StringRecord, &mut Vec<BadRow>),
) -> u32 {
    let mut rows = 0;
    for result in reader.records() {
        match result {
            Ok(record) if record.iter().all(str::is_empty) => continue,
            Ok(record) => {
                rows += 1;
                let line = record.position().map_or(0, csv::Position::line);
                row(line, &record, bad);
            }
            Err(err) => {
                rows += 1;
                bad.push(BadRow {
                    line: err.position().map_or(0, csv::Position::line),
                    column: None,
                    reason: format!("is not CSV: {err}"),
                });
                if !matches!(err.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    rows
}
