//! The steady load on open sessions: a subscription on every device, watched for its report
//! intervals `[IM-63]` `[IM-64]` and re-created when lost, and reads and writes issued at a
//! fixed rate whatever the answers do (an open loop: a slow device does not slow the
//! schedule, it only raises the number of requests in flight).
//!
//! Each write sets the lamp's level to a value other than its last, so the device reports the
//! change on the subscription `[IM-62]`; the time from the write to that report is measured
//! by the subscription's watcher ([`super::watch`]).

use super::latency::Latencies;
use super::outcome::{Outcome, Tally};
use orbit_core::interaction::{
    AttributePath, ConcreteAttribute, ReadRequest, SubscribeRequest, WriteRequest,
};
use orbit_core::model::{std_caps, Data, EndpointId};
use orbit_sdk::controller::{Controller, DeviceConnection, Subscription, ANSWER_TIMEOUT};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The grace a controller gives a subscription past its maximum interval before it counts
/// it lost `[IM-64]`.
pub const LOSS_GRACE: Duration = Duration::from_secs(10);

/// A request with no outcome this long after it was sent is lost: the SDK's own deadline is
/// [`ANSWER_TIMEOUT`], so a request still open past it plus this margin never ended at all.
pub const LOST_AFTER: Duration = ANSWER_TIMEOUT.saturating_add(Duration::from_secs(5));

/// The lamp's endpoint.
const LAMP: EndpointId = EndpointId(1);

pub(super) fn level() -> ConcreteAttribute {
    ConcreteAttribute::new(
        LAMP,
        std_caps::level::ID,
        std_caps::level::attributes::CURRENT_LEVEL,
    )
}

fn on_off() -> ConcreteAttribute {
    ConcreteAttribute::new(LAMP, std_caps::on_off::ID, std_caps::on_off::attributes::ON)
}

fn watched() -> Vec<AttributePath> {
    vec![on_off().path(), level().path()]
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The rate and shape of the load.
#[derive(Clone, Copy, Debug)]
pub struct LoadPlan {
    /// Requests per second over all devices.
    pub rate: f64,
    /// How long requests are issued.
    pub duration: Duration,
    /// The share of requests that are writes (the others are reads).
    pub write_share: f64,
    /// The subscriptions' maximum interval (a keep-alive at least this often).
    pub max_interval_s: u32,
    /// Requests in flight at most; a tick that finds this many skips its request (counted).
    pub max_in_flight: usize,
}

/// One device under load.
pub struct LoadedDevice {
    /// Its name in the controller.
    pub name: String,
    pub(super) addr: SocketAddr,
    connection: RwLock<Arc<DeviceConnection>>,
    writes: AtomicU64,
    /// The value of the last write sent, and when, until a report shows it.
    pub(super) awaited: Mutex<Option<(u64, Instant)>>,
}

impl LoadedDevice {
    /// A device with an open session.
    pub fn new(name: String, addr: SocketAddr, connection: DeviceConnection) -> Self {
        LoadedDevice {
            name,
            addr,
            connection: RwLock::new(Arc::new(connection)),
            writes: AtomicU64::new(0),
            awaited: Mutex::new(None),
        }
    }

    fn connection(&self) -> Arc<DeviceConnection> {
        self.connection
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn replace(&self, c: DeviceConnection) {
        *self.connection.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c);
    }

    /// Closes the session.
    pub fn close(&self) {
        self.connection().close();
    }
}

/// What the subscriptions did.
#[derive(Clone, Debug, Default)]
pub struct ReportFigures {
    /// Subscriptions made at the start.
    pub subscribed: u64,
    /// Subscriptions that could not be made at the start.
    pub subscribe_failures: u64,
    /// Reports with changes.
    pub reports: u64,
    /// Empty reports (keep-alives `[IM-63]`).
    pub keep_alives: u64,
    /// The time between consecutive reports of a subscription.
    pub gaps: Latencies,
    /// Gaps longer than the maximum interval plus one second (late keep-alives).
    pub late: u64,
    /// Gaps past the maximum interval plus the loss grace, and losses the SDK reported
    /// `[IM-64]`.
    pub lost: u64,
    /// Subscriptions made again after a loss, and the time each took from the loss.
    pub recovered: Latencies,
    /// Failed attempts to make one again.
    pub recovery_failures: u64,
    /// From sending a write to the report carrying its value `[IM-62]`.
    pub write_to_report: Latencies,
    /// Writes whose value was overwritten by the next write before a report showed it.
    pub superseded: u64,
    /// Successful writes whose value no report carried by the end.
    pub unreported: u64,
}

/// What the load did.
#[derive(Clone, Debug, Default)]
pub struct LoadFigures {
    /// Reads.
    pub reads: Tally,
    /// Writes.
    pub writes: Tally,
    /// Ticks that found [`LoadPlan::max_in_flight`] requests open and sent nothing.
    pub skipped: u64,
    /// Requests issued per second, as achieved.
    pub achieved_rate: f64,
    /// The subscriptions.
    pub reports: ReportFigures,
}

#[derive(Default)]
pub(super) struct Shared {
    reads: Mutex<Tally>,
    writes: Mutex<Tally>,
    pub(super) reports: Mutex<ReportFigures>,
    in_flight: AtomicUsize,
}

/// Subscribes on every device, `concurrency` at a time; devices whose subscription failed are
/// left out of the returned list and counted.
pub async fn subscribe_all(
    devices: Vec<Arc<LoadedDevice>>,
    max_interval_s: u32,
    concurrency: usize,
) -> (Vec<(Arc<LoadedDevice>, Subscription)>, u64) {
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for d in devices {
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let r = d.connection().subscribe(request(max_interval_s)).await;
            (d, r)
        });
    }
    let mut ok = Vec::new();
    let mut failed = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((d, Ok(sub))) => ok.push((d, sub)),
            Ok((d, Err(e))) => {
                eprintln!("netlab-load: subscribing to {}: {e}", d.name);
                failed += 1;
            }
            Err(_) => failed += 1,
        }
    }
    (ok, failed)
}

pub(super) fn request(max_interval_s: u32) -> SubscribeRequest {
    SubscribeRequest {
        attributes: watched(),
        min_interval_s: 0,
        max_interval_s,
        ..Default::default()
    }
}

/// Runs the load: watches the subscriptions and issues requests for `plan.duration`, then
/// waits for the requests still open and stops the watchers. `progress` gets the figures so
/// far every `progress_every`.
pub async fn run(
    controller: Arc<Controller>,
    subscribed: Vec<(Arc<LoadedDevice>, Subscription)>,
    plan: LoadPlan,
    progress: impl Fn(&LoadFigures) + Send + 'static,
    progress_every: Duration,
) -> LoadFigures {
    let shared = Arc::new(Shared::default());
    lock(&shared.reports).subscribed = subscribed.len() as u64;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut watchers = JoinSet::new();
    let devices: Vec<Arc<LoadedDevice>> = subscribed.iter().map(|(d, _)| d.clone()).collect();
    for (d, sub) in subscribed {
        watchers.spawn(super::watch::watch_reports(
            controller.clone(),
            d,
            sub,
            plan.max_interval_s,
            shared.clone(),
            stop_rx.clone(),
        ));
    }
    let reporter = {
        let shared = shared.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(progress_every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => progress(&counts(&shared)),
                    _ = stop.changed() => return,
                }
            }
        })
    };
    let started = Instant::now();
    let (issued, skipped) = issue(&devices, &shared, plan).await;
    let achieved = issued as f64 / started.elapsed().as_secs_f64().max(1e-9);
    // Every request ends within LOST_AFTER by its own timeout.
    while shared.in_flight.load(Ordering::Acquire) > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    reporter.abort();
    while watchers.join_next().await.is_some() {}
    let mut figures = snapshot(&shared, skipped, achieved);
    // A successful write still awaited by no report: unreported, once its report is overdue.
    let overdue = Duration::from_secs(plan.max_interval_s.into()) + LOSS_GRACE;
    for d in &devices {
        if let Some((_, sent)) = *lock(&d.awaited) {
            if sent.elapsed() > overdue {
                figures.reports.unreported += 1;
            }
        }
    }
    figures
}

/// Issues requests as [`run`] does, without subscriptions: for `plan.duration`, then until
/// every request has ended.
pub async fn requests_only(devices: &[Arc<LoadedDevice>], plan: LoadPlan) -> LoadFigures {
    let shared = Arc::new(Shared::default());
    let started = Instant::now();
    let (issued, skipped) = issue(devices, &shared, plan).await;
    let achieved = issued as f64 / started.elapsed().as_secs_f64().max(1e-9);
    while shared.in_flight.load(Ordering::Acquire) > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    snapshot(&shared, skipped, achieved)
}

/// The running counts, without copying the samples (a copy of every sample every few
/// seconds would show up in the controller's memory figures as churn of the driver's own).
fn counts(shared: &Shared) -> LoadFigures {
    let r = lock(&shared.reports);
    LoadFigures {
        reads: lock(&shared.reads).counts_only(),
        writes: lock(&shared.writes).counts_only(),
        reports: ReportFigures {
            subscribed: r.subscribed,
            reports: r.reports,
            keep_alives: r.keep_alives,
            late: r.late,
            lost: r.lost,
            ..ReportFigures::default()
        },
        ..LoadFigures::default()
    }
}

fn snapshot(shared: &Shared, skipped: u64, achieved_rate: f64) -> LoadFigures {
    LoadFigures {
        reads: lock(&shared.reads).clone(),
        writes: lock(&shared.writes).clone(),
        skipped,
        achieved_rate,
        reports: lock(&shared.reports).clone(),
    }
}

/// Issues requests round robin over the devices at the plan's rate; returns how many were
/// issued and how many ticks were skipped.
async fn issue(devices: &[Arc<LoadedDevice>], shared: &Arc<Shared>, plan: LoadPlan) -> (u64, u64) {
    if devices.is_empty() || plan.rate <= 0.0 {
        tokio::time::sleep(plan.duration).await;
        return (0, 0);
    }
    let period = Duration::from_secs_f64(1.0 / plan.rate);
    let mut tick = tokio::time::interval(period);
    // Late ticks are caught up, so the average rate holds on a loaded machine.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + plan.duration;
    let (mut issued, mut skipped) = (0u64, 0u64);
    let write_every = plan.write_share.clamp(0.0, 1.0);
    let mut k = 0usize;
    while Instant::now() < deadline {
        tick.tick().await;
        let Some(device) = devices.get(k % devices.len()) else {
            break;
        };
        // Writes spread evenly: request k is a write when the running share falls behind.
        let write = ((k + 1) as f64 * write_every).floor() > (k as f64 * write_every).floor();
        k += 1;
        if shared.in_flight.load(Ordering::Acquire) >= plan.max_in_flight {
            skipped += 1;
            continue;
        }
        shared.in_flight.fetch_add(1, Ordering::AcqRel);
        issued += 1;
        let (device, shared) = (device.clone(), shared.clone());
        tokio::spawn(async move {
            let outcome = if write {
                write_once(&device, &shared).await
            } else {
                read_once(&device).await
            };
            let tally = if write { &shared.writes } else { &shared.reads };
            lock(tally).record(outcome.0, outcome.1);
            shared.in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }
    (issued, skipped)
}

async fn read_once(device: &LoadedDevice) -> (Outcome, Duration) {
    let conn = device.connection();
    let started = Instant::now();
    let request = ReadRequest {
        attributes: watched(),
        ..Default::default()
    };
    let outcome = match tokio::time::timeout(LOST_AFTER, conn.read(request)).await {
        Err(_) => Outcome::Hung,
        Ok(Err(e)) => Outcome::from_error(&e),
        Ok(Ok((attributes, _))) if attributes.len() != 2 => {
            Outcome::Failed(format!("{} attributes for 2 paths", attributes.len()))
        }
        Ok(Ok((attributes, _))) => attributes
            .iter()
            .find_map(|a| a.result.as_ref().err().copied())
            .map_or(Outcome::Ok, Outcome::from_status),
    };
    (outcome, started.elapsed())
}

async fn write_once(device: &LoadedDevice, shared: &Shared) -> (Outcome, Duration) {
    let conn = device.connection();
    let n = device.writes.fetch_add(1, Ordering::AcqRel);
    // 1..=200, never the previous value, so every write is a change [IM-62].
    let value = 1 + n % 200;
    let started = Instant::now();
    if lock(&device.awaited).replace((value, started)).is_some() {
        // The previous value's report may never come now: this value replaces it.
        lock(&shared.reports).superseded += 1;
    }
    let request = WriteRequest::new(vec![(level(), Data::Uint(value))]);
    let outcome = match tokio::time::timeout(LOST_AFTER, conn.write(request)).await {
        Err(_) => Outcome::Hung,
        Ok(Err(e)) => Outcome::from_error(&e),
        Ok(Ok(statuses)) if statuses.len() != 1 => {
            Outcome::Failed(format!("{} statuses for 1 write", statuses.len()))
        }
        Ok(Ok(statuses)) => statuses
            .iter()
            .map(|s| s.status)
            .find(|s| *s != orbit_core::status::Status::SUCCESS)
            .map_or(Outcome::Ok, Outcome::from_status),
    };
    if outcome != Outcome::Ok {
        // A refused write changes nothing: no report is owed for it.
        let mut awaited = lock(&device.awaited);
        if awaited.is_some_and(|(v, _)| v == value) {
            *awaited = None;
        }
    }
    (outcome, started.elapsed())
}
