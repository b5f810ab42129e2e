//! The time the log stamps on what it records, shared with whoever decides commands
//! against it, so that "when it was recorded" and "when it was decided" are one time.
//!
//! A clock follows the system's time unless it is held at an instant; holding it lets a
//! loader record a year of history across that year (the demo), and letting go returns
//! it to the system's time. A held clock moves only when it is told to.
//!
//! Only the in-process sled log stamps with it ([`crate::SledConfig::clock`]); a remote log
//! (`grpc://`) stamps with its server's own clock, which nothing here can hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Stands for "not held": the clock reads the system's time.
const FOLLOWING_SYSTEM: i64 = i64::MIN;

/// A clock in microseconds since the Unix epoch. Cheap to clone; clones are one clock, so
/// the log and the services it is handed to read the same time.
#[derive(Clone)]
pub struct Clock {
    held: Arc<AtomicI64>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.held_at() {
            Some(at) => write!(f, "Clock(held at {at} µs)"),
            None => f.write_str("Clock(system)"),
        }
    }
}

impl Clock {
    /// A clock that follows the system's time until it is held.
    pub fn system() -> Self {
        Self {
            held: Arc::new(AtomicI64::new(FOLLOWING_SYSTEM)),
        }
    }

    /// Now, in microseconds since the Unix epoch.
    pub fn now_unix_micros(&self) -> i64 {
        self.held_at().unwrap_or_else(system_unix_micros)
    }

    /// Stops the clock at `unix_micros` until it is held elsewhere or let go.
    pub fn hold(&self, unix_micros: i64) {
        // The sentinel cannot be held: the earliest instant a clock can show is one later.
        self.held
            .store(unix_micros.max(FOLLOWING_SYSTEM + 1), Ordering::SeqCst);
    }

    /// Returns the clock to the system's time.
    pub fn follow_system(&self) {
        self.held.store(FOLLOWING_SYSTEM, Ordering::SeqCst);
    }

    /// The instant the clock is held at, if it is.
    pub fn held_at(&self) -> Option<i64> {
        let held = self.held.load(Ordering::SeqCst);
        (held != FOLLOWING_SYSTEM).then_some(held)
    }
}

fn system_unix_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_clock_stays_put_for_every_clone_until_let_go() {
        let clock = Clock::system();
        let shared = clock.clone();
        let before = system_unix_micros();
        assert!(clock.now_unix_micros() >= before);
        assert_eq!(clock.held_at(), None);

        clock.hold(1_000_000);
        assert_eq!(shared.now_unix_micros(), 1_000_000);
        assert_eq!(shared.now_unix_micros(), 1_000_000);
        shared.hold(2_000_000);
        assert_eq!(clock.held_at(), Some(2_000_000));

        shared.follow_system();
        assert_eq!(clock.held_at(), None);
        assert!(clock.now_unix_micros() >= before);
    }
}
