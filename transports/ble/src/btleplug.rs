//! A desktop central on btleplug (feature `btleplug`; Linux through BlueZ, macOS through
//! CoreBluetooth, Windows through WinRT): finds Orbit devices by their adverts and opens the
//! GATT connection an Orbit link runs on ([BLE-1]..[BLE-3]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), orbit_ble::adapter::AdapterError> {
//! use orbit_ble::btleplug::{BtleplugCentral, CentralConfig};
//! let central = BtleplugCentral::new(CentralConfig::default()).await?;
//! let adverts = central.scan_for(std::time::Duration::from_secs(3)).await?;
//! if let Some(advert) = adverts.first() {
//!     // advert.service_data goes to the advert parser ([BLE-20], [BLE-21]).
//!     let (radio, events) = central.connect(&advert.id).await?;
//!     // radio and events go to the async link (`Link::central`).
//! #   drop((radio, events));
//! }
//! # Ok(()) }
//! ```
//!
//! Not run in CI: the project's machines have no Bluetooth controller (see the crate README).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ::btleplug::api::{
    Central as _, CentralEvent, CharPropFlags, Characteristic, Manager as _, Peripheral as _,
    ScanFilter, ValueNotification, WriteType,
};
use ::btleplug::platform::{Adapter, Manager, Peripheral};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::timeout;
use uuid::Uuid;

pub use ::btleplug::platform::PeripheralId;

use crate::adapter::{queued_radio, AdapterError, RadioTask};
use crate::gatt::{NOTIFY_CHARACTERISTIC_UUID, SERVICE_UUID, WRITE_CHARACTERISTIC_UUID};
use crate::radio::{Radio, RadioEvent};

const SERVICE: Uuid = Uuid::from_u128(SERVICE_UUID);
const WRITE: Uuid = Uuid::from_u128(WRITE_CHARACTERISTIC_UUID);
const NOTIFY: Uuid = Uuid::from_u128(NOTIFY_CHARACTERISTIC_UUID);

/// How the central picks its adapter and how long it waits for the stack.
#[derive(Clone, Debug)]
pub struct CentralConfig {
    /// Which adapter to use: the first whose `adapter_info` (on Linux, e.g. `hci0 (usb:...)`)
    /// starts with this; `None` uses the first adapter the OS lists.
    pub adapter: Option<String>,
    /// The ATT MTU to report to the link instead of the one btleplug exposes. btleplug has no
    /// call to request an MTU: the OS stack negotiates it on connection (BlueZ asks for 517,
    /// CoreBluetooth and WinRT for what they support, which meets [BLE-3]'s SHOULD), and
    /// `Peripheral::mtu` reports the result after service discovery (on BlueZ from the
    /// characteristics' `MTU` property, BlueZ >= 5.62; 23, the ATT default, where a platform
    /// does not tell). Set this to work around a stack that reports a wrong value; it is
    /// clamped to 23..=517.
    pub att_mtu: Option<u16>,
    /// How long `connect` waits for the connection, and then for service discovery.
    pub connect_timeout: Duration,
}

impl Default for CentralConfig {
    fn default() -> Self {
        Self {
            adapter: None,
            att_mtu: None,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// One Orbit advert seen while scanning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advert {
    /// The peripheral, as the stack names it (pass it to [`BtleplugCentral::connect`]).
    pub id: PeripheralId,
    /// The raw Orbit service data: the bytes of the advert's Service Data AD for the Orbit
    /// service UUID ([BLE-20], [BLE-21]), unparsed.
    pub service_data: Vec<u8>,
    /// The signal strength of the advert in dBm, when the stack reports it.
    pub rssi: Option<i16>,
}

/// A Bluetooth central on one adapter of this machine.
#[derive(Clone, Debug)]
pub struct BtleplugCentral {
    adapter: Adapter,
    config: CentralConfig,
}

impl BtleplugCentral {
    /// Opens the adapter `config` names (or the first one).
    pub async fn new(config: CentralConfig) -> Result<Self, AdapterError> {
        let manager = Manager::new().await.map_err(stack)?;
        let mut chosen = None;
        for adapter in manager.adapters().await.map_err(stack)? {
            let Some(wanted) = &config.adapter else {
                chosen = Some(adapter);
                break;
            };
            if adapter
                .adapter_info()
                .await
                .is_ok_and(|info| info.starts_with(wanted.as_str()))
            {
                chosen = Some(adapter);
                break;
            }
        }
        let adapter = chosen.ok_or(AdapterError::NoAdapter)?;
        Ok(Self { adapter, config })
    }

    /// Starts scanning for Orbit adverts; read them with [`Scan::next`].
    ///
    /// The scan has no service filter: an Orbit advert carries the service UUID only as the
    /// UUID of its service data (flags, 3 bytes, and the 128-bit service data, 28 bytes, fill
    /// the 31 bytes of a legacy advert, so there is no room for a UUID list), and the OS
    /// filters (CoreBluetooth's in particular) match only advertised UUID lists. The scan
    /// picks Orbit adverts by their service data instead.
    pub async fn scan(&self) -> Result<Scan, AdapterError> {
        // Events first, so that nothing discovered between the two calls is missed.
        let events = self.adapter.events().await.map_err(stack)?;
        self.adapter
            .start_scan(ScanFilter::default())
            .await
            .map_err(stack)?;
        Ok(Scan {
            adapter: self.adapter.clone(),
            events,
        })
    }

    /// Scans for `duration` and returns the latest advert of each Orbit device seen, in the
    /// order first seen.
    pub async fn scan_for(&self, duration: Duration) -> Result<Vec<Advert>, AdapterError> {
        let mut scan = self.scan().await?;
        let mut seen: Vec<Advert> = Vec::new();
        let deadline = tokio::time::Instant::now() + duration;
        while let Ok(Some(advert)) = tokio::time::timeout_at(deadline, scan.next()).await {
            match seen.iter_mut().find(|known| known.id == advert.id) {
                Some(known) => *known = advert,
                None => seen.push(advert),
            }
        }
        scan.stop().await?;
        Ok(seen)
    }

    /// Connects to `id`, discovers the Orbit service, subscribes to N and returns the radio
    /// for the link and the receiver of its events ([BLE-3]: what is left for the link is the
    /// handshake). Writes go to W as ATT Write Without Response ([BLE-2]); notifications of N
    /// arrive as [`RadioEvent::Received`]; the end of the connection, from either side, as
    /// [`RadioEvent::Disconnected`]. Any failure after the connection exists disconnects.
    pub async fn connect(
        &self,
        id: &PeripheralId,
    ) -> Result<(Arc<dyn Radio>, mpsc::Receiver<RadioEvent>), AdapterError> {
        let peripheral = self.adapter.peripheral(id).await.map_err(stack)?;
        // Events first, so that a disconnect right after connecting is not missed.
        let central_events = self.adapter.events().await.map_err(stack)?;
        let Ok(connected) = timeout(self.config.connect_timeout, peripheral.connect()).await else {
            // The stack may still be trying: cancel, so that no connection appears unowned.
            let _ = peripheral.disconnect().await;
            return Err(AdapterError::Timeout("connection"));
        };
        connected.map_err(stack)?;
        match self.open(&peripheral, central_events).await {
            Ok(link) => Ok(link),
            Err(error) => {
                let _ = peripheral.disconnect().await;
                Err(error)
            }
        }
    }

    /// The steps of `connect` once connected: discovery, subscription, the link's task.
    async fn open(
        &self,
        peripheral: &Peripheral,
        central_events: EventStream,
    ) -> Result<(Arc<dyn Radio>, mpsc::Receiver<RadioEvent>), AdapterError> {
        timeout(self.config.connect_timeout, peripheral.discover_services())
            .await
            .map_err(|_| AdapterError::Timeout("service discovery"))?
            .map_err(stack)?;
        let characteristics = peripheral.characteristics();
        let write = orbit_characteristic(
            &characteristics,
            WRITE,
            CharPropFlags::WRITE_WITHOUT_RESPONSE,
            "W",
        )?;
        let notify = orbit_characteristic(&characteristics, NOTIFY, CharPropFlags::NOTIFY, "N")?;
        // The stream before the subscription: nothing the peripheral notifies is missed.
        let notifications = peripheral.notifications().await.map_err(stack)?;
        peripheral.subscribe(&notify).await.map_err(stack)?;
        let att_mtu = self.config.att_mtu.unwrap_or_else(|| peripheral.mtu());
        let (radio, events, task) = queued_radio(att_mtu);
        tokio::spawn(drive(
            peripheral.clone(),
            write,
            notifications,
            central_events,
            task,
        ));
        Ok((radio, events))
    }
}

/// A scan in progress: Orbit adverts as the stack reports them (a device appears again each
/// time its service data changes). Call [`Scan::stop`] when done: dropping it leaves the
/// adapter scanning.
pub struct Scan {
    adapter: Adapter,
    events: EventStream,
}

impl Scan {
    /// The next Orbit advert, or `None` when the stack ends the scan's event stream.
    ///
    /// A device the stack only remembers from an earlier scan (BlueZ keeps them) has no RSSI
    /// and its service data may be stale: it is reported only once it advertises again.
    pub async fn next(&mut self) -> Option<Advert> {
        while let Some(event) = self.events.next().await {
            let (id, service_data) = match event {
                CentralEvent::ServiceDataAdvertisement { id, service_data } => {
                    (id, Some(service_data))
                }
                // BlueZ reports a new device once, with its first advert in its properties.
                CentralEvent::DeviceDiscovered(id) => (id, None),
                _ => continue,
            };
            if let Some(advert) = orbit_advert(&self.adapter, id, service_data).await {
                return Some(advert);
            }
        }
        None
    }

    /// Stops scanning.
    pub async fn stop(self) -> Result<(), AdapterError> {
        self.adapter.stop_scan().await.map_err(stack)
    }
}

/// The Orbit advert of `id`, from the event's service data or else the peripheral's
/// properties; `None` when it has no Orbit service data or is not freshly seen. A function of
/// the adapter, not of the [`Scan`], so that [`Scan::next`]'s future is `Send` (the scan's
/// event stream is not `Sync`) and a scan can run on a multi-threaded runtime's task.
async fn orbit_advert(
    adapter: &Adapter,
    id: PeripheralId,
    event_data: Option<HashMap<Uuid, Vec<u8>>>,
) -> Option<Advert> {
    let peripheral = adapter.peripheral(&id).await.ok()?;
    let properties = peripheral.properties().await.ok().flatten();
    let rssi = properties.as_ref().and_then(|properties| properties.rssi);
    let service_data = match event_data {
        Some(mut data) => data.remove(&SERVICE)?,
        None => {
            rssi?;
            properties?.service_data.remove(&SERVICE)?
        }
    };
    Some(Advert {
        id,
        service_data,
        rssi,
    })
}

type EventStream = Pin<Box<dyn Stream<Item = CentralEvent> + Send>>;
type NotificationStream = Pin<Box<dyn Stream<Item = ValueNotification> + Send>>;

/// The characteristic `uuid` of the Orbit service, if it has the property [BLE-1] requires.
fn orbit_characteristic(
    characteristics: &std::collections::BTreeSet<Characteristic>,
    uuid: Uuid,
    required: CharPropFlags,
    name: &str,
) -> Result<Characteristic, AdapterError> {
    let found = characteristics
        .iter()
        .find(|characteristic| {
            characteristic.service_uuid == SERVICE && characteristic.uuid == uuid
        })
        .ok_or_else(|| {
            AdapterError::NotOrbit(format!(
                "no characteristic {name} ({uuid}) in service {SERVICE}"
            ))
        })?;
    if !found.properties.contains(required) {
        return Err(AdapterError::NotOrbit(format!(
            "characteristic {name} has properties {:?}, not {required:?}",
            found.properties
        )));
    }
    Ok(found.clone())
}

/// The connection's task: writes queued values to W one at a time, in order ([BLE-2]), and
/// turns notifications of N and the peripheral's disconnection into radio events, until the
/// connection ends from either side.
async fn drive(
    peripheral: Peripheral,
    write: Characteristic,
    mut notifications: NotificationStream,
    mut central_events: EventStream,
    task: RadioTask,
) {
    let RadioTask {
        mut values,
        hang_up,
        events,
    } = task;
    let id = peripheral.id();
    let mut peer_left = false;
    loop {
        tokio::select! {
            value = values.recv() => {
                // None: every radio handle is gone, the link has ended.
                let Some(value) = value else { break };
                if peripheral.write(&write, &value, WriteType::WithoutResponse).await.is_err() {
                    // A value that did not go out breaks the in-order delivery [BLE-2] relies
                    // on: the link ends here rather than going on with a gap.
                    break;
                }
            }
            notification = notifications.next() => {
                let Some(notification) = notification else { break };
                if notification.service_uuid == SERVICE && notification.uuid == NOTIFY
                    && events.send(RadioEvent::Received(notification.value)).await.is_err()
                {
                    break;
                }
            }
            event = central_events.next() => match event {
                Some(CentralEvent::DeviceDisconnected(gone)) if gone == id => {
                    peer_left = true;
                    break;
                }
                Some(_) => {}
                None => break,
            },
            () = hang_up.notified() => break,
            () = events.closed() => break,
        }
    }
    if !peer_left {
        let _ = peripheral.disconnect().await;
    }
    let _ = events.send(RadioEvent::Disconnected).await;
}

fn stack(error: ::btleplug::Error) -> AdapterError {
    match error {
        ::btleplug::Error::NoAdapterAvailable => AdapterError::NoAdapter,
        ::btleplug::Error::TimedOut(_) => AdapterError::Timeout("operation"),
        other => AdapterError::Stack(other.to_string()),
    }
}
