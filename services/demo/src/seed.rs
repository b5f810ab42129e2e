//! Everything random in the demo comes from here. Each thing (a practice, a session, an
//! ICB's duties) draws from its own ChaCha stream, derived from the seed, a tag and its
//! index, so its data never depends on how many things came before it or in which order
//! the commands reach the log; ids are UUID v5 names under the seed.

use std::fmt::Display;

use chrono::{Datelike, NaiveDate, TimeDelta};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// Days from the first of the demo's year to today.
const YEAR_DAYS: i64 = 364;

/// The namespace of every id the demo chooses (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x5d1f_a3c0_7e24_4b8a_9f61_d3e0_c2b4_a817);

pub(crate) type DemoRng = ChaCha8Rng;

/// The dataset's seed: the one input, besides the scale and the day, that the whole
/// dataset is a function of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seed(pub u64);

impl Seed {
    /// The random stream of thing `index` of kind `tag`.
    pub fn rng(self, tag: &str, index: u64) -> DemoRng {
        let tag = tag.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        ChaCha8Rng::seed_from_u64(mix(self.0 ^ mix(tag ^ mix(index))))
    }

    /// The id of thing `key` of kind `kind` (a duty, a session, a booking).
    pub fn id(self, kind: &str, key: impl Display) -> Uuid {
        Uuid::new_v5(&NAMESPACE, format!("{}/{kind}/{key}", self.0).as_bytes())
    }

    /// A request id, `demo-<seed>-<what>`: re-sending it is harmless, and the ids a service
    /// derives from it are the same in every load.
    pub fn request_id(self, what: impl Display) -> String {
        format!("demo-{}-{what}", self.0)
    }
}

/// The demo's year, the 365 days up to the day it is loaded: every step is sent on one of
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Year {
    pub start: NaiveDate,
    pub today: NaiveDate,
}

impl Year {
    pub fn ending(today: NaiveDate) -> Self {
        Self {
            start: days(today, -YEAR_DAYS),
            today,
        }
    }

    /// The day a fact dated `date` is recorded: its own, or the year's first for one
    /// dated before the year (the tree, platforms adopted years ago); never after today.
    pub fn day(self, date: NaiveDate) -> NaiveDate {
        date.clamp(self.start, self.today)
    }

    /// `n` days from `from` to `to` (both taken into the year), drawn evenly and in
    /// order: the days of steps that must follow one another.
    pub fn days_in_order(
        self,
        rng: &mut DemoRng,
        n: usize,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<NaiveDate> {
        let (from, to) = (self.day(from), self.day(to));
        let span = (to - from).num_days().max(0);
        let mut drawn: Vec<NaiveDate> = (0..n)
            .map(|_| days(from, rng.random_range(0..=span)))
            .collect();
        drawn.sort_unstable();
        drawn
    }
}

/// splitmix64's finaliser: spreads nearby inputs over the whole range.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One of `choices`, each as likely as its weight.
pub(crate) fn weighted<T: Copy>(rng: &mut DemoRng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (choice, weight) in choices {
        if pick < *weight {
            return *choice;
        }
        pick -= weight;
    }
    choices[choices.len() - 1].0
}

/// An index below `len` (which must not be 0).
pub(crate) fn index(rng: &mut DemoRng, len: usize) -> usize {
    rng.random_range(0..len)
}

/// `YYYY-MM-DD`.
pub(crate) fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The Monday of the ISO week `weeks_ago` weeks before the one `today` is in.
pub(crate) fn monday(today: NaiveDate, weeks_ago: u32) -> NaiveDate {
    today
        - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()))
        - TimeDelta::weeks(i64::from(weeks_ago))
}

/// `YYYY-Www` of `date`'s ISO week.
pub(crate) fn iso_week(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// `date` moved by `days` (either way).
pub(crate) fn days(date: NaiveDate, days: i64) -> NaiveDate {
    date + TimeDelta::days(days)
}

/// The first `month`/`day` at least `min_days` after `today`: deadlines that are always
/// ahead, whatever day the demo is loaded.
pub(crate) fn next_date(today: NaiveDate, month: u32, day: u32, min_days: i64) -> NaiveDate {
    (today.year()..today.year() + 3)
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .find(|date| (*date - today).num_days() >= min_days)
        .unwrap_or_else(|| days(today, min_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_tag_and_index_only() {
        let draw = |seed: u64, tag: &str, i: u64| Seed(seed).rng(tag, i).random::<u64>();
        assert_eq!(draw(1, "practice", 7), draw(1, "practice", 7));
        assert_ne!(draw(1, "practice", 7), draw(1, "practice", 8));
        assert_ne!(draw(1, "practice", 7), draw(1, "session", 7));
        assert_ne!(draw(1, "practice", 7), draw(2, "practice", 7));
        assert_eq!(Seed(3).id("duty", 1), Seed(3).id("duty", 1));
        assert_ne!(Seed(3).id("duty", 1), Seed(4).id("duty", 1));
    }

    #[test]
    fn the_year_holds_every_day_drawn_in_it() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default();
        let year = Year::ending(today);
        assert_eq!(iso(year.start), "2025-11-22");
        assert_eq!(year.day(days(today, 3)), today);
        assert_eq!(year.day(days(year.start, -400)), year.start);
        let mut rng = Seed(1).rng("year", 0);
        let drawn = year.days_in_order(&mut rng, 50, days(today, -30), days(today, 30));
        assert!(drawn.windows(2).all(|w| w[0] <= w[1]));
        assert!(drawn.iter().all(|d| *d >= days(today, -30) && *d <= today));
    }

    #[test]
    fn weeks_and_deadlines() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default();
        assert_eq!(iso_week(monday(today, 0)), "2026-W47");
        assert_eq!(iso_week(monday(today, 52)), "2025-W47");
        assert_eq!(iso(next_date(today, 3, 31, 60)), "2027-03-31");
        assert_eq!(iso(next_date(today, 12, 31, 30)), "2026-12-31");
        assert_eq!(iso(next_date(today, 12, 31, 60)), "2027-12-31");
    }
}
