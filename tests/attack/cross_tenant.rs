//! Family 1, cross-tenant writes (DESIGN §6, issue 8 item 1): every role is checked
//! against its own target, never against "any of the organisations named". Each attack
//! runs as a subject of its own; it leaks when the call succeeds or when any event with
//! that subject reaches the log.

use auth::Role;
use proto::v1 as pb;
use serde_json::json;

use super::fixture::{
    Fixture, LEEDS, YORK, booking, cancel, facilitation, issue, session_request, waitlist,
};
use super::tools::{Tally, Target, graphql, mint, ws_execute};

const BOOK_SEAT: &str = "mutation($input: BookSeatInput!) { bookSeat(input: $input) { aggregateId createdId eventIds } }";

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("1 cross-tenant writes", "xt");
    let coordinator = [Role::PartnerCoordinator];
    let manager = [Role::PracticeManager];

    // A partner coordinator on another partner's session, naming itself or anyone.
    for referrer in [YORK, "A81001", LEEDS] {
        let sub = tally.subject();
        let r = t
            .partner(&sub, YORK, &coordinator)
            .book_seat(booking(&f.open_session, referrer))
            .await;
        tally.refused(
            format!("{YORK} books on {LEEDS}'s session for {referrer}"),
            &sub,
            &r,
        );
    }
    for referrer in [YORK, "A81001"] {
        let sub = tally.subject();
        let r = t
            .partner(&sub, YORK, &coordinator)
            .join_waitlist(waitlist(&f.full_session, referrer))
            .await;
        tally.refused(
            format!("{YORK} joins the waitlist of {LEEDS}'s session for {referrer}"),
            &sub,
            &r,
        );
    }
    let sub = tally.subject();
    let r = t
        .partner(&sub, YORK, &coordinator)
        .cancel_booking(cancel(&f.open_session, &f.victim_booking))
        .await;
    tally.refused(
        format!("{YORK} cancels A81001's booking on {LEEDS}'s session"),
        &sub,
        &r,
    );
    let sub = tally.subject();
    let r = t
        .partner(&sub, YORK, &coordinator)
        .schedule_session(session_request(5, "Not ours to run"))
        .await;
    tally.refused(format!("{YORK} schedules a session as {LEEDS}"), &sub, &r);
    let sub = tally.subject();
    let r = t
        .partner(&sub, YORK, &coordinator)
        .cancel_session(pb::CancelSessionRequest {
            session_id: f.spare_session.clone(),
            reason: "Venue double-booked".into(),
            ..Default::default()
        })
        .await;
    tally.refused(format!("{YORK} calls off {LEEDS}'s session"), &sub, &r);

    // A practice on a session in another ICB, naming itself.
    for role in [Role::PracticeManager, Role::PracticeStaff] {
        let sub = tally.subject();
        let r = t
            .partner(&sub, "B82001", &[role])
            .book_seat(booking(&f.open_session, "B82001"))
            .await;
        tally.refused(
            format!(
                "B82001 ({}) books on a QE1 session for itself",
                role.as_str()
            ),
            &sub,
            &r,
        );
    }
    let sub = tally.subject();
    let r = t
        .partner(&sub, "B82001", &manager)
        .join_waitlist(waitlist(&f.full_session, "B82001"))
        .await;
    tally.refused("B82001 joins a QE1 session's waitlist for itself", &sub, &r);

    // A practice naming another organisation as the referrer.
    for referrer in ["A81001", LEEDS, "U00001"] {
        let sub = tally.subject();
        let r = t
            .partner(&sub, "A81002", &manager)
            .book_seat(booking(&f.open_session, referrer))
            .await;
        tally.refused(
            format!("A81002 books naming {referrer} as referrer"),
            &sub,
            &r,
        );
    }
    let sub = tally.subject();
    let r = t
        .partner(&sub, "A81002", &manager)
        .join_waitlist(waitlist(&f.full_session, "A81001"))
        .await;
    tally.refused(
        "A81002 joins a waitlist naming A81001 as referrer",
        &sub,
        &r,
    );
    let sub = tally.subject();
    let r = t
        .partner(&sub, "A81002", &manager)
        .cancel_booking(cancel(&f.open_session, &f.victim_booking))
        .await;
    tally.refused("A81002 cancels A81001's booking", &sub, &r);

    // A PCN lead outside the session's ICB, or naming a practice outside its PCN.
    for referrer in ["B82001", "A81001", "U00002"] {
        let sub = tally.subject();
        let r = t
            .partner(&sub, "U00002", &[Role::PcnLead])
            .book_seat(booking(&f.open_session, referrer))
            .await;
        tally.refused(
            format!("U00002's PCN lead books on a QE1 session for {referrer}"),
            &sub,
            &r,
        );
    }

    // Hosting is the host practice's to answer.
    for org in ["A81002", "B82001"] {
        let sub = tally.subject();
        let r = t
            .partner(&sub, org, &manager)
            .confirm_hosting(pb::ConfirmHostingRequest {
                session_id: f.hosted_session.clone(),
                note: "Room 2".into(),
                ..Default::default()
            })
            .await;
        tally.refused(format!("{org} confirms hosting A81001's session"), &sub, &r);
    }
    let sub = tally.subject();
    let r = t
        .partner(&sub, "A81002", &manager)
        .decline_hosting(pb::DeclineHostingRequest {
            session_id: f.hosted_session.clone(),
            reason: "No room".into(),
            ..Default::default()
        })
        .await;
    tally.refused("A81002 declines hosting A81001's session", &sub, &r);

    // A provider answering, or announcing on, another provider's platform.
    let admin = [Role::ProviderAdmin];
    let sub = tally.subject();
    let r = t
        .provider(&sub, "V-other-app", &admin)
        .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
            issue_id: f.nhs_issue.clone(),
            note: "Looking into it".into(),
            ..Default::default()
        })
        .await;
    tally.refused("V-other-app acknowledges V-nhs-app's issue", &sub, &r);
    let sub = tally.subject();
    let r = t
        .provider(&sub, "V-other-app", &admin)
        .resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
            issue_id: f.nhs_issue.clone(),
            resolution: "Fixed".into(),
            ..Default::default()
        })
        .await;
    tally.refused("V-other-app resolves V-nhs-app's issue", &sub, &r);
    let sub = tally.subject();
    let r = t
        .provider(&sub, "V-other-app", &admin)
        .announce_platform_change(pb::AnnouncePlatformChangeRequest {
            platform_id: f.nhs_platform.clone(),
            effective_date: "2099-06-01".into(),
            roles_affected: vec![pb::StaffRole::Receptionist.into()],
            retraining_required: true,
            summary: "A new menu".into(),
            ..Default::default()
        })
        .await;
    tally.refused(
        "V-other-app announces a change to V-nhs-app's platform",
        &sub,
        &r,
    );
    let sub = tally.subject();
    let r = t
        .provider(&sub, "V-other-app", &admin)
        .register_platform(pb::RegisterPlatformRequest {
            provider_code: "V-nhs-app".into(),
            name: "NHS App (fake)".into(),
            category: pb::PlatformCategory::PatientApp.into(),
            services: vec![pb::DigitalService::NhsApp.into()],
            ..Default::default()
        })
        .await;
    tally.refused("V-other-app registers a platform as V-nhs-app", &sub, &r);
    let sub = tally.subject();
    let r = t
        .provider(&sub, "B82001", &manager)
        .report_usability_issue(issue(&f.nhs_platform, "A81001", "Slow to load"))
        .await;
    tally.refused("B82001 reports an issue as A81001", &sub, &r);

    // Recording for a practice one does not act for.
    for (org, role) in [("U00002", Role::PcnLead), ("B82001", Role::PracticeManager)] {
        let sub = tally.subject();
        let r = t
            .practice(&sub, org, &[role])
            .record_facilitation(facilitation("A81001", "Helped at reception"))
            .await;
        tally.refused(
            format!("{org} ({}) records facilitation for A81001", role.as_str()),
            &sub,
            &r,
        );
    }

    // Ending an assignment from outside both its area (U00001) and its assignee (A81001).
    for (org, role) in [
        ("B82001", Role::PracticeManager),
        ("A81002", Role::PracticeManager),
        (YORK, Role::PartnerCoordinator),
        ("QWO", Role::IcbCommissioner),
        ("U00002", Role::PcnLead),
        ("V-other-app", Role::ProviderAdmin),
    ] {
        let sub = tally.subject();
        let r = t
            .icb(&sub, org, &[role])
            .end_responsibility(pb::EndResponsibilityRequest {
                assignment_id: f.accepted_assignment.clone(),
                reason: "No longer needed".into(),
                ..Default::default()
            })
            .await;
        tally.refused(
            format!("{org} ({}) ends A81001's assignment", role.as_str()),
            &sub,
            &r,
        );
    }
    // Answering a proposal made to someone else.
    for org in ["A81001", "B82001"] {
        let sub = tally.subject();
        let r = t
            .icb(&sub, org, &manager)
            .accept_responsibility(pb::AcceptResponsibilityRequest {
                assignment_id: f.pending_assignment.clone(),
                ..Default::default()
            })
            .await;
        tally.refused(
            format!("{org} accepts the proposal made to A81002"),
            &sub,
            &r,
        );
    }
    let sub = tally.subject();
    let r = t
        .icb(&sub, "A81001", &manager)
        .decline_responsibility(pb::DeclineResponsibilityRequest {
            assignment_id: f.pending_assignment.clone(),
            reason: "Not for us".into(),
            ..Default::default()
        })
        .await;
    tally.refused("A81001 declines the proposal made to A81002", &sub, &r);
    let sub = tally.subject();
    let r = t
        .icb(&sub, "QWO", &[Role::IcbCommissioner])
        .propose_responsibility(pb::ProposeResponsibilityRequest {
            duty_id: f.duty.clone(),
            area_code: "U00001".into(),
            level: pb::Level::Local.into(),
            assignee_code: "QWO".into(),
            role: pb::RaciRole::Accountable.into(),
            ..Default::default()
        })
        .await;
    tally.refused("QWO proposes for U00001, outside its area", &sub, &r);

    // The same booking attack through GraphQL, over HTTP and over a websocket.
    let sub = tally.subject();
    let input = json!({ "input": {
        "sessionId": f.open_session, "referringOrganisationCode": YORK, "places": 1 } });
    let answer = graphql(
        &t.http_addr,
        Some(&mint(&sub, YORK, &coordinator)),
        BOOK_SEAT,
        input,
        std::time::Duration::from_secs(20),
    )
    .await;
    tally.refused_graphql(
        format!("{YORK} books on {LEEDS}'s session through GraphQL over HTTP"),
        &sub,
        "bookSeat",
        &answer,
    );
    let sub = tally.subject();
    let input = json!({ "input": {
        "sessionId": f.open_session, "referringOrganisationCode": "A81001", "places": 1 } });
    let answer = ws_execute(
        &t.http_addr,
        &mint(&sub, YORK, &coordinator),
        BOOK_SEAT,
        input,
    )
    .await;
    tally.refused_graphql(
        format!("{YORK} books on {LEEDS}'s session for A81001 over a websocket"),
        &sub,
        "bookSeat",
        &answer,
    );

    // Controls: those the policy does admit still get through.
    let legit = tally.subject();
    let r = t
        .partner(&legit, LEEDS, &coordinator)
        .book_seat(booking(&f.open_session, LEEDS))
        .await;
    tally.control_ok(
        format!("{LEEDS} books a self-referral on its own session"),
        r,
    );
    let r = t
        .partner(&legit, "A81002", &manager)
        .book_seat(booking(&f.open_session, "A81002"))
        .await;
    tally.control_ok("A81002 books for itself on a session in its ICB", r);
    let r = t
        .partner(&legit, "U00001", &[Role::PcnLead])
        .book_seat(booking(&f.open_session, "A81002"))
        .await;
    tally.control_ok("U00001's PCN lead books for its practice A81002", r);
    let r = t
        .provider(&legit, "V-nhs-app", &admin)
        .acknowledge_usability_issue(pb::AcknowledgeUsabilityIssueRequest {
            issue_id: f.nhs_issue.clone(),
            note: "Looking into it".into(),
            ..Default::default()
        })
        .await;
    tally.control_ok("V-nhs-app acknowledges its own issue", r);
    let answer = ws_execute(
        &t.http_addr,
        &mint(&legit, "A81001", &manager),
        BOOK_SEAT,
        json!({ "input": {
            "sessionId": f.open_session, "referringOrganisationCode": "A81001", "places": 1 } }),
    )
    .await;
    let booked = answer
        .as_ref()
        .ok()
        .and_then(|a| a["data"]["bookSeat"]["createdId"].as_str())
        .is_some();
    tally.control(
        "A81001 books for itself over a websocket",
        (!booked).then(|| format!("{answer:?}")),
    );

    t.check_log(&mut tally).await;
    tally.finish()
}
