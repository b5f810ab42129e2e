//! The gateway folds session events for its views, and the domain folds the same events
//! to decide bookings: random histories, of the kind the domain's rules can record, must
//! give the same places, waiting places, hosting and cancellation through both.

use domain::Aggregate;
use domain::session::{Hosting as DomainHosting, Session as DomainSession, SessionEvent};
use proptest::prelude::*;
use proto::v1 as pb;

use super::{Hosting, Sessions};
use crate::model::GatewayEvent;

const SESSION: &str = "5e551011-0000-4000-8000-000000000001";

/// One step of a history, its choices resolved against the state so far.
#[derive(Debug, Clone)]
enum Step {
    Confirm,
    Decline,
    Book(u32),
    Join(u32),
    /// Promotes the n-th waiting booking (mod the waitlist's length).
    Promote(usize),
    /// Cancels the n-th live booking (mod their number).
    Cancel(usize),
    CancelSession,
    Attendance(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Confirm),
        1 => Just(Step::Decline),
        4 => (1u32..4).prop_map(Step::Book),
        3 => (1u32..4).prop_map(Step::Join),
        3 => any::<usize>().prop_map(Step::Promote),
        3 => any::<usize>().prop_map(Step::Cancel),
        1 => Just(Step::CancelSession),
        1 => (0u32..20).prop_map(Step::Attendance),
    ]
}

/// The events of a history the domain could have recorded: references are never reused,
/// only a waiting booking is promoted, and only a live booking is cancelled.
fn events(capacity: u32, at_practice: bool, steps: &[Step]) -> Vec<SessionEvent> {
    let mut events = vec![SessionEvent::from(pb::SessionScheduled {
        session_id: SESSION.into(),
        partner_code: "P-leeds-libraries".into(),
        icb_code: "QE1".into(),
        host_practice_code: if at_practice {
            "A81001".into()
        } else {
            String::new()
        },
        capacity,
        starts_at: "2026-05-13T10:00:00Z".into(),
        ends_at: "2026-05-13T12:00:00Z".into(),
        ..Default::default()
    })];
    let (mut waiting, mut live): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for (i, step) in steps.iter().enumerate() {
        let reference = format!("REF-{i}");
        let booking = |places| (reference.clone(), places);
        events.push(match step {
            Step::Confirm => pb::HostingConfirmed {
                session_id: SESSION.into(),
                ..Default::default()
            }
            .into(),
            Step::Decline => pb::HostingDeclined {
                session_id: SESSION.into(),
                ..Default::default()
            }
            .into(),
            Step::Book(places) => {
                let (reference, places) = booking(*places);
                live.push(reference.clone());
                pb::SeatBooked {
                    session_id: SESSION.into(),
                    booking_reference: reference,
                    referring_organisation_code: "A81001".into(),
                    places,
                    ..Default::default()
                }
                .into()
            }
            Step::Join(places) => {
                let (reference, places) = booking(*places);
                waiting.push(reference.clone());
                live.push(reference.clone());
                pb::WaitlistJoined {
                    session_id: SESSION.into(),
                    booking_reference: reference,
                    referring_organisation_code: "A81001".into(),
                    places,
                    ..Default::default()
                }
                .into()
            }
            Step::Promote(n) if !waiting.is_empty() => {
                let reference = waiting.remove(n % waiting.len());
                pb::WaitlistPromoted {
                    session_id: SESSION.into(),
                    booking_reference: reference,
                }
                .into()
            }
            Step::Cancel(n) if !live.is_empty() => {
                let reference = live.remove(n % live.len());
                waiting.retain(|w| *w != reference);
                pb::BookingCancelled {
                    session_id: SESSION.into(),
                    booking_reference: reference,
                    ..Default::default()
                }
                .into()
            }
            Step::Promote(_) | Step::Cancel(_) => continue,
            Step::CancelSession => pb::SessionCancelled {
                session_id: SESSION.into(),
                reason: "venue closed".into(),
            }
            .into(),
            Step::Attendance(attended) => pb::AttendanceRecorded {
                session_id: SESSION.into(),
                attended: *attended,
                ..Default::default()
            }
            .into(),
        });
    }
    events
}

/// The same event as the gateway decodes it.
fn gateway_event(event: &SessionEvent) -> GatewayEvent {
    match event.clone() {
        SessionEvent::SessionScheduled(e) => e.into(),
        SessionEvent::HostingConfirmed(e) => e.into(),
        SessionEvent::HostingDeclined(e) => e.into(),
        SessionEvent::SeatBooked(e) => e.into(),
        SessionEvent::BookingCancelled(e) => e.into(),
        SessionEvent::WaitlistJoined(e) => e.into(),
        SessionEvent::WaitlistPromoted(e) => e.into(),
        SessionEvent::SessionCancelled(e) => e.into(),
        SessionEvent::AttendanceRecorded(e) => e.into(),
    }
}

proptest! {
    #[test]
    fn random_histories_give_the_same_counts_through_the_domain_and_the_gateway(
        capacity in 1u32..12,
        at_practice in any::<bool>(),
        steps in prop::collection::vec(step(), 0..40),
    ) {
        let history = events(capacity, at_practice, &steps);
        let mut domain = DomainSession::default();
        let mut gateway = Sessions::default();
        for event in &history {
            domain.apply(event);
            gateway.apply(&gateway_event(event));
        }
        let session = &gateway.sessions[SESSION];
        prop_assert_eq!(session.confirmed_places(), domain.confirmed_places());
        prop_assert_eq!(session.waiting_places(), domain.waiting_places());
        prop_assert_eq!(session.capacity, domain.capacity);
        prop_assert_eq!(session.cancelled.is_some(), domain.cancelled);
        // What the views count: nothing once cancelled, and a cancelled session is not full.
        let live = !domain.cancelled;
        prop_assert_eq!(session.booked(), if live { domain.confirmed_places() } else { 0 });
        prop_assert_eq!(session.waitlisted(), if live { domain.waiting_places() } else { 0 });
        prop_assert_eq!(
            session.is_full(),
            live && domain.confirmed_places() >= domain.capacity
        );
        let hosting = match domain.hosting {
            DomainHosting::Venue => Hosting::NotNeeded,
            DomainHosting::Pending => Hosting::Pending,
            DomainHosting::Confirmed => Hosting::Confirmed,
            DomainHosting::Declined => Hosting::Declined,
        };
        prop_assert_eq!(session.hosting, hosting);
        prop_assert_eq!(
            session.attendance.as_ref().map(|a| a.attended),
            domain.attendance.as_ref().map(|a| a.attended)
        );
    }
}
