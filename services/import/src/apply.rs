//! Sending an import's plan: phase by phase (parents before children), many commands of a
//! phase at once, and no further after a phase with a refusal (a child of a refused
//! parent would be refused too). Only when every change was recorded does each file get
//! its `RegistryImported`, so the registry is never marked as imported from a file it
//! does not agree with; an import stopped part way is completed by planning again.

use async_trait::async_trait;
use chrono::NaiveDate;
use futures::StreamExt;
use proto::v1 as pb;

use crate::command::IcbCommand;
use crate::file::Source;

/// Commands in flight at once: enough to hide a round trip, few enough that a refusal
/// stops little work behind it.
pub const IN_FLIGHT: usize = 64;

/// Where an import's commands go: IcbService, in-process or over gRPC.
#[async_trait]
pub trait Registrar: Sync {
    /// Sends one command: `Ok` with the events it recorded (none when the registry
    /// already said so), `Err` the refusal in words.
    async fn send(&self, command: IcbCommand) -> Result<usize, String>;
}

/// A file the import read, with its data rows.
#[derive(Debug, Clone, Copy)]
pub struct ImportedFile<'a> {
    pub source: &'a Source,
    pub rows: u32,
}

/// What sending a plan came to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Commands that recorded at least one event (`RegistryImported` included).
    pub recorded: u32,
    /// Commands the registry already agreed with.
    pub unchanged: u32,
    /// Events recorded.
    pub events: u64,
    /// Each refusal: the command, in words, and why.
    pub refused: Vec<String>,
}

/// Sends `phases` to `registrar`, each command with the request id `request_id` gives it,
/// calling `sent` after each; then one `RecordRegistryImport` per file, dated `extract`.
pub async fn apply(
    phases: Vec<Vec<IcbCommand>>,
    files: &[ImportedFile<'_>],
    extract: NaiveDate,
    registrar: &dyn Registrar,
    request_id: &mut (dyn FnMut(&IcbCommand) -> String + Send),
    sent: &(dyn Fn() + Sync),
) -> Applied {
    let mut applied = Applied::default();
    for phase in phases {
        let commands: Vec<(String, IcbCommand)> = phase
            .into_iter()
            .map(|command| {
                let id = request_id(&command);
                (command.describe(), command.with_request_id(id))
            })
            .collect();
        let mut replies = futures::stream::iter(commands)
            .map(|(what, command)| async move { (what, registrar.send(command).await) })
            .buffer_unordered(IN_FLIGHT);
        while let Some((what, reply)) = replies.next().await {
            applied.count(what, reply);
            sent();
        }
        if !applied.refused.is_empty() {
            return applied;
        }
    }
    for file in files {
        let command = IcbCommand::RecordImport(pb::RecordRegistryImportRequest {
            request_id: String::new(),
            source_file: file.source.name.clone(),
            extract_date: extract.format("%Y-%m-%d").to_string(),
            rows: file.rows,
            digest: file.source.digest.clone(),
        });
        let id = request_id(&command);
        let what = command.describe();
        let reply = registrar.send(command.with_request_id(id)).await;
        applied.count(what, reply);
        if !applied.refused.is_empty() {
            break;
        }
    }
    applied
}

impl Applied {
    fn count(&mut self, what: String, reply: Result<usize, String>) {
        match reply {
            Ok(0) => self.unchanged += 1,
            Ok(events) => {
                self.recorded += 1;
                self.events += events as u64;
            }
            Err(why) => self.refused.push(format!("{what}: {why}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records what it is sent; refuses the codes it is told to.
    struct Recorder {
        refuse: &'static [&'static str],
        sent: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Registrar for Recorder {
        async fn send(&self, command: IcbCommand) -> Result<usize, String> {
            let what = command.describe();
            self.sent.lock().expect("not poisoned").push(what.clone());
            match self.refuse.iter().any(|code| what.ends_with(code)) {
                true => Err("refused".into()),
                false => Ok(1),
            }
        }
    }

    fn register(code: &str) -> IcbCommand {
        IcbCommand::Register(pb::RegisterOrganisationRequest {
            code: code.into(),
            ..Default::default()
        })
    }

    fn run(refuse: &'static [&'static str]) -> (Applied, Vec<String>) {
        let source = Source::from_bytes("map.csv".into(), b"x".to_vec());
        let files = [ImportedFile {
            source: &source,
            rows: 2,
        }];
        let phases = vec![
            vec![register("QOP")],
            vec![register("00T"), register("00V")],
        ];
        let recorder = Recorder {
            refuse,
            sent: Mutex::default(),
        };
        let mut n = 0;
        let mut ids = |_: &IcbCommand| {
            n += 1;
            format!("id-{n}")
        };
        let extract = NaiveDate::from_ymd_opt(2026, 1, 31).expect("a date");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let applied = runtime.block_on(apply(phases, &files, extract, &recorder, &mut ids, &|| {}));
        (applied, recorder.sent.into_inner().expect("not poisoned"))
    }

    #[test]
    fn every_phase_then_the_import_is_recorded() {
        let (applied, sent) = run(&[]);
        assert_eq!(applied.recorded, 4);
        assert!(applied.refused.is_empty());
        assert_eq!(
            sent.first().map(String::as_str),
            Some("RegisterOrganisation QOP")
        );
        assert_eq!(
            sent.last().map(String::as_str),
            Some("RecordRegistryImport map.csv")
        );
    }

    #[test]
    fn a_refusal_stops_after_its_phase_and_marks_nothing_imported() {
        let (applied, sent) = run(&["QOP"]);
        assert_eq!(applied.refused, ["RegisterOrganisation QOP: refused"]);
        assert_eq!(sent, ["RegisterOrganisation QOP"]);
        let (applied, sent) = run(&["00T"]);
        assert_eq!(applied.refused.len(), 1);
        assert_eq!(
            sent.len(),
            3,
            "the whole phase is sent, nothing after it: {sent:?}"
        );
    }
}
