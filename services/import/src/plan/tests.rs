//! Given the registry so far and the files, when an import is planned, then these
//! commands: created, renamed, moved, closed, merged, each on its date, and nothing
//! for what already agrees.

use domain::Aggregate;
use domain::registry::OrganisationEvent;
use proto::v1 as pb;

use super::*;
use crate::{epraccur, map};

const SAMPLE: &[u8] = include_bytes!("../../tests/data/epraccur-sample.csv");

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

fn extract() -> NaiveDate {
    day("2026-01-31")
}

fn sample() -> Epraccur {
    epraccur::parse(SAMPLE, false).expect("reads")
}

/// The registry after the plan's commands, each folded as the domain records it.
fn recorded(registry: &Registry, plan: &Plan) -> Registry {
    let mut after = registry.clone();
    for command in plan.phases.iter().flatten() {
        let event: OrganisationEvent = match command.clone() {
            IcbCommand::Register(r) => pb::OrganisationRegistered {
                code: r.code,
                kind: r.kind,
                name: r.name,
                parent_code: r.parent_code,
                effective_date: r.effective_date,
                covers_codes: r.covers_codes,
                postcode_district: r.postcode_district,
            }
            .into(),
            IcbCommand::Rename(r) => pb::OrganisationRenamed {
                code: r.code,
                name: r.name,
                effective_date: r.effective_date,
            }
            .into(),
            IcbCommand::Reparent(r) => pb::OrganisationReparented {
                code: r.code,
                parent_code: r.parent_code,
                effective_date: r.effective_date,
            }
            .into(),
            IcbCommand::Merge(r) => pb::OrganisationsMerged {
                predecessor_codes: r.predecessor_codes,
                successor_code: r.successor_code,
                effective_date: r.effective_date,
            }
            .into(),
            IcbCommand::Close(r) => pb::OrganisationClosed {
                code: r.code,
                effective_date: r.effective_date,
                reason: r.reason,
            }
            .into(),
            IcbCommand::RecordImport(_) => continue,
        };
        after.apply(&event);
    }
    after
}

fn registered(plan: &Plan, code: &str) -> pb::RegisterOrganisationRequest {
    plan.phases
        .iter()
        .flatten()
        .find_map(|c| match c {
            IcbCommand::Register(r) if r.code == code => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{code} is not registered"))
}

fn described(plan: &Plan) -> Vec<String> {
    plan.phases
        .iter()
        .flatten()
        .map(IcbCommand::describe)
        .collect()
}

#[test]
fn on_an_empty_registry_the_sample_creates_its_tree_from_the_top() {
    let plan = plan(&Registry::default(), Some(&sample()), None, extract());
    let created: Vec<String> = plan
        .counts
        .created
        .iter()
        .map(|(kind, n)| how_many(*n, *kind))
        .collect();
    assert_eq!(
        created,
        [
            "1 national body",
            "1 region",
            "1 ICB",
            "2 sub-ICB locations",
            "25 practices"
        ]
    );
    assert_eq!(
        (plan.counts.closed, plan.counts.dormant_or_proposed),
        (7, 4)
    );
    assert_eq!(plan.counts.changed_total(), 0);
    // Parents first: the national body alone in the first phase, practices last.
    assert_eq!(described(&plan)[0], "RegisterOrganisation X24");
    let ilford = registered(&plan, "F86082");
    assert_eq!(
        (ilford.parent_code.as_str(), ilford.effective_date.as_str()),
        ("08N", "1986-09-20")
    );
    assert_eq!(ilford.name, "ILFORD LANE SURGERY");
    assert_eq!(ilford.postcode_district, "IG1");
    // An area takes its place by the earliest practice under it, so the tree is whole
    // on every date a practice was open.
    assert_eq!(registered(&plan, "Q71").effective_date, "1974-04-01");
    assert_eq!(registered(&plan, "08N").parent_code, "Q71");
    assert_eq!(
        registered(&plan, "Q71").name,
        "Q71",
        "epraccur names no areas"
    );
}

#[test]
fn the_same_file_again_plans_nothing() {
    let first = plan(&Registry::default(), Some(&sample()), None, extract());
    let registry = recorded(&Registry::default(), &first);
    let again = plan(&registry, Some(&sample()), None, extract());
    assert!(again.phases.is_empty(), "{:?}", described(&again));
    assert!(again.notes.is_empty(), "{:?}", again.notes);
}

/// The sample with a practice renamed, one closed and one moved to the other sub-ICB.
fn later_extract() -> Epraccur {
    let mut file = sample();
    for p in &mut file.practices {
        match p.code.as_str() {
            "F86082" => p.name = "ILFORD LANE MEDICAL CENTRE".into(),
            "F86083" => {
                p.status = Status::Closed;
                p.closed = Some(day("2026-01-15"));
            }
            "F86085" => p.sub_icb = "08W".into(),
            _ => {}
        }
    }
    file
}

#[test]
fn a_later_extract_records_only_what_changed_on_its_dates() {
    let first = plan(&Registry::default(), Some(&sample()), None, extract());
    let registry = recorded(&Registry::default(), &first);
    let later = plan(&registry, Some(&later_extract()), None, day("2026-02-28"));
    assert_eq!(
        described(&later),
        [
            "ReparentOrganisation F86085",
            "RenameOrganisation F86082",
            "CloseOrganisation F86083",
        ]
    );
    assert_eq!(
        (
            later.counts.moved,
            later.counts.renamed,
            later.counts.closed_now
        ),
        (1, 1, 1)
    );
    let after = recorded(&registry, &later);
    assert_eq!(
        after.get("F86083").and_then(|p| p.closed_on),
        Some(day("2026-01-15"))
    );
    assert_eq!(
        after
            .get("F86085")
            .and_then(|p| p.parent_on(day("2026-02-28"))),
        Some("08W")
    );
    assert_eq!(
        after
            .get("F86085")
            .and_then(|p| p.parent_on(day("2026-02-27"))),
        Some("08N")
    );
    assert!(
        plan(&after, Some(&later_extract()), None, day("2026-02-28"))
            .phases
            .is_empty()
    );
}

#[test]
fn an_icb_whose_practices_all_go_to_one_new_icb_is_merged_into_it() {
    let first = plan(&Registry::default(), Some(&sample()), None, extract());
    let registry = recorded(&Registry::default(), &first);
    let mut file = sample();
    for p in &mut file.practices {
        if p.icb == "Q71" {
            p.icb = "QMF".into();
        }
    }
    let later = plan(&registry, Some(&file), None, day("2026-04-01"));
    assert_eq!(
        described(&later),
        [
            "RegisterOrganisation QMF",
            "MergeOrganisations into QMF",
            "ReparentOrganisation 08N",
            "ReparentOrganisation 08W",
        ]
    );
    let merge = later.phases.iter().flatten().find_map(|c| match c {
        IcbCommand::Merge(m) => Some(m.clone()),
        _ => None,
    });
    assert_eq!(
        merge.map(|m| (m.predecessor_codes, m.effective_date)),
        Some((vec!["Q71".to_owned()], "2026-04-01".to_owned()))
    );
    assert_eq!(registered(&later, "QMF").effective_date, "2026-04-01");
}

fn map_file() -> map::Map {
    let text = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ICB_CODE,ICB_NAME,COMM_REGION_CODE,COMM_REGION_NAME\n\
        GP_PRAC_PAT_LIST,31JAN2026,F86082,ILFORD LANE SURGERY,IG1 2SN,U12345,ILFORD PCN,08N,REDBRIDGE,Q71,NORTH EAST LONDON,Y56,LONDON\n";
    map::parse(text.as_bytes()).expect("reads")
}

#[test]
fn the_map_adds_pcns_and_names_and_epraccur_alone_leaves_them_be() {
    let first = plan(&Registry::default(), Some(&sample()), None, extract());
    let registry = recorded(&Registry::default(), &first);
    let with_map = plan(&registry, Some(&sample()), Some(&map_file()), extract());
    assert_eq!(
        described(&with_map),
        [
            "RegisterOrganisation U12345",
            "ReparentOrganisation F86082",
            "RenameOrganisation 08N",
            "RenameOrganisation Q71",
            "RenameOrganisation Y56",
        ]
    );
    assert_eq!(registered(&with_map, "U12345").parent_code, "08N");
    let registry = recorded(&registry, &with_map);
    // Without the map the PCN is unknown, not gone: the practice stays in it.
    let without = plan(&registry, Some(&sample()), None, extract());
    assert!(without.phases.is_empty(), "{:?}", described(&without));
}

#[test]
fn a_closed_practice_known_to_difacto_is_closed_once() {
    let first = plan(&Registry::default(), Some(&sample()), None, extract());
    let registry = recorded(&Registry::default(), &first);
    let mut file = sample();
    file.practices.retain(|p| p.code == "F86086");
    file.practices[0].status = Status::Closed;
    file.practices[0].closed = None;
    let closing = plan(&registry, Some(&file), None, day("2026-03-31"));
    assert_eq!(described(&closing), ["CloseOrganisation F86086"]);
    let after = recorded(&registry, &closing);
    assert_eq!(
        after.get("F86086").and_then(|p| p.closed_on),
        Some(day("2026-03-31"))
    );
    let again = plan(&after, Some(&file), None, day("2026-03-31"));
    assert!(again.phases.is_empty());
    assert_eq!(again.counts.closed, 1);
}
