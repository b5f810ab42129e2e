//! How every difacto process is observed, in one place so that each process is observed
//! the same way:
//!
//! - `init`: the process's tracing subscriber, set up once in `main`: log lines as
//!   text or, with `DIFACTO_LOG_FORMAT=json`, one JSON object per line; and, when
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans exported over OTLP/HTTP.
//! - `propagation`: the W3C trace context (`traceparent`) read from and written to HTTP
//!   headers and gRPC metadata, so one command is one trace across processes.
//! - `grpc`: the tower layer in front of every gRPC server (a span per call, continuing
//!   the caller's trace, and its count and latency) and the client interceptor that
//!   passes the context on.
//! - `metrics`: the per-RPC Prometheus metrics, and what every `/metrics` shares
//!   (latency buckets, resident memory, the text encoding).
//! - `http`: `/metrics`, `/healthz` and `/readyz` for processes without the gateway's.

pub mod grpc;
pub mod http;
pub mod init;
pub mod metrics;
pub mod propagation;

pub use init::{InitError, LogFormat, Settings, Telemetry, init};
