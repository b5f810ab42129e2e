//! The gateway on axum: `/graphql` (POST and GET), `/graphql/ws` (graphql-transport-ws,
//! the token in `connection_init`), GraphiQL at `/`, `/healthz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use difacto_auth::TokenVerifier;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::caller::Authentication;
use crate::metrics::{Metrics, Outcome};
use crate::projection::Projection;
use crate::schema::DifactoSchema;

/// The largest request body accepted: far above any real query.
const MAX_BODY: usize = 256 * 1024;

#[derive(Clone)]
pub struct Gateway {
    pub schema: DifactoSchema,
    pub verifier: Arc<TokenVerifier>,
    pub projection: Arc<Projection>,
    pub metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

impl Gateway {
    pub fn new(
        schema: DifactoSchema,
        verifier: Arc<TokenVerifier>,
        projection: Arc<Projection>,
    ) -> Self {
        let metrics = Arc::new(Metrics::new(projection.clone()));
        Self {
            schema,
            verifier,
            projection,
            metrics,
        }
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(graphiql))
            .route("/graphql", get(graphql).post(graphql))
            .route("/graphql/ws", get(websocket))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }

    /// Serves until `shutdown`, then lets requests in flight finish.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}

fn authentication(headers: &HeaderMap, verifier: &TokenVerifier) -> Authentication {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    Authentication::from_header(header, verifier)
}

async fn graphql(
    State(gw): State<Gateway>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let started = Instant::now();
    let auth = authentication(&headers, &gw.verifier);
    let response = gw.schema.execute(request.into_inner().data(auth)).await;
    gw.metrics.latency.observe(started.elapsed().as_secs_f64());
    let outcome = if response.is_ok() { "ok" } else { "error" };
    gw.metrics
        .requests
        .get_or_create(&Outcome { outcome })
        .inc();
    response.into()
}

async fn websocket(
    State(gw): State<Gateway>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let from_header = authentication(&headers, &gw.verifier);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            crate::subscription::serve_websocket(
                socket,
                gw.schema,
                protocol,
                gw.verifier,
                from_header,
            )
        })
}

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("difacto")
            .finish(),
    )
}

async fn healthz(State(gw): State<Gateway>) -> impl IntoResponse {
    (
        StatusCode::OK,
        Json(serde_json::json!({
            "status": "ok",
            "readModelPosition": gw.projection.position(),
        })),
    )
}

async fn metrics(State(gw): State<Gateway>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        gw.metrics.render(),
    )
}

/// Binds the gateway's HTTP address, naming the setting when it cannot.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("--http-addr: cannot listen on {addr}: {err}"))
}
