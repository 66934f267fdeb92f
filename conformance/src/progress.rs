//! Live progress of a run, for the terminal or a library user.

use crate::case::Group;
use crate::report::CaseReport;

/// Told what the runner is doing.
pub trait Progress: Send {
    /// A line of what the runner does outside the cases (pairing, cleaning up).
    fn step(&mut self, _text: &str) {}
    /// A group starts, with this many cases.
    fn group(&mut self, _group: Group, _cases: usize) {}
    /// A case finished.
    fn case(&mut self, _report: &CaseReport) {}
}

/// Progress nobody watches.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {}
