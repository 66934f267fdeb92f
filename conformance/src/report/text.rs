//! The summary table a terminal shows after a run: counts per group, the waived cases, the
//! MUST failures with their rule and a one-line reason, the unmet recommendations (SHOULD),
//! the inconclusive cases, and the one command that replays a failed case from its seed.

use super::model::{CaseReport, RunReport};
use crate::case::Group;
use crate::verdict::{Level, Verdict};
use std::fmt::Write as _;

/// Longest reason shown on a summary line (the reports carry the whole text).
const REASON_CHARS: usize = 110;

/// `text` on one line, at most `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let head: String = flat.chars().take(max.saturating_sub(3)).collect();
        format!("{head}...")
    }
}

/// Per-group counts: pass, fail (MUST), fail (SHOULD), not applicable, inconclusive, waived.
pub fn group_counts(report: &RunReport, group: Group) -> [usize; 6] {
    let mut n = [0usize; 6];
    for c in report.group(group) {
        let slot = match (c.verdict, c.info.level) {
            (Verdict::Pass, _) => 0,
            (Verdict::Fail, Level::Must) => 1,
            (Verdict::Fail, Level::Should) => 2,
            (Verdict::NotApplicable, _) => 3,
            (Verdict::Inconclusive, _) => 4,
            (Verdict::Waived, _) => 5,
        };
        if let Some(v) = n.get_mut(slot) {
            *v += 1;
        }
    }
    n
}

/// Why a case did not pass, on one line.
pub fn reason(c: &CaseReport) -> String {
    match (c.verdict, &c.failed_rule) {
        (Verdict::Fail, Some(rule)) => one_line(
            &format!(
                "[{rule}] expected {}; observed {}",
                c.expected.as_deref().unwrap_or("?"),
                c.observed.as_deref().unwrap_or("?")
            ),
            REASON_CHARS,
        ),
        _ => one_line(c.observed.as_deref().unwrap_or(""), REASON_CHARS),
    }
}

/// The command that replays `case` with the run's seed.
pub fn replay_command(report: &RunReport, case: &str) -> String {
    format!(
        "orbit conformance run --target {} --setup-code CODE --seed {} --only {case}",
        report.stamp.target, report.stamp.seed
    )
}

/// The summary as the terminal shows it.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    let s = &report.stamp;
    let _ = writeln!(
        out,
        "\norbit conformance {} (spec {}) against {} over {}, seed {}",
        s.suite_version,
        s.spec_version,
        s.target,
        if s.transport.is_empty() {
            "?"
        } else {
            &s.transport
        },
        s.seed
    );
    if let Some(d) = &s.device {
        let _ = writeln!(
            out,
            "device: vendor 0x{:04x}, product 0x{:04x}, serial {}, firmware {}, spec version {}",
            d.vendor_id,
            d.product_id,
            d.serial,
            d.firmware.as_deref().unwrap_or("(not exposed)"),
            d.spec_version
        );
    }
    if let Some(e) = &report.harness_error {
        let _ = writeln!(out, "\nthe run could not complete: {}", one_line(e, 400));
    }
    if !report.cases.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<14} {:>5} {:>5} {:>7} {:>5} {:>8} {:>7}",
            "group", "pass", "fail", "should", "n/a", "inconcl", "waived"
        );
        let mut total = [0usize; 6];
        for g in Group::ALL {
            if report.group(g).next().is_none() {
                continue;
            }
            let n = group_counts(report, g);
            for (t, v) in total.iter_mut().zip(n) {
                *t += v;
            }
            let _ = writeln!(
                out,
                "{:<14} {:>5} {:>5} {:>7} {:>5} {:>8} {:>7}",
                g.name(),
                n[0],
                n[1],
                n[2],
                n[3],
                n[4],
                n[5]
            );
        }
        let _ = writeln!(
            out,
            "{:<14} {:>5} {:>5} {:>7} {:>5} {:>8} {:>7}",
            "total", total[0], total[1], total[2], total[3], total[4], total[5]
        );
    }
    let list = |out: &mut String, title: &str, pick: &dyn Fn(&CaseReport) -> bool| {
        let picked: Vec<&CaseReport> = report.cases.iter().filter(|c| pick(c)).collect();
        if picked.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title}:");
        for c in picked {
            let _ = writeln!(out, "  {:<40} {}", c.info.id, reason(c));
        }
    };
    let waived: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(out, "\nwaived (not counted as passes):");
        for c in waived {
            if let Some(w) = &c.waiver {
                let _ = writeln!(
                    out,
                    "  {:<40} until {}: {} (verdict without the waiver: {})",
                    c.info.id,
                    w.expires,
                    one_line(&w.reason, 80),
                    c.waived_verdict.map_or("?", Verdict::as_str)
                );
            }
        }
    }
    list(
        &mut out,
        "MUST failures (the device does not conform)",
        &|c| c.verdict == Verdict::Fail && c.info.level == Level::Must,
    );
    list(&mut out, "unmet recommendations (SHOULD)", &|c| {
        c.verdict == Verdict::Fail && c.info.level == Level::Should
    });
    list(&mut out, "inconclusive (never a pass; run again)", &|c| {
        c.verdict == Verdict::Inconclusive
    });
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\nmanifest findings:");
        for f in &report.findings {
            let _ = writeln!(
                out,
                "  {}: manifest says {}, device shows {}",
                f.subject, f.manifest, f.device
            );
        }
    }
    let replayable = report
        .cases
        .iter()
        .find(|c| matches!(c.verdict, Verdict::Fail | Verdict::Inconclusive));
    if let Some(c) = replayable {
        let _ = writeln!(
            out,
            "\nreplay a case with its seed:\n  {}",
            replay_command(report, c.info.id)
        );
    }
    let verdict = match report.exit_code() {
        super::model::EXIT_PASS => "PASS: every applicable MUST case passed",
        super::model::EXIT_FAIL => "FAIL: a MUST case failed",
        _ => "INCONCLUSIVE: the harness could not decide",
    };
    let _ = writeln!(
        out,
        "\n{verdict} (exit {}; {} ms)",
        report.exit_code(),
        report.stamp.duration_ms
    );
    out
}
