//! Facilitation records, kept per practice in the order recorded: counts only, the week
//! as its Monday, enums as their proto numbers.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::GatewayEvent;

/// Outcome counts in a fixed order (see [`OUTCOMES`]).
pub type Outcomes = [u32; 6];

/// The names of [`Outcomes`]' slots, as the GraphQL view shows them.
pub const OUTCOMES: [&str; 6] = [
    "registeredForNhsApp",
    "completedTaskOnline",
    "referredToCommunitySession",
    "declinedHelp",
    "setUpProxyAccess",
    "staffMinutes",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub week: NaiveDate,
    pub mode: i32,
    pub service: i32,
    pub channel: i32,
    pub delivered_by: i32,
    pub patient_groups: Vec<i32>,
    pub patients: u32,
    pub outcomes: Outcomes,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Facilitation {
    /// Practice code → its records.
    pub by_practice: HashMap<String, Vec<Record>>,
    pub records: u64,
}

/// The Monday of an ISO week written `YYYY-Www`, read as the practice service checked it.
pub fn week_start(week: &str) -> Option<NaiveDate> {
    domain::practice::iso_week("week", week, NaiveDate::MAX).ok()
}

impl Facilitation {
    pub(super) fn apply(&mut self, event: &GatewayEvent) {
        let GatewayEvent::FacilitationRecorded(e) = event else {
            return;
        };
        let Some(week) = week_start(&e.week) else {
            return;
        };
        self.records += 1;
        self.by_practice
            .entry(e.practice_code.clone())
            .or_default()
            .push(Record {
                week,
                mode: e.mode,
                service: e.service,
                channel: e.channel,
                delivered_by: e.delivered_by,
                patient_groups: e.patient_groups.clone(),
                patients: e.patients_supported,
                outcomes: [
                    e.registered_for_nhs_app,
                    e.completed_task_online,
                    e.referred_to_community_session,
                    e.declined_help,
                    e.set_up_proxy_access,
                    e.staff_minutes,
                ],
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_start_on_monday() {
        assert_eq!(week_start("2026-W14"), NaiveDate::from_ymd_opt(2026, 3, 30));
        assert_eq!(
            week_start("2026-W01"),
            NaiveDate::from_ymd_opt(2025, 12, 29)
        );
        assert_eq!(week_start("2026-14"), None);
        assert_eq!(week_start("2026-W54"), None);
    }
}
