//! Who is responsible for what: the duty catalogue and the assignment matrix. Coverage
//! (what nobody owns, where organisations disagree) is in [`super::coverage`].

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::eager::eager_object;
use super::open;
use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use crate::error::Result;
use crate::model::ReadModel;
use crate::model::responsibility::{self as model_r, AssignmentStatus};
use crate::vocabulary::{Level, RaciRole};

#[derive(Debug, Clone, SimpleObject)]
pub struct DutySummary {
    pub id: String,
    pub title: String,
}

eager_object!(DutySummary { "id" => id, "title" => title });

#[derive(Debug, Clone, SimpleObject)]
pub struct Duty {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Levels at which it must have an accepted Responsible and Accountable.
    pub required_levels: Vec<Level>,
    pub retired: bool,
}

/// One cell of the matrix: a duty, an organisation, its RACI role and where it stands.
#[derive(Debug, Clone, SimpleObject)]
pub struct Assignment {
    pub id: String,
    pub duty: DutySummary,
    pub area: OrganisationSummary,
    pub level: Option<Level>,
    pub assignee: OrganisationSummary,
    pub role: Option<RaciRole>,
    pub status: AssignmentStatus,
    pub proposer: OrganisationSummary,
    /// Why it was declined or ended.
    pub reason: String,
    pub proposed_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
}

eager_object!(Assignment {
    "id" => id,
    "duty" => duty,
    "area" => area,
    "level" => level,
    "assignee" => assignee,
    "role" => role,
    "status" => status,
    "proposer" => proposer,
    "reason" => reason,
    "proposedAt" => proposed_at,
    "changedAt" => changed_at,
});

/// An organisation's belief about who owns a duty, which nobody accepted.
#[derive(Debug, Clone, SimpleObject)]
pub struct Misattribution {
    pub attributed_by: OrganisationSummary,
    pub believed_owner: OrganisationSummary,
    pub role: Option<RaciRole>,
    pub at: DateTime<Utc>,
}

eager_object!(Misattribution {
    "attributedBy" => attributed_by,
    "believedOwner" => believed_owner,
    "role" => role,
    "at" => at,
});

/// `a` as it stood at the end of `date` (as it stands now, if it was proposed later).
pub(super) fn assignment(
    model: &ReadModel,
    a: &model_r::Assignment,
    date: NaiveDate,
) -> Assignment {
    let duty = model.responsibility.duties.get(&a.duty_id);
    let (status, changed_at) = a.on(date).unwrap_or((a.status, a.changed_at));
    Assignment {
        id: a.id.clone(),
        duty: DutySummary {
            id: a.duty_id.clone(),
            title: duty.map(|d| d.title.clone()).unwrap_or_default(),
        },
        area: OrganisationSummary::of(model, &a.area_code),
        level: Level::from_proto(a.level),
        assignee: OrganisationSummary::of(model, &a.assignee_code),
        role: RaciRole::from_proto(a.role),
        status,
        proposer: OrganisationSummary::of(model, &a.proposer_code),
        reason: a.reason.clone(),
        proposed_at: a.proposed_at,
        changed_at,
    }
}

fn require_area(model: &ReadModel, field: &str, area: &str) -> Result<()> {
    super::area(&model.tree.index(), field, area).map(|_| ())
}

#[derive(Debug, Default)]
pub struct ResponsibilityViews;

#[Object]
impl ResponsibilityViews {
    /// The duty catalogue.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn duties(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_retired: bool,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<Duty>> {
        let (_, at, date) = open(ctx, as_of, on_date).await?;
        let args = PageArgs::new(after, before, first, last);
        Ok(at.read(|model| {
            let duties: Vec<Duty> = model
                .responsibility
                .duties
                .values()
                .filter(|d| d.defined_at.date_naive() <= date)
                .filter(|d| include_retired || d.is_live_on(date))
                .map(|d| Duty {
                    id: d.id.clone(),
                    title: d.title.clone(),
                    description: d.description.clone(),
                    required_levels: d
                        .required_levels
                        .iter()
                        .filter_map(|l| Level::from_proto(*l))
                        .collect(),
                    retired: !d.is_live_on(date),
                })
                .collect();
            args.page(duties)
        })?)
    }

    /// The matrix of duty × organisation × RACI role × status for an area and every
    /// area below it, optionally for one level or one duty.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn responsibilities(
        &self,
        ctx: &Context<'_>,
        area: String,
        level: Option<Level>,
        duty: Option<String>,
        status: Option<AssignmentStatus>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<Assignment>> {
        let (_, at, date) = open(ctx, as_of, on_date).await?;
        let args = PageArgs::new(after, before, first, last);
        let area = area.trim().to_owned();
        Ok(at.read(|model| -> Result<Page<Assignment>> {
            require_area(model, "area", &area)?;
            let index = model.tree.index();
            let area_id = index.id(&area);
            let mut areas: Vec<&String> = model
                .responsibility
                .areas()
                .filter(|a| **a == area || area_id.is_some_and(|id| index.is_within(a, id, date)))
                .collect();
            areas.sort();
            let rows: Vec<&model_r::Assignment> = areas
                .into_iter()
                .flat_map(|a| model.responsibility.in_area(a))
                .filter(|a| level.is_none_or(|l| a.level == i32::from(l)))
                .filter(|a| duty.as_ref().is_none_or(|d| a.duty_id == *d))
                .filter(|a| {
                    a.status_on(date)
                        .is_some_and(|now| status.is_none_or(|s| now == s))
                })
                .collect();
            args.page_with(rows.len(), |range| {
                rows[range]
                    .iter()
                    .map(|a| assignment(model, a, date))
                    .collect()
            })
        })?)
    }
}
