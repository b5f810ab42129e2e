//! Signing in through an OpenID Connect issuer (DESIGN.md §10). `GET /signin/oidc` starts
//! a sign-in and sends the visitor to the provider; `GET /signin/callback` is where the
//! provider sends them back: the state is checked against the sealed cookie, the code
//! exchanged with the PKCE verifier, the ID token verified (by the `openidconnect` crate),
//! the claims mapped to an organisation and roles, and the session started exactly as the
//! development form starts it. Anything short of that shows a page and makes no session.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::PrivateCookieJar;
use serde::Deserialize;

use crate::http::Gateway;
use crate::web::config::{SESSION_HOURS, SignIn};
use crate::web::oidc::{Oidc, Pending};
use crate::web::session;
use crate::web::{csrf, layout::role_name};

/// The most of a provider's error code a page repeats.
const MAX_ERROR: usize = 100;

fn not_configured() -> Response {
    (
        StatusCode::NOT_FOUND,
        super::message_linked(
            "Signing in through an identity provider is off",
            "This difacto has no OpenID Connect issuer configured.",
            ("/signin", "Sign in"),
        ),
    )
        .into_response()
}

fn refused(status: StatusCode, heading: &str, body: &str) -> Response {
    (
        status,
        super::message_linked(heading, body, ("/signin", "Try signing in again")),
    )
        .into_response()
}

/// `GET /signin/oidc`: a new state, nonce and PKCE verifier in a sealed cookie, and a
/// redirect to the provider.
pub async fn start(State(gw): State<Gateway>, headers: HeaderMap) -> Response {
    let SignIn::OpenIdConnect { oidc, .. } = &gw.web.sign_in else {
        return not_configured();
    };
    match oidc.begin().await {
        Ok((url, pending)) => {
            let jar = pending.cookie(&gw.web.key, session::secure(&headers, &gw));
            (jar, Redirect::to(url.as_str())).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, issuer = oidc.issuer(), "cannot start an OpenID Connect sign-in");
            unavailable(oidc)
        }
    }
}

fn unavailable(oidc: &Oidc) -> Response {
    refused(
        StatusCode::BAD_GATEWAY,
        "Sorry, you could not be signed in",
        &format!(
            "difacto could not complete the sign-in with {}. The error has been logged; try again in a few minutes.",
            oidc.name()
        ),
    )
}

/// What the provider sends back: a code and the state, or an error.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /signin/callback`.
pub async fn callback(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let SignIn::OpenIdConnect { oidc, issuer } = &gw.web.sign_in else {
        return not_configured();
    };
    // Whatever happens next, the started sign-in is used up: a second callback (a
    // replayed code, a reloaded page) finds nothing to finish.
    let pending = Pending::read(&headers, &gw.web.key);
    let cleared = Pending::remove(PrivateCookieJar::new(gw.web.key.clone()));
    let refusal = |status, heading: &str, body: &str| {
        (cleared.clone(), refused(status, heading, body)).into_response()
    };
    let Some(pending) = pending else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "This sign-in has expired",
            "The sign-in was not started from this browser, took longer than ten minutes, or was already used. Nothing was done.",
        );
    };
    if let Some(error) = &query.error {
        let error: String = error.chars().take(MAX_ERROR).collect();
        tracing::info!(error = %error, "the identity provider returned an error to the sign-in");
        let body = if error == "access_denied" {
            format!(
                "You were not signed in: the sign-in was cancelled or {} refused it.",
                oidc.name()
            )
        } else {
            format!(
                "You were not signed in: {} answered with the error “{error}”.",
                oidc.name()
            )
        };
        return refusal(StatusCode::FORBIDDEN, "You are not signed in", &body);
    }
    if !csrf::matches(&pending.state, query.state.as_deref()) {
        tracing::warn!(
            "an OpenID Connect callback came back with a state this sign-in did not send"
        );
        return refusal(
            StatusCode::BAD_REQUEST,
            "This sign-in was refused",
            "The answer from the identity provider does not belong to the sign-in this browser started. Nothing was done.",
        );
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "This sign-in was refused",
            "The identity provider sent no authorization code. Nothing was done.",
        );
    };
    let identity = match oidc.finish(&pending, code).await {
        Ok(identity) => identity,
        Err(err) => {
            tracing::warn!(error = %err, issuer = oidc.issuer(), "an OpenID Connect sign-in failed");
            return (cleared.clone(), unavailable(oidc)).into_response();
        }
    };
    let (claimed, roles) = match oidc.mapping.apply(&identity.claims) {
        Ok(mapped) => mapped,
        Err(unmapped) => {
            tracing::info!(subject = %identity.subject, reason = %unmapped, "a signed-in account maps to no organisation or role");
            return refusal(
                StatusCode::FORBIDDEN,
                "Your account cannot use difacto",
                &format!(
                    "{} signed you in, but {unmapped}, so difacto cannot tell what you may see and do. Ask your organisation's administrator to give your account a difacto role.",
                    oidc.name()
                ),
            );
        }
    };
    // Codes are upper case in the NHS and partners' are taken as written, as in the
    // development form.
    let org = gw.projection.live().read(|model| {
        if model.tree.get(&claimed).is_some() {
            Some(claimed.clone())
        } else {
            let upper = claimed.to_uppercase();
            model.tree.get(&upper).is_some().then_some(upper)
        }
    });
    let Some(org) = org else {
        tracing::info!(subject = %identity.subject, org = %claimed, "a signed-in account names an organisation difacto does not know");
        let shown: String = claimed.chars().take(MAX_ERROR).collect();
        return refusal(
            StatusCode::FORBIDDEN,
            "Your organisation is not in difacto",
            &format!("Your account names the organisation {shown}, which difacto does not know."),
        );
    };
    let subject = format!("oidc:{}", identity.subject);
    let ttl = std::time::Duration::from_secs(SESSION_HOURS * 3600);
    match issuer.mint(&subject, &org, &roles, ttl) {
        Ok(token) => {
            let names: Vec<&str> = roles.iter().map(|r| role_name(*r)).collect();
            tracing::info!(org = %org, roles = %names.join(", "), "signed in to the web app through OpenID Connect");
            let jar = Pending::remove(session::start(&gw, &headers, Some(token)));
            (jar, Redirect::to("/")).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not mint a session token");
            (cleared, unavailable(oidc)).into_response()
        }
    }
}
