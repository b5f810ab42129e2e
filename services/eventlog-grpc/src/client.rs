//! [`RemoteLog`]: an [`EventLog`] whose events live in another process
//! (`difacto serve log`), reached over gRPC with a `service` token.

use std::time::Duration;

use async_trait::async_trait;
use auth::BearerToken;
use eventlog::{
    AppendOutcome, Direction, EventLog, EventStream, ExpectedVersion, LogError, NewEvent,
    RecordedEvent,
};
use futures::StreamExt;
use proto::v1 as pb;
use telemetry::grpc::Traced;
use tonic::codegen::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::convert::{error_from_status, events_to_proto, expected_to_proto, recorded_from_proto};

type Client = pb::event_log_service_client::EventLogServiceClient<
    InterceptedService<Channel, Traced<BearerToken>>,
>;

/// A log served by another process. Cheap to clone: clones share one HTTP/2 connection.
#[derive(Debug, Clone)]
pub struct RemoteLog {
    client: Client,
}

impl RemoteLog {
    /// Prepares a client for `url` (e.g. `http://127.0.0.1:50051`). The connection is made
    /// on first use and re-made after failures, so a service may start before its log.
    pub fn connect_lazy(url: &str, token: BearerToken) -> Result<Self, LogError> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| LogError::Invalid {
                field: "log".into(),
                reason: format!("{url:?} is not a URL: {e}"),
            })?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30));
        Ok(Self::from_channel(endpoint.connect_lazy(), token))
    }

    pub fn from_channel(channel: Channel, token: BearerToken) -> Self {
        let client =
            // Every call carries the caller's trace context, so an append is part of the
            // command's trace in the log's process too.
            pb::event_log_service_client::EventLogServiceClient::with_interceptor(
                channel,
                Traced::new(token),
            )
                .max_decoding_message_size(crate::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(crate::MAX_MESSAGE_BYTES);
        Self { client }
    }
}

fn read_error(status: &tonic::Status) -> LogError {
    error_from_status(status, "", ExpectedVersion::Any, &[])
}

/// The events a read answered with, or its refusal as the log's own error.
fn events_from(
    answer: Result<tonic::Response<pb::ReadResponse>, tonic::Status>,
) -> Result<Vec<RecordedEvent>, LogError> {
    answer
        .map_err(|s| read_error(&s))?
        .into_inner()
        .events
        .into_iter()
        .map(recorded_from_proto)
        .collect()
}

#[async_trait]
impl EventLog for RemoteLog {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError> {
        // Checked here too, so bad input fails fast without a round trip.
        eventlog::limits::validate_append(stream, &events)?;
        let ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
        let request = pb::AppendRequest {
            stream: stream.to_owned(),
            expected: Some(expected_to_proto(expected)),
            events: events_to_proto(events),
        };
        let response = self
            .client
            .clone()
            .append(request)
            .await
            .map_err(|status| error_from_status(&status, stream, expected, &ids))?
            .into_inner();
        Ok(AppendOutcome {
            first_version: response.first_version,
            last_version: response.last_version,
            first_position: response.first_position,
            last_position: response.last_position,
        })
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let request = pb::ReadStreamRequest {
            stream: stream.to_owned(),
            from_version,
            max_count: u32::try_from(max_count).unwrap_or(u32::MAX),
            backwards: direction == Direction::Backwards,
        };
        events_from(self.client.clone().read_stream(request).await)
    }

    async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let request = pb::ReadAllRequest {
            after_position,
            max_count: u32::try_from(max_count).unwrap_or(u32::MAX),
        };
        events_from(self.client.clone().read_all(request).await)
    }

    fn subscribe(&self, after_position: u64) -> EventStream {
        let mut client = self.client.clone();
        futures::stream::once(async move {
            client
                .subscribe(pb::SubscribeRequest { after_position })
                .await
        })
        .flat_map(|response| match response {
            Ok(response) => response
                .into_inner()
                .map(|item| {
                    item.map_err(|s| read_error(&s))
                        .and_then(recorded_from_proto)
                })
                .boxed(),
            Err(status) => futures::stream::iter([Err(read_error(&status))]).boxed(),
        })
        .boxed()
    }

    async fn head_position(&self) -> Result<u64, LogError> {
        let request = pb::ReadAllRequest {
            after_position: u64::MAX,
            max_count: 1,
        };
        let response = self
            .client
            .clone()
            .read_all(request)
            .await
            .map_err(|s| read_error(&s))?;
        Ok(response.into_inner().head_position)
    }
}
