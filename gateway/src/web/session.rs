//! The web session: a private cookie (encrypted and authenticated with the key of
//! [`super::WebConfig`]) holding the token the sign-in produced and the CSRF token of
//! the session's forms. The token is checked on every request by the gateway's one
//! verifier, through [`Authentication::from_token`], so a signed-in visitor is exactly
//! the caller a bearer token with the same claims would be.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SameSite};
use serde::{Deserialize, Serialize};

use super::csrf;
use crate::caller::Authentication;
use crate::http::Gateway;

/// The session cookie's name.
pub const COOKIE: &str = "difacto_session";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    /// The signed-in caller's token; none before sign-in.
    token: Option<String>,
    csrf: String,
}

/// Who is looking at a page, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// A bearer token if the request has one (scripts, `curl`), else the session's.
    pub auth: Authentication,
    pub csrf: String,
}

impl Visitor {
    /// The caller, if signed in with a token that still verifies.
    pub fn caller(&self) -> Option<&crate::caller::Caller> {
        self.auth.caller().ok()
    }

    /// The code of the organisation the visitor acts for; empty when not signed in.
    pub fn organisation(&self) -> String {
        self.caller()
            .map(|c| c.principal.organisation.clone())
            .unwrap_or_default()
    }

    /// The area a page is asked about: the code typed, else the visitor's own
    /// organisation (empty when not signed in, for the API to refuse).
    pub fn area_or_own(&self, typed: &str) -> String {
        if typed.is_empty() {
            self.organisation()
        } else {
            typed.to_owned()
        }
    }
}

fn read(headers: &HeaderMap, gw: &Gateway) -> Option<Session> {
    let jar = PrivateCookieJar::from_headers(headers, gw.web.key.clone());
    let cookie = jar.get(COOKIE)?;
    serde_json::from_str(cookie.value()).ok()
}

/// The caller of a `/graphql` request: its bearer token, else the session's. The
/// session counts only for a JSON POST: a browser sends that cross-site only after a
/// CORS preflight difacto never grants, while a GET or a form POST could be forged by
/// another site's link or form.
pub fn api_caller(method: &Method, headers: &HeaderMap, gw: &Gateway) -> Authentication {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if bearer.is_some() {
        return Authentication::from_header(bearer, &gw.verifier);
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    match read(headers, gw).and_then(|s| s.token) {
        Some(token) if method == Method::POST && json => {
            Authentication::from_token(&token, &gw.verifier)
        }
        _ => Authentication::Missing,
    }
}

/// The caller of a `/graphql/ws` upgrade without a bearer token: the session's, when the
/// page opening the socket is one of this gateway's own (its `Origin` names the host the
/// upgrade was sent to). Browsers send cookies with a websocket upgrade from any site and
/// no preflight guards it, so without that check another site's page could listen in.
pub fn websocket_caller(headers: &HeaderMap, gw: &Gateway) -> Authentication {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|origin| origin.split_once("://"))
        .is_some_and(|(_, authority)| host.is_some_and(|h| h.eq_ignore_ascii_case(authority)));
    match read(headers, gw).and_then(|s| s.token) {
        Some(token) if same_origin => Authentication::from_token(&token, &gw.verifier),
        _ => Authentication::Missing,
    }
}

/// Whether cookies must be `Secure`: configured so, or the request came over TLS to a proxy.
pub(crate) fn secure(headers: &HeaderMap, gw: &Gateway) -> bool {
    gw.web.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn cookie(session: &Session, secure: bool) -> Cookie<'static> {
    let value = serde_json::to_string(session).unwrap_or_default();
    Cookie::build((COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

/// Layer of every web route: puts the [`Visitor`] into the request, and gives a visitor
/// without a session one (signed out, with a CSRF token for the sign-in form).
pub async fn sessions(State(gw): State<Gateway>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let secure = secure(headers, &gw);
    let stored = read(headers, &gw);
    let fresh = stored.is_none();
    let session = stored.unwrap_or_else(|| Session {
        token: None,
        csrf: csrf::new_token(),
    });
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let auth = match (bearer, &session.token) {
        (Some(header), _) => Authentication::from_header(Some(header), &gw.verifier),
        (None, Some(token)) => Authentication::from_token(token, &gw.verifier),
        (None, None) => Authentication::Missing,
    };
    request.extensions_mut().insert(Visitor {
        auth,
        csrf: session.csrf.clone(),
    });
    let response = next.run(request).await;
    if fresh && !response.headers().contains_key(header::SET_COOKIE) {
        let jar = PrivateCookieJar::new(gw.web.key.clone()).add(cookie(&session, secure));
        (jar, response).into_response()
    } else {
        response
    }
}

/// A new session for `token` (or signed out, with none), with a new CSRF token so that
/// nothing learnt before a sign-in is worth anything after it.
pub fn start(gw: &Gateway, headers: &HeaderMap, token: Option<String>) -> PrivateCookieJar {
    let session = Session {
        token,
        csrf: csrf::new_token(),
    };
    PrivateCookieJar::new(gw.web.key.clone()).add(cookie(&session, secure(headers, gw)))
}
