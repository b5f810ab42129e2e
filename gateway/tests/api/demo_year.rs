//! The demo's year through the views (DESIGN.md §8): loaded through the real command path
//! with the log's clock moved day by day, so a day in the middle of the year can be asked
//! about both as the log stood then (`asOf`) and as the world stood then (`onDate`), and
//! the two agree, because every fact was recorded on its own day.

use std::sync::Arc;
use std::time::Duration;

use auth::Role;
use chrono::{Days, NaiveTime, Utc};
use eventlog::{EventLog, SledConfig, SledLog};
use handlers::Store;
use serde_json::Value;

use crate::graphql::ask;
use crate::world::{caught_up, schema_on};

fn errors(answer: &Value) -> &Value {
    &answer["errors"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_mid_year_reads_the_same_as_of_then_and_on_that_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = SledLog::open(&SledConfig::new(dir.path().join("log"))).expect("open");
    let clock = log.clock().clone();
    let log: Arc<dyn EventLog> = Arc::new(log);
    let store = Arc::new(Store::new(log.clone()).with_clock(clock));
    demo::load_scaled(store, 7, &demo::Scale::tiny(), false)
        .await
        .expect("the tiny demo loads");
    let schema = schema_on(caught_up(log, Duration::from_secs(60)).await);
    let national = |query: String| {
        let schema = schema.clone();
        async move { ask(&schema, "X24", Role::NationalLead, &query).await }
    };

    let today = Utc::now().date_naive();
    let mid_year = today - Days::new(150);
    // The end of that day, as the log recorded it.
    let as_of = mid_year
        .and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("a time"))
        .and_utc()
        .to_rfc3339();

    // Responsibility: the counts by flag, rolled up by region.
    let gaps = |at: &str| {
        format!(
            r#"{{ responsibilityGaps(area: "X24", groupBy: REGION{at}) {{ onDate coverage {{ duty {{ id }} level units counts {{ flag units }} }} }} }}"#
        )
    };
    let then = national(gaps(&format!(r#", asOf: "{as_of}""#))).await;
    let on = national(gaps(&format!(r#", onDate: "{mid_year}""#))).await;
    let now = national(gaps("")).await;
    for answer in [&then, &on, &now] {
        assert!(errors(answer).is_null(), "{answer}");
    }
    let coverage = |answer: &Value| answer["data"]["responsibilityGaps"]["coverage"].clone();
    assert_eq!(
        then["data"]["responsibilityGaps"]["onDate"],
        mid_year.to_string()
    );
    assert_eq!(coverage(&then), coverage(&on), "asOf and onDate disagree");
    assert_ne!(coverage(&on), coverage(&now), "nothing changed in 150 days");

    // Training: the programme every practice takes, as it stood then and stands now.
    let programmes = national("{ programmes { nodes { id code } } }".into()).await;
    let programme = programmes["data"]["programmes"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["code"].as_str().is_some_and(|c| c.starts_with("DFE-")))
        .and_then(|p| p["id"].as_str())
        .expect("digital facilitation essentials")
        .to_owned();
    let rollout = |at: &str| {
        format!(
            r#"{{ trainingRollout(programme: "{programme}", groupBy: REGION{at}) {{ totals {{ enrolled completed staffInPost trained practicesWithoutDenominator }} }} }}"#
        )
    };
    let then = national(rollout(&format!(r#", asOf: "{as_of}""#))).await;
    let on = national(rollout(&format!(r#", onDate: "{mid_year}""#))).await;
    let now = national(rollout("")).await;
    for answer in [&then, &on, &now] {
        assert!(errors(answer).is_null(), "{answer}");
    }
    let totals = |answer: &Value| answer["data"]["trainingRollout"]["totals"].clone();
    assert_eq!(totals(&then), totals(&on), "asOf and onDate disagree");
    let trained = |answer: &Value| totals(answer)["trained"].as_u64().expect("trained");
    assert!(
        trained(&on) < trained(&now),
        "{} then, {} now",
        totals(&on),
        totals(&now)
    );
    assert!(totals(&now)["staffInPost"].as_u64().expect("staff") > 0);

    // Commissioning: commissions the ICBs made, some of them ended early, with sessions
    // held and people who came.
    let commissioning = national(
        r#"{ commissioning(area: "X24") { totals { sessionsPromised sessionsHeld } commissions(first: 100) { nodes { status delivery { sessionsHeld } } } } }"#.into(),
    )
    .await;
    assert!(errors(&commissioning).is_null(), "{commissioning}");
    let nodes = commissioning["data"]["commissioning"]["commissions"]["nodes"]
        .as_array()
        .expect("commissions")
        .clone();
    assert!(!nodes.is_empty(), "no commission in the demo");
    let totals = &commissioning["data"]["commissioning"]["totals"];
    assert!(totals["sessionsPromised"].as_u64() > Some(0), "{totals}");
}
