//! `difacto dev --demo`: a synthetic, England-sized dataset, loaded through the real
//! command path. Every fact is a command of one of the four domain services, called
//! in-process with a caller of the role the policy asks for, so validation, policy and
//! the store run as for any client; only the transport is skipped.
//!
//! It tells a year's story, recorded across that year: each command is sent on its
//! fact's day with the store's clock held there (DESIGN.md §8), so the log's recorded
//! times and the facts' dates agree, `asOf` and `onDate` answer for any day of the year,
//! sessions in the past were scheduled before they started and have attendance. The
//! clock must be the one the log stamps with ([`handlers::Store::with_clock`] over
//! [`eventlog::SledLog::clock`]): the in-process sled log of `difacto dev`. A remote log
//! stamps with its own clock, so over one the events are recorded at load time. Days
//! before today are simulated; today's steps run on the clock's own time, and once the
//! load ends (or fails) the clock is as it was before, in `dev` the system's time.
//!
//! The dataset is a function of a seed, a [`Scale`] and the day it is loaded (facts are
//! dated relative to it): the same seed on the same day gives the same events in every
//! stream, because every random choice comes from a stream of its own ([`seed`]) and
//! every command carries a request id derived from the seed.
//!
//! - [`england`]: the organisation tree (real regions and ICBs, synthetic below), a merger
//!   and practices moving PCN; [`ods`]: the tree written as NHS files and imported;
//! - [`catalogue`]: duties and training programmes with rollout targets;
//! - [`commissions`]: ICBs commissioning partners for sessions, delivered in part;
//! - [`platforms`]: providers, platforms, changes, training material, usability issues;
//! - [`responsibility`]: assignments and attributions, with gaps and contests;
//! - [`activity`]: each practice's year: platforms, champions, service changes, training,
//!   weekly facilitation;
//! - [`sessions`]: partners' community sessions, hosting, bookings and waitlists;
//! - [`command`], [`runner`], [`progress`]: sending the steps day by day, many streams at
//!   once.
//!
//! A load ends with one marker command ([`catalogue::final_step`]); a log that holds it is
//! left alone, so a restart on existing data returns at once. A load that stopped half way
//! is resumed by sending everything again: request ids make the commands already recorded
//! harmless (recorded times stay in log order: the log never stamps an append earlier
//! than the one before, so resumed steps carry the time the load stopped at).

mod activity;
mod catalogue;
mod command;
mod commissions;
mod england;
mod ods;
mod platforms;
mod progress;
mod responsibility;
mod runner;
mod seed;
mod sessions;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use domain::envelope::meta;
use eventlog::Direction;
use handlers::Store;
use proto::v1::OrganisationKind;

use self::command::{Script, Step};
use self::england::Tree;
use self::progress::Progress;
use self::runner::{Phase, Runner, Timeline};
use self::seed::{Seed, Year};

/// How big the dataset is.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// Primary care networks across England (at least one an ICB).
    pub pcns: usize,
    /// Practices in a PCN: from, to (inclusive).
    pub practices_per_pcn: (usize, usize),
    /// Third-sector partners (about one for every 20 practices).
    pub partners: usize,
    /// Community sessions partners hold over the year and the coming weeks.
    pub sessions: usize,
    /// Weeks of facilitation records, back from the current week.
    pub weeks: u32,
    /// Share of PCNs with local duties proposed.
    pub pcns_with_local_duties: f64,
    /// Share of practices reporting a usability issue.
    pub issues_per_practice: f64,
    /// Share of practices with no reception staff trained.
    pub untrained_reception: f64,
    /// Share of practices that moved PCN during the year.
    pub practice_moves: f64,
}

impl Scale {
    /// England: about 1,250 PCNs and 6,300 practices, 300 partners, 3,000 sessions and a
    /// year of weekly records.
    pub fn full() -> Self {
        Self {
            pcns: 1250,
            practices_per_pcn: (2, 8),
            partners: 300,
            sessions: 3000,
            weeks: 52,
            pcns_with_local_duties: 0.2,
            issues_per_practice: 0.1,
            untrained_reception: 0.11,
            practice_moves: 0.01,
        }
    }

    /// A few thousand events with every kind of fact: for tests.
    pub fn tiny() -> Self {
        Self {
            pcns: 60,
            practices_per_pcn: (1, 2),
            partners: 12,
            sessions: 24,
            weeks: 4,
            pcns_with_local_duties: 0.2,
            issues_per_practice: 0.3,
            untrained_reception: 0.11,
            practice_moves: 0.1,
        }
    }
}

/// What a load did.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    /// Events appended by this load (0 when nothing was loaded).
    pub events: u64,
    /// Commands sent by this load.
    pub commands: u64,
    /// Organisations and practices in the dataset.
    pub organisations: usize,
    pub practices: usize,
    pub elapsed: Duration,
    pub outcome: DemoOutcome,
    /// The log's head position afterwards.
    pub head: u64,
}

/// Whether a load happened, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoOutcome {
    /// The dataset was loaded into an empty log.
    Loaded,
    /// A load of this seed had stopped part way; it was completed.
    Resumed,
    /// The log already holds this dataset: nothing was sent.
    AlreadyLoaded,
    /// The log holds other data (another seed, or real data): nothing was sent.
    OtherData,
}

/// Scripts in flight at once: enough for the log's group commit to flush many appends
/// together, few enough that memory stays flat.
const CONCURRENCY: usize = 128;

/// Loads the dataset into `store` unless it is already there, moving the store's clock
/// through the year (see the crate's documentation). Deterministic for a seed (and the day
/// it is loaded, which its dates are relative to).
pub async fn load(
    store: Arc<Store>,
    seed: u64,
    show_progress: bool,
) -> anyhow::Result<DemoSummary> {
    load_scaled(store, seed, &Scale::full(), show_progress).await
}

/// [`load`] at any scale.
pub async fn load_scaled(
    store: Arc<Store>,
    seed: u64,
    scale: &Scale,
    show_progress: bool,
) -> anyhow::Result<DemoSummary> {
    let started = Instant::now();
    let seed = Seed(seed);
    let found = existing(&store, seed)
        .await
        .context("checking the log for the demo data")?;
    if matches!(found, DemoOutcome::AlreadyLoaded | DemoOutcome::OtherData) {
        let registry = store
            .registry()
            .await
            .context("reading the organisation tree")?;
        return Ok(DemoSummary {
            events: 0,
            commands: 0,
            organisations: registry.len(),
            practices: registry
                .iter()
                .filter(|o| o.kind == OrganisationKind::Practice)
                .count(),
            elapsed: started.elapsed(),
            outcome: found,
            head: store.log().head_position().await?,
        });
    }
    let clock = store.clock().clone();
    let today = DateTime::from_timestamp_micros(clock.now_unix_micros())
        .unwrap_or_else(Utc::now)
        .date_naive();
    let year = Year::ending(today);
    let plan = Plan::build(seed, scale, year);
    let (organisations, practices) = (plan.tree.organisations(), plan.tree.practices.len());
    let progress = Progress::new(show_progress, plan.commands());
    let runner = Arc::new(Runner::new(store.clone(), progress, CONCURRENCY));
    let result = plan.send(&runner, clock).await;
    runner.progress().finish();
    result?;
    if found == DemoOutcome::Loaded {
        warn_unless_recorded_on(&store, year.start).await?;
    }
    Ok(DemoSummary {
        events: runner.events(),
        commands: runner.commands(),
        organisations,
        practices,
        elapsed: started.elapsed(),
        outcome: found,
        head: store.log().head_position().await?,
    })
}

/// Warns when the log's first event was not recorded on `day`, the year's first: the log
/// stamps with a clock other than the store's, so the history is recorded at load time.
async fn warn_unless_recorded_on(store: &Store, day: chrono::NaiveDate) -> anyhow::Result<()> {
    let first = store.log().read_all(0, 1).await?;
    let recorded = first
        .first()
        .and_then(|e| DateTime::from_timestamp_micros(e.recorded_at_unix_micros))
        .map(|at| at.date_naive());
    if recorded != Some(day) {
        tracing::warn!(
            ?recorded,
            expected = %day,
            "the demo's year was not recorded across the year: the log stamps with its own \
             clock, not the store's (give the store the log's clock)"
        );
    }
    Ok(())
}

/// What the log holds: nothing (`Loaded` is what a load will do), this dataset in full,
/// part of it, or something else.
async fn existing(store: &Store, seed: Seed) -> anyhow::Result<DemoOutcome> {
    let log = store.log();
    if log.head_position().await? == 0 {
        return Ok(DemoOutcome::Loaded);
    }
    let marker = catalogue::final_request_id(seed);
    let programme = format!("programme-{}", catalogue::programme_id(seed, 0));
    let mut from = 0;
    loop {
        let page = log
            .read_stream(&programme, from, 0, Direction::Forwards)
            .await?;
        let Some(last) = page.last() else { break };
        if page
            .iter()
            .any(|e| e.metadata.get(meta::REQUEST_ID) == Some(&marker))
        {
            return Ok(DemoOutcome::AlreadyLoaded);
        }
        from = last.version + 1;
    }
    let first = log.read_all(0, 1).await?;
    let ours = ods::first_request_id(seed);
    if first.first().and_then(|e| e.metadata.get(meta::REQUEST_ID)) == Some(&ours) {
        return Ok(DemoOutcome::Resumed);
    }
    Ok(DemoOutcome::OtherData)
}

/// The whole dataset as scripts, each step on its day.
#[derive(Debug)]
struct Plan {
    seed: Seed,
    year: Year,
    tree: Tree,
    registrations: Script,
    tree_changes: Script,
    duties: Vec<Script>,
    programmes: Vec<Script>,
    commissions: Script,
    platforms: Vec<Script>,
    responsibilities: Vec<Script>,
    sessions: Vec<Script>,
    issues: Vec<Script>,
    practices: Vec<activity::PracticePlan>,
    last: Step,
}

impl Plan {
    fn build(seed: Seed, scale: &Scale, year: Year) -> Self {
        let tree = Tree::build(seed, scale, year);
        Self {
            seed,
            year,
            registrations: tree.registrations(seed, year),
            tree_changes: tree.changes(seed, year),
            duties: catalogue::duties(seed, year),
            programmes: catalogue::programmes(seed, &tree, year),
            commissions: commissions::script(seed, &tree, year),
            platforms: platforms::platforms(seed, year),
            responsibilities: responsibility::scripts(seed, scale, &tree, year),
            sessions: sessions::scripts(seed, scale.sessions, &tree, year),
            issues: platforms::issues(seed, scale, &tree, year),
            practices: (0..tree.practices.len())
                .map(|p| activity::plan(seed, scale, &tree, p, year))
                .collect(),
            last: catalogue::final_step(seed, year),
            tree,
        }
    }

    /// Every command the plan sends.
    fn commands(&self) -> u64 {
        let scripts = |s: &[Script]| s.iter().map(Vec::len).sum::<usize>();
        (self.registrations.len()
            + self.tree_changes.len()
            + scripts(&self.duties)
            + scripts(&self.programmes)
            + self.commissions.len()
            + scripts(&self.platforms)
            + scripts(&self.responsibilities)
            + scripts(&self.sessions)
            + scripts(&self.issues)
            + self.practices.iter().map(|p| p.items.len()).sum::<usize>()
            + 1) as u64
    }

    /// Sends every step on its day, holding `clock` there: the year day by day, and within
    /// a day in dependency order (the tree, the catalogue, responsibilities, sessions,
    /// issues, practices, the final marker).
    async fn send(self, runner: &Arc<Runner>, clock: eventlog::Clock) -> anyhow::Result<()> {
        let (seed, year) = (self.seed, self.year);
        let mut tree = self.registrations;
        tree.extend(self.tree_changes);
        let scripts = |phase: Phase, scripts: Vec<Script>| {
            scripts
                .into_iter()
                .map(move |script| Timeline::script(phase, script))
        };
        let timelines: Vec<Timeline> = std::iter::once(Timeline::script(Phase::Tree, tree))
            .chain(scripts(Phase::Catalogue, self.duties))
            .chain(scripts(Phase::Catalogue, self.programmes))
            .chain(std::iter::once(Timeline::script(
                Phase::Catalogue,
                self.commissions,
            )))
            .chain(scripts(Phase::Catalogue, self.platforms))
            .chain(scripts(Phase::Responsibilities, self.responsibilities))
            .chain(scripts(Phase::Sessions, self.sessions))
            .chain(scripts(Phase::Issues, self.issues))
            .chain(
                self.practices
                    .into_iter()
                    .map(|plan| Timeline::practice(activity::Cursor::new(seed, year, plan))),
            )
            .chain(std::iter::once(Timeline::script(
                Phase::Finish,
                vec![self.last],
            )))
            .collect();
        tracing::debug!(from = %year.start, to = %year.today, "demo data");
        runner.run(timelines, year, clock).await
    }
}
