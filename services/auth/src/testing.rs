//! Shared fixtures for this crate's unit tests.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::claims::now_unix;
use crate::{Claims, KeyAlgorithm, TokenIssuer, TokenVerifier};
pub(crate) use crate::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};

pub(crate) const SECRET: &[u8] = b"test-secret-0123456789abcdef0123456789";

pub(crate) const ED25519_PRIVATE: &[u8] = include_bytes!("../tests/fixtures/ed25519-private.pem");
pub(crate) const ED25519_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/ed25519-public.pem");
pub(crate) const ED25519_OTHER_PUBLIC: &[u8] =
    include_bytes!("../tests/fixtures/ed25519-other-public.pem");
pub(crate) const RSA_PRIVATE: &[u8] = include_bytes!("../tests/fixtures/rsa-private.pem");
pub(crate) const RSA_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/rsa-public.pem");

pub(crate) fn dev_issuer() -> TokenIssuer {
    TokenIssuer::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
}

pub(crate) fn dev_verifier() -> TokenVerifier {
    TokenVerifier::hs256(SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
}

pub(crate) fn ed25519_verifier() -> TokenVerifier {
    TokenVerifier::from_public_key_pem(
        KeyAlgorithm::EdDsa,
        ED25519_PUBLIC,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    .expect("fixture public key")
}

/// Valid claims for a practice staff member, issued now, expiring in `ttl` seconds.
pub(crate) fn claims_now(ttl: u64) -> Claims {
    let now = now_unix().expect("clock");
    Claims {
        sub: "staff-1".into(),
        org: "A81001".into(),
        roles: vec!["practice_staff".into()],
        iss: DEFAULT_ISSUER.into(),
        aud: DEFAULT_AUDIENCE.into(),
        exp: now + ttl,
        iat: now,
    }
}

/// Signs arbitrary claims (possibly malformed JSON values) with any algorithm.
pub(crate) fn sign_with(claims: &impl Serialize, alg: Algorithm, key: &EncodingKey) -> String {
    crate::provider::ensure_crypto_provider();
    jsonwebtoken::encode(&Header::new(alg), claims, key).expect("sign")
}

pub(crate) fn sign_hs256(claims: &impl Serialize, secret: &[u8]) -> String {
    sign_with(claims, Algorithm::HS256, &EncodingKey::from_secret(secret))
}
