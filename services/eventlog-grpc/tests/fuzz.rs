//! Fuzzing of the log API's request conversion (`convert.rs`) and the handlers around it.
//!
//! Each input is the bytes of an `Append`, `ReadStream`, `ReadAll` or `Subscribe`
//! request: random, a valid request with bytes flipped, inserted or cut, or a valid one
//! changed field by field on the wire (ids, expected versions, names, metadata, payload
//! sizes, event counts on the edges of the limits). The bytes are decoded with prost and
//! handed to `EventLogGrpc`, as tonic would after decoding, over a log that applies the
//! backends' own limits (`eventlog::limits`) and, for a few inputs, over a real sled
//! log. Besides "never panics": a refusal of a request is `INVALID_ARGUMENT` naming the
//! field in `difacto-field`, never `INTERNAL`, and echoes little of the input.
//!
//! `DIFACTO_FUZZ_CASES=2000000 cargo test --release -p eventlog-grpc --test fuzz` runs
//! it on two million inputs.

#[path = "../../../fuzz/kit.rs"]
mod kit;

use std::sync::Arc;

use async_trait::async_trait;
use eventlog::{
    AppendOutcome, Direction, EventLog, EventStream, ExpectedVersion, LogError, NewEvent,
    RecordedEvent, SledConfig, SledLog,
};
use eventlog_grpc::EventLogGrpc;
use futures::StreamExt;
use kit::{Dictionary, Entropy};
use prost::Message;
use proto::v1 as pb;
use proto::v1::event_log_service_server::EventLogService;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status};
use uuid::Uuid;

/// Longest error message allowed: the field, the reason, a short echo.
const MAX_MESSAGE_CHARS: usize = 400;

/// A log that stores nothing but checks every append and read as a backend must, with the
/// backends' own validator, and answers reads with events of every size up to the limit.
struct Checked {
    events: Vec<RecordedEvent>,
}

#[async_trait]
impl EventLog for Checked {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, LogError> {
        eventlog::limits::validate_append(stream, &events)?;
        if expected == ExpectedVersion::StreamExists {
            return Err(LogError::WrongExpectedVersion {
                stream: stream.to_owned(),
                expected,
                actual: None,
            });
        }
        let n = events.len() as u64;
        Ok(AppendOutcome {
            first_version: 0,
            last_version: n - 1,
            first_position: 1,
            last_position: n,
        })
    }

    async fn read_stream(
        &self,
        stream: &str,
        from_version: u64,
        max_count: usize,
        _direction: Direction,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        eventlog::limits::validate_stream_name(stream)?;
        let page = eventlog::limits::page_size(max_count);
        let skip = usize::try_from(from_version).unwrap_or(usize::MAX);
        Ok(self.events.iter().skip(skip).take(page).cloned().collect())
    }

    async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let page = eventlog::limits::page_size(max_count);
        let skip = usize::try_from(after_position).unwrap_or(usize::MAX);
        Ok(self.events.iter().skip(skip).take(page).cloned().collect())
    }

    fn subscribe(&self, after_position: u64) -> EventStream {
        let skip = usize::try_from(after_position).unwrap_or(usize::MAX);
        futures::stream::iter(self.events.clone().into_iter().skip(skip).map(Ok)).boxed()
    }

    async fn head_position(&self) -> Result<u64, LogError> {
        Ok(self.events.len() as u64)
    }
}

/// Stored events from a few bytes to the largest payload allowed, so that read pages are
/// cut at the response limit.
fn stored() -> Vec<RecordedEvent> {
    (0..40u64)
        .map(|i| RecordedEvent {
            event_id: Uuid::from_u128(u128::from(i) + 1),
            stream: "session-1".into(),
            version: i,
            position: i + 1,
            event_type: "difacto.v1.SeatBooked".into(),
            payload: vec![7u8; if i % 8 == 7 { 1024 * 1024 } else { 64 }].into(),
            metadata: [("request_id".to_owned(), format!("r-{i}"))].into(),
            recorded_at_unix_micros: 1_700_000_000_000_000 + i as i64,
        })
        .collect()
}

fn event(id: &str, event_type: &str) -> pb::EventData {
    pb::EventData {
        event_id: id.into(),
        event_type: event_type.into(),
        payload: b"\x0a\x06A81001".to_vec().into(),
        metadata: [
            ("actor".to_owned(), "user@A81001".to_owned()),
            ("request_id".to_owned(), "r-1".to_owned()),
        ]
        .into(),
    }
}

fn seeds() -> Vec<Vec<Vec<u8>>> {
    let id = |n: u128| Uuid::from_u128(0x4000_8000_0000_0000_0000 | n).to_string();
    let append = |kind: pb::expected_version::Kind, version| pb::AppendRequest {
        stream: "session-5f0c".into(),
        expected: Some(pb::ExpectedVersion {
            kind: kind.into(),
            version,
        }),
        events: vec![
            event(&id(1), "difacto.v1.SeatBooked"),
            event(&id(2), "difacto.v1.WaitlistPromoted"),
        ],
    };
    use pb::expected_version::Kind;
    vec![
        vec![
            append(Kind::Any, 0).encode_to_vec(),
            append(Kind::Exact, 3).encode_to_vec(),
            append(Kind::NoStream, 0).encode_to_vec(),
            pb::AppendRequest {
                expected: None,
                ..append(Kind::Any, 0)
            }
            .encode_to_vec(),
        ],
        vec![
            pb::ReadStreamRequest {
                stream: "session-1".into(),
                from_version: 0,
                max_count: 100,
                backwards: false,
            }
            .encode_to_vec(),
            pb::ReadStreamRequest {
                stream: "organisations".into(),
                from_version: 7,
                max_count: 0,
                backwards: true,
            }
            .encode_to_vec(),
        ],
        vec![
            pb::ReadAllRequest {
                after_position: 0,
                max_count: 1000,
            }
            .encode_to_vec(),
        ],
        vec![pb::SubscribeRequest { after_position: 3 }.encode_to_vec()],
    ]
}

/// What must hold of every refusal.
fn check(what: &str, status: &Status) {
    assert_ne!(
        status.code(),
        Code::Internal,
        "{what}: a bad request must not be INTERNAL: {}",
        status.message()
    );
    let chars = status.message().chars().count();
    assert!(
        chars <= MAX_MESSAGE_CHARS,
        "{what}: an error of {chars} characters echoes too much input"
    );
    if status.code() == Code::InvalidArgument {
        let field = status
            .metadata()
            .get("difacto-field")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            !field.is_empty(),
            "{what}: INVALID_ARGUMENT names no field: {}",
            status.message()
        );
    }
}

async fn call(server: &EventLogGrpc, which: usize, bytes: &[u8], e: &mut Entropy<'_>) {
    match which {
        0 => {
            let Ok(request) = pb::AppendRequest::decode(bytes) else {
                return;
            };
            if let Err(status) = server.append(Request::new(request)).await {
                check("Append", &status);
            }
        }
        1 => {
            let Ok(request) = pb::ReadStreamRequest::decode(bytes) else {
                return;
            };
            match server.read_stream(Request::new(request)).await {
                Ok(page) => bounded("ReadStream", &page.into_inner()),
                Err(status) => check("ReadStream", &status),
            }
        }
        2 => {
            let Ok(request) = pb::ReadAllRequest::decode(bytes) else {
                return;
            };
            match server.read_all(Request::new(request)).await {
                Ok(page) => bounded("ReadAll", &page.into_inner()),
                Err(status) => check("ReadAll", &status),
            }
        }
        _ => {
            let Ok(request) = pb::SubscribeRequest::decode(bytes) else {
                return;
            };
            match server.subscribe(Request::new(request)).await {
                Ok(stream) => {
                    // A subscription follows the log forever: read what is there, briefly.
                    let taken = e.below(4);
                    let read = stream.into_inner().take(taken).collect::<Vec<_>>();
                    let _ = tokio::time::timeout(std::time::Duration::from_millis(20), read).await;
                }
                Err(status) => check("Subscribe", &status),
            }
        }
    }
}

/// A read page fits what standard gRPC clients accept (4 MiB), whatever was asked.
fn bounded(what: &str, page: &pb::ReadResponse) {
    assert!(
        page.encoded_len() <= 4 * 1024 * 1024,
        "{what}: a page of {} bytes",
        page.encoded_len()
    );
}

#[test]
fn fuzz_log_requests() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let shutdown = CancellationToken::new();
    let checked = EventLogGrpc::new(Arc::new(Checked { events: stored() }), shutdown.clone());
    let sled: Arc<dyn EventLog> =
        Arc::new(SledLog::open(&SledConfig::new(dir.path().join("log"))).expect("open the log"));
    let real = EventLogGrpc::new(sled, shutdown.clone());
    let seeds = seeds();
    let dict = Dictionary::with(
        &[
            "session-5f0c",
            "organisations",
            "session-",
            "a/b",
            "$all",
            "difacto.v1.SeatBooked",
            "difacto.v1.",
            "x.y",
            "request_id",
            "actor",
        ],
        &[
            64,
            128,
            129,
            199,
            200,
            201,
            4096,
            4097,
            1024 * 1024,
            1024 * 1024 + 1,
            8 * 1024 * 1024,
        ],
    );
    kit::run("log_requests", kit::DEFAULT_CASES, |e| {
        let which = e.below(seeds.len());
        let mut bytes = kit::message_bytes(e, &seeds[which], &dict);
        // Now and then, one payload at the size limits: a field kit's mutations never grow to.
        if which == 0 && e.one_in(32) {
            let size = *e.pick(&[1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024]);
            let big = pb::EventData {
                payload: vec![0u8; size].into(),
                ..event(&Uuid::from_u128(u128::from(e.u64())).to_string(), "t")
            };
            bytes.extend(kit::encode_wire(&[(
                3,
                kit::Wire::Bytes(big.encode_to_vec()),
            )]));
        }
        let server = if e.one_in(256) { &real } else { &checked };
        runtime.block_on(call(server, which, &bytes, e));
    });
    shutdown.cancel();
}
