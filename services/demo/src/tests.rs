//! Given an empty log, when the demo loads, then it is all there once, recorded across its
//! year; the same seed gives the same streams; a second load sends nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, TimeDelta};
use eventlog::{RecordedEvent, SledConfig, SledLog};
use handlers::Store;
use prost::Message;
use proto::v1 as pb;

use super::activity::Item;
use super::*;

/// A log and a store over it sharing one clock, as `difacto dev` builds them.
fn open() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = SledConfig::new(dir.path());
    config.cache_capacity = 16 * 1024 * 1024;
    let log = SledLog::open(&config).expect("open log");
    let clock = log.clock().clone();
    (dir, Arc::new(Store::new(Arc::new(log)).with_clock(clock)))
}

/// Reads the date a fact carries from its event.
type FactDate = fn(&RecordedEvent) -> String;

fn recorded_at(event: &RecordedEvent) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(event.recorded_at_unix_micros).expect("a time")
}

fn day_of(event: &RecordedEvent) -> NaiveDate {
    recorded_at(event).date_naive()
}

fn decoded<M: Message + Default>(event: &RecordedEvent) -> M {
    M::decode(event.payload.as_ref()).expect("a payload")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("an instant")
        .to_utc()
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
        "AttendanceRecorded",
        "PartnerCommissioned",
        "StaffInPostReported",
    ] {
        assert!(count(&streams, event) > 0, "no {event}");
    }
    // The NHS part of the tree came in through the importer, as a deployment's does: both
    // files of the first extract, of the merger's and of each month with moves.
    let imported = count(&streams, "RegistryImported");
    assert!(
        imported >= 6 && imported.is_multiple_of(2),
        "{imported} files imported"
    );

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
    let plan = Plan::build(Seed(3), &Scale::tiny(), Year::ending(today));
    let runner = Arc::new(Runner::new(store.clone(), Progress::new(false, 0), 8));
    runner.script(plan.registrations).await.expect("the tree");
    let resumed = load_scaled(store.clone(), 3, &Scale::tiny(), false)
        .await
        .expect("resumed");
    assert_eq!(resumed.outcome, DemoOutcome::Resumed);
    // What was sent after the tree (today, by the system's clock) is stamped no earlier,
    // although the load held the clock a year back: recorded times stay in log order.
    let events = all_events(&store).await;
    assert!(
        events
            .windows(2)
            .all(|w| w[0].recorded_at_unix_micros <= w[1].recorded_at_unix_micros),
        "recorded times go back along the log"
    );
    assert_eq!(
        store.clock().held_at(),
        None,
        "the clock follows the system again"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_year_is_recorded_across_the_year_on_the_facts_own_days() {
    let (_dir, store) = open();
    let loaded = load_scaled(store.clone(), 11, &Scale::tiny(), false)
        .await
        .expect("the load");
    assert_eq!(loaded.outcome, DemoOutcome::Loaded);
    assert_eq!(
        store.clock().held_at(),
        None,
        "the clock follows the system again"
    );
    let today = chrono::Utc::now().date_naive();
    let year = Year::ending(today);
    let events = all_events(&store).await;

    // Recorded times never go back, run from the year's first day to today, and fill the
    // months between.
    assert!(
        events
            .windows(2)
            .all(|w| w[0].recorded_at_unix_micros <= w[1].recorded_at_unix_micros),
        "recorded times go back along the log"
    );
    assert_eq!(day_of(&events[0]), year.start);
    assert_eq!(events.last().map(day_of), Some(today));
    let months: BTreeSet<(i32, u32)> = events
        .iter()
        .map(|e| (day_of(e).year(), day_of(e).month()))
        .collect();
    assert!(months.len() >= 12, "recorded in only {months:?}");

    let of = |name: &str| {
        let name = format!("difacto.v1.{name}");
        events
            .iter()
            .filter(move |e| e.event_type == name)
            .collect::<Vec<_>>()
    };
    // Facts are recorded on their own dates: a week's facilitation during that week, a
    // completion on its day, a responsibility ended on the day it ended.
    let records = of("FacilitationRecorded");
    assert!(!records.is_empty());
    for event in records {
        let week = decoded::<pb::FacilitationRecorded>(event).week;
        let (y, w) = week.split_once("-W").expect("an ISO week");
        let monday = NaiveDate::from_isoywd_opt(
            y.parse().expect("a year"),
            w.parse().expect("a week"),
            chrono::Weekday::Mon,
        )
        .expect("a Monday");
        let day = day_of(event);
        assert!(
            monday <= day && day < monday + TimeDelta::days(7),
            "week {week} recorded on {day}"
        );
    }
    let facts: [(&str, FactDate); 4] = [
        ("TrainingCompleted", |e| {
            decoded::<pb::TrainingCompleted>(e).completed_on
        }),
        ("ModuleCompleted", |e| {
            decoded::<pb::ModuleCompleted>(e).completed_on
        }),
        ("StaffEnrolled", |e| {
            decoded::<pb::StaffEnrolled>(e).enrolled_on
        }),
        ("ResponsibilityEnded", |e| {
            decoded::<pb::ResponsibilityEnded>(e).effective_date
        }),
    ];
    for (name, fact) in facts {
        let dated = of(name);
        assert!(!dated.is_empty(), "no {name}");
        for event in dated {
            let on = fact(event);
            assert_eq!(day_of(event), year.day(date(&on)), "{name} of {on}");
        }
    }
    // The merger is recorded when it is decided, weeks before it takes effect.
    let merged = of("OrganisationsMerged");
    assert!(!merged.is_empty(), "no merger");
    for event in merged {
        let on = date(&decoded::<pb::OrganisationsMerged>(event).effective_date);
        let decided = (on - chrono::Days::new(crate::england::MERGER_NOTICE_DAYS)).max(year.start);
        assert_eq!(day_of(event), year.day(decided), "merger of {on}");
    }

    // Sessions: scheduled and booked before they start; every one that is over, neither
    // cancelled nor without a host, has its attendance, recorded after it started.
    let mut starts: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut off: BTreeSet<String> = BTreeSet::new();
    let mut attended: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
    for event in &events {
        match event.event_type.trim_start_matches("difacto.v1.") {
            "SessionScheduled" => {
                let s = decoded::<pb::SessionScheduled>(event);
                let starts_at = instant(&s.starts_at);
                assert!(recorded_at(event) < starts_at, "scheduled after it started");
                starts.insert(s.session_id, starts_at);
            }
            "SeatBooked" => {
                let b = decoded::<pb::SeatBooked>(event);
                assert!(
                    recorded_at(event) < starts[&b.session_id],
                    "booked too late"
                );
            }
            "SessionCancelled" => {
                off.insert(decoded::<pb::SessionCancelled>(event).session_id);
            }
            "HostingDeclined" => {
                off.insert(decoded::<pb::HostingDeclined>(event).session_id);
            }
            "AttendanceRecorded" => {
                let a = decoded::<pb::AttendanceRecorded>(event);
                assert!(recorded_at(event) > starts[&a.session_id]);
                attended.insert(a.session_id, recorded_at(event));
            }
            _ => {}
        }
    }
    let past: Vec<&String> = starts
        .iter()
        .filter(|(id, at)| at.date_naive() < today && !off.contains(*id))
        .map(|(id, _)| id)
        .collect();
    assert!(past.len() >= 5, "{} past sessions", past.len());
    for id in past {
        assert!(
            attended.contains_key(id),
            "session {id} is over and has no attendance"
        );
    }
    assert!(
        starts.values().any(|at| at.date_naive() > today),
        "no session to come"
    );
}

#[test]
fn the_full_plan_is_england_sized() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let plan = Plan::build(Seed(1), &Scale::full(), Year::ending(today));
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

    // Staff in post, the rollout's denominator, for almost every practice: the few
    // without one show as such.
    let reported = plan
        .practices
        .iter()
        .filter(|p| {
            p.items
                .iter()
                .any(|i| matches!(i, Item::StaffInPost { .. }))
        })
        .count() as f64
        / plan.practices.len() as f64;
    assert!((0.95..1.0).contains(&reported), "{reported}");

    // Nearly every ICB commissions a partner; a few commissions end early.
    let commissioned = |name| {
        plan.commissions
            .iter()
            .filter(|s| s.cmd.name() == name)
            .count()
    };
    let (commissions, ended) = (
        commissioned("CommissionPartner"),
        commissioned("EndCommission"),
    );
    assert!(
        (40..=84).contains(&commissions),
        "{commissions} commissions"
    );
    assert!(ended > 0 && ended < commissions / 3, "{ended} ended early");
    assert!(plan.commissions.is_sorted_by_key(|s| s.on));
}

#[test]
fn plans_depend_on_the_seed() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let year = Year::ending(today);
    let a = Plan::build(Seed(1), &Scale::tiny(), year);
    let b = Plan::build(Seed(1), &Scale::tiny(), year);
    let c = Plan::build(Seed(2), &Scale::tiny(), year);
    assert_eq!(a.registrations, b.registrations);
    assert_eq!(a.sessions, b.sessions);
    assert_ne!(a.registrations, c.registrations);
}

#[test]
fn every_script_runs_forward_through_the_year() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let year = Year::ending(today);
    for scale in [Scale::tiny(), Scale::full()] {
        let plan = Plan::build(Seed(5), &scale, year);
        let mut tree = plan.registrations.clone();
        tree.extend(plan.tree_changes.clone());
        let scripts = std::iter::once(&tree)
            .chain(&plan.duties)
            .chain(&plan.programmes)
            .chain(&plan.platforms)
            .chain(&plan.responsibilities)
            .chain(&plan.sessions)
            .chain(&plan.issues);
        for script in scripts {
            let days: Vec<NaiveDate> = script.iter().map(|s| s.on).collect();
            assert!(
                days.windows(2).all(|w| w[0] <= w[1]),
                "{} goes back in time: {days:?}",
                script[0].cmd.request_id()
            );
            assert!(days.iter().all(|d| year.start <= *d && *d <= today));
        }
        for practice in &plan.practices {
            let days: Vec<NaiveDate> = practice.items.iter().map(|i| year.day(i.on())).collect();
            assert!(days.windows(2).all(|w| w[0] <= w[1]), "{}", practice.code);
        }
        assert!(plan.registrations.iter().all(|s| s.on == year.start));
        assert_eq!(plan.last.on, today);
    }
}
