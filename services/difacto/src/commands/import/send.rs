//! Sending an import's commands: many in flight at once (the services take them in
//! order per stream, and over gRPC the round trips overlap), each with a request id of
//! this run so a re-sent one records nothing twice, a progress bar on a terminal, and
//! every refusal kept to be reported.

use std::future::Future;
use std::io::IsTerminal;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use proto::v1 as pb;
use tonic::Status;

use import::apply::IN_FLIGHT;

/// A progress bar on stderr when it is a terminal; nothing otherwise (logs, CI).
pub fn progress(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || total == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// What sending a batch came to.
#[derive(Debug, Default)]
pub struct Sent {
    /// Commands that recorded at least one event.
    pub recorded: u32,
    /// Commands the domain accepted with nothing to record (already so).
    pub unchanged: u32,
    /// Each refusal: what was sent and why it was refused.
    pub refused: Vec<String>,
}

/// Sends `commands` (each with what to call it in a report), `IN_FLIGHT` at a time.
pub async fn all<C, F, Fut>(commands: Vec<(String, C)>, bar: &ProgressBar, send: F) -> Sent
where
    F: Fn(C) -> Fut,
    Fut: Future<Output = Result<pb::CommandResult, Status>>,
{
    let mut sent = Sent::default();
    let mut replies = futures::stream::iter(commands)
        .map(|(what, command)| {
            let reply = send(command);
            async move { (what, reply.await) }
        })
        .buffer_unordered(IN_FLIGHT);
    while let Some((what, reply)) = replies.next().await {
        match reply {
            Ok(result) if result.event_ids.is_empty() => sent.unchanged += 1,
            Ok(_) => sent.recorded += 1,
            Err(status) => sent.refused.push(format!("{what}: {}", status.message())),
        }
        bar.inc(1);
    }
    sent
}

/// A request id unique to this run: a re-send within the run is answered from the
/// first, while a later run (which plans afresh from the registry) is never mistaken
/// for this one.
#[derive(Debug)]
pub struct RequestIds {
    run: String,
    next: u64,
}

impl RequestIds {
    pub fn new(kind: &str) -> Self {
        Self {
            run: format!("{kind}-{}", uuid::Uuid::new_v4().simple()),
            next: 0,
        }
    }

    pub fn next(&mut self) -> String {
        self.next += 1;
        format!("{}-{}", self.run, self.next)
    }
}
