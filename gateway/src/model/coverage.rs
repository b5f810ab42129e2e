//! Responsibility coverage by unit of ownership (DESIGN.md §5): for each live duty and each
//! level it must be owned at, every unit of that level inside an area (each open practice
//! for LOCAL, each ICB for REGIONAL, England for NATIONAL) with every flag that applies.
//!
//! A unit is covered by accepted assignments made for itself or for the organisation
//! directly above it that owns at the same level: a PCN's assignment covers its member
//! practices, a region's covers its ICBs. Flags are not exclusive, so a covered practice
//! that someone believes is owned by another organisation is both `COVERED` and
//! `MISATTRIBUTED`: nothing hides anything else.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use proto::v1::{Level, OrganisationKind, RaciRole};
use serde::{Deserialize, Serialize};

use super::ReadModel;
use super::responsibility::{Assignment, AssignmentStatus, Attribution, Duty};
use super::tree::TreeIndex;

// One type for the model and the API (a doc comment would become the API's description).
// Declared in the order the flags are listed and counted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
pub enum CoverageFlag {
    // No accepted Responsible covers the unit.
    MissingResponsible,
    // No accepted Accountable covers the unit.
    MissingAccountable,
    // More than one organisation accepted being Accountable.
    Contested,
    // A proposal was declined and nothing of that role was accepted since.
    Declined,
    // A proposal waits for its answer.
    Pending,
    // Someone believes an organisation owns it that has not accepted it.
    Misattributed,
    // An accepted Responsible and an accepted Accountable.
    Covered,
}

impl CoverageFlag {
    pub const ALL: [CoverageFlag; 7] = [
        Self::MissingResponsible,
        Self::MissingAccountable,
        Self::Contested,
        Self::Declined,
        Self::Pending,
        Self::Misattributed,
        Self::Covered,
    ];
}

/// The flags one unit carries: a set small enough to copy, because a national roll-up
/// judges every practice for every duty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagSet(u8);

impl FlagSet {
    pub fn has(self, flag: CoverageFlag) -> bool {
        self.0 & (1 << flag as u8) != 0
    }

    fn with(self, flag: CoverageFlag, on: bool) -> Self {
        Self(self.0 | (u8::from(on) << flag as u8))
    }

    /// In the order of [`CoverageFlag::ALL`].
    pub fn iter(self) -> impl Iterator<Item = CoverageFlag> {
        CoverageFlag::ALL.into_iter().filter(move |f| self.has(*f))
    }

    pub fn to_vec(self) -> Vec<CoverageFlag> {
        self.iter().collect()
    }
}

/// The kind of organisation that is the unit of ownership at `level`, and the kind above
/// it whose assignments also cover it.
fn unit_kinds(level: Level) -> Option<(OrganisationKind, Option<OrganisationKind>)> {
    match level {
        Level::Local => Some((OrganisationKind::Practice, Some(OrganisationKind::Pcn))),
        Level::Regional => Some((OrganisationKind::Icb, Some(OrganisationKind::Region))),
        Level::National => Some((OrganisationKind::NationalBody, None)),
        Level::Unspecified => None,
    }
}

/// One unit of ownership for one duty at one level, and why it carries its flags.
#[derive(Debug, Clone)]
pub struct UnitCoverage<'a> {
    pub unit: u32,
    pub flags: FlagSet,
    pub responsible: Vec<&'a Assignment>,
    pub accountable: Vec<&'a Assignment>,
    pub pending: Vec<&'a Assignment>,
    pub declined: Vec<&'a Assignment>,
    pub misattributions: Vec<&'a Attribution>,
}

impl UnitCoverage<'_> {
    pub fn has(&self, flag: CoverageFlag) -> bool {
        self.flags.has(flag)
    }
}

/// One duty at one level over the units of an area.
#[derive(Debug, Clone)]
pub struct DutyCoverage<'a> {
    pub duty: &'a Duty,
    pub level: Level,
    /// In code order.
    pub units: Vec<UnitCoverage<'a>>,
}

impl DutyCoverage<'_> {
    /// Units carrying each flag, in the order of [`CoverageFlag::ALL`].
    pub fn counts(&self) -> [(CoverageFlag, usize); 7] {
        CoverageFlag::ALL.map(|flag| (flag, self.units.iter().filter(|u| u.has(flag)).count()))
    }
}

/// Who owns a duty at a level above the area: context, not a gap of the area.
#[derive(Debug, Clone)]
pub struct OwnedAbove<'a> {
    pub duty: &'a Duty,
    pub level: Level,
    /// The unit above the area at that level (its ICB, or England), if the tree has one.
    pub unit: Option<u32>,
    pub responsible: Vec<&'a Assignment>,
    pub accountable: Vec<&'a Assignment>,
}

/// What [`coverage`] answers for one area on one date.
#[derive(Debug, Clone, Default)]
pub struct Coverage<'a> {
    pub entries: Vec<DutyCoverage<'a>>,
    pub above: Vec<OwnedAbove<'a>>,
}

/// Which duties and levels a question is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'q> {
    pub duty: Option<&'q str>,
    pub level: Option<Level>,
}

/// Coverage of every live duty at every level it must be owned at, for the units inside
/// `area` as the tree stood on `date`; levels with no unit inside the area come as
/// [`OwnedAbove`] context.
pub fn coverage<'a>(
    model: &'a ReadModel,
    index: &TreeIndex,
    area: u32,
    date: NaiveDate,
    filter: Filter<'_>,
) -> Coverage<'a> {
    let mut answer = Coverage::default();
    // A national roll-up asks about every practice for every duty: the units of a level
    // and the claims on their covering areas are found once, not once per duty.
    let mut units_of: HashMap<Level, Vec<(u32, Vec<u32>)>> = HashMap::new();
    let mut claims_of: HashMap<Level, Claims<'a>> = HashMap::new();
    let duty_numbers = DutyNumbers::of(model);
    // Each duty and level whose units lie inside the area, judged once all are known.
    let mut work: Vec<(&'a Duty, u32, Level)> = Vec::new();
    let duties = model
        .responsibility
        .duties
        .values()
        .filter(|d| d.is_live_on(date))
        .filter(|d| filter.duty.is_none_or(|id| d.id == id));
    for duty in duties {
        let number = duty_numbers.of_id(&duty.id);
        for level in duty
            .required_levels
            .iter()
            .filter_map(|l| Level::try_from(*l).ok())
        {
            if filter.level.is_some_and(|l| l != level) {
                continue;
            }
            let Some((unit_kind, _)) = unit_kinds(level) else {
                continue;
            };
            let units = units_of.entry(level).or_insert_with(|| {
                units_within(model, index, area, unit_kind, date)
                    .into_iter()
                    .map(|u| (u, covering_ids(index, u, level, date)))
                    .collect()
            });
            if units.is_empty() {
                let unit = index.ancestor(area, unit_kind, date);
                let owners = unit.map(|u| {
                    let areas = covering_ids(index, u, level, date);
                    let codes: Vec<&str> = areas.iter().map(|a| index.code(*a)).collect();
                    let claims = Claims::on(model, index, &codes, level, &duty_numbers);
                    owners(
                        model,
                        index,
                        (duty, number),
                        level,
                        (u, &areas),
                        &claims,
                        date,
                    )
                });
                let (responsible, accountable) = owners
                    .map(|o| (o.responsible, o.accountable))
                    .unwrap_or_default();
                answer.above.push(OwnedAbove {
                    duty,
                    level,
                    unit,
                    responsible,
                    accountable,
                });
                continue;
            }
            claims_of.entry(level).or_insert_with(|| {
                let areas: BTreeSet<&str> = units
                    .iter()
                    .flat_map(|(_, areas)| areas.iter().map(|a| index.code(*a)))
                    .collect();
                let areas: Vec<&str> = areas.into_iter().collect();
                Claims::on(model, index, &areas, level, &duty_numbers)
            });
            work.push((duty, number, level));
        }
    }
    // Most units have no claim at all for a duty and carry what no claim gives; only the
    // units a claim's area reaches (a practice itself, a PCN's members) are judged one by
    // one.
    let reach_of: HashMap<Level, FastMap<u32, Vec<usize>>> = claims_of
        .keys()
        .map(|level| {
            let mut reach: FastMap<u32, Vec<usize>> = FastMap::default();
            for (i, (_, areas)) in units_of[level].iter().enumerate() {
                for area in areas {
                    reach.entry(*area).or_default().push(i);
                }
            }
            (*level, reach)
        })
        .collect();
    let judgements: usize = work.iter().map(|(_, _, level)| units_of[level].len()).sum();
    answer.entries = judged(&work, judgements, |&(duty, number, level)| {
        let claims = &claims_of[&level];
        let units = &units_of[&level];
        let judge = |(unit, areas): &(u32, Vec<u32>), claims: &Claims<'a>| {
            owners(
                model,
                index,
                (duty, number),
                level,
                (*unit, areas),
                claims,
                date,
            )
        };
        let mut reached: Vec<usize> = claims
            .areas_of(number)
            .iter()
            .filter_map(|area| reach_of[&level].get(area))
            .flatten()
            .copied()
            .collect();
        reached.sort_unstable();
        reached.dedup();
        let mut judged: Vec<UnitCoverage<'a>> = match units.first() {
            Some(first) => {
                let unclaimed = judge(first, &Claims::default());
                units
                    .iter()
                    .map(|(unit, _)| UnitCoverage {
                        unit: *unit,
                        ..unclaimed.clone()
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        for i in reached {
            judged[i] = judge(&units[i], claims);
        }
        DutyCoverage {
            duty,
            level,
            units: judged,
        }
    });
    answer
}

/// How many units to judge make it worth using every core: a national roll-up covers
/// every practice for every local duty (about 70,000 on the demo); a single ICB's few
/// thousand are done before a thread would start.
const PARALLEL_FROM: usize = 20_000;

/// `judge` applied to each of `work`, in order; on every core when `judgements` (the
/// units all of `work` covers) reach [`PARALLEL_FROM`]. Work is dealt out in turn, since
/// items of one level cost alike and the levels come in runs.
fn judged<T: Sync, R: Send>(
    work: &[T],
    judgements: usize,
    judge: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || judgements < PARALLEL_FROM || work.len() < 2 {
        return work.iter().map(judge).collect();
    }
    let hands = cores.min(work.len());
    let hand = |k: usize| -> Vec<(usize, R)> {
        work.iter()
            .enumerate()
            .skip(k)
            .step_by(hands)
            .map(|(i, item)| (i, judge(item)))
            .collect()
    };
    let mut dealt: Vec<(usize, R)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..hands).map(|k| scope.spawn(move || hand(k))).collect();
        let mut all = hand(0);
        for other in others {
            // A panic in a judgement is the caller's, as it would be on one core.
            all.extend(
                other
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        all
    });
    dealt.sort_unstable_by_key(|(i, _)| *i);
    dealt.into_iter().map(|(_, r)| r).collect()
}

/// Each duty's number for one answer: claims are keyed by numbers, not by the duty's
/// id, because every unit of a national roll-up looks itself up once per duty and
/// hashing a number is a fraction of hashing an id.
#[derive(Debug)]
struct DutyNumbers<'a>(FastMap<&'a str, u32>);

impl<'a> DutyNumbers<'a> {
    fn of(model: &'a ReadModel) -> Self {
        Self(
            model
                .responsibility
                .duties
                .keys()
                .zip(0..)
                .map(|(id, n)| (id.as_str(), n))
                .collect(),
        )
    }

    /// Duties the model does not define share a number that no live duty has.
    fn of_id(&self, id: &str) -> u32 {
        self.0.get(id).copied().unwrap_or(u32::MAX)
    }
}

/// The assignments and beliefs at one level made for a set of areas, by duty and area:
/// what the units of those areas are judged on, gathered in one pass. Keyed by duty
/// number and the tree's dense ids with a fast hash: every unit of a national roll-up
/// looks itself up here once per duty, and most find nothing.
#[derive(Debug, Default)]
struct Claims<'a> {
    assignments: FastMap<(u32, u32), Vec<&'a Assignment>>,
    attributions: FastMap<(u32, u32), Vec<&'a Attribution>>,
    /// By duty number, the areas holding any of them (an area may come twice).
    areas: FastMap<u32, Vec<u32>>,
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

impl<'a> Claims<'a> {
    fn on(
        model: &'a ReadModel,
        index: &TreeIndex,
        areas: &[&str],
        level: Level,
        duties: &DutyNumbers<'_>,
    ) -> Self {
        let responsibility = &model.responsibility;
        let mut claims = Self::default();
        for area in areas {
            let Some(id) = index.id(area) else { continue };
            for a in responsibility
                .in_area(area)
                .filter(|a| a.level == level as i32)
            {
                let duty = duties.of_id(&a.duty_id);
                claims.assignments.entry((duty, id)).or_default().push(a);
                claims.areas.entry(duty).or_default().push(id);
            }
            for b in responsibility
                .attributions_in(area)
                .filter(|b| b.level == level as i32)
            {
                let duty = duties.of_id(&b.duty_id);
                claims.attributions.entry((duty, id)).or_default().push(b);
                claims.areas.entry(duty).or_default().push(id);
            }
        }
        claims
    }

    fn areas_of(&self, duty: u32) -> &[u32] {
        self.areas.get(&duty).map_or(&[], Vec::as_slice)
    }

    fn assignments<'s>(
        &'s self,
        duty: u32,
        areas: &'s [u32],
    ) -> impl Iterator<Item = &'a Assignment> + 's {
        claimed(&self.assignments, duty, areas)
    }

    fn attributions<'s>(
        &'s self,
        duty: u32,
        areas: &'s [u32],
    ) -> impl Iterator<Item = &'a Attribution> + 's {
        claimed(&self.attributions, duty, areas)
    }
}

/// What `claims` holds for `duty` on each of `areas`, in the order of the areas.
fn claimed<'a, 's, T>(
    claims: &'s FastMap<(u32, u32), Vec<&'a T>>,
    duty: u32,
    areas: &'s [u32],
) -> impl Iterator<Item = &'a T> + 's {
    areas
        .iter()
        .filter_map(move |area| claims.get(&(duty, *area)))
        .flatten()
        .copied()
}

/// The open units of `kind` that are `area` or lie inside it on `date`, in code order.
fn units_within(
    model: &ReadModel,
    index: &TreeIndex,
    area: u32,
    kind: OrganisationKind,
    date: NaiveDate,
) -> Vec<u32> {
    index
        .all_of(Some(kind))
        .filter(|id| index.lineage(*id, date).contains(&area))
        .filter(|id| {
            model
                .tree
                .get(index.code(*id))
                .is_some_and(|o| o.is_active_on(date))
        })
        .collect()
}

/// The areas whose assignments at `level` cover `area` on `date`: itself and, where there
/// is one, the organisation above it that owns at that level (a practice's PCN, an ICB's
/// region). The one statement of the rule, for coverage and for perceptions.
pub fn covering_areas(index: &TreeIndex, area: u32, level: Level, date: NaiveDate) -> Vec<&str> {
    covering_ids(index, area, level, date)
        .into_iter()
        .map(|id| index.code(id))
        .collect()
}

/// [`covering_areas`] as the tree's ids, which the roll-ups look claims up by.
fn covering_ids(index: &TreeIndex, area: u32, level: Level, date: NaiveDate) -> Vec<u32> {
    let above = unit_kinds(level).and_then(|(_, above)| above);
    std::iter::once(area)
        .chain(above.and_then(|k| index.ancestor(area, k, date)))
        .collect()
}

#[allow(clippy::too_many_arguments)] // one question, asked with all its parts
/// Whether `owner` has accepted `duty` at `level` for `area` or the area covering it, in
/// `role` (any role when unspecified).
pub fn has_accepted(
    model: &ReadModel,
    index: &TreeIndex,
    duty: &str,
    level: Level,
    area: u32,
    owner: &str,
    role: i32,
    date: NaiveDate,
) -> bool {
    covering_areas(index, area, level, date)
        .iter()
        .flat_map(|a| model.responsibility.in_area(a))
        .any(|a| {
            a.duty_id == duty
                && a.level == level as i32
                && a.status_on(date) == Some(AssignmentStatus::Accepted)
                && a.assignee_code == owner
                && (role == RaciRole::Unspecified as i32 || a.role == role)
        })
}

fn owners<'a>(
    model: &'a ReadModel,
    index: &TreeIndex,
    (duty, number): (&Duty, u32),
    level: Level,
    (unit, areas): (u32, &[u32]),
    claims: &Claims<'a>,
    date: NaiveDate,
) -> UnitCoverage<'a> {
    // The assignments covering the unit, each with its status at the end of `date`.
    let here: Vec<(&Assignment, AssignmentStatus, DateTime<Utc>)> = claims
        .assignments(number, areas)
        .filter_map(|a| a.on(date).map(|(status, at)| (a, status, at)))
        .collect();
    let active = |code: &str| model.tree.get(code).is_none_or(|o| o.is_active_on(date));
    let with_status = |status: AssignmentStatus| -> Vec<&'a Assignment> {
        here.iter()
            .filter(|(_, s, _)| *s == status)
            .map(|(a, _, _)| *a)
            .collect()
    };
    let accepted = |role: RaciRole| -> Vec<&'a Assignment> {
        with_status(AssignmentStatus::Accepted)
            .into_iter()
            .filter(|a| a.role == role as i32 && active(&a.assignee_code))
            .collect()
    };
    let responsible = accepted(RaciRole::Responsible);
    let accountable = accepted(RaciRole::Accountable);
    let pending = with_status(AssignmentStatus::Proposed);
    // A decline still stands while nothing of its role has been accepted after it.
    let declined: Vec<&Assignment> = here
        .iter()
        .filter(|(_, status, _)| *status == AssignmentStatus::Declined)
        .filter(|(d, _, declined_at)| {
            !here.iter().any(|(a, status, at)| {
                a.role == d.role && *status == AssignmentStatus::Accepted && at >= declined_at
            })
        })
        .map(|(d, _, _)| *d)
        .collect();
    let misattributions: Vec<&Attribution> = claims
        .attributions(number, areas)
        .filter(|b| b.at.date_naive() <= date)
        .filter(|b| {
            !has_accepted(
                model,
                index,
                &duty.id,
                level,
                unit,
                &b.believed_owner_code,
                b.role,
                date,
            )
        })
        .collect();
    let accountable_owners: BTreeSet<&str> = accountable
        .iter()
        .map(|a| a.assignee_code.as_str())
        .collect();
    let flags = FlagSet::default()
        .with(CoverageFlag::MissingResponsible, responsible.is_empty())
        .with(CoverageFlag::MissingAccountable, accountable.is_empty())
        .with(CoverageFlag::Contested, accountable_owners.len() > 1)
        .with(CoverageFlag::Declined, !declined.is_empty())
        .with(CoverageFlag::Pending, !pending.is_empty())
        .with(CoverageFlag::Misattributed, !misattributions.is_empty())
        .with(
            CoverageFlag::Covered,
            !responsible.is_empty() && !accountable.is_empty(),
        );
    UnitCoverage {
        unit,
        flags,
        responsible,
        accountable,
        pending,
        declined,
        misattributions,
    }
}

#[cfg(test)]
mod tests;
