//! Two [`Radio`]s joined by a [`SimLink`], driven on tokio's clock (feature `tokio`).
//!
//! One task owns the delivery: it runs the link's connection events as (scaled) time passes
//! and hands each delivery to its side's channel. The radios write into the same model under
//! a lock, so the link behaves as in virtual time: values in order, at most `packets_per_event`
//! per event and direction, refused above the MTU. With tokio's paused clock
//! (`#[tokio::test(start_paused = true)]`) a test runs at once whatever the interval; a time
//! scale below 1 makes real-clock runs faster (0.01: a 30 ms interval lasts 0.3 ms).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::link::{Delivery, Side, SimLink};
use super::params::{SimError, SimParams};
use crate::radio::{Radio, RadioError, RadioEvent};

/// One side of a simulated pair: its radio and the events it receives.
pub type SimEnd = (Arc<dyn Radio>, mpsc::Receiver<RadioEvent>);

/// Events a side's channel holds before the link waits for the side to read (a real stack's
/// receive buffers are bounded too).
const EVENT_CHANNEL: usize = 256;

struct Shared {
    link: Mutex<SimLink>,
    /// Wakes the driver when a radio wrote or disconnected.
    wake: Notify,
    start: Instant,
    time_scale: f64,
    att_mtu: u16,
}

impl Shared {
    fn link(&self) -> MutexGuard<'_, SimLink> {
        // The model has no invariant a panicking holder could break halfway that matters to
        // a test harness; a poisoned lock is used as is.
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Virtual time now: real time since the start, divided by the scale.
    fn virtual_now(&self) -> Duration {
        let real = self.start.elapsed().as_secs_f64();
        Duration::try_from_secs_f64(real / self.time_scale).unwrap_or(Duration::MAX)
    }

    /// The tokio instant of a virtual time, or `None` if it is beyond any clock.
    fn real_instant(&self, virtual_time: Duration) -> Option<Instant> {
        let real =
            Duration::try_from_secs_f64(virtual_time.as_secs_f64() * self.time_scale).ok()?;
        self.start.checked_add(real)
    }
}

struct SimRadio {
    side: Side,
    shared: Arc<Shared>,
    disconnected: AtomicBool,
}

impl Radio for SimRadio {
    fn write(&self, value: &[u8]) -> Result<(), RadioError> {
        let now = self.shared.virtual_now();
        self.shared.link().write(self.side, now, value)?;
        self.shared.wake.notify_one();
        Ok(())
    }

    fn att_mtu(&self) -> u16 {
        self.shared.att_mtu
    }

    fn disconnect(&self) {
        if !self.disconnected.swap(true, Ordering::SeqCst) {
            let now = self.shared.virtual_now();
            self.shared.link().disconnect(now);
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for SimRadio {
    /// Dropping a side's last handle ends the connection, as closing a stack's connection
    /// handle does; the driver then ends too.
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// A connected pair over a [`SimLink`] in real (tokio) time: `(central, peripheral)`.
///
/// Must be called inside a tokio runtime (the driver is a task). The link ends, and each side
/// gets [`RadioEvent::Disconnected`], when a side disconnects or drops its radio, or when the
/// parameters drop it.
pub fn radio_pair(params: SimParams, seed: u64) -> Result<(SimEnd, SimEnd), SimError> {
    radio_pair_with_time_scale(params, seed, 1.0)
}

/// [`radio_pair`] with virtual time running `1 / time_scale` times as fast as tokio's clock
/// (`time_scale` in 1e-6..=1e6; 0.01 makes a 30 ms interval last 0.3 ms).
pub fn radio_pair_with_time_scale(
    params: SimParams,
    seed: u64,
    time_scale: f64,
) -> Result<(SimEnd, SimEnd), SimError> {
    if !(1e-6..=1e6).contains(&time_scale) {
        return Err(SimError::TimeScale(time_scale));
    }
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
    let att_mtu = params.att_mtu;
    let link = SimLink::new(params, seed)?;
    let shared = Arc::new(Shared {
        link: Mutex::new(link),
        wake: Notify::new(),
        start: Instant::now(),
        time_scale,
        att_mtu,
    });
    let (central_tx, central_rx) = mpsc::channel(EVENT_CHANNEL);
    let (peripheral_tx, peripheral_rx) = mpsc::channel(EVENT_CHANNEL);
    runtime.spawn(drive(Arc::clone(&shared), central_tx, peripheral_tx));
    let radio = |side| -> Arc<dyn Radio> {
        Arc::new(SimRadio {
            side,
            shared: Arc::clone(&shared),
            disconnected: AtomicBool::new(false),
        })
    };
    Ok((
        (radio(Side::Central), central_rx),
        (radio(Side::Peripheral), peripheral_rx),
    ))
}

/// The driver: runs the link's events as time passes and delivers them, until the link is
/// down and both sides were told.
async fn drive(
    shared: Arc<Shared>,
    central: mpsc::Sender<RadioEvent>,
    peripheral: mpsc::Sender<RadioEvent>,
) {
    // Virtual time the driver has slept to: rounding between the two clocks must never leave
    // it just short of the event it woke for.
    let mut reached = Duration::ZERO;
    loop {
        let (due, next, down) = {
            let mut link = shared.link();
            let now = shared.virtual_now().max(reached);
            let due: Vec<Delivery> = std::iter::from_fn(|| link.poll_deliver(now)).collect();
            (due, link.next_event(), link.is_down())
        };
        for delivery in due {
            let to = match delivery.to {
                Side::Central => &central,
                Side::Peripheral => &peripheral,
            };
            // A side that dropped its receiver no longer listens; the other still does.
            let _ = to.send(delivery.event).await;
        }
        if down {
            return;
        }
        match next.and_then(|t| Some((t, shared.real_instant(t)?))) {
            Some((t, at)) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => reached = reached.max(t),
                    () = shared.wake.notified() => {}
                }
            }
            None => shared.wake.notified().await,
        }
    }
}
