//! `/`: signed out, what difacto is and the way in; signed in, what the caller's roles
//! let them do, in their words.

use askama::Template;
use auth::Role;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;

use crate::http::Gateway;
use crate::web::html;
use crate::web::layout::{
    ANSWERS_INBOX, Layout, PRACTICE_TEAM, PROVIDER, READS_COMMISSIONING, READS_HEAT_MAP,
    READS_RESPONSIBILITY, READS_ROLLOUT, READS_SESSIONS,
};
use crate::web::session::Visitor;

#[derive(Debug)]
struct Task {
    title: &'static str,
    /// The page that does it; none while it is done through the API only.
    href: Option<&'static str>,
    description: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
    tasks: Vec<Task>,
}

/// Each task and the roles it is for (empty: everyone signed in).
const TASKS: [(&[Role], Task); 16] = [
    (
        &ANSWERS_INBOX,
        Task {
            title: "Inbox",
            href: Some("/inbox"),
            description: "duties proposed to you to accept or decline, and sessions you were asked to host",
        },
    ),
    (
        &PRACTICE_TEAM,
        Task {
            title: "This week's facilitation",
            href: Some("/facilitation"),
            description: "record the help you gave people to use digital services this week, and see the week as recorded",
        },
    ),
    (
        &PRACTICE_TEAM,
        Task {
            title: "Usability problems",
            href: Some("/usability"),
            description: "report a problem with a platform to its provider, and follow your reports to their answer",
        },
    ),
    (
        &PROVIDER,
        Task {
            title: "Issues to answer",
            href: Some("/provider/issues"),
            description: "the usability problems practices reported with your platforms, to acknowledge and resolve",
        },
    ),
    (
        &PROVIDER,
        Task {
            title: "Platform changes",
            href: Some("/provider/changes"),
            description: "announce a change to a platform, and whether staff need retraining before it goes live",
        },
    ),
    (
        &PROVIDER,
        Task {
            title: "Training material",
            href: Some("/provider/materials"),
            description: "publish guides, videos and other material for your platforms",
        },
    ),
    (
        &READS_RESPONSIBILITY,
        Task {
            title: "Responsibility map",
            href: Some("/responsibility"),
            description: "which duties have nobody responsible or accountable at each level, and where organisations disagree",
        },
    ),
    (
        &READS_RESPONSIBILITY,
        Task {
            title: "Download responsibility gaps",
            href: Some("/export/responsibilityGaps.csv"),
            description: "the same figures as a spreadsheet (CSV)",
        },
    ),
    (
        &READS_HEAT_MAP,
        Task {
            title: "Heat map of ownership",
            href: Some("/heatmap"),
            description: "by region and ICB, the share of each duty that somebody owns, and where nobody does",
        },
    ),
    (
        &READS_ROLLOUT,
        Task {
            title: "Training rollout",
            href: Some("/rollout"),
            description: "how far each training programme has rolled out against its target, week by week, and which practices have no trained reception staff",
        },
    ),
    (
        &[Role::PracticeManager],
        Task {
            title: "Staff and training",
            href: Some("/staff"),
            description: "your staff in post and how far each training programme has reached them",
        },
    ),
    (
        &READS_COMMISSIONING,
        Task {
            title: "Commissioning",
            href: Some("/commissioning"),
            description: "which partners you commissioned, and whether they delivered the sessions they promised",
        },
    ),
    (
        &READS_COMMISSIONING,
        Task {
            title: "Service status",
            href: Some("/service-status"),
            description: "which practices have switched a digital service off, and why",
        },
    ),
    (
        &READS_SESSIONS,
        Task {
            title: "Sessions",
            href: Some("/sessions"),
            description: "community sessions: how full they are, who is waiting, booking places for someone referred, cancelling, and who came",
        },
    ),
    (
        &[Role::PartnerCoordinator],
        Task {
            title: "Host practices",
            href: Some("/host-practices"),
            description: "the practices that host your sessions",
        },
    ),
    (
        &[],
        Task {
            title: "GraphQL API",
            href: Some("/graphiql"),
            description: "every view difacto answers, to explore or to connect another system",
        },
    ),
];

pub async fn page(State(gw): State<Gateway>, Extension(visitor): Extension<Visitor>) -> Response {
    let layout = Layout::new(&gw, &visitor, "/");
    let tasks = TASKS
        .into_iter()
        .filter(|(roles, _)| roles.is_empty() || layout.may(roles))
        .map(|(_, task)| task)
        .collect();
    html(&Home { layout, tasks })
}
