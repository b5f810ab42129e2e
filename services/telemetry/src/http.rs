//! `/metrics`, `/healthz` and `/readyz` of a process that has no other HTTP face (the log
//! and each domain service, beside their gRPC port). The router only: the binary serves
//! it with the same bounded connections as the gateway.

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::watch;

use crate::metrics::{CONTENT_TYPE, RpcMetrics};

#[derive(Debug, Clone)]
struct Probe {
    metrics: Arc<RpcMetrics>,
    ready: watch::Receiver<bool>,
}

/// `/metrics` (Prometheus text), `/healthz` (200 while the process serves) and `/readyz`
/// (503 until `ready` holds true, 200 after; the process sets it once it can serve).
pub fn router(metrics: Arc<RpcMetrics>, ready: watch::Receiver<bool>) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Probe { metrics, ready })
}

async fn render(axum::extract::State(probe): axum::extract::State<Probe>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        probe.metrics.render(),
    )
}

async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "ok" })),
    )
}

async fn readyz(axum::extract::State(probe): axum::extract::State<Probe>) -> impl IntoResponse {
    if *probe.ready.borrow() {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "starting" })),
        )
    }
}
