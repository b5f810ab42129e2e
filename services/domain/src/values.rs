//! Parsing of the plain values commands carry (dates, ids, enums, counts), each failing
//! with an error that names the field.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::{DomainError, Result};

/// `YYYY-MM-DD`; an empty string gives `default`.
pub fn date_or(field: &str, text: &str, default: NaiveDate) -> Result<NaiveDate> {
    if text.trim().is_empty() {
        return Ok(default);
    }
    date(field, text)
}

/// `YYYY-MM-DD`, or `None` when empty (the command then takes the context's today).
pub fn optional_date(field: &str, text: &str) -> Result<Option<NaiveDate>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    date(field, text).map(Some)
}

/// `YYYY-MM-DD`, required.
pub fn date(field: &str, text: &str) -> Result<NaiveDate> {
    if text.trim().is_empty() {
        return Err(DomainError::invalid(field, "is required (YYYY-MM-DD)"));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        DomainError::invalid(
            field,
            format!("{:?} is not a date like 2026-04-01", excerpt(text)),
        )
    })
}

/// An RFC 3339 instant, required.
pub fn instant(field: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            DomainError::invalid(
                field,
                format!(
                    "{:?} is not an RFC 3339 time like 2026-05-01T10:00:00Z",
                    excerpt(text)
                ),
            )
        })
}

/// A UUID the client chose, or a fresh one when empty.
pub fn id_or_new(field: &str, text: &str) -> Result<Uuid> {
    if text.trim().is_empty() {
        return Ok(Uuid::new_v4());
    }
    id(field, text)
}

/// A UUID, required.
pub fn id(field: &str, text: &str) -> Result<Uuid> {
    if text.trim().is_empty() {
        return Err(DomainError::invalid(field, "is required (a UUID)"));
    }
    Uuid::try_parse(text.trim())
        .map_err(|_| DomainError::invalid(field, format!("{:?} is not a UUID", excerpt(text))))
}

/// A known value of a proto enum: neither unknown nor the UNSPECIFIED zero.
pub fn known_enum<E: TryFrom<i32>>(field: &str, value: i32) -> Result<E> {
    if value == 0 {
        return Err(DomainError::invalid(field, "is required"));
    }
    E::try_from(value)
        .map_err(|_| DomainError::invalid(field, format!("{value} is not a known value")))
}

/// The most entries any repeated field of a command may hold. No real command comes near
/// it (the longest lists are an area's codes); it keeps a hostile request from making a
/// command's checks, and the event it records, as large as the message limit allows.
pub const MAX_LIST: usize = 100;

/// Refuses a repeated field with more than `max` entries, before any entry is looked at.
pub fn list_len(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(DomainError::invalid(
            field,
            format!("lists {len} entries; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// Every value of a repeated enum field is known; `required` says whether it may be empty.
pub fn known_enums<E: TryFrom<i32>>(field: &str, values: &[i32], required: bool) -> Result<Vec<E>> {
    if required && values.is_empty() {
        return Err(DomainError::invalid(field, "needs at least one value"));
    }
    list_len(field, values.len(), MAX_LIST)?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| known_enum(&format!("{field}[{i}]"), *v))
        .collect()
}

/// Every value of a repeated enum field is known and listed once; `required` says
/// whether it may be empty.
pub fn distinct_enums<E>(field: &str, values: &[i32], required: bool) -> Result<Vec<E>>
where
    E: TryFrom<i32> + PartialEq,
{
    let parsed: Vec<E> = known_enums(field, values, required)?;
    for (i, value) in parsed.iter().enumerate() {
        if parsed[..i].contains(value) {
            return Err(DomainError::invalid(
                format!("{field}[{i}]"),
                "is listed twice",
            ));
        }
    }
    Ok(parsed)
}

/// A count within `1..=max` (or `0..=max` when zero is allowed).
pub fn count(field: &str, value: u32, allow_zero: bool, max: u32) -> Result<u32> {
    if value == 0 && !allow_zero {
        return Err(DomainError::invalid(field, "must be at least 1"));
    }
    if value > max {
        return Err(DomainError::invalid(
            field,
            format!("{value} is more than the limit of {max}"),
        ));
    }
    Ok(value)
}

/// A required short text (a name or title), trimmed, with a length limit, checked for
/// patient-identifiable data.
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(field, "is required"));
    }
    optional_text(field, value, max_chars)
}

/// An optional free text, with a length limit, checked for patient-identifiable data.
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("is longer than {max_chars} characters"),
        ));
    }
    crate::privacy::check_free_text(field, value)?;
    Ok(value.to_owned())
}

/// A BCP-47-looking language tag: `en`, `pl`, `bfi`, `pa-Guru`, `zh-Hant-HK`.
#[allow(clippy::expect_used)]
static LANGUAGE_TAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    // A constant pattern; a bad one is a programming error caught by the tests.
    regex::Regex::new(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$").expect("a valid language pattern")
});

/// A language as a BCP-47 tag (trimmed), e.g. for interpreters, sessions and materials.
pub fn language_tag(field: &str, text: &str) -> Result<String> {
    let tag = text.trim();
    if tag.len() > 35 || !LANGUAGE_TAG.is_match(tag) {
        return Err(DomainError::invalid(
            field,
            format!(
                "{:?} is not a BCP-47 language code such as en, pl or pa-Guru",
                tag.chars().take(35).collect::<String>()
            ),
        ));
    }
    Ok(tag.to_owned())
}

/// The longest `request_id` (DESIGN.md §7).
const MAX_REQUEST_ID_CHARS: usize = 64;

/// A client's `request_id` (DESIGN.md §7): an opaque key of 1 to 64 characters of
/// `A-Z a-z 0-9 . _ : -`, or none when empty. The narrow alphabet keeps free text (a name,
/// an address, a sentence) out of a key that readers see in `history`; the value is never
/// echoed, since what was sent may be exactly what must not be repeated.
pub fn request_id(text: &str) -> Result<Option<String>> {
    if text.is_empty() {
        return Ok(None);
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-');
    if !text.bytes().all(allowed) {
        return Err(DomainError::invalid(
            "request_id",
            "may hold only the letters A-Z and a-z, digits and . _ : - (an opaque key of 1 to 64 \
             characters)",
        ));
    }
    // All allowed characters are ASCII, so bytes are characters here.
    if text.len() > MAX_REQUEST_ID_CHARS {
        return Err(DomainError::invalid(
            "request_id",
            format!("is longer than {MAX_REQUEST_ID_CHARS} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// At most the first 40 characters of `s`: what a refusal may repeat of the input it
/// refuses, so that an error never carries a hostile request back whole.
pub fn excerpt(s: &str) -> &str {
    s.char_indices().nth(40).map_or(s, |(i, _)| &s[..i])
}

/// A command parsed from its request: the struct of domain types, and `TryFrom` of the
/// request, which parses each field with the expression written beside it (naming the
/// field in its error) in the order written, so a field is written once and a command
/// cannot forget one. Commands whose parsing checks fields against each other keep their
/// `TryFrom` by hand.
macro_rules! parsed {
    (
        $(#[$meta:meta])*
        pub struct $command:ident from $request:path as $r:ident {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty = $parse:expr,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $command {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl TryFrom<$request> for $command {
            type Error = $crate::DomainError;
            fn try_from($r: $request) -> ::std::result::Result<Self, $crate::DomainError> {
                Ok(Self { $($field: $parse,)* })
            }
        }
    };
}
pub(crate) use parsed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded_before_their_entries_are_read() {
        let many = vec![1; 10_000];
        let err = known_enums::<proto::v1::Level>("topics", &many, true).expect_err("too many");
        assert!(err.to_string().contains("topics"), "{err}");
        assert!(list_len("module_ids", MAX_LIST, MAX_LIST).is_ok());
        assert!(list_len("module_ids", MAX_LIST + 1, MAX_LIST).is_err());
    }
    use proto::v1::Level;

    #[test]
    fn errors_name_their_field() {
        let field = |e: DomainError| match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(date("deadline", "31/12/2026").expect_err("bad date")),
            "deadline"
        );
        assert_eq!(
            field(id("session_id", "nope").expect_err("bad id")),
            "session_id"
        );
        assert_eq!(
            field(known_enum::<Level>("level", 0).expect_err("unspecified")),
            "level"
        );
        assert_eq!(
            field(known_enum::<Level>("level", 42).expect_err("unknown")),
            "level"
        );
        assert_eq!(
            field(known_enums::<Level>("levels", &[1, 9], true).expect_err("unknown")),
            "levels[1]"
        );
        assert_eq!(
            field(count("capacity", 0, false, 500).expect_err("zero")),
            "capacity"
        );
        assert_eq!(field(text("name", "  ", 100).expect_err("blank")), "name");
        assert_eq!(known_enum::<Level>("level", 2), Ok(Level::Regional));
        assert_eq!(date_or("d", "", NaiveDate::MIN), Ok(NaiveDate::MIN));
    }

    #[test]
    fn a_request_id_is_an_opaque_key_or_none() {
        assert_eq!(request_id(""), Ok(None));
        for key in [
            "a",
            "req-1",
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "client.app:2026-11-29T10:00:00_7",
            &"k".repeat(64),
        ] {
            assert_eq!(request_id(key), Ok(Some(key.to_owned())), "{key}");
        }
    }

    #[test]
    fn a_request_id_refuses_anything_else_without_echoing_it() {
        for bad in [
            " ",
            " req-1",
            "req 1",
            "jo@example.com",
            "Jo Bloggs, LS6 2AB",
            "req/1",
            "réq-1",
            "req-１",
            "req\n1",
            "req\u{0}1",
            &"k".repeat(65),
            &"é".repeat(40),
        ] {
            let err = request_id(bad).expect_err(bad);
            let DomainError::Invalid { field, reason } = &err else {
                panic!("{err:?}");
            };
            assert_eq!(field, "request_id");
            // The reason is one of two fixed sentences: nothing of the value is in it.
            assert!(
                reason.starts_with("may hold only") || reason == "is longer than 64 characters",
                "{reason}"
            );
        }
    }
}
