//! Tests of the organisation tree: registration, renames, moves, mergers, closures and dates.

//! Given the tree so far, when a commissioner changes it, then these events (or this
//! rejection, naming this field); and the tree as it stood on any date.

use auth::Role;
use proto::v1::{
    CloseOrganisationRequest, MergeOrganisationsRequest, RegisterOrganisationRequest,
    RenameOrganisationRequest, ReparentOrganisationRequest,
};

use super::*;
use crate::testing::{
    TODAY, caller_over, closed, day, each_refused, exists, forbidden, forbidden_to, invalid,
    not_found, precondition, refused, refuses_identifying, then, tree, tree_after, when,
};

/// A caller acting for `org` with `role` over the tree `registry`.
fn as_(registry: &Registry, org: &str, role: Role) -> Context {
    caller_over(registry, org, &[role])
}

fn commissioner(registry: &Registry) -> Context {
    as_(registry, "QE1", Role::IcbCommissioner)
}

/// Who sends a command: an organisation and a role.
type Caller = (&'static str, Role);
const COMMISSIONER: Caller = ("QE1", Role::IcbCommissioner);
const REGIONAL_LEAD: Caller = ("Y56", Role::RegionalLead);
const NATIONAL_LEAD: Caller = ("X24", Role::NationalLead);
const SERVICE: Caller = ("svc", Role::Service);

/// Over `registry`, each request sent by `caller` is refused as its row expects.
fn refusals<R, C>(
    registry: &Registry,
    decide: fn(&Registry, C, &Context) -> Result<Vec<OrganisationEvent>>,
    (org, role): Caller,
    rows: Vec<(R, (&'static str, String))>,
) where
    R: Clone + std::fmt::Debug,
    C: TryFrom<R, Error = DomainError>,
{
    each_refused(
        &as_(registry, org, role),
        |c, ctx| decide(registry, c, ctx),
        rows,
    );
}

/// QF7 merged into QE1 on 1 April 2026.
fn merged_into_qe1() -> OrganisationEvent {
    OrganisationsMerged {
        predecessor_codes: vec!["QF7".into()],
        successor_code: "QE1".into(),
        effective_date: "2026-04-01".into(),
    }
    .into()
}

fn within(registry: &Registry, code: &str, area: &str, on: &str) -> bool {
    registry.is_within(code, area, day(on))
}

// ---- RegisterOrganisation: the shape checks ----

/// A new practice under PCN U00002, in LS6.
fn practice_request() -> RegisterOrganisationRequest {
    RegisterOrganisationRequest {
        code: "A81003".into(),
        kind: OrganisationKind::Practice.into(),
        name: "Hyde Park Surgery".into(),
        parent_code: "U00002".into(),
        effective_date: "2026-05-01".into(),
        postcode_district: "LS6".into(),
        ..Default::default()
    }
}

fn shaped(request: RegisterOrganisationRequest) -> Result<RegisterOrganisation> {
    RegisterOrganisation::try_from(request)
}

#[test]
fn a_register_request_is_trimmed_and_dated_today_by_default() {
    let cmd = shaped(RegisterOrganisationRequest {
        code: " A81003 ".into(),
        name: "  Hyde Park Surgery ".into(),
        parent_code: " U00002".into(),
        effective_date: String::new(),
        postcode_district: " ls6 ".into(),
        ..practice_request()
    })
    .expect("a valid request");
    assert_eq!(cmd.code, "A81003");
    assert_eq!(cmd.kind, OrganisationKind::Practice);
    assert_eq!(cmd.name, "Hyde Park Surgery");
    assert_eq!(cmd.parent_code, "U00002");
    // Left empty, the date is the context's today when the command is decided.
    assert_eq!(cmd.effective_date, None);
    assert_eq!(cmd.postcode_district, "LS6");
    assert!(cmd.covers_codes.is_empty());
    let registry = tree();
    let events = registry
        .register(cmd, &commissioner(&registry))
        .expect("registered");
    let [OrganisationEvent::OrganisationRegistered(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.effective_date, TODAY);
    assert_eq!(day(&e.effective_date), day(TODAY));
}

#[test]
fn the_national_body_is_registered_without_a_parent() {
    let cmd = shaped(RegisterOrganisationRequest {
        code: "X24".into(),
        kind: OrganisationKind::NationalBody.into(),
        name: "NHS England".into(),
        parent_code: String::new(),
        postcode_district: String::new(),
        ..practice_request()
    })
    .expect("a valid request");
    assert_eq!(cmd.parent_code, "");
}

#[test]
fn a_register_request_needs_a_known_kind() {
    for kind in [0, 99] {
        let request = RegisterOrganisationRequest {
            kind,
            ..practice_request()
        };
        assert_eq!(refused(shaped(request)), invalid("kind"), "kind {kind}");
    }
}

#[test]
fn a_register_request_needs_a_code_shaped_like_its_kind() {
    for (code, kind) in [
        ("A8100", OrganisationKind::Practice),
        ("a81001", OrganisationKind::Practice),
        ("U1234", OrganisationKind::Pcn),
        ("E1", OrganisationKind::Icb),
        ("Y64", OrganisationKind::Region),
        ("leeds-libraries", OrganisationKind::Partner),
        ("QE1", OrganisationKind::Practice),
    ] {
        let request = RegisterOrganisationRequest {
            code: code.into(),
            kind: kind.into(),
            ..practice_request()
        };
        assert_eq!(refused(shaped(request)), invalid("code"), "{code}");
    }
}

#[test]
fn a_register_request_needs_a_parent_except_for_the_national_body() {
    let orphan = RegisterOrganisationRequest {
        parent_code: "  ".into(),
        ..practice_request()
    };
    assert_eq!(refused(shaped(orphan)), invalid("parent_code"));
    let badly_named = RegisterOrganisationRequest {
        parent_code: "U0000 2".into(),
        ..practice_request()
    };
    assert_eq!(refused(shaped(badly_named)), invalid("parent_code"));
    let national_with_parent = RegisterOrganisationRequest {
        code: "X24".into(),
        kind: OrganisationKind::NationalBody.into(),
        parent_code: "Y56".into(),
        ..practice_request()
    };
    assert_eq!(
        refused(shaped(national_with_parent)),
        invalid("parent_code")
    );
}

#[test]
fn a_register_request_holds_only_the_outward_postcode() {
    for district in ["LS6 2AB", "LS62AB", "LS-6"] {
        let request = RegisterOrganisationRequest {
            postcode_district: district.into(),
            ..practice_request()
        };
        assert_eq!(
            refused(shaped(request)),
            invalid("postcode_district"),
            "{district}"
        );
    }
}

#[test]
fn a_register_request_needs_a_name_free_of_patient_identifiers() {
    for name in ["", "   ", &"x".repeat(201)] {
        let request = RegisterOrganisationRequest {
            name: name.into(),
            ..practice_request()
        };
        assert_eq!(refused(shaped(request)), invalid("name"), "{name:?}");
    }
    refuses_identifying("name", |text| {
        shaped(RegisterOrganisationRequest {
            name: text.into(),
            ..practice_request()
        })
    });
}

#[test]
fn a_register_request_needs_a_date_like_2026_04_01() {
    for date in ["01/04/2026", "2026-13-01", "tomorrow"] {
        let request = RegisterOrganisationRequest {
            effective_date: date.into(),
            ..practice_request()
        };
        assert_eq!(
            refused(shaped(request)),
            invalid("effective_date"),
            "{date}"
        );
    }
}

#[test]
fn a_register_request_names_the_covered_code_at_fault() {
    let request = RegisterOrganisationRequest {
        code: "P-york-digital".into(),
        kind: OrganisationKind::Partner.into(),
        parent_code: "QE1".into(),
        covers_codes: vec!["QE1".into(), "not a code".into()],
        postcode_district: String::new(),
        ..practice_request()
    };
    assert_eq!(refused(shaped(request)), invalid("covers_codes[1]"));
}

// ---- RegisterOrganisation ----

#[test]
fn a_commissioner_registers_a_practice_in_their_area() {
    let registry = tree();
    let cmd = shaped(practice_request()).expect("valid");
    let events = registry
        .register(cmd, &commissioner(&registry))
        .expect("registered");
    assert_eq!(
        events,
        [OrganisationRegistered {
            code: "A81003".into(),
            kind: OrganisationKind::Practice.into(),
            name: "Hyde Park Surgery".into(),
            parent_code: "U00002".into(),
            effective_date: "2026-05-01".into(),
            covers_codes: vec![],
            postcode_district: "LS6".into(),
        }
        .into()]
    );
    let after = then(&registry, &events);
    let practice = after.get("A81003").expect("registered");
    assert_eq!(practice.parent_on(day("2026-05-01")), Some("U00002"));
    assert!(practice.is_active_on(day("2026-05-01")));
    assert!(!practice.is_active_on(day("2026-04-30")));
    assert!(within(&after, "A81003", "QE1", TODAY));
    assert_eq!(after.len(), registry.len() + 1);
}

#[test]
fn the_national_body_is_registered_first_into_an_empty_tree() {
    let empty = Registry::default();
    let cmd = shaped(RegisterOrganisationRequest {
        code: "X24".into(),
        kind: OrganisationKind::NationalBody.into(),
        name: "NHS England".into(),
        parent_code: String::new(),
        postcode_district: String::new(),
        ..practice_request()
    })
    .expect("valid");
    let events = empty
        .register(cmd, &as_(&empty, "X24", Role::NationalLead))
        .expect("registered");
    let after = then(&empty, &events);
    let national = after.get("X24").expect("registered");
    assert_eq!(national.kind, OrganisationKind::NationalBody);
    assert!(national.parents.is_empty());
}

#[test]
fn a_partner_is_registered_with_the_areas_it_covers() {
    let registry = tree();
    let cmd = shaped(RegisterOrganisationRequest {
        code: "P-york-digital".into(),
        kind: OrganisationKind::Partner.into(),
        name: "York Digital Inclusion".into(),
        parent_code: "QWO".into(),
        covers_codes: vec!["QWO".into(), "U00004".into()],
        postcode_district: String::new(),
        ..practice_request()
    })
    .expect("valid");
    let events = registry
        .register(cmd, &as_(&registry, "Y63", Role::RegionalLead))
        .expect("registered");
    let after = then(&registry, &events);
    assert_eq!(
        after.get("P-york-digital").expect("registered").covers,
        ["QWO", "U00004"]
    );
}

#[test]
fn a_registration_is_refused_where_the_tree_does_not_allow_it() {
    let registry = tree();
    let under = |parent: &str| RegisterOrganisationRequest {
        parent_code: parent.into(),
        ..practice_request()
    };
    let covering = |covers: &[&str]| RegisterOrganisationRequest {
        code: "P-leeds-digital".into(),
        kind: OrganisationKind::Partner.into(),
        parent_code: "QE1".into(),
        covers_codes: covers.iter().map(|c| (*c).to_owned()).collect(),
        postcode_district: String::new(),
        ..practice_request()
    };
    let twice = RegisterOrganisationRequest {
        code: "A81001".into(),
        ..under("U00001")
    };
    // U00002 was registered on 2020-01-01: a practice cannot join it before.
    let too_early = RegisterOrganisationRequest {
        effective_date: "2019-06-01".into(),
        ..practice_request()
    };
    refusals(
        &registry,
        Registry::register,
        COMMISSIONER,
        vec![
            (twice, exists("code")),
            // QE1's commissioner may not add a practice to QWO's PCN.
            (under("U00004"), forbidden()),
            (too_early, precondition("parent_code")),
            // Covered areas must exist and be active.
            (covering(&["QE1", "U99999"]), not_found("covers_codes[1]")),
            (covering(&["A81009"]), precondition("covers_codes[0]")),
        ],
    );
    // Nor may a practice, a PCN lead or an auditor register anything.
    forbidden_to(
        &[
            ("B82001", Role::PracticeManager),
            ("U00002", Role::PcnLead),
            ("X24", Role::Auditor),
        ],
        |ctx| when(practice_request(), |c| registry.register(c, ctx)),
    );
    let unknown_parent = vec![(under("U99999"), not_found("parent_code"))];
    refusals(&registry, Registry::register, SERVICE, unknown_parent);
    // The parent must be a kind that can hold the child.
    refusals(
        &registry,
        Registry::register,
        NATIONAL_LEAD,
        ["Y56", "A81001", "P-leeds-libraries"]
            .map(|parent| (under(parent), invalid("parent_code")))
            .into(),
    );
    // QF7 merged into QE1 on 2026-04-01: nothing new goes under it from then.
    let under_predecessor = RegisterOrganisationRequest {
        code: "02B".into(),
        kind: OrganisationKind::SubIcb.into(),
        parent_code: "QF7".into(),
        postcode_district: String::new(),
        ..practice_request()
    };
    refusals(
        &tree_after(&[merged_into_qe1()]),
        Registry::register,
        SERVICE,
        vec![(under_predecessor, precondition("parent_code"))],
    );
}

// ---- RenameOrganisation ----

fn rename_request(code: &str, name: &str) -> RenameOrganisationRequest {
    RenameOrganisationRequest {
        code: code.into(),
        name: name.into(),
        ..Default::default()
    }
}

#[test]
fn a_commissioner_renames_a_practice_from_today() {
    let registry = tree();
    let events = when(
        rename_request("A81001", " Woodhouse Medical Practice "),
        |c| registry.rename(c, &commissioner(&registry)),
    )
    .expect("renamed");
    assert_eq!(
        events,
        [OrganisationRenamed {
            code: "A81001".into(),
            name: "Woodhouse Medical Practice".into(),
            effective_date: TODAY.into(),
        }
        .into()]
    );
    let after = then(&registry, &events);
    assert_eq!(
        after.get("A81001").expect("exists").name,
        "Woodhouse Medical Practice"
    );
}

#[test]
fn renaming_to_the_same_name_records_nothing() {
    let registry = tree();
    let events = when(rename_request("A81001", "A81001 name"), |c| {
        registry.rename(c, &commissioner(&registry))
    })
    .expect("accepted");
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn a_rename_is_refused_naming_the_field_at_fault() {
    let registry = tree();
    let renamed = |code: &str| rename_request(code, "New name");
    let misdated = RenameOrganisationRequest {
        effective_date: "13/05/2026".into(),
        ..renamed("A81001")
    };
    refusals(
        &registry,
        Registry::rename,
        COMMISSIONER,
        vec![
            (renamed(""), invalid("code")),
            (renamed("A81 001"), invalid("code")),
            (rename_request("A81001", "  "), invalid("name")),
            (
                rename_request("A81001", "ask jo@example.nhs.uk"),
                invalid("name"),
            ),
            (misdated, invalid("effective_date")),
            // Outside the caller's area.
            (renamed("D84001"), forbidden()),
            // Closed.
            (renamed("A81009"), precondition("code")),
        ],
    );
    let practice = ("A81001", Role::PracticeManager);
    refusals(
        &registry,
        Registry::rename,
        practice,
        vec![(renamed("A81001"), forbidden())],
    );
    let unknown = vec![(renamed("A89999"), not_found("code"))];
    refusals(&registry, Registry::rename, SERVICE, unknown);
}

// ---- ReparentOrganisation ----

fn move_request(code: &str, parent: &str, on: &str) -> ReparentOrganisationRequest {
    ReparentOrganisationRequest {
        code: code.into(),
        parent_code: parent.into(),
        effective_date: on.into(),
        ..Default::default()
    }
}

#[test]
fn a_commissioner_moves_a_practice_to_another_pcn() {
    let registry = tree();
    let events = when(move_request("A81001", "U00002", "2026-06-01"), |c| {
        registry.reparent(c, &commissioner(&registry))
    })
    .expect("moved");
    assert_eq!(
        events,
        [OrganisationReparented {
            code: "A81001".into(),
            parent_code: "U00002".into(),
            effective_date: "2026-06-01".into(),
        }
        .into()]
    );
    let after = then(&registry, &events);
    let practice = after.get("A81001").expect("exists");
    assert_eq!(practice.parent_on(day("2026-05-31")), Some("U00001"));
    assert_eq!(practice.parent_on(day("2026-06-01")), Some("U00002"));
}

#[test]
fn a_move_defaults_to_today() {
    let registry = tree();
    let events = when(move_request("A81001", "U00002", ""), |c| {
        registry.reparent(c, &commissioner(&registry))
    })
    .expect("moved");
    let [OrganisationEvent::OrganisationReparented(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.effective_date, TODAY);
}

#[test]
fn a_move_is_refused_naming_the_field_at_fault() {
    let registry = tree();
    let moved = |code: &str, parent: &str| move_request(code, parent, "");
    refusals(
        &registry,
        Registry::reparent,
        COMMISSIONER,
        vec![
            (moved("", "U00002"), invalid("code")),
            (moved("A81001", ""), invalid("parent_code")),
            (moved("A81001", "U/00002"), invalid("parent_code")),
            (
                move_request("A81001", "U00002", "June"),
                invalid("effective_date"),
            ),
            // Moving needs authority over the organisation and its destination: out of
            // QWO's practice, or into QWO's PCN.
            (moved("D84001", "U00001"), forbidden()),
            (moved("A81001", "U00004"), forbidden()),
        ],
    );
    // A PCN lead may not move its practices at all.
    let pcn_lead = ("U00001", Role::PcnLead);
    let own = vec![(moved("A81001", "U00002"), forbidden())];
    refusals(&registry, Registry::reparent, pcn_lead, own);
    refusals(
        &registry,
        Registry::reparent,
        SERVICE,
        vec![
            (moved("A89999", "U00002"), not_found("code")),
            (moved("A81001", "U99999"), not_found("parent_code")),
        ],
    );
    // The new parent must be a kind that can hold it.
    refusals(
        &registry,
        Registry::reparent,
        NATIONAL_LEAD,
        vec![
            (moved("A81001", "Y56"), invalid("parent_code")), // a practice under a region
            (moved("A81001", "A81002"), invalid("parent_code")), // under a practice
            (moved("00L", "U00001"), invalid("parent_code")), // under its own PCN: a cycle
            (moved("QE1", "QE1"), invalid("parent_code")),    // itself
        ],
    );
}

#[test]
fn moving_a_closed_organisation_or_under_a_closed_parent_is_refused() {
    let registry = tree_after(&[closed("U00002", "2026-01-01")]);
    refusals(
        &registry,
        Registry::reparent,
        COMMISSIONER,
        vec![
            (move_request("A81009", "U00001", ""), precondition("code")),
            (
                move_request("A81001", "U00002", ""),
                precondition("parent_code"),
            ),
        ],
    );
    // Before U00002 closed, the move would have been fine.
    assert!(
        when(move_request("A81001", "U00002", "2025-12-01"), |c| registry
            .reparent(c, &commissioner(&registry)))
        .is_ok()
    );
}

// ---- MergeOrganisations ----

fn merge_request(predecessors: &[&str], successor: &str, on: &str) -> MergeOrganisationsRequest {
    MergeOrganisationsRequest {
        predecessor_codes: predecessors.iter().map(|c| (*c).to_owned()).collect(),
        successor_code: successor.into(),
        effective_date: on.into(),
        ..Default::default()
    }
}

fn regional_lead(registry: &Registry) -> Context {
    as_(registry, "Y56", Role::RegionalLead)
}

#[test]
fn a_regional_lead_merges_two_icbs() {
    let registry = tree();
    let events = when(merge_request(&["QF7"], "QE1", "2026-04-01"), |c| {
        registry.merge(c, &regional_lead(&registry))
    })
    .expect("merged");
    assert_eq!(events, [merged_into_qe1()]);
    let after = then(&registry, &events);
    let predecessor = after.get("QF7").expect("kept");
    assert_eq!(
        predecessor.merged_into,
        Some(("QE1".to_owned(), day("2026-04-01")))
    );
    assert!(predecessor.is_active_on(day("2026-03-31")));
    assert!(!predecessor.is_active_on(day("2026-04-01")));
    assert!(
        after
            .get("QE1")
            .expect("kept")
            .is_active_on(day("2026-04-01"))
    );
}

#[test]
fn a_merger_is_refused_naming_the_field_at_fault() {
    let registry = tree();
    let merged =
        |predecessors: &[&str], successor: &str| merge_request(predecessors, successor, "");
    refusals(
        &registry,
        Registry::merge,
        REGIONAL_LEAD,
        vec![
            (merged(&["QF7"], ""), invalid("successor_code")),
            (merged(&[], "QE1"), invalid("predecessor_codes")),
            (
                merged(&["QF7", "Q F7"], "QE1"),
                invalid("predecessor_codes[1]"),
            ),
            (
                merge_request(&["QF7"], "QE1", "April 2026"),
                invalid("effective_date"),
            ),
            // A region may not merge another region's ICB, either way round.
            (merged(&["QWO"], "QE1"), forbidden()),
            (merged(&["QE1"], "QWO"), forbidden()),
            // An organisation named twice.
            (
                merged(&["QF7", "QF7"], "QE1"),
                invalid("predecessor_codes[1]"),
            ),
            (merged(&["QE1"], "QE1"), invalid("predecessor_codes[0]")),
            // Predecessors must be of the successor's kind.
            (
                merged(&["QF7", "02A"], "QE1"),
                invalid("predecessor_codes[1]"),
            ),
        ],
    );
    refusals(
        &registry,
        Registry::merge,
        COMMISSIONER,
        vec![
            // An ICB commissioner cannot absorb a neighbouring ICB.
            (merged(&["QF7"], "QE1"), forbidden()),
            // A81009 closed in 2025: it cannot be merged into A81001 afterwards.
            (
                merged(&["A81009"], "A81001"),
                precondition("predecessor_codes[0]"),
            ),
        ],
    );
    refusals(
        &registry,
        Registry::merge,
        SERVICE,
        vec![
            (merged(&["QF7"], "QZZ"), not_found("successor_code")),
            (merged(&["QZZ"], "QE1"), not_found("predecessor_codes[0]")),
        ],
    );
    let merged_successor = vec![(merged(&["QE1"], "QF7"), precondition("successor_code"))];
    refusals(
        &tree_after(&[merged_into_qe1()]),
        Registry::merge,
        SERVICE,
        merged_successor,
    );
}

// ---- CloseOrganisation ----

fn close_request(code: &str, on: &str, reason: &str) -> CloseOrganisationRequest {
    CloseOrganisationRequest {
        code: code.into(),
        effective_date: on.into(),
        reason: reason.into(),
        ..Default::default()
    }
}

#[test]
fn a_commissioner_closes_a_practice() {
    let registry = tree();
    let events = when(
        close_request("A81002", "2026-06-30", " contract ended "),
        |c| registry.close(c, &commissioner(&registry)),
    )
    .expect("closed");
    assert_eq!(
        events,
        [OrganisationClosed {
            code: "A81002".into(),
            effective_date: "2026-06-30".into(),
            reason: "contract ended".into(),
        }
        .into()]
    );
    let after = then(&registry, &events);
    assert_eq!(
        after.get("A81002").expect("kept").closed_on,
        Some(day("2026-06-30"))
    );
}

#[test]
fn a_close_defaults_to_today_and_needs_no_reason() {
    let registry = tree();
    let events = when(close_request("A81002", "", ""), |c| {
        registry.close(c, &commissioner(&registry))
    })
    .expect("closed");
    let [OrganisationEvent::OrganisationClosed(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!((e.effective_date.as_str(), e.reason.as_str()), (TODAY, ""));
}

#[test]
fn a_closure_is_refused_naming_the_field_at_fault() {
    let registry = tree();
    let closing = |code: &str| close_request(code, "", "");
    refusals(
        &registry,
        Registry::close,
        COMMISSIONER,
        vec![
            (closing(""), invalid("code")),
            (
                close_request("A81002", "30.06.2026", ""),
                invalid("effective_date"),
            ),
            // Outside the caller's area.
            (closing("D84001"), forbidden()),
        ],
    );
    refuses_identifying("reason", |text| {
        when(close_request("A81002", "", text), |c| {
            registry.close(c, &commissioner(&registry))
        })
    });
    let practice = ("A81001", Role::PracticeManager);
    refusals(
        &registry,
        Registry::close,
        practice,
        vec![(closing("A81001"), forbidden())],
    );
    let unknown = vec![(closing("A89999"), not_found("code"))];
    refusals(&registry, Registry::close, SERVICE, unknown);
    // A closed or merged organisation.
    refusals(
        &tree_after(&[merged_into_qe1()]),
        Registry::close,
        REGIONAL_LEAD,
        vec![
            (closing("A81009"), precondition("code")),
            (closing("QF7"), precondition("code")),
        ],
    );
}

// ---- the tree as it stood on a date ----

#[test]
fn lineage_lists_the_organisation_then_everything_above_it() {
    let registry = tree();
    assert_eq!(
        registry.lineage("A81001", day(TODAY)),
        ["A81001", "U00001", "00L", "QE1", "Y56", "X24"]
    );
    assert_eq!(registry.lineage("X24", day(TODAY)), ["X24"]);
    assert_eq!(registry.lineage("A89999", day(TODAY)), ["A89999"]);
    // Before anything was registered, nothing sits above anything.
    assert_eq!(registry.lineage("A81001", day("2019-12-31")), ["A81001"]);
}

#[test]
fn is_within_means_the_area_itself_or_below_it() {
    let registry = tree();
    for area in ["A81001", "U00001", "00L", "QE1", "Y56", "X24"] {
        assert!(within(&registry, "A81001", area, TODAY), "{area}");
    }
    for area in ["A81002", "U00002", "QF7", "QWO", "Y63", "P-leeds-libraries"] {
        assert!(!within(&registry, "A81001", area, TODAY), "{area}");
    }
    // Nothing is below a practice, and the tree does not run upwards.
    assert!(!within(&registry, "U00001", "A81001", TODAY));
}

#[test]
fn parent_on_takes_the_latest_parent_effective_by_then() {
    let registry = tree_after(&[
        OrganisationReparented {
            code: "A81001".into(),
            parent_code: "U00003".into(),
            effective_date: "2027-01-01".into(),
        }
        .into(),
        // Recorded after, effective before: the history is kept in date order.
        OrganisationReparented {
            code: "A81001".into(),
            parent_code: "U00002".into(),
            effective_date: "2026-06-01".into(),
        }
        .into(),
    ]);
    let practice = registry.get("A81001").expect("exists");
    assert_eq!(practice.parent_on(day("2019-12-31")), None);
    assert_eq!(practice.parent_on(day("2020-01-01")), Some("U00001"));
    assert_eq!(practice.parent_on(day("2026-05-31")), Some("U00001"));
    assert_eq!(practice.parent_on(day("2026-06-01")), Some("U00002"));
    assert_eq!(practice.parent_on(day("2026-12-31")), Some("U00002"));
    assert_eq!(practice.parent_on(day("2027-01-01")), Some("U00003"));
}

#[test]
fn a_practice_that_moves_pcn_is_within_the_old_pcn_before_and_the_new_one_after() {
    let registry = tree();
    let events = when(move_request("A81001", "U00002", "2026-06-01"), |c| {
        registry.reparent(c, &commissioner(&registry))
    })
    .expect("moved");
    let after = then(&registry, &events);
    assert!(within(&after, "A81001", "U00001", "2026-05-31"));
    assert!(!within(&after, "A81001", "U00002", "2026-05-31"));
    assert!(!within(&after, "A81001", "U00001", "2026-06-01"));
    assert!(within(&after, "A81001", "U00002", "2026-06-01"));
    // Both PCNs are in 00L, so the sub-ICB and the ICB hold it throughout.
    for on in ["2026-05-31", "2026-06-01"] {
        assert!(within(&after, "A81001", "00L", on), "{on}");
        assert!(within(&after, "A81001", "QE1", on), "{on}");
    }
    // A PCN lead's authority follows the move.
    let lead = |org: &str| as_(&after, org, Role::PcnLead);
    let authorised = |org: &str, on: &str| {
        crate::policy::authorize(
            &lead(org).actor,
            crate::command::Command::RecordFacilitation,
            &crate::policy::Targets::of("A81001"),
            &after,
            day(on),
        )
        .is_ok()
    };
    assert!(authorised("U00001", "2026-05-31"));
    assert!(!authorised("U00001", "2026-06-01"));
    assert!(authorised("U00002", "2026-06-01"));
}

#[test]
fn after_an_icb_merger_the_successor_area_includes_the_predecessor_subtree_from_that_date() {
    let registry = tree_after(&[merged_into_qe1()]);
    for code in ["QF7", "02A", "U00003", "C83001"] {
        assert!(!within(&registry, code, "QE1", "2026-03-31"), "{code}");
        assert!(within(&registry, code, "QE1", "2026-04-01"), "{code}");
        assert!(within(&registry, code, "QE1", TODAY), "{code}");
    }
    assert_eq!(
        registry.lineage("C83001", day("2026-04-01")),
        ["C83001", "U00003", "02A", "QF7", "QE1", "Y56", "X24"]
    );
    // The successor's own subtree does not move under the predecessor.
    assert!(!within(&registry, "A81001", "QF7", TODAY));
    // So QE1's commissioner now acts for QF7's practices.
    assert!(
        when(rename_request("C83001", "Chapeltown Health Centre"), |c| {
            registry.rename(c, &commissioner(&registry))
        })
        .is_ok()
    );
}

#[test]
fn a_closed_organisation_is_inactive_from_its_closing_date() {
    let registry = tree();
    let practice = registry.get("A81009").expect("kept after closing");
    assert!(
        !practice.is_active_on(day("2019-12-31")),
        "before registration"
    );
    assert!(practice.is_active_on(day("2020-01-01")));
    assert!(practice.is_active_on(day("2024-12-31")));
    assert!(!practice.is_active_on(day("2025-01-01")));
    assert!(!practice.is_active_on(day(TODAY)));
    // Closing does not take it out of the tree: facts dated earlier still place it.
    assert!(within(&registry, "A81009", "QE1", "2024-06-01"));
    assert_eq!(
        refused(registry.require("practice_code", "A81009", &[], day(TODAY))),
        precondition("practice_code")
    );
    assert!(
        registry
            .require("practice_code", "A81009", &[], day("2024-12-31"))
            .is_ok()
    );
}

#[test]
fn a_subtree_merged_twice_belongs_to_the_last_successor() {
    // QF7 → QE1 in April 2026, then QE1 → QWO in April 2027 (same region after a
    // boundary change, as "more follow" in DESIGN.md §4).
    let registry = tree_after(&[
        merged_into_qe1(),
        OrganisationsMerged {
            predecessor_codes: vec!["QE1".into()],
            successor_code: "QWO".into(),
            effective_date: "2027-04-01".into(),
        }
        .into(),
    ]);
    assert!(within(&registry, "A81001", "QWO", "2027-04-01"));
    assert!(within(&registry, "C83001", "QE1", "2026-04-01"));
    assert!(
        within(&registry, "C83001", "QWO", "2027-04-01"),
        "lineage: {:?}",
        registry.lineage("C83001", day("2027-04-01"))
    );
}

#[test]
fn after_a_cross_region_merger_the_successors_region_holds_the_predecessors_subtree() {
    let registry = tree_after(&[OrganisationsMerged {
        predecessor_codes: vec!["QWO".into()],
        successor_code: "QE1".into(),
        effective_date: "2026-04-01".into(),
    }
    .into()]);
    assert!(within(&registry, "D84001", "QE1", TODAY));
    assert!(
        within(&registry, "D84001", "Y56", TODAY),
        "lineage: {:?}",
        registry.lineage("D84001", day(TODAY))
    );
    assert!(!within(&registry, "D84001", "Y63", TODAY));
}

// ---- RecordRegistryImport ----

fn import_request() -> proto::v1::RecordRegistryImportRequest {
    proto::v1::RecordRegistryImportRequest {
        source_file: "epraccur.csv".into(),
        extract_date: "2026-06-01".into(),
        rows: 13_000,
        digest: "0f".repeat(32),
        ..Default::default()
    }
}

#[test]
fn the_national_team_records_an_import_and_the_tree_is_unchanged() {
    let registry = tree();
    let events = when(import_request(), |c| {
        registry.record_import(c, &as_(&registry, "X24", Role::NationalLead))
    })
    .expect("recorded");
    assert_eq!(
        events,
        [RegistryImported {
            source_file: "epraccur.csv".into(),
            extract_date: "2026-06-01".into(),
            rows: 13_000,
            digest: "0f".repeat(32),
        }
        .into()]
    );
    assert_eq!(then(&registry, &events), registry);
}

#[test]
fn an_import_is_refused_to_commissioners_and_for_bad_fields() {
    let registry = tree();
    refusals(
        &registry,
        Registry::record_import,
        COMMISSIONER,
        vec![(import_request(), forbidden())],
    );
    refusals(
        &registry,
        Registry::record_import,
        NATIONAL_LEAD,
        vec![
            (
                proto::v1::RecordRegistryImportRequest {
                    source_file: "/home/me/epraccur.csv".into(),
                    ..import_request()
                },
                invalid("source_file"),
            ),
            (
                proto::v1::RecordRegistryImportRequest {
                    digest: "not hex".into(),
                    ..import_request()
                },
                invalid("digest"),
            ),
            (
                proto::v1::RecordRegistryImportRequest {
                    extract_date: "31/01/2026".into(),
                    ..import_request()
                },
                invalid("extract_date"),
            ),
        ],
    );
}
