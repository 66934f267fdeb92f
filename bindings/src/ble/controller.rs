//! Pairing over Bluetooth LE and moving a session between BLE and QUIC, through the app's
//! [`BleBridge`] ([BLE-24] to [BLE-29]).

use super::{BleBridge, BridgeCentral};
use crate::controller::{paired, OrbitController, Paired};
use crate::device::DeviceSession;
use crate::error::OrbitError;
use crate::runtime::on_runtime;
use crate::timings::timings;
use std::sync::Arc;
use std::time::Duration;

/// What moving a session from BLE to QUIC took, phase by phase.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BleHandoff {
    /// The device's QUIC address the session moved to (`host:port`).
    pub address: String,
    /// Reading the device's addresses inside the session, over BLE.
    pub read_addresses: Duration,
    /// The QUIC connection's own handshake (no Orbit handshake).
    pub quic_connect: Duration,
    /// The session's first request over QUIC, which moves the device's route.
    pub first_request: Duration,
    /// The BLE link's graceful close, after the device sent what it had queued on it.
    pub ble_close: Duration,
    /// The whole move.
    pub total: Duration,
}

impl From<orbit_sdk::controller::Handoff> for BleHandoff {
    fn from(h: orbit_sdk::controller::Handoff) -> Self {
        BleHandoff {
            address: h.address.to_string(),
            read_addresses: h.read_addresses,
            quic_connect: h.quic_connect,
            first_request: h.first_request,
            ble_close: h.ble_close,
            total: h.total,
        }
    }
}

#[uniffi::export]
impl OrbitController {
    /// Pairs over Bluetooth LE with the device whose setup code is `code`: scans through
    /// `bridge` for the device in pairing mode whose advert has the code's discriminator,
    /// connects, and pairs, commissions and opens a session over the BLE link, as
    /// [`OrbitController::pair`] does over QUIC. The session runs over BLE until
    /// [`OrbitController::hand_off`] moves it to QUIC.
    #[uniffi::method(default(name = None))]
    pub async fn pair_over_ble(
        &self,
        code: String,
        bridge: Arc<dyn BleBridge>,
        name: Option<String>,
    ) -> Result<Paired, OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let central = BridgeCentral(bridge);
            let done = inner
                .pair_over_ble(&code, &central, name.as_deref())
                .await?;
            Ok(paired(done))
        })
        .await
    }

    /// Opens a session over Bluetooth LE with the paired device `name`, found by its
    /// operational advert through `bridge` (only this home recognises it): resumes the last
    /// session with its ticket when the device allows it, as [`OrbitController::connect`]
    /// does over QUIC.
    pub async fn connect_over_ble(
        &self,
        name: String,
        bridge: Arc<dyn BleBridge>,
    ) -> Result<Arc<DeviceSession>, OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let central = BridgeCentral(bridge);
            let (conn, t) = inner.connect_over_ble(&name, &central).await?;
            Ok(DeviceSession::new(name, conn, timings(&t)))
        })
        .await
    }

    /// Moves `session` from its BLE link to QUIC without a new handshake: reads the device's
    /// network addresses inside the session, connects over QUIC, sends the session's next
    /// request there, and closes the BLE link once the device has sent what it queued on it.
    /// Subscriptions go on; the addresses are stored for later connections.
    pub async fn hand_off(&self, session: Arc<DeviceSession>) -> Result<BleHandoff, OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let handoff = inner
                .hand_off(session.name_ref(), session.connection())
                .await?;
            Ok(BleHandoff::from(handoff))
        })
        .await
    }

    /// Moves `session` back to Bluetooth LE (when the network is lost): finds the device by
    /// its operational advert through `bridge`, connects, and sends the session's next request
    /// over the new link. Returns how long the move took.
    pub async fn fall_back_to_ble(
        &self,
        session: Arc<DeviceSession>,
        bridge: Arc<dyn BleBridge>,
    ) -> Result<Duration, OrbitError> {
        let inner = self.inner.clone();
        on_runtime(async move {
            let central = BridgeCentral(bridge);
            Ok(inner
                .fall_back_to_ble(session.name_ref(), session.connection(), &central)
                .await?)
        })
        .await
    }
}
