//! How far training has rolled out: by region, ICB, PCN or practice, against the target,
//! by staff role, week by week, and which practices have no trained reception staff.

use std::collections::BTreeMap;

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use proto::v1 as pb;

use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use super::{AreaLevel, TreeAt, default_area, open, percent};
use crate::error::{GatewayError, Result};
use crate::model::ReadModel;
use crate::model::training::{Programme as ModelProgramme, Target, Trainee};
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
    /// People in post in the role, at the practices that reported it.
    pub staff_in_post: u64,
}

/// Staff trained in one area (or all of `within`), against staff in post and the target.
#[derive(Debug, Clone, Default, PartialEq, SimpleObject)]
pub struct RolloutFigures {
    pub practices: u64,
    pub enrolled: u64,
    pub completed: u64,
    /// Completed as a share of enrolled, in percent: how far those who started got, not
    /// how far the rollout is (that is `percentTrained`).
    pub percent_completed: f64,
    /// People in post in the programme's audience roles, at practices that reported them.
    pub staff_in_post: u64,
    /// Of them, those who completed the programme (never more than in post, per practice
    /// and role).
    pub trained: u64,
    /// `trained` ÷ `staffInPost`, in percent; null when no practice reported staff in post.
    pub percent_trained: Option<f64>,
    /// Practices that reported no staff in post in the audience roles: left out of
    /// `percentTrained` rather than guessed.
    pub practices_without_denominator: u64,
    pub target_percent: u32,
    pub deadline: Option<NaiveDate>,
    /// Where the straight line from the launch (0%) to the target by the deadline stands
    /// on the day asked about.
    pub expected_percent: f64,
    /// `percentTrained` is at or above `expectedPercent`; false when it is null.
    pub on_track: bool,
    pub practices_with_trained_reception: u64,
    pub practices_without_trained_reception: u64,
    pub by_role: Vec<RoleFigures>,
}

/// One ISO week: enrolments and completions that week, the running totals at its end,
/// and the share trained then against the line to the target.
#[derive(Debug, Clone, Default, PartialEq, SimpleObject)]
pub struct RolloutWeek {
    /// The Monday the week starts on.
    pub week_starting: NaiveDate,
    pub enrolled: u64,
    pub completed: u64,
    pub cumulative_enrolled: u64,
    pub cumulative_completed: u64,
    /// Staff in post in the audience roles at the week's end, and of them those trained.
    pub staff_in_post: u64,
    pub trained: u64,
    pub percent_trained: Option<f64>,
    pub expected_percent: f64,
}

#[derive(Debug, Clone, PartialEq, SimpleObject)]
pub struct RolloutGroup {
    pub area: OrganisationSummary,
    pub figures: RolloutFigures,
    /// The group's weeks from the launch to the day asked about (empty unless asked for:
    /// it is computed only when a query selects it).
    pub weekly: Vec<RolloutWeek>,
}

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct TrainingRollout {
    pub programme: Programme,
    pub within: OrganisationSummary,
    pub group_by: AreaLevel,
    /// The day the figures are for.
    pub on_date: NaiveDate,
    /// Which tree placed the practices.
    pub tree_at: TreeAt,
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

/// Where the straight line from `launched` (0%) to `target` by its deadline stands on
/// `date`, in percent.
fn expected(launched: NaiveDate, target: Target, date: NaiveDate) -> f64 {
    let full = f64::from(target.percent);
    let Some(deadline) = target.deadline.filter(|d| *d > launched) else {
        return full;
    };
    if date <= launched {
        return 0.0;
    }
    if date >= deadline {
        return full;
    }
    let share = (date - launched).num_days() as f64 / (deadline - launched).num_days() as f64;
    (full * share * 10.0).round() / 10.0
}

/// One practice's figures on one day.
#[derive(Debug, Default, Clone, Copy)]
struct Day {
    staff_in_post: u64,
    trained: u64,
    reported: bool,
}

/// One practice's audience roles, looked up once and then read on any day: per role the
/// headcounts it reported (oldest first) and the days its staff in that role completed
/// (in order). The weekly series reads it once a week since launch, for every practice.
struct PracticeStaff<'a> {
    roles: Vec<RoleStaff<'a>>,
}

/// (role, headcounts reported as (as of, headcount), completion days)
type RoleStaff<'a> = (i32, &'a [(NaiveDate, u32)], Vec<NaiveDate>);

impl<'a> PracticeStaff<'a> {
    fn of(
        training: &'a crate::model::training::Training,
        audience: &[i32],
        code: &str,
        trainees: &[Trainee],
    ) -> Self {
        let reports = training.staff_in_post.get(code);
        let roles = audience
            .iter()
            .filter_map(|role| {
                let reported = reports?.get(role)?;
                let mut completed: Vec<NaiveDate> = trainees
                    .iter()
                    .filter(|t| t.role == *role)
                    .filter_map(|t| t.completed_on)
                    .collect();
                completed.sort_unstable();
                Some((*role, reported.as_slice(), completed))
            })
            .collect();
        Self { roles }
    }

    /// Per audience role reported by `date`: (role, the latest headcount, the trained by
    /// then, at most that headcount).
    fn roles_on(&self, date: NaiveDate) -> impl Iterator<Item = (i32, u64, u64)> + '_ {
        self.roles
            .iter()
            .filter_map(move |(role, reports, completed)| {
                let known = reports.partition_point(|(as_of, _)| *as_of <= date);
                let in_post = u64::from(reports.get(known.checked_sub(1)?)?.1);
                let trained = completed.partition_point(|d| *d <= date) as u64;
                Some((*role, in_post, trained.min(in_post)))
            })
    }

    fn day(&self, date: NaiveDate) -> Day {
        self.roles_on(date)
            .fold(Day::default(), |mut day, (_, in_post, trained)| {
                day.reported = true;
                day.staff_in_post += in_post;
                day.trained += trained;
                day
            })
    }
}

#[derive(Debug, Default)]
struct Tally {
    practices: u64,
    with_reception: u64,
    without_denominator: u64,
    staff_in_post: u64,
    trained: u64,
    /// role → (enrolled, completed, in post)
    by_role: BTreeMap<i32, (u64, u64, u64)>,
}

impl Tally {
    fn figures(&self, target: Target, launched: NaiveDate, date: NaiveDate) -> RolloutFigures {
        let enrolled = self.by_role.values().map(|r| r.0).sum::<u64>();
        let completed = self.by_role.values().map(|r| r.1).sum::<u64>();
        let percent_trained = percent(self.trained, self.staff_in_post);
        let expected_percent = expected(launched, target, date);
        RolloutFigures {
            practices: self.practices,
            enrolled,
            completed,
            percent_completed: percent(completed, enrolled).unwrap_or(0.0),
            staff_in_post: self.staff_in_post,
            trained: self.trained,
            percent_trained,
            practices_without_denominator: self.without_denominator,
            target_percent: target.percent,
            deadline: target.deadline,
            expected_percent,
            on_track: percent_trained.is_some_and(|p| p >= expected_percent),
            practices_with_trained_reception: self.with_reception,
            practices_without_trained_reception: self.practices - self.with_reception,
            by_role: self
                .by_role
                .iter()
                .map(|(role, (enrolled, completed, in_post))| RoleFigures {
                    role: StaffRole::from_proto(*role),
                    enrolled: *enrolled,
                    completed: *completed,
                    staff_in_post: *in_post,
                })
                .collect(),
        }
    }
}

/// A week's totals for one area: (enrolled, completed that week; in post, trained at
/// its end).
type WeekFigures = (u64, u64, u64, u64);

fn week_of(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The rollout of `programme` over the practices within `within` on `date`, each figure
/// placed by the tree of its own day, with every weekly series.
pub fn rollout(
    model: &ReadModel,
    programme: &str,
    group_by: AreaLevel,
    within: &str,
    date: NaiveDate,
) -> Result<TrainingRollout> {
    let both = Series {
        totals: true,
        groups: true,
    };
    rollout_placed(
        model,
        programme,
        group_by,
        within,
        date,
        TreeAt::FactDate,
        both,
    )
}

/// Which weekly series a query asks for: each costs a pass over every week since launch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Series {
    pub totals: bool,
    pub groups: bool,
}

/// [`rollout`], placed by `tree_at`, with the weekly series `series` asks for.
pub fn rollout_placed(
    model: &ReadModel,
    programme: &str,
    group_by: AreaLevel,
    within: &str,
    date: NaiveDate,
    tree_at: TreeAt,
    series_wanted: Series,
) -> Result<TrainingRollout> {
    let p = model.training.programme(programme).ok_or_else(|| {
        GatewayError::NotFound(format!(
            "programme: no training programme has the id or code {}",
            domain::values::excerpt(programme)
        ))
    })?;
    let placed = tree_at.placer();
    let index = model.tree.index();
    let within_id = super::area(&index, "within", within)?;
    let staff = model.training.trainees.get(p.id.as_str());
    let audience: Vec<i32> = p.audience_roles.clone();
    let launched = p.launched_on;
    let weeks: Vec<NaiveDate> =
        if launched > date || !(series_wanted.totals || series_wanted.groups) {
            Vec::new()
        } else {
            std::iter::successors(Some(week_of(launched)), |w| {
                Some(*w + chrono::Duration::days(7)).filter(|next| *next <= date)
            })
            .collect()
        };
    let mut total = Tally::default();
    let mut groups: BTreeMap<u32, Tally> = BTreeMap::new();
    // Per week since launch, in order: (enrolled, completed that week; in post, trained
    // at its end), for all of `within` and per group.
    // A week holds figures only once a practice counts in it.
    let mut total_weeks: Vec<Option<WeekFigures>> = vec![None; weeks.len()];
    let mut group_weeks_tally: BTreeMap<u32, Vec<Option<WeekFigures>>> = BTreeMap::new();
    let mut without_reception = Vec::new();
    let mut started_in_week: Vec<(u64, u64)> = vec![(0, 0); weeks.len()];
    for id in index.all_of(Some(pb::OrganisationKind::Practice)) {
        let code = index.code(id);
        let Some(org) = model.tree.get(code) else {
            continue;
        };
        let trainees = staff
            .and_then(|s| s.get(code))
            .map_or(&[][..], Vec::as_slice);
        let practice = PracticeStaff::of(&model.training, &audience, code, trainees);
        // The weekly series: each week's end places the practice by that week's tree.
        if !weeks.is_empty() {
            started_in_week.fill((0, 0));
            let week_index =
                |d: NaiveDate| weeks.binary_search(&week_of(d)).ok().filter(|_| d <= date);
            for t in trainees {
                if let Some(w) = t.enrolled_on.and_then(week_index) {
                    started_in_week[w].0 += 1;
                }
                if let Some(w) = t.completed_on.and_then(week_index) {
                    started_in_week[w].1 += 1;
                }
            }
        }
        for (w, week) in weeks.iter().enumerate() {
            let end = (*week + chrono::Duration::days(6)).min(date);
            if !org.is_active_on(end) || !index.lineage(id, placed(end)).contains(&within_id) {
                continue;
            }
            let day = practice.day(end);
            let (enrolled, completed) = started_in_week[w];
            let add = |slot: &mut Option<WeekFigures>| {
                let figures = slot.get_or_insert_default();
                figures.0 += enrolled;
                figures.1 += completed;
                figures.2 += day.staff_in_post;
                figures.3 += day.trained;
            };
            add(&mut total_weeks[w]);
            if series_wanted.groups
                && let Some(group) = index.ancestor(id, group_by.kind(), placed(end))
            {
                add(&mut group_weeks_tally
                    .entry(group)
                    .or_insert_with(|| vec![None; weeks.len()])[w]);
            }
        }
        let on = placed(date);
        if !index.lineage(id, on).contains(&within_id) || !org.is_active_on(date) {
            continue;
        }
        let day = practice.day(date);
        let in_post: Vec<(i32, u64, u64)> = practice.roles_on(date).collect();
        let reception = trainees.iter().any(|t| {
            t.completed_on.is_some_and(|d| d <= date)
                && RECEPTION.iter().any(|r| *r as i32 == t.role)
        });
        let mut tallies: Vec<&mut Tally> = vec![&mut total];
        if let Some(group) = index.ancestor(id, group_by.kind(), on) {
            tallies.push(groups.entry(group).or_default());
        }
        for tally in tallies {
            tally.practices += 1;
            tally.with_reception += u64::from(reception);
            tally.without_denominator += u64::from(!day.reported);
            tally.staff_in_post += day.staff_in_post;
            tally.trained += day.trained;
            // Who had enrolled by `date`: a later enrolment is not yet part of that day.
            for trainee in trainees
                .iter()
                .filter(|t| t.enrolled_on.is_none_or(|d| d <= date))
            {
                let entry = tally.by_role.entry(trainee.role).or_default();
                entry.0 += 1;
                entry.1 += u64::from(trainee.completed_on.is_some_and(|d| d <= date));
            }
            for (role, staff, _) in &in_post {
                tally.by_role.entry(*role).or_default().2 += staff;
            }
        }
        if !reception {
            without_reception.push(OrganisationSummary::of(model, code));
        }
    }
    let target_of = |area: u32| {
        model.training.target_for(
            p,
            index
                .lineage(area, placed(date))
                .iter()
                .map(|a| index.code(*a)),
        )
    };
    let series = |tally: Vec<Option<WeekFigures>>, target: Target| -> Vec<RolloutWeek> {
        let (mut enrolled, mut completed) = (0, 0);
        weeks
            .iter()
            .zip(tally)
            .filter_map(|(week, figures)| Some((*week, figures?)))
            .map(|(week, (e, c, in_post, trained))| {
                enrolled += e;
                completed += c;
                let end = (week + chrono::Duration::days(6)).min(date);
                RolloutWeek {
                    week_starting: week,
                    enrolled: e,
                    completed: c,
                    cumulative_enrolled: enrolled,
                    cumulative_completed: completed,
                    staff_in_post: in_post,
                    trained,
                    percent_trained: percent(trained, in_post),
                    expected_percent: expected(launched, target, end),
                }
            })
            .collect()
    };
    let mut groups: Vec<RolloutGroup> = groups
        .into_iter()
        .map(|(id, tally)| {
            let target = target_of(id);
            RolloutGroup {
                area: OrganisationSummary::of(model, index.code(id)),
                figures: tally.figures(target, launched, date),
                weekly: series(group_weeks_tally.remove(&id).unwrap_or_default(), target),
            }
        })
        .collect();
    groups.sort_by(|a, b| a.area.code.cmp(&b.area.code));
    let target = target_of(within_id);
    Ok(TrainingRollout {
        programme: Programme::of(model, p),
        within: OrganisationSummary::of(model, within),
        group_by,
        on_date: date,
        tree_at,
        totals: total.figures(target, launched, date),
        weekly: series(total_weeks, target),
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

    /// How far a programme (by its code, e.g. `DFE-2027`, or its id) has rolled out within
    /// an area (yours when not given), grouped by region, ICB, PCN or practice: staff
    /// trained against staff in post, against the straight line to the target, week by
    /// week. `treeAt: TODAY` places every week's practices in today's tree.
    #[allow(clippy::too_many_arguments)]
    async fn training_rollout(
        &self,
        ctx: &Context<'_>,
        programme: String,
        group_by: AreaLevel,
        within: Option<String>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        #[graphql(default)] tree_at: TreeAt,
    ) -> async_graphql::Result<TrainingRollout> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let scope = Scope::new(&caller.principal);
        let within = default_area(&scope, within);
        // Weekly series only when the query selects them: by practice across England they
        // would be tens of thousands of weeks nobody asked for.
        let ahead = ctx.look_ahead();
        let series = Series {
            totals: ahead.field("weekly").exists(),
            groups: ahead
                .field("groups")
                .field("nodes")
                .field("weekly")
                .exists()
                || ahead
                    .field("groups")
                    .field("edges")
                    .field("node")
                    .field("weekly")
                    .exists(),
        };
        Ok(at.read(|model| -> Result<TrainingRollout> {
            scope.require_training(&model.tree.index(), &within, date)?;
            rollout_placed(
                model,
                programme.trim(),
                group_by,
                &within,
                date,
                tree_at,
                series,
            )
        })?)
    }
}
