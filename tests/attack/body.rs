//! Family 5, request size and echoed input (DESIGN §8, issue 8 item 5): a body over
//! 256 KiB is refused with 413 before it is read whole (a 100 MB body is streamed, so
//! neither side holds it), the server's memory does not grow with it, and no error
//! message echoes more than 100 characters of its input.

use std::time::{Duration, Instant};

use auth::Role;
use proto::v1 as pb;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::fixture::{Fixture, LEEDS, booking, session_request};
use super::tools::{Tally, Target, clip, graphql, longest_run, mint, ws_execute};

const HUNDRED_MB: usize = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// What came of streaming a huge body.
#[derive(Debug)]
struct Upload {
    /// The response's status line, if one came.
    status: Option<String>,
    /// Bytes of body written when the response came (or when writing stopped).
    sent: usize,
    took: Duration,
}

/// POSTs a body of `HUNDRED_MB` to `/graphql` in 64 KiB writes, chunked or with a
/// `Content-Length`, while reading the answer; stops writing as soon as it comes.
async fn upload(addr: &str, token: &str, chunked: bool) -> Result<Upload, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|err| format!("connect: {err}"))?;
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    let (answered_tx, answered_rx) = watch::channel(false);
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut got = Vec::new();
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(2).any(|w| w == b"\r\n") {
                        let _ = answered_tx.send(true);
                        break;
                    }
                }
            }
        }
        let line = String::from_utf8_lossy(&got);
        line.split("\r\n")
            .next()
            .filter(|l| l.starts_with("HTTP/"))
            .map(str::to_owned)
    });

    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {HUNDRED_MB}")
    };
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\n{framing}\r\n\r\n"
    );
    let opening = br#"{"query":"query($v: String) { __typename }","variables":{"v":""#;
    let mut sent = 0;
    let mut write_error = None;
    if let Err(err) = write.write_all(head.as_bytes()).await {
        write_error = Some(err.to_string());
    }
    let mut piece = vec![b'a'; CHUNK];
    piece[..opening.len()].copy_from_slice(opening);
    while write_error.is_none() && sent < HUNDRED_MB && !*answered_rx.borrow() {
        let n = CHUNK.min(HUNDRED_MB - sent);
        let result = if chunked {
            let mut frame = format!("{n:x}\r\n").into_bytes();
            frame.extend_from_slice(&piece[..n]);
            frame.extend_from_slice(b"\r\n");
            write.write_all(&frame).await
        } else {
            write.write_all(&piece[..n]).await
        };
        match result {
            Ok(()) => sent += n,
            Err(err) => write_error = Some(err.to_string()),
        }
        if sent == CHUNK {
            piece[..opening.len()].fill(b'a');
        }
    }
    if write_error.is_none() && chunked && sent == HUNDRED_MB {
        let _ = write.write_all(b"0\r\n\r\n").await;
    }
    let status = tokio::time::timeout(Duration::from_secs(20), reader)
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    Ok(Upload {
        status,
        sent,
        took: started.elapsed(),
    })
}

pub async fn run(t: &Target, _f: &Fixture) -> Tally {
    let mut tally = Tally::new("5 body size and echo", "body");
    let limit = Duration::from_secs(20);
    let national = mint(&tally.subject(), "X24", &[Role::NationalLead]);

    // 100 MB, streamed: 413 before the body is all sent, and no growth of the process.
    let peak_before = t.peak_rss_kib();
    for chunked in [true, false] {
        let how = if chunked {
            "chunked"
        } else {
            "with Content-Length"
        };
        let leak = match upload(&t.http_addr, &national, chunked).await {
            Err(err) => Some(err),
            Ok(up) => {
                tally.note(format!(
                    "100 MB {how}: {:?} after {} KiB sent, {:?}",
                    up.status,
                    up.sent / 1024,
                    up.took
                ));
                match &up.status {
                    Some(line) if line.contains(" 413") && up.sent < HUNDRED_MB => None,
                    Some(line) if line.contains(" 413") => {
                        Some("413 only after the whole body was sent".to_owned())
                    }
                    other => Some(format!("answered {other:?} after {} bytes", up.sent)),
                }
            }
        };
        tally.attempt(format!("a 100 MB GraphQL body {how}"), None, leak);
    }
    let peak_after = t.peak_rss_kib();
    if let (Some(before), Some(after)) = (peak_before, peak_after) {
        let grew = after.saturating_sub(before) / 1024;
        tally.note(format!(
            "peak RSS {} MiB before the uploads, {} MiB after",
            before / 1024,
            after / 1024
        ));
        tally.attempt(
            "the process's peak memory during the uploads",
            None,
            (grew > 64).then(|| format!("grew by {grew} MiB")),
        );
    }

    // Just over and just under the limit, sent whole.
    let over = json!({ "query": "query($v: String) { __typename }", "variables": { "v": "a".repeat(300 * 1024) } });
    let answer = super::tools::http_exchange(
        &t.http_addr,
        "POST",
        "/graphql",
        Some(&national),
        Some(over.to_string().into_bytes()),
        limit,
    )
    .await;
    tally.attempt(
        "a 300 KiB GraphQL body",
        None,
        match &answer {
            Ok(r) if r.status == 413 => None,
            Ok(r) => Some(format!("HTTP {}: {}", r.status, clip(&r.body, 100))),
            Err(err) => Some(err.clone()),
        },
    );
    let under = json!({ "v": "a".repeat(200 * 1024) });
    let answer = graphql(
        &t.http_addr,
        Some(&national),
        "query($v: String!) { __type(name: $v) { name } }",
        under,
        limit,
    )
    .await;
    tally.control(
        "a 200 KiB GraphQL body is answered",
        match &answer {
            Ok(a) if a["errors"].is_null() && a["data"].is_object() => None,
            other => Some(clip(&format!("{other:?}"), 200)),
        },
    );

    // No error echoes more than 100 characters of its input.
    let long = "Z".repeat(5000);
    let probes = [
        (
            "a long wrong-typed variable",
            "query($v: Int) { organisations(kind: PRACTICE, first: $v) { totalCount } }".to_owned(),
            json!({ "v": long }),
        ),
        (
            "a long unknown organisation code",
            format!(r#"{{ organisation(code: "{long}") {{ code }} }}"#),
            json!({}),
        ),
        (
            "a long unknown enum value",
            format!("{{ organisations(kind: {long}) {{ totalCount }} }}"),
            json!({}),
        ),
        ("a long unknown field", format!("{{ {long} }}"), json!({})),
        (
            "a long session stream",
            format!(r#"{{ history(stream: "session-{long}") {{ totalCount }} }}"#),
            json!({}),
        ),
        (
            "a long asOf",
            format!(r#"{{ organisation(code: "X24", asOf: "{long}") {{ code }} }}"#),
            json!({}),
        ),
    ];
    for (what, query, variables) in probes {
        let answer = graphql(&t.http_addr, Some(&national), &query, variables, limit).await;
        let text = match &answer {
            Ok(a) => a.to_string(),
            Err(err) => err.clone(),
        };
        let run = longest_run(&text, 'Z');
        tally.attempt(
            format!("GraphQL over HTTP with {what}"),
            None,
            (run > 100).then(|| format!("echoed {run} characters: {}", clip(&text, 200))),
        );
    }
    let answer = ws_execute(
        &t.http_addr,
        &national,
        &format!(r#"subscription {{ events(filter: {{ streamPrefix: {long} }}) {{ position }} }}"#),
        json!({}),
    )
    .await;
    let text = match &answer {
        Ok(a) => a.to_string(),
        Err(err) => err.clone(),
    };
    let run = longest_run(&text, 'Z');
    tally.attempt(
        "a websocket subscription with a long bad argument",
        None,
        (run > 100).then(|| format!("echoed {run} characters: {}", clip(&text, 200))),
    );

    // And over gRPC.
    let sub = tally.subject();
    let r = t
        .icb(&sub, "X24", &[Role::NationalLead])
        .register_organisation(pb::RegisterOrganisationRequest {
            code: long.clone(),
            kind: pb::OrganisationKind::Practice.into(),
            name: "Long".into(),
            parent_code: "U00001".into(),
            ..Default::default()
        })
        .await;
    echo_attempt(&mut tally, "RegisterOrganisation.code", &sub, &r);
    let r = t
        .partner(&sub, "A81001", &[Role::PracticeManager])
        .book_seat(booking(&long, "A81001"))
        .await;
    echo_attempt(&mut tally, "BookSeat.session_id", &sub, &r);
    let r = t
        .partner(&sub, LEEDS, &[Role::PartnerCoordinator])
        .schedule_session(pb::ScheduleSessionRequest {
            languages: vec![long.clone()],
            ..session_request(5, "Long language")
        })
        .await;
    echo_attempt(&mut tally, "ScheduleSession.languages", &sub, &r);
    let r = t
        .partner(&sub, LEEDS, &[Role::PartnerCoordinator])
        .schedule_session(pb::ScheduleSessionRequest {
            starts_at: long.clone(),
            ..session_request(5, "Long start")
        })
        .await;
    echo_attempt(&mut tally, "ScheduleSession.starts_at", &sub, &r);

    t.check_log(&mut tally).await;
    tally.finish()
}

fn echo_attempt<T: std::fmt::Debug>(
    tally: &mut Tally,
    field: &str,
    sub: &str,
    result: &Result<tonic::Response<T>, tonic::Status>,
) {
    let leak = match result {
        Ok(r) => Some(format!(
            "accepted: {}",
            clip(&format!("{:?}", r.get_ref()), 200)
        )),
        Err(status) => {
            let run = longest_run(status.message(), 'Z');
            (run > 100).then(|| format!("echoed {run} characters: {}", clip(status.message(), 200)))
        }
    };
    tally.attempt(format!("gRPC {field} of 5,000 characters"), Some(sub), leak);
}
