//! This machine's Bluetooth adapter as the suite's central (feature `ble`): orbit-ble's
//! btleplug central behind the SDK's [`BleCentral`] seam. A peripheral is named by the
//! stack's identifier as the scan reports it; `ble://PERIPHERAL` matches any identifier that
//! contains PERIPHERAL (on Linux the address, `AA:BB:CC:DD:EE:FF`, matches BlueZ's
//! `dev_AA_BB_CC_DD_EE_FF`).

use orbit_ble::btleplug::{BtleplugCentral, CentralConfig, PeripheralId};
use orbit_sdk::ble::{BleCentral, BoxFuture, Connected, Sighting};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One round of scanning.
const SCAN_ROUND: Duration = Duration::from_secs(1);

/// The desktop central.
pub(super) struct DesktopCentral {
    central: BtleplugCentral,
    /// Every peripheral a scan reported, by the name the suite gave it.
    seen: Mutex<HashMap<String, PeripheralId>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn name_of(id: &PeripheralId) -> String {
    format!("{id:?}")
}

/// Whether the user's `wanted` names `name` (case-insensitive; `:` read as `_`, BlueZ's
/// spelling of an address in its object paths).
fn names(name: &str, wanted: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let wanted = wanted.to_ascii_lowercase();
    name == wanted || name.contains(&wanted) || name.contains(&wanted.replace(':', "_"))
}

impl DesktopCentral {
    /// Opens the first Bluetooth adapter of this machine.
    pub(super) async fn open() -> Result<Self, String> {
        let central = BtleplugCentral::new(CentralConfig::default())
            .await
            .map_err(|e| format!("no usable Bluetooth adapter: {e}"))?;
        Ok(Self {
            central,
            seen: Mutex::new(HashMap::new()),
        })
    }

    async fn scan_until(
        &self,
        timeout: Duration,
        enough: &(dyn Fn(&Sighting) -> bool + Send + Sync),
    ) -> Result<Vec<Sighting>, String> {
        // Rounds of one second until `enough` or `timeout`, each on a blocking thread: a
        // btleplug scan's future is not Send (its event stream is not Sync), and the seam's
        // futures must be.
        let deadline = tokio::time::Instant::now() + timeout;
        let mut heard: Vec<Sighting> = Vec::new();
        while tokio::time::Instant::now() < deadline {
            let central = self.central.clone();
            let runtime = tokio::runtime::Handle::current();
            let adverts =
                tokio::task::spawn_blocking(move || runtime.block_on(central.scan_for(SCAN_ROUND)))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
            let mut done = false;
            for advert in adverts {
                let name = name_of(&advert.id);
                lock(&self.seen).insert(name.clone(), advert.id.clone());
                let sighting = Sighting {
                    peripheral: name,
                    service_data: advert.service_data,
                    rssi: advert.rssi,
                };
                done |= enough(&sighting);
                heard.retain(|s| s.peripheral != sighting.peripheral);
                heard.push(sighting);
            }
            if done {
                break;
            }
        }
        Ok(heard)
    }
}

impl BleCentral for DesktopCentral {
    fn scan<'a>(
        &'a self,
        timeout: Duration,
        enough: &'a (dyn Fn(&Sighting) -> bool + Send + Sync),
    ) -> BoxFuture<'a, Result<Vec<Sighting>, String>> {
        Box::pin(self.scan_until(timeout, enough))
    }

    fn connect<'a>(&'a self, peripheral: &'a str) -> BoxFuture<'a, Result<Connected, String>> {
        Box::pin(async move {
            let known = |seen: &HashMap<String, PeripheralId>| {
                seen.iter()
                    .find(|(name, _)| names(name, peripheral))
                    .map(|(_, id)| id.clone())
            };
            let mut id = known(&lock(&self.seen));
            if id.is_none() {
                let wanted = |s: &Sighting| names(&s.peripheral, peripheral);
                self.scan_until(super::SCAN_TIMEOUT, &wanted).await?;
                id = known(&lock(&self.seen));
            }
            let id = id.ok_or_else(|| {
                format!("no Orbit advert from a peripheral named {peripheral:?} was heard")
            })?;
            self.central.connect(&id).await.map_err(|e| e.to_string())
        })
    }
}
