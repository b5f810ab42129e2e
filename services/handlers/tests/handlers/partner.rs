//! PartnerService over real gRPC: sessions, hosting, bookings, the waitlist, and the race
//! for the last places.

use std::collections::BTreeSet;

use crate::support::{Harness, assert_denied, assert_rejected, sent_twice};
use auth::Role;
use domain::session::{Session, SessionEvent};
use domain::{Aggregate, EventSet};
use eventlog::RecordedEvent;
use proto::v1 as pb;
use tonic::Code;

const PARTNER: &str = "P-leeds-libraries";

/// `hour`:00 UTC tomorrow, as RFC 3339.
fn tomorrow(hour: u32) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    format!("{day}T{hour:02}:00:00Z")
}

/// Tomorrow 10:00 to 12:00 at practice A81001 in QE1, run by Leeds Libraries.
fn schedule_request(capacity: u32) -> pb::ScheduleSessionRequest {
    pb::ScheduleSessionRequest {
        partner_code: PARTNER.into(),
        icb_code: "QE1".into(),
        host_practice_code: "A81001".into(),
        starts_at: tomorrow(10),
        ends_at: tomorrow(12),
        capacity,
        topics: vec![pb::DigitalService::NhsApp.into()],
        languages: vec!["en".into(), "ur".into()],
        accessibility: vec![pb::AccessNeed::Wheelchair.into()],
        target_groups: vec![pb::PatientGroup::OlderPeople.into()],
        title: "NHS App help at the surgery".into(),
        description: "Bring your phone; we help you sign up and order repeats".into(),
        ..Default::default()
    }
}

async fn schedule(h: &Harness, capacity: u32) -> String {
    h.partner(PARTNER, &[Role::PartnerCoordinator])
        .schedule_session(schedule_request(capacity))
        .await
        .expect("scheduled")
        .into_inner()
        .aggregate_id
}

fn booking(session_id: &str, places: u32) -> pb::BookSeatRequest {
    pb::BookSeatRequest {
        session_id: session_id.into(),
        referring_organisation_code: "A81001".into(),
        places,
        ..Default::default()
    }
}

fn waitlist(session_id: &str, places: u32) -> pb::JoinWaitlistRequest {
    pb::JoinWaitlistRequest {
        session_id: session_id.into(),
        referring_organisation_code: "A81001".into(),
        places,
        ..Default::default()
    }
}

/// The session's stored events, in order, decoded.
async fn session_events(h: &Harness, session_id: &str) -> Vec<(RecordedEvent, SessionEvent)> {
    let stream = format!("session-{session_id}");
    h.events()
        .await
        .into_iter()
        .filter(|e| e.stream == stream)
        .map(|e| {
            let event = SessionEvent::decode(&e.event_type, &e.payload)
                .expect("decodes")
                .expect("a session event");
            (e, event)
        })
        .collect()
}

fn type_names(events: &[(RecordedEvent, SessionEvent)]) -> Vec<&str> {
    events
        .iter()
        .map(|(e, _)| e.event_type.trim_start_matches("difacto.v1."))
        .collect()
}

/// The session as its stored events fold.
fn fold(events: &[(RecordedEvent, SessionEvent)]) -> Session {
    let mut session = Session::default();
    for (_, event) in events {
        session.apply(event);
    }
    session
}

#[tokio::test]
async fn a_session_is_booked_cancelled_and_its_waitlist_promoted() {
    let h = Harness::with_tree().await;
    let id = schedule(&h, 3).await;
    let mut host = h.partner("A81001", &[Role::PracticeManager]);
    host.confirm_hosting(pb::ConfirmHostingRequest {
        session_id: id.clone(),
        note: "Meeting room 2".into(),
        ..Default::default()
    })
    .await
    .expect("hosting confirmed");

    // The practice books two places, then one more; the session is then full.
    let first = host
        .book_seat(booking(&id, 2))
        .await
        .expect("booked")
        .into_inner();
    assert!(!first.created_id.is_empty(), "a reference is generated");
    host.book_seat(pb::BookSeatRequest {
        booking_reference: "LIB-0002".into(),
        ..booking(&id, 1)
    })
    .await
    .expect("booked");
    assert_rejected(
        host.book_seat(booking(&id, 1)).await,
        Code::FailedPrecondition,
        "places",
    );
    let waiting = host
        .join_waitlist(pb::JoinWaitlistRequest {
            booking_reference: "WAIT-0001".into(),
            interpreter_language: "ur".into(),
            ..waitlist(&id, 2)
        })
        .await
        .expect("on the waitlist")
        .into_inner();
    assert_eq!(waiting.created_id, "WAIT-0001");

    // Cancelling the first booking frees two places: the waitlist's head takes them.
    let cancelled = host
        .cancel_booking(pb::CancelBookingRequest {
            session_id: id.clone(),
            booking_reference: first.created_id.clone(),
            reason: "Feeling unwell".into(),
            ..Default::default()
        })
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(
        cancelled.event_ids.len(),
        2,
        "one append: cancel and promote"
    );

    let events = session_events(&h, &id).await;
    assert_eq!(
        type_names(&events),
        [
            "SessionScheduled",
            "HostingConfirmed",
            "SeatBooked",
            "SeatBooked",
            "WaitlistJoined",
            "BookingCancelled",
            "WaitlistPromoted",
        ]
    );
    let versions: Vec<u64> = events.iter().map(|(e, _)| e.version).collect();
    assert_eq!(versions, (0..7).collect::<Vec<u64>>());
    match &events[2].1 {
        SessionEvent::SeatBooked(e) => {
            assert_eq!(e.booking_reference, first.created_id);
            assert_eq!(e.places, 2);
        }
        other => panic!("{other:?}"),
    }
    match &events[6].1 {
        SessionEvent::WaitlistPromoted(e) => assert_eq!(e.booking_reference, "WAIT-0001"),
        other => panic!("{other:?}"),
    }
    let (booked, _) = &events[2];
    assert_eq!(
        booked.metadata.get("organisation").map(String::as_str),
        Some("A81001")
    );
    let session = fold(&events);
    assert_eq!(session.confirmed_places(), 3);
    assert!(session.waitlist().is_empty());
    assert_eq!(
        session
            .booking("WAIT-0001")
            .map(|b| b.interpreter_language.as_str()),
        Some("ur")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_confirm_exactly_the_capacity() {
    let h = Harness::with_tree().await;
    let id = schedule(&h, 10).await;
    let client = h.partner("A81001", &[Role::PracticeManager]);

    let mut race = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let mut client = client.clone();
        let request = booking(&id, 1);
        race.spawn(async move { client.book_seat(request).await });
    }
    let mut winners = BTreeSet::new();
    let mut losers = 0;
    while let Some(result) = race.join_next().await {
        match result.expect("task") {
            Ok(response) => {
                winners.insert(response.into_inner().created_id);
            }
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert!(status.message().starts_with("places"), "{status:?}");
                assert!(status.message().contains("JoinWaitlist"), "{status:?}");
                losers += 1;
            }
        }
    }
    assert_eq!(winners.len(), 10, "exactly the capacity is confirmed");
    assert_eq!(losers, 190);

    let events = session_events(&h, &id).await;
    let booked: BTreeSet<String> = events
        .iter()
        .filter_map(|(_, e)| match e {
            SessionEvent::SeatBooked(b) => Some(b.booking_reference.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(booked, winners, "ten SeatBooked, one per winner");
    assert_eq!(type_names(&events).len(), 11);

    // The losers join the waitlist, concurrently too.
    let mut joins = tokio::task::JoinSet::new();
    for _ in 0..losers {
        let mut client = client.clone();
        let request = waitlist(&id, 1);
        joins.spawn(async move { client.join_waitlist(request).await });
    }
    while let Some(result) = joins.join_next().await {
        result.expect("task").expect("joined the waitlist");
    }

    // One confirmed booking is cancelled: exactly one promotion, of the waitlist's head.
    let cancelled = winners.first().cloned().expect("a winner");
    client
        .clone()
        .cancel_booking(pb::CancelBookingRequest {
            session_id: id.clone(),
            booking_reference: cancelled,
            ..Default::default()
        })
        .await
        .expect("cancelled");
    let events = session_events(&h, &id).await;
    let count = |name: &str| type_names(&events).iter().filter(|t| **t == name).count();
    assert_eq!(count("SeatBooked"), 10);
    assert_eq!(count("WaitlistJoined"), 190);
    assert_eq!(count("BookingCancelled"), 1);
    assert_eq!(count("WaitlistPromoted"), 1);
    let head = events
        .iter()
        .find_map(|(_, e)| match e {
            SessionEvent::WaitlistJoined(j) => Some(j.booking_reference.clone()),
            _ => None,
        })
        .expect("a waitlist");
    match &events.last().expect("events").1 {
        SessionEvent::WaitlistPromoted(p) => assert_eq!(p.booking_reference, head),
        other => panic!("{other:?}"),
    }
    let session = fold(&events);
    assert_eq!(session.confirmed_places(), 10);
    assert_eq!(session.waitlist().len(), 189);
}

#[tokio::test]
async fn denials_store_nothing() {
    let h = Harness::with_tree().await;
    let id = schedule(&h, 5).await;
    let mut leeds = h.partner(PARTNER, &[Role::PartnerCoordinator]);
    leeds
        .book_seat(pb::BookSeatRequest {
            booking_reference: "LIB-0001".into(),
            ..booking(&id, 1)
        })
        .await
        .expect("the partner books for a practice's referral");
    let head = h.head().await;

    // A partner cannot schedule for another partner.
    let mut york = h.partner("P-york-digital", &[Role::PartnerCoordinator]);
    assert_denied(
        york.schedule_session(schedule_request(5)).await,
        "another partner's session",
    );
    // A practice in another ICB, or another practice in the same PCN, cannot answer for
    // the host.
    let confirm = pb::ConfirmHostingRequest {
        session_id: id.clone(),
        ..Default::default()
    };
    for practice in ["B82001", "A81002"] {
        let answer = h
            .partner(practice, &[Role::PracticeManager])
            .confirm_hosting(confirm.clone())
            .await;
        assert_denied(answer, &format!("{practice} is not the host"));
    }
    // A practice books and cancels only its own referrals; the other partner neither.
    let mut other_practice = h.partner("A81002", &[Role::PracticeManager]);
    assert_denied(
        other_practice.book_seat(booking(&id, 1)).await,
        "in another practice's name",
    );
    let cancel = pb::CancelBookingRequest {
        session_id: id.clone(),
        booking_reference: "LIB-0001".into(),
        ..Default::default()
    };
    assert_denied(
        other_practice.cancel_booking(cancel.clone()).await,
        "not its referral",
    );
    assert_denied(
        york.cancel_session(pb::CancelSessionRequest {
            session_id: id.clone(),
            reason: "not ours".into(),
            ..Default::default()
        })
        .await,
        "not its session",
    );
    // An auditor only reads.
    assert_denied(
        h.partner("X24", &[Role::Auditor])
            .book_seat(booking(&id, 1))
            .await,
        "auditors never write",
    );
    assert_eq!(h.head().await, head, "no denial recorded anything");

    // The referring practice itself may cancel.
    h.partner("A81001", &[Role::PracticeManager])
        .cancel_booking(cancel)
        .await
        .expect("its own referral");
}

#[tokio::test]
async fn bad_input_names_the_field_and_stores_nothing() {
    let h = Harness::with_tree().await;
    let id = schedule(&h, 5).await;
    let head = h.head().await;
    let mut partner = h.partner(PARTNER, &[Role::PartnerCoordinator]);
    assert_rejected(
        partner
            .schedule_session(pb::ScheduleSessionRequest {
                capacity: 0,
                ..schedule_request(5)
            })
            .await,
        Code::InvalidArgument,
        "capacity",
    );
    assert_rejected(
        partner
            .schedule_session(pb::ScheduleSessionRequest {
                ends_at: tomorrow(9),
                ..schedule_request(5)
            })
            .await,
        Code::InvalidArgument,
        "ends_at",
    );
    assert_rejected(
        partner
            .schedule_session(pb::ScheduleSessionRequest {
                host_practice_code: String::new(),
                venue_name: "Hyde Park library".into(),
                venue_postcode_district: "LS6 2AB".into(),
                ..schedule_request(5)
            })
            .await,
        Code::InvalidArgument,
        "venue_postcode_district",
    );
    assert_rejected(
        partner
            .schedule_session(pb::ScheduleSessionRequest {
                title: "Help for 943 476 5919".into(),
                ..schedule_request(5)
            })
            .await,
        Code::InvalidArgument,
        "title",
    );
    assert_rejected(
        partner
            .schedule_session(pb::ScheduleSessionRequest {
                session_id: id.clone(),
                ..schedule_request(5)
            })
            .await,
        Code::AlreadyExists,
        "session_id",
    );
    assert_rejected(
        partner.book_seat(booking("not-a-uuid", 1)).await,
        Code::InvalidArgument,
        "session_id",
    );
    // A session that does not exist is judged like another partner's: denied, so that
    // nobody but a service learns which sessions exist.
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_rejected(
        partner.book_seat(booking(&unknown, 1)).await,
        Code::PermissionDenied,
        "user@P-leeds-libraries (P-leeds-libraries) may not",
    );
    assert_rejected(
        partner
            .record_attendance(pb::RecordAttendanceRequest {
                session_id: unknown,
                ..Default::default()
            })
            .await,
        Code::PermissionDenied,
        "user@P-leeds-libraries (P-leeds-libraries) may not",
    );
    assert_rejected(
        partner.book_seat(booking(&id, 11)).await,
        Code::InvalidArgument,
        "places",
    );
    assert_rejected(
        partner
            .cancel_booking(pb::CancelBookingRequest {
                session_id: id.clone(),
                booking_reference: "NOPE-0001".into(),
                ..Default::default()
            })
            .await,
        Code::NotFound,
        "booking_reference",
    );
    // Attendance waits for the session to start.
    assert_rejected(
        partner
            .record_attendance(pb::RecordAttendanceRequest {
                session_id: id.clone(),
                ..Default::default()
            })
            .await,
        Code::FailedPrecondition,
        "session_id",
    );
    assert_eq!(h.head().await, head, "nothing was recorded");
}

#[tokio::test]
async fn re_sent_requests_return_the_same_result_and_record_nothing() {
    let h = Harness::with_tree().await;
    let mut partner = h.partner(PARTNER, &[Role::PartnerCoordinator]);
    let schedule = pb::ScheduleSessionRequest {
        request_id: "schedule-1".into(),
        ..schedule_request(1)
    };
    let scheduled = sent_twice!(h, partner.schedule_session(schedule));

    // A booking with a generated reference: the re-send gets the same reference back,
    // even though the session has been full since the first send.
    let mut practice = h.partner("A81001", &[Role::PracticeManager]);
    let book = pb::BookSeatRequest {
        request_id: "book-1".into(),
        ..booking(&scheduled.aggregate_id, 1)
    };
    let booked = sent_twice!(h, practice.book_seat(book));
    assert!(!booked.created_id.is_empty());

    // Without the request id, the same booking is a new one: and the session is full.
    assert_rejected(
        practice
            .book_seat(booking(&scheduled.aggregate_id, 1))
            .await,
        Code::FailedPrecondition,
        "places",
    );
}

#[tokio::test]
async fn a_cancelled_session_refuses_everything_after() {
    let h = Harness::with_tree().await;
    let id = schedule(&h, 5).await;
    let mut partner = h.partner(PARTNER, &[Role::PartnerCoordinator]);
    partner
        .join_waitlist(waitlist(&id, 2))
        .await
        .expect("places free: confirmed at once");
    assert_rejected(
        partner
            .cancel_session(pb::CancelSessionRequest {
                session_id: id.clone(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "reason",
    );
    partner
        .cancel_session(pb::CancelSessionRequest {
            session_id: id.clone(),
            reason: "Trainer unwell".into(),
            ..Default::default()
        })
        .await
        .expect("cancelled");
    assert_rejected(
        partner.book_seat(booking(&id, 1)).await,
        Code::FailedPrecondition,
        "session_id",
    );
    assert_rejected(
        h.partner("A81001", &[Role::PracticeManager])
            .decline_hosting(pb::DeclineHostingRequest {
                session_id: id.clone(),
                reason: "No longer needed".into(),
                ..Default::default()
            })
            .await,
        Code::FailedPrecondition,
        "session_id",
    );
    let events = session_events(&h, &id).await;
    assert_eq!(
        type_names(&events),
        [
            "SessionScheduled",
            "WaitlistJoined",
            "WaitlistPromoted",
            "SessionCancelled"
        ]
    );
}

/// A client whose token has `subject` acting for `org` with `roles`.
fn partner_as(
    h: &Harness,
    subject: &str,
    org: &str,
    roles: &[Role],
) -> pb::partner_service_client::PartnerServiceClient<crate::support::Authed> {
    h.caller(subject, org, roles).partner()
}

#[tokio::test]
async fn a_request_id_is_answered_only_to_the_same_subject_organisation_and_roles() {
    let h = Harness::with_tree().await;
    let scheduled = h
        .partner(PARTNER, &[Role::PartnerCoordinator])
        .schedule_session(schedule_request(5))
        .await
        .expect("scheduled")
        .into_inner();
    let book = pb::BookSeatRequest {
        request_id: "shared-1".into(),
        ..booking(&scheduled.aggregate_id, 1)
    };
    let booked = partner_as(&h, "jo", "A81001", &[Role::PracticeManager])
        .book_seat(book.clone())
        .await
        .expect("booked")
        .into_inner();
    // The same subject acting for another organisation, or as an auditor, is judged
    // anew: refused, and never handed the first booking's reference.
    for (org, roles) in [
        ("B82001", &[Role::PracticeManager][..]),
        ("A81001", &[Role::Auditor][..]),
        ("X24", &[Role::Auditor][..]),
    ] {
        let head = h.head().await;
        let answer = partner_as(&h, "jo", org, roles)
            .book_seat(book.clone())
            .await;
        match answer {
            Err(status) => {
                assert_eq!(status.code(), Code::PermissionDenied, "{org}: {status:?}");
                assert!(!status.message().contains(&booked.created_id));
            }
            Ok(reply) => panic!("{org} {roles:?} got {:?}", reply.into_inner()),
        }
        assert_eq!(h.head().await, head, "nothing was recorded for {org}");
    }
    // The same caller gets its original answer.
    let again = partner_as(&h, "jo", "A81001", &[Role::PracticeManager])
        .book_seat(book)
        .await
        .expect("re-sent")
        .into_inner();
    assert_eq!(again.created_id, booked.created_id);
    assert_eq!(again.event_ids, booked.event_ids);
}

#[tokio::test]
async fn a_request_id_is_an_opaque_key() {
    let h = Harness::with_tree().await;
    let mut partner = h.partner(PARTNER, &[Role::PartnerCoordinator]);
    for bad in ["jo@example.com", "has space", &"r".repeat(65)] {
        let result = partner
            .schedule_session(pb::ScheduleSessionRequest {
                request_id: bad.to_owned(),
                ..schedule_request(5)
            })
            .await;
        assert_rejected(result, Code::InvalidArgument, "request_id");
    }
}
