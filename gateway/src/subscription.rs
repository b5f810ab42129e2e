//! The `events` subscription: the log, live, for dashboards; each event shown only to
//! callers who may read its stream's history.

use async_graphql::{Context, InputObject, Subscription};
use futures::{Stream, StreamExt};

use crate::caller::caller;
use crate::error::GatewayError;
use crate::scope::Scope;
use crate::views::history::{HistoryEntry, entry, owners};
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
                let visible = model.read(|m| {
                    let owners = owners(m, &event.stream);
                    let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
                    scope.sees_history(&m.tree.index(), &owners, model.date())
                });
                visible.then(|| entry(&event))
            }
        });
        Ok(stream)
    }
}
