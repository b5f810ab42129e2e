//! `EventLogService` over any [`EventLog`]. Each handler converts the request (naming the
//! bad field), calls the log, and converts the answer; nothing else happens here.

use std::pin::Pin;
use std::sync::Arc;

use eventlog::{Direction, EventLog};
use futures::{Stream, StreamExt};
use prost::Message;
use proto::v1 as pb;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::convert::{
    events_from_proto, expected_from_proto, recorded_to_proto, status_from_error,
};

/// Most bytes of events in one read response: under the 4 MiB that standard gRPC clients
/// (tonic, grpc-go, grpcurl) accept by default. A page is cut short rather than refused;
/// a single event (payload at most 1 MiB) always fits.
const MAX_RESPONSE_BYTES: usize = 3 * 1024 * 1024;

/// The gRPC face of a log. Subscriptions end when `shutdown` is cancelled, so that a
/// draining server is not held open by endless streams.
#[derive(Clone)]
pub struct EventLogGrpc {
    log: Arc<dyn EventLog>,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for EventLogGrpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLogGrpc").finish_non_exhaustive()
    }
}

impl EventLogGrpc {
    pub fn new(log: Arc<dyn EventLog>, shutdown: CancellationToken) -> Self {
        Self { log, shutdown }
    }

    /// The tonic service, with the message limits the log's own limits need.
    pub fn into_server(self) -> pb::event_log_service_server::EventLogServiceServer<Self> {
        pb::event_log_service_server::EventLogServiceServer::new(self)
            .max_decoding_message_size(crate::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(crate::MAX_MESSAGE_BYTES)
    }
}

fn bounded_page(events: Vec<eventlog::RecordedEvent>, head_position: u64) -> pb::ReadResponse {
    let mut bytes = 0;
    let mut page = Vec::with_capacity(events.len());
    for event in events {
        let event = recorded_to_proto(event);
        bytes += event.encoded_len();
        if bytes > MAX_RESPONSE_BYTES && !page.is_empty() {
            break;
        }
        page.push(event);
    }
    pb::ReadResponse {
        events: page,
        head_position,
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::RecordedEvent, Status>> + Send>>;

#[tonic::async_trait]
impl pb::event_log_service_server::EventLogService for EventLogGrpc {
    #[tracing::instrument(skip_all, fields(stream = %request.get_ref().stream, events = request.get_ref().events.len()))]
    async fn append(
        &self,
        request: Request<pb::AppendRequest>,
    ) -> Result<Response<pb::AppendResponse>, Status> {
        let request = request.into_inner();
        let expected = expected_from_proto(request.expected).map_err(status_from_error)?;
        let events = events_from_proto(request.events).map_err(status_from_error)?;
        let outcome = self
            .log
            .append(&request.stream, expected, events)
            .await
            .map_err(status_from_error)?;
        Ok(Response::new(pb::AppendResponse {
            first_version: outcome.first_version,
            last_version: outcome.last_version,
            first_position: outcome.first_position,
            last_position: outcome.last_position,
        }))
    }

    #[tracing::instrument(skip_all, fields(stream = %request.get_ref().stream))]
    async fn read_stream(
        &self,
        request: Request<pb::ReadStreamRequest>,
    ) -> Result<Response<pb::ReadResponse>, Status> {
        let request = request.into_inner();
        let direction = if request.backwards {
            Direction::Backwards
        } else {
            Direction::Forwards
        };
        let events = self
            .log
            .read_stream(
                &request.stream,
                request.from_version,
                request.max_count as usize,
                direction,
            )
            .await
            .map_err(status_from_error)?;
        let head = self.log.head_position().await.map_err(status_from_error)?;
        Ok(Response::new(bounded_page(events, head)))
    }

    #[tracing::instrument(skip_all, fields(after = request.get_ref().after_position))]
    async fn read_all(
        &self,
        request: Request<pb::ReadAllRequest>,
    ) -> Result<Response<pb::ReadResponse>, Status> {
        let request = request.into_inner();
        let events = self
            .log
            .read_all(request.after_position, request.max_count as usize)
            .await
            .map_err(status_from_error)?;
        let head = self.log.head_position().await.map_err(status_from_error)?;
        Ok(Response::new(bounded_page(events, head)))
    }

    type SubscribeStream = EventStream;

    #[tracing::instrument(skip_all, fields(after = request.get_ref().after_position))]
    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let events = self
            .log
            .subscribe(request.into_inner().after_position)
            .map(|event| event.map(recorded_to_proto).map_err(status_from_error))
            .take_until(self.shutdown.clone().cancelled_owned());
        Ok(Response::new(Box::pin(events)))
    }
}
