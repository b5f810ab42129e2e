//! Statements as the ADL specification's examples and real platforms' exports write them.

use serde_json::json;

use super::*;

/// xAPI 1.0.3 Part Two, Appendix A "Example Statements": the simple statement.
fn adl_simple() -> Value {
    json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "timestamp": "2015-11-18T12:17:00+00:00",
        "actor": {
            "objectType": "Agent",
            "name": "Project Tin Can API",
            "mbox": "mailto:user@example.com"
        },
        "verb": {
            "id": "http://example.com/xapi/verbs#sent-a-statement",
            "display": { "en-US": "sent" }
        },
        "object": {
            "id": "http://example.com/xapi/activity/simplestatement",
            "definition": {
                "name": { "en-US": "simple statement" },
                "description": {
                    "en-US": "A simple Experience API statement. Note that the LRS does not need to have any prior information about the Actor (learner), the verb, or the Activity/object."
                }
            }
        }
    })
}

/// xAPI 1.0.3 Part Two, Appendix A: the completion with result and context (Example
/// "Typical simple completion with verb 'attempted'", with the verb completed and the
/// long example's context).
fn adl_completion() -> Value {
    json!({
        "id": "7ccd3322-e1a5-411a-a67d-6a735c76f119",
        "timestamp": "2015-12-18T12:17:00+00:00",
        "actor": {
            "objectType": "Agent",
            "name": "Example Learner",
            "mbox": "mailto:example.learner@adlnet.gov"
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": { "en-US": "completed" }
        },
        "object": {
            "id": "http://example.adlnet.gov/xapi/example/simpleCBT",
            "definition": {
                "name": { "en-US": "simple CBT course" },
                "description": { "en-US": "A fictitious example CBT course." }
            }
        },
        "result": {
            "score": { "scaled": 0.95 },
            "success": true,
            "completion": true,
            "duration": "PT1234S"
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {
                "parent": [{
                    "id": "http://example.adlnet.gov/xapi/example/testsuite",
                    "objectType": "Activity"
                }],
                "grouping": [{ "id": "http://example.adlnet.gov/xapi/example/testsuite" }],
                "category": { "id": "http://example.adlnet.gov/xapi/example/category" }
            },
            "platform": "Example virtual meeting software",
            "language": "tlh",
            "statement": {
                "objectType": "StatementRef",
                "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"
            }
        }
    })
}

/// Moodle's logstore_xapi, course module completion: an account on the Moodle site, the
/// course and site as grouping.
pub(crate) fn moodle_module_completed() -> Value {
    json!({
        "actor": {
            "name": "Jane Smith",
            "account": { "homePage": "https://learning.example.nhs.uk", "name": "4127" }
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": { "en": "completed" }
        },
        "object": {
            "id": "https://learning.example.nhs.uk/mod/scorm/view.php?id=12",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/module",
                "name": { "en": "Helping patients with the NHS App" }
            },
            "objectType": "Activity"
        },
        "timestamp": "2026-03-02T14:05:00+00:00",
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
                    {
                        "id": "https://learning.example.nhs.uk",
                        "definition": {
                            "type": "http://id.tincanapi.com/activitytype/lms",
                            "name": { "en": "NHS learning" }
                        },
                        "objectType": "Activity"
                    },
                    {
                        "id": "https://learning.example.nhs.uk/course/view.php?id=3",
                        "definition": {
                            "type": "http://id.tincanapi.com/activitytype/lms/course",
                            "name": { "en": "Digital facilitation" }
                        },
                        "objectType": "Activity"
                    }
                ],
                "category": [{
                    "id": "http://moodle.org",
                    "definition": {
                        "type": "http://id.tincanapi.com/activitytype/source",
                        "name": { "en": "Moodle" }
                    },
                    "objectType": "Activity"
                }]
            }
        },
        "result": { "completion": true, "duration": "PT23M" },
        "version": "1.0.0"
    })
}

fn refused(value: Value) -> Invalid {
    parse(&value).expect_err("refused")
}

#[test]
fn the_specifications_examples_and_a_moodle_export_are_read() {
    let simple = parse(&adl_simple()).expect("valid");
    assert_eq!(
        simple.id.map(|i| i.to_string()).as_deref(),
        Some("fd41c918-b88b-4b20-a0a5-a4c32391aaa0")
    );
    assert_eq!(
        simple.completed_activity(),
        None,
        "sent is not a completion"
    );

    let completion = parse(&adl_completion()).expect("valid");
    assert_eq!(
        completion.completed_activity(),
        Some("http://example.adlnet.gov/xapi/example/simpleCBT")
    );
    assert_eq!(completion.date(), NaiveDate::from_ymd_opt(2015, 12, 18));

    let moodle = parse(&moodle_module_completed()).expect("valid");
    assert_eq!(
        moodle.completed_activity(),
        Some("https://learning.example.nhs.uk/mod/scorm/view.php?id=12")
    );
    assert!(matches!(moodle.actor, Identifier::Account { .. }));
}

#[test]
fn passed_counts_and_a_contradicted_verb_does_not() {
    let mut passed = adl_completion();
    passed["verb"]["id"] = json!(PASSED);
    assert!(
        parse(&passed)
            .expect("valid")
            .completed_activity()
            .is_some()
    );
    let mut failed = adl_completion();
    failed["result"]["success"] = json!(false);
    assert_eq!(parse(&failed).expect("valid").completed_activity(), None);
    let mut incomplete = moodle_module_completed();
    incomplete["result"]["completion"] = json!(false);
    assert_eq!(
        parse(&incomplete).expect("valid").completed_activity(),
        None
    );
    let mut about_a_person = adl_completion();
    about_a_person["object"] = json!({ "objectType": "Agent", "mbox": "mailto:a@b.c" });
    assert_eq!(
        parse(&about_a_person).expect("valid").completed_activity(),
        None
    );
}

#[test]
fn the_date_is_the_one_where_it_happened() {
    let mut late = adl_completion();
    late["timestamp"] = json!("2026-06-01T00:30:00+01:00");
    assert_eq!(
        parse(&late).expect("valid").date(),
        NaiveDate::from_ymd_opt(2026, 6, 1)
    );
    late["timestamp"] = json!("2026-06-01T10:30:00.123");
    assert_eq!(
        parse(&late).expect("valid").date(),
        NaiveDate::from_ymd_opt(2026, 6, 1)
    );
    late.as_object_mut().expect("object").remove("timestamp");
    assert_eq!(parse(&late).expect("valid").date(), None);
}

#[test]
fn a_bad_statement_is_refused_naming_the_property() {
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|s| s["id"] = json!("not-a-uuid")), "id"),
        (
            Box::new(|s| s["id"] = json!("fd41c918b88b4b20a0a5a4c32391aaa0")),
            "id",
        ),
        (
            Box::new(|s| {
                s.as_object_mut().map(|m| m.remove("actor"));
            }),
            "actor",
        ),
        (
            Box::new(|s| s["actor"]["mbox"] = json!("user@example.com")),
            "actor.mbox",
        ),
        (
            Box::new(|s| {
                s.as_object_mut().map(|m| m.remove("verb"));
            }),
            "verb",
        ),
        (
            Box::new(|s| s["verb"] = json!({ "display": { "en-US": "did" } })),
            "verb.id",
        ),
        (
            Box::new(|s| s["verb"]["id"] = json!("completed")),
            "verb.id",
        ),
        (
            Box::new(|s| s["verb"]["display"] = json!("completed")),
            "verb.display",
        ),
        (
            Box::new(|s| s["object"]["id"] = json!("simple CBT")),
            "object.id",
        ),
        (
            Box::new(|s| {
                s["object"].as_object_mut().map(|m| m.remove("id"));
            }),
            "object.id",
        ),
        (
            Box::new(|s| s["object"]["objectType"] = json!("Course")),
            "object.objectType",
        ),
        (
            Box::new(|s| s["object"]["definition"]["name"] = json!(["x"])),
            "object.definition.name",
        ),
        (
            Box::new(|s| s["timestamp"] = json!("18/12/2015")),
            "timestamp",
        ),
        (
            Box::new(|s| s["timestamp"] = json!(1_450_441_020)),
            "timestamp",
        ),
        (
            Box::new(|s| s["result"]["completion"] = json!("yes")),
            "result.completion",
        ),
        (
            Box::new(|s| s["result"]["success"] = json!(1)),
            "result.success",
        ),
        (
            Box::new(|s| s["result"]["score"]["scaled"] = json!(95)),
            "result.score.scaled",
        ),
        (
            Box::new(|s| s["context"]["registration"] = json!("r-1")),
            "context.registration",
        ),
        (
            Box::new(|s| s["context"]["contextActivities"]["parent"][0]["id"] = json!("suite")),
            "context.contextActivities.parent[0].id",
        ),
        (
            Box::new(|s| s["context"]["contextActivities"]["sibling"] = json!([])),
            "context.contextActivities",
        ),
        (Box::new(|s| s["version"] = json!("0.95")), "version"),
        (Box::new(|s| s["learner"] = json!("Jane")), "statement"),
    ];
    for (change, property) in cases {
        let mut statement = adl_completion();
        change(&mut statement);
        let err = refused(statement);
        assert_eq!(err.property, property, "{}", err.reason);
    }
    assert_eq!(refused(json!("a statement")).property, "statement");
}

#[test]
fn refusals_repeat_no_value() {
    let mut statement = adl_completion();
    statement["timestamp"] = json!("jane.smith@nhs.net");
    let err = refused(statement);
    assert!(!err.reason.contains("jane"), "{}", err.reason);
    let mut statement = adl_completion();
    statement["Jane Smith 07700 900123"] = json!(1);
    let err = refused(statement);
    assert!(
        !err.reason.contains("Jane") && !err.reason.contains("07700"),
        "{}",
        err.reason
    );
}

#[test]
fn a_body_holds_one_statement_or_an_array_checked_whole() {
    let one = serde_json::to_vec(&adl_completion()).expect("json");
    assert_eq!(parse_body(&one).expect("valid").len(), 1);
    let many = serde_json::to_vec(&json!([adl_simple(), moodle_module_completed()])).expect("json");
    assert_eq!(parse_body(&many).expect("valid").len(), 2);
    assert!(parse_body(b"[]").expect("valid").is_empty());

    let mut bad = moodle_module_completed();
    bad["verb"]["id"] = json!(7);
    let batch = serde_json::to_vec(&json!([adl_simple(), bad])).expect("json");
    let (index, err) = parse_body(&batch).expect_err("refused");
    assert_eq!((index, err.property.as_str()), (Some(1), "verb.id"));

    let twice = serde_json::to_vec(&json!([adl_completion(), adl_completion()])).expect("json");
    let (index, err) = parse_body(&twice).expect_err("refused");
    assert_eq!((index, err.property.as_str()), (Some(1), "id"));

    let (index, err) = parse_body(b"{\"actor\": ").expect_err("refused");
    assert_eq!((index, err.property.as_str()), (None, "statement"));
    let too_many = serde_json::to_vec(&vec![adl_simple(); MAX_STATEMENTS + 1]).expect("json");
    assert!(parse_body(&too_many).is_err());
}

#[test]
fn the_same_statement_written_differently_has_the_same_digest() {
    let original = parse(&adl_completion()).expect("valid");
    // Another order of properties, the timestamp in another zone, what an LRS assigns.
    let text = r#"{
        "object": { "definition": { "description": { "en-US": "A fictitious example CBT course." },
                                    "name": { "en-US": "simple CBT course" } },
                    "id": "http://example.adlnet.gov/xapi/example/simpleCBT" },
        "verb": { "display": { "en-US": "completed" }, "id": "http://adlnet.gov/expapi/verbs/completed" },
        "actor": { "mbox": "mailto:example.learner@adlnet.gov", "name": "Example Learner", "objectType": "Agent" },
        "timestamp": "2015-12-18T13:17:00+01:00",
        "stored": "2015-12-18T13:17:01+01:00",
        "version": "1.0.3",
        "id": "7ccd3322-e1a5-411a-a67d-6a735c76f119"
    }"#;
    let mut same: Value = serde_json::from_str(text).expect("json");
    same["result"] = adl_completion()["result"].clone();
    same["context"] = adl_completion()["context"].clone();
    assert_eq!(parse(&same).expect("valid").digest, original.digest);

    let mut other = adl_completion();
    other["result"]["score"]["scaled"] = json!(0.5);
    assert_ne!(parse(&other).expect("valid").digest, original.digest);
    let mut other = adl_completion();
    other["actor"]["mbox"] = json!("mailto:someone.else@adlnet.gov");
    assert_ne!(parse(&other).expect("valid").digest, original.digest);
}

#[test]
fn iris_and_uuids() {
    assert!(is_iri("http://adlnet.gov/expapi/verbs/completed"));
    assert!(is_iri("urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"));
    assert!(is_iri("https://例え.jp/コース"));
    assert!(!is_iri("completed"));
    assert!(!is_iri("http://a b"));
    assert!(!is_iri("1http://a"));
    assert!(!is_iri("http:"));
    assert!(parse_uuid("FD41C918-B88B-4B20-A0A5-A4C32391AAA0").is_some());
    assert!(parse_uuid("{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}").is_none());
}
