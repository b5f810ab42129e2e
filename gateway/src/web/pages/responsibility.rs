//! `/responsibility?area=CODE`: the commissioner's responsibility map (DESIGN.md §1, §5
//! `responsibilityGaps`): for each duty and level, how many units of ownership carry each
//! flag, where in the area they are, and who owns the levels above. The area defaults
//! to the caller's own organisation.

use askama::Template;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Nodes, Org};
use crate::http::Gateway;
use crate::web::layout::Layout;
use crate::web::query::{self, QueryError};
use crate::web::session::Visitor;
use crate::web::{flags, form, html};

use flags::FlagView;

const QUERY: &str = r#"
query ResponsibilityMap($area: String!) {
  responsibilityGaps(area: $area, first: 50) {
    area { code name }
    onDate
    coverage {
      duty { id title }
      level
      units
      counts { flag units }
      byUnit { nodes { unit { code name } flags } }
      byArea { area { code name } units counts { flag units } }
    }
    above {
      duty { title }
      level
      responsible { name code }
      accountable { name code }
    }
  }
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    responsibility_gaps: Gaps<Entry>,
}

/// `responsibilityGaps` as the pages select it: the area, the day, one `E` per duty and
/// level, and who owns each above the area where the page asks (this one does).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Gaps<E> {
    pub(super) area: Org,
    pub(super) on_date: String,
    pub(super) coverage: Vec<E>,
    #[serde(default)]
    above: Vec<Above>,
}

/// A duty as `responsibilityGaps` selects it: `{ title }`, and its `id` where asked.
#[derive(Debug, Deserialize)]
pub(super) struct Titled {
    #[serde(default)]
    id: String,
    pub(super) title: String,
}

/// How many units carry one flag: `{ flag units }`.
#[derive(Debug, Deserialize)]
pub(super) struct Count {
    flag: String,
    units: usize,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    duty: Titled,
    level: String,
    units: usize,
    counts: Vec<Count>,
    by_unit: Nodes<UnitEntry>,
    by_area: Vec<AreaEntry>,
}

#[derive(Debug, Deserialize)]
struct UnitEntry {
    unit: Org,
    flags: Vec<String>,
}

/// One area of the roll-up (`byArea`): its units and how many carry each flag.
#[derive(Debug, Deserialize)]
pub(super) struct AreaEntry {
    pub(super) area: Org,
    pub(super) units: usize,
    pub(super) counts: Vec<Count>,
}

#[derive(Debug, Deserialize)]
struct Above {
    duty: Titled,
    level: String,
    responsible: Vec<Org>,
    accountable: Vec<Org>,
}

// What the template shows.

#[derive(Debug)]
struct Row {
    anchor: String,
    /// The duty's id, for the drill-down to a unit (`/responsibility/{unit}?duty=`).
    duty_id: String,
    duty: String,
    level: &'static str,
    units: usize,
    /// One per flag, in the order of the table's columns.
    counts: Vec<usize>,
    areas: Vec<AreaRow>,
    units_list: Vec<UnitRow>,
}

#[derive(Debug)]
struct AreaRow {
    code: String,
    name: String,
    units: usize,
    flags: Vec<(FlagView, usize)>,
}

#[derive(Debug)]
struct UnitRow {
    code: String,
    name: String,
    flags: Vec<FlagView>,
}

#[derive(Debug)]
struct AboveRow {
    duty: String,
    level: &'static str,
    owners: String,
}

#[derive(Debug)]
struct Map {
    area_name: String,
    area_code: String,
    on_date: String,
    export: String,
    rows: Vec<Row>,
    above: Vec<AboveRow>,
}

#[derive(Template)]
#[template(path = "responsibility.html")]
struct Page {
    layout: Layout,
    flags: Vec<FlagView>,
    area: String,
    error: Option<String>,
    map: Option<Map>,
}

/// A duty's level in words, capitalised (a page writes it in lower case with `|lower`).
pub(super) fn level_word(level: &str) -> &'static str {
    match level {
        "LOCAL" => "Local",
        "REGIONAL" => "Regional",
        "NATIONAL" => "National",
        _ => "Other",
    }
}

fn owners(list: &[Org]) -> String {
    if list.is_empty() {
        "nobody".into()
    } else {
        list.iter().map(Org::label).collect::<Vec<_>>().join(", ")
    }
}

/// How many units carry `flag`; none when the API lists no count for it.
pub(super) fn count_of(counts: &[Count], flag: &str) -> usize {
    counts
        .iter()
        .find(|c| c.flag == flag)
        .map_or(0, |c| c.units)
}

fn map(gaps: Gaps<Entry>, area: &str) -> Map {
    let rows = gaps
        .coverage
        .into_iter()
        .enumerate()
        .map(|(i, e)| Row {
            anchor: format!("duty-{i}"),
            duty_id: e.duty.id,
            duty: e.duty.title,
            level: level_word(&e.level),
            units: e.units,
            counts: flags::ALL
                .iter()
                .map(|f| count_of(&e.counts, f.name))
                .collect(),
            // One area holding every unit says nothing the summary does not.
            areas: if e.by_area.len() > 1 || e.by_area.first().is_some_and(|a| a.area.code != area)
            {
                e.by_area
                    .into_iter()
                    .map(|a| AreaRow {
                        flags: flags::ALL
                            .iter()
                            .map(|f| (*f, count_of(&a.counts, f.name)))
                            .filter(|(_, n)| *n > 0)
                            .collect(),
                        code: a.area.code,
                        name: a.area.name,
                        units: a.units,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            units_list: e
                .by_unit
                .nodes
                .into_iter()
                .map(|u| UnitRow {
                    flags: u.flags.iter().filter_map(|f| flags::view(f)).collect(),
                    code: u.unit.code,
                    name: u.unit.name,
                })
                .collect(),
        })
        .collect();
    let above = gaps
        .above
        .into_iter()
        .map(|a| AboveRow {
            level: level_word(&a.level),
            owners: format!(
                "Responsible: {}. Accountable: {}.",
                owners(&a.responsible),
                owners(&a.accountable)
            ),
            duty: if a.duty.title.is_empty() {
                a.duty.id
            } else {
                a.duty.title
            },
        })
        .collect();
    Map {
        area_name: gaps.area.label(),
        area_code: gaps.area.code.clone(),
        on_date: gaps.on_date,
        export: format!(
            "/export/responsibilityGaps.csv?area={}",
            crate::web::export::encode(&gaps.area.code)
        ),
        rows,
        above,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MapQuery {
    area: Option<String>,
}

pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    query: Result<Query<MapQuery>, QueryRejection>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/responsibility");
    let asked = form::code(query.ok().and_then(|Query(q)| q.area).as_deref());
    let area = visitor.area_or_own(&asked);
    let answer: Result<Answer, QueryError> = query::run(
        &gw.schema,
        &visitor.auth,
        QUERY,
        serde_json::json!({ "area": area }),
    )
    .await;
    let flags = flags::ALL.to_vec();
    match answer {
        Ok(answer) => html(&Page {
            layout,
            flags,
            map: Some(map(answer.responsibility_gaps, &area)),
            area: asked,
            error: None,
        }),
        // A code that names nothing, or a filter refused: the visitor's to correct,
        // shown next to the field.
        Err(e) if e.is_about_input() => (
            StatusCode::BAD_REQUEST,
            html(&Page {
                layout,
                flags,
                map: None,
                area: asked,
                error: Some(e.message().trim_start_matches("area: ").to_owned()),
            }),
        )
            .into_response(),
        Err(other) => super::query_failed(layout, &other),
    }
}
