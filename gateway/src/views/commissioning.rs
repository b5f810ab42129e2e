//! Which partners a commissioner paid for, and whether they delivered: each commission
//! in an area with the sessions it promised against those its partner scheduled, held
//! and cancelled, the places booked and the people who came.
//!
//! A session counts for a commission by the rule the services book by
//! (`domain::commissioning::Commission::covers`): the commission's partner, held inside
//! its area and period, on one of its topics, not funded by another commissioner.

use std::collections::HashMap;

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::commissioning::Commission as Held;

use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use super::{default_area, open, percent};
use crate::disclosure::{Disclosure, PatientCount, protect_partition};
use crate::error::Result;
use crate::model::ReadModel;
use crate::model::sessions::Session;
use crate::scope::Scope;
use crate::vocabulary::DigitalService;

/// Where a commission stands on the day asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CommissionStatus {
    /// Not started yet.
    Upcoming,
    Running,
    /// Ran to its end date.
    Finished,
    /// Ended before its end date.
    EndedEarly,
}

/// What a commission (or all of an area's) delivered.
#[derive(Debug, Clone, PartialEq, SimpleObject)]
pub struct Delivery {
    pub sessions_promised: u64,
    /// Sessions the partner scheduled under it and did not cancel, past and to come.
    pub sessions_scheduled: u64,
    /// Scheduled sessions that have taken place and have their attendance recorded.
    pub sessions_held: u64,
    /// Scheduled sessions still to come.
    pub sessions_to_come: u64,
    pub sessions_cancelled: u64,
    /// Places booked on the scheduled sessions (a cancelled session counts none).
    pub seats_booked: u64,
    /// People who came to the sessions held: patients, so shown under the small-number
    /// rules unless the caller is the partner that recorded them.
    pub attended: PatientCount,
    #[graphql(skip)]
    pub attended_exact: u64,
    /// Sessions held as a share of those promised, in percent.
    pub percent_delivered: f64,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            sessions_promised: 0,
            sessions_scheduled: 0,
            sessions_held: 0,
            sessions_to_come: 0,
            sessions_cancelled: 0,
            seats_booked: 0,
            attended: Disclosure::Exact.show(0),
            attended_exact: 0,
            percent_delivered: 0.0,
        }
    }
}

impl Delivery {
    fn add(&mut self, other: &Delivery) {
        self.sessions_promised += other.sessions_promised;
        self.sessions_scheduled += other.sessions_scheduled;
        self.sessions_held += other.sessions_held;
        self.sessions_to_come += other.sessions_to_come;
        self.sessions_cancelled += other.sessions_cancelled;
        self.seats_booked += other.seats_booked;
        self.attended_exact += other.attended_exact;
        self.percent_delivered = delivered(self.sessions_held, self.sessions_promised);
    }
}

/// Sessions held as a share of those promised (0 when none were promised).
fn delivered(held: u64, promised: u64) -> f64 {
    percent(held, promised).unwrap_or(0.0)
}

#[derive(Debug, Clone, SimpleObject)]
pub struct CommissionDelivery {
    pub id: String,
    pub commissioner: OrganisationSummary,
    pub partner: OrganisationSummary,
    pub area: OrganisationSummary,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The last day it ran, when it was ended early.
    pub ended_on: Option<NaiveDate>,
    pub status: CommissionStatus,
    /// What its sessions help with; empty means any.
    pub topics: Vec<DigitalService>,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Commissioning {
    pub area: OrganisationSummary,
    pub on_date: NaiveDate,
    /// Every commission of the area together.
    pub totals: Delivery,
    #[graphql(skip)]
    pub all: Vec<CommissionDelivery>,
}

#[ComplexObject]
impl Commissioning {
    /// The commissions, those that started last first.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn commissions(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<CommissionDelivery>> {
        Ok(PageArgs::new(after, before, first, last).page(self.all.clone())?)
    }
}

/// What `commission` delivered by `date`, from its partner's `sessions`.
fn delivery(
    model: &ReadModel,
    commission: &Held,
    sessions: &[&Session],
    date: NaiveDate,
) -> Delivery {
    let registry = model.tree.registry();
    let mut delivery = Delivery {
        sessions_promised: u64::from(commission.sessions_promised),
        ..Delivery::default()
    };
    for session in sessions {
        let Some(starts) = session.starts_at.map(|t| t.date_naive()) else {
            continue;
        };
        if !commission.covers(
            &session.partner_code,
            session.place(),
            starts,
            &session.topics,
            &session.commissioner_code,
            registry,
        ) {
            continue;
        }
        if session.cancelled.is_some() {
            delivery.sessions_cancelled += 1;
            continue;
        }
        delivery.sessions_scheduled += 1;
        delivery.seats_booked += u64::from(session.booked());
        match &session.attendance {
            Some(came) if starts <= date => {
                delivery.sessions_held += 1;
                delivery.attended_exact += u64::from(came.attended);
            }
            _ if starts > date => delivery.sessions_to_come += 1,
            _ => {}
        }
    }
    delivery.percent_delivered = delivered(delivery.sessions_held, delivery.sessions_promised);
    delivery
}

fn status(commission: &Held, date: NaiveDate) -> CommissionStatus {
    if date < commission.starts_on {
        CommissionStatus::Upcoming
    } else if date <= commission.last_day() {
        CommissionStatus::Running
    } else if commission
        .ended_on
        .is_some_and(|ended| ended < commission.ends_on)
    {
        CommissionStatus::EndedEarly
    } else {
        CommissionStatus::Finished
    }
}

/// The commissions of `area` on `date`: those held by it when it is a partner, else those
/// for sessions inside it or paid for by it.
pub fn commissioning(
    model: &ReadModel,
    area: &str,
    date: NaiveDate,
    caller_org: &str,
) -> Result<Commissioning> {
    let index = model.tree.index();
    let area_id = super::area(&index, "area", area)?;
    let is_partner = index.kind(area_id) == proto::v1::OrganisationKind::Partner;
    let mut by_partner: HashMap<&str, Vec<&Session>> = HashMap::new();
    for session in model.sessions.sessions.values() {
        by_partner
            .entry(session.partner_code.as_str())
            .or_default()
            .push(session);
    }
    let mut totals = Delivery::default();
    let mut all: Vec<CommissionDelivery> = model
        .commissions
        .iter()
        .filter(|c| {
            if is_partner {
                c.partner_code == area
            } else {
                // Placed by the tree on the day it started, like every fact.
                c.commissioner_code == area || index.is_within(&c.area_code, area_id, c.starts_on)
            }
        })
        .map(|c| {
            let sessions = by_partner
                .get(c.partner_code.as_str())
                .map_or(&[][..], Vec::as_slice);
            let delivery = delivery(model, c, sessions, date);
            totals.add(&delivery);
            CommissionDelivery {
                id: c.id.to_string(),
                commissioner: OrganisationSummary::of(model, &c.commissioner_code),
                partner: OrganisationSummary::of(model, &c.partner_code),
                area: OrganisationSummary::of(model, &c.area_code),
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                ended_on: c.ended_on,
                status: status(c, date),
                topics: c
                    .topics
                    .iter()
                    .filter_map(|t| DigitalService::from_proto(*t))
                    .collect(),
                delivery,
            }
        })
        .collect();
    all.sort_by(|a, b| b.starts_on.cmp(&a.starts_on).then_with(|| a.id.cmp(&b.id)));
    // Attendance is a count of people: exact for England as a whole and for the partner
    // that recorded it, else under the small-number rules, with the commissions of the
    // area protected as a partition of its total.
    let national = area == domain::registry::NATIONAL_CODE;
    for c in &mut all {
        let exact = national || c.partner.code == caller_org;
        c.delivery.attended = Disclosure::exact_if(exact).show(c.delivery.attended_exact);
    }
    totals.attended = Disclosure::exact_if(national || (is_partner && area == caller_org))
        .show(totals.attended_exact);
    let mut cells: Vec<(u64, &mut PatientCount)> = all
        .iter_mut()
        .map(|c| (c.delivery.attended_exact, &mut c.delivery.attended))
        .collect();
    protect_partition(&mut cells, &mut totals.attended);
    Ok(Commissioning {
        area: OrganisationSummary::of(model, area),
        on_date: date,
        totals,
        all,
    })
}

#[derive(Debug, Default)]
pub struct CommissioningViews;

#[Object]
impl CommissioningViews {
    /// Which partners were commissioned in an area (yours when not given; your own
    /// commissions when you are a partner), and did they deliver: sessions promised
    /// against those scheduled, held and cancelled, places booked and attendance.
    async fn commissioning(
        &self,
        ctx: &Context<'_>,
        area: Option<String>,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
    ) -> async_graphql::Result<Commissioning> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let area = default_area(&Scope::new(&caller.principal), area);
        let own = &caller.principal.organisation;
        Ok(at.read(|model| commissioning(model, &area, date, own))?)
    }
}
