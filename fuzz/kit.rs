//! The kit every fuzzing harness (`tests/fuzz.rs` of the domain, auth, log-grpc and gateway
//! crates) includes by path: the runner, the entropy reader and the mutators.
//!
//! Each harness is a proptest run over a vector of random bytes. The bytes are not the
//! input itself but the *choices* that make it: which seed, which mutation, which value
//! (read through [`Entropy`]), so that proptest's shrinking of the bytes shrinks the
//! choices too, and a failure is reported as the smallest input that still fails. Inputs
//! are made three ways, so that both the decoders and the validation behind them are
//! reached: pure random bytes, valid encoded seeds with bytes flipped, inserted or cut,
//! and seeds mutated field by field on the protobuf wire with values chosen to sit on
//! the edges of the rules (see [`message_bytes`]).
//!
//! `DIFACTO_FUZZ_CASES` sets the inputs per harness ([`DEFAULT_CASES`] when unset), and
//! `DIFACTO_FUZZ_SEED` replays a run. Each harness prints one line to stderr, past the
//! test harness's capture: `fuzz <name>: N inputs, 0 panics in S s (seed X)`.

// Each harness uses only part of the kit.
#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use proptest::collection::vec;
use proptest::prelude::any;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

/// Inputs per harness when `DIFACTO_FUZZ_CASES` is unset: small enough that every harness
/// of the workspace together runs in seconds in a debug build on two cores.
pub const DEFAULT_CASES: u32 = 2_000;

/// Most bytes of entropy one input consumes; enough for several mutations of a seed.
const MAX_ENTROPY: usize = 384;

/// `DIFACTO_FUZZ_CASES`, or `default` when unset; a value that is not a number is a
/// mistake worth stopping for, not one to run the default over silently.
pub fn cases(default: u32) -> u32 {
    match std::env::var("DIFACTO_FUZZ_CASES") {
        Ok(text) => text
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("DIFACTO_FUZZ_CASES={text:?} is not a number")),
        Err(_) => default,
    }
}

fn seed() -> u64 {
    match std::env::var("DIFACTO_FUZZ_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("DIFACTO_FUZZ_SEED={text:?} is not a number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    }
}

/// Runs `test` on [`cases`] inputs (or `default` when unset) and fails with the smallest
/// input that panics, hex-encoded. `test` asserts what must hold besides "no panic" with
/// `assert!`; a failed assertion is a failure like any other panic.
pub fn run(name: &str, default: u32, test: impl Fn(&mut Entropy)) {
    let cases = cases(default);
    let seed = seed();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        // Shrinking re-runs the whole input; past this, the input found is small enough.
        max_shrink_iters: 20_000,
        ..Config::default()
    });
    let count = AtomicU64::new(0);
    let started = Instant::now();
    let result = runner.run(&vec(any::<u8>(), 0..=MAX_ENTROPY), |bytes| {
        count.fetch_add(1, Ordering::Relaxed);
        test(&mut Entropy::new(&bytes));
        Ok(())
    });
    let inputs = count.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(()) => {
            // Straight to stderr, so the count shows without `--nocapture`.
            let _ = writeln!(
                std::io::stderr(),
                "fuzz {name}: {inputs} inputs, 0 panics in {seconds:.1} s (seed {seed})"
            );
        }
        Err(TestError::Fail(reason, bytes)) => {
            let reason = reason.message().to_owned();
            panic!(
                "fuzz {name}: a panic after {inputs} inputs (seed {seed}): {reason}\n\
                 smallest entropy that panics ({} bytes): {}\n\
                 replay it with `kit::replay(\"<hex>\", ...)`",
                bytes.len(),
                hex(&bytes)
            );
        }
        Err(TestError::Abort(reason)) => panic!("fuzz {name}: aborted: {}", reason.message()),
    }
}

/// Runs `test` on one input given as the hex a failure printed: to write down a finding
/// as a regression test.
pub fn replay(hex: &str, test: impl Fn(&mut Entropy)) {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    test(&mut Entropy::new(&bytes));
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Choices read from the input's bytes. Once they run out every choice is the first
/// option, so a shorter input is a simpler one (which is what shrinking wants).
#[derive(Debug)]
pub struct Entropy<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Entropy<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0 }
    }

    pub fn byte(&mut self) -> u8 {
        let byte = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => usize::from(self.byte()) % n,
            _ => self.u32() as usize % n,
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0 && n > 0
    }

    pub fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }

    /// The next `n` bytes (fewer when the input runs out).
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let start = self.at.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.at = start + n;
        self.data[start..end].to_vec()
    }

    /// Every byte not read yet.
    pub fn rest(&mut self) -> Vec<u8> {
        let start = self.at.min(self.data.len());
        self.at = self.data.len();
        self.data[start..].to_vec()
    }
}

/// Values that sit on the edges of the rules: the harness's own (codes, ids, dates that
/// its world knows) followed by ones that matter everywhere.
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    pub strings: Vec<String>,
    pub numbers: Vec<u64>,
}

impl Dictionary {
    /// `own` strings and numbers, then the common ones.
    pub fn with(own: &[&str], numbers: &[u64]) -> Self {
        let mut strings: Vec<String> = own.iter().map(|s| (*s).to_owned()).collect();
        strings.extend(COMMON_STRINGS.iter().map(|s| (*s).to_owned()));
        for n in [41, 65, 101, 201, 1001, 2001, 4001, 17_000] {
            strings.push("a".repeat(n));
            strings.push("9".repeat(n));
        }
        strings.push("é".repeat(300));
        strings.push("A81001 ".repeat(2000));
        let mut all_numbers = numbers.to_vec();
        all_numbers.extend_from_slice(COMMON_NUMBERS);
        Self {
            strings,
            numbers: all_numbers,
        }
    }

    pub fn string(&self, e: &mut Entropy) -> Vec<u8> {
        if self.strings.is_empty() {
            return Vec::new();
        }
        e.pick(&self.strings).clone().into_bytes()
    }

    pub fn number(&self, e: &mut Entropy) -> u64 {
        match e.below(8) {
            0 => e.u64(),
            1 => u64::from(e.byte()),
            _ if self.numbers.is_empty() => 0,
            _ => *e.pick(&self.numbers),
        }
    }
}

const COMMON_STRINGS: &[&str] = &[
    "",
    " ",
    "\t\n",
    "0",
    "-1",
    "null",
    "true",
    "NaN",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "\u{200b}A81001",
    "é",
    "９４３４７６５９１９",
    "٩٤٣٤٧٦٥٩١٩",
    "🦀",
    "e\u{301}",
    "%s%n%x",
    "'; DROP TABLE x; --",
    "../../etc/passwd",
    "{\"a\":1}",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "NHS number 943 476 5919",
    "943.476.5919",
    "9434765919",
    "ref9434765919",
    "jo.bloggs@example.nhs.uk",
    "jö@example.com",
    "ring 07700 900123",
    "0044 7700 900123",
    "+44 (0)7700 900123",
    "LS6 2AB 04/07/1941",
    "DOB 4th July 1941, LS6 2AB",
    "2026-05-13",
    "2026-02-29",
    "2024-02-29",
    "0000-01-01",
    "-0001-12-31",
    "+262143-12-31",
    "262143-12-31",
    "-262144-01-01",
    "9999-12-31",
    "99999-01-01",
    "2026-5-1",
    "2026-W20",
    "2026-W53",
    "2020-W53",
    "2000-W01",
    "1999-W52",
    "9999-W52",
    "0000-W01",
    "2026-W00",
    "2026-W99",
    "2026-05-20T10:00:00Z",
    "2026-05-20T10:00:60Z",
    "2026-05-20T10:00:00.999999999Z",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "1970-01-01T00:00:00Z",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "{00000000-0000-0000-0000-000000000000}",
    "urn:uuid:00000000-0000-0000-0000-000000000001",
    "00000000000000000000000000000001",
    "en",
    "pa-Guru",
    "zh-Hant-HK",
    "en-",
    "https://example.org/help",
    "https://",
    "http://example.org",
    "https://[::1]:99999/",
    "https://user:pw@example.org/",
    "javascript:alert(1)",
];

const COMMON_NUMBERS: &[u64] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    9,
    10,
    11,
    12,
    13,
    20,
    99,
    100,
    101,
    499,
    500,
    501,
    999,
    1000,
    1001,
    9_999,
    10_000,
    10_001,
    99_999,
    100_000,
    100_001,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    0x1_0000_0000,
    i64::MAX as u64,
    // i32::MIN and -1 as proto3 encodes negative int32 and enum values: ten bytes.
    0xffff_ffff_8000_0000,
    u64::MAX,
];

/// One field of a protobuf message as it is on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    Varint(u64),
    Fixed64(u64),
    Bytes(Vec<u8>),
    Fixed32(u32),
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The fields of an encoded message, or `None` if it is not one (groups count as not).
pub fn parse_wire(bytes: &[u8]) -> Option<Vec<(u32, Wire)>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let key = read_varint(bytes, &mut at)?;
        let number = u32::try_from(key >> 3).ok().filter(|n| *n > 0)?;
        let wire = match key & 7 {
            0 => Wire::Varint(read_varint(bytes, &mut at)?),
            1 => {
                let chunk = bytes.get(at..at + 8)?;
                at += 8;
                Wire::Fixed64(u64::from_le_bytes(chunk.try_into().ok()?))
            }
            2 => {
                let len = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
                let chunk = bytes.get(at..at.checked_add(len)?)?;
                at += len;
                Wire::Bytes(chunk.to_vec())
            }
            5 => {
                let chunk = bytes.get(at..at + 4)?;
                at += 4;
                Wire::Fixed32(u32::from_le_bytes(chunk.try_into().ok()?))
            }
            _ => return None,
        };
        fields.push((number, wire));
    }
    Some(fields)
}

pub fn encode_wire(fields: &[(u32, Wire)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (number, wire) in fields {
        let key = u64::from(*number) << 3;
        match wire {
            Wire::Varint(v) => {
                write_varint(&mut out, key);
                write_varint(&mut out, *v);
            }
            Wire::Fixed64(v) => {
                write_varint(&mut out, key | 1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Wire::Bytes(b) => {
                write_varint(&mut out, key | 2);
                write_varint(&mut out, b.len() as u64);
                out.extend_from_slice(b);
            }
            Wire::Fixed32(v) => {
                write_varint(&mut out, key | 5);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    out
}

/// The bytes of one request: pure random bytes, a seed with bytes flipped, inserted or
/// cut, or a seed mutated field by field (and sometimes its bytes after that).
pub fn message_bytes(e: &mut Entropy, seeds: &[Vec<u8>], dict: &Dictionary) -> Vec<u8> {
    let class = e.byte();
    if seeds.is_empty() || class < 32 {
        let len = e.below(MAX_ENTROPY);
        return e.bytes(len);
    }
    let seed = e.pick(seeds).clone();
    if class < 96 {
        return mutate_bytes(e, seed, dict);
    }
    let fields = mutate_fields(e, seed, dict, 0);
    if e.one_in(6) {
        mutate_bytes(e, fields, dict)
    } else {
        fields
    }
}

/// A seed changed field by field: values replaced by edge values or edited, fields
/// repeated, dropped, added or moved, nested messages mutated in turn.
pub fn mutate_fields(e: &mut Entropy, seed: Vec<u8>, dict: &Dictionary, depth: u8) -> Vec<u8> {
    let Some(mut fields) = parse_wire(&seed) else {
        return mutate_bytes(e, seed, dict);
    };
    let numbers: Vec<u32> = fields.iter().map(|(n, _)| *n).collect();
    let rounds = 1 + e.below(4);
    for _ in 0..rounds {
        match e.below(16) {
            // Most of the time, change one value: that is what reaches the rules.
            0..=8 if !fields.is_empty() => {
                let i = e.below(fields.len());
                let value = &mut fields[i].1;
                *value = mutate_value(e, value.clone(), dict, depth);
            }
            9 if !fields.is_empty() => {
                let i = e.below(fields.len());
                let copies = if e.one_in(16) {
                    1 + e.below(3000)
                } else {
                    1 + e.below(4)
                };
                let field = fields[i].clone();
                for _ in 0..copies {
                    fields.push(field.clone());
                }
            }
            10 if !fields.is_empty() => {
                let i = e.below(fields.len());
                fields.remove(i);
            }
            11 if fields.len() > 1 => {
                let (i, j) = (e.below(fields.len()), e.below(fields.len()));
                fields.swap(i, j);
            }
            _ => {
                // A new field: one the message has, or any number at all.
                let number = if !numbers.is_empty() && e.below(3) > 0 {
                    *e.pick(&numbers)
                } else {
                    1 + e.below(40) as u32
                };
                let value = match e.below(4) {
                    0 => Wire::Varint(dict.number(e)),
                    1 => Wire::Fixed64(e.u64()),
                    2 => Wire::Fixed32(e.u32()),
                    _ => Wire::Bytes(dict.string(e)),
                };
                fields.push((number, value));
            }
        }
    }
    encode_wire(&fields)
}

fn mutate_value(e: &mut Entropy, value: Wire, dict: &Dictionary, depth: u8) -> Wire {
    match value {
        Wire::Varint(v) => Wire::Varint(match e.below(4) {
            0 => v.wrapping_add(1),
            1 => v.wrapping_sub(1),
            _ => dict.number(e),
        }),
        Wire::Fixed64(_) => Wire::Fixed64(e.u64()),
        Wire::Fixed32(_) => Wire::Fixed32(e.u32()),
        Wire::Bytes(bytes) => Wire::Bytes(match e.below(8) {
            // A nested message (or a map entry): mutate inside it.
            0 if depth < 3 && parse_wire(&bytes).is_some_and(|f| !f.is_empty()) => {
                mutate_fields(e, bytes, dict, depth + 1)
            }
            0..=3 => dict.string(e),
            4 => {
                let mut text = bytes;
                let at = e.below(text.len() + 1);
                let insert = dict.string(e);
                text.splice(at..at, insert);
                text
            }
            5 => {
                // Padding or wrapping the value: trimming and case rules.
                let mut text = bytes;
                let pads: [&[u8]; 5] = [b" ", b"\t", b"\n", b"\xc2\xa0", b"\xe3\x80\x80"];
                let pad = *e.pick(&pads);
                if e.one_in(2) {
                    text.splice(0..0, pad.iter().copied());
                } else {
                    text.extend_from_slice(pad);
                }
                if e.one_in(3) {
                    text.make_ascii_lowercase();
                }
                text
            }
            _ => mutate_bytes(e, bytes, dict),
        }),
    }
}

/// Bytes flipped, replaced, inserted, cut or repeated.
pub fn mutate_bytes(e: &mut Entropy, mut bytes: Vec<u8>, dict: &Dictionary) -> Vec<u8> {
    let rounds = 1 + e.below(4);
    for _ in 0..rounds {
        let at = e.below(bytes.len() + 1);
        match e.below(8) {
            0 if at < bytes.len() => bytes[at] ^= 1 << e.below(8),
            1 if at < bytes.len() => bytes[at] = e.byte(),
            2 => {
                let n = 1 + e.below(8);
                let insert = e.bytes(n);
                bytes.splice(at..at, insert);
            }
            3 => {
                let end = (at + 1 + e.below(16)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            4 => bytes.truncate(at),
            5 => {
                let insert = dict.string(e);
                bytes.splice(at..at, insert);
            }
            6 if !bytes.is_empty() => {
                let start = e.below(bytes.len());
                let end = (start + 1 + e.below(32)).min(bytes.len());
                let chunk = bytes[start..end].to_vec();
                bytes.splice(at..at, chunk);
            }
            _ => {
                let value = [0x00, 0x7f, 0x80, 0xff][e.below(4)];
                bytes.insert(at, value);
            }
        }
    }
    bytes
}

/// A text made from `bytes`: valid UTF-8 where they are, replacement characters where not.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A string input: a dictionary value, an edited one, or random bytes read as text.
pub fn string(e: &mut Entropy, dict: &Dictionary) -> String {
    match e.below(4) {
        0 => {
            let n = e.below(64);
            text(&e.bytes(n))
        }
        1 => {
            let base = dict.string(e);
            text(&mutate_bytes(e, base, dict))
        }
        _ => text(&dict.string(e)),
    }
}
