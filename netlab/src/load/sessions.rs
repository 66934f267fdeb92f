//! Opening a session with every device: pairing the ones the controller does not hold yet
//! (from their setup code) and connecting to the others, a bounded number at a time. Pairing
//! hundreds of devices one after the other takes minutes; all at once would queue them behind
//! the controller's one issuing lock and the devices' handshake limits anyway.

use super::outcome::{Outcome, Tally};
use orbit_sdk::controller::{Controller, ControllerError, DeviceConnection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A pairing or connection still going after this long never ends on its own: each of its
/// steps has the SDK's 30 s answer timeout, and a pairing has five of them at most.
pub const HUNG_AFTER: Duration = Duration::from_secs(180);

/// A device to open a session with.
#[derive(Clone, Debug)]
pub struct Target {
    /// The name the controller keeps it under.
    pub name: String,
    /// Where the controller reaches it (its own address, or a relay's on an impaired path).
    pub addr: SocketAddr,
    /// Its setup code when it must be paired; `None` to connect to a paired device.
    pub setup_code: Option<String>,
}

/// A session opened, or why not.
#[derive(Debug)]
pub struct Opened {
    /// The device.
    pub target: Target,
    /// The connection, or the last error.
    pub connection: Result<DeviceConnection, ControllerError>,
    /// Attempts made.
    pub attempts: u32,
}

/// How the opening went.
#[derive(Debug, Default)]
pub struct OpenFigures {
    /// Pairing attempts: one outcome each, the latency of each successful one.
    pub pairing: Tally,
    /// Connections to paired devices (full handshake or resumed).
    pub connecting: Tally,
    /// Wall time for all of them.
    pub wall: Duration,
}

/// How many devices are paired or connected at once, and how often each is tried.
#[derive(Clone, Copy, Debug)]
pub struct OpenPlan {
    /// Sessions opened at once.
    pub concurrency: usize,
    /// Attempts per device (the figures count each one).
    pub attempts: u32,
}

/// Opens a session with each target; the result is in the targets' order.
pub async fn open_all(
    controller: Arc<Controller>,
    targets: Vec<Target>,
    plan: OpenPlan,
) -> (Vec<Opened>, OpenFigures) {
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (i, target) in targets.into_iter().enumerate() {
        let controller = controller.clone();
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let (opened, pairing, connecting) = open_one(&controller, target, plan.attempts).await;
            (i, opened, pairing, connecting)
        });
    }
    let mut figures = OpenFigures::default();
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, opened, pairing, connecting)) = joined {
            figures.pairing.merge(&pairing);
            figures.connecting.merge(&connecting);
            done.push((i, opened));
        }
    }
    done.sort_by_key(|(i, _)| *i);
    figures.wall = started.elapsed();
    (done.into_iter().map(|(_, o)| o).collect(), figures)
}

/// Pairs (or connects to) one device, trying up to `attempts` times. A pairing that failed
/// after the device was recorded (it may hold the home now, its window closed) goes on with
/// a connection rather than another pairing.
async fn open_one(
    controller: &Controller,
    target: Target,
    attempts: u32,
) -> (Opened, Tally, Tally) {
    let mut pairing = Tally::default();
    let mut connecting = Tally::default();
    let mut last = None;
    let mut made = 0;
    for _ in 0..attempts.max(1) {
        made += 1;
        let started = Instant::now();
        let must_pair = target.setup_code.is_some() && controller.device(&target.name).is_none();
        let attempt = async {
            match (&target.setup_code, must_pair) {
                (Some(code), true) => controller
                    .pair_replacing(code, target.addr, &target.name)
                    .await
                    .map(|p| p.connection),
                _ => controller
                    .connect(&target.name, Some(target.addr))
                    .await
                    .map(|(c, _)| c),
            }
        };
        let (result, outcome) = match tokio::time::timeout(HUNG_AFTER, attempt).await {
            Ok(Ok(c)) => (Ok(c), Outcome::Ok),
            Ok(Err(e)) => {
                let o = Outcome::from_error(&e);
                (Err(e), o)
            }
            Err(_) => (
                Err(ControllerError::new(
                    orbit_sdk::controller::Phase::Connect,
                    orbit_sdk::controller::Cause::Timeout(HUNG_AFTER),
                )),
                Outcome::Hung,
            ),
        };
        let tally = if must_pair {
            &mut pairing
        } else {
            &mut connecting
        };
        tally.record(outcome, started.elapsed());
        match result {
            Ok(c) => {
                return (
                    Opened {
                        target,
                        connection: Ok(c),
                        attempts: made,
                    },
                    pairing,
                    connecting,
                )
            }
            Err(e) => {
                tracing_note(&target.name, &e);
                last = Some(e);
            }
        }
    }
    let connection = Err(last.unwrap_or_else(|| {
        ControllerError::new(
            orbit_sdk::controller::Phase::Connect,
            orbit_sdk::controller::Cause::Unexpected,
        )
    }));
    (
        Opened {
            target,
            connection,
            attempts: made,
        },
        pairing,
        connecting,
    )
}

fn tracing_note(name: &str, e: &ControllerError) {
    eprintln!("netlab-load: {name}: {e}");
}
