//! A Linux peripheral on BlueZ through bluer (feature `bluer`, Linux only): serves the Orbit
//! GATT service ([BLE-1]), advertises the Orbit service data the caller gives ([BLE-20],
//! [BLE-21]), and hands over one radio per central that subscribes to N ([BLE-3]), so a Linux
//! board can be an Orbit device over Bluetooth.
//!
//! ```no_run
//! # async fn demo(service_data: Vec<u8>) -> Result<(), orbit_ble::adapter::AdapterError> {
//! use orbit_ble::bluer::{BluezPeripheral, PeripheralConfig};
//! let mut peripheral = BluezPeripheral::start(PeripheralConfig { adapter: None, service_data }).await?;
//! loop {
//!     let (radio, events) = peripheral.accept().await?;
//!     // radio and events go to the async link (`Link::peripheral`).
//! #   drop((radio, events));
//! }
//! # }
//! ```
//!
//! Both characteristics use bluer's IO model (BlueZ's `AcquireWrite` / `AcquireNotify`): BlueZ
//! then passes every write to W, Write Without Response and Write Request alike ([BLE-2]),
//! through one socket in the order they arrived, and tells which central subscribed and the
//! MTU it exchanged. (bluer's callback model runs each write on a task of its own, which could
//! reorder two writes that arrive together.) The values must also share one ATT bearer
//! ([BLE-41]): bluetoothd is to run with `[GATT] Channels = 1` (transports/ble/README.md).
//!
//! One central at a time: BlueZ keeps one notification session per characteristic, whatever
//! the number of subscribed centrals, and notifies every one of them, so two concurrent links
//! would see each other's frames. While a link is open the peripheral stops advertising and
//! refuses writes from any other central; it advertises again when the link ends.
//!
//! Not run in CI: the project's machines have no Bluetooth controller (see the crate README).

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;

use ::bluer::adv::{Advertisement, AdvertisementHandle, Type};
use ::bluer::gatt::local::{
    characteristic_control, Application, ApplicationHandle, Characteristic, CharacteristicControl,
    CharacteristicControlEvent, CharacteristicControlHandle, CharacteristicNotify,
    CharacteristicNotifyMethod, CharacteristicWrite, CharacteristicWriteMethod, ReqError, Service,
};
use ::bluer::gatt::{CharacteristicReader, CharacteristicWriter};
use ::bluer::{Adapter, DeviceEvent, DeviceProperty, Session, Uuid};
use futures::{Stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::adapter::{queued_radio, AdapterError, RadioTask};
use crate::gatt::{NOTIFY_CHARACTERISTIC_UUID, SERVICE_UUID, WRITE_CHARACTERISTIC_UUID};
use crate::radio::{Radio, RadioEvent};

/// The most Orbit service data a legacy advert holds: its 31 bytes are the flags (3), and the
/// service data AD (2 + the 16-byte UUID + the data); [BLE-21]'s operational form is 10.
const SERVICE_DATA_MAX: usize = 10;

/// The framing's smallest segment is 20 bytes ([BLE-12]), which needs an ATT MTU of 23.
const ATT_MTU_MIN: usize = 23;

/// bluer's notification writer takes values of at most the exchanged ATT MTU minus 5 (2 bytes
/// fewer than ATT's 3-byte header leaves, because BlueZ cut the end of full-size values); the
/// link is told that plus the header, an ATT MTU 2 smaller than the exchanged one, so its
/// segments always fit.
const BLUER_NOTIFY_HEADROOM: usize = 3;

/// A new link: the radio for it and the receiver of its events.
type Accepted = (Arc<dyn Radio>, mpsc::Receiver<RadioEvent>);

/// Which adapter to serve on and what to advertise.
#[derive(Clone, Debug, Default)]
pub struct PeripheralConfig {
    /// The adapter's name (`hci0`, ...); `None` uses BlueZ's default adapter.
    pub adapter: Option<String>,
    /// The Orbit service data to advertise (1..=10 bytes: the commissionable form of [BLE-20]
    /// or the operational form of [BLE-21], as the advert module encodes them).
    pub service_data: Vec<u8>,
}

/// The Orbit GATT service served on one BlueZ adapter, advertising while no link is open.
/// Dropping it unregisters the service and stops advertising; open links end.
pub struct BluezPeripheral {
    links: mpsc::Receiver<Result<Accepted, AdapterError>>,
    service_data: watch::Sender<Vec<u8>>,
    adapter_name: String,
    server: JoinHandle<()>,
}

impl BluezPeripheral {
    /// Powers the adapter on, registers the GATT application and starts advertising.
    pub async fn start(config: PeripheralConfig) -> Result<Self, AdapterError> {
        check_service_data(&config.service_data)?;
        let session = Session::new().await.map_err(stack)?;
        let adapter = match &config.adapter {
            Some(name) => session.adapter(name).map_err(|_| AdapterError::NoAdapter)?,
            None => session
                .default_adapter()
                .await
                .map_err(|_| AdapterError::NoAdapter)?,
        };
        adapter.set_powered(true).await.map_err(stack)?;
        let (write_control, write_handle) = characteristic_control();
        let (notify_control, notify_handle) = characteristic_control();
        let application = adapter
            .serve_gatt_application(application(write_handle, notify_handle))
            .await
            .map_err(stack)?;
        let advert = adapter
            .advertise(advertisement(&config.service_data))
            .await
            .map_err(stack)?;
        let (links_tx, links) = mpsc::channel(1);
        let (service_data, service_data_rx) = watch::channel(config.service_data);
        let adapter_name = adapter.name().to_owned();
        let server = Server {
            adapter,
            _session: session,
            _application: application,
            advert: Some(advert),
            write_control,
            notify_control,
            service_data: service_data_rx,
            links: links_tx,
        };
        Ok(Self {
            links,
            service_data,
            adapter_name,
            server: tokio::spawn(server.run()),
        })
    }

    /// The name of the adapter served on (`hci0`, ...).
    pub fn adapter_name(&self) -> &str {
        &self.adapter_name
    }

    /// Waits for the next central to subscribe to N and returns the radio for its link and
    /// the receiver of its events: writes to the radio are notifications of N, writes of the
    /// central to W arrive as [`RadioEvent::Received`], the end of the connection as
    /// [`RadioEvent::Disconnected`]. The radio's ATT MTU is the one the central exchanged,
    /// less bluer's headroom. Call it again once the link has ended (one link at a time).
    pub async fn accept(&mut self) -> Result<Accepted, AdapterError> {
        self.links
            .recv()
            .await
            .unwrap_or(Err(AdapterError::Stopped))
    }

    /// Advertises `service_data` from now on (a new operational nonce, [BLE-22]; a pairing
    /// window that opened or closed, [BLE-20]). While a link is open the peripheral does not
    /// advertise; the new data is used when it ends.
    pub fn set_service_data(&self, service_data: Vec<u8>) -> Result<(), AdapterError> {
        check_service_data(&service_data)?;
        self.service_data
            .send(service_data)
            .map_err(|_| AdapterError::Stopped)
    }
}

impl Drop for BluezPeripheral {
    fn drop(&mut self) {
        // The server task owns the application and advert handles: ending it unregisters both.
        self.server.abort();
    }
}

/// The task that owns the GATT application and the advert, and serves one link at a time.
struct Server {
    adapter: Adapter,
    _session: Session,
    _application: ApplicationHandle,
    advert: Option<AdvertisementHandle>,
    write_control: CharacteristicControl,
    notify_control: CharacteristicControl,
    service_data: watch::Receiver<Vec<u8>>,
    links: mpsc::Sender<Result<Accepted, AdapterError>>,
}

impl Server {
    async fn run(mut self) {
        // A write stream BlueZ opened before the notify session: the central may write its
        // handshake as soon as its subscription is acknowledged, and BlueZ tells this
        // application of the two in either order.
        let mut early_reader: Option<CharacteristicReader> = None;
        loop {
            if self.advert.is_none() {
                let service_data = self.service_data.borrow_and_update().clone();
                match self.adapter.advertise(advertisement(&service_data)).await {
                    Ok(advert) => self.advert = Some(advert),
                    Err(error) => {
                        let _ = self.links.send(Err(stack(error))).await;
                        return;
                    }
                }
            }
            let writer = tokio::select! {
                event = self.notify_control.next() => match event {
                    Some(CharacteristicControlEvent::Notify(writer)) => writer,
                    Some(CharacteristicControlEvent::Write(request)) => {
                        request.reject(ReqError::NotSupported);
                        continue;
                    }
                    None => return,
                },
                event = self.write_control.next() => {
                    match event {
                        Some(CharacteristicControlEvent::Write(request)) => early_reader = request.accept().ok(),
                        Some(CharacteristicControlEvent::Notify(_)) => {}
                        None => return,
                    }
                    continue;
                }
                changed = self.service_data.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // Re-advertised with the new data at the top of the loop.
                    self.advert = None;
                    continue;
                }
                () = self.links.closed() => return,
            };
            // BlueZ keeps one write socket per characteristic, whichever central writes: an
            // early one is this link's.
            let reader = early_reader.take();
            // One central at a time (see the module doc): nobody else should connect meanwhile.
            self.advert = None;
            self.serve_link(writer, reader).await;
        }
    }

    /// Runs one link from the central's subscription to the end of its connection.
    async fn serve_link(
        &mut self,
        writer: CharacteristicWriter,
        mut reader: Option<CharacteristicReader>,
    ) {
        let central = writer.device_address();
        let Ok(device) = self.adapter.device(central) else {
            return;
        };
        let att_mtu = writer.mtu().saturating_add(BLUER_NOTIFY_HEADROOM);
        if att_mtu < ATT_MTU_MIN {
            // bluer could not carry the framing's 20-byte segments: only a central whose ATT
            // MTU stayed at 23 or 24 gets here (it never exchanged a larger one).
            let _ = device.disconnect().await;
            return;
        }
        // Events first, then the state, so that a disconnect between the two is not missed.
        let mut device_events: Pin<Box<dyn Stream<Item = DeviceEvent> + Send>> =
            match device.events().await {
                Ok(events) => Box::pin(events),
                Err(_) => return,
            };
        if !device.is_connected().await.unwrap_or(false) {
            return;
        }
        let (radio, events, task) = queued_radio(u16::try_from(att_mtu).unwrap_or(u16::MAX));
        if self.links.send(Ok((radio, events))).await.is_err() {
            let _ = device.disconnect().await;
            return;
        }
        let RadioTask {
            mut values,
            hang_up,
            events,
        } = task;
        let mut central_left = false;
        loop {
            tokio::select! {
                value = values.recv() => {
                    // None: every radio handle is gone, the link has ended.
                    let Some(value) = value else { break };
                    if writer.send(&value).await.is_err() {
                        // A frame that did not go out breaks the in-order delivery [BLE-2]
                        // relies on: the link ends rather than going on with a gap.
                        break;
                    }
                }
                received = read(reader.as_ref()) => match received {
                    Ok(value) if !value.is_empty() => {
                        if events.send(RadioEvent::Received(value)).await.is_err() {
                            break;
                        }
                    }
                    // BlueZ closed its end of the write stream (an empty read; an Orbit frame
                    // is never empty): it opens a new one with the central's next write, if
                    // the connection lasts; its end is seen below.
                    _ => reader = None,
                },
                event = self.write_control.next() => match event {
                    Some(CharacteristicControlEvent::Write(request)) if request.device_address() == central => {
                        reader = request.accept().ok();
                    }
                    // Another central: one link at a time (see the module doc).
                    Some(CharacteristicControlEvent::Write(request)) => request.reject(ReqError::NotPermitted),
                    Some(CharacteristicControlEvent::Notify(_)) => {}
                    None => break,
                },
                event = self.notify_control.next() => match event {
                    // BlueZ opens no second notify session while this one lives.
                    Some(CharacteristicControlEvent::Notify(_)) => {}
                    Some(CharacteristicControlEvent::Write(request)) => request.reject(ReqError::NotSupported),
                    None => break,
                },
                // The central unsubscribed from N, or its connection ended.
                _ = writer.closed() => break,
                event = device_events.next() => match event {
                    Some(DeviceEvent::PropertyChanged(DeviceProperty::Connected(false))) | None => {
                        central_left = true;
                        break;
                    }
                    Some(_) => {}
                },
                () = hang_up.notified() => break,
                () = events.closed() => break,
            }
        }
        if !central_left {
            let _ = device.disconnect().await;
        }
        let _ = events.send(RadioEvent::Disconnected).await;
    }
}

/// The next write of the central, or never when no write stream is open.
async fn read(reader: Option<&CharacteristicReader>) -> std::io::Result<Vec<u8>> {
    match reader {
        Some(reader) => reader.recv().await,
        None => std::future::pending().await,
    }
}

/// The Orbit GATT service ([BLE-1]): W takes Write Without Response and Write Request
/// ([BLE-2]); N notifies (BlueZ adds its CCCD). No encryption is required: Orbit protects its
/// messages itself ([MSG-3]), so no Bluetooth pairing is needed.
fn application(
    write: CharacteristicControlHandle,
    notify: CharacteristicControlHandle,
) -> Application {
    Application {
        services: vec![Service {
            uuid: Uuid::from_u128(SERVICE_UUID),
            primary: true,
            characteristics: vec![
                Characteristic {
                    uuid: Uuid::from_u128(WRITE_CHARACTERISTIC_UUID),
                    write: Some(CharacteristicWrite {
                        write: true,
                        write_without_response: true,
                        method: CharacteristicWriteMethod::Io,
                        ..Default::default()
                    }),
                    control_handle: write,
                    ..Default::default()
                },
                Characteristic {
                    uuid: Uuid::from_u128(NOTIFY_CHARACTERISTIC_UUID),
                    notify: Some(CharacteristicNotify {
                        notify: true,
                        method: CharacteristicNotifyMethod::Io,
                        ..Default::default()
                    }),
                    control_handle: notify,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A connectable legacy advert: flags (BlueZ adds them, general discoverable) and the Orbit
/// service data ([BLE-20], [BLE-21]). No service UUID list and no name: they would not fit
/// beside the service data, and a name is a stable identifier [BLE-22] forbids.
fn advertisement(service_data: &[u8]) -> Advertisement {
    Advertisement {
        advertisement_type: Type::Peripheral,
        service_data: BTreeMap::from([(Uuid::from_u128(SERVICE_UUID), service_data.to_vec())]),
        discoverable: Some(true),
        ..Default::default()
    }
}

fn check_service_data(service_data: &[u8]) -> Result<(), AdapterError> {
    if service_data.is_empty() || service_data.len() > SERVICE_DATA_MAX {
        return Err(AdapterError::Invalid(format!(
            "Orbit service data is 1 to {SERVICE_DATA_MAX} bytes, not {}",
            service_data.len()
        )));
    }
    Ok(())
}

fn stack(error: ::bluer::Error) -> AdapterError {
    AdapterError::Stack(error.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    /// [BLE-1], [BLE-2]: the service is primary and holds exactly W (write without response
    /// and write, both through BlueZ's ordered write socket) and N (notify).
    #[test]
    fn application_is_the_orbit_service() {
        let (_, write) = characteristic_control();
        let (_, notify) = characteristic_control();
        let app = application(write, notify);
        let [service] = app.services.as_slice() else {
            panic!("one service")
        };
        assert!(service.primary);
        assert_eq!(service.uuid, Uuid::from_u128(SERVICE_UUID));
        let [w, n] = service.characteristics.as_slice() else {
            panic!("two characteristics")
        };
        assert_eq!(w.uuid, Uuid::from_u128(WRITE_CHARACTERISTIC_UUID));
        let w_write = w.write.as_ref().unwrap();
        assert!(w_write.write && w_write.write_without_response);
        assert!(matches!(w_write.method, CharacteristicWriteMethod::Io));
        assert!(w.notify.is_none() && w.read.is_none());
        assert_eq!(n.uuid, Uuid::from_u128(NOTIFY_CHARACTERISTIC_UUID));
        let n_notify = n.notify.as_ref().unwrap();
        assert!(n_notify.notify && !n_notify.indicate);
        assert!(matches!(n_notify.method, CharacteristicNotifyMethod::Io));
        assert!(n.write.is_none() && n.read.is_none());
    }

    /// [BLE-20], [BLE-22]: the advert carries the service data under the Orbit UUID, and
    /// nothing that would not fit in 31 bytes or that identifies the device.
    #[test]
    fn advert_holds_only_the_service_data() {
        let advert = advertisement(&[0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(
            advert
                .service_data
                .get(&Uuid::from_u128(SERVICE_UUID))
                .unwrap()
                .len(),
            10
        );
        assert_eq!(advert.service_data.len(), 1);
        assert!(advert.service_uuids.is_empty());
        assert!(advert.local_name.is_none());
        assert!(advert.manufacturer_data.is_empty());
        assert_eq!(advert.discoverable, Some(true));
    }

    #[test]
    fn service_data_must_fit_a_legacy_advert() {
        assert!(check_service_data(&[0x10; 7]).is_ok());
        assert!(check_service_data(&[0x11; 10]).is_ok());
        assert!(matches!(
            check_service_data(&[]),
            Err(AdapterError::Invalid(_))
        ));
        assert!(matches!(
            check_service_data(&[0; 11]),
            Err(AdapterError::Invalid(_))
        ));
    }
}
