//! Sends the plan's steps in the order of their days: the clock is held on a day, every
//! script's steps of that day run (a script's one after the other, many scripts at once,
//! a bounded number in flight so the log's group commit has company to flush with and the
//! process's memory stays flat), then the clock moves on. Within a day, scripts go in
//! [`Phase`] order, so what a step depends on that day (the tree, a duty, a platform) is
//! recorded before it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, anyhow};
use chrono::{NaiveDate, NaiveTime, TimeDelta};
use eventlog::Clock;
use handlers::Store;
use tokio::task::JoinSet;

use super::activity::Cursor;
use super::command::{Script, Sent, Services, Step};
use super::progress::Progress;
use super::seed::Year;

/// What a script is about, which orders scripts with steps on the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    Tree,
    Catalogue,
    Responsibilities,
    Sessions,
    Issues,
    Practices,
    Finish,
}

/// A script's steps, produced as the days come.
enum Source {
    Steps(VecDeque<Step>),
    /// A practice's year, kept compact until each step's day comes.
    Practice(Cursor),
}

pub(crate) struct Timeline {
    phase: Phase,
    source: Source,
}

impl Timeline {
    pub fn script(phase: Phase, script: Script) -> Self {
        Self {
            phase,
            source: Source::Steps(script.into()),
        }
    }

    pub fn practice(cursor: Cursor) -> Self {
        Self {
            phase: Phase::Practices,
            source: Source::Practice(cursor),
        }
    }

    fn next_day(&mut self) -> Option<NaiveDate> {
        match &mut self.source {
            Source::Steps(steps) => steps.front().map(|s| s.on),
            Source::Practice(cursor) => cursor.next_day(),
        }
    }

    /// The steps up to `day`, in order (a step dated before the one it follows goes with
    /// it: a script's order is never changed).
    fn take_until(&mut self, day: NaiveDate) -> Script {
        let mut taken = Vec::new();
        while self.next_day().is_some_and(|next| next <= day) {
            let step = match &mut self.source {
                Source::Steps(steps) => steps.pop_front(),
                Source::Practice(cursor) => cursor.next_step(),
            };
            taken.extend(step);
        }
        taken
    }
}

/// The instant the clock is held at for `phase` of `day`: working hours, phases apart.
fn instant(day: NaiveDate, phase: Phase) -> i64 {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN);
    (day.and_time(nine) + TimeDelta::minutes(20 * phase as i64))
        .and_utc()
        .timestamp_micros()
}

/// The clock, moved day by day; as it was before once dropped (in `dev`, back to the
/// system's time), whether the load finished or failed.
struct Hands {
    clock: Clock,
    before: Option<i64>,
}

impl Hands {
    fn new(clock: Clock) -> Self {
        let before = clock.held_at();
        Self { clock, before }
    }

    /// Days before today are simulated; today is the clock's own time.
    fn set(&self, day: NaiveDate, phase: Phase, year: Year) {
        if day < year.today {
            self.clock.hold(instant(day, phase));
        } else {
            self.restore();
        }
    }

    fn restore(&self) {
        match self.before {
            Some(at) => self.clock.hold(at),
            None => self.clock.follow_system(),
        }
    }
}

impl Drop for Hands {
    fn drop(&mut self) {
        self.restore();
    }
}

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

    /// Sends one step; a refusal becomes an error naming the command, its request id, the
    /// caller and the day.
    pub async fn step(&self, step: Step) -> anyhow::Result<Sent> {
        let name = step.cmd.name();
        let request_id = step.cmd.request_id().to_owned();
        let principal = step.who.principal();
        let subject = principal.subject.clone();
        let on = step.on;
        let sent = step
            .cmd
            .send(&self.services, principal)
            .await
            .map_err(|status| {
                anyhow!(
                    "{name} (request {request_id}, sent as {subject} on {on}) was refused: {:?}: {}",
                    status.code(),
                    status.message()
                )
            })?;
        self.commands.fetch_add(sent.commands, Ordering::Relaxed);
        self.events.fetch_add(sent.events, Ordering::Relaxed);
        self.progress.inc();
        Ok(sent)
    }

    /// Sends a script's steps in order, whatever their days (for tests that stop a load
    /// part way).
    pub async fn script(&self, script: Script) -> anyhow::Result<()> {
        for step in script {
            self.step(step).await?;
        }
        Ok(())
    }

    /// Runs every timeline through `year` with `clock` held on each day in turn: day by
    /// day, phase by phase, each timeline's steps of the day in order and `concurrency`
    /// timelines at a time. The first failure stops the load: steps still running are
    /// aborted.
    pub async fn run(
        self: &Arc<Self>,
        mut timelines: Vec<Timeline>,
        year: Year,
        clock: Clock,
    ) -> anyhow::Result<()> {
        let hands = Hands::new(clock);
        // The next day and phase of each timeline, earliest first.
        let mut due: BinaryHeap<Reverse<(NaiveDate, Phase, usize)>> = timelines
            .iter_mut()
            .enumerate()
            .filter_map(|(i, t)| t.next_day().map(|day| Reverse((day, t.phase, i))))
            .collect();
        while let Some(&Reverse((day, phase, _))) = due.peek() {
            hands.set(day, phase, year);
            self.progress.day(day);
            let mut running = JoinSet::new();
            while let Some(&Reverse((next, next_phase, i))) = due.peek() {
                if (next, next_phase) != (day, phase) {
                    break;
                }
                due.pop();
                let timeline = &mut timelines[i];
                let steps = timeline.take_until(day);
                if let Some(later) = timeline.next_day() {
                    due.push(Reverse((later, phase, i)));
                }
                while running.len() >= self.concurrency {
                    joined(running.join_next().await)?;
                }
                let runner = self.clone();
                running.spawn(async move { runner.script(steps).await });
            }
            while let Some(done) = running.join_next().await {
                joined(Some(done))?;
            }
        }
        drop(hands);
        Ok(())
    }
}

fn joined(done: Option<Result<anyhow::Result<()>, tokio::task::JoinError>>) -> anyhow::Result<()> {
    match done {
        Some(result) => result.context("a demo script stopped unexpectedly")?,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_of_a_day_are_held_in_order_and_within_its_working_hours() {
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).expect("a date");
        let times: Vec<i64> = [Phase::Tree, Phase::Sessions, Phase::Finish]
            .into_iter()
            .map(|p| instant(day, p))
            .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        let last = chrono::DateTime::from_timestamp_micros(times[2]).expect("an instant");
        assert_eq!(last.date_naive(), day);
    }

    #[test]
    fn the_clock_is_put_back_as_it_was() {
        let clock = Clock::system();
        let year = Year::ending(NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date"));
        {
            let hands = Hands::new(clock.clone());
            hands.set(year.start, Phase::Tree, year);
            assert_eq!(clock.held_at(), Some(instant(year.start, Phase::Tree)));
            hands.set(year.today, Phase::Finish, year);
            assert_eq!(clock.held_at(), None, "today is the clock's own time");
            hands.set(year.start, Phase::Tree, year);
        }
        assert_eq!(clock.held_at(), None);
        clock.hold(42);
        {
            let hands = Hands::new(clock.clone());
            hands.set(year.start, Phase::Tree, year);
        }
        assert_eq!(clock.held_at(), Some(42));
    }
}
