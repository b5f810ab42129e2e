//! `responsibilityGaps`: coverage by unit of ownership (DESIGN.md §5). For each live duty
//! and each level it must be owned at inside the area, how many units there are and how
//! many carry each flag; the units themselves, filtered by flag and paginated; the roll-up
//! by region, ICB or PCN (the heat map); and who owns each level above the area.

use std::collections::BTreeMap;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use proto::v1 as pb;

use super::eager::{Eagerly, eager_object};
use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use super::responsibilities::{Assignment, DutySummary, Misattribution, assignment};
use super::{AreaLevel, open};
use crate::error::Result;
use crate::model::ReadModel;
use crate::model::coverage::{self as model_c, CoverageFlag, DutyCoverage, Filter, UnitCoverage};
use crate::model::responsibility as model_r;
use crate::model::tree::TreeIndex;
use crate::vocabulary::{Level, RaciRole};

/// How many units carry one flag.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct FlagCount {
    pub flag: CoverageFlag,
    pub units: usize,
}

/// One unit of ownership (a practice, an ICB, England) for one duty at one level: its
/// flags and what they come from.
#[derive(Debug, Clone, SimpleObject)]
pub struct UnitOwnership {
    pub unit: OrganisationSummary,
    pub flags: Vec<CoverageFlag>,
    /// Accepted Responsible owners covering the unit (its own, or its PCN's or region's).
    pub responsible: Vec<OrganisationSummary>,
    pub accountable: Vec<OrganisationSummary>,
    /// Proposals waiting for an answer.
    pub pending: Vec<Assignment>,
    /// Declines that still stand: nothing of their role accepted since.
    pub declined: Vec<Assignment>,
    /// Beliefs about an owner who has not accepted the duty for this unit.
    pub misattributions: Vec<Misattribution>,
}

eager_object!(UnitOwnership {
    "unit" => unit,
    "flags" => flags,
    "responsible" => responsible,
    "accountable" => accountable,
    "pending" => pending,
    "declined" => declined,
    "misattributions" => misattributions,
});

/// The units of one duty and level that lie in one area of the roll-up.
#[derive(Debug, Clone, SimpleObject)]
pub struct AreaCoverage {
    pub area: OrganisationSummary,
    pub units: usize,
    /// One entry per flag, in the order of `CoverageFlag`.
    pub counts: Vec<FlagCount>,
}

eager_object!(FlagCount { "flag" => flag, "units" => units });
eager_object!(AreaCoverage {
    "area" => area,
    "units" => units,
    "counts" => counts,
});

/// One duty at one level over the units of the area.
#[derive(SimpleObject)]
#[allow(missing_debug_implementations)] // async-graphql's Connection is not Debug
pub struct DutyLevelCoverage {
    pub duty: DutySummary,
    pub level: Level,
    /// How many units of ownership the area holds at this level.
    pub units: usize,
    /// One entry per flag, in the order of `CoverageFlag`.
    pub counts: Vec<FlagCount>,
    /// The units, filtered by the query's `flag`, a page at a time.
    pub by_unit: Page<Eagerly<UnitOwnership>>,
    /// The same units grouped by the area they lie in (`groupBy`): the heat map.
    pub by_area: Vec<Eagerly<AreaCoverage>>,
}

/// Who owns a duty at a level above the area: context, not a gap of the area.
#[derive(Debug, Clone, SimpleObject)]
pub struct OwnedAbove {
    pub duty: DutySummary,
    pub level: Level,
    /// The unit of that level the area lies in (its ICB, or England).
    pub unit: Option<OrganisationSummary>,
    pub responsible: Vec<OrganisationSummary>,
    pub accountable: Vec<OrganisationSummary>,
}

#[derive(SimpleObject)]
#[allow(missing_debug_implementations)] // holds connections
pub struct ResponsibilityCoverage {
    pub area: OrganisationSummary,
    /// The day the tree and the owners are taken on.
    pub on_date: NaiveDate,
    /// One entry per live duty and level with units inside the area.
    pub coverage: Vec<DutyLevelCoverage>,
    /// The levels above the area, each with who owns it there.
    pub above: Vec<OwnedAbove>,
}

fn duty_summary(duty: &model_r::Duty) -> DutySummary {
    DutySummary {
        id: duty.id.clone(),
        title: duty.title.clone(),
    }
}

fn owners(model: &ReadModel, assignments: &[&model_r::Assignment]) -> Vec<OrganisationSummary> {
    assignments
        .iter()
        .map(|a| OrganisationSummary::of(model, &a.assignee_code))
        .collect()
}

fn counts<'a>(units: impl Iterator<Item = &'a UnitCoverage<'a>> + Clone) -> Vec<FlagCount> {
    CoverageFlag::ALL
        .iter()
        .map(|&flag| FlagCount {
            flag,
            units: units.clone().filter(|u| u.has(flag)).count(),
        })
        .collect()
}

fn unit_ownership(
    model: &ReadModel,
    index: &TreeIndex,
    unit: &UnitCoverage<'_>,
    date: NaiveDate,
) -> UnitOwnership {
    UnitOwnership {
        unit: OrganisationSummary::of(model, index.code(unit.unit)),
        flags: unit.flags.to_vec(),
        responsible: owners(model, &unit.responsible),
        accountable: owners(model, &unit.accountable),
        pending: unit
            .pending
            .iter()
            .map(|a| assignment(model, a, date))
            .collect(),
        declined: unit
            .declined
            .iter()
            .map(|a| assignment(model, a, date))
            .collect(),
        misattributions: unit
            .misattributions
            .iter()
            .map(|b| Misattribution {
                attributed_by: OrganisationSummary::of(model, &b.attributed_by_code),
                believed_owner: OrganisationSummary::of(model, &b.believed_owner_code),
                role: RaciRole::from_proto(b.role),
                at: b.at,
            })
            .collect(),
    }
}

/// The roll-up of `entry`'s units by the organisation of `kind` each lies in on `date`
/// (a unit of that kind or above it stands for itself), in code order. `group_of`, by
/// the tree's dense ids, keeps each unit's group across the duties of one answer.
fn by_area(
    model: &ReadModel,
    index: &TreeIndex,
    entry: &DutyCoverage<'_>,
    kind: pb::OrganisationKind,
    date: NaiveDate,
    group_of: &mut [Option<u32>],
) -> Vec<Eagerly<AreaCoverage>> {
    // Dense ids follow code order, so a map keyed by id is in code order.
    let mut groups: BTreeMap<u32, (usize, [usize; CoverageFlag::ALL.len()])> = BTreeMap::new();
    for unit in &entry.units {
        let slot = &mut group_of[unit.unit as usize];
        let group =
            *slot.get_or_insert_with(|| index.ancestor(unit.unit, kind, date).unwrap_or(unit.unit));
        let (units, counts) = groups.entry(group).or_default();
        *units += 1;
        for flag in unit.flags.iter() {
            counts[flag as usize] += 1;
        }
    }
    groups
        .into_iter()
        .map(|(group, (units, counts))| {
            Eagerly(AreaCoverage {
                area: OrganisationSummary::of(model, index.code(group)),
                units,
                counts: CoverageFlag::ALL
                    .iter()
                    .map(|&flag| FlagCount {
                        flag,
                        units: counts[flag as usize],
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The roll-up a question gets when it names none: one level below the area.
fn default_group(kind: pb::OrganisationKind) -> AreaLevel {
    use pb::OrganisationKind as K;
    match kind {
        K::NationalBody => AreaLevel::Region,
        K::Region => AreaLevel::Icb,
        K::Icb | K::SubIcb => AreaLevel::Pcn,
        _ => AreaLevel::Practice,
    }
}

/// The whole answer for `area` on `date`; `by_unit` and `by_area` are built only when the
/// query selects them, so a heat map does not pay for thousands of unit rows.
#[derive(Debug)]
pub struct Question<'q> {
    pub area: &'q str,
    pub date: NaiveDate,
    pub filter: Filter<'q>,
    pub flag: Option<CoverageFlag>,
    pub group_by: Option<AreaLevel>,
    pub page: &'q PageArgs,
    pub want_units: bool,
    pub want_areas: bool,
}

impl<'q> Question<'q> {
    /// Every duty and level, every unit and the default roll-up: what the tests compare.
    pub fn every_unit(area: &'q str, date: NaiveDate, page: &'q PageArgs) -> Self {
        Self {
            area,
            date,
            filter: Filter::default(),
            flag: None,
            group_by: None,
            page,
            want_units: true,
            want_areas: true,
        }
    }
}

pub fn answer(model: &ReadModel, question: &Question<'_>) -> Result<ResponsibilityCoverage> {
    let index = model.tree.index();
    let area = super::area(&index, "area", question.area)?;
    let date = question.date;
    let coverage = model_c::coverage(model, &index, area, date, question.filter);
    let group_kind = question
        .group_by
        .unwrap_or_else(|| default_group(index.kind(area)))
        .kind();
    let mut entries = Vec::with_capacity(coverage.entries.len());
    let mut group_of = vec![None; index.len()];
    for entry in &coverage.entries {
        let by_unit = if question.want_units {
            let rows: Vec<&UnitCoverage<'_>> = entry
                .units
                .iter()
                .filter(|u| question.flag.is_none_or(|f| u.has(f)))
                .collect();
            question.page.page_with(rows.len(), |range| {
                rows[range]
                    .iter()
                    .map(|u| Eagerly(unit_ownership(model, &index, u, date)))
                    .collect()
            })?
        } else {
            question.page.page(Vec::new())?
        };
        entries.push(DutyLevelCoverage {
            duty: duty_summary(entry.duty),
            level: Level::from_proto(entry.level as i32).unwrap_or(Level::Local),
            units: entry.units.len(),
            counts: counts(entry.units.iter()),
            by_unit,
            by_area: if question.want_areas {
                by_area(model, &index, entry, group_kind, date, &mut group_of)
            } else {
                Vec::new()
            },
        });
    }
    let above = coverage
        .above
        .iter()
        .map(|a| OwnedAbove {
            duty: duty_summary(a.duty),
            level: Level::from_proto(a.level as i32).unwrap_or(Level::Local),
            unit: a
                .unit
                .map(|u| OrganisationSummary::of(model, index.code(u))),
            responsible: owners(model, &a.responsible),
            accountable: owners(model, &a.accountable),
        })
        .collect();
    Ok(ResponsibilityCoverage {
        area: OrganisationSummary::of(model, question.area),
        on_date: date,
        coverage: entries,
        above,
    })
}

#[derive(Debug, Default)]
pub struct CoverageViews;

#[Object]
impl CoverageViews {
    /// For every live duty and each level it must be owned at inside `area`: its units of
    /// ownership (each open practice for LOCAL, each ICB for REGIONAL, England for
    /// NATIONAL), how many carry each flag, the units themselves (`flag` filters them,
    /// the page arguments page them), the roll-up by `groupBy` (by default one level
    /// below the area), and who owns the levels above the area.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn responsibility_gaps(
        &self,
        ctx: &Context<'_>,
        area: String,
        level: Option<Level>,
        duty: Option<String>,
        flag: Option<CoverageFlag>,
        group_by: Option<AreaLevel>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<ResponsibilityCoverage> {
        let (_, at, date) = open(ctx, as_of, on_date).await?;
        let page = PageArgs::new(after, before, first, last);
        let area = area.trim().to_owned();
        let duty = duty.map(|d| d.trim().to_owned());
        let selection = ctx.look_ahead().field("coverage");
        let question = Question {
            area: &area,
            date,
            filter: Filter {
                duty: duty.as_deref(),
                level: level.map(pb::Level::from),
            },
            flag,
            group_by,
            page: &page,
            want_units: selection.field("byUnit").exists(),
            want_areas: selection.field("byArea").exists(),
        };
        Ok(at.read(|model| {
            if let Some(duty) = question.filter.duty {
                super::require_duty(model, "duty", duty)?;
            }
            answer(model, &question)
        })?)
    }
}
