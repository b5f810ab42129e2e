//! Tests of sessions: scheduling, hosting, the booking race rules, the waitlist, cancellation and attendance.

//! Given the events so far, when a command is issued, then these events (or this
//! error, naming this field).

use auth::Role;
use proptest::prelude::*;

use super::*;
use crate::registry::Registry;
use crate::testing::{
    self, at, caller_over, each_refused, exists, forbidden, invalid, not_found, precondition,
    refused, tree_with, when,
};

const SESSION: Uuid = Uuid::from_u128(0x5e55_1011);
const PARTNER: &str = "P-leeds-libraries";

/// Now, for every test: a session "tomorrow" starts a day after this.
fn now() -> DateTime<Utc> {
    parse_instant("2026-05-01T09:00:00Z")
}

/// The shared tree, with a partner in QWO.
fn tree() -> Registry {
    tree_with(&[("P-york-digital", OrganisationKind::Partner, "QWO")])
}

fn ctx(org: &str, role: Role) -> Context {
    at(caller_over(&tree(), org, &[role]), now())
}

fn partner() -> Context {
    ctx(PARTNER, Role::PartnerCoordinator)
}

fn practice(code: &str) -> Context {
    ctx(code, Role::PracticeManager)
}

fn service() -> Context {
    ctx("svc", Role::Service)
}

/// The same caller, `hours` after [`now`].
fn later(ctx: Context, hours: i64) -> Context {
    Context {
        now: ctx.now + TimeDelta::hours(hours),
        ..ctx
    }
}

fn given(events: &[SessionEvent]) -> Session {
    testing::given(events)
}

/// Tomorrow 10:00 to 12:00, at host practice A81001 in QE1, run by Leeds Libraries.
fn request() -> ScheduleSessionRequest {
    ScheduleSessionRequest {
        partner_code: PARTNER.into(),
        icb_code: "QE1".into(),
        host_practice_code: "A81001".into(),
        starts_at: "2026-05-02T10:00:00Z".into(),
        ends_at: "2026-05-02T12:00:00Z".into(),
        capacity: 10,
        topics: vec![DigitalService::NhsApp.into()],
        languages: vec!["en".into(), "pa-Guru".into()],
        accessibility: vec![AccessNeed::Wheelchair.into()],
        target_groups: vec![PatientGroup::OlderPeople.into()],
        title: "NHS App help".into(),
        description: "Bring your phone".into(),
        ..Default::default()
    }
}

fn at_venue() -> ScheduleSessionRequest {
    ScheduleSessionRequest {
        host_practice_code: String::new(),
        venue_name: "Hyde Park library".into(),
        venue_postcode_district: "ls6".into(),
        ..request()
    }
}

fn scheduled(capacity: u32) -> SessionEvent {
    let cmd = ScheduleSession::try_from(ScheduleSessionRequest {
        capacity,
        ..request()
    })
    .expect("valid");
    let mut events = Session::default()
        .schedule(SESSION, cmd, &partner())
        .expect("scheduled");
    events.remove(0)
}

fn schedule(request: ScheduleSessionRequest, ctx: &Context) -> Result<Vec<SessionEvent>> {
    Session::default().schedule(SESSION, ScheduleSession::try_from(request)?, ctx)
}

fn referral(reference: &str, places: u32) -> Referral {
    referral_from("A81001", reference, places)
}

fn referral_from(referrer: &str, reference: &str, places: u32) -> Referral {
    Referral::new(
        &SESSION.to_string(),
        reference,
        Uuid::nil(),
        referrer,
        places,
        "",
        &[],
    )
    .expect("valid referral")
}

fn booked(reference: &str, places: u32) -> SessionEvent {
    SeatBooked {
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        referring_organisation_code: "A81001".into(),
        places,
        ..Default::default()
    }
    .into()
}

fn joined(reference: &str, places: u32) -> SessionEvent {
    WaitlistJoined {
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        referring_organisation_code: "A81001".into(),
        places,
        ..Default::default()
    }
    .into()
}

fn promoted(reference: &str) -> SessionEvent {
    WaitlistPromoted {
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
    }
    .into()
}

fn cancelled_booking(reference: &str) -> SessionEvent {
    BookingCancelled {
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        reason: String::new(),
    }
    .into()
}

fn session_cancelled() -> SessionEvent {
    SessionCancelled {
        session_id: SESSION.to_string(),
        reason: "room flooded".into(),
    }
    .into()
}

fn declined() -> SessionEvent {
    HostingDeclined {
        session_id: SESSION.to_string(),
        host_practice_code: "A81001".into(),
        reason: "no room".into(),
    }
    .into()
}

fn confirmed() -> SessionEvent {
    HostingConfirmed {
        session_id: SESSION.to_string(),
        host_practice_code: "A81001".into(),
        note: "Room 2".into(),
    }
    .into()
}

fn cancel_booking(reference: &str) -> CancelBookingRequest {
    CancelBookingRequest {
        session_id: SESSION.to_string(),
        booking_reference: reference.into(),
        ..Default::default()
    }
}

fn attendance(attended: u32, no_shows: u32, walk_ins: u32) -> RecordAttendanceRequest {
    RecordAttendanceRequest {
        session_id: SESSION.to_string(),
        attended,
        no_shows,
        walk_ins,
        ..Default::default()
    }
}

fn id() -> String {
    SESSION.to_string()
}

// ---- ScheduleSession ----

#[test]
fn a_partner_schedules_a_session_at_a_host_practice() {
    let events = schedule(request(), &partner()).expect("scheduled");
    let [SessionEvent::SessionScheduled(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.session_id, id());
    assert_eq!(e.partner_code, PARTNER);
    assert_eq!(e.host_practice_code, "A81001");
    assert_eq!(e.starts_at, "2026-05-02T10:00:00Z");
    assert_eq!(e.capacity, 10);
    assert_eq!(e.languages, ["en", "pa-Guru"]);
    let session = given(&events);
    assert_eq!(session.hosting, Hosting::Pending);
    assert_eq!(session.remaining_places(), 10);
}

#[test]
fn a_session_at_a_venue_keeps_only_the_postcode_district() {
    let events = schedule(at_venue(), &partner()).expect("scheduled");
    let [SessionEvent::SessionScheduled(e)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(e.host_practice_code, "");
    assert_eq!(e.venue_name, "Hyde Park library");
    assert_eq!(e.venue_postcode_district, "LS6");
    assert_eq!(given(&events).hosting, Hosting::Venue);
}

#[test]
fn a_commissioner_schedules_for_partners_in_its_area_only() {
    assert!(schedule(request(), &ctx("QE1", Role::IcbCommissioner)).is_ok());
    assert_eq!(
        refused(schedule(request(), &ctx("QWO", Role::IcbCommissioner))),
        forbidden()
    );
}

#[test]
fn a_partner_cannot_schedule_for_another_partner() {
    assert_eq!(
        refused(schedule(
            request(),
            &ctx("P-york-digital", Role::PartnerCoordinator)
        )),
        forbidden()
    );
    assert_eq!(
        refused(schedule(request(), &practice("A81001"))),
        forbidden()
    );
}

#[test]
fn a_session_is_scheduled_once() {
    let session = given(&[scheduled(10)]);
    let cmd = ScheduleSession::try_from(request()).expect("valid");
    assert_eq!(
        refused(session.schedule(SESSION, cmd, &partner())),
        exists("session_id")
    );
}

#[test]
fn schedule_refuses_bad_shapes_naming_the_field() {
    let cases: Vec<(ScheduleSessionRequest, &str)> = vec![
        (
            ScheduleSessionRequest {
                capacity: 0,
                ..request()
            },
            "capacity",
        ),
        (
            ScheduleSessionRequest {
                capacity: 501,
                ..request()
            },
            "capacity",
        ),
        (
            ScheduleSessionRequest {
                ends_at: "2026-05-02T09:00:00Z".into(),
                ..request()
            },
            "ends_at",
        ),
        (
            ScheduleSessionRequest {
                ends_at: "2026-05-02T10:00:00Z".into(),
                ..request()
            },
            "ends_at",
        ),
        (
            ScheduleSessionRequest {
                ends_at: "2026-05-02T22:00:01Z".into(),
                ..request()
            },
            "ends_at",
        ),
        (
            ScheduleSessionRequest {
                starts_at: "2 May 2026 10:00".into(),
                ..request()
            },
            "starts_at",
        ),
        (
            ScheduleSessionRequest {
                venue_name: "Library".into(),
                ..request()
            },
            "host_practice_code",
        ),
        (
            ScheduleSessionRequest {
                host_practice_code: String::new(),
                ..request()
            },
            "host_practice_code",
        ),
        (
            ScheduleSessionRequest {
                host_practice_code: "QE1".into(),
                ..request()
            },
            "host_practice_code",
        ),
        (
            ScheduleSessionRequest {
                venue_postcode_district: "LS6 2AB".into(),
                ..at_venue()
            },
            "venue_postcode_district",
        ),
        (
            ScheduleSessionRequest {
                venue_postcode_district: "LS62AB".into(),
                ..at_venue()
            },
            "venue_postcode_district",
        ),
        (
            ScheduleSessionRequest {
                venue_postcode_district: String::new(),
                ..at_venue()
            },
            "venue_postcode_district",
        ),
        (
            ScheduleSessionRequest {
                venue_name: String::new(),
                ..at_venue()
            },
            "venue_name",
        ),
        (
            ScheduleSessionRequest {
                venue_name: "ask jo.bloggs@example.org".into(),
                ..at_venue()
            },
            "venue_name",
        ),
        (
            ScheduleSessionRequest {
                languages: vec!["English".into()],
                ..request()
            },
            "languages[0]",
        ),
        (
            ScheduleSessionRequest {
                languages: vec!["en".into(), "en".into()],
                ..request()
            },
            "languages[1]",
        ),
        (
            ScheduleSessionRequest {
                topics: vec![],
                ..request()
            },
            "topics",
        ),
        (
            ScheduleSessionRequest {
                topics: vec![99],
                ..request()
            },
            "topics[0]",
        ),
        (
            ScheduleSessionRequest {
                accessibility: vec![0],
                ..request()
            },
            "accessibility[0]",
        ),
        (
            ScheduleSessionRequest {
                target_groups: vec![42],
                ..request()
            },
            "target_groups[0]",
        ),
        (
            ScheduleSessionRequest {
                title: " ".into(),
                ..request()
            },
            "title",
        ),
        (
            ScheduleSessionRequest {
                description: "for 943 476 5919".into(),
                ..request()
            },
            "description",
        ),
        (
            ScheduleSessionRequest {
                partner_code: String::new(),
                ..request()
            },
            "partner_code",
        ),
        (
            ScheduleSessionRequest {
                icb_code: "Q E1".into(),
                ..request()
            },
            "icb_code",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(
            refused(ScheduleSession::try_from(request.clone())),
            invalid(field),
            "{request:?}"
        );
    }
}

#[test]
fn schedule_checks_the_tree_and_the_clock() {
    let cases: Vec<(ScheduleSessionRequest, (&str, String))> = vec![
        (
            ScheduleSessionRequest {
                starts_at: "2026-05-01T08:00:00Z".into(),
                ends_at: "2026-05-01T10:00:00Z".into(),
                ..request()
            },
            invalid("starts_at"),
        ),
        (
            ScheduleSessionRequest {
                partner_code: "A81002".into(),
                ..request()
            },
            invalid("partner_code"),
        ),
        (
            ScheduleSessionRequest {
                partner_code: "P-nobody".into(),
                ..request()
            },
            not_found("partner_code"),
        ),
        (
            ScheduleSessionRequest {
                icb_code: "QXX".into(),
                ..request()
            },
            not_found("icb_code"),
        ),
        (
            ScheduleSessionRequest {
                icb_code: "00L".into(),
                ..request()
            },
            invalid("icb_code"),
        ),
        (
            ScheduleSessionRequest {
                host_practice_code: "D84001".into(),
                ..request()
            },
            invalid("host_practice_code"),
        ),
        (
            ScheduleSessionRequest {
                host_practice_code: "A89999".into(),
                ..request()
            },
            not_found("host_practice_code"),
        ),
        (
            ScheduleSessionRequest {
                commissioner_code: "A81001".into(),
                ..request()
            },
            invalid("commissioner_code"),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            refused(schedule(request.clone(), &service())),
            expected,
            "{request:?}"
        );
    }
    assert!(
        schedule(
            ScheduleSessionRequest {
                commissioner_code: "QE1".into(),
                ..request()
            },
            &service()
        )
        .is_ok()
    );
}

// ---- ConfirmHosting / DeclineHosting ----

fn confirm() -> ConfirmHostingRequest {
    ConfirmHostingRequest {
        session_id: id(),
        note: "Room 2".into(),
        ..Default::default()
    }
}

fn decline() -> DeclineHostingRequest {
    DeclineHostingRequest {
        session_id: id(),
        reason: "No room that day".into(),
        ..Default::default()
    }
}

#[test]
fn the_host_practice_confirms_hosting_once() {
    let session = given(&[scheduled(10)]);
    let events = when(confirm(), |c| {
        session.confirm_hosting(c, &practice("A81001"))
    })
    .expect("confirmed");
    assert_eq!(
        events,
        vec![SessionEvent::from(HostingConfirmed {
            session_id: id(),
            host_practice_code: "A81001".into(),
            note: "Room 2".into(),
        })]
    );
    assert_eq!(events, vec![confirmed()]);
    let session = given(&[scheduled(10), confirmed()]);
    assert_eq!(session.hosting, Hosting::Confirmed);
    assert!(
        session
            .book_seat(referral("R-0001", 1), &practice("A81001"))
            .is_ok(),
        "a confirmed host takes bookings"
    );
    assert_eq!(
        refused(when(confirm(), |c| session
            .confirm_hosting(c, &practice("A81001")))),
        precondition("session_id")
    );
    assert_eq!(
        refused(when(decline(), |c| session
            .decline_hosting(c, &practice("A81001")))),
        precondition("session_id")
    );
}

#[test]
fn the_host_practice_declines_with_a_reason_and_bookings_stop() {
    let session = given(&[scheduled(10)]);
    assert_eq!(
        refused(when(
            DeclineHostingRequest {
                reason: String::new(),
                ..decline()
            },
            |c| session.decline_hosting(c, &practice("A81001"))
        )),
        invalid("reason")
    );
    let events = when(decline(), |c| {
        session.decline_hosting(c, &practice("A81001"))
    })
    .expect("declined");
    assert!(matches!(
        events.as_slice(),
        [SessionEvent::HostingDeclined(e)] if e.reason == "No room that day"
    ));
    let session = given(&[scheduled(10), declined()]);
    assert_eq!(session.hosting, Hosting::Declined);
    assert_eq!(
        refused(when(confirm(), |c| session
            .confirm_hosting(c, &practice("A81001")))),
        precondition("session_id")
    );
    assert_eq!(
        refused(session.book_seat(referral("R-0001", 1), &practice("A81001"))),
        precondition("session_id")
    );
}

#[test]
fn only_the_host_practice_or_those_above_it_answer() {
    let session = given(&[scheduled(10)]);
    for other in ["A81002", "D84001"] {
        assert_eq!(
            refused(when(confirm(), |c| session.confirm_hosting(c, &practice(other)))),
            forbidden(),
            "{other}"
        );
    }
    assert_eq!(
        refused(when(decline(), |c| session.decline_hosting(c, &partner()))),
        forbidden()
    );
    assert!(
        when(confirm(), |c| session
            .confirm_hosting(c, &ctx("U00001", Role::PcnLead)))
        .is_ok()
    );
}

#[test]
fn hosting_needs_a_live_session_with_a_host() {
    assert_eq!(
        refused(when(confirm(), |c| Session::default()
            .confirm_hosting(c, &service()))),
        not_found("session_id")
    );
    let venue = given(&schedule(at_venue(), &partner()).expect("scheduled"));
    // A venue has no host practice: no practice answers for it.
    assert_eq!(
        refused(when(confirm(), |c| venue.confirm_hosting(c, &practice("A81001")))),
        forbidden()
    );
    assert_eq!(
        refused(when(confirm(), |c| venue.confirm_hosting(c, &service()))),
        precondition("session_id")
    );
    let called_off = given(&[scheduled(10), session_cancelled()]);
    assert_eq!(
        refused(when(decline(), |c| called_off
            .decline_hosting(c, &practice("A81001")))),
        precondition("session_id")
    );
    let over = given(&[scheduled(10)]);
    assert_eq!(
        refused(when(confirm(), |c| over
            .confirm_hosting(c, &later(practice("A81001"), 30)))),
        precondition("session_id")
    );
}

// ---- BookSeat ----

#[test]
fn a_practice_books_places_for_someone_it_refers() {
    let session = given(&[scheduled(10)]);
    let referral = Referral::new(
        &SESSION.to_string(),
        "",
        SESSION,
        "A81001",
        2,
        "pl",
        &[AccessNeed::Wheelchair.into()],
    )
    .expect("valid");
    let events = session
        .book_seat(referral, &practice("A81001"))
        .expect("booked");
    assert_eq!(
        events,
        vec![SessionEvent::from(SeatBooked {
            session_id: id(),
            booking_reference: SESSION.to_string(),
            referring_organisation_code: "A81001".into(),
            places: 2,
            interpreter_language: "pl".into(),
            access_needs: vec![AccessNeed::Wheelchair.into()],
        })]
    );
    let session = given(&[scheduled(10), events[0].clone()]);
    assert_eq!(session.confirmed_places(), 2);
    assert_eq!(session.remaining_places(), 8);
    assert!(session.booking(&SESSION.to_string()).is_some());
}

#[test]
fn the_last_places_are_booked_and_then_the_session_is_full() {
    let session = given(&[scheduled(4), booked("R-0001", 3)]);
    assert_eq!(
        refused(session.book_seat(referral("R-0002", 2), &partner())),
        precondition("places")
    );
    let err = session
        .book_seat(referral("R-0002", 2), &partner())
        .expect_err("full");
    assert!(err.to_string().contains("full"), "{err}");
    assert!(err.to_string().contains("JoinWaitlist"), "{err}");
    assert!(session.book_seat(referral("R-0002", 1), &partner()).is_ok());
}

#[test]
fn booking_references_are_never_reused() {
    let session = given(&[scheduled(10), booked("R-0001", 1)]);
    assert_eq!(
        refused(session.book_seat(referral("R-0001", 1), &partner())),
        exists("booking_reference")
    );
    let session = given(&[
        scheduled(10),
        booked("R-0001", 1),
        cancelled_booking("R-0001"),
    ]);
    assert_eq!(
        refused(session.join_waitlist(referral("R-0001", 1), &partner())),
        exists("booking_reference")
    );
}

#[test]
fn bookings_need_a_live_session() {
    assert_eq!(
        refused(Session::default().book_seat(referral("R-0001", 1), &service())),
        not_found("session_id")
    );
    let called_off = given(&[scheduled(10), session_cancelled()]);
    assert_eq!(
        refused(called_off.book_seat(referral("R-0001", 1), &partner())),
        precondition("session_id")
    );
    let session = given(&[scheduled(10)]);
    // Started but not over: still bookable. Over: not.
    assert!(
        session
            .book_seat(referral("R-0001", 1), &later(partner(), 26))
            .is_ok()
    );
    assert_eq!(
        refused(session.book_seat(referral("R-0001", 1), &later(partner(), 27))),
        precondition("session_id")
    );
}

#[test]
fn who_may_book() {
    let session = given(&[scheduled(10)]);
    // The partner, for anyone's referral; the referring practice, for its own.
    assert!(
        session
            .book_seat(referral_from("A81002", "R-0001", 1), &partner())
            .is_ok()
    );
    assert!(
        session
            .book_seat(referral("R-0001", 1), &practice("A81001"))
            .is_ok()
    );
    // A practice cannot book in another practice's name, nor another partner.
    assert_eq!(
        refused(session.book_seat(referral("R-0001", 1), &practice("A81002"))),
        forbidden()
    );
    assert_eq!(
        refused(session.book_seat(
            referral("R-0001", 1),
            &ctx("P-york-digital", Role::PartnerCoordinator)
        )),
        forbidden()
    );
    assert_eq!(
        refused(session.book_seat(referral("R-0001", 1), &ctx("X24", Role::Auditor))),
        forbidden()
    );
    // The referring organisation must exist.
    assert_eq!(
        refused(session.book_seat(referral_from("A89999", "R-0001", 1), &partner())),
        not_found("referring_organisation_code")
    );
}

#[test]
fn referrals_refuse_bad_shapes_naming_the_field() {
    // (booking_reference, referring organisation, places, interpreter language), then
    // the field refused.
    let cases = [
        (("", "A81001", 0, ""), "places"),
        (("", "A81001", 11, ""), "places"),
        (("R 1", "A81001", 1, ""), "booking_reference"),
        (("R1", "A81001", 1, ""), "booking_reference"),
        (("9434765919", "A81001", 1, ""), "booking_reference"),
        (("", "", 1, ""), "referring_organisation_code"),
        (("", "A81001", 1, "Polish"), "interpreter_language"),
    ];
    for ((reference, referrer, places, language), field) in cases {
        assert_eq!(
            refused(Referral::new(
                &SESSION.to_string(),
                reference,
                Uuid::nil(),
                referrer,
                places,
                language,
                &[]
            )),
            invalid(field),
            "{field}"
        );
    }
    assert_eq!(
        refused(Referral::new(
            &SESSION.to_string(),
            "",
            Uuid::nil(),
            "A81001",
            1,
            "",
            &[0]
        )),
        invalid("access_needs[0]")
    );
    let chosen = Referral::new(
        &SESSION.to_string(),
        "LIB-2026-0042",
        SESSION,
        "A81001",
        1,
        "",
        &[],
    )
    .expect("ok");
    assert_eq!(chosen.booking_reference, "LIB-2026-0042");
}

// ---- JoinWaitlist ----

#[test]
fn a_full_session_takes_referrals_on_its_waitlist_in_order() {
    let session = given(&[scheduled(2), booked("R-0001", 2)]);
    let events = session
        .join_waitlist(referral("W-0001", 1), &practice("A81001"))
        .expect("joined");
    assert_eq!(events, vec![joined("W-0001", 1)]);
    let session = given(&[
        scheduled(2),
        booked("R-0001", 2),
        joined("W-0001", 1),
        joined("W-0002", 2),
    ]);
    let order: Vec<&str> = session
        .waitlist()
        .iter()
        .map(|b| b.reference.as_str())
        .collect();
    assert_eq!(order, ["W-0001", "W-0002"]);
    assert_eq!(session.waiting_places(), 3);
}

#[test]
fn joining_when_the_places_fit_confirms_them_at_once() {
    let session = given(&[scheduled(4), booked("R-0001", 2)]);
    let events = session
        .join_waitlist(referral("W-0001", 2), &partner())
        .expect("joined");
    assert_eq!(events, vec![joined("W-0001", 2), promoted("W-0001")]);
    let session = given(&[
        scheduled(4),
        booked("R-0001", 2),
        events[0].clone(),
        events[1].clone(),
    ]);
    assert_eq!(session.confirmed_places(), 4);
    assert!(session.waitlist().is_empty());
}

#[test]
fn the_waitlist_needs_a_live_session_and_the_right_caller() {
    let called_off = given(&[scheduled(1), session_cancelled()]);
    assert_eq!(
        refused(called_off.join_waitlist(referral("W-0001", 1), &partner())),
        precondition("session_id")
    );
    let session = given(&[scheduled(1), booked("R-0001", 1)]);
    assert_eq!(
        refused(session.join_waitlist(referral("W-0001", 1), &later(partner(), 30))),
        precondition("session_id")
    );
    assert_eq!(
        refused(session.join_waitlist(referral("W-0001", 1), &practice("D84001"))),
        forbidden()
    );
    assert_eq!(
        refused(session.join_waitlist(referral("R-0001", 1), &partner())),
        exists("booking_reference")
    );
    assert_eq!(
        refused(Session::default().join_waitlist(referral("W-0001", 1), &service())),
        not_found("session_id")
    );
}

// ---- CancelBooking ----

#[test]
fn cancelling_promotes_every_waiting_booking_that_fits_in_order() {
    // Capacity 4, full; waiting: 3 places, then 1, then 1.
    let session = given(&[
        scheduled(4),
        booked("R-0001", 2),
        booked("R-0002", 2),
        joined("W-0001", 3),
        joined("W-0002", 1),
        joined("W-0003", 1),
    ]);
    let events = when(cancel_booking("R-0001"), |c| {
        session.cancel_booking(c, &practice("A81001"))
    })
    .expect("cancelled");
    // Two places free: the head needs three, so the next two are promoted, in order.
    assert_eq!(
        events,
        vec![
            cancelled_booking("R-0001"),
            promoted("W-0002"),
            promoted("W-0003")
        ]
    );
    let mut history = vec![
        scheduled(4),
        booked("R-0001", 2),
        booked("R-0002", 2),
        joined("W-0001", 3),
        joined("W-0002", 1),
        joined("W-0003", 1),
    ];
    history.extend(events);
    let session = given(&history);
    assert_eq!(session.confirmed_places(), 4);
    assert_eq!(session.waitlist().len(), 1);
    assert_eq!(session.waitlist()[0].reference, "W-0001");
    // The promoted booking keeps its places and needs.
    assert_eq!(session.booking("W-0002").map(|b| b.places), Some(1));
}

#[test]
fn cancelling_a_waiting_booking_only_removes_it() {
    let session = given(&[
        scheduled(1),
        booked("R-0001", 1),
        joined("W-0001", 1),
        joined("W-0002", 1),
    ]);
    let events = when(cancel_booking("W-0001"), |c| {
        session.cancel_booking(c, &partner())
    })
    .expect("cancelled");
    assert_eq!(events, vec![cancelled_booking("W-0001")]);
    let session = given(&[
        scheduled(1),
        booked("R-0001", 1),
        joined("W-0001", 1),
        joined("W-0002", 1),
        cancelled_booking("W-0001"),
    ]);
    assert_eq!(session.waitlist().len(), 1);
    assert_eq!(session.confirmed_places(), 1);
}

#[test]
fn cancel_booking_refusals() {
    let session = given(&[
        scheduled(2),
        booked("R-0001", 1),
        cancelled_booking("R-0001"),
        booked("R-0002", 1),
    ]);
    let cancel = |c, ctx: &Context| session.cancel_booking(c, ctx);
    let identifying = CancelBookingRequest {
        reason: "patient 9434765919 moved".into(),
        ..cancel_booking("R-0002")
    };
    each_refused(
        &partner(),
        cancel,
        vec![
            (cancel_booking("R-9999"), not_found("booking_reference")),
            (cancel_booking(""), invalid("booking_reference")),
            (cancel_booking("R-0001"), precondition("booking_reference")),
            (identifying, invalid("reason")),
        ],
    );
    // Another practice may not cancel A81001's referral.
    let by_another = vec![(cancel_booking("R-0002"), forbidden())];
    each_refused(&practice("A81002"), cancel, by_another);
    let too_late = vec![(cancel_booking("R-0002"), precondition("session_id"))];
    each_refused(&later(partner(), 30), cancel, too_late);
    assert_eq!(
        refused(when(cancel_booking("R-0002"), |c| Session::default()
            .cancel_booking(c, &service()))),
        not_found("session_id")
    );
}

// ---- CancelSession ----

fn cancel_session(reason: &str) -> CancelSessionRequest {
    CancelSessionRequest {
        session_id: id(),
        reason: reason.into(),
        ..Default::default()
    }
}

#[test]
fn the_partner_cancels_a_session_and_then_everything_is_refused() {
    let session = given(&[scheduled(2), booked("R-0001", 1), joined("W-0001", 2)]);
    assert_eq!(
        refused(when(cancel_session(" "), |c| session.cancel(c, &partner()))),
        invalid("reason")
    );
    assert_eq!(
        refused(when(cancel_session("ill"), |c| session
            .cancel(c, &ctx("P-york-digital", Role::PartnerCoordinator)))),
        forbidden()
    );
    assert_eq!(
        refused(when(cancel_session("ill"), |c| session
            .cancel(c, &practice("A81001")))),
        forbidden()
    );
    let events = when(cancel_session("Trainer ill"), |c| {
        session.cancel(c, &partner())
    })
    .expect("cancelled");
    assert_eq!(
        events,
        vec![SessionEvent::from(SessionCancelled {
            session_id: id(),
            reason: "Trainer ill".into(),
        })]
    );
    let session = given(&[
        scheduled(2),
        booked("R-0001", 1),
        joined("W-0001", 2),
        session_cancelled(),
    ]);
    let precondition = precondition("session_id");
    assert_eq!(
        refused(when(cancel_session("again"), |c| session.cancel(c, &partner()))),
        precondition
    );
    assert_eq!(
        refused(session.book_seat(referral("R-0002", 1), &partner())),
        precondition
    );
    assert_eq!(
        refused(when(cancel_booking("R-0001"), |c| session
            .cancel_booking(c, &partner()))),
        precondition
    );
    assert_eq!(
        refused(when(confirm(), |c| session
            .confirm_hosting(c, &practice("A81001")))),
        precondition
    );
    assert_eq!(
        refused(when(attendance(0, 1, 0), |c| session
            .record_attendance(c, &later(partner(), 30)))),
        precondition
    );
}

#[test]
fn a_commissioner_cancels_within_its_area_and_a_past_session_stays() {
    let session = given(&[scheduled(2)]);
    assert!(
        when(cancel_session("funding"), |c| session
            .cancel(c, &ctx("QE1", Role::IcbCommissioner)))
        .is_ok()
    );
    assert_eq!(
        refused(when(cancel_session("funding"), |c| session
            .cancel(c, &ctx("QWO", Role::IcbCommissioner)))),
        forbidden()
    );
    assert_eq!(
        refused(when(cancel_session("late"), |c| session
            .cancel(c, &later(partner(), 30)))),
        precondition("session_id")
    );
    assert_eq!(
        refused(when(cancel_session("x"), |c| Session::default()
            .cancel(c, &service()))),
        not_found("session_id")
    );
}

// ---- RecordAttendance ----

#[test]
fn attendance_is_recorded_after_the_start_and_re_recording_replaces_it() {
    let history = [scheduled(10), booked("R-0001", 3), booked("R-0002", 2)];
    let session = given(&history);
    assert_eq!(
        refused(when(attendance(4, 1, 0), |c| session
            .record_attendance(c, &partner()))),
        precondition("session_id")
    );
    let during = later(partner(), 25);
    let first = when(
        RecordAttendanceRequest {
            registered_for_nhs_app: 3,
            notes: "Two needed help with proxy access".into(),
            ..attendance(6, 1, 2)
        },
        |c| session.record_attendance(c, &during),
    )
    .expect("recorded");
    assert!(matches!(
        first.as_slice(),
        [SessionEvent::AttendanceRecorded(e)] if e.attended == 6 && e.walk_ins == 2 && e.no_shows == 1
    ));
    let mut events = history.to_vec();
    events.extend(first);
    let session = given(&events);
    let second = when(attendance(5, 0, 0), |c| {
        session.record_attendance(c, &later(partner(), 48))
    })
    .expect("re-recorded");
    events.extend(second);
    let session = given(&events);
    assert_eq!(session.attendance.as_ref().map(|a| a.attended), Some(5));
    // A session that took place is not cancelled afterwards.
    assert_eq!(
        refused(when(cancel_session("x"), |c| session.cancel(c, &during))),
        precondition("session_id")
    );
}

#[test]
fn attendance_counts_must_add_up() {
    // 5 confirmed places.
    let session = given(&[scheduled(10), booked("R-0001", 3), booked("R-0002", 2)]);
    let during = later(partner(), 25);
    let cases = [
        (attendance(8, 0, 2), "attended"),
        (attendance(1, 0, 2), "walk_ins"),
        (attendance(3, 3, 0), "no_shows"),
        (attendance(0, 0, 1001), "walk_ins"),
        (
            RecordAttendanceRequest {
                registered_for_nhs_app: 4,
                ..attendance(3, 0, 0)
            },
            "registered_for_nhs_app",
        ),
        (
            RecordAttendanceRequest {
                set_up_proxy_access: 1,
                ..attendance(0, 5, 0)
            },
            "set_up_proxy_access",
        ),
        (
            RecordAttendanceRequest {
                notes: "ring 07700 900123".into(),
                ..attendance(3, 0, 0)
            },
            "notes",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(
            refused(when(request.clone(), |c| session.record_attendance(c, &during))),
            invalid(field),
            "{request:?}"
        );
    }
    assert!(
        when(attendance(7, 0, 2), |c| session
            .record_attendance(c, &during))
        .is_ok()
    );
    assert!(
        when(attendance(3, 2, 0), |c| session
            .record_attendance(c, &during))
        .is_ok()
    );
}

#[test]
fn only_the_partner_records_attendance() {
    let session = given(&[scheduled(10)]);
    let during = |ctx| later(ctx, 25);
    assert_eq!(
        refused(when(attendance(0, 0, 0), |c| session
            .record_attendance(c, &during(practice("A81001"))))),
        forbidden()
    );
    assert!(
        when(attendance(0, 0, 0), |c| session
            .record_attendance(c, &during(partner())))
        .is_ok()
    );
    assert_eq!(
        refused(when(attendance(0, 0, 0), |c| Session::default()
            .record_attendance(c, &during(service())))),
        not_found("session_id")
    );
}

// ---- The capacity rule, under any sequence of commands ----

#[derive(Debug, Clone)]
enum Op {
    Book(u32),
    Join(u32),
    /// Cancels the n-th reference handed out so far (modulo), live or not.
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..=4u32).prop_map(Op::Book),
        (1..=4u32).prop_map(Op::Join),
        any::<usize>().prop_map(Op::Cancel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn confirmed_places_never_exceed_capacity_and_the_waitlist_is_promoted_in_order(
        capacity in 1..=12u32,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let ctx = partner();
        let mut history = vec![scheduled(capacity)];
        let mut session = given(&history);
        let mut references: Vec<String> = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            let reference = format!("R-{i:04}");
            let result = match &op {
                Op::Book(places) => {
                    let result = session.book_seat(referral(&reference, *places), &ctx);
                    // Refused exactly when the places do not fit.
                    let fits = *places <= session.remaining_places();
                    prop_assert_eq!(result.is_ok(), fits, "{:?}", result);
                    if !fits {
                        prop_assert_eq!(refused(result.clone()), precondition("places"));
                    }
                    references.push(reference);
                    result
                }
                Op::Join(places) => {
                    references.push(reference.clone());
                    session.join_waitlist(referral(&reference, *places), &ctx)
                }
                Op::Cancel(n) if !references.is_empty() => {
                    let reference = &references[n % references.len()];
                    when(cancel_booking(reference), |c| session.cancel_booking(c, &ctx))
                }
                Op::Cancel(_) => continue,
            };
            let Ok(events) = result else { continue };
            // Promotions are the waiting bookings that fit, first fit from the head.
            let promoted: Vec<&str> = events
                .iter()
                .filter_map(|e| match e {
                    SessionEvent::WaitlistPromoted(p) => Some(p.booking_reference.as_str()),
                    _ => None,
                })
                .collect();
            if let Op::Cancel(_) = op {
                let mut after_cancel = session.clone();
                after_cancel.apply(&events[0]);
                let mut free = after_cancel.remaining_places();
                let mut expected = Vec::new();
                for waiting in after_cancel.waitlist() {
                    if waiting.places <= free {
                        free -= waiting.places;
                        expected.push(waiting.reference.as_str());
                    }
                }
                prop_assert_eq!(&promoted, &expected);
            }
            for event in &events {
                session.apply(event);
            }
            history.extend(events);
            prop_assert!(
                session.confirmed_places() <= capacity,
                "{} confirmed of {}",
                session.confirmed_places(),
                capacity
            );
            // Nobody waits while places that fit them are free.
            let remaining = session.remaining_places();
            prop_assert!(session.waitlist().iter().all(|w| w.places > remaining));
        }
        // Replaying the log rebuilds the same state.
        prop_assert_eq!(given(&history), session);
    }
}

#[test]
fn a_partner_books_only_on_its_own_sessions_whoever_it_names_as_referrer() {
    let session = given(&[scheduled(10), booked("R-0001", 1)]);
    let other = ctx("P-york-digital", Role::PartnerCoordinator);
    for referrer in ["P-york-digital", "A81001", PARTNER] {
        let referral = referral_from(referrer, "R-0002", 1);
        assert_eq!(
            refused(session.book_seat(referral.clone(), &other)),
            forbidden(),
            "{referrer}"
        );
        assert_eq!(
            refused(session.join_waitlist(referral, &other)),
            forbidden(),
            "{referrer}"
        );
    }
    let cancel = CancelBookingRequest {
        session_id: SESSION.to_string(),
        booking_reference: "R-0001".into(),
        ..Default::default()
    };
    assert_eq!(
        refused(when(cancel.clone(), |c| session.cancel_booking(c, &other))),
        forbidden()
    );
    // The partner running it books for any referrer and cancels any booking.
    assert!(
        session
            .book_seat(referral_from("D84001", "R-0003", 1), &partner())
            .is_ok()
    );
    assert!(when(cancel, |c| session.cancel_booking(c, &partner())).is_ok());
}

#[test]
fn a_practice_refers_only_for_itself_on_sessions_of_its_icb() {
    let session = given(&[scheduled(10)]);
    // Another ICB's practice, naming itself.
    assert_eq!(
        refused(session.book_seat(referral_from("D84001", "R-0101", 1), &practice("D84001"))),
        forbidden()
    );
    // A practice of the ICB, naming another practice.
    assert_eq!(
        refused(session.book_seat(referral_from("A81001", "R-0102", 1), &practice("A81002"))),
        forbidden()
    );
    assert!(
        session
            .book_seat(referral_from("A81002", "R-0103", 1), &practice("A81002"))
            .is_ok()
    );
    // A PCN lead refers for its practices, on sessions of its ICB only.
    let lead = ctx("U00004", Role::PcnLead);
    assert_eq!(
        refused(session.book_seat(referral_from("D84001", "R-0104", 1), &lead)),
        forbidden()
    );
}

#[test]
fn an_outsider_cannot_tell_a_missing_session_or_booking_from_another_partners() {
    let existing = given(&[scheduled(10), booked("R-0001", 1)]);
    let missing = Session::default();
    let outsider = ctx("P-york-digital", Role::PartnerCoordinator);
    let message = |session: &Session, reference: &str| {
        session
            .book_seat(referral_from("P-york-digital", reference, 1), &outsider)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(message(&existing, "R-0109"), message(&missing, "R-0109"));
    let cancel = |session: &Session, reference: &str, ctx: &Context| {
        when(
            CancelBookingRequest {
                session_id: SESSION.to_string(),
                booking_reference: reference.into(),
                ..Default::default()
            },
            |c| session.cancel_booking(c, ctx),
        )
        .expect_err("refused")
        .to_string()
    };
    // A practice probing references: another's and a made-up one answer alike.
    let prober = practice("A81002");
    assert_eq!(
        cancel(&existing, "R-0001", &prober),
        cancel(&existing, "R-0002", &prober)
    );
    assert_eq!(
        cancel(&existing, "R-0001", &outsider),
        cancel(&missing, "R-0001", &outsider)
    );
    // Only a caller who could act anywhere learns that it does not exist.
    assert_eq!(
        refused(missing.book_seat(referral("R-0109", 1), &service())),
        not_found("session_id")
    );
}
