//! The tracing subscriber every process installs once, from `DIFACTO_LOG_LEVEL`,
//! `DIFACTO_LOG_FORMAT` and the standard `OTEL_*` variables.

use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people: one line per event, coloured on a terminal.
    Text,
    /// For log collectors: one JSON object per line (`timestamp`, `level`, `fields`,
    /// `target`, `span`).
    Json,
}

/// What the environment asks of telemetry. Read through a function rather than from the
/// process environment directly, so tests can hand it a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// An `EnvFilter` directive (`info`, `difacto=debug,info`).
    pub level: String,
    pub format: LogFormat,
    /// Where spans go (OTLP/HTTP); none means spans are not exported.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME`, when the operator set one: it wins over the process's own.
    pub service_name_override: Option<String>,
}

/// A setting that cannot be used, named with the reason.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("DIFACTO_LOG_FORMAT: {0:?} is not a log format; use text or json")]
    Format(String),
    #[error("DIFACTO_LOG_LEVEL: {0}")]
    Level(String),
    #[error("OTEL_EXPORTER_OTLP_ENDPOINT: cannot set up the OTLP exporter: {0}")]
    Exporter(String),
    #[error("cannot install the tracing subscriber: {0}")]
    Install(String),
}

impl Settings {
    /// Reads the settings with `var` (`std::env::var(..).ok()` in a process).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, InitError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let format = match set("DIFACTO_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(InitError::Format(other.to_owned())),
        };
        Ok(Self {
            level: set("DIFACTO_LOG_LEVEL").unwrap_or_else(|| "info".to_owned()),
            format,
            otlp_endpoint: set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                .or_else(|| set("OTEL_EXPORTER_OTLP_ENDPOINT")),
            service_name_override: set("OTEL_SERVICE_NAME"),
        })
    }
}

/// Whether this process exports spans: set once by [`init`]. Code that would make a
/// span only for the trace (one per folded event) asks first.
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans are exported from this process.
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// The installed telemetry. Dropping it (or [`Telemetry::shutdown`]) exports the spans
/// still buffered, so call it after the async runtime has stopped.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported (an OTLP endpoint was configured).
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports what is buffered and stops the exporter.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "could not export the last spans");
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Installs the process's subscriber from the environment. `service` names the process
/// in traces (`difacto-gateway`, `difacto-practice`, …) unless `OTEL_SERVICE_NAME` does.
/// Call it before starting an async runtime: the OTLP exporter's blocking client must
/// not be created inside one.
pub fn init(service: &str) -> Result<Telemetry, InitError> {
    let settings = Settings::from_vars(|name| std::env::var(name).ok())?;
    init_with(&settings, service)
}

/// [`init`] with settings already read.
pub fn init_with(settings: &Settings, service: &str) -> Result<Telemetry, InitError> {
    let filter =
        EnvFilter::try_new(&settings.level).map_err(|e| InitError::Level(e.to_string()))?;
    let provider = match &settings.otlp_endpoint {
        Some(_) => Some(tracer_provider(settings, service)?),
        None => None,
    };
    let otel = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("difacto")));
    let ansi = std::io::stderr().is_terminal();
    let (text, json) = match settings.format {
        LogFormat::Text => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(ansi),
            ),
            None,
        ),
        LogFormat::Json => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_current_span(true)
                    .with_span_list(false),
            ),
        ),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(otel)
        .try_init()
        .map_err(|e| InitError::Install(e.to_string()))?;
    EXPORTING.store(provider.is_some(), std::sync::atomic::Ordering::Relaxed);
    Ok(Telemetry { provider })
}

/// Spans batched and sent over OTLP/HTTP (protobuf) to the configured endpoint (the
/// exporter itself reads `OTEL_EXPORTER_OTLP_*`, including the endpoint, headers and
/// timeout, and `OTEL_BSP_*` for batching).
fn tracer_provider(settings: &Settings, service: &str) -> Result<SdkTracerProvider, InitError> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| InitError::Exporter(e.to_string()))?;
    let mut resource = Resource::builder();
    if settings.service_name_override.is_none() {
        resource = resource.with_service_name(service.to_owned());
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, InitError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_text_at_info_without_export() {
        let settings = read(&[]).expect("defaults");
        assert_eq!(settings.format, LogFormat::Text);
        assert_eq!(settings.level, "info");
        assert_eq!(settings.otlp_endpoint, None);
    }

    #[test]
    fn json_and_an_endpoint_are_read_and_a_bad_format_is_named() {
        let settings = read(&[
            ("DIFACTO_LOG_FORMAT", "json"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
        ])
        .expect("settings");
        assert_eq!(settings.format, LogFormat::Json);
        assert_eq!(
            settings.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );
        // An empty endpoint (as the manifests ship it) exports nothing.
        assert_eq!(
            read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "")])
                .expect("empty")
                .otlp_endpoint,
            None
        );
        let err = read(&[("DIFACTO_LOG_FORMAT", "yaml")]).expect_err("yaml");
        assert!(err.to_string().starts_with("DIFACTO_LOG_FORMAT:"), "{err}");
    }
}
