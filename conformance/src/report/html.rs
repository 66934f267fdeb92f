//! One self-contained HTML file (inline CSS and script, nothing fetched): the stamp, the
//! counts per group, filters by verdict and group, every case with its evidence (sent and
//! received, decoded and hex), the manifest findings and the coverage table. Everything is
//! rendered here, so the page reads the same with scripts off; the script only filters.

use super::model::{CaseReport, RunReport};
use crate::case::Group;
use crate::coverage::{Coverage, RuleLevel};
use crate::evidence::Direction;
use crate::verdict::Verdict;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// `text` escaped for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1b1f24;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
table.kv{width:auto}table.kv th{width:12em}
.v{display:inline-block;padding:0 6px;border-radius:3px;font-weight:600;font-size:.85em;white-space:nowrap}
.v-PASS{background:#dafbe1;color:#116329}.v-FAIL{background:#ffebe9;color:#a40e26}.v-SHOULD{background:#fff8c5;color:#7d4e00}
.v-NOT-APPLICABLE{background:#eaeef2;color:#57606a}.v-INCONCLUSIVE{background:#fbefff;color:#8250df}.v-WAIVED{background:#ddf4ff;color:#0550ae}
.result{font-size:1.1em;padding:.5em;border-radius:4px}.result.pass{background:#dafbe1}.result.fail{background:#ffebe9}.result.harness{background:#fbefff}
#filters{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.5em;background:#f6f8fa;border:1px solid #d0d7de}
tbody[hidden]{display:none}tr.detail td{background:#fcfcfd}details summary{cursor:pointer;color:#0550ae}
table.ev td{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,monospace}td.hex{word-break:break-all;color:#57606a;max-width:28em}td.dec{word-break:break-word}
.d-sent{color:#0550ae}.d-received{color:#116329}.d-note{color:#57606a}.missing{color:#a40e26;font-weight:600}
code{font:12px ui-monospace,monospace}small.ids{color:#57606a}
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input.f-verdict'));
  var group = document.getElementById('f-group');
  var cases = Array.prototype.slice.call(document.querySelectorAll('tbody.case'));
  var shown = document.getElementById('shown');
  function apply() {
    var verdicts = {};
    boxes.forEach(function (b) { if (b.checked) { verdicts[b.value] = true; } });
    var g = group.value;
    var n = 0;
    cases.forEach(function (c) {
      var on = verdicts[c.getAttribute('data-verdict')] === true &&
        (g === '' || c.getAttribute('data-group') === g);
      c.hidden = !on;
      if (on) { n += 1; }
    });
    shown.textContent = n + ' of ' + cases.length + ' cases shown';
    shown.setAttribute('data-shown', String(n));
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  group.addEventListener('change', apply);
  Array.prototype.slice.call(document.querySelectorAll('a.only-verdict')).forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      var v = a.getAttribute('data-verdict');
      boxes.forEach(function (b) { b.checked = b.value === v; });
      group.value = a.getAttribute('data-group') || '';
      apply();
      document.getElementById('cases').scrollIntoView();
    });
  });
  apply();
}());
"#;

fn badge(c: &CaseReport) -> String {
    let class = if c.verdict == Verdict::Fail && c.info.level == crate::Level::Should {
        "SHOULD"
    } else {
        c.verdict.as_str()
    };
    let label = if class == "SHOULD" {
        "FAIL (SHOULD)"
    } else {
        c.verdict.as_str()
    };
    format!("<span class=\"v v-{class}\">{label}</span>")
}

/// `unix` as `YYYY-MM-DD HH:MM:SS UTC (Unix N)`.
fn utc(unix: u64) -> String {
    let day = unix % 86_400;
    format!(
        "{} {:02}:{:02}:{:02} UTC (Unix {unix})",
        crate::waivers::civil_date(unix / 86_400),
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

fn stamp(report: &RunReport, out: &mut String) {
    let s = &report.stamp;
    let mut rows = vec![
        ("Suite version", s.suite_version.clone()),
        ("Spec version", s.spec_version.clone()),
        ("Target", s.target.clone()),
        ("Transport", s.transport.clone()),
        ("Seed", s.seed.to_string()),
        ("Started", utc(s.started_unix)),
        ("Duration", format!("{} ms", s.duration_ms)),
        ("Report schema", report.schema.clone()),
    ];
    match &s.device {
        Some(d) => {
            rows.push(("Vendor ID", format!("0x{:04x}", d.vendor_id)));
            rows.push(("Product ID", format!("0x{:04x}", d.product_id)));
            rows.push(("Serial", d.serial.clone()));
            rows.push((
                "Firmware",
                d.firmware.clone().unwrap_or_else(|| "(not exposed)".into()),
            ));
            rows.push(("Device spec version", d.spec_version.to_string()));
        }
        None => rows.push((
            "Device",
            "(not identified: the suite could not pair)".into(),
        )),
    }
    out.push_str("<section id=\"stamp\"><h2>Run</h2><table class=\"kv\">\n");
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    out.push_str("</table></section>\n");
}

fn counts(report: &RunReport, out: &mut String) {
    let s = &report.summary;
    out.push_str("<section id=\"summary\"><h2>Summary</h2><table id=\"counts\">\n<tr><th>Group</th><th>PASS</th><th>FAIL (MUST)</th><th>FAIL (SHOULD)</th><th>NOT-APPLICABLE</th><th>INCONCLUSIVE</th><th>WAIVED</th><th>Total</th></tr>\n");
    let link = |n: usize, verdict: &str, group: &str| {
        if n == 0 {
            "0".to_owned()
        } else {
            format!("<a href=\"#cases\" class=\"only-verdict\" data-verdict=\"{verdict}\" data-group=\"{group}\">{n}</a>")
        }
    };
    for g in Group::ALL {
        let total = report.group(g).count();
        if total == 0 {
            continue;
        }
        let n = super::text::group_counts(report, g);
        let _ = writeln!(
            out,
            "<tr data-group=\"{0}\"><th>{0}</th><td class=\"n\">{1}</td><td class=\"n\">{2}</td><td class=\"n\">{3}</td><td class=\"n\">{4}</td><td class=\"n\">{5}</td><td class=\"n\">{6}</td><td class=\"n\">{total}</td></tr>",
            g.name(),
            link(n[0], "PASS", g.name()),
            link(n[1], "FAIL", g.name()),
            link(n[2], "FAIL", g.name()),
            link(n[3], "NOT-APPLICABLE", g.name()),
            link(n[4], "INCONCLUSIVE", g.name()),
            link(n[5], "WAIVED", g.name()),
        );
    }
    let cell = |key: &str, n: usize| {
        format!("<td class=\"n\" id=\"count-{key}\" data-count=\"{key}\">{n}</td>")
    };
    let _ = writeln!(
        out,
        "<tr id=\"count-row\"><th>All groups</th>{}{}{}{}{}{}{}</tr>\n</table></section>",
        cell("pass", s.pass),
        cell("fail_must", s.fail_must),
        cell("fail_should", s.fail_should),
        cell("not_applicable", s.not_applicable),
        cell("inconclusive", s.inconclusive),
        cell("waived", s.waived),
        cell("total", s.total),
    );
}

fn evidence(c: &CaseReport, out: &mut String) {
    let _ = write!(
        out,
        "<details><summary>Details and evidence ({} records{})</summary>\n<table class=\"kv\">",
        c.evidence.len(),
        if c.evidence_dropped > 0 {
            format!(", {} more left out", c.evidence_dropped)
        } else {
            String::new()
        }
    );
    let mut kv = |k: &str, v: &str| {
        let _ = write!(out, "<tr><th>{k}</th><td>{}</td></tr>", escape(v));
    };
    kv("Spec IDs", &c.info.spec_ids.join(", "));
    if let Some(r) = &c.failed_rule {
        kv("Rule broken", r);
    }
    if let Some(e) = &c.expected {
        kv("Expected", e);
    }
    if let Some(o) = &c.observed {
        kv(
            if c.verdict == Verdict::Fail {
                "Observed"
            } else {
                "Reason"
            },
            o,
        );
    }
    if let Some(w) = &c.waiver {
        kv(
            "Waiver",
            &format!(
                "until {}: {} (verdict without the waiver: {})",
                w.expires,
                w.reason,
                c.waived_verdict.map_or("?", Verdict::as_str)
            ),
        );
    }
    kv("Case seed", &c.seed.to_string());
    kv("Attempts", &c.attempts.to_string());
    out.push_str("</table>\n");
    if !c.evidence.is_empty() {
        out.push_str("<table class=\"ev\"><tr><th>ms</th><th>Direction</th><th>What</th><th>Decoded</th><th>Hex</th></tr>\n");
        for r in &c.evidence {
            let (class, arrow) = match r.direction {
                Direction::Sent => ("d-sent", "sent &rarr;"),
                Direction::Received => ("d-received", "&larr; received"),
                Direction::Note => ("d-note", "note"),
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td class=\"n\">{}</td><td>{arrow}</td><td>{}</td><td class=\"dec\">{}</td><td class=\"hex\">{}</td></tr>",
                r.at_ms,
                escape(&r.label),
                escape(r.decoded.as_deref().unwrap_or("")),
                escape(&r.hex)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</details>");
}

fn cases(report: &RunReport, out: &mut String) {
    out.push_str(
        "<section id=\"cases\"><h2>Cases</h2>\n<div id=\"filters\"><span>Verdict:</span>\n",
    );
    for v in [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::NotApplicable,
        Verdict::Inconclusive,
        Verdict::Waived,
    ] {
        let n = report.cases.iter().filter(|c| c.verdict == v).count();
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" class=\"f-verdict\" value=\"{0}\" checked> {0} ({n})</label>",
            v.as_str()
        );
    }
    out.push_str("<label>Group: <select id=\"f-group\"><option value=\"\">all groups</option>");
    for g in Group::ALL {
        if report.group(g).next().is_some() {
            let _ = write!(out, "<option value=\"{0}\">{0}</option>", g.name());
        }
    }
    let _ = writeln!(
        out,
        "</select></label><span id=\"shown\" data-shown=\"{0}\">{0} of {0} cases shown</span></div>",
        report.cases.len()
    );
    out.push_str("<table id=\"case-table\"><thead><tr><th>Case</th><th>Title</th><th>Level</th><th>Verdict</th><th>Reason</th><th>ms</th></tr></thead>\n");
    for c in &report.cases {
        let _ = writeln!(
            out,
            "<tbody class=\"case\" id=\"case-{id}\" data-verdict=\"{v}\" data-group=\"{g}\" data-level=\"{l}\"><tr><td><code>{id}</code><br><small class=\"ids\">{ids}</small></td><td>{title}</td><td>{l}</td><td>{badge}</td><td>{reason}</td><td class=\"n\">{ms}</td></tr>",
            id = escape(c.info.id),
            ids = escape(&c.info.spec_ids.join(" ")),
            v = c.verdict.as_str(),
            g = c.info.group.name(),
            l = c.info.level,
            title = escape(c.info.title),
            badge = badge(c),
            reason = escape(&super::text::reason(c)),
            ms = c.duration_ms,
        );
        out.push_str("<tr class=\"detail\"><td colspan=\"6\">");
        evidence(c, out);
        out.push_str("</td></tr></tbody>\n");
    }
    out.push_str("</table></section>\n");
}

fn findings(report: &RunReport, out: &mut String) {
    out.push_str("<section id=\"findings\"><h2>Manifest findings</h2>\n");
    if report.findings.is_empty() {
        out.push_str("<p>No differences between the manifest and the device (or no manifest was given).</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>Subject</th><th>Manifest claims</th><th>Device shows</th></tr>\n",
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "<tr class=\"finding\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&f.subject),
                escape(&f.manifest),
                escape(&f.device)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn coverage(report: &RunReport, cov: &Coverage, out: &mut String) {
    let verdicts: BTreeMap<&str, &CaseReport> =
        report.cases.iter().map(|c| (c.info.id, c)).collect();
    let _ = writeln!(
        out,
        "<section id=\"coverage\"><h2>Coverage of spec/v1</h2>\n<p id=\"coverage-figure\">{}.</p>",
        escape(&cov.figure())
    );
    if !cov.problems.is_empty() {
        out.push_str("<ul class=\"problems\">");
        for p in &cov.problems {
            let _ = write!(out, "<li class=\"missing\">{}</li>", escape(p));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<table id=\"coverage-table\"><tr><th>Rule</th><th>Level</th><th>Chapter</th><th>Observed by (verdict in this run)</th><th>Not observable because</th></tr>\n");
    for row in &cov.rows {
        let mut by = String::new();
        for (i, id) in row.cases.iter().enumerate() {
            if i > 0 {
                by.push_str(", ");
            }
            match verdicts.get(id.as_str()) {
                Some(c) => {
                    let _ = write!(
                        by,
                        "<a href=\"#case-{0}\"><code>{0}</code></a> {1}",
                        escape(id),
                        badge(c)
                    );
                }
                None => {
                    let _ = write!(by, "<code>{}</code> (not run)", escape(id));
                }
            }
        }
        let reason = match (&row.reason, row.observed()) {
            (Some(r), _) => escape(r),
            (None, true) => String::new(),
            (None, false) => "<span class=\"missing\">not covered</span>".to_owned(),
        };
        let _ = writeln!(
            out,
            "<tr class=\"rule\" data-rule=\"{0}\"><td title=\"{1}\">{0}</td><td>{2}</td><td>{3}</td><td>{by}</td><td>{reason}</td></tr>",
            escape(&row.rule.id),
            escape(&row.rule.text),
            if row.rule.level == RuleLevel::Must { "MUST" } else { "SHOULD" },
            escape(&row.rule.chapter),
        );
    }
    out.push_str("</table></section>\n");
}

/// The report as one self-contained HTML page, with `coverage` as its coverage table.
pub fn render(report: &RunReport, coverage_table: &Coverage) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let device = report
        .stamp
        .device
        .as_ref()
        .map(|d| {
            format!(
                "vendor 0x{:04x} product 0x{:04x} serial {}",
                d.vendor_id, d.product_id, d.serial
            )
        })
        .unwrap_or_else(|| report.stamp.target.clone());
    let _ = writeln!(
        out,
        "<title>Orbit conformance: {}</title>\n<style>{STYLE}</style></head><body>",
        escape(&device)
    );
    let (class, text) = match report.exit_code() {
        super::model::EXIT_PASS => ("pass", "PASS: every applicable MUST case passed"),
        super::model::EXIT_FAIL => ("fail", "FAIL: a MUST case failed"),
        _ => ("harness", "INCONCLUSIVE: the harness could not decide"),
    };
    let _ = writeln!(
        out,
        "<header><h1>Orbit conformance report</h1><p class=\"result {class}\" id=\"result\" data-exit=\"{}\">{text} (exit status {})</p></header>",
        report.exit_code(),
        report.exit_code()
    );
    if let Some(e) = &report.harness_error {
        let _ = writeln!(
            out,
            "<p class=\"result harness\" id=\"harness-error\">The run could not complete: {}</p>",
            escape(e)
        );
    }
    stamp(report, &mut out);
    counts(report, &mut out);
    findings(report, &mut out);
    cases(report, &mut out);
    coverage(report, coverage_table, &mut out);
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_and_text_is_escaped() {
        assert_eq!(
            utc(1_796_292_149),
            "2026-12-03 10:02:29 UTC (Unix 1796292149)"
        );
        assert_eq!(
            escape("<a href='x'>&\u{1}</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;\u{fffd}&lt;/a&gt;"
        );
    }
}
