//! gRPC's part in tracing and metrics.
//!
//! [`ServerLayer`] sits in front of every gRPC server: each call gets a span
//! (`grpc.server`, `rpc.service`, `rpc.method`) that continues the caller's trace from its
//! `traceparent` metadata, and is counted and timed in [`RpcMetrics`]. The call's
//! `traceparent` is then set to this span's, so what the handler reads from its metadata
//! (and records in its events) names the span that recorded them.
//!
//! [`Traced`] wraps a client interceptor (the bearer token's) and adds the current span's
//! context to every outgoing call.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use tonic::service::Interceptor;
use tracing::Instrument;

use crate::metrics::RpcMetrics;
use crate::propagation;

/// The label of a service or method that is not one the server serves: a caller chooses
/// the path, and metrics must not grow with every name a caller invents.
const UNKNOWN: &str = "unknown";
/// `UNIMPLEMENTED`: tonic's answer to a method the service does not have.
const UNIMPLEMENTED: &str = "12";

/// Traces, counts and times every call to the services named in `served`.
#[derive(Debug, Clone)]
pub struct ServerLayer {
    metrics: Arc<RpcMetrics>,
    served: Arc<[&'static str]>,
}

impl ServerLayer {
    /// `served` are the full gRPC names the server serves (`difacto.v1.PracticeService`);
    /// calls to anything else are counted under `unknown`.
    pub fn new(metrics: Arc<RpcMetrics>, served: &[&'static str]) -> Self {
        Self {
            metrics,
            served: served.into(),
        }
    }
}

impl<S> tower::Layer<S> for ServerLayer {
    type Service = Server<S>;

    fn layer(&self, inner: S) -> Server<S> {
        Server {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`ServerLayer`] wraps.
#[derive(Debug, Clone)]
pub struct Server<S> {
    inner: S,
    layer: ServerLayer,
}

impl<S, B, R> tower::Service<Request<B>> for Server<S>
where
    S: tower::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let (service, method) = split_path(request.uri().path());
        let service = self
            .layer
            .served
            .iter()
            .find(|name| **name == service)
            .copied();
        let method = if service.is_some() {
            method.to_owned()
        } else {
            UNKNOWN.to_owned()
        };
        let service = service.unwrap_or(UNKNOWN);
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = %format_args!("{service}/{method}"),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        propagation::continue_from(&span, request.headers());
        if let Some(value) =
            propagation::traceparent(&span).and_then(|t| HeaderValue::try_from(t).ok())
        {
            request
                .headers_mut()
                .insert(propagation::TRACEPARENT, value);
        }
        let started = Instant::now();
        let answer = span.in_scope(|| self.inner.call(request));
        let metrics = self.layer.metrics.clone();
        Box::pin(
            async move {
                let response = answer.await?;
                // A unary call that fails answers with its status in the headers
                // (trailers-only); one that succeeds sends OK in the trailers.
                let code = response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("0")
                    .to_owned();
                let method = if code == UNIMPLEMENTED {
                    UNKNOWN
                } else {
                    &method
                };
                tracing::Span::current().record("rpc.grpc.status_code", code.as_str());
                metrics.observe(service, method, &code, started.elapsed());
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// `/difacto.v1.PracticeService/RecordFacilitation` → its service and method.
fn split_path(path: &str) -> (&str, &str) {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.split_once('/').unwrap_or((path, ""))
}

/// A client interceptor that runs `inner` and then adds the current span's trace context
/// to the call's metadata.
#[derive(Debug, Clone)]
pub struct Traced<I> {
    inner: I,
}

impl<I> Traced<I> {
    pub fn new(inner: I) -> Self {
        Self { inner }
    }
}

impl<I: Interceptor> Interceptor for Traced<I> {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = self.inner.call(request)?;
        let mut headers = http::HeaderMap::new();
        propagation::inject(&tracing::Span::current(), &mut headers);
        for (name, value) in &headers {
            if let (Ok(key), Ok(value)) = (
                tonic::metadata::AsciiMetadataKey::from_bytes(name.as_str().as_bytes()),
                tonic::metadata::AsciiMetadataValue::try_from(value.as_bytes()),
            ) {
                request.metadata_mut().insert(key, value);
            }
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            split_path("/difacto.v1.PracticeService/RecordFacilitation"),
            ("difacto.v1.PracticeService", "RecordFacilitation")
        );
        assert_eq!(split_path("/nothing"), ("nothing", ""));
    }
}
