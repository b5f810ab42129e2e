//! What an ODS import must record: the files' tree compared with the registry as the
//! log holds it. Pure, so the rules (what counts as new, moved, renamed, closed, merged,
//! and on which date) are tested without a log.
//!
//! Dates: a new practice takes its place from its open date; a new area from the
//! earliest date of what the import puts under it (no later than its parent's place, so
//! the tree is whole on every date); a move or a rename from the extract date (the files
//! do not date them); a closure from the practice's close date.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use domain::registry::{NATIONAL_CODE, Registry};
use proto::v1 as pb;
use proto::v1::OrganisationKind as Kind;

use super::command::IcbCommand;
use super::epraccur::{Epraccur, Status};
use super::map::{Area, Map};

/// The national body's name in the registry.
const NATIONAL_NAME: &str = "NHS England";

/// Kinds from the top of the tree down: the order new organisations are registered in.
const LEVELS: [Kind; 6] = [
    Kind::NationalBody,
    Kind::Region,
    Kind::Icb,
    Kind::SubIcb,
    Kind::Pcn,
    Kind::Practice,
];

/// What the import found and will record.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Closed in the file and not open in difacto: nothing to record.
    pub closed: u32,
    pub dormant_or_proposed: u32,
    /// New organisations, by kind, from the top of the tree down.
    pub created: Vec<(Kind, u32)>,
    pub renamed: u32,
    pub moved: u32,
    pub closed_now: u32,
    pub merged: u32,
}

impl Counts {
    pub fn created_total(&self) -> u32 {
        self.created.iter().map(|(_, n)| n).sum()
    }

    pub fn changed_total(&self) -> u32 {
        self.renamed + self.moved + self.closed_now + self.merged
    }
}

/// The commands to send, phase by phase: a phase starts once the one before is recorded
/// (parents before children); the commands of one phase may be sent together.
#[derive(Debug, Default)]
pub struct Plan {
    pub phases: Vec<Vec<IcbCommand>>,
    pub counts: Counts,
    /// Where the files and difacto disagree in a way the import does not change (an
    /// organisation closed in difacto but open in the file, a code of another kind).
    pub notes: Vec<String>,
}

/// An organisation as the files want it.
#[derive(Debug, Clone)]
struct Want {
    kind: Kind,
    /// None when the files give only a code (epraccur names no areas).
    name: Option<String>,
    /// None: the files do not say (a practice with no map row may be in a PCN).
    parent: Option<String>,
    /// The practice's open date (practices only).
    opened: Option<NaiveDate>,
    postcode_district: String,
}

/// One practice from the files, whichever gave it.
struct Row<'a> {
    code: &'a str,
    name: &'a str,
    status: Status,
    opened: Option<NaiveDate>,
    closed: Option<NaiveDate>,
    postcode_district: &'a str,
    region: Area,
    icb: Area,
    sub_icb: Area,
    pcn: Option<Area>,
    /// Whether the map placed it (only then is "in no PCN" known).
    placed: bool,
}

fn unnamed(code: &str) -> Area {
    Area {
        code: code.to_owned(),
        name: String::new(),
    }
}

fn rows<'a>(epraccur: Option<&'a Epraccur>, map: Option<&'a Map>) -> Vec<Row<'a>> {
    if let Some(file) = epraccur {
        return file
            .practices
            .iter()
            .map(|p| {
                let placed = map.and_then(|m| m.practices.get(&p.code));
                Row {
                    code: &p.code,
                    name: &p.name,
                    status: p.status,
                    opened: Some(p.opened),
                    closed: p.closed,
                    postcode_district: &p.postcode_district,
                    region: placed.map_or_else(|| unnamed(&p.region), |m| m.region.clone()),
                    icb: placed.map_or_else(|| unnamed(&p.icb), |m| m.icb.clone()),
                    sub_icb: placed.map_or_else(|| unnamed(&p.sub_icb), |m| m.sub_icb.clone()),
                    pcn: placed.and_then(|m| m.pcn.clone()),
                    placed: placed.is_some(),
                }
            })
            .collect();
    }
    let mut rows: Vec<Row<'a>> = map
        .into_iter()
        .flat_map(|m| m.practices.iter())
        .map(|(code, m)| Row {
            code,
            name: &m.name,
            status: Status::Active,
            opened: None,
            closed: None,
            postcode_district: &m.postcode_district,
            region: m.region.clone(),
            icb: m.icb.clone(),
            sub_icb: m.sub_icb.clone(),
            pcn: m.pcn.clone(),
            placed: true,
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(b.code));
    rows
}

/// Adds `area` under `parent`, the first placement winning; a name fills a gap.
fn want_area(wants: &mut BTreeMap<String, Want>, area: &Area, kind: Kind, parent: &str) {
    let name = (!area.name.is_empty()).then(|| area.name.clone());
    let want = wants.entry(area.code.clone()).or_insert_with(|| Want {
        kind,
        name: None,
        parent: Some(parent.to_owned()),
        opened: None,
        postcode_district: String::new(),
    });
    if want.name.is_none() {
        want.name = name;
    }
}

pub fn plan(
    registry: &Registry,
    epraccur: Option<&Epraccur>,
    map: Option<&Map>,
    extract: NaiveDate,
) -> Plan {
    let mut out = Plan::default();
    let rows = rows(epraccur, map);
    let mut wants: BTreeMap<String, Want> = BTreeMap::new();
    wants.insert(
        NATIONAL_CODE.to_owned(),
        Want {
            kind: Kind::NationalBody,
            name: Some(NATIONAL_NAME.to_owned()),
            parent: None,
            opened: None,
            postcode_district: String::new(),
        },
    );
    let mut closes = Vec::new();
    for row in &rows {
        match row.status {
            Status::Active => {}
            Status::Dormant | Status::Proposed => {
                out.counts.dormant_or_proposed += 1;
                continue;
            }
            Status::Closed => {
                match registry.get(row.code) {
                    Some(org) if org.kind == Kind::Practice && org.closed_on.is_none() => {
                        let on = row.closed.unwrap_or(extract).max(org.registered_on);
                        out.counts.closed_now += 1;
                        closes.push(IcbCommand::Close(pb::CloseOrganisationRequest {
                            code: row.code.to_owned(),
                            effective_date: iso(on),
                            reason: "closed in NHS ODS (epraccur)".into(),
                            ..Default::default()
                        }));
                    }
                    _ => out.counts.closed += 1,
                }
                continue;
            }
        }
        want_area(&mut wants, &row.region, Kind::Region, NATIONAL_CODE);
        want_area(&mut wants, &row.icb, Kind::Icb, &row.region.code);
        want_area(&mut wants, &row.sub_icb, Kind::SubIcb, &row.icb.code);
        if let Some(pcn) = &row.pcn {
            want_area(&mut wants, pcn, Kind::Pcn, &row.sub_icb.code);
        }
        let parent = match (&row.pcn, row.placed) {
            (Some(pcn), _) => Some(pcn.code.clone()),
            (None, true) => Some(row.sub_icb.code.clone()),
            // Without the map a practice's PCN is unknown, not absent: one still in a
            // PCN of the sub-ICB location the file names stays there.
            (None, false) => match current_parent(registry, row.code, extract) {
                Some((parent, Kind::Pcn))
                    if current_parent(registry, &parent, extract).map(|(p, _)| p)
                        == Some(row.sub_icb.code.clone()) =>
                {
                    None
                }
                _ => Some(row.sub_icb.code.clone()),
            },
        };
        wants.entry(row.code.to_owned()).or_insert_with(|| Want {
            kind: Kind::Practice,
            name: Some(row.name.to_owned()),
            parent,
            opened: row.opened,
            postcode_district: row.postcode_district.to_owned(),
        });
    }

    let dates = new_dates(registry, &wants, extract);
    for level in LEVELS {
        let phase: Vec<IcbCommand> = wants
            .iter()
            .filter(|(code, want)| want.kind == level && registry.get(code).is_none())
            .map(|(code, want)| {
                IcbCommand::Register(pb::RegisterOrganisationRequest {
                    code: code.clone(),
                    kind: level.into(),
                    name: want.name.clone().unwrap_or_else(|| code.clone()),
                    parent_code: want.parent.clone().unwrap_or_default(),
                    effective_date: iso(dates.get(code).copied().unwrap_or(extract)),
                    postcode_district: want.postcode_district.clone(),
                    ..Default::default()
                })
            })
            .collect();
        if !phase.is_empty() {
            out.counts.created.push((level, phase.len() as u32));
        }
        out.phases.push(phase);
        if level == Kind::Icb {
            let merges = merges(registry, &wants, extract);
            out.counts.merged += merges.len() as u32;
            out.phases.push(merges);
        }
    }

    let mut moves = Vec::new();
    let mut renames = Vec::new();
    for (code, want) in &wants {
        let Some(org) = registry.get(code) else {
            continue;
        };
        if org.kind != want.kind {
            out.notes.push(format!(
                "{code} is a {} in difacto but a {} in the file; left as it is",
                kind_word(org.kind),
                kind_word(want.kind)
            ));
            continue;
        }
        if !org.is_active_on(extract) {
            out.notes.push(format!(
                "{code} is closed or merged in difacto but open in the file; left as it is"
            ));
            continue;
        }
        if let Some(name) = &want.name
            && *name != org.name
        {
            out.counts.renamed += 1;
            renames.push(IcbCommand::Rename(pb::RenameOrganisationRequest {
                code: code.clone(),
                name: name.clone(),
                effective_date: iso(extract),
                ..Default::default()
            }));
        }
        if let Some(parent) = &want.parent
            && org.parent_on(extract) != Some(parent.as_str())
        {
            out.counts.moved += 1;
            moves.push(IcbCommand::Reparent(pb::ReparentOrganisationRequest {
                code: code.clone(),
                parent_code: parent.clone(),
                effective_date: iso(extract),
                ..Default::default()
            }));
        }
    }
    out.phases.push(moves);
    out.phases.push(renames);
    out.phases.push(closes);
    out.phases.retain(|phase| !phase.is_empty());
    out
}

/// The parent of `code` in the registry on `date`, with its kind.
fn current_parent(registry: &Registry, code: &str, date: NaiveDate) -> Option<(String, Kind)> {
    let parent = registry.get(code)?.parent_on(date)?;
    Some((parent.to_owned(), registry.get(parent)?.kind))
}

/// The date each new organisation takes its place: the earliest date of what goes under
/// it, then no earlier than its parent's.
fn new_dates(
    registry: &Registry,
    wants: &BTreeMap<String, Want>,
    extract: NaiveDate,
) -> HashMap<String, NaiveDate> {
    let mut dates: HashMap<String, NaiveDate> = HashMap::new();
    for (code, want) in wants.iter().filter(|(_, w)| w.kind == Kind::Practice) {
        // A practice already known moves (if it moves) on the extract date.
        let on = if registry.get(code).is_some() {
            extract
        } else {
            want.opened.unwrap_or(extract)
        };
        let mut current = Some(code.clone());
        for _ in 0..LEVELS.len() {
            let Some(here) = current else { break };
            if registry.get(&here).is_none() {
                let date = dates.entry(here.clone()).or_insert(on);
                *date = (*date).min(on);
            }
            current = wants
                .get(&here)
                .and_then(|w| w.parent.clone())
                .or_else(|| current_parent(registry, &here, extract).map(|(p, _)| p));
        }
    }
    for level in LEVELS {
        for (code, want) in wants.iter().filter(|(_, w)| w.kind == level) {
            let Some(parent) = &want.parent else { continue };
            let floor = dates
                .get(parent)
                .copied()
                .or_else(|| registry.get(parent).map(|p| p.registered_on));
            if let (Some(floor), Some(date)) = (floor, dates.get_mut(code)) {
                *date = (*date).max(floor);
            }
        }
    }
    dates
}

/// ICBs gone from the files whose practices all went to one other ICB: a merger, dated
/// by the extract.
fn merges(
    registry: &Registry,
    wants: &BTreeMap<String, Want>,
    extract: NaiveDate,
) -> Vec<IcbCommand> {
    // The ICB above `code` in the registry (`known`) or in the files (where the files do
    // not say, as for a practice's PCN without the map, the registry's answer stands).
    let icb_of = |code: &str, known: bool| -> Option<String> {
        let mut current = code.to_owned();
        for _ in 0..LEVELS.len() {
            let wanted = (!known).then(|| wants.get(&current)).flatten();
            let parent = wanted
                .and_then(|w| w.parent.clone())
                .or_else(|| current_parent(registry, &current, extract).map(|(p, _)| p))?;
            let kind = match (!known).then(|| wants.get(&parent)).flatten() {
                Some(want) => want.kind,
                None => registry.get(&parent)?.kind,
            };
            if kind == Kind::Icb {
                return Some(parent);
            }
            current = parent;
        }
        None
    };
    let mut destinations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (code, want) in wants {
        if want.kind != Kind::Practice || registry.get(code).is_none() {
            continue;
        }
        let (Some(old), Some(new)) = (icb_of(code, true), icb_of(code, false)) else {
            continue;
        };
        let gone = !wants.contains_key(&old)
            && registry.get(&old).is_some_and(|o| o.is_active_on(extract));
        if gone && old != new {
            let to = destinations.entry(old).or_default();
            if !to.contains(&new) {
                to.push(new);
            }
        }
    }
    let mut successors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (old, to) in destinations {
        if let [new] = to.as_slice() {
            successors.entry(new.clone()).or_default().push(old);
        }
    }
    successors
        .into_iter()
        .map(|(successor, predecessors)| {
            IcbCommand::Merge(pb::MergeOrganisationsRequest {
                predecessor_codes: predecessors,
                successor_code: successor,
                effective_date: iso(extract),
                ..Default::default()
            })
        })
        .collect()
}

/// `n` organisations of `kind`, in the users' words.
pub fn how_many(n: u32, kind: Kind) -> String {
    let word = kind_word(kind);
    match (n, kind) {
        (1, _) => format!("1 {word}"),
        (_, Kind::NationalBody) => format!("{n} national bodies"),
        _ => format!("{n} {word}s"),
    }
}

/// The kind in the users' words, for counts and notes.
pub fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::NationalBody => "national body",
        Kind::Region => "region",
        Kind::Icb => "ICB",
        Kind::SubIcb => "sub-ICB location",
        Kind::Pcn => "PCN",
        Kind::Practice => "practice",
        Kind::Partner => "partner",
        Kind::Provider => "provider",
        Kind::Unspecified => "organisation",
    }
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests;
