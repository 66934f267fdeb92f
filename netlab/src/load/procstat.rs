//! What a process costs, read from `/proc`: its resident memory (`VmRSS` in
//! `/proc/PID/status`) and the CPU time it used (`utime` + `stime` in `/proc/PID/stat`).
//! Reading `/proc` needs no privilege for one's own children and no `unsafe` (getrusage would).

use std::time::Duration;

/// One reading of a process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcSample {
    /// Resident memory in KiB.
    pub rss_kib: u64,
    /// Proportional share of it in KiB (`Pss` of `smaps_rollup`: pages shared with other
    /// processes, such as the program's code, counted by their share), 0 if unknown.
    pub pss_kib: u64,
    /// User plus system CPU time in clock ticks.
    pub cpu_ticks: u64,
}

/// Which process to read.
#[derive(Clone, Copy, Debug)]
pub enum Pid {
    /// This process.
    This,
    /// Another one.
    Other(u32),
}

impl Pid {
    fn dir(self) -> String {
        match self {
            Pid::This => "/proc/self".to_owned(),
            Pid::Other(p) => format!("/proc/{p}"),
        }
    }
}

/// Reads `pid`, or `None` when it is gone (or `/proc` is not there). With `pss`, also its
/// proportional memory, which costs a walk of its page tables (a millisecond for a device;
/// a second for a thousand of them, so not on every periodic sample).
pub fn sample(pid: Pid, pss: bool) -> Option<ProcSample> {
    let dir = pid.dir();
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    let pss = if pss {
        std::fs::read_to_string(format!("{dir}/smaps_rollup"))
            .ok()
            .and_then(|r| field_kib(&r, "Pss:"))
            .unwrap_or(0)
    } else {
        0
    };
    Some(ProcSample {
        rss_kib: rss_kib(&status)?,
        pss_kib: pss,
        cpu_ticks: cpu_ticks(&stat)?,
    })
}

/// `VmRSS` of a `/proc/PID/status` text, in KiB.
pub fn rss_kib(status: &str) -> Option<u64> {
    field_kib(status, "VmRSS:")
}

/// The value of the line starting with `name` (`Name:   123 kB`), in KiB.
fn field_kib(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// `utime + stime` of a `/proc/PID/stat` line. The command name (field 2) is in parentheses
/// and may hold spaces, so fields are counted from the last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let after = stat.rsplit_once(')')?.1;
    let mut fields = after.split_whitespace();
    // After the name: state (3), ppid (4) ... utime is field 14, stime 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`), 100 when that cannot be asked.
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// `ticks` as time.
pub fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / per_second.max(1) as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rss_and_cpu_come_from_the_right_fields() {
        let status = "Name:\torbit\nVmPeak:\t  362608 kB\nVmRSS:\t   15592 kB\nThreads:\t5\n";
        assert_eq!(rss_kib(status), Some(15592));
        assert_eq!(rss_kib("Name:\tx\n"), None);
        let rollup =
            "Rss:               16928 kB\nPss:                2036 kB\nPss_Dirty: 2004 kB\n";
        assert_eq!(field_kib(rollup, "Pss:"), Some(2036));
        // A name with spaces and a parenthesis must not shift the fields.
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    37 11 0 0 20 0 5 0 100 362608000 3898 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(48));
        assert_eq!(cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let s = sample(Pid::This, true).unwrap();
        assert!(s.rss_kib > 0 && s.pss_kib > 0);
        assert_eq!(sample(Pid::This, false).unwrap().pss_kib, 0);
        assert!(ticks_per_second() > 0);
        assert_eq!(sample(Pid::Other(u32::MAX), false), None);
    }
}
