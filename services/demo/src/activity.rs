//! A year in the life of each practice, on its own stream: the platforms it uses, its
//! digital champions, digital services it paused or withdrew, its staff's training
//! (rolled out region by region) and its weekly facilitation records, mostly passive or
//! reactive and rarely proactive, with the small counts that disclosure control hides.
//!
//! Each step is sent on its fact's date (a week's records during that week, a completion
//! on its day; platforms adopted before the year on its first day). A practice's plan is
//! kept compact ([`Item`]) until each step's day comes ([`Cursor`]), so the requests of six
//! thousand practices are never all in memory at once.

use chrono::NaiveDate;
use proto::v1::{
    AdoptPlatformRequest, ChangeServiceStatusRequest, CompleteModuleRequest,
    CompleteTrainingRequest, DigitalService, EnrolStaffRequest, FacilitationChannel,
    FacilitationMode, NameDigitalChampionRequest, PatientGroup, RecordFacilitationRequest,
    ReportStaffInPostRequest, ServiceChangeReason, ServiceStatus, StaffRole,
};
use rand::Rng;

use super::Scale;
use super::catalogue::{PROGRAMMES, programme_id};
use super::command::{Cmd, Step, Who};
use super::england::{REGIONS, Tree};
use super::platforms::{adoptions, platform_id};
use super::seed::{DemoRng, Seed, Year, days, index, iso, iso_week, monday, weighted};

/// A member of staff: their day-to-day role and number, e.g. `REC-02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Staff {
    pub role: StaffRole,
    pub n: u8,
}

impl Staff {
    /// The pseudonymous reference the practice uses for them.
    pub fn reference(self) -> String {
        let prefix = match self.role {
            StaffRole::Receptionist => "REC",
            StaffRole::CareNavigator => "CN",
            StaffRole::PracticeManagerRole => "PM",
            StaffRole::HealthcareAssistant => "HCA",
            StaffRole::SocialPrescriber => "SP",
            _ => "STAFF",
        };
        format!("{prefix}-{:02}", self.n)
    }
}

/// One week's record of one kind of help.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facilitation {
    pub week: NaiveDate,
    /// Days after the week's Monday that the practice records it (0 to 4).
    pub weekday: u8,
    pub mode: FacilitationMode,
    pub service: DigitalService,
    pub channel: FacilitationChannel,
    pub by: StaffRole,
    /// Bit `g` set: patient group `g` was among the people helped.
    pub groups: u16,
    pub patients: u16,
    pub registered: u16,
    pub online: u16,
    pub referred: u16,
    pub declined: u16,
    pub proxy: u16,
    pub minutes: u16,
    /// Index into [`NOTES`] plus one; 0 for none.
    pub note: u8,
}

/// What a practice records, compactly; [`steps`] turns it into requests.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item {
    Adopt {
        platform: usize,
        on: NaiveDate,
    },
    Champion {
        staff: Staff,
        services: u8,
        on: NaiveDate,
    },
    Status {
        service: DigitalService,
        status: ServiceStatus,
        reason: ServiceChangeReason,
        on: NaiveDate,
    },
    Enrol {
        staff: Staff,
        counted_as: StaffRole,
        programme: usize,
        on: NaiveDate,
    },
    Module {
        staff: Staff,
        programme: usize,
        module: usize,
        on: NaiveDate,
    },
    Trained {
        staff: Staff,
        programme: usize,
        on: NaiveDate,
    },
    /// How many people the practice employs in a role: the rollout's denominator.
    StaffInPost {
        role: StaffRole,
        headcount: u8,
        on: NaiveDate,
    },
    Facilitation(Facilitation),
}

impl Item {
    /// The day the practice sends it.
    pub fn on(&self) -> NaiveDate {
        match self {
            Item::Adopt { on, .. }
            | Item::Champion { on, .. }
            | Item::Status { on, .. }
            | Item::Enrol { on, .. }
            | Item::Module { on, .. }
            | Item::Trained { on, .. }
            | Item::StaffInPost { on, .. } => *on,
            Item::Facilitation(f) => days(f.week, i64::from(f.weekday)),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PracticePlan {
    pub code: String,
    /// In date order, so the practice's stream reads as its year did.
    pub items: Vec<Item>,
}

const SERVICES: [DigitalService; 7] = [
    DigitalService::NhsApp,
    DigitalService::OnlineConsultation,
    DigitalService::OnlinePrescriptions,
    DigitalService::OnlineRecords,
    DigitalService::OnlineAppointments,
    DigitalService::VideoConsultation,
    DigitalService::PracticeWebsite,
];

const GROUPS: [(PatientGroup, u32); 9] = [
    (PatientGroup::OlderPeople, 35),
    (PatientGroup::LimitedEnglish, 15),
    (PatientGroup::LearningDisability, 8),
    (PatientGroup::SensoryImpairment, 8),
    (PatientGroup::Homeless, 4),
    (PatientGroup::Travellers, 3),
    (PatientGroup::RefugeesAsylumSeekers, 5),
    (PatientGroup::MentalIllness, 7),
    (PatientGroup::GeneralPopulation, 15),
];

const NOTES: [&str; 4] = [
    "Busy week after the text message campaign",
    "Help given at the front desk between appointments",
    "Several people asked about the new log-in screen",
    "Ran a short help session in the waiting room",
];

/// The plan of practice `practice`.
pub(crate) fn plan(
    seed: Seed,
    scale: &Scale,
    tree: &Tree,
    practice: usize,
    year: Year,
) -> PracticePlan {
    let today = year.today;
    let mut rng = seed.rng("practice", practice as u64);
    let mut items: Vec<Item> = adoptions(seed, practice, tree, today)
        .into_iter()
        .map(|a| Item::Adopt {
            platform: a.platform,
            on: a.on,
        })
        .collect();
    let region = Tree::region_of_icb(tree.practices[practice].icb);
    let start = REGIONS[region].rollout_weeks_ago;

    // The team: one to four receptionists, perhaps a care navigator, a healthcare
    // assistant and a social prescriber, and the practice manager.
    let staff = |role, n| Staff { role, n };
    let receptionists = weighted(&mut rng, &[(1u8, 15), (2, 40), (3, 30), (4, 15)]);
    let mut reception: Vec<Staff> = (1..=receptionists)
        .map(|n| staff(StaffRole::Receptionist, n))
        .collect();
    if rng.random_bool(0.5) {
        reception.push(staff(StaffRole::CareNavigator, 1));
    }
    let manager = staff(StaffRole::PracticeManagerRole, 1);
    let assistant = rng
        .random_bool(0.5)
        .then(|| staff(StaffRole::HealthcareAssistant, 1));
    let prescriber = rng
        .random_bool(0.3)
        .then(|| staff(StaffRole::SocialPrescriber, 1));

    // Digital facilitation essentials: everyone's first programme. About one practice in
    // nine has no receptionist trained: it enrolled none, or only lately.
    let practice_start = start.saturating_sub(rng.random_range(0..=12)).max(4);
    let laggard = rng.random_bool(scale.untrained_reception);
    if laggard {
        let late = rng.random_bool(0.4);
        let mut team: Vec<Staff> = reception
            .iter()
            .copied()
            .filter(|s| late || s.role != StaffRole::Receptionist)
            .collect();
        team.push(manager);
        for member in team.into_iter().take(rng.random_range(1..=3)) {
            let enrolled = if late {
                days(today, -rng.random_range(0..14))
            } else {
                days(monday(today, practice_start), rng.random_range(0..28))
            };
            let may_finish = member.role != StaffRole::Receptionist;
            train(
                &mut items,
                &mut rng,
                member,
                0,
                enrolled,
                today,
                (4, 21),
                may_finish,
            );
        }
    } else {
        let mut team = reception.clone();
        team.push(manager);
        let enrolled = rng.random_range(2..=6).min(team.len());
        for (k, member) in team.into_iter().take(enrolled).enumerate() {
            let first = monday(today, practice_start);
            if k == 0 {
                // The first receptionist finishes within three weeks of starting.
                train(&mut items, &mut rng, member, 0, first, today, (3, 7), true);
            } else {
                let on = days(first, rng.random_range(0..56)).min(today);
                train(&mut items, &mut rng, member, 0, on, today, (4, 21), true);
            }
        }
    }

    // Online access for people at risk of exclusion: a third of practices, later.
    let lag = PROGRAMMES[1].lag_weeks;
    if start > lag + 2 && rng.random_bool(0.3) {
        let mut candidates: Vec<Staff> = reception.iter().copied().take(2).collect();
        candidates.extend(assistant);
        candidates.extend(prescriber);
        let first = monday(
            today,
            (start - lag).saturating_sub(rng.random_range(0..=8)).max(2),
        );
        for member in candidates.into_iter().take(rng.random_range(1..=2)) {
            let on = days(first, rng.random_range(0..21)).min(today);
            train(&mut items, &mut rng, member, 1, on, today, (5, 25), true);
        }
    }

    // Digital champions, most of whom take the champions programme.
    let mut champion = false;
    if rng.random_bool(0.35) {
        champion = true;
        let named = reception[index(&mut rng, reception.len())];
        let on = days(today, -rng.random_range(20..330));
        let services = if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(1..128u8)
        };
        items.push(Item::Champion {
            staff: named,
            services,
            on,
        });
        if rng.random_bool(0.7) {
            let enrolled = days(on, rng.random_range(0..28)).min(today);
            items.push(Item::Enrol {
                staff: named,
                counted_as: StaffRole::DigitalChampion,
                programme: 2,
                on: enrolled,
            });
            modules(
                &mut items,
                &mut rng,
                named,
                2,
                enrolled,
                today,
                (7, 21),
                true,
            );
        }
        if rng.random_bool(0.15) {
            let second = *reception.last().unwrap_or(&named);
            if second != named {
                items.push(Item::Champion {
                    staff: second,
                    services: 0,
                    on: days(on, rng.random_range(7..60)).min(today),
                });
            }
        }
    }

    let mut team = reception.clone();
    team.push(manager);
    team.extend(assistant);
    team.extend(prescriber);
    staff_in_post(&mut items, seed, practice, &team, year);
    service_changes(&mut items, &mut rng, today);
    facilitation(&mut items, &mut rng, scale, champion || !laggard, today);
    items.sort_by_key(Item::on);
    PracticePlan {
        code: tree.practices[practice].code.clone(),
        items,
    }
}

/// Share of practices that never report their staff in post: the rollout shows them as
/// practices without a denominator rather than guessing one.
const NO_STAFF_REPORT: f64 = 0.03;

/// The practice's headcount by role, reported early in the year (the team, and sometimes
/// a receptionist nobody enrolled), and for some a new receptionist reported later. Drawn
/// from a stream of its own so the rest of the practice's year does not depend on it.
fn staff_in_post(items: &mut Vec<Item>, seed: Seed, practice: usize, team: &[Staff], year: Year) {
    let mut rng = seed.rng("staff-in-post", practice as u64);
    if rng.random_bool(NO_STAFF_REPORT) {
        return;
    }
    let reported = days(year.start, rng.random_range(0..60));
    let mut headcounts: Vec<(StaffRole, u8)> = Vec::new();
    for member in team {
        match headcounts.iter_mut().find(|(role, _)| *role == member.role) {
            Some((_, n)) => *n += 1,
            None => headcounts.push((member.role, 1)),
        }
    }
    for (role, headcount) in &mut headcounts {
        if *role == StaffRole::Receptionist && rng.random_bool(0.3) {
            *headcount += 1;
        }
        items.push(Item::StaffInPost {
            role: *role,
            headcount: *headcount,
            on: reported,
        });
    }
    if rng.random_bool(0.15) {
        let receptionists = headcounts
            .iter()
            .find(|(role, _)| *role == StaffRole::Receptionist)
            .map_or(0, |(_, n)| *n);
        items.push(Item::StaffInPost {
            role: StaffRole::Receptionist,
            headcount: receptionists + 1,
            on: days(reported, rng.random_range(60..280)).min(year.today),
        });
    }
}

/// Enrols `member` on `programme` on `enrolled` (counted under their own role).
#[allow(clippy::too_many_arguments)]
fn train(
    items: &mut Vec<Item>,
    rng: &mut DemoRng,
    member: Staff,
    programme: usize,
    enrolled: NaiveDate,
    today: NaiveDate,
    gap: (i64, i64),
    may_finish: bool,
) {
    items.push(Item::Enrol {
        staff: member,
        counted_as: member.role,
        programme,
        on: enrolled,
    });
    modules(
        items, rng, member, programme, enrolled, today, gap, may_finish,
    );
}

/// Modules one after another, `gap` days apart, as far as today allows; the programme
/// completed once they are all done (if `may_finish`).
#[allow(clippy::too_many_arguments)]
fn modules(
    items: &mut Vec<Item>,
    rng: &mut DemoRng,
    member: Staff,
    programme: usize,
    enrolled: NaiveDate,
    today: NaiveDate,
    (low, high): (i64, i64),
    may_finish: bool,
) {
    let mut on = enrolled;
    let count = PROGRAMMES[programme].modules.len();
    for module in 0..count {
        on = days(on, rng.random_range(low..=high));
        if on > today || (!may_finish && module + 1 == count) {
            return;
        }
        items.push(Item::Module {
            staff: member,
            programme,
            module,
            on,
        });
    }
    let finished = days(on, rng.random_range(0..=2));
    if may_finish && finished <= today {
        items.push(Item::Trained {
            staff: member,
            programme,
            on: finished,
        });
    }
}

/// Some practices pause online consultation (and some bring it back), a few withdraw
/// video consultation or pause online booking.
fn service_changes(items: &mut Vec<Item>, rng: &mut DemoRng, today: NaiveDate) {
    use ServiceChangeReason as R;
    if rng.random_bool(0.07) {
        let on = days(today, -rng.random_range(10..350));
        let reason = weighted(
            rng,
            &[
                (R::StaffCapacity, 40),
                (R::Demand, 35),
                (R::PlatformProblem, 15),
                (R::ClinicalSafety, 10),
            ],
        );
        items.push(Item::Status {
            service: DigitalService::OnlineConsultation,
            status: ServiceStatus::Paused,
            reason,
            on,
        });
        if rng.random_bool(0.5) {
            let back = days(on, rng.random_range(14..90));
            if back <= today {
                items.push(Item::Status {
                    service: DigitalService::OnlineConsultation,
                    status: ServiceStatus::Offered,
                    reason: R::Restored,
                    on: back,
                });
            }
        }
    }
    if rng.random_bool(0.015) {
        let on = days(today, -rng.random_range(10..350));
        items.push(Item::Status {
            service: DigitalService::VideoConsultation,
            status: ServiceStatus::Withdrawn,
            reason: R::ContractOrFunding,
            on,
        });
    }
    if rng.random_bool(0.01) {
        let on = days(today, -rng.random_range(10..350));
        items.push(Item::Status {
            service: DigitalService::OnlineAppointments,
            status: ServiceStatus::Paused,
            reason: R::StaffCapacity,
            on,
        });
    }
}

fn reason_text(service: DigitalService, reason: ServiceChangeReason) -> &'static str {
    use ServiceChangeReason as R;
    match (service, reason) {
        (_, R::Restored) => "Back on, with more reception time set aside for triage",
        (DigitalService::VideoConsultation, _) => {
            "The video consultation contract ended and was not renewed"
        }
        (DigitalService::OnlineAppointments, _) => {
            "Online booking paused while the appointment book is rebuilt"
        }
        (_, R::StaffCapacity) => "Not enough reception staff to triage online requests safely",
        (_, R::Demand) => "More requests arrived than the team could answer within a working day",
        (_, R::PlatformProblem) => "The supplier's platform kept losing requests",
        (_, R::ClinicalSafety) => {
            "Paused after a clinical safety review of urgent requests sent online"
        }
        _ => "Changed by the practice",
    }
}

/// Weekly records: how often a practice records depends on how engaged it is, and rises
/// through the year; proactive help is rare, less so where staff are trained.
fn facilitation(
    items: &mut Vec<Item>,
    rng: &mut DemoRng,
    scale: &Scale,
    trained: bool,
    today: NaiveDate,
) {
    let engagement = weighted(rng, &[(0.0, 4), (0.15, 30), (0.45, 40), (0.85, 26)]);
    let proactive = if trained { 10 } else { 4 };
    let weeks = scale.weeks.max(1);
    for weeks_ago in 0..weeks {
        let ramp = 0.6 + 0.4 * f64::from(weeks - weeks_ago) / f64::from(weeks);
        if !rng.random_bool(engagement * ramp) {
            continue;
        }
        let week = monday(today, weeks_ago);
        for _ in 0..weighted(rng, &[(1, 70), (2, 25), (3, 5)]) {
            items.push(Item::Facilitation(record(rng, week, proactive)));
        }
    }
}

fn record(rng: &mut DemoRng, week: NaiveDate, proactive: u32) -> Facilitation {
    use DigitalService as S;
    use FacilitationChannel as C;
    use FacilitationMode as M;
    let mode = weighted(
        rng,
        &[
            (M::Passive, 45),
            (M::Reactive, 51 - proactive),
            (M::Proactive, proactive),
        ],
    );
    let service = weighted(
        rng,
        &[
            (S::NhsApp, 35),
            (S::OnlineConsultation, 20),
            (S::OnlinePrescriptions, 15),
            (S::OnlineAppointments, 10),
            (S::OnlineRecords, 8),
            (S::VideoConsultation, 4),
            (S::PracticeWebsite, 8),
        ],
    );
    let channel = match mode {
        M::Passive => weighted(
            rng,
            &[
                (C::WrittenGuide, 40),
                (C::Website, 30),
                (C::SmsLink, 25),
                (C::Email, 5),
            ],
        ),
        M::Reactive => weighted(
            rng,
            &[(C::FaceToFace, 60), (C::Telephone, 35), (C::Video, 5)],
        ),
        _ => weighted(
            rng,
            &[
                (C::GroupSession, 35),
                (C::Telephone, 30),
                (C::FaceToFace, 25),
                (C::HomeVisit, 10),
            ],
        ),
    };
    let by = weighted(
        rng,
        &[
            (StaffRole::Receptionist, 55),
            (StaffRole::CareNavigator, 14),
            (StaffRole::DigitalChampion, 7),
            (StaffRole::HealthcareAssistant, 6),
            (StaffRole::Nurse, 5),
            (StaffRole::PracticeManagerRole, 4),
            (StaffRole::SocialPrescriber, 4),
            (StaffRole::Volunteer, 3),
            (StaffRole::Gp, 2),
        ],
    );
    let mut groups = 0u16;
    for _ in 0..weighted(rng, &[(0, 30), (1, 50), (2, 20)]) {
        let group = weighted(rng, &GROUPS);
        groups |= 1 << i32::from(group);
    }
    // Many records are of one to seven people: the counts disclosure control hides.
    let (small, most) = match mode {
        M::Passive => (0.4, 40),
        M::Reactive => (0.8, 15),
        _ => (0.6, 25),
    };
    let patients: u16 = if rng.random_bool(small) {
        rng.random_range(1..=7)
    } else {
        rng.random_range(8..=most)
    };
    let part = |rng: &mut DemoRng, share: f64| -> u16 {
        let most = (f64::from(patients) * share).round() as u16;
        rng.random_range(0..=most.min(patients))
    };
    let registered = part(rng, if service == S::NhsApp { 0.8 } else { 0.1 });
    let online = part(rng, 0.6);
    let referred = if rng.random_bool(0.1) {
        part(rng, 0.3)
    } else {
        0
    };
    let declined = part(rng, 0.2);
    let proxy = if rng.random_bool(0.05) {
        part(rng, 0.2).min(2)
    } else {
        0
    };
    let minutes = if rng.random_bool(0.2) {
        0
    } else if mode == M::Passive {
        rng.random_range(10..=60)
    } else {
        patients * rng.random_range(5..=15)
    };
    let note = if rng.random_bool(0.03) {
        1 + index(rng, NOTES.len()) as u8
    } else {
        0
    };
    Facilitation {
        week,
        weekday: rng.random_range(0..=4),
        mode,
        service,
        channel,
        by,
        groups,
        patients,
        registered,
        online,
        referred,
        declined,
        proxy,
        minutes,
        note,
    }
}

/// A practice's plan, turned into its steps one at a time as their days come.
#[derive(Debug)]
pub(crate) struct Cursor {
    seed: Seed,
    year: Year,
    plan: PracticePlan,
    next: usize,
}

impl Cursor {
    pub fn new(seed: Seed, year: Year, plan: PracticePlan) -> Self {
        Self {
            seed,
            year,
            plan,
            next: 0,
        }
    }

    pub fn next_day(&self) -> Option<NaiveDate> {
        let item = self.plan.items.get(self.next)?;
        Some(self.year.day(item.on()))
    }

    pub fn next_step(&mut self) -> Option<Step> {
        let item = *self.plan.items.get(self.next)?;
        let on = self.year.day(item.on());
        let step = step(self.seed, &self.plan.code, self.next, item, on);
        self.next += 1;
        Some(step)
    }
}

/// Item `n` of practice `code`'s plan as a request, sent by its practice manager on `day`.
fn step(seed: Seed, code: &str, n: usize, item: Item, day: NaiveDate) -> Step {
    let request_id = seed.request_id(format_args!("{code}-{n}"));
    let practice_code = code.to_owned();
    let cmd: Cmd = match item {
        Item::Adopt { platform, on } => AdoptPlatformRequest {
            request_id,
            practice_code,
            platform_id: platform_id(seed, platform).to_string(),
            effective_date: iso(on),
            services: Vec::new(),
        }
        .into(),
        Item::Champion {
            staff,
            services,
            on,
        } => NameDigitalChampionRequest {
            request_id,
            practice_code,
            staff_ref: staff.reference(),
            staff_role: staff.role.into(),
            services: SERVICES
                .iter()
                .enumerate()
                .filter(|(bit, _)| services & (1 << bit) != 0)
                .map(|(_, s)| i32::from(*s))
                .collect(),
            effective_date: iso(on),
        }
        .into(),
        Item::Status {
            service,
            status,
            reason,
            on,
        } => ChangeServiceStatusRequest {
            request_id,
            practice_code,
            service: service.into(),
            status: status.into(),
            reason: reason_text(service, reason).to_owned(),
            effective_date: iso(on),
            reason_kind: reason.into(),
        }
        .into(),
        Item::Enrol {
            staff,
            counted_as,
            programme,
            on,
        } => EnrolStaffRequest {
            request_id,
            practice_code,
            staff_ref: staff.reference(),
            staff_role: counted_as.into(),
            programme_id: programme_id(seed, programme).to_string(),
            enrolled_on: iso(on),
        }
        .into(),
        Item::Module {
            staff,
            programme,
            module,
            on,
        } => CompleteModuleRequest {
            request_id,
            practice_code,
            staff_ref: staff.reference(),
            programme_id: programme_id(seed, programme).to_string(),
            module_id: PROGRAMMES[programme].modules[module].to_owned(),
            completed_on: iso(on),
        }
        .into(),
        Item::Trained {
            staff,
            programme,
            on,
        } => CompleteTrainingRequest {
            request_id,
            practice_code,
            staff_ref: staff.reference(),
            programme_id: programme_id(seed, programme).to_string(),
            completed_on: iso(on),
        }
        .into(),
        Item::StaffInPost {
            role,
            headcount,
            on,
        } => ReportStaffInPostRequest {
            request_id,
            practice_code,
            staff_role: role.into(),
            headcount: headcount.into(),
            as_of: iso(on),
        }
        .into(),
        Item::Facilitation(f) => RecordFacilitationRequest {
            request_id,
            practice_code,
            week: iso_week(f.week),
            mode: f.mode.into(),
            service: f.service.into(),
            channel: f.channel.into(),
            delivered_by: f.by.into(),
            patient_groups: GROUPS
                .iter()
                .filter(|(g, _)| f.groups & (1 << i32::from(*g)) != 0)
                .map(|(g, _)| i32::from(*g))
                .collect(),
            patients_supported: f.patients.into(),
            registered_for_nhs_app: f.registered.into(),
            completed_task_online: f.online.into(),
            referred_to_community_session: f.referred.into(),
            declined_help: f.declined.into(),
            set_up_proxy_access: f.proxy.into(),
            staff_minutes: f.minutes.into(),
            notes: if f.note == 0 {
                String::new()
            } else {
                NOTES[usize::from(f.note - 1)].to_owned()
            },
        }
        .into(),
    };
    Step::new(day, Who::PracticeManager(code.to_owned()), cmd)
}
