//! Who is responsible for what, with the gaps the research found: for each ICB and duty,
//! and for duties in some PCNs, a scenario: owned, a Responsible still to answer, one who
//! declined, two accepted Accountables (a contest), an owner whose commitment ended, only
//! beliefs (attributions to someone who never accepted), or nothing at all. Proposals are
//! spread over the year, answered days or weeks after, and commitments end later still.

use chrono::NaiveDate;
use proto::v1::{
    AcceptResponsibilityRequest, AttributeResponsibilityRequest, DeclineResponsibilityRequest,
    EndResponsibilityRequest, Level, ProposeResponsibilityRequest, RaciRole,
};
use rand::Rng;

use super::Scale;
use super::catalogue::{DUTIES, duty_id};
use super::command::{Script, Step, Who};
use super::england::{ICBS, REGIONS, Tree};
use super::seed::{DemoRng, Seed, Year, days, index, iso, weighted};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// An accepted Responsible and an accepted Accountable.
    Owned,
    /// The Accountable accepted; the Responsible has not answered.
    ResponsiblePending,
    /// The Responsible declined; the Accountable accepted.
    ResponsibleDeclined,
    /// Two accepted Accountables: a contest.
    TwoAccountables,
    /// Nobody proposed, nobody believes anything.
    Nothing,
    /// Nobody proposed, but organisations believe someone owns it.
    BeliefOnly,
    /// Both proposed, neither answered.
    Unanswered,
    /// An accepted Responsible and no Accountable.
    ResponsibleOnly,
    /// Owned, until the Responsible's commitment ended.
    Ended,
}

use Scenario::*;

const AREA_SCENARIOS: [(Scenario, u32); 9] = [
    (Owned, 38),
    (ResponsiblePending, 10),
    (ResponsibleDeclined, 8),
    (TwoAccountables, 7),
    (Nothing, 12),
    (BeliefOnly, 9),
    (Unanswered, 6),
    (ResponsibleOnly, 6),
    (Ended, 4),
];

const NATIONAL_SCENARIOS: [(Scenario, u32); 3] =
    [(Owned, 60), (ResponsiblePending, 20), (Nothing, 20)];

const DECLINE_REASONS: [&str; 3] = [
    "We have no funding for this work this year",
    "This belongs to the ICB digital team, not to us",
    "We do not have staff with the skills to do this",
];

const END_REASONS: [&str; 2] = [
    "Funding for the post ended",
    "The partner contract was not renewed",
];

/// An organisation and the person who answers for it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Org {
    code: String,
    who: Who,
}

fn org(code: &str, who: Who) -> Org {
    Org {
        code: code.to_owned(),
        who,
    }
}

/// One area's candidates for each part: who proposes, who could be Accountable or
/// Responsible, and who might hold beliefs about it.
struct Area {
    code: String,
    level: Level,
    proposer: Who,
    accountable: Vec<Org>,
    responsible: Vec<Org>,
    believers: Vec<Org>,
}

struct Planner {
    seed: Seed,
    year: Year,
    /// The random stream of the area being planned.
    rng: DemoRng,
    scripts: Vec<Script>,
}

impl Planner {
    fn propose(
        &mut self,
        area: &Area,
        duty: usize,
        role: RaciRole,
        to: &Org,
        k: usize,
    ) -> (Script, String) {
        let key = format!(
            "{}-{duty}-{}-{}-{k}",
            area.code,
            area.level.as_str_name(),
            role.as_str_name()
        );
        let id = self.seed.id("assignment", &key).to_string();
        let note = if self.rng.random_bool(0.3) {
            "Agreed at the digital inclusion board"
        } else {
            ""
        };
        let proposed = self
            .year
            .day(days(self.year.start, self.rng.random_range(14..=330)));
        let script = vec![Step::new(
            proposed,
            area.proposer.clone(),
            ProposeResponsibilityRequest {
                request_id: self.seed.request_id(format_args!("assign-{key}")),
                assignment_id: id.clone(),
                duty_id: duty_id(self.seed, duty).to_string(),
                area_code: area.code.clone(),
                level: area.level.into(),
                assignee_code: to.code.clone(),
                role: role.into(),
                note: note.to_owned(),
            },
        )];
        (script, key)
    }

    /// Proposed, then answered by the assignee as `answer` says.
    fn assign(
        &mut self,
        area: &Area,
        duty: usize,
        role: RaciRole,
        to: &Org,
        k: usize,
        answer: Answer,
    ) {
        let (mut script, key) = self.propose(area, duty, role, to, k);
        let id = self.seed.id("assignment", &key).to_string();
        let answered = self
            .year
            .day(days(script[0].on, self.rng.random_range(1..=40)));
        match answer {
            Answer::None => {}
            Answer::Accept | Answer::AcceptThenEnd => {
                script.push(Step::new(
                    answered,
                    to.who.clone(),
                    AcceptResponsibilityRequest {
                        request_id: self.seed.request_id(format_args!("accept-{key}")),
                        assignment_id: id.clone(),
                    },
                ));
                if answer == Answer::AcceptThenEnd {
                    let reason = END_REASONS[index(&mut self.rng, END_REASONS.len())];
                    let ended = self
                        .year
                        .day(days(answered, self.rng.random_range(14..=200)));
                    script.push(Step::new(
                        ended,
                        to.who.clone(),
                        EndResponsibilityRequest {
                            request_id: self.seed.request_id(format_args!("end-{key}")),
                            assignment_id: id,
                            reason: reason.to_owned(),
                            effective_date: iso(ended),
                        },
                    ));
                }
            }
            Answer::Decline => {
                let reason = DECLINE_REASONS[index(&mut self.rng, DECLINE_REASONS.len())];
                script.push(Step::new(
                    answered,
                    to.who.clone(),
                    DeclineResponsibilityRequest {
                        request_id: self.seed.request_id(format_args!("decline-{key}")),
                        assignment_id: id,
                        reason: reason.to_owned(),
                    },
                ));
            }
        }
        self.scripts.push(script);
    }

    /// Some of the area's organisations state whom they believe owns the duty.
    fn believe(&mut self, area: &Area, duty: usize, owner: &Org, role: RaciRole, most: usize) {
        if area.believers.is_empty() {
            return;
        }
        let count = self.rng.random_range(1..=most);
        let mut by: Vec<&Org> = Vec::new();
        for _ in 0..count {
            let believer = &area.believers[index(&mut self.rng, area.believers.len())];
            if believer.code != owner.code && !by.contains(&believer) {
                by.push(believer);
            }
        }
        for believer in by {
            let on = self
                .year
                .day(days(self.year.start, self.rng.random_range(14..=364)));
            self.scripts.push(vec![Step::new(
                on,
                believer.who.clone(),
                AttributeResponsibilityRequest {
                    request_id: self.seed.request_id(format_args!(
                        "attribute-{}-{duty}-{}-{}",
                        area.code,
                        area.level.as_str_name(),
                        believer.code
                    )),
                    duty_id: duty_id(self.seed, duty).to_string(),
                    area_code: area.code.clone(),
                    level: area.level.into(),
                    believed_owner_code: owner.code.clone(),
                    role: role.into(),
                },
            )]);
        }
    }

    fn pick(&mut self, orgs: &[Org]) -> Org {
        orgs[index(&mut self.rng, orgs.len())].clone()
    }

    fn scenario(&mut self, area: &Area, duty: usize, scenario: Scenario) {
        use RaciRole::{Accountable, Responsible};
        let accountable = self.pick(&area.accountable);
        let responsible = self.pick(&area.responsible);
        match scenario {
            Owned => {
                self.assign(area, duty, Accountable, &accountable, 0, Answer::Accept);
                self.assign(area, duty, Responsible, &responsible, 0, Answer::Accept);
                if self.rng.random_bool(0.2) {
                    self.believe(area, duty, &responsible, Responsible, 1);
                }
            }
            ResponsiblePending => {
                self.assign(area, duty, Accountable, &accountable, 0, Answer::Accept);
                self.assign(area, duty, Responsible, &responsible, 0, Answer::None);
                self.believe(area, duty, &responsible, Responsible, 3);
            }
            ResponsibleDeclined => {
                self.assign(area, duty, Accountable, &accountable, 0, Answer::Accept);
                self.assign(area, duty, Responsible, &responsible, 0, Answer::Decline);
                if self.rng.random_bool(0.5) {
                    self.believe(area, duty, &responsible, Responsible, 2);
                }
            }
            TwoAccountables => {
                let others: Vec<Org> = area
                    .accountable
                    .iter()
                    .chain(&area.responsible)
                    .filter(|o| o.code != accountable.code)
                    .cloned()
                    .collect();
                self.assign(area, duty, Accountable, &accountable, 0, Answer::Accept);
                if !others.is_empty() {
                    let second = self.pick(&others);
                    self.assign(area, duty, Accountable, &second, 1, Answer::Accept);
                }
                self.assign(area, duty, Responsible, &responsible, 0, Answer::Accept);
            }
            Nothing => {}
            BeliefOnly => {
                let owner = if self.rng.random_bool(0.5) {
                    accountable
                } else {
                    responsible
                };
                let role = if self.rng.random_bool(0.5) {
                    Accountable
                } else {
                    Responsible
                };
                self.believe(area, duty, &owner, role, 4);
            }
            Unanswered => {
                self.assign(area, duty, Accountable, &accountable, 0, Answer::None);
                self.assign(area, duty, Responsible, &responsible, 0, Answer::None);
            }
            ResponsibleOnly => {
                self.assign(area, duty, Responsible, &responsible, 0, Answer::Accept);
                self.believe(area, duty, &accountable, Accountable, 2);
            }
            Ended => {
                self.assign(area, duty, Accountable, &accountable, 0, Answer::Accept);
                self.assign(
                    area,
                    duty,
                    Responsible,
                    &responsible,
                    0,
                    Answer::AcceptThenEnd,
                );
                self.believe(area, duty, &responsible, Responsible, 2);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    None,
    Accept,
    AcceptThenEnd,
    Decline,
}

fn duties_at(level: Level) -> impl Iterator<Item = usize> {
    DUTIES
        .iter()
        .enumerate()
        .filter(move |(_, d)| d.levels.contains(&level))
        .map(|(n, _)| n)
}

/// Every assignment and attribution: one script each (each is its own stream).
pub(crate) fn scripts(seed: Seed, scale: &Scale, tree: &Tree, year: Year) -> Vec<Script> {
    let today = year.today;
    let mut planner = Planner {
        seed,
        year,
        rng: seed.rng("responsibility", 0),
        scripts: Vec::new(),
    };

    // National duties: NHS England and the regions.
    let regions: Vec<Org> = REGIONS
        .iter()
        .map(|r| org(r.code, Who::RegionalLead(r.code.to_owned())))
        .collect();
    let national = Area {
        code: "X24".to_owned(),
        level: Level::National,
        proposer: Who::National,
        accountable: vec![org("X24", Who::National)],
        responsible: [org("X24", Who::National)]
            .into_iter()
            .chain(regions.clone())
            .collect(),
        believers: regions.clone(),
    };
    for duty in duties_at(Level::National) {
        let scenario = weighted(&mut planner.rng, &NATIONAL_SCENARIOS);
        planner.scenario(&national, duty, scenario);
    }

    // Regional duties, for every ICB that still stands.
    for (icb, info) in ICBS.iter().enumerate() {
        if !tree.icb_active_on(icb, today) {
            continue;
        }
        let region = &REGIONS[Tree::region_of_icb(icb)];
        let me = org(info.code, Who::Commissioner(info.code.to_owned()));
        let region = org(region.code, Who::RegionalLead(region.code.to_owned()));
        let partners: Vec<Org> = partners_covering(tree, icb, today);
        let mut responsible = vec![me.clone(), me.clone(), region.clone()];
        responsible.extend(partners.iter().take(3).cloned());
        let mut believers: Vec<Org> = partners.clone();
        for (n, practice) in icb_practices(tree, icb, today).take(12).enumerate() {
            let pcn = &tree.pcns[tree.practices[practice].pcn];
            believers.push(if n % 3 == 0 {
                org(&pcn.code, Who::PcnLead(pcn.code.clone()))
            } else {
                org(
                    &tree.practices[practice].code,
                    Who::PracticeManager(tree.practices[practice].code.clone()),
                )
            });
        }
        let area = Area {
            code: info.code.to_owned(),
            level: Level::Regional,
            proposer: Who::Commissioner(info.code.to_owned()),
            accountable: vec![me.clone(), me.clone(), me, region],
            responsible,
            believers,
        };
        planner.rng = seed.rng("icb-duties", icb as u64);
        for duty in duties_at(Level::Regional) {
            let scenario = weighted(&mut planner.rng, &AREA_SCENARIOS);
            planner.scenario(&area, duty, scenario);
        }
    }

    // Local duties, in some PCNs.
    let local: Vec<usize> = duties_at(Level::Local).collect();
    for (n, pcn) in tree.pcns.iter().enumerate() {
        planner.rng = seed.rng("pcn-duties", n as u64);
        if !planner.rng.random_bool(scale.pcns_with_local_duties) {
            continue;
        }
        let me = org(&pcn.code, Who::PcnLead(pcn.code.clone()));
        let members: Vec<Org> = pcn
            .practices
            .iter()
            .map(|p| {
                let code = &tree.practices[*p].code;
                org(code, Who::PracticeManager(code.clone()))
            })
            .collect();
        let mut responsible = vec![me.clone(), me.clone()];
        responsible.extend(members.iter().cloned());
        responsible.extend(partners_covering(tree, pcn.icb, today).into_iter().take(1));
        let mut accountable = vec![me.clone(), me.clone(), me];
        accountable.extend(members.iter().take(1).cloned());
        let area = Area {
            code: pcn.code.clone(),
            level: Level::Local,
            proposer: Who::PcnLead(pcn.code.clone()),
            accountable,
            responsible,
            believers: members,
        };
        // Two to four different duties.
        let mut duties = local.clone();
        for _ in 0..planner.rng.random_range(2..=4) {
            let duty = duties.swap_remove(index(&mut planner.rng, duties.len()));
            let scenario = weighted(&mut planner.rng, &AREA_SCENARIOS);
            planner.scenario(&area, duty, scenario);
        }
    }
    planner.scripts
}

/// Partners whose area includes ICB `icb` (after any merger).
fn partners_covering(tree: &Tree, icb: usize, today: NaiveDate) -> Vec<Org> {
    let code = tree.icb_code_on(icb, today);
    tree.partners
        .iter()
        .filter(|p| p.covers.iter().any(|c| tree.icb_code_on(*c, today) == code))
        .map(|p| org(&p.code, Who::Coordinator(p.code.clone())))
        .collect()
}

/// Practices within ICB `icb` today (a merged ICB's included).
fn icb_practices(tree: &Tree, icb: usize, today: NaiveDate) -> impl Iterator<Item = usize> + '_ {
    let code = tree.icb_code_on(icb, today);
    (0..ICBS.len())
        .filter(move |i| tree.icb_code_on(*i, today) == code)
        .flat_map(move |i| tree.icb_practices[i].iter().copied())
}
