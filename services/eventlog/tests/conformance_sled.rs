//! The sled backend against the shared conformance suite.

use std::sync::Arc;

use async_trait::async_trait;
use eventlog::conformance::Harness;
use eventlog::{SledConfig, SledLog};

struct SledHarness {
    log: Arc<SledLog>,
    _dir: tempfile::TempDir,
}

#[async_trait]
impl Harness for SledHarness {
    type Log = SledLog;
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = SledConfig::new(dir.path());
        config.cache_capacity = 16 * 1024 * 1024;
        let log = SledLog::open(&config).expect("open");
        Self {
            log: Arc::new(log),
            _dir: dir,
        }
    }
    fn log(&self) -> Arc<SledLog> {
        self.log.clone()
    }
}

eventlog::conformance_suite!(SledHarness);
