//! Platforms, their changes and training material, usability issues, and what each
//! practice offers: digital service status, champions, platforms adopted.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{GatewayEvent, date};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Platform {
    pub id: String,
    pub provider_code: String,
    pub name: String,
    pub category: i32,
    pub services: Vec<i32>,
    pub changes: Vec<Change>,
    pub materials: Vec<Material>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub id: String,
    pub effective_date: Option<NaiveDate>,
    pub roles_affected: Vec<i32>,
    pub retraining_required: bool,
    pub summary: String,
    pub patient_facing: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Material {
    pub id: String,
    pub title: String,
    pub formats: Vec<i32>,
    pub languages: Vec<String>,
    pub url: String,
    pub change_id: String,
}

// One type for the read model and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum IssueStatus {
    Open,
    Acknowledged,
    Resolved,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issue {
    pub id: String,
    pub platform_id: String,
    pub provider_code: String,
    pub practice_code: String,
    pub category: i32,
    pub severity: i32,
    pub description: String,
    pub service: i32,
    pub status: IssueStatus,
    pub reported_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: String,
    pub resolution: String,
    pub resolution_kind: i32,
}

impl Issue {
    /// Where the issue stood at the end of `date`, or `None` before it was reported.
    pub fn status_on(&self, date: NaiveDate) -> Option<IssueStatus> {
        let by = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at.date_naive() <= date);
        if !by(Some(self.reported_at)) {
            None
        } else if by(self.resolved_at) {
            Some(IssueStatus::Resolved)
        } else if by(self.acknowledged_at) {
            Some(IssueStatus::Acknowledged)
        } else {
            Some(IssueStatus::Open)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceState {
    pub status: i32,
    pub reason: String,
    pub reason_kind: i32,
    pub effective_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Champion {
    pub staff_ref: String,
    pub staff_role: i32,
    pub services: Vec<i32>,
    pub effective_date: Option<NaiveDate>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Platforms {
    pub platforms: HashMap<String, Platform>,
    pub issues: HashMap<String, Issue>,
    /// Practice code → service (proto number) → its latest status.
    pub service_status: HashMap<String, BTreeMap<i32, ServiceState>>,
    pub champions: HashMap<String, Vec<Champion>>,
    /// Practice code → platform ids adopted.
    pub adopted: HashMap<String, Vec<String>>,
}

impl Platforms {
    pub(super) fn apply(&mut self, event: &GatewayEvent, at: DateTime<Utc>) {
        match event {
            GatewayEvent::PlatformRegistered(e) => {
                self.platforms.insert(
                    e.platform_id.clone(),
                    Platform {
                        id: e.platform_id.clone(),
                        provider_code: e.provider_code.clone(),
                        name: e.name.clone(),
                        category: e.category,
                        services: e.services.clone(),
                        changes: Vec::new(),
                        materials: Vec::new(),
                    },
                );
            }
            GatewayEvent::PlatformChangeAnnounced(e) => {
                if let Some(p) = self.platforms.get_mut(&e.platform_id) {
                    p.changes.push(Change {
                        id: e.change_id.clone(),
                        effective_date: date(&e.effective_date),
                        roles_affected: e.roles_affected.clone(),
                        retraining_required: e.retraining_required,
                        summary: e.summary.clone(),
                        patient_facing: e.patient_facing,
                    });
                }
            }
            GatewayEvent::TrainingMaterialPublished(e) => {
                if let Some(p) = self.platforms.get_mut(&e.platform_id) {
                    p.materials.push(Material {
                        id: e.material_id.clone(),
                        title: e.title.clone(),
                        formats: e.formats.clone(),
                        languages: e.languages.clone(),
                        url: e.url.clone(),
                        change_id: e.change_id.clone(),
                    });
                }
            }
            GatewayEvent::UsabilityIssueReported(e) => {
                self.issues.insert(
                    e.issue_id.clone(),
                    Issue {
                        id: e.issue_id.clone(),
                        platform_id: e.platform_id.clone(),
                        provider_code: e.provider_code.clone(),
                        practice_code: e.practice_code.clone(),
                        category: e.category,
                        severity: e.severity,
                        description: e.description.clone(),
                        service: e.service,
                        status: IssueStatus::Open,
                        reported_at: at,
                        acknowledged_at: None,
                        resolved_at: None,
                        note: String::new(),
                        resolution: String::new(),
                        resolution_kind: 0,
                    },
                );
            }
            GatewayEvent::UsabilityIssueAcknowledged(e) => {
                if let Some(issue) = self.issues.get_mut(&e.issue_id) {
                    issue.status = IssueStatus::Acknowledged;
                    issue.acknowledged_at = Some(at);
                    issue.note = e.note.clone();
                }
            }
            GatewayEvent::UsabilityIssueResolved(e) => {
                if let Some(issue) = self.issues.get_mut(&e.issue_id) {
                    issue.status = IssueStatus::Resolved;
                    issue.resolved_at = Some(at);
                    issue.resolution = e.resolution.clone();
                    issue.resolution_kind = e.resolution_kind;
                }
            }
            GatewayEvent::DigitalServiceStatusChanged(e) => {
                self.service_status
                    .entry(e.practice_code.clone())
                    .or_default()
                    .insert(
                        e.service,
                        ServiceState {
                            status: e.status,
                            reason: e.reason.clone(),
                            reason_kind: e.reason_kind,
                            effective_date: date(&e.effective_date),
                        },
                    );
            }
            GatewayEvent::DigitalChampionNamed(e) => {
                self.champions
                    .entry(e.practice_code.clone())
                    .or_default()
                    .push(Champion {
                        staff_ref: e.staff_ref.clone(),
                        staff_role: e.staff_role,
                        services: e.services.clone(),
                        effective_date: date(&e.effective_date),
                    });
            }
            GatewayEvent::PlatformAdopted(e) => {
                let adopted = self.adopted.entry(e.practice_code.clone()).or_default();
                if !adopted.contains(&e.platform_id) {
                    adopted.push(e.platform_id.clone());
                }
            }
            _ => {}
        }
    }
}
