//! Platforms and their usability issues, and which digital services practices offer.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use super::{default_area, open};
use crate::error::Result;
use crate::model::ReadModel;
use crate::model::platforms::{Issue as ModelIssue, IssueStatus};
use crate::scope::Scope;
use crate::vocabulary::{
    DigitalService, IssueResolutionKind, IssueSeverity, PlatformCategory, ServiceChangeReason,
    ServiceStatus, UsabilityIssueCategory,
};

#[derive(Debug, Clone, SimpleObject)]
pub struct PlatformSummary {
    pub id: String,
    pub name: String,
    pub provider: OrganisationSummary,
    pub category: Option<PlatformCategory>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Platform {
    pub id: String,
    pub name: String,
    pub provider: OrganisationSummary,
    pub category: Option<PlatformCategory>,
    pub services: Vec<DigitalService>,
    /// Changes announced that need staff retrained.
    pub changes_needing_retraining: u32,
    pub changes_announced: u32,
    pub materials_published: u32,
    pub open_issues: u32,
    /// Practices that adopted it.
    pub practices: u32,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct UsabilityIssue {
    pub id: String,
    pub platform: PlatformSummary,
    pub reported_by: OrganisationSummary,
    pub category: Option<UsabilityIssueCategory>,
    pub severity: Option<IssueSeverity>,
    pub service: Option<DigitalService>,
    pub description: String,
    pub status: IssueStatus,
    pub reported_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: String,
    pub resolution: String,
    pub resolution_kind: Option<IssueResolutionKind>,
}

/// A digital service's status at one practice.
#[derive(Debug, Clone, SimpleObject)]
pub struct PracticeServiceStatus {
    pub practice: OrganisationSummary,
    pub service: Option<DigitalService>,
    pub status: Option<ServiceStatus>,
    pub reason: String,
    pub reason_kind: Option<ServiceChangeReason>,
    pub effective_date: Option<NaiveDate>,
}

pub(super) fn platform_summary(model: &ReadModel, id: &str) -> PlatformSummary {
    match model.platforms.platforms.get(id) {
        Some(p) => PlatformSummary {
            id: p.id.clone(),
            name: p.name.clone(),
            provider: OrganisationSummary::of(model, &p.provider_code),
            category: PlatformCategory::from_proto(p.category),
        },
        None => PlatformSummary {
            id: id.to_owned(),
            name: String::new(),
            provider: OrganisationSummary::of(model, ""),
            category: None,
        },
    }
}

/// `i` as it stood at the end of `date`, when its status was `status`.
pub(super) fn issue(
    model: &ReadModel,
    i: &ModelIssue,
    status: IssueStatus,
    date: NaiveDate,
) -> UsabilityIssue {
    let by = |at: Option<DateTime<Utc>>| at.filter(|at| at.date_naive() <= date);
    UsabilityIssue {
        id: i.id.clone(),
        platform: platform_summary(model, &i.platform_id),
        reported_by: OrganisationSummary::of(model, &i.practice_code),
        category: UsabilityIssueCategory::from_proto(i.category),
        severity: IssueSeverity::from_proto(i.severity),
        service: DigitalService::from_proto(i.service),
        description: i.description.clone(),
        status,
        reported_at: i.reported_at,
        acknowledged_at: by(i.acknowledged_at),
        resolved_at: by(i.resolved_at),
        note: i.note.clone(),
        resolution: i.resolution.clone(),
        resolution_kind: IssueResolutionKind::from_proto(i.resolution_kind),
    }
}

#[derive(Debug, Default)]
pub struct PlatformViews;

#[Object]
impl PlatformViews {
    /// Registered platforms, optionally of one provider, in name order.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn platforms(
        &self,
        ctx: &Context<'_>,
        provider: Option<String>,
        as_of: Option<DateTime<Utc>>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<Platform>> {
        let (_, at, _) = open(ctx, as_of, None).await?;
        let args = PageArgs::new(after, before, first, last);
        Ok(at.read(|model| {
            let mut found: Vec<Platform> = model
                .platforms
                .platforms
                .values()
                .filter(|p| provider.as_ref().is_none_or(|v| p.provider_code == *v))
                .map(|p| Platform {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    provider: OrganisationSummary::of(model, &p.provider_code),
                    category: PlatformCategory::from_proto(p.category),
                    services: p
                        .services
                        .iter()
                        .filter_map(|s| DigitalService::from_proto(*s))
                        .collect(),
                    changes_needing_retraining: p
                        .changes
                        .iter()
                        .filter(|c| c.retraining_required)
                        .count() as u32,
                    changes_announced: p.changes.len() as u32,
                    materials_published: p.materials.len() as u32,
                    open_issues: model
                        .platforms
                        .issues
                        .values()
                        .filter(|i| i.platform_id == p.id && i.status != IssueStatus::Resolved)
                        .count() as u32,
                    practices: model
                        .platforms
                        .adopted
                        .values()
                        .filter(|ids| ids.contains(&p.id))
                        .count() as u32,
                })
                .collect();
            found.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
            args.page(found)
        })?)
    }

    /// Usability issues practices reported, optionally for one provider, platform, status
    /// or reporting practice; the most severe first, then the oldest. Providers see their
    /// own only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn platform_issues(
        &self,
        ctx: &Context<'_>,
        provider: Option<String>,
        platform: Option<String>,
        status: Option<IssueStatus>,
        reported_by: Option<String>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<UsabilityIssue>> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let scope = Scope::new(&caller.principal);
        // A provider answers only issues on its own platforms, and sees only those (§6).
        let own_only = scope
            .is_provider()
            .then_some(&caller.principal.organisation);
        let args = PageArgs::new(after, before, first, last);
        Ok(at.read(|model| {
            let mut found: Vec<(&ModelIssue, IssueStatus)> = model
                .platforms
                .issues
                .values()
                .filter(|i| own_only.is_none_or(|own| i.provider_code == *own))
                .filter(|i| provider.as_ref().is_none_or(|v| i.provider_code == *v))
                .filter(|i| platform.as_ref().is_none_or(|p| i.platform_id == *p))
                .filter(|i| reported_by.as_ref().is_none_or(|r| i.practice_code == *r))
                .filter_map(|i| i.status_on(date).map(|now| (i, now)))
                .filter(|(_, now)| status.is_none_or(|s| *now == s))
                .collect();
            found.sort_by(|(a, _), (b, _)| {
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| a.reported_at.cmp(&b.reported_at))
                    .then_with(|| a.id.cmp(&b.id))
            });
            args.page_with(found.len(), |range| {
                found[range]
                    .iter()
                    .map(|(i, now)| issue(model, i, *now, date))
                    .collect()
            })
        })?)
    }

    /// Which practices within an area (yours when not given) offer, paused or withdrew
    /// each digital service, and why. By default only services not offered.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn service_status(
        &self,
        ctx: &Context<'_>,
        within: Option<String>,
        service: Option<DigitalService>,
        status: Option<ServiceStatus>,
        #[graphql(default = false)] include_offered: bool,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<PracticeServiceStatus>> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let scope = Scope::new(&caller.principal);
        let within = default_area(&scope, within);
        let args = PageArgs::new(after, before, first, last);
        Ok(at.read(|model| -> Result<Page<PracticeServiceStatus>> {
            let index = model.tree.index();
            let area = super::area(&index, "within", &within)?;
            let offered = i32::from(ServiceStatus::Offered);
            let mut rows: Vec<(&String, i32, &crate::model::platforms::ServiceState)> = model
                .platforms
                .service_status
                .iter()
                .filter(|(practice, _)| index.is_within(practice, area, date))
                .flat_map(|(practice, services)| {
                    services.iter().map(move |(s, st)| (practice, *s, st))
                })
                .filter(|(_, s, _)| service.is_none_or(|want| *s == i32::from(want)))
                .filter(|(_, _, st)| match status {
                    Some(want) => st.status == i32::from(want),
                    None => include_offered || st.status != offered,
                })
                .collect();
            rows.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
            args.page_with(rows.len(), |range| {
                rows[range]
                    .iter()
                    .map(|(practice, s, st)| PracticeServiceStatus {
                        practice: OrganisationSummary::of(model, practice),
                        service: DigitalService::from_proto(*s),
                        status: ServiceStatus::from_proto(st.status),
                        reason: st.reason.clone(),
                        reason_kind: ServiceChangeReason::from_proto(st.reason_kind),
                        effective_date: st.effective_date,
                    })
                    .collect()
            })
        })?)
    }
}
