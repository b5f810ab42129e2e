//! Commissioning over real gRPC: a commissioner pays a partner for sessions in an area,
//! and the partner may then refer the people it supports to any session its commission
//! reaches, for as long as the commission runs.

use auth::Role;
use proto::v1 as pb;
use tonic::Code;

use crate::support::{Harness, assert_rejected};

/// Tomorrow 10:00 to 12:00 at `host`, run by Leeds Libraries for QE1.
fn session(host: &str) -> pb::ScheduleSessionRequest {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    pb::ScheduleSessionRequest {
        partner_code: "P-leeds-libraries".into(),
        icb_code: "QE1".into(),
        host_practice_code: host.into(),
        starts_at: format!("{day}T10:00:00Z"),
        ends_at: format!("{day}T12:00:00Z"),
        capacity: 10,
        topics: vec![pb::DigitalService::NhsApp.into()],
        title: "NHS App help".into(),
        ..Default::default()
    }
}

/// York Digital referring two people it supports to `session`.
fn york_books(session: &str, reference: &str) -> pb::BookSeatRequest {
    pb::BookSeatRequest {
        session_id: session.into(),
        booking_reference: reference.into(),
        referring_organisation_code: "P-york-digital".into(),
        places: 2,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_commissioned_partner_books_on_sessions_its_commission_reaches() {
    let h = Harness::with_tree().await;
    let leeds = h.partner("P-leeds-libraries", &[Role::PartnerCoordinator]);
    let scheduled = |host| {
        let mut leeds = leeds.clone();
        async move {
            leeds
                .schedule_session(session(host))
                .await
                .expect("scheduled")
                .into_inner()
                .aggregate_id
        }
    };
    let in_pcn = scheduled("A81001").await;
    let mut york = h.partner("P-york-digital", &[Role::PartnerCoordinator]);

    // Without a commission, York may not refer to Leeds' session.
    let denied = york.book_seat(york_books(&in_pcn, "YORK-1")).await;
    assert_rejected(denied, Code::PermissionDenied, "");

    // QE1 commissions York for sessions in PCN U00001.
    let mut commissioner = h.icb("QE1", &[Role::IcbCommissioner]);
    let today = chrono::Utc::now().date_naive();
    let commission = commissioner
        .commission_partner(pb::CommissionPartnerRequest {
            commissioner_code: "QE1".into(),
            partner_code: "P-york-digital".into(),
            area_code: "U00001".into(),
            ends_on: (today + chrono::Days::new(90)).to_string(),
            sessions_promised: 6,
            ..Default::default()
        })
        .await
        .expect("commissioned")
        .into_inner();
    assert!(!commission.created_id.is_empty());

    let booked = york.book_seat(york_books(&in_pcn, "YORK-1")).await;
    assert!(booked.is_ok(), "{booked:?}");
    // Naming someone else as the referrer grants nothing.
    let for_a_practice = pb::BookSeatRequest {
        referring_organisation_code: "A81001".into(),
        ..york_books(&in_pcn, "YORK-2")
    };
    let denied = york.book_seat(for_a_practice).await;
    assert_rejected(denied, Code::PermissionDenied, "");
    // York cancels its own booking.
    let cancelled = york
        .cancel_booking(pb::CancelBookingRequest {
            session_id: in_pcn.clone(),
            booking_reference: "YORK-1".into(),
            reason: "moved away".into(),
            ..Default::default()
        })
        .await;
    assert!(cancelled.is_ok(), "{cancelled:?}");

    // The commission ends today: tomorrow's session is out of its reach.
    commissioner
        .end_commission(pb::EndCommissionRequest {
            commission_id: commission.created_id.clone(),
            reason: "budget moved".into(),
            ..Default::default()
        })
        .await
        .expect("ended");
    let denied = york.book_seat(york_books(&in_pcn, "YORK-3")).await;
    assert_rejected(denied, Code::PermissionDenied, "");
    let again = commissioner
        .end_commission(pb::EndCommissionRequest {
            commission_id: commission.created_id,
            reason: "budget moved".into(),
            ..Default::default()
        })
        .await;
    assert_rejected(again, Code::FailedPrecondition, "commission_id");
}

#[tokio::test]
async fn commissions_are_checked_and_scoped() {
    let h = Harness::with_tree().await;
    let request = |area: &str, commissioner: &str| pb::CommissionPartnerRequest {
        commissioner_code: commissioner.into(),
        partner_code: "P-york-digital".into(),
        area_code: area.into(),
        ends_on: "2099-01-01".into(),
        sessions_promised: 6,
        ..Default::default()
    };
    let mut qe1 = h.icb("QE1", &[Role::IcbCommissioner]);
    // Another ICB's area, and money that is not QE1's.
    for (area, commissioner) in [("U00002", "QE1"), ("U00001", "QWO")] {
        let denied = qe1.commission_partner(request(area, commissioner)).await;
        assert_rejected(denied, Code::PermissionDenied, "");
    }
    let bad = pb::CommissionPartnerRequest {
        sessions_promised: 0,
        ..request("U00001", "QE1")
    };
    assert_rejected(
        qe1.commission_partner(bad).await,
        Code::InvalidArgument,
        "sessions_promised",
    );
    let not_a_partner = pb::CommissionPartnerRequest {
        partner_code: "A81002".into(),
        ..request("U00001", "QE1")
    };
    assert_rejected(
        qe1.commission_partner(not_a_partner).await,
        Code::InvalidArgument,
        "partner_code",
    );
    let head = h.head().await;
    let unknown = qe1
        .end_commission(pb::EndCommissionRequest {
            commission_id: uuid::Uuid::new_v4().to_string(),
            reason: "none".into(),
            ..Default::default()
        })
        .await;
    assert_rejected(unknown, Code::PermissionDenied, "");
    assert_eq!(h.head().await, head, "refusals change nothing");
}
