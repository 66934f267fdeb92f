//! The long scenarios, in one lab: pairing and control under every loss, delay and
//! reordering setting; the hostile host; the sustained load. Each prints its detail as it
//! ends; all end up in one summary table (scenario, setting, success, p50/p99, recovery, RSS)
//! and in `DIR/long-results.jsonl` and `DIR/summary.md`.

pub mod matrix;

use crate::hostile::honest::{self, Attacker, HostilePlan};
use crate::load::fleet::{DeviceHost, FleetPlan};
use crate::load::outcome::Tally;
use crate::load::run::{self as load_run, LoadConfig};
use crate::load::sessions::OpenPlan;
use crate::load::summary::Summary;
use crate::load::traffic::LoadPlan;
use crate::stats::{table, Row};
use crate::{Host, Lab};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A part of the long scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Pairing and control under loss, delay and reordering.
    Matrix,
    /// The hostile host.
    Hostile,
    /// The sustained load.
    Load,
}

impl std::str::FromStr for Part {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "matrix" => Ok(Part::Matrix),
            "hostile" => Ok(Part::Hostile),
            "load" => Ok(Part::Load),
            other => Err(format!("unknown part {other:?} (matrix, hostile, load)")),
        }
    }
}

/// What to run, and how big.
#[derive(Clone, Debug)]
pub struct LongPlan {
    /// The `orbit` binary.
    pub orbit: PathBuf,
    /// This program (the attacker runs its `attack` command).
    pub program: PathBuf,
    /// Stores, logs and results (the load's paired devices are kept here between runs).
    pub dir: PathBuf,
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// Devices per impairment setting.
    pub matrix_devices: usize,
    /// Seconds of control per setting.
    pub matrix_seconds: u64,
    /// Requests per second per setting.
    pub matrix_rate: f64,
    /// Seconds per hostile phase.
    pub hostile_seconds: u64,
    /// Honest requests per second.
    pub hostile_rate: f64,
    /// Devices under sustained load.
    pub load_devices: usize,
    /// Device hosts they run on.
    pub load_hosts: usize,
    /// Requests per second over all of them.
    pub load_rate: f64,
    /// Minutes of load.
    pub load_minutes: u64,
    /// Devices paired or connected at once.
    pub load_concurrency: usize,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Runs the parts of `plan` in a new lab (removed at the end, also on error or signal) and
/// returns the summary rows.
pub fn run(plan: &LongPlan) -> Result<Vec<Row>, String> {
    crate::check().map_err(|e| format!("the lab cannot run here: {e}"))?;
    std::fs::create_dir_all(&plan.dir).map_err(err)?;
    let results = plan.dir.join("long-results.jsonl");
    let mut jsonl = std::fs::File::create(&results).map_err(err)?;
    let lab = Lab::new().map_err(err)?;
    println!(
        "netlab-long: lab {} (delay and reordering by {})",
        lab.prefix(),
        crate::delay_mechanism()
    );
    let ctl = lab.add_host("ctl").map_err(err)?;
    let ctl_rt = ctl.runtime(2).map_err(err)?;
    let mut rows = Vec::new();
    for part in &plan.parts {
        match part {
            Part::Matrix => {
                let dev = lab.add_host("mdev").map_err(err)?;
                let relay = lab.add_host("relay").map_err(err)?;
                let relay_rt = relay.runtime(1).map_err(err)?;
                let bench = matrix::Bench {
                    device_host: &dev,
                    relay: (&relay, &relay_rt),
                    orbit: plan.orbit.clone(),
                    dir: plan.dir.clone(),
                    devices: plan.matrix_devices,
                    seconds: plan.matrix_seconds,
                    rate: plan.matrix_rate,
                };
                for (n, setting) in matrix::settings().into_iter().enumerate() {
                    let desc = setting.describe();
                    println!("netlab-long: pairing and control, {desc}");
                    let (config, applied) = bench.prepare(setting, n)?;
                    let summary = ctl_rt
                        .block_on(load_run::run(config))
                        .map_err(err)?
                        .map_err(err)?;
                    drop(applied);
                    summary.print();
                    let mut doc = summary.to_json();
                    if let Some(fields) = doc.as_object_mut() {
                        fields.insert("scenario".into(), "matrix".into());
                        fields.insert("setting".into(), desc.clone().into());
                    }
                    let _ = writeln!(jsonl, "{doc}");
                    rows.extend(matrix_rows(&desc, &summary));
                }
            }
            Part::Hostile => {
                let dev = lab.add_host("hdev").map_err(err)?;
                let attacker = lab.add_host("attacker").map_err(err)?;
                let hplan = HostilePlan {
                    fleet: FleetPlan {
                        orbit: plan.orbit.clone(),
                        hosts: vec![device_host(&dev)],
                        devices: 1,
                        first_port: 21_000,
                        dir: plan.dir.join("hostile"),
                        kind: "lamp".into(),
                        batch: 1,
                        start_timeout: Duration::from_secs(60),
                    },
                    phase: Duration::from_secs(plan.hostile_seconds),
                    rate: plan.hostile_rate,
                    attacker: Attacker {
                        program: plan.program.clone(),
                        netns: Some(attacker.ns().to_owned()),
                        args: Vec::new(),
                    },
                };
                println!("netlab-long: hostile host");
                let phases = ctl_rt.block_on(honest::run(hplan)).map_err(err)??;
                honest::print(&phases);
                for p in &phases {
                    let _ = writeln!(jsonl, "{}", p.to_json());
                    rows.push(hostile_row(p));
                }
            }
            Part::Load => {
                let hosts: Vec<Host> = (0..plan.load_hosts.max(1))
                    .map(|i| lab.add_host(&format!("ld{i}")))
                    .collect::<Result<_, _>>()
                    .map_err(err)?;
                let config = LoadConfig {
                    fleet: FleetPlan {
                        orbit: plan.orbit.clone(),
                        hosts: hosts.iter().map(device_host).collect(),
                        devices: plan.load_devices,
                        first_port: 20_000,
                        dir: plan.dir.join("load"),
                        kind: "lamp".into(),
                        batch: 16,
                        start_timeout: Duration::from_secs(120),
                    },
                    load: LoadPlan {
                        rate: plan.load_rate,
                        duration: Duration::from_secs(plan.load_minutes * 60),
                        write_share: 0.5,
                        max_interval_s: 10,
                        max_in_flight: 2000,
                    },
                    open: OpenPlan {
                        concurrency: plan.load_concurrency,
                        attempts: 2,
                    },
                    fresh: false,
                    sample_every: Duration::from_secs(10),
                    reach: Arc::new(|_| None),
                };
                println!(
                    "netlab-long: sustained load, {} devices on {} hosts, {} requests/s, {} min",
                    plan.load_devices,
                    hosts.len(),
                    plan.load_rate,
                    plan.load_minutes
                );
                let summary = ctl_rt
                    .block_on(load_run::run(config))
                    .map_err(err)?
                    .map_err(err)?;
                summary.print();
                let _ = writeln!(jsonl, "{}", summary.to_json());
                rows.push(load_row(plan, &summary));
            }
        }
    }
    drop(ctl_rt);
    lab.remove().map_err(err)?;
    let md = table(&rows);
    let _ = std::fs::write(plan.dir.join("summary.md"), &md);
    println!("\n{md}");
    println!(
        "netlab-long: details in {} and {}",
        results.display(),
        plan.dir.join("summary.md").display()
    );
    Ok(rows)
}

fn device_host(h: &Host) -> DeviceHost {
    DeviceHost {
        name: h.name().to_owned(),
        ip: h.ip().into(),
        netns: Some(h.ns().to_owned()),
    }
}

/// The statuses and failures of `t`, briefly.
fn outcomes(t: &Tally) -> String {
    let mut parts: Vec<String> = t
        .statuses
        .iter()
        .map(|(k, v)| format!("{v}× status {k}"))
        .collect();
    parts.extend(t.failures.iter().map(|(k, v)| format!("{v}× {k}")));
    if t.lost > 0 {
        parts.push(format!("{}× no answer within the SDK's timeout", t.lost));
    }
    if t.hung > 0 {
        parts.push(format!("{} HUNG (no outcome at all)", t.hung));
    }
    parts.join("; ")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn matrix_rows(setting: &str, s: &Summary) -> Vec<Row> {
    let pairing = &s.open.pairing;
    let mut control = s.load.reads.clone();
    control.merge(&s.load.writes);
    let rss = s
        .load_end
        .map(|e| format!("device {}", mib(e.devices_rss_mean_kib())))
        .unwrap_or_default();
    let r = &s.load.reports;
    vec![
        Row {
            scenario: "pairing".into(),
            setting: setting.to_owned(),
            ok: usize::try_from(pairing.ok).unwrap_or(usize::MAX),
            total: usize::try_from(pairing.total()).unwrap_or(usize::MAX),
            p50: pairing.latency.percentile(50.0),
            p99: pairing.latency.percentile(99.0),
            recovery: None,
            rss: rss.clone(),
            passed: pairing.hung == 0,
            note: outcomes(pairing),
        },
        Row {
            scenario: "control".into(),
            setting: setting.to_owned(),
            ok: usize::try_from(control.ok).unwrap_or(usize::MAX),
            total: usize::try_from(control.total()).unwrap_or(usize::MAX),
            p50: control.latency.percentile(50.0),
            p99: control.latency.percentile(99.0),
            recovery: r.recovered.percentile(50.0),
            rss,
            passed: control.hung == 0,
            note: format!(
                "{}{}subscriptions lost {}, re-made {}",
                outcomes(&control),
                if outcomes(&control).is_empty() {
                    ""
                } else {
                    "; "
                },
                r.lost,
                r.recovered.len()
            ),
        },
    ]
}

fn hostile_row(p: &honest::Phase) -> Row {
    let t = &p.requests;
    let attack = p
        .attack
        .as_ref()
        .map(|a| {
            a.as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(_, v)| v.as_f64().is_some_and(|n| n > 0.0))
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        })
        .unwrap_or_else(|| "no attack".into());
    Row {
        scenario: "hostile".into(),
        setting: p.name.clone(),
        ok: usize::try_from(t.ok).unwrap_or(usize::MAX),
        total: usize::try_from(t.total()).unwrap_or(usize::MAX),
        p50: t.latency.percentile(50.0),
        p99: t.latency.percentile(99.0),
        recovery: p.recovery,
        rss: format!("device {}", mib(p.device_rss_kib)),
        passed: t.lost + t.hung + p.sessions.hung == 0,
        note: format!(
            "new sessions {}/{} ok{}{}; device cpu {:.0} %; attacker: {attack}",
            p.sessions.ok,
            p.sessions.total(),
            if outcomes(&p.sessions).is_empty() {
                ""
            } else {
                ": "
            },
            outcomes(&p.sessions),
            p.device_cpu * 100.0
        ),
    }
}

fn load_row(plan: &LongPlan, s: &Summary) -> Row {
    let mut all = s.load.reads.clone();
    all.merge(&s.load.writes);
    let (ctl_cpu, dev_cpu) = s.cpu_ms_per_request();
    let ((ctl_growth, _), (dev_growth, _)) = s.rss_trends();
    let r = &s.load.reports;
    let rss = match (s.load_start, s.load_end) {
        (Some(a), Some(b)) => format!(
            "controller {} -> {}; device mean {} -> {}, all {} (PSS {})",
            mib(a.controller.rss_kib),
            mib(b.controller.rss_kib),
            mib(a.devices_rss_mean_kib()),
            mib(b.devices_rss_mean_kib()),
            mib(b.devices_rss_sum_kib),
            mib(b.devices_pss_sum_kib)
        ),
        _ => String::new(),
    };
    Row {
        scenario: "load".into(),
        setting: format!(
            "{} devices ({} sessions) on {} hosts, {:.0} req/s, {} min",
            s.devices_started, s.sessions, plan.load_hosts, s.load.achieved_rate, plan.load_minutes
        ),
        ok: usize::try_from(all.ok).unwrap_or(usize::MAX),
        total: usize::try_from(all.total()).unwrap_or(usize::MAX),
        p50: all.latency.percentile(50.0),
        p99: all.latency.percentile(99.0),
        recovery: r.recovered.percentile(50.0),
        rss,
        passed: s.lost() == 0 && s.sessions_failed == 0 && r.lost == 0,
        note: format!(
            "lost responses {}; reports {} + keep-alives {}, max gap {:.1} s (max interval 10 s), {} late, {} lost; write->report p50 {}; cpu/request controller {:.2} ms, devices {:.2} ms; growth controller {:.0} KiB, device {:.0} KiB{}",
            s.lost(),
            r.reports,
            r.keep_alives,
            r.gaps.max().map_or(0.0, |d| d.as_secs_f64()),
            r.late,
            r.lost,
            crate::load::latency::ms(r.write_to_report.percentile(50.0)) + " ms",
            ctl_cpu,
            dev_cpu,
            ctl_growth,
            dev_growth,
            if outcomes(&all).is_empty() { String::new() } else { format!("; {}", outcomes(&all)) }
        ),
    }
}
