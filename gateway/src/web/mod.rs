//! The web app of DESIGN.md §10: server-rendered pages in the NHS.UK design system on
//! the same schema as the API, signing in, CSV exports, GraphiQL, and the files they load.
//!
//! `assets` serves the embedded files and `graphiql` the GraphiQL page; `config` says how
//! people sign in and `oidc` is signing in through an OpenID Connect issuer; `session`
//! keeps who is signed in and `csrf` guards every form (through `form::CheckedForm`, the
//! extractor of every POST);
//! `query` runs a page's GraphQL document as its visitor; `form` reads forms and puts
//! the API's errors next to their fields; `chart` lays out SVG charts; `layout` is every page's frame,
//! `pages/` the pages (one file each), `flags` the coverage flags in words and colours,
//! `export` the CSV downloads.

pub mod assets;
pub mod chart;
pub mod config;
pub mod csrf;
pub mod export;
pub mod flags;
pub mod form;
pub mod graphiql;
pub mod layout;
pub mod oidc;
pub mod pages;
pub mod query;
pub mod session;

pub use config::WebConfig;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::http::Gateway;

/// The web app's routes, each behind the session layer.
pub fn routes(gw: &Gateway) -> Router<Gateway> {
    Router::new()
        .route("/", get(pages::home::page))
        .route("/signin", get(pages::signin::page))
        .route("/signin/dev", post(pages::signin::development))
        .route("/signin/oidc", get(pages::oidc::start))
        .route("/signin/callback", get(pages::oidc::callback))
        .route("/signout", post(pages::signin::sign_out))
        .route("/responsibility", get(pages::responsibility::page))
        .route("/responsibility/{area}", get(pages::unit::page))
        .route(
            "/responsibility/assignments/{id}",
            get(pages::unit::history),
        )
        .route("/rollout", get(pages::rollout::page))
        .route("/heatmap", get(pages::heatmap::page))
        .route("/sessions", get(pages::sessions::page))
        .route("/sessions/{id}", get(pages::session::page))
        .route("/sessions/{id}/book", post(pages::session::book))
        .route("/sessions/{id}/cancel", post(pages::session::cancel))
        .route(
            "/sessions/{id}/attendance",
            post(pages::session::attendance),
        )
        .route("/host-practices", get(pages::host_practices::page))
        .route("/commissioning", get(pages::commissioning::page))
        .route("/service-status", get(pages::service_status::page))
        .route("/staff", get(pages::staff::page))
        .route("/staff/in-post", post(pages::staff::in_post))
        .route("/staff/enrol", post(pages::staff::enrol))
        .route("/staff/complete", post(pages::staff::complete))
        .route("/inbox", get(pages::inbox::page))
        .route("/inbox/accept", post(pages::inbox::accept))
        .route("/inbox/decline", post(pages::inbox::decline))
        .route("/inbox/host", post(pages::inbox::host))
        .route("/inbox/not-host", post(pages::inbox::not_host))
        .route(
            "/facilitation",
            get(pages::facilitation::page).post(pages::facilitation::record),
        )
        .route(
            "/usability",
            get(pages::usability::page).post(pages::usability::report),
        )
        .route("/provider/issues", get(pages::provider::issues))
        .route(
            "/provider/issues/acknowledge",
            post(pages::provider::acknowledge),
        )
        .route("/provider/issues/resolve", post(pages::provider::resolve))
        .route(
            "/provider/changes",
            get(pages::provider::changes).post(pages::provider::announce),
        )
        .route(
            "/provider/materials",
            get(pages::provider::materials).post(pages::provider::publish_material),
        )
        .route("/export/{file}", get(export::download))
        .route_layer(axum::middleware::from_fn_with_state(
            gw.clone(),
            session::sessions,
        ))
        // A page's tables compress tenfold; its CSRF token is masked afresh on every
        // page (`csrf::masked`), so compressing it beside what a visitor typed tells
        // nothing about the token (BREACH).
        .layer(tower_http::compression::CompressionLayer::new())
}
/// What a page may load: its own origin only (NHS networks reach no other, and DESIGN.md
/// §10 allows none), no inline script. Inline styles stay allowed for GraphiQL's editor;
/// `data:` images are what GraphiQL's CSS embeds (its embedded fonts are removed by
/// `web/vendor.sh`).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a page with the headers every page carries. A template that fails to render
/// is a bug, answered with a 500 rather than a panic.
pub fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = Html(body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Err(err) => {
            tracing::error!(error = %err, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response()
        }
    }
}
