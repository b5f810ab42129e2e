//! The JetStream backend against the shared conformance suite, on one real nats-server.

use std::sync::Arc;

use eventlog::conformance::Harness;
use eventlog_nats::{NatsLog, testing};

struct ScratchNats {
    log: Arc<NatsLog>,
}

#[async_trait::async_trait]
impl Harness for ScratchNats {
    type Log = NatsLog;
    async fn start() -> Self {
        let server = testing::shared_single();
        Self {
            log: Arc::new(testing::scratch_log(vec![server.address()], 1).await),
        }
    }
    fn log(&self) -> Arc<NatsLog> {
        self.log.clone()
    }
}

eventlog::conformance_suite!(ScratchNats);

/// `verify` reads the whole log back and checks every checksum, link and chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_what_was_appended() {
    use eventlog::{EventLog, ExpectedVersion, conformance::event};
    let log = testing::scratch_log(vec![testing::shared_single().address()], 1).await;
    let empty = log.verify().await.expect("an empty log verifies");
    assert_eq!(empty.records, 0);
    for i in 0..5u64 {
        log.append("a", ExpectedVersion::Any, vec![event("x"), event("y")])
            .await
            .expect("append");
        let expected = match i {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v - 1),
        };
        log.append("b", expected, vec![event("z")])
            .await
            .expect("append");
    }
    let report = log.verify().await.expect("verifies");
    assert_eq!((report.records, report.last_position), (15, 15));
    let again = log.verify().await.expect("verifies");
    assert_eq!(
        report.head_hash, again.head_hash,
        "the digest is a function of the log"
    );
}
