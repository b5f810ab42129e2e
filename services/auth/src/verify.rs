//! Checking a JWT and turning it into a [`Principal`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::claims::Terms;
use crate::provider::ensure_crypto_provider;
use crate::{AuthError, Principal, Role, b64};

/// Clock skew tolerated on `exp`, in seconds. Small, because tokens are short-lived.
const LEEWAY_SECS: u64 = 5;

/// Tokens longer than this are rejected before any parsing, so a hostile header
/// cannot make the server decode megabytes of base64 and JSON.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Which asymmetric algorithm a production public key is for. Naming it
/// explicitly (rather than trusting the token's header) is what stops algorithm
/// confusion attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256; the key is an RSA public key.
    Rs256,
    /// Ed25519 signatures; the key is an Ed25519 public key.
    EdDsa,
}

impl KeyAlgorithm {
    pub(crate) fn jwt_algorithm(self) -> Algorithm {
        match self {
            KeyAlgorithm::Rs256 => Algorithm::RS256,
            KeyAlgorithm::EdDsa => Algorithm::EdDSA,
        }
    }
}

/// Checks tokens at an edge (gRPC interceptor, GraphQL extractor) so that nothing
/// behind it ever sees a JWT. Exactly one algorithm and one key are accepted,
/// fixed at construction; `iss` and `aud` must match exactly.
///
/// Cheap to clone, but usually shared behind an `Arc`.
#[derive(Clone)]
pub struct TokenVerifier {
    /// The only algorithm accepted (a token cannot choose another, or `none`), and the
    /// expected `iss` and `aud`, compared exactly once more after decoding.
    terms: Terms,
    /// The HMAC secret or the public key; never printed.
    key: DecodingKey,
    /// jsonwebtoken's checks: algorithm, `exp` (with leeway), `iss`, `aud` present.
    validation: Validation,
    /// Tokens already verified, until their `exp`: a service sends the same token with
    /// every call, and checking it again each time cost a measurable share of a call.
    verified: Arc<Mutex<HashMap<String, (Principal, u64)>>>,
}

/// Most tokens remembered; the cache starts over when full.
const VERIFIED_CACHE_ENTRIES: usize = 4096;

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("terms", &self.terms)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Development verifier: HS256 with a shared secret (see
    /// [`crate::resolve_dev_secret`]). Rejects RS256, EdDSA and `none` tokens.
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Self {
        if secret.is_empty() {
            tracing::warn!("HS256 verifier built with an empty secret; anyone can forge tokens");
        }
        Self::new(
            Algorithm::HS256,
            DecodingKey::from_secret(secret),
            issuer,
            audience,
        )
    }

    /// Production verifier: an RS256 or EdDSA public key in PEM (`PUBLIC KEY`, or
    /// `RSA PUBLIC KEY` for RS256). Only tokens signed with that algorithm and the
    /// matching private key are accepted.
    pub fn from_public_key_pem(
        alg: KeyAlgorithm,
        pem: &[u8],
        issuer: &str,
        audience: &str,
    ) -> Result<Self, AuthError> {
        ensure_crypto_provider();
        let key = match alg {
            KeyAlgorithm::Rs256 => DecodingKey::from_rsa_pem(pem),
            KeyAlgorithm::EdDsa => DecodingKey::from_ed_pem(pem),
        }
        .map_err(|e| AuthError::Key(format!("cannot read {alg:?} public key PEM: {e}")))?;
        Ok(Self::new(alg.jwt_algorithm(), key, issuer, audience))
    }

    fn new(algorithm: Algorithm, key: DecodingKey, issuer: &str, audience: &str) -> Self {
        ensure_crypto_provider();
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        Self {
            terms: Terms::new(algorithm, issuer, audience),
            key,
            validation,
            verified: Arc::default(),
        }
    }

    /// Verifies signature, algorithm, `exp`, `iss`, `aud` and `iat`, then that `sub`
    /// and `org` are non-empty and every role is known. The error never contains
    /// the token or the key.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if token.is_empty() {
            return Err(AuthError::MissingToken);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(invalid(format!(
                "token is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        // A clock before 1970 only disables the cache.
        let now = crate::claims::now_unix().unwrap_or(u64::MAX);
        if let Some((principal, exp)) = self
            .verified
            .lock()
            .ok()
            .and_then(|cache| cache.get(token).cloned())
            && now < exp
        {
            return Ok(principal);
        }
        let header = decode_header(token).map_err(|e| header_error(token, &e))?;
        if header.alg != self.terms.algorithm {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted; this server accepts only {:?}",
                header.alg, self.terms.algorithm
            )));
        }
        let data =
            decode::<WireClaims>(token, &self.key, &self.validation).map_err(|e| jwt_error(&e))?;
        let exp = data.claims.exp.unwrap_or(0);
        let principal = self.principal_from(data.claims)?;
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= VERIFIED_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(token.to_owned(), (principal.clone(), exp));
        }
        Ok(principal)
    }

    fn principal_from(&self, claims: WireClaims) -> Result<Principal, AuthError> {
        if claims.iss.as_deref() != Some(self.terms.issuer.as_str()) {
            return Err(invalid("wrong issuer"));
        }
        if claims.aud.as_deref() != Some(self.terms.audience.as_str()) {
            return Err(invalid("wrong audience"));
        }
        if claims.exp.is_none() {
            return Err(AuthError::MissingClaim("exp"));
        }
        if claims.iat.is_none() {
            return Err(AuthError::MissingClaim("iat"));
        }
        let subject = non_empty(claims.sub).ok_or(AuthError::MissingClaim("sub"))?;
        let organisation = non_empty(claims.org).ok_or(AuthError::MissingClaim("org"))?;
        let names = claims.roles.ok_or(AuthError::MissingClaim("roles"))?;
        let mut roles = Vec::with_capacity(names.len());
        for name in &names {
            let role: Role = name.parse()?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok(Principal {
            subject,
            organisation,
            roles,
        })
    }
}

/// The payload as received: everything optional so that a missing claim is
/// reported by name rather than as a generic decoding failure.
#[derive(Deserialize)]
struct WireClaims {
    sub: Option<String>,
    org: Option<String>,
    roles: Option<Vec<String>>,
    iss: Option<String>,
    aud: Option<String>,
    exp: Option<u64>,
    iat: Option<u64>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn invalid(reason: impl Into<String>) -> AuthError {
    AuthError::InvalidToken(reason.into())
}

/// jsonwebtoken cannot parse a header whose `alg` it does not know (including
/// `none`); peek at the raw header so the rejection names the algorithm.
fn header_error(token: &str, err: &JwtError) -> AuthError {
    if matches!(err.kind(), ErrorKind::Json(_) | ErrorKind::Utf8(_))
        && let Some(alg) = peek_alg(token)
    {
        if alg.eq_ignore_ascii_case("none") {
            return invalid("unsigned tokens (alg \"none\") are not accepted");
        }
        let shown: String = alg.chars().take(16).collect();
        return invalid(format!("algorithm {shown:?} is not supported"));
    }
    jwt_error(err)
}

fn peek_alg(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct AlgOnly {
        alg: String,
    }
    let header = token.split('.').next()?;
    let json = b64::decode(header)?;
    serde_json::from_slice::<AlgOnly>(&json).ok().map(|h| h.alg)
}

/// Translates jsonwebtoken's reasons into messages safe to show the caller.
fn jwt_error(err: &JwtError) -> AuthError {
    let reason = match err.kind() {
        ErrorKind::InvalidToken => "not a JWT (expected header.payload.signature)".to_owned(),
        ErrorKind::InvalidSignature => "signature does not match the server's key".to_owned(),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => "algorithm is not accepted".to_owned(),
        ErrorKind::ExpiredSignature => "token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "token is not valid yet (nbf)".to_owned(),
        ErrorKind::InvalidIssuer => "wrong issuer".to_owned(),
        ErrorKind::InvalidAudience => "wrong audience".to_owned(),
        ErrorKind::InvalidSubject => "wrong subject".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("token has no `{claim}` claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("claim `{claim}` has the wrong type"),
        ErrorKind::Base64(_) => "token is not valid base64url".to_owned(),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            "token header or claims are not decodable JSON of the expected shape".to_owned()
        }
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat => "token does not fit the server's key".to_owned(),
        _ => "token could not be verified".to_owned(),
    };
    AuthError::InvalidToken(reason)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::*;
    use crate::{Claims, TokenIssuer};

    fn expect_invalid(result: Result<Principal, AuthError>, needle: &str) {
        match result {
            Err(AuthError::InvalidToken(reason)) => {
                assert!(
                    reason.contains(needle),
                    "{reason:?} should mention {needle:?}"
                )
            }
            other => panic!("expected InvalidToken({needle:?}), got {other:?}"),
        }
    }

    #[test]
    fn minted_token_verifies_to_the_same_principal() {
        let token = dev_issuer()
            .mint(
                "staff-42",
                "A81001",
                &[Role::PracticeManager, Role::PracticeStaff],
                Duration::from_secs(3600),
            )
            .expect("mint");
        let principal = dev_verifier().verify(&token).expect("verify");
        assert_eq!(
            principal,
            Principal {
                subject: "staff-42".into(),
                organisation: "A81001".into(),
                roles: vec![Role::PracticeManager, Role::PracticeStaff],
            }
        );
    }

    #[test]
    fn expired_tokens_and_foreign_claims_are_rejected() {
        type Edit = fn(&mut Claims);
        let cases: [(&str, Edit, &str); 3] = [
            (
                "expired",
                |claims| {
                    claims.exp = claims.iat - 60;
                    claims.iat -= 120;
                },
                "expired",
            ),
            (
                "another issuer",
                |claims| claims.iss = "someone-else".into(),
                "issuer",
            ),
            (
                "another audience",
                |claims| claims.aud = "another-service".into(),
                "audience",
            ),
        ];
        for (what, edit, needle) in cases {
            let mut claims = claims_now(3600);
            edit(&mut claims);
            let result = dev_verifier().verify(&sign_hs256(&claims, SECRET));
            assert!(result.is_err(), "{what}: accepted");
            expect_invalid(result, needle);
        }
    }

    #[test]
    fn token_within_leeway_is_accepted() {
        let mut claims = claims_now(0);
        claims.exp = claims.iat - 1;
        assert!(dev_verifier().verify(&sign_hs256(&claims, SECRET)).is_ok());
    }

    #[test]
    fn wrong_secret_is_rejected() {
        let token = sign_hs256(&claims_now(3600), b"another-secret");
        expect_invalid(dev_verifier().verify(&token), "signature");
    }

    #[test]
    fn audience_array_is_not_an_exact_match() {
        let mut claims = serde_json::to_value(claims_now(3600)).expect("json");
        claims["aud"] = serde_json::json!(["difacto", "other"]);
        let result = dev_verifier().verify(&sign_hs256(&claims, SECRET));
        assert!(
            matches!(result, Err(AuthError::InvalidToken(_))),
            "{result:?}"
        );
    }

    #[test]
    fn alg_none_token_is_rejected() {
        let header = b64::encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64::encode(&serde_json::to_vec(&claims_now(3600)).expect("json"));
        let token = format!("{header}.{payload}.");
        expect_invalid(dev_verifier().verify(&token), "none");
        let ed = ed25519_verifier();
        expect_invalid(ed.verify(&token), "none");
    }

    #[test]
    fn unknown_role_is_rejected() {
        let mut claims = claims_now(3600);
        claims.roles = vec!["practice_staff".into(), "superuser".into()];
        assert_eq!(
            dev_verifier().verify(&sign_hs256(&claims, SECRET)),
            Err(AuthError::UnknownRole("superuser".into()))
        );
    }

    #[test]
    fn empty_org_is_rejected() {
        let mut claims = claims_now(3600);
        claims.org = String::new();
        assert_eq!(
            dev_verifier().verify(&sign_hs256(&claims, SECRET)),
            Err(AuthError::MissingClaim("org"))
        );
    }

    #[test]
    fn empty_sub_is_rejected() {
        let mut claims = claims_now(3600);
        claims.sub = "  ".into();
        assert_eq!(
            dev_verifier().verify(&sign_hs256(&claims, SECRET)),
            Err(AuthError::MissingClaim("sub"))
        );
    }

    #[test]
    fn missing_iat_is_rejected() {
        let mut claims = serde_json::to_value(claims_now(3600)).expect("json");
        claims.as_object_mut().expect("object").remove("iat");
        assert_eq!(
            dev_verifier().verify(&sign_hs256(&claims, SECRET)),
            Err(AuthError::MissingClaim("iat"))
        );
    }

    #[test]
    fn missing_exp_is_rejected() {
        let mut claims = serde_json::to_value(claims_now(3600)).expect("json");
        claims.as_object_mut().expect("object").remove("exp");
        expect_invalid(dev_verifier().verify(&sign_hs256(&claims, SECRET)), "exp");
    }

    #[test]
    fn duplicate_roles_collapse() {
        let mut claims = claims_now(3600);
        claims.roles = vec!["service".into(), "service".into()];
        let principal = dev_verifier()
            .verify(&sign_hs256(&claims, SECRET))
            .expect("verify");
        assert_eq!(principal.roles, vec![Role::Service]);
    }

    #[test]
    fn garbage_is_rejected_without_echoing_it() {
        for token in ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.!!!.x", "...."] {
            match dev_verifier().verify(token) {
                Err(AuthError::InvalidToken(reason)) => assert!(!reason.contains(token)),
                other => panic!("{token:?} gave {other:?}"),
            }
        }
        assert_eq!(dev_verifier().verify(""), Err(AuthError::MissingToken));
        expect_invalid(
            dev_verifier().verify(&"a".repeat(MAX_TOKEN_BYTES + 1)),
            "longer",
        );
    }

    #[test]
    fn eddsa_verifier_round_trip() {
        let token = sign_with(
            &claims_now(3600),
            Algorithm::EdDSA,
            &jsonwebtoken::EncodingKey::from_ed_pem(ED25519_PRIVATE).expect("key"),
        );
        let principal = ed25519_verifier().verify(&token).expect("verify");
        assert_eq!(principal.organisation, "A81001");
        assert_eq!(principal.roles, vec![Role::PracticeStaff]);
    }

    #[test]
    fn eddsa_verifier_rejects_another_key() {
        let token = sign_with(
            &claims_now(3600),
            Algorithm::EdDSA,
            &jsonwebtoken::EncodingKey::from_ed_pem(ED25519_PRIVATE).expect("key"),
        );
        let other = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::EdDsa,
            ED25519_OTHER_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("verifier");
        expect_invalid(other.verify(&token), "signature");
    }

    #[test]
    fn rs256_verifier_round_trip() {
        let verifier = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::Rs256,
            RSA_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("verifier");
        let token = sign_with(
            &claims_now(3600),
            Algorithm::RS256,
            &jsonwebtoken::EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("key"),
        );
        assert_eq!(verifier.verify(&token).expect("verify").subject, "staff-1");
    }

    #[test]
    fn asymmetric_verifiers_reject_hs256_tokens() {
        let token = sign_hs256(&claims_now(3600), SECRET);
        expect_invalid(ed25519_verifier().verify(&token), "HS256");
        let rsa = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::Rs256,
            RSA_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("verifier");
        expect_invalid(rsa.verify(&token), "HS256");
    }

    #[test]
    fn asymmetric_verifier_rejects_hs256_signed_with_the_public_key() {
        // The classic algorithm-confusion attack: HMAC keyed with the public key.
        let token = sign_hs256(&claims_now(3600), ED25519_PUBLIC);
        expect_invalid(ed25519_verifier().verify(&token), "HS256");
    }

    #[test]
    fn a_cached_token_still_expires() {
        let secret = b"cache-secret-cache-secret-cache-secret";
        let verifier = TokenVerifier::hs256(secret, "difacto", "difacto");
        let issuer = crate::TokenIssuer::hs256(secret, "difacto", "difacto");
        let token = issuer
            .mint(
                "u",
                "A81001",
                &[Role::PracticeManager],
                std::time::Duration::from_secs(600),
            )
            .expect("mint");
        let first = verifier.verify(&token).expect("fresh");
        assert_eq!(verifier.verify(&token).expect("cached"), first);
        // Planted as if it had expired: the cache must not answer for it.
        verifier
            .verified
            .lock()
            .expect("lock")
            .insert(token.clone(), (first, 1));
        assert_eq!(
            verifier.verify(&token).expect("verified afresh").subject,
            "u"
        );
        let other = TokenVerifier::hs256(
            b"another-secret-another-secret-another",
            "difacto",
            "difacto",
        );
        assert!(
            other.verify(&token).is_err(),
            "the cache is per verifier, never shared across keys"
        );
    }

    #[test]
    fn hs256_verifier_rejects_asymmetric_tokens() {
        let ed = sign_with(
            &claims_now(3600),
            Algorithm::EdDSA,
            &jsonwebtoken::EncodingKey::from_ed_pem(ED25519_PRIVATE).expect("key"),
        );
        expect_invalid(dev_verifier().verify(&ed), "EdDSA");
        let rs = sign_with(
            &claims_now(3600),
            Algorithm::RS256,
            &jsonwebtoken::EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("key"),
        );
        expect_invalid(dev_verifier().verify(&rs), "RS256");
    }

    #[test]
    fn bad_pem_is_a_key_error() {
        let err = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::EdDsa,
            b"not a pem",
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect_err("must fail");
        assert!(matches!(err, AuthError::Key(_)), "{err:?}");
        // An RSA key handed in as EdDSA is refused too.
        let err = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::EdDsa,
            RSA_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect_err("must fail");
        assert!(matches!(err, AuthError::Key(_)), "{err:?}");
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let verifier = TokenVerifier::hs256(b"super-secret-value", "difacto", "difacto");
        let issuer = TokenIssuer::hs256(b"super-secret-value", "difacto", "difacto");
        for shown in [format!("{verifier:?}"), format!("{issuer:?}")] {
            assert!(!shown.contains("super-secret-value"), "{shown}");
            assert!(!shown.contains("115, 117, 112"), "{shown}");
        }
    }

    #[test]
    fn claims_struct_is_the_wire_shape() {
        let claims: Claims = serde_json::from_value(serde_json::json!({
            "sub": "s", "org": "o", "roles": ["auditor"], "iss": "difacto",
            "aud": "difacto", "exp": 2, "iat": 1
        }))
        .expect("decode");
        assert_eq!(claims.roles, vec!["auditor".to_owned()]);
    }
}
