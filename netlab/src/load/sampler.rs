//! Memory and CPU of the controller (this process) and of every device process, sampled at a
//! fixed interval through the run, so growth shows as a trend rather than two points.

use super::procstat::{self, Pid, ProcSample};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One sample of the whole system.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SystemSample {
    /// Seconds since the sampler started.
    pub at_s: f64,
    /// The controller.
    pub controller: ProcSample,
    /// Device processes still alive.
    pub devices_alive: usize,
    /// Their resident memory summed, KiB.
    pub devices_rss_sum_kib: u64,
    /// The largest of them, KiB.
    pub devices_rss_max_kib: u64,
    /// Their proportional memory summed (shared pages counted once), KiB.
    pub devices_pss_sum_kib: u64,
    /// Their CPU ticks summed.
    pub devices_cpu_ticks: u64,
}

impl SystemSample {
    /// The mean resident memory of a live device, KiB.
    pub fn devices_rss_mean_kib(&self) -> u64 {
        self.devices_rss_sum_kib / self.devices_alive.max(1) as u64
    }
}

/// Takes one sample of this process and the processes `pids` (with their proportional
/// memory if `pss`).
pub fn take(pids: &[u32], since: Instant, pss: bool) -> SystemSample {
    let mut s = SystemSample {
        at_s: since.elapsed().as_secs_f64(),
        controller: procstat::sample(Pid::This, pss).unwrap_or_default(),
        ..SystemSample::default()
    };
    for p in pids {
        if let Some(d) = procstat::sample(Pid::Other(*p), pss) {
            s.devices_alive += 1;
            s.devices_rss_sum_kib += d.rss_kib;
            s.devices_pss_sum_kib += d.pss_kib;
            s.devices_rss_max_kib = s.devices_rss_max_kib.max(d.rss_kib);
            s.devices_cpu_ticks += d.cpu_ticks;
        }
    }
    s
}

/// Samples in the background until dropped.
pub struct Sampler {
    samples: Arc<Mutex<Vec<SystemSample>>>,
    task: tokio::task::JoinHandle<()>,
    pids: Vec<u32>,
    since: Instant,
}

impl Sampler {
    /// Samples `pids` and this process now and every `every`, calling `each` with every
    /// sample.
    pub fn start(
        pids: Vec<u32>,
        every: Duration,
        each: impl Fn(&SystemSample) + Send + 'static,
    ) -> Sampler {
        let since = Instant::now();
        let samples = Arc::new(Mutex::new(Vec::new()));
        let task = {
            let (samples, pids) = (samples.clone(), pids.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let s = take(&pids, since, false);
                    each(&s);
                    samples.lock().unwrap_or_else(|p| p.into_inner()).push(s);
                }
            })
        };
        Sampler {
            samples,
            task,
            pids,
            since,
        }
    }

    /// A sample now, with proportional memory (also kept with the others).
    pub fn now(&self) -> SystemSample {
        let s = take(&self.pids, self.since, true);
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(s);
        s
    }

    /// Every sample so far, in time order.
    pub fn samples(&self) -> Vec<SystemSample> {
        let mut v = self
            .samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        v.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        v
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Growth of a series from its first to its last value, and the least-squares slope per
/// minute (a flat series has a slope near zero even when it wobbles).
pub fn trend(points: &[(f64, f64)]) -> (f64, f64) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return (0.0, 0.0);
    };
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx * 60.0 } else { 0.0 };
    (last.1 - first.1, slope)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trend_gives_growth_and_slope_per_minute() {
        let flat = [(0.0, 100.0), (60.0, 104.0), (120.0, 100.0)];
        let (growth, slope) = trend(&flat);
        assert_eq!(growth, 0.0);
        assert!(slope.abs() < 1e-9);
        let rising = [(0.0, 0.0), (30.0, 5.0), (60.0, 10.0)];
        let (growth, slope) = trend(&rising);
        assert_eq!(growth, 10.0);
        assert!((slope - 10.0).abs() < 1e-9);
        assert_eq!(trend(&[]), (0.0, 0.0));
    }

    #[test]
    fn a_sample_reads_this_process_and_skips_gone_ones() {
        let s = take(&[u32::MAX], Instant::now(), false);
        assert!(s.controller.rss_kib > 0);
        assert_eq!(s.devices_alive, 0);
        assert_eq!(s.devices_rss_mean_kib(), 0);
    }
}
