//! `/heatmap?area=CODE&groupBy=REGION|ICB`: the national and regional leads' heat map of
//! ownership (DESIGN.md §5 `responsibilityGaps`, its roll-up `byArea`): for each area of
//! the roll-up and each duty and level, the share of units of ownership that are covered,
//! as a colour band and in words and numbers, never colour alone.

use std::collections::BTreeMap;

use askama::Template;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Org;
use super::responsibility::{AreaEntry, Gaps, Titled, count_of, level_word};
use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::form::{self, Problems};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::query::{self, QueryError};
use crate::web::session::Visitor;

const QUERY: &str = r#"
query HeatMap($area: String!, $groupBy: AreaLevel) {
  responsibilityGaps(area: $area, groupBy: $groupBy) {
    area { code name }
    onDate
    coverage {
      duty { title }
      level
      byArea { area { code name kind } units counts { flag units } }
    }
  }
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    responsibility_gaps: Gaps<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    duty: Titled,
    level: String,
    by_area: Vec<AreaEntry>,
}

// What the template shows.

#[derive(Debug)]
struct Column {
    duty: String,
    level: &'static str,
}

/// One cell: the share covered, its band's class and its words.
#[derive(Debug, Clone)]
struct Cell {
    class: &'static str,
    text: String,
}

#[derive(Debug)]
struct Row {
    name: String,
    code: String,
    /// The same map one level down; none for an area that has no level below.
    drill: Option<String>,
    cells: Vec<Cell>,
}

#[derive(Debug)]
struct Map {
    area: String,
    on_date: String,
    columns: Vec<Column>,
    rows: Vec<Row>,
    export: String,
}

#[derive(Template)]
#[template(path = "heatmap.html")]
struct Page {
    layout: Layout,
    area: String,
    group_by: String,
    levels: Vec<(String, String)>,
    bands: Vec<(&'static str, &'static str)>,
    problems: Problems,
    map: Option<Map>,
}

/// The bands of the share covered, from none to all, each a class of `difacto.css` and
/// the words of the key.
const BANDS: [(&str, &str); 5] = [
    ("difacto-heat--0", "Under 25% covered"),
    ("difacto-heat--1", "25% to under 50%"),
    ("difacto-heat--2", "50% to under 75%"),
    ("difacto-heat--3", "75% to under 100%"),
    ("difacto-heat--4", "All covered"),
];

fn cell(entry: Option<&AreaEntry>) -> Cell {
    let Some(e) = entry.filter(|e| e.units > 0) else {
        return Cell {
            class: "difacto-heat--none",
            text: "no units".into(),
        };
    };
    let covered = count_of(&e.counts, "COVERED");
    let share = covered as f64 * 100.0 / e.units as f64;
    let band = if covered == e.units {
        4
    } else {
        ((share / 25.0).floor() as usize).min(3)
    };
    Cell {
        class: BANDS[band].0,
        text: format!("{share:.0}% covered ({covered} of {})", e.units),
    }
}

fn map(gaps: Gaps<Entry>, group_by: &str) -> Map {
    let columns = gaps
        .coverage
        .iter()
        .map(|e| Column {
            duty: e.duty.title.clone(),
            level: level_word(&e.level),
        })
        .collect();
    // Every area of the roll-up, in code order: a duty owned only at some levels has no
    // entry for some areas, shown as "no units" rather than left out.
    let mut areas: BTreeMap<String, Org> = BTreeMap::new();
    for e in &gaps.coverage {
        for a in &e.by_area {
            areas.entry(a.area.code.clone()).or_insert(a.area.clone());
        }
    }
    let rows = areas
        .into_values()
        .map(|org| Row {
            drill: match org.kind.as_deref() {
                Some("NATIONAL" | "REGION") => Some(format!("/heatmap?area={}", encode(&org.code))),
                _ => None,
            },
            cells: gaps
                .coverage
                .iter()
                .map(|e| cell(e.by_area.iter().find(|a| a.area.code == org.code)))
                .collect(),
            name: org.name,
            code: org.code,
        })
        .collect();
    let mut export = format!(
        "/export/responsibilityGaps.byArea.csv?area={}",
        encode(&gaps.area.code)
    );
    if !group_by.is_empty() {
        export.push_str(&format!("&groupBy={group_by}"));
    }
    Map {
        area: gaps.area.label(),
        on_date: gaps.on_date,
        columns,
        rows,
        export,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HeatMapQuery {
    area: Option<String>,
    #[serde(rename = "groupBy")]
    group_by: Option<String>,
}

/// The levels a heat map is drawn at, as the API names them and in words.
const LEVELS: [(&str, &str); 3] = [
    ("", "One level below the area"),
    ("REGION", "Region"),
    ("ICB", "ICB"),
];

pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    query: Result<Query<HeatMapQuery>, QueryRejection>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/heatmap");
    let asked = query.map(|Query(q)| q).unwrap_or_default();
    let typed = form::code(asked.area.as_deref());
    // Only the levels offered: anything else would be the API's enum error, not the
    // visitor's words.
    let group_by = asked
        .group_by
        .filter(|g| LEVELS.iter().any(|(l, _)| l == g))
        .unwrap_or_default();
    let area = visitor.area_or_own(&typed);
    let answer: Result<Answer, QueryError> = query::run(
        &gw.schema,
        &visitor.auth,
        QUERY,
        serde_json::json!({
            "area": area,
            "groupBy": (!group_by.is_empty()).then_some(group_by.as_str()),
        }),
    )
    .await;
    let page = |problems, map| Page {
        layout: layout.clone(),
        area: typed.clone(),
        group_by: group_by.clone(),
        levels: LEVELS
            .iter()
            .map(|(l, w)| ((*l).to_owned(), (*w).to_owned()))
            .collect(),
        bands: BANDS.to_vec(),
        problems,
        map,
    };
    match answer {
        Ok(a) => html(&page(
            Problems::default(),
            Some(map(a.responsibility_gaps, &group_by)),
        )),
        Err(e) if e.is_about_input() => {
            let problems =
                Problems::from_error(&e, &[("area", "area"), ("groupBy", "groupBy")], "area");
            (StatusCode::BAD_REQUEST, html(&page(problems, None))).into_response()
        }
        Err(other) => super::query_failed(layout.clone(), &other),
    }
}
