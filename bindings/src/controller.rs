//! [`OrbitController`]: a home and the devices paired into it, over
//! `orbit_sdk::controller::Controller`.

use crate::device::DeviceSession;
use crate::discovery::{self, DiscoveredDevice, DiscoveryListener, ServiceBrowser};
use crate::error::{OrbitError, Phase};
use crate::runtime::on_runtime;
use crate::store::{AppStore, SecureStore};
use crate::timings::{timings, PhaseTiming};
use orbit_discovery::{DeviceAddress, DiscoveryConfig};
use orbit_quic::QuicConfig;
use orbit_sdk::controller::{Controller, Unpaired};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A device paired into the home, as the controller keeps it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PairedDevice {
    /// Its name in the app (unique in the home).
    pub name: String,
    /// Its node ID in the home.
    pub node_id: u64,
    /// Vendor ID from its attestation.
    pub vendor_id: u16,
    /// Product ID from its attestation.
    pub product_id: u16,
    /// Serial number from its attestation.
    pub serial: String,
    /// Where it was last reached (`host:port`), most recent first.
    pub addresses: Vec<String>,
}

impl From<orbit_sdk::controller::PairedDevice> for PairedDevice {
    fn from(d: orbit_sdk::controller::PairedDevice) -> Self {
        PairedDevice {
            name: d.name,
            node_id: d.node_id,
            vendor_id: d.vendor_id,
            product_id: d.product_id,
            serial: d.serial,
            addresses: d.addresses.iter().map(SocketAddr::to_string).collect(),
        }
    }
}

/// The result of pairing: the device as stored, a session open with it, and how long each
/// phase took.
#[derive(uniffi::Record)]
pub struct Paired {
    /// The device record.
    pub device: PairedDevice,
    /// The session opened right after pairing.
    pub session: Arc<DeviceSession>,
    /// The phases of the pairing.
    pub timings: Vec<PhaseTiming>,
}

/// What [`OrbitController::unpair`] did.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum UnpairOutcome {
    /// The device removed the home and the controller forgot it.
    FromDevice,
    /// The device could not be told (`force`): the controller forgot it, and the device
    /// keeps the home until it is reset.
    LocallyOnly {
        /// Why the device was not told.
        reason: String,
    },
}

/// A controller of one home: pairs with devices, connects to them, and remembers them in
/// its store.
#[derive(uniffi::Object)]
pub struct OrbitController {
    pub(crate) inner: Arc<Controller>,
    /// The platform's service discovery, or `None` for the SDK's own mDNS browser.
    browser: Option<Arc<dyn ServiceBrowser>>,
}

impl std::fmt::Debug for OrbitController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

/// `host:port`, `quic://host:port` or `host` (the default port) as a socket address.
fn address(text: &str) -> Result<SocketAddr, OrbitError> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("quic://{text}")
    };
    let parsed = DeviceAddress::parse(&with_scheme).map_err(OrbitError::invalid)?;
    let resolved = parsed.resolve().map_err(|e| OrbitError::NotFound {
        phase: Phase::Discovery,
        detail: e.to_string(),
    })?;
    resolved
        .first()
        .copied()
        .ok_or_else(|| OrbitError::NotFound {
            phase: Phase::Discovery,
            detail: format!("{parsed} resolves to no address"),
        })
}

#[uniffi::export]
impl OrbitController {
    /// Opens the home kept in `store`, or creates a new one there. Service discovery uses
    /// `browser` when the app gives one (Android's NsdManager, iOS's NWBrowser), and the
    /// SDK's own mDNS browser otherwise.
    #[uniffi::constructor(default(browser = None))]
    pub async fn open(
        store: Arc<dyn SecureStore>,
        browser: Option<Arc<dyn ServiceBrowser>>,
    ) -> Result<Arc<Self>, OrbitError> {
        on_runtime(async move {
            let inner = Controller::open(Arc::new(AppStore(store)), QuicConfig::default()).await?;
            Ok(Arc::new(OrbitController {
                inner: Arc::new(inner),
                browser,
            }))
        })
        .await
    }

    /// The home's identifier, 16 hex digits.
    pub fn home_id(&self) -> String {
        format!("{:016x}", self.inner.home_id())
    }

    /// The devices paired into the home.
    pub fn devices(&self) -> Vec<PairedDevice> {
        self.inner
            .devices()
            .into_iter()
            .map(PairedDevice::from)
            .collect()
    }

    /// The device called `name` (or with that node ID), if there is one.
    pub fn device(&self, name: String) -> Option<PairedDevice> {
        self.inner.device(&name).map(PairedDevice::from)
    }

    /// Pairs with the device at `address` (`host:port`) whose setup code is `code` (a QR
    /// string `OB1:...` or the digits of a manual code), commissions it into the home and
    /// stores it as `name` (or `vendor-product-serial` without one). A name in use is
    /// refused before the device is touched.
    #[uniffi::method(default(name = None))]
    pub async fn pair(
        &self,
        code: String,
        address: String,
        name: Option<String>,
    ) -> Result<Paired, OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let target = self::address(&address)?;
            pair_at(&inner, &code, target, name).await
        })
        .await
    }

    /// Pairs with the device whose setup code is `code`, found by service discovery (the
    /// platform's browser, or mDNS) within `timeout`.
    #[uniffi::method(default(name = None))]
    pub async fn pair_discovered(
        &self,
        code: String,
        timeout: Duration,
        name: Option<String>,
    ) -> Result<Paired, OrbitError> {
        let inner = self.inner.clone();
        let browser = self.browser.clone();
        on_runtime(async move {
            let target = match browser {
                Some(b) => discovery::find_by_setup_code(b, &code, timeout).await?,
                None => {
                    inner
                        .find_by_setup_code(&code, DiscoveryConfig::default(), timeout)
                        .await?
                }
            };
            pair_at(&inner, &code, target, name).await
        })
        .await
    }

    /// Opens a session with the paired device `name` at its last address (found again by
    /// mDNS if it moved, when the app gave no browser of its own), resuming the last session
    /// when the device allows it.
    pub async fn connect(&self, name: String) -> Result<Arc<DeviceSession>, OrbitError> {
        let inner = self.inner.clone();
        let own_browser = self.browser.is_none();
        on_runtime(async move {
            let (conn, t) = if own_browser {
                inner
                    .connect_or_locate(&name, DiscoveryConfig::default())
                    .await?
            } else {
                inner.connect(&name, None).await?
            };
            Ok(DeviceSession::new(name, conn, timings(&t)))
        })
        .await
    }

    /// Opens the device's pairing window for `duration` (3 to 15 minutes) so that a
    /// controller of another home can pair with it using the device's setup code.
    pub async fn open_pairing_window(
        &self,
        name: String,
        duration: Duration,
    ) -> Result<(), OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move { Ok(inner.open_pairing_window(&name, duration).await?) }).await
    }

    /// Removes the home from the device and forgets it. With `force`, the device is
    /// forgotten even when it cannot be told.
    #[uniffi::method(default(force = false))]
    pub async fn unpair(&self, name: String, force: bool) -> Result<UnpairOutcome, OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            Ok(match inner.unpair(&name, force).await? {
                Unpaired::LocallyOnly { reason } => UnpairOutcome::LocallyOnly { reason },
                _ => UnpairOutcome::FromDevice,
            })
        })
        .await
    }

    /// Devices nearby that accept pairing, looking for `timeout`; each is also given to
    /// `listener` as it is found.
    #[uniffi::method(default(listener = None))]
    pub async fn discover(
        &self,
        timeout: Duration,
        listener: Option<Arc<dyn DiscoveryListener>>,
    ) -> Result<Vec<DiscoveredDevice>, OrbitError> {
        let inner = self.inner.clone();
        let browser = self.browser.clone();
        on_runtime(async move {
            let found = match browser {
                Some(b) => discovery::browse(b, timeout).await?,
                None => {
                    discovery::from_sdk(inner.discover(DiscoveryConfig::default(), timeout).await?)
                }
            };
            if let Some(l) = listener {
                for d in &found {
                    l.on_found(d.clone());
                }
            }
            Ok(found)
        })
        .await
    }

    /// Closes every connection and tells the devices (waiting at most a second). Call it
    /// before the app drops the controller; it cannot connect afterwards.
    pub async fn shutdown(&self) -> Result<(), OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            inner.close().await;
            Ok(())
        })
        .await
    }
}

async fn pair_at(
    controller: &Controller,
    code: &str,
    target: SocketAddr,
    name: Option<String>,
) -> Result<Paired, OrbitError> {
    Ok(paired(
        controller.pair(code, target, name.as_deref()).await?,
    ))
}

/// The SDK's pairing result as the record the apps get.
pub(crate) fn paired(done: orbit_sdk::controller::Paired) -> Paired {
    let device = PairedDevice::from(done.device);
    let t = timings(&done.timings);
    Paired {
        session: DeviceSession::new(device.name.clone(), done.connection, t.clone()),
        device,
        timings: t,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn addresses_take_the_cli_forms_and_refuse_garbage() {
        assert_eq!(
            address("127.0.0.1:5541").unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 5541))
        );
        assert_eq!(
            address("quic://127.0.0.1:7000").unwrap(),
            SocketAddr::from(([127, 0, 0, 1], 7000))
        );
        assert!(matches!(
            address("quic://"),
            Err(OrbitError::InvalidInput { .. })
        ));
    }
}
