//! Tools of the attack suite (`tests/attack.rs`): a tally of attempts and leaks per
//! attack family, tokens for any subject, gRPC clients that carry them, and GraphQL and
//! websocket exchanges that return what happened instead of panicking (the HTTP exchange,
//! the websocket handshake, tokens and channels come from `tests/support/`). An attack may
//! break a connection or time out; that is an outcome to count, not a test error.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use auth::Role;
use futures::{SinkExt, StreamExt};
use proto::v1 as pb;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::support;
pub use crate::support::gateway::{Socket, http_exchange, ws_open};
pub use crate::support::{Authed, Bearer, LogClient, grpc_channel};

// ---- The tally ----

/// One attack tried: what it was, the subject it ran as (whose events in the log would
/// betray it), and whether it got through.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub what: String,
    pub subject: Option<String>,
    pub leaked: Option<String>,
}

/// What one attack family did: its attempts (each may leak) and its controls (legitimate
/// calls that must still work, so that refusing everything cannot pass as safety).
#[derive(Debug)]
pub struct Tally {
    pub family: String,
    pub attempts: Vec<Attempt>,
    /// (what, failure); `None` when the control held.
    pub controls: Vec<(String, Option<String>)>,
    /// Measurements worth reporting (latencies, bytes), in order.
    pub notes: Vec<String>,
    pub took: Duration,
    slug: String,
    started: Instant,
}

impl Tally {
    pub fn new(family: &str, slug: &str) -> Tally {
        Tally {
            family: family.to_owned(),
            attempts: Vec::new(),
            controls: Vec::new(),
            notes: Vec::new(),
            took: Duration::ZERO,
            slug: slug.to_owned(),
            started: Instant::now(),
        }
    }

    /// A subject no one else uses: the log can then tell whether this attempt wrote.
    pub fn subject(&self) -> String {
        format!(
            "attack-{}-{}-{}",
            self.slug,
            self.attempts.len(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )
    }

    /// Counts one attempt; `leak` says how it got through, `None` when it did not.
    pub fn attempt(
        &mut self,
        what: impl Into<String>,
        subject: Option<&str>,
        leak: Option<String>,
    ) {
        self.attempts.push(Attempt {
            what: what.into(),
            subject: subject.map(str::to_owned),
            leaked: leak,
        });
    }

    /// Counts a GraphQL attempt that must have been refused: data for `field` is a leak.
    pub fn refused_graphql(
        &mut self,
        what: impl Into<String>,
        subject: &str,
        field: &str,
        answer: &Result<Value, String>,
    ) {
        let leak = match answer {
            Ok(answer) if !answer["data"][field].is_null() => {
                Some(format!("answered: {}", clip(&answer.to_string(), 300)))
            }
            _ => None,
        };
        self.attempt(what, Some(subject), leak);
    }

    /// Records a control: `failure` is `None` when the legitimate call worked.
    pub fn control(&mut self, what: impl Into<String>, failure: Option<String>) {
        self.controls.push((what.into(), failure));
    }

    /// A control that is a gRPC call which must succeed; returns its result.
    pub fn control_ok<T: std::fmt::Debug>(
        &mut self,
        what: impl Into<String>,
        result: Result<tonic::Response<T>, tonic::Status>,
    ) -> Option<T> {
        match result {
            Ok(response) => {
                self.control(what, None);
                Some(response.into_inner())
            }
            Err(status) => {
                self.control(what, Some(format!("refused: {}", status_text(&status))));
                None
            }
        }
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Marks as leaked every attempt whose subject wrote an event (`actors`: events per
    /// actor in the whole log). A refusal that still wrote is a leak too.
    pub fn check_log(&mut self, actors: &BTreeMap<String, Vec<String>>) {
        for attempt in &mut self.attempts {
            let Some(subject) = &attempt.subject else {
                continue;
            };
            if let Some(events) = actors.get(subject) {
                let wrote = format!("wrote {} event(s): {}", events.len(), events.join(", "));
                attempt.leaked = Some(match attempt.leaked.take() {
                    Some(leak) => format!("{leak}; {wrote}"),
                    None => wrote,
                });
            }
        }
    }

    pub fn leaks(&self) -> usize {
        self.attempts.iter().filter(|a| a.leaked.is_some()).count()
    }

    pub fn failed_controls(&self) -> usize {
        self.controls.iter().filter(|(_, f)| f.is_some()).count()
    }

    pub fn finish(mut self) -> Tally {
        self.took = self.started.elapsed();
        self
    }
}

/// How a call that must have been refused got through: it succeeded.
pub fn succeeded<T: std::fmt::Debug>(
    result: &Result<tonic::Response<T>, tonic::Status>,
) -> Option<String> {
    match result {
        Ok(response) => Some(format!("succeeded: {:?}", response.get_ref())),
        Err(_) => None,
    }
}

/// One gRPC attack: `$rpc($request)` on the `$service` client of [`Target`], sent as a
/// fresh subject (see [`Tally::subject`]) of `$org` with `$roles`, and counted as the
/// attempt `$what`, `$leak` saying from its answer how it got through (e.g. [`succeeded`]).
macro_rules! attack {
    ($t:expr, $tally:expr, $what:expr, $service:ident($org:expr, $roles:expr).$rpc:ident($request:expr), $leak:expr $(,)?) => {{
        let sub = $tally.subject();
        let r = $t.$service(&sub, $org, $roles).$rpc($request).await;
        $tally.attempt($what, Some(&sub), $leak(&r));
    }};
}
pub(crate) use attack;

/// The summary table, then every leak and failed control.
pub fn report(tallies: &[Tally], total: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<36} {:>8} {:>6} {:>10} {:>8}",
        "family", "attempts", "leaks", "controls", "time"
    );
    let _ = writeln!(out, "{}", "-".repeat(72));
    let (mut attempts, mut leaks, mut controls, mut failed) = (0, 0, 0, 0);
    for t in tallies {
        let _ = writeln!(
            out,
            "{:<36} {:>8} {:>6} {:>6}/{:<3} {:>7.1}s",
            t.family,
            t.attempts.len(),
            t.leaks(),
            t.controls.len() - t.failed_controls(),
            t.controls.len(),
            t.took.as_secs_f64()
        );
        attempts += t.attempts.len();
        leaks += t.leaks();
        controls += t.controls.len();
        failed += t.failed_controls();
    }
    let _ = writeln!(out, "{}", "-".repeat(72));
    let _ = writeln!(
        out,
        "{:<36} {:>8} {:>6} {:>6}/{:<3} {:>7.1}s",
        "total",
        attempts,
        leaks,
        controls - failed,
        controls,
        total.as_secs_f64()
    );
    for t in tallies {
        for note in &t.notes {
            let _ = writeln!(out, "  [{}] {note}", t.family);
        }
    }
    for t in tallies {
        for a in &t.attempts {
            if let Some(leak) = &a.leaked {
                let _ = writeln!(out, "LEAK [{}] {}: {}", t.family, a.what, clip(leak, 400));
            }
        }
        for (what, failure) in &t.controls {
            if let Some(failure) = failure {
                let _ = writeln!(
                    out,
                    "CONTROL FAILED [{}] {what}: {}",
                    t.family,
                    clip(failure, 400)
                );
            }
        }
    }
    out
}

// ---- Text ----

/// At most `max` characters of `text`, marked when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}… ({} bytes)", text.len())
    }
}

/// `text` with every UUID replaced by `<id>`: two answers that differ only in the id
/// they were asked about say the same thing.
pub fn without_ids(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if i + 36 <= chars.len() {
            let window: String = chars[i..i + 36].iter().collect();
            if uuid::Uuid::try_parse(&window).is_ok() {
                out.push_str("<id>");
                i += 36;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The longest run of `c` in `text`.
pub fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A gRPC status as one line: code and message.
pub fn status_text(status: &tonic::Status) -> String {
    format!("{:?}: {}", status.code(), clip(status.message(), 300))
}

// ---- Tokens ----

/// A token for `sub` acting for `org` with `roles`, signed with the test secret.
pub fn mint(sub: &str, org: &str, roles: &[Role]) -> String {
    support::mint(sub, org, roles, Duration::from_secs(1800))
}

/// A token that expired an hour ago, otherwise valid.
pub fn expired(org: &str, role: Role) -> String {
    let now = support::now_secs();
    let claims = auth::Claims {
        sub: "attack-expired".into(),
        org: org.into(),
        roles: vec![role.as_str().into()],
        iss: "difacto".into(),
        aud: "difacto".into(),
        exp: now - 3600,
        iat: now - 7200,
    };
    support::sign(&claims, support::secret().as_bytes())
}

/// `token` with its signature's last character changed.
pub fn forged(token: &str) -> String {
    let mut t = token.to_owned();
    let last = t.pop().expect("a token");
    t.push(if last == 'A' { 'B' } else { 'A' });
    t
}

// ---- gRPC ----

pub type IcbClient = pb::icb_service_client::IcbServiceClient<Authed>;
pub type PracticeClient = pb::practice_service_client::PracticeServiceClient<Authed>;
pub type PartnerClient = pb::partner_service_client::PartnerServiceClient<Authed>;
pub type ProviderClient = pb::provider_service_client::ProviderServiceClient<Authed>;

/// The process under attack: `difacto dev`, its two addresses and one shared channel.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:PORT` of the gRPC services.
    pub grpc_url: String,
    /// `127.0.0.1:PORT` of the gRPC services.
    pub grpc_addr: String,
    /// `127.0.0.1:PORT` of the gateway.
    pub http_addr: String,
    pub pid: u32,
    channel: Channel,
}

impl Target {
    pub async fn new(grpc_addr: &str, http_addr: &str, pid: u32) -> Target {
        let grpc_url = format!("http://{grpc_addr}");
        Target {
            channel: grpc_channel(&grpc_url)
                .await
                .unwrap_or_else(|err| panic!("connect to {grpc_url}: {err}")),
            grpc_url,
            grpc_addr: grpc_addr.to_owned(),
            http_addr: http_addr.to_owned(),
            pid,
        }
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    fn authed(&self, token: &str) -> Authed {
        InterceptedService::new(self.channel.clone(), Bearer::new(token))
    }

    pub fn icb(&self, sub: &str, org: &str, roles: &[Role]) -> IcbClient {
        pb::icb_service_client::IcbServiceClient::new(self.authed(&mint(sub, org, roles)))
    }

    pub fn practice(&self, sub: &str, org: &str, roles: &[Role]) -> PracticeClient {
        pb::practice_service_client::PracticeServiceClient::new(self.authed(&mint(sub, org, roles)))
    }

    pub fn partner(&self, sub: &str, org: &str, roles: &[Role]) -> PartnerClient {
        pb::partner_service_client::PartnerServiceClient::new(self.authed(&mint(sub, org, roles)))
    }

    pub fn provider(&self, sub: &str, org: &str, roles: &[Role]) -> ProviderClient {
        pb::provider_service_client::ProviderServiceClient::new(self.authed(&mint(sub, org, roles)))
    }

    /// The log, with a raw token (which may be anything).
    pub fn log_with(&self, token: &str) -> LogClient {
        support::log_client(self.channel.clone(), token)
    }

    /// A partner client with a raw token.
    pub fn partner_with(&self, token: &str) -> PartnerClient {
        pb::partner_service_client::PartnerServiceClient::new(self.authed(token))
    }

    /// Every event in the log, read with a service token.
    pub async fn events(&self) -> Vec<pb::RecordedEvent> {
        let mut log = self.log_with(&mint("attack-auditor", "X24", &[Role::Service]));
        support::read_everything(&mut log).await
    }

    /// For each actor whose subject is one of `subjects`: what it wrote (`type@stream`).
    pub async fn written_by(&self, subjects: &HashSet<String>) -> BTreeMap<String, Vec<String>> {
        let mut by_actor: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for event in self.events().await {
            if let Some(actor) = event.metadata.get("actor")
                && subjects.contains(actor)
            {
                by_actor
                    .entry(actor.clone())
                    .or_default()
                    .push(format!("{}@{}", event.event_type, event.stream));
            }
        }
        by_actor
    }

    /// Checks `tally`'s attempts against the log.
    pub async fn check_log(&self, tally: &mut Tally) {
        let subjects: HashSet<String> = tally
            .attempts
            .iter()
            .filter_map(|a| a.subject.clone())
            .collect();
        let written = self.written_by(&subjects).await;
        tally.check_log(&written);
    }

    /// The process's peak resident set (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }
}

// ---- HTTP ----

/// POSTs a GraphQL request and returns the JSON answer (or what went wrong, including
/// a non-JSON answer such as a 413 page).
pub async fn graphql(
    addr: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
    limit: Duration,
) -> Result<Value, String> {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = http_exchange(
        addr,
        "POST",
        "/graphql",
        token,
        Some(body.into_bytes()),
        limit,
    )
    .await?;
    serde_json::from_str(&response.body).map_err(|_| {
        format!(
            "HTTP {}: {}",
            response.status.as_u16(),
            clip(&response.body, 200)
        )
    })
}

/// The first error's `extensions.code` of a GraphQL answer, if any.
pub fn graphql_code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

/// The first error's message of a GraphQL answer, if any.
pub fn graphql_message(answer: &Value) -> Option<&str> {
    answer["errors"][0]["message"].as_str()
}

// ---- Websocket (graphql-transport-ws) ----

/// How a `connection_init` was answered.
#[derive(Debug)]
pub enum InitAnswer {
    Ack,
    Closed(Option<u16>),
    Other(String),
    Silent,
}

impl std::fmt::Display for InitAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitAnswer::Ack => write!(f, "connection_ack"),
            InitAnswer::Closed(Some(code)) => write!(f, "closed with {code}"),
            InitAnswer::Closed(None) => write!(f, "closed without a code"),
            InitAnswer::Other(text) => write!(f, "{text}"),
            InitAnswer::Silent => write!(f, "nothing within 5 s"),
        }
    }
}

async fn ws_send(socket: &mut Socket, message: Value) -> Result<(), String> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|err| format!("send: {err}"))
}

/// Sends `connection_init` with `payload` and says how the server answered within 5 s.
pub async fn ws_init(socket: &mut Socket, payload: Value) -> InitAnswer {
    if let Err(err) = ws_send(
        socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await
    {
        return InitAnswer::Other(err);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, socket.next()).await else {
            return InitAnswer::Silent;
        };
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                match message["type"].as_str() {
                    Some("connection_ack") => return InitAnswer::Ack,
                    Some("ping") => {
                        let _ = ws_send(socket, json!({ "type": "pong" })).await;
                    }
                    _ => return InitAnswer::Other(clip(text.as_str(), 200)),
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return InitAnswer::Closed(frame.map(|f| u16::from(f.code)));
            }
            Some(Ok(_)) => continue,
            Some(Err(err)) => return InitAnswer::Other(format!("websocket error: {err}")),
            None => return InitAnswer::Closed(None),
        }
    }
}

/// Runs one operation (query or mutation) over the websocket as `token` and returns the
/// payload of its first `next` message, or the `error` message's payload as
/// `{"errors": …}`, or what went wrong.
pub async fn ws_execute(
    addr: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut socket = ws_open(addr).await?;
    match ws_init(
        &mut socket,
        json!({ "Authorization": format!("Bearer {token}") }),
    )
    .await
    {
        InitAnswer::Ack => {}
        other => return Err(format!("connection_init: {other}")),
    }
    ws_send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| "no answer within 20 s".to_owned())?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value =
                    serde_json::from_str(text.as_str()).map_err(|err| err.to_string())?;
                match message["type"].as_str() {
                    Some("next") => break message["payload"].clone(),
                    Some("error") => break json!({ "errors": message["payload"] }),
                    Some("ping") => ws_send(&mut socket, json!({ "type": "pong" })).await?,
                    _ => return Err(format!("unexpected: {}", clip(text.as_str(), 200))),
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(format!("websocket error: {err}")),
            None => return Err("the websocket ended".to_owned()),
        }
    };
    let _ = socket.close(None).await;
    Ok(answer)
}
