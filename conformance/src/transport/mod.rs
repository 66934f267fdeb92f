//! The transport adapter: everything the suite knows about how messages reach the device.
//!
//! Cases see connections and exchanges carrying typed messages ([`MessageKind`]); only the
//! adapter knows the wire underneath (QUIC streams today, BLE GATT later). An exchange is
//! the spec's request and answer unit: a QUIC bidirectional stream `[QUIC-5]`, or an
//! exchange ID of a BLE link `[BLE-16]`.

mod ble;
mod quic;

pub use ble::{BleAddress, BleTarget, CentralHandle, SCAN_TIMEOUT};
pub use quic::QuicTarget;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed future, so the adapter traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The message families an exchange carries `[QUIC-8]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// PASE messages and `pairing-status` (04-pairing).
    Pairing,
    /// SIGMA messages and `session-status` (06-sessions).
    Session,
    /// A protected record (07-message-protection).
    Protected,
    /// A kind the spec does not define (sent only by adversarial cases, or received from a
    /// device that should not have sent it).
    Unknown(u8),
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageKind::Pairing => f.write_str("pairing"),
            MessageKind::Session => f.write_str("session"),
            MessageKind::Protected => f.write_str("protected"),
            MessageKind::Unknown(k) => write!(f, "unknown kind {k}"),
        }
    }
}

/// One message as the adapter delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its family.
    pub kind: MessageKind,
    /// Its bytes (the frame's payload on QUIC).
    pub payload: Vec<u8>,
}

/// Why the transport could not do what a case asked. A case that meets one of these where
/// the device was required to answer decides whether it is the device's fault (FAIL) or the
/// harness's (INCONCLUSIVE).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made.
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        /// The target.
        target: String,
        /// What went wrong.
        reason: String,
    },
    /// The device refused the connection (for example busy `[QUIC-41]`).
    #[error("the device refused the connection: {0}")]
    Refused(String),
    /// The connection closed.
    #[error("the connection closed: {0}")]
    Closed(String),
    /// The device reset the exchange (QUIC `RESET_STREAM` / `STOP_SENDING`) with this code.
    #[error("the device reset the exchange with code {0:#x}")]
    Reset(u64),
    /// Nothing arrived in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The device sent bytes that are not a well-formed frame `[QUIC-8]`.
    #[error("malformed framing from the device: {0}")]
    Framing(String),
    /// The transport cannot do what the case asked (raw QUIC framing on a BLE link, for
    /// example): the case does not apply to this target, for the reason given.
    #[error("not possible on this transport: {0}")]
    Unsupported(String),
    /// Anything else the transport reported.
    #[error("{0}")]
    Other(String),
}

/// How the device met a connection attempt that did not offer the transport's own
/// application protocol (on QUIC: an ALPN list without `orbit/1`, `[QUIC-1]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForeignProtocol {
    /// The device failed the handshake; the reason as the transport reported it.
    Refused(String),
    /// The handshake completed, with this protocol selected (`None`: none).
    Accepted(Option<Vec<u8>>),
}

/// What a fresh connection showed of the transport underneath Orbit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportFacts {
    /// The certificates the device presented in its TLS handshake (DER), its own first.
    pub certificates: Vec<Vec<u8>>,
    /// Whether the device let the suite open a stream of the kind only the device may open
    /// (on QUIC: a unidirectional stream, `[QUIC-7]`).
    pub accepts_reserved_stream: bool,
}

/// How to reach a device: one per target kind (`quic://HOST:PORT`).
pub trait Transport: Send + Sync {
    /// The target as the user wrote it, for reports (`quic://127.0.0.1:5540`).
    fn describe(&self) -> String;
    /// The transport's name in reports (`quic`).
    fn name(&self) -> &'static str;
    /// Opens a new connection to the device.
    fn connect(&self) -> BoxFuture<'_, Result<Box<dyn Connection>, TransportError>>;
    /// Attempts a connection offering only `protocols` (empty: none) as application
    /// protocols, and closes it at once if the device accepts it. `None` when this transport
    /// negotiates no application protocol.
    fn connect_offering(
        &self,
        protocols: Vec<Vec<u8>>,
    ) -> Option<BoxFuture<'_, Result<ForeignProtocol, TransportError>>> {
        let _ = protocols;
        None
    }
    /// Makes a connection to look at the transport itself (certificates, stream limits) and
    /// closes it. `None` when the transport has nothing of the kind.
    fn inspect(&self) -> Option<BoxFuture<'_, Result<TransportFacts, TransportError>>> {
        None
    }
    /// Moves the suite's side of every open connection to a new local address, as a phone
    /// that changes networks does (on QUIC: connection migration, `[QUIC-19]`). `None` when
    /// the transport has no such thing.
    fn migrate(&self) -> Option<Result<(), TransportError>> {
        None
    }
    /// Whether a connection to `addr` (an address the device advertised) completes its
    /// handshake; the connection is closed at once. `None` when the transport cannot try.
    fn reachable(
        &self,
        addr: std::net::SocketAddr,
    ) -> Option<BoxFuture<'_, Result<(), TransportError>>> {
        let _ = addr;
        None
    }
    /// The BLE adapter itself, for the `ble` group's cases (the radio, the adverts). `None`
    /// on every other transport.
    fn ble(&self) -> Option<&BleTarget> {
        None
    }
}

/// One connection to the device.
pub trait Connection: Send + Sync {
    /// Opens a new exchange `[QUIC-5]`.
    fn open_exchange(&self) -> BoxFuture<'_, Result<Box<dyn ExchangeIo>, TransportError>>;
    /// The next message the device sent outside any exchange (a subscription report or a
    /// device-initiated message, `[QUIC-25]`), waiting at most `within`; `Ok(None)` if none
    /// came in time.
    fn recv_unsolicited(
        &self,
        within: Duration,
    ) -> BoxFuture<'_, Result<Option<Message>, TransportError>>;
    /// Why the connection closed, if it has.
    fn closed(&self) -> Option<String>;
    /// Closes the connection cleanly.
    fn close(&self);
}

/// One exchange on a connection.
pub trait ExchangeIo: Send {
    /// Sends one message.
    fn send(&mut self, message: &Message) -> BoxFuture<'_, Result<(), TransportError>>;
    /// Sends bytes as they are, framing included (adversarial cases: malformed frames).
    fn send_raw(&mut self, bytes: &[u8]) -> BoxFuture<'_, Result<(), TransportError>>;
    /// The next message, `Ok(None)` once the device has ended its half of the exchange
    /// cleanly, [`TransportError::Timeout`] if neither came within `within`.
    fn recv(&mut self, within: Duration) -> BoxFuture<'_, Result<Option<Message>, TransportError>>;
    /// Ends this side after its last message.
    fn finish(&mut self);
    /// Abandons the exchange in both directions with `code`.
    fn reset(&mut self, code: u64);
}

/// A target given on the command line, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSpec {
    /// `quic://HOST:PORT`
    Quic(String),
    /// `ble:DISCRIMINATOR` or `ble://PERIPHERAL`, reached through `central` when given (the
    /// SDK's simulated air, a phone's stack), else through this machine's Bluetooth adapter
    /// (feature `ble`).
    Ble {
        /// Which device.
        address: BleAddress,
        /// The central to reach it through.
        central: Option<CentralHandle>,
    },
}

const TARGET_FORMS: &str = "quic://HOST:PORT, ble:DISCRIMINATOR or ble://PERIPHERAL";

impl std::str::FromStr for TargetSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once("://") {
            Some(("quic", rest)) if !rest.is_empty() => {
                return Ok(TargetSpec::Quic(rest.to_owned()))
            }
            Some(("ble", rest)) if !rest.is_empty() => {
                return Ok(TargetSpec::Ble {
                    address: BleAddress::Peripheral(rest.to_owned()),
                    central: None,
                })
            }
            Some((scheme, _)) if scheme != "ble" && scheme != "quic" => {
                return Err(format!(
                    "unknown target kind {scheme:?}: the suite speaks {TARGET_FORMS}"
                ))
            }
            _ => {}
        }
        if let Some(d) = s.strip_prefix("ble:").filter(|d| !d.starts_with("//")) {
            return match d.parse::<u16>() {
                Ok(d) if d <= orbit_ble::advert::MAX_DISCRIMINATOR => Ok(TargetSpec::Ble {
                    address: BleAddress::Discriminator(d),
                    central: None,
                }),
                _ => Err(format!(
                    "{d:?} is not a discriminator: write ble:N with N the 12-bit discriminator \
                     (0..=4095) of the device's setup code"
                )),
            };
        }
        Err(format!("{s:?} is not a target: write {TARGET_FORMS}"))
    }
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Quic(a) => write!(f, "quic://{a}"),
            TargetSpec::Ble { address, .. } => address.fmt(f),
        }
    }
}

impl TargetSpec {
    /// A BLE target reached through `central` (the SDK's simulated air in tests).
    pub fn ble_via(
        address: BleAddress,
        central: std::sync::Arc<dyn orbit_sdk::ble::BleCentral>,
    ) -> Self {
        TargetSpec::Ble {
            address,
            central: Some(CentralHandle(central)),
        }
    }

    /// The adapter for this target.
    pub async fn open(&self) -> Result<Box<dyn Transport>, TransportError> {
        match self {
            TargetSpec::Quic(addr) => Ok(Box::new(QuicTarget::resolve(addr).await?)),
            TargetSpec::Ble { address, central } => {
                let central = match central {
                    Some(c) => c.0.clone(),
                    None => desktop_central(address).await?,
                };
                Ok(Box::new(BleTarget::resolve(central, address).await?))
            }
        }
    }
}

/// This machine's Bluetooth adapter (feature `ble`).
#[cfg(feature = "ble")]
async fn desktop_central(
    address: &BleAddress,
) -> Result<std::sync::Arc<dyn orbit_sdk::ble::BleCentral>, TransportError> {
    let central = ble_desktop::DesktopCentral::open()
        .await
        .map_err(|reason| TransportError::Connect {
            target: address.to_string(),
            reason,
        })?;
    Ok(std::sync::Arc::new(central))
}

/// Without the feature `ble`, no Bluetooth adapter is compiled in.
#[cfg(not(feature = "ble"))]
async fn desktop_central(
    address: &BleAddress,
) -> Result<std::sync::Arc<dyn orbit_sdk::ble::BleCentral>, TransportError> {
    Err(TransportError::Connect {
        target: address.to_string(),
        reason: "this build has no Bluetooth support: build the CLI with \
                 `cargo build -p orbit-cli --features ble` (on Linux install libdbus first: \
                 scripts/install-ble-deps)"
            .to_owned(),
    })
}

#[cfg(feature = "ble")]
mod ble_desktop;
