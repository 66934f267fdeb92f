//! The JUnit XML report for CI systems: one `testsuite` per group, one `testcase` per case.
//! A MUST failure is a `failure` of type `MUST`, an unmet recommendation a `failure` of type
//! `SHOULD` (the exit status, not the XML, says whether the device conforms), INCONCLUSIVE an
//! `error`, NOT-APPLICABLE and WAIVED are `skipped` with their reason. The evidence of a case
//! that did not pass goes in its `system-out`.

use super::model::{CaseReport, RunReport};
use crate::case::Group;
use crate::verdict::Verdict;
use std::fmt::Write as _;

/// `text` escaped for XML content and attribute values; characters XML 1.0 does not allow are
/// replaced by U+FFFD so the document stays well-formed whatever a device sent.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn evidence(c: &CaseReport) -> String {
    let mut out = String::new();
    for r in &c.evidence {
        let _ = writeln!(
            out,
            "{:>6} ms {:?} {}: {}{}",
            r.at_ms,
            r.direction,
            r.label,
            r.decoded.as_deref().unwrap_or(""),
            if r.hex.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.hex)
            }
        );
    }
    if c.evidence_dropped > 0 {
        let _ = writeln!(out, "({} more records left out)", c.evidence_dropped);
    }
    out
}

fn testcase(c: &CaseReport, out: &mut String) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"orbit.conformance.{}\" time=\"{}\">",
        escape(c.info.id),
        escape(c.info.group.name()),
        seconds(c.duration_ms)
    );
    let observed = c.observed.as_deref().unwrap_or("");
    match c.verdict {
        Verdict::Pass => {}
        Verdict::Fail => {
            let rule = c.failed_rule.as_deref().unwrap_or("?");
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">expected: {}\nobserved: {}</failure>",
                c.info.level,
                escape(&format!(
                    "[{rule}] {}",
                    super::text::one_line(observed, 200)
                )),
                escape(c.expected.as_deref().unwrap_or("")),
                escape(observed)
            );
        }
        Verdict::Inconclusive => {
            let _ = writeln!(
                out,
                "      <error type=\"INCONCLUSIVE\" message=\"{}\">{}</error>",
                escape(&super::text::one_line(observed, 200)),
                escape(observed)
            );
        }
        Verdict::NotApplicable => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                escape(&format!("NOT-APPLICABLE: {observed}"))
            );
        }
        Verdict::Waived => {
            let (reason, expires) = c
                .waiver
                .as_ref()
                .map_or(("", ""), |w| (w.reason.as_str(), w.expires.as_str()));
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                escape(&format!(
                    "WAIVED until {expires}: {reason} (verdict without the waiver: {})",
                    c.waived_verdict.map_or("?", Verdict::as_str)
                ))
            );
        }
    }
    if c.verdict != Verdict::Pass && !c.evidence.is_empty() {
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            escape(&evidence(c))
        );
    }
    out.push_str("    </testcase>\n");
}

/// The report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let count = |f: &dyn Fn(&CaseReport) -> bool| report.cases.iter().filter(|c| f(c)).count();
    let failures = count(&|c| c.verdict == Verdict::Fail);
    let errors = count(&|c| c.verdict == Verdict::Inconclusive)
        + usize::from(report.harness_error.is_some());
    let skipped = count(&|c| matches!(c.verdict, Verdict::NotApplicable | Verdict::Waived));
    let _ = writeln!(
        out,
        "<testsuites name=\"orbit-conformance\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}\">",
        report.cases.len() + usize::from(report.harness_error.is_some()),
        seconds(report.stamp.duration_ms)
    );
    let s = &report.stamp;
    let mut properties = vec![
        ("schema", report.schema.clone()),
        ("suite_version", s.suite_version.clone()),
        ("spec_version", s.spec_version.clone()),
        ("target", s.target.clone()),
        ("transport", s.transport.clone()),
        ("seed", s.seed.to_string()),
    ];
    if let Some(d) = &s.device {
        properties.push(("vendor_id", format!("0x{:04x}", d.vendor_id)));
        properties.push(("product_id", format!("0x{:04x}", d.product_id)));
        properties.push(("serial", d.serial.clone()));
        properties.push(("firmware", d.firmware.clone().unwrap_or_default()));
    }
    let props = |out: &mut String| {
        out.push_str("    <properties>\n");
        for (k, v) in &properties {
            let _ = writeln!(
                out,
                "      <property name=\"{k}\" value=\"{}\"/>",
                escape(v)
            );
        }
        out.push_str("    </properties>\n");
    };
    if let Some(e) = &report.harness_error {
        out.push_str("  <testsuite name=\"harness\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n");
        props(&mut out);
        let _ = writeln!(
            out,
            "    <testcase name=\"harness.start\" classname=\"orbit.conformance.harness\" time=\"0.000\">\n      <error type=\"HARNESS\" message=\"{}\"/>\n    </testcase>\n  </testsuite>",
            escape(e)
        );
    }
    for g in Group::ALL {
        let cases: Vec<&CaseReport> = report.group(g).collect();
        if cases.is_empty() {
            continue;
        }
        let n = |f: &dyn Fn(&CaseReport) -> bool| cases.iter().filter(|c| f(c)).count();
        let time: u64 = cases.iter().map(|c| c.duration_ms).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            g.name(),
            cases.len(),
            n(&|c| c.verdict == Verdict::Fail),
            n(&|c| c.verdict == Verdict::Inconclusive),
            n(&|c| matches!(c.verdict, Verdict::NotApplicable | Verdict::Waived)),
            seconds(time)
        );
        props(&mut out);
        for c in cases {
            testcase(c, &mut out);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
