//! The pages, one file each. Each reads through [`super::query`] as the visitor and
//! renders a template of `gateway/templates/`.

pub mod commissioning;
pub mod facilitation;
pub mod heatmap;
pub mod home;
pub mod host_practices;
pub mod inbox;
pub mod oidc;
pub mod provider;
pub mod responsibility;
pub mod rollout;
pub mod service_status;
pub mod session;
pub mod sessions;
pub mod signin;
pub mod staff;
pub mod unit;
pub mod usability;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use auth::Role;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::html;
use super::layout::Layout;
use super::query::{self, QueryError};
use super::session::Visitor;
use crate::http::Gateway;

/// An organisation as a page's query selects it: `{ code name }`, and `kind` where the
/// page needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct Org {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub kind: Option<String>,
}

impl Org {
    /// "Name (CODE)", or the code alone when the tree does not know its name.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.code.clone()
        } else {
            format!("{} ({})", self.name, self.code)
        }
    }
}

/// A count under disclosure control, as the API prints it: `{ display }`.
#[derive(Debug, Deserialize)]
pub struct Shown {
    pub display: String,
}

/// The nodes of a Relay connection: `{ nodes { … } }`.
#[derive(Debug, Deserialize)]
pub struct Nodes<T> {
    pub nodes: Vec<T>,
}

/// The first page of a Relay connection and how many there are in all:
/// `{ totalCount nodes { … } }`, for a table that says when it shows only the first.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counted<T> {
    pub total_count: usize,
    pub nodes: Vec<T>,
}

/// The `?done=` a form's redirect adds, saying what it did; each page puts it in words.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    /// The page's words for what its form did, from its table of `?done=` values; none
    /// for a value the page does not know.
    pub fn in_words(&self, words: &[(&str, &'static str)]) -> Option<&'static str> {
        let done = self.done.as_deref()?;
        words.iter().find(|(key, _)| *key == done).map(|(_, w)| *w)
    }
}

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

/// A page that says something and links to where to go next.
pub fn message_linked(heading: &str, body: &str, link: (&str, &str)) -> Response {
    html(&Message {
        layout: Layout::bare(),
        heading,
        body,
        link: Some(link),
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

/// Runs a page's `document` as the visitor: its answer, or, when there is none, what
/// the visitor sees instead ([`query_failed`]) in the frame of the page's `layout`.
pub async fn ask<T: DeserializeOwned>(
    gw: &Gateway,
    visitor: &Visitor,
    layout: &Layout,
    document: &str,
    variables: serde_json::Value,
) -> Result<T, Response> {
    query::run(&gw.schema, &visitor.auth, document, variables)
        .await
        .map_err(|error| query_failed(layout.clone(), &error))
}

/// The refusal of a page that is for `roles` only: a visitor not signed in is asked to
/// sign in (401), one signed in without any of the roles is told so (403). `None` lets
/// the page through. The API judges every read and write again; this only spares a
/// visitor a page of forms that are not theirs to send.
pub fn only_for(layout: &Layout, roles: &[Role], what: &str) -> Option<Response> {
    if layout.may(roles) {
        return None;
    }
    let error = if layout.who.is_none() {
        QueryError::Unauthenticated("Sign in to see this page.".into())
    } else {
        QueryError::Forbidden(format!(
            "{what} is for the {} of an organisation; your role cannot use it.",
            roles
                .iter()
                .map(|r| super::layout::role_name(*r).to_lowercase())
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    };
    Some(query_failed(layout.clone(), &error))
}
