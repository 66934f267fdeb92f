//! The BLE adapter `[BLE-1]`..: a connection is an Orbit link over one Bluetooth connection
//! (the framing handshake done, `[BLE-12]`), an exchange is an exchange ID of the link
//! (`[BLE-16]`), unsolicited messages are device-initiated SDUs (`[BLE-17]`). The device is
//! reached through a [`BleCentral`]: a desktop adapter (feature `ble`) or the SDK's simulated
//! air in tests. The `ble` group takes the radio itself ([`BleTarget::connect_radio`]) to
//! write frames an honest central never writes.

use super::{BoxFuture, Connection, ExchangeIo, Message, MessageKind, Transport, TransportError};
use orbit_ble::advert::{Advert, DiscriminatorQuery};
use orbit_ble::engine::FramingConfig;
use orbit_ble::link::{BleError, Exchange, Link};
use orbit_sdk::ble::{BleCentral, Connected};
use std::sync::Arc;
use std::time::Duration;

/// How the user named the device: by the discriminator of its commissionable advert, or by
/// the Bluetooth stack's handle for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BleAddress {
    /// `ble:DISCRIMINATOR`: the device whose commissionable advert carries this 12-bit
    /// discriminator `[BLE-20]`.
    Discriminator(u16),
    /// `ble://PERIPHERAL`: the stack's handle (an address or a platform identifier).
    Peripheral(String),
}

impl std::fmt::Display for BleAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BleAddress::Discriminator(d) => write!(f, "ble:{d}"),
            BleAddress::Peripheral(p) => write!(f, "ble://{p}"),
        }
    }
}

/// A Bluetooth central handed to the suite (compared by identity, so that a [`super::TargetSpec`]
/// holding one stays comparable).
#[derive(Clone)]
pub struct CentralHandle(pub Arc<dyn BleCentral>);

impl std::fmt::Debug for CentralHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CentralHandle(..)")
    }
}

impl PartialEq for CentralHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CentralHandle {}

/// How long the suite scans for the device's advert.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(10);

/// A device reached over BLE.
pub struct BleTarget {
    central: Arc<dyn BleCentral>,
    peripheral: String,
    written: String,
    framing: FramingConfig,
}

fn connect_err(target: &str, reason: impl Into<String>) -> TransportError {
    TransportError::Connect {
        target: target.to_owned(),
        reason: reason.into(),
    }
}

impl BleTarget {
    /// Finds the device `address` names through `central` (a scan for its commissionable
    /// advert when named by discriminator: the window must be open, as for any run).
    pub async fn resolve(
        central: Arc<dyn BleCentral>,
        address: &BleAddress,
    ) -> Result<Self, TransportError> {
        let written = address.to_string();
        let peripheral = match address {
            BleAddress::Peripheral(p) => p.clone(),
            BleAddress::Discriminator(d) => {
                let query = DiscriminatorQuery::full(*d)
                    .map_err(|e| connect_err(&written, e.to_string()))?;
                let matches = move |s: &orbit_sdk::ble::Sighting| matches!(Advert::parse(&s.service_data), Ok(Advert::Commissionable(a)) if a.matches(query));
                let heard = central
                    .scan(SCAN_TIMEOUT, &matches)
                    .await
                    .map_err(|e| connect_err(&written, format!("Bluetooth scan failed: {e}")))?;
                heard
                    .into_iter()
                    .filter(|s| matches(s))
                    .max_by_key(|s| s.rssi.unwrap_or(i16::MIN))
                    .map(|s| s.peripheral)
                    .ok_or_else(|| {
                        connect_err(
                            &written,
                            format!(
                                "no commissionable advert with discriminator {d} was heard within \
                                 {SCAN_TIMEOUT:?}; is the device in range with its pairing window open?"
                            ),
                        )
                    })?
            }
        };
        Ok(Self {
            central,
            peripheral,
            written,
            framing: FramingConfig::default(),
        })
    }

    /// The stack's handle of the device.
    pub fn peripheral(&self) -> &str {
        &self.peripheral
    }

    /// The framing configuration the suite's links use as central.
    pub fn framing(&self) -> FramingConfig {
        self.framing
    }

    /// A Bluetooth connection to the device with the MTU exchanged and notifications enabled
    /// `[BLE-3]`, and nothing else: the framing handshake is the caller's (the `ble` group).
    pub async fn connect_radio(&self) -> Result<Connected, TransportError> {
        self.central
            .connect(&self.peripheral)
            .await
            .map_err(|e| connect_err(&self.written, e))
    }

    /// The Orbit service data the device advertises now (`None`: not heard within `within`).
    pub async fn advert(&self, within: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        let name = self.peripheral.clone();
        let enough = move |s: &orbit_sdk::ble::Sighting| s.peripheral == name;
        let heard = self
            .central
            .scan(within, &enough)
            .await
            .map_err(|e| TransportError::Other(format!("Bluetooth scan failed: {e}")))?;
        Ok(heard
            .into_iter()
            .find(|s| s.peripheral == self.peripheral)
            .map(|s| s.service_data))
    }
}

fn kind_to_byte(kind: MessageKind) -> u8 {
    match kind {
        MessageKind::Pairing => orbit_ble::sdu::KIND_PAIRING,
        MessageKind::Session => orbit_ble::sdu::KIND_SESSION,
        MessageKind::Protected => orbit_ble::sdu::KIND_PROTECTED,
        MessageKind::Unknown(k) => k,
    }
}

fn byte_to_kind(kind: u8) -> MessageKind {
    match kind {
        orbit_ble::sdu::KIND_PAIRING => MessageKind::Pairing,
        orbit_ble::sdu::KIND_SESSION => MessageKind::Session,
        orbit_ble::sdu::KIND_PROTECTED => MessageKind::Protected,
        k => MessageKind::Unknown(k),
    }
}

fn map_err(e: BleError) -> TransportError {
    match e {
        BleError::Reset(code) => TransportError::Reset(u64::from(code)),
        BleError::UnknownKind(_) | BleError::Malformed | BleError::Flooded => {
            TransportError::Framing(e.to_string())
        }
        BleError::Framing(_) | BleError::Radio(_) | BleError::Disconnected | BleError::Closed => {
            TransportError::Closed(e.to_string())
        }
        BleError::InvalidMessage(why) => TransportError::Unsupported(format!(
            "the BLE link cannot carry this message ({why}); the ble group checks SDU rules \
             from the radio"
        )),
        other => TransportError::Other(other.to_string()),
    }
}

impl Transport for BleTarget {
    fn describe(&self) -> String {
        self.written.clone()
    }

    fn name(&self) -> &'static str {
        "ble"
    }

    fn connect(&self) -> BoxFuture<'_, Result<Box<dyn Connection>, TransportError>> {
        Box::pin(async move {
            let (radio, events) = self.connect_radio().await?;
            let link = Link::central(radio, events, self.framing)
                .await
                .map_err(|e| connect_err(&self.written, e.to_string()))?;
            Ok(Box::new(BleConnection { link }) as Box<dyn Connection>)
        })
    }

    fn ble(&self) -> Option<&BleTarget> {
        Some(self)
    }
}

struct BleConnection {
    link: Link,
}

impl BleConnection {
    /// A graceful close `[BLE-14]` in the background (a close waits for close-ack).
    fn close_in_background(&self) {
        let link = self.link.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { link.close().await });
        }
    }
}

impl Drop for BleConnection {
    fn drop(&mut self) {
        // Frees the device's link at once, as a QUIC close does [QUIC-40].
        self.close_in_background();
    }
}

impl Connection for BleConnection {
    fn open_exchange(&self) -> BoxFuture<'_, Result<Box<dyn ExchangeIo>, TransportError>> {
        Box::pin(async move {
            let ex = self.link.open_exchange().await.map_err(map_err)?;
            Ok(Box::new(BleExchange { ex }) as Box<dyn ExchangeIo>)
        })
    }

    fn recv_unsolicited(
        &self,
        within: Duration,
    ) -> BoxFuture<'_, Result<Option<Message>, TransportError>> {
        Box::pin(async move {
            match tokio::time::timeout(within, self.link.accept_unsolicited()).await {
                Err(_) => Ok(None),
                Ok(Ok(Some(m))) => Ok(Some(Message {
                    kind: byte_to_kind(m.kind),
                    payload: m.payload,
                })),
                Ok(Ok(None)) => Err(TransportError::Closed("the link closed".to_owned())),
                Ok(Err(e)) => Err(map_err(e)),
            }
        })
    }

    fn closed(&self) -> Option<String> {
        self.link
            .is_closed()
            .then(|| "the BLE link closed".to_owned())
    }

    fn close(&self) {
        self.close_in_background();
    }
}

struct BleExchange {
    ex: Exchange,
}

impl ExchangeIo for BleExchange {
    fn send(&mut self, message: &Message) -> BoxFuture<'_, Result<(), TransportError>> {
        let kind = kind_to_byte(message.kind);
        let payload = message.payload.clone();
        Box::pin(async move {
            match self.ex.send_frame(kind, &payload).await {
                Ok(()) => Ok(()),
                // The link dropped the exchange because the device ended it: its RESET, if
                // it sent one, is waiting to be read and says how.
                Err(BleError::ExchangeEnded) => match self.ex.try_recv_frame() {
                    Some(Err(BleError::Reset(code))) => Err(TransportError::Reset(u64::from(code))),
                    _ => Err(TransportError::Closed(
                        "the device ended the exchange".to_owned(),
                    )),
                },
                Err(e) => Err(map_err(e)),
            }
        })
    }

    fn send_raw(&mut self, _bytes: &[u8]) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            Err(TransportError::Unsupported(
                "raw QUIC frame bytes (16-quic.md §16.3) have no meaning on a BLE link; the ble \
                 group checks the BLE framing from the radio"
                    .to_owned(),
            ))
        })
    }

    fn recv(&mut self, within: Duration) -> BoxFuture<'_, Result<Option<Message>, TransportError>> {
        Box::pin(async move {
            match self.ex.recv_frame_within(within).await {
                None => Err(TransportError::Timeout(within)),
                Some(Ok(None)) => Ok(None),
                Some(Ok(Some(m))) => Ok(Some(Message {
                    kind: byte_to_kind(m.kind),
                    payload: m.payload,
                })),
                Some(Err(e)) => Err(map_err(e)),
            }
        })
    }

    fn finish(&mut self) {
        let _ = self.ex.finish();
    }

    fn reset(&mut self, code: u64) {
        // [QUIC-13] codes travel in one byte on BLE [BLE-15]; a larger code is sent as the
        // largest byte, an undefined code all the same.
        self.ex.reset(u8::try_from(code).unwrap_or(u8::MAX));
    }
}
