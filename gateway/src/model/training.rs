//! Training programmes, their rollout targets, and each practice's staff on them (by
//! pseudonymous reference only).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{GatewayEvent, date};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Programme {
    pub id: String,
    /// The short name people use (`DFE-2026`).
    pub code: String,
    pub owner_code: String,
    pub title: String,
    pub audience_roles: Vec<i32>,
    pub module_ids: Vec<String>,
    pub target_percent: u32,
    pub deadline: Option<NaiveDate>,
    /// The day the launch was recorded: where the rollout's straight line starts.
    pub launched_on: NaiveDate,
    /// Targets set for areas, overriding the programme's own below them.
    pub targets: BTreeMap<String, Target>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub percent: u32,
    pub deadline: Option<NaiveDate>,
}

/// One member of staff on one programme.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trainee {
    pub staff_ref: String,
    pub role: i32,
    pub enrolled_on: Option<NaiveDate>,
    pub modules_completed: u32,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Training {
    pub programmes: BTreeMap<String, Programme>,
    /// programme id → practice code → its trainees, in order of enrolment.
    pub trainees: HashMap<String, HashMap<String, Vec<Trainee>>>,
    /// practice code → staff role → (as of, headcount), oldest first, one per date.
    pub staff_in_post: HashMap<String, BTreeMap<i32, Vec<(NaiveDate, u32)>>>,
}

impl Training {
    /// The programme `key` names: its id, or its code when one programme has it.
    pub fn programme(&self, key: &str) -> Option<&Programme> {
        self.programmes.get(key).or_else(|| {
            let mut coded = self.programmes.values().filter(|p| p.code == key);
            match (coded.next(), coded.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
    }

    /// The people in post in `role` at `practice` on `date`: the latest figure reported
    /// as of that date, if any.
    pub fn staff_in_post(&self, practice: &str, role: i32, date: NaiveDate) -> Option<u32> {
        let reports = self.staff_in_post.get(practice)?.get(&role)?;
        let known = reports.partition_point(|(as_of, _)| *as_of <= date);
        known.checked_sub(1).map(|last| reports[last].1)
    }

    pub(super) fn apply(&mut self, event: &GatewayEvent, at: DateTime<Utc>) {
        match event {
            GatewayEvent::StaffInPostReported(e) => {
                let Some(as_of) = date(&e.as_of) else { return };
                let reports = self
                    .staff_in_post
                    .entry(e.practice_code.clone())
                    .or_default()
                    .entry(e.staff_role)
                    .or_default();
                match reports.binary_search_by_key(&as_of, |(d, _)| *d) {
                    Ok(same_day) => reports[same_day].1 = e.headcount,
                    Err(at) => reports.insert(at, (as_of, e.headcount)),
                }
            }
            GatewayEvent::TrainingProgrammeLaunched(e) => {
                self.programmes.insert(
                    e.programme_id.clone(),
                    Programme {
                        id: e.programme_id.clone(),
                        code: e.code.clone(),
                        owner_code: e.owner_code.clone(),
                        title: e.title.clone(),
                        audience_roles: e.audience_roles.clone(),
                        module_ids: e.module_ids.clone(),
                        target_percent: e.target_percent,
                        deadline: date(&e.deadline),
                        launched_on: at.date_naive(),
                        targets: BTreeMap::new(),
                    },
                );
            }
            GatewayEvent::RolloutTargetSet(e) => {
                if let Some(programme) = self.programmes.get_mut(&e.programme_id) {
                    programme.targets.insert(
                        e.area_code.clone(),
                        Target {
                            percent: e.target_percent,
                            deadline: date(&e.deadline),
                        },
                    );
                }
            }
            GatewayEvent::StaffEnrolled(e) => {
                let staff = self
                    .trainees
                    .entry(e.programme_id.clone())
                    .or_default()
                    .entry(e.practice_code.clone())
                    .or_default();
                match staff.iter_mut().find(|t| t.staff_ref == e.staff_ref) {
                    Some(trainee) => trainee.role = e.staff_role,
                    None => staff.push(Trainee {
                        staff_ref: e.staff_ref.clone(),
                        role: e.staff_role,
                        enrolled_on: date(&e.enrolled_on),
                        modules_completed: 0,
                        completed_on: None,
                    }),
                }
            }
            GatewayEvent::ModuleCompleted(e) => {
                if let Some(trainee) = self.trainee(&e.programme_id, &e.practice_code, &e.staff_ref)
                {
                    trainee.modules_completed += 1;
                }
            }
            GatewayEvent::TrainingCompleted(e) => {
                if let Some(trainee) = self.trainee(&e.programme_id, &e.practice_code, &e.staff_ref)
                {
                    trainee.completed_on = date(&e.completed_on);
                }
            }
            _ => {}
        }
    }

    fn trainee(
        &mut self,
        programme: &str,
        practice: &str,
        staff_ref: &str,
    ) -> Option<&mut Trainee> {
        self.trainees
            .get_mut(programme)?
            .get_mut(practice)?
            .iter_mut()
            .find(|t| t.staff_ref == staff_ref)
    }

    /// The target that applies to `lineage` (an area and everything above it, nearest
    /// first): the nearest area's own, else the programme's.
    pub fn target_for<'a>(
        &self,
        programme: &Programme,
        lineage: impl IntoIterator<Item = &'a str>,
    ) -> Target {
        lineage
            .into_iter()
            .find_map(|code| programme.targets.get(code).copied())
            .unwrap_or(Target {
                percent: programme.target_percent,
                deadline: programme.deadline,
            })
    }
}
