//! The JWT claim set difacto issues and accepts (DESIGN.md §6).

use serde::{Deserialize, Serialize};

/// Issuer (`iss`) of development tokens unless configured otherwise (DESIGN.md §8).
pub const DEFAULT_ISSUER: &str = "difacto";

/// Audience (`aud`) of development tokens unless configured otherwise (DESIGN.md §8).
pub const DEFAULT_AUDIENCE: &str = "difacto";

/// The claims in every difacto token, exactly as they appear in the JWT payload.
///
/// Public so that other issuers (an identity provider adapter, test tools) can
/// produce tokens the verifier accepts. Roles stay strings here because this is the
/// wire shape; the verifier turns them into [`crate::Role`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: a pseudonymous user or service identifier.
    pub sub: String,
    /// Organisation code of the caller (practice, PCN, ICB, partner, provider...).
    pub org: String,
    /// Role names, each one of [`crate::Role`]'s wire names.
    pub roles: Vec<String>,
    /// Issuer; must equal the verifier's configured issuer.
    pub iss: String,
    /// Audience; must equal the verifier's configured audience.
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch; required.
    pub iat: u64,
}

/// What a token must say besides who holds it: the one algorithm that signs it and the
/// `iss` and `aud` it carries. An issuer writes these and a verifier demands them, so the
/// two are built from the same terms; holding no key, the terms are safe to print.
#[cfg(feature = "jwt")]
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    pub(crate) algorithm: jsonwebtoken::Algorithm,
    pub(crate) issuer: String,
    pub(crate) audience: String,
}

#[cfg(feature = "jwt")]
impl Terms {
    pub(crate) fn new(algorithm: jsonwebtoken::Algorithm, issuer: &str, audience: &str) -> Self {
        Self {
            algorithm,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }
}

/// Seconds since the Unix epoch, the JWT time unit. An error rather than a panic
/// if the system clock is set before 1970.
#[cfg(feature = "jwt")]
pub(crate) fn now_unix() -> Result<u64, crate::AuthError> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| crate::AuthError::Key("the system clock is set before 1970".into()))
}
