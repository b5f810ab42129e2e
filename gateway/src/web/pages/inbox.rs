//! `/inbox`: what waits for the practice (DESIGN.md §5 `inbox`): duties proposed to it, to
//! accept or decline, community sessions it was asked to host, to confirm or decline, and
//! changes to platforms it uses that need its staff retrained. Each answer is a POST form
//! with the session's CSRF token that runs the API's own mutation as the visitor; an error
//! is shown next to the field it names. A platform change has no command that answers it
//! (it leaves the inbox four weeks after it takes effect): the page says what changes,
//! when and from whom, and leads to `/staff`, where the training is recorded.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::Org;
use super::sessions::{place, when};
use crate::http::Gateway;
use crate::web::form::{self, CheckedForm, Command, Posted, Problems, words};
use crate::web::html;
use crate::web::layout::Layout;
use crate::web::session::Visitor;

const QUERY: &str = r#"
{ inbox {
    organisation { code name }
    total
    proposals { id duty { title } level role area { code name } proposer { code name } }
    hostingRequests { id title startsAt partner { code name } hostPractice { code name } venueName venuePostcodeDistrict capacity }
    retraining { changeId summary effectiveDate rolesAffected platform { name provider { code name } } }
} }"#;

#[derive(Debug, Deserialize)]
struct Answer {
    inbox: Inbox,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inbox {
    organisation: Org,
    total: usize,
    proposals: Vec<Proposal>,
    hosting_requests: Vec<Hosting>,
    retraining: Vec<Retraining>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Retraining {
    change_id: String,
    summary: String,
    effective_date: Option<String>,
    roles_affected: Vec<String>,
    platform: Platform,
}

#[derive(Debug, Deserialize)]
struct Platform {
    name: String,
    provider: Org,
}

/// A platform change as the page shows it.
#[derive(Debug)]
struct RetrainingRow {
    summary: String,
    platform: String,
    /// "2026-04-01", or that the provider gave no date.
    when: String,
    /// The staff roles it concerns, in words.
    roles: String,
}

impl From<&Retraining> for RetrainingRow {
    fn from(r: &Retraining) -> Self {
        Self {
            summary: if r.summary.is_empty() {
                format!("Change {}", r.change_id)
            } else {
                r.summary.clone()
            },
            platform: format!("{} from {}", r.platform.name, r.platform.provider.label()),
            when: r
                .effective_date
                .clone()
                .unwrap_or_else(|| "No date given yet".into()),
            roles: if r.roles_affected.is_empty() {
                "Every role".into()
            } else {
                r.roles_affected
                    .iter()
                    .map(|role| words(role))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }
    }
}

#[derive(Debug, Deserialize)]
struct Titled {
    title: String,
}

#[derive(Debug, Deserialize)]
struct Proposal {
    id: String,
    duty: Titled,
    level: Option<String>,
    role: Option<String>,
    area: Org,
    proposer: Org,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hosting {
    id: String,
    title: String,
    starts_at: Option<String>,
    partner: Org,
    host_practice: Option<Org>,
    venue_name: String,
    venue_postcode_district: String,
    capacity: u32,
}

#[derive(Debug)]
struct ProposalRow {
    id: String,
    /// The ids of its accept button and its reason input, where its errors are shown.
    answer_id: String,
    reason_id: String,
    duty: String,
    what: String,
    area: String,
    proposer: String,
}

#[derive(Debug)]
struct HostingRow {
    id: String,
    /// The ids of its note and reason inputs, where its errors are shown.
    note_id: String,
    reason_id: String,
    title: String,
    when: String,
    place: String,
    partner: String,
    capacity: u32,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Page {
    layout: Layout,
    /// The events that change an inbox, which the page listens for.
    changed_by: String,
    organisation: String,
    total: usize,
    proposals: Vec<ProposalRow>,
    hosting: Vec<HostingRow>,
    retraining: Vec<RetrainingRow>,
    done: Option<&'static str>,
    typed: Posted,
    problems: Problems,
}

/// A RACI role and level in words: "Accountable at local level".
fn what(role: Option<&str>, level: Option<&str>) -> String {
    let role = match role {
        Some("RESPONSIBLE") => "Responsible",
        Some("ACCOUNTABLE") => "Accountable",
        Some("CONSULTED") => "Consulted",
        Some("INFORMED") => "Informed",
        _ => "A role",
    };
    let level = match level {
        Some("LOCAL") => "local",
        Some("REGIONAL") => "regional",
        Some("NATIONAL") => "national",
        _ => "some",
    };
    format!("{role} at {level} level")
}

async fn render(
    gw: &Gateway,
    visitor: &Visitor,
    typed: Posted,
    problems: Problems,
    done: Option<&'static str>,
) -> Response {
    let layout = Layout::new(gw, visitor, "/inbox");
    let answer: Answer = match super::ask(gw, visitor, &layout, QUERY, serde_json::json!({})).await
    {
        Ok(a) => a,
        Err(failed) => return failed,
    };
    let inbox = answer.inbox;
    html(&Page {
        changed_by: crate::views::inbox::CHANGED_BY.join(","),
        layout,
        organisation: inbox.organisation.label(),
        total: inbox.total,
        proposals: inbox
            .proposals
            .iter()
            .map(|p| ProposalRow {
                id: p.id.clone(),
                answer_id: format!("answer-{}", p.id),
                reason_id: format!("reason-{}", p.id),
                duty: p.duty.title.clone(),
                what: what(p.role.as_deref(), p.level.as_deref()),
                area: p.area.label(),
                proposer: p.proposer.label(),
            })
            .collect(),
        hosting: inbox
            .hosting_requests
            .iter()
            .map(|h| HostingRow {
                id: h.id.clone(),
                note_id: format!("note-{}", h.id),
                reason_id: format!("reason-{}", h.id),
                title: h.title.clone(),
                when: when(h.starts_at.as_deref()),
                place: place(
                    h.host_practice.as_ref(),
                    &h.venue_name,
                    &h.venue_postcode_district,
                ),
                partner: h.partner.label(),
                capacity: h.capacity,
            })
            .collect(),
        retraining: inbox.retraining.iter().map(RetrainingRow::from).collect(),
        done,
        typed,
        problems,
    })
}

/// `GET /inbox`; `?done=` says which answer was just recorded.
pub async fn page(
    State(gw): State<Gateway>,
    Extension(visitor): Extension<Visitor>,
    Query(done): Query<super::Done>,
) -> Response {
    let done = done.in_words(&[
        ("accepted", "You accepted the duty."),
        ("declined", "You declined the duty."),
        ("hosting", "You confirmed hosting the session."),
        ("not-hosting", "You declined hosting the session."),
    ]);
    render(&gw, &visitor, Posted::default(), Problems::default(), done).await
}

/// What each answer button sends: the mutation, the id field of its input, whether it
/// takes a reason (or a note), and the word the page says after.
struct Answerable {
    mutation: &'static str,
    id_field: &'static str,
    reason: Option<&'static str>,
    done: &'static str,
}

const ACCEPT: Answerable = Answerable {
    mutation: "mutation ($input: AcceptResponsibilityInput!) { acceptResponsibility(input: $input) { lastPosition } }",
    id_field: "assignmentId",
    reason: None,
    done: "accepted",
};
const DECLINE: Answerable = Answerable {
    mutation: "mutation ($input: DeclineResponsibilityInput!) { declineResponsibility(input: $input) { lastPosition } }",
    id_field: "assignmentId",
    reason: Some("reason"),
    done: "declined",
};
const CONFIRM_HOSTING: Answerable = Answerable {
    mutation: "mutation ($input: ConfirmHostingInput!) { confirmHosting(input: $input) { lastPosition } }",
    id_field: "sessionId",
    reason: Some("note"),
    done: "hosting",
};
const DECLINE_HOSTING: Answerable = Answerable {
    mutation: "mutation ($input: DeclineHostingInput!) { declineHosting(input: $input) { lastPosition } }",
    id_field: "sessionId",
    reason: Some("reason"),
    done: "not-hosting",
};

/// One answer's POST: the row's id and its reason go to the mutation; an error lands on
/// the row's own reason input (`reason-<id>`), or its button when it has none.
async fn answer(gw: Gateway, checked: CheckedForm, what: &Answerable) -> Response {
    let CheckedForm { visitor, typed } = checked;
    let id = typed.get("id").trim().to_owned();
    let mut input = serde_json::json!({ what.id_field: id });
    let row_input = format!("{}-{id}", what.reason.unwrap_or("answer"));
    if let Some(reason) = what.reason {
        input[reason] = serde_json::json!(typed.get(&row_input).trim());
    }
    let fields = [
        (what.reason.unwrap_or("reason"), row_input.as_str()),
        (what.id_field, row_input.as_str()),
    ];
    let command = Command {
        mutation: what.mutation,
        input,
        fields: &fields,
        fallback: &row_input,
    };
    let done = format!("/inbox?done={}", what.done);
    form::submit(&gw, &visitor, command, &done, "/inbox", |problems| {
        render(&gw, &visitor, typed, problems, None)
    })
    .await
}

/// `POST /inbox/accept`.
pub async fn accept(State(gw): State<Gateway>, form: CheckedForm) -> Response {
    answer(gw, form, &ACCEPT).await
}

/// `POST /inbox/decline`.
pub async fn decline(State(gw): State<Gateway>, form: CheckedForm) -> Response {
    answer(gw, form, &DECLINE).await
}

/// `POST /inbox/host`.
pub async fn host(State(gw): State<Gateway>, form: CheckedForm) -> Response {
    answer(gw, form, &CONFIRM_HOSTING).await
}

/// `POST /inbox/not-host`.
pub async fn not_host(State(gw): State<Gateway>, form: CheckedForm) -> Response {
    answer(gw, form, &DECLINE_HOSTING).await
}
