//! The schema in-process over a real log: disclosure control and read scoping as callers
//! of different organisations and roles see them.

use auth::Role;
use serde_json::Value;

use gateway::schema::DifactoSchema;

use crate::world::{DUTY, verified, world};

/// The answer to `query` from `schema`, asked by someone of `org` in `role`.
pub(crate) async fn ask(schema: &DifactoSchema, org: &str, role: Role, query: &str) -> Value {
    let response = schema
        .execute(async_graphql::Request::new(query).data(verified(org, &[role])))
        .await;
    serde_json::to_value(&response).expect("json")
}

fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

const MIX: &str = "{ facilitationMix(within: \"WITHIN\", groupBy: PRACTICE) { totals { records patients { value suppressed rounded display } proactiveShare } groups { area { code } figures { patients { value suppressed display } proactiveShare } } } }";

/// The facilitation mix `within` an area by practice, as someone of `org` in `role` sees it.
async fn mix(schema: &DifactoSchema, org: &str, role: Role, within: &str) -> Value {
    ask(schema, org, role, &MIX.replace("WITHIN", within)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patient_counts_below_national_level_are_suppressed_or_rounded_except_your_own() {
    let world = world().await;
    // England as a whole: exact (17 people, 3 of them proactively).
    let national = mix(&world.schema, "X24", Role::NationalLead, "X24").await;
    assert_eq!(
        at(&national, "data.facilitationMix.totals.patients.value"),
        17
    );
    assert_eq!(
        at(&national, "data.facilitationMix.totals.proactiveShare"),
        17.6
    );
    // Per practice, below national level: 5 is suppressed, and 12 (which would round to
    // 10) is withheld with it, or 17 - 12 would give the 5 back.
    let groups = at(&national, "data.facilitationMix.groups");
    assert_eq!(at(groups, "0.area.code"), "A81001");
    assert!(at(groups, "0.figures.patients.value").is_null());
    assert_eq!(at(groups, "0.figures.patients.suppressed"), true);
    assert!(at(groups, "1.figures.patients.value").is_null());
    assert_eq!(at(groups, "1.figures.patients.suppressed"), true);
    assert_eq!(at(groups, "1.figures.patients.display"), "*");
    // A share is never shown beside a withheld count.
    assert!(at(groups, "0.figures.proactiveShare").is_null(), "{groups}");
    assert!(at(groups, "1.figures.proactiveShare").is_null(), "{groups}");
    // The ICB sees its area's total (17) rounded to 15: it did not record them.
    let icb = mix(&world.schema, "QWO", Role::IcbCommissioner, "QWO").await;
    assert_eq!(at(&icb, "data.facilitationMix.totals.patients.value"), 15);
    assert_eq!(
        at(&icb, "data.facilitationMix.totals.patients.rounded"),
        true
    );
    // A practice sees its own figures exactly, its neighbour's under control.
    let own = mix(&world.schema, "A81002", Role::PracticeManager, "A81002").await;
    assert_eq!(at(&own, "data.facilitationMix.totals.patients.value"), 5);
    assert_eq!(
        at(&own, "data.facilitationMix.totals.patients.suppressed"),
        false
    );
    let neighbour = mix(&world.schema, "A81002", Role::PracticeManager, "A81001").await;
    assert_eq!(
        at(&neighbour, "data.facilitationMix.totals.patients.value"),
        10
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_training_is_read_only_by_those_involved_and_above() {
    let world = world().await;
    let query = "{ trainingRollout(programme: \"p\", groupBy: PRACTICE, within: \"A81001\") { totals { enrolled } } }";
    let partner = ask(
        &world.schema,
        "P-leeds-libraries",
        Role::PartnerCoordinator,
        query,
    )
    .await;
    assert_eq!(at(&partner, "errors.0.extensions.code"), "FORBIDDEN");
    let neighbour = ask(&world.schema, "A81002", Role::PracticeManager, query).await;
    assert_eq!(at(&neighbour, "errors.0.extensions.code"), "FORBIDDEN");
    // Those allowed get past scoping to the next question: no such programme.
    for (org, role) in [
        ("A81001", Role::PracticeManager),
        ("QWO", Role::IcbCommissioner),
        ("X24", Role::NationalLead),
    ] {
        let answer = ask(&world.schema, org, role, query).await;
        assert_eq!(
            at(&answer, "errors.0.extensions.code"),
            "NOT_FOUND",
            "{org}"
        );
        assert!(
            at(&answer, "errors.0.message")
                .as_str()
                .is_some_and(|m| m.starts_with("programme:"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_refuse_hostile_queries_with_a_clear_error() {
    let world = world().await;
    let too_many = ask(
        &world.schema,
        "X24",
        Role::NationalLead,
        "{ organisations(kind: PRACTICE, first: 100000) { totalCount } }",
    )
    .await;
    assert_eq!(at(&too_many, "errors.0.extensions.code"), "BAD_USER_INPUT");
    assert!(
        at(&too_many, "errors.0.message")
            .as_str()
            .is_some_and(|m| m.starts_with("first:"))
    );
    let deep = "{ organisation(code: \"X24\") { children { nodes { code } edges { node { code } cursor } pageInfo { hasNextPage } } code } }";
    let ok = ask(&world.schema, "X24", Role::NationalLead, deep).await;
    assert!(at(&ok, "errors").is_null(), "{ok}");
    let nested = "{ a: organisations(kind: PRACTICE) { edges { node { children { edges { node { code } } } } } } }";
    let fine = ask(&world.schema, "X24", Role::NationalLead, nested).await;
    assert!(at(&fine, "errors").is_null(), "{fine}");
    let hostile = format!(
        "{{ {} }}",
        (0..400)
            .map(|i| format!(
                "a{i}: organisations(kind: PRACTICE, first: 500) {{ nodes {{ code name }} }}"
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let refused = ask(&world.schema, "X24", Role::NationalLead, &hostile).await;
    assert!(
        at(&refused, "errors.0.message")
            .as_str()
            .is_some_and(|m| m.contains("omplex")),
        "{refused}"
    );
    let after = ask(
        &world.schema,
        "X24",
        Role::NationalLead,
        "{ organisation(code: \"QWO\") { name } }",
    )
    .await;
    assert_eq!(at(&after, "data.organisation.name"), "QWO");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_counts_each_practice_with_its_flags_and_refuses_unknown_names() {
    let world = world().await;
    let query = "{ responsibilityGaps(area: \"QWO\") { area { code } coverage { duty { id } level units counts { flag units } byUnit { totalCount nodes { unit { code } flags responsible { code } } } } above { level unit { code } } } }";
    let answer = ask(&world.schema, "QWO", Role::IcbCommissioner, query).await;
    assert!(answer["errors"].is_null(), "{answer}");
    let gaps = &answer["data"]["responsibilityGaps"];
    let coverage = at(gaps, "coverage").as_array().expect("a list");
    assert_eq!(
        coverage.len(),
        1,
        "LOCAL only; NATIONAL is above QWO: {gaps}"
    );
    let local = &coverage[0];
    assert_eq!(at(local, "duty.id"), DUTY);
    assert_eq!(at(local, "level"), "LOCAL");
    assert_eq!(at(local, "units"), 2);
    let count = |flag: &str| {
        at(local, "counts")
            .as_array()
            .expect("counts")
            .iter()
            .find(|c| c["flag"] == flag)
            .map(|c| c["units"].clone())
    };
    assert_eq!(count("MISSING_ACCOUNTABLE"), Some(2.into()));
    assert_eq!(count("MISSING_RESPONSIBLE"), Some(0.into()));
    assert_eq!(count("COVERED"), Some(0.into()));
    let first = at(local, "byUnit.nodes.0");
    assert_eq!(at(first, "unit.code"), "A81001");
    assert_eq!(
        at(first, "flags"),
        &serde_json::json!(["MISSING_ACCOUNTABLE"])
    );
    assert_eq!(
        at(first, "responsible.0.code"),
        "U00001",
        "the PCN's acceptance covers it"
    );
    assert_eq!(at(gaps, "above.0.level"), "NATIONAL");
    assert_eq!(at(gaps, "above.0.unit.code"), "X24");

    for (query, names) in [
        (
            "{ responsibilityGaps(area: \"QZZ\") { area { code } } }",
            "area",
        ),
        (
            "{ responsibilityGaps(area: \"QWO\", duty: \"no-such-duty\") { area { code } } }",
            "duty",
        ),
    ] {
        let answer = ask(&world.schema, "QWO", Role::IcbCommissioner, query).await;
        let error = &answer["errors"][0];
        assert_eq!(error["extensions"]["code"], "NOT_FOUND", "{answer}");
        let message = error["message"].as_str().expect("a message");
        assert!(message.starts_with(&format!("{names}:")), "{message}");
    }
    let answer = ask(
        &world.schema,
        "QWO",
        Role::IcbCommissioner,
        "{ responsibilityGaps(area: \"QWO\", flag: ORPHANED) { area { code } } }",
    )
    .await;
    assert!(
        answer["data"].is_null() && !answer["errors"].is_null(),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_date_answers_the_world_on_a_day_and_refuses_the_future() {
    let world = world().await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let query =
        format!("{{ responsibilityGaps(area: \"QWO\", onDate: \"{tomorrow}\") {{ onDate }} }}");
    let answer = ask(&world.schema, "QWO", Role::IcbCommissioner, &query).await;
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{answer}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("onDate:")),
        "{answer}"
    );
    // Before anything was recorded, the world held no duty, so nothing is owed.
    let answer = ask(&world.schema,
        "QWO",
        Role::IcbCommissioner,
        "{ responsibilityGaps(area: \"QWO\", onDate: \"2020-06-01\") { onDate coverage { units } } duties(onDate: \"2020-06-01\") { totalCount } }",
    )
    .await;
    assert!(answer["errors"].is_null(), "{answer}");
    assert_eq!(at(&answer, "data.responsibilityGaps.onDate"), "2020-06-01");
    assert_eq!(
        at(&answer, "data.responsibilityGaps.coverage"),
        &serde_json::json!([])
    );
    assert_eq!(at(&answer, "data.duties.totalCount"), 0);
}
