//! What an attacker tries against the GraphQL face, in-process over a real log: queries
//! priced above their work, replays that queue everyone behind one request, error
//! messages that echo the input, websockets opened with a bad token, and reads of
//! individuals by roles that may see only aggregates (DESIGN.md §5 Cost, §6, §8).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use auth::{Principal, Role, TokenIssuer, TokenVerifier};
use bytes::Bytes;
use eventlog::{
    AppendOutcome, Direction, EventLog, EventStream, ExpectedVersion, LogError, Metadata, NewEvent,
    RecordedEvent,
};
use futures::{SinkExt, StreamExt};
use gateway::caller::{Authentication, Caller};
use gateway::projection::Projection;
use gateway::schema::DifactoSchema;
use proto::v1 as pb;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::world::{append, caught_up, library_drop_in, register, schema_on, sled_log};

/// A log that counts the events read from streams, and can be told to take its time
/// over each page a replay reads.
struct Watched {
    inner: eventlog::SledLog,
    stream_events_read: AtomicU64,
    replay_page_delay: Duration,
}

#[async_graphql::async_trait::async_trait]
impl EventLog for Watched {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError> {
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let events = self
            .inner
            .read_stream(stream, from_version, max_count, direction)
            .await?;
        self.stream_events_read
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        Ok(events)
    }

    async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        tokio::time::sleep(self.replay_page_delay).await;
        self.inner.read_all(after_position, max_count).await
    }

    fn subscribe(&self, after_position: u64) -> EventStream {
        self.inner.subscribe(after_position)
    }

    async fn head_position(&self) -> Result<u64, LogError> {
        self.inner.head_position().await
    }
}

const SESSION: &str = "5b0f1c3e-8a5d-4f57-9a0e-2f6f0d3b9c11";
const BOOKING: &str = "0f8e2d7c-1b6a-4c3d-9e8f-7a6b5c4d3e2f";
const PLATFORM_A: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const PLATFORM_B: &str = "b2b2b2b2-0000-4000-8000-000000000002";
const ISSUE_A: &str = "a1a1a1a1-1111-4000-8000-000000000011";
const ISSUE_B: &str = "b2b2b2b2-2222-4000-8000-000000000022";
const SECRET: &[u8] = b"gateway-hostile-test-secret-0123456789";

struct World {
    schema: DifactoSchema,
    projection: Arc<Projection>,
    log: Arc<Watched>,
    /// Instants between the batches of events, oldest first: each is a distinct replay.
    instants: Vec<String>,
    _dir: tempfile::TempDir,
}

/// England with one ICB, a PCN, two practices, a partner and two providers; a session
/// with a booking referred by A81001; an issue on each provider's platform; and
/// `facilitation` records in A81001's stream.
async fn world(facilitation: usize, replay_page_delay: Duration) -> World {
    use pb::OrganisationKind as K;
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = sled_log(dir.path());
    let watched = Arc::new(Watched {
        inner,
        stream_events_read: AtomicU64::new(0),
        replay_page_delay,
    });
    let log: &dyn EventLog = watched.as_ref();
    let mut instants = Vec::new();
    let mark = async |instants: &mut Vec<String>| {
        tokio::time::sleep(Duration::from_millis(5)).await;
        instants.push(chrono::Utc::now().to_rfc3339());
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    register(log, "X24", K::NationalBody, "").await;
    register(log, "Y63", K::Region, "X24").await;
    register(log, "QWO", K::Icb, "Y63").await;
    mark(&mut instants).await;
    register(log, "U00001", K::Pcn, "QWO").await;
    register(log, "A81001", K::Practice, "U00001").await;
    register(log, "A81002", K::Practice, "U00001").await;
    mark(&mut instants).await;
    register(log, "P-leeds-libraries", K::Partner, "X24").await;
    register(log, "V-acme", K::Provider, "X24").await;
    register(log, "V-bolt", K::Provider, "X24").await;
    mark(&mut instants).await;
    let session = format!("session-{SESSION}");
    append(
        log,
        &session,
        library_drop_in(SESSION),
        &[
            ("actor", "coordinator@P-leeds-libraries"),
            ("organisation", "P-leeds-libraries"),
            ("request_id", "schedule-2030-03-02"),
        ],
    )
    .await;
    append(
        log,
        &session,
        pb::SeatBooked {
            session_id: SESSION.into(),
            booking_reference: BOOKING.into(),
            referring_organisation_code: "A81001".into(),
            places: 2,
            interpreter_language: "pl".into(),
            access_needs: vec![pb::AccessNeed::Wheelchair.into()],
        },
        &[
            ("actor", "reception@A81001"),
            ("organisation", "A81001"),
            ("request_id", "book-2030-03-02-a"),
            ("correlation_id", "c-1"),
        ],
    )
    .await;
    for (platform, provider, issue) in [
        (PLATFORM_A, "V-acme", ISSUE_A),
        (PLATFORM_B, "V-bolt", ISSUE_B),
    ] {
        append(
            log,
            &format!("platform-{platform}"),
            pb::PlatformRegistered {
                platform_id: platform.into(),
                provider_code: provider.into(),
                name: format!("{provider} online"),
                ..Default::default()
            },
            &[("organisation", provider)],
        )
        .await;
        append(
            log,
            &format!("issue-{issue}"),
            pb::UsabilityIssueReported {
                issue_id: issue.into(),
                platform_id: platform.into(),
                provider_code: provider.into(),
                practice_code: "A81002".into(),
                description: "the login page times out".into(),
                ..Default::default()
            },
            &[("organisation", "A81002")],
        )
        .await;
    }
    for start in (0..facilitation).step_by(1000) {
        let events = (start..facilitation.min(start + 1000))
            .map(|_| NewEvent {
                event_id: Uuid::new_v4(),
                event_type: <pb::FacilitationRecorded as prost::Name>::full_name(),
                payload: Bytes::from(prost::Message::encode_to_vec(&pb::FacilitationRecorded {
                    practice_code: "A81001".into(),
                    week: "2026-W10".into(),
                    mode: pb::FacilitationMode::Proactive.into(),
                    service: pb::DigitalService::NhsApp.into(),
                    channel: pb::FacilitationChannel::FaceToFace.into(),
                    delivered_by: pb::StaffRole::Receptionist.into(),
                    patients_supported: 1,
                    ..Default::default()
                })),
                metadata: Metadata::new(),
            })
            .collect();
        log.append("practice-A81001", ExpectedVersion::Any, events)
            .await
            .expect("append");
    }
    let shared: Arc<dyn EventLog> = watched.clone();
    let projection = caught_up(shared, Duration::from_secs(30)).await;
    World {
        schema: schema_on(projection.clone()),
        projection,
        log: watched,
        instants,
        _dir: dir,
    }
}

fn caller(org: &str, role: Role) -> Authentication {
    Authentication::Verified(Caller {
        principal: Principal {
            subject: format!("test@{org}"),
            organisation: org.into(),
            roles: vec![role],
        },
        token: "unused".into(),
    })
}

async fn ask_with(world: &World, org: &str, role: Role, query: &str, variables: Value) -> Value {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(caller(org, role));
    let response = world.schema.execute(request).await;
    serde_json::to_value(&response).expect("json")
}

async fn ask(world: &World, org: &str, role: Role, query: &str) -> Value {
    ask_with(world, org, role, query, json!({})).await
}

/// How many `asOf` replays the world's read models have run.
fn replays(world: &World) -> u64 {
    world.projection.stats.as_of_replays.load(Ordering::Relaxed)
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

fn message(answer: &Value) -> &str {
    answer["errors"][0]["message"].as_str().unwrap_or("")
}

fn aliases(n: usize, field: impl Fn(usize) -> String) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: {}", field(i))).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_two_distinct_as_of_instants_are_refused_before_any_replay() {
    let world = world(0, Duration::ZERO).await;
    let [t0, t1, t2] = [0, 1, 2].map(|i| world.instants[i].clone());
    let three = aliases(3, |i| {
        format!(
            "organisation(code: \"X24\", asOf: \"{}\") {{ name }}",
            world.instants[i]
        )
    });
    let answer = ask(&world, "X24", Role::NationalLead, &three).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(message(&answer).starts_with("asOf:"), "{answer}");
    assert!(message(&answer).contains("at most 2"), "{answer}");
    assert!(answer["data"].is_null(), "{answer}");
    // Given as variables, the same.
    let by_variables = "query($a: DateTime, $b: DateTime, $c: DateTime) { \
        a: organisation(code: \"X24\", asOf: $a) { name } \
        b: sessions(asOf: $b) { totalCount } \
        c: platforms(asOf: $c) { totalCount } }";
    let national =
        |variables: Value| ask_with(&world, "X24", Role::NationalLead, by_variables, variables);
    let answer = national(json!({ "a": t0, "b": t1, "c": t2 })).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(message(&answer).starts_with("asOf:"), "{answer}");
    assert_eq!(
        replays(&world),
        0,
        "nothing was replayed for the refused queries"
    );
    // Two distinct instants (one written twice, in two forms) are within the limit.
    let t0_again = chrono::DateTime::parse_from_rfc3339(&t0)
        .expect("instant")
        .with_timezone(&chrono::FixedOffset::east_opt(3600).expect("offset"))
        .to_rfc3339();
    let answer = national(json!({ "a": t0, "b": t1, "c": t0_again })).await;
    assert!(answer["errors"].is_null(), "{answer}");
    assert_eq!(answer["data"]["a"]["name"], "X24");
    assert_eq!(replays(&world), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_field_reads_its_page_and_costs_what_it_may_read() {
    let world = world(3000, Duration::ZERO).await;
    let read = || world.log.stream_events_read.load(Ordering::Relaxed);
    // 200 first-event pages of a 3000-event stream: each reads its page and the
    // stream's last event, not the stream.
    let before = read();
    let query = aliases(200, |_| {
        "history(stream: \"practice-A81001\", first: 1) { totalCount nodes { version } }".into()
    });
    let answer = ask(&world, "A81001", Role::PracticeManager, &query).await;
    assert!(answer["errors"].is_null(), "{answer}");
    assert_eq!(answer["data"]["a7"]["totalCount"], 3000);
    assert_eq!(answer["data"]["a7"]["nodes"][0]["version"], 0);
    let spent = read() - before;
    assert!(
        spent <= 200 * 2,
        "200 one-event pages read {spent} events of the stream"
    );
    // Pages from the end, and cut at a time, read little too.
    let before = read();
    let answer = ask(
        &world,
        "A81001",
        Role::PracticeManager,
        "{ history(stream: \"practice-A81001\", last: 2) { totalCount nodes { version } pageInfo { hasPreviousPage } } }",
    )
    .await;
    assert_eq!(
        answer["data"]["history"]["nodes"][1]["version"], 2999,
        "{answer}"
    );
    assert_eq!(
        answer["data"]["history"]["pageInfo"]["hasPreviousPage"],
        true
    );
    let cut = ask(
        &world,
        "A81001",
        Role::PracticeManager,
        &format!(
            "{{ history(stream: \"organisations\", asOf: \"{}\") {{ totalCount }} }}",
            world.instants[1]
        ),
    )
    .await;
    assert_eq!(cut["data"]["history"]["totalCount"], 6, "{cut}");
    assert!(
        read() - before <= 2 + 2 + 1 + 64,
        "read {}",
        read() - before
    );
    // Priced before anything is read: 1000 pages cut at a time cost 1000 × (1 + 65).
    let before = read();
    let costly = aliases(1000, |_| {
        format!(
            "history(stream: \"practice-A81001\", first: 1, asOf: \"{}\") {{ totalCount }}",
            world.instants[2]
        )
    });
    let answer = ask(&world, "A81001", Role::PracticeManager, &costly).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(
        message(&answer).contains("complexity limit of 50000"),
        "{answer}"
    );
    assert_eq!(read(), before, "a refused query read nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_holds_the_replayer_for_two_replays_in_a_row() {
    // Each page a replay reads takes 150 ms, so a replay takes at least 300 ms.
    let world = Arc::new(world(0, Duration::from_millis(150)).await);
    let run = |query: String| {
        let world = world.clone();
        tokio::spawn(async move {
            let answer = ask(&world, "X24", Role::NationalLead, &query).await;
            (answer, Instant::now())
        })
    };
    let two = format!(
        "{{ a: organisation(code: \"X24\", asOf: \"{}\") {{ name }} b: organisation(code: \"X24\", asOf: \"{}\") {{ name }} }}",
        world.instants[0], world.instants[1]
    );
    let one = format!(
        "{{ organisation(code: \"X24\", asOf: \"{}\") {{ name }} }}",
        world.instants[2]
    );
    let first = run(two);
    // The first request's first replay is running when the second request comes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = run(one);
    let (first, first_done) = first.await.expect("first");
    let (second, second_done) = second.await.expect("second");
    assert!(first["errors"].is_null(), "{first}");
    assert!(second["errors"].is_null(), "{second}");
    assert!(
        second_done < first_done,
        "the one-replay request waited for both replays of the request before it"
    );
    assert_eq!(
        world.projection.stats.as_of_replays.load(Ordering::Relaxed),
        3
    );
    // Concurrent requests for one instant share one replay.
    let t = chrono::DateTime::parse_from_rfc3339(&world.instants[0])
        .expect("instant")
        .with_timezone(&chrono::Utc)
        + chrono::Duration::microseconds(1);
    let same = format!(
        "{{ organisation(code: \"X24\", asOf: \"{}\") {{ name }} }}",
        t.to_rfc3339()
    );
    let all: Vec<_> = (0..5).map(|_| run(same.clone())).collect();
    for request in all {
        let (answer, _) = request.await.expect("request");
        assert_eq!(answer["data"]["organisation"]["name"], "X24", "{answer}");
    }
    assert_eq!(
        world.projection.stats.as_of_replays.load(Ordering::Relaxed),
        4
    );
}

/// GraphQL's standard introspection query as graphql-js's `getIntrospectionQuery` writes
/// it (what GraphiQL sends): type references `type_depth` levels deep, and the optional
/// fields GraphiQL may ask for when `everything`.
fn introspection_query(type_depth: usize, everything: bool) -> String {
    let opt = |field: &str| {
        if everything {
            field.to_owned()
        } else {
            String::new()
        }
    };
    let deprecated = |args: &str| {
        if everything {
            format!("{args}(includeDeprecated: true)")
        } else {
            args.to_owned()
        }
    };
    let mut type_ref = String::from("kind name");
    for _ in 0..type_depth {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    format!(
        "query IntrospectionQuery {{
  __schema {{
    {schema_description}
    queryType {{ name kind }}
    mutationType {{ name kind }}
    subscriptionType {{ name kind }}
    types {{ ...FullType }}
    directives {{
      name description {repeatable} locations
      {directive_args} {{ ...InputValue }}
    }}
  }}
}}
fragment FullType on __Type {{
  kind name description {specified_by} {one_of}
  fields(includeDeprecated: true) {{
    name description
    {field_args} {{ ...InputValue }}
    type {{ ...TypeRef }}
    isDeprecated deprecationReason
  }}
  {input_fields} {{ ...InputValue }}
  interfaces {{ ...TypeRef }}
  enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
  possibleTypes {{ ...TypeRef }}
}}
fragment InputValue on __InputValue {{
  name description type {{ ...TypeRef }} defaultValue {input_deprecation}
}}
fragment TypeRef on __Type {{ {type_ref} }}",
        schema_description = opt("description"),
        repeatable = opt("isRepeatable"),
        directive_args = deprecated("args"),
        specified_by = opt("specifiedByURL"),
        one_of = opt("isOneOf"),
        field_args = deprecated("args"),
        input_fields = deprecated("inputFields"),
        input_deprecation = opt("isDeprecated deprecationReason"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_is_within_the_limits() {
    let world = world(0, Duration::ZERO).await;
    for (depth, everything) in [(7, false), (9, false), (9, true)] {
        let query = introspection_query(depth, everything);
        // Without a token too: GraphiQL introspects before anyone signs in.
        let response = world
            .schema
            .execute(async_graphql::Request::new(query.as_str()))
            .await;
        let answer = serde_json::to_value(&response).expect("json");
        assert!(
            answer["errors"].is_null(),
            "depth {depth}: {}",
            answer["errors"]
        );
        let types = answer["data"]["__schema"]["types"]
            .as_array()
            .expect("types");
        assert!(
            types.iter().any(|t| t["name"] == "Session"),
            "depth {depth}"
        );
    }
    // What the standard query does not do stays refused: reading the schema's types
    // through their fields' types two levels down, two hundred times over…
    fn level(n: usize) -> String {
        if n == 0 {
            return "name".into();
        }
        let named = format!("fields {{ {} }}", level(n - 1));
        format!(
            "name type {{ {named} ofType {{ {named} ofType {{ {named} ofType {{ {named} }} }} }} }}"
        )
    }
    let copy = format!("__schema {{ types {{ fields {{ {} }} }} }}", level(2));
    let multiplied = format!(
        "{{ {} }}",
        (0..200)
            .map(|i| format!("a{i}: {copy}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let answer = ask(&world, "X24", Role::NationalLead, &multiplied).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(message(&answer).contains("introspection limit"), "{answer}");
    // …and nesting for its own sake.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(14),
        " }".repeat(14)
    );
    let answer = ask(&world, "X24", Role::NationalLead, &deep).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(message(&answer).contains("deep"), "{answer}");
}

/// Every error message and path in `answer`, with a check that none repeats `run`.
fn assert_no_echo(answer: &Value, run: &str) {
    let errors = answer["errors"].as_array().expect("errors");
    assert!(!errors.is_empty());
    for error in errors {
        let message = error["message"].as_str().expect("message");
        assert!(
            message.chars().count() <= 300,
            "a message of {} characters",
            message.chars().count()
        );
        assert!(error["extensions"]["code"].is_string(), "{error}");
    }
    let text = answer.to_string();
    assert!(
        !text.contains(run),
        "the answer repeats more than 100 characters of its input: {}…",
        &text[..text.len().min(300)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_error_repeats_more_than_100_characters_of_its_input() {
    let world = world(0, Duration::ZERO).await;
    let huge = "9".repeat(2_000_000);
    let run = "9".repeat(101);
    // Variables of the wrong type, 2 MB each.
    for (query, variables, expected_code) in [
        (
            "query($n: Int) { organisations(kind: PRACTICE, first: $n) { totalCount } }",
            json!({ "n": huge }),
            Some("BAD_USER_INPUT"),
        ),
        (
            "query($at: DateTime) { organisation(code: \"X24\", asOf: $at) { name } }",
            json!({ "at": huge }),
            None,
        ),
    ] {
        let answer = ask_with(&world, "X24", Role::NationalLead, query, variables).await;
        assert_no_echo(&answer, &run);
        if let Some(expected) = expected_code {
            assert_eq!(code(&answer), expected);
        }
    }
    // Long bad arguments: a code that names nothing, a stream, an id, a programme.
    for query in [
        format!("{{ organisation(code: \"{huge}\") {{ name }} }}"),
        format!("{{ session(id: \"{huge}\") {{ title }} }}"),
        format!("{{ history(stream: \"{huge}\") {{ totalCount }} }}"),
        format!(
            "{{ trainingRollout(programme: \"{huge}\", groupBy: ICB) {{ totals {{ enrolled }} }} }}"
        ),
        format!("{{ organisations(kind: PRACTICE, within: \"{huge}\") {{ totalCount }} }}"),
        format!("{{ organisations(kind: PRACTICE, after: \"{huge}\") {{ totalCount }} }}"),
        format!("{{ organisations(kind: \"{huge}\") {{ totalCount }} }}"),
        // Input the library repeats: names of fields, aliases, variables.
        format!("{{ f{huge} }}"),
        format!("{{ a{huge}: organisation(code: \"nowhere\") {{ name }} }}"),
        format!("query {{ organisation(code: ${huge}) {{ name }} }}"),
    ] {
        let answer = ask(&world, "X24", Role::NationalLead, &query).await;
        assert_no_echo(&answer, &run);
    }
    // An unknown operation name.
    let request = async_graphql::Request::new("query A { me { subject } }")
        .operation_name(huge.clone())
        .data(caller("X24", Role::NationalLead));
    let answer = serde_json::to_value(world.schema.execute(request).await).expect("json");
    assert_no_echo(&answer, &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditors_and_national_roles_see_the_trail_but_no_booking() {
    let world = world(0, Duration::ZERO).await;
    let bookings = format!(
        "{{ session(id: \"{SESSION}\") {{ booked bookings {{ reference referredBy {{ code }} }} }} }}"
    );
    for role in [Role::Auditor, Role::NationalLead] {
        let answer = ask(&world, "X24", role, &bookings).await;
        assert_eq!(answer["data"]["session"]["booked"], 2, "{role:?}: {answer}");
        assert_eq!(
            answer["data"]["session"]["bookings"],
            json!([]),
            "{role:?} sees an individual booking"
        );
    }
    // Those involved see the booking: the ICB above the session, the referrer.
    for (org, role) in [
        ("QWO", Role::IcbCommissioner),
        ("A81001", Role::PracticeManager),
        ("P-leeds-libraries", Role::PartnerCoordinator),
    ] {
        let answer = ask(&world, org, role, &bookings).await;
        assert_eq!(
            answer["data"]["session"]["bookings"][0]["reference"], BOOKING,
            "{org}: {answer}"
        );
    }

    let trail = format!(
        "{{ history(stream: \"session-{SESSION}\") {{ nodes {{ eventType actor organisation requestId payload redacted }} }} }}"
    );
    for role in [Role::Auditor, Role::NationalLead] {
        let answer = ask(&world, "X24", role, &trail).await;
        assert!(answer["errors"].is_null(), "{role:?}: {answer}");
        let booked = &answer["data"]["history"]["nodes"][1];
        assert_eq!(booked["eventType"], "difacto.v1.SeatBooked", "{answer}");
        assert_eq!(booked["actor"], "reception@A81001");
        assert_eq!(booked["redacted"], true);
        assert!(booked["organisation"].is_null(), "{booked}");
        assert!(booked["requestId"].is_null(), "{booked}");
        assert_eq!(booked["payload"]["places"], 2, "{booked}");
        let text = booked.to_string();
        for secret in [BOOKING, "\"A81001\"", "\"pl\"", "WHEELCHAIR"] {
            assert!(!text.contains(secret), "{role:?} sees {secret}: {text}");
        }
        let scheduled = &answer["data"]["history"]["nodes"][0];
        assert_eq!(scheduled["redacted"], false, "{scheduled}");
        assert_eq!(scheduled["organisation"], "P-leeds-libraries");
    }
    // The commissioner above sees the booking in the trail, but no request id: each is
    // shown only to the organisation that wrote its event.
    let answer = ask(&world, "QWO", Role::IcbCommissioner, &trail).await;
    let [scheduled, booked] = [0, 1].map(|i| &answer["data"]["history"]["nodes"][i]);
    assert_eq!(booked["payload"]["bookingReference"], BOOKING, "{answer}");
    assert_eq!(booked["organisation"], "A81001");
    assert_eq!(booked["redacted"], false);
    assert!(booked["requestId"].is_null(), "{booked}");
    assert!(scheduled["requestId"].is_null(), "{scheduled}");
    let answer = ask(
        &world,
        "P-leeds-libraries",
        Role::PartnerCoordinator,
        &trail,
    )
    .await;
    let [scheduled, booked] = [0, 1].map(|i| &answer["data"]["history"]["nodes"][i]);
    assert_eq!(scheduled["requestId"], "schedule-2030-03-02", "{answer}");
    assert!(booked["requestId"].is_null(), "{booked}");
    // A practice not involved still may not read the session's trail.
    let answer = ask(&world, "A81002", Role::PracticeManager, &trail).await;
    assert_eq!(code(&answer), "FORBIDDEN", "{answer}");

    // The live feed shows auditors the same redacted trail.
    let request = async_graphql::Request::new(
        "subscription { events(filter: { afterPosition: 0, streamPrefix: \"session-\" }) { eventType organisation requestId payload redacted } }",
    )
    .data(caller("X24", Role::Auditor));
    let events: Vec<_> = world.schema.execute_stream(request).take(2).collect().await;
    let booked = serde_json::to_value(&events[1]).expect("json");
    assert_eq!(
        booked["data"]["events"]["eventType"], "difacto.v1.SeatBooked",
        "{booked}"
    );
    assert_eq!(booked["data"]["events"]["redacted"], true, "{booked}");
    assert!(!booked.to_string().contains(BOOKING), "{booked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_see_the_usability_issues_of_their_own_platforms_only() {
    let world = world(0, Duration::ZERO).await;
    let issues = "{ platformIssues { nodes { id platform { provider { code } } } } }";
    let answer = ask(&world, "V-acme", Role::ProviderAdmin, issues).await;
    assert_eq!(
        answer["data"]["platformIssues"]["nodes"],
        json!([{ "id": ISSUE_A, "platform": { "provider": { "code": "V-acme" } } }]),
        "{answer}"
    );
    let asked = "{ platformIssues(provider: \"V-bolt\") { totalCount } }";
    let answer = ask(&world, "V-acme", Role::ProviderAdmin, asked).await;
    assert_eq!(
        answer["data"]["platformIssues"]["totalCount"], 0,
        "{answer}"
    );
    // The practice that reported them, and the ICB, see both.
    for (org, role) in [
        ("A81002", Role::PracticeManager),
        ("QWO", Role::IcbCommissioner),
    ] {
        let answer = ask(&world, org, role, issues).await;
        assert_eq!(
            answer["data"]["platformIssues"]["nodes"]
                .as_array()
                .map(Vec::len),
            Some(2),
            "{org}: {answer}"
        );
    }
    // Nor can a provider read another provider's issue through its trail.
    let trail = |issue: &str| format!("{{ history(stream: \"issue-{issue}\") {{ totalCount }} }}");
    let answer = ask(&world, "V-acme", Role::ProviderAdmin, &trail(ISSUE_B)).await;
    assert_eq!(code(&answer), "FORBIDDEN", "{answer}");
    let answer = ask(&world, "V-acme", Role::ProviderAdmin, &trail(ISSUE_A)).await;
    assert_eq!(answer["data"]["history"]["totalCount"], 1, "{answer}");
}

/// A websocket to the gateway's `/graphql/ws` speaking graphql-transport-ws.
async fn websocket(
    addr: std::net::SocketAddr,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    socket
}

/// What the server answers to `first`: the close code it closed with, or `None` if it
/// acknowledged.
async fn first_answer(addr: std::net::SocketAddr, first: Value) -> Option<u16> {
    use tokio_tungstenite::tungstenite::Message;
    let mut socket = websocket(addr).await;
    socket
        .send(Message::Text(first.to_string().into()))
        .await
        .expect("send");
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an answer within 5 s");
    match answer {
        Some(Ok(Message::Close(Some(frame)))) => Some(u16::from(frame.code)),
        Some(Ok(Message::Text(text))) => {
            let text: Value = serde_json::from_str(&text).expect("json");
            assert_eq!(text["type"], "connection_ack", "{text}");
            None
        }
        other => panic!("unexpected answer: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_without_a_valid_token_is_closed_with_4401() {
    let world = world(0, Duration::ZERO).await;
    let verifier = Arc::new(TokenVerifier::hs256(SECRET, "difacto", "difacto"));
    let gateway =
        gateway::http::Gateway::new(world.schema.clone(), verifier, world.projection.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(gateway.serve(listener, shutdown.clone()));

    // The same commissioner's token, signed with the gateway's secret or another one.
    let signed_with = |secret: &[u8]| {
        TokenIssuer::hs256(secret, "difacto", "difacto")
            .mint(
                "user@QWO",
                "QWO",
                &[Role::IcbCommissioner],
                Duration::from_secs(600),
            )
            .expect("token")
    };
    let valid = signed_with(SECRET);
    let forged = signed_with(b"another-secret-entirely-0123456789");
    let init = |payload: Value| json!({ "type": "connection_init", "payload": payload });
    for (what, first) in [
        ("a malformed token", init(json!({ "token": "not-a-jwt" }))),
        ("a forged token", init(json!({ "token": forged }))),
        (
            "a forged bearer header",
            init(json!({ "Authorization": format!("Bearer {forged}") })),
        ),
        ("no token", init(json!({}))),
        ("no payload", json!({ "type": "connection_init" })),
        (
            "a subscription before connection_init",
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { events { eventType } }" } }),
        ),
    ] {
        assert_eq!(first_answer(addr, first).await, Some(4401), "{what}");
    }
    assert_eq!(
        first_answer(addr, init(json!({ "token": valid }))).await,
        None,
        "a valid token is acknowledged"
    );
    shutdown.cancel();
}
