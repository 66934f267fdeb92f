//! One connection to a peer, over whichever transport reached it.

use super::{Exchange, FrameKind, LinkError, OwnedFrame, Peer};
use orbit_quic::ErrorCode;

/// A connection to a peer: the device's side of a controller's connection, or the
/// controller's side of a device's. Cheap to clone; clones share the connection.
///
/// Some transports have no connection budget ([QUIC-40]): on those,
/// [`authenticate`](Link::authenticate) always succeeds and
/// [`carries_reports`](Link::carries_reports) does nothing.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Link {
    /// A QUIC connection.
    Quic(orbit_quic::Link),
    /// A Bluetooth LE link ([BLE-3]): no connection budget, one peer.
    Ble(BleLink),
}

/// A BLE link and what its exchanges tell its unauthenticated deadline ([BLE-37]).
#[derive(Clone, Debug)]
pub struct BleLink {
    /// The link.
    pub link: orbit_ble::link::Link,
    /// Whether a session was used on it, and whether a pairing holds its deadline off.
    pub guard: std::sync::Arc<super::SessionGuard>,
}

impl BleLink {
    /// A link with a fresh deadline guard.
    pub fn new(link: orbit_ble::link::Link) -> Self {
        BleLink {
            link,
            guard: Default::default(),
        }
    }
}

impl Link {
    /// Says that an Orbit session of `home` (`None`: a PASE session) was established or used
    /// on this connection (server only), moving it to the authenticated budget ([QUIC-40],
    /// [QUIC-42], [QUIC-43]). `false` if the server has no place for it: the connection is
    /// then closed. `true` on a transport without a connection budget.
    pub fn authenticate(&self, home: Option<u64>) -> bool {
        match self {
            Link::Quic(l) => l.authenticate(home),
            // [BLE-37] no budget to move between, but the link's deadline is met.
            Link::Ble(l) => {
                l.guard.authenticate();
                true
            }
        }
    }

    /// Says that the connection carries subscription reports, so it is never closed as idle
    /// to make room for another ([QUIC-42]).
    pub fn carries_reports(&self) {
        match self {
            Link::Quic(l) => l.carries_reports(),
            Link::Ble(_) => {}
        }
    }

    /// Opens a new exchange (controller side, [QUIC-5]).
    pub async fn open_exchange(&self) -> Result<Exchange, LinkError> {
        match self {
            Link::Quic(l) => Ok(Exchange::Quic(l.open_exchange().await?)),
            Link::Ble(l) => Ok(Exchange::Ble(
                l.link.open_exchange().await?,
                l.guard.clone(),
            )),
        }
    }

    /// The next exchange the peer opens (device side); `Ok(None)` once the connection has
    /// ended cleanly.
    pub async fn accept_exchange(&self) -> Result<Option<Exchange>, LinkError> {
        match self {
            Link::Quic(l) => Ok(l.accept_exchange().await?.map(Exchange::Quic)),
            Link::Ble(l) => Ok(l
                .link
                .accept_exchange()
                .await?
                .map(|e| Exchange::Ble(e, l.guard.clone()))),
        }
    }

    /// Sends one frame that no request asked for, such as a subscription report, in an
    /// exchange of its own ([QUIC-7]).
    pub async fn send_unsolicited(&self, kind: FrameKind, payload: &[u8]) -> Result<(), LinkError> {
        match self {
            Link::Quic(l) => Ok(l.send_unsolicited(kind, payload).await?),
            Link::Ble(l) => Ok(l.link.send_unsolicited(kind.0, payload).await?),
        }
    }

    /// The next frame the peer sent unsolicited; `Ok(None)` once the connection has ended
    /// cleanly.
    pub async fn accept_unsolicited(&self) -> Result<Option<OwnedFrame>, LinkError> {
        match self {
            Link::Quic(l) => Ok(l.accept_unsolicited().await?),
            Link::Ble(l) => Ok(l
                .link
                .accept_unsolicited()
                .await?
                .map(super::exchange::owned)),
        }
    }

    /// The peer's address.
    pub fn remote_address(&self) -> Peer {
        match self {
            Link::Quic(l) => Peer::Quic(l.remote_address()),
            Link::Ble(_) => Peer::Ble,
        }
    }

    /// Closes the connection at once with `code` and `reason`, abandoning its exchanges. A
    /// transport whose close is a conversation runs it in the background.
    pub fn close(&self, code: ErrorCode, reason: &str) {
        match self {
            Link::Quic(l) => l.close(code, reason),
            // [BLE-14] a graceful close: the peer first sends what it has queued. Outside a
            // runtime (a foreign thread dropping the connection, in the phone bindings) there
            // is nothing to spawn on: the link then closes gracefully by itself once its last
            // handle is gone.
            Link::Ble(l) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let l = l.link.clone();
                    runtime.spawn(async move { l.close().await });
                }
            }
        }
    }

    /// Closes the link gracefully and waits until it is closed: on BLE the peer first sends
    /// everything it has queued ([BLE-14]), so nothing queued before the close is lost.
    pub async fn close_gracefully(&self) {
        match self {
            Link::Quic(l) => {
                l.close(ErrorCode::NO_ERROR, "done");
            }
            Link::Ble(l) => l.link.close().await,
        }
    }

    /// Whether the link has ended.
    pub fn is_closed(&self) -> bool {
        match self {
            Link::Quic(l) => l.close_reason().is_some(),
            Link::Ble(l) => l.link.is_closed(),
        }
    }
}

impl From<orbit_ble::link::Link> for Link {
    fn from(link: orbit_ble::link::Link) -> Self {
        Link::Ble(BleLink::new(link))
    }
}

impl From<orbit_quic::Link> for Link {
    fn from(link: orbit_quic::Link) -> Self {
        Link::Quic(link)
    }
}
