//! The pages, one file each. Each reads through [`super::query`] as the visitor and
//! renders a template of `gateway/templates/`.

pub mod commissioning;
pub mod heatmap;
pub mod home;
pub mod host_practices;
pub mod inbox;
pub mod responsibility;
pub mod rollout;
pub mod service_status;
pub mod session;
pub mod sessions;
pub mod signin;
pub mod staff;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::html;
use super::layout::Layout;
use super::query::QueryError;

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    layout: Layout,
    heading: &'a str,
    body: &'a str,
    link: Option<(&'a str, &'a str)>,
}

/// A page that only says something (an error, a refusal).
pub fn message(heading: &str, body: &str) -> Response {
    html(&Message {
        layout: Layout::bare(),
        heading,
        body,
        link: None,
    })
}

/// What a visitor sees when a page's query gives no answer.
pub fn query_failed(layout: Layout, error: &QueryError) -> Response {
    let (status, heading, link) = match error {
        QueryError::Unauthenticated(_) => (
            StatusCode::UNAUTHORIZED,
            "Sign in to see this page",
            Some(("/signin", "Sign in")),
        ),
        QueryError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            "You cannot see this page",
            Some(("/", "Go to the home page")),
        ),
        QueryError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found", None),
        QueryError::BadInput { .. } => (StatusCode::BAD_REQUEST, "There is a problem", None),
        QueryError::Conflict { .. } => (StatusCode::CONFLICT, "There is a problem", None),
        QueryError::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem with difacto",
            None,
        ),
    };
    (
        status,
        html(&Message {
            layout,
            heading,
            body: error.message(),
            link,
        }),
    )
        .into_response()
}
