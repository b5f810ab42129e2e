//! One progress bar over the whole load, on stderr, showing the day being loaded. Drawn only
//! when asked for and stderr is a terminal outside CI, so logs and CI output stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use chrono::NaiveDate;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone)]
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` commands; hidden unless `show` and stderr is an interactive
    /// terminal (not CI).
    pub fn new(show: bool, total: u64) -> Self {
        let visible = show && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = if visible {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} demo data [{bar:30}] {pos}/{len} commands, {per_sec}, eta {eta}: {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        if visible {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Self { bar }
    }

    pub fn day(&self, day: NaiveDate) {
        if !self.bar.is_hidden() {
            self.bar.set_message(day.format("%-d %B %Y").to_string());
        }
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
