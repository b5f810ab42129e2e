//! The W3C trace context (`traceparent`, `tracestate`) across processes: read from an
//! incoming request's headers to continue the caller's trace, written into an outgoing
//! request's, and rendered as the `traceparent` text stored with the events a command
//! appends. Only W3C Trace Context is spoken, whatever global propagator is set.

use std::collections::HashMap;

use http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header (and gRPC metadata key) that carries the trace context.
pub const TRACEPARENT: &str = "traceparent";

/// Makes `span` a child of the trace context in `headers`, when they carry a valid one.
/// Without an exporter installed, spans have no trace context and this does nothing.
pub fn continue_from(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        // Fails only when the span is disabled; then there is nothing to continue.
        let _ = span.set_parent(parent);
    }
}

/// Makes `span` a child of the `traceparent` text (as stored in an event's metadata).
pub fn continue_from_traceparent(span: &tracing::Span, traceparent: &str) {
    let mut headers = HeaderMap::new();
    if let Ok(value) = traceparent.parse() {
        headers.insert(TRACEPARENT, value);
        continue_from(span, &headers);
    }
}

/// Writes `span`'s trace context into `headers`; nothing when it has none.
pub fn inject(span: &tracing::Span, headers: &mut HeaderMap) {
    let context = span.context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// `span`'s trace context as a `traceparent` value, when it has one.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut fields = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut fields);
    fields.remove(TRACEPARENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_exporter_nothing_is_injected() {
        let span = tracing::info_span!("test");
        let mut headers = HeaderMap::new();
        inject(&span, &mut headers);
        assert!(headers.is_empty());
        assert_eq!(traceparent(&span), None);
    }
}
