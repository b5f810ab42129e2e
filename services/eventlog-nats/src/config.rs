//! How to reach the cluster and which JetStream stream holds the log.

use std::time::Duration;

use eventlog::Clock;

/// The production stream's name and subject prefix (DESIGN.md §3.8).
pub const DEFAULT_STREAM: &str = "DIFACTO";
pub const DEFAULT_SUBJECT_PREFIX: &str = "difacto.ev";

/// Where the log lives. The stream is created on first connect if it does not exist.
#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// `host:port` of each server to try; the client finds the rest of the cluster itself.
    pub servers: Vec<String>,
    /// The JetStream stream holding the whole log.
    pub stream: String,
    /// Each difacto stream is the subject `<prefix>.<stream>`. Tests give every scratch
    /// log its own prefix so that many logs share one server.
    pub subject_prefix: String,
    /// Copies of every record: 3 in production (one per node of the cluster). Used only
    /// when the stream is created.
    pub replicas: usize,
    /// The time stamped on each append; hand the same clock to whoever decides commands.
    pub clock: Clock,
    /// How long one request to the cluster may take before it is reported unavailable
    /// (a leader election takes a few seconds).
    pub request_timeout: Duration,
}

impl NatsConfig {
    /// The defaults for `servers`: the production stream and subjects, 3 replicas when
    /// three or more servers are named (a cluster) and 1 otherwise.
    pub fn new(servers: Vec<String>) -> Self {
        let replicas = if servers.len() >= 3 { 3 } else { 1 };
        Self {
            servers,
            stream: DEFAULT_STREAM.to_owned(),
            subject_prefix: DEFAULT_SUBJECT_PREFIX.to_owned(),
            replicas,
            clock: Clock::system(),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Reads `nats://host:port[,host:port…]`, the form `--log` takes.
    pub fn parse_url(text: &str) -> Result<Vec<String>, String> {
        let rest = text
            .strip_prefix("nats://")
            .ok_or_else(|| format!("{text:?} must start with nats://"))?;
        let servers: Vec<String> = rest
            .split(',')
            .map(|s| s.trim().trim_start_matches("nats://").to_owned())
            .collect();
        for server in &servers {
            let Some((host, port)) = server.rsplit_once(':') else {
                return Err(format!("{server:?} must be host:port"));
            };
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(format!("{server:?} must be host:port with a port number"));
            }
        }
        Ok(servers)
    }

    pub(crate) fn subject(&self, stream: &str) -> String {
        format!("{}.{stream}", self.subject_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_log_url() {
        assert_eq!(
            NatsConfig::parse_url("nats://127.0.0.1:4222,localhost:4223"),
            Ok(vec![
                "127.0.0.1:4222".to_owned(),
                "localhost:4223".to_owned()
            ])
        );
        assert!(NatsConfig::parse_url("nats://").is_err());
        assert!(NatsConfig::parse_url("nats://host").is_err());
        assert!(NatsConfig::parse_url("nats://host:x").is_err());
        assert!(NatsConfig::parse_url("grpc://host:1").is_err());
    }

    #[test]
    fn replicas_follow_the_servers_named() {
        assert_eq!(NatsConfig::new(vec!["a:1".into()]).replicas, 1);
        assert_eq!(
            NatsConfig::new(vec!["a:1".into(), "b:1".into(), "c:1".into()]).replicas,
            3
        );
    }

    #[test]
    fn subjects_round_trip() {
        let config = NatsConfig::new(vec!["a:1".into()]);
        assert_eq!(config.subject("session-1"), "difacto.ev.session-1");
    }
}
