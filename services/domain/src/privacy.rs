//! DESIGN.md §7: no patient-identifiable data enters the log. Every free-text field is
//! checked for what looks like an NHS number (ten digits passing the modulus-11 check,
//! whatever the separators, digit forms or surrounding letters), an e-mail address
//! (internationalised ones included), a UK phone number in any of its written forms, or a
//! full postcode with a date of birth (a date with a birth cue, an age, or any date more
//! than 16 years past). The check errs on the side of refusing: a false alarm costs a
//! re-worded note, a miss puts a patient in an append-only log that cannot forget.
//!
//! It runs on every free-text field of every command, so it is built to stay linear in the
//! length of the text with small constants (a few µs for a short note):
//! - One pass folds look-alike characters to ASCII ([`normalise`]): every Unicode decimal
//!   digit (`Nd`, e.g. full-width `９`, Arabic-Indic `٩`, mathematical `𝟗`) and the
//!   compatibility digits (`⁹`, `⑨`) become `0`–`9`, full-width ASCII becomes ASCII, dash,
//!   dot, at-sign and space variants become their ASCII forms, and invisible characters
//!   (zero-width spaces, joiners, combining marks) are dropped so they cannot split a
//!   number. ASCII text, the common case, is borrowed untouched. A table is used rather
//!   than NFKC because NFKC leaves most scripts' digits alone (`٩` stays `٩`).
//! - NHS and phone numbers are found by one scan over the bytes for *chains*: runs of
//!   digit groups joined by short runs of separators. Each candidate window is aligned on
//!   whole groups and bounded (10 or 15 digits), so the work per group is constant. No
//!   regex does this: "ten digits with anything between" as a pattern is either blind to
//!   new separators or matches far too much.
//! - E-mail addresses and postcodes use `regex`, whose automata never backtrack: its
//!   matching time is linear in the input for any pattern, so no input is catastrophic.
//! - Dates are read from a token list by small hand-written matchers (numeric dates,
//!   `4th July 1941`, `July 4, 1941`, `the fourth of July nineteen forty-one`), each
//!   looking at a bounded number of tokens from each position.
//!
//! Known limits, accepted because the alternative refuses ordinary notes: an NHS number
//! split into five or more groups of several digits (`94 34 76 59 19`) is taken for a
//! list; one containing eight digits that read as a date `dd.mm.yyyy` and written that
//! way is taken for a date; ten digits of a longer digit run (an 11-digit reference, a
//! UUID) are not an NHS number; `jo @ example.com`, with spaces, is not an address. The
//! other way, ten digits in up to four groups that happen to pass modulus 11 (one in
//! eleven) are refused, whatever they meant, as are ages and old dates beside a venue's
//! postcode (`opened 12 March 1990, LS1 3AB`).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use chrono::{Months, NaiveDate, Utc};
use regex::Regex;

use crate::error::{DomainError, Result};

/// What a refused text looked like it contained, for the error message and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    NhsNumber,
    Email,
    Phone,
    PostcodeWithBirthDate,
}

impl Finding {
    fn describe(self) -> &'static str {
        match self {
            Finding::NhsNumber => "an NHS number",
            Finding::Email => "an e-mail address",
            Finding::Phone => "a phone number",
            Finding::PostcodeWithBirthDate => {
                "a postcode with a date of birth (an address with a date of birth)"
            }
        }
    }
}

/// Refuses `text` if it looks like it identifies a patient, naming `field` and what was seen
/// (never echoing the value itself). "Today" (for "a date more than 16 years past") is the
/// clock's: commands are checked when they arrive, never on replay.
pub fn check_free_text(field: &str, text: &str) -> Result<()> {
    check_free_text_on(field, text, Utc::now().date_naive())
}

/// [`check_free_text`] as of `today`, so that tests do not depend on the clock.
pub fn check_free_text_on(field: &str, text: &str, today: NaiveDate) -> Result<()> {
    match find(text, today) {
        None => Ok(()),
        Some(found) => Err(DomainError::invalid(
            field,
            format!(
                "looks like it contains {}; free text must not identify a patient",
                found.describe()
            ),
        )),
    }
}

/// The first kind of patient-identifiable data `text` looks like it holds, if any.
pub fn find(text: &str, today: NaiveDate) -> Option<Finding> {
    let text = normalise(text);
    let text = text.as_ref();
    let has_digit = text.bytes().any(|b| b.is_ascii_digit());
    if has_digit {
        // Tokens are needed only to blank written dates (a digit then `/`, `.` or `-`) and,
        // beside a postcode, to look for a date of birth; most notes need neither.
        let postcode = POSTCODE.is_match(text);
        let dated = text
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_digit() && matches!(w[1], b'/' | b'.' | b'-'));
        let tokens = (postcode || dated).then(|| Tokens::new(text));
        let written_dates = match &tokens {
            Some(tokens) if dated => dates(tokens, today, true)
                .iter()
                .filter(|d| d.blank)
                .map(|d| tokens.span(&d.tokens))
                .collect(),
            _ => Vec::new(),
        };
        let bytes = masked(text, written_dates);
        if has_nhs_number(&bytes) {
            return Some(Finding::NhsNumber);
        }
        if has_phone_number(&bytes) {
            return Some(Finding::Phone);
        }
        if has_email(text) {
            return Some(Finding::Email);
        }
        // Dates in words are read only beside a postcode: most notes have none.
        if let Some(tokens) = tokens.filter(|_| postcode)
            && has_birth_date(&tokens, &dates(&tokens, today, false), today)
        {
            return Some(Finding::PostcodeWithBirthDate);
        }
        return None;
    }
    // Without a digit there is no number, postcode or numeric date; only an address.
    has_email(text).then_some(Finding::Email)
}

/// Whether ten digits pass the NHS number modulus-11 check.
pub fn is_nhs_number(digits: &[u8; 10]) -> bool {
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, weight)| u32::from(*d) * weight)
        .sum();
    let check = 11 - (sum % 11);
    match check {
        11 => digits[9] == 0,
        10 => false,
        c => u32::from(digits[9]) == c,
    }
}

// ---------------------------------------------------------------------------------------
// Normalisation

/// The first code point of every run of ten Unicode decimal digits (general category `Nd`,
/// Unicode 16), sorted. Each run holds the values 0–9 in order; a test checks this table
/// against the `regex` crate's own `\d` class.
const DECIMAL_ZEROS: [u32; 76] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE, 0x1D7D8,
    0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

/// The value of a decimal digit in any script, or of a compatibility form of one
/// (superscript, subscript, circled, parenthesised, with a full stop or comma).
fn digit_value(c: char) -> Option<u8> {
    let code = u32::from(c);
    let zero = match DECIMAL_ZEROS.binary_search(&code) {
        Ok(i) => Some(DECIMAL_ZEROS[i]),
        Err(0) => None,
        Err(i) => Some(DECIMAL_ZEROS[i - 1]),
    };
    if let Some(zero) = zero
        && code - zero < 10
    {
        return u8::try_from(code - zero).ok();
    }
    let value = match code {
        0xB2 => 2,
        0xB3 => 3,
        0xB9 => 1,
        0x2070 | 0x24EA | 0x24FF | 0x1F100 | 0x1F10B | 0x1F10C => 0,
        0x2074..=0x2079 => code - 0x2070,
        0x2080..=0x2089 => code - 0x2080,
        0x2460..=0x2468 => code - 0x2460 + 1,
        0x2474..=0x247C => code - 0x2474 + 1,
        0x2488..=0x2490 => code - 0x2488 + 1,
        0x24F5..=0x24FD => code - 0x24F5 + 1,
        0x2776..=0x277E => code - 0x2776 + 1,
        0x2780..=0x2788 => code - 0x2780 + 1,
        0x278A..=0x2792 => code - 0x278A + 1,
        0x1F101..=0x1F10A => code - 0x1F101,
        _ => return None,
    };
    u8::try_from(value).ok()
}

/// Characters that render as nothing (or only decorate the one before) and so could hide
/// inside a number or an address: format characters, variation selectors, combining marks.
fn is_invisible(c: char) -> bool {
    matches!(u32::from(c),
        0xAD | 0x34F | 0x61C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF
        | 0x300..=0x36F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// `text` with look-alikes folded to ASCII (see the module comment). Only digits,
/// punctuation and spacing change; letters other than full-width ASCII are kept, since the
/// e-mail pattern accepts letters of any script.
fn normalise(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some(d) = digit_value(c) {
            out.push(char::from(b'0' + d));
        } else if is_invisible(c) {
            // Dropped: `943\u{200B}476` is read as the reader sees it, `943476`.
        } else if c.is_whitespace() {
            out.push(' ');
        } else {
            out.push(match u32::from(c) {
                // Full-width ASCII (`＠`, `．`, `Ｌ`) sits at a fixed offset from ASCII.
                code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
                0x2010..=0x2015
                | 0x2212
                | 0x2043
                | 0xFE58
                | 0xFE63
                | 0x2D7
                | 0x58A
                | 0x1806
                | 0x2E3A
                | 0x2E3B => '-',
                0xB7 | 0x2024 | 0x2027 | 0x2219 | 0x22C5 | 0x30FB | 0xFF65 | 0x3002 | 0xFF61
                | 0xFE52 => '.',
                0x2044 | 0x2215 => '/',
                0xFE6B => '@',
                0xFE62 | 0x207A | 0x208A => '+',
                0x2018 | 0x2019 | 0x2BC | 0x2032 => '\'',
                0xFE59 | 0x207D | 0x208D => '(',
                0xFE5A | 0x207E | 0x208E => ')',
                _ => c,
            });
        }
    }
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------------------
// NHS and phone numbers: chains of digit groups

/// At most this many separator characters join two digit groups (`943 - 476`).
const MAX_SEPARATORS: usize = 3;

/// Anything a person or a spreadsheet puts between the digits of a number. Colons are left
/// out so that times (`09:30 11:00 …`) never chain into ten digits.
fn nhs_separator(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'.' | b'-'
                | b'_'
                | b'/'
                | b'\\'
                | b','
                | b'('
                | b')'
                | b'['
                | b']'
                | b'|'
                | b'\''
                | b'*'
                | b'#'
                | b'+'
        )
}

/// A comma followed by a space separates the items of a list (`12, 15, 9`), not the
/// digits of one number (`9,434,765,919`).
fn nhs_joins(separators: &[u8]) -> bool {
    !(separators.contains(&b',') && separators.iter().any(u8::is_ascii_whitespace))
}

/// The punctuation of written phone numbers: `+44 (0)20 7946-0958`, `07700.900.123`.
fn phone_separator(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'.' | b'-' | b'(' | b')' | b'+')
}

/// Calls `test` with the digit groups (byte ranges) of each chain in `bytes`, stopping at
/// the first `true`.
fn any_chain(
    bytes: &[u8],
    separator: fn(u8) -> bool,
    joins: fn(&[u8]) -> bool,
    mut test: impl FnMut(&[Range<usize>]) -> bool,
) -> bool {
    let mut groups: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        groups.push(start..i);
        let mut j = i;
        while j < bytes.len() && j - i < MAX_SEPARATORS && separator(bytes[j]) {
            j += 1;
        }
        if j > i && j < bytes.len() && bytes[j].is_ascii_digit() && joins(&bytes[i..j]) {
            i = j;
            continue;
        }
        if test(&groups) {
            return true;
        }
        groups.clear();
    }
    false
}

/// People group the ten digits of an NHS number 3-3-4, or oddly (3-4-3, 4-3-3, 5-5), or
/// write them one at a time; never in five or more groups of several digits. Five groups
/// are what a list of counts or times looks like (`12 15 18 21 24`, `9.15 10.30 11.45`),
/// and one such window in eleven would pass modulus 11.
const MAX_NHS_GROUPS: usize = 4;

/// Whether some whole groups of a chain hold exactly ten digits passing modulus 11, in
/// at most [`MAX_NHS_GROUPS`] groups or one digit at a time. Windows are aligned on
/// groups so that `12345678901` (eleven digits, a reference) and the digit runs inside a
/// UUID are not read as NHS numbers. Two pointers walk the groups, so a chain costs one
/// step per group plus ten per ten-digit window.
fn has_nhs_number(bytes: &[u8]) -> bool {
    any_chain(bytes, nhs_separator, nhs_joins, |groups| {
        let (mut end, mut n) = (0, 0);
        for first in 0..groups.len() {
            while end < groups.len() && n < 10 {
                n += groups[end].len();
                end += 1;
            }
            let window = &groups[first..end];
            if n == 10 && (window.len() <= MAX_NHS_GROUPS || window.iter().all(|g| g.len() == 1)) {
                let mut digits = [0u8; 10];
                let window = window.iter().flat_map(|g| &bytes[g.clone()]);
                for (slot, b) in digits.iter_mut().zip(window) {
                    *slot = b - b'0';
                }
                if is_nhs_number(&digits) {
                    return true;
                }
            }
            // `end > first` here: the loop above took at least group `first`.
            n -= groups[first].len();
        }
        false
    })
}

/// A UK number as dialled: `0` and ten more digits (`07700 900123`, `0113 496 0000`), or
/// `44`/`0044` (a `+` is a separator) with an optional trunk `0` and ten digits. National
/// numbers begin 1, 2, 3, 5, 7, 8 or 9 after the trunk `0`.
fn is_uk_phone(digits: &[u8]) -> bool {
    let national =
        |d: &[u8]| d.len() == 10 && matches!(d[0], b'1' | b'2' | b'3' | b'5' | b'7'..=b'9');
    let international = digits
        .strip_prefix(b"0044")
        .or_else(|| digits.strip_prefix(b"44"));
    match international {
        Some(rest) => national(rest.strip_prefix(b"0").unwrap_or(rest)),
        None => digits.first() == Some(&b'0') && national(&digits[1..]),
    }
}

/// A UK phone number, or any number written with a leading `+` and 10 to 15 digits.
/// Only windows that start as a dialled number does (`0`, `44`, or after a `+`) are read.
fn has_phone_number(bytes: &[u8]) -> bool {
    any_chain(
        bytes,
        phone_separator,
        |_| true,
        |groups| {
            groups.iter().enumerate().any(|(first, start)| {
                let plus = start.start > 0 && bytes[start.start - 1] == b'+';
                if !plus && !matches!(bytes[start.start], b'0' | b'4') {
                    return false;
                }
                let mut digits = [0u8; 15];
                let mut n = 0;
                // Groups other than a trunk `(0)`: `44 7700 900123` has three, a list of
                // counts that starts with 44 (`44 12 15 18 21 24`) has more than four.
                let mut parts = 0;
                for group in &groups[first..] {
                    for &b in &bytes[group.clone()] {
                        let Some(slot) = digits.get_mut(n) else {
                            return false;
                        };
                        *slot = b;
                        n += 1;
                    }
                    if &bytes[group.clone()] != b"0" {
                        parts += 1;
                    }
                    let bare_44 = !plus && digits.starts_with(b"44");
                    if n >= 10 && (plus || is_uk_phone(&digits[..n])) && !(bare_44 && parts > 4) {
                        return true;
                    }
                }
                false
            })
        },
    )
}

/// Session ids, UUIDs and hashes are opaque: their digit runs are not numbers to read.
static OPAQUE_ID: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i-u)\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})\b",
    )
});

/// The text's bytes with UUIDs and written dates (`12.03.2027`, `2026-05-01`) blanked, so
/// that a date next to a time or a count (`12.03.2027 10.00`) does not chain into ten
/// digits. Only dates with separators and a four-digit year from 1900 to 2099 are blanked:
/// they are unmistakable, and an NHS number rarely begins with eight digits that read so.
fn masked(text: &str, mut spans: Vec<Range<usize>>) -> Cow<'_, [u8]> {
    if text.len() >= 32 {
        spans.extend(OPAQUE_ID.find_iter(text).map(|m| m.range()));
    }
    if spans.is_empty() {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut bytes = text.as_bytes().to_vec();
    for span in spans {
        // A letter ends a chain, as the date or id itself would have.
        if let Some(blank) = bytes.get_mut(span) {
            blank.fill(b'x');
        }
    }
    Cow::Owned(bytes)
}

// ---------------------------------------------------------------------------------------
// E-mail addresses

#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    // The patterns are constants; a bad one is a programming error caught by the tests.
    Regex::new(pattern).expect("a valid privacy pattern")
}

/// `local@domain.tld` in any script (`jö@bücher.de`, `用户@例子.广告`), or an IP literal.
/// The top-level label must start with a letter so that `3@2.5` is not an address.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"[\p{L}\p{M}\p{N}._%+\-'"!#$&*=?^`{|}~/]+@(?:\[[0-9A-Fa-f.:]+\]|(?:[\p{L}\p{M}\p{N}\-]+\.)+[\p{L}\p{M}][\p{L}\p{M}\p{N}\-]*)"#,
    )
});

/// An address spelt out to dodge a filter: `jo [at] example [dot] com`,
/// `jo.bloggs(at)nhs.net`, `jo at example dot com`.
static SPELT_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)[\p{L}\p{N}._%+\-]+\s*[\[({<]\s*at\s*[\])}>]\s*[\p{L}\p{N}\-]+(?:\s*(?:\.|[\[({<]\s*dot\s*[\])}>])\s*[\p{L}\p{N}\-]+)+|[\p{L}\p{N}._%+\-]+\s+at\s+[\p{L}\p{N}\-]+(?:\s+dot\s+[\p{L}\p{N}\-]+)+",
    )
});

fn has_email(text: &str) -> bool {
    if text.contains('@') && EMAIL.is_match(text) {
        return true;
    }
    // The spelt forms all contain "at" and either a bracket or the word "dot"; most notes
    // have neither, and skip the larger automaton.
    let contains = |needle: &[u8]| {
        text.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    (text.contains(['[', '(', '{', '<']) || contains(b"dot"))
        && contains(b"at")
        && SPELT_EMAIL.is_match(text)
}

// ---------------------------------------------------------------------------------------
// Postcodes and dates of birth

/// A full postcode (`LS6 2AB`, `SW1A 1AA`, `ls62ab`), with the letters real postcodes use,
/// so that `Q1 2nd` is not one. A district alone (`LS6`) is not a full postcode.
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i-u)\b[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?[ \t]{0,2}[0-9][ABD-HJLNP-UW-Z]{2}\b")
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Number,
    Mark,
}

/// A word (letters), a number (ASCII digits, after normalisation) or one punctuation mark.
#[derive(Debug, Clone, Copy)]
struct Token<'t> {
    kind: Kind,
    text: &'t str,
    span: (usize, usize),
    /// No space between this token and the one before: `4th`, `LS6`, `12.03`.
    glued: bool,
    lexeme: Lexeme,
}

#[derive(Debug)]
struct Tokens<'t>(Vec<Token<'t>>);

impl<'t> Tokens<'t> {
    fn new(text: &'t str) -> Self {
        let mut tokens = Vec::new();
        let mut glued = false;
        let mut chars = text.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c.is_whitespace() {
                glued = false;
                continue;
            }
            let kind = if c.is_ascii_digit() {
                Kind::Number
            } else if c.is_alphabetic() {
                Kind::Word
            } else {
                Kind::Mark
            };
            let mut end = start + c.len_utf8();
            if kind != Kind::Mark {
                while let Some(&(at, next)) = chars.peek() {
                    let same = match kind {
                        Kind::Number => next.is_ascii_digit(),
                        _ => next.is_alphabetic(),
                    };
                    if !same {
                        break;
                    }
                    end = at + next.len_utf8();
                    chars.next();
                }
            }
            let text = &text[start..end];
            tokens.push(Token {
                kind,
                text,
                span: (start, end),
                glued,
                lexeme: if kind == Kind::Word {
                    lexeme(text)
                } else {
                    Lexeme::Other
                },
            });
            glued = true;
        }
        Self(tokens)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn kind(&self, i: usize) -> Option<Kind> {
        self.0.get(i).map(|t| t.kind)
    }

    fn glued(&self, i: usize) -> bool {
        self.0.get(i).is_some_and(|t| t.glued)
    }

    /// Glued to a word or number before it (`ls6`, `ref12`): part of another token.
    fn glued_to_word(&self, i: usize) -> bool {
        i > 0 && self.glued(i) && self.kind(i - 1) != Some(Kind::Mark)
    }

    fn lexeme(&self, i: usize) -> Lexeme {
        self.0.get(i).map_or(Lexeme::Other, |t| t.lexeme)
    }

    fn word(&self, i: usize) -> Option<&'t str> {
        self.0
            .get(i)
            .filter(|t| t.kind == Kind::Word)
            .map(|t| t.text)
    }

    fn is_word(&self, i: usize, any: &[&str]) -> bool {
        self.word(i)
            .is_some_and(|w| any.iter().any(|a| w.eq_ignore_ascii_case(a)))
    }

    fn number(&self, i: usize) -> Option<&'t str> {
        self.0
            .get(i)
            .filter(|t| t.kind == Kind::Number)
            .map(|t| t.text)
    }

    fn mark(&self, i: usize) -> Option<char> {
        self.0
            .get(i)
            .filter(|t| t.kind == Kind::Mark)
            .and_then(|t| t.text.chars().next())
    }

    fn is_mark(&self, i: usize, any: &[char]) -> bool {
        self.mark(i).is_some_and(|m| any.contains(&m))
    }

    /// Steps over up to `max` tokens that are one of `marks` or `words`.
    fn skip(&self, mut i: usize, marks: &[char], words: &[&str], max: usize) -> usize {
        for _ in 0..max {
            if self.is_mark(i, marks) || self.is_word(i, words) {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// The byte range of tokens `range` (non-empty) in the text.
    fn span(&self, range: &Range<usize>) -> Range<usize> {
        let start = self.0.get(range.start).map_or(0, |t| t.span.0);
        let end = self.0.get(range.end - 1).map_or(start, |t| t.span.1);
        start..end
    }
}

/// How much of a date a text gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Full(NaiveDate),
    /// `4 July`, `July 4th`: a birthday.
    DayMonth,
    MonthYear(NaiveDate),
    Year(i32),
}

#[derive(Debug, Clone)]
struct Dated {
    when: When,
    tokens: Range<usize>,
    /// A numeric date with separators and a four-digit year, blanked before the number scan.
    blank: bool,
}

/// What a word means to the date matchers, worked out once per word when tokenising so
/// that each matcher is one comparison, not a scan of word lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexeme {
    Month(u32),
    /// `zero` to `nineteen`.
    Cardinal(u32),
    /// `first` to `nineteenth`, `twentieth`, `thirtieth`.
    Ordinal(u32),
    /// `twenty` to `ninety`.
    Tens(u32),
    /// `dob`, `born`, `birthday`, …: a birth cue on its own.
    BirthCue,
    /// `aged`, `age`.
    Aged,
    Other,
}

fn lexeme(word: &str) -> Lexeme {
    let mut buf = [0u8; 11];
    let Some(lower) = buf.get_mut(..word.len()) else {
        return Lexeme::Other;
    };
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    match &*lower {
        b"jan" | b"january" => Lexeme::Month(1),
        b"feb" | b"february" | b"febuary" => Lexeme::Month(2),
        b"mar" | b"march" => Lexeme::Month(3),
        b"apr" | b"april" => Lexeme::Month(4),
        b"may" => Lexeme::Month(5),
        b"jun" | b"june" => Lexeme::Month(6),
        b"jul" | b"july" => Lexeme::Month(7),
        b"aug" | b"august" => Lexeme::Month(8),
        b"sep" | b"sept" | b"september" => Lexeme::Month(9),
        b"oct" | b"october" => Lexeme::Month(10),
        b"nov" | b"november" => Lexeme::Month(11),
        b"dec" | b"december" => Lexeme::Month(12),
        b"zero" => Lexeme::Cardinal(0),
        b"one" => Lexeme::Cardinal(1),
        b"two" => Lexeme::Cardinal(2),
        b"three" => Lexeme::Cardinal(3),
        b"four" => Lexeme::Cardinal(4),
        b"five" => Lexeme::Cardinal(5),
        b"six" => Lexeme::Cardinal(6),
        b"seven" => Lexeme::Cardinal(7),
        b"eight" => Lexeme::Cardinal(8),
        b"nine" => Lexeme::Cardinal(9),
        b"ten" => Lexeme::Cardinal(10),
        b"eleven" => Lexeme::Cardinal(11),
        b"twelve" => Lexeme::Cardinal(12),
        b"thirteen" => Lexeme::Cardinal(13),
        b"fourteen" => Lexeme::Cardinal(14),
        b"fifteen" => Lexeme::Cardinal(15),
        b"sixteen" => Lexeme::Cardinal(16),
        b"seventeen" => Lexeme::Cardinal(17),
        b"eighteen" => Lexeme::Cardinal(18),
        b"nineteen" => Lexeme::Cardinal(19),
        b"first" => Lexeme::Ordinal(1),
        b"second" => Lexeme::Ordinal(2),
        b"third" => Lexeme::Ordinal(3),
        b"fourth" => Lexeme::Ordinal(4),
        b"fifth" => Lexeme::Ordinal(5),
        b"sixth" => Lexeme::Ordinal(6),
        b"seventh" => Lexeme::Ordinal(7),
        b"eighth" => Lexeme::Ordinal(8),
        b"ninth" => Lexeme::Ordinal(9),
        b"tenth" => Lexeme::Ordinal(10),
        b"eleventh" => Lexeme::Ordinal(11),
        b"twelfth" => Lexeme::Ordinal(12),
        b"thirteenth" => Lexeme::Ordinal(13),
        b"fourteenth" => Lexeme::Ordinal(14),
        b"fifteenth" => Lexeme::Ordinal(15),
        b"sixteenth" => Lexeme::Ordinal(16),
        b"seventeenth" => Lexeme::Ordinal(17),
        b"eighteenth" => Lexeme::Ordinal(18),
        b"nineteenth" => Lexeme::Ordinal(19),
        b"twentieth" => Lexeme::Ordinal(20),
        b"thirtieth" => Lexeme::Ordinal(30),
        b"twenty" => Lexeme::Tens(20),
        b"thirty" => Lexeme::Tens(30),
        b"forty" | b"fourty" => Lexeme::Tens(40),
        b"fifty" => Lexeme::Tens(50),
        b"sixty" => Lexeme::Tens(60),
        b"seventy" => Lexeme::Tens(70),
        b"eighty" => Lexeme::Tens(80),
        b"ninety" => Lexeme::Tens(90),
        b"dob" | b"born" | b"birth" | b"birthday" | b"birthdays" | b"birthdate" | b"bday"
        | b"dateofbirth" => Lexeme::BirthCue,
        b"aged" | b"age" => Lexeme::Aged,
        _ => Lexeme::Other,
    }
}

/// A number from 0 to 99 in words (`four`, `fourth`, `forty-one`, `twenty first`), with
/// the token after it and whether it was an ordinal.
fn number_words(t: &Tokens<'_>, i: usize) -> Option<(u32, usize, bool)> {
    match t.lexeme(i) {
        Lexeme::Cardinal(v) => Some((v, i + 1, false)),
        Lexeme::Ordinal(v) => Some((v, i + 1, true)),
        Lexeme::Tens(tens) => {
            let j = t.skip(i + 1, &['-'], &[], 1);
            Some(match t.lexeme(j) {
                Lexeme::Cardinal(u) if (1..=9).contains(&u) => (tens + u, j + 1, false),
                Lexeme::Ordinal(u) if (1..=9).contains(&u) => (tens + u, j + 1, true),
                _ => (tens, i + 1, false),
            })
        }
        _ => None,
    }
}

/// A year in words: `nineteen forty-one`, `nineteen oh five`, `nineteen hundred`,
/// `two thousand and five`, `twenty twenty`.
fn year_words(t: &Tokens<'_>, i: usize) -> Option<(i32, usize)> {
    let (century, j, ordinal) = number_words(t, i)?;
    if ordinal {
        return None;
    }
    if century == 2 && t.is_word(j, &["thousand"]) {
        let k = t.skip(j + 1, &[], &["and"], 1);
        return match number_words(t, k) {
            Some((n, end, false)) => Some((2000 + i32::try_from(n).ok()?, end)),
            _ => Some((2000, j + 1)),
        };
    }
    if !(10..=20).contains(&century) {
        return None;
    }
    let century = i32::try_from(century).ok()? * 100;
    if t.is_word(j, &["hundred"]) {
        return Some((century, j + 1));
    }
    if t.is_word(j, &["oh", "o"])
        && let Some((u, end, false)) = number_words(t, j + 1)
        && (1..=9).contains(&u)
    {
        return Some((century + i32::try_from(u).ok()?, end));
    }
    match number_words(t, j) {
        Some((n, end, false)) if (10..=99).contains(&n) => {
            Some((century + i32::try_from(n).ok()?, end))
        }
        _ => None,
    }
}

/// A two-digit year is this century's unless that would be in the future.
fn full_year(digits: &str, today: NaiveDate) -> Option<i32> {
    let value: i32 = digits.parse().ok()?;
    match digits.len() {
        4 => (1000..=2999).contains(&value).then_some(value),
        2 => {
            let this_century = 2000 + value;
            Some(if this_century <= chrono::Datelike::year(&today) {
                this_century
            } else {
                1900 + value
            })
        }
        _ => None,
    }
}

/// A year as digits (`1941`, `'41`) or words, not part of a time or a longer token.
fn year(t: &Tokens<'_>, i: usize, today: NaiveDate) -> Option<(i32, usize)> {
    let Some(digits) = t.number(i) else {
        return year_words(t, i);
    };
    if t.glued_to_word(i) {
        return None;
    }
    let next_is_word = t.glued(i + 1) && t.kind(i + 1) == Some(Kind::Word);
    let next_is_time = t.glued(i + 1)
        && t.is_mark(i + 1, &[':', '.'])
        && t.number(i + 2).is_some()
        && t.glued(i + 2);
    if next_is_word || next_is_time {
        return None;
    }
    Some((full_year(digits, today)?, i + 1))
}

/// A day of the month: `4`, `4th`, `the 4th`, `fourth`, `twenty-first`.
fn day(t: &Tokens<'_>, i: usize) -> Option<(u32, usize)> {
    let i = t.skip(i, &[], &["the"], 1);
    let (value, end) = if let Some(digits) = t.number(i) {
        if digits.len() > 2 || t.glued_to_word(i) {
            return None;
        }
        let value: u32 = digits.parse().ok()?;
        if t.glued(i + 1) && t.kind(i + 1) == Some(Kind::Word) {
            if !t.is_word(i + 1, &["st", "nd", "rd", "th"]) {
                return None;
            }
            (value, i + 2)
        } else {
            (value, i + 1)
        }
    } else {
        let (value, end, _) = number_words(t, i)?;
        (value, end)
    };
    (1..=31).contains(&value).then_some((value, end))
}

fn month(t: &Tokens<'_>, i: usize) -> Option<(u32, usize)> {
    match t.lexeme(i) {
        Lexeme::Month(m) if !t.glued_to_word(i) => Some((m, i + 1)),
        _ => None,
    }
}

/// `12/03/2027`, `4.7.41`, `2026-05-01`, `04 07 1941`. Day first (UK), then month first.
fn numeric_date(t: &Tokens<'_>, i: usize, today: NaiveDate) -> Option<Dated> {
    let a = t.number(i)?;
    if t.glued_to_word(i) {
        return None;
    }
    let separator = t
        .mark(i + 1)
        .filter(|m| matches!(m, '/' | '.' | '-') && t.glued(i + 1));
    let (b, c, end) = match separator {
        Some(sep) => {
            let b = t.number(i + 2).filter(|_| t.glued(i + 2))?;
            let c = t
                .number(i + 4)
                .filter(|_| t.mark(i + 3) == Some(sep) && t.glued(i + 3) && t.glued(i + 4))?;
            let end = i + 5;
            // A longer run (`12.03.2027.5`, `1.2.3.4`) or a glued word is not a date, but
            // an ISO time may follow (`2026-05-01T10:00`).
            let run_goes_on = t.glued(end)
                && t.is_mark(end, &['/', '.', '-'])
                && t.number(end + 1).is_some()
                && t.glued(end + 1);
            let glued_on =
                t.glued(end) && t.kind(end) != Some(Kind::Mark) && !t.is_word(end, &["t"]);
            if run_goes_on || glued_on {
                return None;
            }
            (b, c, end)
        }
        None => {
            let b = t.number(i + 1).filter(|_| !t.glued(i + 1))?;
            let c = t.number(i + 2).filter(|_| !t.glued(i + 2))?;
            if c.len() != 4 && a.len() != 4 {
                return None;
            }
            (b, c, i + 3)
        }
    };
    let parse = |s: &str| s.parse::<u32>().ok();
    let (date, four_digit_year) = match (a.len(), b.len(), c.len()) {
        (1..=2, 1..=2, 2 | 4) => {
            let y = full_year(c, today)?;
            let (a, b) = (parse(a)?, parse(b)?);
            let date =
                NaiveDate::from_ymd_opt(y, b, a).or_else(|| NaiveDate::from_ymd_opt(y, a, b))?;
            (date, c.len() == 4)
        }
        (4, 1..=2, 1..=2) => {
            let y = full_year(a, today)?;
            (NaiveDate::from_ymd_opt(y, parse(b)?, parse(c)?)?, true)
        }
        _ => return None,
    };
    let blank = separator.is_some()
        && four_digit_year
        && (1900..=2099).contains(&chrono::Datelike::year(&date));
    Some(Dated {
        when: When::Full(date),
        tokens: i..end,
        blank,
    })
}

/// `04/07`, `4.7`: a day and month, which beside a birth cue is a birthday.
fn numeric_day_month(t: &Tokens<'_>, i: usize) -> Option<Dated> {
    let a = t
        .number(i)
        .filter(|a| a.len() <= 2 && !t.glued_to_word(i))?;
    let separator = t
        .mark(i + 1)
        .filter(|m| matches!(m, '/' | '.') && t.glued(i + 1))?;
    let b = t.number(i + 2).filter(|b| b.len() <= 2 && t.glued(i + 2))?;
    // `4/7/41` is a full date (or none, if invalid), `4.7am` a time.
    let goes_on = t.glued(i + 3)
        && (t.kind(i + 3) != Some(Kind::Mark)
            || (t.is_mark(i + 3, &[separator]) && t.number(i + 4).is_some()));
    if goes_on {
        return None;
    }
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    let valid = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
    (valid(a, b) || valid(b, a)).then_some(Dated {
        when: When::DayMonth,
        tokens: i..i + 3,
        blank: false,
    })
}

/// `4th July 1941`, `4 Jul '41`, `4-Jul-1941`, `the fourth of July nineteen forty-one`,
/// `4 July` (no year).
fn day_first(t: &Tokens<'_>, i: usize, today: NaiveDate) -> Option<Dated> {
    let (d, j) = day(t, i)?;
    let k = t.skip(j, &[',', '.', '-', '/'], &["of"], 2);
    let (m, k) = month(t, k)?;
    let y_at = t.skip(k, &[',', '.', '-', '/', '\''], &[], 2);
    if let Some((y, end)) = year(t, y_at, today)
        && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
    {
        return Some(Dated {
            when: When::Full(date),
            tokens: i..end,
            blank: false,
        });
    }
    Some(Dated {
        when: When::DayMonth,
        tokens: i..k,
        blank: false,
    })
}

/// `July 4th, 1941`, `July 4`, `July 1941`, `Jul '41`.
fn month_first(t: &Tokens<'_>, i: usize, today: NaiveDate) -> Option<Dated> {
    let (m, j) = month(t, i)?;
    if let Some((d, k)) = day(t, j) {
        let y_at = t.skip(k, &[',', '.'], &[], 2);
        if let Some((y, end)) = year(t, y_at, today)
            && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
        {
            return Some(Dated {
                when: When::Full(date),
                tokens: i..end,
                blank: false,
            });
        }
        return Some(Dated {
            when: When::DayMonth,
            tokens: i..k,
            blank: false,
        });
    }
    let y_at = t.skip(j, &[',', '\'', '-', '.', '/'], &["of"], 2);
    let (y, end) = year(t, y_at, today)?;
    Some(Dated {
        when: When::MonthYear(NaiveDate::from_ymd_opt(y, m, 1)?),
        tokens: i..end,
        blank: false,
    })
}

/// A year on its own, `1941` or `nineteen forty-one`.
fn year_alone(t: &Tokens<'_>, i: usize, today: NaiveDate) -> Option<Dated> {
    if t.number(i).is_some_and(|n| n.len() != 4) {
        return None;
    }
    let (y, end) = year(t, i, today)?;
    (1800..=2999).contains(&y).then_some(Dated {
        when: When::Year(y),
        tokens: i..end,
        blank: false,
    })
}

/// Every date in the text (only the numeric ones if `numeric_only`), left to right, each
/// token in at most one.
fn dates(t: &Tokens<'_>, today: NaiveDate, numeric_only: bool) -> Vec<Dated> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let numeric = numeric_date(t, i, today);
        if numeric_only && numeric.is_none() {
            i += 1;
            continue;
        }
        let date = numeric
            .or_else(|| day_first(t, i, today))
            .or_else(|| month_first(t, i, today))
            .or_else(|| numeric_day_month(t, i))
            .or_else(|| year_alone(t, i, today));
        match date {
            Some(date) => {
                i = date.tokens.end.max(i + 1);
                found.push(date);
            }
            None => i += 1,
        }
    }
    found
}

/// `DOB`, `d.o.b.`, `born`, `birthday`, `date of birth`, `birth date`: the tokens it spans.
fn birth_cue(t: &Tokens<'_>, i: usize) -> Option<Range<usize>> {
    if t.lexeme(i) == Lexeme::BirthCue {
        return Some(i..i + 1);
    }
    let dotted = t.is_word(i, &["d"])
        && t.is_mark(i + 1, &['.', '/', '-'])
        && t.is_word(i + 2, &["o"])
        && t.is_mark(i + 3, &['.', '/', '-'])
        && t.is_word(i + 4, &["b"]);
    dotted.then_some(i..i + 5)
}

/// A count of years as digits (up to three) or words.
fn count(t: &Tokens<'_>, i: usize) -> Option<(u32, usize)> {
    if let Some(digits) = t.number(i) {
        if digits.len() > 3 || t.glued_to_word(i) {
            return None;
        }
        return Some((digits.parse().ok()?, i + 1));
    }
    let (value, end, ordinal) = number_words(t, i)?;
    (!ordinal).then_some((value, end))
}

/// After an age: `+`, `-25`, `to 25`, `and over`, `plus`, `60s`: a cohort, not a person.
fn range_follows(t: &Tokens<'_>, i: usize) -> bool {
    let i = t.skip(i, &[], &["years", "year", "yrs", "yr", "old"], 2);
    if t.is_mark(i, &['+']) || t.is_word(i, &["plus", "upwards", "s", "onwards"]) {
        return true;
    }
    if (t.is_mark(i, &['-', '/']) || t.is_word(i, &["to"])) && count(t, i + 1).is_some() {
        return true;
    }
    t.is_word(i, &["and", "or"])
        && t.is_word(
            i + 1,
            &[
                "over", "above", "older", "under", "younger", "up", "upwards", "below", "more",
                "less", "overs",
            ],
        )
}

/// An age: `aged 82`, `age: 82`, `82 years old`, `82 years of age`, `82-year-old`, `82yo`,
/// `82 y/o`, but not
/// a cohort (`aged 65+`, `aged 18-25`, `aged 70 and over`).
fn is_age(t: &Tokens<'_>, i: usize) -> bool {
    if t.lexeme(i) == Lexeme::Aged {
        let j = t.skip(i + 1, &[':', '-'], &["of"], 1);
        if let Some((n, k)) = count(t, j) {
            return n <= 130 && !range_follows(t, k);
        }
        return false;
    }
    let Some((n, k)) = count(t, i) else {
        return false;
    };
    if n > 130 {
        return false;
    }
    let k = t.skip(k, &['-'], &[], 1);
    if t.is_word(k, &["yo"]) {
        return !range_follows(t, k + 1);
    }
    if t.is_word(k, &["y"]) && t.is_mark(k + 1, &['/']) && t.is_word(k + 2, &["o"]) {
        return !range_follows(t, k + 3);
    }
    if t.is_word(k, &["year", "years", "yr", "yrs"]) {
        let old = t.skip(k + 1, &['-'], &[], 1);
        if t.is_word(old, &["of"]) && t.lexeme(old + 1) == Lexeme::Aged {
            return !range_follows(t, old + 2);
        }
        return t.is_word(old, &["old"]) && !range_follows(t, old + 1);
    }
    false
}

/// A date of birth: any full date more than 16 years past, an age, or a date (of any
/// completeness, not in the future) close to a birth cue. A future date is never a date
/// of birth, which is why a venue's postcode beside a session date passes.
fn has_birth_date(t: &Tokens<'_>, dates: &[Dated], today: NaiveDate) -> bool {
    let cutoff = today
        .checked_sub_months(Months::new(16 * 12))
        .unwrap_or(NaiveDate::MIN);
    if dates
        .iter()
        .any(|d| matches!(d.when, When::Full(date) if date < cutoff))
    {
        return true;
    }
    if (0..t.len()).any(|i| is_age(t, i)) {
        return true;
    }
    let cues: Vec<Range<usize>> = (0..t.len()).filter_map(|i| birth_cue(t, i)).collect();
    if cues.is_empty() {
        return false;
    }
    let past = |when: When| match when {
        When::Full(date) | When::MonthYear(date) => date <= today,
        When::Year(y) => y <= chrono::Datelike::year(&today),
        When::DayMonth => true,
    };
    // "DOB: 4th July 1941", "date of birth is the 4th of July", "1941 (DOB)", "DOB (as
    // her carer gave it): 4 July 1941".
    let near = |cue: &Range<usize>, date: &Range<usize>| {
        (date.start >= cue.end && date.start - cue.end <= 10)
            || (cue.start >= date.end && cue.start - date.end <= 3)
    };
    dates
        .iter()
        .filter(|d| past(d.when))
        .any(|d| cues.iter().any(|cue| near(cue, &d.tokens)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default()
    }

    fn found(text: &str) -> Option<Finding> {
        find(text, today())
    }

    #[test]
    fn the_modulus_11_check() {
        // 943 476 5919 is the NHS's published example of a valid number.
        assert!(is_nhs_number(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 9]));
        assert!(!is_nhs_number(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 8]));
        // A remainder of 0 gives check digit 0 (11 → 0); a check of 10 is never valid.
        assert!(is_nhs_number(&[4, 0, 1, 0, 2, 3, 2, 1, 3, 7]));
    }

    #[test]
    fn the_digit_table_matches_unicode_decimal_digits() {
        // regex's `\d` is Unicode's Nd; every Nd character must map, and to the value its
        // run gives it (checked through the ten-character runs, whose first is zero).
        let nd = regex(r"^\d$");
        let mut buf = [0u8; 4];
        let mut count = 0;
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let is_nd = nd.is_match(c.encode_utf8(&mut buf));
            if is_nd {
                count += 1;
                let value = digit_value(c);
                assert!(value.is_some(), "U+{:04X} is a decimal digit", u32::from(c));
                let zero = char::from_u32(u32::from(c) - u32::from(value.unwrap_or(0)));
                assert_eq!(
                    zero.and_then(digit_value),
                    Some(0),
                    "U+{:04X}",
                    u32::from(c)
                );
            } else if digit_value(c).is_some() {
                // Only the listed compatibility forms map without being Nd.
                assert!(c.is_numeric(), "U+{:04X} is not a digit", u32::from(c));
            }
        }
        assert_eq!(count, DECIMAL_ZEROS.len() * 10);
        assert_eq!(digit_value('９'), Some(9));
        assert_eq!(digit_value('٣'), Some(3));
        assert_eq!(digit_value('𝟗'), Some(9));
        assert_eq!(digit_value('⁴'), Some(4));
        assert_eq!(digit_value('⑦'), Some(7));
        assert_eq!(digit_value('a'), None);
    }

    #[test]
    fn nhs_numbers_in_any_form() {
        for text in [
            "patient 9434765919 needs help",
            "NHS no 943 476 5919",
            "NHS no 943-476-5919",
            "943.476.5919",
            "943 4765 919",
            "9434 765 919",
            "ref9434765919",
            "9434765919x",
            "９４３４７６５９１９",
            "٩٤٣٤٧٦٥٩١٩",
            "९४३ ४७६ ५९१९",
            "𝟗𝟒𝟑𝟒𝟕𝟔𝟓𝟗𝟏𝟗",
            "943\u{200B}476\u{200B}5919",
            "943\u{00A0}476\u{00A0}5919",
            "943–476–5919",
            "9,434,765,919",
            "943 - 476 - 5919",
            "(943) 476 5919",
            "9 4 3 4 7 6 5 9 1 9",
            "NHS: 943/476/5919.",
        ] {
            assert_eq!(found(text), Some(Finding::NhsNumber), "{text}");
        }
        assert_eq!(found("ten digits that fail the check: 9434765918"), None);
        assert_eq!(found("eleven digits 94347659190"), None);
    }

    #[test]
    fn phones_in_any_form() {
        for text in [
            "call 07700 900123 after 5",
            "ring +44 113 496 0000",
            "ring 0113 496 0000",
            "0044 7700 900123",
            "44 7700 900123",
            "07700.900.123",
            "(0113) 496 0000",
            "+44 (0)20 7946 0958",
            "+447700900123",
            "tel07700900123",
            "07700-900-123",
            "+33 1 23 45 67 89",
        ] {
            assert!(
                matches!(found(text), Some(Finding::Phone | Finding::NhsNumber)),
                "{text}"
            );
        }
        assert_eq!(found("0113 496 0000"), Some(Finding::Phone));
    }

    #[test]
    fn emails_in_any_script() {
        for text in [
            "contact jo.bloggs@example.nhs.uk",
            "jö@example.com",
            "jo@bücher.de",
            "用户@例子.广告",
            "jo＠example．com",
            "JO@EXAMPLE.COM",
            "jo [at] example [dot] com",
            "jo.bloggs(at)nhs.net",
            "jo at example dot com",
            "\"jo bloggs\"@example.com",
        ] {
            assert_eq!(found(text), Some(Finding::Email), "{text}");
        }
        assert_eq!(found("drop-in @ the library"), None);
        assert_eq!(found("see @LeedsLibraries"), None);
        assert_eq!(found("3@2.5 per hour"), None);
    }

    #[test]
    fn postcodes_with_dates_of_birth() {
        for text in [
            "lives at LS6 2AB, born 04/07/1941",
            "LS6 2AB dob 4 July 1941",
            "DOB 4th July 1941, LS6 2AB",
            "born 4 July 1941, LS6 2AB",
            "LS6 2AB, d.o.b. the fourth of July nineteen forty-one",
            "LS6 2AB date of birth July 4th, 1941",
            "LS6 2AB birthday 4 July",
            "aged 82, LS6 2AB",
            "LS6 2AB, 85 years old",
            "LS6 2AB 1941-07-04",
            "LS6 2AB seen 4/7/41",
            "LS6 2AB born 2012",
            "ls62ab born in March 2015",
            "ＬＳ６ ２ＡＢ born 4 July 1941",
        ] {
            assert_eq!(found(text), Some(Finding::PostcodeWithBirthDate), "{text}");
        }
        for text in [
            "Leeds Central Library, LS1 3AB, on 12 March 2027 at 10:00",
            "LS1 3AB session 2026-11-20",
            "DOB 4 July 1941",
            "LS6, DOB 4/7/41",
            "people aged 65+ at LS1 3AB",
            "aged 18-25, LS1 3AB",
            "LS1 3AB opened in 1941",
            "Born in Bradford drop-in at Bradford Central Library, BD1 1NN, 3 March 2027",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }

    #[test]
    fn lets_ordinary_notes_through() {
        for text in [
            "Reception ran NHS App sign-up drop-ins on Tuesdays",
            "session in LS6 on 2026-05-01",
            "12 patients helped, 3 referred to the library session",
            "week 2026-W14: 40 people supported",
            "ODS A81001 and U00001 joined",
            "session 3fa85f64-5717-4562-b3fc-2c963f66afa6 moved",
            "booking REF-000123 cancelled",
            "Drop-ins 12.03.2027 10.00-12.00",
            "Times 09:30 11:00 13:30 15:00",
            "75% of 120 staff trained in 2025/26",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }

    #[test]
    fn the_error_names_the_field_not_the_value() {
        let err = check_free_text("reason", "call 07700 900123").expect_err("phone");
        let message = err.to_string();
        assert!(message.starts_with("reason:"), "{message}");
        assert!(!message.contains("07700"), "{message}");
    }
}
