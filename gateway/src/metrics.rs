//! `/metrics` in the Prometheus text format: requests and their latency, and how far the
//! read model has got. Built from `telemetry::metrics`, which every process's
//! `/metrics` shares (buckets, resident memory, encoding).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use telemetry::metrics::{RpcMetrics, encode, join, latency_histogram, resident_bytes, set_gauge};

use crate::projection::Projection;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub outcome: &'static str,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<Outcome, Counter>,
    pub latency: Histogram,
    position: Gauge,
    applied: Gauge,
    checkpoints: Gauge,
    replays: Gauge,
    resident: Gauge,
    projection: Arc<Projection>,
    /// The gRPC calls served in the same process (`difacto dev`), reported alongside.
    calls: Option<Arc<RpcMetrics>>,
}

impl Metrics {
    pub fn new(projection: Arc<Projection>) -> Self {
        let mut registry = Registry::with_prefix("difacto_gateway");
        let requests = Family::<Outcome, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests answered, by outcome",
            requests.clone(),
        );
        let latency = latency_histogram();
        registry.register(
            "graphql_request_seconds",
            "Time to answer a GraphQL request",
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let position = gauge(
            &mut registry,
            "read_model_position",
            "Last log position the views have taken in",
        );
        let applied = gauge(
            &mut registry,
            "read_model_events_applied",
            "Events folded since start",
        );
        let checkpoints = gauge(
            &mut registry,
            "read_model_checkpoints_written",
            "Checkpoints written since start",
        );
        let replays = gauge(&mut registry, "as_of_replays", "Replays run to answer asOf");
        let resident = gauge(
            &mut registry,
            "resident_memory_bytes",
            "Resident set size of the process",
        );
        Self {
            registry: Mutex::new(registry),
            requests,
            latency,
            position,
            applied,
            checkpoints,
            replays,
            resident,
            projection,
            calls: None,
        }
    }

    /// Reports `calls` (the gRPC server's per-RPC metrics) on the same `/metrics`.
    pub fn with_calls(mut self, calls: Arc<RpcMetrics>) -> Self {
        self.calls = Some(calls);
        self
    }

    pub fn render(&self) -> String {
        let stats = &self.projection.stats;
        let set = set_gauge;
        set(&self.position, self.projection.position());
        set(&self.applied, stats.events_applied.load(Ordering::Relaxed));
        set(
            &self.checkpoints,
            stats.checkpoints_written.load(Ordering::Relaxed),
        );
        set(&self.replays, stats.as_of_replays.load(Ordering::Relaxed));
        set(&self.resident, resident_bytes().unwrap_or(0));
        let own = {
            let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
            encode(&registry)
        };
        match &self.calls {
            Some(calls) => join(&[own, calls.render()]),
            None => own,
        }
    }
}
