//! The GraphQL gateway end to end: `difacto dev` started as a real process on free ports,
//! spoken to over loopback HTTP (`/graphql`, `/healthz`, `/metrics`, GraphiQL) and
//! websocket (`/graphql/ws`, graphql-transport-ws). A small tree is built through
//! mutations and read back through the views; errors carry their `extensions.code`; a
//! subscription sees what mutations wrote; 40 bookings race for 10 seats; and a restart
//! resumes the read models from their checkpoint with the same answers.

mod support;

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use auth::Role;
use serde_json::{Value, json};
use support::gateway::{Dev, Subscription, data, error_code, error_message, graphql, http, token};

/// No test here may take longer than this, whatever the server does.
const TEST_LIMIT: Duration = Duration::from_secs(180);

/// How long a view may lag a mutation before the test gives up on it.
const CATCH_UP: Duration = Duration::from_secs(5);

async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .unwrap_or_else(|_| panic!("the test took more than {TEST_LIMIT:?}"));
}

const RESULT_FIELDS: &str =
    "aggregateId eventIds firstPosition lastPosition streamVersion createdId";

/// Runs mutation `name` with `input` (of type `<Name>Input!`) and returns the whole answer.
async fn mutate(addr: &str, token: &str, name: &str, input: Value) -> Value {
    let mut input_type = name[..1].to_uppercase();
    input_type.push_str(&name[1..]);
    let query = format!(
        "mutation($input: {input_type}Input!) {{ {name}(input: $input) {{ {RESULT_FIELDS} }} }}"
    );
    graphql(addr, Some(token), &query, json!({ "input": input })).await
}

/// Runs a mutation that must succeed and returns its `CommandResult`.
async fn command(addr: &str, token: &str, name: &str, input: Value) -> Value {
    let answer = mutate(addr, token, name, input.clone()).await;
    let result = data(&answer)[name].clone();
    assert!(
        result["eventIds"].as_array().is_some_and(|e| !e.is_empty()),
        "{name}({input}) recorded nothing: {answer}"
    );
    result
}

/// Reads after a write. The first answer is what a client reading its own write gets;
/// when it does not show the write yet the read is repeated until it does (for at most
/// [`CATCH_UP`]) and the lag is reported on stderr.
async fn read_after_write(
    addr: &str,
    token: &str,
    query: &str,
    shows_the_write: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let answer = graphql(addr, Some(token), query, json!({})).await;
        let answer = data(&answer).clone();
        if shows_the_write(&answer) {
            if attempts > 1 {
                eprintln!(
                    "FINDING: a read right after a mutation missed the write; it showed after \
                     {attempts} attempts ({:?}): {query}",
                    started.elapsed()
                );
            }
            return answer;
        }
        assert!(
            started.elapsed() < CATCH_UP,
            "the view never showed the write within {CATCH_UP:?}: {query} → {answer}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn codes(nodes: &Value) -> BTreeSet<String> {
    nodes
        .as_array()
        .unwrap_or_else(|| panic!("a list: {nodes}"))
        .iter()
        .map(|n| n["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The value of `name` (an unlabelled gauge or counter) in a Prometheus text page.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (key, value) = l.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_surface_authentication_and_abuse_limits() {
    bounded(async {
        let dir = tempfile::tempdir().expect("dir");
        let dev = Dev::start(dir.path());
        let addr = dev.http_addr.as_str();
        let national = token("X24", Role::NationalLead);

        // Health, the web app, GraphiQL.
        let health = http(addr, "GET", "/healthz", None, None).await;
        assert_eq!(health.status, 200, "{}", health.body);
        let home = http(addr, "GET", "/", None, None).await;
        assert_eq!(home.status, 200);
        assert!(
            home.body.contains("href=\"/signin\""),
            "home page: {}",
            home.body
        );
        let graphiql = http(addr, "GET", "/graphiql", None, None).await;
        assert_eq!(graphiql.status, 200);
        assert!(
            graphiql.content_type.starts_with("text/html"),
            "{}",
            graphiql.content_type
        );
        assert!(
            graphiql.body.contains("graphiql") && graphiql.body.contains("/graphql"),
            "GraphiQL page: {}",
            &graphiql.body[..graphiql.body.len().min(400)]
        );

        // `{ __typename }` needs no token.
        let answer = graphql(addr, None, "{ __typename }", json!({})).await;
        assert_eq!(data(&answer)["__typename"], "QueryRoot");

        // A view without a token, with a malformed header, with a bad signature.
        let view = "{ organisations(kind: PRACTICE) { totalCount } }";
        let answer = graphql(addr, None, view, json!({})).await;
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
        let forged = {
            let mut t = national.clone();
            let last = t.pop().expect("a token");
            t.push(if last == 'A' { 'B' } else { 'A' });
            t
        };
        for bad in ["not-a-jwt", forged.as_str()] {
            let answer = graphql(addr, Some(bad), view, json!({})).await;
            assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{bad}: {answer}");
        }
        let answer = graphql(addr, Some(&national), view, json!({})).await;
        assert_eq!(data(&answer)["organisations"]["totalCount"], 0);

        // Page size above the limit.
        let answer = graphql(
            addr,
            Some(&national),
            "{ organisations(kind: PRACTICE, first: 10000) { totalCount nodes { code } } }",
            json!({}),
        )
        .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert!(error_message(&answer).starts_with("first:"), "{answer}");

        // A query nested deeper than the limit is refused, and the server carries on.
        let depth = 16;
        let deep = format!(
            "{{ __schema {{ types {{ fields {{ type {}name{} }} }} }} }}",
            "ofType { ".repeat(depth),
            " }".repeat(depth)
        );
        let answer = graphql(addr, Some(&national), &deep, json!({})).await;
        assert!(
            answer["errors"][0].is_object() && answer["data"].is_null(),
            "a query {depth} levels deep was answered: {}",
            &answer.to_string()[..400.min(answer.to_string().len())]
        );
        assert!(
            error_message(&answer).to_lowercase().contains("deep"),
            "{}",
            error_message(&answer)
        );
        let answer = graphql(addr, None, "{ __typename }", json!({})).await;
        assert_eq!(data(&answer)["__typename"], "QueryRoot");

        // So is one that multiplies pages by pages beyond the complexity limit.
        let costly = "{ organisations(kind: PRACTICE, first: 500) { nodes { code \
                      children(first: 500) { nodes { code name } } } } }";
        let answer = graphql(addr, Some(&national), costly, json!({})).await;
        assert!(
            answer["errors"][0].is_object() && answer["data"].is_null(),
            "a query beyond the complexity limit was answered: {answer}"
        );
        assert!(
            error_message(&answer).to_lowercase().contains("complex"),
            "{answer}"
        );
        let answer = graphql(addr, None, "{ __typename }", json!({})).await;
        assert_eq!(data(&answer)["__typename"], "QueryRoot");

        // Metrics, after some requests.
        let metrics = http(addr, "GET", "/metrics", None, None).await;
        assert_eq!(metrics.status, 200);
        assert!(
            metrics
                .body
                .contains("# TYPE difacto_gateway_graphql_requests counter"),
            "{}",
            metrics.body
        );
        let ok = metrics
            .body
            .lines()
            .find(|l| l.starts_with("difacto_gateway_graphql_requests_total{outcome=\"ok\"}"))
            .unwrap_or_else(|| panic!("no ok request counted: {}", metrics.body));
        let count: f64 = ok
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a count");
        assert!(count >= 3.0, "{ok}");
        assert!(
            metric(&metrics.body, "difacto_gateway_read_model_position").is_some(),
            "{}",
            metrics.body
        );

        let mut server = dev.server;
        let status = server.sigterm_and_wait();
        assert!(status.success(), "exit {status}: {}", server.stderr_text());
    })
    .await;
}

/// The answers a restart must reproduce.
const CHILDREN: &str =
    r#"{ organisation(code: "QWO") { children { totalCount nodes { code } } } }"#;
const PRACTICES: &str = r#"{ organisations(kind: PRACTICE, within: "QWO") { totalCount edges { cursor node { code } } pageInfo { hasNextPage } } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_views_errors_subscription_race_and_restart() {
    bounded(scenario()).await;
}

async fn scenario() {
    let dir = tempfile::tempdir().expect("dir");
    let dev = Dev::start(dir.path());
    let addr = dev.http_addr.clone();
    let addr = addr.as_str();
    let national = token("X24", Role::NationalLead);
    let manager = token("A81001", Role::PracticeManager);
    let partner = token("P-leeds-libraries", Role::PartnerCoordinator);
    // National leads see aggregates; the audit trail of a session is for those involved
    // and the commissioners above them.
    let commissioner = token("QWO", Role::IcbCommissioner);

    // Given a small tree, registered through GraphQL.
    let tree = [
        ("X24", "NATIONAL", None, "NHS England"),
        ("Y63", "REGION", Some("X24"), "North East and Yorkshire"),
        ("QWO", "ICB", Some("Y63"), "West Yorkshire ICB"),
        ("U00001", "PCN", Some("QWO"), "Leeds Central PCN"),
        ("A81001", "PRACTICE", Some("U00001"), "Park Surgery"),
        ("A81002", "PRACTICE", Some("U00001"), "Hill Surgery"),
        (
            "P-leeds-libraries",
            "PARTNER",
            Some("QWO"),
            "Leeds Libraries",
        ),
    ];
    let mut head = 0;
    for (code, kind, parent, name) in tree {
        let mut input = json!({
            "code": code,
            "kind": kind,
            "name": name,
            "effectiveDate": "2020-01-01",
        });
        if let Some(parent) = parent {
            input["parentCode"] = json!(parent);
        }
        if kind == "PARTNER" {
            input["coversCodes"] = json!(["QWO"]);
        }
        if kind == "PRACTICE" {
            input["postcodeDistrict"] = json!("LS6");
        }
        let result = command(addr, &national, "registerOrganisation", input).await;
        assert_eq!(result["aggregateId"], code, "{result}");
        head = result["lastPosition"].as_u64().expect("lastPosition");
    }

    // Then the views show it.
    let children = read_after_write(addr, &national, CHILDREN, |a| {
        a["organisation"]["children"]["totalCount"] == 2
    })
    .await;
    assert_eq!(
        codes(&children["organisation"]["children"]["nodes"]),
        BTreeSet::from(["U00001".to_owned(), "P-leeds-libraries".to_owned()]),
        "{children}"
    );
    let practices = read_after_write(addr, &national, PRACTICES, |a| {
        a["organisations"]["totalCount"] == 2
    })
    .await;
    let edges = practices["organisations"]["edges"]
        .as_array()
        .expect("edges");
    let listed: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(listed, ["A81001", "A81002"], "in code order: {practices}");
    assert_eq!(practices["organisations"]["pageInfo"]["hasNextPage"], false);
    // Paging by cursor walks the same list.
    let first = data(
        &graphql(
            addr,
            Some(&national),
            r#"{ organisations(kind: PRACTICE, within: "QWO", first: 1) { totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }"#,
            json!({}),
        )
        .await,
    )["organisations"]
        .clone();
    assert_eq!(first["totalCount"], 2);
    assert_eq!(first["edges"][0]["node"]["code"], "A81001");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let after = first["pageInfo"]["endCursor"].as_str().expect("endCursor");
    let second = data(
        &graphql(
            addr,
            Some(&national),
            "query($after: String) { organisations(kind: PRACTICE, within: \"QWO\", first: 1, after: $after) { edges { node { code } } pageInfo { hasNextPage } } }",
            json!({ "after": after }),
        )
        .await,
    )["organisations"]
        .clone();
    assert_eq!(second["edges"][0]["node"]["code"], "A81002");
    assert_eq!(second["pageInfo"]["hasNextPage"], false);

    // Errors. Bad input names the field.
    let session_input = |capacity: i64, title: &str| {
        json!({
            "partnerCode": "P-leeds-libraries",
            "icbCode": "QWO",
            "hostPracticeCode": "A81001",
            "startsAt": "2099-05-01T10:00:00Z",
            "endsAt": "2099-05-01T12:00:00Z",
            "capacity": capacity,
            "topics": ["NHS_APP"],
            "languages": ["en", "ur"],
            "title": title,
        })
    };
    let answer = mutate(
        addr,
        &partner,
        "scheduleSession",
        session_input(0, "No room at all"),
    )
    .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["field"], "capacity",
        "{answer}"
    );
    assert!(error_message(&answer).starts_with("capacity:"), "{answer}");
    let answer = mutate(
        addr,
        &national,
        "registerOrganisation",
        json!({ "code": "not a code", "kind": "PRACTICE", "name": "Nowhere", "parentCode": "U00001" }),
    )
    .await;
    assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
    assert!(error_message(&answer).starts_with("code:"), "{answer}");

    // A practice manager may not do what only commissioners do, and the log is untouched.
    let answer = mutate(
        addr,
        &manager,
        "registerOrganisation",
        json!({ "code": "A81003", "kind": "PRACTICE", "name": "Annex", "parentCode": "U00001" }),
    )
    .await;
    assert_eq!(error_code(&answer), "FORBIDDEN", "{answer}");
    let answer = graphql(
        addr,
        Some(&national),
        r#"{ organisation(code: "A81003") { code } }"#,
        json!({}),
    )
    .await;
    assert_eq!(error_code(&answer), "NOT_FOUND", "{answer}");

    // An unknown session.
    let answer = graphql(
        addr,
        Some(&national),
        "query($id: String!) { session(id: $id) { id } }",
        json!({ "id": uuid::Uuid::new_v4().to_string() }),
    )
    .await;
    assert_eq!(error_code(&answer), "NOT_FOUND", "{answer}");

    // A subscription sees what mutations write.
    let mut events = Subscription::start(
        addr,
        &commissioner,
        r#"subscription { events(filter: {streamPrefix: "session-"}) { eventType stream actor position } }"#,
    )
    .await;
    // The subscription starts at the log's head when the server takes it in; give it a
    // moment so the next mutation is not recorded before that.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let drop_in = command(
        addr,
        &partner,
        "scheduleSession",
        session_input(10, "NHS App drop-in"),
    )
    .await;
    let drop_in_id = drop_in["aggregateId"].as_str().expect("id").to_owned();
    let booked = command(
        addr,
        &manager,
        "bookSeat",
        json!({ "sessionId": drop_in_id, "referringOrganisationCode": "A81001", "places": 1 }),
    )
    .await;
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(next) = events.next(left).await else {
            panic!("the subscription delivered only {seen:?} within 5 s");
        };
        seen.push(next["events"].clone());
    }
    events.close().await;
    let stream = format!("session-{drop_in_id}");
    assert_eq!(
        seen[0]["eventType"], "difacto.v1.SessionScheduled",
        "{seen:?}"
    );
    assert_eq!(seen[1]["eventType"], "difacto.v1.SeatBooked", "{seen:?}");
    for (event, result) in seen.iter().zip([&drop_in, &booked]) {
        assert_eq!(event["stream"], stream.as_str(), "{event}");
        assert_eq!(event["position"], result["firstPosition"], "{event}");
        assert!(
            event["actor"].as_str().is_some_and(|a| !a.is_empty()),
            "{event}"
        );
    }

    // 40 bookings race for 10 seats: exactly 10 win, the others are told CONFLICT.
    let race = command(
        addr,
        &partner,
        "scheduleSession",
        session_input(10, "Online prescriptions clinic"),
    )
    .await;
    let race_id = race["aggregateId"].as_str().expect("id").to_owned();
    let bookers: Vec<_> = (0..40)
        .map(|_| {
            let (addr, manager, id) = (addr.to_owned(), manager.clone(), race_id.clone());
            tokio::spawn(async move {
                mutate(
                    &addr,
                    &manager,
                    "bookSeat",
                    json!({ "sessionId": id, "referringOrganisationCode": "A81001", "places": 1 }),
                )
                .await
            })
        })
        .collect();
    let mut won = 0;
    let mut refused = 0;
    for booker in bookers {
        let answer = booker.await.expect("booker");
        if answer["errors"][0].is_object() {
            assert_eq!(error_code(&answer), "CONFLICT", "{answer}");
            refused += 1;
        } else {
            won += 1;
            head = head.max(
                data(&answer)["bookSeat"]["lastPosition"]
                    .as_u64()
                    .expect("pos"),
            );
        }
    }
    assert_eq!((won, refused), (10, 30));
    let session_query = format!(
        r#"{{ session(id: "{race_id}") {{ capacity booked available full waitlisted }} }}"#
    );
    let session = read_after_write(addr, &national, &session_query, |a| {
        a["session"]["booked"] == 10
    })
    .await;
    assert_eq!(
        session["session"],
        json!({ "capacity": 10, "booked": 10, "available": 0, "full": true, "waitlisted": 0 })
    );
    let open_query = r#"{ sessions(within: "QWO", openOnly: true) { totalCount nodes { id booked available } } }"#;
    let open = data(&graphql(addr, Some(&national), open_query, json!({})).await).clone();
    assert_eq!(open["sessions"]["totalCount"], 1, "{open}");
    assert_eq!(open["sessions"]["nodes"][0]["id"], drop_in_id.as_str());
    assert_eq!(open["sessions"]["nodes"][0]["available"], 9);
    let history_query = format!(r#"{{ history(stream: "session-{race_id}") {{ totalCount }} }}"#);
    let history =
        data(&graphql(addr, Some(&commissioner), &history_query, json!({})).await).clone();
    assert_eq!(history["history"]["totalCount"], 11, "{history}");

    // Restart: SIGTERM exits 0, and the same data directory gives the same answers,
    // resumed from the checkpoint rather than replayed.
    let children = data(&graphql(addr, Some(&national), CHILDREN, json!({})).await).clone();
    let practices = data(&graphql(addr, Some(&national), PRACTICES, json!({})).await).clone();
    let checks = [
        (&national, CHILDREN, children),
        (&national, PRACTICES, practices),
        (&national, session_query.as_str(), session.clone()),
        (&national, open_query, open.clone()),
        (&commissioner, history_query.as_str(), history.clone()),
    ];
    let first_start = dev.ready_in;
    let mut server = dev.server;
    let status = server.sigterm_and_wait();
    assert!(status.success(), "exit {status}: {}", server.stderr_text());
    drop(server);

    let dev = Dev::start(dir.path());
    let addr = dev.http_addr.as_str();
    eprintln!(
        "ready in {:?} on a fresh directory, {:?} on restart",
        first_start, dev.ready_in
    );
    assert!(
        dev.ready_in < Duration::from_secs(5),
        "a restart on a small log took {:?}",
        dev.ready_in
    );
    let metrics = http(addr, "GET", "/metrics", None, None).await.body;
    let position = metric(&metrics, "difacto_gateway_read_model_position").expect("position");
    let applied =
        metric(&metrics, "difacto_gateway_read_model_events_applied").expect("events applied");
    assert_eq!(
        position as u64, head,
        "the read model is at the log's head: {metrics}"
    );
    assert_eq!(
        applied, 0.0,
        "the read models resumed from the checkpoint, replaying nothing: {metrics}"
    );
    for (token, query, before) in &checks {
        let after = data(&graphql(addr, Some(token), query, json!({})).await).clone();
        assert_eq!(&after, before, "{query}");
    }

    let mut server = dev.server;
    let status = server.sigterm_and_wait();
    assert!(status.success(), "exit {status}: {}", server.stderr_text());
}
