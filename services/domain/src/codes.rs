//! Organisation codes: NHS ODS codes where they exist, project codes for partners
//! (`P-<slug>`) and providers (`V-<slug>`), each checked against its kind.

use std::sync::LazyLock;

use proto::v1::OrganisationKind;
use regex::Regex;

use crate::error::{DomainError, Result};

#[allow(clippy::expect_used)]
fn pattern(kind: OrganisationKind) -> &'static Regex {
    static PATTERNS: LazyLock<Vec<(OrganisationKind, Regex)>> = LazyLock::new(|| {
        [
            (OrganisationKind::NationalBody, r"^X24$"),
            // Y56 to Y63 are today's regions; Y54 and Y55 (North of England, Midlands and
            // East) are older ones that ODS files still name for long-closed practices;
            // W00 is the grouping ODS gives Welsh practices (`import ods --include-wales`).
            (OrganisationKind::Region, r"^(Y(5[4-9]|6[0-3])|W00)$"),
            (OrganisationKind::Icb, r"^Q[A-Z0-9]{2}$"),
            (OrganisationKind::SubIcb, r"^[0-9A-Z]{3,5}$"),
            (OrganisationKind::Pcn, r"^U\d{5}$"),
            (OrganisationKind::Practice, r"^[A-Z]\d{5}$"),
            (OrganisationKind::Partner, r"^P-[a-z0-9][a-z0-9-]{1,60}$"),
            (OrganisationKind::Provider, r"^V-[a-z0-9][a-z0-9-]{1,60}$"),
        ]
        .into_iter()
        .map(|(kind, p)| (kind, Regex::new(p).expect("a valid code pattern")))
        .collect()
    });
    static NOTHING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\b$").expect("a valid pattern"));
    PATTERNS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&NOTHING, |(_, p)| p)
}

/// What a code of each kind looks like, for error messages.
pub fn example(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::NationalBody => "X24",
        OrganisationKind::Region => "Y54 to Y63, or W00 for Wales",
        OrganisationKind::Icb => "Q followed by two letters or digits, e.g. QE1",
        OrganisationKind::SubIcb => "3 to 5 letters or digits, e.g. 00L",
        OrganisationKind::Pcn => "U followed by 5 digits, e.g. U12345",
        OrganisationKind::Practice => "a letter and 5 digits, e.g. A81001",
        OrganisationKind::Partner => "P-<slug>, e.g. P-leeds-libraries",
        OrganisationKind::Provider => "V-<slug>, e.g. V-nhs-app",
        OrganisationKind::Unspecified => "a known kind",
    }
}

/// Checks `code` has the shape of its `kind`.
pub fn check(field: &str, code: &str, kind: OrganisationKind) -> Result<()> {
    if pattern(kind).is_match(code) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!(
                "{:?} is not a {} code ({})",
                crate::values::excerpt(code),
                kind.as_str_name(),
                example(kind)
            ),
        ))
    }
}

/// Trims a code reference; required.
pub fn reference(field: &str, code: &str) -> Result<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(DomainError::invalid(
            field,
            "is required (an organisation code)",
        ));
    }
    if code.len() > 64 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(DomainError::invalid(
            field,
            format!(
                "{:?} is not an organisation code",
                code.chars().take(64).collect::<String>()
            ),
        ));
    }
    Ok(code.to_owned())
}

/// The kinds an organisation of `kind` may sit under.
pub fn parent_kinds(kind: OrganisationKind) -> &'static [OrganisationKind] {
    use OrganisationKind::*;
    match kind {
        NationalBody | Unspecified => &[],
        Region => &[NationalBody],
        Icb => &[Region],
        SubIcb => &[Icb],
        Pcn => &[SubIcb, Icb],
        Practice => &[Pcn, SubIcb, Icb],
        Partner | Provider => &[Icb, Region, NationalBody],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrganisationKind::*;

    #[test]
    fn codes_by_kind() {
        for (code, kind) in [
            ("X24", NationalBody),
            ("Y54", Region),
            ("Y56", Region),
            ("Y63", Region),
            ("QE1", Icb),
            ("00L", SubIcb),
            ("U12345", Pcn),
            ("A81001", Practice),
            ("P-leeds-libraries", Partner),
            ("V-nhs-app", Provider),
        ] {
            assert!(check("code", code, kind).is_ok(), "{code}");
        }
        for (code, kind) in [
            ("Y64", Region),
            ("Y53", Region),
            ("E1", Icb),
            ("U1234", Pcn),
            ("A8100", Practice),
            ("a81001", Practice),
            ("P-", Partner),
            ("leeds", Partner),
            ("X24", Icb),
        ] {
            assert!(check("code", code, kind).is_err(), "{code}");
        }
    }
}
