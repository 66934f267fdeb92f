//! Figures: percentiles, resident memory, and the summary table.

use std::time::Duration;

/// The `p`-th percentile (0..=100, nearest rank) of `samples`; `None` when empty.
pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

/// The resident memory of process `pid` in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// One line of the summary table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// The scenario.
    pub scenario: String,
    /// Its setting (loss, delay, mechanism).
    pub setting: String,
    /// Operations that succeeded.
    pub ok: usize,
    /// Operations tried.
    pub total: usize,
    /// Median time of one operation.
    pub p50: Option<Duration>,
    /// 99th percentile.
    pub p99: Option<Duration>,
    /// Time from the end of the fault to working again.
    pub recovery: Option<Duration>,
    /// Resident memory (free text: whose, how much).
    pub rss: String,
    /// Whether its pass criterion held.
    pub passed: bool,
    /// Why not, or a remark.
    pub note: String,
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | setting | result | success | p50 | p99 | recovery | RSS | note |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows {
        let rate = if r.total == 0 {
            "-".to_owned()
        } else {
            format!(
                "{}/{} ({:.1} %)",
                r.ok,
                r.total,
                100.0 * r.ok as f64 / r.total as f64
            )
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.setting,
            if r.passed { "pass" } else { "FAIL" },
            rate,
            ms(r.p50),
            ms(r.p99),
            ms(r.recovery),
            if r.rss.is_empty() { "-" } else { &r.rss },
            r.note
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let s: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&s, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&s, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&s, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(
            percentile(&[Duration::from_millis(7)], 99.0),
            Some(Duration::from_millis(7))
        );
    }
}
