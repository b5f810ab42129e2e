//! Family 7, personal data in free text (DESIGN §7, issue 8 item 7): each form the
//! review found slipping through is sent in free-text fields of each service, over gRPC
//! and GraphQL. It must be refused with INVALID_ARGUMENT (BAD_USER_INPUT) naming the
//! field, without echoing the value; anything else is a leak. A venue postcode beside a
//! session date must pass (a control), and `request_id` must be an opaque key.

use std::time::Duration;

use auth::Role;
use proto::v1 as pb;
use serde_json::json;
use tonic::Code;

use super::fixture::{Fixture, LEEDS, facilitation, issue, session_request, tomorrow_in_words};
use super::tools::{
    Tally, Target, attack, clip, graphql, graphql_code, graphql_message, mint, status_text,
    ws_execute,
};

/// Personal data in the forms issue 8 lists, and a few neighbours.
const PERSONAL: &[&str] = &[
    "943 476 5919",
    "943.476.5919",
    "943 4765 919",
    "ref9434765919",
    "９４３４７６５９１９",
    "jö@example.com",
    "0044 7700 900123",
    "44 7700 900123",
    "07700.900.123",
    "+44 (0)7700 900123",
    "0113-496-0000",
    "DOB 4th July 1941, LS6 2AB",
    "born 04/07/1941 LS6 2AB",
];

/// Whether `message` repeats any 6 characters of `value`.
fn echoes(message: &str, value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    chars.len() >= 6
        && chars
            .windows(6)
            .any(|w| message.contains(&w.iter().collect::<String>()))
}

/// The leak, if any, of a gRPC answer to personal data in `field`.
fn judged(
    result: &Result<tonic::Response<pb::CommandResult>, tonic::Status>,
    field: &str,
    value: &str,
) -> Option<String> {
    match result {
        Ok(r) => Some(format!("accepted: {:?}", r.get_ref())),
        Err(status) if status.code() != Code::InvalidArgument => {
            Some(format!("wrong answer: {}", status_text(status)))
        }
        Err(status) if !status.message().starts_with(field) => Some(format!(
            "the message does not name {field}: {}",
            clip(status.message(), 200)
        )),
        Err(status) if echoes(status.message(), value) => Some(format!(
            "the message echoes the value: {}",
            clip(status.message(), 200)
        )),
        Err(_) => None,
    }
}

pub async fn run(t: &Target, f: &Fixture) -> Tally {
    let mut tally = Tally::new("7 personal data", "pii");
    let coordinator = [Role::PartnerCoordinator];
    let manager = [Role::PracticeManager];

    for value in PERSONAL {
        let text = format!("Follow up {value} next week");
        attack!(
            t,
            tally,
            format!("ScheduleSession.title with {value:?}"),
            partner(LEEDS, &coordinator).schedule_session(session_request(5, &text)),
            |r| judged(r, "title", value),
        );

        attack!(
            t,
            tally,
            format!("ScheduleSession.description with {value:?}"),
            partner(LEEDS, &coordinator).schedule_session(pb::ScheduleSessionRequest {
                description: text.clone(),
                ..session_request(5, "Drop-in")
            }),
            |r| judged(r, "description", value),
        );

        attack!(
            t,
            tally,
            format!("RecordFacilitation.notes with {value:?}"),
            practice("A81001", &manager).record_facilitation(facilitation("A81001", &text)),
            |r| judged(r, "notes", value),
        );

        attack!(
            t,
            tally,
            format!("ReportUsabilityIssue.description with {value:?}"),
            provider("A81001", &manager).report_usability_issue(issue(
                &f.nhs_platform,
                "A81001",
                &text
            )),
            |r| judged(r, "description", value),
        );

        attack!(
            t,
            tally,
            format!("DefineDuty.description with {value:?}"),
            icb("X24", &[Role::NationalLead]).define_duty(pb::DefineDutyRequest {
                title: "Proxy access support".into(),
                description: text.clone(),
                required_levels: vec![pb::Level::Local.into()],
                ..Default::default()
            }),
            |r| judged(r, "description", value),
        );
    }

    // Through GraphQL, over HTTP and over a websocket.
    let mutation = "mutation($input: RecordFacilitationInput!) { recordFacilitation(input: $input) { eventIds } }";
    let input = |notes: &str| {
        json!({ "input": {
            "practiceCode": "A81001", "week": super::fixture::this_week(), "mode": "PROACTIVE",
            "service": "NHS_APP", "channel": "FACE_TO_FACE", "deliveredBy": "RECEPTIONIST",
            "patientsSupported": 12, "notes": notes } })
    };
    for (value, over_ws) in [
        ("943.476.5919", false),
        ("0044 7700 900123", false),
        ("jö@example.com", true),
        ("DOB 4th July 1941, LS6 2AB", true),
    ] {
        let sub = tally.subject();
        let token = mint(&sub, "A81001", &manager);
        let text = format!("Follow up {value} next week");
        let answer = if over_ws {
            ws_execute(&t.http_addr, &token, mutation, input(&text)).await
        } else {
            graphql(
                &t.http_addr,
                Some(&token),
                mutation,
                input(&text),
                Duration::from_secs(20),
            )
            .await
        };
        let leak = match &answer {
            Err(err) => Some(format!("no GraphQL answer: {err}")),
            Ok(a) if !a["data"]["recordFacilitation"].is_null() => {
                Some(format!("accepted: {}", clip(&a.to_string(), 200)))
            }
            Ok(a) if graphql_code(a) != Some("BAD_USER_INPUT") => {
                Some(format!("wrong answer: {}", clip(&a.to_string(), 200)))
            }
            Ok(a) if !graphql_message(a).unwrap_or_default().starts_with("notes") => Some(format!(
                "the message does not name notes: {}",
                clip(&a.to_string(), 200)
            )),
            Ok(a) if echoes(&a.to_string(), value) => {
                Some(format!("echoes the value: {}", clip(&a.to_string(), 200)))
            }
            Ok(_) => None,
        };
        let how = if over_ws { "a websocket" } else { "HTTP" };
        tally.attempt(
            format!("recordFacilitation notes with {value:?} over {how}"),
            Some(&sub),
            leak,
        );
    }

    // Controls: a venue's postcode beside the session's date is not personal data, and
    // ordinary notes pass.
    let date = tomorrow_in_words();
    let venue = t
        .partner(&tally.subject(), LEEDS, &coordinator)
        .schedule_session(pb::ScheduleSessionRequest {
            venue_name: "Hyde Park library, LS6 2AB".into(),
            description: format!("Drop-in on {date} at Hyde Park library, LS6 2AB, 10:00 to 12:00"),
            ..session_request(5, &format!("NHS App help, {date}, LS6 2AB"))
        })
        .await;
    tally.control_ok(
        "a session whose text gives the venue postcode and the session date",
        venue,
    );
    let notes = t
        .practice(&tally.subject(), "A81001", &manager)
        .record_facilitation(facilitation(
            "A81001",
            "Helped 12 people order repeats in the app at reception, 2 of them aged over 80",
        ))
        .await;
    tally.control_ok("ordinary facilitation notes", notes);

    // request_id is an opaque key: 1–64 characters of A-Z a-z 0-9 . _ : -
    for request_id in [
        "jo@example.com",
        "943 476 5919",
        "0044 7700 900123",
        "a/b",
        "line\nbreak",
        "réf-1",
        "<script>",
        "r".repeat(65).as_str(),
    ] {
        let sub = tally.subject();
        let r = t
            .practice(&sub, "A81001", &manager)
            .record_facilitation(pb::RecordFacilitationRequest {
                request_id: request_id.into(),
                ..facilitation("A81001", "Helped at reception")
            })
            .await;
        let leak = match &r {
            Ok(r) => Some(format!("accepted: {:?}", r.get_ref())),
            Err(status)
                if status.code() != Code::InvalidArgument
                    || !status.message().starts_with("request_id") =>
            {
                Some(format!("wrong answer: {}", status_text(status)))
            }
            Err(_) => None,
        };
        tally.attempt(
            format!("request_id {:?}", clip(request_id, 20)),
            Some(&sub),
            leak,
        );
    }
    for request_id in ["Req-2026.04_a:b-1", "r".repeat(64).as_str()] {
        let r = t
            .practice(&tally.subject(), "A81001", &manager)
            .record_facilitation(pb::RecordFacilitationRequest {
                request_id: request_id.into(),
                ..facilitation("A81001", "Helped at reception")
            })
            .await;
        tally.control_ok(format!("request_id {:?}", clip(request_id, 20)), r);
    }

    t.check_log(&mut tally).await;
    tally.finish()
}
