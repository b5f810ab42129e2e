//! How the web app signs people in and seals its cookies, fixed at start.

use std::sync::Arc;

use auth::TokenIssuer;
use axum_extra::extract::cookie::Key;

use super::oidc::Oidc;

/// How long a web session's token lasts: a working day. Signing in again is cheap.
pub const SESSION_HOURS: u64 = 10;

/// How people sign in. Every way ends in a token the gateway's verifier accepts, minted
/// by difacto, so nothing after sign-in changes with the way.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// An HS256 secret and no issuer: the form picks an organisation and a role, and
    /// difacto mints the token `difacto token` would.
    Development(TokenIssuer),
    /// An OpenID Connect issuer (DESIGN.md §10, production): its verified claims, mapped
    /// to an organisation and roles, become a token minted by `issuer`.
    OpenIdConnect {
        oidc: Arc<Oidc>,
        issuer: TokenIssuer,
    },
    /// No way to sign in is configured: the pages say so; bearer tokens still work.
    Unavailable,
}

#[derive(Clone)]
pub struct WebConfig {
    /// Encrypts and authenticates the session cookie (it holds the caller's token).
    pub key: Key,
    /// Marks the session cookie `Secure`: set when difacto is served behind TLS.
    /// A request that arrived over TLS at a proxy (`X-Forwarded-Proto: https`) gets it
    /// anyway.
    pub secure_cookies: bool,
    pub sign_in: SignIn,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("secure_cookies", &self.secure_cookies)
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

impl Default for WebConfig {
    /// No sign-in, and a key of this process only: sessions end when it stops.
    fn default() -> Self {
        Self {
            key: Key::generate(),
            secure_cookies: false,
            sign_in: SignIn::Unavailable,
        }
    }
}

impl WebConfig {
    /// The development sign-in, with the cookie key derived from the same secret so
    /// sessions survive a restart. The key is derived (BLAKE3 in key-derivation mode,
    /// its own context string), never the secret itself, so a cookie key tells nothing
    /// about the token key.
    pub fn development(secret: &[u8], issuer: &str, audience: &str) -> Self {
        Self {
            key: key_from_secret(secret),
            secure_cookies: false,
            sign_in: SignIn::Development(TokenIssuer::hs256(secret, issuer, audience)),
        }
    }

    /// Sign-in through `oidc`, sessions carrying tokens minted by `issuer` (the HS256
    /// secret's, or the private half of the deployment's public key). `key_material` (that
    /// secret or private key) derives the cookie key, so that every gateway replica given
    /// it opens the others' sessions.
    pub fn openid_connect(key_material: &[u8], issuer: TokenIssuer, oidc: Oidc) -> Self {
        Self {
            key: key_from_secret(key_material),
            secure_cookies: false,
            sign_in: SignIn::OpenIdConnect {
                oidc: Arc::new(oidc),
                issuer,
            },
        }
    }

    /// The OpenID Connect issuer, when people sign in through one.
    pub fn oidc(&self) -> Option<&Arc<Oidc>> {
        match &self.sign_in {
            SignIn::OpenIdConnect { oidc, .. } => Some(oidc),
            _ => None,
        }
    }

    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }
}

/// 64 bytes from `secret`, as the cookie crate's private jar needs (its own
/// `Key::derive_from` panics on a master key under 32 bytes; a configured secret may
/// be shorter).
pub fn key_from_secret(secret: &[u8]) -> Key {
    let mut bytes = [0u8; 64];
    blake3::Hasher::new_derive_key("difacto web session cookie key, v1")
        .update(secret)
        .finalize_xof()
        .fill(&mut bytes);
    Key::from(&bytes)
}
