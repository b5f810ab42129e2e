//! End-to-end tests of `difacto serve log`: the real binary, on its own data directory,
//! over real gRPC (DESIGN.md §3, §6, §8, §9).

mod support;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth::{Claims, Role};
use futures::StreamExt;
use pb::event_log_service_client::EventLogServiceClient;
use pb::expected_version::Kind;
use proto::v1 as pb;
use support::{
    LogClient, Reflection, Server, append_request, assert_verify_ok, channel, client, event,
    listed_services, now_secs, read_everything, run_verify, secret, service_token, sign,
    token_with,
};
use tonic::{Code, Status};

/// How long one message of a subscription may take to arrive.
const RECV_TIMEOUT: Duration = Duration::from_secs(10);

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("difacto-e2e-")
        .tempdir()
        .expect("create a temporary data directory")
}

/// The error of `result`, which must have failed with `code`.
fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, what: &str) -> Status {
    match result {
        Ok(value) => panic!("{what}: expected {code:?}, got Ok({value:?})"),
        Err(status) => {
            assert_eq!(
                status.code(),
                code,
                "{what}: wrong code; message: {}",
                status.message()
            );
            status
        }
    }
}

fn exact(stream: &str, version: u64, events: Vec<pb::EventData>) -> pb::AppendRequest {
    pb::AppendRequest {
        stream: stream.to_owned(),
        expected: Some(pb::ExpectedVersion {
            kind: Kind::Exact.into(),
            version,
        }),
        events,
    }
}

fn ack(first_version: u64, last_version: u64, first_position: u64) -> pb::AppendResponse {
    pb::AppendResponse {
        first_version,
        last_version,
        first_position,
        last_position: first_position + (last_version - first_version),
    }
}

fn now_micros() -> i64 {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros();
    i64::try_from(micros).expect("micros fit in i64")
}

/// A `read_stream` request.
fn stream_request(
    stream: &str,
    from_version: u64,
    max_count: u32,
    backwards: bool,
) -> pb::ReadStreamRequest {
    pb::ReadStreamRequest {
        stream: stream.to_owned(),
        from_version,
        max_count,
        backwards,
    }
}

/// A `read_all` request.
fn all_request(after_position: u64, max_count: u32) -> pb::ReadAllRequest {
    pb::ReadAllRequest {
        after_position,
        max_count,
    }
}

/// The `difacto-…` detail `key` a refusal carries in its metadata.
fn detail<'a>(status: &'a Status, key: &str) -> Option<&'a str> {
    status
        .metadata()
        .get(key)
        .map(|v| v.to_str().expect("ascii"))
}

/// Checks that `recorded` is `sent`, stored at `stream`/`version`/`position`.
fn assert_recorded(
    recorded: &pb::RecordedEvent,
    sent: &pb::EventData,
    stream: &str,
    version: u64,
    position: u64,
) {
    assert_eq!(recorded.event_id, sent.event_id, "event id at {position}");
    assert_eq!(recorded.stream, stream, "stream at {position}");
    assert_eq!(recorded.version, version, "version at {position}");
    assert_eq!(recorded.position, position, "position");
    assert_eq!(recorded.event_type, sent.event_type, "type at {position}");
    assert_eq!(recorded.payload, sent.payload, "payload at {position}");
    assert_eq!(recorded.metadata, sent.metadata, "metadata at {position}");
    let age = now_micros() - recorded.recorded_at_unix_micros;
    assert!(
        (0..120_000_000).contains(&age),
        "recorded_at {} is not within the last two minutes",
        recorded.recorded_at_unix_micros
    );
}

async fn head(log: &mut LogClient) -> (u64, usize) {
    let page = log
        .read_all(all_request(0, 0))
        .await
        .expect("read_all")
        .into_inner();
    (page.head_position, page.events.len())
}

/// `request` appended, which must succeed (`what` says which append failed); the answer.
async fn appended(
    log: &mut LogClient,
    request: pb::AppendRequest,
    what: &str,
) -> pb::AppendResponse {
    log.append(request)
        .await
        .unwrap_or_else(|status| panic!("{what}: {status:?}"))
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_read_stream_and_read_all_round_trip() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;

    // Positions start at 1, versions at 0.
    let one = vec![event("one"), event("two")];
    let got = appended(
        &mut log,
        append_request("session-1", Kind::NoStream, one.clone()),
        "append to a new stream",
    )
    .await;
    assert_eq!(got, ack(0, 1, 1));
    let two = vec![event("three")];
    let got = appended(
        &mut log,
        append_request("session-2", Kind::NoStream, two.clone()),
        "append to a second new stream",
    )
    .await;
    assert_eq!(got, ack(0, 0, 3));

    // Mismatches: ABORTED with the actual version, and nothing stored.
    let refused = vec![event("refused")];
    let status = expect_code(
        log.append(append_request("session-2", Kind::NoStream, refused.clone()))
            .await,
        Code::Aborted,
        "NO_STREAM on an existing stream",
    );
    assert_eq!(
        detail(&status, "difacto-actual-version"),
        Some("0"),
        "{status:?}"
    );
    let status = expect_code(
        log.append(exact("session-1", 0, vec![event("stale")]))
            .await,
        Code::Aborted,
        "EXACT(0) on a stream at version 1",
    );
    assert_eq!(detail(&status, "difacto-actual-version"), Some("1"));
    let status = expect_code(
        log.append(append_request(
            "session-3",
            Kind::StreamExists,
            vec![event("none")],
        ))
        .await,
        Code::Aborted,
        "STREAM_EXISTS on a missing stream",
    );
    assert_eq!(detail(&status, "difacto-actual-version"), Some("none"));
    assert_eq!(head(&mut log).await.0, 3, "a refused append stored nothing");

    // The matching expectations succeed; the refused events' ids were never stored, so
    // they can be appended now as new events.
    let three = vec![event("four")];
    let got = appended(&mut log, exact("session-1", 1, three.clone()), "EXACT(1)").await;
    assert_eq!(got, ack(2, 2, 4));
    let got = appended(
        &mut log,
        append_request("session-2", Kind::StreamExists, refused.clone()),
        "STREAM_EXISTS, with the ids of the refused append",
    )
    .await;
    assert_eq!(got, ack(1, 1, 5));
    let four = vec![event(Vec::new()), event(vec![0u8, 255, 7])];
    let got = appended(
        &mut log,
        append_request("session-3", Kind::Any, four.clone()),
        "ANY on a new stream",
    )
    .await;
    assert_eq!(got, ack(0, 1, 6));

    // read_stream: forwards, a window, backwards, a missing stream.
    let session_1 = log
        .read_stream(stream_request("session-1", 0, 0, false))
        .await
        .expect("read_stream")
        .into_inner();
    assert_eq!(session_1.events.len(), 3);
    assert_recorded(&session_1.events[0], &one[0], "session-1", 0, 1);
    assert_recorded(&session_1.events[1], &one[1], "session-1", 1, 2);
    assert_recorded(&session_1.events[2], &three[0], "session-1", 2, 4);
    assert_eq!(session_1.head_position, 7);
    let window = log
        .read_stream(stream_request("session-1", 1, 1, false))
        .await
        .expect("read_stream window")
        .into_inner();
    assert_eq!(window.events.len(), 1);
    assert_recorded(&window.events[0], &one[1], "session-1", 1, 2);
    let backwards = log
        .read_stream(stream_request("session-1", 2, 0, true))
        .await
        .expect("read_stream backwards")
        .into_inner();
    let versions: Vec<u64> = backwards.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, [2, 1, 0]);
    let missing = log
        .read_stream(stream_request("session-404", 0, 0, false))
        .await
        .expect("read_stream of a missing stream")
        .into_inner();
    assert!(missing.events.is_empty());

    // read_all: everything in position order, then from the middle, then past the head.
    let all = log
        .read_all(all_request(0, 0))
        .await
        .expect("read_all")
        .into_inner();
    assert_eq!(all.head_position, 7);
    assert_eq!(all.events.len(), 7);
    let expected = [
        (&one[0], "session-1", 0),
        (&one[1], "session-1", 1),
        (&two[0], "session-2", 0),
        (&three[0], "session-1", 2),
        (&refused[0], "session-2", 1),
        (&four[0], "session-3", 0),
        (&four[1], "session-3", 1),
    ];
    for (i, ((sent, stream, version), recorded)) in expected.iter().zip(&all.events).enumerate() {
        assert_recorded(recorded, sent, stream, *version, i as u64 + 1);
    }
    let middle = log
        .read_all(all_request(3, 2))
        .await
        .expect("read_all from the middle")
        .into_inner();
    let positions: Vec<u64> = middle.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, [4, 5]);
    let past = log
        .read_all(all_request(7, 0))
        .await
        .expect("read_all past the head")
        .into_inner();
    assert!(past.events.is_empty());
    assert_eq!(past.head_position, 7);
}

/// base64url without padding, for hand-built tokens.
fn b64url(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let mut acc = 0u32;
        for (i, byte) in chunk.iter().enumerate() {
            acc |= u32::from(*byte) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(
                ALPHABET[((acc >> (18 - 6 * i)) & 0x3f) as usize],
            ));
        }
    }
    out
}

fn service_claims(exp: u64, iat: u64, iss: &str, aud: &str) -> Claims {
    Claims {
        sub: "e2e-test".into(),
        org: "X24".into(),
        roles: vec!["service".into()],
        iss: iss.into(),
        aud: aud.into(),
        exp,
        iat,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked_and_rejections_leave_the_log_untouched() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let url = server.url();
    let append = || append_request("auth-1", Kind::Any, vec![event("should not be stored")]);
    let read_all = || all_request(0, 0);

    // No token at all.
    let mut anonymous = EventLogServiceClient::new(channel(&url).await);
    expect_code(
        anonymous.append(append()).await,
        Code::Unauthenticated,
        "append without a token",
    );
    expect_code(
        anonymous.read_all(read_all()).await,
        Code::Unauthenticated,
        "read_all without a token",
    );
    expect_code(
        anonymous
            .subscribe(pb::SubscribeRequest { after_position: 0 })
            .await,
        Code::Unauthenticated,
        "subscribe without a token",
    );

    let now = now_secs();
    let claims = service_claims(now + 600, now, "difacto", "difacto");
    // A control: the hand-built signing below is right, so the rejections are about
    // what each token gets wrong and nothing else.
    let control = sign(&claims, secret().as_bytes());
    let mut log = client(&url, &control).await;
    assert_eq!(
        head(&mut log).await,
        (0, 0),
        "the hand-signed control token"
    );

    let header_none = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let header_hs256 = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = b64url(
        format!(
            r#"{{"sub":"e2e-test","org":"X24","roles":["service"],"iss":"difacto","aud":"difacto","exp":{},"iat":{now}}}"#,
            now + 600
        )
        .as_bytes(),
    );
    let signature = control.rsplit('.').next().expect("a signature");
    let tampered_body = b64url(
        format!(
            r#"{{"sub":"e2e-test","org":"X99","roles":["service"],"iss":"difacto","aud":"difacto","exp":{},"iat":{now}}}"#,
            now + 600
        )
        .as_bytes(),
    );
    let unauthenticated: Vec<(&str, String)> = vec![
        ("garbage", "garbage".to_owned()),
        ("three garbage parts", "abc.def.ghi".to_owned()),
        (
            "signed with another secret",
            sign(&claims, b"some-other-secret-entirely"),
        ),
        (
            "alg none, empty signature",
            format!("{header_none}.{body}."),
        ),
        (
            "HS256 header, empty signature",
            format!("{header_hs256}.{body}."),
        ),
        (
            "claims changed after signing",
            format!("{header_hs256}.{tampered_body}.{signature}"),
        ),
        (
            "expired an hour ago",
            sign(
                &service_claims(now - 3600, now - 7200, "difacto", "difacto"),
                secret().as_bytes(),
            ),
        ),
        (
            "wrong issuer",
            sign(
                &service_claims(now + 600, now, "someone-else", "difacto"),
                secret().as_bytes(),
            ),
        ),
        (
            "wrong audience",
            sign(
                &service_claims(now + 600, now, "difacto", "someone-else"),
                secret().as_bytes(),
            ),
        ),
    ];
    for (what, token) in &unauthenticated {
        let mut log = client(&url, token).await;
        let status = expect_code(log.append(append()).await, Code::Unauthenticated, what);
        assert!(
            !status.message().contains(token.as_str()),
            "{what}: the rejection echoes the token: {}",
            status.message()
        );
        expect_code(log.read_all(read_all()).await, Code::Unauthenticated, what);
    }

    // Authenticated, but without role `service`.
    for roles in [
        &[Role::PracticeManager][..],
        &[][..],
        &[Role::Auditor, Role::NationalLead][..],
    ] {
        let what = format!("roles {roles:?}");
        let mut log = client(&url, &token_with(roles)).await;
        let status = expect_code(log.append(append()).await, Code::PermissionDenied, &what);
        assert!(status.message().contains("service"), "{}", status.message());
        expect_code(
            log.read_all(read_all()).await,
            Code::PermissionDenied,
            &what,
        );
        expect_code(
            log.subscribe(pb::SubscribeRequest { after_position: 0 })
                .await,
            Code::PermissionDenied,
            &what,
        );
    }

    // None of that stored anything; a service token can still write.
    let mut log = client(&url, &service_token()).await;
    assert_eq!(
        head(&mut log).await,
        (0, 0),
        "rejected calls stored nothing"
    );
    let got = appended(&mut log, append(), "a service token appends").await;
    assert_eq!(got, ack(0, 0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_invalid_argument_naming_the_field_and_stores_nothing() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;

    let with = |change: fn(&mut pb::EventData)| {
        let mut e = event("x");
        change(&mut e);
        e
    };
    let one = |stream: &str, e: pb::EventData| append_request(stream, Kind::Any, vec![e]);
    let duplicate = event("twice");
    let mut bad_kind = one("ok-stream", event("x"));
    bad_kind.expected = Some(pb::ExpectedVersion {
        kind: 9,
        version: 0,
    });
    let cases: Vec<(&str, pb::AppendRequest, &str)> = vec![
        ("empty stream", one("", event("x")), "stream"),
        (
            "stream with a space",
            one("has space", event("x")),
            "stream",
        ),
        ("stream with a slash", one("a/b", event("x")), "stream"),
        (
            "201-byte stream",
            one(&"s".repeat(201), event("x")),
            "stream",
        ),
        (
            "missing event id",
            one("ok-stream", with(|e| e.event_id.clear())),
            "events[0].event_id",
        ),
        (
            "event id not a UUID",
            one("ok-stream", with(|e| e.event_id = "not-a-uuid".into())),
            "events[0].event_id",
        ),
        (
            "nil event id",
            one(
                "ok-stream",
                with(|e| e.event_id = uuid::Uuid::nil().to_string()),
            ),
            "events[0].event_id",
        ),
        (
            "empty event type",
            one("ok-stream", with(|e| e.event_type.clear())),
            "events[0].event_type",
        ),
        (
            "payload of 1 MiB + 1 bytes",
            one(
                "ok-stream",
                with(|e| e.payload = vec![7; 1024 * 1024 + 1].into()),
            ),
            "events[0].payload",
        ),
        (
            "no events",
            append_request("ok-stream", Kind::Any, Vec::new()),
            "events",
        ),
        (
            "1001 events",
            append_request(
                "ok-stream",
                Kind::Any,
                (0..1001).map(|i| event(format!("{i}"))).collect(),
            ),
            "events",
        ),
        (
            "9 MiB of payload in one append",
            append_request(
                "ok-stream",
                Kind::Any,
                (0..9).map(|_| event(vec![1; 1024 * 1024])).collect(),
            ),
            "events",
        ),
        (
            "second event bad: the first must not be stored either",
            append_request(
                "ok-stream",
                Kind::Any,
                vec![event("fine"), with(|e| e.event_type.clear())],
            ),
            "events[1].event_type",
        ),
        (
            "one id twice in one append",
            append_request(
                "ok-stream",
                Kind::Any,
                vec![duplicate.clone(), duplicate.clone()],
            ),
            "events[1].event_id",
        ),
        ("unknown expected version kind 9", bad_kind, "expected.kind"),
    ];
    for (what, request, field) in cases {
        let status = expect_code(log.append(request).await, Code::InvalidArgument, what);
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{what}: the message should name {field}: {:?}",
            status.message()
        );
        if what == "event id not a UUID" {
            assert!(status.message().contains("\"not-a-uuid\" is not a UUID"));
        }
        if what == "empty stream" {
            assert_eq!(status.message(), "stream: must not be empty");
        }
    }

    // Messages that are not an AppendRequest at all: decoding fails on the server.
    #[derive(Clone, PartialEq, prost::Message)]
    struct WrongShape {
        /// Field 1 of AppendRequest is a string, not a varint.
        #[prost(uint64, tag = "1")]
        stream: u64,
        /// Field 3 holds EventData messages; these bytes are not one.
        #[prost(bytes = "vec", tag = "3")]
        events: Vec<u8>,
    }
    for (what, message) in [
        (
            "a varint where a string belongs",
            WrongShape {
                stream: 42,
                events: Vec::new(),
            },
        ),
        (
            "garbage where an EventData belongs",
            WrongShape {
                stream: 0,
                events: vec![0xff; 16],
            },
        ),
    ] {
        let mut grpc = tonic::client::Grpc::new(channel(&server.url()).await);
        grpc.ready().await.expect("channel ready");
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", service_token())
                .parse()
                .expect("header value"),
        );
        let result = grpc
            .unary::<WrongShape, pb::AppendResponse, _>(
                request,
                tonic::codegen::http::uri::PathAndQuery::from_static(
                    "/difacto.v1.EventLogService/Append",
                ),
                tonic_prost::ProstCodec::default(),
            )
            .await;
        let status = result.expect_err(what);
        assert!(
            matches!(status.code(), Code::Internal | Code::InvalidArgument),
            "{what}: {status:?}"
        );
    }

    // Nothing was stored, and the server still serves.
    assert_eq!(head(&mut log).await, (0, 0), "bad input stored nothing");
    support::assert_serving(channel(&server.url()).await, "difacto.v1.EventLogService").await;

    // The limits are exactly the documented ones: their boundaries are accepted.
    let got = appended(
        &mut log,
        one(&"s".repeat(200), event("x")),
        "a 200-byte stream name",
    )
    .await;
    assert_eq!(got, ack(0, 0, 1));
    let got = appended(
        &mut log,
        one(
            "ok-stream",
            with(|e| e.payload = vec![7; 1024 * 1024].into()),
        ),
        "a 1 MiB payload",
    )
    .await;
    assert_eq!(got, ack(0, 0, 2));
    let got = appended(
        &mut log,
        append_request(
            "ok-stream",
            Kind::Any,
            (0..1000).map(|i| event(format!("{i}"))).collect(),
        ),
        "1000 events in one append",
    )
    .await;
    assert_eq!(got, ack(1, 1000, 3));
    let got = appended(
        &mut log,
        one("ok-stream", duplicate),
        "the id refused as a duplicate was never stored",
    )
    .await;
    assert_eq!(got, ack(1001, 1001, 1003));
    let capped = log
        .read_all(all_request(0, 5000))
        .await
        .expect("read_all asking for more than a page")
        .into_inner();
    assert_eq!(capped.events.len(), 1000, "pages are bounded");
    let everything = read_everything(&mut log).await;
    assert_eq!(everything.len(), 1003);
    assert!(
        everything
            .iter()
            .enumerate()
            .all(|(i, e)| e.position == i as u64 + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_append_returns_the_original_result_however_late() {
    let dir = tempdir();
    let mut server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;

    let original = append_request("booking-1", Kind::NoStream, vec![event("a"), event("b")]);
    let first = appended(&mut log, original.clone(), "first send").await;
    assert_eq!(first, ack(0, 1, 1));
    // Immediately again: the same answer, although NO_STREAM no longer holds.
    let again = appended(&mut log, original.clone(), "resend").await;
    assert_eq!(again, first);

    // Other appends in between, then again.
    for i in 0..5 {
        appended(
            &mut log,
            append_request("booking-2", Kind::Any, vec![event(format!("{i}"))]),
            "another append",
        )
        .await;
    }
    let later = appended(&mut log, original.clone(), "late resend").await;
    assert_eq!(later, first);

    // Re-using an id for other content is an error, and stores nothing.
    let stored = &original.events[0];
    let conflicts = [
        (
            "same id, different payload",
            append_request(
                "booking-1",
                Kind::Any,
                vec![pb::EventData {
                    payload: bytes::Bytes::from_static(b"different"),
                    ..stored.clone()
                }],
            ),
        ),
        (
            "same id, different type",
            append_request(
                "booking-1",
                Kind::Any,
                vec![pb::EventData {
                    event_type: "difacto.v1.Other".into(),
                    ..stored.clone()
                }],
            ),
        ),
        (
            "same event, other stream",
            append_request("booking-3", Kind::Any, vec![stored.clone()]),
        ),
        (
            "a new event then a stored one",
            append_request("booking-1", Kind::Any, vec![event("new"), stored.clone()]),
        ),
    ];
    for (what, request) in conflicts {
        expect_code(log.append(request).await, Code::AlreadyExists, what);
    }
    assert_eq!(head(&mut log).await.0, 7);

    // After a restart, the original result still comes back.
    assert!(server.sigterm_and_wait().success());
    let server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;
    let after_restart = appended(&mut log, original.clone(), "resend after a restart").await;
    assert_eq!(after_restart, first);
    let everything = read_everything(&mut log).await;
    assert_eq!(everything.len(), 7);
    let ids: HashSet<&str> = everything.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), 7, "no event stored twice");
}

async fn next_event(
    subscription: &mut tonic::Streaming<pb::RecordedEvent>,
    what: &str,
) -> pb::RecordedEvent {
    tokio::time::timeout(RECV_TIMEOUT, subscription.next())
        .await
        .unwrap_or_else(|_| panic!("{what}: no event within {RECV_TIMEOUT:?}"))
        .unwrap_or_else(|| panic!("{what}: the subscription ended"))
        .unwrap_or_else(|status| panic!("{what}: the subscription failed: {status:?}"))
}

/// A subscription from after `after_position`; panics naming `what`.
async fn subscribe(
    log: &mut LogClient,
    after_position: u64,
    what: &str,
) -> tonic::Streaming<pb::RecordedEvent> {
    log.subscribe(pb::SubscribeRequest { after_position })
        .await
        .unwrap_or_else(|status| panic!("{what}: {status:?}"))
        .into_inner()
}

/// The positions of the next `count` events of `subscription`.
async fn next_positions(
    subscription: &mut tonic::Streaming<pb::RecordedEvent>,
    count: usize,
    what: &str,
) -> Vec<u64> {
    let mut positions = Vec::with_capacity(count);
    for _ in 0..count {
        positions.push(next_event(subscription, what).await.position);
    }
    positions
}

async fn assert_quiet(subscription: &mut tonic::Streaming<pb::RecordedEvent>, what: &str) {
    if let Ok(extra) = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await {
        panic!("{what}: expected nothing more, got {extra:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_catches_up_then_goes_live_in_order() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;

    let mut sent: Vec<pb::EventData> = Vec::new();
    let existing: Vec<pb::EventData> = (0..3).map(|i| event(format!("old-{i}"))).collect();
    appended(
        &mut log,
        append_request("sub-a", Kind::NoStream, existing.clone()),
        "append before subscribing",
    )
    .await;
    sent.extend(existing);

    let mut from_start = subscribe(&mut log, 0, "subscribe from 0").await;
    for (i, want) in sent.iter().enumerate() {
        let got = next_event(&mut from_start, "catch-up").await;
        assert_recorded(&got, want, "sub-a", i as u64, i as u64 + 1);
    }
    assert_quiet(&mut from_start, "after catch-up").await;

    // Live: events appended after subscribing arrive in position order.
    let live_b: Vec<pb::EventData> = (0..2).map(|i| event(format!("live-b-{i}"))).collect();
    appended(
        &mut log,
        append_request("sub-b", Kind::NoStream, live_b.clone()),
        "live append 1",
    )
    .await;
    let live_a = vec![event("live-a")];
    appended(
        &mut log,
        append_request("sub-a", Kind::Any, live_a.clone()),
        "live append 2",
    )
    .await;
    for (sent, stream, version, position) in [
        (&live_b[0], "sub-b", 0, 4),
        (&live_b[1], "sub-b", 1, 5),
        (&live_a[0], "sub-a", 3, 6),
    ] {
        let got = next_event(&mut from_start, "live").await;
        assert_recorded(&got, sent, stream, version, position);
    }
    assert_quiet(&mut from_start, "after live events").await;

    // A second subscriber from the middle, while appends race with its catch-up.
    let mut from_middle = subscribe(&mut log, 4, "subscribe from 4").await;
    let mut writer = client(&server.url(), &service_token()).await;
    let burst = tokio::spawn(async move {
        for i in 0..50 {
            writer
                .append(append_request(
                    "sub-c",
                    Kind::Any,
                    vec![event(format!("burst-{i}"))],
                ))
                .await
                .expect("burst append");
        }
    });
    assert_eq!(
        next_positions(&mut from_middle, 52, "from the middle").await,
        (5..=56).collect::<Vec<u64>>()
    );
    burst.await.expect("burst task");
    assert_eq!(
        next_positions(&mut from_start, 50, "burst, first subscriber").await,
        (7..=56).collect::<Vec<u64>>()
    );
    assert_quiet(&mut from_start, "after the burst").await;
    assert_quiet(&mut from_middle, "after the burst").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reflection_need_no_token() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    support::assert_serving(channel(&server.url()).await, "difacto.v1.EventLogService").await;
    let mut health = HealthClient::new(channel(&server.url()).await);
    expect_code(
        health
            .check(HealthCheckRequest {
                service: "difacto.v1.NoSuchService".into(),
            })
            .await,
        Code::NotFound,
        "health of an unknown service",
    );

    let names = listed_services(channel(&server.url()).await, Reflection::V1)
        .await
        .expect("reflection without a token lists the services");
    for name in ["difacto.v1.EventLogService", "grpc.health.v1.Health"] {
        assert!(names.contains(name), "{name} is not listed: {names:?}");
    }

    let mut reflection = ServerReflectionClient::new(channel(&server.url()).await);
    // The file describing the log's API is served too, so tools like grpcurl work.
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "difacto.v1.EventLogService".into(),
        )),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("reflection response")
        .expect("one response");
    assert!(
        matches!(
            response.message_response,
            Some(MessageResponse::FileDescriptorResponse(ref files)) if !files.file_descriptor_proto.is_empty()
        ),
        "{response:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_flushes_and_exits_zero() {
    let dir = tempdir();
    let mut server = Server::start(dir.path(), &[]);
    let url = server.url();
    let mut log = client(&url, &service_token()).await;
    let mut subscription = subscribe(&mut log, 0, "subscribe").await;

    // Acknowledged appends, seen by the subscriber.
    let mut acked: HashMap<String, pb::AppendResponse> = HashMap::new();
    for i in 0..20 {
        let e = event(format!("before-{i}"));
        let got = appended(
            &mut log,
            append_request(&format!("term-{}", i % 4), Kind::Any, vec![e.clone()]),
            "append before SIGTERM",
        )
        .await;
        acked.insert(e.event_id, got);
    }
    for position in 1..=20 {
        let got = next_event(&mut subscription, "before SIGTERM").await;
        assert_eq!(got.position, position);
    }

    // Writers keep going while the signal arrives; whatever they were told was stored
    // must be there after the restart.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3 {
        let url = url.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut log = client(&url, &service_token()).await;
            let mut acked = Vec::new();
            let mut failures = 0;
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && failures < 3 {
                let e = event(format!("during-{w}-{i}"));
                i += 1;
                match log
                    .append(append_request(
                        &format!("during-{w}"),
                        Kind::Any,
                        vec![e.clone()],
                    ))
                    .await
                {
                    Ok(response) => acked.push((e.event_id, response.into_inner())),
                    Err(_) => failures += 1,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let signalled = Instant::now();
    let status = tokio::task::block_in_place(|| server.sigterm_and_wait());
    let took = signalled.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        status.success() && status.code() == Some(0),
        "SIGTERM exit: {status:?}; stderr:\n{}",
        server.stderr_text()
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    for writer in writers {
        for (id, response) in writer.await.expect("writer task") {
            acked.insert(id, response);
        }
    }
    // The subscriber's stream ended with the server instead of holding it open.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match subscription.message().await {
                Ok(Some(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("the subscription ends once the server is gone");
    eprintln!("subscription ended with {ended:?}; SIGTERM to exit took {took:?}");
    assert!(
        matches!(ended, Ok(None)),
        "the subscription should end cleanly, not with {ended:?}"
    );
    std::thread::sleep(Duration::from_millis(100));
    let stderr = server.stderr_text();
    assert!(stderr.contains("log closed cleanly"), "stderr:\n{stderr}");

    // Every acknowledged event survived, exactly where it was acknowledged.
    let mut server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;
    let everything = read_everything(&mut log).await;
    eprintln!(
        "{} events acknowledged, {} stored",
        acked.len(),
        everything.len()
    );
    let by_id = support::by_event_id(&everything);
    for (id, response) in &acked {
        let stored = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged event {id} is missing after SIGTERM"));
        assert_eq!(stored.position, response.first_position);
        assert_eq!(stored.version, response.first_version);
    }
    assert!(server.sigterm_and_wait().success());
    let ok = assert_verify_ok(&server.data_dir);
    assert!(
        ok.contains(&format!("{} records", everything.len())),
        "{ok}"
    );
}

fn run_token(data_dir: &std::path::Path, secret_env: Option<&str>, role: &str) -> Output {
    let mut command = support::command();
    command
        .args(["token", "--org", "X24", "--role", role, "--data-dir"])
        .arg(data_dir);
    match secret_env {
        Some(value) => command.env("DIFACTO_JWT_SECRET", value),
        None => command.env_remove("DIFACTO_JWT_SECRET"),
    };
    command.output().expect("run difacto token")
}

fn stdout_token(output: &Output) -> String {
    assert!(
        output.status.success(),
        "difacto token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JWT on one line: {stdout:?}");
    assert_eq!(lines[0].split('.').count(), 3, "a JWT: {stdout:?}");
    lines[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn difacto_token_mints_tokens_the_server_accepts() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);

    let token = stdout_token(&run_token(dir.path(), Some(secret()), "service"));
    let mut log = client(&server.url(), &token).await;
    let got = appended(
        &mut log,
        append_request("token-1", Kind::Any, vec![event("x")]),
        "append with a token from difacto token",
    )
    .await;
    assert_eq!(got, ack(0, 0, 1));

    let manager = stdout_token(&run_token(dir.path(), Some(secret()), "practice_manager"));
    let mut log = client(&server.url(), &manager).await;
    expect_code(
        log.append(append_request("token-1", Kind::Any, vec![event("x")]))
            .await,
        Code::PermissionDenied,
        "a practice_manager token from difacto token",
    );

    let unknown_role = run_token(dir.path(), Some(secret()), "king");
    assert!(!unknown_role.status.success(), "--role king was accepted");

    // Without DIFACTO_JWT_SECRET: the server keeps a secret in its data directory and
    // `difacto token` with the same --data-dir signs with it.
    let own = tempdir();
    let server = Server::start(own.path(), &[("DIFACTO_JWT_SECRET", "")]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(own.path().join("jwt-secret"))
            .expect("the server keeps its secret in the data directory")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the secret file is private: {mode:o}");
    }
    let token = stdout_token(&run_token(own.path(), None, "service"));
    let mut log = client(&server.url(), &token).await;
    assert_eq!(head(&mut log).await, (0, 0));
    let mut wrong = client(&server.url(), &service_token()).await;
    expect_code(
        wrong.read_all(all_request(0, 0)).await,
        Code::Unauthenticated,
        "a token signed with the test secret on a server using its own secret",
    );
}

/// Runs `command` to completion, or kills it after `limit` and panics.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn difacto");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect output");
            panic!(
                "difacto did not exit within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

/// The command failed, and its stderr has exactly one `error:` line, which mentions
/// `needle`. Returns that line.
fn assert_one_error_line(output: &Output, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "expected a failure; stderr:\n{stderr}"
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    assert!(errors[0].contains(needle), "{needle} in {:?}", errors[0]);
    errors[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_errors_are_one_line_and_non_zero() {
    let limit = Duration::from_secs(20);
    let dir = tempdir();

    // An address that does not parse, as a flag and from the environment.
    let mut command = support::command();
    command
        .args(["serve", "log", "--grpc-addr", "not-an-addr", "--data-dir"])
        .arg(dir.path());
    let output = output_within(command, limit);
    assert_one_error_line(&output, "--grpc-addr");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let other: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("error:"))
        .collect();
    assert!(
        other.iter().all(|l| l.contains("--help")),
        "nothing but the error and clap's --help hint: {stderr}"
    );
    let mut command = support::command();
    command
        .args(["serve", "log", "--data-dir"])
        .arg(dir.path())
        .env("DIFACTO_GRPC_ADDR", "not-an-addr");
    assert_one_error_line(&output_within(command, limit), "grpc-addr");

    // A port already taken, and a data directory already in use.
    let server = Server::start(dir.path(), &[]);
    let other_dir = tempdir();
    let mut command = support::command();
    command
        .args([
            "serve",
            "log",
            "--grpc-addr",
            &server.grpc_addr,
            "--data-dir",
        ])
        .arg(other_dir.path());
    assert_one_error_line(&output_within(command, limit), "--grpc-addr");
    let mut command = support::command();
    command
        .args(["serve", "log", "--grpc-addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    assert_one_error_line(&output_within(command, limit), "--data-dir");
    drop(server);

    // verify on a directory that holds no log, and on one that does not exist.
    let empty = tempdir();
    let output = run_verify(empty.path());
    let line = assert_one_error_line(&output, "--data-dir");
    assert!(line.contains(&empty.path().display().to_string()), "{line}");
    assert!(output.stdout.is_empty());
    let output = run_verify(&empty.path().join("missing"));
    assert_one_error_line(&output, "--data-dir");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_race_on_the_expected_version() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;
    appended(
        &mut log,
        append_request("race-1", Kind::NoStream, vec![event("start")]),
        "create the stream",
    )
    .await;

    // Eight writers who all read version 0 append at once: exactly one wins each
    // version; the losers learn the actual version and try again after it.
    let writers = 8;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(writers));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let url = server.url();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut log = client(&url, &service_token()).await;
            let mine = event(format!("writer-{w}"));
            let mut expected = 0;
            let mut lost = 0;
            barrier.wait().await;
            loop {
                match log
                    .append(exact("race-1", expected, vec![mine.clone()]))
                    .await
                {
                    Ok(response) => {
                        let response = response.into_inner();
                        assert_eq!(response.first_version, expected + 1);
                        return (mine.event_id, response, lost);
                    }
                    Err(status) => {
                        assert_eq!(status.code(), Code::Aborted, "{status:?}");
                        let actual: u64 = status
                            .metadata()
                            .get("difacto-actual-version")
                            .expect("the actual version")
                            .to_str()
                            .expect("ascii")
                            .parse()
                            .expect("a number");
                        assert!(actual > expected, "{actual} after expecting {expected}");
                        expected = actual;
                        lost += 1;
                    }
                }
            }
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("writer task"));
    }
    let first_try_wins = results.iter().filter(|(_, _, lost)| *lost == 0).count();
    assert_eq!(first_try_wins, 1, "exactly one writer wins version 1");
    let mut versions: Vec<u64> = results.iter().map(|(_, r, _)| r.first_version).collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=8).collect::<Vec<u64>>());

    let stream = log
        .read_stream(stream_request("race-1", 0, 0, false))
        .await
        .expect("read the stream")
        .into_inner();
    assert_eq!(stream.events.len(), 9, "losers stored nothing");
    for (id, response, _) in &results {
        let stored = &stream.events[response.first_version as usize];
        assert_eq!(&stored.event_id, id);
        assert_eq!(stored.position, response.first_position);
    }
}

/// Record `position` of the sled log under `data_dir`, as the backend lays it out (tree
/// `difacto-log`, key `R` + position as big-endian u64): the test damages it the way a
/// failing disk would.
fn flip_last_byte_of_record(data_dir: &std::path::Path, position: u64) {
    let db = sled::open(data_dir.join("log")).expect("open the log's sled files");
    let tree = db.open_tree("difacto-log").expect("the log's tree");
    let mut key = vec![b'R'];
    key.extend_from_slice(&position.to_be_bytes());
    let mut value = tree
        .get(&key)
        .expect("read the record")
        .expect("the record exists")
        .to_vec();
    let last = value.len() - 1;
    value[last] ^= 1;
    tree.insert(key, value).expect("write the damaged record");
    db.flush().expect("flush the damage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_record_is_named_and_never_served_as_data() {
    let dir = tempdir();
    let mut server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;
    for i in 0..5 {
        appended(
            &mut log,
            append_request(
                &format!("damage-{}", i % 2),
                Kind::Any,
                vec![event(format!("event {i}"))],
            ),
            "append",
        )
        .await;
    }
    assert!(server.sigterm_and_wait().success());
    assert_verify_ok(dir.path());

    flip_last_byte_of_record(dir.path(), 3);
    let output = run_verify(dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "verify passed a damaged log: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        stderr.contains("position 3"),
        "verify names the position: {stderr}"
    );

    // Served again, the damaged record comes back as DATA_LOSS naming position 3.
    let server = Server::start(dir.path(), &[]);
    let mut log = client(&server.url(), &service_token()).await;
    let status = expect_code(
        log.read_all(all_request(0, 0)).await,
        Code::DataLoss,
        "read_all across the damaged record",
    );
    assert_eq!(detail(&status, "difacto-position"), Some("3"), "{status:?}");
    expect_code(
        log.read_stream(stream_request("damage-0", 0, 0, false))
            .await,
        Code::DataLoss,
        "read_stream across the damaged record",
    );
    let after = log
        .read_all(all_request(3, 0))
        .await
        .expect("the records after the damage are intact")
        .into_inner();
    let positions: Vec<u64> = after.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, [4, 5]);
    let mut subscription = subscribe(&mut log, 0, "subscribe").await;
    loop {
        match tokio::time::timeout(RECV_TIMEOUT, subscription.message())
            .await
            .expect("the subscription answers")
        {
            Ok(Some(e)) => assert!(e.position < 3, "served {} past the damage", e.position),
            Ok(None) => panic!("the subscription ended without reporting the damage"),
            Err(status) => {
                assert_eq!(status.code(), Code::DataLoss, "{status:?}");
                break;
            }
        }
    }
}
