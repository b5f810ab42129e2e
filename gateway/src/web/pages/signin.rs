//! Signing in and out (DESIGN.md §10). In development the form names an organisation and
//! a role and difacto mints the token `difacto token` would; the session then carries
//! that token, so the visitor is the very caller a bearer token makes.

use askama::Template;
use auth::Role;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use proto::v1::OrganisationKind as Kind;
use serde::Deserialize;

use crate::http::Gateway;
use crate::web::config::{SESSION_HOURS, SignIn};
use crate::web::form::{self, CheckedForm};
use crate::web::html;
use crate::web::layout::{Layout, role_name};
use crate::web::session::{self, Visitor};

/// The most organisations a search lists: enough to find one, small enough to read.
const MAX_MATCHES: usize = 50;
/// The longest search or code read from a form; more is not a name.
const MAX_INPUT: usize = 100;

#[derive(Debug)]
struct Match {
    code: String,
    name: String,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    layout: Layout,
    development: bool,
    /// What the "Sign in with …" button names, when an OpenID Connect issuer is set.
    oidc_name: Option<String>,
    search: String,
    matches: Vec<Match>,
    matches_caption: String,
    org: String,
    roles: Vec<RoleOption>,
    /// `(field id, message)`, in the order of the form.
    errors: Vec<(&'static str, String)>,
    org_error: Option<String>,
    role_error: Option<String>,
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::NationalBody => "NHS England",
        Kind::Region => "Region",
        Kind::Icb => "ICB",
        Kind::SubIcb => "Sub-ICB location",
        Kind::Pcn => "PCN",
        Kind::Practice => "Practice",
        Kind::Partner => "Partner",
        Kind::Provider => "Platform provider",
        Kind::Unspecified => "Organisation",
    }
}

/// Organisations whose code or name contains `search`; without one, those above the
/// practices, where most people who sign in to look at a map work.
fn matches(gw: &Gateway, search: &str) -> Vec<Match> {
    let search = search.to_lowercase();
    let live = gw.projection.live();
    let date = live.date();
    live.read(|model| {
        let index = model.tree.index();
        index
            .all_of(None)
            .filter_map(|id| model.tree.get(index.code(id)))
            .filter(|org| org.is_active_on(date))
            .filter(|org| {
                if search.is_empty() {
                    matches!(
                        org.kind,
                        Kind::NationalBody
                            | Kind::Region
                            | Kind::Icb
                            | Kind::Partner
                            | Kind::Provider
                    )
                } else {
                    org.code.to_lowercase().contains(&search)
                        || org.name.to_lowercase().contains(&search)
                }
            })
            .take(MAX_MATCHES)
            .map(|org| Match {
                code: org.code.clone(),
                name: org.name.clone(),
                kind: kind_word(org.kind),
            })
            .collect()
    })
}

#[derive(Debug)]
struct RoleOption {
    value: &'static str,
    name: &'static str,
    selected: bool,
}

/// The roles a person signs in as (`service` is for programs), `chosen` selected.
fn roles(chosen: &str) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Service)
        .map(|r| RoleOption {
            value: r.as_str(),
            name: role_name(r),
            selected: r.as_str() == chosen,
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    search: Option<String>,
}

fn bounded(text: Option<&str>) -> String {
    text.unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_INPUT)
        .collect()
}

fn render(gw: &Gateway, visitor: &Visitor, search: String, form: Filled) -> Response {
    let matches = matches(gw, &search);
    let matches_caption = if search.is_empty() {
        "NHS England, regions, ICBs, partners and providers".to_owned()
    } else if matches.len() == MAX_MATCHES {
        format!("The first {MAX_MATCHES} organisations matching “{search}”")
    } else {
        format!("Organisations matching “{search}”")
    };
    let mut errors = Vec::new();
    if let Some(e) = &form.org_error {
        errors.push(("org", e.clone()));
    }
    if let Some(e) = &form.role_error {
        errors.push(("role", e.clone()));
    }
    html(&SignInPage {
        layout: Layout::new(gw, visitor, "/signin"),
        development: matches!(gw.web.sign_in, SignIn::Development(_)),
        oidc_name: gw.web.oidc().map(|oidc| oidc.name().to_owned()),
        search,
        matches,
        matches_caption,
        roles: roles(&form.role),
        org: form.org,
        errors,
        org_error: form.org_error,
        role_error: form.role_error,
    })
}

/// What the form held, and what was wrong with it.
#[derive(Debug, Default)]
struct Filled {
    org: String,
    role: String,
    org_error: Option<String>,
    role_error: Option<String>,
}

/// `GET /signin`.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(query): Query<SearchQuery>,
) -> Response {
    let search = bounded(query.search.as_deref());
    render(&gw, &visitor, search, Filled::default())
}

/// `POST /signin/dev`: fields `org` and `role` (and the form's `csrf`).
pub async fn development(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let SignIn::Development(issuer) = &gw.web.sign_in else {
        return (
            StatusCode::NOT_FOUND,
            super::message(
                "Development sign-in is off",
                "This difacto signs people in through its identity provider.",
            ),
        )
            .into_response();
    };
    let mut filled = Filled {
        org: form::known_code(&gw, Some(typed.get("org"))),
        role: bounded(Some(typed.get("role"))),
        ..Filled::default()
    };
    let known = !filled.org.is_empty()
        && gw
            .projection
            .live()
            .read(|model| model.tree.get(&filled.org).is_some());
    if filled.org.is_empty() {
        filled.org_error = Some("Enter the code of your organisation".into());
    } else if !known {
        filled.org_error = Some(format!(
            "No organisation has the code {}: search for it above",
            filled.org
        ));
    }
    let role = filled
        .role
        .parse::<Role>()
        .ok()
        .filter(|r| *r != Role::Service);
    if role.is_none() {
        filled.role_error = Some("Choose the role you act in".into());
    }
    let (Some(role), None) = (role, &filled.org_error) else {
        let response = render(&gw, &visitor, String::new(), filled);
        return (StatusCode::BAD_REQUEST, response).into_response();
    };
    let subject = format!("web:{}:{}", filled.org, role.as_str());
    let ttl = std::time::Duration::from_secs(SESSION_HOURS * 3600);
    match issuer.mint(&subject, &filled.org, &[role], ttl) {
        Ok(token) => {
            tracing::info!(org = %filled.org, role = role.as_str(), "signed in to the web app");
            let jar = session::start(&gw, &headers, Some(token));
            (jar, Redirect::to("/")).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not mint a development token");
            super::message(
                "Sorry, you could not be signed in",
                "The error has been logged.",
            )
        }
    }
}

/// `POST /signout`: a new session, signed out. The form carries nothing but its CSRF
/// token, which [`CheckedForm`] has checked. Signed in through an OpenID Connect issuer
/// that has an `end_session_endpoint`, the visitor is sent there to end the provider's
/// session too (RP-initiated logout), and comes back to `/`.
pub async fn sign_out(State(gw): State<Gateway>, headers: HeaderMap, _: CheckedForm) -> Response {
    let jar = session::start(&gw, &headers, None);
    let next = match gw.web.oidc() {
        Some(oidc) => oidc.end_session_url().await.map(|url| url.to_string()),
        None => None,
    };
    (jar, Redirect::to(next.as_deref().unwrap_or("/"))).into_response()
}
