//! `/commissioning?area=CODE`: the commissioner's question "which partners did I
//! commission, and did they deliver?" (DESIGN.md §1, §5 `commissioning`): each commission
//! with sessions promised against scheduled, held and cancelled, places booked and who
//! came (under disclosure control, as the API prints it).

use askama::Template;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Counted, Org, Shown};
use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::form::{self, Problems};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::{self, QueryError};
use crate::web::session::Visitor;

const QUERY: &str = r#"
query Commissioning($area: String) {
  commissioning(area: $area) {
    area { code name }
    onDate
    totals { ...Delivered }
    commissions(first: 200) {
      totalCount
      nodes { partner { code name } commissioner { code name } area { code name } startsOn endsOn status delivery { ...Delivered } }
    }
  }
}
fragment Delivered on Delivery {
  sessionsPromised sessionsScheduled sessionsHeld sessionsToCome sessionsCancelled seatsBooked attended { display } percentDelivered
}"#;

#[derive(Debug, Deserialize)]
struct Answer {
    commissioning: Commissioning,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Commissioning {
    area: Org,
    on_date: String,
    totals: Delivery,
    commissions: Counted<Commission>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Commission {
    partner: Org,
    commissioner: Org,
    area: Org,
    starts_on: String,
    ends_on: String,
    status: String,
    delivery: Delivery,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    sessions_promised: u64,
    sessions_scheduled: u64,
    sessions_held: u64,
    sessions_to_come: u64,
    sessions_cancelled: u64,
    seats_booked: u64,
    attended: Shown,
    percent_delivered: f64,
}

#[derive(Debug)]
struct Row {
    partner: String,
    commissioner: String,
    area: String,
    period: String,
    status: (&'static str, &'static str),
    d: Delivery,
    delivered: String,
}

#[derive(Template)]
#[template(path = "commissioning.html")]
struct Page {
    layout: Layout,
    area: String,
    problems: Problems,
    view: Option<View>,
}

#[derive(Debug)]
struct View {
    area: String,
    on_date: String,
    totals: Delivery,
    delivered: String,
    rows: Vec<Row>,
    total: usize,
    export: String,
}

fn label(org: &Org) -> String {
    format!("{} ({})", org.name, org.code)
}

/// A commission's state as a tag: words and a colour.
fn status(status: &str) -> (&'static str, &'static str) {
    match status {
        "UPCOMING" => ("Not started", "nhsuk-tag--grey"),
        "RUNNING" => ("Running", "nhsuk-tag--blue"),
        "FINISHED" => ("Finished", "nhsuk-tag--green"),
        _ => ("Ended early", "nhsuk-tag--orange"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AreaQuery {
    area: Option<String>,
}

pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    query: Result<Query<AreaQuery>, QueryRejection>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/commissioning");
    let typed = form::code(query.ok().and_then(|Query(q)| q.area).as_deref());
    let answer: Result<Answer, QueryError> = query::run(
        &gw.schema,
        &visitor.auth,
        QUERY,
        serde_json::json!({ "area": (!typed.is_empty()).then_some(typed.as_str()) }),
    )
    .await;
    let c = match answer {
        Ok(a) => a.commissioning,
        Err(e) if e.is_about_input() => {
            let problems = Problems::from_error(&e, &[("area", "area")], "area");
            let page = Page {
                layout,
                area: typed,
                problems,
                view: None,
            };
            return (StatusCode::BAD_REQUEST, html(&page)).into_response();
        }
        Err(other) => return super::query_failed(layout, &other),
    };
    let view = View {
        area: label(&c.area),
        on_date: c.on_date,
        delivered: format!("{:.0}%", c.totals.percent_delivered),
        totals: c.totals,
        total: c.commissions.total_count,
        export: format!("/export/commissioning.csv?area={}", encode(&c.area.code)),
        rows: c
            .commissions
            .nodes
            .into_iter()
            .map(|n| Row {
                partner: label(&n.partner),
                commissioner: label(&n.commissioner),
                area: label(&n.area),
                period: format!("{} to {}", n.starts_on, n.ends_on),
                status: status(&n.status),
                delivered: format!("{:.0}%", n.delivery.percent_delivered),
                d: n.delivery,
            })
            .collect(),
    };
    html(&Page {
        layout,
        area: typed,
        problems: Problems::default(),
        view: Some(view),
    })
}
