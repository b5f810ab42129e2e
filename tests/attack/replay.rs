//! Family 2, request-id replay (DESIGN §6, issue 8 item 2): a re-sent `request_id`
//! returns the original result only to the same subject acting for the same
//! organisation with the same roles; anything else is judged as a new command. The
//! attacker is the same `sub` with a token for another organisation, other roles, or
//! the auditor's role. It leaks when it gets the first caller's result, or when a
//! command the policy refuses is admitted.

use std::time::Duration;

use auth::Role;
use proto::v1 as pb;
use serde_json::{Value, json};

use super::fixture::{Fixture, LEEDS, YORK, booking, session_request};
use super::tools::{Tally, Target, graphql, mint, status_text};

/// Whether `second` is `first` handed back.
fn same_result(first: &pb::CommandResult, second: &pb::CommandResult) -> bool {
    second.event_ids == first.event_ids
        || (!first.created_id.is_empty() && second.created_id == first.created_id)
}

/// A replay that must be judged anew and refused: any success leaks, the first
/// caller's result all the more.
fn refused_replay(
    tally: &mut Tally,
    what: String,
    first: &pb::CommandResult,
    second: Result<tonic::Response<pb::CommandResult>, tonic::Status>,
) {
    let leak = match second {
        Ok(response) if same_result(first, response.get_ref()) => Some(format!(
            "got the first caller's result back: {:?}",
            response.get_ref()
        )),
        Ok(response) => Some(format!(
            "admitted as a new command: {:?}",
            response.get_ref()
        )),
        Err(_) => None,
    };
    tally.attempt(what, None, leak);
}

/// A replay whose new judgement may admit it: only the first caller's result leaks.
fn not_handed_back(
    tally: &mut Tally,
    what: String,
    first: &pb::CommandResult,
    second: &Result<tonic::Response<pb::CommandResult>, tonic::Status>,
) {
    let leak = match second {
        Ok(response) if same_result(first, response.get_ref()) => Some(format!(
            "got the first caller's result back: {:?}",
            response.get_ref()
        )),
        _ => None,
    };
    tally.attempt(what, None, leak);
}

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("2 request-id replay", "rp");
    let manager = [Role::PracticeManager];

    // A booking by A81001, then the same sub and request id from elsewhere.
    let sub = tally.subject();
    let request = || pb::BookSeatRequest {
        request_id: "replay-book-1".into(),
        ..booking(&f.open_session, "A81001")
    };
    let first = t
        .partner(&sub, "A81001", &manager)
        .book_seat(request())
        .await;
    let Some(first) = tally.control_ok("A81001 books with request id replay-book-1", first) else {
        return tally.finish();
    };
    let again = t
        .partner(&sub, "A81001", &manager)
        .book_seat(request())
        .await;
    let failure = match &again {
        Ok(r) if same_result(&first, r.get_ref()) => None,
        Ok(r) => Some(format!("a different result: {:?}", r.get_ref())),
        Err(status) => Some(status_text(status)),
    };
    tally.control(
        "the same caller re-sending gets its first result, nothing new recorded",
        failure,
    );
    for (org, roles, who) in [
        ("B82001", &manager[..], "as B82001 (another ICB)"),
        ("A81002", &manager[..], "as A81002 (same PCN)"),
        (
            YORK,
            &[Role::PartnerCoordinator][..],
            "as York's coordinator",
        ),
        ("A81001", &[Role::Auditor][..], "as an auditor of A81001"),
        ("X24", &[Role::Auditor][..], "as a national auditor"),
    ] {
        let second = t.partner(&sub, org, roles).book_seat(request()).await;
        refused_replay(
            &mut tally,
            format!("the same sub and request id {who}"),
            &first,
            second,
        );
    }
    let second = t
        .partner(&sub, "A81001", &[Role::PracticeStaff])
        .book_seat(request())
        .await;
    not_handed_back(
        &mut tally,
        "the same sub and request id for A81001 as practice staff".into(),
        &first,
        &second,
    );

    // A session scheduled by Leeds' coordinator, replayed for York.
    let sub = tally.subject();
    let request = || pb::ScheduleSessionRequest {
        request_id: "replay-schedule-1".into(),
        ..session_request(5, "Replayed session")
    };
    let first = t
        .partner(&sub, LEEDS, &[Role::PartnerCoordinator])
        .schedule_session(request())
        .await;
    if let Some(first) =
        tally.control_ok("Leeds schedules with request id replay-schedule-1", first)
    {
        for (org, roles, who) in [
            (
                YORK,
                &[Role::PartnerCoordinator][..],
                "as York's coordinator",
            ),
            ("X24", &[Role::Auditor][..], "as an auditor"),
            ("A81001", &manager[..], "as A81001's manager"),
        ] {
            let second = t
                .partner(&sub, org, roles)
                .schedule_session(request())
                .await;
            refused_replay(
                &mut tally,
                format!("a schedule replayed {who}"),
                &first,
                second,
            );
        }
    }

    // Through GraphQL: the gateway forwards the caller's token, so the same holds.
    let sub = tally.subject();
    let mutation =
        "mutation($input: BookSeatInput!) { bookSeat(input: $input) { createdId eventIds } }";
    let input = json!({ "input": {
        "requestId": "replay-graphql-1", "sessionId": f.open_session,
        "referringOrganisationCode": "A81001", "places": 1 } });
    let limit = Duration::from_secs(20);
    let first = graphql(
        &t.http_addr,
        Some(&mint(&sub, "A81001", &manager)),
        mutation,
        input.clone(),
        limit,
    )
    .await;
    let first_id = first
        .as_ref()
        .ok()
        .and_then(|a| a["data"]["bookSeat"]["createdId"].as_str())
        .map(str::to_owned);
    tally.control(
        "A81001 books through GraphQL with requestId replay-graphql-1",
        first_id.is_none().then(|| format!("{first:?}")),
    );
    if let Some(first_id) = first_id {
        for (org, role) in [("B82001", Role::PracticeManager), ("X24", Role::Auditor)] {
            let second = graphql(
                &t.http_addr,
                Some(&mint(&sub, org, &[role])),
                mutation,
                input.clone(),
                limit,
            )
            .await;
            let got: Option<&Value> = second.as_ref().ok().map(|a| &a["data"]["bookSeat"]);
            let leak = match got {
                Some(result) if result["createdId"] == first_id.as_str() => Some(format!(
                    "got the first caller's booking reference: {result}"
                )),
                Some(result) if !result.is_null() => Some(format!("admitted: {result}")),
                _ => None,
            };
            tally.attempt(
                format!(
                    "GraphQL replay of the same sub and requestId as {org} ({})",
                    role.as_str()
                ),
                None,
                leak,
            );
        }
    }
    tally.finish()
}
