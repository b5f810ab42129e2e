//! Duties, the assignments that make organisations responsible for them, and the
//! attributions that record who organisations *believe* owns them. [`super::coverage`]
//! turns them into the product's answer to "what does nobody own here".

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
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
    pub defined_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl Duty {
    /// Defined by the end of `date` and not retired by then.
    pub fn is_live_on(&self, date: NaiveDate) -> bool {
        self.defined_at.date_naive() <= date
            && self.retired_at.is_none_or(|at| date < at.date_naive())
    }
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
    /// Every change of status, oldest first, the proposal included: what `onDate` reads.
    pub changes: Vec<(DateTime<Utc>, AssignmentStatus)>,
}

impl Assignment {
    /// The status at the end of `date` and when it was reached, or `None` before the
    /// proposal.
    pub fn on(&self, date: NaiveDate) -> Option<(AssignmentStatus, DateTime<Utc>)> {
        self.changes
            .iter()
            .rev()
            .find(|(at, _)| at.date_naive() <= date)
            .map(|(at, status)| (*status, *at))
    }

    pub fn status_on(&self, date: NaiveDate) -> Option<AssignmentStatus> {
        self.on(date).map(|(status, _)| status)
    }
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
                        defined_at: at,
                        retired_at: None,
                    },
                );
            }
            GatewayEvent::DutyRetired(e) => {
                if let Some(duty) = self.duties.get_mut(&e.duty_id) {
                    duty.retired = true;
                    duty.retired_at.get_or_insert(at);
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
                        changes: vec![(at, AssignmentStatus::Proposed)],
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
            assignment.changes.push((at, status));
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
}
