//! The real binary on a real JetStream log (`--log nats://…`): services as separate
//! processes on a 3-node cluster, and `difacto dev` on one server. A command goes in over
//! gRPC and is read back from the log; `difacto verify --log nats://…` checks the chains.

mod support;

use eventlog::EventLog;
use eventlog_nats::testing::{NatsCluster, NatsServer};
use proto::v1 as pb;
use support::jetstream::{
    national, production_log, record_facilitation, register_tree, serve, verify_ok,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_as_processes_on_a_three_node_cluster() {
    let cluster = NatsCluster::start(3);
    let url = cluster.log_url();
    let dir = tempfile::tempdir().expect("dir");
    let icb = serve("icb", &url, dir.path());
    let practice = serve("practice", &url, dir.path());
    assert!(
        icb.stderr_text().contains("nats://"),
        "the ready line names the JetStream log:\n{}",
        icb.stderr_text()
    );

    register_tree(&mut national(support::channel(&icb.url()).await), &[]).await;
    // The practice process learns the tree the ICB process wrote from the shared log.
    record_facilitation(support::channel(&practice.url()).await, 14).await;

    let log = production_log(cluster.addresses()).await;
    let everything = log.read_all(0, 0).await.expect("read the log");
    let types: Vec<&str> = everything.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "difacto.v1.OrganisationRegistered")
            .count(),
        6,
        "{types:?}"
    );
    let recorded = everything
        .iter()
        .find(|e| e.event_type == "difacto.v1.FacilitationRecorded")
        .expect("the facilitation is in the log");
    let decoded = <pb::FacilitationRecorded as prost::Message>::decode(recorded.payload.clone())
        .expect("a FacilitationRecorded payload");
    assert_eq!(decoded.patients_supported, 14);
    assert_eq!(
        log.head_position().await.expect("head"),
        everything.len() as u64
    );
    let report = verify_ok(&url);
    assert!(
        report.contains(&format!("{} records", everything.len())),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_runs_on_jetstream() {
    let server = NatsServer::start_single();
    let url = format!("nats://{}", server.address());
    let dir = tempfile::tempdir().expect("dir");
    let dev = support::gateway::Dev::launch(dir.path(), &["--log", &url], &[], "difacto ready");
    let channel = support::channel(&dev.server.url()).await;
    register_tree(&mut national(channel.clone()), &[]).await;
    record_facilitation(channel.clone(), 9).await;

    // Read back through dev's own log API, which serves the JetStream log.
    let mut client = support::log_client(channel, &support::service_token());
    let everything = support::read_everything(&mut client).await;
    support::by_event_id(&everything);
    assert!(
        everything
            .iter()
            .any(|e| e.event_type == "difacto.v1.FacilitationRecorded"),
        "the facilitation is in the log"
    );
    // Nothing was written to a sled log in the data directory.
    assert!(!dir.path().join("log").exists(), "dev opened no sled log");

    // After a restart dev finds what it wrote on JetStream.
    let before = everything.len();
    let mut dev = dev;
    assert!(dev.server.sigterm_and_wait().success());
    let again = support::gateway::Dev::launch(dir.path(), &["--log", &url], &[], "difacto ready");
    let mut client = support::log_client(
        support::channel(&again.server.url()).await,
        &support::service_token(),
    );
    let after = support::read_everything(&mut client).await;
    assert_eq!(after.len(), before);
    verify_ok(&url);
}

#[test]
fn a_bad_nats_url_is_one_clear_sentence() {
    let output = support::command()
        .args(["verify", "--log", "nats://no-port"])
        .output()
        .expect("run difacto verify");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("host:port"), "{stderr}");
}
