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
use super::tools::{Tally, Target, attack, graphql, mint, succeeded, ws_execute};

const BOOK_SEAT: &str = "mutation($input: BookSeatInput!) { bookSeat(input: $input) { aggregateId createdId eventIds } }";

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("1 cross-tenant writes", "xt");
    let coordinator = [Role::PartnerCoordinator];
    let manager = [Role::PracticeManager];

    // A partner coordinator on another partner's session, naming itself or anyone.
    for referrer in [YORK, "A81001", LEEDS] {
        attack!(
            t,
            tally,
            format!("{YORK} books on {LEEDS}'s session for {referrer}"),
            partner(YORK, &coordinator).book_seat(booking(&f.open_session, referrer)),
            succeeded,
        );
    }
    for referrer in [YORK, "A81001"] {
        attack!(
            t,
            tally,
            format!("{YORK} joins the waitlist of {LEEDS}'s session for {referrer}"),
            partner(YORK, &coordinator).join_waitlist(waitlist(&f.full_session, referrer)),
            succeeded,
        );
    }
    attack!(
        t,
        tally,
        format!("{YORK} cancels A81001's booking on {LEEDS}'s session"),
        partner(YORK, &coordinator).cancel_booking(cancel(&f.open_session, &f.victim_booking)),
        succeeded,
    );
    attack!(
        t,
        tally,
        format!("{YORK} schedules a session as {LEEDS}"),
        partner(YORK, &coordinator).schedule_session(session_request(5, "Not ours to run")),
        succeeded,
    );
    attack!(
        t,
        tally,
        format!("{YORK} calls off {LEEDS}'s session"),
        partner(YORK, &coordinator).cancel_session(pb::CancelSessionRequest {
            session_id: f.spare_session.clone(),
            reason: "Venue double-booked".into(),
            ..Default::default()
        }),
        succeeded,
    );

    // A practice on a session in another ICB, naming itself.
    for role in [Role::PracticeManager, Role::PracticeStaff] {
        attack!(
            t,
            tally,
            format!(
                "B82001 ({}) books on a QE1 session for itself",
                role.as_str()
            ),
            partner("B82001", &[role]).book_seat(booking(&f.open_session, "B82001")),
            succeeded,
        );
    }
    attack!(
        t,
        tally,
        "B82001 joins a QE1 session's waitlist for itself",
        partner("B82001", &manager).join_waitlist(waitlist(&f.full_session, "B82001")),
        succeeded,
    );

    // A practice naming another organisation as the referrer.
    for referrer in ["A81001", LEEDS, "U00001"] {
        attack!(
            t,
            tally,
            format!("A81002 books naming {referrer} as referrer"),
            partner("A81002", &manager).book_seat(booking(&f.open_session, referrer)),
            succeeded,
        );
    }
    attack!(
        t,
        tally,
        "A81002 joins a waitlist naming A81001 as referrer",
        partner("A81002", &manager).join_waitlist(waitlist(&f.full_session, "A81001")),
        succeeded,
    );
    attack!(
        t,
        tally,
        "A81002 cancels A81001's booking",
        partner("A81002", &manager).cancel_booking(cancel(&f.open_session, &f.victim_booking)),
        succeeded,
    );

    // A PCN lead outside the session's ICB, or naming a practice outside its PCN.
    for referrer in ["B82001", "A81001", "U00002"] {
        attack!(
            t,
            tally,
            format!("U00002's PCN lead books on a QE1 session for {referrer}"),
            partner("U00002", &[Role::PcnLead]).book_seat(booking(&f.open_session, referrer)),
            succeeded,
        );
    }

    // Hosting is the host practice's to answer.
    for org in ["A81002", "B82001"] {
        attack!(
            t,
            tally,
            format!("{org} confirms hosting A81001's session"),
            partner(org, &manager).confirm_hosting(pb::ConfirmHostingRequest {
                session_id: f.hosted_session.clone(),
                note: "Room 2".into(),
                ..Default::default()
            }),
            succeeded,
        );
    }
    attack!(
        t,
        tally,
        "A81002 declines hosting A81001's session",
        partner("A81002", &manager).decline_hosting(pb::DeclineHostingRequest {
            session_id: f.hosted_session.clone(),
            reason: "No room".into(),
            ..Default::default()
        }),
        succeeded,
    );

    // A provider answering, or announcing on, another provider's platform.
    let admin = [Role::ProviderAdmin];
    attack!(
        t,
        tally,
        "V-other-app acknowledges V-nhs-app's issue",
        provider("V-other-app", &admin).acknowledge_usability_issue(
            pb::AcknowledgeUsabilityIssueRequest {
                issue_id: f.nhs_issue.clone(),
                note: "Looking into it".into(),
                ..Default::default()
            }
        ),
        succeeded,
    );
    attack!(
        t,
        tally,
        "V-other-app resolves V-nhs-app's issue",
        provider("V-other-app", &admin).resolve_usability_issue(pb::ResolveUsabilityIssueRequest {
            issue_id: f.nhs_issue.clone(),
            resolution: "Fixed".into(),
            ..Default::default()
        }),
        succeeded,
    );
    attack!(
        t,
        tally,
        "V-other-app announces a change to V-nhs-app's platform",
        provider("V-other-app", &admin).announce_platform_change(
            pb::AnnouncePlatformChangeRequest {
                platform_id: f.nhs_platform.clone(),
                effective_date: "2099-06-01".into(),
                roles_affected: vec![pb::StaffRole::Receptionist.into()],
                retraining_required: true,
                summary: "A new menu".into(),
                ..Default::default()
            }
        ),
        succeeded,
    );
    attack!(
        t,
        tally,
        "V-other-app registers a platform as V-nhs-app",
        provider("V-other-app", &admin).register_platform(pb::RegisterPlatformRequest {
            provider_code: "V-nhs-app".into(),
            name: "NHS App (fake)".into(),
            category: pb::PlatformCategory::PatientApp.into(),
            services: vec![pb::DigitalService::NhsApp.into()],
            ..Default::default()
        }),
        succeeded,
    );
    attack!(
        t,
        tally,
        "B82001 reports an issue as A81001",
        provider("B82001", &manager).report_usability_issue(issue(
            &f.nhs_platform,
            "A81001",
            "Slow to load"
        )),
        succeeded,
    );

    // Recording for a practice one does not act for.
    for (org, role) in [("U00002", Role::PcnLead), ("B82001", Role::PracticeManager)] {
        attack!(
            t,
            tally,
            format!("{org} ({}) records facilitation for A81001", role.as_str()),
            practice(org, &[role])
                .record_facilitation(facilitation("A81001", "Helped at reception")),
            succeeded,
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
        attack!(
            t,
            tally,
            format!("{org} ({}) ends A81001's assignment", role.as_str()),
            icb(org, &[role]).end_responsibility(pb::EndResponsibilityRequest {
                assignment_id: f.accepted_assignment.clone(),
                reason: "No longer needed".into(),
                ..Default::default()
            }),
            succeeded,
        );
    }
    // Answering a proposal made to someone else.
    for org in ["A81001", "B82001"] {
        attack!(
            t,
            tally,
            format!("{org} accepts the proposal made to A81002"),
            icb(org, &manager).accept_responsibility(pb::AcceptResponsibilityRequest {
                assignment_id: f.pending_assignment.clone(),
                ..Default::default()
            }),
            succeeded,
        );
    }
    attack!(
        t,
        tally,
        "A81001 declines the proposal made to A81002",
        icb("A81001", &manager).decline_responsibility(pb::DeclineResponsibilityRequest {
            assignment_id: f.pending_assignment.clone(),
            reason: "Not for us".into(),
            ..Default::default()
        }),
        succeeded,
    );
    attack!(
        t,
        tally,
        "QWO proposes for U00001, outside its area",
        icb("QWO", &[Role::IcbCommissioner]).propose_responsibility(
            pb::ProposeResponsibilityRequest {
                duty_id: f.duty.clone(),
                area_code: "U00001".into(),
                level: pb::Level::Local.into(),
                assignee_code: "QWO".into(),
                role: pb::RaciRole::Accountable.into(),
                ..Default::default()
            }
        ),
        succeeded,
    );

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
