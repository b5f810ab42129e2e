//! Sends the plan's steps: a script's steps one after the other, many scripts at once (a
//! bounded number in flight, so the log's group commit has company to flush with and the
//! process's memory stays flat), counting commands and events.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, anyhow};
use handlers::Store;
use proto::v1::CommandResult;
use tokio::task::JoinSet;

use super::command::{Script, Services, Step};
use super::progress::Progress;

#[derive(Debug)]
pub(crate) struct Runner {
    services: Services,
    progress: Progress,
    /// Scripts in flight at once.
    concurrency: usize,
    commands: AtomicU64,
    events: AtomicU64,
}

impl Runner {
    pub fn new(store: Arc<Store>, progress: Progress, concurrency: usize) -> Self {
        Self {
            services: Services::new(store),
            progress,
            concurrency: concurrency.max(1),
            commands: AtomicU64::new(0),
            events: AtomicU64::new(0),
        }
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn commands(&self) -> u64 {
        self.commands.load(Ordering::Relaxed)
    }

    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Sends one step; a refusal becomes an error naming the command, its request id and
    /// the caller.
    pub async fn step(&self, step: Step) -> anyhow::Result<CommandResult> {
        let name = step.cmd.name();
        let request_id = step.cmd.request_id().to_owned();
        let principal = step.who.principal();
        let subject = principal.subject.clone();
        let result = step
            .cmd
            .send(&self.services, principal)
            .await
            .map_err(|status| {
                anyhow!(
                    "{name} (request {request_id}, sent as {subject}) was refused: {:?}: {}",
                    status.code(),
                    status.message()
                )
            })?;
        self.commands.fetch_add(1, Ordering::Relaxed);
        self.events
            .fetch_add(result.event_ids.len() as u64, Ordering::Relaxed);
        self.progress.inc();
        Ok(result)
    }

    /// Sends a script's steps in order.
    pub async fn script(&self, script: Script) -> anyhow::Result<()> {
        for step in script {
            self.step(step).await?;
        }
        Ok(())
    }

    /// Runs every script, `concurrency` at a time, each turned into steps by `steps` only
    /// when it starts (so a large phase's requests are never all in memory). The first
    /// failure stops the phase: scripts still running are aborted.
    pub async fn all<S, F>(self: &Arc<Self>, scripts: Vec<S>, steps: F) -> anyhow::Result<()>
    where
        S: Send + 'static,
        F: Fn(S) -> Script + Send + Sync + 'static,
    {
        let steps = Arc::new(steps);
        let mut running = JoinSet::new();
        for script in scripts {
            while running.len() >= self.concurrency {
                joined(running.join_next().await)?;
            }
            let runner = self.clone();
            let steps = steps.clone();
            running.spawn(async move { runner.script(steps(script)).await });
        }
        while let Some(done) = running.join_next().await {
            joined(Some(done))?;
        }
        Ok(())
    }
}

fn joined(done: Option<Result<anyhow::Result<()>, tokio::task::JoinError>>) -> anyhow::Result<()> {
    match done {
        Some(result) => result.context("a demo script stopped unexpectedly")?,
        None => Ok(()),
    }
}
