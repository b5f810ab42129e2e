//! `/host-practices`: the partner's question "which practices host me?" (DESIGN.md §1,
//! §5 `hostPractices`): each practice asked to host, with how many sessions it confirmed,
//! has still to answer and declined, and its next session.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::Org;
use super::sessions::when;
use crate::http::Gateway;
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::session::Visitor;

const QUERY: &str = r#"
{ hostPractices { practice { code name } confirmed pending declined nextSession } }"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    host_practices: Vec<Host>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Host {
    practice: Org,
    confirmed: u64,
    pending: u64,
    declined: u64,
    next_session: Option<String>,
}

#[derive(Debug)]
struct Row {
    practice: String,
    confirmed: u64,
    pending: u64,
    declined: u64,
    next: String,
}

#[derive(Template)]
#[template(path = "host_practices.html")]
struct Page {
    layout: Layout,
    rows: Vec<Row>,
}

pub async fn page(State(gw): State<Gateway>, Extension(visitor): Extension<Visitor>) -> Response {
    let layout = Layout::new(&gw, &visitor, "/host-practices");
    let answer: Answer =
        match super::ask(&gw, &visitor, &layout, QUERY, serde_json::json!({})).await {
            Ok(a) => a,
            Err(failed) => return failed,
        };
    let rows = answer
        .host_practices
        .into_iter()
        .map(|h| Row {
            practice: format!("{} ({})", h.practice.name, h.practice.code),
            confirmed: h.confirmed,
            pending: h.pending,
            declined: h.declined,
            next: match h.next_session {
                Some(at) => when(Some(&at)),
                None => "none to come".into(),
            },
        })
        .collect();
    html(&Page { layout, rows })
}
