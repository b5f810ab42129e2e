//! `/rollout?programme=CODE&within=CODE`: the national training lead's question (DESIGN.md
//! §1, §5 `trainingRollout`): how far a programme has rolled out in an area, one level down
//! at a time (region → ICB → PCN → practice), against its target and the straight line to
//! it, week by week, and which practices have no trained reception staff. The programme
//! defaults to the first, the area to the caller's own.

use askama::Template;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Counted, Nodes, Org};
use crate::http::Gateway;
use crate::web::chart::{self, Chart};
use crate::web::export::encode;
use crate::web::form::{self, Problems};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::{self, QueryError};
use crate::web::session::Visitor;

/// What to choose from, and the kind of the area, which sets the level below it.
const CHOICES: &str = r#"
query RolloutChoices($within: String!) {
  programmes(first: 100) { nodes { code title } }
  organisation(code: $within) { code kind }
}"#;

const ROLLOUT: &str = r#"
query Rollout($programme: String!, $groupBy: AreaLevel!, $within: String) {
  trainingRollout(programme: $programme, groupBy: $groupBy, within: $within) {
    programme { code title targetPercent deadline }
    within { code name }
    onDate
    totals { ...Figures }
    weekly { weekStarting staffInPost trained percentTrained expectedPercent }
    groups(first: 100) { totalCount nodes { area { code name kind } figures { ...Figures } } }
    practicesWithoutTrainedReception(first: 100) { totalCount nodes { code name } }
  }
}
fragment Figures on RolloutFigures {
  practices staffInPost trained percentTrained practicesWithoutDenominator
  targetPercent deadline expectedPercent onTrack practicesWithoutTrainedReception
}"#;

#[derive(Debug, Deserialize)]
struct Choices {
    programmes: Nodes<Programme>,
    organisation: Kinded,
}

#[derive(Debug, Clone, Deserialize)]
struct Programme {
    code: String,
    title: String,
}

#[derive(Debug, Deserialize)]
struct Kinded {
    code: String,
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    training_rollout: Rollout,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rollout {
    programme: Launched,
    within: Org,
    on_date: String,
    totals: Figures,
    weekly: Vec<Week>,
    groups: Counted<Group>,
    practices_without_trained_reception: Counted<Org>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Launched {
    code: String,
    title: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Figures {
    practices: u64,
    staff_in_post: u64,
    trained: u64,
    percent_trained: Option<f64>,
    practices_without_denominator: u64,
    target_percent: u32,
    deadline: Option<String>,
    expected_percent: f64,
    on_track: bool,
    practices_without_trained_reception: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Week {
    week_starting: String,
    staff_in_post: u64,
    trained: u64,
    percent_trained: Option<f64>,
    expected_percent: f64,
}

#[derive(Debug, Deserialize)]
struct Group {
    area: Org,
    figures: Figures,
}

// What the template shows.

/// A percentage in words: one decimal, or why there is none.
fn percent(p: Option<f64>) -> String {
    match p {
        Some(p) => format!("{p:.1}%"),
        None => "not known".into(),
    }
}

#[derive(Debug)]
struct Row {
    name: String,
    code: String,
    /// The same page one level down; none for a practice, the bottom of the tree.
    drill: Option<String>,
    practices: u64,
    staff_in_post: u64,
    trained: u64,
    percent_trained: String,
    expected: String,
    on_track: bool,
    /// Practices with staff in post unreported: the percentage leaves them out.
    without_denominator: u64,
    without_reception: u64,
}

#[derive(Debug)]
struct WeekRow {
    week: String,
    staff_in_post: u64,
    trained: u64,
    percent_trained: String,
    expected: String,
}

#[derive(Debug)]
struct View {
    title: String,
    area: String,
    on_date: String,
    level_word: &'static str,
    totals: Row,
    target: String,
    rows: Vec<Row>,
    rows_total: usize,
    weeks: Vec<WeekRow>,
    chart: Option<Chart>,
    chart_summary: String,
    without: Vec<Org>,
    without_total: usize,
    export_groups: String,
    export_weekly: String,
    export_without: String,
}

#[derive(Template)]
#[template(path = "rollout.html")]
struct Page {
    layout: Layout,
    /// The programmes to choose from: (code, "title (code)").
    programmes: Vec<(String, String)>,
    programme: String,
    within: String,
    problems: Problems,
    view: Option<View>,
}

/// The level one below an area of `kind`: the rows of its table.
fn level_below(kind: Option<&str>) -> &'static str {
    match kind {
        Some("NATIONAL") => "REGION",
        Some("REGION") => "ICB",
        Some("ICB" | "SUB_ICB") => "PCN",
        _ => "PRACTICE",
    }
}

fn level_word(level: &str) -> &'static str {
    match level {
        "REGION" => "Region",
        "ICB" => "ICB",
        "PCN" => "PCN",
        _ => "Practice",
    }
}

fn row(area: &Org, f: &Figures, programme: &str) -> Row {
    Row {
        name: area.name.clone(),
        code: area.code.clone(),
        drill: match area.kind.as_deref() {
            Some("PRACTICE") | None => None,
            Some(_) => Some(format!(
                "/rollout?programme={}&within={}",
                encode(programme),
                encode(&area.code)
            )),
        },
        practices: f.practices,
        staff_in_post: f.staff_in_post,
        trained: f.trained,
        percent_trained: percent(f.percent_trained),
        expected: format!("{:.1}%", f.expected_percent),
        on_track: f.on_track,
        without_denominator: f.practices_without_denominator,
        without_reception: f.practices_without_trained_reception,
    }
}

fn view(r: Rollout, group_by: &str) -> View {
    let code = r.programme.code.clone();
    let filters = format!(
        "programme={}&groupBy={group_by}&within={}",
        encode(&code),
        encode(&r.within.code)
    );
    let labels: Vec<String> = r.weekly.iter().map(|w| w.week_starting.clone()).collect();
    let chart = (!r.weekly.is_empty()).then(|| {
        chart::percent_over_time(
            &labels,
            &[
                chart::Series {
                    name: "Expected (straight line to the target)".into(),
                    values: r.weekly.iter().map(|w| Some(w.expected_percent)).collect(),
                },
                chart::Series {
                    name: "Trained".into(),
                    values: r.weekly.iter().map(|w| w.percent_trained).collect(),
                },
            ],
        )
    });
    let chart_summary = match r.weekly.last() {
        Some(last) => format!(
            "Share of staff trained each week from {} to {}, against the straight line to the target: {} trained in the week of {}, {:.1}% expected.",
            labels.first().cloned().unwrap_or_default(),
            last.week_starting,
            percent(last.percent_trained),
            last.week_starting,
            last.expected_percent
        ),
        None => String::new(),
    };
    let t = &r.totals;
    View {
        title: format!("{} ({})", r.programme.title, code),
        area: r.within.label(),
        on_date: r.on_date,
        level_word: level_word(group_by),
        target: match &t.deadline {
            Some(d) => format!("{}% by {d}", t.target_percent),
            None => format!("{}%", t.target_percent),
        },
        totals: row(&r.within, t, &code),
        rows: r
            .groups
            .nodes
            .iter()
            .map(|g| row(&g.area, &g.figures, &code))
            .collect(),
        rows_total: r.groups.total_count,
        weeks: r
            .weekly
            .iter()
            .map(|w| WeekRow {
                week: w.week_starting.clone(),
                staff_in_post: w.staff_in_post,
                trained: w.trained,
                percent_trained: percent(w.percent_trained),
                expected: format!("{:.1}%", w.expected_percent),
            })
            .collect(),
        chart,
        chart_summary,
        without_total: r.practices_without_trained_reception.total_count,
        without: r.practices_without_trained_reception.nodes,
        export_groups: format!("/export/trainingRollout.csv?{filters}"),
        export_weekly: format!("/export/trainingRollout.weekly.csv?{filters}"),
        export_without: format!(
            "/export/trainingRollout.practicesWithoutTrainedReception.csv?{filters}"
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RolloutQuery {
    programme: Option<String>,
    within: Option<String>,
}

/// The API's argument names and the inputs they are typed in.
const FIELDS: [(&str, &str); 3] = [
    ("programme", "programme"),
    ("within", "within"),
    ("code", "within"),
];

pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    query: Result<Query<RolloutQuery>, QueryRejection>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/rollout");
    let asked = query.map(|Query(q)| q).unwrap_or_default();
    let within = form::code(asked.within.as_deref());
    let programme = asked.programme.unwrap_or_default().trim().to_owned();
    if visitor.caller().is_none() {
        return super::query_failed(
            layout,
            &QueryError::Unauthenticated("Sign in to see the training rollout".into()),
        );
    }
    let area = visitor.area_or_own(&within);
    let page = |programmes: Vec<Programme>, problems, view| Page {
        layout: layout.clone(),
        programmes: programmes
            .into_iter()
            .map(|p| {
                let text = format!("{} ({})", p.title, p.code);
                (p.code, text)
            })
            .collect(),
        programme: programme.clone(),
        within: within.clone(),
        problems,
        view,
    };
    let choices: Choices = match query::run(
        &gw.schema,
        &visitor.auth,
        CHOICES,
        serde_json::json!({ "within": area }),
    )
    .await
    {
        Ok(c) => c,
        Err(e) if e.is_about_input() => {
            let problems = Problems::from_error(&e, &FIELDS, "within");
            return (
                StatusCode::BAD_REQUEST,
                html(&page(Vec::new(), problems, None)),
            )
                .into_response();
        }
        Err(other) => return super::query_failed(layout.clone(), &other),
    };
    let programmes = choices.programmes.nodes;
    let first = programmes.first().map(|p| p.code.clone());
    let chosen = if programme.is_empty() {
        match first {
            Some(code) => code,
            None => {
                let mut problems = Problems::default();
                problems.add("programme", "No training programme has been launched yet");
                return html(&page(programmes, problems, None));
            }
        }
    } else {
        programme.clone()
    };
    let group_by = level_below(choices.organisation.kind.as_deref());
    let answer: Result<Answer, QueryError> = query::run(
        &gw.schema,
        &visitor.auth,
        ROLLOUT,
        serde_json::json!({
            "programme": chosen,
            "groupBy": group_by,
            "within": choices.organisation.code,
        }),
    )
    .await;
    match answer {
        Ok(a) => {
            let view = view(a.training_rollout, group_by);
            let mut page = page(programmes, Problems::default(), Some(view));
            page.programme = chosen;
            html(&page)
        }
        Err(e) if e.is_about_input() => {
            let problems = Problems::from_error(&e, &FIELDS, "programme");
            (
                StatusCode::BAD_REQUEST,
                html(&page(programmes, problems, None)),
            )
                .into_response()
        }
        Err(other) => super::query_failed(layout.clone(), &other),
    }
}
