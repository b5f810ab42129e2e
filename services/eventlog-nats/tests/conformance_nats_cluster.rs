//! The JetStream backend against the shared conformance suite, on a 3-node cluster on
//! loopback with every stream replicated three times.

use std::sync::Arc;

use eventlog::conformance::Harness;
use eventlog_nats::{NatsLog, testing};

struct ScratchCluster {
    log: Arc<NatsLog>,
}

#[async_trait::async_trait]
impl Harness for ScratchCluster {
    type Log = NatsLog;
    async fn start() -> Self {
        let cluster = testing::shared_cluster();
        Self {
            log: Arc::new(testing::scratch_log(cluster.addresses(), 3).await),
        }
    }
    fn log(&self) -> Arc<NatsLog> {
        self.log.clone()
    }
}

eventlog::conformance_suite!(ScratchCluster);
