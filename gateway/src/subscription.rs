//! The `events` subscription: the log, live, for dashboards; each event shown only to
//! callers who may read its stream's history, as much of it as they may see. And the
//! websocket it is served on, which admits only a caller with a valid token.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Data, InputObject, Subscription};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use auth::TokenVerifier;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, Stream, StreamExt};

use crate::caller::{Authentication, caller};
use crate::error::GatewayError;
use crate::schema::DifactoSchema;
use crate::schema::cost::{MAX_ECHO, bound_message};
use crate::scope::Scope;
use crate::views::history::{HistoryEntry, Trail, entry, trail};
use crate::views::projection;

#[derive(Debug, Clone, Default, InputObject)]
pub struct EventFilter {
    /// Only streams starting with this, e.g. `session-` or `practice-A81001`.
    pub stream_prefix: Option<String>,
    /// Only these event types, by full name (`difacto.v1.SeatBooked`) or short name
    /// (`SeatBooked`).
    pub event_types: Option<Vec<String>>,
    /// Start after this position (0: from the beginning); by default, from now on.
    pub after_position: Option<u64>,
}

impl EventFilter {
    fn admits(&self, stream: &str, event_type: &str) -> bool {
        self.stream_prefix
            .as_ref()
            .is_none_or(|p| stream.starts_with(p.as_str()))
            && self.event_types.as_ref().is_none_or(|types| {
                types
                    .iter()
                    .any(|t| t == event_type || event_type.rsplit('.').next() == Some(t.as_str()))
            })
    }
}

/// How long an event waits for the read model before its visibility is decided.
const VISIBILITY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Events as they are recorded (or from `afterPosition`), in log order.
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
    ) -> async_graphql::Result<impl Stream<Item = HistoryEntry>> {
        let principal = caller(ctx)?.principal.clone();
        let projection = projection(ctx)?.clone();
        let filter = filter.unwrap_or_default();
        let after = match filter.after_position {
            Some(p) => p,
            None => projection
                .log()
                .head_position()
                .await
                .map_err(GatewayError::internal)?,
        };
        let stream = projection.log().subscribe(after).filter_map(move |item| {
            let projection = projection.clone();
            let principal = principal.clone();
            let event = item
                .ok()
                .filter(|e| filter.admits(&e.stream, &e.event_type));
            async move {
                let event = event?;
                // Who may see an event depends on what the views know of its stream (a
                // session's partner, host, ICB): wait until they have folded it.
                projection.wait_for(event.position, VISIBILITY_WAIT).await;
                let model = projection.live();
                let scope = Scope::new(&principal);
                let trail = model.read(|m| trail(m, &scope, &event.stream, model.date()));
                (trail != Trail::Hidden).then(|| entry(&event, &principal, trail))
            }
        });
        Ok(stream)
    }
}

/// How long a websocket may stay open before its `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// graphql-transport-ws close codes: a message that is not one of the protocol's…
pub const CLOSE_BAD_MESSAGE: u16 = 4400;
/// …no valid token (missing, malformed, expired, forged), or a message before
/// `connection_init`…
pub const CLOSE_UNAUTHENTICATED: u16 = 4401;
/// …and no `connection_init` within [`INIT_TIMEOUT`].
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// A close frame's reason holds at most 123 bytes.
const MAX_CLOSE_REASON: usize = 120;

/// Serves a GraphQL websocket (`/graphql/ws`). Its first message must be
/// `connection_init` with a valid token (in the payload, or in the upgrade request's
/// `Authorization` header, `from_header`); otherwise the socket is closed with
/// [`CLOSE_UNAUTHENTICATED`] (DESIGN.md §6) before anything else is read, and nothing is
/// acknowledged. There is nothing on the socket an anonymous caller could read.
pub async fn serve_websocket(
    socket: WebSocket,
    schema: DifactoSchema,
    protocol: GraphQLProtocol,
    verifier: Arc<TokenVerifier>,
    from_header: Authentication,
) {
    let (mut sink, mut stream) = socket.split();
    let first = tokio::time::timeout(INIT_TIMEOUT, async {
        while let Some(message) = stream.next().await {
            match message {
                Ok(Message::Text(_) | Message::Binary(_)) => return message.ok(),
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
                Ok(Message::Close(_)) | Err(_) => return None,
            }
        }
        None
    })
    .await;
    let first = match first {
        Ok(Some(first)) => first,
        Ok(None) => return,
        Err(_) => {
            close(
                &mut sink,
                CLOSE_INIT_TIMEOUT,
                "Connection initialisation timeout",
            )
            .await;
            return;
        }
    };
    let auth = match admit(&first, &verifier, from_header) {
        Ok(auth) => auth,
        Err((code, reason)) => {
            close(&mut sink, code, &reason).await;
            return;
        }
    };
    // The library reads `connection_init` again, and acknowledges it.
    let stream = futures::stream::once(async move { Ok(first) }).chain(stream);
    GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
        .on_connection_init(move |_| async move {
            let mut data = Data::default();
            data.insert(auth);
            Ok(data)
        })
        .serve()
        .await;
}

/// Who a websocket's first message says is calling, or the close code and reason.
pub fn admit(
    first: &Message,
    verifier: &TokenVerifier,
    from_header: Authentication,
) -> Result<Authentication, (u16, String)> {
    let text = match first {
        Message::Text(text) => text.as_bytes(),
        Message::Binary(bytes) => bytes.as_ref(),
        _ => &[],
    };
    let message: serde_json::Value = serde_json::from_slice(text)
        .map_err(|_| (CLOSE_BAD_MESSAGE, "Invalid message: not JSON".to_owned()))?;
    if message.get("type").and_then(|t| t.as_str()) != Some("connection_init") {
        return Err((
            CLOSE_UNAUTHENTICATED,
            "Unauthorized: the first message must be connection_init".to_owned(),
        ));
    }
    let payload = message
        .get("payload")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let auth = Authentication::from_connection_init(&payload, verifier, from_header);
    match auth.caller() {
        Ok(_) => Ok(auth),
        // The reason names what was wrong with the token, never the token.
        Err(err) => {
            let mut reason = bound_message(&format!("Unauthorized: {}", err.message()), MAX_ECHO);
            while reason.len() > MAX_CLOSE_REASON {
                reason.pop();
            }
            Err((CLOSE_UNAUTHENTICATED, reason))
        }
    }
}

async fn close(sink: &mut futures::stream::SplitSink<WebSocket, Message>, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    // The peer may already be gone; there is no one left to tell.
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}
