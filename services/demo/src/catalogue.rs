//! What commissioners define once, early in the year: the duty catalogue and the training
//! programmes, with the rollout targets regions and ICBs set in the weeks after.

use chrono::NaiveDate;
use proto::v1::{
    DefineDutyRequest, LaunchTrainingProgrammeRequest, Level, SetRolloutTargetRequest, StaffRole,
};
use rand::Rng;
use uuid::Uuid;

use super::command::{Script, Step, Who};
use super::england::{ICBS, REGIONS, Tree};
use super::seed::{Seed, Year, days, index, iso, next_date};

pub(crate) struct DutyInfo {
    pub title: &'static str,
    pub description: &'static str,
    /// Levels at which it must have an accepted Responsible and Accountable owner.
    pub levels: &'static [Level],
}

use Level::{Local, National, Regional};

pub(crate) const DUTIES: [DutyInfo; 15] = [
    DutyInfo {
        title: "Promote NHS App registration to at-risk groups",
        description: "Reach older people, people with limited English and others at risk of exclusion and help them register for the NHS App.",
        levels: &[Local, Regional],
    },
    DutyInfo {
        title: "Train reception staff in digital facilitation",
        description: "Make sure every reception and care navigation team has completed digital facilitation training.",
        levels: &[Local],
    },
    DutyInfo {
        title: "Name a digital champion in every practice",
        description: "Each practice names a member of staff whom colleagues and patients can go to for help with online services.",
        levels: &[Local],
    },
    DutyInfo {
        title: "Commission community digital skills sessions",
        description: "Commission third-sector partners to run sessions where people learn to use online GP services.",
        levels: &[Regional],
    },
    DutyInfo {
        title: "Provide devices and data for digitally excluded patients",
        description: "Arrange device loans, data and connectivity for patients who cannot get online.",
        levels: &[Regional, Local],
    },
    DutyInfo {
        title: "Offer a non-digital route for every online service",
        description: "Keep a telephone and in-person route open for everything offered online.",
        levels: &[Local],
    },
    DutyInfo {
        title: "Support proxy access for carers and care homes",
        description: "Help carers, relatives and care home staff set up proxy access safely.",
        levels: &[Local],
    },
    DutyInfo {
        title: "Monitor digital exclusion across the population",
        description: "Collect and publish measures of who cannot use online services, by group and area.",
        levels: &[Regional, National],
    },
    DutyInfo {
        title: "Assure the accessibility of online consultation tools",
        description: "Check that the tools practices use meet accessibility standards and work with assistive technology.",
        levels: &[National, Regional],
    },
    DutyInfo {
        title: "Tell practice staff about platform changes",
        description: "Pass on supplier announcements of changes that need staff to be retrained, in time.",
        levels: &[Regional],
    },
    DutyInfo {
        title: "Provide interpreters and translated guides for online services",
        description: "Make interpreters and translated or easy-read guides available for help with online services.",
        levels: &[Regional, Local],
    },
    DutyInfo {
        title: "Run proactive digital outreach for older people",
        description: "Invite older patients who do not use online services to a help session or a call.",
        levels: &[Local],
    },
    DutyInfo {
        title: "Support people with learning disabilities to use online services",
        description: "Offer easy-read material and longer appointments to help people with a learning disability get online.",
        levels: &[Local],
    },
    DutyInfo {
        title: "Act on patient feedback about online access",
        description: "Collect what patients say about online access and change services in response.",
        levels: &[Local, Regional],
    },
    DutyInfo {
        title: "Fund and evaluate digital facilitation",
        description: "Fund facilitation work and evaluate whether it reaches the people most at risk.",
        levels: &[National, Regional],
    },
];

pub(crate) struct ProgrammeInfo {
    pub key: &'static str,
    pub title: &'static str,
    pub audience: &'static [StaffRole],
    pub modules: &'static [&'static str],
    pub target_percent: u32,
    /// The deadline: the next (month, day) at least so many days ahead.
    pub deadline: (u32, u32, i64),
    /// How many weeks after a region started its rollout this programme reached it.
    pub lag_weeks: u32,
}

pub(crate) const PROGRAMMES: [ProgrammeInfo; 3] = [
    ProgrammeInfo {
        key: "dfe",
        title: "Digital facilitation essentials for reception and care navigation teams",
        audience: &[
            StaffRole::Receptionist,
            StaffRole::CareNavigator,
            StaffRole::PracticeManagerRole,
        ],
        modules: &[
            "dfe-1-why-digital-inclusion-matters",
            "dfe-2-helping-with-nhs-app-registration",
            "dfe-3-online-consultation-and-proxy-access",
        ],
        target_percent: 80,
        deadline: (3, 31, 60),
        lag_weeks: 0,
    },
    ProgrammeInfo {
        key: "oar",
        title: "Online access for people at risk of exclusion",
        audience: &[
            StaffRole::Receptionist,
            StaffRole::CareNavigator,
            StaffRole::HealthcareAssistant,
            StaffRole::SocialPrescriber,
        ],
        modules: &[
            "oar-1-older-people-and-sensory-impairment",
            "oar-2-limited-english-and-interpreters",
            "oar-3-learning-disability-and-easy-read",
        ],
        target_percent: 60,
        deadline: (6, 30, 120),
        lag_weeks: 14,
    },
    ProgrammeInfo {
        key: "dch",
        title: "Digital champions programme",
        audience: &[
            StaffRole::DigitalChampion,
            StaffRole::Receptionist,
            StaffRole::CareNavigator,
        ],
        modules: &[
            "dch-1-being-a-digital-champion",
            "dch-2-running-a-help-session",
        ],
        target_percent: 50,
        deadline: (12, 31, 30),
        lag_weeks: 8,
    },
];

pub(crate) fn duty_id(seed: Seed, duty: usize) -> Uuid {
    seed.id("duty", duty)
}

pub(crate) fn programme_id(seed: Seed, programme: usize) -> Uuid {
    seed.id("programme", PROGRAMMES[programme].key)
}

fn deadline(programme: usize, today: NaiveDate) -> String {
    let (month, day, ahead) = PROGRAMMES[programme].deadline;
    iso(next_date(today, month, day, ahead))
}

/// The national team defines each duty in the year's first days: one script each (each
/// duty is its own stream).
pub(crate) fn duties(seed: Seed, year: Year) -> Vec<Script> {
    DUTIES
        .iter()
        .enumerate()
        .map(|(n, duty)| {
            vec![Step::new(
                days(year.start, 1 + (n % 3) as i64),
                Who::National,
                DefineDutyRequest {
                    request_id: seed.request_id(format_args!("duty-{n}")),
                    duty_id: duty_id(seed, n).to_string(),
                    title: duty.title.to_owned(),
                    description: duty.description.to_owned(),
                    required_levels: duty.levels.iter().map(|l| i32::from(*l)).collect(),
                },
            )]
        })
        .collect()
}

/// Each programme launched by the national team in the year's first weeks (before any
/// region's rollout begins), then the targets regions and some ICBs set for it over the
/// following months: one script a programme (its stream).
pub(crate) fn programmes(seed: Seed, tree: &Tree, year: Year) -> Vec<Script> {
    let today = year.today;
    PROGRAMMES
        .iter()
        .enumerate()
        .map(|(n, programme)| {
            let mut rng = seed.rng("programme", n as u64);
            let id = programme_id(seed, n).to_string();
            let launched = days(year.start, 7 + 3 * n as i64);
            let mut script = vec![Step::new(
                launched,
                Who::National,
                LaunchTrainingProgrammeRequest {
                    request_id: seed.request_id(format_args!("programme-{}", programme.key)),
                    programme_id: id.clone(),
                    owner_code: "X24".to_owned(),
                    title: programme.title.to_owned(),
                    code: format!(
                        "{}-{}",
                        programme.key.to_uppercase(),
                        &deadline(n, today)[..4]
                    ),
                    audience_roles: programme.audience.iter().map(|r| i32::from(*r)).collect(),
                    module_ids: programme.modules.iter().map(|m| (*m).to_owned()).collect(),
                    target_percent: programme.target_percent,
                    deadline: deadline(n, today),
                },
            )];
            let target = |on: NaiveDate, who: Who, area: &str, percent: u32, what: &str| {
                Step::new(
                    year.day(on),
                    who,
                    SetRolloutTargetRequest {
                        request_id: seed
                            .request_id(format_args!("target-{}-{what}", programme.key)),
                        programme_id: id.clone(),
                        area_code: area.to_owned(),
                        target_percent: percent,
                        deadline: deadline(n, today),
                    },
                )
            };
            // The first programme has a target in every region; regions and ICBs set
            // their own, some above the national target and some below.
            if n == 0 {
                for region in &REGIONS {
                    let percent = programme.target_percent - 8 + rng.random_range(0..=12);
                    let on = days(launched, rng.random_range(7..=42));
                    script.push(target(
                        on,
                        Who::RegionalLead(region.code.to_owned()),
                        region.code,
                        percent,
                        region.code,
                    ));
                }
            }
            let icbs = [8, 4, 2][n];
            let mut chosen = Vec::new();
            while chosen.len() < icbs {
                let icb = index(&mut rng, ICBS.len());
                if tree.icb_active_on(icb, today) && !chosen.contains(&icb) {
                    chosen.push(icb);
                }
            }
            for icb in chosen {
                let code = ICBS[icb].code;
                let percent = (programme.target_percent + rng.random_range(0..=15)).min(100);
                let on = days(launched, rng.random_range(14..=120));
                script.push(target(
                    on,
                    Who::Commissioner(code.to_owned()),
                    code,
                    percent,
                    code,
                ));
            }
            script.sort_by_key(|s| s.on);
            script
        })
        .collect()
}

/// The load's last step, today: the national team confirms the first programme's national
/// target. Its presence in the log says a load finished.
pub(crate) fn final_step(seed: Seed, year: Year) -> Step {
    let today = year.today;
    Step::new(
        today,
        Who::National,
        SetRolloutTargetRequest {
            request_id: final_request_id(seed),
            programme_id: programme_id(seed, 0).to_string(),
            area_code: "X24".to_owned(),
            target_percent: PROGRAMMES[0].target_percent,
            deadline: deadline(0, today),
        },
    )
}

pub(crate) fn final_request_id(seed: Seed) -> String {
    seed.request_id("complete")
}
