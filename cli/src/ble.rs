//! `--ble` on real Bluetooth: `orbit device run --ble` serves the device over a BlueZ
//! peripheral, and `orbit pair --ble CODE` finds and pairs it through a btleplug central, then
//! hands the session off to QUIC ([BLE-24] to [BLE-26]). Both need the cli feature `ble`
//! (transports/ble/README.md); without it `--ble` says how to build with it.

/// What `--ble` says in a build without the feature (the process then exits 2).
pub(crate) const NEEDS_FEATURE: &str = "this orbit was built without Bluetooth LE support; \
     build it with `cargo build --release -p orbit-cli --features ble` (on Linux first \
     scripts/install-ble-deps, for libdbus-1-dev)";

/// The exit status of `--ble` without the feature: a usage error, as clap's own.
pub(crate) const NEEDS_FEATURE_EXIT: u8 = 2;

#[cfg(feature = "ble")]
pub(crate) use central::BtleplugAir;
#[cfg(all(feature = "ble", target_os = "linux"))]
pub(crate) use peripheral::serve;

#[cfg(feature = "ble")]
mod central {
    use orbit_ble::btleplug::{BtleplugCentral, CentralConfig, PeripheralId};
    use orbit_sdk::ble::{BleCentral, BoxFuture, Connected, Sighting};
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    /// The desktop central (btleplug) as the SDK's central seam: scans report each Orbit
    /// advert as a [`Sighting`] named by the stack's peripheral ID.
    pub(crate) struct BtleplugAir {
        central: BtleplugCentral,
        /// The peripherals seen, by the name given to the SDK.
        seen: Mutex<HashMap<String, PeripheralId>>,
    }

    impl BtleplugAir {
        /// Opens the machine's first Bluetooth adapter.
        pub(crate) async fn open() -> Result<Self, orbit_ble::adapter::AdapterError> {
            Ok(BtleplugAir {
                central: BtleplugCentral::new(CentralConfig::default()).await?,
                seen: Mutex::new(HashMap::new()),
            })
        }

        fn remember(&self, id: &PeripheralId) -> String {
            let name = id.to_string();
            self.seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone(), id.clone());
            name
        }
    }

    impl BleCentral for BtleplugAir {
        fn scan<'a>(
            &'a self,
            timeout: Duration,
            enough: &'a (dyn Fn(&Sighting) -> bool + Send + Sync),
        ) -> BoxFuture<'a, Result<Vec<Sighting>, String>> {
            Box::pin(async move {
                let mut scan = self.central.scan().await.map_err(|e| e.to_string())?;
                let deadline = tokio::time::Instant::now() + timeout;
                let mut heard: Vec<Sighting> = Vec::new();
                while let Ok(Some(advert)) = tokio::time::timeout_at(deadline, scan.next()).await {
                    let sighting = Sighting {
                        peripheral: self.remember(&advert.id),
                        service_data: advert.service_data,
                        rssi: advert.rssi,
                    };
                    let done = enough(&sighting);
                    // The latest advert of each device: its service data changes with its
                    // pairing window and nonce ([BLE-20], [BLE-22]).
                    heard.retain(|s| s.peripheral != sighting.peripheral);
                    heard.push(sighting);
                    if done {
                        break;
                    }
                }
                scan.stop().await.map_err(|e| e.to_string())?;
                Ok(heard)
            })
        }

        fn connect<'a>(&'a self, peripheral: &'a str) -> BoxFuture<'a, Result<Connected, String>> {
            Box::pin(async move {
                let id = self
                    .seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(peripheral)
                    .cloned()
                    .ok_or_else(|| format!("{peripheral} was not heard in a scan"))?;
                self.central.connect(&id).await.map_err(|e| e.to_string())
            })
        }
    }
}

#[cfg(all(feature = "ble", target_os = "linux"))]
mod peripheral {
    use orbit_ble::bluer::{BluezPeripheral, PeripheralConfig};
    use orbit_sdk::device::BlePeripheral;
    use std::time::Duration;
    use tokio::sync::watch;

    /// How often the advert is compared with what the device wants advertised (its pairing
    /// window opened or closed, it joined a home, a new nonce, [BLE-20] to [BLE-22]).
    const ADVERT_REFRESH: Duration = Duration::from_secs(1);

    /// Serves the device in `device` (replaced when the device restarts) over BlueZ: advertises
    /// its advert, refreshes it when it changes, and serves each central that connects
    /// ([BLE-3]), one at a time. Returns when the adapter fails (the error says why) or the
    /// sender of `device` is dropped.
    pub(crate) async fn serve(
        mut device: watch::Receiver<BlePeripheral>,
    ) -> Result<(), orbit_ble::adapter::AdapterError> {
        let advert = |d: &BlePeripheral| d.advert().map(|a| a.service_data()).unwrap_or_default();
        let mut advertised = advert(&device.borrow());
        let mut bluez = BluezPeripheral::start(PeripheralConfig {
            adapter: None,
            service_data: advertised.clone(),
        })
        .await?;
        tracing::info!(
            adapter = bluez.adapter_name(),
            "serving Orbit over Bluetooth LE"
        );
        let mut tick = tokio::time::interval(ADVERT_REFRESH);
        loop {
            tokio::select! {
                accepted = bluez.accept() => {
                    let (radio, events) = accepted?;
                    device.borrow().serve(radio, events);
                }
                changed = device.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
                _ = tick.tick() => {}
            }
            let now = advert(&device.borrow());
            if now != advertised && !now.is_empty() {
                bluez.set_service_data(now.clone())?;
                advertised = now;
            }
        }
    }
}

/// The running device's BLE side, which the service follows, and the service's task.
#[cfg(all(feature = "ble", target_os = "linux"))]
type Serving = (
    tokio::sync::watch::Sender<orbit_sdk::device::BlePeripheral>,
    tokio::task::JoinHandle<Result<(), orbit_ble::adapter::AdapterError>>,
);

/// `orbit device run --ble`'s Bluetooth side: the BlueZ peripheral serving the running device
/// (which changes on a reset or power cycle). Nothing without `--ble`.
pub(crate) struct Bluetooth {
    #[cfg(all(feature = "ble", target_os = "linux"))]
    serving: Option<Serving>,
}

impl Bluetooth {
    /// Starts serving `device` over BlueZ when `ble` is set.
    pub(crate) fn start(ble: bool, device: &orbit_sdk::device::Device) -> Result<Self, String> {
        #[cfg(all(feature = "ble", target_os = "linux"))]
        {
            let serving = ble.then(|| {
                let (follow, current) = tokio::sync::watch::channel(device.ble());
                (follow, tokio::spawn(serve(current)))
            });
            Ok(Bluetooth { serving })
        }
        #[cfg(not(all(feature = "ble", target_os = "linux")))]
        {
            let _ = device;
            if ble {
                return Err(if cfg!(feature = "ble") {
                    "a device serves Bluetooth LE through BlueZ, on Linux only".to_owned()
                } else {
                    NEEDS_FEATURE.to_owned()
                });
            }
            Ok(Bluetooth {})
        }
    }

    /// Serves `device` from now on (it restarted).
    pub(crate) fn follow(&self, device: &orbit_sdk::device::Device) {
        #[cfg(all(feature = "ble", target_os = "linux"))]
        if let Some((follow, _)) = &self.serving {
            let _ = follow.send(device.ble());
        }
        #[cfg(not(all(feature = "ble", target_os = "linux")))]
        let _ = device;
    }

    /// Waits until the Bluetooth side fails, and says why; never without `--ble`.
    pub(crate) async fn failed(&mut self) -> String {
        #[cfg(all(feature = "ble", target_os = "linux"))]
        if let Some((_, task)) = &mut self.serving {
            let why = match task.await {
                Ok(Ok(())) => "the Bluetooth service stopped".to_owned(),
                Ok(Err(e)) => format!("Bluetooth LE: {e}"),
                Err(e) => format!("the Bluetooth service ended: {e}"),
            };
            self.serving = None;
            return why;
        }
        std::future::pending().await
    }
}
