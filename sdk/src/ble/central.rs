//! The central seam: what a controller needs from a Bluetooth stack to find and reach devices
//! (a desktop adapter, a phone's stack through the bindings, or the simulated air in tests).

use orbit_ble::radio::{Radio, RadioEvent};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A boxed future, so that the seam is object-safe (one `dyn BleCentral` per stack).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One advert heard while scanning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    /// The stack's handle for the peripheral (an address or a platform identifier), passed
    /// back to [`BleCentral::connect`].
    pub peripheral: String,
    /// The Orbit service data of the advert ([BLE-20], [BLE-21]), as received.
    pub service_data: Vec<u8>,
    /// Signal strength, when the stack reports it: the nearest device is tried first.
    pub rssi: Option<i16>,
}

/// A connected peripheral: the radio to write on and the events it delivers.
pub type Connected = (Arc<dyn Radio>, mpsc::Receiver<RadioEvent>);

/// A Bluetooth stack in the central role.
pub trait BleCentral: Send + Sync {
    /// Scans for adverts of the Orbit service for at most `timeout`; `enough` is called on
    /// each new sighting and ends the scan early when it returns true.
    fn scan<'a>(
        &'a self,
        timeout: Duration,
        enough: &'a (dyn Fn(&Sighting) -> bool + Send + Sync),
    ) -> BoxFuture<'a, Result<Vec<Sighting>, String>>;

    /// Connects to `peripheral`, exchanges the MTU and subscribes to the notify
    /// characteristic ([BLE-3]), so that the Orbit link can start.
    fn connect<'a>(&'a self, peripheral: &'a str) -> BoxFuture<'a, Result<Connected, String>>;
}
