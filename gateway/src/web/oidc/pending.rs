//! A sign-in between `/signin/oidc` and `/signin/callback`: the state, nonce and PKCE
//! verifier, kept in a private cookie (encrypted and authenticated with the session
//! key), scoped to `/signin`, honoured for ten minutes (the time is inside the sealed
//! value, so a browser cannot stretch it) and removed by the callback whatever it decides,
//! so a callback can be completed once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use serde::{Deserialize, Serialize};

/// The cookie's name.
pub const COOKIE: &str = "difacto_oidc";
/// The path it is sent to: only the sign-in routes.
const PATH: &str = "/signin";
/// How long a visitor may take at the provider.
pub const LIFETIME: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// Sent to the provider and expected back unchanged (the callback's CSRF check).
    pub state: String,
    /// Expected in the ID token: it binds the token to this sign-in.
    pub nonce: String,
    /// The PKCE verifier, sent with the code: a stolen code is useless without it.
    pub verifier: String,
    /// Seconds since the epoch when the sign-in started.
    started: u64,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Pending {
    pub fn new(state: String, nonce: String, verifier: String) -> Self {
        Self {
            state,
            nonce,
            verifier,
            started: now(),
        }
    }

    /// The cookie holding it.
    pub fn cookie(&self, key: &Key, secure: bool) -> PrivateCookieJar {
        let value = serde_json::to_string(self).unwrap_or_default();
        let cookie = Cookie::build((COOKIE, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path(PATH)
            .build();
        PrivateCookieJar::new(key.clone()).add(cookie)
    }

    /// The sign-in the request's cookie holds, if it is this deployment's and not older
    /// than [`LIFETIME`].
    pub fn read(headers: &HeaderMap, key: &Key) -> Option<Self> {
        let jar = PrivateCookieJar::from_headers(headers, key.clone());
        let pending: Self = serde_json::from_str(jar.get(COOKIE)?.value()).ok()?;
        (now().saturating_sub(pending.started) <= LIFETIME.as_secs()).then_some(pending)
    }

    /// `jar` with the cookie removed. The removal is added outright (empty, expired):
    /// a jar's own `remove` says nothing to the browser about a cookie the jar was not
    /// built from.
    pub fn remove(jar: PrivateCookieJar) -> PrivateCookieJar {
        let mut removal = Cookie::build((COOKIE, "")).path(PATH).build();
        removal.make_removal();
        jar.add(removal)
    }
}
