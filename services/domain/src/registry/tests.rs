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
    IDENTIFYING, TODAY, caller_over, closed, day, exists, forbidden, invalid, message, not_found,
    precondition, refused, then, tree, tree_after, when,
};

/// A caller acting for `org` with `role` over the tree `registry`.
fn as_(registry: &Registry, org: &str, role: Role) -> Context {
    caller_over(registry, org, &[role])
}

fn commissioner(registry: &Registry) -> Context {
    as_(registry, "QE1", Role::IcbCommissioner)
}

fn service(registry: &Registry) -> Context {
    as_(registry, "svc", Role::Service)
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
    for (text, seen) in IDENTIFYING {
        let request = RegisterOrganisationRequest {
            name: text.into(),
            ..practice_request()
        };
        assert_eq!(refused(shaped(request.clone())), invalid("name"), "{text}");
        assert!(!message(shaped(request)).contains(seen), "{text}");
    }
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
fn registering_a_code_twice_is_refused() {
    let registry = tree();
    let cmd = shaped(RegisterOrganisationRequest {
        code: "A81001".into(),
        parent_code: "U00001".into(),
        ..practice_request()
    })
    .expect("valid");
    assert_eq!(
        refused(registry.register(cmd, &commissioner(&registry))),
        exists("code")
    );
}

#[test]
fn registering_outside_the_callers_area_is_forbidden() {
    let registry = tree();
    let elsewhere = || {
        shaped(RegisterOrganisationRequest {
            parent_code: "U00004".into(),
            ..practice_request()
        })
        .expect("valid")
    };
    // QE1's commissioner may not add a practice to QWO's PCN.
    assert_eq!(
        refused(registry.register(elsewhere(), &commissioner(&registry))),
        forbidden()
    );
    // Nor may a practice, a PCN lead or an auditor register anything.
    for (org, role) in [
        ("B82001", Role::PracticeManager),
        ("U00002", Role::PcnLead),
        ("X24", Role::Auditor),
    ] {
        let own_pcn = shaped(practice_request()).expect("valid");
        assert_eq!(
            refused(registry.register(own_pcn, &as_(&registry, org, role))),
            forbidden(),
            "{org} {role:?}"
        );
    }
}

#[test]
fn registering_under_an_unknown_parent_is_not_found() {
    let registry = tree();
    let cmd = shaped(RegisterOrganisationRequest {
        parent_code: "U99999".into(),
        ..practice_request()
    })
    .expect("valid");
    assert_eq!(
        refused(registry.register(cmd, &service(&registry))),
        not_found("parent_code")
    );
}

#[test]
fn the_parent_must_be_a_kind_that_can_hold_the_child() {
    let registry = tree();
    for parent in ["Y56", "A81001", "P-leeds-libraries"] {
        let cmd = shaped(RegisterOrganisationRequest {
            parent_code: parent.into(),
            ..practice_request()
        })
        .expect("valid");
        assert_eq!(
            refused(registry.register(cmd, &as_(&registry, "X24", Role::NationalLead))),
            invalid("parent_code"),
            "{parent}"
        );
    }
}

#[test]
fn the_parent_must_be_active_on_the_effective_date() {
    // U00002 was registered on 2020-01-01: a practice cannot join it before.
    let registry = tree();
    let too_early = shaped(RegisterOrganisationRequest {
        effective_date: "2019-06-01".into(),
        ..practice_request()
    })
    .expect("valid");
    assert_eq!(
        refused(registry.register(too_early, &commissioner(&registry))),
        precondition("parent_code")
    );
    // QF7 merged into QE1 on 2026-04-01: nothing new goes under it from then.
    let registry = tree_after(&[merged_into_qe1()]);
    let under_predecessor = shaped(RegisterOrganisationRequest {
        code: "02B".into(),
        kind: OrganisationKind::SubIcb.into(),
        parent_code: "QF7".into(),
        postcode_district: String::new(),
        ..practice_request()
    })
    .expect("valid");
    assert_eq!(
        refused(registry.register(under_predecessor, &service(&registry))),
        precondition("parent_code")
    );
}

#[test]
fn covered_areas_must_exist_and_be_active() {
    let registry = tree();
    let partner = |covers: &[&str]| {
        shaped(RegisterOrganisationRequest {
            code: "P-leeds-digital".into(),
            kind: OrganisationKind::Partner.into(),
            parent_code: "QE1".into(),
            covers_codes: covers.iter().map(|c| (*c).to_owned()).collect(),
            postcode_district: String::new(),
            ..practice_request()
        })
        .expect("valid")
    };
    assert_eq!(
        refused(registry.register(partner(&["QE1", "U99999"]), &commissioner(&registry))),
        not_found("covers_codes[1]")
    );
    assert_eq!(
        refused(registry.register(partner(&["A81009"]), &commissioner(&registry))),
        precondition("covers_codes[0]")
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
fn a_rename_request_names_the_field_at_fault() {
    let registry = tree();
    let ctx = commissioner(&registry);
    for (request, field) in [
        (rename_request("", "New name"), "code"),
        (rename_request("A81 001", "New name"), "code"),
        (rename_request("A81001", "  "), "name"),
        (rename_request("A81001", "ask jo@example.nhs.uk"), "name"),
        (
            RenameOrganisationRequest {
                effective_date: "13/05/2026".into(),
                ..rename_request("A81001", "New name")
            },
            "effective_date",
        ),
    ] {
        assert_eq!(
            refused(when(request.clone(), |c| registry.rename(c, &ctx))),
            invalid(field),
            "{request:?}"
        );
    }
}

#[test]
fn renaming_outside_the_callers_area_is_forbidden() {
    let registry = tree();
    assert_eq!(
        refused(when(rename_request("D84001", "New name"), |c| registry
            .rename(c, &commissioner(&registry)))),
        forbidden()
    );
    assert_eq!(
        refused(when(rename_request("A81001", "New name"), |c| registry
            .rename(c, &as_(&registry, "A81001", Role::PracticeManager)))),
        forbidden()
    );
}

#[test]
fn renaming_an_unknown_organisation_is_not_found() {
    let registry = tree();
    assert_eq!(
        refused(when(rename_request("A89999", "New name"), |c| registry
            .rename(c, &service(&registry)))),
        not_found("code")
    );
}

#[test]
fn renaming_a_closed_organisation_is_refused() {
    let registry = tree();
    assert_eq!(
        refused(when(rename_request("A81009", "New name"), |c| registry
            .rename(c, &commissioner(&registry)))),
        precondition("code")
    );
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
fn a_reparent_request_names_the_field_at_fault() {
    let registry = tree();
    let ctx = commissioner(&registry);
    for (request, field) in [
        (move_request("", "U00002", ""), "code"),
        (move_request("A81001", "", ""), "parent_code"),
        (move_request("A81001", "U/00002", ""), "parent_code"),
        (move_request("A81001", "U00002", "June"), "effective_date"),
    ] {
        assert_eq!(
            refused(when(request.clone(), |c| registry.reparent(c, &ctx))),
            invalid(field),
            "{request:?}"
        );
    }
}

#[test]
fn moving_needs_authority_over_the_organisation_and_its_destination() {
    let registry = tree();
    let ctx = commissioner(&registry);
    // Out of QWO's practice...
    assert_eq!(
        refused(when(move_request("D84001", "U00001", ""), |c| registry
            .reparent(c, &ctx))),
        forbidden()
    );
    // ...or into QWO's PCN.
    assert_eq!(
        refused(when(move_request("A81001", "U00004", ""), |c| registry
            .reparent(c, &ctx))),
        forbidden()
    );
    // A PCN lead may not move its practices at all.
    assert_eq!(
        refused(when(move_request("A81001", "U00002", ""), |c| registry
            .reparent(c, &as_(&registry, "U00001", Role::PcnLead)))),
        forbidden()
    );
}

#[test]
fn moving_an_unknown_organisation_or_to_an_unknown_parent_is_not_found() {
    let registry = tree();
    let ctx = service(&registry);
    assert_eq!(
        refused(when(move_request("A89999", "U00002", ""), |c| registry
            .reparent(c, &ctx))),
        not_found("code")
    );
    assert_eq!(
        refused(when(move_request("A81001", "U99999", ""), |c| registry
            .reparent(c, &ctx))),
        not_found("parent_code")
    );
}

#[test]
fn moving_a_closed_organisation_or_under_a_closed_parent_is_refused() {
    let registry = tree_after(&[closed("U00002", "2026-01-01")]);
    let ctx = commissioner(&registry);
    assert_eq!(
        refused(when(move_request("A81009", "U00001", ""), |c| registry
            .reparent(c, &ctx))),
        precondition("code")
    );
    assert_eq!(
        refused(when(move_request("A81001", "U00002", ""), |c| registry
            .reparent(c, &ctx))),
        precondition("parent_code")
    );
    // Before U00002 closed, the move would have been fine.
    assert!(
        when(move_request("A81001", "U00002", "2025-12-01"), |c| registry
            .reparent(c, &ctx))
        .is_ok()
    );
}

#[test]
fn the_new_parent_must_be_a_kind_that_can_hold_it() {
    let registry = tree();
    let ctx = as_(&registry, "X24", Role::NationalLead);
    for (code, parent) in [
        ("A81001", "Y56"),    // a practice under a region
        ("A81001", "A81002"), // a practice under a practice
        ("00L", "U00001"),    // a sub-ICB under its own PCN: also a cycle
        ("QE1", "QE1"),       // itself
    ] {
        assert_eq!(
            refused(when(move_request(code, parent, ""), |c| registry
                .reparent(c, &ctx))),
            invalid("parent_code"),
            "{code} under {parent}"
        );
    }
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
fn a_merge_request_names_the_field_at_fault() {
    let registry = tree();
    let ctx = regional_lead(&registry);
    for (request, field) in [
        (merge_request(&["QF7"], "", ""), "successor_code"),
        (merge_request(&[], "QE1", ""), "predecessor_codes"),
        (
            merge_request(&["QF7", "Q F7"], "QE1", ""),
            "predecessor_codes[1]",
        ),
        (
            merge_request(&["QF7"], "QE1", "April 2026"),
            "effective_date",
        ),
    ] {
        assert_eq!(
            refused(when(request.clone(), |c| registry.merge(c, &ctx))),
            invalid(field),
            "{request:?}"
        );
    }
}

#[test]
fn merging_needs_authority_over_every_organisation_named() {
    let registry = tree();
    // An ICB commissioner cannot absorb a neighbouring ICB...
    assert_eq!(
        refused(when(merge_request(&["QF7"], "QE1", ""), |c| registry
            .merge(c, &commissioner(&registry)))),
        forbidden()
    );
    // ...nor a region another region's ICB, either way round.
    let ctx = regional_lead(&registry);
    assert_eq!(
        refused(when(merge_request(&["QWO"], "QE1", ""), |c| registry
            .merge(c, &ctx))),
        forbidden()
    );
    assert_eq!(
        refused(when(merge_request(&["QE1"], "QWO", ""), |c| registry
            .merge(c, &ctx))),
        forbidden()
    );
}

#[test]
fn merging_into_an_unknown_or_inactive_successor_is_refused() {
    let registry = tree();
    assert_eq!(
        refused(when(merge_request(&["QF7"], "QZZ", ""), |c| registry
            .merge(c, &service(&registry)))),
        not_found("successor_code")
    );
    let registry = tree_after(&[merged_into_qe1()]);
    assert_eq!(
        refused(when(merge_request(&["QE1"], "QF7", ""), |c| registry
            .merge(c, &service(&registry)))),
        precondition("successor_code")
    );
}

#[test]
fn an_organisation_named_twice_is_refused() {
    let registry = tree();
    let ctx = regional_lead(&registry);
    assert_eq!(
        refused(when(merge_request(&["QF7", "QF7"], "QE1", ""), |c| {
            registry.merge(c, &ctx)
        })),
        invalid("predecessor_codes[1]")
    );
    assert_eq!(
        refused(when(merge_request(&["QE1"], "QE1", ""), |c| registry
            .merge(c, &ctx))),
        invalid("predecessor_codes[0]")
    );
}

#[test]
fn predecessors_must_be_of_the_successors_kind() {
    let registry = tree();
    assert_eq!(
        refused(when(merge_request(&["QF7", "02A"], "QE1", ""), |c| {
            registry.merge(c, &regional_lead(&registry))
        })),
        invalid("predecessor_codes[1]")
    );
}

#[test]
fn predecessors_must_exist_and_be_active() {
    let registry = tree();
    assert_eq!(
        refused(when(merge_request(&["QZZ"], "QE1", ""), |c| registry
            .merge(c, &service(&registry)))),
        not_found("predecessor_codes[0]")
    );
    // A81009 closed in 2025: it cannot be merged into A81001 afterwards.
    assert_eq!(
        refused(when(merge_request(&["A81009"], "A81001", ""), |c| registry
            .merge(c, &commissioner(&registry)))),
        precondition("predecessor_codes[0]")
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
fn a_close_request_names_the_field_at_fault() {
    let registry = tree();
    let ctx = commissioner(&registry);
    for (request, field) in [
        (close_request("", "", ""), "code"),
        (close_request("A81002", "30.06.2026", ""), "effective_date"),
    ] {
        assert_eq!(
            refused(when(request.clone(), |c| registry.close(c, &ctx))),
            invalid(field),
            "{request:?}"
        );
    }
    for (text, seen) in IDENTIFYING {
        let request = close_request("A81002", "", text);
        assert_eq!(
            refused(when(request.clone(), |c| registry.close(c, &ctx))),
            invalid("reason"),
            "{text}"
        );
        let message = message(when(request, |c| registry.close(c, &ctx)));
        assert!(message.starts_with("reason:"), "{message}");
        assert!(!message.contains(seen), "{message}");
    }
}

#[test]
fn closing_outside_the_callers_area_is_forbidden() {
    let registry = tree();
    assert_eq!(
        refused(when(close_request("D84001", "", ""), |c| registry
            .close(c, &commissioner(&registry)))),
        forbidden()
    );
    assert_eq!(
        refused(when(close_request("A81001", "", ""), |c| registry
            .close(c, &as_(&registry, "A81001", Role::PracticeManager)))),
        forbidden()
    );
}

#[test]
fn closing_an_unknown_organisation_is_not_found() {
    let registry = tree();
    assert_eq!(
        refused(when(close_request("A89999", "", ""), |c| registry
            .close(c, &service(&registry)))),
        not_found("code")
    );
}

#[test]
fn closing_a_closed_or_merged_organisation_is_refused() {
    let registry = tree_after(&[merged_into_qe1()]);
    let ctx = regional_lead(&registry);
    assert_eq!(
        refused(when(close_request("A81009", "", ""), |c| registry.close(c, &ctx))),
        precondition("code")
    );
    assert_eq!(
        refused(when(close_request("QF7", "", ""), |c| registry.close(c, &ctx))),
        precondition("code")
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
