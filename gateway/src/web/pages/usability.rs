//! `/usability`: a practice reports a usability problem with a platform to its provider
//! (DESIGN.md §1 practice manager, `reportUsabilityIssue`) and follows its own reports
//! (`platformIssues`, those its practice reported) to their answer. The issue rows are
//! shared with the provider's page, which answers them.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Nodes, Org};
use crate::http::Gateway;
use crate::vocabulary::{DigitalService, IssueSeverity, PatientGroup, UsabilityIssueCategory};
use crate::web::form::{
    self, CheckedForm, Choice, Command, ENUM_VALUES, EnumValues, Posted, Problems, chosen, ticked,
    words,
};
use crate::web::html;
use crate::web::layout::{Layout, PRACTICE_TEAM};
use crate::web::session::Visitor;

/// What a page selects of a usability issue, for [`Issue`].
pub const ISSUE: &str = "id platform { id name provider { code name } } reportedBy { code name } \
    category severity service description status reportedAt acknowledgedAt resolvedAt note \
    resolution resolutionKind";

const QUERY: &str = r#"
query Usability($own: String!) {
  platforms(first: 500) { nodes { id name provider { code name } } }
  platformIssues(reportedBy: $own, first: 500) { nodes { ISSUE } }
  category: __type(name: "UsabilityIssueCategory") ENUM
  severity: __type(name: "IssueSeverity") ENUM
  service: __type(name: "DigitalService") ENUM
  groups: __type(name: "PatientGroup") ENUM
}"#;

const REPORT: &str = "mutation Report($input: ReportUsabilityIssueInput!) { reportUsabilityIssue(input: $input) { createdId lastPosition } }";

#[derive(Debug, Deserialize)]
pub struct Platform {
    pub id: String,
    pub name: String,
    pub provider: Org,
}

/// A usability issue as [`ISSUE`] selects it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub id: String,
    pub platform: Platform,
    pub reported_by: Org,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub description: String,
    pub status: String,
    pub reported_at: String,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    pub note: String,
    pub resolution: String,
    pub resolution_kind: Option<String>,
}

/// An issue as both pages show it.
#[derive(Debug)]
pub struct IssueRow {
    pub id: String,
    pub platform: String,
    pub reported_by: String,
    /// Category, severity and service, in words.
    pub what: String,
    pub description: String,
    pub reported_on: String,
    /// The status in words and its tag colour.
    pub status: (&'static str, &'static str),
    /// What the provider said, if anything.
    pub answer: String,
    pub open: bool,
    pub acknowledged: bool,
    /// The ids of the provider's inputs for it, where their errors are shown.
    pub note_id: String,
    pub expected_id: String,
    pub resolution_id: String,
    pub kind_id: String,
}

/// The day of an API timestamp (`2026-03-02T10:00:00Z` is 2026-03-02).
fn day(at: &str) -> String {
    at.split('T').next().unwrap_or(at).to_owned()
}

impl From<Issue> for IssueRow {
    fn from(i: Issue) -> Self {
        let what = [
            i.category.as_deref().map(words),
            i.severity
                .as_deref()
                .map(|s| format!("{} severity", words(s))),
            i.service.as_deref().map(words),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let mut answer = Vec::new();
        if let Some(at) = &i.acknowledged_at {
            answer.push(format!("Acknowledged on {}.", day(at)));
        }
        if !i.note.is_empty() {
            answer.push(i.note.clone());
        }
        if let Some(at) = &i.resolved_at {
            let kind = i
                .resolution_kind
                .as_deref()
                .map(|k| format!(" ({})", words(k).to_lowercase()))
                .unwrap_or_default();
            answer.push(format!("Resolved on {}{kind}: {}", day(at), i.resolution));
        }
        Self {
            platform: format!("{} from {}", i.platform.name, i.platform.provider.label()),
            reported_by: i.reported_by.label(),
            what,
            reported_on: day(&i.reported_at),
            status: match i.status.as_str() {
                "OPEN" => ("Waiting for an answer", "nhsuk-tag--blue"),
                "ACKNOWLEDGED" => ("Being dealt with", "nhsuk-tag--yellow"),
                _ => ("Resolved", "nhsuk-tag--green"),
            },
            answer: answer.join(" "),
            open: i.status != "RESOLVED",
            acknowledged: i.status == "ACKNOWLEDGED",
            description: i.description,
            note_id: format!("note-{}", i.id),
            expected_id: format!("expected-{}", i.id),
            resolution_id: format!("resolution-{}", i.id),
            kind_id: format!("kind-{}", i.id),
            id: i.id,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    platforms: Nodes<Platform>,
    platform_issues: Nodes<Issue>,
    category: EnumValues,
    severity: EnumValues,
    service: EnumValues,
    groups: EnumValues,
}

#[derive(Template)]
#[template(path = "usability.html")]
struct Page {
    layout: Layout,
    platforms: Vec<Choice>,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    services: Vec<Choice>,
    groups: Vec<Choice>,
    reports: Vec<IssueRow>,
    done: Option<&'static str>,
    typed: Posted,
    problems: Problems,
}

async fn render(
    gw: &Gateway,
    visitor: &Visitor,
    typed: Posted,
    problems: Problems,
    done: Option<&'static str>,
) -> Response {
    let layout = Layout::new(gw, visitor, "/usability");
    if let Some(refused) = super::only_for(&layout, &PRACTICE_TEAM, "Reporting usability problems")
    {
        return refused;
    }
    let own = visitor.organisation();
    let document = QUERY.replace("ISSUE", ISSUE).replace("ENUM", ENUM_VALUES);
    let answer: Answer = match super::ask(
        gw,
        visitor,
        &layout,
        &document,
        serde_json::json!({ "own": own }),
    )
    .await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    html(&Page {
        layout,
        platforms: answer
            .platforms
            .nodes
            .into_iter()
            .map(|p| Choice {
                words: format!("{} from {}", p.name, p.provider.label()),
                value: p.id,
                hint: String::new(),
            })
            .collect(),
        categories: answer.category.choices(),
        severities: answer.severity.choices(),
        services: answer.service.choices(),
        groups: answer.groups.choices(),
        reports: answer
            .platform_issues
            .nodes
            .into_iter()
            .map(IssueRow::from)
            .collect(),
        done,
        typed,
        problems,
    })
}

/// `GET /usability`; `?done=reported` confirms a report.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done.in_words(&[(
        "reported",
        "Your report is sent to the platform's provider.",
    )]);
    render(&gw, &visitor, Posted::default(), Problems::default(), done).await
}

/// The inputs' ids are the API's field names; an error naming the practice lands on the
/// platform, the first field.
const FIELDS: [(&str, &str); 7] = [
    ("practiceCode", "platformId"),
    ("platformId", "platformId"),
    ("category", "category"),
    ("severity", "severity"),
    ("description", "description"),
    ("service", "service"),
    ("patientGroupsAffected", "patientGroupsAffected"),
];

/// `POST /usability`: a report through `reportUsabilityIssue`.
pub async fn report(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let own = visitor.organisation();
    let mut problems = Problems::default();
    let p = &mut problems;
    // An empty platform or description is the API's to refuse, by its own words.
    let service = typed.optional("service");
    if service.is_some() {
        chosen::<DigitalService>(&typed, "service", "the service affected, or none", p);
    }
    let input = serde_json::json!({
        "practiceCode": own,
        "platformId": typed.get("platformId").trim(),
        "category": chosen::<UsabilityIssueCategory>(&typed, "category", "what the problem is about", p),
        "severity": chosen::<IssueSeverity>(&typed, "severity", "how badly it affects people", p),
        "description": typed.get("description").trim(),
        "service": service,
        "patientGroupsAffected": ticked::<PatientGroup>(&typed, "patientGroupsAffected"),
    });
    let command = Command {
        mutation: REPORT,
        input,
        fields: &FIELDS,
        fallback: "platformId",
    };
    form::submit_checked(
        &gw,
        &visitor,
        problems,
        command,
        "/usability?done=reported",
        "/usability",
        |problems| render(&gw, &visitor, typed, problems, None),
    )
    .await
}
