//! Minting tokens: development ones (`difacto token`, `difacto dev`, tests) with the HS256
//! secret, and a gateway's web sessions with the private half of a production key.

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

use crate::claims::{Terms, now_unix};
use crate::provider::ensure_crypto_provider;
use crate::{AuthError, Claims, KeyAlgorithm, Role};

/// Signs tokens. With the development secret (HS256) a developer or a test can act as
/// any organisation and role without an identity provider. In production, API tokens
/// come from an external issuer and are checked with
/// [`crate::TokenVerifier::from_public_key_pem`]; the one private key difacto may hold is
/// the gateway's, for the sessions of people who signed in through OpenID Connect
/// ([`TokenIssuer::from_private_key_pem`]).
#[derive(Clone)]
pub struct TokenIssuer {
    /// HS256, RS256 or EdDSA, and the `iss` and `aud` written into every token.
    terms: Terms,
    /// The HMAC secret or the private key; never printed.
    key: EncodingKey,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("terms", &self.terms)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// An issuer whose tokens a [`crate::TokenVerifier::hs256`] built from the same
    /// secret, issuer and audience accepts.
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Self {
        ensure_crypto_provider();
        if secret.is_empty() {
            tracing::warn!("HS256 issuer built with an empty secret");
        }
        Self {
            terms: Terms::new(Algorithm::HS256, issuer, audience),
            key: EncodingKey::from_secret(secret),
        }
    }

    /// An issuer whose tokens a [`crate::TokenVerifier::from_public_key_pem`] of the
    /// matching public key (same algorithm, issuer and audience) accepts: a PEM private
    /// key (`PRIVATE KEY`, or `RSA PRIVATE KEY` for RS256).
    pub fn from_private_key_pem(
        alg: KeyAlgorithm,
        pem: &[u8],
        issuer: &str,
        audience: &str,
    ) -> Result<Self, AuthError> {
        ensure_crypto_provider();
        let key = match alg {
            KeyAlgorithm::Rs256 => EncodingKey::from_rsa_pem(pem),
            KeyAlgorithm::EdDsa => EncodingKey::from_ed_pem(pem),
        }
        .map_err(|e| AuthError::Key(format!("cannot read {alg:?} private key PEM: {e}")))?;
        Ok(Self {
            terms: Terms::new(alg.jwt_algorithm(), issuer, audience),
            key,
        })
    }

    /// A signed JWT for `subject` acting for `organisation` with `roles`, valid
    /// from now for `ttl` (whole seconds). Refuses an empty subject or organisation,
    /// which the verifier would reject anyway.
    pub fn mint(
        &self,
        subject: &str,
        organisation: &str,
        roles: &[Role],
        ttl: Duration,
    ) -> Result<String, AuthError> {
        if subject.trim().is_empty() {
            return Err(AuthError::MissingClaim("sub"));
        }
        if organisation.trim().is_empty() {
            return Err(AuthError::MissingClaim("org"));
        }
        let iat = now_unix()?;
        let claims = Claims {
            sub: subject.to_owned(),
            org: organisation.to_owned(),
            roles: roles.iter().map(|role| role.as_str().to_owned()).collect(),
            iss: self.terms.issuer.clone(),
            aud: self.terms.audience.clone(),
            exp: iat.saturating_add(ttl.as_secs()),
            iat,
        };
        encode(&Header::new(self.terms.algorithm), &claims, &self.key)
            .map_err(|e| AuthError::Key(format!("could not sign token: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenVerifier;
    use crate::testing::*;

    #[test]
    fn minted_claims_carry_issuer_audience_and_lifetime() {
        let token = dev_issuer()
            .mint("svc", "X26", &[Role::Service], Duration::from_secs(90))
            .expect("mint");
        let claims: Claims = jsonwebtoken::dangerous::insecure_decode(&token)
            .expect("decode")
            .claims;
        assert_eq!(claims.iss, DEFAULT_ISSUER);
        assert_eq!(claims.aud, DEFAULT_AUDIENCE);
        assert_eq!(claims.exp - claims.iat, 90);
        assert_eq!(claims.roles, vec!["service".to_owned()]);
    }

    #[test]
    fn empty_subject_or_organisation_is_refused() {
        let issuer = dev_issuer();
        let ttl = Duration::from_secs(60);
        assert_eq!(
            issuer.mint("", "X26", &[], ttl),
            Err(AuthError::MissingClaim("sub"))
        );
        assert_eq!(
            issuer.mint("svc", " ", &[], ttl),
            Err(AuthError::MissingClaim("org"))
        );
    }

    #[test]
    fn token_with_no_roles_verifies_to_a_powerless_principal() {
        let token = dev_issuer()
            .mint("svc", "X26", &[], Duration::from_secs(60))
            .expect("mint");
        assert!(
            dev_verifier()
                .verify(&token)
                .expect("verify")
                .roles
                .is_empty()
        );
    }

    #[test]
    fn a_private_key_mints_what_its_public_key_accepts_and_no_other() {
        let ed = TokenIssuer::from_private_key_pem(
            KeyAlgorithm::EdDsa,
            ED25519_PRIVATE,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("fixture private key");
        let token = ed
            .mint(
                "web",
                "QOP",
                &[Role::IcbCommissioner],
                Duration::from_secs(60),
            )
            .expect("mint");
        let principal = ed25519_verifier().verify(&token).expect("verified");
        assert_eq!(principal.organisation, "QOP");
        assert!(dev_verifier().verify(&token).is_err(), "not an HS256 token");
        let other = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::EdDsa,
            ED25519_OTHER_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("fixture public key");
        assert!(other.verify(&token).is_err(), "another key's verifier");

        let rsa = TokenIssuer::from_private_key_pem(
            KeyAlgorithm::Rs256,
            RSA_PRIVATE,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("fixture private key");
        let token = rsa
            .mint(
                "web",
                "QOP",
                &[Role::IcbCommissioner],
                Duration::from_secs(60),
            )
            .expect("mint");
        let rsa_verifier = TokenVerifier::from_public_key_pem(
            KeyAlgorithm::Rs256,
            RSA_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        )
        .expect("fixture public key");
        assert_eq!(
            rsa_verifier.verify(&token).expect("verified").organisation,
            "QOP"
        );
    }

    #[test]
    fn a_public_key_is_not_a_private_key() {
        let refused = TokenIssuer::from_private_key_pem(
            KeyAlgorithm::EdDsa,
            ED25519_PUBLIC,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
        );
        assert!(matches!(refused, Err(AuthError::Key(_))), "{refused:?}");
    }

    #[test]
    fn another_issuer_name_is_rejected_by_the_default_verifier() {
        let token = TokenIssuer::hs256(SECRET, "elsewhere", DEFAULT_AUDIENCE)
            .mint("svc", "X26", &[Role::Service], Duration::from_secs(60))
            .expect("mint");
        assert!(matches!(
            dev_verifier().verify(&token),
            Err(AuthError::InvalidToken(_))
        ));
    }
}
