//! Every view against a brute-force computation over the same random event history: the
//! read model folds events incrementally and indexes the tree; the brute force below
//! recomputes each answer from the raw list of events, knowing nothing of either.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use eventlog::RecordedEvent;
use gateway::checkpoint::Checkpoint;
use gateway::model::ReadModel;
use gateway::model::coverage::CoverageFlag;
use gateway::model::facilitation::week_start;
use gateway::views::commissioning::{CommissionStatus, Delivery, commissioning};
use gateway::views::coverage;
use gateway::views::facilitation::tally;
use gateway::views::page::PageArgs;
use gateway::views::perceptions::perceptions;
use gateway::views::training::rollout;
use gateway::views::{AreaLevel, TreeAt};
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
/// Partners that are commissioned and run sessions.
const PARTNERS: [&str; 2] = [PARTNER, "P-age-uk-leeds"];
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
        for partner in PARTNERS {
            h.register(partner, K::Partner, NATIONAL);
        }
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
        // Early in the log, so that the prefix cut holds some commissions and sessions
        // (and a commission without the end recorded later).
        h.commissions_and_sessions();
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
            crate::world::reception_programme(PROGRAMME),
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
                let enrolled =
                    day("2025-09-01") + chrono::Duration::days(h.rng.random_range(0..400));
                h.push(
                    &stream,
                    pb::StaffEnrolled {
                        practice_code: practice.into(),
                        staff_ref: staff_ref.clone(),
                        staff_role: role.into(),
                        programme_id: PROGRAMME.into(),
                        enrolled_on: enrolled.format("%Y-%m-%d").to_string(),
                    },
                );
                if h.rng.random_bool(0.6) {
                    let done = enrolled + chrono::Duration::days(h.rng.random_range(7..300));
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
        h.staff_in_post(&staff_roles);
        h
    }

    /// Headcounts in post, a few per practice and role, dated across the rollout: some
    /// practices report none, some report the audience role at zero, some report twice
    /// on one day (the later report stands).
    fn staff_in_post(&mut self, roles: &[pb::StaffRole]) {
        for (practice, _) in PRACTICES {
            if self.rng.random_bool(0.25) {
                continue;
            }
            let mut as_of = day("2025-09-01");
            for _ in 0..self.rng.random_range(1..4) {
                let role = *self.pick(roles);
                if !self.rng.random_bool(0.2) {
                    as_of += chrono::Duration::days(self.rng.random_range(0..300));
                }
                let headcount = self.rng.random_range(0..4);
                self.push(
                    &format!("practice-{practice}"),
                    pb::StaffInPostReported {
                        practice_code: practice.into(),
                        staff_role: role.into(),
                        headcount,
                        as_of: as_of.format("%Y-%m-%d").to_string(),
                    },
                );
            }
        }
    }

    /// Commissions (some ended early, some across the merger) and the partners'
    /// sessions: at practices and at venues, funded or not, booked, cancelled, and with
    /// attendance recorded before and after the days asked about.
    fn commissions_and_sessions(&mut self) {
        let commissioners = [NATIONAL, "Y63", "QMJ", "QWO", "QF7"];
        let areas = [
            NATIONAL, "Y63", "QMJ", "QWO", "QF7", "U00004", "B82002", "C83001",
        ];
        let topics = [
            pb::DigitalService::NhsApp as i32,
            pb::DigitalService::OnlinePrescriptions as i32,
            pb::DigitalService::OnlineAppointments as i32,
        ];
        let some_topics = |h: &mut Self, at_least: usize| -> Vec<i32> {
            let mut chosen: Vec<i32> = topics
                .iter()
                .copied()
                .filter(|_| h.rng.random_bool(0.4))
                .collect();
            if chosen.len() < at_least {
                chosen.push(*h.pick(&topics));
            }
            chosen
        };
        let date_from = |h: &mut Self, from: &str, days: i64| {
            day(from) + chrono::Duration::days(h.rng.random_range(0..days))
        };
        let text = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut ids = Vec::new();
        for _ in 0..self.rng.random_range(1..5) {
            let id = Uuid::new_v4().to_string();
            let starts = date_from(self, "2025-10-01", 400);
            let ends = starts + chrono::Duration::days(self.rng.random_range(30..400));
            let commission = pb::PartnerCommissioned {
                commission_id: id.clone(),
                commissioner_code: (*self.pick(&commissioners)).into(),
                partner_code: (*self.pick(&PARTNERS)).into(),
                area_code: (*self.pick(&areas)).into(),
                starts_on: text(starts),
                ends_on: text(ends),
                sessions_promised: self.rng.random_range(0..8),
                topics: some_topics(self, 0),
            };
            self.push("commissions", commission);
            ids.push((id, starts, ends));
        }
        for (id, starts, ends) in ids {
            if self.rng.random_bool(0.35) {
                // Mostly inside the period; now and then before it starts or after it ends.
                let span = (ends - starts).num_days() + 60;
                let ended = starts - chrono::Duration::days(30)
                    + chrono::Duration::days(self.rng.random_range(0..span));
                self.push(
                    "commissions",
                    pb::CommissionEnded {
                        commission_id: id,
                        reason: "budget".into(),
                        ended_on: text(ended),
                    },
                );
            }
        }
        for _ in 0..self.rng.random_range(2..12) {
            let id = Uuid::new_v4().to_string();
            let stream = format!("session-{id}");
            let host = if self.rng.random_bool(0.6) {
                self.pick(&PRACTICES).0
            } else {
                ""
            };
            let starts = date_from(self, "2025-10-01", 500);
            let funder = if self.rng.random_bool(0.5) {
                ""
            } else {
                *self.pick(&commissioners)
            };
            let scheduled = pb::SessionScheduled {
                session_id: id.clone(),
                partner_code: (*self.pick(&PARTNERS)).into(),
                icb_code: self.pick(&ICBS).0.into(),
                host_practice_code: host.into(),
                venue_name: "Library".into(),
                starts_at: format!("{}T10:00:00Z", text(starts)),
                ends_at: format!("{}T12:00:00Z", text(starts)),
                capacity: 10,
                topics: some_topics(self, 1),
                commissioner_code: funder.into(),
                ..Default::default()
            };
            self.push(&stream, scheduled);
            let mut references = Vec::new();
            for _ in 0..self.rng.random_range(0..4) {
                let reference = Uuid::new_v4().to_string();
                let places = self.rng.random_range(1..4);
                if self.rng.random_bool(0.8) {
                    self.push(
                        &stream,
                        pb::SeatBooked {
                            session_id: id.clone(),
                            booking_reference: reference.clone(),
                            referring_organisation_code: "A81001".into(),
                            places,
                            ..Default::default()
                        },
                    );
                } else {
                    self.push(
                        &stream,
                        pb::WaitlistJoined {
                            session_id: id.clone(),
                            booking_reference: reference.clone(),
                            referring_organisation_code: "A81001".into(),
                            places,
                            ..Default::default()
                        },
                    );
                    if self.rng.random_bool(0.5) {
                        self.push(
                            &stream,
                            pb::WaitlistPromoted {
                                session_id: id.clone(),
                                booking_reference: reference.clone(),
                            },
                        );
                    }
                }
                references.push(reference);
            }
            if let Some(reference) = references.first()
                && self.rng.random_bool(0.3)
            {
                self.push(
                    &stream,
                    pb::BookingCancelled {
                        session_id: id.clone(),
                        booking_reference: reference.clone(),
                        reason: "cannot come".into(),
                    },
                );
            }
            if self.rng.random_bool(0.15) {
                self.push(
                    &stream,
                    pb::SessionCancelled {
                        session_id: id.clone(),
                        reason: "venue closed".into(),
                    },
                );
            }
            for _ in 0..self.rng.random_range(0..3) {
                let attended = self.rng.random_range(0..12);
                self.push(
                    &stream,
                    pb::AttendanceRecorded {
                        session_id: id.clone(),
                        attended,
                        ..Default::default()
                    },
                );
            }
        }
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
    /// `lineage` answers, remembered: the rollout's weekly series asks for every practice
    /// every week, and each answer re-reads the tree's events.
    lineages: RefCell<HashMap<(String, NaiveDate), Vec<String>>>,
    /// Each organisation's kind, as first registered.
    kinds: HashMap<String, i32>,
    /// `chain` answers, remembered likewise.
    chains: RefCell<HashMap<(String, NaiveDate), Vec<String>>>,
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
        let mut kinds = HashMap::new();
        for e in by_type
            .get("difacto.v1.OrganisationRegistered")
            .into_iter()
            .flatten()
        {
            let o: pb::OrganisationRegistered = decode(e).expect("registered");
            kinds.entry(o.code).or_insert(o.kind);
        }
        Self {
            events,
            by_type,
            kinds,
            lineages: RefCell::default(),
            chains: RefCell::default(),
        }
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
        self.kinds.get(code).copied()
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
        let key = (code.to_owned(), date);
        if let Some(known) = self.lineages.borrow().get(&key) {
            return known.clone();
        }
        let mut out = vec![code.to_owned()];
        let mut at = code.to_owned();
        while let Some(parent) = self.parent(&at, date) {
            if self.merged(&parent, date).is_none() {
                out.push(parent.clone());
            }
            at = parent;
        }
        self.lineages.borrow_mut().insert(key, out.clone());
        out
    }

    /// `code` and everything above it on `date`, merged predecessors included: what a
    /// commission's area reaches (a commission for a merged ICB still covers sessions in
    /// the practices it had, as the services book by), unlike `lineage`, which places facts.
    fn chain(&self, code: &str, date: NaiveDate) -> Vec<String> {
        let key = (code.to_owned(), date);
        if let Some(known) = self.chains.borrow().get(&key) {
            return known.clone();
        }
        let mut out = vec![code.to_owned()];
        while let Some(parent) = self.parent(out.last().expect("not empty"), date) {
            if out.contains(&parent) {
                break;
            }
            out.push(parent);
        }
        self.chains.borrow_mut().insert(key, out.clone());
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

/// One area's rollout figures, as both sides count them.
#[derive(Debug, Default, PartialEq)]
struct RolloutRow {
    practices: u64,
    enrolled: u64,
    completed: u64,
    /// Practices with a trained receptionist or care navigator.
    reception: u64,
    staff_in_post: u64,
    trained: u64,
    percent_trained: Option<f64>,
    without_denominator: u64,
    /// role → (enrolled, completed, in post)
    by_role: BTreeMap<i32, (u64, u64, u64)>,
}

/// Per area ("*" is the whole of `within`).
type RolloutCounts = BTreeMap<String, RolloutRow>;
/// Per area ("*" is the whole of `within`): each week's (staff in post, trained) at its end.
type RolloutWeeks = BTreeMap<String, BTreeMap<NaiveDate, (u64, u64)>>;

fn percent_of(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The rollout's raw material: each member of staff's role and completion, and the
/// headcount reports.
struct Staff {
    /// (practice, staff ref) → (role, enrolled on, completed on)
    trainees: BTreeMap<(String, String), (i32, NaiveDate, Option<NaiveDate>)>,
    reports: Vec<pb::StaffInPostReported>,
    audience: Vec<i32>,
}

impl Staff {
    fn of(facts: &Facts<'_>) -> Self {
        let mut trainees: BTreeMap<(String, String), (i32, NaiveDate, Option<NaiveDate>)> =
            BTreeMap::new();
        for e in facts.events {
            if let Some(s) = decode::<pb::StaffEnrolled>(e) {
                trainees
                    .entry((s.practice_code, s.staff_ref))
                    .or_insert((s.staff_role, day(&s.enrolled_on), None))
                    .0 = s.staff_role;
            } else if let Some(t) = decode::<pb::TrainingCompleted>(e)
                && let Some(entry) = trainees.get_mut(&(t.practice_code, t.staff_ref))
            {
                entry.2 = Some(day(&t.completed_on));
            }
        }
        let audience = facts
            .all::<pb::TrainingProgrammeLaunched>()
            .into_iter()
            .flat_map(|p| p.audience_roles)
            .collect();
        Self {
            trainees,
            reports: facts.all::<pb::StaffInPostReported>(),
            audience,
        }
    }

    /// The latest headcount reported for `role` at `practice` as of `date`; of two
    /// reports for one day, the later recorded.
    fn in_post(&self, practice: &str, role: i32, date: NaiveDate) -> Option<u64> {
        self.reports
            .iter()
            .filter(|r| r.practice_code == practice && r.staff_role == role)
            .filter(|r| day(&r.as_of) <= date)
            .max_by_key(|r| day(&r.as_of))
            .map(|r| u64::from(r.headcount))
    }

    /// (in post, trained, any report) at `practice` on `date` over the audience roles, and
    /// the headcount of each role reported: trained are completions by then, at most the
    /// headcount of their role.
    fn on(&self, practice: &str, date: NaiveDate) -> (u64, u64, bool, Vec<(i32, u64)>) {
        let (mut in_post, mut trained, mut roles) = (0, 0, Vec::new());
        for &role in &self.audience {
            let Some(n) = self.in_post(practice, role, date) else {
                continue;
            };
            let done = self
                .trainees
                .iter()
                .filter(|((p, _), (r, _, _))| p == practice && *r == role)
                .filter(|(_, (_, _, d))| d.is_some_and(|d| d <= date))
                .count() as u64;
            in_post += n;
            trained += done.min(n);
            roles.push((role, n));
        }
        (in_post, trained, !roles.is_empty(), roles)
    }
}

fn brute_rollout(
    facts: &Facts<'_>,
    group: pb::OrganisationKind,
    within: &str,
    date: NaiveDate,
) -> (RolloutCounts, BTreeSet<String>, RolloutWeeks) {
    let staff = Staff::of(facts);
    let mut counts = RolloutCounts::new();
    let mut without = BTreeSet::new();
    for (practice, _) in PRACTICES {
        if !facts.active(practice, date)
            || !facts.lineage(practice, date).iter().any(|c| c == within)
        {
            continue;
        }
        // Those enrolled by `date`, with the day each completed, if they have.
        let mine: Vec<(i32, Option<NaiveDate>)> = staff
            .trainees
            .iter()
            .filter(|((p, _), (_, enrolled, _))| p == practice && *enrolled <= date)
            .map(|(_, (role, _, done))| (*role, *done))
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
        let (in_post, trained, reported, roles) = staff.on(practice, date);
        for key in [Some("*".to_owned()), facts.ancestor(practice, group, date)]
            .into_iter()
            .flatten()
        {
            let entry = counts.entry(key).or_default();
            entry.practices += 1;
            entry.enrolled += mine.len() as u64;
            entry.completed += completed;
            entry.reception += u64::from(reception);
            entry.staff_in_post += in_post;
            entry.trained += trained;
            entry.without_denominator += u64::from(!reported);
            for (role, done) in &mine {
                let r = entry.by_role.entry(*role).or_default();
                r.0 += 1;
                r.1 += u64::from(done.is_some_and(|d| d <= date));
            }
            for (role, n) in &roles {
                entry.by_role.entry(*role).or_default().2 += n;
            }
        }
    }
    for row in counts.values_mut() {
        row.percent_trained = percent_of(row.trained, row.staff_in_post);
    }
    // The weekly series: from the week of the launch (the day it was recorded) to `date`,
    // each week's practices placed and counted at the week's end.
    let mut weeks = RolloutWeeks::new();
    let launched = facts
        .by_type
        .get("difacto.v1.TrainingProgrammeLaunched")
        .and_then(|l| l.first())
        .map(|e| recorded_on(e));
    if let Some(launched) = launched.filter(|l| *l <= date) {
        let mut week =
            launched - chrono::Duration::days(i64::from(launched.weekday().num_days_from_monday()));
        while week <= date {
            let end = (week + chrono::Duration::days(6)).min(date);
            for (practice, _) in PRACTICES {
                if !facts.active(practice, end)
                    || !facts.lineage(practice, end).iter().any(|c| c == within)
                {
                    continue;
                }
                let (in_post, trained, _, _) = staff.on(practice, end);
                for key in [Some("*".to_owned()), facts.ancestor(practice, group, end)]
                    .into_iter()
                    .flatten()
                {
                    let e = weeks.entry(key).or_default().entry(week).or_default();
                    e.0 += in_post;
                    e.1 += trained;
                }
            }
            week += chrono::Duration::days(7);
        }
    }
    // A group's series is shown with the group, when it has practices on `date`.
    weeks.retain(|area, _| area == "*" || counts.contains_key(area));
    (counts, without, weeks)
}

fn model_rollout(
    model: &ReadModel,
    group: AreaLevel,
    within: &str,
    date: NaiveDate,
) -> (RolloutCounts, BTreeSet<String>, RolloutWeeks) {
    let r = rollout(model, PROGRAMME, group, within, date).expect("rollout");
    let figures = |f: &gateway::views::training::RolloutFigures| {
        assert_eq!(
            f.practices_without_trained_reception,
            f.practices - f.practices_with_trained_reception
        );
        RolloutRow {
            practices: f.practices,
            enrolled: f.enrolled,
            completed: f.completed,
            reception: f.practices_with_trained_reception,
            staff_in_post: f.staff_in_post,
            trained: f.trained,
            percent_trained: f.percent_trained,
            without_denominator: f.practices_without_denominator,
            by_role: f
                .by_role
                .iter()
                .map(|r| {
                    let role = r.role.map_or(0, i32::from);
                    (role, (r.enrolled, r.completed, r.staff_in_post))
                })
                .collect(),
        }
    };
    let series = |weeks: &[gateway::views::training::RolloutWeek]| {
        weeks
            .iter()
            .map(|w| {
                assert_eq!(w.percent_trained, percent_of(w.trained, w.staff_in_post));
                (w.week_starting, (w.staff_in_post, w.trained))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let mut counts: RolloutCounts = r
        .groups
        .iter()
        .map(|g| (g.area.code.clone(), figures(&g.figures)))
        .collect();
    let mut weeks: RolloutWeeks = r
        .groups
        .iter()
        .map(|g| (g.area.code.clone(), series(&g.weekly)))
        .collect();
    if r.totals.practices > 0 {
        counts.insert("*".into(), figures(&r.totals));
    }
    weeks.insert("*".into(), series(&r.weekly));
    weeks.retain(|_, w| !w.is_empty());
    (
        counts,
        r.without_reception.iter().map(|o| o.code.clone()).collect(),
        weeks,
    )
}

/// Each commission shown for an area, in the view's order (latest start first), and the
/// area's totals.
type CommissionRows = (Vec<(String, CommissionStatus, Delivery)>, Delivery);

/// A session as its stream left it: what `commissioning` counts.
#[derive(Default)]
struct RawSession {
    scheduled: pb::SessionScheduled,
    /// (reference, places, confirmed, cancelled)
    bookings: Vec<(String, u32, bool, bool)>,
    cancelled: bool,
    attended: Option<u32>,
}

fn raw_sessions(facts: &Facts<'_>) -> Vec<RawSession> {
    fn booking<'s>(
        sessions: &'s mut BTreeMap<String, RawSession>,
        id: &str,
        reference: &str,
    ) -> Option<&'s mut (String, u32, bool, bool)> {
        sessions
            .get_mut(id)?
            .bookings
            .iter_mut()
            .find(|b| b.0 == reference)
    }
    let mut sessions: BTreeMap<String, RawSession> = BTreeMap::new();
    for e in facts.events {
        if let Some(s) = decode::<pb::SessionScheduled>(e) {
            let id = s.session_id.clone();
            sessions.insert(
                id,
                RawSession {
                    scheduled: s,
                    ..RawSession::default()
                },
            );
        } else if let Some(b) = decode::<pb::SeatBooked>(e)
            && let Some(s) = sessions.get_mut(&b.session_id)
        {
            s.bookings
                .push((b.booking_reference, b.places, true, false));
        } else if let Some(w) = decode::<pb::WaitlistJoined>(e)
            && let Some(s) = sessions.get_mut(&w.session_id)
        {
            s.bookings
                .push((w.booking_reference, w.places, false, false));
        } else if let Some(p) = decode::<pb::WaitlistPromoted>(e)
            && let Some(b) = booking(&mut sessions, &p.session_id, &p.booking_reference)
        {
            b.2 = true;
        } else if let Some(c) = decode::<pb::BookingCancelled>(e)
            && let Some(b) = booking(&mut sessions, &c.session_id, &c.booking_reference)
        {
            b.3 = true;
        } else if let Some(c) = decode::<pb::SessionCancelled>(e)
            && let Some(s) = sessions.get_mut(&c.session_id)
        {
            s.cancelled = true;
        } else if let Some(a) = decode::<pb::AttendanceRecorded>(e)
            && let Some(s) = sessions.get_mut(&a.session_id)
        {
            s.attended = Some(a.attended);
        }
    }
    sessions.into_values().collect()
}

fn percent_delivered(held: u64, promised: u64) -> f64 {
    percent_of(held, promised).unwrap_or(0.0)
}

/// DESIGN.md §5's `commissioning(area)`, from the raw events: the commissions placed in
/// `area` (held by it, when a partner; else paid for by it or for an area inside it on
/// the day they started), each with the sessions of its partner it covers.
fn brute_commissioning(facts: &Facts<'_>, area: &str, date: NaiveDate) -> CommissionRows {
    // Each commission with the last day it ran when ended: the latest end recorded.
    let mut commissions: BTreeMap<String, (pb::PartnerCommissioned, Option<NaiveDate>)> =
        BTreeMap::new();
    for e in facts.events {
        if let Some(c) = decode::<pb::PartnerCommissioned>(e) {
            commissions.insert(c.commission_id.clone(), (c, None));
        } else if let Some(end) = decode::<pb::CommissionEnded>(e)
            && let Some(c) = commissions.get_mut(&end.commission_id)
        {
            c.1 = Some(day(&end.ended_on));
        }
    }
    let sessions = raw_sessions(facts);
    let is_partner = facts.kind(area) == Some(pb::OrganisationKind::Partner as i32);
    let mut rows = Vec::new();
    let mut totals = Delivery::default();
    for (id, (c, ended)) in commissions {
        let (starts, ends) = (day(&c.starts_on), day(&c.ends_on));
        let placed = if is_partner {
            c.partner_code == area
        } else {
            c.commissioner_code == area
                || facts
                    .lineage(&c.area_code, starts)
                    .iter()
                    .any(|a| a == area)
        };
        if !placed {
            continue;
        }
        let last = ended.map_or(ends, |e| e.min(ends));
        let mut d = Delivery {
            sessions_promised: u64::from(c.sessions_promised),
            ..Delivery::default()
        };
        for s in &sessions {
            let x = &s.scheduled;
            let on = chrono::DateTime::parse_from_rfc3339(&x.starts_at)
                .expect("a time")
                .date_naive();
            let place = if x.host_practice_code.is_empty() {
                &x.icb_code
            } else {
                &x.host_practice_code
            };
            let covered = x.partner_code == c.partner_code
                && starts <= on
                && on <= last
                && (x.commissioner_code.is_empty() || x.commissioner_code == c.commissioner_code)
                && (c.topics.is_empty() || x.topics.iter().any(|t| c.topics.contains(t)))
                && facts.chain(place, on).contains(&c.area_code);
            if !covered {
                continue;
            }
            if s.cancelled {
                d.sessions_cancelled += 1;
                continue;
            }
            d.sessions_scheduled += 1;
            d.seats_booked += s
                .bookings
                .iter()
                .filter(|b| b.2 && !b.3)
                .map(|b| u64::from(b.1))
                .sum::<u64>();
            if on > date {
                d.sessions_to_come += 1;
            } else if let Some(came) = s.attended {
                d.sessions_held += 1;
                d.attended_exact += u64::from(came);
            }
        }
        d.percent_delivered = percent_delivered(d.sessions_held, d.sessions_promised);
        let status = if date < starts {
            CommissionStatus::Upcoming
        } else if date <= last {
            CommissionStatus::Running
        } else if ended.is_some_and(|e| e < ends) {
            CommissionStatus::EndedEarly
        } else {
            CommissionStatus::Finished
        };
        totals.sessions_promised += d.sessions_promised;
        totals.sessions_scheduled += d.sessions_scheduled;
        totals.sessions_held += d.sessions_held;
        totals.sessions_to_come += d.sessions_to_come;
        totals.sessions_cancelled += d.sessions_cancelled;
        totals.seats_booked += d.seats_booked;
        totals.attended_exact += d.attended_exact;
        rows.push((starts, id, status, d));
    }
    totals.percent_delivered = percent_delivered(totals.sessions_held, totals.sessions_promised);
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let rows = rows
        .into_iter()
        .map(|(_, id, status, d)| (id, status, d))
        .collect();
    (rows, totals)
}

fn model_commissioning(model: &ReadModel, area: &str, date: NaiveDate) -> CommissionRows {
    // Asked nationally: the brute force checks the exact counts, not their disclosure.
    let answer = commissioning(model, area, date, NATIONAL).expect("an area of the tree");
    let exact = |d: &Delivery| Delivery {
        attended: Delivery::default().attended,
        ..d.clone()
    };
    let rows = answer
        .all
        .iter()
        .map(|c| (c.id.clone(), c.status, exact(&c.delivery)))
        .collect();
    (rows, exact(&answer.totals))
}

/// (records, patients, proactive patients) per area; "*" is the whole of `within`.
type MixCounts = BTreeMap<String, (u64, u64, u64)>;

/// The facilitation mix, each record placed by the tree of the day `tree` names for its
/// week (the week itself, or today for `TreeAt::Today`).
fn brute_mix(
    facts: &Facts<'_>,
    within: &str,
    (from, to): (NaiveDate, NaiveDate),
    group: pb::OrganisationKind,
    tree: impl Fn(NaiveDate) -> NaiveDate,
) -> MixCounts {
    let mut out = MixCounts::new();
    for r in facts.all::<pb::FacilitationRecorded>() {
        let week = week_start(&r.week).expect("a week");
        let placed = tree(week);
        if week < from
            || week > to
            || !facts
                .lineage(&r.practice_code, placed)
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
            facts.ancestor(&r.practice_code, group, placed),
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
    (from, to): (NaiveDate, NaiveDate),
    group: AreaLevel,
    tree_at: TreeAt,
) -> MixCounts {
    let (total, groups) =
        tally(model, within, Some(from), Some(to), Some(group), tree_at).expect("tally");
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

/// Areas whose commissions are checked: every level, the merged ICB, and both partners.
const COMMISSIONING_AREAS: [&str; 8] = [
    NATIONAL,
    "Y63",
    "QWO",
    "QF7",
    "U00004",
    "C83001",
    PARTNERS[0],
    PARTNERS[1],
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
        for area in COMMISSIONING_AREAS {
            assert_eq!(
                model_commissioning(model, area, date),
                brute_commissioning(facts, area, date),
                "commissioning in {area} on {date}"
            );
        }
        if facts.all::<pb::TrainingProgrammeLaunched>().is_empty() {
            assert!(rollout(model, PROGRAMME, AreaLevel::Icb, NATIONAL, date).is_err());
            continue;
        }
        for (level, kind) in GROUPS {
            for within in [NATIONAL, "Y63", "QWO", "QF7"] {
                assert_eq!(
                    model_rollout(model, level, within, date),
                    brute_rollout(facts, kind, within, date),
                    "rollout by {level:?} within {within} on {date}"
                );
            }
        }
    }
    let today = chrono::Utc::now().date_naive();
    for (level, kind) in GROUPS {
        for within in [NATIONAL, "Y63", "QWO", "QF7"] {
            for span in [
                (day("2025-01-01"), day("2027-12-31")),
                (day("2026-01-05"), day("2026-06-29")),
            ] {
                assert_eq!(
                    model_mix(model, within, span, level, TreeAt::FactDate),
                    brute_mix(facts, within, span, kind, |week| week),
                    "mix by {level:?} within {within} over {span:?}"
                );
                assert_eq!(
                    model_mix(model, within, span, level, TreeAt::Today),
                    brute_mix(facts, within, span, kind, |week| week.max(today)),
                    "mix by {level:?} within {within} over {span:?} in today's tree"
                );
            }
        }
    }
    check_merged_predecessor(model, facts, today);
}

/// DESIGN.md §5's placement across a merger, said outright rather than left to the
/// oracle's tree: once QF7 has merged into QWO, QF7 holds none of the facts dated from the
/// merger on (its practices count in QWO), and today's tree places all of them in QWO.
fn check_merged_predecessor(model: &ReadModel, facts: &Facts<'_>, today: NaiveDate) {
    let merger = day(MERGER_DATE);
    if facts.merged("QF7", merger).is_none() {
        return;
    }
    // Every B and C practice sits in QWO from the merger on (B82002 through QF7's PCN or,
    // moved before, QWO's own); the A practices in QMJ.
    let in_qwo = |r: &&pb::FacilitationRecorded| !r.practice_code.starts_with('A');
    let records = facts.all::<pb::FacilitationRecorded>();
    let (from, to) = (Some(merger), Some(day("2027-12-31")));
    let (qf7, _) = tally(model, "QF7", from, to, None, TreeAt::FactDate).expect("tally");
    assert_eq!(qf7.records, 0, "QF7 holds nothing from its merger on");
    let (qwo, _) = tally(model, "QWO", from, to, None, TreeAt::FactDate).expect("tally");
    let since = records
        .iter()
        .filter(|r| week_start(&r.week).expect("a week") >= merger)
        .filter(in_qwo)
        .count() as u64;
    assert_eq!(
        qwo.records, since,
        "QWO holds QF7's practices from the merger on"
    );
    if today >= merger {
        let (qf7, _) = tally(model, "QF7", None, None, None, TreeAt::Today).expect("tally");
        assert_eq!(qf7.records, 0, "today's tree has no QF7");
        let (qwo, _) = tally(model, "QWO", None, None, None, TreeAt::Today).expect("tally");
        let all = records.iter().filter(in_qwo).count() as u64;
        assert_eq!(
            qwo.records, all,
            "today's tree re-bases QF7's history onto QWO"
        );
    }
    // A commission is placed by the day it started: QF7 shows none started after it
    // merged, but for those it paid for or that name it as their area.
    for date in DATES.map(day) {
        let answer = commissioning(model, "QF7", date, NATIONAL).expect("QF7 is in the tree");
        for c in &answer.all {
            assert!(
                c.starts_on < merger || c.commissioner.code == "QF7" || c.area.code == "QF7",
                "QF7 shows {} in {} from {}",
                c.id,
                c.area.code,
                c.starts_on
            );
        }
    }
    for date in [merger, day("2027-01-01")] {
        if let Ok(r) = rollout(model, PROGRAMME, AreaLevel::Pcn, "QF7", date) {
            assert_eq!(r.totals.practices, 0, "QF7 has no practices on {date}");
            assert_eq!(r.totals.staff_in_post, 0, "nor staff in post on {date}");
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
