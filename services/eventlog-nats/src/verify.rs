//! `difacto verify --log nats://…`: proves the JetStream log is whole, or names the first
//! position that is not. It reads every record from position 1 to the head and checks:
//! - each record's checksum;
//! - positions dense from 1 (the stream sequence has no hole);
//! - each difacto stream's versions dense from 0, each record naming its stream's
//!   previous position, and each stream's hash chain;
//! - no event id stored twice.
//!
//! The report's head hash folds every record's chain hash in position order, so two
//! copies with the same head hash hold the same records in the same order.

use eventlog::{LogError, VerifyReport};
use futures::StreamExt;

use crate::index::Index;
use crate::{NatsLog, read, record};

/// How many times in a row verify follows the log again after it became unavailable.
const FOLLOW_AGAIN: u32 = 3;

impl NatsLog {
    /// Checks every record up to the head seen when the check starts.
    pub async fn verify(&self) -> Result<VerifyReport, LogError> {
        let stream = self.stream_handle();
        let head = read::head(&stream).await?;
        let mut index = Index::default();
        let mut records = read::ordered_from(stream.clone(), 0);
        let mut failed_in_a_row = 0;
        while index.applied() < head {
            let Some(next) = records.next().await else {
                return Err(LogError::Unavailable(format!(
                    "the log ended at position {} before its head {head}",
                    index.applied()
                )));
            };
            match next {
                Ok((position, payload)) => {
                    index.apply(&record::decode(position, &payload)?)?;
                    failed_in_a_row = 0;
                }
                // Just after a failover the cluster may not yet place a consumer: follow
                // again from what was checked, as the log's own follower does.
                Err(LogError::Unavailable(why)) if failed_in_a_row < FOLLOW_AGAIN => {
                    failed_in_a_row += 1;
                    tracing::warn!(%why, after = index.applied(), "verify: following the log again");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    records = read::ordered_from(stream.clone(), index.applied());
                }
                Err(other) => return Err(other),
            }
        }
        Ok(VerifyReport {
            records: index.applied(),
            last_position: index.applied(),
            head_hash: index.digest(),
        })
    }
}
