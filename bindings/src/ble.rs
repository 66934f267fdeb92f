//! The BLE bridge seam, declared now so that the BLE transport (a later issue) can plug the
//! phone's Bluetooth stack in without changing this API. Nothing in the SDK calls it yet:
//! passing a bridge has no effect until the BLE transport exists.
//!
//! GATT out: the SDK asks the app's [`BleBridge`] to connect to a peripheral and write to
//! its Orbit characteristic. GATT in: the app hands notifications and disconnections to the
//! [`BleInbound`] the SDK gave it.

use crate::error::OrbitError;
use std::sync::Arc;

/// What the SDK receives from the phone's Bluetooth stack (implemented by the SDK).
#[uniffi::export(foreign)]
pub trait BleInbound: Send + Sync {
    /// A notification (or indication) of the Orbit characteristic from `peripheral`.
    fn on_notification(&self, peripheral: String, bytes: Vec<u8>);
    /// The link to `peripheral` is gone.
    fn on_disconnected(&self, peripheral: String);
}

/// The phone's Bluetooth stack as the BLE transport will use it (implemented by the app over
/// CoreBluetooth or android.bluetooth). Not used yet; see the module documentation.
#[uniffi::export(foreign)]
pub trait BleBridge: Send + Sync {
    /// Connects to `peripheral`, discovers the Orbit service, subscribes to its
    /// characteristic's notifications (delivered to `inbound`), and returns the ATT MTU.
    fn connect(&self, peripheral: String, inbound: Arc<dyn BleInbound>) -> Result<u16, OrbitError>;
    /// Writes `bytes` (at most the ATT MTU minus 3) to the Orbit characteristic.
    fn write(&self, peripheral: String, bytes: Vec<u8>) -> Result<(), OrbitError>;
    /// Disconnects from `peripheral`.
    fn disconnect(&self, peripheral: String);
}
