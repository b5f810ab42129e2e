//! The facilitation mix: how help was given (passive, reactive, proactive), for which
//! services, through which channels, by whom, for which groups; and the proactive share,
//! the research's measure of whether practices reach out. Each record is placed in the
//! tree as it stood in its week.

use std::collections::BTreeMap;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use proto::v1 as pb;

use super::organisations::OrganisationSummary;
use super::{AreaLevel, TreeAt, default_area, open};
use crate::disclosure::{Disclosure, PatientCount, protect_partition, share};
use crate::error::{GatewayError, Result};
use crate::model::ReadModel;
use crate::model::facilitation::{OUTCOMES, Record};
use crate::scope::Scope;

/// Raw figures for one area, before disclosure control.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub records: u64,
    pub patients: u64,
    pub by_mode: BTreeMap<i32, (u64, u64)>,
    pub by_service: BTreeMap<i32, (u64, u64)>,
    pub by_channel: BTreeMap<i32, (u64, u64)>,
    pub by_role: BTreeMap<i32, (u64, u64)>,
    pub by_group: BTreeMap<i32, (u64, u64)>,
    pub outcomes: [u64; 6],
}

impl Tally {
    fn add(&mut self, r: &Record) {
        let patients = u64::from(r.patients);
        self.records += 1;
        self.patients += patients;
        for (map, key) in [
            (&mut self.by_mode, r.mode),
            (&mut self.by_service, r.service),
            (&mut self.by_channel, r.channel),
            (&mut self.by_role, r.delivered_by),
        ] {
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1 += patients;
        }
        for group in &r.patient_groups {
            let entry = self.by_group.entry(*group).or_default();
            entry.0 += 1;
            entry.1 += patients;
        }
        for (total, value) in self.outcomes.iter_mut().zip(r.outcomes) {
            *total += u64::from(value);
        }
    }

    /// Patients helped proactively, as a percentage of all patients helped.
    pub fn proactive_share(&self) -> f64 {
        let proactive = self
            .by_mode
            .get(&(pb::FacilitationMode::Proactive as i32))
            .map_or(0, |(_, p)| *p);
        if self.patients == 0 {
            0.0
        } else {
            (proactive as f64 * 1000.0 / self.patients as f64).round() / 10.0
        }
    }
}

/// The figures for `within` (and per group when `group_by` is given), from week `from` to
/// week `to` inclusive, each record placed by the tree `tree_at` its week.
pub fn tally(
    model: &ReadModel,
    within: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    group_by: Option<AreaLevel>,
    tree_at: TreeAt,
) -> Result<(Tally, BTreeMap<String, Tally>)> {
    let index = model.tree.index();
    let area = super::area(&index, "within", within)?;
    let mut total = Tally::default();
    let mut groups: BTreeMap<u32, Tally> = BTreeMap::new();
    let placed_on = tree_at.placer();
    for (practice, records) in &model.facilitation.by_practice {
        let Some(id) = index.id(practice) else {
            continue;
        };
        for record in records {
            if from.is_some_and(|f| record.week < f) || to.is_some_and(|t| record.week > t) {
                continue;
            }
            let placed = placed_on(record.week);
            if !index.lineage(id, placed).contains(&area) {
                continue;
            }
            total.add(record);
            if let Some(group) = group_by.and_then(|g| index.ancestor(id, g.kind(), placed)) {
                groups.entry(group).or_default().add(record);
            }
        }
    }
    let groups = groups
        .into_iter()
        .map(|(id, t)| (index.code(id).to_owned(), t))
        .collect();
    Ok((total, groups))
}

#[derive(Debug, Clone, SimpleObject)]
pub struct MixCount {
    /// The mode, service, channel, staff role or patient group, by its GraphQL name.
    pub key: String,
    pub records: u64,
    pub patients: PatientCount,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct OutcomeCount {
    pub outcome: String,
    pub patients: PatientCount,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct MixFigures {
    pub records: u64,
    pub patients: PatientCount,
    /// Patients helped proactively, as a percentage of all helped, from the figures as
    /// shown: null when either is withheld.
    pub proactive_share: Option<f64>,
    pub by_mode: Vec<MixCount>,
    pub by_service: Vec<MixCount>,
    pub by_channel: Vec<MixCount>,
    pub by_role: Vec<MixCount>,
    pub by_patient_group: Vec<MixCount>,
    /// Outcomes, as counts of people (staffMinutes is minutes of staff time).
    pub outcomes: Vec<OutcomeCount>,
}

impl MixFigures {
    /// A total withheld after the figures were built (by the groups' protection) takes
    /// its share with it.
    fn withhold_share_if_withheld(&mut self) {
        if self.patients.suppressed {
            self.proactive_share = None;
        }
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct FacilitationGroup {
    pub area: OrganisationSummary,
    pub figures: MixFigures,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct FacilitationMix {
    pub within: OrganisationSummary,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Which tree placed the records.
    pub tree_at: TreeAt,
    pub totals: MixFigures,
    pub groups: Vec<FacilitationGroup>,
}

/// A proto enum number as the GraphQL value name (`FACILITATION_MODE_PROACTIVE` →
/// `PROACTIVE`).
fn name(number: i32, full: Option<&'static str>, prefix: &str) -> String {
    full.map_or_else(
        || number.to_string(),
        |n| n.strip_prefix(prefix).unwrap_or(n).to_owned(),
    )
}

fn figures(t: &Tally, disclosure: Disclosure) -> MixFigures {
    let mut patients = disclosure.show(t.patients);
    // Each record has one mode, service, channel and role: each list is a partition of
    // the total, protected against subtraction. Patient groups and outcomes are not.
    let mut partition = |map: &BTreeMap<i32, (u64, u64)>, label: &dyn Fn(i32) -> String| {
        let mut cells: Vec<MixCount> = map
            .iter()
            .map(|(k, (records, count))| MixCount {
                key: label(*k),
                records: *records,
                patients: disclosure.show(*count),
            })
            .collect();
        let mut raw: Vec<(u64, &mut PatientCount)> = map
            .values()
            .map(|(_, count)| *count)
            .zip(cells.iter_mut().map(|c| &mut c.patients))
            .collect();
        protect_partition(&mut raw, &mut patients);
        cells
    };
    let by_mode = partition(&t.by_mode, &|k| {
        name(
            k,
            pb::FacilitationMode::try_from(k)
                .ok()
                .map(|v| v.as_str_name()),
            "FACILITATION_MODE_",
        )
    });
    let by_service = partition(&t.by_service, &|k| {
        name(
            k,
            pb::DigitalService::try_from(k)
                .ok()
                .map(|v| v.as_str_name()),
            "",
        )
    });
    let by_channel = partition(&t.by_channel, &|k| {
        name(
            k,
            pb::FacilitationChannel::try_from(k)
                .ok()
                .map(|v| v.as_str_name()),
            "FACILITATION_CHANNEL_",
        )
    });
    let by_role = partition(&t.by_role, &|k| {
        name(
            k,
            pb::StaffRole::try_from(k).ok().map(|v| v.as_str_name()),
            "",
        )
    });
    let by_patient_group = t
        .by_group
        .iter()
        .map(|(k, (records, count))| MixCount {
            key: name(
                *k,
                pb::PatientGroup::try_from(*k).ok().map(|v| v.as_str_name()),
                "",
            ),
            records: *records,
            patients: disclosure.show(*count),
        })
        .collect();
    let proactive = by_mode
        .iter()
        .find(|m| m.key == "PROACTIVE")
        .map_or_else(|| Disclosure::Exact.show(0), |m| m.patients.clone());
    MixFigures {
        records: t.records,
        proactive_share: share(&proactive, &patients),
        patients,
        by_mode,
        by_service,
        by_channel,
        by_role,
        by_patient_group,
        outcomes: OUTCOMES
            .iter()
            .zip(t.outcomes)
            .map(|(outcome, value)| OutcomeCount {
                outcome: (*outcome).to_owned(),
                // Minutes of staff time are not counts of people.
                patients: if *outcome == "staffMinutes" {
                    Disclosure::Exact.show(value)
                } else {
                    disclosure.show(value)
                },
            })
            .collect(),
    }
}

#[derive(Debug, Default)]
pub struct FacilitationViews;

#[Object]
impl FacilitationViews {
    /// How facilitation was given within an area (yours when not given) between two
    /// weeks, optionally per region, ICB, PCN or practice. Patient counts below national
    /// level are suppressed (1–7) or rounded to 5, except your own practice's.
    async fn facilitation_mix(
        &self,
        ctx: &Context<'_>,
        within: Option<String>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        group_by: Option<AreaLevel>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        #[graphql(default)] tree_at: TreeAt,
    ) -> async_graphql::Result<FacilitationMix> {
        let (caller, at, _) = open(ctx, as_of, on_date).await?;
        // The world on `onDate` holds the weeks that had begun by then.
        let to = match on_date {
            Some(day) => Some(to.map_or(day, |t| t.min(day))),
            None => to,
        };
        let scope = Scope::new(&caller.principal);
        let within = default_area(&scope, within);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(GatewayError::bad_input("from", "is after `to`").into());
        }
        let own = &caller.principal.organisation;
        Ok(at.read(|model| -> Result<FacilitationMix> {
            let (total, group_tallies) = tally(model, &within, from, to, group_by, tree_at)?;
            let own_practice = model
                .tree
                .get(own)
                .is_some_and(|o| o.kind == pb::OrganisationKind::Practice);
            let exact = |area: &str| own_practice && area == own;
            let national = within == domain::registry::NATIONAL_CODE;
            let mut totals = figures(&total, Disclosure::exact_if(national || exact(&within)));
            let mut groups: Vec<FacilitationGroup> = group_tallies
                .iter()
                .map(|(code, t)| FacilitationGroup {
                    area: OrganisationSummary::of(model, code),
                    figures: figures(t, Disclosure::exact_if(exact(code))),
                })
                .collect();
            // The groups share out the total between them: protect them as a partition.
            let raw: Vec<u64> = group_tallies.values().map(|t| t.patients).collect();
            let mut cells: Vec<(u64, &mut PatientCount)> = raw
                .into_iter()
                .zip(groups.iter_mut().map(|g| &mut g.figures.patients))
                .collect();
            protect_partition(&mut cells, &mut totals.patients);
            for group in &mut groups {
                group.figures.withhold_share_if_withheld();
            }
            totals.withhold_share_if_withheld();
            Ok(FacilitationMix {
                within: OrganisationSummary::of(model, &within),
                from,
                to,
                tree_at,
                totals,
                groups,
            })
        })?)
    }
}
