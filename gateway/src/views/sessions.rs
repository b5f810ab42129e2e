//! Community sessions: which have room, how full they are, who is waiting, who came.
//! Capacity, booked and waiting are places, shown to every signed-in caller so that
//! referrers can find room; the bookings themselves only to those involved.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::open;
use super::organisations::OrganisationSummary;
use super::page::{Page, PageArgs, page_cost};
use crate::disclosure::{Disclosure, PatientCount};
use crate::error::{GatewayError, Result};
use crate::model::ReadModel;
use crate::model::sessions::{self as m, BookingStatus, Hosting};
use crate::model::tree::TreeIndex;
use crate::scope::Scope;
use crate::vocabulary::{AccessNeed, DigitalService, PatientGroup};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BookingState {
    Confirmed,
    Waitlisted,
    Cancelled,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Booking {
    pub reference: String,
    pub referred_by: OrganisationSummary,
    pub places: u32,
    pub interpreter_language: Option<String>,
    pub access_needs: Vec<AccessNeed>,
    pub state: BookingState,
    /// Got its place from the waitlist after a cancellation.
    pub promoted: bool,
}

/// Who came, as counts of people under disclosure control.
#[derive(Debug, Clone, SimpleObject)]
pub struct Attendance {
    pub attended: PatientCount,
    pub no_shows: PatientCount,
    pub walk_ins: PatientCount,
    pub registered_for_nhs_app: PatientCount,
    pub completed_task_online: PatientCount,
    pub referred_to_community_session: PatientCount,
    pub declined_help: PatientCount,
    pub set_up_proxy_access: PatientCount,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Session {
    pub id: String,
    pub title: String,
    pub description: String,
    pub partner: OrganisationSummary,
    pub icb: OrganisationSummary,
    pub host_practice: Option<OrganisationSummary>,
    pub hosting: Hosting,
    pub venue_name: String,
    pub venue_postcode_district: String,
    pub commissioner: Option<OrganisationSummary>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub capacity: u32,
    /// Places confirmed (never above capacity; none once cancelled).
    pub booked: u32,
    /// Places still free (0 once cancelled).
    pub available: u32,
    /// Places asked for on the waitlist (none once cancelled).
    pub waitlisted: u32,
    /// Every place taken; a cancelled session is never full.
    pub full: bool,
    pub cancelled: bool,
    pub cancellation_reason: Option<String>,
    pub topics: Vec<DigitalService>,
    pub languages: Vec<String>,
    pub accessibility: Vec<AccessNeed>,
    pub target_groups: Vec<PatientGroup>,
    /// The bookings you may see: all of them if you run, host, fund or oversee the
    /// session; otherwise only those your organisation made.
    pub bookings: Vec<Booking>,
    pub attendance: Option<Attendance>,
}

fn summary_or_none(model: &ReadModel, code: &str) -> Option<OrganisationSummary> {
    (!code.is_empty()).then(|| OrganisationSummary::of(model, code))
}

pub fn session_view(
    model: &ReadModel,
    index: &TreeIndex,
    scope: &Scope<'_>,
    s: &m::Session,
    date: NaiveDate,
) -> Session {
    let sees_all = scope.sees_bookings(index, s.involved(), date);
    let own = &scope.principal.organisation;
    let disclosure = Disclosure::exact_if(*own == s.partner_code);
    Session {
        id: s.id.clone(),
        title: s.title.clone(),
        description: s.description.clone(),
        partner: OrganisationSummary::of(model, &s.partner_code),
        icb: OrganisationSummary::of(model, &s.icb_code),
        host_practice: summary_or_none(model, &s.host_practice_code),
        hosting: s.hosting,
        venue_name: s.venue_name.clone(),
        venue_postcode_district: s.venue_postcode_district.clone(),
        commissioner: summary_or_none(model, &s.commissioner_code),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        capacity: s.capacity,
        booked: s.booked(),
        available: s.available(),
        waitlisted: s.waitlisted(),
        full: s.is_full(),
        cancelled: s.cancelled.is_some(),
        cancellation_reason: s.cancelled.clone(),
        topics: s
            .topics
            .iter()
            .filter_map(|t| DigitalService::from_proto(*t))
            .collect(),
        languages: s.languages.clone(),
        accessibility: s
            .accessibility
            .iter()
            .filter_map(|a| AccessNeed::from_proto(*a))
            .collect(),
        target_groups: s
            .target_groups
            .iter()
            .filter_map(|g| PatientGroup::from_proto(*g))
            .collect(),
        bookings: s
            .bookings
            .iter()
            .filter(|b| sees_all || b.referring_organisation_code == *own)
            .map(|b| Booking {
                reference: b.reference.clone(),
                referred_by: OrganisationSummary::of(model, &b.referring_organisation_code),
                places: b.places,
                interpreter_language: (!b.interpreter_language.is_empty())
                    .then(|| b.interpreter_language.clone()),
                access_needs: b
                    .access_needs
                    .iter()
                    .filter_map(|a| AccessNeed::from_proto(*a))
                    .collect(),
                state: match b.status {
                    BookingStatus::Confirmed => BookingState::Confirmed,
                    BookingStatus::Waitlisted => BookingState::Waitlisted,
                    BookingStatus::Cancelled => BookingState::Cancelled,
                },
                promoted: b.promoted,
            })
            .collect(),
        attendance: s.attendance.as_ref().map(|a| Attendance {
            attended: disclosure.show(a.attended.into()),
            no_shows: disclosure.show(a.no_shows.into()),
            walk_ins: disclosure.show(a.walk_ins.into()),
            registered_for_nhs_app: disclosure.show(a.registered_for_nhs_app.into()),
            completed_task_online: disclosure.show(a.completed_task_online.into()),
            referred_to_community_session: disclosure.show(a.referred_to_community_session.into()),
            declined_help: disclosure.show(a.declined_help.into()),
            set_up_proxy_access: disclosure.show(a.set_up_proxy_access.into()),
        }),
    }
}

/// The filter of `sessions`, shared with its tests.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub within: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub topic: Option<DigitalService>,
    pub language: Option<String>,
    pub open_only: bool,
}

impl SessionFilter {
    /// The sessions matching, in order of start time then id.
    pub fn select<'m>(
        &self,
        model: &'m ReadModel,
        index: &TreeIndex,
        now: DateTime<Utc>,
        date: NaiveDate,
    ) -> Vec<&'m m::Session> {
        let within = self
            .within
            .as_deref()
            .and_then(|w| index.id(w).map(|id| (w, id)));
        let mut found: Vec<&m::Session> = model
            .sessions
            .sessions
            .values()
            .filter(|s| {
                within.is_none_or(|(code, id)| {
                    [&s.partner_code, &s.commissioner_code]
                        .iter()
                        .any(|c| *c == code)
                        || [&s.icb_code, &s.host_practice_code]
                            .iter()
                            .any(|c| !c.is_empty() && index.is_within(c, id, date))
                })
            })
            .filter(|s| {
                self.from
                    .is_none_or(|from| s.starts_at.is_some_and(|t| t >= from))
            })
            .filter(|s| self.to.is_none_or(|to| s.starts_at.is_some_and(|t| t < to)))
            .filter(|s| self.topic.is_none_or(|t| s.topics.contains(&i32::from(t))))
            .filter(|s| {
                self.language
                    .as_ref()
                    .is_none_or(|l| s.languages.iter().any(|x| x.eq_ignore_ascii_case(l)))
            })
            .filter(|s| {
                !self.open_only || (s.available() > 0 && s.starts_at.is_some_and(|t| t > now))
            })
            .collect();
        found.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then_with(|| a.id.cmp(&b.id)));
        found
    }
}

/// A practice that hosts, or was asked to host, a partner's sessions.
#[derive(Debug, Clone, SimpleObject)]
pub struct HostPractice {
    pub practice: OrganisationSummary,
    /// Sessions it confirmed hosting for (cancelled ones left out).
    pub confirmed: usize,
    /// Sessions waiting for it to confirm.
    pub pending: usize,
    pub declined: usize,
    /// The first confirmed session still to come.
    pub next_session: Option<DateTime<Utc>>,
}

/// The practices asked to host `partner`'s sessions, those that confirmed most first.
pub fn host_practices(model: &ReadModel, partner: &str, now: DateTime<Utc>) -> Vec<HostPractice> {
    let mut by_practice: BTreeMap<&str, HostPractice> = BTreeMap::new();
    let sessions = model.sessions.sessions.values().filter(|s| {
        s.partner_code == partner && !s.host_practice_code.is_empty() && s.cancelled.is_none()
    });
    for s in sessions {
        let host = by_practice
            .entry(&s.host_practice_code)
            .or_insert_with(|| HostPractice {
                practice: OrganisationSummary::of(model, &s.host_practice_code),
                confirmed: 0,
                pending: 0,
                declined: 0,
                next_session: None,
            });
        match s.hosting {
            Hosting::Confirmed => {
                host.confirmed += 1;
                if let Some(start) = s.starts_at.filter(|t| *t > now) {
                    host.next_session = Some(host.next_session.map_or(start, |n| n.min(start)));
                }
            }
            Hosting::Pending => host.pending += 1,
            Hosting::Declined => host.declined += 1,
            Hosting::NotNeeded => {}
        }
    }
    let mut hosts: Vec<HostPractice> = by_practice.into_values().collect();
    hosts.sort_by_key(|h| std::cmp::Reverse(h.confirmed));
    hosts
}

#[derive(Debug, Default)]
pub struct SessionViews;

#[Object]
impl SessionViews {
    /// Community sessions run, hosted, funded or held within an area, soonest first.
    /// `openOnly` keeps those still to come with places free.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        within: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        topic: Option<DigitalService>,
        language: Option<String>,
        #[graphql(default = false)] open_only: bool,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<Session>> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let now = as_of.unwrap_or_else(Utc::now);
        let scope = Scope::new(&caller.principal);
        let args = PageArgs::new(after, before, first, last);
        let filter = SessionFilter {
            within: within
                .map(|w| w.trim().to_owned())
                .filter(|w| !w.is_empty()),
            from,
            to,
            topic,
            language: language
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty()),
            open_only,
        };
        Ok(at.read(|model| -> Result<Page<Session>> {
            let index = model.tree.index();
            if let Some(w) = &filter.within {
                super::area(&index, "within", w)?;
            }
            let found = filter.select(model, &index, now, date);
            args.page_with(found.len(), |range| {
                found[range]
                    .iter()
                    .map(|s| session_view(model, &index, &scope, s, date))
                    .collect()
            })
        })?)
    }

    /// The practices that host a partner's sessions (yours, when you are a partner and
    /// name none), with how many they confirmed, have still to answer, and declined.
    async fn host_practices(
        &self,
        ctx: &Context<'_>,
        partner: Option<String>,
        as_of: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<HostPractice>> {
        let (caller, at, _) = open(ctx, as_of, None).await?;
        let now = as_of.unwrap_or_else(Utc::now);
        let partner = partner
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| caller.principal.organisation.clone());
        Ok(at.read(|model| -> Result<Vec<HostPractice>> {
            let index = model.tree.index();
            let id = super::area(&index, "partner", &partner)?;
            if index.kind(id) != proto::v1::OrganisationKind::Partner {
                return Err(GatewayError::bad_input("partner", "is not a partner"));
            }
            Ok(host_practices(model, &partner, now))
        })?)
    }

    /// One session by id.
    async fn session(
        &self,
        ctx: &Context<'_>,
        id: String,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
    ) -> async_graphql::Result<Session> {
        let (caller, at, date) = open(ctx, as_of, on_date).await?;
        let scope = Scope::new(&caller.principal);
        Ok(at.read(|model| -> Result<Session> {
            let s = model
                .sessions
                .sessions
                .get(id.trim())
                .ok_or_else(|| GatewayError::NotFound(format!("id: no session {id}")))?;
            Ok(session_view(model, &model.tree.index(), &scope, s, date))
        })?)
    }
}
