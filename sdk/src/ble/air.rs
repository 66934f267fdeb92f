//! A simulated air: in-process devices reached over simulated BLE links
//! (`orbit_ble::sim`), so that pairing, sessions and the handoff run over BLE framing in
//! tests, the demo and the phone bindings' tests, without a Bluetooth controller.

use super::central::{BleCentral, BoxFuture, Connected, Sighting};
use crate::device::BlePeripheral;
use orbit_ble::sim::{radio_pair_with_time_scale, SimParams};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Devices within radio range of a simulated central. Each connection is a new simulated
/// link with the air's parameters and the next seed, so a run replays from its first seed.
pub struct SimulatedAir {
    params: Mutex<SimParams>,
    time_scale: f64,
    next_seed: AtomicU64,
    peripherals: Mutex<Vec<(String, BlePeripheral)>>,
    /// The central ends of the links made, so that [`SimulatedAir::disconnect_all`] can cut
    /// them as a device going out of range would.
    links: Mutex<Vec<Arc<dyn orbit_ble::radio::Radio>>>,
}

impl std::fmt::Debug for SimulatedAir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedAir")
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SimulatedAir {
    /// An air whose links have `params` and run in real time, seeded from `seed`.
    pub fn new(params: SimParams, seed: u64) -> Self {
        Self::with_time_scale(params, seed, 1.0)
    }

    /// An air whose links' virtual time runs `1 / time_scale` times as fast as the clock
    /// (0.1 makes a 30 ms connection interval last 3 ms).
    pub fn with_time_scale(params: SimParams, seed: u64, time_scale: f64) -> Self {
        SimulatedAir {
            params: Mutex::new(params),
            time_scale,
            next_seed: AtomicU64::new(seed),
            peripherals: Mutex::new(Vec::new()),
            links: Mutex::new(Vec::new()),
        }
    }

    /// Puts a device in range under the handle `name`.
    pub fn add(&self, name: &str, device: BlePeripheral) {
        lock(&self.peripherals).push((name.to_string(), device));
    }

    /// The parameters of links made from now on.
    pub fn set_params(&self, params: SimParams) {
        *lock(&self.params) = params;
    }

    /// Ends every link made so far, as a device out of range does (supervision timeout).
    pub fn disconnect_all(&self) {
        for radio in lock(&self.links).drain(..) {
            radio.disconnect();
        }
    }
}

impl BleCentral for SimulatedAir {
    fn scan<'a>(
        &'a self,
        _timeout: Duration,
        _enough: &'a (dyn Fn(&Sighting) -> bool + Send + Sync),
    ) -> BoxFuture<'a, Result<Vec<Sighting>, String>> {
        // Every device in range is heard at once; the nearest is the first added.
        let heard = lock(&self.peripherals)
            .iter()
            .enumerate()
            .filter_map(|(i, (name, device))| {
                device.advert().map(|advert| Sighting {
                    peripheral: name.clone(),
                    service_data: advert.service_data(),
                    rssi: Some(-40 - i16::try_from(i).unwrap_or(i16::MAX / 2)),
                })
            })
            .collect();
        Box::pin(async move { Ok(heard) })
    }

    fn connect<'a>(&'a self, peripheral: &'a str) -> BoxFuture<'a, Result<Connected, String>> {
        Box::pin(async move {
            let device = lock(&self.peripherals)
                .iter()
                .find(|(name, _)| name == peripheral)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| format!("no simulated device {peripheral:?} in range"))?;
            let params = lock(&self.params).clone();
            let seed = self.next_seed.fetch_add(1, Ordering::Relaxed);
            let (central, (radio, events)) =
                radio_pair_with_time_scale(params, seed, self.time_scale)
                    .map_err(|e| e.to_string())?;
            device.serve(radio, events);
            lock(&self.links).push(central.0.clone());
            Ok(central)
        })
    }
}
