//! The connection and the one JetStream stream that holds the log (DESIGN.md §3.8).

use std::time::{Duration, Instant};

use async_nats::ServerAddr;
use async_nats::jetstream::{
    self,
    stream::{Config, DiscardPolicy, StorageType, Stream},
};
use eventlog::LogError;

use crate::config::NatsConfig;

/// How long `connect` keeps trying while a cluster forms (elects its JetStream leader).
const FORM_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects to the servers; reconnects on its own for as long as the client lives.
pub(crate) async fn connect(config: &NatsConfig) -> Result<async_nats::Client, LogError> {
    let addrs = config
        .servers
        .iter()
        .map(|s| {
            format!("nats://{s}")
                .parse::<ServerAddr>()
                .map_err(|e| LogError::Invalid {
                    field: "--log".into(),
                    reason: format!("{s:?} is not a NATS server address: {e}"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    async_nats::ConnectOptions::new()
        .name("difacto")
        .request_timeout(Some(config.request_timeout))
        .connection_timeout(Duration::from_secs(5))
        .connect(addrs)
        .await
        .map_err(|e| {
            LogError::Unavailable(format!(
                "cannot connect to NATS at {}: {e}",
                config.servers.join(",")
            ))
        })
}

/// The stream's configuration: every record kept forever, none deleted or purged (the
/// hash chain and dense positions depend on it), atomic batches allowed.
fn stream_config(config: &NatsConfig) -> Config {
    Config {
        name: config.stream.clone(),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        storage: StorageType::File,
        num_replicas: config.replicas,
        discard: DiscardPolicy::New,
        deny_delete: true,
        deny_purge: true,
        allow_atomic_publish: true,
        // Reads go to the leader, which holds every acknowledged record; a direct get
        // could be answered by a follower that has not applied it yet.
        allow_direct: false,
        ..Config::default()
    }
}

/// Finds the stream, or creates it; retries while the cluster has no JetStream leader.
pub(crate) async fn ensure(
    context: &jetstream::Context,
    config: &NatsConfig,
) -> Result<Stream, LogError> {
    let started = Instant::now();
    loop {
        match context.get_or_create_stream(stream_config(config)).await {
            Ok(stream) => {
                let found = &stream.cached_info().config;
                if !found.allow_atomic_publish {
                    return Err(LogError::Unavailable(format!(
                        "JetStream stream {} does not allow atomic batches (allow_atomic); \
                         difacto needs nats-server 2.12 or later and that setting",
                        config.stream
                    )));
                }
                return Ok(stream);
            }
            Err(e) if started.elapsed() < FORM_TIMEOUT => {
                tracing::debug!(error = %e, "JetStream not ready yet; trying again");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => {
                return Err(LogError::Unavailable(format!(
                    "JetStream stream {}: {e}",
                    config.stream
                )));
            }
        }
    }
}

/// A difacto stream name is a valid subject token sequence unless it has an empty token
/// (`a..b`, a leading or trailing dot), which NATS cannot route.
pub(crate) fn validate_subject(subject: &str) -> Result<(), LogError> {
    if subject.split('.').any(str::is_empty) {
        return Err(LogError::Invalid {
            field: "stream".into(),
            reason: "on JetStream a stream name may not start or end with '.' or hold '..'".into(),
        });
    }
    Ok(())
}
