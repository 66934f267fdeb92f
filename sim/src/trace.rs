//! A readable trace of a run: one line per event, with the virtual time.

use std::time::Duration;

/// `12.345s`.
pub(crate) fn fmt_time(t: Duration) -> String {
    format!("{}.{:03}s", t.as_secs(), t.subsec_millis())
}

/// The lines of a run (kept only when asked, and always the last ones for a failure).
#[derive(Debug, Default)]
pub(crate) struct Trace {
    lines: Vec<String>,
    keep_all: bool,
    /// How many lines a failure report shows when the whole trace was not asked for.
    tail: usize,
}

impl Trace {
    /// A trace that keeps everything (`keep_all`) or only the last `tail` lines.
    pub(crate) fn new(keep_all: bool, tail: usize) -> Self {
        Trace {
            lines: Vec::new(),
            keep_all,
            tail: tail.max(1),
        }
    }

    /// Adds a line at `now`.
    pub(crate) fn line(&mut self, now: Duration, text: impl FnOnce() -> String) {
        self.lines.push(format!("{:>10} {}", fmt_time(now), text()));
        if !self.keep_all && self.lines.len() > self.tail * 2 {
            let cut = self.lines.len() - self.tail;
            self.lines.drain(..cut);
        }
    }

    /// The lines kept.
    pub(crate) fn lines(&self) -> &[String] {
        let start = if self.keep_all {
            0
        } else {
            self.lines.len().saturating_sub(self.tail)
        };
        self.lines.get(start..).unwrap_or(&[])
    }
}
