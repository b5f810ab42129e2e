//! Mutations end to end: GraphQL → the gateway's mutation → the real domain services
//! over loopback gRPC → the sled log, and the answer or the error code back.

use crate::support_mut::{Harness, data, error};
use auth::Role;
use gateway::caller::Authentication;
use serde_json::{Value, json};

const PARTNER: &str = "P-leeds-libraries";

const REGISTER: &str = r#"
mutation ($input: RegisterOrganisationInput!) {
  registerOrganisation(input: $input) { aggregateId eventIds firstPosition lastPosition streamVersion createdId }
}"#;

const SCHEDULE: &str = r#"
mutation ($input: ScheduleSessionInput!) {
  scheduleSession(input: $input) { aggregateId eventIds streamVersion createdId }
}"#;

const BOOK: &str = r#"
mutation ($input: BookSeatInput!) {
  bookSeat(input: $input) { aggregateId eventIds firstPosition lastPosition streamVersion createdId }
}"#;

const CANCEL_SESSION: &str = r#"
mutation ($input: CancelSessionInput!) {
  cancelSession(input: $input) { aggregateId streamVersion }
}"#;

/// `hour`:00 UTC tomorrow, as RFC 3339.
fn tomorrow(hour: u32) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    format!("{day}T{hour:02}:00:00Z")
}

/// Registers, as the national lead, the branch of the tree the tests use:
/// X24 → Y56 → QE1 → 00L → U00001 → A81001, and the partner P-leeds-libraries under QE1.
async fn seed_tree(h: &Harness) {
    let tree = [
        ("X24", "NATIONAL", "NHS England", None),
        ("Y56", "REGION", "London", Some("X24")),
        ("QE1", "ICB", "Test ICB One", Some("Y56")),
        ("00L", "SUB_ICB", "Sub-ICB One", Some("QE1")),
        ("U00001", "PCN", "PCN One", Some("00L")),
        ("A81001", "PRACTICE", "Practice One", Some("U00001")),
        (PARTNER, "PARTNER", "Leeds Libraries", Some("QE1")),
    ];
    for (code, kind, name, parent) in tree {
        let result = data(
            h.run(
                h.caller("X24", &[Role::NationalLead]),
                REGISTER,
                json!({ "input": {
                    "code": code, "kind": kind, "name": name, "parentCode": parent,
                    "effectiveDate": "2020-01-01",
                }}),
            )
            .await,
        );
        let result = &result["registerOrganisation"];
        assert_eq!(result["aggregateId"], code);
        assert_eq!(result["eventIds"].as_array().map(Vec::len), Some(1));
        assert_eq!(result["firstPosition"], result["lastPosition"]);
    }
}

fn session_input(capacity: i64) -> Value {
    json!({
        "partnerCode": PARTNER,
        "icbCode": "QE1",
        "hostPracticeCode": "A81001",
        "startsAt": tomorrow(10),
        "endsAt": tomorrow(12),
        "capacity": capacity,
        "topics": ["NHS_APP", "ONLINE_PRESCRIPTIONS"],
        "languages": ["en", "ur"],
        "accessibility": ["WHEELCHAIR", "HEARING_LOOP"],
        "targetGroups": ["OLDER_PEOPLE"],
        "title": "NHS App help at the surgery",
    })
}

/// Schedules a session as the partner and returns its id.
async fn schedule(h: &Harness, capacity: i64) -> String {
    let result = data(
        h.run(
            h.caller(PARTNER, &[Role::PartnerCoordinator]),
            SCHEDULE,
            json!({ "input": session_input(capacity) }),
        )
        .await,
    );
    let result = &result["scheduleSession"];
    let id = result["aggregateId"]
        .as_str()
        .expect("session id")
        .to_owned();
    assert_eq!(result["createdId"], Value::Null);
    id
}

fn practice_manager(h: &Harness) -> Authentication {
    h.caller("A81001", &[Role::PracticeManager])
}

fn booking(session_id: &str, places: i64) -> Value {
    json!({ "input": {
        "sessionId": session_id,
        "referringOrganisationCode": "A81001",
        "places": places,
        "interpreterLanguage": "ur",
        "accessNeeds": ["WHEELCHAIR"],
    }})
}

#[tokio::test]
async fn register_schedule_and_book_round_trip_to_the_log() {
    // given the tree, registered through the gateway
    let h = Harness::start().await;
    seed_tree(&h).await;

    // when the partner schedules a session and the practice books two places on it
    let session_id = schedule(&h, 10).await;
    assert!(uuid::Uuid::parse_str(&session_id).is_ok(), "{session_id}");
    let booked = data(
        h.run(practice_manager(&h), BOOK, booking(&session_id, 2))
            .await,
    );

    // then the booking is on the session's stream, with a reference the service chose
    let booked = &booked["bookSeat"];
    assert_eq!(booked["aggregateId"], session_id.as_str());
    assert_eq!(booked["streamVersion"], 1);
    assert_eq!(booked["eventIds"].as_array().map(Vec::len), Some(1));
    let reference = booked["createdId"].as_str().expect("a booking reference");
    assert!(uuid::Uuid::parse_str(reference).is_ok(), "{reference}");
    assert!(booked["firstPosition"].as_u64() > Some(7), "{booked}");

    // and re-sending with the same requestId answers the original result
    let mut again = booking(&session_id, 2);
    again["input"]["requestId"] = json!("booking-1");
    let first = data(h.run(practice_manager(&h), BOOK, again.clone()).await);
    let second = data(h.run(practice_manager(&h), BOOK, again).await);
    assert_eq!(first, second);
}

#[tokio::test]
async fn mutations_of_every_service_reach_it() {
    let h = Harness::start().await;
    seed_tree(&h).await;
    let session_id = schedule(&h, 5).await;

    // PartnerService, as the host practice
    let confirmed = data(
        h.run(
            practice_manager(&h),
            "mutation ($id: String!) { confirmHosting(input: { sessionId: $id, note: \"Room 2\" }) { streamVersion } }",
            json!({ "id": session_id }),
        )
        .await,
    );
    assert_eq!(confirmed["confirmHosting"]["streamVersion"], 1);

    // PracticeService
    let recorded = data(
        h.run(
            practice_manager(&h),
            r#"mutation { recordFacilitation(input: {
                practiceCode: "A81001", week: "2026-W01", mode: PROACTIVE, service: NHS_APP,
                channel: FACE_TO_FACE, deliveredBy: RECEPTIONIST,
                patientGroups: [OLDER_PEOPLE, LIMITED_ENGLISH], patientsSupported: 12,
                registeredForNhsApp: 5
            }) { aggregateId eventIds } }"#,
            json!({}),
        )
        .await,
    );
    assert_eq!(
        recorded["recordFacilitation"]["aggregateId"]
            .as_str()
            .map(|id| id.contains("A81001")),
        Some(true),
        "{recorded}"
    );

    // IcbService, with a list of enums
    let duty = data(
        h.run(
            h.caller("X24", &[Role::NationalLead]),
            r#"mutation { defineDuty(input: {
                title: "Help patients register for the NHS App",
                requiredLevels: [LOCAL, REGIONAL]
            }) { aggregateId } }"#,
            json!({}),
        )
        .await,
    );
    assert!(duty["defineDuty"]["aggregateId"].as_str().is_some());

    // ProviderService: an unknown platform is not found, which shows the call arrived
    let (code, message, field) = error(
        h.run(
            practice_manager(&h),
            r#"mutation { reportUsabilityIssue(input: {
                platformId: "6f1c1d2e-4b7a-4c1e-9a57-0d3f5a1b2c3d", practiceCode: "A81001",
                category: NAVIGATION, severity: HIGH, description: "The menu is hidden"
            }) { aggregateId } }"#,
            json!({}),
        )
        .await,
    );
    assert_eq!(code, "NOT_FOUND", "{message}");
    assert_eq!(field, None);
}

#[tokio::test]
async fn a_caller_without_the_right_gets_forbidden_and_nothing_is_recorded() {
    let h = Harness::start().await;
    seed_tree(&h).await;

    // a practice's staff may not register organisations
    let (code, message, _) = error(
        h.run(
            h.caller("A81001", &[Role::PracticeStaff]),
            REGISTER,
            json!({ "input": {
                "code": "A81002", "kind": "PRACTICE", "name": "Practice Two",
                "parentCode": "U00001",
            }}),
        )
        .await,
    );
    assert_eq!(code, "FORBIDDEN", "{message}");

    // nor may a practice cancel a partner's session
    let session_id = schedule(&h, 5).await;
    let (code, message, _) = error(
        h.run(
            practice_manager(&h),
            CANCEL_SESSION,
            json!({ "input": { "sessionId": session_id, "reason": "no room" }}),
        )
        .await,
    );
    assert_eq!(code, "FORBIDDEN", "{message}");
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let h = Harness::start().await;
    seed_tree(&h).await;
    let session_id = schedule(&h, 5).await;

    // a negative count is refused by the gateway
    let (code, message, field) = error(
        h.run(practice_manager(&h), BOOK, booking(&session_id, -1))
            .await,
    );
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(field.as_deref(), Some("places"));
    assert_eq!(message, "places: must not be negative");

    // a rule of the service names the field as the input does
    let (code, message, field) = error(
        h.run(
            h.caller(PARTNER, &[Role::PartnerCoordinator]),
            SCHEDULE,
            json!({ "input": session_input(0) }),
        )
        .await,
    );
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
    assert_eq!(field.as_deref(), Some("capacity"), "{message}");

    let mut input = session_input(5);
    input["startsAt"] = json!("tomorrow at ten");
    let (code, message, field) = error(
        h.run(
            h.caller(PARTNER, &[Role::PartnerCoordinator]),
            SCHEDULE,
            json!({ "input": input }),
        )
        .await,
    );
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
    assert_eq!(field.as_deref(), Some("startsAt"), "{message}");
}

#[tokio::test]
async fn without_a_valid_token_a_mutation_is_unauthenticated() {
    let h = Harness::start().await;
    for auth in [
        Authentication::Missing,
        Authentication::Rejected("Authorization: the token has expired".into()),
    ] {
        let (code, message, _) = error(
            h.run(
                auth,
                BOOK,
                booking("6f1c1d2e-4b7a-4c1e-9a57-0d3f5a1b2c3d", 1),
            )
            .await,
        );
        assert_eq!(code, "UNAUTHENTICATED", "{message}");
    }
    // even with bad input: who is asking is checked first
    let (code, _, _) = error(
        h.run(
            Authentication::Missing,
            BOOK,
            booking("6f1c1d2e-4b7a-4c1e-9a57-0d3f5a1b2c3d", -1),
        )
        .await,
    );
    assert_eq!(code, "UNAUTHENTICATED");
}

#[tokio::test]
async fn booking_a_cancelled_session_is_a_conflict() {
    let h = Harness::start().await;
    seed_tree(&h).await;
    let session_id = schedule(&h, 5).await;
    data(
        h.run(
            h.caller(PARTNER, &[Role::PartnerCoordinator]),
            CANCEL_SESSION,
            json!({ "input": { "sessionId": session_id, "reason": "the venue flooded" }}),
        )
        .await,
    );

    let (code, message, _) = error(
        h.run(practice_manager(&h), BOOK, booking(&session_id, 1))
            .await,
    );
    assert_eq!(code, "CONFLICT", "{message}");
}

#[tokio::test]
async fn booking_an_unknown_session_is_forbidden_like_another_partners() {
    let h = Harness::start().await;
    seed_tree(&h).await;

    let (code, message, _) = error(
        h.run(
            practice_manager(&h),
            BOOK,
            booking("6f1c1d2e-4b7a-4c1e-9a57-0d3f5a1b2c3d", 1),
        )
        .await,
    );
    // Only a service caller may learn that a session does not exist (DESIGN §6): a
    // practice gets the same answer as for a session it may not book on.
    assert_eq!(code, "FORBIDDEN", "{message}");
}

#[tokio::test]
async fn without_domain_endpoints_a_mutation_is_internal() {
    let schema = async_graphql::Schema::build(
        crate::support_mut::NoQueries,
        gateway::mutation::MutationRoot::default(),
        async_graphql::EmptySubscription,
    )
    .finish();
    let h = Harness::start().await;
    let request = async_graphql::Request::new(REGISTER)
        .variables(async_graphql::Variables::from_json(json!({ "input": {
            "code": "X24", "kind": "NATIONAL", "name": "NHS England",
        }})))
        .data(h.caller("X24", &[Role::NationalLead]));
    let (code, message, _) = error(schema.execute(request).await);
    assert_eq!(code, "INTERNAL");
    assert!(!message.contains("DomainEndpoints"), "{message}");
}
