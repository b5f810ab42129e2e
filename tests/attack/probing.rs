//! Family 3, existence probing (DESIGN §6, issue 8 item 3): authorisation comes before
//! any look-up that could tell an outsider whether something exists. An outsider asks
//! about a thing that exists and one that does not; the two answers (gRPC code and
//! message, GraphQL code and message, ids blanked) must be the same. Each pair that
//! differs is a leak, and so is any event the outsiders wrote.

use std::time::Duration;

use auth::Role;
use proto::v1 as pb;
use serde_json::{Value, json};

use super::fixture::{Fixture, YORK, booking, cancel, waitlist};
use super::tools::{
    Tally, Target, clip, graphql, graphql_code, graphql_message, mint, without_ids,
};

type Answer = Result<tonic::Response<pb::CommandResult>, tonic::Status>;

/// What an outsider learns from an answer: its code and message, ids blanked.
fn seen(answer: &Answer) -> String {
    match answer {
        Ok(r) => format!("OK {:?}", r.get_ref()),
        Err(status) => format!("{:?}: {}", status.code(), without_ids(status.message())),
    }
}

fn compare(tally: &mut Tally, what: String, subject: &str, answers: &[(&str, String)]) {
    let (first_label, first) = &answers[0];
    let leak = answers[1..]
        .iter()
        .find(|(_, seen)| seen != first)
        .map(|(label, seen)| {
            format!(
                "{first_label} → {} but {label} → {}",
                clip(first, 200),
                clip(seen, 200)
            )
        });
    tally.attempt(what, Some(subject), leak);
}

/// `mutation` asked through GraphQL over HTTP by a fresh subject of B82001 (a practice in
/// another ICB) with each labelled input, the answers compared as `what`.
async fn probe_graphql(
    t: &Target,
    tally: &mut Tally,
    what: &str,
    mutation: &str,
    inputs: [(&str, Value); 2],
) {
    let sub = tally.subject();
    let token = mint(&sub, "B82001", &[Role::PracticeManager]);
    let mut answers = Vec::new();
    for (label, input) in inputs {
        let answer = graphql(
            &t.http_addr,
            Some(&token),
            mutation,
            input,
            Duration::from_secs(20),
        )
        .await;
        let seen = match &answer {
            Ok(a) if a["errors"][0].is_object() => format!(
                "{}: {}",
                graphql_code(a).unwrap_or("no code"),
                without_ids(graphql_message(a).unwrap_or_default())
            ),
            Ok(a) => format!("answered: {}", a["data"]),
            Err(err) => err.clone(),
        };
        answers.push((label, seen));
    }
    compare(tally, what.to_owned(), &sub, &answers);
}

fn random() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("3 existence probing", "pr");
    let outsiders = [
        ("B82001", Role::PracticeManager),
        (YORK, Role::PartnerCoordinator),
        ("U00002", Role::PcnLead),
    ];

    for (org, role) in outsiders {
        let who = format!("{org} ({})", role.as_str());

        // BookSeat on an existing foreign session and on none, naming itself.
        let sub = tally.subject();
        let mut client = t.partner(&sub, org, &[role]);
        let existing = client.book_seat(booking(&f.open_session, org)).await;
        let missing = client.book_seat(booking(&random(), org)).await;
        compare(
            &mut tally,
            format!("{who} BookSeat: existing session vs none"),
            &sub,
            &[("existing", seen(&existing)), ("missing", seen(&missing))],
        );

        // JoinWaitlist likewise.
        let sub = tally.subject();
        let mut client = t.partner(&sub, org, &[role]);
        let existing = client.join_waitlist(waitlist(&f.full_session, org)).await;
        let missing = client.join_waitlist(waitlist(&random(), org)).await;
        compare(
            &mut tally,
            format!("{who} JoinWaitlist: existing session vs none"),
            &sub,
            &[("existing", seen(&existing)), ("missing", seen(&missing))],
        );

        // CancelBooking: an existing reference, an unknown one, and an unknown session.
        let sub = tally.subject();
        let mut client = t.partner(&sub, org, &[role]);
        let existing = client
            .cancel_booking(cancel(&f.open_session, &f.probe_booking))
            .await;
        let unknown_ref = client
            .cancel_booking(cancel(&f.open_session, &random()))
            .await;
        let unknown_session = client.cancel_booking(cancel(&random(), &random())).await;
        compare(
            &mut tally,
            format!(
                "{who} CancelBooking: existing reference vs unknown reference vs unknown session"
            ),
            &sub,
            &[
                ("existing reference", seen(&existing)),
                ("unknown reference", seen(&unknown_ref)),
                ("unknown session", seen(&unknown_session)),
            ],
        );

        // ConfirmHosting of an existing session hosted elsewhere, and of none.
        let sub = tally.subject();
        let mut client = t.partner(&sub, org, &[role]);
        let hosting = |id: &str| pb::ConfirmHostingRequest {
            session_id: id.into(),
            note: "Room 2".into(),
            ..Default::default()
        };
        let existing = client.confirm_hosting(hosting(&f.hosted_session)).await;
        let missing = client.confirm_hosting(hosting(&random())).await;
        compare(
            &mut tally,
            format!("{who} ConfirmHosting: existing session vs none"),
            &sub,
            &[("existing", seen(&existing)), ("missing", seen(&missing))],
        );

        // EndResponsibility of an existing assignment elsewhere, and of none.
        let sub = tally.subject();
        let mut client = t.icb(&sub, org, &[role]);
        let end = |id: &str| pb::EndResponsibilityRequest {
            assignment_id: id.into(),
            reason: "No longer needed".into(),
            ..Default::default()
        };
        let existing = client.end_responsibility(end(&f.accepted_assignment)).await;
        let missing = client.end_responsibility(end(&random())).await;
        compare(
            &mut tally,
            format!("{who} EndResponsibility: existing assignment vs none"),
            &sub,
            &[("existing", seen(&existing)), ("missing", seen(&missing))],
        );
    }

    // A provider probing for another provider's issues.
    let sub = tally.subject();
    let mut client = t.provider(&sub, "V-other-app", &[Role::ProviderAdmin]);
    let ack = |id: &str| pb::AcknowledgeUsabilityIssueRequest {
        issue_id: id.into(),
        note: "Seen".into(),
        ..Default::default()
    };
    let existing = client.acknowledge_usability_issue(ack(&f.nhs_issue)).await;
    let missing = client.acknowledge_usability_issue(ack(&random())).await;
    compare(
        &mut tally,
        "V-other-app AcknowledgeUsabilityIssue: V-nhs-app's issue vs none".into(),
        &sub,
        &[("existing", seen(&existing)), ("missing", seen(&missing))],
    );

    // The same through GraphQL over HTTP.
    let book = "mutation($input: BookSeatInput!) { bookSeat(input: $input) { createdId } }";
    let booking = |session: String| {
        json!({ "input": {
            "sessionId": session, "referringOrganisationCode": "B82001", "places": 1 } })
    };
    let inputs = [
        ("existing", booking(f.open_session.clone())),
        ("missing", booking(random())),
    ];
    let what = "B82001 bookSeat through GraphQL: existing session vs none";
    probe_graphql(t, &mut tally, what, book, inputs).await;
    let cancel_booking =
        "mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { eventIds } }";
    let cancelling = |reference: String| {
        json!({ "input": {
            "sessionId": f.open_session, "bookingReference": reference, "reason": "Cannot come" } })
    };
    let inputs = [
        ("existing", cancelling(f.probe_booking.clone())),
        ("unknown", cancelling(random())),
    ];
    let what = "B82001 cancelBooking through GraphQL: existing reference vs unknown";
    probe_graphql(t, &mut tally, what, cancel_booking, inputs).await;

    // Control: the booking probed for is still there for its owner to cancel.
    let r = t
        .partner(&tally.subject(), "A81001", &[Role::PracticeManager])
        .cancel_booking(cancel(&f.open_session, &f.probe_booking))
        .await;
    tally.control_ok("A81001 cancels its own probed booking", r);

    t.check_log(&mut tally).await;
    tally.finish()
}
