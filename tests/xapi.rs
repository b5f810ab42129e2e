//! xAPI statements in, end to end: a real `difacto dev --xapi-config` on free ports, a
//! small tree and a launched programme registered through GraphQL, then statements shaped
//! as the ADL specification's examples and a Moodle export show, sent over HTTP with a
//! platform's Basic credentials and a practice's bearer token. What was recorded is read
//! back from the log event by event and through the `trainingRollout` view.

mod support;

use auth::Role;
use hyper::Request;
use serde_json::{Value, json};
use support::gateway::{Dev, data, exchanged, graphql, token};

const PROGRAMME: &str = "3f9a0c1e-7b2d-4e8f-9a6b-5c4d3e2f1a0b";
/// The platform's Basic credentials; the configuration holds the secret's SHA-256
/// (`printf %s lms-secret | sha256sum`).
const CLIENT: &str = "learning-hub";
const SECRET: &str = "lms-secret";
const SECRET_SHA256: &str = "652d89246e72db8d355e104f668978c971484807282b6650dda154043f444d67";

const MODULE_APP: &str = "https://learning.example.nhs.uk/mod/scorm/view.php?id=12";
const MODULE_CONSULT: &str = "http://example.adlnet.gov/xapi/example/simpleCBT";
const COURSE: &str = "https://learning.example.nhs.uk/course/view.php?id=3";

/// What identifies the two learners, which must never reach the log.
const MOODLE_HOME: &str = "https://learning.example.nhs.uk";
const MBOX: &str = "mailto:example.learner@adlnet.gov";

fn config() -> Value {
    json!({
        "pseudonym_key": "e2e-pseudonym-key-0123456789abcdef0123456789",
        "clients": [{ "key": CLIENT, "secret_sha256": SECRET_SHA256, "practice": "A81001" }],
        "activities": [
            { "id": MODULE_APP, "programme": PROGRAMME, "module": "nhs-app", "staff_role": "RECEPTIONIST" },
            { "id": MODULE_CONSULT, "programme": PROGRAMME, "module": "online-consultation", "staff_role": "RECEPTIONIST" },
            { "id": COURSE, "programme": PROGRAMME, "staff_role": "RECEPTIONIST" }
        ]
    })
}

/// `days` ago at 14:05 UTC, as a platform writes a timestamp.
fn ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .format("%Y-%m-%dT14:05:00+00:00")
        .to_string()
}

/// Moodle's logstore_xapi for a course module completion: the learner as an account on
/// the Moodle site, the site and course as grouping, no statement id.
fn moodle(activity: &str, name: &str, days: i64) -> Value {
    json!({
        "actor": { "name": "Jane Smith", "account": { "homePage": MOODLE_HOME, "name": "4127" } },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/completed", "display": { "en": "completed" } },
        "object": {
            "id": activity,
            "definition": { "type": "http://adlnet.gov/expapi/activities/module", "name": { "en": name } },
            "objectType": "Activity"
        },
        "timestamp": ago(days),
        "context": {
            "platform": "Moodle",
            "language": "en",
            "extensions": {
                "http://lrs.learninglocker.net/define/extensions/info": {
                    "https://moodle.org/": "4.1.2",
                    "event_name": "\\core\\event\\course_module_completion_updated"
                }
            },
            "contextActivities": {
                "grouping": [
                    { "id": MOODLE_HOME, "definition": { "type": "http://id.tincanapi.com/activitytype/lms", "name": { "en": "NHS learning" } }, "objectType": "Activity" },
                    { "id": COURSE, "definition": { "type": "http://id.tincanapi.com/activitytype/lms/course", "name": { "en": "Digital facilitation" } }, "objectType": "Activity" }
                ],
                "category": [{ "id": "http://moodle.org", "definition": { "type": "http://id.tincanapi.com/activitytype/source", "name": { "en": "Moodle" } }, "objectType": "Activity" }]
            }
        },
        "result": { "completion": true, "duration": "PT23M" },
        "version": "1.0.0"
    })
}

/// xAPI 1.0.3 Part Two, Appendix A: the completion of the simple CBT course, with its
/// result and context.
fn adl_completion(id: &str, days: i64) -> Value {
    json!({
        "id": id,
        "timestamp": ago(days),
        "actor": { "objectType": "Agent", "name": "Example Learner", "mbox": MBOX },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/completed", "display": { "en-US": "completed" } },
        "object": {
            "id": MODULE_CONSULT,
            "definition": {
                "name": { "en-US": "simple CBT course" },
                "description": { "en-US": "A fictitious example CBT course." }
            }
        },
        "result": { "score": { "scaled": 0.95 }, "success": true, "completion": true, "duration": "PT1234S" },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {
                "parent": [{ "id": "http://example.adlnet.gov/xapi/example/testsuite", "objectType": "Activity" }],
                "grouping": [{ "id": "http://example.adlnet.gov/xapi/example/testsuite", "objectType": "Activity" }]
            },
            "platform": "Example virtual meeting software",
            "language": "tlh"
        }
    })
}

/// xAPI 1.0.3 Part Two, Appendix A: the simple statement (a verb difacto has no use for).
fn adl_simple() -> Value {
    json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "timestamp": "2015-11-18T12:17:00+00:00",
        "actor": { "objectType": "Agent", "name": "Project Tin Can API", "mbox": "mailto:user@example.com" },
        "verb": { "id": "http://example.com/xapi/verbs#sent-a-statement", "display": { "en-US": "sent" } },
        "object": {
            "id": "http://example.com/xapi/activity/simplestatement",
            "definition": {
                "name": { "en-US": "simple statement" },
                "description": { "en-US": "A simple Experience API statement. Note that the LRS does not need to have any prior information about the Actor (learner), the verb, or the Activity/object." }
            }
        }
    })
}

#[derive(Debug)]
struct Answer {
    status: u16,
    version: String,
    authenticate: String,
    body: Value,
}

enum Credentials<'a> {
    Basic(&'a str, &'a str),
    Bearer(&'a str),
    None,
}

/// POSTs `body` to the statements resource as an xAPI 1.0.3 client does.
async fn post(dev: &Dev, credentials: Credentials<'_>, body: &Value) -> Answer {
    send(dev, "POST", "", Some("1.0.3"), credentials, body).await
}

/// One exchange with `/xapi/statements`.
async fn send(
    dev: &Dev,
    method: &str,
    query: &str,
    version: Option<&str>,
    credentials: Credentials<'_>,
    body: &Value,
) -> Answer {
    let addr = dev.http_addr.as_str();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/xapi/statements{query}"))
        .header("host", addr)
        .header("content-type", "application/json");
    if let Some(version) = version {
        request = request.header("X-Experience-API-Version", version);
    }
    request = match credentials {
        Credentials::Basic(user, password) => {
            use base64::Engine;
            let pair =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request.header("authorization", format!("Basic {pair}"))
        }
        Credentials::Bearer(token) => request.header("authorization", format!("Bearer {token}")),
        Credentials::None => request,
    };
    let (head, body) = exchanged(addr, request, body.to_string()).await;
    let header = |name: &str| {
        head.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    Answer {
        status: head.status.as_u16(),
        version: header("x-experience-api-version"),
        authenticate: header("www-authenticate"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

async fn mutate(dev: &Dev, token: &str, name: &str, input: Value) {
    let mut type_name = name[..1].to_uppercase();
    type_name.push_str(&name[1..]);
    let query = format!(
        "mutation($input: {type_name}Input!) {{ {name}(input: $input) {{ lastPosition }} }}"
    );
    let answer = graphql(
        &dev.http_addr,
        Some(token),
        &query,
        json!({ "input": input }),
    )
    .await;
    data(&answer);
}

/// Every event in the log.
async fn events(dev: &Dev) -> Vec<proto::v1::RecordedEvent> {
    let mut client = support::client(&dev.server.url(), &support::service_token()).await;
    support::read_everything(&mut client).await
}

fn of_type<'a>(
    events: &'a [proto::v1::RecordedEvent],
    name: &str,
) -> Vec<&'a proto::v1::RecordedEvent> {
    events
        .iter()
        .filter(|e| e.event_type.ends_with(name))
        .collect()
}

async fn rollout(dev: &Dev) -> Value {
    let national = token("X24", Role::NationalLead);
    let answer = graphql(
        &dev.http_addr,
        Some(&national),
        "query($p: String!) { trainingRollout(programme: $p, groupBy: PRACTICE, within: \"QWO\") { totals { enrolled completed } } }",
        json!({ "p": PROGRAMME }),
    )
    .await;
    data(&answer)["trainingRollout"]["totals"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_become_completions_once_and_nothing_else() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config_file = dir.path().join("xapi.json");
    std::fs::write(&config_file, config().to_string()).expect("config written");
    let dev = Dev::launch(
        &dir.path().join("data"),
        &["--xapi-config", &config_file.to_string_lossy()],
        &[],
        "difacto ready",
    );

    // Given a practice and a programme of two modules for reception staff.
    let national = token("X24", Role::NationalLead);
    for (code, kind, parent, name) in [
        ("X24", "NATIONAL", None, "NHS England"),
        ("Y63", "REGION", Some("X24"), "North East and Yorkshire"),
        ("QWO", "ICB", Some("Y63"), "West Yorkshire ICB"),
        ("U00001", "PCN", Some("QWO"), "Leeds Central PCN"),
        ("A81001", "PRACTICE", Some("U00001"), "Park Surgery"),
    ] {
        let mut input =
            json!({ "code": code, "kind": kind, "name": name, "effectiveDate": "2020-01-01" });
        if let Some(parent) = parent {
            input["parentCode"] = json!(parent);
        }
        if kind == "PRACTICE" {
            input["postcodeDistrict"] = json!("LS6");
        }
        mutate(&dev, &national, "registerOrganisation", input).await;
    }
    mutate(
        &dev,
        &national,
        "launchTrainingProgramme",
        json!({
            "programmeId": PROGRAMME,
            "ownerCode": "X24",
            "title": "Digital facilitation essentials",
            "code": "DFE-2026",
            "audienceRoles": ["RECEPTIONIST"],
            "moduleIds": ["nhs-app", "online-consultation"],
            "targetPercent": 80,
            "deadline": "2099-03-31",
        }),
    )
    .await;
    let basic = || Credentials::Basic(CLIENT, SECRET);
    // Jane's completion of the NHS App module, POSTed with `version` and `credentials`.
    let post_app_module = |version, credentials| {
        let statement = moodle(MODULE_APP, "NHS App", 3);
        let dev = &dev;
        async move { send(dev, "POST", "", version, credentials, &statement).await }
    };
    let before = events(&dev).await.len();

    // The version header is required, and must be 1.0.x or 2.0.x.
    for version in [None, Some("0.95"), Some("3.0.0")] {
        let answer = post_app_module(version, basic()).await;
        assert_eq!(answer.status, 400, "{version:?}: {answer:?}");
        assert_eq!(
            answer.body["property"], "X-Experience-API-Version",
            "{answer:?}"
        );
        assert_eq!(answer.version, "1.0.3");
    }
    // Credentials: none, a wrong secret, an unknown client, a forged token.
    for credentials in [
        Credentials::None,
        Credentials::Basic(CLIENT, "lms-secreT"),
        Credentials::Basic("totara", SECRET),
        Credentials::Bearer("not.a.token"),
    ] {
        let answer = post_app_module(Some("1.0.3"), credentials).await;
        assert_eq!(answer.status, 401, "{answer:?}");
        assert!(answer.authenticate.starts_with("Basic"), "{answer:?}");
    }
    assert_eq!(events(&dev).await.len(), before, "refusals record nothing");

    // POST one statement (Moodle, no id): the learner is enrolled and the module recorded.
    let answer = post_app_module(Some("1.0.3"), basic()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.version, "1.0.3");
    let ids = answer.body.as_array().expect("an array of ids").clone();
    assert_eq!(ids.len(), 1);
    let log = events(&dev).await;
    assert_eq!(of_type(&log, "StaffEnrolled").len(), 1);
    assert_eq!(of_type(&log, "ModuleCompleted").len(), 1);

    // The same id-less statement again is the same statement: nothing new.
    let again = post_app_module(Some("1.0.0"), basic()).await;
    assert_eq!((again.status, &again.body), (200, &json!(ids)), "{again:?}");
    assert_eq!(events(&dev).await.len(), log.len());

    // POST an array: the second module and the whole course for the same learner, in
    // the wrong order, the spec's simple statement (another verb) and a completion of an
    // activity nobody mapped.
    let unmapped = moodle(
        "https://learning.example.nhs.uk/mod/page/view.php?id=99",
        "Welcome",
        1,
    );
    let batch = json!([
        moodle(COURSE, "Digital facilitation", 1),
        adl_simple(),
        moodle(MODULE_CONSULT, "Online consultation", 2),
        unmapped,
    ]);
    let answer = send(&dev, "POST", "", Some("2.0.0"), basic(), &batch).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.version, "2.0.0");
    let ids = answer.body.as_array().expect("ids");
    assert_eq!(ids.len(), 4);
    assert_eq!(
        ids[1], "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "a statement's own id is kept"
    );
    let log = events(&dev).await;
    assert_eq!(of_type(&log, "StaffEnrolled").len(), 1, "enrolled once");
    assert_eq!(of_type(&log, "ModuleCompleted").len(), 2);
    assert_eq!(of_type(&log, "TrainingCompleted").len(), 1);
    let recorded = log.len();

    // PUT with statementId, as a practice manager with a bearer token: the spec's
    // completion example, by a second learner identified by mbox.
    let statement_id = "7ccd3322-e1a5-411a-a67d-6a735c76f119";
    let manager = token("A81001", Role::PracticeManager);
    let query = format!("?statementId={statement_id}");
    let statement = adl_completion(statement_id, 2);
    let answer = send(
        &dev,
        "PUT",
        &query,
        Some("1.0.3"),
        Credentials::Bearer(&manager),
        &statement,
    )
    .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    let log = events(&dev).await;
    assert_eq!(log.len(), recorded + 2, "an enrolment and a module");
    assert_eq!(of_type(&log, "StaffEnrolled").len(), 2);

    // The same statement again, by PUT or POST, through either credential: recorded once.
    for credentials in [Credentials::Bearer(&manager), basic()] {
        let answer = send(&dev, "PUT", &query, Some("1.0.3"), credentials, &statement).await;
        assert_eq!(answer.status, 204, "{answer:?}");
    }
    let answer = post(&dev, basic(), &json!([statement])).await;
    assert_eq!(
        (answer.status, &answer.body),
        (200, &json!([statement_id])),
        "{answer:?}"
    );
    assert_eq!(
        events(&dev).await.len(),
        log.len(),
        "nothing recorded twice"
    );

    // The same id with other content is a conflict, and records nothing.
    let mut changed = adl_completion(statement_id, 1);
    changed["result"]["score"]["scaled"] = json!(0.5);
    let answer = send(&dev, "PUT", &query, Some("1.0.3"), basic(), &changed).await;
    assert_eq!(answer.status, 409, "{answer:?}");
    assert_eq!(answer.body["property"], "id");
    // So is the same id with another verb, although that verb records nothing.
    let mut attempted = statement.clone();
    attempted["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/attempted");
    let answer = post(&dev, basic(), &attempted).await;
    assert_eq!(
        (answer.status, answer.body["property"].as_str()),
        (409, Some("id")),
        "{answer:?}"
    );
    // A body whose id is not the statementId is refused.
    let other = format!("?statementId={}", uuid::Uuid::new_v4());
    let answer = send(&dev, "PUT", &other, Some("1.0.3"), basic(), &statement).await;
    assert_eq!(
        (answer.status, answer.body["property"].as_str()),
        (400, Some("id")),
        "{answer:?}"
    );

    // A bad statement in a batch names its property and index; the good one before it is
    // not recorded either.
    let mut bad = adl_completion(&uuid::Uuid::new_v4().to_string(), 1);
    bad["actor"]["mbox"] = json!("example.learner@adlnet.gov");
    let good = adl_completion(&uuid::Uuid::new_v4().to_string(), 1);
    let answer = post(&dev, basic(), &json!([good, bad])).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body["property"], "actor.mbox");
    assert_eq!(answer.body["statement"], 1);
    assert!(
        !answer.body.to_string().contains("example.learner"),
        "{answer:?}"
    );
    for (change, property) in [
        (json!({ "verb": { "id": "completed" } }), "verb.id"),
        (json!({ "object": { "id": "simple CBT" } }), "object.id"),
        (json!({ "timestamp": "yesterday" }), "timestamp"),
    ] {
        let mut statement = adl_completion(&uuid::Uuid::new_v4().to_string(), 1);
        for (key, value) in change.as_object().expect("object") {
            statement[key] = value.clone();
        }
        let answer = post(&dev, basic(), &statement).await;
        assert_eq!(
            (answer.status, answer.body["property"].as_str()),
            (400, Some(property)),
            "{answer:?}"
        );
    }
    // A completion in the future is the domain's refusal, named as the statement's.
    let future = adl_completion(&uuid::Uuid::new_v4().to_string(), -3);
    let answer = post(&dev, basic(), &future).await;
    assert_eq!(
        (answer.status, answer.body["property"].as_str()),
        (400, Some("timestamp")),
        "{answer:?}"
    );
    assert_eq!(
        events(&dev).await.len(),
        log.len(),
        "refused statements record nothing"
    );

    // Statements difacto has no use for are accepted and kept nowhere.
    let answer = post(&dev, basic(), &json!([adl_simple()])).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let final_log = events(&dev).await;
    assert_eq!(final_log.len(), log.len());

    // The rollout shows both learners enrolled and one trained.
    let totals = rollout(&dev).await;
    assert_eq!(
        (totals["enrolled"].as_u64(), totals["completed"].as_u64()),
        (Some(2), Some(1)),
        "{totals}"
    );

    // Nothing that identifies a learner reached the log: only keyed references.
    for event in &final_log[before..] {
        let mut text = String::from_utf8_lossy(&event.payload).into_owned();
        for (key, value) in &event.metadata {
            text.push_str(key);
            text.push_str(value);
        }
        for identifying in [
            MBOX,
            "example.learner",
            MOODLE_HOME,
            "Jane Smith",
            "Example Learner",
        ] {
            assert!(
                !text.contains(identifying),
                "{identifying} in {}",
                event.event_type
            );
        }
        assert!(
            text.contains("xapi-"),
            "a pseudonymous reference in {}",
            event.event_type
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configuration_there_is_no_endpoint_and_a_bad_one_stops_difacto() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A file that does not parse is one sentence naming the setting, and no start.
    let bad = dir.path().join("xapi.json");
    let mut config = config();
    config["activities"][1]["staff_role"] = json!("RECEPTION");
    std::fs::write(&bad, config.to_string()).expect("written");
    let output = support::command()
        .args(["dev", "--data-dir"])
        .arg(dir.path().join("refused"))
        .args([
            "--grpc-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--xapi-config",
        ])
        .arg(&bad)
        .output()
        .expect("difacto runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("--xapi-config") && stderr.contains("activities[1].staff_role"),
        "{stderr}"
    );

    // Without one, the endpoint says it is not configured; a body over the bound is 413.
    let dev = Dev::start(&dir.path().join("data"));
    let manager = token("A81001", Role::PracticeManager);
    let answer = post(&dev, Credentials::Bearer(&manager), &adl_simple()).await;
    assert_eq!(answer.status, 404, "{answer:?}");
    assert!(
        answer.body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("--xapi-config")
    );
    let huge = json!(vec![adl_simple(); 800]);
    let answer = post(&dev, Credentials::Bearer(&manager), &huge).await;
    assert_eq!(answer.status, 413, "{answer:?}");
}
