//! Commissioning (stream `commissions`, one for all of England, like the organisation
//! tree): a commissioner pays a third-sector partner to run community sessions in an area
//! for a period. A commission is what lets its partner book places on other partners'
//! sessions it covers, and what `commissioning(area)` measures delivery against.
//!
//! One stream because commissions are few (hundreds, not millions) and because a booking
//! must find every commission its partner holds without knowing their ids.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proto::v1::{
    CommissionEnded, CommissionPartnerRequest, DigitalService, EndCommissionRequest,
    OrganisationKind, PartnerCommissioned,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::policy::{Party, Targets};
use crate::registry::Registry;
use crate::values;
use crate::values::parsed;

crate::event_set! {
    pub enum CommissionEvent { PartnerCommissioned, CommissionEnded }
}

pub const STREAM: &str = "commissions";

/// Sessions one commission may promise: a year of one every day is already generous.
const MAX_SESSIONS_PROMISED: u32 = 1_000;

/// One commission as it stands. Plain data that serialises, so the read models keep it
/// as it is (their checkpoint) and place sessions by the same rule as the services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commission {
    pub id: Uuid,
    pub commissioner_code: String,
    pub partner_code: String,
    pub area_code: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub sessions_promised: u32,
    /// `DigitalService` values as recorded (as sessions carry theirs); empty: any.
    pub topics: Vec<i32>,
    /// The last day it ran, when ended before `ends_on`.
    pub ended_on: Option<NaiveDate>,
}

impl Commission {
    /// The last day the commission runs: its end date, or the day it was ended.
    pub fn last_day(&self) -> NaiveDate {
        self.ended_on
            .map_or(self.ends_on, |ended| ended.min(self.ends_on))
    }

    /// Whether it runs on `date`.
    pub fn runs_on(&self, date: NaiveDate) -> bool {
        self.starts_on <= date && date <= self.last_day()
    }

    /// Whether a session of `partner` held at `place` (its host practice, or its ICB for a
    /// community venue) on `date`, about `topics`, funded by `funder` (empty: on the
    /// partner's own account) is work under this commission: the same partner, inside the
    /// area and period, on one of the commission's topics (any, when it names none), and
    /// not funded by another commissioner.
    pub fn covers(
        &self,
        partner: &str,
        place: &str,
        date: NaiveDate,
        topics: &[i32],
        funder: &str,
        registry: &Registry,
    ) -> bool {
        self.partner_code == partner && self.reaches(place, date, topics, funder, registry)
    }

    /// [`Commission::covers`] for a session of any partner: whether this commission's
    /// partner may book places on it for the people it supports.
    pub fn reaches(
        &self,
        place: &str,
        date: NaiveDate,
        topics: &[i32],
        funder: &str,
        registry: &Registry,
    ) -> bool {
        self.runs_on(date)
            && (funder.is_empty() || funder == self.commissioner_code)
            && (self.topics.is_empty() || topics.iter().any(|t| self.topics.contains(t)))
            && registry.is_within(place, &self.area_code, date)
    }
}

/// Every commission, by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Commissions {
    by_id: BTreeMap<Uuid, Commission>,
}

impl Aggregate for Commissions {
    type Event = CommissionEvent;
    fn apply(&mut self, event: &CommissionEvent) {
        match event {
            CommissionEvent::PartnerCommissioned(e) => {
                // Recorded events were checked when decided; one that does not parse is
                // skipped rather than failing the whole stream.
                let (Ok(id), Some(starts_on), Some(ends_on)) = (
                    Uuid::try_parse(&e.commission_id),
                    day(&e.starts_on),
                    day(&e.ends_on),
                ) else {
                    return;
                };
                self.by_id.insert(
                    id,
                    Commission {
                        id,
                        commissioner_code: e.commissioner_code.clone(),
                        partner_code: e.partner_code.clone(),
                        area_code: e.area_code.clone(),
                        starts_on,
                        ends_on,
                        sessions_promised: e.sessions_promised,
                        topics: e.topics.clone(),
                        ended_on: None,
                    },
                );
            }
            CommissionEvent::CommissionEnded(e) => {
                let commission = Uuid::try_parse(&e.commission_id)
                    .ok()
                    .and_then(|id| self.by_id.get_mut(&id));
                if let Some(commission) = commission {
                    commission.ended_on = day(&e.ended_on);
                }
            }
        }
    }
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl Commissions {
    pub fn get(&self, id: &Uuid) -> Option<&Commission> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Commission> {
        self.by_id.values()
    }

    /// The partners holding a commission that reaches a session held at `place` on
    /// `date` about `topics` and funded by `funder` (see [`Commission::reaches`]).
    pub fn holders<'a>(
        &'a self,
        place: &'a str,
        date: NaiveDate,
        topics: &'a [i32],
        funder: &'a str,
        registry: &'a Registry,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.iter()
            .filter(move |c| c.reaches(place, date, topics, funder, registry))
            .map(|c| c.partner_code.as_str())
    }
}

/// `CommissionPartner`, parsed. Dates left out are resolved from the context's today.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionPartner {
    pub commissioner_code: String,
    pub partner_code: String,
    pub area_code: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: NaiveDate,
    pub sessions_promised: u32,
    pub topics: Vec<DigitalService>,
}

impl TryFrom<CommissionPartnerRequest> for CommissionPartner {
    type Error = DomainError;
    fn try_from(request: CommissionPartnerRequest) -> Result<Self> {
        let starts_on = values::optional_date("starts_on", &request.starts_on)?;
        let ends_on = values::date("ends_on", &request.ends_on)?;
        if starts_on.is_some_and(|starts| ends_on < starts) {
            return Err(DomainError::invalid(
                "ends_on",
                "must not be before starts_on",
            ));
        }
        Ok(Self {
            commissioner_code: codes::reference("commissioner_code", &request.commissioner_code)?,
            partner_code: codes::reference("partner_code", &request.partner_code)?,
            area_code: codes::reference("area_code", &request.area_code)?,
            starts_on,
            ends_on,
            sessions_promised: values::count(
                "sessions_promised",
                request.sessions_promised,
                false,
                MAX_SESSIONS_PROMISED,
            )?,
            topics: values::distinct_enums("topics", &request.topics, false)?,
        })
    }
}

parsed! {
    /// `EndCommission`, parsed.
    pub struct EndCommission from EndCommissionRequest as request {
        commission_id: Uuid = values::id("commission_id", &request.commission_id)?,
        reason: String = values::text("reason", &request.reason, 500)?,
        ended_on: Option<NaiveDate> = values::optional_date("ended_on", &request.ended_on)?,
    }
}

impl Commissions {
    pub fn commission(
        &self,
        id: Uuid,
        command: CommissionPartner,
        ctx: &Context,
    ) -> Result<Vec<CommissionEvent>> {
        let CommissionPartner {
            commissioner_code: commissioner,
            partner_code: partner,
            area_code: area,
            starts_on,
            ends_on,
            sessions_promised,
            topics,
        } = command;
        let today = ctx.today();
        let starts_on = starts_on.unwrap_or(today);
        if ends_on < starts_on {
            return Err(DomainError::invalid(
                "ends_on",
                format!("{ends_on} is before the commission starts ({starts_on})"),
            ));
        }
        if ends_on < today {
            return Err(DomainError::invalid(
                "ends_on",
                format!("{ends_on} is in the past"),
            ));
        }
        ctx.authorize(
            Command::CommissionPartner,
            &Targets::of(&area).with(Party::Commissioner, &commissioner),
        )?;
        if self.by_id.contains_key(&id) {
            return Err(DomainError::exists(
                "commission_id",
                "commission",
                id.to_string(),
            ));
        }
        use OrganisationKind::*;
        ctx.registry.require(
            "commissioner_code",
            &commissioner,
            &[NationalBody, Region, Icb, SubIcb],
            today,
        )?;
        ctx.registry
            .require("partner_code", &partner, &[Partner], today)?;
        ctx.registry.require("area_code", &area, &[], today)?;
        if !ctx.registry.is_within(&area, &commissioner, today) {
            return Err(DomainError::invalid(
                "area_code",
                format!("{area} is not within the commissioner {commissioner}"),
            ));
        }
        Ok(vec![
            PartnerCommissioned {
                commission_id: id.to_string(),
                commissioner_code: commissioner,
                partner_code: partner,
                area_code: area,
                starts_on: date_text(starts_on),
                ends_on: date_text(ends_on),
                sessions_promised,
                topics: topics.into_iter().map(i32::from).collect(),
            }
            .into(),
        ])
    }

    pub fn end(&self, command: EndCommission, ctx: &Context) -> Result<Vec<CommissionEvent>> {
        let EndCommission {
            commission_id: id,
            reason,
            ended_on,
        } = command;
        let found = self.by_id.get(&id);
        // Judged before saying whether the commission exists: an outsider learns nothing.
        let targets = match found {
            Some(c) => {
                Targets::of(&c.area_code).with(Party::Commissioner, c.commissioner_code.as_str())
            }
            None => Targets::on("commission", &id.to_string()),
        };
        ctx.authorize(Command::EndCommission, &targets)?;
        let Some(commission) = found else {
            return Err(DomainError::not_found(
                "commission_id",
                "commission",
                id.to_string(),
            ));
        };
        if let Some(ended) = commission.ended_on {
            return Err(DomainError::precondition(
                "commission_id",
                format!("commission {id} already ended on {ended}"),
            ));
        }
        let ended_on = ended_on.unwrap_or_else(|| ctx.today());
        if ended_on < commission.starts_on || ended_on > commission.ends_on {
            return Err(DomainError::invalid(
                "ended_on",
                format!(
                    "{ended_on} is outside the commission ({} to {})",
                    commission.starts_on, commission.ends_on
                ),
            ));
        }
        Ok(vec![
            CommissionEnded {
                commission_id: id.to_string(),
                reason,
                ended_on: date_text(ended_on),
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests;
