//! What the app's Bluetooth stack hands to the SDK: sightings while scanning ([`BleScan`]),
//! and notifications and the end of a connection ([`BleInbound`]). Both are Rust objects the
//! SDK gives the bridge; they only queue what they get, so the stack's callback threads
//! never wait on the SDK.

use super::BleSighting;
use orbit_ble::radio::RadioEvent;
use orbit_sdk::ble::Sighting;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where the bridge reports the adverts of one scan. Adverts after the scan ended are
/// ignored.
#[derive(Debug, uniffi::Object)]
pub struct BleScan {
    sightings: Mutex<Option<mpsc::Sender<Sighting>>>,
}

impl BleScan {
    /// A scan's reporter and the receiver of what it reports; `capacity` sightings may wait
    /// (beyond that they are dropped: adverts repeat, so none is lost for good).
    pub(crate) fn new(capacity: usize) -> (std::sync::Arc<Self>, mpsc::Receiver<Sighting>) {
        let (tx, rx) = mpsc::channel(capacity);
        let scan = BleScan {
            sightings: Mutex::new(Some(tx)),
        };
        (std::sync::Arc::new(scan), rx)
    }

    /// Ends the scan: later sightings are ignored.
    pub(crate) fn end(&self) {
        lock(&self.sightings).take();
    }
}

#[uniffi::export]
impl BleScan {
    /// An advert of the Orbit service was heard (Android: `ScanCallback.onScanResult`; iOS:
    /// `centralManager(_:didDiscover:advertisementData:rssi:)`).
    pub fn on_sighting(&self, sighting: BleSighting) {
        if let Some(tx) = lock(&self.sightings).as_ref() {
            // A full queue drops the advert; the peripheral advertises it again.
            let _ = tx.try_send(Sighting {
                peripheral: sighting.peripheral,
                service_data: sighting.service_data,
                rssi: sighting.rssi,
            });
        }
    }
}

/// Where the bridge delivers what happens on one connection: each notification of the Orbit
/// notify characteristic, in the order received, and the connection's end.
#[derive(Debug, uniffi::Object)]
pub struct BleInbound {
    events: Mutex<Option<mpsc::Sender<RadioEvent>>>,
    /// The app said the connection is gone, so the SDK need not disconnect it.
    gone: AtomicBool,
}

impl BleInbound {
    /// A connection's inbound side and the receiver of its events for the link; `capacity`
    /// events may wait.
    pub(crate) fn new(capacity: usize) -> (std::sync::Arc<Self>, mpsc::Receiver<RadioEvent>) {
        let (tx, rx) = mpsc::channel(capacity);
        let inbound = BleInbound {
            events: Mutex::new(Some(tx)),
            gone: AtomicBool::new(false),
        };
        (std::sync::Arc::new(inbound), rx)
    }

    /// Ends the link: it sees the connection's end after what was queued before.
    pub(crate) fn end(&self) {
        if let Some(tx) = lock(&self.events).take() {
            // If the queue is full, dropping the sender ends the link just the same.
            let _ = tx.try_send(RadioEvent::Disconnected);
        }
    }

    /// Whether the app reported the connection's end.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }
}

#[uniffi::export]
impl BleInbound {
    /// A notification of the Orbit notify characteristic (Android:
    /// `BluetoothGattCallback.onCharacteristicChanged`; iOS:
    /// `peripheral(_:didUpdateValueFor:error:)`): one frame ([BLE-2]).
    pub fn on_notification(&self, value: Vec<u8>) {
        let mut events = lock(&self.events);
        if let Some(tx) = events.as_ref() {
            if tx.try_send(RadioEvent::Received(value)).is_err() {
                // The link has stopped reading (or ended): rather than buffer without bound
                // or drop a frame in the middle of the stream, end the link.
                events.take();
            }
        }
    }

    /// The connection ended (Android: `onConnectionStateChange` to disconnected; iOS:
    /// `centralManager(_:didDisconnectPeripheral:error:)`).
    pub fn on_disconnected(&self) {
        self.gone.store(true, Ordering::Release);
        self.end();
    }
}
