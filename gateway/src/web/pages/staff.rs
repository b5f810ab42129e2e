//! `/staff`: the practice's staff in post and their training (DESIGN.md §1 practice
//! manager, §5 `trainingRollout`): for each programme, by staff role, the people in
//! post the practice reported, those enrolled and those who completed it.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::form::words;
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::{self, QueryError};
use crate::web::session::Visitor;

const PROGRAMMES: &str = "{ programmes(first: 100) { nodes { code title } } }";

const ROLLOUT: &str = r#"
query Staff($programme: String!, $within: String!) {
  trainingRollout(programme: $programme, groupBy: PRACTICE, within: $within) {
    totals { staffInPost trained percentTrained byRole { role enrolled completed staffInPost } }
  }
}"#;

#[derive(Debug, Deserialize)]
struct Programmes {
    programmes: Nodes,
}

#[derive(Debug, Deserialize)]
struct Nodes {
    nodes: Vec<Programme>,
}

#[derive(Debug, Deserialize)]
struct Programme {
    code: String,
    title: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    training_rollout: Rollout,
}

#[derive(Debug, Deserialize)]
struct Rollout {
    totals: Totals,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    staff_in_post: u64,
    trained: u64,
    percent_trained: Option<f64>,
    by_role: Vec<Role>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Role {
    role: Option<String>,
    enrolled: u64,
    completed: u64,
    staff_in_post: u64,
}

#[derive(Debug)]
struct Table {
    title: String,
    export: String,
    summary: String,
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    role: String,
    staff_in_post: u64,
    enrolled: u64,
    completed: u64,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct Page {
    layout: Layout,
    tables: Vec<Table>,
}

pub async fn page(State(gw): State<Gateway>, Extension(visitor): Extension<Visitor>) -> Response {
    let layout = Layout::new(&gw, &visitor, "/staff");
    let Some(caller) = visitor.caller() else {
        return super::query_failed(
            layout,
            &QueryError::Unauthenticated("Sign in to see your staff".into()),
        );
    };
    let own = caller.principal.organisation.clone();
    let programmes: Programmes =
        match query::run(&gw.schema, &visitor.auth, PROGRAMMES, serde_json::json!({})).await {
            Ok(p) => p,
            Err(e) => return super::query_failed(layout, &e),
        };
    let mut tables = Vec::new();
    // One question per programme: a practice follows a handful.
    for p in programmes.programmes.nodes {
        let answer: Answer = match query::run(
            &gw.schema,
            &visitor.auth,
            ROLLOUT,
            serde_json::json!({ "programme": &p.code, "within": own }),
        )
        .await
        {
            Ok(a) => a,
            Err(e) => return super::query_failed(layout, &e),
        };
        let t = answer.training_rollout.totals;
        tables.push(Table {
            title: format!("{} ({})", p.title, p.code),
            export: format!(
                "/export/trainingRollout.totals.byRole.csv?programme={}&groupBy=PRACTICE&within={}",
                encode(&p.code),
                encode(&own)
            ),
            summary: match t.percent_trained {
                Some(pc) => format!(
                    "{} of {} staff in post in its audience trained ({pc:.1}%).",
                    t.trained, t.staff_in_post
                ),
                None => "No staff in post reported in its audience roles.".into(),
            },
            rows: t
                .by_role
                .into_iter()
                .map(|r| Row {
                    role: words(r.role.as_deref().unwrap_or("OTHER")),
                    staff_in_post: r.staff_in_post,
                    enrolled: r.enrolled,
                    completed: r.completed,
                })
                .collect(),
        });
    }
    html(&Page { layout, tables })
}
