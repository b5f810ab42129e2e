//! Duties, the assignments that make organisations responsible for them, and the
//! attributions that record who organisations *believe* owns them. The gap analysis
//! (`gaps`) is the product's answer to "what does nobody own here".

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use proto::v1::RaciRole;
use serde::{Deserialize, Serialize};

use super::GatewayEvent;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Duty {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Proto `Level` numbers at which the duty needs an accepted Responsible and Accountable.
    pub required_levels: Vec<i32>,
    pub retired: bool,
}

// One type for the read model and the API; its doc comment is the API's description.
/// Where an assignment stands: only ACCEPTED is a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
pub enum AssignmentStatus {
    Proposed,
    Accepted,
    Declined,
    Ended,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assignment {
    pub id: String,
    pub duty_id: String,
    pub area_code: String,
    pub level: i32,
    pub assignee_code: String,
    pub role: i32,
    pub proposer_code: String,
    pub status: AssignmentStatus,
    /// Why it was declined or ended.
    pub reason: String,
    pub proposed_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attribution {
    pub id: String,
    pub duty_id: String,
    pub area_code: String,
    pub level: i32,
    pub role: i32,
    pub attributed_by_code: String,
    pub believed_owner_code: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Responsibility {
    pub duties: BTreeMap<String, Duty>,
    pub assignments: HashMap<String, Assignment>,
    pub attributions: HashMap<String, Attribution>,
    /// Assignment ids by area, in the order they were proposed.
    by_area: HashMap<String, Vec<String>>,
    /// Attribution ids by area, in the order they were made.
    attributions_by_area: HashMap<String, Vec<String>>,
}

// What a (duty, area, level) lacks or disagrees about. One type for the read model and
// the API (a doc comment here would become the API's description).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
pub enum GapStatus {
    /// No accepted Responsible, or no accepted Accountable.
    Missing,
    /// Someone declined it, or more than one organisation accepted being Accountable.
    Contested,
    /// Organisations believe someone owns it who never accepted it.
    Misattributed,
    /// An accepted Responsible and Accountable, and nobody disagrees.
    Covered,
}

#[derive(Debug, Clone)]
pub struct Gap<'a> {
    pub duty: &'a Duty,
    pub level: i32,
    pub status: GapStatus,
    pub responsible: Vec<&'a Assignment>,
    pub accountable: Vec<&'a Assignment>,
    pub missing_responsible: bool,
    pub missing_accountable: bool,
    pub declined: Vec<&'a Assignment>,
    pub misattributions: Vec<&'a Attribution>,
    pub proposed: Vec<&'a Assignment>,
}

impl Responsibility {
    pub(super) fn apply(&mut self, event: &GatewayEvent, at: DateTime<Utc>) {
        match event {
            GatewayEvent::DutyDefined(e) => {
                self.duties.insert(
                    e.duty_id.clone(),
                    Duty {
                        id: e.duty_id.clone(),
                        title: e.title.clone(),
                        description: e.description.clone(),
                        required_levels: e.required_levels.clone(),
                        retired: false,
                    },
                );
            }
            GatewayEvent::DutyRetired(e) => {
                if let Some(duty) = self.duties.get_mut(&e.duty_id) {
                    duty.retired = true;
                }
            }
            GatewayEvent::ResponsibilityProposed(e) => {
                self.by_area
                    .entry(e.area_code.clone())
                    .or_default()
                    .push(e.assignment_id.clone());
                self.assignments.insert(
                    e.assignment_id.clone(),
                    Assignment {
                        id: e.assignment_id.clone(),
                        duty_id: e.duty_id.clone(),
                        area_code: e.area_code.clone(),
                        level: e.level,
                        assignee_code: e.assignee_code.clone(),
                        role: e.role,
                        proposer_code: e.proposer_code.clone(),
                        status: AssignmentStatus::Proposed,
                        reason: String::new(),
                        proposed_at: at,
                        changed_at: at,
                    },
                );
            }
            GatewayEvent::ResponsibilityAccepted(e) => {
                self.set_status(&e.assignment_id, AssignmentStatus::Accepted, "", at)
            }
            GatewayEvent::ResponsibilityDeclined(e) => {
                self.set_status(&e.assignment_id, AssignmentStatus::Declined, &e.reason, at)
            }
            GatewayEvent::ResponsibilityEnded(e) => {
                self.set_status(&e.assignment_id, AssignmentStatus::Ended, &e.reason, at)
            }
            GatewayEvent::ResponsibilityAttributed(e) => {
                self.attributions_by_area
                    .entry(e.area_code.clone())
                    .or_default()
                    .push(e.attribution_id.clone());
                self.attributions.insert(
                    e.attribution_id.clone(),
                    Attribution {
                        id: e.attribution_id.clone(),
                        duty_id: e.duty_id.clone(),
                        area_code: e.area_code.clone(),
                        level: e.level,
                        role: e.role,
                        attributed_by_code: e.attributed_by_code.clone(),
                        believed_owner_code: e.believed_owner_code.clone(),
                        at,
                    },
                );
            }
            _ => {}
        }
    }

    fn set_status(&mut self, id: &str, status: AssignmentStatus, reason: &str, at: DateTime<Utc>) {
        if let Some(assignment) = self.assignments.get_mut(id) {
            assignment.status = status;
            assignment.reason = reason.to_owned();
            assignment.changed_at = at;
        }
    }

    /// Assignments for `area`, oldest first.
    pub fn in_area(&self, area: &str) -> impl Iterator<Item = &Assignment> {
        self.by_area
            .get(area)
            .into_iter()
            .flatten()
            .filter_map(|id| self.assignments.get(id))
    }

    pub fn attributions_in(&self, area: &str) -> impl Iterator<Item = &Attribution> {
        self.attributions_by_area
            .get(area)
            .into_iter()
            .flatten()
            .filter_map(|id| self.attributions.get(id))
    }

    /// Every area that has assignments, for views over a whole region.
    pub fn areas(&self) -> impl Iterator<Item = &String> {
        self.by_area.keys()
    }

    /// For every live duty and each level it must be owned at, what `area` lacks. An
    /// acceptance by an organisation that has since closed or merged away no longer
    /// counts (`active` says who is active on `date`).
    pub fn gaps<'a>(
        &'a self,
        area: &str,
        date: NaiveDate,
        active: &dyn Fn(&str, NaiveDate) -> bool,
    ) -> Vec<Gap<'a>> {
        let assignments: Vec<&Assignment> = self.in_area(area).collect();
        let attributions: Vec<&Attribution> = self.attributions_in(area).collect();
        let mut gaps = Vec::new();
        for duty in self.duties.values().filter(|d| !d.retired) {
            for &level in &duty.required_levels {
                let here = |a: &&&Assignment| a.duty_id == duty.id && a.level == level;
                let accepted = |role: RaciRole| -> Vec<&'a Assignment> {
                    assignments
                        .iter()
                        .filter(here)
                        .filter(|a| a.role == role as i32)
                        .filter(|a| a.status == AssignmentStatus::Accepted)
                        .filter(|a| active(&a.assignee_code, date))
                        .copied()
                        .collect()
                };
                let responsible = accepted(RaciRole::Responsible);
                let accountable = accepted(RaciRole::Accountable);
                let declined: Vec<&Assignment> = assignments
                    .iter()
                    .filter(here)
                    .filter(|a| a.status == AssignmentStatus::Declined)
                    .copied()
                    .collect();
                let proposed: Vec<&Assignment> = assignments
                    .iter()
                    .filter(here)
                    .filter(|a| a.status == AssignmentStatus::Proposed)
                    .copied()
                    .collect();
                let misattributions: Vec<&Attribution> = attributions
                    .iter()
                    .filter(|b| b.duty_id == duty.id && b.level == level)
                    .filter(|b| {
                        let owners = if b.role == RaciRole::Accountable as i32 {
                            &accountable
                        } else if b.role == RaciRole::Responsible as i32 {
                            &responsible
                        } else {
                            return !assignments.iter().filter(here).any(|a| {
                                a.role == b.role
                                    && a.status == AssignmentStatus::Accepted
                                    && a.assignee_code == b.believed_owner_code
                            });
                        };
                        !owners
                            .iter()
                            .any(|a| a.assignee_code == b.believed_owner_code)
                    })
                    .copied()
                    .collect();
                let missing_responsible = responsible.is_empty();
                let missing_accountable = accountable.is_empty();
                let contested = !declined.is_empty() || accountable.len() > 1;
                let status = if missing_responsible || missing_accountable {
                    GapStatus::Missing
                } else if contested {
                    GapStatus::Contested
                } else if !misattributions.is_empty() {
                    GapStatus::Misattributed
                } else {
                    GapStatus::Covered
                };
                gaps.push(Gap {
                    duty,
                    level,
                    status,
                    responsible,
                    accountable,
                    missing_responsible,
                    missing_accountable,
                    declined,
                    misattributions,
                    proposed,
                });
            }
        }
        gaps
    }
}
