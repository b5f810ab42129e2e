//! The platform provider's pages (DESIGN.md §1 platform provider): `/provider/issues`,
//! the usability issues practices reported on its platforms, each with the forms the API
//! allows for its status (`acknowledgeUsabilityIssue`, `resolveUsabilityIssue`);
//! `/provider/changes` and `/provider/materials`, announcing a change that may need
//! retraining and publishing training material (`announcePlatformChange`,
//! `publishTrainingMaterial`), each listing what was published, as the platform's own
//! audit trail (`history` of `platform-<id>`) records it.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::Nodes;
use super::usability::{ISSUE, Issue, IssueRow};
use crate::http::Gateway;
use crate::vocabulary::{DigitalService, MaterialFormat, StaffRole};
use crate::web::export::encode;
use crate::web::form::{
    self, CheckedForm, Choice, Command, ENUM_VALUES, EnumValues, Posted, Problems, ticked, words,
};
use crate::web::html;
use crate::web::layout::{Layout, PROVIDER};
use crate::web::session::Visitor;

/// `?done=` after a form, in words.
fn done_words(done: &super::Done) -> Option<&'static str> {
    done.in_words(&[
        ("acknowledged", "You acknowledged the issue."),
        ("resolved", "You resolved the issue."),
        (
            "announced",
            "The change is announced to the practices that use the platform.",
        ),
        ("published", "The training material is published."),
    ])
}

// ---- Issues to answer ----

const ISSUES: &str = r#"
query Issues {
  platformIssues(first: 500) { nodes { ISSUE } }
  kinds: __type(name: "IssueResolutionKind") ENUM
}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssuesAnswer {
    platform_issues: Nodes<Issue>,
    kinds: EnumValues,
}

#[derive(Template)]
#[template(path = "provider_issues.html")]
struct IssuesPage {
    layout: Layout,
    open: Vec<IssueRow>,
    resolved: Vec<IssueRow>,
    kinds: Vec<Choice>,
    export: String,
    done: Option<&'static str>,
    typed: Posted,
    problems: Problems,
}

async fn render_issues(
    gw: &Gateway,
    visitor: &Visitor,
    typed: Posted,
    problems: Problems,
    done: Option<&'static str>,
) -> Response {
    let layout = Layout::new(gw, visitor, "/provider/issues");
    if let Some(refused) = super::only_for(&layout, &PROVIDER, "Answering usability issues") {
        return refused;
    }
    let document = ISSUES.replace("ISSUE", ISSUE).replace("ENUM", ENUM_VALUES);
    let answer: IssuesAnswer =
        match super::ask(gw, visitor, &layout, &document, serde_json::json!({})).await {
            Ok(a) => a,
            Err(failed) => return failed,
        };
    // The API shows a provider the issues on its own platforms only (DESIGN.md §6).
    let (open, resolved): (Vec<IssueRow>, Vec<IssueRow>) = answer
        .platform_issues
        .nodes
        .into_iter()
        .map(IssueRow::from)
        .partition(|i| i.open);
    html(&IssuesPage {
        export: format!(
            "/export/platformIssues.csv?provider={}",
            encode(&visitor.organisation())
        ),
        layout,
        open,
        resolved,
        kinds: answer.kinds.choices(),
        done,
        typed,
        problems,
    })
}

/// `GET /provider/issues`.
pub async fn issues(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done_words(&done);
    render_issues(&gw, &visitor, Posted::default(), Problems::default(), done).await
}

/// An answer to one issue: its mutation, each API field with the prefix of the row's
/// input that holds it (`note-<id>`) and whether the API requires it (sent empty, for
/// the API to say what is missing, rather than left out), and the word the page says
/// after.
struct IssueAnswer {
    mutation: &'static str,
    fields: [(&'static str, &'static str, bool); 2],
    done: &'static str,
}

const ACKNOWLEDGE: IssueAnswer = IssueAnswer {
    mutation: "mutation ($input: AcknowledgeUsabilityIssueInput!) { acknowledgeUsabilityIssue(input: $input) { lastPosition } }",
    fields: [
        ("note", "note", false),
        ("expectedResolutionDate", "expected", false),
    ],
    done: "acknowledged",
};

const RESOLVE: IssueAnswer = IssueAnswer {
    mutation: "mutation ($input: ResolveUsabilityIssueInput!) { resolveUsabilityIssue(input: $input) { lastPosition } }",
    fields: [
        ("resolution", "resolution", true),
        ("resolutionKind", "kind", false),
    ],
    done: "resolved",
};

/// One answer's POST: the row's id and its inputs go to the mutation (an input left empty
/// is left out); an error lands on the row's input it names, else its first.
async fn answer_issue(gw: Gateway, checked: CheckedForm, what: &IssueAnswer) -> Response {
    let CheckedForm { visitor, typed } = checked;
    let id = typed.get("id").trim().to_owned();
    let inputs: Vec<(&str, String)> = what
        .fields
        .iter()
        .map(|(api, prefix, _)| (*api, format!("{prefix}-{id}")))
        .collect();
    let mut input = serde_json::json!({ "issueId": id });
    for ((api, row_input), (_, _, required)) in inputs.iter().zip(&what.fields) {
        input[*api] = if *required {
            serde_json::json!(typed.get(row_input).trim())
        } else {
            serde_json::json!(typed.optional(row_input))
        };
    }
    let mut fields: Vec<(&str, &str)> = inputs.iter().map(|(a, i)| (*a, i.as_str())).collect();
    fields.push(("issueId", inputs[0].1.as_str()));
    let command = Command {
        mutation: what.mutation,
        input,
        fields: &fields,
        fallback: &inputs[0].1,
    };
    let done = format!("/provider/issues?done={}", what.done);
    form::submit(
        &gw,
        &visitor,
        command,
        &done,
        "/provider/issues",
        |problems| render_issues(&gw, &visitor, typed, problems, None),
    )
    .await
}

/// `POST /provider/issues/acknowledge`.
pub async fn acknowledge(State(gw): State<Gateway>, form: CheckedForm) -> Response {
    answer_issue(gw, form, &ACKNOWLEDGE).await
}

/// `POST /provider/issues/resolve`.
pub async fn resolve(State(gw): State<Gateway>, form: CheckedForm) -> Response {
    answer_issue(gw, form, &RESOLVE).await
}

// ---- Changes and training material ----

const PLATFORMS: &str = r#"
query Platforms($provider: String!) {
  platforms(provider: $provider, first: 100) { nodes { id name } }
  roles: __type(name: "StaffRole") ENUM
  services: __type(name: "DigitalService") ENUM
  formats: __type(name: "MaterialFormat") ENUM
}"#;

/// The newest events of a platform's trail: its changes and materials.
const TRAIL: &str = r#"
query Trail($stream: String!) {
  history(stream: $stream, last: 200) { nodes { eventType recordedAt payload } }
}"#;

#[derive(Debug, Deserialize)]
struct OwnPlatform {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct PlatformsAnswer {
    platforms: Nodes<OwnPlatform>,
    roles: EnumValues,
    services: EnumValues,
    formats: EnumValues,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_type: String,
    recorded_at: String,
    payload: Value,
}

#[derive(Debug, Deserialize)]
struct TrailAnswer {
    history: Nodes<Event>,
}

/// Something a provider published, as its page lists it.
#[derive(Debug)]
struct Published {
    platform: String,
    /// The change's summary or the material's title.
    title: String,
    /// The material's link; empty for a change.
    url: String,
    /// What else the event says, in words.
    details: Vec<(&'static str, String)>,
    published_on: String,
    change_id: String,
}

/// A payload's string field, or empty.
fn text(payload: &Value, field: &str) -> String {
    payload
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A payload's list of proto enum names (`MATERIAL_FORMAT_VIDEO`) in words, without the
/// enum's `prefix`; `none` when empty.
fn listed(payload: &Value, field: &str, prefix: &str, none: &str) -> String {
    let found: Vec<String> = payload
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|v| words(v.strip_prefix(prefix).unwrap_or(v)))
        .collect();
    if found.is_empty() {
        none.to_owned()
    } else {
        found.join(", ")
    }
}

fn yes_no(payload: &Value, field: &str) -> String {
    if payload.get(field).and_then(Value::as_bool) == Some(true) {
        "Yes".into()
    } else {
        "No".into()
    }
}

fn published(platform: &str, event: &Event) -> Option<Published> {
    let p = &event.payload;
    let (title, url, details) = match event.event_type.as_str() {
        "difacto.v1.PlatformChangeAnnounced" => (
            text(p, "summary"),
            String::new(),
            vec![
                ("Goes live", text(p, "effectiveDate")),
                ("Retraining needed", yes_no(p, "retrainingRequired")),
                (
                    "Staff affected",
                    listed(p, "rolesAffected", "", "None named"),
                ),
                ("Patients see it", yes_no(p, "patientFacing")),
                (
                    "Services affected",
                    listed(p, "servicesAffected", "", "None named"),
                ),
            ],
        ),
        "difacto.v1.TrainingMaterialPublished" => (
            text(p, "title"),
            text(p, "url"),
            vec![
                (
                    "Formats",
                    listed(p, "formats", "MATERIAL_FORMAT_", "None named"),
                ),
                ("Languages", listed(p, "languages", "", "None named")),
                ("For staff", listed(p, "audienceRoles", "", "Patients only")),
                ("Fit for patients", yes_no(p, "forPatients")),
            ],
        ),
        _ => return None,
    };
    Some(Published {
        platform: platform.to_owned(),
        title,
        url,
        details,
        published_on: event
            .recorded_at
            .split('T')
            .next()
            .unwrap_or_default()
            .to_owned(),
        change_id: text(p, "changeId"),
    })
}

/// Which of the two publishing pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Publishing {
    Changes,
    Materials,
}

impl Publishing {
    fn path(self) -> &'static str {
        match self {
            Self::Changes => "/provider/changes",
            Self::Materials => "/provider/materials",
        }
    }

    fn event(self) -> &'static str {
        match self {
            Self::Changes => "difacto.v1.PlatformChangeAnnounced",
            Self::Materials => "difacto.v1.TrainingMaterialPublished",
        }
    }
}

#[derive(Template)]
#[template(path = "provider_publish.html")]
struct PublishPage {
    layout: Layout,
    changes_page: bool,
    platforms: Vec<Choice>,
    /// The changes material may train for.
    changes: Vec<Choice>,
    roles: Vec<Choice>,
    services: Vec<Choice>,
    formats: Vec<Choice>,
    published: Vec<Published>,
    done: Option<&'static str>,
    typed: Posted,
    problems: Problems,
}

async fn render_publish(
    gw: &Gateway,
    visitor: &Visitor,
    which: Publishing,
    typed: Posted,
    problems: Problems,
    done: Option<&'static str>,
) -> Response {
    let layout = Layout::new(gw, visitor, which.path());
    if let Some(refused) = super::only_for(&layout, &PROVIDER, "Publishing for platforms") {
        return refused;
    }
    let document = PLATFORMS.replace("ENUM", ENUM_VALUES);
    let answer: PlatformsAnswer = match super::ask(
        gw,
        visitor,
        &layout,
        &document,
        serde_json::json!({ "provider": visitor.organisation() }),
    )
    .await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    let mut all = Vec::new();
    // One trail per platform: a provider has a handful.
    for platform in &answer.platforms.nodes {
        let trail: TrailAnswer = match super::ask(
            gw,
            visitor,
            &layout,
            TRAIL,
            serde_json::json!({ "stream": format!("platform-{}", platform.id) }),
        )
        .await
        {
            Ok(t) => t,
            Err(failed) => return failed,
        };
        all.extend(
            trail
                .history
                .nodes
                .iter()
                .filter_map(|e| Some((e.event_type.clone(), published(&platform.name, e)?))),
        );
    }
    // The newest first.
    all.reverse();
    let changes = all
        .iter()
        .filter(|(kind, _)| kind == Publishing::Changes.event())
        .map(|(_, c)| Choice {
            value: c.change_id.clone(),
            words: format!("{}: {}", c.platform, c.title),
            hint: String::new(),
        })
        .collect();
    html(&PublishPage {
        layout,
        changes_page: which == Publishing::Changes,
        platforms: answer
            .platforms
            .nodes
            .into_iter()
            .map(|p| Choice {
                value: p.id,
                words: p.name,
                hint: String::new(),
            })
            .collect(),
        changes,
        roles: answer.roles.choices(),
        services: answer.services.choices(),
        formats: answer.formats.choices(),
        published: all
            .into_iter()
            .filter(|(kind, _)| kind == which.event())
            .map(|(_, p)| p)
            .collect(),
        done,
        typed,
        problems,
    })
}

/// `GET /provider/changes`.
pub async fn changes(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done_words(&done);
    let (typed, problems) = (Posted::default(), Problems::default());
    render_publish(&gw, &visitor, Publishing::Changes, typed, problems, done).await
}

/// `GET /provider/materials`.
pub async fn materials(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done_words(&done);
    let (typed, problems) = (Posted::default(), Problems::default());
    render_publish(&gw, &visitor, Publishing::Materials, typed, problems, done).await
}

/// The inputs' ids are the API's field names.
const CHANGE_FIELDS: [(&str, &str); 7] = [
    ("platformId", "platformId"),
    ("effectiveDate", "effectiveDate"),
    ("summary", "summary"),
    ("rolesAffected", "rolesAffected"),
    ("retrainingRequired", "rolesAffected"),
    ("patientFacing", "patientFacing"),
    ("servicesAffected", "servicesAffected"),
];

const MATERIAL_FIELDS: [(&str, &str); 8] = [
    ("platformId", "platformId"),
    ("title", "title"),
    ("url", "url"),
    ("formats", "formats"),
    ("languages", "languages"),
    ("changeId", "changeId"),
    ("audienceRoles", "audienceRoles"),
    ("forPatients", "audienceRoles"),
];

/// Sends a publishing form's command and shows what came of it.
async fn publish(
    gw: Gateway,
    visitor: Visitor,
    which: Publishing,
    typed: Posted,
    command: Command<'_>,
    done: &str,
) -> Response {
    let done = format!("{}?done={done}", which.path());
    form::submit(&gw, &visitor, command, &done, which.path(), |problems| {
        render_publish(&gw, &visitor, which, typed, problems, None)
    })
    .await
}

/// `POST /provider/changes`: `announcePlatformChange`.
pub async fn announce(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    let input = serde_json::json!({
        "platformId": typed.get("platformId").trim(),
        "effectiveDate": typed.get("effectiveDate").trim(),
        "summary": typed.get("summary").trim(),
        "rolesAffected": ticked::<StaffRole>(&typed, "rolesAffected"),
        "retrainingRequired": typed.has("retrainingRequired", "true"),
        "patientFacing": typed.has("patientFacing", "true"),
        "servicesAffected": ticked::<DigitalService>(&typed, "servicesAffected"),
    });
    let command = Command {
        mutation: "mutation ($input: AnnouncePlatformChangeInput!) { announcePlatformChange(input: $input) { createdId lastPosition } }",
        input,
        fields: &CHANGE_FIELDS,
        fallback: "summary",
    };
    publish(
        gw,
        visitor,
        Publishing::Changes,
        typed,
        command,
        "announced",
    )
    .await
}

/// `POST /provider/materials`: `publishTrainingMaterial`.
pub async fn publish_material(
    State(gw): State<Gateway>,
    CheckedForm { visitor, typed }: CheckedForm,
) -> Response {
    // Languages as typed: `en, pl` or `en pl`.
    let languages: Vec<&str> = typed
        .get("languages")
        .split([',', ' '])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let input = serde_json::json!({
        "platformId": typed.get("platformId").trim(),
        "title": typed.get("title").trim(),
        "url": typed.get("url").trim(),
        "formats": ticked::<MaterialFormat>(&typed, "formats"),
        "languages": languages,
        "changeId": typed.optional("changeId"),
        "audienceRoles": ticked::<StaffRole>(&typed, "audienceRoles"),
        "forPatients": typed.has("forPatients", "true"),
    });
    let command = Command {
        mutation: "mutation ($input: PublishTrainingMaterialInput!) { publishTrainingMaterial(input: $input) { createdId lastPosition } }",
        input,
        fields: &MATERIAL_FIELDS,
        fallback: "title",
    };
    publish(
        gw,
        visitor,
        Publishing::Materials,
        typed,
        command,
        "published",
    )
    .await
}
