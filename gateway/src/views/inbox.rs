//! `inbox`: what waits for the caller's organisation to act on (DESIGN.md §5): proposals
//! to accept or decline, sessions to confirm hosting for, usability issues to answer, and
//! platform changes that need its staff retrained. Each item is something one of its
//! commands settles, so the inbox empties as the organisation works through it.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Days, NaiveDate, Utc};

use super::open;
use super::organisations::OrganisationSummary;
use super::platforms::{PlatformSummary, UsabilityIssue, issue, platform_summary};
use super::responsibilities::{Assignment, assignment};
use super::sessions::{Session, session_view};
use crate::model::ReadModel;
use crate::model::platforms::IssueStatus;
use crate::model::responsibility::AssignmentStatus;
use crate::model::sessions::Hosting;
use crate::scope::Scope;
use crate::vocabulary::StaffRole;

/// How long a change that needs retraining stays in a practice's inbox after it takes
/// effect: long enough to book the training, short enough that the inbox empties.
const RETRAINING_WINDOW_DAYS: u64 = 28;

/// The events that can change what an inbox holds: a page showing one listens for them.
pub const CHANGED_BY: [&str; 10] = [
    "ResponsibilityProposed",
    "ResponsibilityAccepted",
    "ResponsibilityDeclined",
    "ResponsibilityEnded",
    "SessionScheduled",
    "HostingConfirmed",
    "HostingDeclined",
    "SessionCancelled",
    "PlatformChangeAnnounced",
    // A practice that starts using a platform hears of its recent changes.
    "PlatformAdopted",
];

/// A change to a platform the practice uses, after which its staff need retraining.
#[derive(Debug, Clone, SimpleObject)]
pub struct RetrainingNeeded {
    pub platform: PlatformSummary,
    pub change_id: String,
    pub summary: String,
    pub effective_date: Option<NaiveDate>,
    pub roles_affected: Vec<StaffRole>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Inbox {
    pub organisation: OrganisationSummary,
    pub on_date: NaiveDate,
    /// Everything below, counted.
    pub total: usize,
    /// Responsibilities proposed to you, waiting for you to accept or decline.
    pub proposals: Vec<Assignment>,
    /// Sessions to be held at your practice, waiting for you to confirm or decline.
    pub hosting_requests: Vec<Session>,
    /// Usability issues on your platforms not yet resolved (providers).
    pub issues_to_answer: Vec<UsabilityIssue>,
    /// Changes to platforms you adopted that need staff retrained, from those coming up
    /// to those that took effect in the last four weeks (practices).
    pub retraining: Vec<RetrainingNeeded>,
}

/// The inbox of `organisation` on `date`, `now` being the instant sessions must be still
/// to come by.
pub fn inbox(
    model: &ReadModel,
    scope: &Scope<'_>,
    organisation: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Inbox {
    let index = model.tree.index();
    let mut proposals: Vec<_> = model
        .responsibility
        .assignments
        .values()
        .filter(|a| a.assignee_code == organisation)
        .filter(|a| a.status_on(date) == Some(AssignmentStatus::Proposed))
        .collect();
    proposals.sort_by(|a, b| (a.proposed_at, &a.id).cmp(&(b.proposed_at, &b.id)));
    let mut hosting: Vec<_> = model
        .sessions
        .sessions
        .values()
        .filter(|s| s.host_practice_code == organisation && s.hosting == Hosting::Pending)
        .filter(|s| s.cancelled.is_none() && s.starts_at.is_some_and(|t| t > now))
        .collect();
    hosting.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
    let mut issues: Vec<_> = model
        .platforms
        .issues
        .values()
        .filter(|i| i.provider_code == organisation)
        .filter_map(|i| i.status_on(date).map(|status| (i, status)))
        .filter(|(_, status)| *status != IssueStatus::Resolved)
        .collect();
    // The most severe first, then the longest waiting.
    issues.sort_by(|(a, _), (b, _)| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.reported_at.cmp(&b.reported_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    let since = date
        .checked_sub_days(Days::new(RETRAINING_WINDOW_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let retraining: Vec<RetrainingNeeded> = model
        .platforms
        .adopted
        .get(organisation)
        .into_iter()
        .flatten()
        .filter_map(|id| model.platforms.platforms.get(id))
        .flat_map(|platform| {
            platform
                .changes
                .iter()
                .filter(|c| c.retraining_required)
                .filter(move |c| c.effective_date.is_none_or(|d| d >= since))
                .map(move |c| RetrainingNeeded {
                    platform: platform_summary(model, &platform.id),
                    change_id: c.id.clone(),
                    summary: c.summary.clone(),
                    effective_date: c.effective_date,
                    roles_affected: c
                        .roles_affected
                        .iter()
                        .filter_map(|r| StaffRole::from_proto(*r))
                        .collect(),
                })
        })
        .collect();
    let proposals: Vec<Assignment> = proposals
        .into_iter()
        .map(|a| assignment(model, a, date))
        .collect();
    let hosting_requests: Vec<Session> = hosting
        .into_iter()
        .map(|s| session_view(model, &index, scope, s, date))
        .collect();
    let issues_to_answer: Vec<UsabilityIssue> = issues
        .into_iter()
        .map(|(i, status)| issue(model, i, status, date))
        .collect();
    Inbox {
        organisation: OrganisationSummary::of(model, organisation),
        on_date: date,
        total: proposals.len() + hosting_requests.len() + issues_to_answer.len() + retraining.len(),
        proposals,
        hosting_requests,
        issues_to_answer,
        retraining,
    }
}

#[derive(Debug, Default)]
pub struct InboxViews;

#[Object]
impl InboxViews {
    /// What waits for your organisation: proposals to accept or decline, sessions to
    /// confirm hosting for, usability issues to answer, platform changes that need your
    /// staff retrained.
    async fn inbox(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
    ) -> async_graphql::Result<Inbox> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let now = as_of.unwrap_or_else(Utc::now);
        let scope = Scope::new(&caller.principal);
        let organisation = caller.principal.organisation.clone();
        Ok(at.read(|model| inbox(model, &scope, &organisation, date, now)))
    }
}
