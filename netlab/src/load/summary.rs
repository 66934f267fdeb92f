//! A load run's figures: as one JSON document (for the long-scenario script's table) and as
//! text for a person.

use super::latency::{ms, Latencies};
use super::outcome::Tally;
use super::procstat;
use super::run::LoadConfig;
use super::sampler::{trend, SystemSample};
use super::sessions::OpenFigures;
use super::traffic::LoadFigures;
use serde_json::{json, Value};

/// What a load run measured.
#[derive(Debug, Default)]
pub struct Summary {
    /// Devices asked for.
    pub devices_planned: usize,
    /// Device hosts.
    pub hosts: usize,
    /// Devices whose process came up.
    pub devices_started: usize,
    /// Seconds to start them.
    pub start_s: f64,
    /// Sessions open when the load began.
    pub sessions: usize,
    /// Devices with no session.
    pub sessions_failed: usize,
    /// Pairing and connecting.
    pub open: OpenFigures,
    /// The load.
    pub load: LoadFigures,
    /// Requests per second asked for.
    pub rate_planned: f64,
    /// Seconds of load asked for.
    pub duration_s: f64,
    /// After the devices started.
    pub after_start: Option<SystemSample>,
    /// When the load began and ended.
    pub load_start: Option<SystemSample>,
    /// When the load ended.
    pub load_end: Option<SystemSample>,
    /// Every sample.
    pub samples: Vec<SystemSample>,
    /// Devices whose process exited during the run, with how.
    pub exited: Vec<(String, String)>,
}

fn tally_json(t: &Tally) -> Value {
    json!({
        "total": t.total(), "ok": t.ok, "lost": t.lost, "hung": t.hung,
        "statuses": t.statuses, "failures": t.failures,
        "success_rate": t.success_rate(),
        "p50_ms": ms(t.latency.percentile(50.0)), "p99_ms": ms(t.latency.percentile(99.0)),
        "max_ms": ms(t.latency.max()),
    })
}

fn lat_json(l: &Latencies) -> Value {
    json!({"n": l.len(), "p50_ms": ms(l.percentile(50.0)), "p99_ms": ms(l.percentile(99.0)),
           "max_ms": ms(l.max())})
}

impl Summary {
    /// An empty summary of a run of `config`.
    pub fn new(config: &LoadConfig) -> Summary {
        Summary {
            devices_planned: config.fleet.devices,
            hosts: config.fleet.hosts.len(),
            rate_planned: config.load.rate,
            duration_s: config.load.duration.as_secs_f64(),
            ..Summary::default()
        }
    }

    /// Requests issued during the load.
    pub fn requests(&self) -> u64 {
        self.load.reads.total() + self.load.writes.total()
    }

    /// Requests with no answer (the SDK's timeout, or not even that).
    pub fn lost(&self) -> u64 {
        self.load.reads.lost + self.load.writes.lost + self.load.reads.hung + self.load.writes.hung
    }

    /// CPU milliseconds per request of the controller and of the devices together, over
    /// the load.
    pub fn cpu_ms_per_request(&self) -> (f64, f64) {
        let (Some(a), Some(b)) = (self.load_start, self.load_end) else {
            return (0.0, 0.0);
        };
        let per_s = procstat::ticks_per_second();
        let n = self.requests().max(1) as f64;
        let ms_of = |ticks: u64| procstat::ticks_to_duration(ticks, per_s).as_secs_f64() * 1e3;
        (
            ms_of(
                b.controller
                    .cpu_ticks
                    .saturating_sub(a.controller.cpu_ticks),
            ) / n,
            ms_of(b.devices_cpu_ticks.saturating_sub(a.devices_cpu_ticks)) / n,
        )
    }

    /// (growth KiB, slope KiB/min) of the controller's and of the mean device's memory over
    /// the samples taken during the load.
    pub fn rss_trends(&self) -> ((f64, f64), (f64, f64)) {
        let (from, to) = match (self.load_start, self.load_end) {
            (Some(a), Some(b)) => (a.at_s, b.at_s),
            _ => return ((0.0, 0.0), (0.0, 0.0)),
        };
        let during: Vec<&SystemSample> = self
            .samples
            .iter()
            .filter(|s| s.at_s >= from && s.at_s <= to)
            .collect();
        let ctl: Vec<(f64, f64)> = during
            .iter()
            .map(|s| (s.at_s, s.controller.rss_kib as f64))
            .collect();
        let dev: Vec<(f64, f64)> = during
            .iter()
            .map(|s| (s.at_s, s.devices_rss_mean_kib() as f64))
            .collect();
        (trend(&ctl), trend(&dev))
    }

    /// The whole summary as JSON.
    pub fn to_json(&self) -> Value {
        let (ctl_cpu, dev_cpu) = self.cpu_ms_per_request();
        let ((ctl_growth, ctl_slope), (dev_growth, dev_slope)) = self.rss_trends();
        let sample = |s: &Option<SystemSample>| {
            s.map(|s| {
                json!({"at_s": s.at_s, "controller_rss_kib": s.controller.rss_kib,
                       "devices_alive": s.devices_alive,
                       "device_rss_mean_kib": s.devices_rss_mean_kib(),
                       "device_rss_max_kib": s.devices_rss_max_kib,
                       "devices_rss_sum_kib": s.devices_rss_sum_kib,
                       "devices_pss_sum_kib": s.devices_pss_sum_kib,
                       "controller_pss_kib": s.controller.pss_kib})
            })
        };
        let r = &self.load.reports;
        json!({
            "scenario": "load",
            "devices_planned": self.devices_planned, "hosts": self.hosts,
            "devices_started": self.devices_started, "start_s": self.start_s,
            "sessions": self.sessions, "sessions_failed": self.sessions_failed,
            "pairing": tally_json(&self.open.pairing),
            "connecting": tally_json(&self.open.connecting),
            "open_wall_s": self.open.wall.as_secs_f64(),
            "rate_planned": self.rate_planned, "rate_achieved": self.load.achieved_rate,
            "duration_s": self.duration_s, "skipped": self.load.skipped,
            "requests": self.requests(), "lost": self.lost(),
            "reads": tally_json(&self.load.reads), "writes": tally_json(&self.load.writes),
            "subscriptions": {
                "subscribed": r.subscribed, "subscribe_failures": r.subscribe_failures,
                "reports": r.reports, "keep_alives": r.keep_alives,
                "gap": lat_json(&r.gaps), "late": r.late, "lost": r.lost,
                "recovered": lat_json(&r.recovered), "recovery_failures": r.recovery_failures,
                "write_to_report": lat_json(&r.write_to_report),
                "superseded": r.superseded, "unreported": r.unreported,
            },
            "after_start": sample(&self.after_start),
            "load_start": sample(&self.load_start), "load_end": sample(&self.load_end),
            "controller_rss_growth_kib": ctl_growth, "controller_rss_slope_kib_per_min": ctl_slope,
            "device_rss_growth_kib": dev_growth, "device_rss_slope_kib_per_min": dev_slope,
            "controller_cpu_ms_per_request": ctl_cpu, "devices_cpu_ms_per_request": dev_cpu,
            "exited": self.exited.iter().map(|(n, s)| format!("{n}: {s}")).collect::<Vec<_>>(),
        })
    }

    /// The summary as text.
    pub fn print(&self) {
        let (ctl_cpu, dev_cpu) = self.cpu_ms_per_request();
        let ((ctl_growth, ctl_slope), (dev_growth, dev_slope)) = self.rss_trends();
        let r = &self.load.reports;
        println!(
            "devices: {} of {} started on {} host(s) in {:.1} s; {} sessions ({} failed) in {:.1} s",
            self.devices_started,
            self.devices_planned,
            self.hosts,
            self.start_s,
            self.sessions,
            self.sessions_failed,
            self.open.wall.as_secs_f64()
        );
        for (what, t) in [
            ("pairing", &self.open.pairing),
            ("connecting", &self.open.connecting),
            ("reads", &self.load.reads),
            ("writes", &self.load.writes),
        ] {
            println!(
                "  {what:<11} {:>7} ok {:>7} lost {:>3} statuses {:?} failures {:?}  p50 {} ms p99 {} ms max {} ms",
                t.total(),
                t.ok,
                t.lost,
                t.statuses,
                t.failures,
                ms(t.latency.percentile(50.0)),
                ms(t.latency.percentile(99.0)),
                ms(t.latency.max())
            );
        }
        println!(
            "  load: {:.1} requests/s asked, {:.1} achieved over {:.0} s; {} skipped at the in-flight cap; lost responses: {}",
            self.rate_planned,
            self.load.achieved_rate,
            self.duration_s,
            self.load.skipped,
            self.lost()
        );
        println!(
            "  subscriptions: {} ({} failed); {} reports, {} keep-alives; gap p50 {} ms max {} ms; {} late (> max+1 s), {} lost (> max+10 s [IM-64]); {} recovered; write->report p50 {} ms p99 {} ms; {} unreported",
            r.subscribed,
            r.subscribe_failures,
            r.reports,
            r.keep_alives,
            ms(r.gaps.percentile(50.0)),
            ms(r.gaps.max()),
            r.late,
            r.lost,
            r.recovered.len(),
            ms(r.write_to_report.percentile(50.0)),
            ms(r.write_to_report.percentile(99.0)),
            r.unreported
        );
        if let (Some(a), Some(b)) = (self.load_start, self.load_end) {
            println!(
                "  controller rss {} -> {} KiB (growth {:.0} KiB, slope {:.1} KiB/min); cpu {:.3} ms/request",
                a.controller.rss_kib, b.controller.rss_kib, ctl_growth, ctl_slope, ctl_cpu
            );
            println!(
                "  device rss mean {} -> {} KiB, max {} KiB, all {} MiB (pss, shared pages counted once: {} MiB) (growth {:.0} KiB, slope {:.1} KiB/min); devices' cpu {:.3} ms/request",
                a.devices_rss_mean_kib(),
                b.devices_rss_mean_kib(),
                b.devices_rss_max_kib,
                b.devices_rss_sum_kib / 1024,
                b.devices_pss_sum_kib / 1024,
                dev_growth,
                dev_slope,
                dev_cpu
            );
        }
        for (name, status) in &self.exited {
            println!("  device {name} exited: {status}");
        }
    }
}
