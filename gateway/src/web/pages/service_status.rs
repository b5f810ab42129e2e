//! `/service-status?within=CODE`: the commissioner's question "which practices have
//! switched a digital service off, and why?" (DESIGN.md §1, §5 `serviceStatus`): each
//! practice and service paused or withdrawn, since when, and the practice's reason.

use askama::Template;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Counted, Org};
use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::form::{self, Problems};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::{self, QueryError};
use crate::web::session::Visitor;

const QUERY: &str = r#"
query ServiceStatus($within: String) {
  serviceStatus(within: $within, first: 200) {
    totalCount
    nodes { practice { code name } service status reason reasonKind effectiveDate }
  }
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    service_status: Counted<Status>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    practice: Org,
    service: Option<String>,
    status: Option<String>,
    reason: String,
    reason_kind: Option<String>,
    effective_date: Option<String>,
}

#[derive(Debug)]
struct Row {
    practice: String,
    service: String,
    status: (&'static str, &'static str),
    why: String,
    since: String,
}

#[derive(Template)]
#[template(path = "service_status.html")]
struct Page {
    layout: Layout,
    within: String,
    problems: Problems,
    rows: Vec<Row>,
    total: usize,
    export: String,
}

/// An API enum value in words: `ONLINE_PRESCRIPTIONS` is "Online prescriptions".
fn words(value: Option<&str>) -> String {
    let lower = value
        .unwrap_or("not given")
        .replace('_', " ")
        .to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn status(status: Option<&str>) -> (&'static str, &'static str) {
    match status {
        Some("OFFERED") => ("Offered", "nhsuk-tag--green"),
        Some("PAUSED") => ("Paused", "nhsuk-tag--yellow"),
        _ => ("Withdrawn", "nhsuk-tag--red"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WithinQuery {
    within: Option<String>,
}

pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    query: Result<Query<WithinQuery>, QueryRejection>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/service-status");
    let within = form::code(query.ok().and_then(|Query(q)| q.within).as_deref());
    let answer: Result<Answer, QueryError> = query::run(
        &gw.schema,
        &visitor.auth,
        QUERY,
        serde_json::json!({ "within": (!within.is_empty()).then_some(within.as_str()) }),
    )
    .await;
    let mut export = String::from("/export/serviceStatus.csv");
    if !within.is_empty() {
        export.push_str(&format!("?within={}", encode(&within)));
    }
    let (status_code, problems, rows, total) = match answer {
        Ok(a) => (
            StatusCode::OK,
            Problems::default(),
            a.service_status
                .nodes
                .iter()
                .map(|s| Row {
                    practice: format!("{} ({})", s.practice.name, s.practice.code),
                    service: words(s.service.as_deref()),
                    status: status(s.status.as_deref()),
                    why: match (s.reason_kind.as_deref(), s.reason.is_empty()) {
                        (kind, true) => words(kind),
                        (kind, false) => format!("{}: {}", words(kind), s.reason),
                    },
                    since: s.effective_date.clone().unwrap_or_default(),
                })
                .collect(),
            a.service_status.total_count,
        ),
        Err(e) if e.is_about_input() => (
            StatusCode::BAD_REQUEST,
            Problems::from_error(&e, &[("within", "within")], "within"),
            Vec::new(),
            0,
        ),
        Err(other) => return super::query_failed(layout, &other),
    };
    let page = Page {
        layout,
        within,
        problems,
        rows,
        total,
        export,
    };
    (status_code, html(&page)).into_response()
}
