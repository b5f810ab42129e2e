//! Prometheus metrics: what every `/metrics` shares (the latency buckets, resident
//! memory, the text encoding), and the per-RPC counts and latencies of a gRPC server.
//! The gateway's GraphQL metrics are built from the same pieces.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type `/metrics` answers with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request latency buckets, in seconds: 0.25 ms to about 8 s, doubling.
pub fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The process's resident set size, from `/proc/self/statm` (Linux).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Sets `gauge` to `value`, saturating.
pub fn set_gauge(gauge: &Gauge, value: u64) {
    gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
}

/// `registry` in the Prometheus text format.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    if let Err(err) = prometheus_client::encoding::text::encode(&mut text, registry) {
        tracing::warn!(error = %err, "could not encode metrics");
    }
    text
}

/// Several expositions (each ending `# EOF`) as one, for a process whose `/metrics`
/// reports more than one registry: `difacto dev`'s gateway beside its gRPC calls.
pub fn join(expositions: &[String]) -> String {
    let mut joined = String::new();
    for text in expositions {
        joined.push_str(text.strip_suffix("# EOF\n").unwrap_or(text));
    }
    joined.push_str("# EOF\n");
    joined
}

/// One RPC: its service and method, and the gRPC status code it ended with.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcCall {
    pub service: String,
    pub method: String,
    pub code: String,
}

/// One RPC's name, for its latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcMethod {
    pub service: String,
    pub method: String,
}

/// What a gRPC server process exposes on `/metrics` (prefix `difacto`):
/// `difacto_grpc_requests_total{service,method,code}`,
/// `difacto_grpc_request_seconds{service,method}` and `difacto_resident_memory_bytes`.
#[derive(Debug)]
pub struct RpcMetrics {
    registry: Mutex<Registry>,
    requests: Family<RpcCall, Counter>,
    latency: Family<RpcMethod, Histogram>,
    resident: Gauge,
}

impl Default for RpcMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("difacto");
        let requests = Family::<RpcCall, Counter>::default();
        registry.register(
            "grpc_requests",
            "gRPC calls answered, by service, method and status code",
            requests.clone(),
        );
        let latency = Family::<RpcMethod, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "grpc_request_seconds",
            "Time from a gRPC call's arrival to its answer's headers",
            latency.clone(),
        );
        let resident = Gauge::default();
        registry.register(
            "resident_memory_bytes",
            "Resident set size of the process",
            resident.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            requests,
            latency,
            resident,
        }
    }
}

impl RpcMetrics {
    /// Counts one call of `service`/`method` that ended with `code` after `elapsed`.
    pub fn observe(&self, service: &str, method: &str, code: &str, elapsed: Duration) {
        self.requests
            .get_or_create(&RpcCall {
                service: service.to_owned(),
                method: method.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&RpcMethod {
                service: service.to_owned(),
                method: method.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        set_gauge(&self.resident, resident_bytes().unwrap_or(0));
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        encode(&registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_counted_by_name_and_code_and_timed() {
        let metrics = RpcMetrics::default();
        metrics.observe(
            "difacto.v1.PracticeService",
            "RecordFacilitation",
            "0",
            Duration::from_millis(3),
        );
        let text = metrics.render();
        assert!(
            text.contains(r#"difacto_grpc_requests_total{service="difacto.v1.PracticeService",method="RecordFacilitation",code="0"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"difacto_grpc_request_seconds_count{service="difacto.v1.PracticeService",method="RecordFacilitation"} 1"#),
            "{text}"
        );
        assert!(text.contains("difacto_resident_memory_bytes "), "{text}");
    }

    #[test]
    fn joined_expositions_end_once() {
        let one = RpcMetrics::default().render();
        let joined = join(&[one.clone(), one]);
        assert_eq!(joined.matches("# EOF").count(), 1, "{joined}");
        assert!(joined.ends_with("# EOF\n"), "{joined}");
    }
}
