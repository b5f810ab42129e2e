//! The drill-down of the responsibility map (DESIGN.md §10): `/responsibility/{area}?duty=`
//! is one duty in one area (a practice, a PCN, an ICB): its units of ownership with who
//! owns them, what waits or was declined, who believes whom owns it (`perceptions`:
//! beliefs against acceptances, misattributions) and the assignments made in the area;
//! `/responsibility/assignments/{id}` is one assignment's audit trail (`history` of
//! `assignment-<id>`): who proposed, accepted, declined or ended it, and when.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::responsibility::{Gaps, Titled};
use super::{Counted, Nodes, Org};
use crate::http::Gateway;
use crate::web::export::encode;
use crate::web::flags::{self, FlagView};
use crate::web::form::words;
use crate::web::html;
use crate::web::layout::{Layout, READS_RESPONSIBILITY};
use crate::web::session::Visitor;

const ASSIGNMENT: &str = "id area { code name } level assignee { code name } role status \
    proposer { code name } reason proposedAt changedAt";

const QUERY: &str = r#"
query Unit($area: String!, $duty: String!) {
  responsibilityGaps(area: $area, duty: $duty, first: 100) {
    area { code name }
    onDate
    coverage {
      duty { id title }
      level
      units
      byUnit { nodes {
        unit { code name } flags
        responsible { code name } accountable { code name }
        pending { ASSIGNMENT } declined { ASSIGNMENT }
        misattributions { attributedBy { code name } believedOwner { code name } role at }
      } }
    }
  }
  perceptions(area: $area, duty: $duty) {
    beliefs matchingAcceptance notAccepted believedToBeOthers
    matrix { believer { code name } believedOwner { code name } level role beliefs about { code name } acceptedIn believedToBeOthers }
  }
  responsibilities(area: $area, duty: $duty, first: 200) { nodes { ASSIGNMENT } }
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    responsibility_gaps: Gaps<Entry>,
    perceptions: Perceptions,
    responsibilities: Nodes<Assignment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    duty: Titled,
    level: String,
    units: usize,
    by_unit: Nodes<UnitOwnership>,
}

#[derive(Debug, Deserialize)]
struct UnitOwnership {
    unit: Org,
    flags: Vec<String>,
    responsible: Vec<Org>,
    accountable: Vec<Org>,
    pending: Vec<Assignment>,
    declined: Vec<Assignment>,
    misattributions: Vec<Misattribution>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assignment {
    id: String,
    area: Org,
    level: Option<String>,
    assignee: Org,
    role: Option<String>,
    status: String,
    proposer: Org,
    reason: String,
    changed_at: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Misattribution {
    attributed_by: Org,
    believed_owner: Org,
    role: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Perceptions {
    beliefs: usize,
    matching_acceptance: usize,
    not_accepted: usize,
    believed_to_be_others: usize,
    matrix: Vec<Perception>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Perception {
    believer: Org,
    believed_owner: Org,
    level: Option<String>,
    role: Option<String>,
    beliefs: usize,
    about: Vec<Org>,
    accepted_in: usize,
    believed_to_be_others: bool,
}

// What the template shows.

#[derive(Debug)]
struct UnitRow {
    name: String,
    level: String,
    flags: Vec<FlagView>,
    responsible: String,
    accountable: String,
    /// What else stands: proposals waiting, declines, misattributions, in words.
    notes: Vec<String>,
}

#[derive(Debug)]
struct BeliefRow {
    believer: String,
    owner: String,
    what: String,
    beliefs: usize,
    about: String,
    /// Whether the believed owner accepted it, in words.
    accepted: String,
    others: bool,
}

#[derive(Debug)]
struct AssignmentRow {
    id: String,
    assignee: String,
    what: String,
    area: String,
    status: String,
    changed_on: String,
}

#[derive(Template)]
#[template(path = "unit.html")]
struct Page {
    layout: Layout,
    area: String,
    area_code: String,
    duty: String,
    on_date: String,
    units: Vec<UnitRow>,
    /// More units than the page lists.
    more_units: bool,
    beliefs: usize,
    matching: usize,
    not_accepted: usize,
    others: usize,
    matrix: Vec<BeliefRow>,
    assignments: Vec<AssignmentRow>,
    export: String,
}

fn names(orgs: &[Org]) -> String {
    if orgs.is_empty() {
        "Nobody".into()
    } else {
        orgs.iter().map(Org::label).collect::<Vec<_>>().join(", ")
    }
}

/// A RACI role at a level, in words: "Accountable, local level".
fn role_at(role: Option<&str>, level: Option<&str>) -> String {
    let role = role.map_or_else(|| "A role".to_owned(), words);
    match level {
        Some(level) => format!("{role}, {} level", words(level).to_lowercase()),
        None => role,
    }
}

fn day(at: &str) -> String {
    at.split('T').next().unwrap_or(at).to_owned()
}

fn unit_row(level: &str, u: UnitOwnership) -> UnitRow {
    let notes = u
        .pending
        .iter()
        .map(|a| {
            format!(
                "{} was proposed as {} by {} and has not answered.",
                a.assignee.label(),
                role_at(a.role.as_deref(), None),
                a.proposer.label()
            )
        })
        .chain(u.declined.iter().map(|a| {
            format!(
                "{} declined being {}{}",
                a.assignee.label(),
                role_at(a.role.as_deref(), None),
                if a.reason.is_empty() {
                    ".".to_owned()
                } else {
                    format!(": {}", a.reason)
                }
            )
        }))
        .chain(u.misattributions.iter().map(|m| {
            format!(
                "{} believes {} is {}, which it has not accepted.",
                m.attributed_by.label(),
                m.believed_owner.label(),
                role_at(m.role.as_deref(), None)
            )
        }))
        .collect();
    UnitRow {
        name: u.unit.label(),
        level: words(level),
        flags: u.flags.iter().filter_map(|f| flags::view(f)).collect(),
        responsible: names(&u.responsible),
        accountable: names(&u.accountable),
        notes,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UnitQuery {
    duty: Option<String>,
}

/// `GET /responsibility/{area}?duty=`.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Path(area): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/responsibility");
    if let Some(refused) = super::only_for(&layout, &READS_RESPONSIBILITY, "The responsibility map")
    {
        return refused;
    }
    let area = crate::web::form::code(Some(area.as_str()));
    let duty = q.duty.unwrap_or_default();
    let document = QUERY.replace("ASSIGNMENT", ASSIGNMENT);
    let answer: Answer = match super::ask(
        &gw,
        &visitor,
        &layout,
        &document,
        serde_json::json!({ "area": area, "duty": duty.trim() }),
    )
    .await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    let gaps = answer.responsibility_gaps;
    let duty_title = gaps
        .coverage
        .first()
        .map_or_else(|| duty.clone(), |e| e.duty.title.clone());
    let more_units = gaps
        .coverage
        .iter()
        .any(|e| e.by_unit.nodes.len() < e.units);
    let units = gaps
        .coverage
        .into_iter()
        .flat_map(|e| {
            let level = e.level;
            e.by_unit
                .nodes
                .into_iter()
                .map(move |u| unit_row(&level, u))
        })
        .collect();
    let p = answer.perceptions;
    html(&Page {
        layout,
        area: gaps.area.label(),
        export: format!(
            "/export/perceptions.matrix.csv?area={}&duty={}",
            encode(&gaps.area.code),
            encode(duty.trim())
        ),
        area_code: gaps.area.code,
        duty: duty_title,
        on_date: gaps.on_date,
        units,
        more_units,
        beliefs: p.beliefs,
        matching: p.matching_acceptance,
        not_accepted: p.not_accepted,
        others: p.believed_to_be_others,
        matrix: p
            .matrix
            .into_iter()
            .map(|b| BeliefRow {
                believer: b.believer.label(),
                owner: b.believed_owner.label(),
                what: role_at(b.role.as_deref(), b.level.as_deref()),
                beliefs: b.beliefs,
                about: names(&b.about),
                accepted: if b.accepted_in == b.beliefs {
                    "Yes".into()
                } else if b.accepted_in == 0 {
                    "No".into()
                } else {
                    format!("In {} of {}", b.accepted_in, b.beliefs)
                },
                others: b.believed_to_be_others,
            })
            .collect(),
        assignments: answer
            .responsibilities
            .nodes
            .into_iter()
            .map(|a| AssignmentRow {
                assignee: a.assignee.label(),
                what: role_at(a.role.as_deref(), a.level.as_deref()),
                area: a.area.label(),
                status: words(&a.status),
                changed_on: day(&a.changed_at),
                id: a.id,
            })
            .collect(),
    })
}

// ---- One assignment's history ----

const HISTORY: &str = r#"
query Trail($stream: String!) {
  history(stream: $stream, first: 200) { totalCount nodes { eventType recordedAt actor organisation payload } }
}"#;

#[derive(Debug, Deserialize)]
struct HistoryAnswer {
    history: Counted<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_type: String,
    recorded_at: String,
    actor: Option<String>,
    organisation: Option<String>,
    payload: Value,
}

#[derive(Debug)]
struct EventRow {
    what: String,
    when: String,
    who: String,
    /// The event's fields, in words, ids left out.
    details: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "assignment.html")]
struct HistoryPage {
    layout: Layout,
    id: String,
    total: usize,
    events: Vec<EventRow>,
    export: String,
}

/// An event's or a field's name in words: `difacto.v1.ResponsibilityDeclined` is
/// "Responsibility declined", `assigneeCode` "Assignee code".
fn event_words(event_type: &str) -> String {
    let name = event_type.rsplit('.').next().unwrap_or(event_type);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A payload's fields as words, the ids (which the page already says) left out.
fn details(payload: &Value) -> Vec<(String, String)> {
    let Value::Object(fields) = payload else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(k, _)| !k.ends_with("Id"))
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            (event_words(k), value)
        })
        .collect()
}

/// `GET /responsibility/assignments/{id}`.
pub async fn history(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<String>,
) -> Response {
    let layout = Layout::new(&gw, &visitor, "/responsibility");
    if let Some(refused) = super::only_for(&layout, &READS_RESPONSIBILITY, "The responsibility map")
    {
        return refused;
    }
    let stream = format!("assignment-{}", id.trim());
    let answer: HistoryAnswer = match super::ask(
        &gw,
        &visitor,
        &layout,
        HISTORY,
        serde_json::json!({ "stream": stream }),
    )
    .await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    html(&HistoryPage {
        layout,
        export: format!("/export/history.csv?stream={}", encode(&stream)),
        id: id.trim().to_owned(),
        total: answer.history.total_count,
        events: answer
            .history
            .nodes
            .into_iter()
            .map(|e| EventRow {
                what: event_words(&e.event_type),
                when: e.recorded_at,
                who: match (e.actor, e.organisation) {
                    (Some(actor), Some(org)) => format!("{actor} for {org}"),
                    (Some(actor), None) => actor,
                    (None, Some(org)) => org,
                    (None, None) => "Not recorded".into(),
                },
                details: details(&e.payload),
            })
            .collect(),
    })
}
