//! The world under attack, built through gRPC by the `service` role and the
//! organisations themselves:
//!
//! ```text
//! X24 (national)
//! ├── Y56 (region) ── QE1 (ICB) ── 00L (sub-ICB) ── U00001 (PCN) ── A81001, A81002
//! │                        └── P-leeds-libraries (partner)
//! ├── Y63 (region) ── QWO (ICB) ── 01A (sub-ICB) ── U00002 (PCN) ── B82001
//! │                        └── P-york-digital (partner)
//! └── V-nhs-app, V-other-app (providers)
//! ```
//!
//! Leeds Libraries runs four sessions in QE1 tomorrow (`open`, `full`, `spare` at a
//! library, `hosted` at A81001); A81001 has bookings on them. Each provider has a
//! platform with one issue reported by a QE1 practice. A duty is owned by A81001 for
//! U00001 (accepted) and proposed to A81002 (pending). Two plain streams hold test
//! events for the `history` attacks.

use std::time::{Duration, Instant};

use auth::Role;
use handlers::testing::{TREE, registration};
use proto::v1 as pb;
use serde_json::Value;

use super::tools::{Target, http_exchange};
use crate::support::{append_request, event};

pub const LEEDS: &str = "P-leeds-libraries";
pub const YORK: &str = "P-york-digital";
pub const FIXTURE_SUB: &str = "attack-fixture";

/// Ids of what the fixture made.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Capacity 100, with A81001's bookings `victim` and `probe`.
    pub open_session: String,
    /// Capacity 1, filled by A81001.
    pub full_session: String,
    /// Capacity 10, for attacks that would call it off.
    pub spare_session: String,
    /// Hosted at A81001, not yet confirmed.
    pub hosted_session: String,
    /// A81001's booking on `open`, for cancel attacks.
    pub victim_booking: String,
    /// A81001's booking on `open`, for existence probes.
    pub probe_booking: String,
    pub nhs_platform: String,
    /// Reported by A81001 on V-nhs-app's platform.
    pub nhs_issue: String,
    /// Reported by A81002 on V-other-app's platform.
    pub other_issue: String,
    pub duty: String,
    /// Area U00001, assignee A81001, accepted.
    pub accepted_assignment: String,
    /// Area U00001, assignee A81002, pending.
    pub pending_assignment: String,
    /// A plain stream of 50 test events.
    pub bulk_stream: String,
    /// A plain stream of 1 test event.
    pub small_stream: String,
}

/// `hour`:00 UTC tomorrow, as RFC 3339.
pub fn tomorrow(hour: u32) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    format!("{day}T{hour:02}:00:00Z")
}

/// Tomorrow's date in words, e.g. "4 July 2026": how a session date is written in text.
pub fn tomorrow_in_words() -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    day.format("%-d %B %Y").to_string()
}

/// This ISO week, e.g. "2026-W14".
pub fn this_week() -> String {
    use chrono::Datelike;
    let week = chrono::Utc::now().date_naive().iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// A Leeds Libraries session in QE1 tomorrow at the library.
pub fn session_request(capacity: u32, title: &str) -> pb::ScheduleSessionRequest {
    pb::ScheduleSessionRequest {
        partner_code: LEEDS.into(),
        icb_code: "QE1".into(),
        venue_name: "Hyde Park library".into(),
        venue_postcode_district: "LS6".into(),
        starts_at: tomorrow(10),
        ends_at: tomorrow(12),
        capacity,
        topics: vec![pb::DigitalService::NhsApp.into()],
        languages: vec!["en".into()],
        title: title.into(),
        description: "Bring your phone; we help you sign up and order repeats".into(),
        ..Default::default()
    }
}

/// A booking of one place referred by `referrer`.
pub fn booking(session_id: &str, referrer: &str) -> pb::BookSeatRequest {
    pb::BookSeatRequest {
        session_id: session_id.into(),
        referring_organisation_code: referrer.into(),
        places: 1,
        ..Default::default()
    }
}

/// A place on the waitlist of `session` referred by `referrer`.
pub fn waitlist(session: &str, referrer: &str) -> pb::JoinWaitlistRequest {
    pb::JoinWaitlistRequest {
        session_id: session.into(),
        referring_organisation_code: referrer.into(),
        places: 1,
        ..Default::default()
    }
}

/// Cancelling booking `reference` on `session`.
pub fn cancel(session: &str, reference: &str) -> pb::CancelBookingRequest {
    pb::CancelBookingRequest {
        session_id: session.into(),
        booking_reference: reference.into(),
        reason: "Cannot come".into(),
        ..Default::default()
    }
}

/// A week of facilitation at `practice` with `notes`.
pub fn facilitation(practice: &str, notes: &str) -> pb::RecordFacilitationRequest {
    pb::RecordFacilitationRequest {
        practice_code: practice.into(),
        week: this_week(),
        mode: pb::FacilitationMode::Proactive.into(),
        service: pb::DigitalService::NhsApp.into(),
        channel: pb::FacilitationChannel::FaceToFace.into(),
        delivered_by: pb::StaffRole::Receptionist.into(),
        patients_supported: 12,
        notes: notes.into(),
        ..Default::default()
    }
}

/// An issue on `platform` reported for `practice`.
pub fn issue(platform: &str, practice: &str, description: &str) -> pb::ReportUsabilityIssueRequest {
    pb::ReportUsabilityIssueRequest {
        platform_id: platform.into(),
        practice_code: practice.into(),
        category: pb::UsabilityIssueCategory::ProxyAccess.into(),
        severity: pb::IssueSeverity::High.into(),
        description: description.into(),
        service: pb::DigitalService::NhsApp.into(),
        ..Default::default()
    }
}

fn ok<T>(what: &str, result: Result<tonic::Response<T>, tonic::Status>) -> T {
    result
        .unwrap_or_else(|status| panic!("fixture: {what}: {status}"))
        .into_inner()
}

impl Fixture {
    pub async fn build(t: &Target) -> Fixture {
        let service = [Role::Service];
        let mut icb = t.icb(FIXTURE_SUB, "X24", &service);
        for organisation in TREE {
            let code = organisation.0;
            ok(
                code,
                icb.register_organisation(registration(organisation)).await,
            );
        }

        // Sessions, run by Leeds Libraries' own coordinator.
        let mut leeds = t.partner(FIXTURE_SUB, LEEDS, &[Role::PartnerCoordinator]);
        let mut schedule = async |request: pb::ScheduleSessionRequest| {
            ok("schedule", leeds.schedule_session(request).await).aggregate_id
        };
        let open_session = schedule(session_request(100, "NHS App drop-in")).await;
        let full_session = schedule(session_request(1, "One-to-one NHS App help")).await;
        let spare_session = schedule(session_request(10, "Online prescriptions clinic")).await;
        let hosted_session = schedule(pb::ScheduleSessionRequest {
            host_practice_code: "A81001".into(),
            venue_name: String::new(),
            venue_postcode_district: String::new(),
            ..session_request(10, "NHS App help at the surgery")
        })
        .await;

        // A81001 books for the people it refers.
        let mut a81001 = t.partner(FIXTURE_SUB, "A81001", &[Role::PracticeManager]);
        let mut book = async |session: &str| {
            ok("book", a81001.book_seat(booking(session, "A81001")).await).created_id
        };
        let victim_booking = book(&open_session).await;
        let probe_booking = book(&open_session).await;
        book(&full_session).await;

        // Platforms and issues.
        let register = async |provider: &str, name: &str| {
            ok(
                "register platform",
                t.provider(FIXTURE_SUB, provider, &[Role::ProviderAdmin])
                    .register_platform(pb::RegisterPlatformRequest {
                        provider_code: provider.into(),
                        name: name.into(),
                        category: pb::PlatformCategory::PatientApp.into(),
                        services: vec![pb::DigitalService::NhsApp.into()],
                        description: "An app patients use".into(),
                        ..Default::default()
                    })
                    .await,
            )
            .aggregate_id
        };
        let nhs_platform = register("V-nhs-app", "NHS App").await;
        let other_platform = register("V-other-app", "Other App").await;
        let report = async |platform: &str, practice: &str| {
            ok(
                "report issue",
                t.provider(FIXTURE_SUB, practice, &[Role::PracticeManager])
                    .report_usability_issue(issue(
                        platform,
                        practice,
                        "Carers cannot find where to switch to the person they help",
                    ))
                    .await,
            )
            .aggregate_id
        };
        let nhs_issue = report(&nhs_platform, "A81001").await;
        let other_issue = report(&other_platform, "A81002").await;

        // A duty, owned by A81001 for its PCN, and proposed to A81002.
        let duty = ok(
            "define duty",
            icb.define_duty(pb::DefineDutyRequest {
                title: "NHS App sign-up support".into(),
                description: "Help patients register for the NHS App".into(),
                required_levels: vec![pb::Level::Local.into()],
                ..Default::default()
            })
            .await,
        )
        .aggregate_id;
        let mut propose = async |assignee: &str| {
            ok(
                "propose",
                icb.propose_responsibility(pb::ProposeResponsibilityRequest {
                    duty_id: duty.clone(),
                    area_code: "U00001".into(),
                    level: pb::Level::Local.into(),
                    assignee_code: assignee.into(),
                    role: pb::RaciRole::Responsible.into(),
                    note: "Please take this on".into(),
                    ..Default::default()
                })
                .await,
            )
            .aggregate_id
        };
        let accepted_assignment = propose("A81001").await;
        let pending_assignment = propose("A81002").await;
        ok(
            "accept",
            t.icb(FIXTURE_SUB, "A81001", &[Role::PracticeManager])
                .accept_responsibility(pb::AcceptResponsibilityRequest {
                    assignment_id: accepted_assignment.clone(),
                    ..Default::default()
                })
                .await,
        );

        // Plain streams for the `history` attacks.
        let mut log = t.log_with(&super::tools::mint(FIXTURE_SUB, "X24", &[Role::Service]));
        let bulk_stream = "attack-bulk".to_owned();
        let small_stream = "attack-small".to_owned();
        ok(
            "append bulk",
            log.append(append_request(
                &bulk_stream,
                pb::expected_version::Kind::NoStream,
                (0..50).map(|i| event(format!("bulk {i}"))).collect(),
            ))
            .await,
        );
        let head = ok(
            "append small",
            log.append(append_request(
                &small_stream,
                pb::expected_version::Kind::NoStream,
                vec![event("one")],
            ))
            .await,
        )
        .last_position;

        wait_for_views(t, head).await;
        Fixture {
            open_session,
            full_session,
            spare_session,
            hosted_session,
            victim_booking,
            probe_booking,
            nhs_platform,
            nhs_issue,
            other_issue,
            duty,
            accepted_assignment,
            pending_assignment,
            bulk_stream,
            small_stream,
        }
    }
}

/// Waits until the gateway's read model has folded the log up to `head`.
pub async fn wait_for_views(t: &Target, head: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = http_exchange(
            &t.http_addr,
            "GET",
            "/metrics",
            None,
            None,
            Duration::from_secs(5),
        )
        .await
        .map(|r| r.body)
        .unwrap_or_default();
        let position = metrics
            .lines()
            .find_map(|l| l.strip_prefix("difacto_gateway_read_model_position "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        if position as u64 >= head {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the read model stayed at {position} below the log's head {head}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `data` of a GraphQL answer, or `Null`.
pub fn data(answer: &Result<Value, String>) -> Value {
    answer
        .as_ref()
        .map(|a| a["data"].clone())
        .unwrap_or(Value::Null)
}
