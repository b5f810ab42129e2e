//! DESIGN.md §7: no patient-identifiable data enters the log. Every free-text field is
//! checked for what looks like an NHS number (ten digits passing the modulus-11 check),
//! an e-mail address, a UK phone number, or a full postcode next to a date (a date of
//! birth with an address). The check errs on the side of refusing: a false alarm costs a
//! re-worded note, a miss puts a patient in an append-only log.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{DomainError, Result};

#[allow(clippy::expect_used)]
fn regex(pattern: &str) -> Regex {
    // The patterns are constants; a bad one is a programming error caught by the tests.
    Regex::new(pattern).expect("a valid privacy pattern")
}

/// Ten digits, optionally grouped 3-3-4 by spaces or hyphens.
static NHS_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(\d{3})[ -]?(\d{3})[ -]?(\d{4})\b"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b"));
/// UK numbers: +44 or 0, then 9 or 10 more digits, spaces, hyphens or brackets between.
static UK_PHONE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:\+44\s?\(?0?\)?|\b0)(?:[\s\-()]*\d){9,10}\b"));
static POSTCODE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"));
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{2,4})\b",
    )
});

/// Whether ten digits pass the NHS number modulus-11 check.
pub fn is_nhs_number(digits: &[u8; 10]) -> bool {
    let sum: u32 = digits[..9]
        .iter()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * (10 - i as u32))
        .sum();
    let check = 11 - (sum % 11);
    match check {
        11 => digits[9] == 0,
        10 => false,
        c => u32::from(digits[9]) == c,
    }
}

/// Refuses `text` if it looks like it identifies a patient, naming `field` and what was seen
/// (never echoing the value itself).
pub fn check_free_text(field: &str, text: &str) -> Result<()> {
    let refuse = |what: &str| {
        Err(DomainError::invalid(
            field,
            format!("looks like it contains {what}; free text must not identify a patient"),
        ))
    };
    for found in NHS_NUMBER.captures_iter(text) {
        let digits: Vec<u8> = found
            .iter()
            .skip(1)
            .flatten()
            .flat_map(|m| m.as_str().bytes())
            .map(|b| b - b'0')
            .collect();
        if let Ok(digits) = <[u8; 10]>::try_from(digits.as_slice())
            && is_nhs_number(&digits)
        {
            return refuse("an NHS number");
        }
    }
    if EMAIL.is_match(text) {
        return refuse("an e-mail address");
    }
    if UK_PHONE.is_match(text) {
        return refuse("a phone number");
    }
    if POSTCODE.is_match(text) && DATE.is_match(text) {
        return refuse("a postcode with a date (an address with a date of birth)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        check_free_text("note", text).is_err()
    }

    #[test]
    fn the_modulus_11_check() {
        // 943 476 5919 is the NHS's published example of a valid number.
        assert!(is_nhs_number(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 9]));
        assert!(!is_nhs_number(&[9, 4, 3, 4, 7, 6, 5, 9, 1, 8]));
    }

    #[test]
    fn refuses_identifiers() {
        assert!(refused("patient 9434765919 needs help"));
        assert!(refused("NHS no 943 476 5919"));
        assert!(refused("NHS no 943-476-5919"));
        assert!(refused("contact jo.bloggs@example.nhs.uk"));
        assert!(refused("call 07700 900123 after 5"));
        assert!(refused("ring +44 113 496 0000"));
        assert!(refused("ring 0113 496 0000"));
        assert!(refused("lives at LS6 2AB, born 04/07/1941"));
        assert!(refused("LS6 2AB dob 4 July 1941"));
    }

    #[test]
    fn lets_ordinary_notes_through() {
        assert!(!refused(
            "Reception ran NHS App sign-up drop-ins on Tuesdays"
        ));
        assert!(!refused("ten digits that fail the check: 9434765918"));
        assert!(!refused("session in LS6 on 2026-05-01")); // a district, not a full postcode
        assert!(!refused(
            "12 patients helped, 3 referred to the library session"
        ));
        assert!(!refused("week 2026-W14: 40 people supported"));
    }

    #[test]
    fn the_error_names_the_field_not_the_value() {
        let err = check_free_text("reason", "call 07700 900123").expect_err("phone");
        let message = err.to_string();
        assert!(message.starts_with("reason:"), "{message}");
        assert!(!message.contains("07700"), "{message}");
    }
}
