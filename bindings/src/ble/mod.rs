//! Orbit over Bluetooth LE through the phone's own stack. The app implements [`BleBridge`]
//! over CoreBluetooth or android.bluetooth: it scans, connects, writes and disconnects, and
//! hands what the stack delivers (adverts, notifications, disconnections) to the small Rust
//! objects the SDK gives it ([`BleScan`], [`BleInbound`]). Everything above the GATT
//! characteristics (the framing, the handshake, sessions, the handoff to QUIC) runs in Rust:
//! the same code as with the simulated link and the desktop adapters (`spec/v1/18-ble.md`).
//!
//! The SDK calls the bridge on its own blocking threads, never on the caller's and never on
//! the runtime's workers, so a bridge may block (for example until `connect` has exchanged the
//! MTU and subscribed). The app may call [`BleScan`] and [`BleInbound`] from any thread; they
//! never block.

mod central;
mod controller;
mod inbound;

pub(crate) use central::BridgeCentral;
pub use controller::BleHandoff;
pub use inbound::{BleInbound, BleScan};

use std::sync::Arc;

/// Why the phone's Bluetooth stack could not do what the SDK asked; its message reaches the
/// caller inside the [`crate::OrbitError`] of the call (Bluetooth off, permission missing,
/// GATT error 133, the peripheral has no Orbit service...).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum BleFailure {
    /// The stack refused or failed.
    #[error("{detail}")]
    Failed {
        /// What went wrong, in the stack's words.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for BleFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        BleFailure::Failed { detail: e.reason }
    }
}

/// One advert of the Orbit service heard while scanning ([BLE-20], [BLE-21]).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BleSighting {
    /// The stack's handle for the peripheral (Android: its address; iOS: the peripheral's
    /// identifier), passed back to [`BleBridge::connect`].
    pub peripheral: String,
    /// The advert's service data for the Orbit service UUID, as received (AD type 0x21).
    pub service_data: Vec<u8>,
    /// Signal strength in dBm, when the stack reports it: the nearest device is tried first.
    pub rssi: Option<i16>,
}

/// The phone's Bluetooth stack in the central role, implemented by the app. Every call
/// concerns the Orbit GATT service (`b4ad8bd0-d52f-4bba-ba71-2fdd873d7565`, [BLE-1]).
#[uniffi::export(foreign)]
pub trait BleBridge: Send + Sync {
    /// Starts scanning for adverts of the Orbit service and gives each to `scan` (a repeated
    /// advert may be given again). Returns at once; the SDK calls [`BleBridge::stop_scan`]
    /// when it has heard enough or its timeout has passed.
    fn start_scan(&self, scan: Arc<BleScan>) -> Result<(), BleFailure>;
    /// Stops the scan [`BleBridge::start_scan`] started.
    fn stop_scan(&self);
    /// Connects to `peripheral`, asks for an ATT MTU of 517, discovers the Orbit service and
    /// enables notifications of its notify characteristic ([BLE-3]); from then on gives every
    /// notification and the end of the connection to `inbound`. Returns the ATT MTU the
    /// exchange left (23 to 517). May block until all of that is done.
    fn connect(&self, peripheral: String, inbound: Arc<BleInbound>) -> Result<u16, BleFailure>;
    /// Writes `value` (at most the ATT MTU less 3 bytes) to the Orbit write characteristic
    /// with Write Without Response ([BLE-2]); values must reach the peripheral in the order
    /// written. May block while the stack's buffers are full.
    fn write(&self, peripheral: String, value: Vec<u8>) -> Result<(), BleFailure>;
    /// Ends the connection to `peripheral` (a connection already gone is no error).
    fn disconnect(&self, peripheral: String);
}
