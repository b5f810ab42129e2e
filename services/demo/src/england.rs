//! The organisation tree: NHS England, the seven NHS England regions and the 42 ICBs with
//! their real codes and names; synthetic sub-ICB locations, PCNs, practices and partners
//! (every synthetic name says so); the providers of `platforms`, all registered on the
//! first day of the demo's year. Then the tree changing over the year: two ICBs merge on
//! 1 April 2026 and some practices move PCN. The NHS part of the tree goes in through the
//! importer, as NHS files ([`super::ods`]).

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use proto::v1::{OrganisationKind, RegisterOrganisationRequest};
use rand::Rng;

use super::Scale;
use super::command::{Script, Step, Who};
use super::platforms::PROVIDERS;
use super::seed::{self, DemoRng, Seed, Year, days, index, iso};

/// The date the tree below the regions took its current shape (ICBs were established).
pub(crate) const ICBS_ESTABLISHED: (i32, u32, u32) = (2022, 7, 1);

pub(crate) struct Region {
    pub code: &'static str,
    pub name: &'static str,
    /// First letters of the region's synthetic practice codes.
    pub letters: &'static [u8],
    /// When the region started rolling out training: the rollout is staged.
    pub rollout_weeks_ago: u32,
}

pub(crate) const REGIONS: [Region; 7] = [
    Region {
        code: "Y56",
        name: "London",
        letters: b"EF",
        rollout_weeks_ago: 48,
    },
    Region {
        code: "Y58",
        name: "South West",
        letters: b"L",
        rollout_weeks_ago: 20,
    },
    Region {
        code: "Y59",
        name: "South East",
        letters: b"GHJK",
        rollout_weeks_ago: 26,
    },
    Region {
        code: "Y60",
        name: "Midlands",
        letters: b"CM",
        rollout_weeks_ago: 44,
    },
    Region {
        code: "Y61",
        name: "East of England",
        letters: b"D",
        rollout_weeks_ago: 32,
    },
    Region {
        code: "Y62",
        name: "North West",
        letters: b"NP",
        rollout_weeks_ago: 40,
    },
    Region {
        code: "Y63",
        name: "North East and Yorkshire",
        letters: b"AB",
        rollout_weeks_ago: 36,
    },
];

pub(crate) struct IcbInfo {
    pub code: &'static str,
    /// The area, as in "NHS <area> Integrated Care Board".
    pub area: &'static str,
    pub region: &'static str,
    /// Registered population in hundreds of thousands: how many PCNs and partners it gets.
    pub weight: u32,
    /// Postcode areas its practices' districts are drawn from.
    pub postcode_areas: &'static [&'static str],
}

macro_rules! icbs {
    ($(($code:literal, $area:literal, $region:literal, $weight:literal, [$($pc:literal),*])),* $(,)?) => {
        [$(IcbInfo { code: $code, area: $area, region: $region, weight: $weight, postcode_areas: &[$($pc),*] }),*]
    };
}

pub(crate) const ICBS: [IcbInfo; 42] = icbs![
    ("QMF", "North East London", "Y56", 20, ["E", "IG", "RM"]),
    (
        "QRV",
        "North West London",
        "Y56",
        21,
        ["W", "NW", "UB", "HA", "TW"]
    ),
    ("QMJ", "North Central London", "Y56", 15, ["N", "NW", "EN"]),
    ("QKK", "South East London", "Y56", 19, ["SE", "BR", "DA"]),
    (
        "QWE",
        "South West London",
        "Y56",
        15,
        ["SW", "SM", "CR", "KT"]
    ),
    (
        "QOX",
        "Bath and North East Somerset, Swindon and Wiltshire",
        "Y58",
        10,
        ["BA", "SN"]
    ),
    (
        "QUY",
        "Bristol, North Somerset and South Gloucestershire",
        "Y58",
        10,
        ["BS"]
    ),
    (
        "QT6",
        "Cornwall and the Isles of Scilly",
        "Y58",
        6,
        ["TR", "PL"]
    ),
    ("QJK", "Devon", "Y58", 12, ["EX", "PL", "TQ"]),
    ("QVV", "Dorset", "Y58", 8, ["BH", "DT"]),
    ("QR1", "Gloucestershire", "Y58", 7, ["GL"]),
    ("QSL", "Somerset", "Y58", 6, ["TA", "BA"]),
    (
        "QU9",
        "Buckinghamshire, Oxfordshire and Berkshire West",
        "Y59",
        18,
        ["OX", "RG", "HP", "MK"]
    ),
    ("QNQ", "Frimley", "Y59", 8, ["GU", "SL", "RG"]),
    (
        "QRL",
        "Hampshire and Isle of Wight",
        "Y59",
        19,
        ["SO", "PO", "GU"]
    ),
    (
        "QKS",
        "Kent and Medway",
        "Y59",
        19,
        ["ME", "CT", "TN", "DA"]
    ),
    ("QXU", "Surrey Heartlands", "Y59", 11, ["GU", "KT", "RH"]),
    ("QNX", "Sussex", "Y59", 17, ["BN", "RH", "TN"]),
    ("QHL", "Birmingham and Solihull", "Y60", 13, ["B"]),
    ("QUA", "Black Country", "Y60", 13, ["WV", "WS", "DY"]),
    ("QWU", "Coventry and Warwickshire", "Y60", 10, ["CV"]),
    ("QJ2", "Derby and Derbyshire", "Y60", 11, ["DE", "S"]),
    (
        "QGH",
        "Herefordshire and Worcestershire",
        "Y60",
        8,
        ["HR", "WR"]
    ),
    (
        "QK1",
        "Leicester, Leicestershire and Rutland",
        "Y60",
        11,
        ["LE"]
    ),
    ("QJM", "Lincolnshire", "Y60", 8, ["LN", "PE", "NG"]),
    ("QPM", "Northamptonshire", "Y60", 8, ["NN"]),
    ("QT1", "Nottingham and Nottinghamshire", "Y60", 11, ["NG"]),
    (
        "QOC",
        "Shropshire, Telford and Wrekin",
        "Y60",
        5,
        ["SY", "TF"]
    ),
    (
        "QNC",
        "Staffordshire and Stoke-on-Trent",
        "Y60",
        12,
        ["ST", "WS"]
    ),
    (
        "QHG",
        "Bedfordshire, Luton and Milton Keynes",
        "Y61",
        10,
        ["LU", "MK", "SG"]
    ),
    (
        "QUE",
        "Cambridgeshire and Peterborough",
        "Y61",
        9,
        ["CB", "PE"]
    ),
    (
        "QM7",
        "Hertfordshire and West Essex",
        "Y61",
        16,
        ["AL", "HP", "SG", "CM", "WD"]
    ),
    ("QH8", "Mid and South Essex", "Y61", 12, ["SS", "CM", "RM"]),
    ("QMM", "Norfolk and Waveney", "Y61", 11, ["NR", "IP"]),
    (
        "QJG",
        "Suffolk and North East Essex",
        "Y61",
        10,
        ["IP", "CO"]
    ),
    (
        "QYG",
        "Cheshire and Merseyside",
        "Y62",
        27,
        ["L", "CH", "CW", "WA"]
    ),
    (
        "QOP",
        "Greater Manchester",
        "Y62",
        29,
        ["M", "BL", "OL", "SK", "WN"]
    ),
    (
        "QE1",
        "Lancashire and South Cumbria",
        "Y62",
        18,
        ["PR", "BB", "FY", "LA"]
    ),
    (
        "QHM",
        "North East and North Cumbria",
        "Y63",
        30,
        ["NE", "SR", "DH", "TS", "DL", "CA"]
    ),
    (
        "QOQ",
        "Humber and North Yorkshire",
        "Y63",
        17,
        ["HU", "YO", "DN", "HG"]
    ),
    ("QF7", "South Yorkshire", "Y63", 14, ["S", "DN"]),
    (
        "QWO",
        "West Yorkshire",
        "Y63",
        24,
        ["LS", "BD", "HX", "HD", "WF"]
    ),
];

/// How long before it takes effect the merger is recorded: more than the six weeks ahead
/// partners schedule sessions.
pub(crate) const MERGER_NOTICE_DAYS: u64 = 60;

/// The merger the demo records: predecessors into a successor (indexes into [`ICBS`]).
pub(crate) const MERGER: (&[&str], &str, (i32, u32, u32)) = (&["QHG"], "QM7", (2026, 4, 1));

/// What a partner organisation does, for its name and slug.
pub(crate) const PARTNER_KINDS: [(&str, &str); 12] = [
    ("library", "Library Service"),
    ("digital-buddies", "Digital Buddies"),
    ("refugee-welcome", "Refugee Welcome Centre"),
    ("carers-centre", "Carers Centre"),
    ("deaf-association", "Deaf Community Association"),
    ("ld-advocacy", "Learning Disability Advocacy"),
    ("community-college", "Community Learning College"),
    ("housing-support", "Housing Support Trust"),
    ("travellers-liaison", "Travellers Liaison Project"),
    ("peer-support", "Mental Health Peer Support"),
    ("digital-advice", "Digital Advice Service"),
    ("older-people", "Older People's Forum"),
];

#[derive(Debug, Clone)]
pub(crate) struct SubIcb {
    pub code: String,
    pub icb: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Pcn {
    pub code: String,
    pub name: String,
    pub icb: usize,
    pub sub_icb: usize,
    pub practices: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct PracticeOrg {
    pub code: String,
    pub name: String,
    pub icb: usize,
    pub pcn: usize,
    pub postcode_district: String,
}

#[derive(Debug, Clone)]
pub(crate) struct PartnerOrg {
    pub code: String,
    pub name: String,
    /// Index into [`PARTNER_KINDS`].
    pub kind: usize,
    /// Its home ICB (its parent).
    pub icb: usize,
    /// The ICBs it covers, its own first.
    pub covers: Vec<usize>,
    pub registered_on: NaiveDate,
}

/// A practice moving PCN.
#[derive(Debug, Clone)]
pub(crate) struct Move {
    pub practice: usize,
    pub to_pcn: usize,
    pub on: NaiveDate,
}

#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub sub_icbs: Vec<SubIcb>,
    pub pcns: Vec<Pcn>,
    pub practices: Vec<PracticeOrg>,
    pub partners: Vec<PartnerOrg>,
    pub moves: Vec<Move>,
    /// Per ICB: its practices.
    pub icb_practices: Vec<Vec<usize>>,
    /// The day ICBs were established (when the tree below the regions starts).
    pub established: NaiveDate,
    pub merger_on: NaiveDate,
}

pub(crate) fn region_index(code: &str) -> usize {
    REGIONS.iter().position(|r| r.code == code).unwrap_or(0)
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// `total` shared out in proportion to `weights`, at least `floor` each (largest
/// remainder).
fn apportion(total: usize, weights: &[u32], floor: usize) -> Vec<usize> {
    let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum::<u64>().max(1);
    let spare = total.saturating_sub(floor * weights.len()) as u64;
    let mut shares: Vec<(usize, u64)> = weights
        .iter()
        .map(|w| {
            let exact = spare * u64::from(*w);
            (floor + (exact / sum) as usize, exact % sum)
        })
        .collect();
    let given: usize = shares.iter().map(|(n, _)| n).sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(shares[*i].1));
    for i in order.into_iter().take(total.saturating_sub(given)) {
        shares[i].0 += 1;
    }
    shares.into_iter().map(|(n, _)| n).collect()
}

impl Tree {
    pub fn build(seed: Seed, scale: &Scale, year: Year) -> Self {
        let mut rng = seed.rng("tree", 0);
        let weights: Vec<u32> = ICBS.iter().map(|i| i.weight).collect();
        let established = date(ICBS_ESTABLISHED);

        // Sub-ICB locations: 1 to 3 an ICB, more for the larger ones, and none without a
        // PCN (the NHS files name a sub-ICB location only through its practices).
        let pcn_counts = apportion(scale.pcns, &weights, 1);
        let mut sub_icbs = Vec::new();
        let mut icb_subs: Vec<Vec<usize>> = vec![Vec::new(); ICBS.len()];
        for (icb, info) in ICBS.iter().enumerate() {
            let count = match info.weight {
                0..=9 => 1,
                10..=17 => rng.random_range(1..=2),
                _ => rng.random_range(2..=3),
            }
            .min(pcn_counts[icb]);
            for _ in 0..count {
                let n = sub_icbs.len();
                icb_subs[icb].push(n);
                sub_icbs.push(SubIcb {
                    code: format!("{:02}{}", n / 26, char::from(b'A' + (n % 26) as u8)),
                    icb,
                });
            }
        }

        // PCNs in proportion to population, then their practices.
        let mut pcns = Vec::new();
        let mut practices: Vec<PracticeOrg> = Vec::new();
        let mut pcn_numbers = HashSet::new();
        let mut practice_codes = HashSet::new();
        let mut icb_pcns = vec![Vec::new(); ICBS.len()];
        let mut icb_practices = vec![Vec::new(); ICBS.len()];
        for (icb, count) in pcn_counts.into_iter().enumerate() {
            let info = &ICBS[icb];
            let region = &REGIONS[region_index(info.region)];
            for _ in 0..count {
                let number = loop {
                    let n: u32 = rng.random_range(10_000..100_000);
                    if pcn_numbers.insert(n) {
                        break n;
                    }
                };
                let pcn = pcns.len();
                // Each sub-ICB location its first PCN, then any.
                let subs = &icb_subs[icb];
                let sub_icb = match subs.get(icb_pcns[icb].len()) {
                    Some(first) => *first,
                    None => subs[index(&mut rng, subs.len())],
                };
                let (low, high) = scale.practices_per_pcn;
                let size = rng.random_range(low..=high.max(low));
                let mut members = Vec::with_capacity(size);
                for _ in 0..size {
                    let code = loop {
                        let letter = region.letters[index(&mut rng, region.letters.len())];
                        let n: u32 = rng.random_range(81_000..100_000);
                        let code = format!("{}{n:05}", char::from(letter));
                        if practice_codes.insert(code.clone()) {
                            break code;
                        }
                    };
                    let area = info.postcode_areas[index(&mut rng, info.postcode_areas.len())];
                    let district = rng.random_range(1..=if area.len() == 1 { 30 } else { 20 });
                    let n = practices.len();
                    members.push(n);
                    icb_practices[icb].push(n);
                    practices.push(PracticeOrg {
                        code,
                        name: format!("Synthetic Practice {:04} (demo)", n + 1),
                        icb,
                        pcn,
                        postcode_district: format!("{area}{district}"),
                    });
                }
                icb_pcns[icb].push(pcn);
                pcns.push(Pcn {
                    code: format!("U{number:05}"),
                    name: format!("Synthetic PCN {:04}, {} (demo)", pcn + 1, info.area),
                    icb,
                    sub_icb,
                    practices: members,
                });
            }
        }

        // Partners: in proportion to population, each covering its ICB and sometimes a
        // neighbour in the same region, registered before the year begins (they act
        // from its first day).
        let mut partners = Vec::new();
        let per_icb = apportion(
            scale.partners,
            &weights,
            usize::from(scale.partners >= ICBS.len()),
        );
        for (icb, count) in per_icb.into_iter().enumerate() {
            let info = &ICBS[icb];
            for n in 1..=count {
                let kind = index(&mut rng, PARTNER_KINDS.len());
                let (slug, title) = PARTNER_KINDS[kind];
                let mut covers = vec![icb];
                if rng.random_bool(0.2) {
                    let neighbours: Vec<usize> = (0..ICBS.len())
                        .filter(|i| *i != icb && ICBS[*i].region == info.region)
                        .collect();
                    if !neighbours.is_empty() {
                        covers.push(neighbours[index(&mut rng, neighbours.len())]);
                    }
                }
                let latest = (year.start - established).num_days().max(31) - 30;
                partners.push(PartnerOrg {
                    code: format!("P-{slug}-{}-{n}", info.code.to_lowercase()),
                    name: format!("Synthetic {title} {n}, {} (demo)", info.area),
                    kind,
                    icb,
                    covers,
                    registered_on: days(established, rng.random_range(0..latest)),
                });
            }
        }

        let moves = plan_moves(&mut rng, scale, &practices, &icb_pcns, year);
        Self {
            sub_icbs,
            pcns,
            practices,
            partners,
            moves,
            icb_practices,
            established,
            merger_on: date(MERGER.2),
        }
    }

    /// The code to use for ICB `icb` on `date`: a merged ICB's successor from the merger
    /// on (the predecessor is no longer active then).
    pub fn icb_code_on(&self, icb: usize, on: NaiveDate) -> &'static str {
        let code = ICBS[icb].code;
        if on >= self.merger_on && MERGER.0.contains(&code) {
            MERGER.1
        } else {
            code
        }
    }

    /// Whether ICB `icb` still stands on `date` (it has not merged into another).
    pub fn icb_active_on(&self, icb: usize, on: NaiveDate) -> bool {
        self.icb_code_on(icb, on) == ICBS[icb].code
    }

    pub fn region_of_icb(icb: usize) -> usize {
        region_index(ICBS[icb].region)
    }

    pub fn organisations(&self) -> usize {
        1 + REGIONS.len()
            + ICBS.len()
            + self.sub_icbs.len()
            + self.pcns.len()
            + self.practices.len()
            + self.partners.len()
            + PROVIDERS.len()
    }

    /// The sub-ICB location's name.
    pub fn sub_icb_name(&self, sub: usize) -> String {
        let sub = &self.sub_icbs[sub];
        format!(
            "Synthetic Sub-ICB Location {}, {} (demo)",
            sub.code, ICBS[sub.icb].area
        )
    }

    /// The tree on the first day of the year: the NHS files imported by the national
    /// team (the importer creates everything from NHS England down to the practices,
    /// with the dates each has stood since), then the partners and providers, which no
    /// NHS file lists. One script, since the tree is one stream.
    pub fn registrations(&self, seed: Seed, year: Year) -> Script {
        let files = self.extract(seed, year.start, year.start, false, true);
        let mut steps = vec![Step::new(year.start, Who::National, files)];
        let register = |code: &str, kind: OrganisationKind, name: &str, parent: &str, on: &str| {
            Step::new(
                year.start,
                Who::National,
                RegisterOrganisationRequest {
                    request_id: seed.request_id(format_args!("org-{code}")),
                    code: code.to_owned(),
                    kind: kind.into(),
                    name: name.to_owned(),
                    parent_code: parent.to_owned(),
                    effective_date: on.to_owned(),
                    ..Default::default()
                },
            )
        };
        for partner in &self.partners {
            // A partner registered after the merger sits under the successor from the start.
            let on = partner.registered_on;
            let mut step = register(
                &partner.code,
                OrganisationKind::Partner,
                &partner.name,
                self.icb_code_on(partner.icb, on),
                &iso(on),
            );
            if let super::command::Cmd::RegisterOrganisation(body) = &mut step.cmd {
                for icb in &partner.covers {
                    let code = self.icb_code_on(*icb, on).to_owned();
                    if !body.covers_codes.contains(&code) {
                        body.covers_codes.push(code);
                    }
                }
            }
            steps.push(step);
        }
        let established = iso(self.established);
        for (code, name) in PROVIDERS {
            let mut step = register(code, OrganisationKind::Provider, name, "X24", &established);
            if let super::command::Cmd::RegisterOrganisation(body) = &mut step.cmd {
                body.covers_codes = vec!["X24".to_owned()];
            }
            steps.push(step);
        }
        steps
    }

    /// The tree changing, as the NHS files tell it: the merger in the reconfiguration
    /// extract, published and imported when the merger is decided, weeks before it takes
    /// effect (partners schedule sessions under the successor before the day); each
    /// month's moves of practices between PCNs in that month's extract, imported on its
    /// date. Each extract shows the tree as known on the day it is imported.
    pub fn changes(&self, seed: Seed, year: Year) -> Script {
        let decided = (self.merger_on - chrono::Days::new(MERGER_NOTICE_DAYS)).max(year.start);
        let mut steps = vec![Step::new(
            year.day(decided),
            Who::National,
            self.extract(seed, self.merger_on, decided, true, false),
        )];
        let mut months: Vec<NaiveDate> = self.moves.iter().map(|m| m.on).collect();
        months.dedup();
        for month in months {
            let merged = month >= self.merger_on;
            steps.push(Step::new(
                year.day(month),
                Who::National,
                self.extract(seed, month, month, merged, false),
            ));
        }
        // Stable: of two extracts on one day, the merger's goes first.
        steps.sort_by_key(|s| s.on);
        steps
    }
}

/// Some practices (one in a hundred in England) move to another PCN of their ICB during
/// the past year, each on the first day of a month (the monthly extract tells it).
fn plan_moves(
    rng: &mut DemoRng,
    scale: &Scale,
    practices: &[PracticeOrg],
    icb_pcns: &[Vec<usize>],
    year: Year,
) -> Vec<Move> {
    let mut moves = Vec::new();
    for (n, practice) in practices.iter().enumerate() {
        if !rng.random_bool(scale.practice_moves) {
            continue;
        }
        let others: Vec<usize> = icb_pcns[practice.icb]
            .iter()
            .copied()
            .filter(|p| *p != practice.pcn)
            .collect();
        if others.is_empty() {
            continue;
        }
        moves.push(Move {
            practice: n,
            to_pcn: others[index(rng, others.len())],
            on: first_of_month(seed::monday(year.today, rng.random_range(2..50))).max(year.start),
        });
    }
    moves.sort_by_key(|m| m.on);
    moves
}
