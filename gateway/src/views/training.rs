//! How far training has rolled out: by region, ICB, PCN or practice, against the target,
//! by staff role, week by week, and which practices have no trained reception staff.

use std::collections::BTreeMap;

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use proto::v1 as pb;

use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use super::{AreaLevel, default_area, open};
use crate::error::{GatewayError, Result};
use crate::model::ReadModel;
use crate::model::training::Programme as ModelProgramme;
use crate::scope::Scope;
use crate::vocabulary::StaffRole;

/// Staff roles that count as reception staff: those at the front desk.
const RECEPTION: [pb::StaffRole; 2] = [pb::StaffRole::Receptionist, pb::StaffRole::CareNavigator];

#[derive(Debug, Clone, SimpleObject)]
pub struct Programme {
    pub id: String,
    /// The short name people use, e.g. `DFE-2026`: views take it wherever they take the id.
    pub code: String,
    pub title: String,
    pub owner: OrganisationSummary,
    pub audience_roles: Vec<StaffRole>,
    pub module_ids: Vec<String>,
    pub target_percent: u32,
    pub deadline: Option<NaiveDate>,
}

impl Programme {
    fn of(model: &ReadModel, p: &ModelProgramme) -> Self {
        Self {
            id: p.id.clone(),
            code: p.code.clone(),
            title: p.title.clone(),
            owner: OrganisationSummary::of(model, &p.owner_code),
            audience_roles: p
                .audience_roles
                .iter()
                .filter_map(|r| StaffRole::from_proto(*r))
                .collect(),
            module_ids: p.module_ids.clone(),
            target_percent: p.target_percent,
            deadline: p.deadline,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, SimpleObject)]
pub struct RoleFigures {
    pub role: Option<StaffRole>,
    pub enrolled: u64,
    pub completed: u64,
}

/// Enrolled and completed staff in one area (or all of `within`), against the target.
#[derive(Debug, Clone, Default, PartialEq, SimpleObject)]
pub struct RolloutFigures {
    pub practices: u64,
    pub enrolled: u64,
    pub completed: u64,
    /// Completed as a share of enrolled, in percent.
    pub percent_completed: f64,
    pub target_percent: u32,
    pub deadline: Option<NaiveDate>,
    /// At or above the target.
    pub on_track: bool,
    pub practices_with_trained_reception: u64,
    pub practices_without_trained_reception: u64,
    pub by_role: Vec<RoleFigures>,
}

#[derive(Debug, Clone, PartialEq, SimpleObject)]
pub struct RolloutGroup {
    pub area: OrganisationSummary,
    pub figures: RolloutFigures,
}

/// One ISO week: completions that week and the running totals at its end.
#[derive(Debug, Clone, PartialEq, SimpleObject)]
pub struct RolloutWeek {
    /// The Monday the week starts on.
    pub week_starting: NaiveDate,
    pub enrolled: u64,
    pub completed: u64,
    pub cumulative_enrolled: u64,
    pub cumulative_completed: u64,
}

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct TrainingRollout {
    pub programme: Programme,
    pub within: OrganisationSummary,
    pub group_by: AreaLevel,
    pub totals: RolloutFigures,
    pub weekly: Vec<RolloutWeek>,
    #[graphql(skip)]
    pub groups: Vec<RolloutGroup>,
    #[graphql(skip)]
    pub without_reception: Vec<OrganisationSummary>,
}

#[ComplexObject]
impl TrainingRollout {
    /// One row per area at the `groupBy` level, in code order.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn groups(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<RolloutGroup>> {
        Ok(PageArgs::new(after, before, first, last).page(self.groups.clone())?)
    }

    /// Practices where no receptionist or care navigator has completed the programme.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn practices_without_trained_reception(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<OrganisationSummary>> {
        Ok(PageArgs::new(after, before, first, last).page(self.without_reception.clone())?)
    }
}

#[derive(Debug, Default)]
struct Tally {
    practices: u64,
    with_reception: u64,
    by_role: BTreeMap<i32, (u64, u64)>,
}

impl Tally {
    fn figures(&self, target: crate::model::training::Target) -> RolloutFigures {
        let enrolled = self.by_role.values().map(|(e, _)| e).sum::<u64>();
        let completed = self.by_role.values().map(|(_, c)| c).sum::<u64>();
        let percent = if enrolled == 0 {
            0.0
        } else {
            (completed as f64 * 1000.0 / enrolled as f64).round() / 10.0
        };
        RolloutFigures {
            practices: self.practices,
            enrolled,
            completed,
            percent_completed: percent,
            target_percent: target.percent,
            deadline: target.deadline,
            on_track: enrolled > 0 && percent >= f64::from(target.percent),
            practices_with_trained_reception: self.with_reception,
            practices_without_trained_reception: self.practices - self.with_reception,
            by_role: self
                .by_role
                .iter()
                .map(|(role, (enrolled, completed))| RoleFigures {
                    role: StaffRole::from_proto(*role),
                    enrolled: *enrolled,
                    completed: *completed,
                })
                .collect(),
        }
    }
}

/// The rollout of `programme` over the practices within `within` on `date`.
pub fn rollout(
    model: &ReadModel,
    programme: &str,
    group_by: AreaLevel,
    within: &str,
    date: NaiveDate,
) -> Result<TrainingRollout> {
    let p = model.training.programme(programme).ok_or_else(|| {
        GatewayError::NotFound(format!(
            "programme: no training programme has the id or code {}",
            domain::values::excerpt(programme)
        ))
    })?;
    let programme = p.id.as_str();
    let index = model.tree.index();
    let within_id = super::area(&index, "within", within)?;
    let staff = model.training.trainees.get(programme);
    let mut total = Tally::default();
    let mut groups: BTreeMap<u32, Tally> = BTreeMap::new();
    let mut without_reception = Vec::new();
    let mut weeks: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    let week_of =
        |d: NaiveDate| d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()));
    for id in index.all_of(Some(pb::OrganisationKind::Practice)) {
        let code = index.code(id);
        if !index.lineage(id, date).contains(&within_id)
            || !model.tree.get(code).is_some_and(|o| o.is_active_on(date))
        {
            continue;
        }
        let trainees = staff
            .and_then(|s| s.get(code))
            .map_or(&[][..], Vec::as_slice);
        let mut reception = false;
        let mut tallies: Vec<&mut Tally> = vec![&mut total];
        let group = index.ancestor(id, group_by.kind(), date);
        if let Some(group) = group {
            tallies.push(groups.entry(group).or_default());
        }
        for trainee in trainees {
            let done = trainee.completed_on.is_some_and(|d| d <= date);
            if done && RECEPTION.iter().any(|r| *r as i32 == trainee.role) {
                reception = true;
            }
            for tally in tallies.iter_mut() {
                let entry = tally.by_role.entry(trainee.role).or_default();
                entry.0 += 1;
                entry.1 += u64::from(done);
            }
            if let Some(on) = trainee.enrolled_on {
                weeks.entry(week_of(on)).or_default().0 += 1;
            }
            if let Some(on) = trainee.completed_on.filter(|d| *d <= date) {
                weeks.entry(week_of(on)).or_default().1 += 1;
            }
        }
        for tally in tallies {
            tally.practices += 1;
            tally.with_reception += u64::from(reception);
        }
        if !reception {
            without_reception.push(OrganisationSummary::of(model, code));
        }
    }
    let target_of = |area: u32| {
        model
            .training
            .target_for(p, index.lineage(area, date).iter().map(|a| index.code(*a)))
    };
    let (mut enrolled, mut completed) = (0, 0);
    let weekly = weeks
        .into_iter()
        .map(|(week, (e, c))| {
            enrolled += e;
            completed += c;
            RolloutWeek {
                week_starting: week,
                enrolled: e,
                completed: c,
                cumulative_enrolled: enrolled,
                cumulative_completed: completed,
            }
        })
        .collect();
    let mut groups: Vec<RolloutGroup> = groups
        .into_iter()
        .map(|(id, tally)| RolloutGroup {
            area: OrganisationSummary::of(model, index.code(id)),
            figures: tally.figures(target_of(id)),
        })
        .collect();
    groups.sort_by(|a, b| a.area.code.cmp(&b.area.code));
    Ok(TrainingRollout {
        programme: Programme::of(model, p),
        within: OrganisationSummary::of(model, within),
        group_by,
        totals: total.figures(target_of(within_id)),
        weekly,
        groups,
        without_reception,
    })
}

#[derive(Debug, Default)]
pub struct TrainingViews;

#[Object]
impl TrainingViews {
    /// Training programmes, in id order.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateTime<Utc>>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<Programme>> {
        let (_, at, _) = open(ctx, as_of, None).await?;
        let args = PageArgs::new(after, before, first, last);
        Ok(at.read(|model| {
            let all = model
                .training
                .programmes
                .values()
                .map(|p| Programme::of(model, p))
                .collect();
            args.page(all)
        })?)
    }

    /// How far a programme has rolled out within an area (yours when not given),
    /// grouped by region, ICB, PCN or practice.
    async fn training_rollout(
        &self,
        ctx: &Context<'_>,
        programme: String,
        group_by: AreaLevel,
        within: Option<String>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
    ) -> async_graphql::Result<TrainingRollout> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let scope = Scope::new(&caller.principal);
        let within = default_area(&scope, within);
        Ok(at.read(|model| -> Result<TrainingRollout> {
            scope.require_training(&model.tree.index(), &within, date)?;
            rollout(model, programme.trim(), group_by, &within, date)
        })?)
    }
}
