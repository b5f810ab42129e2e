//! `perceptions(area, duty)`: who each organisation believes owns a duty, against who has
//! accepted it. The research behind difacto found digital facilitation "always seen as
//! others'": this view shows where beliefs and commitments part.

use std::collections::BTreeMap;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use proto::v1 as pb;

use super::open;
use super::organisations::OrganisationSummary;
use super::responsibilities::DutySummary;
use crate::error::Result;
use crate::model::ReadModel;
use crate::model::coverage::has_accepted;
use crate::vocabulary::{Level, RaciRole};

/// One cell of the matrix: what one organisation believes about one owner, at one level.
#[derive(Debug, Clone, SimpleObject)]
pub struct Perception {
    pub believer: OrganisationSummary,
    pub believed_owner: OrganisationSummary,
    pub level: Option<Level>,
    pub role: Option<RaciRole>,
    /// How many times it was stated.
    pub beliefs: usize,
    /// The areas the belief is about.
    pub about: Vec<OrganisationSummary>,
    /// How many of those beliefs name an owner who accepted the duty there.
    pub accepted_in: usize,
    /// The believer names another organisation, not itself.
    pub believed_to_be_others: bool,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Perceptions {
    pub area: OrganisationSummary,
    pub duty: DutySummary,
    pub on_date: NaiveDate,
    /// Beliefs recorded inside the area.
    pub beliefs: usize,
    /// Beliefs that name an owner who has accepted the duty there.
    pub matching_acceptance: usize,
    /// Beliefs that name an owner who has not.
    pub not_accepted: usize,
    /// Beliefs that name someone other than the believer.
    pub believed_to_be_others: usize,
    /// One entry per believer, believed owner, level and role, in that order.
    pub matrix: Vec<Perception>,
}

/// Believer, believed owner, level and role.
type CellKey<'a> = (&'a str, &'a str, i32, i32);
/// The areas a cell's beliefs are about, how many there are, and how many name an owner
/// who accepted.
type Cell<'a> = (Vec<&'a str>, usize, usize);

/// The perceptions of `duty` inside `area` on `date`.
pub fn perceptions(
    model: &ReadModel,
    area: &str,
    duty: &str,
    date: NaiveDate,
) -> Result<Perceptions> {
    let index = model.tree.index();
    let area_id = super::area(&index, "area", area)?;
    let Some(found) = model.responsibility.duties.get(duty) else {
        return Err(super::no_duty("duty", duty));
    };
    let mut cells: BTreeMap<CellKey<'_>, Cell<'_>> = BTreeMap::new();
    let (mut beliefs, mut matching) = (0, 0);
    for belief in model.responsibility.attributions.values() {
        let Some(about) = index.id(&belief.area_code) else {
            continue;
        };
        if belief.duty_id != duty
            || belief.at.date_naive() > date
            || !index.lineage(about, date).contains(&area_id)
        {
            continue;
        }
        let level = pb::Level::try_from(belief.level).unwrap_or(pb::Level::Unspecified);
        let accepted = has_accepted(
            model,
            &index,
            duty,
            level,
            about,
            &belief.believed_owner_code,
            belief.role,
            date,
        );
        beliefs += 1;
        matching += usize::from(accepted);
        let cell = cells
            .entry((
                &belief.attributed_by_code,
                &belief.believed_owner_code,
                belief.level,
                belief.role,
            ))
            .or_default();
        cell.0.push(&belief.area_code);
        cell.1 += 1;
        cell.2 += usize::from(accepted);
    }
    let matrix: Vec<Perception> = cells
        .into_iter()
        .map(
            |((believer, owner, level, role), (mut about, stated, accepted_in))| {
                about.sort_unstable();
                about.dedup();
                Perception {
                    believer: OrganisationSummary::of(model, believer),
                    believed_owner: OrganisationSummary::of(model, owner),
                    level: Level::from_proto(level),
                    role: RaciRole::from_proto(role),
                    beliefs: stated,
                    about: about
                        .into_iter()
                        .map(|a| OrganisationSummary::of(model, a))
                        .collect(),
                    accepted_in,
                    believed_to_be_others: believer != owner,
                }
            },
        )
        .collect();
    Ok(Perceptions {
        area: OrganisationSummary::of(model, area),
        duty: DutySummary {
            id: found.id.clone(),
            title: found.title.clone(),
        },
        on_date: date,
        beliefs,
        matching_acceptance: matching,
        not_accepted: beliefs - matching,
        believed_to_be_others: matrix
            .iter()
            .filter(|p| p.believed_to_be_others)
            .map(|p| p.beliefs)
            .sum(),
        matrix,
    })
}

#[derive(Debug, Default)]
pub struct PerceptionViews;

#[Object]
impl PerceptionViews {
    /// Who each organisation inside `area` believes owns `duty`, against who has accepted
    /// it: a matrix of believer × believed owner, with how often the belief matches a
    /// commitment.
    async fn perceptions(
        &self,
        ctx: &Context<'_>,
        area: String,
        duty: String,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
    ) -> async_graphql::Result<Perceptions> {
        let (_, at, date) = open(ctx, as_of, on_date).await?;
        Ok(at.read(|model| perceptions(model, area.trim(), duty.trim(), date))?)
    }
}
