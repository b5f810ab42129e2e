//! Given the commissions so far, when a commissioner commissions a partner or ends a
//! commission, then these events (or this rejection, naming this field); and which
//! sessions a commission reaches.

use auth::Role;
use proto::v1::{CommissionPartnerRequest, DigitalService, EndCommissionRequest};

use super::*;
use crate::testing::{
    ctx, day, exists, forbidden, given, invalid, not_found, precondition, refused, service, tree,
    when,
};

const COMMISSION: Uuid = Uuid::from_u128(0xc0_0001);

fn commissioner() -> Context {
    ctx("QE1", Role::IcbCommissioner)
}

/// QE1 pays Leeds Libraries for 12 NHS App sessions in PCN U00001 until the end of 2026.
fn request() -> CommissionPartnerRequest {
    CommissionPartnerRequest {
        commissioner_code: "QE1".into(),
        partner_code: "P-leeds-libraries".into(),
        area_code: "U00001".into(),
        starts_on: "2026-04-01".into(),
        ends_on: "2026-12-31".into(),
        sessions_promised: 12,
        topics: vec![DigitalService::NhsApp.into()],
        ..Default::default()
    }
}

fn commission(request: CommissionPartnerRequest, ctx: &Context) -> Result<Vec<CommissionEvent>> {
    when(request, |c| {
        Commissions::default().commission(COMMISSION, c, ctx)
    })
}

fn commissioned() -> CommissionEvent {
    PartnerCommissioned {
        commission_id: COMMISSION.to_string(),
        commissioner_code: "QE1".into(),
        partner_code: "P-leeds-libraries".into(),
        area_code: "U00001".into(),
        starts_on: "2026-04-01".into(),
        ends_on: "2026-12-31".into(),
        sessions_promised: 12,
        topics: vec![DigitalService::NhsApp.into()],
    }
    .into()
}

fn end_request(ended_on: &str) -> EndCommissionRequest {
    EndCommissionRequest {
        commission_id: COMMISSION.to_string(),
        reason: "the library closed for refurbishment".into(),
        ended_on: ended_on.into(),
        ..Default::default()
    }
}

fn end(
    state: &Commissions,
    request: EndCommissionRequest,
    ctx: &Context,
) -> Result<Vec<CommissionEvent>> {
    when(request, |c| state.end(c, ctx))
}

#[test]
fn a_commissioner_commissions_a_partner_in_its_area() {
    assert_eq!(
        commission(request(), &commissioner()).expect("as expected"),
        vec![commissioned()]
    );
    let state = given::<Commissions>(&[commissioned()]);
    let held = state.get(&COMMISSION).expect("recorded");
    assert_eq!(held.last_day(), day("2026-12-31"));
    assert!(held.runs_on(day("2026-04-01")) && !held.runs_on(day("2027-01-01")));
}

#[test]
fn the_start_defaults_to_today() {
    let events = commission(
        CommissionPartnerRequest {
            starts_on: String::new(),
            ..request()
        },
        &commissioner(),
    )
    .expect("as expected");
    let CommissionEvent::PartnerCommissioned(e) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(e.starts_on, crate::testing::TODAY);
}

#[test]
fn bad_commissions_are_refused_naming_the_field() {
    type Change = fn(&mut CommissionPartnerRequest);
    let cases: [(&str, Change, (&str, String)); 11] = [
        ("no end", |r| r.ends_on.clear(), invalid("ends_on")),
        (
            "end before start",
            |r| r.ends_on = "2026-03-31".into(),
            invalid("ends_on"),
        ),
        (
            "ended already",
            |r| {
                r.starts_on = "2025-01-01".into();
                r.ends_on = "2025-12-31".into();
            },
            invalid("ends_on"),
        ),
        (
            "no sessions",
            |r| r.sessions_promised = 0,
            invalid("sessions_promised"),
        ),
        (
            "too many sessions",
            |r| r.sessions_promised = 1_001,
            invalid("sessions_promised"),
        ),
        (
            "unknown topic",
            |r| r.topics = vec![99],
            invalid("topics[0]"),
        ),
        (
            "bad partner code",
            |r| r.partner_code = "not a code!".into(),
            invalid("partner_code"),
        ),
        (
            "unknown partner",
            |r| r.partner_code = "P-nowhere".into(),
            not_found("partner_code"),
        ),
        (
            "not a partner",
            |r| r.partner_code = "A81001".into(),
            invalid("partner_code"),
        ),
        (
            "closed area",
            |r| r.area_code = "A81009".into(),
            precondition("area_code"),
        ),
        (
            "bad date",
            |r| r.starts_on = "1 April".into(),
            invalid("starts_on"),
        ),
    ];
    for (case, change, expected) in cases {
        let mut request = request();
        change(&mut request);
        assert_eq!(
            refused(commission(request, &commissioner())),
            expected,
            "{case}"
        );
    }
}

#[test]
fn commissioners_commission_only_for_themselves_within_their_area() {
    let cases: [(&str, Context, CommissionPartnerRequest); 5] = [
        (
            "another ICB's area",
            commissioner(),
            CommissionPartnerRequest {
                area_code: "U00003".into(),
                ..request()
            },
        ),
        (
            "paid by another ICB",
            commissioner(),
            CommissionPartnerRequest {
                commissioner_code: "QF7".into(),
                ..request()
            },
        ),
        (
            "a partner commissioning itself",
            ctx("P-leeds-libraries", Role::PartnerCoordinator),
            request(),
        ),
        (
            "a practice",
            ctx("A81001", Role::PracticeManager),
            request(),
        ),
        ("an auditor", ctx("X24", Role::Auditor), request()),
    ];
    for (case, caller, request) in cases {
        assert_eq!(refused(commission(request, &caller)), forbidden(), "{case}");
    }
    // A region pays for sessions anywhere below it.
    let region = ctx("Y56", Role::RegionalLead);
    let paid_by_region = CommissionPartnerRequest {
        commissioner_code: "Y56".into(),
        area_code: "U00003".into(),
        ..request()
    };
    assert!(commission(paid_by_region, &region).is_ok());
}

#[test]
fn a_service_still_meets_the_area_rule_and_ids_are_not_reused() {
    let outside = CommissionPartnerRequest {
        area_code: "U00004".into(),
        ..request()
    };
    assert_eq!(
        refused(commission(outside, &service())),
        invalid("area_code")
    );
    let state = given::<Commissions>(&[commissioned()]);
    let again = when(request(), |c| {
        state.commission(COMMISSION, c, &commissioner())
    });
    assert_eq!(refused(again), exists("commission_id"));
}

#[test]
fn ending_a_commission() {
    let state = given::<Commissions>(&[commissioned()]);
    let events = end(&state, end_request("2026-09-30"), &commissioner()).expect("as expected");
    let ended = given::<Commissions>(&[commissioned(), events[0].clone()]);
    let held = ended.get(&COMMISSION).expect("as expected");
    assert_eq!(held.last_day(), day("2026-09-30"));
    assert!(!held.runs_on(day("2026-10-01")));
    type Case<'a> = (
        &'a str,
        &'a Commissions,
        EndCommissionRequest,
        Context,
        (&'a str, String),
    );
    let cases: [Case; 6] = [
        (
            "twice",
            &ended,
            end_request(""),
            commissioner(),
            precondition("commission_id"),
        ),
        (
            "after its end",
            &state,
            end_request("2027-01-01"),
            commissioner(),
            invalid("ended_on"),
        ),
        (
            "before its start",
            &state,
            end_request("2026-03-01"),
            commissioner(),
            invalid("ended_on"),
        ),
        (
            "by another ICB",
            &state,
            end_request(""),
            ctx("QF7", Role::IcbCommissioner),
            forbidden(),
        ),
        (
            "by the partner",
            &state,
            end_request(""),
            ctx("P-leeds-libraries", Role::PartnerCoordinator),
            forbidden(),
        ),
        (
            "no reason",
            &state,
            EndCommissionRequest {
                reason: " ".into(),
                ..end_request("")
            },
            commissioner(),
            invalid("reason"),
        ),
    ];
    for (case, state, request, caller, expected) in cases {
        assert_eq!(refused(end(state, request, &caller)), expected, "{case}");
    }
}

#[test]
fn an_unknown_commission_is_forbidden_to_people_and_not_found_for_services() {
    let nothing = Commissions::default();
    assert_eq!(
        refused(end(&nothing, end_request(""), &commissioner())),
        forbidden()
    );
    assert_eq!(
        refused(end(&nothing, end_request(""), &service())),
        not_found("commission_id")
    );
}

#[test]
fn a_commission_reaches_sessions_in_its_area_period_and_topics() {
    let state = given::<Commissions>(&[commissioned()]);
    let registry = tree();
    let nhs_app = [DigitalService::NhsApp as i32];
    let holders = |place: &str, date: &str, topics: &[i32], funder: &str| {
        state
            .holders(place, day(date), topics, funder, &registry)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let leeds = vec!["P-leeds-libraries".to_owned()];
    assert_eq!(holders("A81002", "2026-06-01", &nhs_app, ""), leeds);
    assert_eq!(holders("A81002", "2026-06-01", &nhs_app, "QE1"), leeds);
    let none: Vec<String> = Vec::new();
    for (case, place, date, topics, funder) in [
        ("another PCN", "B82001", "2026-06-01", &nhs_app[..], ""),
        ("before it starts", "A81002", "2026-03-31", &nhs_app[..], ""),
        ("after it ends", "A81002", "2027-01-01", &nhs_app[..], ""),
        (
            "another topic",
            "A81002",
            "2026-06-01",
            &[DigitalService::OnlineConsultation as i32][..],
            "",
        ),
        (
            "funded by another",
            "A81002",
            "2026-06-01",
            &nhs_app[..],
            "QF7",
        ),
    ] {
        assert_eq!(holders(place, date, topics, funder), none, "{case}");
    }
    let commission = state.get(&COMMISSION).expect("as expected");
    assert!(commission.covers(
        "P-leeds-libraries",
        "A81001",
        day("2026-06-01"),
        &nhs_app,
        "",
        &registry
    ));
    assert!(!commission.covers(
        "P-other",
        "A81001",
        day("2026-06-01"),
        &nhs_app,
        "",
        &registry
    ));
}
