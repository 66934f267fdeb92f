//! One load run from start to end: start the devices, open the controller's home (kept in a
//! store beside the devices' stores, so a second run connects instead of pairing again), open
//! a session with every device, subscribe, run the load while sampling memory and CPU, and
//! sum it up.

use super::fleet::{Fleet, FleetPlan};
use super::sampler::Sampler;
use super::sessions::{open_all, OpenPlan, Target};
use super::summary::Summary;
use super::traffic::{self, LoadPlan, LoadedDevice};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::Controller;
use orbit_store::FileStore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The address the controller uses for a device listening on the given address (a relay
/// on an impaired path); the device's own address when it gives `None`.
pub type Reach = Arc<dyn Fn(SocketAddr) -> Option<SocketAddr> + Send + Sync>;

/// Everything a load run needs.
#[derive(Clone)]
pub struct LoadConfig {
    /// The devices.
    pub fleet: FleetPlan,
    /// The load.
    pub load: LoadPlan,
    /// Pairing and connecting.
    pub open: OpenPlan,
    /// Forget every paired device and pair them all again.
    pub fresh: bool,
    /// How often memory and CPU are sampled (and progress printed).
    pub sample_every: Duration,
    /// Where the controller reaches each device.
    pub reach: Reach,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The devices did not start.
    #[error(transparent)]
    Fleet(#[from] super::fleet::FleetError),
    /// The controller's store or home could not be opened.
    #[error("controller: {0}")]
    Controller(String),
}

/// Runs the load described by `config` and returns its figures.
pub async fn run(config: LoadConfig) -> Result<Summary, RunError> {
    let mut summary = Summary::new(&config);
    let ctl_dir = config.fleet.dir.join("controller");
    if config.fresh && ctl_dir.exists() {
        std::fs::remove_dir_all(&ctl_dir)
            .map_err(|e| RunError::Controller(format!("removing {}: {e}", ctl_dir.display())))?;
    }
    let store = FileStore::open(&ctl_dir)
        .map_err(|e| RunError::Controller(format!("{}: {e}", ctl_dir.display())))?;
    let controller = Arc::new(
        Controller::open(Arc::new(store), QuicConfig::default())
            .await
            .map_err(|e| RunError::Controller(e.to_string()))?,
    );
    // A device the controller does not know is started from an empty store and paired.
    let known = |name: &str| controller.device(name).is_some();
    let started = Instant::now();
    let fleet = Fleet::start(&config.fleet, |name| config.fresh || !known(name)).await?;
    summary.devices_started = fleet.devices.len();
    summary.start_s = started.elapsed().as_secs_f64();
    let pids: Vec<u32> = fleet.devices.iter().map(|d| d.pid).collect();
    let every = config.sample_every;
    let sampler = Sampler::start(pids, every, |s| {
        eprintln!(
            "netlab-load: t={:>6.0}s controller rss {} KiB cpu {} ticks; {} devices rss mean {} KiB max {} KiB",
            s.at_s,
            s.controller.rss_kib,
            s.controller.cpu_ticks,
            s.devices_alive,
            s.devices_rss_mean_kib(),
            s.devices_rss_max_kib
        );
    });
    summary.after_start = Some(sampler.now());

    let targets: Vec<Target> = fleet
        .devices
        .iter()
        .map(|d| Target {
            name: d.name.clone(),
            addr: (config.reach)(d.listen).unwrap_or(d.listen),
            setup_code: if d.homes == 0 {
                d.setup_code.clone()
            } else {
                None
            },
        })
        .collect();
    eprintln!(
        "netlab-load: {} devices up in {:.1} s; opening sessions ({} to pair)",
        fleet.devices.len(),
        summary.start_s,
        targets.iter().filter(|t| t.setup_code.is_some()).count()
    );
    let (opened, open_figures) = open_all(controller.clone(), targets, config.open).await;
    let mut devices = Vec::new();
    for o in opened {
        match o.connection {
            Ok(c) => devices.push(Arc::new(LoadedDevice::new(o.target.name, o.target.addr, c))),
            Err(_) => summary.sessions_failed += 1,
        }
    }
    summary.sessions = devices.len();
    summary.open = open_figures;
    eprintln!(
        "netlab-load: {} sessions in {:.1} s; subscribing",
        devices.len(),
        summary.open.wall.as_secs_f64()
    );
    let (subscribed, failures) = traffic::subscribe_all(
        devices.clone(),
        config.load.max_interval_s,
        config.open.concurrency,
    )
    .await;
    eprintln!(
        "netlab-load: {} subscriptions; load at {} requests/s for {:.0} s",
        subscribed.len(),
        config.load.rate,
        config.load.duration.as_secs_f64()
    );
    summary.load_start = Some(sampler.now());
    let mut figures = traffic::run(
        controller.clone(),
        subscribed,
        config.load,
        |f| {
            eprintln!(
                "netlab-load: reads {} (ok {}, lost {}), writes {} (ok {}, lost {}), reports {}, keep-alives {}, subscriptions lost {}",
                f.reads.total(), f.reads.ok, f.reads.lost, f.writes.total(), f.writes.ok,
                f.writes.lost, f.reports.reports, f.reports.keep_alives, f.reports.lost
            )
        },
        every,
    )
    .await;
    figures.reports.subscribe_failures = failures;
    summary.load_end = Some(sampler.now());
    summary.samples = sampler.samples();
    summary.load = figures;
    let mut fleet = fleet;
    summary.exited = fleet.exited();
    for d in &devices {
        d.close();
    }
    controller.close().await;
    drop(sampler);
    drop(fleet);
    Ok(summary)
}
