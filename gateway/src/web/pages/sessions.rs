//! `/sessions`: the partner's question (DESIGN.md §1, §5 `sessions`): which community
//! sessions do I run, how full are they, who is waiting, who came. A partner sees the
//! sessions it runs; anyone else those run, hosted, funded or held in their area.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{Counted, Org, Shown};
use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::QueryError;
use crate::web::session::Visitor;

const QUERY: &str = r#"
query Sessions($within: String!) {
  sessions(within: $within, first: 200) {
    totalCount
    nodes {
      id title startsAt venueName venuePostcodeDistrict hostPractice { code name }
      capacity booked available waitlisted full cancelled
      attendance { attended { display } }
    }
  }
}"#;

#[derive(Debug, Deserialize)]
struct Answer {
    sessions: Counted<Session>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Session {
    id: String,
    title: String,
    starts_at: Option<String>,
    venue_name: String,
    venue_postcode_district: String,
    host_practice: Option<Org>,
    capacity: u32,
    booked: u32,
    available: u32,
    waitlisted: u32,
    full: bool,
    cancelled: bool,
    attendance: Option<Attendance>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Attendance {
    attended: Shown,
}

/// A session's state as a tag: words and a colour.
pub(super) fn status(cancelled: bool, full: bool) -> (&'static str, &'static str) {
    match (cancelled, full) {
        (true, _) => ("Cancelled", "nhsuk-tag--grey"),
        (false, true) => ("Full", "nhsuk-tag--orange"),
        (false, false) => ("Places free", "nhsuk-tag--green"),
    }
}

/// When, as people read it: `2026-04-14 10:00` (UTC, as the API gives it).
pub(super) fn when(at: Option<&str>) -> String {
    at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(
            || "not set".into(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
}

/// Where, as people read it: the host practice, or the venue and its district.
pub(super) fn place(host: Option<&Org>, venue: &str, district: &str) -> String {
    match host {
        Some(h) => format!("{} ({})", h.name, h.code),
        None if district.is_empty() => venue.to_owned(),
        None => format!("{venue}, {district}"),
    }
}

#[derive(Debug)]
struct Row {
    id: String,
    title: String,
    when: String,
    place: String,
    capacity: u32,
    booked: u32,
    available: u32,
    waitlisted: u32,
    attended: String,
    status: (&'static str, &'static str),
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct Page {
    layout: Layout,
    rows: Vec<Row>,
    total: usize,
    export: String,
}

pub async fn page(State(gw): State<Gateway>, Extension(visitor): Extension<Visitor>) -> Response {
    let layout = Layout::new(&gw, &visitor, "/sessions");
    let Some(caller) = visitor.caller() else {
        return super::query_failed(
            layout,
            &QueryError::Unauthenticated("Sign in to see your sessions".into()),
        );
    };
    let within = caller.principal.organisation.clone();
    let answer: Answer = match super::ask(
        &gw,
        &visitor,
        &layout,
        QUERY,
        serde_json::json!({ "within": within }),
    )
    .await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    let rows = answer
        .sessions
        .nodes
        .into_iter()
        .map(|s| Row {
            when: when(s.starts_at.as_deref()),
            place: place(
                s.host_practice.as_ref(),
                &s.venue_name,
                &s.venue_postcode_district,
            ),
            status: status(s.cancelled, s.full),
            attended: s
                .attendance
                .map_or_else(|| "not recorded".into(), |a| a.attended.display),
            id: s.id,
            title: s.title,
            capacity: s.capacity,
            booked: s.booked,
            available: s.available,
            waitlisted: s.waitlisted,
        })
        .collect();
    html(&Page {
        layout,
        rows,
        total: answer.sessions.total_count,
        export: format!("/export/sessions.csv?within={}", encode(&within)),
    })
}
