//! The honest controller beside a hostile host: one paired device, requests at a steady rate
//! on its open session and a new session every second (connect, read, close), through phases
//! with no attack, each attack alone, all of them at once, and none again. The attacker is
//! this program's `attack` command, run on the attacker's host (`ip netns exec`), so its
//! packets cross the LAN as a stranger's would.

use super::attack::Mode;
use crate::load::fleet::{Fleet, FleetPlan};
use crate::load::latency::ms;
use crate::load::outcome::{Outcome, Tally};
use crate::load::procstat::{self, Pid};
use crate::load::sessions::{open_all, OpenPlan, Target};
use crate::load::traffic::{self, LoadPlan, LoadedDevice, LOST_AFTER};
use orbit_core::interaction::{AttributePath, ReadRequest};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_store::MemoryStore;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The attacker's side of a phase.
#[derive(Clone, Debug)]
pub struct Attacker {
    /// This program (its `attack` command).
    pub program: PathBuf,
    /// The attacker host's network namespace (`None`: this one).
    pub netns: Option<String>,
    /// Extra arguments for `attack` (rates).
    pub args: Vec<String>,
}

/// The whole hostile-host scenario.
#[derive(Clone, Debug)]
pub struct HostilePlan {
    /// The device (one).
    pub fleet: FleetPlan,
    /// Each phase's length.
    pub phase: Duration,
    /// Honest requests per second on the open session.
    pub rate: f64,
    /// The attacker.
    pub attacker: Attacker,
}

/// One phase's figures.
#[derive(Debug)]
pub struct Phase {
    /// Its name.
    pub name: String,
    /// Requests on the open session.
    pub requests: Tally,
    /// New sessions (connect, read, close).
    pub sessions: Tally,
    /// What the attacker sent (its JSON), if there was one.
    pub attack: Option<Value>,
    /// From the end of the attack to the first new session that worked again.
    pub recovery: Option<Duration>,
    /// The device's resident memory at the end, KiB.
    pub device_rss_kib: u64,
    /// The device's CPU over the phase, as a share of one core.
    pub device_cpu: f64,
}

impl Phase {
    /// As JSON.
    pub fn to_json(&self) -> Value {
        let t = |t: &Tally| {
            json!({"total": t.total(), "ok": t.ok, "lost": t.lost, "hung": t.hung, "statuses": t.statuses,
                   "failures": t.failures, "success_rate": t.success_rate(),
                   "p50_ms": ms(t.latency.percentile(50.0)), "p99_ms": ms(t.latency.percentile(99.0))})
        };
        json!({"scenario": "hostile", "phase": self.name, "requests": t(&self.requests),
               "sessions": t(&self.sessions), "attack": self.attack,
               "recovery_ms": ms(self.recovery), "device_rss_kib": self.device_rss_kib,
               "device_cpu": self.device_cpu})
    }
}

/// The phases: a name and the attacks running in it.
pub fn phases() -> Vec<(&'static str, Vec<Mode>)> {
    vec![
        ("before", vec![]),
        ("garbage", vec![Mode::Garbage]),
        ("initial", vec![Mode::Initial]),
        ("silent", vec![Mode::Silent]),
        ("flood", vec![Mode::Flood]),
        (
            "all",
            vec![Mode::Garbage, Mode::Initial, Mode::Silent, Mode::Flood],
        ),
        ("after", vec![]),
    ]
}

/// Runs every phase and returns their figures.
pub async fn run(plan: HostilePlan) -> Result<Vec<Phase>, String> {
    let fleet = Fleet::start(&plan.fleet, |_| true)
        .await
        .map_err(|e| e.to_string())?;
    let device = fleet.devices.first().ok_or("no device started")?;
    let (pid, addr, name) = (device.pid, device.listen, device.name.clone());
    let controller = Arc::new(
        Controller::open(Arc::new(MemoryStore::new()), QuicConfig::default())
            .await
            .map_err(|e| e.to_string())?,
    );
    let target = Target {
        name: name.clone(),
        addr,
        setup_code: device.setup_code.clone(),
    };
    let plan_open = OpenPlan {
        concurrency: 1,
        attempts: 1,
    };
    let (mut opened, _) = open_all(controller.clone(), vec![target], plan_open).await;
    let conn = opened
        .pop()
        .ok_or("no pairing result")?
        .connection
        .map_err(|e| format!("pairing the device: {e}"))?;
    let devices = vec![Arc::new(LoadedDevice::new(name.clone(), addr, conn))];
    let mut out = Vec::new();
    for (phase_name, modes) in phases() {
        let before = procstat::sample(Pid::Other(pid), false).unwrap_or_default();
        let attack = if modes.is_empty() {
            None
        } else {
            Some(tokio::spawn(run_attacker(
                plan.attacker.clone(),
                addr,
                modes,
                plan.phase,
            )))
        };
        let load = LoadPlan {
            rate: plan.rate,
            duration: plan.phase,
            write_share: 0.5,
            max_interval_s: 10,
            max_in_flight: 1000,
        };
        let sessions = Arc::new(Mutex::new(Tally::default()));
        let probes = probe_sessions(
            controller.clone(),
            name.clone(),
            addr,
            plan.phase,
            sessions.clone(),
        );
        let (figures, ()) = tokio::join!(traffic::requests_only(&devices, load), probes);
        let attack = match attack {
            Some(task) => Some(
                task.await
                    .unwrap_or_else(|e| json!({"error": e.to_string()})),
            ),
            None => None,
        };
        let after = procstat::sample(Pid::Other(pid), false).unwrap_or_default();
        let ticks = after.cpu_ticks.saturating_sub(before.cpu_ticks);
        let cpu = procstat::ticks_to_duration(ticks, procstat::ticks_per_second()).as_secs_f64()
            / plan.phase.as_secs_f64().max(1e-9);
        let mut requests = figures.reads.clone();
        requests.merge(&figures.writes);
        // After an attack: how long until a new session works again (the device frees what
        // the attacker held: half handshakes at their timeout [QUIC-18], silent connections
        // at their deadline [QUIC-40]).
        let recovery = if attack.is_some() {
            recover(&controller, &name, addr).await
        } else {
            None
        };
        let phase = Phase {
            name: phase_name.to_owned(),
            requests,
            sessions: sessions.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            attack,
            recovery,
            device_rss_kib: after.rss_kib,
            device_cpu: cpu,
        };
        eprintln!("netlab-load: hostile {}", phase.to_json());
        out.push(phase);
    }
    for d in &devices {
        d.close();
    }
    controller.close().await;
    drop(fleet);
    Ok(out)
}

/// The longest [`recover`] waits for a working session after an attack.
const RECOVERY_WAIT: Duration = Duration::from_secs(60);

/// One new session (connect, read everything, close).
async fn new_session(controller: &Controller, name: &str, addr: std::net::SocketAddr) -> Outcome {
    let attempt = async {
        let (conn, _) = controller.connect(name, Some(addr)).await?;
        let read = conn
            .read(ReadRequest {
                attributes: vec![AttributePath::ALL],
                ..Default::default()
            })
            .await;
        conn.close();
        read
    };
    match tokio::time::timeout(LOST_AFTER, attempt).await {
        Err(_) => Outcome::Hung,
        Ok(Err(e)) => Outcome::from_error(&e),
        Ok(Ok(_)) => Outcome::Ok,
    }
}

/// Time from now until a new session works, trying every 250 ms (`None`: not within
/// [`RECOVERY_WAIT`]).
async fn recover(
    controller: &Controller,
    name: &str,
    addr: std::net::SocketAddr,
) -> Option<Duration> {
    let since = Instant::now();
    while since.elapsed() < RECOVERY_WAIT {
        if new_session(controller, name, addr).await == Outcome::Ok {
            return Some(since.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// A new session every second for `length`: connect (a resumed handshake when the ticket is
/// honoured), read, close.
async fn probe_sessions(
    controller: Arc<Controller>,
    name: String,
    addr: std::net::SocketAddr,
    length: Duration,
    tally: Arc<Mutex<Tally>>,
) {
    let until = Instant::now() + length;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut tasks = tokio::task::JoinSet::new();
    while Instant::now() < until {
        tick.tick().await;
        let (controller, name, tally) = (controller.clone(), name.clone(), tally.clone());
        tasks.spawn(async move {
            let started = Instant::now();
            let outcome = new_session(&controller, &name, addr).await;
            tally
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record(outcome, started.elapsed());
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Runs the attacker for one phase and returns what it reports.
async fn run_attacker(
    attacker: Attacker,
    target: std::net::SocketAddr,
    modes: Vec<Mode>,
    length: Duration,
) -> Value {
    let mut cmd = match &attacker.netns {
        Some(ns) => {
            let mut c = tokio::process::Command::new("ip");
            c.args(["netns", "exec", ns]).arg(&attacker.program);
            c
        }
        None => tokio::process::Command::new(&attacker.program),
    };
    let modes: Vec<&str> = modes.iter().map(|m| m.name()).collect();
    cmd.arg("attack")
        .arg("--target")
        .arg(target.to_string())
        .arg("--modes")
        .arg(modes.join(","))
        .arg("--seconds")
        .arg(length.as_secs().to_string())
        .args(&attacker.args)
        .kill_on_drop(true);
    match cmd.output().await {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| json!({"error": format!("attacker output: {e}")})),
        Ok(o) => json!({"error": format!("attacker {}: {}", o.status,
                                          String::from_utf8_lossy(&o.stderr).trim())}),
        Err(e) => json!({"error": format!("starting the attacker: {e}")}),
    }
}

/// The phases as a table.
pub fn print(phases: &[Phase]) {
    println!(
        "{:<8} {:>9} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9} {:>10} {:>9} {:>8}  attack sent",
        "phase",
        "requests",
        "success",
        "p50 ms",
        "p99 ms",
        "sessions",
        "success",
        "p50 ms",
        "recovery",
        "dev KiB",
        "dev cpu"
    );
    for p in phases {
        println!(
            "{:<8} {:>9} {:>7.1}% {:>9} {:>9} {:>9} {:>7.1}% {:>9} {:>10} {:>9} {:>7.0}%  {}",
            p.name,
            p.requests.total(),
            p.requests.success_rate() * 100.0,
            ms(p.requests.latency.percentile(50.0)),
            ms(p.requests.latency.percentile(99.0)),
            p.sessions.total(),
            p.sessions.success_rate() * 100.0,
            ms(p.sessions.latency.percentile(50.0)),
            ms(p.recovery),
            p.device_rss_kib,
            p.device_cpu * 100.0,
            p.attack.as_ref().map(|a| a.to_string()).unwrap_or_default()
        );
    }
}
