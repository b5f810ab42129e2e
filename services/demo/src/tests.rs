//! Given an empty log, when the demo loads, then it is all there once; the same seed gives
//! the same streams; a second load sends nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use eventlog::{RecordedEvent, SledConfig, SledLog};
use handlers::Store;

use super::activity::Item;
use super::*;

fn open() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = SledConfig::new(dir.path());
    config.cache_capacity = 16 * 1024 * 1024;
    let log = SledLog::open(&config).expect("open log");
    (dir, Arc::new(Store::new(Arc::new(log))))
}

async fn all_events(store: &Store) -> Vec<RecordedEvent> {
    let mut all: Vec<RecordedEvent> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.position);
        let page = store.log().read_all(after, 0).await.expect("read");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Each stream's events in order: id, type and payload (metadata holds times and
/// correlation ids, which differ from load to load).
type Streams = BTreeMap<String, Vec<(uuid::Uuid, String, Vec<u8>)>>;

async fn streams(store: &Store) -> Streams {
    let mut streams = Streams::new();
    for event in all_events(store).await {
        streams.entry(event.stream).or_default().push((
            event.event_id,
            event.event_type,
            event.payload.to_vec(),
        ));
    }
    streams
}

fn count(streams: &Streams, event: &str) -> usize {
    let name = format!("difacto.v1.{event}");
    streams
        .values()
        .flatten()
        .filter(|(_, t, _)| *t == name)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_dataset_loads_deterministically_and_only_once() {
    let (_first_dir, first) = open();
    let loaded = load_scaled(first.clone(), 7, &Scale::tiny(), false)
        .await
        .expect("the first load");
    assert_eq!(loaded.outcome, DemoOutcome::Loaded);
    assert_eq!(loaded.head, loaded.events);
    assert!(loaded.events > 1000, "{loaded:?}");
    assert!(loaded.practices >= 42, "{loaded:?}");

    // Every kind of fact is there.
    let streams = streams(&first).await;
    for event in [
        "OrganisationRegistered",
        "OrganisationsMerged",
        "OrganisationReparented",
        "DutyDefined",
        "ResponsibilityProposed",
        "ResponsibilityAccepted",
        "ResponsibilityDeclined",
        "ResponsibilityAttributed",
        "TrainingProgrammeLaunched",
        "RolloutTargetSet",
        "StaffEnrolled",
        "ModuleCompleted",
        "TrainingCompleted",
        "FacilitationRecorded",
        "PlatformRegistered",
        "PlatformAdopted",
        "UsabilityIssueReported",
        "SessionScheduled",
        "SeatBooked",
    ] {
        assert!(count(&streams, event) > 0, "no {event}");
    }

    // Loading again on the same log sends nothing.
    let again = load_scaled(first.clone(), 7, &Scale::tiny(), false)
        .await
        .expect("the second load");
    assert_eq!(again.outcome, DemoOutcome::AlreadyLoaded);
    assert_eq!((again.events, again.commands), (0, 0));
    assert_eq!(again.head, loaded.head);
    assert_eq!(again.organisations, loaded.organisations);
    assert_eq!(again.practices, loaded.practices);

    // Another seed on the same log leaves it alone.
    let other = load_scaled(first.clone(), 8, &Scale::tiny(), false)
        .await
        .expect("another seed");
    assert_eq!(other.outcome, DemoOutcome::OtherData);
    assert_eq!(other.head, loaded.head);

    // The same seed in another log gives the same streams.
    let (_second_dir, second) = open();
    let twin = load_scaled(second.clone(), 7, &Scale::tiny(), false)
        .await
        .expect("the twin load");
    assert_eq!(twin.events, loaded.events);
    assert!(
        streams == self::tests::streams(&second).await,
        "the two loads differ"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_that_stopped_part_way_is_completed() {
    let (_dir, store) = open();
    let today = chrono::Utc::now().date_naive();
    let plan = Plan::build(Seed(3), &Scale::tiny(), today);
    let runner = Arc::new(Runner::new(store.clone(), Progress::new(false, 0), 8));
    runner.script(plan.registrations).await.expect("the tree");
    let resumed = load_scaled(store.clone(), 3, &Scale::tiny(), false)
        .await
        .expect("resumed");
    assert_eq!(resumed.outcome, DemoOutcome::Resumed);
    // The tree was not recorded twice.
    let streams = streams(&store).await;
    assert_eq!(
        count(&streams, "OrganisationRegistered"),
        resumed.organisations
    );
    let again = load_scaled(store, 3, &Scale::tiny(), false)
        .await
        .expect("again");
    assert_eq!(again.outcome, DemoOutcome::AlreadyLoaded);
}

#[test]
fn the_full_plan_is_england_sized() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let plan = Plan::build(Seed(1), &Scale::full(), today);
    let tree = &plan.tree;
    assert_eq!(tree.pcns.len(), 1250);
    assert!(
        (6000..=6600).contains(&tree.practices.len()),
        "{}",
        tree.practices.len()
    );
    assert_eq!(tree.partners.len(), 300);
    assert!((7500..=8500).contains(&tree.organisations()));
    let commands = plan.commands();
    assert!(
        (300_000..=450_000).contains(&commands),
        "{commands} commands"
    );

    // About one practice in nine has no receptionist trained.
    let untrained = plan
        .practices
        .iter()
        .filter(|p| {
            !p.items.iter().any(|i| {
                matches!(i, Item::Trained { staff, programme: 0, .. }
                    if staff.role == proto::v1::StaffRole::Receptionist)
            })
        })
        .count();
    let share = untrained as f64 / plan.practices.len() as f64;
    assert!((0.08..=0.15).contains(&share), "{share}");

    // Facilitation is mostly passive or reactive.
    let modes: Vec<_> = plan
        .practices
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|i| match i {
            Item::Facilitation(f) => Some(f.mode),
            _ => None,
        })
        .collect();
    let proactive = modes
        .iter()
        .filter(|m| **m == proto::v1::FacilitationMode::Proactive)
        .count() as f64
        / modes.len() as f64;
    assert!((0.03..=0.12).contains(&proactive), "{proactive}");
}

#[test]
fn plans_depend_on_the_seed() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let a = Plan::build(Seed(1), &Scale::tiny(), today);
    let b = Plan::build(Seed(1), &Scale::tiny(), today);
    let c = Plan::build(Seed(2), &Scale::tiny(), today);
    assert_eq!(a.registrations, b.registrations);
    assert_eq!(a.sessions, b.sessions);
    assert_ne!(a.registrations, c.registrations);
}
