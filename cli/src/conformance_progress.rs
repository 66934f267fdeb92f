//! Live progress of `orbit conformance run` on stderr: on a terminal, one progress bar per
//! group redrawn in place; otherwise (CI logs, pipes) one plain line per case.

use orbit_conformance::case::Group;
use orbit_conformance::report::{text::one_line, CaseReport};
use orbit_conformance::{Level, Progress, Verdict};
use std::io::{IsTerminal, Write};

/// Width of the bar in characters.
const BAR: usize = 24;

/// Progress written to stderr.
pub(crate) struct TerminalProgress {
    tty: bool,
    group: Option<Group>,
    total: usize,
    done: usize,
    not_passed: usize,
}

impl TerminalProgress {
    /// Progress for this process's stderr.
    pub(crate) fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            group: None,
            total: 0,
            done: 0,
            not_passed: 0,
        }
    }

    fn bar(&self, last: &str) -> String {
        let filled = (self.done * BAR).checked_div(self.total).unwrap_or(BAR);
        format!(
            "\r\x1b[2K{:<14} [{}{}] {:>3}/{:<3} {}",
            self.group.map_or("", Group::name),
            "#".repeat(filled),
            ".".repeat(BAR.saturating_sub(filled)),
            self.done,
            self.total,
            last
        )
    }

    fn end_group(&mut self) {
        if let (true, Some(g)) = (self.tty, self.group) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "{}",
                self.bar(&format!(
                    "{} done, {} not passed",
                    g.name(),
                    self.not_passed
                ))
            );
        }
        self.group = None;
    }

    /// Ends the last group's bar.
    pub(crate) fn finish(&mut self) {
        self.end_group();
    }
}

fn verdict_label(r: &CaseReport) -> &'static str {
    match (r.verdict, r.info.level) {
        (Verdict::Fail, Level::Should) => "FAIL(SHOULD)",
        (v, _) => v.as_str(),
    }
}

impl Progress for TerminalProgress {
    fn step(&mut self, text: &str) {
        self.end_group();
        eprintln!("{}", one_line(text, 200));
    }

    fn group(&mut self, group: Group, cases: usize) {
        self.end_group();
        self.group = Some(group);
        self.total = cases;
        self.done = 0;
        self.not_passed = 0;
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{}", self.bar("starting"));
            let _ = err.flush();
        } else {
            eprintln!("group {}: {cases} case(s)", group.name());
        }
    }

    fn case(&mut self, report: &CaseReport) {
        self.done += 1;
        if report.verdict != Verdict::Pass {
            self.not_passed += 1;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(
                err,
                "{}",
                self.bar(&format!("{} {}", verdict_label(report), report.info.id))
            );
            let _ = err.flush();
        } else {
            let _ = writeln!(
                err,
                "  {:<14} {} ({} ms)",
                verdict_label(report),
                report.info.id,
                report.duration_ms
            );
        }
    }
}
