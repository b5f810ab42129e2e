//! Every view against a brute-force computation over the same random event history: the
//! read model folds events incrementally and indexes the tree; the brute force below
//! recomputes each answer from the raw list of events, knowing nothing of either.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use eventlog::RecordedEvent;
use gateway::checkpoint::Checkpoint;
use gateway::model::ReadModel;
use gateway::model::coverage::CoverageFlag;
use gateway::model::facilitation::week_start;
use gateway::views::AreaLevel;
use gateway::views::coverage;
use gateway::views::facilitation::tally;
use gateway::views::page::PageArgs;
use gateway::views::perceptions::perceptions;
use gateway::views::training::rollout;
use proptest::prelude::*;
use proto::v1 as pb;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const NATIONAL: &str = "X24";
const REGIONS: [&str; 2] = ["Y56", "Y63"];
/// (ICB, region)
const ICBS: [(&str, &str); 3] = [("QMJ", "Y56"), ("QWO", "Y63"), ("QF7", "Y63")];
/// (PCN, ICB)
const PCNS: [(&str, &str); 4] = [
    ("U00001", "QMJ"),
    ("U00002", "QWO"),
    ("U00003", "QF7"),
    ("U00004", "QF7"),
];
/// (practice, PCN)
const PRACTICES: [(&str, &str); 6] = [
    ("A81001", "U00001"),
    ("A81002", "U00001"),
    ("B82001", "U00002"),
    ("B82002", "U00003"),
    ("C83001", "U00004"),
    ("C83002", "U00004"),
];
const PARTNER: &str = "P-leeds-libraries";
const DUTIES: [&str; 3] = [
    "00000000-0000-4000-8000-000000000001",
    "00000000-0000-4000-8000-000000000002",
    "00000000-0000-4000-8000-000000000003",
];
const PROGRAMME: &str = "00000000-0000-4000-8000-0000000000aa";
/// Areas that assignments and attributions are made for: every level of the tree.
const ASSIGNED: [&str; 10] = [
    NATIONAL, "Y63", "QMJ", "QWO", "QF7", "U00002", "U00004", "A81001", "B82002", "C83001",
];
/// Areas whose coverage is checked.
const AREAS: [&str; 7] = [NATIONAL, "Y56", "Y63", "QWO", "QF7", "U00002", "B82002"];
const MERGER_DATE: &str = "2026-04-01";
const REPARENT_DATE: &str = "2025-10-01";

const RECORDED_EVERY_MICROS: i64 = 12 * 3_600 * 1_000_000;

/// The day `e` was recorded on.
fn recorded_on(e: &RecordedEvent) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(e.recorded_at_unix_micros)
        .expect("a time")
        .date_naive()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// A random history, as recorded events and as the facts the brute force reads.
struct History {
    events: Vec<RecordedEvent>,
    rng: StdRng,
    versions: HashMap<String, u64>,
}

impl History {
    fn push<M: prost::Message + prost::Name>(&mut self, stream: &str, message: M) {
        let version = self.versions.entry(stream.to_owned()).or_insert(0);
        let position = self.events.len() as u64 + 1;
        self.events.push(RecordedEvent {
            event_id: Uuid::new_v4(),
            stream: stream.to_owned(),
            version: *version,
            position,
            event_type: M::full_name(),
            payload: Bytes::from(message.encode_to_vec()),
            metadata: Default::default(),
            // Twelve hours apart from 2026-01-01, so that a cut at a time is a cut at a
            // position and the history spans the dates `onDate` is asked about.
            recorded_at_unix_micros: 1_767_225_600_000_000
                + position as i64 * RECORDED_EVERY_MICROS,
        });
        *version += 1;
    }

    fn register(&mut self, code: &str, kind: pb::OrganisationKind, parent: &str) {
        self.push(
            "organisations",
            pb::OrganisationRegistered {
                code: code.into(),
                kind: kind.into(),
                name: format!("Synthetic {code}"),
                parent_code: parent.into(),
                effective_date: "2020-01-01".into(),
                ..Default::default()
            },
        );
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(&mut self.rng).expect("not empty")
    }

    fn generate(seed: u64) -> Self {
        let mut h = History {
            events: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            versions: HashMap::new(),
        };
        use pb::OrganisationKind as K;
        h.register(NATIONAL, K::NationalBody, "");
        for region in REGIONS {
            h.register(region, K::Region, NATIONAL);
        }
        for (icb, region) in ICBS {
            h.register(icb, K::Icb, region);
        }
        for (pcn, icb) in PCNS {
            h.register(pcn, K::Pcn, icb);
        }
        for (practice, pcn) in PRACTICES {
            h.register(practice, K::Practice, pcn);
        }
        h.register(PARTNER, K::Partner, NATIONAL);
        if h.rng.random_bool(0.5) {
            h.push(
                "organisations",
                pb::OrganisationReparented {
                    code: "B82002".into(),
                    parent_code: "U00002".into(),
                    effective_date: REPARENT_DATE.into(),
                },
            );
        }
        if h.rng.random_bool(0.5) {
            h.push(
                "organisations",
                pb::OrganisationsMerged {
                    predecessor_codes: vec!["QF7".into()],
                    successor_code: "QWO".into(),
                    effective_date: MERGER_DATE.into(),
                },
            );
        }
        if h.rng.random_bool(0.3) {
            h.push(
                "organisations",
                pb::OrganisationClosed {
                    code: "A81002".into(),
                    effective_date: "2026-02-01".into(),
                    reason: "merged into a neighbour".into(),
                },
            );
        }
        let levels = [pb::Level::Local, pb::Level::Regional, pb::Level::National];
        for duty in DUTIES {
            let mut required: Vec<i32> = levels
                .iter()
                .filter(|_| h.rng.random_bool(0.6))
                .map(|l| *l as i32)
                .collect();
            if required.is_empty() {
                required.push(pb::Level::Regional as i32);
            }
            h.push(
                &format!("duty-{duty}"),
                pb::DutyDefined {
                    duty_id: duty.into(),
                    title: format!("Duty {duty}"),
                    description: String::new(),
                    required_levels: required,
                },
            );
        }
        if h.rng.random_bool(0.3) {
            h.push(
                &format!("duty-{}", DUTIES[2]),
                pb::DutyRetired {
                    duty_id: DUTIES[2].into(),
                    reason: "replaced".into(),
                },
            );
        }
        let areas = ASSIGNED;
        let assignees: Vec<&str> = ICBS
            .iter()
            .map(|(c, _)| *c)
            .chain(PCNS.iter().map(|(c, _)| *c))
            .chain(PRACTICES.iter().map(|(c, _)| *c))
            .chain([PARTNER])
            .collect();
        let roles = [
            pb::RaciRole::Responsible,
            pb::RaciRole::Accountable,
            pb::RaciRole::Consulted,
        ];
        let mut assignment_ids = Vec::new();
        for _ in 0..h.rng.random_range(0..24) {
            let id = Uuid::new_v4().to_string();
            let stream = format!("assignment-{id}");
            let (duty, area, level, role) = (
                *h.pick(&DUTIES),
                *h.pick(&areas),
                *h.pick(&levels),
                *h.pick(&roles),
            );
            let assignee = *h.pick(&assignees);
            h.push(
                &stream,
                pb::ResponsibilityProposed {
                    assignment_id: id.clone(),
                    duty_id: duty.into(),
                    area_code: area.into(),
                    level: level.into(),
                    assignee_code: assignee.into(),
                    role: role.into(),
                    proposer_code: area.into(),
                    note: String::new(),
                },
            );
            assignment_ids.push((id, assignee));
        }
        for _ in 0..h.rng.random_range(0..30) {
            let Some((id, assignee)) = assignment_ids.choose(&mut h.rng).cloned() else {
                break;
            };
            let stream = format!("assignment-{id}");
            match h.rng.random_range(0..4) {
                0 | 1 => h.push(
                    &stream,
                    pb::ResponsibilityAccepted {
                        assignment_id: id,
                        assignee_code: assignee.into(),
                    },
                ),
                2 => h.push(
                    &stream,
                    pb::ResponsibilityDeclined {
                        assignment_id: id,
                        assignee_code: assignee.into(),
                        reason: "not ours".into(),
                    },
                ),
                _ => h.push(
                    &stream,
                    pb::ResponsibilityEnded {
                        assignment_id: id,
                        reason: "done".into(),
                        effective_date: "2026-01-01".into(),
                    },
                ),
            }
        }
        for _ in 0..h.rng.random_range(0..8) {
            let id = Uuid::new_v4().to_string();
            let (duty, area, level) = (*h.pick(&DUTIES), *h.pick(&areas), *h.pick(&levels));
            let (by, owner) = (*h.pick(&assignees), *h.pick(&assignees));
            let role = *h.pick(&roles[..2]);
            h.push(
                &format!("attribution-{id}"),
                pb::ResponsibilityAttributed {
                    attribution_id: id,
                    duty_id: duty.into(),
                    area_code: area.into(),
                    level: level.into(),
                    attributed_by_code: by.into(),
                    believed_owner_code: owner.into(),
                    role: role.into(),
                },
            );
        }
        h.push(
            &format!("programme-{PROGRAMME}"),
            pb::TrainingProgrammeLaunched {
                programme_id: PROGRAMME.into(),
                owner_code: NATIONAL.into(),
                title: "Digital facilitation for reception teams".into(),
                audience_roles: vec![pb::StaffRole::Receptionist as i32],
                module_ids: vec!["m1".into()],
                target_percent: 60,
                deadline: "2027-03-31".into(),
                code: "DFR-2027".into(),
            },
        );
        if h.rng.random_bool(0.5) {
            h.push(
                &format!("programme-{PROGRAMME}"),
                pb::RolloutTargetSet {
                    programme_id: PROGRAMME.into(),
                    area_code: "QWO".into(),
                    target_percent: 80,
                    deadline: "2026-12-31".into(),
                },
            );
        }
        let staff_roles = [
            pb::StaffRole::Receptionist,
            pb::StaffRole::CareNavigator,
            pb::StaffRole::Gp,
        ];
        for (practice, _) in PRACTICES {
            for n in 0..h.rng.random_range(0..4) {
                let staff_ref = format!("S-{n}");
                let stream = format!("practice-{practice}");
                let role = *h.pick(&staff_roles);
                h.push(
                    &stream,
                    pb::StaffEnrolled {
                        practice_code: practice.into(),
                        staff_ref: staff_ref.clone(),
                        staff_role: role.into(),
                        programme_id: PROGRAMME.into(),
                        enrolled_on: "2025-09-01".into(),
                    },
                );
                if h.rng.random_bool(0.6) {
                    let done =
                        day("2025-09-08") + chrono::Duration::days(h.rng.random_range(0..500));
                    h.push(
                        &stream,
                        pb::TrainingCompleted {
                            practice_code: practice.into(),
                            staff_ref,
                            programme_id: PROGRAMME.into(),
                            completed_on: done.format("%Y-%m-%d").to_string(),
                        },
                    );
                }
            }
        }
        let modes = [
            pb::FacilitationMode::Passive,
            pb::FacilitationMode::Reactive,
            pb::FacilitationMode::Proactive,
        ];
        for _ in 0..h.rng.random_range(0..60) {
            let practice = h.pick(&PRACTICES).0;
            let monday = day("2025-06-02") + chrono::Duration::weeks(h.rng.random_range(0..60));
            let week = format!(
                "{}-W{:02}",
                monday.iso_week().year(),
                monday.iso_week().week()
            );
            let mode = *h.pick(&modes);
            let patients = h.rng.random_range(1..20);
            let groups = if h.rng.random_bool(0.5) {
                vec![pb::PatientGroup::OlderPeople as i32]
            } else {
                vec![]
            };
            h.push(
                &format!("practice-{practice}"),
                pb::FacilitationRecorded {
                    practice_code: practice.into(),
                    week,
                    mode: mode.into(),
                    service: pb::DigitalService::NhsApp.into(),
                    channel: pb::FacilitationChannel::FaceToFace.into(),
                    delivered_by: pb::StaffRole::Receptionist.into(),
                    patient_groups: groups,
                    patients_supported: patients,
                    registered_for_nhs_app: patients / 2,
                    ..Default::default()
                },
            );
        }
        h
    }

    fn fold(&self, upto: usize) -> ReadModel {
        let mut model = ReadModel::default();
        for event in &self.events[..upto] {
            model.apply(event);
        }
        model
    }
}

/// The brute force: facts pulled from the raw events by type.
struct Facts<'a> {
    events: &'a [RecordedEvent],
    /// The events of each type, in log order: the brute force asks for the tree's few
    /// events thousands of times, and should not scan the whole log each time.
    by_type: HashMap<&'a str, Vec<&'a RecordedEvent>>,
}

fn decode<M: prost::Message + prost::Name + Default>(e: &RecordedEvent) -> Option<M> {
    (e.event_type == M::full_name()).then(|| M::decode(e.payload.as_ref()).expect("decodes"))
}

impl<'a> Facts<'a> {
    /// The events recorded by the end of `date`: what the world on that day holds.
    fn recorded_by(&self, date: NaiveDate) -> Vec<&'a RecordedEvent> {
        self.events
            .iter()
            .filter(|e| recorded_on(e) <= date)
            .collect()
    }

    fn new(events: &'a [RecordedEvent]) -> Self {
        let mut by_type: HashMap<&str, Vec<&RecordedEvent>> = HashMap::new();
        for e in events {
            by_type.entry(e.event_type.as_str()).or_default().push(e);
        }
        Self { events, by_type }
    }

    fn all<M: prost::Message + prost::Name + Default>(&self) -> Vec<M> {
        self.by_type
            .get(M::full_name().as_str())
            .into_iter()
            .flatten()
            .filter_map(|e| decode::<M>(e))
            .collect()
    }

    fn kind(&self, code: &str) -> Option<i32> {
        self.all::<pb::OrganisationRegistered>()
            .into_iter()
            .find(|o| o.code == code)
            .map(|o| o.kind)
    }

    fn merged(&self, code: &str, date: NaiveDate) -> Option<String> {
        self.all::<pb::OrganisationsMerged>()
            .into_iter()
            .find(|m| {
                m.predecessor_codes.iter().any(|p| p == code) && day(&m.effective_date) <= date
            })
            .map(|m| m.successor_code)
    }

    fn parent(&self, code: &str, date: NaiveDate) -> Option<String> {
        if let Some(successor) = self.merged(code, date) {
            return Some(successor);
        }
        let moved = self
            .all::<pb::OrganisationReparented>()
            .into_iter()
            .rfind(|r| r.code == code && day(&r.effective_date) <= date)
            .map(|r| r.parent_code);
        moved.or_else(|| {
            self.all::<pb::OrganisationRegistered>()
                .into_iter()
                .find(|o| o.code == code)
                .map(|o| o.parent_code)
                .filter(|p| !p.is_empty())
        })
    }

    /// `code` and what it sat in on `date`; a predecessor merged by then holds nothing.
    fn lineage(&self, code: &str, date: NaiveDate) -> Vec<String> {
        let mut out = vec![code.to_owned()];
        let mut at = code.to_owned();
        while let Some(parent) = self.parent(&at, date) {
            if self.merged(&parent, date).is_none() {
                out.push(parent.clone());
            }
            at = parent;
        }
        out
    }

    fn active(&self, code: &str, date: NaiveDate) -> bool {
        self.merged(code, date).is_none()
            && !self
                .all::<pb::OrganisationClosed>()
                .iter()
                .any(|c| c.code == code && day(&c.effective_date) <= date)
    }

    fn ancestor(&self, code: &str, kind: pb::OrganisationKind, date: NaiveDate) -> Option<String> {
        self.lineage(code, date)
            .into_iter()
            .rfind(|c| self.kind(c) == Some(kind as i32))
    }
}

/// Per duty and level with units in the area: each unit's code and flags, in code order.
type CoverageRow = (String, i32, Vec<(String, Vec<CoverageFlag>)>);
/// Per duty and level above the area: the unit there, and its R and A owners.
type AboveRow = (String, i32, Option<String>, Vec<String>, Vec<String>);

/// Each assignment's status after `events` and the position of its last change: what
/// both responsibility brute forces read.
fn assignment_statuses(events: &[&RecordedEvent]) -> HashMap<String, (&'static str, u64)> {
    let mut status = HashMap::new();
    for e in events {
        let change = if let Some(p) = decode::<pb::ResponsibilityProposed>(e) {
            Some((p.assignment_id, "proposed"))
        } else if let Some(a) = decode::<pb::ResponsibilityAccepted>(e) {
            Some((a.assignment_id, "accepted"))
        } else if let Some(d) = decode::<pb::ResponsibilityDeclined>(e) {
            Some((d.assignment_id, "declined"))
        } else {
            decode::<pb::ResponsibilityEnded>(e).map(|x| (x.assignment_id, "ended"))
        };
        if let Some((id, to)) = change {
            status.insert(id, (to, e.position));
        }
    }
    status
}

/// DESIGN.md §5's coverage, recomputed from the raw events for each unit.
fn brute_coverage(
    facts: &Facts<'_>,
    area: &str,
    date: NaiveDate,
) -> (Vec<CoverageRow>, Vec<AboveRow>) {
    use pb::OrganisationKind as K;
    let known = facts.recorded_by(date);
    let recorded = |e: &&&RecordedEvent| recorded_on(e) <= date;
    let by_date = |t: &str| -> Vec<&RecordedEvent> {
        facts
            .by_type
            .get(t)
            .into_iter()
            .flatten()
            .filter(recorded)
            .copied()
            .collect()
    };
    let retired: BTreeSet<String> = by_date("difacto.v1.DutyRetired")
        .into_iter()
        .filter_map(decode::<pb::DutyRetired>)
        .map(|r| r.duty_id)
        .collect();
    // Each assignment's status at the end of `date` and the position of its last change.
    let status = assignment_statuses(&known);
    let proposals: Vec<pb::ResponsibilityProposed> = by_date("difacto.v1.ResponsibilityProposed")
        .into_iter()
        .filter_map(decode)
        .collect();
    let attributions: Vec<pb::ResponsibilityAttributed> =
        by_date("difacto.v1.ResponsibilityAttributed")
            .into_iter()
            .filter_map(decode)
            .collect();
    let registered = facts.all::<pb::OrganisationRegistered>();
    // The tree on `date`, asked once per organisation: the brute force stays simple
    // without re-reading every event for every unit.
    let kinds: HashMap<&str, i32> = registered
        .iter()
        .map(|o| (o.code.as_str(), o.kind))
        .collect();
    let lineages: HashMap<&str, Vec<String>> = registered
        .iter()
        .map(|o| (o.code.as_str(), facts.lineage(&o.code, date)))
        .collect();
    let active: HashMap<&str, bool> = registered
        .iter()
        .map(|o| (o.code.as_str(), facts.active(&o.code, date)))
        .collect();
    let is_active = |code: &str| active.get(code).copied().unwrap_or(true);
    let ancestor = |code: &str, kind: K| -> Option<String> {
        lineages
            .get(code)?
            .iter()
            .rfind(|c| kinds.get(c.as_str()) == Some(&(kind as i32)))
            .cloned()
    };
    let owners = |here: &[&pb::ResponsibilityProposed], role: pb::RaciRole| -> Vec<String> {
        let mut owners: Vec<String> = here
            .iter()
            .filter(|p| p.role == role as i32 && status[&p.assignment_id].0 == "accepted")
            .filter(|p| is_active(&p.assignee_code))
            .map(|p| p.assignee_code.clone())
            .collect();
        owners.sort();
        owners
    };
    let mut duties: Vec<pb::DutyDefined> = by_date("difacto.v1.DutyDefined")
        .into_iter()
        .filter_map(decode)
        .collect();
    duties.sort_by(|a, b| a.duty_id.cmp(&b.duty_id));
    let (mut rows, mut above) = (Vec::new(), Vec::new());
    for duty in duties.iter().filter(|d| !retired.contains(&d.duty_id)) {
        for &level in &duty.required_levels {
            let (unit_kind, cover_kind) = match pb::Level::try_from(level) {
                Ok(pb::Level::Local) => (K::Practice, Some(K::Pcn)),
                Ok(pb::Level::Regional) => (K::Icb, Some(K::Region)),
                Ok(pb::Level::National) => (K::NationalBody, None),
                _ => continue,
            };
            let covering = |unit: &str| -> Vec<String> {
                let mut areas = vec![unit.to_owned()];
                areas.extend(cover_kind.and_then(|k| ancestor(unit, k)));
                areas
            };
            let here = |unit: &str| -> Vec<&pb::ResponsibilityProposed> {
                let areas = covering(unit);
                proposals
                    .iter()
                    .filter(|p| p.duty_id == duty.duty_id && p.level == level)
                    .filter(|p| areas.contains(&p.area_code))
                    .collect()
            };
            let mut units: Vec<&str> = registered
                .iter()
                .filter(|o| o.kind == unit_kind as i32)
                .map(|o| o.code.as_str())
                .filter(|u| is_active(u) && lineages[u].iter().any(|c| c == area))
                .collect();
            units.sort();
            if units.is_empty() {
                let unit = ancestor(area, unit_kind);
                let here = unit.as_deref().map(here).unwrap_or_default();
                above.push((
                    duty.duty_id.clone(),
                    level,
                    unit,
                    owners(&here, pb::RaciRole::Responsible),
                    owners(&here, pb::RaciRole::Accountable),
                ));
                continue;
            }
            let flagged = units
                .into_iter()
                .map(|unit| {
                    let here = here(unit);
                    let r = owners(&here, pb::RaciRole::Responsible);
                    let a = owners(&here, pb::RaciRole::Accountable);
                    let accountable: BTreeSet<&String> = a.iter().collect();
                    let accepted_since = |role: i32, at: u64| {
                        here.iter().any(|p| {
                            p.role == role
                                && status[&p.assignment_id].0 == "accepted"
                                && status[&p.assignment_id].1 >= at
                        })
                    };
                    let declined = here.iter().any(|p| {
                        let (now, at) = status[&p.assignment_id];
                        now == "declined" && !accepted_since(p.role, at)
                    });
                    let pending = here
                        .iter()
                        .any(|p| status[&p.assignment_id].0 == "proposed");
                    let areas = covering(unit);
                    let misattributed = attributions
                        .iter()
                        .filter(|b| b.duty_id == duty.duty_id && b.level == level)
                        .filter(|b| areas.contains(&b.area_code))
                        .any(|b| {
                            !here.iter().any(|p| {
                                status[&p.assignment_id].0 == "accepted"
                                    && p.assignee_code == b.believed_owner_code
                                    && (b.role == 0 || p.role == b.role)
                            })
                        });
                    let flags = [
                        (CoverageFlag::MissingResponsible, r.is_empty()),
                        (CoverageFlag::MissingAccountable, a.is_empty()),
                        (CoverageFlag::Contested, accountable.len() > 1),
                        (CoverageFlag::Declined, declined),
                        (CoverageFlag::Pending, pending),
                        (CoverageFlag::Misattributed, misattributed),
                        (CoverageFlag::Covered, !r.is_empty() && !a.is_empty()),
                    ]
                    .into_iter()
                    .filter_map(|(flag, on)| on.then_some(flag))
                    .collect();
                    (unit.to_owned(), flags)
                })
                .collect();
            rows.push((duty.duty_id.clone(), level, flagged));
        }
    }
    (rows, above)
}

fn model_coverage(
    model: &ReadModel,
    area: &str,
    date: NaiveDate,
) -> (Vec<CoverageRow>, Vec<AboveRow>) {
    let page = PageArgs::new(None, None, Some(500), None);
    let answer = coverage::answer(model, &coverage::Question::every_unit(area, date, &page))
        .expect("an area of the tree");
    let codes = |orgs: &[gateway::views::OrganisationSummary]| {
        let mut codes: Vec<String> = orgs.iter().map(|o| o.code.clone()).collect();
        codes.sort();
        codes
    };
    let rows = answer
        .coverage
        .iter()
        .map(|entry| {
            let units: Vec<(String, Vec<CoverageFlag>)> = entry
                .by_unit
                .edges
                .iter()
                .map(|e| (e.node.unit.code.clone(), e.node.flags.clone()))
                .collect();
            // The counts are the units per flag.
            for count in &entry.counts {
                let n = units
                    .iter()
                    .filter(|(_, f)| f.contains(&count.flag))
                    .count();
                assert_eq!(count.units, n, "{:?} of {}", count.flag, entry.duty.id);
            }
            assert_eq!(entry.units, units.len());
            (entry.duty.id.clone(), i32::from(entry.level), units)
        })
        .collect();
    let above = answer
        .above
        .iter()
        .map(|a| {
            (
                a.duty.id.clone(),
                i32::from(a.level),
                a.unit.as_ref().map(|u| u.code.clone()),
                codes(&a.responsible),
                codes(&a.accountable),
            )
        })
        .collect();
    (rows, above)
}

/// (believer, owner, level, role, beliefs, of which accepted) per cell, and the totals.
type PerceptionRows = (
    Vec<(String, String, i32, i32, usize, usize)>,
    usize,
    usize,
    usize,
);

fn brute_perceptions(facts: &Facts<'_>, area: &str, duty: &str, date: NaiveDate) -> PerceptionRows {
    use pb::OrganisationKind as K;
    let status = assignment_statuses(&facts.recorded_by(date));
    let proposals: Vec<pb::ResponsibilityProposed> = facts
        .all::<pb::ResponsibilityProposed>()
        .into_iter()
        .filter(|p| status.contains_key(&p.assignment_id))
        .collect();
    let mut cells: BTreeMap<(String, String, i32, i32), (usize, usize)> = BTreeMap::new();
    let attributions = facts
        .recorded_by(date)
        .into_iter()
        .filter_map(decode::<pb::ResponsibilityAttributed>);
    for b in attributions {
        if b.duty_id != duty || !facts.lineage(&b.area_code, date).iter().any(|c| c == area) {
            continue;
        }
        let mut covering = vec![b.area_code.clone()];
        let above = match pb::Level::try_from(b.level) {
            Ok(pb::Level::Local) => Some(K::Pcn),
            Ok(pb::Level::Regional) => Some(K::Region),
            _ => None,
        };
        covering.extend(above.and_then(|k| facts.ancestor(&b.area_code, k, date)));
        let accepted = proposals.iter().any(|p| {
            p.duty_id == duty
                && p.level == b.level
                && covering.contains(&p.area_code)
                && p.assignee_code == b.believed_owner_code
                && (b.role == 0 || p.role == b.role)
                && status[&p.assignment_id].0 == "accepted"
        });
        let cell = cells
            .entry((b.attributed_by_code, b.believed_owner_code, b.level, b.role))
            .or_default();
        cell.0 += 1;
        cell.1 += usize::from(accepted);
    }
    let rows: Vec<_> = cells
        .into_iter()
        .map(|((by, owner, level, role), (n, ok))| (by, owner, level, role, n, ok))
        .collect();
    let beliefs = rows.iter().map(|r| r.4).sum();
    let matching = rows.iter().map(|r| r.5).sum();
    let others = rows.iter().filter(|r| r.0 != r.1).map(|r| r.4).sum();
    (rows, beliefs, matching, others)
}

fn model_perceptions(model: &ReadModel, area: &str, duty: &str, date: NaiveDate) -> PerceptionRows {
    let answer = perceptions(model, area, duty, date).expect("a known area and duty");
    let rows = answer
        .matrix
        .iter()
        .map(|p| {
            (
                p.believer.code.clone(),
                p.believed_owner.code.clone(),
                p.level.map_or(0, i32::from),
                p.role.map_or(0, i32::from),
                p.beliefs,
                p.accepted_in,
            )
        })
        .collect();
    assert_eq!(
        answer.not_accepted,
        answer.beliefs - answer.matching_acceptance
    );
    (
        rows,
        answer.beliefs,
        answer.matching_acceptance,
        answer.believed_to_be_others,
    )
}

/// (practices, enrolled, completed, practices with trained reception staff) per area.
type RolloutCounts = BTreeMap<String, (u64, u64, u64, u64)>;

fn brute_rollout(
    facts: &Facts<'_>,
    group: pb::OrganisationKind,
    within: &str,
    date: NaiveDate,
) -> (RolloutCounts, BTreeSet<String>) {
    let mut staff: BTreeMap<(String, String), (i32, Option<NaiveDate>)> = BTreeMap::new();
    for e in facts.events {
        if let Some(s) = decode::<pb::StaffEnrolled>(e) {
            staff
                .entry((s.practice_code, s.staff_ref))
                .or_insert((s.staff_role, None))
                .0 = s.staff_role;
        } else if let Some(t) = decode::<pb::TrainingCompleted>(e)
            && let Some(entry) = staff.get_mut(&(t.practice_code, t.staff_ref))
        {
            entry.1 = Some(day(&t.completed_on));
        }
    }
    let mut counts = RolloutCounts::new();
    let mut without = BTreeSet::new();
    for (practice, _) in PRACTICES {
        if !facts.active(practice, date)
            || !facts.lineage(practice, date).iter().any(|c| c == within)
        {
            continue;
        }
        let mine: Vec<&(i32, Option<NaiveDate>)> = staff
            .iter()
            .filter(|((p, _), _)| p == practice)
            .map(|(_, v)| v)
            .collect();
        let completed = mine
            .iter()
            .filter(|(_, d)| d.is_some_and(|d| d <= date))
            .count() as u64;
        let reception = mine.iter().any(|(role, d)| {
            d.is_some_and(|d| d <= date)
                && (*role == pb::StaffRole::Receptionist as i32
                    || *role == pb::StaffRole::CareNavigator as i32)
        });
        if !reception {
            without.insert(practice.to_owned());
        }
        for key in [Some("*".to_owned()), facts.ancestor(practice, group, date)]
            .into_iter()
            .flatten()
        {
            let entry = counts.entry(key).or_default();
            entry.0 += 1;
            entry.1 += mine.len() as u64;
            entry.2 += completed;
            entry.3 += u64::from(reception);
        }
    }
    (counts, without)
}

fn model_rollout(
    model: &ReadModel,
    group: AreaLevel,
    within: &str,
    date: NaiveDate,
) -> (RolloutCounts, BTreeSet<String>) {
    let r = rollout(model, PROGRAMME, group, within, date).expect("rollout");
    let figures = |f: &gateway::views::training::RolloutFigures| {
        (
            f.practices,
            f.enrolled,
            f.completed,
            f.practices_with_trained_reception,
        )
    };
    let mut counts: RolloutCounts = r
        .groups
        .iter()
        .map(|g| (g.area.code.clone(), figures(&g.figures)))
        .collect();
    counts.insert("*".into(), figures(&r.totals));
    (
        counts,
        r.without_reception.iter().map(|o| o.code.clone()).collect(),
    )
}

/// (records, patients, proactive patients) per area; "*" is the whole of `within`.
type MixCounts = BTreeMap<String, (u64, u64, u64)>;

fn brute_mix(
    facts: &Facts<'_>,
    within: &str,
    from: NaiveDate,
    to: NaiveDate,
    group: pb::OrganisationKind,
) -> MixCounts {
    let mut out = MixCounts::new();
    for r in facts.all::<pb::FacilitationRecorded>() {
        let week = week_start(&r.week).expect("a week");
        if week < from
            || week > to
            || !facts
                .lineage(&r.practice_code, week)
                .iter()
                .any(|c| c == within)
        {
            continue;
        }
        let proactive = if r.mode == pb::FacilitationMode::Proactive as i32 {
            r.patients_supported
        } else {
            0
        };
        for key in [
            Some("*".to_owned()),
            facts.ancestor(&r.practice_code, group, week),
        ]
        .into_iter()
        .flatten()
        {
            let e = out.entry(key).or_default();
            e.0 += 1;
            e.1 += u64::from(r.patients_supported);
            e.2 += u64::from(proactive);
        }
    }
    out
}

fn model_mix(
    model: &ReadModel,
    within: &str,
    from: NaiveDate,
    to: NaiveDate,
    group: AreaLevel,
) -> MixCounts {
    let (total, groups) = tally(
        model,
        within,
        Some(from),
        Some(to),
        Some(group),
        gateway::views::TreeAt::FactDate,
    )
    .expect("tally");
    let proactive = |t: &gateway::views::facilitation::Tally| {
        t.by_mode
            .get(&(pb::FacilitationMode::Proactive as i32))
            .map_or(0, |(_, p)| *p)
    };
    let mut out: MixCounts = groups
        .iter()
        .map(|(k, t)| (k.clone(), (t.records, t.patients, proactive(t))))
        .collect();
    if total.records > 0 {
        out.insert(
            "*".into(),
            (total.records, total.patients, proactive(&total)),
        );
    }
    out
}

const DATES: [&str; 5] = [
    "2025-07-01",
    "2025-10-01",
    "2026-03-31",
    "2026-04-01",
    "2027-01-01",
];
const GROUPS: [(AreaLevel, pb::OrganisationKind); 3] = [
    (AreaLevel::Region, pb::OrganisationKind::Region),
    (AreaLevel::Icb, pb::OrganisationKind::Icb),
    (AreaLevel::Pcn, pb::OrganisationKind::Pcn),
];

fn check_views(model: &ReadModel, facts: &Facts<'_>) {
    for date in DATES.map(day) {
        for area in AREAS {
            assert_eq!(
                model_coverage(model, area, date),
                brute_coverage(facts, area, date),
                "coverage of {area} on {date}"
            );
            for duty in facts.all::<pb::DutyDefined>().iter().map(|d| &d.duty_id) {
                assert_eq!(
                    model_perceptions(model, area, duty, date),
                    brute_perceptions(facts, area, duty, date),
                    "perceptions of {duty} in {area} on {date}"
                );
            }
        }
        if facts.all::<pb::TrainingProgrammeLaunched>().is_empty() {
            assert!(rollout(model, PROGRAMME, AreaLevel::Icb, NATIONAL, date).is_err());
            continue;
        }
        for (level, kind) in GROUPS {
            for within in [NATIONAL, "Y63", "QWO"] {
                assert_eq!(
                    model_rollout(model, level, within, date),
                    brute_rollout(facts, kind, within, date),
                    "rollout by {level:?} within {within} on {date}"
                );
            }
        }
    }
    for (level, kind) in GROUPS {
        for within in [NATIONAL, "Y63", "QWO", "QF7"] {
            let (from, to) = (day("2025-01-01"), day("2027-12-31"));
            assert_eq!(
                model_mix(model, within, from, to, level),
                brute_mix(facts, within, from, to, kind),
                "mix by {level:?} within {within}"
            );
            let (from, to) = (day("2026-01-05"), day("2026-06-29"));
            assert_eq!(
                model_mix(model, within, from, to, level),
                brute_mix(facts, within, from, to, kind),
                "mix by {level:?} within {within}, half a year"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Coverage, rollout and the facilitation mix equal their brute-force answers, for the
    /// whole history and for every prefix cut (what `asOf` replays).
    #[test]
    fn views_equal_brute_force(seed in any::<u64>()) {
        let history = History::generate(seed);
        let n = history.events.len();
        for upto in [n / 3, n] {
            let model = history.fold(upto);
            check_views(&model, &Facts::new(&history.events[..upto]));
        }
    }

    /// A checkpoint decodes to a model that answers exactly as the one it was taken from,
    /// and folding on from it equals folding from zero.
    #[test]
    fn a_checkpoint_resumes_where_it_stopped(seed in any::<u64>()) {
        let history = History::generate(seed);
        let n = history.events.len();
        let cut = n / 2;
        let bytes = Checkpoint::encode(&history.fold(cut)).expect("encodes");
        let mut resumed = Checkpoint::decode(&bytes).expect("decodes");
        prop_assert_eq!(resumed.position, cut as u64);
        for event in &history.events {
            resumed.apply(event); // already-folded events are skipped by position
        }
        let replayed = history.fold(n);
        check_views(&resumed, &Facts::new(&history.events));
        for date in DATES.map(day) {
            prop_assert_eq!(model_coverage(&resumed, "QWO", date), model_coverage(&replayed, "QWO", date));
        }
    }
}

/// Appends `events` to `log` one by one, as their streams say.
async fn append_all(log: &dyn eventlog::EventLog, events: &[RecordedEvent]) {
    for e in events {
        log.append(
            &e.stream,
            eventlog::ExpectedVersion::Any,
            vec![eventlog::NewEvent {
                event_id: e.event_id,
                event_type: e.event_type.clone(),
                payload: e.payload.clone(),
                metadata: e.metadata.clone(),
            }],
        )
        .await
        .expect("append");
    }
}

/// `asOf` over a real log equals a replay cut at that time, and a projection restarted
/// on its checkpoint resumes at the position it stopped at with the same answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_of_is_a_replay_cut_at_that_time_and_a_restart_resumes() {
    use gateway::projection::Projection;
    use std::sync::Arc;
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("tempdir");
    let log = crate::world::sled_log(dir.path());
    let shared: Arc<dyn eventlog::EventLog> = Arc::new(log.clone());
    let history = History::generate(7);
    let cut = history.events.len() / 2;
    append_all(shared.as_ref(), &history.events[..cut]).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let at = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    append_all(shared.as_ref(), &history.events[cut..]).await;

    let checkpoints = dir.path().join("read-models");
    let projection = Arc::new(Projection::open(shared.clone(), Some(checkpoints.clone())).await);
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(projection.clone().run(stop.clone()));
    projection
        .catch_up(Duration::from_secs(10))
        .await
        .expect("caught up");

    // The brute force reads the events as the log stored them: the log records its own
    // times, which is what places them on a date.
    let mut stored: Vec<RecordedEvent> = Vec::new();
    loop {
        let after = stored.last().map_or(0, |e| e.position);
        let page = shared.read_all(after, 0).await.expect("read");
        if page.is_empty() {
            break;
        }
        stored.extend(page);
    }
    assert_eq!(stored.len(), history.events.len());
    let facts_then = Facts::new(&stored[..cut]);
    let then = projection.as_of(at).await.expect("as of");
    assert!(matches!(then, gateway::projection::ModelRef::AsOf(..)));
    then.read(|model| {
        assert_eq!(model.position, cut as u64);
        check_views(model, &facts_then);
    });
    let now = projection.live();
    now.read(|model| check_views(model, &Facts::new(&stored)));

    stop.cancel();
    running.await.expect("stops");
    let reopened = Projection::open(shared.clone(), Some(checkpoints)).await;
    assert_eq!(
        reopened.position(),
        history.events.len() as u64,
        "resumed from the checkpoint"
    );
    reopened
        .live()
        .read(|model| check_views(model, &Facts::new(&stored)));
    log.close().await.expect("close");
}
